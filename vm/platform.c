// SPDX-License-Identifier: MIT
/*
 * The platform VM ("blue pill"): the CPU that runs hv.efi becomes a guest
 * in place and goes on where it was, with guest-physical equal to
 * host-physical.  Its TDP root maps everything up to MAXPHYADDR on demand,
 * with the largest pages the slots allow -- except the hypervisor's own
 * memory (the pool and the relocated image): every page of it maps one
 * scratch page of the guest's own (all ones until the guest writes there),
 * so whatever instruction or width touches it, the access is the CPU's to
 * perform on that page and never reaches the hypervisor's memory
 * (vm/platform_mem.c).
 *
 * After the launch the hypervisor runs only on VM exits, on its own stack
 * and its own page tables, with interrupts off; the guest keeps the
 * firmware's GDT, IDT and interrupts.  Every CPU that becomes a guest has
 * its own vCPU of this one VM, pinned to it (vCPU id = CPU id), with its
 * own host stack and capture; they share the VM's TDP MMU
 * (vm/platform_smp.c brings the APs in).
 */
#include "vm/platform.h"
#include "platform_int.h"
#include "arch/percpu.h"
#include "arch/cpu.h"
#include "vm/run.h"
#include "vm/hypercall.h"
#include "vm/telemetry.h"
#include "vm/tick.h"
#include "vm/vtsc.h"
#include "vm/stress.h"
#include "arch/cpuid.h"
#include "arch/guard.h"
#include "arch/host_pt.h"
#include "arch/memtype.h"
#include "arch/msr.h"
#include "arch/mtrr.h"
#include "arch/reset.h"
#include "arch/x86.h"
#include "arch/xsave.h"
#include "boot/acpi.h"
#include "lib/console.h"
#include "bug.h"
#include "lock.h"
#include "errcode.h"
#include "lib/panic.h"
#include "lib/prevlog.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"

#define HOST_STACK_ORDER 4	/* 64 KiB */

#define KBC_COMMAND 0x64
#define KBC_PULSE_RESET 0xfe
#define RESET_CONTROL 0xcf9
#define RESET_CONTROL_RESET BIT(2)

static struct vm pvm;
static struct vcpu pvcpus[NR_CPUS];
static struct platform_capture caps[NR_CPUS];
static struct platform_launch_args launch[NR_CPUS];
static bool is_guest[NR_CPUS];
static bool smp_guests;		/* every CPU is a guest (smp=all) */
/* What exits besides the vendor's own MSRs: power and reset ports, MSRs. */
static u16 io_exits[PLATFORM_IO_PORTS_MAX];
static unsigned int nio_exits;
/* The MTRRs (vm/platform_mtrr.c), the x2APIC ICR with smp=all, the
 * guarded MSRs (vm/platform_guard.c: APIC base, AMD's 7, PT's 17), then the
 * TSC's (vm/vtsc.c). */
static u32 msr_exits[2 * MTRR_MAX_VAR + MTRR_NR_FIXED + 1 + 1 + 8 + 17 + 2];
static unsigned int pvm_phys_bits;
static unsigned int nmsr_exits;
static u64 host_cr3;
static struct acpi_power_ports power;



/*
 * Exits per reason, TDP faults, and how the guest's RAM got mapped: the
 * whole VM's, then each CPU's when there are several.
 */
static void platform_stats(const char *why)
{
	const struct vm_stats sum = vm_stats(&pvm), *s = &sum;
	unsigned int i, n = 0;

	for (i = 0; i < NR_CPUS; i++)
		n += __atomic_load_n(&is_guest[i], __ATOMIC_ACQUIRE);
	pr_info("platform: %s (on cpu%u): %llu exits, %llu TDP faults, %u CPU%s as guest%s\n",
		why, this_cpu_id(), (unsigned long long)s->exits,
		(unsigned long long)s->tdp_faults, n, n == 1 ? "" : "s", n == 1 ? "" : "s");
	if (platform_hidden_pages())
		pr_info("platform: the guest touched %llu pages of hypervisor memory, each given the "
			"scratch page\n", (unsigned long long)platform_hidden_pages());
	for (i = 0; i < NR_CPUS && n > 1; i++)
		if (__atomic_load_n(&is_guest[i], __ATOMIC_ACQUIRE))
			pr_info("platform:   cpu%u: %llu exits, %llu TDP faults, %llu INIT, %llu "
				"SIPI\n", i, (unsigned long long)pvcpus[i].stats.exits,
				(unsigned long long)pvcpus[i].stats.tdp_faults,
				(unsigned long long)platform_ipi_inits(i),
				(unsigned long long)platform_ipi_sipis(i));
	platform_exits_print(s, io_exits, nio_exits, platform_mtrr_held());
	stress_platform_print();
	console_report_all();
}

