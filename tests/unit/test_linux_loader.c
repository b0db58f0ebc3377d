/* SPDX-License-Identifier: BSD-2-Clause */
/* core/loader/linux_boot.c with bzImages built here field by field from
 * Documentation/arch/x86/boot.rst; boot_params is checked byte by byte at the
 * offsets of zero-page.rst, not through the loader's own struct. Guest RAM is
 * 32 MiB at GPA 0 filled with a pattern, so a refusal can be seen to write
 * nothing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gmem.h"
#include "core/loader/linux_boot.h"

#define RAM_SIZE MiB(32)
#define RAM_FILL 0xcc
#define IMG_SETUP_SECTS 4
#define IMG_PM_SIZE 0x3000 /* protected-mode kernel bytes in the default image */
#define IMG_MAX (64 * 1024 + 0x4000)
#define INIT_SIZE MiB(4)
#define BP LINUX_BOOT_PARAMS_GPA

static uint8_t *ram;
static struct gmem mem;
static uint8_t img[IMG_MAX];
static uint64_t img_size;
static char why[LINUX_WHY_MAX];
static struct linux_image li;
static struct linux_layout lay;
static struct linux_load_params lp;

#include "tests/unit/support/image_bytes.h" /* needs img and ram */

/* A protocol 2.15 relocatable bzImage like Debian's, scaled down: setup
 * sectors, header fields at their boot.rst offsets, then a patterned
 * protected-mode kernel of pm_size bytes. */
static void build(unsigned int setup_sects_field, unsigned int real_sects, uint64_t pm_size)
{
	memset(img, 0, sizeof(img));
	uint64_t pm_off = (uint64_t)(real_sects + 1) * 512;
	put8(0x1f1, (uint8_t)setup_sects_field);
	put32(0x1f4, (uint32_t)(pm_size / 16)); /* syssize */
	put16(0x1fa, 0xfffd);                   /* vid_mode as the image has it */
	put16(0x1fe, 0xaa55);
	put8(0x200, 0xeb);
	put8(0x201, 0x6a); /* header ends at 0x26c */
	memcpy(img + 0x202, "HdrS", 4);
	put16(0x206, 0x020f);
	put16(0x20e, 0x1234);              /* kernel_version pointer */
	put8(0x211, 0x01);                 /* LOADED_HIGH */
	put32(0x214, 0x100000);            /* code32_start */
	put32(0x22c, 0x7fffffff);          /* initrd_addr_max */
	put32(0x230, 0x200000);            /* kernel_alignment */
	put8(0x234, 1);                    /* relocatable_kernel */
	put8(0x235, 21);                   /* min_alignment */
	put16(0x236, 0x7f);                /* xloadflags */
	put32(0x238, 2047);                /* cmdline_size */
	put64(0x258, MiB(16));             /* pref_address */
	put32(0x260, (uint32_t)INIT_SIZE); /* init_size */
	put32(0x264, 0x190);               /* handover_offset */
	put32(0x268, 0x77777);             /* kernel_info_offset */
	for (uint64_t i = 0; i < pm_size; i++)
		img[pm_off + i] = (uint8_t)(i * 13 + 5);
	img_size = pm_off + pm_size;
}

static void setup(void)
{
	ram = malloc(RAM_SIZE);
	memset(ram, RAM_FILL, RAM_SIZE);
	memset(&mem, 0, sizeof(mem));
	cr_assert(gmem_add_region(&mem, 0, RAM_SIZE, ram));
	build(IMG_SETUP_SECTS, IMG_SETUP_SECTS, IMG_PM_SIZE);
	memset(&lp, 0, sizeof(lp));
	lp.mem = &mem;
	lp.ram_size = RAM_SIZE;
	lp.cmdline = "console=ttyS0 quiet";
	memset(why, 0, sizeof(why));
}

static void teardown(void)
{
	free(ram);
}

TestSuite(linux_loader, .init = setup, .fini = teardown);

static bool probe(void)
{
	memset(why, 0, sizeof(why));
	return linux_probe(img, img_size, &li, why, sizeof(why));
}

static bool load(void)
{
	memset(why, 0, sizeof(why));
	return linux_load(&li, &lp, &lay, why, sizeof(why));
}

