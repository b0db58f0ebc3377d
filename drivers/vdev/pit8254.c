/* SPDX-License-Identifier: BSD-2-Clause */
/* 8254 PIT model. Mode behaviour follows the Intel 8254 datasheet, "Modes"
 * (Figures 14-19) and "Read Operations" (counter latch, read-back). */
#include "drivers/vdev/pit8254.h"

#include "core/log.h"
#include "drivers/vdev/isa_bytes.h"

#define NS_PER_SEC 1000000000ULL
#define PIT_BINARY_MODULUS 65536u
#define PIT_BCD_MODULUS 10000u
#define PIT_NO_EDGE UINT64_MAX

enum pit_warning {
	PIT_WARN_BAD_BCD = 1u << 0,
	PIT_WARN_ILLEGAL_COUNT = 1u << 1,
};

static const char *owner_of(const struct pit8254 *p)
{
	return p->owner ? p->owner : "?";
}

static bool first_warning(struct pit8254 *p, unsigned int bit)
{
	if (p->warned & bit)
		return false;
	p->warned |= bit;
	return true;
}

/* floor(ns * f / 1e9) without overflow: split ns into whole seconds and the
 * remainder (ns % 1e9 * f < 1.2e15). */
uint64_t pit8254_ns_to_ticks(uint64_t ns)
{
	return ns / NS_PER_SEC * PIT_INPUT_HZ + ns % NS_PER_SEC * PIT_INPUT_HZ / NS_PER_SEC;
}

/* ceil(ticks * 1e9 / f), saturating at UINT64_MAX. */
uint64_t pit8254_ticks_to_ns(uint64_t ticks)
{
	uint64_t secs = ticks / PIT_INPUT_HZ;
	uint64_t rem = ticks % PIT_INPUT_HZ;
	uint64_t frac = (rem * NS_PER_SEC + PIT_INPUT_HZ - 1) / PIT_INPUT_HZ;
	uint64_t ns;

	if (__builtin_mul_overflow(secs, NS_PER_SEC, &ns) || __builtin_add_overflow(ns, frac, &ns))
		return UINT64_MAX;
	return ns;
}

static uint64_t now_ticks(const struct pit8254 *p)
{
	return p->clock ? pit8254_ns_to_ticks(vclock_now(p->clock)) : 0;
}

static uint32_t modulus(const struct pit8254_channel *c)
{
	return c->bcd ? PIT_BCD_MODULUS : PIT_BINARY_MODULUS;
}

static uint64_t elapsed(const struct pit8254_channel *c, uint64_t now)
{
	if (!c->counting)
		return c->frozen;
	return now >= c->start_tick ? now - c->start_tick : 0;
}

