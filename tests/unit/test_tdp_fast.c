// SPDX-License-Identifier: MIT
/*
 * The TDP MMU's paths that run without the MMU lock, or around it: the
 * fast path of faults on present leaves (tdp_mmu_fast_fault()), aging
 * without the lock, and the zap of every MMIO marker when the generation
 * wraps.  Pure mm/ logic, so the same tests run on the host and inside
 * hv.efi; the threads and the model are host-only (tests/host/mm/).
 */
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"
#include "errcode.h"

struct fenv {
	struct tdp_mmu mmu;
	struct tdp_vcpu v;
};

static void fenv_flush(struct tdp_mmu *mmu)
{
}

static const struct tdp_mmu_ops fenv_ops = { .flush_tlbs = fenv_flush };
static struct fenv the_fenv;

/* 4 MiB at a 2 MiB-aligned GFN, backed by 2 MiB-aligned frames. */
static struct mm_slot fslot = { .base_gfn = 0x40000, .npages = 0x400, .host_pfn = 0x100000 };
static struct mm_slot ro_slot = { .base_gfn = 0x50000, .npages = 0x10, .host_pfn = 0x110000,
				  .flags = MM_SLOT_READONLY };

static struct fenv *fenv_up(struct ktest_ctx *t, const struct spte_format *fmt)
{
	struct fenv *e = &the_fenv;

	memset(e, 0, sizeof(*e));
	if (!KT_EXPECT_EQ(t, tdp_mmu_init(&e->mmu, fmt, 4, &fenv_ops, NULL), 0) ||
	    !KT_EXPECT_EQ(t, tdp_vcpu_init(&e->v, &e->mmu, 0), 0) ||
	    !KT_EXPECT_EQ(t, tdp_vcpu_load_root(&e->v), 0))
		return NULL;
	return e;
}

static void fenv_down(struct ktest_ctx *t, struct fenv *e)
{
	tdp_vcpu_destroy(&e->v);
	tdp_mmu_destroy(&e->mmu);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), 0);
}

static int map(struct fenv *e, struct mm_slot *slot, gfn_t gfn, u32 access, int max_level)
{
	struct tdp_fault f = { .gfn = gfn, .access = access, .slot = slot,
			       .policy = { .max_level = max_level } };

	return tdp_mmu_map(&e->v, &f);
}

static int fast(struct fenv *e, struct mm_slot *slot, gfn_t gfn, u32 access, int *level)
{
	struct tdp_fault f = { .gfn = gfn, .access = access, .slot = slot };
	int ret = tdp_mmu_fast_fault(&e->v, &f);

	if (level)
		*level = f.level;
	return ret;
}

/* The entry that maps gfn, as tdp_mmu_lookup() reads it. */
static u64 spte_at(struct fenv *e, gfn_t gfn)
{
	struct tdp_mapping m;

	return tdp_mmu_lookup(&e->v, gfn, &m) ? ~0ULL : m.spte;
}

KTEST(fast_fault_makes_logged_leaf_writable_and_logs_it_once)
{
	struct fenv *e = fenv_up(t, &spte_fmt_ept);
	u64 out[0x400 / 64];
	int level = 0;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, map(e, &fslot, 0x40005, TDP_ACC_W, 1), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &fslot, TDP_DIRTY_WP, 0), 0);
	KT_EXPECT(t, !spte_is_writable(e->mmu.fmt, spte_at(e, 0x40005)));
	KT_EXPECT(t, spte_at(e, 0x40005) & SPTE_MMU_WRITABLE);
	KT_EXPECT_EQ(t, fast(e, &fslot, 0x40005, TDP_ACC_W, &level), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, level, TDP_LEVEL_4K);
	KT_EXPECT(t, spte_is_writable(e->mmu.fmt, spte_at(e, 0x40005)));
	KT_EXPECT_EQ(t, fslot.dirty_bitmap[0], BIT_ULL(5));
	/* The leaf allows the write now: nothing to fix, nothing logged again. */
	fslot.dirty_bitmap[0] = 0;
	KT_EXPECT_EQ(t, fast(e, &fslot, 0x40005, TDP_ACC_W, NULL), TDP_FAULT_SPURIOUS);
	KT_EXPECT_EQ(t, fslot.dirty_bitmap[0], 0);
	KT_EXPECT_EQ(t, e->v.fast_fixed, 1);
	KT_EXPECT_EQ(t, e->v.fast_refused, 0);
	/* A harvest re-protects it; the next write goes the fast way again. */
	fslot.dirty_bitmap[0] = BIT_ULL(5);
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v, &fslot, out, true), 0);
	KT_EXPECT_EQ(t, out[0], BIT_ULL(5));
	KT_EXPECT(t, !spte_is_writable(e->mmu.fmt, spte_at(e, 0x40005)));
	KT_EXPECT_EQ(t, fast(e, &fslot, 0x40005, TDP_ACC_W, NULL), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v, &fslot, out, true), 0);
	KT_EXPECT_EQ(t, out[0], BIT_ULL(5));
	KT_EXPECT_EQ(t, tdp_dirty_log_disable(&e->v, &fslot, NULL), 0);
	fenv_down(t, e);
}

