// SPDX-License-Identifier: MIT
/* Unit tests of lib/vsprintf.c: run on the host and inside hv.efi. */
#include "lib/ktest.h"
#include "lib/printk.h"
#include "lib/string.h"

#define FMT_EQ(t, expect, ...)                                    \
	do {                                                      \
		char buf_[128];                                   \
		snprintf(buf_, sizeof(buf_), __VA_ARGS__);        \
		KT_EXPECT_STREQ(t, buf_, expect);                 \
	} while (0)

KTEST(printf_formats_signed_and_unsigned_decimal)
{
	FMT_EQ(t, "42 -42 0", "%d %d %d", 42, -42, 0);
	FMT_EQ(t, "4294967295", "%u", 0xffffffffu);
	FMT_EQ(t, "-9223372036854775808", "%lld", (long long)(-9223372036854775807LL - 1));
	FMT_EQ(t, "18446744073709551615", "%llu", ~0ULL);
	FMT_EQ(t, "-1 65535 255", "%ld %hu %hhu", -1L, 0xffffu, 0x1ffu);
}

KTEST(printf_formats_hex_octal_and_pointers)
{
	FMT_EQ(t, "ff FF 0xff 777", "%x %X %#x %o", 255u, 255u, 255u, 0777u);
	FMT_EQ(t, "deadbeefcafef00d", "%llx", 0xdeadbeefcafef00dULL);
	FMT_EQ(t, "0x0000000000001000", "%p", (void *)0x1000);
	FMT_EQ(t, "12345678", "%lx", 0x12345678UL);
}

KTEST(printf_pads_with_width_zeros_and_left_justify)
{
	FMT_EQ(t, "00042", "%05d", 42);
	FMT_EQ(t, "   42", "%5d", 42);
	FMT_EQ(t, "42   |", "%-5d|", 42);
	FMT_EQ(t, "-0042", "%05d", -42);
	FMT_EQ(t, "    1.000010", "%5u.%06u", 1u, 10u);
	FMT_EQ(t, "  ab|ab  |", "%4s|%-4s|", "ab", "ab");
	FMT_EQ(t, "   x", "%*c", 4, 'x');
	FMT_EQ(t, "00000000cafe", "%012llx", 0xcafeULL);
}

KTEST(printf_handles_strings_chars_and_percent)
{
	const char *volatile null_str = NULL;

	FMT_EQ(t, "a-b 100% (null)", "%c-%s %d%% %s", 'a', "b", 100, null_str);
	FMT_EQ(t, "abc", "%.3s", "abcdef");
}

/* No format attribute: these strings are deliberately malformed. */
static int fmt_raw(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

KTEST(printf_copies_unknown_conversions_through)
{
	char buf[32];

	fmt_raw(buf, sizeof(buf), "%q %d", 1);
	KT_EXPECT_STREQ(t, buf, "%q 1");
	fmt_raw(buf, sizeof(buf), "end%");
	KT_EXPECT_STREQ(t, buf, "end%");
}

KTEST(printf_never_writes_past_the_buffer_and_reports_full_length)
{
	char buf[8];
	int n;

	memset(buf, 'Z', sizeof(buf));
	n = snprintf(buf, 4, "%s", "abcdefgh");
	KT_EXPECT_EQ(t, n, 8);
	KT_EXPECT_STREQ(t, buf, "abc");
	KT_EXPECT_EQ(t, buf[4], 'Z');
	n = snprintf(buf, 0, "%d", 12345);
	KT_EXPECT_EQ(t, n, 5);
	KT_EXPECT_EQ(t, buf[0], 'a');
}
