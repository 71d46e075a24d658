// SPDX-License-Identifier: MIT
/*
 * Exits, handled once for both vendors and every kind of VM: what differs
 * between kinds is asked of vm->kind (struct vm_kind_ops), what differs
 * between vendors of `virt`.  Guest mistakes never panic the hypervisor:
 * a bad access, an undecodable instruction or a triple fault kills that
 * VM with a logged reason; a VMX/SVM instruction gets #UD.
 */
#include "vm/run.h"
#include "arch/cpuid.h"
#include "arch/mce.h"
#include "arch/guard.h"
#include "arch/gdbstub.h"
#include "arch/trapnr.h"
#include "arch/percpu.h"
#include "arch/x86.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "vm/tick.h"

/*
 * CPUID as the guest sees it: no VMX/SVM, nor SMX, SKINIT or Intel PT
 * (guard_cpuid()); the hypervisor bit and leaf 0x40000000 "tdpvisor",
 * unless the VM hides them (hvbit=off: those leaves then answer what the
 * CPU answers).
 */
static void emulate_cpuid(struct vcpu *v)
{
	u32 leaf = (u32)v->gpr[GPR_RAX], sub = (u32)v->gpr[GPR_RCX];
	bool hv = !v->vm->hide_hv_cpuid;
	struct cpuid_regs r;

	v->stats.cpuid_leaves[vm_cpuid_stat_slot(leaf)]++;
	if (hv && leaf >= CPUID_HV_BASE && leaf < CPUID_HV_BASE + CPUID_HV_NR) {
		memset(&r, 0, sizeof(r));
		if (leaf == CPUID_HV_BASE) {
			r.eax = CPUID_HV_BASE;
			memcpy(&r.ebx, "tdpv", 4);
			memcpy(&r.ecx, "isor", 4);
		}
	} else {
		r = cpuid_count(leaf, sub);
		/*
		 * OSXSAVE and OSPKE mirror CR4 -- the host's, where CPUID runs:
		 * the guest must see its own (user code checks OSXSAVE before
		 * XGETBV, which #UDs without the guest's CR4.OSXSAVE).
		 */
		if (leaf == 1) {
			r.ecx &= ~(CPUID1_ECX_VMX | CPUID1_ECX_OSXSAVE | CPUID1_ECX_HYPERVISOR);
			if (hv)
				r.ecx |= CPUID1_ECX_HYPERVISOR;
			if (virt->get_cr4(v) & X86_CR4_OSXSAVE)
				r.ecx |= CPUID1_ECX_OSXSAVE;
		} else if (leaf == 7 && sub == 0) {
			r.ecx &= ~CPUID7_ECX_OSPKE;
			if (virt->get_cr4(v) & X86_CR4_PKE)
				r.ecx |= CPUID7_ECX_OSPKE;
		} else if (leaf == CPUID_EXT_FEATURES) {
			r.ecx &= ~CPUID81_ECX_SVM;
		}
		guard_cpuid(leaf, sub, &r);
		if (virt->cpuid_fixup)
			virt->cpuid_fixup(v, leaf, sub, &r);
	}
	v->gpr[GPR_RAX] = r.eax;
	v->gpr[GPR_RBX] = r.ebx;
	v->gpr[GPR_RCX] = r.ecx;
	v->gpr[GPR_RDX] = r.edx;
}

static const char *access_name(u32 acc)
{
	return acc & TDP_ACC_X ? "fetch" : acc & TDP_ACC_W ? "write" : "read";
}

