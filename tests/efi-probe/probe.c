// SPDX-License-Identifier: MIT
/*
 * probe.efi: booted by hv.efi as the platform VM's next stage
 * (`bluepill next=\probe.efi`), it checks from the inside that tdpvisor
 * shows what it should and hides what it must:
 *   a. CPUID: leaf 0x40000000 says "tdpvisor", the hypervisor bit is set,
 *      VMX and SVM are hidden;
 *   b. MSRs: EFER.SVME reads 0 and the SVM MSRs raise #GP (AMD);
 *      IA32_FEATURE_CONTROL shows no VMX and the VMX capability MSRs raise
 *      #GP (Intel) -- what a CPU without virtualization shows;
 *   c. the hypervisor's memory (HC_HV_MEMORY) is out of reach: every page
 *      of it maps one scratch page (all ones until written, a write to
 *      one page shows at every other, one 4 KiB TDP leaf frame for all),
 *      and the hypervisor answers afterwards;
 *   d. the TDP leaves' memory types agree with the MTRRs (probe_mtrr.c);
 *   e. every other CPU, asked through the firmware's MP services, answers
 *      CPUID as a guest of tdpvisor too (checked with the load option
 *      allcpus; without it, each AP's answer is only reported); with
 *      badipi, wrong INITs and SIPIs to an AP (check_bad_ipis()), the last
 *      of which makes the AP triple-fault: the machine resets; with
 *      initbsp, an AP sends the boot CPU a real INIT: the machine resets;
 *   f. NMIs it sends itself reach its own NMI handler, one after the other
 *      (on every CPU with allcpus): the guest still gets its NMIs, and its
 *      IRET ends its NMI blocking;
 *   with die (and smp=all, which traps the xAPIC page), a 16-byte SSE load
 *      from the local APIC, which the hypervisor cannot perform: the
 *      platform guest dies, and hv.efi must log why with the guest's state
 *      and follow its panic= policy;
 *   g. the guards (probe_guard.c, and probe_mtrr_guard()): SMX, SKINIT
 *      and PT hidden, the APIC base kept off the pool, EFER's bits,
 *      IA32_FEATURE_CONTROL locked with what the CPU offers, and a guest
 *      MTRR write over the pool leaving the hardware's MTRRs WB there;
 *   h. an SMI it raises through the chipset's APM port runs an SMM handler
 *      it placed at the entry of the reset SMBASE, and RSM returns to it,
 *      still a guest (probe_smi.c);
 *   i. its TSC is its own: wrmsr(IA32_TSC, 1e12) reads back through RDTSC
 *      and RDMSR, IA32_TSC_ADJUST moves with it, and writing that back
 *      puts the TSC back (the hypervisor logs each write with its own,
 *      unmoved, timestamps: the scenario checks those);
 *   j. it returns EFI_SUCCESS (all passed) to its caller, and the firmware
 *      goes on.
 * One line per check on COM1 ("probe: ok ..." or "probe: FAIL ..."), then
 * "probe: N passed, M failed".  Load options: exit=return (default),
 * exit=qemu or exit=bochs (end the emulator with the verdict instead of
 * returning); conout (also print on the firmware's text console).
 */
#include <efi.h>
#include <stdarg.h>
#include "arch/msr.h"
#include "arch/trapnr.h"
#include "arch/x86.h"
#include "atomic.h"
#include "errcode.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "probe.h"

#define COM1 0x3f8
#define UART_LSR 5
#define UART_LSR_THRE BIT(5)
#define QEMU_DEBUG_EXIT_PORT 0xf4
#define BOCHS_SHUTDOWN_PORT 0x8900
#define IDT_GATE_INTR64 0x8eULL
#define FEATURE_CONTROL_VMX_ANY (FEATURE_CONTROL_VMXON_IN_SMX | FEATURE_CONTROL_VMXON_OUTSIDE_SMX)
#define HV_SAMPLE_PAGES 4

enum probe_exit { EXIT_RETURN, EXIT_QEMU, EXIT_BOCHS };

static struct {
	unsigned int passed, failed;
	bool intel, amd, conout, allcpus, badipi, initbsp, die;
	enum probe_exit exit;
	SIMPLE_TEXT_OUTPUT_INTERFACE *con;
} pr;

/* ---- the report ---- */

