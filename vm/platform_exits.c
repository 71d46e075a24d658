// SPDX-License-Identifier: MIT
/*
 * The platform VM's totals in the power-off and reset statistics: the
 * hypervisor's tick, exits per reason, and beyond their reason the I/O
 * exits by the intercepted byte that made them exit and the CPUID exits by
 * leaf (docs/platform.md says where a Linux boot's exits come from), how
 * RAM got mapped, the guest page walks, its MTRR writes and guarded MSRs.
 */
#include "types.h"
#include "lib/printk.h"
#include "bug.h"
#include "vm/gwalk.h"
#include "vm/tick.h"
#include "vm/vm.h"
#include "platform_int.h"

/*
 * By the first intercepted byte an access covered (the ports[] order), and
 * how many of those began at a lower port: wider accesses that exit only
 * because they cover the byte (a dword at 0xcf8 covers the reset byte
 * 0xcf9).  Atomic: every guest CPU counts here.
 */
static u64 io_byte_exits[PLATFORM_IO_PORTS_MAX];
static u64 io_byte_wide[PLATFORM_IO_PORTS_MAX];

void platform_io_count(const u16 *ports, unsigned int n, u16 port, u8 size)
{
	unsigned int i, j;

	BUG_ON(n > PLATFORM_IO_PORTS_MAX);
	for (i = 0; i < size; i++)
		for (j = 0; j < n; j++)
			if (ports[j] == (u16)(port + i)) {
				__atomic_fetch_add(&io_byte_exits[j], 1, __ATOMIC_RELAXED);
				if (i)
					__atomic_fetch_add(&io_byte_wide[j], 1, __ATOMIC_RELAXED);
				return;
			}
}

/* Appends to line[] (size LINE) at *len, never past its end. */
#define LINE 240
static __printf(3, 4) void append(char *line, unsigned int *len, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*len >= LINE - 1)
		return;
	va_start(ap, fmt);
	r = vsnprintf(line + *len, LINE - *len, fmt, ap);
	va_end(ap);
	if (r > 0)
		*len = *len + (unsigned int)r < LINE - 1 ? *len + (unsigned int)r : LINE - 1;
}

static void print_io(const u16 *ports, unsigned int n)
{
	char line[LINE];
	unsigned int j, len = 0;
	u64 cnt, wide;

	line[0] = 0;
	for (j = 0; j < n; j++) {
		cnt = __atomic_load_n(&io_byte_exits[j], __ATOMIC_RELAXED);
		wide = __atomic_load_n(&io_byte_wide[j], __ATOMIC_RELAXED);
		if (!cnt)
			continue;
		append(line, &len, " 0x%x %llu", ports[j], (unsigned long long)cnt);
		if (wide)
			append(line, &len, " (%llu from a lower port)", (unsigned long long)wide);
	}
	if (len)
		pr_info("platform:   io exits by the intercepted byte they covered:%s\n", line);
}

/* The busiest leaves first, at most 8 named, then the rest as one figure. */
static void print_cpuid(const struct vm_stats *s)
{
	bool shown[VM_CPUID_STAT_NR] = { false };
	char line[LINE];
	unsigned int i, k, best, len = 0;
	u64 rest = 0;

	line[0] = 0;
	for (k = 0; k < 8; k++) {
		best = VM_CPUID_STAT_NR;
		for (i = 0; i < VM_CPUID_STAT_NR; i++)
			if (!shown[i] && s->cpuid_leaves[i] &&
			    (best == VM_CPUID_STAT_NR || s->cpuid_leaves[i] > s->cpuid_leaves[best]))
				best = i;
		if (best == VM_CPUID_STAT_NR)
			break;
		shown[best] = true;
		if (best == VM_CPUID_STAT_HV)
			append(line, &len, " 0x4xxxxxxx");
		else if (best == VM_CPUID_STAT_OTHER)
			append(line, &len, " other");
		else if (best >= VM_CPUID_STAT_EXT)
			append(line, &len, " 0x%x", 0x80000000u + (best - VM_CPUID_STAT_EXT));
		else
			append(line, &len, " 0x%x", best);
		append(line, &len, " %llu", (unsigned long long)s->cpuid_leaves[best]);
	}
	for (i = 0; i < VM_CPUID_STAT_NR; i++)
		if (!shown[i])
			rest += s->cpuid_leaves[i];
	if (!len)
		return;
	if (rest)
		append(line, &len, ", the rest %llu", (unsigned long long)rest);
	pr_info("platform:   cpuid exits by leaf:%s\n", line);
}

void platform_exits_print(const struct vm_stats *s, const u16 *ports, unsigned int n,
			  u64 mtrr_held)
{
	unsigned int r;

	if (s->ticks)
		pr_info("platform: hypervisor tick: %llu ticks (every %llu ms), %llu guest interrupts "
			"taken and injected\n", (unsigned long long)s->ticks,
			(unsigned long long)(tick_period_ns() / 1000000),
			(unsigned long long)s->intrs_taken);
	if (s->smm_exits)
		pr_info("platform: %llu exits came from SMM code the CPU ran inside the guest "
			"(EFER.SVME set again)\n", (unsigned long long)s->smm_exits);
	for (r = 1; r < VMEXIT_NR; r++)
		if (s->by_reason[r])
			pr_info("platform:   exits %-12s %llu\n", vm_exit_name(r),
				(unsigned long long)s->by_reason[r]);
	print_io(ports, n);
	print_cpuid(s);
	pr_info("platform: mapped on demand: %llu GiB in 1 GiB pages, %llu MiB in 2 MiB pages, "
		"%llu KiB in 4 KiB pages\n", (unsigned long long)s->maps_by_level[3],
		(unsigned long long)s->maps_by_level[2] * 2,
		(unsigned long long)s->maps_by_level[1] * 4);
	pr_info("platform: guest page walks: paging off %llu, 32-bit %llu, PAE %llu, "
		"4-level %llu, 5-level %llu; %llu faults given to the guest\n",
		(unsigned long long)s->gva_walks[GWALK_MODE_OFF],
		(unsigned long long)s->gva_walks[GWALK_MODE_32BIT],
		(unsigned long long)s->gva_walks[GWALK_MODE_PAE],
		(unsigned long long)s->gva_walks[GWALK_MODE_4LEVEL],
		(unsigned long long)s->gva_walks[GWALK_MODE_5LEVEL],
		(unsigned long long)s->gva_faults);
	if (s->mtrr_writes)
		pr_info("platform: %llu MTRR writes by the guest, %llu ranges retyped "
			"(zapped, refaulted)\n", (unsigned long long)s->mtrr_writes,
			(unsigned long long)s->mtrr_zaps);
	if (mtrr_held)
		pr_info("platform: %llu MTRR writes left the hardware's MTRRs as they were (the "
			"guest's would not keep hypervisor memory WB)\n",
			(unsigned long long)mtrr_held);
	if (platform_guard_refused())
		pr_info("platform: %llu guarded MSR writes refused with #GP\n",
			(unsigned long long)platform_guard_refused());
}
