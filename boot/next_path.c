// SPDX-License-Identifier: MIT
/*
 * The forms of next= (include/boot/chainload.h): checked by the command
 * line's parser, so a bad one is refused by name before anything boots,
 * and read by the chainloader.  No firmware calls: host-tested.
 */
#include "boot/chainload.h"
#include "lib/string.h"

/* A file path: a backslash, then at least one character, none a space,
 * a control character or a quote. */
static bool file_path_ok(const char *p)
{
	if (p[0] != '\\' || !p[1])
		return false;
	for (; *p; p++)
		if ((u8)*p <= ' ' || *p == '"' || (u8)*p >= 0x7f)
			return false;
	return true;
}

enum next_form next_path_form(const char *path, unsigned int *volume)
{
	const char *p, *file;
	unsigned int n = 0, digits = 0;
	int depth = 0;

	if (!path || !*path)
		return NEXT_BAD;
	if (path[0] == '\\')
		return file_path_ok(path) ? NEXT_OWN_VOLUME : NEXT_BAD;
	if ((path[0] == 'f' || path[0] == 'F') && (path[1] == 's' || path[1] == 'S')) {
		for (p = path + 2; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
			n = n * 10 + (unsigned int)(*p - '0');
		if (!digits || digits > 3 || *p != ':' || !file_path_ok(p + 1))
			return NEXT_BAD;
		if (volume)
			*volume = n;
		return NEXT_VOLUME;
	}
	/* Node(...)/Node(...)/\file: nodes start with a letter, parentheses
	 * balance, and the file path follows the last node's slash. */
	for (file = path; *file && !(file[0] == '/' && file[1] == '\\'); file++)
		;
	if (!*file || !((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' && path[0] <= 'z')))
		return NEXT_BAD;
	for (p = path; p < file; p++) {
		if ((u8)*p <= ' ' || *p == '"' || *p == '\\' || (u8)*p >= 0x7f)
			return NEXT_BAD;
		depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
		if (depth < 0 || depth > 1)
			return NEXT_BAD;
		if (*p == '/' && (p == path || p[-1] != ')'))
			return NEXT_BAD;
	}
	if (depth || file[-1] != ')' || !file_path_ok(file + 1))
		return NEXT_BAD;
	return NEXT_DEVICE_PATH;
}
