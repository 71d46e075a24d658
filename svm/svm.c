// SPDX-License-Identifier: MIT
/*
 * AMD SVM: turning it on and off, the vCPU run loop and accessors, and
 * svm_ops, the struct virt_ops that vm/ drives.  The other files of svm/
 * each hold one concern (svm_int.h lists them).
 *
 * Works without NRIPS and decode assists (QEMU's TCG offers neither): the
 * exit then carries no next RIP and vm/ computes it from the instruction
 * bytes.  With NRIPS (Bochs' ryzen) the hardware's nRIP is used.
 */
#include "arch/percpu.h"
#include "svm_int.h"
#include "arch/msr.h"
#include "arch/trapnr.h"
#include "arch/exception.h"
#include "bug.h"
#include "errcode.h"
#include "lib/printk.h"
#include "mm/page_alloc.h"
#include "vm/insn.h"
#include "vm/vm.h"
#include "lib/string.h"

struct svm_cpu svm_cpus[NR_CPUS];

static int svm_enable(void)
{
	const struct svm_caps *caps = svm_caps();
	struct svm_cpu *c = svm_this();
	u64 vmcr = 0;

	if (!caps->svm || !caps->npt) {
		pr_err("cpu%u: SVM: not available (SVM %d, NPT %d)\n", this_cpu_id(), caps->svm, caps->npt);
		return -ENODEV;
	}
	if (rdmsr_safe(MSR_VM_CR, &vmcr) && (vmcr & VM_CR_SVMDIS)) {
		pr_err("cpu%u: SVM: disabled by the firmware (VM_CR.SVMDIS)\n", this_cpu_id());
		return -EPERM;
	}
	c->hsave = alloc_zeroed_page();
	c->host_vmcb = alloc_zeroed_page();
	if (!c->hsave || !c->host_vmcb) {
		free_page(c->hsave);
		free_page(c->host_vmcb);
		return -ENOMEM;
	}
	c->efer_before = rdmsr(MSR_EFER);
	c->hsave_before = rdmsr(MSR_VM_HSAVE_PA);
	wrmsr(MSR_EFER, c->efer_before | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, (u64)(uintptr_t)c->hsave);
	c->on = true;
	pr_info("cpu%u: SVM on: NPT 4 levels, %u ASIDs, NRIPS %s, flush-by-ASID %s\n", this_cpu_id(),
		caps->nasid, str_yes_no(caps->nrips), str_yes_no(caps->flush_by_asid));
	return 0;
}

/* Nothing is cached outside the VMCB but what its clean bits allow: none. */
static void svm_cpu_sleep(struct vcpu *v)
{
	vmcb_write32(((struct svm_vcpu *)v->arch)->vmcb, VMCB_CLEAN, 0);
}

static int svm_cpu_wake(void)
{
	struct svm_cpu *c = svm_this();
	u64 vmcr = 0;

	if (!c->on)
		return -ENODEV;
	if (rdmsr_safe(MSR_VM_CR, &vmcr) && (vmcr & VM_CR_SVMDIS)) {
		pr_err("cpu%u: SVM: disabled by the firmware after the sleep\n", this_cpu_id());
		return -EPERM;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, (u64)(uintptr_t)c->hsave);
	return 0;
}

static void svm_disable(void)
{
	struct svm_cpu *c = svm_this();

	if (!c->on)
		return;
	wrmsr(MSR_VM_HSAVE_PA, c->hsave_before);
	wrmsr(MSR_EFER, c->efer_before);
	free_page(c->hsave);
	free_page(c->host_vmcb);
	c->on = false;
	pr_info("cpu%u: SVM off, EFER restored to 0x%llx\n", this_cpu_id(),
		(unsigned long long)c->efer_before);
}

static void svm_vcpu_destroy(struct vcpu *v)
{
	struct svm_vcpu *s = v->arch;

	if (!s)
		return;
	svm_vcpu_free(s);
	v->arch = NULL;
}

static void svm_tick_intr(struct vcpu *v, struct svm_vcpu *s, struct vm_exit *e);

/*
 * An SMI that the guest takes (SMI is not intercepted: docs/platform.md,
 * "SMM firmware") runs the firmware's SMM code on the guest's state.  A
 * CPU does that outside guest mode and RSM returns to the guest, so the
 * hypervisor never sees it; QEMU's TCG (7.2) runs it inside guest mode
 * instead, with this VMCB's intercepts and nested paging still on, and
 * its SMM entry loads EFER = 0.  An exit from there leaves EFER.SVME clear
 * in the VMCB, and VMRUN refuses a guest without it (APM 15.5.1).  SVME is
 * the hypervisor's: it is set again, and the exit counted; RSM later
 * restores the EFER the SMM entry saved.
 */
