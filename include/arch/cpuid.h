/* SPDX-License-Identifier: MIT */
/*
 * CPUID leaves and the feature bits the hypervisor reads or changes, by
 * leaf and register (Intel SDM vol. 2A "CPUID"; AMD APM vol. 3 appendix E).
 * The accessors are cpuid()/cpuid_count() in arch/x86.h.
 */
#ifndef TDPVISOR_ARCH_CPUID_H
#define TDPVISOR_ARCH_CPUID_H

#include "types.h"

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

/* Leaf 1 */
#define CPUID1_ECX_VMX BIT(5)
#define CPUID1_ECX_SMX BIT(6)
#define CPUID1_ECX_XSAVE BIT(26)
#define CPUID1_ECX_OSXSAVE BIT(27)
#define CPUID1_ECX_HYPERVISOR BIT(31)
#define CPUID1_EDX_MTRR BIT(12)

/* Leaf 7, subleaf 0 */
#define CPUID7_EBX_SGX BIT(2)
#define CPUID7_EBX_INVPCID BIT(10)
#define CPUID7_EBX_PT BIT(25)
#define CPUID7_ECX_OSPKE BIT(4)
#define CPUID7_ECX_WAITPKG BIT(5)
#define CPUID7_ECX_LA57 BIT(16)
#define CPUID7_ECX_RDPID BIT(22)
#define CPUID7_ECX_SGX_LC BIT(30)

/* Leaf 0x14: Intel Processor Trace's capabilities */
#define CPUID_PT 0x14

/* Leaf 0xd: XSAVE state components; subleaf 1: XSAVE features */
#define CPUID_XSAVE 0xd
#define CPUIDD1_EAX_XSAVES BIT(3)

/* Extended leaves */
#define CPUID_EXT_MAX 0x80000000
#define CPUID_EXT_FEATURES 0x80000001
#define CPUID81_ECX_SVM BIT(2)
#define CPUID81_ECX_SKINIT BIT(12)
#define CPUID81_ECX_TCE BIT(17)
#define CPUID81_EDX_SYSCALL BIT(11)
#define CPUID81_EDX_NX BIT(20)
#define CPUID81_EDX_FFXSR BIT(25)
#define CPUID81_EDX_LM BIT(29)
#define CPUID81_EDX_RDTSCP BIT(27)
#define CPUID81_EDX_PDPE1GB BIT(26)
#define CPUID_EXT_ADDR_SIZES 0x80000008
#define CPUID88_EBX_MCOMMIT BIT(8)
#define CPUID88_EBX_INT_WBINVD BIT(13)
#define CPUID88_EBX_NO_LMSLE BIT(20)	/* EFER.LMSLE unsupported */
#define CPUID_EXT_FEATURES2 0x80000021
#define CPUID821_EAX_UAI BIT(7)		/* upper address ignore */
#define CPUID821_EAX_AUTO_IBRS BIT(8)
#define CPUID_SVM_FEATURES 0x8000000a
#define CPUID_SVM_EDX_NP BIT(0)
#define CPUID_SVM_EDX_NRIPS BIT(3)
#define CPUID_SVM_EDX_VMCB_CLEAN BIT(5)
#define CPUID_SVM_EDX_FLUSH_BY_ASID BIT(6)
#define CPUID_SVM_EDX_DECODE_ASSISTS BIT(7)

/* The hypervisor's own range: 0x40000000 answers its signature. */
#define CPUID_HV_BASE 0x40000000
#define CPUID_HV_NR 0x100

#endif
