/* SPDX-License-Identifier: MIT */
/*
 * Memory-type range registers (SDM vol. 3A, "Memory Type Range Registers";
 * AMD APM vol. 2, "Memory-Type Range Registers").
 *
 * A struct mtrr_state is a snapshot of the MTRR MSRs as raw values.  Only
 * mtrr_snapshot_read() (arch/mtrr_msr.c, hv.efi only) touches the CPU; every
 * other function here is pure (arch/mtrr.c, also built into the host tests)
 * and answers questions about a snapshot: the effective type of a range of
 * physical addresses, which MSRs hold memory types, and which addresses a
 * write of one of them can retype.  For the platform VM guest-physical is
 * host-physical, so a snapshot of the host's MTRRs describes its memory.
 *
 * The effective MTRR type of an address (the rules of mtrr_range_type()):
 *   - no MTRRs (CPUID.1:EDX.MTRR clear): WB.  Caching is then governed by
 *     CR0.CD and the page-level PAT/PCD/PWT bits alone; the MTRR part of
 *     the combination imposes nothing, which is what WB means there.
 *   - IA32_MTRR_DEF_TYPE.E clear: UC everywhere.
 *   - below 1 MiB with E and FE set (and fixed ranges supported): the
 *     fixed-range entry's type.
 *   - otherwise the variable ranges that match (addr & mask) == (base &
 *     mask), on bits MAXPHYADDR-1..12: none, the default type; all of one
 *     type, that type; any UC, UC; only WT and WB, WT; any other mix is
 *     undefined in the SDM and taken as UC here.
 *   - a reserved type value (2, 3, 7 and up; a guest-written one, since
 *     hardware rejects them) counts as UC.  AMD's RdMem/WrMem bits (3, 4) in
 *     a fixed-range byte are not part of the type and are ignored.
 * Not modelled: SMRRs (SMRAM is not reachable outside SMM) and AMD's
 * SYSCFG.Tom2ForceMemTypeWB.  The EPT memory type of the platform VM is
 * meant to follow these rules; on AMD the hardware applies the host MTRRs to
 * nested-paging accesses itself.
 */
#ifndef TDPVISOR_ARCH_MTRR_H
#define TDPVISOR_ARCH_MTRR_H

#include "types.h"
#include "arch/memtype.h"

#define MSR_IA32_MTRRCAP 0x000000fe
#define  MTRRCAP_VCNT_MASK GENMASK_ULL(7, 0)
#define  MTRRCAP_FIX BIT_ULL(8)
#define  MTRRCAP_WC BIT_ULL(10)

#define MSR_IA32_MTRR_DEF_TYPE 0x000002ff
#define  MTRR_DEF_TYPE_MASK GENMASK_ULL(7, 0)
#define  MTRR_DEF_FE BIT_ULL(10)
#define  MTRR_DEF_E BIT_ULL(11)

/* Variable range n: PHYSBASE holds the type, PHYSMASK the valid bit. */
#define MSR_IA32_MTRR_PHYSBASE(n) (0x00000200 + 2 * (n))
#define MSR_IA32_MTRR_PHYSMASK(n) (0x00000201 + 2 * (n))
#define  MTRR_PHYSBASE_TYPE_MASK GENMASK_ULL(7, 0)
#define  MTRR_PHYSMASK_V BIT_ULL(11)

/* Fixed ranges: 8 one-byte types per MSR, covering [0, 1 MiB). */
#define MSR_IA32_MTRR_FIX64K_00000 0x00000250
#define MSR_IA32_MTRR_FIX16K_80000 0x00000258
#define MSR_IA32_MTRR_FIX16K_A0000 0x00000259
#define MSR_IA32_MTRR_FIX4K_C0000 0x00000268	/* ... FIX4K_F8000 0x26f */
#define MTRR_NR_FIXED 11
#define MTRR_FIXED_END 0x100000ULL

/*
 * Variable pairs the snapshot keeps: MSRs 0x200..0x21f.  Real CPUs have 8
 * to 10; a CPU reporting more has the rest ignored (with a warning).
 */
#define MTRR_MAX_VAR 16

/* The fixed-range MSRs in snapshot order (fixed[i] is mtrr_fixed_msr[i]). */
extern const u32 mtrr_fixed_msr[MTRR_NR_FIXED];

struct mtrr_var {
	u64 base;			/* IA32_MTRR_PHYSBASEn */
	u64 mask;			/* IA32_MTRR_PHYSMASKn */
};

