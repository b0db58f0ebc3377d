/* SPDX-License-Identifier: BSD-2-Clause */
/* The UEFI loader's firmware-independent parts (arch/x86/efi/loader_*.c):
 * its configuration parser, the ELF checks and placement, the handoff
 * header search, and the boot_info construction from a UEFI memory map.
 * The loader is a separate program (not in libpure), so its sources are
 * compiled into this test directly. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/efi/loader_bootinfo.c"
#include "arch/x86/efi/loader_config.c"
#include "arch/x86/efi/loader_elf.c"

/* ---- configuration ------------------------------------------------------ */

/* Parses exactly len bytes from a heap copy without a terminator, so ASan
 * catches any read past the end. */
static enum ldr_cfg_error parse(const char *text, size_t len, struct ldr_config *cfg, uint32_t *line)
{
	char *copy = malloc(len ? len : 1);
	enum ldr_cfg_error err;

	memcpy(copy, text, len);
	err = ldr_config_parse(copy, len, cfg, line);
	free(copy);
	return err;
}

static enum ldr_cfg_error parse_str(const char *text, struct ldr_config *cfg, uint32_t *line)
{
	return parse(text, strlen(text), cfg, line);
}

Test(efi_config, hypervisor_and_modules_with_comments_crlf_and_tabs)
{
	static struct ldr_config cfg;
	uint32_t line = 99;
	const char *text = "# Bulkhead\r\n"
			   "\r\n"
			   "  hypervisor\t/bulkhead.elf   loglevel=3  on_idle=exit \r\n"
			   "module /guests/a.elf name=a mem=16M\n"
			   "\tmodule   \\guests\\b.bin\n"
			   "module /guests/c.elf name=c"; /* no final newline */

	cr_assert_eq(parse_str(text, &cfg, &line), LDR_CFG_OK);
	cr_assert_eq(line, 0);
	cr_assert_str_eq(cfg.hv_path, "/bulkhead.elf");
	cr_assert_str_eq(cfg.hv_cmdline, "loglevel=3  on_idle=exit");
	cr_assert_eq(cfg.nr_modules, 3);
	cr_assert_str_eq(cfg.modules[0].path, "/guests/a.elf");
	cr_assert_str_eq(cfg.modules[0].cmdline, "name=a mem=16M");
	cr_assert_str_eq(cfg.modules[1].path, "\\guests\\b.bin");
	cr_assert_str_eq(cfg.modules[1].cmdline, "");
	cr_assert_str_eq(cfg.modules[2].cmdline, "name=c");
}

Test(efi_config, utf8_byte_order_mark_is_skipped)
{
	static struct ldr_config cfg;
	uint32_t line;

	cr_assert_eq(parse_str("\xEF\xBB\xBFhypervisor /h.elf\n", &cfg, &line), LDR_CFG_OK);
	cr_assert_str_eq(cfg.hv_path, "/h.elf");
}

Test(efi_config, errors_name_their_line)
{
	static struct ldr_config cfg;
	uint32_t line;

	cr_assert_eq(parse_str("# only a comment\n", &cfg, &line), LDR_CFG_NO_HYPERVISOR);
	cr_assert_eq(line, 0);
	cr_assert_eq(parse_str("hypervisor /a\n\nhypervisor /b\n", &cfg, &line),
		     LDR_CFG_DUPLICATE_HYPERVISOR);
	cr_assert_eq(line, 3);
	cr_assert_eq(parse_str("hypervisor /a\nkernel /b\n", &cfg, &line), LDR_CFG_UNKNOWN_KEYWORD);
	cr_assert_eq(line, 2);
	cr_assert_eq(parse_str("hypervisorx /a\n", &cfg, &line), LDR_CFG_UNKNOWN_KEYWORD);
	cr_assert_eq(parse_str("hypervisor /a\nmodule   \n", &cfg, &line), LDR_CFG_MISSING_PATH);
	cr_assert_eq(line, 2);
	cr_assert_eq(parse_str("hypervisor\n", &cfg, &line), LDR_CFG_MISSING_PATH);
	cr_assert_eq(line, 1);
}

