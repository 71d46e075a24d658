// SPDX-License-Identifier: MIT
/*
 * Zapping: removing the mappings and markers of a GFN range from every
 * root, with one TLB flush for the whole call; the tables that fall out
 * are freed only after that flush and a quiescent state (the core's
 * tdp_set_spte_atomic() retires them).  A feature: it calls the core and
 * no other feature (mm/tdp_internal.h).
 */
#include "mm/tdp_mmu.h"
#include "tdp_internal.h"

/*
 * Clears the entry at it unless it is a table that reaches outside
 * [start, end) (the walk then goes into it).  Returns true when it removed
 * something.
 */
static bool zap_entry(struct tdp_op *op, struct tdp_iter *it, gfn_t start,
		      gfn_t end)
{
	const struct spte_format *fmt = op->mmu->fmt;

	for (;;) {
		u64 old = it->old_spte;

		if (!old || spte_is_frozen(old))
			return false;
		if (spte_is_table(fmt, old, it->level) &&
		    (it->gfn < start || it->gfn + tdp_level_pages(it->level) > end))
			return false;
		if (tdp_set_spte_atomic(op, it, 0)) {
			op->flush |= spte_is_mmu_present(old);
			return true;
		}
	}
}

static bool zap_root(struct tdp_op *op, struct tdp_root *root, gfn_t start,
		     gfn_t end)
{
	struct tdp_iter it;
	bool zapped = false;

	end = MIN(end, tdp_max_gfn(root->level));
	for_each_tdp_pte(it, op->mmu->fmt, root->pt, root->level, start, end) {
		if (tdp_op_cond_resched(op, &it))
			continue;
		zapped |= zap_entry(op, &it, start, end);
	}
	return zapped;
}

bool tdp_mmu_zap_range(struct tdp_vcpu *v, gfn_t start, gfn_t end)
{
	struct tdp_root *root;
	struct tdp_op op;
	bool zapped = false;

	tdp_op_init(&op, v);
	tdp_vcpu_read_lock(v);
	for_each_tdp_root(v->mmu, root)
		zapped |= zap_root(&op, root, start, end);
	tdp_op_flush_and_retire(&op);
	tdp_vcpu_read_unlock(v);
	return zapped;
}

bool tdp_mmu_zap_all(struct tdp_vcpu *v)
{
	return tdp_mmu_zap_range(v, 0, tdp_max_gfn(v->mmu->root_level));
}
