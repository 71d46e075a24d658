/* SPDX-License-Identifier: MIT */
/*
 * VMs and vCPUs, vendor-neutral.  svm/ and vmx/ implement struct virt_ops;
 * each kind of VM (the platform VM, test VMs) implements struct
 * vm_kind_ops; everything else about running a guest is here, once for
 * both vendors and every kind: memory slots, emulated MMIO devices, the TDP
 * MMU instance, and the exits decoded into common events (struct vm_exit)
 * that vm/exit.c handles without asking which vendor or kind it serves.
 */
#ifndef TDPVISOR_VM_VM_H
#define TDPVISOR_VM_VM_H

#include "types.h"
#include "mm/tdp_mmu.h"
#include "vm/gpr.h"
#include "vm/gwalk.h"

#define VM_MAX_SLOTS 32
#define VM_MAX_MMIO 4
#define VM_MAX_VCPUS TDP_MAX_VCPUS

struct vm;
struct vcpu;
struct vcpu_event;
struct cpuid_regs;

/* An emulated device: accesses are 1, 2, 4 or 8 bytes at an offset. */
struct vm_mmio_dev {
	const char *name;
	gpa_t base;
	u64 size;
	u64 (*read)(struct vm_mmio_dev *d, u64 off, unsigned int size);
	void (*write)(struct vm_mmio_dev *d, u64 off, unsigned int size, u64 val);
	void *priv;
	u64 reads, writes;
};

enum vm_exit_reason {
	VMEXIT_NONE,
	VMEXIT_TDP_FAULT,	/* tdp.* */
	VMEXIT_CPUID,
	VMEXIT_HLT,
	VMEXIT_HYPERCALL,	/* VMMCALL / VMCALL */
	VMEXIT_MSR_READ,	/* msr */
	VMEXIT_MSR_WRITE,	/* msr */
	VMEXIT_IO,		/* io.* */
	VMEXIT_VIRT_INSN,	/* a VMX/SVM instruction: insn names it */
	VMEXIT_SHUTDOWN,	/* triple fault */
	VMEXIT_INTR,		/* a host interrupt arrived: just resume */
	VMEXIT_ENTRY_FAILED,	/* the hardware refused the guest state */
	VMEXIT_XSETBV,		/* XCR[ECX] = EDX:EAX */
	VMEXIT_INVD,
	VMEXIT_CR_ACCESS,	/* a guarded control-register bit: the vendor decodes */
	VMEXIT_NMI,		/* an NMI arrived (vcpu_config.nmi_exits): a kick or the guest's */
	VMEXIT_INIT,		/* a real INIT signal reached the CPU (VMX) */
	VMEXIT_TICK,		/* the hypervisor's tick timer expired (vm/tick.c) */
	VMEXIT_MCE,		/* a machine check arrived while the guest ran */
	VMEXIT_UNKNOWN,
	VMEXIT_NR
};

struct vm_exit {
	enum vm_exit_reason reason;
	u64 hw_code;		/* the vendor's exit code, for the log */
	u64 hw_info1, hw_info2;
	u8 insn_len;		/* from the hardware; 0 when it did not say */
	u64 next_rip;		/* from the hardware; 0 when it did not say */
	union {
		struct {
			gpa_t gpa;
			u32 access;	/* TDP_ACC_* attempted */
			/* The leaf the hardware met was present (it granted some
			 * right): only such a fault can be one exchange away from
			 * fixed (tdp_mmu_fast_fault()). */
			bool present;
		} tdp;
		struct {
			u16 port;
			u8 size;
			bool in, string;
		} io;
		u32 msr;
		const char *insn;
	};
};

/* Counted per vCPU by the CPU that runs it; vm_stats() sums a VM's.  Only
 * u64 counters: the sum adds them as an array. */
/*
 * CPUID exits are counted by leaf: the basic leaves 0-0x1f, the extended
 * leaves 0x80000000-0x8000001f, the range reserved for hypervisors
 * (0x40000000-0x4fffffff, which an OS probes for a hypervisor's base leaf
 * in steps of 0x100), and the rest.
 */
#define VM_CPUID_STAT_BASIC	0
#define VM_CPUID_STAT_EXT	32
#define VM_CPUID_STAT_HV	64
#define VM_CPUID_STAT_OTHER	65
#define VM_CPUID_STAT_NR	66