/* Returns 0 to resume the guest, <0 when the VM died. */
static int handle_tdp_fault(struct vcpu *v, const struct vm_exit *e)
{
	struct vm *vm = v->vm;
	gfn_t gfn = gpa_to_gfn(e->tdp.gpa);
	struct tdp_fault f = { .gfn = gfn, .access = e->tdp.access, .policy = vm->policy };
	struct vm_mmio_dev *dev;
	int r;

	/* Markers exist only where a device is: without one, skip the walk. */
	if (vm->nmmio && tdp_mmu_is_mmio_fault(&v->tdp, gfn)) {
		v->stats.mmio_marker_hits++;
		dev = vm_find_mmio(vm, e->tdp.gpa);
		if (dev)
			return vcpu_emulate_mmio(v, e->tdp.gpa, dev);
	}
	f.slot = vm_find_slot(vm, gfn);
	v->stats.mmio_slot_lookups += !f.slot;
	dev = f.slot ? NULL : vm_find_mmio(vm, e->tdp.gpa);
	if (!f.slot && !dev) {
		vm_kill(vm, "%s of GPA 0x%llx outside every memory slot and device (RIP 0x%llx)",
			access_name(e->tdp.access), (unsigned long long)e->tdp.gpa,
			(unsigned long long)virt->get_rip(v));
		return -EFAULT;
	}
	/*
	 * A present leaf held back by dirty logging: one exchange.  A fault
	 * on a missing entry (first touch, after a zap, a leaf that access
	 * tracking parked without rights) goes straight to tdp_mmu_map():
	 * the fast path's walk would only find nothing to fix.
	 */
	r = f.slot && e->tdp.present ? tdp_mmu_fast_fault(&v->tdp, &f) : -EAGAIN;
	if (r < 0 && tdp_cache_topup(&v->tdp, TDP_CACHE_MIN)) {
		vm_kill(vm, "out of memory for page tables at GPA 0x%llx",
			(unsigned long long)e->tdp.gpa);
		return -ENOMEM;
	}
	if (r < 0)
		r = tdp_mmu_map(&v->tdp, &f);
	switch (r) {
	case TDP_FAULT_FIXED:
		v->stats.tdp_faults++;
		v->stats.slot_faults[f.slot->id]++;
		if (f.level >= 1 && f.level <= 3)
			v->stats.maps_by_level[f.level]++;
		if ((f.slot->flags & MM_SLOT_SCRATCH) && vm->kind->scratch_mapped)
			vm->kind->scratch_mapped(v, e->tdp.gpa, e->tdp.access);
		return 0;
	case TDP_FAULT_SPURIOUS:
		v->stats.tdp_spurious++;
		return 0;
	case TDP_FAULT_RETRY:
		return 0;
	case TDP_FAULT_MMIO:
		if (dev)
			return vcpu_emulate_mmio(v, e->tdp.gpa, dev);
		vm_kill(vm, "write to read-only memory at GPA 0x%llx (RIP 0x%llx)",
			(unsigned long long)e->tdp.gpa, (unsigned long long)virt->get_rip(v));
		return -EFAULT;
	default:
		vm_kill(vm, "%s of GPA 0x%llx refused (%d)", access_name(e->tdp.access),
			(unsigned long long)e->tdp.gpa, r);
		return r;
	}
}

/*
 * XSETBV: the CPU raises #UD (CR4.OSXSAVE clear) and #GP (CPL > 0) before
 * the exit itself; what a value does is the kind's business.
 */
static int handle_xsetbv(struct vcpu *v, const struct vm_exit *e)
{
	u32 xcr = (u32)v->gpr[GPR_RCX];
	u64 val = vcpu_edx_eax(v);
	int r = v->vm->kind->xsetbv(v, xcr, val);

	if (!r)
		return vcpu_skip_insn(v, e);
	pr_debug("vm %s: XSETBV(%u, 0x%llx) refused: %s\n", v->vm->name, xcr,
		 (unsigned long long)val, r == -EPERM ? "#GP" : "#UD");
	if (r == -EPERM)
		virt->inject_exception(v, GP_VECTOR, true, 0);
	else
		virt->inject_exception(v, UD_VECTOR, false, 0);
	return 0;
}

/* RDMSR/WRMSR: the kind performs it or asks for #GP. */
static int handle_msr(struct vcpu *v, const struct vm_exit *e)
{
	bool write = e->reason == VMEXIT_MSR_WRITE;
	u64 val = vcpu_edx_eax(v);

	if (v->vm->kind->msr(v, e->msr, write, &val)) {
		virt->inject_exception(v, GP_VECTOR, true, 0);
		return 0;
	}
	if (!write)
		vcpu_set_edx_eax(v, val);
	return vcpu_skip_insn(v, e);
}

