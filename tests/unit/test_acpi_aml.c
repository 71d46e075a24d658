// SPDX-License-Identifier: MIT
/*
 * Unit tests of the sleeping-state reader (boot/acpi_aml.c): AML byte
 * strings as firmware compiles Name (_S3, Package () {...}), and what a
 * damaged or hostile table does to it.
 */
#include "boot/acpi.h"
#include "lib/ktest.h"
#include "lib/string.h"
#include "errcode.h"

/* QEMU's q35: Name (\_S3, Package (0x04) { One, One, Zero, Zero }) and
 * Name (\_S5, Package (0x04) { Zero, Zero, Zero, Zero }), with noise before. */
static const u8 q35[] = {
	0x10, 0x05, '_', 'S', 'B', '_', 0xa3,		/* Scope (_SB) { Noop } */
	0x08, '\\', '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
	0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
};

KTEST(acpi_aml_reads_qemu_q35s_s3_and_s5)
{
	u8 a = 9, b = 9;

	KT_ASSERT_EQ(t, acpi_aml_sleep_type(q35, sizeof(q35), "_S3_", &a, &b), 0);
	KT_EXPECT_EQ(t, a, 1);
	KT_EXPECT_EQ(t, b, 1);
	KT_ASSERT_EQ(t, acpi_aml_sleep_type(q35, sizeof(q35), "_S5_", &a, &b), 0);
	KT_EXPECT_EQ(t, a, 0);
	KT_EXPECT_EQ(t, b, 0);
	KT_EXPECT_EQ(t, acpi_aml_sleep_type(q35, sizeof(q35), "_S4_", &a, &b), -ENOENT);
}

KTEST(acpi_aml_byte_word_and_long_pkglength_forms)
{
	/* Name (_S3, Package (0x02) { 0x05, 0x0003 }) with a 2-byte PkgLength,
	 * unrooted, as another compiler may write it. */
	static const u8 t2[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x40 | 0x08, 0x00, 0x02,
				 0x0a, 0x05, 0x0b, 0x03, 0x00 };
	u8 a = 0, b = 0;

	KT_ASSERT_EQ(t, acpi_aml_sleep_type(t2, sizeof(t2), "_S3_", &a, &b), 0);
	KT_EXPECT_EQ(t, a, 5);
	KT_EXPECT_EQ(t, b, 3);
}

KTEST(acpi_aml_skips_a_name_that_is_no_package_and_finds_the_next)
{
	/* "_S3_" inside a string and as a method's name, then the real one. */
	static const u8 t3[] = { 0x0d, '_', 'S', '3', '_', 0x00,		/* "_S3_" */
				 0x14, 0x06, '_', 'S', '3', '_', 0x00, 0xa3,	/* Method */
				 0x08, '_', 'S', '3', '_', 0x12, 0x05, 0x02, 0x0a, 0x07, 0x00 };
	u8 a = 0, b = 9;

	KT_ASSERT_EQ(t, acpi_aml_sleep_type(t3, sizeof(t3), "_S3_", &a, &b), 0);
	KT_EXPECT_EQ(t, a, 7);
	KT_EXPECT_EQ(t, b, 0);
}

KTEST(acpi_aml_hostile_tables_give_an_error_and_read_no_further)
{
	u8 a = 0, b = 0, buf[16];

	/* A value SLP_TYP cannot hold. */
	static const u8 big[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x05, 0x02, 0x0a, 0x08, 0x00 };
	/* A PkgLength past the end of the table. */
	static const u8 longpkg[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x3f, 0x02, 0x00, 0x00 };
	/* One element only. */
	static const u8 one[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x03, 0x01, 0x01 };
	/* A DWordPrefix cut by the package's end. */
	static const u8 cut[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x05, 0x02, 0x00, 0x0c, 0x01,
				  0x00, 0x00, 0x00 };
	/* A 4-byte PkgLength lead byte at the table's very end. */
	static const u8 lead[] = { 0x08, '_', 'S', '3', '_', 0x12, 0xc0 };

	KT_EXPECT_EQ(t, acpi_aml_sleep_type(big, sizeof(big), "_S3_", &a, &b), -EINVAL);
	KT_EXPECT_EQ(t, acpi_aml_sleep_type(longpkg, sizeof(longpkg), "_S3_", &a, &b), -ENOENT);
	KT_EXPECT_EQ(t, acpi_aml_sleep_type(one, sizeof(one), "_S3_", &a, &b), -ENOENT);
	KT_EXPECT_EQ(t, acpi_aml_sleep_type(cut, sizeof(cut), "_S3_", &a, &b), -ENOENT);
	KT_EXPECT_EQ(t, acpi_aml_sleep_type(lead, sizeof(lead), "_S3_", &a, &b), -ENOENT);
	/* Shorter than a name, empty, and the name at offset 0 (no NameOp). */
	KT_EXPECT_EQ(t, acpi_aml_sleep_type((const u8 *)"_S3", 3, "_S3_", &a, &b), -ENOENT);
	KT_EXPECT_EQ(t, acpi_aml_sleep_type(buf, 0, "_S3_", &a, &b), -ENOENT);
	memcpy(buf, "_S3_\x12\x05\x02\x01\x01\x00", 10);
	KT_EXPECT_EQ(t, acpi_aml_sleep_type(buf, 10, "_S3_", &a, &b), -ENOENT);
}
