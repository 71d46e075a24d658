// SPDX-License-Identifier: MIT
/*
 * Intel VMX: turning it on and off, the vCPU run loop and accessors, and
 * vmx_ops, the struct virt_ops that vm/ drives.  The other files of vmx/
 * each hold one concern (vmx_int.h lists them).
 */
#include "arch/percpu.h"
#include "vmx_int.h"
#include "arch/guard.h"
#include "arch/msr.h"
#include "arch/trapnr.h"
#include "bug.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vm/insn.h"
#include "vm/vm.h"

/* Exceptions that push an error code (the VM-entry check wants it exact). */
#define EXC_HAS_ERROR_MASK (BIT(DF_VECTOR) | BIT(TS_VECTOR) | BIT(NP_VECTOR) | \
			    BIT(SS_VECTOR) | BIT(GP_VECTOR) | BIT(PF_VECTOR) | BIT(AC_VECTOR))

struct vmx_cpu vmx_cpus[NR_CPUS];

/*
 * Locks IA32_FEATURE_CONTROL when the firmware did not: with VMXON outside
 * SMX allowed and every other enable the CPU offers (SGX, SGX launch
 * control, LMCE: guard_feature_control()), since the OS after us can no
 * longer set them.  A CPU that refuses that value (an enable it reports
 * but does not take) is locked with VMXON alone.
 */
static int feature_control_setup(void)
{
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL), want;
	struct cpuid_regs leaf7 = { 0 };

	if (fc & FEATURE_CONTROL_LOCKED) {
		if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
			pr_err("cpu%u: VMX: disabled by the firmware (IA32_FEATURE_CONTROL "
			       "locked without VMXON outside SMX); enable virtualization "
			       "in the firmware setup\n", this_cpu_id());
			return -EPERM;
		}
		return 0;
	}
	if (cpuid(0).eax >= 7)
		leaf7 = cpuid_count(7, 0);
	want = fc | guard_feature_control(&leaf7, rdmsr_or_zero(MSR_IA32_MCG_CAP));
	if (!wrmsr_safe(MSR_IA32_FEATURE_CONTROL, want)) {
		pr_warn("cpu%u: VMX: IA32_FEATURE_CONTROL refused 0x%llx: locking it with VMXON "
			"alone\n", this_cpu_id(), (unsigned long long)want);
		want = fc | FEATURE_CONTROL_VMXON_OUTSIDE_SMX | FEATURE_CONTROL_LOCKED;
		wrmsr(MSR_IA32_FEATURE_CONTROL, want);
	}
	pr_info("cpu%u: VMX: IA32_FEATURE_CONTROL was unlocked: locked as 0x%llx (VMXON outside "
		"SMX%s%s%s; it stays locked until reset)\n", this_cpu_id(), (unsigned long long)want,
		(want & FEATURE_CONTROL_SGX) ? ", SGX" : "",
		(want & FEATURE_CONTROL_SGX_LC) ? ", SGX launch control" : "",
		(want & FEATURE_CONTROL_LMCE) ? ", LMCE" : "");
	return 0;
}

static void print_on(const struct vmx_cpu *c)
{
	const struct vmx_caps *caps = vmx_caps();
	const struct vmx_ctls *k = &c->ctls;

	pr_info("cpu%u: VMX on: EPT 4 levels, VPID %s, A/D %s, 1G pages %s, PML %s\n", this_cpu_id(),
		str_yes_no(c->vpid), str_yes_no(caps->ept_ad), str_yes_no(caps->ept_1g),
		str_yes_no(caps->pml));
	pr_info("cpu%u: VMX: VMCS revision 0x%x, %s capability MSRs\n", this_cpu_id(), caps->revision,
		(caps->basic & VMX_BASIC_TRUE_CTLS) ? "TRUE_*" : "plain");
	pr_info("cpu%u: VMX controls: pin 0x%08x, cpu 0x%08x, secondary 0x%08x\n", this_cpu_id(),
		k->pin, k->cpu, k->sec);
	pr_info("cpu%u: VMX controls: exit 0x%08x, entry 0x%08x (EFER switch %s, PAT switch %s)\n", this_cpu_id(),
		k->exit, k->entry, str_yes_no(c->load_efer), str_yes_no(c->load_pat));
}

