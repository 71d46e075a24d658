// SPDX-License-Identifier: MIT
/* Unit tests of include/arch/xsave.h: the XCR0 values XSETBV accepts. */
#include "arch/xsave.h"
#include "lib/ktest.h"

KTEST(xcr0_valid_follows_the_architectural_rules)
{
	const u64 all = 0x602e7;	/* x87 SSE AVX AVX-512 PKRU AMX */

	KT_EXPECT(t, xcr0_valid(0x1, all));
	KT_EXPECT(t, xcr0_valid(0x3, all));
	KT_EXPECT(t, xcr0_valid(0x7, all));
	KT_EXPECT(t, xcr0_valid(0xe7, all));
	KT_EXPECT(t, xcr0_valid(0x602e7, all));
	KT_EXPECT(t, !xcr0_valid(0x0, all));		/* x87 must stay on */
	KT_EXPECT(t, !xcr0_valid(0x2, all));
	KT_EXPECT(t, !xcr0_valid(0x5, all));		/* AVX without SSE */
	KT_EXPECT(t, !xcr0_valid(0x67, all));		/* half of AVX-512 */
	KT_EXPECT(t, !xcr0_valid(0xe3, all));		/* AVX-512 without AVX */
	KT_EXPECT(t, !xcr0_valid(0x200e7, all));	/* half of AMX */
	KT_EXPECT(t, !xcr0_valid(0x1f, all));		/* MPX: not supported here */
	KT_EXPECT(t, xcr0_valid(0x1b, 0x1f));		/* both MPX halves */
	KT_EXPECT(t, !xcr0_valid(0xb, 0x1f));		/* one MPX half */
	KT_EXPECT(t, !xcr0_valid(1ULL << 63, ~0ULL));	/* without x87 */
}
