/* SPDX-License-Identifier: MIT */
/*
 * Where a serial port is, from the firmware's descriptions of it
 * (boot/serial_find.c): the ACPI SPCR table, or a PCI serial card's BAR.
 * Pure functions over bytes and values, host-tested; boot/acpi.c finds the
 * table and arch/pci.c reads the card.
 */
#ifndef TDPVISOR_SERIAL_FIND_H
#define TDPVISOR_SERIAL_FIND_H

#include "types.h"
#include "arch/uart.h"

/* SPCR (Serial Port Console Redirection) byte offsets and values. */
#define SPCR_SIG "SPCR"
#define SPCR_REVISION 8			/* u8, in the common header */
#define SPCR_INTERFACE 36		/* u8: the DBG2 serial subtype */
#define  SPCR_IF_16550 0x00
#define  SPCR_IF_16450 0x01
#define  SPCR_IF_16550_GAS 0x12
#define SPCR_BASE 40			/* Generic Address Structure, 12 bytes */
#define  GAS_SPACE 0			/* u8: 0 memory, 1 I/O */
#define   GAS_SPACE_MEMORY 0
#define   GAS_SPACE_IO 1
#define  GAS_BIT_WIDTH 1
#define  GAS_ACCESS_SIZE 3		/* u8: 1 byte, 2 word, 3 dword, 4 qword */
#define  GAS_ADDRESS 4			/* u64 */
#define SPCR_BAUD 58			/* u8: 0 as is, 3 9600, 4 19200, 6 57600, 7 115200 */
#define SPCR_LEN_V2 80
#define SPCR_CLOCK 76			/* u32 Hz, revision 3 on (0: not given) */
#define SPCR_PRECISE_BAUD 80		/* u32, revision 4 on (0: use SPCR_BAUD) */

/*
 * Reads the UART an SPCR table describes (t: len bytes, signature and
 * checksum already checked) into *p, the way Linux's earlycon reads it: a
 * 16550 (or 16450) in I/O space, or in memory with byte, 16-bit or 32-bit
 * registers (the access size gives width and stride), its baud (0: as the
 * firmware set it) and, from revision 3, its clock.  Returns 0, or
 * -EINVAL/-ENODEV with the reason in *why (not a 16550, no address, ...).
 */
int spcr_parse(const u8 *t, u32 len, struct uart_port *p, const char **why);

/* PCI: the serial-controller class and the 16550-compatible interface. */
#define PCI_CLASS_SERIAL_16550 0x070002	/* class 07, subclass 00, prog-if 02 */
#define PCI_BAR_IO BIT(0)
#define PCI_BAR_MEM_TYPE_MASK 0x6
#define PCI_BAR_MEM_64 0x4

/*
 * The UART behind a 16550-compatible card's BAR 0 (bar_hi: the next BAR,
 * read only for a 64-bit memory BAR): I/O, or memory with byte registers.
 * Returns 0, or -ENODEV with *why (BAR not assigned).
 */
int pci_bar_uart_port(u32 bar, u32 bar_hi, struct uart_port *p, const char **why);

#endif