Test(efi_config, control_and_high_bytes_are_refused)
{
	static struct ldr_config cfg;
	uint32_t line;
	const char nul[] = "hypervisor /a\nmodule /b na\0me=x\n";

	cr_assert_eq(parse(nul, sizeof(nul) - 1, &cfg, &line), LDR_CFG_BAD_CHARACTER);
	cr_assert_eq(line, 2);
	cr_assert_eq(parse_str("hypervisor /a\x1b[0m\n", &cfg, &line), LDR_CFG_BAD_CHARACTER);
	cr_assert_eq(parse_str("hypervisor /\xc3\xa9\n", &cfg, &line), LDR_CFG_BAD_CHARACTER);
	cr_assert_eq(line, 1);
}

Test(efi_config, length_limits_are_exact)
{
	static struct ldr_config cfg;
	static char text[4096];
	char path[LDR_PATH_MAX + 1], args[BOOT_CMDLINE_MAX + 1];
	uint32_t line;

	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[LDR_PATH_MAX - 1] = '\0'; /* 255 characters: fits */
	snprintf(text, sizeof(text), "hypervisor %s\n", path);
	cr_assert_eq(parse_str(text, &cfg, &line), LDR_CFG_OK);
	cr_assert_eq(strlen(cfg.hv_path), LDR_PATH_MAX - 1);
	path[LDR_PATH_MAX - 1] = 'p';
	path[LDR_PATH_MAX] = '\0'; /* 256: does not */
	snprintf(text, sizeof(text), "hypervisor %s\n", path);
	cr_assert_eq(parse_str(text, &cfg, &line), LDR_CFG_PATH_TOO_LONG);

	memset(args, 'a', sizeof(args));
	args[BOOT_CMDLINE_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "hypervisor /h %s\n", args);
	cr_assert_eq(parse_str(text, &cfg, &line), LDR_CFG_OK);
	args[BOOT_CMDLINE_MAX - 1] = 'a';
	args[BOOT_CMDLINE_MAX] = '\0';
	snprintf(text, sizeof(text), "hypervisor /h %s\n", args);
	cr_assert_eq(parse_str(text, &cfg, &line), LDR_CFG_CMDLINE_TOO_LONG);

	args[BOOT_MODULE_CMDLINE_MAX - 1] = '\0';
	snprintf(text, sizeof(text), "hypervisor /h\nmodule /m %s\n", args);
	cr_assert_eq(parse_str(text, &cfg, &line), LDR_CFG_OK);
	args[BOOT_MODULE_CMDLINE_MAX - 1] = 'a';
	args[BOOT_MODULE_CMDLINE_MAX] = '\0';
	snprintf(text, sizeof(text), "hypervisor /h\nmodule /m %s\n", args);
	cr_assert_eq(parse_str(text, &cfg, &line), LDR_CFG_CMDLINE_TOO_LONG);
	cr_assert_eq(line, 2);
}

Test(efi_config, at_most_sixteen_modules)
{
	static struct ldr_config cfg;
	static char text[4096];
	size_t n = 0;
	uint32_t line;

	n += snprintf(text + n, sizeof(text) - n, "hypervisor /h\n");
	for (int i = 0; i < BOOT_MAX_MODULES; i++)
		n += snprintf(text + n, sizeof(text) - n, "module /m%d name=m%d\n", i, i);
	cr_assert_eq(parse_str(text, &cfg, &line), LDR_CFG_OK);
	cr_assert_eq(cfg.nr_modules, BOOT_MAX_MODULES);
	snprintf(text + n, sizeof(text) - n, "module /one-too-many\n");
	cr_assert_eq(parse_str(text, &cfg, &line), LDR_CFG_TOO_MANY_MODULES);
	cr_assert_eq(line, BOOT_MAX_MODULES + 2);
}

