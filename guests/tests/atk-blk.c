/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-blk: the partition's virtio-blk turned against the hypervisor
 * (issue 12, "virtqueues placed over MMIO or outside RAM, descriptor loops
 * and huge lengths; attempts to read the hypervisor's or another
 * partition's memory through every device"), with virtio-hostile.c's
 * driver: this file includes it whole and runs its own cases.
 *
 * Every request is the three parts of virtio 1.2 §5.2.6 (a 16-byte header
 * the device reads, the data, a status byte it writes), each in its own
 * descriptor; each case points one part somewhere it must not go, or asks
 * for sectors or lengths the disk cannot give. The hypervisor's documented
 * answers (drivers/virtio/virtqueue.h, virtio_blk.h):
 *
 *   - a buffer that is not wholly in this partition's RAM (beyond it, on
 *     the local APIC page, on the test device's page, on the device's own
 *     BAR; directly or through an indirect table, or the indirect table
 *     itself on the local APIC page), a zero-length or 4 GiB buffer, a chain whose lengths add up to
 *     more than 4 GiB, a chain that loops: the ring is broken, so the chain
 *     is dropped before the request is looked at, the device goes to
 *     DEVICE_NEEDS_RESET with a configuration interrupt and one warning
 *     (at most 16 per device, then one "further ones not logged"); nothing
 *     is read from or written to the disk, the status byte stays as it was;
 *   - a request that is wrong in itself (sectors past the end, a sector
 *     number whose byte offset overflows 64 bits, data that is not whole
 *     sectors, a write to a read-only disk, a header shorter than 16
 *     bytes): it completes with VIRTIO_BLK_S_IOERR and the disk and the
 *     buffer are untouched; an unknown type: VIRTIO_BLK_S_UNSUPP; no
 *     writable byte for the status: returned unanswered (used length 0);
 *     one warning per kind of mistake per device.
 *
 * After each case the guest checks what it can see: the disk still holds
 * its own data (read back through a valid request), a read's buffer still
 * holds its poison, the local APIC and the test device's scratch register
 * are unchanged. The partition needs two disks (the module lines in
 * tests/integration/include/adversarial-contained.inc): a read-only image
 * of 0xA5 bytes (guests/atk-blk-ro.img, `disk-for=... readonly=yes`, vda)
 * and `disk=64K` (vdb), and 68 MiB of RAM for the chain of 64 buffers of
 * 64 MiB. */
#define guest_main virtio_hostile_main
#include "virtio-hostile.c"
#undef guest_main
#include "atk.h"

#define VIRTIO_BLK_PCI_ID 0x1042 /* 0x1040 + device type 2 (§4.1.2.1, §5.2) */
#define BLK_QUEUE 0              /* requestq (§5.2.2) */
#define F_BLK_RO 5               /* §5.2.3 */

/* Request header (§5.2.6): le32 type, le32 reserved, le64 sector. */
#define BLK_HDR_LEN 16
#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_GET_LIFETIME 10
#define BLK_T_DISCARD 11
#define BLK_T_WRITE_ZEROES 13
#define BLK_T_SECURE_ERASE 14
#define BLK_S_OK 0
#define BLK_S_IOERR 1
#define BLK_S_UNSUPP 2

#define SECTOR_SIZE 512
#define DISK_SECTORS 128 /* disk=64K */
#define LAST_SECTOR (DISK_SECTORS - 1)
#define UNWRITTEN_SECTOR 64 /* never written by this guest */
#define RO_DISK_BYTE 0xA5   /* every byte of guests/atk-blk-ro.img */
#define STATUS_UNSET 0xEE   /* no status value of §5.2.6 */
#define POISON 0x5A         /* a read's buffer before the request */
#define FOREIGN_DATA 0xC3   /* what the refused writes would write */
#define TESTDEV_SCRATCH 0x0 /* the test device's scratch register */
#define SCRATCH_MARK 0x61746b62u
#define LAPIC_TPR 0x80

/* The chain of more than 4 GiB: OVERFLOW_SEGS (virtio-hostile.c, 64, the
 * most one chain may have) buffers of 64 MiB starting at address 0. */
