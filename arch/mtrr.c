// SPDX-License-Identifier: MIT
/*
 * MTRR snapshots: the effective memory type of a physical range, and which
 * addresses a write of an MTRR MSR can retype.  Pure functions of a struct
 * mtrr_state (the rules are in include/arch/mtrr.h); built into hv.efi and
 * the host tests.  arch/mtrr_msr.c reads the MSRs.
 *
 * A range query walks from start to end in segments over which the type
 * cannot change: one fixed-range entry below 1 MiB, else a stretch on which
 * no variable pair starts or stops matching.  A pair with a contiguous mask
 * whose lowest set bit is k matches one aligned 2^k block per 2^phys_bits,
 * so where its match changes next is computed, not searched for.  The walk
 * stops at the first segment of another type: a 1 GiB query costs a few
 * segments per variable pair, never one step per 4 KiB page.
 */
#include "arch/mtrr.h"
#include "lib/printk.h"
#include "bug.h"
#include "compiler.h"
#include "errcode.h"

/* AMD's RdMem/WrMem bits of a fixed-range byte (SYSCFG.MtrrFixDramModEn). */
#define MTRR_FIXED_AMD_RW 0x18
#define MTRR_FIXED_PER_MSR 8
#define ADDR_LAST (~0ULL)

const u32 mtrr_fixed_msr[MTRR_NR_FIXED] = {
	MSR_IA32_MTRR_FIX64K_00000, MSR_IA32_MTRR_FIX16K_80000,
	MSR_IA32_MTRR_FIX16K_A0000, MSR_IA32_MTRR_FIX4K_C0000,
	MSR_IA32_MTRR_FIX4K_C0000 + 1, MSR_IA32_MTRR_FIX4K_C0000 + 2,
	MSR_IA32_MTRR_FIX4K_C0000 + 3, MSR_IA32_MTRR_FIX4K_C0000 + 4,
	MSR_IA32_MTRR_FIX4K_C0000 + 5, MSR_IA32_MTRR_FIX4K_C0000 + 6,
	MSR_IA32_MTRR_FIX4K_C0000 + 7,
};

/* ---- types ---- */

/* A type field as an effective type: reserved values count as UC. */
static enum x86_memtype type_decode(u64 t)
{
	return x86_memtype_defined(t) ? (enum x86_memtype)t : X86_MT_UC;
}

/* Whether this CPU accepts t in a type field (WC only with MTRRCAP.WC). */
static bool type_legal(const struct mtrr_state *s, u64 t)
{
	return x86_memtype_defined(t) && (t != X86_MT_WC || (s->cap & MTRRCAP_WC));
}

/*
 * The type of an address that the variable pairs in seen (a bit per
 * matching type) cover, with def for no match.  Mixes the SDM leaves
 * undefined are taken as UC.
 */
static enum x86_memtype var_combine(unsigned int seen, enum x86_memtype def)
{
	if (!seen)
		return def;
	if (seen & BIT(X86_MT_UC))
		return X86_MT_UC;
	if (!(seen & (seen - 1)))
		return (enum x86_memtype)__builtin_ctz(seen);
	if (seen == (BIT(X86_MT_WT) | BIT(X86_MT_WB)))
		return X86_MT_WT;
	return X86_MT_UC;
}

/* ---- fixed ranges: MSR i holds 8 entries of 2^fixed_shift(i) bytes ---- */

static bool fixed_enabled(const struct mtrr_state *s)
{
	return (s->cap & MTRRCAP_FIX) && (s->def_type & MTRR_DEF_E) &&
	       (s->def_type & MTRR_DEF_FE);
}

static unsigned int fixed_shift(unsigned int i)
{
	return i == 0 ? 16 : i < 3 ? 14 : 12;
}

static u64 fixed_base(unsigned int i)
{
	if (i == 0)
		return 0;
	if (i < 3)
		return 0x80000 + (u64)(i - 1) * (MTRR_FIXED_PER_MSR << 14);
	return 0xc0000 + (u64)(i - 3) * (MTRR_FIXED_PER_MSR << 12);
}

static u64 fixed_span(unsigned int i)
{
	return (u64)MTRR_FIXED_PER_MSR << fixed_shift(i);
}

/* The fixed MSR whose entries cover addr (< 1 MiB). */
static unsigned int fixed_index(u64 addr)
{
	if (addr < 0x80000)
		return 0;
	if (addr < 0xc0000)
		return 1 + (addr - 0x80000) / fixed_span(1);
	return 3 + (addr - 0xc0000) / fixed_span(3);
}

