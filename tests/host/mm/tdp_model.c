// SPDX-License-Identifier: MIT
/*
 * The reference model of the TDP MMU and the harness that runs both side by
 * side (contract in tdp_model.h).
 *
 * The model knows nothing of tables: it holds, per level, which leaves
 * exist with their write permission and young state, an MMIO marker
 * generation per page, and a dirty bit per page meaning "written since it
 * was last cleared".  Each operation is applied to both.  Then the whole
 * state is compared:
 *
 *  - every table of the tree is read and compared with a shadow copy of
 *    the tree as it was after the previous step (by position: level and
 *    GFN); each entry that differs is marked, its shadow updated, and the
 *    shadow below an upper entry that changed is forgotten;
 *  - the model marks each entry position (level, index) whose state it
 *    changed;
 *  - each marked position is compared with the model: the tree's entry at
 *    that level (or the leaf or hole above it) must be what the model says.
 *
 * An unmarked entry is bit for bit what it was after the previous step,
 * where the model held the same, so after every step the whole tree
 * matches the model.  The page accounting is checked after every step, and
 * every full_check_every steps a walk of the whole tree counts its leaves
 * and markers against the model as well.
 *
 * The guest's writes go through the hardware stand-in (tdp_hw.h) with a
 * page-modification log, so that TDP_DIRTY_PML slots work as with VMX; a
 * GFN the log hands to the MMU counts as written for the model too.  The
 * accesses alternate between two vCPUs' TLBs (the fake arch's TLB model),
 * and after every step neither may hold a translation the tree no longer
 * grants.  Leaf bits are checked against the manuals' numbers (hw_bits.h).
 *
 * Guest memory (gfn):  slot 0  [0, 0x40000)        1 GiB, 1G-aligned frames
 *                      slot 1  [0x40037, 0x42400)  unaligned bounds, one UC page
 *                      slot 2  [0x42800, 0x43000)  read-only, misaligned frames
 *                      the rest of [0, 0x44000) is emulated MMIO
 */
#undef memcmp	/* the C library's, vectorised: the whole tree is read every step */
#undef memset
#undef memmove	/* note() moves the last operations at every step */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mm/tdp_mmu.h"
#include "mm/tdp_iter.h"
#include "fake_arch.h"
#include "tdp_model.h"
#include "tdp_hw.h"
#include "errcode.h"
#include "bug.h"

#define U 0x44000ULL
#define UC_GFN 0x41001ULL
#define NR_SLOTS 3
#define BM_WORDS (0x40000 / 64)
#define ROOT_MAX 5
#define KID_WORDS (SPTE_PER_TABLE / 64)
#define RING_ENTRIES 256		/* the vCPU's dirty ring */
#define MODEL_CPUS 2		/* TLBs the guest's accesses alternate between */

/* Guest memory lies inside the first entry of a level-4 table. */
_Static_assert(U <= (1ULL << 27), "U must fit one level-4 entry");

struct mleaf {
	u8 present, w, young;
};

struct run {
	/* Set afresh by each run: model_run() zeroes everything up to leaf[]. */
	const struct model_cfg *cfg;
	const struct spte_format *fmt;
	struct model_result *res;
	struct tdp_mmu mmu;
	struct tdp_vcpu v;
	struct mm_slot slots[NR_SLOTS];
	struct tdp_huge_policy policy;
	u64 gen, nleaves, nmmio;	/* the model's generation and counts */
	u64 *last_pt;			/* a 4K table found by check_at() ... */
	gfn_t last_region;		/* ... for this 2 MiB region, this step */
	struct hw_pml pml;		/* the vCPU's page-modification log */
	/* The model of the vCPU's dirty ring: what its faults appended, in order. */
	gfn_t rq[RING_ENTRIES];
	u64 rq_head, rq_tail;
	/* the operation stream */
	u64 rng, pos;
	bool exhausted;
	u64 step;
	u64 base_pages, base_bitmap;
	/*
	 * Allocated by the first run and kept (about 7 MiB): all zero between
	 * runs, as run_clean() undoes what a run set.
	 */
	/* the model */
	struct mleaf *leaf[4];		/* [level][gfn >> shift] */
	u32 *small[4];			/* [L][region]: leaves below L inside */
	u32 *msmall[4];			/* [L][region]: markers below L inside */
	u64 *mmio;			/* the marker's generation + 1, or 0 */
	u64 *dirty;			/* bit per gfn */
	/* the comparison */
	u64 *shadow[ROOT_MAX + 1];	/* [L]: 512 entries per table position */
	u8 *sh_used[ROOT_MAX + 1];	/* [L][t]: that shadow table is not all zero */
	u64 *sh_kids[ROOT_MAX + 1];	/* [L][t * KID_WORDS]: its entries that are tables */
	u64 ntables[ROOT_MAX + 1];	/* table positions of level L inside U */
	u8 *marked[ROOT_MAX + 1];	/* [L][index]: compare this step */
	u64 *marks, nmarks, cap_marks;	/* the marked positions, as L << 56 | i */
	/* scratch */
	u64 out[BM_WORDS], young[BM_WORDS];
};

static u64 shift_of(int level)
{
	return SPTE_LEVEL_BITS * (level - 1);
}

/* Entry positions of level L that start inside guest memory. */
static u64 nr_entries(int level)
{
	return ((U - 1) >> shift_of(level)) + 1;
}

/* Marks position (level, idx) for comparison after this step. */
static void mark(struct run *r, int level, u64 idx)
{
	if (r->marked[level][idx])
		return;
	r->marked[level][idx] = 1;
	if (r->nmarks == r->cap_marks) {
		r->cap_marks = r->cap_marks ? 2 * r->cap_marks : 1024;
		r->marks = realloc(r->marks, r->cap_marks * sizeof(u64));
		if (!r->marks)
			abort();
	}
	r->marks[r->nmarks++] = (u64)level << 56 | idx;
}

/* ---- the operation stream ---- */

static u64 next(struct run *r)
{
	const struct model_cfg *c = r->cfg;
	u64 x = 0;

	if (c->seed) {
		r->rng ^= r->rng << 13;
		r->rng ^= r->rng >> 7;
		r->rng ^= r->rng << 17;
		return r->rng;
	}
	if (r->pos + 4 > c->len) {
		r->exhausted = true;
		return 0;
	}
	memcpy(&x, c->bytes + r->pos, 4);
	r->pos += 4;
	return x * 0x9e3779b97f4a7c15ULL ^ (x >> 7);
}

/* ---- failure reporting ---- */

