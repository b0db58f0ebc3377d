/* SPDX-License-Identifier: BSD-2-Clause */
/* Multiboot 1 kernels as partitions (kind=multiboot; Multiboot Specification
 * 0.6.96): the header is found and checked (mb1_find_header), the kernel is
 * loaded from its ELF program headers or by the a.out kludge's address
 * fields, its modules are placed after it, the Multiboot information
 * structure is written into guest RAM (mb1_load), and the first vCPU starts
 * in the machine state of section 3.2 (mb1_entry_state). Pure code: no
 * logging, every refusal comes back as one reason string the caller prints.
 *
 * Guest-physical layout (RAM starts at 0):
 *
 *   0x00000 - 0x07fff  free low memory (ESP starts at 0x8000; section 3.2
 *                      leaves ESP undefined, a kernel sets its own stack)
 *   0x08000 - 0x09fff  the loader's area: boot GDT, multiboot_info, memory
 *                      map, command line, loader name, module list and
 *                      module strings (no kernel segment may touch it)
 *   0x0a000 - 0x9fbff  free low memory
 *   0x9fc00 - 0xfffff  reserved (EBDA, VGA hole, BIOS area with the ACPI
 *                      tables at 0xE0000); no kernel segment may touch it
 *   0x100000 -         the kernel where its headers say, then the modules,
 *                      each page aligned, in module order
 */
#ifndef BULKHEAD_CORE_LOADER_MULTIBOOT_BOOT_H
#define BULKHEAD_CORE_LOADER_MULTIBOOT_BOOT_H

#include "core/exit.h"
#include "core/gmem.h"
#include "core/types.h"
#include "core/vcpu.h"

/* Multiboot 0.6.96 §3.1.1-3.1.2: the header lies 32-bit aligned within the
 * first 8192 bytes of the image; magic + flags + checksum sum to zero. */
#define MB1_HEADER_MAGIC 0x1badb002u
#define MB1_SEARCH_LIMIT 8192
#define MB1_HEADER_ALIGN 4
#define MB1_HEADER_MIN_SIZE 12  /* magic, flags, checksum */
#define MB1_HEADER_ADDR_SIZE 32 /* ... and the five address fields */
/* §3.2: EAX holds this when the kernel is entered. */
#define MB1_BOOT_MAGIC 0x2badb002u

/* Header flags (§3.1.2). Bits 0-15 are requirements: a loader that does not
 * understand one must refuse the image. Bits 16-31 are optional. */
#define MB1_HF_PAGE_ALIGN BIT(0)  /* modules page aligned (always done) */
#define MB1_HF_MEMORY_INFO BIT(1) /* mem_* and mmap_* (always given) */
#define MB1_HF_VIDEO_MODE BIT(2)  /* a video mode table: no video here */
#define MB1_HF_REQUIRED_MASK 0xffffu
#define MB1_HF_SUPPORTED_REQUIRED (MB1_HF_PAGE_ALIGN | MB1_HF_MEMORY_INFO)
#define MB1_HF_AOUT_KLUDGE BIT(16) /* load by the header's address fields */

/* multiboot_info flags (§3.3) this loader sets. */
#define MB1_INFO_MEMORY BIT(0)
#define MB1_INFO_CMDLINE BIT(2)
#define MB1_INFO_MODS BIT(3)
#define MB1_INFO_MEM_MAP BIT(6)
#define MB1_INFO_LOADER_NAME BIT(9)

/* multiboot_info field offsets (§3.3). */
#define MB1_INFO_FLAGS 0
#define MB1_INFO_MEM_LOWER 4
#define MB1_INFO_MEM_UPPER 8
#define MB1_INFO_CMDLINE_ADDR 16
#define MB1_INFO_MODS_COUNT 20
#define MB1_INFO_MODS_ADDR 24
#define MB1_INFO_MMAP_LENGTH 44
#define MB1_INFO_MMAP_ADDR 48
#define MB1_INFO_LOADER_NAME_ADDR 64
#define MB1_INFO_SIZE 0x80 /* up to the framebuffer fields, rounded */

/* One memory-map entry (§3.3): size (of the rest, 20), base, length, type. */
#define MB1_MMAP_ENTRY_SIZE 24
#define MB1_MMAP_ENTRY_SIZE_FIELD 20
#define MB1_MEM_AVAILABLE 1
#define MB1_MEM_RESERVED 2
/* One module-list entry (§3.3): mod_start, mod_end, string, reserved. */
#define MB1_MODULE_ENTRY_SIZE 16

