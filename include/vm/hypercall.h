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
 */
#ifndef TDPVISOR_VM_HYPERCALL_H
#define TDPVISOR_VM_HYPERCALL_H

#define HC_VERSION 0x0		/* -> (major << 16) | minor */
#define HC_LOG_READ 0x1		/* RBX gpa, RCX len, RDX offset -> bytes copied */
#define HC_STATS 0x2		/* RBX gpa of struct hc_stats -> 0 */
#define HC_HV_MEMORY 0x3	/* RBX gpa of struct hc_hv_memory -> 0 (platform VM) */

/* Test VMs only: how guest code reports to its host-side test. */
#define HC_TEST_SYNC 0x100	/* RBX value */
#define HC_TEST_DONE 0x101
#define HC_TEST_ASSERT 0x102	/* RBX gpa of "file", RCX line, RDX gpa of "cond", RSI value */

#define HC_ABI_VERSION ((1 << 16) | 0)
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

struct hc_stats {
	u64 exits;
	u64 tdp_faults;
	u64 mmio_exits;
	u64 hypercalls;
};
#endif

#endif
