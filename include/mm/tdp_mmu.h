/* SPDX-License-Identifier: MIT */
/*
 * The vendor-neutral TDP MMU: one instance per VM, driven by tdp_iter over
 * paging structures whose format is a struct spte_format.  docs/tdp-mmu.md
 * describes the design and the invariants; each function below states its
 * own contract.
 *
 * Callers: vm/ (faults, slots), vmx/ and svm/ (format, TLB flush callback).
 * Each CPU or thread that uses an MMU does so through its own struct
 * tdp_vcpu, which carries its page cache and its quiescent-state slot.
 * Every function here takes and drops the MMU lock itself; none may be
 * called with that lock held.
 */
#ifndef TDPVISOR_MM_TDP_MMU_H
#define TDPVISOR_MM_TDP_MMU_H

#include "mm/spte.h"
#include "mm/memslot.h"
#include "lock.h"
#include "compiler.h"
#include "errcode.h"

#define TDP_MAX_VCPUS 64
#define TDP_MAX_LOG_SLOTS 16
#define TDP_MAX_ROOTS 8
#define TDP_CACHE_PAGES 8
/* A fault links at most one table per level below the root. */
#define TDP_CACHE_MIN (TDP_MAX_LEVEL - 1)

struct tdp_mmu;

struct tdp_mmu_ops {
	/*
	 * Invalidate every CPU's cached translations (TLB and paging-structure
	 * caches) of this MMU's roots; return only when all CPUs have done so
	 * (INVEPT single-context, an NPT ASID flush, IPIs and waiting).
	 */
	void (*flush_tlbs)(struct tdp_mmu *mmu);
	/*
	 * TDP_DIRTY_PML only (NULL: the vendor has no such log): move every
	 * GPA the CPUs have logged so far (each vCPU's page-modification log)
	 * into the slots' bitmaps with tdp_dirty_log_mark(), and reset the
	 * logs.  A harvest calls it on the read side, before it reads a
	 * bitmap, so a write logged before the harvest began is reported.
	 */
	void (*flush_dirty_logs)(struct tdp_mmu *mmu);
};

struct tdp_root {
	u64 *pt;
	int level;
	bool used;		/* this entry of mmu->root_pool is taken */
	u32 refcount;		/* atomic; vCPUs using it and walkers */
	bool invalid;		/* no new users; freed at refcount 0 */
	struct tdp_root *next;	/* mmu->roots; changed under the write lock */
};

/* Counters for tests and benchmarks (relaxed atomics). */
struct tdp_mmu_stats {
	u64 tables;		/* paging-structure pages in use, roots included */
	u64 tables_retired;	/* unlinked, waiting for a quiescent state */
	u64 flushes;
	u64 splits;
	u64 yields;
	u64 retries;		/* lost compare-and-exchange races */
	u64 recovered;		/* tables replaced by a huge leaf in place */
	u64 mmio_wraps;		/* generation wraps, each zapped every marker */
};

/* What one vCPU writes often, in a cache line of its own. */
struct tdp_qs_cpu {
	u64 ctr;		/* odd while the owner is on the read side */
	u64 xfer[2];		/* its dirty transfers in progress, per epoch */
} __aligned(64);

struct tdp_mmu {
	const struct spte_format *fmt;
	int root_level;
	const struct tdp_mmu_ops *ops;
	void *priv;			/* the vendor's */
	/*
	 * The MMU lock, a reader-writer lock kept per vCPU on the read side:
	 * a reader makes its own qs_cpu[].ctr odd (one cache line it owns, so
	 * readers on different CPUs do not contend) and checks that no writer
	 * holds or waits; a writer sets writer, then waits until every
	 * counter is even.  Writers queue on writer_lock.
	 */
	spinlock_t writer_lock;
	u32 writer;
	struct tdp_root *roots;		/* changed under the write lock */
	struct tdp_root root_pool[TDP_MAX_ROOTS];
	u32 roots_reap;			/* an invalid root lost its last user */
	struct mm_slot *log_slots[TDP_MAX_LOG_SLOTS];	/* write lock */
	u64 mmio_gen;
	/*
	 * Dirty bits in transit: a change that drops a hardware dirty bit from
	 * the tree counts itself in its vCPU's qs_cpu[].xfer[dbit_epoch & 1]
	 * until it has logged the bit, so that a harvest can wait for those
	 * that began before it looked.
	 */
	u32 nr_dbit_slots;		/* D-bit-mode slots (write lock) */
	u32 nr_pml_slots;		/* PML-mode slots (write lock) */
	u64 dbit_epoch;
	/* Quiescent-state reclaim of unlinked tables (mm/tdp_reclaim.c). */
	spinlock_t qs_lock;
	u32 qs_pending;
	u64 *qs_wait_head, *qs_wait_tail, qs_wait_n;
	u64 *qs_next_head, *qs_next_tail, qs_next_n;
	u64 qs_snap[TDP_MAX_VCPUS];
	u32 nr_vcpus;
	struct tdp_qs_cpu qs_cpu[TDP_MAX_VCPUS];
	struct tdp_mmu_stats stats;
};

