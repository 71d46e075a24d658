// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the bytes are the operation stream of the model test
 * (tests/host/mm/tdp_model.c), the first byte picks the format and depth.
 * A mismatch with the model, a BUG_ON or a sanitizer report is a finding.
 *
 *	make fuzz FUZZ_SECONDS=60
 */
#include <stdio.h>
#include <stdlib.h>
#include "tdp_model.h"

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const struct spte_format *const fmts[] = {
		&spte_fmt_ept, &spte_fmt_npt, &spte_fmt_ept_noad,
	};
	struct model_result res;
	struct model_cfg cfg;
	unsigned int i;

	if (size < 5)
		return 0;
	cfg = (struct model_cfg){
		.fmt = fmts[data[0] % 3], .root_level = data[0] & 0x10 ? 5 : 4,
		.bytes = data + 1, .len = size - 1, .nr_ops = size,
		.full_check_every = 16,
	};
	if (!model_run(&cfg, &res))
		return 0;
	fprintf(stderr, "model mismatch (%s, %d-level) at step %llu: %s\n", cfg.fmt->name,
		cfg.root_level, (unsigned long long)res.failed_at, res.msg);
	for (i = 0; i < 8; i++)
		if (res.last_ops[i][0])
			fprintf(stderr, "  op: %s\n", res.last_ops[i]);
	abort();
}
