// SPDX-License-Identifier: MIT
/*
 * Huge pages recovered in place when dirty logging ends (mm/tdp_recover.c)
 * and the per-vCPU dirty ring (mm/tdp_ring.c): which tables become one
 * huge leaf and with what rights, which stay, what a ring holds, what its
 * harvest re-protects, and when a full ring stops the vCPU.  Checked
 * through tdp_mmu_lookup() and the MMU's counters.  Runs on the host and
 * inside hv.efi.
 */
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"
#include "errcode.h"

struct de_env {
	struct tdp_mmu mmu;
	struct tdp_vcpu v;
	unsigned int flushes;
};

static struct de_env de;

static void de_flush(struct tdp_mmu *mmu)
{
	de.flushes++;
}

static const struct tdp_mmu_ops de_ops = { .flush_tlbs = de_flush };

static struct de_env *de_up(struct ktest_ctx *t, const struct spte_format *fmt)
{
	memset(&de, 0, sizeof(de));
	if (!KT_EXPECT_EQ(t, tdp_mmu_init(&de.mmu, fmt, 4, &de_ops, NULL), 0) ||
	    !KT_EXPECT_EQ(t, tdp_vcpu_init(&de.v, &de.mmu, 0), 0) ||
	    !KT_EXPECT_EQ(t, tdp_vcpu_load_root(&de.v), 0))
		return NULL;
	return &de;
}

/* Tears down and checks that every table page came back. */
static void de_down(struct ktest_ctx *t, struct de_env *e)
{
	tdp_vcpu_destroy(&e->v);
	tdp_mmu_destroy(&e->mmu);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), 0);
}

/* 1 GiB at GFN 0x40000 (1 GiB aligned) on 1 GiB-aligned host frames. */
static struct mm_slot de_slot = {
	.base_gfn = 0x40000, .npages = 0x40000, .host_pfn = 0x100000,
};

static int de_fault(struct de_env *e, gfn_t gfn, u32 access, int max_level)
{
	struct tdp_fault f = { .gfn = gfn, .access = access, .slot = &de_slot,
			       .policy = { .max_level = max_level } };

	return tdp_mmu_map(&e->v, &f);
}

static struct tdp_mapping de_lookup(struct ktest_ctx *t, struct de_env *e, gfn_t gfn)
{
	struct tdp_mapping m;

	KT_EXPECT_EQ(t, tdp_mmu_lookup(&e->v, gfn, &m), 0);
	return m;
}

/* Writes every page of the 2 MiB at base by faults (all 4K while logging). */
static void de_write_2m(struct ktest_ctx *t, struct de_env *e, gfn_t base)
{
	gfn_t g;

	for (g = base; g < base + 512; g++)
		KT_EXPECT_EQ(t, de_fault(e, g, TDP_ACC_W, 0), TDP_FAULT_FIXED);
}

KTEST(dirty_log_disable_recovers_2m_leaf_in_place)
{
	struct tdp_huge_policy p = { .max_level = 2 };
	struct de_env *e = de_up(t, &spte_fmt_ept);
	struct tdp_mapping m;
	u64 tables;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, de_fault(e, 0x40000, TDP_ACC_W, 2), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &de_slot, TDP_DIRTY_WP, TDP_DIRTY_EAGER_SPLIT), 0);
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x40123).level, TDP_LEVEL_4K);
	de_write_2m(t, e, 0x40000);
	tables = stat_read(&e->mmu.stats.tables);
	e->flushes = 0;
	KT_EXPECT_EQ(t, tdp_dirty_log_disable(&e->v, &de_slot, &p), 0);
	m = de_lookup(t, e, 0x40123);
	KT_EXPECT(t, m.present);
	KT_EXPECT_EQ(t, m.level, TDP_LEVEL_2M);
	KT_EXPECT_EQ(t, m.hpa, (hpa_t)(0x100123ULL << PAGE_SHIFT));
	KT_EXPECT_EQ(t, m.access, TDP_ACC_RWX);	/* every page was writable */
	KT_EXPECT_EQ(t, m.memtype, MT_WB);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.recovered), 1);
	KT_EXPECT_EQ(t, e->flushes, 1);
	/* The 4K table is freed once a quiescent state passed (none is on the read side). */
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), tables - 1);
	KT_EXPECT_EQ(t, de_fault(e, 0x40123, TDP_ACC_W, 2), TDP_FAULT_SPURIOUS);
	de_down(t, e);
}

