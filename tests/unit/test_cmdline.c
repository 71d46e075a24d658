// SPDX-License-Identifier: MIT
/* Unit tests of the command-line parser (boot/cmdline.c). */
#include "boot/cmdline.h"
#include "boot/chainload.h"
#include "lib/ktest.h"
#include "lib/printk.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "errcode.h"

static unsigned int parse(struct hv_options *o, const char *s)
{
	cmdline_defaults(o);
	return cmdline_parse(s, o);
}

KTEST(cmdline_parses_every_known_option)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "loglevel=4 hvmem=128M ktest=page_alloc exit=bochs bench=all "
			      "console=ttyS1,57600 console=uart,io,0x2f8 console=efi debugwait"), 0);
	KT_EXPECT(t, o.debugwait);
	KT_EXPECT_EQ(t, o.loglevel, 4);
	KT_EXPECT_EQ(t, o.hvmem, 128ULL << 20);
	KT_EXPECT_STREQ(t, o.ktest, "page_alloc");
	KT_EXPECT_STREQ(t, o.bench, "all");
	KT_EXPECT_EQ(t, o.exit, EXIT_BOCHS);
	KT_ASSERT_EQ(t, o.nconsoles, 3);
	KT_EXPECT_EQ(t, o.consoles[0].kind, CONSOLE_UART);
	KT_EXPECT_EQ(t, o.consoles[0].port.base, 0x2f8);
	KT_EXPECT_EQ(t, o.consoles[0].port.baud, 57600);
	KT_EXPECT_EQ(t, o.consoles[1].port.base, 0x2f8);
	KT_EXPECT_EQ(t, o.consoles[1].port.baud, 115200);
	KT_EXPECT_EQ(t, o.consoles[2].kind, CONSOLE_EFI);
}

/* True when needle occurs in hay. */
static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncmp(hay, needle, n))
			return true;
	return false;
}

/* One console= value: its spec, or the message it gave (o.msgs[0]). */
static const struct console_spec *one_console(struct hv_options *o, const char *val)
{
	static char line[128];

	snprintf(line, sizeof(line), "console=%s", val);
	parse(o, line);
	return o->nconsoles == 1 ? &o->consoles[0] : NULL;
}

KTEST(cmdline_takes_mmio_uarts_with_their_width_and_shift)
{
	static struct hv_options o;
	const struct console_spec *c;

	c = one_console(&o, "uart,mmio32,0xfe032000,115200n8");
	KT_ASSERT(t, c != NULL);
	KT_EXPECT_EQ(t, c->kind, CONSOLE_UART);
	KT_EXPECT_EQ(t, c->port.space, UART_SPACE_MMIO);
	KT_EXPECT_EQ(t, c->port.base, 0xfe032000ULL);
	KT_EXPECT_EQ(t, c->port.width, 4);
	KT_EXPECT_EQ(t, c->port.shift, 2);
	KT_EXPECT_EQ(t, c->port.baud, 115200);
	c = one_console(&o, "uart8250,mmio,0x80001000,shift=2");
	KT_ASSERT(t, c != NULL);
	KT_EXPECT_EQ(t, c->port.width, 1);
	KT_EXPECT_EQ(t, c->port.shift, 2);
	KT_EXPECT_EQ(t, c->port.baud, 0);	/* the firmware's rate kept */
	c = one_console(&o, "uart,mmio16,0x80001000,shift=3,9600");
	KT_ASSERT(t, c != NULL);
	KT_EXPECT_EQ(t, c->port.width, 2);
	KT_EXPECT_EQ(t, c->port.shift, 3);
	KT_EXPECT_EQ(t, c->port.baud, 9600);
	c = one_console(&o, "uart,io,0x3e8");
	KT_ASSERT(t, c != NULL);
	KT_EXPECT_EQ(t, c->port.space, UART_SPACE_IO);
	KT_EXPECT_EQ(t, c->port.base, 0x3e8);
	KT_EXPECT_EQ(t, c->port.baud, 115200);
	c = one_console(&o, "ttyS3,38400n8");
	KT_ASSERT(t, c != NULL);
	KT_EXPECT_EQ(t, c->port.base, 0x2e8);
	KT_EXPECT_EQ(t, c->port.baud, 38400);
}

