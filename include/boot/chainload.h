/* SPDX-License-Identifier: MIT */
/* Booting the next stage from hv.efi's volume (boot/chainload.c). */
#ifndef TDPVISOR_BOOT_CHAINLOAD_H
#define TDPVISOR_BOOT_CHAINLOAD_H

#include "types.h"

#define CHAINLOAD_MAX_PATH 256
#define CHAINLOAD_MAX_ARGS 256

/*
 * The forms next= takes:
 *   \EFI\linux.efi            a path on the volume hv.efi was loaded from;
 *   fs1:\EFI\debian\grubx64.efi  a path on volume 1 (the firmware's file
 *                             systems, counted from 0 in the order it lists
 *                             them; an error lists them with their paths);
 *   PciRoot(0x0)/.../\EFI\x.efi a device path in the UEFI text form, as
 *                             the firmware's own tools print them (a path
 *                             that starts with HD(...) is matched against
 *                             the partitions the firmware knows).
 * Returns the form, and for fsN the volume number in *volume.
 */
enum next_form { NEXT_BAD, NEXT_OWN_VOLUME, NEXT_VOLUME, NEXT_DEVICE_PATH };
enum next_form next_path_form(const char *path, unsigned int *volume);

/*
 * Loads the image next= names (path, in one of the forms above) and starts
 * it with args as its load options.  Returns the
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
