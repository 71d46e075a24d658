// SPDX-License-Identifier: MIT
/*
 * The TDP MMU's basic behaviours, one per test: page-size choice, split,
 * replace, zap and its deferred free, write-protect faults, MMIO markers,
 * roots.  Pure mm/ logic, no threads and little memory, so the same tests
 * run on the host and inside hv.efi.  The randomized model, the threads and
 * the fuzzer are host-only (tests/host/mm/).
 */
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/tdp_mmu.h"
#include "mm/tdp_iter.h"
#include "mm/mm_hooks.h"
#include "errcode.h"

struct env {
	struct tdp_mmu mmu;
	struct tdp_vcpu v;
	unsigned int flushes;
	u64 tables_at_flush;	/* mmu.stats.tables when the last flush ran */
};

static struct env *env_of(struct tdp_mmu *mmu)
{
	return container_of(mmu, struct env, mmu);
}

static void env_flush(struct tdp_mmu *mmu)
{
	struct env *e = env_of(mmu);

	e->flushes++;
	e->tables_at_flush = stat_read(&mmu->stats.tables);
}

/*
 * A stand-in for the CPU's page-modification log: hw_write() sets a leaf's
 * dirty bit and, when it was clear, appends the gfn here, as the CPU does;
 * the MMU's flush_dirty_logs hook drains it.
 */
static gfn_t fake_pml[16];
static unsigned int fake_pml_n, fake_pml_drains;

static void env_drain_pml(struct tdp_mmu *mmu)
{
	unsigned int i;

	for (i = 0; i < fake_pml_n; i++)
		tdp_dirty_log_mark(mmu, fake_pml[i]);
	fake_pml_n = 0;
	fake_pml_drains++;
}

static const struct tdp_mmu_ops env_ops = { .flush_tlbs = env_flush };
static const struct tdp_mmu_ops env_pml_ops = {
	.flush_tlbs = env_flush, .flush_dirty_logs = env_drain_pml,
};
static struct env the_env;

static struct env *env_up_ops(struct ktest_ctx *t, const struct spte_format *fmt,
			      const struct tdp_mmu_ops *ops)
{
	struct env *e = &the_env;

	memset(e, 0, sizeof(*e));
	if (!KT_EXPECT_EQ(t, tdp_mmu_init(&e->mmu, fmt, 4, ops, NULL), 0) ||
	    !KT_EXPECT_EQ(t, tdp_vcpu_init(&e->v, &e->mmu, 0), 0) ||
	    !KT_EXPECT_EQ(t, tdp_vcpu_load_root(&e->v), 0))
		return NULL;
	return e;
}

static struct env *env_up(struct ktest_ctx *t, const struct spte_format *fmt)
{
	return env_up_ops(t, fmt, &env_ops);
}

/* Tears down and checks that every table page came back. */
static void env_down(struct ktest_ctx *t, struct env *e)
{
	tdp_vcpu_destroy(&e->v);
	tdp_mmu_destroy(&e->mmu);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), 0);
}

/* The leaf (or marker) that maps gfn, by a plain walk; *level gets its level. */
static u64 lookup(struct env *e, gfn_t gfn, int *level)
{
	const struct spte_format *fmt = e->mmu.fmt;
	u64 *pt = e->v.root->pt, spte = 0;
	int l;

	for (l = e->v.root->level; l >= 1; l--) {
		spte = pt[tdp_level_index(gfn, l)];
		*level = l;
		if (!spte_is_table(fmt, spte, l))
			return spte;
		pt = mm_phys_to_virt(spte_hpa(spte));
	}
	return spte;
}

/* The entry that maps gfn (its address), by a plain walk. */
static u64 *leaf_ptr(struct env *e, gfn_t gfn)
{
	const struct spte_format *fmt = e->mmu.fmt;
	u64 *pt = e->v.root->pt;
	int l;

	for (l = e->v.root->level; l > 1; l--) {
		u64 spte = pt[tdp_level_index(gfn, l)];

		if (!spte_is_table(fmt, spte, l))
			break;
		pt = mm_phys_to_virt(spte_hpa(spte));
	}
	return &pt[tdp_level_index(gfn, l)];
}