KTEST(cmdline_takes_pci_cards_auto_or_by_address_and_spcr)
{
	static struct hv_options o;
	const struct console_spec *c;

	c = one_console(&o, "pci");
	KT_ASSERT(t, c != NULL);
	KT_EXPECT_EQ(t, c->kind, CONSOLE_PCI);
	KT_EXPECT(t, c->pci_any);
	KT_EXPECT_EQ(t, c->port.baud, 0);
	c = one_console(&o, "pci,115200");
	KT_ASSERT(t, c != NULL);
	KT_EXPECT(t, c->pci_any);
	KT_EXPECT_EQ(t, c->port.baud, 115200);
	c = one_console(&o, "pci,0a:1f.7,57600");
	KT_ASSERT(t, c != NULL);
	KT_EXPECT(t, !c->pci_any);
	KT_EXPECT_EQ(t, c->pci_bus, 0x0a);
	KT_EXPECT_EQ(t, c->pci_dev, 0x1f);
	KT_EXPECT_EQ(t, c->pci_fn, 7);
	KT_EXPECT_EQ(t, c->port.baud, 57600);
	c = one_console(&o, "spcr");
	KT_ASSERT(t, c != NULL);
	KT_EXPECT_EQ(t, c->kind, CONSOLE_SPCR);
	KT_EXPECT_EQ(t, c->port.baud, 0);	/* the table's rate */
	c = one_console(&o, "spcr,57600");
	KT_ASSERT(t, c != NULL);
	KT_EXPECT_EQ(t, c->kind, CONSOLE_SPCR);
	KT_EXPECT_EQ(t, c->port.baud, 57600);
}

KTEST(cmdline_refuses_bad_console_values_naming_them_and_keeps_the_good_ones)
{
	static struct hv_options o;
	static const struct { const char *val, *why; } bad[] = {
		{ "uart,mmio32,0xfe032002", "not aligned" },
		{ "uart,mmio32,0xfe032000,shift=1", "wider than the register stride" },
		{ "uart,mmio,0x1000,shift=4", "shift= expects 0..3" },
		{ "uart,io,0x3f8,shift=2", "for MMIO UARTs only" },
		{ "uart,io,0xfffc", "outside" },
		{ "uart,io,0", "outside" },
		{ "uart,mmio,0", "zero" },
		{ "uart,mmio,zz", "not a number" },
		{ "uart,mmio64,0x1000", "address space" },
		{ "uart,mmio", "expected uart," },
		{ "uart,io,0x3f8,200000", "divisor cannot make" },
		{ "uart,io,0x3f8,80000", "divisor cannot make" },
		{ "uart,io,0x3f8,fast", "baud rate" },
		{ "ttyS4", "ttyS0..ttyS3" },
		{ "ttyS0,0", "baud rate" },
		{ "pci,00:20.0", "bad PCI address" },
		{ "pci,100:00.0", "bad PCI address" },
		{ "pci,00:03", "bad PCI address" },
		{ "pci,00:03.0,shift=2", "for MMIO UARTs only" },
		{ "pcie", "expected pci" },
		{ "pci,zz", "bad PCI address" },
		{ "pci,00:03.0,fast", "expected a baud rate" },
		{ "pci,00:03.0,1000000", "divisor cannot make" },
		{ "serial", "unknown kind" },
		{ "spcr,fast", "expected a baud rate" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		KT_EXPECT(t, one_console(&o, bad[i].val) == NULL);
		KT_ASSERT_EQ(t, o.nmsgs, 1);
		ktest_check(t, contains(o.msgs[0], bad[i].why) && !strncmp(o.msgs[0], "console=", 8),
			    __FILE__, __LINE__, "console=%s: expected '...%s...', seen '%s'",
			    bad[i].val, bad[i].why, o.msgs[0]);
	}
	KT_EXPECT_EQ(t, parse(&o, "console=ttyS1 console=uart,mmio32,0x3 console=efi"), 1);
	KT_ASSERT_EQ(t, o.nconsoles, 2);
	KT_EXPECT_EQ(t, o.consoles[0].port.base, 0x2f8);
	KT_EXPECT_EQ(t, o.consoles[1].kind, CONSOLE_EFI);
	KT_EXPECT(t, contains(o.msgs[0], "console=uart,mmio32,0x3:"));
}

KTEST(cmdline_takes_lists_only_where_lists_are_meant)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "ktest_skip=a_b,c ktest=a,b bench=x,y"), 2);
	KT_EXPECT_STREQ(t, o.ktest_skip, "a_b,c");
	KT_EXPECT_STREQ(t, o.ktest, "");
	KT_EXPECT_STREQ(t, o.bench, "");
}

KTEST(cmdline_takes_the_next_stage_and_its_quoted_options)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "next=\\EFI\\vmlinuz next_args=\"initrd=\\initrd.img console=ttyS0\""), 0);
	KT_EXPECT_STREQ(t, o.next, "\\EFI\\vmlinuz");
	KT_EXPECT_STREQ(t, o.next_args, "initrd=\\initrd.img console=ttyS0");
	KT_EXPECT_EQ(t, parse(&o, "next=vmlinuz next="), 2);
	KT_EXPECT_STREQ(t, o.next, "");
}

