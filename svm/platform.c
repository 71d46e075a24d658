// SPDX-License-Identifier: MIT
/*
 * The platform VM's vCPU under SVM: the CPU's own state as a guest, with
 * ports, interrupts and MSRs passed through except those SVM must hide.
 */
#include "svm_int.h"
#include "arch/cpuid.h"
#include "arch/cr.h"
#include "arch/guard.h"
#include "arch/msr.h"
#include "arch/trapnr.h"
#include "arch/mce.h"
#include "lib/string.h"
#include "errcode.h"
#include "vm/vm.h"
#include "vm/tick.h"
#include "lib/printk.h"

#define MSRPM_BYTES_PER_RANGE 0x800

/* The byte of msr's two bits (read, write) in the map and their shift;
 * false when the map has none (such an MSR always exits). */
static bool msrpm_slot(u32 msr, u32 *byte, u32 *shift)
{
	static const u32 range_base[3] = { 0x00000000, 0xc0000000, 0xc0010000 };
	unsigned int r;

	for (r = 0; r < 3; r++) {
		if (msr - range_base[r] < 0x2000) {
			u32 bit = (msr - range_base[r]) * 2;

			*byte = r * MSRPM_BYTES_PER_RANGE + bit / 8;
			*shift = bit % 8;
			return true;
		}
	}
	return false;
}

/* Intercepts reads and writes of msr; returns false if the map has no bit. */
static bool msrpm_intercept(u8 *msrpm, u32 msr)
{
	u32 byte, shift;

	if (!msrpm_slot(msr, &byte, &shift))
		return false;
	msrpm[byte] |= (u8)(3 << shift);
	return true;
}

