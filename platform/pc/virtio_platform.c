/* SPDX-License-Identifier: BSD-2-Clause */
/* A partition's virtio devices: creation from the manifest, PCI placement,
 * BAR mapping, interrupt wiring and the device-service tasks.
 *
 *   PCI slot   device         BAR 0 (firmware's choice; Linux keeps it)
 *   1..4       virtio-blk     VIRTIO_MMIO_BASE + index * VIRTIO_PCI_BAR_SIZE
 *   5          virtio-net
 *   6          virtio-rng
 *   7          virtio-console
 *
 * Guests reach BAR 0 through MMIO exits; the range follows the BAR when
 * the guest moves it (bar_changed) and answers only while memory decoding
 * is on. Notifications queue the device's service task
 * (sched_service_kick); the task runs virtio_pci_service on whichever CPU
 * picks it up.
 *
 * Locking. Each device has its own lock (vdev_slot.lock) for its transport
 * and model state. Exit paths (BAR and config-space accesses) and resets
 * already hold the partition lock and take the device lock inside it; the
 * service task takes only the device lock, so a long batch of descriptors
 * never holds up the vCPUs' other exits (UART, LAPIC, timers), and a
 * notify takes no device lock at all (it sets an atomic pending bit).
 * Interrupts the service raises need the partition's interrupt
 * controllers: they are held in the slot and delivered under the partition
 * lock once the device lock is released (device_release). */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/tsc.h"
#include "core/console.h"
#include "core/lib/drbg.h"
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/mm/heap.h"
#include "core/partition.h"
#include "core/sched.h"
#include "platform/pc/virtio_platform.h"
#include "arch/x86/hostdev/cmos_clock.h"
#include "drivers/virtio/virtio_blk.h"
#include "drivers/virtio/virtio_console.h"
#include "drivers/virtio/virtio_net.h"
#include "drivers/virtio/virtio_pci.h"
#include "drivers/virtio/virtio_rng.h"

/* Inside the DSDT's 32-bit PCI window (ACPI_PCI_MMIO32_DEFAULT_BASE). */
#define VIRTIO_MMIO_BASE 0xC0000000ULL
#define VIRTIO_SLOT_BLK 1
#define VIRTIO_SLOT_NET 5
#define VIRTIO_SLOT_RNG 6
#define VIRTIO_SLOT_CONSOLE 7
#define VIRTIO_MAX_DEVICES (MANIFEST_MAX_DISKS + 3)

/* One device as the platform sees it. */
#define DEFERRED_MSI_MAX VIRTIO_PCI_MSIX_VECTORS

struct vdev_slot {
	struct partition *part;
	struct virtio_pci *vp; /* inside the model's struct */
	struct service_task task;
	spinlock_t lock; /* the device's state; inside p->lock if both */
	/* Set while a CPU holds `lock` without p->lock (service task, console
	 * input): interrupts raised meanwhile wait in `deferred`. */
	bool claimed;
	struct {
		struct {
			uint64_t addr;
			uint32_t data;
		} msi[DEFERRED_MSI_MAX];
		unsigned int nr_msi;
		bool intx_changed, intx_level;
		unsigned int intx_line;
	} deferred;
	struct msi_sink msi_out; /* the partition's MSI delivery */
	struct irq_sink gsi_out; /* the I/O APIC's inputs */
	struct irq_sink intx_in; /* what the transport raises INTx on */
	unsigned int pci_slot;
	uint64_t bar_base; /* where its iobus range is */
	bool mapped;
	char name[24];
};

struct virtio_devices {
	struct vdev_slot slot[VIRTIO_MAX_DEVICES];
	unsigned int nr;
	struct virtio_blk *blk[MANIFEST_MAX_DISKS];
	struct virtio_net *net;
	struct virtio_rng *rng;
	struct drbg drbg; /* the rng's source without RDRAND */
	struct virtio_console *con;
	struct console_source hvc; /* the virtio console's output lines */
	char hvc_name[MANIFEST_NAME_MAX + 8];
	uint64_t bytes;
};

/* ---- the device lock and deferred interrupts --------------------------- */

