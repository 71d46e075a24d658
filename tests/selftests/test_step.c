// SPDX-License-Identifier: MIT
/*
 * A guest single-stepping (RFLAGS.TF) over instructions the hypervisor
 * performs for it: the #DB must come right after each, with DR6.BS set,
 * as on a CPU -- not one instruction late, which is what a guest gets
 * when the hypervisor only moves RIP past the instruction.
 */
#include "arch/cr.h"
#include "lib/ktest.h"
#include "vm/test_vm.h"

static struct test_vm tvm;

static void guest_steps(struct guest_shared *sh)
{
	sh->db_expected = 1;
	guest_step_cpuid();
	sh->arg[0] = sh->db_count;
	sh->arg[1] = sh->db_rip;
	sh->arg[2] = sh->db_dr6;
	guest_step_hypercall();
	sh->arg[3] = sh->db_count;
	sh->arg[4] = sh->db_rip;
	sh->arg[5] = sh->db_dr6;
	sh->db_expected = 0;
}

KTEST(singlestep_traps_right_after_an_instruction_the_hypervisor_performs)
{
	const u8 *after_hc;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "singlestep", guest_steps), 0);
	after_hc = guest_use_vmmcall ? guest_step_vmmcall_end : guest_step_vmcall_end;
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
	/* CPUID: intercepted on both vendors. */
	KT_EXPECT_EQ(t, tvm.shared->arg[0], 1);
	KT_EXPECT_EQ(t, tvm.shared->arg[1], (u64)(uintptr_t)guest_step_cpuid_end);
	KT_EXPECT(t, tvm.shared->arg[2] & X86_DR6_BS);
	/* The hypercall. */
	KT_EXPECT_EQ(t, tvm.shared->arg[3], 2);
	KT_EXPECT_EQ(t, tvm.shared->arg[4], (u64)(uintptr_t)after_hc);
	KT_EXPECT(t, tvm.shared->arg[5] & X86_DR6_BS);
	test_vm_destroy(&tvm);
}
