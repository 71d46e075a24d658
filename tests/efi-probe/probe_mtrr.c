// SPDX-License-Identifier: MIT
/*
 * Check d of probe.efi: memory types.  The probe reads the MTRRs itself,
 * works out the MTRR type of a few addresses with its own decoder (Intel
 * SDM vol. 3 "Memory type range registers"; AMD APM vol. 2 agrees for the
 * fixed and variable ranges), touches each address so the hypervisor maps
 * it, and asks HC_GPA_MAPPING what the TDP leaf says:
 *   - EPT (Intel): the leaf's type is the effective type the hypervisor
 *     chose, so it must equal the MTRR type of every 4 KiB page the leaf
 *     covers (one type across a 2 MiB or 1 GiB leaf);
 *   - NPT (AMD): the hardware applies the MTRRs on top of the leaf, so the
 *     leaf must stay WB (no restriction of its own).
 * The platform VM maps guest-physical = host-physical: hpa must equal gpa.
 */
#include "arch/x86.h"
#include "lib/string.h"
#include "probe.h"

#define MSR_MTRRCAP 0xfe
#define  MTRRCAP_VCNT_MASK 0xffULL
#define  MTRRCAP_FIX BIT_ULL(8)
#define MSR_MTRR_DEF_TYPE 0x2ff
#define  MTRR_DEF_TYPE_MASK 0xffULL
#define  MTRR_DEF_FE BIT_ULL(10)
#define  MTRR_DEF_E BIT_ULL(11)
#define MSR_MTRR_PHYS_BASE(n) (0x200 + 2 * (n))
#define MSR_MTRR_PHYS_MASK(n) (0x201 + 2 * (n))
#define  MTRR_PHYS_MASK_VALID BIT_ULL(11)
#define  MTRR_TYPE_MASK 0xffULL
#define MTRR_FIXED_END 0x100000ULL

/* The eleven fixed-range MSRs: first address and bytes per type byte. */
static const struct {
	u32 msr;
	u32 start, step;
} fixed_ranges[11] = {
	{ 0x250, 0x00000, 0x10000 }, { 0x258, 0x80000, 0x4000 },
	{ 0x259, 0xa0000, 0x4000 },  { 0x268, 0xc0000, 0x1000 },
	{ 0x269, 0xc8000, 0x1000 },  { 0x26a, 0xd0000, 0x1000 },
	{ 0x26b, 0xd8000, 0x1000 },  { 0x26c, 0xe0000, 0x1000 },
	{ 0x26d, 0xe8000, 0x1000 },  { 0x26e, 0xf0000, 0x1000 },
	{ 0x26f, 0xf8000, 0x1000 },
};

const char *probe_mt_name(u64 mt)
{
	switch (mt) {
	case HC_MT_UC: return "UC";
	case HC_MT_WC: return "WC";
	case HC_MT_WT: return "WT";
	case HC_MT_WP: return "WP";
	case HC_MT_WB: return "WB";
	case PROBE_MT_MIXED: return "mixed";
	default: return "reserved";
	}
}

void probe_mtrr_read(struct probe_mtrrs *m)
{
	struct cpuid_regs r = cpuid(0x80000000);
	unsigned int i, bits = 36;
	bool ok;

	memset(m, 0, sizeof(*m));
	if (r.eax >= 0x80000008)
		bits = cpuid(0x80000008).eax & 0xff;
	m->phys_mask = GENMASK_ULL(bits - 1, 12);
	ok = !probe_rdmsr(MSR_MTRRCAP, &m->cap) &&
	     !probe_rdmsr(MSR_MTRR_DEF_TYPE, &m->def_type);
	m->nvar = MIN((unsigned int)(m->cap & MTRRCAP_VCNT_MASK), 16u);
	for (i = 0; ok && (m->cap & MTRRCAP_FIX) && i < ARRAY_SIZE(fixed_ranges); i++)
		ok = !probe_rdmsr(fixed_ranges[i].msr, &m->fixed[i]);
	for (i = 0; ok && i < m->nvar; i++)
		ok = !probe_rdmsr(MSR_MTRR_PHYS_BASE(i), &m->var_base[i]) &&
		     !probe_rdmsr(MSR_MTRR_PHYS_MASK(i), &m->var_mask[i]);
	m->readable = ok;
}

