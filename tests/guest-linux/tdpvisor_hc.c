// SPDX-License-Identifier: GPL-2.0
/*
 * tdpvisor_hc — a Linux kernel module for the default guest's adversary: it
 * makes hypercalls at CPL 0, which user space cannot (a hypercall from CPL 3
 * raises #UD), and reports what came back.  It judges nothing; adversary.c
 * does.  Loaded by adversary (finit_module), never by an ordinary boot.
 *
 * At load time, when CPUID leaf 0x40000000 says "tdpvisor" (elsewhere the
 * instruction may raise #UD in the kernel, and the module makes no call and
 * reports none), with VMMCALL on AMD and Hygon CPUs and VMCALL otherwise:
 *   - HC_HV_MEMORY into a page of its own: the hypervisor's hidden ranges,
 *     as the read-only parameter `hidden`: "0xA-0xB,0xC-0xD" (inclusive
 *     ends), or "" when the call failed;
 *   - a set of calls whose RBX (and RCX) name the guest-physical address of
 *     a page filled with CANARY: numbers that are not the hypervisor's
 *     (KVM's 1, 5, 9, 10, 12, the numbers on either side of the hypercall
 *     space, HC_HV_MEMORY with bits above 31 set), and the hypervisor's own
 *     calls told to write into its hidden memory (RBX = a hidden range's
 *     first byte, or RCX for HC_GPA_MAPPING) instead;
 * each as one line of the read-only parameter `calls`:
 *   "NAME RAX kept|changed"
 * RAX in signed decimal; kept when the canary page reads as it was filled.
 *
 * Then, under tdpvisor, /proc/tdpvisor_hc_log gives the hypervisor's log
 * ring as HC_LOG_READ copies it, oldest byte first, read afresh at each
 * open: adversary looks there for the lines its attacks must cause.
 *
 * The hypercall ABI is include/vm/hypercall.h; its numbers are repeated
 * here because this file is built against Linux's headers, not ours.
 */
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <asm/io.h>
#include <asm/processor.h>

#define HC_BASE 0x74647000ULL
#define HC_SPAN 0x1000ULL
#define HC_VERSION (HC_BASE + 0x0)
#define HC_LOG_READ (HC_BASE + 0x1)
#define HC_STATS (HC_BASE + 0x2)
#define HC_HV_MEMORY (HC_BASE + 0x3)
#define HC_GPA_MAPPING (HC_BASE + 0x4)

#define CANARY 0x3c
#define MAX_HIDDEN 4
#define LOG_CHUNK_ORDER 4		/* 64 KiB a call */
#define LOG_MAX_BYTES (1UL << 20)	/* HC_MAX_BUFFER: no ring is larger */
#define LOG_PROC "tdpvisor_hc_log"

static char hidden[200];
module_param_string(hidden, hidden, sizeof(hidden), 0444);
MODULE_PARM_DESC(hidden, "HC_HV_MEMORY's ranges: 0xA-0xB,... (inclusive)");

static char calls[2048];
module_param_string(calls, calls, sizeof(calls), 0444);
MODULE_PARM_DESC(calls, "one line per call made: NAME RAX kept|changed");

static bool use_vmmcall;

/* One hypercall: RAX = NR, RBX = B, RCX = C, RDX = D; RAX after it. */
static long hypercall(u64 nr, u64 b, u64 c, u64 d)
{
	u64 a = nr;

	if (use_vmmcall)
		asm volatile("vmmcall" : "+a"(a), "+b"(b), "+c"(c), "+d"(d) : : "rsi", "memory");
	else
		asm volatile("vmcall" : "+a"(a), "+b"(b), "+c"(c), "+d"(d) : : "rsi", "memory");
	return (long)a;
}

struct hc_hv_memory {
	u64 count;
	struct {
		u64 base, size;
	} range[MAX_HIDDEN];
};

/* HC_HV_MEMORY into a page of our own: the first hidden range's base (0 if
 * the call failed), and `hidden` filled in. */
static u64 find_hidden(void *page)
{
	struct hc_hv_memory *m = page;
	size_t len = 0;
	long r;
	u64 i;

	memset(page, 0, PAGE_SIZE);
	r = hypercall(HC_HV_MEMORY, virt_to_phys(page), 0, 0);
	if (r || !m->count || m->count > MAX_HIDDEN) {
		pr_info("tdpvisor_hc: HC_HV_MEMORY returned %ld, count %llu\n", r, m->count);
		return 0;
	}
	for (i = 0; i < m->count; i++)
		len += scnprintf(hidden + len, sizeof(hidden) - len, "%s0x%llx-0x%llx",
				 i ? "," : "", m->range[i].base,
				 m->range[i].base + m->range[i].size - 1);
	return m->range[0].base;
}

