/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes the UEFI loader's input handling (arch/x86/efi/loader_*.c): the
 * first byte picks the target, the rest is the hostile input.
 *   0: /bulkhead.cfg text           1: an ELF file (checked, placed, searched)
 *   2: a UEFI memory map (stride from the next byte) and an RSDP */
#include <stdlib.h>
#include <string.h>

#include "arch/x86/efi/loader_bootinfo.c"
#include "arch/x86/efi/loader_config.c"
#include "arch/x86/efi/loader_elf.c"

#define PLACE_LIMIT (4u << 20) /* only place images this small */

static void fuzz_config(const uint8_t *data, size_t size)
{
	static struct ldr_config cfg;
	uint32_t line;

	if (ldr_config_parse((const char *)data, size, &cfg, &line) == LDR_CFG_OK) {
		if (strnlen(cfg.hv_path, sizeof(cfg.hv_path)) == sizeof(cfg.hv_path) ||
		    cfg.nr_modules > BOOT_MAX_MODULES)
			abort();
	}
}

static void fuzz_elf(const uint8_t *data, size_t size)
{
	struct ldr_image_span span;
	struct ldr_handoff h;
	uint8_t *mem;

	if (ldr_elf_check(data, size, &span) != LDR_ELF_OK)
		return;
	if (span.lo > span.hi || span.hi > LDR_IMAGE_LIMIT || span.hi - span.lo > PLACE_LIMIT)
		return;
	mem = malloc(span.hi - span.lo);
	ldr_elf_place(data, &span, mem);
	if (ldr_find_handoff(mem, &span, &h) == LDR_ELF_OK &&
	    (h.entry < h.image_start || h.entry >= h.image_end))
		abort();
	free(mem);
}

static void fuzz_memmap(const uint8_t *data, size_t size)
{
	static struct boot_info bi;

	if (size < 1)
		return;
	ldr_bootinfo_init(&bi, "fuzz");
	ldr_bootinfo_set_memmap(&bi, data + 1, size - 1, data[0]);
	if (bi.nr_mem > BOOT_MAX_MEM_RANGES)
		abort();
	if (size - 1 >= ACPI_RSDP_MAX_LEN)
		ldr_bootinfo_set_rsdp(&bi, data + 1, 0x1000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_config(data + 1, size - 1);
		break;
	case 1:
		fuzz_elf(data + 1, size - 1);
		break;
	default:
		fuzz_memmap(data + 1, size - 1);
		break;
	}
	return 0;
}
