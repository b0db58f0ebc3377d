/* SPDX-License-Identifier: BSD-2-Clause */
/* mbtest: a Multiboot 1 test kernel that reports what its loader gave it,
 * one line each on COM1, so that the same image can be compared under QEMU
 * -kernel (with -device isa-debug-exit,iobase=0xf4) and as a Bulkhead
 * partition (kind=multiboot debug-exit=0xf4):
 *
 *   mbtest: magic ok
 *   mbtest: mem_upper <KiB>
 *   mbtest: mmap has RAM at 1 MiB
 *   mbtest: cmdline '<the command line without its first word>'
 *   mbtest: modules <n>
 *   mbtest: module <i>: '<its first line, at most 60 characters>'
 *   mbtest: fw_cfg signature QEMU, cpus <n>, etc/e820 yes|no
 *   mbtest: RSDP found|missing
 *   mbtest: exit <v>
 *
 * then writes v (from "exit=v" on the command line, default 0) to the
 * debug-exit port 0xF4, which ends the run with status (v << 1) | 1.
 * Entered without the Multiboot magic (loaded as a plain ELF) it prints
 * "mbtest: no Multiboot magic", the fw_cfg and RSDP lines, and writes 0x7f.
 * Numbers: Multiboot Specification 0.6.96 §3.3 (information structure),
 * QEMU docs/specs/fw_cfg.rst, ACPI 6.x §5.2.5 (RSDP). Freestanding, no
 * runtime: it must not use Bulkhead's hypercalls. */
#include <stdint.h>

#include "kout.h"

#define MB1_BOOT_MAGIC 0x2badb002u
#define MBI_FLAG_MEMORY (1u << 0)
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MODS (1u << 3)
#define MBI_FLAG_MMAP (1u << 6)
#define MMAP_AVAILABLE 1
#define HIGH_RAM 0x100000u

#define DEBUG_EXIT_PORT 0xf4

#define FW_CFG_SEL 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_NB_CPUS 0x0005
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_NAME_LEN 56

#define BIOS_AREA 0xe0000u
#define BIOS_AREA_END 0x100000u
#define RSDP_ALIGN 16
#define RSDP_V1_LEN 20

#define MODULE_PREVIEW 60
#define BAD_MAGIC_EXIT 0x7f

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

struct mb_module {
	uint32_t start, end, string, reserved;
};

struct __attribute__((packed)) mb_mmap {
	uint32_t size;
	uint64_t base, len;
	uint32_t type;
};

/* A physical address as a pointer, hidden from the compiler's bounds
 * analysis (the BIOS data area at 0x40E is not an object it knows). */
static const void *phys(uint32_t a)
{
	const void *p;
	__asm__("" : "=r"(p) : "0"(a));
	return p;
}

static void putu(uint32_t v)
{
	char buf[11];
	int i = 10;
	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts(buf + i);
}

static int starts_with(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (*s != *prefix)
			return 0;
	return 1;
}

