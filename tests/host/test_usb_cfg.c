// SPDX-License-Identifier: MIT
/*
 * The USB image's hv.cfg template (tools/hv-usb.cfg, after the line `make
 * usb` puts first): every commented example in it, uncommented, must be
 * taken by the real parser without a complaint, so the file never shows a
 * user an option that hv.efi refuses.  An example is a comment line whose
 * '#' is followed directly by the option ("#panic=halt"); prose comments
 * have a space after the '#'.  Host only: it reads the file from the
 * source tree (HV_USB_CFG, set by tests/build.mk).
 */
#include <stdio.h>
#include "boot/cmdline.h"
#include "lib/ktest.h"
#include "lib/string.h"

/* What hv.efi reads of hv.cfg (boot/efi_main.c: 4096 bytes and a NUL). */
#define CFG_READ_MAX 4095
/* Room left in it for the active line that `make usb` puts first. */
#define ACTIVE_LINE_ROOM 512

static char text[CFG_READ_MAX + 2];

/* Reads the template into text; returns its size, or -1. */
static long read_template(void)
{
	FILE *f = fopen(HV_USB_CFG, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return (long)n;
}

KTEST(usb_cfg_template_is_only_comments_and_fits_beside_the_active_line)
{
	static struct hv_options o;
	static char out[CMDLINE_MAX];
	long n = read_template();

	ktest_check(t, n >= 0, __FILE__, __LINE__, "cannot read %s", HV_USB_CFG);
	if (n < 0)
		return;
	ktest_check(t, n + ACTIVE_LINE_ROOM <= CFG_READ_MAX, __FILE__, __LINE__,
		    "%s is %ld bytes: with a %d-byte active line it passes the %d hv.efi reads",
		    HV_USB_CFG, n, ACTIVE_LINE_ROOM, CFG_READ_MAX);
	cmdline_defaults(&o);
	KT_EXPECT_EQ(t, cmdline_read_config(&o, text, (size_t)n, false, out, sizeof(out)), 0);
	KT_EXPECT_STREQ(t, out, "");	/* the options in force are make usb's line */
}

/* The next example line of the template from *pos (its '#' dropped), or NULL. */
static const char *next_example(size_t *pos, char *line, size_t size)
{
	while (text[*pos]) {
		const char *s = text + *pos;
		size_t len = strchr(s, '\n') ? (size_t)(strchr(s, '\n') - s) : strlen(s);

		*pos += len + (s[len] == '\n');
		if (len >= 2 && s[0] == '#' && s[1] != ' ' && s[1] != '#' && len < size) {
			memcpy(line, s + 1, len - 1);
			line[len - 1] = '\0';
			return line;
		}
	}
	return NULL;
}

KTEST(usb_cfg_examples_each_parse_without_a_complaint)
{
	static const char *const needed[] = {
		"next=fs", "next=HD(", "bootmgfw.efi", "console=spcr", "console=uart,mmio",
		"console=pci", "panic=", "hvbit=", "smp=", "gdb=",
	};
	static struct hv_options o;
	static char line[CMDLINE_MAX];
	bool found[ARRAY_SIZE(needed)] = { false };
	unsigned int i, examples = 0;
	size_t pos = 0;

	if (read_template() < 0)
		KT_SKIP(t, "the template cannot be read (the test above says why)");
	while (next_example(&pos, line, sizeof(line))) {
		unsigned int n;

		cmdline_defaults(&o);
		cmdline_parse(line, &o);
		cmdline_check_gdb(&o);
		n = o.nmsgs + o.dropped_msgs;
		ktest_check(t, n == 0, __FILE__, __LINE__, "example '%s': %u complaints, the first '%s'",
			    line, n, n ? o.msgs[0] : "");
		for (i = 0; i < ARRAY_SIZE(needed); i++)
			found[i] |= !!strstr(line, needed[i]);
		examples++;
	}
	for (i = 0; i < ARRAY_SIZE(needed); i++)
		ktest_check(t, found[i], __FILE__, __LINE__, "no example with '%s' in %s",
			    needed[i], HV_USB_CFG);
	ktest_check(t, examples >= ARRAY_SIZE(needed), __FILE__, __LINE__,
		    "only %u example lines found", examples);
}