/* Filled by vmx_enable() from the capabilities. */
static struct virt_features vmx_features;

static int vmx_enable(void)
{
	const struct vmx_caps *caps = vmx_caps();
	struct vmx_cpu *c = vmx_this();
	u64 cr0, cr4;
	int err;

	memset(c, 0, sizeof(*c));
	err = vmx_check_caps(c);
	if (err)
		return err;
	c->cr0_before = read_cr0();
	c->cr4_before = read_cr4();
	if (c->cr4_before & X86_CR4_VMXE) {
		pr_err("cpu%u: VMX: CR4.VMXE already set: another hypervisor owns VMX\n", this_cpu_id());
		return -EBUSY;
	}
	err = feature_control_setup();
	if (err)
		return err;
	c->vmxon = vmx_alloc_vmcs_page();
	if (!c->vmxon)
		return -ENOMEM;
	cr0 = (c->cr0_before | caps->cr0_fixed0) & caps->cr0_fixed1;
	cr4 = (c->cr4_before | caps->cr4_fixed0 | X86_CR4_VMXE) & caps->cr4_fixed1;
	if (cr0 != c->cr0_before)
		write_cr0(cr0);
	write_cr4(cr4);
	if (__vmxon(pa_of(c->vmxon))) {
		write_cr4(c->cr4_before);
		write_cr0(c->cr0_before);
		free_page(c->vmxon);
		pr_err("cpu%u: VMX: VMXON failed\n", this_cpu_id());
		return -EIO;
	}
	c->on = true;
	/* PML logs when the CPU sets an EPT dirty bit: caps->pml implies A/D. */
	vmx_features = (struct virt_features){
		.dirty_modes = (caps->ept_ad ? BIT(TDP_DIRTY_DBIT) : 0) |
			       (caps->pml ? BIT(TDP_DIRTY_PML) : 0),
		.leaf_memtype = true,
		.hypercall_vmmcall = false,
	};
	if (cr0 != c->cr0_before)
		pr_info("cpu%u: VMX: CR0 0x%llx -> 0x%llx for the fixed bits\n", this_cpu_id(),
			(unsigned long long)c->cr0_before, (unsigned long long)cr0);
	print_on(c);
	return 0;
}

static void vmx_cpu_sleep(struct vcpu *v)
{
	struct vmx_cpu *c = vmx_this();

	if (c->current)
		__vmclear(pa_of(c->current));
	c->current = NULL;
	((struct vmx_vcpu *)v->arch)->launched = false;
}

static int vmx_cpu_wake(void)
{
	const struct vmx_caps *caps = vmx_caps();
	struct vmx_cpu *c = vmx_this();
	int err;

	if (!c->on)
		return -ENODEV;
	err = feature_control_setup();
	if (err)
		return err;
	write_cr0((read_cr0() | caps->cr0_fixed0) & caps->cr0_fixed1);
	write_cr4((read_cr4() | caps->cr4_fixed0 | X86_CR4_VMXE) & caps->cr4_fixed1);
	c->current = NULL;
	if (__vmxon(pa_of(c->vmxon))) {
		pr_err("cpu%u: VMX: VMXON failed after the sleep\n", this_cpu_id());
		return -EIO;
	}
	return 0;
}

static void vmx_disable(void)
{
	struct vmx_cpu *c = vmx_this();

	if (!c->on)
		return;
	if (c->current)
		__vmclear(pa_of(c->current));
	c->current = NULL;
	__vmxoff();
	write_cr4(c->cr4_before);
	write_cr0(c->cr0_before);
	free_page(c->vmxon);
	c->on = false;
	pr_info("cpu%u: VMX off, CR0 0x%llx and CR4 0x%llx restored\n", this_cpu_id(),
		(unsigned long long)c->cr0_before, (unsigned long long)c->cr4_before);
	pr_info("cpu%u: VMX: IA32_FEATURE_CONTROL stays locked (only a reset unlocks it)\n", this_cpu_id());
}

