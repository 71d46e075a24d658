// SPDX-License-Identifier: MIT
/*
 * A VM's EPT and VPID: the format and levels mm/ walks, the EPTP, and the
 * TLB flushes.  TLB flushes of the TDP MMU are INVEPT single-context on the
 * vCPU's EPTP before its next entry; all test vCPUs run on the CPU that
 * asks, between their entries.
 */
#include "vmx_int.h"
#include "errcode.h"
#include "mm/mm_hooks.h"
#include "mm/page_alloc.h"
#include "lib/tag.h"
#include "vm/vm.h"

/* VPIDs are a VM's on every CPU: handed out as VMs are made. */
static u32 next_vpid = 1;

static void invept_single(u64 eptp)
{
	struct invept_desc d = { .eptp = eptp };
	u64 type = (vmx_caps()->ept_vpid & VMX_EPT_CAP_INVEPT_SINGLE) ? INVEPT_SINGLE_CONTEXT :
		   INVEPT_ALL_CONTEXT;

	if (__invept(type, &d))
		vmx_insn_failed("invept", VMCS_NO_FIELD);
}

static void invvpid_single(u16 vpid)
{
	struct invvpid_desc d = { .vpid = vpid };
	u64 type = (vmx_caps()->ept_vpid & VMX_VPID_CAP_INVVPID_SINGLE) ? INVVPID_SINGLE_CONTEXT :
		   INVVPID_ALL_CONTEXT;

	if (__invvpid(type, &d))
		vmx_insn_failed("invvpid", VMCS_NO_FIELD);
}

/* The TDP MMU's flush: every vCPU of the VM runs INVEPT on its EPTP, on
 * its own CPU, before its next entry; vCPUs in the guest are made to exit
 * first (vm_flush_remote_tlbs()). */
static void vmx_flush_tlbs(struct tdp_mmu *mmu)
{
	vm_flush_remote_tlbs(mmu->priv);
}

static const struct tdp_mmu_ops vmx_mmu_ops = { .flush_tlbs = vmx_flush_tlbs };
static const struct tdp_mmu_ops vmx_mmu_ops_pml = {
	.flush_tlbs = vmx_flush_tlbs, .flush_dirty_logs = vmx_flush_pml,
};

int vmx_vm_init(struct vm *vm)
{
	const struct vmx_caps *caps = vmx_caps();
	struct vmx_vm *x = alloc_zeroed_page();
	int err;

	if (!x)
		return -ENOMEM;
	err = tdp_mmu_init(&vm->mmu, caps->ept_ad ? &spte_fmt_ept : &spte_fmt_ept_noad, 4,
			   caps->pml ? &vmx_mmu_ops_pml : &vmx_mmu_ops, vm);
	if (err) {
		free_page(x);
		return err;
	}
	/* The page sizes this EPT can map (a 1G leaf elsewhere is a misconfiguration). */
	vm->policy.max_level = caps->ept_1g ? TDP_LEVEL_1G :
			       caps->ept_2m ? TDP_LEVEL_2M : TDP_LEVEL_4K;
	if (vmx_this()->vpid) {
		/* Wraps to reuse: INVVPID before the first entry. */
		vm->asid = tag_alloc(&next_vpid, VMX_MAX_VPID);
	}
	vm->arch = x;
	return 0;
}

void vmx_vm_destroy(struct vm *vm)
{
	free_page(vm->arch);
	vm->arch = NULL;
}

static u64 make_eptp(struct vcpu *v)
{
	return mm_virt_to_phys(v->tdp.root->pt) | EPTP_MT_WB | (3ULL << EPTP_PWL_SHIFT) |
	       (vmx_caps()->ept_ad ? EPTP_AD_ENABLE : 0);
}

/* Flushes what this vCPU's next entry must not see: INVVPID for a VPID
 * that may have served another VM, INVEPT for a new root or a TDP flush.
 * Points the VMCS at the vCPU's current root. */
void vmx_flush_before_entry(struct vcpu *v, struct vmx_vcpu *s)
{
	u64 eptp = make_eptp(v), gen = __atomic_load_n(&v->vm->tlb_gen, __ATOMIC_SEQ_CST);

	if (s->flush_vpid) {
		invvpid_single((u16)v->vm->asid);
		s->flush_vpid = false;
	}
	if (eptp != s->eptp || s->flushed_gen != gen) {
		if (eptp != s->eptp)
			vmcs_write64(EPT_POINTER, eptp);
		invept_single(eptp);
		s->eptp = eptp;
		s->flushed_gen = gen;
	}
	__atomic_store_n(&v->tlb_gen, gen, __ATOMIC_RELEASE);
}
