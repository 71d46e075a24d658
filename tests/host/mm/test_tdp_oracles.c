// SPDX-License-Identifier: MIT
/*
 * The TDP MMU against oracles that do not come from mm/ itself:
 *
 *  - encodings: leaves and tables of each format hold the bits the Intel
 *    SDM and the AMD APM give, written here as numbers (hw_bits.h), not
 *    taken from the format tables of mm/spte.c;
 *  - races, made deterministic with the race point (mm_race_hook): another
 *    vCPU changes the entry between a walk's read and its compare-and-
 *    exchange, and the loser must not report what it did not do;
 *  - the iterator's re-read of an entry before entering its table;
 *  - TLBs: two vCPUs' cached translations (the fake arch's TLB model) must
 *    all still be granted by the tree once a zap, a write-protect or a
 *    dirty-log clear returns, with the flushes counted.
 */
#include <stdio.h>
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/tdp_mmu.h"
#include "mm/tdp_iter.h"
#include "mm/mm_hooks.h"
#include "fake_arch.h"
#include "hw_bits.h"
#include "tdp_hw.h"
#include "errcode.h"

/* The software bits (include/mm/spte.h: 11 and 52..59), ignored by both walkers. */
#define SW_BITS 0x0ff0000000000800ULL

/* ---- encodings ---- */

struct enc_case {
	const struct spte_format *fmt;
	pfn_t pfn;
	int level;
	u32 access;
	enum tdp_memtype mt;
	u64 hw;			/* the leaf's hardware bits, from the manuals */
};

KTEST(spte_leaves_carry_the_manuals_bits)
{
	static const struct enc_case cases[] = {
		/* EPT: R=0 W=1 X=2, type in 5:3 (WB 6, UC 0, WT 4, WC 1, WP 5), PS=7, IPAT clear */
		{ &spte_fmt_ept, 0x12345, 1, TDP_ACC_RWX, MT_WB, 0x12345037ULL },
		{ &spte_fmt_ept, 0x12200, 2, TDP_ACC_R | TDP_ACC_X, MT_UC, 0x12200085ULL },
		{ &spte_fmt_ept, 0x40000, 3, TDP_ACC_R, MT_WT, 0x400000a1ULL },
		{ &spte_fmt_ept, 0x12345, 1, TDP_ACC_R | TDP_ACC_W, MT_WC, 0x1234500bULL },
		{ &spte_fmt_ept, 0x12345, 1, TDP_ACC_RWX, MT_WP, 0x1234502fULL },
		{ &spte_fmt_ept_noad, 0xfffffffff, 1, TDP_ACC_RWX, MT_WB, 0xfffffffff037ULL },
		{ &spte_fmt_ept_noad, 0x200, 2, TDP_ACC_RWX, MT_UC, 0x200087ULL },
		/* NPT: P=0 RW=1 US=2 PWT=3 PCD=4 PS=7 NX=63; WB no bits, UC PCD|PWT, WT PWT */
		{ &spte_fmt_npt, 0x12345, 1, TDP_ACC_RWX, MT_WB, 0x12345007ULL },
		{ &spte_fmt_npt, 0x12200, 2, TDP_ACC_R, MT_UC, 0x800000001220009dULL },
		{ &spte_fmt_npt, 0x40000, 3, TDP_ACC_R | TDP_ACC_X, MT_WT, 0x4000008dULL },
		{ &spte_fmt_npt, 0x12345, 1, TDP_ACC_R | TDP_ACC_W, MT_WC, 0x8000000012345017ULL },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct enc_case *c = &cases[i];
		u64 leaf = spte_make_leaf(c->fmt, c->pfn, c->level, c->access, c->mt, true);

		if (!KT_EXPECT_EQ(t, leaf & ~SW_BITS, c->hw))
			printf("    # case %u: %s level %d access %u memtype %d\n", i,
			       c->fmt->name, c->level, c->access, c->mt);
		/* and the MMU reads back what it wrote */
		KT_EXPECT_EQ(t, spte_access(c->fmt, leaf), c->access);
		KT_EXPECT_EQ(t, spte_pfn(leaf), c->pfn);
	}
}

KTEST(spte_tables_carry_the_manuals_bits)
{
	/* EPT: a table entry is readable, writable, executable (bits 2:0) */
	KT_EXPECT_EQ(t, spte_make_table(&spte_fmt_ept, 0x7654000) & ~SW_BITS, 0x7654007ULL);
	KT_EXPECT_EQ(t, spte_make_table(&spte_fmt_ept_noad, 0x7654000) & ~SW_BITS,
		     0x7654007ULL);
	/* NPT: present, writable, user at every level */
	KT_EXPECT_EQ(t, spte_make_table(&spte_fmt_npt, 0x7654000) & ~SW_BITS, 0x7654007ULL);
}