static bool is_reset(u16 port, u32 val)
{
	return (port == KBC_COMMAND && (u8)val == KBC_PULSE_RESET) ||
	       (port == RESET_CONTROL && (val & RESET_CONTROL_RESET)) ||
	       (power.reset_port && port == power.reset_port && (u8)val == power.reset_value);
}

/*
 * An intercepted port: performed on the guest's behalf, after the
 * statistics are printed when it powers the machine off or resets it.
 */
static int platform_io(struct vcpu *v, u16 port, u8 size, bool in, u32 *valp)
{
	u32 val = *valp;
	int sleep;
	bool pm1b;

	platform_io_count(io_exits, nio_exits, port, size);
	if (in) {
		*valp = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
		return 0;
	}
	sleep = platform_sleep_state(port, size, val, &pm1b);
	if (sleep == PLATFORM_SLEEP_S3 && platform_sleep(v, pm1b))
		return 0;
	if (sleep == PLATFORM_SLEEP_OTHER) {
		platform_stats("the guest switches the machine off");
		prevlog_seal();
	} else if (is_reset(port, val)) {
		platform_stats("the guest resets the machine");
		prevlog_seal();
	}
	console_flush_all();
	if (size == 1)
		outb(port, (u8)val);
	else if (size == 2)
		outw(port, (u16)val);
	else
		outl(port, val);
	return 0;
}

/*
 * An intercepted MSR: the MTRRs (the guest's view; the hardware keeps the
 * hypervisor WB), the guarded MSRs (vm/platform_guard.c), the x2APIC ICR,
 * then the vendor's own MSRs; anything else is passed on to the CPU, #GP
 * where the CPU refuses it.
 */
static int platform_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	int r;

	if (platform_mtrr_msr(msr))
		return platform_mtrr(v, msr, write, val);
	r = vtsc_msr(v, msr, write, val);
	if (r != -ENOENT)
		return r;
	r = platform_guard_msr(v, msr, write, val);
	if (r != -ENOENT)
		return r;
	if (write && platform_ipi_msr(msr, *val))
		return 0;
	r = virt->vendor_msr(v, msr, write, val);
	if (r != -ENOENT)
		return r;
	if (write)
		return wrmsr_safe(msr, *val) ? 0 : -EPERM;
	return rdmsr_safe(msr, val) ? 0 : -EPERM;
}

/* The statistics (why says what happened), then a hard reset (0xcf9, with
 * machine_reset()'s fallbacks should that not take). */
static __noreturn void platform_reset(const char *why)
{
	platform_stats(why);
	prevlog_seal();
	console_flush_all();
	machine_reset();
}

/* A triple fault: the guest state, the statistics, and a reset of the
 * machine (as the hardware would do). */
static void platform_triple_fault(struct vcpu *v)
{
	pr_emerg("platform: the guest triple-faulted on cpu%u at RIP 0x%llx (CR3 0x%llx)\n",
		 v->id, (unsigned long long)virt->get_rip(v), (unsigned long long)virt->get_cr3(v));
	vcpu_dump(v);
	platform_reset("triple fault, resetting the machine");
}

/*
 * A real INIT signal reached a guest CPU (VMX turns it into an exit; the
 * guests' own INITs through the local APIC are emulated and never arrive
 * so): from the chipset or a platform agent.  An AP goes into the INIT
 * state and waits for a SIPI, as it would on hardware.  The boot CPU would
 * restart the firmware at its reset vector, which cannot run under the
 * hypervisor that firmware loaded: the machine is reset.
 */
static void platform_init_signal(struct vcpu *v)
{
	if (v->id) {
		pr_warn("platform: cpu%u: an INIT signal at RIP 0x%llx: waiting for a SIPI\n",
			v->id, (unsigned long long)virt->get_rip(v));
		platform_ipi_self_init(v);
		return;
	}
	pr_emerg("platform: an INIT signal reached the boot CPU at RIP 0x%llx\n",
		 (unsigned long long)virt->get_rip(v));
	platform_reset("INIT on the boot CPU, resetting the machine");
}