/* Lets reads and writes of msr pass. */
static void msrpm_pass(u8 *msrpm, u32 msr)
{
	u32 byte, shift;

	if (msrpm_slot(msr, &byte, &shift))
		msrpm[byte] &= (u8)~(3 << shift);
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
	/* GS.base is ours now (arch/percpu.h): the guest gets the firmware's. */
	*(volatile u64 *)((u8 *)vmcb + VMCB_GS + VMCB_SEG_BASE) = this_cpu()->fw_gs_base;
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
	vmcb_write64(vmcb, VMCB_CR2, read_cr2());
	vmcb_write64(vmcb, VMCB_CR3, read_cr3());
	vmcb_write64(vmcb, VMCB_CR4, read_cr4());
	vmcb_write64(vmcb, VMCB_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	vmcb_write64(vmcb, VMCB_G_PAT, rdmsr(MSR_IA32_PAT));
	vmcb_write64(vmcb, VMCB_RFLAGS, cap->rflags);
	vmcb_write64(vmcb, VMCB_RIP, cap->rip);
	vmcb_write64(vmcb, VMCB_RSP, cap->rsp);
	vmcb_write64(vmcb, VMCB_DR6, X86_DR6_RESET);
	vmcb_write64(vmcb, VMCB_DR7, X86_DR7_RESET);
}

/* The MSRs a CPU without SVM shows differently: EFER.SVME, and no SVM MSRs. */
static const u32 hidden_msrs[] = { MSR_EFER, MSR_VM_CR, MSR_VM_IGNNE, MSR_SVM_SMM_CTL,
				   MSR_VM_HSAVE_PA };

/*
 * The firmware (and the OS after it) as a guest: ports, interrupts and
 * MSRs pass through, except the ports and MSRs cfg lists and the hidden
 * MSRs above.
 */
int svm_vcpu_init_capture(struct vcpu *v, const struct vcpu_config *cfg)
{
	struct svm_vcpu *s = svm_vcpu_alloc(v, 0);
	unsigned int i;
	void *vmcb;

	if (!s)
		return -ENOMEM;
	for (i = 0; i < cfg->nio_exits; i++)	/* any access touching the byte exits */
		((u8 *)s->iopm)[cfg->io_exits[i] / 8] |= (u8)(1 << (cfg->io_exits[i] % 8));
	for (i = 0; i < ARRAY_SIZE(hidden_msrs); i++)
		msrpm_intercept(s->msrpm, hidden_msrs[i]);
	for (i = 0; i < cfg->nmsr_exits; i++)
		msrpm_intercept(s->msrpm, cfg->msr_exits[i]);
	vmcb = s->vmcb;
	vmcb_write32(vmcb, VMCB_INTERCEPT_MISC1, VMCB_I1_CPUID | VMCB_I1_INVD | VMCB_I1_INVLPGA |
		     VMCB_I1_MSR_PROT | VMCB_I1_IOIO_PROT | VMCB_I1_SHUTDOWN |
		     (cfg->nmi_exits ? VMCB_I1_NMI : 0));
	vmcb_write32(vmcb, VMCB_INTERCEPT_MISC2,
		     VMCB_I2_VMRUN | VMCB_I2_VMMCALL | VMCB_I2_VMLOAD | VMCB_I2_VMSAVE |
		     VMCB_I2_STGI | VMCB_I2_CLGI | VMCB_I2_SKINIT | VMCB_I2_WBINVD |
		     VMCB_I2_XSETBV);
	vmcb_write32(vmcb, VMCB_INTERCEPT_EXC, BIT(MC_VECTOR));	/* logged by the host */
	vmcb_write64(vmcb, VMCB_NP_CTL, 1);
	platform_state(vmcb, cfg->capture);
	/* The host's CR4 from here on (the guest's is in the VMCB): with MCE, a
	 * machine check in the host reaches its handler instead of shutting
	 * the CPU down (arch/mce.c). */
	if (mce_supported())
		write_cr4(read_cr4() | X86_CR4_MCE);
	s->flushed_gen = ~0ULL;
	s->keep_svme = true;	/* EFER is in hidden_msrs */
	s->tick = tick_period_ns() != 0;
	if (s->tick && !this_cpu_id())
		pr_info("cpu%u: tick: every %llu ms, at the guest's interrupts (SVM INTR intercept: "
			"the host takes each and injects it)\n", this_cpu_id(),
			(unsigned long long)(tick_period_ns() / 1000000));
	v->arch = s;
	return 0;
}

/*
 * The EFER bits this CPU takes from a guest, found once: those CPUID
 * offers (guard_efer_svm()) that the CPU also keeps when the host sets
 * them for a moment -- an emulator may offer a bit by CPUID and still drop
 * it (QEMU's TCG drops LMSLE, and refuses a VMCB whose EFER has it).  Runs
 * in the host, interrupts off; the host's own EFER is put back.
 */
static u64 efer_settable(void)
{
	static u64 settable;
	struct cpuid_regs e1 = { 0 }, e8 = { 0 }, e21 = { 0 };
	u64 host, want, got, bit;
	u32 max;

	if (__atomic_load_n(&settable, __ATOMIC_RELAXED))
		return settable;
	max = cpuid(CPUID_EXT_MAX).eax;
	if (max >= CPUID_EXT_FEATURES)
		e1 = cpuid(CPUID_EXT_FEATURES);
	if (max >= CPUID_EXT_ADDR_SIZES)
		e8 = cpuid(CPUID_EXT_ADDR_SIZES);
	if (max >= CPUID_EXT_FEATURES2)
		e21 = cpuid(CPUID_EXT_FEATURES2);
	want = guard_efer_svm(&e1, &e8, &e21);
	host = rdmsr(MSR_EFER);
	for (bit = 1; bit; bit <<= 1) {
		if (!(want & bit) || (host & bit))
			continue;
		if (!wrmsr_safe(MSR_EFER, host | bit) || !rdmsr_safe(MSR_EFER, &got) ||
		    !(got & bit))
			want &= ~bit;
		wrmsr(MSR_EFER, host);
	}
	pr_info("cpu%u: SVM: the guest may set EFER bits 0x%llx (SVME stays the hypervisor's)\n",
		this_cpu_id(), (unsigned long long)want);
	__atomic_store_n(&settable, want, __ATOMIC_RELAXED);
	return want;
}

/*
 * EFER reads without SVME.  A write may set every bit the CPU has
 * (efer_settable(): AutoIBRS included where the CPU has it) but SVME, which
 * gets #GP as on a CPU without SVM, and is performed with SVME kept
 * underneath; LMA stays the CPU's, and LME cannot change while paging is
 * on (#GP, as on hardware).  The SVM MSRs raise #GP; anything else is not
 * SVM's (-ENOENT): MSRs outside the permission map's ranges always exit,
 * and the caller passes them on.
 */
int svm_vendor_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	void *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
	u64 efer = vmcb_read64(vmcb, VMCB_EFER), settable;
	unsigned int i;

	if (msr != MSR_EFER) {
		for (i = 0; i < ARRAY_SIZE(hidden_msrs); i++)
			if (msr == hidden_msrs[i])
				return -EPERM;
		return -ENOENT;
	}
	if (!write) {
		*val = efer & ~EFER_SVME;
		return 0;
	}
	settable = efer_settable();
	if (*val & ~(settable | EFER_LMA))
		return -EPERM;
	if (((*val ^ efer) & EFER_LME) && (vmcb_read64(vmcb, VMCB_CR0) & X86_CR0_PG))
		return -EPERM;
	vmcb_write64(vmcb, VMCB_EFER, (*val & settable) | (efer & EFER_LMA) | EFER_SVME);
	return 0;
}