KTEST(spte_accessed_writable_and_tracking_bits_are_the_manuals)
{
	u64 ept = spte_make_leaf(&spte_fmt_ept, 0x1000, 1, TDP_ACC_RWX, MT_WB, true);
	u64 npt = spte_make_leaf(&spte_fmt_npt, 0x1000, 1, TDP_ACC_RWX, MT_WB, true);
	u64 noad = spte_make_leaf(&spte_fmt_ept_noad, 0x1000, 2, TDP_ACC_RWX, MT_WB, true);

	/* accessed: EPT bit 8, NPT bit 5; dirty (EPT 9, NPT 6) never set by software */
	KT_EXPECT_EQ(t, spte_make_young(&spte_fmt_ept, ept) & ~SW_BITS, 0x1000137ULL);
	KT_EXPECT_EQ(t, spte_make_young(&spte_fmt_npt, npt) & ~SW_BITS, 0x1000027ULL);
	KT_EXPECT_EQ(t, spte_make_old(&spte_fmt_ept, ept | 0x300) & ~SW_BITS, 0x1000237ULL);
	KT_EXPECT_EQ(t, spte_make_old(&spte_fmt_npt, npt | 0x60) & ~SW_BITS, 0x1000047ULL);
	/* write permission: bit 1 in both */
	KT_EXPECT_EQ(t, spte_clear_writable(&spte_fmt_ept, ept) & ~SW_BITS, 0x1000035ULL);
	KT_EXPECT_EQ(t, spte_clear_writable(&spte_fmt_npt, npt) & ~SW_BITS, 0x1000005ULL);
	KT_EXPECT_EQ(t, spte_set_writable(&spte_fmt_npt, npt & ~2ULL) & ~SW_BITS, 0x1000007ULL);
	/* without A bits, an old leaf is not present to the walker (bits 2:0 clear) */
	KT_EXPECT_EQ(t, spte_make_old(&spte_fmt_ept_noad, noad) & ~SW_BITS, 0x10000b0ULL);
	KT_EXPECT_EQ(t, spte_make_young(&spte_fmt_ept_noad,
					spte_make_old(&spte_fmt_ept_noad, noad)), noad);
	/* an access-tracked leaf (no A bits) keeps write permission in its saved bits */
	KT_EXPECT_EQ(t, spte_make_young(&spte_fmt_ept_noad,
					spte_set_writable(&spte_fmt_ept_noad,
							  spte_make_old(&spte_fmt_ept_noad,
									noad & ~2ULL))) & ~SW_BITS,
		     0x10000b7ULL);
	KT_EXPECT_EQ(t, spte_make_young(&spte_fmt_ept_noad,
					spte_clear_writable(&spte_fmt_ept_noad,
							    spte_make_old(&spte_fmt_ept_noad, noad))) &
			~SW_BITS, 0x10000b5ULL);
	/* rights read back from the manuals' bits: EPT execute-only, NPT no-execute */
	KT_EXPECT_EQ(t, spte_access(&spte_fmt_ept, 0x1234004ULL | SPTE_MMU_PRESENT), TDP_ACC_X);
	KT_EXPECT_EQ(t, spte_access(&spte_fmt_ept, 0x1234002ULL | SPTE_MMU_PRESENT), TDP_ACC_W);
	KT_EXPECT_EQ(t, spte_access(&spte_fmt_npt, 0x8000000001234003ULL | SPTE_MMU_PRESENT),
		     TDP_ACC_R | TDP_ACC_W);
	KT_EXPECT_EQ(t, spte_access(&spte_fmt_npt, 0x1234005ULL | SPTE_MMU_PRESENT),
		     TDP_ACC_R | TDP_ACC_X);
	KT_EXPECT_EQ(t, spte_access(&spte_fmt_npt, 0x1234007ULL), 0);	/* not the MMU's */
	/* the 4K children of a split 2M leaf lose PS (bit 7), keep the rest */
	KT_EXPECT_EQ(t, spte_split_child(&spte_fmt_ept, noad | 0x100, 2, 3) & ~SW_BITS,
		     0x1003137ULL);
	KT_EXPECT_EQ(t, spte_split_child(&spte_fmt_npt,
					 spte_make_leaf(&spte_fmt_npt, 0x40000, 3, TDP_ACC_R,
							MT_WB, false), 3, 2) & ~SW_BITS,
		     0x8000000040400085ULL);
}

KTEST(spte_format_check_accepts_the_three_formats_and_rejects_broken_ones)
{
	struct spte_format f;

	KT_EXPECT_EQ(t, spte_format_check(&spte_fmt_ept), 0);
	KT_EXPECT_EQ(t, spte_format_check(&spte_fmt_ept_noad), 0);
	KT_EXPECT_EQ(t, spte_format_check(&spte_fmt_npt), 0);
	f = spte_fmt_ept;
	f.hw_mask |= 1ULL << 52;	/* a software bit */
	KT_EXPECT_EQ(t, spte_format_check(&f), -EINVAL);
	f = spte_fmt_npt;
	f.readable = 0;
	KT_EXPECT_EQ(t, spte_format_check(&f), -EINVAL);
	f = spte_fmt_npt;
	f.writable = 0;
	KT_EXPECT_EQ(t, spte_format_check(&f), -EINVAL);
	f = spte_fmt_ept;
	f.large = 0;
	KT_EXPECT_EQ(t, spte_format_check(&f), -EINVAL);
	f = spte_fmt_ept;
	f.hw_present = 0;
	KT_EXPECT_EQ(t, spte_format_check(&f), -EINVAL);
	f = spte_fmt_ept;
	f.hw_present |= 0x8;		/* more than the three bits tracking saves */
	KT_EXPECT_EQ(t, spte_format_check(&f), -EINVAL);
	f = spte_fmt_ept;
	f.dirty = 0;			/* A/D flag without a dirty bit */
	KT_EXPECT_EQ(t, spte_format_check(&f), -EINVAL);
	f = spte_fmt_npt;
	f.accessed = 0;
	KT_EXPECT_EQ(t, spte_format_check(&f), -EINVAL);
	f = spte_fmt_ept_noad;
	f.accessed = 0x100;		/* an A bit without the flag: still consistent */
	KT_EXPECT_EQ(t, spte_format_check(&f), 0);
	f.dirty = 0x200;		/* both bits without the flag */
	KT_EXPECT_EQ(t, spte_format_check(&f), -EINVAL);
}

