/* SPDX-License-Identifier: MIT */
/*
 * Host exception handling: our IDT entries for vectors 0-31 all reach
 * exception_handler() with this frame (built by arch/entry.asm; the offsets
 * the assembly uses are generated from it by arch/asm-offsets.c).
 */
#ifndef TDPVISOR_EXCEPTION_H
#define TDPVISOR_EXCEPTION_H

#include "types.h"
#include "arch/x86.h"

struct exc_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	/* pushed by the CPU */
	u64 rip, cs, rflags, rsp, ss;
};

/*
 * An exception-table entry: a fault at insn resumes at fixup.  Both are
 * stored relative to the entry's own address, so the table needs no
 * relocation.  Assembly emits them into the "ex_table" section.
 */
struct ex_entry {
	s32 insn;
	s32 fixup;
};

void exception_handler(struct exc_frame *f);
/* arch/entry.asm: UD2 under a fixup; returns 0 when the fixup worked. */
int exception_fixup_selftest(void);
void arch_dump_frame(const struct exc_frame *f);

/* arch/entry.asm: the 32 exception entry points, in vector order. */
extern const u8 exception_stubs[];
#define EXCEPTION_STUB_SIZE 16

/* arch/intr_take.asm, behind desc_take_interrupt(). */
extern const u8 intr_take_stubs[];
#define INTR_TAKE_STUB_SIZE 16
int intr_take(const struct desc_ptr *take_idtr, const struct desc_ptr *host_idtr);
/*
 * Takes the external interrupt pending at this CPU, if any, as the CPU
 * would deliver it (the local APIC or the 8259 acknowledges it; its EOI is
 * left to whoever gets the vector).  Returns the vector, or -1 when none
 * was pending.  IF must be clear; exceptions and NMIs in the window go to
 * the host's handlers.
 */
int desc_take_interrupt(void);

#endif
