; SPDX-License-Identifier: MIT
; Entering an SVM guest.  VMRUN switches RAX, RSP, RIP and the state in the
; VMCB; it saves none of the other general-purpose registers, so this code
; loads the guest's from the vCPU's register array before VMRUN and stores
; them back after #VMEXIT.  VMSAVE/VMLOAD move the state VMRUN leaves alone
; (FS/GS/TR/LDTR hidden state, KernelGSBase, STAR/LSTAR/CSTAR/SFMASK,
; SYSENTER MSRs) between the host and the guest.  GIF is clear from before
; the first VMLOAD until after the last, so no host interrupt can run with
; half-switched state; interrupts that arrive meanwhile are taken after STGI.

%include "asm-offsets.inc"
%include "arch/callee_saved.inc"
%include "vm/guest_gprs.inc"

default rel
bits 64
section .text

; void svm_vmrun(u64 *gprs, u64 guest_vmcb_pa, u64 host_vmcb_pa)
global svm_vmrun:function hidden
svm_vmrun:
	PUSH_CALLEE_SAVED
	push rdi			; [rsp + 16] after the two below: gprs
	push rdx			; [rsp + 8]: host VMCB
	push rsi			; [rsp]: guest VMCB

	clgi
	mov rax, rdx
	vmsave			; host's hidden segment state and MSRs

	mov rax, rsi
	LOAD_GUEST_GPRS

	vmload
	vmrun
	vmsave			; RAX is the guest VMCB again

	push rdi			; the guest's RDI; gprs now at [rsp + 24]
	mov rdi, [rsp + 24]
	STORE_GUEST_GPRS
	pop rax
	mov [rdi + GPR_RDI * 8], rax

	pop rsi				; guest VMCB
	pop rax				; host VMCB
	vmload
	stgi
	pop rdi
	POP_CALLEE_SAVED
	ret

; void svm_vmsave(u64 vmcb_pa): stores the CPU's current FS/GS/TR/LDTR
; hidden state, KernelGSBase, STAR/LSTAR/CSTAR/SFMASK and SYSENTER MSRs into
; a VMCB -- how the platform VM's VMCB starts from the firmware's values.
global svm_vmsave:function hidden
svm_vmsave:
	mov rax, rdi
	vmsave
	ret
