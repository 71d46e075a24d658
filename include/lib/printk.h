/* SPDX-License-Identifier: MIT */
/*
 * Kernel-style logging.  A message starts with an optional level marker
 * (KERN_ERR ...); lines at or below the console loglevel reach the consoles,
 * every line reaches the log ring buffer.  Lines are printed as
 * "[    1.234567] message" with the time since boot.
 *
 * Formats: %s %c %d %i %u %x %X %o %p %% with the l/ll/z/h length modifiers,
 * '-' '0' '+' ' ' '#' flags, field width and precision (also as '*').
 */
#ifndef TDPVISOR_PRINTK_H
#define TDPVISOR_PRINTK_H

#include <stdarg.h>
#include "types.h"
#include "compiler.h"

#define KERN_SOH "\001"
#define KERN_EMERG KERN_SOH "0"
#define KERN_ALERT KERN_SOH "1"
#define KERN_CRIT KERN_SOH "2"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE KERN_SOH "5"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"
#define LOGLEVEL_DEFAULT 6 /* messages without a level: KERN_INFO */

__printf(1, 2) int printk(const char *fmt, ...);
int vprintk(const char *fmt, va_list ap);

#define pr_emerg(fmt, ...) printk(KERN_EMERG fmt, ##__VA_ARGS__)
#define pr_alert(fmt, ...) printk(KERN_ALERT fmt, ##__VA_ARGS__)
#define pr_crit(fmt, ...) printk(KERN_CRIT fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...) printk(KERN_ERR fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...) printk(KERN_NOTICE fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) printk(KERN_DEBUG fmt, ##__VA_ARGS__)

/* lib/vsprintf.c: the formatter behind printk, usable on its own. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
__printf(3, 4) int snprintf(char *buf, size_t size, const char *fmt, ...);

/* Once per call site (a guest must not be able to flood the log with it). */
#define pr_warn_once(fmt, ...)					\
	do {							\
		static bool __warned;				\
		if (!__atomic_exchange_n(&__warned, true, __ATOMIC_RELAXED)) \
			pr_warn(fmt, ##__VA_ARGS__);		\
	} while (0)

/* For the tests: takes printk's lock and keeps it, as a CPU that died
 * while printing would (another CPU takes it over after 2 s). */
void printk_test_hold_lock(void);

#endif
