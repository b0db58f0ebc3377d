/* SPDX-License-Identifier: BSD-2-Clause */
/* ACPI tables: found the way Linux finds them (RSDP scan, RSDT/XSDT), every
 * header's signature, length and checksum, FADT and MADT fields at the
 * offsets ACPI 6.4 §5.2 gives (independent of the builder's structs), and
 * a DSDT walker that checks every PkgLength nests inside its parent and
 * finds \_S5, \_SB.PCI0 (_HID, _CRS, _PRT) and the processor devices. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/vdev/acpi_pm.h"
#include "drivers/vdev/acpi_tables.h"
#include "tests/unit/support/host_log.h"

#define BASE 0xE0000ULL
#define BUF_SIZE 0x10000
#define GUARD 64

static uint8_t *buf;
static struct acpi_config cfg;
static struct acpi_tables_layout lay;

static void setup(void)
{
	host_log_reset();
	buf = malloc(BUF_SIZE + GUARD);
	memset(buf, 0xCC, BUF_SIZE + GUARD);
	acpi_config_default(&cfg, 4, BASE);
}

static void teardown(void)
{
	free(buf);
}

static void build(void)
{
	cr_assert_eq(acpi_tables_build(&cfg, buf, BUF_SIZE, &lay), 0);
	cr_assert_eq(host_log_count(), 0);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* Pointer into the buffer for a guest-physical address, checked. */
static const uint8_t *at(uint64_t gpa, size_t len)
{
	cr_assert_geq(gpa, BASE, "gpa %#lx below the tables", (unsigned long)gpa);
	cr_assert_leq(gpa - BASE + len, lay.size, "gpa %#lx+%zu past the tables",
		      (unsigned long)gpa, len);
	return buf + (gpa - BASE);
}

/* Header offsets (ACPI 6.4 §5.2.6). */
#define H_LENGTH 4
#define H_REVISION 8
#define H_OEM_ID 10
#define H_OEM_TABLE_ID 16
#define H_CREATOR_ID 28
#define H_SIZE 36

/* A table at gpa: signature, length inside the tables, checksum 0. */
static const uint8_t *table(uint64_t gpa, const char *sig)
{
	const uint8_t *t = at(gpa, H_SIZE);
	uint32_t len = rd32(t + H_LENGTH);
	cr_assert_eq(memcmp(t, sig, 4), 0, "signature %.4s, want %s", t, sig);
	cr_assert_geq(len, H_SIZE);
	at(gpa, len);
	cr_assert_eq(sum(t, len), 0, "%s checksum", sig);
	cr_assert_eq(memcmp(t + H_OEM_ID, "BULKHD", 6), 0);
	cr_assert_eq(memcmp(t + H_OEM_TABLE_ID, "BULKHEAD", 8), 0);
	cr_assert_eq(memcmp(t + H_CREATOR_ID, "BLKH", 4), 0);
	return t;
}

/* --- RSDP, RSDT, XSDT --------------------------------------------------- */

/* What Linux does in the BIOS area: "RSD PTR " on a 16-byte boundary with
 * a valid checksum (ACPI 6.4 §5.2.5.1). */
static const uint8_t *scan_rsdp(const uint8_t *mem, size_t len)
{
	for (size_t off = 0; off + 36 <= len; off += 16)
		if (!memcmp(mem + off, "RSD PTR ", 8) && sum(mem + off, 20) == 0)
			return mem + off;
	return NULL;
}

Test(acpi, rsdp_found_by_scan, .init = setup, .fini = teardown)
{
	build();
	const uint8_t *r = scan_rsdp(buf, lay.size);
	cr_assert_not_null(r);
	cr_assert_eq(BASE + (uint64_t)(r - buf), lay.rsdp);
	cr_assert_eq(lay.rsdp, BASE);
	cr_assert_eq(r[15], 2, "revision 2");
	cr_assert_eq(memcmp(r + 9, "BULKHD", 6), 0);
	cr_assert_eq(rd32(r + 20), 36, "length");
	cr_assert_eq(sum(r, 36), 0, "extended checksum");
	cr_assert_eq(rd32(r + 16), lay.rsdt);
	cr_assert_eq(rd64(r + 24), lay.xsdt);
	table(rd32(r + 16), "RSDT");
	table(rd64(r + 24), "XSDT");
}