static void vmx_vcpu_destroy(struct vcpu *v)
{
	struct vmx_vcpu *s = v->arch;

	if (!s)
		return;
	if (__vmclear(pa_of(s->vmcs)))
		vmx_insn_failed("vmclear", VMCS_NO_FIELD);
	if (vmx_this()->current == s->vmcs)
		vmx_this()->current = NULL;
	((struct vmx_vm *)v->vm->arch)->vcpus[v->id] = NULL;
	vmx_free_vcpu_pages(s);
	v->arch = NULL;
}

static void vmx_vcpu_run(struct vcpu *v, struct vm_exit *e)
{
	struct vmx_vcpu *s = v->arch;
	int status;

	vmcs_load(s);
	if (!s->launched) {
		/* The platform VM's host switches to its own page tables
		 * after the vCPU is made: take them as they are now. */
		vmcs_writel(HOST_CR3, read_cr3());
		vmcs_writel(HOST_CR4, read_cr4());
	}
	vmx_pml_update(v, s);
	vmx_flush_before_entry(v, s);
	vmcs_writel(GUEST_RSP, v->gpr[GPR_RSP]);
	/* MOV to CR2 serializes: only when another vCPU or a set_cr2 moved it. */
	if (read_cr2() != s->cr2)
		write_cr2(s->cr2);
	status = vmx_enter(v->gpr, s->launched);
	s->cr2 = read_cr2();
	/* VM exits leave the GDTR and IDTR limits at 0xffff. */
	lgdt(&vmx_this()->gdtr);
	lidt(&vmx_this()->idtr);
	memset(e, 0, sizeof(*e));
	if (status != VMX_ENTER_EXITED) {
		vmx_entry_vmfail(v, status, e);
		return;
	}
	s->launched = true;
	v->gpr[GPR_RSP] = vmcs_readl(GUEST_RSP);
	vmcs_write32(VM_ENTRY_INTR_INFO, 0);
	vmx_decode_exit(v, e);
	if (e->reason != VMEXIT_ENTRY_FAILED)
		vmx_reinject_idt_vectoring();
}

static u64 vmx_get_rip(struct vcpu *v)
{
	vmcs_load(v->arch);
	return vmcs_readl(GUEST_RIP);
}

static void vmx_set_rip(struct vcpu *v, u64 rip)
{
	vmcs_load(v->arch);
	vmcs_writel(GUEST_RIP, rip);
}

static void vmx_insn_done(struct vcpu *v)
{
	u32 intr;

	vmcs_load(v->arch);
	intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & (INTR_BLOCK_STI | INTR_BLOCK_MOV_SS))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
			     intr & ~(INTR_BLOCK_STI | INTR_BLOCK_MOV_SS));
	/* The CPU raises the #DB itself at the entry, DR6.BS set. */
	if (vmcs_readl(GUEST_RFLAGS) & X86_RFLAGS_TF)
		vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS,
			    vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS) | X86_DR6_BS);
}

static u64 vmx_get_cr3(struct vcpu *v)
{
	vmcs_load(v->arch);
	return vmcs_readl(GUEST_CR3);
}

/* CR0 and CR4: the guarded bits from the read shadow, the rest live. */
static u64 vmx_get_cr0(struct vcpu *v)
{
	struct vmx_vcpu *s = v->arch;

	vmcs_load(s);
	return guest_cr0(s);
}

static void vmx_set_cr2(struct vcpu *v, u64 cr2)
{
	((struct vmx_vcpu *)v->arch)->cr2 = cr2;
}

static u64 vmx_get_cs_base(struct vcpu *v)
{
	vmcs_load(v->arch);
	return vmcs_readl(GUEST_CS_BASE);
}

static u64 vmx_get_seg_base(struct vcpu *v, unsigned int seg)
{
	static const u32 field[] = {
		[INSN_SEG_ES] = GUEST_ES_BASE, [INSN_SEG_CS] = GUEST_CS_BASE,
		[INSN_SEG_SS] = GUEST_SS_BASE, [INSN_SEG_DS] = GUEST_DS_BASE,
		[INSN_SEG_FS] = GUEST_FS_BASE, [INSN_SEG_GS] = GUEST_GS_BASE,
	};

	BUG_ON(seg == INSN_SEG_NONE || seg >= ARRAY_SIZE(field));
	vmcs_load(v->arch);
	return vmcs_readl(field[seg]);
}

