// SPDX-License-Identifier: MIT
/*
 * Structure offsets that assembly needs, generated at build time (never typed
 * by hand).  The Makefile compiles this file to assembly and turns each
 * "->NAME value" marker into a NASM "%define NAME value" line in
 * build/include/asm-offsets.inc.
 */
#include <stddef.h>
#include "arch/exception.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" ::"i"(val))
#define OFFSET(sym, type, member) DEFINE(sym, offsetof(type, member))

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(EXC_FRAME_SIZE, sizeof(struct exc_frame));
	OFFSET(EXC_FRAME_VECTOR, struct exc_frame, vector);
	OFFSET(EXC_FRAME_RIP, struct exc_frame, rip);
}
