// SPDX-License-Identifier: MIT
/* Unit tests of include/lib/bitmap.h. */
#include "lib/bitmap.h"
#include "lib/ktest.h"

KTEST(bitmap_weight_counts_bits_up_to_nbits)
{
	static const u64 map[3] = { ~0ULL, 0x8000000000000001ULL, 0xff };

	KT_EXPECT_EQ(t, hweight64(0), 0);
	KT_EXPECT_EQ(t, hweight64(~0ULL), 64);
	KT_EXPECT_EQ(t, hweight64(0x5555555555555555ULL), 32);
	KT_EXPECT_EQ(t, bitmap_weight(map, 192), 64 + 2 + 8);
	KT_EXPECT_EQ(t, bitmap_weight(map, 64 + 63), 64 + 1);
	KT_EXPECT_EQ(t, bitmap_weight(map, 132), 64 + 2 + 4);
	KT_EXPECT(t, bitmap_test(map, 64) && bitmap_test(map, 127) && !bitmap_test(map, 65));
}
