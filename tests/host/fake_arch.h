/* SPDX-License-Identifier: MIT */
/* Knobs and counters of the host fake arch (tests/host/fake_arch.c). */
#ifndef TDPVISOR_FAKE_ARCH_H
#define TDPVISOR_FAKE_ARCH_H

#include "types.h"

extern u64 fake_table_pages;
extern u64 fake_bitmap_bytes;
extern u64 fake_table_allocs;
extern u64 fake_alloc_fail_after;
extern u32 fake_yield_every;

static inline u64 fake_pages_in_use(void)
{
	return __atomic_load_n(&fake_table_pages, __ATOMIC_RELAXED);
}

static inline u64 fake_bitmap_in_use(void)
{
	return __atomic_load_n(&fake_bitmap_bytes, __ATOMIC_RELAXED);
}

/*
 * The TLB model: each vCPU (0 .. FAKE_TLB_CPUS - 1) caches the 4 KiB
 * translations its accesses used (the hardware stand-in, tests/host/mm/
 * tdp_hw.h, fills them) until a flush of their MMU.  The host tests' MMUs
 * call fake_tlb_flush() as their flush_tlbs hook; fake_tlb_flushes counts
 * the flushes.  fake_tlb_check() returns false, with why in msg, when cpu
 * still holds a translation for root that the tree no longer grants:
 * after an operation has returned, that is a missing flush.
 */
#define FAKE_TLB_CPUS 8

struct tdp_mmu;
struct tdp_root;

extern u64 fake_tlb_flushes;

void fake_tlb_lock(unsigned int cpu);
void fake_tlb_unlock(unsigned int cpu);
/* With fake_tlb_lock(cpu) held, around the walk that found the translation. */
void fake_tlb_fill(unsigned int cpu, const struct tdp_mmu *mmu, const struct tdp_root *root,
		   gfn_t gfn, pfn_t pfn, bool write, bool dirty);
void fake_tlb_flush(const struct tdp_mmu *mmu);
/* Drops mmu's entries without counting a flush (an MMU that goes away). */
void fake_tlb_forget(const struct tdp_mmu *mmu);
/* How many of cpu's entries belong to mmu. */
u64 fake_tlb_entries(unsigned int cpu, const struct tdp_mmu *mmu);
bool fake_tlb_check(unsigned int cpu, const struct tdp_mmu *mmu, const struct tdp_root *root,
		    char *msg, unsigned long len);

static inline u64 fake_tlb_flush_count(void)
{
	return __atomic_load_n(&fake_tlb_flushes, __ATOMIC_RELAXED);
}

#endif
