// SPDX-License-Identifier: MIT
/*
 * Unit tests of the MMIO instruction decoder (vm/insn.c).  The encodings in
 * the tables are what GNU as emits for the instruction in the text column
 * (Intel syntax), so each row is a specification: these bytes, in this
 * mode, are that access and that long.  Runs on the host and inside hv.efi.
 */
#include "vm/insn.h"
#include "lib/ktest.h"
#include "lib/string.h"
#include "errcode.h"

#define M16 CPU_MODE_16
#define M32 CPU_MODE_32
#define M64 CPU_MODE_64
#define LD INSN_LOAD
#define ST INSN_STORE
#define XN INSN_EXT_NONE
#define XZ INSN_EXT_ZERO
#define XS INSN_EXT_SIGN
#define NOREG INSN_NO_REG

#define NBYTES(...) ((u8)sizeof((u8[]){ __VA_ARGS__ }))

/* An instruction as text, mode and bytes; the decoder is given exactly n. */
struct encoding {
	const char *text;
	enum cpu_mode mode;
	u8 n;
	u8 bytes[INSN_MAX_LEN];
};

#define ENC(m, txt, ...) { txt, m, NBYTES(__VA_ARGS__), { __VA_ARGS__ } }

/* Decodes e into *in, which is zeroed first so a failure prints zeros. */
static int decode(const struct encoding *e, struct mmio_insn *in)
{
	memset(in, 0, sizeof(*in));
	return insn_decode_mmio(e->bytes, e->n, e->mode, in);
}

/* ---- the register forms: direction, size, register, extension ---------- */

struct reg_case {
	struct encoding e;
	u8 dir, size, reg;
	bool high8;
	u8 reg_size, ext;
};

#define REG(m, txt, dir, size, reg, hi, rsz, ext, ...) \
	{ ENC(m, txt, __VA_ARGS__), dir, size, reg, hi, rsz, ext }

