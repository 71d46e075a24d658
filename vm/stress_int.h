/* SPDX-License-Identifier: MIT */
/* What vm/stress*.c share (the API is include/vm/stress.h). */
#ifndef TDPVISOR_VM_STRESS_INT_H
#define TDPVISOR_VM_STRESS_INT_H

#include "vm/stress.h"
#include "vm/vm.h"
#include "arch/percpu.h"
#include "lock.h"

#define STRESS_LOG_SLOTS 4
#define STRESS_LOG_MAX_PAGES ((32ULL << 20) >> PAGE_SHIFT)	/* 32 MiB a slot */
#define STRESS_LOG_WORDS (STRESS_LOG_MAX_PAGES / 64)
#define STRESS_HUGE_PAGES 512ULL				/* 2 MiB */
#define STRESS_LOG_HUGE (STRESS_LOG_MAX_PAGES / STRESS_HUGE_PAGES)

/* A slot that dirty-log rounds turn on and off. */
struct stress_log {
	struct mm_slot *slot;
	u32 busy;		/* a CPU works on it (taken with an exchange) */
	bool on;		/* logging */
	enum tdp_dirty_mode mode;	/* while on */
	u32 huge_at_enable;	/* 2 MiB positions mapped huge when it was enabled */
	u32 split;		/* ... and no longer at its last disable */
	u64 bitmap[STRESS_LOG_WORDS];
};

struct stress_cpu {
	struct stress_counts c;
	u64 rng;
} __aligned(64);

struct stress {
	struct vm *vm;
	struct stress_config cfg;
	u64 rate_ns;
	bool smp;			/* vCPUs run on several CPUs at once */
	gfn_t win_start, win_end;	/* where zaps, ages and retypes go */
	unsigned int nlog;
	struct stress_log log[STRESS_LOG_SLOTS];
	u32 dirty_modes;		/* BIT(TDP_DIRTY_*) the rounds pick from */
	/* The MTRR-like range: no TDP page may span one of its ends. */
	spinlock_t retype_lock;
	gfn_t bound[2];
	tdp_memtype_fn inner;		/* the VM's own memory-type callback */
	void *inner_ctx;
	struct stress_cpu cpu[NR_CPUS];
};

/* Adds n to a counter that other CPUs read (only its CPU writes it). */
static inline void stress_count(u64 *ctr, u64 n)
{
	__atomic_store_n(ctr, __atomic_load_n(ctr, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* vm/stress_log.c */
/* Carves s->log[] slots out of the slot below the lowest scratch slot (or the
 * largest).  0 or -ENOSPC. */
int stress_log_carve(struct stress *s);
/* One dirty-log step on CPU pc: toggles one free slot (enable; or harvest
 * and disable), harvests another that logs. */
void stress_log_step(struct stress *s, struct vcpu *v, struct stress_cpu *pc);
/* Disables logging on every slot that still logs (no step runs). */
void stress_log_stop(struct stress *s, struct vcpu *v);

#endif
