/* SPDX-License-Identifier: MIT */
/*
 * The machine's CPUs, as the firmware's MP services protocol (PI spec vol.
 * 2, EFI_MP_SERVICES_PROTOCOL) reports them, and what each CPU says of
 * itself when asked (boot/mp.c).  Only while boot services are up.
 */
#ifndef TDPVISOR_BOOT_MP_H
#define TDPVISOR_BOOT_MP_H

#include "types.h"

#define MP_MAX_CPUS 64

/* One CPU: the firmware's view, then the CPU's own answers (CPUID only). */
struct mp_cpu {
	u32 apic_id;		/* the firmware's ProcessorId */
	bool bsp, enabled, healthy;
	bool refused;		/* MP services would not start mp's probe on it */
	bool answered;		/* it ran mp's probe within the time limit */
	u32 own_apic_id;	/* CPUID.1:EBX[31:24] as the CPU reads it */
	bool vmx, svm;		/* CPUID.1:ECX.VMX, CPUID.80000001:ECX.SVM */
	bool hypervisor;	/* CPUID.1:ECX.hypervisor */
	/* The state hv.efi changes on a CPU it starts on (and must put back). */
	u64 cr0, cr4, efer, gs_base;
	struct { u64 base; u16 limit; } gdtr, idtr;
	u16 tr;
};

struct mp_info {
	unsigned int ncpus;	/* as reported; at most MP_MAX_CPUS are listed */
	unsigned int nenabled;
	struct mp_cpu cpu[MP_MAX_CPUS];
};

/*
 * Fills *mp from the MP services protocol and asks every enabled AP, one
 * at a time and each within a time limit, for its CPUID answers.  Without
 * the protocol (a firmware with one CPU, or none that publishes it) the
 * boot CPU alone is listed.  Returns 0, or -ENOENT without the protocol.
 */
int mp_enumerate(struct mp_info *mp);

/*
 * Runs proc(arg) on every enabled AP at once (StartupAllAPs, blocking) and
 * returns when all have returned: 0, -ENOENT (no MP services or no enabled
 * AP) or -EIO (*efi_status says why; EFI_TIMEOUT after timeout_us).  proc
 * uses the Microsoft ABI (EFIAPI), and must not call boot services.
 */
int mp_run_on_aps(void (*proc)(void *arg), void *arg, u64 timeout_us, u64 *efi_status);

/*
 * Asks every enabled AP of mp again (mp_enumerate()'s probe) into *now and
 * logs each AP whose CR0, CR4, EFER, GS.base, GDTR, IDTR, TR or hypervisor
 * bit differs from *before.  Returns the number of such APs.
 */
unsigned int mp_verify_unchanged(const struct mp_info *before, struct mp_info *now);

/*
 * Starts proc(arg) on the firmware's processor number index and returns at
 * once (StartupThisAP, non-blocking): event (efi_create_event()) is
 * signalled when proc has returned.  0 or -EIO (*efi_status says why).
 */
int mp_start_on_ap(unsigned int index, void (*proc)(void *arg), void *arg, void *event,
		   u64 *efi_status);

/* Why CPU c cannot do what the boot CPU b does, or NULL when it can. */
const char *mp_cpu_differs(const struct mp_cpu *c, const struct mp_cpu *b);

/*
 * Logs one line per CPU and a verdict: whether every CPU has the boot
 * CPU's virtualization extension.  Returns the number of CPUs that differ from the boot CPU or did
 * not answer.
 */
unsigned int mp_report(const struct mp_info *mp);

#endif
