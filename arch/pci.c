// SPDX-License-Identifier: MIT
/* PCI configuration space through 0xcf8/0xcfc (include/arch/pci.h). */
#include "arch/pci.h"
#include "arch/x86.h"
#include "errcode.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_CONFIG_ENABLE BIT(31)

static u32 config_address(u8 bus, u8 dev, u8 fn, u8 reg)
{
	return PCI_CONFIG_ENABLE | (u32)bus << 16 | (u32)(dev & 0x1f) << 11 |
	       (u32)(fn & 7) << 8 | (reg & 0xfc);
}

u32 pci_read32(u8 bus, u8 dev, u8 fn, u8 reg)
{
	outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, fn, reg));
	return inl(PCI_CONFIG_DATA);
}

void pci_write16(u8 bus, u8 dev, u8 fn, u8 reg, u16 val)
{
	outl(PCI_CONFIG_ADDRESS, config_address(bus, dev, fn, reg));
	outw(PCI_CONFIG_DATA + (reg & 2), val);
}

int pci_find_class(u32 class24, u8 *bus, u8 *dev, u8 *fn)
{
	unsigned int b, d, f, nfn;

	for (b = 0; b < 256; b++)
		for (d = 0; d < 32; d++) {
			if ((pci_read32((u8)b, (u8)d, 0, PCI_VENDOR_ID) & 0xffff) == 0xffff)
				continue;
			nfn = (pci_read32((u8)b, (u8)d, 0, PCI_HEADER_TYPE & 0xfc) >> 16) &
			      PCI_HEADER_MULTI ? 8 : 1;
			for (f = 0; f < nfn; f++) {
				if ((pci_read32((u8)b, (u8)d, (u8)f, PCI_VENDOR_ID) & 0xffff) == 0xffff)
					continue;
				if (pci_read32((u8)b, (u8)d, (u8)f, PCI_CLASS_REVISION) >> 8 != class24)
					continue;
				*bus = (u8)b, *dev = (u8)d, *fn = (u8)f;
				return 0;
			}
		}
	return -ENODEV;
}
