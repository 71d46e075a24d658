// SPDX-License-Identifier: MIT
/*
 * Intel VMX: turning it on and off, one VMCS per vCPU, a VPID per VM, the
 * EPT format for mm/, and VM exits decoded into struct vm_exit.
 *
 * Every execution control is computed from the capability MSRs (the TRUE_*
 * ones where IA32_VMX_BASIC offers them): a bit the CPU requires is set, a
 * bit it forbids is never asked for, and a feature we need but cannot have
 * refuses VMX with the reason logged.  TLB flushes of the TDP MMU are
 * INVEPT single-context on the vCPU's EPTP before its next entry; all test
 * vCPUs run on the CPU that asks, between their entries.
 *
 * PML: while one of a VM's slots logs in TDP_DIRTY_PML mode, its vCPUs run
 * with "enable PML", and the CPU stores the GPA of every write that sets an
 * EPT dirty bit into the vCPU's 4 KiB log, from entry 511 down.  A full
 * log exits (reason 62) and is drained into the slots' bitmaps; a harvest
 * drains every vCPU's log first (tdp_mmu_ops.flush_dirty_logs).
 */
#include "vmx/vmx.h"
#include "vmx/vmcs.h"
#include "arch/cpu.h"
#include "arch/cpuid.h"
#include "arch/msr.h"
#include "arch/trapnr.h"
#include "arch/x86.h"
#include "arch/xsave.h"
#include "bug.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/mm_hooks.h"
#include "mm/page_alloc.h"
#include "vm/vm.h"

#define GUEST_DR7_RESET 0x400
#define VMX_MAX_VPID 0xffff
#define PML_ENTRIES 512
#define PML_INDEX_START (PML_ENTRIES - 1)

/* IA32_VMX_EPT_VPID_CAP bits besides those arch/msr.h names */
#define EPT_CAP_INVEPT_SINGLE BIT_ULL(25)
#define EPT_CAP_INVEPT_ALL BIT_ULL(26)
#define VPID_CAP_INVVPID_SINGLE BIT_ULL(41)
#define VPID_CAP_INVVPID_ALL BIT_ULL(42)

/* Exceptions that push an error code (the VM-entry check wants it exact). */
#define EXC_HAS_ERROR_MASK (BIT(DF_VECTOR) | BIT(TS_VECTOR) | BIT(NP_VECTOR) | \
			    BIT(SS_VECTOR) | BIT(GP_VECTOR) | BIT(PF_VECTOR) | BIT(AC_VECTOR))

struct vmx_ctls {
	u32 pin, cpu, sec, exit, entry;
};

struct vmx_cpu {
	bool on;
	u64 cr0_before, cr4_before;
	u64 basic, ept_cap;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u32 revision;
	void *vmxon;
	void *current;		/* the VMCS VMPTRLD made current, or NULL */
	struct vmx_ctls ctls;
	bool vpid, ept_ad, load_efer, load_pat;
	bool pml;		/* "enable PML" allowed, with EPT A/D bits */
	u32 next_vpid;
	struct cpu_caps caps;
	struct desc_ptr gdtr, idtr;	/* VM exits leave 0xffff limits: put back */
};

struct vmx_vm {
	u64 flush_gen;		/* bumped by every TDP flush request */
	struct vcpu *vcpus[TDP_MAX_VCPUS];	/* whose PML logs a harvest drains */
};

struct vmx_vcpu {
	void *vmcs;
	void *msr_bitmap;
	void *io_bitmap[2];	/* the platform VM's: ports 0-0x7fff, 0x8000-0xffff */
	u32 sec;		/* its secondary controls, without "enable PML" */
	u64 cr0_mask, cr4_mask;	/* CR bits the guest cannot change unseen */
	bool launched;
	bool flush_vpid;	/* INVVPID before the next entry */
	u64 eptp;		/* the EPTP of the last entry, 0 before the first */
	u64 flushed_gen;	/* the vmx_vm flush_gen this vCPU's TLB reflects */
	u64 *pml;		/* the page-modification log, when cpu0.pml */
	bool pml_on;		/* "enable PML" is set in the VMCS */
};

static struct vmx_cpu cpu0;

_Static_assert(sizeof(struct vmx_vm) <= PAGE_SIZE && sizeof(struct vmx_vcpu) <= PAGE_SIZE,
	       "per-VM and per-vCPU state fit their pages");

static const char *yn(bool b)
{
	return b ? "yes" : "no";
}

static u64 pa_of(void *p)
{
	return (u64)(uintptr_t)p;	/* the hypervisor runs identity-mapped */
}

/* ---- failures of the VMX instructions ---- */

