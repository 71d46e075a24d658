; SPDX-License-Identifier: MIT
; Taking the external interrupt pending at this CPU, for a guest that must
; get it by injection (svm/: the AMD tick intercepts physical interrupts).
; intr_take() loads the take IDT, opens the interrupt window for one
; instruction, and loads the host IDT back.  Every vector from 32 up enters
; a stub that stores its number where R11 points and returns with IF clear,
; so one interrupt at most is taken.  The local APIC's acknowledgement sets
; its ISR bit: the guest's EOI, after the injected interrupt, clears it.

default rel
bits 64
section .text

; int intr_take(const struct desc_ptr *take_idtr, const struct desc_ptr *host_idtr)
; The vector taken, or -1 when no interrupt was pending.  Called with IF clear.
global intr_take:function hidden
intr_take:
	push -1
	mov r11, rsp
	lidt [rdi]
	sti
	nop			; the interrupt window: after STI's shadow
	cli
	lidt [rsi]
	pop rax
	ret

; 256 stubs of INTR_TAKE_STUB_SIZE (16) bytes, in vector order.
global intr_take_stubs:data hidden
align 16
intr_take_stubs:
%assign vec 0
%rep 256
	mov dword [r11], vec
	btr qword [rsp + 16], 9	; the saved RFLAGS.IF: return with it clear
	iretq
	times 16 - ($ - intr_take_stubs - vec * 16) db 0xcc
%assign vec vec + 1
%endrep
%if $ - intr_take_stubs != 256 * 16
%error "intr_take_stubs: each stub must be 16 bytes"
%endif