Test(acpi, rsdt_and_xsdt_list_fadt_and_madt, .init = setup, .fini = teardown)
{
	build();
	const uint8_t *x = table(lay.xsdt, "XSDT");
	const uint8_t *r = table(lay.rsdt, "RSDT");
	cr_assert_eq(rd32(x + H_LENGTH), H_SIZE + 2 * 8);
	cr_assert_eq(rd32(r + H_LENGTH), H_SIZE + 2 * 4);
	const char *want[] = { "FACP", "APIC" };
	for (int i = 0; i < 2; i++) {
		uint64_t e = rd64(x + H_SIZE + 8 * i);
		cr_assert_eq(e, rd32(r + H_SIZE + 4 * i), "RSDT and XSDT agree");
		table(e, want[i]);
	}
	cr_assert_eq(rd64(x + H_SIZE), lay.fadt);
	cr_assert_eq(rd64(x + H_SIZE + 8), lay.madt);
}

Test(acpi, every_table_valid_and_inside_the_budget, .init = setup, .fini = teardown)
{
	build();
	cr_assert_leq(lay.size, ACPI_TABLES_MAX_SIZE);
	cr_assert_leq(lay.size, 4096, "about 3 KiB expected, got %zu", lay.size);
	table(lay.fadt, "FACP");
	table(lay.madt, "APIC");
	table(lay.dsdt, "DSDT");
	cr_assert_eq(rd32(at(lay.dsdt, H_SIZE) + H_LENGTH), lay.dsdt_len);
	/* Tables do not overlap and nothing past `size` was written. */
	struct {
		uint64_t gpa, len;
	} t[] = { { lay.rsdp, 36 },
		  { lay.facs, 64 },
		  { lay.dsdt, lay.dsdt_len },
		  { lay.fadt, 276 },
		  { lay.madt, rd32(at(lay.madt, H_SIZE) + H_LENGTH) },
		  { lay.rsdt, 44 },
		  { lay.xsdt, 52 } };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (size_t j = i + 1; j < sizeof(t) / sizeof(t[0]); j++)
			cr_assert(t[i].gpa + t[i].len <= t[j].gpa || t[j].gpa + t[j].len <= t[i].gpa,
				  "tables %zu and %zu overlap", i, j);
	for (size_t i = lay.size; i < BUF_SIZE + GUARD; i++)
		cr_assert_eq(buf[i], 0xCC, "byte %zu past the tables written", i);
}

Test(acpi, facs_aligned, .init = setup, .fini = teardown)
{
	build();
	cr_assert_eq(lay.facs % 64, 0);
	const uint8_t *f = at(lay.facs, 64);
	cr_assert_eq(memcmp(f, "FACS", 4), 0);
	cr_assert_eq(rd32(f + 4), 64);
	cr_assert_eq(rd32(f + 16), 0, "global lock free");
}

/* --- FADT (ACPI 6.4 §5.2.9) --------------------------------------------- */

#define F_FIRMWARE_CTRL 36
#define F_DSDT 40
#define F_SCI_INT 46
#define F_SMI_CMD 48
#define F_PM1A_EVT 56
#define F_PM1B_EVT 60
#define F_PM1A_CNT 64
#define F_PM_TMR 76
#define F_GPE0 80
#define F_PM1_EVT_LEN 88
#define F_PM1_CNT_LEN 89
#define F_PM_TMR_LEN 91
#define F_P_LVL2_LAT 96
#define F_CENTURY 108
#define F_IAPC_BOOT_ARCH 109
#define F_FLAGS 112
#define F_RESET_REG 116
#define F_RESET_VALUE 128
#define F_X_FIRMWARE_CTRL 132
#define F_X_DSDT 140
#define F_X_PM1A_EVT 148
#define F_X_PM1A_CNT 172
#define F_X_PM_TMR 208

static void expect_io_gas(const uint8_t *g, uint64_t port, unsigned int bits)
{
	cr_assert_eq(g[0], 1, "system I/O");
	cr_assert_eq(g[1], bits);
	cr_assert_eq(g[2], 0, "bit offset");
	cr_assert_eq(rd64(g + 4), port);
}

