// SPDX-License-Identifier: MIT
/*
 * Access tracking: tests and clears the accessed state of the leaves of a
 * range, for working-set estimates, without the MMU lock.
 *
 * The walk enters only the read side's quiescent-state accounting
 * (tdp_qs_enter()): it neither waits for a writer nor keeps one out, and
 * it visits the roots it can take a reference on without a lock
 * (for_each_tdp_root_lockless()).  A table it reaches cannot be freed under
 * it: a zap retires unlinked tables until every vCPU on the read side has
 * left it, and the write side frees tables only of roots no one holds.
 *
 * With hardware A bits one atomic and-not clears A, and the value it
 * returns says whether the entry was a young leaf; it can neither fail nor
 * lose a dirty bit the hardware sets beside it.  Without A bits,
 * spte_make_old() parks the permissions (one compare-and-exchange, tried
 * again if the entry changed) and the next access faults; the fault path,
 * usually tdp_mmu_fast_fault(), restores them.  No TLB flush: a stale
 * translation only makes a page look idle a little longer.
 *
 * A feature: it calls the core and no other feature (mm/tdp_internal.h).
 */
#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"
#include "tdp_internal.h"

/* Sets the bits of young for the pages of [g, g + n) inside [start, end). */
static void mark_young(u64 *young, gfn_t start, gfn_t end, gfn_t g, u64 n)
{
	gfn_t a = MAX(g, start), b = MIN(g + n, end), i;

	for (i = a; i < b; i++)
		young[(i - start) / 64] |= BIT_ULL((i - start) % 64);
}

/*
 * Makes the entry at it old if it is a young leaf.  Returns true when it
 * was one (and is old now).
 */
static bool age_one(const struct spte_format *fmt, struct tdp_iter *it)
{
	u64 *sptep = tdp_iter_sptep(it);

	if (fmt->flags & SPTE_FMT_AD) {
		u64 old = tdp_leaf_clear_accessed(fmt, sptep);

		it->old_spte = old & ~fmt->accessed;
		return spte_is_present_leaf(fmt, old, it->level) && (old & fmt->accessed);
	}
	while (spte_is_present_leaf(fmt, it->old_spte, it->level) &&
	       spte_is_young(fmt, it->old_spte)) {
		u64 new = spte_make_old(fmt, it->old_spte);

		if (tdp_leaf_cmpxchg(fmt, sptep, it->old_spte, new)) {
			it->old_spte = new;
			return true;
		}
		it->old_spte = spte_read(sptep);
	}
	return false;
}

/*
 * At the top of the loop: if a writer waits for this vCPU's counter or the
 * CPU should yield, and the walk has advanced, leaves the read side and
 * enters it again (roots that lost their last user are reaped between).
 * Returns true when it did (the caller must `continue`).
 */
static bool age_cond_resched(struct tdp_vcpu *v, struct tdp_iter *it)
{
	if (tdp_iter_next_gfn(it) == it->yielded_gfn)
		return false;
	if (!__atomic_load_n(&v->mmu->writer, __ATOMIC_RELAXED) && !mm_should_yield())
		return false;
	tdp_vcpu_read_unlock(v);
	cpu_relax();
	tdp_qs_enter(v);
	stat_add(&v->mmu->stats.yields, 1);
	tdp_iter_yield(it);
	return true;
}

u64 tdp_mmu_age_range(struct tdp_vcpu *v, gfn_t start, gfn_t end, u64 *young)
{
	const struct spte_format *fmt = v->mmu->fmt;
	struct tdp_root *root;
	struct tdp_iter it;
	u64 i, n = 0;

	tdp_qs_enter(v);
	for_each_tdp_root_lockless(v->mmu, root) {
		for_each_tdp_pte(it, fmt, root->pt, root->level, start, end) {
			if (age_cond_resched(v, &it))
				continue;
			if (spte_is_present_leaf(fmt, it.old_spte, it.level) &&
			    spte_is_young(fmt, it.old_spte) && age_one(fmt, &it))
				mark_young(young, start, end, it.gfn,
					   tdp_level_pages(it.level));
		}
	}
	tdp_vcpu_read_unlock(v);
	for (i = 0; i < (end - start + 63) / 64; i++)
		for (u64 w = young[i]; w; w &= w - 1)	/* no libgcc popcount */
			n++;
	return n;
}
