// SPDX-License-Identifier: MIT
/*
 * The gdb stub's x86 part (contract in include/arch/gdbstub.h): the UART
 * it talks over, memory that gdb may touch (only what the current page
 * tables map, copied with a fault fixup), the trap frame as gdb's
 * registers, and who holds the stub.  Nothing here logs while a CPU is
 * stopped: the stop may be inside printk() with its lock held.
 */
#include "arch/gdbstub.h"
#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/exception.h"
#include "arch/host_pt.h"
#include "arch/percpu.h"
#include "arch/serial.h"
#include "arch/trapnr.h"
#include "arch/x86.h"
#include "lib/gdbstub.h"
#include "errcode.h"
#include "arch/uart.h"
#include "lib/printk.h"

/* The flags gdb may change: CF, PF, AF, ZF, SF, DF, OF.  TF is the stub's,
 * IF the host's. */
#define GDB_WRITABLE_FLAGS 0xcd5ULL

static struct uart_port gdb_port;
static struct gdb_stub stub;
static bool enabled;
/* The CPU in the stub, as id + 1; 0: none. */
static u32 owner;
/* The CPU gdb asked to single-step, as id + 1; 0: none. */
static u32 stepping;
/* A crash was shown to gdb: panic() does not stop a second time. */
static bool crash_shown;
static u64 poll_next_tsc;

static int line_getc(void *ctx)
{
	int c;

	while ((c = uart_getc(&gdb_port)) < 0)
		cpu_relax();
	return c;
}

static void line_putc(void *ctx, u8 c)
{
	uart_putc(&gdb_port, c);
}

/*
 * Copies len bytes between buf and the linear address addr, a page at a
 * time, as far as the page tables map them.  A read-only page is written
 * with CR0.WP clear (gdb's breakpoints go into .text).  Returns the bytes
 * copied from the start.
 */
static size_t mem_copy(u64 addr, void *buf, size_t len, bool write)
{
	size_t done = 0;

	while (done < len) {
		u64 a = addr + done, cr0 = read_cr0();
		size_t chunk = MIN(len - done, (size_t)(PAGE_SIZE - (a & ~PAGE_MASK))), left;
		bool writable, wp_off;

		if (!host_pt_probe(a, &writable))
			break;
		wp_off = write && !writable && (cr0 & X86_CR0_WP);
		if (wp_off)
			write_cr0(cr0 & ~X86_CR0_WP);
		if (write)
			left = memcpy_safe((void *)(uintptr_t)a, (u8 *)buf + done, chunk);
		else
			left = memcpy_safe((u8 *)buf + done, (const void *)(uintptr_t)a, chunk);
		if (wp_off)
			write_cr0(cr0);
		done += chunk - left;
		if (left)
			break;
	}
	return done;
}

static size_t mem_read(void *ctx, u64 addr, void *buf, size_t len)
{
	return mem_copy(addr, buf, len, false);
}

static size_t mem_write(void *ctx, u64 addr, const void *buf, size_t len)
{
	return mem_copy(addr, (void *)buf, len, true);
}

extern const char __nobreak_start[], __nobreak_end[];

/* Not in the code a trap runs through on its way to the stub (linker.ld). */
static bool may_break(void *ctx, u64 addr)
{
	return addr < (u64)(uintptr_t)__nobreak_start || addr >= (u64)(uintptr_t)__nobreak_end;
}

static const struct gdb_ops line_ops = {
	.getc = line_getc,
	.putc = line_putc,
	.read_mem = mem_read,
	.write_mem = mem_write,
	.may_break = may_break,
};

int gdbstub_setup(u16 io, u32 baud)
{
	unsigned int i;

	gdb_port = (struct uart_port){ .space = UART_SPACE_IO, .width = 1, .base = io,
				       .baud = baud };
	if (uart_port_check(&gdb_port))
		return -EINVAL;
	/* Without a UART every read is 0xff: a stop would wait forever. */
	if (!uart_present(&gdb_port))
		return -ENODEV;
	uart_setup(&gdb_port);
	gdbstub_init(&stub, &line_ops, NULL);
	/* What gdb sent before we listened is stale (a FIFO's worth). */
	for (i = 0; i < 64 && uart_getc(&gdb_port) >= 0; i++)
		;
	__atomic_store_n(&enabled, true, __ATOMIC_RELEASE);
	pr_info("gdb: stub on the 16550 at I/O port 0x%x, %u baud, packets up to %u bytes\n",
		io, baud, GDB_PACKET_MAX);
	return 0;
}

