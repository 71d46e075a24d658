// SPDX-License-Identifier: MIT
/*
 * VM objects: memory slots, emulated devices, the TDP MMU instance, the
 * kind of VM, and death with a logged reason.  Vendor work goes through
 * `virt`, chosen by vm/virt.c.
 */
#include <stdarg.h>
#include "vm/vm.h"
#include "arch/cpu.h"
#include "arch/apic.h"
#include "arch/percpu.h"
#include "arch/x86.h"
#include "bug.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"

const struct virt_ops *virt;

int vm_create(struct vm *vm, const char *name, const struct vm_kind_ops *kind)
{
	int err;

	BUG_ON(!kind || !kind->io || !kind->msr || !kind->xsetbv || !kind->shutdown ||
	       !kind->hypercall);
	memset(vm, 0, sizeof(*vm));
	vm->name = name;
	vm->kind = kind;
	err = virt->vm_init(vm);
	if (err)
		pr_err("vm %s: cannot create (%d)\n", name, err);
	return err;
}

void vm_destroy(struct vm *vm)
{
	tdp_mmu_destroy(&vm->mmu);
	virt->vm_destroy(vm);
}

static const char *const exit_names[VMEXIT_NR] = {
	[VMEXIT_TDP_FAULT] = "tdp-fault", [VMEXIT_CPUID] = "cpuid", [VMEXIT_HLT] = "hlt",
	[VMEXIT_HYPERCALL] = "hypercall", [VMEXIT_MSR_READ] = "rdmsr",
	[VMEXIT_MSR_WRITE] = "wrmsr", [VMEXIT_IO] = "io", [VMEXIT_VIRT_INSN] = "virt-insn",
	[VMEXIT_SHUTDOWN] = "shutdown",
	[VMEXIT_INTR] = "interrupt", [VMEXIT_ENTRY_FAILED] = "entry-failed",
	[VMEXIT_XSETBV] = "xsetbv", [VMEXIT_INVD] = "invd", [VMEXIT_CR_ACCESS] = "cr-access",
	[VMEXIT_NMI] = "nmi", [VMEXIT_INIT] = "init", [VMEXIT_TICK] = "tick",
	[VMEXIT_MCE] = "machine-check",
	[VMEXIT_UNKNOWN] = "unknown",
};

const char *vm_exit_name(enum vm_exit_reason r)
{
	return r < VMEXIT_NR && exit_names[r] ? exit_names[r] : "none";
}

void vm_kill(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&vm->dying, 1, __ATOMIC_ACQ_REL))
		return;
	va_start(ap, fmt);
	vsnprintf(vm->death, sizeof(vm->death), fmt, ap);
	va_end(ap);
	__atomic_store_n(&vm->dead, true, __ATOMIC_RELEASE);
	pr_warn("vm %s: killed: %s\n", vm->name, vm->death);
}

struct vm_stats vm_stats(const struct vm *vm)
{
	struct vm_stats sum = vm->gone;
	u64 *out = (u64 *)&sum;
	unsigned int i, j;

	_Static_assert(sizeof(sum) % sizeof(u64) == 0, "struct vm_stats holds u64 only");
	for (i = 0; i < VM_MAX_VCPUS; i++) {
		const struct vcpu *v = __atomic_load_n(&vm->vcpus[i], __ATOMIC_ACQUIRE);
		const u64 *in;

		if (!v)
			continue;
		in = (const u64 *)&v->stats;
		for (j = 0; j < sizeof(sum) / sizeof(u64); j++)
			out[j] += __atomic_load_n(&in[j], __ATOMIC_RELAXED);
	}
	return sum;
}

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

struct mm_slot *vm_add_slot(struct vm *vm, gfn_t gfn, u64 npages, pfn_t pfn, u32 flags)
{
	struct mm_slot *s;
	unsigned int i;

