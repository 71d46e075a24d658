/* SPDX-License-Identifier: MIT */
/*
 * The hypercall ABI, shared by the hypervisor and guest code.
 *
 * VMCALL (Intel) / VMMCALL (AMD).  RAX holds the call number, RBX, RCX,
 * RDX and RSI the arguments; RAX returns 0 (or a count) or a negative error
 * code from include/errcode.h.  Only CPL 0 may call: from any other
 * privilege level the instruction raises #UD.  Guest buffers are named by
 * guest-physical address and length; the hypervisor checks every byte
 * against the guest's memory slots before it writes anything.
 *
 * The numbers have a space of their own, HC_BASE ("tdp" in ASCII) + 0 to
 * 0xfff, so that a guest which believes it runs on another hypervisor
 * (KVM's calls are 1, 5, 9, ...) reaches none of them: any number outside
 * it returns -ENOSYS and touches nothing.  Outside long mode the number is
 * EAX (the upper half of RAX is not the caller's).
 */
#ifndef TDPVISOR_VM_HYPERCALL_H
#define TDPVISOR_VM_HYPERCALL_H

#define HC_BASE 0x74647000	/* 't' 'd' 'p' */
#define HC_SPAN 0x1000		/* HC_BASE .. HC_BASE + HC_SPAN - 1 */

#define HC_VERSION (HC_BASE + 0x0)	/* -> (major << 16) | minor */
#define HC_LOG_READ (HC_BASE + 0x1)	/* RBX gpa, RCX len, RDX offset -> bytes copied */
#define HC_STATS (HC_BASE + 0x2)	/* RBX gpa of struct hc_stats -> 0 */
#define HC_HV_MEMORY (HC_BASE + 0x3)	/* RBX gpa of struct hc_hv_memory -> 0 (platform VM) */
#define HC_GPA_MAPPING (HC_BASE + 0x4)	/* RBX gpa to look up, RCX gpa of struct hc_gpa_mapping -> 0 */
/* RBX gpa, RCX len, RDX first seq -> records copied (platform VM) */
#define HC_TELEMETRY_READ (HC_BASE + 0x5)
/* RBX a physical address -> the HC_MT_* type the CPU's own MTRRs give its
 * page now, -EINVAL beyond MAXPHYADDR (platform VM) */
#define HC_HOST_MEMTYPE (HC_BASE + 0x6)

/* Test VMs only: how guest code reports to its host-side test. */
#define HC_TEST_SYNC (HC_BASE + 0x100)	/* RBX value */
#define HC_TEST_DONE (HC_BASE + 0x101)
#define HC_TEST_ASSERT (HC_BASE + 0x102)	/* RBX gpa of "file", RCX line, RDX gpa of "cond", RSI value */

/* 2.0: the numbers moved to HC_BASE.  2.1: HC_HOST_MEMTYPE. */
#define HC_ABI_VERSION ((2 << 16) | 1)
#define HC_MAX_BUFFER (1ULL << 20)	/* the largest buffer a call will touch */

#ifndef __ASSEMBLER__
#include "types.h"

/* Where the hypervisor's own memory is: ranges the guest cannot reach. */
struct hc_hv_memory {
	u64 count;
	struct {
		u64 base, size;
	} range[4];
};

/*
 * HC_GPA_MAPPING: what the calling vCPU's TDP root (EPT/NPT) maps a
 * guest-physical address to right now.  A lookup only: nothing is faulted
 * in, so an address the guest has not touched reads as absent.  -EINVAL for
 * an address beyond the root's reach; -EFAULT (nothing written) when the
 * output struct is not wholly writable guest memory.
 */
struct hc_gpa_mapping {
	u64 gpa;	/* the address asked about */
	u64 present;	/* 1: a leaf maps it; 0: the other fields but level are 0 */
	u64 level;	/* HC_LEVEL_*: the leaf's size, or the empty entry's */
	u64 perms;	/* HC_PERM_*: what the leaf allows the guest */
	u64 memtype;	/* HC_MT_*: the leaf's memory type (IA32_PAT/MTRR numbering) */
	u64 hpa;	/* the host-physical address gpa maps to */
};

#define HC_LEVEL_4K 1
#define HC_LEVEL_2M 2
#define HC_LEVEL_1G 3
#define HC_PERM_R (1ULL << 0)
#define HC_PERM_W (1ULL << 1)
#define HC_PERM_X (1ULL << 2)
/*
 * The leaf's memory type.  EPT holds it in bits 5:3; an NPT leaf holds PAT
 * index bits (PWT, PCD) that select WB (neither), WT (PWT), UC (both) or
 * UC-minus (PCD alone, reported as WC); the MTRRs apply on top of an NPT
 * leaf's type in hardware, not in the leaf.
 */
#define HC_MT_UC 0
#define HC_MT_WC 1
#define HC_MT_WT 4
#define HC_MT_WP 5
#define HC_MT_WB 6
#define HC_MT_UNKNOWN 0xff	/* an encoding the format does not define */

/*
 * HC_TELEMETRY_READ (platform VM, with tdp_telemetry=; docs/telemetry.md):
 * copies the kept interval records whose seq is RDX or later, oldest
 * first, into the buffer at guest-physical RBX of RCX bytes, as many as
 * fit.  Returns the number copied (0: none that new yet).  The whole
 * buffer is checked before anything is written, and a failed check writes
 * nothing: -EINVAL when RCX is not a non-zero multiple of the record size
 * or RBX is not 8-byte aligned; -E2BIG when RCX exceeds HC_MAX_BUFFER;
 * -EFAULT when a byte of it is not the guest's writable RAM; -ENODEV when
 * telemetry is off.  A record older than the oldest kept is gone: the
 * first seq returned then is larger than RDX.
 */
#define HC_TELEMETRY_CPUS 8		/* CPUs with a column of their own */
struct hc_telemetry_cpu {
	u64 exits;	/* VM exits of this CPU's vCPU in the interval */
	u64 tdp_faults;	/* TDP faults it fixed */
	u64 zaps;	/* ranges it zapped */
};
struct hc_telemetry_record {
	u64 seq;		/* 1, 2, ... one per interval */
	u64 end_ns;		/* the harvest's time, ns since the hypervisor started */
	u64 interval_ns;	/* since the previous harvest */
	u64 dirty_pages;	/* distinct 4 KiB pages written in the interval */
	u64 young_pages;	/* distinct 4 KiB pages accessed in the interval */
	u64 tdp_faults;		/* all CPUs' TDP faults in the interval */
	u64 zaps;		/* all CPUs' zapped ranges in the interval */
	u64 leaves[4];		/* [HC_LEVEL_*]: leaves mapped at the harvest; [0] 0 */
	u64 dirty_mode;		/* HC_DIRTY_*: how dirty_pages were found */
	u64 ncpus;		/* vCPUs; the first HC_TELEMETRY_CPUS are in cpu[] */
	struct hc_telemetry_cpu cpu[HC_TELEMETRY_CPUS];
};
#define HC_DIRTY_WP 0
#define HC_DIRTY_DBIT 1
#define HC_DIRTY_PML 2

struct hc_stats {
	u64 exits;
	u64 tdp_faults;
	u64 mmio_exits;
	u64 hypercalls;
};
#endif

#endif