static const struct reg_case reg_cases[] = {
	/* MOV r/m8, r8 (88): AH..BH without REX, SPL..DIL and R8B.. with */
	REG(M64, "mov byte [rax], cl", ST, 1, GPR_RCX, 0, 1, XN, 0x88, 0x08),
	REG(M64, "mov byte [rax], ah", ST, 1, GPR_RAX, 1, 1, XN, 0x88, 0x20),
	REG(M64, "mov byte [rax], bh", ST, 1, GPR_RBX, 1, 1, XN, 0x88, 0x38),
	REG(M64, "mov byte [rax], spl", ST, 1, GPR_RSP, 0, 1, XN, 0x40, 0x88, 0x20),
	REG(M64, "mov byte [rax], dil", ST, 1, GPR_RDI, 0, 1, XN, 0x40, 0x88, 0x38),
	REG(M64, "mov byte [r8], r15b", ST, 1, GPR_R15, 0, 1, XN, 0x45, 0x88, 0x38),
	/* MOV r/m, r (89): 66 for 16 bits, REX.W for 64 */
	REG(M64, "mov word [rdi], ax", ST, 2, GPR_RAX, 0, 2, XN, 0x66, 0x89, 0x07),
	REG(M64, "mov dword [rdi], esi", ST, 4, GPR_RSI, 0, 4, XN, 0x89, 0x37),
	REG(M64, "mov qword [rdi], r9", ST, 8, GPR_R9, 0, 8, XN, 0x4c, 0x89, 0x0f),
	REG(M64, "mov qword [r13], rax", ST, 8, GPR_RAX, 0, 8, XN, 0x49, 0x89, 0x45, 0x00),
	REG(M64, "mov dword [r12], eax", ST, 4, GPR_RAX, 0, 4, XN, 0x41, 0x89, 0x04, 0x24),
	REG(M64, "mov dword [rsp], eax", ST, 4, GPR_RAX, 0, 4, XN, 0x89, 0x04, 0x24),
	REG(M64, "mov dword [rbp], eax", ST, 4, GPR_RAX, 0, 4, XN, 0x89, 0x45, 0x00),
	REG(M64, "mov dword fs:[rax], eax", ST, 4, GPR_RAX, 0, 4, XN, 0x64, 0x89, 0x00),
	/* MOV r8, r/m8 (8A) and MOV r, r/m (8B) */
	REG(M64, "mov cl, byte [rdx]", LD, 1, GPR_RCX, 0, 1, XN, 0x8a, 0x0a),
	REG(M64, "mov dh, byte [rdx]", LD, 1, GPR_RDX, 1, 1, XN, 0x8a, 0x32),
	REG(M64, "mov sil, byte [rdx]", LD, 1, GPR_RSI, 0, 1, XN, 0x40, 0x8a, 0x32),
	REG(M64, "mov ax, word [rbx+8]", LD, 2, GPR_RAX, 0, 2, XN, 0x66, 0x8b, 0x43, 0x08),
	REG(M64, "mov eax, dword [rbx+0x12345678]", LD, 4, GPR_RAX, 0, 4, XN,
	    0x8b, 0x83, 0x78, 0x56, 0x34, 0x12),
	REG(M64, "mov r11, qword [rbx-8]", LD, 8, GPR_R11, 0, 8, XN, 0x4c, 0x8b, 0x5b, 0xf8),
	REG(M64, "mov eax, dword [rip+0x100]", LD, 4, GPR_RAX, 0, 4, XN,
	    0x8b, 0x05, 0x00, 0x01, 0x00, 0x00),
	REG(M64, "mov eax, dword [eip+0x100]", LD, 4, GPR_RAX, 0, 4, XN,
	    0x67, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00),
	REG(M64, "mov rax, qword [rax+rbx*4]", LD, 8, GPR_RAX, 0, 8, XN, 0x48, 0x8b, 0x04, 0x98),
	REG(M64, "mov rax, qword [r12+r13*8+0x7f]", LD, 8, GPR_RAX, 0, 8, XN,
	    0x4b, 0x8b, 0x44, 0xec, 0x7f),
	REG(M64, "mov eax, dword [rbx*8+0x1000]", LD, 4, GPR_RAX, 0, 4, XN,
	    0x8b, 0x04, 0xdd, 0x00, 0x10, 0x00, 0x00),
	REG(M64, "mov eax, dword [0x1000]", LD, 4, GPR_RAX, 0, 4, XN,
	    0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00),
	REG(M64, "mov eax, dword [ebx+ecx*2+4]", LD, 4, GPR_RAX, 0, 4, XN,
	    0x67, 0x8b, 0x44, 0x4b, 0x04),
	REG(M64, "mov rax, qword gs:[0x28]", LD, 8, GPR_RAX, 0, 8, XN,
	    0x65, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00),
	/* MOVZX / MOVSX: a narrow load widened to the operand size */
	REG(M64, "movzx eax, byte [rsi]", LD, 1, GPR_RAX, 0, 4, XZ, 0x0f, 0xb6, 0x06),
	REG(M64, "movzx esi, byte [rsi]", LD, 1, GPR_RSI, 0, 4, XZ, 0x0f, 0xb6, 0x36),
	REG(M64, "movzx eax, word [rsi]", LD, 2, GPR_RAX, 0, 4, XZ, 0x0f, 0xb7, 0x06),
	REG(M64, "movzx ax, byte [rsi]", LD, 1, GPR_RAX, 0, 2, XZ, 0x66, 0x0f, 0xb6, 0x06),
	REG(M64, "movzx r10, byte [rsi]", LD, 1, GPR_R10, 0, 8, XZ, 0x4c, 0x0f, 0xb6, 0x16),
	REG(M64, "movzx r10, word [rsi]", LD, 2, GPR_R10, 0, 8, XZ, 0x4c, 0x0f, 0xb7, 0x16),
	REG(M64, "movsx eax, byte [rsi]", LD, 1, GPR_RAX, 0, 4, XS, 0x0f, 0xbe, 0x06),
	REG(M64, "movsx ecx, word [rsi]", LD, 2, GPR_RCX, 0, 4, XS, 0x0f, 0xbf, 0x0e),
	REG(M64, "movsx rax, byte [rsi]", LD, 1, GPR_RAX, 0, 8, XS, 0x48, 0x0f, 0xbe, 0x06),
	REG(M64, "movsx r9, word [rsi]", LD, 2, GPR_R9, 0, 8, XS, 0x4c, 0x0f, 0xbf, 0x0e),
	REG(M64, "movsx dx, byte [rsi]", LD, 1, GPR_RDX, 0, 2, XS, 0x66, 0x0f, 0xbe, 0x16),
	/* MOVSXD (63): sign-extends a dword with REX.W, a plain load without */
	REG(M64, "movsxd rax, dword [rsi]", LD, 4, GPR_RAX, 0, 8, XS, 0x48, 0x63, 0x06),
	REG(M64, "movsxd r14, dword [r15+8]", LD, 4, GPR_R14, 0, 8, XS, 0x4d, 0x63, 0x77, 0x08),
	REG(M64, "movsxd eax, dword [rsi]", LD, 4, GPR_RAX, 0, 4, XN, 0x63, 0x06),
	/* MOV AL/rAX <-> moffs (A0-A3): an 8-byte offset in 64-bit mode */
	REG(M64, "mov al, [0x1122334455667788]", LD, 1, GPR_RAX, 0, 1, XN,
	    0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	REG(M64, "mov eax, [0x1122334455667788]", LD, 4, GPR_RAX, 0, 4, XN,
	    0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	REG(M64, "mov rax, [0x1122334455667788]", LD, 8, GPR_RAX, 0, 8, XN,
	    0x48, 0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	REG(M64, "mov [0x1122334455667788], al", ST, 1, GPR_RAX, 0, 1, XN,
	    0xa2, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	REG(M64, "mov [0x1122334455667788], rax", ST, 8, GPR_RAX, 0, 8, XN,
	    0x48, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	REG(M64, "mov [0x1122334455667788], ax", ST, 2, GPR_RAX, 0, 2, XN,
	    0x66, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	REG(M64, "addr32 mov eax, [0x12345678]", LD, 4, GPR_RAX, 0, 4, XN,
	    0x67, 0xa1, 0x78, 0x56, 0x34, 0x12),
	/* 32-bit protected / compatibility mode: 40-4F are not REX */
	REG(M32, "mov dword [eax], ecx", ST, 4, GPR_RCX, 0, 4, XN, 0x89, 0x08),
	REG(M32, "mov byte [ebx+4], ah", ST, 1, GPR_RAX, 1, 1, XN, 0x88, 0x63, 0x04),
	REG(M32, "mov word [esi], dx", ST, 2, GPR_RDX, 0, 2, XN, 0x66, 0x89, 0x16),
	REG(M32, "mov edi, dword [ebp+0x10]", LD, 4, GPR_RDI, 0, 4, XN, 0x8b, 0x7d, 0x10),
	REG(M32, "mov eax, dword [esp+eax*4]", LD, 4, GPR_RAX, 0, 4, XN, 0x8b, 0x04, 0x84),
	REG(M32, "mov eax, dword [bx+si]", LD, 4, GPR_RAX, 0, 4, XN, 0x67, 0x8b, 0x00),
	REG(M32, "mov ax, word [bp+di+0x1234]", LD, 2, GPR_RAX, 0, 2, XN,
	    0x67, 0x66, 0x8b, 0x83, 0x34, 0x12),
	REG(M32, "mov eax, dword [0x1234] (addr16)", LD, 4, GPR_RAX, 0, 4, XN,
	    0x67, 0x8b, 0x06, 0x34, 0x12),
	REG(M32, "movzx eax, byte [edx]", LD, 1, GPR_RAX, 0, 4, XZ, 0x0f, 0xb6, 0x02),
	REG(M32, "movsx eax, word [edx]", LD, 2, GPR_RAX, 0, 4, XS, 0x0f, 0xbf, 0x02),
	REG(M32, "mov eax, [0x12345678]", LD, 4, GPR_RAX, 0, 4, XN, 0xa1, 0x78, 0x56, 0x34, 0x12),
	REG(M32, "mov ax, [0x1234]", LD, 2, GPR_RAX, 0, 2, XN,
	    0x66, 0xa1, 0x34, 0x12, 0x00, 0x00),
	REG(M32, "mov al, [0x12345678]", LD, 1, GPR_RAX, 0, 1, XN, 0xa0, 0x78, 0x56, 0x34, 0x12),
	REG(M32, "mov [0x12345678], eax", ST, 4, GPR_RAX, 0, 4, XN, 0xa3, 0x78, 0x56, 0x34, 0x12),
	REG(M32, "addr16 mov eax, [0x1234]", LD, 4, GPR_RAX, 0, 4, XN, 0x67, 0xa1, 0x34, 0x12),
	/* 16-bit code: 66 selects 32-bit operands, 67 32-bit addressing */
	REG(M16, "mov word [bx+si], ax", ST, 2, GPR_RAX, 0, 2, XN, 0x89, 0x00),
	REG(M16, "mov al, byte [bp+di+4]", LD, 1, GPR_RAX, 0, 1, XN, 0x8a, 0x43, 0x04),
	REG(M16, "mov ax, word [bp]", LD, 2, GPR_RAX, 0, 2, XN, 0x8b, 0x46, 0x00),
	REG(M16, "mov ax, word [0x1234]", LD, 2, GPR_RAX, 0, 2, XN, 0x8b, 0x06, 0x34, 0x12),
	REG(M16, "mov eax, dword [bx+0x1000]", LD, 4, GPR_RAX, 0, 4, XN,
	    0x66, 0x8b, 0x87, 0x00, 0x10),
	REG(M16, "mov eax, dword [ebx+ecx*4]", LD, 4, GPR_RAX, 0, 4, XN,
	    0x67, 0x66, 0x8b, 0x04, 0x8b),
	REG(M16, "mov ax, [0x1234]", LD, 2, GPR_RAX, 0, 2, XN, 0xa1, 0x34, 0x12),
};

/* Prints the row's text with the expected and the seen decoding. */
static void check_reg_case(struct ktest_ctx *t, const struct reg_case *c)
{
	struct mmio_insn in;
	int ret = decode(&c->e, &in);

	if (!ktest_check(t, ret == 0, __FILE__, __LINE__, "'%s': expected 0, seen %d",
			 c->e.text, ret))
		return;
	ktest_check(t, in.len == c->e.n && in.dir == c->dir && in.size == c->size &&
		    in.reg == c->reg && in.high8 == c->high8 && in.reg_size == c->reg_size &&
		    in.ext == c->ext && !in.imm_src, __FILE__, __LINE__,
		    "'%s': expected len %u dir %u size %u reg %u%s rsz %u ext %u, "
		    "seen len %u dir %u size %u reg %u%s rsz %u ext %u imm %u", c->e.text,
		    c->e.n, c->dir, c->size, c->reg, c->high8 ? "h" : "", c->reg_size, c->ext,
		    in.len, in.dir, in.size, in.reg, in.high8 ? "h" : "", in.reg_size, in.ext,
		    in.imm_src);
}

KTEST(insn_mov_forms_decode_to_length_size_direction_and_register)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reg_cases); i++)
		check_reg_case(t, &reg_cases[i]);
}

/* ---- stores of an immediate ---------------------------------------------- */

struct imm_case {
	struct encoding e;
	u8 size;
	u64 imm;
};

#define IMM(m, txt, size, imm, ...) { ENC(m, txt, __VA_ARGS__), size, imm }

static const struct imm_case imm_cases[] = {
	IMM(M64, "mov byte [rax], 0x5a", 1, 0x5a, 0xc6, 0x00, 0x5a),
	IMM(M64, "mov byte [rax], -1", 1, 0xff, 0xc6, 0x00, 0xff),
	IMM(M64, "mov word [rax], 0x1234", 2, 0x1234, 0x66, 0xc7, 0x00, 0x34, 0x12),
	IMM(M64, "mov dword [rax+0x10], 0x89abcdef", 4, 0x89abcdef,
	    0xc7, 0x40, 0x10, 0xef, 0xcd, 0xab, 0x89),
	IMM(M64, "mov qword [rax], -2", 8, 0xfffffffffffffffeULL,
	    0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff),
	IMM(M64, "mov qword [rax], 0x7fffffff", 8, 0x7fffffff,
	    0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0x7f),
	IMM(M64, "mov byte [rip+0x100], 0xab", 1, 0xab,
	    0xc6, 0x05, 0x00, 0x01, 0x00, 0x00, 0xab),
	IMM(M64, "mov qword [r12+0x100], -1", 8, ~0ULL,
	    0x49, 0xc7, 0x84, 0x24, 0x00, 0x01, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff),
	IMM(M32, "mov dword [ecx], 0xdeadbeef", 4, 0xdeadbeef,
	    0xc7, 0x01, 0xef, 0xbe, 0xad, 0xde),
	IMM(M32, "mov word [ecx], 0xbeef", 2, 0xbeef, 0x66, 0xc7, 0x01, 0xef, 0xbe),
	IMM(M16, "mov word [di], 0x5678", 2, 0x5678, 0xc7, 0x05, 0x78, 0x56),
	IMM(M16, "mov dword [di], 0x5678abcd", 4, 0x5678abcd,
	    0x66, 0xc7, 0x05, 0xcd, 0xab, 0x78, 0x56),
};

KTEST(insn_store_immediates_follow_the_operand_and_extend_to_the_access_size)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(imm_cases); i++) {
		const struct imm_case *c = &imm_cases[i];
		struct mmio_insn in;
		int ret = decode(&c->e, &in);

		ktest_check(t, ret == 0 && in.len == c->e.n && in.dir == ST && in.imm_src &&
			    in.size == c->size && in.imm == c->imm, __FILE__, __LINE__,
			    "'%s': expected len %u size %u imm 0x%llx, seen ret %d len %u "
			    "dir %u imm_src %u size %u imm 0x%llx", c->e.text, c->e.n, c->size,
			    (unsigned long long)c->imm, ret, in.len, in.dir, in.imm_src, in.size,
			    (unsigned long long)in.imm);
	}
}

/* ---- memory operands: every ModRM/SIB case ------------------------------- */

struct mem_case {
	struct encoding e;
	u8 addr_size;
	s8 base, index;
	u8 scale;
	u64 disp;
	bool rip_rel;
};

#define MEM(m, txt, asz, base, index, scale, disp, rip, ...) \
	{ ENC(m, txt, __VA_ARGS__), asz, base, index, scale, disp, rip }

static const struct mem_case mem_cases[] = {
	MEM(M64, "mov eax, [rip+0x100]", 8, NOREG, NOREG, 1, 0x100, 1,
	    0x8b, 0x05, 0x00, 0x01, 0x00, 0x00),
	MEM(M64, "mov eax, [eip+0x100]", 4, NOREG, NOREG, 1, 0x100, 1,
	    0x67, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00),
	MEM(M64, "mov eax, [rip-4] (REX.B does not make it r13)", 8, NOREG, NOREG, 1, -4ULL, 1,
	    0x41, 0x8b, 0x05, 0xfc, 0xff, 0xff, 0xff),
	MEM(M64, "mov rax, [rax+rbx*4]", 8, GPR_RAX, GPR_RBX, 4, 0, 0, 0x48, 0x8b, 0x04, 0x98),
	MEM(M64, "mov rax, [r12+r13*8+0x7f]", 8, GPR_R12, GPR_R13, 8, 0x7f, 0,
	    0x4b, 0x8b, 0x44, 0xec, 0x7f),
	MEM(M64, "mov rax, [rax+r12*2-0x80]", 8, GPR_RAX, GPR_R12, 2, -0x80ULL, 0,
	    0x4a, 0x8b, 0x44, 0x60, 0x80),
	MEM(M64, "mov eax, [rbx*8+0x1000] (SIB base 101, mod 00)", 8, NOREG, GPR_RBX, 8,
	    0x1000, 0, 0x8b, 0x04, 0xdd, 0x00, 0x10, 0x00, 0x00),
	MEM(M64, "mov eax, [0x1000] (SIB, no base, no index)", 8, NOREG, NOREG, 1, 0x1000, 0,
	    0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00),
	MEM(M64, "mov eax, [-0x10] (SIB base 101 with REX.B: still none)", 8, NOREG, NOREG, 1,
	    -0x10ULL, 0, 0x41, 0x8b, 0x04, 0x25, 0xf0, 0xff, 0xff, 0xff),
	MEM(M64, "mov eax, [r13+rax*1+0]", 8, GPR_R13, GPR_RAX, 1, 0, 0,
	    0x41, 0x8b, 0x44, 0x05, 0x00),
	MEM(M64, "mov eax, [rax] (SIB index 100: none)", 8, GPR_RAX, NOREG, 1, 0, 0,
	    0x8b, 0x04, 0x20),
	MEM(M64, "mov eax, [rax+r12*1] (index 100 with REX.X)", 8, GPR_RAX, GPR_R12, 1, 0, 0,
	    0x42, 0x8b, 0x04, 0x20),
	MEM(M64, "mov qword [r13+0], rax", 8, GPR_R13, NOREG, 1, 0, 0, 0x49, 0x89, 0x45, 0x00),
	MEM(M64, "mov dword [r12], eax", 8, GPR_R12, NOREG, 1, 0, 0, 0x41, 0x89, 0x04, 0x24),
	MEM(M64, "mov dword [rsp], eax", 8, GPR_RSP, NOREG, 1, 0, 0, 0x89, 0x04, 0x24),
	MEM(M64, "mov eax, [rbx+0x12345678]", 8, GPR_RBX, NOREG, 1, 0x12345678, 0,
	    0x8b, 0x83, 0x78, 0x56, 0x34, 0x12),
	MEM(M64, "mov eax, [rbx-0x80000000]", 8, GPR_RBX, NOREG, 1, 0xffffffff80000000ULL, 0,
	    0x8b, 0x83, 0x00, 0x00, 0x00, 0x80),
	MEM(M64, "mov r11, [rbx-8]", 8, GPR_RBX, NOREG, 1, -8ULL, 0, 0x4c, 0x8b, 0x5b, 0xf8),
	MEM(M64, "mov eax, [ebx+ecx*2+4]", 4, GPR_RBX, GPR_RCX, 2, 4, 0,
	    0x67, 0x8b, 0x44, 0x4b, 0x04),
	MEM(M64, "mov eax, [0x1122334455667788]", 8, NOREG, NOREG, 1, 0x1122334455667788ULL, 0,
	    0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	MEM(M64, "addr32 mov eax, [0x87654321]", 4, NOREG, NOREG, 1, 0x87654321, 0,
	    0x67, 0xa1, 0x21, 0x43, 0x65, 0x87),
	MEM(M32, "mov eax, [0x12345678] (mod 00 rm 101: absolute)", 4, NOREG, NOREG, 1,
	    0x12345678, 0, 0x8b, 0x05, 0x78, 0x56, 0x34, 0x12),
	MEM(M32, "mov eax, [esp+eax*4]", 4, GPR_RSP, GPR_RAX, 4, 0, 0, 0x8b, 0x04, 0x84),
	MEM(M32, "mov eax, [bx+si]", 2, GPR_RBX, GPR_RSI, 1, 0, 0, 0x67, 0x8b, 0x00),
	MEM(M32, "mov ax, [bp+di+0x1234]", 2, GPR_RBP, GPR_RDI, 1, 0x1234, 0,
	    0x67, 0x66, 0x8b, 0x83, 0x34, 0x12),
	MEM(M32, "mov eax, [0x1234] (addr16 mod 00 rm 110)", 2, NOREG, NOREG, 1, 0x1234, 0,
	    0x67, 0x8b, 0x06, 0x34, 0x12),
	MEM(M16, "mov ax, [bp+0]", 2, GPR_RBP, NOREG, 1, 0, 0, 0x8b, 0x46, 0x00),
	MEM(M16, "mov al, [bp+di+4]", 2, GPR_RBP, GPR_RDI, 1, 4, 0, 0x8a, 0x43, 0x04),
	MEM(M16, "mov ax, [bx-2]", 2, GPR_RBX, NOREG, 1, -2ULL, 0, 0x8b, 0x47, 0xfe),
	MEM(M16, "mov ax, [si+0x8000]", 2, GPR_RSI, NOREG, 1, -0x8000ULL, 0,
	    0x8b, 0x84, 0x00, 0x80),
	MEM(M16, "mov eax, [ebx+ecx*4]", 4, GPR_RBX, GPR_RCX, 4, 0, 0,
	    0x67, 0x66, 0x8b, 0x04, 0x8b),
	MEM(M16, "mov ax, [0x1234] (moffs16)", 2, NOREG, NOREG, 1, 0x1234, 0, 0xa1, 0x34, 0x12),
};

KTEST(insn_memory_operands_decode_every_addressing_form)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(mem_cases); i++) {
		const struct mem_case *c = &mem_cases[i];
		struct mmio_insn in;
		int ret = decode(&c->e, &in);

		ktest_check(t, ret == 0 && in.len == c->e.n && in.addr_size == c->addr_size &&
			    in.mem.base == c->base && in.mem.index == c->index &&
			    in.mem.scale == c->scale && in.mem.disp == c->disp &&
			    in.mem.rip_rel == c->rip_rel, __FILE__, __LINE__,
			    "'%s': expected len %u asz %u [%d+%d*%u+0x%llx]%s, seen ret %d len %u "
			    "asz %u [%d+%d*%u+0x%llx]%s", c->e.text, c->e.n, c->addr_size,
			    c->base, c->index, c->scale, (unsigned long long)c->disp,
			    c->rip_rel ? " rip" : "", ret, in.len, in.addr_size, in.mem.base,
			    in.mem.index, in.mem.scale, (unsigned long long)in.mem.disp,
			    in.mem.rip_rel ? " rip" : "");
	}
}

