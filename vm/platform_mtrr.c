// SPDX-License-Identifier: MIT
/*
 * The platform VM's MTRRs: the guest's view of them, the TDP leaves' types
 * that follow it, and the hardware's, which always keep the hypervisor's
 * memory WB (docs/platform.md, "Memory types").
 */
#include "platform_int.h"
#include "arch/guard.h"
#include "arch/memtype.h"
#include "arch/msr.h"
#include "arch/mtrr.h"
#include "arch/x86.h"
#include "lock.h"
#include "errcode.h"
#include "lib/printk.h"
#include "vm/vm.h"

/*
 * The MTRRs three ways: as the guest last wrote them (its view: reads
 * answer it); as the TDP leaves follow them (the guest's last enabled
 * configuration); and as the hardware holds them -- the guest's last
 * configuration that kept every hypervisor range WB (platform_mtrr()).
 */
static struct mtrr_state mtrr;
static struct mtrr_state mtrr_map;
static struct mtrr_state mtrr_hw;
static spinlock_t mtrr_lock = SPINLOCK_INIT;
static u64 mtrr_held;		/* guest configurations the hardware did not take */
/* The MTRR MSRs, which exit (the start of the platform VM's MSR list). */
static const u32 *msr_exits;
static unsigned int nmtrr_msrs;
/*
 * Brings the TDP map from mtrr_map to mtrr: every MSR that differs is
 * applied to mtrr_map in turn, and the range its write can retype is
 * zapped so that it refaults with the new type and page size.  Returns
 * the number of ranges zapped.
 */
static unsigned int mtrr_retype(struct vcpu *v)
{
	unsigned int i, n = 0;
	u64 start, end, val;
	u32 msr;

	for (i = 0; i < nmtrr_msrs; i++) {
		msr = msr_exits[i];
		val = mtrr_state_read(&mtrr, msr);
		if (mtrr_state_read(&mtrr_map, msr) == val)
			continue;
		mtrr_msr_range(&mtrr_map, msr, val, &start, &end);
		mtrr_state_write(&mtrr_map, msr, val);
		if (start < end) {
			if (tdp_mmu_zap_range(&v->tdp, gpa_to_gfn(start), gpa_to_gfn(end)))
				v->stats.tdp_zaps++;
			pr_debug("platform: MTRR 0x%x = 0x%llx: [0x%llx-0x%llx) refaults with its "
				 "new type\n", msr, (unsigned long long)val,
				 (unsigned long long)start, (unsigned long long)end);
			n++;
		}
	}
	return n;
}

/*
 * Brings this CPU's MTRRs to the guest's view, which keeps every
 * hypervisor range WB: each MSR that differs is written, between WBINVDs
 * and with the MTRRs off (the SDM's update sequence, without CR0.CD: no
 * guest runs on this CPU meanwhile).  On AMD, where the hardware's MTRRs
 * apply to the guest's accesses and the NPT leaves make up the difference
 * (platform_memtype()), the ranges whose hardware type changed are zapped.
 */
static void mtrr_sync_hw(struct vcpu *v)
{
	u64 start, end, cur, def = mtrr_state_read(&mtrr, MSR_IA32_MTRR_DEF_TYPE);
	bool off = false;
	unsigned int i;
	u32 msr;

	for (i = 0; i < nmtrr_msrs; i++) {
		msr = msr_exits[i];
		if (mtrr_state_read(&mtrr_hw, msr) != mtrr_state_read(&mtrr, msr) &&
		    !virt->features->leaf_memtype) {
			mtrr_msr_range(&mtrr_hw, msr, mtrr_state_read(&mtrr, msr), &start, &end);
			if (start < end && tdp_mmu_zap_range(&v->tdp, gpa_to_gfn(start),
							     gpa_to_gfn(end)))
				v->stats.tdp_zaps++;
		}
		mtrr_state_write(&mtrr_hw, msr, mtrr_state_read(&mtrr, msr));
		if (msr == MSR_IA32_MTRR_DEF_TYPE || !rdmsr_safe(msr, &cur) ||
		    cur == mtrr_state_read(&mtrr, msr))
			continue;
		if (!off) {
			wbinvd();
			wrmsr_safe(MSR_IA32_MTRR_DEF_TYPE, def & ~MTRR_DEF_E);
			off = true;
		}
		wrmsr_safe(msr, mtrr_state_read(&mtrr, msr));
	}
	if (off || (rdmsr_safe(MSR_IA32_MTRR_DEF_TYPE, &cur) && cur != def)) {
		wbinvd();
		wrmsr_safe(MSR_IA32_MTRR_DEF_TYPE, def);
	}
}

/*
 * A guest access to an MTRR.  Reads answer the guest's own view.  A write
 * the CPU would refuse gets #GP; any other is the guest's (its view keeps
 * it), and reaches the hardware only when the guest's whole configuration
 * keeps every hypervisor range WB: until then the hardware keeps the last
 * one that did (an OS switches its MTRRs off while it rewrites them, so it
 * is usually the next DEF_TYPE write that lets the hardware follow).  The
 * TDP leaves follow the guest's view (platform_memtype()).
 *
 * The TDP map follows the MTRRs' *enabled* configurations: while the guest
 * has them disabled (DEF_TYPE.E clear) -- which an OS does only inside its
 * MTRR update protocol, with CR0.CD set, so its accesses are uncached
 * anyway -- the leaves keep their types, and when it enables them again
 * only what differs from the last enabled configuration is zapped.  Linux
 * rewrites its MTRRs with the same values at boot: nothing is zapped then,
 * and no mapping of the running kernel (its stacks, its IDT) disappears
 * under it.
 */
