// SPDX-License-Identifier: MIT
/*
 * The platform VM's vCPU under VMX: the CPU's own state as a guest, the
 * I/O and MSR bitmaps that let the firmware reach its devices, the MSRs and
 * CR bits VMX must hide, and CPUID features the controls cannot offer.
 */
#include "arch/percpu.h"
#include "vmx_int.h"
#include "arch/cpuid.h"
#include "arch/cr.h"
#include "arch/msr.h"
#include "arch/trapnr.h"
#include "lib/string.h"
#include "errcode.h"
#include "lib/printk.h"
#include "mm/page_alloc.h"
#include "vm/vm.h"
#include "vm/tick.h"
#include "arch/x86.h"

/*
 * The platform VM's controls: interrupts, NMIs, HLT, I/O and MSRs pass
 * through (bitmaps name the exceptions), instructions the OS may use are
 * enabled where the CPU lets us (CPUID hides the rest), and EFER, PAT and
 * the debug controls are switched both ways.
 */
static int platform_controls(struct vmx_ctls *k, bool nmi_exits)
{
	const struct vmx_ctls want = {
		.pin = tick_period_ns() ? PIN_PREEMPTION_TIMER : 0,
		.sec = SEC_ENABLE_VPID | SEC_UNRESTRICTED_GUEST | SEC_ENABLE_RDTSCP |
		       SEC_ENABLE_INVPCID | SEC_ENABLE_XSAVES | SEC_ENABLE_USER_WAIT_PAUSE,
	};
	const struct vmx_ctls need = {
		.pin = nmi_exits ? PIN_NMI_EXITING | PIN_VIRTUAL_NMIS : 0,
		.cpu = CPU_USE_IO_BITMAPS | CPU_USE_MSR_BITMAPS | CPU_SECONDARY_CONTROLS |
		       CPU_USE_TSC_OFFSETTING,
		.sec = SEC_ENABLE_EPT,
		.exit = EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_DEBUG_CONTROLS |
			EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER |
			EXIT_SAVE_IA32_PAT | EXIT_LOAD_IA32_PAT,
		.entry = ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_LOAD_IA32_EFER | ENTRY_LOAD_IA32_PAT,
	};
	int err = vmx_ctls_adjust("platform ", &want, &need, k);

	if (!err && !vmx_this()->vpid)
		k->sec &= ~SEC_ENABLE_VPID;
	return err;
}

/* Sets (exit) or clears (pass) msr's read and/or write bits in the bitmap. */
static void msr_bitmap_set(u8 *bm, u32 msr, bool read, bool write, bool exit)
{
	u8 bit = (u8)(1 << (msr & 7));
	u8 *rd, *wr;

	if (msr <= 0x1fff)
		rd = bm;
	else if (msr - 0xc0000000u <= 0x1fff)
		rd = bm + 1024;
	else
		return;		/* outside both ranges: always exits */
	rd += (msr & 0x1fff) / 8;
	wr = rd + 2048;
	if (read)
		*rd = exit ? *rd | bit : *rd & (u8)~bit;
	if (write)
		*wr = exit ? *wr | bit : *wr & (u8)~bit;
}

static void msr_bitmap_intercept(u8 *bm, u32 msr, bool read, bool write)
{
	msr_bitmap_set(bm, msr, read, write, true);
}

