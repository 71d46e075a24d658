// SPDX-License-Identifier: MIT
/*
 * The ktest runner: walks the "ktest_cases" section and prints KTAP.
 * Shared by hv.efi and the host test binaries (see include/lib/ktest.h).
 */
#include "lib/ktest.h"
#include "lib/printk.h"
#include "lib/string.h"

extern const struct ktest *const __start_ktest_cases[];
extern const struct ktest *const __stop_ktest_cases[];

static const char *skips = "";
static struct ktest_fuzz fuzz;

void ktest_set_fuzz(const struct ktest_fuzz *f)
{
	fuzz = *f;
}

const struct ktest_fuzz *ktest_fuzz(void)
{
	return &fuzz;
}

void ktest_set_skips(const char *comma_separated)
{
	skips = comma_separated ? comma_separated : "";
}

bool ktest_subcase_skipped(struct ktest_ctx *t, const char *subcase)
{
	size_t n = strlen(subcase);
	const char *p = skips;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, subcase, n)) {
			printk(KERN_INFO "    # %s: sub-case %s skipped (ktest_skip=)\n",
			       t->name, subcase);
			return true;
		}
		p += len + (end ? 1 : 0);
	}
	return false;
}

bool ktest_streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

bool ktest_check(struct ktest_ctx *t, bool ok, const char *file, int line,
		 const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (ok)
		return true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->failures++;
	printk(KERN_INFO "    # %s: %s:%d: %s\n", t->name, file, line, msg);
	return false;
}

void ktest_skip(struct ktest_ctx *t, const char *reason)
{
	t->skipped = true;
	t->skip_reason = reason;
}

static bool ktest_selected(const struct ktest *kt, const char *filter)
{
	if (!filter || !*filter || strcmp(filter, "all") == 0)
		return true;
	return strncmp(kt->name, filter, strlen(filter)) == 0;
}

unsigned int ktest_run(const char *filter, unsigned int *passed)
{
	const struct ktest *const *p;
	unsigned int n = 0, i = 0, failed = 0, ok = 0;

	for (p = __start_ktest_cases; p < __stop_ktest_cases; p++)
		n += ktest_selected(*p, filter);

	printk(KERN_INFO "KTAP version 1\n");
	if (!n) {
		printk(KERN_INFO "1..1\n");
		printk(KERN_INFO "not ok 1 ktest=%s: no test matches\n", filter ? filter : "all");
		printk(KERN_INFO "# ktest: 0 passed, 1 failed\n");
		if (passed)
			*passed = 0;
		return 1;
	}
	printk(KERN_INFO "1..%u\n", n);
	for (p = __start_ktest_cases; p < __stop_ktest_cases; p++) {
		struct ktest_ctx t = { .name = (*p)->name };

		if (!ktest_selected(*p, filter))
			continue;
		i++;
		(*p)->fn(&t);
		if (t.skipped && !t.failures) {
			printk(KERN_INFO "ok %u %s # SKIP %s\n", i, t.name,
			       t.skip_reason);
			ok++;
		} else if (t.failures) {
			printk(KERN_INFO "not ok %u %s\n", i, t.name);
			failed++;
		} else {
			printk(KERN_INFO "ok %u %s\n", i, t.name);
			ok++;
		}
	}
	printk(KERN_INFO "# ktest: %u passed, %u failed\n", ok, failed);
	if (passed)
		*passed = ok;
	return failed;
}
