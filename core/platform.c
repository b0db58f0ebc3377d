/* The emulated PC around a partition's vCPUs (docs/legacy-devices.md):
 *
 *   port  0x20/0xA0  8259A PIC pair (+ ELCR 0x4D0)   -> INTR -> vCPU 0 (ExtINT)
 *   port  0x40-0x43  8254 PIT, 0x61 its gate/speaker  -> ISA IRQ 0
 *   port  0x60/0x64  8042 (reset line, no keyboard)   -> ISA IRQ 1/12
 *   port  0x70/0x71  MC146818 RTC/CMOS                -> ISA IRQ 8
 *   port  0x80, 0x92 POST code, fast reset/A20
 *   port  0x3F8      16550A UART (COM1, the console)  -> ISA IRQ 4
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
#include "drivers/rtc/cmos_clock.h"
#include "drivers/vdev/i8042.h"
#include "drivers/vdev/pic8259.h"
#include "drivers/vdev/pit8254.h"
#include "drivers/vdev/rtc_cmos.h"
#include "drivers/vdev/sys_ports.h"
#include "drivers/vdev/uart16550.h"
#include "arch/x86/cpu/tsc.h"

/* ISA interrupt lines of a PC (IBM PC/AT technical reference). */
#define ISA_IRQ_PIT 0
#define ISA_IRQ_COM1 4
#define ISA_IRQ_RTC 8
#define ISA_NR_IRQS 16

#define PIT_BASE_PORT 0x40
#define PIT_NR_DATA_PORTS 4
#define PORT61 0x61
#define RTC_BASE_PORT 0x70
#define RTC_NR_BASE_PORTS 2

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

static uint64_t earliest_deadline(struct platform *pf)
{
	uint64_t d = pit8254_next_deadline(&pf->pit);
	d = MIN(d, rtc_cmos_next_deadline(&pf->rtc));
	return d;
}

/* A guest access may have (re)programmed a timer: keep the partition's
 * deadline current and tell the scheduler if it moved earlier. */
static void timers_changed(struct platform *pf)
{
	struct partition *p = pf->part;
	uint64_t d = earliest_deadline(pf);
	bool earlier = d < p->next_deadline_ns;
	p->next_deadline_ns = d;
	if (earlier)
		sched_deadline_moved(p);
}

void platform_tick(struct partition *p)
{
	struct platform *pf = p->platform;
	uint64_t now = partition_time_ns(p);
	pit8254_tick(&pf->pit, now);
	rtc_cmos_tick(&pf->rtc, now);
	p->next_deadline_ns = earliest_deadline(pf);
}

/* ---- interrupts -------------------------------------------------------- */

static void isa_set_irq(void *ctx, unsigned int line, bool level)
{
	struct platform *pf = ctx;
	if (line >= ISA_NR_IRQS)
		return;
	pic8259_set_irq(&pf->pic, line, level);
}

/* The PIC's INTR pin reaches vCPU 0 as an ExtINT (virtual wire mode, as
 * on a PC before the OS programs the APICs). */
static void pic_intr_changed(void *ctx, unsigned int line, bool level)
{
	struct platform *pf = ctx;
	(void)line;
	if (level && pf->part->nr_vcpus)
		vcpu_kick(pf->part->vcpu[0]);
}

bool platform_has_interrupt(struct vcpu *v)
{
	struct platform *pf = v->part->platform;
	return v->id == 0 && pic8259_has_interrupt(&pf->pic);
}

int platform_acknowledge(struct vcpu *v)
{
	struct platform *pf = v->part->platform;
	if (v->id != 0 || !pic8259_has_interrupt(&pf->pic))
		return -1;
	return pic8259_acknowledge(&pf->pic);
}

/* ---- reset and power --------------------------------------------------- */

static void reset_requested(void *ctx, const char *source)
{
	struct platform *pf = ctx;
	pr_info("[%s] reset requested by the guest (%s)", pf->part->name, source);
	pf->part->power_request = POWER_RESET;
}

enum exit_action platform_power_action(struct vcpu *v)
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

static void com1_tx(void *ctx, uint8_t byte)
{
	struct partition *p = ctx;
	console_source_putc(&p->console, (char)byte);
}

/* ---- assembly ---------------------------------------------------------- */

static void init_devices(struct platform *pf)
{
	struct partition *p = pf->part;

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

	pic8259_init(&pf->pic, p->name, &pf->pic_intr);
	uart16550_init(&pf->com1, p->name, &pf->isa_irq, ISA_IRQ_COM1, com1_tx, p);
	pit8254_init(&pf->pit, p->name, &pf->clock, &pf->isa_irq, ISA_IRQ_PIT);
	rtc_cmos_init(&pf->rtc, p->name, &pf->clock, &pf->isa_irq, ISA_IRQ_RTC);
	rtc_cmos_set_memory_size(&pf->rtc, MIN(p->ram_size, GiB(4)),
				 p->ram_size > GiB(4) ? p->ram_size - GiB(4) : 0);
	i8042_init(&pf->kbc, p->name, &pf->isa_irq, I8042_KBD_IRQ, I8042_AUX_IRQ, &pf->reset);
	sys_ports_init(&pf->sys, p->name, &pf->reset);
	p->power_request = POWER_NONE;
	p->next_deadline_ns = VDEV_NO_DEADLINE;
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
	       i8042_attach(&pf->kbc, bus) &&
	       sys_ports_attach(&pf->sys, bus);
}

bool platform_attach(struct partition *p)
{
	p->platform = kzalloc(sizeof(*p->platform));
	if (!p->platform)
		return false;
	p->platform->part = p;
	init_devices(p->platform);
	return attach_ranges(p->platform, &p->bus);
}

/* CMOS bytes from status register D on are battery-backed NVRAM on a PC:
 * they survive a reset (a guest may count its reboots there). */
#define CMOS_NVRAM_FIRST 0x0e

void platform_reset(struct partition *p)
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
}
