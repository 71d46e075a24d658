/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data.  Every CPU the hypervisor runs on has a struct percpu, and
 * while the hypervisor's code runs on it, GS.base points at it (the VMX
 * host-state area and the SVM host VMCB give it back on every exit; the
 * guest keeps its own GS.base).  Before the boot CPU installs its own, and
 * on the host tests, this_cpu() is CPU 0.
 */
#ifndef TDPVISOR_ARCH_PERCPU_H
#define TDPVISOR_ARCH_PERCPU_H

#include "types.h"

#define NR_CPUS 64

struct cpu_desc;
struct vcpu;

struct percpu {
	struct percpu *self;	/* GS:0, what this_cpu() reads */
	unsigned int id;	/* 0: the boot CPU; then the firmware's order */
	u32 apic_id;
	bool installed;		/* GS.base is ours on that CPU */
	u64 fw_gs_base;		/* the firmware's GS.base, the guest's to keep */
	struct cpu_desc *desc;	/* its GDT, TSS and IST stacks (arch/desc.c) */
	u64 host_nmis;		/* NMIs the host took (arch/traps.c) */
	/*
	 * While a vCPU runs here (vm/exit.c vcpu_run()): its kick mark.  Every
	 * NMI reaches the host's handler -- after an NMI exit or while the host
	 * runs -- which takes a set mark back (the NMI was a kick) or else
	 * counts the NMI in guest_nmis, for that vCPU to be given.
	 */
	u32 *kick;
	u32 guest_nmis;
	/* Machine checks that hit the host here, for the guest (arch/mce.c). */
	u32 host_mces;
	/* The vCPU in vcpu_run() here (its exits are handled here), or NULL:
	 * the guest a panic report shows. */
	struct vcpu *vcpu;
};

extern struct percpu percpu_area[NR_CPUS];
extern bool percpu_live;

static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	if (!__atomic_load_n(&percpu_live, __ATOMIC_RELAXED))
		return &percpu_area[0];
	__asm__ volatile("mov %%gs:0, %0" : "=r"(p));
	return p;
}

static inline unsigned int this_cpu_id(void)
{
	return this_cpu()->id;
}

/* Points GS.base at CPU id's data (apic_id: its local APIC), keeping the
 * firmware's value for the guest.  The boot CPU calls it first. */
void percpu_install(unsigned int id, u32 apic_id);
/* The calling CPU's local APIC ID: the x2APIC ID where CPUID leaf 0xb
 * gives one, else the 8-bit xAPIC ID of leaf 1. */
u32 cpu_read_apic_id(void);
/* Gives the firmware its GS.base back (hv.efi returns without a guest). */
void percpu_uninstall(void);

#endif
