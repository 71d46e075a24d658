// SPDX-License-Identifier: MIT
/*
 * ktests that only make sense inside hv.efi: the host exception machinery,
 * MSR access and the built-in symbol table.
 */
#include "arch/cpu.h"
#include "arch/exception.h"
#include "arch/msr.h"
#include "arch/x86.h"
#include "bug.h"
#include "lib/console.h"
#include "lib/kallsyms.h"
#include "lib/printk.h"
#include "lib/ktest.h"
#include "lib/string.h"
#include "svm/caps.h"
#include "vmx/caps.h"

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

KTEST(capabilities_explain_why_guests_cannot_run)
{
	struct cpu_caps c = { 0 };
	struct vmx_caps vmx = { .vmx = true, .ept = true };
	struct svm_caps svm = { .svm = true, .npt = true };

	KT_EXPECT(t, cpu_caps_unusable_reason(&c) != NULL);
	c.vendor = VENDOR_INTEL;
	c.vmx = true;
	c.vmx_locked_off = true;
	KT_EXPECT(t, strncmp(cpu_caps_unusable_reason(&c), "VMX is disabled by the firmware", 31) == 0);
	KT_EXPECT(t, vmx_caps_unusable_reason(&vmx) == NULL);
	vmx.ept = false;
	KT_EXPECT(t, vmx_caps_unusable_reason(&vmx) != NULL);

	memset(&c, 0, sizeof(c));
	c.vendor = VENDOR_AMD;
	c.svm = true;
	c.svm_disabled = true;
	KT_EXPECT(t, strncmp(cpu_caps_unusable_reason(&c), "SVM is disabled by the firmware", 31) == 0);
	KT_EXPECT(t, svm_caps_unusable_reason(&svm) == NULL);
	svm.npt = false;
	KT_EXPECT(t, svm_caps_unusable_reason(&svm) != NULL);
}

/* True when the last `window` bytes of the log ring contain s. */
static unsigned int ring_count(const char *s, size_t window)
{
	static char buf[4096];
	size_t used = log_ring_used(), n, len = strlen(s), i;
	unsigned int hits = 0;

	if (window > sizeof(buf) - 1)
		window = sizeof(buf) - 1;
	n = log_ring_read(used > window ? used - window : 0, buf, window);
	buf[n] = '\0';
	for (i = 0; i + len <= n; i++)
		hits += !strncmp(buf + i, s, len);
	return hits;
}

KTEST(log_ring_keeps_recent_lines_with_timestamps)
{
	pr_debug("ring marker %u\n", 4242);
	KT_EXPECT_EQ(t, ring_count("] ring marker 4242\n", 256), 1);
	KT_EXPECT(t, log_ring_used() <= LOG_RING_SIZE);
}

static __noinline void warn_twice(void)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		WARN_ON_ONCE(i < 2);
}

KTEST(warn_on_once_warns_once_with_a_backtrace)
{
	unsigned int before = ring_count("WARNING: at tests/hv/test_arch.c", 4000);

	warn_twice();
	KT_EXPECT_EQ(t, ring_count("WARNING: at tests/hv/test_arch.c", 4000), before + 1);
	KT_EXPECT(t, ring_count("warn_twice+0x", 4000) >= 1);
}
