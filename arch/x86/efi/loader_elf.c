/* SPDX-License-Identifier: BSD-2-Clause */
/* ELF64 checks and placement for the UEFI loader (see loader_elf.h).
 * Field layouts: System V ABI, "ELF-64 Object File Format" 1.5 §3-§8 and the
 * x86-64 psABI (EM_X86_64 = 62). Headers are copied out with bh_memcpy so an
 * unaligned or hostile file never causes an unaligned or out-of-bounds read. */
#include "arch/x86/efi/loader_elf.h"

#include "arch/x86/boot/bootinfo.h"
#include "core/lib/string.h"

#define EI_NIDENT 16
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define EM_X86_64 62
#define PT_LOAD 1

struct elf64_ehdr {
	uint8_t e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};

STATIC_ASSERT(sizeof(struct elf64_ehdr) == 64, "ELF64 header is 64 bytes");
STATIC_ASSERT(sizeof(struct elf64_phdr) == 56, "ELF64 program header is 56 bytes");

struct ldr_handoff_raw {
	uint64_t magic;
	uint64_t entry;
	uint64_t image_start;
	uint64_t image_end;
};

static void read_ehdr(const void *file, struct elf64_ehdr *eh)
{
	bh_memcpy(eh, file, sizeof(*eh));
}

/* Caller has checked that the table lies inside the file. */
static void read_phdr(const void *file, const struct elf64_ehdr *eh, unsigned int i,
		      struct elf64_phdr *ph)
{
	const uint8_t *p = (const uint8_t *)file + eh->e_phoff + (uint64_t)i * eh->e_phentsize;
	bh_memcpy(ph, p, sizeof(*ph));
}

static enum ldr_elf_error check_ident(const struct elf64_ehdr *eh)
{
	static const uint8_t elf_magic[4] = { 0x7f, 'E', 'L', 'F' };

	if (bh_memcmp(eh->e_ident, elf_magic, sizeof(elf_magic)) != 0)
		return LDR_ELF_NOT_ELF;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_machine != EM_X86_64)
		return LDR_ELF_NOT_X86_64;
	if (eh->e_type != ET_EXEC)
		return LDR_ELF_NOT_EXEC;
	return LDR_ELF_OK;
}

static enum ldr_elf_error check_phdr_table(const struct elf64_ehdr *eh, uint64_t size)
{
	uint64_t table;

	if (eh->e_phnum == 0 || eh->e_phnum > LDR_MAX_PHDRS)
		return LDR_ELF_BAD_PHDRS;
	if (eh->e_phentsize < sizeof(struct elf64_phdr))
		return LDR_ELF_BAD_PHDRS;
	table = (uint64_t)eh->e_phnum * eh->e_phentsize; /* at most 64 * 65535 */
	if (!range_within(eh->e_phoff, table, 0, size))
		return LDR_ELF_TRUNCATED;
	return LDR_ELF_OK;
}

static enum ldr_elf_error check_segment(const struct elf64_phdr *ph, uint64_t size)
{
	if (ph->p_filesz > ph->p_memsz)
		return LDR_ELF_BAD_SEGMENT;
	if (!range_within(ph->p_offset, ph->p_filesz, 0, size))
		return LDR_ELF_BAD_SEGMENT;
	if (!range_within(ph->p_paddr, ph->p_memsz, 0, LDR_IMAGE_LIMIT))
		return LDR_ELF_SEGMENT_RANGE;
	return LDR_ELF_OK;
}

static bool is_loaded(const struct elf64_phdr *ph)
{
	return ph->p_type == PT_LOAD && ph->p_memsz != 0;
}

static bool segments_overlap(const struct elf64_phdr *a, const struct elf64_phdr *b)
{
	return a->p_paddr < b->p_paddr + b->p_memsz && b->p_paddr < a->p_paddr + a->p_memsz;
}

static enum ldr_elf_error check_overlaps(const void *file, const struct elf64_ehdr *eh)
{
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		struct elf64_phdr a;

		read_phdr(file, eh, i, &a);
		if (!is_loaded(&a))
			continue;
		for (unsigned int j = i + 1; j < eh->e_phnum; j++) {
			struct elf64_phdr b;

			read_phdr(file, eh, j, &b);
			if (is_loaded(&b) && segments_overlap(&a, &b))
				return LDR_ELF_SEGMENT_OVERLAP;
		}
	}
	return LDR_ELF_OK;
}

