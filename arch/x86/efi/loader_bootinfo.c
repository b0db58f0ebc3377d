/* SPDX-License-Identifier: BSD-2-Clause */
/* struct boot_info construction for the UEFI loader (see loader_bootinfo.h). */
#include "arch/x86/efi/loader_bootinfo.h"

#include "core/lib/string.h"

#define ACPI_RSDP_SIGNATURE "RSD PTR "
#define ACPI_RSDP_SIG_LEN 8
#define ACPI_RSDP_REVISION_OFF 15
#define ACPI_RSDP_LENGTH_OFF 20
#define ACPI_RSDP_REV_LENGTH_FIELD 2 /* revision from which Length is valid */

void ldr_bootinfo_init(struct boot_info *bi, const char *cmdline)
{
	bh_memset(bi, 0, sizeof(*bi));
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->source = BOOT_SRC_UEFI;
	bh_strlcpy(bi->loader_name, LDR_LOADER_NAME, sizeof(bi->loader_name));
	if (bh_strlcpy(bi->cmdline, cmdline, sizeof(bi->cmdline)) >= sizeof(bi->cmdline))
		bi->flags |= BOOT_INFO_F_CMDLINE_CUT;
}

bool ldr_bootinfo_add_module(struct boot_info *bi, uint64_t start, uint64_t size, const char *cmdline)
{
	struct boot_module *m;

	if (bi->nr_modules >= BOOT_MAX_MODULES) {
		bi->dropped_modules++;
		return false;
	}
	m = &bi->modules[bi->nr_modules++];
	m->start = start;
	m->end = start + size;
	if (bh_strlcpy(m->cmdline, cmdline, sizeof(m->cmdline)) >= sizeof(m->cmdline))
		bi->flags |= BOOT_INFO_F_CMDLINE_CUT;
	return true;
}

static bool bytes_sum_to_zero(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

bool ldr_bootinfo_set_rsdp(struct boot_info *bi, const void *rsdp, uint64_t phys)
{
	const uint8_t *p = rsdp;
	uint32_t len = ACPI_RSDP_V1_LEN;

	if (bh_memcmp(p, ACPI_RSDP_SIGNATURE, ACPI_RSDP_SIG_LEN) != 0)
		return false;
	/* The first 20 bytes carry their own checksum in every revision. */
	if (!bytes_sum_to_zero(p, ACPI_RSDP_V1_LEN))
		return false;
	if (p[ACPI_RSDP_REVISION_OFF] >= ACPI_RSDP_REV_LENGTH_FIELD) {
		bh_memcpy(&len, p + ACPI_RSDP_LENGTH_OFF, sizeof(len));
		if (len < ACPI_RSDP_V2_MIN_LEN || len > ACPI_RSDP_MAX_LEN)
			return false;
		if (!bytes_sum_to_zero(p, len))
			return false;
	}
	len = MIN(len, (uint32_t)sizeof(bi->rsdp_copy));
	bh_memcpy(bi->rsdp_copy, p, len);
	bi->rsdp_len = len;
	bi->acpi_rsdp = phys;
	return true;
}

uint32_t ldr_efi_type_to_boot(uint32_t efi_type)
{
	switch (efi_type) {
	case LDR_EFI_MT_LOADER_CODE:
	case LDR_EFI_MT_LOADER_DATA:
	case LDR_EFI_MT_BOOT_SERVICES_CODE:
	case LDR_EFI_MT_BOOT_SERVICES_DATA:
	case LDR_EFI_MT_CONVENTIONAL:
		return BOOT_MEM_USABLE; /* free once ExitBootServices has returned */
	case LDR_EFI_MT_ACPI_RECLAIM:
		return BOOT_MEM_ACPI_RECLAIM;
	case LDR_EFI_MT_ACPI_NVS:
		return BOOT_MEM_ACPI_NVS;
	case LDR_EFI_MT_UNUSABLE:
		return BOOT_MEM_BAD; /* memory with detected errors */
	default:
		return BOOT_MEM_RESERVED; /* runtime services, MMIO, PAL, persistent, unknown */
	}
}

static bool ranges_overlap(const struct boot_mem_range *r, uint64_t base, uint64_t len)
{
	return r->base < base + len && base < r->base + r->len;
}

static void remove_range(struct boot_info *bi, uint32_t i)
{
	bh_memmove(&bi->mem[i], &bi->mem[i + 1], (bi->nr_mem - i - 1) * sizeof(bi->mem[0]));
	bi->nr_mem--;
}

/* Inserts [base, base + len) keeping bi->mem sorted and merged. */
static void insert_range(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
	struct boot_mem_range *prev = NULL, *next = NULL;
	uint32_t i = 0;

	while (i < bi->nr_mem && bi->mem[i].base < base)
		i++;
	if (i > 0)
		prev = &bi->mem[i - 1];
	if (i < bi->nr_mem)
		next = &bi->mem[i];

	if ((prev && ranges_overlap(prev, base, len)) || (next && ranges_overlap(next, base, len))) {
		/* A firmware bug. Never let it make memory usable that another
		 * descriptor says is not; a non-usable range is still recorded
		 * (the hypervisor lets non-usable win where ranges overlap). */
		bi->flags |= BOOT_INFO_F_MEM_TRUNCATED;
		if (type == BOOT_MEM_USABLE)
			return;
		prev = next = NULL; /* no merging across an overlap */
	}

	if (prev && prev->type == type && prev->base + prev->len == base) {
		prev->len += len;
		if (next && next->type == type && prev->base + prev->len == next->base) {
			prev->len += next->len;
			remove_range(bi, i);
		}
		return;
	}
	if (next && next->type == type && base + len == next->base) {
		next->base = base;
		next->len += len;
		return;
	}
	if (bi->nr_mem >= BOOT_MAX_MEM_RANGES) {
		bi->dropped_mem++;
		return;
	}
	bh_memmove(&bi->mem[i + 1], &bi->mem[i], (bi->nr_mem - i) * sizeof(bi->mem[0]));
	bi->mem[i].base = base;
	bi->mem[i].len = len;
	bi->mem[i].type = type;
	bi->mem[i].reserved = 0;
	bi->nr_mem++;
}

void ldr_bootinfo_set_memmap(struct boot_info *bi, const void *map, uint64_t map_size,
			     uint64_t desc_size)
{
	bi->nr_mem = 0;
	bi->dropped_mem = 0;
	if (desc_size < sizeof(struct ldr_efi_mem_desc)) {
		bi->flags |= BOOT_INFO_F_MEM_TRUNCATED;
		return;
	}
	for (uint64_t off = 0; off <= map_size && desc_size <= map_size - off; off += desc_size) {
		struct ldr_efi_mem_desc d;
		uint64_t len;

		bh_memcpy(&d, (const uint8_t *)map + off, sizeof(d));
		if (d.nr_pages == 0 || d.nr_pages > (UINT64_MAX - d.phys_start) / LDR_EFI_PAGE_SIZE) {
			bi->flags |= BOOT_INFO_F_MEM_TRUNCATED;
			continue;
		}
		len = d.nr_pages * LDR_EFI_PAGE_SIZE;
		insert_range(bi, d.phys_start, len, ldr_efi_type_to_boot(d.type));
	}
	if (map_size % desc_size)
		bi->flags |= BOOT_INFO_F_MEM_TRUNCATED; /* a torn last descriptor */
}
