/* SPDX-License-Identifier: MIT */
/*
 * What mm/tdp_mmu.c and mm/tdp_dirty.c share: the operation context of a
 * walk, the one function that changes a live entry, and the yield point.
 */
#ifndef TDPVISOR_MM_TDP_INTERNAL_H
#define TDPVISOR_MM_TDP_INTERNAL_H

#include "mm/tdp_mmu.h"
#include "mm/tdp_iter.h"

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
 * that disappears is logged in its slot.  Returns false, with it->old_spte
 * refreshed, when the entry had changed.
 */
bool tdp_set_spte_atomic(struct tdp_op *op, struct tdp_iter *it, u64 new);

/* Flushes if owed, then hands retired tables to the reclaim.  Keeps the lock. */
void tdp_op_flush_and_retire(struct tdp_op *op);

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
/* Frees invalid roots that no one holds (takes the write side). */
void tdp_mmu_reap_roots(struct tdp_mmu *mmu);

#define for_each_tdp_root(mmu, root) \
	for (root = tdp_next_root(mmu, NULL); root; root = tdp_next_root(mmu, root))

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

/* Logs [gfn, gfn + npages) dirty in the D-bit-mode slots that hold it. */
void tdp_mark_dirty_dbit(struct tdp_mmu *mmu, gfn_t gfn, u64 npages);
/* Logs gfn dirty in slot's bitmap (atomic). */
void tdp_slot_mark_dirty(struct mm_slot *slot, gfn_t gfn, u64 npages);

#endif