void probe_mtrr_print(const struct probe_mtrrs *m)
{
	unsigned int i;

	probe_info("MTRRs: cap 0x%llx (%u variable, fixed %s), default %s, %s, fixed ranges %s",
		   (unsigned long long)m->cap, m->nvar, (m->cap & MTRRCAP_FIX) ? "yes" : "no",
		   probe_mt_name(m->def_type & MTRR_DEF_TYPE_MASK),
		   (m->def_type & MTRR_DEF_E) ? "enabled" : "disabled",
		   (m->def_type & MTRR_DEF_FE) ? "enabled" : "disabled");
	for (i = 0; i < m->nvar; i++) {
		if (!(m->var_mask[i] & MTRR_PHYS_MASK_VALID))
			continue;
		probe_info("MTRR var%u: base 0x%llx mask 0x%llx %s", i,
			   (unsigned long long)(m->var_base[i] & m->phys_mask),
			   (unsigned long long)(m->var_mask[i] & m->phys_mask),
			   probe_mt_name(m->var_base[i] & MTRR_TYPE_MASK));
	}
}

static unsigned int fixed_type(const struct probe_mtrrs *m, u64 pa)
{
	unsigned int i;

	for (i = ARRAY_SIZE(fixed_ranges); i-- > 0;)
		if (pa >= fixed_ranges[i].start)
			return (m->fixed[i] >> (8 * ((pa - fixed_ranges[i].start) /
						     fixed_ranges[i].step))) & 0xff;
	return HC_MT_UC;
}

/* Two overlapping variable ranges: UC wins, WT beats WB, else undefined. */
static unsigned int combine(unsigned int a, unsigned int b)
{
	if (a == b)
		return a;
	if (a == HC_MT_UC || b == HC_MT_UC)
		return HC_MT_UC;
	if ((a == HC_MT_WT && b == HC_MT_WB) || (a == HC_MT_WB && b == HC_MT_WT))
		return HC_MT_WT;
	return PROBE_MT_MIXED;
}

unsigned int probe_mtrr_type(const struct probe_mtrrs *m, u64 pa)
{
	unsigned int i, type = ~0u;

	if (!(m->def_type & MTRR_DEF_E))
		return HC_MT_UC;
	if (pa < MTRR_FIXED_END && (m->cap & MTRRCAP_FIX) && (m->def_type & MTRR_DEF_FE))
		return fixed_type(m, pa);
	for (i = 0; i < m->nvar; i++) {
		u64 mask = m->var_mask[i] & m->phys_mask;

		if (!(m->var_mask[i] & MTRR_PHYS_MASK_VALID) ||
		    (pa & mask) != (m->var_base[i] & mask))
			continue;
		type = type == ~0u ? (unsigned int)(m->var_base[i] & MTRR_TYPE_MASK) :
				     combine(type, m->var_base[i] & MTRR_TYPE_MASK);
	}
	return type == ~0u ? (unsigned int)(m->def_type & MTRR_DEF_TYPE_MASK) : type;
}

static const char *level_name(u64 level)
{
	return level == HC_LEVEL_1G ? "1G" : level == HC_LEVEL_2M ? "2M" :
	       level == HC_LEVEL_4K ? "4K" : "?";
}

/*
 * The first 4 KiB page in [base, base + bytes) whose MTRR type is not mt,
 * or ~0 when every page has type mt.
 */
