/* SPDX-License-Identifier: MIT */
/*
 * CPUID leaves and the feature bits the hypervisor reads or changes, by
 * leaf and register (Intel SDM vol. 2A "CPUID"; AMD APM vol. 3 appendix E).
 * The accessors are cpuid()/cpuid_count() in arch/x86.h.
 */
#ifndef TDPVISOR_ARCH_CPUID_H
#define TDPVISOR_ARCH_CPUID_H

#include "types.h"

/* Leaf 1 */
#define CPUID1_ECX_VMX BIT(5)
#define CPUID1_ECX_XSAVE BIT(26)
#define CPUID1_ECX_OSXSAVE BIT(27)
#define CPUID1_ECX_HYPERVISOR BIT(31)
#define CPUID1_EDX_MTRR BIT(12)

/* Leaf 7, subleaf 0 */
#define CPUID7_EBX_INVPCID BIT(10)
#define CPUID7_ECX_OSPKE BIT(4)
#define CPUID7_ECX_WAITPKG BIT(5)
#define CPUID7_ECX_LA57 BIT(16)
#define CPUID7_ECX_RDPID BIT(22)

/* Leaf 0xd: XSAVE state components; subleaf 1: XSAVE features */
#define CPUID_XSAVE 0xd
#define CPUIDD1_EAX_XSAVES BIT(3)

/* Extended leaves */
#define CPUID_EXT_MAX 0x80000000
#define CPUID_EXT_FEATURES 0x80000001
#define CPUID81_ECX_SVM BIT(2)
#define CPUID81_EDX_RDTSCP BIT(27)
#define CPUID81_EDX_PDPE1GB BIT(26)
#define CPUID_EXT_ADDR_SIZES 0x80000008
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
