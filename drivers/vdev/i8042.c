/* SPDX-License-Identifier: BSD-2-Clause */
/* 8042 keyboard controller with nothing plugged in. */
#include "drivers/vdev/i8042.h"

#include "core/log.h"
#include "drivers/vdev/isa_bytes.h"

static const char *owner_of(const struct i8042 *k)
{
	return k->owner ? k->owner : "?";
}

/* IRQ1/IRQ12 follow "output buffer full" for their source while the
 * command byte enables them (PS/2 Technical Reference, command byte bits
 * 0 and 1). */
static void update_irq(struct i8042 *k)
{
	bool kbd = k->obf && !k->ob_aux && (k->ctr & I8042_CTR_KBDINT);
	bool aux = k->obf && k->ob_aux && (k->ctr & I8042_CTR_AUXINT);

	if (kbd != k->kbd_irq_level) {
		k->kbd_irq_level = kbd;
		irq_set(&k->irq, k->kbd_line, kbd);
	}
	if (aux != k->aux_irq_level) {
		k->aux_irq_level = aux;
		irq_set(&k->irq, k->aux_line, aux);
	}
}

/* A new byte replaces whatever was unread: one output buffer. */
static void output(struct i8042 *k, uint8_t byte, bool aux, bool timeout)
{
	k->ob = byte;
	k->obf = true;
	k->ob_aux = aux;
	k->timeout = timeout;
}

static void request_reset(struct i8042 *k, const char *how)
{
	k->resets++;
	pr_info("[%s] i8042: %s: reset requested", owner_of(k), how);
	reset_request(&k->reset, how);
}

static void write_output_port(struct i8042 *k, uint8_t val)
{
	if (!(val & I8042_OUT_A20))
		pr_debug("[%s] i8042: guest disables A20; not emulated, A20 stays on", owner_of(k));
	k->out_port = val & I8042_OUT_STORED;
	if (!(val & I8042_OUT_RESET)) {
		request_reset(k, "i8042 output port reset line");
		k->out_port |= I8042_OUT_RESET; /* the line is released with the reset */
	}
}

static uint8_t output_port(const struct i8042 *k)
{
	uint8_t v = k->out_port;

	if (k->obf && !k->ob_aux)
		v |= I8042_OUT_KBD_OBF;
	if (k->obf && k->ob_aux)
		v |= I8042_OUT_AUX_OBF;
	return v;
}

static void command(struct i8042 *k, uint8_t cmd)
{
	k->pending_cmd = 0;
	switch (cmd) {
	case I8042_CMD_READ_CTR:
		output(k, k->ctr, false, false);
		break;
	case I8042_CMD_WRITE_CTR:
	case I8042_CMD_WRITE_OUTPORT:
	case I8042_CMD_WRITE_KBD_OUTBUF:
	case I8042_CMD_WRITE_AUX_OUTBUF:
	case I8042_CMD_WRITE_AUX:
		k->pending_cmd = cmd;
		break;
	case I8042_CMD_AUX_DISABLE:
		k->ctr |= I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_AUX_ENABLE:
		k->ctr &= ~I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_KBD_DISABLE:
		k->ctr |= I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_KBD_ENABLE:
		k->ctr &= ~I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_SELF_TEST:
		k->ctr |= I8042_CTR_SYS;
		output(k, I8042_SELF_TEST_OK, false, false);
		break;
	case I8042_CMD_KBD_TEST:
	case I8042_CMD_AUX_TEST:
		output(k, I8042_PORT_TEST_OK, false, false);
		break;
	case I8042_CMD_READ_OUTPORT:
		output(k, output_port(k), false, false);
		break;
	default:
		/* 0xF0-0xFF pulse output port bits 3:0 low; bit 0 is reset. */
		if (cmd >= I8042_CMD_PULSE_FIRST) {
			if (!(cmd & I8042_OUT_RESET))
				request_reset(k, "i8042 pulse reset command");
			break;
		}
		pr_debug("[%s] i8042: command %#x not implemented; ignored", owner_of(k), cmd);
		break;
	}
}

