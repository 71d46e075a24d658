// SPDX-License-Identifier: MIT
/*
 * The MMIO access decoder (see include/vm/insn.h for the forms; the
 * lengths of intercepted instructions are in vm/insn_len.c).
 *
 * An instruction is decoded front to back through a cursor that refuses
 * every byte at or beyond MIN(avail, INSN_MAX_LEN), so no path can read
 * past the caller's buffer or accept an instruction longer than the CPU
 * would:
 *
 *	[legacy prefixes] [REX] opcode [0F opcode] [ModRM [SIB] [disp]] [imm]
 *	                                           or      [moffs]
 *
 * The result is built in a local struct and copied out only on success.
 */
#include "insn_int.h"
#include "lib/string.h"
#include "bug.h"

/* One-byte opcodes. */
#define OP_MOVSXD		0x63
#define OP_MOV_RM8_R8		0x88
#define OP_MOV_RM_R		0x89
#define OP_MOV_R8_RM8		0x8a
#define OP_MOV_R_RM		0x8b
#define OP_MOV_AL_MOFFS		0xa0
#define OP_MOV_AX_MOFFS		0xa1
#define OP_MOV_MOFFS_AL		0xa2
#define OP_MOV_MOFFS_AX		0xa3
#define OP_MOV_RM8_IMM8		0xc6
#define OP_MOV_RM_IMM		0xc7


/* Two-byte opcodes, after 0F. */
#define OP2_MOVZX_RM8		0xb6
#define OP2_MOVZX_RM16		0xb7
#define OP2_MOVSX_RM8		0xbe
#define OP2_MOVSX_RM16		0xbf

/* ModRM: mod(7:6) reg(5:3) rm(2:0). */
#define MODRM_MOD(b)		((b) >> 6)
#define MODRM_REG(b)		(((b) >> 3) & 7)
#define MODRM_RM(b)		((b) & 7)
#define MOD_NO_DISP		0	/* no displacement (but see below) */
#define MOD_DISP8		1
#define MOD_DISP_FULL		2	/* disp32, or disp16 with 16-bit addressing */
#define MOD_REGISTER		3	/* rm names a register: no memory */
#define RM_SIB			4	/* a SIB byte follows (32/64-bit addressing) */
#define RM_DISP32		5	/* with mod 00: disp32 only, RIP-relative in 64-bit mode */
#define RM16_DISP16		6	/* with mod 00, 16-bit addressing: disp16 only */
#define MOV_IMM_REG_FIELD	0	/* C6/C7 are MOV only as /0 */

/* SIB: scale(7:6) index(5:3) base(2:0). */
#define SIB_SCALE(b)		((b) >> 6)
#define SIB_INDEX(b)		(((b) >> 3) & 7)
#define SIB_BASE(b)		((b) & 7)
#define SIB_NO_INDEX		4	/* without REX.X: no index */
#define SIB_NO_BASE		5	/* with mod 00: disp32 in place of a base */

/* The registers that hold AH, CH, DH, BH in bits 15:8 (byte regs 4-7 without REX). */
#define BYTE_REG_HIGH_FIRST	4
#define BYTE_REG_HIGH_END	8

/* The low size bytes of v, sign-extended to 64 bits. */
static u64 sign_extend(u64 v, unsigned int size)
{
	unsigned int shift = 64 - 8 * size;

	return (u64)((s64)(v << shift) >> shift);
}

static u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : BIT_ULL(8 * size) - 1;
}

/* Operand size of the non-byte forms, in bytes: REX.W, else 66 flips the default. */
static unsigned int operand_size(const struct decoder *d)
{
	if (d->rex & REX_W)
		return 8;
	if (d->mode == CPU_MODE_16)
		return d->opsize_pfx ? 4 : 2;
	return d->opsize_pfx ? 2 : 4;
}

/*
 * Consumes the prefixes, leaving d->pos at the opcode.  Legacy prefixes
 * may repeat (the last segment override wins); a REX counts only when it
 * is the last prefix, as on the hardware.  Returns 0, -EOPNOTSUPP for
 * LOCK/REP/REPNE, or -E2BIG when the prefixes run into the limit.
 */