static void svm_keep_svme(struct vcpu *v, void *vmcb)
{
	u64 efer = vmcb_read64(vmcb, VMCB_EFER);

	if (efer & EFER_SVME)
		return;
	vmcb_write64(vmcb, VMCB_EFER, efer | EFER_SVME);
	v->stats.smm_exits++;
}

static void svm_vcpu_run(struct vcpu *v, struct vm_exit *e)
{
	struct svm_vcpu *s = v->arch;
	void *vmcb = s->vmcb;

	svm_flush_before_run(v, s);
	/*
	 * VMRUN loads the guest's CR2 from the VMCB; Bochs 2.7 reads the field
	 * but leaves the CPU's CR2 as it was, so the guest of a #PF injected
	 * with its CR2 (vcpu_inject_fault()) read the host's.  The real CR2
	 * gets the same value (the host has no use for its own).
	 */
	if (read_cr2() != vmcb_read64(vmcb, VMCB_CR2))
		write_cr2(vmcb_read64(vmcb, VMCB_CR2));
	vmcb_write64(vmcb, VMCB_RAX, v->gpr[GPR_RAX]);
	vmcb_write64(vmcb, VMCB_RSP, v->gpr[GPR_RSP]);
	svm_vmrun(v->gpr, (u64)(uintptr_t)vmcb, (u64)(uintptr_t)svm_this()->host_vmcb);
	v->gpr[GPR_RAX] = vmcb_read64(vmcb, VMCB_RAX);
	v->gpr[GPR_RSP] = vmcb_read64(vmcb, VMCB_RSP);
	vmcb_write8(vmcb, VMCB_TLB_CONTROL, VMCB_TLB_NONE);
	vmcb_write64(vmcb, VMCB_EVENTINJ, 0);
	svm_decode_exit(v, vmcb, e);
	if (s->keep_svme)
		svm_keep_svme(v, vmcb);
	if (e->hw_code == SVM_EXIT_INTR && s->tick)
		svm_tick_intr(v, s, e);
	svm_reinject_exitintinfo(vmcb);
}

/*
 * The tick's interrupt exit.  The pending interrupt is taken here and
 * injected into the guest, which would have taken it at this instruction
 * boundary (the intercept is only taken when the guest's RFLAGS.IF lets the
 * interrupt in) -- unless the exit interrupted an event's delivery, which
 * goes first: then the guest takes the interrupt itself at the next entry,
 * which leaves the intercept off.
 */
static void svm_tick_intr(struct vcpu *v, struct svm_vcpu *s, struct vm_exit *e)
{
	void *vmcb = s->vmcb;
	int vec;

	if ((vmcb_read64(vmcb, VMCB_EXITINTINFO) & VMCB_EVT_VALID) ||
	    (vmcb_read64(vmcb, VMCB_EVENTINJ) & VMCB_EVT_VALID)) {
		s->intr_pass = true;
		return;
	}
	vec = desc_take_interrupt();
	if (vec < 0)
		return;		/* withdrawn meanwhile: nothing to give */
	vmcb_write64(vmcb, VMCB_EVENTINJ, (u64)(u8)vec | VMCB_EVT_TYPE_INTR | VMCB_EVT_VALID);
	v->stats.intrs_taken++;
	e->reason = VMEXIT_TICK;
}

/*
 * The tick on AMD: SVM has no timer of its own, so the guest's interrupts
 * (its timer's, at least HZ a second while it is busy) make the exits the
 * tick runs at; the deadline itself is not used.
 */
static void svm_arm_tick(struct vcpu *v, u64 tsc)
{
	struct svm_vcpu *s = v->arch;
	void *vmcb = s->vmcb;
	u32 misc1 = vmcb_read32(vmcb, VMCB_INTERCEPT_MISC1);

	(void)tsc;
	if (!s->tick)
		return;
	if (s->intr_pass)
		misc1 &= ~VMCB_I1_INTR;
	else
		misc1 |= VMCB_I1_INTR;
	s->intr_pass = false;
	vmcb_write32(vmcb, VMCB_INTERCEPT_MISC1, misc1);
}

static u64 svm_get_rip(struct vcpu *v)
{
	return vmcb_read64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_RIP);
}

static void svm_set_rip(struct vcpu *v, u64 rip)
{
	vmcb_write64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_RIP, rip);
}

