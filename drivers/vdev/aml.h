/* SPDX-License-Identifier: BSD-2-Clause */
/* A tiny emitter of ACPI Machine Language byte code (ACPI 6.4 §20, "ACPI
 * Machine Language Specification") for the tables the platform builds
 * itself: names, integers, strings, packages, buffers, scopes, devices,
 * methods and the resource descriptors of §6.4 a PCI host bridge's _CRS
 * needs.
 *
 * Output goes into a caller buffer. Every call checks the room left; the
 * first failure (no room, invalid name, value out of range) makes the buffer
 * "failed": nothing more is written and aml_ok() says so. Callers emit a
 * whole table and check once at the end.
 *
 * Objects with a PkgLength (scope, device, method, package, buffer) are
 * opened with *_begin(), which returns a mark, and closed with the matching
 * *_end(mark): the length is only known at the end, so the body is shifted
 * to make room for the shortest PkgLength encoding. Marks nest like the
 * objects do. */
#ifndef BULKHEAD_DRIVERS_VDEV_AML_H
#define BULKHEAD_DRIVERS_VDEV_AML_H

#include "core/types.h"

/* Opcodes (ACPI 6.4 §20.3). */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0A
#define AML_WORD_PREFIX 0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_STRING_PREFIX 0x0D
#define AML_QWORD_PREFIX 0x0E
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_METHOD_OP 0x14
#define AML_DUAL_NAME_PREFIX 0x2E
#define AML_MULTI_NAME_PREFIX 0x2F
#define AML_EXT_OP_PREFIX 0x5B
#define AML_EXT_DEVICE_OP 0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR '\\'
#define AML_PARENT_PREFIX_CHAR '^'
#define AML_RETURN_OP 0xA4
#define AML_ONES_OP 0xFF

#define AML_NAME_SEG_LEN 4
#define AML_NULL_NAME 0x00
#define AML_MAX_NAME_SEGS 255 /* MultiNamePrefix SegCount is one byte */

/* PkgLength (§20.2.4): bits 7:6 of the lead byte count the bytes that
 * follow (0-3); a one-byte encoding keeps 6 bits of length, longer ones 4
 * bits in the lead byte and 8 in each following byte. The encoded value
 * counts the PkgLength bytes themselves. */
#define AML_PKGLEN_MAX_BYTES 4
#define AML_PKGLEN_1_MAX 0x3Fu
#define AML_PKGLEN_2_MAX 0xFFFu
#define AML_PKGLEN_3_MAX 0xFFFFFu
#define AML_PKGLEN_4_MAX 0xFFFFFFFu

/* MethodFlags (§20.2.5.2): bits 2:0 ArgCount, bit 3 SerializeFlag. */
#define AML_METHOD_MAX_ARGS 7
#define AML_METHOD_SERIALIZED 0x08

#define AML_PACKAGE_MAX_ELEMENTS 255 /* NumElements is one byte */

/* Resource descriptors (ACPI 6.4 §6.4). */
#define AML_RES_IO_PORT 0x47 /* small item 0x08, length 7 (§6.4.2.5) */
#define AML_RES_IO_PORT_LEN 8
#define AML_RES_IO_DECODE16 0x01
#define AML_RES_END_TAG 0x79       /* small item 0x0F, length 1 (§6.4.2.9) */
#define AML_RES_QWORD_ADDRESS 0x8A /* §6.4.3.5.1 */
#define AML_RES_DWORD_ADDRESS 0x87 /* §6.4.3.5.2 */
#define AML_RES_WORD_ADDRESS 0x88  /* §6.4.3.5.3 */
/* Large item length field: type, general flags, type flags + 5 fields. */
#define AML_RES_ADDRESS_LEN(width) (3 + 5 * (width))

/* Address space descriptor resource types (§6.4.3.5). */
#define AML_RES_TYPE_MEMORY 0
#define AML_RES_TYPE_IO 1
#define AML_RES_TYPE_BUS 2

/* General flags (§6.4.3.5): bit 0 producer(0)/consumer(1) in earlier
 * revisions, bit 1 _DEC subtractive, bit 2 _MIF, bit 3 _MAF. */
#define AML_RES_GEN_CONSUMER 0x01
#define AML_RES_GEN_SUB_DECODE 0x02
#define AML_RES_GEN_MIN_FIXED 0x04
#define AML_RES_GEN_MAX_FIXED 0x08
#define AML_RES_GEN_WINDOW (AML_RES_GEN_MIN_FIXED | AML_RES_GEN_MAX_FIXED)

