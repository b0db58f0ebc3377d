/* SPDX-License-Identifier: BSD-2-Clause */
/* Little-endian stores into a test's boot image and loads from its guest
 * RAM, for the loader tests (test_linux_loader.c, test_multiboot_boot.c).
 * The including test defines `img` (the image being built) and `ram` (the
 * guest RAM the loader wrote) before including this header. */
#ifndef BULKHEAD_TESTS_UNIT_SUPPORT_IMAGE_BYTES_H
#define BULKHEAD_TESTS_UNIT_SUPPORT_IMAGE_BYTES_H

#include <stdint.h>
#include <string.h>

static inline void put8(uint64_t off, uint8_t v)
{
	img[off] = v;
}
static inline void put16(uint64_t off, uint16_t v)
{
	memcpy(img + off, &v, 2);
}
static inline void put32(uint64_t off, uint32_t v)
{
	memcpy(img + off, &v, 4);
}
static inline void put64(uint64_t off, uint64_t v)
{
	memcpy(img + off, &v, 8);
}

static inline uint8_t ram8(uint64_t gpa)
{
	return ram[gpa];
}
static inline uint16_t ram16(uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, ram + gpa, 2);
	return v;
}
static inline uint32_t ram32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, ram + gpa, 4);
	return v;
}
static inline uint64_t ram64(uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, ram + gpa, 8);
	return v;
}

#endif
