; SPDX-License-Identifier: MIT
; Host exception entry points and small instruction sequences that need an
; exception fixup.  Every stub is EXCEPTION_STUB_SIZE (16) bytes so the IDT
; set-up can compute entry addresses from exception_stubs.

%include "asm-offsets.inc"
%include "arch/exc_frame.inc"

default rel
bits 64

extern exception_handler

section .text

EXC_STUBS exception_stubs, exception_common

; Builds struct exc_frame on the stack, calls exception_handler(frame) and
; returns from the exception with whatever the handler left in the frame
; (a fixup changes the saved RIP).
exception_common:
	EXC_FRAME_CALL exception_handler

; SAFE_BEGIN name ... SAFE_END name: bool name(...) runs the instructions in
; between under an exception-table fixup: 1 when they complete, 0 when the
; first one faults (#GP, #UD) and the handler resumes at the fixup.  The
; arguments are set up for RDMSR/WRMSR/XSETBV first: ECX from EDI, EDX:EAX
; from RSI.
%macro SAFE_BEGIN 1
global %1:function hidden
%1:
	mov ecx, edi
	mov eax, esi
	mov rdx, rsi
	shr rdx, 32
.insn:
%endmacro

%macro SAFE_END 1
	mov eax, 1
	ret
.fixup:
	xor eax, eax
	ret
section ex_table
	dd %1.insn - $
	dd %1.fixup - $
section .text
%endmacro

section ex_table progbits alloc noexec nowrite align=4
section .text

; bool rdmsr_safe(u32 msr, u64 *val): false if RDMSR raised #GP.
SAFE_BEGIN rdmsr_safe
	rdmsr
	shl rdx, 32
	or rax, rdx
	mov [rsi], rax
SAFE_END rdmsr_safe

; bool wrmsr_safe(u32 msr, u64 val): false if WRMSR raised #GP.
SAFE_BEGIN wrmsr_safe
	wrmsr
SAFE_END wrmsr_safe

; bool xsetbv_safe(u32 xcr, u64 val): false if XSETBV raised #GP or #UD.
SAFE_BEGIN xsetbv_safe
	xsetbv
SAFE_END xsetbv_safe

; bool write_cr4_safe(u64 val): false if the MOV to CR4 raised #GP.
SAFE_BEGIN write_cr4_safe
	mov cr4, rdi
SAFE_END write_cr4_safe

section .text
; int exception_fixup_selftest(void): executes UD2 under an exception-table
; fixup.  Returns 0 when the fixup resumed execution (the expected path), 1 if
; no exception happened at all.
global exception_fixup_selftest:function hidden
exception_fixup_selftest:
.insn:
	ud2
	mov eax, 1
	ret
.fixup:
	xor eax, eax
	ret

section ex_table
	dd exception_fixup_selftest.insn - $
	dd exception_fixup_selftest.fixup - $

section .text
; size_t memcpy_safe(void *dst, const void *src, size_t n): copies n bytes
; in order under an exception-table fixup.  Returns 0 when all were copied,
; else how many were left when a load or store faulted (#PF, #GP): the
; bytes before the faulting one have been copied.
global memcpy_safe:function hidden
memcpy_safe:
	mov rcx, rdx
.insn:
	rep movsb
	xor eax, eax
	ret
.fixup:
	mov rax, rcx
	ret

section ex_table
	dd memcpy_safe.insn - $
	dd memcpy_safe.fixup - $

section .text
; void gdb_breakpoint(int signo): stops this CPU in the gdb stub
; (arch/gdbstub_x86.c) with the signal in RDI.  An ordinary frame (RBP
; chain) so that gdb and our own backtraces walk through it; the stub
; knows the INT3 by its place in this function.
global gdb_breakpoint:function hidden
gdb_breakpoint:
	push rbp
	mov rbp, rsp
	int3
	pop rbp
	ret
