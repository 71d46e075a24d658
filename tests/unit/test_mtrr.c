// SPDX-License-Identifier: MIT
/*
 * Unit tests of arch/mtrr.c on hand-made snapshots: the effective type of a
 * range under the SDM's precedence rules, the MSRs that hold types, and the
 * range a write of each can retype.  ref_type() below is a second, naive
 * statement of the rules (one address at a time) that the range queries are
 * compared against.
 */
#include "arch/mtrr.h"
#include "lib/ktest.h"
#include "lib/string.h"
#include "errcode.h"

#define KiB(x) ((u64)(x) << 10)
#define MiB(x) ((u64)(x) << 20)
#define GiB(x) ((u64)(x) << 30)
#define NO_TYPE (-1)
/* A reserved encoding, which no answer is: "not written yet". */
#define UNSET ((enum x86_memtype)2)

/*
 * A snapshot with MTRRs on, 8 pairs (none valid), WC, and fixed ranges on
 * and of the default type.
 */
static void state_init(struct mtrr_state *s, enum x86_memtype def, unsigned int phys_bits)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < MTRR_NR_FIXED; i++)
		s->fixed[i] = 0x0101010101010101ULL * def;
	s->supported = true;
	s->phys_bits = phys_bits;
	s->cap = 8 | MTRRCAP_FIX | MTRRCAP_WC;
	s->nr_var = 8;
	s->def_type = MTRR_DEF_E | MTRR_DEF_FE | def;
}

/* Pair n covers [base, base + size) (size a power of two, base aligned). */
static void set_var(struct mtrr_state *s, unsigned int n, u64 base, u64 size,
		    enum x86_memtype type)
{
	u64 field = GENMASK_ULL(s->phys_bits - 1, 12);

	s->var[n].base = base | type;
	s->var[n].mask = (~(size - 1) & field) | MTRR_PHYSMASK_V;
}

/* Every fixed entry that lies in [start, end) gets type. */
static void set_fixed(struct mtrr_state *s, u64 start, u64 end, enum x86_memtype type)
{
	u64 a;

	for (a = start; a < end; a += KiB(4)) {
		unsigned int i, e;

		if (a < KiB(512))
			i = 0, e = a >> 16;
		else if (a < KiB(768))
			i = 1 + (a - KiB(512)) / KiB(128), e = ((a - KiB(512)) >> 14) & 7;
		else
			i = 3 + (a - KiB(768)) / KiB(32), e = ((a - KiB(768)) >> 12) & 7;
		s->fixed[i] &= ~(0xffULL << (8 * e));
		s->fixed[i] |= (u64)type << (8 * e);
	}
}

/* OVMF-like: default WB, fixed WB with UC at 0xa0000-0xbffff, UC 2-4 GiB. */
static void ovmf_layout(struct mtrr_state *s)
{
	state_init(s, X86_MT_WB, 46);
	set_fixed(s, 0, MTRR_FIXED_END, X86_MT_WB);
	set_fixed(s, 0xa0000, 0xc0000, X86_MT_UC);
	set_var(s, 0, GiB(2), GiB(2), X86_MT_UC);
}

/* The rules, one address at a time, straight from the SDM's wording. */
static enum x86_memtype ref_type(const struct mtrr_state *s, u64 a)
{
	u64 field = GENMASK_ULL(s->phys_bits - 1, 12);
	unsigned int n, seen = 0;

	if (!s->supported)
		return X86_MT_WB;
	if (!(s->def_type & MTRR_DEF_E))
		return X86_MT_UC;
	if ((s->def_type & MTRR_DEF_FE) && (s->cap & MTRRCAP_FIX) && a < MiB(1)) {
		u64 t;

		if (a < KiB(512))
			t = s->fixed[0] >> (8 * (a >> 16));
		else if (a < KiB(768))
			t = s->fixed[1 + (a - KiB(512)) / KiB(128)] >> (8 * (((a - KiB(512)) >> 14) & 7));
		else
			t = s->fixed[3 + (a - KiB(768)) / KiB(32)] >> (8 * (((a - KiB(768)) >> 12) & 7));
		t &= 0xe7;
		return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 ?
		       (enum x86_memtype)t : X86_MT_UC;
	}
	for (n = 0; n < s->nr_var; n++) {
		u64 m = s->var[n].mask & field, t = s->var[n].base & 0xff;

		if (!(s->var[n].mask & MTRR_PHYSMASK_V) || (a & m) != (s->var[n].base & m))
			continue;
		if (t != 0 && t != 1 && t != 4 && t != 5 && t != 6)
			t = X86_MT_UC;
		seen |= 1U << t;
	}
	if (!seen) {
		u64 d = s->def_type & 0xff;

		return d == 0 || d == 1 || d == 4 || d == 5 || d == 6 ?
		       (enum x86_memtype)d : X86_MT_UC;
	}
	if (seen & (1U << X86_MT_UC))
		return X86_MT_UC;
	for (n = 0; n < 8; n++)
		if (seen == 1U << n)
			return (enum x86_memtype)n;
	return seen == ((1U << X86_MT_WT) | (1U << X86_MT_WB)) ? X86_MT_WT : X86_MT_UC;
}

