// SPDX-License-Identifier: MIT
/*
 * The lengths and operands of instructions the hypervisor intercepts,
 * read from the guest's bytes when the CPU does not report them: the
 * length of one it skips (HLT, IN/OUT, CPUID, RDMSR/WRMSR, INVD/WBINVD,
 * the 0F 01 register forms) and the operands of an INS/OUTS it performs.
 * See include/vm/insn.h.
 */
#include "insn_int.h"

int insn_intercepted_length(const u8 *bytes, size_t avail, enum cpu_mode mode)
{
	struct decoder d = { .bytes = bytes, .limit = MIN(avail, (size_t)INSN_MAX_LEN) };
	u8 op, op2, modrm;

	for (; d.pos < d.limit; d.pos++)
		if (!is_legacy_prefix(bytes[d.pos]) &&
		    !(mode == CPU_MODE_64 && (bytes[d.pos] & REX_HI_MASK) == REX_HI))
			break;
	if (take_u8(&d, &op))
		return -EINVAL;
	switch (op) {
	case 0xf4:			/* HLT */
	case 0xec: case 0xed:		/* IN from DX */
	case 0xee: case 0xef:		/* OUT to DX */
		return (int)d.pos;
	case 0xe4: case 0xe5:		/* IN imm8 */
	case 0xe6: case 0xe7:		/* OUT imm8 */
		return take_u8(&d, &modrm) ? -EINVAL : (int)d.pos;
	case OP_ESCAPE_0F:
		break;
	default:
		return -EINVAL;
	}
	if (take_u8(&d, &op2))
		return -EINVAL;
	switch (op2) {
	case 0xa2:			/* CPUID */
	case 0x30: case 0x32:		/* WRMSR, RDMSR */
	case 0x08: case 0x09:		/* INVD, WBINVD */
		return (int)d.pos;
	case 0x01:			/* VMCALL, VMMCALL, XSETBV ...: register forms */
		return !take_u8(&d, &modrm) && modrm >= 0xc0 ? (int)d.pos : -EINVAL;
	}
	return -EINVAL;
}

int insn_decode_string_io(const u8 *bytes, size_t avail, enum cpu_mode mode,
			  struct string_io_insn *out)
{
	struct decoder d = { .bytes = bytes, .limit = MIN(avail, (size_t)INSN_MAX_LEN),
			     .mode = mode };
	enum insn_seg seg = INSN_SEG_NONE;
	bool rep = false;
	u8 op;

	for (; d.pos < d.limit; d.pos++) {
		u8 b = bytes[d.pos];

		if (mode == CPU_MODE_64 && (b & REX_HI_MASK) == REX_HI)
			continue;	/* REX.W does not widen INS/OUTS */
		if (b == PFX_LOCK)
			return -EINVAL;		/* #UD on the CPU */
		if (b == PFX_REP || b == PFX_REPNE)
			rep = true;		/* both repeat INS/OUTS */
		else if (b == PFX_OPSIZE)
			d.opsize_pfx = true;
		else if (b == PFX_ADDRSIZE)
			d.addrsize_pfx = true;
		else if (seg_override(b) != INSN_SEG_NONE)
			seg = seg_override(b);
		else
			break;
	}
	if (take_u8(&d, &op))
		return -E2BIG;
	if (op < 0x6c || op > 0x6f)
		return -EOPNOTSUPP;
	out->len = (u8)d.pos;
	out->in = op <= 0x6d;
	out->size = !(op & 1) ? 1 : (mode == CPU_MODE_16) == d.opsize_pfx ? 4 : 2;
	out->addr_size = (u8)address_size(&d);
	out->rep = rep;
	/* INS writes ES:rDI whatever the prefixes; OUTS reads DS:rSI, or the
	 * override's segment (in 64-bit mode only FS and GS have a base). */
	if (out->in)
		out->seg = INSN_SEG_ES;
	else
		out->seg = seg == INSN_SEG_NONE ? INSN_SEG_DS : seg;
	return 0;
}
