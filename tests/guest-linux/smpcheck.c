// SPDX-License-Identifier: GPL-2.0
/*
 * smpcheck — from inside the default guest, check that every CPU runs under
 * tdpvisor (statically linked, runs from the initramfs as root).
 *
 * Usage: smpcheck [all | cpuid [CPU...] | hidden [A-B...] | memcheck [MIB] |
 *                  hotplug CPU]
 *   all (the default)  cpuid, hidden, memcheck, then hotplug 1 (with 2 CPUs
 *                      or more), and a summary line
 *   cpuid [CPU...]     pinned to each online CPU (or the given ones) in turn,
 *                      CPUID says: leaf 0x40000000 signature "tdpvisor",
 *                      leaf 1 ECX.hypervisor (bit 31) set, leaf 0x80000001
 *                      ECX.SVM (bit 2) clear
 *   hidden [A-B...]    the hypervisor's hidden ranges (hex, inclusive; by
 *                      default found as below) read through /dev/mem the
 *                      same on every online CPU as on cpu0: all ones
 *   memcheck [MIB]     one memcheck per online CPU, all at once, each pinned
 *                      to its CPU over an equal share of MIB (default: 90%
 *                      of MemAvailable); every one must pass
 *   hotplug CPU        CPU goes offline and online again through
 *                      /sys/devices/system/cpu/cpuCPU/online, then the
 *                      cpuid check runs on it
 *
 * The hidden ranges.  The hypervisor names them by hypercall (HC_HV_MEMORY),
 * but a hypercall from CPL 3 raises #UD, so a user program cannot ask.  Both
 * ranges (the memory pool and the hypervisor's copy of itself) are
 * EfiReservedMemoryType, i.e. "Reserved" ranges of the firmware's memory
 * map (/sys/firmware/memmap, the kernel's BIOS-e820 lines).  A Reserved
 * range at or above 1 MiB whose sampled words (the first and last word of
 * SAMPLE_PAGES pages spread over it) all read as all ones on cpu0 is taken
 * for a hidden range; reading stops at the first word that is not all ones.
 * The found ranges are printed, so a test compares them with the
 * hypervisor's own "platform: hiding [A-B] and [C-D]" log line.  The reads
 * are single 8-byte MOVs through a mapping of /dev/mem (each page of a
 * hidden range maps the hypervisor's one scratch page, all ones unless a
 * guest wrote there).  Debian's kernel has CONFIG_STRICT_DEVMEM and
 * CONFIG_IO_STRICT_DEVMEM: a page that is System RAM or a busy resource
 * cannot be mapped; e820 "Reserved" ranges above 1 MiB are neither.
 *
 * Output: one line per check, "smpcheck: ..." when it passes and
 * "smpcheck: FAIL ..." when it does not; other lines are information.  The
 * memcheck instances print their own "memcheck: N MiB ok" lines.  `all`
 * ends with "smpcheck: N passed, M failed".  Exit 0 when every check
 * passed, 1 otherwise or on a usage error.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_CPUS 256
#define MAX_RANGES 64
#define SAMPLE_PAGES 4
#define SAMPLE_WORDS (2 * SAMPLE_PAGES)
#define PAGE 4096ULL
#define ONE_MIB (1024ULL * 1024ULL)
#define SYS_CPU "/sys/devices/system/cpu"

struct range {
	uint64_t start, end;	/* inclusive */
};

static unsigned int passed, failed;

/*
 * A line out, and on the wire: the hypervisor writes its own lines (one for
 * each read of its memory) to the same UART, character by character, so a
 * line the console still transmits would be interleaved with them.  Before
 * the next read, wait until the tty has sent everything (not a tty: nothing
 * to wait for).
 */
static void line_out(void)
{
	putchar('\n');
	fflush(stdout);
	tcdrain(STDOUT_FILENO);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: smpcheck [all | cpuid [CPU...] | hidden [A-B...] | memcheck [MIB] |"
		" hotplug CPU]\n"
		"  checks that every CPU runs under tdpvisor (default: all of them)\n");
	exit(1);
}

