// SPDX-License-Identifier: MIT
/*
 * The TDP fault handler and MMIO markers.
 *
 * Check, then act: the page size and memory type are chosen and the vCPU's
 * page cache is filled before the MMU lock is taken; the walk under the
 * read side then cannot fail half-way.  It goes from the root to the
 * target level, linking a new table where an entry is empty and splitting a
 * huge leaf that is in the way, and installs the leaf by compare-and-
 * exchange.  A lost race re-reads the entry and tries again; a frozen entry
 * (a table being torn down) ends the fault with TDP_FAULT_RETRY.
 *
 * A feature: it calls the core (tdp_max_mapping_level(), tdp_make_table(),
 * tdp_set_spte_atomic() and the page cache) and no other feature
 * (mm/tdp_internal.h).
 */
#include "mm/tdp_mmu.h"
#include "tdp_internal.h"
#include "bug.h"
#include "errcode.h"

/* Rights of a new leaf: read, execute unless NOEXEC, write unless logging holds it back. */
static u32 new_leaf_access(const struct tdp_fault *f)
{
	const struct mm_slot *slot = f->slot;
	u32 acc = TDP_ACC_R;

	u32 flags = mm_slot_flags(slot);

	if (!(flags & MM_SLOT_NOEXEC))
		acc |= TDP_ACC_X;
	if (!(flags & MM_SLOT_READONLY) &&
	    (!(flags & MM_SLOT_DIRTY_LOG) || (f->access & TDP_ACC_W)))
		acc |= TDP_ACC_W;
	return acc;
}

/*
 * The value that should replace old, a present leaf at the target level
 * mapping the right frame, so that the faulting access succeeds: made
 * young again (access tracking) and writable if the write was refused.
 * Returns old itself when nothing is missing (a spurious fault).
 */
static u64 widen_leaf(const struct spte_format *fmt, const struct tdp_fault *f,
		      u64 old)
{
	u64 new = spte_make_young(fmt, old);

	if ((f->access & TDP_ACC_W) && !spte_is_writable(fmt, new) &&
	    (new & SPTE_MMU_WRITABLE))
		new = spte_set_writable(fmt, new);
	if (new != old && (fmt->flags & SPTE_FMT_AD))
		new |= fmt->accessed;
	return new;
}

/* The leaf for f at level, or (no slot) an MMIO marker; old is the entry now. */
static u64 target_spte(struct tdp_op *op, const struct tdp_fault *f, int level,
		       enum tdp_memtype mt, u64 old)
{
	const struct spte_format *fmt = op->mmu->fmt;
	pfn_t pfn;
	u64 new;

	if (!f->slot)
		return spte_make_mmio(__atomic_load_n(&op->mmu->mmio_gen, __ATOMIC_ACQUIRE));
	pfn = mm_slot_gfn_to_pfn(f->slot, tdp_level_base(f->gfn, level));
	if (spte_is_present_leaf(fmt, old, level) && spte_pfn(old) == pfn)
		return widen_leaf(fmt, f, old);
	new = spte_make_leaf(fmt, pfn, level, new_leaf_access(f), mt,
			     !(mm_slot_flags(f->slot) & MM_SLOT_READONLY));
	if (fmt->flags & SPTE_FMT_AD)
		new |= fmt->accessed;	/* the access is about to happen */
	return new;
}

/*
 * Replaces the entry at it with new.  A leaf that becomes writable in a
 * logging slot is logged dirty inside a dirty transfer (see
 * tdp_internal.h).  Returns a tdp_fault_result, or -EAGAIN when the entry
 * changed first.
 */
static int install_target(struct tdp_op *op, struct tdp_iter *it,
			  const struct tdp_fault *f, u64 new)
{
	const struct spte_format *fmt = op->mmu->fmt;
	u64 old = it->old_spte, e = 0;
	bool log = f->slot && (mm_slot_flags(f->slot) & MM_SLOT_DIRTY_LOG) &&
		   spte_is_writable(fmt, new) &&
		   !(spte_is_present_leaf(fmt, old, it->level) && spte_is_writable(fmt, old));

	if (log)
		e = tdp_dirty_xfer_begin(op->v);
	if (!tdp_set_spte_atomic(op, it, new)) {
		if (log)
			tdp_dirty_xfer_end(op->v, e);
		return -EAGAIN;
	}
	if (log) {
		tdp_vcpu_mark_dirty(op->v, f->slot, f->gfn);
		tdp_dirty_xfer_end(op->v, e);
	}
	if (spte_is_present_leaf(fmt, old, it->level) &&
	    (!spte_is_mmu_present(new) || spte_pfn(old) != spte_pfn(new)))
		op->flush = true;
	return f->slot ? TDP_FAULT_FIXED : TDP_FAULT_MMIO;
}

