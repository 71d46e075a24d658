// SPDX-License-Identifier: MIT
/*
 * The fake arch of the host test builds: the TDP MMU's hooks
 * (include/mm/mm_hooks.h) on top of the C heap.  "Physical" addresses are
 * host virtual addresses, which fit the 52-bit SPTE address field on
 * x86-64 Linux (47-bit user space).  Every allocation is counted so that a
 * test can check that it gave everything back.  Also the test side of the
 * race point (mm_race_hook) and a model of the vCPUs' TLBs.
 */
#undef memset	/* pages are zeroed by the C library's: mm/ still calls lib/'s */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mm/mm_hooks.h"
#include "mm/tdp_mmu.h"
#include "fake_arch.h"
#include "hw_bits.h"
#include "lock.h"
#include "bug.h"

u64 fake_table_pages;		/* table pages currently allocated */
u64 fake_bitmap_bytes;		/* bitmap bytes currently allocated */
u64 fake_table_allocs;		/* table pages ever allocated */
u64 fake_alloc_fail_after = ~0ULL; /* fail every allocation after this many */
u32 fake_yield_every;		/* mm_should_yield() true 1 in N calls */

static bool fake_alloc_allowed(void)
{
	u64 n = __atomic_fetch_add(&fake_table_allocs, 1, __ATOMIC_RELAXED);

	return n < __atomic_load_n(&fake_alloc_fail_after, __ATOMIC_RELAXED);
}

void *mm_alloc_table_page(void)
{
	void *p;

	if (!fake_alloc_allowed())
		return NULL;
	p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!p)
		return NULL;
	memset(p, 0, PAGE_SIZE);
	__atomic_fetch_add(&fake_table_pages, 1, __ATOMIC_RELAXED);
	return p;
}

void mm_free_table_page(void *page)
{
	BUG_ON(!page || ((uintptr_t)page & (PAGE_SIZE - 1)));
	__atomic_fetch_sub(&fake_table_pages, 1, __ATOMIC_RELAXED);
	free(page);
}

void *mm_alloc_bitmap(u64 bytes)
{
	void *p = calloc(1, bytes);

	if (p)
		__atomic_fetch_add(&fake_bitmap_bytes, bytes, __ATOMIC_RELAXED);
	return p;
}

void mm_free_bitmap(void *p, u64 bytes)
{
	__atomic_fetch_sub(&fake_bitmap_bytes, bytes, __ATOMIC_RELAXED);
	free(p);
}

hpa_t mm_virt_to_phys(void *p)
{
	hpa_t hpa = (hpa_t)(uintptr_t)p;

	BUG_ON(hpa & ~GENMASK_ULL(51, 0));
	return hpa;
}

void *mm_phys_to_virt(hpa_t hpa)
{
	return (void *)(uintptr_t)hpa;
}

bool mm_should_yield(void)
{
	static __thread u32 calls;
	u32 every = __atomic_load_n(&fake_yield_every, __ATOMIC_RELAXED);

	return every && ++calls % every == 0;
}

/* ---- the race point (include/mm/mm_hooks.h) ---- */

void (*mm_race_hook)(u64 *sptep, u64 old, u64 new);

/* ---- the TLB model ---- */

/*
 * Per vCPU, a direct-mapped cache of 4 KiB translations, tagged with the
 * MMU and root they came from, as a CPU tags them with the EPTP or ASID.
 * An entry is dropped only by a flush of its MMU (or replaced by another
 * translation of the same set, as a real TLB evicts).  The lock makes a
 * walk and its fill one step against a flush, as a CPU takes the flush
 * IPI only between instructions.
 */
#define FAKE_TLB_SETS 128

struct fake_tlb_entry {
	const struct tdp_mmu *mmu;	/* NULL: empty */
	const struct tdp_root *root;
	gfn_t gfn;
	pfn_t pfn;
	bool write, dirty;
};

struct fake_tlb {
	spinlock_t lock;
	struct fake_tlb_entry e[FAKE_TLB_SETS];
};

static struct fake_tlb fake_tlbs[FAKE_TLB_CPUS];
u64 fake_tlb_flushes;

void fake_tlb_lock(unsigned int cpu)
{
	BUG_ON(cpu >= FAKE_TLB_CPUS);
	spin_lock(&fake_tlbs[cpu].lock);
}

void fake_tlb_unlock(unsigned int cpu)
{
	spin_unlock(&fake_tlbs[cpu].lock);
}