/* ---- prefixes -------------------------------------------------------------- */

KTEST(insn_segment_overrides_are_reported_and_the_last_one_wins)
{
	static const struct {
		struct encoding e;
		u8 seg;
	} cases[] = {
		{ ENC(M64, "mov [rax], eax", 0x89, 0x00), INSN_SEG_NONE },
		{ ENC(M32, "mov es:[eax], eax", 0x26, 0x89, 0x00), INSN_SEG_ES },
		{ ENC(M32, "mov cs:[eax], eax", 0x2e, 0x89, 0x00), INSN_SEG_CS },
		{ ENC(M32, "mov ss:[eax], eax", 0x36, 0x89, 0x00), INSN_SEG_SS },
		{ ENC(M32, "mov ds:[eax], eax", 0x3e, 0x89, 0x00), INSN_SEG_DS },
		{ ENC(M64, "mov fs:[rax], eax", 0x64, 0x89, 0x00), INSN_SEG_FS },
		{ ENC(M64, "mov rax, gs:[0x28]", 0x65, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0),
		  INSN_SEG_GS },
		{ ENC(M64, "cs gs mov [rax], eax", 0x2e, 0x65, 0x89, 0x00), INSN_SEG_GS },
		{ ENC(M64, "gs cs mov [rax], eax", 0x65, 0x2e, 0x89, 0x00), INSN_SEG_CS },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mmio_insn in;
		int ret = decode(&cases[i].e, &in);

		ktest_check(t, ret == 0 && in.len == cases[i].e.n && in.seg == cases[i].seg,
			    __FILE__, __LINE__, "'%s': expected seg %u len %u, seen ret %d "
			    "seg %u len %u", cases[i].e.text, cases[i].seg, cases[i].e.n, ret,
			    in.seg, in.len);
	}
}

