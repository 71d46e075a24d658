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

#endif