static bool fail(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->res->failed_at)
		return false;
	r->res->failed_at = r->step;
	va_start(ap, fmt);
	vsnprintf(r->res->msg, sizeof(r->res->msg), fmt, ap);
	va_end(ap);
	return false;
}

static void note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct run *r, const char *fmt, ...)
{
	va_list ap;

	memmove(r->res->last_ops[0], r->res->last_ops[1], sizeof(r->res->last_ops[0]) * 7);
	va_start(ap, fmt);
	vsnprintf(r->res->last_ops[7], sizeof(r->res->last_ops[7]), fmt, ap);
	va_end(ap);
}

/* ---- slots and policy ---- */

static bool memtype_cb(void *ctx, gfn_t gfn, u64 n, enum tdp_memtype *mt)
{
	if (gfn <= UC_GFN && gfn + n > UC_GFN) {
		*mt = MT_UC;
		return n == 1;
	}
	*mt = MT_WB;
	return true;
}

static struct mm_slot *slot_of(struct run *r, gfn_t g)
{
	unsigned int i;

	for (i = 0; i < NR_SLOTS; i++)
		if (mm_slot_contains(&r->slots[i], g))
			return &r->slots[i];
	return NULL;
}

static bool logging(const struct mm_slot *s)
{
	return s && (s->flags & MM_SLOT_DIRTY_LOG);
}

/* The model's own answer to "how large may gfn map" (cf. tdp_max_mapping_level). */
static int m_max_level(const struct mm_slot *s, gfn_t g, int maxl)
{
	int level;

	for (level = maxl; level > 1; level--) {
		u64 n = tdp_level_pages(level);
		gfn_t base = g & ~(n - 1);

		if (base < s->base_gfn || base + n > mm_slot_end(s))
			continue;
		if ((s->host_pfn + (base - s->base_gfn)) % n)
			continue;
		if (base <= UC_GFN && base + n > UC_GFN)
			continue;
		return level;
	}
	return 1;
}

/* ---- the model ---- */

static void m_count(struct run *r, int level, gfn_t base, int delta)
{
	int L;

	r->nleaves += delta;
	for (L = level + 1; L <= 3; L++)
		r->small[L][base >> shift_of(L)] += delta;
}

static void m_add(struct run *r, int level, gfn_t base, u8 w, u8 young)
{
	struct mleaf *l = &r->leaf[level][base >> shift_of(level)];

	if (!l->present)
		m_count(r, level, base, 1);
	*l = (struct mleaf){ 1, w, young };
	mark(r, level, base >> shift_of(level));
}

static void m_del(struct run *r, int level, u64 idx)
{
	struct mleaf *l = &r->leaf[level][idx];

	if (!l->present)
		return;
	*l = (struct mleaf){ 0 };
	m_count(r, level, idx << shift_of(level), -1);
	mark(r, level, idx);
}

/* Changes leaf l (at level, mapping g) in place to w, young. */
static void m_set(struct run *r, struct mleaf *l, int level, gfn_t g, u8 w, u8 young)
{
	if (l->w == w && l->young == young)
		return;
	l->w = w;
	l->young = young;
	mark(r, level, g >> shift_of(level));
}

/* Sets the marker of g: generation + 1, or 0 for none. */
static void m_mmio(struct run *r, gfn_t g, u64 v)
{
	int L, delta = !!v - !!r->mmio[g];

	if (r->mmio[g] == v)
		return;
	r->mmio[g] = v;
	r->nmmio += delta;
	for (L = 2; L <= 3; L++)
		r->msmall[L][g >> shift_of(L)] += delta;
	mark(r, 1, g);
}

/* The leaf mapping g, and its level, or NULL. */
static struct mleaf *m_find(struct run *r, gfn_t g, int *level)
{
	int L;

	for (L = 3; L >= 1; L--) {
		struct mleaf *l = &r->leaf[L][g >> shift_of(L)];

		if (l->present) {
			*level = L;
			return l;
		}
	}
	return NULL;
}

/* Removes every leaf meeting [start, end) (huge ones whole) and the markers. */
static void m_zap(struct run *r, gfn_t start, gfn_t end)
{
	gfn_t g;
	int L;

	end = MIN(end, U);
	if (start >= end)
		return;
	for (L = 3; L >= 1; L--) {
		u64 i, first = start >> shift_of(L), last = (end - 1) >> shift_of(L);

		if (L > 1) {
			for (i = first; i <= last; i++)
				m_del(r, L, i);
			continue;
		}
		for (i = first; i <= last; i++) {
			if (!r->small[2][i >> 9]) {
				i |= 511;	/* no 4K leaf in this 2 MiB region */
				continue;
			}
			m_del(r, 1, i);
		}
	}
	for (g = start; g < end; g++) {
		if (!r->msmall[2][g >> 9]) {
			g |= 511;	/* no marker in this 2 MiB region */
			continue;
		}
		m_mmio(r, g, 0);
	}
}

/* Removes every marker (the generation wrapped). */
static void m_zap_markers(struct run *r)
{
	gfn_t g;

	for (g = 0; g < U && r->nmmio; g++) {
		if (!r->msmall[2][g >> 9]) {
			g |= 511;	/* no marker in this 2 MiB region */
			continue;
		}
		m_mmio(r, g, 0);
	}
}

static void m_split(struct run *r, int level, gfn_t g)
{
	u64 idx = g >> shift_of(level), i, n = tdp_level_pages(level - 1);
	struct mleaf l = r->leaf[level][idx];
	gfn_t base = idx << shift_of(level);

	m_del(r, level, idx);
	for (i = 0; i < SPTE_PER_TABLE; i++)
		m_add(r, level - 1, base + i * n, l.w, l.young);
}


static void d_clr(struct run *r, gfn_t g)
{
	r->dirty[g / 64] &= ~BIT_ULL(g % 64);
}

/* The model's dirty bits of [g, g + 64) as one word. */
static u64 d_word(struct run *r, gfn_t g)
{
	u64 lo = r->dirty[g / 64] >> (g % 64);

	if (g % 64)
		lo |= r->dirty[g / 64 + 1] << (64 - g % 64);
	return lo;
}

static void m_mark_dirty(struct run *r, const struct mm_slot *s, gfn_t g)
{
	if (logging(s))
		r->dirty[g / 64] |= BIT_ULL(g % 64);
}

static bool ring_slot(const struct mm_slot *s)
{
	return logging(s) && s->dirty_harvest == TDP_HARVEST_RING;
}

/* A fault made g writable in logging slot s: logged, in the ring or the bitmap. */
static void m_fault_logs(struct run *r, const struct mm_slot *s, gfn_t g)
{
	m_mark_dirty(r, s, g);
	if (ring_slot(s))
		r->rq[r->rq_tail++ % RING_ENTRIES] = g;
}

