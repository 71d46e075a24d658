// SPDX-License-Identifier: MIT
/*
 * AMD SVM: turning it on and off, one VMCB per vCPU, an ASID per VM, the
 * NPT format for mm/, and #VMEXIT decoded into struct vm_exit.
 *
 * Works without NRIPS and decode assists (QEMU's TCG offers neither): the
 * exit then carries no next RIP and vm/ computes it from the instruction
 * bytes.  With NRIPS (Bochs' ryzen) the hardware's nRIP is used.  TLB
 * flushes go through TLB_CONTROL on the next VMRUN: flush-by-ASID where the
 * CPU offers it, else flush-all.
 */
#include "svm/svm.h"
#include "svm/vmcb.h"
#include "arch/cpu.h"
#include "arch/msr.h"
#include "arch/trapnr.h"
#include "arch/x86.h"
#include "bug.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/mm_hooks.h"
#include "mm/page_alloc.h"
#include "vm/vm.h"

#define SVM_IOPM_ORDER 2	/* 12 KiB used of 16 */
#define SVM_MSRPM_ORDER 1	/* 8 KiB */
#define V_INTR_MASKING BIT_ULL(24)

struct svm_cpu {
	bool on;
	u64 efer_before;
	u64 hsave_before;
	void *hsave;		/* host save area (VM_HSAVE_PA) */
	void *host_vmcb;	/* VMSAVE/VMLOAD of the host's hidden state */
	struct cpu_caps caps;
	u32 next_asid;
};

struct svm_vm {
	u64 flush_gen;		/* bumped by every TDP flush request */
};

struct svm_vcpu {
	void *vmcb;
	void *iopm;
	void *msrpm;
	u64 flushed_gen;	/* the svm_vm flush_gen this vCPU's TLB reflects */
};

static struct svm_cpu cpu0;

_Static_assert(sizeof(struct svm_vm) <= PAGE_SIZE && sizeof(struct svm_vcpu) <= PAGE_SIZE,
	       "per-VM and per-vCPU state fit their pages");

static const char *const virt_insn_names[] = {
	[SVM_EXIT_VMRUN - SVM_EXIT_VMRUN] = "VMRUN",
	[SVM_EXIT_VMMCALL - SVM_EXIT_VMRUN] = "VMMCALL",
	[SVM_EXIT_VMLOAD - SVM_EXIT_VMRUN] = "VMLOAD",
	[SVM_EXIT_VMSAVE - SVM_EXIT_VMRUN] = "VMSAVE",
	[SVM_EXIT_STGI - SVM_EXIT_VMRUN] = "STGI",
	[SVM_EXIT_CLGI - SVM_EXIT_VMRUN] = "CLGI",
	[SVM_EXIT_SKINIT - SVM_EXIT_VMRUN] = "SKINIT",
};