/* ---- an MMU with two vCPUs whose flushes go to the TLB model ---- */

#define SLOT_BASE 0x1000ULL
#define SLOT_PAGES 0x1000ULL
#define SLOT_PFN 0x80000ULL

struct tenv {
	struct tdp_mmu mmu;
	struct tdp_vcpu v[2];
	struct mm_slot slot;
	u64 pages_before;
	u64 flushes;		/* flush_tlbs calls */
	bool logging;
};

static struct tenv E;

static void tenv_flush(struct tdp_mmu *mmu)
{
	E.flushes++;
	fake_tlb_flush(mmu);
}

static const struct tdp_mmu_ops tenv_ops = { .flush_tlbs = tenv_flush };

static struct tenv *tenv_up(struct ktest_ctx *t, const struct spte_format *fmt)
{
	struct tenv *e = &E;

	memset(e, 0, sizeof(*e));
	e->pages_before = fake_pages_in_use();
	e->slot = (struct mm_slot){ .base_gfn = SLOT_BASE, .npages = SLOT_PAGES,
				    .host_pfn = SLOT_PFN };
	if (!KT_EXPECT_EQ(t, tdp_mmu_init(&e->mmu, fmt, 4, &tenv_ops, NULL), 0) ||
	    !KT_EXPECT_EQ(t, tdp_vcpu_init(&e->v[0], &e->mmu, 0), 0) ||
	    !KT_EXPECT_EQ(t, tdp_vcpu_init(&e->v[1], &e->mmu, 1), 0) ||
	    !KT_EXPECT_EQ(t, tdp_vcpu_load_root(&e->v[0]), 0) ||
	    !KT_EXPECT_EQ(t, tdp_vcpu_load_root(&e->v[1]), 0))
		return NULL;
	return e;
}

static void tenv_down(struct ktest_ctx *t, struct tenv *e)
{
	__atomic_store_n(&mm_race_hook, NULL, __ATOMIC_RELEASE);
	/* the MMU's own count of its flushes is the number of flush_tlbs calls */
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.flushes), e->flushes);
	if (e->logging)
		tdp_dirty_log_disable(&e->v[0], &e->slot, NULL);
	tdp_vcpu_destroy(&e->v[0]);
	tdp_vcpu_destroy(&e->v[1]);
	tdp_mmu_destroy(&e->mmu);
	fake_tlb_forget(&e->mmu);
	KT_EXPECT_EQ(t, fake_pages_in_use(), e->pages_before);
}

static int tenv_fault(struct tenv *e, int cpu, gfn_t g, u32 acc, int max_level)
{
	struct tdp_fault f = { .gfn = g, .access = acc, .slot = &e->slot,
			       .policy = { .max_level = max_level } };

	return tdp_mmu_map(&e->v[cpu], &f);
}

/* One access by vCPU cpu through its TLB, without faulting. */
static enum hw_result tenv_try(struct tenv *e, int cpu, gfn_t g, bool write)
{
	enum hw_result hr;
	pfn_t pfn = 0;

	tdp_vcpu_read_lock(&e->v[cpu]);
	hr = hw_access_cpu(&e->mmu, cpu, e->v[cpu].root, g, write, &pfn, NULL);
	tdp_vcpu_read_unlock(&e->v[cpu]);
	if (hr == HW_OK && pfn != SLOT_PFN + (g - SLOT_BASE))
		return HW_FAULT;
	return hr;
}

/* An access that faults until it goes through; false if it never does. */
static bool tenv_access(struct tenv *e, int cpu, gfn_t g, bool write, int max_level)
{
	int tries;

	for (tries = 0; tries < 4; tries++) {
		if (tenv_try(e, cpu, g, write) == HW_OK)
			return true;
		if (tenv_fault(e, cpu, g, write ? TDP_ACC_W | TDP_ACC_R : TDP_ACC_R,
			       max_level) < 0)
			return false;
	}
	return false;
}

static bool tlbs_fresh(struct ktest_ctx *t, struct tenv *e, const char *after)
{
	char msg[200];
	int cpu;

	for (cpu = 0; cpu < 2; cpu++) {
		if (!fake_tlb_check(cpu, &e->mmu, e->v[cpu].root, msg, sizeof(msg))) {
			ktest_check(t, false, __FILE__, __LINE__, "after %s: %s", after, msg);
			return false;
		}
	}
	return true;
}

/* ---- the iterator ---- */

/*
 * The walk reaches a table entry; before it steps on, another CPU zaps that
 * entry (the walk's old_spte is now stale).  The walk must not enter the
 * table: its next entry is the zapped entry's sibling.
 */
