// SPDX-License-Identifier: MIT
/*
 * Check h of probe.efi: the guards (docs/platform.md "Guards").  What the
 * guest must not be able to use against the hypervisor is hidden or
 * refused, and what it may use still works:
 *   - CPUID shows no SMX, no SKINIT, no Intel PT (7.0:EBX[25] clear, leaf
 *     0x14 all zeros), and PT's RTIT MSRs raise #GP;
 *   - IA32_APIC_BASE cannot put the xAPIC page on the hypervisor's pool
 *     (#GP, the old value stays), and moves to a page of the probe's own
 *     and back are accepted;
 *   - EFER takes every bit CPUID says the CPU has (NXE, SCE; on AMD also
 *     FFXSR, TCE, AutoIBRS where present): each set, read back, cleared
 *     again; on AMD SVME raises #GP (LMSLE is left out: CPUs from Zen 3
 *     drop it without saying so in CPUID, and so does QEMU);
 *   - IA32_FEATURE_CONTROL (Intel) reads locked, with SGX, SGX launch
 *     control and LMCE enabled where the CPU offers them.
 */
#include "arch/cpuid.h"
#include "arch/msr.h"
#include "arch/x86.h"
#include "probe.h"

#define PT_TRACE_CTL 0x570
#define PT_OUTPUT_BASE 0x560

static void check_cpuid_hidden(bool amd)
{
	struct cpuid_regs r = cpuid(1);
	u32 max = cpuid(0).eax;

	probe_check(!(r.ecx & CPUID1_ECX_SMX), "CPUID.1:ECX.SMX (bit 6) clear");
	if (amd)
		probe_check(!(cpuid(CPUID_EXT_FEATURES).ecx & CPUID81_ECX_SKINIT),
			    "CPUID.80000001:ECX.SKINIT (bit 12) clear");
	probe_check(max < 7 || !(cpuid_count(7, 0).ebx & CPUID7_EBX_PT),
		    "CPUID.7.0:EBX.PT (bit 25) clear");
	if (max >= CPUID_PT) {
		r = cpuid_count(CPUID_PT, 0);
		probe_check(!r.eax && !r.ebx && !r.ecx && !r.edx,
			    "CPUID leaf 0x14 (PT) reads all zeros (0x%x 0x%x 0x%x 0x%x)",
			    r.eax, r.ebx, r.ecx, r.edx);
	} else {
		probe_info("CPUID leaf 0x14 is beyond the highest basic leaf 0x%x", max);
	}
}

static void check_pt_msrs(void)
{
	u64 v;

	probe_check(probe_rdmsr(PT_TRACE_CTL, &v) < 0, "rdmsr IA32_RTIT_CTL (0x570) raises #GP");
	probe_check(probe_wrmsr(PT_TRACE_CTL, 0) < 0, "wrmsr IA32_RTIT_CTL (0x570) raises #GP");
	probe_check(probe_wrmsr(PT_OUTPUT_BASE, 0) < 0,
		    "wrmsr IA32_RTIT_OUTPUT_BASE (0x560) raises #GP");
}

/*
 * The APIC moves with interrupts off: nothing uses it meanwhile.  Onto the
 * pool: refused with #GP, the value unchanged.  Onto a page of the probe's
 * own and back: both accepted and read back.
 */
static void check_apic_base(u64 free_page, u64 pool)
{
	u64 flags = read_rflags(), was = 0, v = 0, moved = ~0ULL, back = ~0ULL, keep;
	int to_pool, to_free = -1, home = -1;

	if (probe_rdmsr(MSR_IA32_APIC_BASE, &was) || !(was & APIC_BASE_EN) ||
	    (was & APIC_BASE_X2APIC)) {
		probe_info("APIC base 0x%llx: not an enabled xAPIC, relocation not checked",
			   (unsigned long long)was);
		return;
	}
	keep = was & (APIC_BASE_EN | APIC_BASE_BSP);
	irq_disable();
	to_pool = probe_wrmsr(MSR_IA32_APIC_BASE, pool | keep);
	probe_rdmsr(MSR_IA32_APIC_BASE, &v);
	if (free_page) {
		to_free = probe_wrmsr(MSR_IA32_APIC_BASE, free_page | keep);
		probe_rdmsr(MSR_IA32_APIC_BASE, &moved);
		home = probe_wrmsr(MSR_IA32_APIC_BASE, was);
		probe_rdmsr(MSR_IA32_APIC_BASE, &back);
	}
	if (v != was)	/* do not leave the APIC on the pool */
		probe_wrmsr(MSR_IA32_APIC_BASE, was);
	if (flags & BIT(9))
		irq_enable();
	probe_check(to_pool < 0 && v == was, "IA32_APIC_BASE onto the hypervisor's pool (0x%llx) "
		    "raises #GP and keeps 0x%llx (%s, reads 0x%llx)", (unsigned long long)pool,
		    (unsigned long long)was, to_pool < 0 ? "#GP" : "accepted",
		    (unsigned long long)v);
	if (!free_page) {
		probe_info("no free page: APIC relocation not checked");
		return;
	}
	probe_check(!to_free && moved == (free_page | keep) && !home && back == was,
		    "IA32_APIC_BASE moved to a free page (0x%llx) and back is accepted (%d %d, "
		    "read 0x%llx then 0x%llx)", (unsigned long long)free_page, to_free, home,
		    (unsigned long long)moved, (unsigned long long)back);
}