static void serial_puts(const char *s)
{
	unsigned int spin;

	for (; *s; s++) {
		for (spin = 0; spin < 100000 && !(inb(COM1 + UART_LSR) & UART_LSR_THRE); spin++)
			cpu_relax();
		outb(COM1, (u8)*s);
	}
}

static void con_puts(const char *s)
{
	static CHAR16 wide[256];
	unsigned int n = 0;

	for (; *s && n < ARRAY_SIZE(wide) - 1; s++)
		wide[n++] = (CHAR16)(u8)*s;
	wide[n] = 0;
	pr.con->OutputString(pr.con, wide);
}

/* Prints "probe: " + the formatted text as one line, written in one go. */
static void probe_vline(const char *prefix, const char *fmt, va_list ap)
{
	static char line[256];
	int n = snprintf(line, sizeof(line), "probe: %s", prefix);

	vsnprintf(line + n, sizeof(line) - n - 2, fmt, ap);
	n = (int)strlen(line);
	line[n++] = '\r';
	line[n++] = '\n';
	line[n] = 0;
	serial_puts(line);
	if (pr.conout && pr.con)
		con_puts(line);
}

bool probe_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	probe_vline(ok ? "ok " : "FAIL ", fmt, ap);
	va_end(ap);
	if (ok)
		pr.passed++;
	else
		pr.failed++;
	return ok;
}

void probe_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	probe_vline("# ", fmt, ap);
	va_end(ap);
}

/* A line without the check or comment marker (the summary). */
static __printf(1, 2) void probe_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	probe_vline("", fmt, ap);
	va_end(ap);
}

/* ---- the machine ---- */

long probe_hypercall(u64 nr, u64 a0, u64 a1)
{
	return pr.intel ? probe_vmcall(nr, a0, a1, 0, 0) : probe_vmmcall(nr, a0, a1, 0, 0);
}

/* A dword read: device registers (the I/O APIC's, say) take 32-bit accesses. */
u64 probe_peek(u64 addr)
{
	return *(volatile u32 *)(uintptr_t)(addr & ~3ULL);
}

#define IDT_ENTRIES 256

/*
 * Loads a copy (in idt, 2 * IDT_ENTRIES words) of this CPU's IDT in which
 * vector vec's gate calls handler; *fw receives the IDTR to load back.
 * false, and nothing loaded: an IDT too small or too large to copy.
 * Interrupts must be off until the firmware's IDT is back.
 */
static bool idt_load_copy(u64 *idt, struct desc_ptr *fw, unsigned int vec, void (*handler)(void))
{
	u64 h = (u64)(uintptr_t)handler;
	struct desc_ptr ours;

	sidt(fw);
	if (fw->limit < vec * 16 + 15 || fw->limit >= IDT_ENTRIES * 16)
		return false;
	memcpy(idt, (const void *)(uintptr_t)fw->base, fw->limit + 1);
	idt[2 * vec] = (h & 0xffff) | ((u64)read_cs() << 16) | (IDT_GATE_INTR64 << 40) |
		       ((h >> 16) & 0xffff) << 48;
	idt[2 * vec + 1] = h >> 32;
	ours.limit = fw->limit;
	ours.base = (u64)(uintptr_t)idt;
	lidt(&ours);
	return true;
}

/*
 * RDMSR or WRMSR with a #GP handler of our own: a copy of the firmware's
 * IDT whose #GP gate points to probe_gp_entry is loaded, interrupts off,
 * for the one instruction; the firmware's IDT is back before this returns.
 */
static int msr_access(u32 msr, bool write, u64 *val)
{
	static u64 idt[2 * IDT_ENTRIES] __aligned(16);
	u64 flags = read_rflags(), *gate;
	struct desc_ptr fw;
	int ret = -1;	/* an IDT we cannot copy: do not risk the access */

	irq_disable();
	if (idt_load_copy(idt, &fw, GP_VECTOR, probe_gp_entry)) {
		gate = (u64 *)(uintptr_t)fw.base + 2 * GP_VECTOR;
		probe_old_gp = (gate[0] & 0xffff) | ((gate[0] >> 32) & 0xffff0000ULL) |
			       (gate[1] << 32);
		ret = write ? probe_wrmsr_safe(msr, *val) : probe_rdmsr_safe(msr, val);
		lidt(&fw);
	}
	if (flags & BIT(9))
		irq_enable();
	return ret;
}

int probe_rdmsr(u32 msr, u64 *val)
{
	return msr_access(msr, false, val);
}

