/* SPDX-License-Identifier: MIT */
/*
 * A software stand-in for the CPU's two-dimensional page walker, for the
 * host tests: it walks a root the way the hardware does (only the hardware
 * present and permission bits count), and sets accessed and dirty bits with
 * an atomic compare-and-exchange, as the hardware's locked update does.
 * The caller is on the MMU's read side (a vCPU running in the guest).
 */
#ifndef TDPVISOR_TEST_TDP_HW_H
#define TDPVISOR_TEST_TDP_HW_H

#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"

enum hw_result { HW_OK, HW_FAULT };


/*
 * Checks the leaf's permissions and sets A (and D for a write) atomically,
 * as the hardware does: if the entry changed meanwhile, it is checked
 * again.  Returns false when the access must fault.
 */
static inline bool hw_leaf_access(const struct spte_format *fmt, u64 *sptep,
				  u64 spte, bool write)
{
	u64 bits = fmt->accessed | (write ? fmt->dirty : 0);

	for (;;) {
		if (!(spte & fmt->hw_present) || !(spte & fmt->readable) ||
		    (write && !(spte & fmt->writable)))
			return false;
		if (!(fmt->flags & SPTE_FMT_AD) || (spte & bits) == bits)
			return true;
		if (__atomic_compare_exchange_n(sptep, &spte, spte | bits, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return true;
	}
}

/* One guest access to gfn.  *pfn receives the frame it reached. */
static inline enum hw_result hw_access(const struct spte_format *fmt,
				       struct tdp_root *root, gfn_t gfn,
				       bool write, pfn_t *pfn)
{
	u64 *pt = root->pt;
	int level;

	for (level = root->level; level >= 1; level--) {
		u64 *sptep = &pt[tdp_level_index(gfn, level)];
		u64 spte = __atomic_load_n(sptep, __ATOMIC_ACQUIRE);

		if (!(spte & fmt->hw_present))
			return HW_FAULT;
		if (level > 1 && !(spte & fmt->large)) {
			pt = mm_phys_to_virt(spte_hpa(spte));
			continue;
		}
		if (!hw_leaf_access(fmt, sptep, spte, write))
			return HW_FAULT;
		*pfn = spte_pfn(spte) + (gfn & (tdp_level_pages(level) - 1));
		return HW_OK;
	}
	return HW_FAULT;
}

#endif
