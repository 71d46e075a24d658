// SPDX-License-Identifier: MIT
/*
 * stress_keeps_guest_memory: a guest checks and rewrites a 16 MiB range
 * round after round while the host runs a tdp_stress step (every
 * operation) between two rounds -- zaps, dirty-log rounds in every mode the
 * CPU offers, huge pages split and rebuilt, aging, MTRR-like boundaries
 * moved.  Every word must hold what the guest last wrote there, in the
 * guest's reads and in the host's view at the end, and every operation
 * must have happened.
 */
#include "lib/ktest.h"
#include "lib/printk.h"
#include "mm/page_alloc.h"
#include "vm/stress.h"
#include "vm/test_vm.h"

#define ST_GPA (4ULL << 30)
#define ST_BYTES (16ULL << 20)
#define ST_ROUNDS 128
#define ST_STRIDE 64		/* one word a cache line */

static struct test_vm tvm;

/* What the word at gpa holds after round r wrote it. */
static u64 st_value(u64 gpa, u64 r)
{
	return (gpa * 0x9e3779b97f4a7c15ULL) ^ (r << 48) ^ r;
}

/* The last round at or before r that wrote (odd rounds only read). */
static u64 st_written(u64 r)
{
	return r & ~1ULL;
}

static void guest_check_and_rewrite(struct guest_shared *sh)
{
	u64 r, gpa, bad;

	for (gpa = ST_GPA; gpa < ST_GPA + ST_BYTES; gpa += ST_STRIDE)
		*(volatile u64 *)(uintptr_t)gpa = st_value(gpa, 0);
	GUEST_SYNC(0);
	for (r = 1; r <= ST_ROUNDS; r++) {
		bad = 0;
		for (gpa = ST_GPA; gpa < ST_GPA + ST_BYTES; gpa += ST_STRIDE) {
			volatile u64 *p = (volatile u64 *)(uintptr_t)gpa;

			bad += *p != st_value(gpa, st_written(r - 1));
			if (!(r & 1))
				*p = st_value(gpa, r);
		}
		sh->arg[0] = bad;
		GUEST_ASSERT_EQ(bad, 0);
		GUEST_SYNC(r);
	}
}

KTEST(stress_keeps_guest_memory)
{
	const struct stress_config c = {
		.rate_ms = 1, .ops = STRESS_ALL, .seed = STRESS_SEED_DEFAULT,
	};
	u64 used = page_pool_used(&hv_pool), r, off, bad = 0;
	struct stress_counts n;
	struct stress *s = NULL;
	struct mm_slot *slot;
	u64 *mem;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "stress", guest_check_and_rewrite), 0);
	tvm.vm.policy.max_level = TDP_LEVEL_2M;
	mem = test_vm_add_memory(&tvm, ST_GPA, ST_BYTES, 0, &slot);
	if (!KT_EXPECT(t, mem != NULL))
		goto out;
	s = stress_attach(&tvm.vm, &c, false);
	if (!KT_EXPECT(t, s != NULL))
		goto out;
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	for (r = 1; r <= ST_ROUNDS; r++) {
		/* The step's clock: one rate further each round. */
		KT_EXPECT(t, stress_step(s, &tvm.vcpu, r * 1000000ULL));
		if (!KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC) ||
		    !KT_EXPECT_EQ(t, tvm.ev.value, r))
			break;
	}
	if (r > ST_ROUNDS)
		KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
	for (off = 0; off < ST_BYTES; off += ST_STRIDE)
		bad += mem[off / 8] != st_value(ST_GPA + off, st_written(ST_ROUNDS));
	KT_EXPECT_EQ(t, bad, 0);
	n = stress_counts(s, ~0u);
	stress_print(s);
	KT_EXPECT_EQ(t, n.steps, ST_ROUNDS);	/* one a call: each came on time */
	KT_EXPECT_EQ(t, n.late, 0);
	KT_EXPECT(t, n.zaps > 0 && n.zaps_hit > 0);
	KT_EXPECT(t, n.rounds > 0 && n.harvests > 0 && n.dirty_pages > 0);
	KT_EXPECT(t, n.splits > 0);
	KT_EXPECT(t, n.recoveries > 0);
	KT_EXPECT(t, n.ages > 0 && n.young > 0);
	KT_EXPECT(t, n.retypes > 0);
out:
	if (s)
		stress_detach(s, &tvm.vcpu);
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}