int probe_wrmsr(u32 msr, u64 val)
{
	return msr_access(msr, true, &val);
}

/* ---- a: CPUID ---- */

static bool check_cpuid(void)
{
	struct cpuid_regs r = cpuid(0x40000000), ext = cpuid(0x80000000);
	char sig[13] = { 0 };
	bool ours;

	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	ours = !memcmp(sig, "tdpvisor", 8);
	probe_check(ours, "CPUID 0x40000000 signature 'tdpvisor' (seen '%.8s')", sig);
	r = cpuid(1);
	probe_check(r.ecx & BIT(31), "CPUID.1:ECX.hypervisor (bit 31) set");
	probe_check(!(r.ecx & BIT(5)), "CPUID.1:ECX.VMX (bit 5) clear");
	probe_check(ext.eax < 0x80000001 || !(cpuid(0x80000001).ecx & BIT(2)),
		    "CPUID.80000001:ECX.SVM (bit 2) clear");
	return ours;
}

/* ---- b: MSRs ---- */

static void check_msrs(void)
{
	u64 v = 0;

	if (pr.amd) {
		int r = probe_rdmsr(MSR_EFER, &v);

		probe_check(!r && !(v & EFER_SVME), "EFER.SVME reads 0 (EFER 0x%llx)",
			    (unsigned long long)v);
		probe_check(probe_rdmsr(MSR_VM_CR, &v) < 0, "rdmsr VM_CR (0xc0010114) raises #GP");
		probe_check(probe_rdmsr(MSR_VM_HSAVE_PA, &v) < 0,
			    "rdmsr VM_HSAVE_PA (0xc0010117) raises #GP");
	}
	if (pr.intel) {
		int r = probe_rdmsr(MSR_IA32_FEATURE_CONTROL, &v);

		probe_check(r < 0 || !(v & FEATURE_CONTROL_VMX_ANY),
			    "IA32_FEATURE_CONTROL shows no VMX enabled (%s 0x%llx)",
			    r < 0 ? "#GP," : "reads", (unsigned long long)(r < 0 ? 0 : v));
		probe_check(probe_rdmsr(MSR_IA32_VMX_BASIC, &v) < 0,
			    "rdmsr IA32_VMX_BASIC (0x480) raises #GP");
	}
}

/* ---- c: the hypervisor's memory ---- */

static struct hc_hv_memory hvmem;
static struct hc_gpa_mapping hvmap;

/* HV_SAMPLE_PAGES pages spread over [base, base + size): first and last
 * word of each read as want.  Returns the number that did not. */
static unsigned int sample_reads(u64 base, u64 size, u64 want)
{
	u64 pages = size >> PAGE_SHIFT, i, bad = 0;

	for (i = 0; i < HV_SAMPLE_PAGES; i++) {
		u64 page = base + ((i * (pages - 1)) / (HV_SAMPLE_PAGES - 1) << PAGE_SHIFT);

		bad += probe_read64(page) != want;
		bad += probe_read64(page + PAGE_SIZE - 8) != want;
	}
	return (unsigned int)bad;
}

/* The TDP leaf of gpa (after a touch): its host frame, or ~0 when it is
 * not one present 4 KiB leaf. */
static u64 leaf_frame(u64 gpa)
{
	(void)probe_read64(gpa);
	if (probe_hypercall(HC_GPA_MAPPING, gpa, (u64)(uintptr_t)&hvmap) || !hvmap.present ||
	    hvmap.level != HC_LEVEL_4K)
		return ~0ULL;
	return hvmap.hpa & ~(u64)(PAGE_SIZE - 1);
}

/*
 * Range i, before anything wrote there: read as all ones; a word written
 * at its first page reads back at its middle page and at the first page of
 * range 0 (one scratch page behind all of them); each of those pages is a
 * 4 KiB leaf of that same frame.  The ones are written back.
 */
