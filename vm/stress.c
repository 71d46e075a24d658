// SPDX-License-Identifier: MIT
/*
 * TDP stress (include/vm/stress.h, docs/stress.md): each CPU that runs a
 * vCPU of the VM, every rate_ms, between two of its exits:
 *
 *  - zaps a random range of the VM's memory (never a scratch slot's): the
 *    MMU's flush makes every vCPU exit and flush its TLB before the call
 *    returns, and the guest's next touch refaults the same frames;
 *  - runs a step of the dirty-log rounds (vm/stress_log.c);
 *  - ages a random range, one time in two;
 *  - moves the MTRR-like range, one time in two: a power-of-two range,
 *    aligned to its size, whose ends no TDP page may span (the memory-type
 *    callback says "not one type" for a span that crosses one, as it says
 *    for a real MTRR boundary), while the type of every page stays the one
 *    the VM's own callback gives; the old and the new range are zapped and
 *    refault, at other page sizes.
 *
 * What each CPU picks comes from its own generator, seeded with the
 * configured seed and its id.
 */
#include "stress_int.h"
#include "vm/virt.h"
#include "bug.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"

#define ZAP_MAX_ORDER 11	/* a zap covers 1 page .. 8 MiB */
#define AGE_MAX_PAGES 4096	/* an aged range's young bitmap: 512 bytes */
#define RETYPE_MAX_ORDER 12	/* MTRR-like ranges of 4 KiB .. 16 MiB */
#define STRESS_MAX_BURST 4	/* steps one late tick may run */

/* True when b lies strictly inside [gfn, gfn + n): a page there spans it. */
static bool cuts(gfn_t b, gfn_t gfn, u64 n)
{
	return b > gfn && b - gfn < n;
}

/*
 * vm->policy.memtype while stressed: the VM's own answer, except that a
 * span crossing an end of the MTRR-like range has no single type.  The two
 * ends are read without a lock: a fault that sees them half-moved picks a
 * page size for the wrong range, never another memory type.
 */
static bool stress_memtype(void *ctx, gfn_t gfn, u64 npages, enum tdp_memtype *mt)
{
	struct stress *s = ctx;

	if (cuts(__atomic_load_n(&s->bound[0], __ATOMIC_RELAXED), gfn, npages) ||
	    cuts(__atomic_load_n(&s->bound[1], __ATOMIC_RELAXED), gfn, npages))
		return false;
	if (!s->inner) {
		*mt = MT_WB;
		return true;
	}
	return s->inner(s->inner_ctx, gfn, npages, mt);
}

/* The dirty-logging modes the rounds use: the forced one, or every one
 * offered (PML only while one CPU runs the VM). */
static u32 stress_dirty_modes(bool smp)
{
	u32 modes = 0;
	enum tdp_dirty_mode m;

	if (virt_dirty_mode_forced())
		modes = BIT(virt_dirty_mode());
	else
		for (m = 0; m < TDP_DIRTY_NR; m++)
			if (virt_dirty_mode_offered(m))
				modes |= BIT(m);
	if (smp && (modes & BIT(TDP_DIRTY_PML)))
		modes = (modes & ~BIT(TDP_DIRTY_PML)) | BIT(TDP_DIRTY_DBIT);
	return modes ? modes : BIT(TDP_DIRTY_WP);
}

/*
 * Where zaps, ages and retypes go: below the lowest scratch slot (the
 * memory the firmware placed the hypervisor in, whose slots are scratch),
 * else the largest slot as it was before the log slots were carved out.
 */
static void stress_window(struct stress *s)
{
	struct vm *vm = s->vm;
	unsigned int i;
	u64 largest = 0;

	s->win_start = ~0ULL;
	s->win_end = 0;
	for (i = 0; i < vm->nslots; i++)
		if ((vm->slots[i].flags & MM_SLOT_SCRATCH) && vm->slots[i].base_gfn < s->win_start)
			s->win_start = vm->slots[i].base_gfn;
	if (s->win_start != ~0ULL) {
		s->win_end = s->win_start;
		s->win_start = 0;
		return;
	}
	for (i = 0; i < vm->nslots; i++) {
		if (vm->slots[i].npages <= largest || (vm->slots[i].flags & MM_SLOT_READONLY))
			continue;
		largest = vm->slots[i].npages;
		s->win_start = vm->slots[i].base_gfn;
		s->win_end = mm_slot_end(&vm->slots[i]);
	}
}

struct stress *stress_attach(struct vm *vm, const struct stress_config *c, bool smp)
{
	unsigned int order = order_for_bytes(sizeof(struct stress));
	struct stress *s = alloc_pages(order);

