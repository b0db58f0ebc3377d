/* SPDX-License-Identifier: BSD-2-Clause */
/* pio (64-bit) and pio32 (32-bit): port I/O exits. The hypervisor's test
 * echo device at 0x520-0x523 returns on IN from 0x520 what was last written
 * with OUT to 0x520 at the same width (guests/README.md, "Test devices");
 * unclaimed ports read as all ones and ignore writes; string I/O (INS/OUTS,
 * with REP and both directions) goes through the same paths. */
#include "rt.h"

#define ECHO_PORT 0x520
#define UNCLAIMED_PORT 0x1234

#ifdef __x86_64__
#define MODE "64"
#else
#define MODE "32"
#endif

static void check_echo(void)
{
	outb(ECHO_PORT, 0xa5);
	rt_check_eq("echo_byte", "inb", inb(ECHO_PORT), 0xa5);
	outw(ECHO_PORT, 0xbeef);
	rt_check_eq("echo_word", "inw", inw(ECHO_PORT), 0xbeef);
	outl(ECHO_PORT, 0x12345678);
	rt_check_eq("echo_dword", "inl", inl(ECHO_PORT), 0x12345678);
	outb(ECHO_PORT, 0x3c);
	rt_check_eq("echo_byte_again", "inb", inb(ECHO_PORT), 0x3c);
}

static void check_unclaimed(void)
{
	uint8_t b = inb(UNCLAIMED_PORT);
	uint16_t w = inw(UNCLAIMED_PORT);
	uint32_t l = inl(UNCLAIMED_PORT);

	rt_check("unclaimed_in_all_ones", b == 0xff && w == 0xffff && l == 0xffffffffu,
		 "inb/inw/inl 0x1234 = 0x%x 0x%x 0x%x", b, w, l);
	outl(ECHO_PORT, 0x0badcafe);
	outl(UNCLAIMED_PORT, 0x11111111);
	outb(UNCLAIMED_PORT, 0x22);
	rt_check_eq("unclaimed_out_ignored", "echo after writes to 0x1234", inl(ECHO_PORT),
		    0x0badcafe);
}

/* REP OUTSB / INSB / INSW / OUTSL: RSI/RDI advance by count * size in the
 * direction of EFLAGS.DF, RCX ends at 0 (SDM Vol. 2B INS/OUTS, REP). */
static void check_string_io(void)
{
	static const char line[] = "pio" MODE ": this line was written with rep outsb\n";
	static const char abcd[] = "ABCD";
	static const uint32_t dwords[2] = { 0x01020304, 0xa0b0c0d0 };
	const void *src = line;
	unsigned long count = sizeof(line) - 1;
	uint8_t bytes[8];
	uint16_t words[3];
	void *dst;

	asm volatile("rep outsb" : "+S"(src), "+c"(count) : "d"(COM1_BASE + UART_THR) : "memory");
	rt_check("rep_outsb_com1", count == 0 && src == line + sizeof(line) - 1,
		 "rcx %lu, rsi advanced by %ld", count, (long)((const char *)src - line));

	src = abcd;
	count = 4;
	asm volatile("rep outsb" : "+S"(src), "+c"(count) : "d"(ECHO_PORT) : "memory");
	rt_check_eq("rep_outsb_echo", "inb after rep outsb \"ABCD\"", inb(ECHO_PORT), 'D');

	src = dwords;
	count = 2;
	asm volatile("rep outsl" : "+S"(src), "+c"(count) : "d"(ECHO_PORT) : "memory");
	rt_check_eq("rep_outsl_echo", "inl after rep outsl", inl(ECHO_PORT), dwords[1]);

	memset(bytes, 0, sizeof(bytes));
	dst = bytes;
	count = 4;
	asm volatile("rep insb" : "+D"(dst), "+c"(count) : "d"(UNCLAIMED_PORT) : "memory");
	rt_check("rep_insb_unclaimed",
		 count == 0 && dst == bytes + 4 && bytes[0] == 0xff && bytes[3] == 0xff &&
				 bytes[4] == 0,
		 "rcx %lu, rdi advanced %ld, bytes %x %x %x", count, (long)((uint8_t *)dst - bytes),
		 bytes[0], bytes[3], bytes[4]);

	outw(ECHO_PORT, 0xbeef);
	memset(words, 0, sizeof(words));
	dst = words;
	count = 3;
	asm volatile("rep insw" : "+D"(dst), "+c"(count) : "d"(ECHO_PORT) : "memory");
	rt_check("rep_insw_echo", count == 0 && words[0] == 0xbeef && words[2] == 0xbeef,
		 "rcx %lu, words 0x%x 0x%x 0x%x", count, words[0], words[1], words[2]);

	/* DF = 1: INSB stores at RDI, then decrements it. */
	outb(ECHO_PORT, 0x77);
	memset(bytes, 0, sizeof(bytes));
	dst = &bytes[5];
	count = 3;
	asm volatile("std; rep insb; cld" : "+D"(dst), "+c"(count) : "d"(ECHO_PORT) : "memory");
	rt_check("rep_insb_backwards",
		 count == 0 && dst == &bytes[2] && bytes[3] == 0x77 && bytes[5] == 0x77 &&
				 bytes[2] == 0 && bytes[6] == 0,
		 "rcx %lu, rdi at bytes+%ld, bytes[2..6] %x %x %x %x %x", count,
		 (long)((uint8_t *)dst - bytes), bytes[2], bytes[3], bytes[4], bytes[5], bytes[6]);
}

void guest_main(void)
{
	check_echo();
	check_unclaimed();
	check_string_io();
}
