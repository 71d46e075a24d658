// SPDX-License-Identifier: MIT
/*
 * Host side of ktest: main() of the unit-test binaries (the hypervisor
 * services they need come from tests/host/host_rt.c).
 *
 * Usage: unit-tests [FILTER...]  runs the tests whose name starts with a
 *                               FILTER (each FILTER in turn; none: all)
 *        unit-tests --list      prints every test's name, one a line
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/ktest.h"
#include "lib/printk.h"
#include "mm/page_alloc.h"

/* Backing of hv_pool for the tests that allocate from it. */
#define HOST_POOL_BYTES (64ULL << 20)

extern const struct ktest *const __start_ktest_cases[];
extern const struct ktest *const __stop_ktest_cases[];

static int list_tests(void)
{
	const struct ktest *const *p;

	for (p = __start_ktest_cases; p < __stop_ktest_cases; p++)
		printf("%s\n", (*p)->name);
	return 0;
}

int main(int argc, char **argv)
{
	void *mem;
	unsigned int failed = 0;
	int i;

	if (argc == 2 && !strcmp(argv[1], "--list"))
		return list_tests();
	mem = aligned_alloc(2 << 20, HOST_POOL_BYTES);

	if (!mem || page_pool_init(&hv_pool, mem, HOST_POOL_BYTES)) {
		fprintf(stderr, "cannot set up the host page pool\n");
		return 2;
	}
	if (argc < 2)
		failed = ktest_run(NULL, NULL);
	for (i = 1; i < argc; i++)
		failed += ktest_run(argv[i], NULL);
	free(mem);

	return failed ? 1 : 0;
}
