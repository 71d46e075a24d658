// SPDX-License-Identifier: MIT
/*
 * Unit tests of the guest page-table walker (vm/gwalk.c) against page
 * tables built by hand in a small fake guest-physical memory: each paging
 * mode, each page size, the faults of each level, the rights, and the
 * accessed and dirty bits.  Error codes are compared whole.  Runs on the
 * host and inside hv.efi.
 */
#include "vm/gwalk.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "arch/trapnr.h"
#include "lib/ktest.h"
#include "lib/string.h"

#define P BIT_ULL(0)
#define RW BIT_ULL(1)
#define US BIT_ULL(2)
#define A BIT_ULL(5)
#define D BIT_ULL(6)
#define PS BIT_ULL(7)
#define AVL BIT_ULL(9)		/* ignored by the CPU in every mode */
#define XD BIT_ULL(63)

#define E_P PF_ERR_P
#define E_W PF_ERR_W
#define E_U PF_ERR_U
#define E_RSVD PF_ERR_RSVD
#define E_I PF_ERR_I

#define RD 0
#define WR GWALK_WRITE
#define FE GWALK_FETCH
#define IMP GWALK_IMPLICIT

#define MEM_PAGES 8
#define PG(n) ((u64)(n) * 4096)
#define MAXPHY 40

/* The fake guest-physical memory: [0, MEM_PAGES pages). */
static u8 mem[MEM_PAGES * 4096] __aligned(4096);

enum mode { M32, MPAE, M4, M5 };

static const char *const mode_names[] = { "32-bit", "PAE", "4-level", "5-level" };

struct fixture {
	enum mode mode;
	struct gwalk_regs r;
	struct gwalk_mem m;
	gpa_t ent[6];		/* by level: the entry the walk of la uses */
	unsigned int top;	/* the highest level (PAE: 3, its PDPTE) */
	unsigned int size;	/* entry bytes */
	unsigned int replaced;	/* compare-and-exchanges that wrote */
	unsigned int races;	/* the next ones lose: the "guest" changes the entry first */
	gpa_t read_only;	/* a page (non-zero) the walker cannot write */
};

static u64 mem_get(gpa_t gpa, unsigned int size)
{
	u64 v = 0;

	memcpy(&v, &mem[gpa], size);
	return v;
}

static void mem_set(gpa_t gpa, unsigned int size, u64 v)
{
	memcpy(&mem[gpa], &v, size);
}

static int fake_read(void *ctx, gpa_t gpa, unsigned int size, u64 *val)
{
	(void)ctx;
	if (gpa >= sizeof(mem) || sizeof(mem) - gpa < size)
		return -1;
	*val = mem_get(gpa, size);
	return 0;
}

static int fake_cmpxchg(void *ctx, gpa_t gpa, unsigned int size, u64 old, u64 new)
{
	struct fixture *f = ctx;

	if (gpa >= sizeof(mem) || sizeof(mem) - gpa < size)
		return -1;
	if (f->read_only && gpa - f->read_only < PG(1))
		return -1;
	if (f->races) {
		f->races--;
		mem_set(gpa, size, mem_get(gpa, size) ^ AVL);
	}
	if (mem_get(gpa, size) != old)
		return 0;
	mem_set(gpa, size, new);
	f->replaced++;
	return 1;
}

/* A vCPU at CPL 0 with CR0.WP, in mode, every table in fresh memory. */
static void fixture_init(struct fixture *f, enum mode mode)
{
	memset(mem, 0, sizeof(mem));
	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->m = (struct gwalk_mem){ .ctx = f, .read = fake_read, .cmpxchg = fake_cmpxchg };
	f->r.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	f->r.cr3 = PG(1);
	f->r.maxphyaddr = MAXPHY;
	f->size = mode == M32 ? 4 : 8;
	f->top = mode == M32 ? 2 : mode == MPAE ? 3 : mode == M4 ? 4 : 5;
	if (mode != M32)
		f->r.cr4 |= X86_CR4_PAE;
	if (mode != M32)
		f->r.efer |= EFER_NXE;
	if (mode >= M4)
		f->r.efer |= EFER_LME | EFER_LMA;
	if (mode == M5)
		f->r.cr4 |= X86_CR4_LA57;
}

