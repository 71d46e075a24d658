// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the bytes are the operation stream of the model test
 * (tests/host/mm/tdp_model.c), the first byte picks the format and depth.
 * A mismatch with the model, a BUG_ON or a sanitizer report is a finding.
 *
 * An input is short: at most FUZZ_MAX_OPS operations, each compared with
 * the model as in the unit test, the whole-tree leaf count once at the end,
 * and no eager split of more than FUZZ_MAX_EAGER_LEAVES leaves.  The model
 * keeps its arrays from one input to the next, so an input costs what its
 * operations cost.  At exit the target prints its rate:
 *
 *	fuzz: N inputs in S s = R inputs/s
 *
 *	make fuzz FUZZ_SECONDS=60
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "tdp_model.h"

/* About 1 KiB of input; room for the 16-entry PML log to fill up. */
#define FUZZ_MAX_OPS 64
/*
 * Eagerly splitting a 1 GiB leaf makes 2^18 leaves, 100 ms of work that
 * the corpus would soon be full of (its loop counts are new coverage): an
 * input splits at most eight 2 MiB leaves at once.  The seeded unit test
 * splits 1 GiB leaves.
 */
#define FUZZ_MAX_EAGER_LEAVES 4096

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

static u64 nr_inputs;
static struct timespec t_start;

static void print_rate(void)
{
	struct timespec t;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t);
	s = (double)(t.tv_sec - t_start.tv_sec) + (t.tv_nsec - t_start.tv_nsec) / 1e9;
	fprintf(stderr, "fuzz: %llu inputs in %.1f s = %.0f inputs/s\n",
		(unsigned long long)nr_inputs, s, s > 0 ? nr_inputs / s : 0.0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	atexit(print_rate);
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const struct spte_format *const fmts[] = {
		&spte_fmt_ept, &spte_fmt_npt, &spte_fmt_ept_noad,
	};
	struct model_result res;
	struct model_cfg cfg;
	unsigned int i;

	nr_inputs++;
	if (!size)
		return 0;
	cfg = (struct model_cfg){
		.fmt = fmts[data[0] % 3], .root_level = data[0] & 0x10 ? 5 : 4,
		.bytes = data + 1, .len = size - 1, .nr_ops = FUZZ_MAX_OPS,
		.full_check_every = ~0U,	/* at the end of the input */
		.max_eager_leaves = FUZZ_MAX_EAGER_LEAVES,
	};
	if (!model_run(&cfg, &res))
		return 0;
	fprintf(stderr, "model mismatch (%s, %d-level) at step %llu: %s\n", cfg.fmt->name,
		cfg.root_level, (unsigned long long)res.failed_at, res.msg);
	for (i = 0; i < 8; i++)
		if (res.last_ops[i][0])
			fprintf(stderr, "  op: %s\n", res.last_ops[i]);
	print_rate();
	abort();
}