	if (!npages || vm->nslots >= VM_MAX_SLOTS || gfn + npages < gfn) {
		pr_err("vm %s: bad or too many slots (gfn 0x%llx, %llu pages)\n", vm->name,
		       (unsigned long long)gfn, (unsigned long long)npages);
		return NULL;
	}
	for (i = 0; i < vm->nslots; i++) {
		if (ranges_overlap(gfn, npages, vm->slots[i].base_gfn, vm->slots[i].npages)) {
			pr_err("vm %s: slot at gfn 0x%llx overlaps slot %u\n", vm->name,
			       (unsigned long long)gfn, vm->slots[i].id);
			return NULL;
		}
	}
	s = &vm->slots[vm->nslots];
	memset(s, 0, sizeof(*s));
	s->base_gfn = gfn;
	s->npages = npages;
	s->host_pfn = pfn;
	s->flags = flags;
	s->id = vm->nslots++;
	tdp_mmu_mmio_gen_bump(&vm->mmu);	/* markers may now be memory */
	return s;
}

struct mm_slot *vm_find_slot(struct vm *vm, gfn_t gfn)
{
	unsigned int i;

	for (i = 0; i < vm->nslots; i++)
		if (mm_slot_contains(&vm->slots[i], gfn))
			return &vm->slots[i];
	return NULL;
}

int vm_add_mmio(struct vm *vm, struct vm_mmio_dev *dev)
{
	if (vm->nmmio >= VM_MAX_MMIO || !dev->size)
		return -ENOSPC;
	vm->mmio[vm->nmmio++] = dev;
	return 0;
}

struct vm_mmio_dev *vm_find_mmio(struct vm *vm, gpa_t gpa)
{
	unsigned int i;

	for (i = 0; i < vm->nmmio; i++)
		if (gpa >= vm->mmio[i]->base && gpa - vm->mmio[i]->base < vm->mmio[i]->size)
			return vm->mmio[i];
	return NULL;
}

void vcpu_kick(struct vcpu *v, unsigned int cpu)
{
	__atomic_store_n(&v->kicked, 1, __ATOMIC_SEQ_CST);
	apic_send_nmi(percpu_area[cpu].apic_id);
}

/* True while v may use translations older than gen. */
static bool vcpu_tlb_stale(const struct vcpu *v, u64 gen)
{
	return __atomic_load_n(&v->mode, __ATOMIC_SEQ_CST) == VCPU_IN_GUEST &&
	       __atomic_load_n(&v->tlb_gen, __ATOMIC_ACQUIRE) < gen;
}

#define REMOTE_FLUSH_REKICK_NS 100000000ULL	/* an NMI lost: send another */

void vm_flush_remote_tlbs(struct vm *vm)
{
	u64 gen = __atomic_add_fetch(&vm->tlb_gen, 1, __ATOMIC_SEQ_CST);
	unsigned int i, self = this_cpu_id();

	for (i = 0; i < VM_MAX_VCPUS; i++) {
		struct vcpu *v = __atomic_load_n(&vm->vcpus[i], __ATOMIC_ACQUIRE);
		u64 start, rekicks = 0;
		unsigned int cpu;

		if (!v || !vcpu_tlb_stale(v, gen))
			continue;
		cpu = __atomic_load_n(&v->cpu, __ATOMIC_ACQUIRE);
		if (cpu == self)
			continue;	/* this CPU is in the host: that vCPU is not running */
		vcpu_kick(v, cpu);
		start = ns_since_boot();
		while (vcpu_tlb_stale(v, gen)) {
			cpu_relax();
			if (ns_since_boot() - start > REMOTE_FLUSH_REKICK_NS) {
				/*
				 * Bochs 2.7 does not wake a VMX guest halted with
				 * interrupts off for the kick: rather than hang the
				 * machine, go on after 1 s, and say so.
				 */
				if (++rekicks == 10) {
					pr_warn("vm %s: vcpu%u on cpu%u did not exit for a TLB flush "
						"in 1 s (halted?): going on without it\n", vm->name,
						v->id, cpu);
					break;
				}
				vcpu_kick(v, cpu);
				start = ns_since_boot();
			}
		}
	}
}
