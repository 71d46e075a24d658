/* SPDX-License-Identifier: MIT */
/*
 * tdp_iter: a pre-order walk over one TDP paging structure.
 *
 * The iterator visits every entry, at levels from the root down to
 * min_level, whose GFN range meets [start, end): first the entry, then (if
 * it points to a table and its level is above min_level) the entries of that
 * table, then its next sibling.  GFNs never decrease along the walk.
 *
 *	for_each_tdp_pte_min_level(it, fmt, root_pt, root_level, 2, s, e)
 *		... it.old_spte, it.gfn, it.level, tdp_iter_sptep(&it) ...
 *
 * The walk never dereferences memory it was not given: it stops after the
 * last entry of the root (the end of the address space) and at end, and it
 * re-reads an entry before stepping into the table that entry points to, so
 * a table unlinked in between is not entered.  A walker that drops its lock
 * calls tdp_iter_yield(): the next step walks again from the root to the
 * GFN it had reached (tdp_iter_next_gfn()), which only grows, so a walker
 * that yields only after that GFN moved always makes progress.
 *
 * The common step, the next entry of a table at min_level, is inline and
 * keeps its state in registers (struct tdp_iter_run); the other steps are
 * out of line in mm/tdp_iter.c.
 */
#ifndef TDPVISOR_MM_TDP_ITER_H
#define TDPVISOR_MM_TDP_ITER_H

#include "mm/spte.h"

struct tdp_iter {
	u64 old_spte;			/* the current entry's value when last read */
	gfn_t gfn;			/* first GFN the current entry maps */
	int level;			/* level of the current entry */
	bool valid;			/* false once the walk is over */
	bool yielded;			/* the lock was dropped: restart next */
	u64 *fast_last;			/* the common step stops here (NULL: now) */
	int root_level;
	int min_level;
	gfn_t slow_next_gfn;		/* next GFN after the last slow step */
	gfn_t yielded_gfn;		/* next GFN at the last (re)start */
	const struct spte_format *fmt;
	u64 *pt_path[TDP_MAX_LEVEL + 1]; /* table walked at each level */
};

/* The current entry: gfn's entry in the table walked at level. */
static inline u64 *tdp_iter_sptep(const struct tdp_iter *it)
{
	return it->pt_path[it->level] + tdp_level_index(it->gfn, it->level);
}

/*
 * The lowest GFN not yet fully walked; it only grows.  The common step does
 * not store it: after that step it is the current entry's GFN, and after
 * any other step it is slow_next_gfn, which is then never below it->gfn.
 */
static inline gfn_t tdp_iter_next_gfn(const struct tdp_iter *it)
{
	return it->gfn > it->slow_next_gfn ? it->gfn : it->slow_next_gfn;
}

/* Positions it at the first entry (at root_level) that maps start. */
void tdp_iter_start(struct tdp_iter *it, const struct spte_format *fmt,
		    u64 *root_pt, int root_level, int min_level, gfn_t start);
/* Walks again from the root to the entry that maps tdp_iter_next_gfn(). */
void tdp_iter_restart(struct tdp_iter *it);
/* The general step of tdp_iter_next(). */
void tdp_iter_next_slow(struct tdp_iter *it);

/*
 * The walker dropped its lock (and took it again): the next step walks
 * again from the root, because the tables it was in may be gone.
 */
static inline void tdp_iter_yield(struct tdp_iter *it)
{
	it->yielded = true;
	it->fast_last = NULL;
}

/*
 * What the common step changes, held by for_each_tdp_pte in a local of its
 * own.  The iterator's address goes to the step functions and to the loop
 * body's callees, so its fields live in memory; this copy does not escape
 * and stays in registers.  The common step stores it->gfn and it->old_spte
 * and reads nothing back but it->fast_last.
 */
struct tdp_iter_run {
	u64 *sptep;			/* tdp_iter_sptep() */
	u64 pages;			/* GFNs per entry at min_level */
	gfn_t gfn;			/* == it->gfn */
	gfn_t end;			/* the walk's end */
	bool more;			/* the current entry is inside the walk */
	bool inner;			/* the body ran and has not left the walk */
};