KTEST(next_path_forms)
{
	unsigned int v = 99;

	KT_EXPECT_EQ(t, next_path_form("\\EFI\\linux.efi", NULL), NEXT_OWN_VOLUME);
	KT_EXPECT_EQ(t, next_path_form("fs1:\\EFI\\debian\\shimx64.efi", &v), NEXT_VOLUME);
	KT_EXPECT_EQ(t, v, 1);
	KT_EXPECT_EQ(t, next_path_form("FS12:\\a.efi", &v), NEXT_VOLUME);
	KT_EXPECT_EQ(t, v, 12);
	KT_EXPECT_EQ(t, next_path_form("PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x1,0xFFFF,0x0)/\\EFI\\x.efi",
				       NULL), NEXT_DEVICE_PATH);
	KT_EXPECT_EQ(t, next_path_form("HD(1,GPT,0C2B6B5E-1F5A-4E4B-9E07-7F1D3C1A2B3C,0x800,0x100000)"
				       "/\\EFI\\Microsoft\\Boot\\bootmgfw.efi", NULL), NEXT_DEVICE_PATH);
	/* refused */
	KT_EXPECT_EQ(t, next_path_form(NULL, NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("\\", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("linux.efi", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("fs:\\a.efi", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("fs1234:\\a.efi", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("fs1:a.efi", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("fs1:\\", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("\\EFI\\a b.efi", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("PciRoot(0x0)/Pci(0x1F,0x2)", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("PciRoot(0x0/\\a.efi", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("PciRoot(0x0))/\\a.efi", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("PciRoot((0x0))/\\a.efi", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("PciRoot(0x0)//\\a.efi", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("PciRoot(0x0)/x/\\a.efi", NULL), NEXT_BAD);
	KT_EXPECT_EQ(t, next_path_form("(0x0)/\\a.efi", NULL), NEXT_BAD);
}

KTEST(cmdline_takes_next_on_another_volume_or_device_path)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "next=fs1:\\EFI\\tdpvisor\\hv2.efi"), 0);
	KT_EXPECT_STREQ(t, o.next, "fs1:\\EFI\\tdpvisor\\hv2.efi");
	KT_EXPECT_EQ(t, parse(&o, "next=PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x1,0xFFFF,0x0)/\\EFI\\a.efi"), 0);
	KT_EXPECT_STREQ(t, o.next, "PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x1,0xFFFF,0x0)/\\EFI\\a.efi");
	KT_EXPECT_EQ(t, parse(&o, "next=fs1:EFI"), 1);
	KT_EXPECT_STREQ(t, o.next, "");
}

KTEST(cmdline_marks_a_refused_next_args_so_the_stage_is_not_started)
{
	static struct hv_options o;
	static char line[400];
	size_t n = strlen("next=\\a.efi next_args="), i;

	memcpy(line, "next=\\a.efi next_args=", n);
	for (i = 0; i < 300; i++)
		line[n + i] = 'x';
	line[n + i] = '\0';
	KT_EXPECT_EQ(t, parse(&o, line), 1);
	KT_EXPECT(t, o.next_args_refused);
	KT_EXPECT_STREQ(t, o.next_args, "");
	KT_EXPECT_STREQ(t, o.next, "\\a.efi");
	/* A later, good next_args (the load options after hv.cfg) stands. */
	KT_EXPECT_EQ(t, cmdline_parse("next_args=quiet", &o), 0);
	KT_EXPECT(t, !o.next_args_refused);
	KT_EXPECT_EQ(t, parse(&o, "next=\\a.efi"), 0);
	KT_EXPECT(t, !o.next_args_refused);
}

KTEST(cmdline_takes_the_panic_policy)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, ""), 0);
	KT_EXPECT(t, !o.panic_reset);		/* halt by default */
	KT_EXPECT_EQ(t, parse(&o, "panic=reset"), 0);
	KT_EXPECT(t, o.panic_reset);
	KT_EXPECT_EQ(t, parse(&o, "panic=reset panic=halt"), 0);
	KT_EXPECT(t, !o.panic_reset);
	KT_EXPECT_EQ(t, parse(&o, "panic=reset panic=reboot panic"), 2);
	KT_EXPECT(t, o.panic_reset);
	KT_EXPECT_EQ(t, o.panic_timeout, 0u);
}

KTEST(cmdline_takes_a_reset_timeout_and_refuses_bad_ones_by_name)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "panic=reset,10"), 0);
	KT_EXPECT(t, o.panic_reset);
	KT_EXPECT_EQ(t, o.panic_timeout, 10u);
	KT_EXPECT_EQ(t, parse(&o, "panic=reset panic_timeout=0x20"), 0);
	KT_EXPECT_EQ(t, o.panic_timeout, 32u);
	/* Out of range, not a number, a timeout on halt, an empty one. */
	KT_EXPECT_EQ(t, parse(&o, "panic=reset,3601 panic=reset,ten panic=halt,5 panic=reset, "
			     "panic_timeout=-1 panic_timeout=3601 panic_timeout"), 7);
	KT_EXPECT(t, !o.panic_reset);
	KT_EXPECT_EQ(t, o.panic_timeout, 0u);
	KT_EXPECT(t, (strstr(o.msgs[0], "panic: expected halt, reset or reset,SECONDS") != NULL));
	KT_EXPECT(t, (strstr(o.msgs[0], "'reset,3601'") != NULL));
	KT_EXPECT(t, (strstr(o.msgs[6], "panic_timeout: expected seconds") != NULL));
	KT_EXPECT_EQ(t, parse(&o, "panic=reset,3600"), 0);
	KT_EXPECT_EQ(t, o.panic_timeout, PANIC_TIMEOUT_MAX);
}

KTEST(cmdline_takes_hvbit_on_or_off_and_refuses_the_rest_by_name)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, ""), 0);
	KT_EXPECT(t, o.hvbit);			/* on by default */
	KT_EXPECT_EQ(t, parse(&o, "hvbit=off"), 0);
	KT_EXPECT(t, !o.hvbit);
	KT_EXPECT_EQ(t, parse(&o, "hvbit=off hvbit=on"), 0);
	KT_EXPECT(t, o.hvbit);
	/* Wrong or missing values are refused, each by name; the last good one stands. */
	KT_EXPECT_EQ(t, parse(&o, "hvbit=off hvbit=yes hvbit=0 hvbit"), 3);
	KT_EXPECT(t, !o.hvbit);
	KT_EXPECT_STREQ(t, o.msgs[0], "hvbit: expected on or off, got 'yes'");
	KT_EXPECT_STREQ(t, o.msgs[1], "hvbit: expected on or off, got '0'");
	KT_EXPECT_STREQ(t, o.msgs[2], "hvbit: expected on or off, got ''");
}

KTEST(cmdline_takes_s3_resume_or_awake_and_refuses_the_rest_by_name)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, ""), 0);
	KT_EXPECT(t, !o.s3_awake);		/* resume by default */
	KT_EXPECT_EQ(t, parse(&o, "s3=awake"), 0);
	KT_EXPECT(t, o.s3_awake);
	KT_EXPECT_EQ(t, parse(&o, "s3=awake s3=resume"), 0);
	KT_EXPECT(t, !o.s3_awake);
	KT_EXPECT_EQ(t, parse(&o, "s3=awake s3=off s3"), 2);
	KT_EXPECT(t, o.s3_awake);
	KT_EXPECT_STREQ(t, o.msgs[0], "s3: expected awake or resume, got 'off'");
	KT_EXPECT_STREQ(t, o.msgs[1], "s3: expected awake or resume, got ''");
}

