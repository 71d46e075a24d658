// SPDX-License-Identifier: MIT
/* Unit tests of arch/cr.c: the CR0 and CR4 writes a CPU refuses with #GP. */
#include "arch/cr.h"
#include "arch/msr.h"
#include "lib/ktest.h"

#define CR0_REAL (X86_CR0_ET | X86_CR0_NE)
#define CR0_PROT (CR0_REAL | X86_CR0_PE)
#define CR0_PAGED (CR0_PROT | X86_CR0_PG)
#define EFER_LONG (EFER_LME | EFER_LMA)

KTEST(cr0_write_valid_follows_the_architectural_rules)
{
	KT_EXPECT(t, cr0_write_valid(CR0_REAL, CR0_PROT, 0, 0, false));
	KT_EXPECT(t, cr0_write_valid(CR0_PROT, CR0_PAGED, 0, 0, false));
	KT_EXPECT(t, cr0_write_valid(CR0_PAGED, CR0_REAL, 0, 0, false));
	KT_EXPECT(t, !cr0_write_valid(CR0_REAL, CR0_REAL | X86_CR0_PG, 0, 0, false));
	KT_EXPECT(t, !cr0_write_valid(CR0_PROT, CR0_PROT | X86_CR0_NW, 0, 0, false));
	KT_EXPECT(t, cr0_write_valid(CR0_PROT, CR0_PROT | X86_CR0_NW | X86_CR0_CD, 0, 0, false));
	KT_EXPECT(t, !cr0_write_valid(CR0_PROT, CR0_PROT | BIT_ULL(32), 0, 0, false));
	KT_EXPECT(t, !cr0_write_valid(CR0_PAGED, CR0_PAGED | BIT_ULL(63), X86_CR4_PAE,
				      EFER_LONG, true));
}

KTEST(cr0_write_valid_guards_entering_and_leaving_ia32e_mode)
{
	/* Paging on with EFER.LME: PAE first. */
	KT_EXPECT(t, !cr0_write_valid(CR0_PROT, CR0_PAGED, 0, EFER_LME, false));
	KT_EXPECT(t, cr0_write_valid(CR0_PROT, CR0_PAGED, X86_CR4_PAE, EFER_LME, false));
	/* The PAE check is for turning paging on, not for other bits. */
	KT_EXPECT(t, cr0_write_valid(CR0_PAGED, CR0_PAGED | X86_CR0_WP, 0, EFER_LME, false));
	/* Paging off: from compatibility mode, never from 64-bit code. */
	KT_EXPECT(t, !cr0_write_valid(CR0_PAGED, CR0_PROT, X86_CR4_PAE, EFER_LONG, true));
	KT_EXPECT(t, cr0_write_valid(CR0_PAGED, CR0_PROT, X86_CR4_PAE, EFER_LONG, false));
	/* CS.L means nothing outside IA-32e mode. */
	KT_EXPECT(t, cr0_write_valid(CR0_PAGED, CR0_PROT, X86_CR4_PAE, EFER_LME, true));
}

KTEST(cr4_write_valid_refuses_missing_bits_and_pae_off_in_ia32e_mode)
{
	const u64 has = X86_CR4_PAE | X86_CR4_PCIDE | X86_CR4_OSXSAVE;

	KT_EXPECT(t, cr4_write_valid(0, has, 0));
	KT_EXPECT(t, cr4_write_valid(has, has, 0));
	KT_EXPECT(t, !cr4_write_valid(X86_CR4_PAE | X86_CR4_PKE, has, 0));
	KT_EXPECT(t, !cr4_write_valid(X86_CR4_PAE | X86_CR4_VMXE, has, EFER_LONG));
	KT_EXPECT(t, !cr4_write_valid(X86_CR4_PAE | BIT_ULL(63), has, EFER_LONG));
	KT_EXPECT(t, cr4_write_valid(X86_CR4_PAE | X86_CR4_OSXSAVE, has, EFER_LONG));
	KT_EXPECT(t, !cr4_write_valid(X86_CR4_OSXSAVE, has, EFER_LONG));
	KT_EXPECT(t, cr4_write_valid(X86_CR4_OSXSAVE, has, EFER_LME));
}
