// SPDX-License-Identifier: MIT
/*
 * ktests of the MTRR snapshot on the machine hv.efi runs on: it is read,
 * logged, and the answers about the first 4 GiB must be defined and agree
 * with each other at every page size (the synthetic cases are in
 * tests/unit/test_mtrr.c).
 */
#include "arch/cpu.h"
#include "arch/mtrr.h"
#include "lib/ktest.h"
#include "lib/printk.h"
#include "errcode.h"

#define SZ_2M (2ULL << 20)
#define SZ_1G (1ULL << 30)
#define SZ_4G (4ULL << 30)
/* A reserved encoding, which no answer is: "not written yet". */
#define UNSET ((enum x86_memtype)2)

static void read_snapshot(struct mtrr_state *s)
{
	struct cpu_caps c;

	cpu_caps_read(&c);
	mtrr_snapshot_read(s, c.maxphyaddr);
}

KTEST(mtrr_snapshot_gives_every_page_a_defined_type)
{
	static const u64 pages[] = { 0, 0x9f000, 0xa0000, 0xc0000, 0xff000, 0x100000,
				     0x7ffff000, 0x80000000, 0xc0000000, 0xfee00000,
				     0xfffff000, 0x100000000ULL };
	struct mtrr_state s;
	enum x86_memtype mt;
	unsigned int i;

	read_snapshot(&s);
	mtrr_snapshot_print(&s);
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		mt = UNSET;
		KT_EXPECT_EQ(t, mtrr_range_type(&s, pages[i], pages[i] + PAGE_SIZE, &mt), 0);
		KT_EXPECT(t, x86_memtype_defined(mt));
	}
	for (i = 0; i < s.nr_var; i++) {
		u64 base = s.var[i].base & GENMASK_ULL(s.phys_bits - 1, PAGE_SHIFT);

		if (!(s.var[i].mask & MTRR_PHYSMASK_V))
			continue;
		KT_EXPECT_EQ(t, mtrr_range_type(&s, base, base + PAGE_SIZE, &mt), 0);
		KT_EXPECT(t, x86_memtype_defined(mt));
	}
}

/*
 * The first 4 GiB by 1 GiB and by 2 MiB: every query is answered (one type,
 * or mixed); a uniform range's pieces all have its type, and pieces of one
 * type make a uniform range.
 */
KTEST(mtrr_snapshot_answers_the_first_4g_consistently)
{
	unsigned int mixed_2m = 0, mixed_1g = 0;
	enum x86_memtype whole = UNSET, big = UNSET, small = UNSET, first = UNSET;
	struct mtrr_state s;
	u64 g, m;
	int rw, rg, rm;

	read_snapshot(&s);
	rw = mtrr_range_type(&s, 0, SZ_4G, &whole);
	KT_ASSERT(t, rw == 0 || rw == -EAGAIN);
	for (g = 0; g < SZ_4G; g += SZ_1G) {
		bool same = true;

		rg = mtrr_range_type(&s, g, g + SZ_1G, &big);
		KT_ASSERT(t, rg == 0 || rg == -EAGAIN);
		mixed_1g += rg != 0;
		if (rw == 0)
			KT_EXPECT(t, rg == 0 && big == whole);
		for (m = g; m < g + SZ_1G; m += SZ_2M) {
			rm = mtrr_range_type(&s, m, m + SZ_2M, &small);
			KT_ASSERT(t, rm == 0 || rm == -EAGAIN);
			mixed_2m += rm != 0;
			if (rg == 0)
				KT_EXPECT(t, rm == 0 && small == big);
			if (m == g)
				first = small;
			same = same && rm == 0 && small == first;
		}
		if (same)
			KT_EXPECT(t, rg == 0 && big == first);
	}
	pr_info("mtrr: below 4 GiB %u of 4 1G ranges and %u of 2048 2M ranges are mixed\n",
		mixed_1g, mixed_2m);
	if (!s.supported || !(s.def_type & MTRR_DEF_E))
		KT_EXPECT_EQ(t, rw, 0);
}

KTEST(mtrr_msrs_of_the_snapshot_are_intercept_candidates)
{
	struct mtrr_state s;
	unsigned int i;
	u64 lo, hi;

	read_snapshot(&s);
	if (!s.supported)
		KT_SKIP(t, "no MTRRs");
	KT_EXPECT(t, mtrr_is_mtrr_msr(&s, MSR_IA32_MTRR_DEF_TYPE));
	KT_EXPECT(t, mtrr_msr_valid(&s, MSR_IA32_MTRR_DEF_TYPE, s.def_type));
	mtrr_msr_range(&s, MSR_IA32_MTRR_DEF_TYPE, s.def_type ^ MTRR_DEF_E, &lo, &hi);
	KT_EXPECT_EQ(t, lo, 0);
	KT_EXPECT_EQ(t, hi, 1ULL << s.phys_bits);
	/* Writing back what the firmware wrote must not look like a #GP. */
	for (i = 0; i < MTRR_NR_FIXED && (s.cap & MTRRCAP_FIX); i++)
		KT_EXPECT(t, mtrr_msr_valid(&s, mtrr_fixed_msr[i], s.fixed[i]));
	for (i = 0; i < s.nr_var; i++) {
		if (!(s.var[i].mask & MTRR_PHYSMASK_V))
			continue;
		KT_EXPECT(t, mtrr_msr_valid(&s, MSR_IA32_MTRR_PHYSBASE(i), s.var[i].base));
		KT_EXPECT(t, mtrr_msr_valid(&s, MSR_IA32_MTRR_PHYSMASK(i), s.var[i].mask));
	}
}