Test(acpi, fadt_fields, .init = setup, .fini = teardown)
{
	build();
	const uint8_t *f = table(lay.fadt, "FACP");
	cr_assert_eq(rd32(f + H_LENGTH), 276);
	cr_assert_eq(f[H_REVISION], 6);
	cr_assert_eq(rd32(f + F_FIRMWARE_CTRL), 0, "X_FIRMWARE_CTRL is used instead");
	cr_assert_eq(rd64(f + F_X_FIRMWARE_CTRL), lay.facs);
	cr_assert_eq(rd32(f + F_DSDT), lay.dsdt);
	cr_assert_eq(rd64(f + F_X_DSDT), lay.dsdt);
	cr_assert_eq(rd16(f + F_SCI_INT), 9);
	cr_assert_eq(rd32(f + F_SMI_CMD), 0, "always in ACPI mode");
	cr_assert_eq(rd32(f + F_PM1A_EVT), 0x600);
	cr_assert_eq(rd32(f + F_PM1B_EVT), 0);
	cr_assert_eq(rd32(f + F_PM1A_CNT), 0x604);
	cr_assert_eq(rd32(f + F_PM_TMR), 0x608);
	cr_assert_eq(rd32(f + F_GPE0), 0);
	cr_assert_eq(f[F_PM1_EVT_LEN], 4);
	cr_assert_eq(f[F_PM1_CNT_LEN], 2);
	cr_assert_eq(f[F_PM_TMR_LEN], 4);
	expect_io_gas(f + F_X_PM1A_EVT, 0x600, 32);
	expect_io_gas(f + F_X_PM1A_CNT, 0x604, 16);
	expect_io_gas(f + F_X_PM_TMR, 0x608, 32);
	cr_assert_gt(rd16(f + F_P_LVL2_LAT), 100, "no C2");
	cr_assert_eq(f[F_CENTURY], 0x32);
	uint16_t boot = rd16(f + F_IAPC_BOOT_ARCH);
	cr_assert_eq(boot & 0x3, 0x3, "LEGACY_DEVICES and 8042");
	cr_assert_eq(boot & (1 << 5), 0, "a CMOS RTC is present");
	uint32_t flags = rd32(f + F_FLAGS);
	cr_assert(flags & (1u << 8), "TMR_VAL_EXT (32-bit timer)");
	cr_assert(flags & (1u << 10), "RESET_REG_SUP");
	cr_assert_not(flags & (1u << 20), "not hardware-reduced");
	cr_assert_not(flags & (1u << 4), "the fixed power button exists");
	/* Reset through 0xCF9 (drivers/vdev/sys_ports.h), byte access. */
	expect_io_gas(f + F_RESET_REG, 0xCF9, 8);
	cr_assert_eq(f[F_RESET_REG + 3], 1, "byte access");
	cr_assert_eq(f[F_RESET_VALUE], 0x06);
}

Test(acpi, fadt_follows_pm_base, .init = setup, .fini = teardown)
{
	cfg.pm_base = 0xB000;
	cfg.sci_irq = 11;
	build();
	const uint8_t *f = table(lay.fadt, "FACP");
	cr_assert_eq(rd32(f + F_PM1A_EVT), 0xB000);
	expect_io_gas(f + F_X_PM_TMR, 0xB008, 32);
	cr_assert_eq(rd16(f + F_SCI_INT), 11);
}

/* --- MADT (ACPI 6.4 §5.2.12) -------------------------------------------- */

struct madt_seen {
	unsigned int lapics, ioapics, isos, nmis;
	uint8_t lapic_id[8];
	uint8_t lapic_uid[8];
	uint32_t lapic_flags[8];
	uint8_t ioapic_id;
	uint32_t ioapic_addr, ioapic_gsi_base;
	uint8_t iso_src[4];
	uint32_t iso_gsi[4];
	uint16_t iso_flags[4];
	uint8_t nmi_uid, nmi_lint;
	uint16_t nmi_flags;
};

static struct madt_seen walk_madt(void)
{
	const uint8_t *m = table(lay.madt, "APIC");
	uint32_t len = rd32(m + H_LENGTH);
	struct madt_seen s = { 0 };