static const char *want_name(int type)
{
	return type == NO_TYPE ? "mixed" : x86_memtype_name(type);
}

/* Checks that mtrr_range_type() says type of [start, end) (NO_TYPE: mixed). */
static bool expect_range(struct ktest_ctx *t, const struct mtrr_state *s, u64 start,
			 u64 end, int type, int line)
{
	enum x86_memtype mt = UNSET;
	int r = mtrr_range_type(s, start, end, &mt);
	bool ok = type == NO_TYPE ? r == -EAGAIN : r == 0 && (int)mt == type;

	return ktest_check(t, ok, __FILE__, line,
			   "[0x%llx, 0x%llx): expected %s, seen %s (returned %d)",
			   (unsigned long long)start, (unsigned long long)end,
			   want_name(type), r ? "-" : x86_memtype_name(mt), r);
}

#define EXPECT_RANGE(t, s, start, end, type) \
	expect_range(t, s, start, end, type, __LINE__)

KTEST(mtrr_ovmf_layout_gives_uc_vga_and_mmio_hole_wb_elsewhere)
{
	struct mtrr_state s;

	ovmf_layout(&s);
	EXPECT_RANGE(t, &s, 0, KiB(4), X86_MT_WB);
	EXPECT_RANGE(t, &s, 0, KiB(640), X86_MT_WB);
	EXPECT_RANGE(t, &s, 0xa0000, 0xc0000, X86_MT_UC);
	EXPECT_RANGE(t, &s, 0xb0000, 0xb1000, X86_MT_UC);
	EXPECT_RANGE(t, &s, 0xc0000, MiB(1), X86_MT_WB);
	EXPECT_RANGE(t, &s, 0, MiB(2), NO_TYPE);
	EXPECT_RANGE(t, &s, 0x9f000, 0xa1000, NO_TYPE);
	EXPECT_RANGE(t, &s, MiB(1), MiB(2), X86_MT_WB);
	EXPECT_RANGE(t, &s, MiB(2), MiB(4), X86_MT_WB);
	EXPECT_RANGE(t, &s, GiB(1), GiB(2), X86_MT_WB);
	EXPECT_RANGE(t, &s, GiB(2), GiB(3), X86_MT_UC);
	EXPECT_RANGE(t, &s, GiB(3), GiB(4), X86_MT_UC);
	EXPECT_RANGE(t, &s, GiB(2), GiB(4), X86_MT_UC);
	EXPECT_RANGE(t, &s, GiB(2) - MiB(2), GiB(2), X86_MT_WB);
	EXPECT_RANGE(t, &s, GiB(2) - MiB(2), GiB(2) + MiB(2), NO_TYPE);
	EXPECT_RANGE(t, &s, GiB(4) - KiB(4), GiB(4) + KiB(4), NO_TYPE);
	EXPECT_RANGE(t, &s, GiB(4), GiB(5), X86_MT_WB);
	EXPECT_RANGE(t, &s, GiB(4), GiB(512), X86_MT_WB);
	EXPECT_RANGE(t, &s, 0, GiB(4), NO_TYPE);
}

KTEST(mtrr_default_uc_with_wb_ram_ranges)
{
	struct mtrr_state s;

	state_init(&s, X86_MT_UC, 39);
	s.def_type &= ~MTRR_DEF_FE;
	set_var(&s, 0, 0, GiB(2), X86_MT_WB);
	set_var(&s, 1, GiB(2), GiB(1), X86_MT_WB);
	set_var(&s, 2, GiB(4), GiB(4), X86_MT_WB);
	EXPECT_RANGE(t, &s, 0, GiB(1), X86_MT_WB);
	EXPECT_RANGE(t, &s, 0, GiB(3), X86_MT_WB);	/* two pairs, one type */
	EXPECT_RANGE(t, &s, GiB(3), GiB(4), X86_MT_UC);
	EXPECT_RANGE(t, &s, GiB(3) - MiB(2), GiB(3) + MiB(2), NO_TYPE);
	EXPECT_RANGE(t, &s, GiB(4), GiB(8), X86_MT_WB);
	EXPECT_RANGE(t, &s, GiB(8), GiB(9), X86_MT_UC);
}

