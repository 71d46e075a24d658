// SPDX-License-Identifier: MIT
/* The command-line parser (contract in include/boot/cmdline.h). */
#include "boot/cmdline.h"
#include "boot/chainload.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "errcode.h"
#include "lib/panic.h"
#include "vm/tick.h"

#define TOKEN_MAX 256

void cmdline_complain(struct hv_options *o, const char *fmt, ...)
{
	va_list ap;

	if (o->nmsgs >= CMDLINE_MAX_MSGS) {
		o->dropped_msgs++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(o->msgs[o->nmsgs++], sizeof(o->msgs[0]), fmt, ap);
	va_end(ap);
}

void cmdline_defaults(struct hv_options *o)
{
	memset(o, 0, sizeof(*o));
	o->loglevel = 7;
	o->hvmem = HVMEM_DEFAULT;
	o->exit = EXIT_RETURN;
	o->smp_boot_only = false;	/* smp=all */
	o->hvbit = true;
}

int parse_u64(const char *s, u64 *val)
{
	unsigned int base = 10;
	u64 v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (v > (~0ULL - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*val = v;
	return 0;
}

int parse_size(const char *s, u64 *bytes)
{
	char num[32];
	size_t len = strlen(s);
	unsigned int shift = 0;
	u64 v;
	int err;

	if (len == 0 || len >= sizeof(num))
		return len ? -ERANGE : -EINVAL;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	}
	if (shift)
		num[--len] = '\0';
	err = parse_u64(num, &v);
	if (err)
		return err;
	if (shift && v > (~0ULL >> shift))
		return -ERANGE;
	*bytes = v << shift;
	return 0;
}

/*
 * An interval: N (milliseconds), Nms or Ns.  Returns 0 and sets *ms, or
 * -EINVAL / -ERANGE.
 */
static int parse_interval_ms(const char *s, u64 *ms)
{
	char num[24];
	size_t len = strlen(s), unit = 1000;
	u64 v;
	int err;

	if (len >= 3 && !strcmp(s + len - 2, "ms"))
		len -= 2, unit = 1;
	else if (len >= 2 && s[len - 1] == 's')
		len -= 1;
	else
		unit = 1;
	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len);
	num[len] = '\0';
	err = parse_u64(num, &v);
	if (err)
		return err;
	if (v > ~0ULL / unit)
		return -ERANGE;
	*ms = v * unit;
	return 0;
}

/* A baud rate, "115200" or Linux's "115200n8"; 0 is refused. */
static int parse_baud(const char *s, u32 *baud)
{
	char num[16];
	size_t len = strlen(s);
	u64 n;

	if (len > 2 && !strcmp(s + len - 2, "n8"))
		len -= 2;
	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len);
	num[len] = '\0';
	if (parse_u64(num, &n) || !n || n > 0xffffffffULL)
		return -EINVAL;
	*baud = (u32)n;
	return 0;
}

/* BB:DD.F in hex, as lspci prints it. */
static int parse_bdf(const char *s, struct console_spec *c)
{
	unsigned int v[3] = { 0, 0, 0 }, i = 0, digits = 0;
	static const char seps[] = ":.";

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			v[i] = v[i] * 16 + (unsigned int)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			v[i] = v[i] * 16 + (unsigned int)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			v[i] = v[i] * 16 + (unsigned int)(*s - 'A' + 10);
		else if (i < 2 && *s == seps[i] && digits) {
			i++, digits = 0;
			continue;
		} else
			return -EINVAL;
		if (++digits > 2)
			return -EINVAL;
	}
	if (i != 2 || !digits || v[0] > 0xff || v[1] > 0x1f || v[2] > 7)
		return -EINVAL;
	c->pci_bus = (u8)v[0];
	c->pci_dev = (u8)v[1];
	c->pci_fn = (u8)v[2];
	return 0;
}

/*
 * The fields after uart,SPACE,ADDR or pci[,BDF]: a baud and, for MMIO, an
 * explicit shift=N.  Returns 0 or -EINVAL with the reason in *why.
 */