/* The VMX form of the descriptor sel in the GDT at gdt (null: unusable). */
static void seg_from_gdt(enum vmcs_field f, u16 sel, const u8 *gdt)
{
	struct seg_desc s;

	if (!(sel & ~3)) {
		vmx_set_seg(f, sel, VMX_AR_UNUSABLE, 0, 0);
		return;
	}
	s = gdt_seg_desc(gdt, sel);
	/* Loaded, so accessed: the CPU set the bit in the firmware's copy. */
	vmx_set_seg(f, sel, s.access | ((u32)s.flags << 12) | 1, s.limit, s.base);
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
	vmcs_writel(GUEST_GS_BASE, this_cpu()->fw_gs_base);	/* GS.base is ours now */
	/* The firmware ran with TR = 0: a minimal busy TSS, as SVM gets. */
	vmx_set_seg(GUEST_TR_SELECTOR, 0, 0xb | VMX_AR_P, 0x67, 0);
	vmx_set_seg(GUEST_LDTR_SELECTOR, 0, VMX_AR_UNUSABLE, 0, 0);
	vmx_set_dtables(cap->gdt_base, cap->gdt_limit, cap->idt_base, cap->idt_limit);
	/* CR4.VMXE (and any CR0 bit VMXON forced) is ours: the guest reads its own. */
	vmcs_writel(GUEST_CR0, cr0);
	vmcs_writel(GUEST_CR4, cr4);
	vmcs_writel(CR0_READ_SHADOW, (cr0 & ~s->cr0_mask) | (vmx_this()->cr0_before & s->cr0_mask));
	vmcs_writel(CR4_READ_SHADOW, (cr4 & ~s->cr4_mask) | (vmx_this()->cr4_before & s->cr4_mask));
	vmcs_writel(GUEST_CR3, read_cr3());
	s->cr2 = read_cr2();
	vmcs_write64(GUEST_IA32_EFER, efer);
	vmcs_write64(GUEST_IA32_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_write64(GUEST_IA32_DEBUGCTL, rdmsr(MSR_IA32_DEBUGCTL));
	vmcs_writel(GUEST_DR7, X86_DR7_RESET);
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
 * faults, the ports and MSRs cfg lists, IA32_FEATURE_CONTROL and the VMX
 * capability MSRs (a CPU without VMX shows neither), and writes to CR bits
 * VMX fixes.
 */
int vmx_vcpu_init_capture(struct vcpu *v, const struct vcpu_config *cfg)
{
	const struct vmx_caps *caps = vmx_caps();
	struct vmx_vcpu *s;
	struct vmx_ctls k;
	unsigned int i;
	u32 msr;
	int err;

	err = platform_controls(&k, cfg->nmi_exits);
	if (err)
		return err;
	s = vmx_vcpu_alloc(v, true);
	if (!s)
		return -ENOMEM;
	for (i = 0; i < cfg->nio_exits; i++) {	/* any access touching the byte exits */
		u16 port = cfg->io_exits[i];

		((u8 *)s->io_bitmap[port >> 15])[(port & 0x7fff) / 8] |= (u8)(1 << (port % 8));
	}
	msr_bitmap_intercept(s->msr_bitmap, MSR_IA32_FEATURE_CONTROL, true, true);
	for (msr = MSR_IA32_VMX_BASIC; msr <= MSR_IA32_VMX_LAST; msr++)
		msr_bitmap_intercept(s->msr_bitmap, msr, true, true);
	for (i = 0; i < cfg->nmsr_exits; i++)
		msr_bitmap_intercept(s->msr_bitmap, cfg->msr_exits[i], true, true);
	/* With "unrestricted guest" the guest may leave paging and protected mode. */
	s->cr0_mask = ((caps->cr0_fixed0 | ~caps->cr0_fixed1) &
		       ~((k.sec & SEC_UNRESTRICTED_GUEST) ? X86_CR0_PE | X86_CR0_PG : 0)) |
		      VMX_CR0_HOST_OWNED;
	s->cr4_mask = caps->cr4_fixed0 | ~caps->cr4_fixed1;
	vmx_set_controls(s, (u16)v->vm->asid, &k);
	vmcs_write64(IO_BITMAP_A, pa_of(s->io_bitmap[0]));
	vmcs_write64(IO_BITMAP_B, pa_of(s->io_bitmap[1]));
	vmx_set_host_state();
	platform_guest_state(s, cfg->capture);
	vmx_vcpu_install(v, s);
	s->timer = k.pin & PIN_PREEMPTION_TIMER;
	s->timer_shift = (u8)(rdmsr(MSR_IA32_VMX_MISC) & VMX_MISC_PREEMPTION_RATE_MASK);
	if (tick_period_ns() && !s->timer)
		pr_warn("cpu%u: VMX: no preemption timer: no hypervisor tick\n", this_cpu_id());
	else if (s->timer && !this_cpu_id())
		pr_info("cpu%u: tick: every %llu ms by the VMX-preemption timer (TSC / %u)\n",
			this_cpu_id(), (unsigned long long)(tick_period_ns() / 1000000),
			1u << s->timer_shift);
	pr_info("cpu%u: VMX platform controls: pin 0x%08x cpu 0x%08x secondary 0x%08x "
		"exit 0x%08x entry 0x%08x\n", this_cpu_id(), k.pin, k.cpu, k.sec, k.exit, k.entry);
	if (!(k.sec & SEC_UNRESTRICTED_GUEST))
		pr_warn("cpu%u: VMX: no unrestricted guest: the platform VM must stay in "
			"paged protected mode\n", this_cpu_id());
	return 0;
}

/*
 * The tick: the VMX-preemption timer counts from the value each entry
 * loads (its value at the exit is not saved), so the time left to the
 * deadline is loaded before every entry.
 */
void vmx_arm_tick(struct vcpu *v, u64 tsc)
{
	struct vmx_vcpu *s = v->arch;
	u64 now = rdtsc(), left;

	if (!s->timer)
		return;
	left = tsc > now ? (tsc - now) >> s->timer_shift : 0;
	vmcs_load(s);
	vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, left > 0xffffffffULL ? 0xffffffffU : (u32)left);
}

/* The VMCS TSC offset ("use TSC offsetting" is on for the platform VM);
 * the deadline MSR exits while it is not zero. */
void vmx_set_tsc_offset(struct vcpu *v, u64 offset)
{
	struct vmx_vcpu *s = v->arch;

	vmcs_load(s);
	vmcs_write64(TSC_OFFSET, offset);
	msr_bitmap_set(s->msr_bitmap, MSR_IA32_TSC_DEADLINE, true, true, offset != 0);
}

/*
 * IA32_FEATURE_CONTROL without the VMX enables; no VMX capability MSRs.
 * Anything else is not VMX's (-ENOENT): MSRs outside the bitmap's ranges
 * always exit, and the caller passes them on.
 */
int vmx_vendor_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
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
	return -ENOENT;
}

