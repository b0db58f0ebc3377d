/* SPDX-License-Identifier: BSD-2-Clause */
/* Filling struct boot_info (arch/x86/boot/bootinfo.h) in the UEFI loader:
 * header fields, modules, the ACPI RSDP copy and the conversion of the UEFI
 * memory map into BOOT_MEM_* ranges. Pure code: no firmware calls, so it can
 * run between GetMemoryMap and ExitBootServices (where nothing may allocate)
 * and in the host unit tests. */
#ifndef BULKHEAD_ARCH_X86_EFI_LOADER_BOOTINFO_H
#define BULKHEAD_ARCH_X86_EFI_LOADER_BOOTINFO_H

#include "arch/x86/boot/bootinfo.h"
#include "core/types.h"

#define LDR_LOADER_NAME "Bulkhead EFI loader"

/* EFI_MEMORY_TYPE values (UEFI 2.10 §7.2.1, table 7.6). */
#define LDR_EFI_MT_RESERVED 0
#define LDR_EFI_MT_LOADER_CODE 1
#define LDR_EFI_MT_LOADER_DATA 2
#define LDR_EFI_MT_BOOT_SERVICES_CODE 3
#define LDR_EFI_MT_BOOT_SERVICES_DATA 4
#define LDR_EFI_MT_RUNTIME_SERVICES_CODE 5
#define LDR_EFI_MT_RUNTIME_SERVICES_DATA 6
#define LDR_EFI_MT_CONVENTIONAL 7
#define LDR_EFI_MT_UNUSABLE 8
#define LDR_EFI_MT_ACPI_RECLAIM 9
#define LDR_EFI_MT_ACPI_NVS 10
#define LDR_EFI_MT_MMIO 11
#define LDR_EFI_MT_MMIO_PORT_SPACE 12
#define LDR_EFI_MT_PAL_CODE 13
#define LDR_EFI_MT_PERSISTENT 14

#define LDR_EFI_PAGE_SIZE 4096ULL /* UEFI pages are always 4 KiB (§7.2.1) */

/* EFI_MEMORY_DESCRIPTOR (UEFI 2.10 §7.2.3). The firmware's DescriptorSize may
 * be larger than this: walk the map with that stride, never sizeof. */
struct ldr_efi_mem_desc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start;
	uint64_t virt_start;
	uint64_t nr_pages;
	uint64_t attribute;
};

/* ACPI RSDP sizes (ACPI 6.4 §5.2.5.3): 20 bytes up to revision 1, then a
 * Length field (normally 36) and an extended checksum. */
#define ACPI_RSDP_V1_LEN 20
#define ACPI_RSDP_V2_MIN_LEN 36
#define ACPI_RSDP_MAX_LEN 4096 /* a larger Length is taken as corruption */

/* Zeroes bi and sets magic, version, source (UEFI), loader name and the
 * hypervisor command line (cut and flagged if longer than the buffer). */
void ldr_bootinfo_init(struct boot_info *bi, const char *cmdline);

/* Records module [start, start + size). False (and dropped_modules counted)
 * when the table is full. */
bool ldr_bootinfo_add_module(struct boot_info *bi, uint64_t start, uint64_t size,
			     const char *cmdline);

/* Checks the RSDP at rsdp (physical address phys) and copies it into bi.
 * False if the signature, a checksum or the length is wrong: bi is then left
 * without an RSDP. */
bool ldr_bootinfo_set_rsdp(struct boot_info *bi, const void *rsdp, uint64_t phys);

/* The BOOT_MEM_* type a UEFI memory type becomes once boot services are gone. */
uint32_t ldr_efi_type_to_boot(uint32_t efi_type);

/* Replaces bi->mem with the converted UEFI memory map (map_size bytes,
 * desc_size stride): sorted by address, adjacent ranges of one type merged.
 * Zero-length and wrapping descriptors, and usable descriptors that overlap
 * another range, are skipped and flagged (BOOT_INFO_F_MEM_TRUNCATED); ranges
 * that do not fit are counted in dropped_mem. Allocates nothing. */
void ldr_bootinfo_set_memmap(struct boot_info *bi, const void *map, uint64_t map_size,
			     uint64_t desc_size);

#endif
