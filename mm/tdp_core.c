// SPDX-License-Identifier: MIT
/*
 * The TDP MMU's core: the one function that changes a live entry, and what
 * a change has to account for (unlinked tables frozen and retired, dirty
 * bits that would vanish logged, dirty transfers); making a table where a
 * walk needs one; the largest level a GFN may map at; the per-vCPU page
 * cache.  It calls only mm/tdp_reclaim.c below it, never a feature (the
 * layers are in mm/tdp_internal.h, the invariants in docs/tdp-mmu.md).
 */
#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"
#include "tdp_internal.h"
#include "lib/string.h"
#include "bug.h"
#include "errcode.h"

/* ---- per-vCPU page cache ---- */

int tdp_cache_topup(struct tdp_vcpu *v, unsigned int min)
{
	BUG_ON(min > TDP_CACHE_PAGES);
	while (v->nr_cache < min) {
		void *page = mm_alloc_table_page();

		if (!page)
			return -ENOMEM;
		v->cache[v->nr_cache++] = page;
	}
	return 0;
}

void *tdp_cache_pop(struct tdp_vcpu *v)
{
	BUG_ON(v->nr_cache == 0);
	return v->cache[--v->nr_cache];
}

void tdp_cache_push(struct tdp_vcpu *v, void *page)
{
	BUG_ON(v->nr_cache >= TDP_CACHE_PAGES);
	v->cache[v->nr_cache++] = page;
}

/* ---- dirty pages that leave the tree ---- */

void tdp_slot_mark_dirty(struct mm_slot *slot, gfn_t gfn, u64 npages)
{
	gfn_t g = MAX(gfn, slot->base_gfn);
	gfn_t end = MIN(gfn + npages, mm_slot_end(slot));

	/* A ring slot has no bitmap: its pages go through tdp_vcpu_mark_dirty(). */
	BUG_ON(slot->dirty_harvest != TDP_HARVEST_BITMAP);

	for (; g < end; g++) {
		u64 i = g - slot->base_gfn;

		fetch_or64(&slot->dirty_bitmap[i / 64], BIT_ULL(i % 64));
	}
}

/*
 * Appends gfn to v's dirty ring.  Only v's own thread pushes, and the
 * vCPU stops at the soft limit (tdp_dirty_ring_check()), so the ring has
 * room: a full one means the caller ignored the check.
 */
static void ring_push(struct tdp_vcpu *v, gfn_t gfn)
{
	struct tdp_dirty_ring *ring = &v->ring;
	u64 tail = ring->tail;

	BUG_ON(!ring->gfns || tail - load_acquire64(&ring->head) >= ring->size);
	ring->gfns[tail & (ring->size - 1)] = gfn;
	store_release64(&ring->tail, tail + 1);
}

void tdp_vcpu_mark_dirty(struct tdp_vcpu *v, struct mm_slot *slot, gfn_t gfn)
{
	if (slot->dirty_harvest == TDP_HARVEST_RING)
		ring_push(v, gfn);
	else
		tdp_slot_mark_dirty(slot, gfn, 1);
}

/* Logs [gfn, gfn + npages) dirty in the D-bit-mode slots that hold it. */
static void mark_dirty_dbit(struct tdp_mmu *mmu, gfn_t gfn, u64 npages)
{
	unsigned int i;

	for (i = 0; i < TDP_MAX_LOG_SLOTS; i++) {
		struct mm_slot *slot = mmu->log_slots[i];

		if (slot && slot->dirty_mode == TDP_DIRTY_DBIT &&
		    gfn < mm_slot_end(slot) && gfn + npages > slot->base_gfn)
			tdp_slot_mark_dirty(slot, gfn, npages);
	}
}

/*
 * The counter goes up before the epoch is checked again (both sequentially
 * consistent), so a transfer that counted itself in an epoch a sync has
 * already flipped away from sees the flip, backs off and counts again.
 */
u64 tdp_dirty_xfer_begin(struct tdp_vcpu *v)
{
	struct tdp_mmu *mmu = v->mmu;
	u64 *xfer = mmu->qs_cpu[v->id].xfer;

	for (;;) {
		u64 e = __atomic_load_n(&mmu->dbit_epoch, __ATOMIC_SEQ_CST) & 1;

		atomic64_add_return(&xfer[e], 1);
		if ((__atomic_load_n(&mmu->dbit_epoch, __ATOMIC_SEQ_CST) & 1) == e)
			return e;
		atomic64_sub_return(&xfer[e], 1);
	}
}

void tdp_dirty_xfer_end(struct tdp_vcpu *v, u64 e)
{
	__atomic_sub_fetch(&v->mmu->qs_cpu[v->id].xfer[e], 1, __ATOMIC_RELEASE);
}

void tdp_dirty_sync(struct tdp_mmu *mmu)
{
	u64 old = __atomic_fetch_xor(&mmu->dbit_epoch, 1, __ATOMIC_SEQ_CST) & 1;
	u32 i, n = load_acquire32(&mmu->nr_vcpus);

	for (i = 0; i < n; i++)
		while (__atomic_load_n(&mmu->qs_cpu[i].xfer[old], __ATOMIC_ACQUIRE))
			cpu_relax();
}

