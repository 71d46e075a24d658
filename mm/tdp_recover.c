// SPDX-License-Identifier: MIT
/*
 * The end of dirty logging, and huge pages recovered in place.
 *
 * Logging maps 4K only, so when it ends a slot's memory is mapped by
 * tables of 4K leaves (and 2M ones, from eager splits of 1G leaves).  The
 * recovery walks the slot at level 2, then at level 3, and replaces each
 * table that already maps its whole range the way one huge leaf would by
 * that huge leaf, with one compare-and-exchange on the parent entry:
 *
 *  - the policy lets the range map at that level (tdp_max_mapping_level():
 *    inside the slot, frames aligned, one memory type);
 *  - all 512 entries are present leaves; the first maps the range's first
 *    frame with the policy's memory type, and entry i maps the frame i
 *    pages on, with the same bits as the first apart from write permission
 *    and the A/D bits (access tracking undone);
 *  - the huge leaf is writable only if every entry was, and has A (young)
 *    and D if any entry had them.
 *
 * Anything else stays as it is: a fault into it maps huge again.  The
 * exchange unlinks the table, so the core freezes its entries (logging a
 * dirty leaf in any D-bit-mode slot that holds it, as for any table that
 * leaves the tree) and frees it after the flush and a quiescent state.
 *
 * The entries are read before the exchange, and may change in between:
 * hardware may set A or D bits (the huge leaf then lacks them: no slot
 * logs this range any more, and an A bit only ages), a fault may widen a
 * leaf (the huge leaf is then narrower: a write faults and widens it), and
 * a zap may clear a leaf (the huge leaf maps it again, as a fault racing
 * with that zap would; zaps that must stick are ordered against faults by
 * vm/).  A feature: it calls the core and no other feature.
 */
#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"
#include "tdp_internal.h"
#include "bug.h"
#include "errcode.h"

/* A leaf with access tracking undone (its rights back in place). */
static u64 untracked(const struct spte_format *fmt, u64 leaf)
{
	return leaf & SPTE_ACC_TRACKED ? spte_make_young(fmt, leaf) : leaf;
}

/*
 * The level-level leaf that maps what table pt (one level down) maps,
 * starting at frame pfn with memory type mt, or 0 when pt does not
 * qualify (see the top).
 */
static u64 huge_from_table(const struct spte_format *fmt, u64 *pt, int level, pfn_t pfn,
			   enum tdp_memtype mt)
{
	u64 mt_mask = fmt->memtype[MT_UC] | fmt->memtype[MT_WC] | fmt->memtype[MT_WT] |
		      fmt->memtype[MT_WP] | fmt->memtype[MT_WB];
	u64 var = fmt->writable | fmt->accessed | fmt->dirty;
	u64 step = pfn_to_hpa(tdp_level_pages(level - 1)), first, fixed, huge;
	u64 w = fmt->writable, ad = 0, young = 0;
	unsigned int i;

	first = spte_read(&pt[0]);
	if (!spte_is_present_leaf(fmt, first, level - 1))
		return 0;
	first = untracked(fmt, first);
	fixed = first & ~var;
	if (spte_pfn(first) != pfn || (first & mt_mask) != fmt->memtype[mt])
		return 0;
	for (i = 0; i < SPTE_PER_TABLE; i++) {
		u64 c = spte_read(&pt[i]), u;

		if (!spte_is_present_leaf(fmt, c, level - 1))
			return 0;
		u = untracked(fmt, c);
		if ((u & ~var) != fixed + i * step)
			return 0;
		w &= u;
		ad |= u;
		young |= spte_is_young(fmt, c);
	}
	huge = fixed | w | (ad & (fmt->accessed | fmt->dirty)) | fmt->large;
	if (!young && !(fmt->flags & SPTE_FMT_AD))
		huge = spte_make_old(fmt, huge);
	return huge;
}

/*
 * Replaces, in every root, each table at level (entries of level - 1)
 * under slot that qualifies by its huge leaf.  Returns how many it
 * replaced.
 */
static u64 recover_level(struct tdp_op *op, struct mm_slot *slot,
			 const struct tdp_huge_policy *p, int level)
{
	const struct spte_format *fmt = op->mmu->fmt;
	struct tdp_root *root;
	struct tdp_iter it;
	enum tdp_memtype mt;
	u64 n = 0;

	for_each_tdp_root(op->mmu, root) {
		for_each_tdp_pte_min_level(it, fmt, root->pt, root->level, level,
					   slot->base_gfn, mm_slot_end(slot)) {
			u64 huge, *pt;

			if (tdp_op_cond_resched(op, &it))
				continue;
			if (it.level != level || !(pt = tdp_spte_to_child(fmt, it.old_spte, level)))
				continue;
			if (tdp_max_mapping_level(slot, it.gfn, p, &mt) < level)
				continue;
			huge = huge_from_table(fmt, pt, level, mm_slot_gfn_to_pfn(slot, it.gfn), mt);
			if (huge && tdp_set_spte_atomic(op, &it, huge))
				n++;
		}
	}
	return n;
}

/* Unregisters slot; returns its bitmap (NULL for a ring slot). */
static int log_slot_unregister(struct tdp_mmu *mmu, struct mm_slot *slot, u64 **bm)
{
	unsigned int i;
	int ret = -EINVAL;

	tdp_mmu_write_lock(mmu);
	for (i = 0; i < TDP_MAX_LOG_SLOTS; i++) {
		if (mmu->log_slots[i] != slot)
			continue;
		mmu->log_slots[i] = NULL;
		if (slot->dirty_mode == TDP_DIRTY_DBIT)
			__atomic_sub_fetch(&mmu->nr_dbit_slots, 1, __ATOMIC_RELAXED);
		if (slot->dirty_mode == TDP_DIRTY_PML)
			__atomic_sub_fetch(&mmu->nr_pml_slots, 1, __ATOMIC_RELAXED);
		__atomic_and_fetch(&slot->flags, ~MM_SLOT_DIRTY_LOG, __ATOMIC_RELAXED);
		*bm = slot->dirty_bitmap;
		slot->dirty_bitmap = NULL;
		ret = 0;
	}
	tdp_mmu_write_unlock(mmu);
	return ret;
}

int tdp_dirty_log_disable(struct tdp_vcpu *v, struct mm_slot *slot,
			  const struct tdp_huge_policy *p)
{
	struct tdp_op op;
	u64 *bm = NULL, n;
	int level;

	if (log_slot_unregister(v->mmu, slot, &bm))
		return -EINVAL;
	if (bm)
		mm_free_bitmap(bm, mm_slot_bitmap_bytes(slot->npages));
	tdp_op_init(&op, v);
	tdp_vcpu_read_lock(v);
	for (level = TDP_LEVEL_2M; level <= TDP_MAX_HUGE_LEVEL; level++) {
		n = recover_level(&op, slot, p, level);
		stat_add(&v->mmu->stats.recovered, n);
	}
	tdp_op_flush_and_retire(&op);
	tdp_vcpu_read_unlock(v);
	return 0;
}