/* The expected outcome of tdp_mmu_map(), applied to the model. */
static int m_fault(struct run *r, gfn_t g, u32 acc, int maxl)
{
	struct mm_slot *s = slot_of(r, g);
	struct mleaf *cur;
	int L, lc = 0;
	bool ro;

	if (!s) {
		m_mmio(r, g, (r->gen & SPTE_MMIO_GEN_LOW_MASK) + 1);
		return TDP_FAULT_MMIO;
	}
	ro = s->flags & MM_SLOT_READONLY;
	if ((acc & TDP_ACC_W) && ro)
		return TDP_FAULT_MMIO;
	L = logging(s) ? 1 : m_max_level(s, g, maxl);
	while ((cur = m_find(r, g, &lc)) && lc > L)
		m_split(r, lc, g);
	if (cur && lc == L) {
		bool changed = !cur->young || ((acc & TDP_ACC_W) && !cur->w);

		if ((acc & TDP_ACC_W) && !cur->w)
			m_fault_logs(r, s, g);
		m_set(r, cur, L, g, cur->w || (acc & TDP_ACC_W), 1);
		return changed ? TDP_FAULT_FIXED : TDP_FAULT_SPURIOUS;
	}
	m_zap(r, g & ~(tdp_level_pages(L) - 1),
	      (g & ~(tdp_level_pages(L) - 1)) + tdp_level_pages(L));
	m_add(r, L, g & ~(tdp_level_pages(L) - 1),
	      !ro && (!logging(s) || (acc & TDP_ACC_W)), 1);
	if (!ro && (acc & TDP_ACC_W))
		m_fault_logs(r, s, g);
	return TDP_FAULT_FIXED;
}

/*
 * The expected outcome of tdp_mmu_fast_fault(), applied to the model when
 * it fixes the leaf: it takes the leaf that maps g as it is, unless the
 * slot logs and the leaf is huge, or the access is a write the slot does
 * not allow.  -EAGAIN: the model is unchanged, tdp_mmu_map() follows.
 */
static int m_fast(struct run *r, gfn_t g, u32 acc)
{
	struct mm_slot *s = slot_of(r, g);
	struct mleaf *cur;
	bool write = acc & TDP_ACC_W;
	int lc = 0;

	if (!s || !(cur = m_find(r, g, &lc)) || (logging(s) && lc > 1) ||
	    (write && (s->flags & MM_SLOT_READONLY)))
		return -EAGAIN;
	if (cur->young && (cur->w || !write))
		return TDP_FAULT_SPURIOUS;
	if (write && !cur->w)
		m_fault_logs(r, s, g);
	m_set(r, cur, lc, g, cur->w || write, 1);
	return TDP_FAULT_FIXED;
}

/* The expected outcome of a fault taken as vm/ takes it: fast, else mapped. */
static int m_fault_any(struct run *r, gfn_t g, u32 acc, int maxl, bool fast)
{
	int ret = fast ? m_fast(r, g, acc) : -EAGAIN;

	return ret < 0 ? m_fault(r, g, acc, maxl) : ret;
}

/* ---- comparing ---- */

static enum tdp_memtype m_memtype(gfn_t base, int level)
{
	return base <= UC_GFN && base + tdp_level_pages(level) > UC_GFN ? MT_UC : MT_WB;
}

/* Checks one entry of the MMU against the model; counts leaves and markers. */
static bool check_entry(struct run *r, u64 spte, int level, gfn_t g, u64 *nl, u64 *nm)
{
	const struct spte_format *fmt = r->fmt;
	const struct hw_bits *b = hw_bits_of(fmt);
	struct mm_slot *s;
	struct mleaf *l;

	if (!spte)
		return true;
	if (spte_is_mmio(spte)) {
		(*nm)++;
		if (level != 1 || r->mmio[g] != spte_mmio_gen(spte) + 1)
			return fail(r, "gfn 0x%llx: MMU has an MMIO marker gen %llu, model 0x%llx",
				    (unsigned long long)g, (unsigned long long)spte_mmio_gen(spte),
				    (unsigned long long)r->mmio[g]);
		return true;
	}
	if (!spte_is_present_leaf(fmt, spte, level))
		return fail(r, "gfn 0x%llx level %d: unexpected entry 0x%llx",
			    (unsigned long long)g, level, (unsigned long long)spte);
	(*nl)++;
	l = &r->leaf[level][g >> shift_of(level)];
	s = slot_of(r, g);
	if (!l->present || !s)
		return fail(r, "gfn 0x%llx: MMU maps a level-%d leaf the model has not",
			    (unsigned long long)g, level);
	if (spte_pfn(spte) != mm_slot_gfn_to_pfn(s, g))
		return fail(r, "gfn 0x%llx: expected pfn 0x%llx, seen 0x%llx", (unsigned long long)g,
			    (unsigned long long)mm_slot_gfn_to_pfn(s, g),
			    (unsigned long long)spte_pfn(spte));
	if (spte_is_writable(fmt, spte) != l->w || spte_is_young(fmt, spte) != l->young)
		return fail(r, "gfn 0x%llx level %d: expected w=%u young=%u, seen spte 0x%llx",
			    (unsigned long long)g, level, l->w, l->young,
			    (unsigned long long)spte);
	/* The manuals' encoding (hw_bits.h), not the format table's. */
	if ((spte & b->mt_field) != hw_bits_memtype(b, m_memtype(g, level)))
		return fail(r, "gfn 0x%llx: memory type bits 0x%llx in 0x%llx, expected 0x%llx",
			    (unsigned long long)g, (unsigned long long)(spte & b->mt_field),
			    (unsigned long long)spte,
			    (unsigned long long)hw_bits_memtype(b, m_memtype(g, level)));
	return true;
}

/* Compares the MMU's entries meeting [start, end) with the model. */
static bool check_walk(struct run *r, gfn_t start, gfn_t end, u64 *nl, u64 *nm)
{
	struct tdp_iter it;

	for_each_tdp_pte(it, r->fmt, r->v.root->pt, r->v.root->level, start, end) {
		if (spte_is_table(r->fmt, it.old_spte, it.level))
			continue;
		if (it.gfn + tdp_level_pages(it.level) > U && it.old_spte)
			return fail(r, "gfn 0x%llx: entry outside guest memory",
				    (unsigned long long)it.gfn);
		if (!check_entry(r, it.old_spte, it.level, it.gfn, nl, nm))
			return false;
	}
	return true;
}

/*
 * Counts the tree's leaves and markers in guest memory against the model.
 * Nothing can stand beyond it unseen: the scan after each step fails on any
 * entry that changed outside guest memory, and every entry changed once.
 */