KTEST(tdp_iter_does_not_enter_a_table_zapped_after_it_was_read)
{
	struct tenv *e = tenv_up(t, &spte_fmt_ept);
	gfn_t base = SLOT_BASE & ~511ULL;
	u64 *sptep = NULL, saved = 0, entered = 0, after = 0;
	struct tdp_iter it;

	if (!e)
		return;
	KT_ASSERT_EQ(t, tenv_fault(e, 0, SLOT_BASE, TDP_ACC_R, 1), TDP_FAULT_FIXED);
	KT_ASSERT_EQ(t, tenv_fault(e, 0, SLOT_BASE + 512, TDP_ACC_R, 1), TDP_FAULT_FIXED);
	for_each_tdp_pte(it, e->mmu.fmt, e->v[0].root->pt, e->v[0].root->level, base,
			 base + 1024) {
		if (!sptep && it.level == 2 && it.gfn == base &&
		    spte_is_table(e->mmu.fmt, it.old_spte, 2)) {
			sptep = tdp_iter_sptep(&it);
			saved = it.old_spte;
			__atomic_store_n(sptep, 0, __ATOMIC_RELEASE);	/* the racing zap */
			continue;
		}
		if (sptep && it.level == 1 && it.gfn < base + 512)
			entered++;
		if (sptep && it.level == 1 && it.gfn >= base + 512)
			after++;
	}
	KT_EXPECT(t, sptep != NULL);
	KT_EXPECT_EQ(t, entered, 0);
	KT_EXPECT_EQ(t, after, 512);	/* the sibling's table is still walked */
	if (sptep)
		__atomic_store_n(sptep, saved, __ATOMIC_RELEASE);
	tenv_down(t, e);
}

/* ---- races through the race point ---- */

static struct {
	pfn_t pfn;		/* fire on the install of a leaf of this frame */
	int fired;
	int kind;		/* RACE_READ_FAULT, RACE_ZAP */
	int nested_ret;
} race;

#define RACE_READ_FAULT 1
#define RACE_ZAP 2
#define RACE_SPLIT 3

/* The split of a huge leaf of race.pfn: a table replaces it. */
static bool is_split(u64 old, u64 new)
{
	return (old & HWB_EPT_PS) && ((old & HWB_ADDR) >> 12) == (race.pfn & ~511ULL) &&
	       (new & SPTE_MMU_PRESENT) && !(new & HWB_EPT_PS);
}

static void race_hook(u64 *sptep, u64 old, u64 new)
{
	(void)sptep;
	if (race.fired)
		return;
	if (race.kind == RACE_SPLIT ? !is_split(old, new) :
	    !(new & SPTE_MMU_PRESENT) || ((new & HWB_ADDR) >> 12) != race.pfn)
		return;
	race.fired = 1;
	/* vCPU 1, on another CPU, gets there first */
	if (race.kind == RACE_READ_FAULT || race.kind == RACE_SPLIT)
		race.nested_ret = tenv_fault(&E, 1, SLOT_BASE + (race.pfn - SLOT_PFN),
					     TDP_ACC_R, 1);
	else
		tdp_mmu_zap_range(&E.v[1], SLOT_BASE & ~511ULL, (SLOT_BASE & ~511ULL) + 512);
}

static void race_arm(int kind, gfn_t g)
{
	race.pfn = SLOT_PFN + (g - SLOT_BASE);
	race.fired = 0;
	race.kind = kind;
	race.nested_ret = 0;
	__atomic_store_n(&mm_race_hook, race_hook, __ATOMIC_RELEASE);
}

/*
 * A write fault in a write-protect-logging slot loses its compare-and-
 * exchange to another vCPU's read fault, which installs the leaf read-only.
 * The write fault must still leave the page writable and logged dirty
 * before it reports the fault fixed.
 */
KTEST(fault_that_loses_its_install_to_a_read_fault_still_makes_the_page_writable)
{
	struct tenv *e = tenv_up(t, &spte_fmt_ept);
	gfn_t g = SLOT_BASE + 5;
	u64 out[SLOT_PAGES / 64];
	u64 retries;
	int ret;

	if (!e)
		return;
	KT_ASSERT_EQ(t, tdp_dirty_log_enable(&e->v[0], &e->slot, TDP_DIRTY_WP, 0), 0);
	e->logging = true;
	retries = stat_read(&e->mmu.stats.retries);
	race_arm(RACE_READ_FAULT, g);
	ret = tenv_fault(e, 0, g, TDP_ACC_R | TDP_ACC_W, 1);
	__atomic_store_n(&mm_race_hook, NULL, __ATOMIC_RELEASE);
	KT_EXPECT_EQ(t, race.fired, 1);
	KT_EXPECT_EQ(t, race.nested_ret, TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.retries), retries + 1);	/* the one race */
	KT_EXPECT_EQ(t, ret, TDP_FAULT_FIXED);
	/* "fixed" means the write now goes through without another fault */
	KT_EXPECT_EQ(t, tenv_try(e, 0, g, true), HW_OK);
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v[0], &e->slot, out, false), 0);
	KT_EXPECT_EQ(t, out[0], BIT_ULL(5));
	tenv_down(t, e);
}

/*
 * A fault loses its compare-and-exchange to a zap of the table it is
 * installing into (the entry is frozen).  It must report a retry, not a
 * fix; the retried fault then maps the page.
 */
KTEST(fault_that_loses_its_install_to_a_zap_reports_retry)
{
	struct tenv *e = tenv_up(t, &spte_fmt_npt);
	gfn_t g = SLOT_BASE + 7;
	int ret;

	if (!e)
		return;
	KT_ASSERT_EQ(t, tenv_fault(e, 0, SLOT_BASE + 1, TDP_ACC_R, 1), TDP_FAULT_FIXED);
	race_arm(RACE_ZAP, g);
	ret = tenv_fault(e, 0, g, TDP_ACC_R | TDP_ACC_W, 1);
	__atomic_store_n(&mm_race_hook, NULL, __ATOMIC_RELEASE);
	KT_EXPECT_EQ(t, race.fired, 1);
	KT_EXPECT_EQ(t, ret, TDP_FAULT_RETRY);
	KT_EXPECT_EQ(t, tenv_fault(e, 0, g, TDP_ACC_R | TDP_ACC_W, 1), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, tenv_try(e, 0, g, true), HW_OK);
	tenv_down(t, e);
}

