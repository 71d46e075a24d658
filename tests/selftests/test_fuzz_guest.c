// SPDX-License-Identifier: MIT
/*
 * fuzz_guest: hostile guests made from a seed.  Each round is one fresh
 * test VM whose program (include/vm/guest_fuzz.h) the host generates with
 * a splitmix64 stream seeded by (seed, round): intercepted instructions
 * with random operands (CPUID, RDMSR/WRMSR, port and string I/O, HLT,
 * XSETBV, INVD, hypercalls inside and outside our number space), loads and
 * stores of every width through a page-directory entry the guest rewrites
 * (its own memory, an emulated device, the read-only image, unbacked and
 * impossible addresses), MOV to CR0/CR3/CR4/CR8, VMX/SVM instructions and
 * self-modifying code (bytes written, then run).  The guest's exceptions
 * end the op and the next one runs.
 *
 * The rule: every exit resumes the guest with the architectural result
 * (the guest checks what it can: port reads float high, MSRs #GP, foreign
 * hypercalls return -ENOSYS, the device reads back, code written then run
 * comes back to the instruction after its intercepted one) or kills only
 * that VM with a reason; the hypervisor neither panics nor hangs, frees
 * every page of a VM, killed or not, and goes on with the next.
 *
 * ktest=fuzz_guest runs FUZZ_DEFAULT_ROUNDS rounds of seed FUZZ_DEFAULT_SEED;
 * fuzz_seed=, fuzz_iters= (rounds) and fuzz_seconds= change that (make
 * fuzz-guest).  A round's program depends only on (seed, round), so the
 * seed printed replays a run.
 */
#include "arch/cpu.h"
#include "arch/cpuid.h"
#include "arch/cr.h"
#include "arch/trapnr.h"
#include "arch/msr.h"
#include "arch/x86.h"
#include "errcode.h"
#include "lib/ktest.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vm/guest_fuzz.h"
#include "vm/test_vm.h"

#define FUZZ_DEFAULT_SEED 0x5eed
#define FUZZ_DEFAULT_ROUNDS 32
#define FUZZ_OPS_PER_VM 256
/*
 * Exit reasons every vendor reaches in the default pass: tdp-fault, cpuid,
 * hlt, hypercall, rdmsr, wrmsr, io, invd and virt-insn (VMX instructions
 * under VMX, SVM ones under SVM).
 */
#define FUZZ_MIN_REASONS 9
#define FUZZ_MMIO_GPA 0xc0000000ULL
#define FUZZ_MMIO_BYTES PAGE_SIZE
#define FUZZ_UNBACKED_GPA 0x700000000ULL
#define FUZZ_MAX_DEATHS 40
#define PDE_LARGE (BIT_ULL(0) | BIT_ULL(1) | BIT_ULL(2) | BIT_ULL(7))	/* P RW US PS */

extern char __image_base[], __image_end[];

/* ---- the guest ---------------------------------------------------------- */

static void fuzz_vmx_svm(struct fuzz_op *op);

static const fuzz_insn_fn fuzz_fns[FOP_NR] = {
	[FOP_CPUID] = fuzz_cpuid, [FOP_RDMSR] = fuzz_rdmsr, [FOP_WRMSR] = fuzz_wrmsr,
	[FOP_OUTS] = fuzz_rep_outsb, [FOP_INS] = fuzz_rep_insb, [FOP_HLT] = fuzz_hlt,
	[FOP_XSETBV] = fuzz_xsetbv, [FOP_INVD] = fuzz_invd, [FOP_WBINVD] = fuzz_wbinvd,
	[FOP_VMCALL] = fuzz_vmcall, [FOP_VMMCALL] = fuzz_vmmcall,
	[FOP_CR0_XOR] = fuzz_cr0_xor, [FOP_CR0_SET] = fuzz_cr0_set,
	[FOP_CR3_XOR] = fuzz_cr3_xor, [FOP_CR4_XOR] = fuzz_cr4_xor,
	[FOP_CR4_SET] = fuzz_cr4_set, [FOP_CR8] = fuzz_cr8,
	[FOP_LOAD8] = fuzz_load8, [FOP_LOAD16] = fuzz_load16, [FOP_LOAD32] = fuzz_load32,
	[FOP_LOAD64] = fuzz_load64, [FOP_STORE8] = fuzz_store8, [FOP_STORE16] = fuzz_store16,
	[FOP_STORE32] = fuzz_store32, [FOP_STORE64] = fuzz_store64, [FOP_RMW] = fuzz_rmw,
	[FOP_STORE_LOAD] = fuzz_store_load, [FOP_SMC] = fuzz_smc, [FOP_INVLPG] = fuzz_invlpg,
	[FOP_RDPMC] = fuzz_rdpmc, [FOP_DR7] = fuzz_dr7, [FOP_VMX_SVM] = fuzz_vmx_svm,
};

/* Port I/O by width (a[3]: 1, 2 or 4). */
static const fuzz_insn_fn fuzz_in_fns[3] = { fuzz_in8, fuzz_in16, fuzz_in32 };
static const fuzz_insn_fn fuzz_out_fns[3] = { fuzz_out8, fuzz_out16, fuzz_out32 };

static void (*const vmx_svm_insns[])(void) = {
	guest_exec_vmrun, guest_exec_vmload, guest_exec_vmsave, guest_exec_stgi,
	guest_exec_clgi, guest_exec_invlpga, guest_exec_skinit, guest_exec_vmxon,
	guest_exec_vmptrld, guest_exec_vmread, guest_exec_vmwrite, guest_exec_vmlaunch,
	guest_exec_invept,
};

