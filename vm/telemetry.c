// SPDX-License-Identifier: MIT
/*
 * Memory telemetry of the platform VM (contract in include/vm/telemetry.h,
 * numbers explained in docs/telemetry.md).
 *
 * The guest's RAM slots log dirty pages from the first vCPU on, in the
 * mode the CPU offers (PML, dirty bits or write protection), and so map
 * 4 KiB pages only: mapped whole at the start and split at once, so that
 * the guest takes no fault per page for it.  Every interval one CPU -- the one whose tick first
 * finds the interval's deadline passed and moves it on by compare-and-
 * exchange -- harvests: it ages the slots (young pages: the working set
 * of the interval), gets and clears their dirty logs (which flushes every
 * CPU's TLB, so the next interval starts with every A and D bit clear in
 * the TLBs too), counts the root's leaves by size, and takes each vCPU's
 * exit, fault and zap counters as deltas.  The record goes to the log and
 * to a ring the guest reads by hypercall.
 */
#include "vm/telemetry.h"
#include "vm/tick.h"
#include "vm/run.h"
#include "vm/virt.h"
#include "vm/hypercall.h"
#include "arch/cpu.h"
#include "bug.h"
#include "errcode.h"
#include "lock.h"
#include "lib/bitmap.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"

#define TELEM_MAX_SLOTS 8	/* RAM between the hidden ranges */
#define TELEM_RING 512		/* records kept: 8.5 min at 1 s */

enum telem_state { TELEM_OFF, TELEM_READY, TELEM_STARTING, TELEM_RUNNING };

struct telem_cpu_prev {
	u64 exits, tdp_faults, zaps;
};

static u32 interval_ms;
static u64 interval_ns;
static u64 ram_top;
static u32 state = TELEM_OFF;
static struct vm *tvm;
static enum tdp_dirty_mode mode;
static struct mm_slot *slots[TELEM_MAX_SLOTS];
static unsigned int nslots;
static u64 *bitmap;		/* the largest slot's size; dirty, then young */
static unsigned int bitmap_order;
static u64 deadline;		/* ns: the running interval ends */
static u32 harvesting;		/* one harvest at a time */
static u64 last_ns;
static struct telem_cpu_prev prev[VM_MAX_VCPUS];
static spinlock_t ring_lock = SPINLOCK_INIT;
static struct hc_telemetry_record ring[TELEM_RING];
static u64 ring_seq;		/* the last seq written; ring[seq % TELEM_RING] */

static const char *const mode_names[TDP_DIRTY_NR] = {
	[TDP_DIRTY_WP] = "wp", [TDP_DIRTY_DBIT] = "dbit", [TDP_DIRTY_PML] = "pml",
};

_Static_assert(HC_DIRTY_WP == TDP_DIRTY_WP && HC_DIRTY_DBIT == TDP_DIRTY_DBIT &&
	       HC_DIRTY_PML == TDP_DIRTY_PML, "the record gives enum tdp_dirty_mode as it is");
_Static_assert(sizeof(struct hc_telemetry_record) % 8 == 0, "records are u64 arrays");

void telemetry_request(u32 ms, u64 top)
{
	if (!ms)
		return;
	interval_ms = ms;
	interval_ns = (u64)ms * 1000000ULL;
	ram_top = top & ~(u64)(PAGE_SIZE - 1);
	tick_request(MAX(ms / 8, 1U));
}

u64 telemetry_split_gpa(void)
{
	return interval_ms ? ram_top : 0;
}

/* The identity slots of RAM: below ram_top, not the hypervisor's scratch. */
static int pick_slots(struct vm *vm, u64 *max_pages)
{
	unsigned int i;

	*max_pages = 0;
	for (i = 0; i < vm->nslots; i++) {
		struct mm_slot *s = &vm->slots[i];

		if ((s->flags & (MM_SLOT_SCRATCH | MM_SLOT_READONLY)) ||
		    gfn_to_gpa(s->base_gfn) >= ram_top)
			continue;
		if (gfn_to_gpa(mm_slot_end(s)) > ram_top || nslots == TELEM_MAX_SLOTS)
			return -ERANGE;	/* the slots were not split at ram_top */
		slots[nslots++] = s;
		*max_pages = MAX(*max_pages, s->npages);
	}
	return nslots ? 0 : -ENOENT;
}

int telemetry_setup(struct vm *vm, bool smp)
{
	u64 max_pages;
	int err;

	if (!interval_ms)
		return 0;
	err = ram_top ? pick_slots(vm, &max_pages) : -ENOENT;
	if (!err) {
		bitmap_order = order_for_bytes(mm_slot_bitmap_bytes(max_pages));
		bitmap = alloc_pages(bitmap_order);
		if (!bitmap)
			err = -ENOMEM;
	}
	if (err) {
		pr_err("telemetry: cannot log the guest's RAM (RAM top 0x%llx): %d; telemetry "
		       "off\n", (unsigned long long)ram_top, err);
		interval_ms = 0;
		return err;
	}
	tvm = vm;
	mode = virt_dirty_mode();
	if (mode == TDP_DIRTY_PML && smp) {
		/* The harvest drains the page-modification logs of every vCPU
		 * from its own CPU, which may not load another CPU's VMCS. */
		mode = TDP_DIRTY_DBIT;
		pr_info("telemetry: dirty bits instead of PML: the harvest cannot drain other "
			"CPUs' logs\n");
	}
	pr_info("telemetry: every %u ms over %u RAM slots up to 0x%llx, dirty pages by %s\n",
		interval_ms, nslots, (unsigned long long)ram_top, tdp_dirty_mode_name(mode));
	__atomic_store_n(&state, TELEM_READY, __ATOMIC_RELEASE);
	return 0;
}

