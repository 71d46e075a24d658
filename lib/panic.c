// SPDX-License-Identifier: MIT
/*
 * panic(), BUG_ON() and WARN_ON() for the hypervisor: log the reason with
 * file:line, a symbolized backtrace and the guest this CPU was running,
 * seal the log for the next boot, then stop or reset (or let the platform
 * end the run with a failure status).
 */
#include <stdarg.h>
#include "bug.h"
#include "arch/cpu.h"
#include "arch/gdbstub.h"
#include "arch/x86.h"
#include "arch/reset.h"
#include "arch/serial.h"
#include "lib/console.h"
#include "lib/panic.h"
#include "lib/prevlog.h"
#include "lib/printk.h"

static void (*exit_hook)(int failed);
static void (*guest_dump)(void);
static bool reset_on_panic;
static unsigned int reset_timeout_s;

void panic_set_exit_hook(void (*hook)(int failed))
{
	exit_hook = hook;
}

void panic_set_guest_dump(void (*hook)(void))
{
	guest_dump = hook;
}

void panic_set_reset(bool reset, unsigned int timeout_s)
{
	reset_on_panic = reset;
	reset_timeout_s = timeout_s > PANIC_TIMEOUT_MAX ? PANIC_TIMEOUT_MAX : timeout_s;
}

/*
 * The guest's state, once: a fault inside the dump (its guest page walk
 * reads guest memory) panics again, and that panic goes on without it.
 */
static void dump_guest_once(void)
{
	static bool dumping;

	if (!guest_dump)
		return;
	if (__atomic_exchange_n(&dumping, true, __ATOMIC_ACQ_REL)) {
		pr_emerg("panic: the guest state dump faulted or runs on another CPU: skipped\n");
		return;
	}
	guest_dump();
}

/* Waits reset_timeout_s seconds, one line per second, on the TSC (the
 * firmware may be gone).  Without a calibrated TSC it cannot count: none. */
static void reset_countdown(void)
{
	unsigned int left = reset_timeout_s;
	u64 next;

	if (!left || !tsc_khz())
		return;
	next = ns_since_boot();
	for (; left; left--) {
		pr_emerg("panic: resetting in %u s\n", left);
		console_flush_all();
		next += 1000000000ULL;
		while (ns_since_boot() < next)
			cpu_relax();
	}
}

void halt_forever(void)
{
	for (;;) {
		irq_disable();
		halt();
	}
}

void panic(const char *fmt, ...)
{
	static bool in_panic;
	char msg[256];
	va_list ap;

	irq_disable();
	printk_enter_panic();
	serial_early_console();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_emerg("Kernel panic - not syncing: %s\n", msg);
	gdbstub_panic();	/* gdb=: the crash waits to be inspected */
	if (!__atomic_exchange_n(&in_panic, true, __ATOMIC_ACQ_REL)) {
		dump_guest_once();
		prevlog_seal();
		if (exit_hook)
			exit_hook(1);
	}
	pr_emerg("---[ end Kernel panic - not syncing: %s ]---\n", msg);
	if (reset_on_panic) {
		if (reset_timeout_s)
			pr_emerg("panic: resetting the machine in %u s (panic=reset,%u)\n",
				 reset_timeout_s, reset_timeout_s);
		else
			pr_emerg("panic: resetting the machine (panic=reset)\n");
		reset_countdown();
		pr_emerg("panic: resetting the machine now\n");
		prevlog_seal();
		console_flush_all();
		machine_reset();
	}
	pr_emerg("panic: the machine stays halted (panic=halt)\n");
	prevlog_seal();
	console_flush_all();
	halt_forever();
}

void __bug(const char *file, int line, const char *cond)
{
	printk_enter_panic();
	serial_early_console();
	pr_emerg("BUG: failure at %s:%d: %s\n", file, line, cond);
	dump_stack();
	panic("BUG at %s:%d", file, line);
}

void __warn(const char *file, int line, const char *cond)
{
	pr_warn("WARNING: at %s:%d: %s\n", file, line, cond);
	dump_stack();
}