/*
 * Two vCPUs split the same 2 MiB leaf at once; the loser's table (already
 * filled with the 512 children) goes back to its page cache, zeroed.  The
 * next table made from that cache holds nothing but what its fault maps.
 */
KTEST(fault_that_loses_a_split_returns_a_clean_page_to_its_cache)
{
	struct tenv *e = tenv_up(t, &spte_fmt_ept);
	gfn_t g = SLOT_BASE + 0x205, other = SLOT_BASE + 0x800;
	struct tdp_mapping m;
	u64 retries, i;

	if (!e)
		return;
	KT_ASSERT_EQ(t, tenv_fault(e, 0, g, TDP_ACC_R, 2), TDP_FAULT_FIXED);
	KT_ASSERT_EQ(t, tdp_mmu_lookup(&e->v[0], g, &m), 0);
	KT_ASSERT_EQ(t, m.level, 2);
	retries = stat_read(&e->mmu.stats.retries);
	race_arm(RACE_SPLIT, g);
	/* the split's children already map both faults' pages, young and writable */
	KT_EXPECT_EQ(t, tenv_fault(e, 0, g, TDP_ACC_R | TDP_ACC_W, 1), TDP_FAULT_SPURIOUS);
	__atomic_store_n(&mm_race_hook, NULL, __ATOMIC_RELEASE);
	KT_EXPECT_EQ(t, race.fired, 1);
	KT_EXPECT_EQ(t, race.nested_ret, TDP_FAULT_SPURIOUS);
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.retries), retries + 1);
	KT_EXPECT_EQ(t, tenv_try(e, 0, g, true), HW_OK);
	/* every page is a table or in a cache: none leaked by the loser */
	KT_EXPECT_EQ(t, fake_pages_in_use() - e->pages_before,
		     stat_read(&e->mmu.stats.tables) + e->v[0].nr_cache + e->v[1].nr_cache);
	/* a new 4K table from vCPU 0's cache: only the faulting page in it */
	KT_EXPECT_EQ(t, tenv_fault(e, 0, other, TDP_ACC_R, 1), TDP_FAULT_FIXED);
	for (i = 0; i < 512; i++) {
		KT_EXPECT_EQ(t, tdp_mmu_lookup(&e->v[0], (other & ~511ULL) + i, &m), 0);
		if (!KT_EXPECT_EQ(t, m.present, (other & ~511ULL) + i == other) ||
		    !KT_EXPECT(t, m.present || m.spte == 0))
			break;
	}
	tenv_down(t, e);
}

/* ---- TLBs ---- */

static void fill_both_tlbs(struct ktest_ctx *t, struct tenv *e, gfn_t g, u64 n, bool write,
			   int max_level)
{
	u64 i;

	for (i = 0; i < n; i++)
		KT_EXPECT(t, tenv_access(e, i & 1, g + i, write, max_level));
	for (i = 0; i < n; i++)
		KT_EXPECT(t, tenv_access(e, !(i & 1), g + i, write, max_level));
}

static void zap_leaves_flush(struct ktest_ctx *t, const struct spte_format *fmt, int max_level)
{
	struct tenv *e = tenv_up(t, fmt);
	u64 flushes;

	if (!e)
		return;
	fill_both_tlbs(t, e, SLOT_BASE + 0x200, 16, true, max_level);
	KT_EXPECT(t, fake_tlb_entries(0, &e->mmu) >= 8);
	KT_EXPECT(t, fake_tlb_entries(1, &e->mmu) >= 8);
	flushes = fake_tlb_flush_count();
	KT_EXPECT(t, tdp_mmu_zap_range(&e->v[0], SLOT_BASE + 0x200, SLOT_BASE + 0x208));
	KT_EXPECT_EQ(t, fake_tlb_flush_count(), flushes + 1);	/* one for the call */
	tlbs_fresh(t, e, "a zap of leaves");
	/* nothing left to zap: nothing to flush */
	flushes = fake_tlb_flush_count();
	KT_EXPECT(t, !tdp_mmu_zap_range(&e->v[1], SLOT_BASE + 0x200, SLOT_BASE + 0x201) ||
		     max_level > 1);
	if (max_level == 1)
		KT_EXPECT_EQ(t, fake_tlb_flush_count(), flushes);
	tenv_down(t, e);
}

KTEST(zap_of_4k_leaves_flushes_every_vcpus_tlb_once)
{
	zap_leaves_flush(t, &spte_fmt_ept, 1);
	zap_leaves_flush(t, &spte_fmt_npt, 1);
}

KTEST(zap_of_huge_leaf_flushes_every_vcpus_tlb)
{
	zap_leaves_flush(t, &spte_fmt_ept, 2);
	zap_leaves_flush(t, &spte_fmt_npt, 2);
}

KTEST(zap_of_one_leaf_in_a_table_flushes)
{
	struct tenv *e = tenv_up(t, &spte_fmt_ept);
	u64 flushes;

	if (!e)
		return;
	fill_both_tlbs(t, e, SLOT_BASE + 0x10, 4, false, 1);
	flushes = fake_tlb_flush_count();
	KT_EXPECT(t, tdp_mmu_zap_range(&e->v[1], SLOT_BASE + 0x11, SLOT_BASE + 0x12));
	KT_EXPECT_EQ(t, fake_tlb_flush_count(), flushes + 1);
	tlbs_fresh(t, e, "a zap of one 4K leaf");
	KT_EXPECT(t, tenv_try(e, 0, SLOT_BASE + 0x10, false) == HW_OK);
	tenv_down(t, e);
}

