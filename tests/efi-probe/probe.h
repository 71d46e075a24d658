/* SPDX-License-Identifier: MIT */
/*
 * probe.efi: an EFI program that runs as the platform VM's next stage and
 * checks tdpvisor from the inside (docs/platform.md).  Shared between its
 * files: the report, the hypercall, safe MSR reads, the MTRR decoder.
 */
#ifndef TDPVISOR_PROBE_H
#define TDPVISOR_PROBE_H

#include "types.h"
#include "compiler.h"
#include "vm/hypercall.h"

/* probe.c: one line per check ("probe: ok ..." / "probe: FAIL ..."). */
__printf(2, 3) bool probe_check(bool ok, const char *fmt, ...);
__printf(1, 2) void probe_info(const char *fmt, ...);
/* A hypercall with the vendor's instruction. */
long probe_hypercall(u64 nr, u64 a0, u64 a1);
/* rdmsr and wrmsr that survive #GP: 0, or -1 when it faulted. */
int probe_rdmsr(u32 msr, u64 *val);
int probe_wrmsr(u32 msr, u64 val);
/* Reads 8 bytes at a guest-physical address (= virtual under UEFI). */
u64 probe_peek(u64 addr);

/* probe_rt.asm */
long probe_vmcall(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3);
long probe_vmmcall(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3);
u64 probe_read64(u64 addr);
void probe_write64(u64 addr, u64 v);
u64 probe_read128(u64 addr);
int probe_rdmsr_safe(u32 msr, u64 *val);
int probe_wrmsr_safe(u32 msr, u64 val);
void probe_gp_entry(void);
extern u64 probe_old_gp;
void probe_nmi_entry(void);
extern u32 probe_nmis;
extern const u8 probe_smi_handler[], probe_smi_handler_end[];
int probe_raise_smi(u32 spins);

/* probe_smi.c: check h, an SMI taken while the probe runs as a guest. */
struct _EFI_BOOT_SERVICES;
void probe_smi(struct _EFI_BOOT_SERVICES *bs);

/* probe_mtrr.c: the MTRRs as the guest reads them, and their verdicts. */
#define PROBE_MT_MIXED 0xfe	/* overlapping variable ranges disagree */

struct probe_mtrrs {
	u64 cap, def_type;
	u64 fixed[11];			/* 0x250, 0x258, 0x259, 0x268-0x26f */
	unsigned int nvar;
	u64 var_base[16], var_mask[16];
	u64 phys_mask;			/* the CPU's physical-address bits */
	bool readable;			/* no #GP reading them */
};

void probe_mtrr_read(struct probe_mtrrs *m);
void probe_mtrr_print(const struct probe_mtrrs *m);
/* The MTRR memory type of the 4 KiB page at pa (HC_MT_* or PROBE_MT_MIXED). */
unsigned int probe_mtrr_type(const struct probe_mtrrs *m, u64 pa);
const char *probe_mt_name(u64 mt);

/* probe_mtrr.c: check d, the TDP leaves' memory types against the MTRRs. */
/* apic_trapped: every CPU is a guest, and the local APIC page an emulated
 * device of the platform VM (no TDP leaf maps it). */
void probe_memtypes(bool intel, u64 code_addr, u64 high_ram, bool apic_trapped);
/* probe_mtrr.c: a guest MTRR write over hypervisor memory at pa (a page of
 * the pool) leaves the hardware's MTRRs WB there (HC_HOST_MEMTYPE). */
void probe_mtrr_guard(u64 pa);

/* probe_guard.c: the guards (CPUID, PT, APIC base, EFER, FEATURE_CONTROL);
 * free_page: a page of the probe's own, pool: a page of hypervisor memory. */
void probe_guards(bool intel, bool amd, u64 free_page, u64 pool);

#endif
