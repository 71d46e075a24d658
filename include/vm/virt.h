/* SPDX-License-Identifier: MIT */
/* Turning the CPU's virtualization on and off (vm/virt.c). */
#ifndef TDPVISOR_VM_VIRT_H
#define TDPVISOR_VM_VIRT_H

#include "arch/cpu.h"
#include "mm/memslot.h"

/* The vendors' ops tables: vm/virt.c picks one of them. */
extern const struct virt_ops svm_ops;
extern const struct virt_ops vmx_ops;

/* The boot log's lines of the vendor's capabilities. */
void virt_caps_print(const struct cpu_caps *c, unsigned int cpu);
/*
 * NULL when guests can run on this CPU, else a sentence saying why not: no
 * VMX/SVM, disabled by the firmware (cpu_caps_unusable_reason()), or the
 * vendor's capabilities fall short (no EPT, no NPT, ...).
 */
const char *virt_unusable_reason(const struct cpu_caps *c);

/* Chooses svm_ops/vmx_ops for caps and enables it; sets `virt`.  Returns 0,
 * or <0 after logging why guests cannot run. */
int virt_enable(const struct cpu_caps *caps);
/* Leaves the CPU as virt_enable() found it. */
void virt_disable(void);

/*
 * Dirty logging: virt_enable() picks the best mode the CPU offers (Intel:
 * PML, else EPT dirty bits, else write protection; AMD: NPT dirty bits),
 * or the one tdp_dirty= asked for when the CPU has it, and logs the choice.
 * Call virt_request_dirty_mode() ("pml", "dbit", "wp" or "") before it.
 */
void virt_request_dirty_mode(const char *name);
/* The mode chosen for new dirty logs (TDP_DIRTY_WP before virt_enable()). */
enum tdp_dirty_mode virt_dirty_mode(void);
/* True when tdp_dirty= chose the mode and the CPU had it. */
bool virt_dirty_mode_forced(void);
/* True when this CPU and vendor can log in mode m. */
bool virt_dirty_mode_offered(enum tdp_dirty_mode m);
/* "write-protect", "dirty bits", "PML". */
const char *tdp_dirty_mode_name(enum tdp_dirty_mode m);

#endif
