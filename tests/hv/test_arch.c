// SPDX-License-Identifier: MIT
/*
 * ktests that only make sense inside hv.efi: the host exception machinery,
 * MSR access and the built-in symbol table.
 */
#include "arch/cpu.h"
#include "arch/exception.h"
#include "arch/msr.h"
#include "arch/x86.h"
#include "lib/kallsyms.h"
#include "lib/ktest.h"
#include "lib/string.h"

KTEST(exception_fixup_resumes_after_invalid_opcode)
{
	KT_EXPECT_EQ(t, exception_fixup_selftest(), 0);
}

KTEST(rdmsr_safe_reads_efer_in_long_mode)
{
	u64 efer = 0;

	KT_ASSERT(t, rdmsr_safe(MSR_EFER, &efer));
	KT_EXPECT(t, efer & EFER_LMA);
	KT_EXPECT(t, efer & EFER_LME);
}

KTEST(kallsyms_names_functions_and_offsets)
{
	u64 off = ~0ULL, size = 0;
	const char *name = kallsyms_lookup((uintptr_t)&exception_handler, &off, &size);

	KT_EXPECT_STREQ(t, name, "exception_handler");
	KT_EXPECT_EQ(t, off, 0);
	KT_EXPECT(t, size > 0);
	name = kallsyms_lookup((uintptr_t)&cpu_caps_read + 5, &off, &size);
	KT_EXPECT_STREQ(t, name, "cpu_caps_read");
	KT_EXPECT_EQ(t, off, 5);
	KT_EXPECT(t, kallsyms_lookup(0x1000, &off, &size) == NULL);
}

KTEST(host_runs_on_its_own_tss_and_idt)
{
	struct desc_ptr idtr;

	sidt(&idtr);
	KT_EXPECT_NE(t, str(), 0);
	KT_EXPECT_EQ(t, idtr.limit, 256 * 16 - 1);
}
