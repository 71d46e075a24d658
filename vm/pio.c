// SPDX-License-Identifier: MIT
/*
 * Intercepted port I/O, for every kind of VM: IN and OUT move one value
 * between rAX and the kind's port; INS and OUTS move elements between
 * guest memory and the port, repeated rCX times with REP.  The kind
 * performs each single access (vm_kind_ops.io); everything else -- the
 * registers, the memory operand, the direction flag, the count -- is done
 * here once, as the CPU would.
 *
 * A REP string instruction runs at most PIO_BATCH elements per exit: the
 * guest re-executes it (RIP unchanged, rCX, rSI/rDI moved on) until rCX
 * reaches 0, so interrupts and other CPUs' requests are served in between,
 * as between the CPU's own iterations.  With RFLAGS.TF set it runs one
 * element per exit, each followed by its single-step #DB: the CPU traps
 * after every iteration of a REP string instruction, not after the last.
 */
#include "vm/run.h"
#include "vm/insn.h"
#include "vm/gwalk.h"
#include "arch/cr.h"
#include "arch/trapnr.h"
#include "errcode.h"
#include "lib/printk.h"

#define PIO_BATCH 256

/*
 * The guest-physical bytes behind an element of at most 4 bytes at linear
 * address la: one span, or two when it crosses a page.
 */
struct span {
	gpa_t gpa[2];
	unsigned int len[2];
};

/*
 * Resolves [la, la + len) to *sp through the guest's page tables, checked
 * as guest memory (writable if asked).  0; 1 when the guest must resume
 * first (the access faults -- the fault is injected -- or its tables
 * changed under the walk); <0 after the VM was killed with the reason.
 */
static int resolve(struct vcpu *v, u64 la, unsigned int len, bool write, struct span *sp)
{
	struct gva_fault f;
	unsigned int i;
	int r;

	for (i = 0; i < 2; i++) {
		unsigned int chunk = (unsigned int)MIN((u64)len, PAGE_SIZE - (la & (PAGE_SIZE - 1)));

		sp->len[i] = chunk;
		if (!chunk)
			continue;
		r = vcpu_gva_to_gpa(v, la, write ? GWALK_WRITE : 0, &sp->gpa[i], &f);
		if (r == 1)
			vcpu_inject_fault(v, &f);
		if (r == 1 || r == -EAGAIN)
			return 1;
		if (r) {
			vm_kill(v->vm, "string I/O: the guest's page tables for linear address "
				"0x%llx lie outside its memory (RIP 0x%llx)", (unsigned long long)la,
				(unsigned long long)virt->get_rip(v));
			return r;
		}
		if (!vm_gpa_range_ok(v->vm, sp->gpa[i], chunk, write)) {
			vm_kill(v->vm, "string I/O: %s of GPA 0x%llx outside the guest's memory "
				"(RIP 0x%llx)", write ? "write" : "read",
				(unsigned long long)sp->gpa[i], (unsigned long long)virt->get_rip(v));
			return -EFAULT;
		}
		la += chunk;
		if (virt->get_cpu_mode(v) != CPU_MODE_64)
			la = (u32)la;	/* an element across 4 GiB wraps */
		len -= chunk;
	}
	return 0;
}

/* Copies between the element buffer and the span (both checked already). */
static void copy_span(struct vcpu *v, const struct span *sp, u8 *buf, bool write)
{
	unsigned int i;

	for (i = 0; i < 2 && sp->len[i]; i++) {
		if (write)
			vm_write_gpa(v->vm, sp->gpa[i], buf, sp->len[i]);
		else
			vm_read_gpa(v->vm, sp->gpa[i], buf, sp->len[i]);
		buf += sp->len[i];
	}
}

static u64 addr_mask(unsigned int addr_size)
{
	return addr_size == 8 ? ~0ULL : (1ULL << (8 * addr_size)) - 1;
}

/* reg + delta in its low addr_size bytes; the bits above are kept (16-bit)
 * or cleared (32-bit, as any 32-bit register write in 64-bit mode). */
