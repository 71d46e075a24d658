// SPDX-License-Identifier: MIT
/*
 * dirty_log: KVM's dirty_log_test invariant.  In each of at least 16
 * iterations the guest writes the iteration number into random pages of an
 * 8 MiB slot and syncs; the host then gets and clears the dirty log and
 * checks that every page holding the current iteration number -- written
 * since the previous clear -- is reported.  Run in every mode the CPU
 * offers (write protection, hardware dirty bits, PML), so that each is
 * exercised on one CPU whatever tdp_dirty= chose, and on a huge-page slot
 * (in the chosen mode and with write protection) that logging splits at
 * enable and that disable puts back in place, without a fault.  Once more
 * with write protection harvested through the vCPU's dirty ring, small
 * enough that the guest's writes fill it several times an iteration:
 * vcpu_run() stops with VEV_DIRTY_RING_FULL, the host harvests, and the
 * guest goes on.
 */
#include "errcode.h"
#include "lib/ktest.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vm/test_vm.h"
#include "vm/virt.h"

#define DL_GPA (8ULL << 30)
#define DL_BYTES (8ULL << 20)
#define DL_PAGES (DL_BYTES >> PAGE_SHIFT)
#define DL_ITERS 16
#define DL_WRITES 256

#define DL_RING 128		/* dirty ring entries: full after 64 */

static struct test_vm tvm;
static u64 bitmap[DL_PAGES / 64];
static gfn_t ring_out[DL_RING];

/* Harvests the vCPU's dirty ring into bitmap; returns how many entries. */
static u64 ring_collect(struct ktest_ctx *t)
{
	long n = tdp_dirty_ring_harvest(&tvm.vcpu.tdp, &tvm.vcpu.tdp, ring_out, DL_RING), i;

	KT_EXPECT(t, n >= 0);
	for (i = 0; i < n; i++) {
		u64 p = ring_out[i] - gpa_to_gfn(DL_GPA);

		if (KT_EXPECT(t, p < DL_PAGES))
			bitmap[p / 64] |= BIT_ULL(p % 64);
	}
	return n < 0 ? 0 : (u64)n;
}

/*
 * Runs the guest to its next sync.  With a ring, each time the ring is at
 * its soft limit the vCPU stops and the host harvests; what the guest
 * wrote is then in bitmap.  Returns the event, and counts the stops.
 */
static enum vcpu_event_type run_to_sync(struct ktest_ctx *t, bool ring, u64 *stops)
{
	enum vcpu_event_type ev;

	while ((ev = test_vm_run(&tvm)) == VEV_DIRTY_RING_FULL && ring) {
		(*stops)++;
		ring_collect(t);
	}
	if (ring)
		ring_collect(t);
	return ev;
}

