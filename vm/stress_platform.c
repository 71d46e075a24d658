// SPDX-License-Identifier: MIT
/*
 * tdp_stress= on the platform VM: the option asks for the hypervisor tick
 * at its rate, and every CPU's tick runs a stress step (include/vm/stress.h).
 * Every STRESS_REPORT_S seconds one CPU logs the counters so far: a machine
 * whose power-off the hypervisor cannot see (Bochs' firmware has no ACPI
 * power-off) shows them too.
 */
#include "vm/stress.h"
#include "vm/tick.h"
#include "vm/vm.h"
#include "arch/cpu.h"
#include "lib/printk.h"
#include "errcode.h"

#define STRESS_REPORT_S 10ULL

static struct stress_config config;
static struct stress *platform_stress;
static u64 next_report_ns;

void stress_platform_configure(const struct stress_config *c)
{
	config = *c;
	if (config.rate_ms)
		tick_request(config.rate_ms);
}

int stress_platform_attach(struct vm *vm, bool smp)
{
	if (!config.rate_ms)
		return 0;
	platform_stress = stress_attach(vm, &config, smp);
	if (!platform_stress)
		return -ENOMEM;
	pr_info("stress: vm %s: every %u ms on every CPU, ops 0x%x, seed 0x%llx\n", vm->name,
		config.rate_ms, config.ops, (unsigned long long)config.seed);
	return 0;
}

void stress_platform_tick(struct vcpu *v)
{
	u64 now = ns_since_boot(), due = __atomic_load_n(&next_report_ns, __ATOMIC_RELAXED);

	if (!platform_stress || !stress_step(platform_stress, v, now))
		return;
	if (!due) {
		__atomic_compare_exchange_n(&next_report_ns, &due, now + STRESS_REPORT_S * 1000000000ULL,
					    false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	} else if (now >= due &&
		   __atomic_compare_exchange_n(&next_report_ns, &due,
					       now + STRESS_REPORT_S * 1000000000ULL, false,
					       __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		stress_print_progress(platform_stress);
	}
}

void stress_platform_print(void)
{
	if (platform_stress)
		stress_print(platform_stress);
}
