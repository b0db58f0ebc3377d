/* SPDX-License-Identifier: BSD-2-Clause */
/* The virtio 1.x PCI transport (virtio 1.2 §4.1), modern interface only.
 * See virtio_pci.h for the BAR 0 layout. MSI-X follows PCI Local Bus 3.0
 * §6.8.2. Everything the guest writes is validated; misuse is logged once
 * per kind and either ignored or answered with DEVICE_NEEDS_RESET. */
#include "drivers/virtio/virtio_pci.h"
#include "drivers/virtio/virtio_pci_internal.h"

#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"

/* Logs fmt once per device for the given kind of misuse. */
void __printf(3, 4) vpci_warn_once(struct virtio_pci *vp, uint32_t kind, const char *fmt, ...)
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
void vpci_update_intx(struct virtio_pci *vp)
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

void vpci_msix_deliver_pending(struct virtio_pci *vp)
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
	vpci_update_intx(vp);
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
		pr_warn("[%s] %s: %s; device needs reset (further ones not logged)", owner_of(vp),
			name_of(vp), reason);
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
void vpci_device_reset(struct virtio_pci *vp, bool tell_model)
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
	vpci_update_intx(vp);
}

/* §3.1.1 step 5: the device accepts the driver's features or leaves
 * FEATURES_OK clear. */
static bool accept_features(struct virtio_pci *vp)
{
	uint64_t extra = vp->driver_features & ~offered_features(vp);

	if (!(vp->driver_features & VIRTIO_FEATURE(VIRTIO_F_VERSION_1))) {
		vpci_warn_once(vp, WARN_FEATURES,
			       "driver did not accept VIRTIO_F_VERSION_1 (legacy driver?); FEATURES_OK refused");
		return false;
	}
	if (extra) {
		vpci_warn_once(vp, WARN_FEATURES,
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
		vpci_device_reset(vp, true);
		return;
	}
	now = val & VIRTIO_STATUS_DRIVER_BITS;
	if (old & (uint8_t)~now & VIRTIO_STATUS_DRIVER_BITS) {
		vpci_warn_once(vp, WARN_STATUS,
			       "driver cleared status bits %#x without a reset; kept",
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
	if (__atomic_load_n(&vp->pending, __ATOMIC_ACQUIRE) && virtio_pci_running(vp) && vp->cfg.kick)
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
		vpci_warn_once(vp, WARN_QUEUE_SIZE,
			       "queue %u: size %u above the maximum %u; ignored", q, val, max);
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
		virtio_pci_needs_reset(vp,
				       "queue %u (size %u, desc %#llx, avail %#llx, used %#llx): %s",
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
		vpci_warn_once(vp, WARN_QUEUE_RESET,
			       "queue_reset written but VIRTIO_F_RING_RESET was not offered; ignored");
		return;
	}
	if (off == VIRTIO_PCI_COMMON_Q_ENABLE && val == 0) {
		/* §4.1.4.3.2: the driver must not write 0 (queue_reset does that). */
		vpci_warn_once(vp, WARN_QUEUE_DISABLE,
			       "queue %u: 0 written to queue_enable; ignored", q);
		return;
	}
	if (vp->qreg[q].enable) {
		vpci_warn_once(vp, WARN_QUEUE_LIVE,
			       "queue %u: register %#llx written while the queue is enabled; ignored",
			       q, (unsigned long long)off);
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
		vpci_warn_once(vp, WARN_FEATURES_LATE,
			       "driver features written after FEATURES_OK; ignored");
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
		vpci_warn_once(vp, WARN_NOTIFY, "notify at offset %#llx: no queue %llu; ignored",
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
	static const struct {
		uint64_t base;
		enum bar_region r;
	} map[] = {
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
		vpci_warn_once(vp, WARN_ACCESS,
			       "%u-byte %s at BAR0+%#llx has the wrong size or alignment; %s", size,
			       write ? "write" : "read", (unsigned long long)off,
			       write ? "ignored" : "reads all ones");
	return ok;
}

static void hole(struct virtio_pci *vp, uint64_t off, bool write)
{
	vpci_warn_once(vp, WARN_HOLE, "%s at BAR0+%#llx: no register there",
		       write ? "write" : "read", (unsigned long long)off);
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
			vpci_update_intx(vp);
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
		*val = vpci_msix_table_read(vp, rel, size);
		break;
	case REGION_MSIX_PBA:
		*val = vpci_msix_pba_read(vp, rel, size);
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
			vp->cfg.ops->config_write(vp->cfg.dev, (unsigned int)rel, size,
						  (uint32_t)val);
		else if (!device_cfg_range(vp, rel, size))
			hole(vp, off, true);
		break;
	case REGION_NOTIFY:
		notify_write(vp, rel);
		break;
	case REGION_MSIX_TABLE:
		vpci_msix_table_write(vp, rel, size, val);
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
