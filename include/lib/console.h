/* SPDX-License-Identifier: MIT */
/*
 * Console backends that printk writes finished lines to.  A backend is
 * registered once and can be disabled; one can also close itself (the UEFI
 * text console at ExitBootServices: struct console's closed()).
 */
#ifndef TDPVISOR_CONSOLE_H
#define TDPVISOR_CONSOLE_H

#include "types.h"

struct console {
	const char *name;
	void (*write)(struct console *con, const char *s, size_t len);
	/* Waits until everything written has left the device (may be NULL). */
	void (*flush)(struct console *con);
	/*
	 * NULL while the backend can be written; once it cannot (the firmware
	 * console after ExitBootServices), why.  printk asks before each
	 * message and then disables the console with a note on the others.
	 * May be NULL.
	 */
	const char *(*closed)(struct console *con);
	/* Sets the device up again after S3 cut its power (may be NULL). */
	void (*resume)(struct console *con);
	/* Prints the backend's own statistics (may be NULL). */
	void (*report)(struct console *con);
	bool enabled;
	bool boot_cpu_only;	/* calls the firmware: no other CPU may write to it */
	struct console *next;
};

void console_register(struct console *con);
/* True while some console is enabled and not closed (printk has somewhere
 * to write: else a crash brings up COM1, arch/serial.c). */
bool console_registered(void);
/* Drains every enabled console, e.g. before the machine is switched off. */
void console_flush_all(void);
/* Each enabled console's resume(), after S3 (vm/platform_sleep.c). */
void console_resume(void);
/* Each console's report(), e.g. with the statistics at power-off. */
void console_report_all(void);
/* Disables every console named name (e.g. "efi"); returns how many. */
unsigned int console_disable(const char *name);
/* Console loglevel: messages with a level below it are shown (kernel rule). */
void console_set_loglevel(int level);
int console_get_loglevel(void);
/* Time source for the "[    1.234567]" prefix; NULL prints zeros. */
void printk_set_clock(u64 (*ns_since_boot)(void));

#define LOG_RING_SIZE (64 * 1024)
/*
 * Copies up to len bytes of the log ring, oldest first, starting at byte
 * offset off of what the ring currently holds.  Returns the bytes copied.
 */
size_t log_ring_read(size_t off, char *buf, size_t len);
/* Bytes the ring currently holds (at most LOG_RING_SIZE). */
size_t log_ring_used(void);

/*
 * Panic mode: printk stops taking its lock (the CPU that panics may hold it)
 * and writes straight through.
 */
void printk_enter_panic(void);

#endif
