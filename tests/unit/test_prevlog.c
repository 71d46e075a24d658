// SPDX-License-Identifier: MIT
/* Unit tests of lib/prevlog.c: what a previous boot left is input. */
#include "lib/ktest.h"
#include "lib/prevlog.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "errcode.h"

#define SMALL (PREVLOG_HDR_SIZE + 64)

static u64 region[PREVLOG_REGION_SIZE / 8];
static char why[128], tail[256];

static void put(void *r, const char *s)
{
	prevlog_write(r, s, strlen(s));
}

KTEST(prevlog_shows_a_sealed_log_and_its_boot_counter)
{
	struct prevlog_view v;

	prevlog_init(region, sizeof(region), 7);
	put(region, "[    0.1] one\n[    0.2] two\n[    0.3] Kernel panic - not syncing: x\n");
	prevlog_seal_region(region);
	KT_ASSERT_EQ(t, prevlog_check(region, sizeof(region), &v, why, sizeof(why)), 0);
	KT_EXPECT(t, v.sealed);
	KT_EXPECT_EQ(t, v.boot, 7);
	KT_EXPECT_EQ(t, prevlog_tail(&v, 2, tail, sizeof(tail)), 2);
	KT_EXPECT_STREQ(t, tail, "[    0.2] two\n[    0.3] Kernel panic - not syncing: x\n");
	KT_EXPECT_EQ(t, prevlog_tail(&v, 10, tail, sizeof(tail)), 3);
	KT_EXPECT(t, !strncmp(tail, "[    0.1] one\n", 14));
}

KTEST(prevlog_refuses_a_sealed_log_changed_afterwards)
{
	struct prevlog_view v;

	prevlog_init(region, sizeof(region), 1);
	put(region, "line one\nline two\n");
	prevlog_seal_region(region);
	((char *)region)[PREVLOG_HDR_SIZE + 3] = 'X';	/* still text */
	KT_EXPECT_EQ(t, prevlog_check(region, sizeof(region), &v, why, sizeof(why)), -EINVAL);
	KT_EXPECT(t, (strstr(why, "overwritten after it was sealed") != NULL));
}

KTEST(prevlog_takes_an_unsealed_log_only_when_it_is_text)
{
	struct prevlog_view v;

	prevlog_init(region, sizeof(region), 2);
	put(region, "sealed part\n");
	prevlog_seal_region(region);
	put(region, "after the seal (a hang)\n");	/* the seal no longer covers the head */
	KT_ASSERT_EQ(t, prevlog_check(region, sizeof(region), &v, why, sizeof(why)), 0);
	KT_EXPECT(t, !v.sealed);
	KT_EXPECT_EQ(t, prevlog_tail(&v, 1, tail, sizeof(tail)), 1);
	KT_EXPECT_STREQ(t, tail, "after the seal (a hang)\n");
	((char *)region)[PREVLOG_HDR_SIZE + 2] = 0x01;
	KT_EXPECT_EQ(t, prevlog_check(region, sizeof(region), &v, why, sizeof(why)), -EINVAL);
	KT_EXPECT(t, (strstr(why, "non-text byte 0x01 at 2") != NULL));
}

KTEST(prevlog_refuses_a_bad_or_missing_header)
{
	struct prevlog_hdr *h = (struct prevlog_hdr *)region;
	struct prevlog_view v;

	memset(region, 0xa5, sizeof(region));
	KT_EXPECT_EQ(t, prevlog_check(region, sizeof(region), &v, why, sizeof(why)), -ENOENT);
	prevlog_init(region, sizeof(region), 3);
	KT_EXPECT_EQ(t, prevlog_check(region, sizeof(region), &v, why, sizeof(why)), -ENOENT);
	KT_EXPECT(t, (strstr(why, "logged nothing") != NULL));
	put(region, "x\n");
	h->boot = 4;			/* the counter changed, not its checksum */
	KT_EXPECT_EQ(t, prevlog_check(region, sizeof(region), &v, why, sizeof(why)), -EINVAL);
	prevlog_init(region, sizeof(region), 3);
	put(region, "x\n");
	h->data_size += 8;		/* a size that does not fit the region */
	KT_EXPECT_EQ(t, prevlog_check(region, sizeof(region), &v, why, sizeof(why)), -EINVAL);
	KT_EXPECT_EQ(t, prevlog_check(region, PREVLOG_HDR_SIZE, &v, why, sizeof(why)), -EINVAL);
}

KTEST(prevlog_wraps_and_drops_the_line_cut_by_the_wrap)
{
	struct prevlog_view v;
	char line[16];
	unsigned int i;

	prevlog_init(region, SMALL, 5);		/* 64 bytes of text */
	for (i = 0; i < 20; i++) {
		snprintf(line, sizeof(line), "line %02u\n", i);	/* 8 bytes */
		put(region, line);
	}
	put(region, "ab");			/* a last line cut by the reset */
	prevlog_seal_region(region);
	KT_ASSERT_EQ(t, prevlog_check(region, SMALL, &v, why, sizeof(why)), 0);
	KT_EXPECT_EQ(t, v.used, 64);
	/* The last 64 of 162 bytes: "ne 12\n" (cut: dropped), lines 13..19, "ab". */
	KT_EXPECT_EQ(t, prevlog_tail(&v, 100, tail, sizeof(tail)), 8);
	KT_EXPECT(t, !strncmp(tail, "line 13\n", 8));
	KT_EXPECT_EQ(t, strlen(tail), 58);
	KT_EXPECT(t, !strcmp(tail + strlen(tail) - 10, "line 19\nab"));
	/* A small buffer keeps the newest lines that fit. */
	KT_EXPECT_EQ(t, prevlog_tail(&v, 100, tail, 20), 3);
	KT_EXPECT_STREQ(t, tail, "line 18\nline 19\nab");
	KT_EXPECT_EQ(t, prevlog_tail(&v, 100, tail, 12), 2);
	KT_EXPECT_STREQ(t, tail, "line 19\nab");
	KT_EXPECT_EQ(t, prevlog_tail(&v, 100, tail, 6), 1);
	KT_EXPECT_STREQ(t, tail, "ab");
	KT_EXPECT_EQ(t, prevlog_tail(&v, 100, tail, 2), 1);	/* the end of a line too long */
	KT_EXPECT_STREQ(t, tail, "b");
}
