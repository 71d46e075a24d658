// SPDX-License-Identifier: MIT
/*
 * The top of the TDP MMU's core: setting an MMU and its vCPUs up and down,
 * and roots -- loading, walking over all of them, invalidating, and
 * tearing down the invalid ones that lost their last user.  A root's last
 * reference may be dropped on the read side, where it cannot be freed, so
 * leaving the read side (tdp_vcpu_read_unlock(), also when a walk yields)
 * reaps it here.  It calls mm/tdp_core.c and mm/tdp_reclaim.c below it,
 * never a feature (the layers are in mm/tdp_internal.h).
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

/* Takes a reference on root unless its count is 0.  Returns true if taken. */
static bool root_get_unless_zero(struct tdp_root *root)
{
	u32 n = __atomic_load_n(&root->refcount, __ATOMIC_RELAXED);

	while (n)
		if (__atomic_compare_exchange_n(&root->refcount, &n, n + 1, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
	return false;
}

struct tdp_root *tdp_next_root_lockless(struct tdp_mmu *mmu, struct tdp_root *prev)
{
	struct tdp_root *root = prev ? prev + 1 : mmu->root_pool;

	if (prev)
		tdp_root_put_locked(mmu, prev);
	for (; root < mmu->root_pool + TDP_MAX_ROOTS; root++)
		if (root_get_unless_zero(root))
			return root;
	return NULL;
}

void tdp_root_put_locked(struct tdp_mmu *mmu, struct tdp_root *root)
{
	if (!atomic32_sub_return(&root->refcount, 1) &&
	    __atomic_load_n(&root->invalid, __ATOMIC_ACQUIRE))
		__atomic_store_n(&mmu->roots_reap, 1, __ATOMIC_RELEASE);
}

/*
 * Zaps and frees root.  The caller holds the write side.  Clearing each
 * entry of the root table removes the whole tree below it (the tables are
 * frozen, their dirty leaves logged, and freed after the flush), as a zap
 * of the whole address space would.
 */
static void teardown_root(struct tdp_mmu *mmu, struct tdp_root *root)
{
	struct tdp_op op = { .mmu = mmu, .exclusive = true };
	struct tdp_iter it;

	for_each_tdp_pte_min_level(it, mmu->fmt, root->pt, root->level, root->level,
				   0, tdp_max_gfn(root->level))
		while (it.old_spte && !spte_is_frozen(it.old_spte) &&
		       !tdp_set_spte_atomic(&op, &it, 0))
			;	/* the hardware set an A bit: try again */
	op.flush = true;	/* the hardware may still cache the root */
	tdp_op_flush_and_retire(&op);
	mm_free_table_page(root->pt);
	stat_add(&mmu->stats.tables, (u64)-1);
	root->used = false;
}

/* Frees invalid roots that no one holds (takes the write side). */
static void reap_roots(struct tdp_mmu *mmu)
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
	/*
	 * Its count is 0, and lockless walkers read the count (never a root
	 * at 0) until the increment below publishes the rest.
	 */
	root->pt = *pt;
	root->level = mmu->root_level;
	root->used = true;
	__atomic_store_n(&root->invalid, false, __ATOMIC_RELAXED);
	root->next = mmu->roots;
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
		reap_roots(mmu);
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
	reap_roots(mmu);
}

/* ---- leaving the read side ---- */

void tdp_vcpu_read_unlock(struct tdp_vcpu *v)
{
	tdp_read_side_exit(v);
	if (__atomic_load_n(&v->mmu->roots_reap, __ATOMIC_ACQUIRE))
		reap_roots(v->mmu);
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

/* ---- tearing down ---- */

void tdp_vcpu_destroy(struct tdp_vcpu *v)
{
	if (v->root)
		put_root(v->mmu, v->root);
	v->root = NULL;
	while (v->nr_cache)
		mm_free_table_page(tdp_cache_pop(v));
	if (v->ring.gfns)
		mm_free_bitmap(v->ring.gfns, v->ring.size * sizeof(gfn_t));
	v->ring.gfns = NULL;
}

void tdp_mmu_destroy(struct tdp_mmu *mmu)
{
	struct tdp_root *root;

	for (root = mmu->roots; root; root = root->next)
		BUG_ON(load_acquire32(&root->refcount) != 0);
	tdp_mmu_invalidate_roots(mmu);
	BUG_ON(mmu->roots);
	tdp_reclaim_drain(mmu);
}
