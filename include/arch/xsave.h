/* SPDX-License-Identifier: MIT */
/* XCR0: which values XSETBV accepts (SDM vol. 1, 13.3; vol. 2, XSETBV). */
#ifndef TDPVISOR_ARCH_XSAVE_H
#define TDPVISOR_ARCH_XSAVE_H

#include "types.h"

#define XFEATURE_X87 BIT_ULL(0)
#define XFEATURE_SSE BIT_ULL(1)
#define XFEATURE_AVX BIT_ULL(2)
#define XFEATURE_MPX (BIT_ULL(3) | BIT_ULL(4))		/* BNDREGS, BNDCSR */
#define XFEATURE_AVX512 (BIT_ULL(5) | BIT_ULL(6) | BIT_ULL(7))	/* opmask, ZMM_Hi256, Hi16_ZMM */
#define XFEATURE_AMX (BIT_ULL(17) | BIT_ULL(18))	/* XTILECFG, XTILEDATA */

/*
 * Whether XSETBV(0, val) is legal on a CPU whose CPUID.(EAX=0DH,ECX=0)
 * EDX:EAX is supported: only supported bits, x87 always on, AVX only with
 * SSE, the MPX pair, the AVX-512 triple and the AMX pair all-or-nothing,
 * and AVX-512 only with AVX.  A value that fails would #GP on hardware.
 */
static inline bool xcr0_valid(u64 val, u64 supported)
{
	if ((val & ~supported) || !(val & XFEATURE_X87))
		return false;
	if ((val & XFEATURE_AVX) && !(val & XFEATURE_SSE))
		return false;
	if ((val & XFEATURE_MPX) && (val & XFEATURE_MPX) != XFEATURE_MPX)
		return false;
	if (val & XFEATURE_AVX512) {
		if ((val & XFEATURE_AVX512) != XFEATURE_AVX512 || !(val & XFEATURE_AVX))
			return false;
	}
	if ((val & XFEATURE_AMX) && (val & XFEATURE_AMX) != XFEATURE_AMX)
		return false;
	return true;
}

#endif
