/* SPDX-License-Identifier: MIT */
/*
 * The VMCS: one enum of field encodings (SDM vol. 3, appendix B) and typed
 * accessors around the VMX instructions.  This header and include/arch/x86.h
 * are the only places with inline assembly; each accessor is one line of it.
 *
 * VMREAD/VMWRITE of a field that the CPU does not have, or with no current
 * VMCS, is a bug of the hypervisor: the accessors report the instruction,
 * the field and the VM-instruction error, then BUG().  VMXON, VMCLEAR,
 * VMPTRLD, INVEPT and INVVPID return a status for the caller to handle.
 */
#ifndef TDPVISOR_VMX_VMCS_H
#define TDPVISOR_VMX_VMCS_H

#include "types.h"
#include "compiler.h"

enum vmcs_field {
	/* 16-bit control */
	VIRTUAL_PROCESSOR_ID = 0x0000,
	/* 16-bit guest state */
	GUEST_ES_SELECTOR = 0x0800,
	GUEST_CS_SELECTOR = 0x0802,
	GUEST_SS_SELECTOR = 0x0804,
	GUEST_DS_SELECTOR = 0x0806,
	GUEST_FS_SELECTOR = 0x0808,
	GUEST_GS_SELECTOR = 0x080a,
	GUEST_LDTR_SELECTOR = 0x080c,
	GUEST_TR_SELECTOR = 0x080e,
	GUEST_PML_INDEX = 0x0812,
	/* 16-bit host state */
	HOST_ES_SELECTOR = 0x0c00,
	HOST_CS_SELECTOR = 0x0c02,
	HOST_SS_SELECTOR = 0x0c04,
	HOST_DS_SELECTOR = 0x0c06,
	HOST_FS_SELECTOR = 0x0c08,
	HOST_GS_SELECTOR = 0x0c0a,
	HOST_TR_SELECTOR = 0x0c0c,
	/* 64-bit control */
	IO_BITMAP_A = 0x2000,
	IO_BITMAP_B = 0x2002,
	MSR_BITMAP = 0x2004,
	VM_EXIT_MSR_STORE_ADDR = 0x2006,
	VM_EXIT_MSR_LOAD_ADDR = 0x2008,
	VM_ENTRY_MSR_LOAD_ADDR = 0x200a,
	PML_ADDRESS = 0x200e,
	TSC_OFFSET = 0x2010,
	EPT_POINTER = 0x201a,
	/* 64-bit read-only data */
	GUEST_PHYSICAL_ADDRESS = 0x2400,
	/* 64-bit guest state */
	VMCS_LINK_POINTER = 0x2800,
	GUEST_IA32_DEBUGCTL = 0x2802,
	GUEST_IA32_PAT = 0x2804,
	GUEST_IA32_EFER = 0x2806,
	/* 64-bit host state */
	HOST_IA32_PAT = 0x2c00,
	HOST_IA32_EFER = 0x2c02,
	/* 32-bit control */
	PIN_BASED_VM_EXEC_CONTROL = 0x4000,
	CPU_BASED_VM_EXEC_CONTROL = 0x4002,
	EXCEPTION_BITMAP = 0x4004,
	PAGE_FAULT_ERROR_CODE_MASK = 0x4006,
	PAGE_FAULT_ERROR_CODE_MATCH = 0x4008,
	CR3_TARGET_COUNT = 0x400a,
	VM_EXIT_CONTROLS = 0x400c,
	VM_EXIT_MSR_STORE_COUNT = 0x400e,
	VM_EXIT_MSR_LOAD_COUNT = 0x4010,
	VM_ENTRY_CONTROLS = 0x4012,
	VM_ENTRY_MSR_LOAD_COUNT = 0x4014,
	VM_ENTRY_INTR_INFO = 0x4016,
	VM_ENTRY_EXCEPTION_ERROR_CODE = 0x4018,
	VM_ENTRY_INSTRUCTION_LEN = 0x401a,
	SECONDARY_VM_EXEC_CONTROL = 0x401e,
	/* 32-bit read-only data */
	VM_INSTRUCTION_ERROR = 0x4400,
	VM_EXIT_REASON = 0x4402,
	VM_EXIT_INTR_INFO = 0x4404,
	VM_EXIT_INTR_ERROR_CODE = 0x4406,
	IDT_VECTORING_INFO = 0x4408,
	IDT_VECTORING_ERROR_CODE = 0x440a,
	VM_EXIT_INSTRUCTION_LEN = 0x440c,
	VMX_INSTRUCTION_INFO = 0x440e,
	/* 32-bit guest state */
	GUEST_ES_LIMIT = 0x4800,
	GUEST_CS_LIMIT = 0x4802,
	GUEST_SS_LIMIT = 0x4804,
	GUEST_DS_LIMIT = 0x4806,
	GUEST_FS_LIMIT = 0x4808,
	GUEST_GS_LIMIT = 0x480a,
	GUEST_LDTR_LIMIT = 0x480c,
	GUEST_TR_LIMIT = 0x480e,
	GUEST_GDTR_LIMIT = 0x4810,
	GUEST_IDTR_LIMIT = 0x4812,
	GUEST_ES_AR_BYTES = 0x4814,
	GUEST_CS_AR_BYTES = 0x4816,
	GUEST_SS_AR_BYTES = 0x4818,
	GUEST_DS_AR_BYTES = 0x481a,
	GUEST_FS_AR_BYTES = 0x481c,
	GUEST_GS_AR_BYTES = 0x481e,
	GUEST_LDTR_AR_BYTES = 0x4820,
	GUEST_TR_AR_BYTES = 0x4822,
	GUEST_INTERRUPTIBILITY_INFO = 0x4824,
	GUEST_ACTIVITY_STATE = 0x4826,
	GUEST_SYSENTER_CS = 0x482a,
	VMX_PREEMPTION_TIMER_VALUE = 0x482e,
	/* 32-bit host state */
	HOST_IA32_SYSENTER_CS = 0x4c00,
	/* natural-width control */
	CR0_GUEST_HOST_MASK = 0x6000,
	CR4_GUEST_HOST_MASK = 0x6002,
	CR0_READ_SHADOW = 0x6004,
	CR4_READ_SHADOW = 0x6006,
	/* natural-width read-only data */
	EXIT_QUALIFICATION = 0x6400,
	GUEST_LINEAR_ADDRESS = 0x640a,
	/* natural-width guest state */
	GUEST_CR0 = 0x6800,
	GUEST_CR3 = 0x6802,
	GUEST_CR4 = 0x6804,
	GUEST_ES_BASE = 0x6806,
	GUEST_CS_BASE = 0x6808,
	GUEST_SS_BASE = 0x680a,
	GUEST_DS_BASE = 0x680c,
	GUEST_FS_BASE = 0x680e,
	GUEST_GS_BASE = 0x6810,
	GUEST_LDTR_BASE = 0x6812,
	GUEST_TR_BASE = 0x6814,
	GUEST_GDTR_BASE = 0x6816,
	GUEST_IDTR_BASE = 0x6818,
	GUEST_DR7 = 0x681a,
	GUEST_RSP = 0x681c,
	GUEST_RIP = 0x681e,
	GUEST_RFLAGS = 0x6820,
	GUEST_PENDING_DBG_EXCEPTIONS = 0x6822,
	GUEST_SYSENTER_ESP = 0x6824,
	GUEST_SYSENTER_EIP = 0x6826,
	/* natural-width host state */
	HOST_CR0 = 0x6c00,
	HOST_CR3 = 0x6c02,
	HOST_CR4 = 0x6c04,
	HOST_FS_BASE = 0x6c06,
	HOST_GS_BASE = 0x6c08,
	HOST_TR_BASE = 0x6c0a,
	HOST_GDTR_BASE = 0x6c0c,
	HOST_IDTR_BASE = 0x6c0e,
	HOST_IA32_SYSENTER_ESP = 0x6c10,
	HOST_IA32_SYSENTER_EIP = 0x6c12,
	HOST_RSP = 0x6c14,
	HOST_RIP = 0x6c16,
};

