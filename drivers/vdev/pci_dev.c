/* SPDX-License-Identifier: BSD-2-Clause */
/* Generic PCI type-0 configuration space. Section references are to the
 * PCI Local Bus Specification 3.0, chapter 6 ("Configuration Space"). */
#include "drivers/vdev/pci_dev.h"

#include "core/lib/string.h"
#include "core/log.h"

#define PCI_BAR_END (PCI_BASE_ADDRESS_0 + 4 * PCI_NR_BARS)
#define PCI_COMMAND_END (PCI_COMMAND + 2)
/* At most this many capabilities fit in [0x40, 0x100), 4 bytes each. */
#define PCI_MAX_CAPS ((PCI_CFG_SPACE_SIZE - PCI_HEADER_END) / PCI_CAP_ALIGN)
#define PCI_CAP_PTR_MASK 0xFCu /* §6.7: the low two bits are reserved */

enum pci_dev_warning {
	PCI_WARN_ACCESS = 1u << 0,
};

static const char *owner_of(const struct pci_dev *d)
{
	return d->owner ? d->owner : "?";
}

static const char *name_of(const struct pci_dev *d)
{
	return d->name ? d->name : "pci";
}

static bool valid_range(unsigned int off, unsigned int size)
{
	return (size == 1 || size == 2 || size == 4) && off < PCI_CFG_SPACE_SIZE &&
	       size <= PCI_CFG_SPACE_SIZE - off;
}

static bool overlaps(unsigned int a, unsigned int alen, unsigned int b, unsigned int blen)
{
	return a < b + blen && b < a + alen;
}

static uint32_t load(const uint8_t *bytes, unsigned int off, unsigned int size)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)bytes[off + i] << (8 * i);
	return v;
}

static void put(uint8_t *bytes, unsigned int off, unsigned int size, uint32_t v)
{
	for (unsigned int i = 0; i < size; i++)
		bytes[off + i] = (uint8_t)(v >> (8 * i));
}

/* A builder's value: what the guest sees now and after a reset. */
static void build(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t v)
{
	put(d->cfg, off, size, v);
	put(d->initial, off, size, v);
}

uint16_t pci_dev_command(const struct pci_dev *d)
{
	return (uint16_t)load(d->cfg, PCI_COMMAND, 2);
}

static unsigned int bar_offset(unsigned int bar)
{
	return PCI_BASE_ADDRESS_0 + 4 * bar;
}

struct pci_bar_mapping pci_dev_bar_mapping(const struct pci_dev *d, unsigned int bar)
{
	struct pci_bar_mapping m = { 0 };
	uint16_t cmd = pci_dev_command(d);
	uint32_t lo;

	if (bar >= PCI_NR_BARS)
		return m;
	lo = load(d->cfg, bar_offset(bar), 4);
	switch (d->bars[bar].type) {
	case PCI_BAR_IO:
		m.addr = lo & ~PCI_BAR_IO_FLAGS_MASK;
		m.decode = cmd & PCI_COMMAND_IO;
		break;
	case PCI_BAR_MEM32:
		m.addr = lo & ~PCI_BAR_MEM_FLAGS_MASK;
		m.decode = cmd & PCI_COMMAND_MEMORY;
		break;
	case PCI_BAR_MEM64:
		m.addr = (lo & ~PCI_BAR_MEM_FLAGS_MASK) |
			 (uint64_t)load(d->cfg, bar_offset(bar + 1), 4) << 32;
		m.decode = cmd & PCI_COMMAND_MEMORY;
		break;
	default:
		break;
	}
	return m;
}

/* Reports every BAR whose address or decode enable changed since the last
 * report. The new state is recorded first, so a callback that looks at the
 * device sees it consistent. */
static void update_bars(struct pci_dev *d)
{
	for (unsigned int bar = 0; bar < PCI_NR_BARS; bar++) {
		struct pci_bar_mapping now = pci_dev_bar_mapping(d, bar);
		struct pci_bar_mapping old = d->mapped[bar];

		if (now.addr == old.addr && now.decode == old.decode)
			continue;
		d->mapped[bar] = now;
		if (d->bar_changed)
			d->bar_changed(d->bar_ctx, d, bar, old, now);
	}
}

/* Status bit 3 shows the device's request; the pin is driven only while
 * the command register does not disable INTx (§6.2.2 bit 10, §6.2.3 bit 3). */
