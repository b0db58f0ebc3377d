/* SPDX-License-Identifier: BSD-2-Clause */
/* Motorola MC146818A real-time clock and CMOS RAM (datasheet ADI 1063R2)
 * behind the PC's index/data ports 0x70/0x71, IRQ8.
 *
 * The guest's clock is the host's wall clock (vclock wall_ns_at_zero plus
 * the partition's monotonic time) plus an offset the guest sets by writing
 * the time registers; nothing is stepped, registers are derived on read.
 * The update cycle is taken as instantaneous at each second boundary, with
 * UIP set for the 244 us before it. Periodic, alarm and update-ended events
 * are found lazily on access and by rtc_cmos_tick() at the time
 * rtc_cmos_next_deadline() asked for. Register C bits are raised whether or
 * not their interrupt is enabled; IRQ8 follows C.IRQF (high until C is read).
 *
 * Byte 0x32 is the century (ACPI FADT CENTURY field), kept with the clock.
 * Bytes 0x0E-0x7F are otherwise plain NVRAM; rtc_cmos_set_memory_size()
 * fills the BIOS memory-size bytes a BIOS-less guest may read. */
#ifndef BULKHEAD_DRIVERS_VDEV_RTC_CMOS_H
#define BULKHEAD_DRIVERS_VDEV_RTC_CMOS_H

#include "core/lib/calendar.h"
#include "core/iobus.h"
#include "drivers/vdev/vdev.h"

#define RTC_BASE 0x70
#define RTC_NR_PORTS 2
#define RTC_IRQ 8
#define RTC_PORT_INDEX 0
#define RTC_PORT_DATA 1
#define RTC_INDEX_MASK 0x7F
#define RTC_NMI_DISABLE 0x80
#define RTC_CMOS_SIZE 128

/* Register indexes (datasheet Figure 3, "Address Map"). */
#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0A
#define RTC_REG_B 0x0B
#define RTC_REG_C 0x0C
#define RTC_REG_D 0x0D
#define RTC_NVRAM_START 0x0E

/* PC CMOS layout (IBM AT BIOS convention, as QEMU/SeaBIOS use it). */
#define CMOS_SHUTDOWN_STATUS 0x0F
#define CMOS_FLOPPY_TYPES 0x10
#define CMOS_DISK_TYPES 0x12
#define CMOS_EQUIPMENT 0x14
#define CMOS_BASE_MEM_LO 0x15
#define CMOS_BASE_MEM_HI 0x16
#define CMOS_EXT_MEM_LO 0x17
#define CMOS_EXT_MEM_HI 0x18
#define CMOS_CHECKSUM_FIRST 0x10
#define CMOS_CHECKSUM_LAST 0x2D
#define CMOS_CHECKSUM_HI 0x2E
#define CMOS_CHECKSUM_LO 0x2F
#define CMOS_EXT_MEM2_LO 0x30
#define CMOS_EXT_MEM2_HI 0x31
#define CMOS_CENTURY 0x32
#define CMOS_MEM_ABOVE_16M_LO 0x34
#define CMOS_MEM_ABOVE_16M_HI 0x35
#define CMOS_MEM_ABOVE_4G_LO 0x5B
#define CMOS_MEM_ABOVE_4G_MID 0x5C
#define CMOS_MEM_ABOVE_4G_HI 0x5D
#define CMOS_EQUIPMENT_FPU 0x02

/* Register A. */
#define RTC_A_UIP 0x80
#define RTC_A_DV_MASK 0x70
#define RTC_A_DV_32KHZ 0x20
#define RTC_A_DV_RESET 0x60 /* 11x holds the divider chain in reset */
#define RTC_A_RS_MASK 0x0F
/* Register B. */
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_SQWE 0x08
#define RTC_B_DM_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_B_DSE 0x01
/* Register C. */
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10
/* Register D. */
#define RTC_D_VRT 0x80

#define RTC_HOUR_PM 0x80
#define RTC_ALARM_DONT_CARE 0xC0 /* 0xC0-0xFF match any value */
#define RTC_UIP_NS 244141ULL     /* 8 cycles of 32.768 kHz before the update */

struct rtc_cmos {
	const char *owner;
	const struct vclock *clock;
	struct irq_sink irq;
	unsigned int irq_line;
	bool irq_level;
	uint8_t index;
	bool nmi_disabled;
	uint8_t cmos[RTC_CMOS_SIZE]; /* alarms, A, B and NVRAM; time is derived */
	uint8_t flags;               /* register C PF/AF/UF */

	/* guest second = floor((host_ns + phase_ns) / 1e9) + offset_sec */
	int64_t offset_sec;
	uint64_t phase_ns;
	bool frozen; /* SET or divider reset: the time registers hold still */
	struct rtc_datetime held;
	int64_t last_sec;      /* guest second up to which UF/AF were found */
	uint64_t div_start_ns; /* vclock time the divider chain last started */
	uint64_t last_periodic;
	unsigned int warned;
};

void rtc_cmos_init(struct rtc_cmos *r, const char *owner, const struct vclock *clock,
		   const struct irq_sink *irq, unsigned int irq_line);
/* Fill the BIOS memory-size bytes (0x15-0x18, 0x30-0x31, 0x34-0x35,
 * 0x5B-0x5D) and the checksum from the partition's RAM below and above 4 GiB. */
void rtc_cmos_set_memory_size(struct rtc_cmos *r, uint64_t below_4g, uint64_t above_4g);

int rtc_cmos_io_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int rtc_cmos_io_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
bool rtc_cmos_attach(struct rtc_cmos *r, struct iobus *bus);

/* vclock time (ns) at which an enabled interrupt is next due, or
 * VDEV_NO_DEADLINE (also while IRQ8 is already asserted). */
uint64_t rtc_cmos_next_deadline(const struct rtc_cmos *r);
void rtc_cmos_tick(struct rtc_cmos *r, uint64_t now_ns);

/* Bit 7 of the last index written: the guest's NMI mask. */
bool rtc_cmos_nmi_disabled(const struct rtc_cmos *r);
/* The guest's current Unix time in seconds (for the console and tests). */
int64_t rtc_cmos_guest_time(const struct rtc_cmos *r, uint64_t now_ns);

#endif
