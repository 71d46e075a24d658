// SPDX-License-Identifier: MIT
/*
 * Booting the next stage (next= and next_args=): the image at a path on
 * hv.efi's own volume, on another volume (fsN:), or at a device path given
 * as text, started with its load options as UCS-2.  This code also runs as
 * the platform VM's guest, from the firmware's copy of hv.efi, so it uses
 * no global state: everything comes in as arguments.
 */
#include <efi.h>
#include "boot/chainload.h"
#include "compiler.h"
#include "lib/string.h"

#define DP_MEDIA 4
#define DP_MEDIA_HD 1
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

/* "hv.efi: fsN: TEXT" for each volume the firmware lists, TEXT its device
 * path as the firmware prints it (where it can). */
static void list_volumes(EFI_SYSTEM_TABLE *st, EFI_HANDLE *vols, UINTN n)
{
	EFI_GUID dp_guid = DEVICE_PATH_PROTOCOL, tt_guid = EFI_DEVICE_PATH_TO_TEXT_PROTOCOL_GUID;
	EFI_DEVICE_PATH_TO_TEXT_PROTOCOL *tt = NULL;
	EFI_BOOT_SERVICES *bs = st->BootServices;
	EFI_DEVICE_PATH *dp;
	CHAR16 head[40], *text;
	char digits[24];
	UINTN i, k, d, v;

	if (EFI_ERROR(bs->LocateProtocol(&tt_guid, NULL, (void **)&tt)))
		tt = NULL;
	for (i = 0; i < n && st->ConOut; i++) {
		k = 0;
		put_str(head, &k, 10, "hv.efi: fs");
		d = sizeof(digits) - 1;
		digits[d] = 0;
		v = i;
		do
			digits[--d] = (char)('0' + v % 10);
		while (v /= 10);
		put_str(head, &k, ARRAY_SIZE(head) - 3, digits + d);
		head[k++] = ':';
		head[k++] = ' ';
		head[k] = 0;
		st->ConOut->OutputString(st->ConOut, head);
		text = NULL;
		if (tt && !EFI_ERROR(bs->HandleProtocol(vols[i], &dp_guid, (void **)&dp)) && dp)
			text = tt->ConvertDevicePathToText(dp, FALSE, FALSE);
		st->ConOut->OutputString(st->ConOut, text ? text : (CHAR16 *)L"(no text form)");
		st->ConOut->OutputString(st->ConOut, (CHAR16 *)L"\r\n");
		if (text)
			bs->FreePool(text);
	}
}

/* The firmware's file systems, in its order: *n of them in *vols (pool
 * memory, the caller frees it), or NULL. */
static EFI_HANDLE *volumes(EFI_BOOT_SERVICES *bs, UINTN *n)
{
	EFI_GUID fs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;
	EFI_HANDLE *vols = NULL;

	*n = 0;
	if (EFI_ERROR(bs->LocateHandleBuffer(ByProtocol, &fs_guid, NULL, n, &vols)))
		return NULL;
	return vols;
}

/* First node of dp a hard-drive (partition) node: the volume whose own
 * device path has the same node, joined with the rest of dp; else NULL.
 * Pool memory. */
static EFI_DEVICE_PATH *expand_hd(EFI_BOOT_SERVICES *bs, EFI_DEVICE_PATH *dp)
{
	EFI_GUID dp_guid = DEVICE_PATH_PROTOCOL;
	EFI_DEVICE_PATH *vdp, *node, *out = NULL;
	UINTN n, i, hlen = DevicePathNodeLength(dp), prefix, rest;
	EFI_HANDLE *vols;

	if (DevicePathType(dp) != DP_MEDIA || DevicePathSubType(dp) != DP_MEDIA_HD || hlen < 4)
		return NULL;
	vols = volumes(bs, &n);
	for (i = 0; vols && i < n && !out; i++) {
		if (EFI_ERROR(bs->HandleProtocol(vols[i], &dp_guid, (void **)&vdp)) || !vdp)
			continue;
		for (node = vdp; !(DevicePathType(node) == DP_END &&
				   DevicePathSubType(node) == DP_END_ENTIRE);
		     node = (EFI_DEVICE_PATH *)((u8 *)node + DevicePathNodeLength(node))) {
			if (DevicePathNodeLength(node) < 4)
				break;
			if ((UINTN)DevicePathNodeLength(node) != hlen || memcmp(node, dp, hlen))
				continue;
			prefix = (UINTN)((u8 *)node - (u8 *)vdp);
			rest = dp_size(dp) + 4;	/* from the HD node on, with the end */
			if (!EFI_ERROR(bs->AllocatePool(EfiLoaderData, prefix + rest, (void **)&out))) {
				memcpy(out, vdp, prefix);
				memcpy((u8 *)out + prefix, dp, rest);
			}
			break;
		}
	}
	if (vols)
		bs->FreePool(vols);
	return out;
}

