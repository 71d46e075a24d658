// SPDX-License-Identifier: MIT
/*
 * bad_guest: what a guest does wrong ends as specified, and the hypervisor
 * goes on with the next test.
 *   - SVM and VMX instructions raise #UD in the guest (caught by its own
 *     IDT), intercepted under one vendor and refused by the CPU under the
 *     other;
 *   - a triple fault kills the VM with the reason logged;
 *   - an access outside every slot and device kills the VM, GPA logged;
 *   - a write to a read-only slot kills the VM with the GPA reported;
 *   - hypercalls with unknown numbers, bad pointers, huge lengths, or from
 *     CPL 3 fail (error or #UD) and write nothing outside the guest buffer.
 *
 * bad_guest_cr0_cache_bits: a guest that disables its caches (CR0.CD, and
 * CD with NW) does it for itself: the host's CR0 is the same after the
 * exits that follow.
 *
 * hv_memory_hidden: a test VM reaches no page of the hypervisor's pool,
 * whatever GPA it tries.
 */
#include "errcode.h"
#include "lib/ktest.h"
#include "lib/string.h"
#include "mm/mm_hooks.h"
#include "mm/page_alloc.h"
#include "arch/cr.h"
#include "arch/x86.h"
#include "vm/guest_fuzz.h"
#include "vm/test_vm.h"

#define BG_UNBACKED_GPA 0x700000000ULL
#define BG_RO_GPA (6ULL << 30)
#define BG_BUF_GPA (7ULL << 30)
#define BG_BUF_BYTES (2 * PAGE_SIZE)
#define BG_CANARY 0xc5

static struct test_vm tvm;

static bool death_says(const char *what)
{
	return strstr(tvm.vm.death, what) != NULL;
}

static void guest_svm_insns(struct guest_shared *sh)
{
	sh->ud_skip = 3;
	guest_exec_vmrun();
	guest_exec_vmload();
	guest_exec_vmsave();
	guest_exec_stgi();
	guest_exec_clgi();
	guest_exec_invlpga();
	guest_exec_skinit();
	sh->ud_skip = 0;
	GUEST_ASSERT_EQ(sh->ud_count, 7);
	GUEST_ASSERT_EQ(sh->last_vector, 6);
}

static void guest_vmx_insns(struct guest_shared *sh)
{
	sh->ud_skip = GUEST_VMXON_LEN;
	guest_exec_vmxon();
	sh->ud_skip = GUEST_VMPTRLD_LEN;
	guest_exec_vmptrld();
	sh->ud_skip = GUEST_VMREAD_LEN;
	guest_exec_vmread();
	sh->ud_skip = GUEST_VMWRITE_LEN;
	guest_exec_vmwrite();
	sh->ud_skip = GUEST_VMLAUNCH_LEN;
	guest_exec_vmlaunch();
	sh->ud_skip = GUEST_INVEPT_LEN;
	guest_exec_invept();
	sh->ud_skip = 0;
	GUEST_ASSERT_EQ(sh->ud_count, 6);
	GUEST_ASSERT_EQ(sh->last_vector, 6);
}

static void guest_read_unbacked(struct guest_shared *sh)
{
	sh->arg[0] = *(volatile u64 *)(uintptr_t)BG_UNBACKED_GPA;
	GUEST_SYNC(99);	/* not reached */
}

static void guest_write_readonly(struct guest_shared *sh)
{
	volatile u64 *p = (volatile u64 *)(uintptr_t)BG_RO_GPA;

	GUEST_SYNC(*p);
	*p = 1;
	GUEST_SYNC(99);	/* not reached */
}

