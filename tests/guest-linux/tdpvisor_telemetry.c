// SPDX-License-Identifier: GPL-2.0
/*
 * tdpvisor_telemetry — a Linux kernel module of the default guest that
 * reads tdpvisor's memory-telemetry ring (HC_TELEMETRY_READ, a CPL 0
 * hypercall) for user space: dirtier (tests/guest-linux/dirtier.c) reads
 * /proc/tdpvisor_telemetry, one line per record kept, oldest first:
 *
 *   SEQ END_NS INTERVAL_NS DIRTY YOUNG FAULTS ZAPS LEAVES_4K LEAVES_2M LEAVES_1G MODE NCPUS
 *
 * and /proc/tdpvisor_telemetry_last the newest record alone, in the same
 * form, cheaply (it asks only for the records after the last it saw), so
 * that dirtier can poll it and time each harvest by the guest's clock.
 *
 * At load time, under tdpvisor (CPUID 0x40000000), it also makes the call
 * with hostile arguments against a page filled with CANARY -- a length
 * that is zero, not a multiple of the record, or over the limit; an
 * unaligned buffer; buffers in the hypervisor's hidden memory and far
 * beyond RAM; then one good call -- as the read-only
 * parameter `checks`, one line per call: "NAME RAX kept|changed".  It
 * judges nothing; the scenario does.
 *
 * The ABI is include/vm/hypercall.h; repeated here (this file is built
 * against Linux's headers, not ours).
 */
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <asm/io.h>
#include <asm/processor.h>

#define HC_BASE 0x74647000ULL
#define HC_HV_MEMORY (HC_BASE + 0x3)
#define HC_TELEMETRY_READ (HC_BASE + 0x5)
#define HC_MAX_BUFFER (1ULL << 20)
#define HC_TELEMETRY_CPUS 8

#define CANARY 0x5a
#define RING_ORDER 6		/* 256 KiB: more than the 512 records kept */

struct hc_telemetry_record {
	u64 seq, end_ns, interval_ns, dirty_pages, young_pages, tdp_faults, zaps;
	u64 leaves[4];
	u64 dirty_mode, ncpus;
	struct {
		u64 exits, tdp_faults, zaps;
	} cpu[HC_TELEMETRY_CPUS];
};

static char checks[1024];
module_param_string(checks, checks, sizeof(checks), 0444);
MODULE_PARM_DESC(checks, "one line per hostile call: NAME RAX kept|changed");

static bool use_vmmcall, under;

static long hypercall(u64 nr, u64 b, u64 c, u64 d)
{
	u64 a = nr;

	if (use_vmmcall)
		asm volatile("vmmcall" : "+a"(a), "+b"(b), "+c"(c), "+d"(d) : : "rsi", "memory");
	else
		asm volatile("vmcall" : "+a"(a), "+b"(b), "+c"(c), "+d"(d) : : "rsi", "memory");
	return (long)a;
}

static int telemetry_show(struct seq_file *m, void *unused)
{
	const size_t size = sizeof(struct hc_telemetry_record);
	struct hc_telemetry_record *r;
	long n, i;

	if (!under)
		return -ENODEV;
	r = (void *)__get_free_pages(GFP_KERNEL, RING_ORDER);
	if (!r)
		return -ENOMEM;
	n = hypercall(HC_TELEMETRY_READ, virt_to_phys(r), (PAGE_SIZE << RING_ORDER) / size * size,
		      0);
	for (i = 0; i < n; i++)
		seq_printf(m, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
			   r[i].seq, r[i].end_ns, r[i].interval_ns, r[i].dirty_pages,
			   r[i].young_pages, r[i].tdp_faults, r[i].zaps, r[i].leaves[1],
			   r[i].leaves[2], r[i].leaves[3], r[i].dirty_mode, r[i].ncpus);
	free_pages((unsigned long)r, RING_ORDER);
	return n < 0 ? (int)n : 0;
}

#define LAST_BATCH 16
static DEFINE_MUTEX(last_lock);
static struct hc_telemetry_record last;

/* The newest record: asks for those after the last one seen until the
 * ring has no more. */
