// SPDX-License-Identifier: MIT
/*
 * The TDP MMU at its edges, one behaviour per test:
 *
 *  - setup: what tdp_mmu_init() and tdp_vcpu_init() refuse;
 *  - reclaim: a table unlinked while another vCPU (the second, or the last
 *    of TDP_MAX_VCPUS) is on the read side stays allocated until that vCPU
 *    leaves, and one still waiting is freed when the MMU goes; a root is
 *    freed when its last user drops it, and a root load without memory
 *    leaves no root; aging finds young leaves in every root in use;
 *  - yields: each yield of a long walk leaves and re-enters the read side
 *    once, and is counted once (the vCPU's counter is the oracle);
 *  - dirty logging: every 4K leaf of a table is write-protected; zaps are
 *    logged in each D-bit slot and at both ends of a table; a clear at a
 *    slot that is not 64-aligned takes each page's bit from the right word
 *    and reads only the caller's mask; a ring harvest re-protects exactly
 *    the pages it returns;
 *  - waits, with a second thread: the zap of every MMIO marker at a
 *    generation wrap waits for the vCPU on the read side, and a harvest
 *    waits for a dirty-bit transfer that another vCPU has in flight.  The
 *    thread must still be blocked after a pause; the pause only bounds how
 *    soon a missing wait is seen, it never fails a correct one.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"
#include "fake_arch.h"
#include "tdp_hw.h"
#include "errcode.h"

#define BASE 0x1000ULL		/* 2 MiB-aligned, as are the host frames */
#define PAGES 0x1000ULL
#define PFN 0x80000ULL

static struct tdp_mmu M;
static struct tdp_vcpu V[TDP_MAX_VCPUS];
static struct mm_slot S[2];
static u64 pages_before, bitmap_before;

static void edges_flush(struct tdp_mmu *mmu)
{
	fake_tlb_flush(mmu);
}

static const struct tdp_mmu_ops edges_ops = { .flush_tlbs = edges_flush };

/* An MMU with vCPUs 0 .. nr - 1; vCPU 0 has a root.  False on failure. */
static bool edges_up(struct ktest_ctx *t, const struct spte_format *fmt, unsigned int nr)
{
	unsigned int i;

	pages_before = fake_pages_in_use();
	bitmap_before = fake_bitmap_in_use();
	S[0] = (struct mm_slot){ .base_gfn = BASE, .npages = PAGES, .host_pfn = PFN };
	if (!KT_EXPECT_EQ(t, tdp_mmu_init(&M, fmt, 4, &edges_ops, NULL), 0))
		return false;
	for (i = 0; i < nr; i++)
		if (!KT_EXPECT_EQ(t, tdp_vcpu_init(&V[i], &M, i), 0))
			return false;
	return KT_EXPECT_EQ(t, tdp_vcpu_load_root(&V[0]), 0);
}

static void edges_down(struct ktest_ctx *t, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		tdp_vcpu_destroy(&V[i]);
	tdp_mmu_destroy(&M);
	fake_tlb_forget(&M);
	KT_EXPECT_EQ(t, fake_pages_in_use(), pages_before);
	KT_EXPECT_EQ(t, fake_bitmap_in_use(), bitmap_before);
}

static int edges_fault(unsigned int cpu, struct mm_slot *slot, gfn_t g, u32 acc)
{
	struct tdp_fault f = { .gfn = g, .access = acc, .slot = slot,
			       .policy = { .max_level = TDP_LEVEL_4K } };

	return tdp_mmu_map(&V[cpu], &f);
}

/* What vCPU 0's root lets the guest do at g (0: not mapped). */
static u32 edges_access(gfn_t g)
{
	struct tdp_mapping m;

	if (tdp_mmu_lookup(&V[0], g, &m) || !m.present)
		return 0;
	return m.access;
}

/* A guest write by the hardware stand-in, which sets A and D as the CPU does. */
static enum hw_result edges_hw_write(gfn_t g)
{
	enum hw_result hr;
	pfn_t pfn;

