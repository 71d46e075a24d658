// SPDX-License-Identifier: GPL-2.0
/*
 * adversary — a hostile root user inside the default guest: attacks the
 * hypervisor under it with what an OS user can do, and says for each attack
 * what it did and what it saw (statically linked, runs from the initramfs
 * as root).
 *
 * Usage: adversary [ATTACK...] [hidden=A-B[,A-B...]]
 *   ATTACK   one or more of the names below, or `all` (the default)
 *   hidden=  the hypervisor's hidden ranges (hex, inclusive); by default
 *            HC_HV_MEMORY names them, asked at CPL 0 by the kernel module
 *            tdpvisor_hc (/lib/tdpvisor_hc.ko, loaded here; a hypercall
 *            from CPL 3 raises #UD); without the module they are found as
 *            smpcheck finds them: the firmware map's Reserved ranges at or
 *            above 1 MiB whose sampled words read as all ones
 *
 * The attacks on hidden memory use, in each hidden range, its first and its
 * last page mapped from /dev/mem (uncached, read-write).  What they expect is
 * what the hypervisor promises (docs/platform.md): every page of the hidden
 * ranges maps one scratch page of the guest's own, all ones at the start,
 * on which every instruction runs natively.  So hidden memory behaves as
 * ordinary memory aliased across all hidden pages: a write at offset O of
 * one page reads back at offset O of every other (in the other range too),
 * an instruction leaves its architectural result (registers, flags, the
 * old value of an atomic), nothing faults and the guest goes on.  Each
 * attack (in a child process) first writes all ones over one hidden page,
 * which resets the scratch page, then keeps a model of that page in step
 * with every write it makes and compares every read of hidden memory with
 * it byte for byte, and ends by reading every word of every page it uses.
 * It writes only the bytes 0xff and POISON (0xa5) there, so a byte read
 * that is neither is not the guest's own: its FAIL line names the address
 * and value as a possible leak of hypervisor data.  Afterwards (and at the
 * end of the program) all ones are written back, so the ranges read as
 * all ones again for smpcheck and memcheck.
 *
 *   mov        1, 2, 4 and 8-byte MOV reads (aligned and not) and writes
 *              at 6 offsets of each page, each width read back at another
 *              page; 8-byte reads and writes across each edge of each range
 *              where /dev/mem maps the page on the other side (not RAM)
 *   string     rep movsq from hidden memory and to it (read back from
 *              another page by rep movsq), rep movsq backwards (DF=1) both
 *              ways, rep movsb at an odd offset, rep stosb over a page and
 *              at an odd offset and count; the registers after each (RCX
 *              0, RSI/RDI moved by the count, DF clear after cld) and the
 *              buffer in guest RAM (filled exactly, the guard bytes around
 *              it kept)
 *   sse        movdqu, movaps, movntdqa (SSE4.1) loads; movdqu, movaps,
 *              movntdq stores of POISON, loaded back at another page, and
 *              of all ones there, loaded back here
 *   avx        vmovdqu ymm loads and unaligned stores, the same way
 *              (skipped without AVX enabled in XCR0)
 *   atomic     lock xadd, xchg, lock cmpxchg (equal and not), lock and,
 *              lock or, cmpxchg16b (if CPUID has it; equal and not), each
 *              done on one page and undone at another: the old values in
 *              the registers, CF/ZF/SF/OF, and memory as ordinary memory
 *              gives them
 *   io         after ioperm() and iopl(3), string I/O on ports the
 *              hypervisor intercepts: outsb and rep outsb of reset control
 *              0xcf9 (its own value, bit 2 -- the reset -- clear), insb, rep
 *              insb (and backwards) and rep insw of the keyboard
 *              controller's status 0x64.  RCX/RSI/RDI after each, the
 *              buffer filled exactly, and the status bytes as a plain inb
 *              reads them (OBF, IBF and AUX-OBF may change meanwhile); rep
 *              insb and rep outsb with RCX 0 move nothing
 *   io-fault   insb into a read-only page and outsb from a PROT_NONE page:
 *              SIGSEGV each (the page fault the CPU would raise), the page
 *              unchanged; rep insb of 16 bytes starting 8 bytes before a
 *              read-only page: the 8 land, then SIGSEGV with RCX 8 and RDI
 *              at the read-only page
 *   tf         RFLAGS.TF set by popf over CPUID (four leaves), inb from
 *              0x64 and from 0xcf9 (both intercepted) and plain
 *              instructions: one SIGTRAP after every instruction, at the
 *              address after it, none lost and none extra
 *   tf-string  the same over insb from 0x64 and outsb to 0xcf9
 *   tf-mmio    the same over MOV loads and a store of hidden memory
 *   hypercall-user    VMMCALL and VMCALL from CPL 3 with the tdpvisor
 *              numbers (HC_VERSION, HC_HV_MEMORY) and KVM's (1, 5) and RBX
 *              pointing at a buffer: SIGILL (#UD) each, the buffer unchanged
 *   hypercall-kernel  the calls tdpvisor_hc made at CPL 0 (see
 *              tdpvisor_hc.c): KVM's numbers 1, 5, 9, 10, 12, the numbers
 *              just outside the hypercall space and HC_HV_MEMORY with bits
 *              above 31 set answer -ENOSYS and leave the page at RBX as it
 *              was; HC_HV_MEMORY, HC_STATS, HC_LOG_READ and HC_GPA_MAPPING
 *              told to write at a hidden range's first byte write into the
 *              scratch page as into any guest memory and answer as usual
 *              (0, or the bytes copied), and the page read right after the
 *              module loaded holds the last call's struct hc_gpa_mapping
 *              (the module's own page, mapped RW at hpa = gpa), the log
 *              text HC_LOG_READ copied, and all ones: nothing else;
 *              HC_VERSION answers ABI 2.x
 *   flood      100,000 8-byte reads of hidden memory in a tight loop, all
 *              ones (the first touch of a hidden page is the hypervisor's
 *              one fault and log line for it; the scenario checks that its
 *              log stays short)
 *   sleep      after ioperm() and iopl(3), on each online CPU in turn
 *              (pinned by sched_setaffinity), the ACPI S3 sleep write --
 *              SLP_EN with \_S3_'s SLP_TYP (the DSDT's Name (_S3_,
 *              Package) read the simple way) -- to PM1a control (the
 *              FADT's PM1a_CNT_BLK) as a word, then its high byte to
 *              PM1a+1, only while the FACS holds no waking vector (else,
 *              or without the tables or \_S3_, skipped): with nowhere for
 *              the OS to wake, the hypervisor keeps the machine awake.
 *              After each write the process still runs on that CPU, PM1a's
 *              SLP_TYP reads as before (the write did not reach the
 *              hardware) and the hypervisor's log -- HC_LOG_READ through
 *              tdpvisor_hc's /proc/tdpvisor_hc_log -- gained exactly one
 *              "cpuN asks to sleep, but the OS set no waking vector" line,
 *              N that CPU's number in the hypervisor's "smp: cpuN: APIC
 *              ID X" line (Linux's number if the ring no longer holds it)
 *
 * They run in the order of attacks[] (below), not of this list.
 *
 * Nothing here writes 0xfe to port 0x64, bit 2 to 0xcf9, or SLP_EN to the
 * PM1 control ports with any sleep type but S3's, or with S3's while the
 * FACS holds a waking vector: those reset, switch off or suspend the
 * machine.
 *
 * Output: first, whatever the attacks, where the hidden ranges come from
 * ("adversary: hidden ranges from HC_HV_MEMORY ..." or "... from the
 * firmware map: WHY") and "adversary: hidden range [0xA-0xB]" for each
 * (without any, the attacks on hidden memory do not run); then one line per
 * attack, "adversary: ok NAME: ...", "adversary: FAIL NAME: ..." or
 * "adversary: skip NAME: ..." (the CPU lacks the instructions, or the
 * machine what the attack needs), and
 * "adversary: N passed, M failed, K skipped".  Exit 0 when nothing failed,
 * 1 otherwise or on a usage error.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGE 4096UL
#define ONE_MIB (1024ULL * 1024ULL)
#define MAX_RANGES 8
#define MAX_RESERVED 64
#define SAMPLE_PAGES 4
#define POISON 0xa5
#define POISON64 UINT64_C(0xa5a5a5a5a5a5a5a5)
#define ONES64 (~UINT64_C(0))
#define FLOOD_READS 100000

#define KBC_STATUS 0x64
#define RESET_CONTROL 0xcf9
#define RESET_CONTROL_RESET 0x04	/* never set here */
/* The status bits the controller changes by itself. */
#define KBC_VOLATILE 0x23		/* OBF, IBF, AUX-OBF */

/* The hypercall ABI's numbers (include/vm/hypercall.h). */
#define HC_BASE 0x74647000ULL
#define HC_VERSION (HC_BASE + 0x0)
#define HC_HV_MEMORY (HC_BASE + 0x3)
#define KVM_HC_VAPIC_POLL_IRQ 1
#define KVM_HC_KICK_CPU 5
/* What the hypervisor answers (include/errcode.h). */
#define HV_ENOSYS 38
#define HV_EFAULT 14

#define GATE_KO "/lib/tdpvisor_hc.ko"
#define GATE_PARAMS "/sys/module/tdpvisor_hc/parameters/"

struct range {
	uint64_t start, end;	/* inclusive */
};

/* A page of hidden memory mapped for the attacks. */
struct target {
	uint64_t pa;
	volatile uint8_t *va;
};

static struct range hidden[MAX_RANGES];
static int nhidden;
static struct target targets[2 * MAX_RANGES];
static int ntargets;
static int mem_fd = -1;
static unsigned int passed, failed, skipped;

/* ---- output --------------------------------------------------------------- */

/*
 * A line out, and on the wire: the hypervisor writes its own lines to the
 * same UART, so before the next attack wait until the tty has sent
 * everything (not a tty: nothing to wait for).
 */
static void line_out(const char *tag, const char *name, const char *fmt, va_list ap)
{
	printf("adversary: %s%s%s", tag, name, name[0] ? ": " : "");
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	tcdrain(STDOUT_FILENO);
}

static void __attribute__((format(printf, 3, 4))) report(bool ok, const char *name,
							  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_out(ok ? "ok " : "FAIL ", name, fmt, ap);
	va_end(ap);
	if (ok)
		passed++;
	else
		failed++;
}

static void __attribute__((format(printf, 2, 3))) skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_out("skip ", name, fmt, ap);
	va_end(ap);
	skipped++;
}

static void __attribute__((format(printf, 1, 2))) info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	line_out("", "", fmt, ap);
	va_end(ap);
}

/*
 * What an attack saw, gathered over its steps: the first problem is kept
 * (as text) and the rest only counted.
 */
struct verdict {
	unsigned int steps, bad;
	char first[400];
};

static void __attribute__((format(printf, 3, 4))) step(struct verdict *v, bool ok,
						       const char *fmt, ...)
{
	va_list ap;

	v->steps++;
	if (ok)
		return;
	if (!v->bad++) {
		va_start(ap, fmt);
		vsnprintf(v->first, sizeof(v->first), fmt, ap);
		va_end(ap);
	}
}

/* One line for the attack: ok with WHAT, or FAIL with the first problem. */
static void conclude(const struct verdict *v, const char *name, const char *what)
{
	if (!v->bad)
		report(true, name, "%s: %u steps as expected", what, v->steps);
	else
		report(false, name, "%s: %u of %u steps wrong, first: %s", what, v->bad, v->steps,
		       v->first);
}

/* ---- faults ---------------------------------------------------------------- */

/*
 * Each attack runs in a child process of its own.  A fault the attack did
 * not ask for (SIGSEGV, SIGBUS, SIGILL, SIGFPE) ends the child with a FAIL
 * line that names the attack, the step it was at, the signal and where.
 * An instruction that is meant to fault stores the address to go on at in
 * resume_rip first (see RESUMABLE): the handler records the signal and the
 * address the kernel reported in fault_sig and fault_addr, and returns
 * there.
 */
static const char *attack_name = "setup";
static char step_what[160] = "starting";
static volatile uintptr_t resume_rip;
static volatile sig_atomic_t fault_sig;
static void *volatile fault_addr;
static volatile uint64_t fault_rcx, fault_rdi;	/* at the faulting instruction */

/* What the attack is doing now, for the FAIL line of an unasked-for fault. */
static void __attribute__((format(printf, 1, 2))) doing(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(step_what, sizeof(step_what), fmt, ap);
	va_end(ap);
}

static void fault_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	char line[400];
	int n;

	if (resume_rip) {
		fault_sig = sig;
		fault_addr = si->si_addr;
		fault_rcx = (uint64_t)uc->uc_mcontext.gregs[REG_RCX];
		fault_rdi = (uint64_t)uc->uc_mcontext.gregs[REG_RDI];
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)resume_rip;
		resume_rip = 0;
		return;
	}
	n = snprintf(line, sizeof(line), "adversary: FAIL %s: %s: signal %d (%s) at RIP 0x%llx, "
		     "address %p\n", attack_name, step_what, sig, strsignal(sig),
		     (unsigned long long)uc->uc_mcontext.gregs[REG_RIP], si->si_addr);
	if (write(STDOUT_FILENO, line, (size_t)n) < 0)
		_exit(3);
	_exit(2);
}

static void fault_install(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Inline-asm text around an instruction meant to fault: resume_rip gets
 * the address after it (local label 9), where a fault goes on. */
#define RESUMABLE(insn) "leaq 9f(%%rip), %%r11; movq %%r11, %[resume]; " insn "; 9:"

/* ---- the instructions ----------------------------------------------------- */

static inline uint8_t rd8(const volatile void *p)
{
	uint8_t v;

	__asm__ volatile("movb (%1), %0" : "=q"(v) : "r"(p) : "memory");
	return v;
}

static inline uint16_t rd16(const volatile void *p)
{
	uint16_t v;

	__asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(p) : "memory");
	return v;
}