static int telemetry_last_show(struct seq_file *m, void *unused)
{
	const size_t size = sizeof(struct hc_telemetry_record);
	struct hc_telemetry_record *r;
	long n;

	if (!under)
		return -ENODEV;
	r = kmalloc_array(LAST_BATCH, size, GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	mutex_lock(&last_lock);
	do {
		n = hypercall(HC_TELEMETRY_READ, virt_to_phys(r), LAST_BATCH * size, last.seq + 1);
		if (n > 0)
			last = r[n - 1];
	} while (n == LAST_BATCH);
	if (n >= 0 && last.seq)
		seq_printf(m, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
			   last.seq, last.end_ns, last.interval_ns, last.dirty_pages,
			   last.young_pages, last.tdp_faults, last.zaps, last.leaves[1],
			   last.leaves[2], last.leaves[3], last.dirty_mode, last.ncpus);
	mutex_unlock(&last_lock);
	kfree(r);
	return n < 0 ? (int)n : 0;
}

static int telemetry_last_open(struct inode *inode, struct file *file)
{
	return single_open(file, telemetry_last_show, NULL);
}

static const struct proc_ops telemetry_last_fops = {
	.proc_open = telemetry_last_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static int telemetry_open(struct inode *inode, struct file *file)
{
	return single_open(file, telemetry_show, NULL);
}

static const struct proc_ops telemetry_fops = {
	.proc_open = telemetry_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

/* One call against the canary page, as a line of `checks`. */
static void check_line(size_t *len, u8 *canary, const char *name, u64 gpa, u64 bytes)
{
	long r;
	size_t i;

	memset(canary, CANARY, PAGE_SIZE);
	r = hypercall(HC_TELEMETRY_READ, gpa, bytes, 0);
	for (i = 0; i < PAGE_SIZE && canary[i] == CANARY; i++)
		;
	*len += scnprintf(checks + *len, sizeof(checks) - *len, "%s %ld %s\n", name, r,
			  i == PAGE_SIZE ? "kept" : "changed");
}

/* The first hidden range's base (HC_HV_MEMORY), or 0. */
static u64 hidden_base(u8 *page)
{
	u64 *m = (u64 *)page;

	memset(page, 0, PAGE_SIZE);
	if (hypercall(HC_HV_MEMORY, virt_to_phys(page), 0, 0) || !m[0])
		return 0;
	return m[1];
}

static void hostile_checks(void)
{
	const u64 size = sizeof(struct hc_telemetry_record);
	u8 *page = (u8 *)__get_free_page(GFP_KERNEL);
	u64 pa, hv, far = 1ULL << 45;
	size_t len = 0;

	if (!page)
		return;
	pa = virt_to_phys(page);
	hv = hidden_base(page);
	check_line(&len, page, "zero-length", pa, 0);
	check_line(&len, page, "partial-record", pa, size + 8);
	check_line(&len, page, "unaligned", pa + 4, size);
	check_line(&len, page, "over-limit", pa, (HC_MAX_BUFFER / size + 1) * size);
	check_line(&len, page, "far-beyond-ram", far, size);
	if (hv)
		check_line(&len, page, "hidden-memory", hv, size);
	check_line(&len, page, "one-record", pa, size);
	free_page((unsigned long)page);
}

static int __init tdpvisor_telemetry_init(void)
{
	u32 a, sig[3];

	cpuid(0x40000000, &a, &sig[0], &sig[1], &sig[2]);
	under = !memcmp(sig, "tdpvisor", 8);
	if (!under) {
		pr_info("tdpvisor_telemetry: not running under tdpvisor: no hypercalls\n");
		return 0;
	}
	use_vmmcall = boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
		      boot_cpu_data.x86_vendor == X86_VENDOR_HYGON;
	hostile_checks();
	if (!proc_create("tdpvisor_telemetry", 0444, NULL, &telemetry_fops))
		return -ENOMEM;
	if (!proc_create("tdpvisor_telemetry_last", 0444, NULL, &telemetry_last_fops)) {
		remove_proc_entry("tdpvisor_telemetry", NULL);
		return -ENOMEM;
	}
	return 0;
}

static void __exit tdpvisor_telemetry_exit(void)
{
	remove_proc_entry("tdpvisor_telemetry_last", NULL);
	remove_proc_entry("tdpvisor_telemetry", NULL);
}

module_init(tdpvisor_telemetry_init);
module_exit(tdpvisor_telemetry_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("tdpvisor's memory-telemetry ring for the default guest's user space");