static void __attribute__((format(printf, 2, 3))) check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf(ok ? "smpcheck: " : "smpcheck: FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	line_out();
	if (ok)
		passed++;
	else
		failed++;
}

static void __attribute__((format(printf, 1, 2))) info(const char *fmt, ...)
{
	va_list ap;

	printf("smpcheck: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	line_out();
}

/* A CPU list as the kernel writes it ("0-3,5"): the CPUs, ascending. */
static int parse_cpu_list(const char *s, int *cpus, int max)
{
	int n = 0;

	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b = a;

		if (end == s || a < 0)
			return -1;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a)
				return -1;
			s = end;
		}
		for (; a <= b; a++) {
			if (n == max)
				return -1;
			cpus[n++] = (int)a;
		}
		if (*s == ',')
			s++;
	}
	return n;
}

static int read_file(const char *path, char *buf, size_t len)
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

/* The online CPUs, or -1 with a FAIL line. */
static int online_cpus(int *cpus)
{
	char buf[1024];
	int n;

	if (read_file(SYS_CPU "/online", buf, sizeof(buf))) {
		check(false, "cannot read " SYS_CPU "/online: %s", strerror(errno));
		return -1;
	}
	n = parse_cpu_list(buf, cpus, MAX_CPUS);
	if (n <= 0) {
		check(false, "cannot parse " SYS_CPU "/online: '%s'", buf);
		return -1;
	}
	return n;
}

/* Runs the calling thread on CPU alone; 0, or -errno. */
static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	return sched_getcpu() == cpu ? 0 : -EAGAIN;
}

/* ---- cpuid ---------------------------------------------------------------- */

static void cpuid_check(int cpu, const char *when)
{
	unsigned int a, b, c, d, max_ext;
	char sig[13] = { 0 };
	int err = pin(cpu);

	if (err) {
		check(false, "cpu%d: cannot run there%s: %s", cpu, when, strerror(-err));
		return;
	}
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	for (a = 0; a < 12; a++)
		if (!isprint((unsigned char)sig[a]))
			sig[a] = '.';
	if (memcmp(sig, "tdpvisor", 8)) {
		check(false, "cpu%d%s: CPUID 0x40000000 signature '%s', not 'tdpvisor'", cpu, when,
		      sig);
		return;
	}
	__cpuid(1, a, b, c, d);
	if (!(c & (1U << 31))) {
		check(false, "cpu%d%s: CPUID.1:ECX.hypervisor (bit 31) clear (ECX 0x%08x)", cpu,
		      when, c);
		return;
	}
	__cpuid(0x80000000, max_ext, b, c, d);
	if (max_ext >= 0x80000001) {
		__cpuid(0x80000001, a, b, c, d);
		if (c & (1U << 2)) {
			check(false, "cpu%d%s: CPUID.80000001:ECX.SVM (bit 2) set (ECX 0x%08x)",
			      cpu, when, c);
			return;
		}
	}
	check(true, "cpu%d: tdpvisor, no SVM%s", cpu, when);
}

static void cmd_cpuid(int argc, char **argv)
{
	int cpus[MAX_CPUS], n, i;

	if (argc) {
		for (i = 0; i < argc; i++) {
			char *end;
			long c = strtol(argv[i], &end, 10);

			if (end == argv[i] || *end || c < 0 || c >= MAX_CPUS)
				usage();
			cpuid_check((int)c, "");
		}
		return;
	}
	n = online_cpus(cpus);
	for (i = 0; i < n; i++)
		cpuid_check(cpus[i], "");
}

/* ---- hidden --------------------------------------------------------------- */