/* The entry index of la at level in f's mode. */
static u64 index_of(const struct fixture *f, u64 la, unsigned int level)
{
	if (f->mode == M32)
		return (la >> (12 + 10 * (level - 1))) & 1023;
	if (f->mode == MPAE && level == 3)
		return (la >> 30) & 3;
	return (la >> (12 + 9 * (level - 1))) & 511;
}

/*
 * Builds the tables that map la: the top table at CR3 (page 1, or a PDPT
 * 0x20 into page 1 for PAE), each lower one on the next page, every upper
 * entry P|RW|US (a PDPTE only P), and at level leaf the entry leaf_e.
 */
static void map(struct fixture *f, u64 la, unsigned int leaf, u64 leaf_e)
{
	gpa_t table = PG(1);
	unsigned int level, next = 2;

	if (f->mode == MPAE) {
		f->r.cr3 = PG(1) + 0x20;
		table = f->r.cr3;
	}
	for (level = f->top; level >= leaf; level--) {
		u64 e = PG(next) | (f->mode == MPAE && level == 3 ? P : P | RW | US);

		f->ent[level] = table + index_of(f, la, level) * f->size;
		mem_set(f->ent[level], f->size, level == leaf ? leaf_e : e);
		table = PG(next++);
	}
}

static u64 ent(const struct fixture *f, unsigned int level)
{
	return mem_get(f->ent[level], f->size);
}

static void ent_set(const struct fixture *f, unsigned int level, u64 v)
{
	mem_set(f->ent[level], f->size, v);
}

/* Walks la for access; *w gets the result. */
static enum gwalk_status walk(struct fixture *f, u64 la, u32 access, struct gwalk *w)
{
	memset(w, 0xa5, sizeof(*w));
	return gwalk(&f->r, la, access, &f->m, w);
}

/* A walk that must fault with exactly error, changing no entry. */
#define EXPECT_PF(t, f, la, acc, want, what)                                       \
	({                                                                           \
		struct gwalk w_;                                                     \
		unsigned int before_ = (f)->replaced;                                \
		enum gwalk_status st_ = walk(f, la, acc, &w_);                       \
		ktest_check(t, st_ == GWALK_PAGE_FAULT && w_.error == (u32)(want) && \
			    (f)->replaced == before_, __FILE__, __LINE__,             \
			    "%s, %s: expected #PF(0x%x), seen status %d error 0x%x, " \
			    "%u entries written", mode_names[(f)->mode], what,       \
			    (u32)(want), st_, st_ == GWALK_PAGE_FAULT ? w_.error : 0, \
			    (f)->replaced - before_);                                \
	})

/* A walk that must translate la to gpa. */
#define EXPECT_GPA(t, f, la, acc, want, what)                                        \
	({                                                                           \
		struct gwalk w_;                                                     \
		enum gwalk_status st_ = walk(f, la, acc, &w_);                       \
		ktest_check(t, st_ == GWALK_OK && w_.gpa == (u64)(want), __FILE__, __LINE__, \
			    "%s, %s: expected GPA 0x%llx, seen status %d GPA 0x%llx " \
			    "error 0x%x", mode_names[(f)->mode], what,               \
			    (unsigned long long)(want), st_,                          \
			    (unsigned long long)(st_ == GWALK_OK ? w_.gpa : 0),      \
			    st_ == GWALK_PAGE_FAULT ? w_.error : 0);                 \
	})

/* ---- translations, each mode and page size ------------------------------ */

KTEST(gwalk_paging_off_is_the_identity_on_32_bits)
{
	struct fixture f;
	struct gwalk w;

	fixture_init(&f, M32);
	f.r.cr0 &= ~X86_CR0_PG;
	KT_EXPECT_EQ(t, walk(&f, 0x12345678, WR, &w), GWALK_OK);
	KT_EXPECT_EQ(t, w.gpa, 0x12345678);
	KT_EXPECT_EQ(t, w.level, 0);
	KT_EXPECT_EQ(t, w.mode, GWALK_MODE_OFF);
	KT_EXPECT_EQ(t, walk(&f, 0x100000fffULL, FE, &w), GWALK_OK);
	KT_EXPECT_EQ(t, w.gpa, 0xfff);
	KT_EXPECT_EQ(t, f.replaced, 0);
}

