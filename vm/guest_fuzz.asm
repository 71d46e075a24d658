; SPDX-License-Identifier: MIT
; The guest side of the random-guest fuzzer (program format and contracts
; in include/vm/guest_fuzz.h).  It runs inside a test VM, never in the
; hypervisor.  Each fuzz_* primitive takes RDI = the struct fuzz_op and may
; clobber every register but RSP: guest_fuzz_run() saves and restores the
; callee-saved ones, and is where any exception inside a primitive lands.

%include "asm-offsets.inc"
%include "arch/callee_saved.inc"

default rel
bits 64

section .text

; u64 guest_fuzz_run(struct fuzz_op *op, fuzz_insn_fn fn)
global guest_fuzz_run:function hidden
guest_fuzz_run:
	PUSH_CALLEE_SAVED
	sub rsp, 8			; keep the call below 16-byte aligned
	mov rdx, TEST_VM_SHARED
	lea rax, [fuzz_resume]
	mov [rdx + GUEST_SHARED_RESUME_RSP], rsp
	mov [rdx + GUEST_SHARED_RESUME_RIP], rax
	call rsi
	xor eax, eax
fuzz_resume:				; RAX: 0, or vector + 1 from the handler
	mov rdx, TEST_VM_SHARED
	mov qword [rdx + GUEST_SHARED_RESUME_RIP], 0
	cld
	add rsp, 8
	POP_CALLEE_SAVED
	ret

global fuzz_cpuid:function hidden
fuzz_cpuid:
	mov r8, rdi
	mov eax, [r8 + FUZZ_OP_A0]
	mov ecx, [r8 + FUZZ_OP_A1]
	cpuid
	mov [r8 + FUZZ_OP_R0], rax
	mov [r8 + FUZZ_OP_R1], rbx
	mov [r8 + FUZZ_OP_R2], rcx
	mov [r8 + FUZZ_OP_R3], rdx
	ret

global fuzz_rdmsr:function hidden
fuzz_rdmsr:
	mov ecx, [rdi + FUZZ_OP_A0]
	rdmsr
	shl rdx, 32
	or rax, rdx
	mov [rdi + FUZZ_OP_R0], rax
	ret

; EDX:EAX = a[1]
%macro EDX_EAX_A1 0
	mov rax, [rdi + FUZZ_OP_A1]
	mov rdx, rax
	shr rdx, 32
%endmacro

global fuzz_wrmsr:function hidden
fuzz_wrmsr:
	mov ecx, [rdi + FUZZ_OP_A0]
	EDX_EAX_A1
	wrmsr
	ret

global fuzz_xsetbv:function hidden
fuzz_xsetbv:
	mov ecx, [rdi + FUZZ_OP_A0]
	EDX_EAX_A1
	xsetbv
	ret

; IN/OUT of each width: port a[0], RAX a[1] before.
%macro FUZZ_PORT 2+
global %1:function hidden
%1:
	mov edx, [rdi + FUZZ_OP_A0]
	mov rax, [rdi + FUZZ_OP_A1]
	%2
	mov [rdi + FUZZ_OP_R0], rax
	ret
%endmacro
FUZZ_PORT fuzz_in8, in al, dx
FUZZ_PORT fuzz_in16, in ax, dx
FUZZ_PORT fuzz_in32, in eax, dx
FUZZ_PORT fuzz_out8, out dx, al
FUZZ_PORT fuzz_out16, out dx, ax
FUZZ_PORT fuzz_out32, out dx, eax

global fuzz_rep_insb:function hidden
fuzz_rep_insb:
	mov edx, [rdi + FUZZ_OP_A0]
	mov rcx, [rdi + FUZZ_OP_A4]
	mov rdi, [rdi + FUZZ_OP_A1]
	rep insb
	ret

global fuzz_rep_outsb:function hidden
fuzz_rep_outsb:
	mov edx, [rdi + FUZZ_OP_A0]
	mov rcx, [rdi + FUZZ_OP_A4]
	mov rsi, [rdi + FUZZ_OP_A1]
	rep outsb
	ret

global fuzz_hlt:function hidden
fuzz_hlt:
	hlt
	ret

global fuzz_invd:function hidden
fuzz_invd:
	invd
	ret

global fuzz_wbinvd:function hidden
fuzz_wbinvd:
	wbinvd
	ret

; The hypercall ABI's registers from a[0..4]; RAX back into r[0].
%macro FUZZ_HYPERCALL 2
global %1:function hidden
%1:
	mov r8, rdi
	mov rax, [r8 + FUZZ_OP_A0]
	mov rbx, [r8 + FUZZ_OP_A1]
	mov rcx, [r8 + FUZZ_OP_A2]
	mov rdx, [r8 + FUZZ_OP_A3]
	mov rsi, [r8 + FUZZ_OP_A4]
	%2
	mov [r8 + FUZZ_OP_R0], rax
	ret