/* Type-specific flags, memory (§6.4.3.5.5): bit 0 _RW, bits 2:1 _MEM. */
#define AML_RES_MEM_READ_WRITE 0x01
#define AML_RES_MEM_NON_CACHEABLE 0x00
#define AML_RES_MEM_CACHEABLE 0x02
/* Type-specific flags, I/O (§6.4.3.5.5): bits 1:0 _RNG, 3 = entire range. */
#define AML_RES_IO_ENTIRE_RANGE 0x03

struct aml_buf {
	uint8_t *data;
	size_t cap;
	size_t len;
	bool failed; /* sticky */
};

void aml_init(struct aml_buf *b, void *mem, size_t cap);
static inline bool aml_ok(const struct aml_buf *b)
{
	return !b->failed;
}

/* Raw bytes and little-endian fields (resource descriptors, table headers). */
void aml_raw(struct aml_buf *b, const void *p, size_t n);
void aml_byte(struct aml_buf *b, uint8_t v);
void aml_le(struct aml_buf *b, uint64_t v, unsigned int bytes);

/* Shortest PkgLength encoding of `value` (which already includes the
 * encoding's own bytes) into out; returns its size, 0 if value is too big. */
unsigned int aml_pkglength_encode(uint32_t value, uint8_t out[AML_PKGLEN_MAX_BYTES]);

/* NameString (§20.2.2): "\\_SB.PCI0", "^CPU0", "_HID", "" (NullName).
 * Segments of 1-4 characters [A-Z_][A-Z0-9_]* are padded with '_'. */
void aml_name_string(struct aml_buf *b, const char *path);

/* Integer constants (§20.2.3): ZeroOp, OneOp or the shortest prefix. */
void aml_integer(struct aml_buf *b, uint64_t v);
/* String (§20.2.3): ASCII 0x01-0x7F, NUL-terminated. */
void aml_string(struct aml_buf *b, const char *s);

/* EISAID (ACPI 6.4 §19.6, the EISAID macro): "PNP0A03" -> 0x030AD041 (three letters in 5
 * bits each, four hex digits, stored big-endian). false on a malformed id. */
bool aml_eisaid_value(const char *id, uint32_t *out);
/* Emits it as a DWordConst, as ASL compilers do. */
void aml_eisaid(struct aml_buf *b, const char *id);

/* Name(name, <object>): NameOp and the name; the caller emits the object. */
void aml_name(struct aml_buf *b, const char *name);
void aml_name_integer(struct aml_buf *b, const char *name, uint64_t v);
void aml_name_str(struct aml_buf *b, const char *name, const char *s);
void aml_name_eisaid(struct aml_buf *b, const char *name, const char *id);

/* Blocks with a PkgLength. */
size_t aml_scope_begin(struct aml_buf *b, const char *path);
size_t aml_device_begin(struct aml_buf *b, const char *path);
size_t aml_method_begin(struct aml_buf *b, const char *path, unsigned int nargs, bool serialized);
/* Closes a scope, device, method or package. */
void aml_block_end(struct aml_buf *b, size_t mark);
/* Return(<object>): the caller emits the object. */
void aml_return(struct aml_buf *b);

size_t aml_package_begin(struct aml_buf *b, unsigned int nelems);
static inline void aml_package_end(struct aml_buf *b, size_t mark)
{
	aml_block_end(b, mark);
}

/* Buffer(){ bytes }: the BufferSize is inserted at the end. */
size_t aml_buffer_begin(struct aml_buf *b);
void aml_buffer_end(struct aml_buf *b, size_t mark);

/* ResourceTemplate(){ ... }: a buffer closed by an end tag (checksum 0,
 * "treat as valid", §6.4.2.9). */
static inline size_t aml_restemplate_begin(struct aml_buf *b)
{
	return aml_buffer_begin(b);
}
void aml_restemplate_end(struct aml_buf *b, size_t mark);

/* Address space descriptors for a bridge's windows: ResourceProducer,
 * MinFixed, MaxFixed, PosDecode, granularity and translation 0, length
 * max - min + 1. width is 2, 4 or 8 bytes (Word/DWord/QWord). */
void aml_res_address(struct aml_buf *b, unsigned int width, uint8_t type, uint8_t type_flags,
		     uint64_t min, uint64_t max);
void aml_res_word_bus_number(struct aml_buf *b, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml_buf *b, uint16_t min, uint16_t max);
void aml_res_dword_io(struct aml_buf *b, uint32_t min, uint32_t max);
void aml_res_dword_memory(struct aml_buf *b, uint32_t min, uint32_t max, bool cacheable);
void aml_res_qword_memory(struct aml_buf *b, uint64_t min, uint64_t max, bool cacheable);
/* IO(Decode16, min, max, align, len) (§6.4.2.5). */
void aml_res_io(struct aml_buf *b, uint16_t min, uint16_t max, uint8_t align, uint8_t len);

#endif
