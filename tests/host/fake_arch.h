/* SPDX-License-Identifier: MIT */
/* Knobs and counters of the host fake arch (tests/host/fake_arch.c). */
#ifndef TDPVISOR_FAKE_ARCH_H
#define TDPVISOR_FAKE_ARCH_H

#include "types.h"

extern u64 fake_table_pages;
extern u64 fake_bitmap_bytes;
extern u64 fake_table_allocs;
extern u64 fake_alloc_fail_after;
extern u32 fake_yield_every;

static inline u64 fake_pages_in_use(void)
{
	return __atomic_load_n(&fake_table_pages, __ATOMIC_RELAXED);
}

static inline u64 fake_bitmap_in_use(void)
{
	return __atomic_load_n(&fake_bitmap_bytes, __ATOMIC_RELAXED);
}

#endif
