/* SPDX-License-Identifier: BSD-2-Clause */
/* core/lib/console_input: Ctrl-A x3 focus cycling, Ctrl-A pass-through,
 * per-partition buffering for a slow guest, drops when the buffer is full. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/lib/console_input.h"
#include "drivers/vdev/uart16550.h"
#include "tests/unit/support/host_log.h"

#define CTRL_A CONSOLE_SWITCH_KEY

/* A guest UART receiver: takes at most `room` more bytes. */
struct fake_rx {
	size_t room;
	size_t extra_claim; /* a buggy sink that reports more than it took */
	uint8_t got[2048];
	size_t n;
};

static size_t fake_sink(void *ctx, const uint8_t *buf, size_t len)
{
	struct fake_rx *f = ctx;
	size_t take = MIN(len, f->room);
	cr_assert_leq(f->n + take, sizeof(f->got));
	memcpy(f->got + f->n, buf, take);
	f->n += take;
	f->room -= take;
	return take + f->extra_claim;
}

static struct console_input ci;
static struct console_input_port pa, pb, pc, pnone;
static struct fake_rx ra, rb, rc;

static void setup(void)
{
	host_log_reset();
	console_input_init(&ci);
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	memset(&rc, 0, sizeof(rc));
	ra.room = rb.room = rc.room = 16;
	console_input_port_init(&pa, "alpha");
	console_input_port_init(&pb, "beta");
	console_input_port_init(&pc, "gamma");
	console_input_port_init(&pnone, "mute"); /* no console input */
	console_input_port_set_sink(&pa, fake_sink, &ra);
	console_input_port_set_sink(&pb, fake_sink, &rb);
	console_input_port_set_sink(&pc, fake_sink, &rc);
}

TestSuite(console_input, .init = setup);

static void type(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		console_input_feed(&ci, (uint8_t)s[i]);
}

static void type_str(const char *s)
{
	type(s, strlen(s));
}

static void switch_focus(void)
{
	type("\x01\x01\x01", 3);
}

static const char *last_log(void)
{
	return host_log_line(host_log_count() - 1);
}

Test(console_input, default_focus_is_first_partition_with_input)
{
	console_input_register(&ci, &pnone);
	cr_assert_str_eq(console_input_focus_name(&ci), CONSOLE_FOCUS_HYPERVISOR);
	cr_assert_eq(host_log_count(), 0, "a partition without input takes no focus");
	console_input_register(&ci, &pa);
	console_input_register(&ci, &pb);
	cr_assert_eq(ci.focus, &pa);
	cr_assert_eq(host_log_count(), 1, "the default focus is announced once");
	cr_assert_str_eq(host_log_line(0), "console: input to alpha (Ctrl-A x3 to switch)");
	type_str("ls\n");
	cr_assert_eq(ra.n, 3);
	cr_assert_eq(memcmp(ra.got, "ls\n", 3), 0);
	cr_assert_eq(rb.n, 0);
}

Test(console_input, ctrl_a_three_times_cycles_through_partitions_and_hypervisor)
{
	console_input_register(&ci, &pa);
	console_input_register(&ci, &pb);
	switch_focus();
	cr_assert_str_eq(console_input_focus_name(&ci), "beta");
	cr_assert_str_eq(last_log(), "console: input to beta (Ctrl-A x3 to switch)");
	switch_focus();
	cr_assert_str_eq(console_input_focus_name(&ci), CONSOLE_FOCUS_HYPERVISOR);
	cr_assert_str_eq(last_log(), "console: input to hypervisor (Ctrl-A x3 to switch)");
	switch_focus();
	cr_assert_str_eq(console_input_focus_name(&ci), "alpha");
	cr_assert_eq(host_log_count(), 4, "one line per switch plus the default");
	cr_assert_eq(ra.n + rb.n, 0, "the switch sequence itself reaches no guest");
}