	tdp_vcpu_read_lock(&V[0]);
	hr = hw_access(M.fmt, V[0].root, g, true, &pfn);
	tdp_vcpu_read_unlock(&V[0]);
	return hr;
}

/* ---- setup ---- */

KTEST(tdp_mmu_init_refuses_a_bad_format_level_or_ops)
{
	static const struct tdp_mmu_ops no_flush = { 0 };
	struct spte_format broken = spte_fmt_npt;
	struct tdp_vcpu v;

	broken.writable = 0;
	KT_EXPECT_EQ(t, tdp_mmu_init(&M, &broken, 4, &edges_ops, NULL), -EINVAL);
	KT_EXPECT_EQ(t, tdp_mmu_init(&M, &broken, 5, &edges_ops, NULL), -EINVAL);
	KT_EXPECT_EQ(t, tdp_mmu_init(&M, &spte_fmt_ept, 3, &edges_ops, NULL), -EINVAL);
	KT_EXPECT_EQ(t, tdp_mmu_init(&M, &spte_fmt_ept, 6, &edges_ops, NULL), -EINVAL);
	KT_EXPECT_EQ(t, tdp_mmu_init(&M, &spte_fmt_ept, 4, NULL, NULL), -EINVAL);
	KT_EXPECT_EQ(t, tdp_mmu_init(&M, &spte_fmt_ept, 4, &no_flush, NULL), -EINVAL);
	KT_ASSERT_EQ(t, tdp_mmu_init(&M, &spte_fmt_ept, 5, &edges_ops, NULL), 0);
	KT_EXPECT_EQ(t, M.root_level, 5);
	KT_EXPECT_EQ(t, tdp_vcpu_init(&v, &M, TDP_MAX_VCPUS), -EINVAL);
	KT_EXPECT_EQ(t, M.nr_vcpus, 0);
	tdp_mmu_destroy(&M);
}

/* ---- reclaim ---- */

/*
 * vCPU 0 maps a 4K page, then zaps its whole 2 MiB range while vCPU
 * reader is on the read side: the 4K table is unlinked and retired, and
 * its page comes back only once the reader has left.
 */
static void retire_under_reader(struct ktest_ctx *t, unsigned int nr, unsigned int reader)
{
	u64 pages;

	if (!edges_up(t, &spte_fmt_ept, nr))
		return;
	KT_EXPECT_EQ(t, M.nr_vcpus, nr);
	KT_EXPECT_EQ(t, edges_fault(0, &S[0], BASE + 3, TDP_ACC_R | TDP_ACC_W), TDP_FAULT_FIXED);
	pages = fake_pages_in_use();
	tdp_vcpu_read_lock(&V[reader]);
	KT_EXPECT(t, tdp_mmu_zap_range(&V[0], BASE, BASE + 0x200));
	KT_EXPECT_EQ(t, fake_pages_in_use(), pages);
	KT_EXPECT_EQ(t, stat_read(&M.stats.tables_retired), 1);
	tdp_vcpu_read_unlock(&V[reader]);
	KT_EXPECT_EQ(t, fake_pages_in_use(), pages - 1);
	KT_EXPECT_EQ(t, stat_read(&M.stats.tables_retired), 0);
	edges_down(t, nr);
}

KTEST(table_unlinked_under_the_second_vcpu_is_freed_when_it_leaves)
{
	retire_under_reader(t, 2, 1);
}

KTEST(table_unlinked_under_the_last_of_all_vcpus_is_freed_when_it_leaves)
{
	retire_under_reader(t, TDP_MAX_VCPUS, TDP_MAX_VCPUS - 1);
}

