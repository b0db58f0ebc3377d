/* SPDX-License-Identifier: BSD-2-Clause */
/* The emulated PC around a partition's vCPUs (docs/platform.md):
 *
 *   port  0x20/0xA0  8259A PIC pair (+ ELCR 0x4D0)   -> INTR -> BSP LINT0 (ExtINT)
 *   port  0x40-0x43  8254 PIT, 0x61 its gate/speaker  -> ISA IRQ 0 (GSI 2)
 *   port  0x60/0x64  8042 (reset line, no keyboard)   -> ISA IRQ 1/12
 *   port  0x70/0x71  MC146818 RTC/CMOS                -> ISA IRQ 8
 *   port  0x80, 0x92 POST code, fast reset/A20
 *   port  0x3F8      16550A UART (COM1, the console)  -> ISA IRQ 4
 *   port  0x600      ACPI PM1 event/control, PM timer -> SCI, ISA IRQ 9
 *   port  0xCF8      PCI configuration mechanism #1 (0xCF9: reset control)
 *   port  0x510/0x511 QEMU fw_cfg (fw_cfg=on; default for kind=multiboot)
 *   port  PORT       isa-debug-exit (debug-exit=PORT, opt-in)
 *   mmio  0xFEC00000 I/O APIC, 24 pins: ISA IRQs (0 -> 2), PCI INTx 16-23
 *   mmio  0xFEE00000 each vCPU's local APIC (xAPIC page; x2APIC MSRs too)
 *   ram   0xE0000    ACPI tables (acpi=on: Linux and Multiboot by default),
 *                    found by the RSDP scan
 *
 * ISA lines go to both the PIC and the I/O APIC, as on a PC; the guest
 * masks the one it does not use. Messages (I/O APIC redirections, IPIs)
 * are routed to local APICs by destination; a LAPIC's pending vector is
 * injected before the vCPU's next entry (vcpu_deliver_interrupts).
 *
 * Every model is a plain state machine from drivers/vdev; this file only
 * wires them: ISA interrupt lines, the reset input, the partition's clock,
 * and the timer bookkeeping the scheduler needs. */
#include "arch/x86/cpu/cpu.h"
#include "core/console.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/mm/heap.h"
#include "core/platform.h"
#include "core/sched.h"
#include "arch/x86/hostdev/cmos_clock.h"
#include "core/percpu.h"
#include "drivers/vdev/acpi_pm.h"
#include "drivers/vdev/acpi_tables.h"
#include "drivers/vdev/debug_exit.h"
#include "drivers/vdev/fw_cfg.h"
#include "core/loader/multiboot_boot.h"
#include "drivers/vdev/i8042.h"
#include "drivers/vdev/ioapic.h"
#include "drivers/vdev/lapic.h"
#include "drivers/vdev/pci_host.h"
#include "drivers/vdev/pic8259.h"
#include "drivers/vdev/pit8254.h"
#include "drivers/vdev/rtc_cmos.h"
#include "drivers/vdev/sys_ports.h"
#include "drivers/vdev/testdev.h"
#include "drivers/vdev/uart16550.h"
#include "arch/x86/cpu/tsc.h"
#include "platform/pc/pc.h"
#include "platform/pc/virtio_platform.h"

/* ISA interrupt lines of a PC (IBM PC/AT technical reference). */
#define ISA_IRQ_PIT 0
#define ISA_IRQ_COM1 4
#define ISA_IRQ_RTC 8
#define ISA_IRQ_CASCADE 2
#define ISA_NR_IRQS 16
#define GSI_PIT 2 /* the MADT's interrupt source override IRQ0 -> GSI2 */

#define PIT_BASE_PORT 0x40
#define PIT_NR_DATA_PORTS 4
#define PORT61 0x61
#define RTC_BASE_PORT 0x70
#define RTC_NR_BASE_PORTS 2

STATIC_ASSERT(ACPI_MAX_CPUS == MAX_VCPUS_PER_PARTITION, "one MADT entry per possible vCPU");
STATIC_ASSERT(VDEV_NO_DEADLINE == PART_NO_DEADLINE, "the scheduler reads the models' deadlines");

