/* SPDX-License-Identifier: BSD-2-Clause */
/* virtio PCI transport: the MSI-X table and PBA in BAR 0, the PCI_CFG access
 * window and the construction of the configuration space (moved out of
 * virtio_pci.c unchanged). Section numbers are the virtio 1.2 specification's. */
#include "drivers/virtio/virtio_pci_internal.h"

/* ------------------------------------------------------------------ */
/* MSI-X table and PBA in BAR 0 (PCI 3.0 §6.8.2.6-10)                   */
/* ------------------------------------------------------------------ */

uint64_t vpci_msix_table_read(struct virtio_pci *vp, uint64_t off, unsigned int size)
{
	uint64_t entry = off / MSIX_ENTRY_SIZE;
	unsigned int field = off % MSIX_ENTRY_SIZE;
	const struct virtio_msix_entry *e;
	uint8_t bytes[MSIX_ENTRY_SIZE];
	uint64_t v = 0;

	if (entry >= VIRTIO_PCI_MSIX_VECTORS) {
		vpci_warn_once(vp, WARN_MSIX_RANGE, "MSI-X table access at %#llx beyond entry %u",
			       (unsigned long long)off, VIRTIO_PCI_MSIX_VECTORS - 1);
		return 0;
	}
	e = &vp->msix[entry];
	bh_memcpy(bytes + MSIX_ENTRY_ADDR_LO, &e->addr, 8);
	bh_memcpy(bytes + MSIX_ENTRY_DATA, &e->data, 4);
	bh_memcpy(bytes + MSIX_ENTRY_CTRL, &e->ctrl, 4);
	bh_memcpy(&v, bytes + field, size);
	return v;
}

void vpci_msix_table_write(struct virtio_pci *vp, uint64_t off, unsigned int size, uint64_t val)
{
	uint64_t entry = off / MSIX_ENTRY_SIZE;
	unsigned int field = off % MSIX_ENTRY_SIZE;
	struct virtio_msix_entry *e;
	uint8_t bytes[MSIX_ENTRY_SIZE];

	if (entry >= VIRTIO_PCI_MSIX_VECTORS) {
		vpci_warn_once(vp, WARN_MSIX_RANGE,
			       "MSI-X table write at %#llx beyond entry %u; ignored",
			       (unsigned long long)off, VIRTIO_PCI_MSIX_VECTORS - 1);
		return;
	}
	e = &vp->msix[entry];
	bh_memcpy(bytes + MSIX_ENTRY_ADDR_LO, &e->addr, 8);
	bh_memcpy(bytes + MSIX_ENTRY_DATA, &e->data, 4);
	bh_memcpy(bytes + MSIX_ENTRY_CTRL, &e->ctrl, 4);
	bh_memcpy(bytes + field, &val, size);
	bh_memcpy(&e->addr, bytes + MSIX_ENTRY_ADDR_LO, 8);
	bh_memcpy(&e->data, bytes + MSIX_ENTRY_DATA, 4);
	bh_memcpy(&e->ctrl, bytes + MSIX_ENTRY_CTRL, 4);
	/* Only the mask bit of vector control is implemented (§6.8.2.9). */
	e->ctrl &= MSIX_ENTRY_CTRL_MASKBIT;
	vpci_msix_deliver_pending(vp);
}

uint64_t vpci_msix_pba_read(struct virtio_pci *vp, uint64_t off, unsigned int size)
{
	uint64_t bits = vp->msix_pending;

	if (off >= MSIX_PBA_BYTES) {
		vpci_warn_once(vp, WARN_MSIX_RANGE, "MSI-X PBA access at %#llx beyond its %u bytes",
			       (unsigned long long)off, (unsigned int)MSIX_PBA_BYTES);
		return 0;
	}
	bits >>= 8 * off;
	return size == 8 ? bits : bits & ((1ULL << (8 * size)) - 1);
}

/* Message control through the config hook: table size read-only,
 * function mask and enable writable (§6.8.2.3). */
