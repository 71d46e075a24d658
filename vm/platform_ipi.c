// SPDX-License-Identifier: MIT
/*
 * INIT and SIPI between the platform VM's CPUs.  A real INIT must never
 * reach a CPU that runs a guest: QEMU's TCG resets the host with it (SVM
 * has no INIT redirection there) and Bochs 2.7 keeps it pending after the
 * INIT exit.  So every guest write to the local APIC's interrupt command
 * register exits -- the xAPIC page is a device of the platform VM, the
 * x2APIC ICR an intercepted MSR -- and an INIT or SIPI for a CPU that is a
 * guest is done here, in software: the target is kicked (an NMI the
 * hypervisor sends and recognises), puts its vCPU into the INIT state and
 * waits, in the host, for a SIPI, which starts it in real mode at the
 * vector.  Every other register access and IPI is performed on the real
 * APIC, on the CPU that made it.
 */
#include "platform_int.h"
#include "arch/apic.h"
#include "arch/msr.h"
#include "arch/percpu.h"
#include "arch/x86.h"
#include "lib/printk.h"
#include "mm/page_alloc.h"
#include "vm/run.h"
#include "vm/vm.h"


struct ap_signal {
	u32 init, sipi;		/* posted by other CPUs, taken by this one */
	u32 waiting;		/* in the INIT state, waiting for a SIPI */
	u8 vector;
	u64 inits, sipis;	/* statistics */
};

static struct ap_signal sig[NR_CPUS];
static u64 apic_base;		/* physical; 0: the APIC is not trapped */
static struct vcpu *vcpus;	/* the platform vCPUs, by CPU id */
static const bool *is_guest;	/* by CPU id: its vCPU runs */

static volatile u32 *apic_reg(u64 off)
{
	return (volatile u32 *)(uintptr_t)(apic_base + off);
}

/* Makes CPU id's vCPU exit (vcpu_kick()) to see what was posted to it. */
static void kick(unsigned int id)
{
	vcpu_kick(&vcpus[id], id);
}

/* CPU id's vCPU v goes into the INIT state before its next entry. */
static void mark_init(unsigned int id, struct vcpu *v)
{
	struct ap_signal *s = &sig[id];

	__atomic_store_n(&s->sipi, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&s->init, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&v->requests, 1, __ATOMIC_RELEASE);
}

static void post_init(unsigned int id)
{
	mark_init(id, &vcpus[id]);
	kick(id);
}

void platform_ipi_self_init(struct vcpu *v)
{
	mark_init(v->id, v);
}

/* A SIPI starts only a CPU in the INIT state (or about to enter it). */
static void post_sipi(unsigned int id, u8 vector)
{
	struct ap_signal *s = &sig[id];

	if (!__atomic_load_n(&s->waiting, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&s->init, __ATOMIC_ACQUIRE))
		return;
	s->vector = vector;
	__atomic_store_n(&s->sipi, 1, __ATOMIC_RELEASE);
}

/*
 * An INIT or SIPI the guest on this CPU sends: dest is the destination
 * field (an APIC ID in physical mode), x2apic says its width.  Returns
 * false when the IPI is not one to emulate (the caller performs it).
 */
static bool emulate_init_sipi(u32 lo, u32 dest, bool x2apic)
{
	u32 mode = (lo >> ICR_DM_SHIFT) & 7, sh = (lo >> ICR_SHORTHAND_SHIFT) & 3;
	u32 bcast = x2apic ? 0xffffffffu : 0xffu;
	unsigned int id, self = this_cpu_id();

	if (!apic_base || (mode != ICR_DM_INIT && mode != ICR_DM_SIPI))
		return false;
	if (mode == ICR_DM_INIT && (lo & ICR_TRIGGER_LEVEL) && !(lo & ICR_LEVEL_ASSERT))
		return true;	/* INIT level de-assert: nothing on any CPU since the P4 */
	if (sh == 0 && (lo & ICR_DEST_LOGICAL))
		pr_warn_once("platform: cpu%u: INIT/SIPI in logical destination mode: sent to no "
			     "CPU\n", self);
	for (id = 0; id < NR_CPUS; id++) {
		bool to = sh == 1 ? id == self : sh == 2 ? true : sh == 3 ? id != self :
			  !(lo & ICR_DEST_LOGICAL) && (dest == bcast || dest == percpu_area[id].apic_id);

		if (!to || !__atomic_load_n(&is_guest[id], __ATOMIC_ACQUIRE))
			continue;
		if (id == self) {
			pr_warn_once("platform: cpu%u: INIT/SIPI to itself ignored\n", self);
			continue;
		}
		if (mode == ICR_DM_INIT)
			post_init(id);
		else
			post_sipi(id, (u8)lo);
	}
	return true;
}