static void check_hv_range(u64 i)
{
	u64 base = hvmem.range[i].base, size = hvmem.range[i].size, other = hvmem.range[0].base;
	u64 mid = base + ((size / 2) & ~(PAGE_SIZE - 1)), f;

	probe_check(!sample_reads(base, size, ~0ULL),
		    "hypervisor memory [0x%llx-0x%llx]: %u pages sampled read as all ones",
		    (unsigned long long)base, (unsigned long long)(base + size - 1), HV_SAMPLE_PAGES);
	probe_write64(base + 8, 0x600dc0de);
	probe_check(probe_read64(mid + 8) == 0x600dc0de && probe_read64(other + 8) == 0x600dc0de &&
		    !sample_reads(base + PAGE_SIZE, size - PAGE_SIZE, ~0ULL),
		    "hypervisor memory [0x%llx-0x%llx]: writes land on the scratch page, seen at "
		    "every page", (unsigned long long)base, (unsigned long long)(base + size - 1));
	probe_write64(base + 8, ~0ULL);
	f = leaf_frame(base);
	probe_check(f != ~0ULL && leaf_frame(mid) == f && leaf_frame(other) == f &&
		    leaf_frame(base + size - PAGE_SIZE) == f,
		    "hypervisor memory [0x%llx-0x%llx]: every page maps one 4 KiB scratch frame "
		    "(0x%llx)", (unsigned long long)base, (unsigned long long)(base + size - 1),
		    (unsigned long long)f);
}

/* A guest that takes tdpvisor for KVM: KVM's call 1 with a buffer in RBX. */
static void check_foreign_hypercall(void)
{
	static u8 buf[64];
	unsigned int i, touched = 0;
	long r;

	memset(buf, 0x5a, sizeof(buf));
	r = probe_hypercall(1, (u64)(uintptr_t)buf, sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		touched += buf[i] != 0x5a;
	probe_check(r == -ENOSYS && !touched, "a KVM-numbered hypercall (1, a buffer in RBX) "
		    "answers -ENOSYS and writes nothing (%ld, %u bytes changed)", r, touched);
}

static void check_hv_memory(void)
{
	long r = probe_hypercall(HC_VERSION, 0, 0);
	u64 i;

	probe_check(r == HC_ABI_VERSION, "HC_VERSION answers 0x%lx", r);
	/* A test VM's calls are not the platform VM's: no event, just -ENOSYS. */
	probe_check(probe_hypercall(HC_TEST_SYNC, 1, 0) == -ENOSYS &&
		    probe_hypercall(HC_TEST_DONE, 0, 0) == -ENOSYS &&
		    probe_hypercall(HC_TEST_ASSERT, 0, 0) == -ENOSYS,
		    "HC_TEST_SYNC/DONE/ASSERT answer -ENOSYS (test VMs' calls)");
	check_foreign_hypercall();
	r = probe_hypercall(HC_HV_MEMORY, (u64)(uintptr_t)&hvmem, 0);
	if (!probe_check(r == 0 && hvmem.count >= 1 && hvmem.count <= ARRAY_SIZE(hvmem.range),
			 "HC_HV_MEMORY names the hidden ranges (%ld, %llu ranges)", r,
			 (unsigned long long)hvmem.count))
		return;
	for (i = 0; i < hvmem.count; i++)
		check_hv_range(i);
	r = probe_hypercall(HC_VERSION, 0, 0);
	probe_check(r == HC_ABI_VERSION, "the hypervisor still answers after the writes");
}

/*
 * g. The guest's own TSC.  1e12 dwarfs the boot's own TSC at any rate up
 * to a few GHz, so host timestamps that followed it would jump by minutes.
 */
#define PROBE_TSC_SET 1000000000000ULL
#define PROBE_TSC_SLACK (PROBE_TSC_SET / 10)

static void check_tsc(void)
{
	bool has_adjust = cpuid_count(7, 0).ebx & BIT(1);
	u64 t0, t1, t2, m = 0, adj0 = 0, adj1 = 0;

	if (has_adjust && probe_rdmsr(MSR_IA32_TSC_ADJUST, &adj0)) {
		probe_check(false, "TSC: rdmsr IA32_TSC_ADJUST raises #GP though CPUID offers it");
		has_adjust = false;
	}
	t0 = rdtsc();
	wrmsr(MSR_IA32_TSC, PROBE_TSC_SET);
	t1 = rdtsc();
	probe_rdmsr(MSR_IA32_TSC, &m);
	probe_check(t1 >= PROBE_TSC_SET && t1 - PROBE_TSC_SET < PROBE_TSC_SLACK,
		    "TSC: after wrmsr(IA32_TSC, 1e12) RDTSC reads 0x%llx (was 0x%llx)",
		    (unsigned long long)t1, (unsigned long long)t0);
	probe_check(m >= t1 && m - t1 < PROBE_TSC_SLACK, "TSC: RDMSR(IA32_TSC) reads it too (0x%llx)",
		    (unsigned long long)m);
	if (!has_adjust) {
		probe_info("TSC: no IA32_TSC_ADJUST (CPUID.7.0:EBX bit 1 clear): writing the TSC back");
		wrmsr(MSR_IA32_TSC, t0 + (rdtsc() - t1));
		return;
	}
	probe_rdmsr(MSR_IA32_TSC_ADJUST, &adj1);
	/* The write moved the TSC by 1e12 - (t0 + a little): the adjust too. */
	probe_check(PROBE_TSC_SET - t0 - (adj1 - adj0) < PROBE_TSC_SLACK,
		    "TSC: IA32_TSC_ADJUST moved with it (0x%llx -> 0x%llx)",
		    (unsigned long long)adj0, (unsigned long long)adj1);
	wrmsr(MSR_IA32_TSC_ADJUST, adj0);
	t2 = rdtsc();
	probe_check(t2 >= t0 && t2 - t0 < PROBE_TSC_SLACK,
		    "TSC: writing IA32_TSC_ADJUST back puts the TSC back (0x%llx)",
		    (unsigned long long)t2);
}

/* ---- the firmware's side ---- */

/* The last page of the highest free RAM in the firmware's memory map, or 0. */
static u64 high_ram(EFI_BOOT_SERVICES *bs)
{
	static u8 map[32768];
	UINTN size = sizeof(map), key, dsize;
	UINT32 ver;
	u64 top = 0, off;

	if (EFI_ERROR(bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &ver)) ||
	    !dsize)
		return 0;
	for (off = 0; off + dsize <= size; off += dsize) {
		const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + off);
		u64 end = d->PhysicalStart + (d->NumberOfPages << PAGE_SHIFT);

		if (d->Type == EfiConventionalMemory && d->NumberOfPages && end > top)
			top = end;
	}
	return top ? top - PAGE_SIZE : 0;
}

