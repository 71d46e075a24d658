// SPDX-License-Identifier: MIT
/* Runs the registered in-hypervisor benchmarks (include/lib/kbench.h). */
#include "lib/kbench.h"
#include "lib/printk.h"
#include "lib/string.h"

extern const struct kbench *const __start_kbench_cases[];
extern const struct kbench *const __stop_kbench_cases[];

unsigned int kbench_run(const char *filter)
{
	const struct kbench *const *b;
	bool all = !strcmp(filter, "all");
	unsigned int n = 0;

	for (b = __start_kbench_cases; b < __stop_kbench_cases; b++) {
		if (!all && strncmp((*b)->name, filter, strlen(filter)))
			continue;
		pr_info("bench: %s\n", (*b)->name);
		(*b)->fn();
		n++;
	}
	if (!n)
		pr_err("bench: no benchmark matches '%s'\n", filter);
	return n;
}
