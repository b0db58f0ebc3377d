/* SPDX-License-Identifier: BSD-2-Clause */
/* secret-scanner: partition B of the isolation test (issue 5,
 * tests/integration/isolation-secret-svm.test).
 *
 * While secret-writer (partition A) holds its secret in its RAM and its
 * devices, this partition looks for the secret's marker (secret.h) in
 * everything it can read:
 *
 *   - all of its guest RAM, byte by byte (any alignment), for the marker
 *     and for either 8-byte half of it;
 *   - its devices' answers, for any dword of the marker at any offset: the
 *     I/O ports 0x000-0xFFF (IN only; COM1, its console, skipped), PCI
 *     configuration space of every function on bus 0, the 128 CMOS bytes,
 *     the test device's MMIO page, the local APIC's and the I/O APIC's
 *     registers, and with devices=rng the virtio-rng BAR (common config,
 *     ISR, device config, MSI-X table and PBA) and the random bytes the
 *     device itself writes into this partition's RAM.
 *
 * Unmapped guest-physical addresses cannot be probed here: the hypervisor
 * stops a partition on such an access (bad-gpa.elf shows it next to this
 * pair in the test).
 *
 * The image never holds the marker itself: it keeps marker ^ SECRET_MASK
 * and compares (word ^ mask) with it, the XOR hidden from the compiler so
 * it cannot fold the two into the marker. Each run starts with a self
 * check: a marker and a lone half planted in RAM (unaligned), and marker
 * dwords in its own echo latch and MMIO scratch register, must be found
 * exactly there, so a scan that sees nothing is known to be able to see. */
#include "secret.h"

#define NS_PER_MS 1000000ul
#define SCAN_START_NS (1000ul * NS_PER_MS)  /* the writer has written by then */
#define SCAN_WINDOW_NS (2000ul * NS_PER_MS) /* keep scanning this long */
/* The writer holds until 15 s of its time; the two start within
 * milliseconds of each other. A pass that would end later is not begun. */
#define SCAN_DEADLINE_NS (13000ul * NS_PER_MS)
#define MIN_PASSES 2

#define IO_PORTS 0x1000
#define COM1_PORTS 8

/* PCI configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2). */
#define PCI_ADDRESS_PORT 0xCF8
#define PCI_DATA_PORT 0xCFC
#define PCI_ENABLE (1u << 31)
#define PCI_SLOTS 32
#define PCI_FUNCTIONS 8
#define PCI_CONFIG_SIZE 256
#define PCI_VENDOR_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_STATUS_CAP_LIST (1u << (16 + 4)) /* in the dword at 0x04 */
#define PCI_HEADER_TYPE 0x0E
#define PCI_HEADER_MULTI_FUNCTION 0x80
#define PCI_BAR0 0x10
#define PCI_BAR_MEM_TYPE_64 0x4
#define PCI_BAR_MEM_MASK 0xFull
#define PCI_CAP_PTR 0x34
#define PCI_CAP_PTR_MASK 0xFC
#define PCI_CAP_ID 0
#define PCI_CAP_NEXT 1
#define PCI_CAP_ID_VENDOR 0x09
#define PCI_CAP_ID_MSIX 0x11
#define PCI_MAX_CAPS 48
#define PCI_NO_DEVICE 0xFFFF

/* Local APIC registers (SDM Vol. 3A §11.4.1 Table 11-1), as offsets of
 * the xAPIC page; EOI (0xB0) is write-only and left alone. */
static const uint16_t lapic_regs[] = {
	0x020, 0x030, 0x080, 0x090, 0x0A0, 0x0C0, 0x0D0, 0x0E0, 0x0F0, 0x100, 0x110, 0x120, 0x130,
	0x140, 0x150, 0x160, 0x170,                             /* ISR */
	0x180, 0x190, 0x1A0, 0x1B0, 0x1C0, 0x1D0, 0x1E0, 0x1F0, /* TMR */
	0x200, 0x210, 0x220, 0x230, 0x240, 0x250, 0x260, 0x270, /* IRR */
	0x280, 0x2F0, 0x300, 0x310, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x390, 0x3E0,
};
#define LAPIC_REGS_SPAN 0x400

/* I/O APIC (82093AA datasheet §3.0): IOREGSEL at +0, IOWIN at +0x10;
 * registers ID 0, version 1 (bits 23:16: highest pin), arbitration 2,
 * redirection table from 0x10, two registers a pin. */
#define IOAPIC_BASE 0xFEC00000ul
#define IOAPIC_IOREGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_ARB 0x02
#define IOAPIC_REG_REDTBL 0x10
#define IOAPIC_MAX_REGS 0x100

