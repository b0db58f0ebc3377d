/* SPDX-License-Identifier: BSD-2-Clause */
/* arch/x86/boot/multiboot.c: Multiboot1 and Multiboot2 information parsing.
 * A small fake "physical memory" holds crafted (and hostile) information
 * blocks; the reader refuses anything outside it, like boot.c's reader
 * refuses memory above 4 GiB. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot/multiboot.h"
#include "tests/unit/support/host_log.h"

#define PHYS_BASE 0x10000u
#define PHYS_SIZE 0x10000u

/* 8-byte aligned, and `shift` lets a test place the block at an address that
 * is not (the parser must not assume alignment of what a loader gives). */
static uint8_t phys_store[PHYS_SIZE + 16] __attribute__((aligned(16)));
static unsigned int phys_shift;
static unsigned int reads;

static uint8_t *phys(uint32_t pa)
{
	return phys_store + phys_shift + (pa - PHYS_BASE);
}

static const void *reader(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	reads++;
	if (!range_within(pa, len, PHYS_BASE, PHYS_SIZE))
		return NULL;
	return phys((uint32_t)pa);
}

static void put32(uint32_t pa, uint32_t v)
{
	memcpy(phys(pa), &v, 4);
}

static void put64(uint32_t pa, uint64_t v)
{
	memcpy(phys(pa), &v, 8);
}

static void reset(void)
{
	memset(phys_store, 0, sizeof(phys_store));
	phys_shift = 0;
	reads = 0;
	host_log_reset();
}

/* ---- Multiboot1 (Multiboot 0.6.96 §3.3) --------------------------------- */

#define MB1_INFO 0x10000u
#define MB1_OFF_FLAGS 0
#define MB1_OFF_MEM_LOWER 4
#define MB1_OFF_MEM_UPPER 8
#define MB1_OFF_CMDLINE 16
#define MB1_OFF_MODS_COUNT 20
#define MB1_OFF_MODS_ADDR 24
#define MB1_OFF_MMAP_LENGTH 44
#define MB1_OFF_MMAP_ADDR 48
#define MB1_OFF_LOADER_NAME 64

#define MB1_MMAP 0x11000u
#define MB1_MODS 0x12000u
#define MB1_STRINGS 0x13000u

static void mb1_set(uint32_t off, uint32_t v)
{
	put32(MB1_INFO + off, v);
}

/* Appends an mmap entry with the given `size` field (which counts the bytes
 * after itself; 20 for a plain entry). Returns the next entry's address. */
static uint32_t mb1_mmap_entry(uint32_t pa, uint32_t size, uint64_t base, uint64_t len, uint32_t type)
{
	put32(pa, size);
	put64(pa + 4, base);
	put64(pa + 12, len);
	put32(pa + 20, type);
	return pa + 4 + size;
}

static void mb1_finish_mmap(uint32_t end)
{
	mb1_set(MB1_OFF_MMAP_ADDR, MB1_MMAP);
	mb1_set(MB1_OFF_MMAP_LENGTH, end - MB1_MMAP);
}

static void mb1_module(unsigned int i, uint32_t start, uint32_t end, uint32_t str)
{
	uint32_t pa = MB1_MODS + i * 16;
	put32(pa, start);
	put32(pa + 4, end);
	put32(pa + 8, str);
}

static uint32_t mb1_string(uint32_t pa, const char *s)
{
	memcpy(phys(pa), s, strlen(s) + 1);
	return pa;
}

/* A minimal valid MB1 block: one usable range. */
static void mb1_basic(uint32_t flags)
{
	mb1_set(MB1_OFF_FLAGS, flags | MB1_INFO_MMAP);
	mb1_finish_mmap(mb1_mmap_entry(MB1_MMAP, 20, 0x100000, 0x7f00000, BOOT_MEM_USABLE));
}

Test(multiboot1, no_flags_means_no_memory_and_failure, .init = reset)
{
	struct boot_info bi;
	mb1_set(MB1_OFF_FLAGS, 0);
	cr_assert_not(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.magic, BOOT_INFO_MAGIC);
	cr_assert_eq(bi.source, BOOT_SRC_MULTIBOOT1);
	cr_assert_eq(bi.nr_mem, 0);
	cr_assert(host_log_contains("no memory map"));
}

Test(multiboot1, unreadable_info_block, .init = reset)
{
	struct boot_info bi;
	cr_assert_not(multiboot1_parse(&bi, PHYS_BASE + PHYS_SIZE - 8, reader, NULL));
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("not readable"));
}

Test(multiboot1, legacy_mem_fields_when_no_mmap, .init = reset)
{
	struct boot_info bi;
	mb1_set(MB1_OFF_FLAGS, MB1_INFO_MEM);
	mb1_set(MB1_OFF_MEM_LOWER, 639);
	mb1_set(MB1_OFF_MEM_UPPER, 130048); /* 127 MiB */
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, 2);
	cr_assert_eq(bi.mem[0].base, 0);
	cr_assert_eq(bi.mem[0].len, 639 * 1024);
	cr_assert_eq(bi.mem[0].type, BOOT_MEM_USABLE);
	cr_assert_eq(bi.mem[1].base, MiB(1));
	cr_assert_eq(bi.mem[1].len, MiB(127));
	cr_assert_eq(host_log_count(), 0);
}

