// SPDX-License-Identifier: MIT
/*
 * Test VMs with vCPUs on two physical CPUs at once: the boot CPU runs
 * vCPU 0, an AP runs vCPU 1 (created, run and destroyed there, through
 * smp_call_start()).  Both skip on a machine with one CPU.
 *
 * smp_parallel_faults: the two vCPUs fault 4 KiB pages of one slot at the
 * same time -- each its own half (disjoint), then both the same pages
 * (overlapping: each writes its own word of every page).  Every value
 * written by either vCPU reads back in both; every page of the slot is
 * mapped exactly once (one fixed fault per page, however many vCPUs raced
 * for it) and maps the slot's own frame.
 *
 * smp_remote_flush: vCPU 1 reads one page in a loop on the AP while the
 * boot CPU points its GFN at another frame and zaps it, then raises a flag
 * in guest memory.  Once vCPU 1 sees the flag, it must never read the old
 * frame again: the zap returned only after the AP's vCPU left the guest
 * and will flush before it enters again (vm_flush_remote_tlbs()).  Without
 * that, the AP's TLB keeps the old translation (QEMU's TCG does: it caches
 * guest translations until a flush), and vCPU 1 keeps reading the old value.
 */
#include "arch/cpu.h"
#include "arch/percpu.h"
#include "lib/console.h"
#include "lib/ktest.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vm/smp.h"
#include "vm/test_vm.h"

#define PF_GPA (4ULL << 30)
#define PF_HALF (8ULL << 20)			/* each vCPU's own range */
#define PF_SHARED_BYTES (4ULL << 20)		/* the range both fault */
#define PF_BYTES (2 * PF_HALF + PF_SHARED_BYTES + PAGE_SIZE)
#define PF_MEET (PF_GPA + 2 * PF_HALF + PF_SHARED_BYTES)	/* a counter page */
#define PF_PAGES ((PF_BYTES) >> PAGE_SHIFT)
#define SPIN_LIMIT 2000000000ULL

static struct test_vm tvm;

static u64 pf_value(u64 gpa, unsigned int who)
{
	return gpa * 7 + 1 + who;
}

/* Both vCPUs arrive at the counter page before either goes on. */
static void guest_meet(u64 round)
{
	volatile u64 *meet = (volatile u64 *)(uintptr_t)PF_MEET;
	u64 spins = 0;

	__atomic_fetch_add(meet, 1, __ATOMIC_SEQ_CST);
	while (*meet < 2 * round && ++spins < SPIN_LIMIT)
		__builtin_ia32_pause();
	GUEST_ASSERT(spins < SPIN_LIMIT);
}

static void guest_faults(unsigned int who)
{
	u64 own = PF_GPA + who * PF_HALF, other = PF_GPA + (1 - who) * PF_HALF;
	u64 shared = PF_GPA + 2 * PF_HALF, gpa;

	for (gpa = own; gpa < own + PF_HALF; gpa += PAGE_SIZE)
		*(volatile u64 *)(uintptr_t)gpa = pf_value(gpa, who);
	guest_meet(1);
	/* The same pages at the same time: each vCPU its own word of each. */
	for (gpa = shared; gpa < shared + PF_SHARED_BYTES; gpa += PAGE_SIZE)
		*(volatile u64 *)(uintptr_t)(gpa + 8 * who) = pf_value(gpa, who);
	guest_meet(2);
	for (gpa = other; gpa < other + PF_HALF; gpa += PAGE_SIZE)
		GUEST_ASSERT_EQ(*(volatile u64 *)(uintptr_t)gpa, pf_value(gpa, 1 - who));
	for (gpa = shared; gpa < shared + PF_SHARED_BYTES; gpa += PAGE_SIZE) {
		GUEST_ASSERT_EQ(*(volatile u64 *)(uintptr_t)gpa, pf_value(gpa, 0));
		GUEST_ASSERT_EQ(*(volatile u64 *)(uintptr_t)(gpa + 8), pf_value(gpa, 1));
	}
	GUEST_DONE();
}

static void guest_faults0(struct guest_shared *sh)
{
	guest_faults(0);
}

static void guest_faults1(struct guest_shared *sh)
{
	guest_faults(1);
}

/* What the AP does with vCPU 1: make it, run it to its end, unmake it. */
struct ap_run {
	guest_fn fn;
	struct vcpu v;
	struct vcpu_event ev;
	int err;
	enum vcpu_event_type type;
};

static struct ap_run ap;

static void ap_run_vcpu1(void *arg)
{
	struct ap_run *r = arg;

	r->err = test_vm_add_vcpu(&tvm, &r->v, 1, r->fn);
	if (r->err)
		return;
	r->type = vcpu_run(&r->v, &r->ev);
	vcpu_destroy(&r->v);
}

