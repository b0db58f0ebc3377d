/* SPDX-License-Identifier: BSD-2-Clause */
/* Checking and placing the hypervisor image (an ELF64 executable) for the
 * UEFI loader, and finding its handoff header. Pure code: the firmware calls
 * (allocating the pages at the image's physical addresses) stay in
 * efi_main.c, so the host unit tests can feed this hostile files. */
#ifndef BULKHEAD_ARCH_X86_EFI_LOADER_ELF_H
#define BULKHEAD_ARCH_X86_EFI_LOADER_ELF_H

#include "core/types.h"

/* The image must run identity-mapped below 4 GiB (the hypervisor's early page
 * tables cover only that) and is not expected to be larger than this. */
#define LDR_IMAGE_LIMIT 0x100000000ULL
#define LDR_IMAGE_MAX_SPAN (256ULL << 20)
#define LDR_MAX_PHDRS 64

/* The handoff header is in the first 32 KiB of the loaded image
 * (arch/x86/boot/entry.S, bh_efi_header). */
#define LDR_HANDOFF_SEARCH_BYTES (32 * 1024)

/* Page-aligned physical range covering every PT_LOAD segment: [lo, hi). */
struct ldr_image_span {
	uint64_t lo;
	uint64_t hi;
};

/* Contents of the handoff header (bootinfo.h, BH_EFI_HEADER_MAGIC0). */
struct ldr_handoff {
	uint64_t entry;       /* efi_entry64 */
	uint64_t image_start; /* __image_start */
	uint64_t image_end;   /* __image_end */
};

enum ldr_elf_error {
	LDR_ELF_OK = 0,
	LDR_ELF_TRUNCATED,       /* smaller than its own headers say */
	LDR_ELF_NOT_ELF,         /* no \x7fELF magic */
	LDR_ELF_NOT_X86_64,      /* wrong class, byte order, version or machine */
	LDR_ELF_NOT_EXEC,        /* not ET_EXEC */
	LDR_ELF_BAD_PHDRS,       /* program header table size or count unusable */
	LDR_ELF_BAD_SEGMENT,     /* filesz > memsz, or file range outside the file */
	LDR_ELF_SEGMENT_RANGE,   /* physical range wraps or lies above 4 GiB */
	LDR_ELF_SEGMENT_OVERLAP, /* two PT_LOAD segments overlap */
	LDR_ELF_NO_SEGMENTS,     /* nothing to load */
	LDR_ELF_TOO_LARGE,       /* span larger than LDR_IMAGE_MAX_SPAN */
	LDR_ELF_NO_HANDOFF,      /* no BHEFI64 header in the first 32 KiB */
	LDR_ELF_BAD_HANDOFF,     /* header addresses outside the loaded image */
};

/* Validates an ELF64 x86-64 executable of size bytes and computes the physical
 * span its PT_LOAD segments occupy (by p_paddr). */
enum ldr_elf_error ldr_elf_check(const void *file, uint64_t size, struct ldr_image_span *span);

/* Copies the segments of a file that passed ldr_elf_check into dest, which
 * stands for physical address span->lo and holds span->hi - span->lo bytes.
 * Everything not covered by file data (bss, gaps) is zeroed. */
void ldr_elf_place(const void *file, const struct ldr_image_span *span, void *dest);

/* Looks for the handoff header in the placed image (dest of ldr_elf_place) and
 * checks that its addresses lie inside the span. */
enum ldr_elf_error ldr_find_handoff(const void *image, const struct ldr_image_span *span,
				    struct ldr_handoff *out);

const char *ldr_elf_strerror(enum ldr_elf_error err);

#endif
