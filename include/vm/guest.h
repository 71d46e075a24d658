/* SPDX-License-Identifier: MIT */
/*
 * The guest side of the test VMs, as in KVM's selftests: guest code is
 * ordinary C in hv.efi, run by a test VM in 64-bit mode with page tables the
 * host side built (guest-virtual == guest-physical; hv.efi's image is mapped
 * read-only at its own address).  Guest code may call only what is declared
 * here and pure functions (memset, memcpy); never the hypervisor's services.
 */
#ifndef TDPVISOR_VM_GUEST_H
#define TDPVISOR_VM_GUEST_H

#include "types.h"
#include "vm/hypercall.h"

/* Data shared between a test VM's guest code and its host-side test; it
 * lives in guest memory at TEST_VM_SHARED_GPA. */
struct guest_shared {
	u64 ud_skip;		/* non-zero: #UD skips this many bytes */
	u64 ud_count;
	u64 exc_count;
	u64 last_vector;
	u64 arg[16];		/* test-specific */
	/* guest_user_hypercall(): where a #UD at CPL 3 returns to (CPL 0) */
	u64 user_rip, user_rsp;
	u64 user_fault_rip;	/* the CPL 3 instruction that raised #UD */
	/* db_expected: a #DB is recorded (RIP, DR6), TF cleared, and the
	 * guest goes on; otherwise a #DB is an unexpected exception. */
	u64 db_expected, db_count, db_rip, db_dr6;
	u64 db_hold_rip;	/* a #DB at this RIP leaves TF on (REP stepping) */
	/* fault_resume: another exception is recorded (vector, error code,
	 * CR2) and the guest goes on there, once; otherwise it is an
	 * unexpected exception. */
	u64 fault_resume, fault_vector, fault_error, fault_cr2;
	/* resume_rip non-zero: any exception returns there at CPL 0 with
	 * RSP = resume_rsp and RAX = vector + 1 (vm/guest_fuzz.asm). */
	u64 resume_rip, resume_rsp;
	/* return_vector non-zero: an exception with that vector (one the host
	 * injects at an instruction boundary, e.g. #MC) is counted and the
	 * guest goes on where it was. */
	u64 return_vector, return_count;
};

typedef void (*guest_fn)(struct guest_shared *sh);

/* vm/guest_rt.asm */
long guest_hypercall(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3);
void guest_rt_start(void);
void guest_halt(void);
/* Each executes one SVM instruction (3 bytes) and returns. */
void guest_exec_vmrun(void);
void guest_exec_vmload(void);
void guest_exec_vmsave(void);
void guest_exec_stgi(void);
void guest_exec_clgi(void);
void guest_exec_invlpga(void);
void guest_exec_skinit(void);
/* Each executes one VMX instruction of the length named here and returns. */
void guest_exec_vmxon(void);
void guest_exec_vmptrld(void);
void guest_exec_vmread(void);
void guest_exec_vmwrite(void);
void guest_exec_vmlaunch(void);
void guest_exec_invept(void);
#define GUEST_VMXON_LEN 4
#define GUEST_VMPTRLD_LEN 3
#define GUEST_VMREAD_LEN 3
#define GUEST_VMWRITE_LEN 3
#define GUEST_VMLAUNCH_LEN 3
#define GUEST_INVEPT_LEN 5
/*
 * Each sets RFLAGS.TF and executes one instruction the hypervisor
 * intercepts and performs (CPUID leaf 0; the hypercall HC_VERSION by VMCALL
 * or VMMCALL): the single-step #DB must arrive at the matching _end label,
 * right after that instruction.
 */
void guest_step_cpuid(void);
void guest_step_hypercall(void);
extern const u8 guest_step_cpuid_end[], guest_step_vmcall_end[], guest_step_vmmcall_end[];
/*
 * GUEST_SYNC(value) with RDI, RBP and R12-R15 holding patterns of value:
 * 0 when all of them still hold them after the exit, else a bit per
 * register that changed (RBP 0, R12-R15 1-4, RDI 5).
 */
u64 guest_sync_keeping_regs(u64 value);
/* Loads an empty IDT and raises #UD: the guest triple-faults. */
void guest_triple_fault(void);
/*
 * guest_string_io(): one INS/OUTS at port with rDI/rSI = ptr, rCX = count,
 * DF = backwards; ptr and count get the registers' values after it.  op:
 * GUEST_SIO_*.
 */
enum {
	GUEST_SIO_REP_INSB, GUEST_SIO_REP_INSW, GUEST_SIO_REP_INSD,
	GUEST_SIO_REP_OUTSB, GUEST_SIO_REP_OUTSW, GUEST_SIO_REP_OUTSD,
	GUEST_SIO_INSB, GUEST_SIO_OUTSW,
};
struct guest_sio {
	u64 op, port, ptr, count, backwards;
};
void guest_string_io(struct guest_sio *op);
u64 guest_step_rep_insb(u8 *dst, u64 count, u16 port);
/* Where guest_string_io() resumes after a fault (set sh->fault_resume to
 * it): op->ptr and op->count get the registers as the fault left them. */
extern const u8 guest_string_io_fault[];
extern const u8 guest_step_rep_insb_insn[], guest_step_rep_insb_end[];
/* Makes hypercall nr from CPL 3; returns once it raised #UD (recorded in
 * sh->user_fault_rip) -- or, were it to succeed, after the next #UD. */
void guest_user_hypercall(struct guest_shared *sh, u64 nr);
/* The hypercall instructions guest_user_hypercall() runs (Intel, AMD). */
extern const u8 guest_user_vmcall_insn[], guest_user_vmmcall_insn[];
extern u8 guest_use_vmmcall;
extern const u8 guest_exception_stubs[];
#define GUEST_EXC_STUB_SIZE 16

#define GUEST_SYNC(v) guest_hypercall(HC_TEST_SYNC, (u64)(v), 0, 0, 0)
#define GUEST_DONE() guest_hypercall(HC_TEST_DONE, 0, 0, 0, 0)
#define GUEST_ASSERT(cond)                                                     \
	do {                                                                   \
		if (!(cond))                                                   \
			guest_hypercall(HC_TEST_ASSERT, (u64)(uintptr_t)__FILE__, \
					__LINE__, (u64)(uintptr_t)#cond, 0);   \
	} while (0)
#define GUEST_ASSERT_EQ(a, b)                                                  \
	do {                                                                   \
		u64 a_ = (u64)(a);                                             \
		if (a_ != (u64)(b))                                            \
			guest_hypercall(HC_TEST_ASSERT, (u64)(uintptr_t)__FILE__, \
					__LINE__, (u64)(uintptr_t)(#a " == " #b), a_); \
	} while (0)

#endif