static void write_protect_flushes(struct ktest_ctx *t, const struct spte_format *fmt,
				  enum tdp_dirty_mode mode, int max_level)
{
	struct tenv *e = tenv_up(t, fmt);
	u64 out[SLOT_PAGES / 64], mask[SLOT_PAGES / 64], flushes;

	if (!e)
		return;
	fill_both_tlbs(t, e, SLOT_BASE + 0x400, 8, true, max_level);
	flushes = fake_tlb_flush_count();
	KT_ASSERT_EQ(t, tdp_dirty_log_enable(&e->v[0], &e->slot, mode, 0), 0);
	e->logging = true;
	KT_EXPECT(t, fake_tlb_flush_count() > flushes);
	tlbs_fresh(t, e, "enabling dirty logging");
	/* written again: logged, writable (WP) or dirty (D bits) in the TLBs again */
	fill_both_tlbs(t, e, SLOT_BASE + 0x400, 8, true, 1);
	flushes = fake_tlb_flush_count();
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v[1], &e->slot, out, true), 0);
	KT_EXPECT_EQ(t, (out[0x400 / 64] >> 0) & 0xff, 0xffULL);
	KT_EXPECT(t, fake_tlb_flush_count() > flushes);
	tlbs_fresh(t, e, "a dirty-log get-and-clear");
	/* and once more, cleared by tdp_dirty_log_clear() this time */
	fill_both_tlbs(t, e, SLOT_BASE + 0x400, 8, true, 1);
	if (mode == TDP_DIRTY_DBIT)	/* the D bits reach the bitmap at a harvest */
		KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v[1], &e->slot, out, false), 0);
	memset(mask, 0xff, sizeof(mask));
	flushes = fake_tlb_flush_count();
	KT_EXPECT_EQ(t, tdp_dirty_log_clear(&e->v[0], &e->slot, 0x400, 64, mask), 0);
	if (mode == TDP_DIRTY_WP)
		KT_EXPECT(t, fake_tlb_flush_count() > flushes);
	tlbs_fresh(t, e, "a dirty-log clear");
	tenv_down(t, e);
}

KTEST(write_protect_logging_flushes_writable_translations)
{
	write_protect_flushes(t, &spte_fmt_ept, TDP_DIRTY_WP, 1);
	write_protect_flushes(t, &spte_fmt_npt, TDP_DIRTY_WP, 2);
	write_protect_flushes(t, &spte_fmt_ept_noad, TDP_DIRTY_WP, 1);
}

KTEST(dirty_bit_logging_flushes_translations_that_cached_dirty)
{
	write_protect_flushes(t, &spte_fmt_ept, TDP_DIRTY_DBIT, 1);
	write_protect_flushes(t, &spte_fmt_npt, TDP_DIRTY_DBIT, 2);
}

/* A leaf the fault installs for a write carries A and D as the manuals place them
 * once the hardware stand-in has written through it. */
KTEST(leaf_after_a_write_has_the_manuals_accessed_and_dirty_bits)
{
	static const struct { const struct spte_format *fmt; u64 ad; } fmts[] = {
		{ &spte_fmt_ept, 0x300 }, { &spte_fmt_npt, 0x60 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fmts); i++) {
		struct tenv *e = tenv_up(t, fmts[i].fmt);
		struct tdp_mapping m;

		if (!e)
			return;
		KT_EXPECT(t, tenv_access(e, 0, SLOT_BASE + 3, true, 1));
		KT_EXPECT_EQ(t, tdp_mmu_lookup(&e->v[0], SLOT_BASE + 3, &m), 0);
		KT_EXPECT_EQ(t, m.spte & fmts[i].ad, fmts[i].ad);
		KT_EXPECT_EQ(t, m.spte & 0x2, 0x2ULL);
		tenv_down(t, e);
	}
}

/* ---- roots ---- */

/*
 * After an invalidation, a vCPU that loads a root while another still runs
 * on the old one gets a root of its own: the old one (and the mappings the
 * other vCPU's TLB holds through it) stays whole until its last user.
 */
KTEST(root_loaded_while_the_invalid_one_is_held_is_a_distinct_root)
{
	struct tenv *e = tenv_up(t, &spte_fmt_ept);
	struct tdp_root *old;

	if (!e)
		return;
	KT_EXPECT(t, tenv_access(e, 1, SLOT_BASE + 9, true, 1));
	old = e->v[1].root;
	tdp_mmu_invalidate_roots(&e->mmu);
	KT_ASSERT_EQ(t, tdp_vcpu_load_root(&e->v[0]), 0);
	KT_EXPECT(t, e->v[0].root != old);
	KT_EXPECT(t, e->v[1].root == old && old->invalid);
	KT_EXPECT_EQ(t, tenv_try(e, 1, SLOT_BASE + 9, true), HW_OK);
	KT_EXPECT_EQ(t, tenv_try(e, 0, SLOT_BASE + 9, false), HW_FAULT);
	tlbs_fresh(t, e, "loading a new root");
	KT_ASSERT_EQ(t, tdp_vcpu_load_root(&e->v[1]), 0);
	KT_EXPECT(t, e->v[1].root == e->v[0].root);
	tenv_down(t, e);
}