static inline uint32_t rd32(const volatile void *p)
{
	uint32_t v;

	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(p) : "memory");
	return v;
}

static inline uint64_t rd64(const volatile void *p)
{
	uint64_t v;

	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(p) : "memory");
	return v;
}

static inline void wr8(volatile void *p, uint8_t v)
{
	__asm__ volatile("movb %1, (%0)" : : "r"(p), "q"(v) : "memory");
}

static inline void wr16(volatile void *p, uint16_t v)
{
	__asm__ volatile("movw %1, (%0)" : : "r"(p), "r"(v) : "memory");
}

static inline void wr32(volatile void *p, uint32_t v)
{
	__asm__ volatile("movl %1, (%0)" : : "r"(p), "r"(v) : "memory");
}

static inline void wr64(volatile void *p, uint64_t v)
{
	__asm__ volatile("movq %1, (%0)" : : "r"(p), "r"(v) : "memory");
}

/* The string instructions: each returns the registers it leaves in *regs
 * (RCX, RSI, RDI) so the caller can check them. */
struct sregs {
	uint64_t rcx, rsi, rdi;
};

static void rep_movsq(volatile void *dst, const volatile void *src, uint64_t n, bool backwards,
		      struct sregs *r)
{
	uint64_t c = n, s = (uintptr_t)src, d = (uintptr_t)dst;

	if (backwards)
		__asm__ volatile("std; rep movsq; cld" : "+c"(c), "+S"(s), "+D"(d) : : "memory");
	else
		__asm__ volatile("rep movsq" : "+c"(c), "+S"(s), "+D"(d) : : "memory");
	r->rcx = c;
	r->rsi = s;
	r->rdi = d;
}

static void rep_movsb(void *dst, const volatile void *src, uint64_t n, struct sregs *r)
{
	uint64_t c = n, s = (uintptr_t)src, d = (uintptr_t)dst;

	__asm__ volatile("rep movsb" : "+c"(c), "+S"(s), "+D"(d) : : "memory");
	r->rcx = c;
	r->rsi = s;
	r->rdi = d;
}

static void rep_stosb(volatile void *dst, uint8_t val, uint64_t n, struct sregs *r)
{
	uint64_t c = n, d = (uintptr_t)dst;

	__asm__ volatile("rep stosb" : "+c"(c), "+D"(d) : "a"(val) : "memory");
	r->rcx = c;
	r->rsi = 0;
	r->rdi = d;
}

static void ins(unsigned int size, bool rep, bool backwards, uint16_t port, void *dst,
		uint64_t n, struct sregs *r)
{
	uint64_t c = n, d = (uintptr_t)dst;

	if (size == 1 && !rep)
		__asm__ volatile("insb" : "+D"(d) : "d"(port) : "memory");
	else if (size == 1 && backwards)
		__asm__ volatile("std; rep insb; cld" : "+c"(c), "+D"(d) : "d"(port) : "memory");
	else if (size == 1)
		__asm__ volatile("rep insb" : "+c"(c), "+D"(d) : "d"(port) : "memory");
	else
		__asm__ volatile("rep insw" : "+c"(c), "+D"(d) : "d"(port) : "memory");
	r->rcx = rep ? c : 0;
	r->rsi = 0;
	r->rdi = d;
}

static void outs(bool rep, uint16_t port, const void *src, uint64_t n, struct sregs *r)
{
	uint64_t c = n, s = (uintptr_t)src;

	if (!rep)
		__asm__ volatile("outsb" : "+S"(s) : "d"(port) : "memory");
	else
		__asm__ volatile("rep outsb" : "+c"(c), "+S"(s) : "d"(port) : "memory");
	r->rcx = rep ? c : 0;
	r->rsi = s;
	r->rdi = 0;
}

static inline uint8_t port_in8(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t port_in16(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* ---- CPU features --------------------------------------------------------- */

static bool cpu_is_intel(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;	/* GenuineIntel */
}

static bool has_leaf1_ecx(unsigned int bit)
{
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	return c & (1U << bit);
}

/* AVX usable: CPUID says AVX and OSXSAVE, and the OS enabled SSE and AVX
 * state in XCR0. */
static bool avx_usable(void)
{
	uint32_t lo, hi;

	if (!has_leaf1_ecx(28) || !has_leaf1_ecx(27))
		return false;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

/* ---- hidden memory: finding and mapping ----------------------------------- */

static int read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	return 0;
}

/* The Reserved ranges of the firmware's memory map at or above 1 MiB. */
static int reserved_ranges(struct range *r, int max)
{
	DIR *dir = opendir("/sys/firmware/memmap");
	struct dirent *e;
	char path[300], buf[64];
	int n = 0;

	if (!dir)
		return -1;
	while ((e = readdir(dir)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%s/type", e->d_name);
		if (read_text(path, buf, sizeof(buf)) || strcmp(buf, "Reserved\n"))
			continue;
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%s/start", e->d_name);
		if (read_text(path, buf, sizeof(buf)))
			continue;
		r[n].start = strtoull(buf, NULL, 16);
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%s/end", e->d_name);
		if (read_text(path, buf, sizeof(buf)))
			continue;
		r[n].end = strtoull(buf, NULL, 16);
		if (r[n].start >= ONE_MIB && r[n].end > r[n].start)
			n++;
	}
	closedir(dir);
	return n;
}

static volatile uint8_t *map_page(uint64_t pa)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mem_fd, (off_t)pa);

	return p == MAP_FAILED ? NULL : p;
}

/* R reads as hidden memory: the first and last word of SAMPLE_PAGES pages
 * spread over it are all ones (8-byte MOVs, which every hypervisor version
 * handles). */
static bool looks_hidden(const struct range *r)
{
	uint64_t pages = (r->end - r->start + 1) / PAGE, i;

	if (!pages)
		return false;
	for (i = 0; i < SAMPLE_PAGES; i++) {
		uint64_t pa = r->start + i * (pages - 1) / (SAMPLE_PAGES - 1) * PAGE;
		volatile uint8_t *p = map_page(pa);
		bool ones;

		if (!p)
			return false;
		ones = rd64(p) == ONES64 && rd64(p + PAGE - 8) == ONES64;
		munmap((void *)p, PAGE);
		if (!ones)
			return false;
	}
	return true;
}

static int parse_ranges(const char *s)
{
	while (*s) {
		char *end;

		if (nhidden == MAX_RANGES)
			return -1;
		hidden[nhidden].start = strtoull(s, &end, 16);
		if (*end != '-')
			return -1;
		hidden[nhidden].end = strtoull(end + 1, &end, 16);
		if ((*end && *end != ',') || hidden[nhidden].end <= hidden[nhidden].start)
			return -1;
		nhidden++;
		s = *end ? end + 1 : end;
	}
	return nhidden ? 0 : -1;
}

/* tdpvisor_hc was loaded by this run; then gate_page is what its calls
 * wrote into hidden memory (a copy of the first target page taken right
 * after, see setup_hidden()), when gate_page_valid. */
static bool gate_loaded_here, gate_page_valid;
static uint8_t gate_page[PAGE];

/* tdpvisor_hc loaded (now, which sets gate_loaded_here, or before): 0, or
 * -errno. */
static int load_gate(void)
{
	int fd = open(GATE_KO, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (!syscall(SYS_finit_module, fd, "", 0))
		gate_loaded_here = true;
	else if (errno != EEXIST)
		err = -errno;
	close(fd);
	return err;
}

/* The hidden ranges HC_HV_MEMORY gives (through tdpvisor_hc): 0, or
 * -errno with *why saying what failed. */
static int hidden_from_gate(const char **why)
{
	char buf[256];
	int err = load_gate();

	if (err) {
		*why = "cannot load " GATE_KO;
		return err;
	}
	if (read_text(GATE_PARAMS "hidden", buf, sizeof(buf))) {
		*why = "cannot read " GATE_PARAMS "hidden";
		return -errno;
	}
	buf[strcspn(buf, "\n")] = 0;
	if (parse_ranges(buf)) {
		nhidden = 0;
		*why = "tdpvisor_hc has no HC_HV_MEMORY answer (not under tdpvisor?)";
		return -ENODATA;
	}
	return 0;
}

/* The hidden ranges (given, or found) and their first and last pages
 * mapped; false with a FAIL line when there are none. */
static bool setup_hidden(void)
{
	struct range res[MAX_RESERVED];
	int i, n, err;

	mem_fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (mem_fd < 0) {
		report(false, "setup", "cannot open /dev/mem: %s", strerror(errno));
		return false;
	}
	if (!nhidden) {
		const char *why = "";

		err = hidden_from_gate(&why);
		if (!err)
			info("hidden ranges from HC_HV_MEMORY (tdpvisor_hc, CPL 0)");
		else
			info("hidden ranges from the firmware map: %s: %s", why, strerror(-err));
	}
	if (!nhidden) {
		n = reserved_ranges(res, MAX_RESERVED);
		for (i = 0; i < n && nhidden < MAX_RANGES; i++)
			if (looks_hidden(&res[i]))
				hidden[nhidden++] = res[i];
	}
	for (i = 0; i < nhidden; i++) {
		uint64_t first = hidden[i].start & ~(PAGE - 1);
		uint64_t last = (hidden[i].end & ~(PAGE - 1));
		uint64_t pas[2] = { first, last };
		int k;

		info("hidden range [0x%" PRIx64 "-0x%" PRIx64 "]", hidden[i].start, hidden[i].end);
		for (k = 0; k < (first == last ? 1 : 2); k++) {
			volatile uint8_t *p = map_page(pas[k]);

			if (!p) {
				report(false, "setup", "cannot map 0x%" PRIx64 " from /dev/mem: %s",
				       pas[k], strerror(errno));
				continue;
			}
			targets[ntargets].pa = pas[k];
			targets[ntargets].va = p;
			ntargets++;
		}
	}
	if (!ntargets) {
		report(false, "setup", "no hidden range found (no Reserved range at or above "
		       "1 MiB reads as all ones) or none could be mapped");
		return false;
	}
	/* What the module's calls wrote into hidden memory, before anything
	 * else writes there (hypercall-kernel judges it). */
	if (gate_loaded_here) {
		size_t k;

		doing("reading 0x%" PRIx64 " after tdpvisor_hc's calls", targets[0].pa);
		for (k = 0; k < PAGE; k += 8) {
			uint64_t w = rd64(targets[0].va + k);

			memcpy(gate_page + k, &w, 8);
		}
		gate_page_valid = true;
	}
	return true;
}

/* ---- hidden memory: what it must read as ----------------------------------- */

/*
 * Every page of the hidden ranges is one scratch page of the guest's own
 * (docs/platform.md): model is what that page must hold now.  The attacks
 * keep it in step with every write they make, and every read of hidden
 * memory is compared with it, byte for byte.  Nothing here ever writes a
 * byte other than 0xff or POISON there, so a byte read that is neither is
 * not the guest's own: it would be the hypervisor's data.
 */
static uint8_t model[PAGE];

/*
 * The scratch page back to all ones: 8-byte stores of all ones over one
 * whole hidden page (which rewrites the one page behind them all), and the
 * model with it.
 */
static void scratch_reset(void)
{
	size_t i;

	if (!ntargets)
		return;
	doing("all ones written over 0x%" PRIx64, targets[0].pa);
	for (i = 0; i < PAGE; i += 8)
		wr64(targets[0].va + i, ONES64);
	memset(model, 0xff, sizeof(model));
}

/* The model after a write of LEN bytes of BYTE at offset OFF of any page. */
static void model_fill(size_t off, uint8_t byte, size_t len)
{
	memset(model + off, byte, len);
}

/*
 * GOT (LEN bytes, read from hidden memory at PA) is WANT, byte for byte: a
 * step of V.  The first byte that differs is named by its address, and
 * how many differ; the first byte that is neither 0xff nor POISON, which
 * nothing here ever writes, is named too as a possible leak of hypervisor
 * data.
 */
static void expect_mem(struct verdict *v, const char *how, uint64_t pa, const void *got,
		       const void *want, size_t len)
{
	const uint8_t *g = got, *w = want;
	size_t i, first = len, alien = len, diff = 0;
	char leak[120] = "";

	for (i = 0; i < len; i++) {
		if (g[i] == w[i])
			continue;
		if (first == len)
			first = i;
		diff++;
		if (alien == len && g[i] != 0xff && g[i] != POISON)
			alien = i;
	}
	if (first == len) {
		step(v, true, "%s", how);
		return;
	}
	if (alien < len)
		snprintf(leak, sizeof(leak), "; 0x%" PRIx64 " reads 0x%02x, neither 0xff nor 0xa5: "
			 "a possible leak of hypervisor data", pa + alien, g[alien]);
	step(v, false, "%s: 0x%" PRIx64 " reads 0x%02x, want 0x%02x (%zu of %zu bytes differ)%s",
	     how, pa + first, g[first], w[first], diff, len, leak);
}

/* GOT (LEN bytes read from hidden memory at offset OFF of the page at PA)
 * is what the model holds there. */
static void expect_model_at(struct verdict *v, const char *how, uint64_t pa, size_t off,
			    const void *got, size_t len)
{
	expect_mem(v, how, pa + off, got, model + off, len);
}

/* Every word of every target page, by 8-byte MOVs: the model. */
static void expect_model(struct verdict *v, const char *after)
{
	char how[96];
	int t;

	snprintf(how, sizeof(how), "every page after %s", after);
	for (t = 0; t < ntargets; t++) {
		uint64_t w[PAGE / 8];
		size_t i;

		doing("reading 0x%" PRIx64 " after %s", targets[t].pa, after);
		for (i = 0; i < PAGE / 8; i++)
			w[i] = rd64(targets[t].va + 8 * i);
		expect_model_at(v, how, targets[t].pa, 0, w, sizeof(w));
	}
}

/* The page written next to T: the next target, so a write to a range's
 * last page is read back in the other range. */
static int other(int t)
{
	return (t + 1) % ntargets;
}

/* A step that must not fault: an unasked-for fault ends the attack with a
 * FAIL line that names WHAT and PA (see fault_handler()). */
#define no_fault(v, what, pa, stmt)                                                    \
	do {                                                                           \
		doing("%s at 0x%" PRIx64, what, (uint64_t)(pa));                       \
		stmt;                                                                  \
		step(v, true, "%s", what);                                             \
	} while (0)

/* ---- attacks on hidden memory ---------------------------------------------- */

/*
 * 8-byte reads across each edge of each hidden range, where /dev/mem maps
 * the page on the other side too (Linux refuses RAM): the hidden bytes
 * read as the model, the neighbour's bytes as the same read of the
 * neighbour alone gives them.  An 8-byte write across the edge as well, of
 * the neighbour's own bytes with POISON in the hidden half: read back
 * across the edge and at the same offset of every other hidden page.
 */
static void straddle(struct verdict *v)
{
	int i, edge;

	for (i = 0; i < nhidden; i++) {
		for (edge = 0; edge < 2; edge++) {
			/* Two pages: the hidden one second (start) or first (end). */
			uint64_t pa = edge ? (hidden[i].end & ~(PAGE - 1)) :
				(hidden[i].start & ~(PAGE - 1)) - PAGE;
			volatile uint8_t *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
						   MAP_SHARED, mem_fd, (off_t)pa);
			volatile uint8_t *q = (volatile uint8_t *)p + PAGE - 4;
			size_t hoff = edge ? PAGE - 4 : 0;	/* the hidden half's offset */
			uint64_t got, alone, want;
			uint32_t half;

			if (p == MAP_FAILED) {
				info("mov: the neighbour of 0x%" PRIx64 " (%s) is not mapped by "
				     "/dev/mem: no read across that edge", edge ? hidden[i].end :
				     hidden[i].start, edge ? "end" : "start");
				continue;
			}
			doing("8-byte read across 0x%" PRIx64, pa + PAGE);
			alone = rd32(edge ? q + 4 : q);
			got = rd64(q);
			memcpy(&half, model + hoff, 4);
			want = edge ? (alone << 32) | half : ((uint64_t)half << 32) | alone;
			step(v, got == want, "8-byte read across 0x%" PRIx64 ": 0x%016" PRIx64
			     ", want 0x%016" PRIx64, pa + PAGE, got, want);
			doing("8-byte write across 0x%" PRIx64, pa + PAGE);
			want = edge ? (alone << 32) | (uint32_t)POISON64 :
				((uint64_t)(uint32_t)POISON64 << 32) | alone;
			wr64(q, want);
			model_fill(hoff, POISON, 4);
			got = rd64(q);
			step(v, got == want, "8-byte read across 0x%" PRIx64 " after a write: "
			     "0x%016" PRIx64 ", want 0x%016" PRIx64, pa + PAGE, got, want);
			munmap((void *)p, 2 * PAGE);
			expect_model(v, "an 8-byte write across a range's edge");
			wr32(targets[0].va + hoff, (uint32_t)ONES64);
			model_fill(hoff, 0xff, 4);
		}
	}
}

static void attack_mov(void)
{
	static const unsigned int offs[] = { 0, 1, 3, 7, 0x800, PAGE - 8 };
	struct verdict v = { 0 };
	unsigned int i;
	int t;

	for (t = 0; t < ntargets; t++) {
		volatile uint8_t *p = targets[t].va, *o = targets[other(t)].va;
		uint64_t pa = targets[t].pa, opa = targets[other(t)].pa;

		for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
			volatile uint8_t *q = p + offs[i], *r = o + offs[i];
			uint64_t w = 0;
			uint8_t b;
			uint16_t h;
			uint32_t d;

			no_fault(&v, "1/2/4/8-byte reads", pa + offs[i],
				 b = rd8(q); h = rd16(q); d = rd32(q); w = rd64(q));
			expect_model_at(&v, "1-byte read", pa, offs[i], &b, 1);
			expect_model_at(&v, "2-byte read", pa, offs[i], &h, 2);
			expect_model_at(&v, "4-byte read", pa, offs[i], &d, 4);
			expect_model_at(&v, "8-byte read", pa, offs[i], &w, 8);

			/* Each width written here, read back at the other page. */
			no_fault(&v, "1-byte write", pa + offs[i], wr8(q, POISON));
			model_fill(offs[i], POISON, 1);
			w = rd64(r);
			expect_model_at(&v, "8-byte read after a 1-byte write elsewhere", opa,
					offs[i], &w, 8);
			no_fault(&v, "2-byte write", pa + offs[i], wr16(q, (uint16_t)POISON64));
			model_fill(offs[i], POISON, 2);
			w = rd64(r);
			expect_model_at(&v, "8-byte read after a 2-byte write elsewhere", opa,
					offs[i], &w, 8);
			no_fault(&v, "4-byte write", pa + offs[i], wr32(q, (uint32_t)POISON64));
			model_fill(offs[i], POISON, 4);
			w = rd64(r);
			expect_model_at(&v, "8-byte read after a 4-byte write elsewhere", opa,
					offs[i], &w, 8);
			no_fault(&v, "8-byte write", pa + offs[i], wr64(q, POISON64));
			model_fill(offs[i], POISON, 8);
			b = rd8(r);
			h = rd16(r);
			d = rd32(r);
			expect_model_at(&v, "1-byte read after an 8-byte write elsewhere", opa,
					offs[i], &b, 1);
			expect_model_at(&v, "2-byte read after an 8-byte write elsewhere", opa,
					offs[i], &h, 2);
			expect_model_at(&v, "4-byte read after an 8-byte write elsewhere", opa,
					offs[i], &d, 4);

			/* All ones written back at the other page, read here. */
			no_fault(&v, "8-byte write", opa + offs[i], wr64(r, ONES64));
			model_fill(offs[i], 0xff, 8);
			w = rd64(q);
			expect_model_at(&v, "8-byte read after an 8-byte write elsewhere", pa,
					offs[i], &w, 8);
		}
		expect_model(&v, "mov");
	}
	straddle(&v);
	expect_model(&v, "mov");
	conclude(&v, "mov", "1/2/4/8-byte MOV reads and writes at 6 offsets of each page "
		 "(and across a range's edges where /dev/mem maps the neighbour): each write read "
		 "back at the same offset of another hidden page, no other data");
}

