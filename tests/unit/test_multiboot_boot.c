/* SPDX-License-Identifier: BSD-2-Clause */
/* core/loader/multiboot_boot.c with Multiboot 1 kernels built here field by
 * field from the Multiboot Specification 0.6.96 (§3.1 header, §3.3
 * information structure); the information structure is read back at the
 * spec's byte offsets, not through the loader's constants where it
 * matters. Guest RAM is 8 MiB at GPA 0 filled with a pattern. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/gmem.h"
#include "core/loader/multiboot_boot.h"

#define RAM_SIZE MiB(8)
#define RAM_FILL 0xcc
#define IMG_MAX 0x6000
#define MAGIC 0x1badb002u

static uint8_t *ram;
static struct gmem mem;
static uint8_t img[IMG_MAX];
static uint64_t img_size;
static char why[MB1_WHY_MAX];
static struct mb1_layout lay;
static struct mb1_load_params lp;

#include "tests/unit/support/image_bytes.h" /* needs img and ram */

static void header(uint64_t off, uint32_t flags)
{
	put32(off, MAGIC);
	put32(off + 4, flags);
	put32(off + 8, -(MAGIC + flags));
}

/* An ELF32 executable: one PT_LOAD of filesz 0x800 (pattern) and memsz
 * 0x1000 at paddr, entry paddr + 0x10; the Multiboot header at 0x1000,
 * the segment's file data from 0x1000 too (the header is its first bytes). */
static void build_elf32(uint32_t paddr, uint32_t flags)
{
	memset(img, 0, sizeof(img));
	img[0] = 0x7f;
	img[1] = 'E';
	img[2] = 'L';
	img[3] = 'F';
	img[4] = 1; /* ELFCLASS32 */
	img[5] = 1; /* little-endian */
	img[6] = 1;
	put16(16, 2); /* ET_EXEC */
	put16(18, 3); /* EM_386 */
	put32(20, 1);
	put32(24, paddr + 0x10);
	put32(28, 52);     /* phoff */
	put16(40, 52);     /* ehsize */
	put16(42, 32);     /* phentsize */
	put16(44, 1);      /* phnum */
	put32(52, 1);      /* PT_LOAD */
	put32(56, 0x1000); /* offset */
	put32(60, paddr);  /* vaddr */
	put32(64, paddr);  /* paddr */
	put32(68, 0x800);  /* filesz */
	put32(72, 0x1000); /* memsz */
	put32(76, 7);
	for (unsigned int i = 0x1000; i < 0x1800; i++)
		img[i] = (uint8_t)(i * 7 + 1);
	header(0x1000, flags);
	img_size = 0x1800;
}

/* An ELF64 executable (x86-64) whose entry is 32-bit code, as GRUB loads
 * them for Multiboot 1: one PT_LOAD like build_elf32's. */
static void build_elf64(uint64_t paddr, uint64_t entry)
{
	memset(img, 0, sizeof(img));
	img[0] = 0x7f;
	img[1] = 'E';
	img[2] = 'L';
	img[3] = 'F';
	img[4] = 2; /* ELFCLASS64 */
	img[5] = 1;
	img[6] = 1;
	put16(16, 2);  /* ET_EXEC */
	put16(18, 62); /* EM_X86_64 */
	put32(20, 1);
	put64(24, entry);
	put64(32, 64); /* phoff */
	put16(52, 64); /* ehsize */
	put16(54, 56); /* phentsize */
	put16(56, 1);  /* phnum */
	put32(64, 1);  /* PT_LOAD */
	put32(68, 7);
	put64(72, 0x1000);  /* offset */
	put64(80, paddr);   /* vaddr */
	put64(88, paddr);   /* paddr */
	put64(96, 0x800);   /* filesz */
	put64(104, 0x1000); /* memsz */
	for (unsigned int i = 0x1000; i < 0x1800; i++)
		img[i] = (uint8_t)(i * 5 + 3);
	header(0x1000, MB1_HF_MEMORY_INFO);
	img_size = 0x1800;
}

/* A flat image with the a.out kludge: header at file offset 0x40 with
 * header_addr = load_addr + 0x40. */
