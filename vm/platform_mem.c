// SPDX-License-Identifier: MIT
/*
 * The platform VM's memory: guest-physical = host-physical from 0 to
 * 2^MAXPHYADDR, except the hypervisor's own ranges (its pool and the
 * relocated image), whose every page maps one scratch page of the guest's
 * own (MM_SLOT_SCRATCH), and a trapped device (the local APIC with
 * smp=all).  Nothing is decoded there: the CPU performs any access on the
 * scratch page; the fault that maps a page (its first touch, or a touch
 * after a zap) is logged and counted.
 */
#include "platform_int.h"
#include "vm/run.h"
#include "vm/hypercall.h"
#include "vm/telemetry.h"
#include "arch/percpu.h"
#include "arch/cpu.h"
#include "arch/guard.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/ratelimit.h"
#include "lib/string.h"
#include "mm/mm_hooks.h"
#include "mm/page_alloc.h"

extern char __image_base[], __image_end[];

/*
 * The hypervisor's memory as the guest sees it: the ranges, the scratch
 * page each of their frames maps, the log lines of the pages the guest
 * touches (a page is mapped at its first touch, later accesses are the
 * CPU's own) and their count.
 */
struct hv_range {
	u64 base, size;
};
static struct hv_range hidden[4];
static unsigned int nhidden;	/* the pool, the image, then the extra ranges */
/* Ranges hidden besides the pool and the image (platform_hide()). */
static struct hv_range extra[ARRAY_SIZE(hidden) - 2];
static const char *extra_what[ARRAY_SIZE(extra)];
static unsigned int nextra;
static u8 *scratch;
static struct ratelimit hole_log = RATELIMIT_INIT(5000, 10);
static u64 hole_pages;

/*
 * The guest touched a page of the hypervisor's memory: it now maps the
 * scratch page.  Logged -- but a guest can touch thousands, so at most 10
 * lines each 5 s, the rest counted (and the total given with the
 * statistics).
 */
void platform_scratch_mapped(struct vcpu *v, gpa_t gpa, u32 access)
{
	u32 missed;

	__atomic_add_fetch(&hole_pages, 1, __ATOMIC_RELAXED);
	if (!ratelimit_ok(&hole_log, ns_since_boot(), &missed))
		return;
	if (missed)
		pr_warn("platform: %u more pages of hypervisor memory touched by the guest, not "
			"logged\n", missed);
	pr_warn("platform: guest %s hypervisor memory at 0x%llx (cpu%u, RIP 0x%llx): given the "
		"scratch page\n", access & TDP_ACC_X ? "fetch from" : access & TDP_ACC_W ?
		"write to" : "read of", (unsigned long long)gpa, v->id,
		(unsigned long long)virt->get_rip(v));
}

/* The platform VM may learn where the hypervisor is (it cannot reach it). */
s64 platform_hc_hv_memory(struct vcpu *v, gpa_t gpa)
{
	struct hc_hv_memory out = { 0 };
	unsigned int i;

	_Static_assert(ARRAY_SIZE(hidden) <= ARRAY_SIZE(out.range), "struct hc_hv_memory too small");
	for (i = 0; i < nhidden; i++) {
		out.range[out.count].base = hidden[i].base;
		out.range[out.count].size = hidden[i].size;
		out.count++;
	}
	return vm_write_gpa(v->vm, gpa, &out, sizeof(out)) ? -EFAULT : 0;
}

/*
 * An identity slot for [at, stop), as two when split falls inside (the RAM
 * top with telemetry on: the slots it logs hold only RAM).  0 or -ENOSPC.
 */
static int add_identity(struct vm *vm, u64 at, u64 stop, u64 split)
{
	if (split > at && split < stop) {
		if (!vm_add_slot(vm, gpa_to_gfn(at), gpa_to_gfn(split - at), hpa_to_pfn(at), 0))
			return -ENOSPC;
		at = split;
	}
	return vm_add_slot(vm, gpa_to_gfn(at), gpa_to_gfn(stop - at), hpa_to_pfn(at), 0) ?
	       0 : -ENOSPC;
}

