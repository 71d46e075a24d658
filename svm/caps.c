// SPDX-License-Identifier: MIT
/*
 * SVM capabilities: CPUID leaf 0x8000000a is read here and nowhere else,
 * once (svm_caps()).
 */
#include "svm_int.h"
#include "svm/caps.h"
#include "arch/cpuid.h"
#include "lib/printk.h"
#include "lib/string.h"

/* Fills c from CPUID (all zero without SVM). */
static void read_caps(struct svm_caps *c)
{
	struct cpuid_regs r;

	c->svm = cpu_has_svm();
	if (!c->svm || cpuid(CPUID_EXT_MAX).eax < CPUID_SVM_FEATURES)
		return;
	r = cpuid(CPUID_SVM_FEATURES);
	c->nasid = r.ebx;
	c->npt = r.edx & CPUID_SVM_EDX_NP;
	c->nrips = r.edx & CPUID_SVM_EDX_NRIPS;
	c->vmcb_clean = r.edx & CPUID_SVM_EDX_VMCB_CLEAN;
	c->flush_by_asid = r.edx & CPUID_SVM_EDX_FLUSH_BY_ASID;
	c->decode_assists = r.edx & CPUID_SVM_EDX_DECODE_ASSISTS;
}

const struct svm_caps *svm_caps(void)
{
	static struct svm_caps caps;
	static bool read;

	if (!read) {
		read_caps(&caps);
		read = true;
	}
	return &caps;
}

void svm_caps_print(const struct cpu_caps *c, unsigned int cpu)
{
	const struct svm_caps *k = svm_caps();
	/* NPT walks with as many levels as the host's paging mode. */
	bool npt_5level = k->npt && c->la57;

	pr_info("cpu%u: SVM: NPT %s, NRIPS %s, flush-by-ASID %s, decode assists %s, "
		"VMCB clean bits %s, 5-level NPT %s, %u ASIDs%s\n", cpu, str_yes_no(k->npt),
		str_yes_no(k->nrips), str_yes_no(k->flush_by_asid), str_yes_no(k->decode_assists),
		str_yes_no(k->vmcb_clean), str_yes_no(npt_5level), k->nasid,
		c->svm_disabled ? ", disabled by firmware (VM_CR.SVMDIS)" : "");
}

const char *svm_caps_unusable_reason(const struct svm_caps *k)
{
	return k->npt ? NULL : "SVM without nested paging (NPT) is not supported";
}