static uint16_t msix_control(const struct virtio_pci *vp)
{
	uint16_t v = VIRTIO_PCI_MSIX_VECTORS - 1;

	if (vp->msix_masked)
		v |= MSIX_CTRL_FUNCTION_MASK;
	if (vp->msix_enabled)
		v |= MSIX_CTRL_ENABLE;
	return v;
}

static uint32_t msix_control_read(void *ctx, struct pci_dev *d, unsigned int off, unsigned int size)
{
	struct virtio_pci *vp = ctx;
	unsigned int shift = 8 * (off - (vp->msix_cap + MSIX_CAP_CONTROL));

	return (uint32_t)(msix_control(vp) >> shift) & (uint32_t)((1ULL << (8 * size)) - 1);
}

static void msix_control_write(void *ctx, struct pci_dev *d, unsigned int off, unsigned int size,
			       uint32_t val)
{
	struct virtio_pci *vp = ctx;
	unsigned int shift = 8 * (off - (vp->msix_cap + MSIX_CAP_CONTROL));
	uint32_t mask = (uint32_t)((1ULL << (8 * size)) - 1) << shift;
	uint32_t now = (msix_control(vp) & ~mask) | ((val << shift) & mask);

	vp->msix_enabled = now & MSIX_CTRL_ENABLE;
	vp->msix_masked = now & MSIX_CTRL_FUNCTION_MASK;
	vpci_update_intx(vp);
	vpci_msix_deliver_pending(vp);
}

/* ------------------------------------------------------------------ */
/* PCI_CFG access window (§4.1.4.9)                                     */
/* ------------------------------------------------------------------ */

/* The window's BAR access: cap.bar 0, cap.length 1, 2 or 4, cap.offset
 * aligned to it (§4.1.4.9.1). */
static bool pci_cfg_target(struct virtio_pci *vp, uint64_t *off, unsigned int *len)
{
	unsigned int cap = vp->pci_cfg_cap;
	unsigned int bar = pci_dev_store_read(&vp->pci, cap + VIRTIO_PCI_CAP_BAR_OFF, 1);

	*off = pci_dev_store_read(&vp->pci, cap + VIRTIO_PCI_CAP_OFFSET, 4);
	*len = pci_dev_store_read(&vp->pci, cap + VIRTIO_PCI_CAP_LENGTH, 4);
	if (bar == VIRTIO_PCI_BAR && (*len == 1 || *len == 2 || *len == 4) && IS_ALIGNED(*off, *len))
		return true;
	vpci_warn_once(vp, WARN_PCI_CFG,
		       "PCI_CFG window access with bar %u offset %#llx length %u is invalid; ignored",
		       bar, (unsigned long long)*off, *len);
	return false;
}

static uint32_t pci_cfg_data_read(void *ctx, struct pci_dev *d, unsigned int off, unsigned int size)
{
	struct virtio_pci *vp = ctx;
	unsigned int shift = 8 * (off - (vp->pci_cfg_cap + VIRTIO_PCI_CFG_CAP_DATA));
	uint64_t bar_off, val = 0;
	unsigned int len;

	if (!pci_cfg_target(vp, &bar_off, &len))
		return 0;
	virtio_pci_bar_read(vp, bar_off, len, &val);
	return (uint32_t)(val >> shift) & (uint32_t)((1ULL << (8 * size)) - 1);
}

static void pci_cfg_data_write(void *ctx, struct pci_dev *d, unsigned int off, unsigned int size,
			       uint32_t val)
{
	struct virtio_pci *vp = ctx;
	uint64_t bar_off;
	unsigned int len;

	if (!pci_cfg_target(vp, &bar_off, &len))
		return;
	/* The driver writes the first cap.length bytes of pci_cfg_data. */
	if (off != vp->pci_cfg_cap + VIRTIO_PCI_CFG_CAP_DATA || size < len) {
		vpci_warn_once(vp, WARN_PCI_CFG,
			       "PCI_CFG window written with %u bytes at %#x for a %u-byte access; ignored",
			       size, off, len);
		return;
	}
	virtio_pci_bar_write(vp, bar_off, len, val);
}

