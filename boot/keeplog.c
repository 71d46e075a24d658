// SPDX-License-Identifier: MIT
/*
 * The log kept across a warm reset: finding the previous one, reserving
 * this boot's (contract in include/boot/keeplog.h).
 */
#include "boot/keeplog.h"
#include "boot/efi.h"
#include "lib/console.h"
#include "lib/prevlog.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "errcode.h"

/*
 * Low: in RAM on every PC, below where OVMF unpacks its DXE volume each
 * boot (9-22 MiB) and where loaders put kernels (16 MiB), far from where
 * firmware allocates first (top-down from the top of low memory), and
 * where 64 KiB taken out does not split the big free range the pool
 * (hvmem=, up to half the RAM) needs.  Never change an entry in place: a
 * new address goes at the end, so the next hv.efi still finds the log an
 * older one kept.
 */
static const u64 keeplog_addrs[] = { 0x00600000, 0x00400000, 0x00200000 };

#define PREV_MAX_LINES 60

static char prev_tail[8192];
static unsigned int prev_lines;
static struct prevlog_view prev;
static u64 prev_at;
static char prev_why[128];
static u64 kept_at;

/* The valid log with the highest counter among the addresses, if any. */
static void find_previous(void)
{
	struct prevlog_view v;
	char why[128];
	unsigned int i;

	strscpy(prev_why, "no log at any of the addresses", sizeof(prev_why));
	for (i = 0; i < ARRAY_SIZE(keeplog_addrs); i++) {
		u64 at = keeplog_addrs[i];

		if (!efi_range_is_ram(at, PREVLOG_REGION_SIZE))
			continue;
		if (prevlog_check((const void *)(uintptr_t)at, PREVLOG_REGION_SIZE, &v, why,
				  sizeof(why))) {
			if (!prev_at && strncmp(why, "no log there", 12))
				snprintf(prev_why, sizeof(prev_why), "at 0x%llx: %s",
					 (unsigned long long)at, why);
			continue;
		}
		if (!prev_at || v.boot > prev.boot) {
			prev = v;
			prev_at = at;
		}
	}
	if (prev_at)	/* copied now: this boot's log may take its place */
		prev_lines = prevlog_tail(&prev, PREV_MAX_LINES, prev_tail, sizeof(prev_tail));
}

void keeplog_setup(void)
{
	char buf[256];
	size_t off = 0, n;
	unsigned int i;

	find_previous();
	for (i = 0; i < ARRAY_SIZE(keeplog_addrs) && !kept_at; i++)
		if (!efi_reserve_at(keeplog_addrs[i], PREVLOG_REGION_SIZE))
			kept_at = keeplog_addrs[i];
	if (!kept_at)
		return;
	prevlog_start((void *)(uintptr_t)kept_at, PREVLOG_REGION_SIZE,
		      prev_at ? prev.boot + 1 : 1);
	/* What printk logged before (it appends the rest itself). */
	while ((n = log_ring_read(off, buf, sizeof(buf))) > 0) {
		prevlog_append(buf, n);
		off += n;
	}
}

void keeplog_report(void)
{
	const char *line = prev_tail, *nl;

	if (kept_at)
		pr_info("prevlog: this boot's log (boot %llu) is kept at [0x%llx-0x%llx] "
			"(EfiReservedMemoryType) for the next boot\n",
			(unsigned long long)prevlog_boot(), (unsigned long long)kept_at,
			(unsigned long long)(kept_at + PREVLOG_REGION_SIZE - 1));
	else
		pr_warn("prevlog: none of the log addresses is free: this boot's log is not kept\n");
	if (!prev_at) {
		pr_info("prevlog: no previous boot's log (%s)\n", prev_why);
		return;
	}
	pr_info("prevlog: previous boot (boot %llu, at 0x%llx, %s): its last %u lines:\n",
		(unsigned long long)prev.boot, (unsigned long long)prev_at,
		prev.sealed ? "sealed" : "not sealed: it did not end through a panic or reset "
		"the hypervisor saw", prev_lines);
	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl) {
			pr_info("previous boot: %s\n", line);
			break;
		}
		pr_info("previous boot: %.*s\n", (int)(nl - line), line);
	}
	pr_info("prevlog: end of the previous boot's log\n");
}

u64 keeplog_region(void)
{
	return kept_at;
}

void keeplog_release(void)
{
	if (!kept_at)
		return;
	prevlog_stop();
	efi_release_memory(kept_at, PREVLOG_REGION_SIZE);
	kept_at = 0;
}
