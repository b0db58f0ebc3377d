/* SPDX-License-Identifier: BSD-2-Clause */
/* Console input focus: which partition receives what is typed on the
 * machine's one serial port (docs/console.md).
 *
 * A pure state machine, fed the host's received bytes one at a time:
 *  - Ctrl-A pressed CONSOLE_SWITCH_PRESSES (3) times in a row moves the focus
 *    to the next partition that takes input, then to the hypervisor (where
 *    typed keys are discarded), then round again, as Xen's console does;
 *    each move prints "console: input to <name> (Ctrl-A x3 to switch)".
 *  - One or two Ctrl-A followed by another key are delivered as typed, so a
 *    guest's shell still gets its Ctrl-A.
 *  - Bytes for the focused partition go to its input sink (its emulated
 *    UART's receiver); while that is full they wait in the partition's ring
 *    of CONSOLE_INPUT_RING_SIZE bytes and console_input_drain() delivers
 *    them, in order, once the guest reads. A full ring drops and counts
 *    bytes, with one log line per burst.
 *
 * Not thread safe: the caller serialises every call on one console_input. */
#ifndef BULKHEAD_CORE_LIB_CONSOLE_INPUT_H
#define BULKHEAD_CORE_LIB_CONSOLE_INPUT_H

#include "core/types.h"

#define CONSOLE_INPUT_MAX_PORTS 32  /* one per partition (MAX_PARTITIONS) */
#define CONSOLE_INPUT_RING_SIZE 256 /* bytes waiting for a slow guest */
#define CONSOLE_SWITCH_KEY 0x01     /* Ctrl-A (ASCII SOH) */
#define CONSOLE_SWITCH_PRESSES 3
#define CONSOLE_FOCUS_HYPERVISOR "hypervisor"

/* A partition's input: offered len bytes, it takes what fits and returns how
 * many it took (from the start of buf; 0 when it is full). For the emulated
 * 16550 that is uart16550_rx_room() bytes pushed with uart16550_receive(). */
typedef size_t (*console_input_sink_fn)(void *ctx, const uint8_t *buf, size_t len);

/* One partition's side; embedded in its struct console_source. */
struct console_input_port {
	const char *name;           /* partition name, for the focus line */
	console_input_sink_fn sink; /* NULL: the partition takes no input */
	void *sink_ctx;

	uint8_t ring[CONSOLE_INPUT_RING_SIZE];
	unsigned int head;  /* oldest waiting byte */
	unsigned int count; /* bytes waiting */
	bool dropping;      /* in a burst of drops (already logged) */
	uint64_t dropped;   /* bytes lost because the ring was full */
	uint64_t delivered; /* bytes the sink took */
};

struct console_input {
	/* Running partitions, in registration order (the focus cycle). */
	struct console_input_port *port[CONSOLE_INPUT_MAX_PORTS];
	unsigned int nr_ports;
	struct console_input_port *focus; /* NULL: the hypervisor */
	bool focus_chosen;                /* the user switched: no more default focus */
	unsigned int switch_presses;      /* Ctrl-A seen in a row, held back */
	uint64_t discarded;               /* typed while the hypervisor had focus */
};

void console_input_init(struct console_input *ci);

/* A partition's port, empty, no sink yet. name must outlive the port. */
void console_input_port_init(struct console_input_port *port, const char *name);
/* Bind the port to its partition's input (may be called again, e.g. after a
 * device reset; bytes already waiting stay). sink NULL: no input. */
void console_input_port_set_sink(struct console_input_port *port, console_input_sink_fn sink,
				 void *ctx);

/* The partition starts: it joins the focus cycle (after those already in).
 * The first port with a sink takes the focus unless the user has already
 * switched. False (and one log line) if CONSOLE_INPUT_MAX_PORTS are in;
 * registering a port that is already in changes nothing. */
bool console_input_register(struct console_input *ci, struct console_input_port *port);
/* The partition stopped: it leaves the cycle and its waiting bytes are
 * discarded; if it had the focus, the focus moves to the next partition
 * that takes input (wrapping), the hypervisor only when there is none. */
void console_input_unregister(struct console_input *ci, struct console_input_port *port);

/* One byte received on the host's serial port. */
void console_input_feed(struct console_input *ci, uint8_t byte);
/* Deliver bytes waiting in any port's ring to sinks that have room now. */
void console_input_drain(struct console_input *ci);

/* The focus target's name (CONSOLE_FOCUS_HYPERVISOR when no partition). */
const char *console_input_focus_name(const struct console_input *ci);

#endif