static int parse_port_fields(char *field, struct console_spec *c, bool mmio, const char **why)
{
	char *next;
	u64 n;

	for (; field; field = next) {
		next = strchr(field, ',');
		if (next)
			*next++ = '\0';
		if (!strncmp(field, "shift=", 6)) {
			if (!mmio || parse_u64(field + 6, &n) || n > UART_MAX_SHIFT) {
				*why = mmio ? "shift= expects 0..3" : "shift= is for MMIO UARTs only";
				return -EINVAL;
			}
			c->port.shift = (u8)n;
		} else if (parse_baud(field, &c->port.baud)) {
			*why = mmio ? "expected a baud rate (115200 or 115200n8) or shift=N" :
				      "expected a baud rate (115200 or 115200n8)";
			return -EINVAL;
		}
	}
	return 0;
}

/* uart,io|mmio|mmio16|mmio32,ADDR[,baud][,shift=N] (what follows "uart,"). */
static int parse_uart(char *spec, struct console_spec *c, const char **why)
{
	char *addr = strchr(spec, ','), *rest;
	u64 n;

	if (!addr) {
		*why = "expected uart,io|mmio|mmio16|mmio32,ADDR";
		return -EINVAL;
	}
	*addr++ = '\0';
	rest = strchr(addr, ',');
	if (rest)
		*rest++ = '\0';
	c->port.width = 1;
	if (!strcmp(spec, "io")) {
		c->port.space = UART_SPACE_IO;
		c->port.baud = 115200;
	} else if (!strcmp(spec, "mmio") || !strcmp(spec, "mmio16") || !strcmp(spec, "mmio32")) {
		c->port.space = UART_SPACE_MMIO;
		c->port.width = spec[4] == '3' ? 4 : spec[4] == '1' ? 2 : 1;
		c->port.shift = spec[4] == '3' ? 2 : spec[4] == '1' ? 1 : 0;
	} else {
		*why = "address space not io, mmio, mmio16 or mmio32";
		return -EINVAL;
	}
	if (parse_u64(addr, &n)) {
		*why = "the address is not a number";
		return -EINVAL;
	}
	c->port.base = n;
	if (parse_port_fields(rest, c, c->port.space == UART_SPACE_MMIO, why))
		return -EINVAL;
	*why = uart_port_check(&c->port);
	return *why ? -EINVAL : 0;
}

/* pci[,BB:DD.F][,baud] (what follows "pci"). */
static int parse_pci(char *rest, struct console_spec *c, const char **why)
{
	char *field = *rest == ',' ? rest + 1 : NULL, *next = NULL;
	const struct uart_port std = { .space = UART_SPACE_IO, .width = 1, .base = 0x3f8 };

	if (*rest && !field) {
		*why = "expected pci or pci,BB:DD.F";
		return -EINVAL;
	}
	c->kind = CONSOLE_PCI;
	c->pci_any = true;
	if (field && (strchr(field, ':') || field[0] < '0' || field[0] > '9')) {
		next = strchr(field, ',');
		if (next)
			*next++ = '\0';
		if (parse_bdf(field, c)) {
			*why = "bad PCI address (expected BB:DD.F in hex, e.g. 00:03.0)";
			return -EINVAL;
		}
		c->pci_any = false;
		field = next;
	}
	if (parse_port_fields(field, c, false, why))
		return -EINVAL;
	if (c->port.baud) {	/* checked against the PC's clock, as the card's */
		struct uart_port t = std;

		t.baud = c->port.baud;
		*why = uart_port_check(&t);
	}
	return *why ? -EINVAL : 0;
}

/*
 * console=ttyS<n>[,baud] | uart[8250],io|mmio|mmio16|mmio32,ADDR[,baud]
 * [,shift=N] | pci[,BB:DD.F][,baud] | spcr[,baud] | efi | none.  Returns 0, or
 * -EINVAL with the reason in *why.
 */