struct platform {
	struct partition *part;
	struct vclock clock;
	struct irq_sink isa_irq;  /* ISA IRQ 0-15 into the interrupt controllers */
	struct irq_sink pic_intr; /* the PIC's INTR output */
	struct reset_sink reset;

	struct uart16550 com1;
	struct pic8259 pic;
	struct pit8254 pit;
	struct rtc_cmos rtc;
	struct i8042 kbc;
	struct sys_ports sys;
	struct ioapic ioapic;
	struct pci_host pci;
	struct acpi_pm pm;
	struct power_sink power;
	struct msi_sink msi;
	struct lapic lapic[MAX_VCPUS_PER_PARTITION];
	unsigned int nr_lapics;
	bool has_fw_cfg;
	struct fw_cfg fw_cfg;
	struct debug_exit debug_exit;
	struct testdev testdev; /* test devices (drivers/vdev/testdev.h) */
	uint64_t msi_dropped;   /* interrupt messages outside the APIC window */
};

/* ---- time ------------------------------------------------------------- */

static uint64_t clock_now_ns(void *ctx)
{
	return partition_time_ns(ctx);
}

static uint64_t clock_now_tsc(void *ctx)
{
	(void)ctx;
	return rdtsc(); /* guests run with TSC offset 0 */
}

/* Timers are split by who ticks them (core/sched.c, "Time"): the PIT, RTC
 * and PM timer belong to the partition and are ticked by the home CPU of
 * its vCPU 0; each local APIC timer belongs to its vCPU and is ticked by
 * that vCPU's home CPU, so a vCPU's own timer never needs an IPI. */
static uint64_t partition_timers_deadline(struct platform *pf)
{
	uint64_t d = pit8254_next_deadline(&pf->pit);
	d = MIN(d, rtc_cmos_next_deadline(&pf->rtc));
	return MIN(d, acpi_pm_next_deadline(&pf->pm));
}

/* A guest access may have (re)programmed a timer: keep the partition's
 * deadline current and tell the scheduler if it moved earlier. */
static void timers_changed(struct platform *pf)
{
	struct partition *p = pf->part;
	uint64_t d = partition_timers_deadline(pf);
	bool earlier = d < p->next_deadline_ns;
	p->next_deadline_ns = d;
	if (earlier)
		sched_deadline_moved(p);
}

/* The same for one local APIC timer (the guest wrote its LVT timer,
 * initial count, divider or TSC deadline). */
static void lapic_timer_changed(struct platform *pf, unsigned int id)
{
	struct vcpu *v = id < pf->part->nr_vcpus ? pf->part->vcpu[id] : NULL;
	if (!v)
		return;
	uint64_t d = lapic_next_deadline(&pf->lapic[id]);
	bool earlier = d < v->timer_deadline_ns;
	v->timer_deadline_ns = d;
	if (earlier)
		sched_vcpu_deadline_moved(v);
}

static void pc_tick(struct partition *p)
{
	struct platform *pf = p->platform;
	partition_lock(p);
	uint64_t now = partition_time_ns(p);
	pit8254_tick(&pf->pit, now);
	rtc_cmos_tick(&pf->rtc, now);
	acpi_pm_tick(&pf->pm, now);
	p->next_deadline_ns = partition_timers_deadline(pf);
	partition_unlock(p);
}

static void pc_tick_vcpu(struct vcpu *v)
{
	struct partition *p = v->part;
	struct platform *pf = p->platform;
	if (v->id >= pf->nr_lapics)
		return;
	partition_lock(p);
	lapic_tick(&pf->lapic[v->id], partition_time_ns(p));
	v->timer_deadline_ns = lapic_next_deadline(&pf->lapic[v->id]);
	partition_unlock(p);
}

/* ---- interrupts -------------------------------------------------------- */

static void isa_set_irq(void *ctx, unsigned int line, bool level)
{
	struct platform *pf = ctx;
	if (line >= ISA_NR_IRQS || line == ISA_IRQ_CASCADE)
		return;
	pic8259_set_irq(&pf->pic, line, level);
	ioapic_set_irq(&pf->ioapic, line == ISA_IRQ_PIT ? GSI_PIT : line, level);
}

