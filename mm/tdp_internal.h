/* SPDX-License-Identifier: MIT */
/*
 * The TDP MMU's core as its features see it.  Who shares this header:
 *
 *   core      mm/tdp_reclaim.c  the MMU lock, quiescent-state reclaim
 *             mm/tdp_core.c     changing live entries, tables, page cache
 *             mm/tdp_root.c     setup, roots, the read side's unlock, yield
 *   features  mm/tdp_fault.c, mm/tdp_zap.c, mm/tdp_dirty.c, mm/tdp_age.c,
 *             mm/tdp_lookup.c, mm/tdp_recover.c, mm/tdp_ring.c
 *
 * Every function declared here is defined in a core file.  The core files
 * call only downward (tdp_reclaim.c <- tdp_core.c <- tdp_root.c, each also
 * using mm/spte.c and mm/tdp_iter.c); a feature calls the core and never
 * another feature, so it declares nothing here.  docs/tdp-mmu.md describes
 * the layers; tools/check-mm-layers.sh checks them on the objects.
 */
#ifndef TDPVISOR_MM_TDP_INTERNAL_H
#define TDPVISOR_MM_TDP_INTERNAL_H

#include "mm/tdp_mmu.h"
#include "mm/tdp_iter.h"
#include "bug.h"

/* ---- mm/tdp_reclaim.c: the read side and the freeing of unlinked tables ---- */

/*
 * Leaves the read side (v's counter becomes even) and, if tables wait to be
 * freed, lets the reclaim advance.  Does not reap roots: callers above
 * tdp_root.c use tdp_vcpu_read_unlock(), which does.
 */
void tdp_qs_poll(struct tdp_mmu *mmu);
static inline void tdp_read_side_exit(struct tdp_vcpu *v)
{
	struct tdp_mmu *mmu = v->mmu;
	u64 c = __atomic_add_fetch(&mmu->qs_cpu[v->id].ctr, 1, __ATOMIC_RELEASE);

	BUG_ON(c & 1);
	if (__atomic_load_n(&mmu->qs_pending, __ATOMIC_ACQUIRE))
		tdp_qs_poll(mmu);
}

/*
 * Enters the read side's quiescent-state accounting only: v's counter
 * becomes odd, so no table unlinked from now on is freed before v leaves
 * (tdp_read_side_exit() or tdp_vcpu_read_unlock()).  It neither waits for
 * a writer nor keeps one out: a writer waits only until the counter has
 * moved once (tdp_mmu_write_lock()).  For walks that may run beside a
 * writer (lockless aging): they reach tables only through roots they hold
 * a reference on (for_each_tdp_root_lockless()), which the write side
 * never frees, and read nothing else the write side changes.
 */
static inline void tdp_qs_enter(struct tdp_vcpu *v)
{
	BUG_ON(!(atomic64_add_return(&v->mmu->qs_cpu[v->id].ctr, 1) & 1));
}

/*
 * n tables, unlinked and flushed, chained from head through their first
 * entry (tail is the last).  tdp_free_retired() frees them now (the caller
 * holds the write side, so no walker can be in them); tdp_qs_retire() frees
 * them once every vCPU on the read side now has left it.
 */
void tdp_free_retired(struct tdp_mmu *mmu, u64 *head, u64 n);
void tdp_qs_retire(struct tdp_mmu *mmu, u64 *head, u64 *tail, u64 n);
/* Frees every table the reclaim holds.  Only when no vCPU is left. */
void tdp_reclaim_drain(struct tdp_mmu *mmu);

/* ---- mm/tdp_core.c: changing live entries ---- */

/*
 * One walk (or several, over all roots) under the MMU lock.  flush: a TLB
 * flush is owed before the lock is dropped; retired_*: tables unlinked by
 * this walk, linked through their first entry, to be handed to the
 * quiescent-state reclaim once the flush is done.  exclusive: the walk
 * holds the write side, so retired tables are freed right after the flush.
 */
struct tdp_op {
	struct tdp_vcpu *v;
	struct tdp_mmu *mmu;
	bool flush;
	bool exclusive;
	u64 *retired_head, *retired_tail;
	u64 nr_retired;
};

static inline void tdp_op_init(struct tdp_op *op, struct tdp_vcpu *v)
{
	*op = (struct tdp_op){ .v = v, .mmu = v->mmu };
}

/*
 * Replaces it->old_spte at it->sptep with new by compare-and-exchange.  On
 * success, accounts for what the old value held: a table that is no longer
 * linked is frozen entry by entry and retired (flush owed), a dirty leaf
 * that disappears is logged in the D-bit-mode slots that hold it.  Returns
 * false, with it->old_spte refreshed, when the entry had changed.
 */
bool tdp_set_spte_atomic(struct tdp_op *op, struct tdp_iter *it, u64 new);

/*
 * The in-place changes of a present leaf that account for nothing, which
 * therefore need not go through tdp_set_spte_atomic(): the entry stays a
 * present leaf of the same size for the same frame, and no dirty bit
 * leaves it (docs/tdp-mmu.md, "Fast write-protect faults", "Lockless
 * aging").  A table unlinked under such a change is frozen afterwards by
 * exchange, which hands the unlinker the changed value.
 *
 * tdp_leaf_cmpxchg() replaces old with new by one compare-and-exchange and
 * returns false, changing nothing, when the entry was no longer old.
 */
static inline bool tdp_leaf_cmpxchg(const struct spte_format *fmt, u64 *sptep,
				    u64 old, u64 new)
{
	BUG_ON(!spte_is_mmu_present(old) || !spte_is_mmu_present(new) ||
	       spte_pfn(old) != spte_pfn(new) || ((old ^ new) & fmt->large) ||
	       (old & ~new & fmt->dirty));
	return try_cmpxchg64(sptep, &old, new);
}

