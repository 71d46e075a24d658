/* SPDX-License-Identifier: MIT */
/*
 * The guest's own TSC (vm/vtsc.c).  The hypervisor's clock (arch/tsc.c:
 * log timestamps, the tick, printk's lock timeout) reads the CPU's TSC, so
 * a guest must never write it: its writes to IA32_TSC and IA32_TSC_ADJUST
 * exit and become a TSC offset of its vCPU (VMCS TSC offset, VMCB
 * TSC_OFFSET), which only the guest's reads see.  Architecturally the two
 * MSRs move together: a write to one moves the other by the same amount;
 * the guest's IA32_TSC_DEADLINE is moved between the two clocks while the
 * offset is not zero.  Each vCPU has its own offset: an OS may set each
 * CPU's TSC differently, and every host CPU keeps its own, untouched.
 */
#ifndef TDPVISOR_VM_VTSC_H
#define TDPVISOR_VM_VTSC_H

#include "types.h"

struct vcpu;

/* The MSRs whose reads and writes a capture vCPU must exit on. */
extern const u32 vtsc_msrs[2];

/* A capture vCPU starts with the CPU's TSC and TSC_ADJUST (offset 0).
 * Runs on the vCPU's own CPU. */
void vtsc_init(struct vcpu *v);
/*
 * An intercepted access to IA32_TSC, IA32_TSC_ADJUST or
 * IA32_TSC_DEADLINE: 0 done (*val read, or written); -EPERM: #GP (no
 * TSC_ADJUST on this CPU); -ENOENT: not one of them.
 */
int vtsc_msr(struct vcpu *v, u32 msr, bool write, u64 *val);

#endif
