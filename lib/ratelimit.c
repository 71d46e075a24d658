// SPDX-License-Identifier: MIT
/* Rate limits for guest-caused log lines (include/lib/ratelimit.h). */
#include "lib/ratelimit.h"

bool ratelimit_ok(struct ratelimit *rl, u64 now_ns, u32 *missed)
{
	bool ok;

	spin_lock(&rl->lock);
	*missed = 0;
	if (!rl->begin_ns || now_ns - rl->begin_ns >= rl->interval_ns) {
		*missed = rl->missed;
		rl->begin_ns = now_ns ? now_ns : 1;
		rl->printed = 0;
		rl->missed = 0;
	}
	ok = rl->printed < rl->burst;
	if (ok)
		rl->printed++;
	else
		rl->missed++;
	spin_unlock(&rl->lock);
	return ok;
}
