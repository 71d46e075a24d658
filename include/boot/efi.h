/* SPDX-License-Identifier: MIT */
/*
 * The few firmware services the hypervisor uses while boot services are up
 * (boot/efi.c).  Only boot/ includes the GNU-EFI headers.
 */
#ifndef TDPVISOR_BOOT_EFI_H
#define TDPVISOR_BOOT_EFI_H

#include "types.h"

struct efi_image_info {
	uintptr_t base;
	u64 size;
	char path[128];		/* the image's file path, e.g. \EFI\BOOT\BOOTX64.EFI */
};

void efi_init(void *image_handle, void *system_table);
void efi_stall_us(u64 us);
/* The first instance of the protocol named by guid (an EFI_GUID), or NULL. */
void *efi_locate_protocol(const void *guid);
/* A plain event (for the MP services' non-blocking calls); NULL on failure. */
void *efi_create_event(void);
void efi_wait_event(void *ev);
void efi_close_event(void *ev);
/* Fills *info from the loaded-image protocol.  Returns 0 or -ENOENT. */
int efi_image_info(struct efi_image_info *info);
/* The raw load options of the image (may be NULL/0). */
void efi_load_options(const void **data, u32 *size);
/*
 * Reads up to bufsz - 1 bytes of the file name (in the image's directory, on
 * the image's volume) into buf and terminates it.  Returns the length or a
 * negative error (-ENOENT when there is no such file; -E2BIG when it is
 * longer: buf then holds its first bufsz - 1 bytes).
 */
long efi_read_file_beside_image(const char *name, char *buf, size_t bufsz);
/*
 * Reserves bytes (a multiple of 2 MiB) of memory aligned to 2 MiB as
 * EfiReservedMemoryType, which no OS reuses after ExitBootServices.
 * Returns the address or 0.
 */
uintptr_t efi_reserve_memory(u64 bytes);
void efi_release_memory(uintptr_t addr, u64 bytes);
/*
 * The end of the highest RAM range in the firmware's memory map (usable,
 * firmware and ACPI memory; not reserved ranges, which may be MMIO).  0
 * when the map cannot be read.
 */
u64 efi_ram_top(void);
/*
 * Switches the machine off through the firmware (ResetSystem).  Returns
 * only when it could not: -EPERM after ExitBootServices (the OS owns the
 * runtime services then), -EIO when the firmware returned.
 */
int efi_poweroff(void);
/*
 * Asks the firmware to signal ExitBootServices: one page of
 * EfiRuntimeServicesCode gets a notification that only sets a flag in a
 * page of EfiRuntimeServicesData (both outside the hypervisor's memory, as
 * the firmware runs it as the platform VM's guest, and kept by the OS).
 * For a hypervisor that stays resident; one that returns to the firmware
 * undoes it with efi_unwatch_exit_boot_services().  Returns 0, -ENOMEM or
 * -EIO (no event: the caller must treat boot services as gone).
 */
int efi_watch_exit_boot_services(void);
void efi_unwatch_exit_boot_services(void);
/*
 * True once the OS has called ExitBootServices (or efi_boot_services_end()
 * said so): nothing may call the firmware from then on.
 */
bool efi_boot_services_gone(void);
/* From now on the firmware is not to be called (no watch could be set). */
void efi_boot_services_end(void);
/* Every byte of [addr, addr + bytes) is RAM in the firmware's memory map
 * (any RAM type: free or in use), so reading it has no side effect. */
bool efi_range_is_ram(u64 addr, u64 bytes);
/* Reserves [addr, addr + bytes) (page-aligned) as EfiReservedMemoryType.
 * 0, or -EBUSY (not free memory) / -EINVAL. */
int efi_reserve_at(u64 addr, u64 bytes);
/* Reserves bytes (page multiple) ending below `below`, as
 * EfiReservedMemoryType: its address, or 0. */
uintptr_t efi_reserve_below(u64 bytes, u64 below);
/* Registers the UEFI text console as a printk console. */
void efi_console_register(void);
/*
 * The firmware is about to run as the platform VM's guest: the text console
 * closes (printk says so before its next line).  Its OutputString called
 * from the hypervisor would run the guest's code in the host, re-entering
 * it wherever the exit interrupted it, and EDK2's RestoreTPL turns
 * interrupts on: the host would take the guest's interrupts.
 */
void efi_console_hand_over(void);

#endif
