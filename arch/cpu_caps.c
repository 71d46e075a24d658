// SPDX-License-Identifier: MIT
/*
 * The capability report: what the CPU offers for virtualization, read from
 * CPUID and (Intel) the VMX capability MSRs.  Nothing here changes CPU
 * state; enabling VMX/SVM is vmx/'s and svm/'s business.
 */
#include "arch/cpu.h"
#include "arch/cpuid.h"
#include "arch/msr.h"
#include "arch/x86.h"
#include "lib/printk.h"
#include "lib/string.h"

static u64 msr_or_zero(u32 msr)
{
	u64 v = 0;

	return rdmsr_safe(msr, &v) ? v : 0;
}

static void read_vmx(struct cpu_caps *c)
{
	u64 fc = msr_or_zero(MSR_IA32_FEATURE_CONTROL);
	u64 proc, proc2 = 0, ept;

	c->vmx_fc_unlocked = !(fc & FEATURE_CONTROL_LOCKED);
	c->vmx_locked_off = (fc & FEATURE_CONTROL_LOCKED) &&
			    !(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
	proc = msr_or_zero(MSR_IA32_VMX_PROCBASED_CTLS);
	if (proc & VMX_PROC_CTLS_SECONDARY)
		proc2 = msr_or_zero(MSR_IA32_VMX_PROCBASED_CTLS2);
	c->ept = proc2 & VMX_PROC2_EPT;
	c->vpid = proc2 & VMX_PROC2_VPID;
	c->unrestricted = proc2 & VMX_PROC2_UNRESTRICTED;
	c->pml = proc2 & VMX_PROC2_PML;
	ept = (c->ept || c->vpid) ? msr_or_zero(MSR_IA32_VMX_EPT_VPID_CAP) : 0;
	c->ept_4level = c->ept && (ept & VMX_EPT_CAP_PWL4);
	c->ept_5level = c->ept && (ept & VMX_EPT_CAP_PWL5);
	c->ept_2m = c->ept && (ept & VMX_EPT_CAP_2M);
	c->ept_1g = c->ept && (ept & VMX_EPT_CAP_1G);
	c->ept_ad = c->ept && (ept & VMX_EPT_CAP_AD);
}

static void read_svm(struct cpu_caps *c)
{
	struct cpuid_regs r;

	c->svm_disabled = msr_or_zero(MSR_VM_CR) & VM_CR_SVMDIS;
	if (cpuid(CPUID_EXT_MAX).eax < CPUID_SVM_FEATURES)
		return;
	r = cpuid(CPUID_SVM_FEATURES);
	c->svm_nasid = r.ebx;
	c->npt = r.edx & CPUID_SVM_EDX_NP;
	c->nrips = r.edx & CPUID_SVM_EDX_NRIPS;
	c->vmcb_clean = r.edx & CPUID_SVM_EDX_VMCB_CLEAN;
	c->flush_by_asid = r.edx & CPUID_SVM_EDX_FLUSH_BY_ASID;
	c->decode_assists = r.edx & CPUID_SVM_EDX_DECODE_ASSISTS;
	/* NPT walks with as many levels as the host's paging mode. */
	c->npt_5level = c->npt && c->la57;
}

void cpu_caps_read(struct cpu_caps *c)
{
	struct cpuid_regs r = cpuid(0);
	u32 max_ext, fam;

	memset(c, 0, sizeof(*c));
	memcpy(c->vendor_id, &r.ebx, 4);
	memcpy(c->vendor_id + 4, &r.edx, 4);
	memcpy(c->vendor_id + 8, &r.ecx, 4);
	c->vendor = !strcmp(c->vendor_id, "GenuineIntel") ? VENDOR_INTEL :
		    !strcmp(c->vendor_id, "AuthenticAMD") ? VENDOR_AMD : VENDOR_OTHER;
	if (r.eax >= 7)
		c->la57 = cpuid_count(7, 0).ecx & CPUID7_ECX_LA57;

	r = cpuid(1);
	fam = (r.eax >> 8) & 0xf;
	c->family = fam == 0xf ? fam + ((r.eax >> 20) & 0xff) : fam;
	c->model = (r.eax >> 4) & 0xf;
	if (fam == 0x6 || fam == 0xf)
		c->model |= ((r.eax >> 16) & 0xf) << 4;
	c->stepping = r.eax & 0xf;
	c->vmx = r.ecx & CPUID1_ECX_VMX;
	c->hypervisor = r.ecx & CPUID1_ECX_HYPERVISOR;
	if (c->hypervisor) {
		r = cpuid(CPUID_HV_BASE);
		memcpy(c->hv_signature, &r.ebx, 4);
		memcpy(c->hv_signature + 4, &r.ecx, 4);
		memcpy(c->hv_signature + 8, &r.edx, 4);
	}

	max_ext = cpuid(CPUID_EXT_MAX).eax;
	c->maxphyaddr = max_ext >= CPUID_EXT_ADDR_SIZES ?
			 (cpuid(CPUID_EXT_ADDR_SIZES).eax & 0xff) : 36;
	if (max_ext >= CPUID_EXT_FEATURES)
		c->svm = cpuid(CPUID_EXT_FEATURES).ecx & CPUID81_ECX_SVM;

	if (c->vmx)
		read_vmx(c);
	if (c->svm)
		read_svm(c);
}

static const char *yn(bool b)
{
	return b ? "yes" : "no";
}

void cpu_caps_print(const struct cpu_caps *c, unsigned int cpu)
{
	pr_info("cpu%u: vendor %s family 0x%x model 0x%x stepping %u\n", cpu,
		c->vendor_id, c->family, c->model, c->stepping);
	pr_info("cpu%u: MAXPHYADDR %u bits, LA57 %s\n", cpu, c->maxphyaddr, yn(c->la57));
	if (c->hypervisor)
		pr_info("cpu%u: running under a hypervisor, CPUID 0x40000000 signature '%.12s'\n",
			cpu, c->hv_signature);
	if (c->vmx)
		pr_info("cpu%u: VMX: EPT %s, VPID %s, unrestricted guest %s, 1G pages %s, "
			"A/D bits %s, PML %s, 5-level EPT %s\n", cpu, yn(c->ept),
			yn(c->vpid), yn(c->unrestricted), yn(c->ept_1g), yn(c->ept_ad),
			yn(c->pml), yn(c->ept_5level));
	if (c->vmx)
		pr_info("cpu%u: VMX: IA32_FEATURE_CONTROL %s\n", cpu,
			c->vmx_fc_unlocked ? "unlocked (will be locked with VMXON allowed)" :
			c->vmx_locked_off ? "locked, VMXON disabled" : "locked, VMXON allowed");
	if (c->svm)
		pr_info("cpu%u: SVM: NPT %s, NRIPS %s, flush-by-ASID %s, decode assists %s, "
			"VMCB clean bits %s, 5-level NPT %s, %u ASIDs%s\n", cpu, yn(c->npt),
			yn(c->nrips), yn(c->flush_by_asid), yn(c->decode_assists),
			yn(c->vmcb_clean), yn(c->npt_5level), c->svm_nasid,
			c->svm_disabled ? ", disabled by firmware (VM_CR.SVMDIS)" : "");
	if (!c->vmx && !c->svm)
		pr_info("cpu%u: neither VMX nor SVM\n", cpu);
}

const char *cpu_caps_unusable_reason(const struct cpu_caps *c)
{
	if (c->vmx && c->vendor != VENDOR_AMD) {
		if (c->vmx_locked_off)
			return "VMX is disabled by the firmware (IA32_FEATURE_CONTROL locked "
			       "without VMXON outside SMX); enable virtualization in the "
			       "firmware setup";
		if (!c->ept)
			return "VMX without EPT is not supported";
		return NULL;
	}
	if (c->svm) {
		if (c->svm_disabled)
			return "SVM is disabled by the firmware (VM_CR.SVMDIS); enable "
			       "virtualization in the firmware setup";
		if (!c->npt)
			return "SVM without nested paging (NPT) is not supported";
		return NULL;
	}
	return "this CPU has no hardware virtualization (neither VMX nor SVM)";
}
