/* SPDX-License-Identifier: MIT */
/*
 * The log kept across a warm reset (lib/prevlog.c; docs/boot.md, "The
 * previous boot's log").  hv.efi reserves a fixed-size region at a fixed
 * physical address (boot/efi_main.c) and printk mirrors every byte it
 * logs into it.  The next hv.efi finds the region at the same address,
 * checks it and prints its last lines as "previous boot".
 *
 * The region: a header, then a ring of text.
 *   magic, version, data_size, boot  set once; hdr_sum covers them
 *   head                             bytes ever written; stored after
 *                                    the bytes (a reset between the two
 *                                    loses that line, nothing else)
 *   sealed_head, sealed_sum, seal_sum   panic() and a reset "seal" the
 *                                    ring: a checksum of its text as of
 *                                    head, itself checksummed
 * Whatever the region holds when the next boot reads it is input: a
 * ring is shown only when its header checks out and either its seal
 * matches its text, or -- not sealed (a hang, a power cut) -- every byte
 * of it is printable text.
 */
#ifndef TDPVISOR_PREVLOG_H
#define TDPVISOR_PREVLOG_H

#include "types.h"

#define PREVLOG_MAGIC 0x31474f4c56504454ULL	/* "TDPVLOG1" */
#define PREVLOG_VERSION 1U
#define PREVLOG_REGION_SIZE (64U * 1024)	/* header included */

struct prevlog_hdr {
	u64 magic;
	u32 version;
	u32 data_size;		/* the ring's bytes, after the header */
	u64 boot;		/* 1 for the first boot that kept a log here, then +1 */
	u64 hdr_sum;		/* of magic, version, data_size, boot */
	u64 head;		/* bytes ever written to the ring */
	u64 sealed_head;	/* head when last sealed */
	u64 sealed_sum;		/* checksum of the ring's text at sealed_head */
	u64 seal_sum;		/* of sealed_head and sealed_sum: a torn seal is none */
};
#define PREVLOG_HDR_SIZE 64U
_Static_assert(sizeof(struct prevlog_hdr) <= PREVLOG_HDR_SIZE, "prevlog header too big");

/* What prevlog_check() found in a region. */
struct prevlog_view {
	const char *ring;	/* the ring's bytes */
	u32 data_size;
	u64 head;
	u64 boot;
	u64 used;		/* bytes of text it holds: min(head, data_size) */
	bool sealed;		/* its seal matches its text */
};

/*
 * Checks the size bytes at region as a previous boot's log.  0 and *v
 * filled when it may be shown; -EINVAL (bad header, torn or stale seal,
 * non-text bytes) or -ENOENT (no log there, or an empty one) with the
 * reason in why.
 */
int prevlog_check(const void *region, size_t size, struct prevlog_view *v, char *why,
		  size_t why_size);
/*
 * Copies the last max_lines lines of v's text (a line the ring wrapped
 * into is dropped) into out, NUL-terminated.  Returns the number of lines.
 */
unsigned int prevlog_tail(const struct prevlog_view *v, unsigned int max_lines, char *out,
			  size_t out_size);

/* The same on any region (the tests' own): an empty ring with counter
 * boot; len bytes appended; the text as it is now sealed. */
void prevlog_init(void *region, size_t size, u64 boot);
void prevlog_write(void *region, const char *s, size_t len);
void prevlog_seal_region(void *region);

/*
 * Starts this boot's log in the size bytes at region (boot: its counter):
 * an empty ring; from now on every byte printk logs is appended (the
 * caller appends what printk's ring held before).
 */
void prevlog_start(void *region, size_t size, u64 boot);
/* Appends len bytes (printk's ring_append()); nothing before prevlog_start(). */
void prevlog_append(const char *s, size_t len);
/* Seals the log as it is now (panic, a reset, a power-off): cheap enough
 * to call more than once. */
void prevlog_seal(void);
/* No more appends: the region is given back (it stays as it is). */
void prevlog_stop(void);
/* The running log's region and counter (0 / NULL before prevlog_start()). */
void *prevlog_region(void);
u64 prevlog_boot(void);

#endif
