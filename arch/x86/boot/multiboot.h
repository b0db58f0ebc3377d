/* SPDX-License-Identifier: BSD-2-Clause */
/* Multiboot1 and Multiboot2 information parsing into struct boot_info.
 * Pure code: the caller supplies how to reach physical memory, so the host
 * unit tests feed crafted (and hostile) information blocks. */
#ifndef BULKHEAD_ARCH_X86_BOOT_MULTIBOOT_H
#define BULKHEAD_ARCH_X86_BOOT_MULTIBOOT_H

#include "arch/x86/boot/bootinfo.h"

/* Returns a pointer through which [pa, pa+len) can be read, or NULL if that
 * range is not readable. The hypervisor maps physical memory 1:1. */
typedef const void *(*phys_reader)(void *ctx, uint64_t pa, uint64_t len);

/* Fill bi from the loader's information. Returns false if the block is
 * unusable (bad magic, no memory map); bi then says why in its fields being
 * empty, and a line has been logged. Malformed parts are skipped with a
 * line each. */
bool multiboot1_parse(struct boot_info *bi, uint64_t info_pa, phys_reader rd, void *ctx);
bool multiboot2_parse(struct boot_info *bi, uint64_t info_pa, phys_reader rd, void *ctx);

/* Multiboot1 information flags (Multiboot 0.6.96 §3.3). */
#define MB1_INFO_MEM BIT(0)
#define MB1_INFO_CMDLINE BIT(2)
#define MB1_INFO_MODS BIT(3)
#define MB1_INFO_MMAP BIT(6)
#define MB1_INFO_LOADER_NAME BIT(9)
#define MB1_INFO_FRAMEBUFFER BIT(12)

/* Framebuffer types, the same in both versions (Multiboot 0.6.96 §3.3,
 * Multiboot2 §3.6.12). */
#define MB_FB_TYPE_INDEXED 0
#define MB_FB_TYPE_RGB 1
#define MB_FB_TYPE_EGA_TEXT 2

/* Multiboot2 tag types (Multiboot2 §3.6). */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_BASIC_MEMINFO 4
#define MB2_TAG_MMAP 6
#define MB2_TAG_FRAMEBUFFER 8
#define MB2_TAG_EFI64 12
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

#define MB2_INFO_MAX_SIZE (1u << 20) /* refuse absurd total_size */

#endif
