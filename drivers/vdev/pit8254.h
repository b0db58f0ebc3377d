/* SPDX-License-Identifier: BSD-2-Clause */
/* Intel 8254 programmable interval timer (datasheet order 231164) at ports
 * 0x40-0x43, plus the PC's system control port B (port 0x61) bits that
 * belong to it: channel 2 gate (bit 0), speaker data enable (bit 1), refresh
 * toggle (bit 4) and OUT2 (bit 5).
 *
 * Counters are not stepped: each channel remembers the input-clock tick at
 * which it started counting, and its count and OUT are computed from the
 * vclock on demand (1.193182 MHz, 64-bit integer arithmetic only).
 * Channel 0's OUT drives IRQ0: the platform calls pit8254_next_deadline() to
 * know when the next rising edge is due and pit8254_tick() when it is; edges
 * that were missed are coalesced into one interrupt and counted. */
#ifndef BULKHEAD_DRIVERS_VDEV_PIT8254_H
#define BULKHEAD_DRIVERS_VDEV_PIT8254_H

#include "core/iobus.h"
#include "drivers/vdev/vdev.h"

#define PIT_BASE 0x40
#define PIT_NR_PORTS 4
#define PIT_PORT61 0x61
#define PIT_IRQ 0
#define PIT_NR_CHANNELS 3
#define PIT_INPUT_HZ 1193182ULL

/* Port offsets within the 0x40 range. */
#define PIT_COUNTER0 0
#define PIT_COUNTER1 1
#define PIT_COUNTER2 2
#define PIT_CONTROL 3

/* Control word (datasheet Figure 8). */
#define PIT_CW_BCD 0x01
#define PIT_CW_MODE_SHIFT 1
#define PIT_CW_MODE_MASK 0x07
#define PIT_CW_RW_SHIFT 4
#define PIT_CW_RW_MASK 0x03
#define PIT_CW_SC_SHIFT 6
#define PIT_CW_SC_READBACK 3
#define PIT_RW_LATCH 0
#define PIT_RW_LSB 1
#define PIT_RW_MSB 2
#define PIT_RW_LSB_MSB 3

/* Read-back command (datasheet Figure 12): active-low COUNT and STATUS. */
#define PIT_RB_NOT_COUNT 0x20
#define PIT_RB_NOT_STATUS 0x10
#define PIT_RB_CHANNEL(n) (0x02u << (n))

/* Status byte (datasheet Figure 13). */
#define PIT_STATUS_OUT 0x80
#define PIT_STATUS_NULL_COUNT 0x40

/* Port 0x61 (PIIX4 datasheet §4.1.17 NMI status and control). */
#define PORT61_GATE2 0x01
#define PORT61_SPEAKER 0x02
#define PORT61_PARITY_DISABLE 0x04
#define PORT61_IOCHK_DISABLE 0x08
#define PORT61_WRITABLE 0x0F
#define PORT61_REFRESH 0x10
#define PORT61_OUT2 0x20
/* The refresh request toggles every 15.085 us (one DRAM refresh period). */
#define PORT61_REFRESH_NS 15085ULL

struct pit8254_channel {
	uint8_t mode; /* 0-5 */
	uint8_t rw;   /* PIT_RW_LSB, _MSB or _LSB_MSB */
	bool bcd;
	bool gate;
	uint16_t cr;     /* count register, as written (binary or BCD) */
	uint32_t period; /* the count in input clocks, 1-65536 */
	bool loaded;     /* the counting element holds a count */
	bool counting;
	bool triggered; /* modes 1 and 5: a gate trigger has started the count */
	bool null_count;
	uint64_t start_tick; /* while counting: tick where elapsed was 0 */
	uint64_t frozen;     /* elapsed ticks while not counting */
	uint16_t idle_count; /* what the counter shows before a count is loaded */

	bool write_msb_next;
	uint8_t write_lsb;
	bool read_msb_next;
	bool count_latched;
	bool latch_msb_next;
	uint16_t latch;
	bool status_latched;
	uint8_t status;
};

struct pit8254 {
	const char *owner;
	const struct vclock *clock;
	struct irq_sink irq;
	unsigned int irq_line;
	struct pit8254_channel ch[PIT_NR_CHANNELS];
	uint8_t port61;         /* writable bits of port 0x61 */
	uint64_t irq_next_tick; /* next IRQ0 edge, or UINT64_MAX */
	uint64_t irq_raised;
	uint64_t irq_lost; /* edges coalesced into another interrupt */
	unsigned int warned;
};

void pit8254_init(struct pit8254 *p, const char *owner, const struct vclock *clock,
		  const struct irq_sink *irq, unsigned int irq_line);

int pit8254_io_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int pit8254_io_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
/* Port 0x61, a range of one port. */
int pit8254_port61_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int pit8254_port61_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
bool pit8254_attach(struct pit8254 *p, struct iobus *bus);

/* vclock time (ns) of the next IRQ0 edge, or VDEV_NO_DEADLINE. */
uint64_t pit8254_next_deadline(const struct pit8254 *p);
/* Raise IRQ0 (a pulse) if its edge is due at now_ns. */
void pit8254_tick(struct pit8254 *p, uint64_t now_ns);

/* OUT of a channel right now (tests, and the speaker if ever needed). */
bool pit8254_out(const struct pit8254 *p, unsigned int channel);

/* Conversions between vclock nanoseconds and input-clock ticks, exact
 * (floor and ceiling respectively) over the whole uint64_t range. */
uint64_t pit8254_ns_to_ticks(uint64_t ns);
uint64_t pit8254_ticks_to_ns(uint64_t ticks);

#endif
