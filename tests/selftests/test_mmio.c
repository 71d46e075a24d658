// SPDX-License-Identifier: MIT
/*
 * mmio: a GPA range with no memory slot is an emulated test device (a file
 * of registers).  The guest's 8/16/32/64-bit volatile loads and stores, in
 * the MOV/MOVZX/MOVSX forms the compiler emits, are decoded and emulated.
 * After the first access the range is recognised by its MMIO marker SPTEs,
 * without a memory-slot lookup.
 */
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vm/test_vm.h"

#define MMIO_GPA 0xc0000000ULL
#define MMIO_BYTES PAGE_SIZE

static struct test_vm tvm;
static u8 regs[MMIO_BYTES];

static struct vm_mmio_dev regdev = {
	.name = "test-regs", .base = MMIO_GPA, .size = MMIO_BYTES, .priv = regs, TEST_VM_REGS_OPS,
};

static void guest_mmio(struct guest_shared *sh)
{
	volatile u8 *b = (volatile u8 *)(uintptr_t)MMIO_GPA;
	volatile u16 *w = (volatile u16 *)(uintptr_t)(MMIO_GPA + 0x10);
	volatile u32 *d = (volatile u32 *)(uintptr_t)(MMIO_GPA + 0x20);
	volatile u64 *q = (volatile u64 *)(uintptr_t)(MMIO_GPA + 0x40);
	volatile s8 *sb = (volatile s8 *)(uintptr_t)(MMIO_GPA + 0x80);
	volatile s16 *sw = (volatile s16 *)(uintptr_t)(MMIO_GPA + 0x90);
	u64 i, sum = 0;

	*b = 0xa5;
	*w = 0xbeef;
	*d = 0xdeadbeef;
	*q = 0x0123456789abcdefULL;
	*sb = -5;
	*sw = -300;
	GUEST_ASSERT_EQ(*b, 0xa5);
	GUEST_ASSERT_EQ(*w, 0xbeef);
	GUEST_ASSERT_EQ(*d, 0xdeadbeef);
	GUEST_ASSERT_EQ(*q, 0x0123456789abcdefULL);
	GUEST_ASSERT_EQ((s64)*sb, -5);		/* MOVSX */
	GUEST_ASSERT_EQ((s64)*sw, -300);
	GUEST_ASSERT_EQ((u64)b[1], 0);		/* MOVZX of an untouched byte */
	sh->arg[0] = *q + *d;
	GUEST_SYNC(1);
	for (i = 0; i < 32; i++) {		/* now through the markers */
		q[i % 4] = i;
		sum += q[i % 4];
	}
	GUEST_ASSERT_EQ(sum, 31 * 32 / 2);
	GUEST_SYNC(2);
}

KTEST(mmio)
{
	u64 used = page_pool_used(&hv_pool), lookups, hits, exits;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	memset(regs, 0, sizeof(regs));
	regdev.reads = regdev.writes = 0;
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "mmio", guest_mmio), 0);
	if (!KT_EXPECT_EQ(t, vm_add_mmio(&tvm.vm, &regdev), 0) ||
	    !KT_EXPECT_EQ(t, test_vm_map_guest(&tvm, MMIO_GPA, MMIO_BYTES), 0))
		goto out;
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	KT_EXPECT_EQ(t, tvm.ev.value, 1);
	KT_EXPECT_EQ(t, regs[0], 0xa5);
	KT_EXPECT_EQ(t, *(u64 *)(regs + 0x40), 0x0123456789abcdefULL);
	KT_EXPECT_EQ(t, tvm.shared->arg[0], 0x0123456789abcdefULL + 0xdeadbeef);
	KT_EXPECT(t, regdev.writes >= 6 && regdev.reads >= 7);
	lookups = vm_stats(&tvm.vm).mmio_slot_lookups;
	hits = vm_stats(&tvm.vm).mmio_marker_hits;
	exits = vm_stats(&tvm.vm).mmio_exits;

	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	KT_EXPECT_EQ(t, tvm.ev.value, 2);
	KT_EXPECT_EQ(t, vm_stats(&tvm.vm).mmio_exits - exits, 64);
	KT_EXPECT_EQ(t, vm_stats(&tvm.vm).mmio_marker_hits - hits, 64);
	KT_EXPECT_EQ(t, vm_stats(&tvm.vm).mmio_slot_lookups, lookups);	/* markers only */
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
out:
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}