Test(multiboot1, legacy_zero_upper_gives_only_low_range, .init = reset)
{
	struct boot_info bi;
	mb1_set(MB1_OFF_FLAGS, MB1_INFO_MEM);
	mb1_set(MB1_OFF_MEM_LOWER, 640);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, 1);
}

Test(multiboot1, mmap_preferred_over_legacy_fields, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_MEM);
	mb1_set(MB1_OFF_MEM_LOWER, 639);
	mb1_set(MB1_OFF_MEM_UPPER, 1024);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, 1);
	cr_assert_eq(bi.mem[0].base, 0x100000);
	cr_assert_eq(bi.mem[0].len, 0x7f00000);
}

Test(multiboot1, broken_mmap_falls_back_to_legacy_fields, .init = reset)
{
	struct boot_info bi;
	mb1_set(MB1_OFF_FLAGS, MB1_INFO_MMAP | MB1_INFO_MEM);
	mb1_set(MB1_OFF_MEM_LOWER, 639);
	mb1_set(MB1_OFF_MEM_UPPER, 1024);
	mb1_finish_mmap(mb1_mmap_entry(MB1_MMAP, 4, 0x100000, 0x100000, BOOT_MEM_USABLE) + 40);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert(bi.flags & BOOT_INFO_F_MEM_TRUNCATED);
	cr_assert_eq(bi.nr_mem, 2);
	cr_assert_eq(bi.mem[1].base, MiB(1));
	cr_assert_eq(bi.mem[1].len, MiB(1));
}

Test(multiboot1, mmap_entries_with_odd_size_fields, .init = reset)
{
	struct boot_info bi;
	mb1_set(MB1_OFF_FLAGS, MB1_INFO_MMAP);
	uint32_t pa = MB1_MMAP;
	pa = mb1_mmap_entry(pa, 20, 0, 0x9fc00, BOOT_MEM_USABLE);
	pa = mb1_mmap_entry(pa, 21, 0x9fc00, 0x400, BOOT_MEM_RESERVED);    /* one pad byte */
	pa = mb1_mmap_entry(pa, 27, 0x100000, 0x1000000, BOOT_MEM_USABLE); /* odd: next unaligned */
	pa = mb1_mmap_entry(pa, 20, 0xfec00000, 0x1000, 77);               /* unknown type */
	mb1_finish_mmap(pa);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, 4);
	cr_assert_eq(bi.mem[1].base, 0x9fc00);
	cr_assert_eq(bi.mem[1].type, BOOT_MEM_RESERVED);
	cr_assert_eq(bi.mem[2].base, 0x100000);
	cr_assert_eq(bi.mem[2].len, 0x1000000);
	cr_assert_eq(bi.mem[3].base, 0xfec00000);
	cr_assert_eq(bi.mem[3].type, BOOT_MEM_RESERVED, "unknown types count as reserved");
	cr_assert_eq(bi.flags & BOOT_INFO_F_MEM_TRUNCATED, 0);
	cr_assert_eq(host_log_count(), 0);
}

Test(multiboot1, mmap_entry_size_below_20_cuts_the_map, .init = reset)
{
	struct boot_info bi;
	mb1_set(MB1_OFF_FLAGS, MB1_INFO_MMAP);
	uint32_t pa = MB1_MMAP;
	pa = mb1_mmap_entry(pa, 20, 0x100000, 0x100000, BOOT_MEM_USABLE);
	pa = mb1_mmap_entry(pa, 19, 0x200000, 0x100000, BOOT_MEM_USABLE);
	pa = mb1_mmap_entry(pa + 1, 20, 0x300000, 0x100000, BOOT_MEM_USABLE);
	mb1_finish_mmap(pa);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, 1);
	cr_assert(bi.flags & BOOT_INFO_F_MEM_TRUNCATED);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("malformed"));
}

Test(multiboot1, mmap_size_zero_does_not_loop, .init = reset)
{
	struct boot_info bi;
	mb1_set(MB1_OFF_FLAGS, MB1_INFO_MMAP);
	mb1_finish_mmap(mb1_mmap_entry(MB1_MMAP, 0, 0x100000, 0x100000, BOOT_MEM_USABLE) + 100);
	cr_assert_not(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert(reads < 10);
}

Test(multiboot1, mmap_partial_trailing_entry_ignored, .init = reset)
{
	struct boot_info bi;
	mb1_set(MB1_OFF_FLAGS, MB1_INFO_MMAP);
	uint32_t pa = mb1_mmap_entry(MB1_MMAP, 20, 0x100000, 0x100000, BOOT_MEM_USABLE);
	mb1_mmap_entry(pa, 20, 0x200000, 0x100000, BOOT_MEM_USABLE);
	mb1_finish_mmap(pa + 23); /* second entry one byte short */
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, 1);
}