Test(efi_config, oversized_file_is_refused)
{
	static struct ldr_config cfg;
	size_t len = LDR_CONFIG_MAX_BYTES + 1;
	char *text = malloc(len);
	uint32_t line;

	memset(text, '#', len);
	cr_assert_eq(ldr_config_parse(text, len, &cfg, &line), LDR_CFG_TOO_BIG);
	free(text);
	cr_assert_str_neq(ldr_config_strerror(LDR_CFG_TOO_BIG), "unknown error");
}

/* ---- ELF ------------------------------------------------------------------ */

#define IMG_BASE 0x200000ULL
#define FILE_SIZE 0x3000

struct test_elf {
	uint8_t bytes[FILE_SIZE];
	struct elf64_ehdr eh;
	struct elf64_phdr ph[4];
};

/* An image like bulkhead.elf: text at 2 MiB (file offset 0x1000, holding the
 * handoff header at +0x40), data at 2 MiB + 8 KiB with 0x800 file bytes and
 * 0x3000 bytes in memory (bss). */
static void make_elf(struct test_elf *t)
{
	struct ldr_handoff_raw h = { BH_EFI_HEADER_MAGIC0, IMG_BASE + 0x100, IMG_BASE,
				     IMG_BASE + 0x5000 };

	memset(t, 0, sizeof(*t));
	memcpy(t->eh.e_ident,
	       "\x7f"
	       "ELF",
	       4);
	t->eh.e_ident[EI_CLASS] = ELFCLASS64;
	t->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	t->eh.e_ident[EI_VERSION] = EV_CURRENT;
	t->eh.e_type = ET_EXEC;
	t->eh.e_machine = EM_X86_64;
	t->eh.e_version = EV_CURRENT;
	t->eh.e_phoff = sizeof(struct elf64_ehdr);
	t->eh.e_phentsize = sizeof(struct elf64_phdr);
	t->eh.e_phnum = 3;
	t->ph[0] = (struct elf64_phdr){ .p_type = PT_LOAD,
					.p_offset = 0x1000,
					.p_vaddr = IMG_BASE,
					.p_paddr = IMG_BASE,
					.p_filesz = 0x1000,
					.p_memsz = 0x1000 };
	t->ph[1] = (struct elf64_phdr){
		.p_type = 4 /* PT_NOTE: ignored */, .p_offset = 0, .p_filesz = 0x10, .p_memsz = 0x10
	};
	t->ph[2] = (struct elf64_phdr){ .p_type = PT_LOAD,
					.p_offset = 0x2000,
					.p_vaddr = IMG_BASE + 0x2000,
					.p_paddr = IMG_BASE + 0x2000,
					.p_filesz = 0x800,
					.p_memsz = 0x3000 };
	memset(t->bytes + 0x1000, 0x90, 0x1000);
	memcpy(t->bytes + 0x1040, &h, sizeof(h));
	memset(t->bytes + 0x2000, 0xdd, 0x1000); /* the last 0x800 must not be copied */
}

/* Writes the headers into the file bytes. */
static const uint8_t *elf_bytes(struct test_elf *t)
{
	memcpy(t->bytes, &t->eh, sizeof(t->eh));
	memcpy(t->bytes + t->eh.e_phoff, t->ph, sizeof(t->ph));
	return t->bytes;
}

static enum ldr_elf_error check(struct test_elf *t, uint64_t size, struct ldr_image_span *s)
{
	return ldr_elf_check(elf_bytes(t), size, s);
}

Test(efi_elf, valid_image_is_placed_and_its_handoff_found)
{
	static struct test_elf t;
	struct ldr_image_span span;
	struct ldr_handoff h;
	uint8_t *mem;

	make_elf(&t);
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_OK);
	cr_assert_eq(span.lo, IMG_BASE);
	cr_assert_eq(span.hi, IMG_BASE + 0x5000);

	mem = malloc(span.hi - span.lo);
	memset(mem, 0xee, span.hi - span.lo);
	ldr_elf_place(t.bytes, &span, mem);
	cr_assert_eq(mem[0], 0x90);
	cr_assert_eq(mem[0xfff], 0x90);
	cr_assert_eq(mem[0x1000], 0, "the gap between segments is zeroed");
	cr_assert_eq(mem[0x2000], 0xdd);
	cr_assert_eq(mem[0x27ff], 0xdd);
	cr_assert_eq(mem[0x2800], 0, "bss is zeroed, not copied from the file");
	cr_assert_eq(mem[0x4fff], 0);

	cr_assert_eq(ldr_find_handoff(mem, &span, &h), LDR_ELF_OK);
	cr_assert_eq(h.entry, IMG_BASE + 0x100);
	cr_assert_eq(h.image_start, IMG_BASE);
	cr_assert_eq(h.image_end, IMG_BASE + 0x5000);
	free(mem);
}