Test(console_input, one_or_two_ctrl_a_then_a_key_are_delivered_as_typed)
{
	console_input_register(&ci, &pa);
	type("\x01x\x01\x01y", 5);
	cr_assert_eq(ra.n, 5);
	cr_assert_eq(memcmp(ra.got, "\x01x\x01\x01y", 5), 0);
	cr_assert_eq(ci.focus, &pa, "no switch happened");
	cr_assert_eq(host_log_count(), 1);
}

Test(console_input, another_key_resets_the_ctrl_a_count)
{
	console_input_register(&ci, &pa);
	console_input_register(&ci, &pb);
	type("\x01\x01z\x01\x01", 5);
	cr_assert_eq(ci.focus, &pa, "2 + 2 presses split by a key are no switch");
	cr_assert_eq(ra.n, 3, "the two Ctrl-A after z are still held back");
	type("\x01", 1);
	cr_assert_eq(ci.focus, &pb, "the third press in a row switches");
	cr_assert_eq(ra.n, 3);
	cr_assert_eq(memcmp(ra.got, "\x01\x01z", 3), 0);
	cr_assert_eq(rb.n, 0);
}

Test(console_input, six_presses_switch_twice)
{
	console_input_register(&ci, &pa);
	console_input_register(&ci, &pb);
	console_input_register(&ci, &pc);
	type("\x01\x01\x01\x01\x01\x01", 6);
	cr_assert_eq(ci.focus, &pc);
	type("\x01\x01\x01\x01q", 5);
	cr_assert_null(ci.focus, "presses 7-9 switch to the hypervisor");
	cr_assert_eq(ra.n + rb.n + rc.n, 0, "the 10th Ctrl-A and q went to the hypervisor");
	cr_assert_eq(ci.discarded, 2);
}

Test(console_input, hypervisor_focus_discards_typed_keys)
{
	console_input_register(&ci, &pa);
	switch_focus();
	cr_assert_null(ci.focus);
	type_str("reboot\n");
	cr_assert_eq(ra.n, 0);
	cr_assert_eq(pa.count, 0, "nothing is kept for later either");
	cr_assert_eq(ci.discarded, 7);
}

Test(console_input, partitions_without_input_are_skipped)
{
	console_input_register(&ci, &pa);
	console_input_register(&ci, &pnone);
	console_input_register(&ci, &pb);
	switch_focus();
	cr_assert_eq(ci.focus, &pb);
	switch_focus();
	cr_assert_null(ci.focus);
	switch_focus();
	cr_assert_eq(ci.focus, &pa);
}

Test(console_input, stopped_partitions_leave_the_cycle)
{
	console_input_register(&ci, &pa);
	console_input_register(&ci, &pb);
	console_input_register(&ci, &pc);
	console_input_unregister(&ci, &pb);
	switch_focus();
	cr_assert_eq(ci.focus, &pc);
	switch_focus();
	cr_assert_null(ci.focus);
	switch_focus();
	cr_assert_eq(ci.focus, &pa);
	console_input_unregister(&ci, &pb); /* twice: harmless */
	cr_assert_eq(ci.nr_ports, 2);
}

Test(console_input, focused_partition_stopping_moves_focus_to_another_partition)
{
	console_input_register(&ci, &pa);
	console_input_register(&ci, &pb);
	console_input_register(&ci, &pnone);
	console_input_unregister(&ci, &pa);
	cr_assert_eq(ci.focus, &pb);
	cr_assert_str_eq(last_log(), "console: input to beta (Ctrl-A x3 to switch)");
	console_input_register(&ci, &pa); /* restarted: now last in the cycle */
	switch_focus();
	cr_assert_eq(ci.focus, &pa);
	console_input_unregister(&ci, &pa);
	cr_assert_eq(ci.focus, &pb, "wraps to a partition, not to the hypervisor");
	unsigned int lines = host_log_count();
	console_input_unregister(&ci, &pnone);
	cr_assert_eq(host_log_count(), lines, "an unfocused partition stopping says nothing");
	console_input_unregister(&ci, &pb);
	cr_assert_null(ci.focus);
	cr_assert_eq(host_log_count(), lines + 1, "the last focus line must not name beta");
	cr_assert_str_eq(last_log(), "console: input to hypervisor (Ctrl-A x3 to switch)");
	type_str("x");
	cr_assert_eq(rb.n, 0);
}

