// SPDX-License-Identifier: MIT
/*
 * Hypervisor code on the APs while hv.efi still runs under the firmware:
 * the firmware's MP services start a procedure on an AP (non-blocking), and
 * the procedure makes the AP one of the hypervisor's CPUs for the length of
 * one function -- GS.base at its struct percpu, its own GDT and TSS, the
 * shared IDT, VMX or SVM on -- then puts everything back and returns to the
 * firmware.  The selftests and benchmarks that need several CPUs at once
 * (vCPUs of one VM faulting in parallel, a zap while another CPU runs the
 * guest) use it before any guest of the platform VM exists.
 */
#include <efi.h>
#include "vm/smp.h"
#include "arch/cpu.h"
#include "arch/percpu.h"
#include "arch/x86.h"
#include "boot/efi.h"
#include "boot/mp.h"
#include "errcode.h"
#include "lib/printk.h"
#include "mm/page_alloc.h"
#include "vm/vm.h"

struct smp_cpu {
	unsigned int index;	/* the firmware's processor number */
	u32 apic_id;
	struct cpu_desc *desc;
	void (*fn)(void *arg);
	void *arg;
	void *event;
	int err;
	u32 done;
};

static struct smp_cpu cpus[NR_CPUS];
static unsigned int ncpus = 1;

void smp_setup(const struct mp_info *mp)
{
	unsigned int i, n = MIN(mp->ncpus, (unsigned int)MIN(MP_MAX_CPUS, NR_CPUS)), bsp = 0;

	for (i = 0; i < n; i++)
		if (mp->cpu[i].bsp)
			bsp = i;
	ncpus = 1;
	for (i = 0; i < n; i++) {
		const struct mp_cpu *c = &mp->cpu[i];

		if (c->bsp || mp_cpu_differs(c, &mp->cpu[bsp]))
			continue;
		cpus[ncpus].index = i;
		cpus[ncpus].apic_id = c->apic_id;
		cpus[ncpus].desc = alloc_pages(order_for_bytes(desc_cpu_bytes()));
		if (cpus[ncpus].desc)
			ncpus++;
	}
}

unsigned int smp_ncpus(void)
{
	return ncpus;
}

static void EFIAPI smp_call_proc(void *arg)
{
	struct smp_cpu *c = arg;
	unsigned int id = (unsigned int)(c - cpus);

	percpu_install(id, c->apic_id);
	c->err = desc_init_cpu(c->desc);
	if (!c->err)
		c->err = virt->enable();
	if (!c->err) {
		c->fn(c->arg);
		virt->disable();
	}
	desc_restore_firmware();
	percpu_uninstall();
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
}

int smp_call_start(unsigned int cpu, void (*fn)(void *arg), void *arg)
{
	struct smp_cpu *c;
	u64 st;

	if (!cpu || cpu >= ncpus || !virt)
		return -EINVAL;
	c = &cpus[cpu];
	c->event = efi_create_event();
	if (!c->event)
		return -ENOMEM;
	c->fn = fn;
	c->arg = arg;
	c->err = 0;
	c->done = 0;
	if (mp_start_on_ap(c->index, (void (*)(void *))smp_call_proc, c, c->event, &st)) {
		pr_err("smp: cpu%u: StartupThisAP returned 0x%llx\n", cpu, (unsigned long long)st);
		efi_close_event(c->event);
		c->event = NULL;
		return -EIO;
	}
	return 0;
}

int smp_call_wait(unsigned int cpu)
{
	struct smp_cpu *c = &cpus[cpu];

	if (!cpu || cpu >= ncpus || !c->event)
		return -EINVAL;
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
		cpu_relax();
	efi_wait_event(c->event);	/* the firmware's side: the AP is free again */
	efi_close_event(c->event);
	c->event = NULL;
	return c->err;
}
