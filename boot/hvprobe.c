// SPDX-License-Identifier: MIT
/*
 * hvprobe: hv.efi, booted as the platform VM's guest, checks from the inside
 * that the hypervisor's memory is out of its reach.  It asks where that
 * memory is (HC_HV_MEMORY), then reads and writes there: every page must
 * be the one scratch page that stands in for it (all ones, and a write to
 * one page shows at the others -- the hypervisor's own pages all differ).  It also checks that the CPU
 * looks like one without VMX or SVM (CPUID, CR4.VMXE, the vendor's MSRs),
 * that XSETBV is validated and that INVD exits.  The verdict is one log
 * line per check, for the tests to read.
 */
#include "arch/cpu.h"
#include "arch/cpuid.h"
#include "arch/msr.h"
#include "arch/x86.h"
#include "arch/xsave.h"
#include "boot/hvprobe.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "vm/guest.h"

static struct hc_hv_memory where;

static unsigned int failures;

static void check(bool ok, const char *what)
{
	pr_info("hvprobe: %s: %s\n", what, ok ? "ok" : "FAILED");
	failures += !ok;
}

/*
 * XSETBV goes through the hypervisor: the value in use is accepted, values
 * the CPU would refuse #GP in the guest (and nothing breaks in the host).
 */
static void probe_xsetbv(void)
{
	u64 cr4 = read_cr4(), xcr0;

	if (!(cpuid(1).ecx & CPUID1_ECX_XSAVE)) {
		pr_info("hvprobe: no XSAVE on this CPU: XSETBV not probed\n");
		return;
	}
	/* CPUID's OSXSAVE is the guest's CR4 bit, not the host's. */
	write_cr4(cr4 & ~X86_CR4_OSXSAVE);
	check(!(cpuid(1).ecx & CPUID1_ECX_OSXSAVE), "CPUID.1:ECX.OSXSAVE reads 0 with CR4.OSXSAVE clear");
	write_cr4(cr4 | X86_CR4_OSXSAVE);
	check(cpuid(1).ecx & CPUID1_ECX_OSXSAVE, "CPUID.1:ECX.OSXSAVE reads 1 with CR4.OSXSAVE set");
	xcr0 = xgetbv(0);
	check(xsetbv_safe(0, xcr0), "XSETBV of the XCR0 in use is accepted");
	check(!xsetbv_safe(0, 0), "XSETBV without x87 gets #GP");
	check(!xsetbv_safe(0, xcr0 | XFEATURE_AVX) || (xcr0 & XFEATURE_SSE) ||
	      !xsetbv_safe(0, xcr0), "XSETBV of AVX without SSE gets #GP");
	check(!xsetbv_safe(1, 1), "XSETBV of XCR1 gets #GP");
	check(xgetbv(0) == xcr0, "XCR0 is unchanged after the refused values");
	write_cr4(cr4);
}

/* What a CPU without VMX or SVM would show: checked from the inside. */
static void probe_cpu_view(const struct cpu_caps *caps)
{
	struct hc_stats before, after;
	u64 v;

	check(!(cpuid(1).ecx & CPUID1_ECX_VMX), "CPUID hides VMX");
	check(!(cpuid(CPUID_EXT_FEATURES).ecx & CPUID81_ECX_SVM), "CPUID hides SVM");
	check(!(read_cr4() & X86_CR4_VMXE), "CR4.VMXE reads 0");
	if (caps->vendor == VENDOR_INTEL) {
		/* VMX keeps the real bit set under a guest/host mask. */
		check(!write_cr4_safe(read_cr4() | X86_CR4_VMXE), "setting CR4.VMXE gets #GP");
		check(!(read_cr4() & X86_CR4_VMXE), "CR4.VMXE still reads 0");
		check(!rdmsr_safe(MSR_IA32_VMX_BASIC, &v), "IA32_VMX_BASIC gets #GP");
		check(!rdmsr_safe(MSR_IA32_FEATURE_CONTROL, &v) ||
		      !(v & (FEATURE_CONTROL_VMXON_IN_SMX | FEATURE_CONTROL_VMXON_OUTSIDE_SMX)),
		      "IA32_FEATURE_CONTROL shows VMX disabled");
		check(!rdmsr_safe(MSR_IA32_FEATURE_CONTROL, &v) ||
		      !wrmsr_safe(MSR_IA32_FEATURE_CONTROL, v),
		      "IA32_FEATURE_CONTROL cannot be written");
	} else {
		/* On AMD CR4.VMXE is reserved and the CPU itself refuses it (QEMU's
		 * TCG takes it and then fails VMRUN): not probed here. */
		check(!(rdmsr(MSR_EFER) & EFER_SVME), "EFER.SVME reads 0");
		check(!wrmsr_safe(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME), "setting EFER.SVME gets #GP");
		check(!rdmsr_safe(MSR_VM_CR, &v), "VM_CR gets #GP");
	}
	probe_xsetbv();
	/* INVD would drop the hypervisor's dirty cache lines: it must exit. */
	if (!guest_hypercall(HC_STATS, (u64)(uintptr_t)&before, 0, 0, 0)) {
		invd();
		guest_hypercall(HC_STATS, (u64)(uintptr_t)&after, 0, 0, 0);
		/* exits: the second HC_STATS itself, plus INVD */
		check(after.exits >= before.exits + 2, "INVD exits to the hypervisor");
	}
}

/*
 * The first, a middle and the last page of the range read as all ones; a
 * word written to the first shows at the other two, then the ones are
 * written back.
 */
static bool range_hidden(u64 base, u64 size)
{
	const u64 offs[3] = { 0, (size / 2) & ~(PAGE_SIZE - 1), size - PAGE_SIZE };
	volatile u64 *p[3];
	bool ok = true;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		p[i] = (volatile u64 *)(uintptr_t)(base + offs[i] + 8);
		ok &= *p[i] == ~0ULL;
	}
	*p[0] = 0x600dc0de;
	ok &= *p[1] == 0x600dc0de && *p[2] == 0x600dc0de;
	*p[0] = ~0ULL;
	return ok;
}

int hvprobe(const struct cpu_caps *caps)
{
	long r;
	u64 i;

	if (!caps->hypervisor || strncmp(caps->hv_signature, "tdpvisor", 8)) {
		pr_err("hvprobe: not running under tdpvisor\n");
		return -1;
	}
	guest_use_vmmcall = caps->vendor == VENDOR_AMD;
	r = guest_hypercall(HC_HV_MEMORY, (u64)(uintptr_t)&where, 0, 0, 0);
	if (r || !where.count) {
		pr_err("hvprobe: HC_HV_MEMORY failed (%ld)\n", r);
		return -1;
	}
	probe_cpu_view(caps);
	for (i = 0; i < where.count && i < ARRAY_SIZE(where.range); i++) {
		u64 b = where.range[i].base, s = where.range[i].size;
		bool hidden = range_hidden(b, s);

		pr_info("hvprobe: hypervisor memory [0x%llx-0x%llx]: %s\n", (unsigned long long)b,
			(unsigned long long)(b + s - 1),
			hidden ? "reads as all ones, a write shows at every page: one scratch "
			"page, out of reach" : "REACHABLE");
		failures += !hidden;
	}
	return failures ? -1 : 0;
}
