// SPDX-License-Identifier: MIT
/*
 * The bottom of the TDP MMU's core: the MMU lock and the quiescent-state
 * reclaim of unlinked tables, which share the per-vCPU counters.  It calls
 * nothing else in mm/ but the hooks (docs/tdp-mmu.md, "Locking").
 *
 * A table unlinked under the read side may still be walked by another CPU
 * that read the link before it went (software walkers; the hardware's are
 * dealt with by the TLB flush that precedes retirement).  Each vCPU's
 * counter is odd while it is on the read side.  Retired tables gather in
 * the "next" batch; a batch moves to "wait" with a snapshot of all
 * counters, and is freed once every vCPU that was inside at the snapshot
 * has left since (its counter moved).  Whoever leaves the read side polls.
 */
#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"
#include "tdp_internal.h"
#include "bug.h"

static u64 *retired_next(u64 *pt)
{
	return mm_phys_to_virt(spte_hpa(spte_read(&pt[0])));
}

void tdp_free_retired(struct tdp_mmu *mmu, u64 *head, u64 n)
{
	while (n--) {
		u64 *next = n ? retired_next(head) : NULL;

		mm_free_table_page(head);
		stat_add(&mmu->stats.tables, (u64)-1);
		stat_add(&mmu->stats.tables_retired, (u64)-1);
		head = next;
	}
}

static void qs_snapshot(struct tdp_mmu *mmu)
{
	u32 i, n = load_acquire32(&mmu->nr_vcpus);

	/* A full barrier: the unlinks before it, the counter reads after. */
	__atomic_fetch_or(&mmu->qs_pending, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i < n; i++)
		mmu->qs_snap[i] = load_acquire64(&mmu->qs_cpu[i].ctr);
}

/* True when every vCPU inside at the snapshot has left the read side since. */
static bool qs_passed(struct tdp_mmu *mmu)
{
	u32 i, n = load_acquire32(&mmu->nr_vcpus);

	for (i = 0; i < n; i++) {
		u64 s = mmu->qs_snap[i];

		if ((s & 1) && load_acquire64(&mmu->qs_cpu[i].ctr) == s)
			return false;
	}
	return true;
}

/* Appends a list of tables that were unlinked and flushed to "next". */
void tdp_qs_retire(struct tdp_mmu *mmu, u64 *head, u64 *tail, u64 n)
{
	spin_lock(&mmu->qs_lock);
	if (mmu->qs_next_n)
		store_release64(&mmu->qs_next_tail[0],
				SPTE_FROZEN_VALUE | mm_virt_to_phys(head));
	else
		mmu->qs_next_head = head;
	mmu->qs_next_tail = tail;
	mmu->qs_next_n += n;
	__atomic_store_n(&mmu->qs_pending, 1, __ATOMIC_RELEASE);
	spin_unlock(&mmu->qs_lock);
}

/* Detaches the "wait" batch when its grace period is over. */
static u64 qs_take_wait(struct tdp_mmu *mmu, u64 **head)
{
	u64 n = mmu->qs_wait_n;

	if (!n || !qs_passed(mmu))
		return 0;
	*head = mmu->qs_wait_head;
	mmu->qs_wait_n = 0;
	return n;
}

/* Frees what is due and starts the next grace period.  Never waits. */
void tdp_qs_poll(struct tdp_mmu *mmu)
{
	u64 *a = NULL, *b = NULL, na, nb = 0;

	if (!__atomic_load_n(&mmu->qs_pending, __ATOMIC_ACQUIRE) ||
	    !spin_trylock(&mmu->qs_lock))
		return;
	na = qs_take_wait(mmu, &a);
	if (!mmu->qs_wait_n && mmu->qs_next_n) {
		mmu->qs_wait_head = mmu->qs_next_head;
		mmu->qs_wait_tail = mmu->qs_next_tail;
		mmu->qs_wait_n = mmu->qs_next_n;
		mmu->qs_next_n = 0;
		qs_snapshot(mmu);
		nb = qs_take_wait(mmu, &b);
	}
	__atomic_store_n(&mmu->qs_pending, mmu->qs_wait_n || mmu->qs_next_n,
			 __ATOMIC_RELEASE);
	spin_unlock(&mmu->qs_lock);
	tdp_free_retired(mmu, a, na);
	tdp_free_retired(mmu, b, nb);
}

void tdp_reclaim_drain(struct tdp_mmu *mmu)
{
	spin_lock(&mmu->qs_lock);
	tdp_free_retired(mmu, mmu->qs_wait_head, mmu->qs_wait_n);
	tdp_free_retired(mmu, mmu->qs_next_head, mmu->qs_next_n);
	mmu->qs_wait_n = mmu->qs_next_n = 0;
	spin_unlock(&mmu->qs_lock);
}

/* ---- the MMU lock ---- */

static bool writer_active(struct tdp_mmu *mmu)
{
	return __atomic_load_n(&mmu->writer, __ATOMIC_SEQ_CST) != 0;
}

void tdp_vcpu_read_lock(struct tdp_vcpu *v)
{
	struct tdp_mmu *mmu = v->mmu;
	u64 *ctr = &mmu->qs_cpu[v->id].ctr;

	for (;;) {
		while (writer_active(mmu))
			cpu_relax();
		BUG_ON(!(atomic64_add_return(ctr, 1) & 1));
		if (!writer_active(mmu))
			return;
		atomic64_add_return(ctr, 1);	/* back off: let the writer in */
	}
}

/*
 * Waits until every vCPU that is on the read side now has left it once:
 * until its counter, if odd, has moved.  A reader that enters after the
 * flag was raised sees it and backs off (tdp_vcpu_read_lock()), so a
 * counter that moved means a reader that is out.  A walk that entered only
 * the quiescent-state accounting (tdp_qs_enter(), lockless aging) may
 * enter again at once: it is let run beside the writer, and its leaving
 * once is all the writer waits for.
 */
void tdp_mmu_write_lock(struct tdp_mmu *mmu)
{
	u32 i, n;

	spin_lock(&mmu->writer_lock);
	__atomic_store_n(&mmu->writer, 1, __ATOMIC_SEQ_CST);
	n = load_acquire32(&mmu->nr_vcpus);
	for (i = 0; i < n; i++) {
		u64 s = load_acquire64(&mmu->qs_cpu[i].ctr);

		if (s & 1)
			while (load_acquire64(&mmu->qs_cpu[i].ctr) == s)
				cpu_relax();
	}
}

void tdp_mmu_write_unlock(struct tdp_mmu *mmu)
{
	__atomic_store_n(&mmu->writer, 0, __ATOMIC_RELEASE);
	spin_unlock(&mmu->writer_lock);
}