static bool start_vcpu1(struct ktest_ctx *t, guest_fn fn)
{
	ap.fn = fn;
	ap.err = 0;
	ap.type = VEV_DEAD;
	return KT_EXPECT_EQ(t, smp_call_start(1, ap_run_vcpu1, &ap), 0);
}

static void end_vcpu1(struct ktest_ctx *t)
{
	KT_EXPECT_EQ(t, smp_call_wait(1), 0);
	KT_EXPECT_EQ(t, ap.err, 0);
	if (ap.type == VEV_ASSERT)
		pr_err("vcpu1: guest assertion failed at %s:%llu: %s (value 0x%llx)\n", ap.ev.file,
		       (unsigned long long)ap.ev.line, ap.ev.cond, (unsigned long long)ap.ev.value);
	KT_EXPECT_EQ(t, ap.type, VEV_DONE);
}

KTEST(smp_parallel_faults)
{
	u64 used = page_pool_used(&hv_pool), i, wrong = 0;
	struct mm_slot *slot;
	u8 *mem;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	if (smp_ncpus() < 2)
		KT_SKIP(t, "one CPU");
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "smp_faults", guest_faults0), 0);
	tvm.vm.policy.max_level = TDP_LEVEL_4K;
	mem = test_vm_add_memory(&tvm, PF_GPA, PF_BYTES, 0, &slot);
	if (!KT_EXPECT(t, mem != NULL))
		goto out;
	memset(mem, 0, PF_BYTES);
	if (!start_vcpu1(t, guest_faults1))
		goto out;
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
	end_vcpu1(t);
	/* One fixed fault per page, whichever vCPU took it: none lost, none doubled. */
	KT_EXPECT_EQ(t, vm_stats(&tvm.vm).slot_faults[slot->id], PF_PAGES);
	for (i = 0; i < PF_PAGES; i++) {
		struct tdp_mapping m;
		gpa_t gpa = PF_GPA + (i << PAGE_SHIFT);

		if (tdp_mmu_lookup(&tvm.vcpu.tdp, gpa_to_gfn(gpa), &m) || !m.present ||
		    m.level != TDP_LEVEL_4K || m.hpa != (hpa_t)(uintptr_t)(mem + (i << PAGE_SHIFT)))
			wrong++;
	}
	KT_EXPECT_EQ(t, wrong, 0);
	pr_info("smp_parallel_faults: %llu pages by 2 vCPUs on 2 CPUs: %llu faults fixed, %llu "
		"spurious, %llu retried\n", (unsigned long long)PF_PAGES,
		(unsigned long long)vm_stats(&tvm.vm).tdp_faults,
		(unsigned long long)vm_stats(&tvm.vm).tdp_spurious,
		(unsigned long long)tvm.vm.mmu.stats.retries);
out:
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}

#define RF_GPA (4ULL << 30)			/* the page vCPU 1 reads */
#define RF_FLAG (RF_GPA + (2ULL << 20))		/* the host's "the zap returned" */
#define RF_OUT (RF_FLAG + PAGE_SIZE)		/* the reader's counts */
#define RF_OLD 0x01d01d01dULL
#define RF_NEW 0x2e02e02eULL
#define RF_READS_AFTER 200000ULL

/* vCPU 1: reads the page until it has read it RF_READS_AFTER times after
 * the flag; counts what it read. */
static void guest_reader(struct guest_shared *sh)
{
	volatile u64 *page = (volatile u64 *)(uintptr_t)RF_GPA;
	volatile u64 *flag = (volatile u64 *)(uintptr_t)RF_FLAG;
	volatile u64 *out = (volatile u64 *)(uintptr_t)RF_OUT;
	u64 after = 0, stale = 0, before = 0, spins = 0, v;

	out[3] = 1;		/* running */
	while (after < RF_READS_AFTER && ++spins < 50 * SPIN_LIMIT) {
		bool raised = *flag;

		v = *page;
		if (!raised) {
			before++;
			continue;
		}
		after++;
		stale += v != RF_NEW;
	}
	out[0] = before;
	out[1] = after;
	out[2] = stale;
	GUEST_DONE();
}

static void guest_idle(struct guest_shared *sh)
{
	GUEST_SYNC(0);
}

