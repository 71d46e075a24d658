/* SPDX-License-Identifier: MIT */
/*
 * Decoding the one instruction behind an emulated MMIO access (and the
 * INS/OUTS behind a string I/O exit, insn_decode_string_io()).
 *
 * A guest's load or store to a range with no memory exits as a TDP fault
 * that tells the GPA but (without decode assists) neither the size, the
 * register, nor the length of the instruction.  vm/ fetches the bytes at
 * the guest's RIP and insn_decode_mmio() turns them into a struct
 * mmio_insn: what to read or write, where the value comes from or goes,
 * and the length, so the next RIP is RIP + len.
 *
 * Only plain moves are decoded -- the forms a compiler emits for volatile
 * loads and stores:
 *
 *	88 /r  MOV r/m8, r8          8A /r  MOV r8, r/m8
 *	89 /r  MOV r/m, r            8B /r  MOV r, r/m
 *	C6 /0  MOV r/m8, imm8        C7 /0  MOV r/m, imm16/32 (imm32 sign-
 *	                                    extended with REX.W)
 *	0F B6 / 0F B7  MOVZX r, r/m8 / r/m16
 *	0F BE / 0F BF  MOVSX r, r/m8 / r/m16
 *	63 /r  MOVSXD r, r/m32       (64-bit mode only; not the 66 form)
 *	A0-A3  MOV AL/rAX <-> moffs  (absolute offset of address-size width)
 *
 * with the prefixes 66 (operand size), 67 (address size), REX in 64-bit
 * mode, and the segment overrides 26 2E 36 3E 64 65.  LOCK (F0) and
 * REP/REPNE (F2/F3) are refused: such an instruction is not a plain move.
 *
 * The decoder is safe on arbitrary bytes: it never reads bytes[avail] or
 * beyond, and on success len <= MIN(avail, INSN_MAX_LEN).
 */
#ifndef TDPVISOR_VM_INSN_H
#define TDPVISOR_VM_INSN_H

#include "types.h"
#include "vm/gpr.h"

/* The architectural limit: a longer instruction raises #GP. */
#define INSN_MAX_LEN 15

/* How the code segment decodes: default operand and address sizes. */
enum cpu_mode {
	CPU_MODE_16,	/* real mode, 16-bit protected mode (CS.D = 0) */
	CPU_MODE_32,	/* 32-bit protected mode, compatibility mode */
	CPU_MODE_64,	/* 64-bit mode (CS.L = 1): REX, RIP-relative */
};

enum insn_dir {
	INSN_LOAD,	/* device -> register */
	INSN_STORE,	/* register or immediate -> device */
};

/* How a load's value widens into the destination register. */
enum insn_ext {
	INSN_EXT_NONE,	/* same width (MOV) */
	INSN_EXT_ZERO,	/* MOVZX */
	INSN_EXT_SIGN,	/* MOVSX, MOVSXD */
};

/* A segment override prefix, as encoded (64-bit mode honours only FS/GS). */
enum insn_seg {
	INSN_SEG_NONE,
	INSN_SEG_ES,
	INSN_SEG_CS,
	INSN_SEG_SS,
	INSN_SEG_DS,
	INSN_SEG_FS,
	INSN_SEG_GS,
};

/* No base or no index register in a memory operand. */
#define INSN_NO_REG (-1)

/*
 * The memory operand, for logging and cross-checks against the faulting
 * GPA: seg:[base + index * scale + disp].  With rip_rel, disp counts from
 * the next RIP (RIP + len).  For moffs forms base and index are absent and
 * disp is the absolute offset.  The registers are address-size wide.
 */
struct insn_mem {
	s8 base;		/* enum gpr or INSN_NO_REG */
	s8 index;		/* enum gpr or INSN_NO_REG */
	u8 scale;		/* 1, 2, 4 or 8 */
	bool rip_rel;
	u64 disp;		/* sign-extended to 64 bits */
};

