/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's command line, in kernel syntax:
 *
 *	loglevel=7 console=ttyS0,115200 hvmem=64M ktest=all exit=qemu
 *
 * It comes from hv.cfg next to hv.efi and from the image's load options (UEFI
 * shell arguments, or a Boot#### entry's optional data), in that order, so
 * load options override the file.  Parsing never fails: an unknown or
 * malformed option is reported by name (cmdline_parse() returns the
 * messages) and ignored; garbage, very long or non-ASCII input is cut and
 * sanitised first.  This file is host-testable: no firmware calls.
 */
#ifndef TDPVISOR_CMDLINE_H
#define TDPVISOR_CMDLINE_H

#include "types.h"
#include "compiler.h"
#include "lib/ktest.h"
#include "vm/stress.h"
#include "arch/uart.h"

#define CMDLINE_MAX 1024
#define CMDLINE_MAX_CONSOLES 4
#define CMDLINE_MAX_MSGS 8
#define HVMEM_DEFAULT (64ULL << 20)
#define HVMEM_MIN (8ULL << 20)
#define HVMEM_MAX (16ULL << 30)
#define FUZZ_SECONDS_MAX 86400U	/* fuzz_seconds=: up to a day */
#define FUZZ_ITERS_MAX 1000000000ULL
#define TELEMETRY_MS_MIN 10U		/* tdp_telemetry=: 10 ms .. 60 s */
#define TELEMETRY_MS_MAX 60000U

enum console_kind { CONSOLE_UART, CONSOLE_EFI, CONSOLE_NONE, CONSOLE_PCI, CONSOLE_SPCR };

/*
 * One console= option.  UART: the port as given (ttyS and io default to
 * 115200 baud; mmio, pci and spcr keep the firmware's rate unless one is
 * given: baud 0).  PCI: the card's address, or pci_any for the first
 * 16550-compatible serial controller; port.baud as for a UART.
 */
struct console_spec {
	enum console_kind kind;
	struct uart_port port;
	bool pci_any;
	u8 pci_bus, pci_dev, pci_fn;
};

enum exit_mode { EXIT_RETURN, EXIT_QEMU, EXIT_BOCHS, EXIT_POWEROFF, EXIT_RESET };

struct hv_options {
	int loglevel;
	u64 hvmem;
	struct console_spec consoles[CMDLINE_MAX_CONSOLES];
	unsigned int nconsoles;	/* 0: the default, ttyS0,115200 and efi */
	char ktest[64];		/* in-hypervisor unit tests to run; "" = none */
	char bench[64];		/* in-hypervisor benchmarks to run; "" = none */
	char ktest_skip[64];	/* comma-separated sub-cases the tests leave out */
	struct ktest_fuzz fuzz;	/* fuzz_seed=, fuzz_seconds=, fuzz_iters= */
	enum exit_mode exit;
	/* hvprobe: as a guest of tdpvisor, try to reach the hypervisor's memory */
	bool hvprobe;
	/* bluepill: stay resident and run the firmware as a guest */
	bool bluepill;
	/* hvbit=on|off: the platform VM's CPUID shows the hypervisor bit and
	 * the 0x40000000 leaves (on, the default) or not (off) */
	bool hvbit;
	/* s3=resume|awake: a guest's S3 sleep puts the machine to sleep and
	 * the hypervisor resumes under it (resume, the default), or never
	 * reaches the hardware: the OS wakes at once (awake) */
	bool s3_awake;
	/* smp=boot: only the boot CPU becomes a guest (smp=all: every CPU) */
	bool smp_boot_only;
	/* smp_fault=N: AP N pretends it cannot enable VMX/SVM (tests the rollback) */
	unsigned int smp_fault;
	/* next=\path\image.efi and its load options: the stage booted next */
	char next[256];		/* CHAINLOAD_MAX_PATH */
	char next_args[256];	/* CHAINLOAD_MAX_ARGS */
	bool next_args_refused;	/* a next_args= was refused: next= must not start */
	bool panic_reset;	/* panic=reset (else halt) */
	unsigned int panic_timeout;	/* panic=reset,S or panic_timeout=S: seconds first */
	/* gdb=ttyS1 | uart,io,PORT[,baud]: the gdb stub's UART (io 0: none) */
	struct {
		u16 io;
		u32 baud;
	} gdb;
	/* gdbwait: the boot CPU stops in the stub after the banner */
	bool gdbwait;
	/* debugwait: stop after the banner until a debugger clears hv_debug_wait. */
	bool debugwait;
	/* tick=MS: the hypervisor's tick on every guest CPU (0: none asked) */
	unsigned int tick_ms;
	/* tdp_dirty=pml|dbit|wp: the dirty-logging mode to use; "" = the best offered. */
	char tdp_dirty[8];
	/* tdp_telemetry=INTERVAL: memory telemetry every telemetry_ms; 0 = off. */
	u32 telemetry_ms;
	/* tdp_stress=: stress the platform VM's TDP map (rate_ms 0: off). */
	struct stress_config stress;
	/* The option that logs the platform VM's dirty pages (tdp_stress or
	 * tdp_telemetry: they exclude each other), or NULL. */
	const char *dirty_log_owner;
	/* A deliberate hypervisor crash, to test the panic path: "ud", "pf", "bug",
	 * "early" (before the consoles), "panic" (while the platform VM runs). */
	char crashtest[8];
	/* What was wrong with the input, for the caller to log. */
	char msgs[CMDLINE_MAX_MSGS][96];
	unsigned int nmsgs;
	unsigned int dropped_msgs;
};

