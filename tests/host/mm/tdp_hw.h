/* SPDX-License-Identifier: MIT */
/*
 * A software stand-in for the CPU's two-dimensional page walker, for the
 * host tests: it walks a root the way the hardware does (only the hardware
 * present and permission bits count), and sets accessed and dirty bits with
 * an atomic compare-and-exchange, as the hardware's locked update does,
 * and can keep a page-modification log.  The caller is on the MMU's read
 * side (a vCPU running in the guest).  Its bits are the manuals' numbers
 * (tests/host/hw_bits.h), so a wrong bit in the MMU's format table is a
 * difference, not an agreement; hw_access_cpu() also fills that vCPU's TLB
 * in the fake arch's TLB model.
 */
#ifndef TDPVISOR_TEST_TDP_HW_H
#define TDPVISOR_TEST_TDP_HW_H

#include "mm/tdp_mmu.h"
#include "mm/mm_hooks.h"
#include "lock.h"
#include "fake_arch.h"
#include "hw_bits.h"

enum hw_result {
	HW_OK,
	HW_FAULT,		/* the access needs the MMU (a TDP violation) */
	HW_PML_FULL,		/* the write would log into a full PML: drain it */
};

/*
 * A vCPU's page-modification log (Intel PML), part of the stand-in: while
 * "enable PML" is on, a write that sets a dirty bit appends its GFN; a
 * write that would overflow the log does nothing and reports HW_PML_FULL,
 * and the vendor drains the log into the MMU (tdp_dirty_log_mark()) and
 * lets it retry, as VMX does on a "log full" exit.  The log is on exactly
 * while the MMU wants PML, checked at each access as VMX checks it at each
 * VM entry, and a log turned on starts empty.  lock makes a drain from
 * another thread wait for the access in progress, as kicking that vCPU
 * out of the guest would.
 */
#define HW_PML_ENTRIES 16

struct hw_pml {
	spinlock_t lock;
	struct tdp_mmu *mmu;
	bool on;
	unsigned int n;
	gfn_t gfn[HW_PML_ENTRIES];
};

static inline void hw_pml_init(struct hw_pml *pml, struct tdp_mmu *mmu)
{
	*pml = (struct hw_pml){ .mmu = mmu };
	spin_lock_init(&pml->lock);
}

/*
 * The vendor's drain: hands every logged GFN to the MMU and to seen (when
 * not NULL), then empties the log.  The caller is on the MMU's read side.
 */
static inline void hw_pml_drain(struct hw_pml *pml, void (*seen)(void *ctx, gfn_t gfn),
				void *ctx)
{
	unsigned int i;

	spin_lock(&pml->lock);
	for (i = 0; pml->on && i < pml->n; i++) {
		if (seen)
			seen(ctx, pml->gfn[i]);
		tdp_dirty_log_mark(pml->mmu, pml->gfn[i]);
	}
	pml->n = 0;
	spin_unlock(&pml->lock);
}



/*
 * Checks the leaf's permissions and sets A (and D for a write) atomically,
 * as the hardware does: if the entry changed meanwhile, it is checked
 * again.  A write that sets D logs gfn in pml (when not NULL and on).
 * *leaf receives the entry as the access left it.  The bits are the
 * manuals' (hw_bits.h), not the MMU's format table.
 */
static inline enum hw_result hw_leaf_access(const struct hw_bits *b, u64 *sptep,
					    u64 spte, bool write, gfn_t gfn,
					    struct hw_pml *pml, u64 *leaf)
{
	u64 bits = b->a | (write ? b->d : 0);

