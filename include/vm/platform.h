/* SPDX-License-Identifier: MIT */
/* The platform VM: the firmware that loaded hv.efi, as a guest (vm/platform.c). */
#ifndef TDPVISOR_VM_PLATFORM_H
#define TDPVISOR_VM_PLATFORM_H

#include "types.h"

struct platform_capture;
struct acpi_power_ports;

/* What the loader needs to turn the CPU into the platform VM's guest. */
struct platform_launch_args {
	struct platform_capture *cap;
	void (*host)(struct platform_capture *cap);
	u64 host_stack_top;
};

/*
 * Sets up the platform VM (identity slots around the hypervisor's memory,
 * a host stack, the host's own page tables) without touching the CPU.
 * fw_*: the firmware's own descriptor tables, which the guest keeps.
 * Returns 0 and fills *out, or a negative error.
 */
int platform_prepare(u64 fw_gdt_base, u16 fw_gdt_limit, u64 fw_idt_base, u16 fw_idt_limit,
		     unsigned int phys_bits, const struct acpi_power_ports *power,
		     struct platform_launch_args *out);

/*
 * vm/platform_rt.asm: records the caller's state with resume as its RIP,
 * switches to the host stack and calls host(cap), which makes a guest of
 * that state and never returns.  The guest then runs `resume` -- which
 * must be platform_resume in a copy of the code the guest can reach --
 * and returns 0 to the caller.
 */
int platform_enter(struct platform_capture *cap, void (*host)(struct platform_capture *),
		   u64 host_stack_top, u64 resume);
extern const u8 platform_resume[];

#endif
