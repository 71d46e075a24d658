// SPDX-License-Identifier: MIT
/*
 * Read-only lookup of one GFN in a vCPU's current TDP root (contract in
 * include/mm/tdp_mmu.h).  It walks with tdp_iter under the read side of the
 * MMU lock and never writes an entry, allocates a table or installs a
 * marker: asking where a GFN is mapped does not fault it in.  A feature:
 * it needs only the public API of the core, and no other feature.  The
 * census of a range (tdp_mmu_count_leaves()) is read-only in the same way.
 */
#include "mm/tdp_mmu.h"
#include "mm/tdp_iter.h"
#include "errcode.h"

/* The memory types a leaf can encode, in the order a decode tries them. */
static const enum tdp_memtype memtypes[] = { MT_UC, MT_WC, MT_WT, MT_WP, MT_WB };

/*
 * The memory type fmt encodes in leaf, or MT_NR for an encoding the format
 * table does not list.  Where two types share an encoding (NPT's PCD alone
 * stands for both WC and WP) the first in memtypes[] is returned.
 */
static enum tdp_memtype spte_memtype(const struct spte_format *fmt, u64 leaf)
{
	u64 field = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(memtypes); i++)
		field |= fmt->memtype[memtypes[i]];
	for (i = 0; i < ARRAY_SIZE(memtypes); i++)
		if ((leaf & field) == fmt->memtype[memtypes[i]])
			return memtypes[i];
	return MT_NR;
}

/* TDP_ACC_* of a present leaf, with rights parked by access tracking restored. */
static u32 spte_leaf_access(const struct spte_format *fmt, u64 leaf)
{
	u64 perms = spte_hw_perms(fmt, leaf);
	u32 acc = 0;

	if (perms & fmt->readable)
		acc |= TDP_ACC_R;
	if (perms & fmt->writable)
		acc |= TDP_ACC_W;
	if (fmt->executable ? (perms & fmt->executable) : !(leaf & fmt->nx))
		acc |= TDP_ACC_X;
	return acc;
}

int tdp_mmu_lookup(struct tdp_vcpu *v, gfn_t gfn, struct tdp_mapping *out)
{
	const struct spte_format *fmt = v->mmu->fmt;
	struct tdp_iter it;
	u64 spte = 0;
	int level = 0;

	*out = (struct tdp_mapping){ 0 };
	if (!v->root || gfn >= tdp_max_gfn(v->root->level))
		return -EINVAL;
	tdp_vcpu_read_lock(v);
	for_each_tdp_pte(it, fmt, v->root->pt, v->root->level, gfn, gfn + 1) {
		spte = it.old_spte;
		level = it.level;
	}
	tdp_vcpu_read_unlock(v);

	out->level = level;
	out->spte = spte;
	if (!spte_is_present_leaf(fmt, spte, level))
		return 0;
	out->present = true;
	/* A huge leaf's low address bits may hold other things (NPT's PAT). */
	out->hpa = (spte_hpa(spte) & ~(pfn_to_hpa(tdp_level_pages(level)) - 1)) +
		   pfn_to_hpa(gfn - tdp_level_base(gfn, level));
	out->access = spte_leaf_access(fmt, spte);
	out->memtype = spte_memtype(fmt, spte);
	return 0;
}

u64 tdp_mmu_count_leaves(struct tdp_vcpu *v, gfn_t start, gfn_t end,
			 u64 counts[TDP_LEVEL_1G + 1])
{
	const struct spte_format *fmt = v->mmu->fmt;
	struct tdp_iter it;
	u64 n = 0;
	int l;

	for (l = 0; l <= TDP_LEVEL_1G; l++)
		counts[l] = 0;
	if (!v->root)
		return 0;
	end = MIN(end, tdp_max_gfn(v->root->level));
	tdp_vcpu_read_lock(v);
	for_each_tdp_pte(it, fmt, v->root->pt, v->root->level, start, end) {
		if (!spte_is_present_leaf(fmt, it.old_spte, it.level) ||
		    it.level > TDP_LEVEL_1G)
			continue;
		counts[it.level]++;
		n++;
	}
	tdp_vcpu_read_unlock(v);
	return n;
}