/* virtio 1.2 over PCI (§4.1): a modern virtio-rng is 1AF4:1044. */
#define VIRTIO_VENDOR 0x1AF4
#define VIRTIO_RNG_DEVICE (0x1040 + 4)
#define VIRTIO_CAP_CFG_TYPE 3 /* struct virtio_pci_cap (§4.1.4) */
#define VIRTIO_CAP_BAR 4
#define VIRTIO_CAP_OFFSET 8
#define VIRTIO_CAP_LENGTH 12
#define VIRTIO_CAP_NOTIFY_MULT 16
#define VIRTIO_CFG_COMMON 1
#define VIRTIO_CFG_NOTIFY 2
#define VIRTIO_CFG_ISR 3
#define VIRTIO_CFG_DEVICE 4
#define VIRTIO_CFG_PCI 5
#define VIRTIO_BAR_SPAN 0x8000 /* what the stream holds of BAR 0 */
/* Common configuration (§4.1.4.3). */
#define VCOMMON_DFSELECT 0x00
#define VCOMMON_DF 0x04
#define VCOMMON_GFSELECT 0x08
#define VCOMMON_GF 0x0C
#define VCOMMON_STATUS 0x14
#define VCOMMON_Q_SELECT 0x16
#define VCOMMON_Q_SIZE 0x18
#define VCOMMON_Q_ENABLE 0x1C
#define VCOMMON_Q_NOFF 0x1E
#define VCOMMON_Q_DESC 0x20
#define VCOMMON_Q_DRIVER 0x28
#define VCOMMON_Q_DEVICE 0x30
#define VCOMMON_LEN 0x3C
/* Device status bits (§2.1) and the one feature we take (§6). */
#define VSTATUS_ACKNOWLEDGE 0x01
#define VSTATUS_DRIVER 0x02
#define VSTATUS_DRIVER_OK 0x04
#define VSTATUS_FEATURES_OK 0x08
#define VIRTIO_F_VERSION_1_HI (1u << 0) /* feature bit 32 */
/* Split virtqueue (§2.7). */
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define RNG_QUEUE_SIZE 8
#define RNG_BUFFER_SIZE 512
#define RNG_TIMEOUT_NS (2000ul * NS_PER_MS)
/* MSI-X capability (PCI 3.0 §6.8.2): control, table and PBA offset/BIR. */
#define MSIX_CONTROL 2
#define MSIX_TABLE 4
#define MSIX_PBA 8
#define MSIX_TABLE_SIZE_MASK 0x7FF
#define MSIX_BIR_MASK 0x7u
#define MSIX_ENTRY_SIZE 16

#define HIDE(x) asm("" : "+r"(x))

typedef uint64_t u64_any __attribute__((aligned(1), may_alias));
typedef uint32_t u32_any __attribute__((aligned(1), may_alias));

/* The marker, masked; volatile so the values are loaded, not folded. */
static volatile const uint64_t needle_masked[2] = { SECRET_MASKED_LO, SECRET_MASKED_HI };
static volatile const uint64_t needle_mask = SECRET_MASK;

struct needle {
	uint64_t mask, lo, hi; /* lo, hi: the marker's halves ^ mask */
};

enum hit_kind { HIT_MARKER, HIT_LOW_HALF, HIT_HIGH_HALF, HIT_DWORD };

static const char *const hit_names[] = {
	[HIT_MARKER] = "marker",
	[HIT_LOW_HALF] = "low half",
	[HIT_HIGH_HALF] = "high half",
	[HIT_DWORD] = "marker dword",
};

#define MAX_LOGGED_HITS 6
#define WHERE_LEN 20

struct hit {
	char where[WHERE_LEN];
	uint64_t off;
	enum hit_kind kind;
	bool hashed;
	uint64_t hash; /* of the 48 bytes after a whole marker */
};

struct hit_log {
	struct hit hit[MAX_LOGGED_HITS];
	unsigned logged;
	unsigned long total;
};

/* A hit the self check put there on purpose. */
struct plant {
	const char *where;
	uint64_t off;
	enum hit_kind kind;
	bool found;
};

#define MAX_PLANTS 4

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct rng_queue {
	struct virtq_desc desc[RNG_QUEUE_SIZE] __attribute__((aligned(16)));
	struct {
		uint16_t flags, idx, ring[RNG_QUEUE_SIZE], used_event;
	} avail __attribute__((aligned(4096)));
	struct {
		uint16_t flags, idx;
		struct {
			uint32_t id, len;
		} ring[RNG_QUEUE_SIZE];
		uint16_t avail_event;
	} used __attribute__((aligned(4096)));
	uint8_t buf[RNG_QUEUE_SIZE][RNG_BUFFER_SIZE] __attribute__((aligned(4096)));
};

struct rng {
	bool found, ready;
	unsigned slot;
	uintptr_t bar;
	bool have_common, have_notify;
	uint32_t common, isr, device, device_len, notify, notify_mult;
	unsigned pci_cfg_cap; /* config offset of the PCI_CFG window, 0 if none */
	uint32_t msix_table, msix_entries, msix_pba;
	uint16_t size, avail_idx;
	uintptr_t notify_addr;
	const char *why; /* why setup failed */
	unsigned long bytes;
	unsigned short_fetches;
};

struct pass_stats {
	unsigned pci_functions, lapic_regs, ioapic_regs, bar_bytes;
	unsigned long rng_bytes;
};

