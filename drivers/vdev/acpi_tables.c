/* SPDX-License-Identifier: BSD-2-Clause */
/* ACPI tables: RSDP, RSDT, XSDT, FADT, FACS, MADT and an AML DSDT. */
#include "drivers/vdev/acpi_tables.h"

#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "drivers/vdev/acpi_pm.h"
#include "drivers/vdev/aml.h"
#include "drivers/vdev/sys_ports.h"

/* System description table header (ACPI 6.4 §5.2.6). */
struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __packed;
STATIC_ASSERT(sizeof(struct acpi_header) == 36, "ACPI header");

/* Root System Description Pointer (§5.2.5.3). */
struct acpi_rsdp {
	char signature[8];
	uint8_t checksum; /* first 20 bytes */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum; /* whole structure */
	uint8_t reserved[3];
} __packed;
STATIC_ASSERT(sizeof(struct acpi_rsdp) == 36, "RSDP");
#define RSDP_V1_LEN 20
#define RSDP_REVISION 2

/* Generic Address Structure (§5.2.3.2). */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __packed;
#define GAS_SYSTEM_IO 1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2
#define GAS_ACCESS_DWORD 3

/* Fixed ACPI Description Table, revision 6 (§5.2.9). */
struct acpi_fadt {
	struct acpi_header header;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	char hypervisor_vendor_id[8];
} __packed;
STATIC_ASSERT(sizeof(struct acpi_fadt) == 276, "FADT revision 6");
STATIC_ASSERT(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
STATIC_ASSERT(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT X_PM_TMR_BLK");
#define FADT_REVISION 6
#define FADT_MINOR_VERSION 0

/* FADT fixed feature flags (§5.2.9). */
#define FADT_WBINVD BIT(0)
#define FADT_PROC_C1 BIT(2)
#define FADT_SLP_BUTTON BIT(5)  /* no fixed-feature sleep button */
#define FADT_FIX_RTC BIT(6)     /* no RTC wake status in PM1 */
#define FADT_TMR_VAL_EXT BIT(8) /* 32-bit PM timer */
#define FADT_RESET_REG_SUP BIT(10)
/* IA-PC boot architecture flags (§5.2.9.3). */
#define FADT_BOOT_LEGACY_DEVICES BIT(0)
#define FADT_BOOT_8042 BIT(1)
#define FADT_BOOT_VGA_NOT_PRESENT BIT(2)
/* C2/C3 latencies above these mean "not supported" (§5.2.9). */
#define FADT_C2_UNSUPPORTED 101
#define FADT_C3_UNSUPPORTED 1001
#define FADT_CENTURY_CMOS_INDEX 0x32 /* drivers/vdev/rtc_cmos.h CMOS_CENTURY */
#define FADT_RESET_VALUE (CF9_SYS_RST | CF9_RST_CPU)
#define FADT_HYPERVISOR_VENDOR "BULKHEAD"

/* Firmware ACPI Control Structure (§5.2.10). */
struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} __packed;
STATIC_ASSERT(sizeof(struct acpi_facs) == 64, "FACS");
#define FACS_ALIGN 64
#define FACS_VERSION 2

/* Multiple APIC Description Table (§5.2.12). */
struct acpi_madt {
	struct acpi_header header;
	uint32_t lapic_address;
	uint32_t flags;
} __packed;
#define MADT_REVISION 5
#define MADT_PCAT_COMPAT BIT(0)

#define MADT_TYPE_LAPIC 0
#define MADT_TYPE_IOAPIC 1
#define MADT_TYPE_ISO 2
#define MADT_TYPE_LAPIC_NMI 4

struct madt_lapic { /* §5.2.12.2 */
	uint8_t type;
	uint8_t length;
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} __packed;
#define MADT_LAPIC_ENABLED BIT(0)

struct madt_ioapic { /* §5.2.12.3 */
	uint8_t type;
	uint8_t length;
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __packed;

struct madt_iso { /* §5.2.12.5 */
	uint8_t type;
	uint8_t length;
	uint8_t bus;
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;
} __packed;
#define MADT_ISA_BUS 0

struct madt_lapic_nmi { /* §5.2.12.7 */
	uint8_t type;
	uint8_t length;
	uint8_t processor_uid;
	uint16_t flags;
	uint8_t lint;
} __packed;
#define MADT_ALL_PROCESSORS 0xFF
#define MADT_NMI_LINT 1

/* MPS INTI flags (§5.2.12.5). */
#define MPS_POLARITY_HIGH 0x1
#define MPS_POLARITY_LOW 0x3
#define MPS_TRIGGER_EDGE (0x1 << 2)
#define MPS_TRIGGER_LEVEL (0x3 << 2)
#define ISA_TIMER_IRQ 0
#define IOAPIC_TIMER_GSI 2

#define RSDT_REVISION 1
#define XSDT_REVISION 1
#define DSDT_REVISION 2 /* 64-bit AML integers */
#define TABLE_ALIGN 16

/* PCI host bridge resources (PCI Local Bus 3.0 §3.2.2.3.2 for 0xCF8). */
#define PCI_CONFIG_PORT 0xCF8
#define PCI_CONFIG_PORT_LEN 8
#define PCI_IO_LOW_LIMIT 0x0CF7
#define PCI_IO_HIGH_BASE 0x0D00
#define PCI_IO_HIGH_LIMIT 0xFFFF
#define PCI_VGA_BASE 0xA0000
#define PCI_VGA_LIMIT 0xBFFFF
#define PCI_ROOT_BUS 0
#define PCI_ADR_ANY_FUNCTION 0xFFFF

#define FOUR_GIB (1ULL << 32)

struct writer {
	uint8_t *buf;
	size_t cap;
	size_t off;
	gpa_t base;
};

static uint8_t checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + b[i]);
	return (uint8_t)-sum;
}

