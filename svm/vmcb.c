// SPDX-License-Identifier: MIT
/*
 * Setting up a VMCB: the intercepts and 64-bit state of a test vCPU, and
 * the VMCB and permission maps every vCPU gets.
 */
#include "svm_int.h"
#include "arch/trapnr.h"
#include "arch/msr.h"
#include "errcode.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vm/vm.h"

#define SVM_IOPM_ORDER 2	/* 12 KiB used of 16 */
#define SVM_MSRPM_ORDER 1	/* 8 KiB */

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
	vmcb_write32(vmcb, VMCB_INTERCEPT_EXC, BIT(MC_VECTOR));	/* logged by the host */
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
	vmcb_write64(vmcb, VMCB_DR6, X86_DR6_RESET);
	vmcb_write64(vmcb, VMCB_DR7, X86_DR7_RESET);
	vmcb_write8(vmcb, VMCB_CPL, 0);
}

void svm_vcpu_free(struct svm_vcpu *s)
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
struct svm_vcpu *svm_vcpu_alloc(struct vcpu *v, u8 fill)
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
int svm_vcpu_init_boot(struct vcpu *v, const struct vcpu_boot *b)
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
