// SPDX-License-Identifier: GPL-2.0-only
/*
 * guest_print.c - a printf for guest code (GUEST_PRINTF, ucall.h).
 *
 * Runs in the guest: no libc, no TLS, no floating point.  The guest formats
 * into a buffer on its own stack and hands the host its address with a
 * UCALL_PRINTF; the host copies the string out of guest memory.  Knows
 * the conversions tests use: %d %i %u %x %X %p %s %c %% with a '0' flag, a
 * width and the length modifiers l, ll and z.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "minikvm/ucall.h"

/* Where the output goes: @buf of @size bytes, @len written so far (more
 * than fit is counted but dropped, as snprintf does). */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* Writes @v in @base, at least @width characters wide, padded with @pad. */
static void put_num(struct out *o, uint64_t v, unsigned int base, bool upper,
		    bool neg, unsigned int width, char pad)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	unsigned int n = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg && pad == '0')
		put(o, '-');
	while (width > n + neg) {
		put(o, pad);
		width--;
	}
	if (neg && pad != '0')
		put(o, '-');
	while (n)
		put(o, tmp[--n]);
}

int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	unsigned int width, lng;
	const char *s;
	char pad;
	int64_t sv;

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		pad = ' ';
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		for (width = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		for (lng = 0; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng++;
		switch (*fmt) {
		case 'd':
		case 'i':
			sv = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			put_num(&o, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, 10,
				false, sv < 0, width, pad);
			break;
		case 'u':
		case 'x':
		case 'X':
			put_num(&o, lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned int),
				*fmt == 'u' ? 10 : 16, *fmt == 'X', false, width, pad);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (uintptr_t)va_arg(ap, void *), 16, false, false,
				width, pad);
			break;
		case 's':
			s = va_arg(ap, const char *);
			for (s = s ? s : "(null)"; *s; s++)
				put(&o, *s);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--;		/* a lone '%' at the end */
			break;
		default:		/* unknown: show it as written */
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

int guest_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = guest_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void guest_printf(const char *fmt, ...)
{
	char buf[UCALL_PRINTF_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = guest_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ucall(UCALL_PRINTF, 2, (uint64_t)(uintptr_t)buf, (uint64_t)n);
}
