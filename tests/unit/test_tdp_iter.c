// SPDX-License-Identifier: MIT
/*
 * tdp_iter against a recursive reference walk: for random sparse trees at
 * every mix of levels, 4- and 5-level roots, and ranges with unaligned
 * starts and ends (up to the end of the address space, and empty ones),
 * the sequence of visited entries must be the same, entry for entry.  Runs
 * on the host and inside hv.efi.
 */
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/tdp_iter.h"
#include "mm/mm_hooks.h"

#define MAX_VISITS 4096
#define MAX_TABLES 256

struct visit {
	u64 *sptep;
	gfn_t gfn;
	int level;
};

struct tree {
	const struct spte_format *fmt;
	u64 *root;
	int root_level;
	u64 *tables[MAX_TABLES];
	unsigned int nr_tables;
	u64 seed;
};

static u64 rnd(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static u64 *tree_table(struct tree *t)
{
	u64 *pt = mm_alloc_table_page();

	if (pt && t->nr_tables < MAX_TABLES)
		t->tables[t->nr_tables++] = pt;
	return pt;
}

/* Fills a few random entries of pt (level) with leaves and lower tables. */
static void tree_fill(struct tree *t, u64 *pt, int level, unsigned int depth)
{
	unsigned int k, n = 1 + rnd(&t->seed) % 4;

	for (k = 0; k < n; k++) {
		unsigned int r = rnd(&t->seed) % 8, i = rnd(&t->seed) % SPTE_PER_TABLE;
		bool can_leaf = level <= TDP_MAX_HUGE_LEVEL;
		u64 *child;

		if (k == 0 && (r & 1))
			i = (r & 2) ? 0 : SPTE_PER_TABLE - 1; /* table edges */
		if (level > 1 && (r < 5 || !can_leaf) && t->nr_tables < MAX_TABLES - 1) {
			child = tree_table(t);
			if (!child)
				return;
			pt[i] = spte_make_table(t->fmt, mm_virt_to_phys(child));
			tree_fill(t, child, level - 1, depth + 1);
		} else if (can_leaf) {
			pt[i] = spte_make_leaf(t->fmt, 0x1000 + i, level, TDP_ACC_RWX,
					       MT_WB, true);
		} else {
			pt[i] = spte_make_mmio(3);	/* a non-present marker */
		}
	}
}

static bool tree_build(struct tree *t, const struct spte_format *fmt,
		       int root_level, u64 seed)
{
	memset(t, 0, sizeof(*t));
	t->fmt = fmt;
	t->root_level = root_level;
	t->seed = seed;
	t->root = tree_table(t);
	if (!t->root)
		return false;
	tree_fill(t, t->root, root_level, 0);
	return true;
}

static void tree_free(struct tree *t)
{
	while (t->nr_tables)
		mm_free_table_page(t->tables[--t->nr_tables]);
}

struct walk {
	struct visit v[MAX_VISITS];
	unsigned int n;
	gfn_t start, end;
	int min_level;
};

static void ref_walk(const struct tree *t, struct walk *w, u64 *pt, int level,
		     gfn_t base, bool *stop)
{
	unsigned int i;

	if (w->start >= w->end)
		*stop = true;	/* an empty range meets nothing */
	for (i = 0; i < SPTE_PER_TABLE && !*stop; i++) {
		gfn_t g = base + i * tdp_level_pages(level);
		u64 *child = tdp_spte_to_child(t->fmt, pt[i], level);

		if (g + tdp_level_pages(level) <= w->start)
			continue;
		if (g >= w->end || w->n == MAX_VISITS) {
			*stop = true;
			return;
		}
		w->v[w->n++] = (struct visit){ &pt[i], g, level };
		if (child && level > w->min_level)
			ref_walk(t, w, child, level - 1, g, stop);
	}
}

static void iter_walk(const struct tree *t, struct walk *w)
{
	struct tdp_iter it;

	for_each_tdp_pte_min_level(it, t->fmt, t->root, t->root_level,
				   w->min_level, w->start, w->end) {
		if (w->n == MAX_VISITS)
			return;
		w->v[w->n++] = (struct visit){ tdp_iter_sptep(&it), it.gfn, it.level };
	}
}

/* Compares both walks; prints the first difference.  Returns ok. */
static bool same_walk(struct ktest_ctx *t, const struct walk *ref,
		      const struct walk *got, u64 seed)
{
	unsigned int i;

	for (i = 0; i < ref->n && i < got->n; i++) {
		if (ref->v[i].sptep == got->v[i].sptep && ref->v[i].level == got->v[i].level &&
		    ref->v[i].gfn == got->v[i].gfn)
			continue;
		return ktest_check(t, false, __FILE__, __LINE__,
				   "seed 0x%llx range [0x%llx,0x%llx) min %d: visit %u expected gfn 0x%llx level %d, seen gfn 0x%llx level %d",
				   (unsigned long long)seed, (unsigned long long)ref->start,
				   (unsigned long long)ref->end, ref->min_level, i,
				   (unsigned long long)ref->v[i].gfn, ref->v[i].level,
				   (unsigned long long)got->v[i].gfn, got->v[i].level);
	}
	return ktest_check(t, ref->n == got->n, __FILE__, __LINE__,
			   "seed 0x%llx range [0x%llx,0x%llx) min %d: expected %u visits, seen %u",
			   (unsigned long long)seed, (unsigned long long)ref->start,
			   (unsigned long long)ref->end, ref->min_level, ref->n, got->n);
}

/* A random GFN near something the tree maps, or an address-space edge. */
static gfn_t pick_gfn(struct tree *tr, u64 *s)
{
	gfn_t max = tdp_max_gfn(tr->root_level);
	unsigned int r = rnd(s) % 8;

	if (r == 0)
		return 0;
	if (r == 1)
		return max - 1 - rnd(s) % 1024;
	return rnd(s) % max;
}

static struct walk ref_w, got_w;

/* The reference's non-table, non-empty entries of the whole tree, in order. */
static void ref_leaves(const struct tree *t, struct walk *w, u64 *pt, int level,
		       gfn_t base)
{
	unsigned int i;

	for (i = 0; i < SPTE_PER_TABLE && w->n < MAX_VISITS; i++) {
		gfn_t g = base + i * tdp_level_pages(level);
		u64 *child = tdp_spte_to_child(t->fmt, pt[i], level);

		if (child)
			ref_leaves(t, w, child, level - 1, g);
		else if (pt[i])
			w->v[w->n++] = (struct visit){ &pt[i], g, level };
	}
}

static void iter_matches_reference(struct ktest_ctx *t, const struct spte_format *fmt,
				   int root_level, unsigned int trees)
{
	u64 seed = 0x2545f4914f6cdd1dULL ^ (u64)root_level;
	unsigned int k, r;

	for (k = 0; k < trees; k++) {
		struct tree tr;
		u64 s = rnd(&seed);

		KT_ASSERT(t, tree_build(&tr, fmt, root_level, s));
		for (r = 0; r < 16; r++) {
			gfn_t a = pick_gfn(&tr, &s), b = pick_gfn(&tr, &s);
			bool stop = false;

			if (a > b) {
				gfn_t x = a;
				a = b;
				b = x;
			}
			if (r == 0) {
				a = 0;
				b = tdp_max_gfn(root_level);
			}
			ref_w.start = got_w.start = a;
			ref_w.end = got_w.end = r == 1 ? a : b + 1;	/* r 1: empty */
			ref_w.min_level = got_w.min_level = 1 + rnd(&s) % 3;
			ref_w.n = got_w.n = 0;
			ref_walk(&tr, &ref_w, tr.root, root_level, 0, &stop);
			iter_walk(&tr, &got_w);
			if (!same_walk(t, &ref_w, &got_w, s))
				break;
		}
		tree_free(&tr);
	}
}

KTEST(tdp_iter_visits_like_recursive_walk_4level)
{
	iter_matches_reference(t, &spte_fmt_ept, 4, 200);
	iter_matches_reference(t, &spte_fmt_npt, 4, 200);
}

KTEST(tdp_iter_visits_like_recursive_walk_5level)
{
	iter_matches_reference(t, &spte_fmt_ept, 5, 200);
	iter_matches_reference(t, &spte_fmt_npt, 5, 200);
}

/*
 * A break in the body leaves the walk at that entry, whether the walk got
 * there by the common step (inside a table at min_level) or not.
 */
KTEST(tdp_iter_break_leaves_the_walk_at_that_entry)
{
	u64 seed = 0x9e3779b97f4a7c15ULL;
	unsigned int k;

	for (k = 0; k < 50; k++) {
		struct tree tr;
		struct tdp_iter it;
		u64 s = rnd(&seed);
		unsigned int stop_at, n = 0;
		bool stop = false;

		KT_ASSERT(t, tree_build(&tr, &spte_fmt_ept, 4, s));
		ref_w.start = 0;
		ref_w.end = tdp_max_gfn(4);
		ref_w.min_level = 1 + k % 3;
		ref_w.n = 0;
		ref_walk(&tr, &ref_w, tr.root, 4, 0, &stop);
		KT_ASSERT(t, ref_w.n > 0);
		stop_at = rnd(&s) % ref_w.n;
		for_each_tdp_pte_min_level(it, tr.fmt, tr.root, 4, ref_w.min_level, 0,
					   tdp_max_gfn(4)) {
			if (n == stop_at)
				break;
			n++;
		}
		KT_EXPECT_EQ(t, n, stop_at);
		KT_EXPECT_EQ(t, tdp_iter_sptep(&it), ref_w.v[stop_at].sptep);
		KT_EXPECT_EQ(t, it.gfn, ref_w.v[stop_at].gfn);
		KT_EXPECT_EQ(t, it.level, ref_w.v[stop_at].level);
		tree_free(&tr);
	}
}

KTEST(tdp_iter_stops_at_end_of_address_space)
{
	u64 *root = mm_alloc_table_page();
	struct tdp_iter it;
	unsigned int n = 0;

	KT_ASSERT(t, root != NULL);
	root[SPTE_PER_TABLE - 1] = spte_make_leaf(&spte_fmt_ept, 7, 4, TDP_ACC_R, MT_WB, false);
	for_each_tdp_pte(it, &spte_fmt_ept, root, 4, tdp_max_gfn(4) - 1, ~0ULL) {
		KT_EXPECT_EQ(t, tdp_iter_sptep(&it), &root[SPTE_PER_TABLE - 1]);
		n++;
	}
	KT_EXPECT_EQ(t, n, 1);
	KT_EXPECT(t, !it.valid);
	/* A start beyond the address space visits nothing. */
	tdp_iter_start(&it, &spte_fmt_ept, root, 4, 1, tdp_max_gfn(4));
	KT_EXPECT(t, !it.valid);
	mm_free_table_page(root);
}

KTEST(tdp_iter_restart_resumes_where_it_stopped_and_progresses)
{
	struct tree tr;
	struct tdp_iter it;
	unsigned int steps = 0;

	KT_ASSERT(t, tree_build(&tr, &spte_fmt_npt, 4, 0x1234567));
	ref_w.start = got_w.start = 0;
	ref_w.end = got_w.end = tdp_max_gfn(4);
	ref_w.min_level = got_w.min_level = 1;
	ref_w.n = got_w.n = 0;
	ref_leaves(&tr, &ref_w, tr.root, 4, 0);
	/* Restart every third step: the same leaves, in order, none lost. */
	for_each_tdp_pte(it, tr.fmt, tr.root, 4, 0, tdp_max_gfn(4)) {
		gfn_t before = tdp_iter_next_gfn(&it);

		if (++steps % 3 == 0 && tdp_iter_next_gfn(&it) != it.yielded_gfn) {
			tdp_iter_yield(&it);
			continue;
		}
		KT_EXPECT(t, tdp_iter_next_gfn(&it) >= before);
		if (!it.old_spte || tdp_spte_to_child(tr.fmt, it.old_spte, it.level))
			continue;
		if (got_w.n && got_w.v[got_w.n - 1].sptep == tdp_iter_sptep(&it))
			continue;	/* the entry it resumed at */
		if (got_w.n < MAX_VISITS)
			got_w.v[got_w.n++] = (struct visit){ tdp_iter_sptep(&it), it.gfn, it.level };
	}
	KT_EXPECT(t, ref_w.n > 10);
	same_walk(t, &ref_w, &got_w, 0x1234567);
	tree_free(&tr);
}
