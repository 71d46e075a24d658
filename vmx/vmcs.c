// SPDX-License-Identifier: MIT
/*
 * Setting up a VMCS: the host state VM exits load, the controls, the guest
 * segments and the 64-bit state a test vCPU starts in; and the reports of
 * a VMX instruction or VM entry that failed (the VM-instruction error, the
 * guest-state fields the entry checks look at).
 */
#include "arch/percpu.h"
#include "vmx_int.h"
#include "arch/trapnr.h"
#include "arch/mce.h"
#include "arch/msr.h"
#include "bug.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vm/vm.h"

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

const char *vmx_insn_error_name(u32 err)
{
	if (err < ARRAY_SIZE(insn_errors) && insn_errors[err])
		return insn_errors[err];
	return "unknown error";
}

/* The VM-instruction error of the current VMCS, or 0 when there is none. */
u32 vmx_insn_error(void)
{
	u64 err = 0;

	if (!vmx_this()->current || __vmread(VM_INSTRUCTION_ERROR, &err))
		return 0;
	return (u32)err;
}

void vmx_insn_failed(const char *insn, u32 field)
{
	u32 err = vmx_insn_error();

	if (field == VMCS_NO_FIELD)
		pr_emerg("cpu%u: %s failed: VM-instruction error %u (%s)\n", this_cpu_id(), insn, err,
			 err ? vmx_insn_error_name(err) : "no current VMCS");
	else
		pr_emerg("cpu%u: %s of VMCS field 0x%04x failed: VM-instruction error %u (%s)\n", this_cpu_id(),
			 insn, field, err, err ? vmx_insn_error_name(err) : "no current VMCS");
	BUG();
}

/* A zeroed page that starts with the VMCS revision id (VMXON region, VMCS). */
void *vmx_alloc_vmcs_page(void)
{
	const struct vmx_caps *caps = vmx_caps();
	u32 *p = alloc_zeroed_page();

	if (!p)
		return NULL;
	if ((caps->basic & VMX_BASIC_32BIT_PA) && pa_of(p) >> 32) {
		free_page(p);
		return NULL;
	}
	*p = caps->revision;
	return p;
}

/* Makes s's VMCS the current one. */
void vmcs_load(struct vmx_vcpu *s)
{
	if (vmx_this()->current == s->vmcs)
		return;
	if (__vmptrld(pa_of(s->vmcs)))
		vmx_insn_failed("vmptrld", VMCS_NO_FIELD);
	vmx_this()->current = s->vmcs;
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
void vmx_set_host_state(void)
{
	u16 sel[6], tr = str();

	BUG_ON(!tr);	/* arch/desc.c loads our own TSS before VMX is on */
	vmx_host_selectors(sel);
	sgdt(&vmx_this()->gdtr);
	sidt(&vmx_this()->idtr);
	vmcs_writel(HOST_CR0, read_cr0());
	vmcs_writel(HOST_CR3, read_cr3());
	/* CR4.MCE: a machine check in the host reaches its handler instead of
	 * shutting the CPU down (arch/mce.c). */
	vmcs_writel(HOST_CR4, read_cr4() | (mce_supported() ? X86_CR4_MCE : 0));
	vmcs_write16(HOST_ES_SELECTOR, sel[0]);
	vmcs_write16(HOST_CS_SELECTOR, sel[1]);
	vmcs_write16(HOST_SS_SELECTOR, sel[2]);
	vmcs_write16(HOST_DS_SELECTOR, sel[3]);
	vmcs_write16(HOST_FS_SELECTOR, sel[4]);
	vmcs_write16(HOST_GS_SELECTOR, sel[5]);
	vmcs_write16(HOST_TR_SELECTOR, tr);
	vmcs_writel(HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vmcs_writel(HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vmcs_writel(HOST_TR_BASE, tss_base(&vmx_this()->gdtr, tr));
	vmcs_writel(HOST_GDTR_BASE, vmx_this()->gdtr.base);
	vmcs_writel(HOST_IDTR_BASE, vmx_this()->idtr.base);
	vmcs_write32(HOST_IA32_SYSENTER_CS, (u32)rdmsr(MSR_IA32_SYSENTER_CS));
	vmcs_writel(HOST_IA32_SYSENTER_ESP, rdmsr(MSR_IA32_SYSENTER_ESP));
	vmcs_writel(HOST_IA32_SYSENTER_EIP, rdmsr(MSR_IA32_SYSENTER_EIP));
	if (vmx_this()->ctls.exit & EXIT_LOAD_IA32_EFER)
		vmcs_write64(HOST_IA32_EFER, rdmsr(MSR_EFER));
	if (vmx_this()->ctls.exit & EXIT_LOAD_IA32_PAT)
		vmcs_write64(HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_writel(HOST_RIP, (u64)(uintptr_t)vmx_vmexit);
	/* HOST_RSP: vmx_enter() writes it right before each entry. */
}

void vmx_set_controls(struct vmx_vcpu *s, u16 vpid, const struct vmx_ctls *k)
{
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, k->pin);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, k->cpu);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, k->sec);
	vmcs_write32(VM_EXIT_CONTROLS, k->exit);
	vmcs_write32(VM_ENTRY_CONTROLS, k->entry);
	/* Machine checks exit, for the host to log them (vm/exit.c). */
	vmcs_write32(EXCEPTION_BITMAP, BIT(MC_VECTOR));
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO, 0);
	vmcs_write64(MSR_BITMAP, pa_of(s->msr_bitmap));
	if (vmx_this()->vpid)
		vmcs_write16(VIRTUAL_PROCESSOR_ID, vpid);
	/* The bits the guest may not change: a write that would, exits. */
	s->sec = k->sec;
	vmcs_writel(CR0_GUEST_HOST_MASK, s->cr0_mask);
	vmcs_writel(CR4_GUEST_HOST_MASK, s->cr4_mask);
}

