/* SPDX-License-Identifier: MIT */
/*
 * Shadow page-table entries (SPTEs) of the two-dimensional paging formats,
 * described as data so that one TDP MMU serves Intel EPT and AMD NPT.
 *
 * A format is a struct spte_format: which bits mean readable, writable,
 * executable (or no-execute), user (NPT wants it at every level), large,
 * accessed, dirty, how a memory type is encoded in a leaf, and whether the
 * hardware has accessed/dirty bits at all.  The vendor code picks one of the
 * tables defined in mm/spte.c (or builds its own) and hands it to the MMU.
 *
 * Levels: 1 maps 4 KiB, 2 maps 2 MiB, 3 maps 1 GiB, 4 and 5 are the roots of
 * 4- and 5-level paging.  Every table holds 512 eight-byte entries.
 *
 * Software bits (ignored by the hardware in both formats, checked below):
 *   SPTE_MMU_PRESENT    the entry is a table or a leaf of this MMU, including
 *                       a leaf that access tracking made non-present to the
 *                       hardware.  Clear in every marker value.
 *   SPTE_HOST_WRITABLE  the host mapping behind the leaf may be written.
 *   SPTE_MMU_WRITABLE   the MMU may make the leaf writable again without a
 *                       slot lookup (it was write-protected only for dirty
 *                       logging).
 *   SPTE_ACC_TRACKED    access tracking cleared the hardware permissions of
 *                       this leaf (formats without an accessed bit); the old
 *                       permissions are kept in SPTE_ACC_SAVED_MASK.
 *   SPTE_MMIO           an emulated-MMIO marker, non-present to the hardware,
 *                       with a generation in SPTE_MMIO_GEN_MASK.
 *   SPTE_FROZEN_VALUE   the "frozen" marker: written into every entry of a
 *                       table that is being torn down, so that no racing
 *                       compare-and-exchange can install anything there.
 */
#ifndef TDPVISOR_MM_SPTE_H
#define TDPVISOR_MM_SPTE_H

#include "types.h"
#include "atomic.h"

#define TDP_LEVEL_4K 1
#define TDP_LEVEL_2M 2
#define TDP_LEVEL_1G 3
#define TDP_MAX_LEVEL 5
#define TDP_MAX_HUGE_LEVEL TDP_LEVEL_1G
#define SPTE_LEVEL_BITS 9
#define SPTE_PER_TABLE 512

/* ---- hardware bits: Intel EPT (SDM vol. 3, "EPT paging structures") ---- */
#define EPT_R BIT_ULL(0)
#define EPT_W BIT_ULL(1)
#define EPT_X BIT_ULL(2)
#define EPT_MT_SHIFT 3
#define EPT_MT_MASK GENMASK_ULL(5, 3)
#define EPT_IPAT BIT_ULL(6)
#define EPT_LARGE BIT_ULL(7)
#define EPT_A BIT_ULL(8)
#define EPT_D BIT_ULL(9)
#define EPT_SUPPRESS_VE BIT_ULL(63)
#define EPT_RWX (EPT_R | EPT_W | EPT_X)

/* ---- hardware bits: AMD NPT (long-mode page tables, APM vol. 2) ---- */
#define NPT_P BIT_ULL(0)
#define NPT_RW BIT_ULL(1)
#define NPT_US BIT_ULL(2)
#define NPT_PWT BIT_ULL(3)
#define NPT_PCD BIT_ULL(4)
#define NPT_A BIT_ULL(5)
#define NPT_D BIT_ULL(6)
#define NPT_LARGE BIT_ULL(7)
#define NPT_NX BIT_ULL(63)

/* Physical address field, shared by both formats (52-bit physical). */
#define SPTE_ADDR_SHIFT PAGE_SHIFT
#define SPTE_ADDR_MASK GENMASK_ULL(51, 12)

/* ---- software bits ---- */
#define SPTE_MMU_PRESENT BIT_ULL(11)
#define SPTE_HOST_WRITABLE BIT_ULL(52)
#define SPTE_MMU_WRITABLE BIT_ULL(53)
#define SPTE_MMIO BIT_ULL(54)
#define SPTE_ACC_TRACKED BIT_ULL(55)
#define SPTE_ACC_SAVED_SHIFT 56
#define SPTE_ACC_SAVED_MASK GENMASK_ULL(58, 56)
#define SPTE_FROZEN_BIT BIT_ULL(59)
#define SPTE_SW_MASK (SPTE_MMU_PRESENT | SPTE_HOST_WRITABLE | SPTE_MMU_WRITABLE | \
		      SPTE_MMIO | SPTE_ACC_TRACKED | SPTE_ACC_SAVED_MASK |    \
		      SPTE_FROZEN_BIT)