/* A guest write that the leaf allows, as a PML-logging CPU performs it. */
static bool hw_write(struct env *e, gfn_t gfn)
{
	const struct spte_format *fmt = e->mmu.fmt;
	u64 *p = leaf_ptr(e, gfn);

	if (!spte_is_writable(fmt, *p))
		return false;
	if (!(*p & fmt->dirty)) {
		*p |= fmt->dirty;
		fake_pml[fake_pml_n++] = gfn;
	}
	return true;
}

static int fault(struct env *e, struct mm_slot *slot, gfn_t gfn, u32 access,
		 int max_level)
{
	struct tdp_fault f = { .gfn = gfn, .access = access, .slot = slot,
			       .policy = { .max_level = max_level } };

	return tdp_mmu_map(&e->v, &f);
}

/* One 1 GiB-aligned slot of 2 GiB backed by 1 GiB-aligned host frames. */
static struct mm_slot big_slot = {
	.base_gfn = 0x40000, .npages = 0x80000, .host_pfn = 0x100000,
};

static bool uc_at_0x40200(void *ctx, gfn_t gfn, u64 n, enum tdp_memtype *mt)
{
	if (gfn <= 0x40200 && gfn + n > 0x40200) {
		*mt = MT_UC;
		return n == 1;
	}
	*mt = MT_WB;
	return true;
}

KTEST(tdp_map_uses_largest_level_the_slot_allows)
{
	struct env *e = env_up(t, &spte_fmt_ept);
	struct mm_slot odd = { .base_gfn = 0x200, .npages = 0x600, .host_pfn = 0x5201 };
	struct tdp_huge_policy mt_policy = { .memtype = uc_at_0x40200 };
	enum tdp_memtype mt;
	int level;
	u64 spte;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, fault(e, &big_slot, 0x40123, TDP_ACC_R, 0), TDP_FAULT_FIXED);
	spte = lookup(e, 0x40123, &level);
	KT_EXPECT_EQ(t, level, TDP_LEVEL_1G);
	KT_EXPECT_EQ(t, spte_pfn(spte), 0x100000);
	KT_EXPECT_EQ(t, fault(e, &big_slot, 0x80123, TDP_ACC_W, 2), TDP_FAULT_FIXED);
	spte = lookup(e, 0x80123, &level);
	KT_EXPECT_EQ(t, level, TDP_LEVEL_2M);
	KT_EXPECT_EQ(t, spte_pfn(spte), 0x140000);
	/* Host frames off by one from 2 MiB alignment: 4K only. */
	KT_EXPECT_EQ(t, tdp_max_mapping_level(&odd, 0x400, NULL, &mt), TDP_LEVEL_4K);
	/* A memory-type change inside a range keeps it from mapping huge. */
	KT_EXPECT_EQ(t, tdp_max_mapping_level(&big_slot, 0x40201, &mt_policy, &mt),
		     TDP_LEVEL_4K);
	KT_EXPECT_EQ(t, mt, MT_WB);
	KT_EXPECT_EQ(t, tdp_max_mapping_level(&big_slot, 0x40200, &mt_policy, &mt),
		     TDP_LEVEL_4K);
	KT_EXPECT_EQ(t, mt, MT_UC);
	KT_EXPECT_EQ(t, tdp_max_mapping_level(&big_slot, 0x40401, &mt_policy, &mt),
		     TDP_LEVEL_2M);
	env_down(t, e);
}

