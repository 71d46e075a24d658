// SPDX-License-Identifier: MIT
/*
 * The hypervisor's tick.  Each vCPU keeps the time of its next tick; before
 * each entry the vendor is told the TSC value at which the guest must
 * exit, and after each exit -- whatever its reason -- a tick that is due
 * runs.  A vCPU that fell behind by more than a period (it exited late, or
 * did not run) skips the ticks it missed: the kind's tick() is called at
 * most once per exit and reads the time itself.
 */
#include "vm/tick.h"
#include "vm/vm.h"
#include "vm/run.h"
#include "arch/cpu.h"
#include "arch/x86.h"

static u64 period_ns;

void tick_request(unsigned int ms)
{
	u64 ns = (u64)ms * 1000000;

	if (ms < TICK_MIN_MS || ms > TICK_MAX_MS)
		return;
	if (!period_ns || ns < period_ns)
		period_ns = ns;
}

u64 tick_period_ns(void)
{
	return period_ns;
}

/* ns nanoseconds from now as a TSC value. */
static u64 tsc_after_ns(u64 ns)
{
	return rdtsc() + ns * tsc_khz() / 1000000;
}

void tick_before_entry(struct vcpu *v)
{
	u64 now;

	if (!period_ns || !virt->arm_tick || !v->vm->kind->tick)
		return;
	now = ns_since_boot();
	if (!v->tick_next_ns)
		v->tick_next_ns = now + period_ns;
	virt->arm_tick(v, tsc_after_ns(v->tick_next_ns > now ? v->tick_next_ns - now : 0));
}

void tick_after_exit(struct vcpu *v)
{
	u64 now;

	if (!v->tick_next_ns)
		return;
	now = ns_since_boot();
	if (now < v->tick_next_ns)
		return;
	v->tick_next_ns += period_ns;
	if (v->tick_next_ns <= now)
		v->tick_next_ns = now + period_ns;
	v->stats.ticks++;
	if (v->vm->kind->tick)
		v->vm->kind->tick(v);
}