KTEST(cmdline_takes_the_crash_tests_by_name_only)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "crashtest=early"), 0);
	KT_EXPECT_STREQ(t, o.crashtest, "early");
	KT_EXPECT_EQ(t, parse(&o, "crashtest=ud crashtest=pf crashtest=bug"), 0);
	KT_EXPECT_STREQ(t, o.crashtest, "bug");
	KT_EXPECT_EQ(t, parse(&o, "crashtest=panic"), 0);
	KT_EXPECT_STREQ(t, o.crashtest, "panic");
	/* A wrong or missing value is refused by name; nothing is armed. */
	KT_EXPECT_EQ(t, parse(&o, "crashtest=late crashtest"), 2);
	KT_EXPECT_STREQ(t, o.crashtest, "");
}

KTEST(cmdline_knows_every_way_to_end_a_run)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "exit=reset"), 0);
	KT_EXPECT_EQ(t, o.exit, EXIT_RESET);
	KT_EXPECT_EQ(t, parse(&o, "exit=poweroff"), 0);
	KT_EXPECT_EQ(t, o.exit, EXIT_POWEROFF);
	KT_EXPECT_EQ(t, parse(&o, "exit=qemu exit=return"), 0);
	KT_EXPECT_EQ(t, o.exit, EXIT_RETURN);
	KT_EXPECT_EQ(t, parse(&o, "exit=later"), 1);
}

KTEST(cmdline_flags_take_no_value)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "hvprobe bluepill debugwait"), 0);
	KT_EXPECT(t, o.hvprobe && o.bluepill && o.debugwait);
	KT_EXPECT_EQ(t, parse(&o, "hvprobe=1 bluepill=yes"), 2);
	KT_EXPECT(t, !o.hvprobe && !o.bluepill);
}

KTEST(cmdline_keeps_defaults_for_an_empty_line)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, ""), 0);
	KT_EXPECT_EQ(t, parse(&o, "     "), 0);
	KT_EXPECT_EQ(t, o.loglevel, 7);
	KT_EXPECT_EQ(t, o.hvmem, HVMEM_DEFAULT);
	KT_EXPECT_EQ(t, o.nconsoles, 0);
	KT_EXPECT_EQ(t, o.exit, EXIT_RETURN);
}