static int parse_console(const char *v, struct console_spec *c, const char **why)
{
	char buf[64];
	char *rest;
	u64 n;

	memset(c, 0, sizeof(*c));
	*why = NULL;
	if (strscpy(buf, v, sizeof(buf)) < 0) {
		*why = "too long";
		return -EINVAL;
	}
	if (!strcmp(buf, "efi") || !strcmp(buf, "none") || !strcmp(buf, "spcr")) {
		c->kind = buf[0] == 'e' ? CONSOLE_EFI : buf[0] == 'n' ? CONSOLE_NONE : CONSOLE_SPCR;
		return 0;
	}
	if (!strncmp(buf, "pci", 3))
		return parse_pci(buf + 3, c, why);
	if (!strncmp(buf, "spcr,", 5)) {
		c->kind = CONSOLE_SPCR;
		return parse_port_fields(buf + 5, c, false, why);
	}
	c->kind = CONSOLE_UART;
	if (!strncmp(buf, "uart8250,", 9) || !strncmp(buf, "uart,", 5))
		return parse_uart(strchr(buf, ',') + 1, c, why);
	if (strncmp(buf, "ttyS", 4)) {
		*why = "unknown kind (ttyS0..3, uart,io|mmio|mmio16|mmio32,ADDR, pci, spcr, efi, none)";
		return -EINVAL;
	}
	rest = strchr(buf, ',');
	if (rest)
		*rest++ = '\0';
	if (parse_u64(buf + 4, &n) || n > 3) {
		*why = "expected ttyS0..ttyS3";
		return -EINVAL;
	}
	c->port = (struct uart_port){ .space = UART_SPACE_IO, .width = 1,
				      .base = n == 0 ? 0x3f8 : n == 1 ? 0x2f8 : n == 2 ? 0x3e8 : 0x2e8,
				      .baud = 115200 };
	if (parse_port_fields(rest, c, false, why))
		return -EINVAL;
	*why = uart_port_check(&c->port);
	return *why ? -EINVAL : 0;
}

static const char *const stress_ops[STRESS_NR_OPS] = {
	"zap", "dirty", "age", "split", "retype",
};

/* ops=A+B...: the STRESS_* bits named, or -EINVAL with the bad name in why. */
static int parse_stress_ops(char *list, u32 *ops, char *why, size_t why_size)
{
	char *name = list, *next;
	unsigned int i;

	*ops = 0;
	for (; name; name = next) {
		next = strchr(name, '+');
		if (next)
			*next++ = '\0';
		for (i = 0; i < STRESS_NR_OPS && strcmp(name, stress_ops[i]); i++)
			;
		if (i == STRESS_NR_OPS || (*ops & BIT(i))) {
			snprintf(why, why_size, "%s op '%.16s' (zap, dirty, age, split, retype)",
				 i == STRESS_NR_OPS ? "unknown" : "repeated", name);
			return -EINVAL;
		}
		*ops |= BIT(i);
	}
	return 0;
}

int parse_stress(const char *val, struct stress_config *c, char *why, size_t why_size)
{
	char buf[96], *field, *next;
	u64 n;

	if (!val || strscpy(buf, val, sizeof(buf)) < 0) {
		snprintf(why, why_size, "expected RATE_MS[,seed=N][,ops=A+B...]%s",
			 val ? ": too long" : "");
		return -EINVAL;
	}
	next = strchr(buf, ',');
	if (next)
		*next++ = '\0';
	if (parse_u64(buf, &n) || n < STRESS_RATE_MIN_MS || n > STRESS_RATE_MAX_MS) {
		snprintf(why, why_size, "rate '%.16s': expected %u..%u ms", buf,
			 STRESS_RATE_MIN_MS, STRESS_RATE_MAX_MS);
		return -EINVAL;
	}
	c->rate_ms = (u32)n;
	c->ops = STRESS_ALL;
	c->seed = STRESS_SEED_DEFAULT;
	for (field = next; field; field = next) {
		next = strchr(field, ',');
		if (next)
			*next++ = '\0';
		if (!strncmp(field, "seed=", 5)) {
			if (parse_u64(field + 5, &c->seed)) {
				snprintf(why, why_size, "seed '%.20s': expected a 64-bit number",
					 field + 5);
				return -EINVAL;
			}
		} else if (!strncmp(field, "ops=", 4)) {
			if (parse_stress_ops(field + 4, &c->ops, why, why_size))
				return -EINVAL;
		} else {
			snprintf(why, why_size, "unknown field '%.16s' (seed=, ops=)", field);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Options that log the platform VM's dirty pages, one of which at most
 * may run: both would enable and disable logging on the same slots.
 */
static const char *const dirty_log_options[] = { "tdp_stress", "tdp_telemetry" };

/* True (after a message naming both) when key is such an option and
 * another one already took the platform VM's dirty logs. */
static bool dirty_log_taken(struct hv_options *o, const char *key)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirty_log_options); i++)
		if (!strcmp(key, dirty_log_options[i]))
			break;
	if (i == ARRAY_SIZE(dirty_log_options) || !o->dirty_log_owner ||
	    !strcmp(o->dirty_log_owner, key))
		return false;
	cmdline_complain(o, "%s: refused: %s already logs the platform VM's dirty pages", key,
			 o->dirty_log_owner);
	return true;
}

