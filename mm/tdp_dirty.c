// SPDX-License-Identifier: MIT
/*
 * Dirty logging (KVM's GET/CLEAR_DIRTY_LOG semantics).
 *
 * The promise: a page written after it was last cleared is reported by the
 * next tdp_dirty_log_get().  How each mode keeps it:
 *
 *  - TDP_DIRTY_WP: every leaf of a logging slot is write-protected unless
 *    its bit is set (or about to be: a fault makes the leaf writable first,
 *    then sets the bit, so a harvest in between leaves the leaf writable and
 *    the bit for the next harvest).  Clearing a bit write-protects the page
 *    and flushes before returning, so no stale writable TLB entry survives.
 *  - TDP_DIRTY_DBIT: 4K leaves stay writable and the hardware sets their
 *    dirty bit.  A harvest moves dirty bits into the bitmap, then flushes
 *    before it reports: a CPU may cache "dirty" in its TLB and write without
 *    touching the entry again, but only until that flush, and such a page
 *    was reported (its bit was seen set).  A dirty leaf that is zapped or
 *    replaced logs itself (handle_changed_spte), and the harvest waits for
 *    such transfers that began before its walk ended (tdp_dirty_sync()), so
 *    a write cannot be in neither the tree nor the bitmap when it looks.
 *  - TDP_DIRTY_PML: leaves are prepared as in D-bit mode, and the CPU
 *    appends the GPA to the vCPU's page-modification log whenever it sets a
 *    dirty bit.  A harvest first has the vendor drain those logs into the
 *    bitmap (ops->flush_dirty_logs), then reads the bitmap, then clears the
 *    dirty bits of the pages it reported (so their next write is logged
 *    again), then flushes before it reports, as in D-bit mode.  A page
 *    whose dirty bit stays set was reported and not yet cleared, or its GPA
 *    still waits in a log that the next harvest drains; so the walk covers
 *    only reported pages, not the whole slot.
 *
 * Huge leaves: logging maps 4K only; huge leaves are write-protected at
 * enable (or split eagerly), so a write splits them in the fault path.
 * Disabling (mm/tdp_recover.c) puts huge leaves back in place.  Calls for
 * one slot are serialised by the caller (vm/'s slot lock).
 *
 * Bulk: enable, get and clear stop their walks at the 4K tables and
 * protect each table's leaves in one loop (tdp_protect_leaf_table()); the
 * bitmap is read and cleared a word at a time.  A TDP_DIRTY_RING slot has
 * no bitmap: its pages go to the writing vCPU's ring (mm/tdp_ring.c).
 *
 * A feature: it calls the core and no other feature (mm/tdp_internal.h).
 * Pages whose dirty bit leaves the tree with a zap or a replacement are
 * logged by the core (tdp_set_spte_atomic()), not here.
 */
#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"
#include "tdp_internal.h"
#include "bug.h"
#include "errcode.h"

void tdp_dirty_log_mark(struct tdp_mmu *mmu, gfn_t gfn)
{
	unsigned int i;

	for (i = 0; i < TDP_MAX_LOG_SLOTS; i++) {
		struct mm_slot *slot = __atomic_load_n(&mmu->log_slots[i], __ATOMIC_ACQUIRE);

		if (slot && slot->dirty_mode == TDP_DIRTY_PML && mm_slot_contains(slot, gfn)) {
			tdp_slot_mark_dirty(slot, gfn, 1);
			return;
		}
	}
}

/* The leaf as logging in mode wants it after a clear. */
static u64 protected_leaf(const struct spte_format *fmt, u64 leaf, int level,
			  enum tdp_dirty_mode mode)
{
	if (mode == TDP_DIRTY_WP || level > TDP_LEVEL_4K)
		leaf = spte_clear_writable(fmt, leaf);
	if (mode == TDP_DIRTY_DBIT || mode == TDP_DIRTY_PML)
		leaf &= ~fmt->dirty;
	return leaf;
}

/* Bits [off, off + n) of mask (0 < n <= 64), as the low bits of a word. */
static u64 mask_bits(const u64 *mask, u64 off, u64 n)
{
	u64 w = mask[off / 64] >> (off % 64);

	if (off % 64 && off % 64 + n > 64)
		w |= mask[off / 64 + 1] << (64 - off % 64);
	return n == 64 ? w : w & (BIT_ULL(n) - 1);
}

/*
 * The entries of the 4K table mapping from g0 that lie in [start, end)
 * and (mask not NULL) whose page, relative to base, is set in mask.
 * Returns false when there is none.
 */
static bool table_mask(u64 out[SPTE_PER_TABLE / 64], gfn_t g0, gfn_t start, gfn_t end,
		       const u64 *mask, gfn_t base)
{
	u64 any = 0;
	unsigned int k;

	for (k = 0; k < SPTE_PER_TABLE / 64; k++) {
		gfn_t lo = MAX(g0 + 64 * k, start), hi = MIN(g0 + 64 * k + 64, end);
		u64 n = hi - lo;

		out[k] = 0;
		if (lo >= hi)
			continue;
		out[k] = mask ? mask_bits(mask, lo - base, n) : n == 64 ? ~0ULL : BIT_ULL(n) - 1;
		out[k] <<= lo - (g0 + 64 * k);
		any |= out[k];
	}
	return any != 0;
}