KTEST(cmdline_reports_unknown_and_malformed_options_by_name)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "frobnicate=1 loglevel=9 hvmem=lots hvmem=1M "
			      "console=ttyS7 exit=later =x ktest=a;b"), 8);
	KT_ASSERT_EQ(t, o.nmsgs, 8);
	KT_EXPECT_STREQ(t, o.msgs[0], "unknown option 'frobnicate'");
	KT_EXPECT(t, strncmp(o.msgs[1], "loglevel:", 9) == 0);
	KT_EXPECT(t, strchr(o.msgs[2], '\'') && !strncmp(o.msgs[2], "hvmem:", 6));
	KT_EXPECT_EQ(t, o.loglevel, 7);		/* bad values leave defaults */
	KT_EXPECT_EQ(t, o.hvmem, HVMEM_DEFAULT);
	KT_EXPECT_EQ(t, o.nconsoles, 0);
	KT_EXPECT_STREQ(t, o.ktest, "");
}

KTEST(cmdline_later_options_override_earlier_ones)
{
	static struct hv_options o;

	cmdline_defaults(&o);
	cmdline_parse("loglevel=3 hvmem=32M", &o);
	cmdline_parse("loglevel=8", &o);
	KT_EXPECT_EQ(t, o.loglevel, 8);
	KT_EXPECT_EQ(t, o.hvmem, 32ULL << 20);
}

KTEST(cmdline_groups_quoted_values)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "ktest=\"vsprintf\" loglevel=\"5\""), 0);
	KT_EXPECT_STREQ(t, o.ktest, "vsprintf");
	KT_EXPECT_EQ(t, o.loglevel, 5);
}

KTEST(cmdline_rejects_overlong_tokens_without_overflowing)
{
	static struct hv_options o;
	static char line[CMDLINE_MAX];

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	KT_EXPECT_EQ(t, parse(&o, line), 1);
	KT_EXPECT(t, strncmp(o.msgs[0], "option 'aaaa", 12) == 0);
}

KTEST(parse_size_accepts_suffixes_and_rejects_overflow)
{
	u64 v = 0;

	KT_EXPECT_EQ(t, parse_size("64M", &v), 0);
	KT_EXPECT_EQ(t, v, 64ULL << 20);
	KT_EXPECT_EQ(t, parse_size("2g", &v), 0);
	KT_EXPECT_EQ(t, v, 2ULL << 30);
	KT_EXPECT_EQ(t, parse_size("0x1000", &v), 0);
	KT_EXPECT_EQ(t, v, 0x1000);
	KT_EXPECT_EQ(t, parse_size("", &v), -EINVAL);
	KT_EXPECT_EQ(t, parse_size("M", &v), -EINVAL);
	KT_EXPECT_EQ(t, parse_size("12Q", &v), -EINVAL);
	KT_EXPECT_EQ(t, parse_size("99999999999999999999", &v), -ERANGE);
	KT_EXPECT_EQ(t, parse_size("17179869184G", &v), -ERANGE);
}

KTEST(load_options_in_ucs2_drop_the_image_name)
{
	static const u16 shell[] = { 'h', 'v', '.', 'e', 'f', 'i', ' ', 'l', 'o', 'g', 'l',
				     'e', 'v', 'e', 'l', '=', '3', 0 };
	char out[64];

	KT_EXPECT_EQ(t, cmdline_from_load_options(shell, sizeof(shell), out, sizeof(out)), 0);
	KT_EXPECT_STREQ(t, out, " loglevel=3");
}

KTEST(load_options_as_bytes_keep_the_first_token)
{
	static const char raw[] = "loglevel=3 exit=qemu";
	char out[64];

	KT_EXPECT_EQ(t, cmdline_from_load_options(raw, sizeof(raw), out, sizeof(out)), 0);
	KT_EXPECT_STREQ(t, out, "loglevel=3 exit=qemu");
}

KTEST(cmdline_forces_a_dirty_logging_mode_by_name)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, ""), 0);
	KT_EXPECT_STREQ(t, o.tdp_dirty, "");
	KT_EXPECT_EQ(t, parse(&o, "tdp_dirty=pml"), 0);
	KT_EXPECT_STREQ(t, o.tdp_dirty, "pml");
	KT_EXPECT_EQ(t, parse(&o, "tdp_dirty=wp tdp_dirty=dbit"), 0);
	KT_EXPECT_STREQ(t, o.tdp_dirty, "dbit");
	/* a bad value is reported by name and leaves the choice as it was */
	KT_EXPECT_EQ(t, parse(&o, "tdp_dirty=wp tdp_dirty=PML tdp_dirty tdp_dirty=pmlx"), 3);
	KT_EXPECT_STREQ(t, o.tdp_dirty, "wp");
	KT_EXPECT_STREQ(t, o.msgs[0], "tdp_dirty: expected pml, dbit or wp, got 'PML'");
	KT_EXPECT_STREQ(t, o.msgs[1], "tdp_dirty: expected pml, dbit or wp, got ''");
}