/*
 * A zap that unlinks a table retires it; with no vCPU on the read side it
 * is freed at once: its page comes back and the count of tables waiting
 * for a quiescent state is what it was.
 */
KTEST(zap_of_a_whole_table_retires_it_and_returns_its_page)
{
	struct tenv *e = tenv_up(t, &spte_fmt_npt);
	u64 retired, pages;

	if (!e)
		return;
	KT_EXPECT(t, tenv_access(e, 0, SLOT_BASE + 0x203, true, 1));
	retired = stat_read(&e->mmu.stats.tables_retired);
	pages = fake_pages_in_use();
	KT_EXPECT(t, tdp_mmu_zap_range(&e->v[1], SLOT_BASE + 0x200, SLOT_BASE + 0x400));
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables_retired), retired);
	KT_EXPECT_EQ(t, fake_pages_in_use(), pages - 1);
	tlbs_fresh(t, e, "a zap of a whole table");
	tenv_down(t, e);
}

/* ---- dirty logging at the edges of a slot and of a clear ---- */

/* A dirty 4K leaf at the slot's first page that is zapped is logged (D-bit mode). */
KTEST(zap_of_a_dirty_leaf_at_the_first_page_of_a_slot_logs_it)
{
	static const struct spte_format *const fmts[] = { &spte_fmt_ept, &spte_fmt_npt };
	u64 out[SLOT_PAGES / 64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fmts); i++) {
		struct tenv *e = tenv_up(t, fmts[i]);

		if (!e)
			return;
		KT_ASSERT_EQ(t, tdp_dirty_log_enable(&e->v[0], &e->slot, TDP_DIRTY_DBIT, 0), 0);
		e->logging = true;
		KT_EXPECT(t, tenv_access(e, 0, SLOT_BASE, true, 1));
		KT_EXPECT(t, tenv_access(e, 0, SLOT_BASE + SLOT_PAGES - 1, true, 1));
		/* the faults logged the pages: harvest, then dirty them by hardware only */
		KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v[0], &e->slot, out, true), 0);
		KT_EXPECT_EQ(t, tenv_try(e, 0, SLOT_BASE, true), HW_OK);
		KT_EXPECT_EQ(t, tenv_try(e, 1, SLOT_BASE + SLOT_PAGES - 1, true), HW_OK);
		KT_EXPECT(t, tdp_mmu_zap_range(&e->v[1], SLOT_BASE, SLOT_BASE + 1));
		KT_EXPECT(t, tdp_mmu_zap_range(&e->v[1], SLOT_BASE + SLOT_PAGES - 1,
					       SLOT_BASE + SLOT_PAGES));
		KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v[0], &e->slot, out, true), 0);
		KT_EXPECT_EQ(t, out[0], 1ULL);
		KT_EXPECT_EQ(t, out[SLOT_PAGES / 64 - 1], BIT_ULL(63));
		tenv_down(t, e);
	}
}

/*
 * tdp_dirty_log_clear() clears exactly [first, first + npages) of the mask:
 * a count that ends inside a word leaves the rest of that word, and an
 * empty clear at the slot's end is valid.
 */
KTEST(dirty_log_clear_stops_at_its_count_inside_a_word)
{
	struct tenv *e = tenv_up(t, &spte_fmt_ept);
	u64 out[SLOT_PAGES / 64], mask[4];
	gfn_t g;

	if (!e)
		return;
	KT_ASSERT_EQ(t, tdp_dirty_log_enable(&e->v[0], &e->slot, TDP_DIRTY_WP, 0), 0);
	e->logging = true;
	for (g = 0; g < 192; g++)
		KT_EXPECT(t, tenv_access(e, g & 1, SLOT_BASE + g, true, 1));
	memset(mask, 0xff, sizeof(mask));
	KT_EXPECT_EQ(t, tdp_dirty_log_clear(&e->v[0], &e->slot, 0, 127, mask), 0);
	KT_EXPECT_EQ(t, tdp_dirty_log_clear(&e->v[0], &e->slot, SLOT_PAGES, 0, mask), 0);
	KT_EXPECT_EQ(t, tdp_dirty_log_clear(&e->v[0], &e->slot, SLOT_PAGES + 64, 0, mask),
		     -EINVAL);
	KT_EXPECT_EQ(t, tdp_dirty_log_clear(&e->v[0], &e->slot, 64, SLOT_PAGES, mask), -EINVAL);
	tlbs_fresh(t, e, "a clear of 127 pages");
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v[0], &e->slot, out, false), 0);
	KT_EXPECT_EQ(t, out[0], 0ULL);
	KT_EXPECT_EQ(t, out[1], BIT_ULL(63));
	KT_EXPECT_EQ(t, out[2], ~0ULL);
	/* the cleared pages are write-protected again, the others still writable */
	KT_EXPECT_EQ(t, tenv_try(e, 0, SLOT_BASE + 64, true), HW_FAULT);
	KT_EXPECT_EQ(t, tenv_try(e, 0, SLOT_BASE + 126, true), HW_FAULT);
	KT_EXPECT_EQ(t, tenv_try(e, 0, SLOT_BASE + 127, true), HW_OK);
	/* a count of whole words reads no mask word past it */
	{
		u64 *one = mm_alloc_bitmap(sizeof(u64)), *three = mm_alloc_bitmap(3 * sizeof(u64));

		one[0] = ~0ULL;
		KT_EXPECT_EQ(t, tdp_dirty_log_clear(&e->v[0], &e->slot, 192, 64, one), 0);
		memset(three, 0xff, 3 * sizeof(u64));
		KT_EXPECT_EQ(t, tdp_dirty_log_clear(&e->v[0], &e->slot, 0, 129, three), 0);
		mm_free_bitmap(one, sizeof(u64));
		mm_free_bitmap(three, 3 * sizeof(u64));
	}
	KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v[0], &e->slot, out, false), 0);
	KT_EXPECT_EQ(t, out[0] | out[1] | out[3], 0ULL);
	KT_EXPECT_EQ(t, out[2], ~0ULL << 1);	/* page 128 was the 129th */
	tenv_down(t, e);
}