KTEST(mtrr_overlapping_pairs_follow_the_precedence_rules)
{
	static const struct { enum x86_memtype a, b, want; } cases[] = {
		{ X86_MT_WB, X86_MT_UC, X86_MT_UC }, { X86_MT_UC, X86_MT_WB, X86_MT_UC },
		{ X86_MT_WT, X86_MT_UC, X86_MT_UC }, { X86_MT_WB, X86_MT_WT, X86_MT_WT },
		{ X86_MT_WT, X86_MT_WB, X86_MT_WT }, { X86_MT_WB, X86_MT_WB, X86_MT_WB },
		{ X86_MT_WC, X86_MT_WC, X86_MT_WC }, { X86_MT_WP, X86_MT_WP, X86_MT_WP },
		/* undefined by the SDM: taken as UC */
		{ X86_MT_WC, X86_MT_WB, X86_MT_UC }, { X86_MT_WP, X86_MT_WT, X86_MT_UC },
		{ X86_MT_WB, X86_MT_WP, X86_MT_UC }, { X86_MT_WC, X86_MT_WT, X86_MT_UC },
	};
	struct mtrr_state s;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		state_init(&s, X86_MT_WB, 46);
		set_var(&s, 0, 0, GiB(4), cases[i].a);
		set_var(&s, 1, GiB(3), GiB(1), cases[i].b);
		EXPECT_RANGE(t, &s, GiB(3), GiB(4), cases[i].want);
		EXPECT_RANGE(t, &s, GiB(2), GiB(3), cases[i].a);
		EXPECT_RANGE(t, &s, GiB(2), GiB(4),
			     cases[i].a == cases[i].want ? (int)cases[i].a : NO_TYPE);
	}
	/* Three pairs: WB and WT and UC meet; WB, WT and WT again. */
	state_init(&s, X86_MT_WB, 46);
	set_var(&s, 0, 0, GiB(4), X86_MT_WB);
	set_var(&s, 1, GiB(2), GiB(2), X86_MT_WT);
	set_var(&s, 2, GiB(3), GiB(1), X86_MT_UC);
	set_var(&s, 3, GiB(2), GiB(1), X86_MT_WT);
	EXPECT_RANGE(t, &s, GiB(2), GiB(3), X86_MT_WT);
	EXPECT_RANGE(t, &s, GiB(3), GiB(4), X86_MT_UC);
}

KTEST(mtrr_disabled_is_uc_and_absent_is_wb)
{
	struct mtrr_state s;

	ovmf_layout(&s);
	s.def_type &= ~MTRR_DEF_E;
	EXPECT_RANGE(t, &s, 0, KiB(4), X86_MT_UC);
	EXPECT_RANGE(t, &s, 0, GiB(4), X86_MT_UC);
	EXPECT_RANGE(t, &s, GiB(4), GiB(5), X86_MT_UC);
	s.supported = false;
	EXPECT_RANGE(t, &s, 0, GiB(4), X86_MT_WB);
	EXPECT_RANGE(t, &s, 0xa0000, 0xa1000, X86_MT_WB);
}

KTEST(mtrr_fixed_ranges_apply_only_with_fe_and_fix)
{
	struct mtrr_state s;

	ovmf_layout(&s);
	set_var(&s, 1, 0, MiB(1), X86_MT_WT);
	EXPECT_RANGE(t, &s, 0xa0000, 0xa1000, X86_MT_UC);
	s.def_type &= ~MTRR_DEF_FE;
	EXPECT_RANGE(t, &s, 0xa0000, 0xa1000, X86_MT_WT);
	EXPECT_RANGE(t, &s, 0, MiB(1), X86_MT_WT);
	EXPECT_RANGE(t, &s, 0, MiB(2), NO_TYPE);
	set_var(&s, 1, 0, MiB(2), X86_MT_WB);
	EXPECT_RANGE(t, &s, 0, MiB(2), X86_MT_WB);
	/* FE set on a CPU without fixed ranges: there are none to apply. */
	s.def_type |= MTRR_DEF_FE;
	s.cap &= ~MTRRCAP_FIX;
	EXPECT_RANGE(t, &s, 0, MiB(2), X86_MT_WB);
}

KTEST(mtrr_fixed_entries_have_their_own_sizes)
{
	struct mtrr_state s;
	unsigned int i;

	state_init(&s, X86_MT_UC, 46);
	set_fixed(&s, 0, MTRR_FIXED_END, X86_MT_WB);
	/* One entry of each size flips type; its neighbours do not. */
	set_fixed(&s, KiB(64), KiB(128), X86_MT_WT);
	set_fixed(&s, 0x84000, 0x88000, X86_MT_WC);
	set_fixed(&s, 0xff000, 0x100000, X86_MT_WP);
	EXPECT_RANGE(t, &s, KiB(64), KiB(128), X86_MT_WT);
	EXPECT_RANGE(t, &s, KiB(60), KiB(128), NO_TYPE);
	EXPECT_RANGE(t, &s, KiB(64), KiB(132), NO_TYPE);
	EXPECT_RANGE(t, &s, 0x84000, 0x88000, X86_MT_WC);
	EXPECT_RANGE(t, &s, 0x80000, 0x84000, X86_MT_WB);
	EXPECT_RANGE(t, &s, 0x88000, 0xff000, X86_MT_WB);	/* across MSRs and sizes */
	EXPECT_RANGE(t, &s, 0xff000, 0x100000, X86_MT_WP);
	EXPECT_RANGE(t, &s, 0xff000, 0x101000, NO_TYPE);	/* default UC above */
	/* Each MSR's bytes map to its own span, in order. */
	for (i = 0; i < MTRR_NR_FIXED; i++)
		s.fixed[i] = 0x0606060606060606ULL;
	s.fixed[10] = 0x0406060606060606ULL;	/* 0xff000 is byte 7 of 0x26f */
	EXPECT_RANGE(t, &s, 0xff000, 0x100000, X86_MT_WT);
	EXPECT_RANGE(t, &s, 0xf8000, 0xff000, X86_MT_WB);
	/* AMD's RdMem/WrMem bits are not part of the type. */
	s.fixed[0] = 0x1e1e1e1e1e1e1e1eULL;
	EXPECT_RANGE(t, &s, 0, KiB(512), X86_MT_WB);
}

