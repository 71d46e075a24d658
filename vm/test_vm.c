// SPDX-License-Identifier: MIT
/* Host side of the built-in test VMs (layout in include/vm/test_vm.h). */
#include "vm/test_vm.h"
#include "vm/hypercall.h"
#include "arch/exception.h"
#include "bug.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"

#define SYS_PML4 0x0000
#define SYS_GDT 0x2000
#define SYS_IDT 0x3000
#define SYS_TSS 0x4000
#define SYS_PT_FIRST 0x5000
#define SYS_PT_END 0x100000
#define SYS_STACK_TOP 0x200000
#define SYS_RSP0 0x140000	/* exceptions from CPL 3 land here */
#define SYS_STACK_PER_VCPU 0x20000	/* vCPU n's stack tops at SYS_STACK_TOP - n * this */
#define GUEST_TSS_BYTES 104
#define TSS_RSP0 4

#define PTE_P BIT_ULL(0)
#define PTE_RW BIT_ULL(1)
#define PTE_US BIT_ULL(2)
#define PTE_PS BIT_ULL(7)
#define PTE_ADDR GENMASK_ULL(51, 12)
#define HUGE_2M (2ULL << 20)

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS 0x18

extern char __image_base[], __image_end[];

/* I/O ports of test VMs lead nowhere: reads float high, writes vanish. */
static int test_io(struct vcpu *v, u16 port, u8 size, bool in, u32 *val)
{
	if (in)
		*val = ~0U;
	return 0;
}

/* A test VM's CPU has no MSRs beyond what the hardware keeps itself. */
static int test_msr(struct vcpu *v, u32 msr, bool write, u64 *val)
{
	return -EPERM;
}

/* ... and no extended state to enable. */
static int test_xsetbv(struct vcpu *v, u32 xcr, u64 val)
{
	return -EOPNOTSUPP;
}

/* A triple fault kills the VM; its test reports the death. */
static void test_shutdown(struct vcpu *v)
{
}

/* The HC_TEST_* calls: events for the host-side test.  Returns 1, or
 * -ENOSYS for any other call. */
static int test_hypercall(struct vcpu *v, u64 nr, struct vcpu_event *ev, s64 *ret)
{
	switch (nr) {
	case HC_TEST_SYNC:
		ev->type = VEV_SYNC;
		ev->value = v->gpr[GPR_RBX];
		break;
	case HC_TEST_DONE:
		ev->type = VEV_DONE;
		break;
	case HC_TEST_ASSERT:
		ev->type = VEV_ASSERT;
		if (vm_read_gpa_string(v->vm, v->gpr[GPR_RBX], ev->file, sizeof(ev->file)))
			strscpy(ev->file, "(bad pointer)", sizeof(ev->file));
		if (vm_read_gpa_string(v->vm, v->gpr[GPR_RDX], ev->cond, sizeof(ev->cond)))
			strscpy(ev->cond, "(bad pointer)", sizeof(ev->cond));
		ev->line = v->gpr[GPR_RCX];
		ev->value = v->gpr[GPR_RSI];
		break;
	default:
		return -ENOSYS;
	}
	v->gpr[GPR_RAX] = 0;
	return 1;
}

/* Built-in guests that report to their host-side test. */
static const struct vm_kind_ops test_kind = {
	.name = "test",
	.io = test_io,
	.msr = test_msr,
	.xsetbv = test_xsetbv,
	.shutdown = test_shutdown,
	.hypercall = test_hypercall,
};

/* A zeroed page-table page of the system slot; returns its GPA or 0. */
static gpa_t sys_alloc_table(struct test_vm *t)
{
	gpa_t gpa;

	if (t->sys_next >= SYS_PT_END)
		return 0;
	gpa = TEST_VM_SYS_GPA + t->sys_next;
	memset(t->sys + t->sys_next, 0, PAGE_SIZE);
	t->sys_next += PAGE_SIZE;
	return gpa;
}

static u64 *sys_ptr(struct test_vm *t, gpa_t gpa)
{
	return (u64 *)(t->sys + (gpa - TEST_VM_SYS_GPA));
}

/* The next-level table under entry *e, made if missing; NULL when full. */
static u64 *next_table(struct test_vm *t, u64 *e)
{
	if (!(*e & PTE_P)) {
		gpa_t gpa = sys_alloc_table(t);

		if (!gpa)
			return NULL;
		*e = gpa | PTE_P | PTE_RW | PTE_US;
	}
	return sys_ptr(t, *e & PTE_ADDR);
}