static const char *const insn_errors[] = {
	[1] = "VMCALL in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

static const char *insn_error_name(u32 err)
{
	if (err < ARRAY_SIZE(insn_errors) && insn_errors[err])
		return insn_errors[err];
	return "unknown error";
}

/* The VM-instruction error of the current VMCS, or 0 when there is none. */
static u32 insn_error(void)
{
	u64 err = 0;

	if (!cpu0.current || __vmread(VM_INSTRUCTION_ERROR, &err))
		return 0;
	return (u32)err;
}

void vmx_insn_failed(const char *insn, u32 field)
{
	u32 err = insn_error();

	if (field == VMCS_NO_FIELD)
		pr_emerg("cpu0: %s failed: VM-instruction error %u (%s)\n", insn, err,
			 err ? insn_error_name(err) : "no current VMCS");
	else
		pr_emerg("cpu0: %s of VMCS field 0x%04x failed: VM-instruction error %u (%s)\n",
			 insn, field, err, err ? insn_error_name(err) : "no current VMCS");
	BUG();
}

/* ---- controls from the capability MSRs ---- */

/*
 * One control field from its capability MSR: the low half lists the bits
 * that must be 1, the high half those that may be 1.  Returns want with the
 * required bits added and the impossible ones dropped; fails (-EOPNOTSUPP,
 * logged) when a bit of need is not allowed.
 */
static int ctl_adjust(const char *who, const char *name, u32 msr, u32 want, u32 need,
		      u32 *out)
{
	u64 cap = rdmsr(msr);
	u32 must = (u32)cap, may = (u32)(cap >> 32);

	if (need & ~may) {
		pr_err("cpu0: VMX: %s%s controls lack required bits 0x%x (allowed 0x%x)\n",
		       who, name, need & ~may, may);
		return -EOPNOTSUPP;
	}
	*out = ((want | need) & may) | must;
	return 0;
}

/*
 * All five control fields for a kind of vCPU (who: "" or "platform "):
 * the bits in need or refused, those in want where the CPU allows, the
 * bits it requires always.  A CPU that insists on acknowledging interrupts
 * on exit is refused: the host would lose the vector.
 */
static int ctls_adjust(const char *who, const struct vmx_ctls *want,
		       const struct vmx_ctls *need, struct vmx_ctls *k)
{
	bool t = cpu0.basic & VMX_BASIC_TRUE_CTLS;
	int err;

	err = ctl_adjust(who, "pin-based", t ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
			 MSR_IA32_VMX_PINBASED_CTLS, want->pin, need->pin, &k->pin);
	if (!err)
		err = ctl_adjust(who, "processor-based", t ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
				 MSR_IA32_VMX_PROCBASED_CTLS, want->cpu, need->cpu, &k->cpu);
	if (!err)
		err = ctl_adjust(who, "secondary", MSR_IA32_VMX_PROCBASED_CTLS2, want->sec,
				 need->sec, &k->sec);
	if (!err)
		err = ctl_adjust(who, "VM-exit", t ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
				 MSR_IA32_VMX_EXIT_CTLS, want->exit, need->exit, &k->exit);
	if (!err)
		err = ctl_adjust(who, "VM-entry", t ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
				 MSR_IA32_VMX_ENTRY_CTLS, want->entry, need->entry, &k->entry);
	if (err)
		return err;
	if (k->exit & EXIT_ACK_INTR_ON_EXIT) {
		pr_err("cpu0: VMX: the CPU insists on acknowledging interrupts on exit\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* The allowed-1 half of a control capability MSR. */
static u32 ctl_may(u32 msr)
{
	return (u32)(rdmsr(msr) >> 32);
}

static int compute_controls(struct vmx_cpu *c)
{
	bool true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
	u32 exit_msr = true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS;
	u32 entry_msr = true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS;
	u32 exit_may = ctl_may(exit_msr), entry_may = ctl_may(entry_msr);
	struct vmx_ctls *k = &c->ctls;
	struct vmx_ctls want = { .sec = SEC_ENABLE_VPID, .entry = ENTRY_LOAD_DEBUG_CONTROLS };
	const struct vmx_ctls need = {
		.pin = PIN_EXT_INTR_EXITING | PIN_NMI_EXITING,
		.cpu = CPU_HLT_EXITING | CPU_UNCOND_IO_EXITING | CPU_USE_MSR_BITMAPS |
		       CPU_SECONDARY_CONTROLS,
		.sec = SEC_ENABLE_EPT,
		.exit = EXIT_HOST_ADDR_SPACE_SIZE,
		.entry = ENTRY_IA32E_MODE,
	};
	int err;

	/* EFER and PAT are switched both ways or not at all: half a switch
	 * would leave the guest's value in the host. */
	if ((exit_may & EXIT_LOAD_IA32_EFER) && (entry_may & ENTRY_LOAD_IA32_EFER)) {
		want.exit |= EXIT_LOAD_IA32_EFER | EXIT_SAVE_IA32_EFER;
		want.entry |= ENTRY_LOAD_IA32_EFER;
	}
	if ((exit_may & EXIT_LOAD_IA32_PAT) && (entry_may & ENTRY_LOAD_IA32_PAT)) {
		want.exit |= EXIT_LOAD_IA32_PAT | EXIT_SAVE_IA32_PAT;
		want.entry |= ENTRY_LOAD_IA32_PAT;
	}
	err = ctls_adjust("", &want, &need, k);
	if (err)
		return err;
	c->load_efer = k->entry & ENTRY_LOAD_IA32_EFER;
	c->load_pat = k->entry & ENTRY_LOAD_IA32_PAT;
	c->vpid = k->sec & SEC_ENABLE_VPID;
	return 0;
}

/* ---- on and off ---- */

/* Locks IA32_FEATURE_CONTROL with VMXON allowed when the firmware did not. */
static int feature_control_setup(void)
{
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

	if (fc & FEATURE_CONTROL_LOCKED) {
		if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
			pr_err("cpu0: VMX: disabled by the firmware (IA32_FEATURE_CONTROL "
			       "locked without VMXON outside SMX); enable virtualization "
			       "in the firmware setup\n");
			return -EPERM;
		}
		return 0;
	}
	wrmsr(MSR_IA32_FEATURE_CONTROL,
	      fc | FEATURE_CONTROL_VMXON_OUTSIDE_SMX | FEATURE_CONTROL_LOCKED);
	pr_info("cpu0: VMX: IA32_FEATURE_CONTROL was unlocked: locked with VMXON "
		"outside SMX allowed (it stays locked until reset)\n");
	return 0;
}

/* Reads the capability MSRs and checks what we cannot do without. */
static int read_caps(struct vmx_cpu *c)
{
	u64 size;

	cpu_caps_read(&c->caps);
	if (!(cpuid(1).ecx & CPUID1_ECX_VMX) || !c->caps.ept) {
		pr_err("cpu0: VMX: not available (VMX %d, EPT %d)\n", c->caps.vmx, c->caps.ept);
		return -ENODEV;
	}
	c->basic = rdmsr(MSR_IA32_VMX_BASIC);
	c->revision = (u32)(c->basic & VMX_BASIC_REVISION_MASK);
	size = (c->basic & VMX_BASIC_SIZE_MASK) >> VMX_BASIC_SIZE_SHIFT;
	if (size > PAGE_SIZE ||
	    ((c->basic & VMX_BASIC_MEMTYPE_MASK) >> VMX_BASIC_MEMTYPE_SHIFT) !=
	    VMX_BASIC_MEMTYPE_WB) {
		pr_err("cpu0: VMX: unsupported VMCS (%llu bytes, IA32_VMX_BASIC 0x%llx)\n",
		       (unsigned long long)size, (unsigned long long)c->basic);
		return -EOPNOTSUPP;
	}
	c->ept_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	if (!(c->ept_cap & VMX_EPT_CAP_PWL4) || !(c->ept_cap & VMX_EPT_CAP_WB) ||
	    !(c->ept_cap & VMX_EPT_CAP_INVEPT) ||
	    !(c->ept_cap & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL))) {
		pr_err("cpu0: VMX: EPT lacks 4-level walks, WB or INVEPT (cap 0x%llx)\n",
		       (unsigned long long)c->ept_cap);
		return -EOPNOTSUPP;
	}
	c->ept_ad = c->ept_cap & VMX_EPT_CAP_AD;
	c->pml = c->ept_ad && c->caps.pml &&
		 (ctl_may(MSR_IA32_VMX_PROCBASED_CTLS2) & SEC_ENABLE_PML);
	c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	return compute_controls(c);
}

/* A zeroed page that starts with the VMCS revision id (VMXON region, VMCS). */
static void *alloc_vmcs_page(void)
{
	u32 *p = alloc_zeroed_page();

	if (!p)
		return NULL;
	if ((cpu0.basic & VMX_BASIC_32BIT_PA) && pa_of(p) >> 32) {
		free_page(p);
		return NULL;
	}
	*p = cpu0.revision;
	return p;
}

static void print_on(const struct vmx_cpu *c)
{
	const struct vmx_ctls *k = &c->ctls;

	pr_info("cpu0: VMX on: EPT 4 levels, VPID %s, A/D %s, 1G pages %s, PML %s\n",
		yn(c->vpid), yn(c->ept_ad), yn(c->caps.ept_1g), yn(c->pml));
	pr_info("cpu0: VMX: VMCS revision 0x%x, %s capability MSRs\n", c->revision,
		(c->basic & VMX_BASIC_TRUE_CTLS) ? "TRUE_*" : "plain");
	pr_info("cpu0: VMX controls: pin 0x%08x, cpu 0x%08x, secondary 0x%08x\n",
		k->pin, k->cpu, k->sec);
	pr_info("cpu0: VMX controls: exit 0x%08x, entry 0x%08x (EFER switch %s, PAT switch %s)\n",
		k->exit, k->entry, yn(c->load_efer), yn(c->load_pat));
}

static int vmx_enable(void)
{
	struct vmx_cpu *c = &cpu0;
	u64 cr0, cr4;
	int err;

	memset(c, 0, sizeof(*c));
	err = read_caps(c);
	if (err)
		return err;
	c->cr0_before = read_cr0();
	c->cr4_before = read_cr4();
	if (c->cr4_before & X86_CR4_VMXE) {
		pr_err("cpu0: VMX: CR4.VMXE already set: another hypervisor owns VMX\n");
		return -EBUSY;
	}
	err = feature_control_setup();
	if (err)
		return err;
	c->vmxon = alloc_vmcs_page();
	if (!c->vmxon)
		return -ENOMEM;
	cr0 = (c->cr0_before | c->cr0_fixed0) & c->cr0_fixed1;
	cr4 = (c->cr4_before | c->cr4_fixed0 | X86_CR4_VMXE) & c->cr4_fixed1;
	if (cr0 != c->cr0_before)
		write_cr0(cr0);
	write_cr4(cr4);
	if (__vmxon(pa_of(c->vmxon))) {
		write_cr4(c->cr4_before);
		write_cr0(c->cr0_before);
		free_page(c->vmxon);
		pr_err("cpu0: VMX: VMXON failed\n");
		return -EIO;
	}
	c->on = true;
	c->next_vpid = 1;
	if (cr0 != c->cr0_before)
		pr_info("cpu0: VMX: CR0 0x%llx -> 0x%llx for the fixed bits\n",
			(unsigned long long)c->cr0_before, (unsigned long long)cr0);
	print_on(c);
	return 0;
}

static void vmx_disable(void)
{
	struct vmx_cpu *c = &cpu0;

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
	pr_info("cpu0: VMX off, CR0 0x%llx and CR4 0x%llx restored\n",
		(unsigned long long)c->cr0_before, (unsigned long long)c->cr4_before);
	pr_info("cpu0: VMX: IA32_FEATURE_CONTROL stays locked (only a reset unlocks it)\n");
}

/* ---- TLB ---- */

static void invept_single(u64 eptp)
{
	struct invept_desc d = { .eptp = eptp };
	u64 type = (cpu0.ept_cap & EPT_CAP_INVEPT_SINGLE) ? INVEPT_SINGLE_CONTEXT :
		   INVEPT_ALL_CONTEXT;

	if (__invept(type, &d))
		vmx_insn_failed("invept", VMCS_NO_FIELD);
}

static void invvpid_single(u16 vpid)
{
	struct invvpid_desc d = { .vpid = vpid };
	u64 type = (cpu0.ept_cap & VPID_CAP_INVVPID_SINGLE) ? INVVPID_SINGLE_CONTEXT :
		   INVVPID_ALL_CONTEXT;

	if (__invvpid(type, &d))
		vmx_insn_failed("invvpid", VMCS_NO_FIELD);
}

/* The TDP MMU's flush: every vCPU of the VM runs INVEPT on its EPTP before
 * its next entry.  Test vCPUs run only on the CPU that asks, between their
 * entries, and EPT translations are used only in VMX non-root operation,
 * so no guest can use a stale translation. */
static void vmx_flush_tlbs(struct tdp_mmu *mmu)
{
	struct vmx_vm *x = ((struct vm *)mmu->priv)->arch;

	x->flush_gen++;
}

/* ---- PML ---- */

static void vmcs_load(struct vmx_vcpu *s);

/*
 * Moves the GPAs in s's log into the PML-mode slots' bitmaps and empties
 * the log.  s's VMCS must be current; the caller is on the MMU's read side.
 * The CPU writes entry INDEX, then decrements INDEX (wrapping to 0xffff
 * after entry 0), so the valid entries are INDEX+1 .. 511.
 */
static void pml_drain(struct tdp_mmu *mmu, struct vmx_vcpu *s)
{
	u16 idx = vmcs_read16(GUEST_PML_INDEX);
	unsigned int i = idx >= PML_ENTRIES ? 0 : idx + 1u;

	for (; i < PML_ENTRIES; i++)
		tdp_dirty_log_mark(mmu, gpa_to_gfn(s->pml[i]));
	vmcs_write16(GUEST_PML_INDEX, PML_INDEX_START);
}

/* The harvest's hook: drains every vCPU's log (they are not running). */
static void vmx_flush_pml(struct tdp_mmu *mmu)
{
	struct vmx_vm *x = ((struct vm *)mmu->priv)->arch;
	unsigned int i;

	for (i = 0; i < TDP_MAX_VCPUS; i++) {
		struct vmx_vcpu *s = x->vcpus[i] ? x->vcpus[i]->arch : NULL;

		if (s && s->pml_on) {
			vmcs_load(s);
			pml_drain(mmu, s);
		}
	}
}

/*
 * Sets "enable PML" exactly while the VM has a PML-mode logging slot; a
 * log turned on starts empty.  s's VMCS is current.
 */
static void pml_update(struct vcpu *v, struct vmx_vcpu *s)
{
	bool want = s->pml && tdp_mmu_wants_pml(&v->vm->mmu);

	if (want == s->pml_on)
		return;
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, s->sec | (want ? SEC_ENABLE_PML : 0));
	if (want)
		vmcs_write16(GUEST_PML_INDEX, PML_INDEX_START);
	s->pml_on = want;
}

/* A "page-modification log full" exit: drain, and let the write retry. */
static void pml_full(struct vcpu *v)
{
	tdp_vcpu_read_lock(&v->tdp);
	pml_drain(&v->vm->mmu, v->arch);
	tdp_vcpu_read_unlock(&v->tdp);
}

static const struct tdp_mmu_ops vmx_mmu_ops = { .flush_tlbs = vmx_flush_tlbs };
static const struct tdp_mmu_ops vmx_mmu_ops_pml = {
	.flush_tlbs = vmx_flush_tlbs, .flush_dirty_logs = vmx_flush_pml,
};

/* ---- VMs and vCPUs ---- */

static int vmx_vm_init(struct vm *vm)
{
	struct vmx_vm *x = alloc_zeroed_page();
	int err;

	if (!x)
		return -ENOMEM;
	err = tdp_mmu_init(&vm->mmu, cpu0.ept_ad ? &spte_fmt_ept : &spte_fmt_ept_noad, 4,
			   cpu0.pml ? &vmx_mmu_ops_pml : &vmx_mmu_ops, vm);
	if (err) {
		free_page(x);
		return err;
	}
	/* The page sizes this EPT can map (a 1G leaf elsewhere is a misconfiguration). */
	vm->policy.max_level = cpu0.caps.ept_1g ? TDP_LEVEL_1G :
			       cpu0.caps.ept_2m ? TDP_LEVEL_2M : TDP_LEVEL_4K;
	if (cpu0.vpid) {
		if (cpu0.next_vpid > VMX_MAX_VPID)
			cpu0.next_vpid = 1;	/* reuse: INVVPID before the first entry */
		vm->asid = cpu0.next_vpid++;
	}
	vm->arch = x;
	return 0;
}

static void vmx_vm_destroy(struct vm *vm)
{
	free_page(vm->arch);
	vm->arch = NULL;
}

/* Makes s's VMCS the current one. */
static void vmcs_load(struct vmx_vcpu *s)
{
	if (cpu0.current == s->vmcs)
		return;
	if (__vmptrld(pa_of(s->vmcs)))
		vmx_insn_failed("vmptrld", VMCS_NO_FIELD);
	cpu0.current = s->vmcs;
}

/* The base of the TSS that the GDT descriptor of selector tr describes. */
static u64 tss_base(const struct desc_ptr *gdtr, u16 tr)
{
	const u8 *d = (const u8 *)(uintptr_t)gdtr->base + (tr & ~7u);
	u64 lo, hi;

	memcpy(&lo, d, 8);
	memcpy(&hi, d + 8, 8);
	return ((lo >> 16) & 0xffffff) | (((lo >> 56) & 0xff) << 24) | ((hi & 0xffffffff) << 32);
}

/* The host state a VM exit loads: this CPU as it is now. */
static void set_host_state(void)
{
	u16 sel[6], tr = str();

	BUG_ON(!tr);	/* arch/desc.c loads our own TSS before VMX is on */
	vmx_host_selectors(sel);
	sgdt(&cpu0.gdtr);
	sidt(&cpu0.idtr);
	vmcs_writel(HOST_CR0, read_cr0());
	vmcs_writel(HOST_CR3, read_cr3());
	vmcs_writel(HOST_CR4, read_cr4());
	vmcs_write16(HOST_ES_SELECTOR, sel[0]);
	vmcs_write16(HOST_CS_SELECTOR, sel[1]);
	vmcs_write16(HOST_SS_SELECTOR, sel[2]);
	vmcs_write16(HOST_DS_SELECTOR, sel[3]);
	vmcs_write16(HOST_FS_SELECTOR, sel[4]);
	vmcs_write16(HOST_GS_SELECTOR, sel[5]);
	vmcs_write16(HOST_TR_SELECTOR, tr);
	vmcs_writel(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmcs_writel(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmcs_writel(HOST_TR_BASE, tss_base(&cpu0.gdtr, tr));
	vmcs_writel(HOST_GDTR_BASE, cpu0.gdtr.base);
	vmcs_writel(HOST_IDTR_BASE, cpu0.idtr.base);
	vmcs_write32(HOST_IA32_SYSENTER_CS, (u32)rdmsr(MSR_IA32_SYSENTER_CS));
	vmcs_writel(HOST_IA32_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
	vmcs_writel(HOST_IA32_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
	if (cpu0.ctls.exit & EXIT_LOAD_IA32_EFER)
		vmcs_write64(HOST_IA32_EFER, rdmsr(MSR_EFER));
	if (cpu0.ctls.exit & EXIT_LOAD_IA32_PAT)
		vmcs_write64(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_writel(HOST_RIP, (u64)(uintptr_t)vmx_vmexit);
	/* HOST_RSP: vmx_enter() writes it right before each entry. */
}

static void set_controls(struct vmx_vcpu *s, u16 vpid, const struct vmx_ctls *k)
{
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, k->pin);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, k->cpu);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, k->sec);
	vmcs_write32(VM_EXIT_CONTROLS, k->exit);
	vmcs_write32(VM_ENTRY_CONTROLS, k->entry);
	vmcs_write32(EXCEPTION_BITMAP, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO, 0);
	vmcs_write64(MSR_BITMAP, pa_of(s->msr_bitmap));
	if (cpu0.vpid)
		vmcs_write16(VIRTUAL_PROCESSOR_ID, vpid);
	/* The bits the guest may not change: a write that would, exits. */
	s->sec = k->sec;
	vmcs_writel(CR0_GUEST_HOST_MASK, s->cr0_mask);
	vmcs_writel(CR4_GUEST_HOST_MASK, s->cr4_mask);
}

static void set_seg(enum vmcs_field sel, u16 s, u32 ar, u32 limit, u64 base)
{
	u32 i = (sel - GUEST_ES_SELECTOR) / 2;

	vmcs_write16(sel, s);
	vmcs_write32(GUEST_ES_AR_BYTES + 2 * i, ar);
	vmcs_write32(GUEST_ES_LIMIT + 2 * i, limit);
	vmcs_writel(GUEST_ES_BASE + 2 * i, base);
}

/* 64-bit long mode at CPL 0, as struct vcpu_boot says. */
static void set_long_mode_state(const struct vcpu_boot *b)
{
	const u32 code = 0xb | VMX_AR_S | VMX_AR_P | VMX_AR_L | VMX_AR_G;
	const u32 data = 0x3 | VMX_AR_S | VMX_AR_P | VMX_AR_DB | VMX_AR_G;
	u64 cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	u64 cr4 = X86_CR4_PAE;

	set_seg(GUEST_CS_SELECTOR, b->cs, code, 0xffffffff, 0);
	set_seg(GUEST_DS_SELECTOR, b->ds, data, 0xffffffff, 0);
	set_seg(GUEST_ES_SELECTOR, b->ds, data, 0xffffffff, 0);
	set_seg(GUEST_SS_SELECTOR, b->ds, data, 0xffffffff, 0);
	set_seg(GUEST_FS_SELECTOR, b->ds, data, 0xffffffff, 0);
	set_seg(GUEST_GS_SELECTOR, b->ds, data, 0xffffffff, 0);
	set_seg(GUEST_TR_SELECTOR, b->tr, 0xb | VMX_AR_P, b->tr_limit, b->tr_base);
	set_seg(GUEST_LDTR_SELECTOR, 0, VMX_AR_UNUSABLE, 0, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, b->gdt_limit);
	vmcs_writel(GUEST_GDTR_BASE, b->gdt_base);
	vmcs_write32(GUEST_IDTR_LIMIT, b->idt_limit);
	vmcs_writel(GUEST_IDTR_BASE, b->idt_base);
	/* The guest reads what it asked for; the fixed bits are forced under it. */
	vmcs_writel(CR0_READ_SHADOW, cr0);
	vmcs_writel(CR4_READ_SHADOW, cr4);
	vmcs_writel(GUEST_CR0, (cr0 | cpu0.cr0_fixed0) & cpu0.cr0_fixed1);
	vmcs_writel(GUEST_CR4, (cr4 | cpu0.cr4_fixed0) & cpu0.cr4_fixed1);
	vmcs_writel(GUEST_CR3, b->cr3);
	if (cpu0.load_efer)
		vmcs_write64(GUEST_IA32_EFER, EFER_LME | EFER_LMA | EFER_NXE);
	if (cpu0.load_pat)
		vmcs_write64(GUEST_IA32_PAT, PAT_RESET_VALUE);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_writel(GUEST_DR7, GUEST_DR7_RESET);
	/*
	 * IF=1: every external interrupt exits anyway (pin-based control), so
	 * the guest never sees one; but Bochs 2.7 only takes that exit while
	 * the guest's IF is set, and the firmware's timer would starve.
	 */
	vmcs_writel(GUEST_RFLAGS, 0x2 | X86_RFLAGS_IF);
	vmcs_writel(GUEST_RIP, b->rip);
	vmcs_writel(GUEST_RSP, b->rsp);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writel(GUEST_SYSENTER_ESP, 0);
	vmcs_writel(GUEST_SYSENTER_EIP, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
}

static void free_vcpu_pages(struct vmx_vcpu *s)
{
	free_page(s->vmcs);
	free_page(s->msr_bitmap);
	if (s->io_bitmap[0])
		free_page(s->io_bitmap[0]);
	if (s->io_bitmap[1])
		free_page(s->io_bitmap[1]);
	if (s->pml)
		free_page(s->pml);
	free_page(s);
}

static int vmx_vcpu_init(struct vcpu *v, const struct vcpu_boot *b)
{
	struct vmx_vcpu *s = alloc_zeroed_page();

	if (!s)
		return -ENOMEM;
	s->vmcs = alloc_vmcs_page();
	s->msr_bitmap = alloc_page();
	s->pml = cpu0.pml ? alloc_zeroed_page() : NULL;
	if (!s->vmcs || !s->msr_bitmap || (cpu0.pml && !s->pml) ||
	    v->id >= TDP_MAX_VCPUS) {
		free_vcpu_pages(s);
		return -ENOMEM;
	}
	/* Test VMs reach no host MSR: intercept every read and write. */
	memset(s->msr_bitmap, 0xff, PAGE_SIZE);
	if (__vmclear(pa_of(s->vmcs)))
		vmx_insn_failed("vmclear", VMCS_NO_FIELD);
	vmcs_load(s);
	s->cr0_mask = cpu0.cr0_fixed0 | ~cpu0.cr0_fixed1;
	s->cr4_mask = cpu0.cr4_fixed0 | ~cpu0.cr4_fixed1;
	set_controls(s, (u16)v->vm->asid, &cpu0.ctls);
	set_host_state();
	set_long_mode_state(b);
	s->flush_vpid = cpu0.vpid;	/* the VPID may have been another VM's */
	s->flushed_gen = ~0ULL;
	if (s->pml)
		vmcs_write64(PML_ADDRESS, pa_of(s->pml));
	v->arch = s;
	((struct vmx_vm *)v->vm->arch)->vcpus[v->id] = v;
	return 0;
}

/* ---- the platform VM: the CPU's own state as a guest ---- */

/*
 * The platform VM's controls: interrupts, NMIs, HLT, I/O and MSRs pass
 * through (bitmaps name the exceptions), instructions the OS may use are
 * enabled where the CPU lets us (CPUID hides the rest), and EFER, PAT and
 * the debug controls are switched both ways.
 */
static int platform_controls(struct vmx_ctls *k)
{
	const struct vmx_ctls want = {
		.sec = SEC_ENABLE_VPID | SEC_UNRESTRICTED_GUEST | SEC_ENABLE_RDTSCP |
		       SEC_ENABLE_INVPCID | SEC_ENABLE_XSAVES | SEC_ENABLE_USER_WAIT_PAUSE,
	};
	const struct vmx_ctls need = {
		.cpu = CPU_USE_IO_BITMAPS | CPU_USE_MSR_BITMAPS | CPU_SECONDARY_CONTROLS,
		.sec = SEC_ENABLE_EPT,
		.exit = EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_DEBUG_CONTROLS |
			EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER |
			EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT,
		.entry = ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT,
	};
	int err = ctls_adjust("platform ", &want, &need, k);

	if (!err && !cpu0.vpid)
		k->sec &= ~SEC_ENABLE_VPID;
	return err;
}

static void msr_bitmap_intercept(u8 *bm, u32 msr, bool read, bool write)
{
	u32 half;

	if (msr <= 0x1fff)
		half = 0;
	else if (msr - 0xc0000000u <= 0x1fff)
		half = 1024;
	else
		return;		/* outside both ranges: always exits */
	if (read)
		bm[half + (msr & 0x1fff) / 8] |= (u8)(1 << (msr & 7));
	if (write)
		bm[2048 + half + (msr & 0x1fff) / 8] |= (u8)(1 << (msr & 7));
}

/* The VMX form of the descriptor sel in the GDT at gdt (null: unusable). */
static void seg_from_gdt(enum vmcs_field f, u16 sel, const u8 *gdt)
{
	struct seg_desc s;

	if (!(sel & ~3)) {
		set_seg(f, sel, VMX_AR_UNUSABLE, 0, 0);
		return;
	}
	s = gdt_seg_desc(gdt, sel);
	/* Loaded, so accessed: the CPU set the bit in the firmware's copy. */
	set_seg(f, sel, s.access | ((u32)s.flags << 12) | 1, s.limit, s.base);
}

/* The live CPU as the guest: the firmware's segments, CRs, MSRs and stack. */
static void platform_guest_state(struct vmx_vcpu *s, const struct platform_capture *cap)
{
	struct desc_ptr gdtr;
	const u8 *gdt;
	u64 cr0 = read_cr0(), cr4 = read_cr4(), efer = rdmsr(MSR_EFER);

	sgdt(&gdtr);	/* ours: the firmware's descriptors at their selectors */
	gdt = (const u8 *)(uintptr_t)gdtr.base;
	seg_from_gdt(GUEST_CS_SELECTOR, read_cs(), gdt);
	seg_from_gdt(GUEST_SS_SELECTOR, read_ss(), gdt);
	seg_from_gdt(GUEST_DS_SELECTOR, read_ds(), gdt);
	seg_from_gdt(GUEST_ES_SELECTOR, read_es(), gdt);
	seg_from_gdt(GUEST_FS_SELECTOR, read_fs(), gdt);
	seg_from_gdt(GUEST_GS_SELECTOR, read_gs(), gdt);
	vmcs_writel(GUEST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmcs_writel(GUEST_GS_BASE, rdmsr(MSR_GS_BASE));
	/* The firmware ran with TR = 0: a minimal busy TSS, as SVM gets. */
	set_seg(GUEST_TR_SELECTOR, 0, 0xb | VMX_AR_P, 0x67, 0);
	set_seg(GUEST_LDTR_SELECTOR, 0, VMX_AR_UNUSABLE, 0, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, cap->gdt_limit);
	vmcs_writel(GUEST_GDTR_BASE, cap->gdt_base);
	vmcs_write32(GUEST_IDTR_LIMIT, cap->idt_limit);
	vmcs_writel(GUEST_IDTR_BASE, cap->idt_base);
	/* CR4.VMXE (and any CR0 bit VMXON forced) is ours: the guest reads its own. */
	vmcs_writel(GUEST_CR0, cr0);
	vmcs_writel(GUEST_CR4, cr4);
	vmcs_writel(CR0_READ_SHADOW, (cr0 & ~s->cr0_mask) | (cpu0.cr0_before & s->cr0_mask));
	vmcs_writel(CR4_READ_SHADOW, (cr4 & ~s->cr4_mask) | (cpu0.cr4_before & s->cr4_mask));
	vmcs_writel(GUEST_CR3, read_cr3());
	vmcs_write64(GUEST_IA32_EFER, efer);
	vmcs_write64(GUEST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_write64(GUEST_IA32_DEBUGCTL, rdmsr(MSR_IA32_DEBUGCTL));
	vmcs_writel(GUEST_DR7, GUEST_DR7_RESET);
	vmcs_write32(GUEST_SYSENTER_CS, (u32)rdmsr(MSR_IA32_SYSENTER_CS));
	vmcs_writel(GUEST_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
	vmcs_writel(GUEST_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
	if (efer & EFER_LMA)
		vmcs_write32(VM_ENTRY_CONTROLS, vmcs_read32(VM_ENTRY_CONTROLS) | ENTRY_IA32E_MODE);
	vmcs_writel(GUEST_RFLAGS, cap->rflags | 0x2);
	vmcs_writel(GUEST_RIP, cap->rip);
	vmcs_writel(GUEST_RSP, cap->rsp);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
}

/*
 * The firmware (and the OS after it) as a guest.  Exits: CPUID, the VMX
 * instructions, XSETBV, INVD, triple fault (all unconditional), EPT
 * faults, the ports in cap, IA32_FEATURE_CONTROL and the VMX capability
 * MSRs (a CPU without VMX shows neither), and writes to CR bits VMX fixes.
 */
static int vmx_vcpu_init_platform(struct vcpu *v, const struct platform_capture *cap)
{
	struct vmx_vcpu *s = alloc_zeroed_page();
	struct vmx_ctls k;
	unsigned int i;
	u32 msr;
	int err;

	if (!s)
		return -ENOMEM;
	err = platform_controls(&k);
	s->vmcs = alloc_vmcs_page();
	s->msr_bitmap = alloc_zeroed_page();
	s->io_bitmap[0] = alloc_zeroed_page();
	s->io_bitmap[1] = alloc_zeroed_page();
	s->pml = cpu0.pml ? alloc_zeroed_page() : NULL;
	if (err || !s->vmcs || !s->msr_bitmap || !s->io_bitmap[0] || !s->io_bitmap[1] ||
	    (cpu0.pml && !s->pml) || v->id >= TDP_MAX_VCPUS) {
		free_vcpu_pages(s);
		return err ? err : -ENOMEM;
	}
	for (i = 0; i < cap->nio; i++) {	/* any access touching the byte exits */
		u16 port = cap->io_ports[i];

		((u8 *)s->io_bitmap[port >> 15])[(port & 0x7fff) / 8] |= (u8)(1 << (port % 8));
	}
	msr_bitmap_intercept(s->msr_bitmap, MSR_IA32_FEATURE_CONTROL, true, true);
	for (msr = MSR_IA32_VMX_BASIC; msr <= MSR_IA32_VMX_LAST; msr++)
		msr_bitmap_intercept(s->msr_bitmap, msr, true, true);
	for (i = 0; i < cap->nmsr_writes; i++)
		msr_bitmap_intercept(s->msr_bitmap, cap->msr_writes[i], false, true);
	/* With "unrestricted guest" the guest may leave paging and protected mode. */
	s->cr0_mask = (cpu0.cr0_fixed0 | ~cpu0.cr0_fixed1) &
		      ~((k.sec & SEC_UNRESTRICTED_GUEST) ? X86_CR0_PE | X86_CR0_PG : 0);
	s->cr4_mask = cpu0.cr4_fixed0 | ~cpu0.cr4_fixed1;
	if (__vmclear(pa_of(s->vmcs)))
		vmx_insn_failed("vmclear", VMCS_NO_FIELD);
	vmcs_load(s);
	set_controls(s, (u16)v->vm->asid, &k);
	vmcs_write64(IO_BITMAP_A, pa_of(s->io_bitmap[0]));
	vmcs_write64(IO_BITMAP_B, pa_of(s->io_bitmap[1]));
	set_host_state();
	platform_guest_state(s, cap);
	s->flush_vpid = cpu0.vpid;
	s->flushed_gen = ~0ULL;
	if (s->pml)
		vmcs_write64(PML_ADDRESS, pa_of(s->pml));
	v->arch = s;
	((struct vmx_vm *)v->vm->arch)->vcpus[v->id] = v;
	pr_info("cpu0: VMX platform controls: pin 0x%08x cpu 0x%08x secondary 0x%08x "
		"exit 0x%08x entry 0x%08x\n", k.pin, k.cpu, k.sec, k.exit, k.entry);
	if (!(k.sec & SEC_UNRESTRICTED_GUEST))
		pr_warn("cpu0: VMX: no unrestricted guest: the platform VM must stay in "
			"paged protected mode\n");
	return 0;
}

/* IA32_FEATURE_CONTROL without the VMX enables; no VMX capability MSRs. */
static int vmx_platform_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	if (msr == MSR_IA32_FEATURE_CONTROL) {
		if (write)	/* it is locked: hardware refuses writes too */
			return -EPERM;
		*val = rdmsr(msr) & ~(FEATURE_CONTROL_VMXON_IN_SMX |
				      FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
		return 0;
	}
	if (msr >= MSR_IA32_VMX_BASIC && msr <= MSR_IA32_VMX_LAST)
		return -EPERM;
	/* outside the bitmap's ranges: passed on */
	if (write)
		return wrmsr_safe(msr, *val) ? 0 : -EPERM;
	return rdmsr_safe(msr, val) ? 0 : -EPERM;
}

/*
 * MOV to CR0: checked as the CPU would, the VMX-fixed bits forced
 * underneath, the guest's own value in the read shadow.  Turning paging on
 * or off with EFER.LME set moves EFER.LMA and the "IA-32e mode guest"
 * control with it.
 */
static int platform_set_cr0(struct vmx_vcpu *s, u64 val)
{
	u64 old = vmcs_readl(CR0_READ_SHADOW), efer = vmcs_read64(GUEST_IA32_EFER);
	u32 entry = vmcs_read32(VM_ENTRY_CONTROLS);
	u64 fixed0 = cpu0.cr0_fixed0 & s->cr0_mask;	/* PE/PG free with unrestricted guest */

	if ((val >> 32) || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
	    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)))
		return -EPERM;
	if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) && (efer & EFER_LME) &&
	    !(vmcs_readl(CR4_READ_SHADOW) & X86_CR4_PAE))
		return -EPERM;
	if (!(val & X86_CR0_PG) && (efer & EFER_LMA) &&
	    (vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L))
		return -EPERM;	/* leaving paging from 64-bit code */
	if (!(s->sec & SEC_UNRESTRICTED_GUEST) && (~val & (X86_CR0_PE | X86_CR0_PG)))
		return -EOPNOTSUPP;	/* the VM-entry checks would refuse it */
	if ((val ^ old) & X86_CR0_PG && (efer & EFER_LME)) {
		if (val & X86_CR0_PG) {
			efer |= EFER_LMA;
			entry |= ENTRY_IA32E_MODE;
		} else {
			efer &= ~EFER_LMA;
			entry &= ~ENTRY_IA32E_MODE;
		}
		vmcs_write64(GUEST_IA32_EFER, efer);
		vmcs_write32(VM_ENTRY_CONTROLS, entry);
	}
	vmcs_writel(GUEST_CR0, (val | fixed0) & cpu0.cr0_fixed1);
	vmcs_writel(CR0_READ_SHADOW, val);
	s->flush_vpid = cpu0.vpid;	/* as the CPU flushes on a paging change */
	return 0;
}

/* MOV to CR4: VMXE and bits this CPU lacks #GP, as without VMX. */
static int platform_set_cr4(struct vmx_vcpu *s, u64 val)
{
	u64 efer = vmcs_read64(GUEST_IA32_EFER);

	if ((val & X86_CR4_VMXE) || (val & ~(cpu0.cr4_fixed1 & ~X86_CR4_VMXE)))
		return -EPERM;
	if ((efer & EFER_LMA) && !(val & X86_CR4_PAE))
		return -EPERM;
	vmcs_writel(GUEST_CR4, (val | cpu0.cr4_fixed0) & cpu0.cr4_fixed1);
	vmcs_writel(CR4_READ_SHADOW, val);
	s->flush_vpid = cpu0.vpid;
	return 0;
}

static int vmx_cr_access(struct vcpu *v, const struct vm_exit *e)
{
	struct vmx_vcpu *s = v->arch;
	u64 q = e->hw_info1, val;
	unsigned int cr = q & CR_QUAL_CR_MASK, reg = (q >> CR_QUAL_GPR_SHIFT) & CR_QUAL_GPR_MASK;
	int r;

	vmcs_load(s);
	switch ((q >> CR_QUAL_TYPE_SHIFT) & CR_QUAL_TYPE_MASK) {
	case CR_QUAL_MOV_TO_CR:
		val = v->gpr[reg];
		if (cr == 0)
			r = platform_set_cr0(s, val);
		else if (cr == 4)
			r = platform_set_cr4(s, val);
		else if (cr == 3) {	/* CR3-load exiting the CPU insists on */
			vmcs_writel(GUEST_CR3, val & ~BIT_ULL(63));
			s->flush_vpid = cpu0.vpid && !(val & BIT_ULL(63));
			r = 0;
		} else
			r = -EOPNOTSUPP;
		break;
	case CR_QUAL_MOV_FROM_CR:
		if (cr != 3)
			return -EOPNOTSUPP;
		v->gpr[reg] = vmcs_readl(GUEST_CR3);
		return 0;
	case CR_QUAL_CLTS:
		r = platform_set_cr0(s, vmcs_readl(CR0_READ_SHADOW) & ~X86_CR0_TS);
		break;
	default:	/* LMSW: bits 3:0 only, and it cannot clear PE */
		val = vmcs_readl(CR0_READ_SHADOW);
		r = platform_set_cr0(s, (val & ~0xeULL) | ((q >> CR_QUAL_LMSW_SRC_SHIFT) & 0xf));
		break;
	}
	if (r == -EOPNOTSUPP)
		vm_kill(v->vm, "CR%u access 0x%llx at RIP 0x%llx: the CPU cannot run it as a guest",
			cr, (unsigned long long)q, (unsigned long long)vmcs_readl(GUEST_RIP));
	return r;
}

/* Instructions that #UD without their "enable" control are not offered. */
static void vmx_cpuid_fixup(struct vcpu *v, u32 leaf, u32 sub, struct cpuid_regs *r)
{
	u32 sec = ((struct vmx_vcpu *)v->arch)->sec;

	if (leaf == 7 && sub == 0) {
		if (!(sec & SEC_ENABLE_INVPCID))
			r->ebx &= ~BIT(10);
		if (!(sec & SEC_ENABLE_USER_WAIT_PAUSE))
			r->ecx &= ~BIT(5);	/* WAITPKG */
		if (!(sec & SEC_ENABLE_RDTSCP))
			r->ecx &= ~BIT(22);	/* RDPID */
	} else if (leaf == CPUID_XSAVE && sub == 1 && !(sec & SEC_ENABLE_XSAVES)) {
		r->eax &= ~BIT(3);
	} else if (leaf == CPUID_EXT_FEATURES && !(sec & SEC_ENABLE_RDTSCP)) {
		r->edx &= ~BIT(27);
	}
}

static void vmx_vcpu_destroy(struct vcpu *v)
{
	struct vmx_vcpu *s = v->arch;

	if (!s)
		return;
	if (__vmclear(pa_of(s->vmcs)))
		vmx_insn_failed("vmclear", VMCS_NO_FIELD);
	if (cpu0.current == s->vmcs)
		cpu0.current = NULL;
	((struct vmx_vm *)v->vm->arch)->vcpus[v->id] = NULL;
	free_vcpu_pages(s);
	v->arch = NULL;
}

/* ---- VM-entry failures ---- */

static void dump_seg(const char *name, enum vmcs_field sel)
{
	u32 i = (sel - GUEST_ES_SELECTOR) / 2;

	pr_err("  %-4s sel 0x%04x base 0x%016llx limit 0x%08x ar 0x%05x\n", name,
	       vmcs_read16(sel), (unsigned long long)vmcs_readl(GUEST_ES_BASE + 2 * i),
	       vmcs_read32(GUEST_ES_LIMIT + 2 * i), vmcs_read32(GUEST_ES_AR_BYTES + 2 * i));
}

/* Logs the guest-state fields that the VM-entry checks look at. */
static void dump_guest_state(void)
{
	pr_err("  CR0 0x%llx CR3 0x%llx CR4 0x%llx\n", (unsigned long long)vmcs_readl(GUEST_CR0),
	       (unsigned long long)vmcs_readl(GUEST_CR3), (unsigned long long)vmcs_readl(GUEST_CR4));
	pr_err("  RIP 0x%llx RSP 0x%llx RFLAGS 0x%llx DR7 0x%llx\n",
	       (unsigned long long)vmcs_readl(GUEST_RIP), (unsigned long long)vmcs_readl(GUEST_RSP),
	       (unsigned long long)vmcs_readl(GUEST_RFLAGS), (unsigned long long)vmcs_readl(GUEST_DR7));
	if (cpu0.load_efer)
		pr_err("  EFER 0x%llx\n", (unsigned long long)vmcs_read64(GUEST_IA32_EFER));
	dump_seg("CS", GUEST_CS_SELECTOR);
	dump_seg("SS", GUEST_SS_SELECTOR);
	dump_seg("DS", GUEST_DS_SELECTOR);
	dump_seg("ES", GUEST_ES_SELECTOR);
	dump_seg("FS", GUEST_FS_SELECTOR);
	dump_seg("GS", GUEST_GS_SELECTOR);
	dump_seg("TR", GUEST_TR_SELECTOR);
	dump_seg("LDTR", GUEST_LDTR_SELECTOR);
	pr_err("  GDTR 0x%llx/0x%x IDTR 0x%llx/0x%x\n",
	       (unsigned long long)vmcs_readl(GUEST_GDTR_BASE), vmcs_read32(GUEST_GDTR_LIMIT),
	       (unsigned long long)vmcs_readl(GUEST_IDTR_BASE), vmcs_read32(GUEST_IDTR_LIMIT));
	pr_err("  interruptibility 0x%x activity %u entry-intr 0x%x link 0x%llx\n",
	       vmcs_read32(GUEST_INTERRUPTIBILITY_INFO), vmcs_read32(GUEST_ACTIVITY_STATE),
	       vmcs_read32(VM_ENTRY_INTR_INFO), (unsigned long long)vmcs_read64(VMCS_LINK_POINTER));
	pr_err("  controls: pin 0x%x cpu 0x%x secondary 0x%x exit 0x%x entry 0x%x EPTP 0x%llx\n",
	       vmcs_read32(PIN_BASED_VM_EXEC_CONTROL), vmcs_read32(CPU_BASED_VM_EXEC_CONTROL),
	       vmcs_read32(SECONDARY_VM_EXEC_CONTROL), vmcs_read32(VM_EXIT_CONTROLS),
	       vmcs_read32(VM_ENTRY_CONTROLS), (unsigned long long)vmcs_read64(EPT_POINTER));
}

/* VMLAUNCH/VMRESUME did not enter the guest (VMfail). */
static void entry_vmfail(struct vcpu *v, int status, struct vm_exit *e)
{
	u32 err = status == VMX_ENTER_FAIL_VALID ? insn_error() : 0;

	pr_err("vm %s: %s failed: VM-instruction error %u (%s)\n", v->vm->name,
	       ((struct vmx_vcpu *)v->arch)->launched ? "VMRESUME" : "VMLAUNCH", err,
	       err ? insn_error_name(err) : "VMfailInvalid: no current VMCS");
	if (status == VMX_ENTER_FAIL_VALID)
		dump_guest_state();
	e->reason = VMEXIT_ENTRY_FAILED;
	e->hw_code = err;
}

/* ---- exits ---- */

static const char *const virt_insn_names[EXIT_REASON_MAX] = {
	[EXIT_VMCLEAR] = "VMCLEAR",
	[EXIT_VMLAUNCH] = "VMLAUNCH",
	[EXIT_VMPTRLD] = "VMPTRLD",
	[EXIT_VMPTRST] = "VMPTRST",
	[EXIT_VMREAD] = "VMREAD",
	[EXIT_VMRESUME] = "VMRESUME",
	[EXIT_VMWRITE] = "VMWRITE",
	[EXIT_VMXOFF] = "VMXOFF",
	[EXIT_VMXON] = "VMXON",
	[EXIT_INVEPT] = "INVEPT",
	[EXIT_INVVPID] = "INVVPID",
	[EXIT_VMFUNC] = "VMFUNC",
	[EXIT_GETSEC] = "GETSEC",
};

static void decode_ept_violation(struct vm_exit *e)
{
	u64 q = e->hw_info1;

	e->reason = VMEXIT_TDP_FAULT;
	e->tdp.gpa = e->hw_info2;
	e->tdp.access = (q & EPT_QUAL_FETCH) ? TDP_ACC_X :
			(q & EPT_QUAL_WRITE) ? TDP_ACC_W : TDP_ACC_R;
	e->tdp.present = q & EPT_QUAL_PERM_MASK;
	e->tdp.walk = (q & EPT_QUAL_GLA_VALID) && !(q & EPT_QUAL_GLA_TRANSLATED);
}

static void decode_io(struct vm_exit *e)
{
	u64 q = e->hw_info1;

	e->reason = VMEXIT_IO;
	e->io.port = (u16)(q >> IO_QUAL_PORT_SHIFT);
	e->io.size = (u8)((q & IO_QUAL_SIZE_MASK) + 1);
	e->io.in = q & IO_QUAL_IN;
	e->io.string = q & IO_QUAL_STRING;
	e->io.rep = q & IO_QUAL_REP;
}

/* An exit of reason 0: an NMI meant for the host, or a guest exception. */
static void decode_exception_nmi(struct vm_exit *e)
{
	u32 info = vmcs_read32(VM_EXIT_INTR_INFO);

	e->hw_info2 = info;
	if ((info & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI) {
		vmx_host_nmi();
		e->reason = VMEXIT_INTR;
		return;
	}
	e->reason = VMEXIT_EXCEPTION;
}

/* Decodes the exit whose basic reason is r (no entry failure). */
static void decode_reason(struct vcpu *v, u32 r, struct vm_exit *e)
{
	switch (r) {
	case EXIT_EXCEPTION_NMI:
		decode_exception_nmi(e);
		return;
	case EXIT_EXTERNAL_INTERRUPT:	/* taken by the host when vmx_enter() returned */
	case EXIT_INIT_SIGNAL:
	case EXIT_SIPI:
	case EXIT_IO_SMI:
	case EXIT_OTHER_SMI:
		e->reason = VMEXIT_INTR;
		return;
	case EXIT_TRIPLE_FAULT:
		e->reason = VMEXIT_SHUTDOWN;
		return;
	case EXIT_EPT_VIOLATION:
		decode_ept_violation(e);
		return;
	case EXIT_PML_FULL:		/* nothing for vm/ to do: resume */
		pml_full(v);
		e->reason = VMEXIT_INTR;
		return;
	case EXIT_EPT_MISCONFIG:	/* only an MMIO marker may look like one */
		e->reason = VMEXIT_TDP_FAULT;
		e->tdp.gpa = e->hw_info2;
		e->tdp.access = TDP_ACC_R;
		return;
	}
	e->insn_len = (u8)vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	switch (r) {
	case EXIT_CPUID:
		e->reason = VMEXIT_CPUID;
		break;
	case EXIT_HLT:
		e->reason = VMEXIT_HLT;
		break;
	case EXIT_VMCALL:
		e->reason = VMEXIT_HYPERCALL;
		break;
	case EXIT_RDMSR:
	case EXIT_WRMSR:
		e->reason = r == EXIT_WRMSR ? VMEXIT_MSR_WRITE : VMEXIT_MSR_READ;
		e->msr = (u32)v->gpr[GPR_RCX];
		break;
	case EXIT_IO_INSTRUCTION:
		decode_io(e);
		break;
	case EXIT_XSETBV:
		e->reason = VMEXIT_XSETBV;
		break;
	case EXIT_INVD:
		e->reason = VMEXIT_INVD;
		break;
	case EXIT_CR_ACCESS:
		e->reason = VMEXIT_CR_ACCESS;
		break;
	default:
		if (r < EXIT_REASON_MAX && virt_insn_names[r]) {
			e->reason = VMEXIT_VIRT_INSN;
			e->insn = virt_insn_names[r];
		} else {
			e->insn_len = 0;
			e->reason = VMEXIT_UNKNOWN;
		}
	}
}

static void decode_exit(struct vcpu *v, struct vm_exit *e)
{
	u32 reason = vmcs_read32(VM_EXIT_REASON), r = reason & EXIT_REASON_BASIC_MASK;

	e->hw_code = reason;
	e->hw_info1 = vmcs_readl(EXIT_QUALIFICATION);
	if (r == EXIT_EPT_VIOLATION || r == EXIT_EPT_MISCONFIG)
		e->hw_info2 = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	if (reason & EXIT_REASON_ENTRY_FAILURE) {
		pr_err("vm %s: VM entry failed: exit reason %u (%s), qualification 0x%llx\n",
		       v->vm->name, r, r == EXIT_INVALID_GUEST_STATE ? "invalid guest state" :
		       r == EXIT_MSR_LOADING ? "MSR loading" : r == EXIT_MACHINE_CHECK ?
		       "machine check" : "other", (unsigned long long)e->hw_info1);
		dump_guest_state();
		e->reason = VMEXIT_ENTRY_FAILED;
		return;
	}
	decode_reason(v, r, e);
}

/*
 * An exit that interrupted the delivery of an event through the guest's IDT
 * (an EPT violation on its IDT or stack, say) loses that event unless it is
 * injected again on the next entry.
 */
static void reinject_idt_vectoring(void)
{
	u32 info = vmcs_read32(IDT_VECTORING_INFO), type = info & INTR_INFO_TYPE_MASK;

	if (!(info & INTR_INFO_VALID))
		return;
	vmcs_write32(VM_ENTRY_INTR_INFO, info & (INTR_INFO_VALID | INTR_INFO_TYPE_MASK |
						 INTR_INFO_ERROR_VALID | INTR_INFO_VECTOR_MASK));
	if (info & INTR_INFO_ERROR_VALID)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE,
			     vmcs_read32(IDT_VECTORING_ERROR_CODE));
	if (type == INTR_TYPE_SW_INTR || type == INTR_TYPE_PRIV_SW_EXCEPTION ||
	    type == INTR_TYPE_SW_EXCEPTION)
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}

static u64 make_eptp(struct vcpu *v)
{
	return mm_virt_to_phys(v->tdp.root->pt) | EPTP_MT_WB | (3ULL << EPTP_PWL_SHIFT) |
	       (cpu0.ept_ad ? EPTP_AD_ENABLE : 0);
}

/* Flushes what this vCPU's next entry must not see: INVVPID for a VPID
 * that may have served another VM, INVEPT for a new root or a TDP flush. */
static void flush_before_entry(struct vcpu *v, struct vmx_vcpu *s, u64 eptp)
{
	struct vmx_vm *x = v->vm->arch;

	if (s->flush_vpid) {
		invvpid_single((u16)v->vm->asid);
		s->flush_vpid = false;
	}
	if (eptp != s->eptp || s->flushed_gen != x->flush_gen) {
		if (eptp != s->eptp)
			vmcs_write64(EPT_POINTER, eptp);
		invept_single(eptp);
		s->eptp = eptp;
		s->flushed_gen = x->flush_gen;
	}
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
	pml_update(v, s);
	flush_before_entry(v, s, make_eptp(v));
	vmcs_writel(GUEST_RSP, v->gpr[GPR_RSP]);
	status = vmx_enter(v->gpr, s->launched);
	/* VM exits leave the GDTR and IDTR limits at 0xffff. */
	lgdt(&cpu0.gdtr);
	lidt(&cpu0.idtr);
	memset(e, 0, sizeof(*e));
	if (status != VMX_ENTER_EXITED) {
		entry_vmfail(v, status, e);
		return;
	}
	s->launched = true;
	v->gpr[GPR_RSP] = vmcs_readl(GUEST_RSP);
	vmcs_write32(VM_ENTRY_INTR_INFO, 0);
	decode_exit(v, e);
	if (e->reason != VMEXIT_ENTRY_FAILED)
		reinject_idt_vectoring();
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

static u64 vmx_get_cr3(struct vcpu *v)
{
	vmcs_load(v->arch);
	return vmcs_readl(GUEST_CR3);
}

static u64 vmx_get_cr4(struct vcpu *v)
{
	struct vmx_vcpu *s = v->arch;

	vmcs_load(s);
	return (vmcs_readl(GUEST_CR4) & ~s->cr4_mask) | (vmcs_readl(CR4_READ_SHADOW) & s->cr4_mask);
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

const struct virt_ops vmx_ops = {
	.name = "VMX",
	.enable = vmx_enable,
	.disable = vmx_disable,
	.vm_init = vmx_vm_init,
	.vm_destroy = vmx_vm_destroy,
	.vcpu_init = vmx_vcpu_init,
	.vcpu_destroy = vmx_vcpu_destroy,
	.vcpu_run = vmx_vcpu_run,
	.get_rip = vmx_get_rip,
	.set_rip = vmx_set_rip,
	.get_cr3 = vmx_get_cr3,
	.get_cr4 = vmx_get_cr4,
	.get_cpl = vmx_get_cpl,
	.long_mode = vmx_long_mode,
	.inject_exception = vmx_inject_exception,
	.vcpu_init_platform = vmx_vcpu_init_platform,
	.platform_msr = vmx_platform_msr,
	.cr_access = vmx_cr_access,
	.cpuid_fixup = vmx_cpuid_fixup,
};
