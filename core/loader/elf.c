/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/lib/string.h"
#include "core/loader/elf.h"

/* Field offsets and values from the ELF specification (e_ident, e_type,
 * e_machine; program header p_type). */
#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define ELF_MAX_PHDRS 64

struct __packed elf32_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct __packed elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct __packed elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

struct __packed elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* One program header in a class-neutral form. */
struct seg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

bool elf_is_elf(const void *img, uint64_t size)
{
	const uint8_t *b = img;
	return size >= 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
}

static bool read_phdr(const uint8_t *img, uint64_t size, bool is64, uint64_t phoff, unsigned int i,
		      struct seg *s)
{
	uint64_t esz = is64 ? sizeof(struct elf64_phdr) : sizeof(struct elf32_phdr);
	uint64_t off = phoff + i * esz;
	if (!range_within(off, esz, 0, size))
		return false;
	if (is64) {
		struct elf64_phdr p;
		bh_memcpy(&p, img + off, sizeof(p));
		*s = (struct seg){ p.type, p.offset, p.paddr, p.filesz, p.memsz };
	} else {
		struct elf32_phdr p;
		bh_memcpy(&p, img + off, sizeof(p));
		*s = (struct seg){ p.type, p.offset, p.paddr, p.filesz, p.memsz };
	}
	return true;
}

static bool check_header(const uint8_t *img, uint64_t size, struct elf_info *out, uint64_t *phoff,
			 unsigned int *phnum, const char **why)
{
	if (!elf_is_elf(img, size) || size < sizeof(struct elf32_ehdr)) {
		*why = "not an ELF file";
		return false;
	}
	if (img[EI_DATA] != ELFDATA2LSB) {
		*why = "ELF is not little-endian";
		return false;
	}
	if (img[EI_CLASS] == ELFCLASS64) {
		struct elf64_ehdr h;
		if (size < sizeof(h)) {
			*why = "ELF64 header truncated";
			return false;
		}
		bh_memcpy(&h, img, sizeof(h));
		if (h.type != ET_EXEC || h.machine != EM_X86_64 ||
		    h.phentsize != sizeof(struct elf64_phdr)) {
			*why = "not an x86-64 executable ELF (type, machine or phentsize)";
			return false;
		}
		out->is64 = true;
		out->entry = h.entry;
		*phoff = h.phoff;
		*phnum = h.phnum;
	} else if (img[EI_CLASS] == ELFCLASS32) {
		struct elf32_ehdr h;
		bh_memcpy(&h, img, sizeof(h));
		if (h.type != ET_EXEC || h.machine != EM_386 ||
		    h.phentsize != sizeof(struct elf32_phdr)) {
			*why = "not an i386 executable ELF (type, machine or phentsize)";
			return false;
		}
		out->is64 = false;
		out->entry = h.entry;
		*phoff = h.phoff;
		*phnum = h.phnum;
	} else {
		*why = "unknown ELF class";
		return false;
	}
	if (*phnum == 0 || *phnum > ELF_MAX_PHDRS) {
		*why = "ELF has no program headers, or too many";
		return false;
	}
	return true;
}

/* A loadable segment must lie inside the image (file part) and inside one
 * RAM region (memory part); returns where it goes, or NULL with *why set. */
static uint8_t *check_segment(const struct seg *s, uint64_t size, const struct gmem *mem,
			      const char **why)
{
	if (s->filesz > s->memsz) {
		*why = "a segment's file size exceeds its memory size";
		return NULL;
	}
	if (!range_within(s->offset, s->filesz, 0, size)) {
		*why = "a segment's data runs past the end of the image (truncated file?)";
		return NULL;
	}
	uint8_t *dst = gmem_ptr(mem, s->paddr, s->memsz);
	if (!dst)
		*why = "a segment does not fit in the partition's RAM";
	return dst;
}

static bool is_loadable(const struct seg *s)
{
	return s->type == PT_LOAD && s->memsz != 0;
}

bool elf_load(const void *image, uint64_t size, const struct gmem *mem, struct elf_info *out,
	      const char **why)
{
	const uint8_t *img = image;
	uint64_t phoff;
	unsigned int phnum, loaded = 0;
	bool entry_inside = false;
	struct seg s;

	bh_memset(out, 0, sizeof(*out));
	out->lowest = UINT64_MAX;
	if (!check_header(img, size, out, &phoff, &phnum, why))
		return false;

	/* Validate every segment and the entry point before copying anything,
	 * so a refused image leaves guest RAM as it was. */
	for (unsigned int i = 0; i < phnum; i++) {
		if (!read_phdr(img, size, out->is64, phoff, i, &s)) {
			*why = "program header table runs past the end of the image";
			return false;
		}
		if (!is_loadable(&s))
			continue;
		if (!check_segment(&s, size, mem, why))
			return false;
		out->lowest = MIN(out->lowest, s.paddr);
		out->highest = MAX(out->highest, s.paddr + s.memsz);
		if (out->entry >= s.paddr && out->entry - s.paddr < s.memsz)
			entry_inside = true;
		loaded++;
	}
	if (!loaded) {
		*why = "ELF has no loadable segment";
		return false;
	}
	if (!entry_inside) {
		*why = "ELF entry point is outside its loaded segments";
		return false;
	}
	for (unsigned int i = 0; i < phnum; i++) {
		read_phdr(img, size, out->is64, phoff, i, &s);
		if (!is_loadable(&s))
			continue;
		uint8_t *dst = check_segment(&s, size, mem, why);
		bh_memcpy(dst, img + s.offset, s.filesz);
		bh_memset(dst + s.filesz, 0, s.memsz - s.filesz);
	}
	return true;
}