KTEST(gwalk_32bit_4k_page_sets_accessed_then_dirty_on_a_write)
{
	struct fixture f;
	struct gwalk w;

	fixture_init(&f, M32);
	map(&f, 0x00c01234, 1, 0xabcde000 | P | RW | US);
	KT_EXPECT_EQ(t, walk(&f, 0x00c01234, RD, &w), GWALK_OK);
	KT_EXPECT_EQ(t, w.gpa, 0xabcde234);
	KT_EXPECT_EQ(t, w.level, 1);
	KT_EXPECT_EQ(t, w.mode, GWALK_MODE_32BIT);
	KT_EXPECT_EQ(t, ent(&f, 2), PG(2) | P | RW | US | A);
	KT_EXPECT_EQ(t, ent(&f, 1), 0xabcde000 | P | RW | US | A);
	KT_EXPECT_EQ(t, walk(&f, 0x00c01234, WR, &w), GWALK_OK);
	KT_EXPECT_EQ(t, ent(&f, 2), PG(2) | P | RW | US | A);
	KT_EXPECT_EQ(t, ent(&f, 1), 0xabcde000 | P | RW | US | A | D);
	/* Outside IA-32e mode only the low 32 bits of an address count. */
	EXPECT_GPA(t, &f, 0xf00c01ff8ULL, RD, 0xabcdeff8, "address bits 63:32");
}

KTEST(gwalk_32bit_4m_page_takes_pse36_address_bits)
{
	struct fixture f;
	struct gwalk w;

	fixture_init(&f, M32);
	f.r.cr4 |= X86_CR4_PSE;
	/* PDE bits 20:13 are physical bits 39:32. */
	map(&f, 0x80123456, 2, 0x01c00000 | (0x5aULL << 13) | PS | P | RW);
	KT_EXPECT_EQ(t, walk(&f, 0x80123456, WR, &w), GWALK_OK);
	KT_EXPECT_EQ(t, w.gpa, 0x5a01d23456ULL);
	KT_EXPECT_EQ(t, w.level, 2);
	KT_EXPECT_EQ(t, ent(&f, 2), 0x01c00000 | (0x5aULL << 13) | PS | P | RW | A | D);
}

KTEST(gwalk_32bit_4m_page_reserves_bit_21_and_bits_past_maxphyaddr)
{
	struct fixture f;

	fixture_init(&f, M32);
	f.r.cr4 |= X86_CR4_PSE;
	map(&f, 0x80123456, 2, 0x01c00000 | BIT_ULL(21) | PS | P | RW);
	EXPECT_PF(t, &f, 0x80123456, RD, E_P | E_RSVD, "bit 21");
	/* MAXPHYADDR 36: PDE bit 17 would be physical bit 36. */
	f.r.maxphyaddr = 36;
	ent_set(&f, 2, 0x01c00000 | BIT_ULL(17) | PS | P | RW);
	EXPECT_PF(t, &f, 0x80123456, WR, E_P | E_RSVD | E_W, "PSE-36 bit 36");
	ent_set(&f, 2, 0x01c00000 | BIT_ULL(16) | PS | P | RW);
	EXPECT_GPA(t, &f, 0x80123456, RD, 0x801d23456ULL, "PSE-36 bit 35");
}

KTEST(gwalk_32bit_ignores_ps_without_cr4_pse)
{
	struct fixture f;

	fixture_init(&f, M32);
	map(&f, 0x00401234, 1, 0x77000000 | P);
	ent_set(&f, 2, ent(&f, 2) | PS);
	EXPECT_GPA(t, &f, 0x00401234, RD, 0x77000234, "PS as a table pointer");
}

