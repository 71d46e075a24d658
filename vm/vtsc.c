// SPDX-License-Identifier: MIT
/* The guest's own TSC (contract in include/vm/vtsc.h). */
#include "vm/vtsc.h"
#include "vm/vm.h"
#include "arch/msr.h"
#include "arch/cpu.h"
#include "arch/percpu.h"
#include "arch/x86.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/ratelimit.h"

const u32 vtsc_msrs[2] = { MSR_IA32_TSC, MSR_IA32_TSC_ADJUST };

/* A guest may write its TSC in a loop: a few lines, the rest counted. */
static struct ratelimit tsc_log = RATELIMIT_INIT(5000, 8);

void vtsc_init(struct vcpu *v)
{
	v->tsc_offset = 0;
	v->has_tsc_adjust = rdmsr_safe(MSR_IA32_TSC_ADJUST, &v->tsc_adjust);
	if (!v->has_tsc_adjust)
		v->tsc_adjust = 0;
}

static void set_offset(struct vcpu *v, u64 offset, const char *what, u64 val)
{
	u32 missed;

	v->tsc_offset = offset;
	virt->set_tsc_offset(v, offset);
	if (!ratelimit_ok(&tsc_log, ns_since_boot(), &missed))
		return;
	if (missed)
		pr_info("vm %s: %u more guest TSC writes not logged\n", v->vm->name, missed);
	if (!offset)
		pr_info("vm %s: cpu%u: the guest wrote %s 0x%llx: its TSC is the host's again\n",
			v->vm->name, v->id, what, (unsigned long long)val);
	else
		pr_info("vm %s: cpu%u: the guest wrote %s 0x%llx: its TSC runs %s the host's by "
			"0x%llx (the host's clock is not moved)\n", v->vm->name, v->id, what,
			(unsigned long long)val, (s64)offset < 0 ? "behind" : "ahead of",
			(unsigned long long)((s64)offset < 0 ? -offset : offset));
}

/*
 * The deadline the guest wrote (its clock) as the host's TSC value, and
 * back.  0 disarms the timer in both: a deadline that lands on 0 is 1.
 */
static u64 deadline_to_host(const struct vcpu *v, u64 guest)
{
	u64 host = guest - v->tsc_offset;

	return guest && !host ? 1 : guest ? host : 0;
}

int vtsc_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	u64 delta;

	switch (msr) {
	case MSR_IA32_TSC:
		if (!write) {
			*val = rdtsc() + v->tsc_offset;
			return 0;
		}
		/* TSC_ADJUST moves with a TSC write by the same amount (SDM vol. 3). */
		delta = *val - (rdtsc() + v->tsc_offset);
		v->tsc_adjust += delta;
		set_offset(v, v->tsc_offset + delta, "IA32_TSC", *val);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		if (!v->has_tsc_adjust)
			return -EPERM;
		if (!write) {
			*val = v->tsc_adjust;
			return 0;
		}
		delta = *val - v->tsc_adjust;
		v->tsc_adjust = *val;
		set_offset(v, v->tsc_offset + delta, "IA32_TSC_ADJUST", *val);
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		if (write)
			return wrmsr_safe(msr, deadline_to_host(v, *val)) ? 0 : -EPERM;
		if (!rdmsr_safe(msr, val))
			return -EPERM;
		if (*val)
			*val += v->tsc_offset;
		return 0;
	default:
		return -ENOENT;
	}
}
