/* SPDX-License-Identifier: MIT */
/*
 * Atomic operations on naturally aligned 32- and 64-bit words, for the
 * hypervisor and the host test builds alike (GCC __atomic builtins, which
 * compile to LOCK-prefixed instructions on x86-64).
 *
 * Ordering: the read-modify-write operations are sequentially consistent
 * (a full barrier on x86); load_acquire/store_release order only what
 * their names say.  Page-table entries that other CPUs or the hardware walker
 * may change are only ever read and written through these.
 */
#ifndef TDPVISOR_ATOMIC_H
#define TDPVISOR_ATOMIC_H

#include "types.h"

/* Reads *p once; later loads and stores are not moved before it. */
static inline u64 load_acquire64(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void store_release64(u64 *p, u64 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/*
 * If *p == *old, stores new and returns true.  Otherwise returns false and
 * *old receives the value seen, so a retry loop needs no extra read.
 */
static inline bool try_cmpxchg64(u64 *p, u64 *old, u64 new)
{
	return __atomic_compare_exchange_n(p, old, new, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

/* Stores v and returns the previous value. */
static inline u64 xchg64(u64 *p, u64 v)
{
	return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}

/* *p &= mask, returning the previous value. */
static inline u64 fetch_and64(u64 *p, u64 mask)
{
	return __atomic_fetch_and(p, mask, __ATOMIC_SEQ_CST);
}

/* *p |= bits, returning the previous value. */
static inline u64 fetch_or64(u64 *p, u64 bits)
{
	return __atomic_fetch_or(p, bits, __ATOMIC_SEQ_CST);
}

static inline u64 atomic64_add_return(u64 *p, u64 v)
{
	return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

static inline u64 atomic64_sub_return(u64 *p, u64 v)
{
	return __atomic_sub_fetch(p, v, __ATOMIC_SEQ_CST);
}

static inline u32 load_acquire32(const u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline u32 atomic32_add_return(u32 *p, u32 v)
{
	return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

static inline u32 atomic32_sub_return(u32 *p, u32 v)
{
	return __atomic_sub_fetch(p, v, __ATOMIC_SEQ_CST);
}

/* A statistics counter: atomic, but orders nothing. */
static inline void stat_add(u64 *p, u64 v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static inline u64 stat_read(const u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Spin-wait hint: lets the sibling hyperthread run. */
static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

#endif