struct scanner {
	struct needle needle;
	bool hv;
	uint64_t ram_top;
	struct plant plant[MAX_PLANTS];
	unsigned nr_plants;
	struct hit_log ram, dev;
	unsigned passes;
	uint64_t first_ns, pass_start_ns, last_ns;
	struct pass_stats stats;
	struct rng rng;
	/* Device answers, indexed by port / offset / register. */
	uint8_t ports[IO_PORTS];
	uint8_t pci[PCI_CONFIG_SIZE];
	uint8_t cmos[CMOS_NR_BYTES];
	uint8_t testdev[TESTDEV_MMIO_SIZE];
	uint8_t lapic[LAPIC_REGS_SPAN];
	uint8_t ioapic[IOAPIC_MAX_REGS * 4];
	uint8_t bar[VIRTIO_BAR_SPAN];
};

static struct scanner scanner;
static struct rng_queue rng_queue __attribute__((aligned(4096)));
/* Where the self check plants a whole marker and a lone high half. */
static uint8_t plant_area[2][64];

/* ---- recording hits ----------------------------------------------------------- */

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static bool take_plant(struct scanner *s, const char *where, uint64_t off, enum hit_kind kind)
{
	for (unsigned i = 0; i < s->nr_plants; i++) {
		struct plant *p = &s->plant[i];

		if (!p->found && p->off == off && p->kind == kind && streq(p->where, where)) {
			p->found = true;
			return true;
		}
	}
	return false;
}

static void record(struct scanner *s, struct hit_log *log, const char *where, uint64_t off,
		   enum hit_kind kind, bool hashed, uint64_t hash)
{
	struct hit *h;

	if (take_plant(s, where, off, kind))
		return;
	log->total++;
	if (log->logged == MAX_LOGGED_HITS)
		return;
	h = &log->hit[log->logged++];
	rt_snprintf(h->where, sizeof(h->where), "%s", where);
	h->off = off;
	h->kind = kind;
	h->hashed = hashed;
	h->hash = hash;
}

/* ---- the searches --------------------------------------------------------------- */

static struct needle needle_load(void)
{
	return (struct needle){ needle_mask, needle_masked[0], needle_masked[1] };
}

static uint64_t unmasked64(const struct needle *n, uintptr_t at)
{
	uint64_t t = *(const u64_any *)at ^ n->mask;

	HIDE(t);
	return t;
}

/* RAM: the marker or either half of it at any byte offset in [base,
 * base + len). A lone half counts as much as the whole marker. */
static void search_ram(struct scanner *s, uintptr_t base, uint64_t len)
{
	const struct needle *n = &s->needle;

	HIDE(base); /* base 0 is a real address here */
	for (uint64_t i = 0; i + 8 <= len; i++) {
		uint64_t t = unmasked64(n, base + i);

		if (t == n->lo) {
			bool whole = i + 16 <= len && unmasked64(n, base + i + 8) == n->hi;
			bool hashed = whole && i + SECRET_LEN <= len;
			uint64_t hash = hashed ? fnv1a64((const uint8_t *)(base + i +
									   SECRET_MARKER_LEN),
							 SECRET_RANDOM_LEN)
					       : 0;

			record(s, &s->ram, "ram", base + i, whole ? HIT_MARKER : HIT_LOW_HALF,
			       hashed, hash);
			if (whole)
				i += 8; /* its high half is part of this hit */
		} else if (t == n->hi) {
			record(s, &s->ram, "ram", base + i, HIT_HIGH_HALF, false, 0);
		}
	}
}

/* Device answers: any of the marker's four dwords at any byte offset. */
static void search_stream(struct scanner *s, const char *where, const uint8_t *buf, size_t len)
{
	const struct needle *n = &s->needle;
	uint32_t m0 = (uint32_t)n->mask, m1 = (uint32_t)(n->mask >> 32);

	for (size_t i = 0; i + 4 <= len; i++) {
		uint32_t w = *(const u32_any *)(buf + i);
		uint32_t t0 = w ^ m0, t1 = w ^ m1;

		HIDE(t0);
		HIDE(t1);
		if (t0 == (uint32_t)n->lo || t0 == (uint32_t)n->hi ||
		    t1 == (uint32_t)(n->lo >> 32) || t1 == (uint32_t)(n->hi >> 32))
			record(s, &s->dev, where, i, HIT_DWORD, false, 0);
	}
}

/* ---- PCI configuration space ----------------------------------------------------- */

static uint32_t pci_read32(unsigned slot, unsigned fn, unsigned reg)
{
	outl(PCI_ADDRESS_PORT, PCI_ENABLE | slot << 11 | fn << 8 | (reg & 0xFC));
	return inl(PCI_DATA_PORT);
}

static void pci_write32(unsigned slot, unsigned fn, unsigned reg, uint32_t v)
{
	outl(PCI_ADDRESS_PORT, PCI_ENABLE | slot << 11 | fn << 8 | (reg & 0xFC));
	outl(PCI_DATA_PORT, v);
}