KTEST(cmdline_takes_a_telemetry_interval_in_ms_or_s_and_refuses_bad_ones_by_name)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, ""), 0);
	KT_EXPECT_EQ(t, o.telemetry_ms, 0);		/* off unless asked */
	KT_EXPECT_EQ(t, parse(&o, "tdp_telemetry=1s"), 0);
	KT_EXPECT_EQ(t, o.telemetry_ms, 1000);
	KT_EXPECT_EQ(t, parse(&o, "tdp_telemetry=250ms"), 0);
	KT_EXPECT_EQ(t, o.telemetry_ms, 250);
	KT_EXPECT_EQ(t, parse(&o, "tdp_telemetry=60s tdp_telemetry=10"), 0);
	KT_EXPECT_EQ(t, o.telemetry_ms, 10);
	KT_EXPECT_EQ(t, parse(&o, "tdp_telemetry=60000"), 0);
	KT_EXPECT_EQ(t, o.telemetry_ms, 60000);
	/* each bad value is refused by name and leaves the interval as it was */
	KT_EXPECT_EQ(t, parse(&o, "tdp_telemetry=2s tdp_telemetry=9ms tdp_telemetry=61s "
			      "tdp_telemetry tdp_telemetry=s tdp_telemetry=ms tdp_telemetry=1h "
			      "tdp_telemetry=-1s tdp_telemetry=99999999999999999999s"), 8);
	KT_EXPECT_EQ(t, o.telemetry_ms, 2000);
	KT_EXPECT_STREQ(t, o.msgs[0], "tdp_telemetry: expected an interval from 10ms to 60s "
			"(1s, 500ms), got '9ms'");
	KT_EXPECT_STREQ(t, o.msgs[2], "tdp_telemetry: expected an interval from 10ms to 60s "
			"(1s, 500ms), got ''");
	KT_EXPECT(t, !strncmp(o.msgs[7], "tdp_telemetry: ", 15));
}

KTEST(cmdline_takes_tdp_stress_rate_seed_and_ops)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, ""), 0);
	KT_EXPECT_EQ(t, o.stress.rate_ms, 0);
	KT_EXPECT(t, !o.dirty_log_owner);
	KT_EXPECT_EQ(t, parse(&o, "tdp_stress=5"), 0);
	KT_EXPECT_EQ(t, o.stress.rate_ms, 5);
	KT_EXPECT_EQ(t, o.stress.ops, STRESS_ALL);
	KT_EXPECT_EQ(t, o.stress.seed, STRESS_SEED_DEFAULT);
	KT_EXPECT_STREQ(t, o.dirty_log_owner, "tdp_stress");
	KT_EXPECT_EQ(t, parse(&o, "tdp_stress=1000,ops=retype+zap,seed=0x2a"), 0);
	KT_EXPECT_EQ(t, o.stress.rate_ms, 1000);
	KT_EXPECT_EQ(t, o.stress.ops, STRESS_RETYPE | STRESS_ZAP);
	KT_EXPECT_EQ(t, o.stress.seed, 42);
	KT_EXPECT_EQ(t, parse(&o, "tdp_stress=1,seed=7,ops=zap+dirty+age+split+retype"), 0);
	KT_EXPECT_EQ(t, o.stress.rate_ms, 1);
	KT_EXPECT_EQ(t, o.stress.ops, STRESS_ALL);
	/* the last one wins, as for every option */
	KT_EXPECT_EQ(t, parse(&o, "tdp_stress=3 tdp_stress=4,ops=age"), 0);
	KT_EXPECT_EQ(t, o.stress.rate_ms, 4);
	KT_EXPECT_EQ(t, o.stress.ops, STRESS_AGE);
}

KTEST(cmdline_refuses_bad_tdp_stress_values_by_name)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "tdp_stress=5 tdp_stress=0 tdp_stress=1001 tdp_stress"), 3);
	KT_EXPECT_EQ(t, o.stress.rate_ms, 5);	/* refused values change nothing */
	KT_EXPECT_STREQ(t, o.msgs[0], "tdp_stress: rate '0': expected 1..1000 ms");
	KT_EXPECT_STREQ(t, o.msgs[1], "tdp_stress: rate '1001': expected 1..1000 ms");
	KT_EXPECT_STREQ(t, o.msgs[2], "tdp_stress: expected RATE_MS[,seed=N][,ops=A+B...]");
	KT_EXPECT_EQ(t, parse(&o, "tdp_stress=5ms tdp_stress=5,ops=zap+flush "
			      "tdp_stress=5,ops=zap+zap tdp_stress=5,ops= tdp_stress=5,seed=x "
			      "tdp_stress=5,rate=2 tdp_stress=-1"), 7);
	KT_EXPECT_EQ(t, o.stress.rate_ms, 0);
	KT_EXPECT(t, !o.dirty_log_owner);
	KT_EXPECT_STREQ(t, o.msgs[0], "tdp_stress: rate '5ms': expected 1..1000 ms");
	KT_EXPECT_STREQ(t, o.msgs[1],
			"tdp_stress: unknown op 'flush' (zap, dirty, age, split, retype)");
	KT_EXPECT_STREQ(t, o.msgs[2],
			"tdp_stress: repeated op 'zap' (zap, dirty, age, split, retype)");
	KT_EXPECT_STREQ(t, o.msgs[3], "tdp_stress: unknown op '' (zap, dirty, age, split, retype)");
	KT_EXPECT_STREQ(t, o.msgs[4], "tdp_stress: seed 'x': expected a 64-bit number");
	KT_EXPECT_STREQ(t, o.msgs[5], "tdp_stress: unknown field 'rate=2' (seed=, ops=)");
	KT_EXPECT_STREQ(t, o.msgs[6], "tdp_stress: rate '-1': expected 1..1000 ms");
}

