// SPDX-License-Identifier: MIT
/*
 * Dirty-log rounds of TDP stress: a few slots of ordinary memory, carved
 * out of a large one before the guest runs, are turned on and off for
 * dirty logging, one CPU at a time each.  A round enables logging (in a
 * mode the CPU offers, with huge pages split at once when split is among
 * the operations, else split by the guest's writes), harvests it while
 * the guest runs (GET with clear, or GET then CLEAR), and disables it,
 * which lets the next faults rebuild huge pages.
 *
 * Splits and recoveries are counted from the outside, by looking up each
 * 2 MiB position of the slot: a position mapped huge when logging began and
 * not when it ended was split; one of those mapped huge again when the
 * next round begins was recovered.
 */
#include "stress_int.h"
#include "vm/virt.h"
#include "bug.h"
#include "errcode.h"
#include "lib/bitmap.h"
#include "lib/printk.h"
#include "lib/ratelimit.h"

static struct ratelimit fail_log = RATELIMIT_INIT(5000, 4);

/*
 * Moves slot i's end down to new_end (before any vCPU runs: nothing is
 * mapped yet) and adds slots for [new_end, old end): n of size pages, then
 * the rest.  Same frames, same flags.  0 or -ENOSPC.
 */
static int carve_slot(struct stress *s, unsigned int i, gfn_t new_end, unsigned int n, u64 size)
{
	struct vm *vm = s->vm;
	struct mm_slot *old = &vm->slots[i];
	gfn_t end = mm_slot_end(old), at = new_end;
	pfn_t pfn = old->host_pfn + (new_end - old->base_gfn);
	u32 flags = old->flags;
	unsigned int k;

	if (vm->nslots + n + 1 > VM_MAX_SLOTS)
		return -ENOSPC;
	old->npages = new_end - old->base_gfn;
	for (k = 0; k < n; k++, at += size, pfn += size) {
		s->log[k].slot = vm_add_slot(vm, at, size, pfn, flags);
		BUG_ON(!s->log[k].slot);
	}
	if (at < end)
		BUG_ON(!vm_add_slot(vm, at, end - at, pfn, flags));
	s->nlog = n;
	return 0;
}

/* A scratch slot of vm begins at gfn. */
static bool ends_at_scratch(const struct vm *vm, gfn_t gfn)
{
	unsigned int i;

	for (i = 0; i < vm->nslots; i++)
		if ((vm->slots[i].flags & MM_SLOT_SCRATCH) && vm->slots[i].base_gfn == gfn)
			return true;
	return false;
}

int stress_log_carve(struct stress *s)
{
	struct vm *vm = s->vm;
	unsigned int i, best = VM_MAX_SLOTS;
	gfn_t start, end;
	bool ram, any_ram = false;
	u64 size;

	/*
	 * The largest slot that ends where a hidden range (a scratch slot)
	 * begins: every hidden range lies in RAM, so the slot below one ends
	 * in RAM.  Without scratch slots, the largest slot.
	 */
	for (i = 0; i < vm->nslots; i++) {
		const struct mm_slot *m = &vm->slots[i];

		if (m->flags & (MM_SLOT_SCRATCH | MM_SLOT_READONLY))
			continue;
		ram = ends_at_scratch(vm, mm_slot_end(m));
		if (ram && !any_ram)
			best = VM_MAX_SLOTS;	/* RAM below a hidden range beats the rest */
		any_ram |= ram;
		if (ram != any_ram)
			continue;
		if (best == VM_MAX_SLOTS || m->npages > vm->slots[best].npages)
			best = i;
	}
	if (best == VM_MAX_SLOTS)
		return -ENOSPC;
	start = vm->slots[best].base_gfn;
	end = ALIGN_DOWN(mm_slot_end(&vm->slots[best]), STRESS_HUGE_PAGES);
	if (end <= start)
		return -ENOSPC;
	/* Each at most 32 MiB, 2 MiB-aligned; together at most half of it. */
	size = ALIGN_DOWN((end - start) / (2 * STRESS_LOG_SLOTS), STRESS_HUGE_PAGES);
	size = MIN(size, STRESS_LOG_MAX_PAGES);
	if (!size)
		return -ENOSPC;
	return carve_slot(s, best, end - STRESS_LOG_SLOTS * size, STRESS_LOG_SLOTS, size);
}

/* Bit k: the 2 MiB position k of l's slot is mapped by a huge leaf now. */
static u32 huge_mask(struct vcpu *v, const struct stress_log *l)
{
	const struct mm_slot *slot = l->slot;
	struct tdp_mapping m;
	u32 mask = 0;
	u64 k;

	for (k = 0; k * STRESS_HUGE_PAGES < slot->npages; k++)
		if (!tdp_mmu_lookup(&v->tdp, slot->base_gfn + k * STRESS_HUGE_PAGES, &m) &&
		    m.present && m.level > TDP_LEVEL_4K)
			mask |= BIT(k);
	return mask;
}