static void update_intx(struct pci_dev *d)
{
	bool out = d->intx_level && !(pci_dev_command(d) & PCI_COMMAND_INTX_DISABLE);

	if (d->intx_level)
		d->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		d->cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	if (out == d->intx_output)
		return;
	d->intx_output = out;
	irq_set(&d->intx, d->intx_line, out);
}

uint32_t pci_dev_store_read(const struct pci_dev *d, unsigned int off, unsigned int size)
{
	if (!valid_range(off, size))
		return UINT32_MAX;
	return load(d->cfg, off, size);
}

void pci_dev_store_write(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t val)
{
	if (!valid_range(off, size))
		return;
	for (unsigned int i = 0; i < size; i++) {
		unsigned int o = off + i;
		uint8_t v = (uint8_t)(val >> (8 * i));
		uint8_t kept = d->cfg[o] & (uint8_t)~d->wmask[o];

		d->cfg[o] = (uint8_t)((kept | (v & d->wmask[o])) & ~(v & d->w1cmask[o]));
	}
	if (overlaps(off, size, PCI_COMMAND, PCI_COMMAND_END - PCI_COMMAND))
		update_intx(d);
	if (overlaps(off, size, PCI_COMMAND, PCI_COMMAND_END - PCI_COMMAND) ||
	    overlaps(off, size, PCI_BASE_ADDRESS_0, PCI_BAR_END - PCI_BASE_ADDRESS_0))
		update_bars(d);
}

static const struct pci_cfg_hook *hook_covering(const struct pci_dev *d, unsigned int off,
						unsigned int size, bool *partial)
{
	*partial = false;
	for (unsigned int i = 0; i < d->nr_hooks; i++) {
		const struct pci_cfg_hook *h = &d->hooks[i];
		if (!overlaps(off, size, h->start, h->len))
			continue;
		if (off >= h->start && off + size <= h->start + h->len)
			return h;
		*partial = true;
		return NULL;
	}
	return NULL;
}

static bool check_access(struct pci_dev *d, unsigned int off, unsigned int size, bool write)
{
	if (valid_range(off, size))
		return true;
	if (!(d->warned & PCI_WARN_ACCESS)) {
		d->warned |= PCI_WARN_ACCESS;
		pr_warn("[%s] pci %s: %u-byte config %s at %#x is invalid; ignored", owner_of(d),
			name_of(d), size, write ? "write" : "read", off);
	}
	return false;
}

void pci_dev_set_access_lock(struct pci_dev *d, void (*fn)(void *ctx, bool take), void *ctx)
{
	d->access_lock = fn;
	d->access_lock_ctx = ctx;
}

uint32_t pci_dev_config_read(struct pci_dev *d, unsigned int off, unsigned int size)
{
	const struct pci_cfg_hook *h;
	bool partial;
	uint32_t v = 0;

	if (!check_access(d, off, size, false))
		return UINT32_MAX;
	h = hook_covering(d, off, size, &partial);
	if (h)
		return h->read ? h->read(h->ctx, d, off, size) : pci_dev_store_read(d, off, size);
	if (!partial)
		return pci_dev_store_read(d, off, size);
	for (unsigned int i = 0; i < size; i++)
		v |= (pci_dev_config_read(d, off + i, 1) & 0xFFu) << (8 * i);
	return v;
}

void pci_dev_config_write(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t val)
{
	const struct pci_cfg_hook *h;
	bool partial;

	if (!check_access(d, off, size, true))
		return;
	h = hook_covering(d, off, size, &partial);
	if (h) {
		if (h->write)
			h->write(h->ctx, d, off, size, val);
		else
			pci_dev_store_write(d, off, size, val);
		return;
	}
	if (!partial) {
		pci_dev_store_write(d, off, size, val);
		return;
	}
	for (unsigned int i = 0; i < size; i++)
		pci_dev_config_write(d, off + i, 1, (val >> (8 * i)) & 0xFFu);
}

static bool is_power_of_two(uint64_t x)
{
	return x && !(x & (x - 1));
}

