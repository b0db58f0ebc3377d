/* SPDX-License-Identifier: BSD-2-Clause */
/* A PCI function's type-0 configuration space (PCI Local Bus 3.0 §6.1,
 * 256 bytes), shared by every emulated PCI device: the host bridge,
 * virtio-pci, ...
 *
 * The space is a byte store with a write mask (bits the guest may change)
 * and a write-1-to-clear mask per byte. On top of it:
 *  - identification fields are read-only (§6.2.1);
 *  - command/status (§6.2.2): the command register's implemented bits are
 *    writable, status error bits are write-1-to-clear;
 *  - base address registers (§6.2.5.1): 32-bit and 64-bit memory BARs and
 *    I/O BARs whose low address bits are read-only zero, so writing all ones
 *    reads back the size mask; whenever a BAR's address or its decode enable
 *    (command memory/IO space bit) changes, the device's bar_changed
 *    callback is told the old and new mapping (so the platform can move the
 *    MMIO range with iobus_move_mmio);
 *  - interrupt line (writable) and pin (read-only), with INTx delivery that
 *    honours the command register's interrupt disable bit and reports the
 *    status interrupt bit (§6.2.2-3);
 *  - a capability list builder (§6.7) that keeps the next pointers, the
 *    capabilities pointer and the status capabilities-list bit right;
 *  - config hooks: a device may take over reads and/or writes of a range of
 *    its space (e.g. MSI-X message control) and fall back on the generic
 *    store with pci_dev_store_read/write.
 *
 * Config offsets and sizes given to pci_dev_config_read/write are checked
 * (size 1, 2 or 4 within the 256 bytes); the host bridge routes guest
 * accesses here. */
#ifndef BULKHEAD_DRIVERS_VDEV_PCI_DEV_H
#define BULKHEAD_DRIVERS_VDEV_PCI_DEV_H

#include "core/types.h"
#include "drivers/vdev/vdev.h"

#define PCI_CFG_SPACE_SIZE 256

/* Type-0 header offsets (PCI 3.0 §6.1, Figure 6-1). */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0A /* sub-class, base class */
#define PCI_CACHE_LINE_SIZE 0x0C
#define PCI_LATENCY_TIMER 0x0D
#define PCI_HEADER_TYPE 0x0E
#define PCI_BIST 0x0F
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_CARDBUS_CIS 0x28
#define PCI_SUBSYSTEM_VENDOR_ID 0x2C
#define PCI_SUBSYSTEM_ID 0x2E
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3C
#define PCI_INTERRUPT_PIN 0x3D
#define PCI_MIN_GNT 0x3E
#define PCI_MAX_LAT 0x3F
#define PCI_HEADER_END 0x40 /* capabilities live in [0x40, 0x100) */

#define PCI_HEADER_TYPE_NORMAL 0x00
#define PCI_VENDOR_NONE 0xFFFF

/* Command register (§6.2.2). Only these bits are implemented (writable);
 * the rest read as zero. */
#define PCI_COMMAND_IO BIT(0)
#define PCI_COMMAND_MEMORY BIT(1)
#define PCI_COMMAND_MASTER BIT(2)
#define PCI_COMMAND_PARITY BIT(6)
#define PCI_COMMAND_SERR BIT(8)
#define PCI_COMMAND_INTX_DISABLE BIT(10)
#define PCI_COMMAND_WRITABLE                                                             \
	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | \
	 PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)

/* Status register (§6.2.3). */
#define PCI_STATUS_INTERRUPT BIT(3)
#define PCI_STATUS_CAP_LIST BIT(4)
#define PCI_STATUS_MASTER_PARITY BIT(8)
#define PCI_STATUS_SIG_TARGET_ABORT BIT(11)
#define PCI_STATUS_REC_TARGET_ABORT BIT(12)
#define PCI_STATUS_REC_MASTER_ABORT BIT(13)
#define PCI_STATUS_SIG_SYSTEM_ERROR BIT(14)
#define PCI_STATUS_DETECTED_PARITY BIT(15)
#define PCI_STATUS_W1C                                                                          \
	(PCI_STATUS_MASTER_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT | \
	 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)