Test(console_input, restarted_partition_rejoins_but_does_not_steal_a_chosen_focus)
{
	console_input_register(&ci, &pa);
	console_input_unregister(&ci, &pa);
	console_input_register(&ci, &pa);
	cr_assert_eq(ci.focus, &pa, "no choice made yet: the default applies again");
	switch_focus(); /* the user picks the hypervisor */
	cr_assert_null(ci.focus);
	console_input_register(&ci, &pb);
	cr_assert_null(ci.focus, "a new partition does not take the focus away");
	console_input_register(&ci, &pa); /* already in: nothing changes */
	cr_assert_eq(ci.nr_ports, 2);
}

Test(console_input, full_guest_receiver_buffers_and_drains_in_order)
{
	console_input_register(&ci, &pa);
	ra.room = 2;
	type_str("hello");
	cr_assert_eq(ra.n, 2);
	cr_assert_eq(pa.count, 3);
	console_input_drain(&ci);
	cr_assert_eq(ra.n, 2, "still no room: still waiting");
	ra.room = 2;
	console_input_drain(&ci);
	cr_assert_eq(ra.n, 4);
	ra.room = 100;
	type_str("!"); /* new input goes behind what waits */
	console_input_drain(&ci);
	cr_assert_eq(ra.n, 6);
	cr_assert_eq(memcmp(ra.got, "hello!", 6), 0);
	cr_assert_eq(pa.count, 0);
	cr_assert_eq(pa.delivered, 6);
}

Test(console_input, input_typed_before_a_switch_still_reaches_its_partition)
{
	console_input_register(&ci, &pa);
	console_input_register(&ci, &pb);
	ra.room = 0;
	type_str("for-a");
	switch_focus();
	type_str("for-b");
	cr_assert_eq(rb.n, 5);
	ra.room = 100;
	console_input_drain(&ci);
	cr_assert_eq(ra.n, 5);
	cr_assert_eq(memcmp(ra.got, "for-a", 5), 0);
	cr_assert_eq(memcmp(rb.got, "for-b", 5), 0);
}

Test(console_input, ring_wraps_without_reordering)
{
	char expect[400];
	for (size_t i = 0; i < sizeof(expect); i++)
		expect[i] = (char)('a' + i % 26);
	console_input_register(&ci, &pa);
	ra.room = 0;
	type(expect, 200);
	ra.room = 150;
	console_input_drain(&ci);
	type(expect + 200, 200); /* 50 + 200 waiting: the ring wraps */
	cr_assert_eq(pa.count, 250);
	cr_assert_eq(pa.dropped, 0);
	ra.room = 1000;
	console_input_drain(&ci);
	cr_assert_eq(ra.n, 400);
	cr_assert_eq(memcmp(ra.got, expect, 400), 0);
}

Test(console_input, full_ring_drops_counts_and_logs_once_per_burst)
{
	char text[300];
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('A' + i % 26);
	console_input_register(&ci, &pa);
	unsigned int lines = host_log_count();
	ra.room = 0;
	type(text, 300);
	cr_assert_eq(pa.count, CONSOLE_INPUT_RING_SIZE);
	cr_assert_eq(pa.dropped, 300 - CONSOLE_INPUT_RING_SIZE);
	cr_assert_eq(host_log_count(), lines + 1, "one line for the whole burst");
	cr_assert(strstr(last_log(), "[alpha] console:") == last_log());
	cr_assert(strstr(last_log(), "dropping") != NULL);

	ra.room = 10; /* the guest reads a little: still the same burst */
	console_input_drain(&ci);
	type(text, 20);
	cr_assert_eq(host_log_count(), lines + 1);
	cr_assert_eq(pa.dropped, 300 - CONSOLE_INPUT_RING_SIZE + 10);

	ra.room = 2000; /* caught up: the first 256 typed come out intact */
	console_input_drain(&ci);
	cr_assert_eq(memcmp(ra.got, text, CONSOLE_INPUT_RING_SIZE), 0);
	ra.room = 0;
	type(text, CONSOLE_INPUT_RING_SIZE + 1);
	cr_assert_eq(host_log_count(), lines + 2, "a new burst gets a new line");
}