Test(multiboot1, mmap_unreadable_cuts_with_flag, .init = reset)
{
	struct boot_info bi;
	mb1_set(MB1_OFF_FLAGS, MB1_INFO_MMAP);
	mb1_set(MB1_OFF_MMAP_ADDR, 0x80000000u);
	mb1_set(MB1_OFF_MMAP_LENGTH, 48);
	cr_assert_not(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert(bi.flags & BOOT_INFO_F_MEM_TRUNCATED);
	cr_assert(host_log_contains("malformed"));
}

Test(multiboot1, mmap_wrapping_entry_ignored_and_flagged, .init = reset)
{
	struct boot_info bi;
	mb1_set(MB1_OFF_FLAGS, MB1_INFO_MMAP);
	uint32_t pa = mb1_mmap_entry(MB1_MMAP, 20, 0xfffffffffffff000ull, 0x2000, BOOT_MEM_USABLE);
	pa = mb1_mmap_entry(pa, 20, 0x100000, 0, BOOT_MEM_USABLE); /* empty: skipped silently */
	pa = mb1_mmap_entry(pa, 20, 0x100000, 0x100000, BOOT_MEM_USABLE);
	mb1_finish_mmap(pa);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, 1);
	cr_assert(bi.flags & BOOT_INFO_F_MEM_TRUNCATED);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("wraps around"));
}

Test(multiboot1, too_many_mmap_entries_counted, .init = reset)
{
	struct boot_info bi;
	mb1_set(MB1_OFF_FLAGS, MB1_INFO_MMAP);
	uint32_t pa = MB1_MMAP;
	for (unsigned int i = 0; i < BOOT_MAX_MEM_RANGES + 5; i++)
		pa = mb1_mmap_entry(pa, 20, MiB(1) + i * 0x1000ull, 0x1000, BOOT_MEM_USABLE);
	mb1_finish_mmap(pa);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, BOOT_MAX_MEM_RANGES);
	cr_assert_eq(bi.dropped_mem, 5);
}

Test(multiboot1, cmdline_and_loader_name, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_CMDLINE | MB1_INFO_LOADER_NAME);
	mb1_set(MB1_OFF_CMDLINE, mb1_string(MB1_STRINGS, "/boot/bulkhead.elf loglevel=3"));
	mb1_set(MB1_OFF_LOADER_NAME, mb1_string(MB1_STRINGS + 0x100, "GRUB 2.06"));
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_str_eq(bi.cmdline, "/boot/bulkhead.elf loglevel=3");
	cr_assert_str_eq(bi.loader_name, "GRUB 2.06");
	cr_assert_eq(bi.flags, 0);
}

Test(multiboot1, strings_ignored_without_their_flags, .init = reset)
{
	struct boot_info bi;
	mb1_basic(0);
	mb1_set(MB1_OFF_CMDLINE, mb1_string(MB1_STRINGS, "loglevel=3"));
	mb1_set(MB1_OFF_LOADER_NAME, mb1_string(MB1_STRINGS + 0x100, "GRUB"));
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_str_eq(bi.cmdline, "");
	cr_assert_str_eq(bi.loader_name, "");
}

Test(multiboot1, cmdline_pointer_unreadable, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_CMDLINE);
	mb1_set(MB1_OFF_CMDLINE, 0xdead0000u);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_str_eq(bi.cmdline, "");
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("not readable"));
}

Test(multiboot1, cmdline_null_pointer_is_empty_and_silent, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_CMDLINE);
	mb1_set(MB1_OFF_CMDLINE, 0);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_str_eq(bi.cmdline, "");
	cr_assert_eq(host_log_count(), 0);
}

Test(multiboot1, cmdline_running_into_unreadable_memory, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_CMDLINE);
	uint32_t pa = PHYS_BASE + PHYS_SIZE - 5;
	memcpy(phys(pa), "abcde", 5); /* no NUL before the end of memory */
	mb1_set(MB1_OFF_CMDLINE, pa);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_str_eq(bi.cmdline, "abcde");
	cr_assert(host_log_contains("not readable"));
}

Test(multiboot1, overlong_cmdline_cut_and_flagged, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_CMDLINE);
	memset(phys(MB1_STRINGS), 'x', 3000);
	mb1_set(MB1_OFF_CMDLINE, MB1_STRINGS);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	cr_assert(bi.flags & BOOT_INFO_F_CMDLINE_CUT);
}

Test(multiboot1, cmdline_exactly_fitting_is_not_cut, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_CMDLINE);
	memset(phys(MB1_STRINGS), 'y', BOOT_CMDLINE_MAX - 1);
	mb1_set(MB1_OFF_CMDLINE, MB1_STRINGS);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	cr_assert_eq(bi.flags & BOOT_INFO_F_CMDLINE_CUT, 0);
}

Test(multiboot1, modules_with_strings, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_MODS);
	mb1_module(0, 0x400000, 0x500000, mb1_string(MB1_STRINGS, "manifest name=linux0"));
	mb1_module(1, 0x500000, 0x501000, 0);
	mb1_set(MB1_OFF_MODS_COUNT, 2);
	mb1_set(MB1_OFF_MODS_ADDR, MB1_MODS);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_modules, 2);
	cr_assert_eq(bi.modules[0].start, 0x400000);
	cr_assert_eq(bi.modules[0].end, 0x500000);
	cr_assert_str_eq(bi.modules[0].cmdline, "manifest name=linux0");
	cr_assert_str_eq(bi.modules[1].cmdline, "");
	cr_assert_eq(bi.dropped_modules, 0);
}