/*
 * A vCPU's dirty ring: the GFNs its faults logged in TDP_HARVEST_RING
 * slots, in order.  One producer (the vCPU's own thread, under the read
 * side) and one consumer at a time (tdp_dirty_ring_harvest()); entries
 * [head, tail) wait, indices taken modulo size.
 */
struct tdp_dirty_ring {
	gfn_t *gfns;			/* NULL: the vCPU has no ring */
	u64 size;			/* entries, a power of two */
	u64 soft_limit;			/* size - TDP_DIRTY_RING_RESERVE */
	u64 head;			/* next to harvest (release by the harvester) */
	u64 tail;			/* next to fill (release by the vCPU) */
};

/*
 * Entries kept free beyond the soft limit: what one exit can log before
 * the vCPU checks the ring again (a fault logs one page).
 */
#define TDP_DIRTY_RING_RESERVE 64

struct tdp_vcpu {
	struct tdp_mmu *mmu;
	unsigned int id;
	struct tdp_root *root;		/* the root faults map into */
	unsigned int nr_cache;
	void *cache[TDP_CACHE_PAGES];	/* zeroed pages, filled before walks */
	struct tdp_dirty_ring ring;
	/* tdp_mmu_fast_fault(): leaves it fixed, and faults it left to tdp_mmu_map() */
	u64 fast_fixed, fast_refused;
};

/*
 * Tells whether [gfn, gfn + npages) has a single memory type; if so, stores
 * it in *mt.  vm/ implements it from the MTRRs (or fixed ranges).
 */
typedef bool (*tdp_memtype_fn)(void *ctx, gfn_t gfn, u64 npages,
			       enum tdp_memtype *mt);

/* Limits on the page size of a mapping, besides the slot's own bounds. */
struct tdp_huge_policy {
	int max_level;			/* 0: TDP_MAX_HUGE_LEVEL */
	tdp_memtype_fn memtype;		/* NULL: WB everywhere */
	void *memtype_ctx;
};

struct tdp_fault {
	gfn_t gfn;
	u32 access;			/* TDP_ACC_* the guest attempted */
	struct mm_slot *slot;		/* NULL: no memory here (MMIO) */
	struct tdp_huge_policy policy;
	int level;			/* out: level of the leaf mapping gfn */
};

enum tdp_fault_result {
	TDP_FAULT_FIXED,	/* a mapping was installed or widened */
	TDP_FAULT_SPURIOUS,	/* the mapping already allowed the access */
	TDP_FAULT_RETRY,	/* lost a race (e.g. a frozen table): re-enter */
	TDP_FAULT_MMIO,		/* emulate: no slot, marker, or read-only write */
};

/* ---- the MMU and its users (mm/tdp_root.c, mm/tdp_core.c, mm/tdp_reclaim.c) ---- */

/*
 * Sets mmu up for fmt with roots of root_level (4 or 5).  Returns 0, or
 * -EINVAL for a bad format or level.  Allocates nothing.
 */
int tdp_mmu_init(struct tdp_mmu *mmu, const struct spte_format *fmt,
		 int root_level, const struct tdp_mmu_ops *ops, void *priv);