#define CHAIN_MAX OVERFLOW_SEGS

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static volatile struct blk_hdr req_hdr __attribute__((aligned(64)));
static volatile uint8_t io_buf[2 * SECTOR_SIZE] __attribute__((aligned(4096)));
static volatile uint8_t req_status __attribute__((aligned(64)));

/* One buffer of a request. */
struct seg {
	uint64_t addr;
	uint32_t len;
	bool device_writes;
};

/* A request as descriptors 0..n-1; loop: the last one names the data
 * descriptor (1) as next. */
struct chain {
	struct seg seg[CHAIN_MAX];
	unsigned int n;
	bool loop;
};

enum { PART_HDR, PART_DATA, PART_STATUS };

static uintptr_t own_bar;

/* ---- requests -------------------------------------------------------------- */

/* Header, data, status, each in our own RAM; sets the header. */
static struct chain rw_chain(uint32_t type, uint64_t sector, uint32_t len, bool device_writes)
{
	req_hdr.type = type;
	req_hdr.reserved = 0;
	req_hdr.sector = sector;
	return (struct chain){
		.seg = {
			[PART_HDR] = { (uintptr_t)&req_hdr, BLK_HDR_LEN, false },
			[PART_DATA] = { (uintptr_t)io_buf, len, device_writes },
			[PART_STATUS] = { (uintptr_t)&req_status, 1, true },
		},
		.n = 3,
	};
}

static struct chain read_chain(uint64_t sector, uint32_t len)
{
	return rw_chain(BLK_T_IN, sector, len, true);
}

static struct chain write_chain(uint64_t sector, uint32_t len)
{
	return rw_chain(BLK_T_OUT, sector, len, false);
}

/* Lays the chain out as descriptors 0..n-1 of table t. */
static void lay_out(struct virtq_desc *t, const struct chain *c)
{
	for (unsigned int i = 0; i < c->n; i++) {
		bool last = i + 1 == c->n;
		uint16_t flags = (c->seg[i].device_writes ? DESC_F_WRITE : 0) |
				 (!last || c->loop ? DESC_F_NEXT : 0);
		set_desc(t, (uint16_t)i, c->seg[i].addr, c->seg[i].len, flags,
			 last ? PART_DATA : (uint16_t)(i + 1));
	}
}

/* Starts the device afresh (a reset, §3.1.1) and hands it the chain. */
static const char *submit(const struct vdev *d, const struct chain *c, uint16_t qs)
{
	struct setup s = default_setup(FEATURE(F_VERSION_1), qs);
	const char *why = start_device(d, &s);

	if (why)
		return why;
	req_status = STATUS_UNSET;
	lay_out(desc_table, c);
	post(qs, 0);
	notify_queue(d, BLK_QUEUE);
	return NULL;
}

/* The same through an indirect table at table_addr (§2.7.5.3), with
 * VIRTIO_F_INDIRECT_DESC negotiated; the chain is written to
 * indirect_table (virtio-hostile.c), which table_addr may or may not be. */
static const char *submit_indirect(const struct vdev *d, const struct chain *c, uint64_t table_addr)
{
	struct setup s = default_setup(FEATURE(F_VERSION_1) | FEATURE(F_INDIRECT_DESC), QUEUE_SMALL);
	const char *why;

	if (!(device_features(d) & FEATURE(F_INDIRECT_DESC)))
		return "the device does not offer VIRTIO_F_INDIRECT_DESC";
	if (c->n > ARRAY_SIZE(indirect_table))
		return "chain too long for indirect_table";
	why = start_device(d, &s);
	if (why)
		return why;
	req_status = STATUS_UNSET;
	lay_out(indirect_table, c);
	set_desc(desc_table, 0, table_addr, c->n * DESC_SIZE, DESC_F_INDIRECT, 0);
	post(QUEUE_SMALL, 0);
	notify_queue(d, BLK_QUEUE);
	return NULL;
}

/* A broken ring: DEVICE_NEEDS_RESET, nothing completed, no status written,
 * the configuration interrupt (§2.1.2; ISR bit 1 without MSI-X). */
