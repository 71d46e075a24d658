// SPDX-License-Identifier: MIT
/*
 * smp_faults: TDP faults on two physical CPUs at once.  One test VM's two
 * vCPUs -- vCPU 0 on the boot CPU, vCPU 1 on an AP (vm/smp.c) -- populate
 * disjoint 64 MiB halves of one slot by 4 KiB faults, against one vCPU
 * populating both halves alone.  The faults share the VM's TDP MMU (its read
 * side, entries installed with cmpxchg).  Next to the speed-up it prints
 * the machine's own ceiling in the same run: the same CPUs doing plain
 * arithmetic, two against one -- under QEMU that is what multi-threaded
 * TCG gives two vCPUs on this host; under Bochs, which runs CPUs one after
 * the other, it is about 1.  Best of SF_RUNS each, alternating.
 *
 * A third figure tells the emulator's share from the TDP MMU's: two VMs,
 * one per CPU, each populating its own 64 MiB (nothing shared but the
 * hypervisor's page pool), timed from when both are ready.  If that
 * scales no better than the shared VM, the shared MMU is not what limits.
 */
#include "arch/cpu.h"
#include "arch/x86.h"
#include "lib/kbench.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "vm/smp.h"
#include "vm/test_vm.h"

#define SF_GPA (8ULL << 30)
#define SF_HALF (64ULL << 20)
#define SF_PAGES (2 * SF_HALF >> PAGE_SHIFT)
#define SF_RUNS 3
#define SF_SPINS 20000000ULL

static struct test_vm tvm, tvm_ap;

static void touch(u64 from, u64 bytes)
{
	u64 gpa;

	for (gpa = from; gpa < from + bytes; gpa += PAGE_SIZE)
		*(volatile u64 *)(uintptr_t)gpa = gpa;
	GUEST_DONE();
}

static void guest_both(struct guest_shared *sh)
{
	touch(SF_GPA, 2 * SF_HALF);
}

static void guest_first(struct guest_shared *sh)
{
	touch(SF_GPA, SF_HALF);
}

static void guest_second(struct guest_shared *sh)
{
	touch(SF_GPA + SF_HALF, SF_HALF);
}

struct ap_job {
	struct vcpu v;
	struct vcpu_event ev;
	enum vcpu_event_type type;
	u64 end_ns;
	u64 spins;		/* the arithmetic job instead, when non-zero */
	bool own_vm;		/* a VM of its own (tvm_ap) instead */
	u32 ready, go;		/* own_vm: made, and may start */
	volatile u64 sink;
};

static struct ap_job job;

static u64 spin(u64 n)
{
	u64 x = 1, i;

	for (i = 0; i < n; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	return x;
}

static void ap_job_fn(void *arg)
{
	struct ap_job *j = arg;

	if (j->spins) {
		j->sink = spin(j->spins);
	} else if (j->own_vm) {
		j->type = VEV_DEAD;
		if (!test_vm_create(&tvm_ap, "smp_faults_ap", guest_first)) {
			tvm_ap.vm.policy.max_level = TDP_LEVEL_4K;
			if (test_vm_add_memory(&tvm_ap, SF_GPA, SF_HALF, 0, NULL))
				j->type = VEV_DONE;
		}
		__atomic_store_n(&j->ready, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&j->go, __ATOMIC_ACQUIRE))
			cpu_relax();
		if (j->type == VEV_DONE)
			j->type = test_vm_run(&tvm_ap);
		j->end_ns = ns_since_boot();
		test_vm_destroy(&tvm_ap);
		return;
	} else {
		j->type = VEV_DEAD;
		if (!test_vm_add_vcpu(&tvm, &j->v, 1, guest_second)) {
			j->type = vcpu_run(&j->v, &j->ev);
			vcpu_destroy(&j->v);
		}
	}
	j->end_ns = ns_since_boot();
}

/* With two vCPUs: how long each CPU's half took, in the best run. */
static u64 half_ns[2];

/* One population of the slot: by one vCPU, or by two on two CPUs.
 * Returns the nanoseconds it took, 0 on failure. */
static u64 populate(bool two)
{
	u64 start, end = 0;
	bool ok;

	if (test_vm_create(&tvm, "smp_faults", two ? guest_first : guest_both))
		return 0;
	tvm.vm.policy.max_level = TDP_LEVEL_4K;
	if (!test_vm_add_memory(&tvm, SF_GPA, 2 * SF_HALF, 0, NULL)) {
		test_vm_destroy(&tvm);
		return 0;
	}
	job.spins = 0;
	start = ns_since_boot();
	if (two && smp_call_start(1, ap_job_fn, &job)) {
		test_vm_destroy(&tvm);
		return 0;
	}
	ok = test_vm_run(&tvm) == VEV_DONE;
	end = ns_since_boot();
	if (two) {
		u64 mine = end - start;

		ok = !smp_call_wait(1) && ok && job.type == VEV_DONE;
		end = MAX(end, job.end_ns);
		if (ok && (!half_ns[0] || end - start < MAX(half_ns[0], half_ns[1]))) {
			half_ns[0] = mine;
			half_ns[1] = job.end_ns - start;
		}
	}
	ok = ok && vm_stats(&tvm.vm).tdp_faults >= SF_PAGES;
	test_vm_destroy(&tvm);
	return ok ? end - start : 0;
}

