/* SPDX-License-Identifier: BSD-2-Clause */
/* Freestanding memory and string helpers. Kept simple: the hot paths that move
 * bulk data (virtqueue buffers, image loading) call bh_memcpy and bh_memset,
 * which use "rep movsq" and "rep stosq" in the hypervisor image. */
#include "core/lib/string.h"

void *bh_memcpy(void *dst, const void *src, size_t n)
{
#if defined(BULKHEAD_HYPERVISOR)
	/* Quadwords, then the tail: as fast as ERMSB "rep movsb" on hardware,
	 * and eight times fewer iterations where the CPU is emulated (QEMU
	 * TCG runs a string instruction one element at a time). */
	void *ret = dst;
	size_t quads = n >> 3, tail = n & 7;
	__asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(quads) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(tail) : : "memory");
	return ret;
#elif defined(BULKHEAD_HOST)
	/* Host tests and fuzzers: the C library's, which AddressSanitizer
	 * checks as one range (and for overlap) instead of byte by byte. */
	return __builtin_memcpy(dst, src, n);
#else
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
#endif
}

void *bh_memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n)
		return bh_memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *bh_memset(void *dst, int c, size_t n)
{
#if defined(BULKHEAD_HYPERVISOR)
	/* Quadwords, then the tail, as bh_memcpy: a partition's RAM is zeroed
	 * here when it is created, and with "rep stosb" QEMU's TCG took 1.1 s
	 * of Linux's boot for 256 MiB (one emulated iteration per byte). */
	void *ret = dst;
	uint64_t pattern = 0x0101010101010101ULL * (uint8_t)c;
	size_t quads = n >> 3, tail = n & 7;
	__asm__ volatile("rep stosq" : "+D"(dst), "+c"(quads) : "a"(pattern) : "memory");
	__asm__ volatile("rep stosb" : "+D"(dst), "+c"(tail) : "a"(pattern) : "memory");
	return ret;
#elif defined(BULKHEAD_HOST)
	return __builtin_memset(dst, c, n);
#else
	unsigned char *d = dst;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
#endif
}

int bh_memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

size_t bh_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t bh_strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

int bh_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int bh_strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *bh_strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

size_t bh_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = bh_strlen(src);
	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		bh_memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int bh_hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool bh_parse_u64(const char *s, size_t len, uint64_t *out, bool allow_suffix)
{
	unsigned base = 10, shift = 0;
	uint64_t v = 0;
	size_t i = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (allow_suffix && len > i) {
		switch (s[len - 1]) {
		case 'k':
		case 'K':
			shift = 10;
			len--;
			break;
		case 'm':
		case 'M':
			shift = 20;
			len--;
			break;
		case 'g':
		case 'G':
			shift = 30;
			len--;
			break;
		default:
			break;
		}
	}
	if (i >= len)
		return false;
	for (; i < len; i++) {
		int d = bh_hex_digit_value(s[i]);
		if (d < 0 || (unsigned)d >= base)
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

char *bh_strstr(const char *hay, const char *needle)
{
	size_t n = bh_strlen(needle);
	for (; *hay; hay++)
		if (!bh_strncmp(hay, needle, n))
			return (char *)hay;
	return n ? NULL : (char *)hay;
}