KTEST(insn_rex_counts_only_right_before_the_opcode)
{
	/* REX.W then 66: the REX is ignored, so this is a 16-bit store */
	static const u8 rex_then_66[] = { 0x48, 0x66, 0x89, 0x00 };
	/* 66 then REX.W: REX.W wins over 66 */
	static const u8 rex_after_66[] = { 0x66, 0x48, 0x89, 0x00 };
	/* two REX: only the last one counts (REX.R from the first is lost) */
	static const u8 two_rex[] = { 0x44, 0x48, 0x89, 0x08 };
	/* in 32-bit mode 48 is DEC eAX, not a prefix */
	static const u8 dec_eax[] = { 0x48, 0x89, 0x00 };
	struct mmio_insn in;

	KT_ASSERT_EQ(t, insn_decode_mmio(rex_then_66, sizeof(rex_then_66), M64, &in), 0);
	KT_EXPECT_EQ(t, in.len, 4);
	KT_EXPECT_EQ(t, in.size, 2);
	KT_ASSERT_EQ(t, insn_decode_mmio(rex_after_66, sizeof(rex_after_66), M64, &in), 0);
	KT_EXPECT_EQ(t, in.size, 8);
	KT_ASSERT_EQ(t, insn_decode_mmio(two_rex, sizeof(two_rex), M64, &in), 0);
	KT_EXPECT_EQ(t, in.reg, GPR_RCX);
	KT_EXPECT_EQ(t, in.size, 8);
	KT_EXPECT_EQ(t, insn_decode_mmio(dec_eax, sizeof(dec_eax), M32, &in), -EOPNOTSUPP);
}

