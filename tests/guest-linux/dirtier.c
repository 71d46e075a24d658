// SPDX-License-Identifier: MIT
/*
 * dirtier — a workload with known truth for tdpvisor's memory telemetry.
 *
 *   dirtier RATE WSS_MIB SECONDS [RATE WSS_MIB SECONDS ...]
 *
 * Each phase maps and locks a working set of WSS_MIB MiB, reads one word
 * of every page of it every READ_PERIOD_MS (so every page is accessed in
 * every telemetry interval longer than that), and writes one word of
 * RATE distinct pages a second, walking the set in order (so as long as
 * the set holds more pages than RATE times the interval, the pages
 * written in one interval are all distinct).  All along it polls the
 * newest telemetry record (/proc/tdpvisor_telemetry_last, from the
 * tdpvisor_telemetry module) every POLL_MS and notes, by its own clock,
 * when each harvest appeared.  After WARMUP_S seconds it opens a window of
 * SECONDS: from the first harvest seen in it (A) to the last (B).  The
 * records A+1..B (read from /proc/tdpvisor_telemetry) each cover an
 * interval wholly inside the steady workload; their dirty pages over the
 * guest's time from A to B is the measured rate -- timed by the guest, so
 * a hypervisor clock calibrated off under emulation does not bias it
 * (dirtier prints both durations) -- and their mean young pages the
 * measured working set.  Against the truth:
 *
 *   dirtier: phase N: dirty rate measured M pages/s, true T pages/s, error E% ok|FAIL
 *   dirtier: phase N: working set measured M pages, true T pages, error E% ok|FAIL
 *
 * The dirty truth is the rate dirtier achieved (pages written / elapsed
 * time of the window), the working-set truth the set's page count.  The
 * rest of the OS adds a small background to both; the limit is 10%.
 * Without the ring (no module, telemetry off) it prints the truth alone.
 * Exit 0 when every check passed (or none could run), 1 otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096UL
#define READ_PERIOD_MS 200
#define STEP_MS 5
#define WARMUP_S 3
#define LIMIT_PCT 10.0
#define POLL_MS 20
#define RING "/proc/tdpvisor_telemetry"
#define RING_LAST "/proc/tdpvisor_telemetry_last"

struct rec {
	unsigned long long seq, end_ns, interval_ns, dirty, young;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The records kept, oldest first, into r[max]; their count, or -1. */
static int read_ring(struct rec *r, int max)
{
	FILE *f = fopen(RING, "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llu %llu %llu %llu %llu", &r[n].seq, &r[n].end_ns,
			   &r[n].interval_ns, &r[n].dirty, &r[n].young) == 5)
			n++;
	fclose(f);
	return n;
}

/* The newest record's seq (0: none, or no ring). */
static unsigned long long newest_seq(void)
{
	FILE *f = fopen(RING_LAST, "r");
	unsigned long long seq = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &seq) != 1)
		seq = 0;
	fclose(f);
	return seq;
}

/* The workload state of one phase, and the harvests it saw. */
struct load {
	volatile uint64_t *set;
	unsigned long pages, next, written;
	double rate, t_start, next_read, next_poll;
	unsigned long reads;
	unsigned long long seen;	/* the newest seq seen */
	int window;			/* the judged window is open */
	unsigned long long a, b;	/* its first and last harvest */
	double ta, tb;			/* when they were seen */
};

/* Polls the newest record; a new harvest in the open window moves B. */
static void poll_ring(struct load *l, double t)
{
	unsigned long long seq = newest_seq();

	l->next_poll = t + POLL_MS / 1000.0;
	if (!seq || seq == l->seen)
		return;
	l->seen = seq;
	if (!l->window)
		return;
	if (!l->a) {
		l->a = seq;
		l->ta = t;
	}
	l->b = seq;
	l->tb = t;
}

/* Runs the workload until time `until` (monotonic seconds). */
static void run_until(struct load *l, double until)
{
	struct timespec step = { 0, STEP_MS * 1000000L };
	double t;

	while ((t = now_s()) < until) {
		unsigned long target = (unsigned long)((t - l->t_start) * l->rate);

		for (; l->written < target; l->written++) {
			l->set[l->next * (PAGE / 8)] = l->written;
			l->next = (l->next + 1) % l->pages;
		}
		if (t >= l->next_read) {
			uint64_t sum = 0;

			for (unsigned long i = 0; i < l->pages; i++)
				sum += l->set[i * (PAGE / 8) + 1];
			if (sum == 1)	/* keeps the reads; never true */
				puts("");
			l->reads++;
			l->next_read += READ_PERIOD_MS / 1000.0;
		}
		if (t >= l->next_poll)
			poll_ring(l, t);
		nanosleep(&step, NULL);
	}
}

