// SPDX-License-Identifier: MIT
/*
 * What S3 asks of the vendor code, on one CPU and without a machine that
 * sleeps:
 *  - sleep_*: a test vCPU exits, the CPU goes through virt_ops.cpu_sleep(),
 *    then loses VMX or SVM as a power cut takes it (power_cut_virt()), and
 *    virt_ops.cpu_wake() turns it on again; the same vCPU must go on with
 *    its registers, its guest state and its memory, cycle after cycle.
 *  - vcpu_start_*: virt_ops.vcpu_start(), the entry of an AP's SIPI and of
 *    a waking OS, on a test vCPU: real mode at CS:IP and flat 32-bit
 *    protected mode, each shown by what a few bytes of guest code placed
 *    there did; and a start where the VM has no memory, which must kill
 *    the VM and nothing else.
 */
#include "arch/cr.h"
#include "arch/msr.h"
#include "arch/x86.h"
#include "bug.h"
#include "lib/ktest.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/page_alloc.h"
#include "vm/insn.h"
#include "vm/test_vm.h"
#include "vmx/caps.h"
#include "vmx/vmcs.h"

#define SLEEP_CYCLES 3
#define SLEEP_DONE 0x5133d0e5ULL

static struct test_vm tvm;

/* VMX is the vendor in use: CR4.VMXE is set while it is on (SVM: never). */
static bool vmx_in_use(void)
{
	return read_cr4() & X86_CR4_VMXE;
}

/*
 * What the power takes from this CPU besides its caches: VMX operation
 * (VMXOFF, then CR4.VMXE clear as after a reset) or SVM's enable bit and
 * host save area.  The VMCS or VMCB stays in memory, as it does in S3.
 */
static void power_cut_virt(void)
{
	if (vmx_in_use()) {
		__vmxoff();
		write_cr4(read_cr4() & ~X86_CR4_VMXE);
	} else {
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_SVME);
		wrmsr(MSR_VM_HSAVE_PA, 0);
	}
}

/* The guest state the VMCS or VMCB holds, as the accessors read it. */
struct guest_view {
	u64 rip, rsp, rflags, cr0, cr3, cr4, efer, cs_base;
	unsigned int mode, cpl;
};

static void read_view(struct vcpu *v, struct guest_view *g)
{
	g->rip = virt->get_rip(v);
	g->rsp = v->gpr[GPR_RSP];
	g->rflags = virt->get_rflags(v);
	g->cr0 = virt->get_cr0(v);
	g->cr3 = virt->get_cr3(v);
	g->cr4 = virt->get_cr4(v);
	g->efer = virt->get_efer(v);
	g->cs_base = virt->get_cs_base(v);
	g->mode = virt->get_cpu_mode(v);
	g->cpl = virt->get_cpl(v);
}

static void expect_same_view(struct ktest_ctx *t, const struct guest_view *a,
			     const struct guest_view *b)
{
	KT_EXPECT_EQ(t, b->rip, a->rip);
	KT_EXPECT_EQ(t, b->rsp, a->rsp);
	KT_EXPECT_EQ(t, b->rflags, a->rflags);
	KT_EXPECT_EQ(t, b->cr0, a->cr0);
	KT_EXPECT_EQ(t, b->cr3, a->cr3);
	KT_EXPECT_EQ(t, b->cr4, a->cr4);
	KT_EXPECT_EQ(t, b->efer, a->efer);
	KT_EXPECT_EQ(t, b->cs_base, a->cs_base);
	KT_EXPECT_EQ(t, b->mode, a->mode);
	KT_EXPECT_EQ(t, b->cpl, a->cpl);
}

/*
 * Each cycle: a value in memory and one on the stack, then a SYNC with
 * registers holding patterns (sh->arg[1 + i] gets the ones that changed);
 * after it, both values must still be there.
 */
static void guest_sleeps_through_syncs(struct guest_shared *sh)
{
	volatile u64 on_stack;
	u64 i;

	for (i = 0; i < SLEEP_CYCLES; i++) {
		on_stack = 0x57ac0000 + i;
		sh->arg[0] = 0x3e3e0000 + i;
		sh->arg[1 + i] = guest_sync_keeping_regs(i);
		GUEST_ASSERT_EQ(on_stack, 0x57ac0000 + i);
		GUEST_ASSERT_EQ(sh->arg[0], 0x3e3e0000 + i);
	}
	sh->arg[8] = SLEEP_DONE;
}