/* Two VMs, one per CPU, each populating its own SF_HALF: the nanoseconds
 * from when both are ready to when both are done, 0 on failure. */
static u64 populate_apart(void)
{
	u64 start, end;
	bool ok;

	job.spins = 0;
	job.own_vm = true;
	job.ready = job.go = 0;
	if (test_vm_create(&tvm, "smp_faults", guest_first)) {
		job.own_vm = false;
		return 0;
	}
	tvm.vm.policy.max_level = TDP_LEVEL_4K;
	ok = test_vm_add_memory(&tvm, SF_GPA, SF_HALF, 0, NULL) && !smp_call_start(1, ap_job_fn, &job);
	if (!ok) {
		job.own_vm = false;
		test_vm_destroy(&tvm);
		return 0;
	}
	while (!__atomic_load_n(&job.ready, __ATOMIC_ACQUIRE))
		cpu_relax();
	start = ns_since_boot();
	__atomic_store_n(&job.go, 1, __ATOMIC_RELEASE);
	ok = test_vm_run(&tvm) == VEV_DONE;
	end = ns_since_boot();
	ok = !smp_call_wait(1) && ok && job.type == VEV_DONE;
	end = MAX(end, job.end_ns);
	job.own_vm = false;
	test_vm_destroy(&tvm);
	return ok ? end - start : 0;
}

/* The ceiling: 2 * SF_SPINS multiplications on one CPU, or half on each. */
static u64 arithmetic(bool two)
{
	u64 start = ns_since_boot(), end;
	volatile u64 sink;

	job.spins = SF_SPINS;
	if (two && smp_call_start(1, ap_job_fn, &job))
		return 0;
	sink = spin(two ? SF_SPINS : 2 * SF_SPINS);
	end = ns_since_boot();
	(void)sink;
	if (two) {
		if (smp_call_wait(1))
			return 0;
		end = MAX(end, job.end_ns);
	}
	return end - start;
}

static u64 best(u64 a, u64 b)
{
	return !a ? b : !b ? a : MIN(a, b);
}

KBENCH(smp_faults)
{
	u64 one = 0, two = 0, apart = 0, a1 = 0, a2 = 0;
	unsigned int r;

	if (!virt || smp_ncpus() < 2) {
		pr_info("bench: smp_faults: skipped (%s)\n", !virt ? "no VMX/SVM" : "one CPU");
		return;
	}
	for (r = 0; r < SF_RUNS; r++) {
		one = best(one, populate(false));
		two = best(two, populate(true));
		apart = best(apart, populate_apart());
		a1 = best(a1, arithmetic(false));
		a2 = best(a2, arithmetic(true));
	}
	if (!one || !two || !apart || !a1 || !a2) {
		pr_info("bench: smp_faults: a run failed\n");
		return;
	}
	pr_info("bench: smp_faults: %llu 4K faults by 1 vCPU: %llu.%03llu ms; by 2 vCPUs on 2 CPUs "
		"(disjoint 64 MiB each): %llu.%03llu ms\n", (unsigned long long)SF_PAGES,
		(unsigned long long)(one / 1000000), (unsigned long long)(one / 1000 % 1000),
		(unsigned long long)(two / 1000000), (unsigned long long)(two / 1000 % 1000));
	pr_info("bench: smp_faults: in that run cpu0's half took %llu.%03llu ms, cpu1's (from "
		"the start, its vCPU made there) %llu.%03llu ms\n",
		(unsigned long long)(half_ns[0] / 1000000), (unsigned long long)(half_ns[0] / 1000 % 1000),
		(unsigned long long)(half_ns[1] / 1000000), (unsigned long long)(half_ns[1] / 1000 % 1000));
	pr_info("bench: smp_faults: speed-up %llu.%02llu (goal >= 1.6 where the emulator runs "
		"CPUs in parallel); this machine's 2-CPU ceiling (arithmetic) %llu.%02llu; best of "
		"%u\n", (unsigned long long)(one / two), (unsigned long long)(one * 100 / two % 100),
		(unsigned long long)(a1 / a2), (unsigned long long)(a1 * 100 / a2 % 100), SF_RUNS);
	pr_info("bench: smp_faults: two VMs, one per CPU, nothing shared but the page pool: "
		"%llu.%03llu ms, speed-up %llu.%02llu; the shared VM takes %llu.%02llu times as "
		"long\n",
		(unsigned long long)(apart / 1000000), (unsigned long long)(apart / 1000 % 1000),
		(unsigned long long)(one / apart), (unsigned long long)(one * 100 / apart % 100),
		(unsigned long long)(two / apart), (unsigned long long)(two * 100 / apart % 100));
}