static bool valid_list(const char *v);

static bool valid_filter(const char *v)
{
	return valid_list(v) && !strchr(v, ',');
}

/* Names made of [A-Za-z0-9_], separated by commas. */
static bool valid_list(const char *v)
{
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		      (*v >= '0' && *v <= '9') || *v == '_' || *v == ','))
			return false;
	return true;
}

/* Applies one key=value (value NULL for a bare key). */
/* key=yes sets *out, key=no clears it; anything else is refused by name. */
static void apply_choice(struct hv_options *o, const char *key, const char *val,
			 const char *yes, const char *no, bool *out)
{
	if (val && !strcmp(val, yes))
		*out = true;
	else if (val && !strcmp(val, no))
		*out = false;
	else
		cmdline_complain(o, "%s: expected %s or %s, got '%s'", key, yes, no,
				 val ? val : "");
}

/* panic=halt | reset | reset,SECONDS */
static void apply_panic(struct hv_options *o, const char *val)
{
	const char *comma = val ? strchr(val, ',') : NULL;
	u64 n;

	if (val && !strcmp(val, "halt")) {
		o->panic_reset = false;
	} else if (val && !strcmp(val, "reset")) {
		o->panic_reset = true;
	} else if (comma && comma - val == 5 && !strncmp(val, "reset", 5) &&
		   !parse_u64(comma + 1, &n) && n <= PANIC_TIMEOUT_MAX) {
		o->panic_reset = true;
		o->panic_timeout = (unsigned int)n;
	} else {
		cmdline_complain(o, "panic: expected halt, reset or reset,SECONDS (0..%u), got '%s'",
				 PANIC_TIMEOUT_MAX, val ? val : "");
	}
}

