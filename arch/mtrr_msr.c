// SPDX-License-Identifier: MIT
/*
 * Reading the MTRR MSRs into a struct mtrr_state (include/arch/mtrr.h).
 * hv.efi only: the host tests link arch/mtrr.c and build their snapshots
 * by hand.
 */
#include "arch/cpuid.h"
#include "arch/mtrr.h"
#include "arch/x86.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "bug.h"
#include "compiler.h"

void mtrr_snapshot_read(struct mtrr_state *s, unsigned int phys_bits)
{
	unsigned int i, vcnt;

	BUG_ON(phys_bits < 32 || phys_bits > 52);
	memset(s, 0, sizeof(*s));
	s->phys_bits = phys_bits;
	s->supported = cpuid(1).edx & CPUID1_EDX_MTRR;
	if (!s->supported)
		return;
	s->cap = rdmsr_or_zero(MSR_IA32_MTRRCAP);
	s->def_type = rdmsr_or_zero(MSR_IA32_MTRR_DEF_TYPE);
	if (s->cap & MTRRCAP_FIX)
		for (i = 0; i < MTRR_NR_FIXED; i++)
			s->fixed[i] = rdmsr_or_zero(mtrr_fixed_msr[i]);
	vcnt = s->cap & MTRRCAP_VCNT_MASK;
	if (vcnt > MTRR_MAX_VAR)
		pr_warn("mtrr: %u variable pairs, only the first %u are followed\n",
			vcnt, MTRR_MAX_VAR);
	s->nr_var = MIN(vcnt, MTRR_MAX_VAR);
	for (i = 0; i < s->nr_var; i++) {
		s->var[i].base = rdmsr_or_zero(MSR_IA32_MTRR_PHYSBASE(i));
		s->var[i].mask = rdmsr_or_zero(MSR_IA32_MTRR_PHYSMASK(i));
	}
}
