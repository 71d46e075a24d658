// SPDX-License-Identifier: MIT
/*
 * The GDB remote serial protocol (contract in include/lib/gdbstub.h).
 * Everything gdb sends is checked before anything is changed: a packet
 * that does not parse, names a register we do not have or memory that is
 * not mapped gets an E reply; a command we do not know gets the empty
 * reply, which tells gdb it is not supported.  Nothing here touches the
 * machine: memory and the line go through struct gdb_ops.
 */
#include "lib/gdbstub.h"
#include "lib/string.h"
#include "errcode.h"

static const char hexdigits[] = "0123456789abcdef";

int gdb_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void gdb_hex_encode(char *out, const void *buf, size_t n)
{
	const u8 *b = buf;

	for (; n; n--, b++) {
		*out++ = hexdigits[*b >> 4];
		*out++ = hexdigits[*b & 15];
	}
}

int gdb_hex_decode(void *buf, const char *in, size_t n)
{
	u8 *b = buf;
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = gdb_hex_digit(in[2 * i]), lo;

		if (hi < 0)
			return -EINVAL;
		lo = gdb_hex_digit(in[2 * i + 1]);
		if (lo < 0)
			return -EINVAL;
		b[i] = (u8)(hi << 4 | lo);
	}
	return 0;
}

int gdb_parse_hex(const char **p, u64 *v)
{
	const char *s = *p;
	unsigned int n = 0;
	u64 val = 0;
	int d;

	while ((d = gdb_hex_digit(*s)) >= 0) {
		if (++n > 16)
			return -EINVAL;
		val = val << 4 | (u64)d;
		s++;
	}
	if (!n)
		return -EINVAL;
	*v = val;
	*p = s;
	return 0;
}

u8 gdb_checksum(const char *data, size_t n)
{
	u8 sum = 0;

	while (n--)
		sum = (u8)(sum + (u8)*data++);
	return sum;
}

static int next_byte(struct gdb_stub *s)
{
	int c = s->pushback;

	if (c >= 0) {
		s->pushback = -1;
		return c;
	}
	return s->ops->getc(s->ctx);
}

/* The two checksum digits after '#': their value, or -1 (bad digit), or
 * -2 (the line is gone). */
