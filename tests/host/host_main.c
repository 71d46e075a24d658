// SPDX-License-Identifier: MIT
/*
 * Host side of ktest: main(), and the few hypervisor services that lib/ and
 * mm/ call (printk, __bug, __warn, panic) implemented on top of libc.  A
 * broken invariant aborts the test binary with file:line so the sanitizers'
 * and the runner's output point at it.
 *
 * Usage: unit-tests [FILTER]   (runs tests whose name starts with FILTER)
 */
#include <stdio.h>
#include <stdlib.h>
#include "bug.h"
#include "lib/ktest.h"
#include "lib/printk.h"
#include "mm/page_alloc.h"

/* Backing of hv_pool for the tests that allocate from it. */
#define HOST_POOL_BYTES (64ULL << 20)

int vprintk(const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	if (fmt[0] == KERN_SOH[0] && fmt[1])
		fmt += 2;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	fputs(buf, stdout);
	fflush(stdout);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

void __bug(const char *file, int line, const char *cond)
{
	fprintf(stderr, "BUG: %s:%d: %s\n", file, line, cond);
	abort();
}

void __warn(const char *file, int line, const char *cond)
{
	fprintf(stderr, "WARNING: %s:%d: %s\n", file, line, cond);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("panic: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

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