static int platform_hypercall(struct vcpu *v, u64 nr, struct vcpu_event *ev, s64 *ret)
{
	if (nr == HC_TELEMETRY_READ)
		*ret = telemetry_hc_read(v, v->gpr[GPR_RBX], v->gpr[GPR_RCX], v->gpr[GPR_RDX]);
	else if (nr == HC_HV_MEMORY)
		*ret = platform_hc_hv_memory(v, v->gpr[GPR_RBX]);
	else if (nr == HC_HOST_MEMTYPE)
		*ret = platform_guard_hc_host_memtype(v->gpr[GPR_RBX], pvm_phys_bits);
	else
		return -ENOSYS;
	return 0;
}

/*
 * The hypervisor's tick on a platform vCPU (tick=, or a feature that asks
 * for one): the periodic work of the features that run under a live OS is
 * called from here.
 */
static void platform_tick(struct vcpu *v)
{
	platform_crashtest_tick(v);
	telemetry_tick(v);
	stress_platform_tick(v);
}

/* The firmware and the OS after it: the machine's own devices and MSRs. */
static const struct vm_kind_ops platform_kind = {
	.name = "platform",
	.io = platform_io,
	.msr = platform_msr,
	.xsetbv = platform_guard_xsetbv,
	.shutdown = platform_triple_fault,
	.hypercall = platform_hypercall,
	.before_entry = platform_before_entry,
	.init_signal = platform_init_signal,
	.scratch_mapped = platform_scratch_mapped,
	.tick = platform_tick,
};

/*
 * Runs v on this CPU for good.  A dead platform VM is a dead machine: the
 * reason, the guest's state and the statistics are logged, then panic()
 * does what panic= says (halt or reset).
 */
static __noreturn void platform_run(struct vcpu *v)
{
	struct vcpu_event ev;

	for (;;) {
		vcpu_run(v, &ev);
		if (ev.type != VEV_DEAD)
			continue;
		pr_emerg("platform: the guest died on cpu%u: %s\n", v->id, pvm.death);
		vcpu_dump(v);
		platform_stats("the guest died");
		panic("platform: the guest died: %s", pvm.death);
	}
}

/* Makes this CPU's platform vCPU of the state c captured, and runs it. */
static void platform_host(struct platform_capture *c)
{
	unsigned int id = this_cpu_id();
	struct vcpu *v = &pvcpus[id];
	const struct vcpu_config cfg = {
		.capture = c,
		.io_exits = io_exits, .nio_exits = nio_exits,
		.msr_exits = msr_exits, .nmsr_exits = nmsr_exits,
		.nmi_exits = smp_guests,
	};

	irq_disable();
	/* The guest keeps the firmware's page tables: capture CR3 first. */
	if (vcpu_create(v, &pvm, id, &cfg))
		panic("platform: cannot create the vCPU of cpu%u", id);
	v->reflect_nmis = true;
	vtsc_init(v);
	write_cr3(host_cr3);
	telemetry_vcpu_start(v);
	pr_info("platform: cpu%u now runs the firmware as a guest\n", id);
	platform_crashtest_start(id);
	__atomic_store_n(&is_guest[id], true, __ATOMIC_RELEASE);
	platform_run(v);
}

/*
 * The ports the platform VM's I/O map intercepts: each byte of the PM1
 * control registers (16 bits), of the reset register and 0xcf9, and the
 * keyboard controller's command port (its 0xfe pulses the reset line).  An
 * OS polls the controller's status through that port too: each poll is an
 * exit, performed on the guest's behalf (a few hundred in a Linux boot).
 */
static void add_port(u16 port)
{
	unsigned int j;

	for (j = 0; j < nio_exits; j++)
		if (io_exits[j] == port)
			return;
	if (port && nio_exits < ARRAY_SIZE(io_exits))
		io_exits[nio_exits++] = port;
}

static void add_power_ports(void)
{
	if (power.pm1a_cnt) {
		add_port(power.pm1a_cnt);
		add_port(power.pm1a_cnt + 1);
	}
	if (power.pm1b_cnt) {
		add_port(power.pm1b_cnt);
		add_port(power.pm1b_cnt + 1);
	}
	add_port(power.reset_port);
	add_port(RESET_CONTROL);
	add_port(KBC_COMMAND);
}

