/* SPDX-License-Identifier: BSD-2-Clause */
/* arch/x86/boot/acpi_host.c: finding the firmware's RSDP and reading the
 * CPUs from its MADT, with crafted (and hostile) tables in a fake physical
 * memory of the first 1 MiB plus a little; the reader refuses the rest. */
#include <criterion/criterion.h>
#include <string.h>

#include "arch/x86/boot/acpi_host.h"
#include "tests/unit/support/host_log.h"

#define PHYS_SIZE 0x110000u
#define BIOS_RSDP 0xf5a40u
#define RSDT_PA 0x80000u
#define XSDT_PA 0x81000u
#define MADT_PA 0x82000u
#define FACP_PA 0x83000u
#define EBDA_SEG 0x9fc0u
#define EBDA_PA (EBDA_SEG << 4)

static uint8_t phys[PHYS_SIZE];
static struct boot_info bi;
static struct acpi_host ai;

static const void *reader(void *ctx, uint64_t pa, uint64_t len)
{
	(void)ctx;
	if (!range_within(pa, len, 0, PHYS_SIZE))
		return NULL;
	return phys + pa;
}

static void reset(void)
{
	memset(phys, 0, sizeof(phys));
	memset(&bi, 0, sizeof(bi));
	memset(&ai, 0xa5, sizeof(ai)); /* the scan must initialise everything */
	host_log_reset();
}

static void put16(uint32_t pa, uint16_t v)
{
	memcpy(phys + pa, &v, 2);
}
static void put32(uint32_t pa, uint32_t v)
{
	memcpy(phys + pa, &v, 4);
}
static void put64(uint32_t pa, uint64_t v)
{
	memcpy(phys + pa, &v, 8);
}

static void fix_checksum(uint8_t *p, size_t len, size_t at)
{
	p[at] = 0;
	p[at] = (uint8_t)(0x100 - acpi_host_checksum(p, len));
}

/* An RSDP at dst (20 bytes for revision 0, 36 from 2 on). */
static void make_rsdp(uint8_t *dst, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	memcpy(dst, "RSD PTR ", 8);
	memcpy(dst + 9, "BOCHS ", 6);
	dst[15] = rev;
	memcpy(dst + 16, &rsdt, 4);
	fix_checksum(dst, 20, 8);
	if (rev >= 2) {
		uint32_t len = 36;
		memcpy(dst + 20, &len, 4);
		memcpy(dst + 24, &xsdt, 8);
		fix_checksum(dst, 36, 32);
	}
}

static void sdt_header(uint32_t pa, const char *sig, uint32_t len)
{
	memcpy(phys + pa, sig, 4);
	put32(pa + 4, len);
	phys[pa + 8] = 1;
	memcpy(phys + pa + 10, "BHTEST", 6);
}

static void sdt_fix(uint32_t pa)
{
	uint32_t len;
	memcpy(&len, phys + pa + 4, 4);
	fix_checksum(phys + pa, len, 9);
}

static void make_rsdt(uint32_t pa, const uint32_t *tables, unsigned int n)
{
	sdt_header(pa, "RSDT", 36 + 4 * n);
	for (unsigned int i = 0; i < n; i++)
		put32(pa + 36 + 4 * i, tables[i]);
	sdt_fix(pa);
}

static void make_xsdt(uint32_t pa, const uint64_t *tables, unsigned int n)
{
	sdt_header(pa, "XSDT", 36 + 8 * n);
	for (unsigned int i = 0; i < n; i++)
		put64(pa + 36 + 8 * i, tables[i]);
	sdt_fix(pa);
}

/* MADT builder: entries appended at madt_len, checksum fixed by madt_end. */
static uint32_t madt_len;

static void madt_begin(void)
{
	sdt_header(MADT_PA, "APIC", 44);
	put32(MADT_PA + 36, 0xfee00000);
	put32(MADT_PA + 40, 1); /* PCAT_COMPAT */
	madt_len = 44;
}