static void slot_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct vdev_slot *s = ctx;
	if (!s->claimed) {
		msi_send(&s->msi_out, addr, data); /* the caller holds p->lock */
		return;
	}
	/* The same message twice before delivery is one interrupt anyway
	 * (the LAPIC's IRR bit is already set by the first). */
	for (unsigned int i = 0; i < s->deferred.nr_msi; i++)
		if (s->deferred.msi[i].addr == addr && s->deferred.msi[i].data == data)
			return;
	if (s->deferred.nr_msi == DEFERRED_MSI_MAX) {
		/* Distinct messages come from distinct MSI-X entries, which
		 * cannot change while the device is claimed. */
		pr_warn("[%s] %s: more than %u interrupt messages in one service; %#lx/%#x dropped",
			s->part->name, s->name, DEFERRED_MSI_MAX, addr, data);
		return;
	}
	s->deferred.msi[s->deferred.nr_msi].addr = addr;
	s->deferred.msi[s->deferred.nr_msi].data = data;
	s->deferred.nr_msi++;
}

static void slot_intx(void *ctx, unsigned int line, bool level)
{
	struct vdev_slot *s = ctx;
	if (!s->claimed) {
		irq_set(&s->gsi_out, line, level);
		return;
	}
	s->deferred.intx_changed = true;
	s->deferred.intx_level = level;
	s->deferred.intx_line = line;
}

/* Take the device without the partition lock (service task, console
 * input). */
static void device_claim(struct vdev_slot *s)
{
	spin_lock(&s->lock);
	s->claimed = true;
}

/* Release it and deliver what it raised meanwhile, under p->lock. */
static void device_release(struct vdev_slot *s)
{
	typeof(s->deferred) d = s->deferred;
	s->deferred.nr_msi = 0;
	s->deferred.intx_changed = false;
	s->claimed = false;
	spin_unlock(&s->lock);
	if (!d.nr_msi && !d.intx_changed)
		return;
	partition_lock(s->part);
	for (unsigned int i = 0; i < d.nr_msi; i++)
		msi_send(&s->msi_out, d.msi[i].addr, d.msi[i].data);
	if (d.intx_changed)
		irq_set(&s->gsi_out, d.intx_line, d.intx_level);
	partition_unlock(s->part);
}

/* Config-space accesses come through the PCI host with p->lock held. */
static void config_access_lock(void *ctx, bool take)
{
	struct vdev_slot *s = ctx;
	if (take)
		spin_lock(&s->lock);
	else
		spin_unlock(&s->lock);
}

/* ---- BAR 0 on the iobus ------------------------------------------------ */

static bool bar_live(const struct vdev_slot *s)
{
	struct pci_bar_mapping m = pci_dev_bar_mapping(&s->vp->pci, VIRTIO_PCI_BAR);
	return m.decode && m.addr == s->bar_base;
}

/* Called with p->lock held (exits.c dispatches MMIO under it). */
static int bar_read(void *dev, uint64_t off, unsigned int size, uint64_t *val)
{
	struct vdev_slot *s = dev;
	if (!bar_live(s)) {
		*val = ~0ULL;
		return 0;
	}
	spin_lock(&s->lock);
	int r = virtio_pci_bar_read(s->vp, off, size, val);
	spin_unlock(&s->lock);
	return r;
}

static int bar_write(void *dev, uint64_t off, unsigned int size, uint64_t val)
{
	struct vdev_slot *s = dev;
	if (!bar_live(s))
		return 0;
	/* A notify only sets a pending bit: it must not wait for a service
	 * batch in progress (virtio_pci_notify_write needs no device lock). */
	if (virtio_pci_is_notify(off))
		return virtio_pci_notify_write(s->vp, off, size);
	spin_lock(&s->lock);
	int r = virtio_pci_bar_write(s->vp, off, size, val);
	spin_unlock(&s->lock);
	return r;
}

/* The guest moved BAR 0 or switched decoding: follow it. Called with the
 * partition lock held (config writes come through the PCI host). */