struct mtrr_state {
	bool supported;			/* CPUID.1:EDX.MTRR */
	unsigned int phys_bits;		/* MAXPHYADDR, 32..52 */
	unsigned int nr_var;		/* min(VCNT, MTRR_MAX_VAR) */
	u64 cap;			/* IA32_MTRRCAP */
	u64 def_type;			/* IA32_MTRR_DEF_TYPE */
	u64 fixed[MTRR_NR_FIXED];	/* zero unless MTRRCAP.FIX */
	struct mtrr_var var[MTRR_MAX_VAR];
};

/* ---- arch/mtrr_msr.c: hv.efi only ---- */

/*
 * Fills s from this CPU's MSRs (IA32_MTRRCAP, IA32_MTRR_DEF_TYPE, the fixed
 * ranges when MTRRCAP.FIX, the first nr_var variable pairs) with phys_bits
 * = MAXPHYADDR (32..52).  Without CPUID.1:EDX.MTRR it reads no MSR and s
 * says "not supported" (WB everywhere).  An MSR that faults reads as 0.
 */
void mtrr_snapshot_read(struct mtrr_state *s, unsigned int phys_bits);

/* ---- arch/mtrr.c: pure ---- */

/* Logs s at info level: default type and enables, fixed runs, valid pairs. */
void mtrr_snapshot_print(const struct mtrr_state *s);

/*
 * The effective MTRR type of the physical addresses [start, end) (both 4
 * KiB aligned, start < end), by the rules above.  Returns 0 and stores it
 * in *mt when the whole range has one type; -EAGAIN when it has more than
 * one, or when a variable pair with a non-contiguous mask could change its
 * match inside the range (not computed: reported as not uniform); -EINVAL
 * for an empty or unaligned range.  A single 4 KiB page always has one
 * type.  The cost grows with the number of variable pairs and of the type
 * changes inside the range, not with its size.  Addresses at and above
 * 2^phys_bits alias lower ones, as the mask comparison does.
 */
int mtrr_range_type(const struct mtrr_state *s, u64 start, u64 end,
		    enum x86_memtype *mt);

/*
 * True for the MSRs of this CPU whose writes change memory types:
 * IA32_MTRR_DEF_TYPE, the fixed ranges (MTRRCAP.FIX) and the first nr_var
 * variable pairs.  False for everything when MTRRs are not supported, and
 * for the read-only IA32_MTRRCAP.
 */
bool mtrr_is_mtrr_msr(const struct mtrr_state *s, u32 msr);

/*
 * Whether writing val to msr is legal (the write would not #GP): no
 * reserved bit set (bits at and above phys_bits included), every type field
 * a defined type, WC only with MTRRCAP.WC.  False when !mtrr_is_mtrr_msr().
 */
bool mtrr_msr_valid(const struct mtrr_state *s, u32 msr, u64 val);

/*
 * The physical range [*start, *end) whose effective type can differ once
 * val is written to msr in s (s holds the values before the write): empty
 * (*start == *end) when nothing can change (same value, a fixed range while
 * fixed ranges are off, a pair that is invalid before and after, any MSR
 * while E is clear except IA32_MTRR_DEF_TYPE itself, an MSR that is not an
 * MTRR); the fixed MSR's span; for a pair, the smallest range covering the
 * old and the new ranges; [0, 2^phys_bits) for IA32_MTRR_DEF_TYPE and for
 * a pair whose old or new mask is not contiguous.  Call it before
 * mtrr_state_write(); zapping the range from the TDP roots after the write
 * makes every later fault see the new type.
 */
void mtrr_msr_range(const struct mtrr_state *s, u32 msr, u64 val, u64 *start,
		    u64 *end);

/* Stores val (checked with mtrr_msr_valid()) in s. */
void mtrr_state_write(struct mtrr_state *s, u32 msr, u64 val);
/* The value s holds for msr (one for which mtrr_is_mtrr_msr() is true). */
u64 mtrr_state_read(const struct mtrr_state *s, u32 msr);
/*
 * Stores in msrs (at most max) every MSR for which mtrr_is_mtrr_msr(s) is
 * true: IA32_MTRR_DEF_TYPE, the fixed ranges, the variable pairs.  Returns
 * how many (2 * MTRR_MAX_VAR + MTRR_NR_FIXED + 1 at most).
 */
unsigned int mtrr_msr_list(const struct mtrr_state *s, u32 *msrs, unsigned int max);

#endif
