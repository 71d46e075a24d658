// SPDX-License-Identifier: MIT
/*
 * Structure offsets that assembly needs, generated at build time (never typed
 * by hand).  The Makefile compiles this file to assembly and turns each
 * "->NAME value" marker into a NASM "%define NAME value" line in
 * build/include/asm-offsets.inc.
 */
#include <stddef.h>
#include "arch/exception.h"
#include "vm/gpr.h"
#include "vm/guest.h"
#include "vm/guest_fuzz.h"
#include "vm/test_vm.h"
#include "vm/platform.h"
#include "vm/vm.h"
#include "vmx/vmcs.h"

#define DEFINE(sym, val) __asm__ volatile("\n.ascii \"->" #sym " %c0\"" ::"i"(val))
#define OFFSET(sym, type, member) DEFINE(sym, offsetof(type, member))

void asm_offsets(void);
void asm_offsets(void)
{
	DEFINE(EXC_FRAME_SIZE, sizeof(struct exc_frame));
	OFFSET(EXC_FRAME_VECTOR, struct exc_frame, vector);
	OFFSET(EXC_FRAME_RIP, struct exc_frame, rip);

	/* the platform VM's starting state (vm/vm.h) */
	OFFSET(CAPTURE_RIP, struct platform_capture, rip);
	OFFSET(CAPTURE_RSP, struct platform_capture, rsp);
	OFFSET(CAPTURE_RFLAGS, struct platform_capture, rflags);
	OFFSET(LAUNCH_CAP, struct platform_launch_args, cap);
	OFFSET(LAUNCH_HOST, struct platform_launch_args, host);
	OFFSET(LAUNCH_STACK, struct platform_launch_args, host_stack_top);
	OFFSET(AP_START_PREPARE, struct platform_ap_start, prepare);
	OFFSET(AP_START_ENTER, struct platform_ap_start, enter);

	/* the S3 wake-up trampoline's data (vm/platform.h) */
	DEFINE(WAKE_DATA, WAKE_DATA_OFF);
	OFFSET(WAKE_GDTR, struct wake_data, gdtr_limit);
	OFFSET(WAKE_FAR32, struct wake_data, far32);
	OFFSET(WAKE_FAR64, struct wake_data, far64);
	OFFSET(WAKE_TMP_CR3, struct wake_data, tmp_cr3);
	OFFSET(WAKE_EFER, struct wake_data, efer);
	OFFSET(WAKE_CR4, struct wake_data, cr4);
	OFFSET(WAKE_HOST_CR3, struct wake_data, host_cr3);
	OFFSET(WAKE_ENTRY, struct wake_data, entry);
	OFFSET(WAKE_CPU_FN, struct wake_data, cpu_fn);
	OFFSET(WAKE_RUN_FN, struct wake_data, run_fn);
	OFFSET(WAKE_LOCK, struct wake_data, lock);
	OFFSET(WAKE_STACK, struct wake_data, stack_top);
	DEFINE(WAKE_SEL_DATA, WAKE_GDT_DATA);

	/* the test VMs' shared page (vm/guest.h) */
	OFFSET(GUEST_SHARED_USER_RIP, struct guest_shared, user_rip);
	OFFSET(GUEST_SHARED_USER_RSP, struct guest_shared, user_rsp);
	OFFSET(GUEST_SIO_OP, struct guest_sio, op);
	OFFSET(GUEST_SIO_PORT, struct guest_sio, port);
	OFFSET(GUEST_SIO_PTR, struct guest_sio, ptr);
	OFFSET(GUEST_SIO_COUNT, struct guest_sio, count);
	OFFSET(GUEST_SIO_BACKWARDS, struct guest_sio, backwards);
	OFFSET(GUEST_SHARED_RESUME_RIP, struct guest_shared, resume_rip);
	OFFSET(GUEST_SHARED_RESUME_RSP, struct guest_shared, resume_rsp);
	DEFINE(TEST_VM_SHARED, TEST_VM_SHARED_GPA);
	DEFINE(HC_TEST_SYNC_NR, HC_TEST_SYNC);

	/* the guest fuzzer's operations (vm/guest_fuzz.h) */
	OFFSET(FUZZ_OP_A0, struct fuzz_op, a[0]);
	OFFSET(FUZZ_OP_A1, struct fuzz_op, a[1]);
	OFFSET(FUZZ_OP_A2, struct fuzz_op, a[2]);
	OFFSET(FUZZ_OP_A3, struct fuzz_op, a[3]);
	OFFSET(FUZZ_OP_A4, struct fuzz_op, a[4]);
	OFFSET(FUZZ_OP_R0, struct fuzz_op, r[0]);
	OFFSET(FUZZ_OP_R1, struct fuzz_op, r[1]);
	OFFSET(FUZZ_OP_R2, struct fuzz_op, r[2]);
	OFFSET(FUZZ_OP_R3, struct fuzz_op, r[3]);
	OFFSET(FUZZ_OP_CODE, struct fuzz_op, code);
	OFFSET(FUZZ_OP_CODE_LEN, struct fuzz_op, code_len);
	DEFINE(FUZZ_CODE_GPA, FUZZ_ARENA_GPA + FUZZ_CODE_OFFSET);
	DEFINE(FUZZ_SCRATCH, FUZZ_SCRATCH_VA);

	/* indexes of the guest register array (vm/gpr.h) */
	DEFINE(GPR_RAX, GPR_RAX);
	DEFINE(GPR_RCX, GPR_RCX);
	DEFINE(GPR_RDX, GPR_RDX);
	DEFINE(GPR_RBX, GPR_RBX);
	DEFINE(GPR_RSP, GPR_RSP);
	DEFINE(GPR_RBP, GPR_RBP);
	DEFINE(GPR_RSI, GPR_RSI);
	DEFINE(GPR_RDI, GPR_RDI);
	DEFINE(GPR_R8, GPR_R8);
	DEFINE(GPR_R9, GPR_R9);
	DEFINE(GPR_R10, GPR_R10);
	DEFINE(GPR_R11, GPR_R11);
	DEFINE(GPR_R12, GPR_R12);
	DEFINE(GPR_R13, GPR_R13);
	DEFINE(GPR_R14, GPR_R14);
	DEFINE(GPR_R15, GPR_R15);

	/* VMCS field encodings that vmx/vmenter.asm writes (vmx/vmcs.h) */
	DEFINE(VMCS_HOST_RSP, HOST_RSP);
}