KTEST(cmdline_tdp_stress_and_tdp_telemetry_refuse_each_other)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "tdp_stress=5 tdp_telemetry=1"), 1);
	KT_EXPECT_STREQ(t, o.msgs[0],
			"tdp_telemetry: refused: tdp_stress already logs the platform VM's dirty pages");
	cmdline_defaults(&o);
	o.dirty_log_owner = "tdp_telemetry";	/* as tdp_telemetry= leaves it */
	KT_EXPECT_EQ(t, cmdline_parse("tdp_stress=5", &o), 1);
	KT_EXPECT_EQ(t, o.stress.rate_ms, 0);
	KT_EXPECT_STREQ(t, o.msgs[0],
			"tdp_stress: refused: tdp_telemetry already logs the platform VM's dirty pages");
}

KTEST(load_options_replace_non_ascii_and_cut_overlong_input)
{
	static const u16 wide[] = { 'a', 0x00e9, 'b', '\t', 0x4e2d, 0 };
	static const u8 bytes[] = { 'x', 0xc3, 0xa9, 0x01, 'y' };
	char out[8];

	KT_EXPECT_EQ(t, cmdline_from_load_options(wide, sizeof(wide), out, sizeof(out)), 2);
	KT_EXPECT_STREQ(t, out, "a?b ?");
	KT_EXPECT_EQ(t, cmdline_from_load_options(bytes, sizeof(bytes), out, sizeof(out)), 3);
	KT_EXPECT_STREQ(t, out, "x???y");
	KT_EXPECT_EQ(t, cmdline_from_load_options("0123456789", 10, out, sizeof(out)), 3);
	KT_EXPECT_STREQ(t, out, "0123456");
	KT_EXPECT_EQ(t, cmdline_from_load_options(NULL, 5, out, sizeof(out)), 0);
	KT_EXPECT_STREQ(t, out, "");
}

/* xorshift, so a failure can be replayed */
static u64 rng(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

KTEST(cmdline_survives_random_garbage)
{
	static struct hv_options o;
	static u8 junk[300];
	static char line[CMDLINE_MAX];
	u64 seed = 0x1234567887654321ULL;
	unsigned int round, i, bad = 0;

	for (round = 0; round < 300; round++) {
		size_t len = rng(&seed) % sizeof(junk);

		for (i = 0; i < len; i++) {
			u64 r = rng(&seed);

			/* bias towards the parser's special characters */
			junk[i] = (r & 3) ? (u8)" =\",x0M"[r % 8] : (u8)(r >> 8);
		}
		cmdline_from_load_options(junk, len, line, sizeof(line));
		for (i = 0; line[i]; i++)
			bad += line[i] < 0x20 || line[i] > 0x7e;
		cmdline_defaults(&o);
		cmdline_parse(line, &o);
		bad += o.nmsgs > CMDLINE_MAX_MSGS;
		bad += strnlen(o.ktest, sizeof(o.ktest)) >= sizeof(o.ktest);
	}
	KT_EXPECT_EQ(t, bad, 0);
}

KTEST(cmdline_chooses_which_cpus_become_guests)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, ""), 0);
	KT_EXPECT(t, !o.smp_boot_only);		/* the default: every CPU */
	KT_EXPECT_EQ(t, parse(&o, "smp=all smp_fault=3"), 0);
	KT_EXPECT(t, !o.smp_boot_only);
	KT_EXPECT_EQ(t, o.smp_fault, 3);
	KT_EXPECT_EQ(t, parse(&o, "smp=boot"), 0);
	KT_EXPECT(t, o.smp_boot_only);
	/* Bad values are reported and change nothing. */
	KT_EXPECT_EQ(t, parse(&o, "smp=all smp=some smp smp_fault=0 smp_fault=64 smp_fault=x"), 5);
	KT_EXPECT(t, !o.smp_boot_only);
	KT_EXPECT_EQ(t, o.smp_fault, 0);
}