/* An invalid root is freed, its whole tree with it, when its last user drops it. */
KTEST(invalid_root_is_freed_when_its_last_user_loads_a_new_one)
{
	struct tdp_root *old;
	u64 tables;

	if (!edges_up(t, &spte_fmt_npt, 2))
		return;
	KT_ASSERT_EQ(t, tdp_vcpu_load_root(&V[1]), 0);
	old = V[0].root;
	KT_EXPECT(t, V[1].root == old);
	KT_EXPECT_EQ(t, edges_fault(0, &S[0], BASE + 0x205, TDP_ACC_R), TDP_FAULT_FIXED);
	tables = stat_read(&M.stats.tables);
	KT_EXPECT_EQ(t, tables, 4);
	tdp_mmu_invalidate_roots(&M);
	KT_EXPECT_EQ(t, stat_read(&M.stats.tables), tables);	/* both still hold it */
	KT_ASSERT_EQ(t, tdp_vcpu_load_root(&V[0]), 0);
	KT_EXPECT(t, V[0].root != old);
	KT_EXPECT_EQ(t, stat_read(&M.stats.tables), tables + 1);
	KT_ASSERT_EQ(t, tdp_vcpu_load_root(&V[1]), 0);	/* drops the old root's last reference */
	KT_EXPECT(t, V[1].root == V[0].root);
	KT_EXPECT_EQ(t, stat_read(&M.stats.tables), 1);
	edges_down(t, 2);
}

/*
 * vCPU ids need not be dense: an MMU whose only vCPU has the last id
 * counts TDP_MAX_VCPUS of them, and maps, unmaps and frees as any other.
 */
KTEST(mmu_whose_only_vcpu_has_the_last_id_maps_and_zaps)
{
	const unsigned int id = TDP_MAX_VCPUS - 1;
	u64 pages;

	pages_before = fake_pages_in_use();
	bitmap_before = fake_bitmap_in_use();
	S[0] = (struct mm_slot){ .base_gfn = BASE, .npages = PAGES, .host_pfn = PFN };
	KT_ASSERT_EQ(t, tdp_mmu_init(&M, &spte_fmt_npt, 4, &edges_ops, NULL), 0);
	KT_ASSERT_EQ(t, tdp_vcpu_init(&V[id], &M, id), 0);
	KT_EXPECT_EQ(t, M.nr_vcpus, TDP_MAX_VCPUS);
	KT_ASSERT_EQ(t, tdp_vcpu_load_root(&V[id]), 0);
	KT_EXPECT_EQ(t, edges_fault(id, &S[0], BASE + 0x3ff, TDP_ACC_R), TDP_FAULT_FIXED);
	pages = fake_pages_in_use();
	KT_EXPECT(t, tdp_mmu_zap_range(&V[id], BASE + 0x200, BASE + 0x400));
	KT_EXPECT_EQ(t, fake_pages_in_use(), pages - 1);
	tdp_vcpu_destroy(&V[id]);
	tdp_mmu_destroy(&M);
	fake_tlb_forget(&M);
	KT_EXPECT_EQ(t, fake_pages_in_use(), pages_before);
}

/*
 * Aging walks every root without the lock: with three roots in use (two
 * invalid ones still held), it finds the young leaf of each.
 */
KTEST(aging_finds_young_leaves_in_every_root_in_use)
{
	u64 young[PAGES / 64];
	unsigned int i;

	if (!edges_up(t, &spte_fmt_npt, 3))
		return;
	for (i = 0; i < 3; i++) {
		KT_ASSERT_EQ(t, tdp_vcpu_load_root(&V[i]), 0);
		KT_EXPECT_EQ(t, edges_fault(i, &S[0], BASE + 0x200 * i + i, TDP_ACC_R),
			     TDP_FAULT_FIXED);
		if (i < 2)
			tdp_mmu_invalidate_roots(&M);
	}
	KT_EXPECT(t, V[0].root != V[1].root && V[1].root != V[2].root &&
		     V[0].root != V[2].root);
	memset(young, 0, sizeof(young));
	KT_EXPECT_EQ(t, tdp_mmu_age_range(&V[0], BASE, BASE + PAGES, young), 3);
	for (i = 0; i < 3; i++)
		KT_EXPECT_EQ(t, young[0x200 * i / 64], BIT_ULL(i));
	memset(young, 0, sizeof(young));
	KT_EXPECT_EQ(t, tdp_mmu_age_range(&V[0], BASE, BASE + PAGES, young), 0);
	edges_down(t, 3);
}

