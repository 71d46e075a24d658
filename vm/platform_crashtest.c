// SPDX-License-Identifier: MIT
/*
 * crashtest=panic: the platform VM's crash on purpose, for the test of the
 * log kept across a warm reset (qemu-prevlog, docs/boot.md).
 */
#include "types.h"
#include "arch/cpu.h"
#include "bug.h"
#include "lib/printk.h"
#include "vm/platform.h"
#include "vm/tick.h"
#include "vm/vm.h"
#include "platform_int.h"

/*
 * crashtest=panic: the boot CPU's vCPU panics at its first tick after
 * crashtest_at_ns (ns since boot; 0: never), CRASHTEST_AFTER_NS after it
 * started as a guest.
 */
#define CRASHTEST_AFTER_NS 1000000000ULL
#define CRASHTEST_TICK_MS 100
static bool crashtest_armed;
static u64 crashtest_at_ns;

void platform_crashtest_arm(void)
{
	crashtest_armed = true;
	tick_request(CRASHTEST_TICK_MS);
}

void platform_crashtest_start(unsigned int id)
{
	if (id || !crashtest_armed)
		return;
	pr_warn("crashtest: cpu0 panics on purpose in %llu ms, under the guest\n",
		CRASHTEST_AFTER_NS / 1000000);
	__atomic_store_n(&crashtest_at_ns, ns_since_boot() + CRASHTEST_AFTER_NS, __ATOMIC_RELAXED);
}

void platform_crashtest_tick(struct vcpu *v)
{
	u64 at = __atomic_load_n(&crashtest_at_ns, __ATOMIC_RELAXED);

	if (!v->id && at && ns_since_boot() >= at)
		panic("crashtest: a panic on purpose while cpu%u runs the platform VM", v->id);
}
