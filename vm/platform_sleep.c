// SPDX-License-Identifier: MIT
/*
 * Sleep (ACPI S3) under the hypervisor: the guest's write of SLP_EN with
 * \_S3_'s SLP_TYP to a PM1 control register (docs/platform.md, "Sleep").
 *
 * On hardware that write cuts power to the CPUs; at wake-up the firmware
 * runs its resume path and jumps to the waking vector in the FACS, on the
 * boot CPU, natively.  So before the write reaches the hardware:
 *  1. every other CPU that runs a guest is parked in the host (kicked out
 *     of its guest, its VMCS written back to memory, spinning);
 *  2. the FACS's waking vector is pointed at the wake trampoline (a hidden
 *     area below 1 MiB, vm/platform_wake.asm) and the OS's own vectors are
 *     kept here;
 *  3. this CPU writes its VMCS back, and the write (PM1a, then PM1b) goes
 *     to the hardware.
 * At wake-up the trampoline brings the boot CPU to platform_wake_cpu() and
 * platform_wake_run(): its descriptor tables, control registers, MTRRs,
 * console and VMX/SVM come back, it starts each AP through the trampoline
 * too (INIT-SIPI-SIPI) and waits until every one is back under the
 * hypervisor, in the INIT state, waiting for the OS's SIPI; then it puts
 * the FACS back and enters its vCPU at the OS's waking vector, in the
 * state the firmware hands a waking OS.
 *
 * Where that cannot be done -- no wake area, an AP that does not park, a
 * FACS without a vector this can enter, s3=awake -- the write never
 * reaches the hardware: the machine stays awake and the OS wakes at once
 * at its waking vector, with every CPU still a guest (a sleep that ended
 * at once, to the OS).  If the hardware does not sleep within 5 s of the
 * write, that is done too.  Other PM1 writes with SLP_EN (S5, S4, S1)
 * are the caller's.
 */
#include "platform_int.h"
#include "arch/apic.h"
#include "arch/cpu.h"
#include "arch/msr.h"
#include "arch/percpu.h"
#include "arch/x86.h"
#include "boot/acpi.h"
#include "bug.h"
#include "lib/console.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "vm/vm.h"

#define PM1_SLP_EN BIT(13)
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK 7u
#define PARK_TIMEOUT_MS 1000
#define SLEEP_TIMEOUT_MS 5000	/* firmware may trap the write in SMM first */
#define AP_WAKE_TIMEOUT_MS 1000

enum phase { RUNNING, PARKING, RELEASED };

/* What a CPU needs back at wake-up: its host state before the sleep. */
struct wake_cpu {
	u64 cr0, cr4, efer, pat;
	u16 cs, ss, ds;
	u32 parked;		/* parked in the host for the sleep */
	u32 back;		/* under the hypervisor again after wake-up */
};

static struct acpi_power_ports pw;
static bool awake_only;		/* s3=awake */
static u8 *area;		/* the wake area, or NULL */
static struct vcpu *vcpus;	/* by CPU id */
static const bool *guest;	/* by CPU id: that CPU runs its vCPU */
static const struct platform_launch_args *launch;	/* by CPU id: its host stack */
static void (*run)(struct vcpu *v);	/* runs a vCPU for good */
static struct wake_cpu cpus[NR_CPUS];
static u32 phase;
static struct vcpu_start os_start;	/* where the OS wakes */
static u32 os_vec, os_ospm;		/* the FACS fields the sleep changed */
static u64 os_xvec;
static u64 sleep_tsc;
static u16 pm1_vals[2];
static u64 resumes;
static u8 shared_stack[4096] __aligned(16);

