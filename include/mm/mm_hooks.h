/* SPDX-License-Identifier: MIT */
/*
 * What the TDP MMU needs from its environment, implemented once for the
 * hypervisor (mm/hooks_hv.c: the buddy allocator, physical == virtual) and
 * once for the host tests (tests/host/fake_arch.c: the C heap, "physical" ==
 * the host virtual address, which fits the 52-bit SPTE address field).
 *
 * Locks and atomics are header-only (include/lock.h, include/atomic.h) and
 * TLB flushing is a per-MMU callback (struct tdp_mmu_ops), so this list is
 * short.  None of these may be called with a spinlock held by the caller
 * unless noted; all of them may be called under the MMU's read lock.
 */
#ifndef TDPVISOR_MM_HOOKS_H
#define TDPVISOR_MM_HOOKS_H

#include "types.h"

/* A zeroed, 4 KiB-aligned page for a paging structure, or NULL. */
void *mm_alloc_table_page(void);
/* Returns a page from mm_alloc_table_page(). */
void mm_free_table_page(void *page);

/* bytes of zeroed memory for a bitmap (page granular), or NULL. */
void *mm_alloc_bitmap(u64 bytes);
void mm_free_bitmap(void *p, u64 bytes);

/* The physical address of a page-table page, and back. */
hpa_t mm_virt_to_phys(void *p);
void *mm_phys_to_virt(hpa_t hpa);

/*
 * True when a long walk should give the CPU away now (a pending interrupt,
 * a tick).  The walk also yields when a writer waits for the MMU lock.
 */
bool mm_should_yield(void);

/*
 * The point between the read of a live entry (old) and the compare-and-
 * exchange that replaces it with new.  The host tests set mm_race_hook to
 * change the entry there, as another CPU could, so that the losing side of
 * a race runs on purpose (tests/host/fake_arch.c).  In hv.efi it is nothing.
 */
#ifdef HOST_TEST
extern void (*mm_race_hook)(u64 *sptep, u64 old, u64 new);
static inline void mm_race_point(u64 *sptep, u64 old, u64 new)
{
	void (*hook)(u64 *, u64, u64) = __atomic_load_n(&mm_race_hook, __ATOMIC_ACQUIRE);

	if (__builtin_expect(hook != NULL, 0))
		hook(sptep, old, new);
}
#else
static inline void mm_race_point(u64 *sptep, u64 old, u64 new)
{
	(void)sptep;
	(void)old;
	(void)new;
}
#endif

#endif
