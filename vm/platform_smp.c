// SPDX-License-Identifier: MIT
/*
 * The platform VM on every CPU: bringing the APs under the hypervisor
 * before the boot CPU launches.
 *
 * The firmware's MP services run platform_ap_entry (in the firmware's copy
 * of hv.efi: the guest resumes there) on every enabled AP at once.  Each AP
 * calls ap_prepare() here, which finds the CPU's id by its APIC ID, points
 * GS.base at its per-CPU data, installs its own GDT/TSS (the IDT is
 * shared), checks that it can run guests and enables VMX or SVM.  Then the
 * APs meet: each says whether it got that far, and waits until every AP has
 * spoken (or AP_MEET_TIMEOUT_MS passed).  Only when all did do they launch,
 * each into its own pinned vCPU of the platform VM; otherwise every AP puts
 * back what it changed -- VMX/SVM off, the firmware's GDT, IDT and GS.base
 * -- and returns to the firmware natively, and the boot CPU reports which
 * CPU failed and why, and does not launch either.
 *
 * An AP must not call boot services or the firmware's console: its log
 * lines go to the ring and the UARTs only (lib/printk.c).
 */
#include "vm/platform.h"
#include "platform_int.h"
#include "arch/cpu.h"
#include "arch/percpu.h"
#include "arch/x86.h"
#include "boot/mp.h"
#include "bug.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vm/virt.h"
#include "vm/vm.h"

#define AP_MEET_TIMEOUT_MS 2000
#define AP_START_TIMEOUT_US 10000000	/* the firmware's limit, past ours */

extern char __image_base[];

enum ap_state {
	AP_IDLE,	/* not started, or never ran ap_prepare() */
	AP_READY,	/* VMX/SVM on, waiting for the others */
	AP_FAILED,	/* could not; why says why */
	AP_LAUNCHING,	/* on its way into its vCPU */
	AP_ROLLED_BACK,	/* put back as it was: another CPU failed */
};

struct ap_slot {
	u32 apic_id;
	unsigned int id;
	struct cpu_desc *desc;
	u32 state;		/* enum ap_state */
	const char *why;
};

static struct platform_ap_start start;
static struct ap_slot slots[NR_CPUS];
static unsigned int nslots;
static u32 arrived, nfailed;
static u32 verdict;		/* 0 while waiting, then VERDICT_* */
static unsigned int fault_cpu;
#define VERDICT_GO 1
#define VERDICT_ABORT 2

static void ap_set_state(struct ap_slot *s, enum ap_state st, const char *why)
{
	s->why = why;
	__atomic_store_n(&s->state, st, __ATOMIC_RELEASE);
}

/*
 * Says whether this AP is ready, then waits for every AP to say so; the
 * last one to arrive -- or the first to see the time run out -- decides.
 * Returns true when all APs are ready.
 */
static bool ap_meet(bool ready)
{
	u64 deadline = rdtsc() + tsc_khz() * AP_MEET_TIMEOUT_MS;
	u32 v;

	if (!ready)
		__atomic_fetch_add(&nfailed, 1, __ATOMIC_ACQ_REL);
	if (__atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL) == nslots)
		__atomic_store_n(&verdict, __atomic_load_n(&nfailed, __ATOMIC_ACQUIRE) ?
				 VERDICT_ABORT : VERDICT_GO, __ATOMIC_RELEASE);
	while (!(v = __atomic_load_n(&verdict, __ATOMIC_ACQUIRE))) {
		if (rdtsc() > deadline) {
			u32 none = 0;

			__atomic_compare_exchange_n(&verdict, &none, VERDICT_ABORT, false,
						    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
			continue;
		}
		cpu_relax();
	}
	return v == VERDICT_GO;
}

/* On an AP, from platform_ap_entry: its launch arguments, or NULL. */
static struct platform_launch_args *ap_prepare(struct platform_ap_start *st)
{
	u32 apic = cpu_read_apic_id();
	struct ap_slot *s = NULL;
	struct cpu_caps caps;
	const char *why = NULL;
	unsigned int i;
	bool enabled = false;

