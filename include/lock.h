/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks and a writer-preferring reader-writer lock, header only, usable
 * in the freestanding hypervisor (no interrupts are taken while spinning:
 * the hypervisor runs with them off) and in host threads.
 *
 * rwlock_t: any number of readers, or one writer.  A writer that is waiting
 * stops new readers from entering, so writers cannot starve; rwlock_needbreak()
 * lets a long read-side walk notice such a writer and step aside.  Neither
 * lock is recursive: a CPU that holds the read side must not take it again
 * (a waiting writer would deadlock it).
 */
#ifndef TDPVISOR_LOCK_H
#define TDPVISOR_LOCK_H

#include "types.h"
#include "atomic.h"

typedef struct {
	u32 locked;
} spinlock_t;

#define SPINLOCK_INIT { 0 }

static inline void spin_lock_init(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELAXED);
}

/* Returns true when the lock was free and is now held. */
static inline bool spin_trylock(spinlock_t *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(spinlock_t *l)
{
	while (!spin_trylock(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* cnt: RW_WRITER when a writer holds the lock, else the number of readers. */
#define RW_WRITER 0x80000000u

typedef struct {
	u32 cnt;
	u32 writers_waiting;
} rwlock_t;

#define RWLOCK_INIT { 0, 0 }

static inline void rwlock_init(rwlock_t *l)
{
	__atomic_store_n(&l->cnt, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&l->writers_waiting, 0, __ATOMIC_RELAXED);
}

static inline void read_lock(rwlock_t *l)
{
	for (;;) {
		while (__atomic_load_n(&l->writers_waiting, __ATOMIC_RELAXED) ||
		       (__atomic_load_n(&l->cnt, __ATOMIC_RELAXED) & RW_WRITER))
			cpu_relax();
		if (!(__atomic_fetch_add(&l->cnt, 1, __ATOMIC_ACQUIRE) & RW_WRITER))
			return;
		__atomic_fetch_sub(&l->cnt, 1, __ATOMIC_RELAXED);
	}
}

static inline void read_unlock(rwlock_t *l)
{
	__atomic_fetch_sub(&l->cnt, 1, __ATOMIC_RELEASE);
}

static inline void write_lock(rwlock_t *l)
{
	u32 free_ = 0;

	__atomic_fetch_add(&l->writers_waiting, 1, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&l->cnt, &free_, RW_WRITER, false,
					    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		free_ = 0;
		cpu_relax();
	}
	__atomic_fetch_sub(&l->writers_waiting, 1, __ATOMIC_RELAXED);
}

static inline void write_unlock(rwlock_t *l)
{
	__atomic_fetch_and(&l->cnt, ~RW_WRITER, __ATOMIC_RELEASE);
}

/* True when a writer waits: a long read-side walk should drop the lock. */
static inline bool rwlock_needbreak(rwlock_t *l)
{
	return __atomic_load_n(&l->writers_waiting, __ATOMIC_RELAXED) != 0;
}

#endif
