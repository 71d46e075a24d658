; SPDX-License-Identifier: MIT
; S3 wake-up: from real mode to the hypervisor (vm/platform_sleep.c).
;
; wake_tramp..wake_tramp_end is copied to the start of the wake area, a
; page-aligned area below 1 MiB hidden from the guest, and entered in real
; mode at its first byte with CS = base >> 4: by the firmware on the boot
; CPU (the FACS waking vector, armed at the sleep write), and by the
; hypervisor's own INIT-SIPI-SIPI on each AP (vector base >> 12).  It runs
; from any base: every absolute address it needs is in struct wake_data
; (at WAKE_DATA), filled in before the sleep.  It switches to protected
; mode with its own GDT, to long mode through the temporary identity map
; that follows it, loads the hypervisor's page tables and -- one CPU at a
; time, on a shared stack -- jumps to platform_wake_entry.

%include "asm-offsets.inc"

bits 16
section .text

global wake_tramp:data hidden
global wake_tramp_end:data hidden
wake_tramp:
	cli
	cld
	mov ax, cs
	mov ds, ax
	movzx ebx, ax
	shl ebx, 4			; EBX: the area's base, kept to the end
	lgdt [WAKE_DATA + WAKE_GDTR]
	mov eax, cr0
	or eax, 1			; PE
	mov cr0, eax
	jmp dword far [WAKE_DATA + WAKE_FAR32]

bits 32
global wake_tramp_pm32:data hidden
wake_tramp_pm32:
	mov ax, WAKE_SEL_DATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr4
	or eax, [ebx + WAKE_DATA + WAKE_CR4]	; PAE (and LA57)
	mov cr4, eax
	mov eax, [ebx + WAKE_DATA + WAKE_TMP_CR3]
	mov cr3, eax
	mov ecx, 0xc0000080		; EFER
	rdmsr
	or eax, [ebx + WAKE_DATA + WAKE_EFER]
	wrmsr
	mov eax, cr0
	or eax, (1 << 31) | 1		; PG, PE
	mov cr0, eax
	jmp far [ebx + WAKE_DATA + WAKE_FAR64]

bits 64
global wake_tramp_lm64:data hidden
wake_tramp_lm64:
	mov ebx, ebx			; the upper half is undefined after the switch
	mov rax, [rbx + WAKE_DATA + WAKE_HOST_CR3]
	mov cr3, rax
.take:	lock bts qword [rbx + WAKE_DATA + WAKE_LOCK], 0
	jnc .taken
	pause
	jmp .take
.taken:
	mov rsp, [rbx + WAKE_DATA + WAKE_STACK]
	mov rax, [rbx + WAKE_DATA + WAKE_ENTRY]
	jmp rax
wake_tramp_end:

; platform_wake_entry: in the hypervisor's image, on the shared stack with
; the area's lock held, RBX the area's base.  The data's cpu_fn
; (platform_wake_cpu() in C) sets the CPU up and returns its own host
; stack -- or 0 for a CPU it does not know, which then halts for good --
; and run_fn (platform_wake_run()) never returns.
default rel
global platform_wake_entry:function hidden
platform_wake_entry:
	xor ebp, ebp
	call [rbx + WAKE_DATA + WAKE_CPU_FN]
	test rax, rax
	jz .unknown
	mov rsp, rax
	mov qword [rbx + WAKE_DATA + WAKE_LOCK], 0
	call [rbx + WAKE_DATA + WAKE_RUN_FN]
	ud2
.unknown:
	mov qword [rbx + WAKE_DATA + WAKE_LOCK], 0
.halt:	cli
	hlt
	jmp .halt

; void wake_load_segments(u16 cs, u16 ss, u16 ds)
;
; After platform_wake_cpu() loaded the hypervisor's GDT: CS (by a far
; return), then SS, DS and ES, to the selectors the host had before the
; sleep -- an exception's IRET reloads them from that GDT.
global wake_load_segments:function hidden
wake_load_segments:
	pop rax				; the return address
	push rdi			; CS
	push rax
	mov ss, si
	mov ds, dx
	mov es, dx
	o64 retf