/* Base address registers (§6.2.5.1). */
#define PCI_NR_BARS 6
#define PCI_BAR_SPACE_IO BIT(0)
#define PCI_BAR_MEM_TYPE_64 (2u << 1)
#define PCI_BAR_MEM_PREFETCH BIT(3)
#define PCI_BAR_MEM_FLAGS_MASK 0x0Fu
#define PCI_BAR_IO_FLAGS_MASK 0x03u
#define PCI_BAR_MEM_MIN_SIZE 16ULL
#define PCI_BAR_MEM32_MAX_SIZE GiB(2)
#define PCI_BAR_IO_MIN_SIZE 4ULL
#define PCI_BAR_IO_MAX_SIZE 256ULL /* §6.2.5.1: I/O BARs claim at most 256 bytes */
/* A PC decodes 16 I/O address bits: the upper half of an I/O BAR is
 * hardwired to zero, as §6.2.5.1 allows for PC-compatible devices. */
#define PCI_BAR_IO_ADDR_LIMIT 0x10000ULL

/* Interrupt pin register values (§6.2.4). */
#define PCI_INTERRUPT_PIN_NONE 0
#define PCI_INTERRUPT_PIN_INTA 1
#define PCI_INTERRUPT_PIN_INTD 4
#define PCI_INTERRUPT_LINE_UNKNOWN 0xFF

/* Capability header (§6.7): ID byte, next-pointer byte, then the body.
 * Capabilities start dword-aligned. */
#define PCI_CAP_ID 0
#define PCI_CAP_NEXT 1
#define PCI_CAP_HEADER_SIZE 2
#define PCI_CAP_ALIGN 4
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VENDOR 0x09
#define PCI_CAP_ID_MSIX 0x11

#define PCI_MAX_CFG_HOOKS 4

enum pci_bar_type {
	PCI_BAR_NONE = 0,
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,      /* takes this slot and the next one */
	PCI_BAR_MEM64_HIGH, /* the upper half of the previous slot's BAR */
};

struct pci_bar {
	enum pci_bar_type type;
	uint64_t size;
	bool prefetchable;
};

/* Where a BAR currently decodes. decode is the command register's memory
 * (or I/O) space enable; addr is the programmed base, which may be a
 * leftover of sizing (e.g. the size mask) while the guest probes. */
struct pci_bar_mapping {
	uint64_t addr;
	bool decode;
};

struct pci_dev;

/* Called after a change to BAR bar's address or decode enable. The
 * callback may read the device but must not write its config space. */
typedef void (*pci_bar_changed_fn)(void *ctx, struct pci_dev *dev, unsigned int bar,
				   struct pci_bar_mapping old, struct pci_bar_mapping now);

/* Config hooks: offsets are absolute config-space offsets, size 1, 2 or 4,
 * and the access lies inside the hook's range. A NULL function means the
 * generic store for that direction. */
typedef uint32_t (*pci_cfg_read_fn)(void *ctx, struct pci_dev *dev, unsigned int off,
				    unsigned int size);
typedef void (*pci_cfg_write_fn)(void *ctx, struct pci_dev *dev, unsigned int off,
				 unsigned int size, uint32_t val);

struct pci_cfg_hook {
	unsigned int start;
	unsigned int len;
	pci_cfg_read_fn read;
	pci_cfg_write_fn write;
	void *ctx;
};

struct pci_dev_info {
	uint16_t vendor_id;
	uint16_t device_id;
	uint16_t subsystem_vendor_id;
	uint16_t subsystem_id;
	uint32_t class_code; /* base class << 16 | sub-class << 8 | prog-if */
	uint8_t revision;
};

struct pci_dev {
	const char *owner; /* partition name, for messages */
	const char *name;  /* device name, for messages */
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	uint8_t wmask[PCI_CFG_SPACE_SIZE];   /* 1 = the guest may write the bit */
	uint8_t w1cmask[PCI_CFG_SPACE_SIZE]; /* 1 = writing 1 clears the bit */
	uint8_t initial[PCI_CFG_SPACE_SIZE]; /* contents restored by pci_dev_reset */
	struct pci_bar bars[PCI_NR_BARS];
	struct pci_bar_mapping mapped[PCI_NR_BARS]; /* last state reported */
	pci_bar_changed_fn bar_changed;
	void *bar_ctx;
	uint8_t cap_next_free; /* where the next capability goes, 0 when full */
	uint8_t cap_last;      /* offset of the last capability, 0 if none */
	struct pci_cfg_hook hooks[PCI_MAX_CFG_HOOKS];
	unsigned int nr_hooks;
	/* Optional: taken around every guest config access (pci_host), for a
	 * device whose state is also changed outside the platform's lock. */
	void (*access_lock)(void *ctx, bool take);
	void *access_lock_ctx;
	struct irq_sink intx;
	unsigned int intx_line;
	bool intx_level;  /* the device requests an interrupt */
	bool intx_output; /* what the sink last saw */
	unsigned int warned;
};