static const char *expect_reset(const struct vdev *d)
{
	static char why[112];
	uint8_t isr;

	if (!wait_status_bit(d, STATUS_NEEDS_RESET)) {
		rt_snprintf(why, sizeof(why),
			    "no DEVICE_NEEDS_RESET within %u ms (status 0x%x, used idx %u, "
			    "status byte 0x%x)",
			    DEVICE_TIMEOUT_MS, status(d), used_ring.idx, req_status);
		return why;
	}
	if (used_ring.idx != 0 || req_status != STATUS_UNSET) {
		rt_snprintf(why, sizeof(why), "NEEDS_RESET, but used idx %u, status byte 0x%x",
			    used_ring.idx, req_status);
		return why;
	}
	isr = read_isr(d);
	if (!(isr & ISR_CONFIG)) {
		rt_snprintf(why, sizeof(why),
			    "NEEDS_RESET without a configuration interrupt (ISR 0x%x)", isr);
		return why;
	}
	return NULL;
}

/* A request the device answers: completed with status byte `want`, the
 * device still running. */
static const char *expect_status(const struct vdev *d, uint8_t want)
{
	static char why[112];

	if (!wait_used(d, 1)) {
		rt_snprintf(why, sizeof(why), "not completed: used idx %u, device status 0x%x",
			    used_ring.idx, status(d));
		return why;
	}
	if (used_ring.ring[0].id != 0 || req_status != want) {
		rt_snprintf(why, sizeof(why), "used id %u, status byte 0x%x, want 0x%x",
			    used_ring.ring[0].id, req_status, want);
		return why;
	}
	if (status(d) != STATUS_RUNNING) {
		rt_snprintf(why, sizeof(why), "device status 0x%x after the request", status(d));
		return why;
	}
	return NULL;
}

/* ---- what the guest can see ------------------------------------------------ */

/* This guest's own data: a different byte sequence per sector. */
static uint8_t pattern(uint64_t sector, unsigned int i)
{
	return (uint8_t)(sector * 37 + i * 13 + 1);
}

static void fill_io_buf(uint8_t v)
{
	memset((void *)io_buf, v, sizeof(io_buf));
}

static bool io_buf_is(uint8_t v, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		if (io_buf[i] != v)
			return false;
	return true;
}

/* A well-formed request of whole sectors between io_buf and the disk. */
static const char *blk_io(const struct vdev *d, uint32_t type, uint64_t sector, uint32_t len)
{
	struct chain c = rw_chain(type, sector, len, type == BLK_T_IN);
	const char *why = submit(d, &c, QUEUE_SMALL);

	return why ? why : expect_status(d, BLK_S_OK);
}

static const char *write_pattern(const struct vdev *d, uint64_t sector, unsigned int count)
{
	for (unsigned int s = 0; s < count; s++)
		for (unsigned int i = 0; i < SECTOR_SIZE; i++)
			io_buf[s * SECTOR_SIZE + i] = pattern(sector + s, i);
	return blk_io(d, BLK_T_OUT, sector, count * SECTOR_SIZE);
}

/* Reads a sector back: does it hold this guest's pattern (or, with
 * `fill` >= 0, that byte everywhere)? */
static const char *sector_check(const struct vdev *d, uint64_t sector, int fill)
{
	static char why[112];
	const char *err;

	fill_io_buf(POISON);
	err = blk_io(d, BLK_T_IN, sector, SECTOR_SIZE);
	if (err) {
		rt_snprintf(why, sizeof(why), "reading sector %llu back: %s",
			    (unsigned long long)sector, err);
		return why;
	}
	for (unsigned int i = 0; i < SECTOR_SIZE; i++) {
		uint8_t want = fill >= 0 ? (uint8_t)fill : pattern(sector, i);
		if (io_buf[i] != want) {
			rt_snprintf(why, sizeof(why),
				    "sector %llu byte %u is 0x%x, not 0x%x: the disk changed",
				    (unsigned long long)sector, i, io_buf[i], want);
			return why;
		}
	}
	return NULL;
}

static const char *sector_unchanged(const struct vdev *d, uint64_t sector)
{
	return sector_check(d, sector, -1);
}