static bool bar_args_valid(const struct pci_dev *d, unsigned int bar, enum pci_bar_type type,
			   uint64_t size, bool prefetchable)
{
	if (bar >= PCI_NR_BARS || !is_power_of_two(size) || d->bars[bar].type != PCI_BAR_NONE)
		return false;
	switch (type) {
	case PCI_BAR_IO:
		return !prefetchable && size >= PCI_BAR_IO_MIN_SIZE && size <= PCI_BAR_IO_MAX_SIZE;
	case PCI_BAR_MEM32:
		return size >= PCI_BAR_MEM_MIN_SIZE && size <= PCI_BAR_MEM32_MAX_SIZE;
	case PCI_BAR_MEM64:
		return bar + 1 < PCI_NR_BARS && d->bars[bar + 1].type == PCI_BAR_NONE &&
		       size >= PCI_BAR_MEM_MIN_SIZE && size <= BIT(63);
	default:
		return false;
	}
}

/* §6.2.5.1: the address bits below the size are hardwired to zero, so
 * writing all ones and reading back yields the size; the flag bits are
 * read-only. */
bool pci_dev_add_bar(struct pci_dev *d, unsigned int bar, enum pci_bar_type type, uint64_t size,
		     bool prefetchable)
{
	uint64_t addr_mask = ~(size - 1);
	uint32_t flags;

	if (!bar_args_valid(d, bar, type, size, prefetchable)) {
		pr_err("[%s] pci %s: BAR %u: type %d size %#llx%s is not a valid BAR", owner_of(d),
		       name_of(d), bar, (int)type, (unsigned long long)size,
		       prefetchable ? " prefetchable" : "");
		return false;
	}
	d->bars[bar] = (struct pci_bar){ .type = type, .size = size, .prefetchable = prefetchable };
	if (type == PCI_BAR_IO) {
		build(d, bar_offset(bar), 4, PCI_BAR_SPACE_IO);
		pci_dev_set_wmask(d, bar_offset(bar), 4,
				  (uint32_t)(addr_mask & (PCI_BAR_IO_ADDR_LIMIT - 1)) &
						  ~PCI_BAR_IO_FLAGS_MASK);
		return true;
	}
	flags = prefetchable ? PCI_BAR_MEM_PREFETCH : 0;
	if (type == PCI_BAR_MEM64)
		flags |= PCI_BAR_MEM_TYPE_64;
	build(d, bar_offset(bar), 4, flags);
	pci_dev_set_wmask(d, bar_offset(bar), 4, (uint32_t)addr_mask & ~PCI_BAR_MEM_FLAGS_MASK);
	if (type == PCI_BAR_MEM64) {
		d->bars[bar + 1] = (struct pci_bar){ .type = PCI_BAR_MEM64_HIGH };
		build(d, bar_offset(bar + 1), 4, 0);
		pci_dev_set_wmask(d, bar_offset(bar + 1), 4, (uint32_t)(addr_mask >> 32));
	}
	return true;
}

void pci_dev_set_bar_callback(struct pci_dev *d, pci_bar_changed_fn fn, void *ctx)
{
	d->bar_changed = fn;
	d->bar_ctx = ctx;
}

bool pci_dev_set_intx(struct pci_dev *d, uint8_t pin, const struct irq_sink *sink, unsigned int line)
{
	if (pin < PCI_INTERRUPT_PIN_INTA || pin > PCI_INTERRUPT_PIN_INTD || !sink) {
		pr_err("[%s] pci %s: interrupt pin %u is not INTA-INTD", owner_of(d), name_of(d),
		       pin);
		return false;
	}
	d->intx = *sink;
	d->intx_line = line;
	build(d, PCI_INTERRUPT_PIN, 1, pin);
	build(d, PCI_INTERRUPT_LINE, 1, (uint8_t)line);
	return true;
}

void pci_dev_set_intx_level(struct pci_dev *d, bool level)
{
	d->intx_level = level;
	update_intx(d);
}

