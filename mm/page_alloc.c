// SPDX-License-Identifier: MIT
/*
 * Binary buddy allocator (see include/mm/page_alloc.h for the contract).
 *
 * meta[i] describes page i of the pool:
 *   META_FREE | order   page i heads a free block of that order
 *   META_USED | order   page i heads an allocated block of that order
 *   0                   page i is inside a block, or is metadata
 * A free block links to the next and previous free block of its order
 * through its own first 16 bytes, so unlinking a buddy is O(1).  Buddies are
 * found by physical frame number (pfn ^ 2^order), so blocks stay naturally
 * aligned whatever the pool's base alignment is.
 */
#include "mm/page_alloc.h"
#include "lib/string.h"
#include "compiler.h"
#include "bug.h"
#include "errcode.h"

#define META_FREE 0x80
#define META_USED 0x40
#define META_ORDER 0x3f

struct free_block {
	struct free_block *next, *prev;
};

struct page_pool hv_pool;

static void pool_lock(struct page_pool *pool)
{
	while (__atomic_exchange_n(&pool->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&pool->lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void pool_unlock(struct page_pool *pool)
{
	__atomic_store_n(&pool->lock, 0, __ATOMIC_RELEASE);
}

static u64 page_index(const struct page_pool *pool, const void *p)
{
	return ((uintptr_t)p - pool->base) >> PAGE_SHIFT;
}

static void *page_addr(const struct page_pool *pool, u64 idx)
{
	return (void *)(pool->base + (idx << PAGE_SHIFT));
}

static void list_push(struct page_pool *pool, u64 idx, unsigned int order)
{
	struct free_block *b = page_addr(pool, idx);

	b->prev = NULL;
	b->next = pool->free_head[order];
	if (b->next)
		b->next->prev = b;
	pool->free_head[order] = b;
	pool->meta[idx] = META_FREE | order;
	pool->nr_free[order]++;
}

static void list_unlink(struct page_pool *pool, u64 idx, unsigned int order)
{
	struct free_block *b = page_addr(pool, idx);

	if (b->prev)
		b->prev->next = b->next;
	else
		pool->free_head[order] = b->next;
	if (b->next)
		b->next->prev = b->prev;
	pool->meta[idx] = 0;
	pool->nr_free[order]--;
}

/* Index of idx's buddy at this order, or -1 when it lies outside the pool. */
static s64 buddy_of(const struct page_pool *pool, u64 idx, unsigned int order)
{
	u64 pfn = (pool->base >> PAGE_SHIFT) + idx;
	u64 bpfn = pfn ^ (1ULL << order);
	u64 first = pool->base >> PAGE_SHIFT;

	if (bpfn < first + pool->meta_pages || bpfn + (1ULL << order) > first + pool->npages)
		return -1;
	return (s64)(bpfn - first);
}

/* Frees [idx, idx + 2^order) and merges it with free buddies. */
static void free_block_merge(struct page_pool *pool, u64 idx, unsigned int order)
{
	pool->free_pages += 1ULL << order;
	while (order < PAGE_MAX_ORDER) {
		s64 b = buddy_of(pool, idx, order);

		if (b < 0 || pool->meta[b] != (META_FREE | order))
			break;
		list_unlink(pool, (u64)b, order);
		if ((u64)b < idx)
			idx = (u64)b;
		order++;
	}
	list_push(pool, idx, order);
}

int page_pool_init(struct page_pool *pool, void *mem, u64 bytes)
{
	uintptr_t start = ALIGN_UP((uintptr_t)mem, PAGE_SIZE);
	u64 idx, npages;

	if ((uintptr_t)mem + bytes < start)
		return -EINVAL;
	npages = ((uintptr_t)mem + bytes - start) >> PAGE_SHIFT;
	memset(pool, 0, sizeof(*pool));
	pool->base = start;
	pool->npages = npages;
	pool->meta = (u8 *)start;
	pool->meta_pages = ALIGN_UP(npages, PAGE_SIZE) >> PAGE_SHIFT;
	if (npages <= pool->meta_pages)
		return -EINVAL;
	memset(pool->meta, 0, npages);

	/* Carve the usable range into the largest naturally aligned blocks. */
	idx = pool->meta_pages;
	while (idx < npages) {
		u64 pfn = (start >> PAGE_SHIFT) + idx;
		unsigned int order = 0;

		while (order < PAGE_MAX_ORDER && !(pfn & ((2ULL << order) - 1)) &&
		       idx + (2ULL << order) <= npages)
			order++;
		list_push(pool, idx, order);
		pool->free_pages += 1ULL << order;
		idx += 1ULL << order;
	}
	return 0;
}

void *page_pool_alloc(struct page_pool *pool, unsigned int order)
{
	unsigned int o;
	u64 idx;

	if (order > PAGE_MAX_ORDER)
		return NULL;
	pool_lock(pool);
	for (o = order; o <= PAGE_MAX_ORDER && !pool->free_head[o]; o++)
		;
	if (o > PAGE_MAX_ORDER) {
		pool_unlock(pool);
		return NULL;
	}
	idx = page_index(pool, pool->free_head[o]);
	list_unlink(pool, idx, o);
	while (o > order) {	/* hand the upper halves back */
		o--;
		list_push(pool, idx + (1ULL << o), o);
	}
	pool->meta[idx] = META_USED | order;
	pool->free_pages -= 1ULL << order;
	pool_unlock(pool);
	return page_addr(pool, idx);
}

void page_pool_free(struct page_pool *pool, void *p, unsigned int order)
{
	u64 idx;

	if (!p)
		return;
	BUG_ON(!page_pool_contains(pool, (uintptr_t)p, PAGE_SIZE << order));
	BUG_ON(!IS_ALIGNED((uintptr_t)p, PAGE_SIZE));
	idx = page_index(pool, p);
	pool_lock(pool);
	BUG_ON(pool->meta[idx] != (META_USED | order));
	pool->meta[idx] = 0;
	free_block_merge(pool, idx, order);
	pool_unlock(pool);
}

u64 page_pool_total(const struct page_pool *pool)
{
	return pool->npages - pool->meta_pages;
}

u64 page_pool_used(const struct page_pool *pool)
{
	return page_pool_total(pool) - pool->free_pages;
}

bool page_pool_contains(const struct page_pool *pool, uintptr_t p, u64 size)
{
	uintptr_t lo = pool->base + (pool->meta_pages << PAGE_SHIFT);
	uintptr_t hi = pool->base + (pool->npages << PAGE_SHIFT);

	return p >= lo && p <= hi && size <= hi - p;
}

void *alloc_pages(unsigned int order)
{
	return page_pool_alloc(&hv_pool, order);
}

void free_pages(void *p, unsigned int order)
{
	page_pool_free(&hv_pool, p, order);
}

void *alloc_page(void)
{
	return alloc_pages(0);
}

void free_page(void *p)
{
	free_pages(p, 0);
}

void *alloc_zeroed_page(void)
{
	void *p = alloc_page();

	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}