static bool check_all(struct run *r)
{
	u64 nl = 0, nm = 0;

	if (!check_walk(r, 0, U, &nl, &nm))
		return false;
	if (nl != r->nleaves || nm != r->nmmio)
		return fail(r, "whole tree: expected %llu leaves %llu markers, seen %llu, %llu",
			    (unsigned long long)r->nleaves, (unsigned long long)r->nmmio,
			    (unsigned long long)nl, (unsigned long long)nm);
	return true;
}

/* Does the model hold a leaf or a marker at or below (level, idx)? */
static bool m_anything(struct run *r, int level, u64 idx)
{
	if (idx >= nr_entries(level))
		return false;
	if (level == 1)
		return r->leaf[1][idx].present || r->mmio[idx];
	if (level <= 3)
		return r->leaf[level][idx].present || r->small[level][idx] ||
		       r->msmall[level][idx];
	return r->nleaves || r->nmmio;	/* U lies inside entry 0 */
}

/*
 * Compares position (level, idx) with the model: the tree's entry there, or
 * the leaf or hole above it that the walk stops at.  A table must stand
 * where the model has no leaf; a hole where it has nothing at or below; a
 * leaf or marker must be the model's (check_entry()).
 */
static bool check_at(struct run *r, int level, u64 idx)
{
	gfn_t g = idx << shift_of(level), base;
	u64 *pt = r->v.root->pt, spte, nl = 0, nm = 0;
	int at;

	/*
	 * The tree's own walk, table by table (the iterator is tested
	 * elsewhere).  Marks come in runs inside one 4K table: it is found once.
	 */
	at = r->v.root->level;
	if (level == 1 && r->last_pt && r->last_region == g >> 9) {
		pt = r->last_pt;
		at = 1;
	}
	for (;; at--) {
		spte = pt[tdp_level_index(g, at)];
		if (at == level || !spte_is_table(r->fmt, spte, at))
			break;
		pt = mm_phys_to_virt(spte_hpa(spte));
		if (at == 2) {
			r->last_pt = pt;
			r->last_region = g >> 9;
		}
	}
	base = tdp_level_base(g, at);
	if (spte_is_table(r->fmt, spte, at)) {
		if (at <= 3 && r->leaf[at][base >> shift_of(at)].present)
			return fail(r, "gfn 0x%llx: MMU has a table at level %d, the model a leaf",
				    (unsigned long long)base, at);
		return true;
	}
	if (!spte) {
		if (m_anything(r, at, base >> shift_of(at)))
			return fail(r, "gfn 0x%llx: MMU has nothing at level %d, the model has",
				    (unsigned long long)base, at);
		return true;
	}
	if (base + tdp_level_pages(at) > U)
		return fail(r, "gfn 0x%llx: entry outside guest memory", (unsigned long long)base);
	return check_entry(r, spte, at, base, &nl, &nm);
}

/*
 * Forgets the shadow of the table at (level, t) and of every table below it.
 * Only a used shadow table can hold anything, and only below an entry its
 * parent's shadow holds as a table (scan_table() fills a child's shadow
 * only below such an entry, and forgets the child when the entry changes):
 * so the walk costs what the shadow holds, not all 2 MiB of it.
 */
static void shadow_forget(struct run *r, int level, u64 t)
{
	u64 *kids;
	unsigned int w;

	if (t >= r->ntables[level] || !r->sh_used[level][t])
		return;
	r->sh_used[level][t] = 0;
	kids = level > 1 ? r->sh_kids[level] + t * KID_WORDS : NULL;
	for (w = 0; kids && w < KID_WORDS; w++)
		for (; kids[w]; kids[w] &= kids[w] - 1)
			shadow_forget(r, level - 1, t * SPTE_PER_TABLE + w * 64 +
				      __builtin_ctzll(kids[w]));
	memset(r->shadow[level] + t * SPTE_PER_TABLE, 0, PAGE_SIZE);
}

/*
 * Reads the table pt (entries at level, mapping from base) and the tables
 * below it, compares each with its shadow, marks what differs and updates
 * the shadow.  Returns false (failed) for anything outside guest memory.
 */
static bool scan_table(struct run *r, u64 *pt, int level, gfn_t base)
{
	u64 t = base >> shift_of(level + 1), *sh, *kids = NULL, bits;
	unsigned int i, w;

	if (t >= r->ntables[level])
		return fail(r, "a level-%d table at gfn 0x%llx, outside guest memory", level,
			    (unsigned long long)base);
	sh = r->shadow[level] + t * SPTE_PER_TABLE;
	if (level > 1)
		kids = r->sh_kids[level] + t * KID_WORDS;
	for (i = memcmp(pt, sh, PAGE_SIZE) ? 0 : SPTE_PER_TABLE; i < SPTE_PER_TABLE; i++) {
		gfn_t g = base + i * tdp_level_pages(level);

		if (pt[i] == sh[i])
			continue;
		if (g >= U)
			return fail(r, "gfn 0x%llx level %d: entry 0x%llx outside guest memory",
				    (unsigned long long)g, level, (unsigned long long)pt[i]);
		if (level > 1) {
			shadow_forget(r, level - 1, g >> shift_of(level));
			if (tdp_spte_to_child(r->fmt, pt[i], level))
				kids[i / 64] |= BIT_ULL(i % 64);
			else
				kids[i / 64] &= ~BIT_ULL(i % 64);
		}
		sh[i] = pt[i];
		r->sh_used[level][t] = 1;
		mark(r, level, g >> shift_of(level));
	}
	/* The shadow is the table now: its tables are the kids. */
	for (w = 0; kids && w < KID_WORDS; w++) {
		for (bits = kids[w]; bits; bits &= bits - 1) {
			i = w * 64 + __builtin_ctzll(bits);
			if (!scan_table(r, tdp_spte_to_child(r->fmt, pt[i], level), level - 1,
					base + i * tdp_level_pages(level)))
				return false;
		}
	}
	return true;
}

/*
 * The comparison after every step: reads the whole tree against its shadow,
 * then compares every position that the tree or the model changed.
 */
static bool check_changes(struct run *r)
{
	bool ok = scan_table(r, r->v.root->pt, r->v.root->level, 0);
	u64 i;

	r->last_pt = NULL;
	for (i = 0; i < r->nmarks; i++) {
		int level = r->marks[i] >> 56;
		u64 idx = r->marks[i] & GENMASK_ULL(55, 0);

		r->marked[level][idx] = 0;
		if (ok && !check_at(r, level, idx))
			ok = false;
	}
	r->nmarks = 0;
	return ok;
}