static int svm_enable(void)
{
	struct svm_cpu *c = &cpu0;
	u64 vmcr = 0;

	cpu_caps_read(&c->caps);
	if (!c->caps.svm || !c->caps.npt) {
		pr_err("cpu0: SVM: not available (SVM %d, NPT %d)\n", c->caps.svm, c->caps.npt);
		return -ENODEV;
	}
	if (rdmsr_safe(MSR_VM_CR, &vmcr) && (vmcr & VM_CR_SVMDIS)) {
		pr_err("cpu0: SVM: disabled by the firmware (VM_CR.SVMDIS)\n");
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
	c->next_asid = 1;
	pr_info("cpu0: SVM on: NPT 4 levels, %u ASIDs, NRIPS %s, flush-by-ASID %s\n",
		c->caps.svm_nasid, c->caps.nrips ? "yes" : "no",
		c->caps.flush_by_asid ? "yes" : "no");
	return 0;
}

static void svm_disable(void)
{
	struct svm_cpu *c = &cpu0;

	if (!c->on)
		return;
	wrmsr(MSR_VM_HSAVE_PA, c->hsave_before);
	wrmsr(MSR_EFER, c->efer_before);
	free_page(c->hsave);
	free_page(c->host_vmcb);
	c->on = false;
	pr_info("cpu0: SVM off, EFER restored to 0x%llx\n",
		(unsigned long long)c->efer_before);
}

/* The TDP MMU's flush: every vCPU of the VM flushes on its next VMRUN.  Test
 * vCPUs run only on the CPU that asks, between their runs, so no guest can
 * use a stale translation before that VMRUN. */
static void svm_flush_tlbs(struct tdp_mmu *mmu)
{
	struct svm_vm *s = ((struct vm *)mmu->priv)->arch;

	s->flush_gen++;
}

static const struct tdp_mmu_ops svm_mmu_ops = { .flush_tlbs = svm_flush_tlbs };

static int svm_vm_init(struct vm *vm)
{
	struct svm_vm *s = alloc_zeroed_page();
	int err;

	if (!s)
		return -ENOMEM;
	err = tdp_mmu_init(&vm->mmu, &spte_fmt_npt, 4, &svm_mmu_ops, vm);
	if (err) {
		free_page(s);
		return err;
	}
	if (cpu0.next_asid >= cpu0.caps.svm_nasid)
		cpu0.next_asid = 1;	/* reuse: the first VMRUN flushes it */
	vm->asid = cpu0.next_asid++;
	vm->arch = s;
	return 0;
}

static void svm_vm_destroy(struct vm *vm)
{
	free_page(vm->arch);
	vm->arch = NULL;
}

static void set_intercepts(void *vmcb)
{
	vmcb_write32(vmcb, VMCB_INTERCEPT_MISC1,
		     VMCB_I1_INTR | VMCB_I1_NMI | VMCB_I1_INIT | VMCB_I1_CPUID |
		     VMCB_I1_INVD | VMCB_I1_HLT | VMCB_I1_INVLPGA | VMCB_I1_IOIO_PROT |
		     VMCB_I1_MSR_PROT | VMCB_I1_SHUTDOWN);
	vmcb_write32(vmcb, VMCB_INTERCEPT_MISC2,
		     VMCB_I2_VMRUN | VMCB_I2_VMMCALL | VMCB_I2_VMLOAD | VMCB_I2_VMSAVE |
		     VMCB_I2_STGI | VMCB_I2_CLGI | VMCB_I2_SKINIT | VMCB_I2_WBINVD |
		     VMCB_I2_XSETBV);
}

static void set_long_mode_state(void *vmcb, const struct vcpu_boot *b)
{
	const u16 code = 0xb | VMCB_ATTR_S | VMCB_ATTR_P | VMCB_ATTR_L | VMCB_ATTR_G;
	const u16 data = 0x3 | VMCB_ATTR_S | VMCB_ATTR_P | VMCB_ATTR_DB | VMCB_ATTR_G;

	vmcb_set_seg(vmcb, VMCB_CS, b->cs, code, 0xffffffff, 0);
	vmcb_set_seg(vmcb, VMCB_DS, b->ds, data, 0xffffffff, 0);
	vmcb_set_seg(vmcb, VMCB_ES, b->ds, data, 0xffffffff, 0);
	vmcb_set_seg(vmcb, VMCB_SS, b->ds, data, 0xffffffff, 0);
	vmcb_set_seg(vmcb, VMCB_FS, b->ds, data, 0xffffffff, 0);
	vmcb_set_seg(vmcb, VMCB_GS, b->ds, data, 0xffffffff, 0);
	vmcb_set_seg(vmcb, VMCB_TR, b->tr, 0xb | VMCB_ATTR_P, b->tr_limit, b->tr_base);
	vmcb_set_seg(vmcb, VMCB_LDTR, 0, 0x2 | VMCB_ATTR_P, 0xffff, 0);
	vmcb_set_seg(vmcb, VMCB_GDTR, 0, 0, b->gdt_limit, b->gdt_base);
	vmcb_set_seg(vmcb, VMCB_IDTR, 0, 0, b->idt_limit, b->idt_base);
	vmcb_write64(vmcb, VMCB_CR0, X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		     X86_CR0_WP | X86_CR0_PG);
	vmcb_write64(vmcb, VMCB_CR4, X86_CR4_PAE);
	vmcb_write64(vmcb, VMCB_CR3, b->cr3);
	vmcb_write64(vmcb, VMCB_EFER, EFER_LME | EFER_LMA | EFER_SVME | EFER_NXE);
	vmcb_write64(vmcb, VMCB_G_PAT, PAT_RESET_VALUE);
	vmcb_write64(vmcb, VMCB_RFLAGS, 0x2);
	vmcb_write64(vmcb, VMCB_RIP, b->rip);
	vmcb_write64(vmcb, VMCB_RSP, b->rsp);
	vmcb_write64(vmcb, VMCB_DR6, 0xffff0ff0);
	vmcb_write64(vmcb, VMCB_DR7, 0x400);
	vmcb_write8(vmcb, VMCB_CPL, 0);
}

static void svm_vcpu_free(struct svm_vcpu *s)
{
	free_page(s->vmcb);
	free_pages(s->iopm, SVM_IOPM_ORDER);
	free_pages(s->msrpm, SVM_MSRPM_ORDER);
	free_page(s);
}

/*
 * A vCPU's VMCB and permission maps, every map byte set to fill (0xff: all
 * ports and MSRs intercepted), wired into the VMCB with the VM's ASID.
 * Returns NULL when the pool ran out.
 */
static struct svm_vcpu *svm_vcpu_alloc(struct vcpu *v, u8 fill)
{
	struct svm_vcpu *s = alloc_zeroed_page();

	if (!s)
		return NULL;
	s->vmcb = alloc_zeroed_page();
	s->iopm = alloc_pages(SVM_IOPM_ORDER);
	s->msrpm = alloc_pages(SVM_MSRPM_ORDER);
	if (!s->vmcb || !s->iopm || !s->msrpm) {
		svm_vcpu_free(s);
		return NULL;
	}
	memset(s->iopm, fill, PAGE_SIZE << SVM_IOPM_ORDER);
	memset(s->msrpm, fill, PAGE_SIZE << SVM_MSRPM_ORDER);
	vmcb_write64(s->vmcb, VMCB_IOPM_BASE_PA, (u64)(uintptr_t)s->iopm);
	vmcb_write64(s->vmcb, VMCB_MSRPM_BASE_PA, (u64)(uintptr_t)s->msrpm);
	vmcb_write32(s->vmcb, VMCB_GUEST_ASID, v->vm->asid);
	return s;
}

/* A test VM's vCPU: it reaches no host port or MSR. */
static int svm_vcpu_init(struct vcpu *v, const struct vcpu_boot *b)
{
	struct svm_vcpu *s = svm_vcpu_alloc(v, 0xff);
	void *vmcb;

	if (!s)
		return -ENOMEM;
	vmcb = s->vmcb;
	set_intercepts(vmcb);
	vmcb_write64(vmcb, VMCB_INT_CTL, V_INTR_MASKING);
	vmcb_write64(vmcb, VMCB_NP_CTL, 1);
	set_long_mode_state(vmcb, b);
	s->flushed_gen = ~0ULL;	/* flush on the first entry: the ASID may be reused */
	v->arch = s;
	return 0;
}

/* ---- the platform VM ---- */

#define MSRPM_BYTES_PER_RANGE 0x800
#define EFER_GUEST_SETTABLE (EFER_SCE | EFER_LME | EFER_NXE | EFER_LMSLE | EFER_FFXSR | \
			     EFER_TCE)

