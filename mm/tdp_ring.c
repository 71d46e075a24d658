// SPDX-License-Identifier: MIT
/*
 * Dirty rings: the second way to harvest a logging slot, beside its
 * bitmap.  A slot enabled with TDP_DIRTY_RING (write-protect mode) has no
 * bitmap; a fault that makes one of its leaves writable appends the GFN to
 * the faulting vCPU's ring instead (the core's tdp_vcpu_mark_dirty(),
 * inside the fault's dirty transfer).  The harvest takes the oldest
 * entries of one ring and write-protects their leaves, so the next write
 * to each faults and is logged again.
 *
 * The promise is the bitmap's: a write that began after harvest n-1 of
 * every ring returned, and ended before harvest k of every ring began, is
 * in the entries of harvests n..k.  A fault makes the leaf writable and
 * then appends the GFN, all inside a dirty transfer; the harvest waits for
 * the transfers that began before it (tdp_dirty_sync()), then reads the
 * ring, then write-protects what it read and flushes before it returns,
 * so a write either faulted before the harvest looked, and its GFN is in
 * a ring, or reused a translation the flush ends, to a page reported now.
 *
 * A ring has one producer, the vCPU's own thread (it logs only its own
 * faults), and one harvester at a time; the indices only grow.  The vCPU
 * stops entering the guest at the soft limit (tdp_dirty_ring_check()),
 * TDP_DIRTY_RING_RESERVE entries short of full, so a push always finds
 * room.  Where the bitmap wins: a harvest costs what its entries cost, one
 * lookup of the 4K table per 2 MiB run of GFNs and one exchange per page,
 * and the ring takes 8 bytes per dirty page; the bitmap's harvest reads
 * and walks the whole slot whatever is dirty, with one bit per page.
 * A feature: it calls the core and no other feature.
 */
#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"
#include "tdp_internal.h"
#include "bug.h"
#include "errcode.h"

int tdp_dirty_ring_init(struct tdp_vcpu *v, u64 entries)
{
	gfn_t *gfns;

	if (entries < 2 * TDP_DIRTY_RING_RESERVE || entries > (1ULL << 32) ||
	    (entries & (entries - 1)))
		return -EINVAL;
	if (v->ring.gfns)
		return -EBUSY;
	gfns = mm_alloc_bitmap(entries * sizeof(gfn_t));
	if (!gfns)
		return -ENOMEM;
	v->ring = (struct tdp_dirty_ring){ .gfns = gfns, .size = entries,
					   .soft_limit = entries - TDP_DIRTY_RING_RESERVE };
	return 0;
}

/*
 * The table of level-2 entries a harvest last walked to, and the 1 GiB it
 * maps: GFNs come in runs, so most lookups read one entry of it.  It
 * stays allocated on the read side.  Found after the ring was read, it
 * holds every leaf those entries made writable that is still linked: a
 * table unlinked later takes its leaves with it, and leaves made writable
 * in a new one belong to entries the next harvest reads.
 */
struct l2_cache {
	gfn_t base;
	u64 *pt;
};

/* The 4K table that maps region (2 MiB aligned) in root, or NULL. */
static u64 *leaf_table(const struct spte_format *fmt, struct tdp_root *root, gfn_t region,
		       struct l2_cache *c)
{
	gfn_t base = tdp_level_base(region, TDP_LEVEL_1G);
	struct tdp_iter it;

	if (region >= tdp_max_gfn(root->level))
		return NULL;
	if (!c->pt || c->base != base) {
		c->pt = NULL;
		c->base = base;
		for_each_tdp_pte_min_level(it, fmt, root->pt, root->level, TDP_LEVEL_1G,
					   region, region + 1)
			if (it.level == TDP_LEVEL_1G)
				c->pt = tdp_spte_to_child(fmt, it.old_spte, it.level);
		if (!c->pt)
			return NULL;
	}
	return tdp_spte_to_child(fmt, spte_read(&c->pt[tdp_level_index(region, TDP_LEVEL_2M)]),
				 TDP_LEVEL_2M);
}

/*
 * Write-protects the 4K leaves of gfns[0..n) in every root: one lookup and
 * one tdp_protect_leaf_table() per run of GFNs in one 2 MiB region.  A
 * GFN mapped by a huge leaf is left (logging maps none writable).
 */
static void protect_gfns(struct tdp_op *op, const gfn_t *gfns, u64 n)
{
	const struct spte_format *fmt = op->mmu->fmt;
	u64 mask[SPTE_PER_TABLE / 64];
	struct tdp_root *root;
	u64 i, *pt;

	for_each_tdp_root(op->mmu, root) {
		struct l2_cache c = { 0 };

		for (i = 0; i < n;) {
			gfn_t region = tdp_level_base(gfns[i], TDP_LEVEL_2M);
			unsigned int k;

			for (k = 0; k < SPTE_PER_TABLE / 64; k++)
				mask[k] = 0;
			for (; i < n && tdp_level_base(gfns[i], TDP_LEVEL_2M) == region; i++) {
				k = tdp_level_index(gfns[i], TDP_LEVEL_4K);
				mask[k / 64] |= BIT_ULL(k % 64);
			}
			pt = leaf_table(fmt, root, region, &c);
			if (pt)
				tdp_protect_leaf_table(op, pt, mask, fmt->writable);
		}
	}
}

long tdp_dirty_ring_harvest(struct tdp_vcpu *v, struct tdp_vcpu *owner, gfn_t *out,
			    u64 max)
{
	struct tdp_dirty_ring *ring = &owner->ring;
	struct tdp_op op;
	u64 head, n, i;

	if (!ring->gfns)
		return -EINVAL;
	tdp_op_init(&op, v);
	tdp_vcpu_read_lock(v);
	tdp_dirty_sync(v->mmu);	/* faults that made a leaf writable have pushed */
	head = ring->head;
	n = MIN(load_acquire64(&ring->tail) - head, max);
	for (i = 0; i < n; i++)
		out[i] = ring->gfns[(head + i) & (ring->size - 1)];
	store_release64(&ring->head, head + n);
	/* Protected after it was read, as the bitmap's bits after they are taken. */
	protect_gfns(&op, out, n);
	tdp_op_flush_and_retire(&op);	/* before the report */
	tdp_vcpu_read_unlock(v);
	return (long)n;
}