static void assert_probe_refused(const char *needle)
{
	cr_assert_not(probe(), "probe accepted the image");
	cr_assert(strstr(why, needle), "reason '%s' lacks '%s'", why, needle);
}

static bool ram_untouched(void)
{
	for (uint64_t i = 0; i < RAM_SIZE; i++)
		if (ram[i] != RAM_FILL)
			return false;
	return true;
}

static void assert_load_refused(const char *needle)
{
	cr_assert(probe(), "probe: %s", why);
	cr_assert_not(load(), "load accepted");
	cr_assert(strstr(why, needle), "reason '%s' lacks '%s'", why, needle);
	cr_assert(ram_untouched(), "a refused load wrote guest RAM");
}

/* ---- probe ---------------------------------------------------------------- */

Test(linux_loader, probe_reads_the_header)
{
	cr_assert(probe(), "%s", why);
	cr_assert_eq(li.version, 0x020f);
	cr_assert_eq(li.setup_sects, 4);
	cr_assert_eq(li.pm_offset, 5 * 512);
	cr_assert_eq(li.pm_size, IMG_PM_SIZE);
	cr_assert_eq(li.hdr_end, 0x26c);
	cr_assert(li.relocatable);
	cr_assert_eq(li.kernel_alignment, 0x200000);
	cr_assert_eq(li.min_alignment, 21);
	cr_assert_eq(li.pref_address, MiB(16));
	cr_assert_eq(li.init_size, INIT_SIZE);
	cr_assert_eq(li.initrd_addr_max, 0x7fffffff);
	cr_assert_eq(li.cmdline_size, 2047);
	cr_assert_eq(li.xloadflags, 0x7f);
	cr_assert(linux_is_bzimage(img, img_size));
}

Test(linux_loader, detection_needs_flag_and_signature)
{
	cr_assert_not(linux_is_bzimage(img, 0x28f), "shorter than the header");
	cr_assert_not(linux_is_bzimage(NULL, 0));
	put16(0x1fe, 0);
	cr_assert_not(linux_is_bzimage(img, img_size));
	put16(0x1fe, 0xaa55);
	img[0x202] = 'h';
	cr_assert_not(linux_is_bzimage(img, img_size));
	/* An ELF image is not taken for one. */
	memset(img, 0, sizeof(img));
	memcpy(img,
	       "\x7f"
	       "ELF",
	       4);
	cr_assert_not(linux_is_bzimage(img, img_size));
}

Test(linux_loader, size_bounds)
{
	img_size = 0x28f;
	assert_probe_refused("too small");
	/* The size is judged before anything is read. */
	img_size = LINUX_IMAGE_MAX + 1;
	assert_probe_refused("too large");
	cr_assert_not(linux_probe(NULL, 4096, &li, why, sizeof(why)));
}

Test(linux_loader, bad_boot_flag)
{
	put16(0x1fe, 0x55aa);
	assert_probe_refused("no 0xAA55 boot flag");
}

Test(linux_loader, no_hdrs_signature)
{
	memcpy(img + 0x202, "HdrZ", 4);
	assert_probe_refused("not a bzImage: no HdrS signature");
}

Test(linux_loader, protocol_too_old)
{
	put16(0x206, 0x020a);
	assert_probe_refused("boot protocol 2.10 too old (need 2.12)");
	put16(0x206, 0x020b);
	assert_probe_refused("2.11 too old");
	put16(0x206, 0x020c);
	cr_assert(probe(), "2.12 must be accepted: %s", why);
}

Test(linux_loader, setup_header_length_from_the_jump)
{
	put8(0x201, 0x65); /* ends at 0x267: no handover_offset */
	assert_probe_refused("setup header length");
	put8(0x201, 0x8f); /* ends at 0x291: past the boot_params hole */
	assert_probe_refused("setup header length");
	put8(0x201, 0x6a);
	put8(0x200, 0xe9); /* not a short jump */
	assert_probe_refused("setup header length");
}

Test(linux_loader, zimage_refused)
{
	put8(0x211, 0x80); /* LOADED_HIGH clear */
	assert_probe_refused("LOADED_HIGH");
}

