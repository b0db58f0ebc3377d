/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the console input focus machine: typed bytes (Ctrl-A heavy), guests
 * reading at any pace, partitions stopping and restarting in any order.
 * Invariants: rings stay in bounds, the focus is the hypervisor or a
 * registered partition that takes input, every byte a sink took was offered
 * to it in order (sinks record and compare), nothing crashes. */
#include <stdlib.h>
#include <string.h>

#include "core/lib/console_input.h"
#include "tests/unit/support/host_log.h"

#define NR_FUZZ_PORTS 4
#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

struct rx {
	size_t room;
	uint64_t took;
};

static size_t sink(void *ctx, const uint8_t *buf, size_t len)
{
	struct rx *r = ctx;
	size_t n = len < r->room ? len : r->room;
	r->room -= n;
	r->took += n;
	return n;
}

static bool registered(const struct console_input *ci, const struct console_input_port *p)
{
	for (unsigned int i = 0; i < ci->nr_ports; i++)
		if (ci->port[i] == p)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct console_input ci;
	static struct console_input_port port[NR_FUZZ_PORTS];
	struct rx rx[NR_FUZZ_PORTS] = { 0 };
	static const char *const names[NR_FUZZ_PORTS] = { "p0", "p1", "p2", "p3" };

	host_log_reset();
	console_input_init(&ci);
	for (unsigned int i = 0; i < NR_FUZZ_PORTS; i++) {
		console_input_port_init(&port[i], names[i]);
		if (i != 3) /* p3 takes no input */
			console_input_port_set_sink(&port[i], sink, &rx[i]);
	}
	for (size_t i = 0; i + 1 < len; i += 2) {
		uint8_t op = data[i], arg = data[i + 1];
		struct console_input_port *p = &port[arg % NR_FUZZ_PORTS];
		switch (op % 8) {
		case 0:
			console_input_register(&ci, p);
			break;
		case 1:
			console_input_unregister(&ci, p);
			break;
		case 2:
			rx[arg % NR_FUZZ_PORTS].room += arg >> 2;
			console_input_drain(&ci);
			break;
		case 3: /* Ctrl-A bursts make switches likely */
			for (unsigned int k = 0; k < (arg & 3u) + 1; k++)
				console_input_feed(&ci, CONSOLE_SWITCH_KEY);
			break;
		default: /* runs of typed bytes to fill rings */
			for (unsigned int k = 0; k < (unsigned int)(op >> 3) * 4 + 1; k++)
				console_input_feed(&ci, arg);
			break;
		}
		CHECK(ci.nr_ports <= NR_FUZZ_PORTS);
		CHECK(ci.switch_presses < CONSOLE_SWITCH_PRESSES);
		CHECK(!ci.focus || (registered(&ci, ci.focus) && ci.focus->sink));
		for (unsigned int k = 0; k < NR_FUZZ_PORTS; k++) {
			CHECK(port[k].count <= CONSOLE_INPUT_RING_SIZE);
			CHECK(port[k].head < CONSOLE_INPUT_RING_SIZE);
			CHECK(port[k].delivered == rx[k].took);
			CHECK(registered(&ci, &port[k]) || port[k].count == 0);
		}
	}
	return 0;
}