static u64 first_page_not(const struct probe_mtrrs *m, u64 base, u64 bytes,
			  unsigned int mt)
{
	u64 pa;

	for (pa = base; pa < base + bytes; pa += PAGE_SIZE)
		if (probe_mtrr_type(m, pa) != mt)
			return pa;
	return ~0ULL;
}

static struct hc_gpa_mapping gm;

/* Touches gpa, asks for its leaf, and checks it against the MTRRs. */
static void check_one(const struct probe_mtrrs *m, bool intel, const char *what, u64 gpa)
{
	unsigned int mtrr = probe_mtrr_type(m, gpa);
	u64 bytes, base, bad;
	long r;

	(void)probe_peek(gpa);
	r = probe_hypercall(HC_GPA_MAPPING, gpa, (u64)(uintptr_t)&gm);
	if (!probe_check(r == 0 && gm.present, "memtype %s 0x%llx: mapped after a read",
			 what, (unsigned long long)gpa)) {
		probe_info("HC_GPA_MAPPING returned %ld, present %llu", r,
			   (unsigned long long)gm.present);
		return;
	}
	bytes = PAGE_SIZE << (9 * (gm.level - 1));
	base = gpa & ~(bytes - 1);
	probe_info("memtype %s 0x%llx: %s leaf at 0x%llx, perms %c%c%c, leaf %s, MTRR %s",
		   what, (unsigned long long)gpa, level_name(gm.level),
		   (unsigned long long)base, (gm.perms & HC_PERM_R) ? 'r' : '-',
		   (gm.perms & HC_PERM_W) ? 'w' : '-', (gm.perms & HC_PERM_X) ? 'x' : '-',
		   probe_mt_name(gm.memtype), probe_mt_name(mtrr));
	probe_check(gm.hpa == gpa, "memtype %s 0x%llx: identity mapped (hpa 0x%llx)", what,
		    (unsigned long long)gpa, (unsigned long long)gm.hpa);
	if (!intel) {
		probe_check(gm.memtype == HC_MT_WB,
			    "memtype %s 0x%llx: NPT leaf is WB (the MTRRs' %s applies on top), is %s",
			    what, (unsigned long long)gpa, probe_mt_name(mtrr),
			    probe_mt_name(gm.memtype));
		return;
	}
	bad = first_page_not(m, base, bytes, (unsigned int)gm.memtype);
	if (!probe_check(bad == ~0ULL, "memtype %s 0x%llx: EPT leaf type %s is the MTRR type of all its %s",
			 what, (unsigned long long)gpa, probe_mt_name(gm.memtype), level_name(gm.level)))
		probe_info("page 0x%llx of that leaf has MTRR type %s", (unsigned long long)bad,
			   probe_mt_name(probe_mtrr_type(m, bad)));
}

static void mtrr_wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wbinvd; wrmsr; wbinvd" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32))
			 : "memory");
}

/* Touches gpa and asks for its leaf; false when it is not mapped. */
static bool leaf_of(u64 gpa)
{
	(void)probe_peek(gpa);
	return probe_hypercall(HC_GPA_MAPPING, gpa, (u64)(uintptr_t)&gm) == 0 && gm.present;
}

/*
 * A guest MTRR write retypes the map: a free variable pair makes the 2 MiB
 * around gpa WT; the leaf there must then be WT (EPT) or at least no larger
 * than 2 MiB (NPT, where the CPU applies the MTRRs), and after the pair is
 * cleared again the EPT leaf is back to the type it had.
 */
