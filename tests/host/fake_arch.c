// SPDX-License-Identifier: MIT
/*
 * The fake arch of the host test builds: the TDP MMU's hooks
 * (include/mm/mm_hooks.h) on top of the C heap.  "Physical" addresses are
 * host virtual addresses, which fit the 52-bit SPTE address field on
 * x86-64 Linux (47-bit user space).  Every allocation is counted so that a
 * test can check that it gave everything back.
 */
#undef memset	/* pages are zeroed by the C library's: mm/ still calls lib/'s */
#include <stdlib.h>
#include <string.h>
#include "mm/mm_hooks.h"
#include "fake_arch.h"
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