/*
 * When no page is left for a new root, tdp_vcpu_load_root() returns
 * -ENOMEM and leaves the vCPU without a root (not the invalid one it
 * dropped); a later load succeeds.
 */
KTEST(root_load_without_memory_fails_and_leaves_no_root)
{
	struct tdp_mapping m;

	if (!edges_up(t, &spte_fmt_ept, 1))
		return;
	tdp_mmu_invalidate_roots(&M);
	__atomic_store_n(&fake_alloc_fail_after, fake_table_allocs, __ATOMIC_RELAXED);
	KT_EXPECT_EQ(t, tdp_vcpu_load_root(&V[0]), -ENOMEM);
	__atomic_store_n(&fake_alloc_fail_after, ~0ULL, __ATOMIC_RELAXED);
	KT_EXPECT(t, V[0].root == NULL);
	KT_EXPECT_EQ(t, tdp_mmu_lookup(&V[0], BASE, &m), -EINVAL);
	KT_EXPECT_EQ(t, stat_read(&M.stats.tables), 0);
	KT_ASSERT_EQ(t, tdp_vcpu_load_root(&V[0]), 0);
	KT_EXPECT_EQ(t, edges_fault(0, &S[0], BASE, TDP_ACC_R), TDP_FAULT_FIXED);
	edges_down(t, 1);
}

/*
 * A reader leaves while another CPU holds the reclaim lock (here the test
 * takes it), so its poll gives up and the retired table still waits when
 * the MMU goes: tdp_mmu_destroy() frees it.
 */
KTEST(table_still_waiting_when_the_mmu_goes_is_freed)
{
	if (!edges_up(t, &spte_fmt_ept, 2))
		return;
	KT_EXPECT_EQ(t, edges_fault(0, &S[0], BASE + 3, TDP_ACC_R), TDP_FAULT_FIXED);
	tdp_vcpu_read_lock(&V[1]);
	KT_EXPECT(t, tdp_mmu_zap_range(&V[0], BASE, BASE + 0x200));
	spin_lock(&M.qs_lock);
	tdp_vcpu_read_unlock(&V[1]);
	spin_unlock(&M.qs_lock);
	KT_EXPECT_EQ(t, stat_read(&M.stats.tables_retired), 1);
	edges_down(t, 2);
}

/* ---- yields ---- */

/* The slot's eight 2 MiB ranges, with a few 4K leaves each: a walk long enough to yield. */
static void map_spread(struct ktest_ctx *t)
{
	gfn_t r;

	for (r = 0; r < PAGES / 0x200; r++) {
		KT_EXPECT_EQ(t, edges_fault(0, &S[0], BASE + r * 0x200 + 7, TDP_ACC_R), TDP_FAULT_FIXED);
		KT_EXPECT_EQ(t, edges_fault(0, &S[0], BASE + r * 0x200 + 300, TDP_ACC_R),
			     TDP_FAULT_FIXED);
	}
}

/*
 * With mm_should_yield() always true, a zap and an aging walk yield; each
 * yield leaves the read side and enters it again (two steps of the vCPU's
 * counter beyond the walk's own enter and leave) and counts one yield.
 * The zap's yields flush only when it changed something since the last
 * flush: two tables unlinked, at most two flushes.
 */
