/* SPDX-License-Identifier: BSD-2-Clause */
/* AML emitter: encodings checked byte for byte against ACPI 6.4 §20 (and
 * what iasl produces for the same ASL), block closing, and bounds. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/vdev/aml.h"

static uint8_t mem[8192];
static struct aml_buf b;

static void setup(void)
{
	memset(mem, 0xEE, sizeof(mem));
	aml_init(&b, mem, sizeof(mem));
}

#define EXPECT_BYTES(...)                                                                         \
	do {                                                                                      \
		static const uint8_t want[] = { __VA_ARGS__ };                                    \
		cr_assert(aml_ok(&b), "emitter failed");                                          \
		cr_assert_eq(b.len, sizeof(want), "length %zu, want %zu", b.len, sizeof(want));   \
		for (size_t i_ = 0; i_ < sizeof(want); i_++)                                      \
			cr_assert_eq(mem[i_], want[i_], "byte %zu: %02x, want %02x", i_, mem[i_], \
				     want[i_]);                                                   \
	} while (0)

static void expect_pkglen(uint32_t value, unsigned int n, const uint8_t *want)
{
	uint8_t out[AML_PKGLEN_MAX_BYTES];
	cr_assert_eq(aml_pkglength_encode(value, out), n, "value %u", value);
	cr_assert_eq(memcmp(out, want, n), 0, "value %u", value);
}

Test(aml, pkglength_encoding_boundaries)
{
	expect_pkglen(0, 1, (const uint8_t[]){ 0x00 });
	expect_pkglen(63, 1, (const uint8_t[]){ 0x3F });
	expect_pkglen(64, 2, (const uint8_t[]){ 0x40, 0x04 });
	expect_pkglen(4095, 2, (const uint8_t[]){ 0x4F, 0xFF });
	expect_pkglen(4096, 3, (const uint8_t[]){ 0x80, 0x00, 0x01 });
	expect_pkglen(0xFFFFF, 3, (const uint8_t[]){ 0x8F, 0xFF, 0xFF });
	expect_pkglen(0x100000, 4, (const uint8_t[]){ 0xC0, 0x00, 0x00, 0x01 });
	expect_pkglen(0xFFFFFFF, 4, (const uint8_t[]){ 0xCF, 0xFF, 0xFF, 0xFF });
	uint8_t out[AML_PKGLEN_MAX_BYTES];
	cr_assert_eq(aml_pkglength_encode(0x10000000, out), 0, "28 bits is the limit");
}

/* Closing a block whose body (name + filler) is `body` bytes long: the
 * PkgLength counts itself, so 62 -> 63 in one byte, 63 -> 65 in two. */
static size_t scope_with_body(size_t body)
{
	static uint8_t filler[8192];
	setup();
	size_t m = aml_scope_begin(&b, "ABCD");
	aml_raw(&b, filler, body - 4);
	aml_block_end(&b, m);
	cr_assert(aml_ok(&b));
	cr_assert_eq(mem[0], AML_SCOPE_OP);
	return b.len - 1 - body; /* PkgLength bytes */
}

Test(aml, block_close_picks_shortest_pkglength)
{
	cr_assert_eq(scope_with_body(62), 1);
	cr_assert_eq(mem[1], 63);
	cr_assert_eq(scope_with_body(63), 2);
	cr_assert_eq(mem[1], 0x41); /* 65 = 0x041 */
	cr_assert_eq(mem[2], 0x04);
	cr_assert_eq(scope_with_body(4093), 2);
	cr_assert_eq(mem[1], 0x4F); /* 4095 */
	cr_assert_eq(mem[2], 0xFF);
	cr_assert_eq(scope_with_body(4094), 3);
	cr_assert_eq(mem[1], 0x81); /* 4097 = 0x01001 */
	cr_assert_eq(mem[2], 0x00);
	cr_assert_eq(mem[3], 0x01);
	cr_assert_eq(memcmp(mem + 4, "ABCD", 4), 0, "body moved intact");
}

