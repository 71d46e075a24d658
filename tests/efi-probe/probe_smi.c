// SPDX-License-Identifier: MIT
/*
 * Check h of probe.efi: an SMI taken while the probe runs as a guest.
 * The hypervisor does not intercept SMIs: the CPU runs SMM code on the
 * guest's state and RSM returns to the guest (docs/platform.md, "SMM
 * firmware").  The firmware this runs on has no SMM of its own (OVMF
 * without SMM: SMBASE keeps its reset value 0x30000, and what lies there
 * is ordinary RAM), so the probe puts a handler at the SMI entry
 * (probe_rt.asm: it clobbers RBX and leaves a mark in the APM status
 * port), turns on the chipset's SMI for writes to the APM control port
 * and writes it: the mark must appear, RBX must come back as it was (RSM
 * restored the guest's state), and the probe must still be a guest of
 * tdpvisor afterwards.  The mark is a port write, not a store: under
 * Bochs 2.7 a store the handler made to SMBASE + 0x8100 ran (its debugger
 * stepped over it in SMM) but left that RAM unchanged.
 */
#include <efi.h>
#include "arch/x86.h"
#include "lib/string.h"
#include "probe.h"

#define SMBASE_RESET 0x30000ULL
#define SMI_ENTRY (SMBASE_RESET + 0x8000)
#define SMM_PAGES 8			/* the entry up to the state-save map's end */
#define APM_STS 0xb3			/* a scratch register: the handler's mark */
#define SMI_WAIT_SPINS 1000000U

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_ADDR(dev, fn, reg) (BIT(31) | (dev) << 11 | (fn) << 8 | (reg))
#define PCI_ID(vendor, device) ((u32)(device) << 16 | (vendor))
/* i440FX's PIIX4 power management function (Bochs): DEVACTB.APMC_EN. */
#define PIIX4_PM_DEV 1
#define PIIX4_PM_FN 3
#define PIIX4_PM_ID PCI_ID(0x8086, 0x7113)
#define PIIX4_DEVACTB 0x58
#define PIIX4_DEVACTB_APMC_EN BIT(25)
/* Q35's ICH9 LPC bridge (QEMU): SMI_EN at PMBASE + 0x30. */
#define ICH9_LPC_DEV 31
#define ICH9_LPC_FN 0
#define ICH9_LPC_ID PCI_ID(0x8086, 0x2918)
#define ICH9_PMBASE 0x40
#define ICH9_PMBASE_MASK 0xff80
#define ICH9_SMI_EN 0x30
#define ICH9_SMI_EN_GBL BIT(0)
#define ICH9_SMI_EN_APMC BIT(5)

static u32 pci_read(u32 dev, u32 fn, u32 reg)
{
	outl(PCI_CONFIG_ADDRESS, PCI_ADDR(dev, fn, reg));
	return inl(PCI_CONFIG_DATA);
}

static void pci_write(u32 dev, u32 fn, u32 reg, u32 v)
{
	outl(PCI_CONFIG_ADDRESS, PCI_ADDR(dev, fn, reg));
	outl(PCI_CONFIG_DATA, v);
}

/* The chipset's APM SMI enable: where it lives and its value before. */
struct apm_smi {
	const char *chipset;	/* NULL: a chipset this does not know */
	u16 smi_en_port;	/* ICH9; 0 on PIIX4 */
	u32 before;
};

enum apm_smi_state { APM_SMI_ON, APM_SMI_FIRMWARE, APM_SMI_UNAVAILABLE };

/*
 * Turns on the SMI for APM_CNT writes: APM_SMI_ON.  APM_SMI_FIRMWARE when
 * the firmware had it on already (nothing written: an SMI would run the
 * firmware's own handler, which this check knows nothing of);
 * APM_SMI_UNAVAILABLE on a chipset this does not know, or when the enable
 * does not stick.
 */
static enum apm_smi_state apm_smi_on(struct apm_smi *a)
{
	u32 on;