KTEST(mtrr_one_uc_page_makes_its_huge_pages_mixed)
{
	struct mtrr_state s;
	u64 page = GiB(1) + MiB(6) + KiB(20);

	state_init(&s, X86_MT_WB, 46);
	set_var(&s, 5, page, KiB(4), X86_MT_UC);
	EXPECT_RANGE(t, &s, GiB(1), GiB(2), NO_TYPE);
	EXPECT_RANGE(t, &s, GiB(1) + MiB(6), GiB(1) + MiB(8), NO_TYPE);
	EXPECT_RANGE(t, &s, GiB(1) + MiB(4), GiB(1) + MiB(6), X86_MT_WB);
	EXPECT_RANGE(t, &s, GiB(1) + MiB(8), GiB(1) + MiB(10), X86_MT_WB);
	EXPECT_RANGE(t, &s, page, page + KiB(4), X86_MT_UC);
	EXPECT_RANGE(t, &s, page - KiB(4), page, X86_MT_WB);
	EXPECT_RANGE(t, &s, page + KiB(4), page + KiB(8), X86_MT_WB);
	EXPECT_RANGE(t, &s, 0, GiB(1), X86_MT_WB);
	EXPECT_RANGE(t, &s, GiB(2), GiB(3), X86_MT_WB);
}

KTEST(mtrr_ranges_at_the_end_of_the_address_space)
{
	const unsigned int pb = 39;
	const u64 top = 1ULL << pb;
	struct mtrr_state s;

	state_init(&s, X86_MT_WB, pb);
	set_var(&s, 0, top - GiB(1), GiB(1), X86_MT_UC);
	set_var(&s, 1, top - KiB(4), KiB(4), X86_MT_WT);
	EXPECT_RANGE(t, &s, top - GiB(2), top - GiB(1), X86_MT_WB);
	EXPECT_RANGE(t, &s, top - GiB(1), top - MiB(2), X86_MT_UC);
	EXPECT_RANGE(t, &s, top - GiB(1), top, X86_MT_UC);
	EXPECT_RANGE(t, &s, top - KiB(4), top, X86_MT_UC);	/* UC beats WT */
	EXPECT_RANGE(t, &s, top - GiB(2), top - GiB(1) + KiB(4), NO_TYPE);
	/* Beyond 2^phys_bits the mask comparison aliases. */
	EXPECT_RANGE(t, &s, top, top + GiB(1), X86_MT_WB);
	EXPECT_RANGE(t, &s, 2 * top - GiB(1), 2 * top - MiB(2), X86_MT_UC);
	/* Near the top of the 64-bit space the walk ends without wrapping. */
	EXPECT_RANGE(t, &s, 0 - GiB(2), 0 - GiB(1), X86_MT_WB);
	EXPECT_RANGE(t, &s, 0 - GiB(1), 0 - MiB(2), X86_MT_UC);
	EXPECT_RANGE(t, &s, 0 - MiB(2), 0 - KiB(4), X86_MT_UC);
	/* A pair whose only block lies behind, in the last period. */
	set_var(&s, 3, 0, GiB(1), X86_MT_WC);
	EXPECT_RANGE(t, &s, 0 - GiB(2), 0 - GiB(1), X86_MT_WB);
	EXPECT_RANGE(t, &s, 0 - GiB(2), 0 - KiB(4), NO_TYPE);
	s.var[3].mask &= ~MTRR_PHYSMASK_V;
	/* A pair with an empty mask matches every address. */
	set_var(&s, 2, 0, top, X86_MT_WT);
	s.var[0].mask &= ~MTRR_PHYSMASK_V;
	s.var[1].mask &= ~MTRR_PHYSMASK_V;
	EXPECT_RANGE(t, &s, MiB(1), top, X86_MT_WT);
	EXPECT_RANGE(t, &s, 0, top, NO_TYPE);	/* the fixed ranges (WB) win below 1 MiB */
	EXPECT_RANGE(t, &s, 0 - GiB(1), 0 - KiB(4), X86_MT_WT);
}

