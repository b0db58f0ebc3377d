/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio-hostile: a virtio driver that breaks the rules on purpose.
 *
 * It finds the partition's virtio-rng (vendor 0x1AF4, device 0x1044) on PCI
 * bus 0 through configuration mechanism #1, locates the common, ISR and
 * notify structures by walking its vendor capabilities (virtio 1.2 §4.1.4),
 * and then, for each case, brings the device up the way §3.1.1 prescribes
 * (reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queue 0 in our own
 * RAM, DRIVER_OK) and does exactly one forbidden thing. The device must
 * answer with DEVICE_NEEDS_RESET (§2.1.2) - or, where the spec gives
 * another answer, with that one - and must never complete the bad request.
 * A device reset (§4.1.4.3.2) must always bring it back: the last case is
 * a plain 64-byte entropy request that has to be filled.
 *
 * The partition needs `devices=rng` and at least 72 MiB of RAM (the
 * length-overflow case points 64 buffers of 64 MiB, all inside RAM, at
 * the device). The loader identity-maps the first 4 GiB, which covers the
 * BAR the hypervisor's firmware placed at 0xC0000000. */
#include "rt.h"

/* ---- PCI (PCI Local Bus 3.0) ------------------------------------------- */

/* Configuration mechanism #1 (§3.2.2.3.2). */
#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA 0xCFC
#define PCI_CONFIG_ENABLE 0x80000000u
#define PCI_DEV_SHIFT 11
#define PCI_REG_MASK 0xFCu
#define PCI_SLOTS 32

/* Type-0 configuration header (§6.1, §6.2.5.1, §6.7). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_BAR0 0x10
#define PCI_NR_BARS 6
#define PCI_CAP_PTR 0x34
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_BAR_IO 0x1
#define PCI_BAR_TYPE_MASK 0x6
#define PCI_BAR_TYPE_64 0x4
#define PCI_BAR_MEM_ADDR_MASK 0xFFFFFFF0u
#define PCI_CAP_ID_VENDOR 0x09
#define PCI_CAP_NEXT 1
#define PCI_CAP_FIRST 0x40 /* capabilities live after the header */
#define PCI_MAX_CAPS 48    /* (256 - 64) / 4: bounds a looping list */

/* ---- virtio over PCI (virtio 1.2 §4.1) ---------------------------------- */

#define VIRTIO_VENDOR_ID 0x1AF4
#define VIRTIO_RNG_PCI_ID 0x1044 /* 0x1040 + device type 4 (§4.1.2.1, §5.4) */

/* struct virtio_pci_cap (§4.1.4); offsets from the capability start. */
#define VIRTIO_CAP_CFG_TYPE 3
#define VIRTIO_CAP_BAR 4
#define VIRTIO_CAP_OFFSET 8
#define VIRTIO_CAP_LENGTH 12
#define VIRTIO_CAP_NOTIFY_MULT 16 /* struct virtio_pci_notify_cap (§4.1.4.4) */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3

/* struct virtio_pci_common_cfg (§4.1.4.3). */
#define COMMON_DFSELECT 0x00
#define COMMON_DF 0x04
#define COMMON_GFSELECT 0x08
#define COMMON_GF 0x0C
#define COMMON_STATUS 0x14
#define COMMON_Q_SELECT 0x16
#define COMMON_Q_SIZE 0x18
#define COMMON_Q_ENABLE 0x1C
#define COMMON_Q_NOFF 0x1E
#define COMMON_Q_DESC 0x20
#define COMMON_Q_AVAIL 0x28
#define COMMON_Q_USED 0x30
#define COMMON_LEN 0x38 /* up to queue_notify_data, which we do not use */

/* Device status (§2.1). */
#define STATUS_ACKNOWLEDGE 0x01
#define STATUS_DRIVER 0x02
#define STATUS_DRIVER_OK 0x04
#define STATUS_FEATURES_OK 0x08
#define STATUS_NEEDS_RESET 0x40
#define STATUS_RUNNING (STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK)

/* ISR status bits (§4.1.4.5). */
#define ISR_QUEUE 0x1
#define ISR_CONFIG 0x2

/* Feature bits (§6). */
#define F_INDIRECT_DESC 28
#define F_VERSION_1 32
#define FEATURE(bit) (1ull << (bit))

/* Split virtqueue (§2.7). */
#define DESC_F_NEXT 1
#define DESC_F_WRITE 2
#define DESC_F_INDIRECT 4
#define DESC_SIZE 16
#define RNG_QUEUE 0
#define QUEUE_MAX 64   /* the largest queue this guest can lay out */
#define QUEUE_SMALL 16 /* what most cases use */
#define REQUEST_LEN 64 /* bytes of entropy asked for */

