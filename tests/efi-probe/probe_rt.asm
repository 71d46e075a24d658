; SPDX-License-Identifier: MIT
;
; probe.efi's few instructions that C cannot say: the two hypercall
; instructions, MMIO-safe loads and stores (one plain MOV each, which the
; hypervisor's MMIO emulation decodes), RDMSR under a #GP fixup, and an
; NMI handler that counts.
; All functions follow the SysV ABI (gnu-efi's crt0 calls efi_main so).
default rel
bits 64

section .data
align 8
global probe_old_gp
probe_old_gp:	dq 0		; the firmware's #GP handler, for faults not ours
global probe_nmis
probe_nmis:	dd 0		; NMIs probe_nmi_entry took

section .text

; long probe_vmcall(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3)
; long probe_vmmcall(...): the hypercall ABI of include/vm/hypercall.h,
; RAX nr, RBX RCX RDX RSI a0..a3, RAX the result.
%macro HYPERCALL 2
global %1
%1:
	push rbx
	mov rax, rdi
	mov rbx, rsi
	mov r9, rcx
	mov rcx, rdx
	mov rdx, r9
	mov rsi, r8
	%2
	pop rbx
	ret
%endmacro
HYPERCALL probe_vmcall, vmcall
HYPERCALL probe_vmmcall, vmmcall

; u64 probe_read64(u64 addr); void probe_write64(u64 addr, u64 v)
global probe_read64
probe_read64:
	mov rax, [rdi]
	ret

; u64 probe_read128(u64 addr): a 16-byte SSE load (MOVDQU); the low half.
global probe_read128
probe_read128:
	movdqu xmm0, [rdi]
	movq rax, xmm0
	ret

global probe_write64
probe_write64:
	mov [rdi], rsi
	ret

; int probe_rdmsr_safe(u32 msr, u64 *val): 0, or -1 when RDMSR raised #GP
; (with probe_gp_entry in the IDT; *val is then left alone).
global probe_rdmsr_safe
probe_rdmsr_safe:
	mov ecx, edi
probe_rdmsr_insn:
	rdmsr
	shl rdx, 32
	mov eax, eax
	or rax, rdx
	mov [rsi], rax
	xor eax, eax
	ret
probe_rdmsr_fixup:
	mov eax, -1
	ret

; int probe_wrmsr_safe(u32 msr, u64 val): 0, or -1 when WRMSR raised #GP.
global probe_wrmsr_safe
probe_wrmsr_safe:
	mov ecx, edi
	mov eax, esi
	mov rdx, rsi
	shr rdx, 32
probe_wrmsr_insn:
	wrmsr
	xor eax, eax
	ret

; The #GP handler while the probe's IDT is loaded: a #GP at the RDMSR or
; WRMSR above resumes at the fixup (which returns -1); any other goes to the
; firmware's handler unchanged.  Stack: error code, RIP, CS, RFLAGS, RSP, SS.
global probe_gp_entry
probe_gp_entry:
	push rax
	lea rax, [probe_rdmsr_insn]
	cmp [rsp + 16], rax
	je .ours
	lea rax, [probe_wrmsr_insn]
	cmp [rsp + 16], rax
	jne .not_ours
.ours:
	lea rax, [probe_rdmsr_fixup]
	mov [rsp + 16], rax
	pop rax
	add rsp, 8
	iretq
.not_ours:
	pop rax
	jmp [probe_old_gp]

; The NMI handler while the probe's IDT is loaded (self_nmis() in probe.c):
; counts the NMI and returns, which ends the NMI blocking.
global probe_nmi_entry
probe_nmi_entry:
	lock inc dword [probe_nmis]
	iretq

; An SMI handler for check h (probe_smi.c), copied to the SMI entry of the
; reset SMBASE (0x30000 + 0x8000).  SMM starts in a real-mode-like state
; with CS.base = SMBASE and IP = 0x8000.  It clobbers EBX and AL, leaves
; its mark in the APM status port (0xb3, a scratch register of the
; chipset) and returns: RSM restores what ran from the state-save map.
%define APM_CNT 0xb2
%define APM_STS 0xb3
%define SMI_MARK 0xa5
%define SMI_CMD 0x5a
section .rodata
bits 16
global probe_smi_handler
probe_smi_handler:
	xor ebx, ebx
	mov al, SMI_MARK
	out APM_STS, al
	rsm
global probe_smi_handler_end
probe_smi_handler_end:
bits 64

section .text
; int probe_raise_smi(u32 spins): writes the APM control port (an SMI, with
; the chipset's APMC enable on) and reads the status port up to spins times
; for the handler's mark.  0: no mark; 1: the mark, but RBX (which the
; handler clears) came back changed; 2: the mark and RBX intact.
global probe_raise_smi
probe_raise_smi:
	push rbx
	mov ecx, edi
	mov rbx, 0x0123456789abcdef
	mov al, SMI_CMD
	out APM_CNT, al
.wait:
	in al, APM_STS
	cmp al, SMI_MARK
	je .marked
	pause
	dec ecx
	jnz .wait
	xor eax, eax
	jmp .done
.marked:
	mov rax, 0x0123456789abcdef
	cmp rbx, rax
	sete al
	movzx eax, al
	inc eax
.done:
	pop rbx
	ret
