// SPDX-License-Identifier: MIT
/* The hypervisor's identity-mapped page tables (include/arch/host_pt.h). */
#include "arch/host_pt.h"
#include "arch/cpuid.h"
#include "arch/serial.h"
#include "arch/x86.h"
#include "lib/printk.h"
#include "mm/page_alloc.h"

#define PTE_P BIT_ULL(0)
#define PTE_RW BIT_ULL(1)
#define PTE_PWT BIT_ULL(3)
#define PTE_PCD BIT_ULL(4)
#define PTE_PS BIT_ULL(7)
#define PTE_ADDR_MASK (GENMASK_ULL(51, 12))
#define GIB (1ULL << 30)

/* A zeroed table page's address as an entry, or 0. */
static u64 new_table(void)
{
	void *p = alloc_zeroed_page();

	return p ? (u64)(uintptr_t)p | PTE_P | PTE_RW : 0;
}

/*
 * Replaces the large leaf *e (covering size bytes at base) by a table of
 * 512 leaves of size / 512 each, the same mapping.  Returns 0 or -1.
 */
static int split_leaf(u64 *e, u64 base, u64 size)
{
	u64 t = new_table(), *tab, i, sub = size / 512;

	if (!t)
		return -1;
	tab = (u64 *)(uintptr_t)(t & PTE_ADDR_MASK);
	for (i = 0; i < 512; i++)
		tab[i] = (base + i * sub) | PTE_P | PTE_RW | (sub > PAGE_SIZE ? PTE_PS : 0);
	*e = t;
	return 0;
}

/*
 * Maps the 4 KiB page at pa uncached (PCD|PWT: UC with the default PAT),
 * splitting the identity map's large pages above it.  An MMIO UART's page:
 * the MTRRs make most MMIO uncached already, but not every firmware covers
 * every device range with them.  Returns 0 or -1 (pool empty).
 */
static int map_uncached(u64 *pml4, u64 pa)
{
	u64 *e = &pml4[(pa >> 39) & 511], *tab;
	unsigned int shift;

	for (shift = 30; shift >= 12; shift -= 9) {
		tab = (u64 *)(uintptr_t)(*e & PTE_ADDR_MASK);
		e = &tab[(pa >> shift) & 511];
		if (shift == 12)
			break;
		if ((*e & PTE_PS) && split_leaf(e, pa & ~((1ULL << shift) - 1), 1ULL << shift))
			return -1;
	}
	*e |= PTE_PCD | PTE_PWT;
	return 0;
}

/* The MMIO UART consoles' pages, uncached and reachable after the OS runs. */
static void map_uart_pages(u64 *pml4, u64 end)
{
	u64 pages[4];
	unsigned int n = uart_mmio_pages(pages, ARRAY_SIZE(pages)), i;

	for (i = 0; i < n; i++) {
		if (pages[i] >= end || map_uncached(pml4, pages[i]))
			pr_warn("host: the UART page at 0x%llx is not mapped uncached\n",
				(unsigned long long)pages[i]);
		else
			pr_info("host: UART page at 0x%llx mapped uncached\n",
				(unsigned long long)pages[i]);
	}
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
	map_uart_pages(pml4, end);
	pr_info("host: own page tables: identity map of %llu GiB with %s pages, %llu tables\n",
		(unsigned long long)(end / GIB), gb_pages ? "1 GiB" : "2 MiB",
		(unsigned long long)tables);
	return (u64)(uintptr_t)pml4;
}


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
