/* SPDX-License-Identifier: MIT */
/*
 * The random-guest fuzzer's program format, shared by its host side (which
 * generates a program from a seed into the guest's memory,
 * tests/selftests/test_fuzz_guest.c) and its guest side (which runs it:
 * vm/guest_fuzz.asm executes one operation, guest code in the test calls
 * it op after op).
 *
 * A fuzz VM's memory, besides the test VM's own (include/vm/test_vm.h):
 *   FUZZ_ARENA_GPA   2 MiB: struct fuzz_prog and its ops, then the page
 *                    self-modifying code is written to and run from, then a
 *                    data area that I/O strings and hypercall buffers use;
 *   FUZZ_SCRATCH_VA  2 MiB of guest-virtual space whose page-directory
 *                    entry each memory operation rewrites, so that one
 *                    mapping reaches any guest-physical address.
 */
#ifndef TDPVISOR_VM_GUEST_FUZZ_H
#define TDPVISOR_VM_GUEST_FUZZ_H

#include "types.h"

#define FUZZ_ARENA_GPA 0x40000000ULL
#define FUZZ_ARENA_BYTES (2ULL << 20)
#define FUZZ_OPS_OFFSET 0x1000
#define FUZZ_CODE_OFFSET 0x100000	/* the self-modifying code page */
#define FUZZ_DATA_OFFSET 0x110000	/* up to the arena's end */
#define FUZZ_SCRATCH_VA 0x60000000ULL
#define FUZZ_MAX_OPS ((FUZZ_CODE_OFFSET - FUZZ_OPS_OFFSET) / sizeof(struct fuzz_op))
#define FUZZ_CODE_MAX 40

/*
 * What one operation does.  a[] are its inputs, r[] what it leaves (the
 * registers after the instruction); each kind's comment says which.
 * Memory kinds (FOP_LOAD*, FOP_STORE*, FOP_RMW, FOP_STORE_LOAD) first set
 * the scratch page-directory entry to a[2] and flush it, then access
 * FUZZ_SCRATCH_VA + a[0].
 */
enum fuzz_kind {
	FOP_NOP,
	FOP_CPUID,		/* EAX a0, ECX a1 -> r0..r3 */
	FOP_RDMSR,		/* ECX a0 -> EDX:EAX in r0 */
	FOP_WRMSR,		/* ECX a0, EDX:EAX a1 */
	FOP_IN,			/* port a0, RAX a1 before, width a3 -> RAX r0 */
	FOP_OUT,		/* port a0, value a1, width a3 */
	FOP_INS,		/* REP INSB: port a0, RDI a1, RCX a4 */
	FOP_OUTS,		/* REP OUTSB: port a0, RSI a1, RCX a4 */
	FOP_HLT,
	FOP_XSETBV,		/* ECX a0, EDX:EAX a1 */
	FOP_INVD,
	FOP_WBINVD,
	FOP_VMCALL,		/* RAX a0, RBX a1, RCX a2, RDX a3, RSI a4 -> RAX r0 */
	FOP_VMMCALL,		/* as FOP_VMCALL */
	FOP_CR0_XOR,		/* CR0 ^= a0 */
	FOP_CR0_SET,		/* CR0 = a0 */
	FOP_CR3_XOR,		/* CR3 ^= a0 */
	FOP_CR4_XOR,		/* CR4 ^= a0 */
	FOP_CR4_SET,		/* CR4 = a0 */
	FOP_CR8,		/* CR8 = a0 -> CR8 r0 */
	FOP_LOAD8,		/* -> r0 */
	FOP_LOAD16,
	FOP_LOAD32,
	FOP_LOAD64,
	FOP_STORE8,		/* value a1 */
	FOP_STORE16,
	FOP_STORE32,
	FOP_STORE64,
	FOP_RMW,		/* ADD dword [addr], a1 (not a MOV) */
	FOP_STORE_LOAD,		/* a1 stored, read back at width a3 -> r0 */
	FOP_SMC,		/* code[] written to the code page and called -> R11 r0 */
	FOP_INVLPG,		/* INVLPG [a0] */
	FOP_RDPMC,		/* ECX a0 */
	FOP_DR7,		/* DR7 = a0 */
	FOP_VMX_SVM,		/* a VMX or SVM instruction, a0 picks which */
	FOP_NR
};

