// SPDX-License-Identifier: MIT
/*
 * The capability report: what the CPU is and whether it has VMX or SVM,
 * from CPUID and the firmware's locks (IA32_FEATURE_CONTROL, VM_CR).  What
 * each vendor's virtualization can do is read by vmx/caps.c and
 * svm/caps.c, which print their own lines of the report.  Nothing here
 * changes CPU state; enabling VMX/SVM is vmx/'s and svm/'s business.
 */
#include "arch/cpu.h"
#include "arch/cpuid.h"
#include "arch/msr.h"
#include "arch/x86.h"
#include "lib/printk.h"
#include "lib/string.h"

bool cpu_has_vmx(void)
{
	return cpuid(1).ecx & CPUID1_ECX_VMX;
}

bool cpu_has_svm(void)
{
	return cpuid(CPUID_EXT_MAX).eax >= CPUID_EXT_FEATURES &&
	       (cpuid(CPUID_EXT_FEATURES).ecx & CPUID81_ECX_SVM);
}

/* Whether the firmware left VMXON allowed, or IA32_FEATURE_CONTROL unlocked. */
static void read_vmx_lock(struct cpu_caps *c)
{
	u64 fc = rdmsr_or_zero(MSR_IA32_FEATURE_CONTROL);

	c->vmx_fc_unlocked = !(fc & FEATURE_CONTROL_LOCKED);
	c->vmx_locked_off = (fc & FEATURE_CONTROL_LOCKED) &&
			    !(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
}

unsigned int cpu_maxphyaddr(void)
{
	if (cpuid(CPUID_EXT_MAX).eax < CPUID_EXT_ADDR_SIZES)
		return 36;
	return cpuid(CPUID_EXT_ADDR_SIZES).eax & 0xff;
}

void cpu_caps_read(struct cpu_caps *c)
{
	struct cpuid_regs r = cpuid(0);
	u32 fam;

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
	c->vmx = cpu_has_vmx();
	c->hypervisor = r.ecx & CPUID1_ECX_HYPERVISOR;
	if (c->hypervisor) {
		r = cpuid(CPUID_HV_BASE);
		memcpy(c->hv_signature, &r.ebx, 4);
		memcpy(c->hv_signature + 4, &r.ecx, 4);
		memcpy(c->hv_signature + 8, &r.edx, 4);
	}

	c->maxphyaddr = cpu_maxphyaddr();
	c->svm = cpu_has_svm();

	if (c->vmx)
		read_vmx_lock(c);
	if (c->svm)
		c->svm_disabled = rdmsr_or_zero(MSR_VM_CR) & VM_CR_SVMDIS;
}

void cpu_caps_print(const struct cpu_caps *c, unsigned int cpu)
{
	pr_info("cpu%u: vendor %s family 0x%x model 0x%x stepping %u\n", cpu,
		c->vendor_id, c->family, c->model, c->stepping);
	pr_info("cpu%u: MAXPHYADDR %u bits, LA57 %s\n", cpu, c->maxphyaddr, str_yes_no(c->la57));
	if (c->hypervisor)
		pr_info("cpu%u: running under a hypervisor, CPUID 0x40000000 signature '%.12s'\n",
			cpu, c->hv_signature);
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
		return NULL;
	}
	if (c->svm) {
		if (c->svm_disabled)
			return "SVM is disabled by the firmware (VM_CR.SVMDIS); enable "
			       "virtualization in the firmware setup";
		return NULL;
	}
	return "this CPU has no hardware virtualization (neither VMX nor SVM)";
}