static uint16_t to_bcd(uint32_t v)
{
	return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

/* The counting element in input clocks, 0 < value <= modulus; the value the
 * guest sees is this modulo 2^16 (or 10^4 in BCD), so 0 stands for the full
 * count (datasheet: "0 is the maximum count"). */
static uint32_t counter_value(const struct pit8254_channel *c, uint64_t now)
{
	uint32_t n = c->period;
	uint32_t m = modulus(c);
	uint64_t e, phase, half;

	if (!c->loaded)
		return c->idle_count;
	e = elapsed(c, now);
	switch (c->mode) {
	case 2:
		return n - (uint32_t)(e % n);
	case 3:
		/* Decrements by two; each half period restarts from n. */
		phase = e % n;
		half = (n + 1) / 2;
		if (phase >= half)
			phase -= half;
		return n - (uint32_t)(2 * phase);
	default:
		/* Modes 0, 1, 4, 5 keep wrapping after the terminal count. */
		if ((c->mode == 1 || c->mode == 5) && !c->triggered)
			return n;
		return (n + m - (uint32_t)(e % m)) % m;
	}
}

static uint16_t guest_count(const struct pit8254_channel *c, uint64_t now)
{
	uint32_t v = counter_value(c, now) % modulus(c);
	return c->bcd ? to_bcd(v) : (uint16_t)v;
}

static bool channel_out(const struct pit8254_channel *c, uint64_t now)
{
	uint64_t n = c->period, e;

	if (!c->loaded)
		return c->mode != 0; /* control word sets OUT: low in mode 0, high otherwise */
	e = elapsed(c, now);
	switch (c->mode) {
	case 0:
		return e >= n;
	case 1:
		return !c->triggered || e >= n;
	case 2:
		return !c->counting || e % n != n - 1;
	case 3:
		return !c->counting || e % n < (n + 1) / 2;
	case 4:
		return e != n;
	default: /* 5 */
		return !c->triggered || e != n;
	}
}

bool pit8254_out(const struct pit8254 *p, unsigned int channel)
{
	if (channel >= PIT_NR_CHANNELS)
		return false;
	return channel_out(&p->ch[channel], now_ticks(p));
}

/* The first rising edge of OUT0 after the channel was (re)started. */
static void schedule_irq0(struct pit8254 *p)
{
	const struct pit8254_channel *c = &p->ch[0];

	p->irq_next_tick = PIT_NO_EDGE;
	if (!c->loaded || !c->counting)
		return;
	switch (c->mode) {
	case 0:
	case 2:
	case 3:
		p->irq_next_tick = c->start_tick + c->period;
		break;
	case 4:
		/* OUT pulses low for one clock at the terminal count. */
		p->irq_next_tick = c->start_tick + c->period + 1;
		break;
	default:
		/* Modes 1 and 5 need a gate trigger; gate 0 is tied high. */
		break;
	}
}

static uint32_t decode_count(struct pit8254 *p, struct pit8254_channel *c)
{
	uint32_t v = c->cr;

	if (c->bcd) {
		if (((v & 0xF) > 9 || (v >> 4 & 0xF) > 9 || (v >> 8 & 0xF) > 9 || (v >> 12) > 9) &&
		    first_warning(p, PIT_WARN_BAD_BCD))
			pr_warn("[%s] pit: BCD count %#x has a digit above 9; digits used as they are",
				owner_of(p), v);
		v = (v >> 12) * 1000 + (v >> 8 & 0xF) * 100 + (v >> 4 & 0xF) * 10 + (v & 0xF);
	}
	if (v == 0)
		return modulus(c);
	/* A count of 1 is illegal in modes 2 and 3 (datasheet, Mode 2/3). */
	if (v == 1 && (c->mode == 2 || c->mode == 3)) {
		if (first_warning(p, PIT_WARN_ILLEGAL_COUNT))
			pr_warn("[%s] pit: count 1 is illegal in mode %u; using 2", owner_of(p),
				c->mode);
		v = 2;
	}
	return v;
}

/* The count register is complete: it moves into the counting element. */
static void load_count(struct pit8254 *p, unsigned int idx, uint64_t now)
{
	struct pit8254_channel *c = &p->ch[idx];

	c->period = decode_count(p, c);
	c->loaded = true;
	c->null_count = false;
	c->frozen = 0;
	c->start_tick = now;
	if (c->mode == 1 || c->mode == 5) {
		/* Armed; counting starts on the next gate rising edge. */
		c->triggered = false;
		c->counting = false;
	} else {
		c->counting = c->gate;
	}
	if (idx == 0)
		schedule_irq0(p);
}

static void set_gate(struct pit8254_channel *c, bool level, uint64_t now)
{
	if (level == c->gate)
		return;
	c->gate = level;
	if (!c->loaded)
		return;
	switch (c->mode) {
	case 0:
	case 4:
		/* Gate low suspends counting; high resumes it. */
		if (level) {
			c->start_tick = now - c->frozen;
			c->counting = true;
		} else {
			c->frozen = elapsed(c, now);
			c->counting = false;
		}
		break;
	case 2:
	case 3:
		/* Gate low stops counting with OUT high; the rising edge
		 * reloads the count. */
		c->frozen = 0;
		c->start_tick = now;
		c->counting = level;
		break;
	default:
		/* Modes 1 and 5: the rising edge (re)triggers. */
		if (level) {
			c->triggered = true;
			c->counting = true;
			c->frozen = 0;
			c->start_tick = now;
		}
		break;
	}
}

static uint8_t status_byte(const struct pit8254_channel *c, uint64_t now)
{
	uint8_t st = (uint8_t)(c->rw << PIT_CW_RW_SHIFT | c->mode << PIT_CW_MODE_SHIFT);

	if (c->bcd)
		st |= PIT_CW_BCD;
	if (c->null_count)
		st |= PIT_STATUS_NULL_COUNT;
	if (channel_out(c, now))
		st |= PIT_STATUS_OUT;
	return st;
}

/* A second latch before the first was read is ignored (datasheet, Counter
 * Latch Command and Read-Back Command). */
static void latch_count(struct pit8254_channel *c, uint64_t now)
{
	if (c->count_latched)
		return;
	c->latch = guest_count(c, now);
	c->count_latched = true;
	c->latch_msb_next = c->rw == PIT_RW_MSB;
}

static void latch_status(struct pit8254_channel *c, uint64_t now)
{
	if (c->status_latched)
		return;
	c->status = status_byte(c, now);
	c->status_latched = true;
}

static void write_control(struct pit8254 *p, uint8_t val, uint64_t now)
{
	unsigned int sc = val >> PIT_CW_SC_SHIFT;
	unsigned int rw = val >> PIT_CW_RW_SHIFT & PIT_CW_RW_MASK;
	unsigned int mode = val >> PIT_CW_MODE_SHIFT & PIT_CW_MODE_MASK;
	struct pit8254_channel *c;

	if (sc == PIT_CW_SC_READBACK) {
		for (unsigned int i = 0; i < PIT_NR_CHANNELS; i++) {
			if (!(val & PIT_RB_CHANNEL(i)))
				continue;
			/* Status is latched first so it reads first. */
			if (!(val & PIT_RB_NOT_STATUS))
				latch_status(&p->ch[i], now);
			if (!(val & PIT_RB_NOT_COUNT))
				latch_count(&p->ch[i], now);
		}
		return;
	}
	c = &p->ch[sc];
	if (rw == PIT_RW_LATCH) {
		latch_count(c, now);
		return;
	}
	/* A control word resets the channel's logic; OUT takes its initial
	 * state for the mode (modes 6 and 7 are aliases of 2 and 3). */
	c->idle_count = guest_count(c, now);
	c->mode = (uint8_t)(mode > 5 ? mode - 4 : mode);
	c->rw = (uint8_t)rw;
	c->bcd = val & PIT_CW_BCD;
	c->loaded = false;
	c->counting = false;
	c->triggered = false;
	c->null_count = true;
	c->write_msb_next = false;
	c->read_msb_next = false;
	c->count_latched = false;
	c->status_latched = false;
	if (sc == 0)
		schedule_irq0(p);
}

static void write_counter(struct pit8254 *p, unsigned int idx, uint8_t val, uint64_t now)
{
	struct pit8254_channel *c = &p->ch[idx];

	switch (c->rw) {
	case PIT_RW_LSB:
		c->cr = val;
		break;
	case PIT_RW_MSB:
		c->cr = (uint16_t)(val << 8);
		break;
	default:
		if (!c->write_msb_next) {
			c->write_lsb = val;
			c->write_msb_next = true;
			/* Mode 0: the first byte stops the count, OUT goes low. */
			if (c->mode == 0 && c->loaded) {
				c->idle_count = guest_count(c, now);
				c->loaded = false;
				c->counting = false;
				if (idx == 0)
					schedule_irq0(p);
			}
			return;
		}
		c->write_msb_next = false;
		c->cr = (uint16_t)(c->write_lsb | val << 8);
		break;
	}
	c->null_count = true;
	load_count(p, idx, now);
}

static uint8_t read_counter(struct pit8254_channel *c, uint64_t now)
{
	uint16_t v;
	bool msb;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		msb = c->latch_msb_next;
		if (c->rw == PIT_RW_LSB_MSB && !msb)
			c->latch_msb_next = true;
		else
			c->count_latched = false;
		return msb ? c->latch >> 8 : c->latch & 0xFF;
	}
	v = guest_count(c, now);
	if (c->rw == PIT_RW_LSB)
		return v & 0xFF;
	if (c->rw == PIT_RW_MSB)
		return v >> 8;
	msb = c->read_msb_next;
	c->read_msb_next = !msb;
	return msb ? v >> 8 : v & 0xFF;
}

