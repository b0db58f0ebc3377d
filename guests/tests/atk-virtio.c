/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-virtio: the virtio-pci attacks virtio-hostile.c does not make (issue
 * 12, "MSI-X messages to arbitrary addresses", "virtqueues placed over
 * MMIO"), with its driver: this file includes virtio-hostile.c whole and
 * runs its own cases instead of that guest's.
 *
 *   - rings over MMIO: the descriptor table on the local APIC page, the
 *     used ring on the device's own BAR: queue_enable refused, NEEDS_RESET;
 *   - a buffer over MMIO (the test device's page, the device's own BAR): the
 *     device must not write entropy into a device: NEEDS_RESET;
 *   - MSI-X table entries aimed outside the APIC window (this partition's
 *     RAM, page 0, the test device, the top of the address space) and into
 *     it at an APIC ID that does not exist or with an illegal vector: each
 *     completion's message is dropped (a real chipset would write the data
 *     to memory; here nothing is written, not even into the attacker's own
 *     RAM), with one warning; then a valid entry delivers exactly once,
 *     which shows the path works. */
#define guest_main virtio_hostile_main
#include "virtio-hostile.c"
#undef guest_main
#include "atk.h"

#define PCI_CAP_ID_MSIX 0x11
#define MSIX_CTRL 2
#define MSIX_CTRL_ENABLE 0x8000u
#define MSIX_CTRL_FMASK 0x4000u
#define MSIX_TABLE 4
#define MSIX_BIR_MASK 7u
#define MSIX_ENTRY_SIZE 16
#define COMMON_Q_MSIX 0x1A
#define MSI_WINDOW 0xFEE00000ull
#define MSI_DEST_SHIFT 12
#define VEC_MSI 0x70

static volatile uint64_t canary[512] __attribute__((aligned(4096)));
static volatile unsigned msi_hits[256];
static uintptr_t own_bar;

static void on_msi(uint8_t v, uintptr_t ip)
{
	(void)ip;
	msi_hits[v]++;
	lapic_wr(LAPIC_EOI, 0);
}

static void buffer_on_testdev(uint16_t qs)
{
	set_desc(desc_table, 0, TESTDEV_MMIO, REQUEST_LEN, DESC_F_WRITE, 0);
	post(qs, 0);
}

static void buffer_on_own_bar(uint16_t qs)
{
	set_desc(desc_table, 0, own_bar, REQUEST_LEN, DESC_F_WRITE, 0);
	post(qs, 0);
}

static const struct ring_case mmio_cases[] = {
	{ .name = "buffer_on_device_mmio", .queue_size = QUEUE_SMALL, .corrupt = buffer_on_testdev },
	{ .name = "buffer_on_own_bar", .queue_size = QUEUE_SMALL, .corrupt = buffer_on_own_bar },
};

static void rings_over_mmio(const struct vdev *d)
{
	struct setup s = default_setup(FEATURE(F_VERSION_1), QUEUE_SMALL);
	s.desc = LAPIC_BASE;
	expect_enable_refused(d, "desc_ring_on_lapic", &s);
	s = default_setup(FEATURE(F_VERSION_1), QUEUE_SMALL);
	s.used = own_bar;
	expect_enable_refused(d, "used_ring_on_own_bar", &s);
}

static unsigned find_msix_cap(unsigned slot)
{
	unsigned cap = pci_read8(slot, PCI_CAP_PTR) & ~3u;
	for (unsigned n = 0; cap && n < PCI_MAX_CAPS; n++) {
		if (pci_read8(slot, cap) == PCI_CAP_ID_MSIX)
			return cap;
		cap = pci_read8(slot, cap + PCI_CAP_NEXT) & ~3u;
	}
	return 0;
}

static void pci_write16(unsigned slot, unsigned reg, uint16_t v)
{
	outl(PCI_CONFIG_ADDRESS, PCI_CONFIG_ENABLE | slot << PCI_DEV_SHIFT | (reg & PCI_REG_MASK));
	outw(PCI_CONFIG_DATA + (reg & 2), v);
}