static u64 apic_read(struct vm_mmio_dev *d, u64 off, unsigned int size)
{
	u32 v = *apic_reg(off & ~3ULL);

	return size >= 4 ? v : (v >> ((off & 3) * 8)) & ((1u << (8 * size)) - 1);
}

static void apic_write(struct vm_mmio_dev *d, u64 off, unsigned int size, u64 val)
{
	if (size < 4 || (off & 3)) {
		pr_warn_once("platform: a %u-byte APIC write at 0x%llx ignored (the APIC takes "
			     "32-bit accesses)\n", size, (unsigned long long)off);
		return;
	}
	if (off == APIC_ICR_LO && emulate_init_sipi((u32)val, *apic_reg(APIC_ICR_HI) >> 24, false))
		return;
	*apic_reg(off) = (u32)val;
}

static struct vm_mmio_dev apic_dev = { .name = "lapic", .read = apic_read, .write = apic_write };

static void (*wait_hook)(struct vcpu *v);

void platform_ipi_set_wait_hook(void (*hook)(struct vcpu *v))
{
	wait_hook = hook;
}

/*
 * Before an entry with a request: an INIT puts the vCPU in the INIT state,
 * where it waits, in the host, for a SIPI (a new INIT starts the wait over).
 */
void platform_before_entry(struct vcpu *v)
{
	struct ap_signal *s = &sig[v->id];

	__atomic_store_n(&v->requests, 0, __ATOMIC_RELEASE);
	if (wait_hook)
		wait_hook(v);
	if (!__atomic_exchange_n(&s->init, 0, __ATOMIC_ACQ_REL))
		return;
	s->inits++;
	__atomic_store_n(&s->waiting, 1, __ATOMIC_RELEASE);
	for (;;) {
		while (!__atomic_load_n(&s->sipi, __ATOMIC_ACQUIRE) && !v->vm->dead) {
			if (wait_hook)
				wait_hook(v);
			cpu_relax();
		}
		if (v->vm->dead)
			return;
		__atomic_exchange_n(&s->init, 0, __ATOMIC_ACQ_REL);	/* folded into this wait */
		if (__atomic_exchange_n(&s->sipi, 0, __ATOMIC_ACQ_REL))
			break;
	}
	__atomic_store_n(&s->waiting, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&v->requests, 0, __ATOMIC_RELEASE);
	s->sipis++;
	pr_debug("platform: cpu%u: INIT, then SIPI to 0x%x000\n", v->id, s->vector);
	virt->vcpu_start(v, &(struct vcpu_start){
		.cs = (u16)(s->vector << 8),
		.cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET,
	});
}

struct vm_mmio_dev *platform_ipi_setup(struct vcpu *cpu_vcpus, const bool *cpu_is_guest,
				       unsigned int phys_bits, u32 *msrs, unsigned int *nmsrs,
				       unsigned int max)
{
	u64 apic_msr = rdmsr(MSR_IA32_APIC_BASE);

	vcpus = cpu_vcpus;
	is_guest = cpu_is_guest;
	apic_base = apic_msr & ~0xfffULL & ((1ULL << phys_bits) - 1);
	apic_dev.base = apic_base;
	apic_dev.size = PAGE_SIZE;
	/* Also when the APIC is in xAPIC mode now: an OS may switch it. */
	if (*nmsrs < max)
		msrs[(*nmsrs)++] = MSR_X2APIC_ICR;
	pr_info("platform: INIT and SIPI between the CPUs are emulated (local APIC at 0x%llx%s)\n",
		(unsigned long long)apic_base, (apic_msr & APIC_BASE_X2APIC) ? ", x2APIC" : "");
	return &apic_dev;
}

bool platform_ipi_msr(u32 msr, u64 val)
{
	return msr == MSR_X2APIC_ICR && emulate_init_sipi((u32)val, (u32)(val >> 32), true);
}

u64 platform_ipi_inits(unsigned int id)
{
	return sig[id].inits;
}

u64 platform_ipi_sipis(unsigned int id)
{
	return sig[id].sipis;
}