/* Intercepts reads and writes of msr; returns false if the map has no bit. */
static bool msrpm_intercept(u8 *msrpm, u32 msr)
{
	static const u32 range_base[3] = { 0x00000000, 0xc0000000, 0xc0010000 };
	unsigned int r;

	for (r = 0; r < 3; r++) {
		if (msr - range_base[r] < 0x2000) {
			u32 bit = (msr - range_base[r]) * 2;

			msrpm[r * MSRPM_BYTES_PER_RANGE + bit / 8] |= 3 << (bit % 8);
			return true;
		}
	}
	return false;
}

/* The VMCB form of the descriptor sel in the GDT at gdt (null: unusable). */
static void seg_from_gdt(void *vmcb, enum vmcb_field f, u16 sel, const u8 *gdt)
{
	struct seg_desc s;

	if (!(sel & ~3)) {
		vmcb_set_seg(vmcb, f, sel, 0, 0, 0);
		return;
	}
	s = gdt_seg_desc(gdt, sel);
	vmcb_set_seg(vmcb, f, sel, (u16)(s.access | (s.flags << 8)), s.limit, s.base);
}

static void platform_state(void *vmcb, const struct platform_capture *cap)
{
	struct desc_ptr gdtr;
	const u8 *gdt;

	/* The firmware's hidden segment state and syscall MSRs, as they are. */
	svm_vmsave((u64)(uintptr_t)vmcb);
	sgdt(&gdtr);	/* ours: the firmware's descriptors at their selectors */
	gdt = (const u8 *)(uintptr_t)gdtr.base;
	seg_from_gdt(vmcb, VMCB_CS, read_cs(), gdt);
	seg_from_gdt(vmcb, VMCB_SS, read_ss(), gdt);
	seg_from_gdt(vmcb, VMCB_DS, read_ds(), gdt);
	seg_from_gdt(vmcb, VMCB_ES, read_es(), gdt);
	vmcb_write8(vmcb, VMCB_CPL, 0);
	/* The firmware ran with TR = 0 and its own GDT and IDT. */
	vmcb_set_seg(vmcb, VMCB_TR, 0, 0xb | VMCB_ATTR_P, 0x67, 0);
	vmcb_set_seg(vmcb, VMCB_LDTR, 0, 0, 0, 0);
	vmcb_set_seg(vmcb, VMCB_GDTR, 0, 0, cap->gdt_limit, cap->gdt_base);
	vmcb_set_seg(vmcb, VMCB_IDTR, 0, 0, cap->idt_limit, cap->idt_base);
	vmcb_write64(vmcb, VMCB_CR0, read_cr0());
	vmcb_write64(vmcb, VMCB_CR3, read_cr3());
	vmcb_write64(vmcb, VMCB_CR4, read_cr4());
	vmcb_write64(vmcb, VMCB_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	vmcb_write64(vmcb, VMCB_G_PAT, rdmsr(MSR_IA32_PAT));
	vmcb_write64(vmcb, VMCB_RFLAGS, cap->rflags);
	vmcb_write64(vmcb, VMCB_RIP, cap->rip);
	vmcb_write64(vmcb, VMCB_RSP, cap->rsp);
	vmcb_write64(vmcb, VMCB_DR6, 0xffff0ff0);
	vmcb_write64(vmcb, VMCB_DR7, 0x400);
}

/*
 * The firmware (and the OS after it) as a guest: ports, interrupts and
 * MSRs pass through, except EFER (SVME hidden) and the SVM MSRs, which a
 * CPU without SVM would not have.
 */
static int svm_vcpu_init_platform(struct vcpu *v, const struct platform_capture *cap)
{
	static const u32 hidden_msrs[] = { MSR_EFER, MSR_VM_CR, MSR_VM_IGNNE, MSR_SVM_SMM_CTL,
					   MSR_VM_HSAVE_PA };
	struct svm_vcpu *s = svm_vcpu_alloc(v, 0);
	unsigned int i;
	void *vmcb;

	if (!s)
		return -ENOMEM;
	for (i = 0; i < cap->nio; i++)	/* any access touching the byte exits */
		((u8 *)s->iopm)[cap->io_ports[i] / 8] |= (u8)(1 << (cap->io_ports[i] % 8));
	for (i = 0; i < ARRAY_SIZE(hidden_msrs); i++)
		msrpm_intercept(s->msrpm, hidden_msrs[i]);
	for (i = 0; i < cap->nmsr_writes; i++)	/* reads too: passed on */
		msrpm_intercept(s->msrpm, cap->msr_writes[i]);
	vmcb = s->vmcb;
	vmcb_write32(vmcb, VMCB_INTERCEPT_MISC1, VMCB_I1_CPUID | VMCB_I1_INVD | VMCB_I1_INVLPGA |
		     VMCB_I1_MSR_PROT | VMCB_I1_IOIO_PROT | VMCB_I1_SHUTDOWN);
	vmcb_write32(vmcb, VMCB_INTERCEPT_MISC2,
		     VMCB_I2_VMRUN | VMCB_I2_VMMCALL | VMCB_I2_VMLOAD | VMCB_I2_VMSAVE |
		     VMCB_I2_STGI | VMCB_I2_CLGI | VMCB_I2_SKINIT | VMCB_I2_WBINVD |
		     VMCB_I2_XSETBV);
	vmcb_write64(vmcb, VMCB_NP_CTL, 1);
	platform_state(vmcb, cap);
	s->flushed_gen = ~0ULL;
	v->arch = s;
	return 0;
}

/* EFER reads without SVME; writes are checked and keep SVME underneath. */
static int svm_platform_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	void *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
	u64 efer = vmcb_read64(vmcb, VMCB_EFER);

	if (msr != MSR_EFER)
		return -EPERM;
	if (!write) {
		*val = efer & ~EFER_SVME;
		return 0;
	}
	if (*val & ~(EFER_GUEST_SETTABLE | EFER_LMA))
		return -EPERM;
	vmcb_write64(vmcb, VMCB_EFER, (*val & EFER_GUEST_SETTABLE) | (efer & EFER_LMA) | EFER_SVME);
	return 0;
}