/* Starts the device with queue 0 on MSI-X vector 0. */
static const char *start_with_msix(const struct vdev *d, unsigned cap)
{
	struct setup s = default_setup(FEATURE(F_VERSION_1), QUEUE_SMALL);
	const char *why;
	uint8_t st = negotiate(d, s.features, &why);
	if (why)
		return why;
	if (!(st & STATUS_FEATURES_OK))
		return "FEATURES_OK refused";
	uint16_t ctrl = pci_read16(d->slot, cap + MSIX_CTRL);
	pci_write16(d->slot, cap + MSIX_CTRL,
		    (uint16_t)((ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_FMASK));
	program_queue(d, &s);
	wr16(d->common, COMMON_Q_MSIX, 0);
	if (rd16(d->common, COMMON_Q_MSIX) != 0)
		return "queue_msix_vector 0 refused";
	wr16(d->common, COMMON_Q_ENABLE, 1);
	set_status(d, STATUS_RUNNING);
	return status(d) == STATUS_RUNNING ? NULL : "status after start";
}

static bool one_request(const struct vdev *d, uint16_t n)
{
	set_desc(desc_table, 0, (uintptr_t)request_buf[0], REQUEST_LEN, DESC_F_WRITE, 0);
	post(QUEUE_SMALL, 0);
	notify_queue(d, RNG_QUEUE);
	bool ok = wait_used(d, n);
	irq_enable();
	atk_spin(5000);
	irq_disable();
	return ok;
}

static void msix_attacks(const struct vdev *d)
{
	unsigned cap = find_msix_cap(d->slot);
	if (!cap) {
		rt_fail("msix_outside_apic_window", "no MSI-X capability");
		return;
	}
	uint32_t tbl = pci_read32(d->slot, cap + MSIX_TABLE);
	volatile uint32_t *entry =
			(volatile uint32_t *)(uintptr_t)(pci_bar_addr(d->slot, tbl & MSIX_BIR_MASK) +
							 (tbl & ~MSIX_BIR_MASK));
	const char *why = start_with_msix(d, cap);
	if (why) {
		rt_fail("msix_outside_apic_window", "setup: %s", why);
		return;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(canary); i++)
		canary[i] = 0x5a5a5a5a5a5a5a5aull;
	const uint64_t outside[] = { (uintptr_t)canary, 0, TESTDEV_MMIO, 0xFFFFFFFFFFFFFFF0ull,
				     (uintptr_t)canary + 0x800 };
	uint16_t n = 0;
	unsigned lost = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(outside); i++) {
		entry[0] = (uint32_t)outside[i];
		entry[1] = (uint32_t)(outside[i] >> 32);
		entry[2] = VEC_MSI;
		entry[3] = 0; /* unmasked */
		lost += !one_request(d, ++n);
	}
	unsigned changed = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(canary); i++)
		changed += canary[i] != 0x5a5a5a5a5a5a5a5aull;
	rt_check("msix_outside_apic_window", lost == 0 && changed == 0 && msi_hits[VEC_MSI] == 0,
		 "%u requests lost, %u canary words changed, %u deliveries", lost, changed,
		 msi_hits[VEC_MSI]);
	/* In the window: a foreign APIC ID, an illegal vector (an exception
	 * vector reaching the IDT would be "unexpected_exception: FAIL"). */
	entry[0] = (uint32_t)(MSI_WINDOW | 0x55u << MSI_DEST_SHIFT);
	entry[1] = 0;
	entry[2] = VEC_MSI;
	lost = !one_request(d, ++n);
	entry[0] = (uint32_t)MSI_WINDOW;
	entry[2] = 3; /* #BP's vector: illegal for an interrupt message */
	lost += !one_request(d, ++n);
	rt_check("msix_foreign_id_illegal_vector", lost == 0 && msi_hits[VEC_MSI] == 0,
		 "%u requests lost, %u deliveries", lost, msi_hits[VEC_MSI]);
	entry[2] = VEC_MSI; /* now valid: to APIC ID 0, this vCPU */
	lost = !one_request(d, ++n);
	rt_check("msix_valid_delivers_once", lost == 0 && msi_hits[VEC_MSI] == 1,
		 "%u requests lost, %u deliveries, want 1", lost, msi_hits[VEC_MSI]);
	device_reset(d);
	uint16_t ctrl = pci_read16(d->slot, cap + MSIX_CTRL);
	pci_write16(d->slot, cap + MSIX_CTRL, (uint16_t)(ctrl & ~MSIX_CTRL_ENABLE));
}

void guest_main(void)
{
	struct vdev d = { 0 };
	if (!rt_hv_present() || !discover(&d))
		return;
	d.tsc_per_ms = calibrate_tsc();
	own_bar = (uintptr_t)d.common & ~0xFFFul;
	rt_set_irq_handler(VEC_MSI, on_msi);
	lapic_enable();
	rings_over_mmio(&d);
	for (unsigned i = 0; i < ARRAY_SIZE(mmio_cases); i++)
		run_ring_case(&d, &mmio_cases[i]);
	msix_attacks(&d);
	case_valid_request(&d, "recovers");
	device_reset(&d);
}
