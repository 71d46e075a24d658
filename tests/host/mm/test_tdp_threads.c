// SPDX-License-Identifier: MIT
/*
 * The TDP MMU under threads (built with ThreadSanitizer): vCPU threads
 * write guest pages through the hardware stand-in and fault, while other
 * threads zap, age and harvest the dirty log of the same VM.
 *
 * The dirty-log invariant of KVM's dirty_log_test: a write that began after
 * harvest n-1 returned, and ended before harvest k began, is reported by one
 * of harvests n..k, through the slot's bitmap or the vCPUs' dirty rings (a
 * vCPU whose ring is at its soft limit waits for the harvest before it
 * enters the guest).  Another run ends and starts logging over and over,
 * so that huge pages are recovered in place under the vCPUs' writes.  At
 * the end every table page and bitmap is returned.
 * Each vCPU has a page-modification log (tdp_hw.h), which the harvest drains
 * in TDP_DIRTY_PML mode, and which the vCPU drains itself when it is full.
 *
 * vCPU 0 takes its faults as vm/ does, through tdp_mmu_fast_fault() first;
 * vCPU 1 only through tdp_mmu_map(), so both paths race with each other.
 * Aging runs without the MMU lock beside all of it, and a third thread
 * ages and now and then invalidates the roots, so that the lockless walk
 * over roots meets roots being torn down.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/tdp_mmu.h"
#include "fake_arch.h"
#include "tdp_hw.h"
#include "errcode.h"

#define NPAGES 8192ULL			/* 32 MiB */
#define SLOT_BASE 0x10000ULL
#define VCPUS 2
#define ROUNDS 60			/* TDP_THREADS_ROUNDS overrides */
#define OTHERS 3			/* zap and age; age; age and invalidate */

struct shared {
	struct tdp_mmu mmu;
	struct mm_slot slot;
	u64 round;			/* harvest in progress (1-based) */
	u64 stop;
	u64 errors;
	u64 writes;
	u64 fast_fixed, fast_refused;	/* vCPU 0's, at its end */
	u64 aged, invalidations;
	u64 need[NPAGES];		/* latest round a write to the page began in */
	struct hw_pml pml[VCPUS];	/* each vCPU thread's log */
	struct tdp_vcpu vcpus[VCPUS];	/* the vCPU threads' contexts */
	bool ring;			/* harvest through the vCPUs' dirty rings */
};

#define RING_ENTRIES 1024

static struct shared S;

static void flush_count(struct tdp_mmu *mmu)
{
	fake_tlb_flush(mmu);
}

/* The harvest's hook in PML mode: drains every vCPU's log. */
static void drain_logs(struct tdp_mmu *mmu)
{
	unsigned int i;

	for (i = 0; i < VCPUS; i++)
		hw_pml_drain(&S.pml[i], NULL, NULL);
}

static const struct tdp_mmu_ops thread_ops = {
	.flush_tlbs = flush_count, .flush_dirty_logs = drain_logs,
};