Test(multiboot1, modules_ignored_without_flag, .init = reset)
{
	struct boot_info bi;
	mb1_basic(0);
	mb1_module(0, 0x400000, 0x500000, 0);
	mb1_set(MB1_OFF_MODS_COUNT, 1);
	mb1_set(MB1_OFF_MODS_ADDR, MB1_MODS);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_modules, 0);
}

Test(multiboot1, module_end_not_after_start_dropped, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_MODS);
	mb1_module(0, 0x500000, 0x500000, 0); /* empty */
	mb1_module(1, 0x600000, 0x400000, 0); /* backwards */
	mb1_module(2, 0x700000, 0x800000, mb1_string(MB1_STRINGS, "ok"));
	mb1_set(MB1_OFF_MODS_COUNT, 3);
	mb1_set(MB1_OFF_MODS_ADDR, MB1_MODS);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_modules, 1);
	cr_assert_eq(bi.dropped_modules, 2);
	cr_assert_str_eq(bi.modules[0].cmdline, "ok");
	cr_assert_eq(host_log_count(), 2);
	cr_assert(host_log_contains("module 0 has end 0x500000 not after start 0x500000"));
	cr_assert(host_log_contains("module 1 has end 0x400000 not after start 0x600000"));
}

Test(multiboot1, more_than_max_modules, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_MODS);
	for (unsigned int i = 0; i < BOOT_MAX_MODULES + 3; i++)
		mb1_module(i, 0x1000000 + i * 0x10000, 0x1000000 + i * 0x10000 + 0x1000, 0);
	mb1_set(MB1_OFF_MODS_COUNT, BOOT_MAX_MODULES + 3);
	mb1_set(MB1_OFF_MODS_ADDR, MB1_MODS);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_modules, BOOT_MAX_MODULES);
	cr_assert_eq(bi.dropped_modules, 3);
	cr_assert_eq(bi.modules[BOOT_MAX_MODULES - 1].start,
		     0x1000000 + (BOOT_MAX_MODULES - 1) * 0x10000);
	cr_assert(host_log_contains("more than 32 modules"));
}

Test(multiboot1, absurd_module_count_is_bounded_and_counted, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_MODS);
	for (unsigned int i = 0; i < 0x100; i++)
		mb1_module(i, 0x1000000 + i * 0x10000, 0x1000000 + i * 0x10000 + 0x1000, 0);
	mb1_set(MB1_OFF_MODS_COUNT, 0xffffffffu);
	mb1_set(MB1_OFF_MODS_ADDR, MB1_MODS);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_modules, BOOT_MAX_MODULES);
	cr_assert_eq(bi.dropped_modules, 0xffffffffu - BOOT_MAX_MODULES,
		     "every module that was not taken is counted (got %u)", bi.dropped_modules);
	cr_assert(reads < 200, "the parser must not walk 4 billion entries (%u reads)", reads);
	cr_assert(host_log_count() <= 3, "one line, not one per module (%u)", host_log_count());
}

Test(multiboot1, module_list_unreadable, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_MODS);
	uint32_t last = PHYS_BASE + PHYS_SIZE - 16;
	put32(last, 0x400000);
	put32(last + 4, 0x401000);
	mb1_set(MB1_OFF_MODS_COUNT, 2);
	mb1_set(MB1_OFF_MODS_ADDR, last);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.nr_modules, 1);
	cr_assert(host_log_contains("module list unreadable at entry 1"));
}

Test(multiboot1, overlong_module_string_cut, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_MODS);
	memset(phys(MB1_STRINGS), 'm', 2000);
	mb1_module(0, 0x400000, 0x401000, MB1_STRINGS);
	mb1_set(MB1_OFF_MODS_COUNT, 1);
	mb1_set(MB1_OFF_MODS_ADDR, MB1_MODS);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(strlen(bi.modules[0].cmdline), BOOT_MODULE_CMDLINE_MAX - 1);
	cr_assert(bi.flags & BOOT_INFO_F_CMDLINE_CUT);
}

/* ---- Multiboot2 (Multiboot2 §3.6) -------------------------------------- */

#define MB2_INFO 0x10000u

struct mb2_builder {
	uint32_t off; /* next tag offset from MB2_INFO */
};

static void mb2_begin(struct mb2_builder *b)
{
	b->off = 8;
	put32(MB2_INFO + 4, 0);
}

/* Appends a tag with `len` payload bytes; returns the payload's address. */
static uint32_t mb2_tag(struct mb2_builder *b, uint32_t type, const void *payload, uint32_t len)
{
	uint32_t pa = MB2_INFO + b->off;
	put32(pa, type);
	put32(pa + 4, 8 + len);
	if (payload)
		memcpy(phys(pa + 8), payload, len);
	b->off = (b->off + 8 + len + 7) & ~7u;
	return pa + 8;
}

