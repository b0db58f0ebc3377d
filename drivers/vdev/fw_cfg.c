/* SPDX-License-Identifier: BSD-2-Clause */
/* QEMU's fw_cfg, traditional interface (see fw_cfg.h). */
#include "core/lib/string.h"
#include "drivers/vdev/fw_cfg.h"

#define SELECTOR_WIDTH 2 /* fw_cfg.rst: a 16-bit selector write */
#define DATA_WIDTH 1     /* x86: the data register is 8 bits wide */

static bool add_item(struct fw_cfg *f, uint16_t key, const void *data, size_t len)
{
	if (f->nr_items == FW_CFG_MAX_ITEMS || len > FW_CFG_BLOB_MAX - f->used)
		return false;
	f->item[f->nr_items++] = (struct fw_cfg_item){ key, (uint16_t)f->used, (uint16_t)len };
	bh_memcpy(f->blob + f->used, data, len);
	f->used += (uint32_t)len;
	return true;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The directory is built last, from the file items already added (their
 * keys run from FW_CFG_FILE_FIRST in the order given). */
static bool add_directory(struct fw_cfg *f, const char *const *names)
{
	uint8_t dir[4 + FW_CFG_MAX_FILES * FW_CFG_DIR_ENTRY_SIZE];
	bh_memset(dir, 0, sizeof(dir));
	put_be32(dir, f->nr_files);
	for (unsigned int i = 0; i < f->nr_files; i++) {
		uint8_t *e = dir + 4 + i * FW_CFG_DIR_ENTRY_SIZE;
		const struct fw_cfg_item *it = NULL;
		for (unsigned int k = 0; k < f->nr_items; k++)
			if (f->item[k].key == FW_CFG_FILE_FIRST + i)
				it = &f->item[k];
		if (!it)
			return false;
		put_be32(e, it->len);
		put_be16(e + 4, it->key);
		bh_strlcpy((char *)e + 8, names[i], FW_CFG_FILE_NAME_MAX);
	}
	return add_item(f, FW_CFG_FILE_DIR, dir, 4 + f->nr_files * FW_CFG_DIR_ENTRY_SIZE);
}

static bool add_e820(struct fw_cfg *f, const struct fw_cfg_config *cfg)
{
	uint8_t buf[FW_CFG_E820_MAX * FW_CFG_E820_ENTRY_SIZE];
	unsigned int n = cfg->e820_entries;
	if (n > FW_CFG_E820_MAX)
		return false;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *e = buf + i * FW_CFG_E820_ENTRY_SIZE;
		bh_memcpy(e, &cfg->e820[i].addr, 8);
		bh_memcpy(e + 8, &cfg->e820[i].len, 8);
		bh_memcpy(e + 16, &cfg->e820[i].type, 4);
	}
	return add_item(f, (uint16_t)(FW_CFG_FILE_FIRST + f->nr_files++), buf,
			n * FW_CFG_E820_ENTRY_SIZE);
}

bool fw_cfg_init(struct fw_cfg *f, const struct fw_cfg_config *cfg)
{
	static const char *const names[] = { "etc/e820" };
	uint32_t id = FW_CFG_ID_TRADITIONAL;

	bh_memset(f, 0, sizeof(*f));
	return add_item(f, FW_CFG_SIGNATURE, FW_CFG_SIGNATURE_BYTES, 4) &&
	       add_item(f, FW_CFG_ID, &id, sizeof(id)) &&
	       add_item(f, FW_CFG_RAM_SIZE, &cfg->ram_size, sizeof(cfg->ram_size)) &&
	       add_item(f, FW_CFG_NB_CPUS, &cfg->nr_cpus, sizeof(cfg->nr_cpus)) &&
	       add_item(f, FW_CFG_MAX_CPUS, &cfg->max_cpus, sizeof(cfg->max_cpus)) &&
	       add_e820(f, cfg) && add_directory(f, names);
}

void fw_cfg_select(struct fw_cfg *f, uint16_t key)
{
	f->cur = NULL;
	f->pos = 0;
	/* Arch-local keys (bit 15): none here. Bit 14 only marks a write
	 * channel (fw_cfg.rst): the item is the same. */
	if (key & FW_CFG_ARCH_LOCAL)
		return;
	key &= FW_CFG_ENTRY_MASK;
	for (unsigned int i = 0; i < f->nr_items; i++)
		if (f->item[i].key == key)
			f->cur = &f->item[i];
}

uint8_t fw_cfg_read_byte(struct fw_cfg *f)
{
	if (!f->cur || f->pos >= f->cur->len)
		return 0;
	return f->blob[f->cur->off + f->pos++];
}

/* QEMU's x86 port pair: a 16-bit write at 0x510 selects; an 8-bit read at
 * either port returns data; an 8-bit write is an (ignored) data write.
 * Other widths are not valid accesses: reads give 0, writes are dropped. */
static int fw_cfg_io_read(void *dev, uint64_t off, unsigned int size, uint64_t *val)
{
	(void)off;
	*val = size == DATA_WIDTH ? fw_cfg_read_byte(dev) : 0;
	return 0;
}

static int fw_cfg_io_write(void *dev, uint64_t off, unsigned int size, uint64_t val)
{
	if (size == SELECTOR_WIDTH && off == 0)
		fw_cfg_select(dev, (uint16_t)val);
	return 0;
}

bool fw_cfg_attach(struct fw_cfg *f, struct iobus *bus)
{
	return iobus_add_pio(bus, FW_CFG_PORT_SEL, FW_CFG_NR_PORTS, fw_cfg_io_read, fw_cfg_io_write,
			     f, "fw_cfg");
}