KTEST(insn_byte_registers_4_to_7_are_ah_to_bh_only_without_rex)
{
	static const char *const names[] = { "spl", "bpl", "sil", "dil" };
	u8 plain[2] = { 0x88, 0 }, rex[3] = { 0x40, 0x88, 0 };
	unsigned int r;
	struct mmio_insn in;

	for (r = 4; r < 8; r++) {
		plain[1] = rex[2] = (u8)(r << 3);	/* mov [rax], <byte reg r> */
		KT_ASSERT_EQ(t, insn_decode_mmio(plain, sizeof(plain), M64, &in), 0);
		ktest_check(t, in.high8 && in.reg == r - 4, __FILE__, __LINE__,
			    "byte reg %u without REX: expected high8 of %u, seen reg %u high8 %u",
			    r, r - 4, in.reg, in.high8);
		KT_ASSERT_EQ(t, insn_decode_mmio(rex, sizeof(rex), M64, &in), 0);
		ktest_check(t, !in.high8 && in.reg == r, __FILE__, __LINE__,
			    "%s: expected reg %u, seen reg %u high8 %u", names[r - 4], r, in.reg,
			    in.high8);
	}
}

/* ---- what is refused ------------------------------------------------------- */

struct bad_case {
	struct encoding e;
	int err;
};

static const struct bad_case bad_cases[] = {
	/* not plain moves */
	{ ENC(M64, "lock mov [rax], ecx", 0xf0, 0x89, 0x08), -EOPNOTSUPP },
	{ ENC(M64, "xrelease mov [rax], ecx", 0xf3, 0x89, 0x08), -EOPNOTSUPP },
	{ ENC(M64, "repne mov [rax], ecx", 0xf2, 0x89, 0x08), -EOPNOTSUPP },
	{ ENC(M64, "rep movsd", 0xf3, 0xa5), -EOPNOTSUPP },
	{ ENC(M64, "movsd", 0xa5), -EOPNOTSUPP },
	{ ENC(M64, "add [rax], ecx", 0x01, 0x08), -EOPNOTSUPP },
	{ ENC(M64, "xchg [rax], ecx", 0x87, 0x08), -EOPNOTSUPP },
	{ ENC(M64, "movups xmm0, [rax]", 0x0f, 0x10, 0x00), -EOPNOTSUPP },
	{ ENC(M64, "movnti [rax], eax", 0x0f, 0xc3, 0x00), -EOPNOTSUPP },
	{ ENC(M64, "mov eax, 1 (B8: no memory)", 0xb8, 0x01, 0x00, 0x00, 0x00), -EOPNOTSUPP },
	{ ENC(M32, "arpl [eax], ax (63 outside 64-bit mode)", 0x63, 0x00), -EOPNOTSUPP },
	{ ENC(M16, "arpl [bx+si], ax", 0x63, 0x00), -EOPNOTSUPP },
	{ ENC(M64, "movsxd ax, [rax] (the vendors disagree on its width)", 0x66, 0x63, 0x00),
	  -EOPNOTSUPP },
	{ ENC(M32, "inc eax; mov [eax], eax", 0x40, 0x89, 0x00), -EOPNOTSUPP },
	/* register-only forms cannot have touched memory */
	{ ENC(M64, "mov eax, ecx", 0x89, 0xc8), -EINVAL },
	{ ENC(M64, "mov r8b, al", 0x41, 0x88, 0xc0), -EINVAL },
	{ ENC(M64, "mov rax, rcx", 0x48, 0x8b, 0xc1), -EINVAL },
	{ ENC(M64, "mov eax, 1 (C7 /0 mod 11)", 0xc7, 0xc0, 0x01, 0x00, 0x00, 0x00), -EINVAL },
	{ ENC(M64, "movzx eax, cl", 0x0f, 0xb6, 0xc1), -EINVAL },
	{ ENC(M64, "movsxd rax, ecx", 0x48, 0x63, 0xc1), -EINVAL },
	{ ENC(M16, "mov ax, cx", 0x8b, 0xc1), -EINVAL },
	/* C6/C7 are MOV only as /0 */
	{ ENC(M64, "c6 /1 [rax], 1", 0xc6, 0x08, 0x01), -EINVAL },
	{ ENC(M64, "c7 /7 [rax], 1", 0xc7, 0x38, 0x01, 0x00, 0x00, 0x00), -EINVAL },
	{ ENC(M64, "xabort 1", 0xc6, 0xf8, 0x01), -EINVAL },
	/* 15 bytes at most: 10 prefixes + 7 bytes of instruction */
	{ ENC(M64, "17-byte mov", 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x2e,
	      0x3e, 0x89, 0x84, 0x24, 0x00, 0x01), -E2BIG },
	{ ENC(M64, "15 prefixes", 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	      0x66, 0x66, 0x66, 0x66, 0x66, 0x66), -E2BIG },
};

KTEST(insn_rejects_lock_rep_register_forms_other_opcodes_and_overlong_code)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct mmio_insn in;
		int ret = decode(&c->e, &in);

		ktest_check(t, ret == c->err, __FILE__, __LINE__, "'%s': expected %d, seen %d",
			    c->e.text, c->err, ret);
	}
}