static void mb2_end(struct mb2_builder *b)
{
	mb2_tag(b, MB2_TAG_END, NULL, 0);
	put32(MB2_INFO, b->off);
}

static void mb2_string_tag(struct mb2_builder *b, uint32_t type, const char *s)
{
	mb2_tag(b, type, s, (uint32_t)strlen(s) + 1);
}

struct mb2_mmap_entry_t {
	uint64_t base, len;
	uint32_t type, reserved;
};

static void mb2_mmap_tag(struct mb2_builder *b, uint32_t entry_size,
			 const struct mb2_mmap_entry_t *e, unsigned int n)
{
	uint8_t buf[4096] = { 0 };
	memcpy(buf, &entry_size, 4);
	for (unsigned int i = 0; i < n; i++)
		memcpy(buf + 8 + i * entry_size, &e[i], sizeof(e[i]));
	mb2_tag(b, MB2_TAG_MMAP, buf, 8 + n * entry_size);
}

static void mb2_one_ram_range(struct mb2_builder *b)
{
	struct mb2_mmap_entry_t e = { 0x100000, 0x7f00000, BOOT_MEM_USABLE, 0 };
	mb2_mmap_tag(b, 24, &e, 1);
}

static void mb2_module_tag(struct mb2_builder *b, uint32_t start, uint32_t end, const char *s,
			   size_t slen)
{
	uint8_t buf[2048];
	memcpy(buf, &start, 4);
	memcpy(buf + 4, &end, 4);
	memcpy(buf + 8, s, slen);
	mb2_tag(b, MB2_TAG_MODULE, buf, 8 + (uint32_t)slen);
}

Test(multiboot2, tags_in_sequence, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_string_tag(&b, MB2_TAG_CMDLINE, "/boot/bulkhead.elf loglevel=4");
	mb2_string_tag(&b, MB2_TAG_LOADER_NAME, "GRUB 2.06-13");
	mb2_tag(&b, MB2_TAG_BASIC_MEMINFO, "\x80\x02\0\0\0\0\x01\0", 8);
	mb2_module_tag(&b, 0x400000, 0x480000, "kernel name=linux0", 19);
	struct mb2_mmap_entry_t e[3] = {
		{ 0, 0x9fc00, BOOT_MEM_USABLE, 0 },
		{ 0x100000, 0x7ee0000, BOOT_MEM_USABLE, 0 },
		{ 0x7fe0000, 0x20000, BOOT_MEM_RESERVED, 0 },
	};
	mb2_mmap_tag(&b, 24, e, 3);
	uint64_t st = 0x7f5e8018ull;
	mb2_tag(&b, MB2_TAG_EFI64, &st, 8);
	mb2_tag(&b, 99, "junk", 4); /* unknown tags are skipped */
	mb2_end(&b);

	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.source, BOOT_SRC_MULTIBOOT2);
	cr_assert_str_eq(bi.cmdline, "/boot/bulkhead.elf loglevel=4");
	cr_assert_str_eq(bi.loader_name, "GRUB 2.06-13");
	cr_assert_eq(bi.nr_modules, 1);
	cr_assert_eq(bi.modules[0].start, 0x400000);
	cr_assert_eq(bi.modules[0].end, 0x480000);
	cr_assert_str_eq(bi.modules[0].cmdline, "kernel name=linux0");
	cr_assert_eq(bi.nr_mem, 3);
	cr_assert_eq(bi.mem[1].base, 0x100000);
	cr_assert_eq(bi.mem[1].len, 0x7ee0000);
	cr_assert_eq(bi.mem[2].type, BOOT_MEM_RESERVED);
	cr_assert_eq(bi.efi_system_table, st);
	cr_assert_eq(bi.flags, 0);
	cr_assert_eq(host_log_count(), 0);
}

Test(multiboot2, tags_are_8_byte_aligned, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	/* "ab\0" makes an 11-byte tag: the next one starts 5 bytes later, at
	 * offset 24, not at 19. Fill the padding with a fake tag header that a
	 * parser stepping by the raw size would read. */
	mb2_string_tag(&b, MB2_TAG_CMDLINE, "ab");
	cr_assert_eq(b.off, 24);
	put32(MB2_INFO + 19, 0); /* a fake END tag at the unaligned offset */
	put32(MB2_INFO + 23, 8);
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_str_eq(bi.cmdline, "ab");
	cr_assert_eq(bi.nr_mem, 1);
	cr_assert_eq(host_log_count(), 0);
}

Test(multiboot2, info_block_at_unaligned_address, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	phys_shift = 3; /* the host pointer behind MB2_INFO is now misaligned */
	mb2_begin(&b);
	mb2_string_tag(&b, MB2_TAG_CMDLINE, "x=1");
	mb2_module_tag(&b, 0x400000, 0x401000, "m", 2);
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, 1);
	cr_assert_eq(bi.nr_modules, 1);
	cr_assert_str_eq(bi.modules[0].cmdline, "m");
}