/* INVEPT / INVVPID types and their 128-bit descriptors. */
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXT 2
#define INVVPID_SINGLE_CONTEXT 1
#define INVVPID_ALL_CONTEXT 2

struct invept_desc {
	u64 eptp;
	u64 reserved;
};

struct invvpid_desc {
	u64 vpid;	/* bits 15:0; the rest must be zero */
	u64 gla;
};

/* The field argument of vmx_insn_failed() for instructions without one. */
#define VMCS_NO_FIELD 0xffffffffu

/* vmx/vmcs.c: logs the failed instruction with the VM-instruction error, then BUG(). */
__noreturn void vmx_insn_failed(const char *insn, u32 field);

/* ---- the instructions; each returns true when it failed (CF or ZF set) ---- */

static inline bool __vmread(u32 field, u64 *val)
{
	bool fail;

	__asm__ volatile("vmread %[f], %[v]" : "=@ccbe"(fail), [v] "=rm"(*val) : [f] "r"((u64)field) : "memory");
	return fail;
}

static inline bool __vmwrite(u32 field, u64 val)
{
	bool fail;

	__asm__ volatile("vmwrite %[v], %[f]" : "=@ccbe"(fail) : [f] "r"((u64)field), [v] "rm"(val) : "memory");
	return fail;
}

