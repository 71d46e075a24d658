// SPDX-License-Identifier: MIT
/*
 * The pre-order TDP walker (contract in include/mm/tdp_iter.h).
 *
 * State between steps: pt_path[level] is the table the walk is in at each
 * level from root_level down to level; the current entry is gfn's entry in
 * pt_path[level] (tdp_iter_sptep()); tdp_iter_next_gfn() lies in [gfn,
 * gfn + pages(level)).  Every step below keeps these, reads the entry it
 * stops on exactly once and touches no other memory.
 *
 *   level:   5        4        3        2        1
 *   gfn bits 44..36   35..27   26..18   17..9    8..0   = index in table
 */
#include "mm/tdp_iter.h"
#include "mm/mm_hooks.h"
#include "bug.h"

u64 *tdp_spte_to_child(const struct spte_format *fmt, u64 spte, int level)
{
	if (!spte_is_table(fmt, spte, level))
		return NULL;
	return mm_phys_to_virt(spte_hpa(spte));
}

/* Reads the current entry. */
static void iter_load(struct tdp_iter *it)
{
	it->old_spte = spte_read(tdp_iter_sptep(it));
}

void tdp_iter_restart(struct tdp_iter *it)
{
	it->slow_next_gfn = tdp_iter_next_gfn(it);
	it->yielded = false;
	it->yielded_gfn = it->slow_next_gfn;
	it->level = it->root_level;
	it->valid = it->slow_next_gfn < tdp_max_gfn(it->root_level);
	if (!it->valid)
		return;
	it->gfn = tdp_level_base(it->slow_next_gfn, it->level);
	iter_load(it);
}

void tdp_iter_start(struct tdp_iter *it, const struct spte_format *fmt,
		    u64 *root_pt, int root_level, int min_level, gfn_t start)
{
	BUG_ON(root_level < 1 || root_level > TDP_MAX_LEVEL);
	BUG_ON(min_level < 1 || min_level > root_level);
	it->fmt = fmt;
	it->root_level = root_level;
	it->min_level = min_level;
	it->pt_path[root_level] = root_pt;
	it->slow_next_gfn = start;
	it->gfn = start;
	tdp_iter_restart(it);
}

/*
 * Enters the table the current entry points to, at the entry that maps
 * slow_next_gfn.  The entry is read again first: if it no longer points to a
 * table (zapped, frozen, replaced by a leaf) the walk does not go down.
 * Returns false at min_level or when there is no table.
 */
static bool try_step_down(struct tdp_iter *it)
{
	u64 *child;

	if (it->level <= it->min_level)
		return false;
	iter_load(it);
	child = tdp_spte_to_child(it->fmt, it->old_spte, it->level);
	if (!child)
		return false;
	it->level--;
	it->pt_path[it->level] = child;
	it->gfn = tdp_level_base(it->slow_next_gfn, it->level);
	iter_load(it);
	return true;
}

/*
 * Moves to the next entry of the same table.  Returns false, and moves
 * nothing, at the table's last entry: at the root that is the end of the
 * address space, so the GFN arithmetic never leaves it.
 */
static bool try_step_side(struct tdp_iter *it)
{
	if (tdp_level_index(it->gfn, it->level) == SPTE_PER_TABLE - 1)
		return false;
	it->gfn += tdp_level_pages(it->level);
	it->slow_next_gfn = it->gfn;
	iter_load(it);
	return true;
}

/*
 * Returns to the entry of the parent table that holds the current table.
 * That entry was already visited and the caller steps side from it, so it
 * is not read again (old_spte is stale until that step).  Returns false in
 * the root table.
 */
static bool try_step_up(struct tdp_iter *it)
{
	if (it->level == it->root_level)
		return false;
	it->level++;
	it->gfn = tdp_level_base(it->gfn, it->level);
	return true;
}

void tdp_iter_next_slow(struct tdp_iter *it)
{
	if (it->yielded) {
		tdp_iter_restart(it);
		return;
	}
	it->slow_next_gfn = tdp_iter_next_gfn(it);
	if (try_step_down(it))
		return;
	while (!try_step_side(it)) {
		if (!try_step_up(it)) {
			it->valid = false;
			return;
		}
	}
}
