; SPDX-License-Identifier: MIT
; The ExitBootServices notification (boot/efi.c).  The firmware calls it
; while it is the platform VM's guest, so it can reach nothing of the
; hypervisor: boot/efi.c copies these bytes into a page of their own
; (EfiRuntimeServicesCode, outside the hidden memory), and the only thing
; they do is set the flag that Context points to.  Position-independent,
; no stack use.

default rel
bits 64
section .text

; VOID EFIAPI Notify(EFI_EVENT Event /* rcx */, VOID *Context /* rdx */)
global ebs_notify_code:function hidden
ebs_notify_code:
	mov eax, 1
	xchg [rdx], eax		; atomic (and a full barrier)
	ret
global ebs_notify_code_end:data hidden
ebs_notify_code_end:
