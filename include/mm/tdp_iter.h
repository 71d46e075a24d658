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
 *		... it.sptep, it.old_spte, it.gfn, it.level ...
 *
 * The walk never dereferences memory it was not given: it stops after the
 * last entry of the root (the end of the address space) and at end, and it
 * re-reads an entry before stepping into the table that entry points to, so
 * a table unlinked in between is not entered.  A walker that drops its lock
 * calls tdp_iter_restart(): the walk resumes from the root at the GFN it
 * had reached (next_gfn), which only grows, so every restart makes progress.
 */
#ifndef TDPVISOR_MM_TDP_ITER_H
#define TDPVISOR_MM_TDP_ITER_H

#include "mm/spte.h"

struct tdp_iter {
	u64 *sptep;			/* the current entry */
	u64 old_spte;			/* its value when last read */
	gfn_t gfn;			/* first GFN the current entry maps */
	int level;			/* level of the current entry */
	bool valid;			/* false once the walk is over */
	bool yielded;			/* the lock was dropped: restart next */
	int root_level;
	int min_level;
	gfn_t next_gfn;			/* lowest GFN not yet fully walked */
	gfn_t yielded_gfn;		/* next_gfn at the last (re)start */
	const struct spte_format *fmt;
	u64 *pt_path[TDP_MAX_LEVEL + 1]; /* table walked at each level */
};

/* Positions it at the first entry (at root_level) that maps start. */
void tdp_iter_start(struct tdp_iter *it, const struct spte_format *fmt,
		    u64 *root_pt, int root_level, int min_level, gfn_t start);
/* Walks again from the root to the entry that maps it->next_gfn. */
void tdp_iter_restart(struct tdp_iter *it);
/* The general step of tdp_iter_next(). */
void tdp_iter_next_slow(struct tdp_iter *it);

/*
 * Advances to the next entry in pre-order; clears it->valid at the end.
 * Inline for its common case, the next entry of a table at min_level (no
 * step down is possible there, and the table does not end yet).
 */
static inline void tdp_iter_next(struct tdp_iter *it)
{
	if (it->level <= it->min_level && !it->yielded &&
	    tdp_level_index(it->gfn, it->level) != SPTE_PER_TABLE - 1) {
		it->gfn += tdp_level_pages(it->level);
		it->next_gfn = it->gfn;
		it->sptep++;
		it->old_spte = spte_read(it->sptep);
		return;
	}
	tdp_iter_next_slow(it);
}
/* The table that spte (at level) points to, or NULL for anything else. */
u64 *tdp_spte_to_child(const struct spte_format *fmt, u64 spte, int level);

#define for_each_tdp_pte_min_level(it, fmt, root_pt, root_level, min_level, \
				   start, end)                               \
	for (tdp_iter_start(&(it), fmt, root_pt, root_level, min_level, start); \
	     (it).valid && (it).gfn < (end); tdp_iter_next(&(it)))

#define for_each_tdp_pte(it, fmt, root_pt, root_level, start, end) \
	for_each_tdp_pte_min_level(it, fmt, root_pt, root_level,    \
				   TDP_LEVEL_4K, start, end)

#endif
