// SPDX-License-Identifier: MIT
/*
 * panic(), BUG_ON() and WARN_ON() for the hypervisor: log the reason with
 * file:line and a symbolized backtrace, then stop (or let the platform end
 * the run with a failure status).
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
#include "lib/printk.h"

static void (*exit_hook)(int failed);
static bool reset_on_panic;

void panic_set_exit_hook(void (*hook)(int failed))
{
	exit_hook = hook;
}

void panic_set_reset(bool reset)
{
	reset_on_panic = reset;
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
	if (!in_panic) {
		in_panic = true;
		if (exit_hook)
			exit_hook(1);
	}
	pr_emerg("---[ end Kernel panic - not syncing: %s ]---\n", msg);
	if (reset_on_panic) {
		pr_emerg("panic: resetting the machine (panic=reset)\n");
		console_flush_all();
		machine_reset();
	}
	pr_emerg("panic: the machine stays halted (panic=halt)\n");
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
