// SPDX-License-Identifier: MIT
/*
 * Firmware services while boot services are up: delay, the loaded-image
 * protocol, a file next to hv.efi, reserved memory, the text console.
 * Every call checks the firmware's status; nothing here panics on a
 * firmware error.
 *
 * Once the OS has called ExitBootServices nothing here may call the
 * firmware again: its boot-services code and data are the OS's memory
 * then.  A resident hypervisor learns of that moment from an
 * EVT_SIGNAL_EXIT_BOOT_SERVICES event whose notification (boot/
 * ebs_notify.asm, in a page the guest can reach) only sets a flag;
 * efi_boot_services_gone() reads it, and the text console closes itself.
 */
#include <efi.h>
#include "boot/efi.h"
#include "bug.h"
#include "lib/console.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "errcode.h"

static EFI_HANDLE image_handle;
static EFI_SYSTEM_TABLE *st;
static EFI_BOOT_SERVICES *bs;

/* The ExitBootServices watch: the notification's code page, its flag's. */
extern const u8 ebs_notify_code[], ebs_notify_code_end[];
static EFI_PHYSICAL_ADDRESS ebs_code_page, ebs_flag_page;
static EFI_EVENT ebs_event;
static u32 *ebs_flag;		/* NULL: not watched */
static bool bs_gone;		/* the flag, latched */
/* The text console's calls to the firmware, and those made after the flag
 * was up (which must stay 0). */
static u64 con_writes, con_writes_after_ebs;
static bool con_handed_over;	/* the firmware is about to become a guest */

/* Every boot-services call goes through here first: none after the OS
 * took the machine (an invariant: only boot-time paths call them). */
static EFI_BOOT_SERVICES *boot_services(void)
{
	BUG_ON(efi_boot_services_gone());
	return bs;
}

void efi_init(void *handle, void *system_table)
{
	image_handle = handle;
	st = system_table;
	bs = st->BootServices;
}

void efi_stall_us(u64 us)
{
	boot_services()->Stall(us);
}

int efi_watch_exit_boot_services(void)
{
	EFI_STATUS s;

	if (ebs_flag)
		return 0;
	if (EFI_ERROR(boot_services()->AllocatePages(AllocateAnyPages, EfiRuntimeServicesCode, 1,
					&ebs_code_page)))
		return -ENOMEM;
	if (EFI_ERROR(bs->AllocatePages(AllocateAnyPages, EfiRuntimeServicesData, 1,
					&ebs_flag_page))) {
		bs->FreePages(ebs_code_page, 1);
		return -ENOMEM;
	}
	memcpy((void *)(uintptr_t)ebs_code_page, ebs_notify_code,
	       (size_t)(ebs_notify_code_end - ebs_notify_code));
	ebs_flag = (u32 *)(uintptr_t)ebs_flag_page;
	__atomic_store_n(ebs_flag, 0, __ATOMIC_RELEASE);
	s = bs->CreateEvent(EVT_SIGNAL_EXIT_BOOT_SERVICES, TPL_NOTIFY,
			    (EFI_EVENT_NOTIFY)(uintptr_t)ebs_code_page, ebs_flag, &ebs_event);
	if (EFI_ERROR(s)) {
		efi_unwatch_exit_boot_services();
		return -EIO;
	}
	pr_info("efi: watching ExitBootServices (notification at 0x%llx, flag at 0x%llx)\n",
		(unsigned long long)ebs_code_page, (unsigned long long)ebs_flag_page);
	return 0;
}

void efi_unwatch_exit_boot_services(void)
{
	if (ebs_event)
		bs->CloseEvent(ebs_event);
	if (ebs_code_page)
		bs->FreePages(ebs_code_page, 1);
	if (ebs_flag_page)
		bs->FreePages(ebs_flag_page, 1);
	ebs_event = NULL;
	ebs_code_page = ebs_flag_page = 0;
	ebs_flag = NULL;
}

bool efi_boot_services_gone(void)
{
	if (!bs_gone && ebs_flag && __atomic_load_n(ebs_flag, __ATOMIC_ACQUIRE))
		bs_gone = true;
	return bs_gone;
}

void efi_boot_services_end(void)
{
	bs_gone = true;
}

void *efi_create_event(void)
{
	EFI_EVENT ev = NULL;

	return EFI_ERROR(boot_services()->CreateEvent(0, TPL_CALLBACK, NULL, NULL, &ev)) ? NULL : ev;
}

void efi_wait_event(void *ev)
{
	UINTN index;

	boot_services()->WaitForEvent(1, (EFI_EVENT *)&ev, &index);
}

void efi_close_event(void *ev)
{
	boot_services()->CloseEvent(ev);
}

void *efi_locate_protocol(const void *guid)
{
	void *p = NULL;

	if (EFI_ERROR(boot_services()->LocateProtocol((EFI_GUID *)guid, NULL, &p)))
		return NULL;
	return p;
}