KTEST(insn_of_exactly_15_bytes_is_accepted)
{
	/* 8 segment prefixes + mov [rsp+0x11223344], eax (7 bytes) */
	static const u8 b[INSN_MAX_LEN] = { 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x3e,
					    0x89, 0x84, 0x24, 0x44, 0x33, 0x22, 0x11 };
	u8 longer[INSN_MAX_LEN + 1];
	struct mmio_insn in;

	KT_ASSERT_EQ(t, insn_decode_mmio(b, sizeof(b), M64, &in), 0);
	KT_EXPECT_EQ(t, in.len, 15);
	KT_EXPECT_EQ(t, in.mem.disp, 0x11223344);
	KT_EXPECT_EQ(t, in.seg, INSN_SEG_DS);
	/* one more prefix makes it 16 bytes, however many bytes are available */
	longer[0] = 0x2e;
	memcpy(longer + 1, b, sizeof(b));
	KT_EXPECT_EQ(t, insn_decode_mmio(longer, sizeof(longer), M64, &in), -E2BIG);
	/* and no bytes at all is too few */
	KT_EXPECT_EQ(t, insn_decode_mmio(b, 0, M64, &in), -E2BIG);
}

/*
 * Each table row, cut short at every length, must ask for more bytes, and
 * with junk after it must decode the same.  The bytes are placed at the
 * end of the buffer, so reading past avail would be caught by ASan.
 */
static void check_cut_and_padded(struct ktest_ctx *t, const struct encoding *e)
{
	u8 buf[INSN_MAX_LEN], padded[INSN_MAX_LEN];
	struct mmio_insn in;
	unsigned int avail;
	int ret;

	for (avail = 0; avail < e->n; avail++) {
		u8 *p = buf + sizeof(buf) - avail;

		memcpy(p, e->bytes, avail);
		ret = insn_decode_mmio(p, avail, e->mode, &in);
		ktest_check(t, ret == -E2BIG, __FILE__, __LINE__,
			    "'%s' cut to %u bytes: expected %d, seen %d", e->text, avail,
			    -E2BIG, ret);
	}
	memset(padded, 0xcc, sizeof(padded));
	memcpy(padded, e->bytes, e->n);
	memset(&in, 0, sizeof(in));
	ret = insn_decode_mmio(padded, sizeof(padded), e->mode, &in);
	ktest_check(t, ret == 0 && in.len == e->n, __FILE__, __LINE__,
		    "'%s' followed by int3s: expected len %u, seen ret %d len %u", e->text,
		    e->n, ret, in.len);
}

KTEST(insn_truncated_bytes_ask_for_more_and_trailing_bytes_are_ignored)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reg_cases); i++)
		check_cut_and_padded(t, &reg_cases[i].e);
	for (i = 0; i < ARRAY_SIZE(imm_cases); i++)
		check_cut_and_padded(t, &imm_cases[i].e);
	for (i = 0; i < ARRAY_SIZE(mem_cases); i++)
		check_cut_and_padded(t, &mem_cases[i].e);
}

/* ---- moving the value --------------------------------------------------- */

static u64 merge(enum cpu_mode mode, const u8 *bytes, size_t n, u64 old, u64 value)
{
	struct mmio_insn in;

	if (insn_decode_mmio(bytes, n, mode, &in))
		return 0xbadbadbadULL;
	return insn_merge_load(&in, old, value);
}

#define MERGE(bytes_, old, value) merge(M64, bytes_, sizeof(bytes_), old, value)

KTEST(insn_load_merge_keeps_upper_bits_for_8_and_16_and_clears_them_for_32)
{
	static const u8 mov_cl[] = { 0x8a, 0x0a };		/* mov cl, [rdx] */
	static const u8 mov_dh[] = { 0x8a, 0x32 };		/* mov dh, [rdx] */
	static const u8 mov_ax[] = { 0x66, 0x8b, 0x43, 0x08 };	/* mov ax, [rbx+8] */
	static const u8 mov_eax[] = { 0x8b, 0x06 };		/* mov eax, [rsi] */
	static const u8 mov_rax[] = { 0x48, 0x8b, 0x06 };	/* mov rax, [rsi] */
	const u64 old = 0x1122334455667788ULL;

	KT_EXPECT_EQ(t, MERGE(mov_cl, old, 0xab), 0x11223344556677abULL);
	KT_EXPECT_EQ(t, MERGE(mov_dh, old, 0xab), 0x112233445566ab88ULL);
	KT_EXPECT_EQ(t, MERGE(mov_ax, old, 0xabcd), 0x112233445566abcdULL);
	KT_EXPECT_EQ(t, MERGE(mov_eax, old, 0x89abcdef), 0x0000000089abcdefULL);
	KT_EXPECT_EQ(t, MERGE(mov_rax, old, 0xfedcba9876543210ULL), 0xfedcba9876543210ULL);
	/* bits of value above the access size are not the device's: ignored */
	KT_EXPECT_EQ(t, MERGE(mov_cl, old, 0xffffff01), 0x1122334455667701ULL);
	KT_EXPECT_EQ(t, MERGE(mov_dh, old, 0xffffff01), 0x1122334455660188ULL);
	KT_EXPECT_EQ(t, MERGE(mov_eax, old, 0xffffffff00000001ULL), 1);
}

KTEST(insn_load_merge_widens_movzx_movsx_and_movsxd)
{
	static const u8 movzx_eax_b[] = { 0x0f, 0xb6, 0x06 };		/* movzx eax, byte */
	static const u8 movzx_ax_b[] = { 0x66, 0x0f, 0xb6, 0x06 };	/* movzx ax, byte */
	static const u8 movzx_r10_w[] = { 0x4c, 0x0f, 0xb7, 0x16 };	/* movzx r10, word */
	static const u8 movsx_eax_b[] = { 0x0f, 0xbe, 0x06 };		/* movsx eax, byte */
	static const u8 movsx_dx_b[] = { 0x66, 0x0f, 0xbe, 0x16 };	/* movsx dx, byte */
	static const u8 movsx_r9_w[] = { 0x4c, 0x0f, 0xbf, 0x0e };	/* movsx r9, word */
	static const u8 movsxd_rax[] = { 0x48, 0x63, 0x06 };		/* movsxd rax, dword */
	const u64 old = 0x1122334455667788ULL;

	KT_EXPECT_EQ(t, MERGE(movzx_eax_b, old, 0x80), 0x80);
	KT_EXPECT_EQ(t, MERGE(movzx_ax_b, old, 0x80), 0x1122334455660080ULL);
	KT_EXPECT_EQ(t, MERGE(movzx_r10_w, old, 0x8000), 0x8000);
	KT_EXPECT_EQ(t, MERGE(movsx_eax_b, old, 0x80), 0x00000000ffffff80ULL);
	KT_EXPECT_EQ(t, MERGE(movsx_eax_b, old, 0x7f), 0x7f);
	KT_EXPECT_EQ(t, MERGE(movsx_dx_b, old, 0xfe), 0x112233445566fffeULL);
	KT_EXPECT_EQ(t, MERGE(movsx_r9_w, old, 0x8001), 0xffffffffffff8001ULL);
	KT_EXPECT_EQ(t, MERGE(movsxd_rax, old, 0x80000000), 0xffffffff80000000ULL);
	KT_EXPECT_EQ(t, MERGE(movsxd_rax, old, 0x7fffffff), 0x7fffffff);
}

