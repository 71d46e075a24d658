/* SPDX-License-Identifier: MIT */
/*
 * Control-register and RFLAGS bits (Intel SDM vol. 3A 2.5, AMD APM vol. 2
 * 3.1).  Architectural checks of CR0/CR4 writes are in arch/cr.c.
 */
#ifndef TDPVISOR_ARCH_CR_H
#define TDPVISOR_ARCH_CR_H

#include "types.h"

#define X86_CR0_PE BIT_ULL(0)
#define X86_CR0_MP BIT_ULL(1)
#define X86_CR0_TS BIT_ULL(3)
#define X86_CR0_ET BIT_ULL(4)
#define X86_CR0_NE BIT_ULL(5)
#define X86_CR0_WP BIT_ULL(16)
#define X86_CR0_NW BIT_ULL(29)
#define X86_CR0_CD BIT_ULL(30)
#define X86_CR0_PG BIT_ULL(31)

#define X86_CR4_PAE BIT_ULL(5)
#define X86_CR4_LA57 BIT_ULL(12)
#define X86_CR4_VMXE BIT_ULL(13)
#define X86_CR4_PCIDE BIT_ULL(17)
#define X86_CR4_OSXSAVE BIT_ULL(18)
#define X86_CR4_PKE BIT_ULL(22)

#define X86_RFLAGS_IF BIT_ULL(9)

#endif