int platform_prepare(u64 fw_gdt_base, u16 fw_gdt_limit, u64 fw_idt_base, u16 fw_idt_limit,
		     unsigned int phys_bits, const struct acpi_power_ports *pp, bool smp,
		     bool hide_hv_cpuid, struct platform_launch_args *out)
{
	struct vm_mmio_dev *apic = NULL;
	int err;

	err = vm_create(&pvm, "platform", &platform_kind);
	if (err)
		return err;
	pvm.policy.max_level = TDP_LEVEL_1G;
	pvm_phys_bits = phys_bits;
	pvm.policy.memtype = platform_memtype;
	pvm.hide_hv_cpuid = hide_hv_cpuid;
	/* The MSRs that exit: this CPU's MTRRs, ... */
	nmsr_exits = platform_mtrr_setup(phys_bits, msr_exits, ARRAY_SIZE(msr_exits));
	smp_guests = smp;
	if (smp)	/* every CPU a guest: the guests' INIT/SIPI go through us */
		apic = platform_ipi_setup(pvcpus, is_guest, phys_bits, msr_exits,
					  &nmsr_exits, ARRAY_SIZE(msr_exits));
	if (pp->wake_area)
		BUG_ON(platform_hide(pp->wake_area, WAKE_AREA_BYTES, "the S3 wake-up code"));
	err = platform_mem_setup(&pvm, 1ULL << phys_bits, apic);
	if (!err) {	/* ... and the guarded ones, which need the hidden ranges */
		platform_guard_setup(phys_bits, msr_exits, &nmsr_exits, ARRAY_SIZE(msr_exits));
		BUG_ON(nmsr_exits + ARRAY_SIZE(vtsc_msrs) > ARRAY_SIZE(msr_exits));
		memcpy(msr_exits + nmsr_exits, vtsc_msrs, sizeof(vtsc_msrs));
		nmsr_exits += ARRAY_SIZE(vtsc_msrs);
		if (!platform_mtrr_keeps_wb())
			pr_warn("platform: the firmware's MTRRs do not make all of the hypervisor's "
				"memory WB\n");
	}
	if (!err)
		err = stress_platform_attach(&pvm, smp);
	if (!err)
		err = platform_prepare_cpu(0);
	if (!err)
		telemetry_setup(&pvm, smp);	/* telemetry off if it fails: not fatal */
	host_cr3 = host_pt_build(phys_bits);
	if (err || !host_cr3) {
		pr_err("platform: cannot set up (%d)\n", err ? err : -ENOMEM);
		return err ? err : -ENOMEM;
	}
	caps[0].gdt_base = fw_gdt_base;
	caps[0].gdt_limit = fw_gdt_limit;
	caps[0].idt_base = fw_idt_base;
	caps[0].idt_limit = fw_idt_limit;
	power = *pp;
	add_power_ports();
	platform_sleep_setup(&power, pvcpus, is_guest, launch, platform_run, pp->s3_awake);
	platform_ipi_set_wait_hook(platform_sleep_park);
	pr_info("platform: power-off ports 0x%x/0x%x, reset port 0x%x=0x%x (ACPI FADT)\n",
		power.pm1a_cnt, power.pm1b_cnt, power.reset_port, power.reset_value);
	platform_mem_print();
	*out = launch[0];
	return 0;
}

int platform_prepare_cpu(unsigned int id)
{
	u8 *stack;

	BUG_ON(id >= NR_CPUS);
	if (launch[id].host_stack_top)
		return 0;
	stack = alloc_pages(HOST_STACK_ORDER);
	if (!stack)
		return -ENOMEM;
	launch[id].cap = &caps[id];
	launch[id].host = platform_host;
	launch[id].host_stack_top = (u64)(uintptr_t)(stack + (PAGE_SIZE << HOST_STACK_ORDER));
	return 0;
}

struct platform_launch_args *platform_cpu_ready(void)
{
	unsigned int id = this_cpu_id();
	struct desc_ptr gdt, idt;

	desc_firmware_tables(&gdt, &idt);
	caps[id].gdt_base = gdt.base;
	caps[id].gdt_limit = gdt.limit;
	caps[id].idt_base = idt.base;
	caps[id].idt_limit = idt.limit;
	return &launch[id];
}

bool platform_cpu_is_guest(unsigned int id)
{
	return id < NR_CPUS && __atomic_load_n(&is_guest[id], __ATOMIC_ACQUIRE);
}
