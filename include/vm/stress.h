/* SPDX-License-Identifier: MIT */
/*
 * TDP stress (tdp_stress=): while a VM's guest runs, every CPU that runs one
 * of its vCPUs changes the VM's TDP map in ways the guest must not notice --
 * it zaps random ranges, turns dirty logging on and off and harvests it,
 * splits huge pages and lets faults rebuild them, ages ranges, and moves
 * the boundaries of MTRR-like ranges (same memory type) so that pages
 * refault at other sizes.  docs/stress.md says what each operation does
 * and why the guest reads the same memory throughout.
 *
 * The platform VM runs it from its hypervisor tick (platform_tick());
 * a test VM's owner calls stress_step() between guest runs.
 */
#ifndef TDPVISOR_VM_STRESS_H
#define TDPVISOR_VM_STRESS_H

#include "types.h"

/* The operations (tdp_stress=...,ops=zap+dirty+age+split+retype). */
#define STRESS_ZAP BIT(0)	/* zap a random range of guest memory */
#define STRESS_DIRTY BIT(1)	/* dirty-log rounds: enable, get + clear, disable */
#define STRESS_AGE BIT(2)	/* test and clear accessed bits of a range */
#define STRESS_SPLIT BIT(3)	/* enable splits huge pages; disable lets them back */
#define STRESS_RETYPE BIT(4)	/* move an MTRR-like boundary; refault what it cuts */
#define STRESS_ALL (STRESS_ZAP | STRESS_DIRTY | STRESS_AGE | STRESS_SPLIT | STRESS_RETYPE)
#define STRESS_NR_OPS 5

#define STRESS_RATE_MIN_MS 1
#define STRESS_RATE_MAX_MS 1000
#define STRESS_SEED_DEFAULT 0x7464707374726573ULL

/* tdp_stress=RATE_MS[,seed=N][,ops=A+B...] (boot/cmdline.c); rate_ms 0: off. */
struct stress_config {
	u32 rate_ms;		/* each CPU runs one step this often */
	u32 ops;		/* STRESS_* */
	u64 seed;		/* each CPU's generator starts from it and its id */
};

/* splitmix64: the next number of the sequence in *state. */
static inline u64 stress_rand(u64 *state)
{
	u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct vm;
struct vcpu;
struct stress;

/* Counters, per CPU and summed. */
struct stress_counts {
	u64 steps;
	u64 late;		/* steps run late: a tick came more than a rate late */
	u64 zaps, zaps_hit;	/* ranges zapped; ... that held a mapping */
	u64 toggles;		/* dirty logging turned on or off */
	u64 rounds;		/* dirty-log rounds ended (enable .. disable) */
	u64 harvests;		/* get (+ clear) calls */
	u64 dirty_pages;	/* pages the harvests reported */
	u64 splits;		/* huge leaves split by an eager-split enable */
	u64 recoveries;		/* huge leaves found rebuilt after a disable */
	u64 ages, young;	/* ranges aged; young pages they found */
	u64 retypes;		/* MTRR-like boundaries moved */
	u64 first_ns, last_ns;	/* the first and the last step */
	u64 max_gap_ns;		/* the longest time between two steps */
};

/*
 * Prepares stress of vm with c (c->rate_ms != 0), before any of its vCPUs
 * runs: carves a few slots for dirty logging out of the slot that ends at
 * its lowest MM_SLOT_SCRATCH slot, or its largest (ordinary memory: same
 * frames, only slot bounds move), and wraps vm->policy's memory-type
 * callback.  smp: vCPUs run on several CPUs at once.  Returns the
 * instance, or NULL after logging why (no memory, no room for slots).
 */
struct stress *stress_attach(struct vm *vm, const struct stress_config *c, bool smp);
/* Ends the dirty-log rounds in progress (through v), gives vm->policy back
 * and frees s.  No CPU may run a step any more. */
void stress_detach(struct stress *s, struct vcpu *v);
/*
 * The steps due on the calling CPU, which runs v (outside the guest,
 * interrupts off): none until three quarters of c->rate_ms have passed
 * since this CPU's last call that ran one, then one per rate that passed
 * (up to 4: a late tick catches up).  Returns true when it ran a step.
 */
bool stress_step(struct stress *s, struct vcpu *v, u64 now_ns);
/* The counters of CPU cpu, or of all CPUs (cpu == ~0u). */
struct stress_counts stress_counts(const struct stress *s, unsigned int cpu);
/* Logs the "stress:" statistics lines: the VM's, then each CPU's. */
void stress_print(const struct stress *s);
/* Logs one line: the VM's counters so far ("stress: after N s: ..."). */
void stress_print_progress(const struct stress *s);

/* ---- the platform VM (vm/stress_platform.c) ---- */

/* tdp_stress= as parsed; asks for the tick (tick_request()).  Before the launch. */
void stress_platform_configure(const struct stress_config *c);
/* From platform_prepare(), once the slots exist and before any vCPU runs:
 * nothing without tdp_stress=.  0 or <0. */
int stress_platform_attach(struct vm *vm, bool smp);
/* From platform_tick(). */
void stress_platform_tick(struct vcpu *v);
/* From platform_stats(). */
void stress_platform_print(void);

#endif