Test(linux_loader, setup_sects_zero_means_four)
{
	build(0, 4, IMG_PM_SIZE);
	cr_assert(probe(), "%s", why);
	cr_assert_eq(li.setup_sects, 4);
	cr_assert_eq(li.pm_offset, 2560);
	cr_assert_eq(li.pm_size, IMG_PM_SIZE);
}

Test(linux_loader, huge_setup_sects)
{
	build(64, 4, IMG_PM_SIZE);
	assert_probe_refused("setup_sects 64 exceeds");
	build(255, 4, IMG_PM_SIZE);
	assert_probe_refused("setup_sects 255");
	/* 63 is allowed, but this file ends inside those sectors. */
	build(63, 4, IMG_PM_SIZE);
	assert_probe_refused("truncated");
}

Test(linux_loader, truncated_kernel)
{
	img_size -= 16; /* syssize now claims 16 bytes more than the file holds */
	assert_probe_refused("truncated: protected-mode kernel ends past the module");
	img_size = 5 * 512; /* nothing after the setup code */
	assert_probe_refused("truncated");
	build(IMG_SETUP_SECTS, IMG_SETUP_SECTS, IMG_PM_SIZE);
	put32(0x1f4, 0);
	assert_probe_refused("syssize is 0");
	put32(0x1f4, 0xffffffff); /* 64 GiB: no overflow, just too big */
	assert_probe_refused("truncated");
}

/* memtest86+ 6.10: syssize rounded up to 16 bytes, the file 8 bytes short.
 * GRUB and QEMU boot it; only the bytes present are copied. */
Test(linux_loader, syssize_rounded_up_to_a_paragraph)
{
	img_size -= 8;
	cr_assert(probe(), "refused: %s", why);
	cr_assert_eq(li.pm_size, IMG_PM_SIZE - 8, "what is present, not syssize");
	img_size -= 8; /* now a whole paragraph is missing */
	assert_probe_refused("truncated: protected-mode kernel ends past the module");
}

Test(linux_loader, hostile_alignment)
{
	put32(0x230, 0x300000);
	assert_probe_refused("kernel_alignment 0x300000 is not a power of two");
	put32(0x230, 0);
	assert_probe_refused("kernel_alignment");
	put32(0x230, 0x80000000);
	assert_probe_refused("kernel_alignment");
}

Test(linux_loader, hostile_init_size_and_cmdline_size)
{
	put32(0x260, 0);
	assert_probe_refused("is smaller than the protected-mode kernel");
	put32(0x260, IMG_PM_SIZE - 1);
	assert_probe_refused("init_size");
	put32(0x260, (uint32_t)INIT_SIZE);
	put32(0x238, 0);
	assert_probe_refused("cmdline_size is 0");
}

Test(linux_loader, non_relocatable_pref_address_in_low_memory)
{
	put8(0x234, 0);
	put64(0x258, 0x7000);
	assert_probe_refused("non-relocatable kernel with pref_address 0x7000");
	put64(0x258, 0x100000000ULL);
	assert_probe_refused("non-relocatable");
}

/* ---- load: layout and boot_params ----------------------------------------- */

Test(linux_loader, kernel_at_pref_address)
{
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.kernel, MiB(16));
	cr_assert_eq(lay.kernel_size, IMG_PM_SIZE);
	cr_assert_eq(lay.reserved_start, MiB(16));
	cr_assert_eq(lay.reserved_end, MiB(16) + INIT_SIZE);
	cr_assert(!memcmp(ram + MiB(16), img + 5 * 512, IMG_PM_SIZE), "kernel bytes");
	cr_assert_eq(ram8(MiB(16) + IMG_PM_SIZE), RAM_FILL, "nothing written past the kernel");
	cr_assert_eq(lay.boot_params, 0x7000);
	cr_assert_eq(lay.initrd, 0);
}

