// SPDX-License-Identifier: MIT
/*
 * tdp_mmu_lookup(): what a root maps one GFN to -- level, host address,
 * rights and memory type decoded through the format table, in both formats
 * -- and that asking changes nothing: no table, no marker, no entry written.
 * Runs on the host and inside hv.efi.
 */
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"
#include "errcode.h"

struct lk_env {
	struct tdp_mmu mmu;
	struct tdp_vcpu v;
};

static void lk_flush(struct tdp_mmu *mmu)
{
}

static const struct tdp_mmu_ops lk_ops = { .flush_tlbs = lk_flush };
static struct lk_env lk;

static struct lk_env *lk_up(struct ktest_ctx *t, const struct spte_format *fmt)
{
	memset(&lk, 0, sizeof(lk));
	if (!KT_EXPECT_EQ(t, tdp_mmu_init(&lk.mmu, fmt, 4, &lk_ops, NULL), 0) ||
	    !KT_EXPECT_EQ(t, tdp_vcpu_init(&lk.v, &lk.mmu, 0), 0) ||
	    !KT_EXPECT_EQ(t, tdp_vcpu_load_root(&lk.v), 0))
		return NULL;
	return &lk;
}

static void lk_down(struct ktest_ctx *t, struct lk_env *e)
{
	tdp_vcpu_destroy(&e->v);
	tdp_mmu_destroy(&e->mmu);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), 0);
}

/* 2 GiB at GFN 0x40000 (1 GiB aligned) on 1 GiB-aligned host frames. */
static struct mm_slot lk_slot = {
	.base_gfn = 0x40000, .npages = 0x80000, .host_pfn = 0x100000,
};

/* UC at GFN 0x80005, WT at 0x80006, WB elsewhere (single pages only). */
static bool lk_memtype(void *ctx, gfn_t gfn, u64 n, enum tdp_memtype *mt)
{
	if (gfn <= 0x80006 && gfn + n > 0x80005) {
		*mt = gfn == 0x80005 ? MT_UC : MT_WT;
		return n == 1;
	}
	*mt = MT_WB;
	return true;
}

static int lk_fault(struct lk_env *e, struct mm_slot *slot, gfn_t gfn, u32 access,
		    int max_level)
{
	struct tdp_fault f = { .gfn = gfn, .access = access, .slot = slot,
			       .policy = { .max_level = max_level,
					   .memtype = lk_memtype } };

	return tdp_mmu_map(&e->v, &f);
}

static struct tdp_mapping lk_lookup(struct ktest_ctx *t, struct lk_env *e, gfn_t gfn)
{
	struct tdp_mapping m;

	KT_EXPECT_EQ(t, tdp_mmu_lookup(&e->v, gfn, &m), 0);
	return m;
}

/* Both formats: the same faults must read back the same way. */
static void lookup_reads_back_what_faults_mapped(struct ktest_ctx *t,
						 const struct spte_format *fmt)
{
	struct lk_env *e = lk_up(t, fmt);
	struct mm_slot rom = { .base_gfn = 0x100, .npages = 16, .host_pfn = 0x300,
			       .flags = MM_SLOT_READONLY | MM_SLOT_NOEXEC };
	struct tdp_mapping m;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, lk_fault(e, &lk_slot, 0x40123, TDP_ACC_R, 0), TDP_FAULT_FIXED);
	m = lk_lookup(t, e, 0x40123);
	KT_EXPECT(t, m.present);
	KT_EXPECT_EQ(t, m.level, TDP_LEVEL_1G);
	KT_EXPECT_EQ(t, m.hpa, pfn_to_hpa(0x100000 + 0x123));	/* the page, not the leaf */
	KT_EXPECT_EQ(t, m.access, TDP_ACC_RWX);
	KT_EXPECT_EQ(t, m.memtype, MT_WB);

	KT_EXPECT_EQ(t, lk_fault(e, &lk_slot, 0x80201, TDP_ACC_R, 2), TDP_FAULT_FIXED);
	m = lk_lookup(t, e, 0x803ff);		/* last page of that 2M leaf */
	KT_EXPECT_EQ(t, m.level, TDP_LEVEL_2M);
	KT_EXPECT_EQ(t, m.hpa, pfn_to_hpa(0x100000 + 0x403ff));

	/* The memory-type callback makes these 4K, UC and WT. */
	KT_EXPECT_EQ(t, lk_fault(e, &lk_slot, 0x80005, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, lk_fault(e, &lk_slot, 0x80006, TDP_ACC_R, 0), TDP_FAULT_FIXED);
	m = lk_lookup(t, e, 0x80005);
	KT_EXPECT_EQ(t, m.level, TDP_LEVEL_4K);
	KT_EXPECT_EQ(t, m.memtype, MT_UC);
	KT_EXPECT_EQ(t, lk_lookup(t, e, 0x80006).memtype, MT_WT);
	KT_EXPECT_EQ(t, lk_lookup(t, e, 0x80007).present, false);

	/* A read-only, no-execute slot: R only. */
	KT_EXPECT_EQ(t, lk_fault(e, &rom, 0x101, TDP_ACC_R, 0), TDP_FAULT_FIXED);
	m = lk_lookup(t, e, 0x101);
	KT_EXPECT_EQ(t, m.access, TDP_ACC_R);
	KT_EXPECT_EQ(t, m.hpa, pfn_to_hpa(0x301));
	lk_down(t, e);
}

