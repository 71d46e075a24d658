// SPDX-License-Identifier: MIT
/*
 * The guest page-table walker (include/vm/gwalk.h).  A walk goes from the
 * top level down, entry by entry: present, reserved bits, then the rights
 * every level grants (U/S, R/W, XD) are ANDed together.  At the leaf the
 * access is checked against them, and only then are the accessed and
 * dirty bits set, top down, each by compare-and-exchange: an entry the
 * guest changed meanwhile restarts the walk from CR3.
 *
 *   level   32-bit      PAE              4-level   5-level
 *     5                                            PML5E la[56:48]
 *     4                                  PML4E     PML4E la[47:39]
 *     3                 PDPTE la[31:30]  PDPTE     PDPTE la[38:30]  1G leaf
 *     2     PDE [31:22] PDE   la[29:21]  PDE       PDE   la[29:21]  2M/4M leaf
 *     1     PTE [21:12] PTE   la[20:12]  PTE       PTE   la[20:12]
 */
#include "vm/gwalk.h"
#include "compiler.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "arch/trapnr.h"

#define PTE_P BIT_ULL(0)
#define PTE_RW BIT_ULL(1)
#define PTE_US BIT_ULL(2)
#define PTE_A BIT_ULL(5)
#define PTE_D BIT_ULL(6)
#define PTE_PS BIT_ULL(7)
#define PTE_XD BIT_ULL(63)

/* PAE's PDPTEs: P and the cache bits (3, 4); bits 2:1 and 8:5 reserved. */
#define PDPTE_RSVD (GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5))
/* 32-bit paging's CR3 and table addresses; PAE's CR3. */
#define ADDR32_MASK 0xfffff000ULL
#define PAE_CR3_MASK 0xffffffe0ULL
/* A 32-bit 4 MiB PDE: address bits 31:22, and 39:32 from PDE bits 20:13. */
#define PDE4M_LOW_MASK 0xffc00000ULL
#define PDE4M_HIGH_SHIFT 13
#define PDE4M_RSVD_BIT BIT_ULL(21)

/* A level-1 entry maps 4 KiB: the index bits start above the page offset. */
#define LEVEL1_SHIFT 12

/* Walks that lose a compare-and-exchange to the guest before giving up. */
#define GWALK_TRIES 4

/* One walk: the mode's shape, the entries read, the rights they grant. */
struct walk {
	const struct gwalk_regs *r;
	const struct gwalk_mem *m;
	u64 la;
	u32 access;
	u8 levels;		/* of the loop: PAE's PDPTE is read before it */
	u8 bits;		/* index bits per level: 10 (32-bit) or 9 */
	u8 size;		/* entry bytes: 4 (32-bit) or 8 */
	bool ia32e;		/* 4- or 5-level */
	bool nx;		/* XD bits are used: 8-byte entries and EFER.NXE */
	u8 leaf;		/* the level that mapped the page */
	bool user, writable, exec;	/* granted by every level so far */
	u64 pte[5];		/* by level - 1 */
	gpa_t pte_gpa[5];
};

static unsigned int maxphy(const struct walk *w)
{
	unsigned int m = w->r->maxphyaddr;

	return m < 32 ? 32 : m > 52 ? 52 : m;
}

/* Bits M-1..low of an entry: a table's or a page's address. */
static u64 addr_bits(const struct walk *w, unsigned int low)
{
	return GENMASK_ULL(maxphy(w) - 1, low);
}

static bool user_access(const struct walk *w)
{
	return w->r->cpl == 3 && !(w->access & GWALK_IMPLICIT);
}

/* The error code of a fault the access raises, with flags (P, RSVD). */
static enum gwalk_status fault(const struct walk *w, struct gwalk *out, u32 flags)
{
	u32 err = flags;

	if (w->access & GWALK_WRITE)
		err |= PF_ERR_W;
	if (user_access(w))
		err |= PF_ERR_U;
	/* I/D says "fetch" only where fetches can fault for it: SMEP or NX. */
	if ((w->access & GWALK_FETCH) && ((w->r->cr4 & X86_CR4_SMEP) || w->nx))
		err |= PF_ERR_I;
	out->error = err;
	return GWALK_PAGE_FAULT;
}