static struct vcpu *lapic_vcpu(struct platform *pf, const struct lapic *l)
{
	return pf->part->vcpu[l - pf->lapic];
}

/* The PIC's INTR pin drives the BSP's LINT0 (virtual-wire mode, the state
 * PC firmware leaves; Intel MP spec 1.4 §3.6.2.2). */
static void pic_intr_changed(void *ctx, unsigned int line, bool level)
{
	struct platform *pf = ctx;
	(void)line;
	if (!pf->nr_lapics)
		return;
	lapic_set_lint(&pf->lapic[0], 0, level);
	if (level)
		vcpu_kick(pf->part->vcpu[0]);
}

/* One message (IPI, I/O APIC redirection, MSI) to the LAPICs it names.
 * Lowest priority goes to the first match (SDM Vol. 3A §10.6.2.4 leaves
 * the choice to the platform). */
static void route_message(struct platform *pf, const struct lapic *src, const struct lapic_msg *m)
{
	for (unsigned int i = 0; i < pf->nr_lapics; i++) {
		struct lapic *dst = &pf->lapic[i];
		if (!lapic_msg_targets(src, dst, m))
			continue;
		lapic_accept(dst, m);
		if (m->delivery == LAPIC_DM_LOWEST)
			return;
	}
}

static void msi_to_lapics(void *ctx, uint64_t addr, uint32_t data)
{
	struct platform *pf = ctx;
	struct lapic_msg m;
	if (!lapic_msi_decode(addr, data, &m)) {
		/* Once: a guest decides how many messages its devices send, and
		 * the log is every partition's (atk-virtio). */
		if (pf->msi_dropped++ == 0)
			pr_warn("[%s] platform: interrupt message to %#lx outside the APIC window "
				"dropped (further ones dropped silently)",
				pf->part->name, addr);
		return;
	}
	route_message(pf, NULL, &m);
}

static void lapic_send_ipi(void *ctx, struct lapic *src, const struct lapic_msg *m)
{
	route_message(ctx, src, m);
}

static void lapic_eoi_broadcast(void *ctx, struct lapic *l, uint8_t vector)
{
	struct platform *pf = ctx;
	(void)l;
	ioapic_eoi(&pf->ioapic, vector);
}

static void lapic_kick(void *ctx, struct lapic *l)
{
	vcpu_kick(lapic_vcpu(ctx, l));
}

static bool pic_reaches(struct platform *pf, const struct vcpu *v)
{
	return v->id == 0 && lapic_accepts_pic_interrupts(&pf->lapic[0]) &&
	       pic8259_has_interrupt(&pf->pic);
}

static bool pc_has_interrupt(struct vcpu *v)
{
	struct platform *pf = v->part->platform;
	if (v->id >= pf->nr_lapics)
		return false;
	partition_lock(v->part);
	lapic_pv_eoi_sync(&pf->lapic[v->id]);
	bool r = pic_reaches(pf, v) || lapic_pending_vector(&pf->lapic[v->id]) >= 0 ||
		 pf->lapic[v->id].nmi_pending; /* an NMI wakes HLT too (SDM Vol. 2A HLT) */
	partition_unlock(v->part);
	return r;
}

static int acknowledge_locked(struct platform *pf, struct vcpu *v)
{
	struct lapic *l = &pf->lapic[v->id];
	/* ExtINT is not subject to the LAPIC's priority (SDM §10.6.1). */
	if (pic_reaches(pf, v)) {
		lapic_ack_pic_interrupt(l);
		return pic8259_acknowledge(&pf->pic);
	}
	lapic_pv_eoi_sync(l);
	int vec = lapic_pending_vector(l);
	if (vec < 0 || !lapic_ack_vector(l, (uint8_t)vec))
		return -1;
	lapic_pv_eoi_arm(l);
	return vec;
}

int platform_acknowledge(struct vcpu *v)
{
	struct platform *pf = v->part->platform;
	if (v->id >= pf->nr_lapics)
		return -1;
	partition_lock(v->part);
	int vec = acknowledge_locked(pf, v);
	partition_unlock(v->part);
	return vec;
}