/* A guest-physical address no partition RAM reaches. */
#define FAR_OUTSIDE_RAM 0x7FFF00000000ull
/* The length-overflow chain: 64 buffers of 64 MiB (all in RAM) add up to
 * 4 GiB, one byte more than a used element's 32-bit length can say. */
#define OVERFLOW_SEGS 64
#define OVERFLOW_SEG_LEN 0x4000000u
#define OVERFLOW_RAM_NEEDED ((uint64_t)OVERFLOW_SEG_LEN)

/* How long the device may take to notice (its service task is async). */
#define DEVICE_TIMEOUT_MS 2000
#define CALIBRATE_NS 20000000ull /* 20 ms against HC_TIME_NS */
#define FALLBACK_TSC_PER_MS 3000000ull

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[QUEUE_MAX];
	uint16_t used_event;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[QUEUE_MAX];
	uint16_t avail_event;
};

/* The rings and buffers live in the image (identity-mapped RAM). One page
 * each keeps every area aligned well beyond §2.7's 16/2/4 bytes. */
static struct virtq_desc desc_table[QUEUE_MAX] __attribute__((aligned(4096)));
static volatile struct virtq_avail avail_ring __attribute__((aligned(4096)));
static volatile struct virtq_used used_ring __attribute__((aligned(4096)));
static struct virtq_desc indirect_table[4] __attribute__((aligned(64)));
static volatile uint8_t request_buf[2][REQUEST_LEN] __attribute__((aligned(64)));

/* The device as found on the bus. */
struct vdev {
	unsigned int slot;
	volatile uint8_t *common;
	volatile uint8_t *isr;
	volatile uint8_t *notify;
	uint32_t notify_mult;
	uint32_t notify_len;
	uint64_t tsc_per_ms;
};

/* How a case sets the device up. */
struct setup {
	uint64_t features;   /* accepted by the driver */
	uint16_t queue_size; /* 0: keep the device's maximum */
	uint64_t desc, avail, used;
};

static inline void barrier(void)
{
	asm volatile("" : : : "memory");
}

/* ---- PCI configuration space --------------------------------------------- */

static uint32_t pci_read32(unsigned int slot, unsigned int reg)
{
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | slot << PCI_DEV_SHIFT | (reg & PCI_REG_MASK));
	return inl(PCI_CONFIG_DATA);
}

static uint16_t pci_read16(unsigned int slot, unsigned int reg)
{
	return (uint16_t)(pci_read32(slot, reg) >> (8 * (reg & 2)));
}

static uint8_t pci_read8(unsigned int slot, unsigned int reg)
{
	return (uint8_t)(pci_read32(slot, reg) >> (8 * (reg & 3)));
}

/* A memory BAR's address (§6.2.5.1), 0 if it is I/O or unprogrammed. */
static uint64_t pci_bar_addr(unsigned int slot, unsigned int bar)
{
	uint32_t lo, hi = 0;

	if (bar >= PCI_NR_BARS)
		return 0;
	lo = pci_read32(slot, PCI_BAR0 + 4 * bar);
	if (lo & PCI_BAR_IO)
		return 0;
	if ((lo & PCI_BAR_TYPE_MASK) == PCI_BAR_TYPE_64) {
		if (bar + 1 >= PCI_NR_BARS)
			return 0;
		hi = pci_read32(slot, PCI_BAR0 + 4 * (bar + 1));
	}
	return (uint64_t)hi << 32 | (lo & PCI_BAR_MEM_ADDR_MASK);
}

/* The slot of the nth function (0 = the first) with this virtio PCI device
 * ID on bus 0 (atk-blk.c drives two virtio-blk functions). */
static bool find_virtio_slot(uint16_t pci_id, unsigned int nth, unsigned int *slot)
{
	for (unsigned int s = 0; s < PCI_SLOTS; s++) {
		if (pci_read16(s, PCI_VENDOR_ID) == VIRTIO_VENDOR_ID &&
		    pci_read16(s, PCI_DEVICE_ID) == pci_id && nth-- == 0) {
			*slot = s;
			return true;
		}
	}
	return false;
}

/* Where one virtio structure lives: BAR address + offset, if the BAR is a
 * programmed memory BAR inside the identity map. */
