; SPDX-License-Identifier: MIT
; The runtime of the built-in test VMs' guest code.  It runs inside the
; guest (hv.efi's image is mapped read-only into every test VM at its own
; address), never in the hypervisor.

%include "asm-offsets.inc"
%include "arch/exc_frame.inc"
%include "arch/callee_saved.inc"

default rel
bits 64

extern guest_rt_main
extern guest_exception_dispatch

section .text

; Entry: RDI = the struct guest_shared, RSI = the test's guest function.
global guest_rt_start:function hidden
guest_rt_start:
	xchg rdi, rsi			; guest_rt_main(fn, shared)
	call guest_rt_main
global guest_halt:function hidden
guest_halt:
	hlt
	jmp guest_halt

; long guest_hypercall(u64 nr, u64 a0, u64 a1, u64 a2, u64 a3)
; The ABI wants RAX = nr, RBX = a0, RCX = a1, RDX = a2, RSI = a3; VMCALL on
; Intel, VMMCALL on AMD (guest_use_vmmcall, set by the host).
global guest_hypercall:function hidden
guest_hypercall:
	push rbx
	mov rax, rdi
	mov rbx, rsi
	mov r9, rdx
	mov rdx, rcx
	mov rcx, r9
	mov rsi, r8
	cmp byte [guest_use_vmmcall], 0
	jne .amd
	vmcall
	pop rbx
	ret
.amd:
	vmmcall
	pop rbx
	ret

; Instructions a test guest executes to be refused (bad_guest).  RAX holds
; a valid, page-aligned physical address (0) so that the CPU's own operand
; checks, which come before the intercept, pass.
%macro GUEST_INSN 2
global %1:function hidden
%1:
	xor eax, eax
	%2
	ret
%endmacro
GUEST_INSN guest_exec_vmrun, vmrun
GUEST_INSN guest_exec_vmload, vmload
GUEST_INSN guest_exec_vmsave, vmsave
GUEST_INSN guest_exec_stgi, stgi
GUEST_INSN guest_exec_clgi, clgi
GUEST_INSN guest_exec_invlpga, invlpga
GUEST_INSN guest_exec_skinit, skinit

; The VMX instructions, each with operands that pass the CPU's own checks
; (RAX = 0: a page-aligned address, a valid VMCS field; ECX = 1: INVEPT
; single-context), so that in VMX non-root operation the intercept fires.
; Their lengths are in include/vm/guest.h.
%macro GUEST_VMX_INSN 2+
global %1:function hidden
%1:
	xor eax, eax
	mov ecx, 1
	%2
	ret
%endmacro
GUEST_VMX_INSN guest_exec_vmxon, vmxon [rax]		; F3 0F C7 30
GUEST_VMX_INSN guest_exec_vmptrld, vmptrld [rax]	; 0F C7 30
GUEST_VMX_INSN guest_exec_vmread, vmread rcx, rax	; 0F 78 C1
GUEST_VMX_INSN guest_exec_vmwrite, vmwrite rax, rcx	; 0F 79 C1
GUEST_VMX_INSN guest_exec_vmlaunch, vmlaunch		; 0F 01 C2
GUEST_VMX_INSN guest_exec_invept, invept rcx, [rax]	; 66 0F 38 80 08

; void guest_step_cpuid(void), guest_step_hypercall(void): TF on, then one
; intercepted instruction; the single-step #DB belongs right after it, at
; the _end label (guest_exception_dispatch() records it and clears TF).
; POPF sets TF, so the trap follows the instruction after the POPF.
global guest_step_cpuid:function hidden
global guest_step_cpuid_end:data hidden
guest_step_cpuid:
	push rbx
	xor eax, eax
	xor ecx, ecx
	pushfq
	or qword [rsp], 0x100
	popfq
	cpuid
guest_step_cpuid_end:
	pop rbx
	ret

global guest_step_hypercall:function hidden
global guest_step_vmcall_end:data hidden
global guest_step_vmmcall_end:data hidden
guest_step_hypercall:
	push rbx
	mov eax, 0x74647000		; HC_VERSION (include/vm/hypercall.h)
	cmp byte [guest_use_vmmcall], 0
	jne step_hc_amd
	pushfq
	or qword [rsp], 0x100
	popfq
	vmcall
guest_step_vmcall_end:
	pop rbx
	ret
step_hc_amd:
	pushfq
	or qword [rsp], 0x100
	popfq
	vmmcall
guest_step_vmmcall_end:
	pop rbx
	ret

; void guest_string_io(struct guest_sio *op): the INS/OUTS op->op names,
; at port op->port, with rDI or rSI = op->ptr, RCX = op->count, DF set when
; op->backwards.  op->ptr and op->count get rDI/rSI and RCX as the
; instruction left them.
global guest_string_io:function hidden
guest_string_io:
	push rbx
	mov rbx, rdi
	mov rdx, [rbx + GUEST_SIO_PORT]
	mov rcx, [rbx + GUEST_SIO_COUNT]
	mov rdi, [rbx + GUEST_SIO_PTR]
	mov rsi, rdi
	mov r8, [rbx + GUEST_SIO_OP]
	pushfq
	pop r9
	and r9, ~0x500			; TF and DF off
	cmp qword [rbx + GUEST_SIO_BACKWARDS], 0
	je .fwd
	or r9, 0x400			; DF
.fwd:
	push r9
	popfq
	cmp r8, 0
	je .insb
	cmp r8, 1
	je .insw
	cmp r8, 2
	je .insd
	cmp r8, 3
	je .outsb
	cmp r8, 4
	je .outsw
	cmp r8, 5
	je .outsd
	cmp r8, 6
	je .one_insb
	cmp r8, 7
	je .one_outsw
	jmp sio_done_si