/* The string registers after N elements of SIZE bytes from SRC to DST:
 * RCX 0, RSI/RDI moved by N*SIZE (down when BACKWARDS; 0 = not used). */
static void expect_sregs(struct verdict *v, const char *what, uint64_t pa, const struct sregs *r,
			 uint64_t src, uint64_t dst, uint64_t bytes, bool backwards)
{
	uint64_t ws = backwards ? src - bytes : src + bytes;
	uint64_t wd = backwards ? dst - bytes : dst + bytes;

	step(v, r->rcx == 0 && (!src || r->rsi == ws) && (!dst || r->rdi == wd),
	     "%s at 0x%" PRIx64 ": RCX 0x%" PRIx64 " (want 0), RSI moved by %" PRId64
	     " (want %s%" PRIu64 "), RDI moved by %" PRId64 " (want %s%" PRIu64 ")", what, pa,
	     r->rcx, src ? (int64_t)(r->rsi - src) : 0, backwards ? "-" : "", src ? bytes : 0,
	     dst ? (int64_t)(r->rdi - dst) : 0, backwards ? "-" : "", dst ? bytes : 0);
}

/* BUF[GUARD..GUARD+LEN) was written and the guard bytes around it were not
 * (they hold CANARY). */
#define GUARD_BYTES 64
static void expect_guards(struct verdict *v, const char *what, const uint8_t *buf, size_t len,
			  uint8_t canary)
{
	size_t i, bad = 0;

	for (i = 0; i < GUARD_BYTES; i++)
		bad += (buf[i] != canary) + (buf[GUARD_BYTES + len + i] != canary);
	step(v, !bad, "%s: %zu guard bytes around the %zu-byte buffer overwritten", what, bad,
	     len);
}

/* RFLAGS.DF is clear (every string instruction here ends with cld, and
 * the ABI wants it clear). */
static void expect_df_clear(struct verdict *v, const char *what)
{
	uint64_t fl;

	__asm__ volatile("pushfq; popq %0" : "=r"(fl));
	step(v, !(fl & 0x400), "%s: RFLAGS.DF set afterwards (0x%" PRIx64 ")", what, fl);
}

/* rep movsq of a whole page from the hidden page at PA (mapped at P) into
 * the RAM buffer (with its guards): registers, the model, the guards. */
static void string_read_page(struct verdict *v, uint8_t *buf, volatile uint8_t *p, uint64_t pa,
			     const char *what)
{
	uint8_t *mid = buf + GUARD_BYTES;
	struct sregs r;

	memset(buf, 0x3c, GUARD_BYTES + PAGE + GUARD_BYTES);
	no_fault(v, what, pa, rep_movsq(mid, p, PAGE / 8, false, &r));
	expect_sregs(v, what, pa, &r, (uintptr_t)p, (uintptr_t)mid, PAGE, false);
	expect_model_at(v, what, pa, 0, mid, PAGE);
	expect_guards(v, what, buf, PAGE, 0x3c);
}

static void attack_string(void)
{
	static uint8_t buf[GUARD_BYTES + PAGE + GUARD_BYTES] __attribute__((aligned(64)));
	static uint8_t src[PAGE] __attribute__((aligned(64)));
	uint8_t *mid = buf + GUARD_BYTES;
	struct verdict v = { 0 };
	struct sregs r;
	int t;

	memset(src, POISON, sizeof(src));
	for (t = 0; t < ntargets; t++) {
		volatile uint8_t *p = targets[t].va, *o = targets[other(t)].va;
		uint64_t pa = targets[t].pa, opa = targets[other(t)].pa;

		/* Hidden memory to RAM: forwards, backwards (DF=1), bytes at an
		 * odd offset. */
		string_read_page(&v, buf, p, pa, "rep movsq from");
		memset(buf, 0x3c, sizeof(buf));
		no_fault(&v, "std; rep movsq from", pa,
			 rep_movsq(mid + PAGE - 8, p + PAGE - 8, PAGE / 8, true, &r));
		expect_sregs(&v, "std; rep movsq from", pa, &r, (uintptr_t)(p + PAGE - 8),
			     (uintptr_t)(mid + PAGE - 8), PAGE, true);
		expect_model_at(&v, "std; rep movsq from", pa, 0, mid, PAGE);
		expect_guards(&v, "std; rep movsq from", buf, PAGE, 0x3c);
		expect_df_clear(&v, "std; rep movsq from");
		memset(buf, 0x3c, sizeof(buf));
		no_fault(&v, "rep movsb from", pa + 3, rep_movsb(mid, p + 3, 61, &r));
		expect_sregs(&v, "rep movsb from", pa + 3, &r, (uintptr_t)(p + 3), (uintptr_t)mid,
			     61, false);
		expect_model_at(&v, "rep movsb from", pa, 3, mid, 61);
		expect_guards(&v, "rep movsb from", buf, 61, 0x3c);

		/* RAM to hidden memory: a whole page of POISON, read back from
		 * the other page by rep movsq. */
		no_fault(&v, "rep movsq to", pa, rep_movsq(p, src, PAGE / 8, false, &r));
		expect_sregs(&v, "rep movsq to", pa, &r, (uintptr_t)src, (uintptr_t)p, PAGE,
			     false);
		model_fill(0, POISON, PAGE);
		string_read_page(&v, buf, o, opa,
				 "rep movsq from (after rep movsq to another page)");

		/* rep stosb of all ones over the page, at the other page: the
		 * ones are read back here. */
		no_fault(&v, "rep stosb to", opa, rep_stosb(o, 0xff, PAGE, &r));
		expect_sregs(&v, "rep stosb to", opa, &r, 0, (uintptr_t)o, PAGE, false);
		model_fill(0, 0xff, PAGE);
		string_read_page(&v, buf, p, pa,
				 "rep movsq from (after rep stosb to another page)");

		/* rep stosb of POISON at an odd offset and count, and a
		 * backwards rep movsq of POISON words below 0x800. */
		no_fault(&v, "rep stosb to", pa + 5, rep_stosb(p + 5, POISON, 100, &r));
		expect_sregs(&v, "rep stosb to", pa + 5, &r, 0, (uintptr_t)(p + 5), 100, false);
		model_fill(5, POISON, 100);
		no_fault(&v, "std; rep movsq to", pa + 0x7f8,
			 rep_movsq(p + 0x7f8, src + 0x7f8, 16, true, &r));
		expect_sregs(&v, "std; rep movsq to", pa + 0x7f8, &r, (uintptr_t)(src + 0x7f8),
			     (uintptr_t)(p + 0x7f8), 128, true);
		expect_df_clear(&v, "std; rep movsq to");
		model_fill(0x800 - 128, POISON, 128);
		expect_model(&v, "rep stosb and std; rep movsq to one page");
		string_read_page(&v, buf, o, opa,
				 "rep movsq from (after partial writes elsewhere)");

		scratch_reset();
	}
	expect_model(&v, "string");
	conclude(&v, "string", "rep movsq from and to each page (and backwards), rep movsb at "
		 "an odd offset, rep stosb (whole page, and odd offset and count): registers, "
		 "guard bytes and RAM buffer exact, each write read back at the same offset of "
		 "another hidden page, no other data");
}

