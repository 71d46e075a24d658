// SPDX-License-Identifier: MIT
/*
 * Hypercalls (ABI in include/vm/hypercall.h): the calls every VM has; the
 * rest are the kind's (vm_kind_ops.hypercall).  Check, then act: the caller's
 * privilege, the call number and every byte of every guest buffer are
 * validated before anything is written; a failed check returns an error in
 * RAX and changes nothing else.
 */
#include "vm/run.h"
#include "vm/hypercall.h"
#include "arch/trapnr.h"
#include "errcode.h"
#include "mm/tdp_mmu.h"
#include "lib/console.h"
#include "lib/string.h"

_Static_assert(MT_UC == HC_MT_UC && MT_WC == HC_MT_WC && MT_WT == HC_MT_WT &&
	       MT_WP == HC_MT_WP && MT_WB == HC_MT_WB,
	       "HC_GPA_MAPPING reports enum tdp_memtype as it is");
_Static_assert(TDP_LEVEL_4K == HC_LEVEL_4K && TDP_LEVEL_2M == HC_LEVEL_2M &&
	       TDP_LEVEL_1G == HC_LEVEL_1G, "HC_GPA_MAPPING reports TDP levels as they are");

static s64 hc_log_read(struct vcpu *v, gpa_t gpa, u64 len, u64 off)
{
	char chunk[256];
	u64 done = 0;

	if (len > HC_MAX_BUFFER)
		return -E2BIG;
	if (!vm_gpa_range_ok(v->vm, gpa, len, true))
		return -EFAULT;
	while (done < len) {
		size_t n = log_ring_read(off + done, chunk, MIN(len - done, sizeof(chunk)));

		if (!n)
			break;
		vm_write_gpa(v->vm, gpa + done, chunk, n);
		done += n;
	}
	return (s64)done;
}

static s64 hc_stats(struct vcpu *v, gpa_t gpa)
{
	const struct vm_stats s = vm_stats(v->vm);
	struct hc_stats out = {
		.exits = s.exits,
		.tdp_faults = s.tdp_faults,
		.mmio_exits = s.mmio_exits,
		.hypercalls = s.by_reason[VMEXIT_HYPERCALL],
	};

	return vm_write_gpa(v->vm, gpa, &out, sizeof(out)) ? -EFAULT : 0;
}

/*
 * What v's TDP root maps gpa to, as struct hc_gpa_mapping (a read-only
 * lookup: nothing is faulted in).  The output is checked whole first.
 */
static s64 hc_gpa_mapping(struct vcpu *v, gpa_t gpa, gpa_t out_gpa)
{
	struct hc_gpa_mapping out = { .gpa = gpa };
	struct tdp_mapping m;

	if (!vm_gpa_range_ok(v->vm, out_gpa, sizeof(out), true))
		return -EFAULT;
	if (tdp_mmu_lookup(&v->tdp, gpa_to_gfn(gpa), &m))
		return -EINVAL;
	out.level = (u64)m.level;
	if (m.present) {
		out.present = 1;
		out.perms = ((m.access & TDP_ACC_R) ? HC_PERM_R : 0) |
			    ((m.access & TDP_ACC_W) ? HC_PERM_W : 0) |
			    ((m.access & TDP_ACC_X) ? HC_PERM_X : 0);
		/* enum tdp_memtype uses the architectural numbering. */
		out.memtype = m.memtype < MT_NR ? (u64)m.memtype : HC_MT_UNKNOWN;
		out.hpa = m.hpa + (gpa & (PAGE_SIZE - 1));
	}
	return vm_write_gpa(v->vm, out_gpa, &out, sizeof(out)) ? -EFAULT : 0;
}

int vcpu_hypercall(struct vcpu *v, const struct vm_exit *e, struct vcpu_event *ev)
{
	u64 nr = v->gpr[GPR_RAX];
	s64 ret = 0;
	int r;

	if (virt->get_cpl(v) != 0) {
		virt->inject_exception(v, UD_VECTOR, false, 0);
		return 0;
	}
	r = vcpu_skip_insn(v, e);
	if (r)
		return r < 0;	/* dead: an event; or the guest takes a fault first */
	if (!virt->long_mode(v))
		nr = (u32)nr;	/* outside long mode the number is EAX */
	if (nr - HC_BASE >= HC_SPAN) {
		/* Another hypervisor's call (KVM's, Hyper-V's): nothing of ours. */
		v->gpr[GPR_RAX] = (u64)(s64)-ENOSYS;
		return 0;
	}
	switch (nr) {
	case HC_VERSION:
		ret = HC_ABI_VERSION;
		break;
	case HC_LOG_READ:
		ret = hc_log_read(v, v->gpr[GPR_RBX], v->gpr[GPR_RCX], v->gpr[GPR_RDX]);
		break;
	case HC_STATS:
		ret = hc_stats(v, v->gpr[GPR_RBX]);
		break;
	case HC_GPA_MAPPING:
		ret = hc_gpa_mapping(v, v->gpr[GPR_RBX], v->gpr[GPR_RCX]);
		break;
	default:
		/* The kind's own calls: 1 is an event for the owner. */
		r = v->vm->kind->hypercall(v, nr, ev, &ret);
		if (r == 1)
			return 1;
		if (r < 0)
			ret = r;
	}
	v->gpr[GPR_RAX] = (u64)ret;
	return 0;
}
