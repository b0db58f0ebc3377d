/* SPDX-License-Identifier: BSD-2-Clause */
/* AML byte-code emitter (ACPI 6.4 §20). */
#include "drivers/vdev/aml.h"

#include "core/lib/string.h"

#define AML_INTEGER_MAX_BYTES 9 /* QWordPrefix + 8 */

void aml_init(struct aml_buf *b, void *mem, size_t cap)
{
	*b = (struct aml_buf){ .data = mem, .cap = mem ? cap : 0 };
}

static bool room(struct aml_buf *b, size_t n)
{
	if (b->failed)
		return false;
	if (n > b->cap - b->len) {
		b->failed = true;
		return false;
	}
	return true;
}

static void fail(struct aml_buf *b)
{
	b->failed = true;
}

void aml_raw(struct aml_buf *b, const void *p, size_t n)
{
	if (!room(b, n))
		return;
	bh_memcpy(b->data + b->len, p, n);
	b->len += n;
}

void aml_byte(struct aml_buf *b, uint8_t v)
{
	aml_raw(b, &v, 1);
}

void aml_le(struct aml_buf *b, uint64_t v, unsigned int bytes)
{
	uint8_t tmp[8];

	if (bytes > sizeof(tmp)) {
		fail(b);
		return;
	}
	for (unsigned int i = 0; i < bytes; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	aml_raw(b, tmp, bytes);
}

/* Inserts n bytes at `at`, shifting what follows (closing a block). */
static void insert(struct aml_buf *b, size_t at, const uint8_t *p, size_t n)
{
	if (at > b->len) {
		fail(b);
		return;
	}
	if (!room(b, n))
		return;
	bh_memmove(b->data + at + n, b->data + at, b->len - at);
	bh_memcpy(b->data + at, p, n);
	b->len += n;
}

static unsigned int pkglength_bytes(uint32_t value)
{
	if (value <= AML_PKGLEN_1_MAX)
		return 1;
	if (value <= AML_PKGLEN_2_MAX)
		return 2;
	if (value <= AML_PKGLEN_3_MAX)
		return 3;
	if (value <= AML_PKGLEN_4_MAX)
		return 4;
	return 0;
}

unsigned int aml_pkglength_encode(uint32_t value, uint8_t out[AML_PKGLEN_MAX_BYTES])
{
	unsigned int n = pkglength_bytes(value);

	if (n == 0)
		return 0;
	if (n == 1) {
		out[0] = (uint8_t)value;
		return 1;
	}
	/* Lead byte: count of following bytes in 7:6, low nibble in 3:0. */
	out[0] = (uint8_t)((n - 1) << 6 | (value & 0x0F));
	for (unsigned int i = 1; i < n; i++)
		out[i] = (uint8_t)(value >> (4 + 8 * (i - 1)));
	return n;
}

/* The body [mark, len) gets a PkgLength in front of it: pick the size n
 * such that body + n encodes in exactly n bytes. */
static void insert_pkglength(struct aml_buf *b, size_t mark)
{
	uint8_t enc[AML_PKGLEN_MAX_BYTES];

	if (b->failed)
		return;
	if (mark > b->len) {
		fail(b);
		return;
	}
	size_t body = b->len - mark;
	for (unsigned int n = 1; n <= AML_PKGLEN_MAX_BYTES; n++) {
		if (body > AML_PKGLEN_4_MAX - n)
			break;
		if (aml_pkglength_encode((uint32_t)(body + n), enc) == n) {
			insert(b, mark, enc, n);
			return;
		}
	}
	fail(b);
}

static bool lead_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return lead_name_char(c) || (c >= '0' && c <= '9');
}

/* One segment of up to four characters ending at '.' or NUL; returns the
 * number of characters consumed, 0 if malformed. */
static size_t name_seg(const char *s, uint8_t seg[AML_NAME_SEG_LEN])
{
	size_t n = 0;

	while (s[n] && s[n] != '.') {
		if (n == AML_NAME_SEG_LEN || !(n == 0 ? lead_name_char(s[n]) : name_char(s[n])))
			return 0;
		seg[n] = (uint8_t)s[n];
		n++;
	}
	for (size_t i = n; i < AML_NAME_SEG_LEN; i++)
		seg[i] = '_';
	return n;
}

/* Counts the segments after the prefix chars; -1 if any is malformed. */
static int count_segs(const char *p)
{
	uint8_t seg[AML_NAME_SEG_LEN];
	int nsegs = 0;

	while (*p) {
		size_t n = name_seg(p, seg);
		if (n == 0 || nsegs == AML_MAX_NAME_SEGS)
			return -1;
		nsegs++;
		p += n;
		if (*p == '.' && !*++p)
			return -1; /* trailing dot */
	}
	return nsegs;
}