static uint8_t pci_read8(unsigned slot, unsigned fn, unsigned reg)
{
	return (uint8_t)(pci_read32(slot, fn, reg) >> (8 * (reg & 3)));
}

static uint16_t pci_read16(unsigned slot, unsigned fn, unsigned reg)
{
	return (uint16_t)(pci_read32(slot, fn, reg) >> (8 * (reg & 2)));
}

static void scan_pci_function(struct scanner *s, unsigned slot, unsigned fn)
{
	char where[WHERE_LEN];

	for (unsigned reg = 0; reg < PCI_CONFIG_SIZE; reg += 4) {
		uint32_t v = pci_read32(slot, fn, reg);

		memcpy(s->pci + reg, &v, 4);
	}
	rt_snprintf(where, sizeof(where), "pci 00:%02x.%u", slot, fn);
	search_stream(s, where, s->pci, sizeof(s->pci));
	s->stats.pci_functions++;
}

static void scan_pci(struct scanner *s)
{
	for (unsigned slot = 0; slot < PCI_SLOTS; slot++) {
		bool present = pci_read16(slot, 0, PCI_VENDOR_ID) != PCI_NO_DEVICE;
		bool multi = present &&
			     (pci_read8(slot, 0, PCI_HEADER_TYPE) & PCI_HEADER_MULTI_FUNCTION);

		scan_pci_function(s, slot, 0);
		for (unsigned fn = 1; multi && fn < PCI_FUNCTIONS; fn++)
			scan_pci_function(s, slot, fn);
	}
}

/* ---- the other devices ------------------------------------------------------------- */

static void scan_ports(struct scanner *s)
{
	/* Reads only: IN has no effect on these models that matters here (an
	 * 8042 output byte or an RTC flag read away, a PIT latch toggled). */
	for (unsigned port = 0; port < IO_PORTS; port++)
		s->ports[port] = port - COM1_BASE < COM1_PORTS ? 0 : inb((uint16_t)port);
	search_stream(s, "ports", s->ports, sizeof(s->ports));
}

static void scan_cmos(struct scanner *s)
{
	for (unsigned reg = 0; reg < CMOS_NR_BYTES; reg++)
		s->cmos[reg] = cmos_read((uint8_t)reg);
	search_stream(s, "cmos", s->cmos, sizeof(s->cmos));
}

static void scan_testdev(struct scanner *s)
{
	for (unsigned off = 0; off < TESTDEV_MMIO_SIZE; off += 4) {
		uint32_t v = mmio_read32(TESTDEV_MMIO_BASE + off);

		memcpy(s->testdev + off, &v, 4);
	}
	search_stream(s, "testdev", s->testdev, sizeof(s->testdev));
}

static void scan_lapic(struct scanner *s)
{
	memset(s->lapic, 0, sizeof(s->lapic));
	for (unsigned i = 0; i < ARRAY_SIZE(lapic_regs); i++) {
		uint32_t v = mmio_read32(LAPIC_BASE + lapic_regs[i]);

		memcpy(s->lapic + lapic_regs[i], &v, 4);
	}
	s->stats.lapic_regs = ARRAY_SIZE(lapic_regs);
	search_stream(s, "lapic", s->lapic, sizeof(s->lapic));
}

static uint32_t ioapic_read(unsigned reg)
{
	mmio_write32(IOAPIC_BASE + IOAPIC_IOREGSEL, reg);
	return mmio_read32(IOAPIC_BASE + IOAPIC_IOWIN);
}

static void scan_ioapic(struct scanner *s)
{
	unsigned pins = ((ioapic_read(IOAPIC_REG_VERSION) >> 16) & 0xFF) + 1;
	unsigned end = IOAPIC_REG_REDTBL + 2 * pins;

	if (end > IOAPIC_MAX_REGS)
		end = IOAPIC_MAX_REGS;
	memset(s->ioapic, 0, sizeof(s->ioapic));
	s->stats.ioapic_regs = 0;
	for (unsigned reg = 0; reg < end; reg++) {
		uint32_t v;

		if (reg > IOAPIC_REG_ARB && reg < IOAPIC_REG_REDTBL)
			continue; /* no register there */
		v = ioapic_read(reg);
		memcpy(s->ioapic + 4 * reg, &v, 4);
		s->stats.ioapic_regs++;
	}
	search_stream(s, "ioapic", s->ioapic, sizeof(s->ioapic));
}

/* ---- virtio-rng ---------------------------------------------------------------------- */

static uint8_t mmio_read8(uintptr_t a)
{
	return *(volatile uint8_t *)a;
}
static uint16_t mmio_read16(uintptr_t a)
{
	return *(volatile uint16_t *)a;
}
static void mmio_write8(uintptr_t a, uint8_t v)
{
	*(volatile uint8_t *)a = v;
}
static void mmio_write16(uintptr_t a, uint16_t v)
{
	*(volatile uint16_t *)a = v;
}

static bool rng_fail(struct rng *r, const char *why)
{
	r->why = why;
	return false;
}