/* Runs in the guest, under guest_fuzz_run(). */
static void fuzz_vmx_svm(struct fuzz_op *op)
{
	vmx_svm_insns[op->a[0] % ARRAY_SIZE(vmx_svm_insns)]();
}

static bool fuzz_uses_scratch(u64 kind)
{
	return kind >= FOP_LOAD8 && kind <= FOP_SMC;
}

static fuzz_insn_fn fuzz_fn(const struct fuzz_op *op)
{
	unsigned int w = op->a[3] == 1 ? 0 : op->a[3] == 2 ? 1 : 2;

	if (op->kind == FOP_IN)
		return fuzz_in_fns[w];
	if (op->kind == FOP_OUT)
		return fuzz_out_fns[w];
	return op->kind < FOP_NR ? fuzz_fns[op->kind] : NULL;
}

/* v: 0, or the vector + 1 that ended the op. */
static bool fuzz_result_ok(const struct fuzz_op *op, u64 v)
{
	if ((op->flags & FUZZ_CHECK_NO_FAULT) && v)
		return false;
	if ((op->flags & FUZZ_CHECK_VECTOR) && v != op->expect + 1)
		return false;
	if ((op->flags & FUZZ_CHECK_UD_OR_GP) && v != UD_VECTOR + 1 && v != GP_VECTOR + 1)
		return false;
	return !(op->flags & FUZZ_CHECK_R0) || v || op->r[0] == op->expect;
}

static void guest_fuzz(struct guest_shared *sh)
{
	struct fuzz_prog *p = (struct fuzz_prog *)(uintptr_t)FUZZ_ARENA_GPA;
	struct fuzz_op *ops = (struct fuzz_op *)(uintptr_t)(FUZZ_ARENA_GPA + FUZZ_OPS_OFFSET);
	u64 i, v;

	for (i = 0; i < p->nops; i++) {
		struct fuzz_op *op = &ops[i];
		fuzz_insn_fn fn = fuzz_fn(op);

		if (fn) {
			if (fuzz_uses_scratch(op->kind))
				fuzz_set_scratch(op, (u64 *)(uintptr_t)p->scratch_pde_gpa);
			v = guest_fuzz_run(op, fn);
			if (v && v <= ARRAY_SIZE(p->vectors))
				p->vectors[v - 1]++;
			if (!fuzz_result_ok(op, v) && !p->mismatches++) {
				p->first_bad_op = i;
				p->first_bad_vector = v;
				p->first_bad_r0 = op->r[0];
			}
		}
		p->done = i + 1;
	}
	p->finished = 1;
}

/* ---- the program -------------------------------------------------------- */

struct rng {
	u64 s;
};

