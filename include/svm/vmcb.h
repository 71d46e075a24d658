/* SPDX-License-Identifier: MIT */
/*
 * The AMD VMCB (APM vol. 2, appendix B) as one enum of byte offsets with
 * typed accessors, never a C struct with bitfields.  The control area is
 * the first 0x400 bytes, the state-save area follows.
 */
#ifndef TDPVISOR_SVM_VMCB_H
#define TDPVISOR_SVM_VMCB_H

#include "types.h"

enum vmcb_field {
	/* control area */
	VMCB_INTERCEPT_CR = 0x000,	/* u32: reads 15:0, writes 31:16 */
	VMCB_INTERCEPT_DR = 0x004,	/* u32 */
	VMCB_INTERCEPT_EXC = 0x008,	/* u32: one bit per vector */
	VMCB_INTERCEPT_MISC1 = 0x00c,	/* u32: VMCB_I1_* */
	VMCB_INTERCEPT_MISC2 = 0x010,	/* u32: VMCB_I2_* */
	VMCB_PAUSE_FILTER_THRESH = 0x03c,
	VMCB_PAUSE_FILTER_COUNT = 0x03e,
	VMCB_IOPM_BASE_PA = 0x040,
	VMCB_MSRPM_BASE_PA = 0x048,
	VMCB_TSC_OFFSET = 0x050,
	VMCB_GUEST_ASID = 0x058,	/* u32 */
	VMCB_TLB_CONTROL = 0x05c,	/* u8: VMCB_TLB_* */
	VMCB_INT_CTL = 0x060,
	VMCB_INT_SHADOW = 0x068,
	VMCB_EXITCODE = 0x070,
	VMCB_EXITINFO1 = 0x078,
	VMCB_EXITINFO2 = 0x080,
	VMCB_EXITINTINFO = 0x088,
	VMCB_NP_CTL = 0x090,		/* bit 0: nested paging enable */
	VMCB_EVENTINJ = 0x0a8,
	VMCB_N_CR3 = 0x0b0,
	VMCB_VIRT_EXT = 0x0b8,
	VMCB_CLEAN = 0x0c0,		/* u32 */
	VMCB_NRIP = 0x0c8,
	VMCB_INSN_LEN = 0x0d0,		/* u8, then up to 15 bytes */
	VMCB_INSN_BYTES = 0x0d1,

	/* state-save area; segments are {u16 sel, u16 attr, u32 limit, u64 base} */
	VMCB_ES = 0x400,
	VMCB_CS = 0x410,
	VMCB_SS = 0x420,
	VMCB_DS = 0x430,
	VMCB_FS = 0x440,
	VMCB_GS = 0x450,
	VMCB_GDTR = 0x460,
	VMCB_LDTR = 0x470,
	VMCB_IDTR = 0x480,
	VMCB_TR = 0x490,
	VMCB_CPL = 0x4cb,		/* u8 */
	VMCB_EFER = 0x4d0,
	VMCB_CR4 = 0x548,
	VMCB_CR3 = 0x550,
	VMCB_CR0 = 0x558,
	VMCB_DR7 = 0x560,
	VMCB_DR6 = 0x568,
	VMCB_RFLAGS = 0x570,
	VMCB_RIP = 0x578,
	VMCB_RSP = 0x5d8,
	VMCB_RAX = 0x5f8,
	VMCB_STAR = 0x600,
	VMCB_LSTAR = 0x608,
	VMCB_CSTAR = 0x610,
	VMCB_SFMASK = 0x618,
	VMCB_KERNEL_GS_BASE = 0x620,
	VMCB_SYSENTER_CS = 0x628,
	VMCB_SYSENTER_ESP = 0x630,
	VMCB_SYSENTER_EIP = 0x638,
	VMCB_CR2 = 0x640,
	VMCB_G_PAT = 0x668,
	VMCB_DBGCTL = 0x670,
};

/* Offsets inside a segment field. */
#define VMCB_SEG_SEL 0
#define VMCB_SEG_ATTR 2
#define VMCB_SEG_LIMIT 4
#define VMCB_SEG_BASE 8

/* VMCB_INTERCEPT_MISC1 */
#define VMCB_I1_INTR BIT(0)
#define VMCB_I1_NMI BIT(1)
#define VMCB_I1_SMI BIT(2)
#define VMCB_I1_INIT BIT(3)
#define VMCB_I1_CPUID BIT(18)
#define VMCB_I1_INVD BIT(22)
#define VMCB_I1_HLT BIT(24)
#define VMCB_I1_INVLPGA BIT(26)
#define VMCB_I1_IOIO_PROT BIT(27)
#define VMCB_I1_MSR_PROT BIT(28)
#define VMCB_I1_SHUTDOWN BIT(31)
/* VMCB_INTERCEPT_MISC2 */
#define VMCB_I2_VMRUN BIT(0)
#define VMCB_I2_VMMCALL BIT(1)
#define VMCB_I2_VMLOAD BIT(2)
#define VMCB_I2_VMSAVE BIT(3)
#define VMCB_I2_STGI BIT(4)
#define VMCB_I2_CLGI BIT(5)
#define VMCB_I2_SKINIT BIT(6)
#define VMCB_I2_WBINVD BIT(9)
#define VMCB_I2_XSETBV BIT(13)