/*
 * After every operation: no vCPU's TLB (fake_arch.h) still holds a
 * translation that the tree no longer grants, since every operation that
 * takes a right away flushes before it returns.
 */
static bool check_tlbs(struct run *r)
{
	char msg[200];
	unsigned int cpu;

	for (cpu = 0; cpu < MODEL_CPUS; cpu++)
		if (!fake_tlb_check(cpu, &r->mmu, r->v.root, msg, sizeof(msg)))
			return fail(r, "%s", msg);
	return true;
}

/* Every page the fake arch handed out is a table, a cached page or retired. */
static bool check_pages(struct run *r)
{
	u64 used = fake_pages_in_use() - r->base_pages;
	u64 expect = stat_read(&r->mmu.stats.tables) + r->v.nr_cache;

	/* One thread: every compare-and-exchange of the MMU meets what it read. */
	if (stat_read(&r->mmu.stats.retries))
		return fail(r, "%llu compare-and-exchange retries with nothing racing",
			    (unsigned long long)stat_read(&r->mmu.stats.retries));
	if (used != expect)
		return fail(r, "page accounting: %llu pages allocated, expected %llu (tables %llu retired %llu)",
			    (unsigned long long)used, (unsigned long long)expect,
			    (unsigned long long)stat_read(&r->mmu.stats.tables),
			    (unsigned long long)stat_read(&r->mmu.stats.tables_retired));
	return true;
}

/* ---- operations ---- */

static gfn_t pick_gfn(struct run *r)
{
	u64 x = next(r);

	switch (x % 10) {
	case 0: case 1: case 2: case 3:
		return (x >> 8) % 0x1000;
	case 4:
		return (x >> 8) % 0x40000;
	case 5: case 6:
		return 0x40037 + (x >> 8) % 0x23c9;
	case 7:
		return 0x42800 + (x >> 8) % 0x800;
	case 8:
		return (x & 0x100) ? 0x42400 + (x >> 9) % 0x400 : 0x43000 + (x >> 9) % 0x1000;
	default:
		return UC_GFN - 700 + (x >> 8) % 1400;
	}
}

static bool op_fault(struct run *r)
{
	gfn_t g = pick_gfn(r);
	u64 x = next(r);
	u32 acc = (x & 1 ? TDP_ACC_W : 0) | TDP_ACC_R | (x & 2 ? TDP_ACC_X : 0);
	int maxl = 1 + (x >> 2) % 3, expect, got;
	bool fast = x & 16;
	struct tdp_fault f = { .gfn = g, .access = acc, .slot = slot_of(r, g),
			       .policy = r->policy };

	f.policy.max_level = maxl;
	note(r, "fault gfn 0x%llx acc %u max %d%s", (unsigned long long)g, acc, maxl,
	     fast ? " fast" : "");
	if (fast) {
		expect = m_fast(r, g, acc);
		got = tdp_mmu_fast_fault(&r->v, &f);
		if (got != expect)
			return fail(r, "fast fault gfn 0x%llx acc %u: expected result %d, seen %d",
				    (unsigned long long)g, acc, expect, got);
		if (got >= 0)
			return true;
	}
	expect = m_fault(r, g, acc, maxl);
	got = tdp_mmu_map(&r->v, &f);
	if (got != expect)
		return fail(r, "fault gfn 0x%llx acc %u max %d: expected result %d, seen %d",
			    (unsigned long long)g, acc, maxl, expect, got);
	return true;
}

/*
 * A GFN the page-modification log hands to the MMU: the MMU logs it in the
 * PML-mode slot that holds it (tdp_dirty_log_mark()), and so does the
 * model.  It may have been written before the page was last cleared: the
 * next harvest reports it all the same, as with VMX.
 */
static void model_pml_seen(void *ctx, gfn_t g)
{
	struct run *r = ctx;
	struct mm_slot *s = g < U ? slot_of(r, g) : NULL;

	if (logging(s) && s->dirty_mode == TDP_DIRTY_PML)
		r->dirty[g / 64] |= BIT_ULL(g % 64);
}

/* The MMU's flush_dirty_logs hook: the vendor drains the vCPU's log. */
static void model_flush_dirty_logs(struct tdp_mmu *mmu)
{
	struct run *r = mmu->priv;

	hw_pml_drain(&r->pml, model_pml_seen, r);
}

/* A guest access through the hardware stand-in, faulting as needed. */
static bool op_access(struct run *r)
{
	gfn_t g = pick_gfn(r);
	u64 x = next(r);
	bool write = x & 1, fast = x & 2;
	struct mm_slot *s = slot_of(r, g);
	struct mleaf *cur;
	int tries, lc = 0;
	pfn_t pfn = 0;

	note(r, "access gfn 0x%llx %s%s", (unsigned long long)g, write ? "write" : "read",
	     fast ? " fast" : "");
	if (!s || (write && (s->flags & MM_SLOT_READONLY)))
		m_fault_any(r, g, write ? TDP_ACC_W : TDP_ACC_R, 3, fast);
	else {
		cur = m_find(r, g, &lc);
		if (!cur || !(cur->young || (r->fmt->flags & SPTE_FMT_AD)) || (write && !cur->w))
			m_fault_any(r, g, write ? TDP_ACC_W : TDP_ACC_R, 3, fast);
		cur = m_find(r, g, &lc);
		m_set(r, cur, lc, g, cur->w, 1);
		if (write)
			m_mark_dirty(r, s, g);
	}
	for (tries = 0; tries < 3;) {
		struct tdp_fault f = { .gfn = g, .slot = s, .policy = r->policy,
				       .access = write ? TDP_ACC_W : TDP_ACC_R };
		enum hw_result hr;
		int ret;

		tdp_vcpu_read_lock(&r->v);
		hr = hw_access_cpu(&r->mmu, r->step % MODEL_CPUS, r->v.root, g, write, &pfn,
				   &r->pml);
		if (hr == HW_PML_FULL)		/* the "log full" exit */
			hw_pml_drain(&r->pml, model_pml_seen, r);
		tdp_vcpu_read_unlock(&r->v);
		if (hr == HW_PML_FULL)
			continue;
		if (hr == HW_OK) {
			if (!s || pfn != mm_slot_gfn_to_pfn(s, g))
				return fail(r, "access gfn 0x%llx reached pfn 0x%llx",
					    (unsigned long long)g, (unsigned long long)pfn);
			return true;
		}
		tries++;
		if (tdp_mmu_is_mmio_fault(&r->v, g))
			break;
		ret = fast ? tdp_mmu_fast_fault(&r->v, &f) : -EAGAIN;
		if (ret < 0)
			ret = tdp_mmu_map(&r->v, &f);
		if (ret == TDP_FAULT_MMIO)
			break;
		if (ret != TDP_FAULT_FIXED)
			return fail(r, "access gfn 0x%llx: fault returned %d", (unsigned long long)g, ret);
	}
	if (tries == 3 || (s && !(write && (s->flags & MM_SLOT_READONLY))))
		return fail(r, "access gfn 0x%llx: still faults", (unsigned long long)g);
	return true;
}