static void guest_bad_hypercalls(struct guest_shared *sh)
{
	u64 end = BG_BUF_GPA + BG_BUF_BYTES;

	sh->arg[0] = (u64)guest_hypercall(0xdead, 0, 0, 0, 0);
	sh->arg[1] = (u64)guest_hypercall(HC_LOG_READ, BG_UNBACKED_GPA, 64, 0, 0);
	sh->arg[2] = (u64)guest_hypercall(HC_LOG_READ, BG_BUF_GPA, 1ULL << 40, 0, 0);
	sh->arg[3] = (u64)guest_hypercall(HC_LOG_READ, end - 16, 64, 0, 0);
	sh->arg[4] = (u64)guest_hypercall(HC_LOG_READ, BG_BUF_GPA, 64, 0, 0);
	sh->arg[5] = (u64)guest_hypercall(HC_VERSION, 0, 0, 0, 0);
	sh->arg[6] = (u64)guest_hypercall(HC_STATS, BG_BUF_GPA + PAGE_SIZE, 0, 0, 0);
	sh->arg[7] = (u64)guest_hypercall(HC_STATS, end - 8, 0, 0, 0);
	/* the platform VM's call: a test VM's kind has no such call */
	sh->arg[8] = (u64)guest_hypercall(HC_HV_MEMORY, BG_BUF_GPA + 128, 0, 0, 0);
	/* Another hypervisor's numbers (KVM's 1 was our HC_LOG_READ before the
	 * numbers moved to HC_BASE), the first past our span, ours with the
	 * upper half of RAX set: none is ours, none writes anything. */
	sh->arg[9] = (u64)guest_hypercall(1, BG_BUF_GPA + PAGE_SIZE + 256, 64, 0, 0);
	sh->arg[10] = (u64)guest_hypercall(HC_BASE + HC_SPAN, BG_BUF_GPA + PAGE_SIZE + 256, 64, 0, 0);
	sh->arg[11] = (u64)guest_hypercall((1ULL << 32) | HC_LOG_READ, BG_BUF_GPA + PAGE_SIZE + 256,
					    64, 0, 0);
	guest_user_hypercall(sh, HC_VERSION);
	GUEST_SYNC(1);
}

static bool make_vm(struct ktest_ctx *t, const char *name, guest_fn fn)
{
	return KT_EXPECT_EQ(t, test_vm_create(&tvm, name, fn), 0);
}

KTEST(bad_guest)
{
	u64 used = page_pool_used(&hv_pool), i, bad = 0;
	u8 *buf, *ro;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");

	if (make_vm(t, "bad_guest_svm", guest_svm_insns)) {
		KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
		KT_EXPECT_EQ(t, tvm.shared->ud_count, 7);
		test_vm_destroy(&tvm);
	}

	if (make_vm(t, "bad_guest_vmx", guest_vmx_insns)) {
		KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
		KT_EXPECT_EQ(t, tvm.shared->ud_count, 6);
		test_vm_destroy(&tvm);
	}

	if (!ktest_subcase_skipped(t, "triple_fault") &&
	    make_vm(t, "bad_guest_triple", (guest_fn)guest_triple_fault)) {
		KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DEAD);
		KT_EXPECT(t, death_says("triple fault"));
		test_vm_destroy(&tvm);
	}

	if (make_vm(t, "bad_guest_unbacked", guest_read_unbacked)) {
		test_vm_map_guest(&tvm, BG_UNBACKED_GPA, PAGE_SIZE);
		KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DEAD);
		KT_EXPECT(t, death_says("outside every memory slot"));
		KT_EXPECT(t, death_says("GPA 0x700000000"));
		test_vm_destroy(&tvm);
	}

	if (make_vm(t, "bad_guest_readonly", guest_write_readonly)) {
		ro = test_vm_add_memory(&tvm, BG_RO_GPA, PAGE_SIZE, MM_SLOT_READONLY, NULL);
		if (KT_EXPECT(t, ro != NULL)) {
			*(u64 *)ro = 0x5eed;
			KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
			KT_EXPECT_EQ(t, tvm.ev.value, 0x5eed);
			KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DEAD);
			KT_EXPECT(t, death_says("write to read-only memory at GPA 0x180000000"));
			KT_EXPECT_EQ(t, *(u64 *)ro, 0x5eed);
		}
		test_vm_destroy(&tvm);
	}

	if (make_vm(t, "bad_guest_hypercalls", guest_bad_hypercalls)) {
		test_vm_map_guest(&tvm, BG_UNBACKED_GPA, PAGE_SIZE);
		buf = test_vm_add_memory(&tvm, BG_BUF_GPA, BG_BUF_BYTES, 0, NULL);
		if (KT_EXPECT(t, buf != NULL)) {
			memset(buf, BG_CANARY, BG_BUF_BYTES);
			KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
			KT_EXPECT_EQ(t, (s64)tvm.shared->arg[0], -ENOSYS);
			KT_EXPECT_EQ(t, (s64)tvm.shared->arg[1], -EFAULT);
			KT_EXPECT_EQ(t, (s64)tvm.shared->arg[2], -E2BIG);
			KT_EXPECT_EQ(t, (s64)tvm.shared->arg[3], -EFAULT);
			KT_EXPECT_EQ(t, tvm.shared->arg[4], 64);
			KT_EXPECT_EQ(t, tvm.shared->arg[5], HC_ABI_VERSION);
			KT_EXPECT_EQ(t, tvm.shared->arg[6], 0);
			KT_EXPECT_EQ(t, (s64)tvm.shared->arg[7], -EFAULT);
			KT_EXPECT_EQ(t, (s64)tvm.shared->arg[8], -ENOSYS);
			KT_EXPECT_EQ(t, (s64)tvm.shared->arg[9], -ENOSYS);
			KT_EXPECT_EQ(t, (s64)tvm.shared->arg[10], -ENOSYS);
			KT_EXPECT_EQ(t, (s64)tvm.shared->arg[11], -ENOSYS);
			/* the refused calls wrote nothing; the good ones stayed in bounds */
			for (i = 64; i < PAGE_SIZE; i++)
				bad += buf[i] != BG_CANARY;
			for (i = PAGE_SIZE + sizeof(struct hc_stats); i < BG_BUF_BYTES; i++)
				bad += buf[i] != BG_CANARY;
			KT_EXPECT_EQ(t, bad, 0);
			KT_EXPECT(t, buf[0] != BG_CANARY);	/* the log was copied */
			KT_EXPECT_EQ(t, tvm.shared->user_fault_rip,
				     (u64)(uintptr_t)(guest_use_vmmcall ? guest_user_vmmcall_insn
									: guest_user_vmcall_insn));
			KT_EXPECT_EQ(t, tvm.shared->ud_count, 1);
		}
		test_vm_destroy(&tvm);
	}
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}