/* Protects the huge leaf at it. */
static void protect_huge(struct tdp_op *op, struct tdp_iter *it, enum tdp_dirty_mode mode)
{
	const struct spte_format *fmt = op->mmu->fmt;

	while (spte_is_present_leaf(fmt, it->old_spte, it->level)) {
		u64 new = protected_leaf(fmt, it->old_spte, it->level, mode);

		if (new == it->old_spte)
			break;
		if (tdp_set_spte_atomic(op, it, new)) {
			op->flush = true;
			break;
		}
	}
}

/*
 * Protects, in every root, the leaves meeting [start, end) whose page
 * (relative to base) is set in mask (NULL: all).  Huge leaves are always
 * protected.  The walk stops at the 4K tables and protects each one's
 * leaves in one tight loop (tdp_protect_leaf_table()).  Owes a flush when
 * it changed anything.
 */
static void protect_range(struct tdp_op *op, gfn_t start, gfn_t end,
			  enum tdp_dirty_mode mode, const u64 *mask, gfn_t base)
{
	const struct spte_format *fmt = op->mmu->fmt;
	u64 bits = mode == TDP_DIRTY_WP ? fmt->writable : fmt->dirty;
	u64 m[SPTE_PER_TABLE / 64];
	struct tdp_root *root;
	struct tdp_iter it;

	for_each_tdp_root(op->mmu, root) {
		for_each_tdp_pte_min_level(it, fmt, root->pt, root->level, TDP_LEVEL_2M,
					   start, end) {
			u64 *pt;

			if (tdp_op_cond_resched(op, &it))
				continue;
			if (spte_is_present_leaf(fmt, it.old_spte, it.level)) {
				protect_huge(op, &it, mode);
				continue;
			}
			pt = it.level == TDP_LEVEL_2M ? tdp_spte_to_child(fmt, it.old_spte, it.level) : NULL;
			if (pt && table_mask(m, it.gfn, start, end, mask, base))
				tdp_protect_leaf_table(op, pt, m, bits);
		}
	}
}

/*
 * Splits every huge leaf of [start, end) down to 4K, in every root.
 * Best effort: stops at the first page it cannot allocate (the huge leaves
 * left are write-protected instead).
 */
static void split_range(struct tdp_op *op, gfn_t start, gfn_t end)
{
	const struct spte_format *fmt = op->mmu->fmt;
	struct tdp_root *root;
	struct tdp_iter it;

	for_each_tdp_root(op->mmu, root) {
		for_each_tdp_pte_min_level(it, fmt, root->pt, root->level,
					   TDP_LEVEL_2M, start, end) {
			if (tdp_op_cond_resched(op, &it))
				continue;
			if (!spte_is_present_leaf(fmt, it.old_spte, it.level) ||
			    it.level == TDP_LEVEL_4K)
				continue;
			if (tdp_cache_topup(op->v, 1)) {
				tdp_root_put_locked(op->mmu, root);
				return;
			}
			tdp_make_table(op, &it);
		}
	}
}

/* Registers slot for logging in mode with bitmap bm.  Returns 0 or -ENOSPC. */
static int log_slot_register(struct tdp_mmu *mmu, struct mm_slot *slot,
			     enum tdp_dirty_mode mode, u32 flags, u64 *bm)
{
	unsigned int i;
	int ret = -ENOSPC;

	tdp_mmu_write_lock(mmu);
	for (i = 0; i < TDP_MAX_LOG_SLOTS; i++) {
		if (mmu->log_slots[i])
			continue;
		slot->dirty_bitmap = bm;
		slot->dirty_mode = mode;
		slot->dirty_harvest = flags & TDP_DIRTY_RING ? TDP_HARVEST_RING :
							       TDP_HARVEST_BITMAP;
		__atomic_or_fetch(&slot->flags, MM_SLOT_DIRTY_LOG, __ATOMIC_RELAXED);
		mmu->log_slots[i] = slot;
		if (mode == TDP_DIRTY_DBIT)
			__atomic_add_fetch(&mmu->nr_dbit_slots, 1, __ATOMIC_RELAXED);
		if (mode == TDP_DIRTY_PML)
			__atomic_add_fetch(&mmu->nr_pml_slots, 1, __ATOMIC_RELAXED);
		ret = 0;
		break;
	}
	tdp_mmu_write_unlock(mmu);
	return ret;
}

int tdp_dirty_log_enable(struct tdp_vcpu *v, struct mm_slot *slot,
			 enum tdp_dirty_mode mode, u32 flags)
{
	u64 bytes = mm_slot_bitmap_bytes(slot->npages);
	struct tdp_op op;
	u64 *bm = NULL;
	int ret;

