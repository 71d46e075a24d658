// SPDX-License-Identifier: MIT
/*
 * machine_check: a machine check the host takes while it runs (here the
 * host's own #MC handler, entered with INT 18 over error banks the test
 * writes) is kept on its CPU and given to the guest of that CPU at its next
 * entry, once; a guest with CR4.MCE clear shuts down instead, as a CPU
 * would, and the VM dies saying so.  A machine check the CPU cannot
 * restart from (MCG_STATUS.RIPV clear) is not kept.  The CPU must let the
 * machine-check MSRs be written (QEMU's do; the test skips where they
 * refuse).
 */
#include "arch/cr.h"
#include "arch/mce.h"
#include "arch/percpu.h"
#include "arch/trapnr.h"
#include "arch/x86.h"
#include "lib/ktest.h"
#include "lib/string.h"
#include "vm/test_vm.h"

#define MCE_TEST_BANK 1
#define MCE_TEST_STATUS (MCI_STATUS_VAL | MCI_STATUS_UC | MCI_STATUS_EN)

static struct test_vm tvm;

/* arg[0]: CR4.MCE on (1) or off (0).  After the first sync the host has a
 * machine check pending for the guest. */
static void guest_mce(struct guest_shared *sh)
{
	u64 cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 = sh->arg[0] ? cr4 | X86_CR4_MCE : cr4 & ~X86_CR4_MCE;
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4) : "memory");
	sh->return_vector = MC_VECTOR;
	GUEST_SYNC(0);
	sh->arg[1] = sh->return_count;
	sh->return_vector = 0;
}

static bool death_says(const char *what)
{
	return strstr(tvm.vm.death, what) != NULL;
}

/* The host's #MC handler over banks that say: may restart, in progress. */
static void host_machine_check(void)
{
	__asm__ volatile("int $18" ::: "memory");
}

static bool banks_set(u64 mcg_status)
{
	return wrmsr_safe(MSR_IA32_MCG_STATUS, mcg_status) &&
	       wrmsr_safe(MSR_IA32_MC0_STATUS + 4 * MCE_TEST_BANK, MCE_TEST_STATUS);
}

static void banks_clear(void)
{
	wrmsr_safe(MSR_IA32_MC0_STATUS + 4 * MCE_TEST_BANK, 0);
	wrmsr_safe(MSR_IA32_MCG_STATUS, 0);
}

KTEST(machine_check_in_the_host_goes_to_the_guest)
{
	struct mce_record r;
	u64 nbanks = 0;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	if (!mce_supported() || !rdmsr_safe(MSR_IA32_MCG_CAP, &nbanks) ||
	    (nbanks & MCG_CAP_COUNT_MASK) <= MCE_TEST_BANK)
		KT_SKIP(t, "no machine-check architecture with 2 banks");
	if (!banks_set(MCG_STATUS_MCIP)) {
		banks_clear();
		KT_SKIP(t, "the machine-check MSRs refuse writes here");
	}
	/* Cannot restart: not kept (the handler's caller panics). */
	KT_EXPECT(t, !mce_host_trap());
	KT_EXPECT_EQ(t, this_cpu()->host_mces, 0);

	/* CR4.MCE set: the guest's handler gets it, once. */
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "mce", guest_mce), 0);
	tvm.shared->arg[0] = 1;
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	KT_EXPECT(t, banks_set(MCG_STATUS_RIPV | MCG_STATUS_MCIP));
	host_machine_check();
	KT_EXPECT_EQ(t, this_cpu()->host_mces, 1);
	mce_read(&r);
	KT_EXPECT_EQ(t, r.nvalid, 1);
	KT_EXPECT_EQ(t, r.valid[0].bank, MCE_TEST_BANK);
	KT_EXPECT_EQ(t, r.valid[0].status, MCE_TEST_STATUS);
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
	KT_EXPECT_EQ(t, tvm.shared->arg[1], 1);
	KT_EXPECT_EQ(t, tvm.vcpu.stats.machine_checks, 1);
	KT_EXPECT_EQ(t, this_cpu()->host_mces, 0);
	test_vm_destroy(&tvm);

	/* CR4.MCE clear: the guest shuts down. */
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "mce_off", guest_mce), 0);
	tvm.shared->arg[0] = 0;
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	host_machine_check();
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DEAD);
	KT_EXPECT(t, death_says("machine check with CR4.MCE clear"));
	KT_EXPECT_EQ(t, tvm.shared->arg[1], 0);
	test_vm_destroy(&tvm);
	banks_clear();
}