void vmx_set_seg(enum vmcs_field sel, u16 s, u32 ar, u32 limit, u64 base)
{
	u32 i = (sel - GUEST_ES_SELECTOR) / 2;

	vmcs_write16(sel, s);
	vmcs_write32(GUEST_ES_AR_BYTES + 2 * i, ar);
	vmcs_write32(GUEST_ES_LIMIT + 2 * i, limit);
	vmcs_writel(GUEST_ES_BASE + 2 * i, base);
}

void vmx_set_dtables(u64 gdt_base, u16 gdt_limit, u64 idt_base, u16 idt_limit)
{
	vmcs_write32(GUEST_GDTR_LIMIT, gdt_limit);
	vmcs_writel(GUEST_GDTR_BASE, gdt_base);
	vmcs_write32(GUEST_IDTR_LIMIT, idt_limit);
	vmcs_writel(GUEST_IDTR_BASE, idt_base);
}

/* 64-bit long mode at CPL 0, as struct vcpu_boot says. */
static void set_long_mode_state(const struct vcpu_boot *b)
{
	const u32 code = 0xb | VMX_AR_S | VMX_AR_P | VMX_AR_L | VMX_AR_G;
	const u32 data = 0x3 | VMX_AR_S | VMX_AR_P | VMX_AR_DB | VMX_AR_G;
	const struct vmx_caps *caps = vmx_caps();
	u64 cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	u64 cr4 = X86_CR4_PAE;

	vmx_set_seg(GUEST_CS_SELECTOR, b->cs, code, 0xffffffff, 0);
	vmx_set_seg(GUEST_DS_SELECTOR, b->ds, data, 0xffffffff, 0);
	vmx_set_seg(GUEST_ES_SELECTOR, b->ds, data, 0xffffffff, 0);
	vmx_set_seg(GUEST_SS_SELECTOR, b->ds, data, 0xffffffff, 0);
	vmx_set_seg(GUEST_FS_SELECTOR, b->ds, data, 0xffffffff, 0);
	vmx_set_seg(GUEST_GS_SELECTOR, b->ds, data, 0xffffffff, 0);
	vmx_set_seg(GUEST_TR_SELECTOR, b->tr, 0xb | VMX_AR_P, b->tr_limit, b->tr_base);
	vmx_set_seg(GUEST_LDTR_SELECTOR, 0, VMX_AR_UNUSABLE, 0, 0);
	vmx_set_dtables(b->gdt_base, b->gdt_limit, b->idt_base, b->idt_limit);
	/* The guest reads what it asked for; the fixed bits are forced under it. */
	vmcs_writel(CR0_READ_SHADOW, cr0);
	vmcs_writel(CR4_READ_SHADOW, cr4);
	vmcs_writel(GUEST_CR0, (cr0 | caps->cr0_fixed0) & caps->cr0_fixed1);
	vmcs_writel(GUEST_CR4, (cr4 | caps->cr4_fixed0) & caps->cr4_fixed1);
	vmcs_writel(GUEST_CR3, b->cr3);
	if (vmx_this()->load_efer)
		vmcs_write64(GUEST_IA32_EFER, EFER_LME | EFER_LMA | EFER_NXE);
	if (vmx_this()->load_pat)
		vmcs_write64(GUEST_IA32_PAT, PAT_RESET_VALUE);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_writel(GUEST_DR7, X86_DR7_RESET);
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

void vmx_free_vcpu_pages(struct vmx_vcpu *s)
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

struct vmx_vcpu *vmx_vcpu_alloc(struct vcpu *v, bool io_bitmaps)
{
	struct vmx_vcpu *s = v->id < TDP_MAX_VCPUS ? alloc_zeroed_page() : NULL;
	bool pml = vmx_caps()->pml;

	if (!s)
		return NULL;
	s->vmcs = vmx_alloc_vmcs_page();
	s->msr_bitmap = alloc_zeroed_page();
	if (io_bitmaps) {
		s->io_bitmap[0] = alloc_zeroed_page();
		s->io_bitmap[1] = alloc_zeroed_page();
	}
	s->pml = pml ? alloc_zeroed_page() : NULL;
	if (!s->vmcs || !s->msr_bitmap || (pml && !s->pml) ||
	    (io_bitmaps && (!s->io_bitmap[0] || !s->io_bitmap[1]))) {
		vmx_free_vcpu_pages(s);
		return NULL;
	}
	if (__vmclear(pa_of(s->vmcs)))
		vmx_insn_failed("vmclear", VMCS_NO_FIELD);
	vmcs_load(s);
	return s;
}

void vmx_vcpu_install(struct vcpu *v, struct vmx_vcpu *s)
{
	s->flush_vpid = vmx_this()->vpid;	/* the VPID may have been another VM's */
	s->flushed_gen = ~0ULL;
	if (s->pml)
		vmcs_write64(PML_ADDRESS, pa_of(s->pml));
	v->arch = s;
	((struct vmx_vm *)v->vm->arch)->vcpus[v->id] = v;
}

int vmx_vcpu_init_boot(struct vcpu *v, const struct vcpu_boot *b)
{
	const struct vmx_caps *caps = vmx_caps();
	struct vmx_vcpu *s = vmx_vcpu_alloc(v, false);

	if (!s)
		return -ENOMEM;
	/* Test VMs reach no host MSR: intercept every read and write. */
	memset(s->msr_bitmap, 0xff, PAGE_SIZE);
	s->cr0_mask = caps->cr0_fixed0 | ~caps->cr0_fixed1 | VMX_CR0_HOST_OWNED;
	s->cr4_mask = caps->cr4_fixed0 | ~caps->cr4_fixed1;
	vmx_set_controls(s, (u16)v->vm->asid, &vmx_this()->ctls);
	vmx_set_host_state();
	set_long_mode_state(b);
	vmx_vcpu_install(v, s);
	return 0;
}

static void dump_seg(const char *name, enum vmcs_field sel)
{
	u32 i = (sel - GUEST_ES_SELECTOR) / 2;

	pr_err("  %-4s sel 0x%04x base 0x%016llx limit 0x%08x ar 0x%05x\n", name,
	       vmcs_read16(sel), (unsigned long long)vmcs_readl(GUEST_ES_BASE + 2 * i),
	       vmcs_read32(GUEST_ES_LIMIT + 2 * i), vmcs_read32(GUEST_ES_AR_BYTES + 2 * i));
}

/* Logs the guest-state fields that the VM-entry checks look at. */
void vmx_dump_guest_state(void)
{
	pr_err("  CR0 0x%llx CR3 0x%llx CR4 0x%llx\n", (unsigned long long)vmcs_readl(GUEST_CR0),
	       (unsigned long long)vmcs_readl(GUEST_CR3), (unsigned long long)vmcs_readl(GUEST_CR4));
	pr_err("  RIP 0x%llx RSP 0x%llx RFLAGS 0x%llx DR7 0x%llx\n",
	       (unsigned long long)vmcs_readl(GUEST_RIP), (unsigned long long)vmcs_readl(GUEST_RSP),
	       (unsigned long long)vmcs_readl(GUEST_RFLAGS), (unsigned long long)vmcs_readl(GUEST_DR7));
	if (vmx_this()->load_efer)
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