static void attack_sse(void)
{
	static uint8_t out[64] __attribute__((aligned(16)));
	static const uint8_t poison[16] __attribute__((aligned(16))) = {
		[0 ... 15] = POISON,
	};
	static const uint8_t ones[16] __attribute__((aligned(16))) = {
		[0 ... 15] = 0xff,
	};
	bool sse41 = has_leaf1_ecx(19);
	struct verdict v = { 0 };
	int t;

	for (t = 0; t < ntargets; t++) {
		volatile uint8_t *p = targets[t].va, *o = targets[other(t)].va;
		uint64_t pa = targets[t].pa, opa = targets[other(t)].pa;

		memset(out, 0, sizeof(out));
		no_fault(&v, "movdqu load", pa + 8,
			 __asm__ volatile("movdqu (%1), %%xmm0; movdqu %%xmm0, (%0)"
					  : : "r"(out), "r"(p + 8) : "xmm0", "memory"));
		expect_model_at(&v, "movdqu load", pa, 8, out, 16);
		no_fault(&v, "movaps load", pa + 0x40,
			 __asm__ volatile("movaps (%1), %%xmm1; movaps %%xmm1, (%0)"
					  : : "r"(out + 16), "r"(p + 0x40) : "xmm1", "memory"));
		expect_model_at(&v, "movaps load", pa, 0x40, out + 16, 16);
		if (sse41) {
			no_fault(&v, "movntdqa load", pa + 0x80,
				 __asm__ volatile("movntdqa (%1), %%xmm2; movdqa %%xmm2, (%0)"
						  : : "r"(out + 32), "r"(p + 0x80)
						  : "xmm2", "memory"));
			expect_model_at(&v, "movntdqa load", pa, 0x80, out + 32, 16);
		}

		/* POISON stored here, loaded at the other page. */
		no_fault(&v, "movdqu store", pa + 0x108,
			 __asm__ volatile("movdqu (%0), %%xmm0; movdqu %%xmm0, (%1)"
					  : : "r"(poison), "r"(p + 0x108) : "xmm0", "memory"));
		model_fill(0x108, POISON, 16);
		no_fault(&v, "movaps store", pa + 0x140,
			 __asm__ volatile("movaps (%0), %%xmm1; movaps %%xmm1, (%1)"
					  : : "r"(poison), "r"(p + 0x140) : "xmm1", "memory"));
		model_fill(0x140, POISON, 16);
		no_fault(&v, "movntdq store", pa + 0x180,
			 __asm__ volatile("movdqa (%0), %%xmm2; movntdq %%xmm2, (%1); sfence"
					  : : "r"(poison), "r"(p + 0x180) : "xmm2", "memory"));
		model_fill(0x180, POISON, 16);
		memset(out, 0, sizeof(out));
		no_fault(&v, "movdqu load", opa + 0x108,
			 __asm__ volatile("movdqu (%1), %%xmm0; movdqu %%xmm0, (%0)"
					  : : "r"(out), "r"(o + 0x108) : "xmm0", "memory"));
		expect_model_at(&v, "movdqu load after a movdqu store elsewhere", opa, 0x108, out,
				16);
		no_fault(&v, "movaps load", opa + 0x140,
			 __asm__ volatile("movaps (%1), %%xmm1; movaps %%xmm1, (%0)"
					  : : "r"(out + 16), "r"(o + 0x140) : "xmm1", "memory"));
		expect_model_at(&v, "movaps load after a movaps store elsewhere", opa, 0x140,
				out + 16, 16);
		if (sse41) {
			no_fault(&v, "movntdqa load", opa + 0x180,
				 __asm__ volatile("movntdqa (%1), %%xmm2; movdqa %%xmm2, (%0)"
						  : : "r"(out + 32), "r"(o + 0x180)
						  : "xmm2", "memory"));
			expect_model_at(&v, "movntdqa load after a movntdq store elsewhere", opa,
					0x180, out + 32, 16);
		}
		expect_model(&v, "SSE stores");

		/* All ones stored back at the other page (one store unaligned
		 * across the POISON), seen here. */
		no_fault(&v, "movdqu store", opa + 0x100,
			 __asm__ volatile("movdqu (%0), %%xmm0; movdqu %%xmm0, (%1); "
					  "movdqu %%xmm0, 16(%1)"
					  : : "r"(ones), "r"(o + 0x100) : "xmm0", "memory"));
		model_fill(0x100, 0xff, 32);
		no_fault(&v, "movaps store", opa + 0x140,
			 __asm__ volatile("movaps (%0), %%xmm1; movaps %%xmm1, (%1)"
					  : : "r"(ones), "r"(o + 0x140) : "xmm1", "memory"));
		model_fill(0x140, 0xff, 16);
		no_fault(&v, "movntdq store", opa + 0x180,
			 __asm__ volatile("movdqa (%0), %%xmm2; movntdq %%xmm2, (%1); sfence"
					  : : "r"(ones), "r"(o + 0x180) : "xmm2", "memory"));
		model_fill(0x180, 0xff, 16);
		memset(out, 0, sizeof(out));
		no_fault(&v, "movdqu load", pa + 0x108,
			 __asm__ volatile("movdqu (%1), %%xmm0; movdqu %%xmm0, (%0)"
					  : : "r"(out), "r"(p + 0x108) : "xmm0", "memory"));
		expect_model_at(&v, "movdqu load after movdqu stores elsewhere", pa, 0x108, out,
				16);
		expect_model(&v, "SSE stores of all ones");
	}
	conclude(&v, "sse", sse41 ? "movdqu, movaps, movntdqa loads and movdqu, movaps, movntdq "
		 "stores on each page: loads as the model, each store loaded back at the same "
		 "offset of another hidden page, no other data" :
		 "movdqu, movaps loads (no SSE4.1: no movntdqa) and movdqu, movaps, movntdq stores "
		 "on each page: loads as the model, each store loaded back at the same offset of "
		 "another hidden page, no other data");
}

static void attack_avx(void)
{
	static uint8_t out[32] __attribute__((aligned(32)));
	static const uint8_t poison[32] __attribute__((aligned(32))) = {
		[0 ... 31] = POISON,
	};
	static const uint8_t ones[32] __attribute__((aligned(32))) = {
		[0 ... 31] = 0xff,
	};
	struct verdict v = { 0 };
	int t;

	if (!avx_usable()) {
		skip("avx", "the CPU or the OS has no AVX (CPUID.1:ECX.AVX/OSXSAVE, XCR0)");
		return;
	}
	for (t = 0; t < ntargets; t++) {
		volatile uint8_t *p = targets[t].va, *o = targets[other(t)].va;
		uint64_t pa = targets[t].pa, opa = targets[other(t)].pa;

		memset(out, 0, sizeof(out));
		no_fault(&v, "vmovdqu ymm load", pa + 0x200,
			 __asm__ volatile("vmovdqu (%1), %%ymm0; vmovdqu %%ymm0, (%0); vzeroupper"
					  : : "r"(out), "r"(p + 0x200) : "xmm0", "memory"));
		expect_model_at(&v, "vmovdqu ymm load", pa, 0x200, out, 32);
		no_fault(&v, "vmovdqu ymm store", pa + 0x244,
			 __asm__ volatile("vmovdqu (%0), %%ymm1; vmovdqu %%ymm1, (%1); vzeroupper"
					  : : "r"(poison), "r"(p + 0x244) : "xmm1", "memory"));
		model_fill(0x244, POISON, 32);
		memset(out, 0, sizeof(out));
		no_fault(&v, "vmovdqu ymm load", opa + 0x244,
			 __asm__ volatile("vmovdqu (%1), %%ymm0; vmovdqu %%ymm0, (%0); vzeroupper"
					  : : "r"(out), "r"(o + 0x244) : "xmm0", "memory"));
		expect_model_at(&v, "vmovdqu ymm load after a store elsewhere", opa, 0x244, out,
				32);
		expect_model(&v, "a vmovdqu ymm store");
		no_fault(&v, "vmovdqu ymm store", opa + 0x244,
			 __asm__ volatile("vmovdqu (%0), %%ymm1; vmovdqu %%ymm1, (%1); vzeroupper"
					  : : "r"(ones), "r"(o + 0x244) : "xmm1", "memory"));
		model_fill(0x244, 0xff, 32);
		memset(out, 0, sizeof(out));
		no_fault(&v, "vmovdqu ymm load", pa + 0x244,
			 __asm__ volatile("vmovdqu (%1), %%ymm0; vmovdqu %%ymm0, (%0); vzeroupper"
					  : : "r"(out), "r"(p + 0x244) : "xmm0", "memory"));
		expect_model_at(&v, "vmovdqu ymm load after a store of all ones elsewhere", pa,
				0x244, out, 32);
	}
	expect_model(&v, "avx");
	conclude(&v, "avx", "vmovdqu ymm loads and stores (unaligned) on each page: loads as "
		 "the model, each store loaded back at the same offset of another hidden page, no "
		 "other data");
}

/* The arithmetic flags the attacks look at: CF, ZF, SF, OF. */
#define FLAGS_CF 0x001
#define FLAGS_ZF 0x040
#define FLAGS_SF 0x080
#define FLAGS_OF 0x800
#define FLAGS_ARITH (FLAGS_CF | FLAGS_ZF | FLAGS_SF | FLAGS_OF)
#define POISON_TO_ONES UINT64_C(0x5a5a5a5a5a5a5a5a)	/* POISON64 + this = all ones */

/* lock xadd of *X at P: *X the old value, the flags it left. */
static uint64_t lock_xadd(volatile void *p, uint64_t *x)
{
	uint64_t fl;

	__asm__ volatile("lock xaddq %0, (%2); pushfq; popq %1"
			 : "+r"(*x), "=r"(fl) : "r"(p) : "memory", "cc");
	return fl & FLAGS_ARITH;
}

/* lock cmpxchg at P, expecting *RAX, offering NEW: ZF, and *RAX after. */
static bool lock_cmpxchg(volatile void *p, uint64_t *rax, uint64_t new)
{
	uint8_t z;

	__asm__ volatile("lock cmpxchgq %2, (%3); setz %1"
			 : "+a"(*rax), "=q"(z) : "r"(new), "r"(p) : "memory", "cc");
	return z;
}

/* lock cmpxchg16b at P, expecting *HI:*LO, offering NEW:NEW: ZF, and
 * *HI:*LO after. */
static bool lock_cmpxchg16b(volatile void *p, uint64_t *lo, uint64_t *hi, uint64_t new)
{
	uint8_t z;

	__asm__ volatile("lock cmpxchg16b (%4); setz %2"
			 : "+a"(*lo), "+d"(*hi), "=q"(z) : "b"(new), "r"(p), "c"(new)
			 : "memory", "cc");
	return z;
}

/* lock and (AND) or lock or of VAL at P: the flags it left. */
static uint64_t lock_logic(volatile void *p, uint64_t val, bool and)
{
	uint64_t fl;

	if (and)
		__asm__ volatile("lock andq %1, (%2); pushfq; popq %0"
				 : "=r"(fl) : "r"(val), "r"(p) : "memory", "cc");
	else
		__asm__ volatile("lock orq %1, (%2); pushfq; popq %0"
				 : "=r"(fl) : "r"(val), "r"(p) : "memory", "cc");
	return fl & FLAGS_ARITH;
}

/* 8 bytes at offset OFF of the page at PA (mapped at P): the model. */
static void expect_word(struct verdict *v, const char *how, volatile uint8_t *p, uint64_t pa,
			size_t off)
{
	uint64_t w = rd64(p + off);

	expect_model_at(v, how, pa, off, &w, 8);
}

/*
 * Every operand is chosen so that memory only ever holds all ones or
 * POISON: lock xadd of POISON64 + 1 turns all ones into POISON (carry
 * out), of POISON_TO_ONES turns it back (no carry); lock and with POISON
 * and lock or with POISON_TO_ONES likewise.
 */