static inline bool __vmxon(u64 pa)
{
	bool fail;

	__asm__ volatile("vmxon %[pa]" : "=@ccbe"(fail) : [pa] "m"(pa) : "memory");
	return fail;
}

static inline void __vmxoff(void) { __asm__ volatile("vmxoff" ::: "cc", "memory"); }

static inline bool __vmclear(u64 pa)
{
	bool fail;

	__asm__ volatile("vmclear %[pa]" : "=@ccbe"(fail) : [pa] "m"(pa) : "memory");
	return fail;
}

static inline bool __vmptrld(u64 pa)
{
	bool fail;

	__asm__ volatile("vmptrld %[pa]" : "=@ccbe"(fail) : [pa] "m"(pa) : "memory");
	return fail;
}

static inline bool __invept(u64 type, const struct invept_desc *d)
{
	bool fail;

	__asm__ volatile("invept %[d], %[t]" : "=@ccbe"(fail) : [t] "r"(type), [d] "m"(*d) : "memory");
	return fail;
}

static inline bool __invvpid(u64 type, const struct invvpid_desc *d)
{
	bool fail;

	__asm__ volatile("invvpid %[d], %[t]" : "=@ccbe"(fail) : [t] "r"(type), [d] "m"(*d) : "memory");
	return fail;
}

/* ---- typed accessors of the current VMCS ---- */

static inline u64 vmcs_read64(enum vmcs_field f)
{
	u64 v = 0;

	if (unlikely(__vmread(f, &v)))
		vmx_insn_failed("vmread", f);
	return v;
}

static inline u32 vmcs_read32(enum vmcs_field f) { return (u32)vmcs_read64(f); }
static inline u16 vmcs_read16(enum vmcs_field f) { return (u16)vmcs_read64(f); }
static inline u64 vmcs_readl(enum vmcs_field f) { return vmcs_read64(f); }

static inline void vmcs_write64(enum vmcs_field f, u64 v)
{
	if (unlikely(__vmwrite(f, v)))
		vmx_insn_failed("vmwrite", f);
}

static inline void vmcs_write32(enum vmcs_field f, u32 v) { vmcs_write64(f, v); }
static inline void vmcs_write16(enum vmcs_field f, u16 v) { vmcs_write64(f, v); }
static inline void vmcs_writel(enum vmcs_field f, u64 v) { vmcs_write64(f, v); }

#endif
