// SPDX-License-Identifier: MIT
/*
 * hvprobe: hv.efi, booted as the platform VM's guest, checks from the inside
 * that the hypervisor's memory is out of its reach.  It asks where that
 * memory is (HC_HV_MEMORY), then reads and writes there: every read must
 * return all ones and no write may stick.  The verdict is one log line per
 * range, for the tests to read.
 */
#include "arch/cpu.h"
#include "boot/hvprobe.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "vm/guest.h"

static struct hc_hv_memory where;

/* Probes the first, a middle and the last word of the range. */
static bool range_hidden(u64 base, u64 size)
{
	const u64 offs[3] = { 0, (size / 2) & ~7ULL, size - 8 };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		volatile u64 *p = (volatile u64 *)(uintptr_t)(base + offs[i]);

		if (*p != ~0ULL)
			return false;
		*p = 0x600dc0de;
		if (*p != ~0ULL)
			return false;
	}
	return true;
}

int hvprobe(const struct cpu_caps *caps)
{
	long r;
	u64 i;

	if (!caps->hypervisor || strncmp(caps->hv_signature, "tdpvisor", 8)) {
		pr_err("hvprobe: not running under tdpvisor\n");
		return -1;
	}
	guest_use_vmmcall = caps->vendor == VENDOR_AMD;
	r = guest_hypercall(HC_HV_MEMORY, (u64)(uintptr_t)&where, 0, 0, 0);
	if (r || !where.count) {
		pr_err("hvprobe: HC_HV_MEMORY failed (%ld)\n", r);
		return -1;
	}
	for (i = 0; i < where.count && i < ARRAY_SIZE(where.range); i++) {
		u64 b = where.range[i].base, s = where.range[i].size;
		bool hidden = range_hidden(b, s);

		pr_info("hvprobe: hypervisor memory [0x%llx-0x%llx]: %s\n", (unsigned long long)b,
			(unsigned long long)(b + s - 1),
			hidden ? "reads as all ones, writes vanish: out of reach" : "REACHABLE");
		if (!hidden)
			return -1;
	}
	return 0;
}