void platform_sleep_setup(const struct acpi_power_ports *pp, struct vcpu *cpu_vcpus,
			  const bool *cpu_is_guest, const struct platform_launch_args *cpu_launch,
			  void (*run_vcpu)(struct vcpu *v), bool awake)
{
	pw = *pp;
	vcpus = cpu_vcpus;
	guest = cpu_is_guest;
	launch = cpu_launch;
	run = run_vcpu;
	awake_only = awake;
	area = (u8 *)(uintptr_t)pp->wake_area;
	if (!pw.s3)
		pr_info("platform: S3: the firmware offers no \\_S3_ (or not in a form read here): "
			"sleep writes are treated as power-off\n");
	else if (area && !awake)
		pr_info("platform: S3: SLP_TYP %u/%u (\\_S3_), FACS at 0x%llx: a sleep resumes "
			"under the hypervisor through [0x%llx-0x%llx]\n", pw.s3_typ_a, pw.s3_typ_b,
			(unsigned long long)pw.facs, (unsigned long long)pp->wake_area,
			(unsigned long long)(pp->wake_area + WAKE_AREA_BYTES - 1));
	else
		pr_info("platform: S3: SLP_TYP %u/%u (\\_S3_), FACS at 0x%llx: %s: a sleep keeps "
			"the machine awake and wakes the OS at once\n", pw.s3_typ_a, pw.s3_typ_b,
			(unsigned long long)pw.facs, awake ? "s3=awake" :
			"no memory below 1 MiB for the wake-up code");
}

/*
 * The 16-bit view of a write to the PM1 control register at base (size
 * bytes at port): -1 when it does not cover the high byte, where SLP_EN
 * and SLP_TYP are.
 */
static int pm1_high(u16 base, u16 port, u8 size, u32 val)
{
	if (!base)
		return -1;
	if (port == base && size >= 2)
		return (int)(val & 0xffff);
	if (port == (u16)(base + 1) && size >= 1)
		return (int)((val & 0xff) << 8);
	return -1;
}

int platform_sleep_state(u16 port, u8 size, u32 val, bool *pm1b)
{
	int a = pm1_high(pw.pm1a_cnt, port, size, val);
	int b = pm1_high(pw.pm1b_cnt, port, size, val);
	int v = a >= 0 ? a : b;
	u32 typ;

	if (v < 0 || !(v & PM1_SLP_EN))
		return PLATFORM_SLEEP_NONE;
	*pm1b = a < 0;
	typ = ((u32)v >> PM1_SLP_TYP_SHIFT) & PM1_SLP_TYP_MASK;
	if (pw.s3 && typ == (a >= 0 ? pw.s3_typ_a : pw.s3_typ_b))
		return PLATFORM_SLEEP_S3;
	return PLATFORM_SLEEP_OTHER;
}

static volatile u8 *facs(void)
{
	return (volatile u8 *)(uintptr_t)pw.facs;
}

static u32 facs_len(void)
{
	u32 len;

	memcpy(&len, (const void *)(facs() + FACS_LENGTH), 4);
	return len;
}

/*
 * Where the firmware would send the waking OS, from the FACS: 0 and *st,
 * or -EINVAL (why says why) when it gives no vector this can enter.
 */
static int waking_vector(struct vcpu_start *st, const char **why)
{
	const volatile u8 *f = facs();
	u32 vec, flags = 0;
	u64 xvec = 0;
	u8 ver = 0;

	memset(st, 0, sizeof(*st));
	st->cr0 = X86_CR0_ET;	/* caches on, as the firmware leaves them */
	if (!f) {
		*why = "the firmware gave no FACS";
		return -EINVAL;
	}
	if (f[0] != 'F' || f[1] != 'A' || f[2] != 'C' || f[3] != 'S') {
		*why = "the FACS no longer has its signature";
		return -EINVAL;
	}
	memcpy(&vec, (const void *)(f + FACS_WAKING_VECTOR), 4);
	os_ospm = 0;
	if (facs_len() >= FACS_MIN_LENGTH) {
		memcpy(&flags, (const void *)(f + FACS_FLAGS), 4);
		memcpy(&xvec, (const void *)(f + FACS_X_WAKING_VECTOR), 8);
		ver = f[FACS_VERSION];
		memcpy(&os_ospm, (const void *)(f + FACS_OSPM_FLAGS), 4);
	}
	os_vec = vec;
	os_xvec = xvec;
	if (ver >= 1 && xvec) {
		if ((ver >= 2 && (flags & FACS_64BIT_WAKE_SUPPORTED) &&
		     (os_ospm & FACS_OSPM_64BIT_WAKE)) || xvec > 0xffffffffULL) {
			*why = "the OS asks for a 64-bit waking vector";
			return -EINVAL;
		}
		st->flat32 = true;
		st->ip = xvec;
		return 0;
	}
	if (!vec || vec > 0xfffff) {
		*why = "the OS set no waking vector below 1 MiB";
		return -EINVAL;
	}
	st->cs = (u16)(vec >> 4);
	st->ip = vec & 0xf;
	return 0;
}