	memset(a, 0, sizeof(*a));
	if (pci_read(PIIX4_PM_DEV, PIIX4_PM_FN, 0) == PIIX4_PM_ID) {
		a->chipset = "PIIX4";
		a->before = pci_read(PIIX4_PM_DEV, PIIX4_PM_FN, PIIX4_DEVACTB);
		if (a->before & PIIX4_DEVACTB_APMC_EN)
			return APM_SMI_FIRMWARE;
		pci_write(PIIX4_PM_DEV, PIIX4_PM_FN, PIIX4_DEVACTB,
			  a->before | PIIX4_DEVACTB_APMC_EN);
		on = pci_read(PIIX4_PM_DEV, PIIX4_PM_FN, PIIX4_DEVACTB) & PIIX4_DEVACTB_APMC_EN;
	} else if (pci_read(ICH9_LPC_DEV, ICH9_LPC_FN, 0) == ICH9_LPC_ID) {
		a->chipset = "ICH9";
		a->smi_en_port = (u16)((pci_read(ICH9_LPC_DEV, ICH9_LPC_FN, ICH9_PMBASE) &
					ICH9_PMBASE_MASK) + ICH9_SMI_EN);
		a->before = inl(a->smi_en_port);
		if (a->before & ICH9_SMI_EN_APMC)
			return APM_SMI_FIRMWARE;
		outl(a->smi_en_port, a->before | ICH9_SMI_EN_GBL | ICH9_SMI_EN_APMC);
		on = inl(a->smi_en_port) & ICH9_SMI_EN_APMC;
	} else {
		return APM_SMI_UNAVAILABLE;
	}
	return on ? APM_SMI_ON : APM_SMI_UNAVAILABLE;
}

static void apm_smi_restore(const struct apm_smi *a)
{
	if (a->smi_en_port)
		outl(a->smi_en_port, a->before);
	else if (a->chipset)
		pci_write(PIIX4_PM_DEV, PIIX4_PM_FN, PIIX4_DEVACTB, a->before);
}

static bool still_tdpvisor(void)
{
	struct cpuid_regs r = cpuid(0x40000000);

	return !memcmp(&r.ebx, "tdpv", 4) && !memcmp(&r.ecx, "isor", 4);
}

void probe_smi(EFI_BOOT_SERVICES *bs)
{
	static const char *const seen[] = { "no mark", "the mark, RBX changed",
					    "the mark, RBX intact" };
	EFI_PHYSICAL_ADDRESS page = SMI_ENTRY;
	size_t len = (size_t)(probe_smi_handler_end - probe_smi_handler);
	struct apm_smi apm;
	u8 sts_before;
	int r;

	if (EFI_ERROR(bs->AllocatePages(AllocateAddress, EfiLoaderData, SMM_PAGES, &page))) {
		probe_check(false, "SMI: the SMI entry's pages [0x%llx-0x%llx] are free to use",
			    SMI_ENTRY, SMI_ENTRY + SMM_PAGES * 4096 - 1);
		return;
	}
	switch (apm_smi_on(&apm)) {
	case APM_SMI_FIRMWARE:
		probe_info("SMI: the firmware has the %s APM SMI on: it has SMM of its own, "
			   "none raised", apm.chipset);
		break;
	case APM_SMI_UNAVAILABLE:
		probe_check(false, "SMI: the %s chipset raises an SMI on APM writes",
			    apm.chipset ? apm.chipset : "unknown");
		break;
	case APM_SMI_ON:
		memcpy((void *)(uintptr_t)SMI_ENTRY, probe_smi_handler, len);
		sts_before = inb(APM_STS);
		outb(APM_STS, 0);
		r = probe_raise_smi(SMI_WAIT_SPINS);
		probe_check(r == 2 && still_tdpvisor(),
			    "SMI: an SMI (%s APM port) taken in the guest ran the SMM handler and "
			    "RSM returned to the guest with its registers (%s; still under "
			    "tdpvisor: %s)", apm.chipset, seen[r], still_tdpvisor() ? "yes" : "no");
		outb(APM_STS, sts_before);
		break;
	}
	apm_smi_restore(&apm);
	bs->FreePages(SMI_ENTRY, SMM_PAGES);
}