static void apply(struct hv_options *o, const char *key, const char *val)
{
	u64 n;

	if (dirty_log_taken(o, key))
		return;
	if (!strcmp(key, "loglevel")) {
		if (!val || parse_u64(val, &n) || n > 8)
			cmdline_complain(o, "loglevel: expected 0..8, got '%s'", val ? val : "");
		else
			o->loglevel = (int)n;
	} else if (!strcmp(key, "hvmem")) {
		if (!val || parse_size(val, &n) || n < HVMEM_MIN || n > HVMEM_MAX)
			cmdline_complain(o, "hvmem: expected a size from 8M to 16G, got '%s'",
				 val ? val : "");
		else
			o->hvmem = ALIGN_UP(n, PAGE_SIZE);
	} else if (!strcmp(key, "console")) {
		struct console_spec c;
		const char *why;

		if (!val || parse_console(val, &c, &why))
			cmdline_complain(o, "console=%.40s: %s", val ? val : "",
					 val ? why : "expected a value (ttyS0, uart,..., pci, spcr, efi)");
		else if (o->nconsoles >= CMDLINE_MAX_CONSOLES)
			cmdline_complain(o, "console=%.40s: more than %d consoles, ignored", val,
					 CMDLINE_MAX_CONSOLES);
		else
			o->consoles[o->nconsoles++] = c;
	} else if (!strcmp(key, "ktest")) {
		if (!val || !*val || strlen(val) >= sizeof(o->ktest) || !valid_filter(val))
			cmdline_complain(o, "ktest: expected 'all' or a test-name prefix, got '%s'",
				 val ? val : "");
		else
			strscpy(o->ktest, val, sizeof(o->ktest));
	} else if (!strcmp(key, "ktest_skip")) {
		if (!val || !*val || strlen(val) >= sizeof(o->ktest_skip) || !valid_list(val))
			cmdline_complain(o, "ktest_skip: expected names separated by commas, "
					 "got '%s'", val ? val : "");
		else
			strscpy(o->ktest_skip, val, sizeof(o->ktest_skip));
	} else if (!strcmp(key, "fuzz_seed")) {
		if (!val || parse_u64(val, &n))
			cmdline_complain(o, "fuzz_seed: expected a 64-bit number, got '%s'",
					 val ? val : "");
		else
			o->fuzz.seed = n, o->fuzz.seed_set = true;
	} else if (!strcmp(key, "fuzz_seconds")) {
		if (!val || parse_u64(val, &n) || !n || n > FUZZ_SECONDS_MAX)
			cmdline_complain(o, "fuzz_seconds: expected 1..%u, got '%s'",
					 FUZZ_SECONDS_MAX, val ? val : "");
		else
			o->fuzz.seconds = n;
	} else if (!strcmp(key, "fuzz_iters")) {
		if (!val || parse_u64(val, &n) || !n || n > FUZZ_ITERS_MAX)
			cmdline_complain(o, "fuzz_iters: expected 1..%llu, got '%s'",
					 FUZZ_ITERS_MAX, val ? val : "");
		else
			o->fuzz.iters = n;
	} else if (!strcmp(key, "bench")) {
		if (!val || !*val || strlen(val) >= sizeof(o->bench) || !valid_filter(val))
			cmdline_complain(o, "bench: expected 'all' or a benchmark-name prefix, "
					 "got '%s'", val ? val : "");
		else
			strscpy(o->bench, val, sizeof(o->bench));
	} else if (!strcmp(key, "next")) {
		if (!val || next_path_form(val, NULL) == NEXT_BAD || strlen(val) >= sizeof(o->next))
			cmdline_complain(o, "next: expected \\EFI\\x.efi, fsN:\\EFI\\x.efi or a device "
					 "path like PciRoot(0x0)/.../\\EFI\\x.efi (at most %zu characters), "
					 "got '%.60s'", sizeof(o->next) - 1, val ? val : "");
		else
			strscpy(o->next, val, sizeof(o->next));
	} else if (!strcmp(key, "next_args")) {
		if (!val || strlen(val) >= sizeof(o->next_args)) {
			cmdline_complain(o, "next_args: expected at most %zu characters",
					 sizeof(o->next_args) - 1);
			o->next_args_refused = true;
		} else {
			strscpy(o->next_args, val, sizeof(o->next_args));
			o->next_args_refused = false;
		}
	} else if (!strcmp(key, "hvprobe")) {
		if (val)
			cmdline_complain(o, "hvprobe takes no value, got '%s'", val);
		else
			o->hvprobe = true;
	} else if (!strcmp(key, "bluepill")) {
		if (val)
			cmdline_complain(o, "bluepill takes no value, got '%s'", val);
		else
			o->bluepill = true;
	} else if (!strcmp(key, "smp")) {
		apply_choice(o, key, val, "boot", "all", &o->smp_boot_only);
	} else if (!strcmp(key, "smp_fault")) {
		if (!val || parse_u64(val, &n) || !n || n >= 64)
			cmdline_complain(o, "smp_fault: expected an AP's number, 1..63, got '%s'",
					 val ? val : "");
		else
			o->smp_fault = (unsigned int)n;
	} else if (!strcmp(key, "gdb")) {
		struct console_spec c;
		const char *why = NULL;

		if (!val || parse_console(val, &c, &why) || c.kind != CONSOLE_UART ||
		    c.port.space != UART_SPACE_IO || (c.port.baud && c.port.baud < 300))
			cmdline_complain(o, "gdb: expected ttyS0..3[,baud] or uart,io,PORT[,baud], "
					 "got '%.40s'", val ? val : "");
		else {
			o->gdb.io = (u16)c.port.base;
			o->gdb.baud = c.port.baud ? c.port.baud : 115200;
		}
	} else if (!strcmp(key, "gdbwait")) {
		if (val)
			cmdline_complain(o, "gdbwait takes no value, got '%s'", val);
		else
			o->gdbwait = true;
	} else if (!strcmp(key, "debugwait")) {
		if (val)
			cmdline_complain(o, "debugwait takes no value, got '%s'", val);
		else
			o->debugwait = true;
	} else if (!strcmp(key, "crashtest")) {
		if (val && (!strcmp(val, "ud") || !strcmp(val, "pf") || !strcmp(val, "bug") ||
			    !strcmp(val, "early") || !strcmp(val, "panic")))
			strscpy(o->crashtest, val, sizeof(o->crashtest));
		else
			cmdline_complain(o, "crashtest: expected ud, pf, bug, early or panic, got '%s'",
					 val ? val : "");
	} else if (!strcmp(key, "tick")) {
		if (!val || parse_u64(val, &n) || n < TICK_MIN_MS || n > TICK_MAX_MS)
			cmdline_complain(o, "tick: expected milliseconds, %u..%u, got '%s'",
					 TICK_MIN_MS, TICK_MAX_MS, val ? val : "");
		else
			o->tick_ms = (unsigned int)n;
	} else if (!strcmp(key, "tdp_dirty")) {
		if (val && (!strcmp(val, "pml") || !strcmp(val, "dbit") || !strcmp(val, "wp")))
			strscpy(o->tdp_dirty, val, sizeof(o->tdp_dirty));
		else
			cmdline_complain(o, "tdp_dirty: expected pml, dbit or wp, got '%s'",
					 val ? val : "");
	} else if (!strcmp(key, "tdp_telemetry")) {
		if (!val || parse_interval_ms(val, &n) || n < TELEMETRY_MS_MIN ||
		    n > TELEMETRY_MS_MAX)
			cmdline_complain(o, "tdp_telemetry: expected an interval from %ums to %us "
					 "(1s, 500ms), got '%s'", TELEMETRY_MS_MIN,
					 TELEMETRY_MS_MAX / 1000, val ? val : "");
		else {
			o->telemetry_ms = (u32)n;
			o->dirty_log_owner = "tdp_telemetry";
		}
	} else if (!strcmp(key, "tdp_stress")) {
		struct stress_config c;
		char why[80];

		if (parse_stress(val, &c, why, sizeof(why))) {
			cmdline_complain(o, "tdp_stress: %s", why);
		} else {
			o->stress = c;
			o->dirty_log_owner = "tdp_stress";
		}
	} else if (!strcmp(key, "exit")) {
		if (val && !strcmp(val, "qemu"))
			o->exit = EXIT_QEMU;
		else if (val && !strcmp(val, "bochs"))
			o->exit = EXIT_BOCHS;
		else if (val && !strcmp(val, "return"))
			o->exit = EXIT_RETURN;
		else if (val && !strcmp(val, "poweroff"))
			o->exit = EXIT_POWEROFF;
		else if (val && !strcmp(val, "reset"))
			o->exit = EXIT_RESET;
		else
			cmdline_complain(o, "exit: expected qemu, bochs, poweroff, reset or return, got '%s'",
				 val ? val : "");
	} else if (!strcmp(key, "panic")) {
		apply_panic(o, val);
	} else if (!strcmp(key, "panic_timeout")) {
		if (!val || parse_u64(val, &n) || n > PANIC_TIMEOUT_MAX)
			cmdline_complain(o, "panic_timeout: expected seconds, 0..%u, got '%s'",
					 PANIC_TIMEOUT_MAX, val ? val : "");
		else
			o->panic_timeout = (unsigned int)n;
	} else if (!strcmp(key, "hvbit")) {
		apply_choice(o, key, val, "on", "off", &o->hvbit);
	} else if (!strcmp(key, "s3")) {
		apply_choice(o, key, val, "awake", "resume", &o->s3_awake);
	} else {
		cmdline_complain(o, "unknown option '%s'", key);
	}
}

