// SPDX-License-Identifier: MIT
/*
 * A VM's nested paging: the NPT format and levels mm/ walks, its ASID, and
 * the TLB flushes, which go through TLB_CONTROL on the next VMRUN:
 * flush-by-ASID where the CPU offers it, else flush-all.
 */
#include "svm_int.h"
#include "errcode.h"
#include "mm/mm_hooks.h"
#include "mm/page_alloc.h"
#include "lib/tag.h"
#include "vm/vm.h"

/* ASIDs are a VM's on every CPU: handed out as VMs are made. */
static u32 next_asid = 1;

/* The TDP MMU's flush: every vCPU of the VM flushes on its next VMRUN.  Test
 * vCPUs run only on the CPU that asks, between their runs, so no guest can
 * use a stale translation before that VMRUN. */
static void svm_flush_tlbs(struct tdp_mmu *mmu)
{
	vm_flush_remote_tlbs(mmu->priv);
}

static const struct tdp_mmu_ops svm_mmu_ops = { .flush_tlbs = svm_flush_tlbs };

int svm_vm_init(struct vm *vm)
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
	/* Wraps to reuse: the first VMRUN flushes it. */
	vm->asid = tag_alloc(&next_asid, svm_caps()->nasid - 1);
	vm->arch = s;
	return 0;
}

void svm_vm_destroy(struct vm *vm)
{
	free_page(vm->arch);
	vm->arch = NULL;
}

/* Points the VMCB at the vCPU's current root and asks this VMRUN for the
 * TLB flush a TDP change since its last run needs (TLB_CONTROL is reset
 * after every VMRUN). */
void svm_flush_before_run(struct vcpu *v, struct svm_vcpu *s)
{
	u64 gen = __atomic_load_n(&v->vm->tlb_gen, __ATOMIC_SEQ_CST);

	vmcb_write64(s->vmcb, VMCB_N_CR3, mm_virt_to_phys(v->tdp.root->pt));
	if (s->flushed_gen != gen) {
		vmcb_write8(s->vmcb, VMCB_TLB_CONTROL, svm_caps()->flush_by_asid ?
			    VMCB_TLB_FLUSH_ASID : VMCB_TLB_FLUSH_ALL);
		s->flushed_gen = gen;
	}
	__atomic_store_n(&v->tlb_gen, gen, __ATOMIC_RELEASE);
}
