// SPDX-License-Identifier: MIT
/*
 * Page-modification logging.  While one of a VM's slots logs in
 * TDP_DIRTY_PML mode, its vCPUs run with "enable PML", and the CPU stores
 * the GPA of every write that sets an EPT dirty bit into the vCPU's 4 KiB
 * log, from entry 511 down.  A full log exits (reason 62) and is drained
 * into the slots' bitmaps; a harvest drains every vCPU's log first
 * (tdp_mmu_ops.flush_dirty_logs).
 */
#include "vmx_int.h"
#include "vm/vm.h"

#define PML_ENTRIES 512
#define PML_INDEX_START (PML_ENTRIES - 1)

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
void vmx_flush_pml(struct tdp_mmu *mmu)
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
void vmx_pml_update(struct vcpu *v, struct vmx_vcpu *s)
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
void vmx_pml_full(struct vcpu *v)
{
	tdp_vcpu_read_lock(&v->tdp);
	pml_drain(&v->vm->mmu, v->arch);
	tdp_vcpu_read_unlock(&v->tdp);
}
