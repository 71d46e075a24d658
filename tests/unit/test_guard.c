// SPDX-License-Identifier: MIT
/*
 * Unit tests of the guards' checks (arch/guard.c): made-up hypervisor
 * ranges and the values a guest could write, each test one rule.
 */
#include "arch/guard.h"
#include "arch/msr.h"
#include "lib/ktest.h"
#include "lib/string.h"

#define MiB(x) ((u64)(x) << 20)
#define GiB(x) ((u64)(x) << 30)
#define POOL MiB(1024 + 64)	/* 64 MiB at 1 GiB + 64 MiB */
#define IMAGE (GiB(5) + MiB(2))	/* 1 MiB above 4 GiB */

/* A pool below 4 GiB and an image above it, as on a machine with more RAM. */
static const struct guard_ranges hv = {
	.n = 2, .r = { { POOL, MiB(64) }, { IMAGE, MiB(1) } },
};

KTEST(guard_refuses_an_enabled_xapic_page_on_hypervisor_memory)
{
	const u64 en = APIC_BASE_EN | APIC_BASE_BSP;

	KT_EXPECT(t, guard_apic_base_ok(&hv, 46, 0xfee00000 | en));
	KT_EXPECT(t, !guard_apic_base_ok(&hv, 46, POOL | en));
	KT_EXPECT(t, !guard_apic_base_ok(&hv, 46, (POOL + MiB(64) - PAGE_SIZE) | en));
	KT_EXPECT(t, guard_apic_base_ok(&hv, 46, (POOL + MiB(64)) | en));
	KT_EXPECT(t, guard_apic_base_ok(&hv, 46, (POOL - PAGE_SIZE) | en));
	KT_EXPECT(t, !guard_apic_base_ok(&hv, 46, IMAGE | APIC_BASE_EN));
	/* No page decoded: disabled, or in x2APIC mode. */
	KT_EXPECT(t, guard_apic_base_ok(&hv, 46, POOL | APIC_BASE_BSP));
	KT_EXPECT(t, guard_apic_base_ok(&hv, 46, POOL | en | APIC_BASE_X2APIC));
	/* Bits above MAXPHYADDR do not move the page elsewhere. */
	KT_EXPECT(t, !guard_apic_base_ok(&hv, 36, (1ULL << 40) | POOL | en));
}

KTEST(guard_names_every_rtit_msr_and_nothing_around_them)
{
	static const u32 pt[] = { 0x560, 0x561, 0x570, 0x571, 0x572, 0x580, 0x585, 0x58b };
	static const u32 not_pt[] = { 0x55f, 0x562, 0x56f, 0x573, 0x57f, 0x58c, 0x1b, 0x277 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pt); i++)
		KT_EXPECT(t, guard_is_rtit_msr(pt[i]));
	for (i = 0; i < ARRAY_SIZE(not_pt); i++)
		KT_EXPECT(t, !guard_is_rtit_msr(not_pt[i]));
}

KTEST(guard_hides_smx_skinit_and_processor_trace)
{
	struct cpuid_regs r;

	memset(&r, 0xff, sizeof(r));
	guard_cpuid(1, 0, &r);
	KT_EXPECT_EQ(t, r.ecx, ~CPUID1_ECX_SMX);
	KT_EXPECT_EQ(t, r.ebx, 0xffffffffu);
	memset(&r, 0xff, sizeof(r));
	guard_cpuid(7, 0, &r);
	KT_EXPECT_EQ(t, r.ebx, ~CPUID7_EBX_PT);
	KT_EXPECT_EQ(t, r.ecx, 0xffffffffu);
	memset(&r, 0xff, sizeof(r));
	guard_cpuid(7, 1, &r);		/* another sub-leaf: not PT's bit */
	KT_EXPECT_EQ(t, r.ebx, 0xffffffffu);
	memset(&r, 0xff, sizeof(r));
	guard_cpuid(CPUID_PT, 0, &r);
	KT_EXPECT(t, !r.eax && !r.ebx && !r.ecx && !r.edx);
	memset(&r, 0xff, sizeof(r));
	guard_cpuid(CPUID_PT, 1, &r);
	KT_EXPECT(t, !r.eax && !r.ebx && !r.ecx && !r.edx);
	memset(&r, 0xff, sizeof(r));
	guard_cpuid(CPUID_EXT_FEATURES, 0, &r);
	KT_EXPECT_EQ(t, r.ecx, ~CPUID81_ECX_SKINIT);
	KT_EXPECT_EQ(t, r.edx, 0xffffffffu);
}