void cmdline_check_gdb(struct hv_options *o)
{
	unsigned int i;
	u16 com1 = 0x3f8;

	if (o->gdbwait && !o->gdb.io) {
		cmdline_complain(o, "gdbwait: refused: no gdb= port to wait on");
		o->gdbwait = false;
	}
	if (!o->gdb.io)
		return;
	for (i = 0; i < o->nconsoles; i++)
		if (o->consoles[i].kind == CONSOLE_UART &&
		    o->consoles[i].port.space == UART_SPACE_IO && o->consoles[i].port.base == o->gdb.io)
			break;
	if (i < o->nconsoles || (!o->nconsoles && o->gdb.io == com1)) {
		cmdline_complain(o, "gdb: refused: port 0x%x is a console's too", o->gdb.io);
		o->gdb.io = 0;
		o->gdbwait = false;
	}
}

/*
 * Copies the next token of *sp into tok (quotes group, and are removed).
 * Returns the token length, 0 at the end, or -E2BIG when it was cut.
 */
static int next_token(const char **sp, char *tok)
{
	const char *s = *sp;
	bool quoted = false, cut = false;
	int n = 0;

	while (*s == ' ')
		s++;
	if (!*s) {
		*sp = s;
		return 0;
	}
	for (; *s && (quoted || *s != ' '); s++) {
		if (*s == '"') {
			quoted = !quoted;
			continue;
		}
		if (n < TOKEN_MAX - 1)
			tok[n++] = *s;
		else
			cut = true;
	}
	tok[n] = '\0';
	*sp = s;
	return cut ? -E2BIG : (n ? n : 1);
}