static bool pc_next_interrupt(struct vcpu *v, bool take, int *vec, bool *more)
{
	struct platform *pf = v->part->platform;
	*vec = -1;
	*more = false;
	if (v->id >= pf->nr_lapics)
		return false;
	partition_lock(v->part);
	lapic_pv_eoi_sync(&pf->lapic[v->id]);
	bool pending = pic_reaches(pf, v) || lapic_pending_vector(&pf->lapic[v->id]) >= 0;
	if (pending && take) {
		*vec = acknowledge_locked(pf, v);
		*more = pic_reaches(pf, v) || lapic_pending_vector(&pf->lapic[v->id]) >= 0;
	}
	partition_unlock(v->part);
	return pending;
}

static bool pc_nmi(struct vcpu *v, bool take)
{
	struct platform *pf = v->part->platform;
	if (v->id >= pf->nr_lapics)
		return false;
	struct lapic *l = &pf->lapic[v->id];
	if (!take)
		return __atomic_load_n(&l->nmi_pending, __ATOMIC_SEQ_CST);
	partition_lock(v->part);
	bool r = lapic_take_nmi(l);
	partition_unlock(v->part);
	return r;
}

static bool pc_startup_pending(const struct vcpu *v)
{
	const struct platform *pf = v->part->platform;
	if (!pf || v->id >= pf->nr_lapics)
		return false;
	const struct lapic *l = &pf->lapic[v->id];
	return __atomic_load_n(&l->init_pending, __ATOMIC_SEQ_CST) ||
	       __atomic_load_n(&l->sipi_pending, __ATOMIC_SEQ_CST);
}

static int pc_take_startup(struct vcpu *v, bool *init)
{
	struct platform *pf = v->part->platform;
	*init = false;
	if (!pf || v->id >= pf->nr_lapics)
		return -1;
	struct lapic *l = &pf->lapic[v->id];
	partition_lock(v->part);
	*init = lapic_take_init(l);
	int vector = lapic_take_sipi(l);
	partition_unlock(v->part);
	return vector;
}

/* KVM's PV EOI enable MSR, where the partition has kvm-pv (lapic.h). */
static bool pv_eoi_msr(struct vcpu *v, struct lapic *l, bool write, uint64_t *val, bool *gp)
{
	partition_lock(v->part);
	*gp = false;
	if (write)
		*gp = lapic_pv_eoi_msr_write(l, *val) != LAPIC_MSR_OK;
	else
		*val = lapic_pv_eoi_msr_read(l);
	partition_unlock(v->part);
	return true;
}

static bool pc_msr(struct vcpu *v, uint32_t index, bool write, uint64_t *val, bool *gp)
{
	struct platform *pf = v->part->platform;
	if (!pf || v->id >= pf->nr_lapics)
		return false;
	struct lapic *l = &pf->lapic[v->id];
	if (index == MSR_KVM_PV_EOI_EN && l->mem)
		return pv_eoi_msr(v, l, write, val, gp);
	if (!lapic_owns_msr(index))
		return false;
	partition_lock(v->part);
	int rc = write ? lapic_msr_write(l, index, *val) : lapic_msr_read(l, index, val);
	if (write)
		lapic_timer_changed(pf, v->id);
	partition_unlock(v->part);
	*gp = rc != LAPIC_MSR_OK;
	if (write)
		v->irq_any = true; /* TPR or EOI (x2APIC) may unblock a vector */
	return true;
}

/* The EOIs of a partition's local APICs, and how many took no exit. */
static void pc_print_stats(const struct partition *p)
{
	const struct platform *pf = p->platform;
	uint64_t eois = 0, pv = 0;
	for (unsigned int i = 0; pf && i < pf->nr_lapics; i++) {
		eois += pf->lapic[i].eois;
		pv += pf->lapic[i].pv_eois;
	}
	if (eois)
		pr_info("[%s]   lapic: %lu EOIs, %lu of them by PV EOI (no exit)", p->name, eois, pv);
	virtio_devices_print_stats(p);
}

/* ---- reset and power --------------------------------------------------- */