.insb:	rep insb
	jmp sio_done_di
.insw:	rep insw
	jmp sio_done_di
.insd:	rep insd
	jmp sio_done_di
.one_insb:
	insb
	jmp sio_done_di
.outsb:	rep outsb
	jmp sio_done_si
.outsw:	rep outsw
	jmp sio_done_si
.outsd:	rep outsd
	jmp sio_done_si
.one_outsw:
	outsw
	jmp sio_done_si
global guest_string_io_fault:data hidden
guest_string_io_fault:			; after a fault: RDI/RSI, RCX as it left them
	cmp r8, 3
	jb sio_done_di
	cmp r8, 6
	je sio_done_di
	jmp sio_done_si
sio_done_di:
	mov rsi, rdi
sio_done_si:
	pushfq
	and qword [rsp], ~0x500
	popfq
	mov [rbx + GUEST_SIO_PTR], rsi
	mov [rbx + GUEST_SIO_COUNT], rcx
	pop rbx
	ret

; u64 guest_step_rep_insb(u8 *dst, u64 count, u16 port): REP INSB with TF
; on; returns RCX after it.  The CPU traps after every iteration: RIP is
; guest_step_rep_insb_insn until the last, then guest_step_rep_insb_end
; (guest_exception_dispatch() keeps TF on while the #DB's RIP is
; sh->db_hold_rip).
global guest_step_rep_insb:function hidden
global guest_step_rep_insb_insn:data hidden
global guest_step_rep_insb_end:data hidden
guest_step_rep_insb:
	mov rcx, rsi
	pushfq
	and qword [rsp], ~0x400
	or qword [rsp], 0x100
	popfq
guest_step_rep_insb_insn:
	rep insb
guest_step_rep_insb_end:
	mov rax, rcx
	ret

global guest_triple_fault:function hidden
guest_triple_fault:
	lidt [empty_idtr]
	ud2
	jmp guest_halt

; void guest_user_hypercall(struct guest_shared *sh, u64 nr)
; Drops to CPL 3 (selectors 0x33/0x2b of the test VM's GDT, a stack below
; the kernel one) and makes hypercall nr there.  The #UD it must raise is
; turned by guest_exception_dispatch() into a return to .back at CPL 0.
%define USER_CS 0x33
%define USER_SS 0x2b
%define USER_STACK_GAP 16384
global guest_user_hypercall:function hidden
global guest_user_vmcall_insn:function hidden
global guest_user_vmmcall_insn:function hidden
guest_user_hypercall:
	PUSH_CALLEE_SAVED
	lea rax, [uhc_back]
	mov [rdi + GUEST_SHARED_USER_RIP], rax
	mov [rdi + GUEST_SHARED_USER_RSP], rsp
	mov rax, rsp
	sub rax, USER_STACK_GAP
	and rax, -16
	push USER_SS
	push rax
	push 0x2
	push USER_CS
	lea rax, [uhc_user]
	push rax
	iretq
uhc_user:
	mov rax, rsi
	cmp byte [guest_use_vmmcall], 0
	jne uhc_amd
guest_user_vmcall_insn:
	vmcall
	ud2
uhc_amd:
guest_user_vmmcall_insn:
	vmmcall
	ud2
uhc_back:
	POP_CALLEE_SAVED
	ret

; u64 guest_sync_keeping_regs(u64 value): GUEST_SYNC(value), made with RDI,
; RBP and R12-R15 holding patterns of value.  Returns 0 when each register
; still holds its pattern after the exit, else a bit for each that changed
; (RBP 0, R12-R15 1-4, RDI 5).
%macro KEPT_REG_CHECK 3		; register, its pattern's constant, its bit
	mov rcx, %2
	xor rcx, [rsp]
	cmp %1, rcx
	je %%kept
	or eax, %3
%%kept:
%endmacro
global guest_sync_keeping_regs:function hidden
guest_sync_keeping_regs:
	PUSH_CALLEE_SAVED
	push rdi
	mov rbx, rdi
	mov rbp, 0x0b0b0b0b0b0b0b0b
	xor rbp, rdi
	mov r12, 0x1212121212121212
	xor r12, rdi
	mov r13, 0x1313131313131313
	xor r13, rdi
	mov r14, 0x1414141414141414
	xor r14, rdi
	mov r15, 0x1515151515151515
	xor r15, rdi
	mov eax, HC_TEST_SYNC_NR
	cmp byte [guest_use_vmmcall], 0
	jne .amd
	vmcall
	jmp .check
.amd:
	vmmcall
.check:
	xor eax, eax
	KEPT_REG_CHECK rbp, 0x0b0b0b0b0b0b0b0b, 1
	KEPT_REG_CHECK r12, 0x1212121212121212, 2
	KEPT_REG_CHECK r13, 0x1313131313131313, 4
	KEPT_REG_CHECK r14, 0x1414141414141414, 8
	KEPT_REG_CHECK r15, 0x1515151515151515, 16
	KEPT_REG_CHECK rdi, 0, 32
	pop rdi
	POP_CALLEE_SAVED
	ret

; Exception stubs for the guest's IDT: the same frame as the host's
; (struct exc_frame), handled by guest_exception_dispatch().
EXC_STUBS guest_exception_stubs, guest_exception_common

guest_exception_common:
	EXC_FRAME_CALL guest_exception_dispatch

section .data
empty_idtr:
	dw 0
	dq 0

; 1 when the guest must use VMMCALL (AMD); read by guest code, written by
; the host before a test VM runs.
global guest_use_vmmcall:data hidden
guest_use_vmmcall:
	db 0