/* A page of the probe's own (boot-services data), or 0. */
static u64 free_page(EFI_BOOT_SERVICES *bs)
{
	EFI_PHYSICAL_ADDRESS page = 0;

	if (EFI_ERROR(bs->AllocatePages(AllocateAnyPages, EfiLoaderData, 1, &page)))
		return 0;
	return page;
}

/* exit= and conout from the load options (UCS-2, any order). */
static void read_options(EFI_HANDLE image, EFI_BOOT_SERVICES *bs)
{
	EFI_GUID li_guid = LOADED_IMAGE_PROTOCOL;
	EFI_LOADED_IMAGE *li = NULL;
	static char opts[256];
	unsigned int i, n;

	if (EFI_ERROR(bs->HandleProtocol(image, &li_guid, (void **)&li)) || !li ||
	    !li->LoadOptions)
		return;
	n = MIN(li->LoadOptionsSize / 2, (UINT32)sizeof(opts) - 1);
	for (i = 0; i < n; i++) {
		CHAR16 c = ((const CHAR16 *)li->LoadOptions)[i];

		opts[i] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
	}
	opts[n] = 0;
	for (i = 0; i < n; i++) {
		if (i && opts[i - 1] != ' ')
			continue;
		if (!strncmp(opts + i, "exit=qemu", 9))
			pr.exit = EXIT_QEMU;
		else if (!strncmp(opts + i, "exit=bochs", 10))
			pr.exit = EXIT_BOCHS;
		else if (!strncmp(opts + i, "exit=return", 11))
			pr.exit = EXIT_RETURN;
		else if (!strncmp(opts + i, "conout", 6))
			pr.conout = true;
		else if (!strncmp(opts + i, "allcpus", 7))
			pr.allcpus = true;
		else if (!strncmp(opts + i, "badipi", 6))
			pr.badipi = true;
		else if (!strncmp(opts + i, "initbsp", 7))
			pr.initbsp = true;
		else if (!strncmp(opts + i, "die", 3))
			pr.die = true;
	}
}

/* ---- e: every CPU ---- */

#define MAX_APS 64

struct ap_answer {
	char sig[13];
	bool hv_bit, vmx, svm, answered;
	unsigned int nmis;	/* of SELF_NMIS sent to itself, how many arrived */
};

/* EFI_PROCESSOR_INFORMATION, with room for the extended part. */
struct processor_info {
	u64 processor_id;	/* the APIC ID */
	u32 status, package, core, thread, ext[6];
};

