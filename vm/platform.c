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
#define PM1_SLP_EN BIT(13)

static struct vm pvm;
static struct vcpu pvcpus[NR_CPUS];
static struct platform_capture caps[NR_CPUS];
static struct platform_launch_args launch[NR_CPUS];
static bool is_guest[NR_CPUS];
static bool smp_guests;		/* every CPU is a guest (smp=all) */
/* What exits besides the vendor's own MSRs: power and reset ports, MTRRs. */
static u16 io_exits[8];
static unsigned int nio_exits;
/* The MTRRs (nmtrr_msrs of them), then the x2APIC ICR with smp=all. */
static u32 msr_write_exits[2 * 16 + 11 + 1 + 1];
static unsigned int nmtrr_msrs;
static unsigned int nmsr_write_exits;
static u64 host_cr3;
static struct acpi_power_ports power;
/* The MTRRs as the guest last wrote them (it owns them: writes pass on). */
static struct mtrr_state mtrr;
/* The configuration the TDP leaves follow: mtrr as of its last enabled state. */
static struct mtrr_state mtrr_map;
static spinlock_t mtrr_lock = SPINLOCK_INIT;
/* crashtest=panic: the boot CPU's vCPU panics at its first tick after this
 * time (ns since boot; 0: never), CRASHTEST_AFTER_NS after it started. */
#define CRASHTEST_AFTER_NS 1000000000ULL
#define CRASHTEST_TICK_MS 100
static bool crashtest_armed;
static u64 crashtest_at_ns;


/*
 * Exits per reason, TDP faults, and how the guest's RAM got mapped: the
 * whole VM's, then each CPU's when there are several.
 */
static void platform_stats(const char *why)
{
	const struct vm_stats sum = vm_stats(&pvm), *s = &sum;
	unsigned int r, i, n = 0;

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
	if (s->ticks)
		pr_info("platform: hypervisor tick: %llu ticks (every %llu ms), %llu guest interrupts "
			"taken and injected\n", (unsigned long long)s->ticks,
			(unsigned long long)(tick_period_ns() / 1000000),
			(unsigned long long)s->intrs_taken);
	for (r = 1; r < VMEXIT_NR; r++)
		if (s->by_reason[r])
			pr_info("platform:   exits %-12s %llu\n", vm_exit_name(r),
				(unsigned long long)s->by_reason[r]);
	pr_info("platform: mapped on demand: %llu GiB in 1 GiB pages, %llu MiB in 2 MiB pages, "
		"%llu KiB in 4 KiB pages\n", (unsigned long long)s->maps_by_level[3],
		(unsigned long long)s->maps_by_level[2] * 2,
		(unsigned long long)s->maps_by_level[1] * 4);
	pr_info("platform: guest page walks: paging off %llu, 32-bit %llu, PAE %llu, "
		"4-level %llu, 5-level %llu; %llu faults given to the guest\n",
		(unsigned long long)s->gva_walks[GWALK_MODE_OFF],
		(unsigned long long)s->gva_walks[GWALK_MODE_32BIT],
		(unsigned long long)s->gva_walks[GWALK_MODE_PAE],
		(unsigned long long)s->gva_walks[GWALK_MODE_4LEVEL],
		(unsigned long long)s->gva_walks[GWALK_MODE_5LEVEL],
		(unsigned long long)s->gva_faults);
	if (s->mtrr_writes)
		pr_info("platform: %llu MTRR writes by the guest, %llu ranges retyped "
			"(zapped, refaulted)\n", (unsigned long long)s->mtrr_writes,
			(unsigned long long)s->mtrr_zaps);
	stress_platform_print();
}

