// SPDX-License-Identifier: MIT
/*
 * VMX capabilities and the execution controls computed from them.
 *
 * Every execution control is computed from the capability MSRs (the TRUE_*
 * ones where IA32_VMX_BASIC offers them): a bit the CPU requires is set, a
 * bit it forbids is never asked for, and a feature we need but cannot have
 * refuses VMX with the reason logged.
 */
#include "vmx_int.h"
#include "arch/cpuid.h"
#include "arch/msr.h"
#include "errcode.h"
#include "lib/printk.h"

/*
 * One control field from its capability MSR: the low half lists the bits
 * that must be 1, the high half those that may be 1.  Returns want with the
 * required bits added and the impossible ones dropped; fails (-EOPNOTSUPP,
 * logged) when a bit of need is not allowed.
 */
static int ctl_adjust(const char *who, const char *name, u32 msr, u32 want, u32 need,
		      u32 *out)
{
	u64 cap = rdmsr(msr);
	u32 must = (u32)cap, may = (u32)(cap >> 32);

	if (need & ~may) {
		pr_err("cpu0: VMX: %s%s controls lack required bits 0x%x (allowed 0x%x)\n",
		       who, name, need & ~may, may);
		return -EOPNOTSUPP;
	}
	*out = ((want | need) & may) | must;
	return 0;
}

/*
 * All five control fields for a kind of vCPU (who: "" or "platform "):
 * the bits in need or refused, those in want where the CPU allows, the
 * bits it requires always.  A CPU that insists on acknowledging interrupts
 * on exit is refused: the host would lose the vector.
 */
int vmx_ctls_adjust(const char *who, const struct vmx_ctls *want,
		       const struct vmx_ctls *need, struct vmx_ctls *k)
{
	bool t = vmx_cpu0.basic & VMX_BASIC_TRUE_CTLS;
	int err;

	err = ctl_adjust(who, "pin-based", t ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
			 MSR_IA32_VMX_PINBASED_CTLS, want->pin, need->pin, &k->pin);
	if (!err)
		err = ctl_adjust(who, "processor-based", t ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
				 MSR_IA32_VMX_PROCBASED_CTLS, want->cpu, need->cpu, &k->cpu);
	if (!err)
		err = ctl_adjust(who, "secondary", MSR_IA32_VMX_PROCBASED_CTLS2, want->sec,
				 need->sec, &k->sec);
	if (!err)
		err = ctl_adjust(who, "VM-exit", t ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
				 MSR_IA32_VMX_EXIT_CTLS, want->exit, need->exit, &k->exit);
	if (!err)
		err = ctl_adjust(who, "VM-entry", t ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
				 MSR_IA32_VMX_ENTRY_CTLS, want->entry, need->entry, &k->entry);
	if (err)
		return err;
	if (k->exit & EXIT_ACK_INTR_ON_EXIT) {
		pr_err("cpu0: VMX: the CPU insists on acknowledging interrupts on exit\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* The allowed-1 half of a control capability MSR. */
static u32 ctl_may(u32 msr)
{
	return (u32)(rdmsr(msr) >> 32);
}

static int compute_controls(struct vmx_cpu *c)
{
	bool true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
	u32 exit_msr = true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS;
	u32 entry_msr = true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS;
	u32 exit_may = ctl_may(exit_msr), entry_may = ctl_may(entry_msr);
	struct vmx_ctls *k = &c->ctls;
	struct vmx_ctls want = { .sec = SEC_ENABLE_VPID, .entry = ENTRY_LOAD_DEBUG_CONTROLS };
	const struct vmx_ctls need = {
		.pin = PIN_EXT_INTR_EXITING | PIN_NMI_EXITING,
		.cpu = CPU_HLT_EXITING | CPU_UNCOND_IO_EXITING | CPU_USE_MSR_BITMAPS |
		       CPU_SECONDARY_CONTROLS,
		.sec = SEC_ENABLE_EPT,
		.exit = EXIT_HOST_ADDR_SPACE_SIZE,
		.entry = ENTRY_IA32E_MODE,
	};
	int err;

	/* EFER and PAT are switched both ways or not at all: half a switch
	 * would leave the guest's value in the host. */
	if ((exit_may & EXIT_LOAD_IA32_EFER) && (entry_may & ENTRY_LOAD_IA32_EFER)) {
		want.exit |= EXIT_LOAD_IA32_EFER | EXIT_SAVE_IA32_EFER;
		want.entry |= ENTRY_LOAD_IA32_EFER;
	}
	if ((exit_may & EXIT_LOAD_IA32_PAT) && (entry_may & ENTRY_LOAD_IA32_PAT)) {
		want.exit |= EXIT_LOAD_IA32_PAT | EXIT_SAVE_IA32_PAT;
		want.entry |= ENTRY_LOAD_IA32_PAT;
	}
	err = vmx_ctls_adjust("", &want, &need, k);
	if (err)
		return err;
	c->load_efer = k->entry & ENTRY_LOAD_IA32_EFER;
	c->load_pat = k->entry & ENTRY_LOAD_IA32_PAT;
	c->vpid = k->sec & SEC_ENABLE_VPID;
	return 0;
}

/* Reads the capability MSRs and checks what we cannot do without. */
int vmx_read_caps(struct vmx_cpu *c)
{
	u64 size;

	cpu_caps_read(&c->caps);
	if (!(cpuid(1).ecx & CPUID1_ECX_VMX) || !c->caps.ept) {
		pr_err("cpu0: VMX: not available (VMX %d, EPT %d)\n", c->caps.vmx, c->caps.ept);
		return -ENODEV;
	}
	c->basic = rdmsr(MSR_IA32_VMX_BASIC);
	c->revision = (u32)(c->basic & VMX_BASIC_REVISION_MASK);
	size = (c->basic & VMX_BASIC_SIZE_MASK) >> VMX_BASIC_SIZE_SHIFT;
	if (size > PAGE_SIZE ||
	    ((c->basic & VMX_BASIC_MEMTYPE_MASK) >> VMX_BASIC_MEMTYPE_SHIFT) !=
	    VMX_BASIC_MEMTYPE_WB) {
		pr_err("cpu0: VMX: unsupported VMCS (%llu bytes, IA32_VMX_BASIC 0x%llx)\n",
		       (unsigned long long)size, (unsigned long long)c->basic);
		return -EOPNOTSUPP;
	}
	c->ept_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	if (!(c->ept_cap & VMX_EPT_CAP_PWL4) || !(c->ept_cap & VMX_EPT_CAP_WB) ||
	    !(c->ept_cap & VMX_EPT_CAP_INVEPT) ||
	    !(c->ept_cap & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL))) {
		pr_err("cpu0: VMX: EPT lacks 4-level walks, WB or INVEPT (cap 0x%llx)\n",
		       (unsigned long long)c->ept_cap);
		return -EOPNOTSUPP;
	}
	c->ept_ad = c->ept_cap & VMX_EPT_CAP_AD;
	c->pml = c->ept_ad && c->caps.pml &&
		 (ctl_may(MSR_IA32_VMX_PROCBASED_CTLS2) & SEC_ENABLE_PML);
	c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	return compute_controls(c);
}
