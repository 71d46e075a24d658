/* SPDX-License-Identifier: MIT */
/*
 * PCI configuration space through the legacy 0xcf8/0xcfc mechanism, which
 * every PC chipset decodes for the first 256 bytes of each function
 * (arch/pci.c).  Used only while boot services are up (one CPU), to find a
 * serial card for the console.
 */
#ifndef TDPVISOR_PCI_H
#define TDPVISOR_PCI_H

#include "types.h"

#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define  PCI_COMMAND_IO BIT(0)
#define  PCI_COMMAND_MEMORY BIT(1)
#define PCI_CLASS_REVISION 0x08		/* class << 8 | revision */
#define PCI_HEADER_TYPE 0x0e
#define  PCI_HEADER_MULTI BIT(7)
#define PCI_BAR0 0x10
#define PCI_BAR1 0x14

u32 pci_read32(u8 bus, u8 dev, u8 fn, u8 reg);
void pci_write16(u8 bus, u8 dev, u8 fn, u8 reg, u16 val);

/*
 * Finds the first function (bus, device, function order, every bus) whose
 * class, subclass and programming interface are class24 (e.g.
 * PCI_CLASS_SERIAL_16550).  Returns 0 with its address, or -ENODEV.
 */
int pci_find_class(u32 class24, u8 *bus, u8 *dev, u8 *fn);

#endif