	cr_assert_eq(rd32(m + 36), 0xFEE00000, "local APIC address");
	cr_assert_eq(rd32(m + 40) & 1, 1, "PCAT_COMPAT");
	for (uint32_t off = 44; off < len;) {
		const uint8_t *e = m + off;
		cr_assert_geq(e[1], 2, "entry length");
		cr_assert_leq(off + e[1], len, "entry past the table");
		switch (e[0]) {
		case 0:
			cr_assert_eq(e[1], 8);
			cr_assert_lt(s.lapics, 8);
			s.lapic_uid[s.lapics] = e[2];
			s.lapic_id[s.lapics] = e[3];
			s.lapic_flags[s.lapics++] = rd32(e + 4);
			break;
		case 1:
			cr_assert_eq(e[1], 12);
			s.ioapics++;
			s.ioapic_id = e[2];
			s.ioapic_addr = rd32(e + 4);
			s.ioapic_gsi_base = rd32(e + 8);
			break;
		case 2:
			cr_assert_eq(e[1], 10);
			cr_assert_eq(e[2], 0, "ISA bus");
			cr_assert_lt(s.isos, 4);
			s.iso_src[s.isos] = e[3];
			s.iso_gsi[s.isos] = rd32(e + 4);
			s.iso_flags[s.isos++] = rd16(e + 8);
			break;
		case 4:
			cr_assert_eq(e[1], 6);
			s.nmis++;
			s.nmi_uid = e[2];
			s.nmi_flags = rd16(e + 3);
			s.nmi_lint = e[5];
			break;
		default:
			cr_assert_fail("unexpected MADT entry type %u", e[0]);
		}
		off += e[1];
	}
	return s;
}

Test(acpi, madt_per_cpu_count, .init = setup, .fini = teardown)
{
	for (unsigned int n = 1; n <= ACPI_MAX_CPUS; n++) {
		acpi_config_default(&cfg, n, BASE);
		build();
		struct madt_seen s = walk_madt();
		cr_assert_eq(s.lapics, n);
		for (unsigned int i = 0; i < n; i++) {
			cr_assert_eq(s.lapic_id[i], i);
			cr_assert_eq(s.lapic_uid[i], i);
			cr_assert_eq(s.lapic_flags[i], 1, "enabled");
		}
		cr_assert_eq(s.ioapics, 1);
		cr_assert_eq(s.ioapic_id, n, "IOAPIC id follows the LAPIC ids");
		cr_assert_eq(s.ioapic_addr, 0xFEC00000);
		cr_assert_eq(s.ioapic_gsi_base, 0);
		cr_assert_eq(s.isos, 2);
		cr_assert_eq(s.iso_src[0], 0);
		cr_assert_eq(s.iso_gsi[0], 2, "IRQ0 -> GSI2");
		cr_assert_eq(s.iso_flags[0] & 0xC, 0x4, "edge");
		cr_assert_eq(s.iso_src[1], 9);
		cr_assert_eq(s.iso_gsi[1], 9);
		cr_assert_eq(s.iso_flags[1], 0xD, "SCI: level, active high");
		cr_assert_eq(s.nmis, 1);
		cr_assert_eq(s.nmi_uid, 0xFF, "all processors");
		cr_assert_eq(s.nmi_lint, 1);
	}
}

/* --- DSDT walker ---------------------------------------------------------- */

#define MAX_OBJS 64

struct named {
	char path[40];
	const uint8_t *obj; /* data object of a Name, NULL for scopes/devices */
};

struct walker {
	const uint8_t *start;
	struct named objs[MAX_OBJS];
	unsigned int n;
	unsigned int packages, buffers, methods;
};

static uint32_t pkglength(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *q = *p;
	cr_assert_lt(q, end);
	unsigned int follow = q[0] >> 6;
	uint32_t len = follow ? q[0] & 0x0F : q[0] & 0x3F;
	cr_assert(follow == 0 || (q[0] & 0x30) == 0, "reserved PkgLength bits set");
	cr_assert_leq(q + 1 + follow, end);
	for (unsigned int i = 0; i < follow; i++)
		len |= (uint32_t)q[1 + i] << (4 + 8 * i);
	cr_assert_geq(len, 1 + follow);
	cr_assert_leq(len, (size_t)(end - q), "PkgLength %u leaves its parent", len);
	*p = q + 1 + follow;
	return len;
}

/* NameString -> "\\_SB_.PCI0" style path relative to `scope`. */
static void name_string(const uint8_t **p, const uint8_t *end, const char *scope, char *out)
{
	const uint8_t *q = *p;
	unsigned int segs = 1;

	strcpy(out, scope);
	cr_assert_lt(q, end);
	if (*q == '\\') {
		strcpy(out, "\\");
		q++;
	}
	cr_assert_lt(q, end);
	if (*q == 0x00) {
		*p = q + 1;
		return;
	}
	if (*q == 0x2E) {
		segs = 2;
		q++;
	} else if (*q == 0x2F) {
		segs = q[1];
		q += 2;
	}
	cr_assert_leq(q + 4 * segs, end);
	for (unsigned int i = 0; i < segs; i++, q += 4) {
		for (int c = 0; c < 4; c++)
			cr_assert((q[c] >= 'A' && q[c] <= 'Z') || q[c] == '_' ||
						  (c && q[c] >= '0' && q[c] <= '9'),
				  "bad name char %#x", q[c]);
		size_t l = strlen(out);
		if (l > 1)
			strcat(out, ".");
		strncat(out, (const char *)q, 4);
	}
	*p = q;
}

