// SPDX-License-Identifier: MIT
/* Time since boot from the TSC, calibrated once against a firmware delay. */
#include "arch/cpu.h"
#include "arch/x86.h"

static u64 boot_tsc;
static u64 khz;

u64 tsc_calibrate(void (*stall_us)(u64 us))
{
	u64 t0, t1;

	boot_tsc = rdtsc();
	t0 = rdtsc();
	stall_us(20000);
	t1 = rdtsc();
	khz = (t1 - t0) / 20;
	if (!khz)
		khz = 1;
	return khz;
}

u64 tsc_khz(void)
{
	return khz;
}

u64 ns_since_boot(void)
{
	u64 d;

	if (!khz)
		return 0;
	d = rdtsc() - boot_tsc;
	/* d * 1e6 / khz without overflowing 64 bits for long uptimes */
	return d / khz * 1000000ULL + (d % khz) * 1000000ULL / khz;
}

void tsc_resume(u64 tsc_before)
{
	u64 now = rdtsc();

	/* The TSC starts again from about 0 on most CPUs after S3: time since
	 * boot then goes on from where it stopped, without the sleep. */
	if (now < tsc_before)
		boot_tsc -= tsc_before - now;
}