struct mmio_insn {
	u8 len;			/* bytes of the instruction: next RIP = RIP + len */
	u8 size;		/* bytes accessed in the device: 1, 2, 4 or 8 */
	u8 dir;			/* enum insn_dir */
	/*
	 * The register operand: a store's source (unless imm_src) or a load's
	 * destination.  With high8 it is AH, CH, DH or BH, i.e. bits 15:8 of
	 * reg (which is then GPR_RAX..GPR_RBX).
	 */
	u8 reg;			/* enum gpr */
	bool high8;
	u8 reg_size;		/* width of the register operand: 1, 2, 4, 8 */
	u8 ext;			/* enum insn_ext: a load widening size -> reg_size */
	bool imm_src;		/* a store of imm instead of a register */
	u64 imm;		/* the immediate, extended to size bytes */
	u8 addr_size;		/* 2, 4 or 8 */
	u8 seg;			/* enum insn_seg */
	u16 opcode;		/* e.g. 0x89 or 0x0fb6, for the log */
	struct insn_mem mem;
};

/*
 * Decodes the instruction in bytes[0 .. avail) as code of the given mode.
 * Returns 0 and fills *out, or (with *out unspecified):
 *   -E2BIG       the instruction does not fit: it is longer than avail
 *                (fetch more bytes if the fetch was cut short) or longer
 *                than INSN_MAX_LEN;
 *   -EINVAL      it cannot be the faulting access: a register-only form
 *                (ModRM.mod = 11) or an encoding the CPU raises #UD for
 *                (C6/C7 with ModRM.reg != 0);
 *   -EOPNOTSUPP  not a plain move: any other opcode, or LOCK/REP/REPNE.
 */
int insn_decode_mmio(const u8 *bytes, size_t avail, enum cpu_mode mode,
		     struct mmio_insn *out);

/*
 * The length of an instruction the hypervisor intercepts and skips (HLT,
 * IN/OUT, CPUID, RDMSR/WRMSR, INVD/WBINVD, and the 0F 01 register forms
 * such as VMCALL, VMMCALL and XSETBV), legacy and (64-bit mode) REX
 * prefixes included, for a CPU that does not report it.  Reads no byte at
 * or past MIN(avail, INSN_MAX_LEN).  Returns the length, or -EINVAL when
 * the bytes are not one of those instructions or are cut short.
 */
int insn_intercepted_length(const u8 *bytes, size_t avail, enum cpu_mode mode);

/* An INS or OUTS, as the emulation of an intercepted port needs it. */
struct string_io_insn {
	u8 len;			/* bytes of the instruction */
	bool in;		/* INS (port -> ES:rDI), else OUTS (seg:rSI -> port) */
	u8 size;		/* bytes per element: 1, 2 or 4 */
	u8 addr_size;		/* 2, 4 or 8: the width of rSI/rDI/rCX used */
	u8 seg;			/* enum insn_seg of the memory operand */
	bool rep;		/* F3 or F2: repeat rCX times */
};

/*
 * Decodes INS/OUTS (6C-6F) with their prefixes: 66, 67, segment
 * overrides (ignored for INS, which always writes ES), REP/REPNE (either
 * repeats), REX in 64-bit mode (no effect on the size).  Returns 0, or
 * -EOPNOTSUPP (another opcode), -EINVAL (LOCK: #UD on the CPU), -E2BIG
 * (cut short or longer than INSN_MAX_LEN).  Reads no byte at or past
 * MIN(avail, INSN_MAX_LEN).
 */
int insn_decode_string_io(const u8 *bytes, size_t avail, enum cpu_mode mode,
			  struct string_io_insn *out);

/*
 * The value a store writes to the device: the immediate, or the source
 * register (bits 15:8 for high8) from the vCPU's register file, truncated
 * to in->size bytes.  Only for in->dir == INSN_STORE.
 */
u64 insn_store_value(const struct mmio_insn *in, const u64 gpr[GPR_NR]);

/*
 * The new value of a load's destination register, given its old value and
 * the in->size bytes read from the device (higher bits of value ignored).
 * Follows the hardware: the value is zero- or sign-extended to reg_size;
 * a 1- or 2-byte write keeps the register's other bits (a high8 write
 * lands in bits 15:8), a 4-byte write clears bits 63:32, an 8-byte write
 * replaces all.  Only for in->dir == INSN_LOAD.
 */
u64 insn_merge_load(const struct mmio_insn *in, u64 old_reg, u64 value);

#endif
