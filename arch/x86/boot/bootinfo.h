/* SPDX-License-Identifier: BSD-2-Clause */
/* The assembler reads this file too: clang-format would break its .S lines. */
/* clang-format off */
/* The one boot-information structure every boot path fills in.
 *
 * arch/x86/boot/multiboot.c fills it from a Multiboot1 or Multiboot2
 * information block; the UEFI loader (arch/x86/efi/) fills it itself and
 * passes it to efi_entry64. After that nothing in the hypervisor looks at
 * firmware structures again. The layout is fixed (no pointers) because the
 * EFI loader, a separate program, builds it. */
#ifndef BULKHEAD_ARCH_X86_BOOT_BOOTINFO_H
#define BULKHEAD_ARCH_X86_BOOT_BOOTINFO_H

/* Magic values in EDI/RDI (first argument of boot_main). */
#define BOOT_MAGIC_MULTIBOOT1 0x2BADB002 /* Multiboot 0.6.96 §3.2 (EAX) */
#define BOOT_MAGIC_MULTIBOOT2 0x36D76289 /* Multiboot2 §3.3 (EAX) */
#define BOOT_MAGIC_BULKHEAD_EFI 0x42484546 /* "BHEF": RSI = struct boot_info * */

/* The handoff header the UEFI loader looks for in the first 32 KiB of the
 * loaded image (arch/x86/boot/entry.S, section .multiboot). */
#define BH_EFI_HEADER_MAGIC0 0x34364946454842ULL /* "BHEFI64\0" little endian */

#define BOOT_INFO_MAGIC 0x49424842 /* "BHBI" */
#define BOOT_INFO_VERSION 2
#define BOOT_MAX_MEM_RANGES 128
#define BOOT_MAX_MODULES 32
#define BOOT_CMDLINE_MAX 1024
#define BOOT_MODULE_CMDLINE_MAX 512

/* Memory range types (the Multiboot/E820 numbering, so MB maps copy through). */
#define BOOT_MEM_USABLE 1
#define BOOT_MEM_RESERVED 2
#define BOOT_MEM_ACPI_RECLAIM 3
#define BOOT_MEM_ACPI_NVS 4
#define BOOT_MEM_BAD 5

#define BOOT_SRC_MULTIBOOT1 1
#define BOOT_SRC_MULTIBOOT2 2
#define BOOT_SRC_UEFI 3

#ifndef __ASSEMBLY__
#include "core/types.h"

struct boot_mem_range {
	uint64_t base;
	uint64_t len;
	uint32_t type; /* BOOT_MEM_* */
	uint32_t reserved;
};

struct boot_module {
	uint64_t start; /* physical, inclusive */
	uint64_t end;   /* physical, exclusive */
	char cmdline[BOOT_MODULE_CMDLINE_MAX];
};

/* The screen the firmware left (boot_info.fb): none known, VGA text cells
 * (a BIOS machine), or a linear framebuffer of 32-bit pixels. */
#define BOOT_FB_NONE 0
#define BOOT_FB_VGA_TEXT 1
#define BOOT_FB_RGB32 2

struct boot_fb {
	uint64_t addr;     /* physical */
	uint32_t type;     /* BOOT_FB_* */
	uint32_t width;    /* pixels, or cells for text */
	uint32_t height;
	uint32_t pitch;    /* bytes per line */
	uint8_t red_shift, green_shift, blue_shift; /* bit position of each 8-bit channel */
	uint8_t reserved[5];
};

struct boot_info {
	uint32_t magic;   /* BOOT_INFO_MAGIC */
	uint32_t version; /* BOOT_INFO_VERSION */
	uint32_t source;  /* BOOT_SRC_* */
	uint32_t nr_mem;
	uint32_t nr_modules;
	uint32_t flags;   /* BOOT_INFO_F_* */
	uint64_t acpi_rsdp;        /* physical address of a copy of the RSDP, 0 if none */
	uint64_t efi_system_table; /* physical, 0 if not booted by UEFI */
	char loader_name[64];
	char cmdline[BOOT_CMDLINE_MAX];
	struct boot_mem_range mem[BOOT_MAX_MEM_RANGES];
	struct boot_module modules[BOOT_MAX_MODULES];
	/* The RSDP itself (up to 36 bytes, ACPI 6.4 §5.2.5.3), copied because the
	 * loader's copy is in memory we will reuse. */
	uint8_t rsdp_copy[40];
	uint32_t rsdp_len;
	uint32_t dropped_modules; /* modules that did not fit: reported, not silent */
	uint32_t dropped_mem;     /* memory ranges that did not fit */
	struct boot_fb fb;        /* where the screen console draws */
};

#define BOOT_INFO_F_MEM_TRUNCATED (1u << 0) /* a memory map entry was malformed */
#define BOOT_INFO_F_CMDLINE_CUT (1u << 1)   /* a command line was longer than the buffer */

#endif /* __ASSEMBLY__ */
#endif