/* The device path for a next= of form f (pool memory), or NULL after
 * saying why. */
static EFI_DEVICE_PATH *next_device_path(EFI_SYSTEM_TABLE *st, EFI_LOADED_IMAGE *self,
					 const char *path, enum next_form f, unsigned int vol)
{
	EFI_GUID ft_guid = EFI_DEVICE_PATH_FROM_TEXT_PROTOCOL_GUID;
	EFI_DEVICE_PATH_FROM_TEXT_PROTOCOL *ft = NULL;
	EFI_BOOT_SERVICES *bs = st->BootServices;
	static CHAR16 text[CHAINLOAD_MAX_PATH];
	EFI_DEVICE_PATH *dp = NULL, *full;
	EFI_HANDLE *vols;
	UINTN n, i;

	switch (f) {
	case NEXT_OWN_VOLUME:
		dp = file_path(bs, self->DeviceHandle, path);
		break;
	case NEXT_VOLUME:
		vols = volumes(bs, &n);
		if (vols && vol < n)
			dp = file_path(bs, vols[vol], strchr(path, ':') + 1);
		else
			say(st, path, "no such volume; the firmware's file systems are", EFI_NOT_FOUND);
		if (vols && vol >= n)
			list_volumes(st, vols, n);
		if (vols)
			bs->FreePool(vols);
		return dp;
	case NEXT_DEVICE_PATH:
		if (EFI_ERROR(bs->LocateProtocol(&ft_guid, NULL, (void **)&ft)) || !ft) {
			say(st, path, "the firmware cannot read device paths as text", EFI_UNSUPPORTED);
			return NULL;
		}
		for (i = 0; path[i] && i < ARRAY_SIZE(text) - 1; i++)
			text[i] = (CHAR16)(u8)path[i];
		text[i] = 0;
		dp = ft->ConvertTextToDevicePath(text);
		if (!dp) {
			say(st, path, "the firmware could not read that device path", EFI_INVALID_PARAMETER);
			return NULL;
		}
		full = expand_hd(bs, dp);	/* HD(...)/\file: the partition's volume */
		if (full) {
			bs->FreePool(dp);
			dp = full;
		}
		break;
	default:
		say(st, path, "not a path hv.efi can boot", EFI_INVALID_PARAMETER);
		return NULL;
	}
	if (!dp)
		say(st, path, "no device path for it", EFI_OUT_OF_RESOURCES);
	return dp;
}

u64 efi_chainload(void *parent, void *systab, const char *path, const char *args)
{
	EFI_SYSTEM_TABLE *st = systab;
	EFI_BOOT_SERVICES *bs = st->BootServices;
	EFI_GUID li_guid = LOADED_IMAGE_PROTOCOL;
	EFI_LOADED_IMAGE *self = NULL, *child = NULL;
	static CHAR16 options[CHAINLOAD_MAX_ARGS + 1];
	EFI_DEVICE_PATH *dp;
	EFI_HANDLE h = NULL, *vols;
	EFI_STATUS s;
	UINTN i, nv, n = strnlen(args, CHAINLOAD_MAX_ARGS);
	unsigned int vol = 0;
	enum next_form f = next_path_form(path, &vol);

	if (EFI_ERROR(bs->HandleProtocol(parent, &li_guid, (void **)&self)) || !self) {
		say(st, path, "hv.efi's own image has no loaded-image protocol", EFI_NOT_FOUND);
		return EFI_NOT_FOUND;
	}
	dp = next_device_path(st, self, path, f, vol);
	if (!dp)
		return EFI_NOT_FOUND;
	s = bs->LoadImage(FALSE, parent, dp, NULL, 0, &h);
	bs->FreePool(dp);
	if (EFI_ERROR(s)) {
		say(st, path, "the firmware could not load it", s);
		if (f != NEXT_OWN_VOLUME && (vols = volumes(bs, &nv)) != NULL) {
			list_volumes(st, vols, nv);
			bs->FreePool(vols);
		}
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