/* Frees every root and every retired table.  No vCPU may remain. */
void tdp_mmu_destroy(struct tdp_mmu *mmu);

/* Registers v (id < TDP_MAX_VCPUS, unique per mmu).  Returns 0 or -EINVAL. */
int tdp_vcpu_init(struct tdp_vcpu *v, struct tdp_mmu *mmu, unsigned int id);
/* Drops v's root reference, returns its cached pages, frees its dirty ring. */
void tdp_vcpu_destroy(struct tdp_vcpu *v);
/*
 * Makes v->root a valid root (reusing one, or allocating it).  Returns 0 or
 * -ENOMEM.  Call after tdp_mmu_invalidate_roots() before the next entry.
 */
int tdp_vcpu_load_root(struct tdp_vcpu *v);
/* Fills v's page cache to at least min pages.  Returns 0 or -ENOMEM. */
int tdp_cache_topup(struct tdp_vcpu *v, unsigned int min);

/* The read side of the MMU lock, which is also v's quiescent-state accounting. */
void tdp_vcpu_read_lock(struct tdp_vcpu *v);
void tdp_vcpu_read_unlock(struct tdp_vcpu *v);
/*
 * The write side: no vCPU is on the read side while it is held, but for
 * aging, which only enters the quiescent-state accounting (mm/tdp_age.c).
 */
void tdp_mmu_write_lock(struct tdp_mmu *mmu);
void tdp_mmu_write_unlock(struct tdp_mmu *mmu);

/*
 * Marks every root invalid (takes the write side) and frees those no vCPU
 * holds.  Each vCPU must tdp_vcpu_load_root() before it enters the guest.
 */
void tdp_mmu_invalidate_roots(struct tdp_mmu *mmu);

/* ---- faults and MMIO markers (mm/tdp_fault.c) ---- */

/*
 * Maps f->gfn for f->access at the largest level that f->policy, the slot's
 * bounds, the host frames' alignment and dirty logging allow (splitting a
 * larger leaf, or replacing a table of smaller ones, as needed).  Returns a
 * tdp_fault_result, -ENOMEM when the page cache could not be filled before
 * the walk, -EPERM for an instruction fetch from an MM_SLOT_NOEXEC slot.
 * With a NULL slot it installs an MMIO marker and returns TDP_FAULT_MMIO.
 */
int tdp_mmu_map(struct tdp_vcpu *v, struct tdp_fault *f);

/*
 * The fast path of a fault on a present leaf: on the read side, without
 * preparing anything, it walks to the leaf that maps f->gfn and, if that
 * leaf maps the slot's frame and only lacks what a fault may restore (write
 * permission held back for dirty logging on an MMU-writable leaf, or the
 * permissions parked by access tracking), fixes it with one compare-and-
 * exchange and logs the page dirty when the leaf became writable in a
 * logging slot.  Returns TDP_FAULT_FIXED or TDP_FAULT_SPURIOUS (f->level
 * set), or -EAGAIN: nothing was changed, call tdp_mmu_map().  It refuses
 * MMIO (no slot), an invalid root, a missing, frozen or foreign leaf, a
 * huge leaf in a logging slot (it must be split), an access the widened
 * leaf would not allow, and a lost exchange.  Counts into v->fast_*.
 */
int tdp_mmu_fast_fault(struct tdp_vcpu *v, struct tdp_fault *f);

/*
 * The largest level (and its memory type) at which gfn may map in slot
 * (mm/tdp_core.c: faults and the end of dirty logging both ask).
 */
int tdp_max_mapping_level(const struct mm_slot *slot, gfn_t gfn,
			  const struct tdp_huge_policy *p, enum tdp_memtype *mt);

/* True when gfn holds an MMIO marker of the current generation. */
bool tdp_mmu_is_mmio_fault(struct tdp_vcpu *v, gfn_t gfn);
/* Installs MMIO markers on [start, end).  Returns 0 or -ENOMEM. */
int tdp_mmu_mark_mmio(struct tdp_vcpu *v, gfn_t start, gfn_t end);
/*
 * Makes every MMIO marker stale (call on any memory-slot change).  When the
 * low SPTE_MMIO_GEN_BITS of the generation wrap to 0 it also zaps every
 * marker (under the write side), so an old marker never matches again.
 */
