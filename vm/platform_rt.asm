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

; void EFIAPI platform_ap_entry(struct platform_ap_start *start)
;
; What the firmware's MP services run on each AP (Microsoft ABI: the
; argument in RCX; RDI and RSI are the caller's to keep).  It runs in the
; firmware's copy of hv.efi, like platform_resume: asks start->prepare
; (the hypervisor's copy, System V ABI) to set the CPU up, and when that
; returns launch arguments, becomes the guest through start->enter
; (platform_enter), which returns here as the guest.  Either way it returns
; to the firmware.
global platform_ap_entry:function hidden
platform_ap_entry:
	push rbx
	push rdi
	push rsi			; RSP is 16-byte aligned again
	mov rbx, rcx
	mov rdi, rcx
	call [rbx + AP_START_PREPARE]
	test rax, rax
	jz .native
	mov rdi, [rax + LAUNCH_CAP]
	mov rsi, [rax + LAUNCH_HOST]
	mov rdx, [rax + LAUNCH_STACK]
	lea rcx, [rel platform_resume]
	call [rbx + AP_START_ENTER]	; returns 0, as the guest
.native:
	pop rsi
	pop rdi
	pop rbx
	ret
