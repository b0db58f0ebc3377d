/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes arch/x86/boot/multiboot.c with hostile loader information. Every
 * input is parsed three ways, with "physical memory" being exactly the input
 * bytes at physical address 0 (the reader refuses anything past them):
 *   1. as a Multiboot2 information block, as is;
 *   2. as a Multiboot2 block whose total_size is patched to the input length
 *      (so the fuzzer spends its time on tags), placed at a host address that
 *      is not 4-byte aligned;
 *   3. as a Multiboot1 information block, its pointers into the same bytes.
 * Checks: no out-of-bounds access (ASan), no undefined behaviour (UBSan),
 * and struct boot_info keeps its invariants whatever the input. */
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot/multiboot.h"
#include "tests/unit/support/host_log.h"

struct phys {
	const uint8_t *bytes;
	size_t size;
};

static const void *reader(void *ctx, uint64_t pa, uint64_t len)
{
	const struct phys *p = ctx;
	if (!range_within(pa, len, 0, p->size))
		return NULL;
	return p->bytes + pa;
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check(const struct boot_info *bi, bool ok, uint32_t source)
{
	if (bi->magic != BOOT_INFO_MAGIC || bi->version != BOOT_INFO_VERSION || bi->source != source)
		abort();
	if (ok && bi->nr_mem == 0)
		abort();
	if (bi->nr_mem > BOOT_MAX_MEM_RANGES || bi->nr_modules > BOOT_MAX_MODULES)
		abort();
	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_range *r = &bi->mem[i];
		if (r->len == 0 || r->base + r->len < r->base)
			abort();
		if (r->type < BOOT_MEM_USABLE || r->type > BOOT_MEM_BAD)
			abort();
	}
	for (uint32_t i = 0; i < bi->nr_modules; i++) {
		if (bi->modules[i].end <= bi->modules[i].start)
			abort();
		if (!terminated(bi->modules[i].cmdline, sizeof(bi->modules[i].cmdline)))
			abort();
	}
	if (!terminated(bi->cmdline, sizeof(bi->cmdline)) ||
	    !terminated(bi->loader_name, sizeof(bi->loader_name)))
		abort();
	if (bi->rsdp_len > sizeof(bi->rsdp_copy) || (bi->rsdp_len && !bi->acpi_rsdp))
		abort();
	if (bi->acpi_rsdp && bi->rsdp_len < 20)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_info bi;
	struct phys p;

	/* 1: as is, in a buffer of exactly the input's size. */
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	p = (struct phys){ buf, size };
	host_log_reset();
	bool ok = multiboot2_parse(&bi, 0, reader, &p);
	check(&bi, ok, BOOT_SRC_MULTIBOOT2);

	/* 3: Multiboot1 over the same bytes. */
	host_log_reset();
	ok = multiboot1_parse(&bi, 0, reader, &p);
	check(&bi, ok, BOOT_SRC_MULTIBOOT1);
	free(buf);

	/* 2: total_size = input size, at an odd host address. */
	if (size >= 8 && size <= MB2_INFO_MAX_SIZE) {
		uint8_t *raw = malloc(size + 3);
		uint8_t *odd = raw + 3;
		memcpy(odd, data, size);
		uint32_t total = (uint32_t)size;
		memcpy(odd, &total, 4);
		p = (struct phys){ odd, size };
		host_log_reset();
		ok = multiboot2_parse(&bi, 0, reader, &p);
		check(&bi, ok, BOOT_SRC_MULTIBOOT2);
		free(raw);
	}
	return 0;
}