/* ---- changing live entries ---- */

static void handle_changed_spte(struct tdp_op *op, gfn_t gfn, int level,
				u64 old, u64 new);

/* Queues pt (unlinked, every entry frozen) for freeing after the flush. */
static void retire_table(struct tdp_op *op, u64 *pt)
{
	if (op->nr_retired)
		store_release64(&op->retired_tail[0],
				SPTE_FROZEN_VALUE | mm_virt_to_phys(pt));
	else
		op->retired_head = pt;
	op->retired_tail = pt;
	op->nr_retired++;
	stat_add(&op->mmu->stats.tables_retired, 1);
}

/*
 * handle_removed_table() for a table of 4K entries, the bulk of any large
 * zap: nothing below to unlink, so one tight loop of exchanges, and the
 * dirty leaves (rare: only D-bit logging wants them) logged after it.
 */
static void freeze_leaf_table(struct tdp_op *op, u64 *pt, gfn_t base)
{
	const struct spte_format *fmt = op->mmu->fmt;
	u64 d = fmt->flags & SPTE_FMT_AD ? fmt->dirty : 0;
	u64 want = SPTE_MMU_PRESENT | d, dirty[SPTE_PER_TABLE / 64] = { 0 }, frozen = 0;
	unsigned int i, w;

	for (i = 0; i < SPTE_PER_TABLE; i++) {
		u64 old = xchg64(&pt[i], SPTE_FROZEN_VALUE);

		frozen |= old;
		dirty[i / 64] |= (u64)(d && (old & want) == want) << (i % 64);
	}
	BUG_ON(spte_is_frozen(frozen));
	for (w = 0; w < SPTE_PER_TABLE / 64; w++)
		for (; dirty[w]; dirty[w] &= dirty[w] - 1)
			mark_dirty_dbit(op->mmu, base + w * 64 + __builtin_ctzll(dirty[w]), 1);
	retire_table(op, pt);
}

/*
 * pt (entries at level, mapping from base) was unlinked by this op.  Each
 * entry is frozen by exchange, so a racing compare-and-exchange that still
 * targets it fails, and whatever it held is accounted for (lower tables
 * recursively).  The table is then retired.
 */
static void handle_removed_table(struct tdp_op *op, u64 *pt, int level,
				 gfn_t base)
{
	unsigned int i;

	if (level == TDP_LEVEL_4K) {
		freeze_leaf_table(op, pt, base);
		return;
	}
	for (i = 0; i < SPTE_PER_TABLE; i++) {
		u64 old = xchg64(&pt[i], SPTE_FROZEN_VALUE);

		BUG_ON(spte_is_frozen(old));
		handle_changed_spte(op, base + i * tdp_level_pages(level), level,
				    old, SPTE_FROZEN_VALUE);
	}
	retire_table(op, pt);
}

/* Did the hardware dirty bit of old leaf vanish with this change? */
static bool dirty_bit_lost(const struct spte_format *fmt, int level, u64 old,
			   u64 new)
{
	if (!(fmt->flags & SPTE_FMT_AD) || !(old & fmt->dirty))
		return false;
	if (spte_is_table(fmt, new, level))
		return false;	/* a split: the children keep the bit */
	/* Changed in place: the caller accounts for the bits it clears. */
	return !(spte_is_present_leaf(fmt, new, level) && spte_pfn(new) == spte_pfn(old));
}

static void handle_changed_spte(struct tdp_op *op, gfn_t gfn, int level,
				u64 old, u64 new)
{
	const struct spte_format *fmt = op->mmu->fmt;

	if (!spte_is_mmu_present(old))
		return;
	if (!spte_is_leaf(fmt, old, level)) {
		BUG_ON(spte_is_table(fmt, new, level) && spte_hpa(new) == spte_hpa(old));
		op->flush = true;
		handle_removed_table(op, mm_phys_to_virt(spte_hpa(old)), level - 1,
				     gfn);
		return;
	}
	if (dirty_bit_lost(fmt, level, old, new))
		mark_dirty_dbit(op->mmu, gfn, tdp_level_pages(level));
}

/* Can replacing old drop a hardware dirty bit a harvest has not seen? */
static bool may_drop_dirty(struct tdp_mmu *mmu, u64 old, int level)
{
	const struct spte_format *fmt = mmu->fmt;

	if (!(fmt->flags & SPTE_FMT_AD) || !__atomic_load_n(&mmu->nr_dbit_slots, __ATOMIC_RELAXED))
		return false;
	return spte_is_table(fmt, old, level) ||
	       (spte_is_present_leaf(fmt, old, level) && (old & fmt->dirty));
}