KTEST(tdp_lookup_reads_level_address_rights_and_type_ept)
{
	lookup_reads_back_what_faults_mapped(t, &spte_fmt_ept);
}

KTEST(tdp_lookup_reads_level_address_rights_and_type_npt)
{
	lookup_reads_back_what_faults_mapped(t, &spte_fmt_npt);
}

KTEST(tdp_lookup_of_unmapped_gfn_changes_nothing)
{
	struct lk_env *e = lk_up(t, &spte_fmt_ept);
	static u64 before[SPTE_PER_TABLE];
	struct tdp_mapping m;

	KT_ASSERT(t, e != NULL);
	memcpy(before, e->v.root->pt, sizeof(before));
	m = lk_lookup(t, e, 0x12345);
	KT_EXPECT(t, !m.present);
	KT_EXPECT_EQ(t, m.level, 4);		/* the root's own entry is empty */
	KT_EXPECT_EQ(t, m.hpa, 0);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), 1);
	KT_EXPECT_EQ(t, memcmp(before, e->v.root->pt, sizeof(before)), 0);

	KT_EXPECT_EQ(t, lk_fault(e, &lk_slot, 0x40000, TDP_ACC_R, 1), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, lk_lookup(t, e, 0x40001).level, TDP_LEVEL_4K);
	KT_EXPECT(t, !lk_lookup(t, e, 0x40001).present);
	KT_EXPECT_EQ(t, lk_lookup(t, e, 0x40200).level, TDP_LEVEL_2M);
	KT_EXPECT_EQ(t, lk_lookup(t, e, 0x80000).level, TDP_LEVEL_1G);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), 4);

	/* An MMIO marker is no mapping, and asking does not make one stale. */
	KT_EXPECT_EQ(t, lk_fault(e, NULL, 0xfee00, TDP_ACC_R, 0), TDP_FAULT_MMIO);
	m = lk_lookup(t, e, 0xfee00);
	KT_EXPECT(t, !m.present);
	KT_EXPECT(t, spte_is_mmio(m.spte));
	KT_EXPECT(t, tdp_mmu_is_mmio_fault(&e->v, 0xfee00));

	KT_EXPECT_EQ(t, tdp_mmu_lookup(&e->v, tdp_max_gfn(4), &m), -EINVAL);
	KT_EXPECT(t, !m.present);
	lk_down(t, e);
}

KTEST(tdp_lookup_reports_rights_that_access_tracking_parked)
{
	struct lk_env *e = lk_up(t, &spte_fmt_ept_noad);
	u64 young[8] = { 0 };
	struct tdp_mapping m;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, lk_fault(e, &lk_slot, 0x40010, TDP_ACC_W, 1), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_mmu_age_range(&e->v, 0x40000, 0x40200, young), 1);
	m = lk_lookup(t, e, 0x40010);
	KT_EXPECT(t, m.spte & SPTE_ACC_TRACKED);
	KT_EXPECT(t, m.present);
	KT_EXPECT_EQ(t, m.access, TDP_ACC_RWX);
	KT_EXPECT_EQ(t, m.memtype, MT_WB);
	lk_down(t, e);
}

KTEST(tdp_count_leaves_counts_each_level_once_and_only_inside_the_range)
{
	struct lk_env *e = lk_up(t, &spte_fmt_npt);
	u64 c[TDP_LEVEL_1G + 1];

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, tdp_mmu_count_leaves(&e->v, 0, tdp_max_gfn(4), c), 0);
	KT_EXPECT_EQ(t, lk_fault(e, &lk_slot, 0x40000, TDP_ACC_R, 3), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, lk_fault(e, &lk_slot, 0x80200, TDP_ACC_R, 2), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, lk_fault(e, &lk_slot, 0x80000, TDP_ACC_R, 1), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, lk_fault(e, &lk_slot, 0x80001, TDP_ACC_W, 1), TDP_FAULT_FIXED);
	/* An MMIO marker is not a leaf. */
	KT_EXPECT_EQ(t, lk_fault(e, NULL, 0xfee00, TDP_ACC_R, 0), TDP_FAULT_MMIO);
	KT_EXPECT_EQ(t, tdp_mmu_count_leaves(&e->v, 0, tdp_max_gfn(4), c), 4);
	KT_EXPECT_EQ(t, c[0], 0);
	KT_EXPECT_EQ(t, c[TDP_LEVEL_4K], 2);
	KT_EXPECT_EQ(t, c[TDP_LEVEL_2M], 1);
	KT_EXPECT_EQ(t, c[TDP_LEVEL_1G], 1);
	/* A range that cuts the 1G leaf and stops before the 2M one. */
	KT_EXPECT_EQ(t, tdp_mmu_count_leaves(&e->v, 0x40100, 0x80001, c), 2);
	KT_EXPECT_EQ(t, c[TDP_LEVEL_1G], 1);
	KT_EXPECT_EQ(t, c[TDP_LEVEL_4K], 1);
	KT_EXPECT_EQ(t, c[TDP_LEVEL_2M], 0);
	KT_EXPECT_EQ(t, tdp_mmu_count_leaves(&e->v, 0x80002, 0x80200, c), 0);
	lk_down(t, e);
}