KTEST(gwalk_pae_4k_and_2m_pages_leave_the_pdpte_alone)
{
	struct fixture f;
	struct gwalk w;

	fixture_init(&f, MPAE);
	map(&f, 0xc0201234, 1, 0x123456000ULL | P | RW | US);
	KT_EXPECT_EQ(t, walk(&f, 0xc0201234, WR, &w), GWALK_OK);
	KT_EXPECT_EQ(t, w.gpa, 0x123456234ULL);
	KT_EXPECT_EQ(t, w.level, 1);
	KT_EXPECT_EQ(t, w.mode, GWALK_MODE_PAE);
	KT_EXPECT_EQ(t, f.ent[3], PG(1) + 0x20 + 3 * 8);
	KT_EXPECT_EQ(t, ent(&f, 3), PG(2) | P);
	KT_EXPECT_EQ(t, ent(&f, 2), PG(3) | P | RW | US | A);
	KT_EXPECT_EQ(t, ent(&f, 1), 0x123456000ULL | P | RW | US | A | D);

	fixture_init(&f, MPAE);
	map(&f, 0x40654321, 2, 0x7fe00000ULL | PS | P | RW | US);
	KT_EXPECT_EQ(t, walk(&f, 0x40654321, RD, &w), GWALK_OK);
	KT_EXPECT_EQ(t, w.gpa, 0x7fe54321ULL);
	KT_EXPECT_EQ(t, w.level, 2);
	KT_EXPECT_EQ(t, ent(&f, 2), 0x7fe00000ULL | PS | P | RW | US | A);
}

KTEST(gwalk_pae_reserves_pdpte_bits_high_bits_and_xd_without_nxe)
{
	struct fixture f;

	fixture_init(&f, MPAE);
	map(&f, 0x00201000, 1, 0x5000 | P | RW);
	ent_set(&f, 3, PG(2) | P | RW);		/* R/W is reserved in a PDPTE */
	EXPECT_PF(t, &f, 0x00201000, RD, E_P | E_RSVD, "PDPTE bit 1");
	ent_set(&f, 3, PG(2) | P | BIT_ULL(MAXPHY));
	EXPECT_PF(t, &f, 0x00201000, RD, E_P | E_RSVD, "PDPTE bit MAXPHYADDR");
	ent_set(&f, 3, PG(2) | P);
	ent_set(&f, 1, 0x5000 | P | RW | BIT_ULL(52));	/* ignored only in IA-32e */
	EXPECT_PF(t, &f, 0x00201000, RD, E_P | E_RSVD, "PTE bit 52");
	ent_set(&f, 1, 0x5000 | P | RW | XD);
	f.r.efer &= ~EFER_NXE;
	EXPECT_PF(t, &f, 0x00201000, FE, E_P | E_RSVD, "XD without NXE");
	f.r.efer |= EFER_NXE;
	EXPECT_PF(t, &f, 0x00201000, FE, E_P | E_I, "XD with NXE");
	EXPECT_GPA(t, &f, 0x00201000, RD, 0x5000, "read of an XD page");
	ent_set(&f, 2, ent(&f, 2) | PS | BIT_ULL(13));
	EXPECT_PF(t, &f, 0x00201000, RD, E_P | E_RSVD, "2M PDE bit 13");
}

KTEST(gwalk_4level_maps_4k_2m_and_1g_pages)
{
	const u64 la = 0x00007f8040201a38ULL;
	struct fixture f;
	struct gwalk w;

	fixture_init(&f, M4);
	map(&f, la, 1, 0xfedcba000ULL | P | RW | US | XD);
	KT_EXPECT_EQ(t, walk(&f, la, WR, &w), GWALK_OK);
	KT_EXPECT_EQ(t, w.gpa, 0xfedcbaa38ULL);
	KT_EXPECT_EQ(t, w.level, 1);
	KT_EXPECT_EQ(t, w.mode, GWALK_MODE_4LEVEL);
	KT_EXPECT_EQ(t, f.ent[4], PG(1) + 255 * 8);
	KT_EXPECT_EQ(t, ent(&f, 4), PG(2) | P | RW | US | A);
	KT_EXPECT_EQ(t, ent(&f, 3), PG(3) | P | RW | US | A);
	KT_EXPECT_EQ(t, ent(&f, 2), PG(4) | P | RW | US | A);
	KT_EXPECT_EQ(t, ent(&f, 1), 0xfedcba000ULL | P | RW | US | XD | A | D);

	fixture_init(&f, M4);
	map(&f, la, 2, 0x3400000ULL | PS | P | RW);
	KT_EXPECT_EQ(t, walk(&f, la, RD, &w), GWALK_OK);
	KT_EXPECT_EQ(t, w.gpa, 0x3401a38ULL);
	KT_EXPECT_EQ(t, w.level, 2);
	KT_EXPECT_EQ(t, ent(&f, 2), 0x3400000ULL | PS | P | RW | A);

	fixture_init(&f, M4);
	map(&f, la, 3, 0x7c0000000ULL | PS | P | RW);
	KT_EXPECT_EQ(t, walk(&f, la, WR, &w), GWALK_OK);
	KT_EXPECT_EQ(t, w.gpa, 0x7c0201a38ULL);
	KT_EXPECT_EQ(t, w.level, 3);
	KT_EXPECT_EQ(t, ent(&f, 4), PG(2) | P | RW | US | A);
	KT_EXPECT_EQ(t, ent(&f, 3), 0x7c0000000ULL | PS | P | RW | A | D);
}

