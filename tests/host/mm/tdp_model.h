/* SPDX-License-Identifier: MIT */
/*
 * The randomized model test of the TDP MMU: a sequence of operations (map
 * at any level, guest accesses, zap, dirty logging, aging, MMIO markers,
 * root invalidation, dirty logging in every mode, PML included) applied
 * both to the MMU and to a plain reference model (per-level arrays of
 * leaves, a dirty bit per page), with the whole tree compared after every
 * step.  The operations come from a seeded generator, or from bytes (the
 * fuzzer).
 */
#ifndef TDPVISOR_TEST_TDP_MODEL_H
#define TDPVISOR_TEST_TDP_MODEL_H

#include "mm/spte.h"

struct model_cfg {
	const struct spte_format *fmt;
	int root_level;
	u64 seed;		/* 0: take operations from bytes/len */
	const u8 *bytes;
	u64 len;
	u64 nr_ops;		/* stop after this many */
	u32 full_check_every;	/* period of the whole-tree leaf count (0: 1000) */
	u64 max_eager_leaves;	/* >0: no eager split that makes more 4K leaves */
	bool quiet;
};

struct model_result {
	u64 ops;		/* operations run */
	u64 failed_at;		/* 1-based step that failed, 0 when none */
	char msg[512];
	char last_ops[8][96];	/* the last operations, oldest first */
};

/* Runs cfg.  Returns 0 when the MMU matched the model all along. */
int model_run(const struct model_cfg *cfg, struct model_result *res);

/*
 * The shortest prefix of the seeded sequence that fails (a full comparison
 * after the prefix), found by bisection below failed_at.
 */
u64 model_shortest_failing_prefix(const struct model_cfg *cfg, u64 failed_at);

#endif
