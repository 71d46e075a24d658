// SPDX-License-Identifier: MIT
/*
 * The SPTE format tables of EPT and NPT, and the few helpers that build
 * entries from them (see include/mm/spte.h).  Nothing here knows which
 * vendor it serves: every difference between EPT and NPT is a field of
 * struct spte_format.
 */
#include "mm/spte.h"
#include "errcode.h"

#define EPT_MEMTYPES                                                   \
	{ [MT_UC] = (u64)MT_UC << EPT_MT_SHIFT,                        \
	  [MT_WC] = (u64)MT_WC << EPT_MT_SHIFT,                        \
	  [MT_WT] = (u64)MT_WT << EPT_MT_SHIFT,                        \
	  [MT_WP] = (u64)MT_WP << EPT_MT_SHIFT,                        \
	  [MT_WB] = (u64)MT_WB << EPT_MT_SHIFT }

const struct spte_format spte_fmt_ept = {
	.name = "ept",
	.readable = EPT_R,
	.writable = EPT_W,
	.executable = EPT_X,
	.hw_present = EPT_RWX,
	.large = EPT_LARGE,
	.accessed = EPT_A,
	.dirty = EPT_D,
	.table_bits = EPT_RWX,
	.memtype = EPT_MEMTYPES,
	.hw_mask = EPT_HW_MASK,
	.flags = SPTE_FMT_AD,
};

const struct spte_format spte_fmt_ept_noad = {
	.name = "ept-noad",
	.readable = EPT_R,
	.writable = EPT_W,
	.executable = EPT_X,
	.hw_present = EPT_RWX,
	.large = EPT_LARGE,
	.table_bits = EPT_RWX,
	.memtype = EPT_MEMTYPES,
	.hw_mask = EPT_HW_MASK,
};

/*
 * The NPT leaf memory type combines with the guest's PAT; with PAT index 0
 * (PWT, PCD and PAT clear) the host asks for WB, PCD|PWT for UC, PWT for
 * WT, PCD alone for UC-minus (our nearest to WC and WP).
 */
const struct spte_format spte_fmt_npt = {
	.name = "npt",
	.readable = NPT_P,
	.writable = NPT_RW,
	.nx = NPT_NX,
	.hw_present = NPT_P,
	.large = NPT_LARGE,
	.accessed = NPT_A,
	.dirty = NPT_D,
	.table_bits = NPT_P | NPT_RW | NPT_US,
	.leaf_bits = NPT_US,
	.memtype = { [MT_UC] = NPT_PCD | NPT_PWT, [MT_WC] = NPT_PCD,
		     [MT_WT] = NPT_PWT, [MT_WP] = NPT_PCD, [MT_WB] = 0 },
	.hw_mask = NPT_HW_MASK,
	.flags = SPTE_FMT_AD,
};

int spte_format_check(const struct spte_format *fmt)
{
	bool ad = fmt->flags & SPTE_FMT_AD;

	if (fmt->hw_mask & SPTE_SW_MASK)
		return -EINVAL;
	if (!fmt->readable || !fmt->writable || !fmt->large || !fmt->hw_present)
		return -EINVAL;
	/* Access tracking parks hw_present in the three saved bits. */
	if (fmt->hw_present & ~GENMASK_ULL(2, 0))
		return -EINVAL;
	if (ad != (fmt->accessed && fmt->dirty))
		return -EINVAL;
	return 0;
}

u32 spte_access(const struct spte_format *fmt, u64 spte)
{
	u32 acc = 0;

	if (!spte_is_mmu_present(spte) || (spte & SPTE_ACC_TRACKED))
		return 0;
	if (spte & fmt->readable)
		acc |= TDP_ACC_R;
	if (spte & fmt->writable)
		acc |= TDP_ACC_W;
	if (fmt->executable ? (spte & fmt->executable) : !(spte & fmt->nx))
		acc |= TDP_ACC_X;
	return acc;
}

u64 spte_make_leaf(const struct spte_format *fmt, pfn_t pfn, int level,
		   u32 access, enum tdp_memtype mt, bool host_writable)
{
	u64 spte = (pfn_to_hpa(pfn) & SPTE_ADDR_MASK) | fmt->leaf_bits |
		   SPTE_MMU_PRESENT | fmt->memtype[mt] | fmt->readable;

	if (level > TDP_LEVEL_4K)
		spte |= fmt->large;
	if (access & TDP_ACC_W)
		spte |= fmt->writable;
	if (access & TDP_ACC_X)
		spte |= fmt->executable;
	else
		spte |= fmt->nx;
	if (host_writable)
		spte |= SPTE_HOST_WRITABLE | SPTE_MMU_WRITABLE;
	return spte;
}

u64 spte_split_child(const struct spte_format *fmt, u64 huge, int level,
		     unsigned int i)
{
	u64 child = huge + pfn_to_hpa((u64)i * tdp_level_pages(level - 1));

	if (level - 1 == TDP_LEVEL_4K)
		child &= ~fmt->large;
	return child;
}

u64 spte_clear_writable(const struct spte_format *fmt, u64 leaf)
{
	if ((leaf & SPTE_ACC_TRACKED) && (fmt->writable & fmt->hw_present))
		return leaf & ~(fmt->writable << SPTE_ACC_SAVED_SHIFT);
	return leaf & ~fmt->writable;
}

u64 spte_set_writable(const struct spte_format *fmt, u64 leaf)
{
	if ((leaf & SPTE_ACC_TRACKED) && (fmt->writable & fmt->hw_present))
		return leaf | (fmt->writable << SPTE_ACC_SAVED_SHIFT);
	return leaf | fmt->writable;
}

u64 spte_make_old(const struct spte_format *fmt, u64 leaf)
{
	u64 parked;

	if (fmt->flags & SPTE_FMT_AD)
		return leaf & ~fmt->accessed;
	if (leaf & SPTE_ACC_TRACKED)
		return leaf;
	parked = leaf & fmt->hw_present;
	return (leaf & ~fmt->hw_present) | SPTE_ACC_TRACKED |
	       (parked << SPTE_ACC_SAVED_SHIFT);
}

u64 spte_make_young(const struct spte_format *fmt, u64 leaf)
{
	u64 parked;

	if (fmt->flags & SPTE_FMT_AD)
		return leaf | fmt->accessed;
	if (!(leaf & SPTE_ACC_TRACKED))
		return leaf;
	parked = (leaf & SPTE_ACC_SAVED_MASK) >> SPTE_ACC_SAVED_SHIFT;
	return (leaf & ~(SPTE_ACC_TRACKED | SPTE_ACC_SAVED_MASK)) | parked;
}