Test(linux_loader, zero_page_fields_at_their_offsets)
{
	lp.rsdp = 0xf0000;
	memset(img + 0x26c, 0x99, 0x290 - 0x26c); /* setup code after the header */
	memset(img + 0x1e0, 0x99, 0x11);          /* boot sector bytes before it */
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	/* Copied from the image (boot.rst setup header). */
	cr_assert_eq(ram16(BP + 0x1fe), 0xaa55);
	cr_assert(!memcmp(ram + BP + 0x202, "HdrS", 4));
	cr_assert_eq(ram16(BP + 0x206), 0x020f);
	cr_assert_eq(ram16(BP + 0x20e), 0x1234);
	cr_assert_eq(ram32(BP + 0x230), 0x200000);
	cr_assert_eq(ram32(BP + 0x238), 2047);
	cr_assert_eq(ram64(BP + 0x258), MiB(16));
	cr_assert_eq(ram32(BP + 0x260), INIT_SIZE);
	cr_assert_eq(ram32(BP + 0x268), 0x77777);
	/* Written by the loader. */
	cr_assert_eq(ram8(BP + 0x1f1), 4, "setup_sects");
	cr_assert_eq(ram16(BP + 0x1fa), 0xffff, "vid_mode normal");
	cr_assert_eq(ram8(BP + 0x210), 0xff, "type_of_loader");
	cr_assert_eq(ram8(BP + 0x211), 0x01, "LOADED_HIGH kept, CAN_USE_HEAP clear");
	cr_assert_eq(ram16(BP + 0x224), 0, "heap_end_ptr");
	cr_assert_eq(ram32(BP + 0x214), MiB(16), "code32_start = load address");
	cr_assert_eq(ram32(BP + 0x228), 0x20000, "cmd_line_ptr");
	cr_assert_eq(ram32(BP + 0x0c8), 0, "ext_cmd_line_ptr");
	cr_assert_eq(ram32(BP + 0x218), 0, "ramdisk_image");
	cr_assert_eq(ram32(BP + 0x21c), 0, "ramdisk_size");
	cr_assert_eq(ram64(BP + 0x250), 0, "setup_data");
	cr_assert_eq(ram64(BP + 0x070), 0xf0000, "acpi_rsdp_addr");
	cr_assert_eq(ram32(BP + 0x1e0), (RAM_SIZE - MiB(1)) >> 10, "alt_mem_k");
	cr_assert_eq(ram8(BP + 0x1e8), 4, "e820_entries");
	/* Zeroed: screen_info, the sentinel, the padding after the header. */
	for (unsigned int i = 0; i < 0x40; i++)
		cr_assert_eq(ram8(BP + i), 0, "screen_info byte %u", i);
	cr_assert_eq(ram8(BP + 0x1ef), 0, "sentinel");
	for (unsigned int i = 0x26c; i < 0x290; i++)
		cr_assert_eq(ram8(BP + i), 0, "byte %#x after the header", i);
	cr_assert_eq(ram8(BP + 0xfff), 0, "end of the zero page");
}

Test(linux_loader, header_copy_stops_where_the_jump_says)
{
	put8(0x201, 0x66); /* a 2.12-sized header ends at 0x268 */
	put16(0x206, 0x020c);
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(ram32(BP + 0x264), 0x190, "handover_offset copied");
	cr_assert_eq(ram32(BP + 0x268), 0, "kernel_info_offset is not part of this header");
}

Test(linux_loader, rsdp_only_for_protocol_2_14_and_later)
{
	lp.rsdp = 0xf0000;
	put16(0x206, 0x020d);
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(ram64(BP + 0x070), 0);
}

static void assert_e820(unsigned int i, uint64_t addr, uint64_t size, uint32_t type)
{
	uint64_t e = BP + 0x2d0 + i * 20;
	cr_assert_eq(ram64(e), addr, "e820[%u].addr %#lx", i, ram64(e));
	cr_assert_eq(ram64(e + 8), size, "e820[%u].size %#lx", i, ram64(e + 8));
	cr_assert_eq(ram32(e + 16), type, "e820[%u].type %u", i, ram32(e + 16));
	cr_assert_eq(lay.e820[i].addr, addr);
	cr_assert_eq(lay.e820[i].type, type);
}

Test(linux_loader, e820_matches_the_partition)
{
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.e820_entries, 4);
	assert_e820(0, 0, 0x9fc00, 1);
	assert_e820(1, 0x9fc00, 0x400, 2);
	assert_e820(2, 0xe0000, 0x20000, 2);
	assert_e820(3, 0x100000, RAM_SIZE - 0x100000, 1);
}