static int judge(int phase, const char *what, const char *unit, double measured, double truth)
{
	double err = truth > 0 ? (measured - truth) / truth * 100.0 : 100.0;
	int ok = err <= LIMIT_PCT && err >= -LIMIT_PCT;

	printf("dirtier: phase %d: %s measured %.0f %s, true %.0f %s, error %+.1f%% %s\n", phase,
	       what, measured, unit, truth, unit, err, ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}

/* Judges the records with seq in (l->a, l->b] against the truth. */
static int judge_window(int phase, const struct load *l, double rate)
{
	static struct rec r[1024];
	double dirty = 0, young = 0, secs = 0, max_dt = 0, gsecs = l->tb - l->ta;
	int n = read_ring(r, 1024), i, k = 0;

	for (i = 0; i < n; i++) {
		if (r[i].seq <= l->a || r[i].seq > l->b)
			continue;
		dirty += (double)r[i].dirty;
		young += (double)r[i].young;
		secs += (double)r[i].interval_ns / 1e9;
		if ((double)r[i].interval_ns / 1e9 > max_dt)
			max_dt = (double)r[i].interval_ns / 1e9;
		k++;
	}
	if (k < 2 || k != (int)(l->b - l->a) || gsecs <= 0) {
		printf("dirtier: phase %d: %d telemetry records of %llu in the window: FAIL\n", phase,
		       k, l->b - l->a);
		return 1;
	}
	printf("dirtier: phase %d: %d records (seq %llu..%llu), %.2f s by the guest's clock, %.2f s "
	       "by the hypervisor's, longest interval %.3f s\n", phase, k, l->a + 1, l->b, gsecs,
	       secs, max_dt);
	if (rate * max_dt * gsecs / secs > (double)l->pages)
		printf("dirtier: phase %d: warning: %.0f writes in an interval wrap the set of %lu "
		       "pages: pages repeat\n", phase, rate * max_dt * gsecs / secs, l->pages);
	return judge(phase, "dirty rate", "pages/s", dirty / gsecs, rate) +
	       judge(phase, "working set", "pages", young / k, (double)l->pages);
}

static int phase(int n, double rate, unsigned long mib, double seconds)
{
	struct load l = { .rate = rate, .pages = mib * (1UL << 20) / PAGE };
	unsigned long w0;
	double t0, t1;
	void *p;

	p = mmap(NULL, l.pages * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED || mlock(p, l.pages * PAGE)) {
		printf("dirtier: phase %d: cannot map and lock %lu MiB: %s\n", n, mib,
		       strerror(errno));
		return 1;
	}
	l.set = p;
	printf("dirtier: phase %d: %.0f pages/s into a working set of %lu pages (%lu MiB), "
	       "%.0f s\n", n, rate, l.pages, mib, seconds);
	fflush(stdout);
	l.t_start = l.next_read = l.next_poll = now_s();
	run_until(&l, l.t_start + WARMUP_S);
	l.window = 1;
	t0 = now_s();
	w0 = l.written;
	run_until(&l, t0 + seconds);
	l.window = 0;
	t1 = now_s();
	rate = (double)(l.written - w0) / (t1 - t0);
	printf("dirtier: phase %d: wrote %lu pages in %.2f s = %.0f pages/s (asked %.0f), read the "
	       "set %lu times\n", n, l.written - w0, t1 - t0, rate, l.rate, l.reads);
	munmap(p, l.pages * PAGE);
	if (!l.seen) {
		printf("dirtier: phase %d: no telemetry ring (%s): truth only\n", n, RING_LAST);
		return 0;
	}
	return judge_window(n, &l, rate);
}

int main(int argc, char **argv)
{
	int i, failed = 0;

	if (argc < 4 || (argc - 1) % 3) {
		fprintf(stderr, "usage: dirtier RATE WSS_MIB SECONDS [RATE WSS_MIB SECONDS ...]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i + 2 < argc; i += 3) {
		double rate = strtod(argv[i], NULL), secs = strtod(argv[i + 2], NULL);
		unsigned long mib = strtoul(argv[i + 1], NULL, 10);

		if (rate <= 0 || !mib || secs < 1) {
			fprintf(stderr, "dirtier: bad phase '%s %s %s'\n", argv[i], argv[i + 1],
				argv[i + 2]);
			return 2;
		}
		failed += phase(i / 3 + 1, rate, mib, secs);
	}
	printf("dirtier: %s\n", failed ? "FAIL" : "done");
	return failed ? 1 : 0;
}
