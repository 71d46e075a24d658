/* SPDX-License-Identifier: MIT */
/* 16550 UART consoles in I/O or memory space (arch/serial.c). */
#ifndef TDPVISOR_SERIAL_H
#define TDPVISOR_SERIAL_H

#include "types.h"
#include "arch/uart.h"
#include "lib/console.h"

struct uart {
	struct console con;
	struct uart_port port;
	char name[48];		/* uart_port_name() */
};

/* The legacy COM1..COM4 ports, for console=ttyS0..3. */
extern const u16 uart_legacy_ports[4];

/*
 * Sets the UART up (uart_setup()) and registers it as a console.  Returns
 * 0, or -EINVAL with *why saying what is wrong with the port (nothing is
 * touched then).
 */
int uart_init(struct uart *u, const struct uart_port *port, const char **why);
/* Names a port ("uart io 0x3f8", "uart mmio32 0xfe032000 shift 2"). */
void uart_port_name(const struct uart_port *p, char *buf, size_t size);
/*
 * The physical page of every memory-mapped UART console, for the host's
 * page tables (they must reach it, uncached, after the OS runs).  Returns
 * how many were written to pages (at most max).
 */
unsigned int uart_mmio_pages(u64 *pages, unsigned int max);
/*
 * For a crash before any console is set up: COM1 at 115200 becomes the
 * console, and what the log holds so far is written to it first.  Does
 * nothing once a console exists.
 */
void serial_early_console(void);

#endif