KTEST(sleep_power_cut_and_wake_resume_the_vcpu_with_its_state)
{
	u64 used = page_pool_used(&hv_pool);
	struct guest_view before, after;
	struct vcpu *v = &tvm.vcpu;
	unsigned int i;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "sleep", guest_sleeps_through_syncs), 0);
	for (i = 0; i < SLEEP_CYCLES; i++) {
		KT_ASSERT_EQ(t, test_vm_run(&tvm), VEV_SYNC);
		KT_EXPECT_EQ(t, tvm.ev.value, i);
		read_view(v, &before);
		virt->cpu_sleep(v);
		power_cut_virt();
		/* Without VMX or SVM every later test would fault: stop here. */
		if (virt->cpu_wake())
			panic("sleep: cycle %u: %s did not come back after the power cut",
			      i, virt->name);
		read_view(v, &after);
		expect_same_view(t, &before, &after);
	}
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
	for (i = 0; i < SLEEP_CYCLES; i++)
		KT_EXPECT_EQ(t, tvm.shared->arg[1 + i], 0);	/* no register changed */
	KT_EXPECT_EQ(t, tvm.shared->arg[8], SLEEP_DONE);
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}

/* ---- vcpu_start ---- */

/* Low memory for the started code: real mode reaches the first MiB only. */
#define START_MEM_GPA 0x10000ULL
#define START_MEM_BYTES 0x20000ULL

/*
 * Real mode at 1000:0100 (linear 0x10100): DS = CS, a word to DS:0200, EAX
 * and BX set, an OUT to port 0x80, HLT.
 */
#define REAL_CS 0x1000
#define REAL_IP 0x0100
static const u8 real_code[] = {
	0x8c, 0xc8,				/* mov ax, cs */
	0x8e, 0xd8,				/* mov ds, ax */
	0xc7, 0x06, 0x00, 0x02, 0x34, 0x12,	/* mov word [0x200], 0x1234 */
	0x66, 0xb8, 0xef, 0xbe, 0xad, 0xde,	/* mov eax, 0xdeadbeef */
	0xe6, 0x80,				/* out 0x80, al */
	0xbb, 0x5a, 0xa5,			/* mov bx, 0xa55a */
	0xf4,					/* hlt */
};

/*
 * Flat 32-bit at 0x20100: a dword to 0x20200, CS's selector to 0x20204,
 * an OUT to port 0x80, EBX set, HLT.
 */
#define FLAT_IP 0x20100
static const u8 flat_code[] = {
	0xb8, 0xef, 0xbe, 0xad, 0xde,		/* mov eax, 0xdeadbeef */
	0xa3, 0x00, 0x02, 0x02, 0x00,		/* mov [0x20200], eax */
	0x8c, 0x0d, 0x04, 0x02, 0x02, 0x00,	/* mov [0x20204], cs */
	0xe6, 0x80,				/* out 0x80, al */
	0xbb, 0x0d, 0xf0, 0xfe, 0xca,		/* mov ebx, 0xcafef00d */
	0xf4,					/* hlt */
};

/* A test vCPU that is only ever started by vcpu_start: never runs this. */
static void guest_not_run(struct guest_shared *sh)
{
	sh->arg[0] = 1;
}

/* Why vcpu_start() cannot enter a test vCPU here, or NULL. */
static const char *start_unsupported(void)
{
	if (!virt)
		return "no hardware virtualization";
	if (vmx_in_use() && !vmx_caps()->unrestricted)
		return "VMX without unrestricted guest cannot run with paging off";
	return NULL;
}

/* A test VM with START_MEM at START_MEM_GPA holding code at gpa; its host
 * view, or NULL. */
static u8 *start_vm(struct ktest_ctx *t, const char *name, gpa_t gpa,
		    const u8 *code, unsigned int len)
{
	u8 *mem;

	if (!KT_EXPECT_EQ(t, test_vm_create(&tvm, name, guest_not_run), 0))
		return NULL;
	mem = test_vm_add_memory(&tvm, START_MEM_GPA, START_MEM_BYTES, 0, NULL);
	if (!KT_EXPECT(t, mem)) {
		test_vm_destroy(&tvm);
		return NULL;
	}
	memset(mem, 0xf4, START_MEM_BYTES);	/* HLT wherever the code strays */
	memcpy(mem + (gpa - START_MEM_GPA), code, len);
	return mem;
}

static u64 mem_read(const u8 *mem, gpa_t gpa, unsigned int size)
{
	u64 val = 0;

	memcpy(&val, mem + (gpa - START_MEM_GPA), size);
	return val;
}