static const char *first_sectors_unchanged(const struct vdev *d)
{
	const char *why = sector_unchanged(d, 0);
	return why ? why : sector_unchanged(d, 1);
}

static const char *poison_kept(const struct vdev *d)
{
	(void)d;
	return io_buf_is(POISON, sizeof(io_buf)) ? NULL : "the read's buffer changed";
}

/* The local APIC registers and the test device's scratch register, which
 * a stray device write would change (atk-witness.h), as place checks. */
#include "atk-witness.h"

static const char *lapic_unchanged_for(const struct vdev *d)
{
	(void)d;
	return lapic_unchanged();
}

static const char *scratch_unchanged_for(const struct vdev *d)
{
	(void)d;
	return scratch_unchanged();
}

/* ---- the cases --------------------------------------------------------------- */

/* A chain the ring checks must refuse; after() checks what could have been
 * touched (NULL: nothing to look at). */
static void attack_reset(const struct vdev *d, const char *name, const struct chain *c, uint16_t qs,
			 const char *(*after)(const struct vdev *))
{
	const char *why = submit(d, c, qs);

	if (!why)
		why = expect_reset(d);
	if (!why && after)
		why = after(d);
	rt_check(name, !why, "%s", why);
}

/* Ring attacks that are not about where a buffer lies. They come first:
 * each reason's warning must be among the 16 a device logs. */
static void ring_attacks(const struct vdev *d)
{
	static struct chain c;

	/* A read whose status descriptor names the data descriptor as next:
	 * writable after writable, so only the loop itself is wrong. */
	c = read_chain(0, SECTOR_SIZE);
	fill_io_buf(POISON);
	c.loop = true;
	attack_reset(d, "descriptor_loop", &c, QUEUE_SMALL, poison_kept);

	/* 64 buffers of 64 MiB, all in RAM: 4 GiB, one byte more than a used
	 * element's le32 len can say (§2.7.8). */
	if (rt_boot.cr3 < OVERFLOW_SEG_LEN) {
		rt_fail("chain_over_4gib", "needs 64 MiB of RAM, the partition has less");
	} else {
		c = (struct chain){ .n = OVERFLOW_SEGS };
		for (unsigned int i = 0; i < OVERFLOW_SEGS; i++)
			c.seg[i] = (struct seg){ 0, OVERFLOW_SEG_LEN, i > 0 };
		attack_reset(d, "chain_over_4gib", &c, QUEUE_MAX, first_sectors_unchanged);
	}

	c = read_chain(0, SECTOR_SIZE);
	c.seg[PART_DATA].len = 0;
	attack_reset(d, "zero_length_data", &c, QUEUE_SMALL, NULL);

	/* 4 GiB - 1 from a buffer in RAM: reaches far past its end. */
	c = read_chain(0, SECTOR_SIZE);
	c.seg[PART_DATA].len = 0xFFFFFFFFu;
	attack_reset(d, "huge_data_length", &c, QUEUE_SMALL, NULL);
}

/* Where a part may be put instead of this partition's RAM. */
enum place { BEYOND_RAM, ON_LAPIC, ON_TESTDEV, ON_OWN_BAR };

static uint64_t place_addr(enum place p, unsigned int lapic_off)
{
	switch (p) {
	case BEYOND_RAM:
		return ATK_BEYOND_RAM;
	case ON_LAPIC:
		return LAPIC_BASE + lapic_off;
	case ON_TESTDEV:
		return TESTDEV_MMIO;
	case ON_OWN_BAR:
		return own_bar;
	}
	return 0;
}

static const char *(*const place_check[])(const struct vdev *) = {
	[BEYOND_RAM] = NULL,
	[ON_LAPIC] = lapic_unchanged_for,
	[ON_TESTDEV] = scratch_unchanged_for,
	[ON_OWN_BAR] = NULL,
};

struct place_case {
	const char *name;
	int part;
	enum place place;
	bool write; /* a write request (the device reads the data part) */
};