static u64 guest_rng(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void guest_dirty_pages(struct guest_shared *sh)
{
	u64 seed = 0x2545f4914f6cdd1dULL, it, k, gpa;

	for (gpa = DL_GPA; gpa < DL_GPA + DL_BYTES; gpa += PAGE_SIZE)	/* map all */
		*(volatile u64 *)(uintptr_t)gpa = 0;
	GUEST_SYNC(0);
	for (it = 1; it <= DL_ITERS; it++) {
		for (k = 0; k < DL_WRITES; k++) {
			gpa = DL_GPA + (guest_rng(&seed) % DL_PAGES) * PAGE_SIZE;
			*(volatile u64 *)(uintptr_t)gpa = it;
		}
		GUEST_SYNC(it);
	}
	for (gpa = DL_GPA; gpa < DL_GPA + DL_BYTES; gpa += PAGE_SIZE)	/* refault */
		(void)*(volatile u64 *)(uintptr_t)gpa;
	GUEST_SYNC(DL_ITERS + 1);
}

/*
 * One run of the whole test in mode; with huge, the slot maps with 2 MiB
 * pages, is split on enable and must map huge again after disable.
 * Returns the writes that went unreported (0 when the invariant holds).
 */
static u64 run_dirty_log(struct ktest_ctx *t, enum tdp_dirty_mode mode, bool huge, bool ring)
{
	u64 *mem, it, p, missed = 0, reported = 0, faults, recovered, stops = 0, fast;
	struct mm_slot *slot;
	int err;

	if (!KT_EXPECT_EQ(t, test_vm_create(&tvm, "dirty_log", guest_dirty_pages), 0))
		return ~0ULL;
	tvm.vm.policy.max_level = huge ? TDP_LEVEL_1G : TDP_LEVEL_4K;
	mem = test_vm_add_memory(&tvm, DL_GPA, DL_BYTES, 0, &slot);
	if (!KT_EXPECT(t, mem != NULL) || !KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC))
		goto out;
	KT_EXPECT_EQ(t, vm_stats(&tvm.vm).slot_faults[slot->id], huge ? DL_PAGES / 512 : DL_PAGES);
	if (ring && !KT_EXPECT_EQ(t, tdp_dirty_ring_init(&tvm.vcpu.tdp, DL_RING), 0))
		goto out;
	err = tdp_dirty_log_enable(&tvm.vcpu.tdp, slot, mode,
				   (huge ? TDP_DIRTY_EAGER_SPLIT : 0) | (ring ? TDP_DIRTY_RING : 0));
	if (err == -EOPNOTSUPP && mode != TDP_DIRTY_WP) {
		printk("    # dirty_log: %s has no %s: %s mode not run\n",
		       tvm.vm.mmu.fmt->name, mode == TDP_DIRTY_PML ? "PML" : "dirty bits",
		       tdp_dirty_mode_name(mode));
		goto out;
	}
	if (!KT_EXPECT_EQ(t, err, 0))
		goto out;
	fast = tvm.vcpu.tdp.fast_fixed;
	for (it = 1; it <= DL_ITERS; it++) {
		memset(bitmap, 0, sizeof(bitmap));
		if (!KT_EXPECT_EQ(t, run_to_sync(t, ring, &stops), VEV_SYNC))
			goto out;
		if (!ring)
			KT_EXPECT_EQ(t, tdp_dirty_log_get(&tvm.vcpu.tdp, slot, bitmap, true), 0);
		for (p = 0; p < DL_PAGES; p++) {
			bool dirty = bitmap[p / 64] & BIT_ULL(p % 64);

			reported += dirty;
			missed += mem[p * (PAGE_SIZE / 8)] == it && !dirty;
		}
	}
	KT_EXPECT(t, reported >= DL_ITERS);
	fast = tvm.vcpu.tdp.fast_fixed - fast;
	printk("    # dirty_log: %s%s, %s pages: %llu dirty pages reported over %d iterations, "
	       "%llu writes missed, %llu write faults fixed by the fast path\n",
	       tdp_dirty_mode_name(mode), ring ? " (ring)" : "", huge ? "2 MiB" : "4 KiB",
	       (unsigned long long)reported, DL_ITERS, (unsigned long long)missed,
	       (unsigned long long)fast);
	if (ring) {	/* 256 writes an iteration fill a 64-entry soft limit */
		printk("    # dirty_log: the full ring stopped the vCPU %llu times\n",
		       (unsigned long long)stops);
		KT_EXPECT(t, stops >= DL_ITERS);
	}
	recovered = stat_read(&tvm.vm.mmu.stats.recovered);
	/*
	 * With write protection each write fault meets a 4K leaf that logging
	 * protected (split at enable): vm/ fixes it without tdp_mmu_map().
	 * With the ring a page faults again after each harvest that stopped
	 * the vCPU, so there may be more fixes than pages reported.
	 */
	if (mode == TDP_DIRTY_WP)
		KT_EXPECT(t, fast > 0 && (ring || fast <= reported));
	KT_EXPECT_EQ(t, tdp_dirty_log_disable(&tvm.vcpu.tdp, slot, &tvm.vm.policy), 0);
	for (p = 0; huge && p < DL_PAGES; p += 512) {	/* the huge mappings are back */
		struct tdp_mapping m;

		KT_EXPECT_EQ(t, tdp_mmu_lookup(&tvm.vcpu.tdp, gpa_to_gfn(DL_GPA) + p, &m), 0);
		KT_EXPECT_EQ(t, m.level, TDP_LEVEL_2M);
	}
	KT_EXPECT_EQ(t, stat_read(&tvm.vm.mmu.stats.recovered) - recovered, huge ? DL_PAGES / 512 : 0);
	faults = vm_stats(&tvm.vm).slot_faults[slot->id];
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	if (huge)	/* recovered in place: the guest's reads fault nowhere */
		KT_EXPECT_EQ(t, vm_stats(&tvm.vm).slot_faults[slot->id] - faults, 0);
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
out:
	test_vm_destroy(&tvm);
	return missed;
}

KTEST(dirty_log)
{
	u64 used = page_pool_used(&hv_pool);
	enum tdp_dirty_mode m, chosen = virt_dirty_mode();

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	printk("    # dirty_log: %s chose %s\n", virt->name, tdp_dirty_mode_name(chosen));
	KT_EXPECT_EQ(t, run_dirty_log(t, chosen, false, false), 0);
	for (m = TDP_DIRTY_WP; m < TDP_DIRTY_NR; m++)
		if (m != chosen && virt_dirty_mode_offered(m))
			KT_EXPECT_EQ(t, run_dirty_log(t, m, false, false), 0);
	KT_EXPECT_EQ(t, run_dirty_log(t, chosen, true, false), 0);
	if (chosen != TDP_DIRTY_WP)
		KT_EXPECT_EQ(t, run_dirty_log(t, TDP_DIRTY_WP, true, false), 0);
	KT_EXPECT_EQ(t, run_dirty_log(t, TDP_DIRTY_WP, false, true), 0);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}
