// SPDX-License-Identifier: MIT
/*
 * The TDP MMU's hooks (include/mm/mm_hooks.h) in the hypervisor: pages come
 * from the buddy allocator, and physical addresses equal virtual ones (the
 * firmware's identity map, which hv.efi keeps).
 */
#include "mm/mm_hooks.h"
#include "mm/page_alloc.h"
#include "lib/string.h"

void *mm_alloc_table_page(void)
{
	void *p = alloc_page();

	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

void mm_free_table_page(void *page)
{
	free_page(page);
}

void *mm_alloc_bitmap(u64 bytes)
{
	unsigned int order = order_for_bytes(bytes);
	void *p = alloc_pages(order);

	if (p)
		memset(p, 0, PAGE_SIZE << order);
	return p;
}

void mm_free_bitmap(void *p, u64 bytes)
{
	free_pages(p, order_for_bytes(bytes));
}

hpa_t mm_virt_to_phys(void *p)
{
	return (hpa_t)(uintptr_t)p;
}

void *mm_phys_to_virt(hpa_t hpa)
{
	return (void *)(uintptr_t)hpa;
}

/* No preemption in the hypervisor: walks yield only to waiting writers. */
bool mm_should_yield(void)
{
	return false;
}
