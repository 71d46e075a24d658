; SPDX-License-Identifier: MIT
; Entering a VMX guest.  VMLAUNCH/VMRESUME switch RSP, RIP, RFLAGS and the
; state held in the VMCS; none of the other general-purpose registers, so
; this code loads the guest's from the vCPU's register array before entry
; and stores them back at the VM exit.  The guest's RSP lives in the VMCS.
;
; A VM exit lands on vmx_vmexit (HOST_RIP) with RSP = the HOST_RSP written
; just before entry, RFLAGS = 0x2 (interrupts off) and every other register
; still holding the guest's value.  The host's callee-saved registers and
; RFLAGS are on that stack; restoring RFLAGS turns interrupts back on, so an
; external interrupt that caused the exit (acknowledge-on-exit is off) is
; delivered to the host's handler right there.

%include "asm-offsets.inc"
%include "arch/callee_saved.inc"
%include "vm/guest_gprs.inc"

default rel
bits 64
section .text

; int vmx_enter(u64 *gprs, u64 launched)
; Returns 0 after a VM exit, 1 for VMfailValid, 2 for VMfailInvalid.
global vmx_enter:function hidden
vmx_enter:
	PUSH_CALLEE_SAVED
	pushfq
	push rdi			; [rsp]: gprs, found again at the exit

	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp

	test rsi, rsi			; ZF survives the loads below
	mov rax, [rdi + GPR_RAX * 8]
	LOAD_GUEST_GPRS
	jnz .resume
	vmlaunch
	jmp .failed
.resume:
	vmresume
.failed:
	; Still here: the entry failed.  ZF set: VMfailValid; else CF set:
	; VMfailInvalid.  The movs leave the flags alone.
	mov eax, 1
	jz enter_done
	mov eax, 2
	jmp enter_done

global vmx_vmexit:function hidden
vmx_vmexit:
	push rdi			; the guest's RDI; gprs now at [rsp + 8]
	mov rdi, [rsp + 8]
	mov [rdi + GPR_RAX * 8], rax
	STORE_GUEST_GPRS
	pop rax
	mov [rdi + GPR_RDI * 8], rax
	xor eax, eax

enter_done:
	add rsp, 8			; gprs
	popfq				; the host's interrupt flag
	POP_CALLEE_SAVED
	ret

; void vmx_host_nmi(void)
; An NMI that arrives while the guest runs causes a VM exit instead of
; being delivered; NMIs stay blocked until the next IRET.  Raising vector 2
; runs the host's NMI handler, whose IRET ends that blocking.
global vmx_host_nmi:function hidden
vmx_host_nmi:
	int 2
	ret

; void vmx_host_selectors(u16 sel[6])
; The host's ES, CS, SS, DS, FS, GS selectors, in that order (the order of
; the VMCS host-state fields).
global vmx_host_selectors:function hidden
vmx_host_selectors:
	mov [rdi], es
	mov [rdi + 2], cs
	mov [rdi + 4], ss
	mov [rdi + 6], ds
	mov [rdi + 8], fs
	mov [rdi + 10], gs
	ret
