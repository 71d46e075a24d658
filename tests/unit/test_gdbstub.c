// SPDX-License-Identifier: MIT
/*
 * Unit tests of the gdb remote protocol (lib/gdbstub.c): the hex codec, the
 * packet framing with its acks, and whole sessions against a scripted line
 * and a fake memory of 256 bytes at FAKE_BASE (anything else is unmapped).
 */
#include "lib/gdbstub.h"
#include "lib/ktest.h"
#include "lib/string.h"
#include "errcode.h"

#define FAKE_BASE 0x1000ULL
#define FAKE_SIZE 256

struct fake_line {
	char in[8192];
	size_t in_len, pos;
	char out[16384];
	size_t out_len;
	u8 mem[FAKE_SIZE];
};

static int fake_getc(void *ctx)
{
	struct fake_line *l = ctx;

	return l->pos < l->in_len ? (u8)l->in[l->pos++] : -1;
}

static void fake_putc(void *ctx, u8 c)
{
	struct fake_line *l = ctx;

	if (l->out_len < sizeof(l->out) - 1)
		l->out[l->out_len++] = (char)c;
	l->out[l->out_len] = '\0';
}

static size_t fake_copy(struct fake_line *l, u64 addr, void *buf, size_t len, bool write)
{
	size_t n;

	if (addr < FAKE_BASE || addr >= FAKE_BASE + FAKE_SIZE)
		return 0;
	n = MIN(len, (size_t)(FAKE_BASE + FAKE_SIZE - addr));
	if (write)
		memcpy(l->mem + (addr - FAKE_BASE), buf, n);
	else
		memcpy(buf, l->mem + (addr - FAKE_BASE), n);
	return n;
}

static size_t fake_read(void *ctx, u64 addr, void *buf, size_t len)
{
	return fake_copy(ctx, addr, buf, len, false);
}

static size_t fake_write(void *ctx, u64 addr, const void *buf, size_t len)
{
	return fake_copy(ctx, addr, (void *)buf, len, true);
}

/* The fake's "trap path": no breakpoint in its last 16 bytes. */
static bool fake_may_break(void *ctx, u64 addr)
{
	return addr < FAKE_BASE + FAKE_SIZE - 16 || addr >= FAKE_BASE + FAKE_SIZE;
}

static const struct gdb_ops fake_ops = {
	.getc = fake_getc, .putc = fake_putc, .read_mem = fake_read, .write_mem = fake_write,
	.may_break = fake_may_break,
};

static struct fake_line line;
static struct gdb_stub stub;

static void reset(void)
{
	unsigned int i;

	memset(&line, 0, sizeof(line));
	for (i = 0; i < FAKE_SIZE; i++)
		line.mem[i] = (u8)i;
	gdbstub_init(&stub, &fake_ops, &line);
}

/* Appends raw bytes to what gdb sends. */
static void send_raw(const char *s)
{
	size_t n = strlen(s);

	memcpy(line.in + line.in_len, s, n);
	line.in_len += n;
}

/* Appends "$data#cc" and gdb's ack of the reply ('+'). */
static void send_packet(const char *data)
{
	static const char hex[] = "0123456789abcdef";
	u8 sum = gdb_checksum(data, strlen(data));
	char tail[5] = { '#', hex[sum >> 4], hex[sum & 15], '+', 0 };

	send_raw("$");
	send_raw(data);
	send_raw(tail);
}

/* The payload of the n-th packet the stub sent (0: the first), or "". */
static const char *reply(unsigned int n)
{
	static char buf[GDB_PACKET_MAX + 1];
	const char *p = line.out, *end;

	for (;;) {
		p = strchr(p, '$');
		if (!p)
			return "";
		end = strchr(p, '#');
		if (!end)
			return "";
		if (!n--) {
			size_t len = (size_t)(end - p - 1);

			memcpy(buf, p + 1, len);
			buf[len] = '\0';
			return buf;
		}
		p = end;
	}
}

static struct gdb_regs sample_regs(void)
{
	struct gdb_regs r;
	unsigned int i;

	for (i = 0; i < GDB_NR_REGS; i++)
		r.r[i] = 0x1111111111111111ULL * (i % 15 + 1);
	r.r[GDB_RIP] = 0xffffffff81000010ULL;
	r.r[GDB_EFLAGS] = 0x246;
	r.r[GDB_CS] = 0x38;
	return r;
}

