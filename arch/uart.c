// SPDX-License-Identifier: MIT
/*
 * 16550 register access in I/O or memory space (include/arch/uart.h).
 * Every byte waits for the transmit-holding-register empty bit (LSR bit 5)
 * first: some emulated UARTs drop bytes written while the FIFO is full.
 * Every wait is bounded, so a missing UART cannot hang the hypervisor (an
 * absent I/O port reads 0xff: every bit "ready").
 */
#include "arch/uart.h"
#include "arch/x86.h"
#include "compiler.h"

#define THRE_SPINS 1000000U
#define TEMT_SPINS 10000000U

/* The divisor nearest base_baud / baud, or 0 when it is out of range or
 * misses baud by more than 2% (the usual tolerance of a serial link). */
static u32 uart_divisor(u32 base_baud, u32 baud)
{
	u64 div = ((u64)base_baud + baud / 2) / baud, real;

	if (!div || div > 0xffff)
		return 0;
	real = base_baud / div;
	if ((real > baud ? real - baud : baud - real) * 50 > baud)
		return 0;
	return (u32)div;
}

const char *uart_port_check(const struct uart_port *p)
{
	u32 bb = p->base_baud ? p->base_baud : UART_BASE_BAUD;
	u64 span = (u64)8 << p->shift;

	if (p->shift > UART_MAX_SHIFT)
		return "register shift above 3";
	if (p->space == UART_SPACE_IO) {
		if (p->width != 1)
			return "I/O ports are read a byte at a time";
		if (!p->base || p->base + span > 0x10000)
			return "I/O port outside 0x1..0xffff";
	} else if (p->space == UART_SPACE_MMIO) {
		if (p->width != 1 && p->width != 2 && p->width != 4)
			return "MMIO access width other than 1, 2 or 4 bytes";
		if (p->width > (1U << p->shift))
			return "access width wider than the register stride";
		if (!p->base || !IS_ALIGNED(p->base, p->width))
			return "MMIO address zero or not aligned to the access width";
		if (p->base > (1ULL << 52) - span)
			return "MMIO address beyond 52 bits";
	} else {
		return "unknown address space";
	}
	if (p->baud && !uart_divisor(bb, p->baud))
		return "baud rate the divisor cannot make (within 2%)";
	return NULL;
}

u8 uart_reg_read(const struct uart_port *p, unsigned int reg)
{
	u64 a = p->base + ((u64)reg << p->shift);

	if (p->space == UART_SPACE_IO)
		return inb((u16)a);
	if (p->width == 4)
		return (u8)READ_ONCE(*(u32 *)(uintptr_t)a);
	if (p->width == 2)
		return (u8)READ_ONCE(*(u16 *)(uintptr_t)a);
	return READ_ONCE(*(u8 *)(uintptr_t)a);
}

void uart_reg_write(const struct uart_port *p, unsigned int reg, u8 val)
{
	u64 a = p->base + ((u64)reg << p->shift);

	if (p->space == UART_SPACE_IO)
		outb((u16)a, val);
	else if (p->width == 4)
		WRITE_ONCE(*(u32 *)(uintptr_t)a, val);
	else if (p->width == 2)
		WRITE_ONCE(*(u16 *)(uintptr_t)a, val);
	else
		WRITE_ONCE(*(u8 *)(uintptr_t)a, val);
}

void uart_setup(const struct uart_port *p)
{
	u32 bb = p->base_baud ? p->base_baud : UART_BASE_BAUD;
	u8 lcr = UART_LCR_8N1;

	uart_reg_write(p, UART_IER, 0);
	if (p->baud) {
		u32 div = uart_divisor(bb, p->baud);

		uart_reg_write(p, UART_LCR, UART_LCR_DLAB);
		uart_reg_write(p, UART_DLL, (u8)div);
		uart_reg_write(p, UART_DLH, (u8)(div >> 8));
	} else {
		/* Keep the word format the firmware chose, closing the latch. */
		lcr = uart_reg_read(p, UART_LCR) & ~UART_LCR_DLAB;
	}
	uart_reg_write(p, UART_LCR, lcr);
	uart_reg_write(p, UART_FCR, UART_FCR_ENABLE_CLEAR);
	uart_reg_write(p, UART_MCR, UART_MCR_DTR_RTS);
}

static void put_byte(const struct uart_port *p, u8 c)
{
	unsigned int spins = 0;

	while (!(uart_reg_read(p, UART_LSR) & UART_LSR_THRE) && spins++ < THRE_SPINS)
		cpu_relax();
	uart_reg_write(p, UART_THR, c);
}

void uart_drain(const struct uart_port *p)
{
	unsigned int spins = 0;

	while (!(uart_reg_read(p, UART_LSR) & UART_LSR_TEMT) && spins++ < TEMT_SPINS)
		cpu_relax();
}

void uart_write_text(const struct uart_port *p, const char *s, size_t len)
{
	u8 lcr = uart_reg_read(p, UART_LCR);

	if (lcr & UART_LCR_DLAB)	/* the OS is between two divisor writes */
		uart_reg_write(p, UART_LCR, lcr & ~UART_LCR_DLAB);
	while (len--) {
		if (*s == '\n')
			put_byte(p, '\r');
		put_byte(p, (u8)*s++);
	}
	uart_drain(p);
	if (lcr & UART_LCR_DLAB)
		uart_reg_write(p, UART_LCR, lcr);
}

void uart_putc(const struct uart_port *p, u8 c)
{
	put_byte(p, c);
}

int uart_getc(const struct uart_port *p)
{
	if (!(uart_reg_read(p, UART_LSR) & UART_LSR_DR))
		return -1;
	return uart_reg_read(p, UART_RBR);
}

bool uart_present(const struct uart_port *p)
{
	uart_reg_write(p, UART_SCR, 0x5a);
	if (uart_reg_read(p, UART_SCR) != 0x5a)
		return false;
	uart_reg_write(p, UART_SCR, 0xa5);
	return uart_reg_read(p, UART_SCR) == 0xa5;
}
