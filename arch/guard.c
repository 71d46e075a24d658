// SPDX-License-Identifier: MIT
/*
 * The guards' checks (include/arch/guard.h): pure functions of the values
 * a guest writes, the CPU's CPUID and the hypervisor's ranges.
 */
#include "arch/guard.h"
#include "arch/msr.h"
#include "lib/string.h"

#define GIB4 (1ULL << 32)
#define SYSCFG_FIXED (SYSCFG_MTRR_FIX_DRAM_EN | SYSCFG_MTRR_VAR_DRAM_EN | SYSCFG_MTRR_TOM2_EN | \
		      SYSCFG_TOM2_FORCE_WB | SYSCFG_SMEE | SYSCFG_SNP_EN | SYSCFG_VMPL_EN | \
		      SYSCFG_HMKEE)

bool guard_overlaps(const struct guard_ranges *h, u64 start, u64 end)
{
	unsigned int i;

	for (i = 0; i < h->n; i++)
		if (start < h->r[i].base + h->r[i].size && h->r[i].base < end)
			return true;
	return false;
}

bool guard_apic_base_ok(const struct guard_ranges *h, unsigned int phys_bits, u64 val)
{
	u64 base = val & GENMASK_ULL(phys_bits - 1, APIC_BASE_ADDR_SHIFT);

	if (!(val & APIC_BASE_EN) || (val & APIC_BASE_X2APIC))
		return true;
	return !guard_overlaps(h, base, base + PAGE_SIZE);
}

bool guard_is_rtit_msr(u32 msr)
{
	return msr == MSR_IA32_RTIT_OUTPUT_BASE || msr == MSR_IA32_RTIT_OUTPUT_MASK_PTRS ||
	       (msr >= MSR_IA32_RTIT_CTL && msr <= MSR_IA32_RTIT_CR3_MATCH) ||
	       (msr >= MSR_IA32_RTIT_ADDR0_A && msr <= MSR_IA32_RTIT_LAST);
}

void guard_cpuid(u32 leaf, u32 sub, struct cpuid_regs *r)
{
	if (leaf == 1)
		r->ecx &= ~CPUID1_ECX_SMX;
	else if (leaf == 7 && sub == 0)
		r->ebx &= ~CPUID7_EBX_PT;
	else if (leaf == CPUID_PT)
		memset(r, 0, sizeof(*r));
	else if (leaf == CPUID_EXT_FEATURES)
		r->ecx &= ~CPUID81_ECX_SKINIT;
}

bool guard_syscfg_ok(u64 old, u64 val)
{
	return !((old ^ val) & SYSCFG_FIXED);
}

bool guard_top_mem_ok(const struct guard_ranges *h, bool above_4g, u64 old, u64 val)
{
	unsigned int i;

	for (i = 0; i < h->n; i++) {
		u64 end = h->r[i].base + h->r[i].size;

		if ((h->r[i].base >= GIB4) != above_4g)
			continue;
		if ((end <= old) != (end <= val))
			return false;
	}
	return true;
}

/*
 * An IORR matches as a variable MTRR does, (addr & mask) == (base & mask):
 * asked as the only pair of an otherwise all-WB MTRR snapshot, in which it
 * is UC, a range it touches is not wholly WB.
 */
bool guard_iorr_ok(const struct guard_ranges *h, unsigned int phys_bits, u64 base, u64 mask)
{
	struct mtrr_state s;
	u64 addr = GENMASK_ULL(phys_bits - 1, PAGE_SHIFT);

	if (!(mask & IORR_MASK_V))
		return true;
	memset(&s, 0, sizeof(s));
	s.supported = true;
	s.phys_bits = phys_bits;
	s.nr_var = 1;
	s.cap = 1;
	s.def_type = MTRR_DEF_E | X86_MT_WB;
	s.var[0].base = (base & addr) | X86_MT_UC;
	s.var[0].mask = (mask & addr) | MTRR_PHYSMASK_V;
	return guard_mtrr_keeps_wb(h, &s);
}

bool guard_mtrr_keeps_wb(const struct guard_ranges *h, const struct mtrr_state *s)
{
	enum x86_memtype t;
	unsigned int i;

	for (i = 0; i < h->n; i++) {
		if (!h->r[i].size)
			continue;
		if (mtrr_range_type(s, h->r[i].base, h->r[i].base + h->r[i].size, &t) ||
		    t != X86_MT_WB)
			return false;
	}
	return true;
}

u64 guard_efer_svm(const struct cpuid_regs *ext1, const struct cpuid_regs *ext8,
		   const struct cpuid_regs *ext21)
{
	u64 efer = 0;

	if (ext1->edx & CPUID81_EDX_SYSCALL)
		efer |= EFER_SCE;
	if (ext1->edx & CPUID81_EDX_LM)
		efer |= EFER_LME;
	if (ext1->edx & CPUID81_EDX_NX)
		efer |= EFER_NXE;
	if (ext1->edx & CPUID81_EDX_FFXSR)
		efer |= EFER_FFXSR;
	if (ext1->ecx & CPUID81_ECX_TCE)
		efer |= EFER_TCE;
	if ((ext1->edx & CPUID81_EDX_LM) && !(ext8->ebx & CPUID88_EBX_NO_LMSLE))
		efer |= EFER_LMSLE;
	if (ext8->ebx & CPUID88_EBX_MCOMMIT)
		efer |= EFER_MCOMMIT;
	if (ext8->ebx & CPUID88_EBX_INT_WBINVD)
		efer |= EFER_INTWB;
	if (ext21->eax & CPUID821_EAX_UAI)
		efer |= EFER_UAIE;
	if (ext21->eax & CPUID821_EAX_AUTO_IBRS)
		efer |= EFER_AIBRSE;
	return efer;
}

u64 guard_feature_control(const struct cpuid_regs *leaf7, u64 mcg_cap)
{
	u64 fc = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE_SMX;

	if (leaf7->ebx & CPUID7_EBX_SGX)
		fc |= FEATURE_CONTROL_SGX;
	if (leaf7->ecx & CPUID7_ECX_SGX_LC)
		fc |= FEATURE_CONTROL_SGX_LC;
	if (mcg_cap & MCG_CAP_LMCE_P)
		fc |= FEATURE_CONTROL_LMCE;
	return fc;
}
