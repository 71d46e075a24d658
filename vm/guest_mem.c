// SPDX-License-Identifier: MIT
/*
 * Access to guest memory from the hypervisor.  Every guest-physical access
 * is resolved through the memory slots with its bounds checked, so a guest
 * pointer can name nothing outside the guest's own memory; guest-virtual
 * addresses are walked through the guest's page tables, each table read
 * the same checked way.
 */
#include "vm/vm.h"
#include "errcode.h"
#include "lib/string.h"

#define PTE_P BIT_ULL(0)
#define PTE_PS BIT_ULL(7)
#define PTE_ADDR GENMASK_ULL(51, 12)

void *vm_gpa_to_hva(struct vm *vm, gpa_t gpa, u64 len, bool write)
{
	struct mm_slot *s = vm_find_slot(vm, gpa_to_gfn(gpa));
	u64 end;

	if (!s || (write && (s->flags & MM_SLOT_READONLY)) || len == 0)
		return NULL;
	end = gfn_to_gpa(mm_slot_end(s));
	if (gpa + len < gpa || gpa + len > end)
		return NULL;
	/* A scratch slot's frames are one page: a pointer reaches one frame. */
	if ((s->flags & MM_SLOT_SCRATCH) && (gpa & (PAGE_SIZE - 1)) + len > PAGE_SIZE)
		return NULL;
	return (u8 *)(uintptr_t)pfn_to_hpa(mm_slot_gfn_to_pfn(s, gpa_to_gfn(gpa))) +
	       (gpa & (PAGE_SIZE - 1));
}

bool vm_gpa_range_ok(struct vm *vm, gpa_t gpa, u64 len, bool write)
{
	while (len) {
		u64 chunk = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));

		if (!vm_gpa_to_hva(vm, gpa, chunk, write))
			return false;
		gpa += chunk;
		len -= chunk;
	}
	return true;
}

/*
 * Copies page by page, so a range may span adjacent slots.  The whole range
 * is checked before the first byte moves: a write either happens entirely
 * or not at all.
 */
static int copy_gpa(struct vm *vm, gpa_t gpa, void *buf, u64 len, bool write)
{
	u8 *b = buf;

	if (!vm_gpa_range_ok(vm, gpa, len, write))
		return -EFAULT;

	while (len) {
		u64 chunk = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
		u8 *h = vm_gpa_to_hva(vm, gpa, chunk, write);

		if (!h)
			return -EFAULT;
		if (write)
			memcpy(h, b, chunk);
		else
			memcpy(b, h, chunk);
		gpa += chunk;
		b += chunk;
		len -= chunk;
	}
	return 0;
}

int vm_read_gpa_string(struct vm *vm, gpa_t gpa, char *buf, u64 size)
{
	u64 i;

	for (i = 0; i + 1 < size; i++) {
		if (vm_read_gpa(vm, gpa + i, &buf[i], 1)) {
			buf[i] = '\0';
			return -EFAULT;
		}
		if (!buf[i])
			return 0;
	}
	buf[i] = '\0';
	return 0;
}

int vm_read_gpa(struct vm *vm, gpa_t gpa, void *buf, u64 len)
{
	return copy_gpa(vm, gpa, buf, len, false);
}

int vm_write_gpa(struct vm *vm, gpa_t gpa, const void *buf, u64 len)
{
	return copy_gpa(vm, gpa, (void *)buf, len, true);
}

int vcpu_gva_to_gpa(struct vcpu *v, u64 gva, gpa_t *gpa)
{
	u64 table = virt->get_cr3(v) & PTE_ADDR;
	int level;

	if (!virt->long_mode(v)) {	/* paging off or legacy: identity */
		*gpa = gva;
		return 0;
	}
	for (level = 4; level >= 1; level--) {
		unsigned int shift = PAGE_SHIFT + 9 * (level - 1);
		u64 pte;

		if (vm_read_gpa(v->vm, table + ((gva >> shift) & 511) * 8, &pte, 8))
			return -EFAULT;
		if (!(pte & PTE_P))
			return -EFAULT;
		if (level == 1 || (level <= 3 && (pte & PTE_PS))) {
			u64 mask = (1ULL << shift) - 1;

			*gpa = ((pte & PTE_ADDR) & ~mask) | (gva & mask);
			return 0;
		}
		table = pte & PTE_ADDR;
	}
	return -EFAULT;
}

int vcpu_fetch_insn(struct vcpu *v, u8 *buf, unsigned int len)
{
	u64 rip = virt->get_rip(v);
	unsigned int got = 0;

	if (!virt->long_mode(v))	/* real and protected mode: CS.base + EIP */
		rip = (u32)(virt->get_cs_base(v) + rip);

	while (got < len) {
		u64 in_page = PAGE_SIZE - ((rip + got) & (PAGE_SIZE - 1));
		unsigned int chunk = (unsigned int)MIN((u64)(len - got), in_page);
		gpa_t gpa;

		if (vcpu_gva_to_gpa(v, rip + got, &gpa) || vm_read_gpa(v->vm, gpa, buf + got, chunk))
			break;
		got += chunk;
	}
	return got ? (int)got : -EFAULT;
}
