// SPDX-License-Identifier: MIT
/*
 * VM exits decoded into struct vm_exit for vm/exit.c, failed entries
 * reported, and an event whose delivery an exit cut short injected again.
 */
#include "vmx_int.h"
#include "arch/trapnr.h"
#include "lib/printk.h"
#include "vm/vm.h"

/* VMLAUNCH/VMRESUME did not enter the guest (VMfail). */
void vmx_entry_vmfail(struct vcpu *v, int status, struct vm_exit *e)
{
	u32 err = status == VMX_ENTER_FAIL_VALID ? vmx_insn_error() : 0;

	pr_err("vm %s: %s failed: VM-instruction error %u (%s)\n", v->vm->name,
	       ((struct vmx_vcpu *)v->arch)->launched ? "VMRESUME" : "VMLAUNCH", err,
	       err ? vmx_insn_error_name(err) : "VMfailInvalid: no current VMCS");
	if (status == VMX_ENTER_FAIL_VALID)
		vmx_dump_guest_state();
	e->reason = VMEXIT_ENTRY_FAILED;
	e->hw_code = err;
}

static const char *const virt_insn_names[EXIT_REASON_MAX] = {
	[EXIT_VMCLEAR] = "VMCLEAR",
	[EXIT_VMLAUNCH] = "VMLAUNCH",
	[EXIT_VMPTRLD] = "VMPTRLD",
	[EXIT_VMPTRST] = "VMPTRST",
	[EXIT_VMREAD] = "VMREAD",
	[EXIT_VMRESUME] = "VMRESUME",
	[EXIT_VMWRITE] = "VMWRITE",
	[EXIT_VMXOFF] = "VMXOFF",
	[EXIT_VMXON] = "VMXON",
	[EXIT_INVEPT] = "INVEPT",
	[EXIT_INVVPID] = "INVVPID",
	[EXIT_VMFUNC] = "VMFUNC",
	[EXIT_GETSEC] = "GETSEC",
};

static void decode_ept_violation(struct vm_exit *e)
{
	u64 q = e->hw_info1;

	e->reason = VMEXIT_TDP_FAULT;
	e->tdp.gpa = e->hw_info2;
	e->tdp.access = (q & EPT_QUAL_FETCH) ? TDP_ACC_X :
			(q & EPT_QUAL_WRITE) ? TDP_ACC_W : TDP_ACC_R;
	e->tdp.present = q & EPT_QUAL_PERM_MASK;
}

static void decode_io(struct vm_exit *e)
{
	u64 q = e->hw_info1;

	e->reason = VMEXIT_IO;
	e->io.port = (u16)(q >> IO_QUAL_PORT_SHIFT);
	e->io.size = (u8)((q & IO_QUAL_SIZE_MASK) + 1);
	e->io.in = q & IO_QUAL_IN;
	e->io.string = q & IO_QUAL_STRING;
}

/*
 * An exit of reason 0: an NMI (NMI exiting is on: a kick, or an NMI vm/
 * hands to the guest), or a machine check (the exception bitmap's only
 * bit).  The NMI exit left NMIs blocked until an IRET: the host's NMI
 * handler runs to end that.  Any other exception here is unknown (the VM
 * is killed with the exit's code and information).
 */
static void decode_exception_nmi(struct vm_exit *e)
{
	u32 info = vmcs_read32(VM_EXIT_INTR_INFO);

	e->hw_info2 = info;
	if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI) {
		vmx_host_nmi();
		e->reason = VMEXIT_NMI;
		return;
	}
	if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_HW_EXCEPTION &&
	    (info & INTR_INFO_VECTOR_MASK) == MC_VECTOR) {
		e->reason = VMEXIT_MCE;
		return;
	}
	e->reason = VMEXIT_UNKNOWN;
}