/* splitmix64 */
static u64 rnd(struct rng *r)
{
	u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 below(struct rng *r, u64 n)
{
	return n ? rnd(r) % n : 0;
}

static bool one_in(struct rng *r, u64 n)
{
	return below(r, n) == 0;
}

static u64 pick(struct rng *r, const u64 *v, size_t n)
{
	return v[below(r, n)];
}
#define PICK(r, arr) pick(r, arr, ARRAY_SIZE(arr))

struct gen {
	struct rng rng;
	bool vmmcall;		/* the vendor's hypercall instruction */
	bool triple_faults;	/* ops that often end in a triple fault are allowed */
	bool xsetbv;		/* XSETBV is generated */
	u64 image_base, image_bytes;
};

/* Where hypercall buffers and string I/O point: mostly the data area. */
static u64 gen_pointer(struct gen *g)
{
	static const u64 far[] = { FUZZ_UNBACKED_GPA, FUZZ_MMIO_GPA, 0, ~0ULL,
				   FUZZ_ARENA_GPA + FUZZ_ARENA_BYTES - 8, 1ULL << 52 };

	switch (below(&g->rng, 8)) {
	case 0:
		return PICK(&g->rng, far);
	case 1:
		return g->image_base + below(&g->rng, g->image_bytes);
	case 2:
		return rnd(&g->rng);
	default:
		return FUZZ_ARENA_GPA + FUZZ_DATA_OFFSET +
		       below(&g->rng, FUZZ_ARENA_BYTES - FUZZ_DATA_OFFSET - 0x1000);
	}
}

static u64 gen_value(struct gen *g)
{
	static const u64 edge[] = { 0, 1, ~0ULL, 0x80000000ULL, 0xffffffffULL,
				    1ULL << 63, 0x7fffffffffffffffULL };

	return one_in(&g->rng, 4) ? PICK(&g->rng, edge) : rnd(&g->rng);
}

static void gen_cpuid(struct gen *g, struct fuzz_op *op)
{
	static const u64 bases[] = { 0, 0, 0x40000000, 0x80000000, 0xc0000000, 0x8fffffff };

	op->a[0] = one_in(&g->rng, 6) ? (u32)rnd(&g->rng) : PICK(&g->rng, bases) + below(&g->rng, 0x22);
	op->a[1] = one_in(&g->rng, 2) ? below(&g->rng, 4) : (u32)rnd(&g->rng);
	op->flags = FUZZ_CHECK_NO_FAULT;
	if ((u32)op->a[0] == CPUID_HV_BASE) {
		op->flags |= FUZZ_CHECK_R0;
		op->expect = CPUID_HV_BASE;	/* the hypervisor's own leaves */
	}
}

static u64 gen_msr(struct gen *g)
{
	static const u64 ranges[] = { 0, 0x10, 0x1b, 0x3a, 0x480, 0x800, 0xc0000080, 0xc0000100,
				      0xc0010000, 0xc0010114, 0x40000000, 0x200, 0x277, 0xfe };

	return one_in(&g->rng, 4) ? (u32)rnd(&g->rng) : PICK(&g->rng, ranges) + below(&g->rng, 0x20);
}

static u64 gen_port(struct gen *g)
{
	/* serial, the emulators' exit ports, PCI config, PIC, PIT, RTC, POST */
	static const u64 ports[] = { 0x3f8, 0x3fd, 0xf4, 0x8900, 0x402, 0xcf8, 0xcfc, 0x20,
				     0x21, 0x40, 0x43, 0x60, 0x64, 0x70, 0x71, 0x80, 0xe9,
				     0xb2, 0x92, 0xcf9, 0x510, 0xffff };

	return one_in(&g->rng, 2) ? PICK(&g->rng, ports) : below(&g->rng, 0x10000);
}

static void gen_io(struct gen *g, struct fuzz_op *op, bool in)
{
	static const u64 widths[] = { 1, 2, 4 };
	u64 w = PICK(&g->rng, widths), mask = (1ULL << (8 * w)) - 1;

	op->a[0] = gen_port(g);
	op->a[1] = gen_value(g);
	op->a[3] = w;
	op->flags = FUZZ_CHECK_NO_FAULT;
	if (in) {
		/* a test VM's ports float high; IN EAX clears bits 63:32 */
		op->flags |= FUZZ_CHECK_R0;
		op->expect = w == 4 ? 0xffffffffULL : (op->a[1] & ~mask) | mask;
	}
}

static void gen_string_io(struct gen *g, struct fuzz_op *op)
{
	op->a[0] = gen_port(g);
	op->a[1] = gen_pointer(g);
	op->a[4] = one_in(&g->rng, 8) ? below(&g->rng, 4096) : below(&g->rng, 4);
}

static void gen_hypercall(struct gen *g, struct fuzz_op *op)
{
	static const u64 ours[] = { HC_VERSION, HC_LOG_READ, HC_STATS, HC_HV_MEMORY,
				    HC_GPA_MAPPING, HC_TEST_SYNC, HC_TEST_ASSERT };
	static const u64 foreign[] = { 0, 1, 5, 9, 10, 11, 12, HC_BASE - 1, HC_BASE + HC_SPAN,
				       (1ULL << 32) | HC_VERSION, 0x40000000, ~0ULL };
	bool right = !one_in(&g->rng, 8);
	u64 nr;

	switch (below(&g->rng, 4)) {
	case 0:
		nr = PICK(&g->rng, ours);
		break;
	case 1:
		nr = HC_BASE + below(&g->rng, HC_SPAN);
		break;
	case 2:
		nr = PICK(&g->rng, foreign);
		break;
	default:
		nr = rnd(&g->rng);
	}
	op->kind = right == g->vmmcall ? FOP_VMMCALL : FOP_VMCALL;
	op->a[0] = nr;
	op->a[1] = gen_pointer(g);
	op->a[2] = one_in(&g->rng, 2) ? below(&g->rng, 0x2000) : gen_value(g);
	op->a[3] = one_in(&g->rng, 2) ? below(&g->rng, 0x10000) : gen_value(g);
	op->a[4] = gen_value(g);
	if (!right) {
		/* the other vendor's instruction: #UD from the CPU */
		op->flags = FUZZ_CHECK_VECTOR;
		op->expect = UD_VECTOR;
	} else if (nr - HC_BASE >= HC_SPAN) {
		op->flags = FUZZ_CHECK_NO_FAULT | FUZZ_CHECK_R0;
		op->expect = (u64)(s64)-ENOSYS;
	} else {
		op->flags = FUZZ_CHECK_NO_FAULT;
	}
}

static void gen_cr(struct gen *g, struct fuzz_op *op)
{
	static const u64 cr0_bits[] = { X86_CR0_WP, X86_CR0_CD, X86_CR0_NW, X86_CR0_TS,
					X86_CR0_MP, BIT_ULL(2) /* EM */, BIT_ULL(18) /* AM */,
					X86_CR0_NE, X86_CR0_PE, X86_CR0_PG, X86_CR0_ET,
					BIT_ULL(32), BIT_ULL(6) };
	/* SMEP and SMAP make every access to the guest's user pages fault,
	 * its exception handler's too: a triple fault. */
	static const u64 cr4_bits[] = { BIT_ULL(0), BIT_ULL(1), BIT_ULL(2), BIT_ULL(3),
					BIT_ULL(4), X86_CR4_PAE, BIT_ULL(7), BIT_ULL(8),
					BIT_ULL(9), BIT_ULL(10), BIT_ULL(11), X86_CR4_LA57,
					X86_CR4_VMXE, BIT_ULL(14), BIT_ULL(16), X86_CR4_PCIDE,
					X86_CR4_OSXSAVE, X86_CR4_OSXSAVE, X86_CR4_PKE, BIT_ULL(24),
					BIT_ULL(20), BIT_ULL(21), BIT_ULL(40) };
	static const u64 cr3_bits[] = { 0, BIT_ULL(3), BIT_ULL(4), BIT_ULL(63), 0x5, 0xfff,
					BIT_ULL(51), BIT_ULL(12) };
	u64 bit;

	switch (below(&g->rng, 16)) {
	case 0: case 1: case 2: case 3:
		op->kind = FOP_CR0_XOR;
		op->a[0] = PICK(&g->rng, cr0_bits);
		break;
	case 4:
		op->kind = g->triple_faults ? FOP_CR0_SET : FOP_CR0_XOR;
		op->a[0] = g->triple_faults ? gen_value(g) : X86_CR0_TS;
		break;
	case 5: case 6: case 7:
		op->kind = FOP_CR3_XOR;
		op->a[0] = PICK(&g->rng, cr3_bits);
		/* another table page as the root, an impossible one: a triple
		 * fault, mostly */
		if (op->a[0] >= BIT_ULL(12) && !g->triple_faults)
			op->a[0] = BIT_ULL(3);
		break;
	case 8: case 9: case 10: case 11:
		op->kind = FOP_CR4_XOR;
		bit = PICK(&g->rng, cr4_bits);
		op->a[0] = (bit == BIT_ULL(20) || bit == BIT_ULL(21)) && !g->triple_faults ? 0 : bit;
		break;
	case 12:
		op->kind = g->triple_faults ? FOP_CR4_SET : FOP_CR8;
		op->a[0] = gen_value(g);
		break;
	default:
		op->kind = FOP_CR8;
		op->a[0] = one_in(&g->rng, 4) ? gen_value(g) : below(&g->rng, 16);
		if (op->a[0] < 16) {
			op->flags = FUZZ_CHECK_NO_FAULT | FUZZ_CHECK_R0;
			op->expect = op->a[0];
		}
	}
}

/*
 * The scratch page-directory entry and the offset into it: an emulated
 * device, the guest's own data, its read-only image, unbacked or
 * impossible addresses, entries that fault.  *checked says whether the
 * access must succeed (a device register in range, or the data area).
 */
static void gen_target(struct gen *g, struct fuzz_op *op, unsigned int width, bool *checked)
{
	u64 pde = PDE_LARGE, off = 0;

	*checked = false;
	/* half of them an emulated register or plain memory, both must work */
	switch (one_in(&g->rng, 2) ? below(&g->rng, 22) : below(&g->rng, 64) / 2) {
	case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8: case 9:
	case 10: case 11: case 12: case 13: case 14:
		pde |= FUZZ_MMIO_GPA;
		off = ALIGN_DOWN(below(&g->rng, FUZZ_MMIO_BYTES - 8), width);
		*checked = true;
		break;
	case 15: case 16: case 17: case 18: case 19: case 20: case 21:
		pde |= FUZZ_ARENA_GPA;
		off = FUZZ_DATA_OFFSET + below(&g->rng, FUZZ_ARENA_BYTES - FUZZ_DATA_OFFSET - 8);
		*checked = true;
		break;
	case 22: case 23:
		/* the image: read-only, a write kills the VM */
		pde |= ALIGN_DOWN(g->image_base, 2ULL << 20);
		off = (g->image_base & ((2ULL << 20) - 1)) + below(&g->rng, g->image_bytes - 8);
		break;
	case 24:
		/* across the device's end, or past it: the VM dies */
		pde |= FUZZ_MMIO_GPA;
		off = FUZZ_MMIO_BYTES - width + 1 + below(&g->rng, 16);
		break;
	case 25:
		pde |= one_in(&g->rng, 2) ? FUZZ_UNBACKED_GPA : ALIGN_DOWN(rnd(&g->rng) & ((1ULL << 39) - 1),
									   2ULL << 20);
		off = below(&g->rng, 2ULL << 20);
		break;
	case 26: case 27:
		/* not present, read-only, reserved bits, NX, bits past MAXPHYADDR */
		pde |= FUZZ_ARENA_GPA;
		pde &= ~PICK(&g->rng, ((const u64[]){ BIT_ULL(0), BIT_ULL(1), 0 }));
		pde |= PICK(&g->rng, ((const u64[]){ BIT_ULL(13), BIT_ULL(20), BIT_ULL(63),
						     BIT_ULL(51), BIT_ULL(8), 0 }));
		off = FUZZ_DATA_OFFSET + below(&g->rng, 0x1000);
		break;
	case 28:
		/* a 4 KiB table: the data area's random bytes become PTEs */
		pde = (pde & ~BIT_ULL(7)) | (FUZZ_ARENA_GPA + FUZZ_DATA_OFFSET +
					       ALIGN_DOWN(below(&g->rng, 0x10000), PAGE_SIZE));
		off = below(&g->rng, 2ULL << 20);
		break;
	default:
		/*
		 * Loads from the guest's system slot: its tables, stack, shared
		 * page.  Never stores: a return address overwritten at random
		 * could leave the guest looping without an exit.
		 */
		if (op->kind >= FOP_LOAD8 && op->kind <= FOP_LOAD64) {
			pde |= TEST_VM_SYS_GPA;
			off = below(&g->rng, 2ULL << 20);
		} else {
			pde |= FUZZ_MMIO_GPA;
			off = ALIGN_DOWN(below(&g->rng, FUZZ_MMIO_BYTES - 8), width);
			*checked = true;
		}
	}
	op->a[0] = off;
	op->a[2] = pde;
}

static void gen_memory(struct gen *g, struct fuzz_op *op)
{
	static const u8 widths[] = { 1, 2, 4, 8 };
	unsigned int w;
	bool checked;

	op->kind = FOP_LOAD8 + below(&g->rng, FOP_STORE_LOAD - FOP_LOAD8 + 1);
	if (op->kind == FOP_RMW && !one_in(&g->rng, 4))
		op->kind = FOP_STORE_LOAD;	/* ADD to the device kills the VM: rarer */
	w = op->kind == FOP_STORE_LOAD ? widths[below(&g->rng, 4)] :
	    op->kind == FOP_RMW ? 4 : widths[(op->kind - FOP_LOAD8) % 4];
	gen_target(g, op, w, &checked);
	op->a[1] = gen_value(g);
	op->a[3] = w;
	if (!checked)
		return;
	op->flags = FUZZ_CHECK_NO_FAULT;
	if (op->kind == FOP_STORE_LOAD) {
		op->flags |= FUZZ_CHECK_R0;
		op->expect = w == 8 ? op->a[1] : op->a[1] & ((1ULL << (8 * w)) - 1);
	}
}

/* ---- self-modifying code ---- */

struct code {
	u8 *b;
	unsigned int n;
};

static void emit(struct code *c, const u8 *bytes, unsigned int n)
{
	if (c->n + n <= FUZZ_CODE_MAX - 7) {	/* room for the marker and RET */
		memcpy(c->b + c->n, bytes, n);
		c->n += n;
	}
}
#define EMIT(c, ...) emit(c, (const u8[]){ __VA_ARGS__ }, sizeof((const u8[]){ __VA_ARGS__ }))

static void emit_imm32(struct code *c, u8 opcode, u32 imm)
{
	EMIT(c, opcode, (u8)imm, (u8)(imm >> 8), (u8)(imm >> 16), (u8)(imm >> 24));
}

/* Up to three legacy prefixes and perhaps a REX: the decoder must still
 * find where the instruction ends. */
static void emit_prefixes(struct gen *g, struct code *c, bool allow_lock)
{
	static const u64 legacy[] = { 0x66, 0x67, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x64, 0x65, 0x36 };
	u64 i, n = below(&g->rng, 4);

	for (i = 0; i < n; i++)
		EMIT(c, (u8)PICK(&g->rng, legacy));
	if (allow_lock && one_in(&g->rng, 16))
		EMIT(c, 0xf0);
	if (one_in(&g->rng, 3))
		EMIT(c, (u8)(0x40 + below(&g->rng, 16)));
}

/* An access to [RSI] (the scratch address) in a form a compiler or a
 * driver might use; some are not emulated, which kills the VM. */
static void emit_mmio_insn(struct gen *g, struct code *c)
{
	static const u8 forms[][4] = {
		{ 2, 0x8a, 0x06 }, { 2, 0x8b, 0x06 }, { 2, 0x88, 0x06 }, { 2, 0x89, 0x06 },
		{ 3, 0x0f, 0xb6, 0x06 }, { 3, 0x0f, 0xb7, 0x06 }, { 3, 0x0f, 0xbe, 0x06 },
		{ 3, 0x0f, 0xbf, 0x06 }, { 3, 0xc6, 0x06, 0x5a }, { 3, 0x8b, 0x46, 0x08 },
		{ 2, 0x87, 0x06 }, { 2, 0x01, 0x06 }, { 2, 0x85, 0x06 }, { 3, 0x0f, 0xc3, 0x06 },
		{ 3, 0x80, 0x36, 0x01 }, { 2, 0x8b, 0x36 },
	};
	const u8 *f = forms[below(&g->rng, ARRAY_SIZE(forms))];

	emit_prefixes(g, c, true);
	emit(c, f + 1, f[0]);
}

static void gen_smc(struct gen *g, struct fuzz_op *op)
{
	static const u64 io_ops[] = { 0xec, 0xed, 0xee, 0xef };
	struct code c = { .b = op->code };
	u32 marker = (u32)rnd(&g->rng) | 1;
	bool device;	/* the marker is checked either way, when nothing faulted */

	op->flags = FUZZ_CHECK_R0;
	switch (below(&g->rng, 8)) {
	case 0:
		emit_imm32(&c, 0xb8, (u32)below(&g->rng, 0x20));	/* MOV EAX, leaf */
		EMIT(&c, 0x31, 0xc9);					/* XOR ECX, ECX */
		emit_prefixes(g, &c, false);
		EMIT(&c, 0x0f, 0xa2);					/* CPUID */
		break;
	case 1:
		emit_imm32(&c, 0xba, (u32)gen_port(g));		/* MOV EDX, port */
		emit_prefixes(g, &c, false);
		EMIT(&c, (u8)PICK(&g->rng, io_ops));
		break;
	case 2:
		emit_prefixes(g, &c, false);
		EMIT(&c, 0xf4);						/* HLT */
		break;
	case 3:
		emit_imm32(&c, 0xb8, one_in(&g->rng, 2) ? HC_VERSION : (u32)rnd(&g->rng));
		emit_prefixes(g, &c, false);
		if (g->vmmcall)
			EMIT(&c, 0x0f, 0x01, 0xd9);
		else
			EMIT(&c, 0x0f, 0x01, 0xc1);
		break;
	case 4:
		emit_prefixes(g, &c, false);
		EMIT(&c, 0x0f, one_in(&g->rng, 2) ? 0x08 : 0x09);	/* INVD, WBINVD */
		break;
	default:
		gen_target(g, op, 8, &device);
		op->a[0] &= ~7ULL;
		emit_mmio_insn(g, &c);
	}
	EMIT(&c, 0x41, 0xbb);					/* MOV R11D, marker */
	memcpy(c.b + c.n, &marker, 4);
	c.b[c.n + 4] = 0xc3;					/* RET */
	op->code_len = c.n + 5;
	op->expect = marker;
}

/*
 * A DR7 value: enable bits, GD, or bits 63:32 (#GP); breakpoint types and
 * lengths stay 0: a guest's MOV to DR7 with them set crashes QEMU 7.2's
 * TCG under SVM (a segmentation fault of the emulator, seen with DR7 =
 * 0x80000000 and 0xc0000000).
 */
static u64 gen_dr7(struct gen *g)
{
	u64 v = rnd(&g->rng) & 0x23ff;

	return one_in(&g->rng, 8) ? v | BIT_ULL(32 + below(&g->rng, 32)) : v;
}

static void gen_op(struct gen *g, struct fuzz_op *op)
{
	u64 roll = below(&g->rng, 100);

	memset(op, 0, sizeof(*op));
	if (roll < 10) {
		op->kind = FOP_CPUID;
		gen_cpuid(g, op);
	} else if (roll < 18) {
		op->kind = one_in(&g->rng, 2) ? FOP_RDMSR : FOP_WRMSR;
		op->a[0] = gen_msr(g);
		op->a[1] = gen_value(g);
		op->flags = FUZZ_CHECK_VECTOR;	/* a test VM has no MSRs */
		op->expect = GP_VECTOR;
	} else if (roll < 28) {
		op->kind = one_in(&g->rng, 2) ? FOP_IN : FOP_OUT;
		gen_io(g, op, op->kind == FOP_IN);
	} else if (roll < 29 && one_in(&g->rng, 2)) {
		op->kind = one_in(&g->rng, 2) ? FOP_INS : FOP_OUTS;
		gen_string_io(g, op);
	} else if (roll < 32) {
		op->kind = FOP_HLT;	/* also XSETBV's share when it is left out */
		op->flags = FUZZ_CHECK_NO_FAULT;
	} else if (roll < 36 && g->xsetbv) {
		op->kind = FOP_XSETBV;
		op->a[0] = one_in(&g->rng, 2) ? 0 : below(&g->rng, 4);
		op->a[1] = one_in(&g->rng, 2) ? below(&g->rng, 8) : gen_value(g);
		op->flags = FUZZ_CHECK_UD_OR_GP;	/* no extended state here */
	} else if (roll < 39) {
		op->kind = one_in(&g->rng, 2) ? FOP_INVD : FOP_WBINVD;
		op->flags = FUZZ_CHECK_NO_FAULT;
	} else if (roll < 50) {
		gen_hypercall(g, op);
	} else if (roll < 54) {
		gen_cr(g, op);
	} else if (roll < 80) {
		gen_memory(g, op);
	} else if (roll < 92) {
		op->kind = FOP_SMC;
		gen_smc(g, op);
	} else if (roll < 95) {
		op->kind = FOP_VMX_SVM;
		op->a[0] = rnd(&g->rng);
		op->flags = FUZZ_CHECK_VECTOR;
		op->expect = UD_VECTOR;
	} else {
		op->kind = PICK(&g->rng, ((const u64[]){ FOP_INVLPG, FOP_RDPMC, FOP_DR7 }));
		op->a[0] = op->kind == FOP_INVLPG ? gen_pointer(g) :
			   op->kind == FOP_RDPMC ? below(&g->rng, 8) | (one_in(&g->rng, 4) << 30) :
			   gen_dr7(g);
	}
}

/* ---- the host ----------------------------------------------------------- */

/* The host CPU state a guest must never change. */
struct host_state {
	u64 cr0, cr3, cr4, efer, xcr0, dr7;
};

static void host_state_read(struct host_state *h)
{
	h->cr0 = read_cr0();
	h->cr3 = read_cr3();
	h->cr4 = read_cr4();
	h->efer = rdmsr(MSR_EFER);
	/* The host keeps CR4.OSXSAVE clear (vm/platform.c sets it only around
	 * a guest's XSETBV): set it around XGETBV so XCR0 is really read. */
	h->xcr0 = 0;
	if (cpuid(1).ecx & CPUID1_ECX_XSAVE) {
		if (!(h->cr4 & X86_CR4_OSXSAVE) && write_cr4_safe(h->cr4 | X86_CR4_OSXSAVE)) {
			h->xcr0 = xgetbv(0);
			write_cr4(h->cr4);
		} else if (h->cr4 & X86_CR4_OSXSAVE) {
			h->xcr0 = xgetbv(0);
		}
	}
	h->dr7 = read_dr7();
}

struct fuzz_totals {
	u64 first_kill;		/* the round of the first kill, + 1 */
	u64 seed, rounds, ops, exits, kills, mismatches, stalls, leaks, host_changes;
	u64 by_reason[VMEXIT_NR];
	u64 vectors[32];
	struct {
		char what[120];
		u64 count;
	} deaths[FUZZ_MAX_DEATHS];
	unsigned int ndeaths;
	u64 other_deaths;
};

static struct test_vm fvm;
static struct fuzz_totals tot;
static u8 fuzz_regs[FUZZ_MMIO_BYTES];

static struct vm_mmio_dev fuzz_dev = {
	.name = "fuzz-regs", .base = FUZZ_MMIO_GPA, .size = FUZZ_MMIO_BYTES, .priv = fuzz_regs,
	TEST_VM_REGS_OPS,
};

static const char *const kind_names[FOP_NR] = {
	"nop", "cpuid", "rdmsr", "wrmsr", "in", "out", "rep-insb", "rep-outsb", "hlt", "xsetbv",
	"invd", "wbinvd", "vmcall", "vmmcall", "cr0-xor", "cr0-set", "cr3-xor", "cr4-xor",
	"cr4-set", "cr8", "load8", "load16", "load32", "load64", "store8", "store16", "store32",
	"store64", "rmw", "store-load", "smc", "invlpg", "rdpmc", "dr7", "vmx-svm",
};

/* A death's reason with every hexadecimal number made "#", so that one
 * kind of death counts once. */
static void death_kind(const char *death, char *out, size_t size)
{
	size_t n = 0;

	while (*death && n + 1 < size) {
		if (death[0] == '0' && death[1] == 'x') {
			death += 2;
			while ((*death >= '0' && *death <= '9') || (*death >= 'a' && *death <= 'f'))
				death++;
			out[n++] = '#';
			continue;
		}
		out[n++] = *death++;
	}
	out[n] = '\0';
}

static void count_death(const char *death, const char *op)
{
	char what[sizeof(tot.deaths[0].what)];
	unsigned int i;
	size_t n;

	death_kind(death, what, sizeof(what) - 24);
	n = strlen(what);
	snprintf(what + n, sizeof(what) - n, " [%s]", op);
	for (i = 0; i < tot.ndeaths; i++)
		if (!strcmp(tot.deaths[i].what, what)) {
			tot.deaths[i].count++;
			return;
		}
	if (tot.ndeaths == FUZZ_MAX_DEATHS) {
		tot.other_deaths++;
		return;
	}
	strscpy(tot.deaths[i].what, what, sizeof(tot.deaths[i].what));
	tot.deaths[i].count = 1;
	tot.ndeaths++;
}


static void report_mismatch(u64 round, const struct fuzz_prog *p, const struct fuzz_op *ops)
{
	const struct fuzz_op *op = &ops[p->first_bad_op];

	pr_err("fuzz: seed 0x%llx round %llu op %llu (%s a0 0x%llx a1 0x%llx a2 0x%llx a3 0x%llx): "
	       "%s%llu, r0 0x%llx, expected 0x%llx (checks 0x%llx)\n",
	       (unsigned long long)tot.seed, (unsigned long long)round,
	       (unsigned long long)p->first_bad_op, op->kind < FOP_NR ? kind_names[op->kind] : "?",
	       (unsigned long long)op->a[0], (unsigned long long)op->a[1],
	       (unsigned long long)op->a[2], (unsigned long long)op->a[3],
	       p->first_bad_vector ? "exception " : "no exception ",
	       (unsigned long long)(p->first_bad_vector ? p->first_bad_vector - 1 : 0),
	       (unsigned long long)p->first_bad_r0, (unsigned long long)op->expect,
	       (unsigned long long)op->flags);
}

/* Generates round's program into the arena of a fresh VM. */
static int fuzz_prepare(u64 round, const struct gen *how, struct fuzz_prog **pp)
{
	struct gen g = {
		.rng = { tot.seed ^ (round * 0xd1342543de82ef95ULL) },
		.vmmcall = virt->features->hypercall_vmmcall,
		.triple_faults = how->triple_faults,
		.xsetbv = how->xsetbv,
		.image_base = (uintptr_t)__image_base,
		.image_bytes = (uintptr_t)__image_end - (uintptr_t)__image_base,
	};
	struct fuzz_prog *p;
	struct fuzz_op *ops;
	u8 *arena;
	u64 i;
	int err;

	err = test_vm_create(&fvm, "fuzz", guest_fuzz);
	if (err)
		return err;
	arena = test_vm_add_memory(&fvm, FUZZ_ARENA_GPA, FUZZ_ARENA_BYTES, 0, NULL);
	if (!arena || vm_add_mmio(&fvm.vm, &fuzz_dev) ||
	    test_vm_map_guest(&fvm, FUZZ_SCRATCH_VA, 2ULL << 20)) {
		test_vm_destroy(&fvm);
		return -ENOMEM;
	}
	rnd(&g.rng);
	memset(arena, 0, FUZZ_DATA_OFFSET);
	for (i = FUZZ_DATA_OFFSET; i < FUZZ_ARENA_BYTES; i += 8)
		*(u64 *)(arena + i) = rnd(&g.rng);
	memset(fuzz_regs, 0, sizeof(fuzz_regs));
	p = (struct fuzz_prog *)arena;
	ops = (struct fuzz_op *)(arena + FUZZ_OPS_OFFSET);
	p->nops = FUZZ_OPS_PER_VM;
	p->scratch_pde_gpa = test_vm_pde_gpa(&fvm, FUZZ_SCRATCH_VA);
	for (i = 0; i < p->nops; i++)
		gen_op(&g, &ops[i]);
	*pp = p;
	return 0;
}

static u64 elapsed_ms(u64 t0)
{
	return (rdtsc() - t0) / (tsc_khz() ? tsc_khz() : 1);
}

/*
 * One round: runs the VM until it finishes its program or dies (the
 * guest's own hypercalls may raise events on the way: they are passed
 * over).  A guest that keeps raising events without finishing is stopped
 * (a stall).  The VM's counters go into tot, and the pool must be back
 * where it was.
 */
static void fuzz_round(u64 round, const struct gen *how)
{
	u64 used = page_pool_used(&hv_pool), events = 0, i;
	struct host_state before, after;
	const struct fuzz_op *ops;
	struct vm_stats s;
	struct fuzz_prog *p;
	struct vcpu_event ev;

	host_state_read(&before);
	if (fuzz_prepare(round, how, &p)) {
		tot.leaks++;	/* counted as a failure: the pool could not hold one VM */
		return;
	}
	ops = (const struct fuzz_op *)((u8 *)p + FUZZ_OPS_OFFSET);
	for (;;) {
		enum vcpu_event_type type = vcpu_run(&fvm.vcpu, &ev);

		if (type == VEV_DEAD) {
			tot.kills++;
			tot.first_kill = tot.first_kill ? tot.first_kill : round + 1;
			/* the op it died in, or the guest's code around the ops */
			count_death(fvm.vm.death, p->done < p->nops && ops[p->done].kind < FOP_NR ?
					kind_names[ops[p->done].kind] : "between ops");
			break;
		}
		if (type == VEV_DONE && p->finished)
			break;
		if (++events > FUZZ_OPS_PER_VM + 64) {
			tot.stalls++;
			pr_warn("fuzz: seed 0x%llx round %llu: stopped after %llu events at op %llu\n",
				(unsigned long long)tot.seed, (unsigned long long)round,
				(unsigned long long)events, (unsigned long long)p->done);
			break;
		}
	}
	s = vm_stats(&fvm.vm);
	tot.rounds++;
	tot.ops += p->done;
	tot.exits += s.exits;
	for (i = 0; i < VMEXIT_NR; i++)
		tot.by_reason[i] += s.by_reason[i];
	for (i = 0; i < ARRAY_SIZE(tot.vectors); i++)
		tot.vectors[i] += p->vectors[i];
	if (p->mismatches) {
		if (!tot.mismatches)
			report_mismatch(round, p, ops);
		tot.mismatches += p->mismatches;
	}
	test_vm_destroy(&fvm);
	tot.leaks += page_pool_used(&hv_pool) != used;
	host_state_read(&after);
	if (memcmp(&before, &after, sizeof(before))) {
		if (!tot.host_changes)
			pr_err("fuzz: seed 0x%llx round %llu changed the host's state: CR0 0x%llx -> "
			       "0x%llx, CR3 0x%llx -> 0x%llx, CR4 0x%llx -> 0x%llx, EFER 0x%llx -> "
			       "0x%llx, XCR0 0x%llx -> 0x%llx, DR7 0x%llx -> 0x%llx\n",
			       (unsigned long long)tot.seed, (unsigned long long)round,
			       (unsigned long long)before.cr0, (unsigned long long)after.cr0,
			       (unsigned long long)before.cr3, (unsigned long long)after.cr3,
			       (unsigned long long)before.cr4, (unsigned long long)after.cr4,
			       (unsigned long long)before.efer, (unsigned long long)after.efer,
			       (unsigned long long)before.xcr0, (unsigned long long)after.xcr0,
			       (unsigned long long)before.dr7, (unsigned long long)after.dr7);
		tot.host_changes++;
	}
}

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9", "#TS", "#NP",
	"#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
	"#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

/* Appends "name count" to a line of at most size bytes. */
static void add_count(char *line, size_t size, const char *name, u64 count)
{
	size_t n = strlen(line);

	snprintf(line + n, size - n, "%s%s %llu", n ? ", " : "", name, (unsigned long long)count);
}

static unsigned int fuzz_report(u64 ms)
{
	char line[400];
	unsigned int i, reasons = 0;
	u64 ms1 = ms ? ms : 1;

	pr_info("fuzz: seed 0x%llx (fuzz_seed=0x%llx replays it): %llu VMs, %llu ops, %llu exits "
		"in %llu.%03llu s: %llu ops/s, %llu exits/s\n",
		(unsigned long long)tot.seed, (unsigned long long)tot.seed,
		(unsigned long long)tot.rounds, (unsigned long long)tot.ops,
		(unsigned long long)tot.exits, (unsigned long long)(ms / 1000),
		(unsigned long long)(ms % 1000), (unsigned long long)(tot.ops * 1000 / ms1),
		(unsigned long long)(tot.exits * 1000 / ms1));
	line[0] = '\0';
	for (i = 1; i < VMEXIT_NR; i++)
		if (tot.by_reason[i]) {
			add_count(line, sizeof(line), vm_exit_name(i), tot.by_reason[i]);
			reasons++;
		}
	pr_info("fuzz: %u exit reasons: %s\n", reasons, line);
	line[0] = '\0';
	for (i = 0; i < 32; i++)
		if (tot.vectors[i])
			add_count(line, sizeof(line), vector_names[i], tot.vectors[i]);
	pr_info("fuzz: guest exceptions: %s\n", line[0] ? line : "none");
	pr_info("fuzz: %llu VMs killed, %u kinds of death%s:\n", (unsigned long long)tot.kills,
		tot.ndeaths, tot.other_deaths ? " (and more)" : "");
	for (i = 0; i < tot.ndeaths; i++)
		pr_info("fuzz:   %5llu x %s\n", (unsigned long long)tot.deaths[i].count,
			tot.deaths[i].what);
	pr_info("fuzz: %llu result mismatches, %llu stalled guests, %llu rounds that leaked pages, "
		"%llu that changed the host's registers\n", (unsigned long long)tot.mismatches,
		(unsigned long long)tot.stalls, (unsigned long long)tot.leaks,
		(unsigned long long)tot.host_changes);
	return reasons;
}

KTEST(fuzz_guest)
{
	const struct ktest_fuzz *opt = ktest_fuzz();
	u64 rounds = opt->iters ? opt->iters : opt->seconds ? ~0ULL : FUZZ_DEFAULT_ROUNDS;
	u64 t0 = rdtsc(), round, ms;
	struct gen how = { 0 };
	unsigned int reasons;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	/*
	 * Bochs' SVM model stops the whole machine at a guest's triple fault;
	 * QEMU's runs a guest's XSETBV despite the intercept, on the CPU's
	 * only XCR0, which the hypervisor and the firmware then inherit.
	 */
	how.triple_faults = !ktest_subcase_skipped(t, "triple_fault");
	how.xsetbv = !ktest_subcase_skipped(t, "xsetbv_intercept");
	memset(&tot, 0, sizeof(tot));
	tot.seed = opt->seed_set ? opt->seed : FUZZ_DEFAULT_SEED;
	pr_info("fuzz: seed 0x%llx, %llu ops per VM, %s\n", (unsigned long long)tot.seed,
		(unsigned long long)FUZZ_OPS_PER_VM,
		opt->seconds ? "timed" : "a fixed number of VMs");
	for (round = 0; round < rounds; round++) {
		if (opt->seconds && elapsed_ms(t0) >= opt->seconds * 1000)
			break;
		fuzz_round(round, &how);
	}
	ms = elapsed_ms(t0);
	reasons = fuzz_report(ms);
	KT_EXPECT(t, tot.ops > 0);
	KT_EXPECT(t, tot.rounds > 0);
	KT_EXPECT(t, reasons >= FUZZ_MIN_REASONS);
	KT_EXPECT_EQ(t, tot.mismatches, 0);
	KT_EXPECT_EQ(t, tot.stalls, 0);
	KT_EXPECT_EQ(t, tot.leaks, 0);
	KT_EXPECT_EQ(t, tot.host_changes, 0);
	/* a VM died, and the fuzzer went on with new ones */
	KT_EXPECT(t, tot.kills > 0 && tot.first_kill < tot.rounds);
}
