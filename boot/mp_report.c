// SPDX-License-Identifier: MIT
/*
 * What boot/mp.c found, judged and logged: no firmware call here, so the
 * verdict is unit-tested on the host (tests/unit/test_mp.c) with machines
 * the emulators cannot make (a disabled AP, one that never answers, one
 * without the boot CPU's extension).
 */
#include "boot/mp.h"
#include "lib/printk.h"
#include "lib/string.h"

const char *mp_cpu_differs(const struct mp_cpu *c, const struct mp_cpu *b)
{
	if (!c->enabled)
		return "disabled by the firmware";
	if (!__atomic_load_n(&c->answered, __ATOMIC_ACQUIRE))
		return c->refused ? "could not be started (MP services refused)" :
				    "did not run the probe in time";
	if (c->vmx != b->vmx || c->svm != b->svm)
		return b->vmx ? "has no VMX (the boot CPU has)" : "has no SVM (the boot CPU has)";
	if (c->own_apic_id != (c->apic_id & 0xff))
		return "reads another APIC ID than the firmware reports";
	return NULL;
}

unsigned int mp_report(const struct mp_info *mp)
{
	const struct mp_cpu *b = NULL;
	unsigned int i, n = MIN(mp->ncpus, (unsigned int)MP_MAX_CPUS), bad = 0;
	const char *why;

	for (i = 0; i < n; i++)
		if (mp->cpu[i].bsp)
			b = &mp->cpu[i];
	if (!b) {
		pr_warn("smp: the firmware names no boot CPU\n");
		return n;
	}
	pr_info("smp: %u CPUs, %u enabled (firmware MP services)\n", mp->ncpus, mp->nenabled);
	for (i = 0; i < n; i++) {
		const struct mp_cpu *c = &mp->cpu[i];

		why = c->bsp ? NULL : mp_cpu_differs(c, b);
		pr_info("smp: cpu%u: APIC ID %u%s, VMX %s, SVM %s%s%s\n", i, c->apic_id,
			c->bsp ? " (boot CPU)" : "", str_yes_no(c->vmx), str_yes_no(c->svm),
			why ? ": " : "", why ? why : "");
		bad += why != NULL;
	}
	if (mp->ncpus > MP_MAX_CPUS)
		pr_warn("smp: only the first %u CPUs are listed\n", MP_MAX_CPUS);
	if (!bad && n > 1)
		pr_info("smp: every CPU has the boot CPU's %s\n", b->vmx ? "VMX" : b->svm ? "SVM" :
			"lack of VMX and SVM");
	return bad;
}