/* The index of msr in mtrr_fixed_msr[], or -1. */
static int fixed_msr_index(u32 msr)
{
	unsigned int i;

	for (i = 0; i < MTRR_NR_FIXED; i++)
		if (mtrr_fixed_msr[i] == msr)
			return i;
	return -1;
}

/* The raw type of fixed entry e (0..7) of fixed MSR i. */
static u64 fixed_entry_type(const struct mtrr_state *s, unsigned int i, unsigned int e)
{
	return (s->fixed[i] >> (8 * e)) & MTRR_PHYSBASE_TYPE_MASK & ~(u64)MTRR_FIXED_AMD_RW;
}

/* ---- variable ranges ---- */

/* 2^phys_bits: where the physical address space ends. */
static u64 space_end(const struct mtrr_state *s)
{
	BUG_ON(s->phys_bits < 32 || s->phys_bits > 52);
	return 1ULL << s->phys_bits;
}

/* The PHYSBASE/PHYSMASK address field: bits phys_bits-1..12. */
static u64 addr_field(const struct mtrr_state *s)
{
	return (space_end(s) - 1) & PAGE_MASK;
}

/*
 * A valid pair, decoded: an address a matches when (a & mask) == base.  The
 * match is constant on aligned blocks of 2^shift bytes (shift: the lowest
 * mask bit, or phys_bits for an empty mask).  A contiguous mask has every
 * bit from shift to phys_bits-1 set: the pair then covers [base, base +
 * 2^shift) and its aliases every 2^phys_bits.
 */
struct var_range {
	u64 base, mask;
	unsigned int shift;
	bool contiguous;
	u64 type;
};

static bool var_pair_decode(const struct mtrr_state *s, const struct mtrr_var *v,
			    struct var_range *r)
{
	u64 field = addr_field(s);

	if (!(v->mask & MTRR_PHYSMASK_V))
		return false;
	r->mask = v->mask & field;
	r->base = v->base & r->mask;
	r->type = v->base & MTRR_PHYSBASE_TYPE_MASK;
	r->shift = r->mask ? (unsigned int)__builtin_ctzll(r->mask) : s->phys_bits;
	r->contiguous = r->mask == (field & ~((1ULL << r->shift) - 1));
	return true;
}

static bool var_match(const struct var_range *r, u64 a)
{
	return (a & r->mask) == r->base;
}

/*
 * The last address at or after a up to which the contiguous pair r keeps
 * the match it has at a; ADDR_LAST when that never changes.
 */
static u64 var_last_same(const struct var_range *r, u64 a, unsigned int phys_bits)
{
	u64 period = 1ULL << phys_bits, hi = a & ~(period - 1);

	if (var_match(r, a))
		return r->shift == phys_bits ? ADDR_LAST : a | ((1ULL << r->shift) - 1);
	if (hi + r->base > a)
		return hi + r->base - 1;
	if (hi == 0 - period)
		return ADDR_LAST;		/* no later period */
	return hi + period + r->base - 1;
}

/* ---- range queries ---- */

/*
 * The type at address a (MTRRs supported and enabled), and in *last the
 * last address up to which it cannot change.  Returns 0, or -EAGAIN when a
 * pair with a non-contiguous mask could change its match before limit.
 */
static int type_at(const struct mtrr_state *s, u64 a, u64 limit,
		   enum x86_memtype *mt, u64 *last)
{
	unsigned int n, seen = 0;
	struct var_range r;

	if (fixed_enabled(s) && a < MTRR_FIXED_END) {
		unsigned int i = fixed_index(a), sh = fixed_shift(i);

		*mt = type_decode(fixed_entry_type(s, i, (a - fixed_base(i)) >> sh));
		*last = a | ((1ULL << sh) - 1);
		return 0;
	}
	*last = ADDR_LAST;
	for (n = 0; n < s->nr_var; n++) {
		if (!var_pair_decode(s, &s->var[n], &r))
			continue;
		if (var_match(&r, a))
			seen |= BIT(type_decode(r.type));
		if (r.contiguous) {
			*last = MIN(*last, var_last_same(&r, a, s->phys_bits));
			continue;
		}
		if ((a | ((1ULL << r.shift) - 1)) < limit)
			return -EAGAIN;
	}
	*mt = var_combine(seen, type_decode(s->def_type & MTRR_DEF_TYPE_MASK));
	return 0;
}

int mtrr_range_type(const struct mtrr_state *s, u64 start, u64 end,
		    enum x86_memtype *mt)
{
	enum x86_memtype first = X86_MT_UC, t;
	u64 a = start, last;
	int ret;

