// SPDX-License-Identifier: GPL-2.0
/*
 * memcheck — write and verify a pattern over a large block of RAM, from
 * inside the default guest (statically linked, runs from the initramfs).
 *
 * Usage: memcheck [MIB]
 *   MIB  how much to test, in MiB; default: 90% of MemAvailable from
 *        /proc/meminfo.
 *
 * For each of two passes, every 64-bit word gets a value that depends on its
 * address and on the pass number (the second pass flips every bit of the
 * first), and a following sweep checks every word.  The first write to each
 * page is also the page's first touch, so under the hypervisor this walks
 * the TDP fault path for the whole range.
 *
 * Prints exactly one result line:
 *   memcheck: N MiB ok                                        exit 0
 *   memcheck: FAILED at offset X: expected Y, got Z           exit 1
 * Errors (bad argument, no memory) go to stderr with exit 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PASSES 2
#define MIB (1024ULL * 1024ULL)

static void usage(void)
{
	fprintf(stderr,
		"usage: memcheck [MIB]\n"
		"  write and verify an address-dependent pattern over MIB MiB\n"
		"  (default: 90%% of MemAvailable); prints 'memcheck: N MiB ok'\n"
		"  or 'memcheck: FAILED at offset X: expected Y, got Z'\n");
	exit(1);
}

/* The pattern: a 64-bit mix (splitmix64's finalizer) of the word's address,
 * inverted on odd passes so that every bit is seen at 0 and at 1. */
static inline uint64_t pattern(uintptr_t addr, unsigned int pass)
{
	uint64_t x = (uint64_t)addr;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (pass & 1) ? ~x : x;
}

/* MemAvailable in KiB, or 0 if /proc/meminfo does not say. */
static unsigned long long mem_available_kib(void)
{
	char line[256];
	unsigned long long kib = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
		kib = 0;
	}
	fclose(f);
	return kib;
}

int main(int argc, char **argv)
{
	unsigned long long mib;
	uint64_t *buf;
	size_t words, i;
	unsigned int pass;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		usage();
	if (argc == 2) {
		char *end;

		errno = 0;
		mib = strtoull(argv[1], &end, 10);
		if (errno || end == argv[1] || *end || mib == 0 ||
		    mib > SIZE_MAX / MIB)
			usage();
	} else {
		unsigned long long kib = mem_available_kib();

		if (kib == 0) {
			fprintf(stderr, "memcheck: cannot read MemAvailable from /proc/meminfo\n");
			return 1;
		}
		mib = kib * 9 / 10 / 1024;
		if (mib == 0) {
			fprintf(stderr, "memcheck: less than 2 MiB available\n");
			return 1;
		}
	}

	buf = mmap(NULL, mib * MIB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		fprintf(stderr, "memcheck: cannot map %llu MiB: %s\n", mib,
			strerror(errno));
		return 1;
	}
	words = mib * MIB / sizeof(*buf);

	for (pass = 0; pass < PASSES; pass++) {
		for (i = 0; i < words; i++)
			buf[i] = pattern((uintptr_t)&buf[i], pass);
		/* The compiler must read back what memory holds, not what it
		 * remembers writing. */
		__asm__ volatile("" ::: "memory");
		for (i = 0; i < words; i++) {
			uint64_t want = pattern((uintptr_t)&buf[i], pass);

			if (buf[i] != want) {
				printf("memcheck: FAILED at offset 0x%zx: expected 0x%016" PRIx64
				       ", got 0x%016" PRIx64 "\n",
				       i * sizeof(*buf), want, buf[i]);
				return 1;
			}
		}
	}
	printf("memcheck: %llu MiB ok\n", mib);
	return 0;
}
