/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/iobus.h"

static bool overlaps(const struct io_range *r, unsigned int n, uint64_t base, uint64_t len)
{
	for (unsigned int i = 0; i < n; i++)
		if (base < r[i].base + r[i].len && r[i].base < base + len)
			return true;
	return false;
}

static bool add(struct io_range *tab, unsigned int *n, uint64_t base, uint64_t len, io_read_fn r,
		io_write_fn w, void *dev, const char *name)
{
	if (*n >= IOBUS_MAX_RANGES || len == 0 || base + len < base)
		return false;
	if (overlaps(tab, *n, base, len))
		return false;
	tab[(*n)++] = (struct io_range){ base, len, r, w, dev, name };
	return true;
}

bool iobus_add_pio(struct iobus *b, uint16_t base, uint16_t len, io_read_fn r, io_write_fn w,
		   void *dev, const char *name)
{
	if ((uint32_t)base + len > 0x10000)
		return false;
	return add(b->pio, &b->nr_pio, base, len, r, w, dev, name);
}

bool iobus_add_mmio(struct iobus *b, uint64_t base, uint64_t len, io_read_fn r, io_write_fn w,
		    void *dev, const char *name)
{
	return add(b->mmio, &b->nr_mmio, base, len, r, w, dev, name);
}

bool iobus_move_mmio(struct iobus *b, void *dev, uint64_t old_base, uint64_t new_base)
{
	for (unsigned int i = 0; i < b->nr_mmio; i++) {
		struct io_range *r = &b->mmio[i];
		if (r->dev != dev || r->base != old_base)
			continue;
		uint64_t saved = r->base;
		r->base = UINT64_MAX; /* exclude itself from the overlap check */
		if (new_base + r->len < new_base || overlaps(b->mmio, b->nr_mmio, new_base, r->len)) {
			r->base = saved;
			return false;
		}
		r->base = new_base;
		return true;
	}
	return false;
}

static const struct io_range *find(const struct io_range *tab, unsigned int n, uint64_t addr)
{
	for (unsigned int i = 0; i < n; i++)
		if (addr >= tab[i].base && addr - tab[i].base < tab[i].len)
			return &tab[i];
	return NULL;
}

const struct io_range *iobus_find_pio(const struct iobus *b, uint16_t port)
{
	return find(b->pio, b->nr_pio, port);
}

const struct io_range *iobus_find_mmio(const struct iobus *b, uint64_t gpa)
{
	return find(b->mmio, b->nr_mmio, gpa);
}

static enum iobus_result access(const struct io_range *r, uint64_t addr, unsigned int size,
				bool write, uint64_t *val)
{
	int rc;
	if (!r)
		return IOBUS_UNCLAIMED;
	if (write)
		rc = r->write ? r->write(r->dev, addr - r->base, size, *val) : 0;
	else if (r->read)
		rc = r->read(r->dev, addr - r->base, size, val);
	else {
		*val = size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
		rc = 0;
	}
	return rc < 0 ? IOBUS_DEVICE_ERROR : IOBUS_OK;
}

/* The range at port, through the cache (iobus.h). */
static const struct io_range *find_pio_cached(struct iobus *b, uint16_t port)
{
	const struct io_range *r = iobus_pio_cached(b, port);
	if (r)
		return r;
	r = iobus_find_pio(b, port);
	if (r)
		b->pio_cache[iobus_pio_slot(port)] = (uint8_t)(r - b->pio + 1);
	return r;
}

enum iobus_result iobus_pio(struct iobus *b, uint16_t port, unsigned int size, bool write,
			    uint64_t *val)
{
	enum iobus_result res = access(find_pio_cached(b, port), port, size, write, val);
	if (res == IOBUS_UNCLAIMED && !write)
		*val = (1ULL << (size * 8)) - 1; /* open bus reads as all ones */
	return res;
}

enum iobus_result iobus_mmio(struct iobus *b, uint64_t gpa, unsigned int size, bool write,
			     uint64_t *val)
{
	return access(iobus_find_mmio(b, gpa), gpa, size, write, val);
}