Test(aml, integers_use_shortest_form, .init = setup)
{
	aml_integer(&b, 0);
	aml_integer(&b, 1);
	aml_integer(&b, 2);
	aml_integer(&b, 0xFF);
	aml_integer(&b, 0x100);
	aml_integer(&b, 0xFFFF);
	aml_integer(&b, 0x10000);
	aml_integer(&b, 0xFFFFFFFF);
	aml_integer(&b, 0x100000000ULL);
	EXPECT_BYTES(0x00, 0x01, 0x0A, 0x02, 0x0A, 0xFF, 0x0B, 0x00, 0x01, 0x0B, 0xFF, 0xFF, 0x0C,
		     0x00, 0x00, 0x01, 0x00, 0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 0x0E, 0x00, 0x00, 0x00,
		     0x00, 0x01, 0x00, 0x00, 0x00);
}

Test(aml, name_strings, .init = setup)
{
	aml_name_string(&b, "_HID");
	aml_name_string(&b, "_S5");
	aml_name_string(&b, "\\_SB.PCI0");
	aml_name_string(&b, "\\");
	aml_name_string(&b, "^^FOO");
	aml_name_string(&b, "\\A.B2.C_");
	aml_name_string(&b, "");
	EXPECT_BYTES('_', 'H', 'I', 'D', '_', 'S', '5', '_', '\\', 0x2E, '_', 'S', 'B', '_', 'P',
		     'C', 'I', '0', '\\', 0x00, '^', '^', 'F', 'O', 'O', '_', '\\', 0x2F, 3, 'A',
		     '_', '_', '_', 'B', '2', '_', '_', 'C', '_', '_', '_', 0x00);
}

Test(aml, malformed_names_fail_and_stay_failed)
{
	const char *bad[] = { "abc", "TOOLONG", "A..B", "A.", ".A", "1ABC", "\\^A", "A-B", "^\\A" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setup();
		aml_name_string(&b, bad[i]);
		cr_assert_not(aml_ok(&b), "\"%s\" accepted", bad[i]);
		size_t len = b.len;
		aml_integer(&b, 7);
		cr_assert_eq(b.len, len, "a failed buffer must not grow");
	}
	setup();
	aml_name_string(&b, NULL);
	cr_assert_not(aml_ok(&b));
}

Test(aml, strings, .init = setup)
{
	aml_string(&b, "ACPI0007");
	aml_string(&b, "");
	EXPECT_BYTES(0x0D, 'A', 'C', 'P', 'I', '0', '0', '0', '7', 0x00, 0x0D, 0x00);
	setup();
	aml_string(&b, "caf\xc3\xa9");
	cr_assert_not(aml_ok(&b), "non-ASCII must be refused");
}