static void svm_vcpu_destroy(struct vcpu *v)
{
	struct svm_vcpu *s = v->arch;

	if (!s)
		return;
	svm_vcpu_free(s);
	v->arch = NULL;
}

static void decode_npf(struct vm_exit *e)
{
	u64 err = e->hw_info1;

	e->reason = VMEXIT_TDP_FAULT;
	e->tdp.gpa = e->hw_info2;
	e->tdp.access = (err & NPF_ID) ? TDP_ACC_X : (err & NPF_W) ? TDP_ACC_W : TDP_ACC_R;
	e->tdp.present = err & NPF_P;
	e->tdp.walk = err & NPF_TABLE_WALK;
}

static void decode_io(struct vm_exit *e)
{
	u64 info = e->hw_info1;

	e->reason = VMEXIT_IO;
	e->io.port = (u16)(info >> IOIO_PORT_SHIFT);
	e->io.size = (info & IOIO_SZ8) ? 1 : (info & IOIO_SZ16) ? 2 : 4;
	e->io.in = info & IOIO_TYPE_IN;
	e->io.string = info & IOIO_STR;
	e->io.rep = info & IOIO_REP;
	e->next_rip = e->hw_info2;	/* IOIO always reports it */
}

static void decode_exit(struct vcpu *v, void *vmcb, struct vm_exit *e)
{
	u64 code = vmcb_read64(vmcb, VMCB_EXITCODE);

	memset(e, 0, sizeof(*e));
	e->hw_code = code;
	e->hw_info1 = vmcb_read64(vmcb, VMCB_EXITINFO1);
	e->hw_info2 = vmcb_read64(vmcb, VMCB_EXITINFO2);
	if (cpu0.caps.nrips)
		e->next_rip = vmcb_read64(vmcb, VMCB_NRIP);
	if ((u32)code == (u32)SVM_EXIT_INVALID) {
		e->reason = VMEXIT_ENTRY_FAILED;
		return;
	}
	switch (code) {
	case SVM_EXIT_NPF:
		decode_npf(e);
		break;
	case SVM_EXIT_CPUID:
		e->reason = VMEXIT_CPUID;
		break;
	case SVM_EXIT_HLT:
		e->reason = VMEXIT_HLT;
		break;
	case SVM_EXIT_VMMCALL:
		e->reason = VMEXIT_HYPERCALL;
		break;
	case SVM_EXIT_MSR:
		e->reason = e->hw_info1 ? VMEXIT_MSR_WRITE : VMEXIT_MSR_READ;
		e->msr = (u32)v->gpr[GPR_RCX];
		break;
	case SVM_EXIT_IOIO:
		decode_io(e);
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
		e->reason = VMEXIT_VIRT_INSN;
		e->insn = virt_insn_names[code - SVM_EXIT_VMRUN];
		break;
	case SVM_EXIT_INVLPGA:
		e->reason = VMEXIT_VIRT_INSN;
		e->insn = "INVLPGA";
		break;
	case SVM_EXIT_SHUTDOWN:
		e->reason = VMEXIT_SHUTDOWN;
		break;
	case SVM_EXIT_XSETBV:
		e->reason = VMEXIT_XSETBV;
		break;
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD:	/* QEMU checks INVD against this intercept */
		e->reason = VMEXIT_INVD;
		break;
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
	case SVM_EXIT_INIT:
		e->reason = VMEXIT_INTR;
		break;
	default:
		if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32)
			e->reason = VMEXIT_EXCEPTION;
		else
			e->reason = VMEXIT_UNKNOWN;
	}
}

