// SPDX-License-Identifier: MIT
/*
 * 16550 UART consoles (include/arch/serial.h): the registers are
 * arch/uart.c's; this file makes printk consoles of them.  printk hands
 * each console one whole line under its lock, and uart_write_text() drains
 * the FIFO after it, which is what lets the OS drive the same UART
 * (docs/boot.md, "Sharing a UART with the OS").
 */
#include "arch/serial.h"
#include "compiler.h"
#include "errcode.h"
#include "lib/printk.h"

#define MAX_MMIO_UARTS 4

const u16 uart_legacy_ports[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };

static u64 mmio_pages[MAX_MMIO_UARTS];
static unsigned int nmmio_pages;

static void uart_con_write(struct console *con, const char *s, size_t len)
{
	const struct uart *u = container_of(con, struct uart, con);

	uart_write_text(&u->port, s, len);
}

static void uart_con_flush(struct console *con)
{
	uart_drain(&container_of(con, struct uart, con)->port);
}

static void uart_con_resume(struct console *con)
{
	uart_setup(&container_of(con, struct uart, con)->port);
}

void uart_port_name(const struct uart_port *p, char *buf, size_t size)
{
	const char *space = p->space == UART_SPACE_IO ? "io" : p->width == 4 ? "mmio32" :
			    p->width == 2 ? "mmio16" : "mmio";

	if (p->space == UART_SPACE_IO)
		snprintf(buf, size, "uart %s 0x%llx", space, (unsigned long long)p->base);
	else
		snprintf(buf, size, "uart %s 0x%llx shift %u", space,
			 (unsigned long long)p->base, p->shift);
}

int uart_init(struct uart *u, const struct uart_port *port, const char **why)
{
	const char *bad = uart_port_check(port);

	if (bad) {
		if (why)
			*why = bad;
		return -EINVAL;
	}
	u->port = *port;
	uart_setup(&u->port);
	uart_port_name(&u->port, u->name, sizeof(u->name));
	u->con.name = u->name;
	u->con.write = uart_con_write;
	u->con.flush = uart_con_flush;
	u->con.resume = uart_con_resume;
	u->con.enabled = true;
	if (port->space == UART_SPACE_MMIO && nmmio_pages < MAX_MMIO_UARTS)
		mmio_pages[nmmio_pages++] = port->base & PAGE_MASK;
	console_register(&u->con);
	return 0;
}

unsigned int uart_mmio_pages(u64 *pages, unsigned int max)
{
	unsigned int i;

	for (i = 0; i < nmmio_pages && i < max; i++)
		pages[i] = mmio_pages[i];
	return i;
}

void serial_early_console(void)
{
	static struct uart early;
	static u32 taken;
	static const char note[] = "hv.efi: no console was set up yet: COM1 at 115200, and "
				   "the log so far:\n";
	const struct uart_port com1 = { .space = UART_SPACE_IO, .width = 1,
					.base = 0x3f8, .baud = 115200 };
	char buf[256];
	size_t off = 0, n;

	/* Once, even with two CPUs crashing at the same time. */
	if (console_registered() || __atomic_exchange_n(&taken, 1, __ATOMIC_ACQ_REL))
		return;
	if (uart_init(&early, &com1, NULL))
		return;
	early.con.write(&early.con, note, sizeof(note) - 1);
	while ((n = log_ring_read(off, buf, sizeof(buf))) > 0) {
		early.con.write(&early.con, buf, n);
		off += n;
	}
}
