// SPDX-License-Identifier: MIT
/*
 * hv.efi's entry point.  gnu-efi's crt0 has relocated the image and calls
 * efi_main(image, system table) with the SysV ABI.  The order matters:
 * options first (they choose the consoles), then the clock, the host
 * descriptor tables, the memory pool, and the CPU's capabilities.  Whatever
 * fails, hv.efi returns to the firmware in the state it found it in.
 */
#include "arch/percpu.h"
#include <efi.h>
#include "arch/cpu.h"
#include "arch/pci.h"
#include "arch/gdbstub.h"
#include "arch/serial.h"
#include "arch/x86.h"
#include "boot/acpi.h"
#include "boot/cmdline.h"
#include "boot/efi.h"
#include "boot/hvprobe.h"
#include "boot/keeplog.h"
#include "boot/mp.h"
#include "boot/relocate.h"
#include "boot/serial_find.h"
#include "bug.h"
#include "lib/console.h"
#include "lib/kallsyms.h"
#include "errcode.h"
#include "lib/kbench.h"
#include "lib/ktest.h"
#include "lib/panic.h"
#include "lib/prevlog.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vm/platform.h"
#include "vm/run.h"
#include "vm/smp.h"
#include "vm/telemetry.h"
#include "vm/virt.h"
#include "vm/tick.h"
#include "vm/vm.h"

#define QEMU_DEBUG_EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900
#define CFG_FILE CMDLINE_CFG_FILE

extern char __image_base[];

static struct hv_options opts;
static struct mp_info mp;
/* Cleared from gdb (tools/debug.sh) to let a debugwait boot go on. */
volatile int hv_debug_wait __attribute__((visibility("default"))) = 1;
static struct uart uarts[CMDLINE_MAX_CONSOLES];

/* Ends an emulator run with a pass/fail status for the test runners. */
static void emulator_exit(int failed)
{
	const char *s = "Shutdown";

	prevlog_seal();
	if (opts.exit == EXIT_QEMU) {
		pr_info("exit: isa-debug-exit status %d\n", failed);
		console_flush_all();
		outb(QEMU_DEBUG_EXIT_PORT, (u8)failed);
	} else if (opts.exit == EXIT_POWEROFF) {
		pr_info("exit: switching the machine off (%s)\n", failed ? "failed" : "passed");
		console_flush_all();
		if (efi_poweroff() == -EPERM)
			pr_warn("exit: the OS owns the firmware's runtime services now: not "
				"switching off\n");
	} else if (opts.exit == EXIT_RESET) {
		/* The PC's oldest reset: pulse the line through the keyboard controller. */
		pr_info("exit: resetting the machine through the keyboard controller (%s)\n",
			failed ? "failed" : "passed");
		console_flush_all();
		outb(0x64, 0xfe);
	} else if (opts.exit == EXIT_BOCHS) {
		pr_info("exit: bochs %s\n", failed ? "shutdown (failure)" : "magic break (success)");
		console_flush_all();
		if (!failed)
			bochs_magic_break();
		else
			while (*s)
				outb(BOCHS_SHUTDOWN_PORT, (u8)*s++);
	}
}

/* hv.cfg, then the load options: later options override earlier ones. */
static void read_options(char *cfg_line, char *opt_line)
{
	static char file[4096];
	const void *lo;
	u32 lo_size;
	long n;

	cmdline_defaults(&opts);
	n = efi_read_file_beside_image(CFG_FILE, file, sizeof(file));
	if (n == -E2BIG)
		cmdline_read_config(&opts, file, sizeof(file) - 1, true, cfg_line, CMDLINE_MAX);
	else if (n > 0)
		cmdline_read_config(&opts, file, (size_t)n, false, cfg_line, CMDLINE_MAX);
	efi_load_options(&lo, &lo_size);
	if (cmdline_from_load_options(lo, lo_size, opt_line, CMDLINE_MAX))
		cmdline_complain(&opts, "load options: non-ASCII or overlong text replaced");
	cmdline_parse(opt_line, &opts);
	cmdline_check_gdb(&opts);
}