/* The FACS sends the firmware to the trampoline (arm) or back to the OS's
 * own vectors. */
static void facs_arm(bool arm)
{
	volatile u8 *f = facs();
	u32 vec = arm ? (u32)(uintptr_t)area : os_vec;
	u64 xvec = arm ? 0 : os_xvec;

	memcpy((void *)(f + FACS_WAKING_VECTOR), &vec, 4);
	if (facs_len() >= FACS_MIN_LENGTH)
		memcpy((void *)(f + FACS_X_WAKING_VECTOR), &xvec, 8);
}

static u64 ms_to_tsc(u64 ms)
{
	return tsc_khz() * ms;
}

/* This CPU's host state, for platform_wake_cpu(). */
static void save_host(unsigned int id)
{
	cpus[id].cr0 = read_cr0();
	cpus[id].cr4 = read_cr4();
	cpus[id].efer = rdmsr(MSR_EFER);
	cpus[id].pat = rdmsr(MSR_IA32_PAT);
	cpus[id].cs = read_cs();
	cpus[id].ss = read_ss();
	cpus[id].ds = read_ds();
}

static bool platform_sleep_parking(void)
{
	return __atomic_load_n(&phase, __ATOMIC_ACQUIRE) == PARKING;
}

/*
 * On a CPU asked to park (before its vCPU's next entry): its VMCS goes to
 * memory, then it waits -- for the power to go, or to be released if the
 * machine does not sleep after all.
 */
void platform_sleep_park(struct vcpu *v)
{
	unsigned int id = this_cpu_id();

	if (!platform_sleep_parking())
		return;
	save_host(id);
	virt->cpu_sleep(v);
	wbinvd();
	__atomic_store_n(&cpus[id].parked, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) == PARKING)
		cpu_relax();
	__atomic_store_n(&cpus[id].parked, 0, __ATOMIC_RELEASE);
}

/* Parks every other CPU that runs a guest; false when one did not park. */
static bool park_others(unsigned int self)
{
	u64 deadline = rdtsc() + ms_to_tsc(PARK_TIMEOUT_MS);
	unsigned int i;
	bool all;

	__atomic_store_n(&phase, PARKING, __ATOMIC_RELEASE);
	for (i = 0; i < NR_CPUS; i++) {
		if (i == self || !guest[i])
			continue;
		__atomic_store_n(&vcpus[i].requests, 1, __ATOMIC_RELEASE);
		vcpu_kick(&vcpus[i], i);
	}
	do {
		all = true;
		for (i = 0; i < NR_CPUS; i++)
			if (i != self && guest[i] && !__atomic_load_n(&cpus[i].parked, __ATOMIC_ACQUIRE))
				all = false;
	} while (!all && rdtsc() < deadline);
	for (i = 0; i < NR_CPUS && !all; i++)
		if (i != self && guest[i] && !cpus[i].parked)
			pr_warn("platform: S3: cpu%u did not stop for the sleep within %u ms\n", i,
				PARK_TIMEOUT_MS);
	return all;
}

static void release_others(void)
{
	__atomic_store_n(&phase, RELEASED, __ATOMIC_RELEASE);
}

/* The trampoline's data for this sleep (the addresses are fixed; the
 * lock and the host's page tables are set each time). */