KTEST(tdp_map_splits_huge_leaf_for_smaller_request)
{
	struct env *e = env_up(t, &spte_fmt_npt);
	int level;
	u64 spte;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, fault(e, &big_slot, 0x40000, TDP_ACC_R, 0), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, fault(e, &big_slot, 0x40a05, TDP_ACC_R, 1), TDP_FAULT_SPURIOUS);
	lookup(e, 0x40a05, &level);
	KT_EXPECT_EQ(t, level, TDP_LEVEL_4K);
	spte = lookup(e, 0x7ffff, &level);	/* the far end of the old 1G page */
	KT_EXPECT_EQ(t, level, TDP_LEVEL_2M);
	KT_EXPECT_EQ(t, spte_pfn(spte), 0x100000 + 0x3fe00);
	KT_EXPECT_EQ(t, e->mmu.stats.splits, 2);
	KT_EXPECT(t, spte & NPT_US);
	env_down(t, e);
}

KTEST(tdp_map_replaces_table_of_small_pages_with_huge_leaf)
{
	struct env *e = env_up(t, &spte_fmt_ept);
	int level;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, fault(e, &big_slot, 0x40001, TDP_ACC_R, 1), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), 4);
	KT_EXPECT_EQ(t, fault(e, &big_slot, 0x40001, TDP_ACC_R, 2), TDP_FAULT_FIXED);
	lookup(e, 0x40001, &level);
	KT_EXPECT_EQ(t, level, TDP_LEVEL_2M);
	KT_EXPECT_EQ(t, e->flushes, 1);	/* small translations had to go */
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), 3);
	env_down(t, e);
}

KTEST(zap_range_frees_tables_after_flush)
{
	struct env *e = env_up(t, &spte_fmt_npt);
	gfn_t g;
	int level;

	KT_ASSERT(t, e != NULL);
	for (g = 0x40000; g < 0x40000 + 3 * 512; g += 100)
		KT_EXPECT_EQ(t, fault(e, &big_slot, g, TDP_ACC_W, 1), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), 6);	/* root, 3 dirs, 3 PTs... */
	KT_EXPECT(t, tdp_mmu_zap_range(&e->v, 0x40000, 0x40000 + 1024));
	/* Both whole 2 MiB tables went, but not before the flush. */
	KT_EXPECT_EQ(t, e->flushes, 1);
	KT_EXPECT_EQ(t, e->tables_at_flush, 6);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), 4);
	KT_EXPECT(t, lookup(e, 0x4044c, &level) != 0);	/* 1100 pages in: kept */
	KT_EXPECT_EQ(t, lookup(e, 0x40064, &level), 0);
	KT_EXPECT(t, !tdp_mmu_zap_range(&e->v, 0x40000, 0x40000 + 1024));
	KT_EXPECT_EQ(t, e->flushes, 1);	/* nothing removed, nothing flushed */
	KT_EXPECT(t, tdp_mmu_zap_all(&e->v));
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), 1);
	env_down(t, e);
}

KTEST(zap_of_part_of_huge_leaf_removes_all_of_it)
{
	struct env *e = env_up(t, &spte_fmt_ept);
	int level;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, fault(e, &big_slot, 0x40200, TDP_ACC_R, 2), TDP_FAULT_FIXED);
	KT_EXPECT(t, tdp_mmu_zap_range(&e->v, 0x40300, 0x40301));
	KT_EXPECT_EQ(t, lookup(e, 0x40200, &level), 0);
	env_down(t, e);
}