static void madt_lapic(uint8_t uid, uint8_t apic_id, uint32_t flags)
{
	uint32_t e = MADT_PA + madt_len;
	phys[e] = 0;
	phys[e + 1] = 8;
	phys[e + 2] = uid;
	phys[e + 3] = apic_id;
	put32(e + 4, flags);
	madt_len += 8;
}

static void madt_x2apic(uint32_t x2apic_id, uint32_t flags, uint32_t uid)
{
	uint32_t e = MADT_PA + madt_len;
	phys[e] = 9;
	phys[e + 1] = 16;
	put32(e + 4, x2apic_id);
	put32(e + 8, flags);
	put32(e + 12, uid);
	madt_len += 16;
}

static void madt_raw(const uint8_t *bytes, uint32_t n)
{
	memcpy(phys + MADT_PA + madt_len, bytes, n);
	madt_len += n;
}

static void madt_end(void)
{
	put32(MADT_PA + 4, madt_len);
	sdt_fix(MADT_PA);
}

/* The usual BIOS machine: RSDP v0 in the ROM area, RSDT -> FACP, MADT. */
static void bios_machine(void)
{
	uint32_t tables[] = { FACP_PA, MADT_PA };
	sdt_header(FACP_PA, "FACP", 116);
	sdt_fix(FACP_PA);
	make_rsdt(RSDT_PA, tables, 2);
	make_rsdp(phys + BIOS_RSDP, 0, RSDT_PA, 0);
	madt_begin();
	madt_lapic(0, 0, ACPI_MADT_CPU_ENABLED);
	madt_lapic(1, 1, ACPI_MADT_CPU_ENABLED);
	madt_lapic(2, 2, 0);
	madt_end();
}

static bool scan(void)
{
	return acpi_host_scan(&ai, &bi, reader, NULL);
}

Test(acpi_host, bios_area_rsdp_rsdt_madt, .init = reset)
{
	bios_machine();
	cr_assert(scan());
	cr_assert_eq(ai.rsdp_pa, BIOS_RSDP);
	cr_assert_not(ai.rsdp_from_loader);
	cr_assert_not(ai.via_xsdt);
	cr_assert_eq(ai.madt_pa, MADT_PA);
	cr_assert_eq(ai.lapic_pa, 0xfee00000);
	cr_assert_eq(ai.madt_flags, ACPI_MADT_PCAT_COMPAT);
	cr_assert_eq(ai.nr_cpus, 2);
	cr_assert_eq(ai.cpus[0].apic_id, 0);
	cr_assert_eq(ai.cpus[1].apic_id, 1);
	cr_assert_eq(ai.cpus[1].uid, 1);
	cr_assert_eq(ai.nr_disabled, 1, "the disabled entry is a hot-plug slot, not a CPU");
	cr_assert_eq(ai.nr_dropped, 0);
	cr_assert_eq(host_log_count(), 0, "a valid machine logs nothing");
}

Test(acpi_host, ebda_is_searched_before_the_rom_area, .init = reset)
{
	bios_machine();
	put16(ACPI_BDA_EBDA_SEG, EBDA_SEG);
	make_rsdp(phys + EBDA_PA + 0x30, 0, RSDT_PA, 0);
	cr_assert(scan());
	cr_assert_eq(ai.rsdp_pa, EBDA_PA + 0x30);
}

Test(acpi_host, ebda_pointer_outside_low_memory_is_not_followed, .init = reset)
{
	bios_machine();
	put16(ACPI_BDA_EBDA_SEG, 0x0100); /* 0x1000: not an EBDA */
	make_rsdp(phys + 0x1000, 0, 0x12345678, 0);
	cr_assert(scan());
	cr_assert_eq(ai.rsdp_pa, BIOS_RSDP);
}

