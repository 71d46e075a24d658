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
 * Disabling zaps the tables under ranges that could map huge again.
 * Calls for one slot are serialised by the caller (vm/'s slot lock).
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

static bool mask_test(const u64 *mask, u64 i)
{
	return mask[i / 64] & BIT_ULL(i % 64);
}

/*
 * Protects, in every root, the leaves meeting [start, end) whose page
 * (relative to base) is set in mask (NULL: all).  Huge leaves are always
 * protected.  Owes a flush when it changed anything.
 */
static void protect_range(struct tdp_op *op, gfn_t start, gfn_t end,
			  enum tdp_dirty_mode mode, const u64 *mask, gfn_t base)
{
	const struct spte_format *fmt = op->mmu->fmt;
	struct tdp_root *root;
	struct tdp_iter it;

	for_each_tdp_root(op->mmu, root) {
		for_each_tdp_pte(it, fmt, root->pt, root->level, start, end) {
			if (tdp_op_cond_resched(op, &it))
				continue;
			if (mask && it.level == TDP_LEVEL_4K && !mask_test(mask, it.gfn - base))
				continue;
			while (spte_is_present_leaf(fmt, it.old_spte, it.level)) {
				u64 new = protected_leaf(fmt, it.old_spte, it.level, mode);

				if (new == it.old_spte)
					break;
				if (tdp_set_spte_atomic(op, &it, new)) {
					op->flush = true;
					break;
				}
			}
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
			     enum tdp_dirty_mode mode, u64 *bm)
{
	unsigned int i;
	int ret = -ENOSPC;

	tdp_mmu_write_lock(mmu);
	for (i = 0; i < TDP_MAX_LOG_SLOTS; i++) {
		if (mmu->log_slots[i])
			continue;
		slot->dirty_bitmap = bm;
		slot->dirty_mode = mode;
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
	u64 *bm;
	int ret;

	if (mode >= TDP_DIRTY_NR)
		return -EINVAL;
	if (mode != TDP_DIRTY_WP && !(v->mmu->fmt->flags & SPTE_FMT_AD))
		return -EOPNOTSUPP;
	if (mode == TDP_DIRTY_PML && !v->mmu->ops->flush_dirty_logs)
		return -EOPNOTSUPP;
	if (mm_slot_flags(slot) & MM_SLOT_DIRTY_LOG)
		return -EBUSY;
	bm = mm_alloc_bitmap(bytes);
	if (!bm)
		return -ENOMEM;
	ret = log_slot_register(v->mmu, slot, mode, bm);
	if (ret) {
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

/* Re-protects (WP: clears W; DBIT, PML: clears D) the pages of word w set in m. */
static void protect_word(struct tdp_op *op, struct mm_slot *slot, u64 w,
			 const u64 *m)
{
	gfn_t base = slot->base_gfn + w * 64;
	u64 word = m[0];

	if (!word)
		return;
	protect_range(op, base + __builtin_ctzll(word),
		      base + 64 - __builtin_clzll(word), slot->dirty_mode, m,
		      base);
}

int tdp_dirty_log_get(struct tdp_vcpu *v, struct mm_slot *slot, u64 *out,
		      bool clear)
{
	u64 w, words = mm_slot_bitmap_bytes(slot->npages) / sizeof(u64);
	struct tdp_op op;

	if (!(mm_slot_flags(slot) & MM_SLOT_DIRTY_LOG))
		return -EINVAL;
	tdp_op_init(&op, v);
	tdp_vcpu_read_lock(v);
	if (slot->dirty_mode == TDP_DIRTY_DBIT)
		harvest_dirty_bits(&op, slot);
	if (slot->dirty_mode == TDP_DIRTY_PML)
		v->mmu->ops->flush_dirty_logs(v->mmu);
	tdp_dirty_sync(v->mmu);
	for (w = 0; w < words; w++) {
		if (!clear) {
			out[w] = load_acquire64(&slot->dirty_bitmap[w]);
			continue;
		}
		out[w] = xchg64(&slot->dirty_bitmap[w], 0);
		if (slot->dirty_mode != TDP_DIRTY_DBIT)	/* DBIT: the walk cleaned */
			protect_word(&op, slot, w, &out[w]);
	}
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
	    first > slot->npages || npages > slot->npages - first)
		return -EINVAL;
	tdp_op_init(&op, v);
	tdp_vcpu_read_lock(v);
	for (w = 0; w * 64 < npages; w++) {
		u64 m = mask[w];

		if (npages - w * 64 < 64)
			m &= BIT_ULL(npages - w * 64) - 1;
		if (!m)
			continue;
		fetch_and64(&slot->dirty_bitmap[first / 64 + w], ~m);
		protect_word(&op, slot, first / 64 + w, &m);
	}
	tdp_op_flush_and_retire(&op);
	tdp_vcpu_read_unlock(v);
	return 0;
}

/* Unregisters slot; returns its bitmap, or NULL if it was not logging. */
static u64 *log_slot_unregister(struct tdp_mmu *mmu, struct mm_slot *slot)
{
	u64 *bm = NULL;
	unsigned int i;

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
		bm = slot->dirty_bitmap;
		slot->dirty_bitmap = NULL;
	}
	tdp_mmu_write_unlock(mmu);
	return bm;
}

/*
 * Zaps, in every root, each table of slot whose range p would let map as
 * one huge leaf, so that the next fault there maps huge again.
 */
static void collapse_range(struct tdp_op *op, struct mm_slot *slot,
			   const struct tdp_huge_policy *p)
{
	const struct spte_format *fmt = op->mmu->fmt;
	struct tdp_root *root;
	struct tdp_iter it;
	enum tdp_memtype mt;

	for_each_tdp_root(op->mmu, root) {
		for_each_tdp_pte_min_level(it, fmt, root->pt, root->level,
					   TDP_LEVEL_2M, slot->base_gfn,
					   mm_slot_end(slot)) {
			if (tdp_op_cond_resched(op, &it))
				continue;
			if (it.level > TDP_MAX_HUGE_LEVEL ||
			    !spte_is_table(fmt, it.old_spte, it.level) ||
			    tdp_max_mapping_level(slot, it.gfn, p, &mt) < it.level)
				continue;
			while (spte_is_table(fmt, it.old_spte, it.level) &&
			       !tdp_set_spte_atomic(op, &it, 0))
				;
		}
	}
}

int tdp_dirty_log_disable(struct tdp_vcpu *v, struct mm_slot *slot,
			  const struct tdp_huge_policy *p)
{
	u64 *bm = log_slot_unregister(v->mmu, slot);
	struct tdp_op op;

	if (!bm)
		return -EINVAL;
	mm_free_bitmap(bm, mm_slot_bitmap_bytes(slot->npages));
	tdp_op_init(&op, v);
	tdp_vcpu_read_lock(v);
	collapse_range(&op, slot, p);
	tdp_op_flush_and_retire(&op);
	tdp_vcpu_read_unlock(v);
	return 0;
}
