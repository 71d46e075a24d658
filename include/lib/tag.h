/* SPDX-License-Identifier: MIT */
/*
 * Tags handed out in turn (SVM ASIDs, VMX VPIDs): 1..max, then 1 again.
 * Safe when VMs are made on several CPUs at once.
 */
#ifndef TDPVISOR_LIB_TAG_H
#define TDPVISOR_LIB_TAG_H

#include "types.h"

/* The next tag from *next (0 or past max: 1), and *next moves on. */
static inline u32 tag_alloc(u32 *next, u32 max)
{
	u32 cur = __atomic_load_n(next, __ATOMIC_RELAXED), id;

	do {
		id = cur && cur <= max ? cur : 1;
	} while (!__atomic_compare_exchange_n(next, &cur, id + 1, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return id;
}

#endif
