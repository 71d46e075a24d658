/* SPDX-License-Identifier: MIT */
/*
 * What happens after a panic.  By default the CPU halts with interrupts off;
 * the test runners instead ask for the emulator to be ended with a failure
 * status (see boot/ exit=), which panic() calls through this hook.
 */
#ifndef TDPVISOR_PANIC_H
#define TDPVISOR_PANIC_H

#include "compiler.h"

void panic_set_exit_hook(void (*hook)(int failed));
__noreturn void halt_forever(void);

#endif
