/* SPDX-License-Identifier: BSD-2-Clause */
/* Intel 8042 keyboard controller as found on PCs (IBM PS/2 Technical
 * Reference, "Keyboard/Auxiliary Device Controller"; command set as Linux's
 * drivers/input/serio/i8042.h documents it), with no keyboard and no mouse
 * attached: enough for a guest to probe the controller quickly, find no
 * devices (a byte sent to a device is answered with 0xFE "resend" and the
 * time-out status bit, so probes fail at once instead of waiting), and
 * reset the machine through the output port (commands 0xD1 and 0xF0-0xFE).
 *
 * Ports 0x60 (data) and 0x64 (status/command), IRQ1 and IRQ12 following the
 * output-buffer-full condition when enabled in the command byte. */
#ifndef BULKHEAD_DRIVERS_VDEV_I8042_H
#define BULKHEAD_DRIVERS_VDEV_I8042_H

#include "core/iobus.h"
#include "drivers/vdev/reset_sink.h"
#include "drivers/vdev/vdev.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_KBD_IRQ 1
#define I8042_AUX_IRQ 12

/* Status register (port 0x64 read). */
#define I8042_STR_OBF 0x01
#define I8042_STR_IBF 0x02
#define I8042_STR_SYS 0x04
#define I8042_STR_CMD 0x08 /* last write was to the command port */
#define I8042_STR_UNLOCKED 0x10
#define I8042_STR_AUXDATA 0x20
#define I8042_STR_TIMEOUT 0x40
#define I8042_STR_PARITY 0x80

/* Command byte ("controller configuration"). */
#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_AUXINT 0x02
#define I8042_CTR_SYS 0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE 0x40
#define I8042_CTR_WRITABLE 0x7F

/* Commands (port 0x64 write). */
#define I8042_CMD_READ_CTR 0x20
#define I8042_CMD_WRITE_CTR 0x60
#define I8042_CMD_AUX_DISABLE 0xA7
#define I8042_CMD_AUX_ENABLE 0xA8
#define I8042_CMD_AUX_TEST 0xA9
#define I8042_CMD_SELF_TEST 0xAA
#define I8042_CMD_KBD_TEST 0xAB
#define I8042_CMD_KBD_DISABLE 0xAD
#define I8042_CMD_KBD_ENABLE 0xAE
#define I8042_CMD_READ_OUTPORT 0xD0
#define I8042_CMD_WRITE_OUTPORT 0xD1
#define I8042_CMD_WRITE_KBD_OUTBUF 0xD2
#define I8042_CMD_WRITE_AUX_OUTBUF 0xD3
#define I8042_CMD_WRITE_AUX 0xD4
#define I8042_CMD_PULSE_FIRST 0xF0 /* 0xF0-0xFF pulse output port bits 3:0 low */
#define I8042_CMD_PULSE_RESET 0xFE

#define I8042_SELF_TEST_OK 0x55
#define I8042_PORT_TEST_OK 0x00
#define I8042_DEVICE_RESEND 0xFE

/* Output port. */
#define I8042_OUT_RESET 0x01 /* active low: 0 resets the CPU */
#define I8042_OUT_A20 0x02
#define I8042_OUT_KBD_OBF 0x10
#define I8042_OUT_AUX_OBF 0x20
#define I8042_OUT_STORED (I8042_OUT_RESET | I8042_OUT_A20 | 0xCC)

struct i8042 {
	const char *owner;
	struct irq_sink irq;
	unsigned int kbd_line, aux_line;
	bool kbd_irq_level, aux_irq_level;
	struct reset_sink reset;

	uint8_t ctr;
	uint8_t out_port;
	uint8_t ob;
	bool obf, ob_aux, timeout;
	bool last_was_cmd;
	uint8_t pending_cmd; /* command waiting for its data byte, or 0 */
	uint64_t resets;     /* reset requests passed to the platform */
};

/* irq lines are those of the irq_sink (normally I8042_KBD_IRQ and
 * I8042_AUX_IRQ); irq and reset may be NULL. */
void i8042_init(struct i8042 *k, const char *owner, const struct irq_sink *irq,
		unsigned int kbd_line, unsigned int aux_line, const struct reset_sink *reset);

/* One-port ranges: data at 0x60, status/command at 0x64. */
int i8042_data_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int i8042_data_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
int i8042_cmd_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int i8042_cmd_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
bool i8042_attach(struct i8042 *k, struct iobus *bus);

#endif