static void data_object(struct walker *w, const uint8_t **p, const uint8_t *end);

static void package(struct walker *w, const uint8_t **p, const uint8_t *end)
{
	const uint8_t *q = *p;
	const uint8_t *pkg_end = q + pkglength(&q, end);
	cr_assert_lt(q, pkg_end);
	unsigned int n = *q++, seen = 0;
	while (q < pkg_end) {
		data_object(w, &q, pkg_end);
		seen++;
	}
	cr_assert_eq(q, pkg_end);
	cr_assert_eq(seen, n, "package declares %u elements, holds %u", n, seen);
	w->packages++;
	*p = pkg_end;
}

static uint64_t integer(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *q = *p;
	static const unsigned int widths[] = { [0x0A] = 1, [0x0B] = 2, [0x0C] = 4, [0x0E] = 8 };
	uint64_t v = 0;

	cr_assert_lt(q, end);
	if (*q == 0x00 || *q == 0x01) {
		*p = q + 1;
		return *q;
	}
	cr_assert(*q < sizeof(widths) / sizeof(widths[0]) && widths[*q], "not an integer: %#x", *q);
	unsigned int wd = widths[*q];
	cr_assert_leq(q + 1 + wd, end);
	for (unsigned int i = 0; i < wd; i++)
		v |= (uint64_t)q[1 + i] << (8 * i);
	*p = q + 1 + wd;
	return v;
}

static void data_object(struct walker *w, const uint8_t **p, const uint8_t *end)
{
	const uint8_t *q = *p;
	cr_assert_lt(q, end);
	switch (*q) {
	case 0x0D: { /* string */
		const uint8_t *nul = memchr(q + 1, 0, (size_t)(end - q - 1));
		cr_assert_not_null(nul, "unterminated string");
		*p = nul + 1;
		return;
	}
	case 0x11: { /* buffer */
		q++;
		const uint8_t *buf_end = q + pkglength(&q, end);
		uint64_t size = integer(&q, buf_end);
		cr_assert_eq(size, (uint64_t)(buf_end - q), "BufferSize vs PkgLength");
		w->buffers++;
		*p = buf_end;
		return;
	}
	case 0x12:
		q++;
		package(w, &q, end);
		*p = q;
		return;
	default:
		integer(p, end);
	}
}

static void add_obj(struct walker *w, const char *path, const uint8_t *obj)
{
	cr_assert_lt(w->n, MAX_OBJS);
	strcpy(w->objs[w->n].path, path);
	w->objs[w->n++].obj = obj;
}

static void term_list(struct walker *w, const uint8_t *p, const uint8_t *end, const char *scope)
{
	char path[40];

	while (p < end) {
		const uint8_t *blk_end;
		switch (*p) {
		case 0x08: /* Name */
			p++;
			name_string(&p, end, scope, path);
			add_obj(w, path, p);
			data_object(w, &p, end);
			break;
		case 0x10: /* Scope */
			p++;
			blk_end = p + pkglength(&p, end);
			name_string(&p, blk_end, scope, path);
			add_obj(w, path, NULL);
			term_list(w, p, blk_end, path);
			p = blk_end;
			break;
		case 0x5B: /* Device */
			cr_assert_lt(p + 1, end);
			cr_assert_eq(p[1], 0x82, "ext op %#x", p[1]);
			p += 2;
			blk_end = p + pkglength(&p, end);
			name_string(&p, blk_end, scope, path);
			add_obj(w, path, NULL);
			term_list(w, p, blk_end, path);
			p = blk_end;
			break;
		case 0x14: /* Method */
			p++;
			blk_end = p + pkglength(&p, end);
			name_string(&p, blk_end, scope, path);
			add_obj(w, path, NULL);
			w->methods++;
			p = blk_end;
			break;
		default:
			cr_assert_fail("unexpected opcode %#x at DSDT offset %ld", *p,
				       (long)(p - w->start));
		}
	}
	cr_assert_eq(p, end, "a term ran past its parent");
}

static struct walker walk_dsdt(void)
{
	struct walker w = { 0 };
	const uint8_t *d = table(lay.dsdt, "DSDT");
	uint32_t len = rd32(d + H_LENGTH);
	cr_assert_eq(d[H_REVISION], 2, "64-bit integers");
	w.start = d;
	term_list(&w, d + H_SIZE, d + len, "\\");
	return w;
}

