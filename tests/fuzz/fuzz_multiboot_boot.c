/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes core/loader/multiboot_boot.c: hostile bytes as a Multiboot 1
 * kernel, searched for its header and loaded into a small fake guest RAM
 * with fuzzer-chosen modules and command line. Input layout:
 *   byte 0      mode: even = the rest is the image; odd = (offset, value)
 *               pairs patched over a valid ELF32 or a.out-kludge template
 *   bytes 1..4  RAM size, module count and sizes, command line length
 * Checks: no out-of-bounds access (ASan); an accepted kernel lies inside
 * RAM clear of the loader's area and of [0x9fc00, 1 MiB), its entry inside
 * it; modules are page aligned, inside RAM, after the kernel and apart; the
 * information structure points only into the loader's area and to the
 * modules; a refusal comes with a one-line reason. */
#include <stdlib.h>
#include <string.h>

#include "core/gmem.h"
#include "core/loader/multiboot_boot.h"

#define RAM_MAX (4u << 20)
#define TEMPLATE_SIZE 0x1400
#define PARAM_BYTES 4
#define MAGIC 0x1badb002u

static uint8_t *ram;

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void header(uint8_t *t, uint32_t flags)
{
	put32(t + 0x1000, MAGIC);
	put32(t + 0x1004, flags);
	put32(t + 0x1008, -(MAGIC + flags));
}

/* kludge: the a.out form (load 0x100000 from file offset 0, header at
 * 0x1000); otherwise an ELF32 with one PT_LOAD from file offset 0x1000. */
static void template(uint8_t *t, bool kludge)
{
	memset(t, 0, TEMPLATE_SIZE);
	for (unsigned int i = 0x1000; i < TEMPLATE_SIZE; i++)
		t[i] = (uint8_t)i;
	if (kludge) {
		header(t, MB1_HF_AOUT_KLUDGE | MB1_HF_PAGE_ALIGN);
		put32(t + 0x100c, 0x101000);
		put32(t + 0x1010, 0x100000);
		put32(t + 0x1014, 0x101400);
		put32(t + 0x1018, 0x102000);
		put32(t + 0x101c, 0x101020);
		return;
	}
	t[0] = 0x7f;
	t[1] = 'E';
	t[2] = 'L';
	t[3] = 'F';
	t[4] = 1;
	t[5] = 1;
	t[6] = 1;
	put16(t + 16, 2);
	put16(t + 18, 3);
	put32(t + 20, 1);
	put32(t + 24, 0x100020);
	put32(t + 28, 52);
	put16(t + 40, 52);
	put16(t + 42, 32);
	put16(t + 44, 1);
	put32(t + 52, 1);
	put32(t + 56, 0x1000);
	put32(t + 60, 0x100000);
	put32(t + 64, 0x100000);
	put32(t + 68, 0x400);
	put32(t + 72, 0x2000);
	header(t, MB1_HF_MEMORY_INFO);
}

static bool overlap(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
	return al && bl && a < b + bl && b < a + al;
}

static bool in_area(uint32_t gpa, uint32_t len)
{
	return gpa >= MB1_AREA_START && gpa <= MB1_AREA_END && len <= MB1_AREA_END - gpa;
}

static void check_accepted(const struct mb1_load_params *p, const struct mb1_layout *l)
{
	uint64_t klen = l->kernel_hi - l->kernel_lo;
	if (l->kernel_hi <= l->kernel_lo || l->kernel_hi > p->ram_size)
		abort();
	if (overlap(l->kernel_lo, klen, MB1_AREA_START, MB1_AREA_END - MB1_AREA_START) ||
	    overlap(l->kernel_lo, klen, MB1_LOW_RAM_END, MB1_HIGH_RAM - MB1_LOW_RAM_END))
		abort();
	if (l->entry < l->kernel_lo || l->entry >= l->kernel_hi)
		abort();
	for (unsigned int i = 0; i < l->nr_modules; i++) {
		uint64_t s = l->module_start[i], n = l->module_size[i];
		if (s % 4096 || s < MB1_HIGH_RAM || s + n > p->ram_size || s < l->kernel_hi)
			abort();
		if (i && s < l->module_start[i - 1] + l->module_size[i - 1])
			abort();
		if (memcmp(ram + s, p->modules[i].data, n))
			abort();
	}
	const uint8_t *mbi = ram + l->info;
	if (!in_area((uint32_t)l->info, MB1_INFO_SIZE))
		abort();
	if (!in_area(get32(mbi + MB1_INFO_CMDLINE_ADDR), 1) ||
	    !in_area(get32(mbi + MB1_INFO_MMAP_ADDR), get32(mbi + MB1_INFO_MMAP_LENGTH)) ||
	    !in_area(get32(mbi + MB1_INFO_MODS_ADDR), l->nr_modules * MB1_MODULE_ENTRY_SIZE) ||
	    get32(mbi + MB1_INFO_MODS_COUNT) != l->nr_modules)
		abort();
	for (unsigned int i = 0; i < l->nr_modules; i++) {
		const uint8_t *e = ram + get32(mbi + MB1_INFO_MODS_ADDR) + i * MB1_MODULE_ENTRY_SIZE;
		if (get32(e) != l->module_start[i] ||
		    get32(e + 4) - get32(e) != l->module_size[i] || !in_area(get32(e + 8), 1))
			abort();
	}
}

static void run(const uint8_t *image, size_t size, const uint8_t *param)
{
	static uint8_t modbuf[0x40000];
	static char cmdline[MB1_CMDLINE_AREA + 8];
	static const char *strings[] = { NULL, "", "module args", "x" };
	struct mb1_module mods[MB1_MAX_MODULES + 1];
	struct gmem mem = { 0 };
	struct mb1_layout l;
	struct mb1_load_params p = { 0 };
	char why[MB1_WHY_MAX] = "";

	p.ram_size = (uint64_t)(1 + param[0] % 4) << 20; /* 1..4 MiB */
	if (!gmem_add_region(&mem, 0, p.ram_size, ram))
		abort();
	p.mem = &mem;
	p.nr_modules = param[1] % (MB1_MAX_MODULES + 2);
	for (unsigned int i = 0; i < p.nr_modules; i++)
		mods[i] = (struct mb1_module){ modbuf + i * 0x100,
					       ((uint64_t)param[2] * (i + 1) * 0x100) % 0x30000,
					       strings[(param[2] + i) % 4] };
	p.modules = mods;
	size_t clen = (size_t)param[3] * 5 % sizeof(cmdline);
	memset(cmdline, 'c', clen);
	cmdline[clen] = '\0';
	p.cmdline = param[3] ? cmdline : NULL;

	if (mb1_load(image, size, &p, &l, why, sizeof(why)))
		check_accepted(&p, &l);
	else if (!why[0] || strchr(why, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t img[0x4000];
	if (!ram) {
		ram = malloc(RAM_MAX);
	}
	if (size < 1 + PARAM_BYTES)
		return 0;
	const uint8_t *param = data + 1;
	const uint8_t *rest = data + 1 + PARAM_BYTES;
	size_t n = size - 1 - PARAM_BYTES;
	if (!(data[0] & 1)) {
		run(rest, n, param);
		return 0;
	}
	template(img, data[0] & 2);
	for (size_t i = 0; i + 2 < n; i += 3) {
		size_t off = ((size_t)rest[i] | (size_t)rest[i + 1] << 8) % TEMPLATE_SIZE;
		img[off] = rest[i + 2];
	}
	run(img, TEMPLATE_SIZE, param);
	return 0;
}
