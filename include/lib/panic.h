/* SPDX-License-Identifier: MIT */
/*
 * What happens after a panic.  The report: the reason, then the state of
 * the guest this CPU was running (the guest-dump hook; skipped when no
 * guest ran here or when the dump itself faults), then the log is sealed
 * for the next boot (lib/prevlog.c).  The test runners ask for the
 * emulator to be ended with a failure status (see boot/ exit=), which
 * panic() calls through the exit hook.  Then the policy (panic=): the CPU
 * halts with interrupts off (halt, the default), or the machine is reset
 * (reset: a machine nobody watches comes back), after a countdown of
 * panic_timeout seconds when one is set.  Either is said on the log first.
 */
#ifndef TDPVISOR_PANIC_H
#define TDPVISOR_PANIC_H

#include "compiler.h"
#include "types.h"

/* panic=reset[,S] waits at most this long before the reset. */
#define PANIC_TIMEOUT_MAX 3600U

void panic_set_exit_hook(void (*hook)(int failed));
/*
 * The guest state in the report: hook logs the vCPU this CPU was running
 * (it returns without a word when there is none).  Called at most once
 * per panic; a panic while it runs skips it.
 */
void panic_set_guest_dump(void (*hook)(void));
/* panic=reset: a panic resets the machine instead of halting it, after
 * timeout_s seconds (0: at once) with a countdown on the log. */
void panic_set_reset(bool reset, unsigned int timeout_s);
__noreturn void halt_forever(void);

#endif