KTEST(gdb_hex_codec_round_trips_and_rejects_non_hex)
{
	const u8 in[4] = { 0x00, 0x7f, 0xa5, 0xff };
	char hex[9] = { 0 };
	u8 out[4];

	gdb_hex_encode(hex, in, 4);
	KT_EXPECT_STREQ(t, hex, "007fa5ff");
	KT_EXPECT_EQ(t, gdb_hex_decode(out, "007FA5ff", 4), 0);
	KT_EXPECT_EQ(t, memcmp(out, in, 4), 0);
	KT_EXPECT_EQ(t, gdb_hex_decode(out, "0g", 1), -EINVAL);
	KT_EXPECT_EQ(t, gdb_hex_decode(out, "0", 1), -EINVAL);	/* a NUL is no digit */
	KT_EXPECT_EQ(t, gdb_hex_digit('F'), 15);
	KT_EXPECT_EQ(t, gdb_hex_digit(':'), -1);
}

KTEST(gdb_parse_hex_takes_at_most_sixteen_digits)
{
	const char *p = "1f,rest";
	u64 v = 0;

	KT_EXPECT_EQ(t, gdb_parse_hex(&p, &v), 0);
	KT_EXPECT_EQ(t, v, 0x1f);
	KT_EXPECT_EQ(t, *p, ',');
	p = "ffffffffffffffff";
	KT_EXPECT_EQ(t, gdb_parse_hex(&p, &v), 0);
	KT_EXPECT_EQ(t, v, ~0ULL);
	p = "10000000000000000";	/* 17 digits */
	KT_EXPECT_EQ(t, gdb_parse_hex(&p, &v), -EINVAL);
	p = ",1";
	KT_EXPECT_EQ(t, gdb_parse_hex(&p, &v), -EINVAL);
	KT_EXPECT_EQ(t, gdb_checksum("OK", 2), 0x9a);
}

KTEST(gdb_packet_with_a_good_checksum_is_acked)
{
	size_t len = 0;

	reset();
	send_raw("+junk$m1000,4#8e");
	KT_EXPECT_EQ(t, gdb_recv_packet(&stub, &len), GDB_RX_PACKET);
	KT_EXPECT_EQ(t, len, 7);
	KT_EXPECT_STREQ(t, stub.in, "m1000,4");
	KT_EXPECT_STREQ(t, line.out, "+");
}

KTEST(gdb_packet_with_a_bad_checksum_is_nacked_and_not_run)
{
	size_t len;

	reset();
	send_raw("$G00#00");	/* wrong sum */
	send_raw("$g#zz");	/* not even hex */
	KT_EXPECT_EQ(t, gdb_recv_packet(&stub, &len), GDB_RX_BAD_CHECKSUM);
	KT_EXPECT_EQ(t, gdb_recv_packet(&stub, &len), GDB_RX_BAD_CHECKSUM);
	KT_EXPECT_STREQ(t, line.out, "--");
	KT_EXPECT_EQ(t, stub.stats.bad_checksums, 2);
	KT_EXPECT_EQ(t, gdb_recv_packet(&stub, &len), GDB_RX_GONE);
}

KTEST(gdb_overlong_packet_is_dropped_without_overflow_and_answered_E01)
{
	static char big[GDB_PACKET_MAX + 64];
	static struct gdb_regs r;
	size_t i;

	reset();
	r = sample_regs();
	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = 'm';
	big[sizeof(big) - 1] = '\0';
	send_packet(big);
	send_packet("c");
	KT_EXPECT_EQ(t, gdbstub_session(&stub, &r, GDB_SIGTRAP, false), GDB_CONTINUE);
	KT_EXPECT_STREQ(t, reply(0), "E01");
	KT_EXPECT_EQ(t, stub.stats.overlong, 1);
}

KTEST(gdb_interrupt_outside_a_packet_is_reported)
{
	size_t len;

	reset();
	send_raw("\x03");
	KT_EXPECT_EQ(t, gdb_recv_packet(&stub, &len), GDB_RX_INTERRUPT);
	reset();
	send_raw("$m10");	/* the line ends inside a packet */
	KT_EXPECT_EQ(t, gdb_recv_packet(&stub, &len), GDB_RX_GONE);
}

KTEST(gdb_g_sends_every_register_little_endian)
{
	static struct gdb_regs r;
	const char *g;

	reset();
	r = sample_regs();
	send_packet("g");
	send_packet("c");
	KT_EXPECT_EQ(t, gdbstub_session(&stub, &r, GDB_SIGTRAP, false), GDB_CONTINUE);
	g = reply(0);
	KT_ASSERT_EQ(t, strlen(g), 2 * GDB_REGS_BYTES);
	KT_EXPECT_EQ(t, strncmp(g, "1111111111111111", 16), 0);		/* rax */
	KT_EXPECT_EQ(t, strncmp(g + 16 * 16, "10000081ffffffff", 16), 0);	/* rip */
	KT_EXPECT_EQ(t, strncmp(g + 17 * 16, "46020000", 8), 0);		/* eflags */
	KT_EXPECT_EQ(t, strncmp(g + 17 * 16 + 8, "38000000", 8), 0);		/* cs */
}

