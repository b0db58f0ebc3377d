/* SPDX-License-Identifier: BSD-2-Clause */
/* Small PC system ports:
 *  - 0x80: POST code sink (the last value is kept and reads back; Linux
 *    also writes here as an I/O delay, so nothing is logged per write);
 *  - 0x92: system control port A (PIIX4 datasheet §4.1.15): bit 1 fast
 *    A20 (stored; A20 is never masked here), bit 0 fast INIT, whose 0->1
 *    transition resets the partition;
 *  - 0xCF9: reset control register (Intel PCH datasheet, "Reset Control
 *    Register"): bit 1 SYS_RST, bit 3 FULL_RST, bit 2 RST_CPU whose 0->1
 *    transition resets (so writes of 0x06 or 0x0E reset; 0x02 first only
 *    arms). 0xCF9 lies inside the PCI CONFIG_ADDRESS dword at 0xCF8: only
 *    byte accesses reach it (PCI Local Bus 3.0 §3.2.2.3.2), so the PCI host
 *    bridge forwards them here. */
#ifndef BULKHEAD_DRIVERS_VDEV_SYS_PORTS_H
#define BULKHEAD_DRIVERS_VDEV_SYS_PORTS_H

#include "core/iobus.h"
#include "drivers/vdev/reset_sink.h"

#define POST_CODE_PORT 0x80
#define SYSCTL_PORT_A 0x92
#define RESET_CONTROL_PORT 0xCF9

#define PORT92_FAST_INIT 0x01
#define PORT92_A20 0x02
#define PORT92_WRITABLE (PORT92_FAST_INIT | PORT92_A20)

#define CF9_SYS_RST 0x02
#define CF9_RST_CPU 0x04
#define CF9_FULL_RST 0x08
#define CF9_WRITABLE (CF9_SYS_RST | CF9_FULL_RST)

struct sys_ports {
	const char *owner;
	struct reset_sink reset;
	uint8_t post_code;
	uint64_t post_writes;
	uint8_t port92;
	uint8_t cf9;
	uint64_t resets;
};

void sys_ports_init(struct sys_ports *s, const char *owner, const struct reset_sink *reset);

/* One-port ranges at 0x80, 0x92 and 0xCF9. */
int sys_ports_post_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int sys_ports_post_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
int sys_ports_port92_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int sys_ports_port92_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
int sys_ports_cf9_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int sys_ports_cf9_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);
/* Registers 0x80 and 0x92 only; 0xCF9 goes through the PCI host bridge. */
bool sys_ports_attach(struct sys_ports *s, struct iobus *bus);

uint8_t sys_ports_last_post_code(const struct sys_ports *s);

#endif