/* The Reserved ranges of the firmware's memory map at or above 1 MiB. */
static int reserved_ranges(struct range *r, int max)
{
	DIR *dir = opendir("/sys/firmware/memmap");
	struct dirent *e;
	char path[300], buf[64];
	int n = 0;

	if (!dir) {
		check(false, "cannot read /sys/firmware/memmap: %s", strerror(errno));
		return -1;
	}
	while ((e = readdir(dir)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%s/type", e->d_name);
		if (read_file(path, buf, sizeof(buf)) || strcmp(buf, "Reserved\n"))
			continue;
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%s/start", e->d_name);
		if (read_file(path, buf, sizeof(buf)))
			continue;
		r[n].start = strtoull(buf, NULL, 16);
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%s/end", e->d_name);
		if (read_file(path, buf, sizeof(buf)))
			continue;
		r[n].end = strtoull(buf, NULL, 16);
		if (r[n].start >= ONE_MIB && r[n].end > r[n].start)
			n++;
	}
	closedir(dir);
	return n;
}

/* The physical addresses sampled in R: the first and last word of
 * SAMPLE_PAGES pages spread over it (as probe.efi samples). */
static void sample_addrs(const struct range *r, uint64_t *addr)
{
	uint64_t pages = (r->end - r->start + 1) / PAGE, i;

	if (!pages)
		pages = 1;
	for (i = 0; i < SAMPLE_PAGES; i++) {
		uint64_t page = r->start + (SAMPLE_PAGES > 1 ?
					    i * (pages - 1) / (SAMPLE_PAGES - 1) : 0) * PAGE;

		addr[2 * i] = page;
		addr[2 * i + 1] = page + PAGE - 8;
		if (addr[2 * i + 1] > r->end - 7)
			addr[2 * i + 1] = r->end - 7;
	}
}

/* One 8-byte MOV from physical address PA through /dev/mem; 0 or -errno. */
static int phys_read64(int fd, uint64_t pa, uint64_t *val)
{
	uint64_t page = pa & ~(PAGE - 1);
	volatile uint8_t *p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, (off_t)page);
	uint64_t v;

	if (p == MAP_FAILED)
		return -errno;
	__asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(p + (pa - page)) : "memory");
	munmap((void *)p, PAGE);
	*val = v;
	return 0;
}

static void cmd_hidden(int argc, char **argv)
{
	struct range res[MAX_RANGES], hid[MAX_RANGES];
	uint64_t addr[MAX_RANGES][SAMPLE_WORDS], want[MAX_RANGES][SAMPLE_WORDS], v = 0;
	int cpus[MAX_CPUS], ncpus, nres, nhid = 0, fd, i, j, k, err;
	bool explicit = argc > 0;

	fd = open("/dev/mem", O_RDONLY | O_SYNC);
	if (fd < 0) {
		check(false, "cannot open /dev/mem: %s", strerror(errno));
		return;
	}
	ncpus = online_cpus(cpus);
	if (ncpus < 0)
		goto out;
	if (explicit) {
		if (argc > MAX_RANGES)
			usage();
		for (i = 0; i < argc; i++) {
			char *end;

			res[i].start = strtoull(argv[i], &end, 16);
			if (*end != '-')
				usage();
			res[i].end = strtoull(end + 1, &end, 16);
			if (*end || res[i].end <= res[i].start)
				usage();
		}
		nres = argc;
	} else {
		nres = reserved_ranges(res, MAX_RANGES);
		if (nres < 0)
			goto out;
	}

	/* cpu0 first: which ranges read as the hypervisor's, and what. */
	err = pin(0);
	if (err) {
		check(false, "cpu0: cannot run there: %s", strerror(-err));
		goto out;
	}
	for (i = 0; i < nres; i++) {
		uint64_t a[SAMPLE_WORDS];
		bool ones = true;

		sample_addrs(&res[i], a);
		for (k = 0; k < SAMPLE_WORDS && ones; k++) {
			err = phys_read64(fd, a[k], &v);
			if (err) {
				info("reserved [0x%" PRIx64 "-0x%" PRIx64 "]: not mapped through "
				     "/dev/mem at 0x%" PRIx64 " (%s)", res[i].start, res[i].end,
				     a[k], strerror(-err));
				ones = false;
			} else if (v != ~0ULL) {
				info("reserved [0x%" PRIx64 "-0x%" PRIx64 "]: not hidden: 0x%" PRIx64
				     " reads 0x%016" PRIx64 " on cpu0", res[i].start, res[i].end,
				     a[k], v);
				ones = false;
			}
			want[nhid][k] = v;
		}
		if (!ones) {
			if (explicit)
				check(false, "hidden range [0x%" PRIx64 "-0x%" PRIx64 "] does not "
				      "read as all ones on cpu0", res[i].start, res[i].end);
			continue;
		}
		hid[nhid] = res[i];
		memcpy(addr[nhid], a, sizeof(a));
		check(true, "hidden range [0x%" PRIx64 "-0x%" PRIx64 "]: %d words read as all "
		      "ones on cpu0", res[i].start, res[i].end, SAMPLE_WORDS);
		nhid++;
	}
	if (!nhid) {
		check(false, "no reserved range reads as the hypervisor's hidden memory "
		      "(all ones) on cpu0");
		goto out;
	}

	/* Every other CPU: the same words, the same values. */
	for (j = 0; j < ncpus; j++) {
		if (cpus[j] == 0)
			continue;
		err = pin(cpus[j]);
		if (err) {
			check(false, "cpu%d: cannot run there: %s", cpus[j], strerror(-err));
			continue;
		}
		for (i = 0; i < nhid; i++) {
			bool same = true;

			for (k = 0; k < SAMPLE_WORDS && same; k++) {
				err = phys_read64(fd, addr[i][k], &v);
				if (err) {
					check(false, "cpu%d: hidden range [0x%" PRIx64 "-0x%" PRIx64
					      "]: cannot map 0x%" PRIx64 ": %s", cpus[j],
					      hid[i].start, hid[i].end, addr[i][k], strerror(-err));
					same = false;
				} else if (v != want[i][k]) {
					check(false, "cpu%d: hidden range [0x%" PRIx64 "-0x%" PRIx64
					      "]: 0x%" PRIx64 " reads 0x%016" PRIx64 ", cpu0 read "
					      "0x%016" PRIx64, cpus[j], hid[i].start, hid[i].end,
					      addr[i][k], v, want[i][k]);
					same = false;
				}
			}
			if (same)
				check(true, "cpu%d: hidden range [0x%" PRIx64 "-0x%" PRIx64 "]: %d "
				      "words read as on cpu0 (all ones)", cpus[j], hid[i].start,
				      hid[i].end, SAMPLE_WORDS);
		}
	}
out:
	close(fd);
}

