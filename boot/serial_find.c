// SPDX-License-Identifier: MIT
/* Serial ports from the SPCR table and from PCI BARs (include/boot/serial_find.h). */
#include "boot/serial_find.h"
#include "errcode.h"
#include "lib/string.h"

static u32 get32(const u8 *t, u32 off)
{
	u32 v;

	memcpy(&v, t + off, 4);
	return v;
}

/* SPCR's baud code, or 0 for "as is" (and codes the table does not define). */
static u32 spcr_baud(u8 code)
{
	switch (code) {
	case 3: return 9600;
	case 4: return 19200;
	case 6: return 57600;
	case 7: return 115200;
	default: return 0;
	}
}

int spcr_parse(const u8 *t, u32 len, struct uart_port *p, const char **why)
{
	const u8 *gas = t + SPCR_BASE;
	u8 type = t[SPCR_INTERFACE], size = gas[GAS_ACCESS_SIZE];
	u64 addr;

	memset(p, 0, sizeof(*p));
	if (len < SPCR_LEN_V2 || memcmp(t, SPCR_SIG, 4)) {
		*why = "table shorter than revision 2's 80 bytes";
		return -EINVAL;
	}
	if (type != SPCR_IF_16550 && type != SPCR_IF_16450 && type != SPCR_IF_16550_GAS) {
		*why = "the port is not 16550-compatible (interface type in the table)";
		return -ENODEV;
	}
	memcpy(&addr, gas + GAS_ADDRESS, 8);
	if (!addr) {
		*why = "the table gives no address (the port is disabled)";
		return -ENODEV;
	}
	p->base = addr;
	p->width = 1;
	if (gas[GAS_SPACE] == GAS_SPACE_IO) {
		p->space = UART_SPACE_IO;
	} else if (gas[GAS_SPACE] == GAS_SPACE_MEMORY) {
		/* As Linux: 16-bit access is mmio16, 32-bit mmio32 (stride = width). */
		p->space = UART_SPACE_MMIO;
		p->width = size == 3 ? 4 : size == 2 ? 2 : 1;
		p->shift = size == 3 ? 2 : size == 2 ? 1 : 0;
	} else {
		*why = "the address is neither in memory nor in I/O space";
		return -EINVAL;
	}
	p->baud = spcr_baud(t[SPCR_BAUD]);
	if (t[SPCR_REVISION] >= 3 && get32(t, SPCR_CLOCK))
		p->base_baud = get32(t, SPCR_CLOCK) / 16;
	if (t[SPCR_REVISION] >= 4 && len >= SPCR_PRECISE_BAUD + 4 && get32(t, SPCR_PRECISE_BAUD))
		p->baud = get32(t, SPCR_PRECISE_BAUD);
	*why = uart_port_check(p);
	return *why ? -EINVAL : 0;
}

int pci_bar_uart_port(u32 bar, u32 bar_hi, struct uart_port *p, const char **why)
{
	memset(p, 0, sizeof(*p));
	p->width = 1;
	if (bar & PCI_BAR_IO) {
		p->space = UART_SPACE_IO;
		p->base = bar & ~3U;
	} else {
		p->space = UART_SPACE_MMIO;
		p->base = bar & ~0xfU;
		if ((bar & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_64)
			p->base |= (u64)bar_hi << 32;
	}
	if (!p->base) {
		*why = "BAR 0 is not assigned";
		return -ENODEV;
	}
	*why = NULL;
	return 0;
}