/* Installs the target entry at it.  Returns a tdp_fault_result. */
static int map_target(struct tdp_op *op, struct tdp_iter *it,
		      const struct tdp_fault *f, enum tdp_memtype mt)
{
	u64 gen = __atomic_load_n(&op->mmu->mmio_gen, __ATOMIC_ACQUIRE);

	for (;;) {
		u64 old = it->old_spte, new;
		int ret;

		if (spte_is_frozen(old))
			return TDP_FAULT_RETRY;
		if (!f->slot && spte_is_mmio(old) && spte_mmio_gen(old) == (gen & SPTE_MMIO_GEN_LOW_MASK))
			return TDP_FAULT_MMIO;
		new = target_spte(op, f, it->level, mt, old);
		if (new == old)
			return TDP_FAULT_SPURIOUS;
		ret = install_target(op, it, f, new);
		if (ret < 0)
			continue;
		return ret;
	}
}

/* The walk of a fault, under the read side.  Returns a tdp_fault_result. */
static int map_locked(struct tdp_op *op, const struct tdp_fault *f, int level,
		      enum tdp_memtype mt)
{
	struct tdp_root *root = op->v->root;
	struct tdp_iter it;
	int ret;

	if (__atomic_load_n(&root->invalid, __ATOMIC_ACQUIRE))
		return TDP_FAULT_RETRY;
	for_each_tdp_pte_min_level(it, op->mmu->fmt, root->pt, root->level, level,
				   f->gfn, f->gfn + 1) {
		if (it.level == level)
			return map_target(op, &it, f, mt);
		ret = tdp_make_table(op, &it);
		if (ret)
			return ret;
	}
	/* The table just linked was zapped before the walk entered it. */
	return TDP_FAULT_RETRY;
}

int tdp_mmu_map(struct tdp_vcpu *v, struct tdp_fault *f)
{
	struct mm_slot *slot = f->slot;
	enum tdp_memtype mt = MT_WB;
	int level = TDP_LEVEL_4K, ret;
	struct tdp_op op;

	BUG_ON(!v->root || f->gfn >= tdp_max_gfn(v->root->level));
	BUG_ON(slot && !mm_slot_contains(slot, f->gfn));
	if (slot && (f->access & TDP_ACC_X) && (mm_slot_flags(slot) & MM_SLOT_NOEXEC))
		return -EPERM;
	if (slot && (f->access & TDP_ACC_W) && (mm_slot_flags(slot) & MM_SLOT_READONLY))
		return TDP_FAULT_MMIO;
	if (slot)
		level = tdp_max_mapping_level(slot, f->gfn, &f->policy, &mt);
	ret = tdp_cache_topup(v, TDP_CACHE_MIN);
	if (ret)
		return ret;
	tdp_op_init(&op, v);
	tdp_vcpu_read_lock(v);
	/* Logging is switched under the write side: read it under the lock. */
	if (slot && (mm_slot_flags(slot) & MM_SLOT_DIRTY_LOG))
		level = TDP_LEVEL_4K;
	ret = map_locked(&op, f, level, mt);
	tdp_op_flush_and_retire(&op);
	tdp_vcpu_read_unlock(v);
	f->level = level;
	return ret;
}

/* ---- the fast path ---- */

/*
 * Fixes the present leaf at it for f with one compare-and-exchange, as
 * tdp_mmu_fast_fault() describes.  Returns a tdp_fault_result, or -EAGAIN
 * when the leaf is not one the fast path may fix or the exchange lost.
 */
static int fast_fix(struct tdp_vcpu *v, struct tdp_iter *it, struct tdp_fault *f)
{
	const struct spte_format *fmt = v->mmu->fmt;
	bool logging = mm_slot_flags(f->slot) & MM_SLOT_DIRTY_LOG, log;
	u64 old = it->old_spte, new, e = 0;
	bool done;

	/* Logging maps 4K only: a huge leaf there waits for the split. */
	if (logging && it->level > TDP_LEVEL_4K)
		return -EAGAIN;
	if (spte_pfn(old) != mm_slot_gfn_to_pfn(f->slot, tdp_level_base(f->gfn, it->level)))
		return -EAGAIN;
	new = widen_leaf(fmt, f, old);
	if (f->access & ~spte_access(fmt, new))
		return -EAGAIN;		/* not MMU-writable, or no execute */
	f->level = it->level;
	if (new == old)
		return TDP_FAULT_SPURIOUS;
	log = logging && spte_is_writable(fmt, new) && !spte_is_writable(fmt, old);
	if (log)
		e = tdp_dirty_xfer_begin(v);
	done = tdp_leaf_cmpxchg(fmt, tdp_iter_sptep(it), old, new);
	if (done && log)
		tdp_vcpu_mark_dirty(v, f->slot, f->gfn);
	if (log)
		tdp_dirty_xfer_end(v, e);
	return done ? TDP_FAULT_FIXED : -EAGAIN;
}

