// SPDX-License-Identifier: MIT
/*
 * Unit tests of the serial-port finders (boot/serial_find.c): the SPCR
 * table, laid out byte by byte as the Serial Port Console Redirection
 * specification gives it, and PCI BAR decoding.
 */
#include "boot/serial_find.h"
#include "lib/ktest.h"
#include "lib/string.h"
#include "errcode.h"

/* An SPCR revision 2 table: a 32-bit MMIO 16550 at 0xfedc9000, 115200 baud. */
static const u8 spcr_rev2[80] = {
	/* 0: header: signature, length 80, revision 2, checksum (fixed below) */
	'S', 'P', 'C', 'R', 80, 0, 0, 0, 2, 0,
	/* 10: OEM ID (6), OEM table ID (8) */
	'T', 'D', 'P', 'V', 'S', 'R', 'T', 'E', 'S', 'T', 'S', 'P', 'C', 'R',
	/* 24: OEM revision, creator ID, creator revision */
	1, 0, 0, 0, 'T', 'D', 'P', 'V', 1, 0, 0, 0,
	/* 36: interface type 0 (16550), 3 reserved */
	0x00, 0, 0, 0,
	/* 40: base address (GAS): memory, 32 bits wide, offset 0, dword access, address */
	0, 32, 0, 3, 0x00, 0x90, 0xdc, 0xfe, 0, 0, 0, 0,
	/* 52: interrupt type (I/O APIC), IRQ, global system interrupt 4 */
	0x02, 0, 4, 0, 0, 0,
	/* 58: baud 7 (115200), parity 0, stop bits 1, flow control 0, terminal 0, language */
	7, 0, 1, 0, 0, 0,
	/* 64: PCI device ID, vendor ID (0xffff: not PCI), bus, device, function */
	0xff, 0xff, 0xff, 0xff, 0, 0, 0,
	/* 71: PCI flags (4), PCI segment */
	0, 0, 0, 0, 0,
	/* 76: reserved in revision 2 (revision 3: UART clock) */
	0, 0, 0, 0,
};

/* A copy of the revision-2 table to edit; the checksum is made right. */
static void spcr_copy(u8 *t, u32 len)
{
	u8 sum = 0;
	u32 i;

	memset(t, 0, len);
	memcpy(t, spcr_rev2, sizeof(spcr_rev2));
	t[4] = (u8)len;
	t[9] = 0;
	for (i = 0; i < len; i++)
		sum += t[i];
	t[9] = (u8)-sum;
}

static void put32(u8 *t, u32 off, u32 v)
{
	memcpy(t + off, &v, 4);
}

KTEST(spcr_revision_2_gives_a_32_bit_mmio_16550_as_linux_reads_it)
{
	struct uart_port p;
	const char *why = "unset";
	u8 tab[80];

	spcr_copy(tab, sizeof(tab));
	KT_ASSERT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), 0);
	KT_EXPECT(t, why == NULL);
	KT_EXPECT_EQ(t, p.space, UART_SPACE_MMIO);
	KT_EXPECT_EQ(t, p.base, 0xfedc9000ULL);
	KT_EXPECT_EQ(t, p.width, 4);
	KT_EXPECT_EQ(t, p.shift, 2);		/* mmio32: registers 4 bytes apart */
	KT_EXPECT_EQ(t, p.baud, 115200);
	KT_EXPECT_EQ(t, p.base_baud, 0);	/* no clock before revision 3 */
}

KTEST(spcr_io_byte_and_word_ports_and_the_baud_codes)
{
	static const struct { u8 code; u32 baud; } bauds[] = {
		{ 0, 0 }, { 3, 9600 }, { 4, 19200 }, { 6, 57600 }, { 7, 115200 }, { 5, 0 },
	};
	struct uart_port p;
	const char *why;
	unsigned int i;
	u8 tab[80];

	spcr_copy(tab, sizeof(tab));
	tab[SPCR_BASE + GAS_SPACE] = GAS_SPACE_IO;
	tab[SPCR_BASE + GAS_BIT_WIDTH] = 8;
	tab[SPCR_BASE + GAS_ACCESS_SIZE] = 1;
	put32(tab, SPCR_BASE + GAS_ADDRESS, 0x2f8);
	tab[SPCR_INTERFACE] = SPCR_IF_16450;
	KT_ASSERT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), 0);
	KT_EXPECT_EQ(t, p.space, UART_SPACE_IO);
	KT_EXPECT_EQ(t, p.base, 0x2f8);
	KT_EXPECT_EQ(t, p.width, 1);
	KT_EXPECT_EQ(t, p.shift, 0);
	spcr_copy(tab, sizeof(tab));
	tab[SPCR_BASE + GAS_ACCESS_SIZE] = 2;
	tab[SPCR_INTERFACE] = SPCR_IF_16550_GAS;
	KT_ASSERT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), 0);
	KT_EXPECT_EQ(t, p.width, 2);
	KT_EXPECT_EQ(t, p.shift, 1);
	spcr_copy(tab, sizeof(tab));
	tab[SPCR_BASE + GAS_ACCESS_SIZE] = 0;	/* undefined (legacy): bytes */
	KT_ASSERT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), 0);
	KT_EXPECT_EQ(t, p.width, 1);
	for (i = 0; i < ARRAY_SIZE(bauds); i++) {
		tab[SPCR_BAUD] = bauds[i].code;
		KT_ASSERT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), 0);
		ktest_check(t, p.baud == bauds[i].baud, __FILE__, __LINE__,
			    "baud code %u: expected %u, seen %u", bauds[i].code, bauds[i].baud, p.baud);
	}
}

