/* SPDX-License-Identifier: MIT */
/*
 * Broken invariants of the hypervisor.  BUG_ON() is always compiled in; it
 * never returns.  WARN_ON() logs once per call with file:line and a backtrace
 * and returns the condition so callers can recover.
 *
 * These are for the hypervisor's own bugs only.  What a guest does wrong is
 * answered by injecting an exception or killing that VM, never by BUG_ON().
 * The hypervisor build implements __bug()/__warn() in lib/panic.c; the host
 * test build implements them in tests/host/ so a failure aborts the test.
 */
#ifndef TDPVISOR_BUG_H
#define TDPVISOR_BUG_H

#include "compiler.h"

__noreturn void __bug(const char *file, int line, const char *cond);
void __warn(const char *file, int line, const char *cond);
__noreturn __printf(1, 2) void panic(const char *fmt, ...);

#define BUG() __bug(__FILE__, __LINE__, "BUG()")
#define BUG_ON(cond)                                            \
	do {                                                    \
		if (unlikely(cond))                             \
			__bug(__FILE__, __LINE__, #cond);       \
	} while (0)

#define WARN_ON(cond)                                           \
	({                                                      \
		int __w = !!(cond);                             \
		if (unlikely(__w))                              \
			__warn(__FILE__, __LINE__, #cond);      \
		__w;                                            \
	})

#define WARN_ON_ONCE(cond)                                      \
	({                                                      \
		static bool __warned;                           \
		int __w = !!(cond);                             \
		if (unlikely(__w) && !__warned) {               \
			__warned = true;                        \
			__warn(__FILE__, __LINE__, #cond);      \
		}                                               \
		__w;                                            \
	})

#endif
