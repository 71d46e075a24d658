// SPDX-License-Identifier: MIT
/*
 * Selftests run by hv.efi in built-in test VMs: the guest side is C run by
 * the guest, the host side drives it and checks what it reports.  These are
 * ktests like the others, so one boot runs them all and prints KTAP.
 */
#include "lib/ktest.h"
#include "mm/page_alloc.h"
#include "vm/test_vm.h"

static struct test_vm tvm;

static void guest_sync_three_times(struct guest_shared *sh)
{
	u64 i;

	for (i = 0; i < 3; i++)
		GUEST_SYNC(i);
	sh->arg[0] = 0xfeed;
}

KTEST(vm_guest_syncs_and_finishes)
{
	u64 used = page_pool_used(&hv_pool);
	u64 i;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "sync", guest_sync_three_times), 0);
	for (i = 0; i < 3; i++) {
		KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
		KT_EXPECT_EQ(t, tvm.ev.value, i);
	}
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
	KT_EXPECT_EQ(t, tvm.shared->arg[0], 0xfeed);
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}