static void reset_requested(void *ctx, const char *source)
{
	struct platform *pf = ctx;
	pr_info("[%s] reset requested by the guest (%s)", pf->part->name, source);
	pf->part->power_request = POWER_RESET;
}

static enum exit_action pc_power_action(struct vcpu *v)
{
	struct partition *p = v->part;
	enum power_request r = p->power_request;
	p->power_request = POWER_NONE;
	switch (r) {
	case POWER_RESET:
		partition_restart(p);
		return p->state == PART_STOPPED ? EXIT_ACTION_STOPPED : EXIT_ACTION_YIELD;
	case POWER_OFF:
		partition_stop(p, false, "guest powered off");
		return EXIT_ACTION_STOPPED;
	case POWER_DEBUG_EXIT:
		/* Not a misbehaviour: the guest chose its status (a test's
		 * verdict); main.c turns a nonzero value into the run's
		 * failure status under on_idle=exit. */
		partition_stop(p, false, "debug exit: wrote %#x to port %#x, status %u",
			       p->debug_exit_value, p->cfg.debug_exit_port, p->debug_exit_status);
		return EXIT_ACTION_STOPPED;
	default:
		return EXIT_ACTION_RESUME;
	}
}

/* ---- device access wrappers -------------------------------------------- */

/* Timer devices: after any access, re-read the deadline. (Reading RTC
 * register C, for instance, re-arms its periodic interrupt.) */
#define TIMED_ACCESS(name, model, field)                                                  \
	static int name##_read(void *dev, uint64_t off, unsigned int size, uint64_t *val) \
	{                                                                                 \
		struct platform *pf = container_of(dev, struct platform, field);          \
		int r = model##_read(dev, off, size, val);                                \
		timers_changed(pf);                                                       \
		return r;                                                                 \
	}                                                                                 \
	static int name##_write(void *dev, uint64_t off, unsigned int size, uint64_t val) \
	{                                                                                 \
		struct platform *pf = container_of(dev, struct platform, field);          \
		int r = model##_write(dev, off, size, val);                               \
		timers_changed(pf);                                                       \
		return r;                                                                 \
	}

TIMED_ACCESS(pit, pit8254_io, pit)
TIMED_ACCESS(port61, pit8254_port61, pit)
TIMED_ACCESS(rtc, rtc_cmos_io, rtc)

TIMED_ACCESS(pm, acpi_pm_io, pm)

/* Each vCPU sees its own local APIC at the same guest-physical page: the
 * access goes to the LAPIC of the vCPU that made it. */
static struct lapic *current_lapic(struct platform *pf)
{
	struct vcpu *v = this_cpu()->current;
	if (!v || v->part != pf->part || v->id >= pf->nr_lapics)
		return NULL;
	return &pf->lapic[v->id];
}

static int lapic_page_read(void *dev, uint64_t off, unsigned int size, uint64_t *val)
{
	struct lapic *l = current_lapic(dev);
	if (!l) {
		*val = 0;
		return 0;
	}
	return lapic_mmio_read(l, off, size, val);
}

static int lapic_page_write(void *dev, uint64_t off, unsigned int size, uint64_t val)
{
	struct platform *pf = dev;
	struct lapic *l = current_lapic(pf);
	if (!l)
		return 0;
	int r = lapic_mmio_write(l, off, size, val);
	lapic_timer_changed(pf, (unsigned int)(l - pf->lapic));
	vcpu_kick(lapic_vcpu(pf, l)); /* EOI or TPR may unblock a vector */
	return r;
}

static void power_off_requested(void *ctx, const char *source)
{
	struct platform *pf = ctx;
	pr_info("[%s] power-off requested by the guest (%s)", pf->part->name, source);
	pf->part->power_request = POWER_OFF;
}

static void debug_exit_requested(void *ctx, uint32_t value, uint32_t status)
{
	struct partition *p = ctx;
	if (p->debug_exit_written)
		return; /* the first write decides (a rep outs keeps writing) */
	p->debug_exit_written = true;
	p->debug_exit_value = value;
	p->debug_exit_status = status;
	p->power_request = POWER_DEBUG_EXIT;
}