/* MMIO markers keep their generation in the (unused) address field. */
#define SPTE_MMIO_GEN_SHIFT 12
#define SPTE_MMIO_GEN_MASK GENMASK_ULL(43, 12)
#define SPTE_MMIO_GEN_BITS 32
/* The bits of the MMU's generation that a marker keeps. */
#define SPTE_MMIO_GEN_LOW_MASK (BIT_ULL(SPTE_MMIO_GEN_BITS) - 1)
_Static_assert(SPTE_MMIO_GEN_MASK >> SPTE_MMIO_GEN_SHIFT == SPTE_MMIO_GEN_LOW_MASK,
	       "a marker's generation field holds SPTE_MMIO_GEN_BITS");

/*
 * Non-present in both formats: EPT R/W/X and NPT P are clear.  Bit 63 is
 * EPT's suppress-#VE (so a frozen entry never raises #VE) and NPT's NX,
 * which a non-present entry ignores.
 */
#define SPTE_FROZEN_VALUE (SPTE_FROZEN_BIT | BIT_ULL(63))

/* Every hardware bit each format may use, for the overlap checks. */
#define EPT_HW_MASK (EPT_RWX | EPT_MT_MASK | EPT_IPAT | EPT_LARGE | EPT_A | \
		     EPT_D | EPT_SUPPRESS_VE | SPTE_ADDR_MASK | BIT_ULL(10))
#define NPT_HW_MASK (NPT_P | NPT_RW | NPT_US | NPT_PWT | NPT_PCD | NPT_A | \
		     NPT_D | NPT_LARGE | BIT_ULL(8) | SPTE_ADDR_MASK | NPT_NX)

_Static_assert((SPTE_SW_MASK & EPT_HW_MASK) == 0, "software bits overlap EPT");
_Static_assert((SPTE_SW_MASK & NPT_HW_MASK) == 0, "software bits overlap NPT");
_Static_assert((SPTE_FROZEN_VALUE & (EPT_RWX | NPT_P | SPTE_MMU_PRESENT)) == 0,
	       "the frozen marker must be non-present in both formats");
_Static_assert((SPTE_MMIO_GEN_MASK & SPTE_ADDR_MASK) == SPTE_MMIO_GEN_MASK,
	       "the MMIO generation lives in the address field");
_Static_assert((EPT_RWX >> 0) <= (SPTE_ACC_SAVED_MASK >> SPTE_ACC_SAVED_SHIFT),
	       "access tracking saves EPT R/W/X");

/* Access rights, as the fault path and the format table speak of them. */
#define TDP_ACC_R BIT(0)
#define TDP_ACC_W BIT(1)
#define TDP_ACC_X BIT(2)
#define TDP_ACC_RWX (TDP_ACC_R | TDP_ACC_W | TDP_ACC_X)

/* Memory types, with the IA32_PAT / EPT encodings. */
enum tdp_memtype {
	MT_UC = 0,
	MT_WC = 1,
	MT_WT = 4,
	MT_WP = 5,
	MT_WB = 6,
	MT_NR = 8,
};

/* struct spte_format.flags */
#define SPTE_FMT_AD BIT(0)	/* the hardware sets accessed and dirty bits */

struct spte_format {
	const char *name;
	u64 readable;		/* EPT_R; NPT_P (present means readable) */
	u64 writable;		/* EPT_W; NPT_RW */
	u64 executable;		/* EPT_X; 0 (NPT executes unless NX) */
	u64 nx;			/* 0; NPT_NX */
	u64 hw_present;		/* any of these set: present to the walker */
	u64 large;		/* page-size bit of a level 2/3 leaf */
	u64 accessed;		/* 0 unless flags has SPTE_FMT_AD */
	u64 dirty;		/* 0 unless flags has SPTE_FMT_AD */
	u64 table_bits;		/* set in every non-leaf entry */
	u64 leaf_bits;		/* set in every leaf besides its permissions */
	u64 memtype[MT_NR];	/* leaf encoding of each memory type */
	u64 hw_mask;		/* every hardware bit the format uses */
	u32 flags;
};

extern const struct spte_format spte_fmt_ept;		/* EPT with A/D */
extern const struct spte_format spte_fmt_ept_noad;	/* EPT without A/D */
extern const struct spte_format spte_fmt_npt;

/* Returns 0, or -EINVAL when fmt uses a software bit or lacks a mandatory bit. */
int spte_format_check(const struct spte_format *fmt);

/* ---- geometry ---- */

/* GFNs mapped by one entry at level. */
static inline u64 tdp_level_pages(int level)
{
	return 1ULL << (SPTE_LEVEL_BITS * (level - 1));
}

/* Index of gfn's entry in the table at level. */
static inline unsigned int tdp_level_index(gfn_t gfn, int level)
{
	return (gfn >> (SPTE_LEVEL_BITS * (level - 1))) & (SPTE_PER_TABLE - 1);
}

/* First GFN of the entry at level that maps gfn. */
static inline gfn_t tdp_level_base(gfn_t gfn, int level)
{
	return gfn & ~(tdp_level_pages(level) - 1);
}

/* One past the last GFN a root of root_level can map. */
static inline gfn_t tdp_max_gfn(int root_level)
{
	return tdp_level_pages(root_level + 1);
}