	for (;;) {
		bool log = pml && pml->on && write && !(spte & b->d);

		*leaf = spte;
		if (!(spte & b->present) || !(spte & b->read) || (write && !(spte & b->write)))
			return HW_FAULT;
		if (!b->a || (spte & bits) == bits)
			return HW_OK;
		if (log && pml->n == HW_PML_ENTRIES)
			return HW_PML_FULL;
		if (__atomic_compare_exchange_n(sptep, &spte, spte | bits, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			if (log)
				pml->gfn[pml->n++] = gfn;
			*leaf = spte | bits;
			return HW_OK;
		}
	}
}

static inline enum hw_result hw_walk(const struct spte_format *fmt, struct tdp_root *root,
				     gfn_t gfn, bool write, pfn_t *pfn, struct hw_pml *pml,
				     u64 *leaf)
{
	const struct hw_bits *b = hw_bits_of(fmt);
	u64 *pt = root->pt;
	int level;

	for (level = root->level; level >= 1; level--) {
		u64 *sptep = &pt[(gfn >> (9 * (level - 1))) & 511];
		u64 spte = __atomic_load_n(sptep, __ATOMIC_ACQUIRE);
		enum hw_result hr;

		if (!(spte & b->present))
			return HW_FAULT;
		if (level > 1 && !(spte & b->ps)) {
			pt = mm_phys_to_virt(spte & HWB_ADDR);
			continue;
		}
		hr = hw_leaf_access(b, sptep, spte, write, gfn, pml, leaf);
		if (hr == HW_OK)
			*pfn = ((spte & HWB_ADDR) >> 12) + (gfn & ((1ULL << (9 * (level - 1))) - 1));
		return hr;
	}
	return HW_FAULT;
}

/*
 * One guest access to gfn by a vCPU whose page-modification log is pml
 * (NULL: the CPU has none).  *pfn receives the frame it reached, *leaf the
 * leaf as the access left it.  The caller is on the MMU's read side.
 */
static inline enum hw_result hw_access_leaf(const struct spte_format *fmt,
					    struct tdp_root *root, gfn_t gfn, bool write,
					    pfn_t *pfn, struct hw_pml *pml, u64 *leaf)
{
	enum hw_result hr;
	bool on;

	if (!pml)
		return hw_walk(fmt, root, gfn, write, pfn, NULL, leaf);
	spin_lock(&pml->lock);
	on = tdp_mmu_wants_pml(pml->mmu);
	if (on && !pml->on)
		pml->n = 0;
	pml->on = on;
	hr = hw_walk(fmt, root, gfn, write, pfn, pml, leaf);
	spin_unlock(&pml->lock);
	return hr;
}

static inline enum hw_result hw_access_pml(const struct spte_format *fmt,
					   struct tdp_root *root, gfn_t gfn, bool write,
					   pfn_t *pfn, struct hw_pml *pml)
{
	u64 leaf;

	return hw_access_leaf(fmt, root, gfn, write, pfn, pml, &leaf);
}

/*
 * The same access by vCPU cpu of mmu, through its TLB (fake_arch.h): the
 * translation it used is cached, with the write permission and the dirty
 * bit it saw, until mmu's next flush.  The walk does not look the TLB up
 * first, so that A and D bits are set as the MMU's model expects; a stale
 * entry is found by fake_tlb_check() instead.
 */
static inline enum hw_result hw_access_cpu(struct tdp_mmu *mmu, unsigned int cpu,
					   struct tdp_root *root, gfn_t gfn, bool write,
					   pfn_t *pfn, struct hw_pml *pml)
{
	const struct hw_bits *b = hw_bits_of(mmu->fmt);
	enum hw_result hr;
	u64 leaf = 0;

	fake_tlb_lock(cpu);
	hr = hw_access_leaf(mmu->fmt, root, gfn, write, pfn, pml, &leaf);
	if (hr == HW_OK)
		fake_tlb_fill(cpu, mmu, root, gfn, *pfn, leaf & b->write, leaf & b->d);
	fake_tlb_unlock(cpu);
	return hr;
}

/* One guest access to gfn by a CPU without a page-modification log. */
static inline enum hw_result hw_access(const struct spte_format *fmt,
				       struct tdp_root *root, gfn_t gfn,
				       bool write, pfn_t *pfn)
{
	return hw_access_pml(fmt, root, gfn, write, pfn, NULL);
}

#endif
