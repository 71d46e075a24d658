// SPDX-License-Identifier: MIT
/*
 * Access to guest memory from the hypervisor.  Every guest-physical access
 * is resolved through the memory slots with its bounds checked, so a guest
 * pointer can name nothing outside the guest's own memory; guest-virtual
 * addresses are translated by the walker (vm/gwalk.c) in the vCPU's own
 * paging mode, each table entry read the same checked way, and a walk the
 * guest's tables refuse becomes the fault the CPU would raise.
 */
#include "vm/vm.h"
#include "vm/gwalk.h"
#include "vm/insn.h"
#include "arch/cpu.h"
#include "arch/msr.h"
#include "arch/trapnr.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"

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

/* Paging-structure entries, for the walker: naturally aligned 4 or 8 bytes. */
static int walk_read(void *ctx, gpa_t gpa, unsigned int size, u64 *val)
{
	const void *h = vm_gpa_to_hva(ctx, gpa, size, false);

	if (!h)
		return -EFAULT;
	/* One load: another vCPU may be changing the entry. */
	*val = size == 4 ? __atomic_load_n((const u32 *)h, __ATOMIC_RELAXED) :
			   __atomic_load_n((const u64 *)h, __ATOMIC_RELAXED);
	return 0;
}

static int walk_cmpxchg(void *ctx, gpa_t gpa, unsigned int size, u64 old, u64 new)
{
	void *h = vm_gpa_to_hva(ctx, gpa, size, true);
	u32 old32 = (u32)old;

	if (!h)
		return -EFAULT;
	if (size == 4)
		return __atomic_compare_exchange_n((u32 *)h, &old32, (u32)new, false,
						   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return __atomic_compare_exchange_n((u64 *)h, &old, new, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

/* The guest's CPUID shows the host's MAXPHYADDR; read once. */
static u8 guest_maxphyaddr(void)
{
	static u8 bits;
	u8 b = __atomic_load_n(&bits, __ATOMIC_RELAXED);

	if (!b) {
		b = (u8)cpu_maxphyaddr();
		__atomic_store_n(&bits, b, __ATOMIC_RELAXED);
	}
	return b;
}

/* The paging state of v, as the walker takes it. */
static void vcpu_paging_regs(struct vcpu *v, struct gwalk_regs *r)
{
	r->cr0 = virt->get_cr0(v);
	r->cr3 = virt->get_cr3(v);
	r->cr4 = virt->get_cr4(v);
	r->efer = virt->get_efer(v);
	r->rflags = virt->get_rflags(v);
	r->cpl = (u8)virt->get_cpl(v);
	r->maxphyaddr = guest_maxphyaddr();
}

int vcpu_gva_to_gpa(struct vcpu *v, u64 gva, u32 access, gpa_t *gpa, struct gva_fault *f)
{
	const struct gwalk_mem m = { .ctx = v->vm, .read = walk_read, .cmpxchg = walk_cmpxchg };
	enum gwalk_status st;
	struct gwalk_regs r;
	struct gwalk w;

	vcpu_paging_regs(v, &r);
	memset(f, 0, sizeof(*f));
	st = gwalk(&r, gva, access, &m, &w);
	v->stats.gva_walks[w.mode]++;
	v->stats.gva_faults += st == GWALK_PAGE_FAULT || st == GWALK_NONCANONICAL;
	switch (st) {
	case GWALK_OK:
		*gpa = w.gpa;
		return 0;
	case GWALK_PAGE_FAULT:
		f->vector = PF_VECTOR;
		f->error = w.error;
		f->addr = (r.efer & EFER_LMA) ? gva : (u32)gva;
		return 1;
	case GWALK_NONCANONICAL:
		f->vector = GP_VECTOR;
		return 1;
	case GWALK_RETRY:
		return -EAGAIN;
	case GWALK_NO_MEMORY:
		pr_debug("vm %s: vcpu%u: page-table entry at GPA 0x%llx is not memory (GVA 0x%llx)\n",
			 v->vm->name, v->id, (unsigned long long)w.bad_gpa,
			 (unsigned long long)gva);
		return -EFAULT;
	}
	return -EFAULT;
}

void vcpu_inject_fault(struct vcpu *v, const struct gva_fault *f)
{
	if (f->vector == PF_VECTOR)
		virt->set_cr2(v, f->addr);
	virt->inject_exception(v, f->vector, true, f->error);
}

int vcpu_fetch_insn(struct vcpu *v, u8 *buf, unsigned int len, struct gva_fault *f)
{
	/* 64-bit mode (CS.L): RIP as it is; otherwise (compatibility mode
	 * too) CS.base + EIP, within 4 GiB. */
	bool lm = virt->get_cpu_mode(v) == CPU_MODE_64;
	u64 rip = virt->get_rip(v);
	unsigned int got = 0;
	int r = 0;

	memset(f, 0, sizeof(*f));
	if (!lm)
		rip = (u32)(virt->get_cs_base(v) + rip);

	while (got < len) {
		u64 la = lm ? rip + got : (u32)(rip + got);
		u64 in_page = PAGE_SIZE - (la & (PAGE_SIZE - 1));
		unsigned int chunk = (unsigned int)MIN((u64)(len - got), in_page);
		gpa_t gpa;

		r = vcpu_gva_to_gpa(v, la, GWALK_FETCH, &gpa, f);
		if (!r && vm_read_gpa(v->vm, gpa, buf + got, chunk))
			r = -EFAULT;
		if (r)
			break;
		got += chunk;
	}
	if (got)
		return (int)got;
	return r > 0 ? -EFAULT : r;
}

bool vcpu_fetch_interrupted(struct vcpu *v, int err, const struct gva_fault *f)
{
	if (err == -EAGAIN)
		return true;
	if (!f->vector || (err != -E2BIG && err != -EFAULT))
		return false;
	vcpu_inject_fault(v, f);
	return true;
}
