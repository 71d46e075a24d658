// SPDX-License-Identifier: MIT
/*
 * The platform VM's guards on MSRs (docs/platform.md, "Guards"): the
 * writes a guest that owns the machine could aim at the hypervisor's
 * memory.  IA32_APIC_BASE, AMD's SYSCFG, TOP_MEM, TOM2 and IORRs exit on
 * writes and are performed when arch/guard.c finds them harmless; a
 * refused one gets #GP and a log line (at most 10 each 5 s).  Intel PT's
 * RTIT MSRs are not virtualized: they #GP, as on a CPU without PT, which
 * is what CPUID then says.
 */
#include "platform_int.h"
#include "arch/cpu.h"
#include "arch/cpuid.h"
#include "arch/xsave.h"
#include "arch/cr.h"
#include "arch/guard.h"
#include "arch/msr.h"
#include "arch/mtrr.h"
#include "arch/x86.h"
#include "bug.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/ratelimit.h"
#include "vm/run.h"

static struct guard_ranges hv;
static unsigned int phys_bits;
static struct ratelimit refuse_log = RATELIMIT_INIT(5000, 10);
static u64 nrefused;

/* The MSRs this file answers for, besides PT's. */
static const u32 guarded_msrs[] = {
	MSR_IA32_APIC_BASE, MSR_AMD_SYSCFG, MSR_AMD_IORR_BASE(0), MSR_AMD_IORR_MASK(0),
	MSR_AMD_IORR_BASE(1), MSR_AMD_IORR_MASK(1), MSR_AMD_TOP_MEM, MSR_AMD_TOM2,
};

static void add_msr(u32 msr, u32 *msrs, unsigned int *n, unsigned int max)
{
	BUG_ON(*n >= max);	/* the caller's array is sized for these */
	msrs[(*n)++] = msr;
}

void platform_guard_setup(unsigned int pbits, u32 *msrs, unsigned int *n, unsigned int max)
{
	unsigned int i;
	u32 msr;

	phys_bits = pbits;
	platform_mem_ranges(&hv);
	for (i = 0; i < ARRAY_SIZE(guarded_msrs); i++)
		add_msr(guarded_msrs[i], msrs, n, max);
	for (msr = MSR_IA32_RTIT_OUTPUT_BASE; msr <= MSR_IA32_RTIT_LAST; msr++)
		if (guard_is_rtit_msr(msr))
			add_msr(msr, msrs, n, max);
}

const struct guard_ranges *platform_guard_ranges(void)
{
	return &hv;
}

u64 platform_guard_refused(void)
{
	return __atomic_load_n(&nrefused, __ATOMIC_RELAXED);
}

/* A refused write: counted, and logged within the rate limit. */
static int refuse(struct vcpu *v, u32 msr, u64 val, const char *why)
{
	u32 missed;

	__atomic_add_fetch(&nrefused, 1, __ATOMIC_RELAXED);
	if (!ratelimit_ok(&refuse_log, ns_since_boot(), &missed))
		return -EPERM;
	if (missed)
		pr_warn("platform: %u more refused MSR writes, not logged\n", missed);
	pr_warn("platform: cpu%u: WRMSR 0x%x = 0x%llx at RIP 0x%llx refused (#GP): it would %s\n",
		v->id, msr, (unsigned long long)val, (unsigned long long)virt->get_rip(v), why);
	return -EPERM;
}

/* The CPU's value of msr, or false when it has none (it would #GP). */
static bool current(u32 msr, u64 *val)
{
	return rdmsr_safe(msr, val);
}