KTEST(each_yield_of_a_walk_leaves_the_read_side_once_and_counts_once)
{
	u64 ctr, yields, flushes, young[PAGES / 64];

	if (!edges_up(t, &spte_fmt_ept, 1))
		return;
	map_spread(t);
	__atomic_store_n(&fake_yield_every, 1, __ATOMIC_RELAXED);

	ctr = M.qs_cpu[0].ctr;
	yields = stat_read(&M.stats.yields);
	memset(young, 0, sizeof(young));
	KT_EXPECT_EQ(t, tdp_mmu_age_range(&V[0], BASE, BASE + PAGES, young), 16);
	yields = stat_read(&M.stats.yields) - yields;
	KT_EXPECT(t, yields > 0);
	KT_EXPECT_EQ(t, M.qs_cpu[0].ctr - ctr, 2 + 2 * yields);

	/* only the first and the last range keep their 4K table */
	__atomic_store_n(&fake_yield_every, 0, __ATOMIC_RELAXED);
	KT_EXPECT(t, tdp_mmu_zap_range(&V[0], BASE + 0x200, BASE + PAGES - 0x200));
	__atomic_store_n(&fake_yield_every, 1, __ATOMIC_RELAXED);
	ctr = M.qs_cpu[0].ctr;
	yields = stat_read(&M.stats.yields);
	flushes = fake_tlb_flush_count();
	KT_EXPECT(t, tdp_mmu_zap_range(&V[0], BASE, BASE + PAGES));
	yields = stat_read(&M.stats.yields) - yields;
	flushes = fake_tlb_flush_count() - flushes;
	KT_EXPECT(t, yields > 2);
	KT_EXPECT_EQ(t, M.qs_cpu[0].ctr - ctr, 2 + 2 * yields);
	/* a yield flushes only what the walk changed since the last flush */
	KT_EXPECT(t, flushes >= 1 && flushes <= 2);

	__atomic_store_n(&fake_yield_every, 0, __ATOMIC_RELAXED);
	/* the 4K tables went; the root and the tables above the slot stay */
	KT_EXPECT_EQ(t, stat_read(&M.stats.tables), 3);
	edges_down(t, 1);
}

/* ---- dirty logging ---- */

/* Enabling write-protect logging takes write permission from every 4K leaf. */
KTEST(write_protect_logging_protects_every_4k_leaf_of_a_table)
{
	static const gfn_t at[] = { 0, 1, 63, 64, 65, 128, 255, 256, 448, 511 };
	unsigned int i;

	if (!edges_up(t, &spte_fmt_ept, 1))
		return;
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		KT_EXPECT_EQ(t, edges_fault(0, &S[0], BASE + at[i], TDP_ACC_R | TDP_ACC_W),
			     TDP_FAULT_FIXED);
		KT_EXPECT(t, edges_access(BASE + at[i]) & TDP_ACC_W);
	}
	KT_ASSERT_EQ(t, tdp_dirty_log_enable(&V[0], &S[0], TDP_DIRTY_WP, 0), 0);
	for (i = 0; i < ARRAY_SIZE(at); i++)
		if (!KT_EXPECT_EQ(t, edges_access(BASE + at[i]), TDP_ACC_R | TDP_ACC_X))
			printf("    # page %llu of the table\n", (unsigned long long)at[i]);
	tdp_dirty_log_disable(&V[0], &S[0], NULL);
	edges_down(t, 1);
}

/*
 * Two slots log in D-bit mode; a page the hardware dirtied in the second
 * one is logged there when it is zapped.
 */
KTEST(zap_of_a_dirty_leaf_is_logged_in_the_second_dbit_slot)
{
	u64 out[0x200 / 64];

	if (!edges_up(t, &spte_fmt_npt, 1))
		return;
	S[0].npages = 0x200;
	S[1] = (struct mm_slot){ .base_gfn = BASE + 0x200, .npages = 0x200,
				 .host_pfn = PFN + 0x400 };
	KT_ASSERT_EQ(t, tdp_dirty_log_enable(&V[0], &S[0], TDP_DIRTY_DBIT, 0), 0);
	KT_ASSERT_EQ(t, tdp_dirty_log_enable(&V[0], &S[1], TDP_DIRTY_DBIT, 0), 0);
	KT_EXPECT_EQ(t, edges_fault(0, &S[1], BASE + 0x205, TDP_ACC_R | TDP_ACC_W), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&V[0], &S[1], out, true), 0);	/* the fault's mark */
	KT_EXPECT_EQ(t, edges_hw_write(BASE + 0x205), HW_OK);
	KT_EXPECT(t, tdp_mmu_zap_range(&V[0], BASE + 0x205, BASE + 0x206));
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&V[0], &S[1], out, true), 0);
	KT_EXPECT_EQ(t, out[0], BIT_ULL(5));
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&V[0], &S[0], out, true), 0);
	KT_EXPECT_EQ(t, out[0], 0);
	tdp_dirty_log_disable(&V[0], &S[1], NULL);
	tdp_dirty_log_disable(&V[0], &S[0], NULL);
	edges_down(t, 1);
}