unsigned int cmdline_parse(const char *s, struct hv_options *o)
{
	unsigned int before = o->nmsgs + o->dropped_msgs;
	char tok[TOKEN_MAX];
	int n;

	while ((n = next_token(&s, tok)) != 0) {
		char *eq;

		if (n == -E2BIG) {
			cmdline_complain(o, "option '%.24s...' longer than %d characters, ignored",
				 tok, TOKEN_MAX - 1);
			if (!strncmp(tok, "next_args=", 10))
				o->next_args_refused = true;
			continue;
		}
		if (!tok[0])
			continue;	/* "" */
		eq = strchr(tok, '=');
		if (eq)
			*eq++ = '\0';
		if (!tok[0]) {
			cmdline_complain(o, "option without a name ('=%.24s'), ignored", eq);
			continue;
		}
		apply(o, tok, eq);
	}
	return o->nmsgs + o->dropped_msgs - before;
}

/* c as the command line takes it: tabs and line ends become spaces, other
 * control characters and non-ASCII become '?' (counted in *bad). */
static char sane_char(u32 c, unsigned int *bad)
{
	if (c == '\t' || c == '\n' || c == '\r')
		return ' ';
	if (c < 0x20 || c > 0x7e) {
		(*bad)++;
		return '?';
	}
	return (char)c;
}

/* Appends c to out, sanitised; returns 1 if c had to be replaced or cut. */
static unsigned int put_sane(char *out, size_t *len, size_t outsz, u32 c)
{
	unsigned int bad = 0;
	char ch = sane_char(c, &bad);

	if (*len + 1 >= outsz)
		return 1;
	out[(*len)++] = ch;
	return bad;
}

/* Drops a leading image name (the shell's argv[0]) such as "\EFI\hv.efi". */
static void drop_image_name(char *out)
{
	char *end = out;
	size_t n;

	while (*end == ' ')
		end++;
	while (*end && *end != ' ')
		end++;
	n = (size_t)(end - out);
	if (n >= 4 && (!strncmp(end - 4, ".efi", 4) || !strncmp(end - 4, ".EFI", 4)))
		memmove(out, end, strlen(end) + 1);
}

unsigned int cmdline_from_load_options(const void *data, size_t size, char *out,
				       size_t outsz)
{
	const u8 *b = data;
	unsigned int bad = 0;
	size_t len = 0, i;
	bool ucs2;

	if (!outsz)
		return 0;
	out[0] = '\0';
	if (!data || !size)
		return 0;
	/*
	 * UCS-2 when the first character is ASCII with a zero high byte: an
	 * 8-bit string has a printable second byte there instead.
	 */
	ucs2 = size >= 2 && !(size & 1) && b[0] && !b[1];
	if (ucs2) {
		for (i = 0; i + 1 < size; i += 2) {
			u32 c = b[i] | (u32)b[i + 1] << 8;

			if (!c)
				break;
			bad += put_sane(out, &len, outsz, c);
		}
	} else {
		for (i = 0; i < size && b[i]; i++)
			bad += put_sane(out, &len, outsz, b[i]);
	}
	out[len] = '\0';
	drop_image_name(out);
	return bad;
}

/* hv.cfg's blanks inside a line, and its line ends (LF, CRLF, CR alone). */
static bool cfg_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool cfg_eol(char c)
{
	return c == '\n' || c == '\r';
}