Test(efi_elf, unaligned_file_buffer_is_fine)
{
	static struct test_elf t;
	struct ldr_image_span span;
	uint8_t *buf = malloc(FILE_SIZE + 1);

	make_elf(&t);
	memcpy(buf + 1, elf_bytes(&t), FILE_SIZE);
	cr_assert_eq(ldr_elf_check(buf + 1, FILE_SIZE, &span), LDR_ELF_OK);
	free(buf);
}

Test(efi_elf, identity_checks)
{
	static struct test_elf t;
	struct ldr_image_span span;

	make_elf(&t);
	cr_assert_eq(check(&t, 63, &span), LDR_ELF_TRUNCATED);
	t.eh.e_ident[0] = 0x7e;
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_NOT_ELF);
	make_elf(&t);
	t.eh.e_ident[EI_CLASS] = 1; /* ELFCLASS32 */
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_NOT_X86_64);
	make_elf(&t);
	t.eh.e_ident[EI_DATA] = 2; /* big endian */
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_NOT_X86_64);
	make_elf(&t);
	t.eh.e_machine = 3; /* EM_386 */
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_NOT_X86_64);
	make_elf(&t);
	t.eh.e_type = 3; /* ET_DYN */
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_NOT_EXEC);
}

Test(efi_elf, program_header_table_checks)
{
	static struct test_elf t;
	struct ldr_image_span span;

	make_elf(&t);
	t.eh.e_phnum = 0;
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_BAD_PHDRS);
	make_elf(&t);
	t.eh.e_phentsize = 32;
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_BAD_PHDRS);
	make_elf(&t);
	t.eh.e_phnum = LDR_MAX_PHDRS + 1;
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_BAD_PHDRS);
	make_elf(&t);
	cr_assert_eq(check(&t, 64 + 2 * 56, &span), LDR_ELF_TRUNCATED, "table ends past the file");
	make_elf(&t);
	elf_bytes(&t);
	t.eh.e_phoff = UINT64_MAX - 8; /* offset + size wraps */
	memcpy(t.bytes, &t.eh, sizeof(t.eh));
	cr_assert_eq(ldr_elf_check(t.bytes, FILE_SIZE, &span), LDR_ELF_TRUNCATED);
}

Test(efi_elf, hostile_segments)
{
	static struct test_elf t;
	struct ldr_image_span span;

	make_elf(&t);
	t.ph[2].p_filesz = t.ph[2].p_memsz + 1;
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_BAD_SEGMENT);
	make_elf(&t);
	t.ph[2].p_filesz = 0x1001; /* 0x2000 + 0x1001 > file size */
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_BAD_SEGMENT);
	make_elf(&t);
	t.ph[0].p_offset = UINT64_MAX - 0x10; /* wraps */
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_BAD_SEGMENT);
	make_elf(&t);
	t.ph[2].p_paddr = 0xFFFFF000;
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_SEGMENT_RANGE, "ends above 4 GiB");
	make_elf(&t);
	t.ph[2].p_paddr = UINT64_MAX - 0x1000;
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_SEGMENT_RANGE, "wraps");
	make_elf(&t);
	t.ph[2].p_paddr = IMG_BASE + 0xfff; /* starts inside segment 0 */
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_SEGMENT_OVERLAP);
	make_elf(&t);
	t.ph[2].p_paddr = IMG_BASE + LDR_IMAGE_MAX_SPAN;
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_TOO_LARGE);
	make_elf(&t);
	t.ph[0].p_type = 4;
	t.ph[2].p_type = 6;
	cr_assert_eq(check(&t, FILE_SIZE, &span), LDR_ELF_NO_SEGMENTS);
}