static bool op_zap(struct run *r)
{
	gfn_t start = pick_gfn(r);
	u64 x = next(r), len = x % 20 < 14 ? 1 + (x >> 8) % 64 :
			       x % 20 < 19 ? (x >> 8) % 4096 : (x >> 8) % (U + 0x4000);

	note(r, "zap [0x%llx, 0x%llx)", (unsigned long long)start,
	     (unsigned long long)(start + len));
	m_zap(r, start, start + len);
	tdp_mmu_zap_range(&r->v, start, start + len);
	return true;
}

static bool op_age(struct run *r)
{
	gfn_t start = pick_gfn(r), g, end;
	u64 len = 1 + next(r) % 2048, n, want = 0;
	int lc;

	end = MIN(start + len, U);
	note(r, "age [0x%llx, 0x%llx)", (unsigned long long)start, (unsigned long long)end);
	memset(r->young, 0, sizeof(r->young));
	n = tdp_mmu_age_range(&r->v, start, end, r->young);
	for (g = start; g < end; g++) {
		struct mleaf *l = m_find(r, g, &lc);
		bool young = l && l->young;
		bool seen = r->young[(g - start) / 64] & BIT_ULL((g - start) % 64);

		want += young;
		if (young != seen)
			return fail(r, "age: gfn 0x%llx expected young=%d, seen %d",
				    (unsigned long long)g, young, seen);
	}
	if (n != want)
		return fail(r, "age: expected %llu young pages, counted %llu",
			    (unsigned long long)want, (unsigned long long)n);
	for (g = start; g < end; g++) {
		struct mleaf *l = m_find(r, g, &lc);

		if (l)
			m_set(r, l, lc, g, l->w, 0);
	}
	return true;
}

/* What re-protecting page g does to its leaf in the model. */
static void m_protect(struct run *r, struct mm_slot *s, gfn_t g)
{
	int lc;
	struct mleaf *l = m_find(r, g, &lc);

	if (l && (s->dirty_mode == TDP_DIRTY_WP || lc > 1))
		m_set(r, l, lc, g, 0, l->young);
}

/* Splits (eager) and protects every leaf of s, as enabling logging does. */
static void m_enable(struct run *r, struct mm_slot *s, bool eager)
{
	gfn_t end = mm_slot_end(s), g;
	int L;

	for (L = 3; L >= 2 && eager; L--)
		for (g = s->base_gfn >> shift_of(L); g <= (end - 1) >> shift_of(L); g++)
			if (r->leaf[L][g].present)
				m_split(r, L, g << shift_of(L));
	for (L = 3; L >= 2; L--)
		for (g = s->base_gfn >> shift_of(L); g <= (end - 1) >> shift_of(L); g++)
			if (r->leaf[L][g].present)
				m_set(r, &r->leaf[L][g], L, g << shift_of(L), 0,
				      r->leaf[L][g].young);
	for (g = s->base_gfn; g < end; g++) {
		if (g % 64 == 0 && g + 64 <= end) {
			r->dirty[g / 64] = 0;
			g += 63;
		} else {
			d_clr(r, g);
		}
	}
	for (g = s->base_gfn; s->dirty_mode == TDP_DIRTY_WP && g < end; g++) {
		if (!r->small[2][g >> 9]) {
			g |= 511;	/* no 4K leaf in this 2 MiB region */
			continue;
		}
		if (r->leaf[1][g].present)
			m_set(r, &r->leaf[1][g], 1, g, 0, r->leaf[1][g].young);
	}
}

/* The 4K leaves that eagerly splitting the huge leaves of s would make. */
static u64 m_eager_leaves(struct run *r, const struct mm_slot *s)
{
	gfn_t end = mm_slot_end(s), g;
	u64 n = 0;
	int L;

	for (L = 3; L >= 2; L--)
		for (g = s->base_gfn >> shift_of(L); g <= (end - 1) >> shift_of(L); g++)
			if (r->leaf[L][g].present)
				n += tdp_level_pages(L);
	return n;
}

static bool op_enable(struct run *r, struct mm_slot *s)
{
	static const enum tdp_dirty_mode modes[3] = {
		TDP_DIRTY_WP, TDP_DIRTY_DBIT, TDP_DIRTY_PML,
	};
	u64 x = next(r);
	enum tdp_dirty_mode mode = modes[x % 3];
	/* Not too often: eagerly splitting a 1 GiB leaf makes 2^18 leaves. */
	u32 flags = (x >> 2) % 4 == 0 ? TDP_DIRTY_EAGER_SPLIT : 0;
	int expect = 0, got;

	if (flags && r->cfg->max_eager_leaves &&
	    m_eager_leaves(r, s) > r->cfg->max_eager_leaves)
		flags = 0;
	if (mode == TDP_DIRTY_WP && (x >> 4) % 2 == 0)
		flags |= TDP_DIRTY_RING;

	note(r, "enable slot %u mode %d flags %u", s->id, mode, flags);
	if (mode != TDP_DIRTY_WP && !(r->fmt->flags & SPTE_FMT_AD))
		expect = -EOPNOTSUPP;
	else if (logging(s))
		expect = -EBUSY;
	got = tdp_dirty_log_enable(&r->v, s, mode, flags);
	if (got != expect)
		return fail(r, "enable slot %u: expected %d, seen %d", s->id, expect, got);
	if (expect)
		return true;
	m_enable(r, s, flags & TDP_DIRTY_EAGER_SPLIT);
	return true;
}

/*
 * Huge-page recovery in place, as disabling logging does it: if the 512
 * entries below the level-L range at base are all leaves, they become one
 * leaf, writable if all were, young if one was.  Otherwise nothing
 * changes.
 */
static void m_recover(struct run *r, int level, gfn_t base)
{
	u64 first = base >> shift_of(level - 1), i;
	u8 w = 1, young = 0;

	if (r->small[level][base >> shift_of(level)] == 0)
		return;
	for (i = 0; i < SPTE_PER_TABLE; i++) {
		struct mleaf *l = &r->leaf[level - 1][first + i];

		if (!l->present)
			return;
		w &= l->w;
		young |= l->young;
	}
	for (i = 0; i < SPTE_PER_TABLE; i++)
		m_del(r, level - 1, first + i);
	m_add(r, level, base, w, young);
}

