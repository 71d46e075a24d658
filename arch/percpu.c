// SPDX-License-Identifier: MIT
/* Per-CPU data: which CPU the hypervisor's code runs on (arch/percpu.h). */
#include "arch/percpu.h"
#include "arch/msr.h"
#include "arch/x86.h"
#include "bug.h"

struct percpu percpu_area[NR_CPUS];
bool percpu_live;

u32 cpu_read_apic_id(void)
{
	if (cpuid(0).eax >= 0xb && cpuid_count(0xb, 0).ebx)
		return cpuid_count(0xb, 0).edx;
	return cpuid(1).ebx >> 24;
}

void percpu_install(unsigned int id, u32 apic_id)
{
	struct percpu *p;

	BUG_ON(id >= NR_CPUS);
	p = &percpu_area[id];
	p->self = p;
	p->id = id;
	p->apic_id = apic_id;
	if (!p->installed)
		p->fw_gs_base = rdmsr(MSR_GS_BASE);
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)p);
	p->installed = true;
	if (!id)
		__atomic_store_n(&percpu_live, true, __ATOMIC_RELEASE);
}

void percpu_uninstall(void)
{
	struct percpu *p = this_cpu();

	if (!p->installed)
		return;
	if (!p->id)
		__atomic_store_n(&percpu_live, false, __ATOMIC_RELEASE);
	wrmsr(MSR_GS_BASE, p->fw_gs_base);
	p->installed = false;
}