static void svm_insn_done(struct vcpu *v)
{
	void *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;

	vmcb_write64(vmcb, VMCB_INT_SHADOW, vmcb_read64(vmcb, VMCB_INT_SHADOW) & ~1ULL);
	if (!(vmcb_read64(vmcb, VMCB_RFLAGS) & X86_RFLAGS_TF) ||
	    (vmcb_read64(vmcb, VMCB_EVENTINJ) & VMCB_EVT_VALID))
		return;
	/* SVM has no pending-debug field: the #DB is injected, DR6 set here. */
	vmcb_write64(vmcb, VMCB_DR6, vmcb_read64(vmcb, VMCB_DR6) | X86_DR6_BS);
	vmcb_write64(vmcb, VMCB_EVENTINJ, DB_VECTOR | VMCB_EVT_TYPE_EXCEPTION | VMCB_EVT_VALID);
}

static u64 svm_get_cr3(struct vcpu *v)
{
	return vmcb_read64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_CR3);
}

static u64 svm_get_cr0(struct vcpu *v)
{
	return vmcb_read64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_CR0);
}

/* VMRUN loads CR2 from the VMCB and #VMEXIT saves it there. */
static void svm_set_cr2(struct vcpu *v, u64 cr2)
{
	vmcb_write64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_CR2, cr2);
}

static u64 svm_get_cs_base(struct vcpu *v)
{
	return vmcb_read64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_CS + VMCB_SEG_BASE);
}

static u64 svm_get_seg_base(struct vcpu *v, unsigned int seg)
{
	static const enum vmcb_field field[] = {
		[INSN_SEG_ES] = VMCB_ES, [INSN_SEG_CS] = VMCB_CS, [INSN_SEG_SS] = VMCB_SS,
		[INSN_SEG_DS] = VMCB_DS, [INSN_SEG_FS] = VMCB_FS, [INSN_SEG_GS] = VMCB_GS,
	};

	BUG_ON(seg == INSN_SEG_NONE || seg >= ARRAY_SIZE(field));
	return vmcb_read64(((struct svm_vcpu *)v->arch)->vmcb, field[seg] + VMCB_SEG_BASE);
}

static unsigned int svm_get_cpu_mode(struct vcpu *v)
{
	void *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
	u32 attr = vmcb_read32(vmcb, VMCB_CS + VMCB_SEG_SEL) >> 16;

	if ((vmcb_read64(vmcb, VMCB_EFER) & EFER_LMA) && (attr & VMCB_ATTR_L))
		return CPU_MODE_64;
	if (!(vmcb_read64(vmcb, VMCB_CR0) & X86_CR0_PE) ||
	    (vmcb_read64(vmcb, VMCB_RFLAGS) & X86_RFLAGS_VM))
		return CPU_MODE_16;
	return attr & VMCB_ATTR_DB ? CPU_MODE_32 : CPU_MODE_16;
}

static void svm_dump_seg(const void *vmcb, const char *name, enum vmcb_field seg)
{
	u32 sel_attr = vmcb_read32(vmcb, seg + VMCB_SEG_SEL);	/* selector, then attributes */

	pr_emerg("  %s %04x base %016llx limit %08x attr %03x\n", name, sel_attr & 0xffff,
		 (unsigned long long)vmcb_read64(vmcb, seg + VMCB_SEG_BASE),
		 vmcb_read32(vmcb, seg + VMCB_SEG_LIMIT), sel_attr >> 16);
}

