/* SPDX-License-Identifier: MIT */
/* Booting the next stage from hv.efi's volume (boot/chainload.c). */
#ifndef TDPVISOR_BOOT_CHAINLOAD_H
#define TDPVISOR_BOOT_CHAINLOAD_H

#include "types.h"

#define CHAINLOAD_MAX_PATH 128
#define CHAINLOAD_MAX_ARGS 256

/*
 * Loads the image at path (e.g. \EFI\linux.efi) from the volume hv.efi was
 * loaded from and starts it with args as its load options.  Returns the
 * firmware's status: the image's exit status, or why it could not start.
 * An error is also said on the firmware's console, with the status.
 * Uses no global state (it also runs as the platform VM's guest).
 */
u64 efi_chainload(void *parent, void *systab, const char *path, const char *args);

/* What the running copy of hv.efi asks the loader to boot next. */
struct next_stage {
	char path[CHAINLOAD_MAX_PATH];
	char args[CHAINLOAD_MAX_ARGS];
};

#endif
