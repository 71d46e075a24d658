/* SPDX-License-Identifier: MIT */
/*
 * The bits of the two nested paging formats as the manuals number them,
 * written here as plain numbers: the oracle that the host tests hold the
 * MMU's format tables (mm/spte.c, include/mm/spte.h) against.  Nothing here
 * is derived from those tables, so a wrong bit there shows up as a
 * difference instead of being repeated by the test.
 *
 * Intel EPT (SDM vol. 3C, "EPT paging-structure entries"):
 *   bit 0 read, 1 write, 2 execute; leaf bits 5:3 memory type (0 UC, 1 WC,
 *   4 WT, 5 WP, 6 WB), 6 ignore PAT, 7 page size (in a level 2/3 entry),
 *   8 accessed, 9 dirty (with A/D enabled in the EPTP); 51:12 address.
 *   An entry is present when any of bits 2:0 is set.
 * AMD NPT (APM vol. 2, "Long-mode page translation"; nested tables use the
 * same format): bit 0 present, 1 read/write, 2 user, 3 PWT, 4 PCD,
 *   5 accessed, 6 dirty, 7 page size, 63 no-execute; 51:12 address.
 *
 * Which format a table describes is told by its address (the three tables
 * of mm/spte.c), never by its contents.
 */
#ifndef TDPVISOR_HW_BITS_H
#define TDPVISOR_HW_BITS_H

#include "mm/spte.h"

#define HWB_ADDR	0x000ffffffffff000ULL

#define HWB_EPT_R	0x001ULL
#define HWB_EPT_W	0x002ULL
#define HWB_EPT_X	0x004ULL
#define HWB_EPT_MT	0x038ULL	/* bits 5:3 */
#define HWB_EPT_MT_UC	0x000ULL	/* 0 << 3 */
#define HWB_EPT_MT_WC	0x008ULL	/* 1 << 3 */
#define HWB_EPT_MT_WT	0x020ULL	/* 4 << 3 */
#define HWB_EPT_MT_WP	0x028ULL	/* 5 << 3 */
#define HWB_EPT_MT_WB	0x030ULL	/* 6 << 3 */
#define HWB_EPT_IPAT	0x040ULL
#define HWB_EPT_PS	0x080ULL
#define HWB_EPT_A	0x100ULL
#define HWB_EPT_D	0x200ULL

#define HWB_NPT_P	0x001ULL
#define HWB_NPT_RW	0x002ULL
#define HWB_NPT_US	0x004ULL
#define HWB_NPT_PWT	0x008ULL
#define HWB_NPT_PCD	0x010ULL
#define HWB_NPT_A	0x020ULL
#define HWB_NPT_D	0x040ULL
#define HWB_NPT_PS	0x080ULL
#define HWB_NPT_NX	0x8000000000000000ULL

/* One format's bits, as the hardware walker reads them. */
struct hw_bits {
	bool npt;
	u64 present;		/* any of these: the walker goes on */
	u64 read, write;
	u64 ps, a, d;		/* a and d are 0 without hardware A/D bits */
	u64 mt_field;		/* the leaf's memory-type bits */
};

static inline const struct hw_bits *hw_bits_of(const struct spte_format *fmt)
{
	static const struct hw_bits hw_bits_ept = {
		.present = HWB_EPT_R | HWB_EPT_W | HWB_EPT_X, .read = HWB_EPT_R, .write = HWB_EPT_W,
		.ps = HWB_EPT_PS, .a = HWB_EPT_A, .d = HWB_EPT_D, .mt_field = HWB_EPT_MT | HWB_EPT_IPAT,
	};
	static const struct hw_bits hw_bits_ept_noad = {
		.present = HWB_EPT_R | HWB_EPT_W | HWB_EPT_X, .read = HWB_EPT_R, .write = HWB_EPT_W,
		.ps = HWB_EPT_PS, .mt_field = HWB_EPT_MT | HWB_EPT_IPAT,
	};
	static const struct hw_bits hw_bits_npt = {
		.npt = true, .present = HWB_NPT_P, .read = HWB_NPT_P, .write = HWB_NPT_RW,
		.ps = HWB_NPT_PS, .a = HWB_NPT_A, .d = HWB_NPT_D, .mt_field = HWB_NPT_PWT | HWB_NPT_PCD,
	};

	if (fmt == &spte_fmt_npt)
		return &hw_bits_npt;
	if (fmt == &spte_fmt_ept_noad)
		return &hw_bits_ept_noad;
	return &hw_bits_ept;
}

/*
 * The memory-type bits a leaf of mt carries.  EPT: the type itself in bits
 * 5:3, IPAT clear (the guest's PAT still combines).  NPT: PWT/PCD select
 * the host's PAT entry 0 (WB), 1 (WT, PWT), 2 (UC-, PCD) or 3 (UC, PCD|PWT)
 * of the power-on PAT; WC and WP have no entry there and get UC-.
 */
static inline u64 hw_bits_memtype(const struct hw_bits *b, enum tdp_memtype mt)
{
	static const u64 ept[MT_NR] = {
		[MT_UC] = HWB_EPT_MT_UC, [MT_WC] = HWB_EPT_MT_WC, [MT_WT] = HWB_EPT_MT_WT,
		[MT_WP] = HWB_EPT_MT_WP, [MT_WB] = HWB_EPT_MT_WB,
	};
	static const u64 npt[MT_NR] = {
		[MT_UC] = HWB_NPT_PCD | HWB_NPT_PWT, [MT_WC] = HWB_NPT_PCD,
		[MT_WT] = HWB_NPT_PWT, [MT_WP] = HWB_NPT_PCD, [MT_WB] = 0,
	};

	return b->npt ? npt[mt] : ept[mt];
}

#endif
