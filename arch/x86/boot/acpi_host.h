/* SPDX-License-Identifier: BSD-2-Clause */
/* The machine's own ACPI tables, read once at boot to learn which CPUs exist:
 * RSDP (from the loader, or found in the BIOS areas), RSDT/XSDT, MADT.
 * Firmware tables are treated as hostile input: every length is bounded,
 * every checksum checked, and a table that fails is skipped with one line.
 * Pure code: memory is reached through a phys_reader, so host unit tests and
 * the fuzzer feed crafted tables. */
#ifndef BULKHEAD_ARCH_X86_BOOT_ACPI_HOST_H
#define BULKHEAD_ARCH_X86_BOOT_ACPI_HOST_H

#include "arch/x86/boot/bootinfo.h"
#include "arch/x86/boot/multiboot.h"
#include "core/types.h"

/* RSDP (ACPI 6.4 §5.2.5.3). */
#define ACPI_RSDP_SIG "RSD PTR "
#define ACPI_RSDP_SIG_LEN 8
#define ACPI_RSDP_V1_LEN 20 /* bytes covered by Checksum */
#define ACPI_RSDP_V2_LEN 36 /* smallest Length of an ACPI 2.0+ RSDP */
#define ACPI_RSDP_OFF_CHECKSUM 8
#define ACPI_RSDP_OFF_REVISION 15
#define ACPI_RSDP_OFF_RSDT 16
#define ACPI_RSDP_OFF_LENGTH 20
#define ACPI_RSDP_OFF_XSDT 24
#define ACPI_RSDP_REV_XSDT 2   /* revision from which Length/XSDT exist */
#define ACPI_RSDP_MAX_LEN 4096 /* a larger Length is corruption */

/* Where a BIOS may keep the RSDP (ACPI 6.4 §5.2.5.1): the first KiB of the
 * EBDA, whose segment is the word at 40:0Eh, and 0xE0000-0xFFFFF, on 16-byte
 * boundaries. */
#define ACPI_BDA_EBDA_SEG 0x40e
#define ACPI_EBDA_SCAN_LEN 1024
#define ACPI_EBDA_MIN 0x80000 /* an EBDA segment outside 512-640 KiB is junk */
#define ACPI_EBDA_MAX 0xa0000
#define ACPI_BIOS_ROM_START 0xe0000
#define ACPI_BIOS_ROM_END 0x100000
#define ACPI_RSDP_ALIGN 16

/* System description table header (ACPI 6.4 §5.2.6). */
#define ACPI_SDT_HDR_LEN 36
#define ACPI_SDT_OFF_LENGTH 4
#define ACPI_SDT_MAX_LEN (1u << 20) /* no RSDT, XSDT or MADT is this large */
#define ACPI_SIG_RSDT "RSDT"
#define ACPI_SIG_XSDT "XSDT"
#define ACPI_SIG_MADT "APIC"
#define ACPI_SIG_FADT "FACP"
#define ACPI_SIG_HPET "HPET"

/* Generic Address Structure (ACPI 6.4 §5.2.3.2): space, bit width, bit
 * offset, access size, 64-bit address. */
#define ACPI_GAS_LEN 12
#define ACPI_GAS_OFF_ADDR 4
#define ACPI_GAS_SPACE_MEMORY 0
#define ACPI_GAS_SPACE_IO 1

/* FADT (ACPI 6.4 §5.2.9, Table 5.34): the PM timer, a 3.579545 MHz counter
 * of 24 bits, or 32 with TMR_VAL_EXT. */
#define ACPI_FADT_OFF_PM_TMR_BLK 76
#define ACPI_FADT_OFF_PM_TMR_LEN 91
#define ACPI_FADT_OFF_FLAGS 112
#define ACPI_FADT_OFF_X_PM_TMR_BLK 208
#define ACPI_FADT_FLAG_TMR_VAL_EXT BIT(8)
#define ACPI_PM_TMR_LEN 4
#define ACPI_PM_TIMER_HZ 3579545ULL

/* HPET description table (IA-PC HPET Specification 1.0a §3.2.4): the
 * event timer block's base address as a GAS at offset 40. */
#define ACPI_HPET_OFF_BASE 40
#define ACPI_HPET_MIN_LEN 56

/* MADT (ACPI 6.4 §5.2.12). */
#define ACPI_MADT_OFF_LAPIC_ADDR 36
#define ACPI_MADT_OFF_FLAGS 40
#define ACPI_MADT_OFF_ENTRIES 44
#define ACPI_MADT_PCAT_COMPAT BIT(0)
#define ACPI_MADT_LOCAL_APIC 0 /* §5.2.12.2, 8 bytes */
#define ACPI_MADT_LOCAL_APIC_LEN 8
#define ACPI_MADT_LAPIC_OVERRIDE 5 /* §5.2.12.8, 12 bytes */
#define ACPI_MADT_LAPIC_OVERRIDE_LEN 12
#define ACPI_MADT_LOCAL_X2APIC 9 /* §5.2.12.12, 16 bytes */
#define ACPI_MADT_LOCAL_X2APIC_LEN 16
#define ACPI_MADT_CPU_ENABLED BIT(0)
#define ACPI_MADT_CPU_ONLINE_CAPABLE BIT(1)

/* Enabled processors remembered; more are counted in nr_dropped. */
#define ACPI_HOST_MAX_CPUS 64

struct acpi_host_cpu {
	uint32_t apic_id;
	uint32_t uid; /* ACPI processor UID */
	bool x2apic;  /* listed by a Local x2APIC entry */
};

struct acpi_host {
	uint64_t rsdp_pa; /* 0: no RSDP found */
	uint8_t rsdp_revision;
	bool rsdp_from_loader; /* the loader's copy, not a BIOS-area scan */
	bool via_xsdt;         /* the MADT was found through the XSDT */
	uint64_t madt_pa;      /* 0: no valid MADT */
	uint64_t lapic_pa;     /* the MADT's address, or its 64-bit override */
	uint32_t madt_flags;
	unsigned int nr_cpus; /* enabled processors, in MADT order, no duplicates */
	struct acpi_host_cpu cpus[ACPI_HOST_MAX_CPUS];
	unsigned int nr_dropped;    /* enabled processors beyond ACPI_HOST_MAX_CPUS */
	unsigned int nr_disabled;   /* listed but neither enabled nor used (hot-plug slots) */
	unsigned int nr_duplicates; /* entries naming an APIC ID listed before */
	/* Clocks for TSC calibration (arch/x86/cpu/tsc.c); 0: none found. */
	uint16_t pm_timer_port; /* the FADT's PM timer I/O port */
	bool pm_timer_32bit;    /* TMR_VAL_EXT: 32 bits, else 24 */
	uint64_t hpet_pa;       /* the HPET table's event timer block */
};

/* Fill ai from the machine's tables (MADT; and the FADT's PM timer and the
 * HPET, when present). The RSDP comes from bi's copy when the
 * loader gave one (Multiboot2 ACPI tag, UEFI configuration table), else from
 * the BIOS areas. Returns true if a valid MADT was read; false leaves
 * nr_cpus 0 (the caller then runs on the boot CPU alone). */
bool acpi_host_scan(struct acpi_host *ai, const struct boot_info *bi, phys_reader rd, void *ctx);

/* Sum of len bytes modulo 256: 0 for a table whose checksum is right. */
uint8_t acpi_host_checksum(const void *p, size_t len);

#endif
