/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/boot/acpi_host.h"
#include "core/lib/string.h"
#include "core/log.h"

/* Entries of an RSDT (4 bytes) or XSDT (8 bytes) read at most: with
 * ACPI_SDT_MAX_LEN a hostile table could list 128 K of them. */
#define ACPI_MAX_ROOT_ENTRIES 1024

/* What an RSDP says, once checked. */
struct rsdp_view {
	uint8_t revision;
	uint32_t rsdt;
	uint64_t xsdt; /* 0 if the RSDP has none or its 2.0 part failed */
};

static uint32_t load_u32(const uint8_t *p)
{
	uint32_t v;
	bh_memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t load_u64(const uint8_t *p)
{
	uint64_t v;
	bh_memcpy(&v, p, sizeof(v));
	return v;
}

uint8_t acpi_host_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum;
}

/* Signature and ACPI 1.0 checksum of the first 20 bytes: enough to call the
 * bytes an RSDP (what the BIOS-area scan looks for). */
static bool rsdp_v1_valid(const uint8_t *p)
{
	return bh_memcmp(p, ACPI_RSDP_SIG, ACPI_RSDP_SIG_LEN) == 0 &&
	       acpi_host_checksum(p, ACPI_RSDP_V1_LEN) == 0;
}

/* The 2.0 part (Length, XSDT, extended checksum) of an RSDP whose first 20
 * bytes are valid; `avail` bytes can be read at p. A bad 2.0 part leaves the
 * RSDT usable. */
static void rsdp_read(const uint8_t *p, uint32_t avail, struct rsdp_view *v)
{
	v->revision = p[ACPI_RSDP_OFF_REVISION];
	v->rsdt = load_u32(p + ACPI_RSDP_OFF_RSDT);
	v->xsdt = 0;
	if (v->revision < ACPI_RSDP_REV_XSDT)
		return;
	uint32_t len = avail >= ACPI_RSDP_V2_LEN ? load_u32(p + ACPI_RSDP_OFF_LENGTH) : 0;
	if (len < ACPI_RSDP_V2_LEN || len > avail) {
		pr_warn("acpi: firmware RSDP revision %u has Length %u (%u bytes readable); using its RSDT",
			v->revision, len, avail);
		return;
	}
	if (acpi_host_checksum(p, len) != 0) {
		pr_warn("acpi: firmware RSDP extended checksum is wrong; using its RSDT");
		return;
	}
	v->xsdt = load_u64(p + ACPI_RSDP_OFF_XSDT);
}

/* Look for an RSDP in [start, end) of physical memory. */
static uint64_t rsdp_search(uint64_t start, uint64_t end, phys_reader rd, void *ctx)
{
	if (end <= start || end - start < ACPI_RSDP_V1_LEN)
		return 0;
	const uint8_t *area = rd(ctx, start, end - start);
	if (!area)
		return 0;
	for (uint64_t off = 0; off + ACPI_RSDP_V1_LEN <= end - start; off += ACPI_RSDP_ALIGN)
		if (rsdp_v1_valid(area + off))
			return start + off;
	return 0;
}

/* The RSDP at pa found by a scan: read its full Length if it claims one. */
static bool rsdp_at(uint64_t pa, phys_reader rd, void *ctx, struct rsdp_view *v)
{
	const uint8_t *p = rd(ctx, pa, ACPI_RSDP_V1_LEN);
	if (!p || !rsdp_v1_valid(p))
		return false;
	uint32_t avail = ACPI_RSDP_V1_LEN;
	if (p[ACPI_RSDP_OFF_REVISION] >= ACPI_RSDP_REV_XSDT) {
		const uint8_t *full = rd(ctx, pa, ACPI_RSDP_V2_LEN);
		if (full) {
			uint32_t len = load_u32(full + ACPI_RSDP_OFF_LENGTH);
			const uint8_t *all = len >= ACPI_RSDP_V2_LEN && len <= ACPI_RSDP_MAX_LEN
							     ? rd(ctx, pa, len)
							     : NULL;
			p = all ? all : full;
			avail = all ? len : ACPI_RSDP_V2_LEN;
		}
	}
	rsdp_read(p, avail, v);
	return true;
}