KTEST(mtrr_non_contiguous_mask_is_exact_per_block_else_mixed)
{
	struct mtrr_state s;
	u64 field = GENMASK_ULL(35, 12), base = GiB(1) + MiB(4);

	state_init(&s, X86_MT_WB, 36);
	/* Bits 21..35 but not 30: 2 MiB blocks at base and base - 1 GiB. */
	s.var[0].base = base | X86_MT_UC;
	s.var[0].mask = (field & ~(MiB(2) - 1) & ~BIT_ULL(30)) | MTRR_PHYSMASK_V;
	EXPECT_RANGE(t, &s, base, base + MiB(2), X86_MT_UC);
	EXPECT_RANGE(t, &s, base - GiB(1), base - GiB(1) + MiB(2), X86_MT_UC);
	EXPECT_RANGE(t, &s, base + MiB(2), base + MiB(4), X86_MT_WB);
	EXPECT_RANGE(t, &s, base + KiB(4), base + KiB(8), X86_MT_UC);
	EXPECT_RANGE(t, &s, base - KiB(4), base, X86_MT_WB);
	/* Across its block edges: not computed, reported as mixed. */
	EXPECT_RANGE(t, &s, GiB(2), GiB(3), NO_TYPE);
	EXPECT_RANGE(t, &s, base, base + MiB(4), NO_TYPE);
	/* Inside the fixed ranges the pair does not matter. */
	set_fixed(&s, 0, MTRR_FIXED_END, X86_MT_WB);
	EXPECT_RANGE(t, &s, 0, MiB(1), X86_MT_WB);
}

KTEST(mtrr_range_type_rejects_empty_and_unaligned_ranges)
{
	struct mtrr_state s;
	enum x86_memtype mt;

	ovmf_layout(&s);
	KT_EXPECT_EQ(t, mtrr_range_type(&s, KiB(4), KiB(4), &mt), -EINVAL);
	KT_EXPECT_EQ(t, mtrr_range_type(&s, KiB(8), KiB(4), &mt), -EINVAL);
	KT_EXPECT_EQ(t, mtrr_range_type(&s, 1, KiB(4), &mt), -EINVAL);
	KT_EXPECT_EQ(t, mtrr_range_type(&s, 0, KiB(4) + 1, &mt), -EINVAL);
	KT_EXPECT_EQ(t, mtrr_range_type(&s, 0 - KiB(4), 0, &mt), -EINVAL);	/* wraps */
}