static void attack_atomic(void)
{
	bool cx16 = has_leaf1_ecx(13);
	struct verdict v = { 0 };
	int t;

	for (t = 0; t < ntargets; t++) {
		volatile uint8_t *p = targets[t].va, *o = targets[other(t)].va;
		uint64_t pa = targets[t].pa, opa = targets[other(t)].pa;
		uint64_t x, fl, lo, hi;
		bool z;

		x = POISON64 + 1;
		no_fault(&v, "lock xadd", pa + 0x300, fl = lock_xadd(p + 0x300, &x));
		step(&v, x == ONES64 && fl == (FLAGS_CF | FLAGS_SF), "lock xadd of 0x%016" PRIx64
		     " at 0x%" PRIx64 ": old value 0x%016" PRIx64 ", CF/ZF/SF/OF 0x%03" PRIx64
		     ", want all ones and 0x081", POISON64 + 1, pa + 0x300, x, fl);
		model_fill(0x300, POISON, 8);
		expect_word(&v, "8-byte read after a lock xadd elsewhere", o, opa, 0x300);
		x = POISON_TO_ONES;
		no_fault(&v, "lock xadd", opa + 0x300, fl = lock_xadd(o + 0x300, &x));
		step(&v, x == POISON64 && fl == FLAGS_SF, "lock xadd of 0x%016" PRIx64 " at 0x%"
		     PRIx64 ": old value 0x%016" PRIx64 ", CF/ZF/SF/OF 0x%03" PRIx64 ", want "
		     "POISON and 0x080", POISON_TO_ONES, opa + 0x300, x, fl);
		model_fill(0x300, 0xff, 8);
		expect_word(&v, "8-byte read after a lock xadd elsewhere", p, pa, 0x300);

		x = POISON64;
		no_fault(&v, "xchg", pa + 0x308,
			 __asm__ volatile("xchgq %0, (%1)" : "+r"(x) : "r"(p + 0x308) : "memory"));
		step(&v, x == ONES64, "xchg at 0x%" PRIx64 ": old value 0x%016" PRIx64
		     ", want all ones", pa + 0x308, x);
		model_fill(0x308, POISON, 8);
		x = ONES64;
		no_fault(&v, "xchg", opa + 0x308,
			 __asm__ volatile("xchgq %0, (%1)" : "+r"(x) : "r"(o + 0x308) : "memory"));
		step(&v, x == POISON64, "xchg at 0x%" PRIx64 " after one elsewhere: old value "
		     "0x%016" PRIx64 ", want POISON", opa + 0x308, x);
		model_fill(0x308, 0xff, 8);
		expect_word(&v, "8-byte read after an xchg elsewhere", p, pa, 0x308);

		/* cmpxchg: equal here; then not equal at the other page (RAX
		 * gets the POISON), then equal there, back to all ones. */
		x = ONES64;
		no_fault(&v, "lock cmpxchg", pa + 0x310, z = lock_cmpxchg(p + 0x310, &x, POISON64));
		step(&v, z && x == ONES64, "lock cmpxchg (expecting all ones) at 0x%" PRIx64
		     ": ZF %u, RAX 0x%016" PRIx64 ", want 1 and all ones", pa + 0x310, z, x);
		model_fill(0x310, POISON, 8);
		x = ONES64;
		no_fault(&v, "lock cmpxchg", opa + 0x310, z = lock_cmpxchg(o + 0x310, &x, ONES64));
		step(&v, !z && x == POISON64, "lock cmpxchg (expecting all ones) at 0x%" PRIx64
		     " after one elsewhere: ZF %u, RAX 0x%016" PRIx64 ", want 0 and POISON",
		     opa + 0x310, z, x);
		expect_word(&v, "8-byte read after a failed lock cmpxchg", p, pa, 0x310);
		x = POISON64;
		no_fault(&v, "lock cmpxchg", opa + 0x310, z = lock_cmpxchg(o + 0x310, &x, ONES64));
		step(&v, z && x == POISON64, "lock cmpxchg (expecting POISON) at 0x%" PRIx64
		     ": ZF %u, RAX 0x%016" PRIx64 ", want 1 and POISON", opa + 0x310, z, x);
		model_fill(0x310, 0xff, 8);
		expect_word(&v, "8-byte read after a lock cmpxchg elsewhere", p, pa, 0x310);

		no_fault(&v, "lock and", pa + 0x320, fl = lock_logic(p + 0x320, POISON64, true));
		step(&v, fl == FLAGS_SF, "lock and of POISON at 0x%" PRIx64 ": CF/ZF/SF/OF 0x%03"
		     PRIx64 ", want 0x080", pa + 0x320, fl);
		model_fill(0x320, POISON, 8);
		expect_word(&v, "8-byte read after a lock and elsewhere", o, opa, 0x320);
		no_fault(&v, "lock or", opa + 0x320,
			 fl = lock_logic(o + 0x320, POISON_TO_ONES, false));
		step(&v, fl == FLAGS_SF, "lock or of 0x%016" PRIx64 " at 0x%" PRIx64 ": "
		     "CF/ZF/SF/OF 0x%03" PRIx64 ", want 0x080", POISON_TO_ONES, opa + 0x320, fl);
		model_fill(0x320, 0xff, 8);
		expect_word(&v, "8-byte read after a lock or elsewhere", p, pa, 0x320);

		if (cx16) {
			lo = hi = ONES64;
			no_fault(&v, "lock cmpxchg16b", pa + 0x340,
				 z = lock_cmpxchg16b(p + 0x340, &lo, &hi, POISON64));
			step(&v, z && lo == ONES64 && hi == ONES64, "lock cmpxchg16b (expecting "
			     "all ones) at 0x%" PRIx64 ": ZF %u, RDX:RAX 0x%016" PRIx64 ":%016"
			     PRIx64 ", want 1 and all ones", pa + 0x340, z, hi, lo);
			model_fill(0x340, POISON, 16);
			lo = hi = ONES64;
			no_fault(&v, "lock cmpxchg16b", opa + 0x340,
				 z = lock_cmpxchg16b(o + 0x340, &lo, &hi, ONES64));
			step(&v, !z && lo == POISON64 && hi == POISON64, "lock cmpxchg16b "
			     "(expecting all ones) at 0x%" PRIx64 " after one elsewhere: ZF %u, "
			     "RDX:RAX 0x%016" PRIx64 ":%016" PRIx64 ", want 0 and POISON",
			     opa + 0x340, z, hi, lo);
			expect_word(&v, "8-byte read after a failed cmpxchg16b", p, pa, 0x340);
			expect_word(&v, "8-byte read after a failed cmpxchg16b", p, pa, 0x348);
			lo = hi = POISON64;
			no_fault(&v, "lock cmpxchg16b", opa + 0x340,
				 z = lock_cmpxchg16b(o + 0x340, &lo, &hi, ONES64));
			step(&v, z && lo == POISON64 && hi == POISON64, "lock cmpxchg16b "
			     "(expecting POISON) at 0x%" PRIx64 ": ZF %u, RDX:RAX 0x%016" PRIx64
			     ":%016" PRIx64 ", want 1 and POISON", opa + 0x340, z, hi, lo);
			model_fill(0x340, 0xff, 16);
			expect_word(&v, "8-byte read after a cmpxchg16b elsewhere", p, pa, 0x340);
			expect_word(&v, "8-byte read after a cmpxchg16b elsewhere", p, pa, 0x348);
		}
		expect_model(&v, "atomic");
	}
	conclude(&v, "atomic", cx16 ? "lock xadd, xchg, lock cmpxchg (equal and not), lock and, "
		 "lock or, cmpxchg16b (equal and not), each on one page and undone at another: old "
		 "values, flags and memory as on memory, no other data" :
		 "lock xadd, xchg, lock cmpxchg (equal and not), lock and, lock or (no cmpxchg16b "
		 "on this CPU), each on one page and undone at another: old values, flags and "
		 "memory as on memory, no other data");
}

