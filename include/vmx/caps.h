/* SPDX-License-Identifier: MIT */
/*
 * What this CPU's VMX can do: IA32_VMX_BASIC, the allowed settings of the
 * five control fields, the CR0/CR4 fixed bits and IA32_VMX_EPT_VPID_CAP.
 * vmx/caps.c is the only reader of these MSRs; it reads them once, at the
 * first call of vmx_caps().
 */
#ifndef TDPVISOR_VMX_CAPS_H
#define TDPVISOR_VMX_CAPS_H

#include "types.h"

struct cpu_caps;

/* A control field's capability MSR: bits that must be 1, bits that may be 1. */
struct vmx_ctl_cap {
	u32 must, may;
};

struct vmx_caps {
	bool vmx;		/* CPUID.1:ECX.VMX: the rest was read */
	u64 basic;		/* IA32_VMX_BASIC */
	u32 revision;		/* the VMCS revision identifier */
	/* the TRUE_* MSRs where IA32_VMX_BASIC offers them */
	struct vmx_ctl_cap pin, cpu, sec, exit, entry;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 ept_vpid;		/* IA32_VMX_EPT_VPID_CAP; 0 with neither EPT nor VPID */
	/* what these add up to */
	bool ept, vpid, unrestricted;
	bool ept_4level, ept_5level, ept_2m, ept_1g, ept_ad;
	bool pml;		/* "enable PML" allowed, and EPT A/D bits for it to log */
};

/* This CPU's VMX capabilities; all zero without VMX. */
const struct vmx_caps *vmx_caps(void);
/* The boot log's VMX lines: the capabilities, and the firmware's lock in c. */
void vmx_caps_print(const struct cpu_caps *c, unsigned int cpu);
/* NULL when guests can run with these capabilities, else a sentence why not. */
const char *vmx_caps_unusable_reason(const struct vmx_caps *k);

#endif