/* One virtio capability (§4.1.4) of a block in BAR 0. */
static void rng_virtio_cap(struct rng *r, unsigned cap)
{
	uint32_t off = pci_read32(r->slot, 0, cap + VIRTIO_CAP_OFFSET);

	if (pci_read8(r->slot, 0, cap + VIRTIO_CAP_BAR) != 0)
		return;
	switch (pci_read8(r->slot, 0, cap + VIRTIO_CAP_CFG_TYPE)) {
	case VIRTIO_CFG_COMMON:
		r->common = off;
		r->have_common = true;
		break;
	case VIRTIO_CFG_ISR:
		r->isr = off;
		break;
	case VIRTIO_CFG_DEVICE:
		r->device = off;
		r->device_len = pci_read32(r->slot, 0, cap + VIRTIO_CAP_LENGTH);
		break;
	case VIRTIO_CFG_NOTIFY:
		r->notify = off;
		r->notify_mult = pci_read32(r->slot, 0, cap + VIRTIO_CAP_NOTIFY_MULT);
		r->have_notify = true;
		break;
	case VIRTIO_CFG_PCI:
		r->pci_cfg_cap = cap;
		break;
	}
}

/* The MSI-X table and PBA, when they are in BAR 0. */
static void rng_msix_cap(struct rng *r, unsigned cap)
{
	uint32_t table = pci_read32(r->slot, 0, cap + MSIX_TABLE);
	uint32_t pba = pci_read32(r->slot, 0, cap + MSIX_PBA);
	uint16_t control = pci_read16(r->slot, 0, cap + MSIX_CONTROL);

	if ((table & MSIX_BIR_MASK) || (pba & MSIX_BIR_MASK))
		return;
	r->msix_table = table & ~MSIX_BIR_MASK;
	r->msix_pba = pba & ~MSIX_BIR_MASK;
	r->msix_entries = (control & MSIX_TABLE_SIZE_MASK) + 1;
}

/* Walks the capability list (PCI 3.0 §6.7), bounded against loops. */
static void rng_caps(struct rng *r)
{
	unsigned cap = pci_read8(r->slot, 0, PCI_CAP_PTR) & PCI_CAP_PTR_MASK;

	for (unsigned n = 0; cap && n < PCI_MAX_CAPS; n++) {
		uint8_t id = pci_read8(r->slot, 0, cap + PCI_CAP_ID);

		if (id == PCI_CAP_ID_VENDOR)
			rng_virtio_cap(r, cap);
		else if (id == PCI_CAP_ID_MSIX)
			rng_msix_cap(r, cap);
		cap = pci_read8(r->slot, 0, cap + PCI_CAP_NEXT) & PCI_CAP_PTR_MASK;
	}
}

static bool rng_find(struct rng *r)
{
	for (unsigned slot = 0; slot < PCI_SLOTS; slot++) {
		uint32_t id = pci_read32(slot, 0, PCI_VENDOR_ID);
		uint32_t lo, hi;

		if ((id & 0xFFFF) != VIRTIO_VENDOR || id >> 16 != VIRTIO_RNG_DEVICE)
			continue;
		r->found = true;
		r->slot = slot;
		lo = pci_read32(slot, 0, PCI_BAR0);
		hi = (lo & PCI_BAR_MEM_TYPE_64) ? pci_read32(slot, 0, PCI_BAR0 + 4) : 0;
		r->bar = (uintptr_t)((((uint64_t)hi << 32) | lo) & ~PCI_BAR_MEM_MASK);
		if (!(pci_read32(slot, 0, PCI_COMMAND) & PCI_COMMAND_MEMORY) || !r->bar ||
		    r->bar >= (4ull << 30) - VIRTIO_BAR_SPAN) {
			return rng_fail(r, "BAR 0 not decoded below 4 GiB");
		}
		if (!(pci_read32(slot, 0, PCI_COMMAND) & PCI_STATUS_CAP_LIST)) {
			return rng_fail(r, "no capability list");
		}
		rng_caps(r);
		if (!r->have_common || !r->have_notify || r->common + VCOMMON_LEN > VIRTIO_BAR_SPAN) {
			return rng_fail(r, "no common or notify configuration in BAR 0");
		}
		return true;
	}
	return false;
}

static void write_le64(uintptr_t at, uint64_t v)
{
	mmio_write32(at, (uint32_t)v);
	mmio_write32(at + 4, (uint32_t)(v >> 32));
}