KTEST(insn_store_value_takes_the_register_or_immediate_at_the_access_size)
{
	static const u8 mov_b_ah[] = { 0x88, 0x20 };		/* mov [rax], ah */
	static const u8 mov_b_spl[] = { 0x40, 0x88, 0x20 };	/* mov [rax], spl */
	static const u8 mov_w_ax[] = { 0x66, 0x89, 0x07 };	/* mov [rdi], ax */
	static const u8 mov_d_esi[] = { 0x89, 0x37 };		/* mov [rdi], esi */
	static const u8 mov_q_r9[] = { 0x4c, 0x89, 0x0f };	/* mov [rdi], r9 */
	static const u8 mov_q_imm[] = { 0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff };
	static const u8 mov_moffs_al[] = { 0xa2, 1, 2, 3, 4, 5, 6, 7, 8 };
	u64 gpr[GPR_NR];
	struct mmio_insn in;
	unsigned int i;

	for (i = 0; i < GPR_NR; i++)
		gpr[i] = 0x0101010101010101ULL * (i + 1);	/* rax 0x0101.., rcx 0x0202.. */
	gpr[GPR_RAX] = 0x1122334455667788ULL;
	KT_ASSERT_EQ(t, insn_decode_mmio(mov_b_ah, sizeof(mov_b_ah), M64, &in), 0);
	KT_EXPECT_EQ(t, insn_store_value(&in, gpr), 0x77);
	KT_ASSERT_EQ(t, insn_decode_mmio(mov_b_spl, sizeof(mov_b_spl), M64, &in), 0);
	KT_EXPECT_EQ(t, insn_store_value(&in, gpr), 0x05);
	KT_ASSERT_EQ(t, insn_decode_mmio(mov_w_ax, sizeof(mov_w_ax), M64, &in), 0);
	KT_EXPECT_EQ(t, insn_store_value(&in, gpr), 0x7788);
	KT_ASSERT_EQ(t, insn_decode_mmio(mov_d_esi, sizeof(mov_d_esi), M64, &in), 0);
	KT_EXPECT_EQ(t, insn_store_value(&in, gpr), 0x07070707);
	KT_ASSERT_EQ(t, insn_decode_mmio(mov_q_r9, sizeof(mov_q_r9), M64, &in), 0);
	KT_EXPECT_EQ(t, insn_store_value(&in, gpr), 0x0a0a0a0a0a0a0a0aULL);
	KT_ASSERT_EQ(t, insn_decode_mmio(mov_q_imm, sizeof(mov_q_imm), M64, &in), 0);
	KT_EXPECT_EQ(t, insn_store_value(&in, gpr), 0xfffffffffffffffeULL);
	KT_ASSERT_EQ(t, insn_decode_mmio(mov_moffs_al, sizeof(mov_moffs_al), M64, &in), 0);
	KT_EXPECT_EQ(t, insn_store_value(&in, gpr), 0x88);
}

/* ---- arbitrary bytes -------------------------------------------------------- */

/* xorshift, so a failure can be replayed */
static u64 rng(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Bytes that steer random strings into the decoder's interesting paths. */
static const u8 hot_bytes[] = {
	0x66, 0x67, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65, 0xf0, 0xf2, 0xf3, 0x40, 0x41,
	0x44, 0x48, 0x4c, 0x4f, 0x88, 0x89, 0x8a, 0x8b, 0xc6, 0xc7, 0x63, 0xa0, 0xa1,
	0xa2, 0xa3, 0x0f, 0xb6, 0xb7, 0xbe, 0xbf, 0x04, 0x05, 0x25, 0x44, 0x84, 0x06,
};

/*
 * Decodes the first avail bytes of b, for every avail from 0 to 15, and
 * checks what must hold for any input: success only with 1 <= len <= avail,
 * a sane access, and the same answer for every avail >= len (the decoder
 * looks at nothing beyond len).  The bytes are copied to the end of buf
 * each time, so reading past avail would be caught by ASan.
 */
static unsigned int check_any_bytes(const u8 *b, enum cpu_mode mode, unsigned int *decoded)
{
	u8 buf[INSN_MAX_LEN];
	struct mmio_insn in;
	int first_len = -1;
	unsigned int avail, first_size = 0, first_dir = 0, bad = 0;

	for (avail = 0; avail <= INSN_MAX_LEN; avail++) {
		u8 *p = buf + sizeof(buf) - avail;
		int ret;

		memcpy(p, b, avail);
		ret = insn_decode_mmio(p, avail, mode, &in);
		if (ret != 0) {
			bad += ret != -E2BIG && ret != -EINVAL && ret != -EOPNOTSUPP;
			bad += first_len >= 0;		/* lost with more bytes */
			continue;
		}
		bad += in.len < 1 || in.len > avail || in.len > INSN_MAX_LEN;
		bad += in.size != 1 && in.size != 2 && in.size != 4 && in.size != 8;
		bad += in.reg >= GPR_NR || (in.high8 && in.reg > GPR_RBX);
		if (first_len < 0) {
			first_len = in.len;
			first_size = in.size;
			first_dir = in.dir;
			++*decoded;
		} else {
			bad += in.len != first_len || in.size != first_size || in.dir != first_dir;
		}
	}
	return bad;
}

KTEST(insn_decoder_survives_random_bytes_at_every_length)
{
	u64 seed = 0x9e3779b97f4a7c15ULL;
	unsigned int round, i, mode, bad = 0, decoded = 0;

	for (round = 0; round < 3000; round++) {
		u8 b[INSN_MAX_LEN];

		for (i = 0; i < INSN_MAX_LEN; i++) {
			u64 r = rng(&seed);

			b[i] = (r & 1) ? hot_bytes[(r >> 8) % sizeof(hot_bytes)] : (u8)(r >> 16);
		}
		for (mode = M16; mode <= M64; mode++)
			bad += check_any_bytes(b, (enum cpu_mode)mode, &decoded);
	}
	KT_EXPECT_EQ(t, bad, 0);
	/* the steering works: a good share of strings are moves */
	KT_EXPECT(t, decoded > 1000);
}

/* ---- the length of an intercepted instruction ---------------------------- */

struct len_case {
	struct encoding e;
	int len;
};

static const struct len_case len_cases[] = {
	{ ENC(M64, "hlt", 0xf4), 1 },
	{ ENC(M64, "cpuid", 0x0f, 0xa2), 2 },
	{ ENC(M64, "rdmsr", 0x0f, 0x32), 2 },
	{ ENC(M64, "wrmsr", 0x0f, 0x30), 2 },
	{ ENC(M64, "invd", 0x0f, 0x08), 2 },
	{ ENC(M64, "wbinvd", 0x0f, 0x09), 2 },
	{ ENC(M64, "vmcall", 0x0f, 0x01, 0xc1), 3 },
	{ ENC(M64, "vmmcall", 0x0f, 0x01, 0xd9), 3 },
	{ ENC(M64, "xsetbv", 0x0f, 0x01, 0xd1), 3 },
	{ ENC(M64, "in al, dx", 0xec), 1 },
	{ ENC(M64, "out dx, eax", 0xef), 1 },
	{ ENC(M64, "in al, 0x60", 0xe4, 0x60), 2 },
	{ ENC(M64, "out 0x80, al", 0xe6, 0x80), 2 },
	{ ENC(M64, "out dx, ax", 0x66, 0xef), 2 },
	{ ENC(M64, "rep in al, dx (prefix counted)", 0xf3, 0xec), 2 },
	{ ENC(M64, "rex.w cpuid", 0x48, 0x0f, 0xa2), 3 },
	{ ENC(M32, "dec eax; cpuid: no REX outside 64-bit mode", 0x48, 0x0f, 0xa2), -EINVAL },
	{ ENC(M64, "cs ds cpuid", 0x2e, 0x3e, 0x0f, 0xa2), 4 },
	{ ENC(M64, "lgdt [rax]: a memory form of 0f 01", 0x0f, 0x01, 0x10), -EINVAL },
	{ ENC(M64, "nop: not intercepted", 0x90), -EINVAL },
	{ ENC(M64, "cut short after 0f", 0x0f), -EINVAL },
	{ ENC(M64, "cut short before the port", 0xe4), -EINVAL },
	{ ENC(M64, "cut short before ModRM", 0x0f, 0x01), -EINVAL },
	{ ENC(M64, "prefixes only", 0x66, 0x66, 0x66), -EINVAL },
	{ ENC(M64, "14 prefixes + hlt = 15 bytes", 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	      0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0xf4), 15 },
};

KTEST(insn_intercepted_length_counts_prefixes_and_refuses_other_or_cut_bytes)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(len_cases); i++) {
		const struct len_case *c = &len_cases[i];
		int got = insn_intercepted_length(c->e.bytes, c->e.n, c->e.mode);

		ktest_check(t, got == c->len, __FILE__, __LINE__,
			    "'%s': expected length %d, seen %d", c->e.text, c->len, got);
	}
}