bool gdbstub_enabled(void)
{
	return __atomic_load_n(&enabled, __ATOMIC_ACQUIRE);
}

static u32 me(void)
{
	return this_cpu_id() + 1;
}

/* Takes the stub, waiting for another CPU to leave it.  False when this
 * CPU holds it already (a fault inside the stub). */
static bool stub_take(void)
{
	u32 free = 0;

	if (__atomic_load_n(&owner, __ATOMIC_ACQUIRE) == me())
		return false;
	while (!__atomic_compare_exchange_n(&owner, &free, me(), false, __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		free = 0;
		cpu_relax();
	}
	return true;
}

static void stub_release(void)
{
	__atomic_store_n(&owner, 0, __ATOMIC_RELEASE);
}

static void frame_to_regs(const struct exc_frame *f, struct gdb_regs *r)
{
	r->r[GDB_RAX] = f->rax, r->r[GDB_RBX] = f->rbx, r->r[GDB_RCX] = f->rcx;
	r->r[GDB_RDX] = f->rdx, r->r[GDB_RSI] = f->rsi, r->r[GDB_RDI] = f->rdi;
	r->r[GDB_RBP] = f->rbp, r->r[GDB_RSP] = f->rsp;
	r->r[GDB_R8] = f->r8, r->r[GDB_R9] = f->r9, r->r[GDB_R10] = f->r10;
	r->r[GDB_R11] = f->r11, r->r[GDB_R12] = f->r12, r->r[GDB_R13] = f->r13;
	r->r[GDB_R14] = f->r14, r->r[GDB_R15] = f->r15;
	r->r[GDB_RIP] = f->rip;
	r->r[GDB_EFLAGS] = f->rflags;
	r->r[GDB_CS] = f->cs, r->r[GDB_SS] = f->ss;
	r->r[GDB_DS] = read_ds(), r->r[GDB_ES] = read_es();
	r->r[GDB_FS] = read_fs(), r->r[GDB_GS] = read_gs();
}

/* Segment registers are shown, not changed: the host's are fixed. */
static void regs_to_frame(const struct gdb_regs *r, struct exc_frame *f)
{
	f->rax = r->r[GDB_RAX], f->rbx = r->r[GDB_RBX], f->rcx = r->r[GDB_RCX];
	f->rdx = r->r[GDB_RDX], f->rsi = r->r[GDB_RSI], f->rdi = r->r[GDB_RDI];
	f->rbp = r->r[GDB_RBP], f->rsp = r->r[GDB_RSP];
	f->r8 = r->r[GDB_R8], f->r9 = r->r[GDB_R9], f->r10 = r->r[GDB_R10];
	f->r11 = r->r[GDB_R11], f->r12 = r->r[GDB_R12], f->r13 = r->r[GDB_R13];
	f->r14 = r->r[GDB_R14], f->r15 = r->r[GDB_R15];
	f->rip = r->r[GDB_RIP];
	f->rflags = (f->rflags & ~GDB_WRITABLE_FLAGS) | (r->r[GDB_EFLAGS] & GDB_WRITABLE_FLAGS);
}

/* With the stub taken: one stop, then the stub is released.  Returns
 * false when gdb let go. */
static bool stop_here(struct exc_frame *f, int signo, bool at_breakpoint)
{
	struct gdb_regs r;
	enum gdb_resume how;

	frame_to_regs(f, &r);
	how = gdbstub_session(&stub, &r, signo, at_breakpoint);
	regs_to_frame(&r, f);
	if (how == GDB_STEP) {
		f->rflags |= X86_RFLAGS_TF;
		__atomic_store_n(&stepping, me(), __ATOMIC_RELAXED);
	}
	stub_release();
	return how != GDB_DETACH;
}

static bool is_gdb_breakpoint_insn(u64 at)
{
	u64 start = (u64)(uintptr_t)gdb_breakpoint;
	u8 insn = 0;

	return at >= start && at < start + 16 && !memcpy_safe(&insn, (void *)(uintptr_t)at, 1) &&
	       insn == GDB_BREAKPOINT_INSN;
}

/* #BP: RIP is past the INT3. */
static bool breakpoint_trap(struct exc_frame *f)
{
	u64 at = f->rip - 1;
	u8 insn = 0;

	if (!stub_take())
		return false;
	if (gdbstub_is_breakpoint(&stub, at)) {
		f->rip = at;	/* gdb's: it resumes at the original instruction */
		stop_here(f, GDB_SIGTRAP, true);
		return true;
	}
	if (is_gdb_breakpoint_insn(at)) {
		stop_here(f, (int)f->rdi, false);
		return true;
	}
	if (!memcpy_safe(&insn, (void *)(uintptr_t)at, 1) && insn != GDB_BREAKPOINT_INSN) {
		/* gdb removed it while this CPU waited for the stub: run the
		 * instruction that is back in its place. */
		f->rip = at;
		stub_release();
		return true;
	}
	stop_here(f, GDB_SIGTRAP, false);	/* an INT3 in the code itself */
	return true;
}

bool gdbstub_trap(struct exc_frame *f)
{
	if (!gdbstub_enabled())
		return false;
	if (f->vector == BP_VECTOR)
		return breakpoint_trap(f);
	if (f->vector != DB_VECTOR || !(read_dr6() & X86_DR6_BS) ||
	    __atomic_load_n(&stepping, __ATOMIC_RELAXED) != me())
		return false;
	write_dr6(X86_DR6_RESET);
	f->rflags &= ~X86_RFLAGS_TF;
	__atomic_store_n(&stepping, 0, __ATOMIC_RELAXED);
	if (!stub_take())
		return false;
	stop_here(f, GDB_SIGTRAP, false);
	return true;
}

static int exception_signal(u64 vector)
{
	switch (vector) {
	case DE_VECTOR: return GDB_SIGFPE;
	case UD_VECTOR: return GDB_SIGILL;
	case GP_VECTOR: case SS_VECTOR: case PF_VECTOR: return GDB_SIGSEGV;
	case AC_VECTOR: return GDB_SIGBUS;
	default: return GDB_SIGTRAP;
	}
}

bool gdbstub_fatal(struct exc_frame *f)
{
	if (!gdbstub_enabled() || !stub_take())
		return false;
	__atomic_store_n(&crash_shown, true, __ATOMIC_RELAXED);
	/* printk is lock-free since the crash report (printk_enter_panic) */
	pr_emerg("gdb: cpu%u waits for gdb to inspect the crash\n", this_cpu_id());
	console_flush_all();
	return stop_here(f, exception_signal(f->vector), false);
}

void gdbstub_panic(void)
{
	if (!gdbstub_enabled() || __atomic_exchange_n(&crash_shown, true, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&owner, __ATOMIC_ACQUIRE) == me())
		return;
	pr_emerg("gdb: cpu%u waits for gdb to inspect the panic\n", this_cpu_id());
	console_flush_all();
	gdb_breakpoint(GDB_SIGABRT);
}

void gdbstub_wait(void)
{
	if (!gdbstub_enabled())
		return;
	pr_notice("gdb: cpu%u waits for gdb (target remote on the stub's serial port)\n",
		  this_cpu_id());
	console_flush_all();
	gdb_breakpoint(GDB_SIGTRAP);
	pr_notice("gdb: cpu%u resumed by gdb, going on\n", this_cpu_id());
}

void gdbstub_poll(void)
{
	u32 free = 0;
	u64 now;
	int c;

	if (!gdbstub_enabled())
		return;
	now = rdtsc();
	if (now < __atomic_load_n(&poll_next_tsc, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&poll_next_tsc, now + tsc_khz() * GDB_POLL_MS, __ATOMIC_RELAXED);
	if (!__atomic_compare_exchange_n(&owner, &free, me(), false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return;		/* another CPU talks to gdb */
	c = uart_getc(&gdb_port);
	if (c == '$')
		stub.pushback = c;	/* a gdb attaching: its first packet */
	stub_release();
	if (c == GDB_INTERRUPT || c == '$')
		gdb_breakpoint(GDB_SIGINT);
}