static int decode_prefixes(struct decoder *d, struct mmio_insn *in)
{
	for (; d->pos < d->limit; d->pos++) {
		u8 b = d->bytes[d->pos];
		enum insn_seg seg = seg_override(b);

		if (d->mode == CPU_MODE_64 && (b & REX_HI_MASK) == REX_HI) {
			d->rex = b;
			continue;
		}
		if (b == PFX_LOCK || b == PFX_REP || b == PFX_REPNE)
			return -EOPNOTSUPP;
		if (b == PFX_OPSIZE)
			d->opsize_pfx = true;
		else if (b == PFX_ADDRSIZE)
			d->addrsize_pfx = true;
		else if (seg != INSN_SEG_NONE)
			in->seg = seg;
		else
			return 0;
		d->rex = 0;
	}
	return -E2BIG;
}

/*
 * Sets the register operand from a 4-bit register number.  For byte
 * operands without any REX prefix, numbers 4-7 are AH, CH, DH, BH; with a
 * REX they are SPL, BPL, SIL, DIL.
 */
static void set_reg(const struct decoder *d, struct mmio_insn *in, unsigned int num,
		    unsigned int reg_size)
{
	in->reg_size = reg_size;
	in->high8 = reg_size == 1 && !d->rex && num >= BYTE_REG_HIGH_FIRST &&
		    num < BYTE_REG_HIGH_END;
	in->reg = in->high8 ? num - BYTE_REG_HIGH_FIRST : num;
}

/*
 * Takes the displacement of disp_len (0, 1, 2 or 4) bytes, sign-extended.
 * Returns 0 or -E2BIG.
 */
static int take_disp(struct decoder *d, unsigned int disp_len, struct insn_mem *mem)
{
	u64 v;
	int ret;

	if (!disp_len)
		return 0;
	ret = take(d, disp_len, &v);
	if (ret)
		return ret;
	mem->disp = sign_extend(v, disp_len);
	return 0;
}

/*
 * The memory operand of a ModRM with 16-bit addressing: no SIB; the
 * rm field picks one of eight fixed base/index pairs, and mod 00 rm 110
 * is a bare disp16.
 */
static int decode_mem16(struct decoder *d, u8 modrm, struct insn_mem *mem)
{
	static const s8 base16[8] = { GPR_RBX, GPR_RBX, GPR_RBP, GPR_RBP,
				      GPR_RSI, GPR_RDI, GPR_RBP, GPR_RBX };
	static const s8 index16[8] = { GPR_RSI, GPR_RDI, GPR_RSI, GPR_RDI,
				       INSN_NO_REG, INSN_NO_REG, INSN_NO_REG, INSN_NO_REG };
	unsigned int mod = MODRM_MOD(modrm), rm = MODRM_RM(modrm);
	unsigned int disp_len = mod == MOD_DISP8 ? 1 : mod == MOD_DISP_FULL ? 2 : 0;

	mem->base = base16[rm];
	mem->index = index16[rm];
	if (mod == MOD_NO_DISP && rm == RM16_DISP16) {
		mem->base = INSN_NO_REG;
		disp_len = 2;
	}
	return take_disp(d, disp_len, mem);
}

/*
 * The memory operand of a ModRM with 32- or 64-bit addressing, with its
 * two special cases: rm 100 means a SIB byte follows (whose base 101 with
 * mod 00 is a bare disp32), and mod 00 rm 101 is a bare disp32 -- relative
 * to the next RIP in 64-bit mode.  REX.B/X extend base and index but do
 * not change which case applies.
 */
static int decode_mem32(struct decoder *d, u8 modrm, struct insn_mem *mem)
{
	unsigned int mod = MODRM_MOD(modrm), rm = MODRM_RM(modrm);
	unsigned int disp_len = mod == MOD_DISP8 ? 1 : mod == MOD_DISP_FULL ? 4 : 0;
	unsigned int rex_b = d->rex & REX_B ? REX_REG_BIT : 0;
	unsigned int rex_x = d->rex & REX_X ? REX_REG_BIT : 0;
	u8 sib;
	int ret;

	if (rm == RM_SIB) {
		ret = take_u8(d, &sib);
		if (ret)
			return ret;
		if (SIB_INDEX(sib) != SIB_NO_INDEX || rex_x)
			mem->index = (s8)(SIB_INDEX(sib) | rex_x);
		mem->scale = (u8)(1U << SIB_SCALE(sib));
		if (mod == MOD_NO_DISP && SIB_BASE(sib) == SIB_NO_BASE)
			disp_len = 4;
		else
			mem->base = (s8)(SIB_BASE(sib) | rex_b);
	} else if (mod == MOD_NO_DISP && rm == RM_DISP32) {
		disp_len = 4;
		mem->rip_rel = d->mode == CPU_MODE_64;
	} else {
		mem->base = (s8)(rm | rex_b);
	}
	return take_disp(d, disp_len, mem);
}