void cmdline_defaults(struct hv_options *o);
/* Records a problem with the input in o->msgs (counted when full). */
__printf(2, 3) void cmdline_complain(struct hv_options *o, const char *fmt, ...);

/*
 * Parses s (NUL-terminated) into o, on top of what o holds already.
 * Returns the number of problems found (each also recorded in o->msgs).
 */
unsigned int cmdline_parse(const char *s, struct hv_options *o);

/*
 * After all the options are in: gdbwait without gdb=, and a gdb= port that
 * a console= uses too (console and stub would garble each other), are
 * refused with a message; the stub is then off.
 */
void cmdline_check_gdb(struct hv_options *o);

/*
 * Turns load options (UCS-2 from the shell or a boot entry, or 8-bit bytes)
 * into a printable ASCII command line in out: control characters become
 * spaces, anything else outside ASCII becomes '?', and the image's own name
 * (the shell's argv[0]) is dropped.  Returns the number of characters that
 * had to be replaced or cut; out is always terminated.
 */
unsigned int cmdline_from_load_options(const void *data, size_t size, char *out,
				       size_t outsz);

/*
 * hv.cfg's text into a command line in out, sanitised as load options are.
 * The text ends at size bytes or at a NUL.  Lines end with LF, CRLF or a
 * CR alone; a line whose first character after blanks (spaces, tabs) is
 * '#' is a comment, and blank lines are ignored; the other lines, without
 * their leading and trailing blanks, are joined with one space.  A '#'
 * later in a line is not a comment.  When the options do not fit in out
 * (outsz - 1 characters), *cut is set and out ends after the last one that
 * fitted whole (split where cmdline_parse() splits: at spaces outside
 * quotes), so no option is ever cut short.  Returns the number of
 * characters replaced; out is always terminated.
 */
unsigned int cmdline_from_config(const char *data, size_t size, char *out, size_t outsz,
				 bool *cut);

#define CMDLINE_CFG_FILE "hv.cfg"

/*
 * Reads hv.cfg into o: data holds its first size bytes (more: the file
 * goes on past them).  Each problem is recorded in o->msgs by name: a file
 * longer than size, a NUL byte (where, and how much it drops), characters
 * replaced, options past outsz - 1 characters.  A line cut short by the
 * end of what was read or by a NUL is ignored whole, and named when it
 * held options.  The text (cmdline_from_config()) is left in out and
 * parsed on top of what o holds.  Returns the number of problems.
 */
unsigned int cmdline_read_config(struct hv_options *o, const char *data, size_t size,
				 bool more, char *out, size_t outsz);

/*
 * Parses a size with an optional K/M/G suffix ("64M").  Returns 0 and sets
 * *bytes, or -EINVAL (not a size) / -ERANGE (overflow).
 */
int parse_size(const char *s, u64 *bytes);
/* Parses a decimal or 0x-prefixed number.  Returns 0, -EINVAL or -ERANGE. */
int parse_u64(const char *s, u64 *val);
/*
 * Parses the value of tdp_stress=, RATE_MS[,seed=N][,ops=A+B...] (ops:
 * zap, dirty, age, split, retype; default all, seed STRESS_SEED_DEFAULT),
 * into *c.  Returns 0, or -EINVAL with a reason naming the bad part in why.
 */
int parse_stress(const char *val, struct stress_config *c, char *why, size_t why_size);

#endif
