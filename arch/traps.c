// SPDX-License-Identifier: MIT
/*
 * Host exceptions.  A fault at an instruction listed in the exception table
 * (rdmsr_safe and friends) resumes at its fixup; an NMI is counted for the
 * guest or taken as a kick; a machine check the CPU may restart from is
 * kept for the guest (arch/mce.c); an INT3 or single step of the gdb
 * stub's goes to the stub; anything else is a hypervisor bug: dump vector,
 * error code, CR2, all registers and a symbolized backtrace, show it to
 * gdb when there is a stub, then stop this CPU cleanly.
 */
#include "arch/percpu.h"
#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/exception.h"
#include "arch/mce.h"
#include "arch/gdbstub.h"
#include "arch/trapnr.h"
#include "arch/x86.h"
#include "bug.h"
#include "arch/serial.h"
#include "lib/console.h"
#include "lib/printk.h"

extern const struct ex_entry __start_ex_table[], __stop_ex_table[];

static const char *const exc_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault", "#GP general protection",
	"#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization exception",
	"#CP control protection", "reserved 22", "reserved 23", "reserved 24",
	"reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security exception", "reserved 31",
};

static bool fixup_exception(struct exc_frame *f)
{
	const struct ex_entry *e;

	for (e = __start_ex_table; e < __stop_ex_table; e++) {
		u64 insn = (u64)(uintptr_t)&e->insn + (s64)e->insn;

		if (insn == f->rip) {
			f->rip = (u64)(uintptr_t)&e->fixup + (s64)e->fixup;
			return true;
		}
	}
	return false;
}

void arch_dump_frame(const struct exc_frame *f)
{
	pr_emerg("RIP: %04llx:%016llx RFLAGS: %08llx\n", (unsigned long long)f->cs,
		 (unsigned long long)f->rip, (unsigned long long)f->rflags);
	pr_emerg("RSP: %04llx:%016llx CR2: %016llx CR3: %016llx\n",
		 (unsigned long long)f->ss, (unsigned long long)f->rsp,
		 (unsigned long long)read_cr2(), (unsigned long long)read_cr3());
	pr_emerg("RAX: %016llx RBX: %016llx RCX: %016llx\n", (unsigned long long)f->rax,
		 (unsigned long long)f->rbx, (unsigned long long)f->rcx);
	pr_emerg("RDX: %016llx RSI: %016llx RDI: %016llx\n", (unsigned long long)f->rdx,
		 (unsigned long long)f->rsi, (unsigned long long)f->rdi);
	pr_emerg("RBP: %016llx R08: %016llx R09: %016llx\n", (unsigned long long)f->rbp,
		 (unsigned long long)f->r8, (unsigned long long)f->r9);
	pr_emerg("R10: %016llx R11: %016llx R12: %016llx\n", (unsigned long long)f->r10,
		 (unsigned long long)f->r11, (unsigned long long)f->r12);
	pr_emerg("R13: %016llx R14: %016llx R15: %016llx\n", (unsigned long long)f->r13,
		 (unsigned long long)f->r14, (unsigned long long)f->r15);
	pr_emerg("CR0: %016llx CR4: %016llx\n", (unsigned long long)read_cr0(),
		 (unsigned long long)read_cr4());
}

void exception_handler(struct exc_frame *f)
{
	u64 vec = f->vector;

	/* Before the fixups: a machine check at an rdmsr_safe() is not its #GP. */
	if (vec == MC_VECTOR && mce_host_trap())
		return;		/* the guest of this CPU gets it at its next entry */
	if (vec != MC_VECTOR && fixup_exception(f))
		return;
	if ((vec == DB_VECTOR || vec == BP_VECTOR) && gdbstub_trap(f))
		return;
	if (vec == 1 && !(f->rflags & X86_RFLAGS_TF) && !(read_dr7() & DR7_ENABLE_MASK)) {
		/*
		 * The host never single-steps nor sets a breakpoint, so this #DB
		 * is not its own: Bochs' SVM carries a guest's pending single
		 * step across the #VMEXIT of the instruction it stepped (the
		 * hypervisor raises that step in the guest itself).  Ignored.
		 */
		u64 dr6 = read_dr6();

		pr_warn_once("cpu%u: a #DB in the host (DR6 0x%llx, RIP 0x%llx) that is not its "
			     "own: ignored\n", this_cpu_id(), (unsigned long long)dr6,
			     (unsigned long long)f->rip);
		write_dr6(X86_DR6_RESET);
		return;
	}
	if (vec == 2) {
		/* The hypervisor's kicks (vm/vm.c vcpu_kick()) and NMIs the guest
		 * gets anyway: an NMI exit leaves it pending until here (SVM) or
		 * blocked until this IRET (VMX).  One that is not a kick is
		 * counted for the vCPU running here (struct percpu). */
		struct percpu *p = this_cpu();
		u32 *kick = __atomic_load_n(&p->kick, __ATOMIC_ACQUIRE);

		p->host_nmis++;
		if (kick && !__atomic_exchange_n(kick, 0, __ATOMIC_ACQ_REL))
			__atomic_add_fetch(&p->guest_nmis, 1, __ATOMIC_RELAXED);
		return;
	}
	printk_enter_panic();
	serial_early_console();
	if (vec == MC_VECTOR) {
		struct mce_record r;

		mce_read(&r);
		mce_log(&r, this_cpu_id(), "in the hypervisor");
	}
	pr_emerg("cpu%u: host exception %llu (%s), error code 0x%llx\n", this_cpu_id(),
		 (unsigned long long)vec, vec < 32 ? exc_names[vec] : "?",
		 (unsigned long long)f->error);
	arch_dump_frame(f);
	dump_backtrace(f->rip, f->rbp);
	if (gdbstub_fatal(f))
		return;		/* gdb resumed it (perhaps elsewhere) */
	panic("unhandled host exception %llu", (unsigned long long)vec);
}