static void build_kludge(uint32_t load, uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
	memset(img, 0, sizeof(img));
	for (unsigned int i = 0; i < 0x2000; i++)
		img[i] = (uint8_t)(i * 3 + 2);
	header(0x40, MB1_HF_AOUT_KLUDGE | MB1_HF_MEMORY_INFO);
	put32(0x4c, load + 0x40);
	put32(0x50, load);
	put32(0x54, load_end);
	put32(0x58, bss_end);
	put32(0x5c, entry);
	img_size = 0x2000;
}

static void setup(void)
{
	ram = malloc(RAM_SIZE);
	memset(ram, RAM_FILL, RAM_SIZE);
	memset(&mem, 0, sizeof(mem));
	cr_assert(gmem_add_region(&mem, 0, RAM_SIZE, ram));
	memset(&lp, 0, sizeof(lp));
	lp.mem = &mem;
	lp.ram_size = RAM_SIZE;
	lp.cmdline = "mb0 exit=3 hello";
	memset(why, 0, sizeof(why));
}

static void teardown(void)
{
	free(ram);
}

TestSuite(multiboot_boot, .init = setup, .fini = teardown);

static bool load(void)
{
	memset(why, 0, sizeof(why));
	return mb1_load(img, img_size, &lp, &lay, why, sizeof(why));
}

static void assert_refused(const char *needle)
{
	cr_assert_not(load(), "accepted (wanted a refusal with '%s')", needle);
	cr_assert(strstr(why, needle), "reason '%s' lacks '%s'", why, needle);
	cr_assert(strchr(why, '\n') == NULL, "one line");
}

Test(multiboot_boot, elf32_loaded_by_paddr)
{
	build_elf32(0x100000, MB1_HF_PAGE_ALIGN | MB1_HF_MEMORY_INFO);
	cr_assert(load(), "%s", why);
	cr_assert_not(lay.aout_kludge);
	cr_assert_eq(lay.entry, 0x100010);
	cr_assert_eq(lay.kernel_lo, 0x100000);
	cr_assert_eq(lay.kernel_hi, 0x101000);
	cr_assert_eq(memcmp(ram + 0x100000, img + 0x1000, 0x800), 0);
	for (unsigned int i = 0x800; i < 0x1000; i++)
		cr_assert_eq(ram[0x100000 + i], 0, "bss zeroed at +%#x", i);
}

