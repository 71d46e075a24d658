/* SPDX-License-Identifier: MIT */
/*
 * ktest: one unit-test harness for two worlds.  The same test files build
 * into the host test binaries (under ASan/UBSan) and into hv.efi, where they
 * run again inside the real firmware environment.  Results are printed as
 * KTAP version 1 through printk().
 *
 *	KTEST(printf_zero_pads_to_width)
 *	{
 *		char buf[16];
 *		snprintf(buf, sizeof(buf), "%05d", 42);
 *		KT_EXPECT_STREQ(t, buf, "00042");
 *	}
 *
 * A test name states the behaviour it checks.  Each KTEST() places a
 * descriptor in the "ktest_cases" section; the run order is link order.
 * KT_EXPECT_*() record a failure and go on; KT_ASSERT_*() return from the
 * test.  Every failure prints expected, seen and file:line as a KTAP
 * diagnostic ("    # ...").
 */
#ifndef TDPVISOR_KTEST_H
#define TDPVISOR_KTEST_H

#include "types.h"
#include "compiler.h"

struct ktest_ctx {
	const char *name;
	unsigned int failures;
	bool skipped;
	const char *skip_reason;
};

struct ktest {
	const char *name;
	const char *file;
	void (*fn)(struct ktest_ctx *t);
};

#define KTEST(name_)                                                        \
	static void ktest_fn_##name_(struct ktest_ctx *t);                   \
	static const struct ktest ktest_desc_##name_ = {                     \
		#name_, __FILE__, ktest_fn_##name_ };                        \
	static const struct ktest *const ktest_ptr_##name_                   \
		__section("ktest_cases") __used = &ktest_desc_##name_;       \
	static void ktest_fn_##name_(struct ktest_ctx *t __unused)

/* Records a result; prints the diagnostic when ok is false.  Returns ok. */
__printf(5, 6) bool ktest_check(struct ktest_ctx *t, bool ok, const char *file,
				int line, const char *fmt, ...);
void ktest_skip(struct ktest_ctx *t, const char *reason);

/*
 * Runs every registered test whose name starts with filter (NULL or "all":
 * every test) and prints one KTAP document.  Returns the number of failed
 * tests.  *passed receives the number that passed (may be NULL).  A filter
 * that matches no test is one failure ("not ok 1"): a mistyped name must
 * not pass.
 */
unsigned int ktest_run(const char *filter, unsigned int *passed);

#define KT_EXPECT(t, cond) \
	ktest_check(t, !!(cond), __FILE__, __LINE__, "expected %s", #cond)

#define KT_EXPECT_EQ(t, a, b)                                                \
	({                                                                    \
		u64 a_ = (u64)(a), b_ = (u64)(b);                             \
		ktest_check(t, a_ == b_, __FILE__, __LINE__,                  \
			    "expected %s == %s, seen 0x%llx vs 0x%llx", #a, #b, \
			    (unsigned long long)a_, (unsigned long long)b_);  \
	})

#define KT_EXPECT_NE(t, a, b)                                                \
	({                                                                    \
		u64 a_ = (u64)(a), b_ = (u64)(b);                             \
		ktest_check(t, a_ != b_, __FILE__, __LINE__,                  \
			    "expected %s != %s, both 0x%llx", #a, #b,         \
			    (unsigned long long)a_);                          \
	})

#define KT_EXPECT_STREQ(t, a, b)                                             \
	({                                                                    \
		const char *a_ = (a), *b_ = (b);                              \
		ktest_check(t, a_ && b_ && ktest_streq(a_, b_), __FILE__,     \
			    __LINE__, "expected %s == \"%s\", seen \"%s\"", #a, \
			    b_ ? b_ : "(null)", a_ ? a_ : "(null)");          \
	})

#define KT_ASSERT(t, cond)                        \
	do {                                      \
		if (!KT_EXPECT(t, cond))          \
			return;                   \
	} while (0)

#define KT_ASSERT_EQ(t, a, b)                     \
	do {                                      \
		if (!KT_EXPECT_EQ(t, a, b))       \
			return;                   \
	} while (0)

/* Ends the test as skipped (KTAP "# SKIP reason"). */
#define KT_SKIP(t, reason)                        \
	do {                                      \
		ktest_skip(t, reason);            \
		return;                           \
	} while (0)

bool ktest_streq(const char *a, const char *b);

/*
 * Sub-cases an environment cannot run (ktest_skip= on the command line,
 * e.g. an emulator that cannot deliver some event).  A test asks before it
 * runs a sub-case and reports the skip as a KTAP diagnostic.
 */
void ktest_set_skips(const char *comma_separated);
bool ktest_subcase_skipped(struct ktest_ctx *t, const char *subcase);

/*
 * What the randomized tests run (fuzz_seed=, fuzz_seconds=, fuzz_iters= on
 * the command line): a zero field, or seed_set false, leaves the test's own
 * fixed default, so that ktest=all stays a short, reproducible pass.
 */
struct ktest_fuzz {
	u64 seed;
	bool seed_set;
	u64 seconds;	/* run for this long (0: by iterations) */
	u64 iters;	/* this many rounds (a test says what a round is) */
};

void ktest_set_fuzz(const struct ktest_fuzz *f);
const struct ktest_fuzz *ktest_fuzz(void);

#endif
