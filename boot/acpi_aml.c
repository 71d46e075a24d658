// SPDX-License-Identifier: MIT
/*
 * The sleep-type values of a sleeping state (\_S3_ and its kind), read
 * from a DSDT's AML without an interpreter (include/boot/acpi.h).  Pure:
 * the host tests run it on made-up tables.
 *
 * What it recognises is the form firmware uses for these objects (ACPI
 * 6.5, 7.4.2 and 20.2): NameOp, the name (optionally rooted), a PackageOp
 * with its PkgLength and element count, then integer elements as ZeroOp,
 * OneOp, OnesOp or a Byte/Word/DWord/QWordPrefix constant.  A name
 * declared any other way (a Method, a reference) is "not found": the
 * caller then treats the state as one it does not know.
 */
#include "boot/acpi.h"
#include "errcode.h"
#include "lib/string.h"

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_QWORD 0x0e
#define AML_PACKAGE 0x12
#define AML_ROOT '\\'
#define AML_ONES 0xff

/* One integer element at *pos; advances it.  false when it is not one. */
static bool aml_integer(const u8 *aml, u32 len, u32 *pos, u64 *val)
{
	u32 p = *pos, n;

	if (p >= len)
		return false;
	switch (aml[p]) {
	case AML_ZERO: *val = 0; *pos = p + 1; return true;
	case AML_ONE: *val = 1; *pos = p + 1; return true;
	case AML_ONES: *val = ~0ULL; *pos = p + 1; return true;
	case AML_BYTE: n = 1; break;
	case AML_WORD: n = 2; break;
	case AML_DWORD: n = 4; break;
	case AML_QWORD: n = 8; break;
	default: return false;
	}
	if (len - p - 1 < n)
		return false;
	*val = 0;
	memcpy(val, aml + p + 1, n);	/* little-endian, as x86 */
	*pos = p + 1 + n;
	return true;
}

/* The package after a name at pos: its first two integers. */
static bool aml_package2(const u8 *aml, u32 len, u32 pos, u64 *a, u64 *b)
{
	u32 follow, pkglen, end, i;

	if (pos >= len || aml[pos] != AML_PACKAGE || ++pos >= len)
		return false;
	follow = aml[pos] >> 6;
	if (len - pos <= follow)
		return false;
	pkglen = follow ? aml[pos] & 0xf : aml[pos] & 0x3f;
	for (i = 1; i <= follow; i++)
		pkglen |= (u32)aml[pos + i] << (4 + 8 * (i - 1));
	if (pkglen > len - pos)
		return false;
	end = pos + pkglen;
	pos += 1 + follow;
	if (pos >= end || aml[pos] < 2)		/* NumElements */
		return false;
	pos++;
	return aml_integer(aml, end, &pos, a) && aml_integer(aml, end, &pos, b);
}

int acpi_aml_sleep_type(const u8 *aml, u32 len, const char name[4], u8 *typ_a, u8 *typ_b)
{
	u64 a, b;
	u32 i;

	for (i = 1; len >= 4 && i <= len - 4; i++) {
		if (memcmp(aml + i, name, 4))
			continue;
		if (aml[i - 1] != AML_NAME && !(aml[i - 1] == AML_ROOT && i >= 2 &&
						 aml[i - 2] == AML_NAME))
			continue;
		if (!aml_package2(aml, len, i + 4, &a, &b))
			continue;
		if (a > 7 || b > 7)	/* SLP_TYP is three bits */
			return -EINVAL;
		*typ_a = (u8)a;
		*typ_b = (u8)b;
		return 0;
	}
	return -ENOENT;
}