Test(acpi_host, scan_skips_candidates_with_bad_checksum_or_alignment, .init = reset)
{
	bios_machine();
	/* A signature with a wrong checksum below the real one, and a valid
	 * RSDP off the 16-byte grid: neither counts. */
	make_rsdp(phys + 0xe0010, 0, 0xdead0000, 0);
	phys[0xe0010 + 8] ^= 0xff;
	make_rsdp(phys + 0xe0108, 0, 0xdead0000, 0);
	cr_assert(scan());
	cr_assert_eq(ai.rsdp_pa, BIOS_RSDP);
}

Test(acpi_host, no_rsdp_means_no_cpus, .init = reset)
{
	cr_assert_not(scan());
	cr_assert_eq(ai.rsdp_pa, 0);
	cr_assert_eq(ai.madt_pa, 0);
	cr_assert_eq(ai.nr_cpus, 0);
}

Test(acpi_host, loader_copy_with_xsdt_is_preferred, .init = reset)
{
	bios_machine();
	uint64_t x[] = { MADT_PA };
	make_xsdt(XSDT_PA, x, 1);
	make_rsdp(bi.rsdp_copy, 2, RSDT_PA, XSDT_PA);
	bi.rsdp_len = 36;
	bi.acpi_rsdp = 0x7fe14014;
	cr_assert(scan());
	cr_assert(ai.rsdp_from_loader);
	cr_assert_eq(ai.rsdp_pa, 0x7fe14014);
	cr_assert_eq(ai.rsdp_revision, 2);
	cr_assert(ai.via_xsdt);
	cr_assert_eq(ai.nr_cpus, 2);
}

Test(acpi_host, broken_loader_copy_falls_back_to_the_bios_areas, .init = reset)
{
	bios_machine();
	make_rsdp(bi.rsdp_copy, 0, 0xdead0000, 0);
	bi.rsdp_copy[8] ^= 1;
	bi.rsdp_len = 20;
	cr_assert(scan());
	cr_assert_not(ai.rsdp_from_loader);
	cr_assert_eq(ai.rsdp_pa, BIOS_RSDP);
	cr_assert(host_log_contains("loader's RSDP copy"));
}

Test(acpi_host, xsdt_with_wrong_checksum_falls_back_to_rsdt, .init = reset)
{
	bios_machine();
	uint64_t x[] = { MADT_PA };
	make_xsdt(XSDT_PA, x, 1);
	phys[XSDT_PA + 20] ^= 0x40; /* OEM table ID byte: checksum now wrong */
	make_rsdp(phys + BIOS_RSDP, 2, RSDT_PA, XSDT_PA);
	cr_assert(scan());
	cr_assert_not(ai.via_xsdt);
	cr_assert_eq(ai.nr_cpus, 2);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("XSDT at 0x81000 has a wrong checksum"));
}

Test(acpi_host, rsdp_extended_checksum_wrong_uses_rsdt, .init = reset)
{
	bios_machine();
	uint64_t x[] = { 0xdead0000 }; /* an XSDT that would find nothing */
	make_xsdt(XSDT_PA, x, 1);
	make_rsdp(phys + BIOS_RSDP, 2, RSDT_PA, XSDT_PA);
	phys[BIOS_RSDP + 33] ^= 1; /* reserved byte: only the extended sum breaks */
	cr_assert(scan());
	cr_assert_not(ai.via_xsdt);
	cr_assert(host_log_contains("extended checksum"));
}

Test(acpi_host, rsdp_length_beyond_the_loader_copy_uses_rsdt, .init = reset)
{
	bios_machine();
	make_rsdp(bi.rsdp_copy, 2, RSDT_PA, XSDT_PA);
	uint32_t len = 200;
	memcpy(bi.rsdp_copy + 20, &len, 4);
	fix_checksum(bi.rsdp_copy, 20, 8);
	bi.rsdp_len = 40;
	cr_assert(scan());
	cr_assert_not(ai.via_xsdt);
	cr_assert(host_log_contains("Length 200"));
}