static const struct place_case place_cases[] = {
	{ "header_outside_ram", PART_HDR, BEYOND_RAM, true },
	{ "header_on_lapic", PART_HDR, ON_LAPIC, true },
	{ "header_on_own_bar", PART_HDR, ON_OWN_BAR, true },
	{ "read_into_outside_ram", PART_DATA, BEYOND_RAM, false },
	{ "read_into_lapic", PART_DATA, ON_LAPIC, false },
	{ "read_into_device_mmio", PART_DATA, ON_TESTDEV, false },
	{ "read_into_own_bar", PART_DATA, ON_OWN_BAR, false },
	{ "write_from_outside_ram", PART_DATA, BEYOND_RAM, true },
	{ "write_from_lapic", PART_DATA, ON_LAPIC, true },
	{ "write_from_own_bar", PART_DATA, ON_OWN_BAR, true },
	{ "status_outside_ram", PART_STATUS, BEYOND_RAM, true },
	{ "status_on_lapic", PART_STATUS, ON_LAPIC, true },
	{ "status_on_own_bar", PART_STATUS, ON_OWN_BAR, true },
};

/* One part of a request moved off this partition's RAM. The writes would
 * put FOREIGN_DATA (or what the device read from the bad address) on
 * sectors 0-1, so those must still hold the pattern afterwards; a status
 * byte on the LAPIC page lands on the TPR. */
static void run_place_case(const struct vdev *d, const struct place_case *pc)
{
	static struct chain c;
	const char *why;

	c = pc->write ? write_chain(0, 2 * SECTOR_SIZE) : read_chain(0, 2 * SECTOR_SIZE);
	fill_io_buf(FOREIGN_DATA);
	c.seg[pc->part].addr = place_addr(pc->place, pc->part == PART_STATUS ? LAPIC_TPR : 0);
	why = submit(d, &c, QUEUE_SMALL);
	if (!why)
		why = expect_reset(d);
	if (!why && place_check[pc->place])
		why = place_check[pc->place](d);
	if (!why && pc->write)
		why = first_sectors_unchanged(d);
	rt_check(pc->name, !why, "%s", why);
}

/* The indirect path reads its table with its own accessor: the table on
 * the local APIC page, and a valid table whose data entry points at the
 * test device. A well-formed indirect read works (the refusals are for
 * the addresses, not for being indirect). */
static void indirect_attacks(const struct vdev *d)
{
	static struct chain c;
	const char *why;

	c = read_chain(0, SECTOR_SIZE);
	why = submit_indirect(d, &c, LAPIC_BASE);
	if (!why)
		why = expect_reset(d);
	if (!why)
		why = lapic_unchanged();
	rt_check("indirect_table_on_lapic", !why, "%s", why);

	c = read_chain(0, SECTOR_SIZE);
	c.seg[PART_DATA].addr = TESTDEV_MMIO;
	why = submit_indirect(d, &c, (uintptr_t)indirect_table);
	if (!why)
		why = expect_reset(d);
	if (!why)
		why = scratch_unchanged();
	rt_check("indirect_data_on_device_mmio", !why, "%s", why);

	fill_io_buf(POISON);
	c = read_chain(0, SECTOR_SIZE);
	why = submit_indirect(d, &c, (uintptr_t)indirect_table);
	if (!why)
		why = expect_status(d, BLK_S_OK);
	for (unsigned int i = 0; !why && i < SECTOR_SIZE; i++)
		if (io_buf[i] != pattern(0, i))
			why = "the indirect read did not return sector 0";
	rt_check("indirect_valid", !why, "%s", why);
}

/* A request completed with status `want`: a read's buffer keeps its
 * poison, a write leaves sector `keep` as it was. NULL or what went wrong. */
static const char *status_case(const struct vdev *d, const struct chain *c, uint8_t want,
			       uint64_t keep)
{
	const char *why = submit(d, c, QUEUE_SMALL);
	bool reads = c->seg[PART_DATA].device_writes;

	if (!why)
		why = expect_status(d, want);
	if (!why && reads && !io_buf_is(POISON, sizeof(io_buf)))
		why = "the buffer of a failed read changed";
	if (!why && !reads)
		why = sector_unchanged(d, keep);
	return why;
}