/* The EFER bits CPUID says this CPU has, besides LME/LMA/SVME. */
static u64 efer_offered(bool amd)
{
	u32 max = cpuid(CPUID_EXT_MAX).eax;
	struct cpuid_regs e1 = { 0 };
	u64 bits = 0;

	if (max >= CPUID_EXT_FEATURES)
		e1 = cpuid(CPUID_EXT_FEATURES);
	if (e1.edx & CPUID81_EDX_SYSCALL)
		bits |= EFER_SCE;
	if (e1.edx & CPUID81_EDX_NX)
		bits |= EFER_NXE;
	if (!amd)
		return bits;
	if (e1.edx & CPUID81_EDX_FFXSR)
		bits |= EFER_FFXSR;
	if (e1.ecx & CPUID81_ECX_TCE)
		bits |= EFER_TCE;
	if (max >= CPUID_EXT_FEATURES2 && (cpuid(CPUID_EXT_FEATURES2).eax & CPUID821_EAX_AUTO_IBRS))
		bits |= EFER_AIBRSE;
	return bits;
}

static const char *efer_name(unsigned int bit)
{
	switch (bit) {
	case 0: return "SCE";
	case 11: return "NXE";
	case 13: return "LMSLE";
	case 14: return "FFXSR";
	case 15: return "TCE";
	case 21: return "AutoIBRS";
	default: return "?";
	}
}

/* Each offered bit set (on top of what is set) and read back, then cleared. */
static void check_efer(bool amd)
{
	u64 was, bits = efer_offered(amd), flags, on, off;
	unsigned int b;
	int w1, w2;

	if (probe_rdmsr(MSR_EFER, &was)) {
		probe_check(false, "rdmsr EFER");
		return;
	}
	probe_info("EFER 0x%llx; bits CPUID offers 0x%llx", (unsigned long long)was,
		   (unsigned long long)bits);
	for (b = 0; b < 64; b++) {
		if (!(bits & BIT_ULL(b)) || b == 0 || b == 11)	/* firmware and probe use them */
			continue;
		flags = read_rflags();
		irq_disable();
		w1 = probe_wrmsr(MSR_EFER, was | BIT_ULL(b));
		on = 0;
		probe_rdmsr(MSR_EFER, &on);
		w2 = probe_wrmsr(MSR_EFER, was);
		off = ~0ULL;
		probe_rdmsr(MSR_EFER, &off);
		if (flags & BIT(9))
			irq_enable();
		probe_check(!w1 && (on & BIT_ULL(b)) && !w2 && off == was,
			    "EFER.%s (bit %u) is set, read back and cleared (%d %d, 0x%llx 0x%llx)",
			    efer_name(b), b, w1, w2, (unsigned long long)on,
			    (unsigned long long)off);
	}
	/* NXE and SCE are in use: written again as they are, and read back. */
	for (b = 0; b <= 11; b += 11) {
		if (!(bits & BIT_ULL(b)))
			continue;
		w1 = probe_wrmsr(MSR_EFER, was | BIT_ULL(b));
		on = 0;
		probe_rdmsr(MSR_EFER, &on);
		probe_wrmsr(MSR_EFER, was);
		probe_check(!w1 && (on & BIT_ULL(b)), "EFER.%s (bit %u) is set and read back "
			    "(0x%llx)", efer_name(b), b, (unsigned long long)on);
	}
	if (amd)
		probe_check(probe_wrmsr(MSR_EFER, was | EFER_SVME) < 0,
			    "wrmsr EFER with SVME raises #GP");
}

static void check_feature_control(void)
{
	struct cpuid_regs l7 = cpuid(0).eax >= 7 ? cpuid_count(7, 0) : (struct cpuid_regs){ 0 };
	u64 fc = 0, mcg = 0, want = FEATURE_CONTROL_LOCKED;

	if (l7.ebx & CPUID7_EBX_SGX)
		want |= FEATURE_CONTROL_SGX;
	if (l7.ecx & CPUID7_ECX_SGX_LC)
		want |= FEATURE_CONTROL_SGX_LC;
	if (!probe_rdmsr(MSR_IA32_MCG_CAP, &mcg) && (mcg & MCG_CAP_LMCE_P))
		want |= FEATURE_CONTROL_LMCE;
	if (!probe_check(!probe_rdmsr(MSR_IA32_FEATURE_CONTROL, &fc),
			 "rdmsr IA32_FEATURE_CONTROL"))
		return;
	probe_check((fc & want) == want && !(fc & (FEATURE_CONTROL_VMXON_IN_SMX |
						    FEATURE_CONTROL_VMXON_OUTSIDE_SMX)),
		    "IA32_FEATURE_CONTROL reads locked with the enables the CPU offers, VMX hidden "
		    "(0x%llx, wants 0x%llx)", (unsigned long long)fc, (unsigned long long)want);
}

void probe_guards(bool intel, bool amd, u64 free_page, u64 pool)
{
	check_cpuid_hidden(amd);
	check_pt_msrs();
	check_apic_base(free_page, pool);
	check_efer(amd);
	if (intel)
		check_feature_control();
}
