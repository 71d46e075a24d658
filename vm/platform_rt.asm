; SPDX-License-Identifier: MIT
; Turning the running CPU into a guest ("blue pill").
;
; int platform_enter(struct platform_capture *cap,
;                    void (*host)(struct platform_capture *), u64 host_stack,
;                    u64 resume)
;
; Saves the callee-saved registers on the current (firmware) stack, records
; RSP, RFLAGS and resume in *cap, then switches to the hypervisor's own
; stack and calls host(cap), which never returns: it makes a vCPU of *cap
; and enters it.  The guest's first instruction is at resume -- the
; platform_resume of the image copy the guest can reach (the firmware's
; copy of hv.efi; the hypervisor's copy is hidden from it) -- so to the
; caller platform_enter() simply returns 0, as a guest.

%include "asm-offsets.inc"
%include "arch/callee_saved.inc"

default rel
bits 64
section .text

global platform_enter:function hidden
platform_enter:
	PUSH_CALLEE_SAVED
	pushfq
	pop rax
	mov [rdi + CAPTURE_RFLAGS], rax
	mov [rdi + CAPTURE_RSP], rsp
	mov [rdi + CAPTURE_RIP], rcx
	mov rsp, rdx
	call rsi
	ud2				; host() never returns
global platform_resume:function hidden
platform_resume:
	POP_CALLEE_SAVED
	xor eax, eax
	ret