/* A small deterministic generator for the comparisons below. */
static u64 rnd_next(u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static enum x86_memtype rnd_type(u64 *x)
{
	static const enum x86_memtype types[] = {
		X86_MT_UC, X86_MT_WC, X86_MT_WT, X86_MT_WP, X86_MT_WB, X86_MT_WB, X86_MT_WB,
	};

	return types[rnd_next(x) % ARRAY_SIZE(types)];
}

/* Pairs of 4 KiB..1 GiB inside the first 8 GiB, fixed ranges at random. */
static void random_state(struct mtrr_state *s, u64 *x)
{
	unsigned int n, nr = rnd_next(x) % 6;

	state_init(s, rnd_type(x), 36 + rnd_next(x) % 17);
	if (rnd_next(x) & 1)
		s->def_type &= ~MTRR_DEF_FE;
	for (n = 0; n < MTRR_NR_FIXED; n++)
		s->fixed[n] = rnd_next(x) & 1 ? 0x0606060606060606ULL : 0x0606060600000606ULL;
	for (n = 0; n < nr; n++) {
		u64 size = KiB(4) << (rnd_next(x) % 19);

		set_var(s, n, ALIGN_DOWN(rnd_next(x) % GiB(8), size), size, rnd_type(x));
	}
}

/* What ref_type() says of [start, end): one type or NO_TYPE. */
static int ref_range(const struct mtrr_state *s, u64 start, u64 end)
{
	enum x86_memtype first = ref_type(s, start);
	u64 a;

	for (a = start + KiB(4); a < end; a += KiB(4))
		if (ref_type(s, a) != first)
			return NO_TYPE;
	return first;
}

KTEST(mtrr_range_type_agrees_with_a_page_by_page_model)
{
	u64 x = 0x9e3779b97f4a7c15ULL;
	unsigned int i, j, bad = 0;
	struct mtrr_state s;

	for (i = 0; i < 200; i++) {
		random_state(&s, &x);
		for (j = 0; j < 20; j++) {
			/*
			 * 4 KiB..2 MiB: across a pair's first or last page, in
			 * the first 2 MiB, or anywhere (naturally aligned).
			 */
			u64 size = KiB(4) << (rnd_next(&x) % 10), start, n;
			u64 field = GENMASK_ULL(s.phys_bits - 1, 12);
			enum x86_memtype mt = UNSET;
			int want, got;

			n = rnd_next(&x) % (s.nr_var + 2);
			if (n < s.nr_var && (s.var[n].mask & MTRR_PHYSMASK_V)) {
				start = s.var[n].base & PAGE_MASK;
				if (rnd_next(&x) & 1)
					start += (~s.var[n].mask & field) + KiB(4);
				start -= KiB(4) * (rnd_next(&x) % (size / KiB(4)));
			} else if (n == s.nr_var) {
				start = ALIGN_DOWN(rnd_next(&x) % MiB(2), KiB(4));
			} else {
				start = ALIGN_DOWN(rnd_next(&x) % GiB(8), size);
			}
			start &= field;
			want = ref_range(&s, start, start + size);
			got = mtrr_range_type(&s, start, start + size, &mt);
			if (got == 0 ? (int)mt == want : got == -EAGAIN && want == NO_TYPE)
				continue;
			if (bad++ < 5)
				ktest_check(t, false, __FILE__, __LINE__,
					    "state %u: [0x%llx, +0x%llx) expected %d, seen %d (type %d)",
					    i, (unsigned long long)start, (unsigned long long)size,
					    want, got, (int)mt);
		}
	}
	KT_EXPECT_EQ(t, bad, 0);
}

/* ---- the MSRs ---- */

KTEST(mtrr_is_mtrr_msr_knows_the_writable_type_msrs)
{
	struct mtrr_state s;
	unsigned int i;

	ovmf_layout(&s);
	KT_EXPECT(t, mtrr_is_mtrr_msr(&s, MSR_IA32_MTRR_DEF_TYPE));
	KT_EXPECT(t, !mtrr_is_mtrr_msr(&s, MSR_IA32_MTRRCAP));
	for (i = 0; i < MTRR_NR_FIXED; i++)
		KT_EXPECT(t, mtrr_is_mtrr_msr(&s, mtrr_fixed_msr[i]));
	KT_EXPECT(t, !mtrr_is_mtrr_msr(&s, 0x251));
	KT_EXPECT(t, !mtrr_is_mtrr_msr(&s, 0x267));
	KT_EXPECT(t, !mtrr_is_mtrr_msr(&s, 0x270));
	KT_EXPECT(t, !mtrr_is_mtrr_msr(&s, 0x277));	/* IA32_PAT */
	KT_EXPECT(t, mtrr_is_mtrr_msr(&s, MSR_IA32_MTRR_PHYSBASE(0)));
	KT_EXPECT(t, mtrr_is_mtrr_msr(&s, MSR_IA32_MTRR_PHYSMASK(7)));
	KT_EXPECT(t, !mtrr_is_mtrr_msr(&s, MSR_IA32_MTRR_PHYSBASE(8)));
	KT_EXPECT(t, !mtrr_is_mtrr_msr(&s, 0x1ff));
	{
		u32 list[2 * MTRR_MAX_VAR + MTRR_NR_FIXED + 1];
		unsigned int n = mtrr_msr_list(&s, list, ARRAY_SIZE(list));

		KT_EXPECT_EQ(t, n, 1 + MTRR_NR_FIXED + 2 * 8);
		for (i = 0; i < n; i++)
			KT_EXPECT(t, mtrr_is_mtrr_msr(&s, list[i]));
		KT_EXPECT_EQ(t, list[0], MSR_IA32_MTRR_DEF_TYPE);
		KT_EXPECT_EQ(t, list[n - 1], MSR_IA32_MTRR_PHYSMASK(7));
		KT_EXPECT_EQ(t, mtrr_msr_list(&s, list, 3), 3);
	}
	s.cap &= ~MTRRCAP_FIX;
	KT_EXPECT(t, !mtrr_is_mtrr_msr(&s, MSR_IA32_MTRR_FIX64K_00000));
	s.supported = false;
	KT_EXPECT(t, !mtrr_is_mtrr_msr(&s, MSR_IA32_MTRR_DEF_TYPE));
	KT_EXPECT(t, !mtrr_is_mtrr_msr(&s, MSR_IA32_MTRR_PHYSBASE(0)));
}

KTEST(mtrr_msr_valid_rejects_what_would_fault)
{
	struct mtrr_state s;

	ovmf_layout(&s);
	KT_EXPECT(t, mtrr_msr_valid(&s, MSR_IA32_MTRR_DEF_TYPE,
				    MTRR_DEF_E | MTRR_DEF_FE | X86_MT_WB));
	KT_EXPECT(t, !mtrr_msr_valid(&s, MSR_IA32_MTRR_DEF_TYPE, MTRR_DEF_E | 2));
	KT_EXPECT(t, !mtrr_msr_valid(&s, MSR_IA32_MTRR_DEF_TYPE, MTRR_DEF_E | BIT_ULL(12)));
	KT_EXPECT(t, !mtrr_msr_valid(&s, MSR_IA32_MTRR_DEF_TYPE, BIT_ULL(8)));
	KT_EXPECT(t, mtrr_msr_valid(&s, MSR_IA32_MTRR_FIX4K_C0000, 0x0506040100060504ULL));
	KT_EXPECT(t, !mtrr_msr_valid(&s, MSR_IA32_MTRR_FIX4K_C0000, 0x0706060606060606ULL));
	KT_EXPECT(t, !mtrr_msr_valid(&s, MSR_IA32_MTRR_FIX64K_00000, 0x0606060606060603ULL));
	KT_EXPECT(t, mtrr_msr_valid(&s, MSR_IA32_MTRR_PHYSBASE(1), GiB(1) | X86_MT_WT));
	KT_EXPECT(t, !mtrr_msr_valid(&s, MSR_IA32_MTRR_PHYSBASE(1), GiB(1) | 0x106));
	KT_EXPECT(t, !mtrr_msr_valid(&s, MSR_IA32_MTRR_PHYSBASE(1), BIT_ULL(46) | X86_MT_WB));
	KT_EXPECT(t, mtrr_msr_valid(&s, MSR_IA32_MTRR_PHYSMASK(1),
				    GENMASK_ULL(45, 30) | MTRR_PHYSMASK_V));
	KT_EXPECT(t, !mtrr_msr_valid(&s, MSR_IA32_MTRR_PHYSMASK(1),
				     GENMASK_ULL(46, 30) | MTRR_PHYSMASK_V));
	KT_EXPECT(t, !mtrr_msr_valid(&s, MSR_IA32_MTRR_PHYSMASK(1), MTRR_PHYSMASK_V | 1));
	KT_EXPECT(t, !mtrr_msr_valid(&s, MSR_IA32_MTRRCAP, 0));
	KT_EXPECT(t, mtrr_msr_valid(&s, MSR_IA32_MTRR_PHYSBASE(1), X86_MT_WC));
	s.cap &= ~MTRRCAP_WC;
	KT_EXPECT(t, !mtrr_msr_valid(&s, MSR_IA32_MTRR_PHYSBASE(1), X86_MT_WC));
	KT_EXPECT(t, !mtrr_msr_valid(&s, MSR_IA32_MTRR_DEF_TYPE, MTRR_DEF_E | X86_MT_WC));
}

/* Expects mtrr_msr_range(s, msr, val) to be [lo, hi). */
#define EXPECT_MSR_RANGE(t, s, msr, val, lo, hi)                    \
	({                                                           \
		u64 s_ = 1, e_ = 1;                                  \
		mtrr_msr_range(s, msr, val, &s_, &e_);               \
		KT_EXPECT_EQ(t, s_, lo) && KT_EXPECT_EQ(t, e_, hi);  \
	})

KTEST(mtrr_msr_range_covers_what_each_write_can_retype)
{
	const u64 all = 1ULL << 46, mask4g = GENMASK_ULL(45, 32) | MTRR_PHYSMASK_V;
	struct mtrr_state s;

	ovmf_layout(&s);
	/* IA32_MTRR_DEF_TYPE: everything, unless the value stays. */
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_DEF_TYPE, MTRR_DEF_E | X86_MT_UC, 0, all);
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_DEF_TYPE, s.def_type, 0, 0);
	/* Fixed: the MSR's own span. */
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_FIX64K_00000, 0, 0, KiB(512));
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_FIX16K_80000, 0, KiB(512), KiB(640));
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_FIX16K_A0000, 0x0101010101010101ULL,
			 KiB(640), KiB(768));
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_FIX4K_C0000, 0, KiB(768), KiB(800));
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_FIX4K_C0000 + 7, 0, 0xf8000, MiB(1));
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_FIX16K_A0000, s.fixed[2], 0, 0);
	/* Variable: the union of the old and new ranges of the pair. */
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_PHYSBASE(0), GiB(2) | X86_MT_WB, GiB(2), GiB(4));
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_PHYSBASE(0), GiB(6) | X86_MT_UC, GiB(2), GiB(8));
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_PHYSMASK(0), mask4g, 0, GiB(4));
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_PHYSMASK(0), 0, GiB(2), GiB(4));
	/* A pair becoming valid: its new range only; staying invalid: nothing. */
	s.var[1].base = GiB(1) | X86_MT_WT;
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_PHYSMASK(1), GENMASK_ULL(45, 30) | MTRR_PHYSMASK_V,
			 GiB(1), GiB(2));
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_PHYSMASK(1), GENMASK_ULL(45, 30), 0, 0);
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_PHYSBASE(1), GiB(3) | X86_MT_WT, 0, 0);
	/* A non-contiguous mask, before or after: everything. */
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_PHYSMASK(0),
			 (GENMASK_ULL(45, 31) & ~BIT_ULL(40)) | MTRR_PHYSMASK_V, 0, all);
	/* Not an MTRR, or E clear (except DEF_TYPE): nothing changes. */
	EXPECT_MSR_RANGE(t, &s, 0x277, 0, 0, 0);
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRRCAP, 0, 0, 0);
	s.def_type &= ~MTRR_DEF_FE;
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_FIX64K_00000, 0, 0, 0);
	s.def_type &= ~MTRR_DEF_E;
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_PHYSBASE(0), GiB(6) | X86_MT_UC, 0, 0);
	EXPECT_MSR_RANGE(t, &s, MSR_IA32_MTRR_DEF_TYPE, s.def_type | MTRR_DEF_E, 0, all);
}

