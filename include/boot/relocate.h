/* SPDX-License-Identifier: MIT */
/* Running hv.efi from reserved memory (boot/relocate.c). */
#ifndef TDPVISOR_BOOT_RELOCATE_H
#define TDPVISOR_BOOT_RELOCATE_H

#include "types.h"
#include "boot/chainload.h"
#include "vm/platform.h"

/* The entry the copy runs: loaded_at is where the firmware loaded hv.efi
 * (0 when the copy could not be made and hv.efi runs in place). */
typedef u64 (*relocated_entry_fn)(void *image, void *systab, uintptr_t loaded_at);

/*
 * Copies hv.efi into EfiReservedMemoryType pages, relocates the copy and
 * returns what entry, run in the copy, returns.  The copy's pages are
 * released afterwards unless the copy set hv_stay_resident.  Falls back to
 * running entry in place when memory or the relocation table says no.
 */
u64 relocate_and_run(void *image, void *systab, relocated_entry_fn entry);

/* Set by the running copy when it must outlive hv.efi's return, with what
 * it needs to run the firmware as its guest (vm/platform.h). */
extern bool hv_stay_resident;
extern struct platform_launch_args hv_launch;
/* Set by the running copy: what the loader boots after it (next=). */
extern struct next_stage hv_next;

#endif
