// SPDX-License-Identifier: MIT
/*
 * The hypervisor services lib/ and mm/ call (printk, __bug, __warn, panic)
 * for the stand-alone host binaries that have their own main(): the
 * fuzzer and the benchmark.  (The ktest binaries use tests/host/host_main.c.)
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