/*
 * Clears the hardware accessed bit of the entry at sptep by one atomic
 * and-not, and returns the entry it replaced.  For formats with A/D bits.
 * The entry may have changed since the caller read it: only a present leaf
 * in the result was young; in a table entry, a marker or a frozen entry
 * the bit means nothing to the MMU (the hardware sets it in table entries
 * again as it walks; the other two never have it).
 */
static inline u64 tdp_leaf_clear_accessed(const struct spte_format *fmt, u64 *sptep)
{
	BUG_ON(!(fmt->flags & SPTE_FMT_AD) || !fmt->accessed ||
	       (SPTE_FROZEN_VALUE & fmt->accessed));
	return fetch_and64(sptep, ~fmt->accessed);
}

/* Flushes if owed, then hands retired tables to the reclaim.  Keeps the lock. */
void tdp_op_flush_and_retire(struct tdp_op *op);

/*
 * Makes the entry at it (above the walk's target) a table: links a new
 * empty one, or splits the huge leaf there.  Returns 0, or TDP_FAULT_RETRY
 * when the entry is frozen.  Needs one page in op->v's cache.
 */
int tdp_make_table(struct tdp_op *op, struct tdp_iter *it);

/* A zeroed page; the caller topped the cache up before taking the lock. */
void *tdp_cache_pop(struct tdp_vcpu *v);
/* Gives back an unused page (zeroed again if it was written). */
void tdp_cache_push(struct tdp_vcpu *v, void *page);

/*
 * Dirty transfers: a change after which a write can happen, or has
 * happened, that the slot's bitmap does not show yet (a dirty leaf zapped,
 * a leaf made writable by a fault in a write-protect-mode slot) runs between
 * tdp_dirty_xfer_begin() and _end(), and logs the page before it ends.
 * tdp_dirty_sync() waits until every transfer that began before it has
 * ended; a harvest calls it after its walk and before it reads the bitmap,
 * so a write cannot be in neither the tree nor the bitmap when it looks.
 * Transfers never wait, so neither does the sync for long (two epochs, as
 * in a sequence-counter RCU: new transfers go to the other counters).
 * Each vCPU counts its own transfers, in its own cache line: a logging
 * fault writes nothing that other vCPUs' faults read.
 */
u64 tdp_dirty_xfer_begin(struct tdp_vcpu *v);
void tdp_dirty_xfer_end(struct tdp_vcpu *v, u64 epoch);
void tdp_dirty_sync(struct tdp_mmu *mmu);

/*
 * Logs [gfn, gfn + npages) dirty in slot's bitmap (atomic), within the
 * slot.  Not for a TDP_HARVEST_RING slot (BUG_ON): a path that logs a
 * fault's page calls tdp_vcpu_mark_dirty(), which picks the ring.
 */
void tdp_slot_mark_dirty(struct mm_slot *slot, gfn_t gfn, u64 npages);
/*
 * Logs gfn (in logging slot) dirty where slot harvests: its bitmap, or
 * v's dirty ring (TDP_HARVEST_RING).  What a fault that made a leaf
 * writable calls, inside its dirty transfer.
 */
void tdp_vcpu_mark_dirty(struct tdp_vcpu *v, struct mm_slot *slot, gfn_t gfn);

/*
 * Clears bits (a 4K leaf's writable bit, dirty bit, or both; parked rights
 * of an access-tracked leaf too) in place in each present leaf of the 4K
 * table pt whose index is set in mask (SPTE_PER_TABLE bits; NULL: all), by
 * compare-and-exchange, one tight loop per table.  The frame stays, so
 * nothing leaves the tree and the change accounts for nothing (the caller
 * logs the dirty bits it clears); an entry that is not MMU-present (empty,
 * a marker, frozen by an unlinker) is left.  pt must stay allocated: the
 * caller is on the read side and reached it through a live entry.  Owes a
 * flush when it changed an entry; returns how many it changed.
 */
u64 tdp_protect_leaf_table(struct tdp_op *op, u64 *pt, const u64 *mask, u64 bits);

/* ---- mm/tdp_root.c: walks over roots, and yielding ---- */

/*
 * At the top of a walk's loop: if a writer waits or the CPU should yield,
 * and the walk advanced since it last (re)started, settles the op's flush,
 * drops and retakes the read side, and marks it to restart.  Returns true
 * when it yielded (the caller must `continue`).
 */
bool tdp_op_cond_resched(struct tdp_op *op, struct tdp_iter *it);

/* Walk-all-roots: takes a reference on each root while it is walked. */
struct tdp_root *tdp_next_root(struct tdp_mmu *mmu, struct tdp_root *prev);
/* Drops what tdp_next_root() took when a walk leaves a root early. */
void tdp_root_put_locked(struct tdp_mmu *mmu, struct tdp_root *root);

#define for_each_tdp_root(mmu, root) \
	for (root = tdp_next_root(mmu, NULL); root; root = tdp_next_root(mmu, root))

/*
 * The same without the MMU lock: visits the roots of mmu->root_pool that
 * some user holds, taking a reference only on a root whose count is not 0.
 * A root with a user is never torn down, and one at 0 gets no new user
 * but from tdp_vcpu_load_root() under the write side, so a root so taken
 * stays whole until this walk drops it.  May miss a root made during the
 * walk.
 */
struct tdp_root *tdp_next_root_lockless(struct tdp_mmu *mmu, struct tdp_root *prev);

#define for_each_tdp_root_lockless(mmu, root) \
	for (root = tdp_next_root_lockless(mmu, NULL); root; \
	     root = tdp_next_root_lockless(mmu, root))

#endif