static uint8_t pit_read_byte(void *dev, unsigned int off)
{
	struct pit8254 *p = dev;

	/* The control word register cannot be read (datasheet Table 1). */
	if (off == PIT_CONTROL)
		return ISA_FLOATING_BUS;
	return read_counter(&p->ch[off], now_ticks(p));
}

static void pit_write_byte(void *dev, unsigned int off, uint8_t val)
{
	struct pit8254 *p = dev;
	uint64_t now = now_ticks(p);

	if (off == PIT_CONTROL)
		write_control(p, val, now);
	else
		write_counter(p, off, val, now);
}

int pit8254_io_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	return isa_read_bytes(dev, offset, size, val, PIT_NR_PORTS, pit_read_byte);
}

int pit8254_io_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	return isa_write_bytes(dev, offset, size, val, PIT_NR_PORTS, pit_write_byte);
}

static uint8_t port61_read_byte(void *dev, unsigned int off)
{
	struct pit8254 *p = dev;
	uint64_t now_ns = p->clock ? vclock_now(p->clock) : 0;
	uint8_t val = p->port61;

	if ((now_ns / PORT61_REFRESH_NS) & 1)
		val |= PORT61_REFRESH;
	if (channel_out(&p->ch[2], pit8254_ns_to_ticks(now_ns)))
		val |= PORT61_OUT2;
	return val;
}