static unsigned int vmx_get_cpu_mode(struct vcpu *v)
{
	u32 ar;

	vmcs_load(v->arch);
	ar = vmcs_read32(GUEST_CS_AR_BYTES);
	if ((vmcs_read32(VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE) && (ar & VMX_AR_L))
		return CPU_MODE_64;
	if (!(vmcs_readl(GUEST_CR0) & X86_CR0_PE) || (vmcs_readl(GUEST_RFLAGS) & X86_RFLAGS_VM))
		return CPU_MODE_16;
	return ar & VMX_AR_DB ? CPU_MODE_32 : CPU_MODE_16;
}

static u64 vmx_get_cr4(struct vcpu *v);
static u64 vmx_get_efer(struct vcpu *v);

static void vmx_dump_seg(const char *name, u32 sel, u32 base)
{
	pr_emerg("  %s %04llx base %016llx limit %08llx ar %05llx\n", name,
		 (unsigned long long)vmcs_read16(sel), (unsigned long long)vmcs_readl(base),
		 (unsigned long long)vmcs_read32(sel - GUEST_ES_SELECTOR + GUEST_ES_LIMIT),
		 (unsigned long long)vmcs_read32(sel - GUEST_ES_SELECTOR + GUEST_ES_AR_BYTES));
}

static void vmx_dump_state(struct vcpu *v)
{
	vmcs_load(v->arch);
	pr_emerg("  RIP %016llx RSP %016llx RFLAGS %08llx\n",
		 (unsigned long long)vmcs_readl(GUEST_RIP), (unsigned long long)vmcs_readl(GUEST_RSP),
		 (unsigned long long)vmcs_readl(GUEST_RFLAGS));
	pr_emerg("  CR0 %016llx CR3 %016llx CR4 %016llx (reads %016llx) EFER %llx\n",
		 (unsigned long long)vmcs_readl(GUEST_CR0), (unsigned long long)vmcs_readl(GUEST_CR3),
		 (unsigned long long)vmcs_readl(GUEST_CR4), (unsigned long long)vmx_get_cr4(v),
		 (unsigned long long)vmx_get_efer(v));
	vmx_dump_seg("CS", GUEST_CS_SELECTOR, GUEST_CS_BASE);
	vmx_dump_seg("SS", GUEST_SS_SELECTOR, GUEST_SS_BASE);
	vmx_dump_seg("DS", GUEST_DS_SELECTOR, GUEST_DS_BASE);
	vmx_dump_seg("ES", GUEST_ES_SELECTOR, GUEST_ES_BASE);
	vmx_dump_seg("FS", GUEST_FS_SELECTOR, GUEST_FS_BASE);
	vmx_dump_seg("GS", GUEST_GS_SELECTOR, GUEST_GS_BASE);
	vmx_dump_seg("TR", GUEST_TR_SELECTOR, GUEST_TR_BASE);
	pr_emerg("  GDTR %016llx/%llx IDTR %016llx/%llx DR7 %llx\n",
		 (unsigned long long)vmcs_readl(GUEST_GDTR_BASE),
		 (unsigned long long)vmcs_read32(GUEST_GDTR_LIMIT),
		 (unsigned long long)vmcs_readl(GUEST_IDTR_BASE),
		 (unsigned long long)vmcs_read32(GUEST_IDTR_LIMIT),
		 (unsigned long long)vmcs_readl(GUEST_DR7));
	pr_emerg("  interruptibility %x activity %x pending-dbg %llx entry-event %08x "
		 "idt-vectoring %08x\n", vmcs_read32(GUEST_INTERRUPTIBILITY_INFO),
		 vmcs_read32(GUEST_ACTIVITY_STATE),
		 (unsigned long long)vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS),
		 vmcs_read32(VM_ENTRY_INTR_INFO), vmcs_read32(IDT_VECTORING_INFO));
	pr_emerg("  last exit: reason 0x%x qualification 0x%llx VM-instruction error %u\n",
		 vmcs_read32(VM_EXIT_REASON), (unsigned long long)vmcs_readl(EXIT_QUALIFICATION),
		 vmcs_read32(VM_INSTRUCTION_ERROR));
}