	if (!s) {
		pr_err("stress: vm %s: no memory\n", vm->name);
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	s->vm = vm;
	s->cfg = *c;
	s->rate_ns = (u64)c->rate_ms * 1000000ULL;
	s->smp = smp;
	spin_lock_init(&s->retype_lock);
	stress_window(s);
	if ((c->ops & (STRESS_DIRTY | STRESS_SPLIT)) && stress_log_carve(s)) {
		pr_err("stress: vm %s: no room for dirty-log slots\n", vm->name);
		free_pages(s, order);
		return NULL;
	}
	s->dirty_modes = stress_dirty_modes(smp);
	s->inner = vm->policy.memtype;
	s->inner_ctx = vm->policy.memtype_ctx;
	vm->policy.memtype = stress_memtype;
	vm->policy.memtype_ctx = s;
	return s;
}

void stress_detach(struct stress *s, struct vcpu *v)
{
	stress_log_stop(s, v);
	s->vm->policy.memtype = s->inner;
	s->vm->policy.memtype_ctx = s->inner_ctx;
	free_pages(s, order_for_bytes(sizeof(*s)));
}

/*
 * A random range of at most 2^max_order pages inside one slot that is not a
 * scratch slot, in the window; false when four tries found none.
 */
static bool pick_range(struct stress *s, u64 *rng, unsigned int max_order, gfn_t *start,
		       gfn_t *end)
{
	unsigned int tries;

	if (s->win_end <= s->win_start)
		return false;
	for (tries = 0; tries < 4; tries++) {
		gfn_t g = s->win_start + stress_rand(rng) % (s->win_end - s->win_start);
		struct mm_slot *slot = vm_find_slot(s->vm, g);
		u64 n = 1ULL << (stress_rand(rng) % (max_order + 1));

		if (!slot || (slot->flags & MM_SLOT_SCRATCH))
			continue;
		*start = g;
		*end = MIN(g + 1 + stress_rand(rng) % n, mm_slot_end(slot));
		return true;
	}
	return false;
}

static void stress_zap(struct stress *s, struct vcpu *v, struct stress_cpu *pc)
{
	gfn_t start, end;

	if (!pick_range(s, &pc->rng, ZAP_MAX_ORDER, &start, &end))
		return;
	stress_count(&pc->c.zaps, 1);
	if (tdp_mmu_zap_range(&v->tdp, start, end))
		stress_count(&pc->c.zaps_hit, 1);
}

static void stress_age(struct stress *s, struct vcpu *v, struct stress_cpu *pc)
{
	u64 young[AGE_MAX_PAGES / 64];
	gfn_t start, end;

	if (!pick_range(s, &pc->rng, 12, &start, &end))
		return;
	_Static_assert(AGE_MAX_PAGES == 1 << 12, "the aged range's bitmap");
	memset(young, 0, sizeof(young));
	stress_count(&pc->c.young, tdp_mmu_age_range(&v->tdp, start, end, young));
	stress_count(&pc->c.ages, 1);
}

/*
 * Moves the MTRR-like range to a random aligned power-of-two range of one
 * slot, then zaps the old and the new one: what spanned an end refaults
 * smaller, what the old ends cut refaults larger.  One CPU at a time.
 */
static void stress_retype(struct stress *s, struct vcpu *v, struct stress_cpu *pc)
{
	gfn_t start, end, old0, old1;
	u64 size = 1ULL << (stress_rand(&pc->rng) % (RETYPE_MAX_ORDER + 1));
	struct mm_slot *slot;

	if (!pick_range(s, &pc->rng, 0, &start, &end) || !spin_trylock(&s->retype_lock))
		return;
	slot = vm_find_slot(s->vm, start);
	start = MAX(ALIGN_DOWN(start, size), slot->base_gfn);
	end = MIN(start + size, mm_slot_end(slot));
	old0 = s->bound[0];
	old1 = s->bound[1];
	__atomic_store_n(&s->bound[0], start, __ATOMIC_RELAXED);
	__atomic_store_n(&s->bound[1], end, __ATOMIC_RELAXED);
	spin_unlock(&s->retype_lock);
	if (old1 > old0)
		tdp_mmu_zap_range(&v->tdp, old0, old1);
	tdp_mmu_zap_range(&v->tdp, start, end);
	stress_count(&pc->c.retypes, 1);
}

/* The operations of one step. */
static void stress_ops(struct stress *s, struct vcpu *v, struct stress_cpu *pc)
{
	u32 ops = s->cfg.ops;
	u64 r = stress_rand(&pc->rng);

	stress_count(&pc->c.steps, 1);
	if (ops & STRESS_ZAP)
		stress_zap(s, v, pc);
	if ((ops & (STRESS_DIRTY | STRESS_SPLIT)) && s->nlog)
		stress_log_step(s, v, pc);
	if ((ops & STRESS_AGE) && (r & 1))
		stress_age(s, v, pc);
	if ((ops & STRESS_RETYPE) && (r & 2))
		stress_retype(s, v, pc);
}

/*
 * How many steps are due after elapsed ns: none before three quarters of
 * the rate (a tick a little early still counts), else one per rate that
 * passed, rounded, at most STRESS_MAX_BURST: a tick that comes late (on
 * SVM it comes with the guest's interrupts) runs the steps it missed.
 */
static u64 steps_due(const struct stress *s, u64 elapsed)
{
	if (elapsed < s->rate_ns - s->rate_ns / 4)
		return 0;
	return MAX(1, MIN(STRESS_MAX_BURST, (elapsed + s->rate_ns / 4) / s->rate_ns));
}

bool stress_step(struct stress *s, struct vcpu *v, u64 now)
{
	unsigned int cpu = this_cpu_id();
	struct stress_cpu *pc = &s->cpu[cpu];
	struct stress_counts *c = &pc->c;
	u64 n = 1, i;

	if (c->steps) {
		n = steps_due(s, now - c->last_ns);
		if (!n)
			return false;
		if (now - c->last_ns > c->max_gap_ns)
			__atomic_store_n(&c->max_gap_ns, now - c->last_ns, __ATOMIC_RELAXED);
	} else {
		pc->rng = s->cfg.seed ^ ((u64)(cpu + 1) * 0x9e3779b97f4a7c15ULL);
		__atomic_store_n(&c->first_ns, now, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&c->last_ns, now, __ATOMIC_RELAXED);
	stress_count(&c->late, n - 1);
	for (i = 0; i < n; i++)
		stress_ops(s, v, pc);
	return true;
}

struct stress_counts stress_counts(const struct stress *s, unsigned int cpu)
{
	struct stress_counts sum;
	unsigned int i, j, n = sizeof(sum) / sizeof(u64);
	u64 *out = (u64 *)&sum;

	_Static_assert(sizeof(sum) % sizeof(u64) == 0, "struct stress_counts holds u64 only");
	memset(&sum, 0, sizeof(sum));
	for (i = 0; i < NR_CPUS; i++) {
		const u64 *in = (const u64 *)&s->cpu[i].c;

		if (cpu != ~0u && i != cpu)
			continue;
		for (j = 0; j < n; j++) {
			u64 x = __atomic_load_n(&in[j], __ATOMIC_RELAXED);

			if (&out[j] == &sum.first_ns)
				out[j] = !out[j] || (x && x < out[j]) ? x : out[j];
			else if (&out[j] == &sum.last_ns || &out[j] == &sum.max_gap_ns)
				out[j] = MAX(out[j], x);
			else
				out[j] += x;
		}
	}
	return sum;
}

/* Time per event in microseconds over the counters' span (0: none). */
static u64 us_per(const struct stress_counts *c, u64 events)
{
	return events ? (c->last_ns - c->first_ns) / 1000 / events : 0;
}

static void print_counts(const char *who, const struct stress_counts *c)
{
	pr_info("stress: %s%llu zaps, %llu dirty-log rounds, %llu splits, %llu recoveries, "
		"%llu ages, %llu retypes\n", who, (unsigned long long)c->zaps,
		(unsigned long long)c->rounds, (unsigned long long)c->splits,
		(unsigned long long)c->recoveries, (unsigned long long)c->ages,
		(unsigned long long)c->retypes);
}

void stress_print(const struct stress *s)
{
	struct stress_counts sum = stress_counts(s, ~0u), c;
	char who[16];
	unsigned int i, n = 0;

	for (i = 0; i < NR_CPUS; i++)
		n += s->cpu[i].c.steps != 0;
	pr_info("stress: vm %s: every %u ms on %u CPU%s, ops 0x%x, seed 0x%llx, dirty modes 0x%x, "
		"%u log slots\n", s->vm->name, s->cfg.rate_ms, n, n == 1 ? "" : "s", s->cfg.ops,
		(unsigned long long)s->cfg.seed, s->dirty_modes, s->nlog);
	print_counts("", &sum);
	for (i = 0; i < NR_CPUS; i++) {
		c = stress_counts(s, i);
		if (!c.steps)
			continue;
		snprintf(who, sizeof(who), "  cpu%u: ", i);
		print_counts(who, &c);
		pr_info("stress:   cpu%u: %llu steps in %llu ms, a zap every %llu us, a dirty-log "
			"toggle every %llu us, longest gap %llu us (%llu steps late); %llu zaps hit, "
			"%llu harvests, %llu dirty pages, %llu young pages\n", i,
			(unsigned long long)c.steps,
			(unsigned long long)((c.last_ns - c.first_ns) / 1000000),
			(unsigned long long)us_per(&c, c.zaps),
			(unsigned long long)us_per(&c, c.toggles),
			(unsigned long long)(c.max_gap_ns / 1000), (unsigned long long)c.late,
			(unsigned long long)c.zaps_hit,
			(unsigned long long)c.harvests, (unsigned long long)c.dirty_pages,
			(unsigned long long)c.young);
	}
}

void stress_print_progress(const struct stress *s)
{
	struct stress_counts sum = stress_counts(s, ~0u);
	char who[32];

	snprintf(who, sizeof(who), "after %llu s: ",
		 (unsigned long long)((sum.last_ns - sum.first_ns) / 1000000000ULL));
	print_counts(who, &sum);
}