Test(linux_loader, e820_acpi_tables_in_high_ram)
{
	lp.acpi_base = RAM_SIZE - 0x10000 + 0x10; /* not page aligned: widened */
	lp.acpi_size = 0x2000;
	lp.rsdp = 0xf0000;
	lp.initrd = img; /* any bytes */
	lp.initrd_size = 0x1800;
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.e820_entries, 6);
	assert_e820(3, 0x100000, RAM_SIZE - 0x10000 - 0x100000, 1);
	assert_e820(4, RAM_SIZE - 0x10000, 0x3000, 3);
	assert_e820(5, RAM_SIZE - 0xd000, 0xd000, 1);
	cr_assert_eq(ram8(BP + 0x1e8), 6);
	/* The initrd goes above the tables, where it still fits. */
	cr_assert_eq(lay.initrd, RAM_SIZE - 0x2000);
}

Test(linux_loader, e820_acpi_tables_in_bios_area)
{
	lp.acpi_base = 0xe0000;
	lp.acpi_size = 0x1000;
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.e820_entries, 4);
	assert_e820(2, 0xe0000, 0x20000, 2);
}

Test(linux_loader, platform_regions_validated)
{
	lp.acpi_base = 0x8000; /* low RAM, next to boot_params */
	lp.acpi_size = 0x1000;
	assert_load_refused("ACPI tables at 0x8000");
	lp.acpi_base = RAM_SIZE - 0x800;
	assert_load_refused("ACPI tables");
	lp.acpi_size = 0;
	lp.rsdp = 0x7000;
	assert_load_refused("RSDP at 0x7000");
	lp.rsdp = RAM_SIZE - 8;
	assert_load_refused("RSDP");
}

Test(linux_loader, kernel_avoids_acpi_tables_at_pref_address)
{
	lp.acpi_base = MiB(17);
	lp.acpi_size = 0x1000;
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.kernel, MiB(2), "fell back to the lowest aligned address");
	cr_assert_eq(lay.reserved_end, MiB(2) + INIT_SIZE);
}

/* ---- command line ------------------------------------------------------------ */

Test(linux_loader, cmdline_placed_and_terminated)
{
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.cmdline, 0x20000);
	cr_assert_eq(lay.cmdline_len, strlen("console=ttyS0 quiet"));
	cr_assert_str_eq((char *)ram + 0x20000, "console=ttyS0 quiet");
	cr_assert_eq(ram8(0x20000 + lay.cmdline_len + 1), RAM_FILL, "only the string and its NUL");
}

Test(linux_loader, empty_cmdline)
{
	lp.cmdline = NULL;
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(ram8(0x20000), 0);
	cr_assert_eq(ram32(BP + 0x228), 0x20000, "cmd_line_ptr is set even for an empty line");
}

Test(linux_loader, cmdline_longer_than_cmdline_size_refused)
{
	static char line[64];
	memset(line, 'a', 40);
	line[40] = '\0';
	lp.cmdline = line;
	put32(0x238, 40);
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "exactly cmdline_size fits: %s", why);
	memset(ram, RAM_FILL, RAM_SIZE);
	put32(0x238, 39);
	assert_load_refused("command line is 40 bytes, the kernel takes at most 39");
}

Test(linux_loader, cmdline_longer_than_loader_area_refused)
{
	static char line[5000];
	memset(line, 'b', sizeof(line) - 1);
	put32(0x238, 0xffffffff);
	lp.cmdline = line;
	assert_load_refused("loader's 4095-byte area");
}

/* ---- initrd ------------------------------------------------------------------ */

static uint8_t initrd[0x2801];

static void with_initrd(void)
{
	for (unsigned int i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	lp.initrd = initrd;
	lp.initrd_size = sizeof(initrd);
}

Test(linux_loader, initrd_highest_page_aligned)
{
	with_initrd();
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.initrd, RAM_SIZE - 0x3000);
	cr_assert_eq(lay.initrd % 4096, 0);
	cr_assert_eq(lay.initrd_size, sizeof(initrd));
	cr_assert(!memcmp(ram + lay.initrd, initrd, sizeof(initrd)));
	cr_assert_eq(ram32(BP + 0x218), RAM_SIZE - 0x3000, "ramdisk_image");
	cr_assert_eq(ram32(BP + 0x21c), sizeof(initrd), "ramdisk_size");
	cr_assert_eq(ram32(BP + 0x0c0), 0, "ext_ramdisk_image");
	cr_assert_eq(ram32(BP + 0x0c4), 0, "ext_ramdisk_size");
}

