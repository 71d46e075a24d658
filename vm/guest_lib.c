// SPDX-License-Identifier: MIT
/*
 * Guest-side C runtime of the test VMs.  Everything here runs inside a
 * guest: it may touch only guest memory (the shared page, its stack) and
 * talk to the host through hypercalls.
 */
#include "vm/guest.h"
#include "vm/test_vm.h"
#include "arch/exception.h"
#include "arch/trapnr.h"
#include "arch/cr.h"

#define KERNEL_CS 0x08
#define KERNEL_SS 0x10

void guest_rt_main(guest_fn fn, struct guest_shared *sh);
void guest_exception_dispatch(struct exc_frame *f);

void guest_rt_main(guest_fn fn, struct guest_shared *sh)
{
	fn(sh);
	GUEST_DONE();
}

/* A #UD the test asked for is counted and skipped; anything else is
 * reported to the host as a failed assertion and the vCPU halts. */
void guest_exception_dispatch(struct exc_frame *f)
{
	struct guest_shared *sh = (struct guest_shared *)(uintptr_t)TEST_VM_SHARED_GPA;

	sh->exc_count++;
	sh->last_vector = f->vector;
	if (sh->resume_rip) {
		/* guest_fuzz_run(): the op ends here, whatever it was doing */
		f->rax = f->vector + 1;
		f->rip = sh->resume_rip;
		f->rsp = sh->resume_rsp;
		f->cs = KERNEL_CS;
		f->ss = KERNEL_SS;
		f->rflags = (f->rflags & X86_RFLAGS_IF) | X86_RFLAGS_FIXED;
		return;
	}
	if (f->vector == UD_VECTOR && (f->cs & 3) == 3 && sh->user_rip) {
		/* guest_user_hypercall(): back to CPL 0 where it left off */
		sh->ud_count++;
		sh->user_fault_rip = f->rip;
		f->cs = KERNEL_CS;
		f->ss = KERNEL_SS;
		f->rip = sh->user_rip;
		f->rsp = sh->user_rsp;
		sh->user_rip = 0;
		return;
	}
	if (f->vector == DB_VECTOR && sh->db_expected) {
		u64 dr6;

		__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
		sh->db_count++;
		sh->db_rip = f->rip;
		sh->db_dr6 = dr6;
		__asm__ volatile("mov %0, %%dr6" ::"r"(X86_DR6_RESET));
		if (f->rip != sh->db_hold_rip)
			f->rflags &= ~X86_RFLAGS_TF;
		return;
	}
	if (sh->return_vector && f->vector == sh->return_vector) {
		sh->return_count++;
		return;
	}
	if (f->vector == UD_VECTOR && sh->ud_skip) {
		sh->ud_count++;
		f->rip += sh->ud_skip;
		return;
	}
	if (sh->fault_resume) {
		u64 cr2;

		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		sh->fault_vector = f->vector;
		sh->fault_error = f->error;
		sh->fault_cr2 = cr2;
		f->rip = sh->fault_resume;
		sh->fault_resume = 0;
		return;
	}
	guest_hypercall(HC_TEST_ASSERT, (u64)(uintptr_t)__FILE__, __LINE__,
			(u64)(uintptr_t)"unexpected exception in the guest", f->vector);
	guest_halt();
}