static inline unsigned int vm_cpuid_stat_slot(u32 leaf)
{
	if (leaf < 0x20)
		return VM_CPUID_STAT_BASIC + leaf;
	if (leaf >= 0x80000000u && leaf < 0x80000020u)
		return VM_CPUID_STAT_EXT + (leaf - 0x80000000u);
	if (leaf >= 0x40000000u && leaf < 0x50000000u)
		return VM_CPUID_STAT_HV;
	return VM_CPUID_STAT_OTHER;
}

struct vm_stats {
	u64 exits;
	u64 by_reason[VMEXIT_NR];
	u64 tdp_faults;		/* faults the TDP MMU fixed */
	u64 tdp_spurious;
	u64 mmio_exits;
	u64 string_io_elems;	/* elements INS/OUTS moved through intercepted ports */
	u64 mmio_marker_hits;	/* recognised without a slot lookup */
	u64 mmio_slot_lookups;	/* slot lookups that found MMIO (no marker yet) */
	u64 maps_by_level[4];	/* fixed TDP faults by the level they mapped at */
	u64 slot_faults[VM_MAX_SLOTS];	/* fixed TDP faults per slot id */
	u64 mtrr_writes;	/* guest MTRR writes performed (platform VM) */
	u64 mtrr_zaps;		/* ranges their net changes retyped: zapped to refault */
	u64 tdp_zaps;		/* tdp_mmu_zap_range() calls that removed mappings */
	u64 gva_walks[GWALK_NR_MODES];	/* guest page walks by enum gwalk_mode */
	u64 gva_faults;		/* ... that raised #PF or #GP in the guest */
	u64 guest_nmis;		/* NMIs that were not kicks, given to the guest */
	u64 nmis_dropped;	/* ... not given: the vCPU does not take NMIs */
	u64 ticks;		/* the hypervisor's ticks run (vm/tick.c) */
	u64 intrs_taken;	/* guest interrupts the host took and injected (AMD tick) */
	u64 smm_exits;		/* exits from SMM code run inside the guest (QEMU's SVM) */
	u64 machine_checks;	/* machine checks given to the guest (or its shutdown) */
	u64 cpuid_leaves[VM_CPUID_STAT_NR];	/* CPUID exits by vm_cpuid_stat_slot() */
};

struct vm {
	const char *name;
	struct tdp_mmu mmu;
	struct mm_slot slots[VM_MAX_SLOTS];
	unsigned int nslots;
	struct vm_mmio_dev *mmio[VM_MAX_MMIO];
	unsigned int nmmio;
	struct tdp_huge_policy policy;
	u32 asid;		/* SVM ASID / VMX VPID */
	const struct vm_kind_ops *kind;	/* what this kind of VM does on its exits */
	bool dead;
	bool hide_hv_cpuid;	/* hvbit=off: no hypervisor bit, no 0x40000000 leaves */
	u32 dying;		/* set once, by the first vm_kill() */
	u64 tlb_gen;		/* bumped by every TDP flush (vm_flush_remote_tlbs()) */
	char death[160];	/* why the VM was killed */
	struct vcpu *vcpus[VM_MAX_VCPUS];	/* by id, while they exist */
	struct vm_stats gone;	/* the counters of vCPUs destroyed so far */
	void *arch;
};

/*
 * The CPU state the platform VM continues from (vm/platform_rt.asm fills the
 * first three; the rest is read from the CPU by the vendor code).
 */
struct platform_capture {
	u64 rip, rsp, rflags;
	u64 gdt_base, idt_base;		/* the firmware's tables */
	u16 gdt_limit, idt_limit;
};

/* The long-mode state a test vCPU starts in. */
struct vcpu_boot {
	u64 cr3, rip, rsp;
	u64 gdt_base, idt_base;
	u16 gdt_limit, idt_limit;
	u16 cs, ds, tr;
	u64 tr_base;
	u32 tr_limit;
};