/* Whether a present entry at level maps the page itself. */
static bool is_leaf(const struct walk *w, unsigned int level, u64 e)
{
	if (level == 1)
		return true;
	if (!(e & PTE_PS))
		return false;
	if (level == 2)		/* 32-bit paging honours PS only with CR4.PSE */
		return w->size == 8 || (w->r->cr4 & X86_CR4_PSE);
	return level == 3 && w->ia32e;	/* higher: PS is reserved */
}

/* The bits of a present entry that must be clear (leaf: is_leaf()). */
static u64 rsvd_bits(const struct walk *w, unsigned int level, bool leaf)
{
	unsigned int m = maxphy(w);
	u64 rsvd;

	if (w->size == 4) {
		/* Only a 4 MiB PDE has any: bit 21, and address bits past
		 * MAXPHYADDR (PSE-36 gives at most 40 bits). */
		if (!leaf || level != 2)
			return 0;
		return PDE4M_RSVD_BIT | GENMASK_ULL(20, PDE4M_HIGH_SHIFT + MIN(m, 40u) - 32);
	}
	/* 4/5-level: bits 62:52 are ignored; PAE reserves them. */
	rsvd = GENMASK_ULL(w->ia32e ? 51 : 62, m);
	if (!w->nx)
		rsvd |= PTE_XD;
	if (level >= 4)
		rsvd |= PTE_PS;
	if (leaf && level >= 2)	/* a large page's address starts at its size */
		rsvd |= GENMASK_ULL(LEVEL1_SHIFT + 9 * (level - 1) - 1, 13);
	return rsvd;
}

/* Whether the rights every level granted allow the access. */
static bool permitted(const struct walk *w)
{
	const struct gwalk_regs *r = w->r;
	bool wp = r->cr0 & X86_CR0_WP;
	bool smap_ok;

	if (user_access(w)) {
		if (w->access & GWALK_FETCH)
			return w->user && w->exec;
		return w->user && (w->writable || !(w->access & GWALK_WRITE));
	}
	if (w->access & GWALK_FETCH)
		return w->exec && !(w->user && (r->cr4 & X86_CR4_SMEP));
	/* SMAP lets explicit accesses at CPL < 3 through with RFLAGS.AC. */
	smap_ok = !w->user || !(r->cr4 & X86_CR4_SMAP) ||
		  (!(w->access & GWALK_IMPLICIT) && r->cpl < 3 && (r->rflags & X86_RFLAGS_AC));
	if ((w->access & GWALK_WRITE) && wp && !w->writable)
		return false;
	return smap_ok;
}

/* PAE: the PDPTE for la, from the 32-byte table at CR3.  Fills *table. */
static enum gwalk_status read_pdpte(struct walk *w, gpa_t *table, struct gwalk *out)
{
	gpa_t at = (w->r->cr3 & PAE_CR3_MASK) + ((w->la >> 30) & 3) * 8;
	u64 e;

	if (w->m->read(w->m->ctx, at, 8, &e)) {
		out->bad_gpa = at;
		return GWALK_NO_MEMORY;
	}
	if (!(e & PTE_P))
		return fault(w, out, 0);
	if (e & (PDPTE_RSVD | GENMASK_ULL(63, maxphy(w))))
		return fault(w, out, PF_ERR_P | PF_ERR_RSVD);
	*table = e & addr_bits(w, LEVEL1_SHIFT);
	return GWALK_OK;
}

/* Reads the entries from the top level down to the leaf; checks each. */
static enum gwalk_status walk_tables(struct walk *w, struct gwalk *out)
{
	gpa_t table = w->r->cr3 & (w->size == 4 ? ADDR32_MASK : addr_bits(w, LEVEL1_SHIFT));
	enum gwalk_status st;
	unsigned int level;

	if (w->size == 8 && !w->ia32e) {
		st = read_pdpte(w, &table, out);
		if (st != GWALK_OK)
			return st;
	}
	w->user = w->writable = w->exec = true;
	for (level = w->levels; level >= 1; level--) {
		unsigned int shift = LEVEL1_SHIFT + w->bits * (level - 1);
		gpa_t at = table + ((w->la >> shift) & ((1u << w->bits) - 1)) * w->size;
		u64 e;
		bool leaf;

		if (w->m->read(w->m->ctx, at, w->size, &e)) {
			out->bad_gpa = at;
			return GWALK_NO_MEMORY;
		}
		w->pte[level - 1] = e;
		w->pte_gpa[level - 1] = at;
		if (!(e & PTE_P))
			return fault(w, out, 0);
		leaf = is_leaf(w, level, e);
		if (e & rsvd_bits(w, level, leaf))
			return fault(w, out, PF_ERR_P | PF_ERR_RSVD);
		w->user &= !!(e & PTE_US);
		w->writable &= !!(e & PTE_RW);
		w->exec &= !(w->nx && (e & PTE_XD));
		if (leaf) {
			w->leaf = (u8)level;
			return GWALK_OK;
		}
		table = e & (w->size == 4 ? ADDR32_MASK : addr_bits(w, LEVEL1_SHIFT));
	}
	return GWALK_OK;	/* not reached: level 1 is always a leaf */
}