static u64 advance(u64 reg, s64 delta, unsigned int addr_size)
{
	u64 m = addr_mask(addr_size), low = (reg + (u64)delta) & m;

	return addr_size == 2 ? (reg & ~m) | low : low;
}

static int string_io(struct vcpu *v, const struct vm_exit *e)
{
	u8 bytes[INSN_MAX_LEN];
	struct string_io_insn in;
	struct gva_fault f;
	unsigned int mode = virt->get_cpu_mode(v), i;
	u64 rip = virt->get_rip(v), rflags = virt->get_rflags(v), count, m;
	unsigned int batch = rflags & X86_RFLAGS_TF ? 1 : PIO_BATCH;
	int n, r;
	s64 step;

	n = vcpu_fetch_insn(v, bytes, sizeof(bytes), &f);
	r = n < 0 ? n : insn_decode_string_io(bytes, (size_t)n, (enum cpu_mode)mode, &in);
	if (vcpu_fetch_interrupted(v, r, &f))
		return 0;	/* the guest takes the fetch's fault, or runs it again */
	if (r || in.in != e->io.in || in.size != e->io.size) {
		vm_kill(v->vm, "string I/O on port 0x%x: the instruction at RIP 0x%llx is not "
			"the INS/OUTS that exited (%d, %02x %02x)", e->io.port,
			(unsigned long long)rip, r, n > 0 ? bytes[0] : 0, n > 1 ? bytes[1] : 0);
		return r ? r : -EINVAL;
	}
	m = addr_mask(in.addr_size);
	count = in.rep ? v->gpr[GPR_RCX] & m : 1;
	step = rflags & X86_RFLAGS_DF ? -(s64)in.size : (s64)in.size;
	for (i = 0; i < batch && count; i++, count--) {
		u8 reg = in.in ? GPR_RDI : GPR_RSI;
		u64 off = v->gpr[reg] & m, la = off;
		struct span sp;
		u32 val = 0;

		/* 64-bit mode: only FS and GS have a base; elsewhere every segment. */
		if (mode != CPU_MODE_64 || in.seg == INSN_SEG_FS || in.seg == INSN_SEG_GS)
			la += virt->get_seg_base(v, in.seg);
		if (mode != CPU_MODE_64)
			la = (u32)la;
		/* The memory operand is checked before the port is touched: a
		 * fault leaves the device as it was, as on the CPU (and the
		 * elements done so far done, rCX and rSI/rDI counting them). */
		r = resolve(v, la, in.size, in.in, &sp);
		if (r) {
			v->stats.string_io_elems += i;
			return r < 0 ? r : 0;
		}
		if (!in.in)
			copy_span(v, &sp, (u8 *)&val, false);
		r = v->vm->kind->io(v, e->io.port, in.size, in.in, &val);
		if (r < 0)
			return r;
		if (in.in)
			copy_span(v, &sp, (u8 *)&val, true);
		v->gpr[reg] = advance(v->gpr[reg], step, in.addr_size);
		if (in.rep)
			v->gpr[GPR_RCX] = advance(v->gpr[GPR_RCX], -1, in.addr_size);
	}
	v->stats.string_io_elems += i;
	/* More to do: the guest runs the instruction again (after the #DB of
	 * this iteration when single-stepping). */
	if (count && (rflags & X86_RFLAGS_TF))
		vcpu_insn_done(v, rip);
	else if (!count)
		vcpu_insn_done(v, rip + in.len);
	return 0;
}

int vcpu_emulate_io(struct vcpu *v, const struct vm_exit *e)
{
	u32 val = (u32)v->gpr[GPR_RAX];
	int r;

	if (e->io.string)
		return string_io(v, e);
	/* Past the instruction first: an OUT that resets the machine has
	 * nothing left to do after the access. */
	r = vcpu_skip_insn(v, e);
	if (r)
		return r < 0 ? r : 0;	/* dead, or the guest takes a fault first */
	r = v->vm->kind->io(v, e->io.port, e->io.size, e->io.in, &val);
	if (r < 0)
		return r;
	if (e->io.in)
		vcpu_io_in_result(v, e->io.size, val);
	return 0;
}