/* Why writing val to msr is refused, or NULL when it is harmless. */
static const char *write_refused(u32 msr, u64 val, bool *absent)
{
	u64 old, other;

	*absent = false;
	if (msr == MSR_IA32_APIC_BASE)
		return guard_apic_base_ok(&hv, phys_bits, val) ? NULL :
		       "put the local APIC's page on hypervisor memory";
	if (!current(msr, &old)) {
		*absent = true;	/* a CPU without the MSR refuses it itself */
		return NULL;
	}
	switch (msr) {
	case MSR_AMD_SYSCFG:
		return guard_syscfg_ok(old, val) ? NULL :
		       "change how DRAM is decoded or typed (SYSCFG bits 18 and 20-26)";
	case MSR_AMD_TOP_MEM:
	case MSR_AMD_TOM2:
		return guard_top_mem_ok(&hv, msr == MSR_AMD_TOM2, old, val) ? NULL :
		       "move hypervisor memory out of DRAM";
	case MSR_AMD_IORR_BASE(0):
	case MSR_AMD_IORR_BASE(1):
		if (!current(msr + 1, &other))
			return NULL;
		return guard_iorr_ok(&hv, phys_bits, val, other) ? NULL :
		       "send hypervisor memory to I/O (IORR)";
	case MSR_AMD_IORR_MASK(0):
	case MSR_AMD_IORR_MASK(1):
		if (!current(msr - 1, &other))
			return NULL;
		return guard_iorr_ok(&hv, phys_bits, other, val) ? NULL :
		       "send hypervisor memory to I/O (IORR)";
	}
	return NULL;
}

int platform_guard_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	const char *why;
	unsigned int i;
	bool absent;

	if (guard_is_rtit_msr(msr))
		return -EPERM;		/* no PT for the guest */
	for (i = 0; i < ARRAY_SIZE(guarded_msrs) && guarded_msrs[i] != msr; i++)
		;
	if (i == ARRAY_SIZE(guarded_msrs))
		return -ENOENT;
	if (!write)
		return rdmsr_safe(msr, val) ? 0 : -EPERM;
	why = write_refused(msr, *val, &absent);
	if (absent)
		return -EPERM;
	if (why)
		return refuse(v, msr, *val, why);
	return wrmsr_safe(msr, *val) ? 0 : -EPERM;
}

/*
 * XSETBV: the platform VM sets the real XCR0 (the hypervisor uses no
 * extended state), but only to a value the CPU accepts -- one that would
 * #GP on hardware gets #GP here rather than in the host.
 */
int platform_guard_xsetbv(struct vcpu *v, u32 xcr, u64 val)
{
	struct cpuid_regs r = cpuid_count(CPUID_XSAVE, 0);
	u64 supported = ((u64)r.edx << 32) | r.eax, cr4;
	bool ok;

	if (xcr != 0 || virt->get_cpl(v) || !xcr0_valid(val, supported))
		return -EPERM;
	/*
	 * XSETBV needs CR4.OSXSAVE, which the host keeps clear otherwise: it
	 * is set around this one instruction (the guest, which just ran
	 * XSETBV, has it set itself, so the CPU takes it) and cleared again.
	 */
	cr4 = read_cr4();
	if (!(cr4 & X86_CR4_OSXSAVE) && !write_cr4_safe(cr4 | X86_CR4_OSXSAVE))
		return -EPERM;
	ok = xsetbv_safe(0, val);
	write_cr4(cr4);
	return ok ? 0 : -EPERM;
}

/*
 * HC_HOST_MEMTYPE: the MTRR type this CPU's hardware MTRRs, read now, give
 * the 4 KiB page at physical address pa (HC_MT_*), so that a guest can see
 * that its writes did not retype hypervisor memory.  Only this CPU writes
 * its MTRRs, and not while it answers this.
 */
s64 platform_guard_hc_host_memtype(u64 pa, unsigned int maxphyaddr)
{
	struct mtrr_state now;
	enum x86_memtype t;

	if (pa >> maxphyaddr)
		return -EINVAL;
	pa &= PAGE_MASK;
	mtrr_snapshot_read(&now, maxphyaddr);
	return mtrr_range_type(&now, pa, pa + PAGE_SIZE, &t) ? -EINVAL : (s64)t;
}