/* Typed input for this partition (core/console.c routes it by focus, on
 * the boot CPU). The UART, and the interrupt controllers its IRQ reaches,
 * are the partition's devices: under its lock, as every vCPU's access. */
static size_t com1_input(void *ctx, const uint8_t *buf, size_t len)
{
	struct uart16550 *u = ctx;
	struct partition *p = container_of(u, struct platform, com1)->part;
	partition_lock(p);
	size_t n = MIN(len, (size_t)uart16550_rx_room(u));
	for (size_t i = 0; i < n; i++)
		uart16550_receive(u, buf[i]);
	partition_unlock(p);
	return n;
}

static void com1_tx(void *ctx, uint8_t byte)
{
	struct partition *p = ctx;
	console_source_putc(&p->console, (char)byte);
}

/* ---- assembly ---------------------------------------------------------- */

static void init_lapics(struct platform *pf)
{
	struct partition *p = pf->part;
	struct lapic_ops ops = {
		.send_ipi = lapic_send_ipi,
		.eoi_broadcast = lapic_eoi_broadcast,
		.kick = lapic_kick,
		.ctx = pf,
	};
	pf->nr_lapics = p->cfg.cpus;
	for (unsigned int i = 0; i < pf->nr_lapics; i++) {
		lapic_init(&pf->lapic[i], p->name, i, i == 0, &pf->clock, &ops);
		pf->lapic[i].x2apic_offered = cpuid_table_has(&p->cpuid, CPUID_F_X2APIC);
		if (manifest_kvm_pv_on(&p->cfg))
			pf->lapic[i].mem = &p->mem; /* offers KVM's PV EOI */
		/* No firmware runs before the guest: leave what a PC BIOS leaves. */
		lapic_setup_virtual_wire(&pf->lapic[i]);
	}
}

/* fw_cfg items from the partition's shape; the e820 table is the one a
 * Multiboot kernel gets in its memory map (core/loader/multiboot_boot.h). */
static void init_fw_cfg(struct platform *pf)
{
	struct partition *p = pf->part;
	struct mb1_mmap map[MB1_MMAP_MAX];
	struct fw_cfg_e820 e820[MB1_MMAP_MAX];
	unsigned int n = mb1_memory_map(p->ram_size, map);

	pf->has_fw_cfg = manifest_fw_cfg_on(&p->cfg);
	if (!pf->has_fw_cfg)
		return;
	for (unsigned int i = 0; i < n; i++)
		e820[i] = (struct fw_cfg_e820){ map[i].addr, map[i].len, map[i].type };
	struct fw_cfg_config cfg = {
		.ram_size = p->ram_size,
		.nr_cpus = (uint16_t)p->cfg.cpus,
		.max_cpus = (uint16_t)p->cfg.cpus,
		.e820 = e820,
		.e820_entries = n,
	};
	if (!fw_cfg_init(&pf->fw_cfg, &cfg)) {
		/* Fixed sizes: only a build with too small limits gets here. */
		pr_err("[%s] platform: fw_cfg items do not fit; no fw_cfg", p->name);
		pf->has_fw_cfg = false;
	}
}