int test_vm_map_guest(struct test_vm *t, gpa_t gpa, u64 bytes)
{
	u64 va, end = ALIGN_UP(gpa + bytes, HUGE_2M);

	for (va = ALIGN_DOWN(gpa, HUGE_2M); va < end; va += HUGE_2M) {
		u64 *pml4 = sys_ptr(t, TEST_VM_SYS_GPA + SYS_PML4);
		u64 *pdpt = next_table(t, &pml4[(va >> 39) & 511]);
		u64 *pd = pdpt ? next_table(t, &pdpt[(va >> 30) & 511]) : NULL;

		if (!pd)
			return -ENOMEM;
		pd[(va >> 21) & 511] = va | PTE_P | PTE_RW | PTE_US | PTE_PS;
	}
	return 0;
}

gpa_t test_vm_pde_gpa(struct test_vm *t, u64 va)
{
	u64 e = sys_ptr(t, TEST_VM_SYS_GPA + SYS_PML4)[(va >> 39) & 511];

	if (!(e & PTE_P))
		return 0;
	e = sys_ptr(t, e & PTE_ADDR)[(va >> 30) & 511];
	if (!(e & PTE_P))
		return 0;
	return (e & PTE_ADDR) + 8 * ((va >> 21) & 511);
}

/* GDT: null, 64-bit code, data, a 16-byte TSS descriptor, then CPL 3 data
 * (0x2b) and 64-bit code (0x33). */
static void build_gdt(struct test_vm *t)
{
	u64 *gdt = (u64 *)(t->sys + SYS_GDT);
	u64 tss = TEST_VM_SYS_GPA + SYS_TSS, limit = GUEST_TSS_BYTES - 1;

	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffULL;		/* code: P, DPL0, L, G */
	gdt[2] = 0x00cf93000000ffffULL;		/* data: P, DPL0, D/B, G */
	gdt[3] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x8bULL << 40) |
		 ((tss >> 24) & 0xff) << 56;
	gdt[4] = tss >> 32;
	gdt[5] = 0x00cff3000000ffffULL;		/* user data: DPL3 */
	gdt[6] = 0x00affb000000ffffULL;		/* user code: DPL3, L */
	*(u64 *)(t->sys + SYS_TSS + TSS_RSP0) = TEST_VM_SYS_GPA + SYS_RSP0;
}

/* IDT: vectors 0-31 to the guest runtime's stubs in hv.efi's image. */
static void build_idt(struct test_vm *t)
{
	u64 *idt = (u64 *)(t->sys + SYS_IDT);
	unsigned int i;

	for (i = 0; i < 32; i++) {
		u64 h = (u64)(uintptr_t)(guest_exception_stubs + i * GUEST_EXC_STUB_SIZE);

		idt[2 * i] = (h & 0xffff) | ((u64)SEL_CODE << 16) | (0x8eULL << 40) |
			     ((h >> 16) & 0xffff) << 48;
		idt[2 * i + 1] = h >> 32;
	}
}

static int add_image_slot(struct test_vm *t)
{
	uintptr_t base = (uintptr_t)__image_base;
	u64 bytes = ALIGN_UP((u64)((uintptr_t)__image_end - base), PAGE_SIZE);

	if (base < TEST_VM_SYS_GPA + HUGE_2M * 2 && base + bytes > TEST_VM_SYS_GPA) {
		pr_err("test_vm: hv.efi at 0x%llx overlaps the system slot\n",
		       (unsigned long long)base);
		return -EEXIST;
	}
	if (!vm_add_slot(&t->vm, gpa_to_gfn(base), bytes >> PAGE_SHIFT,
			 hpa_to_pfn(base), MM_SLOT_READONLY))
		return -ENOSPC;
	return test_vm_map_guest(t, base, bytes);
}

/* A test vCPU's start: long mode on the VM's tables, its stack at top. */
static void fill_boot(struct vcpu_boot *boot, u64 stack_top)
{
	memset(boot, 0, sizeof(*boot));
	boot->cr3 = TEST_VM_SYS_GPA + SYS_PML4;
	boot->rip = (u64)(uintptr_t)guest_rt_start;
	boot->rsp = TEST_VM_SYS_GPA + stack_top;
	boot->gdt_base = TEST_VM_SYS_GPA + SYS_GDT;
	boot->gdt_limit = 7 * 8 - 1;
	boot->idt_base = TEST_VM_SYS_GPA + SYS_IDT;
	boot->idt_limit = 32 * 16 - 1;
	boot->cs = SEL_CODE;
	boot->ds = SEL_DATA;
	boot->tr = SEL_TSS;
	boot->tr_base = TEST_VM_SYS_GPA + SYS_TSS;
	boot->tr_limit = GUEST_TSS_BYTES - 1;
}

