// SPDX-License-Identifier: MIT
/*
 * The architectural checks of a control-register write: what the CPU
 * itself refuses with #GP, whichever vendor's virtualization runs the
 * guest (Intel SDM vol. 3A 2.5 and vol. 2B "MOV--Move to/from Control
 * Registers"; AMD APM vol. 2 3.1).  Pure functions: built into hv.efi and
 * the host tests.
 */
#include "arch/cr.h"
#include "arch/msr.h"

bool cr0_write_valid(u64 old, u64 val, u64 cr4, u64 efer, bool cs_l)
{
	if (val >> 32)
		return false;		/* reserved */
	if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
		return false;
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		return false;
	/* Paging turned on with EFER.LME activates IA-32e mode: PAE paging only. */
	if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) && (efer & EFER_LME) &&
	    !(cr4 & X86_CR4_PAE))
		return false;
	/* IA-32e mode is left from compatibility mode, never from 64-bit code. */
	if (!(val & X86_CR0_PG) && (efer & EFER_LMA) && cs_l)
		return false;
	return true;
}

bool cr4_write_valid(u64 val, u64 supported, u64 efer)
{
	if (val & ~supported)
		return false;
	/* IA-32e mode paging cannot drop PAE. */
	if ((efer & EFER_LMA) && !(val & X86_CR4_PAE))
		return false;
	return true;
}