/*
 * The length of out[0..len) without the option that did not fit: up to
 * the last space outside quotes (where next_token() splits), or all of it
 * when the character that did not fit, next, was such a space itself.
 */
static size_t whole_options(const char *out, size_t len, char next)
{
	size_t i, end = 0;
	bool quoted = false;

	for (i = 0; i < len; i++) {
		if (out[i] == '"')
			quoted = !quoted;
		else if (out[i] == ' ' && !quoted)
			end = i;
	}
	return next == ' ' && !quoted ? len : end;
}

/*
 * Appends c, sanitised, to out; false (and *cut set, out back to its whole
 * options) when it does not fit.
 */
static bool cfg_put(char *out, size_t *len, size_t outsz, u8 c, unsigned int *bad, bool *cut)
{
	unsigned int replaced = 0;
	char ch = sane_char(c, &replaced);

	if (*len + 1 >= outsz) {
		*len = whole_options(out, *len, ch);
		*cut = true;
		return false;
	}
	out[(*len)++] = ch;
	*bad += replaced;
	return true;
}

unsigned int cmdline_from_config(const char *data, size_t size, char *out, size_t outsz,
				 bool *cut)
{
	unsigned int bad = 0;
	size_t len = 0, i = 0;

	*cut = false;
	if (!outsz)
		return 0;
	while (i < size && data[i] && !*cut) {
		size_t eol = i, end, next;

		while (eol < size && data[eol] && !cfg_eol(data[eol]))
			eol++;
		next = eol < size && cfg_eol(data[eol]) ? eol + 1 : eol;
		while (i < eol && cfg_blank(data[i]))
			i++;
		for (end = eol; end > i && cfg_blank(data[end - 1]); end--)
			;
		if (i < end && data[i] != '#' &&
		    (!len || cfg_put(out, &len, outsz, ' ', &bad, cut)))
			while (i < end && cfg_put(out, &len, outsz, (u8)data[i], &bad, cut))
				i++;
		i = next;
	}
	out[len] = '\0';
	return bad;
}

/* The length of data[0..len) up to the end of its last whole line. */
static size_t whole_lines(const char *data, size_t len)
{
	while (len && !cfg_eol(data[len - 1]))
		len--;
	return len;
}

/* True when data[0..len) holds an option: a line not blank, not a comment. */
static bool cfg_has_option(const char *data, size_t len)
{
	size_t i = 0;

	while (i < len && (cfg_blank(data[i]) || cfg_eol(data[i])))
		i++;
	return i < len && data[i] != '#';
}

/* The number of the line that starts at data[at] (1 for the first). */
static unsigned int cfg_line_number(const char *data, size_t at)
{
	unsigned int line = 1;
	size_t i;

	for (i = 0; i < at; i++)
		line += data[i] == '\n' || (data[i] == '\r' && (i + 1 == at || data[i + 1] != '\n'));
	return line;
}

unsigned int cmdline_read_config(struct hv_options *o, const char *data, size_t size,
				 bool more, char *out, size_t outsz)
{
	unsigned int before = o->nmsgs + o->dropped_msgs, bad;
	size_t len = strnlen(data, size), whole = len;
	bool cut;

	if (!outsz)
		return 0;
	if (more)
		cmdline_complain(o, CMDLINE_CFG_FILE ": longer than %zu bytes: the rest is ignored",
				 size);
	if (len < size)
		cmdline_complain(o, CMDLINE_CFG_FILE ": a NUL byte at offset %zu: the %zu bytes from "
				 "there on are ignored", len, size - len);
	if (more || len < size) {
		whole = whole_lines(data, len);
		if (cfg_has_option(data + whole, len - whole))
			cmdline_complain(o, CMDLINE_CFG_FILE ": line %u is cut short there: ignored "
					 "whole", cfg_line_number(data, whole));
	}
	bad = cmdline_from_config(data, whole, out, outsz, &cut);
	if (bad)
		cmdline_complain(o, CMDLINE_CFG_FILE ": %u non-ASCII or control characters "
				 "replaced with '?'", bad);
	if (cut)
		cmdline_complain(o, CMDLINE_CFG_FILE ": options longer than %zu characters: the "
				 "rest is ignored", outsz - 1);
	cmdline_parse(out, o);
	return o->nmsgs + o->dropped_msgs - before;
}