/*
 * MOV to CR0: checked as the CPU would (arch/cr.c), then refused when VMX
 * could not enter the result, the VMX-fixed bits forced underneath, the
 * guest's own value in the read shadow.  Turning paging on or off with
 * EFER.LME set moves EFER.LMA and the "IA-32e mode guest" control with it.
 */
static int platform_set_cr0(struct vmx_vcpu *s, u64 val)
{
	const struct vmx_caps *caps = vmx_caps();
	u64 old = guest_cr0(s), efer = vmcs_read64(GUEST_IA32_EFER);
	u32 entry = vmcs_read32(VM_ENTRY_CONTROLS);
	u64 fixed0 = caps->cr0_fixed0 & s->cr0_mask;	/* PE/PG free with unrestricted guest */

	if (!cr0_write_valid(old, val, guest_cr4(s), efer,
			     vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L))
		return -EPERM;
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
	vmcs_writel(GUEST_CR0, (val | fixed0) & caps->cr0_fixed1);
	vmcs_writel(CR0_READ_SHADOW, val);
	s->flush_vpid = vmx_this()->vpid;	/* as the CPU flushes on a paging change */
	return 0;
}

/*
 * MOV to CR4: checked as the CPU would (arch/cr.c), with VMXE one of the
 * bits it lacks: the guest sees a CPU without VMX.
 */
