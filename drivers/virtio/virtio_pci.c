/* The virtio 1.x PCI transport (virtio 1.2 §4.1), modern interface only.
 * See virtio_pci.h for the BAR 0 layout. MSI-X follows PCI Local Bus 3.0
 * §6.8.2. Everything the guest writes is validated; misuse is logged once
 * per kind and either ignored or answered with DEVICE_NEEDS_RESET. */
#include "drivers/virtio/virtio_pci.h"

#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"

/* Vendor capability layout (§4.1.4, struct virtio_pci_cap): after the
 * two-byte header come cap_len, cfg_type, bar, id, two pad bytes, then
 * le32 offset and le32 length; the notify capability adds le32
 * notify_off_multiplier, the PCI_CFG capability four data bytes. Offsets
 * below are relative to the capability start. */
#define VIRTIO_PCI_CAP_LEN_OFF 2
#define VIRTIO_PCI_CAP_CFG_TYPE 3
#define VIRTIO_PCI_CAP_BAR_OFF 4
#define VIRTIO_PCI_CAP_OFFSET 8
#define VIRTIO_PCI_CAP_LENGTH 12
#define VIRTIO_PCI_CAP_SIZE 16
#define VIRTIO_PCI_NOTIFY_CAP_MULT 16
#define VIRTIO_PCI_NOTIFY_CAP_SIZE 20
#define VIRTIO_PCI_CFG_CAP_DATA 16
#define VIRTIO_PCI_CFG_CAP_SIZE 20
#define VIRTIO_PCI_CFG_DATA_LEN 4

/* cfg_type values (§4.1.4). */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* Common configuration structure (§4.1.4.3). */
#define VIRTIO_PCI_COMMON_DFSELECT 0x00
#define VIRTIO_PCI_COMMON_DF 0x04
#define VIRTIO_PCI_COMMON_GFSELECT 0x08
#define VIRTIO_PCI_COMMON_GF 0x0C
#define VIRTIO_PCI_COMMON_MSIX 0x10
#define VIRTIO_PCI_COMMON_NUMQ 0x12
#define VIRTIO_PCI_COMMON_STATUS 0x14
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15
#define VIRTIO_PCI_COMMON_Q_SELECT 0x16
#define VIRTIO_PCI_COMMON_Q_SIZE 0x18
#define VIRTIO_PCI_COMMON_Q_MSIX 0x1A
#define VIRTIO_PCI_COMMON_Q_ENABLE 0x1C
#define VIRTIO_PCI_COMMON_Q_NOFF 0x1E
#define VIRTIO_PCI_COMMON_Q_DESCLO 0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI 0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2C
#define VIRTIO_PCI_COMMON_Q_USEDLO 0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI 0x34
#define VIRTIO_PCI_COMMON_Q_NDATA 0x38
#define VIRTIO_PCI_COMMON_Q_RESET 0x3A
#define VIRTIO_PCI_COMMON_LEN 0x3C

/* ISR status bits (§4.1.4.5). */
#define VIRTIO_PCI_ISR_QUEUE 0x1
#define VIRTIO_PCI_ISR_CONFIG 0x2

/* MSI-X capability (PCI 3.0 §6.8.2): message control, table offset/BIR,
 * PBA offset/BIR; table entries of 16 bytes. */
#define MSIX_CAP_CONTROL 2
#define MSIX_CAP_TABLE 4
#define MSIX_CAP_PBA 8
#define MSIX_CAP_BODY_LEN 10
#define MSIX_CTRL_TABLE_SIZE_MASK 0x07FFu
#define MSIX_CTRL_FUNCTION_MASK BIT(14)
#define MSIX_CTRL_ENABLE BIT(15)
#define MSIX_ENTRY_SIZE 16
#define MSIX_ENTRY_ADDR_LO 0
#define MSIX_ENTRY_ADDR_HI 4
#define MSIX_ENTRY_DATA 8
#define MSIX_ENTRY_CTRL 12
#define MSIX_ENTRY_CTRL_MASKBIT 1u
#define MSIX_PBA_BYTES (ALIGN_UP(VIRTIO_PCI_MSIX_VECTORS, 64) / 8)

/* §4.1.2.1: non-transitional devices should use subsystem ID >= 0x40. */
#define VIRTIO_PCI_SUBSYSTEM_ID_BASE 0x40
#define VIRTIO_PCI_REGION_SIZE 0x1000