/*
 * An exit that interrupted the delivery of an event through the guest's IDT
 * (a nested page fault on its IDT, GDT or stack, say) loses that event
 * unless it is injected again on the next VMRUN: a lost external interrupt
 * leaves its vector in service at the local APIC forever, and the guest's
 * timer stops.  A software interrupt is not injected again: RIP still
 * points at the INTn, which runs again.  An exception the exit handler
 * injects replaces it.
 */
static void reinject_exitintinfo(void *vmcb)
{
	u64 info = vmcb_read64(vmcb, VMCB_EXITINTINFO), type = info & VMCB_EVT_TYPE_MASK;
	u64 vector = info & VMCB_EVT_VECTOR_MASK;

	if (!(info & VMCB_EVT_VALID) || type == VMCB_EVT_TYPE_SOFT_INT)
		return;
	/*
	 * QEMU's TCG reports every hardware event as an exception; an
	 * "exception" with vector 2 or >= 32 can only be an NMI or an
	 * external interrupt, and VMRUN refuses to inject it as an exception.
	 */
	if (type == VMCB_EVT_TYPE_EXCEPTION && vector == NMI_VECTOR)
		type = VMCB_EVT_TYPE_NMI;
	else if (type == VMCB_EVT_TYPE_EXCEPTION && vector >= FIRST_EXTERNAL_VECTOR)
		type = VMCB_EVT_TYPE_INTR;
	if (type != VMCB_EVT_TYPE_EXCEPTION)
		info &= ~(VMCB_EVT_ERROR_VALID | (0xffffffffULL << VMCB_EVT_ERROR_SHIFT));
	vmcb_write64(vmcb, VMCB_EVENTINJ, vector | type | VMCB_EVT_VALID |
		     (info & (VMCB_EVT_ERROR_VALID | (0xffffffffULL << VMCB_EVT_ERROR_SHIFT))));
}

