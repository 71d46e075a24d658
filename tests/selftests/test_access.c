// SPDX-License-Identifier: MIT
/*
 * access_tracking: the guest touches a known subset of pages; the TDP MMU's
 * test-and-clear-young reports exactly those (4 KiB mappings, so mapping
 * granularity is the page), and a pass without touches reports none.
 */
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vm/test_vm.h"

#define AT_GPA (5ULL << 30)
#define AT_PAGES 256ULL
#define AT_STRIDE 3	/* the guest touches every third page */

static struct test_vm tvm;
static u64 young[AT_PAGES / 64];

static void guest_touch_some(struct guest_shared *sh)
{
	u64 i;

	for (i = 0; i < AT_PAGES; i++)		/* map everything */
		(void)*(volatile u64 *)(uintptr_t)(AT_GPA + i * PAGE_SIZE);
	GUEST_SYNC(0);
	for (i = 0; i < AT_PAGES; i += AT_STRIDE)
		(void)*(volatile u64 *)(uintptr_t)(AT_GPA + i * PAGE_SIZE);
	GUEST_SYNC(1);
	GUEST_SYNC(2);				/* no touches at all */
}

/* Ages the slot and flushes, so the next touch walks the tables again. */
static u64 age(void)
{
	u64 n;

	memset(young, 0, sizeof(young));
	n = tdp_mmu_age_range(&tvm.vcpu.tdp, gpa_to_gfn(AT_GPA),
			      gpa_to_gfn(AT_GPA) + AT_PAGES, young);
	tvm.vm.mmu.ops->flush_tlbs(&tvm.vm.mmu);
	return n;
}

KTEST(access_tracking)
{
	u64 used = page_pool_used(&hv_pool), i, wrong = 0;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "access_tracking", guest_touch_some), 0);
	tvm.vm.policy.max_level = TDP_LEVEL_4K;
	if (!KT_EXPECT(t, test_vm_add_memory(&tvm, AT_GPA, AT_PAGES * PAGE_SIZE, 0, NULL)))
		goto out;
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	KT_EXPECT_EQ(t, age(), AT_PAGES);	/* all young after the first touch */

	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	KT_EXPECT_EQ(t, age(), (AT_PAGES + AT_STRIDE - 1) / AT_STRIDE);
	for (i = 0; i < AT_PAGES; i++)
		wrong += !!(young[i / 64] & BIT_ULL(i % 64)) != (i % AT_STRIDE == 0);
	KT_EXPECT_EQ(t, wrong, 0);

	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	KT_EXPECT_EQ(t, age(), 0);
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
out:
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}
