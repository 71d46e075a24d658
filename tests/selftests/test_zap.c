// SPDX-License-Identifier: MIT
/*
 * zap_transparent: the host zaps mappings between guest steps -- a few
 * leaves, a whole 2 MiB table, then everything -- and the guest neither
 * notices nor loses data; each zapped page it touches again refaults once.
 *
 * remap_flush: the host points a GFN at a different backing page, zaps and
 * flushes; the guest must read the new page's value on its next access (a
 * stale TLB entry would show the old one).
 */
#include "lib/ktest.h"
#include "mm/page_alloc.h"
#include "vm/test_vm.h"

#define ZT_GPA (2ULL << 30)
#define ZT_BYTES (4ULL << 20)
#define ZT_PAGES (ZT_BYTES >> PAGE_SHIFT)

static struct test_vm tvm;

static u64 zt_value(u64 gpa)
{
	return gpa * 3 + 1;
}

static void guest_write_then_reread(struct guest_shared *sh)
{
	u64 gpa, step;

	for (gpa = ZT_GPA; gpa < ZT_GPA + ZT_BYTES; gpa += PAGE_SIZE)
		*(volatile u64 *)(uintptr_t)gpa = zt_value(gpa);
	GUEST_SYNC(0);
	for (step = 1; step <= 3; step++) {
		for (gpa = ZT_GPA; gpa < ZT_GPA + ZT_BYTES; gpa += PAGE_SIZE)
			GUEST_ASSERT_EQ(*(volatile u64 *)(uintptr_t)gpa, zt_value(gpa));
		GUEST_SYNC(step);
	}
}

/* Runs to the next sync and returns the slot's fault count since *last. */
static u64 step_faults(struct ktest_ctx *t, struct mm_slot *slot, u64 step, u64 *last)
{
	u64 now, delta;

	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	KT_EXPECT_EQ(t, tvm.ev.value, step);
	now = vm_stats(&tvm.vm).slot_faults[slot->id];
	delta = now - *last;
	*last = now;
	return delta;
}

KTEST(zap_transparent)
{
	u64 used = page_pool_used(&hv_pool), last = 0;
	gfn_t g0 = gpa_to_gfn(ZT_GPA);
	struct tdp_vcpu *tv = &tvm.vcpu.tdp;
	struct mm_slot *slot;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "zap_transparent", guest_write_then_reread), 0);
	tvm.vm.policy.max_level = TDP_LEVEL_4K;
	if (!KT_EXPECT(t, test_vm_add_memory(&tvm, ZT_GPA, ZT_BYTES, 0, &slot)))
		goto out;
	KT_EXPECT_EQ(t, step_faults(t, slot, 0, &last), ZT_PAGES);

	KT_EXPECT(t, tdp_mmu_zap_range(tv, g0 + 10, g0 + 20));		/* leaves */
	KT_EXPECT_EQ(t, step_faults(t, slot, 1, &last), 10);

	KT_EXPECT(t, tdp_mmu_zap_range(tv, g0 + 512, g0 + 1024));	/* a whole table */
	KT_EXPECT_EQ(t, step_faults(t, slot, 2, &last), 512);

	KT_EXPECT(t, tdp_mmu_zap_all(tv));				/* everything */
	KT_EXPECT_EQ(t, step_faults(t, slot, 3, &last), ZT_PAGES);
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
out:
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}

#define RF_GPA (3ULL << 30)

static void guest_read_twice(struct guest_shared *sh)
{
	volatile u64 *p = (volatile u64 *)(uintptr_t)RF_GPA;

	sh->arg[0] = *p;
	GUEST_SYNC(1);
	sh->arg[1] = *p;
	GUEST_SYNC(2);
}

KTEST(remap_flush)
{
	u64 used = page_pool_used(&hv_pool);
	struct mm_slot *slot;
	u64 *pages;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "remap_flush", guest_read_twice), 0);
	/* Two pages of backing; the slot shows only the first. */
	pages = test_vm_add_memory(&tvm, RF_GPA, 2 * PAGE_SIZE, 0, &slot);
	if (!KT_EXPECT(t, pages != NULL))
		goto out;
	slot->npages = 1;
	pages[0] = 0x1111;
	pages[PAGE_SIZE / 8] = 0x2222;
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	KT_EXPECT_EQ(t, tvm.shared->arg[0], 0x1111);

	slot->host_pfn += 1;	/* same GFN, other host page */
	KT_EXPECT(t, tdp_mmu_zap_range(&tvm.vcpu.tdp, gpa_to_gfn(RF_GPA), gpa_to_gfn(RF_GPA) + 1));
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	KT_EXPECT_EQ(t, tvm.shared->arg[1], 0x2222);
	slot->host_pfn -= 1;
out:
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}