/*
 * A slot that starts 16 pages into a table: a clear of its first 64 pages
 * re-protects exactly those (the last 16 of them lie in the table's
 * second word), and reads no more of the mask than its 64 bits.
 */
KTEST(dirty_log_clear_of_a_slot_not_aligned_to_64_pages)
{
	u64 out[0x100 / 64], one[1] = { ~0ULL };
	gfn_t base = BASE + 0x10, g;

	if (!edges_up(t, &spte_fmt_ept, 1))
		return;
	S[0] = (struct mm_slot){ .base_gfn = base, .npages = 0x100, .host_pfn = PFN + 0x10 };
	KT_ASSERT_EQ(t, tdp_dirty_log_enable(&V[0], &S[0], TDP_DIRTY_WP, 0), 0);
	for (g = base + 0x30; g < base + 0x48; g++)
		KT_EXPECT_EQ(t, edges_fault(0, &S[0], g, TDP_ACC_R | TDP_ACC_W), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&V[0], &S[0], out, false), 0);
	KT_EXPECT_EQ(t, out[0], 0xffff000000000000ULL);
	KT_EXPECT_EQ(t, out[1], 0xff);
	KT_EXPECT_EQ(t, tdp_dirty_log_clear(&V[0], &S[0], 0, 64, one), 0);
	for (g = base + 0x30; g < base + 0x40; g++)
		KT_EXPECT_EQ(t, edges_access(g), TDP_ACC_R | TDP_ACC_X);
	for (; g < base + 0x48; g++)
		KT_EXPECT_EQ(t, edges_access(g), TDP_ACC_RWX);
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&V[0], &S[0], out, false), 0);
	KT_EXPECT_EQ(t, out[0], 0);
	KT_EXPECT_EQ(t, out[1], 0xff);
	tdp_dirty_log_disable(&V[0], &S[0], NULL);
	edges_down(t, 1);
}

/*
 * A zap that unlinks a whole 4K table logs the leaves the hardware dirtied
 * in it, the table's first entry as well as its last (D-bit mode).
 */
KTEST(zap_of_a_whole_table_logs_its_first_and_last_dirty_leaves)
{
	static const gfn_t at[] = { 0, 511 };
	u64 out[0x200 / 64];
	unsigned int i;

	if (!edges_up(t, &spte_fmt_ept, 1))
		return;
	S[0].npages = 0x200;
	KT_ASSERT_EQ(t, tdp_dirty_log_enable(&V[0], &S[0], TDP_DIRTY_DBIT, 0), 0);
	for (i = 0; i < ARRAY_SIZE(at); i++)
		KT_EXPECT_EQ(t, edges_fault(0, &S[0], BASE + at[i], TDP_ACC_R | TDP_ACC_W),
			     TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&V[0], &S[0], out, true), 0);	/* the faults' marks */
	for (i = 0; i < ARRAY_SIZE(at); i++)
		KT_EXPECT_EQ(t, edges_hw_write(BASE + at[i]), HW_OK);
	KT_EXPECT(t, tdp_mmu_zap_range(&V[0], BASE, BASE + 0x200));
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&V[0], &S[0], out, true), 0);
	KT_EXPECT_EQ(t, out[0], BIT_ULL(0));
	KT_EXPECT_EQ(t, out[7], BIT_ULL(63));
	tdp_dirty_log_disable(&V[0], &S[0], NULL);
	edges_down(t, 1);
}

/*
 * Slots that start 1 and 63 pages into a table: enabling logging protects
 * all their pages, and the clear of their first 128 pages takes bits of
 * two mask words for each word of the table and re-protects exactly those.
 */