Test(efi_elf, handoff_header_checks)
{
	static struct test_elf t;
	struct ldr_image_span span = { IMG_BASE, IMG_BASE + 0x10000 };
	struct ldr_handoff_raw h = { BH_EFI_HEADER_MAGIC0, IMG_BASE + 0x100, IMG_BASE,
				     IMG_BASE + 0x5000 };
	struct ldr_handoff out;
	uint8_t *mem = calloc(1, 0x10000);

	cr_assert_eq(ldr_find_handoff(mem, &span, &out), LDR_ELF_NO_HANDOFF);

	memcpy(mem + 0x7fe0, &h, sizeof(h)); /* last slot inside 32 KiB */
	cr_assert_eq(ldr_find_handoff(mem, &span, &out), LDR_ELF_OK);
	memset(mem, 0, 0x10000);
	memcpy(mem + 0x8000, &h, sizeof(h)); /* past 32 KiB: not looked at */
	cr_assert_eq(ldr_find_handoff(mem, &span, &out), LDR_ELF_NO_HANDOFF);
	memset(mem, 0, 0x10000);
	memcpy(mem + 0x44, &h, sizeof(h)); /* not 8-byte aligned: not looked at */
	cr_assert_eq(ldr_find_handoff(mem, &span, &out), LDR_ELF_NO_HANDOFF);

	h.entry = IMG_BASE + 0x5000; /* entry at image_end: outside */
	memcpy(mem + 0x40, &h, sizeof(h));
	cr_assert_eq(ldr_find_handoff(mem, &span, &out), LDR_ELF_BAD_HANDOFF);
	h.entry = IMG_BASE + 0x100;
	h.image_end = IMG_BASE + 0x11000; /* beyond what was loaded */
	memcpy(mem + 0x40, &h, sizeof(h));
	cr_assert_eq(ldr_find_handoff(mem, &span, &out), LDR_ELF_BAD_HANDOFF);
	h.image_start = IMG_BASE + 0x200; /* entry below image_start */
	h.image_end = IMG_BASE + 0x5000;
	memcpy(mem + 0x40, &h, sizeof(h));
	cr_assert_eq(ldr_find_handoff(mem, &span, &out), LDR_ELF_BAD_HANDOFF);

	/* A span smaller than the 32-byte header is searched without overreading. */
	span.hi = span.lo + 16;
	cr_assert_eq(ldr_find_handoff(mem, &span, &out), LDR_ELF_NO_HANDOFF);
	free(mem);
	(void)t;
}

/* ---- boot_info ----------------------------------------------------------- */

