/* SPDX-License-Identifier: MIT */
/*
 * The guest's general-purpose registers, numbered as the hardware encodes
 * them in ModRM.reg/rm, SIB.base/index and the opcode's low bits (with
 * REX.R/X/B as bit 3).  A vCPU keeps them as u64 gpr[GPR_NR] indexed by
 * this enum, so a decoded register number indexes the array directly.
 * RSP is listed for the encoding; the vendor's guest-state area is the
 * authority for the guest's RSP.
 */
#ifndef TDPVISOR_VM_GPR_H
#define TDPVISOR_VM_GPR_H

enum gpr {
	GPR_RAX,
	GPR_RCX,
	GPR_RDX,
	GPR_RBX,
	GPR_RSP,
	GPR_RBP,
	GPR_RSI,
	GPR_RDI,
	GPR_R8,
	GPR_R9,
	GPR_R10,
	GPR_R11,
	GPR_R12,
	GPR_R13,
	GPR_R14,
	GPR_R15,
	GPR_NR
};

#endif
