/* SPDX-License-Identifier: MIT */
/*
 * A memory slot: a run of guest frames backed by a run of host frames.
 *
 * vm/ owns the slots and looks them up on a fault; mm/ reads the bounds and
 * flags to choose a page size and permissions, and owns the dirty-logging
 * state (MM_SLOT_DIRTY_LOG, dirty_mode, dirty_harvest, dirty_bitmap), which only
 * tdp_dirty_log_enable()/..._disable() change.
 */
#ifndef TDPVISOR_MM_MEMSLOT_H
#define TDPVISOR_MM_MEMSLOT_H

#include "types.h"

#define MM_SLOT_READONLY BIT(0)		/* guest writes are emulated (MMIO) */
#define MM_SLOT_NOEXEC BIT(1)		/* guest instruction fetches fail */
#define MM_SLOT_DIRTY_LOG BIT(2)	/* set by mm/ while logging is on */
/*
 * Every frame of the slot is the one host page at host_pfn (a scratch page
 * standing in for memory the guest must not reach): mapped with 4 KiB
 * leaves only, since no larger page could map one frame, and always WB,
 * whatever the memory-type policy says of each gfn.
 */
#define MM_SLOT_SCRATCH BIT(3)

enum tdp_dirty_mode {
	TDP_DIRTY_WP,	/* write-protect leaves; a write faults and is logged */
	TDP_DIRTY_DBIT,	/* clear hardware dirty bits; harvest them later */
	TDP_DIRTY_PML,	/* clear dirty bits; the CPU logs each one it sets (Intel PML) */
	TDP_DIRTY_NR
};

/* Where a logging slot's dirty pages are collected. */
enum tdp_dirty_harvest {
	TDP_HARVEST_BITMAP,	/* the slot's bitmap: tdp_dirty_log_get/clear */
	TDP_HARVEST_RING,	/* the writing vCPU's ring: tdp_dirty_ring_harvest */
};

struct mm_slot {
	gfn_t base_gfn;
	u64 npages;
	pfn_t host_pfn;		/* backs base_gfn; the run is contiguous
				 * (MM_SLOT_SCRATCH: backs every gfn) */
	u32 flags;
	u32 id;
	enum tdp_dirty_mode dirty_mode;
	enum tdp_dirty_harvest dirty_harvest;
	/* bit i: gfn base_gfn + i written since it was last cleared */
	u64 *dirty_bitmap;
};

/* The flags; MM_SLOT_DIRTY_LOG changes under the MMU's write side. */
static inline u32 mm_slot_flags(const struct mm_slot *slot)
{
	return __atomic_load_n(&slot->flags, __ATOMIC_RELAXED);
}

static inline bool mm_slot_contains(const struct mm_slot *slot, gfn_t gfn)
{
	return gfn >= slot->base_gfn && gfn - slot->base_gfn < slot->npages;
}

static inline gfn_t mm_slot_end(const struct mm_slot *slot)
{
	return slot->base_gfn + slot->npages;
}

static inline pfn_t mm_slot_gfn_to_pfn(const struct mm_slot *slot, gfn_t gfn)
{
	if (mm_slot_flags(slot) & MM_SLOT_SCRATCH)
		return slot->host_pfn;
	return slot->host_pfn + (gfn - slot->base_gfn);
}

/* Bytes of a dirty bitmap for npages (whole u64 words). */
static inline u64 mm_slot_bitmap_bytes(u64 npages)
{
	return ((npages + 63) / 64) * sizeof(u64);
}

#endif
