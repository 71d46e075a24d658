; SPDX-License-Identifier: MIT
; Host exception entry points and small instruction sequences that need an
; exception fixup.  Every stub is EXCEPTION_STUB_SIZE (16) bytes so the IDT
; set-up can compute entry addresses from exception_stubs.

%include "asm-offsets.inc"

default rel
bits 64

extern exception_handler

section .text

; Vectors that push an error code: 8, 10-14, 17, 21, 29, 30.
%define HAS_ERRCODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

align 16
global exception_stubs:function hidden
exception_stubs:
%assign vec 0
%rep 32
	align 16
%if HAS_ERRCODE(vec) == 0
	push qword 0
%endif
	push qword vec
	jmp exception_common
%assign vec vec + 1
%endrep

; Builds struct exc_frame on the stack, calls exception_handler(frame) and
; returns from the exception with whatever the handler left in the frame
; (a fixup changes the saved RIP).
exception_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
	cld
	call exception_handler
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, EXC_FRAME_RIP - EXC_FRAME_VECTOR	; vector and error code
	iretq

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
