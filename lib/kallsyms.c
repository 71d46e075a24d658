// SPDX-License-Identifier: MIT
/* Address-to-name lookup over the generated table (include/lib/kallsyms.h). */
#include "lib/kallsyms.h"

extern char __image_base[], __text_start[], __text_end[];

static uintptr_t alias_base;

void kallsyms_set_alias(uintptr_t base)
{
	alias_base = base;
}

const char *kallsyms_lookup(uintptr_t addr, u64 *offset, u64 *size)
{
	u32 lo = 0, hi = kallsyms_count, rel;
	uintptr_t text_bytes = (uintptr_t)__text_end - (uintptr_t)__image_base;

	/* An address in the other copy of the image names the same code. */
	if (alias_base && addr >= alias_base && addr - alias_base < text_bytes)
		addr = addr - alias_base + (uintptr_t)__image_base;

	if (addr < (uintptr_t)__text_start || addr >= (uintptr_t)__text_end || !hi)
		return NULL;
	rel = (u32)(addr - (uintptr_t)__image_base);
	if (rel < kallsyms_offsets[0])
		return NULL;
	/* Last entry whose offset is <= rel. */
	while (hi - lo > 1) {
		u32 mid = lo + (hi - lo) / 2;

		if (kallsyms_offsets[mid] <= rel)
			lo = mid;
		else
			hi = mid;
	}
	*offset = rel - kallsyms_offsets[lo];
	*size = (lo + 1 < kallsyms_count ? kallsyms_offsets[lo + 1]
					  : (u32)((uintptr_t)__text_end - (uintptr_t)__image_base)) -
		kallsyms_offsets[lo];
	return &kallsyms_names[kallsyms_name_index[lo]];
}