/* EFI_MP_SERVICES_PROTOCOL, the members used here. */
struct mp_services {
	EFI_STATUS (EFIAPI *get_number_of_processors)(struct mp_services *self, UINTN *n,
						      UINTN *nenabled);
	EFI_STATUS (EFIAPI *get_processor_info)(struct mp_services *self, UINTN cpu,
						struct processor_info *info);
	void *startup_all_aps;
	EFI_STATUS (EFIAPI *startup_this_ap)(struct mp_services *self,
					     void (EFIAPI *proc)(void *arg), UINTN cpu,
					     EFI_EVENT wait, UINTN timeout_us, void *arg,
					     BOOLEAN *finished);
	void *switch_bsp, *enable_disable_ap;
	EFI_STATUS (EFIAPI *who_am_i)(struct mp_services *self, UINTN *cpu);
};

#define APIC_ID_REG 0xfee00020UL
#define APIC_ICR_LO 0xfee00300UL
#define APIC_ICR_HI 0xfee00310UL
#define MSR_X2APIC_ID 0x802
#define ICR_INIT_ASSERT 0x4500u
#define ICR_SIPI 0x4600u
#define ICR_NMI 0x4400u
#define SELF_NMIS 2
#define NMI_WAIT_SPINS 20000000UL

static bool x2apic(void)
{
	return rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_X2APIC;
}

static u32 this_apic_id(void)
{
	return x2apic() ? (u32)rdmsr(MSR_X2APIC_ID) : *(volatile u32 *)APIC_ID_REG >> 24;
}

static void send_ipi(u32 apic_id, u32 lo)
{
	if (x2apic()) {
		wrmsr(MSR_X2APIC_ICR, (u64)apic_id << 32 | lo);
		return;
	}
	*(volatile u32 *)APIC_ICR_HI = apic_id << 24;
	*(volatile u32 *)APIC_ICR_LO = lo;
}

/*
 * f: NMIs this CPU sends itself through its local APIC (the real APIC, or
 * the hypervisor performing the guest's ICR write) reach the probe's own
 * NMI handler, one after the other: the second arrives only if the first
 * handler's IRET ended the guest's NMI blocking.  Runs on any CPU (no boot
 * services); returns how many of SELF_NMIS arrived.
 */
static unsigned int self_nmis(void)
{
	static u64 idt[2 * IDT_ENTRIES] __aligned(16);
	u64 flags = read_rflags(), spins;
	u32 start = __atomic_load_n(&probe_nmis, __ATOMIC_ACQUIRE), apic, i;
	struct desc_ptr fw;

	apic = this_apic_id();
	irq_disable();
	if (idt_load_copy(idt, &fw, NMI_VECTOR, probe_nmi_entry)) {
		for (i = 0; i < SELF_NMIS; i++) {
			send_ipi(apic, ICR_NMI);
			for (spins = 0; spins < NMI_WAIT_SPINS &&
			     __atomic_load_n(&probe_nmis, __ATOMIC_ACQUIRE) - start <= i; spins++)
				cpu_relax();
		}
		lidt(&fw);
	}
	if (flags & BIT(9))
		irq_enable();
	return __atomic_load_n(&probe_nmis, __ATOMIC_ACQUIRE) - start;
}

static void EFIAPI ap_cpuid(void *arg)
{
	struct ap_answer *a = arg;
	struct cpuid_regs r = cpuid(0x40000000);

	memcpy(a->sig, &r.ebx, 4);
	memcpy(a->sig + 4, &r.ecx, 4);
	memcpy(a->sig + 8, &r.edx, 4);
	r = cpuid(1);
	a->hv_bit = r.ecx & BIT(31);
	a->vmx = r.ecx & BIT(5);
	a->svm = cpuid(0x80000000).eax >= 0x80000001 && (cpuid(0x80000001).ecx & BIT(2));
	a->nmis = self_nmis();
	__atomic_store_n(&a->answered, true, __ATOMIC_RELEASE);
}

/* Asks AP i again; true when it answered as a guest of tdpvisor. */
static bool ap_is_guest(struct mp_services *mps, UINTN i, struct ap_answer *a)
{
	memset(a, 0, sizeof(*a));
	return !EFI_ERROR(mps->startup_this_ap(mps, ap_cpuid, i, NULL, 1000000, a, NULL)) &&
	       a->answered && !memcmp(a->sig, "tdpvisor", 8);
}