KTEST(gwalk_4level_reserved_bits_fault_with_rsvd)
{
	const u64 la = 0x0000123456789000ULL;
	struct fixture f;

	fixture_init(&f, M4);
	map(&f, la, 3, 0x40000000ULL | PS | P | RW);
	ent_set(&f, 3, 0x40000000ULL | BIT_ULL(29) | PS | P | RW);
	EXPECT_PF(t, &f, la, RD, E_P | E_RSVD, "1G PDPTE bit 29");
	ent_set(&f, 3, 0x40000000ULL | PS | P | RW);
	EXPECT_GPA(t, &f, la, RD, 0x56789000ULL, "1G page");

	fixture_init(&f, M4);
	map(&f, la, 2, 0x200000ULL | BIT_ULL(20) | PS | P | RW);
	EXPECT_PF(t, &f, la, WR, E_P | E_RSVD | E_W, "2M PDE bit 20");

	fixture_init(&f, M4);
	map(&f, la, 1, 0x9000 | P | RW);
	ent_set(&f, 4, ent(&f, 4) | PS);
	EXPECT_PF(t, &f, la, RD, E_P | E_RSVD, "PS in a PML4E");
	ent_set(&f, 4, ent(&f, 4) & ~PS);
	ent_set(&f, 2, ent(&f, 2) | BIT_ULL(MAXPHY));
	f.r.cpl = 3;
	EXPECT_PF(t, &f, la, RD, E_P | E_RSVD | E_U, "PDE bit MAXPHYADDR");
	ent_set(&f, 2, ent(&f, 2) & ~BIT_ULL(MAXPHY));
	f.r.cpl = 0;
	ent_set(&f, 1, 0x9000 | P | RW | GENMASK_ULL(62, 52));	/* ignored here */
	EXPECT_GPA(t, &f, la, RD, 0x9000, "PTE bits 62:52");
	ent_set(&f, 1, 0x9000 | P | RW | XD);
	f.r.efer &= ~EFER_NXE;
	EXPECT_PF(t, &f, la, RD, E_P | E_RSVD, "XD without NXE");
}

KTEST(gwalk_5level_maps_an_address_with_bit_56_set)
{
	const u64 la = 0xff23456789abcdefULL;	/* bit 56 set, 63:57 its copies */
	struct fixture f;
	struct gwalk w;

	fixture_init(&f, M5);
	map(&f, la, 1, 0x1234000ULL | P | RW);
	KT_EXPECT_EQ(t, f.ent[5], PG(1) + 0x123 * 8);
	KT_EXPECT_EQ(t, walk(&f, la, WR, &w), GWALK_OK);
	KT_EXPECT_EQ(t, w.gpa, 0x1234defULL);
	KT_EXPECT_EQ(t, w.mode, GWALK_MODE_5LEVEL);
	KT_EXPECT_EQ(t, ent(&f, 5), PG(2) | P | RW | US | A);
	KT_EXPECT_EQ(t, ent(&f, 1), 0x1234000ULL | P | RW | A | D);
	/* The same address is not canonical with 4 levels, nor with 5 once
	 * bit 57 differs from bit 56. */
	f.r.cr4 &= ~X86_CR4_LA57;
	KT_EXPECT_EQ(t, walk(&f, la, RD, &w), GWALK_NONCANONICAL);
	f.r.cr4 |= X86_CR4_LA57;
	KT_EXPECT_EQ(t, walk(&f, la & ~BIT_ULL(57), RD, &w), GWALK_NONCANONICAL);
	ent_set(&f, 5, ent(&f, 5) | PS);
	EXPECT_PF(t, &f, la, RD, E_P | E_RSVD, "PS in a PML5E");
}

