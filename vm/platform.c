// SPDX-License-Identifier: MIT
/*
 * The platform VM ("blue pill"): the CPU that runs hv.efi becomes a guest
 * in place and goes on where it was, with guest-physical equal to
 * host-physical.  Its TDP root maps everything up to MAXPHYADDR on demand,
 * with the largest pages the slots allow -- except the hypervisor's own
 * memory (the pool and the relocated image), which is a hole: an access
 * there is logged and reads as all ones, writes vanish.
 *
 * After the launch the hypervisor runs only on VM exits, on its own stack
 * and its own page tables, with interrupts off; the guest keeps the
 * firmware's GDT, IDT and interrupts.
 */
#include "vm/platform.h"
#include "vm/run.h"
#include "arch/host_pt.h"
#include "arch/x86.h"
#include "bug.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"

#define HOST_STACK_ORDER 4	/* 64 KiB */

extern char __image_base[], __image_end[];

static struct vm pvm;
static struct vcpu pvcpu;
static struct platform_capture cap;
static u64 host_cr3;

static u64 hole_read(struct vm_mmio_dev *d, u64 off, unsigned int size)
{
	pr_warn("platform: guest read of hypervisor memory at 0x%llx refused\n",
		(unsigned long long)(d->base + off));
	return ~0ULL;
}

static void hole_write(struct vm_mmio_dev *d, u64 off, unsigned int size, u64 val)
{
	pr_warn("platform: guest write to hypervisor memory at 0x%llx refused\n",
		(unsigned long long)(d->base + off));
}

static struct vm_mmio_dev holes[2] = {
	{ .name = "hv-pool", .read = hole_read, .write = hole_write },
	{ .name = "hv-image", .read = hole_read, .write = hole_write },
};

/* Identity slots for [0, end) around the two holes (sorted by address). */
static int add_identity_slots(u64 end)
{
	struct vm_mmio_dev *h[2] = { &holes[0], &holes[1] };
	u64 at = 0;
	unsigned int i;

	if (h[1]->base < h[0]->base) {
		h[0] = &holes[1];
		h[1] = &holes[0];
	}
	for (i = 0; i <= 2; i++) {
		u64 stop = i < 2 ? h[i]->base : end;

		if (stop > at && !vm_add_slot(&pvm, gpa_to_gfn(at), gpa_to_gfn(stop - at),
					      hpa_to_pfn(at), 0))
			return -ENOSPC;
		if (i < 2) {
			if (vm_add_mmio(&pvm, h[i]))
				return -ENOSPC;
			at = h[i]->base + h[i]->size;
		}
	}
	return 0;
}

/* Runs the platform vCPU for good.  A dead platform VM is a dead machine. */
static void platform_host(struct platform_capture *c)
{
	struct vcpu_event ev;

	irq_disable();
	/* The guest keeps the firmware's page tables: capture CR3 first. */
	if (vcpu_create_platform(&pvcpu, &pvm, c))
		panic("platform: cannot create the vCPU");
	write_cr3(host_cr3);
	pr_info("platform: cpu0 now runs the firmware as a guest\n");
	for (;;) {
		vcpu_run(&pvcpu, &ev);
		if (ev.type == VEV_DEAD)
			panic("platform: the guest died: %s", pvm.death);
	}
}

int platform_prepare(u64 fw_gdt_base, u16 fw_gdt_limit, u64 fw_idt_base, u16 fw_idt_limit,
		     unsigned int phys_bits, struct platform_launch_args *out)
{
	u8 *stack;
	int err;

	if (!virt->vcpu_init_platform) {
		pr_err("platform: %s cannot run the firmware as a guest yet\n", virt->name);
		return -EOPNOTSUPP;
	}
	err = vm_create(&pvm, "platform");
	if (err)
		return err;
	pvm.is_platform = true;
	pvm.policy.max_level = TDP_LEVEL_1G;
	holes[0].base = hv_pool.base;
	holes[0].size = hv_pool.npages << PAGE_SHIFT;
	holes[1].base = (uintptr_t)__image_base;
	holes[1].size = ALIGN_UP((u64)((uintptr_t)__image_end - (uintptr_t)__image_base), PAGE_SIZE);
	err = add_identity_slots(1ULL << phys_bits);
	stack = alloc_pages(HOST_STACK_ORDER);
	host_cr3 = host_pt_build(phys_bits);
	if (err || !stack || !host_cr3) {
		pr_err("platform: cannot set up (%d)\n", err ? err : -ENOMEM);
		return err ? err : -ENOMEM;
	}
	cap.gdt_base = fw_gdt_base;
	cap.gdt_limit = fw_gdt_limit;
	cap.idt_base = fw_idt_base;
	cap.idt_limit = fw_idt_limit;
	pr_info("platform: hiding [0x%llx-0x%llx] and [0x%llx-0x%llx] from the guest\n",
		(unsigned long long)holes[0].base,
		(unsigned long long)(holes[0].base + holes[0].size - 1),
		(unsigned long long)holes[1].base,
		(unsigned long long)(holes[1].base + holes[1].size - 1));
	out->cap = &cap;
	out->host = platform_host;
	out->host_stack_top = (u64)(uintptr_t)(stack + (PAGE_SIZE << HOST_STACK_ORDER));
	return 0;
}