/* ACPI 6.4 §5.2.5.1: first KiB of the EBDA, then the BIOS read-only area. */
static uint64_t rsdp_scan_bios(phys_reader rd, void *ctx)
{
	const uint8_t *seg = rd(ctx, ACPI_BDA_EBDA_SEG, 2);
	if (seg) {
		uint64_t ebda = (uint64_t)(seg[0] | seg[1] << 8) << 4;
		if (ebda >= ACPI_EBDA_MIN && ebda < ACPI_EBDA_MAX) {
			uint64_t pa = rsdp_search(ebda, MIN(ebda + ACPI_EBDA_SCAN_LEN, ACPI_EBDA_MAX),
						  rd, ctx);
			if (pa)
				return pa;
		}
	}
	return rsdp_search(ACPI_BIOS_ROM_START, ACPI_BIOS_ROM_END, rd, ctx);
}

static bool find_rsdp(struct acpi_host *ai, const struct boot_info *bi, phys_reader rd, void *ctx,
		      struct rsdp_view *v)
{
	if (bi && bi->rsdp_len >= ACPI_RSDP_V1_LEN) {
		uint32_t avail = MIN(bi->rsdp_len, (uint32_t)sizeof(bi->rsdp_copy));
		if (rsdp_v1_valid(bi->rsdp_copy)) {
			rsdp_read(bi->rsdp_copy, avail, v);
			ai->rsdp_pa = bi->acpi_rsdp;
			ai->rsdp_from_loader = true;
			return true;
		}
		pr_warn("acpi: the loader's RSDP copy has a bad signature or checksum; searching the BIOS areas");
	}
	uint64_t pa = rsdp_scan_bios(rd, ctx);
	if (!pa || !rsdp_at(pa, rd, ctx, v))
		return false;
	ai->rsdp_pa = pa;
	return true;
}

/* A system description table at pa with signature sig (NULL: any), its
 * length bounded and its checksum right; NULL (with a line naming `what`)
 * otherwise. */
static const uint8_t *sdt_map(uint64_t pa, const char *sig, const char *what, phys_reader rd,
			      void *ctx, uint32_t *len_out)
{
	const uint8_t *h = pa ? rd(ctx, pa, ACPI_SDT_HDR_LEN) : NULL;
	if (!h) {
		pr_warn("acpi: firmware %s at %#lx is not readable; ignored", what, pa);
		return NULL;
	}
	if (sig && bh_memcmp(h, sig, 4) != 0) {
		pr_warn("acpi: firmware %s at %#lx does not carry the signature '%s'; ignored",
			what, pa, sig);
		return NULL;
	}
	uint32_t len = load_u32(h + ACPI_SDT_OFF_LENGTH);
	if (len < ACPI_SDT_HDR_LEN || len > ACPI_SDT_MAX_LEN) {
		pr_warn("acpi: firmware %s at %#lx has impossible length %u; ignored", what, pa, len);
		return NULL;
	}
	const uint8_t *t = rd(ctx, pa, len);
	if (!t) {
		pr_warn("acpi: firmware %s at %#lx (%u bytes) is not readable; ignored", what, pa,
			len);
		return NULL;
	}
	if (acpi_host_checksum(t, len) != 0) {
		pr_warn("acpi: firmware %s at %#lx has a wrong checksum; ignored", what, pa);
		return NULL;
	}
	*len_out = len;
	return t;
}

static void add_cpu(struct acpi_host *ai, uint32_t apic_id, uint32_t uid, uint32_t flags, bool x2apic)
{
	if (!(flags & ACPI_MADT_CPU_ENABLED)) {
		ai->nr_disabled++;
		return;
	}
	for (unsigned int i = 0; i < ai->nr_cpus; i++) {
		if (ai->cpus[i].apic_id == apic_id) {
			ai->nr_duplicates++;
			return;
		}
	}
	if (ai->nr_cpus == ACPI_HOST_MAX_CPUS) {
		ai->nr_dropped++;
		return;
	}
	ai->cpus[ai->nr_cpus++] = (struct acpi_host_cpu){ apic_id, uid, x2apic };
}

