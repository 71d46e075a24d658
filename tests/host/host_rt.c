// SPDX-License-Identifier: MIT
/*
 * The few hypervisor services that lib/ and mm/ call (printk, __bug, __warn,
 * panic), implemented on top of libc for every host binary: the unit tests,
 * the TDP MMU suites, the fuzzer and the benchmark.  A broken invariant
 * aborts the binary with file:line so the sanitizers' and the runner's
 * output point at it.
 */
#include <stdio.h>
#include <stdlib.h>
#include "bug.h"
#include "lib/printk.h"

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
