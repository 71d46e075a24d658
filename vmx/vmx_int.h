/* SPDX-License-Identifier: MIT */
/*
 * What the files of vmx/ share with each other and with nothing else: the
 * state of VMX on this CPU, a VM's and a vCPU's VMX state, and the
 * functions one file calls in another.  The rest of the hypervisor sees
 * only vmx_ops (include/vm/vm.h) and include/vmx/.
 *
 *   vmx.c       on and off, the run loop, accessors, vmx_ops
 *   caps.c      capability MSRs and the execution controls from them
 *   vmcs.c      VMCS setup, test vCPUs, VMX instruction errors, state dumps
 *   ept.c       a VM's EPT format, VPID, EPTP, INVEPT/INVVPID
 *   pml.c       page-modification logging
 *   exit.c      VM exits decoded into struct vm_exit
 *   platform.c  the platform VM's vCPU
 */
#ifndef TDPVISOR_VMX_VMX_INT_H
#define TDPVISOR_VMX_VMX_INT_H

#include "types.h"
#include "arch/cr.h"
#include "arch/percpu.h"
#include "arch/x86.h"
#include "mm/tdp_mmu.h"
#include "vmx/caps.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

struct vm;
struct vcpu;
struct vcpu_boot;
struct vcpu_start;
struct vcpu_config;
struct vm_exit;
struct platform_capture;

#define VMX_MAX_VPID 0xffff

struct vmx_ctls {
	u32 pin, cpu, sec, exit, entry;
};

/* VMX on this CPU; what the CPU can do is vmx_caps() (include/vmx/caps.h). */
struct vmx_cpu {
	bool on;
	u64 cr0_before, cr4_before;
	void *vmxon;
	void *current;		/* the VMCS VMPTRLD made current, or NULL */
	struct vmx_ctls ctls;	/* the test vCPUs' controls */
	bool vpid, load_efer, load_pat;	/* what those controls turned on */
	struct desc_ptr gdtr, idtr;	/* VM exits leave 0xffff limits: put back */
};

struct vmx_vm {
	struct vcpu *vcpus[TDP_MAX_VCPUS];	/* whose PML logs a harvest drains */
};

/*
 * CR0 bits the host always owns.  VM entry loads neither CD nor NW from
 * the guest-state field and VM exit loads neither from HOST_CR0 (SDM vol.
 * 3C 27.3.2.1, 28.5.1): a guest allowed to write them would change the
 * physical CR0 that the hypervisor keeps after the exit.  Guarded, the
 * guest's values live in the read shadow; its caches stay on.
 */
#define VMX_CR0_HOST_OWNED (X86_CR0_CD | X86_CR0_NW)

struct vmx_vcpu {
	void *vmcs;
	void *msr_bitmap;
	void *io_bitmap[2];	/* the platform VM's: ports 0-0x7fff, 0x8000-0xffff */
	u32 sec;		/* its secondary controls, without "enable PML" */
	u64 cr0_mask, cr4_mask;	/* CR bits the guest cannot change unseen */
	bool launched;
	bool flush_vpid;	/* INVVPID before the next entry */
	u64 eptp;		/* the EPTP of the last entry, 0 before the first */
	u64 flushed_gen;	/* the vm->tlb_gen its INVEPT last caught up with */
	u64 *pml;		/* the page-modification log, when vmx_caps()->pml */
	bool pml_on;		/* "enable PML" is set in the VMCS */
	bool timer;		/* the VMX-preemption timer is on (the tick) */
	u8 timer_shift;		/* ... and counts once per 2^timer_shift TSC ticks */
	/* The guest's CR2: not in the VMCS, the CPU's own CR2 is the guest's
	 * while it runs.  Saved at each exit, put back before each entry. */
	u64 cr2;
};

_Static_assert(sizeof(struct vmx_vm) <= PAGE_SIZE && sizeof(struct vmx_vcpu) <= PAGE_SIZE,
	       "per-VM and per-vCPU state fit their pages");

/* VMX on each CPU: vmx.c turns it on, caps.c computes the controls. */
extern struct vmx_cpu vmx_cpus[NR_CPUS];

static inline struct vmx_cpu *vmx_this(void)
{
	return &vmx_cpus[this_cpu_id()];
}

static inline u64 pa_of(void *p)
{
	return (u64)(uintptr_t)p;	/* the hypervisor runs identity-mapped */
}

