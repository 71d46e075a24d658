// SPDX-License-Identifier: MIT
/*
 * Unit tests of boot/mp_report.c: which CPUs the verdict calls different
 * from the boot CPU, on machines the emulators cannot make.
 */
#include "boot/mp.h"
#include "lib/ktest.h"
#include "lib/string.h"

static struct mp_info mp;

/* n CPUs, cpu0 the boot CPU, all enabled, answered, with ext (VMX or SVM). */
static void machine(unsigned int n, bool vmx)
{
	unsigned int i;

	memset(&mp, 0, sizeof(mp));
	mp.ncpus = mp.nenabled = n;
	for (i = 0; i < n; i++) {
		struct mp_cpu *c = &mp.cpu[i];

		c->apic_id = c->own_apic_id = 2 * i;	/* APIC IDs need not be dense */
		c->bsp = i == 0;
		c->enabled = c->healthy = c->answered = true;
		c->vmx = vmx;
		c->svm = !vmx;
	}
}

KTEST(mp_alike_cpus_pass_and_the_report_counts_none)
{
	machine(4, true);
	KT_EXPECT(t, mp_cpu_differs(&mp.cpu[3], &mp.cpu[0]) == NULL);
	KT_EXPECT_EQ(t, mp_report(&mp), 0);
	machine(1, false);
	KT_EXPECT_EQ(t, mp_report(&mp), 0);
}

KTEST(mp_a_disabled_silent_or_different_cpu_is_named)
{
	machine(5, false);
	mp.cpu[1].enabled = false;
	mp.cpu[2].answered = false;
	mp.cpu[3].svm = false;
	mp.cpu[4].own_apic_id = 99;
	KT_EXPECT_STREQ(t, mp_cpu_differs(&mp.cpu[1], &mp.cpu[0]), "disabled by the firmware");
	KT_EXPECT_STREQ(t, mp_cpu_differs(&mp.cpu[2], &mp.cpu[0]),
			"did not run the probe in time");
	KT_EXPECT_STREQ(t, mp_cpu_differs(&mp.cpu[3], &mp.cpu[0]),
			"has no SVM (the boot CPU has)");
	KT_EXPECT_STREQ(t, mp_cpu_differs(&mp.cpu[4], &mp.cpu[0]),
			"reads another APIC ID than the firmware reports");
	KT_EXPECT_EQ(t, mp_report(&mp), 4);
}

KTEST(mp_an_ap_the_firmware_would_not_start_is_told_from_a_slow_one)
{
	machine(2, true);
	mp.cpu[1].answered = false;
	mp.cpu[1].refused = true;
	KT_EXPECT_STREQ(t, mp_cpu_differs(&mp.cpu[1], &mp.cpu[0]),
			"could not be started (MP services refused)");
	KT_EXPECT_EQ(t, mp_report(&mp), 1);
}

KTEST(mp_vmx_missing_on_an_ap_is_named_for_vmx)
{
	machine(2, true);
	mp.cpu[1].vmx = false;
	KT_EXPECT_STREQ(t, mp_cpu_differs(&mp.cpu[1], &mp.cpu[0]),
			"has no VMX (the boot CPU has)");
}

KTEST(mp_without_a_boot_cpu_every_cpu_counts)
{
	machine(3, true);
	mp.cpu[0].bsp = false;
	KT_EXPECT_EQ(t, mp_report(&mp), 3);
}

KTEST(mp_more_cpus_than_listed_judges_the_listed_ones)
{
	machine(MP_MAX_CPUS, false);
	mp.ncpus = mp.nenabled = MP_MAX_CPUS + 10;
	KT_EXPECT_EQ(t, mp_report(&mp), 0);
}