static int platform_set_cr4(struct vmx_vcpu *s, u64 val)
{
	const struct vmx_caps *caps = vmx_caps();

	if (!cr4_write_valid(val, caps->cr4_fixed1 & ~X86_CR4_VMXE,
			     vmcs_read64(GUEST_IA32_EFER)))
		return -EPERM;
	vmcs_writel(GUEST_CR4, (val | caps->cr4_fixed0) & caps->cr4_fixed1);
	vmcs_writel(CR4_READ_SHADOW, val);
	s->flush_vpid = vmx_this()->vpid;
	return 0;
}

int vmx_cr_access(struct vcpu *v, const struct vm_exit *e)
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
			s->flush_vpid = vmx_this()->vpid && !(val & BIT_ULL(63));
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
		r = platform_set_cr0(s, guest_cr0(s) & ~X86_CR0_TS);
		break;
	default:	/* LMSW: bits 3:0 only, and it cannot clear PE */
		val = guest_cr0(s);
		r = platform_set_cr0(s, (val & ~0xeULL) | ((q >> CR_QUAL_LMSW_SRC_SHIFT) & 0xf));
		break;
	}
	if (r == -EOPNOTSUPP)
		vm_kill(v->vm, "CR%u access 0x%llx at RIP 0x%llx: the CPU cannot run it as a guest",
			cr, (unsigned long long)q, (unsigned long long)vmcs_readl(GUEST_RIP));
	return r;
}

/* Instructions that #UD without their "enable" control are not offered. */
void vmx_cpuid_fixup(struct vcpu *v, u32 leaf, u32 sub, struct cpuid_regs *r)
{
	u32 sec = ((struct vmx_vcpu *)v->arch)->sec;

	if (leaf == 7 && sub == 0) {
		if (!(sec & SEC_ENABLE_INVPCID))
			r->ebx &= ~CPUID7_EBX_INVPCID;
		if (!(sec & SEC_ENABLE_USER_WAIT_PAUSE))
			r->ecx &= ~CPUID7_ECX_WAITPKG;
		if (!(sec & SEC_ENABLE_RDTSCP))
			r->ecx &= ~CPUID7_ECX_RDPID;
	} else if (leaf == CPUID_XSAVE && sub == 1 && !(sec & SEC_ENABLE_XSAVES)) {
		r->eax &= ~CPUIDD1_EAX_XSAVES;
	} else if (leaf == CPUID_EXT_FEATURES && !(sec & SEC_ENABLE_RDTSCP)) {
		r->edx &= ~CPUID81_EDX_RDTSCP;
	}
}

/*
 * Both starts have paging off, which VMX enters only as an "unrestricted
 * guest".  A test vCPU is made without it (its guest stays in long mode):
 * it is turned on here, with PE and PG then the guest's own, as they are
 * the platform VM's.  false: the CPU has no unrestricted guest and the VM
 * was killed with the reason.
 */
static bool start_unrestricted(struct vcpu *v, struct vmx_vcpu *s)
{
	if (s->sec & SEC_UNRESTRICTED_GUEST)
		return true;
	if (!vmx_caps()->unrestricted) {
		vm_kill(v->vm, "vCPU %u cannot start with paging off: the CPU has no "
			"unrestricted guest", v->id);
		return false;
	}
	s->sec |= SEC_UNRESTRICTED_GUEST;
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, s->sec);
	s->cr0_mask &= ~(X86_CR0_PE | X86_CR0_PG);
	vmcs_writel(CR0_GUEST_HOST_MASK, s->cr0_mask);
	return true;
}

/*
 * The state after INIT, then either a SIPI (real mode at vector:0000, SDM
 * 9.1.1) or what firmware hands a waking OS (real mode at CS:IP, or flat
 * 32-bit protected mode with paging off), as struct vcpu_start says; both
 * are what "unrestricted guest" lets VMX enter.
 */
