// SPDX-License-Identifier: MIT
/* The hypervisor's own use of the local APIC: NMIs to other CPUs. */
#include "arch/apic.h"
#include "arch/msr.h"
#include "arch/cpu.h"
#include "arch/x86.h"


/* One IPI (ICR low word lo) to apic_id, in the mode this CPU's APIC is in. */
static void apic_send(u32 apic_id, u32 icr_lo)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);
	volatile u32 *lo, *hi;
	unsigned int spins = 0;
	u32 old_hi;

	if (base & APIC_BASE_X2APIC) {
		wrmsr(MSR_X2APIC_ICR, ((u64)apic_id << 32) | icr_lo);
		return;
	}
	base &= ~0xfffULL & ((1ULL << 52) - 1);
	lo = (volatile u32 *)(uintptr_t)(base + APIC_ICR_LO);
	hi = (volatile u32 *)(uintptr_t)(base + APIC_ICR_HI);
	while ((*lo & ICR_DELIVERY_PENDING) && ++spins < 1000000)
		cpu_relax();
	old_hi = *hi;
	*hi = apic_id << 24;
	*lo = icr_lo;
	*hi = old_hi;
}

void apic_send_nmi(u32 apic_id)
{
	apic_send(apic_id, ICR_DM_NMI << ICR_DM_SHIFT);
}

/* A busy wait of us microseconds on the TSC. */
static void udelay(u64 us)
{
	u64 end = rdtsc() + tsc_khz() * us / 1000;

	while (rdtsc() < end)
		cpu_relax();
}

void apic_send_init_sipi(u32 apic_id, u8 vector)
{
	apic_send(apic_id, (ICR_DM_INIT << ICR_DM_SHIFT) | ICR_LEVEL_ASSERT);
	udelay(10000);
	apic_send(apic_id, (ICR_DM_SIPI << ICR_DM_SHIFT) | ICR_LEVEL_ASSERT | vector);
	udelay(200);
	apic_send(apic_id, (ICR_DM_SIPI << ICR_DM_SHIFT) | ICR_LEVEL_ASSERT | vector);
}
