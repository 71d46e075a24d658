/* SPDX-License-Identifier: MIT */
/*
 * Memory telemetry of the platform VM (tdp_telemetry=INTERVAL;
 * docs/telemetry.md): every interval, the pages the guest dirtied and
 * accessed, its TDP faults and zaps per CPU and the leaves by page size,
 * as one log line and one record of a ring the guest reads with
 * HC_TELEMETRY_READ.  Driven by the hypervisor tick (include/vm/tick.h).
 */
#ifndef TDPVISOR_VM_TELEMETRY_H
#define TDPVISOR_VM_TELEMETRY_H

#include "types.h"

struct vm;
struct vcpu;

/*
 * Before the platform VM is prepared: telemetry every ms milliseconds
 * (0: off) over the guest's RAM, [0, ram_top).  Asks the tick for a
 * period of an eighth of the interval, so a harvest is at most that late.
 */
void telemetry_request(u32 ms, u64 ram_top);
/* Where the platform's RAM slots must end so that only RAM is logged
 * (0: telemetry is off, no split). */
u64 telemetry_split_gpa(void);
/*
 * After the platform VM's slots exist: picks the slots to log (the
 * identity slots below the RAM top), the dirty mode (virt_dirty_mode();
 * PML only with one vCPU: a harvest drains only its own CPU's log) and
 * allocates the bitmaps.  0, or <0 (telemetry is then off, and logged so).
 */
int telemetry_setup(struct vm *vm, bool smp);
/* On each platform vCPU's CPU after vcpu_create(): the first one maps the
 * logged slots whole and turns dirty logging on with an eager split, so
 * they map 4 KiB pages from then without a fault per page. */
void telemetry_vcpu_start(struct vcpu *v);
/* The tick's consumer, on v's CPU between exits: the CPU that finds the
 * interval over harvests it (one CPU per interval). */
void telemetry_tick(struct vcpu *v);
/* HC_TELEMETRY_READ (include/vm/hypercall.h). */
s64 telemetry_hc_read(struct vcpu *v, gpa_t gpa, u64 len, u64 first_seq);

#endif
