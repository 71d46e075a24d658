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
};

/*
 * Finds the FADT through the ACPI 2.0 RSDP in the UEFI configuration table
 * and reads the PM1 control blocks and the reset register.  Every table is
 * checked for its signature, length and checksum first.  Returns 0 or
 * -ENOENT (no usable ACPI tables: *p stays zero).
 */
int acpi_find_power_ports(void *systab, struct acpi_power_ports *p);

/*
 * The ACPI table with signature sig (4 characters) listed in the XSDT of
 * the ACPI 2.0 RSDP, after its signature, length and checksum were checked;
 * *len is its length.  NULL when there is none (or no usable RSDP/XSDT).
 * Boot services need not be up: it reads memory only.
 */
const u8 *acpi_find_table(void *systab, const char *sig, u32 *len);

#endif