/* ---- reading entries ---- */

/*
 * Every read of a live entry goes through here (other CPUs and the
 * hardware walker change them).  A volatile read: one untorn 64-bit load
 * that the compiler neither repeats, merges nor caches.  No fence: on x86
 * every load is ordered like an acquire, and a table is reached only
 * through the entry that points to it.  Unlike an __atomic load, which
 * the compiler treats as a barrier to all code motion, it leaves a walk's
 * own state in registers around it.  ThreadSanitizer does not see
 * volatile reads as atomic, so its build uses an acquire load.
 */
static inline u64 spte_read(u64 *sptep)
{
#ifdef __SANITIZE_THREAD__
	return load_acquire64(sptep);
#else
	return *(volatile u64 *)sptep;
#endif
}

static inline bool spte_is_frozen(u64 spte)
{
	return (spte & SPTE_FROZEN_BIT) != 0;
}

static inline bool spte_is_mmu_present(u64 spte)
{
	return (spte & SPTE_MMU_PRESENT) != 0;
}

static inline bool spte_is_mmio(u64 spte)
{
	return (spte & (SPTE_MMIO | SPTE_MMU_PRESENT | SPTE_FROZEN_BIT)) == SPTE_MMIO;
}

static inline bool spte_is_leaf(const struct spte_format *fmt, u64 spte, int level)
{
	return level == TDP_LEVEL_4K || (spte & fmt->large);
}

/* A present entry that points to a lower table. */
static inline bool spte_is_table(const struct spte_format *fmt, u64 spte, int level)
{
	return spte_is_mmu_present(spte) && !spte_is_leaf(fmt, spte, level);
}

static inline bool spte_is_present_leaf(const struct spte_format *fmt, u64 spte,
					int level)
{
	return spte_is_mmu_present(spte) && spte_is_leaf(fmt, spte, level);
}

static inline pfn_t spte_pfn(u64 spte)
{
	return (spte & SPTE_ADDR_MASK) >> SPTE_ADDR_SHIFT;
}

static inline hpa_t spte_hpa(u64 spte)
{
	return spte & SPTE_ADDR_MASK;
}

/* The hardware permission bits of a leaf, restored if access-tracked. */
static inline u64 spte_hw_perms(const struct spte_format *fmt, u64 spte)
{
	u64 perms = fmt->readable | fmt->writable | fmt->executable;

	if (spte & SPTE_ACC_TRACKED)
		return ((spte & SPTE_ACC_SAVED_MASK) >> SPTE_ACC_SAVED_SHIFT) |
		       (spte & perms & ~fmt->hw_present);
	return spte & perms;
}

static inline bool spte_is_writable(const struct spte_format *fmt, u64 spte)
{
	return (spte_hw_perms(fmt, spte) & fmt->writable) != 0;
}

/* Young: accessed since the last aging (always, with neither A bit nor tracking). */
static inline bool spte_is_young(const struct spte_format *fmt, u64 spte)
{
	if (fmt->flags & SPTE_FMT_AD)
		return (spte & fmt->accessed) != 0;
	return !(spte & SPTE_ACC_TRACKED);
}

/* TDP_ACC_* rights that a present leaf grants to the guest right now. */
u32 spte_access(const struct spte_format *fmt, u64 spte);

/* ---- making entries ---- */

static inline u64 spte_make_table(const struct spte_format *fmt, hpa_t table)
{
	return (table & SPTE_ADDR_MASK) | fmt->table_bits | SPTE_MMU_PRESENT;
}

/* A leaf mapping pfn at level with TDP_ACC_* rights and memory type mt. */
u64 spte_make_leaf(const struct spte_format *fmt, pfn_t pfn, int level,
		   u32 access, enum tdp_memtype mt, bool host_writable);

/* The entry at index i of the table that splits huge leaf (at level). */
u64 spte_split_child(const struct spte_format *fmt, u64 huge, int level,
		     unsigned int i);

/* leaf without write permission (kept MMU-writable, saved bits too). */
u64 spte_clear_writable(const struct spte_format *fmt, u64 leaf);
/* leaf with write permission (the caller checked SPTE_MMU_WRITABLE). */
u64 spte_set_writable(const struct spte_format *fmt, u64 leaf);
/* leaf aged: A bit cleared, or hardware permissions parked (no A bit). */
u64 spte_make_old(const struct spte_format *fmt, u64 leaf);
/* leaf young again: the inverse of spte_make_old(). */
u64 spte_make_young(const struct spte_format *fmt, u64 leaf);

static inline u64 spte_make_mmio(u64 gen)
{
	return SPTE_MMIO | ((gen << SPTE_MMIO_GEN_SHIFT) & SPTE_MMIO_GEN_MASK);
}

static inline u64 spte_mmio_gen(u64 spte)
{
	return (spte & SPTE_MMIO_GEN_MASK) >> SPTE_MMIO_GEN_SHIFT;
}

#endif