KTEST(insn_intercepted_length_reads_no_byte_past_15)
{
	u8 b[INSN_MAX_LEN + 1];

	memset(b, 0x66, sizeof(b));
	b[INSN_MAX_LEN] = 0xf4;		/* the 16th byte: an overlong instruction */
	KT_EXPECT_EQ(t, insn_intercepted_length(b, sizeof(b), M64), -EINVAL);
}

/* ---- INS and OUTS ---------------------------------------------------------- */

struct sio_case {
	struct encoding e;
	int ret;
	struct string_io_insn want;	/* when ret == 0 */
};

#define SIO(len, in, size, asz, seg, rep) \
	{ len, in, size, asz, INSN_SEG_##seg, rep }

static const struct sio_case sio_cases[] = {
	{ ENC(M64, "insb", 0x6c), 0, SIO(1, true, 1, 8, ES, false) },
	{ ENC(M64, "insd", 0x6d), 0, SIO(1, true, 4, 8, ES, false) },
	{ ENC(M64, "insw", 0x66, 0x6d), 0, SIO(2, true, 2, 8, ES, false) },
	{ ENC(M64, "outsb", 0x6e), 0, SIO(1, false, 1, 8, DS, false) },
	{ ENC(M64, "rep outsd", 0xf3, 0x6f), 0, SIO(2, false, 4, 8, DS, true) },
	{ ENC(M64, "repne outsb: F2 repeats too", 0xf2, 0x6e), 0, SIO(2, false, 1, 8, DS, true) },
	{ ENC(M64, "rep insw (addr32)", 0x67, 0x66, 0xf3, 0x6d), 0, SIO(4, true, 2, 4, ES, true) },
	{ ENC(M64, "rex.w outsd: REX.W does not widen", 0x48, 0x6f), 0,
	  SIO(2, false, 4, 8, DS, false) },
	{ ENC(M64, "fs rep outsb", 0x64, 0xf3, 0x6e), 0, SIO(3, false, 1, 8, FS, true) },
	{ ENC(M64, "gs insb: INS ignores the override", 0x65, 0x6c), 0,
	  SIO(2, true, 1, 8, ES, false) },
	{ ENC(M32, "rep outsw", 0xf3, 0x66, 0x6f), 0, SIO(3, false, 2, 4, DS, true) },
	{ ENC(M32, "outsb (addr16)", 0x67, 0x6e), 0, SIO(2, false, 1, 2, DS, false) },
	{ ENC(M16, "insw", 0x6d), 0, SIO(1, true, 2, 2, ES, false) },
	{ ENC(M16, "es outsd (66)", 0x26, 0x66, 0x6f), 0, SIO(3, false, 4, 2, ES, false) },
	{ ENC(M16, "rep insb (addr32)", 0xf3, 0x67, 0x6c), 0, SIO(3, true, 1, 4, ES, true) },
	{ ENC(M64, "lock outsb: #UD", 0xf0, 0x6e), -EINVAL, { 0 } },
	{ ENC(M64, "in al, dx: not a string form", 0xec), -EOPNOTSUPP, { 0 } },
	{ ENC(M64, "movsb", 0xa4), -EOPNOTSUPP, { 0 } },
	{ ENC(M64, "prefixes only", 0xf3, 0x66), -E2BIG, { 0 } },
	{ ENC(M64, "15 prefixes, no opcode", 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	      0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66), -E2BIG, { 0 } },
	{ ENC(M64, "14 prefixes + outsb = 15 bytes", 0xf3, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	      0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x6e), 0, SIO(15, false, 1, 8, DS, true) },
};

KTEST(insn_string_io_decodes_size_address_size_segment_and_rep)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sio_cases); i++) {
		const struct sio_case *c = &sio_cases[i];
		struct string_io_insn got;
		int r;

		memset(&got, 0, sizeof(got));
		r = insn_decode_string_io(c->e.bytes, c->e.n, c->e.mode, &got);
		ktest_check(t, r == c->ret, __FILE__, __LINE__, "'%s': expected %d, seen %d",
			    c->e.text, c->ret, r);
		if (r || c->ret)
			continue;
		ktest_check(t, got.len == c->want.len && got.in == c->want.in &&
			    got.size == c->want.size && got.addr_size == c->want.addr_size &&
			    got.seg == c->want.seg && got.rep == c->want.rep, __FILE__, __LINE__,
			    "'%s': len %u in %d size %u asz %u seg %u rep %d", c->e.text, got.len,
			    got.in, got.size, got.addr_size, got.seg, got.rep);
	}
}

KTEST(insn_string_io_reads_no_byte_past_15)
{
	u8 b[INSN_MAX_LEN + 1];
	struct string_io_insn got;

	memset(b, 0xf3, sizeof(b));
	b[INSN_MAX_LEN] = 0x6e;		/* the 16th byte: an overlong instruction */
	KT_EXPECT_EQ(t, insn_decode_string_io(b, sizeof(b), M64, &got), -E2BIG);
}
