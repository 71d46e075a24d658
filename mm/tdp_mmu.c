// SPDX-License-Identifier: MIT
/*
 * The TDP MMU's core: setup, vCPU contexts and their page caches, the read
 * side with quiescent-state accounting, reclaim of unlinked tables, roots,
 * the one function that changes a live entry, and zapping.  Faults are in
 * mm/tdp_fault.c, dirty logging and aging in mm/tdp_dirty.c; the
 * invariants are listed in docs/tdp-mmu.md.
 */
#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"
#include "tdp_internal.h"
#include "lib/string.h"
#include "bug.h"
#include "errcode.h"

int tdp_mmu_init(struct tdp_mmu *mmu, const struct spte_format *fmt,
		 int root_level, const struct tdp_mmu_ops *ops, void *priv)
{
	if (spte_format_check(fmt) || (root_level != 4 && root_level != 5))
		return -EINVAL;
	if (!ops || !ops->flush_tlbs)
		return -EINVAL;
	memset(mmu, 0, sizeof(*mmu));
	mmu->fmt = fmt;
	mmu->root_level = root_level;
	mmu->ops = ops;
	mmu->priv = priv;
	spin_lock_init(&mmu->writer_lock);
	spin_lock_init(&mmu->qs_lock);
	return 0;
}

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

int tdp_vcpu_init(struct tdp_vcpu *v, struct tdp_mmu *mmu, unsigned int id)
{
	if (id >= TDP_MAX_VCPUS)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->mmu = mmu;
	v->id = id;
	if (id + 1 > __atomic_load_n(&mmu->nr_vcpus, __ATOMIC_RELAXED)) {
		spin_lock(&mmu->qs_lock);
		if (id + 1 > mmu->nr_vcpus)
			__atomic_store_n(&mmu->nr_vcpus, id + 1, __ATOMIC_RELEASE);
		spin_unlock(&mmu->qs_lock);
	}
	return 0;
}

/* ---- quiescent-state reclaim ----
 *
 * A table unlinked under the read side may still be walked by another CPU
 * that read the link before it went (software walkers; the hardware's are
 * dealt with by the TLB flush that precedes retirement).  Each vCPU's
 * counter is odd while it is on the read side.  Retired tables gather in
 * the "next" batch; a batch moves to "wait" with a snapshot of all
 * counters, and is freed once every vCPU that was inside at the snapshot
 * has left since (its counter moved).  Whoever leaves the read side polls.
 */

static u64 *retired_next(u64 *pt)
{
	return mm_phys_to_virt(spte_hpa(spte_read(&pt[0])));
}

/* Frees n retired tables of the list that starts at head. */
static void free_retired(struct tdp_mmu *mmu, u64 *head, u64 n)
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
static void qs_retire(struct tdp_mmu *mmu, u64 *head, u64 *tail, u64 n)
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
static void qs_poll(struct tdp_mmu *mmu)
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
	free_retired(mmu, a, na);
	free_retired(mmu, b, nb);
}

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

void tdp_vcpu_read_unlock(struct tdp_vcpu *v)
{
	struct tdp_mmu *mmu = v->mmu;
	u64 c = __atomic_add_fetch(&mmu->qs_cpu[v->id].ctr, 1, __ATOMIC_RELEASE);

	BUG_ON(c & 1);
	qs_poll(mmu);
	if (__atomic_load_n(&mmu->roots_reap, __ATOMIC_ACQUIRE))
		tdp_mmu_reap_roots(mmu);
}

void tdp_mmu_write_lock(struct tdp_mmu *mmu)
{
	u32 i, n;

	spin_lock(&mmu->writer_lock);
	__atomic_store_n(&mmu->writer, 1, __ATOMIC_SEQ_CST);
	n = load_acquire32(&mmu->nr_vcpus);
	for (i = 0; i < n; i++)
		while (load_acquire64(&mmu->qs_cpu[i].ctr) & 1)
			cpu_relax();
}