Test(acpi_host, root_table_with_impossible_lengths_is_refused, .init = reset)
{
	bios_machine();
	put32(RSDT_PA + 4, 20); /* shorter than its own header */
	cr_assert_not(scan());
	cr_assert(host_log_contains("impossible length 20"));
	reset();
	bios_machine();
	put32(RSDT_PA + 4, 0xfffffff0); /* would run past the end of memory */
	cr_assert_not(scan());
	cr_assert(host_log_contains("impossible length"));
	cr_assert_eq(ai.nr_cpus, 0);
}

Test(acpi_host, root_entries_to_unreadable_memory_are_skipped_in_one_line, .init = reset)
{
	bios_machine();
	uint32_t tables[] = { 0xfff00000, 0, 0xffffffff, MADT_PA };
	make_rsdt(RSDT_PA, tables, 4);
	cr_assert(scan());
	cr_assert_eq(ai.nr_cpus, 2);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("3 entries pointing to unreadable memory"));
}

Test(acpi_host, madt_with_wrong_checksum_is_ignored, .init = reset)
{
	bios_machine();
	phys[MADT_PA + 44 + 3] = 7; /* APIC ID changed after the checksum */
	cr_assert_not(scan());
	cr_assert_eq(ai.nr_cpus, 0);
	cr_assert(host_log_contains("MADT at 0x82000 has a wrong checksum"));
}

Test(acpi_host, madt_entry_of_length_zero_ends_the_walk, .init = reset)
{
	bios_machine();
	madt_begin();
	madt_lapic(0, 0, 1);
	const uint8_t zero_len[] = { 0, 0, 0, 0, 0, 0, 0, 0 };
	madt_raw(zero_len, sizeof(zero_len));
	madt_lapic(1, 1, 1); /* unreachable after the bad entry */
	madt_end();
	cr_assert(scan());
	cr_assert_eq(ai.nr_cpus, 1);
	cr_assert(host_log_contains("bad length 0"));
}

Test(acpi_host, madt_entry_running_past_the_table_ends_the_walk, .init = reset)
{
	bios_machine();
	madt_begin();
	madt_lapic(0, 0, 1);
	const uint8_t long_entry[] = { 0, 200, 1, 1, 1, 0, 0, 0 };
	madt_raw(long_entry, sizeof(long_entry));
	madt_end();
	cr_assert(scan());
	cr_assert_eq(ai.nr_cpus, 1);
	cr_assert(host_log_contains("bad length 200"));
}

Test(acpi_host, short_processor_entries_are_skipped_and_counted, .init = reset)
{
	bios_machine();
	madt_begin();
	const uint8_t short_lapic[] = { 0, 6, 5, 5, 1, 0 };
	madt_raw(short_lapic, sizeof(short_lapic));
	const uint8_t short_override[] = { 5, 8, 0, 0, 0, 0, 0xfe, 0xca };
	madt_raw(short_override, sizeof(short_override));
	madt_lapic(1, 3, 1);
	madt_end();
	cr_assert(scan());
	cr_assert_eq(ai.nr_cpus, 1);
	cr_assert_eq(ai.cpus[0].apic_id, 3);
	cr_assert_eq(ai.lapic_pa, 0xfee00000, "a short override must not be read");
	cr_assert(host_log_contains("2 malformed"));
}

Test(acpi_host, x2apic_entries_and_the_broadcast_id, .init = reset)
{
	bios_machine();
	madt_begin();
	madt_lapic(0, 0, 1);
	madt_x2apic(300, ACPI_MADT_CPU_ENABLED, 17);
	madt_x2apic(UINT32_MAX, ACPI_MADT_CPU_ENABLED, 18);
	madt_x2apic(301, ACPI_MADT_CPU_ONLINE_CAPABLE, 19); /* hot-pluggable, off */
	madt_end();
	cr_assert(scan());
	cr_assert_eq(ai.nr_cpus, 2);
	cr_assert_eq(ai.cpus[1].apic_id, 300);
	cr_assert_eq(ai.cpus[1].uid, 17);
	cr_assert(ai.cpus[1].x2apic);
	cr_assert_not(ai.cpus[0].x2apic);
	cr_assert_eq(ai.nr_disabled, 1);
	cr_assert(host_log_contains("1 malformed"));
}