KTEST(write_to_write_protected_page_is_fixed_and_logged)
{
	struct env *e = env_up(t, &spte_fmt_ept);
	struct mm_slot slot = { .base_gfn = 0x1000, .npages = 0x400, .host_pfn = 0x9000 };
	u64 bm[16];
	int level;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, fault(e, &slot, 0x1005, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &slot, TDP_DIRTY_WP, 0), 0);
	KT_EXPECT(t, !spte_is_writable(e->mmu.fmt, lookup(e, 0x1005, &level)));
	KT_EXPECT_EQ(t, level, TDP_LEVEL_2M);
	KT_EXPECT_EQ(t, fault(e, &slot, 0x1005, TDP_ACC_R, 0), TDP_FAULT_SPURIOUS);
	KT_EXPECT_EQ(t, fault(e, &slot, 0x1005, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT(t, spte_is_writable(e->mmu.fmt, lookup(e, 0x1005, &level)));
	KT_EXPECT_EQ(t, level, TDP_LEVEL_4K);	/* logging split the 2M page */
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v, &slot, bm, true), 0);
	KT_EXPECT_EQ(t, bm[0], BIT_ULL(5));
	KT_EXPECT(t, !spte_is_writable(e->mmu.fmt, lookup(e, 0x1005, &level)));
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v, &slot, bm, true), 0);
	KT_EXPECT_EQ(t, bm[0], 0);
	KT_EXPECT_EQ(t, tdp_dirty_log_disable(&e->v, &slot, NULL), 0);
	/* The split table is one 2M leaf again, read-only as one page was. */
	KT_EXPECT(t, !spte_is_writable(e->mmu.fmt, lookup(e, 0x1005, &level)));
	KT_EXPECT_EQ(t, level, TDP_LEVEL_2M);
	KT_EXPECT_EQ(t, fault(e, &slot, 0x1005, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT(t, spte_is_writable(e->mmu.fmt, lookup(e, 0x1005, &level)));
	KT_EXPECT_EQ(t, level, TDP_LEVEL_2M);
	env_down(t, e);
}

KTEST(pml_mode_needs_dirty_bits_and_a_log_drain)
{
	struct env *e = env_up(t, &spte_fmt_ept);
	struct mm_slot slot = { .base_gfn = 0x1000, .npages = 0x400, .host_pfn = 0x9000 };

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &slot, TDP_DIRTY_PML, 0), -EOPNOTSUPP);
	env_down(t, e);
	e = env_up_ops(t, &spte_fmt_ept_noad, &env_pml_ops);
	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &slot, TDP_DIRTY_PML, 0), -EOPNOTSUPP);
	KT_EXPECT(t, !tdp_mmu_wants_pml(&e->mmu));
	env_down(t, e);
}

KTEST(pml_harvest_drains_the_log_then_cleans_only_the_reported_pages)
{
	struct env *e = env_up_ops(t, &spte_fmt_ept, &env_pml_ops);
	struct mm_slot slot = { .base_gfn = 0x1000, .npages = 0x400, .host_pfn = 0x9000 };
	const u64 D = spte_fmt_ept.dirty;
	u64 bm[16];
	int level;

	KT_ASSERT(t, e != NULL);
	fake_pml_n = fake_pml_drains = 0;
	KT_EXPECT_EQ(t, fault(e, &slot, 0x1005, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	*leaf_ptr(e, 0x1005) |= D;		/* written before logging began */
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v, &slot, TDP_DIRTY_PML, 0), 0);
	KT_EXPECT(t, tdp_mmu_wants_pml(&e->mmu));
	KT_EXPECT_EQ(t, lookup(e, 0x1005, &level) & D, 0);
	KT_EXPECT_EQ(t, level, TDP_LEVEL_2M);	/* huge: write-protected, not logged */
	KT_EXPECT(t, !hw_write(e, 0x1005));
	/* The write fault splits the page and logs it; the CPU logs the writes. */
	KT_EXPECT_EQ(t, fault(e, &slot, 0x1005, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT(t, hw_write(e, 0x1005));
	KT_EXPECT_EQ(t, fault(e, &slot, 0x1007, TDP_ACC_W, 0), TDP_FAULT_FIXED);
	KT_EXPECT(t, hw_write(e, 0x1007));
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v, &slot, bm, true), 0);
	KT_EXPECT_EQ(t, bm[0], BIT_ULL(5) | BIT_ULL(7));
	KT_EXPECT_EQ(t, fake_pml_drains, 1);
	/* Reported pages are cleaned but stay writable: the next write logs. */
	KT_EXPECT_EQ(t, lookup(e, 0x1005, &level) & D, 0);
	KT_EXPECT(t, spte_is_writable(e->mmu.fmt, lookup(e, 0x1005, &level)));
	KT_EXPECT(t, hw_write(e, 0x1007));
	KT_EXPECT_EQ(t, fake_pml_n, 1);
	KT_EXPECT(t, hw_write(e, 0x1007));	/* dirty already: not logged twice */
	KT_EXPECT_EQ(t, fake_pml_n, 1);
	fake_pml[fake_pml_n++] = 0x5000;	/* outside every PML slot: ignored */
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v, &slot, bm, false), 0);
	KT_EXPECT_EQ(t, bm[0], BIT_ULL(7));
	/* Manual protect: the GET left the page dirty; CLEAR cleans it. */
	KT_EXPECT(t, lookup(e, 0x1007, &level) & D);
	KT_EXPECT_EQ(t, tdp_dirty_log_clear(&e->v, &slot, 0, 64, bm), 0);
	KT_EXPECT_EQ(t, lookup(e, 0x1007, &level) & D, 0);
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v, &slot, bm, true), 0);
	KT_EXPECT_EQ(t, bm[0], 0);
	KT_EXPECT_EQ(t, tdp_dirty_log_disable(&e->v, &slot, NULL), 0);
	KT_EXPECT(t, !tdp_mmu_wants_pml(&e->mmu));
	env_down(t, e);
}