Test(aml, eisaid_compression)
{
	uint32_t v;
	cr_assert(aml_eisaid_value("PNP0A03", &v));
	cr_assert_eq(v, 0x030AD041, "PNP0A03 = %#x", v);
	/* 0x0A0CD041 is PNP0C0A (control-method battery), not PNP0A03. */
	cr_assert(aml_eisaid_value("PNP0C0A", &v));
	cr_assert_eq(v, 0x0A0CD041);
	cr_assert(aml_eisaid_value("PNP0C0C", &v));
	cr_assert_eq(v, 0x0C0CD041);
	cr_assert(aml_eisaid_value("PNP0501", &v));
	cr_assert_eq(v, 0x0105D041);
	const char *bad[] = { "pnp0a03", "PNP0A0", "PNP0A030", "PNP0A0G", "P@P0A03", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(aml_eisaid_value(bad[i], &v), "\"%s\" accepted", bad[i]);
	cr_assert_not(aml_eisaid_value(NULL, &v));
}

Test(aml, name_with_eisaid_matches_iasl, .init = setup)
{
	aml_name_eisaid(&b, "_HID", "PNP0A03");
	aml_name_str(&b, "_HID", "ACPI0007");
	aml_name_integer(&b, "_UID", 0);
	EXPECT_BYTES(0x08, '_', 'H', 'I', 'D', 0x0C, 0x41, 0xD0, 0x0A, 0x03, 0x08, '_', 'H', 'I',
		     'D', 0x0D, 'A', 'C', 'P', 'I', '0', '0', '0', '7', 0x00, 0x08, '_', 'U', 'I',
		     'D', 0x00);
}

Test(aml, package_s5, .init = setup)
{
	aml_name(&b, "_S5");
	size_t p = aml_package_begin(&b, 4);
	aml_integer(&b, 5);
	aml_integer(&b, 5);
	aml_integer(&b, 0);
	aml_integer(&b, 0);
	aml_package_end(&b, p);
	EXPECT_BYTES(0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00);
}

Test(aml, nested_packages, .init = setup)
{
	size_t outer = aml_package_begin(&b, 2);
	size_t inner = aml_package_begin(&b, 1);
	aml_integer(&b, 0x1FFFF);
	aml_package_end(&b, inner);
	aml_integer(&b, 1);
	aml_package_end(&b, outer);
	EXPECT_BYTES(0x12, 0x0B, 0x02, 0x12, 0x07, 0x01, 0x0C, 0xFF, 0xFF, 0x01, 0x00, 0x01);
}

Test(aml, method_with_return, .init = setup)
{
	size_t m = aml_method_begin(&b, "_STA", 0, false);
	aml_return(&b);
	aml_integer(&b, 0x0F);
	aml_block_end(&b, m);
	m = aml_method_begin(&b, "FOO", 2, true);
	aml_block_end(&b, m);
	EXPECT_BYTES(0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xA4, 0x0A, 0x0F, 0x14, 0x06, 'F', 'O',
		     'O', '_', 0x0A);
	setup();
	aml_method_begin(&b, "BAD", 8, false);
	cr_assert_not(aml_ok(&b), "8 arguments do not fit ArgCount");
}

Test(aml, scope_and_device, .init = setup)
{
	size_t s = aml_scope_begin(&b, "\\_SB");
	size_t d = aml_device_begin(&b, "PCI0");
	aml_name_integer(&b, "_UID", 0);
	aml_block_end(&b, d);
	aml_block_end(&b, s);
	EXPECT_BYTES(0x10, 0x13, '\\', '_', 'S', 'B', '_', 0x5B, 0x82, 0x0B, 'P', 'C', 'I', '0',
		     0x08, '_', 'U', 'I', 'D', 0x00);
}

Test(aml, buffers, .init = setup)
{
	size_t m = aml_buffer_begin(&b);
	aml_raw(&b, (const uint8_t[]){ 1, 2, 3 }, 3);
	aml_buffer_end(&b, m);
	m = aml_buffer_begin(&b);
	aml_buffer_end(&b, m);
	EXPECT_BYTES(0x11, 0x06, 0x0A, 0x03, 0x01, 0x02, 0x03, 0x11, 0x02, 0x00);
}

Test(aml, resource_template_io_port, .init = setup)
{
	size_t rt = aml_restemplate_begin(&b);
	aml_res_io(&b, 0xCF8, 0xCF8, 1, 8);
	aml_restemplate_end(&b, rt);
	EXPECT_BYTES(0x11, 0x0D, 0x0A, 0x0A, 0x47, 0x01, 0xF8, 0x0C, 0xF8, 0x0C, 0x01, 0x08, 0x79,
		     0x00);
}

Test(aml, word_address_descriptors, .init = setup)
{
	aml_res_word_bus_number(&b, 0, 0xFF);
	aml_res_word_io(&b, 0, 0x0CF7);
	EXPECT_BYTES(0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00,
		     0x00, 0x00, 0x01, /* WordBusNumber 0-0xFF */
		     0x88, 0x0D, 0x00, 0x01, 0x0C, 0x03, 0x00, 0x00, 0x00, 0x00, 0xF7, 0x0C, 0x00,
		     0x00, 0xF8, 0x0C); /* WordIO 0-0xCF7, EntireRange */
}

Test(aml, dword_and_qword_memory, .init = setup)
{
	aml_res_dword_memory(&b, 0xA0000, 0xBFFFF, true);
	aml_res_qword_memory(&b, 0x800000000ULL, 0xFFFFFFFFFULL, false);
	EXPECT_BYTES(0x87, 0x17, 0x00, 0x00, 0x0C, 0x03, 0, 0, 0, 0, 0x00, 0x00, 0x0A, 0x00, 0xFF,
		     0xFF, 0x0B, 0x00, 0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00,
		     /* QWordMemory NonCacheable ReadWrite */
		     0x8A, 0x2B, 0x00, 0x00, 0x0C, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00,
		     0x00, 0x08, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x00, 0x00,
		     0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00);
}

Test(aml, dword_io_and_bad_ranges, .init = setup)
{
	aml_res_dword_io(&b, 0x1000, 0x1FFF);
	EXPECT_BYTES(0x87, 0x17, 0x00, 0x01, 0x0C, 0x03, 0, 0, 0, 0, 0x00, 0x10, 0, 0, 0xFF, 0x1F,
		     0, 0, 0, 0, 0, 0, 0x00, 0x10, 0, 0);
	setup();
	aml_res_word_io(&b, 0x200, 0x100);
	cr_assert_not(aml_ok(&b), "min above max");
	setup();
	aml_res_word_io(&b, 0, 0xFFFF);
	cr_assert_not(aml_ok(&b), "_LEN 0x10000 does not fit a word");
	setup();
	aml_res_address(&b, 3, AML_RES_TYPE_IO, 0, 0, 1);
	cr_assert_not(aml_ok(&b), "no 3-byte descriptor");
	setup();
	aml_res_io(&b, 0x10, 0x0F, 1, 1);
	cr_assert_not(aml_ok(&b));
	setup();
	aml_package_begin(&b, 256);
	cr_assert_not(aml_ok(&b), "NumElements is one byte");
}

/* A block that needs every feature, emitted into every buffer size up to
 * the one it needs: all smaller ones fail, and no byte past the buffer
 * changes. */
static void emit_everything(struct aml_buf *o)
{
	size_t s = aml_scope_begin(o, "\\_SB");
	size_t d = aml_device_begin(o, "PCI0");
	aml_name_eisaid(o, "_HID", "PNP0A03");
	aml_name(o, "_CRS");
	size_t rt = aml_restemplate_begin(o);
	aml_res_word_bus_number(o, 0, 0);
	aml_res_qword_memory(o, 1ULL << 32, (1ULL << 33) - 1, false);
	aml_restemplate_end(o, rt);
	aml_name(o, "_PRT");
	size_t p = aml_package_begin(o, 40);
	for (unsigned int i = 0; i < 40; i++) {
		size_t e = aml_package_begin(o, 2);
		aml_integer(o, (uint64_t)i << 16 | 0xFFFF);
		aml_string(o, "X");
		aml_package_end(o, e);
	}
	aml_package_end(o, p);
	aml_block_end(o, d);
	aml_block_end(o, s);
}

Test(aml, every_short_buffer_fails_cleanly)
{
	static uint8_t big[4096];
	struct aml_buf full;
	aml_init(&full, big, sizeof(big));
	emit_everything(&full);
	cr_assert(aml_ok(&full));
	cr_assert_gt(full.len, 64, "the body needs a two-byte PkgLength");

	uint8_t *heap = malloc(full.len + 16);
	for (size_t cap = 0; cap < full.len; cap++) {
		struct aml_buf o;
		memset(heap, 0xA5, full.len + 16);
		aml_init(&o, heap, cap);
		emit_everything(&o);
		cr_assert_not(aml_ok(&o), "cap %zu", cap);
		cr_assert_leq(o.len, cap);
		for (size_t i = cap; i < full.len + 16; i++)
			cr_assert_eq(heap[i], 0xA5, "cap %zu: byte %zu written", cap, i);
	}
	struct aml_buf o;
	aml_init(&o, heap, full.len);
	emit_everything(&o);
	cr_assert(aml_ok(&o));
	cr_assert_eq(memcmp(heap, big, full.len), 0);
	free(heap);
}

Test(aml, null_memory_is_an_empty_buffer)
{
	struct aml_buf o;
	aml_init(&o, NULL, 100);
	aml_byte(&o, 1);
	cr_assert_not(aml_ok(&o));
	cr_assert_eq(o.len, 0);
}