static EFI_LOADED_IMAGE *loaded_image(void)
{
	EFI_GUID guid = LOADED_IMAGE_PROTOCOL;
	EFI_LOADED_IMAGE *li = NULL;

	if (EFI_ERROR(boot_services()->HandleProtocol(image_handle, &guid, (void **)&li)))
		return NULL;
	return li;
}

/* Concatenates the file-path nodes of dp into out as ASCII. */
static void device_path_to_ascii(EFI_DEVICE_PATH *dp, char *out, size_t outsz)
{
	size_t len = 0;

	out[0] = '\0';
	while (dp && !(DevicePathType(dp) == END_DEVICE_PATH_TYPE &&
		       DevicePathSubType(dp) == END_ENTIRE_DEVICE_PATH_SUBTYPE)) {
		u16 nodelen = DevicePathNodeLength(dp);

		if (nodelen < 4)
			break;
		if (DevicePathType(dp) == MEDIA_DEVICE_PATH &&
		    DevicePathSubType(dp) == MEDIA_FILEPATH_DP) {
			const CHAR16 *p = ((FILEPATH_DEVICE_PATH *)dp)->PathName;
			size_t i, n = (nodelen - 4) / 2;

			for (i = 0; i < n && p[i] && len + 1 < outsz; i++)
				out[len++] = p[i] < 0x80 ? (char)p[i] : '?';
		}
		dp = (EFI_DEVICE_PATH *)((u8 *)dp + nodelen);
	}
	out[len] = '\0';
}

int efi_image_info(struct efi_image_info *info)
{
	EFI_LOADED_IMAGE *li = loaded_image();

	memset(info, 0, sizeof(*info));
	if (!li)
		return -ENOENT;
	info->base = (uintptr_t)li->ImageBase;
	info->size = li->ImageSize;
	device_path_to_ascii(li->FilePath, info->path, sizeof(info->path));
	return 0;
}

void efi_load_options(const void **data, u32 *size)
{
	EFI_LOADED_IMAGE *li = loaded_image();

	*data = li ? li->LoadOptions : NULL;
	*size = li ? li->LoadOptionsSize : 0;
}

long efi_read_file_beside_image(const char *name, char *buf, size_t bufsz)
{
	EFI_GUID fs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_FILE_HANDLE root, file;
	EFI_LOADED_IMAGE *li = loaded_image();
	CHAR16 path[192];
	char dir[128];
	UINTN n, i, j = 0, cut = 0;
	EFI_STATUS s;

	if (!li || bufsz < 2)
		return -ENOENT;
	device_path_to_ascii(li->FilePath, dir, sizeof(dir));
	for (i = 0; dir[i]; i++)
		if (dir[i] == '\\' || dir[i] == '/')
			cut = i + 1;
	for (i = 0; i < cut && j < ARRAY_SIZE(path) - 1; i++)
		path[j++] = dir[i] == '/' ? '\\' : (CHAR16)dir[i];
	for (i = 0; name[i] && j < ARRAY_SIZE(path) - 1; i++)
		path[j++] = (CHAR16)name[i];
	path[j] = 0;

	if (EFI_ERROR(bs->HandleProtocol(li->DeviceHandle, &fs_guid, (void **)&fs)))
		return -ENOENT;
	if (EFI_ERROR(fs->OpenVolume(fs, &root)))
		return -EIO;
	s = root->Open(root, &file, path, EFI_FILE_MODE_READ, 0);
	root->Close(root);
	if (EFI_ERROR(s))
		return -ENOENT;
	n = bufsz - 1;
	s = file->Read(file, &n, buf);
	if (!EFI_ERROR(s) && n == bufsz - 1) {
		char more;
		UINTN one = 1;

		/* One byte past the buffer: the file does not fit. */
		if (!EFI_ERROR(file->Read(file, &one, &more)) && one) {
			file->Close(file);
			buf[n] = '\0';
			return -E2BIG;
		}
	}
	file->Close(file);
	if (EFI_ERROR(s))
		return -EIO;
	buf[n] = '\0';
	return (long)n;
}

#define ALIGN_2M (2ULL << 20)

uintptr_t efi_reserve_memory(u64 bytes)
{
	EFI_PHYSICAL_ADDRESS addr = 0, aligned;
	UINTN pages = (bytes + ALIGN_2M) >> PAGE_SHIFT;
	u64 head, tail;

	if (EFI_ERROR(boot_services()->AllocatePages(AllocateAnyPages, EfiReservedMemoryType, pages,
						     &addr)))
		return 0;
	/* Trim the over-allocation so the pool starts on a 2 MiB boundary. */
	aligned = ALIGN_UP(addr, ALIGN_2M);
	head = (aligned - addr) >> PAGE_SHIFT;
	tail = pages - head - (bytes >> PAGE_SHIFT);
	if (head)
		bs->FreePages(addr, head);
	if (tail)
		bs->FreePages(aligned + bytes, tail);
	return (uintptr_t)aligned;
}