static const uint8_t *find(const struct walker *w, const char *path)
{
	for (unsigned int i = 0; i < w->n; i++)
		if (!strcmp(w->objs[i].path, path))
			return w->objs[i].obj ? w->objs[i].obj : (const uint8_t *)1;
	cr_assert_fail("%s not in the DSDT", path);
	return NULL;
}

Test(acpi, dsdt_parses_and_nests, .init = setup, .fini = teardown)
{
	build();
	struct walker w = walk_dsdt();
	find(&w, "\\_S5_");
	find(&w, "\\_SB_");
	find(&w, "\\_SB_.PCI0");
	for (const char *n = "_HID\0_UID\0_SEG\0_BBN\0_CRS\0_PRT\0"; *n; n += 5) {
		char path[40];
		snprintf(path, sizeof(path), "\\_SB_.PCI0.%s", n);
		find(&w, path);
	}
	find(&w, "\\_SB_.CPU0._HID");
	find(&w, "\\_SB_.CPU3._UID");
	cr_assert_eq(w.packages, 1 + 1 + 31 * 4, "_S5, _PRT and its entries");
	cr_assert_eq(w.buffers, 1, "_CRS");
}

Test(acpi, dsdt_s5_package, .init = setup, .fini = teardown)
{
	build();
	struct walker w = walk_dsdt();
	const uint8_t *p = find(&w, "\\_S5_");
	const uint8_t *end = at(lay.dsdt, lay.dsdt_len) + lay.dsdt_len;
	cr_assert_eq(*p++, 0x12, "a package");
	pkglength(&p, end);
	cr_assert_geq(*p++, 2, "at least SLP_TYPa and SLP_TYPb");
	cr_assert_eq(integer(&p, end), ACPI_SLP_TYP_S5, "SLP_TYPa the PM model decodes");
	cr_assert_eq(integer(&p, end), ACPI_SLP_TYP_S5);
}

Test(acpi, dsdt_pci0_hid_and_processors, .init = setup, .fini = teardown)
{
	acpi_config_default(&cfg, 2, BASE);
	build();
	struct walker w = walk_dsdt();
	const uint8_t *hid = find(&w, "\\_SB_.PCI0._HID");
	static const uint8_t pnp0a03[] = { 0x0C, 0x41, 0xD0, 0x0A, 0x03 };
	cr_assert_eq(memcmp(hid, pnp0a03, sizeof(pnp0a03)), 0, "EISAID PNP0A03");
	const uint8_t *end = at(lay.dsdt, lay.dsdt_len) + lay.dsdt_len;
	const uint8_t *p = find(&w, "\\_SB_.PCI0._UID");
	cr_assert_eq(integer(&p, end), 0);
	p = find(&w, "\\_SB_.PCI0._SEG");
	cr_assert_eq(integer(&p, end), 0);
	p = find(&w, "\\_SB_.PCI0._BBN");
	cr_assert_eq(integer(&p, end), 0);
	const uint8_t *cpu_hid = find(&w, "\\_SB_.CPU1._HID");
	cr_assert_eq(memcmp(cpu_hid,
			    "\x0D"
			    "ACPI0007",
			    10),
		     0);
	p = find(&w, "\\_SB_.CPU1._UID");
	cr_assert_eq(integer(&p, end), 1, "matches MADT processor UID 1");
	for (unsigned int i = 0; i < w.n; i++) {
		cr_assert_neq(strcmp(w.objs[i].path, "\\_SB_.CPU2"), 0, "only two CPUs");
		cr_assert_neq(strcmp(w.objs[i].path, "\\_SB_.PCI0._ADR"), 0, "_HID or _ADR");
	}
}

struct window {
	uint8_t type;
	uint64_t min, max, len;
};