/* ------------------------------------------------------------------ */
/* Construction                                                         */
/* ------------------------------------------------------------------ */

static bool ops_valid(const struct virtio_pci_config *cfg)
{
	const struct virtio_device_ops *o = cfg->ops;
	uint16_t qs;

	if (!o || !o->name || !o->process || !cfg->mem)
		return false;
	qs = o->queue_max_size;
	if (o->nr_queues == 0 || o->nr_queues > VIRTIO_PCI_MAX_QUEUES || qs == 0 ||
	    qs > VIRTQ_MAX_SIZE || (qs & (qs - 1)))
		return false;
	if (o->config_size > VIRTIO_PCI_DEVICE_MAX || (o->config_size && !o->config_read))
		return false;
	return o->device_id != 0;
}

static unsigned int add_virtio_cap(struct virtio_pci *vp, uint8_t type, uint32_t offset,
				   uint32_t length, const void *extra, unsigned int extra_len)
{
	uint8_t body[VIRTIO_PCI_NOTIFY_CAP_SIZE - PCI_CAP_HEADER_SIZE] = { 0 };
	unsigned int cap_len = VIRTIO_PCI_CAP_SIZE + extra_len;

	body[VIRTIO_PCI_CAP_LEN_OFF - PCI_CAP_HEADER_SIZE] = (uint8_t)cap_len;
	body[VIRTIO_PCI_CAP_CFG_TYPE - PCI_CAP_HEADER_SIZE] = type;
	body[VIRTIO_PCI_CAP_BAR_OFF - PCI_CAP_HEADER_SIZE] = VIRTIO_PCI_BAR;
	bh_memcpy(body + VIRTIO_PCI_CAP_OFFSET - PCI_CAP_HEADER_SIZE, &offset, 4);
	bh_memcpy(body + VIRTIO_PCI_CAP_LENGTH - PCI_CAP_HEADER_SIZE, &length, 4);
	if (extra_len)
		bh_memcpy(body + VIRTIO_PCI_CAP_SIZE - PCI_CAP_HEADER_SIZE, extra, extra_len);
	return pci_dev_add_capability(&vp->pci, PCI_CAP_ID_VENDOR, body,
				      cap_len - PCI_CAP_HEADER_SIZE);
}

static bool add_msix_cap(struct virtio_pci *vp)
{
	uint8_t body[MSIX_CAP_BODY_LEN] = { 0 };
	uint16_t ctrl = VIRTIO_PCI_MSIX_VECTORS - 1;
	uint32_t table = VIRTIO_PCI_MSIX_TABLE_OFF | VIRTIO_PCI_BAR; /* offset | BIR */
	uint32_t pba = VIRTIO_PCI_MSIX_PBA_OFF | VIRTIO_PCI_BAR;

	bh_memcpy(body + MSIX_CAP_CONTROL - PCI_CAP_HEADER_SIZE, &ctrl, 2);
	bh_memcpy(body + MSIX_CAP_TABLE - PCI_CAP_HEADER_SIZE, &table, 4);
	bh_memcpy(body + MSIX_CAP_PBA - PCI_CAP_HEADER_SIZE, &pba, 4);
	vp->msix_cap = pci_dev_add_capability(&vp->pci, PCI_CAP_ID_MSIX, body, sizeof(body));
	return vp->msix_cap && pci_dev_add_cfg_hook(&vp->pci, vp->msix_cap + MSIX_CAP_CONTROL, 2,
						    msix_control_read, msix_control_write, vp);
}

