/* SPDX-License-Identifier: MIT */
/*
 * What a guest that owns the machine's MSRs and CPUID must still not be
 * allowed to do to the hypervisor under it: the checks, as pure functions
 * of the values involved (arch/guard.c, also built into the host tests).
 * The platform VM applies them (vm/platform_guard.c, docs/platform.md
 * "Guards").
 *
 *   - IA32_APIC_BASE: an enabled xAPIC page may not land on a hypervisor
 *     range (the APIC would answer in its place for the CPU's accesses).
 *   - Intel PT: hidden.  Its RTIT MSRs would send trace output to host-
 *     physical addresses; CPUID says there is no PT and the MSRs #GP.
 *   - AMD SYSCFG, TOP_MEM, TOM2, IORRs: the values that decide whether an
 *     address is DRAM and of which type may not change for a hypervisor
 *     range.
 *   - MTRRs: the hardware's configuration must keep every hypervisor range
 *     WB (guard_mtrr_keeps_wb()); the guest's own view is kept apart.
 *   - SMX and SKINIT: hidden (GETSEC and SKINIT cannot run under us).
 *   - EFER on SVM: every bit the CPU has, except SVME (guard_efer_svm()).
 *   - IA32_FEATURE_CONTROL: when hv.efi locks it, every enable the CPU
 *     offers goes in with VMX (guard_feature_control()).
 */
#ifndef TDPVISOR_ARCH_GUARD_H
#define TDPVISOR_ARCH_GUARD_H

#include "types.h"
#include "arch/cpuid.h"
#include "arch/mtrr.h"

#define GUARD_MAX_RANGES 4

/* The physical ranges the guest must not reach or retype. */
struct guard_ranges {
	unsigned int n;
	struct {
		u64 base, size;
	} r[GUARD_MAX_RANGES];
};

/* True when [start, end) shares a byte with a range of h. */
bool guard_overlaps(const struct guard_ranges *h, u64 start, u64 end);

/*
 * Whether IA32_APIC_BASE may take val on a CPU of phys_bits: true unless
 * it enables the xAPIC (EN set, x2APIC mode clear) with its 4 KiB page on
 * a range of h.  A disabled APIC or one in x2APIC mode decodes no page.
 */
bool guard_apic_base_ok(const struct guard_ranges *h, unsigned int phys_bits, u64 val);

/* True for Intel PT's MSRs (0x560, 0x561, 0x570-0x572, 0x580-0x58b). */
bool guard_is_rtit_msr(u32 msr);

/*
 * CPUID leaf/sub as a guest of tdpvisor sees it, whatever the vendor:
 * without SMX (1:ECX[6]), SKINIT (80000001:ECX[12]) and Intel PT
 * (7.0:EBX[25], leaf 0x14 all zeros).
 */
void guard_cpuid(u32 leaf, u32 sub, struct cpuid_regs *r);

/*
 * AMD SYSCFG: true when val changes none of the bits that decide how DRAM
 * is decoded and typed (MtrrFixDramEn, MtrrVarDramEn, MtrrTom2En,
 * Tom2ForceMemTypeWB, and the memory-encryption enables SMEE, SNPEn,
 * VMPLEn, HMKEE).  MtrrFixDramModEn, which only makes the fixed MTRRs'
 * RdMem/WrMem bits accessible, and every other bit may change.
 */
bool guard_syscfg_ok(u64 old, u64 val);

/*
 * AMD TOP_MEM (above_4g false: it bounds DRAM below 4 GiB) or TOM2 (true:
 * DRAM from 4 GiB up to it): true when every range of h on that side of
 * 4 GiB lies below the new value exactly when it lay below the old one.
 */
bool guard_top_mem_ok(const struct guard_ranges *h, bool above_4g, u64 old, u64 val);

/*
 * An AMD IORR pair (base, mask) as it would be after a write: true when it
 * is not valid or matches no byte of h (an IORR sends its range's reads or
 * writes to I/O instead of DRAM).
 */
bool guard_iorr_ok(const struct guard_ranges *h, unsigned int phys_bits, u64 base, u64 mask);

/* True when s gives every range of h the type WB (each range whole). */
bool guard_mtrr_keeps_wb(const struct guard_ranges *h, const struct mtrr_state *s);

/*
 * The EFER bits an AMD CPU accepts from a guest, from its CPUID leaves
 * 0x80000001 (ext1), 0x80000008 (ext8) and 0x80000021 (ext21; zeros when
 * absent): SCE, LME, NXE, LMSLE, FFXSR, TCE, MCOMMIT, INTWB, UAIE and
 * AutoIBRS where CPUID says the CPU has them.  Never SVME (the
 * hypervisor's) nor LMA (the CPU's).  The caller keeps of these the bits
 * the CPU really takes (svm/platform.c tries each on the host's EFER).
 */
u64 guard_efer_svm(const struct cpuid_regs *ext1, const struct cpuid_regs *ext8,
		   const struct cpuid_regs *ext21);

/*
 * The IA32_FEATURE_CONTROL value hv.efi locks an unlocked one with: lock,
 * VMXON outside SMX, and the enables the CPU offers by CPUID leaf 7.0
 * (leaf7) and IA32_MCG_CAP: SGX, SGX launch control, LMCE.  VMXON inside
 * SMX stays off: the guest sees no SMX.
 */
u64 guard_feature_control(const struct cpuid_regs *leaf7, u64 mcg_cap);

#endif
