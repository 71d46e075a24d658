// SPDX-License-Identifier: MIT
/*
 * The machine's CPUs through the firmware's MP services protocol.  Each
 * enabled AP runs ap_probe() once, on its own, through StartupThisAP in
 * blocking mode with a time limit: the probe executes CPUID and reads
 * control registers, descriptor-table registers and two MSRs every x86-64
 * CPU has (EFER, GS.base) -- nothing that could fault on the firmware's
 * IDT, no console: boot services belong to the boot CPU -- and writes its
 * answers into its own struct mp_cpu.  The boot CPU then logs what it
 * found.
 */
#include <efi.h>
#include "boot/mp.h"
#include "boot/efi.h"
#include "arch/cpu.h"
#include "arch/cpuid.h"
#include "arch/msr.h"
#include "arch/x86.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"

#define AP_TIMEOUT_US 100000	/* a CPUID probe takes microseconds */

#define MP_STATUS_BSP BIT(0)
#define MP_STATUS_ENABLED BIT(1)
#define MP_STATUS_HEALTHY BIT(2)

typedef void (EFIAPI *efi_ap_procedure)(void *arg);

/* EFI_PROCESSOR_INFORMATION (PI 1.7, with room for ExtendedInformation). */
struct efi_processor_info {
	u64 processor_id;
	u32 status_flag;
	u32 package, core, thread;
	u32 ext[6];
};

/* EFI_MP_SERVICES_PROTOCOL: the members hv.efi calls, in their order. */
struct efi_mp_services {
	EFI_STATUS (EFIAPI *get_number_of_processors)(struct efi_mp_services *self,
						      UINTN *n, UINTN *nenabled);
	EFI_STATUS (EFIAPI *get_processor_info)(struct efi_mp_services *self, UINTN cpu,
						struct efi_processor_info *info);
	EFI_STATUS (EFIAPI *startup_all_aps)(struct efi_mp_services *self,
					     efi_ap_procedure proc, BOOLEAN single_thread,
					     EFI_EVENT wait, UINTN timeout_us, void *arg,
					     UINTN **failed);
	EFI_STATUS (EFIAPI *startup_this_ap)(struct efi_mp_services *self,
					     efi_ap_procedure proc, UINTN cpu, EFI_EVENT wait,
					     UINTN timeout_us, void *arg, BOOLEAN *finished);
	void *switch_bsp;
	void *enable_disable_ap;
	EFI_STATUS (EFIAPI *who_am_i)(struct efi_mp_services *self, UINTN *cpu);
};

static EFI_GUID mp_services_guid = { 0x3fdda605, 0xa76e, 0x4f46,
				     { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } };

/* What a CPU says of itself; runs on that CPU. */
static void cpu_answer(struct mp_cpu *c)
{
	struct cpuid_regs r = cpuid(1);

	c->own_apic_id = r.ebx >> 24;
	c->vmx = cpu_has_vmx();
	c->svm = cpu_has_svm();
	c->hypervisor = r.ecx & CPUID1_ECX_HYPERVISOR;
	c->cr0 = read_cr0();
	c->cr4 = read_cr4();
	c->efer = rdmsr(MSR_EFER);
	c->gs_base = rdmsr(MSR_GS_BASE);
	sgdt((struct desc_ptr *)&c->gdtr);
	sidt((struct desc_ptr *)&c->idtr);
	c->tr = str();
	__atomic_store_n(&c->answered, true, __ATOMIC_RELEASE);
}

static void EFIAPI ap_probe(void *arg)
{
	cpu_answer(arg);
}

/* Runs ap_probe() on AP number i and waits for it, within the time limit;
 * an error other than the time running out means it never started. */
static void start_probe(struct efi_mp_services *mps, UINTN i, struct mp_cpu *c)
{
	EFI_STATUS st = mps->startup_this_ap(mps, ap_probe, i, NULL, AP_TIMEOUT_US, c, NULL);

	c->refused = EFI_ERROR(st) && st != EFI_TIMEOUT;
}

/* The boot CPU alone, when the firmware does not tell more. */
static void only_the_boot_cpu(struct mp_info *mp)
{
	mp->ncpus = mp->nenabled = 1;
	mp->cpu[0].bsp = mp->cpu[0].enabled = mp->cpu[0].healthy = true;
	cpu_answer(&mp->cpu[0]);
	mp->cpu[0].apic_id = mp->cpu[0].own_apic_id;
}

