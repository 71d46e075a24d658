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

struct row {
	const char *what;
	u64 ops;
	double ns;
	u64 insns;
	char note[96];
};

static struct row rows[24];
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

#define WALK_REPS 20

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
	double t0, walk, flat;
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
	/* 3. zap 4 GiB of 4K mappings. */
	i0 = instructions();
	t0 = now_ns();
	tdp_mmu_zap_range(&e->v[0], 0, 4 * GB_PAGES);
	walk = now_ns() - t0;
	snprintf(row("zap 4 GiB of 4K mappings", n, walk, instructions() - i0)->note,
		 sizeof(rows[0].note), "tables left %llu",
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

/* 4. Dirty logging on 4 GiB: enable, then get+clear with 1% and 100% dirty. */
static void bench_dirty(void)
{
	struct env *e = env_new(4 * GB_PAGES);
	u64 *bm = calloc(4 * GB_PAGES / 64, sizeof(u64)), i0, n;
	double t0;
	int pct;

	populate_4k(e, &e->v[0], 0, 4 * GB_PAGES);
	i0 = instructions();
	t0 = now_ns();
	tdp_dirty_log_enable(&e->v[0], &e->slot, TDP_DIRTY_WP, 0);
	row("enable dirty logging (write-protect) on 4 GiB", 4 * GB_PAGES, now_ns() - t0,
	    instructions() - i0);
	for (pct = 1; pct <= 100; pct += 99) {
		gfn_t g, step = 100 / pct;

		for (g = 0, n = 0; g < 4 * GB_PAGES; g += step, n++)
			if (map_page(&e->v[0], &e->slot, g, 1, TDP_ACC_W) != TDP_FAULT_FIXED)
				abort();
		i0 = instructions();
		t0 = now_ns();
		tdp_dirty_log_get(&e->v[0], &e->slot, bm, true);
		snprintf(row(pct == 1 ? "get+clear dirty log, 1% dirty" :
				       "get+clear dirty log, 100% dirty",
			     4 * GB_PAGES, now_ns() - t0, instructions() - i0)->note,
			 sizeof(rows[0].note), "%llu dirty pages", (unsigned long long)n);
	}
	tdp_dirty_log_disable(&e->v[0], &e->slot, NULL);
	free(bm);
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

static double min_d(double a, double b)
{
	return a < b ? a : b;
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
