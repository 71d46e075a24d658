// SPDX-License-Identifier: MIT
/*
 * The log kept across a warm reset (contract in include/lib/prevlog.h).
 * Host-testable: no firmware, no printk.
 */
#include "lib/prevlog.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "errcode.h"

static struct prevlog_hdr *live;

/* FNV-1a, 64-bit: over the header fields and the ring's text. */
static u64 sum_bytes(u64 h, const void *p, size_t len)
{
	const u8 *b = p;

	while (len--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define SUM_INIT 0xcbf29ce484222325ULL

static u64 sum_u64(u64 h, u64 v)
{
	return sum_bytes(h, &v, sizeof(v));
}

static u64 hdr_sum(const struct prevlog_hdr *h)
{
	u64 s = sum_u64(SUM_INIT, h->magic);

	s = sum_u64(s, ((u64)h->version << 32) | h->data_size);
	return sum_u64(s, h->boot);
}

static u64 seal_sum(u64 sealed_head, u64 sealed_sum)
{
	return sum_u64(sum_u64(SUM_INIT ^ 0x5ea1, sealed_head), sealed_sum);
}

/* The ring's text as of head: its used bytes, oldest first. */
static u64 text_sum(const char *ring, u32 size, u64 head)
{
	u64 used = head < size ? head : size, start = (head - used) % size;
	u64 first = used < size - start ? used : size - start;
	u64 s = sum_u64(SUM_INIT, head);

	s = sum_bytes(s, ring + start, first);
	return sum_bytes(s, ring, used - first);
}

static char ring_at(const struct prevlog_view *v, u64 i)
{
	return v->ring[(v->head - v->used + i) % v->data_size];
}

int prevlog_check(const void *region, size_t size, struct prevlog_view *v, char *why,
		  size_t why_size)
{
	const struct prevlog_hdr *h = region;
	struct prevlog_hdr c;
	u64 i;

	memset(v, 0, sizeof(*v));
	if (size <= PREVLOG_HDR_SIZE) {
		snprintf(why, why_size, "region of %zu bytes too small", size);
		return -EINVAL;
	}
	memcpy(&c, h, sizeof(c));	/* one read of each field */
	if (c.magic != PREVLOG_MAGIC) {
		snprintf(why, why_size, "no log there (magic 0x%016llx)",
			 (unsigned long long)c.magic);
		return -ENOENT;
	}
	if (c.version != PREVLOG_VERSION || c.data_size != size - PREVLOG_HDR_SIZE ||
	    c.hdr_sum != hdr_sum(&c)) {
		snprintf(why, why_size, "bad header (version %u, %u bytes of text, checksum %s)",
			 c.version, c.data_size, c.hdr_sum == hdr_sum(&c) ? "good" : "bad");
		return -EINVAL;
	}
	v->ring = (const char *)region + PREVLOG_HDR_SIZE;
	v->data_size = c.data_size;
	v->head = c.head;
	v->boot = c.boot;
	v->used = c.head < c.data_size ? c.head : c.data_size;
	if (!v->used) {
		snprintf(why, why_size, "boot %llu logged nothing", (unsigned long long)c.boot);
		return -ENOENT;
	}
	if (c.seal_sum == seal_sum(c.sealed_head, c.sealed_sum) && c.sealed_head == c.head) {
		if (c.sealed_sum != text_sum(v->ring, c.data_size, c.head)) {
			snprintf(why, why_size, "boot %llu's log was overwritten after it was sealed",
				 (unsigned long long)c.boot);
			return -EINVAL;
		}
		v->sealed = true;
		return 0;
	}
	/* Not sealed: plain text or nothing. */
	for (i = 0; i < v->used; i++) {
		char ch = ring_at(v, i);

		if (ch != '\n' && (ch < 0x20 || ch > 0x7e)) {
			snprintf(why, why_size, "boot %llu's log is not sealed and holds a non-text "
				 "byte 0x%02x at %llu of %llu", (unsigned long long)c.boot,
				 (u8)ch, (unsigned long long)i, (unsigned long long)v->used);
			return -EINVAL;
		}
	}
	return 0;
}

unsigned int prevlog_tail(const struct prevlog_view *v, unsigned int max_lines, char *out,
			  size_t out_size)
{
	u64 first = 0, start, j, n = 0;
	unsigned int lines = 0;
	bool whole = false;

	if (!out_size)
		return 0;
	out[0] = '\0';
	if (!v->used || !max_lines)
		return 0;
	/* The oldest line lost its start when the ring wrapped: from the next. */
	if (v->head > v->data_size) {
		while (first < v->used && ring_at(v, first) != '\n')
			first++;
		first++;
	}
	if (first >= v->used)
		return 0;
	/* Back from the end: each newline before the last byte starts a line. */
	start = v->used;
	for (j = v->used - 1; j-- > first;) {
		if (ring_at(v, j) == '\n') {
			start = j + 1;
			if (++lines == max_lines) {
				whole = true;
				break;
			}
		}
	}
	if (!whole) {
		start = first;
		lines++;
	}
	/* Drop the oldest lines that do not fit (a last line too long: cut). */
	while (v->used - start >= out_size) {
		while (start < v->used - 1 && ring_at(v, start) != '\n')
			start++;
		start++;
		lines--;
		if (v->used - start < out_size || start >= v->used)
			break;
	}
	if (start >= v->used) {
		start = v->used - (out_size - 1);
		lines = 1;
	}
	for (j = start; j < v->used; j++)
		out[n++] = ring_at(v, j);
	out[n] = '\0';
	return lines;
}

void prevlog_init(void *region, size_t size, u64 boot)
{
	struct prevlog_hdr *h = region;

	memset(h, 0, PREVLOG_HDR_SIZE);
	h->magic = PREVLOG_MAGIC;
	h->version = PREVLOG_VERSION;
	h->data_size = (u32)(size - PREVLOG_HDR_SIZE);
	h->boot = boot;
	h->hdr_sum = hdr_sum(h);
}

void prevlog_write(void *region, const char *s, size_t len)
{
	struct prevlog_hdr *h = region;
	char *ring = (char *)region + PREVLOG_HDR_SIZE;
	u64 head = h->head;

	while (len--)
		ring[head++ % h->data_size] = *s++;
	/* The bytes before the head that counts them. */
	__atomic_store_n(&h->head, head, __ATOMIC_RELEASE);
}

void prevlog_seal_region(void *region)
{
	struct prevlog_hdr *h = region;
	u64 head = __atomic_load_n(&h->head, __ATOMIC_ACQUIRE);
	u64 sum = text_sum((const char *)region + PREVLOG_HDR_SIZE, h->data_size, head);

	/* Torn anywhere in these stores, seal_sum does not match. */
	__atomic_store_n(&h->seal_sum, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&h->sealed_head, head, __ATOMIC_RELEASE);
	__atomic_store_n(&h->sealed_sum, sum, __ATOMIC_RELEASE);
	__atomic_store_n(&h->seal_sum, seal_sum(head, sum), __ATOMIC_RELEASE);
}

void prevlog_start(void *region, size_t size, u64 boot)
{
	if (size <= PREVLOG_HDR_SIZE || size - PREVLOG_HDR_SIZE > 0xffffffffU)
		return;
	prevlog_init(region, size, boot);
	__atomic_store_n(&live, (struct prevlog_hdr *)region, __ATOMIC_RELEASE);
}

void prevlog_append(const char *s, size_t len)
{
	struct prevlog_hdr *h = __atomic_load_n(&live, __ATOMIC_ACQUIRE);

	if (h)
		prevlog_write(h, s, len);
}

void prevlog_seal(void)
{
	struct prevlog_hdr *h = __atomic_load_n(&live, __ATOMIC_ACQUIRE);

	if (h)
		prevlog_seal_region(h);
}

void prevlog_stop(void)
{
	__atomic_store_n(&live, NULL, __ATOMIC_RELEASE);
}

void *prevlog_region(void)
{
	return live;
}

u64 prevlog_boot(void)
{
	return live ? live->boot : 0;
}
