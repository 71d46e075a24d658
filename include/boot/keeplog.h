/* SPDX-License-Identifier: MIT */
/*
 * Where the log kept across a warm reset lives (boot/keeplog.c; the
 * format is lib/prevlog.c's).  A fixed list of physical addresses, the
 * same in every build: the first one free in the firmware's memory map
 * holds this boot's log; the next boot reads every one of them that is
 * RAM, and shows the valid log with the highest boot counter.
 */
#ifndef TDPVISOR_BOOT_KEEPLOG_H
#define TDPVISOR_BOOT_KEEPLOG_H

#include "types.h"

/*
 * Reads the previous boot's log (kept for keeplog_report()), then reserves
 * a region for this boot's and starts it with what printk logged so far.
 * Call before anything else allocates memory, while boot services run.
 */
void keeplog_setup(void);
/* Logs where this boot's log is kept, then the previous boot's last lines
 * (or why there are none). */
void keeplog_report(void);
/* Where this boot's log is kept (PREVLOG_REGION_SIZE bytes), or 0. */
u64 keeplog_region(void);
/* hv.efi returns without staying resident: the region is given back. */
void keeplog_release(void);

#endif