	if (mode >= TDP_DIRTY_NR)
		return -EINVAL;
	if (mode != TDP_DIRTY_WP && !(v->mmu->fmt->flags & SPTE_FMT_AD))
		return -EOPNOTSUPP;
	if (mode == TDP_DIRTY_PML && !v->mmu->ops->flush_dirty_logs)
		return -EOPNOTSUPP;
	/* Only faults fill rings: D bits and PML logs have no vCPU to name. */
	if ((flags & TDP_DIRTY_RING) && mode != TDP_DIRTY_WP)
		return -EOPNOTSUPP;
	if (mm_slot_flags(slot) & MM_SLOT_DIRTY_LOG)
		return -EBUSY;
	if (!(flags & TDP_DIRTY_RING)) {
		bm = mm_alloc_bitmap(bytes);
		if (!bm)
			return -ENOMEM;
	}
	ret = log_slot_register(v->mmu, slot, mode, flags, bm);
	if (ret) {
		if (bm)
			mm_free_bitmap(bm, bytes);
		return ret;
	}
	tdp_op_init(&op, v);
	tdp_vcpu_read_lock(v);
	if (flags & TDP_DIRTY_EAGER_SPLIT)
		split_range(&op, slot->base_gfn, mm_slot_end(slot));
	protect_range(&op, slot->base_gfn, mm_slot_end(slot), mode, NULL, 0);
	tdp_op_flush_and_retire(&op);
	tdp_vcpu_read_unlock(v);
	return 0;
}

/* Moves the dirty bits of slot's leaves into its bitmap (D-bit mode). */
static void harvest_dirty_bits(struct tdp_op *op, struct mm_slot *slot)
{
	const struct spte_format *fmt = op->mmu->fmt;
	struct tdp_root *root;
	struct tdp_iter it;

	for_each_tdp_root(op->mmu, root) {
		for_each_tdp_pte(it, fmt, root->pt, root->level, slot->base_gfn,
				 mm_slot_end(slot)) {
			if (tdp_op_cond_resched(op, &it))
				continue;
			while (spte_is_present_leaf(fmt, it.old_spte, it.level) &&
			       (it.old_spte & fmt->dirty)) {
				if (!tdp_set_spte_atomic(op, &it, it.old_spte & ~fmt->dirty))
					continue;
				tdp_slot_mark_dirty(slot, it.gfn, tdp_level_pages(it.level));
				op->flush = true;
			}
		}
	}
}

int tdp_dirty_log_get(struct tdp_vcpu *v, struct mm_slot *slot, u64 *out,
		      bool clear)
{
	u64 w, words = mm_slot_bitmap_bytes(slot->npages) / sizeof(u64);
	u64 *bm = slot->dirty_bitmap;
	struct tdp_op op;

	if (!(mm_slot_flags(slot) & MM_SLOT_DIRTY_LOG) || slot->dirty_harvest != TDP_HARVEST_BITMAP)
		return -EINVAL;
	tdp_op_init(&op, v);
	tdp_vcpu_read_lock(v);
	if (slot->dirty_mode == TDP_DIRTY_DBIT)
		harvest_dirty_bits(&op, slot);
	if (slot->dirty_mode == TDP_DIRTY_PML)
		v->mmu->ops->flush_dirty_logs(v->mmu);
	tdp_dirty_sync(v->mmu);
	/* A word at a time; a clear word costs no atomic. */
	for (w = 0; w < words; w++) {
		out[w] = load_acquire64(&bm[w]);
		if (clear && out[w])
			out[w] = xchg64(&bm[w], 0);
	}
	/*
	 * Each page is re-protected after its bit was taken (a write that
	 * faults in between sets the bit again for the next call); DBIT: the
	 * walk cleaned.
	 */
	if (clear && slot->dirty_mode != TDP_DIRTY_DBIT)
		protect_range(&op, slot->base_gfn, mm_slot_end(slot), slot->dirty_mode, out,
			      slot->base_gfn);
	tdp_op_flush_and_retire(&op);	/* before the report: see the top */
	tdp_vcpu_read_unlock(v);
	return 0;
}

int tdp_dirty_log_clear(struct tdp_vcpu *v, struct mm_slot *slot, u64 first,
			u64 npages, const u64 *mask)
{
	struct tdp_op op;
	u64 w;

	if (!(mm_slot_flags(slot) & MM_SLOT_DIRTY_LOG) || first % 64 ||
	    first > slot->npages || npages > slot->npages - first ||
	    slot->dirty_harvest != TDP_HARVEST_BITMAP)
		return -EINVAL;
	tdp_op_init(&op, v);
	tdp_vcpu_read_lock(v);
	for (w = 0; w * 64 < npages; w++) {
		u64 m = mask[w];

		if (npages - w * 64 < 64)
			m &= BIT_ULL(npages - w * 64) - 1;
		if (m)
			fetch_and64(&slot->dirty_bitmap[first / 64 + w], ~m);
	}
	/* After the bits, as in tdp_dirty_log_get(). */
	protect_range(&op, slot->base_gfn + first, slot->base_gfn + first + npages,
		      slot->dirty_mode, mask, slot->base_gfn + first);
	tdp_op_flush_and_retire(&op);
	tdp_vcpu_read_unlock(v);
	return 0;
}
