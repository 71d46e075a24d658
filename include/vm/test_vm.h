/* SPDX-License-Identifier: MIT */
/*
 * Host side of the built-in test VMs.  A test VM has
 *   - a 2 MiB system slot at TEST_VM_SYS_GPA: guest page tables, GDT, IDT,
 *     TSS, the struct guest_shared page and a 1 MiB stack;
 *   - hv.efi's image as a read-only slot at its own address, so guest code
 *     runs where it was linked;
 *   - the test's own memory, added with test_vm_add_memory().
 * Guest-virtual equals guest-physical everywhere (2 MiB guest pages).
 */
#ifndef TDPVISOR_VM_TEST_VM_H
#define TDPVISOR_VM_TEST_VM_H

#include "vm/guest.h"
#include "vm/run.h"

#define TEST_VM_SYS_GPA 0x200000ULL
#define TEST_VM_SYS_ORDER 9
#define TEST_VM_SHARED_GPA (TEST_VM_SYS_GPA + 0x1000)
#define TEST_VM_MAX_MEM 8
#define TEST_VM_MAX_VCPUS 4

struct test_vm {
	struct vm vm;
	struct vcpu vcpu;
	u8 *sys;			/* host view of the system slot */
	u64 sys_next;			/* next free page-table page in sys */
	struct guest_shared *shared;	/* host view of the shared page */
	struct { void *p; unsigned int order; } mem[TEST_VM_MAX_MEM];
	unsigned int nmem;
	struct vcpu_event ev;		/* the last event */
};

/* Creates a VM with one vCPU that will run fn(shared).  Returns 0 or <0. */
int test_vm_create(struct test_vm *t, const char *name, guest_fn fn);
/*
 * Another vCPU of t's VM (id 1 .. TEST_VM_MAX_VCPUS - 1) that will run
 * fn(shared) on a stack of its own (128 KiB), sharing the VM's tables and
 * shared page.  Create, run and destroy it (vcpu_destroy()) on the CPU that
 * runs it (smp_call_start()): VMX keeps a VMCS on one CPU.  0 or <0.
 */
int test_vm_add_vcpu(struct test_vm *t, struct vcpu *v, unsigned int id, guest_fn fn);
/*
 * Backs [gpa, gpa + bytes) with fresh memory from the hypervisor's pool (host
 * frames aligned to the block size) and maps it in the guest's page tables.
 * Returns the host view of it, or NULL.
 */
void *test_vm_add_memory(struct test_vm *t, gpa_t gpa, u64 bytes, u32 flags,
			 struct mm_slot **slot);
/* Maps gpa..gpa+bytes in the guest's page tables only (no memory behind). */
int test_vm_map_guest(struct test_vm *t, gpa_t gpa, u64 bytes);
/* The GPA of the page-directory entry that maps va (a 2 MiB page, as
 * test_vm_map_guest() makes them), or 0 when no table reaches it. */
gpa_t test_vm_pde_gpa(struct test_vm *t, u64 va);
void test_vm_destroy(struct test_vm *t);
/* Runs until the next event; logs assertion failures and deaths. */
enum vcpu_event_type test_vm_run(struct test_vm *t);

/*
 * A device of plain registers for the tests' MMIO: bytes at d->priv (at
 * least d->size of them) that accesses read and write as memory would.
 * Use as { .name, .base, .size, .priv = backing, TEST_VM_REGS_OPS }.
 */
u64 test_vm_regs_read(struct vm_mmio_dev *d, u64 off, unsigned int size);
void test_vm_regs_write(struct vm_mmio_dev *d, u64 off, unsigned int size, u64 val);
#define TEST_VM_REGS_OPS .read = test_vm_regs_read, .write = test_vm_regs_write

#endif