/* A guarded CR bit: the vendor performs the access or asks for #GP. */
static int handle_cr_access(struct vcpu *v, const struct vm_exit *e)
{
	int r = virt->cr_access ? virt->cr_access(v, e) : -EOPNOTSUPP;

	if (r == -EPERM) {
		virt->inject_exception(v, GP_VECTOR, true, 0);
		return 0;
	}
	if (r < 0) {
		if (!v->vm->dead)
			vm_kill(v->vm, "control-register access at RIP 0x%llx not handled (%d)",
				(unsigned long long)virt->get_rip(v), r);
		return r;
	}
	return vcpu_skip_insn(v, e);
}

/*
 * A machine check for the guest of this CPU, one that arrived while it ran
 * (its #MC exits) or while the hypervisor ran (arch/mce.c): logged, then
 * given to the guest, with the error banks as the hardware left them for
 * its handler.  A real CPU shuts down at a machine check while CR4.MCE is
 * clear; the guest does too.  Returns 0, or <0 when the VM died.
 */
static int guest_machine_check(struct vcpu *v, const struct mce_record *r, const char *where)
{
	v->stats.machine_checks++;
	mce_log(r, this_cpu_id(), where);
	if (!(virt->get_cr4(v) & X86_CR4_MCE)) {
		pr_emerg("vm %s: the guest has CR4.MCE clear: it shuts down, as a CPU would\n",
			 v->vm->name);
		v->vm->kind->shutdown(v);
		vm_kill(v->vm, "machine check with CR4.MCE clear (shutdown) at RIP 0x%llx",
			(unsigned long long)virt->get_rip(v));
		return -1;
	}
	pr_emerg("vm %s: the machine check goes to the guest (vector %u)\n", v->vm->name,
		 MC_VECTOR);
	virt->inject_exception(v, MC_VECTOR, false, 0);
	return 0;
}

/* Handles one exit.  Returns 1 with *ev filled for the owner, 0 to go on. */
static int handle_exit(struct vcpu *v, const struct vm_exit *e, struct vcpu_event *ev)
{
	struct vm *vm = v->vm;
	int r;

	v->stats.exits++;
	v->stats.by_reason[e->reason]++;
	switch (e->reason) {
	case VMEXIT_TDP_FAULT:
		return handle_tdp_fault(v, e) < 0;
	case VMEXIT_CPUID:
		emulate_cpuid(v);
		return vcpu_skip_insn(v, e) < 0;
	case VMEXIT_HLT:
		r = vcpu_skip_insn(v, e);
		if (r)
			return r < 0;
		ev->type = VEV_HLT;
		return 1;
	case VMEXIT_HYPERCALL:
		return vcpu_hypercall(v, e, ev);
	case VMEXIT_MSR_READ:
	case VMEXIT_MSR_WRITE:
		return handle_msr(v, e) < 0;
	case VMEXIT_XSETBV:
		return handle_xsetbv(v, e) < 0;
	case VMEXIT_INVD:
		/* INVD, and on SVM also WBINVD (QEMU's TCG checks INVD against the
		 * WBINVD intercept).  Dropping the caches would drop the
		 * hypervisor's dirty lines too: both write back. */
		wbinvd();
		return vcpu_skip_insn(v, e) < 0;
	case VMEXIT_CR_ACCESS:
		return handle_cr_access(v, e) < 0;
	case VMEXIT_IO:
		return vcpu_emulate_io(v, e) < 0;
	case VMEXIT_VIRT_INSN:
		pr_debug("vm %s: %s at RIP 0x%llx: #UD\n", vm->name, e->insn,
			 (unsigned long long)virt->get_rip(v));
		virt->inject_exception(v, UD_VECTOR, false, 0);
		return 0;
	case VMEXIT_INTR:
		return 0;
	case VMEXIT_TICK:	/* tick_after_exit() runs it */
		return 0;
	case VMEXIT_NMI:
		/* The host's NMI handler has run: a kick only made the vCPU
		 * exit; any other NMI was counted for take_guest_nmis(). */
		return 0;
	case VMEXIT_MCE: {
		struct mce_record mce;

		mce_read(&mce);
		return guest_machine_check(v, &mce, "while the guest ran") < 0;
	}
	case VMEXIT_INIT:
		if (!vm->kind->init_signal) {
			vm_kill(vm, "INIT signal at RIP 0x%llx", (unsigned long long)virt->get_rip(v));
			return 1;
		}
		vm->kind->init_signal(v);
		return vm->dead;
	case VMEXIT_SHUTDOWN:
		vm->kind->shutdown(v);
		vm_kill(vm, "triple fault (shutdown) at RIP 0x%llx",
			(unsigned long long)virt->get_rip(v));
		return 1;
	case VMEXIT_ENTRY_FAILED:
		vm_kill(vm, "VM entry failed (exit code 0x%llx)", (unsigned long long)e->hw_code);
		return 1;
	default:
		vm_kill(vm, "unexpected exit 0x%llx (info 0x%llx 0x%llx) at RIP 0x%llx",
			(unsigned long long)e->hw_code, (unsigned long long)e->hw_info1,
			(unsigned long long)e->hw_info2, (unsigned long long)virt->get_rip(v));
		return 1;
	}
}