KTEST(vcpu_start_real_mode_runs_at_cs_ip)
{
	const struct vcpu_start st = { .cs = REAL_CS, .ip = REAL_IP,
				       .cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET };
	u64 used = page_pool_used(&hv_pool);
	struct vcpu *v = &tvm.vcpu;
	const char *why = start_unsupported();
	u8 *mem;

	if (why)
		KT_SKIP(t, why);
	mem = start_vm(t, "start_real", ((u64)REAL_CS << 4) + REAL_IP, real_code,
		       sizeof(real_code));
	if (!mem)
		return;
	virt->vcpu_start(v, &st);
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_HLT);
	KT_EXPECT_EQ(t, virt->get_rip(v), REAL_IP + sizeof(real_code));
	KT_EXPECT_EQ(t, virt->get_cs_base(v), (u64)REAL_CS << 4);
	KT_EXPECT_EQ(t, virt->get_cpu_mode(v), CPU_MODE_16);
	KT_EXPECT_EQ(t, virt->get_cr0(v) & (X86_CR0_PE | X86_CR0_PG), 0);
	KT_EXPECT(t, !virt->long_mode(v));
	KT_EXPECT_EQ(t, mem_read(mem, ((u64)REAL_CS << 4) + 0x200, 2), 0x1234);
	KT_EXPECT_EQ(t, v->gpr[GPR_RAX], 0xdeadbeef);
	KT_EXPECT_EQ(t, v->gpr[GPR_RBX], 0xa55a);
	KT_EXPECT_EQ(t, v->gpr[GPR_RDX], cpuid(1).eax);	/* the INIT signature */
	KT_EXPECT_EQ(t, v->stats.by_reason[VMEXIT_IO], 1);
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}

KTEST(vcpu_start_flat32_runs_at_ip_with_paging_off)
{
	const struct vcpu_start st = { .flat32 = true, .ip = FLAT_IP, .cr0 = X86_CR0_ET };
	u64 used = page_pool_used(&hv_pool);
	struct vcpu *v = &tvm.vcpu;
	const char *why = start_unsupported();
	u8 *mem;

	if (why)
		KT_SKIP(t, why);
	mem = start_vm(t, "start_flat32", FLAT_IP, flat_code, sizeof(flat_code));
	if (!mem)
		return;
	virt->vcpu_start(v, &st);
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_HLT);
	KT_EXPECT_EQ(t, virt->get_rip(v), FLAT_IP + sizeof(flat_code));
	KT_EXPECT_EQ(t, virt->get_cs_base(v), 0);
	KT_EXPECT_EQ(t, virt->get_cpu_mode(v), CPU_MODE_32);
	KT_EXPECT_EQ(t, virt->get_cr0(v) & (X86_CR0_PE | X86_CR0_PG), X86_CR0_PE);
	KT_EXPECT(t, !virt->long_mode(v));
	KT_EXPECT_EQ(t, mem_read(mem, 0x20200, 4), 0xdeadbeef);
	KT_EXPECT_EQ(t, mem_read(mem, 0x20204, 2), VCPU_START_FLAT32_CS);
	KT_EXPECT_EQ(t, v->gpr[GPR_RBX], 0xcafef00d);
	KT_EXPECT_EQ(t, v->gpr[GPR_RDX], cpuid(1).eax);
	KT_EXPECT_EQ(t, v->stats.by_reason[VMEXIT_IO], 1);
	test_vm_destroy(&tvm);
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}

/*
 * Starts where the VM has no memory: the reset vector's F000:FFF0 with no
 * firmware behind it, and flat 32-bit at 1 GiB.  The first fetch finds no
 * slot: the VM dies with the reason, the host goes on.
 */
KTEST(vcpu_start_into_memory_the_vm_lacks_kills_only_the_vm)
{
	static const struct { struct vcpu_start st; gpa_t gpa; } starts[] = {
		{ { .cs = 0xf000, .ip = 0xfff0, .cr0 = X86_CR0_ET }, 0xffff0 },
		{ { .flat32 = true, .ip = 0x40000000, .cr0 = X86_CR0_ET }, 0x40000000 },
	};
	u64 used = page_pool_used(&hv_pool);
	const char *why = start_unsupported();
	char want[64];
	unsigned int i;

	if (why)
		KT_SKIP(t, why);
	for (i = 0; i < ARRAY_SIZE(starts); i++) {
		if (!start_vm(t, "start_nowhere", START_MEM_GPA, real_code, sizeof(real_code)))
			return;
		virt->vcpu_start(&tvm.vcpu, &starts[i].st);
		KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DEAD);
		/* The fetch at the start itself, not some later access. */
		snprintf(want, sizeof(want), "fetch of GPA 0x%llx outside",
			 (unsigned long long)starts[i].gpa);
		if (!KT_EXPECT(t, strstr(tvm.vm.death, want)))
			printk("    # start %u: wanted \"%s\" in the death: %s\n", i, want,
			       tvm.vm.death);
		test_vm_destroy(&tvm);
	}
	KT_EXPECT_EQ(t, page_pool_used(&hv_pool), used);
}
