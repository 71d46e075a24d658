/* SPDX-License-Identifier: MIT */
/*
 * A 16550-compatible UART's registers, wherever they are (arch/uart.c):
 * in I/O space, or memory-mapped with registers 1 << shift bytes apart and
 * read and written width bytes at a time (Linux's earlycon spells these
 * "io", "mmio", "mmio16", "mmio32").  No console here and no firmware
 * call: the host tests drive a UART made of plain memory.
 */
#ifndef TDPVISOR_UART_H
#define TDPVISOR_UART_H

#include "types.h"

enum uart_space { UART_SPACE_IO, UART_SPACE_MMIO };

#define UART_MAX_SHIFT 3		/* registers at most 8 bytes apart */
#define UART_BASE_BAUD 115200		/* the PC's 1.8432 MHz clock / 16 */

struct uart_port {
	u8 space;		/* enum uart_space */
	u8 shift;		/* register r is at base + (r << shift) */
	u8 width;		/* MMIO access size in bytes: 1, 2 or 4 (I/O: 1) */
	u64 base;		/* I/O port or physical address */
	u32 baud;		/* 0: keep what the UART is set to */
	u32 base_baud;		/* input clock / 16; 0: UART_BASE_BAUD */
};

/* Register numbers (DLAB=0 unless said) and the bits used. */
#define UART_THR 0		/* transmit holding */
#define UART_RBR 0		/* receive buffer (read) */
#define UART_DLL 0		/* divisor low (DLAB=1) */
#define UART_IER 1
#define UART_DLH 1		/* divisor high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define  UART_LCR_8N1 0x03
#define  UART_LCR_DLAB BIT(7)
#define UART_MCR 4
#define  UART_MCR_DTR_RTS 0x03
#define UART_LSR 5
#define  UART_LSR_DR BIT(0)
#define  UART_LSR_THRE BIT(5)
#define  UART_LSR_TEMT BIT(6)
#define UART_SCR 7
#define UART_FCR_ENABLE_CLEAR 0x07

/*
 * Checks a port's description: the space, width (1/2/4 for MMIO, 1 for
 * I/O), shift, an I/O range inside 64 KiB, an MMIO base aligned to the
 * access width, and a baud the divisor can make from base_baud within 2%.  Returns
 * NULL when it is usable, else what is wrong (a constant string).
 */
const char *uart_port_check(const struct uart_port *p);
/* One register, through the port's space, shift and width. */
u8 uart_reg_read(const struct uart_port *p, unsigned int reg);
void uart_reg_write(const struct uart_port *p, unsigned int reg, u8 val);
/*
 * Programs baud (unless p->baud is 0: the firmware's setting is kept), 8N1,
 * FIFOs on and cleared, DTR/RTS, receive interrupts off.  The port must
 * have passed uart_port_check().
 */
void uart_setup(const struct uart_port *p);
/*
 * Writes len bytes as one unit ("\n" becomes "\r\n"): each byte waits for
 * the transmit register (bounded), a divisor latch the OS left open is
 * closed for the write and reopened after, and the FIFO is drained at the
 * end, so an OS driver that fills the FIFO without looking finds it empty.
 */
void uart_write_text(const struct uart_port *p, const char *s, size_t len);
/* Waits (bounded) until the shifter is empty. */
void uart_drain(const struct uart_port *p);
/* One byte out, raw (bounded wait for the transmit register). */
void uart_putc(const struct uart_port *p, u8 c);
/* The next received byte, or -1 when none is waiting. */
int uart_getc(const struct uart_port *p);
/* Whether a 16550 answers at p (its scratch register keeps a value). */
bool uart_present(const struct uart_port *p);

#endif
