/* SPDX-License-Identifier: BSD-2-Clause */
/* Console output on COM1 and a small printf.
 *
 * Every byte waits for the transmit holding register to be empty (LSR bit 5,
 * PC16550D datasheet §8.6.3): a real or emulated UART may otherwise drop it.
 * Decimal output avoids 64-bit division so the 32-bit build needs no libgcc. */
#include "rt.h"

void rt_putc(char c)
{
	while (!(inb(COM1_BASE + UART_LSR) & UART_LSR_THRE))
		cpu_relax();
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void rt_write(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		rt_putc(s[i]);
}

void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}

/* Where formatted characters go: the console or a bounded buffer. */
struct sink {
	char *buf; /* NULL: the console */
	size_t size, len;
};

static void sink_put(struct sink *k, char c)
{
	if (!k->buf)
		rt_putc(c);
	else if (k->len + 1 < k->size)
		k->buf[k->len] = c;
	k->len++;
}

static void sink_pad(struct sink *k, char c, int n)
{
	while (n-- > 0)
		sink_put(k, c);
}

static const uint64_t pow10[] = {
	10000000000000000000ull,
	1000000000000000000ull,
	100000000000000000ull,
	10000000000000000ull,
	1000000000000000ull,
	100000000000000ull,
	10000000000000ull,
	1000000000000ull,
	100000000000ull,
	10000000000ull,
	1000000000ull,
	100000000ull,
	10000000ull,
	1000000ull,
	100000ull,
	10000ull,
	1000ull,
	100ull,
	10ull,
	1ull,
};

/* Digits of v, most significant first, into out (at least 20 bytes). */
static int format_dec(uint64_t v, char *out)
{
	int n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(pow10); i++) {
		char d = '0';

		while (v >= pow10[i]) {
			v -= pow10[i];
			d++;
		}
		if (d != '0' || n || i == ARRAY_SIZE(pow10) - 1)
			out[n++] = d;
	}
	return n;
}

static int format_hex(uint64_t v, char *out)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = digits[v & 0xf];
		v >>= 4;
	} while (v);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static void format(struct sink *k, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		char digits[24];
		bool zero = false, neg = false;
		int width = 0, lng = 0, n;
		uint64_t v;

		if (*fmt != '%') {
			sink_put(k, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0') {
			zero = true;
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			sink_pad(k, ' ', width - (int)strlen(s));
			while (*s)
				sink_put(k, *s++);
			continue;
		}
		case 'c':
			sink_put(k, (char)va_arg(ap, int));
			continue;
		case '%':
			sink_put(k, '%');
			continue;
		case 'p':
			v = (uintptr_t)va_arg(ap, void *);
			sink_put(k, '0');
			sink_put(k, 'x');
			n = format_hex(v, digits);
			break;
		case 'd': {
			int64_t s = lng >= 2 ? va_arg(ap, long long)
				    : lng    ? va_arg(ap, long)
					     : va_arg(ap, int);

			neg = s < 0;
			v = neg ? -(uint64_t)s : (uint64_t)s;
			n = format_dec(v, digits);
			break;
		}
		case 'u':
		case 'x':
			v = lng >= 2 ? va_arg(ap, unsigned long long)
			    : lng    ? va_arg(ap, unsigned long)
				     : va_arg(ap, unsigned int);
			n = *fmt == 'u' ? format_dec(v, digits) : format_hex(v, digits);
			break;
		default: /* unknown conversion: print it as is */
			sink_put(k, '%');
			if (!*fmt)
				return;
			sink_put(k, *fmt);
			continue;
		}
		if (neg)
			sink_put(k, '-');
		sink_pad(k, zero ? '0' : ' ', width - n - neg);
		for (int i = 0; i < n; i++)
			sink_put(k, digits[i]);
	}
}

void rt_vprintf(const char *fmt, va_list ap)
{
	struct sink k = { 0 };

	format(&k, fmt, ap);
}

void rt_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
}

int rt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink k = { .buf = buf, .size = size };

	format(&k, fmt, ap);
	if (size)
		buf[k.len < size ? k.len : size - 1] = '\0';
	return (int)k.len;
}

int rt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = rt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