/* Driver initialisation, virtio 1.2 §3.1.1, for the one request queue. */
static bool rng_setup(struct rng *r, struct rng_queue *q)
{
	uintptr_t c = r->bar + r->common;
	uint8_t st = VSTATUS_ACKNOWLEDGE | VSTATUS_DRIVER;
	uint16_t max;

	mmio_write8(c + VCOMMON_STATUS, 0);
	if (mmio_read8(c + VCOMMON_STATUS) != 0)
		return rng_fail(r, "status does not reset");
	mmio_write8(c + VCOMMON_STATUS, VSTATUS_ACKNOWLEDGE);
	mmio_write8(c + VCOMMON_STATUS, st);
	mmio_write32(c + VCOMMON_DFSELECT, 1);
	if (!(mmio_read32(c + VCOMMON_DF) & VIRTIO_F_VERSION_1_HI))
		return rng_fail(r, "VIRTIO_F_VERSION_1 not offered");
	mmio_write32(c + VCOMMON_GFSELECT, 0);
	mmio_write32(c + VCOMMON_GF, 0);
	mmio_write32(c + VCOMMON_GFSELECT, 1);
	mmio_write32(c + VCOMMON_GF, VIRTIO_F_VERSION_1_HI);
	st |= VSTATUS_FEATURES_OK;
	mmio_write8(c + VCOMMON_STATUS, st);
	if (!(mmio_read8(c + VCOMMON_STATUS) & VSTATUS_FEATURES_OK))
		return rng_fail(r, "FEATURES_OK refused");

	mmio_write16(c + VCOMMON_Q_SELECT, 0);
	max = mmio_read16(c + VCOMMON_Q_SIZE);
	if (!max)
		return rng_fail(r, "queue 0 has size 0");
	r->size = max < RNG_QUEUE_SIZE ? max : RNG_QUEUE_SIZE;
	mmio_write16(c + VCOMMON_Q_SIZE, r->size);
	write_le64(c + VCOMMON_Q_DESC, (uintptr_t)q->desc);
	write_le64(c + VCOMMON_Q_DRIVER, (uintptr_t)&q->avail);
	write_le64(c + VCOMMON_Q_DEVICE, (uintptr_t)&q->used);
	r->notify_addr = r->bar + r->notify + mmio_read16(c + VCOMMON_Q_NOFF) * r->notify_mult;
	q->avail.flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	mmio_write16(c + VCOMMON_Q_ENABLE, 1);
	mmio_write8(c + VCOMMON_STATUS, st | VSTATUS_DRIVER_OK);
	/* Aim the PCI_CFG window (§4.1.4.9) at device_feature_select, so the
	 * configuration-space sweep reads BAR 0 through it too. The cap's
	 * bar byte is 0 already. */
	if (r->pci_cfg_cap) {
		pci_write32(r->slot, 0, r->pci_cfg_cap + VIRTIO_CAP_OFFSET,
			    r->common + VCOMMON_DFSELECT);
		pci_write32(r->slot, 0, r->pci_cfg_cap + VIRTIO_CAP_LENGTH, 4);
	}
	r->ready = true;
	return true;
}

/* Offers every buffer, waits for the device to fill them and searches the
 * bytes it wrote. */
static void rng_fetch(struct scanner *s, struct rng *r, struct rng_queue *q)
{
	volatile uint16_t *used_idx = &q->used.idx;
	uint16_t want = (uint16_t)(r->avail_idx + r->size), seen = r->avail_idx;
	uint64_t t0 = rt_hc_time_ns();

	memset(q->buf, 0, sizeof(q->buf));
	for (uint16_t i = 0; i < r->size; i++) {
		q->desc[i] = (struct virtq_desc){ (uintptr_t)q->buf[i], RNG_BUFFER_SIZE,
						  VIRTQ_DESC_F_WRITE, 0 };
		q->avail.ring[(uint16_t)(r->avail_idx + i) % r->size] = i;
	}
	asm volatile("" : : : "memory"); /* ring entries before the index (§2.7.13) */
	q->avail.idx = want;
	r->avail_idx = want;
	asm volatile("" : : : "memory");
	mmio_write16(r->notify_addr, 0); /* queue 0 (§4.1.5.2) */
	while (*used_idx != want && rt_hc_time_ns() - t0 < RNG_TIMEOUT_NS)
		rt_hc_yield();
	for (; seen != *used_idx; seen++) {
		uint32_t id = q->used.ring[seen % r->size].id, len = q->used.ring[seen % r->size].len;

		if (id >= r->size || len > RNG_BUFFER_SIZE)
			continue;
		search_stream(s, "rng data", q->buf[id], len);
		r->bytes += len;
		s->stats.rng_bytes += len;
	}
	if (*used_idx != want)
		r->short_fetches++;
}

static void read_bar_block(struct scanner *s, uintptr_t bar, uint32_t off, uint32_t len)
{
	for (uint32_t o = off & ~3u; o < off + len && o + 4 <= VIRTIO_BAR_SPAN; o += 4) {
		uint32_t v = mmio_read32(bar + o);

		memcpy(s->bar + o, &v, 4);
		s->stats.bar_bytes += 4;
	}
}

/* BAR 0 at the sizes each register has: the common configuration field by
 * field (§4.1.3.1 wants natural widths), ISR as a byte, the rest as dwords. */
