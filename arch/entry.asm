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

; bool rdmsr_safe(u32 msr, u64 *val): false if RDMSR raised #GP.
global rdmsr_safe:function hidden
rdmsr_safe:
	mov ecx, edi
.insn:
	rdmsr
	shl rdx, 32
	or rax, rdx
	mov [rsi], rax
	mov eax, 1
	ret
.fixup:
	xor eax, eax
	ret

section ex_table progbits alloc noexec nowrite align=4
	dd rdmsr_safe.insn - $
	dd rdmsr_safe.fixup - $

section .text
; bool wrmsr_safe(u32 msr, u64 val): false if WRMSR raised #GP.
global wrmsr_safe:function hidden
wrmsr_safe:
	mov ecx, edi
	mov eax, esi
	mov rdx, rsi
	shr rdx, 32
.insn:
	wrmsr
	mov eax, 1
	ret
.fixup:
	xor eax, eax
	ret

section ex_table
	dd wrmsr_safe.insn - $
	dd wrmsr_safe.fixup - $

section .text
; bool xsetbv_safe(u32 xcr, u64 val): false if XSETBV raised #GP or #UD.
global xsetbv_safe:function hidden
xsetbv_safe:
	mov ecx, edi
	mov eax, esi
	mov rdx, rsi
	shr rdx, 32
.insn:
	xsetbv
	mov eax, 1
	ret
.fixup:
	xor eax, eax
	ret

section ex_table
	dd xsetbv_safe.insn - $
	dd xsetbv_safe.fixup - $

section .text
; bool write_cr4_safe(u64 val): false if the MOV to CR4 raised #GP.
global write_cr4_safe:function hidden
write_cr4_safe:
.insn:
	mov cr4, rdi
	mov eax, 1
	ret
.fixup:
	xor eax, eax
	ret

section ex_table
	dd write_cr4_safe.insn - $
	dd write_cr4_safe.fixup - $

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