/*
 * How a vCPU starts and what makes it exit: exactly one of boot and
 * capture is set.
 *  - boot: a fresh 64-bit CPU in the given state (test VMs).  Every port,
 *    MSR, HLT and interrupt exits.
 *  - capture: the live CPU goes on as the guest (the platform VM).
 *    Interrupts, NMIs, HLT, I/O and MSRs pass through, except the ports
 *    and MSRs listed here and the vendor's own virtualization MSRs (see
 *    virt_ops.vendor_msr), which exit.
 */
struct vcpu_config {
	const struct vcpu_boot *boot;
	const struct platform_capture *capture;
	const u16 *io_exits;		/* port bytes: any access touching one exits */
	unsigned int nio_exits;
	const u32 *msr_exits;		/* MSRs whose reads and writes exit */
	unsigned int nmsr_exits;
	bool nmi_exits;			/* capture: NMIs exit (VMEXIT_NMI) */
};

struct vcpu {
	struct vm *vm;
	unsigned int id;
	u64 gpr[GPR_NR];	/* the guest's general-purpose registers */
	struct tdp_vcpu tdp;
	struct vm_stats stats;
	u32 requests;		/* non-zero: the kind's before_entry() runs first */
	u32 mode;		/* VCPU_IN_GUEST from before its entry to after its exit */
	u32 cpu;		/* the CPU that runs it (last, or now) */
	u64 tlb_gen;		/* the vm->tlb_gen its TLB reflects, as of its last entry */
	u32 kicked;		/* an NMI sent to make it exit, not the guest's */
	bool reflect_nmis;	/* an NMI that is not a kick is the guest's */
	bool nmi_pending;	/* the guest's NMI, given at the first entry that may */
	u64 tick_next_ns;	/* when its next tick is due; 0: it has none */
	/* vm/vtsc.c: the guest's TSC is the host's + tsc_offset (mod 2^64);
	 * its IA32_TSC_ADJUST reads tsc_adjust (when the CPU has one). */
	u64 tsc_offset;
	u64 tsc_adjust;
	bool has_tsc_adjust;
	void *arch;
};

/*
 * What a kind of VM does where kinds differ.  vm/exit.c calls these and
 * never asks which kind it runs.  Each returns as documented; none is NULL.
 */
struct vm_kind_ops {
	const char *name;
	/* One access of an intercepted port (vm/pio.c decodes the
	 * instruction, string forms included, and calls this once per
	 * element): an OUT of *val, or an IN whose value goes to *val.
	 * 0: done; <0: the VM is dead. */
	int (*io)(struct vcpu *v, u16 port, u8 size, bool in, u32 *val);
	/* An intercepted RDMSR/WRMSR: *val is the value written, or receives
	 * the value read.  0: done; -EPERM: inject #GP. */
	int (*msr)(struct vcpu *v, u32 msr, bool write, u64 *val);
	/* XSETBV(xcr, val) at CPL 0 with CR4.OSXSAVE set: 0 performed;
	 * -EPERM: inject #GP; any other value: inject #UD. */
	int (*xsetbv)(struct vcpu *v, u32 xcr, u64 val);
	/* A triple fault: what the kind does before the VM is killed. */
	void (*shutdown)(struct vcpu *v);
	/*
	 * A hypercall that is not one of the common ones (vm/hypercall.c),
	 * arguments in v->gpr.  1: *ev is an event for the vCPU's owner; 0:
	 * done, *ret is the guest's result; <0: the guest's result (-ENOSYS:
	 * the kind has no such call).
	 */
	int (*hypercall)(struct vcpu *v, u64 nr, struct vcpu_event *ev, s64 *ret);
	/* Before an entry while v->requests is non-zero (may be NULL). */
	void (*before_entry)(struct vcpu *v);
	/* A real INIT signal reached the vCPU's CPU (may be NULL: the VM is
	 * killed).  The vCPU resumes unless the VM was killed. */
	void (*init_signal)(struct vcpu *v);
	/* The hypervisor's tick (vm/tick.c), every period on the CPU that
	 * runs v, between exits (may be NULL). */
	void (*tick)(struct vcpu *v);
	/* A fault mapped a frame of an MM_SLOT_SCRATCH slot at gpa for the
	 * access (TDP_ACC_*) the guest tried (may be NULL).  The guest
	 * resumes and performs the access on the scratch page itself. */
	void (*scratch_mapped)(struct vcpu *v, gpa_t gpa, u32 access);
};