KTEST(mtrr_writes_retype_nothing_outside_their_msr_range)
{
	static const u32 msrs[] = {
		MSR_IA32_MTRR_DEF_TYPE, MSR_IA32_MTRR_FIX64K_00000, MSR_IA32_MTRR_FIX16K_A0000,
		MSR_IA32_MTRR_FIX4K_C0000 + 3, MSR_IA32_MTRR_PHYSBASE(0), MSR_IA32_MTRR_PHYSMASK(0),
		MSR_IA32_MTRR_PHYSBASE(1), MSR_IA32_MTRR_PHYSMASK(1),
	};
	u64 x = 0x2545f4914f6cdd1dULL;
	unsigned int i, k, bad = 0;

	for (i = 0; i < 300; i++) {
		struct mtrr_state before, after;
		u32 msr = msrs[rnd_next(&x) % ARRAY_SIZE(msrs)];
		u64 val = 0, lo, hi;

		random_state(&before, &x);
		before.phys_bits = 36;
		if (msr == MSR_IA32_MTRR_DEF_TYPE)
			val = rnd_next(&x) % 3 == 0 ? before.def_type ^ MTRR_DEF_FE :
			      rnd_next(&x) % 2 ? before.def_type ^ MTRR_DEF_E :
			      (before.def_type & ~MTRR_DEF_TYPE_MASK) | rnd_type(&x);
		else if (msr < MSR_IA32_MTRR_FIX64K_00000 && msr % 2 == 0)
			val = ALIGN_DOWN(rnd_next(&x) % GiB(8), MiB(2)) | rnd_type(&x);
		else if (msr < MSR_IA32_MTRR_FIX64K_00000)
			val = (GENMASK_ULL(35, 21 + rnd_next(&x) % 10) | (rnd_next(&x) & 3 ? MTRR_PHYSMASK_V : 0));
		else
			val = 0x0106040506000401ULL;
		KT_ASSERT(t, mtrr_msr_valid(&before, msr, val));
		mtrr_msr_range(&before, msr, val, &lo, &hi);
		after = before;
		mtrr_state_write(&after, msr, val);
		for (k = 0; k < 64; k++) {
			u64 a = ALIGN_DOWN(rnd_next(&x) % GiB(9), KiB(4));

			if (k < 8)
				a = ALIGN_DOWN(rnd_next(&x) % MiB(1), KiB(4));
			if (a >= lo && a < hi)
				continue;
			if (ref_type(&before, a) != ref_type(&after, a) && bad++ < 3) {
				KT_EXPECT_EQ(t, msr, 0);
				KT_EXPECT_EQ(t, val, 0);
				KT_EXPECT_EQ(t, a, 0);
			}
		}
	}
	KT_EXPECT_EQ(t, bad, 0);
}

