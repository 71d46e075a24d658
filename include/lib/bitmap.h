/* SPDX-License-Identifier: MIT */
/* Bitmaps of u64 words (bit i of the map is bit i % 64 of word i / 64). */
#ifndef TDPVISOR_BITMAP_H
#define TDPVISOR_BITMAP_H

#include "types.h"

/* Number of set bits, without libgcc's popcount helper. */
static inline unsigned int hweight64(u64 w)
{
	w = w - ((w >> 1) & 0x5555555555555555ULL);
	w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned int)((w * 0x0101010101010101ULL) >> 56);
}

static inline bool bitmap_test(const u64 *map, u64 bit)
{
	return (map[bit / 64] >> (bit % 64)) & 1;
}

/* Set bits among the first nbits. */
static inline u64 bitmap_weight(const u64 *map, u64 nbits)
{
	u64 i, n = 0;

	for (i = 0; i < nbits / 64; i++)
		n += hweight64(map[i]);
	if (nbits % 64)
		n += hweight64(map[i] & ((1ULL << (nbits % 64)) - 1));
	return n;
}

#endif
