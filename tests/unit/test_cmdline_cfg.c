// SPDX-License-Identifier: MIT
/*
 * Unit tests of hv.cfg's reading (cmdline_from_config(), cmdline_read_config()
 * in boot/cmdline.c): comments, line ends, limits and hostile files.
 */
#include "boot/cmdline.h"
#include "lib/ktest.h"
#include "lib/printk.h"
#include "lib/string.h"

/* cfg (a string) through cmdline_from_config() into out; returns replaced. */
static unsigned int cfg(const char *text, char *out, size_t outsz, bool *cut)
{
	return cmdline_from_config(text, strlen(text), out, outsz, cut);
}

KTEST(config_joins_its_lines_with_one_space_and_drops_comments)
{
	static const char text[] =
		"# tdpvisor\n"
		"loglevel=6\r\n"
		"#hvmem=1G\n"
		"   \t# an indented comment\n"
		"\n"
		"  \t \n"
		"\thvmem=32M   bluepill \t\n"
		"console=ttyS0\tpanic=reset\n";
	static char out[128];
	bool cut;

	KT_EXPECT_EQ(t, cfg(text, out, sizeof(out), &cut), 0);
	KT_EXPECT_STREQ(t, out, "loglevel=6 hvmem=32M   bluepill console=ttyS0 panic=reset");
	KT_EXPECT(t, !cut);
}

KTEST(config_takes_lf_crlf_and_a_cr_alone_as_line_ends)
{
	static char out[64];
	bool cut;

	cfg("a=1\r\nb=2\rc=3\nd=4", out, sizeof(out), &cut);
	KT_EXPECT_STREQ(t, out, "a=1 b=2 c=3 d=4");
	cfg("# a comment\rloglevel=3\r", out, sizeof(out), &cut);	/* CR ends the comment */
	KT_EXPECT_STREQ(t, out, "loglevel=3");
	cfg("\r", out, sizeof(out), &cut);
	KT_EXPECT_STREQ(t, out, "");
	cfg("\r\r\n\n\r", out, sizeof(out), &cut);
	KT_EXPECT_STREQ(t, out, "");
	KT_EXPECT(t, !cut);
}

KTEST(config_of_comments_only_is_an_empty_command_line)
{
	static char out[64];
	bool cut;

	KT_EXPECT_EQ(t, cfg("# one\n#two\n   # three\n\t#\n", out, sizeof(out), &cut), 0);
	KT_EXPECT_STREQ(t, out, "");
	cfg("#", out, sizeof(out), &cut);
	KT_EXPECT_STREQ(t, out, "");
	cfg("loglevel=3\n# the last line, no newline", out, sizeof(out), &cut);
	KT_EXPECT_STREQ(t, out, "loglevel=3");
	cfg("loglevel=3 # not a comment here", out, sizeof(out), &cut);
	KT_EXPECT_STREQ(t, out, "loglevel=3 # not a comment here");
	KT_EXPECT(t, !cut);
}

KTEST(config_of_4095_hashes_is_one_comment)
{
	static char text[4095], out[CMDLINE_MAX];
	static struct hv_options o;
	bool cut;

	memset(text, '#', sizeof(text));	/* no NUL: read exactly size bytes */
	KT_EXPECT_EQ(t, cmdline_from_config(text, sizeof(text), out, sizeof(out), &cut), 0);
	KT_EXPECT_STREQ(t, out, "");
	KT_EXPECT(t, !cut);
	cmdline_defaults(&o);
	KT_EXPECT_EQ(t, cmdline_read_config(&o, text, sizeof(text), false, out, sizeof(out)), 0);
	/* The same line cut by the read limit: a comment, so only the length is named. */
	cmdline_defaults(&o);
	KT_EXPECT_EQ(t, cmdline_read_config(&o, text, sizeof(text), true, out, sizeof(out)), 1);
	KT_EXPECT_STREQ(t, o.msgs[0], "hv.cfg: longer than 4095 bytes: the rest is ignored");
}