/*
 * Sets A in every entry the walk used and D in the leaf for a write.
 * 1: done; 0: an entry changed since it was read (walk again); <0: an
 * entry is not writable guest memory (*bad set).
 */
static int set_accessed_dirty(struct walk *w, gpa_t *bad)
{
	unsigned int level;

	for (level = w->levels; level >= w->leaf; level--) {
		u64 old = w->pte[level - 1], new = old | PTE_A;
		int r;

		if (level == w->leaf && (w->access & GWALK_WRITE))
			new |= PTE_D;
		if (new == old)
			continue;
		r = w->m->cmpxchg(w->m->ctx, w->pte_gpa[level - 1], w->size, old, new);
		if (r < 0)
			*bad = w->pte_gpa[level - 1];
		if (r <= 0)
			return r;
	}
	return 1;
}

/* The physical address of la in the page the leaf maps. */
static gpa_t leaf_gpa(const struct walk *w)
{
	u64 e = w->pte[w->leaf - 1];
	unsigned int shift = LEVEL1_SHIFT + w->bits * (w->leaf - 1);
	u64 offset = w->la & ((1ULL << shift) - 1);

	if (w->size == 4 && w->leaf == 2)
		return (e & PDE4M_LOW_MASK) | (((e >> PDE4M_HIGH_SHIFT) & 0xff) << 32) | offset;
	if (w->size == 4)
		return (e & ADDR32_MASK) | offset;
	return (e & addr_bits(w, shift)) | offset;
}

/* Whether la is the sign extension of its low bits bits. */
static bool canonical(u64 la, unsigned int bits)
{
	return (u64)((s64)(la << (64 - bits)) >> (64 - bits)) == la;
}

/* Fills the mode's shape in *w from the control registers. */
static void set_mode(struct walk *w)
{
	const struct gwalk_regs *r = w->r;

	w->ia32e = r->efer & EFER_LMA;
	w->size = (r->cr4 & X86_CR4_PAE) ? 8 : 4;
	w->bits = w->size == 8 ? 9 : 10;
	w->nx = w->size == 8 && (r->efer & EFER_NXE);
	if (w->ia32e)
		w->levels = (r->cr4 & X86_CR4_LA57) ? 5 : 4;
	else
		w->levels = 2;
}

enum gwalk_status gwalk(const struct gwalk_regs *r, u64 la, u32 access,
			const struct gwalk_mem *m, struct gwalk *out)
{
	struct walk w = { .r = r, .m = m, .la = la, .access = access };
	enum gwalk_status st;
	unsigned int tries;
	int done;

	if (!(r->cr0 & X86_CR0_PG)) {
		out->mode = GWALK_MODE_OFF;
		out->gpa = (u32)la;
		out->level = 0;
		return GWALK_OK;
	}
	set_mode(&w);
	out->mode = w.ia32e ? (w.levels == 5 ? GWALK_MODE_5LEVEL : GWALK_MODE_4LEVEL) :
		    w.size == 8 ? GWALK_MODE_PAE : GWALK_MODE_32BIT;
	if (w.ia32e && !canonical(la, w.levels == 5 ? 57 : 48))
		return GWALK_NONCANONICAL;
	if (!w.ia32e)
		w.la = (u32)la;
	for (tries = 0; tries < GWALK_TRIES; tries++) {
		st = walk_tables(&w, out);
		if (st != GWALK_OK)
			return st;
		if (!permitted(&w))
			return fault(&w, out, PF_ERR_P);
		done = set_accessed_dirty(&w, &out->bad_gpa);
		if (done < 0)
			return GWALK_NO_MEMORY;
		if (done) {
			out->gpa = leaf_gpa(&w);
			out->level = w.leaf;
			return GWALK_OK;
		}
	}
	return GWALK_RETRY;
}