/* VMCB TSC_OFFSET; the deadline MSR exits while it is not zero. */
void svm_set_tsc_offset(struct vcpu *v, u64 offset)
{
	struct svm_vcpu *s = v->arch;

	vmcb_write64(s->vmcb, VMCB_TSC_OFFSET, offset);
	if (offset)
		msrpm_intercept(s->msrpm, MSR_IA32_TSC_DEADLINE);
	else
		msrpm_pass(s->msrpm, MSR_IA32_TSC_DEADLINE);
}

/*
 * The state after INIT, then either a SIPI (real mode at vector:0000, APM
 * 14.1.3) or what firmware hands a waking OS (real mode at CS:IP, or flat
 * 32-bit protected mode with paging off), as struct vcpu_start says.
 */
void svm_vcpu_start(struct vcpu *v, const struct vcpu_start *st)
{
	struct svm_vcpu *s = v->arch;
	void *vmcb = s->vmcb;
	static const enum vmcb_field data[] = { VMCB_DS, VMCB_ES, VMCB_FS, VMCB_GS, VMCB_SS };
	const u16 big = VMCB_ATTR_DB | VMCB_ATTR_G;
	unsigned int i;

	if (st->flat32) {
		vmcb_set_seg(vmcb, VMCB_CS, VCPU_START_FLAT32_CS, 0x9b | big, 0xffffffff, 0);
		for (i = 0; i < ARRAY_SIZE(data); i++)
			vmcb_set_seg(vmcb, data[i], VCPU_START_FLAT32_DS, 0x93 | big, 0xffffffff, 0);
	} else {
		vmcb_set_seg(vmcb, VMCB_CS, st->cs, 0x9b, 0xffff, (u64)st->cs << 4);
		for (i = 0; i < ARRAY_SIZE(data); i++)
			vmcb_set_seg(vmcb, data[i], 0, 0x93, 0xffff, 0);
	}
	vmcb_set_seg(vmcb, VMCB_TR, 0, 0x8b, 0xffff, 0);
	vmcb_set_seg(vmcb, VMCB_LDTR, 0, 0x82, 0xffff, 0);
	vmcb_set_seg(vmcb, VMCB_GDTR, 0, 0, 0xffff, 0);
	vmcb_set_seg(vmcb, VMCB_IDTR, 0, 0, 0xffff, 0);
	vmcb_write8(vmcb, VMCB_CPL, 0);
	vmcb_write64(vmcb, VMCB_CR0, st->cr0 | (st->flat32 ? X86_CR0_PE : 0));
	vmcb_write64(vmcb, VMCB_CR2, 0);
	vmcb_write64(vmcb, VMCB_CR3, 0);
	vmcb_write64(vmcb, VMCB_CR4, 0);
	vmcb_write64(vmcb, VMCB_EFER, EFER_SVME);	/* SVME is the hypervisor's */
	vmcb_write64(vmcb, VMCB_G_PAT, PAT_RESET_VALUE);
	vmcb_write64(vmcb, VMCB_RFLAGS, 0x2);
	vmcb_write64(vmcb, VMCB_RIP, st->ip);
	vmcb_write64(vmcb, VMCB_DR6, X86_DR6_RESET);
	vmcb_write64(vmcb, VMCB_DR7, X86_DR7_RESET);
	vmcb_write64(vmcb, VMCB_EVENTINJ, 0);
	vmcb_write8(vmcb, VMCB_TLB_CONTROL, svm_caps()->flush_by_asid ? VMCB_TLB_FLUSH_ASID :
		    VMCB_TLB_FLUSH_ALL);
	memset(v->gpr, 0, sizeof(v->gpr));
	v->gpr[GPR_RDX] = cpuid(1).eax;
}

/*
 * An NMI at the next VMRUN (EVENTINJ type NMI, vector 2), unless another
 * event is being injected (then at a later one).  The guest's own NMI
 * masking is not seen here: an NMI that arrives while the guest still runs
 * its NMI handler is injected into it (docs/platform.md).
 */
bool svm_inject_nmi(struct vcpu *v)
{
	void *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;

	if (vmcb_read64(vmcb, VMCB_EVENTINJ) & VMCB_EVT_VALID)
		return false;
	vmcb_write64(vmcb, VMCB_EVENTINJ, NMI_VECTOR | VMCB_EVT_TYPE_NMI | VMCB_EVT_VALID);
	return true;
}
