/* SPDX-License-Identifier: MIT */
/*
 * Hypervisor code on other CPUs while hv.efi still runs under the firmware
 * (vm/smp.c): what the in-hypervisor SMP selftests and benchmarks use.
 */
#ifndef TDPVISOR_VM_SMP_H
#define TDPVISOR_VM_SMP_H

#include "types.h"

struct mp_info;

/* Remembers the CPUs mp lists (after mp_enumerate()): the APs that answered
 * like the boot CPU can run hypervisor code, each with descriptor tables
 * from the pool (taken here, once).  CPU ids count those APs from 1. */
void smp_setup(const struct mp_info *mp);
/* CPUs that can run hypervisor code: the boot CPU and the usable APs. */
unsigned int smp_ncpus(void);

/*
 * Runs fn(arg) on CPU cpu (1 .. smp_ncpus() - 1) and returns at once.  On
 * that CPU, around fn, the CPU is set up as the hypervisor's own (GS.base,
 * its GDT/TSS, the shared IDT, VMX or SVM on) and put back afterwards.
 * Returns 0, or <0 when it could not be started.  smp_call_wait() waits
 * for it; one call per CPU at a time.
 */
int smp_call_start(unsigned int cpu, void (*fn)(void *arg), void *arg);
/* Waits for cpu's call to end.  0, or <0 when the CPU could not enable
 * VMX/SVM (fn did not run). */
int smp_call_wait(unsigned int cpu);

#endif
