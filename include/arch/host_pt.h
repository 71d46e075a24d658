/* SPDX-License-Identifier: MIT */
/* The hypervisor's own page tables (arch/host_pt.c). */
#ifndef TDPVISOR_HOST_PT_H
#define TDPVISOR_HOST_PT_H

#include "types.h"

/*
 * Builds an identity map of [0, 2^phys_bits) (at most 256 TiB) in pages
 * from the hypervisor's pool, with 1 GiB pages when the CPU has them, else
 * 2 MiB pages; the page of each memory-mapped UART console is mapped
 * uncached in 4 KiB (arch/serial.c's uart_mmio_pages()).  Returns the value for CR3, or 0 when the pool ran out.  A
 * resident hypervisor switches to these before the firmware's own page
 * tables (boot-services memory) are handed to the OS.
 */
u64 host_pt_build(unsigned int phys_bits);

/*
 * Walks the page tables this CPU runs on (CR3; 4 or 5 levels, as CR4.LA57
 * says) for the linear address va.  Returns true when va is canonical and
 * mapped, and sets *writable when every level allows writes.  The tables
 * are read through the identity map (the firmware's and ours both have
 * one) with memcpy_safe(), so a bad entry cannot fault.
 */
bool host_pt_probe(u64 va, bool *writable);

#endif