KTEST(dirty_log_clear_takes_each_page_from_the_right_mask_word)
{
	static const gfn_t offsets[] = { 1, 63 };
	u64 two[2] = { ~0ULL, ~0ULL };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		gfn_t base = BASE + offsets[i], g;

		if (!edges_up(t, &spte_fmt_npt, 1))
			return;
		S[0] = (struct mm_slot){ .base_gfn = base, .npages = 0x100,
					 .host_pfn = PFN + offsets[i] };
		for (g = base; g < base + 160; g++)
			KT_EXPECT_EQ(t, edges_fault(0, &S[0], g, TDP_ACC_R | TDP_ACC_W),
				     TDP_FAULT_FIXED);
		/* enabling protects every page, the table's first word's too */
		KT_ASSERT_EQ(t, tdp_dirty_log_enable(&V[0], &S[0], TDP_DIRTY_WP, 0), 0);
		for (g = base; g < base + 160; g++) {
			KT_EXPECT_EQ(t, edges_access(g), TDP_ACC_R | TDP_ACC_X);
			KT_EXPECT_EQ(t, edges_fault(0, &S[0], g, TDP_ACC_R | TDP_ACC_W),
				     TDP_FAULT_FIXED);
		}
		KT_EXPECT_EQ(t, tdp_dirty_log_clear(&V[0], &S[0], 0, 128, two), 0);
		for (g = base; g < base + 160; g++) {
			u32 want = g < base + 128 ? TDP_ACC_R | TDP_ACC_X : TDP_ACC_RWX;

			if (!KT_EXPECT_EQ(t, edges_access(g), want))
				printf("    # slot at +%llu, page %llu\n",
				       (unsigned long long)offsets[i],
				       (unsigned long long)(g - base));
		}
		tdp_dirty_log_disable(&V[0], &S[0], NULL);
		edges_down(t, 1);
	}
}

/*
 * A ring harvest re-protects the pages it returns, also those in the last
 * 64 entries of their table, and no others: pages of the next 2 MiB range
 * at the places of the first range's stay writable while they wait in the
 * ring.  The
 * vCPU's ring is freed with it.
 */
KTEST(ring_harvest_reprotects_exactly_the_pages_it_returns)
{
	static const gfn_t at[] = { 5, 448, 511, 0x200 + 9, 0x200 + 5, 0x200 + 448,
				    0x200 + 511 };
	gfn_t out[16];
	unsigned int i;

	if (!edges_up(t, &spte_fmt_ept, 1))
		return;
	KT_ASSERT_EQ(t, tdp_dirty_ring_init(&V[0], 2 * TDP_DIRTY_RING_RESERVE), 0);
	KT_EXPECT_EQ(t, fake_bitmap_in_use(),
		     bitmap_before + 2 * TDP_DIRTY_RING_RESERVE * sizeof(gfn_t));
	KT_ASSERT_EQ(t, tdp_dirty_log_enable(&V[0], &S[0], TDP_DIRTY_WP, TDP_DIRTY_RING), 0);
	for (i = 0; i < ARRAY_SIZE(at); i++)
		KT_EXPECT_EQ(t, edges_fault(0, &S[0], BASE + at[i], TDP_ACC_R | TDP_ACC_W),
			     TDP_FAULT_FIXED);
	/* the first range's three pages and the second's first */
	KT_EXPECT_EQ(t, tdp_dirty_ring_harvest(&V[0], &V[0], out, 4), 4);
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		u32 want = i < 4 ? TDP_ACC_R | TDP_ACC_X : TDP_ACC_RWX;

		if (i < 4)
			KT_EXPECT_EQ(t, out[i], BASE + at[i]);
		if (!KT_EXPECT_EQ(t, edges_access(BASE + at[i]), want))
			printf("    # page 0x%llx of the slot\n", (unsigned long long)at[i]);
	}
	KT_EXPECT_EQ(t, tdp_dirty_ring_harvest(&V[0], &V[0], out, ARRAY_SIZE(out)), 3);
	KT_EXPECT_EQ(t, out[2], BASE + at[6]);
	KT_EXPECT_EQ(t, edges_access(BASE + at[6]), TDP_ACC_R | TDP_ACC_X);
	tdp_dirty_log_disable(&V[0], &S[0], NULL);
	edges_down(t, 1);
}

/* ---- waits ---- */

static u32 thread_done;