/* Young pages of the slots, their accessed state cleared (no flush here:
 * the dirty-log harvest after it flushes). */
static u64 harvest_young(struct vcpu *v)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < nslots; i++) {
		memset(bitmap, 0, mm_slot_bitmap_bytes(slots[i]->npages));
		n += tdp_mmu_age_range(&v->tdp, slots[i]->base_gfn, mm_slot_end(slots[i]),
				       bitmap);
	}
	return n;
}

/*
 * Maps all of slot as the guest's faults would, with the largest pages the
 * policy allows (a few per GiB), so that the eager split of
 * tdp_dirty_log_enable() turns it into 4 KiB leaves at once: the guest
 * then takes no TDP fault per page for being logged.  Best effort: a page
 * left unmapped faults in later, as it would have.
 */
static void premap_slot(struct vcpu *v, struct mm_slot *slot)
{
	gfn_t gfn = slot->base_gfn;

	while (gfn < mm_slot_end(slot)) {
		struct tdp_fault f = { .gfn = gfn, .access = TDP_ACC_R | TDP_ACC_W, .slot = slot,
				       .policy = tvm->policy };

		if (tdp_cache_topup(&v->tdp, TDP_CACHE_MIN) || tdp_mmu_map(&v->tdp, &f) < 0)
			return;
		gfn = f.level > 0 ? tdp_level_base(gfn, f.level) + tdp_level_pages(f.level) : gfn + 1;
	}
}

void telemetry_vcpu_start(struct vcpu *v)
{
	u32 ready = TELEM_READY;
	unsigned int i;
	u64 t0;
	int err;

	if (!__atomic_compare_exchange_n(&state, &ready, TELEM_STARTING, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	t0 = ns_since_boot();
	if (tdp_vcpu_load_root(&v->tdp))
		goto fail;
	for (i = 0; i < nslots; i++) {
		premap_slot(v, slots[i]);
		/* The split also reaches what other CPUs mapped meanwhile. */
		err = tdp_dirty_log_enable(&v->tdp, slots[i], mode, TDP_DIRTY_EAGER_SPLIT);
		if (err) {
			pr_err("telemetry: cannot log slot [0x%llx-0x%llx): %d; telemetry off\n",
			       (unsigned long long)gfn_to_gpa(slots[i]->base_gfn),
			       (unsigned long long)gfn_to_gpa(mm_slot_end(slots[i])), err);
			while (i--)
				tdp_dirty_log_disable(&v->tdp, slots[i], &tvm->policy);
			goto fail;
		}
	}
	/* The premapped leaves were made young: the first interval starts old. */
	harvest_young(v);
	last_ns = ns_since_boot();
	pr_info("telemetry: RAM mapped and logging in 4 KiB pages (%llu ms)\n",
		(unsigned long long)((last_ns - t0) / 1000000));
	__atomic_store_n(&deadline, last_ns + interval_ns, __ATOMIC_RELAXED);
	__atomic_store_n(&state, TELEM_RUNNING, __ATOMIC_RELEASE);
	return;
fail:
	__atomic_store_n(&state, TELEM_OFF, __ATOMIC_RELEASE);
}

/* Dirty pages of the slots since the last harvest, cleared and protected
 * again; every CPU's TLB is flushed before this returns. */
static u64 harvest_dirty(struct vcpu *v)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < nslots; i++)
		if (!tdp_dirty_log_get(&v->tdp, slots[i], bitmap, true))
			n += bitmap_weight(bitmap, slots[i]->npages);
	return n;
}

/* Each vCPU's counters since the last harvest, into r (and its totals). */
static void harvest_cpus(struct hc_telemetry_record *r)
{
	unsigned int i;

	for (i = 0; i < VM_MAX_VCPUS; i++) {
		struct vcpu *c = __atomic_load_n(&tvm->vcpus[i], __ATOMIC_ACQUIRE);
		struct telem_cpu_prev now, *p = &prev[i];

		if (!c)
			continue;
		now.exits = __atomic_load_n(&c->stats.exits, __ATOMIC_RELAXED);
		now.tdp_faults = __atomic_load_n(&c->stats.tdp_faults, __ATOMIC_RELAXED);
		now.zaps = __atomic_load_n(&c->stats.tdp_zaps, __ATOMIC_RELAXED);
		if (r->ncpus < HC_TELEMETRY_CPUS) {
			r->cpu[r->ncpus].exits = now.exits - p->exits;
			r->cpu[r->ncpus].tdp_faults = now.tdp_faults - p->tdp_faults;
			r->cpu[r->ncpus].zaps = now.zaps - p->zaps;
		}
		r->ncpus++;
		r->tdp_faults += now.tdp_faults - p->tdp_faults;
		r->zaps += now.zaps - p->zaps;
		*p = now;
	}
}