static void log_failed(struct stress *s, const char *what, int err)
{
	u32 missed;

	if (ratelimit_ok(&fail_log, ns_since_boot(), &missed))
		pr_warn("stress: vm %s: dirty log %s failed (%d)%s\n", s->vm->name, what, err,
			missed ? ", and more not logged" : "");
}

/* A mode the CPU offers, picked at random (PML only on one CPU: its drain
 * reads every vCPU's log from the harvesting CPU). */
static enum tdp_dirty_mode pick_mode(struct stress *s, u64 *rng)
{
	unsigned int n = hweight64(s->dirty_modes), k;
	enum tdp_dirty_mode m;

	k = (unsigned int)(stress_rand(rng) % n);
	for (m = 0; m < TDP_DIRTY_NR; m++)
		if ((s->dirty_modes & BIT(m)) && !k--)
			break;
	BUG_ON(m == TDP_DIRTY_NR);
	return m;
}

static void log_enable(struct stress *s, struct vcpu *v, struct stress_log *l,
		       struct stress_cpu *pc)
{
	u32 huge = huge_mask(v, l), flags = 0;
	int err;

	/* What the last round split and faults have rebuilt since. */
	stress_count(&pc->c.recoveries, hweight64(huge & l->split));
	l->split = 0;
	if ((s->cfg.ops & STRESS_SPLIT) && (!(s->cfg.ops & STRESS_DIRTY) ||
					    (stress_rand(&pc->rng) & 1)))
		flags |= TDP_DIRTY_EAGER_SPLIT;
	l->mode = pick_mode(s, &pc->rng);
	err = tdp_dirty_log_enable(&v->tdp, l->slot, l->mode, flags);
	if (err) {
		log_failed(s, "enable", err);
		return;
	}
	l->huge_at_enable = huge;
	l->on = true;
	stress_count(&pc->c.toggles, 1);
}

/* GET with clear, or GET without it and CLEAR of what it reported. */
static void log_harvest(struct stress *s, struct vcpu *v, struct stress_log *l,
			struct stress_cpu *pc)
{
	const struct mm_slot *slot = l->slot;
	bool clear = stress_rand(&pc->rng) & 1;
	int err;

	if (!(s->cfg.ops & STRESS_DIRTY))
		return;
	err = tdp_dirty_log_get(&v->tdp, l->slot, l->bitmap, clear);
	if (!err && !clear)
		err = tdp_dirty_log_clear(&v->tdp, l->slot, 0, slot->npages, l->bitmap);
	if (err) {
		log_failed(s, "harvest", err);
		return;
	}
	stress_count(&pc->c.harvests, 1);
	stress_count(&pc->c.dirty_pages, bitmap_weight(l->bitmap, slot->npages));
}

static void log_disable(struct stress *s, struct vcpu *v, struct stress_log *l,
			struct stress_cpu *pc)
{
	u32 split = l->huge_at_enable & ~huge_mask(v, l);
	int err;

	err = tdp_dirty_log_disable(&v->tdp, l->slot, &s->vm->policy);
	if (err) {
		log_failed(s, "disable", err);
		return;
	}
	l->on = false;
	l->split = split;
	stress_count(&pc->c.splits, hweight64(split));
	stress_count(&pc->c.toggles, 1);
	stress_count(&pc->c.rounds, 1);
}

/* Takes a free log slot, starting at a random one; NULL when all are busy. */
static struct stress_log *log_take(struct stress *s, u64 *rng, const struct stress_log *not)
{
	unsigned int k = (unsigned int)(stress_rand(rng) % s->nlog), i;

	for (i = 0; i < s->nlog; i++) {
		struct stress_log *l = &s->log[(k + i) % s->nlog];

		if (l != not && !__atomic_exchange_n(&l->busy, 1, __ATOMIC_ACQUIRE))
			return l;
	}
	return NULL;
}

static void log_put(struct stress_log *l)
{
	__atomic_store_n(&l->busy, 0, __ATOMIC_RELEASE);
}

void stress_log_step(struct stress *s, struct vcpu *v, struct stress_cpu *pc)
{
	struct stress_log *l = log_take(s, &pc->rng, NULL), *other;

	if (!l)
		return;
	if (!l->on) {
		log_enable(s, v, l, pc);
	} else {
		log_harvest(s, v, l, pc);
		log_disable(s, v, l, pc);
	}
	/* A harvest in the middle of another round, the guest running on. */
	other = log_take(s, &pc->rng, l);
	if (other && other->on)
		log_harvest(s, v, other, pc);
	if (other)
		log_put(other);
	log_put(l);
}

void stress_log_stop(struct stress *s, struct vcpu *v)
{
	unsigned int i;

	for (i = 0; i < s->nlog; i++)
		if (s->log[i].on)
			log_disable(s, v, &s->log[i], &s->cpu[this_cpu_id()]);
}