KTEST(gwalk_4level_refuses_a_non_canonical_address_before_any_read)
{
	struct fixture f;
	struct gwalk w;

	fixture_init(&f, M4);
	f.r.cr3 = PG(MEM_PAGES + 100);	/* a read would fail: none may happen */
	KT_EXPECT_EQ(t, walk(&f, 0x0000800000000000ULL, RD, &w), GWALK_NONCANONICAL);
	KT_EXPECT_EQ(t, walk(&f, 0xffff7fffffffffffULL, FE, &w), GWALK_NONCANONICAL);
	KT_EXPECT_EQ(t, walk(&f, 0xffff800000000000ULL, RD, &w), GWALK_NO_MEMORY);
	KT_EXPECT_EQ(t, w.bad_gpa, PG(MEM_PAGES + 100) + 256 * 8);
}

/* ---- faults at each level, in each mode --------------------------------- */

KTEST(gwalk_not_present_at_each_level_faults_and_sets_no_bit)
{
	const u64 la = 0xffffffffc0403000ULL;	/* canonical in 4 and 5 levels */
	enum mode mode;
	unsigned int level;

	for (mode = M32; mode <= M5; mode++) {
		struct fixture f;

		fixture_init(&f, mode);
		for (level = f.top; level >= 1; level--) {
			map(&f, la, 1, 0x8000 | P | RW | US);
			ent_set(&f, level, ent(&f, level) & ~P);
			EXPECT_PF(t, &f, la, RD, 0, "supervisor read");
			f.r.cpl = 3;
			EXPECT_PF(t, &f, la, WR, E_W | E_U, "user write");
			f.r.cpl = 0;
			/* I/D needs SMEP or NX: 32-bit paging has no NX. */
			EXPECT_PF(t, &f, la, FE, mode == M32 ? 0 : E_I, "fetch");
			f.r.cr4 |= X86_CR4_SMEP;
			EXPECT_PF(t, &f, la, FE, E_I, "fetch with SMEP");
			f.r.cr4 &= ~X86_CR4_SMEP;
		}
		KT_EXPECT_EQ(t, f.replaced, 0);
	}
}

KTEST(gwalk_user_access_needs_us_at_every_level)
{
	const u64 la = 0x40403000ULL;
	enum mode mode;
	unsigned int level;

	for (mode = M32; mode <= M5; mode++) {
		struct fixture f;

		fixture_init(&f, mode);
		f.r.cpl = 3;
		for (level = mode == MPAE ? 2 : f.top; level >= 1; level--) {
			map(&f, la, 1, 0x8000 | P | RW | US);
			EXPECT_GPA(t, &f, la, RD, 0x8000, "user read");
			ent_set(&f, level, ent(&f, level) & ~US);
			EXPECT_PF(t, &f, la, RD, E_P | E_U, "user read, U/S clear");
			EXPECT_PF(t, &f, la, WR, E_P | E_W | E_U, "user write, U/S clear");
			EXPECT_PF(t, &f, la, FE, E_P | E_U | (mode == M32 ? 0 : E_I),
				  "user fetch, U/S clear");
			/* The CPU's own accesses are supervisor accesses. */
			EXPECT_GPA(t, &f, la, RD | IMP, 0x8000, "implicit read");
		}
	}
}

