/* SPDX-License-Identifier: BSD-2-Clause */
/* 8042 controller with nothing attached, and the PC system ports (POST
 * code, port 0x92, 0xCF9 reset control). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/iobus.h"
#include "drivers/vdev/i8042.h"
#include "drivers/vdev/sys_ports.h"
#include "tests/unit/support/host_log.h"
#include "tests/unit/support/vdev_fakes.h"

static struct i8042 k;
static struct sys_ports sp;
static struct irq_recorder irq;
static struct reset_counter rst;
static struct iobus bus;

static void setup(void)
{
	recorder_init(&irq);
	reset_counter_init(&rst);
	host_log_reset();
	memset(&bus, 0, sizeof(bus));
	i8042_init(&k, "t", &irq.sink, I8042_KBD_IRQ, I8042_AUX_IRQ, &rst.sink);
	sys_ports_init(&sp, "t", &rst.sink);
	cr_assert(i8042_attach(&k, &bus));
	cr_assert(sys_ports_attach(&sp, &bus));
	cr_assert(iobus_add_pio(&bus, RESET_CONTROL_PORT, 1, sys_ports_cf9_read,
				sys_ports_cf9_write, &sp, "cf9"));
}

static void out(uint16_t port, uint8_t v)
{
	uint64_t val = v;
	cr_assert_eq(iobus_pio(&bus, port, 1, true, &val), IOBUS_OK);
}

static uint8_t in(uint16_t port)
{
	uint64_t val;
	cr_assert_eq(iobus_pio(&bus, port, 1, false, &val), IOBUS_OK);
	cr_assert_leq(val, 0xFF);
	return (uint8_t)val;
}

/* Linux's i8042_command(): write the command, then read one reply byte
 * after waiting for OBF. */
static uint8_t command_reply(uint8_t cmd)
{
	cr_assert_eq(in(0x64) & I8042_STR_IBF, 0);
	out(0x64, cmd);
	cr_assert(in(0x64) & I8042_STR_OBF, "reply for %#x", cmd);
	return in(0x60);
}

TestSuite(i8042, .init = setup);

Test(i8042, status_after_init)
{
	uint8_t st = in(0x64);
	cr_assert_eq(st & (I8042_STR_OBF | I8042_STR_IBF), 0);
	cr_assert(st & I8042_STR_SYS);
	cr_assert(st & I8042_STR_UNLOCKED);
	out(0x64, I8042_CMD_KBD_ENABLE);
	cr_assert(in(0x64) & I8042_STR_CMD, "last write went to the command port");
	out(0x60, 0xF4);
	cr_assert_eq(in(0x64) & I8042_STR_CMD, 0);
}

Test(i8042, self_test_and_port_tests)
{
	cr_assert_eq(command_reply(I8042_CMD_SELF_TEST), I8042_SELF_TEST_OK);
	cr_assert_eq(in(0x64) & I8042_STR_OBF, 0, "reading the data port empties the buffer");
	cr_assert_eq(command_reply(I8042_CMD_KBD_TEST), 0x00);
	cr_assert_eq(command_reply(I8042_CMD_AUX_TEST), 0x00);
}

Test(i8042, command_byte_round_trip)
{
	uint8_t ctr = command_reply(I8042_CMD_READ_CTR);
	cr_assert_eq(ctr, I8042_CTR_XLATE | I8042_CTR_SYS | I8042_CTR_KBDINT);
	out(0x64, I8042_CMD_WRITE_CTR);
	out(0x60, 0xFF);
	cr_assert_eq(command_reply(I8042_CMD_READ_CTR), 0x7F, "bit 7 is reserved");
	out(0x64, I8042_CMD_KBD_DISABLE);
	out(0x64, I8042_CMD_AUX_DISABLE);
	cr_assert_eq(command_reply(I8042_CMD_READ_CTR) & 0x30, 0x30);
	out(0x64, I8042_CMD_KBD_ENABLE);
	out(0x64, I8042_CMD_AUX_ENABLE);
	cr_assert_eq(command_reply(I8042_CMD_READ_CTR) & 0x30, 0x00);
}