int tdp_mmu_fast_fault(struct tdp_vcpu *v, struct tdp_fault *f)
{
	const struct spte_format *fmt = v->mmu->fmt;
	struct tdp_root *root = v->root;
	struct tdp_iter it;
	int ret = -EAGAIN;

	BUG_ON(!root || f->gfn >= tdp_max_gfn(root->level));
	if (!f->slot)
		goto out;
	BUG_ON(!mm_slot_contains(f->slot, f->gfn));
	tdp_vcpu_read_lock(v);
	if (!__atomic_load_n(&root->invalid, __ATOMIC_ACQUIRE)) {
		for_each_tdp_pte(it, fmt, root->pt, root->level, f->gfn, f->gfn + 1) {
			if (spte_is_present_leaf(fmt, it.old_spte, it.level)) {
				ret = fast_fix(v, &it, f);
				break;
			}
		}
	}
	tdp_vcpu_read_unlock(v);
out:
	if (ret == TDP_FAULT_FIXED)
		v->fast_fixed++;
	else if (ret < 0)
		v->fast_refused++;
	return ret;
}

/* ---- MMIO markers ---- */

bool tdp_mmu_is_mmio_fault(struct tdp_vcpu *v, gfn_t gfn)
{
	struct tdp_mmu *mmu = v->mmu;
	u64 gen = __atomic_load_n(&mmu->mmio_gen, __ATOMIC_ACQUIRE) & SPTE_MMIO_GEN_LOW_MASK;
	struct tdp_iter it;
	bool mmio = false;

	tdp_vcpu_read_lock(v);
	for_each_tdp_pte(it, mmu->fmt, v->root->pt, v->root->level, gfn, gfn + 1)
		if (it.level == TDP_LEVEL_4K)
			mmio = spte_is_mmio(it.old_spte) && spte_mmio_gen(it.old_spte) == gen;
	tdp_vcpu_read_unlock(v);
	return mmio;
}

int tdp_mmu_mark_mmio(struct tdp_vcpu *v, gfn_t start, gfn_t end)
{
	struct tdp_fault f = { .access = TDP_ACC_R };
	gfn_t gfn;

	for (gfn = start; gfn < end; gfn++) {
		int ret;

		f.gfn = gfn;
		ret = tdp_mmu_map(v, &f);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * Clears every MMIO marker of every root, under the write side: no fault
 * is in flight, so none can install a marker of the old generation behind
 * the walk.  Markers are not present, so nothing is flushed or freed.
 */
static void zap_all_markers(struct tdp_mmu *mmu)
{
	struct tdp_op op = { .mmu = mmu, .exclusive = true };
	struct tdp_root *root;
	struct tdp_iter it;

	tdp_mmu_write_lock(mmu);
	for_each_tdp_root(mmu, root)
		for_each_tdp_pte(it, mmu->fmt, root->pt, root->level, 0,
				 tdp_max_gfn(root->level))
			while (spte_is_mmio(it.old_spte) && !tdp_set_spte_atomic(&op, &it, 0))
				;
	tdp_op_flush_and_retire(&op);
	tdp_mmu_write_unlock(mmu);
	stat_add(&mmu->stats.mmio_wraps, 1);
}

/*
 * A marker keeps the low SPTE_MMIO_GEN_BITS of the generation.  When they
 * wrap to 0, every marker is zapped: a marker left from the previous lap
 * would otherwise match again once the counter came back to its value.
 * The increment comes first, so a fault that read the old generation has
 * installed its marker before the write side is granted, and the zap
 * removes it; every fault after that reads the new one.
 */
void tdp_mmu_mmio_gen_bump(struct tdp_mmu *mmu)
{
	u64 gen = __atomic_add_fetch(&mmu->mmio_gen, 1, __ATOMIC_ACQ_REL);

	if (!(gen & SPTE_MMIO_GEN_LOW_MASK))
		zap_all_markers(mmu);
}
