// SPDX-License-Identifier: MIT
/*
 * Machine checks: reading and logging the error banks, and the host's part
 * of one (include/arch/mce.h).
 */
#include "arch/mce.h"
#include "arch/percpu.h"
#include "arch/x86.h"
#include "lib/printk.h"
#include "lib/string.h"

bool mce_supported(void)
{
	const u32 need = CPUID1_EDX_MCE | CPUID1_EDX_MCA;

	return (cpuid(1).edx & need) == need;
}

void mce_read(struct mce_record *r)
{
	u64 cap = 0, st;
	u32 i;

	memset(r, 0, sizeof(*r));
	if (!rdmsr_safe(MSR_IA32_MCG_CAP, &cap))
		return;
	r->nbanks = (u32)(cap & MCG_CAP_COUNT_MASK);
	r->mcg_status = rdmsr_or_zero(MSR_IA32_MCG_STATUS);
	for (i = 0; i < r->nbanks && i < MCE_MAX_BANKS; i++) {
		if (!rdmsr_safe(MSR_IA32_MC0_STATUS + 4 * i, &st) || !(st & MCI_STATUS_VAL))
			continue;
		r->valid[r->nvalid].bank = i;
		r->valid[r->nvalid].status = st;
		if (st & MCI_STATUS_ADDRV)
			r->valid[r->nvalid].addr = rdmsr_or_zero(MSR_IA32_MC0_ADDR + 4 * i);
		if (st & MCI_STATUS_MISCV)
			r->valid[r->nvalid].misc = rdmsr_or_zero(MSR_IA32_MC0_MISC + 4 * i);
		r->nvalid++;
	}
}

void mce_log(const struct mce_record *r, unsigned int cpu, const char *where)
{
	u32 i;

	pr_emerg("cpu%u: machine check %s: MCG_STATUS 0x%llx (%s%s%s), %u of %u banks valid\n",
		 cpu, where, (unsigned long long)r->mcg_status,
		 r->mcg_status & MCG_STATUS_MCIP ? "in progress" : "not in progress",
		 r->mcg_status & MCG_STATUS_RIPV ? ", may restart" : ", cannot restart",
		 r->mcg_status & MCG_STATUS_EIPV ? ", at RIP" : "", r->nvalid, r->nbanks);
	for (i = 0; i < r->nvalid; i++)
		pr_emerg("cpu%u:   bank %u: status 0x%016llx%s%s%s addr 0x%llx misc 0x%llx\n", cpu,
			 r->valid[i].bank, (unsigned long long)r->valid[i].status,
			 r->valid[i].status & MCI_STATUS_UC ? " uncorrected" : " corrected",
			 r->valid[i].status & MCI_STATUS_PCC ? ", context corrupt" : "",
			 r->valid[i].status & MCI_STATUS_OVER ? ", overflow" : "",
			 (unsigned long long)r->valid[i].addr, (unsigned long long)r->valid[i].misc);
}

bool mce_host_trap(void)
{
	struct percpu *p = this_cpu();

	if (!(rdmsr_or_zero(MSR_IA32_MCG_STATUS) & MCG_STATUS_RIPV))
		return false;
	/* No printing here: a pending count, the banks stay for the OS. */
	__atomic_add_fetch(&p->host_mces, 1, __ATOMIC_ACQ_REL);
	return true;
}

u32 mce_take_pending(struct mce_record *r)
{
	struct percpu *p = this_cpu();
	u32 n = __atomic_load_n(&p->host_mces, __ATOMIC_RELAXED) ?
		__atomic_exchange_n(&p->host_mces, 0, __ATOMIC_ACQ_REL) : 0;

	if (n)
		mce_read(r);
	return n;
}