Test(acpi_host, duplicate_apic_ids_count_once, .init = reset)
{
	bios_machine();
	madt_begin();
	madt_lapic(0, 0, 1);
	madt_lapic(1, 4, 1);
	madt_lapic(2, 4, 1);
	madt_x2apic(4, 1, 3);
	madt_end();
	cr_assert(scan());
	cr_assert_eq(ai.nr_cpus, 2);
	cr_assert_eq(ai.nr_duplicates, 2);
	cr_assert(host_log_contains("2 APIC IDs more than once"));
}

Test(acpi_host, more_cpus_than_the_list_holds_are_counted, .init = reset)
{
	bios_machine();
	madt_begin();
	for (unsigned int i = 0; i < ACPI_HOST_MAX_CPUS + 6; i++)
		madt_lapic((uint8_t)i, (uint8_t)i, 1);
	madt_end();
	cr_assert(scan());
	cr_assert_eq(ai.nr_cpus, ACPI_HOST_MAX_CPUS);
	cr_assert_eq(ai.nr_dropped, 6);
	cr_assert_eq(ai.cpus[ACPI_HOST_MAX_CPUS - 1].apic_id, ACPI_HOST_MAX_CPUS - 1);
}

Test(acpi_host, lapic_address_override_is_64_bit, .init = reset)
{
	bios_machine();
	madt_begin();
	const uint8_t ovr[] = { 5, 12, 0, 0, 0x00, 0x00, 0xe0, 0xfe, 0x10, 0, 0, 0 };
	madt_raw(ovr, sizeof(ovr));
	madt_lapic(0, 0, 1);
	madt_end();
	cr_assert(scan());
	cr_assert_eq(ai.lapic_pa, 0x10fee00000ULL);
}

Test(acpi_host, madt_found_among_other_tables_by_signature, .init = reset)
{
	bios_machine();
	/* An HPET-signed table whose body is a copy of the MADT's: only the
	 * real signature counts. */
	sdt_header(0x84000, "HPET", 56);
	sdt_fix(0x84000);
	uint32_t tables[] = { 0x84000, FACP_PA, MADT_PA };
	make_rsdt(RSDT_PA, tables, 3);
	cr_assert(scan());
	cr_assert_eq(ai.madt_pa, MADT_PA);
}

Test(acpi_host, madt_shorter_than_its_fixed_fields_is_refused, .init = reset)
{
	bios_machine();
	sdt_header(MADT_PA, "APIC", 40);
	sdt_fix(MADT_PA);
	cr_assert_not(scan());
	cr_assert(host_log_contains("too short"));
}

/* ---- clocks for TSC calibration: the FADT's PM timer, the HPET -------- */

#define HPET_TBL_PA 0x84000u

static void fadt_pm_timer(uint32_t blk, uint8_t blk_len, uint32_t flags)
{
	put32(FACP_PA + ACPI_FADT_OFF_PM_TMR_BLK, blk);
	phys[FACP_PA + ACPI_FADT_OFF_PM_TMR_LEN] = blk_len;
	put32(FACP_PA + ACPI_FADT_OFF_FLAGS, flags);
	sdt_fix(FACP_PA);
}

