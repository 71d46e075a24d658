// SPDX-License-Identifier: MIT
/* The hypervisor's identity-mapped page tables (include/arch/host_pt.h). */
#include "arch/host_pt.h"
#include "arch/cpuid.h"
#include "arch/x86.h"
#include "lib/printk.h"
#include "mm/page_alloc.h"

#define PTE_P BIT_ULL(0)
#define PTE_RW BIT_ULL(1)
#define PTE_PS BIT_ULL(7)
#define GIB (1ULL << 30)

/* A zeroed table page's address as an entry, or 0. */
static u64 new_table(void)
{
	void *p = alloc_zeroed_page();

	return p ? (u64)(uintptr_t)p | PTE_P | PTE_RW : 0;
}

u64 host_pt_build(unsigned int phys_bits)
{
	bool gb_pages = cpuid(CPUID_EXT_FEATURES).edx & CPUID81_EDX_PDPE1GB;
	u64 end = 1ULL << (phys_bits < 48 ? phys_bits : 48);
	u64 *pml4 = alloc_zeroed_page(), gpa, tables = 1;

	if (!pml4)
		return 0;
	for (gpa = 0; gpa < end; gpa += GIB) {
		u64 *pml4e = &pml4[(gpa >> 39) & 511], *pdpt, *pdpte, *pd, a;

		if (!*pml4e && !(*pml4e = new_table()))
			return 0;
		pdpt = (u64 *)(uintptr_t)(*pml4e & PAGE_MASK & ~BIT_ULL(63));
		pdpte = &pdpt[(gpa >> 30) & 511];
		tables += !((gpa >> 30) & 511);
		if (gb_pages) {
			*pdpte = gpa | PTE_P | PTE_RW | PTE_PS;
			continue;
		}
		if (!(*pdpte = new_table()))
			return 0;
		tables++;
		pd = (u64 *)(uintptr_t)(*pdpte & PAGE_MASK);
		for (a = 0; a < 512; a++)
			pd[a] = (gpa + (a << 21)) | PTE_P | PTE_RW | PTE_PS;
	}
	pr_info("host: own page tables: identity map of %llu GiB with %s pages, %llu tables\n",
		(unsigned long long)(end / GIB), gb_pages ? "1 GiB" : "2 MiB",
		(unsigned long long)tables);
	return (u64)(uintptr_t)pml4;
}

#define PTE_ADDR_MASK 0x000ffffffffff000ULL

bool host_pt_probe(u64 va, bool *writable)
{
	unsigned int levels = read_cr4() & X86_CR4_LA57 ? 5 : 4;
	unsigned int bits = 12 + 9 * levels, level;
	u64 table = read_cr3() & PTE_ADDR_MASK, e = 0;
	s64 top = (s64)va >> (bits - 1);

	if (top != 0 && top != -1)
		return false;		/* not canonical */
	*writable = true;
	for (level = levels; level >= 1; level--) {
		u64 index = (va >> (12 + 9 * (level - 1))) & 511;

		if (memcpy_safe(&e, (void *)(uintptr_t)(table + index * 8), sizeof(e)))
			return false;
		if (!(e & PTE_P))
			return false;
		if (!(e & PTE_RW))
			*writable = false;
		if ((level == 2 || level == 3) && (e & PTE_PS))
			return true;
		table = e & PTE_ADDR_MASK;
	}
	return true;
}
