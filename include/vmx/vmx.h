/* SPDX-License-Identifier: MIT */
/*
 * Intel VMX (vmx/): capability-MSR bits, execution controls, exit reasons
 * and exit-qualification bits as named constants (SDM vol. 3, chapters
 * 24-27, appendices A and C), and the entry point of vmx/vmenter.asm.
 */
#ifndef TDPVISOR_VMX_VMX_H
#define TDPVISOR_VMX_VMX_H

#include "types.h"

/* IA32_VMX_BASIC */
#define VMX_BASIC_REVISION_MASK GENMASK_ULL(30, 0)
#define VMX_BASIC_SIZE_SHIFT 32
#define VMX_BASIC_SIZE_MASK GENMASK_ULL(44, 32)
#define VMX_BASIC_32BIT_PA BIT_ULL(48)
#define VMX_BASIC_MEMTYPE_SHIFT 50
#define VMX_BASIC_MEMTYPE_MASK GENMASK_ULL(53, 50)
#define VMX_BASIC_MEMTYPE_WB 6
#define VMX_BASIC_TRUE_CTLS BIT_ULL(55)	/* the IA32_VMX_TRUE_*_CTLS MSRs exist */

/* IA32_VMX_EPT_VPID_CAP */
#define VMX_EPT_CAP_PWL4 BIT_ULL(6)
#define VMX_EPT_CAP_PWL5 BIT_ULL(7)
#define VMX_EPT_CAP_WB BIT_ULL(14)
#define VMX_EPT_CAP_2M BIT_ULL(16)
#define VMX_EPT_CAP_1G BIT_ULL(17)
#define VMX_EPT_CAP_INVEPT BIT_ULL(20)
#define VMX_EPT_CAP_AD BIT_ULL(21)
#define VMX_EPT_CAP_INVEPT_SINGLE BIT_ULL(25)
#define VMX_EPT_CAP_INVEPT_ALL BIT_ULL(26)
#define VMX_VPID_CAP_INVVPID BIT_ULL(32)
#define VMX_VPID_CAP_INVVPID_SINGLE BIT_ULL(41)
#define VMX_VPID_CAP_INVVPID_ALL BIT_ULL(42)

/* Pin-based VM-execution controls */
#define PIN_EXT_INTR_EXITING BIT(0)
#define PIN_NMI_EXITING BIT(3)
#define PIN_VIRTUAL_NMIS BIT(5)
#define PIN_PREEMPTION_TIMER BIT(6)

/* IA32_VMX_MISC: the preemption timer counts once per 2^RATE TSC ticks */
#define VMX_MISC_PREEMPTION_RATE_MASK 0x1fULL

/* Primary processor-based VM-execution controls */
#define CPU_USE_TSC_OFFSETTING BIT(3)
#define CPU_HLT_EXITING BIT(7)
#define CPU_INVLPG_EXITING BIT(9)
#define CPU_MWAIT_EXITING BIT(10)
#define CPU_CR3_LOAD_EXITING BIT(15)
#define CPU_CR3_STORE_EXITING BIT(16)
#define CPU_NMI_WINDOW_EXITING BIT(22)
#define CPU_UNCOND_IO_EXITING BIT(24)
#define CPU_USE_IO_BITMAPS BIT(25)
#define CPU_USE_MSR_BITMAPS BIT(28)
#define CPU_MONITOR_EXITING BIT(29)
#define CPU_SECONDARY_CONTROLS BIT(31)

/* Secondary processor-based VM-execution controls */
#define SEC_ENABLE_EPT BIT(1)
#define SEC_ENABLE_VPID BIT(5)
#define SEC_ENABLE_RDTSCP BIT(3)	/* also RDPID */
#define SEC_UNRESTRICTED_GUEST BIT(7)
#define SEC_ENABLE_INVPCID BIT(12)
#define SEC_ENABLE_PML BIT(17)
#define SEC_ENABLE_XSAVES BIT(20)
#define SEC_ENABLE_USER_WAIT_PAUSE BIT(26)

/* VM-exit controls */
#define EXIT_SAVE_DEBUG_CONTROLS BIT(2)
#define EXIT_HOST_ADDR_SPACE_SIZE BIT(9)
#define EXIT_ACK_INTR_ON_EXIT BIT(15)
#define EXIT_SAVE_IA32_PAT BIT(18)
#define EXIT_LOAD_IA32_PAT BIT(19)
#define EXIT_SAVE_IA32_EFER BIT(20)
#define EXIT_LOAD_IA32_EFER BIT(21)

/* VM-entry controls */
#define ENTRY_LOAD_DEBUG_CONTROLS BIT(2)
#define ENTRY_IA32E_MODE BIT(9)
#define ENTRY_LOAD_IA32_PAT BIT(14)
#define ENTRY_LOAD_IA32_EFER BIT(15)

/* EPT pointer */
#define EPTP_MT_WB 6ULL
#define EPTP_PWL_SHIFT 3	/* page-walk length minus one */
#define EPTP_AD_ENABLE BIT_ULL(6)

/* Exit reason (bits 15:0 basic reason, bit 31 VM-entry failure) */
#define EXIT_REASON_BASIC_MASK 0xffffu
#define EXIT_REASON_ENTRY_FAILURE BIT(31)

