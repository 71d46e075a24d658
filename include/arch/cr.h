/* SPDX-License-Identifier: MIT */
/*
 * Control-register, RFLAGS and debug-register bits (Intel SDM vol. 3A 2.5, AMD APM vol. 2
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

#define X86_CR4_PSE BIT_ULL(4)
#define X86_CR4_PAE BIT_ULL(5)
#define X86_CR4_MCE BIT_ULL(6)
#define X86_CR4_LA57 BIT_ULL(12)
#define X86_CR4_VMXE BIT_ULL(13)
#define X86_CR4_PCIDE BIT_ULL(17)
#define X86_CR4_OSXSAVE BIT_ULL(18)
#define X86_CR4_SMEP BIT_ULL(20)
#define X86_CR4_SMAP BIT_ULL(21)
#define X86_CR4_PKE BIT_ULL(22)

#define X86_RFLAGS_FIXED BIT_ULL(1)	/* reads as 1 */
#define X86_RFLAGS_TF BIT_ULL(8)
#define X86_RFLAGS_IF BIT_ULL(9)
#define X86_RFLAGS_DF BIT_ULL(10)
#define X86_RFLAGS_VM BIT_ULL(17)
#define X86_RFLAGS_AC BIT_ULL(18)

/* Debug registers after RESET/INIT (SDM vol. 3B 18.2). */
#define X86_DR6_RESET 0xffff0ff0ULL
#define X86_DR6_BS BIT_ULL(14)	/* single step */
#define X86_DR7_RESET 0x400ULL

/* arch/cr.c */
/*
 * Whether MOV to CR0 of val, with old in CR0, is allowed by the x86 rules
 * (false: the CPU raises #GP): bits 63:32 clear, PG only with PE, NW only
 * with CD, paging turned on with EFER.LME only with CR4.PAE, paging turned
 * off in IA-32e mode only outside 64-bit code (cs_l: CS.L is set).  cr4 and
 * efer are the guest's current values.
 */
bool cr0_write_valid(u64 old, u64 val, u64 cr4, u64 efer, bool cs_l);
/*
 * Whether MOV to CR4 of val is allowed (false: #GP): only bits in
 * supported, the CR4 bits this CPU has (and lets the guest set), and PAE
 * kept in IA-32e mode (EFER.LMA in efer).
 */
bool cr4_write_valid(u64 val, u64 supported, u64 efer);

#endif
