// SPDX-License-Identifier: MIT
/*
 * demand_paging: the guest touches every page of a 64 MiB slot that the TDP
 * MMU maps only on demand.  With 4 KiB pages forced there is one fault per
 * page; with huge pages allowed, one per 2 MiB region (the slot is smaller
 * than 1 GiB).  Every value the host wrote into the backing memory
 * beforehand must read back correctly in the guest.
 */
#include "lib/ktest.h"
#include "mm/page_alloc.h"
#include "vm/test_vm.h"

#define DP_GPA (4ULL << 30)
#define DP_BYTES (64ULL << 20)
#define DP_PAGES (DP_BYTES >> PAGE_SHIFT)

static struct test_vm tvm;

static u64 pattern(u64 gpa)
{
	return gpa ^ 0x5a5a5a5a00000000ULL;
}

static void guest_touch_every_page(struct guest_shared *sh)
{
	u64 gpa;

	for (gpa = DP_GPA; gpa < DP_GPA + DP_BYTES; gpa += PAGE_SIZE)
		GUEST_ASSERT_EQ(*(volatile u64 *)(uintptr_t)gpa, pattern(gpa));
	GUEST_SYNC(1);
}

/* Runs the guest over a fresh slot with mappings of at most max_level;
 * returns the faults taken in the slot (or ~0 on failure). */
static u64 run_demand_paging(struct ktest_ctx *t, int max_level)
{
	struct mm_slot *slot;
	u64 i, faults = ~0ULL;
	u8 *mem;

	if (test_vm_create(&tvm, "demand_paging", guest_touch_every_page))
		return faults;
	tvm.vm.policy.max_level = max_level;
	mem = test_vm_add_memory(&tvm, DP_GPA, DP_BYTES, 0, &slot);
	if (KT_EXPECT(t, mem != NULL)) {
		for (i = 0; i < DP_PAGES; i++)
			*(u64 *)(mem + (i << PAGE_SHIFT)) = pattern(DP_GPA + (i << PAGE_SHIFT));
		if (KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC))
			faults = vm_stats(&tvm.vm).slot_faults[slot->id];
		KT_EXPECT_EQ(t, tvm.ev.value, 1);
	}
	test_vm_destroy(&tvm);
	return faults;
}

KTEST(demand_paging)
{
	u64 used = page_pool_used(&hv_pool);

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	KT_EXPECT_EQ(t, run_demand_paging(t, TDP_LEVEL_4K), DP_PAGES);
	KT_EXPECT_EQ(t, run_demand_paging(t, TDP_LEVEL_1G), DP_BYTES >> 21);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}