Test(i8042, pulse_reset_command_calls_back)
{
	out(0x64, I8042_CMD_PULSE_RESET);
	cr_assert_eq(rst.count, 1);
	cr_assert_str_eq(rst.last, "i8042 pulse reset command");
	out(0x64, 0xFF); /* pulses no line */
	cr_assert_eq(rst.count, 1);
	out(0x64, 0xF0); /* pulses bits 3:0, including reset */
	cr_assert_eq(rst.count, 2);
	out(0x64, 0xFD); /* bit 0 stays high */
	cr_assert_eq(rst.count, 2);
	cr_assert_eq(k.resets, 2);
}

Test(i8042, linux_reboot_kbd_method)
{
	/* arch/x86/kernel/reboot.c: kb_wait() for IBF clear, then 0xFE. */
	for (int i = 0; i < 10 && rst.count == 0; i++) {
		int spins = 0;
		while (in(0x64) & I8042_STR_IBF)
			cr_assert_lt(++spins, 0x10000);
		out(0x64, 0xFE);
	}
	cr_assert_eq(rst.count, 1);
}

Test(i8042, output_port_reset_line)
{
	uint8_t op = command_reply(I8042_CMD_READ_OUTPORT);
	cr_assert_eq(op & (I8042_OUT_RESET | I8042_OUT_A20), I8042_OUT_RESET | I8042_OUT_A20);
	out(0x64, I8042_CMD_WRITE_OUTPORT);
	out(0x60, I8042_OUT_RESET | I8042_OUT_A20);
	cr_assert_eq(rst.count, 0);
	out(0x64, I8042_CMD_WRITE_OUTPORT);
	out(0x60, I8042_OUT_A20); /* reset line low */
	cr_assert_eq(rst.count, 1);
	cr_assert(command_reply(I8042_CMD_READ_OUTPORT) & I8042_OUT_RESET, "released after reset");
}

Test(i8042, absent_keyboard_answers_resend_with_timeout_and_irq1)
{
	out(0x60, 0xF2); /* keyboard "identify" */
	uint8_t st = in(0x64);
	cr_assert(st & I8042_STR_OBF);
	cr_assert(st & I8042_STR_TIMEOUT);
	cr_assert_eq(st & I8042_STR_AUXDATA, 0);
	cr_assert(irq.level[I8042_KBD_IRQ], "KBDINT enabled: IRQ1");
	cr_assert_eq(in(0x60), I8042_DEVICE_RESEND);
	cr_assert_not(irq.level[I8042_KBD_IRQ]);
	cr_assert_eq(in(0x64) & (I8042_STR_OBF | I8042_STR_TIMEOUT), 0);
}

Test(i8042, aux_loopback_and_absent_mouse)
{
	out(0x64, I8042_CMD_WRITE_CTR);
	out(0x60, I8042_CTR_SYS | I8042_CTR_AUXINT);
	out(0x64, I8042_CMD_WRITE_AUX_OUTBUF);
	out(0x60, 0x5A);
	cr_assert(in(0x64) & I8042_STR_AUXDATA);
	cr_assert(irq.level[I8042_AUX_IRQ], "IRQ12 for aux data");
	cr_assert_not(irq.level[I8042_KBD_IRQ]);
	cr_assert_eq(in(0x60), 0x5A);
	cr_assert_not(irq.level[I8042_AUX_IRQ]);
	out(0x64, I8042_CMD_WRITE_AUX);
	out(0x60, 0xFF); /* mouse reset */
	cr_assert_eq(in(0x64) & (I8042_STR_AUXDATA | I8042_STR_TIMEOUT),
		     I8042_STR_AUXDATA | I8042_STR_TIMEOUT);
	cr_assert_eq(in(0x60), I8042_DEVICE_RESEND);
}

Test(i8042, irq_disabled_in_command_byte)
{
	out(0x64, I8042_CMD_WRITE_CTR);
	out(0x60, I8042_CTR_SYS);
	cr_assert_eq(command_reply(I8042_CMD_SELF_TEST), 0x55);
	cr_assert_eq(irq.rises[I8042_KBD_IRQ], 0);
}