void vmx_vcpu_start(struct vcpu *v, const struct vcpu_start *st)
{
	const struct vmx_caps *caps = vmx_caps();
	static const enum vmcs_field data[] = { GUEST_DS_SELECTOR, GUEST_ES_SELECTOR,
						GUEST_FS_SELECTOR, GUEST_GS_SELECTOR,
						GUEST_SS_SELECTOR };
	const u32 big = VMX_AR_DB | VMX_AR_G;
	struct vmx_vcpu *s = v->arch;
	u64 cr0 = st->cr0 | (st->flat32 ? X86_CR0_PE : 0);
	unsigned int i;

	vmcs_load(s);
	if (!start_unrestricted(v, s))
		return;
	if (st->flat32) {
		vmx_set_seg(GUEST_CS_SELECTOR, VCPU_START_FLAT32_CS, 0x9b | big, 0xffffffff, 0);
		for (i = 0; i < ARRAY_SIZE(data); i++)
			vmx_set_seg(data[i], VCPU_START_FLAT32_DS, 0x93 | big, 0xffffffff, 0);
	} else {
		vmx_set_seg(GUEST_CS_SELECTOR, st->cs, 0x9b, 0xffff, (u64)st->cs << 4);
		for (i = 0; i < ARRAY_SIZE(data); i++)
			vmx_set_seg(data[i], 0, 0x93, 0xffff, 0);
	}
	vmx_set_seg(GUEST_TR_SELECTOR, 0, 0x8b, 0xffff, 0);
	vmx_set_seg(GUEST_LDTR_SELECTOR, 0, 0x82, 0xffff, 0);
	vmx_set_dtables(0, 0xffff, 0, 0xffff);
	vmcs_writel(GUEST_CR0, (cr0 | (caps->cr0_fixed0 & s->cr0_mask)) & caps->cr0_fixed1);
	vmcs_writel(CR0_READ_SHADOW, cr0);
	vmcs_writel(GUEST_CR4, caps->cr4_fixed0 & caps->cr4_fixed1);
	vmcs_writel(CR4_READ_SHADOW, 0);
	vmcs_writel(GUEST_CR3, 0);
	s->cr2 = 0;
	vmcs_write64(GUEST_IA32_EFER, 0);
	vmcs_write32(VM_ENTRY_CONTROLS, vmcs_read32(VM_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE);
	vmcs_write64(GUEST_IA32_PAT, PAT_RESET_VALUE);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_writel(GUEST_DR7, X86_DR7_RESET);
	vmcs_writel(GUEST_RFLAGS, 0x2);
	vmcs_writel(GUEST_RIP, st->ip);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO, 0);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writel(GUEST_SYSENTER_ESP, 0);
	vmcs_writel(GUEST_SYSENTER_EIP, 0);
	s->flush_vpid = vmx_this()->vpid;
	memset(v->gpr, 0, sizeof(v->gpr));
	v->gpr[GPR_RDX] = cpuid(1).eax;
}

/*
 * An NMI at the next entry, unless the guest blocks NMIs (virtual-NMI
 * blocking: it is in its NMI handler), is in an STI/MOV SS shadow (where
 * the entry would refuse one) or another event is being injected.  Then
 * NMI-window exiting makes the guest exit as soon as it may take it.
 *
 * "Virtual NMIs" is on with NMI exiting (platform_controls()): without it,
 * an injected NMI would leave the guest's NMIs blocked for good, as its
 * IRET does not unblock them while NMI exiting is on -- and Bochs saves
 * "blocked by NMI" on every NMI exit (docs/platform.md).
 */
bool vmx_inject_nmi(struct vcpu *v)
{
	vmcs_load(v->arch);
	if ((vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & 0xb) ||
	    (vmcs_read32(VM_ENTRY_INTR_INFO) & INTR_INFO_VALID)) {
		if (vmx_caps()->cpu.may & CPU_NMI_WINDOW_EXITING)
			vmcs_write32(CPU_BASED_VM_EXEC_CONTROL,
				     vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) |
				     CPU_NMI_WINDOW_EXITING);
		return false;
	}
	vmcs_write32(VM_ENTRY_INTR_INFO, NMI_VECTOR | INTR_TYPE_NMI | INTR_INFO_VALID);
	return true;
}
