/* SPDX-License-Identifier: MIT */
/*
 * The GDB remote serial protocol, vendor- and transport-neutral
 * (lib/gdbstub.c).  A stopped CPU's registers are handed to
 * gdbstub_session(), which talks to gdb over the byte stream in struct
 * gdb_ops until gdb resumes (c, s) or lets go (D, k).  The arch part
 * (arch/gdbstub_x86.c) supplies the stream (a 16550), memory access checked
 * against the page tables, and the trap entry points; the host unit tests
 * supply a scripted stream and a fake memory instead.
 *
 * Framing: $data#cc with cc the two-digit hex sum of data mod 256.  A good
 * packet is acked with '+', a bad checksum with '-' (gdb sends it again);
 * one longer than GDB_PACKET_MAX is acked and answered E01.  Replies are
 * sent until gdb acks them ('-' resends, at most GDB_RESENDS times).
 */
#ifndef TDPVISOR_GDBSTUB_H
#define TDPVISOR_GDBSTUB_H

#include "types.h"

/* What qSupported offers as PacketSize (hex 0x1000). */
#define GDB_PACKET_MAX 4096
#define GDB_MAX_BREAKPOINTS 32
#define GDB_RESENDS 8
#define GDB_INTERRUPT 0x03	/* Ctrl-C from gdb while the target runs */
#define GDB_BREAKPOINT_INSN 0xcc	/* int3 */

/* Signals in stop replies, as gdb numbers them. */
#define GDB_SIGINT 2
#define GDB_SIGILL 4
#define GDB_SIGTRAP 5
#define GDB_SIGABRT 6
#define GDB_SIGBUS 7
#define GDB_SIGFPE 8
#define GDB_SIGSEGV 11

/* gdb's i386:x86-64 'g' packet without a target description: 16 GPRs,
 * rip and the 32-bit eflags, cs, ss, ds, es, fs, gs (the x87/SSE state
 * that follows in gdb's layout is left out: the host has none). */
enum gdb_reg {
	GDB_RAX, GDB_RBX, GDB_RCX, GDB_RDX, GDB_RSI, GDB_RDI, GDB_RBP, GDB_RSP,
	GDB_R8, GDB_R9, GDB_R10, GDB_R11, GDB_R12, GDB_R13, GDB_R14, GDB_R15,
	GDB_RIP, GDB_EFLAGS, GDB_CS, GDB_SS, GDB_DS, GDB_ES, GDB_FS, GDB_GS,
	GDB_NR_REGS
};
/* Bytes of register r in the 'g' packet. */
static inline unsigned int gdb_reg_size(unsigned int r)
{
	return r < GDB_EFLAGS ? 8 : 4;
}
#define GDB_REGS_BYTES (17 * 8 + 7 * 4)

struct gdb_regs {
	u64 r[GDB_NR_REGS];
};

struct gdb_ops {
	/* The next byte from gdb, waiting for it; -1 when the line is gone. */
	int (*getc)(void *ctx);
	void (*putc)(void *ctx, u8 c);
	/* Copy up to len bytes at addr; return how many could be, from the
	 * start (0: addr itself is not mapped).  Never fault. */
	size_t (*read_mem)(void *ctx, u64 addr, void *buf, size_t len);
	size_t (*write_mem)(void *ctx, u64 addr, const void *buf, size_t len);
	/* Optional: false where no breakpoint may go (the trap path). */
	bool (*may_break)(void *ctx, u64 addr);
};

enum gdb_resume { GDB_CONTINUE, GDB_STEP, GDB_DETACH };

struct gdb_breakpoint {
	u64 addr;
	u8 saved;	/* the byte the INT3 replaced, while armed */
	bool used;
	bool armed;	/* the INT3 is in memory (the target runs) */
};

struct gdb_stats {
	u64 packets, bad_checksums, overlong, unsupported, errors;
};

struct gdb_stub {
	const struct gdb_ops *ops;
	void *ctx;
	struct gdb_breakpoint bps[GDB_MAX_BREAKPOINTS];
	struct gdb_stats stats;
	bool running;		/* gdb waits for a stop reply (after c or s) */
	bool swbreak;		/* gdb takes "swbreak:" in stop replies */
	int pushback;		/* a byte read ahead, or -1 */
	char in[GDB_PACKET_MAX + 1];
	char out[GDB_PACKET_MAX + 1];
};

void gdbstub_init(struct gdb_stub *s, const struct gdb_ops *ops, void *ctx);

/*
 * Runs the protocol for one stop of the target: when gdb waits for one
 * (it resumed the target before), the stop reply for signo first (with
 * "swbreak:" when the stop is at one of our breakpoints); then packets
 * until gdb resumes or detaches.  Breakpoints are in memory only while
 * the target runs: taken out on entry, put in when gdb resumes.  r holds the registers and receives gdb's
 * changes (an address given with c or s becomes r's rip).  Returns how to
 * go on; GDB_DETACH also when the line is gone.  On detach every
 * breakpoint is removed first.
 */
enum gdb_resume gdbstub_session(struct gdb_stub *s, struct gdb_regs *r, int signo,
				bool at_breakpoint);

/* True when gdb has a breakpoint at addr (in memory or not). */
bool gdbstub_is_breakpoint(const struct gdb_stub *s, u64 addr);
/* Puts back every byte our breakpoints replaced; returns how many. */
unsigned int gdbstub_remove_all(struct gdb_stub *s);

/* ---- the codec, exported for the tests ---- */
/* A hex digit's value, or -1. */
int gdb_hex_digit(int c);
/* Writes 2*n lowercase hex digits of buf into out (not terminated). */
void gdb_hex_encode(char *out, const void *buf, size_t n);
/* Decodes exactly 2*n hex digits of in into buf; 0 or -EINVAL. */
int gdb_hex_decode(void *buf, const char *in, size_t n);
/* Parses 1..16 hex digits at *p into *v and moves *p past them; 0 or
 * -EINVAL (no digit, or more than 16). */
int gdb_parse_hex(const char **p, u64 *v);
/* The checksum of n bytes: their sum mod 256. */
u8 gdb_checksum(const char *data, size_t n);

enum gdb_rx {
	GDB_RX_PACKET,		/* s->in holds a good packet (NUL-terminated) */
	GDB_RX_BAD_CHECKSUM,	/* nacked with '-' */
	GDB_RX_OVERLONG,	/* acked; the caller answers E01 */
	GDB_RX_INTERRUPT,	/* 0x03 outside a packet */
	GDB_RX_GONE,		/* the line is gone */
};
/* Reads bytes up to the end of one packet (or an interrupt); sends the
 * ack or nack.  Returns what came and sets *len for a packet. */
enum gdb_rx gdb_recv_packet(struct gdb_stub *s, size_t *len);
/* Sends data as one packet and waits for gdb's ack; 0, or -EIO when it
 * was nacked GDB_RESENDS times or the line is gone. */
int gdb_send_packet(struct gdb_stub *s, const char *data, size_t n);
/* Answers one packet (s->in, len bytes).  Returns -1 to stay stopped, else
 * the enum gdb_resume the packet asked for. */
int gdb_handle_packet(struct gdb_stub *s, struct gdb_regs *r, size_t len, int signo,
		      bool at_breakpoint);

#endif
