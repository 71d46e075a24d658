/* SPDX-License-Identifier: MIT */
/* What the platform VM needs from the firmware's ACPI tables (boot/acpi.c). */
#ifndef TDPVISOR_BOOT_ACPI_H
#define TDPVISOR_BOOT_ACPI_H

#include "types.h"

/* The I/O ports through which an OS switches the machine off or resets it. */
struct acpi_power_ports {
	u16 pm1a_cnt;		/* 0: none found */
	u16 pm1b_cnt;
	u16 reset_port;		/* FADT reset register in I/O space, or 0 */
	u8 reset_value;
	/* Sleep (S3): the FACS, which holds the OS's waking vector, and the
	 * SLP_TYP values of \_S3_ for PM1a and PM1b (s3 false: none found). */
	u64 facs;		/* 0: none usable */
	bool s3;
	u8 s3_typ_a, s3_typ_b;
	/* Not ACPI's: filled by the loader.  The S3 wake area below 1 MiB
	 * (WAKE_AREA_BYTES, 0: none), and s3=awake (sleeps never reach the
	 * hardware). */
	u64 wake_area;
	bool s3_awake;
};

/*
 * Finds the FADT through the ACPI 2.0 RSDP in the UEFI configuration table
 * and reads the PM1 control blocks and the reset register.  Every table is
 * checked for its signature, length and checksum first.  Returns 0 or
 * -ENOENT (no usable ACPI tables: *p stays zero).
 */
int acpi_find_power_ports(void *systab, struct acpi_power_ports *p);

/*
 * The SLP_TYP values (for PM1a and PM1b) of the sleeping-state object name
 * ("_S3_", ...) in the AML of a DSDT or SSDT body: the first declaration
 * NameOp name Package { integer, integer, ... } (boot/acpi_aml.c).
 * Returns 0, -ENOENT (none in that form) or -EINVAL (a value over 7).
 */
int acpi_aml_sleep_type(const u8 *aml, u32 len, const char name[4], u8 *typ_a, u8 *typ_b);

/* The FACS layout (ACPI 6.5, 5.2.10) the sleep path reads and writes. */
#define FACS_LENGTH 4			/* u32, at least 64 */
#define FACS_WAKING_VECTOR 12		/* u32: real mode, CS = v >> 4, IP = v & 0xf */
#define FACS_FLAGS 20			/* u32 */
#define FACS_X_WAKING_VECTOR 24		/* u64: 32-bit protected mode (version >= 1) */
#define FACS_VERSION 32			/* u8 */
#define FACS_OSPM_FLAGS 36		/* u32 */
#define FACS_MIN_LENGTH 64
#define FACS_64BIT_WAKE_SUPPORTED BIT(1)	/* in FLAGS */
#define FACS_OSPM_64BIT_WAKE BIT(0)		/* in OSPM flags */

/*
 * The ACPI table with signature sig (4 characters) listed in the XSDT of
 * the ACPI 2.0 RSDP, after its signature, length and checksum were checked;
 * *len is its length.  NULL when there is none (or no usable RSDP/XSDT).
 * Boot services need not be up: it reads memory only.
 */
const u8 *acpi_find_table(void *systab, const char *sig, u32 *len);

#endif
