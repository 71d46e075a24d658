// SPDX-License-Identifier: MIT
/*
 * Access tracking: tests and clears the accessed state of the leaves of a
 * range, for working-set estimates.  With hardware A bits it clears A;
 * without them spte_make_old() parks the permissions and the next access
 * faults (the fault path restores them).  No TLB flush: a stale
 * translation only makes a page look idle a little longer.  A feature: it
 * calls the core and no other feature (mm/tdp_internal.h).
 */
#include "mm/tdp_mmu.h"
#include "tdp_internal.h"
/* Sets the bits of young for the pages of [g, g + n) inside [start, end). */
static void mark_young(u64 *young, gfn_t start, gfn_t end, gfn_t g, u64 n)
{
	gfn_t a = MAX(g, start), b = MIN(g + n, end), i;

	for (i = a; i < b; i++)
		young[(i - start) / 64] |= BIT_ULL((i - start) % 64);
}

u64 tdp_mmu_age_range(struct tdp_vcpu *v, gfn_t start, gfn_t end, u64 *young)
{
	const struct spte_format *fmt = v->mmu->fmt;
	struct tdp_root *root;
	struct tdp_iter it;
	struct tdp_op op;
	u64 i, n = 0;

	tdp_op_init(&op, v);
	tdp_vcpu_read_lock(v);
	for_each_tdp_root(v->mmu, root) {
		for_each_tdp_pte(it, fmt, root->pt, root->level, start, end) {
			if (tdp_op_cond_resched(&op, &it))
				continue;
			while (spte_is_present_leaf(fmt, it.old_spte, it.level) &&
			       spte_is_young(fmt, it.old_spte)) {
				if (!tdp_set_spte_atomic(&op, &it,
							 spte_make_old(fmt, it.old_spte)))
					continue;
				mark_young(young, start, end, it.gfn,
					   tdp_level_pages(it.level));
			}
		}
	}
	tdp_op_flush_and_retire(&op);
	tdp_vcpu_read_unlock(v);
	for (i = 0; i < (end - start + 63) / 64; i++)
		for (u64 w = young[i]; w; w &= w - 1)	/* no libgcc popcount */
			n++;
	return n;
}