	if (start >= end || !IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(end, PAGE_SIZE))
		return -EINVAL;
	if (!s->supported || !(s->def_type & MTRR_DEF_E)) {
		*mt = s->supported ? X86_MT_UC : X86_MT_WB;
		return 0;
	}
	for (;;) {
		ret = type_at(s, a, end - 1, &t, &last);
		if (ret)
			return ret;
		if (a == start)
			first = t;
		else if (t != first)
			return -EAGAIN;
		if (last >= end - 1)
			break;
		a = last + 1;
	}
	*mt = first;
	return 0;
}

/* ---- the MSRs ---- */

bool mtrr_is_mtrr_msr(const struct mtrr_state *s, u32 msr)
{
	if (!s->supported)
		return false;
	if (msr == MSR_IA32_MTRR_DEF_TYPE)
		return true;
	if (fixed_msr_index(msr) >= 0)
		return s->cap & MTRRCAP_FIX;
	return msr >= MSR_IA32_MTRR_PHYSBASE(0) && msr < MSR_IA32_MTRR_PHYSBASE(s->nr_var);
}

/* Where s keeps msr, or NULL when msr is not one of its MTRRs. */
static u64 *state_reg(struct mtrr_state *s, u32 msr)
{
	u32 n = (msr - MSR_IA32_MTRR_PHYSBASE(0)) / 2;
	int i = fixed_msr_index(msr);

	if (!mtrr_is_mtrr_msr(s, msr))
		return NULL;
	if (msr == MSR_IA32_MTRR_DEF_TYPE)
		return &s->def_type;
	if (i >= 0)
		return &s->fixed[i];
	return msr == MSR_IA32_MTRR_PHYSBASE(n) ? &s->var[n].base : &s->var[n].mask;
}

bool mtrr_msr_valid(const struct mtrr_state *s, u32 msr, u64 val)
{
	u64 field = addr_field(s);
	unsigned int e;

	if (!mtrr_is_mtrr_msr(s, msr))
		return false;
	if (msr == MSR_IA32_MTRR_DEF_TYPE)
		return !(val & ~(MTRR_DEF_TYPE_MASK | MTRR_DEF_FE | MTRR_DEF_E)) &&
		       type_legal(s, val & MTRR_DEF_TYPE_MASK);
	if (fixed_msr_index(msr) >= 0) {
		for (e = 0; e < MTRR_FIXED_PER_MSR; e++)
			if (!type_legal(s, (val >> (8 * e)) & 0xff))
				return false;
		return true;
	}
	if ((msr - MSR_IA32_MTRR_PHYSBASE(0)) % 2 == 0)
		return !(val & ~(field | MTRR_PHYSBASE_TYPE_MASK)) &&
		       type_legal(s, val & MTRR_PHYSBASE_TYPE_MASK);
	return !(val & ~(field | MTRR_PHYSMASK_V));
}

void mtrr_state_write(struct mtrr_state *s, u32 msr, u64 val)
{
	u64 *reg = state_reg(s, msr);

	BUG_ON(!reg);
	*reg = val;
}

u64 mtrr_state_read(const struct mtrr_state *s, u32 msr)
{
	const u64 *reg = state_reg((struct mtrr_state *)s, msr);

	BUG_ON(!reg);
	return *reg;
}

unsigned int mtrr_msr_list(const struct mtrr_state *s, u32 *msrs, unsigned int max)
{
	unsigned int i, n = 0;

	if (n < max && mtrr_is_mtrr_msr(s, MSR_IA32_MTRR_DEF_TYPE))
		msrs[n++] = MSR_IA32_MTRR_DEF_TYPE;
	for (i = 0; i < MTRR_NR_FIXED && n < max; i++)
		if (mtrr_is_mtrr_msr(s, mtrr_fixed_msr[i]))
			msrs[n++] = mtrr_fixed_msr[i];
	for (i = 0; i < 2 * s->nr_var && n < max && s->supported; i++)
		msrs[n++] = MSR_IA32_MTRR_PHYSBASE(0) + i;
	return n;
}

/*
 * The range pair v covers, as [*lo, *hi): false when it covers nothing
 * (not valid); [0, 2^phys_bits) for a non-contiguous mask, whose blocks
 * are scattered.
 */
static bool var_pair_span(const struct mtrr_state *s, const struct mtrr_var *v,
			  u64 *lo, u64 *hi)
{
	struct var_range r;

	if (!var_pair_decode(s, v, &r))
		return false;
	*lo = r.contiguous ? r.base : 0;
	*hi = r.contiguous ? r.base + (1ULL << r.shift) : space_end(s);
	return true;
}