static void area_fill(void)
{
	struct wake_data *d = (struct wake_data *)(area + WAKE_DATA_OFF);
	u64 *pml4 = (u64 *)(area + 0x1000), *pdpt = (u64 *)(area + 0x2000);
	u64 *pd = (u64 *)(area + 0x3000), *pml5 = (u64 *)(area + 0x4000);
	bool la57 = read_cr4() & X86_CR4_LA57;
	u32 base = (u32)(uintptr_t)area;

	_Static_assert(WAKE_DATA_OFF + sizeof(struct wake_data) <= 0x1000, "struct wake_data past page 0");
	BUG_ON((size_t)(wake_tramp_end - wake_tramp) > WAKE_DATA_OFF);
	memcpy(area, wake_tramp, (size_t)(wake_tramp_end - wake_tramp));
	memset(d, 0, sizeof(*d));
	d->gdt[1] = 0x00cf9b000000ffffULL;	/* 32-bit code, flat */
	d->gdt[2] = 0x00cf93000000ffffULL;	/* data, flat */
	d->gdt[3] = 0x00af9b000000ffffULL;	/* 64-bit code */
	d->gdtr_limit = sizeof(d->gdt) - 1;
	d->gdtr_base = base + WAKE_DATA_OFF;
	d->far32 = base + (u32)(wake_tramp_pm32 - wake_tramp);
	d->far32_sel = WAKE_GDT_CODE32;
	d->far64 = base + (u32)(wake_tramp_lm64 - wake_tramp);
	d->far64_sel = WAKE_GDT_CODE64;
	d->tmp_cr3 = base + (la57 ? 0x4000 : 0x1000);
	d->cr4 = X86_CR4_PAE | (la57 ? X86_CR4_LA57 : 0);
	d->efer = (u32)(rdmsr(MSR_EFER) & (EFER_LME | EFER_NXE));
	d->host_cr3 = read_cr3();
	d->entry = (u64)(uintptr_t)platform_wake_entry;
	d->cpu_fn = (u64)(uintptr_t)platform_wake_cpu;
	d->run_fn = (u64)(uintptr_t)platform_wake_run;
	d->stack_top = (u64)(uintptr_t)(shared_stack + sizeof(shared_stack));
	memset(pml4, 0, 4 * PAGE_SIZE);
	pml5[0] = (base + 0x1000) | 3;
	pml4[0] = (base + 0x2000) | 3;
	pdpt[0] = (base + 0x3000) | 3;
	pd[0] = 0x83;		/* 0-2 MiB, present, writable, 2 MiB page */
	wbinvd();
}

/* The write the guest made (and the other PM1 block's), to the hardware. */
static void hw_sleep_write(void)
{
	if (pw.pm1a_cnt)
		outw(pw.pm1a_cnt, pm1_vals[0]);
	if (pw.pm1b_cnt)
		outw(pw.pm1b_cnt, pm1_vals[1]);
}