KTEST(guard_keeps_syscfg_decoding_bits_and_lets_the_rest_change)
{
	const u64 fw = SYSCFG_MTRR_FIX_DRAM_EN | SYSCFG_MTRR_FIX_DRAM_MOD_EN |
		       SYSCFG_MTRR_VAR_DRAM_EN | SYSCFG_MTRR_TOM2_EN;
	u64 bit;

	/* What Linux does: clear MtrrFixDramModEn the firmware left set. */
	KT_EXPECT(t, guard_syscfg_ok(fw, fw & ~SYSCFG_MTRR_FIX_DRAM_MOD_EN));
	KT_EXPECT(t, guard_syscfg_ok(fw, fw));
	KT_EXPECT(t, guard_syscfg_ok(fw, fw | BIT_ULL(9)));
	for (bit = 18; bit <= 26; bit++) {
		if (bit == 19)
			continue;
		KT_EXPECT(t, !guard_syscfg_ok(fw, fw ^ BIT_ULL(bit)));
	}
}

KTEST(guard_refuses_top_of_memory_that_moves_a_hypervisor_range)
{
	/* TOP_MEM: the pool (below 4 GiB) must stay below it. */
	KT_EXPECT(t, guard_top_mem_ok(&hv, false, GiB(3), GiB(2)));
	KT_EXPECT(t, guard_top_mem_ok(&hv, false, GiB(3), POOL + MiB(64)));
	KT_EXPECT(t, !guard_top_mem_ok(&hv, false, GiB(3), POOL + MiB(56)));
	KT_EXPECT(t, !guard_top_mem_ok(&hv, false, GiB(3), GiB(1)));
	/* TOM2: the image (above 4 GiB) must stay below it; the pool is not its. */
	KT_EXPECT(t, guard_top_mem_ok(&hv, true, GiB(8), GiB(6)));
	KT_EXPECT(t, !guard_top_mem_ok(&hv, true, GiB(8), GiB(5)));
	KT_EXPECT(t, !guard_top_mem_ok(&hv, true, GiB(8), 0));
}

KTEST(guard_refuses_a_valid_iorr_over_hypervisor_memory)
{
	const u64 m16 = ~(MiB(16) - 1) & GENMASK_ULL(45, 12);

	KT_EXPECT(t, guard_iorr_ok(&hv, 46, 0xd0000000, m16 | IORR_MASK_V));
	KT_EXPECT(t, !guard_iorr_ok(&hv, 46, POOL + MiB(16), m16 | IORR_MASK_V));
	KT_EXPECT(t, !guard_iorr_ok(&hv, 46, GiB(5), (~(GiB(1) - 1) & GENMASK_ULL(45, 12)) |
					      IORR_MASK_V));
	/* Not valid: matches nothing. */
	KT_EXPECT(t, guard_iorr_ok(&hv, 46, POOL, m16));
}

/* MTRRs on, default def, 8 pairs free, no fixed ranges. */
static void mtrrs(struct mtrr_state *s, enum x86_memtype def)
{
	memset(s, 0, sizeof(*s));
	s->supported = true;
	s->phys_bits = 46;
	s->cap = 8;
	s->nr_var = 8;
	s->def_type = MTRR_DEF_E | def;
}

static void pair(struct mtrr_state *s, unsigned int n, u64 base, u64 size, enum x86_memtype mt)
{
	s->var[n].base = base | mt;
	s->var[n].mask = (~(size - 1) & GENMASK_ULL(45, 12)) | MTRR_PHYSMASK_V;
}