enum ldr_elf_error ldr_elf_check(const void *file, uint64_t size, struct ldr_image_span *span)
{
	struct elf64_ehdr eh;
	uint64_t lo = UINT64_MAX, hi = 0;
	enum ldr_elf_error err;

	if (size < sizeof(eh))
		return LDR_ELF_TRUNCATED;
	read_ehdr(file, &eh);
	err = check_ident(&eh);
	if (err == LDR_ELF_OK)
		err = check_phdr_table(&eh, size);
	if (err != LDR_ELF_OK)
		return err;

	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph;

		read_phdr(file, &eh, i, &ph);
		if (!is_loaded(&ph))
			continue;
		err = check_segment(&ph, size);
		if (err != LDR_ELF_OK)
			return err;
		lo = MIN(lo, ph.p_paddr);
		hi = MAX(hi, ph.p_paddr + ph.p_memsz);
	}
	if (hi == 0)
		return LDR_ELF_NO_SEGMENTS;
	err = check_overlaps(file, &eh);
	if (err != LDR_ELF_OK)
		return err;

	/* hi <= 4 GiB, so rounding up cannot wrap. */
	span->lo = ALIGN_DOWN(lo, PAGE_SIZE);
	span->hi = ALIGN_UP(hi, PAGE_SIZE);
	if (span->hi - span->lo > LDR_IMAGE_MAX_SPAN)
		return LDR_ELF_TOO_LARGE;
	return LDR_ELF_OK;
}

void ldr_elf_place(const void *file, const struct ldr_image_span *span, void *dest)
{
	struct elf64_ehdr eh;

	read_ehdr(file, &eh);
	bh_memset(dest, 0, span->hi - span->lo);
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		struct elf64_phdr ph;

		read_phdr(file, &eh, i, &ph);
		if (!is_loaded(&ph))
			continue;
		bh_memcpy((uint8_t *)dest + (ph.p_paddr - span->lo),
			  (const uint8_t *)file + ph.p_offset, ph.p_filesz);
	}
}

static bool handoff_valid(const struct ldr_handoff_raw *h, const struct ldr_image_span *span)
{
	if (h->image_start >= h->image_end)
		return false;
	if (h->image_start < span->lo || h->image_end > span->hi)
		return false;
	return h->entry >= h->image_start && h->entry < h->image_end;
}

enum ldr_elf_error ldr_find_handoff(const void *image, const struct ldr_image_span *span,
				    struct ldr_handoff *out)
{
	uint64_t limit = MIN(span->hi - span->lo, (uint64_t)LDR_HANDOFF_SEARCH_BYTES);
	struct ldr_handoff_raw h;

	/* The header is 8-byte aligned (".align 8" in entry.S). */
	for (uint64_t off = 0; off + sizeof(h) <= limit; off += 8) {
		bh_memcpy(&h, (const uint8_t *)image + off, sizeof(h));
		if (h.magic != BH_EFI_HEADER_MAGIC0)
			continue;
		if (!handoff_valid(&h, span))
			return LDR_ELF_BAD_HANDOFF;
		out->entry = h.entry;
		out->image_start = h.image_start;
		out->image_end = h.image_end;
		return LDR_ELF_OK;
	}
	return LDR_ELF_NO_HANDOFF;
}

const char *ldr_elf_strerror(enum ldr_elf_error err)
{
	switch (err) {
	case LDR_ELF_OK:
		return "no error";
	case LDR_ELF_TRUNCATED:
		return "file shorter than its headers say";
	case LDR_ELF_NOT_ELF:
		return "not an ELF file";
	case LDR_ELF_NOT_X86_64:
		return "not a little-endian ELF64 for x86-64";
	case LDR_ELF_NOT_EXEC:
		return "not an executable (ET_EXEC)";
	case LDR_ELF_BAD_PHDRS:
		return "unusable program header table";
	case LDR_ELF_BAD_SEGMENT:
		return "segment with filesz > memsz or data outside the file";
	case LDR_ELF_SEGMENT_RANGE:
		return "segment wraps or lies above 4 GiB";
	case LDR_ELF_SEGMENT_OVERLAP:
		return "overlapping PT_LOAD segments";
	case LDR_ELF_NO_SEGMENTS:
		return "no PT_LOAD segment";
	case LDR_ELF_TOO_LARGE:
		return "image spans more than 256 MiB";
	case LDR_ELF_NO_HANDOFF:
		return "no BHEFI64 handoff header in the first 32 KiB";
	case LDR_ELF_BAD_HANDOFF:
		return "handoff header addresses lie outside the loaded image";
	}
	return "unknown error";
}
