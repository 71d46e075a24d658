/* SPDX-License-Identifier: MIT */
/*
 * The gdb stub on this machine (arch/gdbstub_x86.c; the protocol is
 * lib/gdbstub.c).  gdb=ttyS1 (or uart,io,PORT[,baud]) gives it a 16550 of
 * its own; gdbwait stops the boot CPU there until gdb attaches.  A CPU
 * stops in the stub on an INT3 or a single step of gdb's, on an unhandled
 * host exception, on panic(), and when gdb sends Ctrl-C (polled after VM
 * exits).  One CPU at a time: a second CPU that traps waits until the
 * first one is resumed; the others go on (docs/debugging.md).
 */
#ifndef TDPVISOR_ARCH_GDBSTUB_H
#define TDPVISOR_ARCH_GDBSTUB_H

#include "types.h"

struct exc_frame;

/* Sets the stub up on the 16550 at io.  0, -ENODEV when no UART answers
 * there, or -EINVAL for the baud rate. */
int gdbstub_setup(u16 io, u32 baud);
bool gdbstub_enabled(void);
/* gdbwait: says so on the log, then stops until gdb resumes this CPU. */
void gdbstub_wait(void);
/* From exception_handler() for #DB and #BP: true when the trap was the
 * stub's (gdb's breakpoint, single step, gdb_breakpoint()) and f may be
 * resumed. */
bool gdbstub_trap(struct exc_frame *f);
/* From exception_handler() for an exception nothing handles: gdb inspects
 * it.  True when gdb resumed the CPU (f may have been changed), false when
 * there is no stub or gdb let go: the caller panics. */
bool gdbstub_fatal(struct exc_frame *f);
/* From panic(), after printk_enter_panic(): stops for gdb unless the
 * crash was shown to it already. */
void gdbstub_panic(void);
/* After VM exits: at most every GDB_POLL_MS, takes a Ctrl-C (or a new
 * gdb's first packet) from the line and stops this CPU for it.  With a
 * stub, hv.efi asks for a hypervisor tick of GDB_TICK_MS (docs/tick.md),
 * so that a guest that does not exit by itself still lets it poll. */
void gdbstub_poll(void);
#define GDB_POLL_MS 10
#define GDB_TICK_MS 100

/* arch/entry.asm: an INT3 in a frame of its own; signo goes in RDI. */
void gdb_breakpoint(int signo);

#endif