/* MADT interrupt controller structures (ACPI 6.4 §5.2.12): type, length,
 * body. A length that cannot be right ends the walk (nothing after it can be
 * located); a known type that is too short is skipped. */
static void madt_parse(struct acpi_host *ai, const uint8_t *t, uint32_t len)
{
	unsigned int too_short = 0;
	ai->lapic_pa = load_u32(t + ACPI_MADT_OFF_LAPIC_ADDR);
	ai->madt_flags = load_u32(t + ACPI_MADT_OFF_FLAGS);
	for (uint32_t off = ACPI_MADT_OFF_ENTRIES; off + 2 <= len;) {
		uint8_t type = t[off], elen = t[off + 1];
		const uint8_t *e = t + off;
		if (elen < 2 || elen > len - off) {
			pr_warn("acpi: firmware MADT entry at offset %u has bad length %u; rest of the MADT ignored",
				off, elen);
			break;
		}
		switch (type) {
		case ACPI_MADT_LOCAL_APIC:
			if (elen < ACPI_MADT_LOCAL_APIC_LEN)
				too_short++;
			else
				add_cpu(ai, e[3], e[2], load_u32(e + 4), false);
			break;
		case ACPI_MADT_LOCAL_X2APIC:
			if (elen < ACPI_MADT_LOCAL_X2APIC_LEN)
				too_short++;
			else if (load_u32(e + 4) == UINT32_MAX) /* the broadcast ID names no CPU */
				too_short++;
			else
				add_cpu(ai, load_u32(e + 4), load_u32(e + 12), load_u32(e + 8), true);
			break;
		case ACPI_MADT_LAPIC_OVERRIDE:
			if (elen < ACPI_MADT_LAPIC_OVERRIDE_LEN)
				too_short++;
			else
				ai->lapic_pa = load_u64(e + 4);
			break;
		default:
			break; /* I/O APICs, overrides, NMI sources: not ours to use */
		}
		off += elen;
	}
	if (too_short)
		pr_warn("acpi: firmware MADT has %u malformed processor/override entries; skipped",
			too_short);
	if (ai->nr_duplicates)
		pr_warn("acpi: firmware MADT lists %u APIC IDs more than once; later entries ignored",
			ai->nr_duplicates);
}

/* The FADT's PM timer: the 64-bit X_PM_TMR_BLK when it names an I/O port,
 * else the 32-bit PM_TMR_BLK (ACPI 6.4 §5.2.9: X_ supersedes when non-zero).
 * A timer in memory space (hardware-reduced platforms) is not used. */
static void fadt_parse(struct acpi_host *ai, const uint8_t *t, uint32_t len)
{
	uint64_t port = 0;
	if (len < ACPI_FADT_OFF_FLAGS + 4)
		return;
	if (len >= ACPI_FADT_OFF_X_PM_TMR_BLK + ACPI_GAS_LEN) {
		const uint8_t *gas = t + ACPI_FADT_OFF_X_PM_TMR_BLK;
		uint64_t addr = load_u64(gas + ACPI_GAS_OFF_ADDR);
		if (addr && gas[0] != ACPI_GAS_SPACE_IO)
			return;
		port = addr;
	}
	if (!port && t[ACPI_FADT_OFF_PM_TMR_LEN] == ACPI_PM_TMR_LEN)
		port = load_u32(t + ACPI_FADT_OFF_PM_TMR_BLK);
	if (!port || port > 0xffff - 3)
		return;
	ai->pm_timer_port = (uint16_t)port;
	ai->pm_timer_32bit = load_u32(t + ACPI_FADT_OFF_FLAGS) & ACPI_FADT_FLAG_TMR_VAL_EXT;
}

