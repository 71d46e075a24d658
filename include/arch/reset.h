/* SPDX-License-Identifier: MIT */
/* Resetting the machine (arch/reset.c). */
#ifndef TDPVISOR_ARCH_RESET_H
#define TDPVISOR_ARCH_RESET_H

#include "compiler.h"

/* Resets the machine: 0xcf9, then the keyboard controller, then a triple
 * fault.  Does not return. */
__noreturn void machine_reset(void);

#endif
