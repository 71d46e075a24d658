// SPDX-License-Identifier: MIT
/*
 * printk: format, prefix every line with its time since boot, append to the
 * log ring, and write it to every enabled console whose loglevel lets it
 * through.  Serialised by one lock across CPUs, so lines never interleave.
 * The lock knows its owner: a CPU that faults while it holds the lock (its
 * exception handler prints) goes on without waiting for itself, and a CPU
 * that waits longer than PRINTK_LOCK_WAIT_NS for another takes over -- a
 * CPU that died holding it cannot silence the others.  In panic mode the
 * lock is skipped so the last words always come out.  Consoles that call
 * the firmware (boot services belong to the boot CPU) get only the boot
 * CPU's lines; the ring and the UARTs get every CPU's.
 */
#include "lib/printk.h"
#include "arch/percpu.h"
#include "lib/console.h"
#include "lib/prevlog.h"
#include "lib/string.h"

static struct console *consoles;
static int console_loglevel = 7;
static u64 (*printk_clock)(void);
/* 0: free, else the owning CPU's id + 1. */
static u32 printk_lock;
static unsigned int printk_depth;	/* the owner's nesting (an exception while printing) */
#define PRINTK_LOCK_WAIT_NS 2000000000ULL
static bool printk_panic;
static bool at_line_start = true;

static char log_ring[LOG_RING_SIZE];
static size_t log_head;	/* total bytes ever written */

void console_register(struct console *con)
{
	con->next = consoles;
	consoles = con;
}

bool console_registered(void)
{
	struct console *c;

	for (c = consoles; c; c = c->next)
		if (c->enabled && !(c->closed && c->closed(c)))
			return true;
	return false;
}

void console_flush_all(void)
{
	struct console *c;

	for (c = consoles; c; c = c->next)
		if (c->enabled && c->flush)
			c->flush(c);
}

void console_resume(void)
{
	struct console *c;

	for (c = consoles; c; c = c->next)
		if (c->enabled && c->resume)
			c->resume(c);
}

void console_report_all(void)
{
	struct console *c;

	for (c = consoles; c; c = c->next)
		if (c->report)
			c->report(c);
}

unsigned int console_disable(const char *name)
{
	struct console *c;
	unsigned int n = 0;

	for (c = consoles; c; c = c->next)
		if (c->enabled && !strcmp(c->name, name)) {
			c->enabled = false;
			n++;
		}
	return n;
}

void console_set_loglevel(int level)
{
	console_loglevel = level;
}

int console_get_loglevel(void)
{
	return console_loglevel;
}

void printk_set_clock(u64 (*ns_since_boot)(void))
{
	printk_clock = ns_since_boot;
}

void printk_enter_panic(void)
{
	printk_panic = true;
}

static void ring_append(const char *s, size_t len)
{
	prevlog_append(s, len);
	while (len--)
		log_ring[log_head++ % LOG_RING_SIZE] = *s++;
}

size_t log_ring_used(void)
{
	return log_head < LOG_RING_SIZE ? log_head : LOG_RING_SIZE;
}

size_t log_ring_read(size_t off, char *buf, size_t len)
{
	size_t used = log_ring_used(), start = log_head - used, i;

	if (off >= used)
		return 0;
	if (len > used - off)
		len = used - off;
	for (i = 0; i < len; i++)
		buf[i] = log_ring[(start + off + i) % LOG_RING_SIZE];
	return len;
}

static void emit(const char *s, size_t len, bool to_console)
{
	struct console *c;

	ring_append(s, len);
	if (!to_console)
		return;
	for (c = consoles; c; c = c->next)
		if (c->enabled && (!c->boot_cpu_only || !this_cpu_id()))
			c->write(c, s, len);
}

/* Takes the lock; returns the owner's id + 1 when it took it over from a
 * CPU that held it too long, else 0. */
static u32 lock(void)
{
	u32 me = this_cpu_id() + 1, free_ = 0, gone = 0;
	u64 start = 0, now;
	unsigned int spins = 0;

	if (printk_panic)
		return 0;
	if (__atomic_load_n(&printk_lock, __ATOMIC_RELAXED) == me) {
		printk_depth++;		/* this CPU faulted while printing */
		return 0;
	}
	while (!__atomic_compare_exchange_n(&printk_lock, &free_, me, false, __ATOMIC_ACQUIRE,
					    __ATOMIC_RELAXED)) {
		__builtin_ia32_pause();
		if (++spins % 1024 == 0 && printk_clock) {
			now = printk_clock();
			if (!start)
				start = now;
			else if (now - start > PRINTK_LOCK_WAIT_NS) {
				gone = __atomic_exchange_n(&printk_lock, me, __ATOMIC_ACQUIRE);
				break;	/* its owner is gone: take it over */
			}
		}
		free_ = 0;
	}
	printk_depth = 1;
	return gone;
}

static void unlock(void)
{
	if (printk_panic)
		return;
	if (--printk_depth)
		return;
	__atomic_store_n(&printk_lock, 0, __ATOMIC_RELEASE);
}

/*
 * Writes text line by line, each with the time prefix at its start.  A line
 * goes to each console in one write, so consoles that echo one another (the
 * firmware mirrors its text console onto the serial port) keep lines whole.
 */
static void emit_lines(const char *text, bool to_console)
{
	char line[24 + 512];

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) + 1 : strlen(text);
		size_t n = 0;

		if (at_line_start) {
			u64 ns = printk_clock ? printk_clock() : 0;

			n = (size_t)snprintf(line, 24, "[%5llu.%06llu] ",
					     (unsigned long long)(ns / 1000000000ULL),
					     (unsigned long long)(ns / 1000ULL % 1000000ULL));
		}
		if (len > sizeof(line) - n)
			len = sizeof(line) - n;
		memcpy(line + n, text, len);
		emit(line, n + len, to_console);
		at_line_start = text[len - 1] == '\n';
		text += len;
	}
}

/* Under the lock: a console that can no longer be written is disabled, and
 * the others say so (before the message that found it closed). */
static void close_consoles(void)
{
	struct console *c;
	const char *why;
	char note[128];

	for (c = consoles; c; c = c->next) {
		if (!c->enabled || !c->closed || !(why = c->closed(c)))
			continue;
		c->enabled = false;
		snprintf(note, sizeof(note), "%sprintk: console %s closed: %s\n",
			 at_line_start ? "" : "\n", c->name, why);
		emit_lines(note, true);
	}
}

int vprintk(const char *fmt, va_list ap)
{
	char buf[512];
	int level = LOGLEVEL_DEFAULT, n;
	u32 gone;

	if (fmt[0] == KERN_SOH[0] && fmt[1] >= '0' && fmt[1] <= '7') {
		level = fmt[1] - '0';
		fmt += 2;
	}
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if ((size_t)n >= sizeof(buf))	/* mark the cut, keep the newline */
		memcpy(buf + sizeof(buf) - 5, "...\n", 5);
	gone = lock();
	if (gone) {
		char note[96];

		snprintf(note, sizeof(note), "%sprintk: cpu%u held the log lock for over 2 s: "
			 "taken over\n", at_line_start ? "" : "\n", gone - 1);
		emit_lines(note, true);
	}
	close_consoles();
	emit_lines(buf, level < console_loglevel);
	unlock();
	return n;
}

void printk_test_hold_lock(void)
{
	lock();
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
