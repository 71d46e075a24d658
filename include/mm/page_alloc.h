/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's page allocator: a binary buddy allocator over one
 * contiguous pool of memory reserved from the firmware.
 *
 * Blocks are 2^order 4 KiB pages, naturally aligned in physical address
 * (order 9 = 2 MiB, order 18 = 1 GiB).  Allocation and free are
 * O(MAX_ORDER).  The pool's metadata (one byte a page) lives at the start of
 * the pool itself.  Exhaustion returns NULL; freeing a block that is not
 * allocated, or with another order than it was allocated with, is a bug
 * (BUG_ON).  Memory is returned uninitialised.
 */
#ifndef TDPVISOR_PAGE_ALLOC_H
#define TDPVISOR_PAGE_ALLOC_H

#include "types.h"

#define PAGE_MAX_ORDER 18

struct page_pool {
	uintptr_t base;		/* first byte of the managed range */
	u64 npages;		/* pages in the managed range */
	u8 *meta;		/* one byte per page, see page_alloc.c */
	void *free_head[PAGE_MAX_ORDER + 1];
	u64 nr_free[PAGE_MAX_ORDER + 1];
	u64 free_pages;
	u64 meta_pages;		/* pages of the pool used by meta itself */
	volatile u32 lock;
};

/*
 * Takes over [mem, mem + bytes) (page aligned; the tail that is not a whole
 * page is ignored).  Returns 0, or -EINVAL when the range is too small to
 * hold its own metadata and one page.
 */
int page_pool_init(struct page_pool *pool, void *mem, u64 bytes);
void *page_pool_alloc(struct page_pool *pool, unsigned int order);
void page_pool_free(struct page_pool *pool, void *p, unsigned int order);
/* Pages currently allocated (metadata pages excluded). */
u64 page_pool_used(const struct page_pool *pool);
/* Pages managed for allocation (metadata pages excluded). */
u64 page_pool_total(const struct page_pool *pool);
/* True when [p, p + size) lies inside the pool. */
bool page_pool_contains(const struct page_pool *pool, uintptr_t p, u64 size);

/* The hypervisor's pool (boot/ initialises it from the reserved memory). */
extern struct page_pool hv_pool;
void *alloc_pages(unsigned int order);
void free_pages(void *p, unsigned int order);
void *alloc_page(void);
void free_page(void *p);
/* A zeroed page, or NULL. */
void *alloc_zeroed_page(void);

static inline unsigned int order_for_bytes(u64 bytes)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

#endif
