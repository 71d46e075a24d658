/* SPDX-License-Identifier: MIT */
/*
 * What the files of svm/ share with each other and with nothing else: the
 * state of SVM on this CPU, a VM's and a vCPU's SVM state, and the
 * functions one file calls in another.  The rest of the hypervisor sees
 * only svm_ops (include/vm/vm.h) and include/svm/.
 *
 *   svm.c       on and off, the run loop, accessors, svm_ops
 *   caps.c      CPUID 0x8000000a
 *   vmcb.c      VMCB and permission maps, test vCPUs
 *   npt.c       a VM's NPT format, ASID, nCR3 and TLB_CONTROL
 *   exit.c      #VMEXIT decoded into struct vm_exit
 *   platform.c  the platform VM's vCPU
 */
#ifndef TDPVISOR_SVM_SVM_INT_H
#define TDPVISOR_SVM_SVM_INT_H

#include "types.h"
#include "arch/cpu.h"
#include "arch/percpu.h"
#include "arch/x86.h"
#include "svm/caps.h"
#include "svm/svm.h"
#include "svm/vmcb.h"

struct vm;
struct vcpu;
struct vcpu_boot;
struct vcpu_start;
struct vcpu_config;
struct vm_exit;
struct platform_capture;

struct svm_cpu {
	bool on;
	u64 efer_before;
	u64 hsave_before;
	void *hsave;		/* host save area (VM_HSAVE_PA) */
	void *host_vmcb;	/* VMSAVE/VMLOAD of the host's hidden state */
};

struct svm_vm {
	u32 unused;		/* nothing of SVM's own per VM yet */
};

struct svm_vcpu {
	void *vmcb;
	void *iopm;
	void *msrpm;
	u64 flushed_gen;	/* the vm->tlb_gen its last TLB flush caught up with */
	/* The tick: physical interrupts exit (the INTR intercept) ... */
	bool tick;
	/* ... except at the next entry: the guest takes the pending one itself. */
	bool intr_pass;
	/*
	 * The guest cannot clear EFER.SVME itself (its EFER writes exit):
	 * an exit that finds it clear came from SMM code run inside the
	 * guest, and SVME is set again before the next VMRUN (svm.c).
	 */
	bool keep_svme;
};

_Static_assert(sizeof(struct svm_vm) <= PAGE_SIZE && sizeof(struct svm_vcpu) <= PAGE_SIZE,
	       "per-VM and per-vCPU state fit their pages");

/* SVM on each CPU; what the CPU can do is svm_caps(). */
extern struct svm_cpu svm_cpus[NR_CPUS];

static inline struct svm_cpu *svm_this(void)
{
	return &svm_cpus[this_cpu_id()];
}

/* ---- vmcb.c ---- */
/* A vCPU's VMCB and permission maps filled with fill; NULL when out of pages. */
struct svm_vcpu *svm_vcpu_alloc(struct vcpu *v, u8 fill);
void svm_vcpu_free(struct svm_vcpu *s);
/* A test VM's vCPU: a fresh 64-bit CPU in state b; everything exits. */
int svm_vcpu_init_boot(struct vcpu *v, const struct vcpu_boot *b);

/* ---- npt.c ---- */
int svm_vm_init(struct vm *vm);
void svm_vm_destroy(struct vm *vm);
void svm_flush_before_run(struct vcpu *v, struct svm_vcpu *s);

/* ---- exit.c ---- */
void svm_decode_exit(struct vcpu *v, void *vmcb, struct vm_exit *e);
void svm_reinject_exitintinfo(void *vmcb);

/* ---- platform.c ---- */
/* The live CPU as the guest; cfg->capture set (struct vcpu_config). */
int svm_vcpu_init_capture(struct vcpu *v, const struct vcpu_config *cfg);
int svm_vendor_msr(struct vcpu *v, u32 msr, bool write, u64 *val);
void svm_vcpu_start(struct vcpu *v, const struct vcpu_start *st);
void svm_set_tsc_offset(struct vcpu *v, u64 offset);
bool svm_inject_nmi(struct vcpu *v);

#endif