static void hpet_parse(struct acpi_host *ai, const uint8_t *t, uint32_t len)
{
	if (len < ACPI_HPET_MIN_LEN || t[ACPI_HPET_OFF_BASE] != ACPI_GAS_SPACE_MEMORY)
		return;
	uint64_t pa = load_u64(t + ACPI_HPET_OFF_BASE + ACPI_GAS_OFF_ADDR);
	if (pa && !(pa & (PAGE_SIZE - 1)))
		ai->hpet_pa = pa; /* the block is 1 KiB, page aligned in practice */
}

/* One table of the root: the first valid MADT, FADT and HPET are read. */
static void root_entry(struct acpi_host *ai, uint64_t pa, const uint8_t *h, phys_reader rd, void *ctx)
{
	uint32_t len;
	const uint8_t *t;
	if (!ai->madt_pa && bh_memcmp(h, ACPI_SIG_MADT, 4) == 0) {
		t = sdt_map(pa, ACPI_SIG_MADT, "MADT", rd, ctx, &len);
		if (!t)
			return;
		if (len < ACPI_MADT_OFF_ENTRIES) {
			pr_warn("acpi: firmware MADT at %#lx is %u bytes, too short; ignored", pa,
				len);
			return;
		}
		ai->madt_pa = pa;
		madt_parse(ai, t, len);
	} else if (!ai->pm_timer_port && bh_memcmp(h, ACPI_SIG_FADT, 4) == 0) {
		t = sdt_map(pa, ACPI_SIG_FADT, "FADT", rd, ctx, &len);
		if (t)
			fadt_parse(ai, t, len);
	} else if (!ai->hpet_pa && bh_memcmp(h, ACPI_SIG_HPET, 4) == 0) {
		t = sdt_map(pa, ACPI_SIG_HPET, "HPET table", rd, ctx, &len);
		if (t)
			hpet_parse(ai, t, len);
	}
}

/* Walk the RSDT (entry_size 4) or XSDT (8). True if it held a valid MADT. */
static bool root_walk(struct acpi_host *ai, uint64_t root_pa, unsigned int entry_size,
		      phys_reader rd, void *ctx)
{
	const char *sig = entry_size == 8 ? ACPI_SIG_XSDT : ACPI_SIG_RSDT;
	uint32_t len;
	const uint8_t *root = sdt_map(root_pa, sig, sig, rd, ctx, &len);
	if (!root)
		return false;
	uint32_t n = (len - ACPI_SDT_HDR_LEN) / entry_size;
	unsigned int unreadable = 0;
	if (n > ACPI_MAX_ROOT_ENTRIES) {
		pr_warn("acpi: firmware %s lists %u tables; only the first %u are looked at", sig,
			n, ACPI_MAX_ROOT_ENTRIES);
		n = ACPI_MAX_ROOT_ENTRIES;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = root + ACPI_SDT_HDR_LEN + (size_t)i * entry_size;
		uint64_t pa = entry_size == 8 ? load_u64(e) : load_u32(e);
		const uint8_t *h = pa ? rd(ctx, pa, ACPI_SDT_HDR_LEN) : NULL;
		if (!h) {
			unreadable++;
			continue;
		}
		root_entry(ai, pa, h, rd, ctx);
	}
	if (unreadable)
		pr_warn("acpi: firmware %s has %u entries pointing to unreadable memory; skipped",
			sig, unreadable);
	return ai->madt_pa != 0;
}

bool acpi_host_scan(struct acpi_host *ai, const struct boot_info *bi, phys_reader rd, void *ctx)
{
	struct rsdp_view v;
	bh_memset(ai, 0, sizeof(*ai));
	if (!find_rsdp(ai, bi, rd, ctx, &v))
		return false;
	ai->rsdp_revision = v.revision;
	/* ACPI 6.4 §5.2.5.3: an XSDT, when present, supersedes the RSDT; a
	 * broken one leaves the RSDT as the fallback. */
	if (v.xsdt && root_walk(ai, v.xsdt, 8, rd, ctx)) {
		ai->via_xsdt = true;
		return true;
	}
	return v.rsdt && root_walk(ai, v.rsdt, 4, rd, ctx);
}