/* Statuses the driver may set; NEEDS_RESET belongs to the device. */
#define VIRTIO_STATUS_DRIVER_BITS                                                      \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK |    \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED)
/* What the transport itself offers on top of the device's features. */
#define VIRTIO_PCI_TRANSPORT_FEATURES                                                  \
	(VIRTIO_FEATURE(VIRTIO_F_VERSION_1) | VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX) |       \
	 VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC))

/* Needs-reset lines logged per device before going quiet (a guest could
 * loop reset / violate forever). */
#define VIRTIO_PCI_MAX_RESET_LOGS 16

enum virtio_pci_warning {
	WARN_ACCESS = BIT(0),       /* wrong size or alignment */
	WARN_HOLE = BIT(1),         /* nothing at that offset */
	WARN_NOTIFY = BIT(2),       /* notify for a queue that does not exist */
	WARN_MSIX_RANGE = BIT(3),   /* MSI-X table/PBA beyond the entries */
	WARN_STATUS = BIT(4),       /* driver cleared status bits */
	WARN_FEATURES = BIT(5),     /* FEATURES_OK refused */
	WARN_QUEUE_LIVE = BIT(6),   /* queue register changed while enabled */
	WARN_QUEUE_SIZE = BIT(7),   /* queue size above the maximum */
	WARN_QUEUE_DISABLE = BIT(8),/* 0 written to queue_enable */
	WARN_PCI_CFG = BIT(9),      /* bad PCI_CFG window access */
	WARN_FEATURES_LATE = BIT(10), /* driver features written after FEATURES_OK */
	WARN_QUEUE_RESET = BIT(11), /* queue_reset without VIRTIO_F_RING_RESET */
};

static const char *owner_of(const struct virtio_pci *vp)
{
	return vp->cfg.owner ? vp->cfg.owner : "?";
}

static const char *name_of(const struct virtio_pci *vp)
{
	return vp->cfg.ops && vp->cfg.ops->name ? vp->cfg.ops->name : "virtio";
}

/* Logs fmt once per device for the given kind of misuse. */
static void __printf(3, 4) warn_once(struct virtio_pci *vp, uint32_t kind, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	/* Atomic: a notify (no device lock) and the service may both warn. */
	if (__atomic_fetch_or(&vp->warned, kind, __ATOMIC_RELAXED) & kind)
		return;
	va_start(ap, fmt);
	bh_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("[%s] %s: %s", owner_of(vp), name_of(vp), msg);
}

static uint64_t offered_features(const struct virtio_pci *vp)
{
	return vp->cfg.device_features | VIRTIO_PCI_TRANSPORT_FEATURES;
}

static unsigned int nr_queues(const struct virtio_pci *vp)
{
	return vp->cfg.ops->nr_queues;
}