/* One call against the canary page, as a line of `calls`. */
static void call_line(size_t *len, u8 *canary, const char *name, u64 nr, u64 b, u64 c, u64 d)
{
	long r;
	size_t i;

	memset(canary, CANARY, PAGE_SIZE);
	r = hypercall(nr, b, c, d);
	for (i = 0; i < PAGE_SIZE && canary[i] == CANARY; i++)
		;
	*len += scnprintf(calls + *len, sizeof(calls) - *len, "%s %ld %s\n", name, r,
			  i == PAGE_SIZE ? "kept" : "changed");
}

/*
 * The log ring, HC_LOG_READ after HC_LOG_READ into a contiguous buffer
 * until a call copies less than the buffer: 0, or the call's negative
 * error (or -ENOMEM).
 */
static int log_show(struct seq_file *m, void *unused)
{
	const long chunk = PAGE_SIZE << LOG_CHUNK_ORDER;
	void *buf = (void *)__get_free_pages(GFP_KERNEL, LOG_CHUNK_ORDER);
	u64 off = 0;
	long n;

	if (!buf)
		return -ENOMEM;
	do {
		n = hypercall(HC_LOG_READ, virt_to_phys(buf), chunk, off);
		if (n > 0) {
			seq_write(m, buf, n);
			off += n;
		}
	} while (n == chunk && off < LOG_MAX_BYTES);
	free_pages((unsigned long)buf, LOG_CHUNK_ORDER);
	return n < 0 ? (int)n : 0;
}

static int log_open(struct inode *inode, struct file *file)
{
	return single_open(file, log_show, NULL);
}

static const struct proc_ops log_fops = {
	.proc_open = log_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static bool log_created;

/* CPUID 0x40000000 names tdpvisor. */
static bool under_tdpvisor(void)
{
	u32 a, sig[3];

	cpuid(0x40000000, &a, &sig[0], &sig[1], &sig[2]);
	return !memcmp(sig, "tdpvisor", 8);
}

static int __init tdpvisor_hc_init(void)
{
	u8 *page;
	u64 pa, hv;
	size_t len = 0;

	if (!under_tdpvisor()) {
		pr_info("tdpvisor_hc: not running under tdpvisor: no hypercalls\n");
		return 0;
	}
	page = (u8 *)__get_free_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	use_vmmcall = boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
		      boot_cpu_data.x86_vendor == X86_VENDOR_HYGON;
	pa = virt_to_phys(page);
	hv = find_hidden(page);

	/* Not the hypervisor's numbers: -ENOSYS, nothing written. */
	call_line(&len, page, "kvm-vapic-poll-irq", 1, pa, pa, 0);
	call_line(&len, page, "kvm-kick-cpu", 5, pa, pa, 0);
	call_line(&len, page, "kvm-clock-pairing", 9, pa, 0, 0);
	call_line(&len, page, "kvm-send-ipi", 10, pa, pa, 0);
	call_line(&len, page, "kvm-map-gpa-range", 12, pa, 1, 0);
	call_line(&len, page, "below-hc-base", HC_BASE - 1, pa, PAGE_SIZE, 0);
	call_line(&len, page, "above-hc-span", HC_BASE + HC_SPAN, pa, PAGE_SIZE, 0);
	call_line(&len, page, "hv-memory-high-bits", (1ULL << 32) | HC_HV_MEMORY, pa, 0, 0);
	/* The hypervisor's own calls, for comparison: they answer. */
	call_line(&len, page, "version", HC_VERSION, 0, 0, 0);
	/* Told to write into the hypervisor's memory: each writes into the
	 * guest's scratch page behind it, as into any guest memory (adversary
	 * reads what they left there), never into the hypervisor's own. */
	if (hv) {
		call_line(&len, page, "hv-memory-into-hidden", HC_HV_MEMORY, hv, 0, 0);
		call_line(&len, page, "stats-into-hidden", HC_STATS, hv, 0, 0);
		call_line(&len, page, "log-read-into-hidden", HC_LOG_READ, hv, PAGE_SIZE, 0);
		call_line(&len, page, "gpa-mapping-into-hidden", HC_GPA_MAPPING, pa, hv, 0);
	}
	free_page((unsigned long)page);
	pr_info("tdpvisor_hc: %s: hidden ranges '%s'\n", use_vmmcall ? "vmmcall" : "vmcall",
		hidden);
	log_created = proc_create(LOG_PROC, 0400, NULL, &log_fops) != NULL;
	if (!log_created)
		pr_warn("tdpvisor_hc: cannot create /proc/" LOG_PROC "\n");
	return 0;
}

static void __exit tdpvisor_hc_exit(void)
{
	if (log_created)
		remove_proc_entry(LOG_PROC, NULL);
}

module_init(tdpvisor_hc_init);
module_exit(tdpvisor_hc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("CPL 0 hypercalls for tdpvisor's guest-side adversary test");
