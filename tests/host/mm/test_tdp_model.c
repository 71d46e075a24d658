// SPDX-License-Identifier: MIT
/*
 * The randomized model test (tests/host/mm/tdp_model.c), 100,000 seeded
 * operations per format and root depth.  TDP_MODEL_OPS and TDP_MODEL_SEED
 * in the environment override the count and the seed; a failure prints the
 * seed, the step, the shortest failing prefix and the last operations.
 */
#include <stdio.h>
#include <stdlib.h>
#include "lib/ktest.h"
#include "tdp_model.h"

static u64 env_u64(const char *name, u64 dflt)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : dflt;
}

static void run_model(struct ktest_ctx *t, const struct spte_format *fmt, int root_level,
		      u64 seed)
{
	struct model_cfg cfg = {
		.fmt = fmt, .root_level = root_level,
		.seed = env_u64("TDP_MODEL_SEED", seed),
		.nr_ops = env_u64("TDP_MODEL_OPS", 100000),
	};
	struct model_result res;
	unsigned int i;
	u64 shortest;

	printf("    # %s %d-level: seed 0x%llx, %llu operations\n", fmt->name, root_level,
	       (unsigned long long)cfg.seed, (unsigned long long)cfg.nr_ops);
	if (!model_run(&cfg, &res)) {
		KT_EXPECT_EQ(t, res.ops, cfg.nr_ops);
		return;
	}
	ktest_check(t, false, __FILE__, __LINE__, "%s %d-level seed 0x%llx step %llu: %s",
		    fmt->name, root_level, (unsigned long long)cfg.seed,
		    (unsigned long long)res.failed_at, res.msg);
	for (i = 0; i < 8; i++)
		if (res.last_ops[i][0])
			printf("    #   op: %s\n", res.last_ops[i]);
	shortest = model_shortest_failing_prefix(&cfg, res.failed_at);
	printf("    # shortest failing prefix: TDP_MODEL_SEED=0x%llx TDP_MODEL_OPS=%llu\n",
	       (unsigned long long)cfg.seed, (unsigned long long)shortest);
}

KTEST(tdp_model_ept_4level_matches_reference)
{
	run_model(t, &spte_fmt_ept, 4, 0x5eed0001);
}

KTEST(tdp_model_npt_4level_matches_reference)
{
	run_model(t, &spte_fmt_npt, 4, 0x5eed0002);
}

KTEST(tdp_model_ept_without_ad_bits_matches_reference)
{
	run_model(t, &spte_fmt_ept_noad, 4, 0x5eed0003);
}

KTEST(tdp_model_ept_5level_matches_reference)
{
	run_model(t, &spte_fmt_ept, 5, 0x5eed0004);
}

KTEST(tdp_model_npt_5level_matches_reference)
{
	run_model(t, &spte_fmt_npt, 5, 0x5eed0005);
}
