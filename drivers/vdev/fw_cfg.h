/* SPDX-License-Identifier: BSD-2-Clause */
/* QEMU's firmware configuration device (fw_cfg), traditional port-I/O
 * interface only, as QEMU's docs/specs/fw_cfg.rst describes it for x86:
 *
 *   port 0x510  selector: a 16-bit write selects an item and rewinds it
 *   port 0x511  data: each 8-bit read returns the next byte of the item
 *               (0 past its end or for an unknown item); writes ignored
 *
 * Items: the signature "QEMU" (0x0000), the ID (0x0001: bit 0, traditional
 * interface; no DMA), RAM size (0x0003, 64-bit), NB_CPUS (0x0005, 16-bit),
 * MAX_CPUS (0x000f, 16-bit), the file directory (0x0019) and the files
 * from 0x0020 on (etc/e820 here). Numbers are little-endian except in the
 * file directory, which is big-endian (fw_cfg.rst, "File Directory").
 * Pure state machine: the platform builds it from the partition's shape. */
#ifndef BULKHEAD_DRIVERS_VDEV_FW_CFG_H
#define BULKHEAD_DRIVERS_VDEV_FW_CFG_H

#include "core/iobus.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_NR_PORTS 2

/* Selector keys (fw_cfg.rst, "Selector Register"). */
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID 0x0001
#define FW_CFG_RAM_SIZE 0x0003
#define FW_CFG_NB_CPUS 0x0005
#define FW_CFG_MAX_CPUS 0x000f
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_FILE_FIRST 0x0020

#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL 0x8000
#define FW_CFG_ENTRY_MASK 0x3fff
#define FW_CFG_ID_TRADITIONAL (1u << 0)
#define FW_CFG_SIGNATURE_BYTES "QEMU"
#define FW_CFG_FILE_NAME_MAX 56   /* bytes, NUL included */
#define FW_CFG_DIR_ENTRY_SIZE 64  /* size(4) select(2) reserved(2) name(56) */
#define FW_CFG_E820_ENTRY_SIZE 20 /* address(8) length(8) type(4), packed */

#define FW_CFG_MAX_ITEMS 12
#define FW_CFG_MAX_FILES 4
#define FW_CFG_BLOB_MAX 1024 /* all item bytes together */
#define FW_CFG_E820_MAX 8

struct fw_cfg_item {
	uint16_t key;
	uint16_t off; /* into blob */
	uint16_t len;
};

struct fw_cfg {
	uint8_t blob[FW_CFG_BLOB_MAX];
	uint32_t used;
	struct fw_cfg_item item[FW_CFG_MAX_ITEMS];
	unsigned int nr_items;
	unsigned int nr_files;
	const struct fw_cfg_item *cur; /* selected item, NULL if none/unknown */
	uint32_t pos;                  /* next byte of it */
};

struct fw_cfg_e820 {
	uint64_t addr, len;
	uint32_t type; /* 1 RAM, 2 reserved (ACPI 6.x Table 15-374) */
};

struct fw_cfg_config {
	uint64_t ram_size;
	uint16_t nr_cpus, max_cpus;
	const struct fw_cfg_e820 *e820;
	unsigned int e820_entries;
};

/* The standard items and etc/e820. False if they do not fit (a caller bug). */
bool fw_cfg_init(struct fw_cfg *f, const struct fw_cfg_config *cfg);
/* Select key and rewind (what a 16-bit write to the selector does). */
void fw_cfg_select(struct fw_cfg *f, uint16_t key);
/* The next data byte (0 past the end or for an unknown key). */
uint8_t fw_cfg_read_byte(struct fw_cfg *f);
bool fw_cfg_attach(struct fw_cfg *f, struct iobus *bus);

#endif