void mtrr_msr_range(const struct mtrr_state *s, u32 msr, u64 val, u64 *start,
		    u64 *end)
{
	u64 *reg = state_reg((struct mtrr_state *)s, msr);	/* read only */
	struct mtrr_var before, after;
	u64 lo1, hi1, lo2, hi2;
	bool was, is;
	u32 n;
	int i;

	*start = *end = 0;
	if (!reg || *reg == val)
		return;
	if (msr == MSR_IA32_MTRR_DEF_TYPE) {
		*end = space_end(s);
		return;
	}
	i = fixed_msr_index(msr);
	if (i >= 0) {
		if (fixed_enabled(s)) {
			*start = fixed_base(i);
			*end = *start + fixed_span(i);
		}
		return;
	}
	if (!(s->def_type & MTRR_DEF_E))
		return;
	n = (msr - MSR_IA32_MTRR_PHYSBASE(0)) / 2;
	before = after = s->var[n];
	if (msr == MSR_IA32_MTRR_PHYSBASE(n))
		after.base = val;
	else
		after.mask = val;
	was = var_pair_span(s, &before, &lo1, &hi1);
	is = var_pair_span(s, &after, &lo2, &hi2);
	if (!was && !is)
		return;
	*start = !was ? lo2 : !is ? lo1 : MIN(lo1, lo2);
	*end = !was ? hi2 : !is ? hi1 : MAX(hi1, hi2);
}

/* ---- printing ---- */

/* size as "2 GiB", "64 KiB" or "0x1234 bytes" into buf. */
static const char *size_str(char *buf, unsigned int len, u64 size)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB" };
	unsigned int u = 0;

	while (u + 1 < ARRAY_SIZE(units) && size && !(size & 1023))
		size >>= 10, u++;
	snprintf(buf, len, u ? "%llu %s" : "0x%llx %s", (unsigned long long)size, units[u]);
	return buf;
}

static void print_fixed(const struct mtrr_state *s)
{
	u64 run_start = 0, run_type = 0;
	unsigned int i, e;
	bool first = true;

	for (i = 0; i < MTRR_NR_FIXED; i++) {
		for (e = 0; e < MTRR_FIXED_PER_MSR; e++) {
			u64 a = fixed_base(i) + ((u64)e << fixed_shift(i));
			u64 t = fixed_entry_type(s, i, e);

			if (!first && t == run_type)
				continue;
			if (!first)
				pr_info("mtrr: fixed 0x%05llx-0x%05llx %s\n",
					(unsigned long long)run_start,
					(unsigned long long)(a - 1), x86_memtype_name(run_type));
			run_start = a, run_type = t, first = false;
		}
	}
	pr_info("mtrr: fixed 0x%05llx-0x%05llx %s\n", (unsigned long long)run_start,
		MTRR_FIXED_END - 1, x86_memtype_name(run_type));
}

void mtrr_snapshot_print(const struct mtrr_state *s)
{
	unsigned int n, nvalid = 0;
	struct var_range r;
	char buf[32];

	if (!s->supported) {
		pr_info("mtrr: not supported: every range is WB to the MTRRs\n");
		return;
	}
	pr_info("mtrr: %s, default %s, fixed ranges %s, %u variable pairs%s\n",
		s->def_type & MTRR_DEF_E ? "enabled" : "disabled (all UC)",
		x86_memtype_name(s->def_type & MTRR_DEF_TYPE_MASK),
		!(s->cap & MTRRCAP_FIX) ? "absent" : fixed_enabled(s) ? "on" : "off",
		s->nr_var, s->cap & MTRRCAP_WC ? ", WC" : "");
	if (s->cap & MTRRCAP_FIX)
		print_fixed(s);
	for (n = 0; n < s->nr_var; n++) {
		if (!var_pair_decode(s, &s->var[n], &r))
			continue;
		nvalid++;
		if (r.contiguous)
			pr_info("mtrr: var%u 0x%llx size %s %s\n", n,
				(unsigned long long)r.base,
				size_str(buf, sizeof(buf), 1ULL << r.shift),
				x86_memtype_name(r.type));
		else
			pr_info("mtrr: var%u base 0x%llx mask 0x%llx (not contiguous) %s\n",
				n, (unsigned long long)r.base, (unsigned long long)r.mask,
				x86_memtype_name(r.type));
	}
	if (!nvalid)
		pr_info("mtrr: no valid variable range\n");
}