static void scan_rng_bar(struct scanner *s, struct rng *r)
{
	static const uint8_t common_fields[][2] = {
		{ 0x00, 4 }, { 0x04, 4 }, { 0x08, 4 }, { 0x0C, 4 }, { 0x10, 2 }, { 0x12, 2 },
		{ 0x14, 1 }, { 0x15, 1 }, { 0x16, 2 }, { 0x18, 2 }, { 0x1A, 2 }, { 0x1C, 2 },
		{ 0x1E, 2 }, { 0x20, 4 }, { 0x24, 4 }, { 0x28, 4 }, { 0x2C, 4 }, { 0x30, 4 },
		{ 0x34, 4 }, { 0x38, 2 }, { 0x3A, 2 },
	};
	uintptr_t c = r->bar + r->common;

	memset(s->bar, 0, sizeof(s->bar));
	for (unsigned i = 0; i < ARRAY_SIZE(common_fields); i++) {
		unsigned off = common_fields[i][0], size = common_fields[i][1];
		uint32_t v = size == 1   ? mmio_read8(c + off)
			     : size == 2 ? mmio_read16(c + off)
					 : mmio_read32(c + off);

		memcpy(s->bar + r->common + off, &v, size);
		s->stats.bar_bytes += size;
	}
	if (r->isr && r->isr < VIRTIO_BAR_SPAN) {
		s->bar[r->isr] = mmio_read8(r->bar + r->isr);
		s->stats.bar_bytes++;
	}
	if (r->device && r->device_len)
		read_bar_block(s, r->bar, r->device, r->device_len);
	if (r->msix_entries) {
		read_bar_block(s, r->bar, r->msix_table, r->msix_entries * MSIX_ENTRY_SIZE);
		read_bar_block(s, r->bar, r->msix_pba, 8);
	}
	search_stream(s, "virtio-rng bar", s->bar, sizeof(s->bar));
}

/* ---- passes ------------------------------------------------------------------------------ */

static void scan_devices(struct scanner *s)
{
	scan_ports(s);
	scan_pci(s);
	scan_cmos(s);
	scan_testdev(s);
	scan_lapic(s);
	scan_ioapic(s);
	if (s->rng.ready) {
		scan_rng_bar(s, &s->rng);
		rng_fetch(s, &s->rng, &rng_queue);
	}
}

static void scan_pass(struct scanner *s)
{
	uint64_t t = s->hv ? rt_hc_time_ns() : 0, t_dev = t;
	unsigned long before = s->ram.total + s->dev.total;

	s->stats = (struct pass_stats){ 0 };
	if (s->hv) {
		scan_devices(s);
		t_dev = rt_hc_time_ns();
	}
	search_ram(s, 0, s->ram_top);
	if (!s->passes)
		s->first_ns = t;
	s->pass_start_ns = t;
	s->last_ns = s->hv ? rt_hc_time_ns() : 0;
	s->passes++;
	rt_printf("scan pass %u at %lu ms (devices %lu ms, RAM %lu ms): %lu MiB RAM, %u ports, "
		  "%u PCI functions, %u CMOS bytes, %u KiB testdev, %u LAPIC + %u IOAPIC registers, "
		  "%u virtio BAR bytes, %lu rng bytes: %lu new hits\n",
		  s->passes, t / NS_PER_MS, (t_dev - t) / NS_PER_MS, (s->last_ns - t_dev) / NS_PER_MS,
		  (unsigned long)(s->ram_top >> 20), s->hv ? IO_PORTS - COM1_PORTS : 0,
		  s->stats.pci_functions, s->hv ? CMOS_NR_BYTES : 0,
		  s->hv ? TESTDEV_MMIO_SIZE / 1024 : 0, s->stats.lapic_regs, s->stats.ioapic_regs,
		  s->stats.bar_bytes, s->stats.rng_bytes, s->ram.total + s->dev.total - before);
}

/* ---- the self check ------------------------------------------------------------------------ */

static void add_plant(struct scanner *s, const char *where, uint64_t off, enum hit_kind kind)
{
	s->plant[s->nr_plants++] = (struct plant){ where, off, kind, false };
}

/* Unmasked only in registers, stored straight into the target. */
static void __attribute__((noinline)) plant_ram(struct scanner *s, uint8_t *whole, uint8_t *half)
{
	uint64_t lo = needle_masked[0] ^ needle_mask, hi = needle_masked[1] ^ needle_mask;

	asm volatile("movq %0, (%2); movq %1, 8(%2); movq %1, (%3)"
		     :
		     : "r"(lo), "r"(hi), "r"(whole), "r"(half)
		     : "memory");
	add_plant(s, "ram", (uintptr_t)whole, HIT_MARKER);
	add_plant(s, "ram", (uintptr_t)half, HIT_HIGH_HALF);
}

static void __attribute__((noinline)) plant_devices(struct scanner *s)
{
	uint64_t lo = needle_masked[0] ^ needle_mask;

	outl(TESTDEV_ECHO_PORT, (uint32_t)lo);
	mmio_write32(TESTDEV_MMIO_BASE, (uint32_t)(lo >> 32));
	add_plant(s, "ports", TESTDEV_ECHO_PORT, HIT_DWORD);
	add_plant(s, "testdev", 0, HIT_DWORD);
}

