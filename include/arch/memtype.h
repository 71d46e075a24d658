/* SPDX-License-Identifier: MIT */
/*
 * x86 memory types with their architectural encodings: the values of an
 * MTRR type field, of an IA32_PAT entry and of the EPT leaf's memory-type
 * field (SDM vol. 3A, "Memory Type Range Registers (MTRRs)" and "Page
 * Attribute Table (PAT)").  2 and 3 are reserved everywhere; 7 is UC- in
 * the PAT and reserved in an MTRR, so it is not listed.
 *
 * arch/ answers in these.  mm/ describes what a TDP leaf encodes in its own
 * enum tdp_memtype, and the code that joins the two (vm/platform.c) converts.
 */
#ifndef TDPVISOR_ARCH_MEMTYPE_H
#define TDPVISOR_ARCH_MEMTYPE_H

#include "types.h"

enum x86_memtype {
	X86_MT_UC = 0,		/* uncacheable */
	X86_MT_WC = 1,		/* write combining */
	X86_MT_WT = 4,		/* write-through */
	X86_MT_WP = 5,		/* write-protected */
	X86_MT_WB = 6,		/* write-back */
};

/* True for the encodings above, false for a reserved value. */
static inline bool x86_memtype_defined(u64 t)
{
	return t == X86_MT_UC || t == X86_MT_WC || t == X86_MT_WT ||
	       t == X86_MT_WP || t == X86_MT_WB;
}

/* "UC", "WC", "WT", "WP", "WB", or "??" for a reserved value. */
static inline const char *x86_memtype_name(u64 t)
{
	switch (t) {
	case X86_MT_UC:
		return "UC";
	case X86_MT_WC:
		return "WC";
	case X86_MT_WT:
		return "WT";
	case X86_MT_WP:
		return "WP";
	case X86_MT_WB:
		return "WB";
	default:
		return "??";
	}
}

#endif