static void attack_flood(void)
{
	volatile uint8_t *p = targets[0].va;
	struct timespec t0, t1;
	uint64_t bad = 0, i, w = 0;
	struct verdict v = { 0 };

	doing("%d reads at 0x%" PRIx64, FLOOD_READS, targets[0].pa);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < FLOOD_READS; i++) {
		uint64_t r = rd64(p + (i & 0x1f8));

		if (r != ONES64 && !bad++)
			w = r;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	step(&v, !bad, "%" PRIu64 " of %d reads were not all ones, the first 0x%016" PRIx64, bad,
	     FLOOD_READS, w);
	expect_model(&v, "flood");
	if (!v.bad)
		report(true, "flood", "%d 8-byte reads of 0x%" PRIx64 "..0x%" PRIx64 " in %.1f ms, "
		       "all ones", FLOOD_READS, targets[0].pa, targets[0].pa + 0x1f8,
		       (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	else
		conclude(&v, "flood", "100000 reads of hidden memory");
}

/* ---- string I/O on intercepted ports -------------------------------------- */

static bool io_allowed(const char *name)
{
	if (ioperm(KBC_STATUS, 1, 1) || ioperm(RESET_CONTROL, 1, 1)) {
		report(false, name, "ioperm(0x64/0xcf9) refused: %s", strerror(errno));
		return false;
	}
	if (iopl(3)) {
		report(false, name, "iopl(3) refused: %s", strerror(errno));
		return false;
	}
	return true;
}

/* Status bytes read by a string IN: as the plain inb read STATUS, but for
 * the bits the controller changes by itself. */
static void expect_status_bytes(struct verdict *v, const char *what, const uint8_t *b, size_t n,
				unsigned int stride, uint8_t status)
{
	size_t i;

	for (i = 0; i < n; i += stride)
		if ((b[i] ^ status) & ~KBC_VOLATILE)
			break;
	step(v, i >= n, "%s: byte %zu is 0x%02x, inb 0x64 read 0x%02x", what, i,
	     i < n ? b[i] : 0, status);
}

static void attack_io(void)
{
	static uint8_t buf[GUARD_BYTES + 64 + GUARD_BYTES];
	uint8_t *mid = buf + GUARD_BYTES, status, rc, src[4];
	uint16_t status16;
	struct verdict v = { 0 };
	struct sregs r;

	if (!io_allowed("io"))
		return;
	status = port_in8(KBC_STATUS);
	status16 = port_in16(KBC_STATUS);
	rc = port_in8(RESET_CONTROL);

	/* outsb / rep outsb to 0xcf9: its own value with the reset bit clear. */
	memset(src, rc & ~RESET_CONTROL_RESET, sizeof(src));
	no_fault(&v, "outsb to 0xcf9", 0, outs(false, RESET_CONTROL, src, 1, &r));
	expect_sregs(&v, "outsb to 0xcf9", 0, &r, (uintptr_t)src, 0, 1, false);
	no_fault(&v, "rep outsb to 0xcf9", 0, outs(true, RESET_CONTROL, src, 4, &r));
	expect_sregs(&v, "rep outsb to 0xcf9", 0, &r, (uintptr_t)src, 0, 4, false);

	/* insb, rep insb forwards and backwards, rep insw from 0x64. */
	memset(buf, 0x3c, sizeof(buf));
	no_fault(&v, "insb from 0x64", 0, ins(1, false, false, KBC_STATUS, mid, 1, &r));
	expect_sregs(&v, "insb from 0x64", 0, &r, 0, (uintptr_t)mid, 1, false);
	expect_status_bytes(&v, "insb from 0x64", mid, 1, 1, status);
	expect_guards(&v, "insb from 0x64", buf, 1, 0x3c);

	memset(buf, 0x3c, sizeof(buf));
	no_fault(&v, "rep insb from 0x64", 0, ins(1, true, false, KBC_STATUS, mid, 64, &r));
	expect_sregs(&v, "rep insb from 0x64", 0, &r, 0, (uintptr_t)mid, 64, false);
	expect_status_bytes(&v, "rep insb from 0x64", mid, 64, 1, status);
	expect_guards(&v, "rep insb from 0x64", buf, 64, 0x3c);

	memset(buf, 0x3c, sizeof(buf));
	no_fault(&v, "std; rep insb from 0x64", 0,
		 ins(1, true, true, KBC_STATUS, mid + 63, 64, &r));
	expect_sregs(&v, "std; rep insb from 0x64", 0, &r, 0, (uintptr_t)(mid + 63), 64, true);
	expect_status_bytes(&v, "std; rep insb from 0x64", mid, 64, 1, status);
	expect_guards(&v, "std; rep insb from 0x64", buf, 64, 0x3c);

	memset(buf, 0x3c, sizeof(buf));
	no_fault(&v, "rep insw from 0x64", 0, ins(2, true, false, KBC_STATUS, mid, 32, &r));
	expect_sregs(&v, "rep insw from 0x64", 0, &r, 0, (uintptr_t)mid, 64, false);
	expect_status_bytes(&v, "rep insw from 0x64 (low bytes)", mid, 64, 2, (uint8_t)status16);
	{
		size_t i;

		for (i = 1; i < 64 && mid[i] == (uint8_t)(status16 >> 8); i += 2)
			;
		step(&v, i >= 64, "rep insw from 0x64: high byte %zu is 0x%02x, inw read 0x%04x",
		     i, i < 64 ? mid[i] : 0, status16);
	}
	expect_guards(&v, "rep insw from 0x64", buf, 64, 0x3c);

	/* A count of 0: nothing moves, nothing is written. */
	memset(buf, 0x3c, sizeof(buf));
	no_fault(&v, "rep insb with RCX 0 from 0x64", 0,
		 ins(1, true, false, KBC_STATUS, mid, 0, &r));
	expect_sregs(&v, "rep insb with RCX 0 from 0x64", 0, &r, 0, (uintptr_t)mid, 0, false);
	expect_guards(&v, "rep insb with RCX 0 from 0x64", buf, 0, 0x3c);
	no_fault(&v, "rep outsb with RCX 0 to 0xcf9", 0, outs(true, RESET_CONTROL, src, 0, &r));
	expect_sregs(&v, "rep outsb with RCX 0 to 0xcf9", 0, &r, (uintptr_t)src, 0, 0, false);

	rc = port_in8(RESET_CONTROL);
	conclude(&v, "io", "outsb and rep outsb (4, and 0) of 0xcf9, insb, rep insb (64, with "
		 "DF=1, and 0), rep insw (32) of 0x64: registers, buffers and status bytes as "
		 "the hardware gives them");
	info("0xcf9 reads 0x%02x after the writes, 0x64 0x%02x", rc, port_in8(KBC_STATUS));
}

/*
 * insb (rep insb when N > 1) from PORT into DST, or outsb (rep outsb) to
 * PORT from SRC, meant to fault: the signal raised (0 if none).
 */
static int ins_faulting(uint16_t port, void *dst, uint64_t n)
{
	uint64_t c = n, d = (uintptr_t)dst;

	fault_sig = 0;
	if (n == 1)
		__asm__ volatile(RESUMABLE("insb") : "+D"(d), [resume] "=m"(resume_rip)
				 : "d"(port) : "r11", "memory");
	else
		__asm__ volatile(RESUMABLE("rep insb") : "+c"(c), "+D"(d), [resume] "=m"(resume_rip)
				 : "d"(port) : "r11", "memory");
	resume_rip = 0;
	return fault_sig;
}

static int outs_faulting(uint16_t port, const void *src, uint64_t n)
{
	uint64_t c = n, s = (uintptr_t)src;

	fault_sig = 0;
	if (n == 1)
		__asm__ volatile(RESUMABLE("outsb") : "+S"(s), [resume] "=m"(resume_rip)
				 : "d"(port) : "r11", "memory");
	else
		__asm__ volatile(RESUMABLE("rep outsb") : "+c"(c), "+S"(s), [resume] "=m"(resume_rip)
				 : "d"(port) : "r11", "memory");
	resume_rip = 0;
	return fault_sig;
}

static void attack_io_fault(void)
{
	struct verdict v = { 0 };
	uint8_t *ro, *none, *two;
	size_t i;
	int s;

	if (!io_allowed("io-fault"))
		return;
	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED || none == MAP_FAILED) {
		report(false, "io-fault", "cannot map the pages: %s", strerror(errno));
		return;
	}
	memset(ro, 0x3c, PAGE);
	mprotect(ro, PAGE, PROT_READ);

	s = ins_faulting(KBC_STATUS, ro + 100, 1);
	step(&v, s == SIGSEGV && fault_addr == ro + 100, "insb from 0x64 into a read-only "
	     "page: signal %d (%s) at %p, want SIGSEGV at %p", s, s ? strsignal(s) : "none",
	     fault_addr, (void *)(ro + 100));
	s = ins_faulting(KBC_STATUS, ro + 200, 8);
	step(&v, s == SIGSEGV, "rep insb from 0x64 into a read-only page: signal %d (%s), want "
	     "SIGSEGV", s, s ? strsignal(s) : "none");
	step(&v, ro[100] == 0x3c && ro[200] == 0x3c, "the read-only page changed: 0x%02x 0x%02x",
	     ro[100], ro[200]);
	s = outs_faulting(RESET_CONTROL, none + 8, 1);
	step(&v, s == SIGSEGV && fault_addr == none + 8, "outsb to 0xcf9 from a PROT_NONE page: "
	     "signal %d (%s) at %p, want SIGSEGV at %p", s, s ? strsignal(s) : "none",
	     fault_addr, (void *)(none + 8));
	s = outs_faulting(RESET_CONTROL, none + 16, 4);
	step(&v, s == SIGSEGV, "rep outsb to 0xcf9 from a PROT_NONE page: signal %d (%s), want "
	     "SIGSEGV", s, s ? strsignal(s) : "none");
	munmap(ro, PAGE);
	munmap(none, PAGE);

	/* rep insb of 16 bytes from the last 8 of a writable page into a
	 * read-only one: the first 8 land, then the page fault, with RCX and
	 * RDI saying how far it got (8 left, RDI at the read-only page). */
	two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (two == MAP_FAILED) {
		report(false, "io-fault", "cannot map the pages: %s", strerror(errno));
		return;
	}
	memset(two, 0x3c, 2 * PAGE);
	mprotect(two + PAGE, PAGE, PROT_READ);
	s = ins_faulting(KBC_STATUS, two + PAGE - 8, 16);
	step(&v, s == SIGSEGV && fault_addr == two + PAGE, "rep insb across into a read-only "
	     "page: signal %d (%s) at %p, want SIGSEGV at %p", s, s ? strsignal(s) : "none",
	     fault_addr, (void *)(two + PAGE));
	step(&v, fault_rcx == 8 && fault_rdi == (uintptr_t)(two + PAGE), "rep insb across into "
	     "a read-only page: at the fault RCX %" PRIu64 " RDI %+" PRId64 " from the page, "
	     "want 8 and +0", fault_rcx, (int64_t)(fault_rdi - (uintptr_t)(two + PAGE)));
	for (i = PAGE - 8; i < PAGE && two[i] != 0x3c; i++)
		;
	step(&v, i == PAGE, "rep insb across into a read-only page: byte %zu of the 8 before "
	     "it not written", i - (PAGE - 8));
	for (i = PAGE; i < 2 * PAGE && two[i] == 0x3c; i++)
		;
	step(&v, i == 2 * PAGE, "rep insb across into a read-only page: it changed at +%zu",
	     i - PAGE);
	munmap(two, 2 * PAGE);
	conclude(&v, "io-fault", "insb and rep insb of 0x64 into a read-only page (and across "
		 "into one), outsb and rep outsb of 0xcf9 from a PROT_NONE page: SIGSEGV each "
		 "where the CPU faults, RCX/RDI at the fault as it leaves them, the pages "
		 "unchanged");
}

/* ---- single-step ---------------------------------------------------------- */

/*
 * The stepped blocks.  Each sets TF with popf, runs the instructions that
 * end at the labels NAME_1 .. NAME_n, then clears TF again: a trap must
 * follow every one of them, at its label (the address of the next
 * instruction).  The popf that clears TF may or may not trap itself (the
 * CPU decides by TF at the start of the instruction): a trap at NAME_end
 * is allowed, once.  Clobbers RAX, RBX, RCX, RDX and RDI.
 */
__asm__(".text\n"
	".globl tf_cpuid_block\n"
	"tf_cpuid_block:\n"
	"	push %rbx\n"
	"	mov $0x64, %edx\n"
	"	pushfq\n"
	"	orq $0x100, (%rsp)\n"
	"	popfq\n"
	"	mov $0x40000000, %eax\n"
	".globl tf_cpuid_1\n tf_cpuid_1:\n"
	"	cpuid\n"
	".globl tf_cpuid_2\n tf_cpuid_2:\n"
	"	mov $1, %eax\n"
	".globl tf_cpuid_3\n tf_cpuid_3:\n"
	"	cpuid\n"
	".globl tf_cpuid_4\n tf_cpuid_4:\n"
	"	xor %eax, %eax\n"
	".globl tf_cpuid_5\n tf_cpuid_5:\n"
	"	cpuid\n"
	".globl tf_cpuid_6\n tf_cpuid_6:\n"
	"	mov $0x64, %edx\n"
	".globl tf_cpuid_7\n tf_cpuid_7:\n"
	"	inb %dx, %al\n"
	".globl tf_cpuid_8\n tf_cpuid_8:\n"
	"	inb $0x64, %al\n"
	".globl tf_cpuid_9\n tf_cpuid_9:\n"
	"	nop\n"
	".globl tf_cpuid_10\n tf_cpuid_10:\n"
	"	mov $0xcf9, %edx\n"
	".globl tf_cpuid_11\n tf_cpuid_11:\n"
	"	inb %dx, %al\n"
	".globl tf_cpuid_12\n tf_cpuid_12:\n"
	"	mov $0x80000000, %eax\n"
	".globl tf_cpuid_13\n tf_cpuid_13:\n"
	"	cpuid\n"
	".globl tf_cpuid_14\n tf_cpuid_14:\n"
	"	pushfq\n"
	".globl tf_cpuid_15\n tf_cpuid_15:\n"
	"	andq $~0x100, (%rsp)\n"
	".globl tf_cpuid_16\n tf_cpuid_16:\n"
	"	popfq\n"
	".globl tf_cpuid_end\n tf_cpuid_end:\n"
	"	pop %rbx\n"
	"	ret\n"
	/* RDI: a byte to read into; the byte written to 0xcf9 comes from RSI. */
	".globl tf_string_block\n"
	"tf_string_block:\n"
	"	mov $0x64, %edx\n"
	"	pushfq\n"
	"	orq $0x100, (%rsp)\n"
	"	popfq\n"
	"	insb\n"
	".globl tf_string_1\n tf_string_1:\n"
	"	mov $0xcf9, %edx\n"
	".globl tf_string_2\n tf_string_2:\n"
	"	outsb\n"
	".globl tf_string_3\n tf_string_3:\n"
	"	mov $0x64, %edx\n"
	".globl tf_string_4\n tf_string_4:\n"
	"	insb\n"
	".globl tf_string_5\n tf_string_5:\n"
	"	pushfq\n"
	".globl tf_string_6\n tf_string_6:\n"
	"	andq $~0x100, (%rsp)\n"
	".globl tf_string_7\n tf_string_7:\n"
	"	popfq\n"
	".globl tf_string_end\n tf_string_end:\n"
	"	ret\n"
	/* RDI: hidden memory to read and write. */
	".globl tf_mmio_block\n"
	"tf_mmio_block:\n"
	"	pushfq\n"
	"	orq $0x100, (%rsp)\n"
	"	popfq\n"
	"	movq (%rdi), %rax\n"
	".globl tf_mmio_1\n tf_mmio_1:\n"
	"	movq %rax, 16(%rdi)\n"
	".globl tf_mmio_2\n tf_mmio_2:\n"
	"	movl 8(%rdi), %eax\n"
	".globl tf_mmio_3\n tf_mmio_3:\n"
	"	nop\n"
	".globl tf_mmio_4\n tf_mmio_4:\n"
	"	pushfq\n"
	".globl tf_mmio_5\n tf_mmio_5:\n"
	"	andq $~0x100, (%rsp)\n"
	".globl tf_mmio_6\n tf_mmio_6:\n"
	"	popfq\n"
	".globl tf_mmio_end\n tf_mmio_end:\n"
	"	ret\n");

extern const char tf_cpuid_1[], tf_cpuid_2[], tf_cpuid_3[], tf_cpuid_4[], tf_cpuid_5[],
	tf_cpuid_6[], tf_cpuid_7[], tf_cpuid_8[], tf_cpuid_9[], tf_cpuid_10[], tf_cpuid_11[],
	tf_cpuid_12[], tf_cpuid_13[], tf_cpuid_14[], tf_cpuid_15[], tf_cpuid_16[],
	tf_cpuid_end[];
extern const char tf_string_1[], tf_string_2[], tf_string_3[], tf_string_4[], tf_string_5[],
	tf_string_6[], tf_string_7[], tf_string_end[];
extern const char tf_mmio_1[], tf_mmio_2[], tf_mmio_3[], tf_mmio_4[], tf_mmio_5[],
	tf_mmio_6[], tf_mmio_end[];
void tf_cpuid_block(void);
void tf_mmio_block(volatile void *p);
void tf_string_block(uint8_t *dst, const uint8_t *src);

#define MAX_TRAPS 64
static volatile uint64_t trap_rip[MAX_TRAPS];
static volatile sig_atomic_t ntraps;

static void trap_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)si;
	if (ntraps < MAX_TRAPS)
		trap_rip[ntraps] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	ntraps++;
}

/*
 * The traps recorded against the labels WANT[0..N) and END: the k-th trap at
 * WANT[k] for every k, then at most one at END, nothing else.
 */
static void expect_traps(struct verdict *v, const char *const *want, const char *const *names,
			 int n, const char *end)
{
	int k, got = ntraps;

	for (k = 0; k < n; k++) {
		bool ok = k < got && k < MAX_TRAPS && trap_rip[k] == (uintptr_t)want[k];

		step(v, ok, "trap %d (after %s) %s 0x%" PRIx64 ", want 0x%" PRIxPTR, k + 1, names[k],
		     k < got ? "at" : "missing:", k < got ? trap_rip[k] : 0, (uintptr_t)want[k]);
		if (!ok)
			return;
	}
	step(v, got == n || (got == n + 1 && trap_rip[n] == (uintptr_t)end),
	     "%d traps for %d instructions (the extra one at 0x%" PRIx64 ")", got, n,
	     got > n ? trap_rip[n] : 0);
}

static bool trap_install(const char *name)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = trap_handler;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGTRAP, &sa, NULL)) {
		report(false, name, "cannot catch SIGTRAP: %s", strerror(errno));
		return false;
	}
	return true;
}

static void attack_tf(void)
{
	static const char *const names[] = {
		"mov", "cpuid 0x40000000", "mov", "cpuid 1", "xor", "cpuid 0", "mov",
		"inb dx (0x64)", "inb 0x64", "nop", "mov", "inb dx (0xcf9)", "mov",
		"cpuid 0x80000000", "pushfq", "andq",
	};
	const char *const want[] = {
		tf_cpuid_1, tf_cpuid_2, tf_cpuid_3, tf_cpuid_4, tf_cpuid_5, tf_cpuid_6, tf_cpuid_7,
		tf_cpuid_8, tf_cpuid_9, tf_cpuid_10, tf_cpuid_11, tf_cpuid_12, tf_cpuid_13,
		tf_cpuid_14, tf_cpuid_15, tf_cpuid_16,
	};
	struct verdict v = { 0 };

	_Static_assert(sizeof(names) == sizeof(want), "one name per stepped instruction");
	if (!io_allowed("tf") || !trap_install("tf"))
		return;
	ntraps = 0;
	doing("the stepped block");
	tf_cpuid_block();
	expect_traps(&v, want, names, sizeof(want) / sizeof(want[0]), tf_cpuid_end);
	signal(SIGTRAP, SIG_DFL);
	conclude(&v, "tf", "TF over cpuid (4 leaves), inb from 0x64 (twice) and 0xcf9, and "
		 "plain instructions: one SIGTRAP after each of 16, at the next instruction");
}

static void attack_tf_string(void)
{
	static const char *const names[] = {
		"insb from 0x64", "mov", "outsb to 0xcf9", "mov", "insb from 0x64", "pushfq",
		"andq",
	};
	const char *const want[] = {
		tf_string_1, tf_string_2, tf_string_3, tf_string_4, tf_string_5, tf_string_6,
		tf_string_7,
	};
	uint8_t dst[2] = { 0x3c, 0x3c }, src[1];
	struct verdict v = { 0 };

	if (!io_allowed("tf-string") || !trap_install("tf-string"))
		return;
	src[0] = port_in8(RESET_CONTROL) & ~RESET_CONTROL_RESET;
	ntraps = 0;
	doing("the stepped block");
	tf_string_block(dst, src);
	expect_traps(&v, want, names, sizeof(want) / sizeof(want[0]), tf_string_end);
	signal(SIGTRAP, SIG_DFL);
	step(&v, dst[0] != 0x3c && dst[1] != 0x3c, "the insb buffer kept its canary: 0x%02x "
	     "0x%02x", dst[0], dst[1]);
	conclude(&v, "tf-string", "TF over insb from 0x64, outsb to 0xcf9, insb again: one "
		 "SIGTRAP after each of 7, at the next instruction");
}