/* GRUB and QEMU put the kernel's file name first: skip that word. */
static const char *args_of(const char *cmdline)
{
	const char *p = cmdline;
	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

/* "exit=N" anywhere in the arguments; 0 without it. */
static uint32_t exit_value(const char *args)
{
	for (const char *p = args; *p; p++) {
		if ((p == args || p[-1] == ' ') && starts_with(p, "exit=")) {
			uint32_t v = 0;
			for (p += 5; *p >= '0' && *p <= '9'; p++)
				v = v * 10 + (uint32_t)(*p - '0');
			return v;
		}
	}
	return 0;
}

static void report_mmap(const struct mb_info *mbi)
{
	uint32_t at = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
	int ram = 0;
	if (mbi->flags & MBI_FLAG_MMAP) {
		while (at < end) {
			const struct mb_mmap *e = (const struct mb_mmap *)at;
			if (e->type == MMAP_AVAILABLE && e->base <= HIGH_RAM &&
			    e->base + e->len > HIGH_RAM)
				ram = 1;
			at += e->size + sizeof(e->size);
		}
	}
	puts(ram ? "mbtest: mmap has RAM at 1 MiB\n" : "mbtest: mmap has no RAM at 1 MiB\n");
}

static void report_modules(const struct mb_info *mbi)
{
	uint32_t n = mbi->flags & MBI_FLAG_MODS ? mbi->mods_count : 0;
	const struct mb_module *m = (const struct mb_module *)mbi->mods_addr;
	puts("mbtest: modules ");
	putu(n);
	puts("\n");
	for (uint32_t i = 0; i < n; i++) {
		const char *c = (const char *)m[i].start;
		uint32_t len = m[i].end - m[i].start;
		puts("mbtest: module ");
		putu(i);
		puts(": '");
		for (uint32_t k = 0; k < len && k < MODULE_PREVIEW && c[k] != '\n'; k++)
			putc_com1(c[k] >= ' ' && c[k] < 0x7f ? c[k] : '.');
		puts("'\n");
	}
}

static uint32_t fw_cfg_read(uint16_t key, void *buf, uint32_t len)
{
	uint8_t *b = buf;
	outw(FW_CFG_SEL, key);
	for (uint32_t i = 0; i < len; i++)
		b[i] = inb(FW_CFG_DATA);
	return len;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The file directory: a big-endian count, then 64-byte entries. */
static int fw_cfg_has_file(const char *name)
{
	uint8_t count[4], entry[8 + FW_CFG_NAME_LEN];
	fw_cfg_read(FW_CFG_FILE_DIR, count, sizeof(count));
	uint32_t n = be32(count);
	for (uint32_t i = 0; i < n && i < 256; i++) {
		for (uint32_t k = 0; k < sizeof(entry); k++)
			entry[k] = inb(FW_CFG_DATA);
		const char *s = (const char *)entry + 8;
		const char *q = name;
		while (*q && *s == *q)
			s++, q++;
		if (!*q && !*s)
			return 1;
	}
	return 0;
}

static void report_fw_cfg(void)
{
	char sig[5] = { 0 };
	uint16_t cpus = 0;
	fw_cfg_read(FW_CFG_SIGNATURE, sig, 4);
	if (!starts_with(sig, "QEMU")) {
		puts("mbtest: fw_cfg missing\n");
		return;
	}
	fw_cfg_read(FW_CFG_NB_CPUS, &cpus, sizeof(cpus));
	puts("mbtest: fw_cfg signature QEMU, cpus ");
	putu(cpus);
	puts(fw_cfg_has_file("etc/e820") ? ", etc/e820 yes\n" : ", etc/e820 no\n");
}

/* ACPI 6.x §5.2.5.1: on a 16-byte boundary in 0xE0000-0xFFFFF (or the
 * EBDA's first KiB), "RSD PTR ", its first 20 bytes summing to 0. */
static int rsdp_at(uint32_t a)
{
	const uint8_t *p = phys(a);
	uint8_t sum = 0;
	if (!starts_with((const char *)p, "RSD PTR "))
		return 0;
	for (int i = 0; i < RSDP_V1_LEN; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

static void report_rsdp(void)
{
	uint32_t ebda = (uint32_t) * (const volatile uint16_t *)phys(0x40e) << 4;
	int found = 0;
	for (uint32_t a = BIOS_AREA; a < BIOS_AREA_END && !found; a += RSDP_ALIGN)
		found = rsdp_at(a);
	if (ebda >= 0x80000 && ebda < 0xa0000)
		for (uint32_t a = ebda; a < ebda + 1024 && !found; a += RSDP_ALIGN)
			found = rsdp_at(a);
	puts(found ? "mbtest: RSDP found\n" : "mbtest: RSDP missing\n");
}

void mb_main(uint32_t magic, const struct mb_info *mbi);

void mb_main(uint32_t magic, const struct mb_info *mbi)
{
	if (magic != MB1_BOOT_MAGIC) {
		/* Loaded as a plain ELF (no Multiboot information): what the
		 * platform offers can still be reported, then it fails. */
		puts("mbtest: no Multiboot magic\n");
		report_fw_cfg();
		report_rsdp();
		while ((inb(COM1 + UART_LSR) & LSR_IDLE) != LSR_IDLE)
			;
		outb(DEBUG_EXIT_PORT, BAD_MAGIC_EXIT);
		return;
	}
	puts("mbtest: magic ok\n");
	puts("mbtest: mem_upper ");
	putu(mbi->flags & MBI_FLAG_MEMORY ? mbi->mem_upper : 0);
	puts("\n");
	report_mmap(mbi);
	const char *args = mbi->flags & MBI_FLAG_CMDLINE ? args_of((const char *)mbi->cmdline) : "";
	puts("mbtest: cmdline '");
	puts(args);
	puts("'\n");
	report_modules(mbi);
	report_fw_cfg();
	report_rsdp();
	uint32_t v = exit_value(args);
	puts("mbtest: exit ");
	putu(v);
	puts("\n");
	while ((inb(COM1 + UART_LSR) & LSR_IDLE) != LSR_IDLE)
		;
	outb(DEBUG_EXIT_PORT, (uint8_t)v);
	puts("mbtest: still running after the debug-exit write\n");
}