int test_vm_add_vcpu(struct test_vm *t, struct vcpu *v, unsigned int id, guest_fn fn)
{
	struct vcpu_boot boot;
	const struct vcpu_config cfg = { .boot = &boot };
	int err;

	if (!id || id >= TEST_VM_MAX_VCPUS)
		return -EINVAL;
	fill_boot(&boot, SYS_STACK_TOP - id * SYS_STACK_PER_VCPU);
	err = vcpu_create(v, &t->vm, id, &cfg);
	if (err)
		return err;
	v->gpr[GPR_RDI] = TEST_VM_SHARED_GPA;
	v->gpr[GPR_RSI] = (u64)(uintptr_t)fn;
	return 0;
}

int test_vm_create(struct test_vm *t, const char *name, guest_fn fn)
{
	struct vcpu_boot boot;
	const struct vcpu_config cfg = { .boot = &boot };
	int err;

	memset(t, 0, sizeof(*t));
	err = vm_create(&t->vm, name, &test_kind);
	if (err)
		return err;
	t->sys = alloc_pages(TEST_VM_SYS_ORDER);
	if (!t->sys) {
		vm_destroy(&t->vm);
		return -ENOMEM;
	}
	memset(t->sys, 0, PAGE_SIZE << TEST_VM_SYS_ORDER);
	t->sys_next = SYS_PT_FIRST;
	t->shared = (struct guest_shared *)(t->sys + (TEST_VM_SHARED_GPA - TEST_VM_SYS_GPA));
	err = vm_add_slot(&t->vm, gpa_to_gfn(TEST_VM_SYS_GPA), 1ULL << TEST_VM_SYS_ORDER,
			  hpa_to_pfn((uintptr_t)t->sys), 0) ? 0 : -ENOSPC;
	if (!err)
		err = test_vm_map_guest(t, TEST_VM_SYS_GPA, PAGE_SIZE << TEST_VM_SYS_ORDER);
	if (!err)
		err = add_image_slot(t);
	if (err)
		goto fail;
	build_gdt(t);
	build_idt(t);
	guest_use_vmmcall = virt->features->hypercall_vmmcall;

	fill_boot(&boot, SYS_STACK_TOP);
	err = vcpu_create(&t->vcpu, &t->vm, 0, &cfg);
	if (err)
		goto fail;
	t->vcpu.gpr[GPR_RDI] = TEST_VM_SHARED_GPA;
	t->vcpu.gpr[GPR_RSI] = (u64)(uintptr_t)fn;
	return 0;
fail:
	vm_destroy(&t->vm);
	free_pages(t->sys, TEST_VM_SYS_ORDER);
	t->sys = NULL;
	return err;
}

void *test_vm_add_memory(struct test_vm *t, gpa_t gpa, u64 bytes, u32 flags,
			 struct mm_slot **slotp)
{
	unsigned int order = order_for_bytes(bytes);
	struct mm_slot *slot;
	void *p;

	if (t->nmem >= TEST_VM_MAX_MEM || !IS_ALIGNED(gpa, PAGE_SIZE))
		return NULL;
	p = alloc_pages(order);
	if (!p)
		return NULL;
	slot = vm_add_slot(&t->vm, gpa_to_gfn(gpa), ALIGN_UP(bytes, PAGE_SIZE) >> PAGE_SHIFT,
			   hpa_to_pfn((uintptr_t)p), flags);
	if (!slot || test_vm_map_guest(t, gpa, bytes)) {
		free_pages(p, order);
		return NULL;
	}
	t->mem[t->nmem].p = p;
	t->mem[t->nmem].order = order;
	t->nmem++;
	if (slotp)
		*slotp = slot;
	return p;
}

void test_vm_destroy(struct test_vm *t)
{
	unsigned int i;

	if (!t->sys)
		return;
	vcpu_destroy(&t->vcpu);
	vm_destroy(&t->vm);
	for (i = 0; i < t->nmem; i++)
		free_pages(t->mem[i].p, t->mem[i].order);
	free_pages(t->sys, TEST_VM_SYS_ORDER);
	t->sys = NULL;
}

enum vcpu_event_type test_vm_run(struct test_vm *t)
{
	enum vcpu_event_type type = vcpu_run(&t->vcpu, &t->ev);

	if (type == VEV_ASSERT)
		pr_err("vm %s: guest assertion failed at %s:%llu: %s (value 0x%llx)\n",
		       t->vm.name, t->ev.file, (unsigned long long)t->ev.line, t->ev.cond,
		       (unsigned long long)t->ev.value);
	return type;
}

u64 test_vm_regs_read(struct vm_mmio_dev *d, u64 off, unsigned int size)
{
	u64 v = 0;

	BUG_ON(size > sizeof(v) || off + size > d->size);
	memcpy(&v, (u8 *)d->priv + off, size);
	return v;
}

void test_vm_regs_write(struct vm_mmio_dev *d, u64 off, unsigned int size, u64 val)
{
	BUG_ON(size > sizeof(val) || off + size > d->size);
	memcpy((u8 *)d->priv + off, &val, size);
}