static bool is_power_off(u16 port, u32 val)
{
	return port && (port == power.pm1a_cnt || port == power.pm1b_cnt) && (val & PM1_SLP_EN);
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

	if (in) {
		*valp = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
		return 0;
	}
	if (is_power_off(port, val)) {
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
 * Brings the TDP map from mtrr_map to mtrr: every MSR that differs is
 * applied to mtrr_map in turn, and the range its write can retype is
 * zapped so that it refaults with the new type and page size.  Returns
 * the number of ranges zapped.
 */
static unsigned int mtrr_retype(struct vcpu *v)
{
	unsigned int i, n = 0;
	u64 start, end, val;
	u32 msr;

	for (i = 0; i < nmtrr_msrs; i++) {
		msr = msr_write_exits[i];
		val = mtrr_state_read(&mtrr, msr);
		if (mtrr_state_read(&mtrr_map, msr) == val)
			continue;
		mtrr_msr_range(&mtrr_map, msr, val, &start, &end);
		mtrr_state_write(&mtrr_map, msr, val);
		if (start < end) {
			if (tdp_mmu_zap_range(&v->tdp, gpa_to_gfn(start), gpa_to_gfn(end)))
				v->stats.tdp_zaps++;
			pr_debug("platform: MTRR 0x%x = 0x%llx: [0x%llx-0x%llx) refaults with its "
				 "new type\n", msr, (unsigned long long)val,
				 (unsigned long long)start, (unsigned long long)end);
			n++;
		}
	}
	return n;
}

/*
 * A guest write to an MTRR: performed when the CPU would accept it (#GP
 * otherwise); reads pass on.  The TDP map follows the MTRRs' *enabled*
 * configurations: while the guest has them disabled (DEF_TYPE.E clear) --
 * which an OS does only inside its MTRR update protocol, with CR0.CD set,
 * so its accesses are uncached anyway -- the leaves keep their types, and
 * when it enables them again only what differs from the last enabled
 * configuration is zapped.  Linux rewrites its MTRRs with the same values
 * at boot: nothing is zapped then, and no mapping of the running kernel
 * (its stacks, its IDT) disappears under it.
 */
static int platform_mtrr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	int r = 0;

	if (!write)
		return rdmsr_safe(msr, val) ? 0 : -EPERM;
	/* Each CPU writes its own MTRRs; the map follows all CPUs' writes, one
	 * CPU at a time (an OS rewrites them on every CPU at once). */
	spin_lock(&mtrr_lock);
	if (!mtrr_msr_valid(&mtrr, msr, *val) || !wrmsr_safe(msr, *val)) {
		r = -EPERM;
		goto out;
	}
	mtrr_state_write(&mtrr, msr, *val);
	v->stats.mtrr_writes++;
	if (mtrr.def_type & MTRR_DEF_E)
		v->stats.mtrr_zaps += mtrr_retype(v);
out:
	spin_unlock(&mtrr_lock);
	return r;
}

/*
 * An intercepted MSR: MTRR writes (performed, then the range they retype
 * is zapped so it refaults with the new type), then the vendor's own MSRs;
 * anything else is passed on to the CPU, #GP where the CPU refuses it.
 */
static int platform_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	int r;

	if (mtrr_is_mtrr_msr(&mtrr, msr))
		return platform_mtrr(v, msr, write, val);
	r = vtsc_msr(v, msr, write, val);
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

/*
 * XSETBV: the platform VM sets the real XCR0 (the hypervisor uses no
 * extended state), but only to a value the CPU accepts -- one that would
 * #GP on hardware gets #GP here rather than in the host.
 */
static int platform_xsetbv(struct vcpu *v, u32 xcr, u64 val)
{
	struct cpuid_regs r = cpuid_count(CPUID_XSAVE, 0);
	u64 supported = ((u64)r.edx << 32) | r.eax, cr4;
	bool ok;

	if (xcr != 0 || virt->get_cpl(v) || !xcr0_valid(val, supported))
		return -EPERM;
	/*
	 * XSETBV needs CR4.OSXSAVE, which the host keeps clear otherwise: it
	 * is set around this one instruction (the guest, which just ran
	 * XSETBV, has it set itself, so the CPU takes it) and cleared again.
	 */
	cr4 = read_cr4();
	if (!(cr4 & X86_CR4_OSXSAVE) && !write_cr4_safe(cr4 | X86_CR4_OSXSAVE))
		return -EPERM;
	ok = xsetbv_safe(0, val);
	write_cr4(cr4);
	return ok ? 0 : -EPERM;
}

/*
 * The memory type and largest page of a TDP fault (a tdp_memtype_fn; ctx is
 * the struct mtrr_state the leaves follow): a page may only span one MTRR
 * type.  EPT leaves carry that type (the CPU combines it with the guest's
 * PAT); NPT leaves stay WB, as the CPU applies the MTRRs itself.
 * Guest-physical is host-physical here, so [gfn, gfn + npages) is asked of
 * the host's MTRRs as it is.
 */
static bool platform_memtype(void *ctx, gfn_t gfn, u64 npages, enum tdp_memtype *mt)
{
	/* An MTRR type is a TDP leaf's type: both use the architectural encodings. */
	_Static_assert(MT_UC == (int)X86_MT_UC && MT_WC == (int)X86_MT_WC &&
		       MT_WT == (int)X86_MT_WT && MT_WP == (int)X86_MT_WP &&
		       MT_WB == (int)X86_MT_WB, "enum tdp_memtype must use the x86 encodings");
	enum x86_memtype t;

	if (!npages || gfn > (~0ULL >> PAGE_SHIFT) - npages)
		return false;
	if (mtrr_range_type(ctx, gfn_to_gpa(gfn), gfn_to_gpa(gfn + npages), &t))
		return false;
	*mt = virt->features->leaf_memtype ? (enum tdp_memtype)t : MT_WB;
	return true;
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
	u64 at = __atomic_load_n(&crashtest_at_ns, __ATOMIC_RELAXED);

	if (!v->id && at && ns_since_boot() >= at)
		panic("crashtest: a panic on purpose while cpu%u runs the platform VM", v->id);
	telemetry_tick(v);
	stress_platform_tick(v);
}

void platform_crashtest_arm(void)
{
	crashtest_armed = true;
	tick_request(CRASHTEST_TICK_MS);
}

/* The firmware and the OS after it: the machine's own devices and MSRs. */
static const struct vm_kind_ops platform_kind = {
	.name = "platform",
	.io = platform_io,
	.msr = platform_msr,
	.xsetbv = platform_xsetbv,
	.shutdown = platform_triple_fault,
	.hypercall = platform_hypercall,
	.before_entry = platform_before_entry,
	.init_signal = platform_init_signal,
	.scratch_mapped = platform_scratch_mapped,
	.tick = platform_tick,
};

/*
 * Runs this CPU's platform vCPU for good.  A dead platform VM is a dead
 * machine: the reason, the guest's state and the statistics are logged,
 * then panic() does what panic= says (halt or reset).
 */
static void platform_host(struct platform_capture *c)
{
	unsigned int id = this_cpu_id();
	struct vcpu *v = &pvcpus[id];
	const struct vcpu_config cfg = {
		.capture = c,
		.io_exits = io_exits, .nio_exits = nio_exits,
		.msr_write_exits = msr_write_exits, .nmsr_write_exits = nmsr_write_exits,
		.msr_exits = vtsc_msrs, .nmsr_exits = ARRAY_SIZE(vtsc_msrs),
		.nmi_exits = smp_guests,
	};
	struct vcpu_event ev;

	irq_disable();
	/* The guest keeps the firmware's page tables: capture CR3 first. */
	if (vcpu_create(v, &pvm, id, &cfg))
		panic("platform: cannot create the vCPU of cpu%u", id);
	v->reflect_nmis = true;
	vtsc_init(v);
	write_cr3(host_cr3);
	telemetry_vcpu_start(v);
	pr_info("platform: cpu%u now runs the firmware as a guest\n", id);
	if (!id && crashtest_armed) {
		pr_warn("crashtest: cpu0 panics on purpose in %llu ms, under the guest\n",
			CRASHTEST_AFTER_NS / 1000000);
		__atomic_store_n(&crashtest_at_ns, ns_since_boot() + CRASHTEST_AFTER_NS,
				 __ATOMIC_RELAXED);
	}
	__atomic_store_n(&is_guest[id], true, __ATOMIC_RELEASE);
	for (;;) {
		vcpu_run(v, &ev);
		if (ev.type != VEV_DEAD)
			continue;
		pr_emerg("platform: the guest died on cpu%u: %s\n", id, pvm.death);
		vcpu_dump(v);
		platform_stats("the guest died");
		panic("platform: the guest died: %s", pvm.death);
	}
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
		     struct platform_launch_args *out)
{
	struct vm_mmio_dev *apic = NULL;
	int err;

	err = vm_create(&pvm, "platform", &platform_kind);
	if (err)
		return err;
	pvm.policy.max_level = TDP_LEVEL_1G;
	mtrr_snapshot_read(&mtrr, phys_bits);
	mtrr_snapshot_print(&mtrr);
	mtrr_map = mtrr;
	pvm.policy.memtype = platform_memtype;
	pvm.policy.memtype_ctx = &mtrr_map;
	/* The MSRs whose writes exit: this CPU's MTRRs. */
	nmsr_write_exits = mtrr_msr_list(&mtrr, msr_write_exits, ARRAY_SIZE(msr_write_exits));
	nmtrr_msrs = nmsr_write_exits;
	smp_guests = smp;
	if (smp)	/* every CPU a guest: the guests' INIT/SIPI go through us */
		apic = platform_ipi_setup(pvcpus, is_guest, phys_bits, msr_write_exits,
					  &nmsr_write_exits, ARRAY_SIZE(msr_write_exits));
	err = platform_mem_setup(&pvm, 1ULL << phys_bits, apic);
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