/* Resource template -> its address-space windows and I/O descriptors. */
static unsigned int parse_crs(const uint8_t *p, const uint8_t *end, struct window *win,
			      unsigned int max, unsigned int *io_ports)
{
	unsigned int n = 0;
	cr_assert_eq(*p++, 0x11, "_CRS is a buffer");
	const uint8_t *buf_end = p + pkglength(&p, end);
	uint64_t size = integer(&p, buf_end);
	cr_assert_eq(size, (uint64_t)(buf_end - p));
	*io_ports = 0;
	for (;;) {
		cr_assert_lt(p, buf_end);
		if (!(p[0] & 0x80)) { /* small item */
			unsigned int name = p[0] >> 3 & 0xF, len = p[0] & 7;
			cr_assert_leq(p + 1 + len, buf_end);
			if (name == 0xF) {
				cr_assert_eq(len, 1);
				cr_assert_eq(p + 2, buf_end, "end tag is last");
				return n;
			}
			cr_assert_eq(name, 0x8, "only I/O port small items");
			(*io_ports)++;
			p += 1 + len;
			continue;
		}
		unsigned int len = rd16(p + 1), wd;
		cr_assert_leq(p + 3 + len, buf_end);
		switch (p[0]) {
		case 0x88:
			wd = 2;
			break;
		case 0x87:
			wd = 4;
			break;
		case 0x8A:
			wd = 8;
			break;
		default:
			cr_assert_fail("large item %#x", p[0]);
			return 0;
		}
		cr_assert_eq(len, 3 + 5 * wd);
		cr_assert_lt(n, max);
		cr_assert_eq(p[4] & 0x0D, 0x0C, "producer, MinFixed, MaxFixed");
		uint64_t f[5] = { 0 };
		for (int i = 0; i < 5; i++)
			for (unsigned int b = 0; b < wd; b++)
				f[i] |= (uint64_t)p[6 + i * wd + b] << (8 * b);
		win[n++] = (struct window){ p[3], f[1], f[2], f[4] };
		cr_assert_eq(f[4], f[2] - f[1] + 1, "_LEN = _MAX - _MIN + 1");
		p += 3 + len;
	}
}

static bool has_window(const struct window *w, unsigned int n, uint8_t type, uint64_t min,
		       uint64_t max)
{
	for (unsigned int i = 0; i < n; i++)
		if (w[i].type == type && w[i].min == min && w[i].max == max)
			return true;
	return false;
}

Test(acpi, dsdt_pci0_crs_windows, .init = setup, .fini = teardown)
{
	build();
	struct walker w = walk_dsdt();
	struct window win[8];
	unsigned int io_ports;
	const uint8_t *end = at(lay.dsdt, lay.dsdt_len) + lay.dsdt_len;
	unsigned int n = parse_crs(find(&w, "\\_SB_.PCI0._CRS"), end, win, 8, &io_ports);
	cr_assert_eq(n, 5);
	cr_assert_eq(io_ports, 1, "the 0xCF8 config ports");
	cr_assert(has_window(win, n, 2, 0, 0), "bus 0");
	cr_assert(has_window(win, n, 1, 0, 0xCF7));
	cr_assert(has_window(win, n, 1, 0xD00, 0xFFFF));
	cr_assert(has_window(win, n, 0, 0xA0000, 0xBFFFF), "legacy VGA window");
	cr_assert(has_window(win, n, 0, 0xC0000000, 0xFEBFFFFF), "BAR window");

	setup();
	cfg.pci_mmio64_base = 0x800000000ULL;
	cfg.pci_mmio64_limit = 0xFFFFFFFFFULL;
	build();
	w = walk_dsdt();
	end = at(lay.dsdt, lay.dsdt_len) + lay.dsdt_len;
	n = parse_crs(find(&w, "\\_SB_.PCI0._CRS"), end, win, 8, &io_ports);
	cr_assert_eq(n, 6);
	cr_assert(has_window(win, n, 0, 0x800000000ULL, 0xFFFFFFFFFULL), "64-bit window");
}

Test(acpi, dsdt_prt_swizzle, .init = setup, .fini = teardown)
{
	build();
	struct walker w = walk_dsdt();
	const uint8_t *p = find(&w, "\\_SB_.PCI0._PRT");
	const uint8_t *end = at(lay.dsdt, lay.dsdt_len) + lay.dsdt_len;
	bool seen[32][4] = { { false } };

	cr_assert_eq(*p++, 0x12);
	const uint8_t *prt_end = p + pkglength(&p, end);
	unsigned int n = *p++;
	cr_assert_eq(n, 31 * 4);
	for (unsigned int i = 0; i < n; i++) {
		cr_assert_eq(*p++, 0x12, "entry %u is a package", i);
		const uint8_t *e_end = p + pkglength(&p, prt_end);
		cr_assert_eq(*p++, 4);
		uint64_t adr = integer(&p, e_end);
		uint64_t pin = integer(&p, e_end);
		uint64_t src = integer(&p, e_end);
		uint64_t gsi = integer(&p, e_end);
		cr_assert_eq(p, e_end);
		unsigned int slot = (unsigned int)(adr >> 16);
		cr_assert_eq(adr & 0xFFFF, 0xFFFF, "any function");
		cr_assert(slot >= 1 && slot <= 31 && pin < 4);
		cr_assert_not(seen[slot][pin], "duplicate entry");
		seen[slot][pin] = true;
		cr_assert_eq(src, 0, "GSI routing, no link device");
		cr_assert_eq(gsi, 16 + (slot + pin) % 4, "slot %u pin %lu", slot, (unsigned long)pin);
		cr_assert_eq(gsi, acpi_pci_gsi(&cfg, slot, (unsigned int)pin));
	}
	cr_assert_eq(p, prt_end);
}