Test(linux_loader, initrd_below_initrd_addr_max)
{
	with_initrd();
	put32(0x22c, MiB(24) + 0x1234); /* highest byte allowed */
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.initrd, MiB(24) - 0x2000);
	cr_assert_leq(lay.initrd + lay.initrd_size - 1, MiB(24) + 0x1234);
}

Test(linux_loader, initrd_moves_below_the_kernel)
{
	with_initrd();
	put32(0x22c, MiB(20) + 0x1fff); /* the top would overlap init_size */
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.initrd, MiB(16) - 0x3000);
	cr_assert_leq(lay.initrd + lay.initrd_size, lay.reserved_start);
}

Test(linux_loader, initrd_too_large_refused)
{
	static uint8_t big[1];
	lp.initrd = big;
	lp.initrd_size = RAM_SIZE; /* larger than all free RAM; never read */
	assert_load_refused("does not fit");
	lp.initrd_size = MiB(16); /* 15 MiB free below the kernel, 8 above */
	put32(0x22c, MiB(28) - 1);
	assert_load_refused("the initrd (16384 KiB) does not fit below 0x1c00000");
}

Test(linux_loader, initrd_empty_refused)
{
	lp.initrd = initrd;
	lp.initrd_size = 0;
	assert_load_refused("initrd module is empty");
}

Test(linux_loader, initrd_addr_max_below_1m_refused)
{
	with_initrd();
	put32(0x22c, 0xfffff);
	assert_load_refused("does not fit");
}

/* ---- kernel placement ------------------------------------------------------------ */

Test(linux_loader, kernel_bigger_than_ram_refused)
{
	put32(0x260, (uint32_t)MiB(40));
	assert_load_refused("the kernel needs 40 MiB (init_size)");
	put32(0x260, 0xffffffff); /* no wrap-around */
	assert_load_refused("init_size");
}

Test(linux_loader, relocatable_falls_back_when_pref_does_not_fit)
{
	put32(0x260, (uint32_t)MiB(20)); /* 16 + 20 > 32 MiB */
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.kernel, MiB(2));
	cr_assert_eq(ram32(BP + 0x214), MiB(2), "code32_start follows the kernel");
}

Test(linux_loader, relocatable_with_hostile_pref_address)
{
	put64(0x258, 0xfffffffffffff000ULL);
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.kernel, MiB(16), "falls back to 16 MiB");
	put64(0x258, MiB(16) + 0x1000); /* realigned to kernel_alignment */
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.kernel, MiB(18));
}

Test(linux_loader, non_relocatable_loads_at_1m)
{
	put8(0x234, 0);
	put64(0x258, MiB(16));
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.kernel, MiB(1));
	cr_assert_eq(lay.reserved_start, MiB(1));
	cr_assert_eq(lay.reserved_end, MiB(16) + INIT_SIZE);
	cr_assert(!memcmp(ram + MiB(1), img + 5 * 512, IMG_PM_SIZE));
}

Test(linux_loader, non_relocatable_pref_address_beyond_ram_refused)
{
	put8(0x234, 0);
	put64(0x258, MiB(30));
	assert_load_refused("non-relocatable kernel needs 0x1e00000-0x2200000");
	put64(0x258, MiB(64));
	assert_load_refused("non-relocatable");
}

Test(linux_loader, ram_checked_first)
{
	lp.ram_size = MiB(64); /* more than the gmem region */
	assert_load_refused("not one region");
	lp.ram_size = RAM_SIZE - 0x800;
	assert_load_refused("page-aligned RAM");
	lp.ram_size = MiB(1);
	assert_load_refused("more than 1 MiB");
}

/* ---- entry state --------------------------------------------------------------- */