static u64 rnd(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool stopping(void)
{
	return __atomic_load_n(&S.stop, __ATOMIC_ACQUIRE);
}

static void error(const char *what, u64 gfn)
{
	if (!__atomic_fetch_add(&S.errors, 1, __ATOMIC_RELAXED))
		fprintf(stderr, "thread error: %s gfn 0x%llx\n", what, (unsigned long long)gfn);
}

/*
 * One guest write to gfn by vCPU v (log pml), faulting until the write goes
 * through, and draining the log when it is full.
 */
static void guest_write(struct tdp_vcpu *v, struct hw_pml *pml, gfn_t gfn)
{
	struct tdp_fault f = { .gfn = gfn, .access = TDP_ACC_W, .slot = &S.slot };
	u64 started = __atomic_load_n(&S.round, __ATOMIC_ACQUIRE);
	pfn_t pfn = 0;
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		enum hw_result hr;
		int ret;

		/* A full ring stops the vCPU before it enters the guest. */
		while (S.ring && tdp_dirty_ring_check(v)) {
			if (stopping())
				return;
			cpu_relax();
		}
		if (tdp_vcpu_load_root(v))
			return error("load_root", gfn);
		tdp_vcpu_read_lock(v);
		hr = hw_access_cpu(&S.mmu, v->id, v->root, gfn, true, &pfn, pml);
		if (hr == HW_PML_FULL)
			hw_pml_drain(pml, NULL, NULL);
		tdp_vcpu_read_unlock(v);
		if (hr == HW_OK)
			break;
		if (hr == HW_PML_FULL)
			continue;
		ret = v->id == 0 ? tdp_mmu_fast_fault(v, &f) : -EAGAIN;
		if (ret < 0)
			ret = tdp_mmu_map(v, &f);
		if (ret < 0 || ret == TDP_FAULT_MMIO)
			return error("fault failed", gfn);
	}
	if (tries == 1000 || pfn != mm_slot_gfn_to_pfn(&S.slot, gfn))
		return error("write did not reach its frame", gfn);
	__atomic_fetch_add(&S.writes, 1, __ATOMIC_RELAXED);
	/* Record the round the write began in (keep the latest). */
	u64 old = __atomic_load_n(&S.need[gfn - SLOT_BASE], __ATOMIC_RELAXED);
	while (old < started &&
	       !__atomic_compare_exchange_n(&S.need[gfn - SLOT_BASE], &old, started, false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

static void *vcpu_thread(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	u64 seed = 0x1234567ULL * (id + 1);

	while (!stopping()) {
		u64 x = rnd(&seed);
		/* Hot pages mostly, so writes race with harvests on the same page. */
		gfn_t g = SLOT_BASE + ((x & 3) ? x % 512 : x % NPAGES);

		guest_write(&S.vcpus[id], &S.pml[id], g);
	}
	if (id == 0) {
		S.fast_fixed = S.vcpus[0].fast_fixed;
		S.fast_refused = S.vcpus[0].fast_refused;
	}
	return NULL;
}

static void *zap_age_thread(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	struct tdp_vcpu v;
	u64 seed = 0xabcdefULL * (id + 1), young[64];

	tdp_vcpu_init(&v, &S.mmu, id);
	while (!stopping()) {
		u64 x = rnd(&seed);
		gfn_t g = SLOT_BASE + x % NPAGES;
		u64 len = 1 + (x >> 20) % 2048;

		if ((x & 1) && id == VCPUS) {
			tdp_mmu_zap_range(&v, g, g + len);
		} else if (id == VCPUS + 2 && x % 256 == 2) {
			tdp_mmu_invalidate_roots(&S.mmu);
			__atomic_fetch_add(&S.invalidations, 1, __ATOMIC_RELAXED);
		} else {
			memset(young, 0, sizeof(young));
			__atomic_fetch_add(&S.aged, tdp_mmu_age_range(&v, g, MIN(g + len, g + 64 * 64),
								       young), __ATOMIC_RELAXED);
		}
	}
	tdp_vcpu_destroy(&v);
	return NULL;
}

static u64 snap[NPAGES], reported[NPAGES], bm[NPAGES / 64];
static gfn_t ring_out[RING_ENTRIES];

/* Harvest k through every vCPU's ring: marks what it reports in reported[]. */
static void harvest_rings(struct ktest_ctx *t, struct tdp_vcpu *v, u64 k)
{
	unsigned int i;
	long n, j;

	for (i = 0; i < VCPUS; i++) {
		n = tdp_dirty_ring_harvest(v, &S.vcpus[i], ring_out, RING_ENTRIES);
		KT_EXPECT(t, n >= 0);
		for (j = 0; j < n; j++) {
			if (!mm_slot_contains(&S.slot, ring_out[j]))
				error("ring entry outside the slot", ring_out[j]);
			else
				reported[ring_out[j] - SLOT_BASE] = k;
		}
	}
}

/* Harvests ROUNDS times; checks the invariant after each harvest. */
static u64 harvest(struct ktest_ctx *t, struct tdp_vcpu *v)
{
	const char *env = getenv("TDP_THREADS_ROUNDS");
	u64 k, i, missed = 0, rounds = env && *env ? strtoull(env, NULL, 0) : ROUNDS;

	for (k = 1; k <= rounds; k++) {
		for (i = 0; i < NPAGES; i++)	/* writes that ended before harvest k */
			snap[i] = __atomic_load_n(&S.need[i], __ATOMIC_ACQUIRE);
		__atomic_store_n(&S.round, k, __ATOMIC_RELEASE);
		if (S.ring)
			harvest_rings(t, v, k);
		else
			KT_EXPECT_EQ(t, tdp_dirty_log_get(v, &S.slot, bm, true), 0);
		for (i = 0; i < NPAGES; i++) {
			if (!S.ring && (bm[i / 64] & BIT_ULL(i % 64)))
				reported[i] = k;
			if (snap[i] && reported[i] < snap[i]) {
				if (!missed++)
					ktest_check(t, false, __FILE__, __LINE__,
						    "harvest %llu: gfn 0x%llx written in round %llu never reported (last reported in %llu)",
						    (unsigned long long)k,
						    (unsigned long long)(SLOT_BASE + i),
						    (unsigned long long)snap[i], (unsigned long long)reported[i]);
			}
		}
		/* Let the vCPUs run between harvests. */
		for (i = 0; i < 20000 && !stopping(); i++)
			cpu_relax();
	}
	return missed;
}

/*
 * After the threads: one aging pass reports what is young and leaves every
 * leaf old, so a second reports nothing; a guest read of one page then
 * makes exactly that page young again.
 */
static void check_aging_settled(struct ktest_ctx *t, struct tdp_vcpu *v)
{
	static u64 young[NPAGES / 64];
	gfn_t g = SLOT_BASE + 77;
	pfn_t pfn;
	int tries;

	KT_ASSERT_EQ(t, tdp_vcpu_load_root(v), 0);
	memset(young, 0, sizeof(young));
	tdp_mmu_age_range(v, SLOT_BASE, SLOT_BASE + NPAGES, young);
	memset(young, 0, sizeof(young));
	KT_EXPECT_EQ(t, tdp_mmu_age_range(v, SLOT_BASE, SLOT_BASE + NPAGES, young), 0);
	for (tries = 0; tries < 3; tries++) {
		struct tdp_fault f = { .gfn = g, .access = TDP_ACC_R, .slot = &S.slot };
		enum hw_result hr;

		tdp_vcpu_read_lock(v);
		hr = hw_access_pml(S.mmu.fmt, v->root, g, false, &pfn, NULL);
		tdp_vcpu_read_unlock(v);
		if (hr == HW_OK)
			break;
		if (tdp_mmu_fast_fault(v, &f) < 0)
			tdp_mmu_map(v, &f);
	}
	KT_EXPECT(t, tries < 3);
	memset(young, 0, sizeof(young));
	KT_EXPECT_EQ(t, tdp_mmu_age_range(v, SLOT_BASE, SLOT_BASE + NPAGES, young), 1);
	KT_EXPECT_EQ(t, young[77 / 64], BIT_ULL(77 % 64));
}

/*
 * Ends and starts logging ROUNDS times (eagerly splitting every other
 * time), so that huge pages are recovered in place while the vCPUs write
 * and the other threads zap and age.  The vCPUs check that every write
 * reaches its frame.
 */
static void toggle_logging(struct ktest_ctx *t, struct tdp_vcpu *v, enum tdp_dirty_mode mode)
{
	u64 k, i, recovered = 0;

	for (k = 1; k <= ROUNDS; k++) {
		KT_EXPECT_EQ(t, tdp_dirty_log_disable(v, &S.slot, NULL), 0);
		recovered = stat_read(&S.mmu.stats.recovered);
		for (i = 0; i < 20000 && !stopping(); i++)
			cpu_relax();
		KT_EXPECT_EQ(t, tdp_dirty_log_enable(v, &S.slot, mode, k & 1 ? TDP_DIRTY_EAGER_SPLIT : 0), 0);
		for (i = 0; i < 20000 && !stopping(); i++)
			cpu_relax();
	}
	printf("    # %llu tables recovered in place over %d ends of logging\n",
	       (unsigned long long)recovered, ROUNDS);
}

enum run_kind { HARVEST_BITMAP, HARVEST_RING, TOGGLE_LOGGING };

static void run_threads_kind(struct ktest_ctx *t, const struct spte_format *fmt,
			     enum tdp_dirty_mode mode, enum run_kind kind)
{
	u64 base_pages = fake_pages_in_use(), base_bm = fake_bitmap_in_use();
	pthread_t th[VCPUS + OTHERS];
	struct tdp_vcpu main_v;
	unsigned int i;

	memset(&S, 0, sizeof(S));
	memset(reported, 0, sizeof(reported));
	S.slot = (struct mm_slot){ .base_gfn = SLOT_BASE, .npages = NPAGES,
				   .host_pfn = 0x80000 };
	KT_ASSERT_EQ(t, tdp_mmu_init(&S.mmu, fmt, 4, &thread_ops, NULL), 0);
	S.ring = kind == HARVEST_RING;
	for (i = 0; i < VCPUS; i++) {
		hw_pml_init(&S.pml[i], &S.mmu);
		KT_ASSERT_EQ(t, tdp_vcpu_init(&S.vcpus[i], &S.mmu, i), 0);
		if (S.ring)
			KT_ASSERT_EQ(t, tdp_dirty_ring_init(&S.vcpus[i], RING_ENTRIES), 0);
	}
	KT_ASSERT_EQ(t, tdp_vcpu_init(&main_v, &S.mmu, VCPUS + OTHERS), 0);
	KT_ASSERT_EQ(t, tdp_vcpu_load_root(&main_v), 0);
	/* Some huge pages first, so that logging has something to split. */
	for (i = 0; i < NPAGES; i += 512) {
		struct tdp_fault f = { .gfn = SLOT_BASE + i, .access = TDP_ACC_W, .slot = &S.slot };

		KT_EXPECT_EQ(t, tdp_mmu_map(&main_v, &f), TDP_FAULT_FIXED);
	}
	KT_ASSERT_EQ(t, tdp_dirty_log_enable(&main_v, &S.slot, mode, S.ring ? TDP_DIRTY_RING : 0), 0);
	__atomic_store_n(&S.round, 1, __ATOMIC_RELEASE);
	for (i = 0; i < VCPUS; i++)
		pthread_create(&th[i], NULL, vcpu_thread, (void *)(uintptr_t)i);
	for (i = VCPUS; i < VCPUS + OTHERS; i++)
		pthread_create(&th[i], NULL, zap_age_thread, (void *)(uintptr_t)i);
	if (kind == TOGGLE_LOGGING)
		toggle_logging(t, &main_v, mode);
	else
		KT_EXPECT_EQ(t, harvest(t, &main_v), 0);
	__atomic_store_n(&S.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < VCPUS + OTHERS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < VCPUS; i++)
		tdp_vcpu_destroy(&S.vcpus[i]);
	printf("    # %s mode %d: %llu guest writes, %llu yields, %llu lost races\n", fmt->name,
	       mode, (unsigned long long)S.writes,
	       (unsigned long long)stat_read(&S.mmu.stats.yields),
	       (unsigned long long)stat_read(&S.mmu.stats.retries));
	printf("    #   fast path: %llu fixed, %llu left to tdp_mmu_map(); %llu young pages aged, %llu invalidations\n",
	       (unsigned long long)S.fast_fixed, (unsigned long long)S.fast_refused,
	       (unsigned long long)S.aged, (unsigned long long)S.invalidations);
	KT_EXPECT_EQ(t, S.errors, 0);
	KT_EXPECT(t, S.writes > 0);
	KT_EXPECT(t, kind == TOGGLE_LOGGING || S.fast_fixed > 0);
	check_aging_settled(t, &main_v);
	KT_EXPECT_EQ(t, tdp_dirty_log_disable(&main_v, &S.slot, NULL), 0);
	tdp_vcpu_destroy(&main_v);
	tdp_mmu_destroy(&S.mmu);
	fake_tlb_forget(&S.mmu);
	KT_EXPECT_EQ(t, fake_pages_in_use(), base_pages);
	KT_EXPECT_EQ(t, fake_bitmap_in_use(), base_bm);
}

static void run_threads(struct ktest_ctx *t, const struct spte_format *fmt,
			enum tdp_dirty_mode mode)
{
	run_threads_kind(t, fmt, mode, HARVEST_BITMAP);
}

KTEST(threads_never_lose_a_write_after_harvest_dirty_ring)
{
	fake_yield_every = 64;
	run_threads_kind(t, &spte_fmt_ept, TDP_DIRTY_WP, HARVEST_RING);
	fake_yield_every = 0;
}

KTEST(threads_recover_huge_pages_in_place_while_vcpus_write_and_zap)
{
	fake_yield_every = 64;
	run_threads_kind(t, &spte_fmt_npt, TDP_DIRTY_DBIT, TOGGLE_LOGGING);
	fake_yield_every = 0;
}

KTEST(threads_never_lose_a_write_after_clear_write_protect_mode)
{
	fake_yield_every = 64;
	run_threads(t, &spte_fmt_ept, TDP_DIRTY_WP);
	fake_yield_every = 0;
}

KTEST(threads_never_lose_a_write_after_clear_dirty_bit_mode)
{
	fake_yield_every = 64;
	run_threads(t, &spte_fmt_npt, TDP_DIRTY_DBIT);
	fake_yield_every = 0;
}

KTEST(threads_never_lose_a_write_after_clear_pml_mode)
{
	fake_yield_every = 64;
	run_threads(t, &spte_fmt_ept, TDP_DIRTY_PML);
	fake_yield_every = 0;
}

KTEST(threads_never_lose_a_write_after_clear_without_ad_bits)
{
	run_threads(t, &spte_fmt_ept_noad, TDP_DIRTY_WP);
}