KTEST(gwalk_read_only_pages_fault_supervisor_writes_only_with_wp)
{
	const u64 la = 0x40403000ULL;
	enum mode mode;
	unsigned int level;

	for (mode = M32; mode <= M5; mode++) {
		struct fixture f;

		fixture_init(&f, mode);
		for (level = mode == MPAE ? 2 : f.top; level >= 1; level--) {
			map(&f, la, 1, 0x8000 | P | RW | US);
			ent_set(&f, level, ent(&f, level) & ~RW);
			f.r.cr0 |= X86_CR0_WP;
			EXPECT_PF(t, &f, la, WR, E_P | E_W, "supervisor write, WP");
			EXPECT_GPA(t, &f, la, RD, 0x8000, "supervisor read, WP");
			f.r.cpl = 3;
			f.r.cr0 &= ~X86_CR0_WP;
			EXPECT_PF(t, &f, la, WR, E_P | E_W | E_U, "user write, no WP");
			f.r.cpl = 0;
			EXPECT_GPA(t, &f, la, WR, 0x8000, "supervisor write, no WP");
			KT_EXPECT(t, ent(&f, 1) & D);
		}
	}
}

KTEST(gwalk_xd_at_any_level_stops_fetches_with_nxe)
{
	const u64 la = 0x40403000ULL;
	enum mode mode;
	unsigned int level;

	for (mode = M4; mode <= M5; mode++) {
		struct fixture f;

		fixture_init(&f, mode);
		for (level = f.top; level >= 1; level--) {
			map(&f, la, 1, 0x8000 | P | RW | US);
			ent_set(&f, level, ent(&f, level) | XD);
			EXPECT_PF(t, &f, la, FE, E_P | E_I, "supervisor fetch");
			f.r.cpl = 3;
			EXPECT_PF(t, &f, la, FE, E_P | E_U | E_I, "user fetch");
			EXPECT_GPA(t, &f, la, WR, 0x8000, "user write");
			f.r.cpl = 0;
		}
	}
}

KTEST(gwalk_smep_stops_supervisor_fetches_from_user_pages)
{
	const u64 la = 0x40403000ULL;
	enum mode mode;

	for (mode = M32; mode <= M5; mode++) {
		struct fixture f;

		fixture_init(&f, mode);
		map(&f, la, 1, 0x8000 | P | RW | US);
		EXPECT_GPA(t, &f, la, FE, 0x8000, "fetch without SMEP");
		f.r.cr4 |= X86_CR4_SMEP;
		EXPECT_PF(t, &f, la, FE, E_P | E_I, "fetch with SMEP");
		EXPECT_GPA(t, &f, la, RD, 0x8000, "read with SMEP");
		f.r.cpl = 3;
		EXPECT_GPA(t, &f, la, FE, 0x8000, "user fetch with SMEP");
		f.r.cpl = 0;
		ent_set(&f, 1, ent(&f, 1) & ~US);
		EXPECT_GPA(t, &f, la, FE, 0x8000, "fetch of a supervisor page");
	}
}

KTEST(gwalk_smap_stops_supervisor_data_accesses_to_user_pages_unless_ac)
{
	const u64 la = 0x40403000ULL;
	enum mode mode;

	for (mode = M32; mode <= M5; mode++) {
		struct fixture f;

		fixture_init(&f, mode);
		map(&f, la, 1, 0x8000 | P | RW | US);
		f.r.cr4 |= X86_CR4_SMAP;
		EXPECT_PF(t, &f, la, RD, E_P, "read, AC clear");
		EXPECT_PF(t, &f, la, WR, E_P | E_W, "write, AC clear");
		EXPECT_GPA(t, &f, la, FE, 0x8000, "fetch (SMAP is for data)");
		f.r.rflags |= X86_RFLAGS_AC;
		EXPECT_GPA(t, &f, la, RD, 0x8000, "read, AC set");
		EXPECT_GPA(t, &f, la, WR, 0x8000, "write, AC set");
		EXPECT_PF(t, &f, la, RD | IMP, E_P, "implicit read, AC set");
		f.r.cpl = 3;
		EXPECT_PF(t, &f, la, WR | IMP, E_P | E_W, "implicit write at CPL 3");
		EXPECT_GPA(t, &f, la, WR, 0x8000, "user write");
		f.r.cpl = 0;
		/* AC does not lift WP. */
		ent_set(&f, 1, ent(&f, 1) & ~RW);
		EXPECT_PF(t, &f, la, WR, E_P | E_W, "write to read-only, AC set");
		/* A supervisor page is none of SMAP's business. */
		f.r.rflags &= ~X86_RFLAGS_AC;
		ent_set(&f, 1, (ent(&f, 1) | RW) & ~US);
		EXPECT_GPA(t, &f, la, RD | IMP, 0x8000, "implicit read of a supervisor page");
	}
}