static volatile uint8_t *cap_target(unsigned int slot, unsigned int cap, uint32_t *len)
{
	uint64_t base = pci_bar_addr(slot, pci_read8(slot, cap + VIRTIO_CAP_BAR));
	uint64_t addr = base + pci_read32(slot, cap + VIRTIO_CAP_OFFSET);

	*len = pci_read32(slot, cap + VIRTIO_CAP_LENGTH);
	if (!base || addr + *len > (1ull << 32))
		return NULL;
	return (volatile uint8_t *)(uintptr_t)addr;
}

/* Records a vendor capability if it is the first of a type we use. */
static void note_virtio_cap(struct vdev *d, unsigned int cap)
{
	uint8_t type = pci_read8(d->slot, cap + VIRTIO_CAP_CFG_TYPE);
	uint32_t len;

	if (type == VIRTIO_PCI_CAP_COMMON_CFG && !d->common) {
		d->common = cap_target(d->slot, cap, &len);
		if (len < COMMON_LEN)
			d->common = NULL;
	} else if (type == VIRTIO_PCI_CAP_ISR_CFG && !d->isr) {
		d->isr = cap_target(d->slot, cap, &len);
	} else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !d->notify) {
		d->notify = cap_target(d->slot, cap, &d->notify_len);
		d->notify_mult = pci_read32(d->slot, cap + VIRTIO_CAP_NOTIFY_MULT);
	}
}

/* Walks the capability list (§6.7) for the first common, ISR and notify
 * structures (§4.1.4: the driver uses the first of each type it knows). */