int mp_enumerate(struct mp_info *mp)
{
	struct efi_mp_services *mps = efi_locate_protocol(&mp_services_guid);
	struct efi_processor_info info;
	UINTN n = 0, nenabled = 0, i;

	memset(mp, 0, sizeof(*mp));
	if (!mps || EFI_ERROR(mps->get_number_of_processors(mps, &n, &nenabled)) || !n) {
		only_the_boot_cpu(mp);
		return -ENOENT;
	}
	mp->ncpus = (unsigned int)n;
	mp->nenabled = (unsigned int)nenabled;
	for (i = 0; i < n && i < MP_MAX_CPUS; i++) {
		struct mp_cpu *c = &mp->cpu[i];

		memset(&info, 0, sizeof(info));
		if (EFI_ERROR(mps->get_processor_info(mps, i, &info)))
			continue;
		c->apic_id = (u32)info.processor_id;
		c->bsp = info.status_flag & MP_STATUS_BSP;
		c->enabled = info.status_flag & MP_STATUS_ENABLED;
		c->healthy = info.status_flag & MP_STATUS_HEALTHY;
		if (c->bsp)
			cpu_answer(c);
		else if (c->enabled)
			start_probe(mps, i, c);
	}
	return 0;
}

int mp_start_on_ap(unsigned int index, void (*proc)(void *arg), void *arg, void *event,
		   u64 *efi_status)
{
	struct efi_mp_services *mps = efi_locate_protocol(&mp_services_guid);
	EFI_STATUS st;

	if (!mps)
		return -ENOENT;
	st = mps->startup_this_ap(mps, (efi_ap_procedure)proc, index, event, 0, arg, NULL);
	*efi_status = st;
	return EFI_ERROR(st) ? -EIO : 0;
}

int mp_run_on_aps(void (*proc)(void *arg), void *arg, u64 timeout_us, u64 *efi_status)
{
	struct efi_mp_services *mps = efi_locate_protocol(&mp_services_guid);
	EFI_STATUS st;

	*efi_status = 0;
	if (!mps)
		return -ENOENT;
	st = mps->startup_all_aps(mps, (efi_ap_procedure)proc, FALSE, NULL, timeout_us, arg,
				  NULL);
	*efi_status = st;
	if (st == EFI_NOT_STARTED)
		return -ENOENT;		/* no enabled AP */
	return EFI_ERROR(st) ? -EIO : 0;
}

unsigned int mp_verify_unchanged(const struct mp_info *before, struct mp_info *now)
{
	unsigned int i, n, bad = 0;

	mp_enumerate(now);
	n = MIN(before->ncpus, (unsigned int)MP_MAX_CPUS);
	for (i = 0; i < n; i++) {
		const struct mp_cpu *a = &before->cpu[i], *b = &now->cpu[i];

		if (a->bsp || !a->enabled || !a->answered)
			continue;
		if (!b->answered) {
			pr_err("smp: cpu%u no longer answers\n", i);
			bad++;
			continue;
		}
		if (a->cr0 != b->cr0 || a->cr4 != b->cr4 || a->efer != b->efer ||
		    a->gs_base != b->gs_base || a->gdtr.base != b->gdtr.base ||
		    a->gdtr.limit != b->gdtr.limit || a->idtr.base != b->idtr.base ||
		    a->idtr.limit != b->idtr.limit || a->hypervisor != b->hypervisor ||
		    (a->tr && a->tr != b->tr)) {
			pr_err("smp: cpu%u differs: CR0 0x%llx/0x%llx CR4 0x%llx/0x%llx EFER "
			       "0x%llx/0x%llx GS.base 0x%llx/0x%llx GDTR 0x%llx/0x%llx IDTR "
			       "0x%llx/0x%llx hypervisor bit %u/%u (before/after)\n", i,
			       (unsigned long long)a->cr0, (unsigned long long)b->cr0,
			       (unsigned long long)a->cr4, (unsigned long long)b->cr4,
			       (unsigned long long)a->efer, (unsigned long long)b->efer,
			       (unsigned long long)a->gs_base, (unsigned long long)b->gs_base,
			       (unsigned long long)a->gdtr.base, (unsigned long long)b->gdtr.base,
			       (unsigned long long)a->idtr.base, (unsigned long long)b->idtr.base,
			       a->hypervisor, b->hypervisor);
			bad++;
		}
	}
	if (!bad)
		pr_info("smp: every AP is as the firmware left it (CR0, CR4, EFER, GS.base, GDTR, "
			"IDTR, TR where it had one, no hypervisor bit)\n");
	return bad;
}
