// SPDX-License-Identifier: MIT
/*
 * The TDP MMU benchmark (make bench-mm): figures and ratios, not pass/fail.
 * Optimized host build against the fake arch; guest accesses go through the
 * hardware stand-in (tdp_hw.h).  Prints one table.
 */
#undef snprintf	/* the C library's, which formats %f */
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "mm/tdp_mmu.h"
#include "mm/tdp_iter.h"
#include "fake_arch.h"
#include "tdp_hw.h"

#define GB_PAGES (1ULL << 18)		/* 4 KiB pages in 1 GiB */

static void flush_noop(struct tdp_mmu *mmu)
{
}

static const struct tdp_mmu_ops bench_ops = { .flush_tlbs = flush_noop };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int perf_fd = -1;

/* Instructions retired by this thread, or 0 without hardware counters. */
static u64 instructions(void)
{
	u64 n = 0;

	if (perf_fd < 0 || read(perf_fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static void perf_open(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	perf_fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

struct env {
	struct tdp_mmu mmu;
	struct tdp_vcpu v[3];
	struct mm_slot slot;
};

static struct env *env_new(u64 npages)
{
	struct env *e = calloc(1, sizeof(*e));
	unsigned int i;

	e->slot = (struct mm_slot){ .base_gfn = 0, .npages = npages, .host_pfn = 1ULL << 30 };
	if (tdp_mmu_init(&e->mmu, &spte_fmt_ept, 4, &bench_ops, NULL))
		abort();
	for (i = 0; i < 3; i++)
		if (tdp_vcpu_init(&e->v[i], &e->mmu, i) || tdp_vcpu_load_root(&e->v[i]))
			abort();
	return e;
}

static void env_free(struct env *e)
{
	unsigned int i;

	for (i = 0; i < 3; i++)
		tdp_vcpu_destroy(&e->v[i]);
	tdp_mmu_destroy(&e->mmu);
	free(e);
}

static int map_page(struct tdp_vcpu *v, struct mm_slot *slot, gfn_t g, int max_level,
		    u32 access)
{
	struct tdp_fault f = { .gfn = g, .access = access, .slot = slot,
			       .policy = { .max_level = max_level } };

	return tdp_mmu_map(v, &f);
}

/* Maps [start, start + n) at 4K by faults. */
static void populate_4k(struct env *e, struct tdp_vcpu *v, gfn_t start, u64 n)
{
	gfn_t g;

	for (g = start; g < start + n; g++)
		if (map_page(v, &e->slot, g, 1, TDP_ACC_W) < 0)
			abort();
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

struct row {
	const char *what;
	u64 ops;
	double ns;
	u64 insns;
	char note[96];
};

static struct row rows[40];
static unsigned int nrows;

static struct row *row(const char *what, u64 ops, double ns, u64 insns)
{
	struct row *r = &rows[nrows++];

	*r = (struct row){ what, ops, ns, insns, "" };
	return r;
}

/*
 * The walk and its memory bound do the same work per entry: read it and
 * count it if it is not zero.  The walk also visits the entries of the
 * upper tables (2053 of them not zero, next to the 2^20 leaves).  Both are
 * out of line, so that neither is compiled into main()'s register
 * pressure.
 */
static __attribute__((noinline)) u64 walk_entries(const struct spte_format *fmt, u64 *root,
						  gfn_t end)
{
	struct tdp_iter it;
	u64 n = 0;

	for_each_tdp_pte(it, fmt, root, 4, 0, end)
		n += it.old_spte != 0;
	return n;
}

static __attribute__((noinline)) u64 read_flat(u64 *const *pts, u64 npt)
{
	u64 n = 0, i;
	unsigned int j;

	for (i = 0; i < npt; i++)
		for (j = 0; j < SPTE_PER_TABLE; j++)
			n += spte_read(&pts[i][j]) != 0;
	return n;
}

/*
 * The baseline of bulk operations: one atomic exchange per SPTE over the
 * same leaf tables, each entry exchanged for the value it holds (the
 * faults made leaf j of a table the first leaf plus j pages), so the
 * tables are left as they were.  Aborts if an entry held anything else.
 */
static __attribute__((noinline)) void xchg_flat(u64 *const *pts, u64 npt)
{
	u64 i, diff = 0;
	unsigned int j;

	for (i = 0; i < npt; i++) {
		u64 v0 = spte_read(&pts[i][0]);

		for (j = 0; j < SPTE_PER_TABLE; j++)
			diff |= xchg64(&pts[i][j], v0 + ((u64)j << PAGE_SHIFT)) ^
				(v0 + ((u64)j << PAGE_SHIFT));
	}
	if (diff)
		abort();
}

/* The 4K tables under [0, end) of e's first root, in walk order; returns how many. */
static u64 leaf_tables(struct env *e, gfn_t end, u64 **pts)
{
	struct tdp_iter it;
	u64 npt = 0;

	for_each_tdp_pte_min_level(it, e->mmu.fmt, e->v[0].root->pt, 4, 2, 0, end)
		if (it.level == 2)
			pts[npt++] = tdp_spte_to_child(e->mmu.fmt, it.old_spte, 2);
	return npt;
}

#define XCHG_REPS 3

/* Best time of XCHG_REPS runs of xchg_flat() over the 4K tables of [0, end). */
static double time_xchg(struct env *e, gfn_t end)
{
	u64 **pts = calloc(end / 512 + 1, sizeof(u64 *)), npt = leaf_tables(e, end, pts);
	double best = 1e30, t0;
	int rep;

	for (rep = 0; rep < XCHG_REPS; rep++) {
		t0 = now_ns();
		xchg_flat(pts, npt);
		best = min_d(best, now_ns() - t0);
	}
	free(pts);
	return best;
}

#define WALK_REPS 20
/*
 * Runs of each bulk operation (zap, enable, harvests), set up afresh each
 * time, each right after its baseline; each side keeps its best, as the
 * walk and the flat read do.  On this shared machine one exchange per
 * SPTE took from 2.8 to 22 ns in consecutive windows of a few ms, and the
 * bulk operations moved more: only the best of many runs is the cost of
 * the code rather than of the neighbours.  The median of the pairs'
 * ratios is printed beside.
 */
#define OP_REPS 9

/* The median of n (at most OP_REPS) values. */
static double median(const double *v, int n)
{
	double a[OP_REPS];
	int i, j;

	for (i = 0; i < n; i++) {
		for (j = i; j > 0 && a[j - 1] > v[i]; j--)
			a[j] = a[j - 1];
		a[j] = v[i];
	}
	return n % 2 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
}

/*
 * 1. Walk every leaf of 4 GiB of 4K mappings, and read the same SPTEs flat,
 * table by table in the walk's order.  The two alternate, WALK_REPS times;
 * each keeps its best time.
 */
static void bench_walk(void)
{
	struct env *e = env_new(4 * GB_PAGES);
	u64 **pts = calloc(4 * GB_PAGES / 512, sizeof(u64 *)), npt = 0, n = 0, upper = 0;
	struct tdp_iter it;
	double t0, walk, flat, ratio[OP_REPS];
	u64 i0 = 0;
	int rep;

	populate_4k(e, &e->v[0], 0, 4 * GB_PAGES);
	/* Collect the leaf tables, for the memory-bound reference. */
	for_each_tdp_pte_min_level(it, e->mmu.fmt, e->v[0].root->pt, 4, 2, 0, 4 * GB_PAGES)
		if (it.level == 2)
			pts[npt++] = tdp_spte_to_child(e->mmu.fmt, it.old_spte, 2);
	walk = flat = 1e30;
	for (rep = 0; rep < WALK_REPS; rep++) {
		u64 i1 = instructions();
		double w, f;

		t0 = now_ns();
		upper = walk_entries(e->mmu.fmt, e->v[0].root->pt, 4 * GB_PAGES);
		w = now_ns() - t0;
		i0 = instructions() - i1;
		t0 = now_ns();
		n = read_flat(pts, npt);
		f = now_ns() - t0;
		upper -= n;
		walk = w < walk ? w : walk;
		flat = f < flat ? f : flat;
	}
	/* Leaves, and the entries of 1 + 1 + 4 upper tables that point down. */
	if (n != 4 * GB_PAGES || upper != 1 + 4 + npt)
		abort();
	snprintf(row("walk 4 GiB of 4K leaves (tdp_iter)", n, walk, i0)->note,
		 sizeof(rows[0].note), "ratio to flat read %.2f (goal <= 2.0), best of %d",
		 walk / flat, WALK_REPS);
	snprintf(row("  flat read of the same SPTEs", n, flat, 0)->note, sizeof(rows[0].note),
		 "memory bound");
	/*
	 * 3. zap 4 GiB of 4K mappings, OP_REPS times (mapped again in
	 * between), each right after its baseline over the same tables.
	 */
	walk = flat = 1e30;
	for (rep = 0; rep < OP_REPS; rep++) {
		double z, x;

		if (rep)
			populate_4k(e, &e->v[0], 0, 4 * GB_PAGES);
		x = time_xchg(e, 4 * GB_PAGES);
		i0 = instructions();
		t0 = now_ns();
		tdp_mmu_zap_range(&e->v[0], 0, 4 * GB_PAGES);
		z = now_ns() - t0;
		i0 = instructions() - i0;
		walk = min_d(walk, z);
		flat = min_d(flat, x);
		ratio[rep] = z / x;
	}
	snprintf(row("  xchg per SPTE, the same tables", n, flat, 0)->note, sizeof(rows[0].note),
		 "one atomic exchange per 4K SPTE, best of %d", OP_REPS * XCHG_REPS);
	snprintf(row("zap 4 GiB of 4K mappings", n, walk, i0)->note, sizeof(rows[0].note),
		 "ratio to xchg %.2f (goal <= 1.5; median of pairs %.2f), tables left %llu",
		 walk / flat, median(ratio, OP_REPS),
		 (unsigned long long)stat_read(&e->mmu.stats.tables));
	free(pts);
	env_free(e);
}

/* 2. Populate 1 GiB by guest accesses into an empty root, 4K or huge. */
static void bench_populate(int max_level, const char *what)
{
	struct env *e = env_new(GB_PAGES);
	u64 faults = 0, i0 = instructions();
	double t0 = now_ns();
	gfn_t g;

	for (g = 0; g < GB_PAGES; g++) {
		pfn_t pfn;

		while (hw_access(e->mmu.fmt, e->v[0].root, g, true, &pfn) != HW_OK) {
			if (map_page(&e->v[0], &e->slot, g, max_level, TDP_ACC_W) < 0)
				abort();
			faults++;
		}
	}
	snprintf(row(what, faults, now_ns() - t0, instructions() - i0)->note,
		 sizeof(rows[0].note), "%llu faults, %llu tables",
		 (unsigned long long)faults, (unsigned long long)stat_read(&e->mmu.stats.tables));
	env_free(e);
}

/* Faults a write into every step-th page of 4 GiB; returns how many. */
static u64 dirty_pages(struct env *e, gfn_t step)
{
	gfn_t g;
	u64 n = 0;

	for (g = 0; g < 4 * GB_PAGES; g += step, n++)
		if (map_page(&e->v[0], &e->slot, g, 1, TDP_ACC_W) != TDP_FAULT_FIXED)
			abort();
	return n;
}

/*
 * 4. Dirty logging on 4 GiB: enable, then get+clear with 1% and 100%
 * dirty, each OP_REPS times, against one exchange per SPTE measured next
 * to the runs of enable and of the 100% harvest (the leaf tables are
 * uniform then, which the baseline needs).
 */
static void bench_dirty(void)
{
	struct tdp_huge_policy none = { .max_level = 1 };
	struct env *e = env_new(4 * GB_PAGES);
	u64 *bm = calloc(4 * GB_PAGES / 64, sizeof(u64)), ins[3] = { 0 }, n[3] = { 0 }, i0;
	double t0, t, x = 1e30, best[3] = { 1e30, 1e30, 1e30 }, ratio[2][OP_REPS], xr;
	int k, rep;

	populate_4k(e, &e->v[0], 0, 4 * GB_PAGES);
	for (rep = 0; rep < OP_REPS; rep++) {
		if (rep) {	/* every leaf writable again */
			tdp_dirty_log_disable(&e->v[0], &e->slot, &none);
			dirty_pages(e, 1);
		}
		xr = time_xchg(e, 4 * GB_PAGES);
		x = min_d(x, xr);
		i0 = instructions();
		t0 = now_ns();
		tdp_dirty_log_enable(&e->v[0], &e->slot, TDP_DIRTY_WP, 0);
		t = now_ns() - t0;
		ins[0] = instructions() - i0;
		best[0] = min_d(best[0], t);
		ratio[0][rep] = t / xr;
	}
	for (k = 1; k <= 2; k++) {	/* 1% dirty, then 100% */
		for (rep = 0; rep < OP_REPS; rep++) {
			n[k] = dirty_pages(e, k == 1 ? 100 : 1);
			xr = k == 2 ? time_xchg(e, 4 * GB_PAGES) : 1e30;
			x = min_d(x, xr);
			i0 = instructions();
			t0 = now_ns();
			tdp_dirty_log_get(&e->v[0], &e->slot, bm, true);
			t = now_ns() - t0;
			ins[k] = instructions() - i0;
			best[k] = min_d(best[k], t);
			ratio[1][rep] = t / xr;
		}
	}
	snprintf(row("xchg per SPTE over the 4 GiB below", 4 * GB_PAGES, x, 0)->note,
		 sizeof(rows[0].note), "baseline of the next rows, best of %d",
		 2 * OP_REPS * XCHG_REPS);
	snprintf(row("enable dirty logging (write-protect) on 4 GiB", 4 * GB_PAGES, best[0],
		     ins[0])->note, sizeof(rows[0].note),
		 "ratio to xchg %.2f (goal <= 1.5; median of pairs %.2f)", best[0] / x,
		 median(ratio[0], OP_REPS));
	snprintf(row("get+clear dirty log, 1% dirty", 4 * GB_PAGES, best[1], ins[1])->note,
		 sizeof(rows[0].note), "%llu dirty pages, best of %d", (unsigned long long)n[1],
		 OP_REPS);
	snprintf(row("get+clear dirty log, 100% dirty", 4 * GB_PAGES, best[2], ins[2])->note,
		 sizeof(rows[0].note), "%llu dirty pages, ratio to xchg %.2f (goal <= 1.5; median of pairs %.2f)",
		 (unsigned long long)n[2], best[2] / x, median(ratio[1], OP_REPS));
	tdp_dirty_log_disable(&e->v[0], &e->slot, NULL);
	free(bm);
	env_free(e);
}

/*
 * Maps 1 GiB with leaves of max_level, logs it (write protection, eager
 * split) and writes every page once, as a migration's first pass would.
 */
static void logged_gib(struct env *e, int max_level)
{
	gfn_t g;

	for (g = 0; g < GB_PAGES; g += tdp_level_pages(max_level))
		if (map_page(&e->v[0], &e->slot, g, max_level, TDP_ACC_W) < 0)
			abort();
	if (tdp_dirty_log_enable(&e->v[0], &e->slot, TDP_DIRTY_WP, TDP_DIRTY_EAGER_SPLIT))
		abort();
	populate_4k(e, &e->v[0], 0, GB_PAGES);
}

/* The guest touches one page per 2 MiB; returns the faults it took. */
static u64 touch_gib(struct env *e, int max_level)
{
	u64 faults = 0;
	gfn_t g;

	for (g = 0; g < GB_PAGES; g += 512) {
		pfn_t pfn;

		while (hw_access(e->mmu.fmt, e->v[0].root, g, true, &pfn) != HW_OK) {
			if (map_page(&e->v[0], &e->slot, g, max_level, TDP_ACC_W) < 0)
				abort();
			faults++;
		}
	}
	return faults;
}

/*
 * 6. The end of dirty logging of 1 GiB that was mapped with max_level
 * leaves: huge pages recovered in place (tdp_dirty_log_disable()), against
 * zapping the split tables and faulting huge pages back in.  Both end
 * with the guest touching one page per 2 MiB, faulting where it must.
 */
static void bench_recover(int max_level)
{
	struct tdp_huge_policy p = { .max_level = max_level }, none = { .max_level = 1 };
	double t0, in_place = 1e30, refault = 1e30, ratio[OP_REPS], a, b;
	u64 f_in = 0, f_z = 0, rec = 0;
	int rep;

	for (rep = 0; rep < OP_REPS; rep++) {
		struct env *e = env_new(GB_PAGES), *z = env_new(GB_PAGES);

		logged_gib(e, max_level);
		t0 = now_ns();
		tdp_dirty_log_disable(&e->v[0], &e->slot, &p);
		f_in = touch_gib(e, max_level);
		a = now_ns() - t0;
		rec = stat_read(&e->mmu.stats.recovered);
		logged_gib(z, max_level);
		t0 = now_ns();
		tdp_dirty_log_disable(&z->v[0], &z->slot, &none);
		tdp_mmu_zap_range(&z->v[0], 0, GB_PAGES);
		f_z = touch_gib(z, max_level);
		b = now_ns() - t0;
		in_place = min_d(in_place, a);
		refault = min_d(refault, b);
		ratio[rep] = a / b;
		env_free(z);
		env_free(e);
	}
	snprintf(row(max_level == 2 ? "end logging 1 GiB (2M), recover in place" :
				      "end logging 1 GiB (1G), recover in place",
		     GB_PAGES, in_place, 0)->note, sizeof(rows[0].note),
		 "%llu tables recovered, %llu faults; ratio to zap+refault %.2f (pairs %.2f)",
		 (unsigned long long)rec, (unsigned long long)f_in, in_place / refault,
		 median(ratio, OP_REPS));
	snprintf(row("  the same by zap and refault", GB_PAGES, refault, 0)->note,
		 sizeof(rows[0].note), "%llu faults, each also a VM exit on hardware",
		 (unsigned long long)f_z);
}

/*
 * 7. Harvesting 4 GiB through a dirty ring (one vCPU's, sized for every
 * page) at one page in 4096, 1% and 100% dirty, against the bitmap's
 * get+clear of the same pages in a second MMU, the two back to back
 * OP_REPS times.
 */
static void bench_ring(void)
{
	struct env *e = env_new(4 * GB_PAGES), *b = env_new(4 * GB_PAGES);
	u64 *bm = calloc(4 * GB_PAGES / 64, sizeof(u64));
	/* Written once before the runs, so no run pays for its first touch. */
	gfn_t *out = calloc(4 * GB_PAGES, sizeof(gfn_t));
	static const struct { gfn_t step; const char *what; } dens[] = {
		{ 4096, "dirty ring harvest, 1 page in 4096 dirty" },
		{ 100, "dirty ring harvest, 1% dirty" },
		{ 1, "dirty ring harvest, 100% dirty" },
	};
	double t0, t, tb, best, best_b, ratio[OP_REPS];
	unsigned int d;
	int rep;
	long got;
	u64 n;

	populate_4k(e, &e->v[0], 0, 4 * GB_PAGES);
	populate_4k(b, &b->v[0], 0, 4 * GB_PAGES);
	if (!out || !bm || tdp_dirty_ring_init(&e->v[0], 8 * GB_PAGES) ||
	    tdp_dirty_log_enable(&e->v[0], &e->slot, TDP_DIRTY_WP, TDP_DIRTY_RING) ||
	    tdp_dirty_log_enable(&b->v[0], &b->slot, TDP_DIRTY_WP, 0))
		abort();
	memset(out, 1, 4 * GB_PAGES * sizeof(gfn_t));
	memset(e->v[0].ring.gfns, 1, e->v[0].ring.size * sizeof(gfn_t));
	for (d = 0; d < ARRAY_SIZE(dens); d++) {
		best = best_b = 1e30;
		for (rep = 0; rep < OP_REPS; rep++) {
			n = dirty_pages(e, dens[d].step);
			dirty_pages(b, dens[d].step);
			t0 = now_ns();
			tdp_dirty_log_get(&b->v[0], &b->slot, bm, true);
			tb = now_ns() - t0;
			t0 = now_ns();
			got = tdp_dirty_ring_harvest(&e->v[0], &e->v[0], out, 4 * GB_PAGES);
			t = now_ns() - t0;
			if (got != (long)n)
				abort();
			best = min_d(best, t);
			best_b = min_d(best_b, tb);
			ratio[rep] = t / tb;
		}
		t = best / best_b;
		snprintf(row(dens[d].what, 4 * GB_PAGES, best, 0)->note, sizeof(rows[0].note),
			 "ratio to the bitmap's get+clear %.2f (pairs %.2f): the %s wins", t,
			 median(ratio, OP_REPS), t < 1 ? "ring" : "bitmap");
	}
	tdp_dirty_log_disable(&b->v[0], &b->slot, NULL);
	tdp_dirty_log_disable(&e->v[0], &e->slot, NULL);
	free(out);
	free(bm);
	env_free(b);
	env_free(e);
}

struct fault_job {
	struct env *e;
	unsigned int v;
	gfn_t start;
	u64 n;
};

static void *fault_thread(void *arg)
{
	struct fault_job *j = arg;

	populate_4k(j->e, &j->e->v[j->v], j->start, j->n);
	return NULL;
}

#define THREAD_REPS 9
#define SPIN_ITERS (20u << 20)

/* Pure arithmetic, one dependency chain: what two CPUs can do at once. */
static void *spin_thread(void *arg)
{
	u64 *x = arg, v = *x;
	unsigned int i;

	for (i = 0; i < SPIN_ITERS; i++)
		v = v * 6364136223846793005ULL + 1442695040888963407ULL;
	*x = v;
	return NULL;
}

/* Runs fn(arg[0]) and fn(arg[1]): one after the other, or on two threads. */
static double time_pair(void *(*fn)(void *), void *arg0, void *arg1, bool threads)
{
	double t0 = now_ns();
	pthread_t th;

	if (!threads) {
		fn(arg0);
		fn(arg1);
		return now_ns() - t0;
	}
	if (pthread_create(&th, NULL, fn, arg1))
		abort();
	fn(arg0);
	pthread_join(th, NULL);
	return now_ns() - t0;
}


/*
 * Zaps what the fault jobs mapped, all but the first two pages of each
 * range, so that the tables above the leaves stay and every run faults in
 * the same leaves and leaf tables.
 */
static void zap_jobs(const struct fault_job *j)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		tdp_mmu_zap_range(&j[i].e->v[0], j[i].start + 2, j[i].start + j[i].n);
}

/*
 * 5. Two threads faulting disjoint ranges of one MMU against one thread
 * faulting both; the same with one MMU per range, which shares nothing of
 * mm/ (what is left is the allocator, the kernel and the machine); and two
 * threads of pure arithmetic, the speed-up this machine allows right now
 * (a loaded machine shows a ceiling below 2).  The runs alternate,
 * THREAD_REPS times; each keeps its best time.
 */
static void bench_threads(void)
{
	const u64 n = GB_PAGES / 2;
	struct env *e = env_new(GB_PAGES), *e2 = env_new(GB_PAGES);
	struct fault_job one[2] = { { e, 1, 0, n }, { e, 2, n, n } };
	struct fault_job two[2] = { { e, 1, 0, n }, { e2, 2, n, n } };
	static u64 spin[2][8] __attribute__((aligned(64))) = { { 1 }, { 2 } };
	double best[3][2] = { { 1e30, 1e30 }, { 1e30, 1e30 }, { 1e30, 1e30 } };
	int rep, threads;

	/* Warm: the upper tables exist in every run. */
	populate_4k(e, &e->v[0], 0, 1);
	populate_4k(e, &e->v[0], n, 1);
	populate_4k(e2, &e2->v[0], n, 1);
	for (rep = 0; rep < THREAD_REPS; rep++) {
		for (threads = 0; threads < 2; threads++) {
			zap_jobs(one);
			best[0][threads] = min_d(best[0][threads],
						 time_pair(fault_thread, &one[0], &one[1], threads));
			zap_jobs(two);
			best[1][threads] = min_d(best[1][threads],
						 time_pair(fault_thread, &two[0], &two[1], threads));
			best[2][threads] = min_d(best[2][threads],
						 time_pair(spin_thread, spin[0], spin[1], threads));
		}
	}
	row("4K faults, 1 thread (two disjoint 512 MiB)", 2 * n, best[0][0], 0);
	snprintf(row("4K faults, 2 threads (one 512 MiB each)", 2 * n, best[0][1], 0)->note,
		 sizeof(rows[0].note), "speed-up %.2f (goal >= 1.7 on 2 cores), best of %d",
		 best[0][0] / best[0][1], THREAD_REPS);
	snprintf(row("  the same, one MMU per thread", 2 * n, best[1][1], 0)->note,
		 sizeof(rows[0].note), "speed-up %.2f: no mm/ state shared",
		 best[1][0] / best[1][1]);
	snprintf(row("  arithmetic, 2 threads against 1", 2ULL * SPIN_ITERS, best[2][1], 0)->note,
		 sizeof(rows[0].note), "speed-up %.2f: this machine's ceiling in this run",
		 best[2][0] / best[2][1]);
	env_free(e2);
	env_free(e);
}

#define WPF_PAGES 16384ULL		/* 64 MiB */
#define WPF_REPS 9

/*
 * Write faults on 4K leaves that write-protect-mode dirty logging holds
 * back: each page once, through tdp_mmu_fast_fault() or through
 * tdp_mmu_map(), after a get+clear re-protected them all.  The two
 * alternate WPF_REPS times in the same MMU and keep their best times.
 * Every fault must fix its leaf and log its page.
 */
static double time_wp_faults(struct env *e, u64 *bm, bool fast)
{
	struct tdp_vcpu *v = &e->v[0];
	u64 fixed = v->fast_fixed, i;
	double t0;
	gfn_t g;

	tdp_dirty_log_get(v, &e->slot, bm, true);
	t0 = now_ns();
	for (g = 0; g < WPF_PAGES; g++) {
		struct tdp_fault f = { .gfn = g, .access = TDP_ACC_W, .slot = &e->slot };

		if ((fast ? tdp_mmu_fast_fault(v, &f) : tdp_mmu_map(v, &f)) != TDP_FAULT_FIXED)
			abort();
	}
	t0 = now_ns() - t0;
	if (fast && v->fast_fixed - fixed != WPF_PAGES)
		abort();
	tdp_dirty_log_get(v, &e->slot, bm, false);
	for (i = 0; i < WPF_PAGES / 64; i++)
		if (bm[i] != ~0ULL)
			abort();
	return t0;
}

static void bench_wp_faults(void)
{
	struct env *e = env_new(WPF_PAGES);
	u64 *bm = calloc(WPF_PAGES / 64, sizeof(u64));
	double best[2] = { 1e30, 1e30 };
	int rep, fast;

	populate_4k(e, &e->v[0], 0, WPF_PAGES);
	tdp_dirty_log_enable(&e->v[0], &e->slot, TDP_DIRTY_WP, 0);
	for (rep = 0; rep < WPF_REPS; rep++)
		for (fast = 1; fast >= 0; fast--)
			best[fast] = min_d(best[fast], time_wp_faults(e, bm, fast));
	snprintf(row("dirty-logging write faults: fast path", WPF_PAGES, best[1], 0)->note,
		 sizeof(rows[0].note), "one cmpxchg, no tdp_mmu_map(); best of %d", WPF_REPS);
	snprintf(row("  the same through the locked path", WPF_PAGES, best[0], 0)->note,
		 sizeof(rows[0].note), "tdp_mmu_map(); locked/fast %.2f", best[0] / best[1]);
	tdp_dirty_log_disable(&e->v[0], &e->slot, NULL);
	free(bm);
	env_free(e);
}

/* Sets the A bit of every 4K leaf of [0, n), as guest reads would. */
static void make_all_young(struct env *e, u64 n)
{
	struct tdp_iter it;

	for_each_tdp_pte(it, e->mmu.fmt, e->v[0].root->pt, 4, 0, n)
		if (it.level == 1 && it.old_spte)
			fetch_or64(tdp_iter_sptep(&it), e->mmu.fmt->accessed);
}

#define AGE_REPS 5

/* Lockless aging of 1 GiB of 4K leaves, all young, then none young. */
static void bench_age(void)
{
	struct env *e = env_new(GB_PAGES);
	u64 *young = calloc(GB_PAGES / 64, sizeof(u64));
	double best[2] = { 1e30, 1e30 };
	int rep, pass;

	populate_4k(e, &e->v[0], 0, GB_PAGES);
	for (rep = 0; rep < AGE_REPS; rep++) {
		make_all_young(e, GB_PAGES);
		for (pass = 0; pass < 2; pass++) {
			double t0 = now_ns();
			u64 n;

			memset(young, 0, GB_PAGES / 8);
			n = tdp_mmu_age_range(&e->v[0], 0, GB_PAGES, young);
			t0 = now_ns() - t0;
			if (n != (pass ? 0 : GB_PAGES))
				abort();
			best[pass] = min_d(best[pass], t0);
		}
	}
	snprintf(row("age 1 GiB of 4K leaves, all young", GB_PAGES, best[0], 0)->note,
		 sizeof(rows[0].note), "lockless: one and-not per young leaf; best of %d",
		 AGE_REPS);
	snprintf(row("  again, none young", GB_PAGES, best[1], 0)->note, sizeof(rows[0].note),
		 "a read per leaf");
	free(young);
	env_free(e);
}

/* The first line of path, up to its newline, or "unknown". */
static void read_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");

	snprintf(buf, n, "unknown");
	if (f && fgets(buf, (int)n, f))
		buf[strcspn(buf, "\n")] = 0;
	if (f)
		fclose(f);
}

/* The load averages of the last 1, 5 and 15 minutes. */
static void load_average(char *buf, size_t n)
{
	char *p = buf;
	int fields = 3;

	read_line("/proc/loadavg", buf, n);
	for (; *p; p++)
		if (*p == ' ' && --fields == 0)
			*p = 0;
}

int main(void)
{
	char clk[64], load0[64], load1[64];
	unsigned int i;

	load_average(load0, sizeof(load0));
	perf_open();
	bench_walk();
	bench_populate(1, "populate 1 GiB by 4K faults");
	bench_populate(0, "populate 1 GiB, huge pages allowed");
	bench_dirty();
	bench_recover(2);
	bench_recover(3);
	bench_ring();
	bench_wp_faults();
	bench_age();
	bench_threads();
	load_average(load1, sizeof(load1));
	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource", clk,
		  sizeof(clk));
	printf("TDP MMU benchmark: EPT format, 4-level root, fake arch, %ld CPUs, clock %s (CLOCK_MONOTONIC)\n",
	       sysconf(_SC_NPROCESSORS_ONLN), clk);
	printf("load average before: %s; after: %s\n", load0, load1);
	printf("instructions per operation: %s\n", perf_fd >= 0 ? "perf_event_open hardware counter" :
	       "not available here (no hardware counters: perf_event_open failed)");
	printf("%-48s %10s %12s %10s  %s\n", "operation", "count", "total ms", "ns/op", "insns/op, notes");
	for (i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		char ins[24] = "-";

		if (r->insns && r->ops)
			snprintf(ins, sizeof(ins), "%.1f", (double)r->insns / r->ops);
		printf("%-48s %10llu %12.2f %10.2f  %s %s\n", r->what, (unsigned long long)r->ops,
		       r->ns / 1e6, r->ops ? r->ns / r->ops : 0.0, ins, r->note);
	}
	return 0;
}