Test(efi_bootinfo, header_fields_and_cmdline)
{
	static struct boot_info bi;
	static char longline[BOOT_CMDLINE_MAX + 10];

	memset(&bi, 0x5a, sizeof(bi));
	ldr_bootinfo_init(&bi, "loglevel=2");
	cr_assert_eq(bi.magic, BOOT_INFO_MAGIC);
	cr_assert_eq(bi.version, BOOT_INFO_VERSION);
	cr_assert_eq(bi.source, BOOT_SRC_UEFI);
	cr_assert_str_eq(bi.loader_name, "Bulkhead EFI loader");
	cr_assert_str_eq(bi.cmdline, "loglevel=2");
	cr_assert_eq(bi.nr_mem, 0);
	cr_assert_eq(bi.flags, 0);
	cr_assert_eq(bi.acpi_rsdp, 0);

	memset(longline, 'x', sizeof(longline) - 1);
	ldr_bootinfo_init(&bi, longline);
	cr_assert_eq(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	cr_assert(bi.flags & BOOT_INFO_F_CMDLINE_CUT);
}

Test(efi_bootinfo, modules_beyond_the_table_are_counted)
{
	static struct boot_info bi;

	ldr_bootinfo_init(&bi, "");
	for (int i = 0; i < BOOT_MAX_MODULES; i++)
		cr_assert(ldr_bootinfo_add_module(&bi, 0x1000000 + i * 0x10000, 0x1234, "name=x"));
	cr_assert_not(ldr_bootinfo_add_module(&bi, 0x2000000, 1, "name=late"));
	cr_assert_eq(bi.nr_modules, BOOT_MAX_MODULES);
	cr_assert_eq(bi.dropped_modules, 1);
	cr_assert_eq(bi.modules[3].start, 0x1030000);
	cr_assert_eq(bi.modules[3].end, 0x1031234);
	cr_assert_str_eq(bi.modules[3].cmdline, "name=x");
}

static void rsdp_fix_checksums(uint8_t *r, uint32_t len)
{
	uint8_t sum = 0;

	r[8] = 0;
	for (int i = 0; i < 20; i++)
		sum += r[i];
	r[8] = (uint8_t)-sum;
	if (len > 20) {
		r[32] = 0;
		sum = 0;
		for (uint32_t i = 0; i < len; i++)
			sum += r[i];
		r[32] = (uint8_t)-sum;
	}
}

/* r must hold RSDP_BUF bytes: the checker reads as far as Length says. */
#define RSDP_BUF (ACPI_RSDP_MAX_LEN + 64)

static void make_rsdp(uint8_t *r, uint8_t revision, uint32_t len)
{
	memset(r, 0, RSDP_BUF);
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "BOCHS ", 6);
	r[15] = revision;
	r[16] = 0x78; /* RSDT address, arbitrary */
	if (revision >= 2) {
		memcpy(r + 20, &len, 4);
		r[24] = 0x99; /* XSDT address, arbitrary */
	}
	rsdp_fix_checksums(r, revision >= 2 ? len : 20);
}

Test(efi_bootinfo, rsdp_is_checked_and_copied)
{
	static struct boot_info bi;
	static uint8_t r[RSDP_BUF];

	ldr_bootinfo_init(&bi, "");
	make_rsdp(r, 2, 36);
	cr_assert(ldr_bootinfo_set_rsdp(&bi, r, 0x7fe0000));
	cr_assert_eq(bi.acpi_rsdp, 0x7fe0000);
	cr_assert_eq(bi.rsdp_len, 36);
	cr_assert_eq(memcmp(bi.rsdp_copy, r, 36), 0);

	ldr_bootinfo_init(&bi, "");
	make_rsdp(r, 0, 20);
	cr_assert(ldr_bootinfo_set_rsdp(&bi, r, 0xf0000));
	cr_assert_eq(bi.rsdp_len, 20, "ACPI 1.0 RSDP has no Length field");
}

Test(efi_bootinfo, bad_rsdp_leaves_none)
{
	static struct boot_info bi;
	static uint8_t r[RSDP_BUF];

	ldr_bootinfo_init(&bi, "");
	make_rsdp(r, 2, 36);
	r[0] = 'r';
	cr_assert_not(ldr_bootinfo_set_rsdp(&bi, r, 1));
	make_rsdp(r, 2, 36);
	r[9] ^= 1; /* first checksum broken */
	cr_assert_not(ldr_bootinfo_set_rsdp(&bi, r, 1));
	make_rsdp(r, 2, 36);
	r[30] ^= 1; /* extended checksum broken */
	cr_assert_not(ldr_bootinfo_set_rsdp(&bi, r, 1));
	make_rsdp(r, 2, 12); /* Length shorter than the structure */
	cr_assert_not(ldr_bootinfo_set_rsdp(&bi, r, 1));
	make_rsdp(r, 2, ACPI_RSDP_MAX_LEN + 1);
	cr_assert_not(ldr_bootinfo_set_rsdp(&bi, r, 1));
	cr_assert_eq(bi.acpi_rsdp, 0);
	cr_assert_eq(bi.rsdp_len, 0);
}