static bool op_disable(struct run *r, struct mm_slot *s)
{
	int maxl = 1 + next(r) % 3, L, expect = logging(s) ? 0 : -EINVAL, got;
	struct tdp_huge_policy p = r->policy;

	p.max_level = maxl;
	note(r, "disable slot %u max %d", s->id, maxl);
	got = tdp_dirty_log_disable(&r->v, s, &p);
	if (got != expect)
		return fail(r, "disable slot %u: expected %d, seen %d", s->id, expect, got);
	for (L = 2; L <= 3 && !expect; L++) {
		u64 n = tdp_level_pages(L);
		gfn_t b;

		for (b = ALIGN_UP(s->base_gfn, n); b + n <= mm_slot_end(s); b += n)
			if (m_max_level(s, b, maxl) >= L)
				m_recover(r, L, b);
	}
	return true;
}

static bool op_get(struct run *r, struct mm_slot *s)
{
	bool clear = next(r) & 1;
	u64 i;
	int got;

	note(r, "get slot %u clear %d", s->id, clear);
	got = tdp_dirty_log_get(&r->v, s, r->out, clear);
	if (got != (logging(s) && !ring_slot(s) ? 0 : -EINVAL))
		return fail(r, "get slot %u: returned %d", s->id, got);
	if (got)
		return true;
	for (i = 0; i * 64 < s->npages; i++) {
		u64 want = d_word(r, s->base_gfn + i * 64), seen = r->out[i];

		if (s->npages - i * 64 < 64)
			want &= BIT_ULL(s->npages - i * 64) - 1;
		if (seen != want)
			return fail(r, "get slot %u: pages %llu..+63 expected dirty 0x%016llx, seen 0x%016llx",
				    s->id, (unsigned long long)(i * 64),
				    (unsigned long long)want, (unsigned long long)seen);
		for (; clear && want; want &= want - 1) {
			gfn_t g = s->base_gfn + i * 64 + __builtin_ctzll(want);

			d_clr(r, g);
			m_protect(r, s, g);
		}
	}
	return true;
}

static bool op_clear(struct run *r, struct mm_slot *s)
{
	u64 first = (next(r) % s->npages) & ~63ULL, n, i, mask[16];
	int got;

	n = 1 + next(r) % 1024;
	n = MIN(n, s->npages - first);
	for (i = 0; i < 16; i++)
		mask[i] = next(r) % 4 == 0 ? ~0ULL : next(r);
	note(r, "clear slot %u [%llu, +%llu)", s->id, (unsigned long long)first,
	     (unsigned long long)n);
	got = tdp_dirty_log_clear(&r->v, s, first, n, mask);
	if (got != (logging(s) && !ring_slot(s) ? 0 : -EINVAL))
		return fail(r, "clear slot %u: returned %d", s->id, got);
	if (got)
		return true;
	for (i = 0; i < n; i++) {
		gfn_t g = s->base_gfn + first + i;

		if (!(mask[i / 64] & BIT_ULL(i % 64)))
			continue;
		d_clr(r, g);
		m_protect(r, s, g);
	}
	return true;
}

/*
 * Harvests up to max entries of the vCPU's dirty ring: they must be the
 * model's oldest, in order; each 4K leaf among them is write-protected (a
 * huge one is left: logging maps none writable).
 */
static bool ring_harvest(struct run *r, u64 max)
{
	gfn_t out[RING_ENTRIES];
	long got, i;
	int lc;

	note(r, "ring harvest max %llu", (unsigned long long)max);
	got = tdp_dirty_ring_harvest(&r->v, &r->v, out, max);
	if (got != (long)MIN(max, r->rq_tail - r->rq_head))
		return fail(r, "ring harvest max %llu: expected %llu entries, seen %ld",
			    (unsigned long long)max,
			    (unsigned long long)MIN(max, r->rq_tail - r->rq_head), got);
	for (i = 0; i < got; i++) {
		gfn_t g = r->rq[r->rq_head++ % RING_ENTRIES];
		struct mleaf *l = m_find(r, g, &lc);

		if (out[i] != g)
			return fail(r, "ring harvest: entry %ld expected gfn 0x%llx, seen 0x%llx", i,
				    (unsigned long long)g, (unsigned long long)out[i]);
		if (l && lc == 1)
			m_set(r, l, 1, g, 0, l->young);
	}
	return true;
}

static bool op_ring_harvest(struct run *r)
{
	return ring_harvest(r, 1 + next(r) % (RING_ENTRIES / 2));
}

static bool op_invalidate(struct run *r)
{
	note(r, "invalidate roots");
	tdp_mmu_invalidate_roots(&r->mmu);
	if (tdp_vcpu_load_root(&r->v))
		return fail(r, "load_root failed");
	m_zap(r, 0, U);
	return check_all(r);
}

/*
 * A generation bump; one in eight first moves the generation (MMU and
 * model alike) to a few bumps before its low SPTE_MMIO_GEN_BITS wrap, as
 * if that many slot changes had passed.  At the wrap every marker goes.
 */
static bool op_gen_bump(struct run *r)
{
	u64 x = next(r);

	if (x % 8 == 0) {
		r->gen = MAX(r->gen, (r->gen | SPTE_MMIO_GEN_LOW_MASK) - (x >> 3) % 3);
		__atomic_store_n(&r->mmu.mmio_gen, r->gen, __ATOMIC_RELEASE);
		note(r, "mmio generation set to 0x%llx", (unsigned long long)r->gen);
		return true;
	}
	note(r, "mmio generation bump");
	tdp_mmu_mmio_gen_bump(&r->mmu);
	if (!(++r->gen & SPTE_MMIO_GEN_LOW_MASK))
		m_zap_markers(r);
	return true;
}

static bool step(struct run *r)
{
	u64 x = next(r) % 1000;
	struct mm_slot *s = &r->slots[(x >> 1) & 1];

	/* A vCPU at its ring's soft limit is stopped until the ring is harvested. */
	if (tdp_dirty_ring_check(&r->v)) {
		if (r->rq_tail - r->rq_head < RING_ENTRIES - TDP_DIRTY_RING_RESERVE)
			return fail(r, "ring check: full at %llu entries",
				    (unsigned long long)(r->rq_tail - r->rq_head));
		return ring_harvest(r, RING_ENTRIES);
	}

	if (x < 350)
		return op_access(r);
	if (x < 600)
		return op_fault(r);
	if (x < 700)
		return op_zap(r);
	if (x < 760)
		return op_age(r);
	if (x < 790)
		return op_enable(r, s);
	if (x < 815)
		return op_disable(r, s);
	if (x < 880)
		return op_get(r, s);
	if (x < 940)
		return op_clear(r, s);
	if (x < 945)
		return op_gen_bump(r);
	if (x < 947)
		return op_invalidate(r);
	if (x < 965)
		return op_ring_harvest(r);
	return op_access(r);
}