void tdp_mmu_mmio_gen_bump(struct tdp_mmu *mmu);

/* ---- lookup (mm/tdp_lookup.c) ---- */

/* What a root maps one GFN to, as tdp_mmu_lookup() found it. */
struct tdp_mapping {
	bool present;		/* a leaf of this MMU maps the GFN */
	int level;		/* the leaf's level; else the level of the empty entry */
	hpa_t hpa;		/* the GFN's page (not the leaf's base); 0 if absent */
	u32 access;		/* TDP_ACC_* of the leaf, access tracking undone */
	enum tdp_memtype memtype;	/* MT_NR: an encoding the format lacks */
	u64 spte;		/* the entry as read */
};

/*
 * Reads what v's current root maps gfn to, on the read side, and changes
 * nothing: no fault, no table, no marker.  Returns 0 (out filled; absent is
 * out->present false), or -EINVAL when v has no root or gfn lies beyond it.
 */
int tdp_mmu_lookup(struct tdp_vcpu *v, gfn_t gfn, struct tdp_mapping *out);

/*
 * The census of v's current root: counts[level] (TDP_LEVEL_4K .. 1G) is
 * set to the number of present leaves at that level that meet [start, end)
 * (a huge leaf straddling a bound counts once); counts[0] is 0.  Returns
 * their sum; 0 when v has no root.  Read-only, on the read side; leaves
 * that change during the walk may or may not be counted.
 */
u64 tdp_mmu_count_leaves(struct tdp_vcpu *v, gfn_t start, gfn_t end,
			 u64 counts[TDP_LEVEL_1G + 1]);

/* ---- zapping (mm/tdp_zap.c) ---- */

/*
 * Removes every mapping and marker that meets [start, end) in all roots (a
 * huge leaf that straddles a bound goes whole), and the tables whose whole
 * range lies inside.  One TLB flush covers it all; unlinked tables are freed
 * only after that flush and a quiescent state.  Returns true when something
 * was removed.
 */
bool tdp_mmu_zap_range(struct tdp_vcpu *v, gfn_t start, gfn_t end);
/* tdp_mmu_zap_range() over the whole address space. */
bool tdp_mmu_zap_all(struct tdp_vcpu *v);

/* ---- dirty logging (mm/tdp_dirty.c), KVM GET/CLEAR_DIRTY_LOG semantics ---- */

#define TDP_DIRTY_EAGER_SPLIT BIT(0)	/* split huge leaves at enable */
/*
 * Harvest the slot through the writing vCPUs' dirty rings instead of its
 * bitmap (TDP_DIRTY_WP only; each vCPU that may write needs a ring).
 */
#define TDP_DIRTY_RING BIT(1)

/*
 * Starts logging writes to slot: allocates its zeroed bitmap (not with
 * TDP_DIRTY_RING), then
 * write-protects every leaf (TDP_DIRTY_WP) or clears the dirty bits of 4K
 * leaves and write-protects huge ones (TDP_DIRTY_DBIT, TDP_DIRTY_PML),
 * after splitting huge leaves if flags asks for it.  Returns 0, -ENOMEM,
 * -EBUSY (already logging), -ENOSPC (too many logging slots), -EOPNOTSUPP
 * (DBIT or PML on a format without dirty bits, PML without
 * ops->flush_dirty_logs, TDP_DIRTY_RING with DBIT or PML).
 */
int tdp_dirty_log_enable(struct tdp_vcpu *v, struct mm_slot *slot,
			 enum tdp_dirty_mode mode, u32 flags);
/*
 * Logs gfn dirty in the PML-mode logging slot that holds it; a gfn outside
 * every such slot is ignored.  For the vendor's page-modification-log
 * drain; the caller is on the MMU's read side (flush_dirty_logs runs
 * there, or it takes tdp_vcpu_read_lock() itself).
 */