/* The record as one log line (docs/telemetry.md names the fields). */
static void log_record(const struct hc_telemetry_record *r)
{
	char cpus[HC_TELEMETRY_CPUS * 48];
	size_t len = 0;
	unsigned int i;

	cpus[0] = '\0';
	for (i = 0; i < MIN(r->ncpus, (u64)HC_TELEMETRY_CPUS) && len < sizeof(cpus); i++)
		len += (size_t)snprintf(cpus + len, sizeof(cpus) - len, " cpu%u=%llu/%llu/%llu", i,
					(unsigned long long)r->cpu[i].exits,
					(unsigned long long)r->cpu[i].tdp_faults,
					(unsigned long long)r->cpu[i].zaps);
	pr_info("telemetry: seq=%llu t_ms=%llu dt_ms=%llu dirty=%llu young=%llu faults=%llu "
		"zaps=%llu 1g=%llu 2m=%llu 4k=%llu mode=%s%s\n", (unsigned long long)r->seq,
		(unsigned long long)(r->end_ns / 1000000), (unsigned long long)(r->interval_ns /
		1000000), (unsigned long long)r->dirty_pages, (unsigned long long)r->young_pages,
		(unsigned long long)r->tdp_faults, (unsigned long long)r->zaps,
		(unsigned long long)r->leaves[HC_LEVEL_1G], (unsigned long long)r->leaves[HC_LEVEL_2M],
		(unsigned long long)r->leaves[HC_LEVEL_4K], mode_names[r->dirty_mode], cpus);
}

static void harvest(struct vcpu *v)
{
	struct hc_telemetry_record r = { .dirty_mode = mode };
	u64 counts[TDP_LEVEL_1G + 1], now;

	_Static_assert(TDP_LEVEL_1G + 1 == ARRAY_SIZE(r.leaves), "leaves[] by TDP level");
	r.young_pages = harvest_young(v);
	r.dirty_pages = harvest_dirty(v);
	now = ns_since_boot();
	r.end_ns = now;
	r.interval_ns = now - last_ns;
	last_ns = now;
	tdp_mmu_count_leaves(&v->tdp, 0, ~0ULL, counts);
	memcpy(r.leaves, counts, sizeof(r.leaves));
	harvest_cpus(&r);
	spin_lock(&ring_lock);
	r.seq = ++ring_seq;
	ring[r.seq % TELEM_RING] = r;
	spin_unlock(&ring_lock);
	log_record(&r);
}

void telemetry_tick(struct vcpu *v)
{
	u64 now, d, next;

	if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != TELEM_RUNNING || v->vm != tvm)
		return;
	now = ns_since_boot();
	d = __atomic_load_n(&deadline, __ATOMIC_RELAXED);
	if (now < d)
		return;
	next = d + interval_ns > now ? d + interval_ns : now + interval_ns;
	if (!__atomic_compare_exchange_n(&deadline, &d, next, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return;		/* another CPU took this interval */
	if (__atomic_exchange_n(&harvesting, 1, __ATOMIC_ACQUIRE))
		return;		/* the last one is still running: this one merges into the next */
	harvest(v);
	__atomic_store_n(&harvesting, 0, __ATOMIC_RELEASE);
}

/* True when [gpa, gpa + len) lies in the logged RAM slots (no hidden or
 * device memory), every byte writable. */
static bool buffer_in_ram(struct vm *vm, gpa_t gpa, u64 len)
{
	gpa_t at = gpa, end = gpa + len;
	unsigned int i;

	if (end < gpa || end > ram_top)
		return false;
	while (at < end) {
		for (i = 0; i < nslots; i++)
			if (mm_slot_contains(slots[i], gpa_to_gfn(at)))
				break;
		if (i == nslots)
			return false;
		at = MIN(end, gfn_to_gpa(mm_slot_end(slots[i])));
	}
	return vm_gpa_range_ok(vm, gpa, len, true);
}

s64 telemetry_hc_read(struct vcpu *v, gpa_t gpa, u64 len, u64 first_seq)
{
	const u64 size = sizeof(struct hc_telemetry_record);
	u64 seq, oldest, n = 0;

	if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) != TELEM_RUNNING || v->vm != tvm)
		return -ENODEV;
	if (!len || len % size || gpa % 8)
		return -EINVAL;
	if (len > HC_MAX_BUFFER)
		return -E2BIG;
	if (!buffer_in_ram(v->vm, gpa, len))
		return -EFAULT;
	spin_lock(&ring_lock);
	oldest = ring_seq >= TELEM_RING ? ring_seq - TELEM_RING + 1 : 1;
	for (seq = MAX(first_seq, oldest); seq <= ring_seq && n < len / size; seq++, n++)
		BUG_ON(vm_write_gpa(v->vm, gpa + n * size, &ring[seq % TELEM_RING], size));
	spin_unlock(&ring_lock);
	return (s64)n;
}