Test(efi_bootinfo, memory_types)
{
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_CONVENTIONAL), BOOT_MEM_USABLE);
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_LOADER_CODE), BOOT_MEM_USABLE);
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_LOADER_DATA), BOOT_MEM_USABLE);
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_BOOT_SERVICES_CODE), BOOT_MEM_USABLE);
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_BOOT_SERVICES_DATA), BOOT_MEM_USABLE);
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_ACPI_RECLAIM), BOOT_MEM_ACPI_RECLAIM);
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_ACPI_NVS), BOOT_MEM_ACPI_NVS);
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_UNUSABLE), BOOT_MEM_BAD);
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_RUNTIME_SERVICES_CODE), BOOT_MEM_RESERVED);
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_RUNTIME_SERVICES_DATA), BOOT_MEM_RESERVED);
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_MMIO), BOOT_MEM_RESERVED);
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_RESERVED), BOOT_MEM_RESERVED);
	cr_assert_eq(ldr_efi_type_to_boot(LDR_EFI_MT_PERSISTENT), BOOT_MEM_RESERVED);
	cr_assert_eq(ldr_efi_type_to_boot(0x70000000), BOOT_MEM_RESERVED, "OEM types");
}

/* A UEFI map with the firmware's 48-byte stride (8 bytes of padding that
 * the converter must skip). */
#define DESC_SIZE 48
struct map_builder {
	uint8_t buf[DESC_SIZE * 300];
	uint64_t size;
};

static void map_add(struct map_builder *m, uint32_t type, uint64_t base, uint64_t pages)
{
	struct ldr_efi_mem_desc d = { .type = type, .phys_start = base, .nr_pages = pages };

	memcpy(m->buf + m->size, &d, sizeof(d));
	memset(m->buf + m->size + sizeof(d), 0xa5, DESC_SIZE - sizeof(d));
	m->size += DESC_SIZE;
}

static void assert_range(const struct boot_info *bi, uint32_t i, uint64_t base, uint64_t len,
			 uint32_t type)
{
	cr_assert_lt(i, bi->nr_mem);
	cr_assert_eq(bi->mem[i].base, base, "range %u base %#lx", i, bi->mem[i].base);
	cr_assert_eq(bi->mem[i].len, len, "range %u len %#lx", i, bi->mem[i].len);
	cr_assert_eq(bi->mem[i].type, type, "range %u type %u", i, bi->mem[i].type);
}

Test(efi_bootinfo, memmap_is_sorted_and_merged)
{
	static struct boot_info bi;
	static struct map_builder m;

	memset(&m, 0, sizeof(m));
	/* Out of order, as firmware may report it. */
	map_add(&m, LDR_EFI_MT_BOOT_SERVICES_DATA, 0x100000, 0x10); /* 1M..1M+64K */
	map_add(&m, LDR_EFI_MT_CONVENTIONAL, 0x0, 0xa0);            /* 0..640K */
	map_add(&m, LDR_EFI_MT_ACPI_NVS, 0x800000, 0x8);
	map_add(&m, LDR_EFI_MT_CONVENTIONAL, 0x120000, 0x10); /* bridges the next two */
	map_add(&m, LDR_EFI_MT_LOADER_DATA, 0x110000, 0x10);
	map_add(&m, LDR_EFI_MT_MMIO, 0xffe00000, 0x200);
	map_add(&m, LDR_EFI_MT_RUNTIME_SERVICES_DATA, 0x808000, 0x8);

	ldr_bootinfo_init(&bi, "");
	ldr_bootinfo_set_memmap(&bi, m.buf, m.size, DESC_SIZE);
	cr_assert_eq(bi.flags, 0);
	cr_assert_eq(bi.nr_mem, 5);
	assert_range(&bi, 0, 0x0, 0xa0000, BOOT_MEM_USABLE);
	assert_range(&bi, 1, 0x100000, 0x30000, BOOT_MEM_USABLE);
	assert_range(&bi, 2, 0x800000, 0x8000, BOOT_MEM_ACPI_NVS);
	assert_range(&bi, 3, 0x808000, 0x8000, BOOT_MEM_RESERVED);
	assert_range(&bi, 4, 0xffe00000, 0x200000, BOOT_MEM_RESERVED);
}