/* ---- memcheck ------------------------------------------------------------- */

/* MemAvailable in KiB, or 0 if /proc/meminfo does not say. */
static unsigned long long mem_available_kib(void)
{
	char line[256];
	unsigned long long kib = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
		kib = 0;
	}
	fclose(f);
	return kib;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void cmd_memcheck(int argc, char **argv)
{
	int cpus[MAX_CPUS], status[MAX_CPUS], ncpus, i, left, started = 0, early = 0, st;
	pid_t pid[MAX_CPUS], p;
	unsigned long long mib, share;
	double t0, t_started, t_end;
	char arg[32];

	if (argc > 1)
		usage();
	ncpus = online_cpus(cpus);
	if (ncpus < 0)
		return;
	if (argc == 1) {
		char *end;

		mib = strtoull(argv[0], &end, 10);
		if (end == argv[0] || *end || !mib)
			usage();
	} else {
		mib = mem_available_kib() * 9 / 10 / 1024;
	}
	share = mib / (unsigned long long)ncpus;
	if (!share) {
		check(false, "memcheck: %llu MiB is less than 1 MiB per CPU", mib);
		return;
	}
	snprintf(arg, sizeof(arg), "%llu", share);
	info("memcheck on %d CPUs at once, %llu MiB each", ncpus, share);

	t0 = now();
	for (i = 0; i < ncpus; i++) {
		pid[i] = fork();
		if (pid[i] < 0) {
			check(false, "cpu%d: cannot fork: %s", cpus[i], strerror(errno));
			break;
		}
		if (pid[i] == 0) {
			int err = pin(cpus[i]);

			if (err) {
				printf("smpcheck: cpu%d: cannot run there: %s\n", cpus[i],
				       strerror(-err));
				_exit(126);
			}
			execlp("memcheck", "memcheck", arg, (char *)NULL);
			printf("smpcheck: cannot run memcheck: %s\n", strerror(errno));
			_exit(127);
		}
		started++;
	}
	t_started = now();
	for (i = 0; i < started; i++)
		status[i] = -1;
	/* Whichever instance had ended by the time the last one started
	 * did not run alongside all the others. */
	for (left = started; left > 0; left--) {
		p = waitpid(-1, &st, left == started ? WNOHANG : 0);
		if (p == 0 && left == started)
			p = wait(&st);
		else if (p > 0 && left == started)
			early = 1;
		if (p < 0)
			break;
		for (i = 0; i < started; i++)
			if (pid[i] == p)
				status[i] = st;
	}
	t_end = now();
	for (i = 0; i < started; i++) {
		st = status[i];
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			check(true, "cpu%d: memcheck over %llu MiB passed", cpus[i], share);
		else if (WIFEXITED(st))
			check(false, "cpu%d: memcheck over %llu MiB exited with %d", cpus[i], share,
			      WEXITSTATUS(st));
		else
			check(false, "cpu%d: memcheck over %llu MiB killed by signal %d", cpus[i],
			      share, WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	}
	check(started == ncpus && !early,
	      "memcheck: %d instances ran at once (all started in %.2f s, %s; all done in "
	      "%.2f s)", started, t_started - t0,
	      early ? "but one had already ended" : "none had ended", t_end - t0);
}

/* ---- hotplug -------------------------------------------------------------- */

static int write_online(int cpu, const char *val)
{
	char path[128];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), SYS_CPU "/cpu%d/online", cpu);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fputs(val, f) < 0)
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