unsigned int pci_dev_add_capability(struct pci_dev *d, uint8_t id, const void *body,
				    unsigned int body_len)
{
	unsigned int start = d->cap_next_free;
	unsigned int end;

	if (!start || body_len > PCI_CFG_SPACE_SIZE - PCI_CAP_HEADER_SIZE - start ||
	    (body_len && !body)) {
		pr_err("[%s] pci %s: capability %#x with %u bytes does not fit", owner_of(d),
		       name_of(d), id, body_len);
		return 0;
	}
	end = start + PCI_CAP_HEADER_SIZE + body_len;
	build(d, start + PCI_CAP_ID, 1, id);
	build(d, start + PCI_CAP_NEXT, 1, 0);
	for (unsigned int i = 0; i < body_len; i++)
		build(d, start + PCI_CAP_HEADER_SIZE + i, 1, ((const uint8_t *)body)[i]);

	if (d->cap_last) {
		build(d, d->cap_last + PCI_CAP_NEXT, 1, start);
	} else {
		build(d, PCI_CAPABILITY_LIST, 1, start);
		build(d, PCI_STATUS, 2, load(d->cfg, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
	}
	d->cap_last = (uint8_t)start;
	end = ALIGN_UP(end, PCI_CAP_ALIGN);
	d->cap_next_free = end < PCI_CFG_SPACE_SIZE ? (uint8_t)end : 0;
	return start;
}

unsigned int pci_dev_find_capability(const struct pci_dev *d, uint8_t id, unsigned int after)
{
	unsigned int ptr;

	if (!(d->cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return 0;
	if (after >= PCI_CFG_SPACE_SIZE - 1)
		return 0;
	ptr = after ? d->cfg[after + PCI_CAP_NEXT] : d->cfg[PCI_CAPABILITY_LIST];
	for (unsigned int n = 0; n < PCI_MAX_CAPS; n++) {
		ptr &= PCI_CAP_PTR_MASK;
		if (ptr < PCI_HEADER_END)
			return 0;
		if (d->cfg[ptr + PCI_CAP_ID] == id)
			return ptr;
		ptr = d->cfg[ptr + PCI_CAP_NEXT];
	}
	return 0;
}

bool pci_dev_set_wmask(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t mask)
{
	if (!valid_range(off, size))
		return false;
	put(d->wmask, off, size, mask);
	return true;
}

bool pci_dev_set_w1cmask(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t mask)
{
	if (!valid_range(off, size))
		return false;
	put(d->w1cmask, off, size, mask);
	return true;
}

bool pci_dev_set_config(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t val)
{
	if (!valid_range(off, size))
		return false;
	put(d->cfg, off, size, val);
	return true;
}

bool pci_dev_add_cfg_hook(struct pci_dev *d, unsigned int start, unsigned int len,
			  pci_cfg_read_fn read, pci_cfg_write_fn write, void *ctx)
{
	if (d->nr_hooks >= PCI_MAX_CFG_HOOKS || len == 0 || start >= PCI_CFG_SPACE_SIZE ||
	    len > PCI_CFG_SPACE_SIZE - start)
		return false;
	for (unsigned int i = 0; i < d->nr_hooks; i++)
		if (overlaps(start, len, d->hooks[i].start, d->hooks[i].len))
			return false;
	d->hooks[d->nr_hooks++] = (struct pci_cfg_hook){ start, len, read, write, ctx };
	return true;
}

void pci_dev_reset(struct pci_dev *d)
{
	bh_memcpy(d->cfg, d->initial, sizeof(d->cfg));
	update_intx(d);
	update_bars(d);
}

void pci_dev_init(struct pci_dev *d, const char *owner, const char *name,
		  const struct pci_dev_info *info)
{
	bh_memset(d, 0, sizeof(*d));
	d->owner = owner;
	d->name = name;
	d->cap_next_free = PCI_HEADER_END;

	build(d, PCI_VENDOR_ID, 2, info->vendor_id);
	build(d, PCI_DEVICE_ID, 2, info->device_id);
	build(d, PCI_REVISION_ID, 1, info->revision);
	build(d, PCI_CLASS_PROG, 1, info->class_code & 0xFF);
	build(d, PCI_CLASS_DEVICE, 2, (info->class_code >> 8) & 0xFFFF);
	build(d, PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_NORMAL);
	build(d, PCI_SUBSYSTEM_VENDOR_ID, 2, info->subsystem_vendor_id);
	build(d, PCI_SUBSYSTEM_ID, 2, info->subsystem_id);

	pci_dev_set_wmask(d, PCI_COMMAND, 2, PCI_COMMAND_WRITABLE);
	pci_dev_set_w1cmask(d, PCI_STATUS, 2, PCI_STATUS_W1C);
	pci_dev_set_wmask(d, PCI_CACHE_LINE_SIZE, 1, 0xFF);
	pci_dev_set_wmask(d, PCI_LATENCY_TIMER, 1, 0xFF);
	pci_dev_set_wmask(d, PCI_INTERRUPT_LINE, 1, 0xFF);
}