Test(console_input, stopping_discards_waiting_input)
{
	console_input_register(&ci, &pa);
	ra.room = 0;
	type_str("stale");
	console_input_unregister(&ci, &pa);
	cr_assert_eq(pa.count, 0);
	console_input_register(&ci, &pa);
	ra.room = 100;
	console_input_drain(&ci);
	type_str("new");
	cr_assert_eq(ra.n, 3);
	cr_assert_eq(memcmp(ra.got, "new", 3), 0);
}

Test(console_input, sink_claiming_more_than_offered_cannot_corrupt_the_ring)
{
	console_input_register(&ci, &pa);
	ra.room = 0;
	type_str("abc");
	ra.room = 1;
	ra.extra_claim = 50;
	console_input_drain(&ci);
	cr_assert_eq(pa.count, 0, "clamped to what was offered");
	cr_assert_eq(pa.delivered, 3);
	ra.extra_claim = 0;
	ra.room = 0;
	type_str("d");
	cr_assert_eq(pa.count, 1);
}

Test(console_input, more_partitions_than_slots_are_refused_with_one_line)
{
	static struct console_input_port many[CONSOLE_INPUT_MAX_PORTS + 1];
	for (unsigned int i = 0; i < CONSOLE_INPUT_MAX_PORTS; i++) {
		console_input_port_init(&many[i], "p");
		cr_assert(console_input_register(&ci, &many[i]));
	}
	console_input_port_init(&many[CONSOLE_INPUT_MAX_PORTS], "extra");
	unsigned int lines = host_log_count();
	cr_assert_not(console_input_register(&ci, &many[CONSOLE_INPUT_MAX_PORTS]));
	cr_assert_eq(host_log_count(), lines + 1);
	cr_assert(strstr(last_log(), "[extra]") != NULL);
	cr_assert_eq(ci.nr_ports, CONSOLE_INPUT_MAX_PORTS);
}

/* The sink platform/pc/platform.c binds to a partition's COM1 (same code). */
static size_t uart_sink(void *ctx, const uint8_t *buf, size_t len)
{
	struct uart16550 *u = ctx;
	size_t n = MIN(len, (size_t)uart16550_rx_room(u));
	for (size_t i = 0; i < n; i++)
		uart16550_receive(u, buf[i]);
	return n;
}

static uint8_t guest_read_rbr(struct uart16550 *u)
{
	uint64_t v = 0;
	cr_assert_eq(uart16550_io_read(u, UART_RBR, 1, &v), 0);
	return (uint8_t)v;
}

Test(console_input, emulated_16550_never_overruns_while_the_guest_reads_slowly)
{
	struct uart16550 u;
	char text[40];
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('0' + i % 10);
	uart16550_init(&u, "alpha", NULL, 4, NULL, NULL);
	cr_assert_eq(uart16550_io_write(&u, UART_FCR, 1, UART_FCR_ENABLE), 0);
	console_input_port_set_sink(&pa, uart_sink, &u);
	console_input_register(&ci, &pa);

	type(text, sizeof(text));
	cr_assert_eq(pa.count, sizeof(text) - UART16550_FIFO_SIZE,
		     "the FIFO is full, the rest waits");
	char got[sizeof(text)];
	size_t n = 0;
	while (n < sizeof(text)) {
		for (unsigned int i = 0; i < 5 && n < sizeof(text); i++) /* a slow reader */
			got[n++] = (char)guest_read_rbr(&u);
		console_input_drain(&ci);
	}
	cr_assert_eq(memcmp(got, text, sizeof(text)), 0);
	cr_assert_eq(u.rx_overruns, 0);
	cr_assert_eq(pa.dropped, 0);
}
