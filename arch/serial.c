// SPDX-License-Identifier: MIT
/*
 * 16550 UART output.  Every byte waits for the transmit-holding-register
 * empty bit (LSR bit 5) first: some emulated UARTs drop bytes written while
 * the FIFO is full.  The wait is bounded so a missing UART cannot hang the
 * hypervisor.
 */
#include "arch/serial.h"
#include "arch/x86.h"
#include "compiler.h"
#include "errcode.h"

#define UART_THR 0	/* transmit holding (DLAB=0, write) */
#define UART_RBR 0	/* receive buffer (DLAB=0, read) */
#define UART_DLL 0	/* divisor low (DLAB=1) */
#define UART_IER 1
#define UART_DLH 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_SCR 7	/* scratch */
#define UART_LSR 5
#define  UART_LSR_DR BIT(0)
#define  UART_LSR_THRE BIT(5)
#define  UART_LSR_TEMT BIT(6)
#define UART_LCR_DLAB BIT(7)
#define UART_LCR_8N1 0x03
#define UART_CLOCK 115200

const u16 uart_legacy_ports[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };

void uart_putc(const struct uart *u, char c)
{
	unsigned int spins = 0;

	while (!(inb(u->io + UART_LSR) & UART_LSR_THRE) && spins++ < 1000000)
		cpu_relax();
	outb(u->io + UART_THR, (u8)c);
}

static void uart_write(struct console *con, const char *s, size_t len)
{
	const struct uart *u = container_of(con, struct uart, con);

	while (len--) {
		if (*s == '\n')
			uart_putc(u, '\r');
		uart_putc(u, *s++);
	}
}

/* The FIFO drains at the line rate: wait (bounded) for the shifter to empty. */
static void uart_flush(struct console *con)
{
	const struct uart *u = container_of(con, struct uart, con);
	unsigned int spins = 0;

	while (!(inb(u->io + UART_LSR) & UART_LSR_TEMT) && spins++ < 10000000)
		cpu_relax();
}

bool uart_present(u16 io)
{
	outb(io + UART_SCR, 0x5a);
	if (inb(io + UART_SCR) != 0x5a)
		return false;
	outb(io + UART_SCR, 0xa5);
	return inb(io + UART_SCR) == 0xa5;
}

int uart_getc(const struct uart *u)
{
	if (!(inb(u->io + UART_LSR) & UART_LSR_DR))
		return -1;
	return inb(u->io + UART_RBR);
}

int uart_setup(struct uart *u, u16 io, u32 baud)
{
	u32 div;

	if (!baud || UART_CLOCK % baud)
		return -EINVAL;
	div = UART_CLOCK / baud;
	u->io = io;
	u->baud = baud;
	outb(io + UART_IER, 0);
	outb(io + UART_LCR, UART_LCR_DLAB);
	outb(io + UART_DLL, (u8)div);
	outb(io + UART_DLH, (u8)(div >> 8));
	outb(io + UART_LCR, UART_LCR_8N1);
	outb(io + UART_FCR, 0x07);	/* enable and clear FIFOs */
	outb(io + UART_MCR, 0x03);	/* DTR, RTS */
	return 0;
}

int uart_init(struct uart *u, u16 io, u32 baud)
{
	int err = uart_setup(u, io, baud);

	if (err)
		return err;
	u->con.name = "uart";
	u->con.write = uart_write;
	u->con.flush = uart_flush;
	u->con.enabled = true;
	console_register(&u->con);
	return 0;
}

void serial_early_console(void)
{
	static struct uart early;
	static u32 taken;
	static const char note[] = "hv.efi: no console was set up yet: COM1 at 115200, and "
				   "the log so far:\n";
	char buf[256];
	size_t off = 0, n;

	/* Once, even with two CPUs crashing at the same time. */
	if (console_registered() || __atomic_exchange_n(&taken, 1, __ATOMIC_ACQ_REL))
		return;
	if (uart_init(&early, uart_legacy_ports[0], 115200))
		return;
	early.con.write(&early.con, note, sizeof(note) - 1);
	while ((n = log_ring_read(off, buf, sizeof(buf))) > 0) {
		early.con.write(&early.con, buf, n);
		off += n;
	}
}