/* Memory-map types of RAM the OS uses or keeps (reserved ranges may be MMIO). */
static bool efi_type_is_ram(UINT32 type)
{
	switch (type) {
	case EfiLoaderCode: case EfiLoaderData: case EfiBootServicesCode:
	case EfiBootServicesData: case EfiRuntimeServicesCode: case EfiRuntimeServicesData:
	case EfiConventionalMemory: case EfiACPIReclaimMemory: case EfiACPIMemoryNVS:
		return true;
	default:
		return false;
	}
}

/* The firmware's memory map into a static buffer: its size, or 0. */
static UINTN read_memory_map(u8 **map, UINTN *desc_size)
{
	static u8 buf[16384];
	UINTN size = sizeof(buf), key;
	UINT32 desc_version;

	if (EFI_ERROR(bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)buf, &key, desc_size,
				       &desc_version)) || *desc_size < sizeof(EFI_MEMORY_DESCRIPTOR))
		return 0;
	*map = buf;
	return size;
}

u64 efi_ram_top(void)
{
	UINTN size, desc_size;
	u64 top = 0, i;
	u8 *map;

	size = read_memory_map(&map, &desc_size);
	for (i = 0; i + desc_size <= size; i += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + i);
		u64 end = d->PhysicalStart + (d->NumberOfPages << PAGE_SHIFT);

		if (efi_type_is_ram(d->Type) && end > top)
			top = end;
	}
	return top;
}

bool efi_range_is_ram(u64 addr, u64 bytes)
{
	UINTN size, desc_size;
	u64 covered = 0, i;
	u8 *map;

	size = read_memory_map(&map, &desc_size);
	for (i = 0; i + desc_size <= size; i += desc_size) {
		const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + i);
		u64 start = d->PhysicalStart, end = start + (d->NumberOfPages << PAGE_SHIFT);

		if (!efi_type_is_ram(d->Type) || end <= addr || start >= addr + bytes)
			continue;
		covered += MIN(end, addr + bytes) - MAX(start, addr);
	}
	return bytes && covered == bytes;	/* descriptors never overlap */
}

int efi_reserve_at(u64 addr, u64 bytes)
{
	EFI_PHYSICAL_ADDRESS a = addr;

	if ((addr | bytes) & (PAGE_SIZE - 1))
		return -EINVAL;
	return EFI_ERROR(bs->AllocatePages(AllocateAddress, EfiReservedMemoryType,
					   bytes >> PAGE_SHIFT, &a)) ? -EBUSY : 0;
}

uintptr_t efi_reserve_below(u64 bytes, u64 below)
{
	EFI_PHYSICAL_ADDRESS addr = below - 1;

	if (EFI_ERROR(boot_services()->AllocatePages(AllocateMaxAddress, EfiReservedMemoryType,
						     bytes >> PAGE_SHIFT, &addr)))
		return 0;
	return (uintptr_t)addr;
}

void efi_release_memory(uintptr_t addr, u64 bytes)
{
	boot_services()->FreePages(addr, bytes >> PAGE_SHIFT);
}

int efi_poweroff(void)
{
	/* The OS may have moved the runtime services to its own addresses. */
	if (efi_boot_services_gone())
		return -EPERM;
	st->RuntimeServices->ResetSystem(EfiResetShutdown, EFI_SUCCESS, 0, NULL);
	return -EIO;
}

/* The one place that calls the firmware's ConOut. */
static void con_output(CHAR16 *text)
{
	con_writes++;
	if (ebs_flag && __atomic_load_n(ebs_flag, __ATOMIC_ACQUIRE))
		con_writes_after_ebs++;
	st->ConOut->OutputString(st->ConOut, text);
}

static void efi_con_write(struct console *con, const char *s, size_t len)
{
	CHAR16 buf[130];
	size_t n = 0;

	if (efi_boot_services_gone() || con_handed_over) {	/* printk checks first */
		con->enabled = false;
		return;
	}
	while (len--) {
		if (*s == '\n')
			buf[n++] = '\r';
		buf[n++] = (CHAR16)(u8)*s++;
		if (n >= ARRAY_SIZE(buf) - 2 || !len) {
			buf[n] = 0;
			con_output(buf);
			n = 0;
		}
	}
}

static const char *efi_con_closed(struct console *con)
{
	(void)con;
	if (efi_boot_services_gone())
		return ebs_flag ? "the OS called ExitBootServices" : "no firmware calls from here";
	return con_handed_over ? "the firmware runs as the platform VM's guest from here" : NULL;
}

static void efi_con_report(struct console *con)
{
	pr_info("efi: firmware console: %llu calls, %llu of them after ExitBootServices; %s; "
		"ExitBootServices signalled: %s\n", (unsigned long long)con_writes,
		(unsigned long long)con_writes_after_ebs, con->enabled ? "open" : "closed",
		str_yes_no(ebs_flag && __atomic_load_n(ebs_flag, __ATOMIC_ACQUIRE)));
}

void efi_console_hand_over(void)
{
	con_handed_over = true;
}

static struct console efi_con = { .name = "efi", .write = efi_con_write,
				  .closed = efi_con_closed, .report = efi_con_report,
				  .boot_cpu_only = true };

void efi_console_register(void)
{
	efi_con.enabled = true;
	console_register(&efi_con);
}