void fake_tlb_fill(unsigned int cpu, const struct tdp_mmu *mmu, const struct tdp_root *root,
		   gfn_t gfn, pfn_t pfn, bool write, bool dirty)
{
	fake_tlbs[cpu].e[gfn % FAKE_TLB_SETS] = (struct fake_tlb_entry){
		.mmu = mmu, .root = root, .gfn = gfn, .pfn = pfn, .write = write, .dirty = dirty,
	};
}

void fake_tlb_forget(const struct tdp_mmu *mmu)
{
	unsigned int cpu, i;

	for (cpu = 0; cpu < FAKE_TLB_CPUS; cpu++) {
		spin_lock(&fake_tlbs[cpu].lock);
		for (i = 0; i < FAKE_TLB_SETS; i++)
			if (fake_tlbs[cpu].e[i].mmu == mmu)
				fake_tlbs[cpu].e[i].mmu = NULL;
		spin_unlock(&fake_tlbs[cpu].lock);
	}
}

void fake_tlb_flush(const struct tdp_mmu *mmu)
{
	fake_tlb_forget(mmu);
	__atomic_fetch_add(&fake_tlb_flushes, 1, __ATOMIC_RELAXED);
}

u64 fake_tlb_entries(unsigned int cpu, const struct tdp_mmu *mmu)
{
	u64 n = 0;
	unsigned int i;

	spin_lock(&fake_tlbs[cpu].lock);
	for (i = 0; i < FAKE_TLB_SETS; i++)
		n += fake_tlbs[cpu].e[i].mmu == mmu;
	spin_unlock(&fake_tlbs[cpu].lock);
	return n;
}

/*
 * Why e can no longer be used, walking root as the hardware does with the
 * manuals' bits (hw_bits.h), or NULL when the tree still grants it: the
 * same frame, write permission if e has it, the dirty bit if e cached it.
 * A leaf that access tracking parked (SPTE_ACC_TRACKED) still grants its
 * saved rights: tracking does not flush by design.
 */
static const char *tlb_entry_stale(const struct hw_bits *b, const struct fake_tlb_entry *e,
				   u64 *pt, int level)
{
	for (; level >= 1; level--) {
		u64 spte = __atomic_load_n(&pt[(e->gfn >> (9 * (level - 1))) & 511],
					   __ATOMIC_ACQUIRE);
		u64 perms = spte;
		bool tracked = (spte & (SPTE_ACC_TRACKED | SPTE_MMU_PRESENT)) ==
			       (SPTE_ACC_TRACKED | SPTE_MMU_PRESENT);

		if (tracked)
			perms = (spte & SPTE_ACC_SAVED_MASK) >> SPTE_ACC_SAVED_SHIFT;
		else if (!(spte & b->present))
			return "the tree has no mapping";
		if (!tracked && level > 1 && !(spte & b->ps)) {
			pt = mm_phys_to_virt(spte & HWB_ADDR);
			continue;
		}
		if (((spte & HWB_ADDR) >> 12) + (e->gfn & ((1ULL << (9 * (level - 1))) - 1)) !=
		    e->pfn)
			return "the tree maps another frame";
		if (e->write && !(perms & b->write))
			return "the tree is no longer writable";
		if (e->dirty && !(spte & b->d))
			return "the tree's dirty bit is clear";
		return NULL;
	}
	return "no leaf";
}

bool fake_tlb_check(unsigned int cpu, const struct tdp_mmu *mmu, const struct tdp_root *root,
		    char *msg, unsigned long len)
{
	const struct hw_bits *b = hw_bits_of(mmu->fmt);
	const char *why = NULL;
	unsigned int i;

	spin_lock(&fake_tlbs[cpu].lock);
	for (i = 0; i < FAKE_TLB_SETS && !why; i++) {
		const struct fake_tlb_entry *e = &fake_tlbs[cpu].e[i];

		if (e->mmu != mmu || e->root != root)
			continue;
		why = tlb_entry_stale(b, e, root->pt, root->level);
		if (why)
			snprintf(msg, len, "vcpu %u: stale TLB entry gfn 0x%llx -> pfn 0x%llx%s%s: %s",
				 cpu, (unsigned long long)e->gfn, (unsigned long long)e->pfn,
				 e->write ? " writable" : "", e->dirty ? " dirty" : "", why);
	}
	spin_unlock(&fake_tlbs[cpu].lock);
	return !why;
}