static void port61_write_byte(void *dev, unsigned int off, uint8_t val)
{
	struct pit8254 *p = dev;

	p->port61 = val & PORT61_WRITABLE;
	set_gate(&p->ch[2], val & PORT61_GATE2, now_ticks(p));
}

int pit8254_port61_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	return isa_read_bytes(dev, offset, size, val, 1, port61_read_byte);
}

int pit8254_port61_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	return isa_write_bytes(dev, offset, size, val, 1, port61_write_byte);
}

uint64_t pit8254_next_deadline(const struct pit8254 *p)
{
	if (p->irq_next_tick == PIT_NO_EDGE)
		return VDEV_NO_DEADLINE;
	return pit8254_ticks_to_ns(p->irq_next_tick);
}

void pit8254_tick(struct pit8254 *p, uint64_t now_ns)
{
	const struct pit8254_channel *c = &p->ch[0];
	uint64_t now = pit8254_ns_to_ticks(now_ns);
	uint64_t edges;

	if (p->irq_next_tick == PIT_NO_EDGE || now < p->irq_next_tick)
		return;
	if (c->mode == 2 || c->mode == 3) {
		edges = (now - p->irq_next_tick) / c->period + 1;
		p->irq_next_tick += edges * c->period;
		p->irq_lost += edges - 1;
	} else {
		p->irq_next_tick = PIT_NO_EDGE; /* one-shot modes */
	}
	p->irq_raised++;
	irq_pulse(&p->irq, p->irq_line);
}

void pit8254_init(struct pit8254 *p, const char *owner, const struct vclock *clock,
		  const struct irq_sink *irq, unsigned int irq_line)
{
	*p = (struct pit8254){ 0 };
	p->owner = owner;
	p->clock = clock;
	if (irq)
		p->irq = *irq;
	p->irq_line = irq_line;
	p->irq_next_tick = PIT_NO_EDGE;
	for (unsigned int i = 0; i < PIT_NR_CHANNELS; i++) {
		/* Power-up state is undefined; this is "mode 0, lo/hi, no count
		 * yet". Gates 0 and 1 are tied high on the PC. */
		p->ch[i].rw = PIT_RW_LSB_MSB;
		p->ch[i].period = PIT_BINARY_MODULUS;
		p->ch[i].gate = i != 2;
		p->ch[i].null_count = true;
	}
}

bool pit8254_attach(struct pit8254 *p, struct iobus *bus)
{
	return iobus_add_pio(bus, PIT_BASE, PIT_NR_PORTS, pit8254_io_read, pit8254_io_write, p,
			     "pit") &&
	       iobus_add_pio(bus, PIT_PORT61, 1, pit8254_port61_read, pit8254_port61_write, p,
			     "port61");
}