/* What the vendor offers; filled by its enable() before anything reads it. */
struct virt_features {
	u32 dirty_modes;	/* BIT(TDP_DIRTY_*): the dirty-logging modes offered */
	bool leaf_memtype;	/* TDP leaves carry a memory type (EPT); else the
				 * CPU applies the MTRRs itself (NPT) */
	bool hypercall_vmmcall;	/* the hypercall instruction is VMMCALL, else VMCALL */
};

/*
 * Where a vCPU starts from the INIT state: real mode with CS = cs (its base
 * cs << 4) at IP ip -- a SIPI with vector V is cs = V << 8, ip = 0 -- or,
 * with flat32, 32-bit protected mode at ip with paging off and flat 4 GiB
 * segments (selectors VCPU_START_FLAT32_CS/DS), as ACPI's 32-bit waking
 * vector is entered.  cr0: CR0 besides PE (the INIT value is CD|NW|ET).
 */
struct vcpu_start {
	u16 cs;
	bool flat32;
	u64 ip;
	u64 cr0;
};
#define VCPU_START_FLAT32_CS 0x10
#define VCPU_START_FLAT32_DS 0x18

struct virt_ops {
	const char *name;
	const struct virt_features *features;
	/* Turn virtualization on / off on this CPU.  enable returns 0 or <0. */
	int (*enable)(void);
	void (*disable)(void);
	/*
	 * S3 on this CPU, whose enable() ran before: cpu_sleep() before the
	 * power goes, with v the vCPU it runs (VMX: its VMCS written back to
	 * memory and no longer current; v then enters again, with VMLAUNCH);
	 * cpu_wake() after the power came back, with the host's control
	 * registers restored: VMX/SVM on again with the same VMXON region or
	 * host save area.  0 or <0.
	 */
	void (*cpu_sleep)(struct vcpu *v);
	int (*cpu_wake)(void);
	/* Set up vm->mmu (format, levels, TLB flush) and vm->asid. */
	int (*vm_init)(struct vm *vm);
	void (*vm_destroy)(struct vm *vm);
	/* Sets up v as cfg says (see struct vcpu_config).  0 or <0. */
	int (*vcpu_init)(struct vcpu *v, const struct vcpu_config *cfg);
	void (*vcpu_destroy)(struct vcpu *v);
	/* Enter the guest until the next exit and decode it into *e. */
	void (*vcpu_run)(struct vcpu *v, struct vm_exit *e);
	u64 (*get_rip)(struct vcpu *v);
	void (*set_rip)(struct vcpu *v, u64 rip);
	/*
	 * The instruction at RIP was performed here (RIP already moved past
	 * it): what the CPU would do at its end -- the STI/MOV SS shadow ends,
	 * and with RFLAGS.TF set a single-step #DB (DR6.BS) is raised before
	 * the next instruction.
	 */
	void (*insn_done)(struct vcpu *v);
	/* CR0 as the guest reads it (its own value where the vendor masks bits). */
	u64 (*get_cr0)(struct vcpu *v);
	u64 (*get_cr3)(struct vcpu *v);
	/* The guest's CR2, given at its next entry (the #PF address). */
	void (*set_cr2)(struct vcpu *v, u64 cr2);
	/* CS.base: RIP is an offset from it outside 64-bit mode. */
	u64 (*get_cs_base)(struct vcpu *v);
	/* The base of segment seg (enum insn_seg, not INSN_SEG_NONE). */
	u64 (*get_seg_base)(struct vcpu *v, unsigned int seg);
	/* How the code at RIP decodes (enum cpu_mode): CS.L, CS.D, EFER.LMA. */
	unsigned int (*get_cpu_mode)(struct vcpu *v);
	/* Logs (pr_emerg) the vendor's view of the guest: control registers,
	 * segments, descriptor tables, event and interruptibility state, the
	 * last exit. */
	void (*dump_state)(struct vcpu *v);
	/* CR4 as the guest reads it (its own value where the vendor masks bits). */
	u64 (*get_cr4)(struct vcpu *v);
	unsigned int (*get_cpl)(struct vcpu *v);
	bool (*long_mode)(struct vcpu *v);
	/* EFER as the CPU runs the guest with it (LMA, NXE; SVM: SVME too). */
	u64 (*get_efer)(struct vcpu *v);
	u64 (*get_rflags)(struct vcpu *v);
	void (*inject_exception)(struct vcpu *v, u8 vector, bool has_error, u32 error);
	/* An NMI for the guest at the next entry.  false: not now (the guest
	 * blocks NMIs, or another event is being injected); the caller keeps
	 * it pending and tries again before each entry (VMX also asks for an
	 * exit as soon as the guest's NMI window opens). */
	bool (*inject_nmi)(struct vcpu *v);
	/*
	 * The guest must exit by the time the TSC reads tsc (the hypervisor's
	 * tick; later by at most the vendor's timer granularity or, on AMD,
	 * until the guest's next interrupt).  Called before each entry while
	 * a tick runs.  NULL: the vendor has no such timer.
	 */
	void (*arm_tick)(struct vcpu *v, u64 tsc);
	/* The architectural state after INIT, then the start struct
	 * vcpu_start describes (a SIPI, or a waking OS's entry), RDX the CPU's
	 * signature, no event pending.  Any vCPU, a test vCPU too; where the
	 * CPU cannot run a guest with paging off (VMX without unrestricted
	 * guest) the VM is killed with the reason. */
	void (*vcpu_start)(struct vcpu *v, const struct vcpu_start *st);
	/*
	 * An MSR exit of a vCPU whose MSRs pass through (vcpu_config.capture):
	 * the vendor's own MSRs, as a CPU without VMX/SVM shows them.  0:
	 * done; -EPERM: inject #GP; -ENOENT: not the vendor's, the caller
	 * passes it on.
	 */
	int (*vendor_msr)(struct vcpu *v, u32 msr, bool write, u64 *val);
	/*
	 * A VMEXIT_CR_ACCESS: performs the guest's control-register access
	 * (the hardware guards some bits).  0: done, skip the instruction;
	 * -EPERM: inject #GP; other <0: the VM is dead.  NULL: no such exits.
	 */
	int (*cr_access)(struct vcpu *v, const struct vm_exit *e);
	/*
	 * The guest's TSC becomes the host's + offset (mod 2^64) for RDTSC,
	 * RDTSCP and RDMSR(IA32_TSC) of a capture vCPU.  While the offset is
	 * not zero, IA32_TSC_DEADLINE reads and writes exit too (the kind
	 * moves the deadline between the two clocks, vm/vtsc.c).
	 */
	void (*set_tsc_offset)(struct vcpu *v, u64 offset);
	/* Hides CPUID features the guest cannot use under this vendor's
	 * controls (instructions that would #UD).  NULL: nothing to hide. */
	void (*cpuid_fixup)(struct vcpu *v, u32 leaf, u32 sub, struct cpuid_regs *r);
};