static int read_checksum(struct gdb_stub *s)
{
	int hi, lo;

	hi = next_byte(s);
	if (hi < 0)
		return -2;
	lo = next_byte(s);
	if (lo < 0)
		return -2;
	hi = gdb_hex_digit(hi);
	lo = gdb_hex_digit(lo);
	return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

enum gdb_rx gdb_recv_packet(struct gdb_stub *s, size_t *len)
{
	size_t n = 0;
	u8 sum = 0;
	int c, want;

	do {		/* anything before '$' (stray acks, noise) is dropped */
		c = next_byte(s);
		if (c < 0)
			return GDB_RX_GONE;
		if (c == GDB_INTERRUPT)
			return GDB_RX_INTERRUPT;
	} while (c != '$');
	while ((c = next_byte(s)) != '#') {
		if (c < 0)
			return GDB_RX_GONE;
		if (c == '$') {		/* a new start: the old packet was cut */
			n = 0, sum = 0;
			continue;
		}
		sum = (u8)(sum + c);
		if (n < GDB_PACKET_MAX)
			s->in[n] = (char)c;
		n++;
	}
	want = read_checksum(s);
	if (want == -2)
		return GDB_RX_GONE;
	if (want != sum) {
		s->stats.bad_checksums++;
		s->ops->putc(s->ctx, '-');
		return GDB_RX_BAD_CHECKSUM;
	}
	s->ops->putc(s->ctx, '+');
	if (n > GDB_PACKET_MAX) {
		s->stats.overlong++;
		return GDB_RX_OVERLONG;
	}
	s->in[n] = '\0';
	*len = n;
	s->stats.packets++;
	return GDB_RX_PACKET;
}

int gdb_send_packet(struct gdb_stub *s, const char *data, size_t n)
{
	unsigned int tries;
	u8 sum = gdb_checksum(data, n);
	size_t i;
	int c;

	for (tries = 0; tries < GDB_RESENDS; tries++) {
		s->ops->putc(s->ctx, '$');
		for (i = 0; i < n; i++)
			s->ops->putc(s->ctx, (u8)data[i]);
		s->ops->putc(s->ctx, '#');
		s->ops->putc(s->ctx, (u8)hexdigits[sum >> 4]);
		s->ops->putc(s->ctx, (u8)hexdigits[sum & 15]);
		do {
			c = next_byte(s);
		} while (c >= 0 && c != '+' && c != '-' && c != '$');
		if (c == '+')
			return 0;
		if (c < 0)
			return -EIO;
		if (c == '$') {
			/* gdb went on without acking (a new packet): keep it */
			s->pushback = c;
			return 0;
		}
	}
	return -EIO;
}

static int reply(struct gdb_stub *s, const char *str)
{
	return gdb_send_packet(s, str, strlen(str));
}

static int reply_error(struct gdb_stub *s, unsigned int code)
{
	char e[4] = { 'E', hexdigits[(code >> 4) & 15], hexdigits[code & 15], 0 };

	s->stats.errors++;
	return reply(s, e);
}

static int reply_unsupported(struct gdb_stub *s)
{
	s->stats.unsupported++;
	return reply(s, "");
}

void gdbstub_init(struct gdb_stub *s, const struct gdb_ops *ops, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->ctx = ctx;
	s->pushback = -1;
}

/* ---- registers ---- */

static void regs_to_hex(const struct gdb_regs *r, char *out)
{
	unsigned int i;

	for (i = 0; i < GDB_NR_REGS; i++) {
		u64 v = r->r[i];	/* little-endian, as gdb expects */
		u8 b[8];
		unsigned int k;

		for (k = 0; k < gdb_reg_size(i); k++, v >>= 8)
			b[k] = (u8)v;
		gdb_hex_encode(out, b, gdb_reg_size(i));
		out += 2 * gdb_reg_size(i);
	}
	*out = '\0';
}

/* One register's value from 2*size hex digits (little-endian). */
static int reg_from_hex(const char *in, unsigned int reg, u64 *v)
{
	u8 b[8];
	unsigned int k;

	if (gdb_hex_decode(b, in, gdb_reg_size(reg)))
		return -EINVAL;
	*v = 0;
	for (k = gdb_reg_size(reg); k; k--)
		*v = *v << 8 | b[k - 1];
	return 0;
}

/* 'G': all registers, or nothing when any of them does not parse. */
static int set_all_regs(struct gdb_regs *r, const char *in, size_t len)
{
	struct gdb_regs tmp;
	unsigned int i;

	if (len != 2 * GDB_REGS_BYTES)
		return -EINVAL;
	for (i = 0; i < GDB_NR_REGS; i++) {
		if (reg_from_hex(in, i, &tmp.r[i]))
			return -EINVAL;
		in += 2 * gdb_reg_size(i);
	}
	*r = tmp;
	return 0;
}

/* 'pN' / 'PN=value'. */
static int handle_reg(struct gdb_stub *s, struct gdb_regs *r, const char *p, bool write)
{
	char hex[17];
	u64 n, v;

	if (gdb_parse_hex(&p, &n))
		return reply_error(s, 1);
	if (n >= GDB_NR_REGS)	/* x87/SSE: none in the host */
		return write ? reply_error(s, 1) : reply_unsupported(s);
	if (!write) {
		u8 b[8];
		unsigned int k;

		for (k = 0, v = r->r[n]; k < gdb_reg_size((unsigned int)n); k++, v >>= 8)
			b[k] = (u8)v;
		gdb_hex_encode(hex, b, gdb_reg_size((unsigned int)n));
		hex[2 * gdb_reg_size((unsigned int)n)] = '\0';
		return reply(s, hex);
	}
	if (*p++ != '=' || strlen(p) != 2 * gdb_reg_size((unsigned int)n) ||
	    reg_from_hex(p, (unsigned int)n, &v))
		return reply_error(s, 1);
	r->r[n] = v;
	return reply(s, "OK");
}

/* ---- memory ---- */

/* "ADDR,LEN" then the character end (':' or NUL). */
static int parse_addr_len(const char **p, u64 *addr, u64 *len, char end)
{
	if (gdb_parse_hex(p, addr) || *(*p)++ != ',' || gdb_parse_hex(p, len) || **p != end)
		return -EINVAL;
	return 0;
}

static int handle_read_mem(struct gdb_stub *s, const char *p)
{
	static u8 buf[GDB_PACKET_MAX / 2];
	u64 addr, len;
	size_t got;

	if (parse_addr_len(&p, &addr, &len, '\0'))
		return reply_error(s, 1);
	if (len > sizeof(buf))
		len = sizeof(buf);	/* gdb takes a short read and asks again */
	if (!len)
		return reply(s, "");
	if (addr + len - 1 < addr)
		return reply_error(s, EFAULT);
	got = s->ops->read_mem(s->ctx, addr, buf, (size_t)len);
	if (!got)
		return reply_error(s, EFAULT);
	gdb_hex_encode(s->out, buf, got);
	s->out[2 * got] = '\0';
	return reply(s, s->out);
}

static int handle_write_mem(struct gdb_stub *s, const char *p)
{
	static u8 buf[GDB_PACKET_MAX / 2];
	u64 addr, len;

	if (parse_addr_len(&p, &addr, &len, ':'))
		return reply_error(s, 1);
	p++;
	if (len > sizeof(buf) || strlen(p) != 2 * len || gdb_hex_decode(buf, p, (size_t)len))
		return reply_error(s, 1);
	if (len && addr + len - 1 < addr)
		return reply_error(s, EFAULT);
	if (len && s->ops->write_mem(s->ctx, addr, buf, (size_t)len) != len)
		return reply_error(s, EFAULT);
	return reply(s, "OK");
}

/* ---- breakpoints ----
 *
 * A breakpoint's INT3 is in memory only while the target runs: it is
 * written when gdb resumes (arm_all) and the original byte put back as
 * soon as a CPU stops (disarm_all).  So the stub's own code (the UART,
 * string functions) never meets one of them while it talks to gdb, and
 * gdb's memory reads see the original bytes.
 */

bool gdbstub_is_breakpoint(const struct gdb_stub *s, u64 addr)
{
	unsigned int i;

	for (i = 0; i < GDB_MAX_BREAKPOINTS; i++)
		if (s->bps[i].used && s->bps[i].addr == addr)
			return true;
	return false;
}

/* Puts the original byte back; false when it cannot be written. */
static bool disarm(struct gdb_stub *s, struct gdb_breakpoint *bp)
{
	if (bp->armed && s->ops->write_mem(s->ctx, bp->addr, &bp->saved, 1) != 1)
		return false;
	bp->armed = false;
	return true;
}

static void disarm_all(struct gdb_stub *s)
{
	unsigned int i;

	for (i = 0; i < GDB_MAX_BREAKPOINTS; i++)
		if (s->bps[i].used)
			disarm(s, &s->bps[i]);
}

/* Writes every INT3; a breakpoint whose byte cannot be written any more
 * is dropped (gdb learns of it when it is not hit). */
static void arm_all(struct gdb_stub *s)
{
	const u8 int3 = GDB_BREAKPOINT_INSN;
	unsigned int i;

	for (i = 0; i < GDB_MAX_BREAKPOINTS; i++) {
		struct gdb_breakpoint *bp = &s->bps[i];

		if (!bp->used || bp->armed)
			continue;
		if (s->ops->read_mem(s->ctx, bp->addr, &bp->saved, 1) != 1 ||
		    s->ops->write_mem(s->ctx, bp->addr, &int3, 1) != 1)
			bp->used = false;
		else
			bp->armed = true;
	}
}

/* Checks that addr may hold a breakpoint (mapped, writable, allowed)
 * and records it. */
static int insert_breakpoint(struct gdb_stub *s, u64 addr)
{
	struct gdb_breakpoint *free = NULL;
	unsigned int i;
	u8 old;

	for (i = 0; i < GDB_MAX_BREAKPOINTS; i++) {
		if (s->bps[i].used && s->bps[i].addr == addr)
			return 0;
		if (!s->bps[i].used && !free)
			free = &s->bps[i];
	}
	if (!free)
		return -ENOSPC;
	if (s->ops->may_break && !s->ops->may_break(s->ctx, addr))
		return -EPERM;
	if (s->ops->read_mem(s->ctx, addr, &old, 1) != 1 ||
	    s->ops->write_mem(s->ctx, addr, &old, 1) != 1)
		return -EFAULT;
	free->addr = addr;
	free->used = true;
	free->armed = false;
	return 0;
}

unsigned int gdbstub_remove_all(struct gdb_stub *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < GDB_MAX_BREAKPOINTS; i++) {
		if (!s->bps[i].used)
			continue;
		n += disarm(s, &s->bps[i]);
		s->bps[i].used = false;
	}
	return n;
}