static void machine_with_hpet(uint8_t space, uint64_t base)
{
	uint32_t tables[] = { FACP_PA, MADT_PA, HPET_TBL_PA };
	bios_machine();
	sdt_header(HPET_TBL_PA, "HPET", ACPI_HPET_MIN_LEN);
	phys[HPET_TBL_PA + ACPI_HPET_OFF_BASE] = space;
	put64(HPET_TBL_PA + ACPI_HPET_OFF_BASE + ACPI_GAS_OFF_ADDR, base);
	sdt_fix(HPET_TBL_PA);
	make_rsdt(RSDT_PA, tables, 3);
}

Test(acpi_host, fadt_pm_timer_24_and_32_bit, .init = reset)
{
	bios_machine();
	fadt_pm_timer(0x608, ACPI_PM_TMR_LEN, 0);
	cr_assert(scan());
	cr_assert_eq(ai.pm_timer_port, 0x608);
	cr_assert_not(ai.pm_timer_32bit);
	fadt_pm_timer(0xb008, ACPI_PM_TMR_LEN, ACPI_FADT_FLAG_TMR_VAL_EXT);
	cr_assert(scan());
	cr_assert_eq(ai.pm_timer_port, 0xb008);
	cr_assert(ai.pm_timer_32bit);
}

Test(acpi_host, fadt_without_a_pm_timer, .init = reset)
{
	bios_machine(); /* PM_TMR_BLK 0 */
	cr_assert(scan());
	cr_assert_eq(ai.pm_timer_port, 0);
	fadt_pm_timer(0x608, 0, 0); /* PM_TMR_LEN 0: not supported */
	cr_assert(scan());
	cr_assert_eq(ai.pm_timer_port, 0);
	fadt_pm_timer(0xfffe, ACPI_PM_TMR_LEN, 0); /* four bytes do not fit */
	cr_assert(scan());
	cr_assert_eq(ai.pm_timer_port, 0);
}

Test(acpi_host, fadt_x_pm_timer_supersedes_and_memory_space_is_not_used, .init = reset)
{
	bios_machine();
	sdt_header(FACP_PA, "FACP", 276); /* ACPI 6 FADT */
	fadt_pm_timer(0x608, ACPI_PM_TMR_LEN, 0);
	phys[FACP_PA + ACPI_FADT_OFF_X_PM_TMR_BLK] = ACPI_GAS_SPACE_IO;
	put64(FACP_PA + ACPI_FADT_OFF_X_PM_TMR_BLK + ACPI_GAS_OFF_ADDR, 0x1808);
	sdt_fix(FACP_PA);
	cr_assert(scan());
	cr_assert_eq(ai.pm_timer_port, 0x1808);
	phys[FACP_PA + ACPI_FADT_OFF_X_PM_TMR_BLK] = ACPI_GAS_SPACE_MEMORY;
	sdt_fix(FACP_PA);
	cr_assert(scan());
	cr_assert_eq(ai.pm_timer_port, 0, "a memory-mapped PM timer is not read as a port");
}

Test(acpi_host, fadt_with_a_bad_checksum_gives_no_timer, .init = reset)
{
	bios_machine();
	fadt_pm_timer(0x608, ACPI_PM_TMR_LEN, 0);
	phys[FACP_PA + 20] ^= 1;
	cr_assert(scan(), "the MADT still counts");
	cr_assert_eq(ai.pm_timer_port, 0);
}

Test(acpi_host, hpet_table, .init = reset)
{
	machine_with_hpet(ACPI_GAS_SPACE_MEMORY, 0xfed00000);
	cr_assert(scan());
	cr_assert_eq(ai.hpet_pa, 0xfed00000);
	cr_assert_eq(ai.nr_cpus, 2, "tables after the MADT do not disturb it");
	machine_with_hpet(ACPI_GAS_SPACE_IO, 0xfed00000);
	cr_assert(scan());
	cr_assert_eq(ai.hpet_pa, 0, "an HPET in I/O space is not one");
	machine_with_hpet(ACPI_GAS_SPACE_MEMORY, 0xfed00010);
	cr_assert(scan());
	cr_assert_eq(ai.hpet_pa, 0, "misaligned");
}