Test(multiboot2, truncated_tag_stops_parsing, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_one_ram_range(&b);
	uint32_t pa = mb2_tag(&b, MB2_TAG_CMDLINE, "abc", 4) - 8;
	mb2_end(&b);
	put32(pa + 4, 0x1000); /* size runs far past total_size */
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, 1);
	cr_assert_str_eq(bi.cmdline, "");
	cr_assert(host_log_contains("has bad size 4096; rest ignored"));
	cr_assert(host_log_contains("no end tag"));
}

Test(multiboot2, tag_size_below_header_stops_parsing, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_one_ram_range(&b);
	uint32_t pa = mb2_tag(&b, MB2_TAG_CMDLINE, "abc", 4) - 8;
	mb2_end(&b);
	put32(pa + 4, 4);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert(host_log_contains("bad size 4"));
}

Test(multiboot2, total_size_absurd_or_tiny, .init = reset)
{
	struct boot_info bi;
	put32(MB2_INFO, 0xfffffff0u);
	cr_assert_not(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert(host_log_contains("bad size"));
	host_log_reset();
	put32(MB2_INFO, 12);
	cr_assert_not(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert(host_log_contains("bad size"));
}

Test(multiboot2, total_size_past_readable_memory, .init = reset)
{
	struct boot_info bi;
	put32(MB2_INFO, PHYS_SIZE + 8); /* under the 1 MiB limit, past our memory */
	cr_assert_not(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert(host_log_contains("is not readable"));
}

Test(multiboot2, header_unreadable, .init = reset)
{
	struct boot_info bi;
	cr_assert_not(multiboot2_parse(&bi, 0x1000, reader, NULL));
	cr_assert_eq(host_log_count(), 1);
}

Test(multiboot2, mmap_entry_size_invalid, .init = reset)
{
	struct boot_info bi;
	struct mb2_mmap_entry_t e[2] = { { 0x100000, 0x100000, 1, 0 }, { 0x200000, 0x100000, 1, 0 } };
	uint32_t bad[] = { 0, 16, 23, 257, 0xffffffffu };
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		struct mb2_builder b;
		reset();
		mb2_begin(&b);
		uint32_t pa = mb2_tag(&b, MB2_TAG_MMAP, NULL, 8 + 2 * 24);
		put32(pa, bad[i]);
		memcpy(phys(pa + 8), e, sizeof(e));
		mb2_end(&b);
		cr_assert_not(multiboot2_parse(&bi, MB2_INFO, reader, NULL), "entry_size %u", bad[i]);
		cr_assert(bi.flags & BOOT_INFO_F_MEM_TRUNCATED);
		cr_assert(host_log_contains("entry size"), "entry_size %u", bad[i]);
	}
}

Test(multiboot2, mmap_larger_entry_size_strides_correctly, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	struct mb2_mmap_entry_t e[3] = {
		{ 0, 0x9f000, 1, 0 },
		{ 0x100000, 0x100000, 1, 0 },
		{ 0xfee00000, 0x1000, 2, 0 },
	};
	mb2_begin(&b);
	mb2_mmap_tag(&b, 40, e, 3);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, 3);
	cr_assert_eq(bi.mem[2].base, 0xfee00000);
	cr_assert_eq(bi.mem[2].type, BOOT_MEM_RESERVED);
}

Test(multiboot2, mmap_tag_too_short, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_tag(&b, MB2_TAG_MMAP, "\x18\0\0", 4);
	mb2_end(&b);
	cr_assert_not(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert(host_log_contains("memory map tag too short"));
}

Test(multiboot2, mmap_partial_last_entry_ignored, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	struct mb2_mmap_entry_t e[2] = { { 0x100000, 0x100000, 1, 0 }, { 0x200000, 0x100000, 1, 0 } };
	mb2_begin(&b);
	uint32_t pa = mb2_tag(&b, MB2_TAG_MMAP, NULL, 8 + 24 + 20);
	put32(pa, 24);
	memcpy(phys(pa + 8), e, 24 + 20);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, 1);
}

Test(multiboot2, no_end_tag, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_one_ram_range(&b);
	put32(MB2_INFO, b.off);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.nr_mem, 1);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("no end tag"));
}

Test(multiboot2, tags_after_end_ignored, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_one_ram_range(&b);
	mb2_tag(&b, MB2_TAG_END, NULL, 0);
	mb2_string_tag(&b, MB2_TAG_CMDLINE, "after=end");
	put32(MB2_INFO, b.off);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_str_eq(bi.cmdline, "");
	cr_assert_eq(host_log_count(), 0);
}

static const uint8_t rsdp_v1[20] = "RSD PTR \x11OEMID\x00\x00\x00\x00\x00";
static const uint8_t rsdp_v2[36] = "RSD PTR \x22OEMID\x02\x00\x00\x00\x00\x24\x00\x00\x00";

Test(multiboot2, both_acpi_tags_new_wins_old_first, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_tag(&b, MB2_TAG_ACPI_OLD, rsdp_v1, sizeof(rsdp_v1));
	uint32_t new_pa = mb2_tag(&b, MB2_TAG_ACPI_NEW, rsdp_v2, sizeof(rsdp_v2));
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.rsdp_len, 36);
	cr_assert_eq(bi.acpi_rsdp, new_pa);
	cr_assert_arr_eq(bi.rsdp_copy, rsdp_v2, 36);
}