/* 'Z0,ADDR,KIND' / 'z0,ADDR,KIND': software breakpoints only. */
static int handle_breakpoint(struct gdb_stub *s, const char *p, bool insert)
{
	u64 addr, kind;
	unsigned int i;
	int err;

	if (*p != '0')
		return reply_unsupported(s);	/* hardware ones: gdb falls back */
	p++;
	if (*p++ != ',' || parse_addr_len(&p, &addr, &kind, '\0'))
		return reply_error(s, 1);
	if (insert) {
		err = insert_breakpoint(s, addr);
		return err ? reply_error(s, (unsigned int)-err) : reply(s, "OK");
	}
	for (i = 0; i < GDB_MAX_BREAKPOINTS; i++) {
		if (s->bps[i].used && s->bps[i].addr == addr) {
			if (!disarm(s, &s->bps[i]))
				return reply_error(s, EFAULT);
			s->bps[i].used = false;
		}
	}
	return reply(s, "OK");
}

/* ---- the rest ---- */

static int stop_reply(struct gdb_stub *s, int signo, bool at_breakpoint)
{
	char buf[20] = { 'T', hexdigits[(signo >> 4) & 15], hexdigits[signo & 15], 0 };

	if (at_breakpoint && s->swbreak)
		strscpy(buf + 3, "swbreak:;", sizeof(buf) - 3);
	return reply(s, buf);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* True when the ';'-separated list has the feature item. */
static bool has_feature(const char *list, const char *item)
{
	size_t n = strlen(item);

	while (list && *list) {
		if (!strncmp(list, item, n) && (list[n] == ';' || list[n] == '\0'))
			return true;
		list = strchr(list, ';');
		if (list)
			list++;
	}
	return false;
}

/*
 * The target description: the architecture only, so that gdb takes its
 * own i386:x86-64 register layout (the one the 'g' packet follows) even
 * before it has a symbol file.
 */
static const char target_xml[] =
	"<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
	"<target><architecture>i386:x86-64</architecture></target>";

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static int handle_xfer_features(struct gdb_stub *s, const char *p)
{
	u64 off, len;
	size_t size = sizeof(target_xml) - 1;

	if (!has_prefix(p, "target.xml:"))
		return reply_error(s, 0);
	p += strlen("target.xml:");
	if (parse_addr_len(&p, &off, &len, '\0'))
		return reply_error(s, 1);
	if (off >= size)
		return reply(s, "l");
	if (len > GDB_PACKET_MAX - 1)
		len = GDB_PACKET_MAX - 1;
	s->out[0] = off + len >= size ? 'l' : 'm';
	if (len > size - off)
		len = size - off;
	memcpy(s->out + 1, target_xml + off, (size_t)len);
	s->out[1 + len] = '\0';
	return reply(s, s->out);
}

static int handle_query(struct gdb_stub *s, const char *p)
{
	if (has_prefix(p, "qSupported")) {
		const char *feat = strchr(p, ':');

		s->swbreak = feat && has_feature(feat + 1, "swbreak+");
		return reply(s, "PacketSize=1000;swbreak+;qXfer:features:read+");
	}
	if (has_prefix(p, "qXfer:features:read:"))
		return handle_xfer_features(s, p + strlen("qXfer:features:read:"));
	if (!strcmp(p, "qAttached"))
		return reply(s, "1");	/* detach, not kill, on quit */
	return reply_unsupported(s);
}

/* 'c [ADDR]' / 's [ADDR]': an address becomes rip. */
static int resume_at(struct gdb_stub *s, struct gdb_regs *r, const char *p,
		     enum gdb_resume how)
{
	u64 addr;

	if (*p) {
		if (gdb_parse_hex(&p, &addr) || *p) {
			reply_error(s, 1);
			return -1;
		}
		r->r[GDB_RIP] = addr;
	}
	s->running = true;
	return (int)how;
}

int gdb_handle_packet(struct gdb_stub *s, struct gdb_regs *r, size_t len, int signo,
		      bool at_breakpoint)
{
	const char *p = s->in;

	switch (p[0]) {
	case '?':
		stop_reply(s, signo, at_breakpoint);
		break;
	case 'g':
		if (len != 1) {
			reply_error(s, 1);
			break;
		}
		regs_to_hex(r, s->out);
		reply(s, s->out);
		break;
	case 'G':
		if (set_all_regs(r, p + 1, len - 1))
			reply_error(s, 1);
		else
			reply(s, "OK");
		break;
	case 'p':
	case 'P':
		handle_reg(s, r, p + 1, p[0] == 'P');
		break;
	case 'm':
		handle_read_mem(s, p + 1);
		break;
	case 'M':
		handle_write_mem(s, p + 1);
		break;
	case 'Z':
	case 'z':
		handle_breakpoint(s, p + 1, p[0] == 'Z');
		break;
	case 'c':
		return resume_at(s, r, p + 1, GDB_CONTINUE);
	case 's':
		return resume_at(s, r, p + 1, GDB_STEP);
	case 'D':
		gdbstub_remove_all(s);
		reply(s, "OK");
		s->running = false;
		return GDB_DETACH;
	case 'k':	/* no reply: the target is gone, for gdb */
		gdbstub_remove_all(s);
		s->running = false;
		return GDB_DETACH;
	case 'H':	/* one thread: whichever is chosen, it is this CPU */
		reply(s, "OK");
		break;
	case 'q':
		handle_query(s, p);
		break;
	default:
		reply_unsupported(s);
		break;
	}
	return -1;
}

enum gdb_resume gdbstub_session(struct gdb_stub *s, struct gdb_regs *r, int signo,
				bool at_breakpoint)
{
	size_t len;
	int how;

	disarm_all(s);
	if (s->running)
		stop_reply(s, signo, at_breakpoint);
	s->running = false;
	for (;;) {
		switch (gdb_recv_packet(s, &len)) {
		case GDB_RX_PACKET:
			how = gdb_handle_packet(s, r, len, signo, at_breakpoint);
			if (how == GDB_CONTINUE || how == GDB_STEP)
				arm_all(s);
			if (how >= 0)
				return (enum gdb_resume)how;
			break;
		case GDB_RX_OVERLONG:
			reply_error(s, 1);
			break;
		case GDB_RX_BAD_CHECKSUM:
		case GDB_RX_INTERRUPT:	/* stopped already */
			break;
		case GDB_RX_GONE:
			gdbstub_remove_all(s);
			return GDB_DETACH;
		}
	}
}