static void attack_status(const struct vdev *d, const char *name, const struct chain *c,
			  uint8_t want, uint64_t keep)
{
	const char *why = status_case(d, c, want, keep);
	rt_check(name, !why, "%s", why);
}

/* Sector numbers past the end, and ones whose byte offset (sector * 512)
 * wraps to the start of the disk or close to it. */
static const uint64_t bad_sectors[] = {
	DISK_SECTORS, 1ull << 55, (1ull << 55) + 1, 1ull << 63, ~0ull, ~0ull - 1,
};

static void sector_attacks(const struct vdev *d)
{
	static struct chain c;

	const char *why = NULL;

	for (unsigned int i = 0; i < ARRAY_SIZE(bad_sectors) && !why; i++) {
		fill_io_buf(POISON);
		c = read_chain(bad_sectors[i], SECTOR_SIZE);
		why = status_case(d, &c, BLK_S_IOERR, 0);
		if (why)
			rt_printf("sector 0x%llx: %s\n", (unsigned long long)bad_sectors[i], why);
	}
	rt_check("read_sector_past_end", !why, "%s", why);
	/* The last sector and one past it: nothing of the last may arrive. */
	fill_io_buf(POISON);
	c = read_chain(LAST_SECTOR, 2 * SECTOR_SIZE);
	attack_status(d, "read_runs_past_end", &c, BLK_S_IOERR, 0);

	fill_io_buf(FOREIGN_DATA);
	c = write_chain(LAST_SECTOR, 2 * SECTOR_SIZE);
	attack_status(d, "write_runs_past_end", &c, BLK_S_IOERR, LAST_SECTOR);
	fill_io_buf(FOREIGN_DATA);
	c = write_chain(1ull << 55, SECTOR_SIZE); /* would be sector 0 */
	attack_status(d, "write_sector_offset_wraps", &c, BLK_S_IOERR, 0);
}

static void length_attacks(const struct vdev *d)
{
	static struct chain c;

	fill_io_buf(POISON);
	c = read_chain(0, SECTOR_SIZE + 1);
	attack_status(d, "read_length_513", &c, BLK_S_IOERR, 0);
	fill_io_buf(POISON);
	c = read_chain(0, 100);
	attack_status(d, "read_length_100", &c, BLK_S_IOERR, 0);
	fill_io_buf(FOREIGN_DATA);
	c = write_chain(0, 100);
	attack_status(d, "write_length_100", &c, BLK_S_IOERR, 0);
	/* §5.2.6: the header is 16 bytes; 8 leave the sector unknown. */
	fill_io_buf(POISON);
	c = read_chain(0, SECTOR_SIZE);
	c.seg[PART_HDR].len = BLK_HDR_LEN / 2;
	attack_status(d, "short_header", &c, BLK_S_IOERR, 0);
}

/* Types this device does not offer; a writable buffer each, which must
 * keep its poison, and sector 0 must keep its data (WRITE_ZEROES, SECURE
 * ERASE and DISCARD name it). */
static void case_unknown_types(const struct vdev *d)
{
	static const uint32_t types[] = { 0xFFFF,        0xFFFFFFFFu,        BLK_T_GET_LIFETIME,
					  BLK_T_DISCARD, BLK_T_WRITE_ZEROES, BLK_T_SECURE_ERASE };
	static struct chain c;
	const char *why = NULL;

	for (unsigned int i = 0; i < ARRAY_SIZE(types) && !why; i++) {
		fill_io_buf(POISON);
		c = rw_chain(types[i], 0, SECTOR_SIZE, true);
		why = submit(d, &c, QUEUE_SMALL);
		if (!why)
			why = expect_status(d, BLK_S_UNSUPP);
		if (!why && !io_buf_is(POISON, sizeof(io_buf)))
			why = "the buffer changed";
		if (why)
			rt_printf("type 0x%x: %s\n", types[i], why);
	}
	if (!why)
		why = sector_unchanged(d, 0);
	rt_check("unknown_request_types", !why, "%s", why);
}

/* A write with no device-writable byte at all: no status can be given, so
 * the chain is returned with used length 0 and nothing is written. */
