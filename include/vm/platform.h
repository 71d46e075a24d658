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
 * smp: every CPU will be a guest (platform_start_aps()): INIT and SIPI
 * between them are emulated, and NMIs exit.  hide_hv_cpuid (hvbit=off):
 * CPUID shows neither the hypervisor bit nor the 0x40000000 leaves.
 * Returns 0 and fills *out, or a negative error.
 */
int platform_prepare(u64 fw_gdt_base, u16 fw_gdt_limit, u64 fw_idt_base, u16 fw_idt_limit,
		     unsigned int phys_bits, const struct acpi_power_ports *power, bool smp,
		     bool hide_hv_cpuid, struct platform_launch_args *out);

/*
 * What platform_ap_entry reads on an AP (vm/platform_smp.c fills it):
 * prepare sets the CPU up and returns its launch arguments, or NULL when
 * the CPU stays native; enter is the hypervisor's platform_enter.
 */
struct platform_ap_start {
	struct platform_launch_args *(*prepare)(struct platform_ap_start *start);
	void *enter;
};

struct mp_info;
/*
 * Brings every enabled AP under the hypervisor, each as a vCPU of the
 * platform VM pinned to it, before the boot CPU launches.  Every AP
 * enables VMX/SVM and waits for the others; only when all of them could
 * do they become guests -- otherwise each puts back what it changed and
 * the log says which CPU failed and why.  loaded_at: where the firmware's
 * copy of hv.efi is (0: none).  fail_cpu: a CPU that pretends to fail
 * (smp_fault=, for the tests), or 0.  Returns 0 when every AP is a guest.
 */
int platform_start_aps(const struct mp_info *mp, uintptr_t loaded_at, unsigned int fail_cpu);

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
/* The MP services' procedure on each AP (Microsoft ABI), see above. */
void platform_ap_entry(struct platform_ap_start *start);

/*
 * crashtest=panic: the boot CPU panics on purpose at a tick about a second
 * after the firmware became its guest (the panic report then shows that
 * guest).  Asks for the tick; call before platform_prepare().
 */
void platform_crashtest_arm(void);

#endif