static void unplant(struct scanner *s)
{
	memset(plant_area, 0, sizeof(plant_area));
	if (s->hv) {
		outl(TESTDEV_ECHO_PORT, 0);
		mmio_write32(TESTDEV_MMIO_BASE, 0);
	}
}

static void self_check(struct scanner *s)
{
	unsigned missed = 0;
	char missing[96] = "";
	size_t used = 0;

	plant_ram(s, plant_area[0] + 3, plant_area[1] + 5);
	if (s->hv)
		plant_devices(s);
	scan_pass(s);
	unplant(s);
	for (unsigned i = 0; i < s->nr_plants; i++) {
		const struct plant *p = &s->plant[i];

		if (p->found)
			continue;
		missed++;
		if (used < sizeof(missing))
			used += rt_snprintf(missing + used, sizeof(missing) - used, " %s+0x%llx",
					    p->where, (unsigned long long)p->off);
	}
	rt_check("scan_selfcheck", !missed, "%u of %u planted copies not found:%s", missed,
		 s->nr_plants, missing);
	s->nr_plants = 0;
}

/* ---- report ---------------------------------------------------------------------------------- */

static void report(const char *name, const struct hit_log *log)
{
	char reason[120];
	size_t used = 0;

	for (unsigned i = 0; i < log->logged; i++) {
		const struct hit *h = &log->hit[i];

		if (h->hashed)
			rt_printf("scan: %s at %s+0x%llx, hash of the 48 bytes after it %016llx\n",
				  hit_names[h->kind], h->where, (unsigned long long)h->off,
				  (unsigned long long)h->hash);
		else
			rt_printf("scan: %s at %s+0x%llx\n", hit_names[h->kind], h->where,
				  (unsigned long long)h->off);
		if (used < sizeof(reason))
			used += rt_snprintf(reason + used, sizeof(reason) - used,
					    "%s%s at %s+0x%llx", i ? "; " : "", hit_names[h->kind],
					    h->where, (unsigned long long)h->off);
	}
	rt_check(name, !log->total, "%lu hits: %s", log->total, reason);
}

static void check_ram_size(struct scanner *s)
{
	uint64_t cr3 = rt_boot.cr3 & ~0xFFFull;

	/* The loader keeps its page tables in the top 64 KiB of RAM; without
	 * Bulkhead (a smoke run) only the CMOS size is there to check. */
	if (s->hv)
		rt_check("ram_size", cr3 < s->ram_top && cr3 >= s->ram_top - LOADER_TOP_AREA,
			 "CMOS says %llu KiB but CR3 is 0x%llx",
			 (unsigned long long)(s->ram_top >> 10), (unsigned long long)cr3);
	else
		rt_check("ram_size", s->ram_top >= (2ull << 20) && s->ram_top <= (4ull << 30),
			 "CMOS says %llu KiB", (unsigned long long)(s->ram_top >> 10));
}

void guest_main(void)
{
	struct scanner *s = &scanner;

	s->hv = rt_hv_present();
	s->needle = needle_load();
	s->ram_top = cmos_ram_size();
	check_ram_size(s);
	if (s->hv && rng_find(&s->rng))
		rng_setup(&s->rng, &rng_queue);
	if (s->rng.found)
		rt_check("rng_setup", s->rng.ready, "virtio-rng at 00:%02x.0: %s", s->rng.slot,
			 s->rng.why ? s->rng.why : "?");
	else if (s->hv)
		rt_puts("secret-scanner: no virtio-rng (no devices=rng): BAR and data not scanned\n");
	if (!s->hv)
		rt_puts("secret-scanner: no Bulkhead: RAM only, one pass\n");

	while (s->hv && rt_hc_time_ns() < SCAN_START_NS)
		rt_hc_yield();
	self_check(s);
	while (s->hv && (s->passes < MIN_PASSES || rt_hc_time_ns() < SCAN_START_NS + SCAN_WINDOW_NS)) {
		uint64_t now = rt_hc_time_ns(), last_len = s->last_ns - s->pass_start_ns;

		if (now + last_len >= SCAN_DEADLINE_NS)
			break;
		scan_pass(s);
	}

	rt_printf("scan_ram: %u passes over %llu MiB of RAM from %lu to %lu ms\n", s->passes,
		  (unsigned long long)(s->ram_top >> 20), s->first_ns / NS_PER_MS,
		  s->last_ns / NS_PER_MS);
	report("scan_ram", &s->ram);
	if (!s->hv)
		return;
	report("scan_devices", &s->dev);
	if (s->rng.ready)
		rt_check("rng_delivered", s->rng.bytes > 0 && !s->rng.short_fetches,
			 "%lu random bytes, %u fetches incomplete", s->rng.bytes,
			 s->rng.short_fetches);
	rt_check("scan_in_window", s->passes >= MIN_PASSES && s->last_ns < SCAN_DEADLINE_NS,
		 "%u passes, the last ended at %lu ms (the writer holds until 15 s)", s->passes,
		 s->last_ns / NS_PER_MS);
}