/* Machine checks the host took on this CPU (mce_host_trap()) since the
 * last entry: the guest of this CPU gets them, as one. */
static int take_host_machine_checks(struct vcpu *v)
{
	struct mce_record r;

	if (!__atomic_load_n(&this_cpu()->host_mces, __ATOMIC_RELAXED) || !mce_take_pending(&r))
		return 0;
	return guest_machine_check(v, &r, "while the hypervisor ran");
}

/*
 * The NMIs that reached this CPU while v ran here and were not kicks: the
 * guest's, when v takes NMIs (they are pending until an entry may inject
 * one; NMIs do not queue, so several make one).
 */
static void take_guest_nmis(struct vcpu *v, struct percpu *p)
{
	/* Read first: the locked exchange only when there is something. */
	u32 n = __atomic_load_n(&p->guest_nmis, __ATOMIC_RELAXED) ?
		__atomic_exchange_n(&p->guest_nmis, 0, __ATOMIC_ACQ_REL) : 0;

	if (n && v->reflect_nmis) {
		v->stats.guest_nmis += n;
		v->nmi_pending = true;
	} else {
		v->stats.nmis_dropped += n;
	}
	if (v->nmi_pending && virt->inject_nmi(v))
		v->nmi_pending = false;
}

enum vcpu_event_type vcpu_run(struct vcpu *v, struct vcpu_event *ev)
{
	struct percpu *p = this_cpu();
	struct vm_exit e;

	memset(ev, 0, sizeof(*ev));
	__atomic_store_n(&p->kick, &v->kicked, __ATOMIC_RELEASE);
	p->vcpu = v;
	while (!v->vm->dead) {
		if (__atomic_load_n(&v->requests, __ATOMIC_ACQUIRE) && v->vm->kind->before_entry)
			v->vm->kind->before_entry(v);
		if (v->vm->dead)
			break;
		if (tdp_dirty_ring_check(&v->tdp)) {
			ev->type = VEV_DIRTY_RING_FULL;
			goto out;
		}
		if (tdp_vcpu_load_root(&v->tdp)) {
			vm_kill(v->vm, "out of memory for a TDP root");
			break;
		}
		take_guest_nmis(v, p);
		if (take_host_machine_checks(v) < 0)
			break;
		tick_before_entry(v);
		__atomic_store_n(&v->cpu, this_cpu_id(), __ATOMIC_RELEASE);
		__atomic_store_n(&v->mode, VCPU_IN_GUEST, __ATOMIC_SEQ_CST);
		virt->vcpu_run(v, &e);
		__atomic_store_n(&v->mode, VCPU_OUTSIDE, __ATOMIC_RELEASE);
		tick_after_exit(v);
		gdbstub_poll();		/* gdb's Ctrl-C */
		if (handle_exit(v, &e, ev) && !v->vm->dead)
			goto out;
	}
	ev->type = VEV_DEAD;
out:
	p->vcpu = NULL;
	__atomic_store_n(&p->kick, NULL, __ATOMIC_RELEASE);
	return ev->type;
}
