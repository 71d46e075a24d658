// SPDX-License-Identifier: MIT
/*
 * Host side of ktest: main() of the unit-test binaries (the hypervisor
 * services they need come from tests/host/host_rt.c).
 *
 * Usage: unit-tests [FILTER]   (runs tests whose name starts with FILTER)
 */
#include <stdio.h>
#include <stdlib.h>
#include "lib/ktest.h"
#include "lib/printk.h"
#include "mm/page_alloc.h"

/* Backing of hv_pool for the tests that allocate from it. */
#define HOST_POOL_BYTES (64ULL << 20)

int main(int argc, char **argv)
{
	void *mem = aligned_alloc(2 << 20, HOST_POOL_BYTES);
	unsigned int failed;

	if (!mem || page_pool_init(&hv_pool, mem, HOST_POOL_BYTES)) {
		fprintf(stderr, "cannot set up the host page pool\n");
		return 2;
	}
	failed = ktest_run(argc > 1 ? argv[1] : NULL, NULL);
	free(mem);

	return failed ? 1 : 0;
}