/* VMCB_INT_CTL */
#define V_INTR_MASKING BIT_ULL(24)	/* the host's RFLAGS.IF gates physical interrupts */

/* VMCB_TLB_CONTROL */
#define VMCB_TLB_NONE 0
#define VMCB_TLB_FLUSH_ALL 1
#define VMCB_TLB_FLUSH_ASID 3

/* VMCB_EVENTINJ / EXITINTINFO */
#define VMCB_EVT_VECTOR_MASK 0xffULL
#define VMCB_EVT_TYPE_MASK (7ULL << 8)
#define VMCB_EVT_TYPE_INTR (0ULL << 8)
#define VMCB_EVT_TYPE_NMI (2ULL << 8)
#define VMCB_EVT_TYPE_EXCEPTION (3ULL << 8)
#define VMCB_EVT_TYPE_SOFT_INT (4ULL << 8)
#define VMCB_EVT_ERROR_VALID BIT_ULL(11)
#define VMCB_EVT_VALID BIT_ULL(31)
#define VMCB_EVT_ERROR_SHIFT 32

/* Exit codes */
#define SVM_EXIT_EXCP_BASE 0x040
#define SVM_EXIT_INTR 0x060
#define SVM_EXIT_NMI 0x061
#define SVM_EXIT_SMI 0x062
#define SVM_EXIT_INIT 0x063
#define SVM_EXIT_CPUID 0x072
#define SVM_EXIT_INVD 0x076
#define SVM_EXIT_HLT 0x078
#define SVM_EXIT_INVLPGA 0x07a
#define SVM_EXIT_IOIO 0x07b
#define SVM_EXIT_MSR 0x07c
#define SVM_EXIT_SHUTDOWN 0x07f
#define SVM_EXIT_VMRUN 0x080
#define SVM_EXIT_VMMCALL 0x081
#define SVM_EXIT_VMLOAD 0x082
#define SVM_EXIT_VMSAVE 0x083
#define SVM_EXIT_STGI 0x084
#define SVM_EXIT_CLGI 0x085
#define SVM_EXIT_SKINIT 0x086
#define SVM_EXIT_WBINVD 0x089
#define SVM_EXIT_XSETBV 0x08d
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID 0xffffffffULL	/* compare the low 32 bits */

/* IOIO EXITINFO1: what the IN/OUT/INS/OUTS was (EXITINFO2 is the next RIP). */
#define IOIO_TYPE_IN BIT_ULL(0)
#define IOIO_STR BIT_ULL(2)
#define IOIO_REP BIT_ULL(3)
#define IOIO_SZ8 BIT_ULL(4)
#define IOIO_SZ16 BIT_ULL(5)
#define IOIO_SZ32 BIT_ULL(6)
#define IOIO_PORT_SHIFT 16

/* NPF EXITINFO1: a page-fault error code plus where the walk stopped. */
#define NPF_P BIT_ULL(0)
#define NPF_W BIT_ULL(1)
#define NPF_U BIT_ULL(2)
#define NPF_RSVD BIT_ULL(3)
#define NPF_ID BIT_ULL(4)
#define NPF_FINAL BIT_ULL(32)
#define NPF_TABLE_WALK BIT_ULL(33)

/* Segment attributes in the VMCB's compressed form. */
#define VMCB_ATTR_TYPE_SHIFT 0
#define VMCB_ATTR_S BIT(4)
#define VMCB_ATTR_DPL_SHIFT 5
#define VMCB_ATTR_P BIT(7)
#define VMCB_ATTR_L BIT(9)
#define VMCB_ATTR_DB BIT(10)
#define VMCB_ATTR_G BIT(11)

static inline u64 vmcb_read64(const void *vmcb, enum vmcb_field f)
{
	return *(const volatile u64 *)((const u8 *)vmcb + f);
}

static inline void vmcb_write64(void *vmcb, enum vmcb_field f, u64 v)
{
	*(volatile u64 *)((u8 *)vmcb + f) = v;
}

static inline u32 vmcb_read32(const void *vmcb, enum vmcb_field f)
{
	return *(const volatile u32 *)((const u8 *)vmcb + f);
}

static inline void vmcb_write32(void *vmcb, enum vmcb_field f, u32 v)
{
	*(volatile u32 *)((u8 *)vmcb + f) = v;
}

static inline u8 vmcb_read8(const void *vmcb, enum vmcb_field f)
{
	return *(const volatile u8 *)((const u8 *)vmcb + f);
}

static inline void vmcb_write8(void *vmcb, enum vmcb_field f, u8 v)
{
	*(volatile u8 *)((u8 *)vmcb + f) = v;
}

static inline void vmcb_set_seg(void *vmcb, enum vmcb_field seg, u16 sel, u16 attr,
				u32 limit, u64 base)
{
	*(volatile u16 *)((u8 *)vmcb + seg + VMCB_SEG_SEL) = sel;
	*(volatile u16 *)((u8 *)vmcb + seg + VMCB_SEG_ATTR) = attr;
	*(volatile u32 *)((u8 *)vmcb + seg + VMCB_SEG_LIMIT) = limit;
	*(volatile u64 *)((u8 *)vmcb + seg + VMCB_SEG_BASE) = base;
}

#endif
