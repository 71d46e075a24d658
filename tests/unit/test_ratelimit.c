// SPDX-License-Identifier: MIT
/* Unit tests of lib/ratelimit.c. */
#include "lib/ktest.h"
#include "lib/ratelimit.h"

#define MS 1000000ULL

KTEST(ratelimit_lets_a_burst_through_and_counts_the_rest)
{
	static struct ratelimit rl = RATELIMIT_INIT(1000, 3);
	u32 missed = 99, i, ok = 0;

	for (i = 0; i < 10; i++) {
		ok += ratelimit_ok(&rl, 5 * MS + i, &missed);
		KT_EXPECT_EQ(t, missed, 0);	/* the window goes on */
	}
	KT_EXPECT_EQ(t, ok, 3);
	/* The next window: its first line may print, and learns of 7 held back. */
	KT_EXPECT(t, ratelimit_ok(&rl, 5 * MS + 1000 * MS, &missed));
	KT_EXPECT_EQ(t, missed, 7);
	KT_EXPECT(t, ratelimit_ok(&rl, 5 * MS + 1001 * MS, &missed));
	KT_EXPECT_EQ(t, missed, 0);
}

KTEST(ratelimit_starts_a_window_at_time_zero_too)
{
	static struct ratelimit rl = RATELIMIT_INIT(10, 1);
	u32 missed;

	KT_EXPECT(t, ratelimit_ok(&rl, 0, &missed));
	KT_EXPECT(t, !ratelimit_ok(&rl, 1, &missed));
	KT_EXPECT(t, ratelimit_ok(&rl, 11 * MS, &missed));
	KT_EXPECT_EQ(t, missed, 1);
}
