// SPDX-License-Identifier: MIT
/*
 * VMX capabilities and the execution controls computed from them.
 *
 * The capability MSRs are read here and nowhere else, once (vmx_caps()).
 * Every execution control is computed from them (the TRUE_* ones where
 * IA32_VMX_BASIC offers them): a bit the CPU requires is set, a bit it
 * forbids is never asked for, and a feature we need but cannot have
 * refuses VMX with the reason logged.
 */
#include "arch/percpu.h"
#include "vmx_int.h"
#include "vmx/caps.h"
#include "arch/cpu.h"
#include "arch/msr.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"

/* A control capability MSR: the low half lists the bits that must be 1,
 * the high half those that may be 1. */
static struct vmx_ctl_cap read_ctl_cap(u32 msr)
{
	u64 v = rdmsr_or_zero(msr);

	return (struct vmx_ctl_cap){ .must = (u32)v, .may = (u32)(v >> 32) };
}

/* Fills c from CPUID and the capability MSRs (all zero without VMX). */
static void read_caps(struct vmx_caps *c)
{
	bool t;

	c->vmx = cpu_has_vmx();
	if (!c->vmx)
		return;
	c->basic = rdmsr_or_zero(MSR_IA32_VMX_BASIC);
	c->revision = (u32)(c->basic & VMX_BASIC_REVISION_MASK);
	t = c->basic & VMX_BASIC_TRUE_CTLS;
	c->pin = read_ctl_cap(t ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	c->cpu = read_ctl_cap(t ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
	if (c->cpu.may & CPU_SECONDARY_CONTROLS)
		c->sec = read_ctl_cap(MSR_IA32_VMX_PROCBASED_CTLS2);
	c->exit = read_ctl_cap(t ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	c->entry = read_ctl_cap(t ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	c->cr0_fixed0 = rdmsr_or_zero(MSR_IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr_or_zero(MSR_IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr_or_zero(MSR_IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr_or_zero(MSR_IA32_VMX_CR4_FIXED1);

	c->ept = c->sec.may & SEC_ENABLE_EPT;
	c->vpid = c->sec.may & SEC_ENABLE_VPID;
	c->unrestricted = c->sec.may & SEC_UNRESTRICTED_GUEST;
	if (c->ept || c->vpid)
		c->ept_vpid = rdmsr_or_zero(MSR_IA32_VMX_EPT_VPID_CAP);
	c->ept_4level = c->ept && (c->ept_vpid & VMX_EPT_CAP_PWL4);
	c->ept_5level = c->ept && (c->ept_vpid & VMX_EPT_CAP_PWL5);
	c->ept_2m = c->ept && (c->ept_vpid & VMX_EPT_CAP_2M);
	c->ept_1g = c->ept && (c->ept_vpid & VMX_EPT_CAP_1G);
	c->ept_ad = c->ept && (c->ept_vpid & VMX_EPT_CAP_AD);
	/* The CPU logs a GPA when it sets an EPT dirty bit: PML needs A/D. */
	c->pml = c->ept_ad && (c->sec.may & SEC_ENABLE_PML);
}

const struct vmx_caps *vmx_caps(void)
{
	static struct vmx_caps caps;
	static bool read;

	if (!read) {
		read_caps(&caps);
		read = true;
	}
	return &caps;
}

void vmx_caps_print(const struct cpu_caps *c, unsigned int cpu)
{
	const struct vmx_caps *k = vmx_caps();

	pr_info("cpu%u: VMX: EPT %s, VPID %s, unrestricted guest %s, 1G pages %s, "
		"A/D bits %s, PML %s, 5-level EPT %s\n", cpu, str_yes_no(k->ept),
		str_yes_no(k->vpid), str_yes_no(k->unrestricted), str_yes_no(k->ept_1g),
		str_yes_no(k->ept_ad),
		str_yes_no(k->sec.may & SEC_ENABLE_PML), str_yes_no(k->ept_5level));
	pr_info("cpu%u: VMX: IA32_FEATURE_CONTROL %s\n", cpu,
		c->vmx_fc_unlocked ? "unlocked (to be locked with VMXON and the other enables)" :
		c->vmx_locked_off ? "locked, VMXON disabled" : "locked, VMXON allowed");
}

const char *vmx_caps_unusable_reason(const struct vmx_caps *k)
{
	return k->ept ? NULL : "VMX without EPT is not supported";
}

/*
 * One control field from its capability: want with the bits of need and
 * the required bits added, the impossible ones dropped; fails (-EOPNOTSUPP,
 * logged) when a bit of need is not allowed.
 */
static int ctl_adjust(const char *who, const char *name, const struct vmx_ctl_cap *cap,
		      u32 want, u32 need, u32 *out)
{
	if (need & ~cap->may) {
		pr_err("cpu%u: VMX: %s%s controls lack required bits 0x%x (allowed 0x%x)\n", this_cpu_id(),
		       who, name, need & ~cap->may, cap->may);
		return -EOPNOTSUPP;
	}
	*out = ((want | need) & cap->may) | cap->must;
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
	const struct vmx_caps *c = vmx_caps();
	int err;

	err = ctl_adjust(who, "pin-based", &c->pin, want->pin, need->pin, &k->pin);
	if (!err)
		err = ctl_adjust(who, "processor-based", &c->cpu, want->cpu, need->cpu, &k->cpu);
	if (!err)
		err = ctl_adjust(who, "secondary", &c->sec, want->sec, need->sec, &k->sec);
	if (!err)
		err = ctl_adjust(who, "VM-exit", &c->exit, want->exit, need->exit, &k->exit);
	if (!err)
		err = ctl_adjust(who, "VM-entry", &c->entry, want->entry, need->entry, &k->entry);
	if (err)
		return err;
	if (k->exit & EXIT_ACK_INTR_ON_EXIT) {
		pr_err("cpu%u: VMX: the CPU insists on acknowledging interrupts on exit\n", this_cpu_id());
		return -EOPNOTSUPP;
	}
	return 0;
}

/* The test vCPUs' controls, and what they decide: EFER/PAT switching, VPID. */
static int compute_controls(struct vmx_cpu *c)
{
	const struct vmx_caps *caps = vmx_caps();
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
	if ((caps->exit.may & EXIT_LOAD_IA32_EFER) && (caps->entry.may & ENTRY_LOAD_IA32_EFER)) {
		want.exit |= EXIT_LOAD_IA32_EFER | EXIT_SAVE_IA32_EFER;
		want.entry |= ENTRY_LOAD_IA32_EFER;
	}
	if ((caps->exit.may & EXIT_LOAD_IA32_PAT) && (caps->entry.may & ENTRY_LOAD_IA32_PAT)) {
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

/* Checks the capabilities for what we cannot do without, and computes the
 * test vCPUs' controls into c. */
int vmx_check_caps(struct vmx_cpu *c)
{
	const struct vmx_caps *k = vmx_caps();
	u64 size = (k->basic & VMX_BASIC_SIZE_MASK) >> VMX_BASIC_SIZE_SHIFT;

	if (!k->vmx || !k->ept) {
		pr_err("cpu%u: VMX: not available (VMX %d, EPT %d)\n", this_cpu_id(), k->vmx, k->ept);
		return -ENODEV;
	}
	if (size > PAGE_SIZE ||
	    ((k->basic & VMX_BASIC_MEMTYPE_MASK) >> VMX_BASIC_MEMTYPE_SHIFT) !=
	    VMX_BASIC_MEMTYPE_WB) {
		pr_err("cpu%u: VMX: unsupported VMCS (%llu bytes, IA32_VMX_BASIC 0x%llx)\n", this_cpu_id(),
		       (unsigned long long)size, (unsigned long long)k->basic);
		return -EOPNOTSUPP;
	}
	if (!k->ept_4level || !(k->ept_vpid & VMX_EPT_CAP_WB) ||
	    !(k->ept_vpid & VMX_EPT_CAP_INVEPT) ||
	    !(k->ept_vpid & (VMX_EPT_CAP_INVEPT_SINGLE | VMX_EPT_CAP_INVEPT_ALL))) {
		pr_err("cpu%u: VMX: EPT lacks 4-level walks, WB or INVEPT (cap 0x%llx)\n", this_cpu_id(),
		       (unsigned long long)k->ept_vpid);
		return -EOPNOTSUPP;
	}
	return compute_controls(c);
}