static const char *find_virtio_caps(struct vdev *d)
{
	unsigned int cap = pci_read8(d->slot, PCI_CAP_PTR) & PCI_REG_MASK;

	if (!(pci_read16(d->slot, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return "no capability list";
	for (unsigned int n = 0; cap >= PCI_CAP_FIRST && n < PCI_MAX_CAPS; n++) {
		if (pci_read8(d->slot, cap) == PCI_CAP_ID_VENDOR)
			note_virtio_cap(d, cap);
		cap = pci_read8(d->slot, cap + PCI_CAP_NEXT) & PCI_REG_MASK;
	}
	if (!d->common)
		return "no usable common configuration capability";
	if (!d->isr)
		return "no usable ISR capability";
	if (!d->notify)
		return "no usable notify capability";
	if (!d->notify_mult || d->notify_len < d->notify_mult)
		return "notify capability without room for queue 0";
	return NULL;
}

/* ---- common configuration registers --------------------------------------- */

static uint8_t rd8(volatile uint8_t *base, unsigned int off)
{
	return *(volatile uint8_t *)(base + off);
}

static uint16_t rd16(volatile uint8_t *base, unsigned int off)
{
	return *(volatile uint16_t *)(base + off);
}

static uint32_t rd32(volatile uint8_t *base, unsigned int off)
{
	return *(volatile uint32_t *)(base + off);
}

static void wr8(volatile uint8_t *base, unsigned int off, uint8_t v)
{
	*(volatile uint8_t *)(base + off) = v;
}

static void wr16(volatile uint8_t *base, unsigned int off, uint16_t v)
{
	*(volatile uint16_t *)(base + off) = v;
}

static void wr32(volatile uint8_t *base, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

/* 64-bit fields are written as two 32-bit halves (§4.1.3.1). */
static void wr64(volatile uint8_t *base, unsigned int off, uint64_t v)
{
	wr32(base, off, (uint32_t)v);
	wr32(base, off + 4, (uint32_t)(v >> 32));
}

static uint8_t status(const struct vdev *d)
{
	return rd8(d->common, COMMON_STATUS);
}

static void set_status(const struct vdev *d, uint8_t v)
{
	wr8(d->common, COMMON_STATUS, v);
}

static uint64_t device_features(const struct vdev *d)
{
	uint64_t f;

	wr32(d->common, COMMON_DFSELECT, 0);
	f = rd32(d->common, COMMON_DF);
	wr32(d->common, COMMON_DFSELECT, 1);
	return f | (uint64_t)rd32(d->common, COMMON_DF) << 32;
}

static void write_driver_features(const struct vdev *d, uint64_t f)
{
	wr32(d->common, COMMON_GFSELECT, 0);
	wr32(d->common, COMMON_GF, (uint32_t)f);
	wr32(d->common, COMMON_GFSELECT, 1);
	wr32(d->common, COMMON_GF, (uint32_t)(f >> 32));
}

/* Reading ISR returns and clears it (§4.1.4.5). */
static uint8_t read_isr(const struct vdev *d)
{
	return rd8(d->isr, 0);
}

/* The driver notifies queue q at notify + queue_notify_off * multiplier
 * (§4.1.4.4); the value is the queue index (§4.1.5.2). */
static void notify_at(const struct vdev *d, uint32_t slot, uint16_t value)
{
	wr16(d->notify, slot * d->notify_mult, value);
}

static void notify_queue(const struct vdev *d, uint16_t q)
{
	wr16(d->common, COMMON_Q_SELECT, q);
	notify_at(d, rd16(d->common, COMMON_Q_NOFF), q);
}

/* ---- time ----------------------------------------------------------------- */

/* TSC ticks per millisecond, measured against the hypervisor's clock. */
static uint64_t calibrate_tsc(void)
{
	uint64_t t0 = rt_hc_time_ns(), c0 = rdtsc(), t1, c1;

	do {
		t1 = rt_hc_time_ns();
		if (t1 < t0)
			return FALLBACK_TSC_PER_MS;
	} while (t1 - t0 < CALIBRATE_NS);
	c1 = rdtsc();
	if (c1 <= c0)
		return FALLBACK_TSC_PER_MS;
	return (c1 - c0) * 1000000ull / (t1 - t0) ?: FALLBACK_TSC_PER_MS;
}

static uint64_t deadline(const struct vdev *d, uint64_t ms)
{
	return rdtsc() + ms * d->tsc_per_ms;
}

/* ---- bringing the device up (§3.1.1) -------------------------------------- */

/* §4.1.4.3.2: after writing 0 the driver waits until status reads 0. */
static bool device_reset(const struct vdev *d)
{
	uint64_t end = deadline(d, DEVICE_TIMEOUT_MS);

	set_status(d, 0);
	while (status(d) != 0) {
		if (rdtsc() > end)
			return false;
		cpu_relax();
	}
	return true;
}

static void rings_clear(void)
{
	memset(desc_table, 0, sizeof(desc_table));
	memset((void *)&avail_ring, 0, sizeof(avail_ring));
	memset((void *)&used_ring, 0, sizeof(used_ring));
	memset(indirect_table, 0, sizeof(indirect_table));
	memset((void *)request_buf, 0, sizeof(request_buf));
}

static struct setup default_setup(uint64_t features, uint16_t queue_size)
{
	return (struct setup){
		.features = features,
		.queue_size = queue_size,
		.desc = (uintptr_t)desc_table,
		.avail = (uintptr_t)&avail_ring,
		.used = (uintptr_t)&used_ring,
	};
}

/* Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK. Returns the status
 * read back after FEATURES_OK (the driver must check it, §3.1.1 step 6). */
static uint8_t negotiate(const struct vdev *d, uint64_t features, const char **why)
{
	*why = NULL;
	if (!device_reset(d)) {
		*why = "device status did not read 0 after a reset";
		return 0;
	}
	rings_clear(); /* the device no longer touches them (§2.4) */
	set_status(d, STATUS_ACKNOWLEDGE);
	set_status(d, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
	write_driver_features(d, features);
	set_status(d, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
	return status(d);
}

static void program_queue(const struct vdev *d, const struct setup *s)
{
	wr16(d->common, COMMON_Q_SELECT, RNG_QUEUE);
	if (s->queue_size)
		wr16(d->common, COMMON_Q_SIZE, s->queue_size);
	wr64(d->common, COMMON_Q_DESC, s->desc);
	wr64(d->common, COMMON_Q_AVAIL, s->avail);
	wr64(d->common, COMMON_Q_USED, s->used);
}

/* The whole §3.1.1 sequence with a correct queue; NULL on success, else
 * what went wrong. */
static const char *start_device(const struct vdev *d, const struct setup *s)
{
	const char *why;
	uint8_t st = negotiate(d, s->features, &why);

	if (why)
		return why;
	if (st != (STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK))
		return "FEATURES_OK refused for a valid feature set";
	program_queue(d, s);
	if (s->queue_size && rd16(d->common, COMMON_Q_SIZE) != s->queue_size)
		return "the device refused the queue size (above its maximum?)";
	wr16(d->common, COMMON_Q_ENABLE, 1);
	if (rd16(d->common, COMMON_Q_ENABLE) != 1)
		return "queue_enable did not read back 1";
	set_status(d, STATUS_RUNNING);
	if (status(d) != STATUS_RUNNING)
		return "status is not ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK after start";
	return NULL;
}

/* ---- the rings ------------------------------------------------------------- */

static void set_desc(struct virtq_desc *t, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	t[i] = (struct virtq_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

/* Publishes head in the next available slot (§2.7.13: ring entry, then
 * index; x86 keeps stores in order, the compiler must too). */
static void post(uint16_t queue_size, uint16_t head)
{
	uint16_t idx = avail_ring.idx;

	avail_ring.ring[idx % queue_size] = head;
	barrier();
	avail_ring.idx = idx + 1;
	barrier();
}

static void post_entropy_request(uint16_t queue_size)
{
	set_desc(desc_table, 0, (uintptr_t)request_buf[0], REQUEST_LEN, DESC_F_WRITE, 0);
	post(queue_size, 0);
}

static bool wait_status_bit(const struct vdev *d, uint8_t bit)
{
	uint64_t end = deadline(d, DEVICE_TIMEOUT_MS);

	while (!(status(d) & bit)) {
		if (rdtsc() > end)
			return false;
		cpu_relax();
	}
	return true;
}

static bool wait_used(const struct vdev *d, uint16_t idx)
{
	uint64_t end = deadline(d, DEVICE_TIMEOUT_MS);

	while (used_ring.idx != idx) {
		if (rdtsc() > end || (status(d) & STATUS_NEEDS_RESET))
			return false;
		cpu_relax();
	}
	barrier();
	return true;
}

static bool buffer_nonzero(const volatile uint8_t *b, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		if (b[i])
			return true;
	return false;
}

/* A 64-byte writable buffer completes: used index 1, element {head, 64},
 * random bytes in the buffer, the queue interrupt in ISR, no NEEDS_RESET.
 * Returns NULL or the failure. */
static const char *expect_request_filled(const struct vdev *d)
{
	static char why[96];
	uint8_t isr;

	if (!wait_used(d, 1)) {
		rt_snprintf(why, sizeof(why), "used index %u after %u ms, status 0x%x",
			    used_ring.idx, DEVICE_TIMEOUT_MS, status(d));
		return why;
	}
	if (used_ring.ring[0].id != 0 || used_ring.ring[0].len != REQUEST_LEN) {
		rt_snprintf(why, sizeof(why), "used element {id %u, len %u}, want {0, %u}",
			    used_ring.ring[0].id, used_ring.ring[0].len, REQUEST_LEN);
		return why;
	}
	if (!buffer_nonzero(request_buf[0], REQUEST_LEN))
		return "the buffer is still all zero";
	isr = read_isr(d);
	if (!(isr & ISR_QUEUE)) {
		rt_snprintf(why, sizeof(why), "ISR 0x%x without the queue bit", isr);
		return why;
	}
	if (status(d) != STATUS_RUNNING) {
		rt_snprintf(why, sizeof(why), "status 0x%x after a valid request", status(d));
		return why;
	}
	return NULL;
}

/* ---- the hostile requests ---------------------------------------------------- */

/* A case that starts the device correctly, then lays out one bad request;
 * corrupt() writes descriptors and the available ring. */
struct ring_case {
	const char *name;
	uint64_t extra_features;
	uint16_t queue_size;
	void (*corrupt)(uint16_t queue_size);
	uint64_t ram_needed; /* bytes of partition RAM the request points into */
};

/* Descriptor 0 names itself as next: the chain never ends. */
static void chain_loop(uint16_t qs)
{
	set_desc(desc_table, 0, (uintptr_t)request_buf[0], REQUEST_LEN, DESC_F_WRITE | DESC_F_NEXT,
		 0);
	post(qs, 0);
}

static void buffer_outside_ram(uint16_t qs)
{
	set_desc(desc_table, 0, FAR_OUTSIDE_RAM, REQUEST_LEN, DESC_F_WRITE, 0);
	post(qs, 0);
}

/* Every buffer lies in RAM; only their sum exceeds 32 bits (§2.7.8: the
 * used element's len is le32). */
static void length_overflow(uint16_t qs)
{
	for (uint16_t i = 0; i < OVERFLOW_SEGS; i++)
		set_desc(desc_table, i, 0, OVERFLOW_SEG_LEN,
			 DESC_F_WRITE | (i + 1 < OVERFLOW_SEGS ? DESC_F_NEXT : 0), i + 1);
	post(qs, 0);
}

/* Two maximal descriptors starting in RAM: 4 GiB - 1 each. */
static void length_huge_descriptors(uint16_t qs)
{
	set_desc(desc_table, 0, (uintptr_t)request_buf[0], 0xFFFFFFFFu, DESC_F_WRITE | DESC_F_NEXT,
		 1);
	set_desc(desc_table, 1, (uintptr_t)request_buf[1], 0xFFFFFFFFu, DESC_F_WRITE, 0);
	post(qs, 0);
}

/* §2.7.4.2: device-readable descriptors must precede writable ones. */
static void readable_after_writable(uint16_t qs)
{
	set_desc(desc_table, 0, (uintptr_t)request_buf[0], REQUEST_LEN, DESC_F_WRITE | DESC_F_NEXT,
		 1);
	set_desc(desc_table, 1, (uintptr_t)request_buf[1], REQUEST_LEN, 0, 0);
	post(qs, 0);
}

static void head_out_of_range(uint16_t qs)
{
	set_desc(desc_table, 0, (uintptr_t)request_buf[0], REQUEST_LEN, DESC_F_WRITE, 0);
	post(qs, qs);
}

/* The available index claims size + 1 new entries (§2.7.6: at most size
 * can be outstanding). */
static void avail_idx_too_far(uint16_t qs)
{
	for (uint16_t i = 0; i < qs; i++) {
		set_desc(desc_table, i, (uintptr_t)request_buf[0], REQUEST_LEN, DESC_F_WRITE, 0);
		avail_ring.ring[i] = i;
	}
	barrier();
	avail_ring.idx = qs + 1;
	barrier();
}

/* One valid writable entry in an indirect table of table_len bytes. */
static void indirect_request(uint16_t qs, uint32_t table_len)
{
	set_desc(indirect_table, 0, (uintptr_t)request_buf[0], REQUEST_LEN, DESC_F_WRITE, 0);
	set_desc(desc_table, 0, (uintptr_t)indirect_table, table_len, DESC_F_INDIRECT, 0);
	post(qs, 0);
}

static void indirect_one_entry(uint16_t qs)
{
	indirect_request(qs, DESC_SIZE);
}

/* §2.7.5.3.1: the table length is a multiple of 16. */
static void indirect_ragged(uint16_t qs)
{
	indirect_request(qs, DESC_SIZE + DESC_SIZE / 2);
}

static const struct ring_case ring_cases[] = {
	{ .name = "chain_loop", .queue_size = QUEUE_SMALL, .corrupt = chain_loop },
	{ .name = "buffer_outside_ram", .queue_size = QUEUE_SMALL, .corrupt = buffer_outside_ram },
	{ .name = "length_overflow",
	  .queue_size = QUEUE_MAX,
	  .corrupt = length_overflow,
	  .ram_needed = OVERFLOW_RAM_NEEDED },
	{ .name = "length_huge_descriptors",
	  .queue_size = QUEUE_SMALL,
	  .corrupt = length_huge_descriptors },
	{ .name = "readable_after_writable",
	  .queue_size = QUEUE_SMALL,
	  .corrupt = readable_after_writable },
	{ .name = "head_index_out_of_range", .queue_size = QUEUE_SMALL, .corrupt = head_out_of_range },
	{ .name = "avail_idx_too_far_ahead", .queue_size = QUEUE_SMALL, .corrupt = avail_idx_too_far },
	{ .name = "indirect_not_negotiated", .queue_size = QUEUE_SMALL, .corrupt = indirect_one_entry },
	{ .name = "indirect_malformed",
	  .extra_features = FEATURE(F_INDIRECT_DESC),
	  .queue_size = QUEUE_SMALL,
	  .corrupt = indirect_ragged },
};

/* What must follow a bad request: NEEDS_RESET, nothing completed, and the
 * configuration-change interrupt (§2.1.2: NEEDS_RESET after DRIVER_OK is
 * announced by one; ISR bit 1 without MSI-X, §4.1.4.5). */
static void run_ring_case(const struct vdev *d, const struct ring_case *c)
{
	struct setup s = default_setup(FEATURE(F_VERSION_1) | c->extra_features, c->queue_size);
	const char *why;
	uint8_t isr;

	/* The loader's page tables sit at the top of RAM, so CR3 bounds it. */
	if (rt_boot.cr3 < c->ram_needed) {
		rt_fail(c->name, "needs %llu MiB of RAM, the partition has less",
			(unsigned long long)(c->ram_needed >> 20));
		return;
	}
	why = start_device(d, &s);
	if (why) {
		rt_fail(c->name, "setup: %s", why);
		return;
	}
	c->corrupt(c->queue_size);
	notify_queue(d, RNG_QUEUE);
	if (!wait_status_bit(d, STATUS_NEEDS_RESET)) {
		rt_fail(c->name, "no DEVICE_NEEDS_RESET within %u ms (status 0x%x, used idx %u)",
			DEVICE_TIMEOUT_MS, status(d), used_ring.idx);
		return;
	}
	if (used_ring.idx != 0) {
		rt_fail(c->name, "the device completed %u request(s) before NEEDS_RESET",
			used_ring.idx);
		return;
	}
	isr = read_isr(d);
	rt_check(c->name, isr & ISR_CONFIG,
		 "NEEDS_RESET without a configuration interrupt (ISR 0x%x)", isr);
}

/* ---- hostile configuration ---------------------------------------------------- */

/* §2.7: the queue size must be a power of two. This transport answers 3
 * with NEEDS_RESET and keeps the size it had (virtio_pci.c). */
static void case_queue_size_not_pow2(const struct vdev *d)
{
	const char *name = "queue_size_not_pow2";
	const char *why;
	uint8_t st = negotiate(d, FEATURE(F_VERSION_1), &why);
	uint16_t before, after;

	if (why || !(st & STATUS_FEATURES_OK)) {
		rt_fail(name, "setup: %s", why ? why : "FEATURES_OK refused");
		return;
	}
	wr16(d->common, COMMON_Q_SELECT, RNG_QUEUE);
	before = rd16(d->common, COMMON_Q_SIZE);
	wr16(d->common, COMMON_Q_SIZE, 3);
	after = rd16(d->common, COMMON_Q_SIZE);
	st = status(d);
	if (!(st & STATUS_NEEDS_RESET)) {
		rt_fail(name, "status 0x%x after queue_size 3: no NEEDS_RESET", st);
		return;
	}
	rt_check(name, after == before && before != 3, "queue_size read back %u (was %u)", after,
		 before);
}

/* queue_enable with a ring the device cannot use (§2.7 alignment, RAM):
 * NEEDS_RESET and the queue stays disabled. */
static void expect_enable_refused(const struct vdev *d, const char *name, const struct setup *s)
{
	const char *why;
	uint8_t st = negotiate(d, s->features, &why);
	uint16_t enabled;

	if (why || !(st & STATUS_FEATURES_OK)) {
		rt_fail(name, "setup: %s", why ? why : "FEATURES_OK refused");
		return;
	}
	program_queue(d, s);
	wr16(d->common, COMMON_Q_ENABLE, 1);
	enabled = rd16(d->common, COMMON_Q_ENABLE);
	st = status(d);
	if (!(st & STATUS_NEEDS_RESET)) {
		rt_fail(name, "status 0x%x after queue_enable: no NEEDS_RESET", st);
		return;
	}
	rt_check(name, enabled == 0, "queue_enable reads %u after a refused enable", enabled);
}

static void case_ring_outside_ram(const struct vdev *d)
{
	struct setup s = default_setup(FEATURE(F_VERSION_1), QUEUE_SMALL);

	s.desc = FAR_OUTSIDE_RAM;
	expect_enable_refused(d, "ring_outside_ram", &s);
}

static void case_desc_misaligned(const struct vdev *d)
{
	struct setup s = default_setup(FEATURE(F_VERSION_1), QUEUE_SMALL);

	s.desc += DESC_SIZE / 2; /* §2.7: the table is 16-byte aligned */
	expect_enable_refused(d, "desc_table_misaligned", &s);
}

/* §3.1.1 step 5-6, §2.2.1: a feature the device did not offer makes it
 * leave FEATURES_OK clear; that is an answer, not a device error. */
static void case_feature_not_offered(const struct vdev *d)
{
	const char *name = "feature_not_offered";
	uint64_t offered = device_features(d);
	unsigned int bit = 0;
	const char *why;
	uint8_t st;

	while (bit < 64 && (offered & FEATURE(bit)))
		bit++;
	if (bit == 64 || !(offered & FEATURE(F_VERSION_1))) {
		rt_fail(name, "device features 0x%llx: nothing to try", (unsigned long long)offered);
		return;
	}
	st = negotiate(d, FEATURE(F_VERSION_1) | FEATURE(bit), &why);
	if (why) {
		rt_fail(name, "setup: %s", why);
		return;
	}
	rt_check(name, st == (STATUS_ACKNOWLEDGE | STATUS_DRIVER),
		 "accepting unoffered bit %u: status 0x%x, want 0x%x (FEATURES_OK clear, no NEEDS_RESET)",
		 bit, st, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
}

/* A notification for queue 1, which does not exist (notify_len covers one
 * queue): ignored, and the device keeps working. */
static void case_notify_nonexistent(const struct vdev *d)
{
	const char *name = "notify_nonexistent_queue";
	struct setup s = default_setup(FEATURE(F_VERSION_1), QUEUE_SMALL);
	const char *why = start_device(d, &s);
	uint32_t missing = d->notify_len / d->notify_mult;

	if (why) {
		rt_fail(name, "setup: %s", why);
		return;
	}
	notify_at(d, missing, (uint16_t)missing);
	if (status(d) != STATUS_RUNNING) {
		rt_fail(name, "status 0x%x after notifying queue %u", status(d), missing);
		return;
	}
	post_entropy_request(QUEUE_SMALL);
	notify_queue(d, RNG_QUEUE);
	why = expect_request_filled(d);
	rt_check(name, !why, "after notifying queue %u: %s", missing, why);
}

/* ---- valid requests ------------------------------------------------------------ */

static void case_valid_request(const struct vdev *d, const char *name)
{
	struct setup s = default_setup(FEATURE(F_VERSION_1), QUEUE_SMALL);
	const char *why = start_device(d, &s);

	if (!why) {
		post_entropy_request(QUEUE_SMALL);
		notify_queue(d, RNG_QUEUE);
		why = expect_request_filled(d);
	}
	rt_check(name, !why, "%s", why);
}

/* With INDIRECT_DESC negotiated a proper one-entry table works: the
 * malformed-table case fails for its table, not for being indirect. */
static void case_indirect_valid(const struct vdev *d)
{
	const char *name = "indirect_valid";
	struct setup s = default_setup(FEATURE(F_VERSION_1) | FEATURE(F_INDIRECT_DESC), QUEUE_SMALL);
	const char *why;

	if (!(device_features(d) & FEATURE(F_INDIRECT_DESC))) {
		rt_fail(name, "the device does not offer VIRTIO_F_INDIRECT_DESC");
		return;
	}
	why = start_device(d, &s);
	if (!why) {
		indirect_one_entry(QUEUE_SMALL);
		notify_queue(d, RNG_QUEUE);
		why = expect_request_filled(d);
	}
	rt_check(name, !why, "%s", why);
}

/* ---- discovery ------------------------------------------------------------------- */

/* Finds the nth function with this device ID and its virtio structures;
 * false after a FAIL line for test `name`. */
static bool discover_device(struct vdev *d, const char *name, uint16_t pci_id, unsigned int nth)
{
	const char *why;

	if (!find_virtio_slot(pci_id, nth, &d->slot)) {
		rt_fail(name, "no function %u of %04x:%04x on bus 0", nth, VIRTIO_VENDOR_ID, pci_id);
		return false;
	}
	if (!(pci_read16(d->slot, PCI_COMMAND) & PCI_COMMAND_MEMORY))
		why = "memory decoding is off";
	else
		why = find_virtio_caps(d);
	if (why) {
		rt_fail(name, "00:%02x.0: %s", d->slot, why);
		return false;
	}
	rt_printf("virtio %04x at 00:%02x.0: common %p isr %p notify %p (multiplier %u)\n", pci_id,
		  d->slot, (void *)d->common, (void *)d->isr, (void *)d->notify, d->notify_mult);
	return true;
}

static bool discover(struct vdev *d)
{
	if (!discover_device(d, "discover", VIRTIO_RNG_PCI_ID, 0))
		return false;
	rt_pass("discover");
	return true;
}

void guest_main(void)
{
	struct vdev d = { 0 };

	/* On bare QEMU (guests-smoke) there is no virtio-rng of ours to test. */
	if (!rt_hv_present()) {
		rt_puts("virtio-hostile: Bulkhead not detected; no cases run\n");
		return;
	}
	if (!discover(&d))
		return;
	d.tsc_per_ms = calibrate_tsc();
	rt_printf("TSC: %llu ticks per ms; the device gets %u ms per case\n",
		  (unsigned long long)d.tsc_per_ms, DEVICE_TIMEOUT_MS);
	case_valid_request(&d, "baseline");
	for (unsigned int i = 0; i < ARRAY_SIZE(ring_cases); i++)
		run_ring_case(&d, &ring_cases[i]);
	case_indirect_valid(&d);
	case_queue_size_not_pow2(&d);
	case_ring_outside_ram(&d);
	case_desc_misaligned(&d);
	case_feature_not_offered(&d);
	case_notify_nonexistent(&d);
	case_valid_request(&d, "recovers");
	device_reset(&d);
}