/* console=pci[,BDF]: the card's BAR 0, its decoding switched on. */
static int pci_console_port(const struct console_spec *c, struct uart_port *p,
			    char *why, size_t why_size)
{
	u8 bus = c->pci_bus, dev = c->pci_dev, fn = c->pci_fn;
	const char *bad;
	u32 id, class, bar;
	u16 cmd, decode;

	if (c->pci_any && pci_find_class(PCI_CLASS_SERIAL_16550, &bus, &dev, &fn)) {
		snprintf(why, why_size, "no 16550-compatible PCI serial card (class 07/00/02)");
		return -ENODEV;
	}
	id = pci_read32(bus, dev, fn, PCI_VENDOR_ID);
	if ((id & 0xffff) == 0xffff) {
		snprintf(why, why_size, "no PCI device at %02x:%02x.%x", bus, dev, fn);
		return -ENODEV;
	}
	class = pci_read32(bus, dev, fn, PCI_CLASS_REVISION) >> 8;
	if (class != PCI_CLASS_SERIAL_16550) {
		snprintf(why, why_size, "%02x:%02x.%x is class %06x, not a 16550 (070002)",
			 bus, dev, fn, class);
		return -ENODEV;
	}
	bar = pci_read32(bus, dev, fn, PCI_BAR0);
	if (pci_bar_uart_port(bar, pci_read32(bus, dev, fn, PCI_BAR1), p, &bad)) {
		snprintf(why, why_size, "%02x:%02x.%x: %s", bus, dev, fn, bad);
		return -ENODEV;
	}
	decode = p->space == UART_SPACE_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
	cmd = (u16)pci_read32(bus, dev, fn, PCI_COMMAND);
	if (!(cmd & decode))
		pci_write16(bus, dev, fn, PCI_COMMAND, cmd | decode);
	p->baud = c->port.baud;
	pr_info("console: PCI serial card %02x:%02x.%x (%04x:%04x), BAR 0 at %s 0x%llx%s\n",
		bus, dev, fn, id & 0xffff, id >> 16, p->space == UART_SPACE_IO ? "I/O" : "memory",
		(unsigned long long)p->base, cmd & decode ? "" : " (decoding switched on)");
	return 0;
}

/* console=spcr: the UART the firmware's SPCR table names. */
static int spcr_console_port(const struct console_spec *c, void *systab, struct uart_port *p,
			     char *why, size_t why_size)
{
	const char *bad;
	const u8 *t;
	u32 len;

	t = acpi_find_table(systab, SPCR_SIG, &len);
	if (!t) {
		snprintf(why, why_size, "the firmware has no ACPI SPCR table");
		return -ENOENT;
	}
	if (spcr_parse(t, len, p, &bad)) {
		snprintf(why, why_size, "SPCR revision %u: %s", t[SPCR_REVISION], bad);
		return -ENODEV;
	}
	if (c->port.baud)
		p->baud = c->port.baud;
	pr_info("console: SPCR revision %u: 16550 at %s 0x%llx, %u baud%s\n", t[SPCR_REVISION],
		p->space == UART_SPACE_IO ? "I/O" : "memory", (unsigned long long)p->base,
		p->baud, p->baud ? "" : " (as the firmware set it)");
	return 0;
}

/*
 * The consoles of the console= options, in order; one that cannot be set
 * up is reported by name once the others are (and leaves them be).  With
 * none asked for, or none that works, COM1 at 115200.
 */