static void svm_vcpu_run(struct vcpu *v, struct vm_exit *e)
{
	struct svm_vcpu *s = v->arch;
	struct svm_vm *sv = v->vm->arch;
	void *vmcb = s->vmcb;

	vmcb_write64(vmcb, VMCB_N_CR3, mm_virt_to_phys(v->tdp.root->pt));
	if (s->flushed_gen != sv->flush_gen) {
		vmcb_write8(vmcb, VMCB_TLB_CONTROL, cpu0.caps.flush_by_asid ?
			    VMCB_TLB_FLUSH_ASID : VMCB_TLB_FLUSH_ALL);
		s->flushed_gen = sv->flush_gen;
	}
	vmcb_write64(vmcb, VMCB_RAX, v->gpr[GPR_RAX]);
	vmcb_write64(vmcb, VMCB_RSP, v->gpr[GPR_RSP]);
	svm_vmrun(v->gpr, (u64)(uintptr_t)vmcb, (u64)(uintptr_t)cpu0.host_vmcb);
	v->gpr[GPR_RAX] = vmcb_read64(vmcb, VMCB_RAX);
	v->gpr[GPR_RSP] = vmcb_read64(vmcb, VMCB_RSP);
	vmcb_write8(vmcb, VMCB_TLB_CONTROL, VMCB_TLB_NONE);
	vmcb_write64(vmcb, VMCB_EVENTINJ, 0);
	decode_exit(v, vmcb, e);
	reinject_exitintinfo(vmcb);
}

static u64 svm_get_rip(struct vcpu *v)
{
	return vmcb_read64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_RIP);
}

static void svm_set_rip(struct vcpu *v, u64 rip)
{
	vmcb_write64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_RIP, rip);
}

static u64 svm_get_cr3(struct vcpu *v)
{
	return vmcb_read64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_CR3);
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

static void svm_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	u64 ev = vector | VMCB_EVT_TYPE_EXCEPTION | VMCB_EVT_VALID;

	if (has_error)
		ev |= VMCB_EVT_ERROR_VALID | ((u64)error << VMCB_EVT_ERROR_SHIFT);
	vmcb_write64(((struct svm_vcpu *)v->arch)->vmcb, VMCB_EVENTINJ, ev);
}

const struct virt_ops svm_ops = {
	.name = "SVM",
	.enable = svm_enable,
	.disable = svm_disable,
	.vm_init = svm_vm_init,
	.vm_destroy = svm_vm_destroy,
	.vcpu_init = svm_vcpu_init,
	.vcpu_destroy = svm_vcpu_destroy,
	.vcpu_run = svm_vcpu_run,
	.get_rip = svm_get_rip,
	.set_rip = svm_set_rip,
	.get_cr3 = svm_get_cr3,
	.get_cr4 = svm_get_cr4,
	.get_cpl = svm_get_cpl,
	.long_mode = svm_long_mode,
	.inject_exception = svm_inject_exception,
	.vcpu_init_platform = svm_vcpu_init_platform,
	.platform_msr = svm_platform_msr,
};