Test(multiboot_boot, information_structure)
{
	build_elf32(0x100000, 0);
	cr_assert(load(), "%s", why);
	uint32_t mbi = MB1_INFO_GPA;
	cr_assert_eq(lay.info, mbi);
	uint32_t flags = ram32(mbi);
	cr_assert_eq(flags, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
	cr_assert_eq(ram32(mbi + 4), 639, "mem_lower");
	cr_assert_eq(ram32(mbi + 8), (RAM_SIZE - MiB(1)) >> 10, "mem_upper");
	cr_assert_str_eq((char *)ram + ram32(mbi + 16), "mb0 exit=3 hello");
	cr_assert_eq(ram32(mbi + 20), 0, "mods_count");
	cr_assert_str_eq((char *)ram + ram32(mbi + 64), "Bulkhead");
	/* The memory map: size 20 entries, RAM to 639 KiB and from 1 MiB. */
	uint32_t mlen = ram32(mbi + 44), maddr = ram32(mbi + 48);
	cr_assert_eq(mlen, 4 * 24);
	cr_assert_eq(ram32(maddr), 20);
	cr_assert_eq(ram64(maddr + 4), 0);
	cr_assert_eq(ram64(maddr + 12), 0x9fc00);
	cr_assert_eq(ram32(maddr + 20), 1);
	cr_assert_eq(ram64(maddr + 3 * 24 + 4), MiB(1));
	cr_assert_eq(ram64(maddr + 3 * 24 + 12), RAM_SIZE - MiB(1));
	cr_assert_eq(ram32(maddr + 3 * 24 + 20), 1);
	cr_assert_eq(ram32(maddr + 2 * 24 + 20), 2, "the BIOS area is reserved");
	/* Everything it points to lies inside the loader's area. */
	cr_assert(ram32(mbi + 16) >= MB1_AREA_START && ram32(mbi + 16) < MB1_AREA_END);
	cr_assert(maddr + mlen <= MB1_AREA_END);
}

Test(multiboot_boot, modules_page_aligned_after_the_kernel)
{
	static const char a[] = "first module", b[] = "second";
	struct mb1_module mods[] = { { a, sizeof(a), "some args" }, { b, sizeof(b), NULL } };
	build_elf32(0x100000, MB1_HF_PAGE_ALIGN);
	lp.modules = mods;
	lp.nr_modules = 2;
	cr_assert(load(), "%s", why);
	uint32_t mbi = MB1_INFO_GPA, list = ram32(mbi + 24);
	cr_assert_eq(ram32(mbi + 20), 2);
	uint32_t s0 = ram32(list), e0 = ram32(list + 4), s1 = ram32(list + 16), e1 = ram32(list + 20);
	cr_assert_eq(s0, 0x101000, "page aligned after the kernel's memsz");
	cr_assert_eq(e0, s0 + sizeof(a), "mod_end is one past the last byte");
	cr_assert_eq(s1 % 4096, 0);
	cr_assert_geq(s1, e0);
	cr_assert_eq(e1 - s1, sizeof(b));
	cr_assert_str_eq((char *)ram + s0, a);
	cr_assert_str_eq((char *)ram + s1, b);
	cr_assert_str_eq((char *)ram + ram32(list + 8), "some args");
	cr_assert_str_eq((char *)ram + ram32(list + 24), "");
}

Test(multiboot_boot, elf64_entered_in_32_bit_mode)
{
	build_elf64(0x200000, 0x200020);
	cr_assert(load(), "%s", why);
	cr_assert(lay.elf64);
	cr_assert_eq(lay.entry, 0x200020);
	cr_assert_eq(memcmp(ram + 0x200000, img + 0x1000, 0x800), 0);
	/* Segments above RAM (and so above 4 GiB) are refused. */
	build_elf64(0x100000000ULL, 0x100000020ULL);
	assert_refused("RAM");
}

Test(multiboot_boot, aout_kludge)
{
	build_kludge(0x200000, 0x201000, 0x203000, 0x200100);
	cr_assert(load(), "%s", why);
	cr_assert(lay.aout_kludge);
	cr_assert_eq(lay.entry, 0x200100);
	cr_assert_eq(lay.kernel_lo, 0x200000);
	cr_assert_eq(lay.kernel_hi, 0x203000);
	cr_assert_eq(memcmp(ram + 0x200000, img, 0x1000), 0, "file from header_offset - 0x40");
	for (unsigned int i = 0x1000; i < 0x3000; i++)
		cr_assert_eq(ram[0x200000 + i], 0, "bss zeroed at +%#x", i);
	cr_assert_eq(ram[0x203000], RAM_FILL, "nothing past bss_end");
}

Test(multiboot_boot, aout_kludge_to_end_of_file)
{
	build_kludge(0x200000, 0, 0, 0x200000);
	cr_assert(load(), "%s", why);
	cr_assert_eq(lay.kernel_hi, 0x200000 + img_size);
	cr_assert_eq(memcmp(ram + 0x200000, img, img_size), 0);
}

Test(multiboot_boot, aout_kludge_bad_fields)
{
	build_kludge(0x200000, 0x1ff000, 0, 0x200000);
	assert_refused("load_end_addr");
	build_kludge(0x200000, 0x208000, 0, 0x200000);
	assert_refused("more than the image holds");
	build_kludge(0x200000, 0x201000, 0x200800, 0x200000);
	assert_refused("bss_end_addr");
	build_kludge(0x200000, 0x201000, 0, 0x201000);
	assert_refused("entry_addr");
	build_kludge(0x200000, 0, 0, 0x200000);
	put32(0x4c, 0x200000 + 0x80); /* header_addr - load_addr > header offset */
	assert_refused("header_addr");
}

Test(multiboot_boot, no_header_bad_checksum_late_header)
{
	build_elf32(0x100000, 0);
	memset(img + 0x1000, 0, 12);
	assert_refused("no Multiboot header");
	build_elf32(0x100000, 0);
	put32(0x1008, 0);
	assert_refused("checksum");
	/* Past the first 8192 bytes it is not looked for (§3.1.1). */
	build_elf32(0x100000, 0);
	memset(img + 0x1000, 0, 12);
	header(0x2000, 0);
	img_size = 0x2100;
	assert_refused("no Multiboot header");
	/* Only on a 4-byte boundary. */
	build_elf32(0x100000, 0);
	memset(img + 0x1000, 0, 12);
	header(0x1002, 0);
	assert_refused("no Multiboot header");
}

Test(multiboot_boot, unsupported_required_flags)
{
	build_elf32(0x100000, MB1_HF_VIDEO_MODE);
	assert_refused("video mode");
	build_elf32(0x100000, 1u << 7);
	assert_refused("unknown required bits 0x80");
	/* Optional bits (16-31) other than the kludge are ignored. */
	build_elf32(0x100000, 1u << 20);
	cr_assert(load(), "%s", why);
}

Test(multiboot_boot, segments_outside_ram_or_in_reserved_areas)
{
	build_elf32(0x7ff800, 0);
	assert_refused("RAM");
	build_elf32(0x8800, 0); /* the loader's area */
	assert_refused("loader's area");
	build_elf32(0xe0000, 0); /* the BIOS area (ACPI tables) */
	assert_refused("hole below 1 MiB");
	build_kludge(0x9000, 0, 0, 0x9000);
	assert_refused("loader's area");
	build_kludge(0x7ff000, 0, 0, 0x7ff000);
	assert_refused("outside RAM");
	/* Low memory clear of both is fine. */
	build_elf32(0x10000, 0);
	cr_assert(load(), "%s", why);
}

Test(multiboot_boot, not_elf_without_kludge)
{
	build_kludge(0x200000, 0, 0, 0x200000);
	header(0x40, 0);
	assert_refused("not an ELF image");
}

Test(multiboot_boot, modules_that_do_not_fit)
{
	static uint8_t big[MiB(4)];
	struct mb1_module mods[] = { { big, sizeof(big), "" }, { big, sizeof(big), "" } };
	build_elf32(0x100000, 0);
	lp.modules = mods;
	lp.nr_modules = 2;
	assert_refused("module 1");
	lp.nr_modules = MB1_MAX_MODULES + 1;
	assert_refused("at most");
}

Test(multiboot_boot, ram_size_and_cmdline_limits)
{
	char longline[MB1_CMDLINE_AREA + 1];
	build_elf32(0x100000, 0);
	lp.ram_size = MiB(1);
	assert_refused("RAM");
	lp.ram_size = RAM_SIZE;
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	lp.cmdline = longline;
	assert_refused("command line");
}

Test(multiboot_boot, entry_state)
{
	struct vcpu_sregs s;
	uint64_t gpr[GPR_COUNT], rip, rflags;
	build_elf32(0x100000, 0);
	cr_assert(load(), "%s", why);
	mb1_entry_state(&lay, &s, gpr, &rip, &rflags);
	cr_assert_eq(gpr[GPR_RAX], 0x2badb002);
	cr_assert_eq(gpr[GPR_RBX], MB1_INFO_GPA);
	cr_assert_eq(rip, 0x100010);
	cr_assert_eq(rflags & (1u << 9), 0, "IF clear");
	cr_assert_eq(rflags & (1u << 17), 0, "VM clear");
	cr_assert_eq(s.cr0 & 1, 1, "PE");
	cr_assert_eq(s.cr0 & (1u << 31), 0, "PG off");
	cr_assert_eq(s.seg[SEG_CS].base, 0);
	cr_assert_eq(s.seg[SEG_CS].limit, 0xffffffff);
	cr_assert_eq(s.seg[SEG_DS].limit, 0xffffffff);
	cr_assert_eq(s.gdtr.base, MB1_GDT_GPA);
	/* The GDT descriptors the selectors name are the flat ones. */
	cr_assert_eq(ram64(MB1_GDT_GPA + s.seg[SEG_CS].sel), 0x00cf9b000000ffffULL);
	cr_assert_eq(ram64(MB1_GDT_GPA + s.seg[SEG_DS].sel), 0x00cf93000000ffffULL);
}

Test(multiboot_boot, find_header_alone)
{
	struct mb1_header h;
	build_kludge(0x200000, 0, 0, 0x200000);
	cr_assert(mb1_find_header(img, img_size, &h, why, sizeof(why)), "%s", why);
	cr_assert_eq(h.offset, 0x40);
	cr_assert_eq(h.load_addr, 0x200000);
	/* Truncated inside the address fields. */
	cr_assert_not(mb1_find_header(img, 0x50, &h, why, sizeof(why)));
	cr_assert(strstr(why, "address fields"), "%s", why);
	cr_assert_not(mb1_find_header(img, 0, &h, why, sizeof(why)));
}