/* ---- setup and the run ---- */

static void model_flush(struct tdp_mmu *mmu)
{
	fake_tlb_flush(mmu);
}

static const struct tdp_mmu_ops model_ops = {
	.flush_tlbs = model_flush, .flush_dirty_logs = model_flush_dirty_logs,
};

/*
 * The arrays of a run, all zero.  Guest memory fits one level-4 entry, so
 * the table positions of each level are the same for either root depth.
 */
static struct run *run_alloc(void)
{
	struct run *r = calloc(1, sizeof(*r));
	int L;

	if (!r)
		abort();
	for (L = 1; L <= 3; L++) {
		r->leaf[L] = calloc((U >> shift_of(L)) + 1, sizeof(struct mleaf));
		r->small[L] = calloc((U >> shift_of(L)) + 1, sizeof(u32));
		r->msmall[L] = calloc((U >> shift_of(L)) + 1, sizeof(u32));
		if (!r->leaf[L] || !r->small[L] || !r->msmall[L])
			abort();
	}
	for (L = 1; L <= ROOT_MAX; L++) {
		r->ntables[L] = L < ROOT_MAX ? nr_entries(L + 1) : 1;
		r->shadow[L] = calloc(r->ntables[L] * SPTE_PER_TABLE, sizeof(u64));
		r->marked[L] = calloc(nr_entries(L), 1);
		r->sh_used[L] = calloc(r->ntables[L], 1);
		r->sh_kids[L] = calloc(r->ntables[L] * KID_WORDS, sizeof(u64));
		if (!r->shadow[L] || !r->marked[L] || !r->sh_used[L] || !r->sh_kids[L])
			abort();
	}
	r->mmio = calloc(U, sizeof(u64));
	r->dirty = calloc(U / 64 + 2, sizeof(u64));
	if (!r->mmio || !r->dirty)
		abort();
	return r;
}

/*
 * Puts the arrays back to all zero by undoing what the run set: the model
 * zaps all guest memory (its counts lead it to every leaf and marker), the
 * marks and the shadow are cleared where they are set.  Costs what the run
 * left behind, not the 7 MiB.
 */
static void run_clean(struct run *r)
{
	u64 i;

	m_zap(r, 0, U);
	BUG_ON(r->nleaves || r->nmmio);
	for (i = 0; i < r->nmarks; i++)
		r->marked[r->marks[i] >> 56][r->marks[i] & GENMASK_ULL(55, 0)] = 0;
	r->nmarks = 0;
	memset(r->dirty, 0, (U / 64 + 2) * sizeof(u64));
	shadow_forget(r, r->cfg->root_level, 0);
}

static bool setup(struct run *r)
{
	static const struct mm_slot slots[NR_SLOTS] = {
		{ .base_gfn = 0, .npages = 0x40000, .host_pfn = 0x200000, .id = 0 },
		{ .base_gfn = 0x40037, .npages = 0x42400 - 0x40037, .host_pfn = 0x300037, .id = 1 },
		{ .base_gfn = 0x42800, .npages = 0x800, .host_pfn = 0x400801, .id = 2,
		  .flags = MM_SLOT_READONLY },
	};

	memcpy(r->slots, slots, sizeof(slots));
	r->policy = (struct tdp_huge_policy){ .memtype = memtype_cb };
	r->base_pages = fake_pages_in_use();
	r->base_bitmap = fake_bitmap_in_use();
	if (tdp_mmu_init(&r->mmu, r->cfg->fmt, r->cfg->root_level, &model_ops, r) ||
	    tdp_vcpu_init(&r->v, &r->mmu, 0) || tdp_vcpu_load_root(&r->v) ||
	    tdp_dirty_ring_init(&r->v, RING_ENTRIES))
		return fail(r, "setup failed");
	hw_pml_init(&r->pml, &r->mmu);
	return true;
}

static void teardown(struct run *r)
{
	int i;

	for (i = 0; i < NR_SLOTS; i++)
		if (logging(&r->slots[i]))
			tdp_dirty_log_disable(&r->v, &r->slots[i], NULL);
	tdp_vcpu_destroy(&r->v);
	tdp_mmu_destroy(&r->mmu);
	fake_tlb_forget(&r->mmu);
	if (fake_pages_in_use() != r->base_pages || fake_bitmap_in_use() != r->base_bitmap)
		fail(r, "leak: %lld table pages and %lld bitmap bytes not returned",
		     (long long)(fake_pages_in_use() - r->base_pages),
		     (long long)(fake_bitmap_in_use() - r->base_bitmap));
}

/*
 * One run keeps its arrays for the next (model_run() is not reentrant), so
 * that a short run, as the fuzzer's, costs what its operations cost.
 */
int model_run(const struct model_cfg *cfg, struct model_result *res)
{
	static struct run *r;
	u32 every = cfg->full_check_every ? cfg->full_check_every : 1000;

	if (!r)
		r = run_alloc();
	memset(r, 0, offsetof(struct run, leaf));
	memset(res, 0, sizeof(*res));
	r->cfg = cfg;
	r->fmt = cfg->fmt;
	r->res = res;
	r->rng = cfg->seed;
	if (setup(r)) {
		for (r->step = 1; r->step <= cfg->nr_ops; r->step++) {
			bool ok = step(r) && check_pages(r) && check_tlbs(r) && check_changes(r);

			if (r->exhausted)
				break;
			if (!ok || (r->step % every == 0 && !check_all(r)))
				break;
			res->ops = r->step;
		}
		if (!res->failed_at) {
			r->step = res->ops + 1;
			check_all(r);
		}
	}
	r->step = res->ops + 1;
	teardown(r);
	run_clean(r);
	return res->failed_at ? -1 : 0;
}

u64 model_shortest_failing_prefix(const struct model_cfg *cfg, u64 failed_at)
{
	struct model_cfg c = *cfg;
	struct model_result res;
	u64 lo = 1, hi = failed_at;	/* hi fails */

	c.full_check_every = ~0U;
	while (lo < hi) {
		u64 mid = lo + (hi - lo) / 2;

		c.nr_ops = mid;
		if (model_run(&c, &res))
			hi = mid;
		else
			lo = mid + 1;
	}
	return hi;
}