Test(multiboot2, both_acpi_tags_new_wins_new_first, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	uint32_t new_pa = mb2_tag(&b, MB2_TAG_ACPI_NEW, rsdp_v2, sizeof(rsdp_v2));
	mb2_tag(&b, MB2_TAG_ACPI_OLD, rsdp_v1, sizeof(rsdp_v1));
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.rsdp_len, 36);
	cr_assert_eq(bi.acpi_rsdp, new_pa);
	cr_assert_arr_eq(bi.rsdp_copy, rsdp_v2, 36);
}

Test(multiboot2, old_acpi_tag_alone, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	uint32_t pa = mb2_tag(&b, MB2_TAG_ACPI_OLD, rsdp_v1, sizeof(rsdp_v1));
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.rsdp_len, 20);
	cr_assert_eq(bi.acpi_rsdp, pa);
}

Test(multiboot2, acpi_tag_too_short_for_an_rsdp_ignored, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_tag(&b, MB2_TAG_ACPI_NEW, rsdp_v2, 4);
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.acpi_rsdp, 0, "a 4-byte RSDP must not be reported as found");
	cr_assert_eq(bi.rsdp_len, 0);
	cr_assert(host_log_contains("RSDP"));
}

Test(multiboot2, oversized_acpi_tag_copy_is_bounded, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	uint8_t big[200];
	memset(big, 0x5a, sizeof(big));
	mb2_begin(&b);
	mb2_tag(&b, MB2_TAG_ACPI_NEW, big, sizeof(big));
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.rsdp_len, sizeof(bi.rsdp_copy));
	cr_assert_eq(bi.dropped_mem, 0, "neighbouring fields untouched");
}

Test(multiboot2, module_string_not_nul_terminated, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_module_tag(&b, 0x400000, 0x401000, "abcde", 5); /* no NUL */
	/* Put visible bytes in the padding: they must not leak into the string. */
	memcpy(phys(MB2_INFO + b.off - 3), "XYZ", 3);
	mb2_module_tag(&b, 0x500000, 0x501000, "", 0); /* empty string */
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.nr_modules, 2);
	cr_assert_str_eq(bi.modules[0].cmdline, "abcde");
	cr_assert_str_eq(bi.modules[1].cmdline, "");
}

Test(multiboot2, cmdline_not_nul_terminated, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_tag(&b, MB2_TAG_CMDLINE, "loglevel=2", 10);
	memcpy(phys(MB2_INFO + b.off - 6), "PADPAD", 6);
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_str_eq(bi.cmdline, "loglevel=2");
}

Test(multiboot2, overlong_cmdline_sets_cut_flag, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	char s[3000];
	memset(s, 'c', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	mb2_begin(&b);
	mb2_string_tag(&b, MB2_TAG_CMDLINE, s);
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	cr_assert(bi.flags & BOOT_INFO_F_CMDLINE_CUT);
}

Test(multiboot2, exactly_fitting_cmdline_not_cut, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	char s[BOOT_CMDLINE_MAX];
	memset(s, 'c', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	mb2_begin(&b);
	mb2_string_tag(&b, MB2_TAG_CMDLINE, s);
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	cr_assert_eq(bi.flags & BOOT_INFO_F_CMDLINE_CUT, 0);
}

Test(multiboot2, overlong_loader_name_cut, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	char s[200];
	memset(s, 'n', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	mb2_begin(&b);
	mb2_string_tag(&b, MB2_TAG_LOADER_NAME, s);
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(strlen(bi.loader_name), sizeof(bi.loader_name) - 1);
}

Test(multiboot2, overlong_module_string_cut_and_flagged, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	char s[1500];
	memset(s, 'm', sizeof(s));
	mb2_begin(&b);
	mb2_module_tag(&b, 0x400000, 0x401000, s, sizeof(s));
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(strlen(bi.modules[0].cmdline), BOOT_MODULE_CMDLINE_MAX - 1);
	cr_assert(bi.flags & BOOT_INFO_F_CMDLINE_CUT);
}

Test(multiboot2, module_tag_too_short, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_tag(&b, MB2_TAG_MODULE, "\0\0\x40\0", 4);
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.nr_modules, 0);
	cr_assert_eq(bi.dropped_modules, 1);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("module tag too short"));
}

Test(multiboot2, module_end_not_after_start_dropped, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_module_tag(&b, 0x500000, 0x400000, "bad", 4);
	mb2_module_tag(&b, 0x600000, 0x601000, "good", 5);
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.nr_modules, 1);
	cr_assert_eq(bi.dropped_modules, 1);
	cr_assert_str_eq(bi.modules[0].cmdline, "good");
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("not after start"));
}

Test(multiboot2, more_than_max_modules, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	for (unsigned int i = 0; i < BOOT_MAX_MODULES + 2; i++)
		mb2_module_tag(&b, 0x1000000 + i * 0x1000, 0x1000000 + i * 0x1000 + 0x1000, "x", 2);
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.nr_modules, BOOT_MAX_MODULES);
	cr_assert_eq(bi.dropped_modules, 2);
}

