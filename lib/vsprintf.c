// SPDX-License-Identifier: MIT
/*
 * vsnprintf(): the formatter behind printk.  C99 semantics for the subset in
 * include/lib/printk.h: the return value is the length the full output would
 * have had; the buffer is always terminated when size > 0; nothing is ever
 * written past buf[size - 1].  %p prints 0x and 16 hex digits; a NULL %s
 * prints "(null)".  Unknown conversions are copied through verbatim so a bad
 * format string shows up in the log instead of crashing.
 */
#include <stdarg.h>
#include "lib/printk.h"
#include "lib/string.h"

struct out {
	char *buf;
	size_t size;
	size_t len; /* length the complete output would have */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16, F_UPPER = 32 };

struct spec {
	unsigned int flags;
	int width;
	int prec; /* -1: none */
};

/* Prints an unsigned magnitude with sign/prefix, honouring width/precision. */
static void put_num(struct out *o, unsigned long long v, unsigned int base,
		    bool neg, const struct spec *sp)
{
	const char *digits = (sp->flags & F_UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, ndig, pad;
	const char *prefix = "";
	int plen;

	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	ndig = n;
	if (sp->prec >= 0 ? sp->prec > ndig : ndig == 0)
		ndig = sp->prec >= 0 ? sp->prec : 1;
	if (neg)
		prefix = "-";
	else if (sp->flags & F_PLUS)
		prefix = "+";
	else if (sp->flags & F_SPACE)
		prefix = " ";
	else if ((sp->flags & F_ALT) && base == 16 && n)
		prefix = (sp->flags & F_UPPER) ? "0X" : "0x";
	else if ((sp->flags & F_ALT) && base == 8 && ndig <= n)
		ndig = n + 1;
	plen = (int)strlen(prefix);
	pad = sp->width - plen - ndig;
	if (!(sp->flags & (F_LEFT | F_ZERO)) || ((sp->flags & F_ZERO) && sp->prec >= 0 && !(sp->flags & F_LEFT)))
		put_pad(o, ' ', pad), pad = 0;
	while (*prefix)
		put(o, *prefix++);
	if (!(sp->flags & F_LEFT))
		put_pad(o, '0', pad), pad = 0;
	put_pad(o, '0', ndig - n);
	while (n)
		put(o, tmp[--n]);
	put_pad(o, ' ', pad);
}

static void put_str(struct out *o, const char *s, const struct spec *sp)
{
	size_t len;
	int pad;

	if (!s)
		s = "(null)";
	len = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
	pad = sp->width - (int)len;
	if (!(sp->flags & F_LEFT))
		put_pad(o, ' ', pad);
	while (len--)
		put(o, *s++);
	if (sp->flags & F_LEFT)
		put_pad(o, ' ', pad);
}

/* Parses flags, width and precision after '%'; returns the next char. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	sp->flags = 0;
	sp->width = 0;
	sp->prec = -1;
	for (;; f++) {
		if (*f == '-') sp->flags |= F_LEFT;
		else if (*f == '0') sp->flags |= F_ZERO;
		else if (*f == '+') sp->flags |= F_PLUS;
		else if (*f == ' ') sp->flags |= F_SPACE;
		else if (*f == '#') sp->flags |= F_ALT;
		else break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0)
			sp->flags |= F_LEFT, sp->width = -sp->width;
		f++;
	} else {
		while (*f >= '0' && *f <= '9' && sp->width < 4096)
			sp->width = sp->width * 10 + (*f++ - '0');
	}
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			if (sp->prec < 0)
				sp->prec = -1;
			f++;
		} else {
			while (*f >= '0' && *f <= '9' && sp->prec < 4096)
				sp->prec = sp->prec * 10 + (*f++ - '0');
		}
	}
	return f;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct out o = { buf, size, 0 };
	struct spec sp;
	va_list ap;

	va_copy(ap, ap_in);
	while (*fmt) {
		const char *start = fmt;
		int lmod = 0; /* 1: l, 2: ll, 3: z, -1: h, -2: hh */
		unsigned long long u;
		long long s;

		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &ap);
		if (*fmt == 'l') {
			lmod = 1, fmt++;
			if (*fmt == 'l')
				lmod = 2, fmt++;
		} else if (*fmt == 'z') {
			lmod = 3, fmt++;
		} else if (*fmt == 'h') {
			lmod = -1, fmt++;
			if (*fmt == 'h')
				lmod = -2, fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i':
			if (lmod == 2) s = va_arg(ap, long long);
			else if (lmod == 1 || lmod == 3) s = va_arg(ap, long);
			else if (lmod == -1) s = (short)va_arg(ap, int);
			else if (lmod == -2) s = (signed char)va_arg(ap, int);
			else s = va_arg(ap, int);
			u = s < 0 ? 0ULL - (unsigned long long)s : (unsigned long long)s;
			put_num(&o, u, 10, s < 0, &sp);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			if (lmod == 2) u = va_arg(ap, unsigned long long);
			else if (lmod == 1 || lmod == 3) u = va_arg(ap, unsigned long);
			else if (lmod == -1) u = (unsigned short)va_arg(ap, unsigned int);
			else if (lmod == -2) u = (unsigned char)va_arg(ap, unsigned int);
			else u = va_arg(ap, unsigned int);
			if (*fmt == 'X')
				sp.flags |= F_UPPER;
			put_num(&o, u, *fmt == 'o' ? 8 : (*fmt == 'u' ? 10 : 16), false, &sp);
			break;
		case 'p':
			sp.flags |= F_ALT | F_ZERO;
			if (sp.width < 18)
				sp.width = 18;
			put_num(&o, (unsigned long long)(uintptr_t)va_arg(ap, void *), 16, false, &sp);
			break;
		case 's':
			put_str(&o, va_arg(ap, const char *), &sp);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);

			if (!(sp.flags & F_LEFT))
				put_pad(&o, ' ', sp.width - 1);
			put(&o, c);
			if (sp.flags & F_LEFT)
				put_pad(&o, ' ', sp.width - 1);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		default:
			/* Unknown or truncated conversion: copy it through. */
			while (start < fmt)
				put(&o, *start++);
			if (*fmt)
				put(&o, *fmt);
			else
				continue;
		}
		fmt++;
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	va_end(ap);
	return o.len > 0x7fffffff ? 0x7fffffff : (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