/* CR0 ^= each value in sh->arg[0..1] (the fuzzer's primitive), a SYNC after each. */
static void guest_cr0_cache_bits(struct guest_shared *sh)
{
	struct fuzz_op op = { .kind = FOP_CR0_XOR };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		op.a[0] = sh->arg[i];
		sh->arg[2 + i] = guest_fuzz_run(&op, fuzz_cr0_xor);
		GUEST_SYNC(i);
	}
}

KTEST(bad_guest_cr0_cache_bits)
{
	u64 host_cr0 = read_cr0();

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	if (!make_vm(t, "bad_guest_cr0", guest_cr0_cache_bits))
		return;
	tvm.shared->arg[0] = X86_CR0_CD;		/* CD on */
	tvm.shared->arg[1] = X86_CR0_NW;		/* then NW as well */
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	KT_EXPECT_EQ(t, tvm.shared->arg[2], 0);	/* no exception */
	KT_EXPECT_EQ(t, read_cr0(), host_cr0);
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
	KT_EXPECT_EQ(t, tvm.shared->arg[3], 0);
	KT_EXPECT_EQ(t, read_cr0(), host_cr0);
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, read_cr0(), host_cr0);
}

static void guest_probe(struct guest_shared *sh)
{
	sh->arg[1] = *(volatile u64 *)(uintptr_t)sh->arg[0];
	GUEST_SYNC(99);	/* not reached */
}

/* One VM that tries to read hpa as a GPA: it must die, reading nothing. */
static void probe_pool_page(struct ktest_ctx *t, hpa_t hpa)
{
	if (!make_vm(t, "hv_memory_hidden", guest_probe))
		return;
	tvm.shared->arg[0] = hpa;
	tvm.shared->arg[1] = 0x600d;
	if (vm_find_slot(&tvm.vm, gpa_to_gfn(hpa))) {	/* the VM's own memory */
		test_vm_destroy(&tvm);
		return;
	}
	test_vm_map_guest(&tvm, hpa, 8);
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DEAD);
	KT_EXPECT(t, death_says("outside every memory slot"));
	KT_EXPECT_EQ(t, tvm.shared->arg[1], 0x600d);
	test_vm_destroy(&tvm);
}

KTEST(hv_memory_hidden)
{
	u64 used = page_pool_used(&hv_pool), first, last, i;
	hpa_t npt_root, vcpu_state;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	first = hv_pool.base;
	last = hv_pool.base + (hv_pool.npages << PAGE_SHIFT) - 8;
	/* The pool's ends, its metadata, and pages the hypervisor uses for
	 * this very VM: its nested page tables and its vCPU state. */
	if (!make_vm(t, "hv_memory_hidden", guest_probe))
		return;
	npt_root = mm_virt_to_phys(tvm.vcpu.tdp.root->pt);
	vcpu_state = (hpa_t)(uintptr_t)tvm.vcpu.arch;
	test_vm_destroy(&tvm);
	probe_pool_page(t, first);
	probe_pool_page(t, last);
	probe_pool_page(t, npt_root);
	probe_pool_page(t, vcpu_state);
	for (i = 1; i < 8; i++)		/* spread over the whole pool */
		probe_pool_page(t, first + ((last - first) / 8) * i);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}
