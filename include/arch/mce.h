/* SPDX-License-Identifier: MIT */
/*
 * Machine checks (Intel SDM Vol. 3B ch. 16 "Machine-Check Architecture";
 * AMD APM Vol. 2 ch. 9).  The machine is the OS's: a machine check is
 * logged by the hypervisor and reflected to the guest of the CPU it hit,
 * with the error banks left as the hardware wrote them for the OS's own
 * handler.  docs/platform.md says what happens when.
 */
#ifndef TDPVISOR_ARCH_MCE_H
#define TDPVISOR_ARCH_MCE_H

#include "types.h"
#include "arch/msr.h"

#define MSR_IA32_MCG_STATUS	0x17a
#define MSR_IA32_MC0_STATUS	0x401	/* bank i: 0x401 + 4 * i */
#define MSR_IA32_MC0_ADDR	0x402
#define MSR_IA32_MC0_MISC	0x403

#define MCG_CAP_COUNT_MASK	0xffull
#define MCG_STATUS_RIPV		BIT_ULL(0)	/* the interrupted context may restart */
#define MCG_STATUS_EIPV		BIT_ULL(1)	/* the saved RIP is where it happened */
#define MCG_STATUS_MCIP		BIT_ULL(2)	/* a machine check is in progress */
#define MCI_STATUS_VAL		BIT_ULL(63)
#define MCI_STATUS_OVER		BIT_ULL(62)
#define MCI_STATUS_UC		BIT_ULL(61)
#define MCI_STATUS_EN		BIT_ULL(60)
#define MCI_STATUS_MISCV	BIT_ULL(59)
#define MCI_STATUS_ADDRV	BIT_ULL(58)
#define MCI_STATUS_PCC		BIT_ULL(57)

#define CPUID1_EDX_MCE		BIT(7)
#define CPUID1_EDX_MCA		BIT(14)

#define MCE_MAX_BANKS		32

/* What the banks held when a machine check was seen. */
struct mce_record {
	u64 mcg_status;
	u32 nbanks;		/* banks the CPU has (at most MCE_MAX_BANKS read) */
	u32 nvalid;		/* how many of them had VAL set: bank[0..nvalid) */
	struct {
		u32 bank;
		u64 status, addr, misc;
	} valid[MCE_MAX_BANKS];
};

/* True when this CPU has the machine-check architecture (MCE and MCA). */
bool mce_supported(void);
/* Reads MCG_STATUS and every bank with VAL set; clears nothing. */
void mce_read(struct mce_record *r);
/* Logs r (KERN_EMERG lines: "cpuN: machine check ... WHERE"). */
void mce_log(const struct mce_record *r, unsigned int cpu, const char *where);

/*
 * The host's #MC handler (arch/traps.c): a machine check that hit the
 * hypervisor itself.  When the CPU says the interrupted code may restart
 * (MCG_STATUS.RIPV), it is recorded on this CPU, without printing (the
 * console lock may be held by what it interrupted), for the guest of this
 * CPU to be given at its next entry; returns true.  False: it cannot
 * continue (the caller panics).
 */
bool mce_host_trap(void);
/* The machine checks mce_host_trap() recorded on this CPU since the last
 * call (0: none); *r gets the newest one's record. */
u32 mce_take_pending(struct mce_record *r);

#endif