KTEST(config_replaces_control_and_non_ascii_characters)
{
	static const char esc[] = "loglevel=3\n\x1b[0m\n";
	static char out[64];
	static struct hv_options o;
	bool cut;

	KT_EXPECT_EQ(t, cfg("loglevel=3 \x01\xc3\xa9\nx\x7fy", out, sizeof(out), &cut), 4);
	KT_EXPECT_STREQ(t, out, "loglevel=3 ??? x?y");
	cmdline_defaults(&o);
	cmdline_read_config(&o, esc, sizeof(esc) - 1, false, out, sizeof(out));
	KT_EXPECT_STREQ(t, o.msgs[0], "hv.cfg: 1 non-ASCII or control characters replaced with '?'");
	KT_EXPECT_EQ(t, o.loglevel, 3);
}

KTEST(config_that_does_not_fit_keeps_only_whole_options)
{
	static char out[16];
	bool cut;

	cfg("loglevel=3 hvmem=128M\n", out, sizeof(out), &cut);
	KT_EXPECT_STREQ(t, out, "loglevel=3");	/* not "hvmem=1" */
	KT_EXPECT(t, cut);
	cfg("loglevel=3\n", out, 11, &cut);	/* exactly full */
	KT_EXPECT_STREQ(t, out, "loglevel=3");
	KT_EXPECT(t, !cut);
	cfg("loglevel=3\nhvmem=32M\n", out, 11, &cut);	/* the joining space does not fit */
	KT_EXPECT_STREQ(t, out, "loglevel=3");
	KT_EXPECT(t, cut);
	cfg("x=1 n=\"a b c d\"", out, 12, &cut);	/* cut inside quotes */
	KT_EXPECT_STREQ(t, out, "x=1");
	KT_EXPECT(t, cut);
	cfg("hvmem=128M", out, 8, &cut);	/* no whole option at all */
	KT_EXPECT_STREQ(t, out, "");
	KT_EXPECT(t, cut);
	cfg("a", out, 1, &cut);
	KT_EXPECT_STREQ(t, out, "");
	KT_EXPECT(t, cut);
}

KTEST(config_options_past_1023_characters_are_named_and_dropped)
{
	static char text[1100], out[CMDLINE_MAX];
	static struct hv_options o;

	/* 1023 characters: "loglevel=3 " and 1012 of a 'x=' option. */
	memset(text, 'x', sizeof(text));
	memcpy(text, "loglevel=3 ktest_skip=", 22);
	text[1023] = '\0';
	cmdline_defaults(&o);
	cmdline_read_config(&o, text, 1023, false, out, sizeof(out));
	KT_EXPECT_EQ(t, strlen(out), 1023);
	KT_EXPECT_EQ(t, o.nmsgs, 1);	/* only the parser's: a token past 255 */
	KT_EXPECT(t, !strncmp(o.msgs[0], "option 'ktest_skip=", 19));
	/* One more: the long option goes, whole, with a message; loglevel stays. */
	text[1023] = 'x';
	text[1024] = '\0';
	cmdline_defaults(&o);
	KT_EXPECT_EQ(t, cmdline_read_config(&o, text, 1024, false, out, sizeof(out)), 1);
	KT_EXPECT_STREQ(t, out, "loglevel=3");
	KT_EXPECT_STREQ(t, o.msgs[0], "hv.cfg: options longer than 1023 characters: the rest is ignored");
	KT_EXPECT_EQ(t, o.loglevel, 3);
}