/* The vendor in use (svm/ or vmx/), chosen by virt_enable(). */
extern const struct virt_ops *virt;

/* ---- vm/vm.c ---- */
int vm_create(struct vm *vm, const char *name, const struct vm_kind_ops *kind);
void vm_destroy(struct vm *vm);
/* Adds a slot of npages at gfn backed by host frames from pfn. Returns its
 * pointer, or NULL (too many slots, overlap) after logging why. */
struct mm_slot *vm_add_slot(struct vm *vm, gfn_t gfn, u64 npages, pfn_t pfn, u32 flags);
struct mm_slot *vm_find_slot(struct vm *vm, gfn_t gfn);
int vm_add_mmio(struct vm *vm, struct vm_mmio_dev *dev);
struct vm_mmio_dev *vm_find_mmio(struct vm *vm, gpa_t gpa);
enum { VCPU_OUTSIDE, VCPU_IN_GUEST };

/*
 * The TDP MMU's flush (every vendor's tdp_mmu_ops.flush_tlbs): bumps
 * vm->tlb_gen -- each vCPU flushes its TLB before its next entry -- and
 * waits until no vCPU still runs in the guest with an older generation,
 * kicking those that do (vcpu_kick()).  When it returns, no vCPU on any
 * CPU can use a translation the flush was for.
 */
