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
 * Hides [base, base + size) (page-aligned) from the platform VM's guest
 * besides the pool and the image, as their pages are: each maps the
 * scratch page.  what names it in the log.  Before platform_prepare();
 * at most two.  0, -EINVAL or -ENOSPC.
 */
int platform_hide(u64 base, u64 size, const char *what);

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
 * S3 wake-up (vm/platform_sleep.c, vm/platform_wake.asm): the trampoline
 * the firmware's waking vector and the APs' SIPI enter, copied to the
 * start of a WAKE_AREA_BYTES area below 1 MiB that the guest cannot see.
 * The area: the code (page 0, struct wake_data at WAKE_DATA_OFF), then
 * the pages of a temporary identity map of its first 2 MiB (PML4, PDPT,
 * PD with one 2 MiB page, and a PML5 over them for 5-level paging), which
 * take the CPU from real mode to long mode before it loads the
 * hypervisor's own page tables.
 */
#define WAKE_AREA_BYTES 0x5000
#define WAKE_AREA_BELOW 0xa0000	/* conventional memory: real mode reaches it */
#define WAKE_DATA_OFF 0xc00
#define WAKE_GDT_CODE32 0x08
#define WAKE_GDT_DATA 0x10
#define WAKE_GDT_CODE64 0x18
struct __attribute__((packed)) wake_data {
	u64 gdt[4];		/* null, 32-bit code, data, 64-bit code */
	u16 pad0[3];
	u16 gdtr_limit;		/* LGDT's operand: limit, then 32-bit base */
	u32 gdtr_base;
	u32 far32;		/* offset:selector of the 32-bit code */
	u16 far32_sel;
	u16 pad1;
	u32 far64;		/* offset:selector of the 64-bit code */
	u16 far64_sel;
	u16 pad2;
	u32 tmp_cr3;		/* the temporary PML4 (PML5 with LA57) */
	u32 cr4;		/* CR4 bits before paging: PAE, LA57 */
	u32 efer;		/* EFER bits before paging: LME, NXE */
	u32 pad3;
	u64 host_cr3;		/* the hypervisor's page tables */
	u64 entry;		/* platform_wake_entry in the hypervisor's image */
	u64 cpu_fn;		/* u64 (*)(void): the CPU set up, its own stack */
	u64 run_fn;		/* void (*)(void): never returns */
	u64 lock;		/* bit 0: a CPU is on the shared stack */
	u64 stack_top;		/* the shared stack, until a CPU has its own */
};
/* vm/platform_wake.asm: the trampoline's code, wake_tramp_end - wake_tramp
 * bytes (at most WAKE_DATA_OFF), and the long-mode entry it jumps to,
 * which calls cpu_fn, then run_fn on the stack cpu_fn returned. */
extern const u8 wake_tramp[], wake_tramp_end[], wake_tramp_pm32[], wake_tramp_lm64[];
void platform_wake_entry(void);
/* After the hypervisor's GDT is back: CS, SS, DS/ES as the host had them. */
void wake_load_segments(u16 cs, u16 ss, u16 ds);

/*
 * crashtest=panic: the boot CPU panics on purpose at a tick about a second
 * after the firmware became its guest (the panic report then shows that
 * guest).  Asks for the tick; call before platform_prepare().
 */
void platform_crashtest_arm(void);

#endif
