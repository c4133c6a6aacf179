// SPDX-License-Identifier: GPL-2.0-only
/*
 * string_override.c - memcpy, memmove, memset and memcmp as plain loops,
 * linked in place of glibc's.
 *
 * The compiler turns struct copies and initialisations in guest code into
 * calls to these.  glibc's versions are IFUNCs: the static binary's GOT
 * slot for them is filled at start-up of the host process, not in the ELF
 * file the guest image comes from, and the variant picked may use AVX,
 * which the guest may not have enabled.  These run anywhere.  The library
 * is built with -fno-builtin and -fno-tree-loop-distribute-patterns so
 * that the compiler does not turn the loops back into calls to themselves.
 */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}