Test(i8042, unknown_command_ignored_with_debug_line)
{
	out(0x64, 0xC1);
	cr_assert_eq(in(0x64) & I8042_STR_OBF, 0);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("[t] i8042: command 0xc1 not implemented"));
	cr_assert_eq(rst.count, 0);
}

Test(i8042, hostile_storm)
{
	srand(11);
	for (int i = 0; i < 100000; i++) {
		uint16_t port = (rand() & 1) ? 0x60 : 0x64;
		uint8_t v = (uint8_t)rand();
		if ((v & 0xF0) == 0xF0 || v == I8042_CMD_WRITE_OUTPORT)
			v = 0x20; /* resets are counted separately */
		if (rand() & 1)
			out(port, v);
		else
			(void)in(port);
		cr_assert_eq(in(0x64) & I8042_STR_IBF, 0);
		cr_assert_eq(irq.level[I8042_KBD_IRQ], k.kbd_irq_level);
		cr_assert_eq(k.ctr & 0x80, 0);
	}
}

TestSuite(sysports, .init = setup);

Test(sysports, post_code_is_recorded_quietly)
{
	for (int i = 0; i < 1000; i++)
		out(0x80, (uint8_t)i);
	cr_assert_eq(sys_ports_last_post_code(&sp), (uint8_t)999);
	cr_assert_eq(in(0x80), (uint8_t)999);
	cr_assert_eq(sp.post_writes, 1000);
	cr_assert_eq(host_log_count(), 0, "no log spam");
}

Test(sysports, port92_fast_init_on_rising_edge)
{
	reset_counter_init(&rst);
	sys_ports_init(&sp, "t", &rst.sink);
	cr_assert_eq(in(0x92), PORT92_A20);
	out(0x92, PORT92_A20 | PORT92_FAST_INIT);
	cr_assert_eq(rst.count, 1);
	cr_assert_str_eq(rst.last, "port 0x92 fast init");
	out(0x92, PORT92_A20 | PORT92_FAST_INIT);
	cr_assert_eq(rst.count, 1, "no new transition");
	out(0x92, PORT92_A20);
	out(0x92, PORT92_A20 | PORT92_FAST_INIT);
	cr_assert_eq(rst.count, 2);
	out(0x92, 0xFC);
	cr_assert_eq(in(0x92), 0x00, "only bits 0-1 are stored");
}

Test(sysports, cf9_reset_control)
{
	/* Linux BOOT_CF9: read, write 0x02, then 0x06 (or 0x0E). */
	uint8_t cf9 = in(0xCF9) & ~0x06;
	out(0xCF9, cf9 | CF9_SYS_RST);
	cr_assert_eq(rst.count, 0, "0x02 only selects a hard reset");
	out(0xCF9, cf9 | 0x06);
	cr_assert_eq(rst.count, 1);
	cr_assert_str_eq(rst.last, "0xcf9 hard reset");
	cr_assert_eq(in(0xCF9), CF9_SYS_RST, "RST_CPU reads back 0");
	out(0xCF9, 0x0E);
	cr_assert_eq(rst.count, 2);
	cr_assert_eq(in(0xCF9), CF9_SYS_RST | CF9_FULL_RST);
	out(0xCF9, 0x04);
	cr_assert_eq(rst.count, 3);
	cr_assert_str_eq(rst.last, "0xcf9 soft reset");
	out(0xCF9, 0xF1);
	cr_assert_eq(rst.count, 3);
}

Test(sysports, no_reset_sink_is_harmless)
{
	sys_ports_init(&sp, NULL, NULL);
	i8042_init(&k, NULL, NULL, 1, 12, NULL);
	out(0xCF9, 0x06);
	out(0x92, 0x01);
	out(0x64, 0xFE);
	out(0x60, 0x12);
	cr_assert_eq(sp.resets, 2);
	cr_assert_eq(k.resets, 1);
	cr_assert(host_log_contains("[?] sysports: 0xcf9 hard reset: reset requested"));
}