int platform_mtrr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	int r = 0;

	/* Each CPU writes its own MTRRs; the views follow all CPUs' writes, one
	 * CPU at a time (an OS rewrites them on every CPU at once). */
	spin_lock(&mtrr_lock);
	if (!write) {
		*val = mtrr_state_read(&mtrr, msr);
		goto out;
	}
	if (!mtrr_msr_valid(&mtrr, msr, *val)) {
		r = -EPERM;
		goto out;
	}
	mtrr_state_write(&mtrr, msr, *val);
	v->stats.mtrr_writes++;
	if (guard_mtrr_keeps_wb(platform_guard_ranges(), &mtrr))
		mtrr_sync_hw(v);
	else if (mtrr.def_type & MTRR_DEF_E)	/* not the update protocol's off phase */
		mtrr_held++;
	if (mtrr.def_type & MTRR_DEF_E)
		v->stats.mtrr_zaps += mtrr_retype(v);
out:
	spin_unlock(&mtrr_lock);
	return r;
}

/*
 * The memory type and largest page of a TDP fault (a tdp_memtype_fn; ctx
 * unused): a page may only span one type of the guest's MTRRs (mtrr_map),
 * and on AMD one type of the hardware's (mtrr_hw) too.  EPT leaves carry
 * the guest's type (the CPU combines it with the guest's PAT and ignores
 * the MTRRs).  NPT leaves are WB where the hardware's MTRRs give the
 * guest's type, since the CPU applies those on top; where the hardware
 * kept a hypervisor range WB against the guest's wish, the leaf carries
 * the guest's type (UC or WT over WB gives that type).
 * Guest-physical is host-physical here, so [gfn, gfn + npages) is asked of
 * the host's MTRRs as it is.
 */
bool platform_memtype(void *ctx, gfn_t gfn, u64 npages, enum tdp_memtype *mt)
{
	/* An MTRR type is a TDP leaf's type: both use the architectural encodings. */
	_Static_assert(MT_UC == (int)X86_MT_UC && MT_WC == (int)X86_MT_WC &&
		       MT_WT == (int)X86_MT_WT && MT_WP == (int)X86_MT_WP &&
		       MT_WB == (int)X86_MT_WB, "enum tdp_memtype must use the x86 encodings");
	enum x86_memtype t, hw;
	u64 start = gfn_to_gpa(gfn), end;

	(void)ctx;
	if (!npages || gfn > (~0ULL >> PAGE_SHIFT) - npages)
		return false;
	end = gfn_to_gpa(gfn + npages);
	if (mtrr_range_type(&mtrr_map, start, end, &t))
		return false;
	if (virt->features->leaf_memtype) {
		*mt = (enum tdp_memtype)t;
		return true;
	}
	if (mtrr_range_type(&mtrr_hw, start, end, &hw))
		return false;
	*mt = hw == t ? MT_WB : (enum tdp_memtype)t;
	return true;
}

/* After S3: this CPU's MTRRs as the hardware's view says (the firmware's
 * resume path loaded its own). */
void platform_mtrr_restore(void)
{
	u64 def = mtrr_state_read(&mtrr_hw, MSR_IA32_MTRR_DEF_TYPE), cur;
	unsigned int i;

	spin_lock(&mtrr_lock);
	wbinvd();
	wrmsr_safe(MSR_IA32_MTRR_DEF_TYPE, def & ~MTRR_DEF_E);
	for (i = 0; i < nmtrr_msrs; i++)
		if (msr_exits[i] != MSR_IA32_MTRR_DEF_TYPE && rdmsr_safe(msr_exits[i], &cur) &&
		    cur != mtrr_state_read(&mtrr_hw, msr_exits[i]))
			wrmsr_safe(msr_exits[i], mtrr_state_read(&mtrr_hw, msr_exits[i]));
	wbinvd();
	wrmsr_safe(MSR_IA32_MTRR_DEF_TYPE, def);
	spin_unlock(&mtrr_lock);
}

unsigned int platform_mtrr_setup(unsigned int phys_bits, u32 *msrs, unsigned int max)
{
	mtrr_snapshot_read(&mtrr, phys_bits);
	mtrr_snapshot_print(&mtrr);
	mtrr_map = mtrr;
	mtrr_hw = mtrr;
	msr_exits = msrs;
	nmtrr_msrs = mtrr_msr_list(&mtrr, msrs, max);
	return nmtrr_msrs;
}

bool platform_mtrr_msr(u32 msr)
{
	return mtrr_is_mtrr_msr(&mtrr, msr);
}

bool platform_mtrr_keeps_wb(void)
{
	return guard_mtrr_keeps_wb(platform_guard_ranges(), &mtrr);
}

u64 platform_mtrr_held(void)
{
	return mtrr_held;
}