void tdp_dirty_log_mark(struct tdp_mmu *mmu, gfn_t gfn);
/* True while a slot of mmu logs in TDP_DIRTY_PML mode (the CPU must log). */
static inline bool tdp_mmu_wants_pml(struct tdp_mmu *mmu)
{
	return __atomic_load_n(&mmu->nr_pml_slots, __ATOMIC_RELAXED) != 0;
}
/*
 * Copies into out (mm_slot_bitmap_bytes(npages)) the pages written since
 * they were last cleared.  With clear, also clears them and re-protects
 * them (GET_DIRTY_LOG); without, leaves that to tdp_dirty_log_clear()
 * (manual protect).  TLBs are flushed before it returns, so every write
 * after the return is reported by a later call.  Returns 0 or -EINVAL
 * (not logging, or a TDP_DIRTY_RING slot).
 */
int tdp_dirty_log_get(struct tdp_vcpu *v, struct mm_slot *slot, u64 *out,
		      bool clear);
/*
 * Clears and re-protects the pages first + i (i < npages) whose bit is set
 * in mask (CLEAR_DIRTY_LOG); first must be a multiple of 64.  Returns 0 or
 * -EINVAL (also for a TDP_DIRTY_RING slot, which has no bitmap).
 */
int tdp_dirty_log_clear(struct tdp_vcpu *v, struct mm_slot *slot, u64 first,
			u64 npages, const u64 *mask);
/* ---- the end of dirty logging (mm/tdp_recover.c) ---- */

/*
 * Stops logging, frees the bitmap, and recovers huge pages in place: in
 * every root, each table under a range that p would now let map huge,
 * whose 512 entries are present leaves mapping the range's frames in
 * order with one memory type and the same rights (bar write permission
 * and A/D bits), is replaced by one huge leaf (2 MiB first, then 1 GiB).
 * Other tables stay; a fault into one maps huge again.  Returns 0 or
 * -EINVAL (not logging).  The ring entries of a TDP_DIRTY_RING slot that
 * are still unharvested stay in the rings.
 */
int tdp_dirty_log_disable(struct tdp_vcpu *v, struct mm_slot *slot,
			  const struct tdp_huge_policy *p);

/* ---- dirty rings (mm/tdp_ring.c) ---- */

/*
 * Gives v a dirty ring of entries GFNs (a power of two, at least
 * 2 * TDP_DIRTY_RING_RESERVE).  Returns 0, -EINVAL (a bad size), -EBUSY
 * (v has one) or -ENOMEM.  Freed by tdp_vcpu_destroy().
 */
int tdp_dirty_ring_init(struct tdp_vcpu *v, u64 entries);

/*
 * Returns -ENOSPC when v's ring holds soft_limit entries or more, else 0.
 * A vCPU with a ring calls it before every guest entry, and on -ENOSPC
 * must not enter the guest until the ring was harvested: the reserve only
 * covers what one exit logs.
 */
static inline int tdp_dirty_ring_check(const struct tdp_vcpu *v)
{
	const struct tdp_dirty_ring *r = &v->ring;

	if (r->gfns && __atomic_load_n(&r->tail, __ATOMIC_RELAXED) -
		       __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) >= r->soft_limit)
		return -ENOSPC;
	return 0;
}

/*
 * Moves up to max GFNs, oldest first, from owner's ring into out, and
 * re-protects them (write-protects their 4K leaves in every root) before
 * it returns, with TLBs flushed; their slots in the ring are free again.
 * v is the caller's own vCPU context (owner's, or another of the MMU's).
 * A write after the return to a page it returned faults and is logged
 * again.  Calls for one ring are serialised by the caller.  Returns the
 * number of GFNs, or -EINVAL when owner has no ring.
 */
long tdp_dirty_ring_harvest(struct tdp_vcpu *v, struct tdp_vcpu *owner, gfn_t *out,
			    u64 max);

/* ---- access tracking (mm/tdp_age.c) ---- */

/*
 * Tests and clears the accessed state of the leaves meeting [start, end);
 * sets bit (gfn - start) of young (zeroed by the caller) for each page that
 * a young leaf maps.  Returns the number of young pages.  No TLB flush: a
 * stale translation only makes a page look idle a little longer.  Takes no
 * lock: it runs even beside a writer, and waits for nothing.
 */
u64 tdp_mmu_age_range(struct tdp_vcpu *v, gfn_t start, gfn_t end, u64 *young);

#endif