bool tdp_set_spte_atomic(struct tdp_op *op, struct tdp_iter *it, u64 new)
{
	u64 old = it->old_spte, e = 0;
	/* Under the write side no harvest runs: the bit is logged before it. */
	bool xfer = !op->exclusive && may_drop_dirty(op->mmu, old, it->level);

	BUG_ON(spte_is_frozen(old));
	if (xfer)
		e = tdp_dirty_xfer_begin(op->v);
	mm_race_point(tdp_iter_sptep(it), old, new);
	if (!try_cmpxchg64(tdp_iter_sptep(it), &it->old_spte, new)) {
		if (xfer)
			tdp_dirty_xfer_end(op->v, e);
		stat_add(&op->mmu->stats.retries, 1);
		return false;
	}
	handle_changed_spte(op, it->gfn, it->level, old, new);
	if (xfer)
		tdp_dirty_xfer_end(op->v, e);
	it->old_spte = new;
	return true;
}

/* The 4K leaf protected by clearing bits, parked rights included. */
static u64 leaf_clear(const struct spte_format *fmt, u64 old, u64 bits)
{
	if (unlikely(old & SPTE_ACC_TRACKED) && (bits & fmt->writable))
		old = spte_clear_writable(fmt, old);
	return old & ~bits;
}

u64 tdp_protect_leaf_table(struct tdp_op *op, u64 *pt, const u64 *mask, u64 bits)
{
	const struct spte_format *fmt = op->mmu->fmt;
	unsigned int w;
	u64 n = 0;

	for (w = 0; w < SPTE_PER_TABLE / 64; w++) {
		u64 m = mask ? mask[w] : ~0ULL;

		for (; m; m &= m - 1) {
			u64 *sptep = &pt[w * 64 + __builtin_ctzll(m)];
			u64 old = spte_read(sptep), new;

			/* Not MMU-present: empty, a marker, or frozen by an unlinker. */
			while (spte_is_mmu_present(old) && (new = leaf_clear(fmt, old, bits)) != old) {
				if (try_cmpxchg64(sptep, &old, new)) {
					n++;
					break;
				}
			}
		}
	}
	op->flush |= n != 0;
	return n;
}

void tdp_op_flush_and_retire(struct tdp_op *op)
{
	struct tdp_mmu *mmu = op->mmu;

	if (op->flush) {
		mmu->ops->flush_tlbs(mmu);
		stat_add(&mmu->stats.flushes, 1);
		op->flush = false;
	}
	if (!op->nr_retired)
		return;
	if (op->exclusive)
		tdp_free_retired(mmu, op->retired_head, op->nr_retired);
	else
		tdp_qs_retire(mmu, op->retired_head, op->retired_tail, op->nr_retired);
	op->nr_retired = 0;
}

/* ---- tables and levels ---- */

/*
 * The entry at it (above the target level) becomes a table: a new empty one
 * where there was nothing (or a marker), or the split of a huge leaf into
 * 512 leaves one level down with the same rights.  Returns 0 when it points
 * to a table, TDP_FAULT_RETRY when it is frozen.
 */
int tdp_make_table(struct tdp_op *op, struct tdp_iter *it)
{
	const struct spte_format *fmt = op->mmu->fmt;

	for (;;) {
		u64 old = it->old_spte, *pt;
		bool split = spte_is_present_leaf(fmt, old, it->level);
		unsigned int i;

		if (spte_is_frozen(old))
			return TDP_FAULT_RETRY;
		if (spte_is_table(fmt, old, it->level))
			return 0;
		pt = tdp_cache_pop(op->v);
		for (i = 0; split && i < SPTE_PER_TABLE; i++)
			pt[i] = spte_split_child(fmt, old, it->level, i);
		if (tdp_set_spte_atomic(op, it, spte_make_table(fmt, mm_virt_to_phys(pt)))) {
			stat_add(&op->mmu->stats.tables, 1);
			stat_add(&op->mmu->stats.splits, split);
			return 0;
		}
		if (split)
			memset(pt, 0, PAGE_SIZE);
		tdp_cache_push(op->v, pt);
	}
}

int tdp_max_mapping_level(const struct mm_slot *slot, gfn_t gfn,
			  const struct tdp_huge_policy *p, enum tdp_memtype *mt)
{
	int level = p && p->max_level ? p->max_level : TDP_MAX_HUGE_LEVEL;

	if (mm_slot_flags(slot) & MM_SLOT_SCRATCH) {
		/* One frame: no larger page maps it, and every gfn maps it WB
		 * (one host page with two memory types would be aliasing). */
		*mt = MT_WB;
		return TDP_LEVEL_4K;
	}
	for (level = MIN(level, TDP_MAX_HUGE_LEVEL); level > TDP_LEVEL_4K; level--) {
		gfn_t base = tdp_level_base(gfn, level);
		u64 n = tdp_level_pages(level);

		if (base < slot->base_gfn || base + n > mm_slot_end(slot))
			continue;
		if (!IS_ALIGNED(mm_slot_gfn_to_pfn(slot, base), n))
			continue;
		if (!p || !p->memtype) {
			*mt = MT_WB;
			return level;
		}
		if (p->memtype(p->memtype_ctx, base, n, mt))
			return level;
	}
	if (!p || !p->memtype || !p->memtype(p->memtype_ctx, gfn, 1, mt))
		*mt = MT_WB;
	return TDP_LEVEL_4K;
}