KTEST(fast_fault_refuses_and_changes_nothing_where_it_may_not_fix)
{
	struct fenv *e = fenv_up(t, &spte_fmt_npt);
	u64 before;

	KT_ASSERT(t, e != NULL);
	/* Nothing mapped, MMIO, and a write to a read-only slot. */
	KT_EXPECT_EQ(t, fast(e, &fslot, 0x40010, TDP_ACC_R, NULL), -EAGAIN);
	KT_EXPECT_EQ(t, fast(e, NULL, 0xfee00, TDP_ACC_R, NULL), -EAGAIN);
	KT_EXPECT_EQ(t, map(e, &ro_slot, 0x50001, TDP_ACC_R, 1), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, fast(e, &ro_slot, 0x50001, TDP_ACC_W, NULL), -EAGAIN);
	KT_EXPECT_EQ(t, fast(e, &ro_slot, 0x50001, TDP_ACC_R, NULL), TDP_FAULT_SPURIOUS);
	/* A huge leaf in a logging slot must be split by tdp_mmu_map(). */
	KT_EXPECT_EQ(t, map(e, &fslot, 0x40200, TDP_ACC_W, 2), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &fslot, TDP_DIRTY_WP, 0), 0);
	before = spte_at(e, 0x40201);
	KT_EXPECT_EQ(t, fast(e, &fslot, 0x40201, TDP_ACC_W, NULL), -EAGAIN);
	KT_EXPECT_EQ(t, spte_at(e, 0x40201), before);
	KT_EXPECT_EQ(t, fslot.dirty_bitmap[0x201 / 64], 0);
	KT_EXPECT_EQ(t, map(e, &fslot, 0x40201, TDP_ACC_W, 2), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, fslot.dirty_bitmap[0x201 / 64], BIT_ULL(0x201 % 64));
	KT_EXPECT_EQ(t, tdp_dirty_log_disable(&e->v, &fslot, NULL), 0);
	/* An invalid root: the vCPU must reload it first. */
	KT_EXPECT_EQ(t, map(e, &fslot, 0x40003, TDP_ACC_R, 1), TDP_FAULT_FIXED);
	tdp_mmu_invalidate_roots(&e->mmu);
	KT_EXPECT_EQ(t, fast(e, &fslot, 0x40003, TDP_ACC_R, NULL), -EAGAIN);
	KT_EXPECT_EQ(t, e->v.fast_fixed, 0);
	KT_EXPECT_EQ(t, e->v.fast_refused, 5);
	KT_EXPECT_EQ(t, tdp_vcpu_load_root(&e->v), 0);
	fenv_down(t, e);
}

KTEST(fast_fault_restores_a_leaf_parked_by_aging_without_ad_bits)
{
	struct fenv *e = fenv_up(t, &spte_fmt_ept_noad);
	u64 young[1] = { 0 };
	int level = 0;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, map(e, &fslot, 0x40200, TDP_ACC_W, 2), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_mmu_age_range(&e->v, 0x40200, 0x40240, young), 64);
	KT_EXPECT(t, spte_at(e, 0x40200) & SPTE_ACC_TRACKED);
	KT_EXPECT_EQ(t, spte_access(e->mmu.fmt, spte_at(e, 0x40200)), 0);
	/* Huge and not logging: the fast path takes it as it is. */
	KT_EXPECT_EQ(t, fast(e, &fslot, 0x40210, TDP_ACC_W, &level), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, level, TDP_LEVEL_2M);
	KT_EXPECT_EQ(t, spte_access(e->mmu.fmt, spte_at(e, 0x40200)),
		     TDP_ACC_R | TDP_ACC_W | TDP_ACC_X);
	young[0] = 0;
	KT_EXPECT_EQ(t, tdp_mmu_age_range(&e->v, 0x40200, 0x40240, young), 64);
	fenv_down(t, e);
}