static void copy_id(char *dst, const char *src, size_t n)
{
	bh_memcpy(dst, src, n); /* fixed-width, not NUL-terminated */
}

/* Zeroed room for a table at the next `align` boundary, or NULL. */
static void *reserve(struct writer *w, size_t len, size_t align, gpa_t *gpa)
{
	size_t at = ALIGN_UP(w->off, align);

	if (at < w->off || at > w->cap || len > w->cap - at)
		return NULL;
	bh_memset(w->buf + w->off, 0, at + len - w->off);
	w->off = at + len;
	*gpa = w->base + at;
	return w->buf + at;
}

static void fill_header(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	copy_id(h->signature, sig, sizeof(h->signature));
	h->length = len;
	h->revision = rev;
	copy_id(h->oem_id, ACPI_OEM_ID, sizeof(h->oem_id));
	copy_id(h->oem_table_id, ACPI_OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = ACPI_OEM_REVISION;
	copy_id(h->creator_id, ACPI_CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = ACPI_CREATOR_REVISION;
}

static void seal(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = checksum(h, h->length);
}

static struct acpi_gas io_gas(uint16_t port, unsigned int len, uint8_t access)
{
	return (struct acpi_gas){ .space_id = GAS_SYSTEM_IO,
				  .bit_width = (uint8_t)(8 * len),
				  .access_size = access,
				  .address = port };
}

/* --- DSDT ------------------------------------------------------------ */

/* \_S5: SLP_TYPa, SLP_TYPb (there is no PM1b block), two reserved
 * (ACPI 6.4 §7.4.2). */
static void dsdt_sleep_states(struct aml_buf *b)
{
	aml_name(b, "_S5");
	size_t pkg = aml_package_begin(b, 4);
	aml_integer(b, ACPI_SLP_TYP_S5);
	aml_integer(b, ACPI_SLP_TYP_S5);
	aml_integer(b, 0);
	aml_integer(b, 0);
	aml_package_end(b, pkg);
}

/* The root bridge decodes bus 0, all I/O but its own config ports, the
 * legacy VGA hole and the BAR window(s) (ACPI 6.4 §6.4.3.5). */
static void dsdt_pci_crs(struct aml_buf *b, const struct acpi_config *c)
{
	aml_name(b, "_CRS");
	size_t rt = aml_restemplate_begin(b);
	aml_res_word_bus_number(b, PCI_ROOT_BUS, PCI_ROOT_BUS);
	aml_res_io(b, PCI_CONFIG_PORT, PCI_CONFIG_PORT, 1, PCI_CONFIG_PORT_LEN);
	aml_res_word_io(b, 0, PCI_IO_LOW_LIMIT);
	aml_res_word_io(b, PCI_IO_HIGH_BASE, PCI_IO_HIGH_LIMIT);
	aml_res_dword_memory(b, PCI_VGA_BASE, PCI_VGA_LIMIT, true);
	aml_res_dword_memory(b, c->pci_mmio32_base, c->pci_mmio32_limit, false);
	if (c->pci_mmio64_limit)
		aml_res_qword_memory(b, c->pci_mmio64_base, c->pci_mmio64_limit, false);
	aml_restemplate_end(b, rt);
}

/* _PRT entries {address 0xSSSSFFFF, pin, source 0, GSI} (§6.2.13). */
static void dsdt_pci_prt(struct aml_buf *b, const struct acpi_config *c)
{
	unsigned int n = (ACPI_PCI_LAST_SLOT - ACPI_PCI_FIRST_ROUTED_SLOT + 1) * ACPI_PCI_INT_PINS;

	aml_name(b, "_PRT");
	size_t prt = aml_package_begin(b, n);
	for (unsigned int slot = ACPI_PCI_FIRST_ROUTED_SLOT; slot <= ACPI_PCI_LAST_SLOT; slot++) {
		for (unsigned int pin = 0; pin < ACPI_PCI_INT_PINS; pin++) {
			size_t e = aml_package_begin(b, 4);
			aml_integer(b, (uint64_t)slot << 16 | PCI_ADR_ANY_FUNCTION);
			aml_integer(b, pin);
			aml_integer(b, 0);
			aml_integer(b, acpi_pci_gsi(c, slot, pin));
			aml_package_end(b, e);
		}
	}
	aml_package_end(b, prt);
}

static void dsdt_pci_root(struct aml_buf *b, const struct acpi_config *c)
{
	size_t dev = aml_device_begin(b, "PCI0");
	/* _HID and no _ADR: a device has one or the other (ACPI 6.4 §6.1). */
	aml_name_eisaid(b, "_HID", "PNP0A03");
	aml_name_integer(b, "_UID", 0);
	aml_name_integer(b, "_SEG", 0);
	aml_name_integer(b, "_BBN", PCI_ROOT_BUS);
	dsdt_pci_crs(b, c);
	dsdt_pci_prt(b, c);
	aml_block_end(b, dev);
}

/* Processor devices (§8.4): _UID matches the MADT's processor UID. */
static void dsdt_processors(struct aml_buf *b, const struct acpi_config *c)
{
	for (unsigned int i = 0; i < c->nr_cpus; i++) {
		char name[8];
		bh_snprintf(name, sizeof(name), "CPU%X", i);
		size_t dev = aml_device_begin(b, name);
		aml_name_str(b, "_HID", "ACPI0007");
		aml_name_integer(b, "_UID", i);
		aml_block_end(b, dev);
	}
}

static int build_dsdt(struct writer *w, const struct acpi_config *c, gpa_t *gpa, uint32_t *len)
{
	struct acpi_header hdr = { 0 };
	struct aml_buf b;
	size_t at = ALIGN_UP(w->off, TABLE_ALIGN);

	if (at > w->cap)
		return -1;
	bh_memset(w->buf + w->off, 0, at - w->off);
	aml_init(&b, w->buf + at, w->cap - at);
	aml_raw(&b, &hdr, sizeof(hdr));
	dsdt_sleep_states(&b);
	size_t sb = aml_scope_begin(&b, "\\_SB");
	dsdt_pci_root(&b, c);
	dsdt_processors(&b, c);
	aml_block_end(&b, sb);
	if (!aml_ok(&b) || b.len > UINT32_MAX)
		return -1;

	struct acpi_header *h = (struct acpi_header *)(w->buf + at);
	fill_header(h, "DSDT", (uint32_t)b.len, DSDT_REVISION);
	seal(h);
	w->off = at + b.len;
	*gpa = w->base + at;
	*len = (uint32_t)b.len;
	return 0;
}

/* --- FADT, FACS, MADT, RSDT/XSDT, RSDP -------------------------------- */

static int build_facs(struct writer *w, gpa_t *gpa)
{
	struct acpi_facs *f = reserve(w, sizeof(*f), FACS_ALIGN, gpa);

	if (!f)
		return -1;
	copy_id(f->signature, "FACS", sizeof(f->signature));
	f->length = sizeof(*f);
	f->version = FACS_VERSION;
	return 0; /* no checksum: the FACS is read-write (§5.2.10) */
}

static int build_fadt(struct writer *w, const struct acpi_config *c,
		      const struct acpi_tables_layout *l, gpa_t *gpa)
{
	struct acpi_fadt *f = reserve(w, sizeof(*f), TABLE_ALIGN, gpa);
	uint16_t evt = (uint16_t)(c->pm_base + ACPI_PM1_EVT_OFFSET);
	uint16_t cnt = (uint16_t)(c->pm_base + ACPI_PM1_CNT_OFFSET);
	uint16_t tmr = (uint16_t)(c->pm_base + ACPI_PM_TMR_OFFSET);

	if (!f)
		return -1;
	fill_header(&f->header, "FACP", sizeof(*f), FADT_REVISION);
	/* FIRMWARE_CTRL must be 0 when X_FIRMWARE_CTRL is used (§5.2.9);
	 * both DSDT fields may hold the same address. */
	f->x_firmware_ctrl = l->facs;
	f->dsdt = (uint32_t)l->dsdt;
	f->x_dsdt = l->dsdt;
	f->sci_int = c->sci_irq;
	f->smi_cmd = 0; /* no SMM: the system is always in ACPI mode */
	f->pm1a_evt_blk = evt;
	f->pm1a_cnt_blk = cnt;
	f->pm_tmr_blk = tmr;
	f->pm1_evt_len = ACPI_PM1_EVT_LEN;
	f->pm1_cnt_len = ACPI_PM1_CNT_LEN;
	f->pm_tmr_len = ACPI_PM_TMR_LEN;
	f->x_pm1a_evt_blk = io_gas(evt, ACPI_PM1_EVT_LEN, GAS_ACCESS_WORD);
	f->x_pm1a_cnt_blk = io_gas(cnt, ACPI_PM1_CNT_LEN, GAS_ACCESS_WORD);
	f->x_pm_tmr_blk = io_gas(tmr, ACPI_PM_TMR_LEN, GAS_ACCESS_DWORD);
	f->p_lvl2_lat = FADT_C2_UNSUPPORTED;
	f->p_lvl3_lat = FADT_C3_UNSUPPORTED;
	f->century = FADT_CENTURY_CMOS_INDEX;
	f->iapc_boot_arch = FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042 | FADT_BOOT_VGA_NOT_PRESENT;
	f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC | FADT_TMR_VAL_EXT |
		   FADT_RESET_REG_SUP;
	f->reset_reg = io_gas(RESET_CONTROL_PORT, 1, GAS_ACCESS_BYTE);
	f->reset_value = FADT_RESET_VALUE;
	f->minor_version = FADT_MINOR_VERSION;
	copy_id(f->hypervisor_vendor_id, FADT_HYPERVISOR_VENDOR, sizeof(f->hypervisor_vendor_id));
	seal(&f->header);
	return 0;
}

static size_t madt_size(unsigned int nr_cpus)
{
	return sizeof(struct acpi_madt) + nr_cpus * sizeof(struct madt_lapic) +
	       sizeof(struct madt_ioapic) + 2 * sizeof(struct madt_iso) +
	       sizeof(struct madt_lapic_nmi);
}

static uint8_t *put_iso(uint8_t *p, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	struct madt_iso iso = { MADT_TYPE_ISO, sizeof(iso), MADT_ISA_BUS, irq, gsi, flags };
	bh_memcpy(p, &iso, sizeof(iso));
	return p + sizeof(iso);
}

static int build_madt(struct writer *w, const struct acpi_config *c, gpa_t *gpa)
{
	size_t len = madt_size(c->nr_cpus);
	struct acpi_madt *m = reserve(w, len, TABLE_ALIGN, gpa);
	uint8_t *p;

	if (!m)
		return -1;
	fill_header(&m->header, "APIC", (uint32_t)len, MADT_REVISION);
	m->lapic_address = (uint32_t)c->lapic_addr;
	m->flags = MADT_PCAT_COMPAT; /* dual 8259s present: Linux masks them */
	p = (uint8_t *)(m + 1);
	for (unsigned int i = 0; i < c->nr_cpus; i++) {
		struct madt_lapic e = { MADT_TYPE_LAPIC, sizeof(e), (uint8_t)i, (uint8_t)i,
					MADT_LAPIC_ENABLED };
		bh_memcpy(p, &e, sizeof(e));
		p += sizeof(e);
	}
	struct madt_ioapic io = { MADT_TYPE_IOAPIC,         sizeof(io), c->ioapic_id, 0,
				  (uint32_t)c->ioapic_addr, 0 };
	bh_memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	/* The PIT is wired to IOAPIC pin 2 (pin 0 takes the 8259's INTR). */
	p = put_iso(p, ISA_TIMER_IRQ, IOAPIC_TIMER_GSI, MPS_POLARITY_HIGH | MPS_TRIGGER_EDGE);
	/* The SCI is a shareable level interrupt, active high (§5.2.9 SCI_INT). */
	p = put_iso(p, c->sci_irq, c->sci_irq, MPS_POLARITY_HIGH | MPS_TRIGGER_LEVEL);
	struct madt_lapic_nmi nmi = { MADT_TYPE_LAPIC_NMI, sizeof(nmi), MADT_ALL_PROCESSORS,
				      MPS_POLARITY_HIGH | MPS_TRIGGER_EDGE, MADT_NMI_LINT };
	bh_memcpy(p, &nmi, sizeof(nmi));
	seal(&m->header);
	return 0;
}

/* RSDT (§5.2.7, 32-bit entries) and XSDT (§5.2.8, 64-bit entries). */
static int build_sdt(struct writer *w, const char *sig, unsigned int entry_size,
		     const gpa_t *entries, unsigned int n, gpa_t *gpa)
{
	size_t len = sizeof(struct acpi_header) + (size_t)n * entry_size;
	struct acpi_header *h = reserve(w, len, TABLE_ALIGN, gpa);

	if (!h)
		return -1;
	fill_header(h, sig, (uint32_t)len, entry_size == 4 ? RSDT_REVISION : XSDT_REVISION);
	uint8_t *p = (uint8_t *)(h + 1);
	for (unsigned int i = 0; i < n; i++, p += entry_size)
		bh_memcpy(p, &entries[i], entry_size); /* little endian */
	seal(h);
	return 0;
}

static void build_rsdp(struct acpi_rsdp *r, const struct acpi_tables_layout *l)
{
	bh_memset(r, 0, sizeof(*r));
	copy_id(r->signature, "RSD PTR ", sizeof(r->signature));
	copy_id(r->oem_id, ACPI_OEM_ID, sizeof(r->oem_id));
	r->revision = RSDP_REVISION;
	r->rsdt_address = (uint32_t)l->rsdt;
	r->length = sizeof(*r);
	r->xsdt_address = l->xsdt;
	r->checksum = checksum(r, RSDP_V1_LEN);
	r->extended_checksum = checksum(r, sizeof(*r));
}

/* --- Configuration ---------------------------------------------------- */

unsigned int acpi_pci_gsi(const struct acpi_config *c, unsigned int slot, unsigned int pin)
{
	return c->pci_gsi_base + (slot + pin) % ACPI_PCI_INT_PINS;
}

void acpi_config_default(struct acpi_config *c, unsigned int nr_cpus, gpa_t base)
{
	*c = (struct acpi_config){
		.nr_cpus = nr_cpus,
		.base = base,
		.pm_base = ACPI_PM_DEFAULT_BASE,
		.sci_irq = ACPI_SCI_IRQ,
		.lapic_addr = ACPI_LAPIC_DEFAULT_ADDR,
		.ioapic_addr = ACPI_IOAPIC_DEFAULT_ADDR,
		.ioapic_id = (uint8_t)nr_cpus,
		.ioapic_pins = ACPI_IOAPIC_DEFAULT_PINS,
		.pci_gsi_base = ACPI_PCI_DEFAULT_GSI_BASE,
		.pci_mmio32_base = ACPI_PCI_MMIO32_DEFAULT_BASE,
		.pci_mmio32_limit = ACPI_PCI_MMIO32_DEFAULT_LIMIT,
	};
}

#define IOAPIC_MAX_ID 0x0F
#define IOAPIC_MAX_PINS 240
#define ISA_IRQS 16
#define ISA_CASCADE_IRQ 2

/* Why the configuration cannot be described, or NULL. */
static const char *config_error(const struct acpi_config *c)
{
	if (c->nr_cpus < 1 || c->nr_cpus > ACPI_MAX_CPUS)
		return "vCPU count out of range";
	if (!IS_ALIGNED(c->base, ACPI_RSDP_ALIGN))
		return "base not 16-byte aligned";
	if (!range_within(c->base, ACPI_TABLES_MAX_SIZE, 0, FOUR_GIB))
		return "tables would not lie below 4 GiB";
	if (c->pm_base == 0 || (uint32_t)c->pm_base + ACPI_PM_NR_PORTS > 0x10000)
		return "PM block port out of range";
	if (c->sci_irq == 0 || c->sci_irq == ISA_CASCADE_IRQ || c->sci_irq >= ISA_IRQS)
		return "SCI must be an ISA IRQ other than 0 and 2";
	if (c->lapic_addr == 0 || c->lapic_addr >= FOUR_GIB || c->ioapic_addr == 0 ||
	    c->ioapic_addr >= FOUR_GIB)
		return "APIC address not below 4 GiB";
	if (c->ioapic_id > IOAPIC_MAX_ID)
		return "IOAPIC id above 15";
	if (c->ioapic_pins < ISA_IRQS || c->ioapic_pins > IOAPIC_MAX_PINS ||
	    c->pci_gsi_base < ISA_IRQS || c->pci_gsi_base > c->ioapic_pins - ACPI_PCI_INT_PINS)
		return "PCI GSIs do not fit the IOAPIC";
	if (c->pci_mmio32_base <= PCI_VGA_LIMIT || c->pci_mmio32_base > c->pci_mmio32_limit)
		return "bad 32-bit PCI window";
	if ((c->pci_mmio64_base || c->pci_mmio64_limit) &&
	    (c->pci_mmio64_base < FOUR_GIB || c->pci_mmio64_base > c->pci_mmio64_limit))
		return "bad 64-bit PCI window";
	return NULL;
}

int acpi_tables_build(const struct acpi_config *c, void *buf, size_t cap,
		      struct acpi_tables_layout *out)
{
	struct acpi_tables_layout l = { 0 };
	struct writer w = { .buf = buf, .cap = MIN(cap, (size_t)ACPI_TABLES_MAX_SIZE) };
	const char *err = !c || !buf || !out ? "missing argument" : config_error(c);
	gpa_t root[2];

	if (out)
		*out = l;
	if (err) {
		pr_err("acpi: cannot build tables: %s", err);
		return -1;
	}
	w.base = c->base;
	/* RSDP first (its 16-byte boundary is base itself), filled last. */
	struct acpi_rsdp *rsdp = reserve(&w, sizeof(*rsdp), ACPI_RSDP_ALIGN, &l.rsdp);
	if (!rsdp || build_facs(&w, &l.facs) || build_dsdt(&w, c, &l.dsdt, &l.dsdt_len) ||
	    build_fadt(&w, c, &l, &l.fadt) || build_madt(&w, c, &l.madt)) {
		pr_err("acpi: cannot build tables: buffer of %zu bytes too small", cap);
		return -1;
	}
	root[0] = l.fadt;
	root[1] = l.madt;
	if (build_sdt(&w, "RSDT", 4, root, ARRAY_SIZE(root), &l.rsdt) ||
	    build_sdt(&w, "XSDT", 8, root, ARRAY_SIZE(root), &l.xsdt)) {
		pr_err("acpi: cannot build tables: buffer of %zu bytes too small", cap);
		return -1;
	}
	build_rsdp(rsdp, &l);
	l.size = w.off;
	*out = l;
	return 0;
}
