// SPDX-License-Identifier: MIT
/*
 * gpa_mapping: HC_GPA_MAPPING, called by a test VM, tells what its TDP root
 * maps a GPA to -- and asking faults nothing in:
 *   - an untouched page reads as absent, and stays unmapped (no TDP fault
 *     in its slot);
 *   - after a read, a 2 MiB slot on 2 MiB-aligned frames is one 2 MiB leaf,
 *     RWX, WB, at the host address behind the GPA;
 *   - the guest's own code (hv.efi's image, a read-only slot mapped at its
 *     own address) is R and X without W, host address = GPA;
 *   - an output struct that runs past the end of guest memory gets -EFAULT
 *     and nothing is written; a GPA beyond the root gets -EINVAL.
 */
#include "errcode.h"
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vm/test_vm.h"

#define GM_DATA_GPA (1ULL << 30)	/* 2 MiB, read by the guest */
#define GM_IDLE_GPA (3ULL << 30)	/* 4 KiB, never touched */
#define GM_BUF_GPA (2ULL << 30)		/* 4 KiB: the output structs */
#define GM_OFF 0x1234
#define GM_CANARY 0xc5

static struct test_vm tvm;

static long gm_call(u64 gpa, u64 out)
{
	return guest_hypercall(HC_GPA_MAPPING, gpa, out, 0, 0);
}

static void guest_gpa_mapping(struct guest_shared *sh)
{
	struct hc_gpa_mapping *out = (struct hc_gpa_mapping *)(uintptr_t)GM_BUF_GPA;

	sh->arg[0] = (u64)gm_call(GM_DATA_GPA + GM_OFF, (u64)(uintptr_t)&out[0]);
	sh->arg[1] = *(volatile u64 *)(uintptr_t)(GM_DATA_GPA + GM_OFF);
	sh->arg[2] = (u64)gm_call(GM_DATA_GPA + GM_OFF, (u64)(uintptr_t)&out[1]);
	sh->arg[3] = (u64)gm_call((u64)(uintptr_t)guest_gpa_mapping, (u64)(uintptr_t)&out[2]);
	sh->arg[4] = (u64)gm_call(GM_IDLE_GPA, (u64)(uintptr_t)&out[3]);
	sh->arg[5] = (u64)gm_call(GM_DATA_GPA, GM_BUF_GPA + PAGE_SIZE - 8);
	sh->arg[6] = (u64)gm_call(1ULL << 60, (u64)(uintptr_t)&out[4]);
	GUEST_DONE();
}

KTEST(gpa_mapping)
{
	u64 used = page_pool_used(&hv_pool), i, bad = 0;
	const struct hc_gpa_mapping *out;
	struct mm_slot *idle;
	u64 code = (u64)(uintptr_t)guest_gpa_mapping;
	u8 *data, *buf;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "gpa_mapping", guest_gpa_mapping), 0);
	data = test_vm_add_memory(&tvm, GM_DATA_GPA, 2ULL << 20, 0, NULL);
	buf = test_vm_add_memory(&tvm, GM_BUF_GPA, PAGE_SIZE, 0, NULL);
	if (!KT_EXPECT(t, data && buf &&
		       test_vm_add_memory(&tvm, GM_IDLE_GPA, PAGE_SIZE, 0, &idle))) {
		test_vm_destroy(&tvm);
		return;
	}
	memset(buf, GM_CANARY, PAGE_SIZE);
	*(u64 *)(data + GM_OFF) = 0xda7a;
	out = (const struct hc_gpa_mapping *)buf;

	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
	KT_EXPECT_EQ(t, tvm.shared->arg[1], 0xda7a);
	/* Before the guest's first read: absent. */
	KT_EXPECT_EQ(t, tvm.shared->arg[0], 0);
	KT_EXPECT_EQ(t, out[0].gpa, GM_DATA_GPA + GM_OFF);
	KT_EXPECT_EQ(t, out[0].present, 0);
	/* After it: one 2 MiB leaf, RWX, WB, at the host frame behind it. */
	KT_EXPECT_EQ(t, tvm.shared->arg[2], 0);
	KT_EXPECT_EQ(t, out[1].present, 1);
	KT_EXPECT_EQ(t, out[1].level, HC_LEVEL_2M);
	KT_EXPECT_EQ(t, out[1].perms, HC_PERM_R | HC_PERM_W | HC_PERM_X);
	KT_EXPECT_EQ(t, out[1].memtype, HC_MT_WB);
	KT_EXPECT_EQ(t, out[1].hpa, (u64)(uintptr_t)data + GM_OFF);
	/* The guest's code: hv.efi's image, read-only, mapped at its own address. */
	KT_EXPECT_EQ(t, tvm.shared->arg[3], 0);
	KT_EXPECT_EQ(t, out[2].present, 1);
	KT_EXPECT_EQ(t, out[2].perms, HC_PERM_R | HC_PERM_X);
	KT_EXPECT_EQ(t, out[2].hpa, code);
	KT_EXPECT_EQ(t, out[2].memtype, HC_MT_WB);
	/* Never touched, only asked about: absent, and not faulted in. */
	KT_EXPECT_EQ(t, tvm.shared->arg[4], 0);
	KT_EXPECT_EQ(t, out[3].present, 0);
	KT_EXPECT_EQ(t, vm_stats(&tvm.vm).slot_faults[idle->id], 0);
	/* Refused calls write nothing. */
	KT_EXPECT_EQ(t, (s64)tvm.shared->arg[5], -EFAULT);
	KT_EXPECT_EQ(t, (s64)tvm.shared->arg[6], -EINVAL);
	for (i = 4 * sizeof(*out); i < PAGE_SIZE; i++)
		bad += buf[i] != GM_CANARY;
	KT_EXPECT_EQ(t, bad, 0);
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}