%endmacro
FUZZ_HYPERCALL fuzz_vmcall, vmcall
FUZZ_HYPERCALL fuzz_vmmcall, vmmcall

; CRn ^= a[0]; CRn = a[0].
%macro FUZZ_CR_XOR 2
global %1:function hidden
%1:
	mov rax, %2
	xor rax, [rdi + FUZZ_OP_A0]
	mov %2, rax
	ret
%endmacro
FUZZ_CR_XOR fuzz_cr0_xor, cr0
FUZZ_CR_XOR fuzz_cr3_xor, cr3
FUZZ_CR_XOR fuzz_cr4_xor, cr4

%macro FUZZ_CR_SET 2
global %1:function hidden
%1:
	mov rax, [rdi + FUZZ_OP_A0]
	mov %2, rax
	ret
%endmacro
FUZZ_CR_SET fuzz_cr0_set, cr0
FUZZ_CR_SET fuzz_cr4_set, cr4

global fuzz_cr8:function hidden
fuzz_cr8:
	mov rax, [rdi + FUZZ_OP_A0]
	mov cr8, rax
	mov rax, cr8
	mov [rdi + FUZZ_OP_R0], rax
	ret

; void fuzz_set_scratch(struct fuzz_op *op, u64 *pde)
global fuzz_set_scratch:function hidden
fuzz_set_scratch:
	mov rax, [rdi + FUZZ_OP_A2]
	mov [rsi], rax
	mov rax, FUZZ_SCRATCH
	invlpg [rax]
	ret

; RSI = the scratch address a[0] names.
%macro SCRATCH_ADDR 0
	mov rsi, FUZZ_SCRATCH
	add rsi, [rdi + FUZZ_OP_A0]
%endmacro

%macro FUZZ_LOAD 2+
global %1:function hidden
%1:
	SCRATCH_ADDR
	xor eax, eax
	%2
	mov [rdi + FUZZ_OP_R0], rax
	ret
%endmacro
FUZZ_LOAD fuzz_load8, mov al, [rsi]
FUZZ_LOAD fuzz_load16, movzx eax, word [rsi]
FUZZ_LOAD fuzz_load32, mov eax, [rsi]
FUZZ_LOAD fuzz_load64, mov rax, [rsi]

%macro FUZZ_STORE 2+
global %1:function hidden
%1:
	SCRATCH_ADDR
	mov rax, [rdi + FUZZ_OP_A1]
	%2
	ret
%endmacro
FUZZ_STORE fuzz_store8, mov [rsi], al
FUZZ_STORE fuzz_store16, mov [rsi], ax
FUZZ_STORE fuzz_store32, mov [rsi], eax
FUZZ_STORE fuzz_store64, mov [rsi], rax
FUZZ_STORE fuzz_rmw, add [rsi], eax

; a[1] stored at width a[3] (1, 2, 4, else 8), then read back at it.
global fuzz_store_load:function hidden
fuzz_store_load:
	SCRATCH_ADDR
	mov rax, [rdi + FUZZ_OP_A1]
	mov rcx, [rdi + FUZZ_OP_A3]
	cmp rcx, 1
	je .b
	cmp rcx, 2
	je .w
	cmp rcx, 4
	je .d
	mov [rsi], rax
	mov rax, [rsi]
	jmp .out
.b:
	mov [rsi], al
	movzx eax, byte [rsi]
	jmp .out
.w:
	mov [rsi], ax
	movzx eax, word [rsi]
	jmp .out
.d:
	mov [rsi], eax
	mov eax, [rsi]
.out:
	mov [rdi + FUZZ_OP_R0], rax
	ret

; Writes code[0..code_len) to the code page, runs it with R11 = 0 and
; RSI = the scratch address a[0] names; R11 afterwards goes to r[0] (the
; generated code ends with MOV R11D, marker; RET).
global fuzz_smc:function hidden
fuzz_smc:
	push rdi
	mov rcx, [rdi + FUZZ_OP_CODE_LEN]
	lea rsi, [rdi + FUZZ_OP_CODE]
	mov rdi, FUZZ_CODE_GPA
	rep movsb
	mov rdi, [rsp]
	SCRATCH_ADDR
	xor r11d, r11d
	mov rax, FUZZ_CODE_GPA
	call rax
	pop rdi
	mov [rdi + FUZZ_OP_R0], r11
	ret

global fuzz_invlpg:function hidden
fuzz_invlpg:
	mov rax, [rdi + FUZZ_OP_A0]
	invlpg [rax]
	ret

global fuzz_rdpmc:function hidden
fuzz_rdpmc:
	mov ecx, [rdi + FUZZ_OP_A0]
	rdpmc
	ret

global fuzz_dr7:function hidden
fuzz_dr7:
	mov rax, [rdi + FUZZ_OP_A0]
	mov dr7, rax
	ret