/* ---- caps.c ---- */
/* Checks vmx_caps() for what we need and computes c->ctls; 0, or <0 logged. */
int vmx_check_caps(struct vmx_cpu *c);
/* The five control fields for a kind of vCPU (who: "" or "platform "). */
int vmx_ctls_adjust(const char *who, const struct vmx_ctls *want,
		    const struct vmx_ctls *need, struct vmx_ctls *k);

/* ---- vmcs.c ---- */
/* The VM-instruction error of the current VMCS, or 0 when there is none. */
u32 vmx_insn_error(void);
const char *vmx_insn_error_name(u32 err);
void *vmx_alloc_vmcs_page(void);
/* Makes s's VMCS the current one. */
void vmcs_load(struct vmx_vcpu *s);
void vmx_set_host_state(void);
void vmx_set_controls(struct vmx_vcpu *s, u16 vpid, const struct vmx_ctls *k);
void vmx_set_seg(enum vmcs_field sel, u16 s, u32 ar, u32 limit, u64 base);
/* The guest's GDTR and IDTR. */
void vmx_set_dtables(u64 gdt_base, u16 gdt_limit, u64 idt_base, u16 idt_limit);
void vmx_free_vcpu_pages(struct vmx_vcpu *s);
/*
 * A vCPU's pages -- VMCS, a zeroed MSR bitmap, two zeroed I/O bitmaps when
 * io_bitmaps, the PML page where the CPU has PML -- with the VMCS cleared
 * and made current.  NULL when out of pages or v->id is out of range.
 */
struct vmx_vcpu *vmx_vcpu_alloc(struct vcpu *v, bool io_bitmaps);
/* Finishes a vCPU whose VMCS is current: first-entry flush, PML address,
 * v->arch and the VM's vCPU table. */
void vmx_vcpu_install(struct vcpu *v, struct vmx_vcpu *s);
/* A test VM's vCPU: a fresh 64-bit CPU in state b; everything exits. */
int vmx_vcpu_init_boot(struct vcpu *v, const struct vcpu_boot *b);
void vmx_dump_guest_state(void);

/* ---- ept.c ---- */
int vmx_vm_init(struct vm *vm);
void vmx_vm_destroy(struct vm *vm);
void vmx_flush_before_entry(struct vcpu *v, struct vmx_vcpu *s);

/* ---- pml.c ---- */
void vmx_flush_pml(struct tdp_mmu *mmu);
void vmx_pml_update(struct vcpu *v, struct vmx_vcpu *s);
void vmx_pml_full(struct vcpu *v);

/* ---- exit.c ---- */
void vmx_entry_vmfail(struct vcpu *v, int status, struct vm_exit *e);
void vmx_decode_exit(struct vcpu *v, struct vm_exit *e);
void vmx_reinject_idt_vectoring(void);

/* ---- platform.c ---- */
/* The live CPU as the guest; cfg->capture set (struct vcpu_config). */
int vmx_vcpu_init_capture(struct vcpu *v, const struct vcpu_config *cfg);
void vmx_vcpu_start(struct vcpu *v, const struct vcpu_start *st);
bool vmx_inject_nmi(struct vcpu *v);
int vmx_vendor_msr(struct vcpu *v, u32 msr, bool write, u64 *val);
void vmx_set_tsc_offset(struct vcpu *v, u64 offset);
/* virt_ops.arm_tick: the VMX-preemption timer, for vCPUs that have it on. */
void vmx_arm_tick(struct vcpu *v, u64 tsc);
int vmx_cr_access(struct vcpu *v, const struct vm_exit *e);
void vmx_cpuid_fixup(struct vcpu *v, u32 leaf, u32 sub, struct cpuid_regs *r);

/*
 * The CR0 and CR4 the guest reads: the bits the mask guards from the read
 * shadow, the others -- which the guest changes without exits, PE and PG
 * among them under "unrestricted guest" -- from the guest-state field.
 */
static inline u64 guest_cr0(const struct vmx_vcpu *s)
{
	return (vmcs_readl(GUEST_CR0) & ~s->cr0_mask) | (vmcs_readl(CR0_READ_SHADOW) & s->cr0_mask);
}

static inline u64 guest_cr4(const struct vmx_vcpu *s)
{
	return (vmcs_readl(GUEST_CR4) & ~s->cr4_mask) | (vmcs_readl(CR4_READ_SHADOW) & s->cr4_mask);
}

#endif
