// SPDX-License-Identifier: MIT
/* Finding ACPI tables; the power-off and reset ports of the FADT (include/boot/acpi.h). */
#include <efi.h>
#include "boot/acpi.h"
#include "errcode.h"
#include "lib/string.h"

#define RSDP_XSDT 24		/* u64 XSDT address (ACPI 2.0+) */
#define SDT_LENGTH 4
#define SDT_HEADER 36
#define FADT_FIRMWARE_CTRL 36	/* u32 FACS address */
#define FADT_DSDT 40		/* u32 */
#define FADT_PM1A_CNT 64	/* u32 I/O port */
#define FADT_PM1B_CNT 68
#define FADT_RESET_REG 116	/* generic address structure */
#define FADT_RESET_VALUE 128
#define FADT_X_FIRMWARE_CTRL 132	/* u64, ACPI 2.0+ */
#define FADT_X_DSDT 140		/* u64 */
#define GAS_SPACE_IO 1

static bool checksum_ok(const u8 *p, u32 len)
{
	u8 sum = 0;

	while (len--)
		sum += *p++;
	return sum == 0;
}

/* A system description table at addr with signature sig, checked. */
static const u8 *sdt(u64 addr, const char *sig)
{
	const u8 *t = (const u8 *)(uintptr_t)addr;
	u32 len;

	if (!addr || memcmp(t, sig, 4))
		return NULL;
	memcpy(&len, t + SDT_LENGTH, 4);
	if (len < SDT_HEADER || len > (1U << 20) || !checksum_ok(t, len))
		return NULL;
	return t;
}

const u8 *acpi_find_table(void *systab, const char *sig, u32 *len)
{
	EFI_SYSTEM_TABLE *st = systab;
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	const u8 *rsdp = NULL, *xsdt, *t = NULL;
	u32 xlen, i;
	u64 xaddr;

	for (i = 0; i < st->NumberOfTableEntries; i++)
		if (!memcmp(&st->ConfigurationTable[i].VendorGuid, &acpi20, sizeof(acpi20)))
			rsdp = st->ConfigurationTable[i].VendorTable;
	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) || !checksum_ok(rsdp, 36))
		return NULL;
	memcpy(&xaddr, rsdp + RSDP_XSDT, 8);
	xsdt = sdt(xaddr, "XSDT");
	if (!xsdt)
		return NULL;
	memcpy(&xlen, xsdt + SDT_LENGTH, 4);
	for (i = SDT_HEADER; i + 8 <= xlen && !t; i += 8) {
		u64 a;

		memcpy(&a, xsdt + i, 8);
		t = sdt(a, sig);
	}
	if (t)
		memcpy(len, t + SDT_LENGTH, 4);
	return t;
}

/* A FADT address field: the 64-bit one where the table has it and it is set. */
static u64 fadt_addr(const u8 *fadt, u32 len, u32 off32, u32 off64)
{
	u64 a = 0;
	u32 a32 = 0;

	if (len >= off64 + 8)
		memcpy(&a, fadt + off64, 8);
	if (!a && len >= off32 + 4) {
		memcpy(&a32, fadt + off32, 4);
		a = a32;
	}
	return a;
}

/* The FACS and \_S3_: what sleeping needs (p->s3 stays false without them). */
static void find_sleep(const u8 *fadt, u32 len, struct acpi_power_ports *p)
{
	const u8 *facs = (const u8 *)(uintptr_t)fadt_addr(fadt, len, FADT_FIRMWARE_CTRL,
							   FADT_X_FIRMWARE_CTRL);
	const u8 *dsdt = sdt(fadt_addr(fadt, len, FADT_DSDT, FADT_X_DSDT), "DSDT");
	u32 flen, dlen;

	if (facs && !memcmp(facs, "FACS", 4)) {
		memcpy(&flen, facs + FACS_LENGTH, 4);
		if (flen >= FACS_MIN_LENGTH && !((uintptr_t)facs & 63))
			p->facs = (uintptr_t)facs;
	}
	if (!dsdt)
		return;
	memcpy(&dlen, dsdt + SDT_LENGTH, 4);
	p->s3 = !acpi_aml_sleep_type(dsdt + SDT_HEADER, dlen - SDT_HEADER, "_S3_",
				     &p->s3_typ_a, &p->s3_typ_b);
}

int acpi_find_power_ports(void *systab, struct acpi_power_ports *p)
{
	const u8 *fadt;
	u32 len;

	memset(p, 0, sizeof(*p));
	fadt = acpi_find_table(systab, "FACP", &len);
	if (!fadt)
		return -ENOENT;
	if (len >= FADT_PM1B_CNT + 4) {
		u32 a, b;

		memcpy(&a, fadt + FADT_PM1A_CNT, 4);
		memcpy(&b, fadt + FADT_PM1B_CNT, 4);
		p->pm1a_cnt = a <= 0xffff ? (u16)a : 0;
		p->pm1b_cnt = b <= 0xffff ? (u16)b : 0;
	}
	if (len > FADT_RESET_VALUE && fadt[FADT_RESET_REG] == GAS_SPACE_IO) {
		u64 a;

		memcpy(&a, fadt + FADT_RESET_REG + 4, 8);
		p->reset_port = a <= 0xffff ? (u16)a : 0;
		p->reset_value = fadt[FADT_RESET_VALUE];
	}
	find_sleep(fadt, len, p);
	return 0;
}
