/* SPDX-License-Identifier: MIT */
/*
 * What this CPU's SVM can do: CPUID leaf 0x8000000a.  svm/caps.c is its only
 * reader; it reads it once, at the first call of svm_caps().
 */
#ifndef TDPVISOR_SVM_CAPS_H
#define TDPVISOR_SVM_CAPS_H

#include "types.h"

struct cpu_caps;

struct svm_caps {
	bool svm;		/* CPUID.80000001:ECX.SVM: the rest was read */
	bool npt, nrips, flush_by_asid, decode_assists, vmcb_clean;
	u32 nasid;		/* the number of ASIDs */
};

/* This CPU's SVM capabilities; all zero without SVM. */
const struct svm_caps *svm_caps(void);
/* The boot log's SVM line, with LA57 and the firmware's VM_CR.SVMDIS from c. */
void svm_caps_print(const struct cpu_caps *c, unsigned int cpu);
/* NULL when guests can run with these capabilities, else a sentence why not. */
const char *svm_caps_unusable_reason(const struct svm_caps *k);

#endif
