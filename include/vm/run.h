/* SPDX-License-Identifier: MIT */
/*
 * Running a vCPU until something its host-side owner must see: the exits
 * that the hypervisor handles by itself (TDP faults, CPUID, emulated MMIO,
 * VMX/SVM instructions, interrupts) never come out of vcpu_run().
 */
#ifndef TDPVISOR_VM_RUN_H
#define TDPVISOR_VM_RUN_H

#include "vm/vm.h"

enum vcpu_event_type {
	VEV_SYNC,	/* GUEST_SYNC(value) */
	VEV_DONE,	/* GUEST_DONE() or guest_code returned */
	VEV_ASSERT,	/* GUEST_ASSERT failed: file, line, cond, value */
	VEV_HLT,	/* HLT with nothing else to do */
	VEV_DEAD,	/* the VM was killed: vm->death says why */
	/*
	 * The vCPU's dirty ring reached its soft limit (tdp_dirty_ring_check()):
	 * it does not enter the guest again until the owner has harvested the
	 * ring (tdp_dirty_ring_harvest()); the next vcpu_run() then resumes.
	 */
	VEV_DIRTY_RING_FULL,
};

struct vcpu_event {
	enum vcpu_event_type type;
	u64 value;
	u64 line;
	char file[64];
	char cond[96];
};

/* Runs v until the next event.  Returns the event type (also in *ev). */
enum vcpu_event_type vcpu_run(struct vcpu *v, struct vcpu_event *ev);

/* vm/mmio.c: emulates the access at the guest's RIP against dev.  Returns
 * 0, or a negative error after killing the VM with the reason. */
int vcpu_emulate_mmio(struct vcpu *v, gpa_t gpa, struct vm_mmio_dev *dev);
/*
 * A VMEXIT_IO (vm/pio.c): IN/OUT, or INS/OUTS with or without REP, each
 * access performed by the kind's io().  0: resume; <0: the VM is dead.
 */
int vcpu_emulate_io(struct vcpu *v, const struct vm_exit *e);
/* vm/hypercall.c: returns 1 when the call is an event for the owner. */
int vcpu_hypercall(struct vcpu *v, const struct vm_exit *e, struct vcpu_event *ev);

/* ---- vm/vcpu.c ---- */
/* Logs (pr_emerg) the vCPU's state: registers, the vendor's view
 * (virt_ops.dump_state) and the instruction bytes at RIP. */
void vcpu_dump(struct vcpu *v);
/* panic()'s guest dump: the vCPU this CPU is running (percpu.vcpu), or a
 * line saying there is none. */
void vcpu_dump_current(void);
/* Puts an IN instruction's size-byte result into the guest's RAX: AL/AX
 * keep RAX's other bits, EAX clears bits 63:32, as the hardware does. */
void vcpu_io_in_result(struct vcpu *v, unsigned int size, u64 val);
/* EDX:EAX, the operand of RDMSR/WRMSR and XSETBV. */
static inline u64 vcpu_edx_eax(const struct vcpu *v)
{
	return ((u64)(u32)v->gpr[GPR_RDX] << 32) | (u32)v->gpr[GPR_RAX];
}

/* Sets EDX:EAX as RDMSR does (the upper halves of RDX and RAX cleared). */
static inline void vcpu_set_edx_eax(struct vcpu *v, u64 val)
{
	v->gpr[GPR_RAX] = (u32)val;
	v->gpr[GPR_RDX] = val >> 32;
}

/*
 * Moves the guest's RIP past the intercepted instruction of exit e (from
 * the hardware's report, else decoded at RIP).  0; 1 when the bytes could
 * not be fetched for a fault of the guest's page tables (the fault is
 * injected, RIP stays: the caller performs nothing) or because the tables
 * changed under the fetch; <0 after killing the VM when the bytes there
 * are not an intercepted instruction.
 */
int vcpu_skip_insn(struct vcpu *v, const struct vm_exit *e);
/* RIP past an instruction performed here, with what the CPU does at the end
 * of one (virt_ops.insn_done: the interrupt shadow ends, TF traps). */
void vcpu_insn_done(struct vcpu *v, u64 next_rip);

#endif
