// SPDX-License-Identifier: MIT
/*
 * Moving hv.efi into memory that the OS will never reuse.
 *
 * The firmware loads hv.efi as EfiLoaderCode, which an OS takes back after
 * ExitBootServices (and which the firmware frees when hv.efi returns).  A
 * hypervisor that stays resident cannot run from there, so the very first
 * thing efi_main() does is copy the whole image into EfiReservedMemoryType
 * pages, apply the image's relocations again for the new address, and call
 * the copy.  Nothing has written any global yet at that point, so the copy
 * starts from the image's initial data.  When the copy returns (hv.efi goes
 * back to the firmware without staying resident) the pages are released;
 * when it stays, this code turns the CPU into its guest before returning.
 */
#include <efi.h>
#include "boot/chainload.h"
#include "boot/relocate.h"
#include "vm/platform.h"

typedef int (*platform_enter_fn)(struct platform_capture *, void (*)(struct platform_capture *),
				 u64, u64);
#include "arch/x86.h"
#include "lib/string.h"

#define DT_NULL 0
#define DT_RELA 7
#define DT_RELASZ 8
#define DT_RELAENT 9
#define R_X86_64_RELATIVE 8

struct elf_dyn {
	s64 tag;
	u64 val;
};

struct elf_rela {
	u64 offset;
	u64 info;
	s64 addend;
};

extern char __image_base[], __image_end[];
extern const struct elf_dyn _DYNAMIC[];

/* The image's RELA table (link-time addresses, relative to the base). */
static int find_rela(u64 *rela, u64 *size, u64 *ent)
{
	const struct elf_dyn *d;

	*rela = *size = *ent = 0;
	for (d = _DYNAMIC; d->tag != DT_NULL; d++) {
		if (d->tag == DT_RELA)
			*rela = d->val;
		else if (d->tag == DT_RELASZ)
			*size = d->val;
		else if (d->tag == DT_RELAENT)
			*ent = d->val;
	}
	return *ent == sizeof(struct elf_rela) || !*size ? 0 : -1;
}

/* Rewrites every relocated word of the copy at base.  Returns 0, or -1 for
 * a relocation type the image should never contain. */
static int apply_relocations(uintptr_t base)
{
	u64 rela, size, ent, i;

	if (find_rela(&rela, &size, &ent))
		return -1;
	for (i = 0; i < size / sizeof(struct elf_rela); i++) {
		const struct elf_rela *r = (const struct elf_rela *)(base + rela) + i;

		if ((r->info & 0xffffffff) != R_X86_64_RELATIVE)
			return -1;
		*(u64 *)(base + r->offset) = base + (u64)r->addend;
	}
	return 0;
}

bool hv_stay_resident;
struct platform_launch_args hv_launch;
struct next_stage hv_next;

/* The copy's instance of one of our globals. */
#define IN_COPY(var, copy) ((__typeof__(&(var)))((uintptr_t)&(var) - old + (uintptr_t)(copy)))

/*
 * Runs as the new guest: what does the firmware see now?  Printed through
 * the firmware's own console, since nothing of the hypervisor is reachable.
 */
static void report_guest_view(void *systab)
{
	static const char head[] = "hv.efi (guest side): CPUID 0x40000000 says '";
	static const char mid[] = "', hypervisor bit ";
	SIMPLE_TEXT_OUTPUT_INTERFACE *out = ((EFI_SYSTEM_TABLE *)systab)->ConOut;
	struct cpuid_regs r = cpuid(0x40000000);
	CHAR16 msg[sizeof(head) + sizeof(mid) + 16];
	char sig[8];
	unsigned int i, n = 0;

	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	for (i = 0; head[i]; i++)
		msg[n++] = (CHAR16)head[i];
	for (i = 0; i < 8; i++)
		msg[n++] = sig[i] >= 0x20 && sig[i] < 0x7f ? (CHAR16)sig[i] : '.';
	for (i = 0; mid[i]; i++)
		msg[n++] = (CHAR16)mid[i];
	msg[n++] = (cpuid(1).ecx & BIT(31)) ? '1' : '0';
	msg[n++] = '\r';
	msg[n++] = '\n';
	msg[n] = 0;
	out->OutputString(out, msg);
}

u64 relocate_and_run(void *image, void *systab, relocated_entry_fn entry)
{
	EFI_BOOT_SERVICES *bs = ((EFI_SYSTEM_TABLE *)systab)->BootServices;
	uintptr_t old = (uintptr_t)__image_base;
	u64 bytes = ALIGN_UP((u64)((uintptr_t)__image_end - old), PAGE_SIZE);
	EFI_PHYSICAL_ADDRESS copy = 0;
	struct platform_launch_args launch;
	struct next_stage next;
	relocated_entry_fn moved;
	platform_enter_fn enter;
	u64 status;

	if (EFI_ERROR(bs->AllocatePages(AllocateAnyPages, EfiReservedMemoryType,
					bytes >> PAGE_SHIFT, &copy)))
		return entry(image, systab, 0);		/* run in place */
	memcpy((void *)(uintptr_t)copy, __image_base, bytes);
	if (apply_relocations((uintptr_t)copy)) {
		bs->FreePages(copy, bytes >> PAGE_SHIFT);
		return entry(image, systab, 0);
	}
	moved = (relocated_entry_fn)((uintptr_t)entry - old + (uintptr_t)copy);
	status = moved(image, systab, old);
	next = *IN_COPY(hv_next, copy);	/* before the copy is hidden or freed */
	if (!*IN_COPY(hv_stay_resident, copy)) {
		bs->FreePages(copy, bytes >> PAGE_SHIFT);
		return next.path[0] ? efi_chainload(image, systab, next.path, next.args) : status;
	}
	/*
	 * The copy asked to stay and run the firmware as its guest.  The switch
	 * happens from here, in the firmware's copy of hv.efi, because the guest
	 * resumes in this code (platform_resume, below on return) and can reach
	 * nothing of the hypervisor's copy.
	 */
	launch = *IN_COPY(hv_launch, copy);
	enter = (platform_enter_fn)((uintptr_t)&platform_enter - old + (uintptr_t)copy);
	enter(launch.cap, launch.host, launch.host_stack_top, (u64)(uintptr_t)platform_resume);
	report_guest_view(systab);
	if (next.path[0])
		return efi_chainload(image, systab, next.path, next.args);
	return status;
}