KTEST(read_only_slot_write_is_mmio_and_noexec_fetch_is_refused)
{
	struct env *e = env_up(t, &spte_fmt_npt);
	struct mm_slot rom = { .base_gfn = 0x100, .npages = 16, .host_pfn = 0x300,
			       .flags = MM_SLOT_READONLY | MM_SLOT_NOEXEC };
	int level;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, fault(e, &rom, 0x101, TDP_ACC_W, 0), TDP_FAULT_MMIO);
	KT_EXPECT_EQ(t, fault(e, &rom, 0x101, TDP_ACC_X, 0), -EPERM);
	KT_EXPECT_EQ(t, fault(e, &rom, 0x101, TDP_ACC_R, 0), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, spte_access(e->mmu.fmt, lookup(e, 0x101, &level)), TDP_ACC_R);
	env_down(t, e);
}

/*
 * A scratch slot: every frame maps the one scratch page, with 4 KiB leaves
 * even where the slot and the page are 2 MiB- and 1 GiB-aligned (a larger
 * leaf would map the frames after the scratch page).
 */
KTEST(scratch_slot_maps_every_frame_to_its_one_page_at_4k)
{
	struct env *e = env_up(t, &spte_fmt_ept);
	struct mm_slot scratch = { .base_gfn = 0x40000, .npages = 0x40000, .host_pfn = 0x100000,
				   .flags = MM_SLOT_SCRATCH };
	u64 a, b;
	int level;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, mm_slot_gfn_to_pfn(&scratch, 0x7ffff), 0x100000);
	KT_EXPECT_EQ(t, fault(e, &scratch, 0x40000, TDP_ACC_R, 3), TDP_FAULT_FIXED);
	a = lookup(e, 0x40000, &level);
	KT_EXPECT_EQ(t, level, TDP_LEVEL_4K);
	KT_EXPECT_EQ(t, fault(e, &scratch, 0x5f3a1, TDP_ACC_W, 3), TDP_FAULT_FIXED);
	b = lookup(e, 0x5f3a1, &level);
	KT_EXPECT_EQ(t, level, TDP_LEVEL_4K);
	KT_EXPECT_EQ(t, spte_pfn(a), 0x100000);
	KT_EXPECT_EQ(t, spte_pfn(b), 0x100000);
	KT_EXPECT(t, spte_is_writable(e->mmu.fmt, b));
	/* Its neighbour was not touched: nothing maps it. */
	KT_EXPECT_EQ(t, lookup(e, 0x40001, &level), 0);
	env_down(t, e);
}

/* ... and WB at every gfn, whatever the policy's types: one host page must
 * not be mapped with two memory types. */
KTEST(scratch_slot_is_wb_whatever_the_memory_type_policy_says)
{
	struct mm_slot scratch = { .base_gfn = 0x40000, .npages = 0x400, .host_pfn = 0x100000,
				   .flags = MM_SLOT_SCRATCH };
	struct tdp_huge_policy uc = { .memtype = uc_at_0x40200 };
	enum tdp_memtype mt = MT_UC;

	KT_EXPECT_EQ(t, tdp_max_mapping_level(&scratch, 0x40200, &uc, &mt), TDP_LEVEL_4K);
	KT_EXPECT_EQ(t, mt, MT_WB);
	KT_EXPECT_EQ(t, tdp_max_mapping_level(&scratch, 0x40000, NULL, &mt), TDP_LEVEL_4K);
	KT_EXPECT_EQ(t, mt, MT_WB);
}

KTEST(mmio_marker_is_recognised_until_the_generation_changes)
{
	struct env *e = env_up(t, &spte_fmt_ept);

	KT_ASSERT(t, e != NULL);
	KT_EXPECT(t, !tdp_mmu_is_mmio_fault(&e->v, 0xfee00));
	KT_EXPECT_EQ(t, fault(e, NULL, 0xfee00, TDP_ACC_W, 0), TDP_FAULT_MMIO);
	KT_EXPECT(t, tdp_mmu_is_mmio_fault(&e->v, 0xfee00));
	KT_EXPECT_EQ(t, tdp_mmu_mark_mmio(&e->v, 0xfec00, 0xfec04), 0);
	KT_EXPECT(t, tdp_mmu_is_mmio_fault(&e->v, 0xfec03));
	KT_EXPECT(t, !tdp_mmu_is_mmio_fault(&e->v, 0xfec04));
	tdp_mmu_mmio_gen_bump(&e->mmu);
	KT_EXPECT(t, !tdp_mmu_is_mmio_fault(&e->v, 0xfee00));
	KT_EXPECT(t, !tdp_mmu_is_mmio_fault(&e->v, 0xfec03));
	env_down(t, e);
}

KTEST(fault_on_invalidated_root_retries_and_new_root_is_empty)
{
	struct env *e = env_up(t, &spte_fmt_ept);
	struct tdp_root *old;
	int level;

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, fault(e, &big_slot, 0x40000, TDP_ACC_R, 1), TDP_FAULT_FIXED);
	old = e->v.root;
	tdp_mmu_invalidate_roots(&e->mmu);
	KT_EXPECT_EQ(t, fault(e, &big_slot, 0x40000, TDP_ACC_R, 1), TDP_FAULT_RETRY);
	KT_EXPECT_EQ(t, tdp_vcpu_load_root(&e->v), 0);
	KT_EXPECT(t, e->v.root != old || e->v.root->invalid == false);
	KT_EXPECT_EQ(t, lookup(e, 0x40000, &level), 0);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), 1);	/* the old tree is gone */
	env_down(t, e);
}

KTEST(aging_reports_young_pages_once)
{
	struct env *e = env_up(t, &spte_fmt_npt);
	u64 young[16];

	KT_ASSERT(t, e != NULL);
	KT_EXPECT_EQ(t, fault(e, &big_slot, 0x40010, TDP_ACC_R, 1), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, fault(e, &big_slot, 0x40200, TDP_ACC_R, 2), TDP_FAULT_FIXED);
	memset(young, 0, sizeof(young));
	KT_EXPECT_EQ(t, tdp_mmu_age_range(&e->v, 0x40000, 0x40000 + 512 + 64, young),
		     1 + 64);
	KT_EXPECT_EQ(t, young[0], BIT_ULL(0x10));
	KT_EXPECT_EQ(t, young[8], ~0ULL);	/* the first 64 pages of the 2M leaf */
	memset(young, 0, sizeof(young));
	KT_EXPECT_EQ(t, tdp_mmu_age_range(&e->v, 0x40000, 0x40000 + 512, young), 0);
	env_down(t, e);
}