Test(multiboot2, efi64_tag_too_short_ignored, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_tag(&b, MB2_TAG_EFI64, "\x11\x22\x33\x44", 4);
	mb2_one_ram_range(&b);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.efi_system_table, 0);
}

Test(multiboot2, no_memory_map_fails, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_string_tag(&b, MB2_TAG_CMDLINE, "x");
	mb2_end(&b);
	cr_assert_not(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert(host_log_contains("no memory map"));
}

/* ---- the screen a loader describes (issue 11: a screen) ---------------- */

#define MB1_OFF_FB_ADDR 88

/* Framebuffer fields of an MB1 block from offset 88 (Multiboot 0.6.96 §3.3). */
static void mb1_framebuffer(uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h, uint8_t bpp,
			    uint8_t type, const uint8_t rgb[6])
{
	put64(MB1_INFO + MB1_OFF_FB_ADDR, addr);
	mb1_set(MB1_OFF_FB_ADDR + 8, pitch);
	mb1_set(MB1_OFF_FB_ADDR + 12, w);
	mb1_set(MB1_OFF_FB_ADDR + 16, h);
	phys(MB1_INFO + MB1_OFF_FB_ADDR + 20)[0] = bpp;
	phys(MB1_INFO + MB1_OFF_FB_ADDR + 21)[0] = type;
	memcpy(phys(MB1_INFO + MB1_OFF_FB_ADDR + 22), rgb, 6);
}

static const uint8_t bgrx[6] = { 16, 8, 8, 8, 0, 8 };

Test(multiboot1, rgb32_framebuffer, .init = reset)
{
	struct boot_info bi;
	mb1_basic(MB1_INFO_FRAMEBUFFER);
	mb1_framebuffer(0xfd000000, 4096, 1024, 768, 32, MB_FB_TYPE_RGB, bgrx);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.fb.type, BOOT_FB_RGB32);
	cr_assert_eq(bi.fb.addr, 0xfd000000);
	cr_assert_eq(bi.fb.width, 1024);
	cr_assert_eq(bi.fb.height, 768);
	cr_assert_eq(bi.fb.pitch, 4096);
	cr_assert_eq(bi.fb.red_shift, 16);
	cr_assert_eq(bi.fb.blue_shift, 0);
}

Test(multiboot1, framebuffer_ignored_without_its_flag_or_when_undrawable, .init = reset)
{
	struct boot_info bi;
	mb1_basic(0);
	mb1_framebuffer(0xfd000000, 4096, 1024, 768, 32, MB_FB_TYPE_RGB, bgrx);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.fb.type, BOOT_FB_NONE);
	mb1_basic(MB1_INFO_FRAMEBUFFER);
	mb1_framebuffer(0xfd000000, 3072, 1024, 768, 24, MB_FB_TYPE_RGB, bgrx);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.fb.type, BOOT_FB_NONE, "24 bits per pixel");
	mb1_framebuffer(0xfd000000, 1000, 1024, 768, 32, MB_FB_TYPE_RGB, bgrx);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.fb.type, BOOT_FB_NONE, "a pitch shorter than a line");
	mb1_framebuffer(0xa0000, 320, 320, 200, 8, MB_FB_TYPE_INDEXED, bgrx);
	cr_assert(multiboot1_parse(&bi, MB1_INFO, reader, NULL));
	cr_assert_eq(bi.fb.type, BOOT_FB_NONE, "palette");
}

/* GRUB's tag: common part, 16-bit reserved, then the RGB fields. */
static void mb2_framebuffer_tag(struct mb2_builder *b, uint64_t addr, uint32_t pitch, uint32_t w,
				uint32_t h, uint8_t bpp, uint8_t type)
{
	uint8_t buf[30] = { 0 };
	memcpy(buf, &addr, 8);
	memcpy(buf + 8, &pitch, 4);
	memcpy(buf + 12, &w, 4);
	memcpy(buf + 16, &h, 4);
	buf[20] = bpp;
	buf[21] = type;
	memcpy(buf + 24, bgrx, 6);
	mb2_tag(b, MB2_TAG_FRAMEBUFFER, buf, type == MB_FB_TYPE_RGB ? 30 : 24);
}

Test(multiboot2, framebuffer_tags, .init = reset)
{
	struct mb2_builder b;
	struct boot_info bi;
	mb2_begin(&b);
	mb2_one_ram_range(&b);
	mb2_framebuffer_tag(&b, 0x80000000, 5120, 1280, 800, 32, MB_FB_TYPE_RGB);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.fb.type, BOOT_FB_RGB32);
	cr_assert_eq(bi.fb.addr, 0x80000000);
	cr_assert_eq(bi.fb.width, 1280);
	cr_assert_eq(bi.fb.red_shift, 16);

	mb2_begin(&b);
	mb2_one_ram_range(&b);
	mb2_framebuffer_tag(&b, 0xb8000, 160, 80, 25, 16, MB_FB_TYPE_EGA_TEXT);
	mb2_end(&b);
	cr_assert(multiboot2_parse(&bi, MB2_INFO, reader, NULL));
	cr_assert_eq(bi.fb.type, BOOT_FB_NONE, "a text tag is shorter than the RGB layout");
}
