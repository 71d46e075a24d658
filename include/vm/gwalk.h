/* SPDX-License-Identifier: MIT */
/*
 * The guest's own page tables, walked the way the CPU walks them (Intel
 * SDM vol. 3A chapter 4, AMD APM vol. 2 chapter 5).  Pure: the paging
 * state comes in a struct gwalk_regs and every entry is read and updated
 * through struct gwalk_mem, so the same code serves the hypervisor
 * (vm/guest_mem.c) and the host unit tests (tests/unit/test_gwalk.c).
 *
 * Modes, chosen by CR0.PG, CR4.PAE, EFER.LMA and CR4.LA57:
 *
 *	paging off    linear = physical (the low 32 bits)
 *	32-bit        2 levels of 4-byte entries, 10+10+12 bits; 4 MiB pages
 *	              with CR4.PSE (PSE-36: PDE bits 20:13 are address bits
 *	              39:32)
 *	PAE           4 PDPTEs at CR3[31:5], then 2 levels of 8-byte entries,
 *	              2+9+9+12 bits; 2 MiB pages
 *	4-level       9+9+9+9+12 bits of a canonical 48-bit address; 2 MiB and
 *	              1 GiB pages
 *	5-level       one more level, 57-bit canonical addresses
 *
 * Checked as the CPU does: present bits; reserved bits (address bits at and
 * above MAXPHYADDR, XD without EFER.NXE, PS in a PML4E/PML5E, the low
 * address bits of a large page; every bit PAE reserves); U/S, R/W with
 * CR0.WP, XD with EFER.NXE, SMEP, and SMAP with RFLAGS.AC.  A walk that
 * passes sets the accessed bit of every entry it used (PAE's PDPTEs have
 * none) and, for a write, the dirty bit of the leaf, each with a
 * compare-and-exchange so a concurrent change by the guest restarts the
 * walk instead of being overwritten.  A walk that faults changes nothing.
 *
 * Differences from a CPU:
 *  - PAE's PDPTEs are read from memory at each walk; a CPU loads them when
 *    CR3 is written (and raises #GP there for a reserved bit).  A guest
 *    that rewrites its PDPT without reloading CR3 sees the new entries
 *    here; a reserved bit in a PDPTE is a #PF with RSVD here.
 *  - No TLB: every walk reads the tables as they are now.
 *  - No protection keys (CR4.PKE, PKRU), no shadow-stack or HLAT rules;
 *    1 GiB pages are taken to exist.  Bit 8 of non-leaf entries is
 *    ignored, as on Intel CPUs (some AMD CPUs reserve it).
 */
#ifndef TDPVISOR_VM_GWALK_H
#define TDPVISOR_VM_GWALK_H

#include "types.h"

/* The paging state of the vCPU, as the guest set it. */
struct gwalk_regs {
	u64 cr0, cr3, cr4, efer;
	u64 rflags;		/* AC, for SMAP */
	u8 cpl;
	u8 maxphyaddr;		/* 32..52 */
};

/* The access to check; a read is none of these. */
#define GWALK_WRITE BIT(0)
#define GWALK_FETCH BIT(1)
/* A supervisor-mode access whatever the CPL: the CPU's own reads and
 * writes of the GDT, IDT, TSS (SMAP then ignores RFLAGS.AC). */
#define GWALK_IMPLICIT BIT(2)

/* A paging-structure entry in guest-physical memory. */
struct gwalk_mem {
	void *ctx;
	/* Reads the size-byte (4 or 8) entry at gpa, zero-extended into
	 * *val.  0, or <0 when gpa is not guest memory. */
	int (*read)(void *ctx, gpa_t gpa, unsigned int size, u64 *val);
	/* Replaces the entry at gpa with new if it still holds old, in one
	 * atomic step.  1: replaced; 0: it held something else; <0: gpa is
	 * not writable guest memory. */
	int (*cmpxchg)(void *ctx, gpa_t gpa, unsigned int size, u64 old, u64 new);
};

/* The paging modes, for statistics and logs. */
enum gwalk_mode {
	GWALK_MODE_OFF,
	GWALK_MODE_32BIT,
	GWALK_MODE_PAE,
	GWALK_MODE_4LEVEL,
	GWALK_MODE_5LEVEL,
	GWALK_NR_MODES
};

enum gwalk_status {
	GWALK_OK,		/* gpa is the translation */
	GWALK_PAGE_FAULT,	/* the CPU raises #PF(error), CR2 = the address */
	GWALK_NONCANONICAL,	/* the address is not canonical: #GP(0) (#SS for SS) */
	GWALK_NO_MEMORY,	/* an entry lies outside guest memory (at bad_gpa) */
	GWALK_RETRY,		/* the guest kept changing the entries under the walk */
};

struct gwalk {
	u8 mode;		/* always: the enum gwalk_mode r selected */
	gpa_t gpa;		/* GWALK_OK: the physical address */
	u8 level;		/* GWALK_OK: the leaf's level (1: a 4 KiB page, 2: a
				 * 2 or 4 MiB page, 3: a 1 GiB page); 0: paging off */
	u32 error;		/* GWALK_PAGE_FAULT: the error code (PF_ERR_*) */
	gpa_t bad_gpa;		/* GWALK_NO_MEMORY: the entry's address */
};

/*
 * Translates the linear address la for access (GWALK_*) as the CPU in
 * state r would, reading and updating the paging structures through m.
 * Outside IA-32e mode only la's low 32 bits count.  Returns the status
 * and fills the fields of *w it names.  A fault changes no entry; after
 * the rights check passed, GWALK_RETRY and GWALK_NO_MEMORY may leave
 * accessed bits set in the entries above the one that could not be updated
 * (entries the CPU would have used).
 */
enum gwalk_status gwalk(const struct gwalk_regs *r, u64 la, u32 access,
			const struct gwalk_mem *m, struct gwalk *w);

#endif