static void attack_tf_mmio(void)
{
	static const char *const names[] = {
		"movq load", "movq store", "movl load", "nop", "pushfq", "andq",
	};
	const char *const want[] = {
		tf_mmio_1, tf_mmio_2, tf_mmio_3, tf_mmio_4, tf_mmio_5, tf_mmio_6,
	};
	struct verdict v = { 0 };

	_Static_assert(sizeof(names) == sizeof(want), "one name per stepped instruction");
	if (!trap_install("tf-mmio"))
		return;
	ntraps = 0;
	doing("the stepped block at 0x%" PRIx64, targets[0].pa);
	tf_mmio_block(targets[0].va + 0x400);
	expect_traps(&v, want, names, sizeof(want) / sizeof(want[0]), tf_mmio_end);
	signal(SIGTRAP, SIG_DFL);
	expect_model(&v, "tf-mmio");
	conclude(&v, "tf-mmio", "TF over MOV loads and a store of hidden memory: one SIGTRAP "
		 "after each of 6, at the next instruction");
}

/* ---- hypercalls from CPL 3 ------------------------------------------------ */

/* One VMMCALL (or VMCALL) with RAX = NR and RBX = ARG: the signal it
 * raised (0 if none) and RAX after it. */
static int hypercall3(bool intel, uint64_t nr, uint64_t arg, uint64_t *rax)
{
	uint64_t a = nr;

	fault_sig = 0;
	if (intel)
		__asm__ volatile(RESUMABLE("vmcall") : "+a"(a), [resume] "=m"(resume_rip)
				 : "b"(arg) : "rcx", "rdx", "rsi", "r11", "memory");
	else
		__asm__ volatile(RESUMABLE("vmmcall") : "+a"(a), [resume] "=m"(resume_rip)
				 : "b"(arg) : "rcx", "rdx", "rsi", "r11", "memory");
	resume_rip = 0;
	*rax = a;
	return fault_sig;
}

static void attack_hypercall_user(void)
{
	static const struct {
		uint64_t nr;
		const char *name;
	} calls[] = {
		{ HC_VERSION, "HC_VERSION" },
		{ HC_HV_MEMORY, "HC_HV_MEMORY" },
		{ KVM_HC_VAPIC_POLL_IRQ, "KVM_HC_VAPIC_POLL_IRQ (1)" },
		{ KVM_HC_KICK_CPU, "KVM_HC_KICK_CPU (5)" },
	};
	static uint8_t canary[256];
	struct verdict v = { 0 };
	unsigned int i, k, j;
	uint64_t rax;

	memset(canary, 0x3c, sizeof(canary));
	for (k = 0; k < 2; k++) {
		bool intel = k == 1;

		for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
			int s = hypercall3(intel, calls[i].nr, (uintptr_t)canary, &rax);

			step(&v, s == SIGILL, "%s %s from CPL 3: signal %d (%s), RAX 0x%" PRIx64
			     ", want SIGILL", intel ? "vmcall" : "vmmcall", calls[i].name, s,
			     s ? strsignal(s) : "none", rax);
		}
	}
	for (j = 0; j < sizeof(canary) && canary[j] == 0x3c; j++)
		;
	step(&v, j == sizeof(canary), "the buffer at RBX changed at byte %u: 0x%02x", j,
	     j < sizeof(canary) ? canary[j] : 0);
	info("hypercall-user: the CPU is %s: %s is its hypercall instruction", cpu_is_intel() ?
	     "Intel" : "AMD", cpu_is_intel() ? "vmcall" : "vmmcall");
	conclude(&v, "hypercall-user", "vmmcall and vmcall from CPL 3 with HC_VERSION, HC_HV_MEMORY, "
		 "KVM's 1 and 5 (RBX a buffer): SIGILL (#UD) each, the buffer unchanged");
}

/* What tdpvisor_hc's calls must answer: -ENOSYS for numbers that are not
 * the hypervisor's; the calls told to write into hidden memory write into
 * the scratch page, as into any guest memory, and answer as usual. */
enum gate_want {
	GATE_EQUALS,	/* want itself */
	GATE_ABI2,	/* any ABI 2.x version */
	GATE_PAGE_COUNT,	/* a count of bytes, 1 to a page */
};

static const struct {
	const char *name;
	enum gate_want how;
	long want;
} gate_calls[] = {
	{ "kvm-vapic-poll-irq", GATE_EQUALS, -HV_ENOSYS },
	{ "kvm-kick-cpu", GATE_EQUALS, -HV_ENOSYS },
	{ "kvm-clock-pairing", GATE_EQUALS, -HV_ENOSYS },
	{ "kvm-send-ipi", GATE_EQUALS, -HV_ENOSYS },
	{ "kvm-map-gpa-range", GATE_EQUALS, -HV_ENOSYS },
	{ "below-hc-base", GATE_EQUALS, -HV_ENOSYS },
	{ "above-hc-span", GATE_EQUALS, -HV_ENOSYS },
	{ "hv-memory-high-bits", GATE_EQUALS, -HV_ENOSYS },
	{ "version", GATE_ABI2, 0 },
	{ "hv-memory-into-hidden", GATE_EQUALS, 0 },
	{ "stats-into-hidden", GATE_EQUALS, 0 },
	{ "log-read-into-hidden", GATE_PAGE_COUNT, 0 },
	{ "gpa-mapping-into-hidden", GATE_EQUALS, 0 },
};
#define NGATE_CALLS (sizeof(gate_calls) / sizeof(gate_calls[0]))

/* The size of struct hc_hv_memory (include/vm/hypercall.h): the longest
 * output of the calls into hidden memory but HC_LOG_READ's. */
#define HC_HV_MEMORY_BYTES 72

/*
 * What tdpvisor_hc's calls into hidden memory left there (gate_page).
 * Each wrote at the first byte of the first range, in the order
 * HC_HV_MEMORY, HC_STATS, HC_LOG_READ (LOG_BYTES bytes), HC_GPA_MAPPING,
 * so the scratch page holds HC_GPA_MAPPING's struct hc_gpa_mapping (about
 * the module's own page: mapped, readable and writable, at hpa = gpa), then
 * the rest of the log text, then all ones: nothing else.
 */
static void expect_gate_page(struct verdict *v, long log_bytes)
{
	uint64_t m[6];	/* gpa, present, level, perms, memtype, hpa */
	size_t i, end = log_bytes > 0 ? (size_t)log_bytes : 0;
	uint64_t pa = targets[0].pa;

	memcpy(m, gate_page, sizeof(m));
	step(v, m[0] && !(m[0] & (PAGE - 1)) && m[1] == 1 && m[2] >= 1 && m[2] <= 3 &&
	     (m[3] & 3) == 3 && m[5] == m[0], "HC_GPA_MAPPING's answer at 0x%" PRIx64 ": gpa 0x%"
	     PRIx64 ", present %" PRIu64 ", level %" PRIu64 ", perms 0x%" PRIx64 ", hpa 0x%" PRIx64
	     "; want a page, present, level 1-3, RW, hpa = gpa", pa, m[0], m[1], m[2], m[3], m[5]);
	for (i = sizeof(m); i < end; i++)
		if ((gate_page[i] < 0x20 || gate_page[i] > 0x7e) && gate_page[i] != '\n' &&
		    gate_page[i] != '\r' && gate_page[i] != '\t')
			break;
	step(v, i >= end, "HC_LOG_READ's text at 0x%" PRIx64 ": 0x%" PRIx64 " reads 0x%02x, "
	     "not text", pa, pa + i, i < end ? gate_page[i] : 0);
	for (i = end > HC_HV_MEMORY_BYTES ? end : HC_HV_MEMORY_BYTES; i < PAGE; i++)
		if (gate_page[i] != 0xff)
			break;
	step(v, i >= PAGE, "after the hypercalls' output 0x%" PRIx64 " reads 0x%02x, want all "
	     "ones (a possible leak of hypervisor data)", pa + i, i < PAGE ? gate_page[i] : 0);
}

static void attack_hypercall_kernel(void)
{
	char buf[2048], *line, *save = NULL;
	struct verdict v = { 0 };
	bool seen[NGATE_CALLS] = { false };
	long log_bytes = -1;
	unsigned int i;
	int err = load_gate();

	if (err) {
		report(false, "hypercall-kernel", "cannot load " GATE_KO ": %s", strerror(-err));
		return;
	}
	if (read_text(GATE_PARAMS "calls", buf, sizeof(buf))) {
		report(false, "hypercall-kernel", "cannot read " GATE_PARAMS "calls: %s",
		       strerror(errno));
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], kept[16];
		long rax;

		if (sscanf(line, "%63s %ld %15s", name, &rax, kept) != 3) {
			step(&v, false, "cannot parse '%s'", line);
			continue;
		}
		for (i = 0; i < NGATE_CALLS; i++)
			if (!strcmp(name, gate_calls[i].name))
				break;
		if (i == NGATE_CALLS) {
			step(&v, false, "an unknown call '%s'", name);
			continue;
		}
		seen[i] = true;
		if (gate_calls[i].how == GATE_ABI2)
			step(&v, rax > 0 && (rax >> 16) == 2, "%s answered 0x%lx, want ABI 2.x",
			     name, rax);
		else if (gate_calls[i].how == GATE_PAGE_COUNT)
			step(&v, rax > 0 && rax <= (long)PAGE, "%s answered %ld, want 1 to %lu",
			     name, rax, PAGE);
		else
			step(&v, rax == gate_calls[i].want, "%s answered %ld, want %ld", name, rax,
			     gate_calls[i].want);
		if (gate_calls[i].how == GATE_PAGE_COUNT)
			log_bytes = rax;
		step(&v, !strcmp(kept, "kept"), "%s: the page at RBX %s", name, kept);
	}
	for (i = 0; i < NGATE_CALLS; i++)
		step(&v, seen[i], "no call %s (HC_HV_MEMORY failed?)", gate_calls[i].name);
	if (gate_page_valid)
		expect_gate_page(&v, log_bytes);
	else
		info("hypercall-kernel: tdpvisor_hc was loaded before: what its calls wrote into "
		     "hidden memory is not checked");
	conclude(&v, "hypercall-kernel", "at CPL 0 (tdpvisor_hc): KVM's 1, 5, 9, 10, 12, the "
		 "numbers around the hypercall space and HC_HV_MEMORY with high bits answer "
		 "-ENOSYS, the page at RBX kept; HC_HV_MEMORY, HC_STATS, HC_LOG_READ, "
		 "HC_GPA_MAPPING into hidden memory answer as into memory and left their output "
		 "there, nothing else; HC_VERSION 2.x");
}

/* ---- S3 sleep writes without a waking vector ------------------------------ */

/*
 * The FADT's PM1a control port, the FACS's waking vectors and \_S3_'s
 * sleep type, read from the tables Linux exports; the hypervisor's log
 * through tdpvisor_hc's /proc file (HC_LOG_READ at CPL 0).
 */
#define ACPI_TABLES "/sys/firmware/acpi/tables/"
#define GATE_LOG "/proc/tdpvisor_hc_log"
#define ACPI_HEADER_BYTES 36
#define FADT_FIRMWARE_CTRL 36	/* u32 */
#define FADT_PM1A_CNT_BLK 64	/* u32 */
#define FADT_X_FIRMWARE_CTRL 132	/* u64 */
#define FACS_WAKING_VECTOR 12	/* u32 */
#define FACS_X_WAKING_VECTOR 24	/* u64 */
#define AML_NAME_OP 0x08
#define AML_ROOT_CHAR '\\'
#define AML_PACKAGE_OP 0x12
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_BYTE_PREFIX 0x0a
#define PM1_SLP_EN 0x2000
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK (7U << PM1_SLP_TYP_SHIFT)
#define SLEEP_REFUSED "asks to sleep, but the OS set no waking vector"
#define LOG_MARK_BYTES 160	/* the log's tail before a write, to find it after */

/* The whole of the file at PATH in a malloc()ed buffer (NUL-terminated,
 * *len bytes before it), or NULL with errno set. */