KTEST(dirty_log_disable_recovers_1g_leaf_in_place)
{
	struct de_env *e = de_up(t, &spte_fmt_npt);
	struct tdp_mapping m;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, de_fault(e, 0x40000, TDP_ACC_R, 0), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x40000).level, TDP_LEVEL_1G);
	/* Logging without eager split: a write splits 1G -> 2M -> 4K. */
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &de_slot, TDP_DIRTY_WP, 0), 0);
	KT_EXPECT_EQ(t, de_fault(e, 0x40205, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x40205).level, TDP_LEVEL_4K);
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x80000 - 1).level, TDP_LEVEL_2M);
	KT_EXPECT_EQ(t, tdp_dirty_log_disable(&e->v, &de_slot, NULL), 0);
	m = de_lookup(t, e, 0x40205);
	KT_EXPECT(t, m.present);
	KT_EXPECT_EQ(t, m.level, TDP_LEVEL_1G);
	KT_EXPECT_EQ(t, m.hpa, (hpa_t)(0x100205ULL << PAGE_SHIFT));
	/* Mapped read-only before logging: the huge leaf is not writable. */
	KT_EXPECT_EQ(t, m.access & TDP_ACC_W, 0);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.recovered), 2);	/* 2M, then 1G */
	KT_EXPECT_EQ(t, de_fault(e, 0x40205, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT(t, de_lookup(t, e, 0x40205).access & TDP_ACC_W);
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x40205).level, TDP_LEVEL_1G);
	de_down(t, e);
}

KTEST(dirty_log_disable_keeps_tables_that_do_not_qualify)
{
	struct tdp_huge_policy p = { .max_level = 2 }, four_k = { .max_level = 1 };
	struct de_env *e = de_up(t, &spte_fmt_ept);
	gfn_t g;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &de_slot, TDP_DIRTY_WP, 0), 0);
	/* One 2 MiB with a hole, one full, one full that the policy keeps 4K. */
	for (g = 0x40000; g < 0x40200; g++)
		if (g != 0x401ff)
			KT_EXPECT_EQ(t, de_fault(e, g, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	de_write_2m(t, e, 0x40200);
	KT_EXPECT_EQ(t, tdp_dirty_log_disable(&e->v, &de_slot, &p), 0);
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x40000).level, TDP_LEVEL_4K);
	KT_EXPECT(t, !de_lookup(t, e, 0x401ff).present);
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x40200).level, TDP_LEVEL_2M);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.recovered), 1);
	/* A fault into the hole maps huge, as after any zap. */
	KT_EXPECT_EQ(t, de_fault(e, 0x401ff, TDP_ACC_R, 2), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x40000).level, TDP_LEVEL_2M);
	/* Logging again; ending it under a 4K-only policy recovers nothing. */
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &de_slot, TDP_DIRTY_WP, TDP_DIRTY_EAGER_SPLIT), 0);
	KT_EXPECT_EQ(t, tdp_dirty_log_disable(&e->v, &de_slot, &four_k), 0);
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x40000).level, TDP_LEVEL_4K);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.recovered), 1);
	de_down(t, e);
}