static void check_retype(const struct probe_mtrrs *m, bool intel, u64 gpa)
{
	const u64 size = 2ULL << 20, base = gpa & ~(size - 1);
	unsigned int i, before;
	long r;

	for (i = 0; i < m->nvar && (m->var_mask[i] & (1ULL << 11)); i++)
		;
	if (i == m->nvar || !(m->def_type & (1ULL << 11))) {
		probe_info("MTRR write: no free variable pair (or MTRRs off): not checked");
		return;
	}
	if (!probe_check(leaf_of(gpa), "MTRR write: 0x%llx mapped before", (unsigned long long)gpa))
		return;
	before = (unsigned int)gm.memtype;
	mtrr_wrmsr(0x200 + 2 * i, base | HC_MT_WT);
	mtrr_wrmsr(0x201 + 2 * i, (~(size - 1) & m->phys_mask) | (1ULL << 11));
	if (probe_check(leaf_of(gpa), "MTRR write: 0x%llx mapped again after var%u = [0x%llx, +2 MiB) WT",
			(unsigned long long)gpa, i, (unsigned long long)base)) {
		probe_info("MTRR write: now a %s leaf, type %s", level_name(gm.level),
			   probe_mt_name(gm.memtype));
		probe_check(gm.level <= 2, "MTRR write: the leaf no longer spans two types (%s)",
			    level_name(gm.level));
		if (intel)
			probe_check(gm.memtype == HC_MT_WT, "MTRR write: the EPT leaf is WT (is %s)",
				    probe_mt_name(gm.memtype));
	}
	r = probe_hypercall(HC_HOST_MEMTYPE, gpa, 0);
	probe_check(r == HC_MT_WT, "MTRR write: the hardware's MTRRs follow it where no "
		    "hypervisor memory is (HC_HOST_MEMTYPE 0x%llx: %s)", (unsigned long long)gpa,
		    r < 0 ? "error" : probe_mt_name((u64)r));
	mtrr_wrmsr(0x201 + 2 * i, 0);
	mtrr_wrmsr(0x200 + 2 * i, 0);
	if (probe_check(leaf_of(gpa), "MTRR write: 0x%llx mapped after var%u is cleared",
			(unsigned long long)gpa, i) && intel)
		probe_check(gm.memtype == before, "MTRR write: the EPT leaf is %s again (is %s)",
			    probe_mt_name(before), probe_mt_name(gm.memtype));
}

/* A variable pair the MTRRs leave free (not valid), or m->nvar. */
static unsigned int free_pair(const struct probe_mtrrs *m)
{
	unsigned int i;

	for (i = 0; i < m->nvar && (m->var_mask[i] & MTRR_PHYS_MASK_VALID); i++)
		;
	return i;
}

/* A page of the probe's own that a guest MTRR pair makes UC. */
static u8 uc_page[PAGE_SIZE] __aligned(PAGE_SIZE);

/* Pair i: [base, +4 KiB) of type mt. */
static void pair_4k(const struct probe_mtrrs *m, unsigned int i, u64 base, u64 mt)
{
	mtrr_wrmsr(MSR_MTRR_PHYS_BASE(i), base | mt);
	mtrr_wrmsr(MSR_MTRR_PHYS_MASK(i), (~(PAGE_SIZE - 1) & m->phys_mask) | MTRR_PHYS_MASK_VALID);
}

static void pair_clear(unsigned int i)
{
	mtrr_wrmsr(MSR_MTRR_PHYS_MASK(i), 0);
	mtrr_wrmsr(MSR_MTRR_PHYS_BASE(i), 0);
}

static const char *hc_mt(long r)
{
	return r < 0 ? "error" : probe_mt_name((u64)r);
}

/*
 * A guest MTRR write over hypervisor memory: a free pair makes the page at
 * pa (the pool's first) UC, a second one a page of the probe's own.  The
 * guest owns its MTRRs, so the pairs read back as written; but the
 * hardware's MTRRs, which the hypervisor's own accesses go through, keep
 * the pool WB (HC_HOST_MEMTYPE reads them on this CPU), and since the
 * guest's configuration as a whole would retype the pool, the hardware
 * keeps its last one -- the probe's page stays WB there too -- while the
 * TDP leaf of the probe's page carries the guest's UC.  (The pool's own
 * pages map the one scratch page, always WB.)  Both pairs are cleared
 * again, and the hardware follows.
 */
