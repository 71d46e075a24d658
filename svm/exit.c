// SPDX-License-Identifier: MIT
/*
 * #VMEXIT decoded into struct vm_exit for vm/exit.c, and an event whose
 * delivery an exit cut short injected again.
 */
#include "svm_int.h"
#include "arch/trapnr.h"
#include "lib/string.h"
#include "vm/vm.h"

static const char *const virt_insn_names[] = {
	[SVM_EXIT_VMRUN - SVM_EXIT_VMRUN] = "VMRUN",
	[SVM_EXIT_VMMCALL - SVM_EXIT_VMRUN] = "VMMCALL",
	[SVM_EXIT_VMLOAD - SVM_EXIT_VMRUN] = "VMLOAD",
	[SVM_EXIT_VMSAVE - SVM_EXIT_VMRUN] = "VMSAVE",
	[SVM_EXIT_STGI - SVM_EXIT_VMRUN] = "STGI",
	[SVM_EXIT_CLGI - SVM_EXIT_VMRUN] = "CLGI",
	[SVM_EXIT_SKINIT - SVM_EXIT_VMRUN] = "SKINIT",
};

static void decode_npf(struct vm_exit *e)
{
	u64 err = e->hw_info1;

	e->reason = VMEXIT_TDP_FAULT;
	e->tdp.gpa = e->hw_info2;
	e->tdp.access = (err & NPF_ID) ? TDP_ACC_X : (err & NPF_W) ? TDP_ACC_W : TDP_ACC_R;
	e->tdp.present = err & NPF_P;
}

static void decode_io(struct vm_exit *e)
{
	u64 info = e->hw_info1;

	e->reason = VMEXIT_IO;
	e->io.port = (u16)(info >> IOIO_PORT_SHIFT);
	e->io.size = (info & IOIO_SZ8) ? 1 : (info & IOIO_SZ16) ? 2 : 4;
	e->io.in = info & IOIO_TYPE_IN;
	e->io.string = info & IOIO_STR;
	e->next_rip = e->hw_info2;	/* IOIO always reports it */
}

void svm_decode_exit(struct vcpu *v, void *vmcb, struct vm_exit *e)
{
	u64 code = vmcb_read64(vmcb, VMCB_EXITCODE);

	memset(e, 0, sizeof(*e));
	e->hw_code = code;
	e->hw_info1 = vmcb_read64(vmcb, VMCB_EXITINFO1);
	e->hw_info2 = vmcb_read64(vmcb, VMCB_EXITINFO2);
	if (svm_caps()->nrips)
		e->next_rip = vmcb_read64(vmcb, VMCB_NRIP);
	if ((u32)code == (u32)SVM_EXIT_INVALID) {
		e->reason = VMEXIT_ENTRY_FAILED;
		return;
	}
	switch (code) {
	case SVM_EXIT_NPF:
		decode_npf(e);
		break;
	case SVM_EXIT_CPUID:
		e->reason = VMEXIT_CPUID;
		break;
	case SVM_EXIT_HLT:
		e->reason = VMEXIT_HLT;
		break;
	case SVM_EXIT_VMMCALL:
		e->reason = VMEXIT_HYPERCALL;
		break;
	case SVM_EXIT_MSR:
		e->reason = e->hw_info1 ? VMEXIT_MSR_WRITE : VMEXIT_MSR_READ;
		e->msr = (u32)v->gpr[GPR_RCX];
		break;
	case SVM_EXIT_IOIO:
		decode_io(e);
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
		e->reason = VMEXIT_VIRT_INSN;
		e->insn = virt_insn_names[code - SVM_EXIT_VMRUN];
		break;
	case SVM_EXIT_INVLPGA:
		e->reason = VMEXIT_VIRT_INSN;
		e->insn = "INVLPGA";
		break;
	case SVM_EXIT_SHUTDOWN:
		e->reason = VMEXIT_SHUTDOWN;
		break;
	case SVM_EXIT_XSETBV:
		e->reason = VMEXIT_XSETBV;
		break;
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD:	/* QEMU checks INVD against this intercept */
		e->reason = VMEXIT_INVD;
		break;
	case SVM_EXIT_NMI:
		/* Still pending: the host takes it after STGI (arch/traps.c). */
		e->reason = VMEXIT_NMI;
		break;
	case SVM_EXIT_INTR:
	case SVM_EXIT_SMI:
	case SVM_EXIT_INIT:
		e->reason = VMEXIT_INTR;
		break;
	case SVM_EXIT_EXCP_BASE + MC_VECTOR:	/* the only exception intercepted */
		e->reason = VMEXIT_MCE;
		break;
	default:
		e->reason = VMEXIT_UNKNOWN;
	}
}

/*
 * An exit that interrupted the delivery of an event through the guest's IDT
 * (a nested page fault on its IDT, GDT or stack, say) loses that event
 * unless it is injected again on the next VMRUN: a lost external interrupt
 * leaves its vector in service at the local APIC forever, and the guest's
 * timer stops.  A software interrupt is not injected again: RIP still
 * points at the INTn, which runs again.  An exception the exit handler
 * injects replaces it.
 */
void svm_reinject_exitintinfo(void *vmcb)
{
	u64 info = vmcb_read64(vmcb, VMCB_EXITINTINFO), type = info & VMCB_EVT_TYPE_MASK;
	u64 vector = info & VMCB_EVT_VECTOR_MASK;

	if (!(info & VMCB_EVT_VALID) || type == VMCB_EVT_TYPE_SOFT_INT)
		return;
	/*
	 * QEMU's TCG reports every hardware event as an exception; an
	 * "exception" with vector 2 or >= 32 can only be an NMI or an
	 * external interrupt, and VMRUN refuses to inject it as an exception.
	 */
	if (type == VMCB_EVT_TYPE_EXCEPTION && vector == NMI_VECTOR)
		type = VMCB_EVT_TYPE_NMI;
	else if (type == VMCB_EVT_TYPE_EXCEPTION && vector >= FIRST_EXTERNAL_VECTOR)
		type = VMCB_EVT_TYPE_INTR;
	if (type != VMCB_EVT_TYPE_EXCEPTION)
		info &= ~(VMCB_EVT_ERROR_VALID | (0xffffffffULL << VMCB_EVT_ERROR_SHIFT));
	vmcb_write64(vmcb, VMCB_EVENTINJ, vector | type | VMCB_EVT_VALID |
		     (info & (VMCB_EVT_ERROR_VALID | (0xffffffffULL << VMCB_EVT_ERROR_SHIFT))));
}