/*
 * badipi: what a guest's wrong INIT/SIPI do to an AP the hypervisor runs.
 * A SIPI to a running CPU is ignored; an INIT without a SIPI leaves it
 * waiting until the firmware's own INIT-SIPI-SIPI; the last step sends it
 * into real-mode code that triple-faults, and the hypervisor must reset the
 * machine as hardware would (the scenario checks its log; this never
 * returns when it does).
 */
static void check_bad_ipis(EFI_BOOT_SERVICES *bs, struct mp_services *mps, UINTN i)
{
	/* cli; lidt cs:[0x10]; int3; jmp $ -- and at 0x10 an empty IDT. */
	static const u8 code[] = { 0xfa, 0x2e, 0x0f, 0x01, 0x1e, 0x10, 0x00, 0xcc, 0xeb, 0xfe };
	EFI_PHYSICAL_ADDRESS page = 0x9ffff;
	struct processor_info info;
	struct ap_answer a;
	u32 apic;

	if (EFI_ERROR(mps->get_processor_info(mps, i, &info)))
		return;
	apic = (u32)info.processor_id;
	send_ipi(apic, ICR_SIPI | 0x9f);
	bs->Stall(10000);
	probe_check(ap_is_guest(mps, i, &a), "cpu%llu: a SIPI while it runs is ignored, it "
		    "still answers as a guest", (unsigned long long)i);
	send_ipi(apic, ICR_INIT_ASSERT);
	bs->Stall(10000);
	probe_check(ap_is_guest(mps, i, &a), "cpu%llu: after an INIT without a SIPI, the "
		    "firmware's INIT-SIPI-SIPI starts it again, as a guest", (unsigned long long)i);
	if (EFI_ERROR(bs->AllocatePages(AllocateMaxAddress, EfiLoaderData, 1, &page))) {
		probe_info("no page below 1 MiB: no triple-fault step");
		return;
	}
	memset((void *)(uintptr_t)page, 0, PAGE_SIZE);
	memcpy((void *)(uintptr_t)page, code, sizeof(code));
	probe_info("cpu%llu: INIT, then SIPI to 0x%llx, code that triple-faults: the machine "
		   "should reset now", (unsigned long long)i, (unsigned long long)page);
	send_ipi(apic, ICR_INIT_ASSERT);
	bs->Stall(10000);
	send_ipi(apic, ICR_SIPI | (u32)(page >> 12));
	bs->Stall(3000000);
	probe_check(false, "cpu%llu: the machine did not reset after the AP's triple fault",
		    (unsigned long long)i);
}

static void EFIAPI ap_init_bsp(void *arg)
{
	send_ipi(*(u32 *)arg, ICR_INIT_ASSERT);
}

/*
 * initbsp (with smp=boot, where the APs run natively): an AP sends the boot
 * CPU a real INIT, as a chipset's INIT# would.  Under VMX it is an INIT
 * exit, and the hypervisor resets the machine (the boot CPU would restart
 * the firmware); this never returns when it does.
 */
static void check_init_to_bsp(EFI_BOOT_SERVICES *bs, struct mp_services *mps, UINTN ap)
{
	static u32 bsp_apic;

	bsp_apic = this_apic_id();
	probe_info("cpu%llu sends an INIT to the boot CPU (APIC ID %u): the machine should "
		   "reset now", (unsigned long long)ap, bsp_apic);
	mps->startup_this_ap(mps, ap_init_bsp, ap, NULL, 1000000, &bsp_apic, NULL);
	bs->Stall(3000000);
	probe_check(false, "the machine did not reset after an INIT to the boot CPU");
}