enum vmx_exit_reason {
	EXIT_EXCEPTION_NMI = 0,
	EXIT_EXTERNAL_INTERRUPT = 1,
	EXIT_TRIPLE_FAULT = 2,
	EXIT_INIT_SIGNAL = 3,
	EXIT_SIPI = 4,
	EXIT_IO_SMI = 5,
	EXIT_OTHER_SMI = 6,
	EXIT_NMI_WINDOW = 8,
	EXIT_CPUID = 10,
	EXIT_GETSEC = 11,
	EXIT_HLT = 12,
	EXIT_INVD = 13,
	EXIT_VMCALL = 18,
	EXIT_VMCLEAR = 19,
	EXIT_VMLAUNCH = 20,
	EXIT_VMPTRLD = 21,
	EXIT_VMPTRST = 22,
	EXIT_VMREAD = 23,
	EXIT_VMRESUME = 24,
	EXIT_VMWRITE = 25,
	EXIT_VMXOFF = 26,
	EXIT_VMXON = 27,
	EXIT_CR_ACCESS = 28,
	EXIT_IO_INSTRUCTION = 30,
	EXIT_RDMSR = 31,
	EXIT_WRMSR = 32,
	EXIT_INVALID_GUEST_STATE = 33,
	EXIT_MSR_LOADING = 34,
	EXIT_MACHINE_CHECK = 41,
	EXIT_EPT_VIOLATION = 48,
	EXIT_EPT_MISCONFIG = 49,
	EXIT_INVEPT = 50,
	EXIT_INVVPID = 53,
	EXIT_PREEMPTION_TIMER = 52,
	EXIT_XSETBV = 55,
	EXIT_VMFUNC = 59,
	EXIT_PML_FULL = 62,
	EXIT_REASON_MAX = 80,
};

/* Exit qualification of an EPT violation */
#define EPT_QUAL_READ BIT_ULL(0)
#define EPT_QUAL_WRITE BIT_ULL(1)
#define EPT_QUAL_FETCH BIT_ULL(2)
#define EPT_QUAL_PERM_MASK GENMASK_ULL(5, 3)	/* R/W/X of the entry that was there */
#define EPT_QUAL_GLA_VALID BIT_ULL(7)
#define EPT_QUAL_GLA_TRANSLATED BIT_ULL(8)	/* 0: during the guest's page walk */

/* Exit qualification of a control-register access */
#define CR_QUAL_CR_MASK 0xfULL
#define CR_QUAL_TYPE_SHIFT 4
#define CR_QUAL_TYPE_MASK 3ULL
#define CR_QUAL_MOV_TO_CR 0
#define CR_QUAL_MOV_FROM_CR 1
#define CR_QUAL_CLTS 2
#define CR_QUAL_LMSW 3
#define CR_QUAL_GPR_SHIFT 8
#define CR_QUAL_GPR_MASK 0xfULL
#define CR_QUAL_LMSW_SRC_SHIFT 16

/* Exit qualification of an I/O instruction */
#define IO_QUAL_SIZE_MASK GENMASK_ULL(2, 0)	/* size minus one */
#define IO_QUAL_IN BIT_ULL(3)
#define IO_QUAL_STRING BIT_ULL(4)
#define IO_QUAL_REP BIT_ULL(5)
#define IO_QUAL_PORT_SHIFT 16

/* Interruption information (VM-exit, IDT-vectoring and VM-entry fields) */
/* The guest interruptibility state's blocking bits. */
#define INTR_BLOCK_STI BIT(0)
#define INTR_BLOCK_MOV_SS BIT(1)

#define INTR_INFO_VECTOR_MASK 0xffu
#define INTR_INFO_TYPE_SHIFT 8
#define INTR_INFO_TYPE_MASK (7u << INTR_INFO_TYPE_SHIFT)
#define INTR_INFO_ERROR_VALID BIT(11)
#define INTR_INFO_VALID BIT(31)
#define INTR_TYPE_EXT_INTR (0u << INTR_INFO_TYPE_SHIFT)
#define INTR_TYPE_NMI (2u << INTR_INFO_TYPE_SHIFT)
#define INTR_TYPE_HW_EXCEPTION (3u << INTR_INFO_TYPE_SHIFT)
#define INTR_TYPE_SW_INTR (4u << INTR_INFO_TYPE_SHIFT)
#define INTR_TYPE_PRIV_SW_EXCEPTION (5u << INTR_INFO_TYPE_SHIFT)
#define INTR_TYPE_SW_EXCEPTION (6u << INTR_INFO_TYPE_SHIFT)

/* Guest segment access rights, VMX format */
#define VMX_AR_TYPE_MASK 0xfu
#define VMX_AR_S BIT(4)
#define VMX_AR_DPL_SHIFT 5
#define VMX_AR_P BIT(7)
#define VMX_AR_L BIT(13)
#define VMX_AR_DB BIT(14)
#define VMX_AR_G BIT(15)
#define VMX_AR_UNUSABLE BIT(16)

#define GUEST_ACTIVITY_ACTIVE 0

/* What vmx_enter() returns */
enum vmx_enter_status {
	VMX_ENTER_EXITED = 0,		/* the guest ran and a VM exit came back */
	VMX_ENTER_FAIL_VALID = 1,	/* VMfailValid: VM_INSTRUCTION_ERROR says why */
	VMX_ENTER_FAIL_INVALID = 2,	/* VMfailInvalid: no current VMCS */
};

/*
 * vmx/vmenter.asm: loads the guest's registers from gprs (RSP excepted: it
 * is in the VMCS), writes HOST_RSP, runs VMLAUNCH (launched == 0) or
 * VMRESUME, and after the VM exit stores the registers back.  The host's
 * RFLAGS (interrupt flag included) is restored before it returns.
 */
int vmx_enter(u64 *gprs, u64 launched);
/* The instruction VM exits land on (HOST_RIP). */
extern char vmx_vmexit[];
/* Runs the host's NMI handler (vector 2), for an NMI that caused a VM exit. */
void vmx_host_nmi(void);
/* Stores the host's ES, CS, SS, DS, FS and GS selectors, in that order. */
void vmx_host_selectors(u16 sel[6]);

#endif
