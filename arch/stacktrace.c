// SPDX-License-Identifier: MIT
/*
 * Frame-pointer backtraces (the hypervisor is built with
 * -fno-omit-frame-pointer).  The walk stops at the first frame that is not
 * plausible, so it never faults on firmware frames without frame pointers.
 */
#include "arch/cpu.h"
#include "arch/x86.h"
#include "lib/kallsyms.h"
#include "lib/printk.h"
#include "compiler.h"

#define MAX_FRAMES 24
#define MAX_FRAME_BYTES (256 * 1024)

static void print_addr(u64 addr)
{
	u64 off, size;
	const char *name = kallsyms_lookup((uintptr_t)addr, &off, &size);

	if (name)
		pr_emerg("  [<%016llx>] %s+0x%llx/0x%llx\n", (unsigned long long)addr,
			 name, (unsigned long long)off, (unsigned long long)size);
	else
		pr_emerg("  [<%016llx>] ?? (outside hv.efi)\n", (unsigned long long)addr);
}

void dump_backtrace(u64 rip, u64 rbp)
{
	unsigned int n;

	pr_emerg("Call Trace:\n");
	print_addr(rip);
	for (n = 0; n < MAX_FRAMES; n++) {
		const u64 *frame = (const u64 *)(uintptr_t)rbp;
		u64 next;

		if (!rbp || (rbp & 7))
			break;
		next = frame[0];
		if (!frame[1])
			break;
		print_addr(frame[1]);
		if (next <= rbp || next - rbp > MAX_FRAME_BYTES)
			break;
		rbp = next;
	}
}

/* Starts at our caller: its return address and its frame. */
__noinline void dump_stack(void)
{
	const u64 *fp = __builtin_frame_address(0);

	dump_backtrace((u64)(uintptr_t)__builtin_return_address(0), fp[0]);
}