KTEST(smp_remote_flush)
{
	u64 used = page_pool_used(&hv_pool), spins = 0;
	struct mm_slot *slot, *ctl_slot;
	volatile u64 *flag, *out;
	u64 *frames;
	u8 *ctl;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	if (smp_ncpus() < 2)
		KT_SKIP(t, "one CPU");
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "smp_flush", guest_idle), 0);
	tvm.vm.policy.max_level = TDP_LEVEL_4K;
	/* Two frames behind a one-page slot (the GFN moves to the second), and
	 * a slot for the flag and the counts. */
	frames = test_vm_add_memory(&tvm, RF_GPA, 2 * PAGE_SIZE, 0, &slot);
	ctl = test_vm_add_memory(&tvm, RF_FLAG, 2 * PAGE_SIZE, 0, &ctl_slot);
	if (!KT_EXPECT(t, frames != NULL && ctl != NULL))
		goto out;
	slot->npages = 1;
	frames[0] = RF_OLD;
	frames[PAGE_SIZE / 8] = RF_NEW;
	memset(ctl, 0, 2 * PAGE_SIZE);
	flag = (volatile u64 *)ctl;
	out = (volatile u64 *)(ctl + PAGE_SIZE);
	if (!start_vcpu1(t, guest_reader))
		goto out;
	while (!out[3] && ++spins < SPIN_LIMIT)
		cpu_relax();
	KT_EXPECT(t, out[3]);
	for (spins = 0; spins < 1000000; spins++)	/* it reads the old frame a while */
		cpu_relax();
	slot->host_pfn += 1;	/* same GFN, the other frame */
	KT_EXPECT(t, tdp_mmu_zap_range(&tvm.vcpu.tdp, gpa_to_gfn(RF_GPA), gpa_to_gfn(RF_GPA) + 1));
	__atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
	end_vcpu1(t);
	slot->host_pfn -= 1;
	pr_info("smp_remote_flush: the reader on cpu1 read the page %llu times before the zap "
		"returned, %llu after, %llu of them stale\n", (unsigned long long)out[0],
		(unsigned long long)out[1], (unsigned long long)out[2]);
	KT_EXPECT(t, out[0] > 0);
	KT_EXPECT_EQ(t, out[1], RF_READS_AFTER);
	KT_EXPECT_EQ(t, out[2], 0);
out:
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}

/*
 * smp_printk: the boot CPU and an AP print 200 lines each at once; every
 * line reaches the log ring whole (printk's lock serialises CPUs).  Then
 * the AP returns holding the lock, as a CPU that died while printing
 * would: the boot CPU's next line waits 2 s, takes the lock over, and says
 * so.
 */
#define PK_LINES 200
#define PK_PAYLOAD "abcdefghijklmnopqrstuvwxyz0123456789"

static char ring[LOG_RING_SIZE + 1];

static const char *find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (!strncmp(hay, needle, n))
			return hay;
	return NULL;
}

static void print_lines(void *arg)
{
	unsigned int i;

	for (i = 0; i < PK_LINES; i++)
		pr_debug("smp_printk: cpu%u line %u " PK_PAYLOAD "\n", this_cpu_id(), i);
}

static void hold_lock(void *arg)
{
	printk_test_hold_lock();
}

/* Counts cpuN's whole lines in the ring; a cut or mixed line is bad. */
static unsigned int count_lines(unsigned int cpu, unsigned int *bad)
{
	char want[32];
	const char *p = ring, *nl;
	unsigned int n = 0;

	snprintf(want, sizeof(want), "smp_printk: cpu%u line ", cpu);
	while ((p = find(p, want))) {
		unsigned int line = 0;
		const char *q = p + strlen(want);

		nl = strchr(p, '\n');
		while (*q >= '0' && *q <= '9')
			line = line * 10 + (unsigned int)(*q++ - '0');
		if (p < ring + 2 || p[-2] != ']' || p[-1] != ' ' || !nl || *q != ' ' ||
		    (size_t)(nl - q - 1) != strlen(PK_PAYLOAD) || strncmp(q + 1, PK_PAYLOAD,
									strlen(PK_PAYLOAD)) ||
		    line >= PK_LINES)
			(*bad)++;
		else
			n++;
		p += strlen(want);
	}
	return n;
}

KTEST(smp_printk)
{
	unsigned int bad = 0;
	size_t len;
	u64 t0, waited;

	if (smp_ncpus() < 2)
		KT_SKIP(t, "one CPU");
	if (!KT_EXPECT_EQ(t, smp_call_start(1, print_lines, NULL), 0))
		return;
	print_lines(NULL);
	KT_EXPECT_EQ(t, smp_call_wait(1), 0);
	len = log_ring_read(0, ring, LOG_RING_SIZE);
	ring[len] = 0;
	KT_EXPECT_EQ(t, count_lines(0, &bad), PK_LINES);
	KT_EXPECT_EQ(t, count_lines(1, &bad), PK_LINES);
	KT_EXPECT_EQ(t, bad, 0);

	KT_ASSERT_EQ(t, smp_call_start(1, hold_lock, NULL), 0);
	KT_EXPECT_EQ(t, smp_call_wait(1), 0);
	t0 = ns_since_boot();
	pr_info("smp_printk: a line after cpu1 kept the log lock\n");
	waited = ns_since_boot() - t0;
	len = log_ring_read(0, ring, LOG_RING_SIZE);
	ring[len] = 0;
	KT_EXPECT(t, find(ring, "printk: cpu1 held the log lock for over 2 s: taken over\n"));
	KT_EXPECT(t, find(ring, "smp_printk: a line after cpu1 kept the log lock\n"));
	KT_EXPECT(t, waited >= 2000000000ULL);
}
