/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's tick (vm/tick.c): a periodic call into the VM's kind on
 * every CPU that runs one of its vCPUs, without the guest's help.  Intel:
 * the VMX-preemption timer; AMD: the physical-interrupt intercept, each
 * interrupt taken by the host and injected into the guest (docs/tick.md).
 */
#ifndef TDPVISOR_VM_TICK_H
#define TDPVISOR_VM_TICK_H

#include "types.h"

struct vcpu;

#define TICK_MIN_MS 1
#define TICK_MAX_MS 10000

/*
 * Asks for a tick every ms milliseconds (TICK_MIN_MS..TICK_MAX_MS; 0 asks
 * nothing).  The period is the smallest asked for.  Call before the VM's
 * vCPUs first run: a vCPU takes the period when it first enters.
 */
void tick_request(unsigned int ms);
/* The period in nanoseconds; 0: no tick. */
u64 tick_period_ns(void);

/*
 * vm/exit.c's part.  Before an entry: tells the vendor when the vCPU must
 * next exit (virt_ops.arm_tick).  After an exit: when the period is over,
 * counts the tick and calls the kind's tick() (on this CPU, interrupts
 * off, outside the guest).
 */
void tick_before_entry(struct vcpu *v);
void tick_after_exit(struct vcpu *v);

#endif
