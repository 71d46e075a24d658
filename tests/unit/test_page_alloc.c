// SPDX-License-Identifier: MIT
/*
 * Unit tests of the buddy allocator (mm/page_alloc.c).  Each test builds a
 * private pool over a block taken from hv_pool, so the same tests run on the
 * host and inside hv.efi.
 */
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "errcode.h"

#define TEST_POOL_ORDER 9 /* 2 MiB of backing for each private pool */

/* Deterministic xorshift so a failure is reproducible. */
static u64 rng_next(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

KTEST(page_alloc_rejects_a_pool_too_small_for_its_metadata)
{
	struct page_pool pool;
	void *mem = alloc_pages(0);

	KT_ASSERT(t, mem != NULL);
	KT_EXPECT_EQ(t, page_pool_init(&pool, mem, PAGE_SIZE), -EINVAL);
	KT_EXPECT_EQ(t, page_pool_init(&pool, mem, 100), -EINVAL);
	free_pages(mem, 0);
}

KTEST(page_alloc_returns_naturally_aligned_blocks_of_each_order)
{
	struct page_pool pool;
	void *mem = alloc_pages(TEST_POOL_ORDER);
	unsigned int order;

	KT_ASSERT(t, mem != NULL);
	KT_ASSERT_EQ(t, page_pool_init(&pool, mem, PAGE_SIZE << TEST_POOL_ORDER), 0);
	for (order = 0; order < TEST_POOL_ORDER; order++) {
		void *p = page_pool_alloc(&pool, order);

		KT_EXPECT(t, p != NULL);
		KT_EXPECT_EQ(t, (uintptr_t)p & ((PAGE_SIZE << order) - 1), 0);
		page_pool_free(&pool, p, order);
	}
	KT_EXPECT_EQ(t, page_pool_used(&pool), 0);
	free_pages(mem, TEST_POOL_ORDER);
}

KTEST(page_alloc_exhaustion_returns_null_and_keeps_counts)
{
	struct page_pool pool;
	void *mem = alloc_pages(TEST_POOL_ORDER);
	void *pages[512];
	u64 total, n = 0;

	KT_ASSERT(t, mem != NULL);
	KT_ASSERT_EQ(t, page_pool_init(&pool, mem, PAGE_SIZE << TEST_POOL_ORDER), 0);
	total = page_pool_total(&pool);
	KT_EXPECT_EQ(t, total, 511); /* one page of metadata */
	while (n < ARRAY_SIZE(pages) && (pages[n] = page_pool_alloc(&pool, 0)))
		n++;
	KT_EXPECT_EQ(t, n, total);
	KT_EXPECT(t, page_pool_alloc(&pool, 0) == NULL);
	KT_EXPECT(t, page_pool_alloc(&pool, 3) == NULL);
	KT_EXPECT(t, page_pool_alloc(&pool, PAGE_MAX_ORDER + 1) == NULL);
	KT_EXPECT_EQ(t, page_pool_used(&pool), total);
	while (n)
		page_pool_free(&pool, pages[--n], 0);
	KT_EXPECT_EQ(t, page_pool_used(&pool), 0);
	free_pages(mem, TEST_POOL_ORDER);
}

KTEST(page_alloc_random_churn_never_overlaps_and_merges_back)
{
	struct page_pool pool;
	void *mem = alloc_pages(TEST_POOL_ORDER);
	struct { u8 *p; unsigned int order; } live[64];
	u64 before[PAGE_MAX_ORDER + 1], seed = 0x9e3779b97f4a7c15ULL;
	unsigned int i, nlive = 0, bad = 0;

	KT_ASSERT(t, mem != NULL);
	/* A base that is not 2 MiB aligned: buddies still pair by address. */
	KT_ASSERT_EQ(t, page_pool_init(&pool, (u8 *)mem + 3 * PAGE_SIZE,
				       (PAGE_SIZE << TEST_POOL_ORDER) - 3 * PAGE_SIZE), 0);
	memcpy(before, pool.nr_free, sizeof(before));
	for (i = 0; i < 4000; i++) {
		u64 r = rng_next(&seed);

		if (nlive < ARRAY_SIZE(live) && (r & 1)) {
			unsigned int order = (r >> 8) % 5;
			u8 *p = page_pool_alloc(&pool, order);

			if (!p)
				continue;
			bad += ((uintptr_t)p & ((PAGE_SIZE << order) - 1)) != 0;
			memset(p, (int)(nlive + 1), PAGE_SIZE << order);
			live[nlive].p = p;
			live[nlive].order = order;
			nlive++;
		} else if (nlive) {
			unsigned int k = (unsigned int)((r >> 16) % nlive);
			u64 j, len = PAGE_SIZE << live[k].order;

			/* The block must still hold the marker of its owner. */
			for (j = 0; j < len; j += 512)
				bad += live[k].p[j] != (u8)(k + 1);
			page_pool_free(&pool, live[k].p, live[k].order);
			nlive--;
			if (k != nlive) {
				live[k] = live[nlive];
				memset(live[k].p, (int)(k + 1), PAGE_SIZE << live[k].order);
			}
		}
	}
	while (nlive) {
		nlive--;
		page_pool_free(&pool, live[nlive].p, live[nlive].order);
	}
	KT_EXPECT_EQ(t, bad, 0);
	KT_EXPECT_EQ(t, page_pool_used(&pool), 0);
	KT_EXPECT_EQ(t, memcmp(before, pool.nr_free, sizeof(before)), 0);
	free_pages(mem, TEST_POOL_ORDER);
}