static void svm_dump_state(struct vcpu *v)
{
	const void *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;

	pr_emerg("  RIP %016llx RSP %016llx RFLAGS %08llx CPL %u\n",
		 (unsigned long long)vmcb_read64(vmcb, VMCB_RIP),
		 (unsigned long long)vmcb_read64(vmcb, VMCB_RSP),
		 (unsigned long long)vmcb_read64(vmcb, VMCB_RFLAGS), vmcb_read8(vmcb, VMCB_CPL));
	pr_emerg("  CR0 %016llx CR2 %016llx CR3 %016llx CR4 %016llx EFER %llx\n",
		 (unsigned long long)vmcb_read64(vmcb, VMCB_CR0),
		 (unsigned long long)vmcb_read64(vmcb, VMCB_CR2),
		 (unsigned long long)vmcb_read64(vmcb, VMCB_CR3),
		 (unsigned long long)vmcb_read64(vmcb, VMCB_CR4),
		 (unsigned long long)vmcb_read64(vmcb, VMCB_EFER));
	svm_dump_seg(vmcb, "CS", VMCB_CS);
	svm_dump_seg(vmcb, "SS", VMCB_SS);
	svm_dump_seg(vmcb, "DS", VMCB_DS);
	svm_dump_seg(vmcb, "ES", VMCB_ES);
	svm_dump_seg(vmcb, "FS", VMCB_FS);
	svm_dump_seg(vmcb, "GS", VMCB_GS);
	svm_dump_seg(vmcb, "TR", VMCB_TR);
	pr_emerg("  GDTR %016llx/%x IDTR %016llx/%x DR7 %llx\n",
		 (unsigned long long)vmcb_read64(vmcb, VMCB_GDTR + VMCB_SEG_BASE),
		 vmcb_read32(vmcb, VMCB_GDTR + VMCB_SEG_LIMIT),
		 (unsigned long long)vmcb_read64(vmcb, VMCB_IDTR + VMCB_SEG_BASE),
		 vmcb_read32(vmcb, VMCB_IDTR + VMCB_SEG_LIMIT),
		 (unsigned long long)vmcb_read64(vmcb, VMCB_DR7));
	pr_emerg("  interrupt shadow %llx event-inj %016llx exit-int-info %016llx\n",
		 (unsigned long long)vmcb_read64(vmcb, VMCB_INT_SHADOW),
		 (unsigned long long)vmcb_read64(vmcb, VMCB_EVENTINJ),
		 (unsigned long long)vmcb_read64(vmcb, VMCB_EXITINTINFO));
	pr_emerg("  last exit: code 0x%llx info1 0x%llx info2 0x%llx\n",
		 (unsigned long long)vmcb_read64(vmcb, VMCB_EXITCODE),
		 (unsigned long long)vmcb_read64(vmcb, VMCB_EXITINFO1),
		 (unsigned long long)vmcb_read64(vmcb, VMCB_EXITINFO2));
}

static u64 svm_get_cr4(struct vcpu *v)
{
	return vmcb_read64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_CR4);
}

static unsigned int svm_get_cpl(struct vcpu *v)
{
	return vmcb_read8(((struct svm_vcpu *)v->arch)->vmcb, VMCB_CPL) & 3;
}

static bool svm_long_mode(struct vcpu *v)
{
	return vmcb_read64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_EFER) & EFER_LMA;
}

static u64 svm_get_efer(struct vcpu *v)
{
	return vmcb_read64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_EFER);
}

static u64 svm_get_rflags(struct vcpu *v)
{
	return vmcb_read64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_RFLAGS);
}

static void svm_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	u64 ev = vector | VMCB_EVT_TYPE_EXCEPTION | VMCB_EVT_VALID;

	if (has_error)
		ev |= VMCB_EVT_ERROR_VALID | ((u64)error << VMCB_EVT_ERROR_SHIFT);
	vmcb_write64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_EVENTINJ, ev);
}

/* NPT always has dirty bits; the CPU applies the MTRRs to NPT leaves itself. */
static const struct virt_features svm_features = {
	.dirty_modes = BIT(TDP_DIRTY_DBIT),
	.leaf_memtype = false,
	.hypercall_vmmcall = true,
};

static int svm_vcpu_init(struct vcpu *v, const struct vcpu_config *cfg)
{
	return cfg->boot ? svm_vcpu_init_boot(v, cfg->boot) : svm_vcpu_init_capture(v, cfg);
}

const struct virt_ops svm_ops = {
	.name = "SVM",
	.features = &svm_features,
	.enable = svm_enable,
	.cpu_sleep = svm_cpu_sleep,
	.cpu_wake = svm_cpu_wake,
	.disable = svm_disable,
	.vm_init = svm_vm_init,
	.vm_destroy = svm_vm_destroy,
	.vcpu_init = svm_vcpu_init,
	.vcpu_destroy = svm_vcpu_destroy,
	.vcpu_run = svm_vcpu_run,
	.get_rip = svm_get_rip,
	.set_rip = svm_set_rip,
	.insn_done = svm_insn_done,
	.get_cr0 = svm_get_cr0,
	.get_cr3 = svm_get_cr3,
	.set_cr2 = svm_set_cr2,
	.get_cs_base = svm_get_cs_base,
	.get_seg_base = svm_get_seg_base,
	.get_cpu_mode = svm_get_cpu_mode,
	.dump_state = svm_dump_state,
	.get_cr4 = svm_get_cr4,
	.get_cpl = svm_get_cpl,
	.long_mode = svm_long_mode,
	.get_efer = svm_get_efer,
	.get_rflags = svm_get_rflags,
	.inject_exception = svm_inject_exception,
	.vendor_msr = svm_vendor_msr,
	.inject_nmi = svm_inject_nmi,
	.arm_tick = svm_arm_tick,
	.vcpu_start = svm_vcpu_start,
	.set_tsc_offset = svm_set_tsc_offset,
};