static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void *bump_thread(void *arg)
{
	(void)arg;
	tdp_mmu_mmio_gen_bump(&M);
	__atomic_store_n(&thread_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * The generation's low bits wrap while the MMU's only vCPU is on the read
 * side (where a fault could be installing an old marker): the zap of every
 * marker takes the write side, so it finishes only after the vCPU left.
 */
KTEST(mmio_generation_wrap_waits_for_the_vcpu_on_the_read_side)
{
	pthread_t th;

	if (!edges_up(t, &spte_fmt_ept, 1))
		return;
	M.mmio_gen = SPTE_MMIO_GEN_LOW_MASK;	/* the next bump wraps */
	__atomic_store_n(&thread_done, 0, __ATOMIC_RELAXED);
	tdp_vcpu_read_lock(&V[0]);
	KT_ASSERT_EQ(t, pthread_create(&th, NULL, bump_thread, NULL), 0);
	pause_ms(200);
	KT_EXPECT_EQ(t, __atomic_load_n(&thread_done, __ATOMIC_ACQUIRE), 0);
	tdp_vcpu_read_unlock(&V[0]);
	pthread_join(th, NULL);
	KT_EXPECT_EQ(t, thread_done, 1);
	KT_EXPECT_EQ(t, stat_read(&M.stats.mmio_wraps), 1);
	edges_down(t, 1);
}

static u64 harvest_out[0x200 / 64];

static void *harvest_thread(void *arg)
{
	(void)arg;
	tdp_dirty_log_get(&V[1], &S[0], harvest_out, true);
	__atomic_store_n(&thread_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static pthread_t harvest_th;
static u32 hook_started, hook_blocked;

/*
 * At vCPU 0's exchange that drops a dirty leaf (its transfer counted), once:
 * starts vCPU 1's harvest and checks that it is still waiting after a pause.
 */
static void transfer_hook(u64 *sptep, u64 old, u64 new)
{
	(void)sptep, (void)old, (void)new;
	__atomic_store_n(&mm_race_hook, NULL, __ATOMIC_RELAXED);
	if (pthread_create(&harvest_th, NULL, harvest_thread, NULL))
		return;
	hook_started = 1;
	pause_ms(200);
	hook_blocked = !__atomic_load_n(&thread_done, __ATOMIC_ACQUIRE);
}

/*
 * vCPU 0 zaps a dirty leaf of a D-bit-mode slot; while its transfer of the
 * dirty bit is in flight, vCPU 1's harvest waits for it (tdp_dirty_sync()),
 * and reports the page.
 */
KTEST(dirty_harvest_waits_for_the_first_vcpus_transfer_in_flight)
{
	if (!edges_up(t, &spte_fmt_ept, 2))
		return;
	S[0].npages = 0x200;
	KT_ASSERT_EQ(t, tdp_dirty_log_enable(&V[0], &S[0], TDP_DIRTY_DBIT, 0), 0);
	KT_EXPECT_EQ(t, edges_fault(0, &S[0], BASE + 9, TDP_ACC_R | TDP_ACC_W), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&V[0], &S[0], harvest_out, true), 0);
	KT_EXPECT_EQ(t, edges_hw_write(BASE + 9), HW_OK);
	__atomic_store_n(&thread_done, 0, __ATOMIC_RELAXED);
	hook_started = hook_blocked = 0;
	memset(harvest_out, 0, sizeof(harvest_out));
	__atomic_store_n(&mm_race_hook, transfer_hook, __ATOMIC_RELEASE);
	KT_EXPECT(t, tdp_mmu_zap_range(&V[0], BASE + 9, BASE + 10));
	__atomic_store_n(&mm_race_hook, NULL, __ATOMIC_RELAXED);
	KT_ASSERT_EQ(t, hook_started, 1);
	pthread_join(harvest_th, NULL);
	KT_EXPECT_EQ(t, hook_blocked, 1);
	KT_EXPECT_EQ(t, harvest_out[0], BIT_ULL(9));
	tdp_dirty_log_disable(&V[0], &S[0], NULL);
	edges_down(t, 2);
}