/* A byte for a device: nothing is attached, so the controller reports a
 * time-out with "resend", as for a device that never clocks. */
static void device_write(struct i8042 *k, uint8_t byte, bool aux)
{
	pr_debug("[%s] i8042: byte %#x for the %s device; none attached", owner_of(k), byte,
		 aux ? "aux" : "keyboard");
	output(k, I8042_DEVICE_RESEND, aux, true);
}

static void data_write(struct i8042 *k, uint8_t val)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case I8042_CMD_WRITE_CTR:
		k->ctr = val & I8042_CTR_WRITABLE;
		break;
	case I8042_CMD_WRITE_OUTPORT:
		write_output_port(k, val);
		break;
	case I8042_CMD_WRITE_KBD_OUTBUF:
		output(k, val, false, false);
		break;
	case I8042_CMD_WRITE_AUX_OUTBUF:
		output(k, val, true, false);
		break;
	case I8042_CMD_WRITE_AUX:
		device_write(k, val, true);
		break;
	default:
		device_write(k, val, false);
		break;
	}
}

static uint8_t status(const struct i8042 *k)
{
	uint8_t st = I8042_STR_UNLOCKED;

	if (k->obf)
		st |= I8042_STR_OBF;
	if (k->obf && k->ob_aux)
		st |= I8042_STR_AUXDATA;
	if (k->timeout)
		st |= I8042_STR_TIMEOUT;
	if (k->ctr & I8042_CTR_SYS)
		st |= I8042_STR_SYS;
	if (k->last_was_cmd)
		st |= I8042_STR_CMD;
	/* Commands complete instantly: the input buffer is never full. */
	return st;
}

static uint8_t data_read_byte(void *dev, unsigned int off)
{
	struct i8042 *k = dev;

	k->obf = false;
	k->timeout = false;
	update_irq(k);
	return k->ob;
}

static void data_write_byte(void *dev, unsigned int off, uint8_t val)
{
	struct i8042 *k = dev;

	k->last_was_cmd = false;
	data_write(k, val);
	update_irq(k);
}

static uint8_t cmd_read_byte(void *dev, unsigned int off)
{
	return status(dev);
}

static void cmd_write_byte(void *dev, unsigned int off, uint8_t val)
{
	struct i8042 *k = dev;

	k->last_was_cmd = true;
	command(k, val);
	update_irq(k);
}

int i8042_data_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	return isa_read_bytes(dev, offset, size, val, 1, data_read_byte);
}

int i8042_data_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	return isa_write_bytes(dev, offset, size, val, 1, data_write_byte);
}

int i8042_cmd_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	return isa_read_bytes(dev, offset, size, val, 1, cmd_read_byte);
}

int i8042_cmd_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	return isa_write_bytes(dev, offset, size, val, 1, cmd_write_byte);
}

void i8042_init(struct i8042 *k, const char *owner, const struct irq_sink *irq,
		unsigned int kbd_line, unsigned int aux_line, const struct reset_sink *reset)
{
	*k = (struct i8042){ 0 };
	k->owner = owner;
	if (irq)
		k->irq = *irq;
	k->kbd_line = kbd_line;
	k->aux_line = aux_line;
	if (reset)
		k->reset = *reset;
	/* As a BIOS leaves it: translation on, system flag set, keyboard
	 * interrupt enabled; reset line high, A20 on. */
	k->ctr = I8042_CTR_XLATE | I8042_CTR_SYS | I8042_CTR_KBDINT;
	k->out_port = I8042_OUT_RESET | I8042_OUT_A20;
}

bool i8042_attach(struct i8042 *k, struct iobus *bus)
{
	return iobus_add_pio(bus, I8042_DATA_PORT, 1, i8042_data_read, i8042_data_write, k,
			     "i8042-data") &&
	       iobus_add_pio(bus, I8042_CMD_PORT, 1, i8042_cmd_read, i8042_cmd_write, k, "i8042-cmd");
}