/*
 * Copies the walk's position into r and sets it->fast_last.  At min_level
 * the common step may run up to the last entry of the current table that
 * starts below end; anywhere else fast_last is NULL, and it does not run.
 */
static inline void tdp_iter_run_load(struct tdp_iter *it, struct tdp_iter_run *r)
{
	unsigned int shift = SPTE_LEVEL_BITS * (it->min_level - 1);
	unsigned int left;

	r->more = it->valid && it->gfn < r->end;
	r->gfn = it->gfn;
	r->sptep = tdp_iter_sptep(it);
	it->fast_last = NULL;
	if (!r->more || it->level != it->min_level)
		return;
	left = SPTE_PER_TABLE - 1 - tdp_level_index(it->gfn, it->level);
	if ((r->end - 1 - it->gfn) >> shift < left)
		left = (r->end - 1 - it->gfn) >> shift;
	it->fast_last = r->sptep + left;
}

/* tdp_iter_start() for for_each_tdp_pte; returns the run it starts with. */
static inline struct tdp_iter_run tdp_iter_begin(struct tdp_iter *it,
						 const struct spte_format *fmt,
						 u64 *root_pt, int root_level,
						 int min_level, gfn_t start, gfn_t end)
{
	/* An empty range meets no entry (not even the one holding start). */
	struct tdp_iter_run r = { .pages = tdp_level_pages(min_level),
				  .end = start < end ? end : 0 };

	tdp_iter_start(it, fmt, root_pt, root_level, min_level, start);
	tdp_iter_run_load(it, &r);
	return r;
}

/*
 * The common step: the next entry of a table at min_level, when the walk
 * did not yield and that entry starts below end (no step down is possible
 * at min_level).  One compare with fast_last, a pointer increment, one
 * read and two stores.  Returns false, and moves nothing, when the general
 * step must run instead.
 */
static inline bool tdp_iter_next_fast(struct tdp_iter *it, struct tdp_iter_run *r)
{
	if (__builtin_expect((uintptr_t)r->sptep >= (uintptr_t)it->fast_last, 0))
		return false;
	r->sptep++;
	r->gfn += r->pages;
	it->gfn = r->gfn;
	it->old_spte = spte_read(r->sptep);
	return true;
}

/*
 * The general step, after the body's run of common steps ended.  When the
 * body left the walk (break), r->inner is still set: nothing moves and the
 * walk ends.
 */
static inline void tdp_iter_next(struct tdp_iter *it, struct tdp_iter_run *r)
{
	if (r->inner)
		return;
	tdp_iter_next_slow(it);
	tdp_iter_run_load(it, r);
}

/* The table that spte (at level) points to, or NULL for anything else. */
u64 *tdp_spte_to_child(const struct spte_format *fmt, u64 spte, int level);

/*
 * Two loops: the inner one runs the body and the common steps, the outer
 * one the general steps.  The inner loop holds no call of its own, so the
 * compiler keeps what it can in registers there.  A break in the body
 * leaves the inner loop with it##_run.inner set, which ends the outer one;
 * continue is a step, as in any loop.  The run's name is made from the
 * iterator's, so that walks with different iterators nest.
 */
#define for_each_tdp_pte_min_level(it, fmt, root_pt, root_level, min_level,   \
				   start, end)                                 \
	for (struct tdp_iter_run it##_run = tdp_iter_begin(&(it), fmt, root_pt, \
							   root_level,          \
							   min_level, start,    \
							   end);                \
	     it##_run.more && !it##_run.inner; tdp_iter_next(&(it), &it##_run))  \
		for (it##_run.inner = true; it##_run.inner;                     \
		     it##_run.inner = tdp_iter_next_fast(&(it), &it##_run))

#define for_each_tdp_pte(it, fmt, root_pt, root_level, start, end) \
	for_each_tdp_pte_min_level(it, fmt, root_pt, root_level,    \
				   TDP_LEVEL_4K, start, end)

#endif