static void check_every_cpu(EFI_BOOT_SERVICES *bs)
{
	EFI_GUID guid = { 0x3fdda605, 0xa76e, 0x4f46,
			  { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } };
	static struct ap_answer ans[MAX_APS];
	struct mp_services *mps = NULL;
	UINTN n = 0, nen = 0, me = 0, i;

	if (EFI_ERROR(bs->LocateProtocol(&guid, NULL, (void **)&mps)) || !mps ||
	    EFI_ERROR(mps->get_number_of_processors(mps, &n, &nen)) ||
	    EFI_ERROR(mps->who_am_i(mps, &me))) {
		probe_info("no MP services: one CPU checked");
		return;
	}
	probe_info("%llu CPUs, %llu enabled; the probe runs on cpu%llu", (unsigned long long)n,
		   (unsigned long long)nen, (unsigned long long)me);
	for (i = 0; i < n && i < MAX_APS; i++) {
		struct ap_answer *a = &ans[i];
		EFI_STATUS st;
		bool ours;

		if (i == me)
			continue;
		st = mps->startup_this_ap(mps, ap_cpuid, i, NULL, 1000000, a, NULL);
		ours = !EFI_ERROR(st) && a->answered && !memcmp(a->sig, "tdpvisor", 8) &&
		       a->hv_bit && !a->vmx && !a->svm;
		if (pr.allcpus) {
			probe_check(ours, "cpu%llu: CPUID 0x40000000 signature 'tdpvisor', hypervisor "
				    "bit set, VMX and SVM clear (status 0x%llx, seen '%.8s' %u %u %u)",
				    (unsigned long long)i, (unsigned long long)st,
				    a->answered ? a->sig : "", a->hv_bit, a->vmx, a->svm);
			probe_check(a->nmis == SELF_NMIS, "cpu%llu: %u NMIs sent to itself reach "
				    "the probe's NMI handler, one after the other (%u did)",
				    (unsigned long long)i, SELF_NMIS, a->nmis);
		} else
			probe_info("cpu%llu: %s (status 0x%llx, signature '%.8s')",
				   (unsigned long long)i, ours ? "a guest of tdpvisor" : "not a guest",
				   (unsigned long long)st, a->answered ? a->sig : "");
	}
	if (pr.badipi && n > 1)
		check_bad_ipis(bs, mps, me ? 0 : 1);
	if (pr.initbsp && n > 1)
		check_init_to_bsp(bs, mps, me ? 0 : 1);
}

static void emulator_exit(void)
{
	const char *s = "Shutdown";

	if (pr.exit == EXIT_QEMU) {
		outb(QEMU_DEBUG_EXIT_PORT, pr.failed ? 1 : 0);
	} else if (pr.exit == EXIT_BOCHS) {
		if (!pr.failed)
			bochs_magic_break();
		else
			while (*s)
				outb(BOCHS_SHUTDOWN_PORT, (u8)*s++);
	}
}

static void read_vendor(void)
{
	struct cpuid_regs r = cpuid(0);
	char v[13] = { 0 };

	memcpy(v, &r.ebx, 4);
	memcpy(v + 4, &r.edx, 4);
	memcpy(v + 8, &r.ecx, 4);
	pr.intel = !strcmp(v, "GenuineIntel");
	pr.amd = !strcmp(v, "AuthenticAMD") || !strcmp(v, "HygonGenuine");
	probe_info("CPU vendor %s: hypercalls by %s", v, pr.intel ? "VMCALL" : "VMMCALL");
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_BOOT_SERVICES *bs = systab->BootServices;
	EFI_STATUS status;
	unsigned int n;
	bool ours;

	pr.con = systab->ConOut;
	read_options(image, bs);
	probe_info("probe.efi starting, image at 0x%llx",
		   (unsigned long long)(uintptr_t)efi_main);
	read_vendor();
	if (pr.die) {
		probe_info("die: an SSE load from the local APIC at 0x%lx", APIC_ID_REG);
		probe_info("die: it read 0x%llx and the guest lives on",
			   (unsigned long long)probe_read128(APIC_ID_REG));
	}
	ours = check_cpuid();
	check_msrs();
	n = self_nmis();
	probe_check(n == SELF_NMIS, "NMI: %u NMIs sent to itself reach the probe's NMI handler, "
		    "one after the other (%u did)", SELF_NMIS, n);
	if (ours) {
		check_hv_memory();
		check_tsc();
		probe_memtypes(pr.intel, (u64)(uintptr_t)efi_main, high_ram(bs), pr.allcpus);
		if (hvmem.count) {
			probe_mtrr_guard(hvmem.range[0].base);
			probe_guards(pr.intel, pr.amd, free_page(bs), hvmem.range[0].base);
		}
		check_every_cpu(bs);
		probe_smi(bs);
	} else {
		probe_info("not under tdpvisor: no hypercalls, no memory checks");
	}
	status = pr.failed ? EFI_ABORTED : EFI_SUCCESS;
	probe_line("%u passed, %u failed", pr.passed, pr.failed);
	emulator_exit();
	probe_line("returning %s to the firmware", status ? "EFI_ABORTED" : "EFI_SUCCESS");
	return status;
}