KTEST(aging_clears_accessed_bits_while_a_writer_holds_the_mmu_lock)
{
	struct fenv *e = fenv_up(t, &spte_fmt_ept);
	u64 young[1] = { 0 };

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, map(e, &fslot, 0x40001, TDP_ACC_R, 1), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, map(e, &fslot, 0x40002, TDP_ACC_W, 1), TDP_FAULT_FIXED);
	KT_EXPECT(t, spte_at(e, 0x40001) & EPT_A);
	/* It neither waits for the write side nor needs it. */
	tdp_mmu_write_lock(&e->mmu);
	KT_EXPECT_EQ(t, tdp_mmu_age_range(&e->v, 0x40000, 0x40040, young), 2);
	tdp_mmu_write_unlock(&e->mmu);
	KT_EXPECT_EQ(t, young[0], BIT_ULL(1) | BIT_ULL(2));
	KT_EXPECT(t, !(spte_at(e, 0x40001) & EPT_A));
	/* One atomic and-not: the other bits, D among them, stay. */
	young[0] = 0;
	KT_EXPECT_EQ(t, tdp_mmu_age_range(&e->v, 0x40000, 0x40040, young), 0);
	KT_EXPECT(t, spte_is_writable(e->mmu.fmt, spte_at(e, 0x40002)));
	fenv_down(t, e);
}

KTEST(mmio_markers_are_zapped_when_the_generation_wraps)
{
	struct fenv *e = fenv_up(t, &spte_fmt_ept);

	KT_ASSERT(t, e != NULL);
	e->mmu.mmio_gen = SPTE_MMIO_GEN_LOW_MASK - 1;
	KT_EXPECT_EQ(t, map(e, NULL, 0xfec00, TDP_ACC_R, 0), TDP_FAULT_MMIO);
	tdp_mmu_mmio_gen_bump(&e->mmu);
	KT_EXPECT_EQ(t, map(e, NULL, 0xfee00, TDP_ACC_R, 0), TDP_FAULT_MMIO);
	KT_EXPECT(t, tdp_mmu_is_mmio_fault(&e->v, 0xfee00));
	KT_EXPECT(t, spte_is_mmio(spte_at(e, 0xfec00)));	/* stale, still there */
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.mmio_wraps), 0);
	tdp_mmu_mmio_gen_bump(&e->mmu);		/* low 32 bits wrap to 0 */
	KT_EXPECT_EQ(t, e->mmu.mmio_gen, SPTE_MMIO_GEN_LOW_MASK + 1);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.mmio_wraps), 1);
	KT_EXPECT_EQ(t, spte_at(e, 0xfec00), 0);
	KT_EXPECT_EQ(t, spte_at(e, 0xfee00), 0);
	KT_EXPECT(t, !tdp_mmu_is_mmio_fault(&e->v, 0xfee00));
	/* The new lap's markers work as before. */
	KT_EXPECT_EQ(t, map(e, NULL, 0xfee00, TDP_ACC_R, 0), TDP_FAULT_MMIO);
	KT_EXPECT(t, tdp_mmu_is_mmio_fault(&e->v, 0xfee00));
	KT_EXPECT_EQ(t, spte_mmio_gen(spte_at(e, 0xfee00)), 0);
	fenv_down(t, e);
}

KTEST(mmio_marker_from_the_last_lap_never_matches_its_generation_again)
{
	struct fenv *e = fenv_up(t, &spte_fmt_npt);

	KT_ASSERT(t, e != NULL);
	e->mmu.mmio_gen = 5;
	KT_EXPECT_EQ(t, map(e, NULL, 0xfee00, TDP_ACC_R, 0), TDP_FAULT_MMIO);
	/* 2^32 bumps later, in three steps: the counter is set, as if. */
	e->mmu.mmio_gen = SPTE_MMIO_GEN_LOW_MASK;
	tdp_mmu_mmio_gen_bump(&e->mmu);
	e->mmu.mmio_gen = SPTE_MMIO_GEN_LOW_MASK + 5;
	tdp_mmu_mmio_gen_bump(&e->mmu);		/* low bits 5 again */
	KT_EXPECT(t, !tdp_mmu_is_mmio_fault(&e->v, 0xfee00));
	KT_EXPECT_EQ(t, spte_at(e, 0xfee00), 0);
	fenv_down(t, e);
}