void aml_name_string(struct aml_buf *b, const char *path)
{
	const char *p = path;
	int nsegs;

	if (!p) {
		fail(b);
		return;
	}
	if (*p == AML_ROOT_CHAR) {
		aml_byte(b, AML_ROOT_CHAR);
		p++;
	} else {
		while (*p == AML_PARENT_PREFIX_CHAR) {
			aml_byte(b, AML_PARENT_PREFIX_CHAR);
			p++;
		}
	}
	nsegs = count_segs(p);
	if (nsegs < 0) {
		fail(b);
		return;
	}
	if (nsegs == 0) {
		aml_byte(b, AML_NULL_NAME);
		return;
	}
	if (nsegs == 2) {
		aml_byte(b, AML_DUAL_NAME_PREFIX);
	} else if (nsegs > 2) {
		aml_byte(b, AML_MULTI_NAME_PREFIX);
		aml_byte(b, (uint8_t)nsegs);
	}
	while (*p) {
		uint8_t seg[AML_NAME_SEG_LEN];
		p += name_seg(p, seg);
		aml_raw(b, seg, sizeof(seg));
		if (*p == '.')
			p++;
	}
}

/* Encoding of an integer constant into out; returns its size. */
static unsigned int encode_integer(uint64_t v, uint8_t out[AML_INTEGER_MAX_BYTES])
{
	unsigned int width;

	if (v == 0 || v == 1) {
		out[0] = v ? AML_ONE_OP : AML_ZERO_OP;
		return 1;
	}
	if (v <= UINT8_MAX) {
		out[0] = AML_BYTE_PREFIX;
		width = 1;
	} else if (v <= UINT16_MAX) {
		out[0] = AML_WORD_PREFIX;
		width = 2;
	} else if (v <= UINT32_MAX) {
		out[0] = AML_DWORD_PREFIX;
		width = 4;
	} else {
		out[0] = AML_QWORD_PREFIX;
		width = 8;
	}
	for (unsigned int i = 0; i < width; i++)
		out[1 + i] = (uint8_t)(v >> (8 * i));
	return 1 + width;
}

void aml_integer(struct aml_buf *b, uint64_t v)
{
	uint8_t enc[AML_INTEGER_MAX_BYTES];
	aml_raw(b, enc, encode_integer(v, enc));
}

void aml_string(struct aml_buf *b, const char *s)
{
	if (!s) {
		fail(b);
		return;
	}
	for (const char *c = s; *c; c++) {
		if ((unsigned char)*c > 0x7F) { /* AsciiChar is 0x01-0x7F */
			fail(b);
			return;
		}
	}
	aml_byte(b, AML_STRING_PREFIX);
	aml_raw(b, s, bh_strlen(s) + 1);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool aml_eisaid_value(const char *id, uint32_t *out)
{
	uint32_t v = 0;

	if (!id || bh_strnlen(id, 8) != 7)
		return false;
	/* Manufacturer: three letters, each 'A'..'Z' as 1..26 in 5 bits. */
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return false;
		v |= (uint32_t)(id[i] - 'A' + 1) << (26 - 5 * i);
	}
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(id[3 + i]);
		if (d < 0)
			return false;
		v |= (uint32_t)d << (12 - 4 * i);
	}
	/* The compressed id is stored big-endian in the little-endian dword. */
	*out = __builtin_bswap32(v);
	return true;
}

void aml_eisaid(struct aml_buf *b, const char *id)
{
	uint32_t v;

	if (!aml_eisaid_value(id, &v)) {
		fail(b);
		return;
	}
	aml_byte(b, AML_DWORD_PREFIX);
	aml_le(b, v, 4);
}

void aml_name(struct aml_buf *b, const char *name)
{
	aml_byte(b, AML_NAME_OP);
	aml_name_string(b, name);
}

void aml_name_integer(struct aml_buf *b, const char *name, uint64_t v)
{
	aml_name(b, name);
	aml_integer(b, v);
}

void aml_name_str(struct aml_buf *b, const char *name, const char *s)
{
	aml_name(b, name);
	aml_string(b, s);
}

void aml_name_eisaid(struct aml_buf *b, const char *name, const char *id)
{
	aml_name(b, name);
	aml_eisaid(b, id);
}

/* Marks are positions just after the opcode: the PkgLength goes there. */
size_t aml_scope_begin(struct aml_buf *b, const char *path)
{
	aml_byte(b, AML_SCOPE_OP);
	size_t mark = b->len;
	aml_name_string(b, path);
	return mark;
}

size_t aml_device_begin(struct aml_buf *b, const char *path)
{
	aml_byte(b, AML_EXT_OP_PREFIX);
	aml_byte(b, AML_EXT_DEVICE_OP);
	size_t mark = b->len;
	aml_name_string(b, path);
	return mark;
}