/*
 * Takes a ModRM byte that must name memory, and the SIB and displacement
 * that belong to it.  Returns 0 with the ModRM in *modrm, -EINVAL for a
 * register operand (mod 11: that instruction cannot have faulted on
 * memory), or -E2BIG.
 */
static int decode_modrm_mem(struct decoder *d, struct mmio_insn *in, u8 *modrm)
{
	int ret = take_u8(d, modrm);

	if (ret)
		return ret;
	if (MODRM_MOD(*modrm) == MOD_REGISTER)
		return -EINVAL;
	in->mem.base = INSN_NO_REG;
	in->mem.index = INSN_NO_REG;
	in->mem.scale = 1;
	if (in->addr_size == 2)
		return decode_mem16(d, *modrm, &in->mem);
	return decode_mem32(d, *modrm, &in->mem);
}

/*
 * A ModRM form with a register operand: MOV r/m,r and MOV r,r/m (ext NONE,
 * reg_size == size), MOVZX/MOVSX/MOVSXD (a load of size bytes widened to
 * reg_size).
 */
static int decode_modrm_reg(struct decoder *d, struct mmio_insn *in, enum insn_dir dir,
			    unsigned int size, unsigned int reg_size, enum insn_ext ext)
{
	unsigned int rex_r = d->rex & REX_R ? REX_REG_BIT : 0;
	u8 modrm;
	int ret = decode_modrm_mem(d, in, &modrm);

	if (ret)
		return ret;
	in->dir = dir;
	in->size = (u8)size;
	in->ext = ext;
	set_reg(d, in, MODRM_REG(modrm) | rex_r, reg_size);
	return 0;
}

/*
 * MOV r/m8, imm8 (C6 /0) and MOV r/m, imm (C7 /0): the immediate follows
 * the memory operand; with a 64-bit operand it is an imm32 sign-extended.
 * Returns -EINVAL for the other ModRM.reg values (#UD on the CPU; REX.R
 * does not take part in an opcode extension).
 */
static int decode_mov_imm(struct decoder *d, struct mmio_insn *in, unsigned int size)
{
	unsigned int imm_len = MIN(size, 4U);
	u8 modrm;
	int ret = decode_modrm_mem(d, in, &modrm);

	if (ret)
		return ret;
	if (MODRM_REG(modrm) != MOV_IMM_REG_FIELD)
		return -EINVAL;
	ret = take(d, imm_len, &in->imm);
	if (ret)
		return ret;
	in->imm = sign_extend(in->imm, imm_len) & size_mask(size);
	in->dir = INSN_STORE;
	in->size = (u8)size;
	in->reg_size = (u8)size;
	in->imm_src = true;
	return 0;
}

/*
 * MOV AL/rAX, moffs (A0, A1) and MOV moffs, AL/rAX (A2, A3): no ModRM;
 * an absolute offset as wide as the address size follows the opcode.
 */
static int decode_moffs(struct decoder *d, struct mmio_insn *in, enum insn_dir dir,
			unsigned int size)
{
	int ret = take(d, in->addr_size, &in->mem.disp);

	if (ret)
		return ret;
	in->mem.base = INSN_NO_REG;
	in->mem.index = INSN_NO_REG;
	in->mem.scale = 1;
	in->dir = dir;
	in->size = (u8)size;
	in->reg = GPR_RAX;
	in->reg_size = (u8)size;
	return 0;
}

/*
 * MOVSXD (63 /r, 64-bit mode): with REX.W a 32-bit load sign-extended to
 * 64 bits; without, a plain 32-bit load.  The 16-bit form (66 63) is
 * refused: the vendors' manuals disagree on how much it reads, and no
 * compiler emits it.  Outside 64-bit mode 63 is ARPL.
 */
static int decode_movsxd(struct decoder *d, struct mmio_insn *in)
{
	unsigned int osz = operand_size(d);

	if (d->mode != CPU_MODE_64 || osz == 2)
		return -EOPNOTSUPP;
	if (osz == 8)
		return decode_modrm_reg(d, in, INSN_LOAD, 4, 8, INSN_EXT_SIGN);
	return decode_modrm_reg(d, in, INSN_LOAD, 4, 4, INSN_EXT_NONE);
}