static void setup_consoles(void *systab)
{
	static const char *const kinds[] = { "uart", "efi", "none", "pci", "spcr" };
	char why[CMDLINE_MAX_CONSOLES][96];
	unsigned int i, nbad = 0, bad_at[CMDLINE_MAX_CONSOLES], up = 0;
	bool none = false;

	console_set_loglevel(opts.loglevel);
	for (i = 0; i < opts.nconsoles; i++) {
		const struct console_spec *c = &opts.consoles[i];
		struct uart_port port = c->port;
		const char *bad = NULL;
		int err = 0;

		why[nbad][0] = '\0';
		if (c->kind == CONSOLE_EFI) {
			efi_console_register();
			up++;
			continue;
		}
		if (c->kind == CONSOLE_NONE) {
			none = true;
			continue;
		}
		if (c->kind == CONSOLE_PCI)
			err = pci_console_port(c, &port, why[nbad], sizeof(why[0]));
		else if (c->kind == CONSOLE_SPCR)
			err = spcr_console_port(c, systab, &port, why[nbad], sizeof(why[0]));
		if (!err && uart_init(&uarts[i], &port, &bad)) {
			snprintf(why[nbad], sizeof(why[0]), "%s", bad);
			err = -EINVAL;
		}
		if (err)
			bad_at[nbad++] = i;
		else
			up++;
	}
	if (!up && !none) {
		const struct uart_port com1 = { .space = UART_SPACE_IO, .width = 1,
						.base = 0x3f8, .baud = 115200 };

		uart_init(&uarts[0], &com1, NULL);
	}
	for (i = 0; i < nbad; i++)
		pr_warn("console=%s: not set up: %s%s\n", kinds[opts.consoles[bad_at[i]].kind],
			why[i], up || none ? "" : " (COM1 at 115200 instead)");
}

static void print_banner(const char *cfg_line, const char *opt_line, uintptr_t loaded_at)
{
	struct efi_image_info img;
	unsigned int i;

	pr_info("tdpvisor %s (built %s %s) starting\n", HV_VERSION, __DATE__, __TIME__);
	if (!efi_image_info(&img))
		pr_info("hv.efi: image base 0x%llx size 0x%llx path %s\n",
			(unsigned long long)(uintptr_t)__image_base, (unsigned long long)img.size,
			img.path[0] ? img.path : "(none)");
	if (loaded_at)
		pr_info("hv.efi: loaded at 0x%llx, running from a copy in reserved memory\n",
			(unsigned long long)loaded_at);
	else
		pr_warn("hv.efi: running where the firmware loaded it (no reserved copy)\n");
	pr_info("hv.efi: TSC %llu.%03llu MHz\n", (unsigned long long)(tsc_khz() / 1000),
		(unsigned long long)(tsc_khz() % 1000));
	if (cfg_line[0])
		pr_info("Command line (" CFG_FILE "): %s\n", cfg_line);
	pr_info("Command line: %s\n", opt_line);
	for (i = 0; i < opts.nmsgs; i++)
		pr_warn("cmdline: %s\n", opts.msgs[i]);
	if (opts.dropped_msgs)
		pr_warn("cmdline: %u more problems not shown\n", opts.dropped_msgs);
}

static int reserve_pool(uintptr_t *base)
{
	int err;

	*base = efi_reserve_memory(opts.hvmem);
	if (!*base) {
		pr_err("mem: cannot reserve %llu MiB for the hypervisor\n",
		       (unsigned long long)(opts.hvmem >> 20));
		return -1;
	}
	err = page_pool_init(&hv_pool, (void *)*base, opts.hvmem);
	if (err) {
		pr_err("mem: page pool init failed (%d)\n", err);
		efi_release_memory(*base, opts.hvmem);
		return -1;
	}
	pr_info("mem: reserved %llu MiB at [0x%llx-0x%llx] (EfiReservedMemoryType), "
		"%llu pages free\n", (unsigned long long)(opts.hvmem >> 20),
		(unsigned long long)*base, (unsigned long long)(*base + opts.hvmem - 1),
		(unsigned long long)page_pool_total(&hv_pool));
	return 0;
}

/* crashtest=: crash on purpose so the tests can check the panic report
 * ("panic" is the platform VM's: vm/platform.c). */