size_t aml_method_begin(struct aml_buf *b, const char *path, unsigned int nargs, bool serialized)
{
	aml_byte(b, AML_METHOD_OP);
	size_t mark = b->len;
	aml_name_string(b, path);
	if (nargs > AML_METHOD_MAX_ARGS)
		fail(b);
	aml_byte(b, (uint8_t)((nargs & AML_METHOD_MAX_ARGS) |
			      (serialized ? AML_METHOD_SERIALIZED : 0)));
	return mark;
}

void aml_block_end(struct aml_buf *b, size_t mark)
{
	insert_pkglength(b, mark);
}

void aml_return(struct aml_buf *b)
{
	aml_byte(b, AML_RETURN_OP);
}

size_t aml_package_begin(struct aml_buf *b, unsigned int nelems)
{
	aml_byte(b, AML_PACKAGE_OP);
	size_t mark = b->len;
	if (nelems > AML_PACKAGE_MAX_ELEMENTS)
		fail(b);
	aml_byte(b, (uint8_t)nelems);
	return mark;
}

size_t aml_buffer_begin(struct aml_buf *b)
{
	aml_byte(b, AML_BUFFER_OP);
	return b->len;
}

void aml_buffer_end(struct aml_buf *b, size_t mark)
{
	uint8_t enc[AML_INTEGER_MAX_BYTES];

	if (b->failed)
		return;
	if (mark > b->len) {
		fail(b);
		return;
	}
	insert(b, mark, enc, encode_integer(b->len - mark, enc));
	insert_pkglength(b, mark);
}

void aml_restemplate_end(struct aml_buf *b, size_t mark)
{
	aml_byte(b, AML_RES_END_TAG);
	aml_byte(b, 0); /* checksum 0: "treat as valid" */
	aml_buffer_end(b, mark);
}

void aml_res_address(struct aml_buf *b, unsigned int width, uint8_t type, uint8_t type_flags,
		     uint64_t min, uint64_t max)
{
	uint8_t tag;

	switch (width) {
	case 2:
		tag = AML_RES_WORD_ADDRESS;
		break;
	case 4:
		tag = AML_RES_DWORD_ADDRESS;
		break;
	case 8:
		tag = AML_RES_QWORD_ADDRESS;
		break;
	default:
		fail(b);
		return;
	}
	uint64_t limit = width == 8 ? UINT64_MAX : (1ULL << (8 * width)) - 1;
	/* The length must be representable too: a full 64-bit range is not. */
	if (min > max || max > limit || (min == 0 && max == limit)) {
		fail(b);
		return;
	}
	aml_byte(b, tag);
	aml_le(b, AML_RES_ADDRESS_LEN(width), 2);
	aml_byte(b, type);
	aml_byte(b, AML_RES_GEN_WINDOW); /* producer, positive decode */
	aml_byte(b, type_flags);
	aml_le(b, 0, width);             /* _GRA */
	aml_le(b, min, width);           /* _MIN */
	aml_le(b, max, width);           /* _MAX */
	aml_le(b, 0, width);             /* _TRA */
	aml_le(b, max - min + 1, width); /* _LEN */
}

void aml_res_word_bus_number(struct aml_buf *b, uint16_t min, uint16_t max)
{
	aml_res_address(b, 2, AML_RES_TYPE_BUS, 0, min, max);
}

void aml_res_word_io(struct aml_buf *b, uint16_t min, uint16_t max)
{
	aml_res_address(b, 2, AML_RES_TYPE_IO, AML_RES_IO_ENTIRE_RANGE, min, max);
}

void aml_res_dword_io(struct aml_buf *b, uint32_t min, uint32_t max)
{
	aml_res_address(b, 4, AML_RES_TYPE_IO, AML_RES_IO_ENTIRE_RANGE, min, max);
}

static uint8_t mem_flags(bool cacheable)
{
	return AML_RES_MEM_READ_WRITE |
	       (cacheable ? AML_RES_MEM_CACHEABLE : AML_RES_MEM_NON_CACHEABLE);
}

void aml_res_dword_memory(struct aml_buf *b, uint32_t min, uint32_t max, bool cacheable)
{
	aml_res_address(b, 4, AML_RES_TYPE_MEMORY, mem_flags(cacheable), min, max);
}

void aml_res_qword_memory(struct aml_buf *b, uint64_t min, uint64_t max, bool cacheable)
{
	aml_res_address(b, 8, AML_RES_TYPE_MEMORY, mem_flags(cacheable), min, max);
}

void aml_res_io(struct aml_buf *b, uint16_t min, uint16_t max, uint8_t align, uint8_t len)
{
	if (min > max) {
		fail(b);
		return;
	}
	aml_byte(b, AML_RES_IO_PORT);
	aml_byte(b, AML_RES_IO_DECODE16);
	aml_le(b, min, 2);
	aml_le(b, max, 2);
	aml_byte(b, align);
	aml_byte(b, len);
}