Test(linux_loader, entry_state_is_the_32bit_boot_protocol)
{
	struct vcpu_sregs s;
	uint64_t gpr[GPR_COUNT], rip, rflags;

	memset(gpr, 0xee, sizeof(gpr));
	cr_assert(probe(), "%s", why);
	cr_assert(load(), "%s", why);
	linux_entry_state(&lay, &s, gpr, &rip, &rflags);
	cr_assert_eq(rip, MiB(16));
	cr_assert_eq(gpr[GPR_RSI], 0x7000);
	cr_assert_eq(gpr[GPR_RBX], 0);
	cr_assert_eq(gpr[GPR_RBP], 0);
	cr_assert_eq(gpr[GPR_RDI], 0);
	cr_assert_eq(rflags & BIT(9), 0, "interrupts off");
	cr_assert_eq(rflags, 0x2);
	cr_assert(s.cr0 & 1, "protected mode");
	cr_assert_eq(s.cr0 & BIT(31), 0, "paging off");
	cr_assert_eq(s.efer, 0);
	cr_assert_eq(s.seg[SEG_CS].sel, 0x10);
	cr_assert_eq(s.seg[SEG_CS].limit, 0xffffffff);
	cr_assert(s.seg[SEG_CS].attr & SEG_ATTR_DB, "32-bit code");
	cr_assert_eq(SEG_ATTR_TYPE(s.seg[SEG_CS].attr), SEG_TYPE_CODE_RX_A);
	for (int r = SEG_ES; r <= SEG_GS; r++) {
		if (r == SEG_CS)
			continue;
		cr_assert_eq(s.seg[r].sel, 0x18, "segment %d", r);
		cr_assert_eq(s.seg[r].base, 0);
		cr_assert_eq(s.seg[r].limit, 0xffffffff);
		cr_assert_eq(SEG_ATTR_TYPE(s.seg[r].attr), SEG_TYPE_DATA_RW_A);
	}
	cr_assert_eq(s.gdtr.base, 0x9fc00);
	cr_assert_eq(s.gdtr.limit, 0x1f);
	/* The GDT in guest RAM agrees with the cached segments (SDM 3.4.5). */
	cr_assert_eq(ram64(0x9fc00), 0);
	cr_assert_eq(ram64(0x9fc00 + 0x10), 0x00cf9b000000ffffULL, "0x10 flat 32-bit code");
	cr_assert_eq(ram64(0x9fc00 + 0x18), 0x00cf93000000ffffULL, "0x18 flat data");
	/* ... and lies in memory the e820 map reserves. */
	cr_assert(s.gdtr.base >= 0x9fc00 && s.gdtr.base + s.gdtr.limit < 0xa0000);
}

/* ---- the real kernel ------------------------------------------------------------- */

static uint8_t *read_file(const char *path, uint64_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*size = (uint64_t)n;
	return b;
}

/* Built by guests/linux/build-images.sh; BULKHEAD_VMLINUZ names another. */
Test(linux_loader, debian_stock_kernel)
{
	const char *path = getenv("BULKHEAD_VMLINUZ");
	uint64_t size;
	uint8_t *k = read_file(path ? path : "build/linux/vmlinuz", &size);
	if (!k)
		k = read_file("/work/main/build/linux/vmlinuz", &size);
	if (!k)
		cr_skip_test("no build/linux/vmlinuz (guests/linux/build-images.sh makes it)");
	cr_assert(linux_is_bzimage(k, size));
	cr_assert(linux_probe(k, size, &li, why, sizeof(why)), "%s", why);
	cr_assert_geq(li.version, 0x020f);
	cr_assert(li.relocatable);
	cr_assert(li.xloadflags & 1, "XLF_KERNEL_64");
	cr_assert_geq(li.init_size, li.pm_size);

	/* Lay it out in 256 MiB with a small initrd, as a partition would. */
	uint8_t *big = calloc(1, MiB(256));
	struct gmem m = { 0 };
	cr_assert(gmem_add_region(&m, 0, MiB(256), big));
	lp.mem = &m;
	lp.ram_size = MiB(256);
	lp.initrd = initrd;
	lp.initrd_size = sizeof(initrd);
	cr_assert(linux_load(&li, &lp, &lay, why, sizeof(why)), "%s", why);
	cr_assert_eq(lay.kernel, li.pref_address);
	cr_assert_eq(lay.initrd, MiB(256) - 0x3000);
	cr_assert(!memcmp(big + lay.kernel, k + li.pm_offset, li.pm_size));
	free(big);
	free(k);
}
