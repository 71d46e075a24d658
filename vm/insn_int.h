/* SPDX-License-Identifier: MIT */
/*
 * What the instruction decoders share (vm/insn.c: MMIO accesses;
 * vm/insn_len.c: instructions the hypervisor intercepts): the prefixes,
 * and a cursor that refuses every byte at or beyond MIN(avail,
 * INSN_MAX_LEN), so no path can read past the caller's buffer or accept
 * an instruction longer than the CPU would.
 */
#ifndef TDPVISOR_VM_INSN_INT_H
#define TDPVISOR_VM_INSN_INT_H

#include "vm/insn.h"
#include "compiler.h"
#include "errcode.h"

/* Legacy prefixes. */
#define PFX_OPSIZE	0x66
#define PFX_ADDRSIZE	0x67
#define PFX_LOCK	0xf0
#define PFX_REPNE	0xf2
#define PFX_REP		0xf3
#define PFX_ES		0x26
#define PFX_CS		0x2e
#define PFX_SS		0x36
#define PFX_DS		0x3e
#define PFX_FS		0x64
#define PFX_GS		0x65

/* REX (64-bit mode only): 0100WRXB. */
#define REX_HI_MASK	0xf0
#define REX_HI		0x40
#define REX_W		BIT(3)	/* 64-bit operand size */
#define REX_R		BIT(2)	/* extends ModRM.reg */
#define REX_X		BIT(1)	/* extends SIB.index */
#define REX_B		BIT(0)	/* extends ModRM.rm and SIB.base */
#define REX_REG_BIT	8	/* what an extension bit adds to a register number */

#define OP_ESCAPE_0F		0x0f

struct decoder {
	const u8 *bytes;
	size_t limit;		/* MIN(avail, INSN_MAX_LEN): no byte at or past it is read */
	size_t pos;		/* the next byte to take */
	enum cpu_mode mode;
	u8 rex;			/* 0 when none (or when not the last prefix) */
	bool opsize_pfx;
	bool addrsize_pfx;
};

/*
 * Takes the next n (1..8) bytes as a little-endian number.  Returns 0, or
 * -E2BIG when any of them lies at or beyond the limit (the instruction is
 * longer than the bytes given, or than INSN_MAX_LEN).
 */
static inline int take(struct decoder *d, unsigned int n, u64 *v)
{
	unsigned int i;

	if (n > d->limit - d->pos)
		return -E2BIG;
	*v = 0;
	for (i = 0; i < n; i++)
		*v |= (u64)d->bytes[d->pos + i] << (8 * i);
	d->pos += n;
	return 0;
}

static inline int take_u8(struct decoder *d, u8 *b)
{
	u64 v;
	int ret = take(d, 1, &v);

	if (ret)
		return ret;
	*b = (u8)v;
	return 0;
}

/* Address size in bytes: 67 selects the other size the mode offers. */
static inline unsigned int address_size(const struct decoder *d)
{
	switch (d->mode) {
	case CPU_MODE_64:
		return d->addrsize_pfx ? 4 : 8;
	case CPU_MODE_32:
		return d->addrsize_pfx ? 2 : 4;
	default:
		return d->addrsize_pfx ? 4 : 2;
	}
}

/* enum insn_seg for a segment-override prefix, INSN_SEG_NONE for other bytes. */
static inline enum insn_seg seg_override(u8 b)
{
	switch (b) {
	case PFX_ES: return INSN_SEG_ES;
	case PFX_CS: return INSN_SEG_CS;
	case PFX_SS: return INSN_SEG_SS;
	case PFX_DS: return INSN_SEG_DS;
	case PFX_FS: return INSN_SEG_FS;
	case PFX_GS: return INSN_SEG_GS;
	default: return INSN_SEG_NONE;
	}
}

/* A legacy prefix byte (REX is not one). */
static inline bool is_legacy_prefix(u8 b)
{
	return b == PFX_OPSIZE || b == PFX_ADDRSIZE || b == PFX_LOCK || b == PFX_REPNE ||
	       b == PFX_REP || seg_override(b) != INSN_SEG_NONE;
}

#endif
