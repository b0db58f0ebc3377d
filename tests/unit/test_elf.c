/* SPDX-License-Identifier: BSD-2-Clause */
/* core/loader/elf.c with ELF images written by hand here (System V gABI;
 * <elf.h> only supplies the struct layouts). Guest RAM is 1 MiB at GPA 0
 * filled with a pattern, so a refused image can be seen to write nothing. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "core/gmem.h"
#include "core/loader/elf.h"

#define RAM_SIZE MiB(1)
#define RAM_FILL 0xcc
#define IMG_MAX 0x4000
#define DATA_OFF 0x1000 /* file offset of the first segment's bytes */

static uint8_t *ram;
static struct gmem mem;
static uint8_t img[IMG_MAX];
static uint64_t img_size;

static void setup(void)
{
	ram = malloc(RAM_SIZE);
	memset(ram, RAM_FILL, RAM_SIZE);
	memset(&mem, 0, sizeof(mem));
	cr_assert(gmem_add_region(&mem, 0, RAM_SIZE, ram));
	memset(img, 0, sizeof(img));
	for (unsigned int i = DATA_OFF; i < IMG_MAX; i++)
		img[i] = (uint8_t)(i * 7 + 1);
}

static void teardown(void)
{
	free(ram);
}

TestSuite(elf, .init = setup, .fini = teardown);

static Elf64_Ehdr *ehdr64(void)
{
	return (Elf64_Ehdr *)img;
}