KTEST(cmdline_takes_the_tick_period_in_milliseconds)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, ""), 0);
	KT_EXPECT_EQ(t, o.tick_ms, 0);		/* the default: no tick asked */
	KT_EXPECT_EQ(t, parse(&o, "tick=10"), 0);
	KT_EXPECT_EQ(t, o.tick_ms, 10);
	KT_EXPECT_EQ(t, parse(&o, "tick=1 tick=10000"), 0);
	KT_EXPECT_EQ(t, o.tick_ms, 10000);
	/* Bad values are refused by name and change nothing. */
	KT_EXPECT_EQ(t, parse(&o, "tick=0 tick=10001 tick tick=5ms tick=-1"), 5);
	KT_EXPECT_EQ(t, o.tick_ms, 0);
	KT_EXPECT_STREQ(t, o.msgs[0], "tick: expected milliseconds, 1..10000, got '0'");
}

KTEST(cmdline_takes_the_fuzzer_seed_duration_and_rounds)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "ktest=fuzz_guest"), 0);
	KT_EXPECT(t, !o.fuzz.seed_set);
	KT_EXPECT_EQ(t, o.fuzz.seconds, 0);
	KT_EXPECT_EQ(t, o.fuzz.iters, 0);
	KT_EXPECT_EQ(t, parse(&o, "fuzz_seed=0 fuzz_seconds=30 fuzz_iters=1000"), 0);
	KT_EXPECT(t, o.fuzz.seed_set);	/* 0 is a seed like any other */
	KT_EXPECT_EQ(t, o.fuzz.seed, 0);
	KT_EXPECT_EQ(t, o.fuzz.seconds, 30);
	KT_EXPECT_EQ(t, o.fuzz.iters, 1000);
	KT_EXPECT_EQ(t, parse(&o, "fuzz_seed=0xffffffffffffffff fuzz_seconds=86400"), 0);
	KT_EXPECT_EQ(t, o.fuzz.seed, ~0ULL);
	KT_EXPECT_EQ(t, o.fuzz.seconds, 86400);
}

KTEST(cmdline_refuses_fuzzer_options_out_of_range)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "fuzz_seed= fuzz_seed=0x10000000000000000 fuzz_seed=12ab"), 3);
	KT_EXPECT(t, !o.fuzz.seed_set);
	KT_EXPECT_EQ(t, parse(&o, "fuzz_seconds=0 fuzz_seconds=86401 fuzz_seconds"), 3);
	KT_EXPECT_EQ(t, o.fuzz.seconds, 0);
	KT_EXPECT_EQ(t, parse(&o, "fuzz_iters=0 fuzz_iters=1000000001 fuzz_iters=-1"), 3);
	KT_EXPECT_EQ(t, o.fuzz.iters, 0);
	KT_EXPECT_STREQ(t, o.msgs[0], "fuzz_iters: expected 1..1000000000, got '0'");
}

KTEST(cmdline_takes_a_gdb_port_and_refuses_bad_ones_by_name)
{
	static struct hv_options o;

	KT_EXPECT_EQ(t, parse(&o, "gdb=ttyS1 gdbwait"), 0);
	cmdline_check_gdb(&o);
	KT_EXPECT_EQ(t, o.nmsgs, 0);
	KT_EXPECT_EQ(t, o.gdb.io, 0x2f8);
	KT_EXPECT_EQ(t, o.gdb.baud, 115200);
	KT_EXPECT(t, o.gdbwait);
	KT_EXPECT_EQ(t, parse(&o, "gdb=uart,io,0x3e8,9600"), 0);
	KT_EXPECT_EQ(t, o.gdb.io, 0x3e8);
	KT_EXPECT_EQ(t, o.gdb.baud, 9600);
	KT_EXPECT_EQ(t, parse(&o, "gdb=efi gdb=ttyS4 gdb=ttyS1,7 gdb gdbwait=1"), 5);
	KT_EXPECT_EQ(t, o.gdb.io, 0);
	KT_EXPECT(t, !o.gdbwait);
	KT_EXPECT(t, ktest_streq(o.msgs[0], "gdb: expected ttyS0..3[,baud] or uart,io,PORT[,baud], "
				 "got 'efi'"));
}

KTEST(cmdline_refuses_gdbwait_without_a_port_and_a_port_shared_with_a_console)
{
	static struct hv_options o;

	parse(&o, "gdbwait");
	cmdline_check_gdb(&o);
	KT_EXPECT(t, !o.gdbwait);
	KT_EXPECT_STREQ(t, o.msgs[0], "gdbwait: refused: no gdb= port to wait on");
	parse(&o, "console=ttyS1 gdb=ttyS1 gdbwait");
	cmdline_check_gdb(&o);
	KT_EXPECT_EQ(t, o.gdb.io, 0);
	KT_EXPECT(t, !o.gdbwait);
	KT_EXPECT_STREQ(t, o.msgs[0], "gdb: refused: port 0x2f8 is a console's too");
	parse(&o, "gdb=ttyS0");		/* the default console is COM1 */
	cmdline_check_gdb(&o);
	KT_EXPECT_EQ(t, o.gdb.io, 0);
	parse(&o, "console=ttyS1 gdb=ttyS0");
	cmdline_check_gdb(&o);
	KT_EXPECT_EQ(t, o.gdb.io, 0x3f8);
}
