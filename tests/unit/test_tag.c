// SPDX-License-Identifier: MIT
/* Unit tests of include/lib/tag.h. */
#include "lib/ktest.h"
#include "lib/tag.h"

KTEST(tag_alloc_counts_from_one_and_wraps_after_max)
{
	u32 next = 0;

	KT_EXPECT_EQ(t, tag_alloc(&next, 3), 1);	/* 0 is never a tag */
	KT_EXPECT_EQ(t, tag_alloc(&next, 3), 2);
	KT_EXPECT_EQ(t, tag_alloc(&next, 3), 3);
	KT_EXPECT_EQ(t, tag_alloc(&next, 3), 1);	/* wrapped */
	KT_EXPECT_EQ(t, next, 2);
	next = 1000;					/* past a smaller max */
	KT_EXPECT_EQ(t, tag_alloc(&next, 7), 1);
	next = 0xffffffffu;
	KT_EXPECT_EQ(t, tag_alloc(&next, 0xffffffffu), 0xffffffffu);
	KT_EXPECT_EQ(t, tag_alloc(&next, 0xffffffffu), 1);	/* *next wrapped to 0 */
}
