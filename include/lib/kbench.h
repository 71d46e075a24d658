/* SPDX-License-Identifier: MIT */
/*
 * In-hypervisor benchmarks (bench= on the command line): figures printed as
 * "bench: ..." lines for `make bench`, never pass/fail.  Registered like
 * ktests, in the "kbench_cases" section.
 */
#ifndef TDPVISOR_KBENCH_H
#define TDPVISOR_KBENCH_H

#include "compiler.h"

struct kbench {
	const char *name;
	void (*fn)(void);
};

#define KBENCH(name_)                                                     \
	static void kbench_fn_##name_(void);                              \
	static const struct kbench kbench_desc_##name_ = { #name_,        \
							   kbench_fn_##name_ }; \
	static const struct kbench *const kbench_ptr_##name_               \
		__section("kbench_cases") __used = &kbench_desc_##name_;   \
	static void kbench_fn_##name_(void)

/* Runs the benchmarks whose name starts with filter ("all": every one).
 * Returns how many ran; none is an error the caller reports. */
unsigned int kbench_run(const char *filter);

#endif