KTEST(spcr_revisions_3_and_4_give_the_clock_and_a_precise_baud)
{
	struct uart_port p;
	const char *why;
	u8 tab[88];

	spcr_copy(tab, 80);
	tab[SPCR_REVISION] = 3;
	put32(tab, SPCR_CLOCK, 48000000);
	KT_ASSERT_EQ(t, spcr_parse(tab, 80, &p, &why), 0);
	KT_EXPECT_EQ(t, p.base_baud, 3000000);
	KT_EXPECT_EQ(t, p.baud, 115200);
	spcr_copy(tab, sizeof(tab));
	tab[SPCR_REVISION] = 4;
	put32(tab, SPCR_CLOCK, 48000000);
	put32(tab, SPCR_PRECISE_BAUD, 1500000);
	KT_ASSERT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), 0);
	KT_EXPECT_EQ(t, p.baud, 1500000);
	put32(tab, SPCR_PRECISE_BAUD, 1000000);	/* 3000000 / 1000000: divisor 3 */
	KT_ASSERT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), 0);
	put32(tab, SPCR_PRECISE_BAUD, 7000000);	/* faster than the clock allows */
	KT_EXPECT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), -EINVAL);
	KT_EXPECT(t, why != NULL);
}

KTEST(spcr_refuses_other_uarts_no_address_other_spaces_and_short_tables)
{
	struct uart_port p;
	const char *why;
	u8 tab[80];

	spcr_copy(tab, sizeof(tab));
	tab[SPCR_INTERFACE] = 0x03;		/* ARM PL011 */
	KT_EXPECT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), -ENODEV);
	spcr_copy(tab, sizeof(tab));
	put32(tab, SPCR_BASE + GAS_ADDRESS, 0);
	KT_EXPECT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), -ENODEV);
	spcr_copy(tab, sizeof(tab));
	tab[SPCR_BASE + GAS_SPACE] = 2;		/* PCI configuration space */
	KT_EXPECT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), -EINVAL);
	spcr_copy(tab, sizeof(tab));
	put32(tab, SPCR_BASE + GAS_ADDRESS, 0xfedc9002);	/* dword access, misaligned */
	KT_EXPECT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), -EINVAL);
	spcr_copy(tab, sizeof(tab));
	KT_EXPECT_EQ(t, spcr_parse(tab, 76, &p, &why), -EINVAL);
	tab[0] = 'X';
	KT_EXPECT_EQ(t, spcr_parse(tab, sizeof(tab), &p, &why), -EINVAL);
}

KTEST(pci_bar_decodes_io_mmio32_and_mmio64_and_refuses_an_unassigned_one)
{
	struct uart_port p;
	const char *why;

	KT_ASSERT_EQ(t, pci_bar_uart_port(0xc001, 0, &p, &why), 0);
	KT_EXPECT_EQ(t, p.space, UART_SPACE_IO);
	KT_EXPECT_EQ(t, p.base, 0xc000);
	KT_ASSERT_EQ(t, pci_bar_uart_port(0xfebf1008, 0x12345678, &p, &why), 0);
	KT_EXPECT_EQ(t, p.space, UART_SPACE_MMIO);
	KT_EXPECT_EQ(t, p.base, 0xfebf1000ULL);	/* 32-bit BAR: the next one is not read */
	KT_EXPECT_EQ(t, p.width, 1);
	KT_ASSERT_EQ(t, pci_bar_uart_port(0xfebf100c, 0x38, &p, &why), 0);
	KT_EXPECT_EQ(t, p.base, 0x38febf1000ULL);
	KT_EXPECT_EQ(t, pci_bar_uart_port(0x1, 0, &p, &why), -ENODEV);
	KT_EXPECT_EQ(t, pci_bar_uart_port(0x0, 0, &p, &why), -ENODEV);
}