static void bar_changed(void *ctx, struct pci_dev *dev, unsigned int bar,
			struct pci_bar_mapping old, struct pci_bar_mapping now)
{
	struct vdev_slot *s = ctx;
	struct iobus *bus = &s->part->bus;
	(void)dev;
	(void)old;
	if (bar != VIRTIO_PCI_BAR || !now.decode || now.addr == s->bar_base)
		return;
	if (!IS_ALIGNED(now.addr, VIRTIO_PCI_BAR_SIZE) ||
	    now.addr >= GiB(4) - VIRTIO_PCI_BAR_SIZE || now.addr < s->part->ram_size) {
		pr_warn("[%s] %s: BAR 0 at %#lx overlaps RAM or leaves the 32-bit window; not mapped",
			s->part->name, s->name, now.addr);
		return;
	}
	bool ok = s->mapped ? iobus_move_mmio(bus, s, s->bar_base, now.addr)
			    : iobus_add_mmio(bus, now.addr, VIRTIO_PCI_BAR_SIZE, bar_read,
					     bar_write, s, s->name);
	if (!ok) {
		pr_warn("[%s] %s: BAR 0 at %#lx overlaps another device; not mapped", s->part->name,
			s->name, now.addr);
		return;
	}
	s->mapped = true;
	s->bar_base = now.addr;
}

/* What PC firmware does before the OS runs: give BAR 0 an address and turn
 * on memory decoding and bus mastering (PCI 3.0 §6.2.2, §6.2.5.1). */