KTEST(mtrr_state_write_updates_the_snapshot)
{
	struct mtrr_state s;

	ovmf_layout(&s);
	mtrr_state_write(&s, MSR_IA32_MTRR_PHYSBASE(3), GiB(8) | X86_MT_WT);
	mtrr_state_write(&s, MSR_IA32_MTRR_PHYSMASK(3), GENMASK_ULL(45, 30) | MTRR_PHYSMASK_V);
	KT_EXPECT_EQ(t, mtrr_state_read(&s, MSR_IA32_MTRR_PHYSBASE(3)), GiB(8) | X86_MT_WT);
	KT_EXPECT_EQ(t, mtrr_state_read(&s, MSR_IA32_MTRR_PHYSMASK(3)),
		     GENMASK_ULL(45, 30) | MTRR_PHYSMASK_V);
	EXPECT_RANGE(t, &s, GiB(8), GiB(9), X86_MT_WT);
	mtrr_state_write(&s, MSR_IA32_MTRR_FIX16K_A0000, 0x0101010101010101ULL);
	KT_EXPECT_EQ(t, mtrr_state_read(&s, MSR_IA32_MTRR_FIX16K_A0000), 0x0101010101010101ULL);
	EXPECT_RANGE(t, &s, 0xa0000, 0xc0000, X86_MT_WC);
	mtrr_state_write(&s, MSR_IA32_MTRR_DEF_TYPE, MTRR_DEF_E | X86_MT_UC);
	EXPECT_RANGE(t, &s, 0xa0000, 0xc0000, X86_MT_UC);	/* FE off */
	EXPECT_RANGE(t, &s, GiB(4), GiB(5), X86_MT_UC);
	KT_EXPECT_STREQ(t, x86_memtype_name(X86_MT_WP), "WP");
	KT_EXPECT_STREQ(t, x86_memtype_name(3), "??");
	mtrr_snapshot_print(&s);
}