static u16 pm1_sleep_value(u16 port, u8 typ)
{
	u16 cur = inw(port) & ~(PM1_SLP_EN | (PM1_SLP_TYP_MASK << PM1_SLP_TYP_SHIFT));

	return cur | (u16)(typ << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN;
}

/* Real S3: returns only when the hardware did not sleep. */
static void sleep_for_real(struct vcpu *v)
{
	u64 deadline;

	pm1_vals[0] = pw.pm1a_cnt ? pm1_sleep_value(pw.pm1a_cnt, pw.s3_typ_a) : 0;
	pm1_vals[1] = pw.pm1b_cnt ? pm1_sleep_value(pw.pm1b_cnt, pw.s3_typ_b) : 0;
	area_fill();
	facs_arm(true);
	save_host(this_cpu_id());
	pr_info("platform: S3: sleeping (cpu%u wrote SLP_EN): the firmware wakes the hypervisor at "
		"0x%llx, the OS then at its waking vector (%s 0x%llx)\n", v->id,
		(unsigned long long)(uintptr_t)area, os_start.flat32 ? "32-bit" : "real mode",
		os_start.flat32 ? (unsigned long long)os_start.ip :
		((unsigned long long)os_start.cs << 4) + os_start.ip);
	console_flush_all();
	virt->cpu_sleep(v);
	sleep_tsc = rdtsc();
	wbinvd();
	hw_sleep_write();
	deadline = rdtsc() + ms_to_tsc(SLEEP_TIMEOUT_MS);
	while (rdtsc() < deadline)
		cpu_relax();
	facs_arm(false);
	pr_warn("platform: S3: the machine did not sleep within %u ms of the write\n",
		SLEEP_TIMEOUT_MS);
}

bool platform_sleep(struct vcpu *v, bool pm1b)
{
	const char *why = NULL;

	if (pm1b) {
		/* PM1a's write (the first, as ACPI orders them) already did it. */
		pr_warn("platform: S3: cpu%u wrote SLP_EN to PM1b before PM1a: ignored\n", v->id);
		return true;
	}
	if (waking_vector(&os_start, &why)) {
		pr_warn("platform: S3: cpu%u asks to sleep, but %s: the machine stays awake and the "
			"guest goes on after its write\n", v->id, why);
		return true;
	}
	if (!area || awake_only) {
		why = awake_only ? "s3=awake" : "no wake-up code below 1 MiB";
	} else if (!park_others(this_cpu_id())) {
		why = "a CPU did not stop";
	} else {
		sleep_for_real(v);	/* returns only if the machine stayed on */
		why = "the hardware did not sleep";
	}
	release_others();
	pr_info("platform: S3: cpu%u asks to sleep: staying awake (%s), the OS wakes at once at its "
		"waking vector\n", v->id, why);
	virt->vcpu_start(v, &os_start);
	return true;
}

/* ---- wake-up ---- */

/* A CPU id by local APIC ID, among the CPUs that ran guests; -1: none. */
static int cpu_by_apic(u32 apic)
{
	unsigned int i;

	for (i = 0; i < NR_CPUS; i++)
		if (guest[i] && percpu_area[i].apic_id == apic)
			return (int)i;
	return -1;
}

/*
 * On each CPU at wake-up, from the trampoline on its shared stack: the
 * CPU's per-CPU data, descriptor tables and control registers back;
 * returns its own host stack (0: not a CPU of ours, which halts).
 */
u64 platform_wake_cpu(void)
{
	int id = cpu_by_apic(cpu_read_apic_id());

	if (id < 0)
		return 0;
	percpu_install((unsigned int)id, percpu_area[id].apic_id);
	desc_reload_cpu();
	wake_load_segments(cpus[id].cs, cpus[id].ss, cpus[id].ds);
	wrmsr(MSR_IA32_PAT, cpus[id].pat);
	wrmsr(MSR_EFER, cpus[id].efer & ~EFER_SVME);
	write_cr0(cpus[id].cr0);
	write_cr4(cpus[id].cr4 & ~X86_CR4_VMXE);
	return launch[id].host_stack_top;
}

/* On the boot CPU: every other CPU that ran a guest, back through the
 * trampoline; true when all came back in time. */
static bool wake_aps(void)
{
	u64 deadline;
	unsigned int i;
	bool all;

	for (i = 1; i < NR_CPUS; i++)
		if (guest[i])
			apic_send_init_sipi(percpu_area[i].apic_id, (u8)((uintptr_t)area >> 12));
	deadline = rdtsc() + ms_to_tsc(AP_WAKE_TIMEOUT_MS);
	do {
		all = true;
		for (i = 1; i < NR_CPUS; i++)
			if (guest[i] && !__atomic_load_n(&cpus[i].back, __ATOMIC_ACQUIRE))
				all = false;
	} while (!all && rdtsc() < deadline);
	for (i = 1; i < NR_CPUS && !all; i++)
		if (guest[i] && !cpus[i].back)
			pr_err("platform: S3: cpu%u did not come back from the sleep within %u ms: it "
			       "stays stopped (the OS cannot start it)\n", i, AP_WAKE_TIMEOUT_MS);
	return all;
}

/* On each CPU, on its own host stack: VMX/SVM back, then its vCPU. */
void platform_wake_run(void)
{
	unsigned int id = this_cpu_id();
	struct vcpu *v = &vcpus[id];

	if (!id) {
		for (unsigned int i = 0; i < NR_CPUS; i++)
			cpus[i].parked = cpus[i].back = 0;
		__atomic_store_n(&phase, RUNNING, __ATOMIC_RELEASE);
		tsc_resume(sleep_tsc);
		console_resume();
		resumes++;
		pr_info("platform: S3: resumed: cpu0 is back in the hypervisor (%llu sleep%s)\n",
			(unsigned long long)resumes, resumes == 1 ? "" : "s");
	}
	platform_mtrr_restore();
	if (virt->cpu_wake())
		panic("platform: S3: cpu%u cannot enable VMX/SVM again after the sleep", id);
	if (id) {
		platform_ipi_self_init(v);	/* waits for the OS's SIPI */
		__atomic_store_n(&cpus[id].back, 1, __ATOMIC_RELEASE);
		run(v);
		BUG();
	}
	wake_aps();
	facs_arm(false);
	pr_info("platform: S3: resumed: every CPU is under the hypervisor again; the OS wakes at "
		"its waking vector\n");
	virt->vcpu_start(v, &os_start);
	run(v);
	BUG();
}
