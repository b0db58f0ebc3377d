/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes core/loader/linux_boot.c: hostile bytes as a bzImage, probed and
 * loaded into a small fake guest RAM with a fuzzer-chosen initrd, command
 * line and ACPI region. Input layout:
 *   byte 0      mode: even = the rest is the image; odd = (offset, value)
 *               pairs patched over a valid template's setup header
 *   bytes 1..6  RAM size, initrd size, command line length, ACPI placement
 * Checks: no out-of-bounds access (ASan); an accepted image's layout keeps
 * every rule of boot.rst (kernel and initrd inside RAM, initrd page aligned
 * below initrd_addr_max and clear of the kernel, command line within
 * cmdline_size, a sorted e820 inside RAM); a refusal gives a reason and
 * leaves guest RAM untouched. */
#include <stdlib.h>
#include <string.h>

#include "core/gmem.h"
#include "core/loader/linux_boot.h"

#define RAM_MAX (4u << 20)
#define RAM_FILL 0x5a
#define TEMPLATE_SIZE 0x1000 /* 4 setup sectors + boot sector + 0x600 of kernel */
#define PARAM_BYTES 6
#define HEADER_BASE 0x1f0

static uint8_t *ram, *pristine;
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
static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}
static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* A relocatable protocol 2.15 image that fits 4 MiB: pref_address 2 MiB,
 * init_size 1 MiB (boot.rst field offsets). */
static void template(uint8_t *t)
{
	memset(t, 0, TEMPLATE_SIZE);
	t[0x1f1] = 4;
	put32(t + 0x1f4, 0x600 / 16);
	put16(t + 0x1fe, 0xaa55);
	t[0x200] = 0xeb;
	t[0x201] = 0x6a;
	memcpy(t + 0x202, "HdrS", 4);
	put16(t + 0x206, 0x020f);
	t[0x211] = 1;
	put32(t + 0x22c, 0x3fffff);
	put32(t + 0x230, 0x200000);
	t[0x234] = 1;
	put32(t + 0x238, 255);
	put64(t + 0x258, 0x200000);
	put32(t + 0x260, 0x100000);
	for (unsigned int i = 0xa00; i < TEMPLATE_SIZE; i++)
		t[i] = (uint8_t)i;
}

static bool overlap(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
	return al && bl && a < b + bl && b < a + al;
}

static void check_accepted(const struct linux_image *li, const struct linux_load_params *p,
			   const struct linux_layout *l)
{
	if (l->kernel < 0x100000 || l->reserved_end > p->ram_size ||
	    l->kernel < l->reserved_start || l->kernel + l->kernel_size > l->reserved_end)
		abort();
	if (memcmp(ram + l->kernel, li->data + li->pm_offset, li->pm_size))
		abort();
	if (p->initrd) {
		uint64_t top = li->initrd_addr_max + 1ULL;
		if (l->initrd % 4096 || l->initrd < 0x100000 ||
		    l->initrd + l->initrd_size > p->ram_size || l->initrd + l->initrd_size > top ||
		    l->initrd_size != p->initrd_size)
			abort();
		if (overlap(l->initrd, l->initrd_size, l->reserved_start,
			    l->reserved_end - l->reserved_start))
			abort();
		if (p->acpi_size && overlap(l->initrd, l->initrd_size, p->acpi_base, p->acpi_size))
			abort();
		if (memcmp(ram + l->initrd, p->initrd, p->initrd_size))
			abort();
	}
	if (p->acpi_size && overlap(l->reserved_start, l->reserved_end - l->reserved_start,
				    p->acpi_base, p->acpi_size))
		abort();
	const uint8_t *bp = ram + l->boot_params;
	if (bp[0x210] != 0xff || get16(bp + 0x1fe) != 0xaa55 || get32(bp + 0x214) != l->kernel)
		abort();
	if (strnlen((char *)ram + l->cmdline, li->cmdline_size + 1) > li->cmdline_size)
		abort();
	uint64_t end = 0;
	if (!l->e820_entries || l->e820_entries > LINUX_E820_MAX || bp[0x1e8] != l->e820_entries)
		abort();
	for (unsigned int i = 0; i < l->e820_entries; i++) {
		if (l->e820[i].addr < end || !l->e820[i].size)
			abort();
		end = l->e820[i].addr + l->e820[i].size;
	}
	if (end != p->ram_size)
		abort();
}