static bool add_pci_cfg_cap(struct virtio_pci *vp)
{
	static const uint8_t data[VIRTIO_PCI_CFG_DATA_LEN] = { 0 };
	unsigned int cap = add_virtio_cap(vp, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, data, sizeof(data));

	if (!cap)
		return false;
	vp->pci_cfg_cap = cap;
	return pci_dev_set_wmask(&vp->pci, cap + VIRTIO_PCI_CAP_BAR_OFF, 1, 0xFF) &&
	       pci_dev_set_wmask(&vp->pci, cap + VIRTIO_PCI_CAP_OFFSET, 4, 0xFFFFFFFF) &&
	       pci_dev_set_wmask(&vp->pci, cap + VIRTIO_PCI_CAP_LENGTH, 4, 0xFFFFFFFF) &&
	       pci_dev_add_cfg_hook(&vp->pci, cap + VIRTIO_PCI_CFG_CAP_DATA, VIRTIO_PCI_CFG_DATA_LEN,
				    pci_cfg_data_read, pci_cfg_data_write, vp);
}

static bool build_config_space(struct virtio_pci *vp)
{
	const struct virtio_device_ops *o = vp->cfg.ops;
	const struct pci_dev_info info = {
		.vendor_id = VIRTIO_PCI_VENDOR_ID,
		.device_id = VIRTIO_PCI_DEVICE_ID_BASE + o->device_id,
		.subsystem_vendor_id = VIRTIO_PCI_VENDOR_ID,
		.subsystem_id = VIRTIO_PCI_SUBSYSTEM_ID_BASE + o->device_id,
		.class_code = o->class_code,
		.revision = VIRTIO_PCI_REVISION,
	};
	uint32_t mult = VIRTIO_PCI_NOTIFY_MULTIPLIER;

	pci_dev_init(&vp->pci, vp->cfg.owner, o->name, &info);
	if (!pci_dev_add_bar(&vp->pci, VIRTIO_PCI_BAR, PCI_BAR_MEM64, VIRTIO_PCI_BAR_SIZE, false))
		return false;
	if (!add_virtio_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
			    VIRTIO_PCI_COMMON_LEN, NULL, 0) ||
	    !add_virtio_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1, NULL, 0) ||
	    !add_virtio_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
			    o->nr_queues * VIRTIO_PCI_NOTIFY_MULTIPLIER, &mult, sizeof(mult)))
		return false;
	/* Only devices with a configuration space have the capability. */
	if (o->config_size && !add_virtio_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
					      o->config_size, NULL, 0))
		return false;
	if (!add_pci_cfg_cap(vp) || !add_msix_cap(vp))
		return false;
	if (vp->cfg.intx &&
	    !pci_dev_set_intx(&vp->pci, PCI_INTERRUPT_PIN_INTA, vp->cfg.intx, vp->cfg.intx_line))
		return false;
	return true;
}

static void power_on_reset(struct virtio_pci *vp, bool tell_model)
{
	vpci_device_reset(vp, tell_model);
	vp->msix_enabled = false;
	vp->msix_masked = false;
	vp->msix_pending = 0;
	/* PCI 3.0 §6.8.2.9: every vector starts masked. */
	for (unsigned int v = 0; v < VIRTIO_PCI_MSIX_VECTORS; v++)
		vp->msix[v] = (struct virtio_msix_entry){ .ctrl = MSIX_ENTRY_CTRL_MASKBIT };
	vp->warned = 0;
	vp->needs_reset_logged = 0;
	pci_dev_reset(&vp->pci);
	vpci_update_intx(vp);
}

void virtio_pci_reset(struct virtio_pci *vp)
{
	power_on_reset(vp, true);
}

bool virtio_pci_init(struct virtio_pci *vp, const struct virtio_pci_config *cfg)
{
	bh_memset(vp, 0, sizeof(*vp));
	if (!cfg || !ops_valid(cfg)) {
		pr_err("[%s] virtio-pci: invalid device description for %s",
		       cfg && cfg->owner ? cfg->owner : "?",
		       cfg && cfg->ops && cfg->ops->name ? cfg->ops->name : "a device");
		return false;
	}
	vp->cfg = *cfg;
	if (!build_config_space(vp)) {
		pr_err("[%s] %s: cannot build the PCI configuration space", owner_of(vp),
		       name_of(vp));
		return false;
	}
	power_on_reset(vp, false);
	return true;
}