void tdp_mmu_write_unlock(struct tdp_mmu *mmu)
{
	__atomic_store_n(&mmu->writer, 0, __ATOMIC_RELEASE);
	spin_unlock(&mmu->writer_lock);
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
 * pt (entries at level, mapping from base) was unlinked by this op.  Each
 * entry is frozen by exchange, so a racing compare-and-exchange that still
 * targets it fails, and whatever it held is accounted for (lower tables
 * recursively).  The table is then retired.
 */
static void handle_removed_table(struct tdp_op *op, u64 *pt, int level,
				 gfn_t base)
{
	unsigned int i;

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
		tdp_mark_dirty_dbit(op->mmu, gfn, tdp_level_pages(level));
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
		free_retired(mmu, op->retired_head, op->nr_retired);
	else
		qs_retire(mmu, op->retired_head, op->retired_tail, op->nr_retired);
	op->nr_retired = 0;
}

bool tdp_op_cond_resched(struct tdp_op *op, struct tdp_iter *it)
{
	if (op->exclusive || tdp_iter_next_gfn(it) == it->yielded_gfn)
		return false;
	if (!__atomic_load_n(&op->mmu->writer, __ATOMIC_RELAXED) && !mm_should_yield())
		return false;
	tdp_op_flush_and_retire(op);
	tdp_vcpu_read_unlock(op->v);
	cpu_relax();
	tdp_vcpu_read_lock(op->v);
	stat_add(&op->mmu->stats.yields, 1);
	tdp_iter_yield(it);
	return true;
}

/* ---- zapping ---- */

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

/* ---- roots ---- */

struct tdp_root *tdp_next_root(struct tdp_mmu *mmu, struct tdp_root *prev)
{
	struct tdp_root *next = prev ? prev->next : mmu->roots;

	if (next)
		atomic32_add_return(&next->refcount, 1);
	if (prev)
		tdp_root_put_locked(mmu, prev);
	return next;
}

void tdp_root_put_locked(struct tdp_mmu *mmu, struct tdp_root *root)
{
	if (!atomic32_sub_return(&root->refcount, 1) &&
	    __atomic_load_n(&root->invalid, __ATOMIC_ACQUIRE))
		__atomic_store_n(&mmu->roots_reap, 1, __ATOMIC_RELEASE);
}

/* Zaps and frees root.  The caller holds the write side. */
static void teardown_root(struct tdp_mmu *mmu, struct tdp_root *root)
{
	struct tdp_op op = { .mmu = mmu, .exclusive = true };

	zap_root(&op, root, 0, tdp_max_gfn(root->level));
	op.flush = true;	/* the hardware may still cache the root */
	tdp_op_flush_and_retire(&op);
	mm_free_table_page(root->pt);
	stat_add(&mmu->stats.tables, (u64)-1);
	root->used = false;
}

void tdp_mmu_reap_roots(struct tdp_mmu *mmu)
{
	struct tdp_root **pp;

	tdp_mmu_write_lock(mmu);
	__atomic_store_n(&mmu->roots_reap, 0, __ATOMIC_RELAXED);
	for (pp = &mmu->roots; *pp;) {
		struct tdp_root *root = *pp;

		if (root->invalid && !load_acquire32(&root->refcount)) {
			*pp = root->next;
			teardown_root(mmu, root);
		} else {
			pp = &root->next;
		}
	}
	tdp_mmu_write_unlock(mmu);
}

/* A valid root with a new reference, or a new one made from *pt. */
static struct tdp_root *get_or_install_root(struct tdp_mmu *mmu, u64 **pt)
{
	struct tdp_root *root;
	unsigned int i;

	for (root = mmu->roots; root; root = root->next)
		if (!root->invalid)
			goto found;
	for (i = 0; i < TDP_MAX_ROOTS && mmu->root_pool[i].used; i++)
		;
	if (i == TDP_MAX_ROOTS)
		return NULL;
	root = &mmu->root_pool[i];
	*root = (struct tdp_root){ .pt = *pt, .level = mmu->root_level,
				   .used = true, .next = mmu->roots };
	mmu->roots = root;
	*pt = NULL;
	stat_add(&mmu->stats.tables, 1);
found:
	atomic32_add_return(&root->refcount, 1);
	return root;
}

static void put_root(struct tdp_mmu *mmu, struct tdp_root *root)
{
	tdp_root_put_locked(mmu, root);	/* an atomic; no lock needed */
	if (__atomic_load_n(&mmu->roots_reap, __ATOMIC_ACQUIRE))
		tdp_mmu_reap_roots(mmu);
}

int tdp_vcpu_load_root(struct tdp_vcpu *v)
{
	struct tdp_mmu *mmu = v->mmu;
	struct tdp_root *root;
	u64 *pt;

	if (v->root && !__atomic_load_n(&v->root->invalid, __ATOMIC_ACQUIRE))
		return 0;
	if (v->root)
		put_root(mmu, v->root);
	v->root = NULL;
	pt = mm_alloc_table_page();	/* before the lock: check, then act */
	if (!pt)
		return -ENOMEM;
	tdp_mmu_write_lock(mmu);
	root = get_or_install_root(mmu, &pt);
	tdp_mmu_write_unlock(mmu);
	if (pt)
		mm_free_table_page(pt);
	if (!root)
		return -ENOSPC;
	v->root = root;
	return 0;
}

void tdp_mmu_invalidate_roots(struct tdp_mmu *mmu)
{
	struct tdp_root *root;

	tdp_mmu_write_lock(mmu);
	for (root = mmu->roots; root; root = root->next)
		__atomic_store_n(&root->invalid, true, __ATOMIC_RELEASE);
	tdp_mmu_write_unlock(mmu);
	tdp_mmu_reap_roots(mmu);
}

void tdp_vcpu_destroy(struct tdp_vcpu *v)
{
	if (v->root)
		put_root(v->mmu, v->root);
	v->root = NULL;
	while (v->nr_cache)
		mm_free_table_page(tdp_cache_pop(v));
}

void tdp_mmu_destroy(struct tdp_mmu *mmu)
{
	struct tdp_root *root;

	for (root = mmu->roots; root; root = root->next)
		BUG_ON(load_acquire32(&root->refcount) != 0);
	tdp_mmu_invalidate_roots(mmu);
	BUG_ON(mmu->roots);
	spin_lock(&mmu->qs_lock);
	free_retired(mmu, mmu->qs_wait_head, mmu->qs_wait_n);
	free_retired(mmu, mmu->qs_next_head, mmu->qs_next_n);
	mmu->qs_wait_n = mmu->qs_next_n = 0;
	spin_unlock(&mmu->qs_lock);
}
