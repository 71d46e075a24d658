/* SPDX-License-Identifier: MIT */
/*
 * Rate limits for log lines a guest can cause at will: at most burst lines
 * in each interval, and the lines held back are counted so that the next
 * window's first line (or a summary) can say how many there were.
 */
#ifndef TDPVISOR_LIB_RATELIMIT_H
#define TDPVISOR_LIB_RATELIMIT_H

#include "types.h"
#include "lock.h"

struct ratelimit {
	spinlock_t lock;
	u64 interval_ns;
	u32 burst;
	u64 begin_ns;		/* the current window's start; 0: none yet */
	u32 printed, missed;	/* in the current window */
};

#define RATELIMIT_INIT(interval_ms, burst_) \
	{ .lock = SPINLOCK_INIT, .interval_ns = (u64)(interval_ms) * 1000000ULL, .burst = (burst_) }

/*
 * One more event at now_ns: true when its line may be printed.  *missed
 * receives the lines held back in the window that this event closed (0
 * while the window goes on): print their count before this line.
 */
bool ratelimit_ok(struct ratelimit *rl, u64 now_ns, u32 *missed);

#endif