static void case_no_status_byte(const struct vdev *d)
{
	static struct chain c;
	const char *why;

	fill_io_buf(FOREIGN_DATA);
	c = write_chain(0, SECTOR_SIZE);
	c.seg[PART_STATUS].device_writes = false;
	why = submit(d, &c, QUEUE_SMALL);
	if (!why && !wait_used(d, 1))
		why = "not returned";
	if (!why && (used_ring.ring[0].len != 0 || status(d) != STATUS_RUNNING))
		why = "used length not 0, or the device stopped";
	if (!why)
		why = sector_unchanged(d, 0);
	rt_check("no_status_byte", !why, "%s", why);
}

/* The read-only image: offered with VIRTIO_BLK_F_RO, a write fails with
 * IOERR (§5.2.6.2) and the image keeps its bytes. */
static void case_readonly(const struct vdev *ro)
{
	static struct chain c;
	const char *why = NULL;

	if (!(device_features(ro) & FEATURE(F_BLK_RO)))
		why = "the read-only disk does not offer VIRTIO_BLK_F_RO";
	if (!why)
		why = sector_check(ro, 0, RO_DISK_BYTE);
	if (!why) {
		fill_io_buf(FOREIGN_DATA);
		c = write_chain(0, 2 * SECTOR_SIZE);
		why = submit(ro, &c, QUEUE_SMALL);
	}
	if (!why)
		why = expect_status(ro, BLK_S_IOERR);
	if (!why)
		why = sector_check(ro, 0, RO_DISK_BYTE);
	if (!why)
		why = sector_check(ro, 1, RO_DISK_BYTE);
	rt_check("write_readonly_disk", !why, "%s", why);
}

/* ---- setup ----------------------------------------------------------------------- */

/* The two disks, told apart by VIRTIO_BLK_F_RO. */
static bool find_disks(struct vdev *rw, struct vdev *ro)
{
	struct vdev d[2] = { 0 };

	for (unsigned int i = 0; i < 2; i++)
		if (!discover_device(&d[i], "discover", VIRTIO_BLK_PCI_ID, i))
			return false;
	bool first_ro = device_features(&d[0]) & FEATURE(F_BLK_RO);
	*rw = d[first_ro ? 1 : 0];
	*ro = d[first_ro ? 0 : 1];
	return rt_check("discover", !(device_features(rw) & FEATURE(F_BLK_RO)),
			"both disks are read-only");
}

/* Sectors 0, 1 and the last hold this guest's pattern; a sector never
 * written reads as zeros (the RAM disk starts zero-filled: no earlier
 * owner's data). */
static bool baseline(const struct vdev *d)
{
	const char *why = write_pattern(d, 0, 2);

	if (!why)
		why = write_pattern(d, LAST_SECTOR, 1);
	if (!why)
		why = first_sectors_unchanged(d);
	if (!why)
		why = sector_unchanged(d, LAST_SECTOR);
	if (!rt_check("baseline", !why, "%s", why))
		return false;
	why = sector_check(d, UNWRITTEN_SECTOR, 0);
	rt_check("unwritten_sector_zero", !why, "%s", why);
	return true;
}

void guest_main(void)
{
	struct vdev d, ro;

	if (!rt_hv_present() || !find_disks(&d, &ro))
		return;
	d.tsc_per_ms = ro.tsc_per_ms = calibrate_tsc();
	own_bar = (uintptr_t)d.common & ~0xFFFul;
	lapic_save();
	mmio_wr32(TESTDEV_MMIO + TESTDEV_SCRATCH, SCRATCH_MARK);
	if (!baseline(&d))
		return;
	ring_attacks(&d);
	for (unsigned int i = 0; i < ARRAY_SIZE(place_cases); i++)
		run_place_case(&d, &place_cases[i]);
	indirect_attacks(&d);
	sector_attacks(&d);
	length_attacks(&d);
	case_unknown_types(&d);
	case_no_status_byte(&d);
	case_readonly(&ro);
	const char *why = write_pattern(&d, 2, 1);
	if (!why)
		why = sector_unchanged(&d, 2);
	if (!why)
		why = first_sectors_unchanged(&d);
	rt_check("recovers", !why, "%s", why);
	device_reset(&d);
	device_reset(&ro);
}
