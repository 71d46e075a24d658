/* SPDX-License-Identifier: MIT */
/* Turning the CPU's virtualization on and off (vm/virt.c). */
#ifndef TDPVISOR_VM_VIRT_H
#define TDPVISOR_VM_VIRT_H

#include "arch/cpu.h"

/* Chooses svm_ops/vmx_ops for caps and enables it; sets `virt`.  Returns 0,
 * or <0 after logging why guests cannot run. */
int virt_enable(const struct cpu_caps *caps);
/* Leaves the CPU as virt_enable() found it. */
void virt_disable(void);

#endif