static void init_devices(struct platform *pf)
{
	struct partition *p = pf->part;
	struct pci_host_forward cf9 = { sys_ports_cf9_read, sys_ports_cf9_write, &pf->sys };

	pf->clock = (struct vclock){
		.now_ns = clock_now_ns,
		.ctx = p,
		.wall_ns_at_zero = host_wall_ns(),
		.tsc_hz = tsc_hz(),
		.now_tsc = clock_now_tsc,
	};
	pf->isa_irq = (struct irq_sink){ isa_set_irq, pf };
	pf->pic_intr = (struct irq_sink){ pic_intr_changed, pf };
	pf->reset = (struct reset_sink){ reset_requested, pf };
	pf->power = (struct power_sink){ power_off_requested, pf };
	pf->msi = (struct msi_sink){ msi_to_lapics, pf };

	init_lapics(pf);
	ioapic_init(&pf->ioapic, p->name, (uint8_t)p->cfg.cpus, &pf->msi);
	pic8259_init(&pf->pic, p->name, &pf->pic_intr);
	uart16550_init(&pf->com1, p->name, &pf->isa_irq, ISA_IRQ_COM1, com1_tx, p);
	console_source_set_input(&p->console, com1_input, &pf->com1);
	pit8254_init(&pf->pit, p->name, &pf->clock, &pf->isa_irq, ISA_IRQ_PIT);
	rtc_cmos_init(&pf->rtc, p->name, &pf->clock, &pf->isa_irq, ISA_IRQ_RTC);
	rtc_cmos_set_memory_size(&pf->rtc, MIN(p->ram_size, GiB(4)),
				 p->ram_size > GiB(4) ? p->ram_size - GiB(4) : 0);
	i8042_init(&pf->kbc, p->name, &pf->isa_irq, I8042_KBD_IRQ, I8042_AUX_IRQ, &pf->reset);
	sys_ports_init(&pf->sys, p->name, &pf->reset);
	pci_host_init(&pf->pci, p->name, &cf9);
	acpi_pm_init(&pf->pm, p->name, &pf->clock, &pf->isa_irq, ACPI_SCI_IRQ, &pf->power);
	pf->debug_exit = (struct debug_exit){ p->cfg.debug_exit_port, debug_exit_requested, p };
	init_fw_cfg(pf);
	p->power_request = POWER_NONE;
	p->debug_exit_written = false;
	p->next_deadline_ns = VDEV_NO_DEADLINE;
	for (unsigned int i = 0; i < p->nr_vcpus; i++)
		p->vcpu[i]->timer_deadline_ns = VDEV_NO_DEADLINE;
}

static bool attach_ranges(struct platform *pf, struct iobus *bus)
{
	return uart16550_attach(&pf->com1, bus, GUEST_COM1, "com1") &&
	       pic8259_attach(&pf->pic, bus) &&
	       iobus_add_pio(bus, PIT_BASE_PORT, PIT_NR_DATA_PORTS, pit_read, pit_write, &pf->pit,
			     "pit") &&
	       iobus_add_pio(bus, PORT61, 1, port61_read, port61_write, &pf->pit, "port61") &&
	       iobus_add_pio(bus, RTC_BASE_PORT, RTC_NR_BASE_PORTS, rtc_read, rtc_write, &pf->rtc,
			     "rtc") &&
	       i8042_attach(&pf->kbc, bus) && sys_ports_attach(&pf->sys, bus) &&
	       pci_host_attach(&pf->pci, bus) &&
	       iobus_add_pio(bus, ACPI_PM_DEFAULT_BASE, ACPI_PM_NR_PORTS, pm_read, pm_write,
			     &pf->pm, "acpi-pm") &&
	       ioapic_attach(&pf->ioapic, bus, IOAPIC_DEFAULT_BASE) &&
	       iobus_add_mmio(bus, LAPIC_DEFAULT_BASE, LAPIC_MMIO_SIZE, lapic_page_read,
			      lapic_page_write, pf, "lapic");
}

/* The optional devices; a debug-exit port that another device holds is
 * refused naming it. */
static bool attach_optional(struct platform *pf, struct iobus *bus)
{
	struct partition *p = pf->part;
	if (pf->has_fw_cfg && !fw_cfg_attach(&pf->fw_cfg, bus)) {
		pr_err("[%s] refused: fw_cfg ports %#x-%#x are taken", p->name, FW_CFG_PORT_SEL,
		       FW_CFG_PORT_DATA);
		return false;
	}
	if (!p->cfg.debug_exit_given)
		return true;
	for (unsigned int i = 0; i < DEBUG_EXIT_NR_PORTS; i++) {
		const struct io_range *r =
				iobus_find_pio(bus, (uint16_t)(p->cfg.debug_exit_port + i));
		if (r) {
			pr_err("[%s] refused: key 'debug-exit': port %#x is taken by %s", p->name,
			       p->cfg.debug_exit_port + i, r->name);
			return false;
		}
	}
	return debug_exit_attach(&pf->debug_exit, bus);
}

static struct virtio_platform_wiring virtio_wiring(struct platform *pf)
{
	return (struct virtio_platform_wiring){
		.pci = &pf->pci,
		.gsi = ioapic_irq_sink(&pf->ioapic),
		.msi = pf->msi,
		.pci_gsi_base = ACPI_PCI_DEFAULT_GSI_BASE,
	};
}