KTEST(guard_mtrr_configurations_must_keep_every_hypervisor_range_wb)
{
	static struct mtrr_state s;

	mtrrs(&s, X86_MT_WB);
	pair(&s, 0, GiB(3), GiB(1), X86_MT_UC);
	KT_EXPECT(t, guard_mtrr_keeps_wb(&hv, &s));
	pair(&s, 1, POOL + MiB(32), PAGE_SIZE, X86_MT_UC);	/* one page of the pool */
	KT_EXPECT(t, !guard_mtrr_keeps_wb(&hv, &s));
	pair(&s, 1, POOL, MiB(64), X86_MT_WT);
	KT_EXPECT(t, !guard_mtrr_keeps_wb(&hv, &s));
	/* Default UC, RAM made WB by pairs: the image's pair removed is a UC image. */
	mtrrs(&s, X86_MT_UC);
	pair(&s, 0, 0, GiB(2), X86_MT_WB);
	pair(&s, 1, GiB(4), GiB(4), X86_MT_WB);
	KT_EXPECT(t, guard_mtrr_keeps_wb(&hv, &s));
	s.var[1].mask &= ~MTRR_PHYSMASK_V;
	KT_EXPECT(t, !guard_mtrr_keeps_wb(&hv, &s));
	/* MTRRs off (the update protocol's middle): everything UC. */
	mtrrs(&s, X86_MT_WB);
	s.def_type &= ~MTRR_DEF_E;
	KT_EXPECT(t, !guard_mtrr_keeps_wb(&hv, &s));
	/* No MTRRs at all: nothing to retype. */
	memset(&s, 0, sizeof(s));
	s.phys_bits = 46;
	KT_EXPECT(t, guard_mtrr_keeps_wb(&hv, &s));
}

KTEST(guard_efer_takes_every_bit_cpuid_offers_but_svme)
{
	struct cpuid_regs e1 = { 0 }, e8 = { 0 }, e21 = { 0 };
	u64 efer;

	e1.edx = CPUID81_EDX_SYSCALL | CPUID81_EDX_LM | CPUID81_EDX_NX;
	efer = guard_efer_svm(&e1, &e8, &e21);
	KT_EXPECT_EQ(t, efer, EFER_SCE | EFER_LME | EFER_NXE | EFER_LMSLE);
	/* Zen 4: AutoIBRS, and no LMSLE. */
	e1.edx |= CPUID81_EDX_FFXSR;
	e1.ecx = CPUID81_ECX_TCE | CPUID81_ECX_SVM;
	e8.ebx = CPUID88_EBX_NO_LMSLE | CPUID88_EBX_MCOMMIT | CPUID88_EBX_INT_WBINVD;
	e21.eax = CPUID821_EAX_AUTO_IBRS | CPUID821_EAX_UAI;
	efer = guard_efer_svm(&e1, &e8, &e21);
	KT_EXPECT_EQ(t, efer, EFER_SCE | EFER_LME | EFER_NXE | EFER_FFXSR | EFER_TCE |
			      EFER_MCOMMIT | EFER_INTWB | EFER_UAIE | EFER_AIBRSE);
	KT_EXPECT(t, efer & BIT_ULL(21));
	KT_EXPECT(t, !(efer & (EFER_SVME | EFER_LMA | EFER_LMSLE)));
}

KTEST(guard_feature_control_locks_every_enable_the_cpu_offers)
{
	struct cpuid_regs l7 = { 0 };
	const u64 base = FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMXON_OUTSIDE_SMX;

	KT_EXPECT_EQ(t, guard_feature_control(&l7, 0), base);
	l7.ebx = CPUID7_EBX_SGX;
	l7.ecx = CPUID7_ECX_SGX_LC;
	KT_EXPECT_EQ(t, guard_feature_control(&l7, MCG_CAP_LMCE_P),
		     base | FEATURE_CONTROL_SGX | FEATURE_CONTROL_SGX_LC | FEATURE_CONTROL_LMCE);
	l7.ecx = 0;
	KT_EXPECT_EQ(t, guard_feature_control(&l7, 0), base | FEATURE_CONTROL_SGX);
	KT_EXPECT(t, !(guard_feature_control(&l7, ~0ULL) & FEATURE_CONTROL_VMXON_IN_SMX));
}
