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