static u64 vmx_get_cr4(struct vcpu *v)
{
	struct vmx_vcpu *s = v->arch;

	vmcs_load(s);
	return guest_cr4(s);
}

static unsigned int vmx_get_cpl(struct vcpu *v)
{
	vmcs_load(v->arch);
	return (vmcs_read32(GUEST_SS_AR_BYTES) >> VMX_AR_DPL_SHIFT) & 3;
}

static bool vmx_long_mode(struct vcpu *v)
{
	vmcs_load(v->arch);
	return vmcs_read32(VM_ENTRY_CONTROLS) & ENTRY_IA32E_MODE;
}

/* Without the EFER load control the guest runs with the host's EFER. */
static u64 vmx_get_efer(struct vcpu *v)
{
	vmcs_load(v->arch);
	if (vmcs_read32(VM_ENTRY_CONTROLS) & ENTRY_LOAD_IA32_EFER)
		return vmcs_read64(GUEST_IA32_EFER);
	return rdmsr(MSR_EFER);
}

static u64 vmx_get_rflags(struct vcpu *v)
{
	vmcs_load(v->arch);
	return vmcs_readl(GUEST_RFLAGS);
}

static void vmx_inject_exception(struct vcpu *v, u8 vector, bool has_error, u32 error)
{
	bool pushes_error = vector < FIRST_EXTERNAL_VECTOR && (EXC_HAS_ERROR_MASK & BIT(vector));
	u32 info = vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID;

	/* The entry check wants the error-code bit exactly when the vector has one. */
	WARN_ON_ONCE(has_error != pushes_error || vector == NMI_VECTOR ||
		     vector >= FIRST_EXTERNAL_VECTOR);
	vmcs_load(v->arch);
	if (pushes_error) {
		info |= INTR_INFO_ERROR_VALID;
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, has_error ? error : 0);
	}
	vmcs_write32(VM_ENTRY_INTR_INFO, info);
}

static int vmx_vcpu_init(struct vcpu *v, const struct vcpu_config *cfg)
{
	return cfg->boot ? vmx_vcpu_init_boot(v, cfg->boot) : vmx_vcpu_init_capture(v, cfg);
}

const struct virt_ops vmx_ops = {
	.name = "VMX",
	.features = &vmx_features,
	.enable = vmx_enable,
	.cpu_sleep = vmx_cpu_sleep,
	.cpu_wake = vmx_cpu_wake,
	.disable = vmx_disable,
	.vm_init = vmx_vm_init,
	.vm_destroy = vmx_vm_destroy,
	.vcpu_init = vmx_vcpu_init,
	.vcpu_destroy = vmx_vcpu_destroy,
	.vcpu_run = vmx_vcpu_run,
	.get_rip = vmx_get_rip,
	.set_rip = vmx_set_rip,
	.insn_done = vmx_insn_done,
	.get_cr0 = vmx_get_cr0,
	.get_cr3 = vmx_get_cr3,
	.set_cr2 = vmx_set_cr2,
	.get_cs_base = vmx_get_cs_base,
	.get_seg_base = vmx_get_seg_base,
	.get_cpu_mode = vmx_get_cpu_mode,
	.dump_state = vmx_dump_state,
	.get_cr4 = vmx_get_cr4,
	.get_cpl = vmx_get_cpl,
	.long_mode = vmx_long_mode,
	.get_efer = vmx_get_efer,
	.get_rflags = vmx_get_rflags,
	.inject_exception = vmx_inject_exception,
	.vendor_msr = vmx_vendor_msr,
	.set_tsc_offset = vmx_set_tsc_offset,
	.inject_nmi = vmx_inject_nmi,
	.arm_tick = vmx_arm_tick,
	.vcpu_start = vmx_vcpu_start,
	.cr_access = vmx_cr_access,
	.cpuid_fixup = vmx_cpuid_fixup,
};