void pci_dev_init(struct pci_dev *d, const char *owner, const char *name,
		  const struct pci_dev_info *info);

/* Declares BAR bar (0-5). size must be a power of two: 16 B-2 GiB for
 * PCI_BAR_MEM32, >= 16 B for PCI_BAR_MEM64 (bar 0-4, also takes bar+1),
 * 4-256 B for PCI_BAR_IO. prefetchable only for memory BARs. false (with an
 * error line) on a misuse; call before the guest runs. */
bool pci_dev_add_bar(struct pci_dev *d, unsigned int bar, enum pci_bar_type type, uint64_t size,
		     bool prefetchable);
void pci_dev_set_bar_callback(struct pci_dev *d, pci_bar_changed_fn fn, void *ctx);
/* fn(ctx, true) before and fn(ctx, false) after each guest config access
 * through the host bridge (a device served by tasks on other CPUs keeps
 * its own lock). */
void pci_dev_set_access_lock(struct pci_dev *d, void (*fn)(void *ctx, bool take), void *ctx);
/* The BAR's current programmed base (both halves of a 64-bit BAR) and
 * whether the command register enables its decoding. */
struct pci_bar_mapping pci_dev_bar_mapping(const struct pci_dev *d, unsigned int bar);

/* Interrupt pin (PCI_INTERRUPT_PIN_INTA..INTD) wired to line of sink; the
 * interrupt line register starts as line (firmware's job on a PC). */
bool pci_dev_set_intx(struct pci_dev *d, uint8_t pin, const struct irq_sink *sink, unsigned int line);
/* The device's INTx request; the pin follows it unless the guest set
 * PCI_COMMAND_INTX_DISABLE. Status bit 3 follows the request either way. */
void pci_dev_set_intx_level(struct pci_dev *d, bool level);

/* Appends a capability: header (id, next) + body_len bytes of body, placed
 * at the next dword-aligned free offset. Body bytes are read-only until
 * the device opens them with pci_dev_set_wmask or hooks them. Returns the
 * capability's offset, or 0 (with an error line) if it does not fit. */
unsigned int pci_dev_add_capability(struct pci_dev *d, uint8_t id, const void *body,
				    unsigned int body_len);
/* Offset of the first capability with id in the guest-visible chain,
 * starting after the capability at offset `after` (0: from the
 * capabilities pointer); 0 if none. Bounded, so a looped chain ends. */
unsigned int pci_dev_find_capability(const struct pci_dev *d, uint8_t id, unsigned int after);

/* Sets the writable / write-1-to-clear bits of size (1, 2, 4) bytes at off,
 * little endian; false if out of range. */
bool pci_dev_set_wmask(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t mask);
bool pci_dev_set_w1cmask(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t mask);
/* Device-side write of its own registers, ignoring the masks and without
 * side effects (e.g. a read-only status field); pci_dev_reset restores the
 * value the builders left. false if out of range. */
bool pci_dev_set_config(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t val);

/* Takes over [start, start+len) of config space. An access that only
 * partly covers a hooked range is split into bytes. false if the range is
 * empty, outside the space, overlaps another hook, or the table is full. */
bool pci_dev_add_cfg_hook(struct pci_dev *d, unsigned int start, unsigned int len,
			  pci_cfg_read_fn read, pci_cfg_write_fn write, void *ctx);

/* Guest config access (from the host bridge): size 1, 2 or 4 inside the
 * 256 bytes, otherwise the read returns all ones and the write is dropped
 * (one warning). Goes through hooks. */
uint32_t pci_dev_config_read(struct pci_dev *d, unsigned int off, unsigned int size);
void pci_dev_config_write(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t val);

/* The generic behaviour: masked store, write-1-to-clear, BAR and command
 * side effects. For hooks that want the default; no hooks are called. */
uint32_t pci_dev_store_read(const struct pci_dev *d, unsigned int off, unsigned int size);
void pci_dev_store_write(struct pci_dev *d, unsigned int off, unsigned int size, uint32_t val);

/* Back to the state after the builders ran (command 0: no decoding, BARs
 * unprogrammed, hooked values too); the bar callback sees decode drop. */
void pci_dev_reset(struct pci_dev *d);

uint16_t pci_dev_command(const struct pci_dev *d);

#endif
