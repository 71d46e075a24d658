/* SPDX-License-Identifier: MIT */
/* 16550 UART console at any I/O port (arch/serial.c). */
#ifndef TDPVISOR_SERIAL_H
#define TDPVISOR_SERIAL_H

#include "types.h"
#include "lib/console.h"

struct uart {
	struct console con;
	u16 io;
	u32 baud;
};

/* The legacy COM1..COM4 ports, for console=ttyS0..3. */
extern const u16 uart_legacy_ports[4];

/*
 * Programs the UART for baud 8N1 with FIFOs and registers it as a console.
 * Returns 0, or -EINVAL for a baud rate the 115200 Hz divisor cannot make.
 */
int uart_init(struct uart *u, u16 io, u32 baud);
/* The same without the console: a UART for the gdb stub. */
int uart_setup(struct uart *u, u16 io, u32 baud);
void uart_putc(const struct uart *u, char c);
/* Whether a 16550 answers at io (its scratch register keeps a value). */
bool uart_present(u16 io);
/* The next received byte, or -1 when none is waiting. */
int uart_getc(const struct uart *u);
/*
 * For a crash before any console is set up: COM1 at 115200 becomes the
 * console, and what the log holds so far is written to it first.  Does
 * nothing once a console exists.
 */
void serial_early_console(void);

#endif