static void run(const uint8_t *image, size_t size, const uint8_t *param)
{
	static uint8_t initrd[0x30000];
	static char cmdline[600];
	struct gmem mem = { 0 };
	struct linux_image li;
	struct linux_layout l;
	struct linux_load_params p = { 0 };
	char why[LINUX_WHY_MAX] = "";

	if (ram_dirty) {
		memcpy(ram, pristine, RAM_MAX);
		ram_dirty = false;
	}
	p.ram_size = (uint64_t)(1 + param[0] % 4) << 20; /* 1..4 MiB */
	if (!gmem_add_region(&mem, 0, p.ram_size, ram))
		abort();
	p.mem = &mem;
	if (param[1]) {
		p.initrd = initrd;
		p.initrd_size = (uint64_t)param[1] * 0x300 % sizeof(initrd);
	}
	size_t clen = (size_t)param[2] * 2 % sizeof(cmdline);
	memset(cmdline, 'c', clen);
	cmdline[clen] = '\0';
	p.cmdline = param[2] ? cmdline : NULL;
	switch (param[3] & 3) {
	case 1:
		p.acpi_base = 0xe0000 + (param[4] << 8);
		p.acpi_size = 0x800;
		break;
	case 2:
		p.acpi_base = (uint64_t)param[4] << 14;
		p.acpi_size = 0x1000 + param[5];
		break;
	default:
		break;
	}
	if (param[3] & 4)
		p.rsdp = param[3] & 8 ? 0xf0000 : (uint64_t)param[5] << 14;

	if (!linux_probe(image, size, &li, why, sizeof(why))) {
		if (!why[0] || linux_probe(image, size, &li, NULL, 0))
			abort();
		return;
	}
	if (li.pm_offset + li.pm_size != size || li.version < LINUX_MIN_PROTOCOL ||
	    !li.kernel_alignment || (li.kernel_alignment & (li.kernel_alignment - 1)) ||
	    li.init_size < li.pm_size || !linux_is_bzimage(image, size))
		abort();
	if (linux_load(&li, &p, &l, why, sizeof(why))) {
		ram_dirty = true;
		check_accepted(&li, &p, &l);
	} else if (!why[0] || memcmp(ram, pristine, RAM_MAX)) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ram) {
		ram = malloc(RAM_MAX);
		pristine = malloc(RAM_MAX);
		memset(pristine, RAM_FILL, RAM_MAX);
	}
	if (size < 1 + PARAM_BYTES)
		return 0;
	uint8_t mode = data[0];
	const uint8_t *param = data + 1;
	data += 1 + PARAM_BYTES;
	size -= 1 + PARAM_BYTES;
	if (!(mode & 1)) {
		/* Copy so ASan sees the exact extent of the image. */
		uint8_t *img = malloc(size ? size : 1);
		memcpy(img, data, size);
		run(img, size, param);
		free(img);
		return 0;
	}
	uint8_t *img = malloc(TEMPLATE_SIZE);
	template(img);
	for (size_t i = 0; i + 1 < size; i += 2)
		img[HEADER_BASE + data[i] % 0x80] = data[i + 1]; /* 0x1f0..0x26f: the header */
	size_t len = mode & 2 ? (size_t)(mode >> 2) * 0x40 % (TEMPLATE_SIZE + 1) : TEMPLATE_SIZE;
	uint8_t *exact = malloc(len ? len : 1);
	memcpy(exact, img, len);
	run(exact, len, param);
	free(exact);
	free(img);
	return 0;
}