	(void)st;
	for (i = 0; i < nslots; i++)
		if (slots[i].apic_id == apic)
			s = &slots[i];
	if (!s) {
		/* Not a CPU we listed: nothing of ours may run here (no GS yet). */
		ap_meet(false);
		return NULL;
	}
	percpu_install(s->id, apic);
	if (desc_init_cpu(s->desc)) {
		why = "its firmware's descriptor tables do not fit";
		goto meet;
	}
	cpu_caps_read(&caps);
	why = virt_unusable_reason(&caps);
	if (!why && s->id == fault_cpu)
		why = "smp_fault= says it cannot enable virtualization";
	if (!why && virt->enable())
		why = "enabling VMX/SVM failed (see above)";
	enabled = !why;
meet:
	ap_set_state(s, why ? AP_FAILED : AP_READY, why);
	if (why)
		pr_err("cpu%u: cannot run guests: %s\n", s->id, why);
	if (ap_meet(!why)) {
		ap_set_state(s, AP_LAUNCHING, NULL);
		return platform_cpu_ready();
	}
	if (enabled)
		virt->disable();
	desc_restore_firmware();
	percpu_uninstall();
	if (!why)
		ap_set_state(s, AP_ROLLED_BACK, NULL);
	return NULL;
}

/* CPU ids: the firmware's order, with the boot CPU as 0. */
static unsigned int cpu_id_of(unsigned int i, unsigned int bsp)
{
	return i == bsp ? 0 : i == 0 ? bsp : i;
}

int platform_start_aps(const struct mp_info *mp, uintptr_t loaded_at, unsigned int fail_cpu)
{
	unsigned int n = MIN(mp->ncpus, (unsigned int)MIN(MP_MAX_CPUS, NR_CPUS));
	unsigned int i, bsp = 0, bad = 0, guests = 0;
	const struct mp_cpu *b;
	uintptr_t entry;
	u64 efi_status;
	int err;

	for (i = 0; i < n; i++)
		if (mp->cpu[i].bsp)
			bsp = i;
	b = &mp->cpu[bsp];
	nslots = 0;
	for (i = 0; i < n; i++) {
		const struct mp_cpu *c = &mp->cpu[i];
		const char *why = c->bsp ? NULL : mp_cpu_differs(c, b);
		struct ap_slot *s;
		unsigned int id = cpu_id_of(i, bsp);

		if (c->bsp)
			continue;
		if (why) {
			pr_err("smp: cpu%u cannot become a guest: %s\n", id, why);
			bad++;
			continue;
		}
		s = &slots[nslots++];
		memset(s, 0, sizeof(*s));
		s->apic_id = c->apic_id;
		s->id = id;
		s->desc = alloc_pages(order_for_bytes(desc_cpu_bytes()));
		if (!s->desc || platform_prepare_cpu(id)) {
			pr_err("smp: out of memory for cpu%u's host state\n", id);
			bad++;
		}
	}
	if (bad) {
		pr_err("smp: not starting the hypervisor: %u CPU(s) could not join; every CPU stays "
		       "as it was\n", bad);
		return -ENODEV;
	}
	if (!nslots)
		return 0;
	arrived = nfailed = verdict = 0;
	fault_cpu = fail_cpu;
	start.prepare = ap_prepare;
	start.enter = (void *)platform_enter;
	entry = (uintptr_t)platform_ap_entry - (uintptr_t)__image_base +
		(loaded_at ? loaded_at : (uintptr_t)__image_base);
	pr_info("smp: starting %u APs under the hypervisor\n", nslots);
	err = mp_run_on_aps((void (*)(void *))entry, &start, AP_START_TIMEOUT_US, &efi_status);
	for (i = 0; i < nslots; i++) {
		struct ap_slot *s = &slots[i];
		u32 st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

		if (st == AP_LAUNCHING && platform_cpu_is_guest(s->id)) {
			guests++;
			continue;
		}
		if (st == AP_FAILED)
			pr_err("smp: cpu%u (APIC ID %u) cannot run guests: %s\n", s->id, s->apic_id,
			       s->why);
		else if (st == AP_ROLLED_BACK)
			pr_info("smp: cpu%u (APIC ID %u) put back as it was\n", s->id, s->apic_id);
		else if (st == AP_IDLE)
			pr_err("smp: cpu%u (APIC ID %u) never ran hv.efi's start-up code\n", s->id,
			       s->apic_id);
		else
			pr_emerg("smp: cpu%u (APIC ID %u) launched but is not a guest (state %u)\n",
				 s->id, s->apic_id, st);
	}
	if (err)
		pr_err("smp: MP services: StartupAllAPs returned 0x%llx\n",
		       (unsigned long long)efi_status);
	if (guests == nslots) {
		pr_info("smp: every CPU runs under the hypervisor: %u AP%s guest%s, the boot "
			"CPU follows\n", guests, guests == 1 ? " is a" : "s are", guests == 1 ? "" : "s");
		return 0;
	}
	/* Half-virtualized is the one state that must not happen. */
	BUG_ON(guests);
	pr_err("smp: not starting the hypervisor: every CPU is back as the firmware left it\n");
	return -EIO;
}