static int read_online(int cpu)
{
	char path[128], buf[16];

	snprintf(path, sizeof(path), SYS_CPU "/cpu%d/online", cpu);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return buf[0] == '1' ? 1 : buf[0] == '0' ? 0 : -1;
}

static void cmd_hotplug(int argc, char **argv)
{
	cpu_set_t set;
	char *end;
	long cpu;
	int err, on, pin_err;
	double t;

	if (argc != 1)
		usage();
	cpu = strtol(argv[0], &end, 10);
	if (end == argv[0] || *end || cpu < 1 || cpu >= MAX_CPUS)
		usage();
	/* Off the CPU that goes away. */
	if (pin(0)) {
		check(false, "cpu0: cannot run there");
		return;
	}
	t = now();
	err = write_online((int)cpu, "0\n");
	on = read_online((int)cpu);
	CPU_ZERO(&set);
	CPU_SET((int)cpu, &set);
	pin_err = sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
	check(!err && on == 0 && pin_err == EINVAL,
	      "cpu%ld: offline (write %s, online reads %d, pinning to it %s) in %.2f s", cpu,
	      err ? strerror(-err) : "ok", on, pin_err == EINVAL ? "refused" : "allowed",
	      now() - t);
	pin(0);
	t = now();
	err = write_online((int)cpu, "1\n");
	on = read_online((int)cpu);
	check(!err && on == 1, "cpu%ld: online again (write %s, online reads %d) in %.2f s", cpu,
	      err ? strerror(-err) : "ok", on, now() - t);
	if (!err && on == 1)
		cpuid_check((int)cpu, " (back online)");
}

/* ---- all ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "all";
	int cpus[MAX_CPUS], n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1)
		argc -= 2, argv += 2;
	else
		argc = 0;
	if (!strcmp(cmd, "cpuid")) {
		cmd_cpuid(argc, argv);
	} else if (!strcmp(cmd, "hidden")) {
		cmd_hidden(argc, argv);
	} else if (!strcmp(cmd, "memcheck")) {
		cmd_memcheck(argc, argv);
	} else if (!strcmp(cmd, "hotplug")) {
		cmd_hotplug(argc, argv);
	} else if (!strcmp(cmd, "all")) {
		if (argc)
			usage();
		cmd_cpuid(0, NULL);
		cmd_hidden(0, NULL);
		cmd_memcheck(0, NULL);
		n = online_cpus(cpus);
		if (n >= 2)
			cmd_hotplug(1, (char *[]){ "1" });
		else
			info("one CPU online: no hotplug check");
		printf("smpcheck: %u passed, %u failed\n", passed, failed);
	} else {
		usage();
	}
	return failed ? 1 : 0;
}