/* --- Failures ------------------------------------------------------------- */

Test(acpi, every_short_buffer_fails_cleanly, .init = setup, .fini = teardown)
{
	build();
	size_t need = lay.size;
	uint8_t *small = malloc(need + GUARD);
	for (size_t cap = 0; cap < need; cap++) {
		struct acpi_tables_layout l;
		memset(small, 0x5A, need + GUARD);
		host_log_reset();
		cr_assert_eq(acpi_tables_build(&cfg, small, cap, &l), -1, "cap %zu", cap);
		cr_assert_eq(host_log_count(), 1);
		cr_assert(host_log_contains("too small"));
		cr_assert_eq(l.size, 0);
		for (size_t i = cap; i < need + GUARD; i++)
			cr_assert_eq(small[i], 0x5A, "cap %zu: byte %zu written", cap, i);
	}
	struct acpi_tables_layout l;
	cr_assert_eq(acpi_tables_build(&cfg, small, need, &l), 0, "exactly enough");
	cr_assert_eq(memcmp(small, buf, need), 0, "same bytes as in a big buffer");
	free(small);
}

Test(acpi, invalid_configs_refused, .init = setup, .fini = teardown)
{
	struct acpi_config bad[12];
	unsigned int n = 0;
	for (unsigned int i = 0; i < 12; i++)
		acpi_config_default(&bad[i], 2, BASE);
	bad[n++].nr_cpus = 0;
	bad[n++].nr_cpus = 5;
	bad[n++].base = BASE + 8;
	bad[n++].base = 0xFFFF8000ULL;
	bad[n++].pm_base = 0xFFFA;
	bad[n++].sci_irq = 2;
	bad[n++].sci_irq = 16;
	bad[n++].ioapic_id = 16;
	bad[n++].ioapic_addr = 0x100000000ULL;
	bad[n++].pci_gsi_base = 21;
	bad[n].pci_mmio32_base = 0xF0000000U;
	bad[n++].pci_mmio32_limit = 0xEFFFFFFFU;
	bad[n++].pci_mmio64_base = 0x1000;
	for (unsigned int i = 0; i < n; i++) {
		struct acpi_tables_layout l;
		host_log_reset();
		memset(buf, 0xCC, BUF_SIZE);
		cr_assert_eq(acpi_tables_build(&bad[i], buf, BUF_SIZE, &l), -1, "config %u", i);
		cr_assert_eq(host_log_count(), 1, "config %u: one line", i);
		cr_assert_eq(buf[0], 0xCC, "config %u: nothing written", i);
	}
	struct acpi_tables_layout l;
	host_log_reset();
	cr_assert_eq(acpi_tables_build(NULL, buf, BUF_SIZE, &l), -1);
	cr_assert_eq(acpi_tables_build(&cfg, NULL, BUF_SIZE, &l), -1);
	cr_assert_eq(acpi_tables_build(&cfg, buf, BUF_SIZE, NULL), -1);
}

Test(acpi, tables_follow_base, .init = setup, .fini = teardown)
{
	cfg.base = 0x7FF0000ULL; /* e.g. the top of a 128 MiB partition's RAM */
	cr_assert_eq(acpi_tables_build(&cfg, buf, BUF_SIZE, &lay), 0);
	cr_assert_eq(lay.rsdp, 0x7FF0000ULL);
	const uint8_t *f = buf + (lay.fadt - cfg.base);
	cr_assert_eq(memcmp(f, "FACP", 4), 0);
	cr_assert_eq(rd64(f + F_X_DSDT), lay.dsdt);
	cr_assert_eq(lay.dsdt - cfg.base, 0x80, "DSDT after RSDP and FACS");
	cr_assert_eq(lay.facs - cfg.base, 0x40);
}