KTEST(gdb_G_changes_all_registers_or_none)
{
	static struct gdb_regs r, before;
	static char g[2 * GDB_REGS_BYTES + 2];

	reset();
	r = before = sample_regs();
	send_packet("g");
	send_packet("c");
	gdbstub_session(&stub, &r, GDB_SIGTRAP, false);
	memcpy(g + 1, reply(0), 2 * GDB_REGS_BYTES + 1);
	g[0] = 'G';
	memcpy(g + 1, "efbeadde00000000", 16);		/* rax = 0xdeadbeef */

	reset();
	send_packet("G0011");			/* too short */
	g[20] = 'x';				/* a bad digit in rbx */
	send_packet(g);
	KT_EXPECT_EQ(t, gdbstub_session(&stub, &r, GDB_SIGTRAP, false), GDB_DETACH);
	KT_EXPECT_STREQ(t, reply(0), "E01");
	KT_EXPECT_STREQ(t, reply(1), "E01");
	KT_EXPECT_EQ(t, memcmp(&r, &before, sizeof(r)), 0);

	reset();
	g[20] = '1';
	send_packet(g);
	send_packet("P10=0020000000000000");	/* rip */
	send_packet("p10");
	send_packet("P40=00");			/* no such register */
	send_packet("p40");
	send_packet("c");
	KT_EXPECT_EQ(t, gdbstub_session(&stub, &r, GDB_SIGTRAP, false), GDB_CONTINUE);
	KT_EXPECT_STREQ(t, reply(0), "OK");
	KT_EXPECT_EQ(t, r.r[GDB_RAX], 0xdeadbeefULL);
	KT_EXPECT_EQ(t, r.r[GDB_RIP], 0x2000);
	KT_EXPECT_STREQ(t, reply(2), "0020000000000000");
	KT_EXPECT_STREQ(t, reply(3), "E01");
	KT_EXPECT_STREQ(t, reply(4), "");
}

KTEST(gdb_memory_reads_and_writes_only_where_mapped)
{
	static struct gdb_regs r;

	reset();
	send_packet("m1000,4");
	send_packet("m10fe,8");			/* runs off the end: a short read */
	send_packet("m0,4");			/* unmapped */
	send_packet("mffffffffffffffff,2");	/* wraps around */
	send_packet("mzz,4");
	send_packet("m1000");
	send_packet("M1004,2:abcd");
	send_packet("M1004,2:abc");		/* one digit short */
	send_packet("M2000,1:00");		/* unmapped */
	send_packet("m1004,2");
	send_packet("c");
	KT_EXPECT_EQ(t, gdbstub_session(&stub, &r, GDB_SIGTRAP, false), GDB_CONTINUE);
	KT_EXPECT_STREQ(t, reply(0), "00010203");
	KT_EXPECT_STREQ(t, reply(1), "feff");
	KT_EXPECT_STREQ(t, reply(2), "E0e");
	KT_EXPECT_STREQ(t, reply(3), "E0e");
	KT_EXPECT_STREQ(t, reply(4), "E01");
	KT_EXPECT_STREQ(t, reply(5), "E01");
	KT_EXPECT_STREQ(t, reply(6), "OK");
	KT_EXPECT_STREQ(t, reply(7), "E01");
	KT_EXPECT_STREQ(t, reply(8), "E0e");
	KT_EXPECT_STREQ(t, reply(9), "abcd");
}

KTEST(gdb_big_read_is_cut_to_the_packet_size)
{
	static struct gdb_regs r;

	reset();
	send_packet("m1000,100000");
	send_packet("c");
	gdbstub_session(&stub, &r, GDB_SIGTRAP, false);
	KT_EXPECT_EQ(t, strlen(reply(0)), 2 * FAKE_SIZE);
}