static void testdev_raise_irq(void *ctx, uint8_t vector)
{
	struct partition *p = ctx;
	if (p->nr_vcpus)
		vcpu_raise_irq(p->vcpu[0], vector);
}

/* The test device's GSI port: an I/O APIC input, as a device's wire would
 * drive it (called with the partition lock held, as every port access). */
static void testdev_set_gsi(void *ctx, unsigned int pin, bool level)
{
	struct partition *p = ctx;
	ioapic_set_irq(&p->platform->ioapic, pin, level);
}

static bool pc_attach(struct partition *p)
{
	p->platform = kzalloc(sizeof(*p->platform));
	if (!p->platform)
		return false;
	p->platform->part = p;
	init_devices(p->platform);
	if (!attach_ranges(p->platform, &p->bus) || !attach_optional(p->platform, &p->bus))
		return false;
	struct virtio_platform_wiring w = virtio_wiring(p->platform);
	if (!virtio_devices_attach(p, &w, p->disk, p->nr_disks))
		return false;
	/* Not reset with the others: the test devices keep no guest state. */
	p->platform->testdev.raise_irq = testdev_raise_irq;
	p->platform->testdev.set_gsi = testdev_set_gsi;
	p->platform->testdev.irq_ctx = p;
	return testdev_attach(&p->platform->testdev, &p->bus);
}

uint64_t platform_bytes(const struct partition *p)
{
	return sizeof(*p->platform) + virtio_devices_bytes(p);
}

static gpa_t pc_install_acpi(struct partition *p, gpa_t base, uint64_t *size)
{
	struct acpi_config cfg;
	struct acpi_tables_layout layout;
	uint8_t *buf = gmem_ptr(&p->mem, base, ACPI_TABLES_MAX_SIZE);

	*size = 0;
	if (!buf) {
		pr_err("[%s] platform: no guest RAM at %#lx for the ACPI tables", p->name, base);
		return 0;
	}
	acpi_config_default(&cfg, p->cfg.cpus, base);
	if (acpi_tables_build(&cfg, buf, ACPI_TABLES_MAX_SIZE, &layout)) {
		pr_err("[%s] platform: the ACPI tables do not fit in %lu KiB", p->name,
		       ACPI_TABLES_MAX_SIZE >> 10);
		return 0;
	}
	*size = layout.size;
	return layout.rsdp;
}

/* CMOS bytes from status register D on are battery-backed NVRAM on a PC:
 * they survive a reset (a guest may count its reboots there). */
#define CMOS_NVRAM_FIRST 0x0e

static void pc_reset(struct partition *p)
{
	struct platform *pf = p->platform;
	uint8_t nvram[RTC_CMOS_SIZE];

	bh_memcpy(nvram, pf->rtc.cmos, sizeof(nvram));
	/* The iobus ranges point into *p->platform and stay valid. */
	init_devices(pf);
	bh_memcpy(&pf->rtc.cmos[CMOS_NVRAM_FIRST], &nvram[CMOS_NVRAM_FIRST],
		  RTC_CMOS_SIZE - CMOS_NVRAM_FIRST);
	rtc_cmos_set_memory_size(&pf->rtc, MIN(p->ram_size, GiB(4)),
				 p->ram_size > GiB(4) ? p->ram_size - GiB(4) : 0);
	struct virtio_platform_wiring w = virtio_wiring(pf);
	virtio_devices_reset(p, &w);
}

const struct board_ops pc_board = {
	.attach = pc_attach,
	.reset = pc_reset,
	.tick = pc_tick,
	.tick_vcpu = pc_tick_vcpu,
	.has_interrupt = pc_has_interrupt,
	.next_interrupt = pc_next_interrupt,
	.nmi = pc_nmi,
	.take_startup = pc_take_startup,
	.startup_pending = pc_startup_pending,
	.msr = pc_msr,
	.install_acpi = pc_install_acpi,
	.power_action = pc_power_action,
	.console = virtio_devices_console,
	.print_stats = pc_print_stats,
};