Test(efi_bootinfo, malformed_descriptors_are_skipped_and_flagged)
{
	static struct boot_info bi;
	static struct map_builder m;

	memset(&m, 0, sizeof(m));
	map_add(&m, LDR_EFI_MT_CONVENTIONAL, 0x100000, 0x100);          /* 1M..2M */
	map_add(&m, LDR_EFI_MT_CONVENTIONAL, 0x300000, 0);              /* empty */
	map_add(&m, LDR_EFI_MT_CONVENTIONAL, 0xfffffffffffff000ULL, 2); /* wraps */
	map_add(&m, LDR_EFI_MT_CONVENTIONAL, 0x180000, 0x100); /* overlaps, usable: dropped */

	ldr_bootinfo_init(&bi, "");
	ldr_bootinfo_set_memmap(&bi, m.buf, m.size, DESC_SIZE);
	cr_assert(bi.flags & BOOT_INFO_F_MEM_TRUNCATED);
	cr_assert_eq(bi.nr_mem, 1);
	assert_range(&bi, 0, 0x100000, 0x100000, BOOT_MEM_USABLE);

	/* A reserved range overlapping usable memory is still recorded so the
	 * hypervisor can keep out of it. */
	memset(&m, 0, sizeof(m));
	map_add(&m, LDR_EFI_MT_CONVENTIONAL, 0x100000, 0x100);
	map_add(&m, LDR_EFI_MT_RESERVED, 0x1ff000, 0x2);
	ldr_bootinfo_init(&bi, "");
	ldr_bootinfo_set_memmap(&bi, m.buf, m.size, DESC_SIZE);
	cr_assert(bi.flags & BOOT_INFO_F_MEM_TRUNCATED);
	cr_assert_eq(bi.nr_mem, 2);
	assert_range(&bi, 1, 0x1ff000, 0x2000, BOOT_MEM_RESERVED);
}

Test(efi_bootinfo, torn_map_and_small_stride)
{
	static struct boot_info bi;
	static struct map_builder m;

	memset(&m, 0, sizeof(m));
	map_add(&m, LDR_EFI_MT_CONVENTIONAL, 0x100000, 0x10);
	map_add(&m, LDR_EFI_MT_CONVENTIONAL, 0x200000, 0x10);
	ldr_bootinfo_init(&bi, "");
	ldr_bootinfo_set_memmap(&bi, m.buf, m.size - 8, DESC_SIZE); /* last one torn */
	cr_assert_eq(bi.nr_mem, 1);
	cr_assert(bi.flags & BOOT_INFO_F_MEM_TRUNCATED);

	ldr_bootinfo_init(&bi, "");
	ldr_bootinfo_set_memmap(&bi, m.buf, m.size, 24); /* shorter than a descriptor */
	cr_assert_eq(bi.nr_mem, 0);
	cr_assert(bi.flags & BOOT_INFO_F_MEM_TRUNCATED);

	ldr_bootinfo_init(&bi, "");
	ldr_bootinfo_set_memmap(&bi, m.buf, 0, DESC_SIZE);
	cr_assert_eq(bi.nr_mem, 0);
	cr_assert_eq(bi.flags, 0);
}

Test(efi_bootinfo, too_many_ranges_are_counted_not_lost_silently)
{
	static struct boot_info bi;
	static struct map_builder m;

	memset(&m, 0, sizeof(m));
	/* Alternating types so nothing merges: 140 ranges. */
	for (int i = 0; i < 140; i++)
		map_add(&m, i & 1 ? LDR_EFI_MT_RESERVED : LDR_EFI_MT_CONVENTIONAL,
			0x100000 + (uint64_t)i * 0x1000, 1);
	ldr_bootinfo_init(&bi, "");
	ldr_bootinfo_set_memmap(&bi, m.buf, m.size, DESC_SIZE);
	cr_assert_eq(bi.nr_mem, BOOT_MAX_MEM_RANGES);
	cr_assert_eq(bi.dropped_mem, 140 - BOOT_MAX_MEM_RANGES);
	for (uint32_t i = 1; i < bi.nr_mem; i++)
		cr_assert_gt(bi.mem[i].base, bi.mem[i - 1].base, "sorted");
}