static void firmware_program(struct pci_host *pci, struct vdev_slot *s, unsigned int index)
{
	uint64_t base = VIRTIO_MMIO_BASE + (uint64_t)index * VIRTIO_PCI_BAR_SIZE;
	unsigned int bar_reg = PCI_BASE_ADDRESS_0 + 4 * VIRTIO_PCI_BAR;
	pci_host_config_write(pci, 0, s->pci_slot, 0, bar_reg, 4, (uint32_t)base);
	pci_host_config_write(pci, 0, s->pci_slot, 0, bar_reg + 4, 4, (uint32_t)(base >> 32));
	pci_host_config_write(pci, 0, s->pci_slot, 0, PCI_COMMAND, 2,
			      PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* ---- service tasks ----------------------------------------------------- */

static void service_run(void *ctx)
{
	struct vdev_slot *s = ctx;
	device_claim(s);
	virtio_pci_service(s->vp);
	device_release(s);
}

static void transport_kick(void *ctx, struct virtio_pci *vp)
{
	struct vdev_slot *s = ctx;
	(void)vp;
	sched_service_kick(&s->task);
}

static struct vdev_slot *new_slot(struct partition *p, struct virtio_devices *vd,
				  unsigned int pci_slot, const char *what)
{
	struct vdev_slot *s = &vd->slot[vd->nr++];
	s->part = p;
	s->pci_slot = pci_slot;
	bh_snprintf(s->name, sizeof(s->name), "%s", what);
	s->task = (struct service_task){ .name = s->name, .part = p, .run = service_run, .ctx = s };
	return s;
}

static struct virtio_pci_config base_config(struct partition *p,
					    const struct virtio_platform_wiring *w,
					    struct vdev_slot *s)
{
	(void)p;
	s->msi_out = w->msi;
	s->gsi_out = w->gsi;
	s->intx_in = (struct irq_sink){ slot_intx, s };
	return (struct virtio_pci_config){
		.owner = p->name,
		.mem = &p->mem,
		.msi = (struct msi_sink){ slot_msi, s },
		.intx = &s->intx_in,
		.intx_line = w->pci_gsi_base + s->pci_slot % 4,
		.kick = transport_kick,
		.kick_ctx = s,
	};
}

static bool plug(struct partition *p, const struct virtio_platform_wiring *w, struct vdev_slot *s,
		 unsigned int index)
{
	pci_dev_set_bar_callback(&s->vp->pci, bar_changed, s);
	pci_dev_set_access_lock(&s->vp->pci, config_access_lock, s);
	if (!pci_host_add_device(w->pci, s->pci_slot, &s->vp->pci)) {
		pr_err("[%s] %s: PCI slot %u is taken", p->name, s->name, s->pci_slot);
		return false;
	}
	firmware_program(w->pci, s, index);
	pr_info("[%s] %s at PCI 00:%02x.0, BAR0 %#lx, INTA GSI %u", p->name, s->name, s->pci_slot,
		s->bar_base, w->pci_gsi_base + s->pci_slot % 4);
	return true;
}

/* ---- rng --------------------------------------------------------------- */

static bool have_rdrand(void)
{
	return (cpuid(1, 0).ecx >> 30) & 1; /* CPUID.01H:ECX.RDRAND[bit 30] */
}

/* RDRAND (SDM Vol. 1 §7.3.17.1): CF=1 when a value was returned; retry a
 * few times as Intel's DRNG guide advises, then fall back on the DRBG. */
static size_t rdrand_fill(void *ctx, void *buf, size_t len)
{
	struct virtio_devices *vd = ctx;
	uint8_t *out = buf;
	size_t done = 0;
	while (done < len) {
		uint64_t v;
		uint8_t ok = 0;
		for (int tries = 0; tries < 10 && !ok; tries++)
			__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		if (!ok)
			return done + drbg_generate(&vd->drbg, out + done, len - done);
		size_t n = MIN(len - done, sizeof(v));
		bh_memcpy(out + done, &v, n);
		done += n;
	}
	return done;
}

static bool add_rng(struct partition *p, struct virtio_devices *vd,
		    const struct virtio_platform_wiring *w)
{
	struct vdev_slot *s = new_slot(p, vd, VIRTIO_SLOT_RNG, "virtio-rng");
	vd->rng = kzalloc(sizeof(*vd->rng));
	if (!vd->rng)
		return false;
	vd->bytes += sizeof(*vd->rng);
	/* Seed: TSC, host RTC and the partition's identity. Not a secret
	 * from the host, but distinct per partition and per boot. */
	struct {
		uint64_t tsc, wall;
		uint32_t id;
		char name[MANIFEST_NAME_MAX];
	} seed = { rdtsc(), host_wall_ns(), p->id, { 0 } };
	bh_memcpy(seed.name, p->name, sizeof(seed.name));
	drbg_init(&vd->drbg, &seed, sizeof(seed));
	struct virtio_pci_config cfg = base_config(p, w, s);
	virtio_rng_fill_fn fill = have_rdrand() ? rdrand_fill : drbg_fill;
	void *fill_ctx = have_rdrand() ? (void *)vd : (void *)&vd->drbg;
	if (!virtio_rng_init(vd->rng, &cfg, fill, fill_ctx))
		return false;
	s->vp = &vd->rng->vp;
	pr_info("[%s] virtio-rng entropy from %s", p->name,
		have_rdrand() ? "RDRAND" : "a ChaCha20 DRBG");
	return plug(p, w, s, vd->nr - 1);
}

/* ---- console ----------------------------------------------------------- */

/* The virtio console's output goes into its ring like COM1's, and the
 * scheduler prints it in the partition's slices (docs/console.md). Printed
 * here at once, a service run of VIRTIO_CONSOLE_TX_BUDGET bytes kept the
 * host CPU for 5.7 s at 115200 baud, and a flood of valid output reached
 * the serial port whole (atk-vcons: 6.8 MB in 1.5 s of guest time); now
 * what outruns the port is dropped and counted. */
static void hvc_output(void *ctx, const uint8_t *buf, size_t len)
{
	struct virtio_devices *vd = ctx;
	for (size_t i = 0; i < len; i++)
		console_source_putc(&vd->hvc, (char)buf[i]);
}

static size_t hvc_input(void *ctx, const uint8_t *buf, size_t len)
{
	struct vdev_slot *s = ctx;
	struct virtio_console *c = container_of(s->vp, struct virtio_console, vp);
	device_claim(s);
	size_t n = virtio_console_input(c, buf, len);
	if (n)
		virtio_pci_requeue(s->vp, 0);
	device_release(s);
	return n;
}

static bool add_console(struct partition *p, struct virtio_devices *vd,
			const struct virtio_platform_wiring *w)
{
	struct vdev_slot *s = new_slot(p, vd, VIRTIO_SLOT_CONSOLE, "virtio-console");
	vd->con = kzalloc(sizeof(*vd->con));
	if (!vd->con)
		return false;
	vd->bytes += sizeof(*vd->con);
	bh_snprintf(vd->hvc_name, sizeof(vd->hvc_name), "%s:hvc0", p->name);
	vd->hvc.name = vd->hvc_name;
	struct virtio_pci_config cfg = base_config(p, w, s);
	if (!virtio_console_init(vd->con, &cfg, hvc_output, vd, 80, 25))
		return false;
	s->vp = &vd->con->vp;
	/* Its input joins the focus cycle when the partition starts, after
	 * COM1 (partition.c): virtio_devices_console(). */
	console_source_set_input(&vd->hvc, hvc_input, s);
	return plug(p, w, s, vd->nr - 1);
}

/* ---- block ------------------------------------------------------------- */

static bool add_blk(struct partition *p, struct virtio_devices *vd,
		    const struct virtio_platform_wiring *w, unsigned int k,
		    const struct partition_disk *d)
{
	struct vdev_slot *s = new_slot(p, vd, VIRTIO_SLOT_BLK + k, "virtio-blk");
	bh_snprintf(s->name, sizeof(s->name), "virtio-blk vd%c", 'a' + k);
	vd->blk[k] = kzalloc(sizeof(*vd->blk[k]));
	if (!vd->blk[k])
		return false;
	vd->bytes += sizeof(*vd->blk[k]);
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	bh_snprintf(serial, sizeof(serial), "bulkhead-%s-vd%c", p->name, 'a' + k);
	struct virtio_pci_config cfg = base_config(p, w, s);
	if (!virtio_blk_init(vd->blk[k], &cfg, d->data, d->size, d->readonly, serial))
		return false;
	s->vp = &vd->blk[k]->vp;
	pr_info("[%s] vd%c: %lu KiB RAM disk from %s%s", p->name, 'a' + k, d->size >> 10, d->origin,
		d->readonly ? ", read-only" : "");
	return plug(p, w, s, vd->nr - 1);
}

/* ---- network ----------------------------------------------------------- */

/* The L2 switches, created by name as partitions are (boot CPU, before
 * any partition runs); afterwards only their own locks guard them. */
#define MAX_SWITCHES 8
static struct net_switch switches[MAX_SWITCHES];
static char switch_names[MAX_SWITCHES][MANIFEST_NAME_MAX];
static unsigned int nr_switches;

static uint64_t switch_clock(void *ctx)
{
	(void)ctx;
	return time_ns();
}

static struct net_switch *switch_named(const char *name)
{
	for (unsigned int i = 0; i < nr_switches; i++)
		if (!bh_strcmp(switch_names[i], name))
			return &switches[i];
	if (nr_switches == MAX_SWITCHES)
		return NULL;
	unsigned int i = nr_switches++;
	bh_snprintf(switch_names[i], sizeof(switch_names[i]), "%s", name);
	net_switch_init(&switches[i], switch_names[i], switch_clock, NULL);
	pr_info("net: switch %s created", name);
	return &switches[i];
}

/* Without mac=: a locally administered unicast address (IEEE 802 §8.2:
 * bit 1 of the first octet set, bit 0 clear) from the partition's id. */
static void default_mac(const struct partition *p, uint8_t mac[NET_ETH_ALEN])
{
	const uint8_t m[NET_ETH_ALEN] = { 0x52, 0x54, 0x42, 0x48, 0x00, (uint8_t)(p->id + 1) };
	bh_memcpy(mac, m, NET_ETH_ALEN);
}

static bool add_net(struct partition *p, struct virtio_devices *vd,
		    const struct virtio_platform_wiring *w)
{
	struct vdev_slot *s = new_slot(p, vd, VIRTIO_SLOT_NET, "virtio-net");
	struct net_switch *sw = switch_named(p->cfg.net);
	if (!sw) {
		pr_err("[%s] net: more than %u switches", p->name, MAX_SWITCHES);
		return false;
	}
	vd->net = kzalloc(sizeof(*vd->net));
	if (!vd->net)
		return false;
	vd->bytes += sizeof(*vd->net);
	uint8_t mac[NET_ETH_ALEN];
	if (p->cfg.mac_given)
		bh_memcpy(mac, p->cfg.mac, NET_ETH_ALEN);
	else
		default_mac(p, mac);
	struct virtio_pci_config cfg = base_config(p, w, s);
	if (!virtio_net_init(vd->net, &cfg, mac, sw))
		return false;
	s->vp = &vd->net->vp;
	pr_info("[%s] eth0 %02x:%02x:%02x:%02x:%02x:%02x on switch %s", p->name, mac[0], mac[1],
		mac[2], mac[3], mac[4], mac[5], p->cfg.net);
	return plug(p, w, s, vd->nr - 1);
}

/* ---- the partition's set ----------------------------------------------- */

bool virtio_devices_attach(struct partition *p, const struct virtio_platform_wiring *w,
			   const struct partition_disk *disks, unsigned int nr_disks)
{
	const struct manifest_entry *cfg = &p->cfg;
	if (!nr_disks && !cfg->net[0] && !cfg->devices)
		return true;
	struct virtio_devices *vd = kzalloc(sizeof(*vd));
	if (!vd)
		return false;
	vd->bytes = sizeof(*vd);
	p->virtio = vd;
	for (unsigned int k = 0; k < nr_disks; k++) {
		if (!add_blk(p, vd, w, k, &disks[k])) {
			pr_err("[%s] refused: could not build its virtio-blk vd%c", p->name, 'a' + k);
			return false;
		}
	}
	if (cfg->net[0] && !add_net(p, vd, w)) {
		pr_err("[%s] refused: could not build its virtio-net", p->name);
		return false;
	}
	if ((cfg->devices & MANIFEST_DEV_RNG) && !add_rng(p, vd, w)) {
		pr_err("[%s] refused: could not build its virtio-rng", p->name);
		return false;
	}
	if ((cfg->devices & MANIFEST_DEV_CONSOLE) && !add_console(p, vd, w)) {
		pr_err("[%s] refused: could not build its virtio-console", p->name);
		return false;
	}
	return true;
}

void virtio_devices_reset(struct partition *p, const struct virtio_platform_wiring *w)
{
	struct virtio_devices *vd = p->virtio;
	if (!vd)
		return;
	for (unsigned int i = 0; i < vd->nr; i++) {
		struct vdev_slot *s = &vd->slot[i];
		spin_lock(&s->lock); /* waits for a service batch in progress */
		virtio_pci_reset(s->vp);
		spin_unlock(&s->lock);
		pci_dev_set_bar_callback(&s->vp->pci, bar_changed, s);
		pci_dev_set_access_lock(&s->vp->pci, config_access_lock, s);
		pci_host_add_device(w->pci, s->pci_slot, &s->vp->pci);
		firmware_program(w->pci, s, i);
	}
}

struct console_source *virtio_devices_console(struct partition *p)
{
	struct virtio_devices *vd = p->virtio;
	return vd && vd->con ? &vd->hvc : NULL;
}

uint64_t virtio_devices_bytes(const struct partition *p)
{
	const struct virtio_devices *vd = p->virtio;
	return vd ? vd->bytes : 0;
}

void virtio_devices_print_stats(const struct partition *p)
{
	const struct virtio_devices *vd = p->virtio;
	for (unsigned int i = 0; vd && i < vd->nr; i++) {
		const struct vdev_slot *s = &vd->slot[i];
		pr_info("[%s]   %-15s %lu notifies, %lu interrupts, %lu service runs", p->name,
			s->name, s->vp->notifies, s->vp->interrupts, s->task.runs);
	}
	if (vd && vd->con) {
		uint64_t written, dropped;
		/* The ring's lock is only taken, never kept (const is safe). */
		console_source_counts((struct console_source *)&vd->hvc, &written, &dropped);
		pr_info("[%s]   hvc0: %lu bytes written, %lu dropped (output faster than the serial "
			"port), %lu past a chain's %u bytes discarded",
			p->name, written, dropped, vd->con->tx_discarded, VIRTIO_CONSOLE_TX_BUDGET);
	}
	if (vd && vd->net) {
		const struct virtio_net_stats *n = &vd->net->stats;
		const struct net_port_stats *ps = &vd->net->port.stats;
		pr_info("[%s]   eth0: sent %lu frames (%lu bytes), received %lu frames (%lu bytes) "
			"in %lu buffers, %lu dropped on a full receive backlog",
			p->name, n->tx_frames, n->tx_bytes, n->rx_frames, n->rx_bytes,
			n->rx_buffers, ps->rx_dropped_full);
	}
}