void vm_flush_remote_tlbs(struct vm *vm);
/* Makes v, running on CPU cpu, exit soon: marks it kicked and sends that
 * CPU an NMI (its NMI exits must be on; the exit takes the mark back). */
void vcpu_kick(struct vcpu *v, unsigned int cpu);

/* A short name of an exit reason ("cpuid", "tdp-fault"), for reports. */
const char *vm_exit_name(enum vm_exit_reason r);
/* The VM's statistics: its vCPUs' counters summed (a destroyed vCPU's stay). */
struct vm_stats vm_stats(const struct vm *vm);
/* Marks the VM dead with a logged reason; its vCPUs stop at the next exit.
 * Safe from several CPUs at once: the first reason is kept. */
__printf(2, 3) void vm_kill(struct vm *vm, const char *fmt, ...);

/* Makes v the VM's vCPU id (< VM_MAX_VCPUS, unused).  0 or <0. */
int vcpu_create(struct vcpu *v, struct vm *vm, unsigned int id,
		const struct vcpu_config *cfg);
void vcpu_destroy(struct vcpu *v);

/* ---- vm/guest_mem.c ---- */
/* Host pointer to [gpa, gpa+len) when it lies in one slot (and, in a
 * scratch slot, in one frame), else NULL. */
void *vm_gpa_to_hva(struct vm *vm, gpa_t gpa, u64 len, bool write);
/* Copies between guest-physical memory and the host; every byte checked.
 * Returns 0 or -EFAULT. */
int vm_read_gpa(struct vm *vm, gpa_t gpa, void *buf, u64 len);
int vm_write_gpa(struct vm *vm, gpa_t gpa, const void *buf, u64 len);
/* True when every byte of [gpa, gpa+len) is guest memory (writable if asked). */
bool vm_gpa_range_ok(struct vm *vm, gpa_t gpa, u64 len, bool write);
/* Copies a NUL-terminated guest string of at most size-1 bytes; always
 * terminates buf.  Returns 0 or -EFAULT. */
int vm_read_gpa_string(struct vm *vm, gpa_t gpa, char *buf, u64 size);
/* The fault a guest-virtual access raises, as the CPU would deliver it. */
struct gva_fault {
	u8 vector;		/* PF_VECTOR or GP_VECTOR (non-canonical); 0: none */
	u32 error;		/* the error code (#PF: PF_ERR_*) */
	u64 addr;		/* #PF: the linear address, for CR2 */
};
/*
 * Translates the linear address gva for access (GWALK_*, include/vm/gwalk.h)
 * through the guest's page tables in its current paging mode and CPL,
 * setting accessed/dirty bits as the CPU does.  0: *gpa; 1: the access
 * faults as *f says (inject it with vcpu_inject_fault()); -EAGAIN: the
 * guest kept changing its tables under the walk; -EFAULT: a table entry
 * lies outside guest memory.  *f is zeroed unless 1.
 */
int vcpu_gva_to_gpa(struct vcpu *v, u64 gva, u32 access, gpa_t *gpa, struct gva_fault *f);
/* Raises f in the guest at its next entry (#PF with CR2 = f->addr). */
void vcpu_inject_fault(struct vcpu *v, const struct gva_fault *f);
/*
 * Reads up to len bytes at CS:RIP (CS.base counts outside IA-32e mode) as
 * instruction fetches at the vCPU's CPL, page by page.  Returns the count
 * read, fewer than len when a page faults (*f says how) or is not guest
 * memory (f->vector 0); or, when not a byte could be read, -EFAULT (with
 * f->vector set: the first byte faults) or -EAGAIN (as vcpu_gva_to_gpa()).
 */
int vcpu_fetch_insn(struct vcpu *v, u8 *buf, unsigned int len, struct gva_fault *f);
/*
 * After vcpu_fetch_insn() filled *f and its bytes were decoded with result
 * err (the fetch's own error when it read nothing): true when the guest
 * must resume with the instruction not performed -- the decoder wanted
 * bytes the fetch could not read for a fault (err -E2BIG or -EFAULT; the
 * fault is injected, as the CPU would have raised it), or the guest's
 * tables changed under the fetch (-EAGAIN: it runs the instruction again).
 */
bool vcpu_fetch_interrupted(struct vcpu *v, int err, const struct gva_fault *f);

#endif