/*
 * Identity slots for [0, end), around the hypervisor's ranges (scratch
 * slots) and the device dev (when not NULL).
 */
static int add_identity_slots(struct vm *vm, u64 end, struct vm_mmio_dev *dev)
{
	struct hv_range gaps[ARRAY_SIZE(hidden) + 1], t;
	unsigned int n = 0, i, j;
	u64 at = 0;

	for (i = 0; i < nhidden; i++)
		gaps[n++] = hidden[i];
	if (dev)
		gaps[n++] = (struct hv_range){ dev->base, dev->size };
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && gaps[j].base < gaps[j - 1].base; j--) {
			t = gaps[j];
			gaps[j] = gaps[j - 1];
			gaps[j - 1] = t;
		}
	for (i = 0; i <= n; i++) {
		u64 stop = i < n ? gaps[i].base : end;

		if (stop < at)
			return -EINVAL;	/* overlapping ranges */
		if (stop > at && add_identity(vm, at, stop, telemetry_split_gpa()))
			return -ENOSPC;
		if (i == n)
			break;
		if (dev && gaps[i].base == dev->base) {
			if (vm_add_mmio(vm, dev))
				return -ENOSPC;
		} else if (!vm_add_slot(vm, gpa_to_gfn(gaps[i].base), gpa_to_gfn(gaps[i].size),
					hpa_to_pfn(mm_virt_to_phys(scratch)), MM_SLOT_SCRATCH)) {
			return -ENOSPC;
		}
		at = gaps[i].base + gaps[i].size;
	}
	return 0;
}

int platform_hide(u64 base, u64 size, const char *what)
{
	if (!size || (base | size) & (PAGE_SIZE - 1) || base + size < base)
		return -EINVAL;
	if (nextra == ARRAY_SIZE(extra))
		return -ENOSPC;
	extra[nextra] = (struct hv_range){ base, size };
	extra_what[nextra++] = what;
	return 0;
}

int platform_mem_setup(struct vm *vm, u64 end, struct vm_mmio_dev *dev)
{
	unsigned int i;

	nhidden = 2;
	for (i = 0; i < nextra; i++)
		hidden[nhidden++] = extra[i];
	hidden[0].base = hv_pool.base;
	hidden[0].size = hv_pool.npages << PAGE_SHIFT;
	hidden[1].base = (uintptr_t)__image_base;
	hidden[1].size = ALIGN_UP((u64)((uintptr_t)__image_end - (uintptr_t)__image_base), PAGE_SIZE);
	/* The guest's page in their place (it comes from the pool: hidden too). */
	scratch = alloc_pages(0);
	if (!scratch)
		return -ENOMEM;
	memset(scratch, 0xff, PAGE_SIZE);
	return add_identity_slots(vm, end, dev);
}

void platform_mem_print(void)
{
	pr_info("platform: hiding [0x%llx-0x%llx] and [0x%llx-0x%llx] from the guest (scratch "
		"page at 0x%llx)\n", (unsigned long long)hidden[0].base,
		(unsigned long long)(hidden[0].base + hidden[0].size - 1),
		(unsigned long long)hidden[1].base,
		(unsigned long long)(hidden[1].base + hidden[1].size - 1),
		(unsigned long long)mm_virt_to_phys(scratch));
	for (unsigned int i = 2; i < nhidden; i++)
		pr_info("platform: hiding [0x%llx-0x%llx] too (%s)\n",
			(unsigned long long)hidden[i].base,
			(unsigned long long)(hidden[i].base + hidden[i].size - 1), extra_what[i - 2]);
}

u64 platform_hidden_pages(void)
{
	return __atomic_load_n(&hole_pages, __ATOMIC_RELAXED);
}

void platform_mem_ranges(struct guard_ranges *out)
{
	unsigned int i;

	_Static_assert(ARRAY_SIZE(hidden) <= GUARD_MAX_RANGES, "struct guard_ranges too small");
	out->n = nhidden;
	for (i = 0; i < nhidden; i++) {
		out->r[i].base = hidden[i].base;
		out->r[i].size = hidden[i].size;
	}
}