struct fuzz_op {
	u64 kind;
	u64 a[6];
	u64 r[4];
	u64 expect;		/* the checked result, when flags say so */
	u64 flags;		/* FUZZ_CHECK_* */
	u64 code_len;
	u8 code[FUZZ_CODE_MAX];
};

/* What the guest checks after an op (a mismatch is counted, the first
 * one recorded for the host's report). */
#define FUZZ_CHECK_NO_FAULT	(1ULL << 0)	/* no exception */
#define FUZZ_CHECK_VECTOR	(1ULL << 1)	/* exactly exception `expect` */
#define FUZZ_CHECK_R0		(1ULL << 2)	/* if no exception: r0 == expect */
#define FUZZ_CHECK_UD_OR_GP	(1ULL << 3)	/* #UD or #GP */

/* The program, at FUZZ_ARENA_GPA; the guest fills the counters. */
struct fuzz_prog {
	u64 nops;
	u64 scratch_pde_gpa;	/* where FUZZ_SCRATCH_VA's page-directory entry is */
	u64 done;		/* ops completed */
	u64 mismatches;
	u64 first_bad_op;	/* index of the first mismatch */
	u64 first_bad_vector;	/* its exception (vector + 1), 0: none */
	u64 first_bad_r0;
	u64 vectors[32];	/* exceptions taken during ops, by vector */
	u64 finished;		/* the guest reached the end of the program */
};

typedef void (*fuzz_insn_fn)(struct fuzz_op *op);

/*
 * vm/guest_fuzz.asm.  guest_fuzz_run() calls fn(op) with the guest's
 * exception handler set to come back to it: it returns 0 when fn returned,
 * or vector + 1 of the exception that ended the op (the shared page's
 * resume_rip/resume_rsp say where to).  The callee-saved registers survive
 * either way.
 */
u64 guest_fuzz_run(struct fuzz_op *op, fuzz_insn_fn fn);
/* The primitives fn may be, one instruction (or a short fixed sequence) each. */
void fuzz_cpuid(struct fuzz_op *op);
void fuzz_rdmsr(struct fuzz_op *op);
void fuzz_wrmsr(struct fuzz_op *op);
void fuzz_in8(struct fuzz_op *op);
void fuzz_in16(struct fuzz_op *op);
void fuzz_in32(struct fuzz_op *op);
void fuzz_out8(struct fuzz_op *op);
void fuzz_out16(struct fuzz_op *op);
void fuzz_out32(struct fuzz_op *op);
void fuzz_rep_insb(struct fuzz_op *op);
void fuzz_rep_outsb(struct fuzz_op *op);
void fuzz_hlt(struct fuzz_op *op);
void fuzz_xsetbv(struct fuzz_op *op);
void fuzz_invd(struct fuzz_op *op);
void fuzz_wbinvd(struct fuzz_op *op);
void fuzz_vmcall(struct fuzz_op *op);
void fuzz_vmmcall(struct fuzz_op *op);
void fuzz_cr0_xor(struct fuzz_op *op);
void fuzz_cr0_set(struct fuzz_op *op);
void fuzz_cr3_xor(struct fuzz_op *op);
void fuzz_cr4_xor(struct fuzz_op *op);
void fuzz_cr4_set(struct fuzz_op *op);
void fuzz_cr8(struct fuzz_op *op);
void fuzz_load8(struct fuzz_op *op);
void fuzz_load16(struct fuzz_op *op);
void fuzz_load32(struct fuzz_op *op);
void fuzz_load64(struct fuzz_op *op);
void fuzz_store8(struct fuzz_op *op);
void fuzz_store16(struct fuzz_op *op);
void fuzz_store32(struct fuzz_op *op);
void fuzz_store64(struct fuzz_op *op);
void fuzz_rmw(struct fuzz_op *op);
void fuzz_store_load(struct fuzz_op *op);
void fuzz_smc(struct fuzz_op *op);
void fuzz_invlpg(struct fuzz_op *op);
void fuzz_rdpmc(struct fuzz_op *op);
void fuzz_dr7(struct fuzz_op *op);
/* Writes a[2] to the scratch page-directory entry and flushes its TLB entry. */
void fuzz_set_scratch(struct fuzz_op *op, u64 *pde);

#endif