KTEST(config_line_cut_by_a_nul_or_the_read_limit_is_ignored_whole)
{
	static const char nul[] = "loglevel=3\nhvmem=12\0" "8M\n";
	static const char nul_at_line[] = "loglevel=3 hvmem=32M exit=qemu\n\0hvmem=96M\n";
	static const char cut_short[] = "loglevel=3\r\n# x\r\nloglevel=1";	/* of loglevel=12 */
	static char out[64];
	static struct hv_options o;

	cmdline_defaults(&o);
	KT_EXPECT_EQ(t, cmdline_read_config(&o, nul, sizeof(nul) - 1, false, out, sizeof(out)), 2);
	KT_EXPECT_STREQ(t, o.msgs[0], "hv.cfg: a NUL byte at offset 19: the 4 bytes from there on "
			"are ignored");
	KT_EXPECT_STREQ(t, o.msgs[1], "hv.cfg: line 2 is cut short there: ignored whole");
	KT_EXPECT_EQ(t, o.hvmem, HVMEM_DEFAULT);	/* not hvmem=12 */
	KT_EXPECT_EQ(t, o.loglevel, 3);

	cmdline_defaults(&o);
	KT_EXPECT_EQ(t, cmdline_read_config(&o, nul_at_line, sizeof(nul_at_line) - 1, false, out,
					    sizeof(out)), 1);
	KT_EXPECT_STREQ(t, o.msgs[0], "hv.cfg: a NUL byte at offset 31: the 11 bytes from there on "
			"are ignored");
	KT_EXPECT_EQ(t, o.hvmem, 32ULL << 20);

	cmdline_defaults(&o);
	KT_EXPECT_EQ(t, cmdline_read_config(&o, cut_short, sizeof(cut_short) - 1, true, out,
					    sizeof(out)), 2);
	KT_EXPECT_STREQ(t, o.msgs[0], "hv.cfg: longer than 27 bytes: the rest is ignored");
	KT_EXPECT_STREQ(t, o.msgs[1], "hv.cfg: line 3 is cut short there: ignored whole");
	KT_EXPECT_EQ(t, o.loglevel, 3);
	KT_EXPECT_STREQ(t, out, "loglevel=3");
}

/* xorshift, so a failure can be replayed */
static u64 rng(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* True when short_ is long_ cut after a whole option (or all of it). */
static bool whole_prefix(const char *short_, const char *long_)
{
	size_t n = strlen(short_), i, quotes = 0;

	if (strncmp(short_, long_, n))
		return false;
	for (i = 0; i < n; i++)
		quotes += short_[i] == '"';
	return !long_[n] || (!n || (long_[n] == ' ' && !(quotes & 1)));
}

KTEST(config_survives_random_files_and_never_cuts_an_option)
{
	static const char bias[] = "#\r\n \t\"=x\0";
	static char junk[600], full[CMDLINE_MAX], out[CMDLINE_MAX];
	static struct hv_options o;
	u64 seed = 0x5eedc0f1600dULL;
	unsigned int round, bad = 0;
	size_t i;

	for (round = 0; round < 400; round++) {
		size_t len = rng(&seed) % sizeof(junk), outsz = 1 + rng(&seed) % 48;
		bool cut;

		for (i = 0; i < len; i++) {
			u64 r = rng(&seed);

			junk[i] = (r & 3) ? bias[r % (sizeof(bias) - 1)] : (char)(r >> 8);
		}
		cmdline_from_config(junk, len, full, sizeof(full), &cut);
		bad += cut;		/* 600 bytes always fit in 1023 */
		cmdline_defaults(&o);
		cmdline_read_config(&o, junk, len, rng(&seed) & 1, out, outsz);
		for (i = 0; out[i]; i++)
			bad += out[i] < 0x20 || out[i] > 0x7e;
		bad += i >= outsz;
		bad += o.nmsgs > CMDLINE_MAX_MSGS;
		cmdline_from_config(junk, strnlen(junk, len), out, outsz, &cut);
		if (!whole_prefix(out, full)) {
			pr_err("round %u: '%s' is not whole options of '%s'\n", round, out, full);
			bad++;
		}
	}
	KT_EXPECT_EQ(t, bad, 0);
}