/* The loader's area (see the layout above). */
#define MB1_AREA_START 0x8000ULL
#define MB1_GDT_GPA 0x8000ULL
#define MB1_INFO_GPA 0x8100ULL
#define MB1_MMAP_GPA 0x8200ULL
#define MB1_LOADER_NAME_GPA 0x8300ULL
#define MB1_CMDLINE_GPA 0x8400ULL
#define MB1_CMDLINE_AREA 0x400ULL
#define MB1_MODS_GPA 0x8800ULL
#define MB1_MOD_STRINGS_GPA 0x9000ULL
#define MB1_MOD_STRING_AREA 0x200ULL /* per module, NUL included */
#define MB1_AREA_END 0xa000ULL
#define MB1_STACK_TOP MB1_AREA_START

#define MB1_LOW_RAM_END 0x9fc00ULL /* mem_lower = 639 KiB, as a PC's BIOS */
#define MB1_HIGH_RAM 0x100000ULL
#define MB1_RAM_MAX GiB(3) /* PCI windows from 3 GiB (the DSDT's) */
#define MB1_MAX_MODULES 8
#define MB1_MMAP_MAX 4
#define MB1_WHY_MAX 160
#define MB1_LOADER_NAME "Bulkhead"

/* What the header says (§3.1). The address fields are valid only when
 * flags has MB1_HF_AOUT_KLUDGE. */
struct mb1_header {
	uint64_t offset; /* file offset of the magic */
	uint32_t flags;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct mb1_module {
	const void *data;
	uint64_t size;
	const char *string; /* its command line; NULL means "" */
};

struct mb1_load_params {
	const struct gmem *mem; /* guest RAM: one region [0, ram_size) */
	uint64_t ram_size;
	const char *cmdline; /* NUL-terminated; NULL means "" */
	const struct mb1_module *modules;
	unsigned int nr_modules;
};

struct mb1_mmap {
	uint64_t addr, len;
	uint32_t type; /* MB1_MEM_* */
};

struct mb1_layout {
	bool aout_kludge; /* loaded by the header's address fields */
	bool elf64;
	uint32_t entry;
	gpa_t kernel_lo, kernel_hi; /* extent of the loaded kernel, [lo, hi) */
	gpa_t module_start[MB1_MAX_MODULES];
	uint64_t module_size[MB1_MAX_MODULES];
	unsigned int nr_modules;
	gpa_t info;                    /* EBX */
	uint32_t mem_lower, mem_upper; /* KiB */
	struct mb1_mmap mmap[MB1_MMAP_MAX];
	unsigned int mmap_entries;
};

/* Find and check the header in the first 8192 bytes (magic, checksum,
 * required flags this loader understands, the kludge's address fields
 * consistent with the file). On failure returns false with the reason. */
bool mb1_find_header(const void *img, uint64_t size, struct mb1_header *out, char *why,
		     size_t why_size);

/* The memory map a partition of ram_size bytes gets (also the fw_cfg
 * etc/e820 table): up to MB1_MMAP_MAX entries, returns how many. */
unsigned int mb1_memory_map(uint64_t ram_size, struct mb1_mmap *out);

/* Load kernel and modules and write the information structure. Refuses
 * (false, reason in why) an image whose header is bad, whose segments lie
 * outside RAM, touch the loader's area or the reserved hole below 1 MiB,
 * or whose modules do not fit. On a refusal guest RAM may have been
 * written: the caller refuses the partition. */
bool mb1_load(const void *img, uint64_t size, const struct mb1_load_params *p,
	      struct mb1_layout *out, char *why, size_t why_size);

/* §3.2: protected mode, paging off, flat 4 GiB CS (0x18, 32-bit code) and
 * DS/ES/FS/GS/SS (0x10) from a GDT in the loader's area, EAX = 0x2BADB002,
 * EBX = the information structure, EFLAGS.IF and VM clear. */
void mb1_entry_state(const struct mb1_layout *l, struct vcpu_sregs *s, uint64_t gpr[GPR_COUNT],
		     uint64_t *rip, uint64_t *rflags);

#endif
