// SPDX-License-Identifier: MIT
/*
 * Booting the next stage (next= and next_args=): the image at a path on
 * hv.efi's own volume, started with its load options as UCS-2.  This code
 * also runs as the platform VM's guest, from the firmware's copy of hv.efi,
 * so it uses no global state: everything comes in as arguments.
 */
#include <efi.h>
#include "boot/chainload.h"
#include "compiler.h"
#include "lib/string.h"

#define DP_MEDIA 4
#define DP_MEDIA_FILEPATH 4
#define DP_END 0x7f
#define DP_END_ENTIRE 0xff

/* Bytes of a device path up to (not including) its end node. */
static UINTN dp_size(EFI_DEVICE_PATH *dp)
{
	UINTN n = 0;

	while (!(DevicePathType(dp) == DP_END && DevicePathSubType(dp) == DP_END_ENTIRE)) {
		UINTN len = DevicePathNodeLength(dp);

		if (len < 4)
			break;
		n += len;
		dp = (EFI_DEVICE_PATH *)((u8 *)dp + len);
	}
	return n;
}

/* volume's device path + a file-path node for path + end; pool memory. */
static EFI_DEVICE_PATH *file_path(EFI_BOOT_SERVICES *bs, EFI_HANDLE volume, const char *path)
{
	EFI_GUID dp_guid = DEVICE_PATH_PROTOCOL;
	EFI_DEVICE_PATH *vol = NULL, *dp;
	UINTN vlen, plen = strlen(path), node = 4 + 2 * (plen + 1), i;
	u8 *p;

	if (EFI_ERROR(bs->HandleProtocol(volume, &dp_guid, (void **)&vol)) || !vol)
		return NULL;
	vlen = dp_size(vol);
	if (EFI_ERROR(bs->AllocatePool(EfiLoaderData, vlen + node + 4, (void **)&dp)))
		return NULL;
	p = (u8 *)dp;
	memcpy(p, vol, vlen);
	p += vlen;
	p[0] = DP_MEDIA;
	p[1] = DP_MEDIA_FILEPATH;
	p[2] = (u8)node;
	p[3] = (u8)(node >> 8);
	for (i = 0; i <= plen; i++) {
		CHAR16 c = i < plen ? (CHAR16)(path[i] == '/' ? '\\' : path[i]) : 0;

		memcpy(p + 4 + 2 * i, &c, 2);
	}
	p += node;
	p[0] = DP_END;
	p[1] = DP_END_ENTIRE;
	p[2] = 4;
	p[3] = 0;
	return dp;
}

/* Appends s to the UCS-2 line at msg[*n] (room for max characters). */
static void put_str(CHAR16 *msg, UINTN *n, UINTN max, const char *s)
{
	while (*s && *n < max)
		msg[(*n)++] = (CHAR16)(u8)*s++;
}

/*
 * One line on the firmware's console (which OVMF mirrors on the serial
 * port): "hv.efi: next stage PATH: WHAT (status 0x...)".  Built by hand:
 * this also runs as the guest, with no console of the hypervisor's.
 */
static void say(EFI_SYSTEM_TABLE *st, const char *path, const char *what, u64 status)
{
	static const char hex[] = "0123456789abcdef";
	CHAR16 msg[CHAINLOAD_MAX_PATH + 128];
	UINTN n = 0, max = ARRAY_SIZE(msg) - 3;
	int shift;

	put_str(msg, &n, max, "hv.efi: next stage ");
	put_str(msg, &n, max, path);
	put_str(msg, &n, max, ": ");
	put_str(msg, &n, max, what);
	put_str(msg, &n, max, " (status 0x");
	for (shift = 60; shift >= 0 && n < max; shift -= 4)
		msg[n++] = (CHAR16)hex[(status >> shift) & 0xf];
	put_str(msg, &n, max, ")");
	msg[n++] = '\r';
	msg[n++] = '\n';
	msg[n] = 0;
	if (st->ConOut)
		st->ConOut->OutputString(st->ConOut, msg);
}

u64 efi_chainload(void *parent, void *systab, const char *path, const char *args)
{
	EFI_SYSTEM_TABLE *st = systab;
	EFI_BOOT_SERVICES *bs = st->BootServices;
	EFI_GUID li_guid = LOADED_IMAGE_PROTOCOL;
	EFI_LOADED_IMAGE *self = NULL, *child = NULL;
	static CHAR16 options[CHAINLOAD_MAX_ARGS + 1];
	EFI_DEVICE_PATH *dp;
	EFI_HANDLE h = NULL;
	EFI_STATUS s;
	UINTN i, n = strnlen(args, CHAINLOAD_MAX_ARGS);

	if (EFI_ERROR(bs->HandleProtocol(parent, &li_guid, (void **)&self)) || !self) {
		say(st, path, "hv.efi's own image has no loaded-image protocol", EFI_NOT_FOUND);
		return EFI_NOT_FOUND;
	}
	dp = file_path(bs, self->DeviceHandle, path);
	if (!dp) {
		say(st, path, "no device path for it", EFI_OUT_OF_RESOURCES);
		return EFI_OUT_OF_RESOURCES;
	}
	s = bs->LoadImage(FALSE, parent, dp, NULL, 0, &h);
	bs->FreePool(dp);
	if (EFI_ERROR(s)) {
		say(st, path, "the firmware could not load it", s);
		return s;
	}
	for (i = 0; i < n; i++)
		options[i] = (CHAR16)(u8)args[i];
	options[n] = 0;
	if (!EFI_ERROR(bs->HandleProtocol(h, &li_guid, (void **)&child)) && child && n) {
		child->LoadOptions = options;
		child->LoadOptionsSize = (u32)((n + 1) * sizeof(CHAR16));
	}
	s = bs->StartImage(h, NULL, NULL);
	if (EFI_ERROR(s))
		say(st, path, "it failed or could not start", s);
	return s;
}
