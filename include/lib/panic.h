/* SPDX-License-Identifier: MIT */
/*
 * What happens after a panic.  The test runners ask for the emulator to be
 * ended with a failure status (see boot/ exit=), which panic() calls
 * through the exit hook.  Then the policy (panic=): the CPU halts with
 * interrupts off (halt, the default), or the machine is reset (reset: a
 * machine nobody watches comes back).  Either is said on the log first.
 */
#ifndef TDPVISOR_PANIC_H
#define TDPVISOR_PANIC_H

#include "compiler.h"
#include "types.h"

void panic_set_exit_hook(void (*hook)(int failed));
/* panic=reset: a panic resets the machine instead of halting it. */
void panic_set_reset(bool reset);
__noreturn void halt_forever(void);

#endif