static Elf64_Phdr *phdr64(unsigned int i)
{
	return (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

static Elf32_Ehdr *ehdr32(void)
{
	return (Elf32_Ehdr *)img;
}

static Elf32_Phdr *phdr32(unsigned int i)
{
	return (Elf32_Phdr *)(img + sizeof(Elf32_Ehdr) + i * sizeof(Elf32_Phdr));
}

static void ident(unsigned char cls)
{
	memcpy(img, ELFMAG, SELFMAG);
	img[EI_CLASS] = cls;
	img[EI_DATA] = ELFDATA2LSB;
	img[EI_VERSION] = EV_CURRENT;
}

/* An x86-64 executable: segment 0 is 0x100 file bytes at 0x10000 with
 * 0x2000 of memory (a .bss tail), segment 1 is 0x10 bytes at 0x20000, and a
 * PT_NOTE with nonsense fields that the loader must skip. */
static void make64(void)
{
	ident(ELFCLASS64);
	Elf64_Ehdr *h = ehdr64();
	h->e_type = ET_EXEC;
	h->e_machine = EM_X86_64;
	h->e_version = EV_CURRENT;
	h->e_entry = 0x10010;
	h->e_phoff = sizeof(Elf64_Ehdr);
	h->e_ehsize = sizeof(Elf64_Ehdr);
	h->e_phentsize = sizeof(Elf64_Phdr);
	h->e_phnum = 3;
	*phdr64(0) = (Elf64_Phdr){ .p_type = PT_LOAD,
				   .p_offset = DATA_OFF,
				   .p_vaddr = 0x10000,
				   .p_paddr = 0x10000,
				   .p_filesz = 0x100,
				   .p_memsz = 0x2000 };
	*phdr64(1) = (Elf64_Phdr){
		.p_type = PT_NOTE, .p_offset = ~0ULL, .p_paddr = ~0ULL, .p_filesz = ~0ULL, .p_memsz = 1
	};
	*phdr64(2) = (Elf64_Phdr){ .p_type = PT_LOAD,
				   .p_offset = DATA_OFF + 0x800,
				   .p_vaddr = 0x20000,
				   .p_paddr = 0x20000,
				   .p_filesz = 0x10,
				   .p_memsz = 0x10 };
	img_size = IMG_MAX;
}

static void make32(void)
{
	ident(ELFCLASS32);
	Elf32_Ehdr *h = ehdr32();
	h->e_type = ET_EXEC;
	h->e_machine = EM_386;
	h->e_version = EV_CURRENT;
	h->e_entry = 0x100000 - 0x1000;
	h->e_phoff = sizeof(Elf32_Ehdr);
	h->e_ehsize = sizeof(Elf32_Ehdr);
	h->e_phentsize = sizeof(Elf32_Phdr);
	h->e_phnum = 2;
	*phdr32(0) = (Elf32_Phdr){ .p_type = PT_LOAD,
				   .p_offset = DATA_OFF,
				   .p_vaddr = 0xc0100000,
				   .p_paddr = 0x100000 - 0x1000,
				   .p_filesz = 0x1000,
				   .p_memsz = 0x1000 };
	/* memsz 0: not loaded whatever the rest says. */
	*phdr32(1) = (Elf32_Phdr){ .p_type = PT_LOAD,
				   .p_offset = 0xffffffff,
				   .p_paddr = 0xfffff000,
				   .p_filesz = 0,
				   .p_memsz = 0 };
	img_size = 0x2000;
}

static bool ram_untouched(void)
{
	for (uint64_t i = 0; i < RAM_SIZE; i++)
		if (ram[i] != RAM_FILL)
			return false;
	return true;
}

/* The image must be refused, with a reason, leaving RAM as it was. */
static void assert_refused(const char *what)
{
	struct elf_info info;
	const char *why = NULL;
	cr_assert_not(elf_load(img, img_size, &mem, &info, &why), "%s: accepted", what);
	cr_assert_not_null(why, "%s: no reason given", what);
	cr_assert(ram_untouched(), "%s: refused image wrote guest RAM (%s)", what, why);
}

static void assert_refused_because(const char *what, const char *needle)
{
	struct elf_info info;
	const char *why = NULL;
	cr_assert_not(elf_load(img, img_size, &mem, &info, &why), "%s: accepted", what);
	cr_assert(why && strstr(why, needle), "%s: reason '%s' does not mention '%s'", what, why,
		  needle);
	cr_assert(ram_untouched(), "%s: refused image wrote guest RAM", what);
}

Test(elf, valid_elf64_loads)
{
	make64();
	struct elf_info info;
	const char *why = NULL;
	cr_assert(elf_load(img, img_size, &mem, &info, &why), "refused: %s", why);
	cr_assert(info.is64);
	cr_assert_eq(info.entry, 0x10010);
	cr_assert_eq(info.lowest, 0x10000);
	cr_assert_eq(info.highest, 0x20010);
	cr_assert(memcmp(ram + 0x10000, img + DATA_OFF, 0x100) == 0, "file bytes copied");
	for (unsigned int i = 0x100; i < 0x2000; i++)
		cr_assert_eq(ram[0x10000 + i], 0, "bss byte %#x not zeroed", i);
	cr_assert_eq(ram[0x12000], RAM_FILL, "nothing past memsz");
	cr_assert_eq(ram[0x10000 - 1], RAM_FILL);
	cr_assert(memcmp(ram + 0x20000, img + DATA_OFF + 0x800, 0x10) == 0);
	cr_assert_eq(ram[0x20010], RAM_FILL);
}

Test(elf, valid_elf32_loads_by_physical_address)
{
	make32();
	struct elf_info info;
	const char *why = NULL;
	cr_assert(elf_load(img, img_size, &mem, &info, &why), "refused: %s", why);
	cr_assert_not(info.is64);
	cr_assert_eq(info.entry, 0xff000);
	cr_assert_eq(info.lowest, 0xff000);
	cr_assert_eq(info.highest, 0x100000, "a segment ending exactly at the end of RAM");
	cr_assert(memcmp(ram + 0xff000, img + DATA_OFF, 0x1000) == 0);
}

Test(elf, is_elf)
{
	make64();
	cr_assert(elf_is_elf(img, 4));
	cr_assert_not(elf_is_elf(img, 3));
	img[1] = 'e';
	cr_assert_not(elf_is_elf(img, img_size));
}

Test(elf, bad_magic)
{
	make64();
	img[3] = 'G';
	assert_refused("bad magic");
}

Test(elf, header_truncated)
{
	make64();
	img_size = 3;
	assert_refused("3 bytes");
	img_size = sizeof(Elf32_Ehdr) - 1;
	assert_refused("shorter than an ELF32 header");
	img_size = sizeof(Elf64_Ehdr) - 1;
	assert_refused_because("ELF64 header cut short", "truncated");
}

Test(elf, big_endian_refused)
{
	make64();
	img[EI_DATA] = ELFDATA2MSB;
	assert_refused_because("big-endian", "endian");
}

Test(elf, unknown_class_refused)
{
	make64();
	img[EI_CLASS] = 3;
	assert_refused("class 3");
	img[EI_CLASS] = ELFCLASSNONE;
	assert_refused("class 0");
}

Test(elf, wrong_machine_refused)
{
	make64();
	ehdr64()->e_machine = EM_AARCH64;
	assert_refused("aarch64");
	make64();
	ehdr64()->e_machine = EM_386;
	assert_refused("ELF64 claiming i386");
	make32();
	ehdr32()->e_machine = EM_X86_64;
	assert_refused("ELF32 claiming x86-64");
}

Test(elf, not_executable_refused)
{
	make64();
	ehdr64()->e_type = ET_DYN;
	assert_refused("ET_DYN");
	make32();
	ehdr32()->e_type = ET_REL;
	assert_refused("ET_REL");
}

Test(elf, phentsize_refused)
{
	make64();
	ehdr64()->e_phentsize = sizeof(Elf64_Phdr) + 8;
	assert_refused("phentsize 64");
	make64();
	ehdr64()->e_phentsize = sizeof(Elf32_Phdr);
	assert_refused("ELF64 with ELF32 phentsize");
	make32();
	ehdr32()->e_phentsize = sizeof(Elf64_Phdr);
	assert_refused("ELF32 with ELF64 phentsize");
}

Test(elf, phnum_zero_or_huge)
{
	make64();
	ehdr64()->e_phnum = 0;
	assert_refused("phnum 0");
	ehdr64()->e_phnum = 65;
	assert_refused("phnum 65");
	ehdr64()->e_phnum = 0xffff; /* PN_XNUM: the real count would be in section 0 */
	assert_refused("phnum 0xffff");
}

Test(elf, phoff_past_end)
{
	make64();
	ehdr64()->e_phoff = img_size;
	assert_refused_because("phoff at the end", "program header");
	ehdr64()->e_phoff = img_size - sizeof(Elf64_Phdr) + 1;
	ehdr64()->e_phnum = 1;
	assert_refused("the table's only entry straddles the end");
	ehdr64()->e_phoff = UINT64_MAX - 8;
	assert_refused("phoff wraps");
	make64();
	/* First entries fine, the last one past the end. */
	ehdr64()->e_phoff = img_size - 2 * sizeof(Elf64_Phdr);
	memcpy(img + img_size - 2 * sizeof(Elf64_Phdr), phdr64(0), sizeof(Elf64_Phdr));
	memcpy(img + img_size - sizeof(Elf64_Phdr), phdr64(2), sizeof(Elf64_Phdr));
	assert_refused("third entry past the end");
}

Test(elf, segment_data_past_end)
{
	make64();
	phdr64(2)->p_offset = img_size - 0xf;
	assert_refused_because("filesz one byte too long", "past the end");
	make64();
	phdr64(0)->p_offset = UINT64_MAX - 0x10;
	assert_refused("offset + filesz wraps");
	make32();
	img_size = DATA_OFF + 0xfff;
	assert_refused("truncated ELF32");
}

Test(elf, filesz_exceeds_memsz)
{
	make64();
	phdr64(2)->p_memsz = 0xf;
	assert_refused_because("filesz > memsz", "file size");
}

Test(elf, segment_outside_ram)
{
	make64();
	phdr64(2)->p_paddr = RAM_SIZE;
	assert_refused_because("just past RAM", "RAM");
	make64();
	phdr64(2)->p_paddr = RAM_SIZE - 0x8;
	assert_refused("straddles the end of RAM");
	make64();
	phdr64(0)->p_memsz = RAM_SIZE;
	assert_refused("bss runs past RAM");
	make32();
	phdr32(0)->p_paddr = 0xc0000000;
	ehdr32()->e_entry = 0xc0000000;
	assert_refused("ELF32 at 3 GiB");
}

Test(elf, paddr_memsz_wraps)
{
	make64();
	phdr64(0)->p_paddr = UINT64_MAX - 0xfff;
	phdr64(0)->p_memsz = 0x2000;
	assert_refused("paddr + memsz wraps to 0x1000");
	make64();
	phdr64(0)->p_paddr = 0x10000;
	phdr64(0)->p_memsz = UINT64_MAX;
	assert_refused("memsz ~0");
}

Test(elf, entry_outside_segments)
{
	make64();
	ehdr64()->e_entry = 0x12000;
	assert_refused_because("entry just past segment 0's memsz", "entry");
	ehdr64()->e_entry = 0xffff;
	assert_refused("entry just below");
	ehdr64()->e_entry = 0x18000;
	assert_refused("entry in the gap between the segments");
	ehdr64()->e_entry = 0x20010;
	assert_refused("entry just past the last segment");
	ehdr64()->e_entry = 0x2000f;
	struct elf_info info;
	const char *why;
	cr_assert(elf_load(img, img_size, &mem, &info, &why), "last byte of segment 1: %s", why);
}

Test(elf, no_loadable_segment)
{
	make64();
	phdr64(0)->p_type = PT_NOTE;
	phdr64(2)->p_type = PT_DYNAMIC;
	assert_refused_because("no PT_LOAD", "loadable");
	make64();
	phdr64(0)->p_memsz = 0;
	phdr64(0)->p_filesz = 0;
	phdr64(2)->p_memsz = 0;
	phdr64(2)->p_filesz = 0;
	assert_refused("only empty PT_LOADs");
}

Test(elf, a_bad_later_segment_stops_the_earlier_ones_too)
{
	make64();
	phdr64(2)->p_paddr = 0x200000;
	assert_refused("segment 2 outside RAM");
	make64();
	phdr64(2)->p_filesz = 0x20;
	assert_refused("segment 2 filesz > memsz");
}

Test(elf, second_ram_region)
{
	/* A segment must lie in one region: one spanning two adjacent regions
	 * is refused even though every byte is RAM. */
	uint8_t *high = malloc(MiB(1));
	memset(high, RAM_FILL, MiB(1));
	cr_assert(gmem_add_region(&mem, RAM_SIZE, MiB(1), high));
	make64();
	phdr64(2)->p_paddr = RAM_SIZE + 0x1000;
	struct elf_info info;
	const char *why = NULL;
	cr_assert(elf_load(img, img_size, &mem, &info, &why), "segment in region 2: %s", why);
	cr_assert(memcmp(high + 0x1000, img + DATA_OFF + 0x800, 0x10) == 0);
	cr_assert_eq(info.highest, RAM_SIZE + 0x1010);

	memset(ram, RAM_FILL, RAM_SIZE);
	make64();
	phdr64(0)->p_paddr = RAM_SIZE - 0x1000;
	ehdr64()->e_entry = RAM_SIZE - 0x1000;
	assert_refused("segment across the region boundary");
	free(high);
}