/* The 0F xx opcodes: MOVZX and MOVSX from an 8- or 16-bit memory operand. */
static int decode_0f(struct decoder *d, struct mmio_insn *in)
{
	unsigned int osz = operand_size(d);
	u8 op;
	int ret = take_u8(d, &op);

	if (ret)
		return ret;
	in->opcode = (u16)(OP_ESCAPE_0F << 8 | op);
	switch (op) {
	case OP2_MOVZX_RM8:
		return decode_modrm_reg(d, in, INSN_LOAD, 1, osz, INSN_EXT_ZERO);
	case OP2_MOVZX_RM16:
		return decode_modrm_reg(d, in, INSN_LOAD, 2, osz, INSN_EXT_ZERO);
	case OP2_MOVSX_RM8:
		return decode_modrm_reg(d, in, INSN_LOAD, 1, osz, INSN_EXT_SIGN);
	case OP2_MOVSX_RM16:
		return decode_modrm_reg(d, in, INSN_LOAD, 2, osz, INSN_EXT_SIGN);
	default:
		return -EOPNOTSUPP;
	}
}

/* Dispatches on the opcode at d->pos; see decode_prefixes() for the rest. */
static int decode_opcode(struct decoder *d, struct mmio_insn *in)
{
	unsigned int osz = operand_size(d);
	u8 op;
	int ret = take_u8(d, &op);

	if (ret)
		return ret;
	in->opcode = op;
	switch (op) {
	case OP_MOV_RM8_R8:
		return decode_modrm_reg(d, in, INSN_STORE, 1, 1, INSN_EXT_NONE);
	case OP_MOV_RM_R:
		return decode_modrm_reg(d, in, INSN_STORE, osz, osz, INSN_EXT_NONE);
	case OP_MOV_R8_RM8:
		return decode_modrm_reg(d, in, INSN_LOAD, 1, 1, INSN_EXT_NONE);
	case OP_MOV_R_RM:
		return decode_modrm_reg(d, in, INSN_LOAD, osz, osz, INSN_EXT_NONE);
	case OP_MOVSXD:
		return decode_movsxd(d, in);
	case OP_MOV_RM8_IMM8:
		return decode_mov_imm(d, in, 1);
	case OP_MOV_RM_IMM:
		return decode_mov_imm(d, in, osz);
	case OP_MOV_AL_MOFFS:
		return decode_moffs(d, in, INSN_LOAD, 1);
	case OP_MOV_AX_MOFFS:
		return decode_moffs(d, in, INSN_LOAD, osz);
	case OP_MOV_MOFFS_AL:
		return decode_moffs(d, in, INSN_STORE, 1);
	case OP_MOV_MOFFS_AX:
		return decode_moffs(d, in, INSN_STORE, osz);
	case OP_ESCAPE_0F:
		return decode_0f(d, in);
	default:
		return -EOPNOTSUPP;
	}
}

int insn_decode_mmio(const u8 *bytes, size_t avail, enum cpu_mode mode,
		     struct mmio_insn *out)
{
	struct decoder d = {
		.bytes = bytes,
		.limit = MIN(avail, (size_t)INSN_MAX_LEN),
		.mode = mode,
	};
	struct mmio_insn in;
	int ret;

	memset(&in, 0, sizeof(in));
	ret = decode_prefixes(&d, &in);
	if (ret)
		return ret;
	in.addr_size = (u8)address_size(&d);
	ret = decode_opcode(&d, &in);
	if (ret)
		return ret;
	in.len = (u8)d.pos;
	*out = in;
	return 0;
}

u64 insn_store_value(const struct mmio_insn *in, const u64 gpr[GPR_NR])
{
	u64 v;

	if (in->imm_src)
		return in->imm & size_mask(in->size);
	BUG_ON(in->reg >= GPR_NR);
	v = gpr[in->reg];
	if (in->high8)
		v >>= 8;
	return v & size_mask(in->size);
}

u64 insn_merge_load(const struct mmio_insn *in, u64 old_reg, u64 value)
{
	u64 v = value & size_mask(in->size);

	BUG_ON(in->size == 0 || in->size > 8);
	if (in->ext == INSN_EXT_SIGN)
		v = sign_extend(v, in->size);
	v &= size_mask(in->reg_size);
	switch (in->reg_size) {
	case 1:
		if (in->high8)
			return (old_reg & ~0xff00ULL) | v << 8;
		return (old_reg & ~0xffULL) | v;
	case 2:
		return (old_reg & ~0xffffULL) | v;
	default:
		return v;	/* a 32-bit write clears bits 63:32 */
	}
}
