// SPDX-License-Identifier: MIT
/* The hypervisor's own use of the local APIC: NMIs to other CPUs. */
#include "arch/apic.h"
#include "arch/msr.h"
#include "arch/x86.h"


void apic_send_nmi(u32 apic_id)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);
	volatile u32 *lo, *hi;
	unsigned int spins = 0;
	u32 old_hi;

	if (base & APIC_BASE_X2APIC) {
		wrmsr(MSR_X2APIC_ICR, ((u64)apic_id << 32) | (ICR_DM_NMI << ICR_DM_SHIFT));
		return;
	}
	base &= ~0xfffULL & ((1ULL << 52) - 1);
	lo = (volatile u32 *)(uintptr_t)(base + APIC_ICR_LO);
	hi = (volatile u32 *)(uintptr_t)(base + APIC_ICR_HI);
	while ((*lo & ICR_DELIVERY_PENDING) && ++spins < 1000000)
		cpu_relax();
	old_hi = *hi;
	*hi = apic_id << 24;
	*lo = ICR_DM_NMI << ICR_DM_SHIFT;
	*hi = old_hi;
}
