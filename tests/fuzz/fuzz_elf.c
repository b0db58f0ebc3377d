/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes core/loader/elf.c: hostile bytes as a guest image loaded into 1 MiB
 * of guest RAM. The first byte picks how the rest is used:
 *   even: the image itself;
 *   odd:  patched over a valid ELF64 (bit 1 clear) or ELF32 (bit 1 set)
 *         template, so the fuzzer starts past the header checks.
 * Checks: no out-of-bounds access (ASan), an accepted image stays inside RAM
 * with its entry inside a segment, a refused one gives a reason and leaves
 * guest RAM untouched. */
#include <stdlib.h>
#include <string.h>

#include "core/gmem.h"
#include "core/loader/elf.h"

#define RAM_SIZE (1u << 20)
#define RAM_FILL 0x5a
#define TEMPLATE_SIZE 0x200

static uint8_t *ram;
static bool ram_dirty = true;

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* ELF64 x86-64 executable: one PT_LOAD of 0x100 file bytes at 0x100 to
 * paddr 0x1000, memsz 0x2000, entry 0x1000 (gABI field offsets). */
static void template64(uint8_t *t)
{
	memcpy(t, "\177ELF\2\1\1", 7);
	put16(t + 16, 2);  /* e_type ET_EXEC */
	put16(t + 18, 62); /* e_machine EM_X86_64 */
	put32(t + 20, 1);
	put64(t + 24, 0x1000); /* e_entry */
	put64(t + 32, 64);     /* e_phoff */
	put16(t + 52, 64);     /* e_ehsize */
	put16(t + 54, 56);     /* e_phentsize */
	put16(t + 56, 2);      /* e_phnum */
	uint8_t *ph = t + 64;
	put32(ph, 1);           /* PT_LOAD */
	put64(ph + 8, 0x100);   /* p_offset */
	put64(ph + 24, 0x1000); /* p_paddr */
	put64(ph + 32, 0x100);  /* p_filesz */
	put64(ph + 40, 0x2000); /* p_memsz */
	ph += 56;
	put32(ph, 1);
	put64(ph + 8, 0x180);
	put64(ph + 24, 0xff000);
	put64(ph + 32, 0x80);
	put64(ph + 40, 0x1000);
}

static void template32(uint8_t *t)
{
	memcpy(t, "\177ELF\1\1\1", 7);
	put16(t + 16, 2);
	put16(t + 18, 3); /* EM_386 */
	put32(t + 20, 1);
	put32(t + 24, 0x1000); /* e_entry */
	put32(t + 28, 52);     /* e_phoff */
	put16(t + 40, 52);
	put16(t + 42, 32); /* e_phentsize */
	put16(t + 44, 2);
	uint8_t *ph = t + 52;
	put32(ph, 1);
	put32(ph + 4, 0x100);   /* p_offset */
	put32(ph + 12, 0x1000); /* p_paddr */
	put32(ph + 16, 0x100);  /* p_filesz */
	put32(ph + 20, 0x2000); /* p_memsz */
	ph += 32;
	put32(ph, 1);
	put32(ph + 4, 0x180);
	put32(ph + 12, 0xff000);
	put32(ph + 16, 0x80);
	put32(ph + 20, 0x1000);
}

static uint8_t *pristine; /* what untouched RAM looks like */

static bool ram_untouched(void)
{
	return memcmp(ram, pristine, RAM_SIZE) == 0;
}

static void load(const uint8_t *img, size_t size)
{
	struct gmem mem = { 0 };
	struct elf_info info;
	const char *why = NULL;

	if (ram_dirty) {
		memcpy(ram, pristine, RAM_SIZE);
		ram_dirty = false;
	}
	if (!gmem_add_region(&mem, 0, RAM_SIZE, ram))
		abort();
	if (elf_load(img, size, &mem, &info, &why)) {
		ram_dirty = true;
		if (info.lowest > info.highest || info.highest > RAM_SIZE)
			abort();
		if (info.entry < info.lowest || info.entry >= info.highest)
			abort();
		if (!elf_is_elf(img, size))
			abort();
	} else {
		if (!why || !ram_untouched())
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ram) {
		ram = malloc(RAM_SIZE);
		pristine = malloc(RAM_SIZE);
		memset(pristine, RAM_FILL, RAM_SIZE);
	}
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	if (!(mode & 1)) {
		/* Copy so ASan sees the exact extent of the image. */
		uint8_t *img = malloc(size ? size : 1);
		memcpy(img, data, size);
		load(img, size);
		free(img);
		return 0;
	}
	/* Patch: pairs of (offset byte, value byte) over the template, then
	 * the tail of the input sets the image length (0 .. TEMPLATE_SIZE). */
	uint8_t *img = calloc(1, TEMPLATE_SIZE);
	if (mode & 2)
		template32(img);
	else
		template64(img);
	for (unsigned int i = 0x100; i < TEMPLATE_SIZE; i++)
		img[i] = (uint8_t)i;
	size_t len = TEMPLATE_SIZE;
	if (mode & 4) {
		len = size ? (data[0] | (size_t)(mode >> 3) << 8) % (TEMPLATE_SIZE + 1) : 0;
		if (size) {
			data++;
			size--;
		}
	}
	for (size_t i = 0; i + 1 < size; i += 2)
		img[data[i]] = data[i + 1]; /* headers and program headers lie in 0..0xff */
	uint8_t *exact = malloc(len ? len : 1);
	memcpy(exact, img, len);
	load(exact, len);
	free(exact);
	free(img);
	return 0;
}
