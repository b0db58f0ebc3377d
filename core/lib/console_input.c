/* SPDX-License-Identifier: BSD-2-Clause */
/* Console input focus and per-partition input buffering (see the header and
 * docs/console.md). */
#include "core/lib/console_input.h"
#include "core/lib/string.h"
#include "core/log.h"

STATIC_ASSERT((CONSOLE_INPUT_RING_SIZE & (CONSOLE_INPUT_RING_SIZE - 1)) == 0,
	      "the ring index wraps with a mask");

#define RING_MASK (CONSOLE_INPUT_RING_SIZE - 1)

void console_input_init(struct console_input *ci)
{
	bh_memset(ci, 0, sizeof(*ci));
}

void console_input_port_init(struct console_input_port *port, const char *name)
{
	bh_memset(port, 0, sizeof(*port));
	port->name = name;
}

void console_input_port_set_sink(struct console_input_port *port, console_input_sink_fn sink,
				 void *ctx)
{
	port->sink = sink;
	port->sink_ctx = ctx;
}

const char *console_input_focus_name(const struct console_input *ci)
{
	return ci->focus ? ci->focus->name : CONSOLE_FOCUS_HYPERVISOR;
}

static void announce_focus(const struct console_input *ci)
{
	pr_info("console: input to %s (Ctrl-A x%u to switch)", console_input_focus_name(ci),
		CONSOLE_SWITCH_PRESSES);
}

/* ---- delivery ------------------------------------------------------------ */

/* Offer up to len bytes to the sink; returns how many it took. */
static size_t offer(struct console_input_port *port, const uint8_t *buf, size_t len)
{
	size_t took = port->sink(port->sink_ctx, buf, len);
	if (took > len) /* a sink that claims more than it was given took all */
		took = len;
	port->delivered += took;
	return took;
}

/* Waiting bytes first, oldest first, while the sink takes them. The ring
 * may wrap, so it goes out in at most two contiguous pieces. */
static void drain_port(struct console_input_port *port)
{
	if (!port->sink)
		return;
	while (port->count) {
		size_t piece = MIN(port->count, CONSOLE_INPUT_RING_SIZE - port->head);
		size_t took = offer(port, &port->ring[port->head], piece);
		port->head = (port->head + (unsigned int)took) & RING_MASK;
		port->count -= (unsigned int)took;
		if (took < piece)
			break;
	}
	if (!port->count) {
		port->head = 0;
		port->dropping = false; /* the guest caught up: a burst is over */
	}
}

static void enqueue(struct console_input_port *port, uint8_t byte)
{
	if (port->count == CONSOLE_INPUT_RING_SIZE) {
		port->dropped++;
		if (!port->dropping)
			pr_warn("[%s] console: guest is not reading its serial port and %u typed bytes are waiting: dropping further input",
				port->name, CONSOLE_INPUT_RING_SIZE);
		port->dropping = true;
		return;
	}
	port->ring[(port->head + port->count) & RING_MASK] = byte;
	port->count++;
}

static void deliver(struct console_input *ci, uint8_t byte)
{
	struct console_input_port *port = ci->focus;

	if (!port || !port->sink) {
		ci->discarded++;
		return;
	}
	drain_port(port);
	if (!port->count && offer(port, &byte, 1) == 1)
		return;
	enqueue(port, byte);
}

void console_input_drain(struct console_input *ci)
{
	for (unsigned int i = 0; i < ci->nr_ports; i++)
		drain_port(ci->port[i]);
}

/* ---- focus --------------------------------------------------------------- */

/* The focus cycle has nr_ports + 1 slots: the ports in order, then the
 * hypervisor (slot nr_ports, NULL). Returns the first slot from `slot` on
 * (wrapping) that takes input; the hypervisor slot always does. */
static struct console_input_port *first_target_from(const struct console_input *ci, unsigned int slot)
{
	unsigned int slots = ci->nr_ports + 1;

	for (unsigned int n = 0; n < slots; n++) {
		unsigned int s = (slot + n) % slots;
		if (s == ci->nr_ports)
			return NULL;
		if (ci->port[s]->sink)
			return ci->port[s];
	}
	return NULL;
}

/* The first partition that takes input from `slot` on (wrapping over the
 * partitions only), or NULL (the hypervisor) when none does. */
static struct console_input_port *first_partition_from(const struct console_input *ci,
						       unsigned int slot)
{
	for (unsigned int n = 0; n < ci->nr_ports; n++) {
		struct console_input_port *port = ci->port[(slot + n) % ci->nr_ports];
		if (port->sink)
			return port;
	}
	return NULL;
}

static unsigned int slot_of(const struct console_input *ci, const struct console_input_port *port)
{
	for (unsigned int i = 0; i < ci->nr_ports; i++)
		if (ci->port[i] == port)
			return i;
	return ci->nr_ports;
}

static void switch_focus(struct console_input *ci)
{
	ci->focus = first_target_from(ci, slot_of(ci, ci->focus) + 1);
	ci->focus_chosen = true;
	announce_focus(ci);
}

void console_input_feed(struct console_input *ci, uint8_t byte)
{
	if (byte == CONSOLE_SWITCH_KEY) {
		if (++ci->switch_presses < CONSOLE_SWITCH_PRESSES)
			return; /* held back until we know what it is */
		ci->switch_presses = 0;
		switch_focus(ci);
		return;
	}
	/* Not a switch after all: the held-back Ctrl-As were typed for the guest. */
	for (; ci->switch_presses; ci->switch_presses--)
		deliver(ci, CONSOLE_SWITCH_KEY);
	deliver(ci, byte);
}

/* ---- partitions starting and stopping ------------------------------------ */

bool console_input_register(struct console_input *ci, struct console_input_port *port)
{
	if (slot_of(ci, port) < ci->nr_ports)
		return true;
	if (ci->nr_ports == CONSOLE_INPUT_MAX_PORTS) {
		pr_err("[%s] console: no console input: more than %u partitions", port->name,
		       CONSOLE_INPUT_MAX_PORTS);
		return false;
	}
	ci->port[ci->nr_ports++] = port;
	if (port->sink && !ci->focus && !ci->focus_chosen) {
		ci->focus = port;
		announce_focus(ci);
	}
	return true;
}

void console_input_unregister(struct console_input *ci, struct console_input_port *port)
{
	unsigned int slot = slot_of(ci, port);

	if (slot == ci->nr_ports)
		return;
	for (unsigned int i = slot; i + 1 < ci->nr_ports; i++)
		ci->port[i] = ci->port[i + 1];
	ci->nr_ports--;
	ci->port[ci->nr_ports] = NULL;
	port->head = 0;
	port->count = 0;
	port->dropping = false;
	if (ci->focus != port)
		return;
	/* Its successor now sits in its slot. The user was typing to a
	 * partition, so another partition rather than the hypervisor; with no
	 * partition left the hypervisor, said so that the last focus line
	 * does not name a partition that has stopped. */
	ci->focus = first_partition_from(ci, slot);
	announce_focus(ci);
}
