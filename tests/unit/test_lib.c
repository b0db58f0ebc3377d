/* SPDX-License-Identifier: BSD-2-Clause */
/* core/lib (formatting, strings, number parsing) and core/gmem bounds checks. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/gmem.h"
#include "core/iobus.h"
#include "core/lib/format.h"
#include "core/lib/string.h"

Test(format, integers_and_padding)
{
	char b[64];
	bh_snprintf(b, sizeof(b), "%d|%5u|%-4x|%08lx|%X", -42, 7u, 0xabu, 0x1234UL, 0xBEEFu);
	cr_assert_str_eq(b, "-42|    7|ab  |00001234|BEEF");
}

Test(format, strings_precision_and_null)
{
	char b[64];
	const char *volatile nothing = NULL; /* hidden from -Wformat-overflow */
	bh_snprintf(b, sizeof(b), "[%.3s][%s][%c]", "abcdef", nothing, 'z');
	cr_assert_str_eq(b, "[abc][(null)][z]");
}

Test(format, truncates_and_reports_full_length)
{
	char b[8];
	int n = bh_snprintf(b, sizeof(b), "0123456789");
	cr_assert_eq(n, 10);
	cr_assert_str_eq(b, "0123456");
}

Test(format, int64_min)
{
	char b[32];
	bh_snprintf(b, sizeof(b), "%ld", (long)INT64_MIN);
	cr_assert_str_eq(b, "-9223372036854775808");
}

Test(parse, numbers_and_suffixes)
{
	uint64_t v;
	cr_assert(bh_parse_u64("16M", 3, &v, true));
	cr_assert_eq(v, 16ull << 20);
	cr_assert(bh_parse_u64("0x3f8", 5, &v, false));
	cr_assert_eq(v, 0x3f8);
	cr_assert_not(bh_parse_u64("12Q", 3, &v, true));
	cr_assert_not(bh_parse_u64("", 0, &v, true));
	cr_assert_not(bh_parse_u64("0x", 2, &v, false));
	cr_assert_not(bh_parse_u64("99999999999999999999", 20, &v, false));
	cr_assert_not(bh_parse_u64("17179869184G", 12, &v, true)); /* overflows on shift */
}

Test(gmem, bounds_checked_access)
{
	uint8_t *ram = calloc(1, 8192);
	struct gmem m = { 0 };
	cr_assert(gmem_add_region(&m, 0x1000, 8192, ram));
	cr_assert_not(gmem_add_region(&m, 0x2000, 4096, ram), "overlap must be refused");
	cr_assert_not(gmem_add_region(&m, UINT64_MAX - 10, 4096, ram), "wrap must be refused");

	uint32_t v = 0xdeadbeef;
	cr_assert(gmem_write(&m, 0x1000 + 8188, &v, 4));
	cr_assert_not(gmem_write(&m, 0x1000 + 8189, &v, 4), "straddles the end");
	cr_assert_not(gmem_read(&m, 0xfff, &v, 2), "straddles the start");
	cr_assert_null(gmem_ptr(&m, UINT64_MAX - 1, 4), "wrapping access");
	cr_assert_null(gmem_ptr(&m, 0x1000, 0));
	cr_assert_eq(gmem_total(&m), 8192);
	free(ram);
}

static int dummy_read(void *dev, uint64_t off, unsigned int size, uint64_t *val)
{
	*val = off + (uintptr_t)dev;
	return 0;
}

Test(iobus, dispatch_and_open_bus)
{
	struct iobus b = { 0 };
	cr_assert(iobus_add_pio(&b, 0x3f8, 8, dummy_read, NULL, (void *)0x100, "uart"));
	cr_assert_not(iobus_add_pio(&b, 0x3fc, 8, dummy_read, NULL, NULL, "overlap"));
	cr_assert_not(iobus_add_pio(&b, 0xfffc, 8, dummy_read, NULL, NULL, "past 64K"));
	uint64_t v = 0;
	cr_assert_eq(iobus_pio(&b, 0x3fa, 1, false, &v), IOBUS_OK);
	cr_assert_eq(v, 0x102);
	cr_assert_eq(iobus_pio(&b, 0x60, 2, false, &v), IOBUS_UNCLAIMED);
	cr_assert_eq(v, 0xffff);
	cr_assert(iobus_add_mmio(&b, 0xfec00000, 0x1000, dummy_read, NULL, NULL, "ioapic"));
	cr_assert(iobus_move_mmio(&b, NULL, 0xfec00000, 0xfed00000));
	cr_assert_eq(iobus_mmio(&b, 0xfec00000, 4, false, &v), IOBUS_UNCLAIMED);
	cr_assert_eq(iobus_mmio(&b, 0xfed00010, 4, false, &v), IOBUS_OK);
	cr_assert_eq(v, 0x10);
}

Test(lib, strstr_finds_first_occurrence_or_null)
{
	const char *h = "console=ttyS0 tsc_early_khz=2000 tsc_early_khz=1";
	cr_assert_eq(bh_strstr(h, "tsc_early_khz="), h + 14);
	cr_assert_null(bh_strstr(h, "quiet"));
	cr_assert_eq(bh_strstr(h, ""), h);
	cr_assert_null(bh_strstr("", "a"));
	cr_assert_null(bh_strstr("ab", "abc"), "needle longer than the rest");
}

Test(lib, hex_digit_value)
{
	cr_assert_eq(bh_hex_digit_value('0'), 0);
	cr_assert_eq(bh_hex_digit_value('9'), 9);
	cr_assert_eq(bh_hex_digit_value('a'), 10);
	cr_assert_eq(bh_hex_digit_value('F'), 15);
	cr_assert_eq(bh_hex_digit_value('g'), -1);
	cr_assert_eq(bh_hex_digit_value('/'), -1);
	cr_assert_eq(bh_hex_digit_value(':'), -1);
	cr_assert_eq(bh_hex_digit_value('@'), -1);
}
