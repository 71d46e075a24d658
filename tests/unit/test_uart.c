// SPDX-License-Identifier: MIT
/*
 * Unit tests of the 16550 register access (arch/uart.c) on a UART made of
 * memory: where each register lands for each width and shift, what setup
 * programs, and the line discipline that lets an OS share the UART.
 */
#include "arch/uart.h"
#include "lib/ktest.h"
#include "lib/string.h"

/* 8 registers at a stride of up to 8 bytes. */
static u8 regs[64] __attribute__((aligned(8)));

static struct uart_port mem_port(u8 width, u8 shift, u32 baud)
{
	return (struct uart_port){ .space = UART_SPACE_MMIO, .width = width, .shift = shift,
				   .base = (uintptr_t)regs, .baud = baud };
}

KTEST(uart_mmio32_registers_are_dwords_four_bytes_apart)
{
	struct uart_port p = mem_port(4, 2, 9600);
	u32 v;

	memset(regs, 0xee, sizeof(regs));
	regs[UART_LSR << 2] = UART_LSR_THRE | UART_LSR_TEMT;
	uart_setup(&p);
	memcpy(&v, regs + (UART_LCR << 2), 4);
	KT_EXPECT_EQ(t, v, UART_LCR_8N1);		/* the whole dword written */
	memcpy(&v, regs + (UART_DLH << 2), 4);
	KT_EXPECT_EQ(t, v, 0);				/* IER 0 after DLH 0 */
	memcpy(&v, regs + (UART_FCR << 2), 4);
	KT_EXPECT_EQ(t, v, UART_FCR_ENABLE_CLEAR);
	memcpy(&v, regs + (UART_MCR << 2), 4);
	KT_EXPECT_EQ(t, v, UART_MCR_DTR_RTS);
	memcpy(&v, regs + (UART_DLL << 2), 4);
	KT_EXPECT_EQ(t, v, 115200 / 9600);		/* the divisor, in THR's place */
	KT_EXPECT_EQ(t, regs[8 << 2], 0xee);		/* past the 8 registers: untouched */
	uart_write_text(&p, "x", 1);
	memcpy(&v, regs, 4);
	KT_EXPECT_EQ(t, v, 'x');
}

KTEST(uart_byte_registers_with_a_shift_leave_the_gaps_alone)
{
	struct uart_port p = mem_port(1, 2, 0);
	unsigned int i;

	memset(regs, 0xee, sizeof(regs));
	regs[UART_LSR << 2] = UART_LSR_THRE | UART_LSR_TEMT;
	regs[UART_LCR << 2] = UART_LCR_DLAB | 0x1f;	/* as the firmware left it */
	regs[UART_DLL] = 0x55;
	uart_setup(&p);				/* baud 0: the rate is kept */
	KT_EXPECT_EQ(t, regs[UART_DLL], 0x55);
	KT_EXPECT_EQ(t, regs[UART_LCR << 2], 0x1f);	/* its format, latch closed */
	for (i = 0; i < sizeof(regs); i++)
		if (i % 4 && regs[i] != 0xee)
			ktest_check(t, false, __FILE__, __LINE__, "byte %u written (0x%x)", i, regs[i]);
}

KTEST(uart_write_reopens_a_divisor_latch_the_os_left_open)
{
	struct uart_port p = mem_port(1, 0, 0);

	memset(regs, 0, sizeof(regs));
	regs[UART_LSR] = UART_LSR_THRE | UART_LSR_TEMT;
	regs[UART_LCR] = UART_LCR_DLAB | UART_LCR_8N1;
	uart_write_text(&p, "ok\n", 3);
	KT_EXPECT_EQ(t, regs[UART_THR], '\n');		/* "\r\n": the last byte */
	KT_EXPECT_EQ(t, regs[UART_LCR], UART_LCR_DLAB | UART_LCR_8N1);
}

KTEST(uart_port_check_names_what_is_wrong)
{
	struct uart_port p = mem_port(4, 2, 115200);

	KT_EXPECT(t, uart_port_check(&p) == NULL);
	p.shift = 1;
	KT_EXPECT(t, uart_port_check(&p) != NULL);	/* dwords 2 bytes apart */
	p = mem_port(2, 1, 115200);
	p.base |= 1;
	KT_EXPECT(t, uart_port_check(&p) != NULL);
	p = mem_port(1, 0, 115200 / 3);
	KT_EXPECT(t, uart_port_check(&p) == NULL);
	p.baud = 80000;				/* divisor 1 or 2: 44% or 28% off */
	KT_EXPECT(t, uart_port_check(&p) != NULL);
	p.baud = 200000;
	KT_EXPECT(t, uart_port_check(&p) != NULL);
	p.baud = 115200;
	p.base_baud = 3000000;			/* a 48 MHz clock: divisor 26, 0.2% off */
	KT_EXPECT(t, uart_port_check(&p) == NULL);
	p = (struct uart_port){ .space = UART_SPACE_IO, .width = 1, .base = 0xfff8, .baud = 115200 };
	KT_EXPECT(t, uart_port_check(&p) == NULL);
	p.base = 0xfff9;
	KT_EXPECT(t, uart_port_check(&p) != NULL);
	p.base = 0x3f8;
	p.width = 4;
	KT_EXPECT(t, uart_port_check(&p) != NULL);
}