/* Decodes the exit whose basic reason is r (no entry failure). */
static void decode_reason(struct vcpu *v, u32 r, struct vm_exit *e)
{
	switch (r) {
	case EXIT_EXCEPTION_NMI:
		decode_exception_nmi(e);
		return;
	case EXIT_NMI_WINDOW:		/* the guest may take its pending NMI now */
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL,
			     vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) & ~CPU_NMI_WINDOW_EXITING);
		e->reason = VMEXIT_INTR;
		return;
	case EXIT_INIT_SIGNAL:
		e->reason = VMEXIT_INIT;
		return;
	case EXIT_EXTERNAL_INTERRUPT:	/* taken by the host when vmx_enter() returned */
	case EXIT_SIPI:
	case EXIT_IO_SMI:
	case EXIT_OTHER_SMI:
		e->reason = VMEXIT_INTR;
		return;
	case EXIT_TRIPLE_FAULT:
		e->reason = VMEXIT_SHUTDOWN;
		return;
	case EXIT_EPT_VIOLATION:
		decode_ept_violation(e);
		return;
	case EXIT_PREEMPTION_TIMER:	/* the hypervisor's tick */
		e->reason = VMEXIT_TICK;
		return;
	case EXIT_PML_FULL:		/* nothing for vm/ to do: resume */
		vmx_pml_full(v);
		e->reason = VMEXIT_INTR;
		return;
	case EXIT_EPT_MISCONFIG:	/* only an MMIO marker may look like one */
		e->reason = VMEXIT_TDP_FAULT;
		e->tdp.gpa = e->hw_info2;
		e->tdp.access = TDP_ACC_R;
		return;
	}
	e->insn_len = (u8)vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	switch (r) {
	case EXIT_CPUID:
		e->reason = VMEXIT_CPUID;
		break;
	case EXIT_HLT:
		e->reason = VMEXIT_HLT;
		break;
	case EXIT_VMCALL:
		e->reason = VMEXIT_HYPERCALL;
		break;
	case EXIT_RDMSR:
	case EXIT_WRMSR:
		e->reason = r == EXIT_WRMSR ? VMEXIT_MSR_WRITE : VMEXIT_MSR_READ;
		e->msr = (u32)v->gpr[GPR_RCX];
		break;
	case EXIT_IO_INSTRUCTION:
		decode_io(e);
		break;
	case EXIT_XSETBV:
		e->reason = VMEXIT_XSETBV;
		break;
	case EXIT_INVD:
		e->reason = VMEXIT_INVD;
		break;
	case EXIT_CR_ACCESS:
		e->reason = VMEXIT_CR_ACCESS;
		break;
	default:
		if (r < EXIT_REASON_MAX && virt_insn_names[r]) {
			e->reason = VMEXIT_VIRT_INSN;
			e->insn = virt_insn_names[r];
		} else {
			e->insn_len = 0;
			e->reason = VMEXIT_UNKNOWN;
		}
	}
}

void vmx_decode_exit(struct vcpu *v, struct vm_exit *e)
{
	u32 reason = vmcs_read32(VM_EXIT_REASON), r = reason & EXIT_REASON_BASIC_MASK;

	e->hw_code = reason;
	e->hw_info1 = vmcs_readl(EXIT_QUALIFICATION);
	if (r == EXIT_EPT_VIOLATION || r == EXIT_EPT_MISCONFIG)
		e->hw_info2 = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	if (reason & EXIT_REASON_ENTRY_FAILURE) {
		pr_err("vm %s: VM entry failed: exit reason %u (%s), qualification 0x%llx\n",
		       v->vm->name, r, r == EXIT_INVALID_GUEST_STATE ? "invalid guest state" :
		       r == EXIT_MSR_LOADING ? "MSR loading" : r == EXIT_MACHINE_CHECK ?
		       "machine check" : "other", (unsigned long long)e->hw_info1);
		vmx_dump_guest_state();
		e->reason = VMEXIT_ENTRY_FAILED;
		return;
	}
	decode_reason(v, r, e);
}

/*
 * An exit that interrupted the delivery of an event through the guest's IDT
 * (an EPT violation on its IDT or stack, say) loses that event unless it is
 * injected again on the next entry.
 */
void vmx_reinject_idt_vectoring(void)
{
	u32 info = vmcs_read32(IDT_VECTORING_INFO), type = info & INTR_INFO_TYPE_MASK;

	if (!(info & INTR_INFO_VALID))
		return;
	vmcs_write32(VM_ENTRY_INTR_INFO, info & (INTR_INFO_VALID | INTR_INFO_TYPE_MASK |
						 INTR_INFO_ERROR_VALID | INTR_INFO_VECTOR_MASK));
	if (info & INTR_INFO_ERROR_VALID)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE,
			     vmcs_read32(IDT_VECTORING_ERROR_CODE));
	if (type == INTR_TYPE_SW_INTR || type == INTR_TYPE_PRIV_SW_EXCEPTION ||
	    type == INTR_TYPE_SW_EXCEPTION)
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}