KTEST(dirty_ring_collects_faulted_writes_and_reprotects_them)
{
	struct de_env *e = de_up(t, &spte_fmt_ept);
	gfn_t out[8];
	u64 bm[1];

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, tdp_dirty_ring_init(&e->v, 100), -EINVAL);	/* not a power of two */
	KT_EXPECT_EQ(t, tdp_dirty_ring_harvest(&e->v, &e->v, out, 8), -EINVAL);
	KT_EXPECT_EQ(t, tdp_dirty_ring_init(&e->v, 128), 0);
	KT_EXPECT_EQ(t, tdp_dirty_ring_init(&e->v, 128), -EBUSY);
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &de_slot, TDP_DIRTY_DBIT, TDP_DIRTY_RING),
		     -EOPNOTSUPP);
	KT_EXPECT_EQ(t, de_fault(e, 0x40007, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &de_slot, TDP_DIRTY_WP, TDP_DIRTY_RING), 0);
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v, &de_slot, bm, true), -EINVAL);	/* no bitmap */
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x40007).access & TDP_ACC_W, 0);
	KT_EXPECT_EQ(t, de_fault(e, 0x40007, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, de_fault(e, 0x40009, TDP_ACC_R, 0), TDP_FAULT_SPURIOUS);	/* no log */
	KT_EXPECT_EQ(t, de_fault(e, 0x7f000, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, de_fault(e, 0x40008, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, de_fault(e, 0x40007, TDP_ACC_W, 0), TDP_FAULT_SPURIOUS);	/* still writable */
	KT_EXPECT_EQ(t, tdp_dirty_ring_check(&e->v), 0);
	e->flushes = 0;
	KT_EXPECT_EQ(t, tdp_dirty_ring_harvest(&e->v, &e->v, out, 2), 2);	/* the oldest two */
	KT_EXPECT_EQ(t, out[0], 0x40007);
	KT_EXPECT_EQ(t, out[1], 0x7f000);
	KT_EXPECT_EQ(t, e->flushes, 1);
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x40007).access & TDP_ACC_W, 0);
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x7f000).access & TDP_ACC_W, 0);
	KT_EXPECT(t, de_lookup(t, e, 0x40008).access & TDP_ACC_W);	/* not harvested yet */
	KT_EXPECT_EQ(t, tdp_dirty_ring_harvest(&e->v, &e->v, out, 8), 1);
	KT_EXPECT_EQ(t, out[0], 0x40008);
	KT_EXPECT_EQ(t, de_lookup(t, e, 0x40008).access & TDP_ACC_W, 0);
	KT_EXPECT_EQ(t, tdp_dirty_ring_harvest(&e->v, &e->v, out, 8), 0);
	/* A write after the harvest faults and is logged again. */
	KT_EXPECT_EQ(t, de_fault(e, 0x40007, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_dirty_ring_harvest(&e->v, &e->v, out, 8), 1);
	KT_EXPECT_EQ(t, out[0], 0x40007);
	KT_EXPECT_EQ(t, tdp_dirty_log_disable(&e->v, &de_slot, NULL), 0);
	de_down(t, e);
}

KTEST(dirty_ring_soft_limit_stops_the_vcpu_until_harvested)
{
	struct de_env *e = de_up(t, &spte_fmt_npt);
	gfn_t out[128], g;
	long n;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, tdp_dirty_ring_init(&e->v, 128), 0);
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &de_slot, TDP_DIRTY_WP, TDP_DIRTY_RING), 0);
	/* 128 entries, 64 kept in reserve: the 64th logged page stops it. */
	for (g = 0x40000; g < 0x40000 + 128 - TDP_DIRTY_RING_RESERVE; g++) {
		KT_EXPECT_EQ(t, tdp_dirty_ring_check(&e->v), 0);
		KT_EXPECT_EQ(t, de_fault(e, g, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	}
	KT_EXPECT_EQ(t, tdp_dirty_ring_check(&e->v), -ENOSPC);
	/* The reserve still takes what one more exit logs. */
	KT_EXPECT_EQ(t, de_fault(e, g, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	n = tdp_dirty_ring_harvest(&e->v, &e->v, out, 128);
	KT_EXPECT_EQ(t, n, 128 - TDP_DIRTY_RING_RESERVE + 1);
	KT_EXPECT_EQ(t, out[n - 1], g);
	KT_EXPECT_EQ(t, tdp_dirty_ring_check(&e->v), 0);
	/* The indices wrap: the ring goes on after 128 entries. */
	for (g = 0x41000; g < 0x41000 + 32; g++)
		KT_EXPECT_EQ(t, de_fault(e, g, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	n = tdp_dirty_ring_harvest(&e->v, &e->v, out, 128);
	KT_EXPECT_EQ(t, n, 32);
	KT_EXPECT_EQ(t, out[0], 0x41000);
	KT_EXPECT_EQ(t, out[31], 0x41000 + 31);
	KT_EXPECT_EQ(t, tdp_dirty_log_disable(&e->v, &de_slot, NULL), 0);
	de_down(t, e);
}