static __noinline void crashtest_run(const char *what)
{
	pr_info("crashtest: triggering '%s'\n", what);
	if (!strcmp(what, "ud") || !strcmp(what, "early"))
		__builtin_trap();
	if (!strcmp(what, "pf"))	/* canonical, far above any RAM */
		(void)READ_ONCE(*(volatile u64 *)0x0000700000000000ULL);
	BUG_ON(!strcmp(what, "bug"));
	pr_err("crashtest: '%s' did not crash\n", what);
}

/* smp=all: every AP becomes a guest before the boot CPU does. */
static int start_aps(uintptr_t loaded_at)
{
	if (mp.ncpus <= 1)
		return 0;
	if (opts.smp_boot_only) {
		pr_warn("smp: only the boot CPU becomes a guest (smp=boot): %u other CPU%s running "
			"natively, outside the hypervisor's isolation\n", mp.ncpus - 1,
			mp.ncpus == 2 ? " keeps" : "s keep");
		return 0;
	}
	static struct mp_info after;
	int err = platform_start_aps(&mp, loaded_at, opts.smp_fault);

	if (err && mp_verify_unchanged(&mp, &after))
		pr_err("smp: some AP is not as the firmware left it\n");
	return err;
}

/* Runs in the copy of hv.efi in reserved memory (boot/relocate.c). */
static u64 hv_main(void *image, void *systab, uintptr_t loaded_at)
{
	static char cfg_line[CMDLINE_MAX], opt_line[CMDLINE_MAX];
	struct cpu_caps caps;
	unsigned int failed = 0, passed = 0;
	EFI_STATUS status = EFI_SUCCESS;
	const char *why;
	uintptr_t pool = 0;

	efi_init(image, systab);
	kallsyms_set_alias(loaded_at);
	/* Our IDT first: a fault from here on is reported on the serial port
	 * (arch/traps.c), even before the consoles are set up. */
	percpu_install(0, cpu_read_apic_id());
	if (desc_init()) {
		percpu_uninstall();
		return EFI_OUT_OF_RESOURCES;
	}
	/* First: before anything else takes memory where the last log may be. */
	keeplog_setup();
	read_options(cfg_line, opt_line);
	panic_set_exit_hook(emulator_exit);
	panic_set_guest_dump(vcpu_dump_current);
	panic_set_reset(opts.panic_reset, opts.panic_timeout);
	if (!strcmp(opts.crashtest, "early"))	/* a fault before any console */
		crashtest_run(opts.crashtest);
	setup_consoles(systab);
	tsc_calibrate(efi_stall_us);
	printk_set_clock(ns_since_boot);
	print_banner(cfg_line, opt_line, loaded_at);
	desc_report();
	keeplog_report();

	if (opts.gdb.io && gdbstub_setup(opts.gdb.io, opts.gdb.baud))
		pr_err("gdb: no 16550 answers at I/O port 0x%x: no stub, no wait\n",
		       opts.gdb.io);
	if (opts.gdbwait)
		gdbstub_wait();

	if (opts.debugwait) {
		pr_notice("hv.efi: waiting for gdb (set var hv_debug_wait = 0)\n");
		while (hv_debug_wait)
			cpu_relax();
		pr_notice("hv.efi: debugger attached, going on\n");
	}

	if (reserve_pool(&pool)) {
		status = EFI_OUT_OF_RESOURCES;
		failed = 1;
		goto out;
	}

	cpu_caps_read(&caps);
	cpu_caps_print(&caps, 0);
	virt_caps_print(&caps, 0);
	mp_enumerate(&mp);
	mp_report(&mp);
	smp_setup(&mp);
	virt_request_dirty_mode(opts.tdp_dirty);
	tick_request(opts.tick_ms);
	if (!strcmp(opts.crashtest, "panic")) {
		if (opts.bluepill)
			platform_crashtest_arm();
		else
			pr_warn("crashtest: 'panic' needs bluepill (it panics under the platform VM)\n");
	}
	if (gdbstub_enabled())	/* Ctrl-C is polled after exits: have some */
		tick_request(GDB_TICK_MS);
	if (opts.telemetry_ms && opts.bluepill)
		telemetry_request(opts.telemetry_ms, efi_ram_top());
	stress_platform_configure(&opts.stress);
	if (opts.hvprobe && hvprobe(&caps))
		failed = 1;

	why = virt_unusable_reason(&caps);
	if (why) {
		pr_err("cpu%u: %s\n", this_cpu_id(), why);
		status = EFI_UNSUPPORTED;
	} else if (virt_enable(&caps)) {
		status = EFI_UNSUPPORTED;
	}

	if (opts.crashtest[0] && strcmp(opts.crashtest, "panic"))
		crashtest_run(opts.crashtest);

	if (opts.ktest[0]) {
		ktest_set_skips(opts.ktest_skip);
		ktest_set_fuzz(&opts.fuzz);
		unsigned int kfailed = ktest_run(opts.ktest, &passed);

		pr_info("ktest: %u passed, %u failed\n", passed, kfailed);
		failed += kfailed;
	}

	if (opts.bench[0] && !kbench_run(opts.bench))
		failed++;

	if (opts.next[0] && opts.next_args_refused) {
		/* Booting it without its arguments would be booting something else. */
		pr_err("hv.efi: next_args was refused: not starting %s without them\n", opts.next);
		failed++;
	} else if (opts.next[0]) {
		strscpy(hv_next.path, opts.next, sizeof(hv_next.path));
		strscpy(hv_next.args, opts.next_args, sizeof(hv_next.args));
		pr_info("hv.efi: next stage %s %s\n", hv_next.path, hv_next.args);
	}

	if (opts.bluepill && virt && !status) {
		struct acpi_power_ports power;
		struct desc_ptr gdt, idt;

		if (acpi_find_power_ports(systab, &power))
			pr_warn("platform: no ACPI FADT: power-off will not be noticed\n");
		power.s3_awake = opts.s3_awake;
		/* The guest may read the kept log by hypercall, never forge it. */
		if (keeplog_region() && platform_hide(keeplog_region(), PREVLOG_REGION_SIZE,
						      "the log kept across a reset"))
			pr_warn("platform: the kept log stays visible to the guest\n");
		if (power.s3 && !opts.s3_awake)
			power.wake_area = efi_reserve_below(WAKE_AREA_BYTES, WAKE_AREA_BELOW);
		desc_firmware_tables(&gdt, &idt);
		if (!platform_prepare(gdt.base, gdt.limit, idt.base, idt.limit,
				      caps.maxphyaddr, &power,
				      !opts.smp_boot_only && mp.ncpus > 1, !opts.hvbit,
				      &hv_launch) &&
		    !start_aps(loaded_at)) {
			if (efi_watch_exit_boot_services()) {
				pr_warn("efi: cannot watch ExitBootServices: the firmware is not "
					"called again from here\n");
				efi_boot_services_end();
			}
			efi_console_hand_over();
			hv_stay_resident = true;
			pr_info("hv.efi: returning to the firmware, which continues as a guest\n");
			return EFI_SUCCESS;
		}
		if (power.wake_area)
			efi_release_memory(power.wake_area, WAKE_AREA_BYTES);
		pr_err("hv.efi: bluepill: the firmware does not become a guest\n");
		status = EFI_ABORTED;
		failed = 1;
	}

	virt_disable();
	if (page_pool_used(&hv_pool))
		pr_warn("mem: %llu pages still allocated at exit\n",
			(unsigned long long)page_pool_used(&hv_pool));
	efi_release_memory(pool, opts.hvmem);
out:
	keeplog_release();
	desc_restore_firmware();
	percpu_uninstall();
	pr_info("hv.efi: returning to the firmware (status 0x%llx)\n",
		(unsigned long long)status);
	emulator_exit(failed ? 1 : 0);
	return status;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	return relocate_and_run(image, systab, hv_main);
}