/* ---- accessed and dirty bits ------------------------------------------- */

KTEST(gwalk_permission_faults_set_no_accessed_or_dirty_bit)
{
	const u64 la = 0x40403000ULL;
	struct fixture f;
	unsigned int level;

	fixture_init(&f, M4);
	map(&f, la, 1, 0x8000 | P | US);
	EXPECT_PF(t, &f, la, WR, E_P | E_W, "write to read-only");
	for (level = 4; level >= 1; level--)
		KT_EXPECT_EQ(t, ent(&f, level) & (A | D), 0);
	EXPECT_GPA(t, &f, la, RD, 0x8000, "read");
	for (level = 4; level >= 1; level--)
		KT_EXPECT_EQ(t, ent(&f, level) & (A | D), A);
	/* Bits already set are not written again. */
	f.replaced = 0;
	EXPECT_GPA(t, &f, la, RD, 0x8000, "read again");
	KT_EXPECT_EQ(t, f.replaced, 0);
}

KTEST(gwalk_a_guest_change_under_the_walk_restarts_it)
{
	const u64 la = 0x40403000ULL;
	struct fixture f;
	struct gwalk w;

	fixture_init(&f, M4);
	map(&f, la, 1, 0x8000 | P | RW);
	f.races = 1;		/* the PML4E changes before its A bit lands */
	EXPECT_GPA(t, &f, la, WR, 0x8000, "after one lost race");
	KT_EXPECT_EQ(t, ent(&f, 4), PG(2) | P | RW | US | AVL | A);
	KT_EXPECT_EQ(t, ent(&f, 1), 0x8000 | P | RW | A | D);
	/* A guest that keeps changing an entry: the walker gives up. */
	fixture_init(&f, M4);
	map(&f, la, 1, 0x8000 | P | RW);
	ent_set(&f, 1, 0x8000 | P | RW | A);
	f.races = 100;
	KT_EXPECT_EQ(t, walk(&f, la, WR, &w), GWALK_RETRY);
	KT_EXPECT_EQ(t, ent(&f, 1) & D, 0);
}

KTEST(gwalk_tables_outside_guest_memory_are_reported)
{
	const u64 la = 0x40403000ULL;
	struct fixture f;
	struct gwalk w;

	fixture_init(&f, MPAE);
	map(&f, la, 1, 0x8000 | P | RW);
	ent_set(&f, 2, PG(MEM_PAGES) | P | RW);
	KT_EXPECT_EQ(t, walk(&f, la, RD, &w), GWALK_NO_MEMORY);
	KT_EXPECT_EQ(t, w.bad_gpa, PG(MEM_PAGES) + index_of(&f, la, 1) * 8);
}

KTEST(gwalk_tables_the_walker_cannot_write_are_reported)
{
	const u64 la = 0x40403000ULL;
	struct fixture f;
	struct gwalk w;

	fixture_init(&f, M4);
	map(&f, la, 1, 0x8000 | P | RW);
	f.read_only = PG(2);	/* the PDPT: its entry needs an A bit */
	KT_EXPECT_EQ(t, walk(&f, la, RD, &w), GWALK_NO_MEMORY);
	KT_EXPECT_EQ(t, w.bad_gpa, f.ent[3]);
	KT_EXPECT_EQ(t, ent(&f, 3) & A, 0);
	KT_EXPECT_EQ(t, ent(&f, 1) & A, 0);
	KT_EXPECT_EQ(t, ent(&f, 4) & A, A);	/* the level above was used */
	/* Once its bits are set, the walk needs no write there. */
	ent_set(&f, 3, ent(&f, 3) | A);
	EXPECT_GPA(t, &f, la, RD, 0x8000, "read, PDPTE already accessed");
}
