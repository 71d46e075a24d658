// SPDX-License-Identifier: MIT
/*
 * dirty_log_perf, after KVM's dirty_log_perf_test: populate a 64 MiB slot
 * (huge pages allowed), enable dirty logging (huge pages split eagerly),
 * run iterations in which the guest dirties every page and the host gets
 * and clears the log, then disable.  For each phase it prints TSC cycles,
 * VM exits, TDP faults and pages per fault.  Under emulation the figure of
 * merit is the exit count, not the time.  Runs the mode tdp_dirty= forced,
 * else every mode the CPU offers.
 */
#include "arch/x86.h"
#include "errcode.h"
#include "lib/bitmap.h"
#include "lib/kbench.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "vm/test_vm.h"
#include "vm/virt.h"

#define DLP_GPA (16ULL << 30)
#define DLP_BYTES (64ULL << 20)
#define DLP_PAGES (DLP_BYTES >> PAGE_SHIFT)
#define DLP_ITERS 3

static struct test_vm tvm;
static u64 bitmap[DLP_PAGES / 64];

static void guest_dirty_all(struct guest_shared *sh)
{
	u64 it, gpa;

	for (it = 0; it <= DLP_ITERS; it++) {
		for (gpa = DLP_GPA; gpa < DLP_GPA + DLP_BYTES; gpa += PAGE_SIZE)
			*(volatile u64 *)(uintptr_t)gpa = it;
		GUEST_SYNC(it);
	}
}

struct phase {
	u64 tsc, exits, faults;
	struct mm_slot *slot;
};

static void phase_start(struct phase *p, struct mm_slot *slot)
{
	p->slot = slot;
	p->exits = vm_stats(&tvm.vm).exits;
	p->faults = vm_stats(&tvm.vm).slot_faults[slot->id];
	p->tsc = rdtsc();
}

static void phase_end(struct phase *p, const char *name, u64 pages)
{
	u64 tsc = rdtsc() - p->tsc;
	u64 exits = vm_stats(&tvm.vm).exits - p->exits;
	u64 faults = vm_stats(&tvm.vm).slot_faults[p->slot->id] - p->faults;

	if (faults)
		pr_info("bench:   %-18s %14llu %10llu %10llu %10llu\n", name,
			(unsigned long long)tsc, (unsigned long long)exits,
			(unsigned long long)faults, (unsigned long long)(pages / faults));
	else
		pr_info("bench:   %-18s %14llu %10llu %10llu %10s\n", name,
			(unsigned long long)tsc, (unsigned long long)exits, 0ULL, "-");
}

static void run_mode(enum tdp_dirty_mode mode)
{
	const char *mode_name = tdp_dirty_mode_name(mode);
	struct mm_slot *slot;
	struct phase p;
	char name[24];
	u64 it, dirty;
	int err;

	if (test_vm_create(&tvm, "dirty_log_perf", guest_dirty_all) ||
	    !test_vm_add_memory(&tvm, DLP_GPA, DLP_BYTES, 0, &slot)) {
		pr_err("bench: dirty_log_perf: cannot create the VM (hvmem too small?)\n");
		test_vm_destroy(&tvm);
		return;
	}
	tvm.vm.policy.max_level = TDP_LEVEL_1G;
	pr_info("bench: dirty_log_perf %s, mode %s, %llu pages (%llu MiB), %d iterations\n",
		virt->name, mode_name, (unsigned long long)DLP_PAGES,
		(unsigned long long)(DLP_BYTES >> 20), DLP_ITERS);
	pr_info("bench:   %-18s %14s %10s %10s %10s\n", "phase", "tsc cycles", "exits",
		"faults", "pages/fault");
	phase_start(&p, slot);
	if (test_vm_run(&tvm) != VEV_SYNC)
		goto out;
	phase_end(&p, "populate", DLP_PAGES);

	phase_start(&p, slot);
	err = tdp_dirty_log_enable(&tvm.vcpu.tdp, slot, mode, TDP_DIRTY_EAGER_SPLIT);
	if (err) {
		pr_info("bench:   %s mode not available here (%d)\n", mode_name, err);
		goto out;
	}
	phase_end(&p, "enable", DLP_PAGES);
	for (it = 1; it <= DLP_ITERS; it++) {
		phase_start(&p, slot);
		if (test_vm_run(&tvm) != VEV_SYNC)
			goto out;
		snprintf(name, sizeof(name), "dirty %llu", (unsigned long long)it);
		phase_end(&p, name, DLP_PAGES);
		phase_start(&p, slot);
		memset(bitmap, 0, sizeof(bitmap));
		tdp_dirty_log_get(&tvm.vcpu.tdp, slot, bitmap, true);
		dirty = bitmap_weight(bitmap, DLP_PAGES);
		snprintf(name, sizeof(name), "get+clear %llu", (unsigned long long)it);
		phase_end(&p, name, DLP_PAGES);
		if (dirty != DLP_PAGES)
			pr_err("bench:   iteration %llu: %llu of %llu pages reported dirty\n",
			       (unsigned long long)it, (unsigned long long)dirty,
			       (unsigned long long)DLP_PAGES);
	}
	phase_start(&p, slot);
	tdp_dirty_log_disable(&tvm.vcpu.tdp, slot, &tvm.vm.policy);
	phase_end(&p, "disable", DLP_PAGES);
	pr_info("bench:   total exits %llu, TDP faults %llu\n",
		(unsigned long long)vm_stats(&tvm.vm).exits,
		(unsigned long long)vm_stats(&tvm.vm).tdp_faults);
out:
	test_vm_destroy(&tvm);
}

KBENCH(dirty_log_perf)
{
	enum tdp_dirty_mode m;

	if (!virt) {
		pr_info("bench: dirty_log_perf: no hardware virtualization\n");
		return;
	}
	if (virt_dirty_mode_forced()) {
		run_mode(virt_dirty_mode());
		return;
	}
	for (m = TDP_DIRTY_WP; m < TDP_DIRTY_NR; m++)
		if (virt_dirty_mode_offered(m))
			run_mode(m);
}