/* Eager splitting splits huge leaves only: it makes no table where nothing is mapped. */
KTEST(eager_split_makes_tables_only_under_huge_leaves)
{
	struct tenv *e = tenv_up(t, &spte_fmt_ept);
	struct tdp_mapping m;
	u64 tables;

	if (!e)
		return;
	KT_EXPECT(t, tenv_access(e, 0, SLOT_BASE + 0x600, true, 2));
	KT_ASSERT_EQ(t, tdp_mmu_lookup(&e->v[0], SLOT_BASE + 0x600, &m), 0);
	KT_EXPECT_EQ(t, m.level, 2);
	tables = stat_read(&e->mmu.stats.tables);
	KT_ASSERT_EQ(t, tdp_dirty_log_enable(&e->v[0], &e->slot, TDP_DIRTY_WP,
					     TDP_DIRTY_EAGER_SPLIT), 0);
	e->logging = true;
	/* one 4K table for the one 2M leaf, and nothing for the empty 2M ranges */
	KT_EXPECT_EQ(t, stat_read(&e->mmu.stats.tables), tables + 1);
	KT_ASSERT_EQ(t, tdp_mmu_lookup(&e->v[0], SLOT_BASE + 0x601, &m), 0);
	KT_EXPECT_EQ(t, m.level, 1);
	tlbs_fresh(t, e, "an eager split");
	tenv_down(t, e);
}

/*
 * The frame behind a slot changes (the host moved the page) and a fault
 * replaces the present leaf with one of the new frame: no vCPU may keep
 * the old translation, and in D-bit mode the old leaf's dirty page is
 * logged.
 */
KTEST(fault_that_moves_a_leaf_to_another_frame_flushes_and_logs_its_dirt)
{
	static const struct spte_format *const fmts[] = { &spte_fmt_ept, &spte_fmt_npt };
	u64 out[SLOT_PAGES / 64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fmts); i++) {
		struct tenv *e = tenv_up(t, fmts[i]);
		gfn_t g = SLOT_BASE + 0x42;
		struct tdp_mapping m;
		u64 flushes;

		if (!e)
			return;
		KT_ASSERT_EQ(t, tdp_dirty_log_enable(&e->v[0], &e->slot, TDP_DIRTY_DBIT, 0), 0);
		e->logging = true;
		KT_EXPECT(t, tenv_access(e, 1, g, true, 1));
		KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v[0], &e->slot, out, true), 0);
		KT_EXPECT_EQ(t, tenv_try(e, 1, g, true), HW_OK);	/* dirty by hardware */
		e->slot.host_pfn += 0x10000;
		flushes = fake_tlb_flush_count();
		KT_EXPECT_EQ(t, tenv_fault(e, 0, g, TDP_ACC_R, 1), TDP_FAULT_FIXED);
		KT_EXPECT(t, fake_tlb_flush_count() > flushes);
		tlbs_fresh(t, e, "a fault that moved a leaf");
		KT_EXPECT_EQ(t, tdp_mmu_lookup(&e->v[0], g, &m), 0);
		KT_EXPECT_EQ(t, m.hpa >> 12, SLOT_PFN + 0x10000 + 0x42);
		KT_EXPECT_EQ(t, tdp_dirty_log_get(&e->v[0], &e->slot, out, true), 0);
		KT_EXPECT_EQ(t, out[1], BIT_ULL(2));
		e->slot.host_pfn -= 0x10000;
		tenv_down(t, e);
	}
}

KTEST(dirty_log_enable_refuses_an_unknown_mode)
{
	struct tenv *e = tenv_up(t, &spte_fmt_ept);

	if (!e)
		return;
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v[0], &e->slot, TDP_DIRTY_NR, 0), -EINVAL);
	KT_EXPECT_EQ(t, tdp_dirty_log_enable(&e->v[0], &e->slot, TDP_DIRTY_NR + 1, 0), -EINVAL);
	tenv_down(t, e);
}

/* The fault tells its caller the level it mapped at. */
KTEST(fault_reports_the_level_it_mapped)
{
	struct tenv *e = tenv_up(t, &spte_fmt_npt);
	struct tdp_fault f = { .gfn = SLOT_BASE + 0x201, .access = TDP_ACC_R, .slot = &E.slot,
			       .policy = { .max_level = 2 } };

	if (!e)
		return;
	KT_EXPECT_EQ(t, tdp_mmu_map(&e->v[0], &f), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, f.level, 2);
	f.gfn = SLOT_BASE + 0x601;
	f.policy.max_level = 1;
	KT_EXPECT_EQ(t, tdp_mmu_map(&e->v[0], &f), TDP_FAULT_FIXED);
	KT_EXPECT_EQ(t, f.level, 1);
	tenv_down(t, e);
}