KTEST(gdb_breakpoints_go_in_as_int3_and_out_on_detach)
{
	static struct gdb_regs r;

	reset();
	send_packet("Z0,1010,1");
	send_packet("Z0,1020,1");
	send_packet("Z0,5000,1");		/* unmapped */
	send_packet("Z1,1010,1");		/* hardware: not offered */
	send_packet("z0,1020,1");
	send_packet("Z0,10f8,1");		/* where no breakpoint may go */
	send_packet("m1010,1");			/* stopped: the original byte */
	send_packet("c");
	KT_EXPECT_EQ(t, gdbstub_session(&stub, &r, GDB_SIGTRAP, false), GDB_CONTINUE);
	KT_EXPECT_STREQ(t, reply(0), "OK");
	KT_EXPECT_STREQ(t, reply(2), "E0e");
	KT_EXPECT_STREQ(t, reply(3), "");
	KT_EXPECT_STREQ(t, reply(5), "E01");
	KT_EXPECT_STREQ(t, reply(6), "10");
	KT_EXPECT_EQ(t, line.mem[0xf8], 0xf8);
	KT_EXPECT_EQ(t, line.mem[0x10], GDB_BREAKPOINT_INSN);
	KT_EXPECT_EQ(t, line.mem[0x20], 0x20);
	KT_EXPECT(t, gdbstub_is_breakpoint(&stub, 0x1010));
	KT_EXPECT(t, !gdbstub_is_breakpoint(&stub, 0x1020));

	/* The next stop is at it: gdb was told it waits, so it hears first;
	 * while stopped, the INT3 is out of memory. */
	line.in_len = line.pos = line.out_len = 0;
	send_raw("+");				/* ack of the stop reply */
	send_packet("m1010,1");
	send_packet("D");
	KT_EXPECT_EQ(t, gdbstub_session(&stub, &r, GDB_SIGTRAP, true), GDB_DETACH);
	KT_EXPECT_STREQ(t, reply(0), "T05");	/* gdb did not ask for swbreak */
	KT_EXPECT_STREQ(t, reply(1), "10");
	KT_EXPECT_STREQ(t, reply(2), "OK");
	KT_EXPECT_EQ(t, line.mem[0x10], 0x10);
	KT_EXPECT(t, !gdbstub_is_breakpoint(&stub, 0x1010));
}

KTEST(gdb_resume_commands_and_queries)
{
	static struct gdb_regs r;

	reset();
	r = sample_regs();
	send_packet("qSupported:multiprocess+;swbreak+;hwbreak+");
	send_packet("?");
	send_packet("qAttached");
	send_packet("qXfer:features:read:target.xml:0,20");
	send_packet("qXfer:features:read:target.xml:1000,20");
	send_packet("vMustReplyEmpty");
	send_packet("jfoo");
	send_packet("s1234");
	KT_EXPECT_EQ(t, gdbstub_session(&stub, &r, GDB_SIGTRAP, true), GDB_STEP);
	KT_EXPECT(t, (strstr(reply(0), "PacketSize=1000") != NULL));
	KT_EXPECT(t, stub.swbreak);
	KT_EXPECT_STREQ(t, reply(1), "T05swbreak:;");
	KT_EXPECT_STREQ(t, reply(2), "1");
	KT_EXPECT_EQ(t, reply(3)[0], 'm');
	KT_EXPECT_STREQ(t, reply(4), "l");
	KT_EXPECT_STREQ(t, reply(5), "");
	KT_EXPECT_STREQ(t, reply(6), "");
	KT_EXPECT_EQ(t, r.r[GDB_RIP], 0x1234);
	KT_EXPECT(t, stub.running);
	KT_EXPECT(t, stub.stats.unsupported >= 2);
}

KTEST(gdb_reply_is_sent_again_when_nacked)
{
	static struct gdb_regs r;

	reset();
	send_raw("$?#3f-+");
	send_packet("k");
	KT_EXPECT_EQ(t, gdbstub_session(&stub, &r, GDB_SIGINT, false), GDB_DETACH);
	KT_EXPECT_STREQ(t, reply(0), "T02");
	KT_EXPECT_STREQ(t, reply(1), "T02");
	KT_EXPECT(t, !stub.running);
}

KTEST(gdb_line_gone_removes_breakpoints)
{
	static struct gdb_regs r;

	reset();
	send_packet("Z0,1030,1");
	send_packet("c");
	KT_EXPECT_EQ(t, gdbstub_session(&stub, &r, GDB_SIGTRAP, false), GDB_CONTINUE);
	KT_EXPECT_EQ(t, line.mem[0x30], GDB_BREAKPOINT_INSN);
	line.in_len = line.pos = 0;		/* the next stop: nobody answers */
	KT_EXPECT_EQ(t, gdbstub_session(&stub, &r, GDB_SIGTRAP, true), GDB_DETACH);
	KT_EXPECT_EQ(t, line.mem[0x30], 0x30);
	KT_EXPECT(t, !gdbstub_is_breakpoint(&stub, 0x1030));
}