void probe_mtrr_guard(u64 pa)
{
	static struct probe_mtrrs m;
	u64 base = 0, mask = 0, mine = (u64)(uintptr_t)uc_page;
	unsigned int i, j;
	long hw, hw_mine;
	bool mapped;

	probe_mtrr_read(&m);
	i = free_pair(&m);
	for (j = i + 1; j < m.nvar && (m.var_mask[j] & MTRR_PHYS_MASK_VALID); j++)
		;
	if (!m.readable || j >= m.nvar || !(m.def_type & MTRR_DEF_E)) {
		probe_info("MTRR guard: no two free variable pairs (or MTRRs off): not checked");
		return;
	}
	probe_check(probe_hypercall(HC_HOST_MEMTYPE, pa, 0) == HC_MT_WB,
		    "MTRR guard: the hypervisor's pool 0x%llx is WB in the hardware's MTRRs",
		    (unsigned long long)pa);
	uc_page[0] = 1;
	pair_4k(&m, i, pa, HC_MT_UC);
	pair_4k(&m, j, mine, HC_MT_UC);
	probe_rdmsr(MSR_MTRR_PHYS_BASE(i), &base);
	probe_rdmsr(MSR_MTRR_PHYS_MASK(i), &mask);
	hw = probe_hypercall(HC_HOST_MEMTYPE, pa, 0);
	hw_mine = probe_hypercall(HC_HOST_MEMTYPE, mine, 0);
	probe_check(base == (pa | HC_MT_UC) && (mask & MTRR_PHYS_MASK_VALID),
		    "MTRR guard: var%u = [0x%llx, +4 KiB) UC reads back as the guest wrote it "
		    "(0x%llx 0x%llx)", i, (unsigned long long)pa, (unsigned long long)base,
		    (unsigned long long)mask);
	probe_check(hw == HC_MT_WB, "MTRR guard: the hardware's MTRRs keep the pool WB after "
		    "the guest's UC write (HC_HOST_MEMTYPE: %s)", hc_mt(hw));
	mapped = leaf_of(mine);
	probe_check(hw_mine == HC_MT_WB && mapped && gm.memtype == HC_MT_UC,
		    "MTRR guard: while the hardware holds, the TDP leaf gives the guest its UC "
		    "(page 0x%llx: hardware %s, leaf %s)", (unsigned long long)mine, hc_mt(hw_mine),
		    probe_mt_name(gm.memtype));
	pair_clear(j);
	pair_clear(i);
	hw = probe_hypercall(HC_HOST_MEMTYPE, pa, 0);
	mapped = leaf_of(mine);
	probe_check(hw == HC_MT_WB && mapped && gm.memtype == HC_MT_WB,
		    "MTRR guard: after the pairs are cleared the pool is WB in the hardware, the "
		    "probe's page WB in its leaf (%s, %s)", hc_mt(hw), probe_mt_name(gm.memtype));
}

void probe_memtypes(bool intel, u64 code_addr, u64 high_ram, bool apic_trapped)
{
	static struct probe_mtrrs m;

	probe_mtrr_read(&m);
	if (!probe_check(m.readable, "MTRRs readable (MTRRCAP, DEF_TYPE, fixed, variable)"))
		return;
	probe_mtrr_print(&m);
	check_one(&m, intel, "low RAM", 0x8000);
	check_one(&m, intel, "legacy VGA", 0xa0000);
	check_one(&m, intel, "probe code", code_addr & ~(PAGE_SIZE - 1));
	check_one(&m, intel, "IOAPIC", 0xfec00000);
	if (!apic_trapped)	/* with every CPU a guest, the APIC page is a device */
		check_one(&m, intel, "LAPIC", 0xfee00030);
	if (high_ram)
		check_one(&m, intel, "high RAM", high_ram);
	check_retype(&m, intel, (u64)(uintptr_t)&gm);
}
