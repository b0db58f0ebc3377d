/* SPDX-License-Identifier: BSD-2-Clause */
/* POST code port, system control port A and the reset control register. */
#include "drivers/vdev/sys_ports.h"

#include "core/log.h"
#include "drivers/vdev/isa_bytes.h"

static const char *owner_of(const struct sys_ports *s)
{
	return s->owner ? s->owner : "?";
}

static void request_reset(struct sys_ports *s, const char *how)
{
	s->resets++;
	pr_info("[%s] sysports: %s: reset requested", owner_of(s), how);
	reset_request(&s->reset, how);
}

static uint8_t post_read_byte(void *dev, unsigned int off)
{
	const struct sys_ports *s = dev;
	return s->post_code;
}

static void post_write_byte(void *dev, unsigned int off, uint8_t val)
{
	struct sys_ports *s = dev;

	s->post_code = val;
	s->post_writes++;
}

static uint8_t port92_read_byte(void *dev, unsigned int off)
{
	const struct sys_ports *s = dev;
	return s->port92;
}

static void port92_write_byte(void *dev, unsigned int off, uint8_t val)
{
	struct sys_ports *s = dev;
	bool rising = (val & PORT92_FAST_INIT) && !(s->port92 & PORT92_FAST_INIT);

	if (!(val & PORT92_A20))
		pr_debug("[%s] sysports: guest clears fast A20; not emulated, A20 stays on",
			 owner_of(s));
	s->port92 = val & PORT92_WRITABLE;
	if (rising)
		request_reset(s, "port 0x92 fast init");
}

static uint8_t cf9_read_byte(void *dev, unsigned int off)
{
	const struct sys_ports *s = dev;
	return s->cf9;
}

static void cf9_write_byte(void *dev, unsigned int off, uint8_t val)
{
	struct sys_ports *s = dev;

	/* RST_CPU reads back 0 (the reset clears it), so every write with it
	 * set is a 0->1 transition. SYS_RST/FULL_RST pick the reset type;
	 * all of them restart the partition here. */
	s->cf9 = val & CF9_WRITABLE;
	if (val & CF9_RST_CPU)
		request_reset(s, val & CF9_SYS_RST ? "0xcf9 hard reset" : "0xcf9 soft reset");
}

int sys_ports_post_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	return isa_read_bytes(dev, offset, size, val, 1, post_read_byte);
}

int sys_ports_post_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	return isa_write_bytes(dev, offset, size, val, 1, post_write_byte);
}

int sys_ports_port92_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	return isa_read_bytes(dev, offset, size, val, 1, port92_read_byte);
}

int sys_ports_port92_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	return isa_write_bytes(dev, offset, size, val, 1, port92_write_byte);
}

int sys_ports_cf9_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val)
{
	return isa_read_bytes(dev, offset, size, val, 1, cf9_read_byte);
}

int sys_ports_cf9_write(void *dev, uint64_t offset, unsigned int size, uint64_t val)
{
	return isa_write_bytes(dev, offset, size, val, 1, cf9_write_byte);
}

uint8_t sys_ports_last_post_code(const struct sys_ports *s)
{
	return s->post_code;
}

void sys_ports_init(struct sys_ports *s, const char *owner, const struct reset_sink *reset)
{
	*s = (struct sys_ports){ 0 };
	s->owner = owner;
	if (reset)
		s->reset = *reset;
	s->port92 = PORT92_A20;
}

bool sys_ports_attach(struct sys_ports *s, struct iobus *bus)
{
	return iobus_add_pio(bus, POST_CODE_PORT, 1, sys_ports_post_read, sys_ports_post_write, s,
			     "post") &&
	       iobus_add_pio(bus, SYSCTL_PORT_A, 1, sys_ports_port92_read, sys_ports_port92_write,
			     s, "port92");
}