bool virtio_pci_running(const struct virtio_pci *vp)
{
	return (vp->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(vp->status & (VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned int q)
{
	if (q >= nr_queues(vp) || !vp->vq[q].ready)
		return NULL;
	return &vp->vq[q];
}

/* ------------------------------------------------------------------ */
/* Interrupts                                                           */
/* ------------------------------------------------------------------ */

/* INTx follows ISR while MSI-X is off (§4.1.4.5); with MSI-X enabled the
 * function must not use its pin (PCI 3.0 §6.8.2). */
static void update_intx(struct virtio_pci *vp)
{
	pci_dev_set_intx_level(&vp->pci, !vp->msix_enabled && vp->isr);
}

static bool msix_vector_masked(const struct virtio_pci *vp, unsigned int v)
{
	return vp->msix_masked || (vp->msix[v].ctrl & MSIX_ENTRY_CTRL_MASKBIT);
}

/* A masked vector's message is held in its pending bit and sent when it
 * is unmasked (PCI 3.0 §6.8.2.9, §6.8.2.11). */
static void msix_fire(struct virtio_pci *vp, unsigned int v)
{
	if (v >= VIRTIO_PCI_MSIX_VECTORS)
		return;
	if (msix_vector_masked(vp, v)) {
		vp->msix_pending |= (uint32_t)BIT(v);
		return;
	}
	vp->msix_pending &= ~(uint32_t)BIT(v);
	vp->interrupts++;
	msi_send(&vp->cfg.msi, vp->msix[v].addr, vp->msix[v].data);
}

static void msix_deliver_pending(struct virtio_pci *vp)
{
	if (!vp->msix_enabled)
		return;
	for (unsigned int v = 0; v < VIRTIO_PCI_MSIX_VECTORS; v++)
		if ((vp->msix_pending & BIT(v)) && !msix_vector_masked(vp, v))
			msix_fire(vp, v);
}

/* §4.1.5.3-4: with MSI-X the queue's (or config) vector, none if it is
 * NO_VECTOR; without MSI-X, the ISR bit and INTx. */
static void raise_interrupt(struct virtio_pci *vp, uint16_t vector, uint8_t isr_bit)
{
	if (isr_bit == VIRTIO_PCI_ISR_CONFIG)
		vp->isr |= isr_bit;
	if (vp->msix_enabled) {
		if (vector != VIRTIO_MSI_NO_VECTOR)
			msix_fire(vp, vector);
		return;
	}
	vp->isr |= isr_bit;
	vp->interrupts++;
	update_intx(vp);
}

static void raise_config_interrupt(struct virtio_pci *vp)
{
	raise_interrupt(vp, vp->config_msix_vector, VIRTIO_PCI_ISR_CONFIG);
}

void virtio_pci_queue_done(struct virtio_pci *vp, unsigned int q)
{
	if (q >= nr_queues(vp) || !vp->vq[q].ready)
		return;
	if (!virtq_needs_interrupt(&vp->vq[q]))
		return;
	raise_interrupt(vp, vp->qreg[q].msix_vector, VIRTIO_PCI_ISR_QUEUE);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	vp->config_generation++;
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		raise_config_interrupt(vp);
}

void virtio_pci_needs_reset(struct virtio_pci *vp, const char *fmt, ...)
{
	char reason[160];
	va_list ap;

	if (vp->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	va_start(ap, fmt);
	bh_vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (vp->needs_reset_logged < VIRTIO_PCI_MAX_RESET_LOGS)
		pr_warn("[%s] %s: %s; device needs reset", owner_of(vp), name_of(vp), reason);
	else if (vp->needs_reset_logged == VIRTIO_PCI_MAX_RESET_LOGS)
		pr_warn("[%s] %s: %s; device needs reset (further ones not logged)",
			owner_of(vp), name_of(vp), reason);
	if (vp->needs_reset_logged <= VIRTIO_PCI_MAX_RESET_LOGS)
		vp->needs_reset_logged++;
	/* §2.1.2: after DRIVER_OK the driver learns it by a config interrupt. */
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		raise_config_interrupt(vp);
}

/* ------------------------------------------------------------------ */
/* Device reset and status                                              */
/* ------------------------------------------------------------------ */

static void reset_queue_regs(struct virtio_pci *vp, unsigned int q)
{
	bh_memset(&vp->qreg[q], 0, sizeof(vp->qreg[q]));
	vp->qreg[q].size = q < nr_queues(vp) ? vp->cfg.ops->queue_max_size : 0;
	vp->qreg[q].msix_vector = VIRTIO_MSI_NO_VECTOR;
	virtq_reset(&vp->vq[q]);
}

/* Writing 0 to device_status (§4.1.4.3.1); MSI-X table and PCI config
 * space are not part of the virtio device and stay. The model is not
 * told while virtio_pci_init builds the device. */
static void device_reset(struct virtio_pci *vp, bool tell_model)
{
	if (tell_model && vp->cfg.ops->reset)
		vp->cfg.ops->reset(vp->cfg.dev);
	for (unsigned int q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++)
		reset_queue_regs(vp, q);
	vp->status = 0;
	vp->device_feature_select = 0;
	vp->driver_feature_select = 0;
	vp->driver_features = 0;
	vp->negotiated = 0;
	vp->queue_select = 0;
	vp->config_msix_vector = VIRTIO_MSI_NO_VECTOR;
	vp->isr = 0;
	__atomic_store_n(&vp->pending, 0, __ATOMIC_RELEASE);
	update_intx(vp);
}

/* §3.1.1 step 5: the device accepts the driver's features or leaves
 * FEATURES_OK clear. */
static bool accept_features(struct virtio_pci *vp)
{
	uint64_t extra = vp->driver_features & ~offered_features(vp);

	if (!(vp->driver_features & VIRTIO_FEATURE(VIRTIO_F_VERSION_1))) {
		warn_once(vp, WARN_FEATURES,
			  "driver did not accept VIRTIO_F_VERSION_1 (legacy driver?); FEATURES_OK refused");
		return false;
	}
	if (extra) {
		warn_once(vp, WARN_FEATURES,
			  "driver accepted features %#llx that were never offered; FEATURES_OK refused",
			  (unsigned long long)extra);
		return false;
	}
	vp->negotiated = vp->driver_features;
	return true;
}

static void write_status(struct virtio_pci *vp, uint8_t val)
{
	uint8_t old = vp->status;
	uint8_t now;

	if (val == 0) {
		device_reset(vp, true);
		return;
	}
	now = val & VIRTIO_STATUS_DRIVER_BITS;
	if (old & (uint8_t)~now & VIRTIO_STATUS_DRIVER_BITS) {
		warn_once(vp, WARN_STATUS, "driver cleared status bits %#x without a reset; kept",
			  old & (uint8_t)~now & VIRTIO_STATUS_DRIVER_BITS);
		now |= old & VIRTIO_STATUS_DRIVER_BITS;
	}
	if ((now & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) &&
	    !accept_features(vp))
		now &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	vp->status = now | (old & VIRTIO_STATUS_DEVICE_NEEDS_RESET);

	if (!(now & VIRTIO_STATUS_DRIVER_OK) || (old & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (!(now & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_pci_needs_reset(vp, "DRIVER_OK set without FEATURES_OK");
		return;
	}
	if (vp->cfg.ops->activate)
		vp->cfg.ops->activate(vp->cfg.dev);
	/* Buffers may have been notified before DRIVER_OK. */
	if (__atomic_load_n(&vp->pending, __ATOMIC_ACQUIRE) && virtio_pci_running(vp) &&
	    vp->cfg.kick)
		vp->cfg.kick(vp->cfg.kick_ctx, vp);
}

/* ------------------------------------------------------------------ */
/* Common configuration (§4.1.4.3)                                      */
/* ------------------------------------------------------------------ */

/* Width of the field at off (64-bit fields are accessed as two halves,
 * §4.1.3.1), 0 if there is none. */
static unsigned int common_field_size(uint64_t off)
{
	if (off >= VIRTIO_PCI_COMMON_LEN)
		return 0;
	if (off < VIRTIO_PCI_COMMON_MSIX || off >= VIRTIO_PCI_COMMON_Q_DESCLO) {
		if (off >= VIRTIO_PCI_COMMON_Q_NDATA)
			return 2;
		return 4;
	}
	if (off == VIRTIO_PCI_COMMON_STATUS || off == VIRTIO_PCI_COMMON_CFGGENERATION)
		return 1;
	return 2;
}

static bool queue_selected(const struct virtio_pci *vp)
{
	return vp->queue_select < nr_queues(vp);
}

static uint32_t read_queue_reg(struct virtio_pci *vp, uint64_t off)
{
	unsigned int q = vp->queue_select;

	/* §4.1.4.3: a queue that does not exist reads size 0. */
	if (!queue_selected(vp))
		return off == VIRTIO_PCI_COMMON_Q_MSIX ? VIRTIO_MSI_NO_VECTOR : 0;
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return vp->qreg[q].size;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return vp->qreg[q].msix_vector;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return vp->qreg[q].enable;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return q; /* queue q notifies at q * multiplier */
	case VIRTIO_PCI_COMMON_Q_DESCLO:
		return (uint32_t)vp->qreg[q].desc;
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		return (uint32_t)(vp->qreg[q].desc >> 32);
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
		return (uint32_t)vp->qreg[q].driver;
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		return (uint32_t)(vp->qreg[q].driver >> 32);
	case VIRTIO_PCI_COMMON_Q_USEDLO:
		return (uint32_t)vp->qreg[q].device;
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return (uint32_t)(vp->qreg[q].device >> 32);
	default:
		return 0; /* queue_notify_data, queue_reset: features not offered */
	}
}

static uint32_t common_read(struct virtio_pci *vp, uint64_t off)
{
	uint64_t f;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return vp->device_feature_select;
	case VIRTIO_PCI_COMMON_DF:
		if (vp->device_feature_select > 1)
			return 0;
		f = offered_features(vp);
		return (uint32_t)(f >> (32 * vp->device_feature_select));
	case VIRTIO_PCI_COMMON_GFSELECT:
		return vp->driver_feature_select;
	case VIRTIO_PCI_COMMON_GF:
		if (vp->driver_feature_select > 1)
			return 0;
		return (uint32_t)(vp->driver_features >> (32 * vp->driver_feature_select));
	case VIRTIO_PCI_COMMON_MSIX:
		return vp->config_msix_vector;
	case VIRTIO_PCI_COMMON_NUMQ:
		return nr_queues(vp);
	case VIRTIO_PCI_COMMON_STATUS:
		return vp->status;
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		return vp->config_generation;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return vp->queue_select;
	default:
		return read_queue_reg(vp, off);
	}
}

/* §4.1.5.1.2: a vector the device cannot use reads back as NO_VECTOR. */
static uint16_t checked_vector(uint32_t v)
{
	return v < VIRTIO_PCI_MSIX_VECTORS ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

static void write_queue_size(struct virtio_pci *vp, unsigned int q, uint32_t val)
{
	uint16_t max = vp->cfg.ops->queue_max_size;

	if (val > max) {
		warn_once(vp, WARN_QUEUE_SIZE, "queue %u: size %u above the maximum %u; ignored", q,
			  val, max);
		return;
	}
	/* §2.7: split virtqueue sizes are powers of two. */
	if (val == 0 || (val & (val - 1))) {
		virtio_pci_needs_reset(vp, "queue %u: size %u is not a power of two", q, val);
		return;
	}
	vp->qreg[q].size = (uint16_t)val;
}

static void enable_queue(struct virtio_pci *vp, unsigned int q)
{
	enum virtq_result r;

	if (vp->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	if (!(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_pci_needs_reset(vp, "queue %u enabled before FEATURES_OK", q);
		return;
	}
	r = virtq_enable(&vp->vq[q], vp->cfg.mem, vp->qreg[q].size, vp->qreg[q].desc,
			 vp->qreg[q].driver, vp->qreg[q].device,
			 vp->negotiated & VIRTIO_FEATURE(VIRTIO_F_EVENT_IDX),
			 vp->negotiated & VIRTIO_FEATURE(VIRTIO_F_INDIRECT_DESC));
	if (r != VIRTQ_OK) {
		virtio_pci_needs_reset(vp, "queue %u (size %u, desc %#llx, avail %#llx, used %#llx): %s",
				       q, vp->qreg[q].size, (unsigned long long)vp->qreg[q].desc,
				       (unsigned long long)vp->qreg[q].driver,
				       (unsigned long long)vp->qreg[q].device, virtq_result_str(r));
		return;
	}
	vp->qreg[q].enable = 1;
}

static void set_half(uint64_t *reg, bool high, uint32_t val)
{
	if (high)
		*reg = (*reg & 0xFFFFFFFFULL) | (uint64_t)val << 32;
	else
		*reg = (*reg & ~0xFFFFFFFFULL) | val;
}

static void write_queue_reg(struct virtio_pci *vp, uint64_t off, uint32_t val)
{
	unsigned int q = vp->queue_select;

	if (!queue_selected(vp))
		return; /* §4.1.4.3: nothing there; Linux probes with size reads only */
	if (off == VIRTIO_PCI_COMMON_Q_MSIX) {
		vp->qreg[q].msix_vector = checked_vector(val);
		return;
	}
	if (off == VIRTIO_PCI_COMMON_Q_NOFF || off == VIRTIO_PCI_COMMON_Q_NDATA)
		return; /* read-only */
	if (off == VIRTIO_PCI_COMMON_Q_RESET) {
		warn_once(vp, WARN_QUEUE_RESET,
			  "queue_reset written but VIRTIO_F_RING_RESET was not offered; ignored");
		return;
	}
	if (off == VIRTIO_PCI_COMMON_Q_ENABLE && val == 0) {
		/* §4.1.4.3.2: the driver must not write 0 (queue_reset does that). */
		warn_once(vp, WARN_QUEUE_DISABLE, "queue %u: 0 written to queue_enable; ignored", q);
		return;
	}
	if (vp->qreg[q].enable) {
		warn_once(vp, WARN_QUEUE_LIVE,
			  "queue %u: register %#llx written while the queue is enabled; ignored", q,
			  (unsigned long long)off);
		return;
	}
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		write_queue_size(vp, q, val & 0xFFFF);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		enable_queue(vp, q);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		set_half(&vp->qreg[q].desc, off == VIRTIO_PCI_COMMON_Q_DESCHI, val);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		set_half(&vp->qreg[q].driver, off == VIRTIO_PCI_COMMON_Q_AVAILHI, val);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		set_half(&vp->qreg[q].device, off == VIRTIO_PCI_COMMON_Q_USEDHI, val);
		break;
	}
}

static void write_driver_features(struct virtio_pci *vp, uint32_t val)
{
	if (vp->driver_feature_select > 1)
		return; /* no features there: only zeros can be accepted */
	if (vp->status & VIRTIO_STATUS_FEATURES_OK) {
		warn_once(vp, WARN_FEATURES_LATE, "driver features written after FEATURES_OK; ignored");
		return;
	}
	set_half(&vp->driver_features, vp->driver_feature_select == 1, val);
}

static void common_write(struct virtio_pci *vp, uint64_t off, uint32_t val)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->device_feature_select = val;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->driver_feature_select = val;
		break;
	case VIRTIO_PCI_COMMON_GF:
		write_driver_features(vp, val);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		vp->config_msix_vector = checked_vector(val);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		write_status(vp, (uint8_t)val);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_select = (uint16_t)val;
		break;
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_CFGGENERATION:
		break; /* read-only */
	default:
		write_queue_reg(vp, off, val);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Notifications (§4.1.4.4)                                             */
/* ------------------------------------------------------------------ */

/* The address names the queue (queue_notify_off = q); the value written
 * is not needed without VIRTIO_F_NOTIFICATION_DATA and is ignored. */
static void notify_write(struct virtio_pci *vp, uint64_t off)
{
	uint64_t q = off / VIRTIO_PCI_NOTIFY_MULTIPLIER;

	if (off % VIRTIO_PCI_NOTIFY_MULTIPLIER || q >= nr_queues(vp)) {
		warn_once(vp, WARN_NOTIFY, "notify at offset %#llx: no queue %llu; ignored",
			  (unsigned long long)off, (unsigned long long)q);
		return;
	}
	__atomic_fetch_add(&vp->notifies, 1, __ATOMIC_RELAXED);
	virtio_pci_requeue(vp, (unsigned int)q);
}

void virtio_pci_requeue(struct virtio_pci *vp, unsigned int q)
{
	if (q >= nr_queues(vp) || !vp->vq[q].ready)
		return;
	__atomic_fetch_or(&vp->pending, (uint32_t)BIT(q), __ATOMIC_RELEASE);
	if (virtio_pci_running(vp) && vp->cfg.kick)
		vp->cfg.kick(vp->cfg.kick_ctx, vp);
}

void virtio_pci_service(struct virtio_pci *vp)
{
	uint32_t due;

	if (!virtio_pci_running(vp))
		return;
	due = __atomic_exchange_n(&vp->pending, 0, __ATOMIC_ACQ_REL);
	if (!due)
		return;
	vp->services++;
	for (unsigned int q = 0; q < nr_queues(vp); q++) {
		if (!(due & BIT(q)) || !vp->vq[q].ready)
			continue;
		vp->cfg.ops->process(vp->cfg.dev, q);
		if (!virtio_pci_running(vp))
			return; /* the model found a violation */
	}
}

/* ------------------------------------------------------------------ */
/* MSI-X table and PBA in BAR 0 (PCI 3.0 §6.8.2.6-10)                   */
/* ------------------------------------------------------------------ */

static uint64_t msix_table_read(struct virtio_pci *vp, uint64_t off, unsigned int size)
{
	uint64_t entry = off / MSIX_ENTRY_SIZE;
	unsigned int field = off % MSIX_ENTRY_SIZE;
	const struct virtio_msix_entry *e;
	uint8_t bytes[MSIX_ENTRY_SIZE];
	uint64_t v = 0;

	if (entry >= VIRTIO_PCI_MSIX_VECTORS) {
		warn_once(vp, WARN_MSIX_RANGE, "MSI-X table access at %#llx beyond entry %u",
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

static void msix_table_write(struct virtio_pci *vp, uint64_t off, unsigned int size,
			     uint64_t val)
{
	uint64_t entry = off / MSIX_ENTRY_SIZE;
	unsigned int field = off % MSIX_ENTRY_SIZE;
	struct virtio_msix_entry *e;
	uint8_t bytes[MSIX_ENTRY_SIZE];

	if (entry >= VIRTIO_PCI_MSIX_VECTORS) {
		warn_once(vp, WARN_MSIX_RANGE, "MSI-X table write at %#llx beyond entry %u; ignored",
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
	msix_deliver_pending(vp);
}

static uint64_t msix_pba_read(struct virtio_pci *vp, uint64_t off, unsigned int size)
{
	uint64_t bits = vp->msix_pending;

	if (off >= MSIX_PBA_BYTES) {
		warn_once(vp, WARN_MSIX_RANGE, "MSI-X PBA access at %#llx beyond its %u bytes",
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

static uint32_t msix_control_read(void *ctx, struct pci_dev *d, unsigned int off,
				  unsigned int size)
{
	struct virtio_pci *vp = ctx;
	unsigned int shift = 8 * (off - (vp->msix_cap + MSIX_CAP_CONTROL));

	return (uint32_t)(msix_control(vp) >> shift) & (uint32_t)((1ULL << (8 * size)) - 1);
}

static void msix_control_write(void *ctx, struct pci_dev *d, unsigned int off,
			       unsigned int size, uint32_t val)
{
	struct virtio_pci *vp = ctx;
	unsigned int shift = 8 * (off - (vp->msix_cap + MSIX_CAP_CONTROL));
	uint32_t mask = (uint32_t)((1ULL << (8 * size)) - 1) << shift;
	uint32_t now = (msix_control(vp) & ~mask) | ((val << shift) & mask);

	vp->msix_enabled = now & MSIX_CTRL_ENABLE;
	vp->msix_masked = now & MSIX_CTRL_FUNCTION_MASK;
	update_intx(vp);
	msix_deliver_pending(vp);
}

/* ------------------------------------------------------------------ */
/* BAR 0 dispatch                                                       */
/* ------------------------------------------------------------------ */

enum bar_region {
	REGION_COMMON,
	REGION_ISR,
	REGION_DEVICE,
	REGION_NOTIFY,
	REGION_MSIX_TABLE,
	REGION_MSIX_PBA,
	REGION_NONE,
};

static enum bar_region region_of(uint64_t off, uint64_t *rel)
{
	*rel = off;
	static const struct { uint64_t base; enum bar_region r; } map[] = {
		{ VIRTIO_PCI_COMMON_OFF, REGION_COMMON },
		{ VIRTIO_PCI_ISR_OFF, REGION_ISR },
		{ VIRTIO_PCI_DEVICE_OFF, REGION_DEVICE },
		{ VIRTIO_PCI_NOTIFY_OFF, REGION_NOTIFY },
		{ VIRTIO_PCI_MSIX_TABLE_OFF, REGION_MSIX_TABLE },
		{ VIRTIO_PCI_MSIX_PBA_OFF, REGION_MSIX_PBA },
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(map); i++) {
		if (off >= map[i].base && off - map[i].base < VIRTIO_PCI_REGION_SIZE) {
			*rel = off - map[i].base;
			return map[i].r;
		}
	}
	return REGION_NONE;
}

/* Sizes 1, 2, 4 naturally aligned; 8 only for the MSI-X structures
 * (PCI 3.0 §6.8.2: DWORD or aligned QWORD accesses). */
static bool access_ok(struct virtio_pci *vp, uint64_t off, unsigned int size, bool write)
{
	bool ok = (size == 1 || size == 2 || size == 4 || size == 8) && off < VIRTIO_PCI_BAR_SIZE &&
		  size <= VIRTIO_PCI_BAR_SIZE - off && IS_ALIGNED(off, size);
	uint64_t rel = 0;
	enum bar_region r = ok ? region_of(off, &rel) : REGION_NONE;

	if (ok && size == 8)
		ok = r == REGION_MSIX_TABLE || r == REGION_MSIX_PBA;
	if (ok && size < 4 && r == REGION_MSIX_TABLE)
		ok = false;
	if (ok && r == REGION_COMMON && rel < VIRTIO_PCI_COMMON_LEN)
		ok = size == common_field_size(rel);
	if (ok && r == REGION_ISR && rel == 0)
		ok = size == 1;
	if (!ok)
		warn_once(vp, WARN_ACCESS, "%u-byte %s at BAR0+%#llx has the wrong size or alignment; %s",
			  size, write ? "write" : "read", (unsigned long long)off,
			  write ? "ignored" : "reads all ones");
	return ok;
}

static void hole(struct virtio_pci *vp, uint64_t off, bool write)
{
	warn_once(vp, WARN_HOLE, "%s at BAR0+%#llx: no register there", write ? "write" : "read",
		  (unsigned long long)off);
}

static bool device_cfg_range(const struct virtio_pci *vp, uint64_t rel, unsigned int size)
{
	return rel < vp->cfg.ops->config_size && size <= vp->cfg.ops->config_size - rel;
}

bool virtio_pci_is_notify(uint64_t off)
{
	return off >= VIRTIO_PCI_NOTIFY_OFF && off - VIRTIO_PCI_NOTIFY_OFF < VIRTIO_PCI_REGION_SIZE;
}

int virtio_pci_notify_write(struct virtio_pci *vp, uint64_t off, unsigned int size)
{
	/* access_ok and notify_write touch only constants, atomics and
	 * fields that are set once (vq ready flags read racily are checked
	 * again by the service). */
	if (virtio_pci_is_notify(off) && access_ok(vp, off, size, true))
		notify_write(vp, off - VIRTIO_PCI_NOTIFY_OFF);
	return 0;
}

int virtio_pci_bar_read(void *dev, uint64_t off, unsigned int size, uint64_t *val)
{
	struct virtio_pci *vp = dev;
	uint64_t rel;

	*val = size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
	if (!access_ok(vp, off, size, false))
		return 0;
	*val = 0;
	switch (region_of(off, &rel)) {
	case REGION_COMMON:
		if (rel < VIRTIO_PCI_COMMON_LEN)
			*val = common_read(vp, rel);
		else
			hole(vp, off, false);
		break;
	case REGION_ISR:
		/* §4.1.4.5: reading ISR clears it and deasserts INTx. */
		if (rel == 0) {
			*val = vp->isr;
			vp->isr = 0;
			update_intx(vp);
		} else {
			hole(vp, off, false);
		}
		break;
	case REGION_DEVICE:
		if (device_cfg_range(vp, rel, size) && vp->cfg.ops->config_read)
			*val = vp->cfg.ops->config_read(vp->cfg.dev, (unsigned int)rel, size);
		else
			hole(vp, off, false);
		break;
	case REGION_MSIX_TABLE:
		*val = msix_table_read(vp, rel, size);
		break;
	case REGION_MSIX_PBA:
		*val = msix_pba_read(vp, rel, size);
		break;
	case REGION_NOTIFY:
		break; /* write-only; reads as zero */
	case REGION_NONE:
		hole(vp, off, false);
		break;
	}
	return 0;
}

int virtio_pci_bar_write(void *dev, uint64_t off, unsigned int size, uint64_t val)
{
	struct virtio_pci *vp = dev;
	uint64_t rel;

	if (!access_ok(vp, off, size, true))
		return 0;
	switch (region_of(off, &rel)) {
	case REGION_COMMON:
		if (rel < VIRTIO_PCI_COMMON_LEN)
			common_write(vp, rel, (uint32_t)val);
		else
			hole(vp, off, true);
		break;
	case REGION_DEVICE:
		if (device_cfg_range(vp, rel, size) && vp->cfg.ops->config_write)
			vp->cfg.ops->config_write(vp->cfg.dev, (unsigned int)rel, size, (uint32_t)val);
		else if (!device_cfg_range(vp, rel, size))
			hole(vp, off, true);
		break;
	case REGION_NOTIFY:
		notify_write(vp, rel);
		break;
	case REGION_MSIX_TABLE:
		msix_table_write(vp, rel, size, val);
		break;
	case REGION_ISR:
	case REGION_MSIX_PBA:
		break; /* read-only */
	case REGION_NONE:
		hole(vp, off, true);
		break;
	}
	return 0;
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
	if (bar == VIRTIO_PCI_BAR && (*len == 1 || *len == 2 || *len == 4) &&
	    IS_ALIGNED(*off, *len))
		return true;
	warn_once(vp, WARN_PCI_CFG,
		  "PCI_CFG window access with bar %u offset %#llx length %u is invalid; ignored",
		  bar, (unsigned long long)*off, *len);
	return false;
}

static uint32_t pci_cfg_data_read(void *ctx, struct pci_dev *d, unsigned int off,
				  unsigned int size)
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
		warn_once(vp, WARN_PCI_CFG, "PCI_CFG window written with %u bytes at %#x for a %u-byte access; ignored",
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
	return vp->msix_cap &&
	       pci_dev_add_cfg_hook(&vp->pci, vp->msix_cap + MSIX_CAP_CONTROL, 2, msix_control_read,
				    msix_control_write, vp);
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
	       pci_dev_add_cfg_hook(&vp->pci, cap + VIRTIO_PCI_CFG_CAP_DATA,
				    VIRTIO_PCI_CFG_DATA_LEN, pci_cfg_data_read, pci_cfg_data_write,
				    vp);
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
	if (o->config_size &&
	    !add_virtio_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF, o->config_size,
			    NULL, 0))
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
	device_reset(vp, tell_model);
	vp->msix_enabled = false;
	vp->msix_masked = false;
	vp->msix_pending = 0;
	/* PCI 3.0 §6.8.2.9: every vector starts masked. */
	for (unsigned int v = 0; v < VIRTIO_PCI_MSIX_VECTORS; v++)
		vp->msix[v] = (struct virtio_msix_entry){ .ctrl = MSIX_ENTRY_CTRL_MASKBIT };
	vp->warned = 0;
	vp->needs_reset_logged = 0;
	pci_dev_reset(&vp->pci);
	update_intx(vp);
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