static uint8_t *read_all(const char *path, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	uint8_t *buf = malloc(cap + 1), *more;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = 0;

	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (n == cap) {
			more = realloc(buf, 2 * cap + 1);
			if (!more)
				goto fail;
			buf = more;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (r < 0)
		goto fail;
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static uint64_t le_at(const uint8_t *p, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = v << 8 | p[bytes];
	return v;
}

/*
 * \_S3_'s SLP_TYP for PM1a from the DSDT, the simple way firmware compiles
 * it: NameOp, an optional '\', "_S3_", PackageOp, PkgLength, the element
 * count, then the first element as Zero, One or BytePrefix nn.  -1 when
 * there is none of that form.
 */
static int s3_slp_typ(const uint8_t *d, size_t n)
{
	size_t i, j;

	for (i = ACPI_HEADER_BYTES + 1; i + 4 < n; i++) {
		if (memcmp(d + i, "_S3_", 4))
			continue;
		if (d[i - 1] != AML_NAME_OP &&
		    (d[i - 1] != AML_ROOT_CHAR || d[i - 2] != AML_NAME_OP))
			continue;
		j = i + 4;
		if (d[j] != AML_PACKAGE_OP || j + 2 >= n)
			continue;
		j += 1 + 1 + (d[j + 1] >> 6) + 1;	/* PkgLength's bytes, the count */
		if (j >= n)
			continue;
		if (d[j] == AML_ZERO_OP || d[j] == AML_ONE_OP)
			return d[j];
		if (d[j] == AML_BYTE_PREFIX && j + 1 < n && d[j + 1] <= 7)
			return d[j + 1];
	}
	return -1;
}

/*
 * What a sleep write needs, from the ACPI tables: 0 with the PM1a control
 * port and \_S3_'s type, or -1 with *why saying why the attack cannot run
 * (no tables, no S3, or a waking vector set: a sleep would then be real).
 */
static int sleep_tables(uint16_t *pm1a, unsigned int *typ, const char **why)
{
	static char text[200];
	uint8_t *fadt, *facs = NULL, *dsdt = NULL;
	size_t nfadt, nfacs, ndsdt;
	uint64_t ctrl = 0, vec, xvec = 0;
	int t, ret = -1;

	*why = text;
	fadt = read_all(ACPI_TABLES "FACP", &nfadt);
	if (!fadt || nfadt < FADT_PM1A_CNT_BLK + 4) {
		snprintf(text, sizeof(text), "no FADT in " ACPI_TABLES "FACP (%s)",
			 fadt ? "too short" : strerror(errno));
		goto out;
	}
	ctrl = le_at(fadt + FADT_FIRMWARE_CTRL, 4);
	if (nfadt >= FADT_X_FIRMWARE_CTRL + 8 && le_at(fadt + FADT_X_FIRMWARE_CTRL, 8))
		ctrl = le_at(fadt + FADT_X_FIRMWARE_CTRL, 8);
	*pm1a = (uint16_t)le_at(fadt + FADT_PM1A_CNT_BLK, 4);
	if (!ctrl || !*pm1a || le_at(fadt + FADT_PM1A_CNT_BLK, 4) > 0xffff) {
		snprintf(text, sizeof(text), "the FADT names %s", !ctrl ? "no FACS" :
			 "no PM1a control port (PM1a_CNT_BLK 0 or above 0xffff)");
		goto out;
	}
	facs = read_all(ACPI_TABLES "FACS", &nfacs);
	if (!facs || nfacs < FACS_WAKING_VECTOR + 4) {
		snprintf(text, sizeof(text), "no FACS in " ACPI_TABLES "FACS (%s)",
			 facs ? "too short" : strerror(errno));
		goto out;
	}
	vec = le_at(facs + FACS_WAKING_VECTOR, 4);
	if (nfacs >= FACS_X_WAKING_VECTOR + 8)
		xvec = le_at(facs + FACS_X_WAKING_VECTOR, 8);
	if (vec || xvec) {
		snprintf(text, sizeof(text), "the FACS holds a waking vector (0x%" PRIx64 ", X 0x%"
			 PRIx64 "): a sleep write would really sleep", vec, xvec);
		goto out;
	}
	dsdt = read_all(ACPI_TABLES "DSDT", &ndsdt);
	if (!dsdt) {
		snprintf(text, sizeof(text), "no DSDT in " ACPI_TABLES "DSDT (%s)", strerror(errno));
		goto out;
	}
	t = s3_slp_typ(dsdt, ndsdt);
	if (t < 0) {
		snprintf(text, sizeof(text), "the DSDT has no Name (_S3_, Package () {...}) "
			 "(no S3)");
		goto out;
	}
	*typ = (unsigned int)t;
	ret = 0;
out:
	free(fadt);
	free(facs);
	free(dsdt);
	return ret;
}

/* The hypervisor's log (NUL-terminated, *len bytes), or NULL with errno. */
static char *hv_log(size_t *len)
{
	return (char *)read_all(GATE_LOG, len);
}

/* Where the text after MARK starts in LOG (the log read before a write):
 * NULL when the mark is gone (more than the ring logged in between). */
static const char *after_mark(const char *log, size_t len, const char *mark, size_t nmark)
{
	const char *p = memmem(log, len, mark, nmark), *q;

	/* The last place it occurs: the newest lines follow it. */
	while (p && (q = memmem(p + 1, len - (size_t)(p + 1 - log), mark, nmark)))
		p = q;
	return p ? p + nmark : NULL;
}

/* The hypervisor's id for the CPU with local APIC ID APIC, from its line
 * "smp: cpuN: APIC ID X" in LOG; -1 when the ring no longer holds it. */
static int hv_cpu_id(const char *log, unsigned int apic)
{
	const char *p = log;
	unsigned int id, a;

	while ((p = strstr(p, "smp: cpu"))) {
		if (sscanf(p, "smp: cpu%u: APIC ID %u", &id, &a) == 2 && a == apic)
			return (int)id;
		p++;
	}
	return -1;
}

static unsigned int my_apic_id(void)
{
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	return b >> 24;
}

/*
 * One sleep write (PORT, SIZE bytes of VAL) on the CPU this process is
 * pinned to (Linux's CPU, the hypervisor's HVID): afterwards still there,
 * PM1a's SLP_TYP as before (the write did not reach the hardware), and
 * exactly one new refusal line in the hypervisor's log, for HVID.
 */
static void sleep_write(struct verdict *v, int cpu, int hvid, uint16_t pm1a, uint16_t port,
			unsigned int size, uint16_t val)
{
	char what[80], mark[LOG_MARK_BYTES], want[96], *before, *after;
	const char *p, *line;
	size_t nb, na, nmark;
	uint16_t typ_before = inw(pm1a) & PM1_SLP_TYP_MASK, typ_after;
	unsigned int lines = 0, ours = 0;
	int now;

	snprintf(what, sizeof(what), "cpu%d: out%s 0x%x to 0x%x", cpu, size == 2 ? "w" : "b",
		 val, port);
	before = hv_log(&nb);
	if (!before || !nb) {
		step(v, false, "%s: cannot read " GATE_LOG " before it: %s", what,
		     before ? "empty" : strerror(errno));
		free(before);
		return;
	}
	nmark = nb < sizeof(mark) ? nb : sizeof(mark);
	memcpy(mark, before + nb - nmark, nmark);
	free(before);

	doing("%s", what);
	if (size == 2)
		outw(val, port);
	else
		outb((uint8_t)val, port);
	now = sched_getcpu();
	typ_after = inw(pm1a) & PM1_SLP_TYP_MASK;

	step(v, now == cpu, "%s: went on on cpu%d, not on cpu%d", what, now, cpu);
	step(v, typ_after == typ_before, "%s: PM1a's SLP_TYP reads %u afterwards, %u before "
	     "(the write reached the hardware)", what, typ_after >> PM1_SLP_TYP_SHIFT,
	     typ_before >> PM1_SLP_TYP_SHIFT);
	after = hv_log(&na);
	p = after ? after_mark(after, na, mark, nmark) : NULL;
	if (!p) {
		step(v, false, "%s: %s", what, after ? "the log read before it is no longer in "
		     "the ring" : "cannot read " GATE_LOG " after it");
		free(after);
		return;
	}
	snprintf(want, sizeof(want), "S3: cpu%d " SLEEP_REFUSED, hvid);
	for (line = p; (line = strstr(line, SLEEP_REFUSED)); line++)
		lines++;
	for (line = p; (line = strstr(line, want)); line++)
		ours++;
	step(v, lines == 1 && ours == 1, "%s: the hypervisor logged %u '" SLEEP_REFUSED "' "
	     "lines, %u for cpu%d; want one, for cpu%d", what, lines, ours, hvid, hvid);
	free(after);
}

static void attack_sleep(void)
{
	cpu_set_t online, one;
	struct verdict v = { 0 };
	const char *why;
	uint16_t pm1a, cur, val;
	unsigned int typ, ncpus = 0, guessed = 0;
	char *log;
	size_t n;
	int cpu, hvid;

	if (sleep_tables(&pm1a, &typ, &why)) {
		skip("sleep", "%s", why);
		return;
	}
	if (load_gate() || access(GATE_LOG, R_OK)) {
		report(false, "sleep", "no " GATE_LOG " (tdpvisor_hc) to read the hypervisor's "
		       "log: %s", strerror(errno));
		return;
	}
	if (ioperm(pm1a, 2, 1) || iopl(3)) {
		report(false, "sleep", "ioperm(0x%x, 2)/iopl(3) refused: %s", pm1a,
		       strerror(errno));
		return;
	}
	if (sched_getaffinity(0, sizeof(online), &online)) {
		report(false, "sleep", "sched_getaffinity: %s", strerror(errno));
		return;
	}
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &online))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) || sched_getcpu() != cpu) {
			step(&v, false, "cannot run on cpu%d: %s", cpu, strerror(errno));
			continue;
		}
		ncpus++;
		log = hv_log(&n);
		hvid = log ? hv_cpu_id(log, my_apic_id()) : -1;
		free(log);
		if (hvid < 0) {
			hvid = cpu;	/* the boot lines left the ring: the same order */
			guessed++;
		}
		/* SLP_EN with S3's type, the other bits (SCI_EN) as they are. */
		cur = inw(pm1a) & ~(PM1_SLP_EN | PM1_SLP_TYP_MASK);
		val = cur | (uint16_t)(typ << PM1_SLP_TYP_SHIFT) | PM1_SLP_EN;
		sleep_write(&v, cpu, hvid, pm1a, pm1a, 2, val);
		sleep_write(&v, cpu, hvid, pm1a, pm1a + 1, 1, val >> 8);
	}
	sched_setaffinity(0, sizeof(online), &online);
	if (guessed)
		info("sleep: %u CPU%s not named in the hypervisor's log by APIC ID: taken as "
		     "numbered as Linux numbers them", guessed, guessed == 1 ? "" : "s");
	{
		char what[200];

		snprintf(what, sizeof(what), "S3 writes (SLP_TYP %u | SLP_EN) to PM1a 0x%x as a "
			 "word and to 0x%x as a byte, no waking vector set, on %u CPU%s: each "
			 "went on on its CPU, nothing reached PM1a, one refusal in the log each",
			 typ, pm1a, pm1a + 1, ncpus, ncpus == 1 ? "" : "s");
		conclude(&v, "sleep", what);
	}
}

/* ---- main ----------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
	bool hidden;	/* needs the hidden ranges */
} attacks[] = {
	/* Plain MOVs, intercepted instructions and hypercalls first, then the
	 * other instructions on hidden memory, then string I/O, which the
	 * hypervisor emulates: one run reports as much as it can before an
	 * attack that ends the machine. */
	{ "mov", attack_mov, true },
	{ "tf", attack_tf, false },
	{ "tf-mmio", attack_tf_mmio, true },
	{ "hypercall-user", attack_hypercall_user, false },
	{ "hypercall-kernel", attack_hypercall_kernel, false },
	{ "flood", attack_flood, true },
	{ "string", attack_string, true },
	{ "sse", attack_sse, true },
	{ "avx", attack_avx, true },
	{ "atomic", attack_atomic, true },
	{ "io", attack_io, false },
	{ "io-fault", attack_io_fault, false },
	{ "tf-string", attack_tf_string, false },
	/* Last: were the hypervisor to let it through, the machine sleeps. */
	{ "sleep", attack_sleep, false },
};
#define NATTACKS (sizeof(attacks) / sizeof(attacks[0]))

static void usage(void)
{
	unsigned int i;

	fprintf(stderr, "usage: adversary [ATTACK...] [hidden=A-B[,A-B...]]\n  ATTACK: all");
	for (i = 0; i < NATTACKS; i++)
		fprintf(stderr, " %s", attacks[i].name);
	fprintf(stderr, "\n");
	exit(1);
}

/*
 * Runs attack I in a child process: its own lines, and an unasked-for fault
 * ends only it.  Counts the outcome: exit 0 passed, 1 or 2 failed (with its
 * FAIL line), 4 skipped; anything else is a FAIL line here.
 */
#define EXIT_SKIPPED 4
static void run_attack(unsigned int i)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		report(false, attacks[i].name, "cannot fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		attack_name = attacks[i].name;
		passed = failed = skipped = 0;
		scratch_reset();
		attacks[i].fn();
		scratch_reset();	/* all ones again for whatever comes next */
		fflush(stdout);
		_exit(failed ? 1 : skipped ? EXIT_SKIPPED : passed ? 0 : 3);
	}
	if (waitpid(pid, &st, 0) != pid) {
		report(false, attacks[i].name, "cannot wait for it: %s", strerror(errno));
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		passed++;
	else if (WIFEXITED(st) && (WEXITSTATUS(st) == 1 || WEXITSTATUS(st) == 2))
		failed++;
	else if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_SKIPPED)
		skipped++;
	else if (WIFEXITED(st))
		report(false, attacks[i].name, "exited with %d without a verdict",
		       WEXITSTATUS(st));
	else
		report(false, attacks[i].name, "killed by signal %d (%s)",
		       WIFSIGNALED(st) ? WTERMSIG(st) : -1,
		       WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "?");
}

int main(int argc, char **argv)
{
	bool pick[NATTACKS] = { false }, any = false;
	unsigned int i;
	int a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (a = 1; a < argc; a++) {
		bool known = false;

		if (!strncmp(argv[a], "hidden=", 7)) {
			if (parse_ranges(argv[a] + 7))
				usage();
			continue;
		}
		for (i = 0; i < NATTACKS; i++)
			if (!strcmp(argv[a], "all") || !strcmp(argv[a], attacks[i].name))
				pick[i] = any = known = true;
		if (!known)
			usage();
	}
	if (!any)
		for (i = 0; i < NATTACKS; i++)
			pick[i] = true;
	fault_install();
	/* The ranges are found (and named) whatever the attacks: a run of
	 * some attacks reports as much about them as a run of all. */
	if (!setup_hidden()) {
		for (i = 0; i < NATTACKS; i++)
			pick[i] = pick[i] && !attacks[i].hidden;
	}
	for (i = 0; i < NATTACKS; i++)
		if (pick[i])
			run_attack(i);
	/* An attack that died half-way may have left its writes: all ones
	 * again, as smpcheck and memcheck find the ranges afterwards. */
	attack_name = "the end";
	scratch_reset();
	printf("adversary: %u passed, %u failed, %u skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
