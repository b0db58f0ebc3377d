/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-vcons: the partition's virtio-console turned against the hypervisor
 * (issue 12, "virtqueues placed over MMIO or outside RAM, descriptor loops
 * and huge lengths"; docs/isolation.md). It includes virtio-hostile.c's
 * driver and adds the console's two queues (receiveq 0, transmitq 1 of
 * port 0, virtio 1.2 §5.3.2). The partition needs `devices=console` and
 * 68 MiB (the chain of 64 buffers of 64 MiB):
 *
 *   module: guests/atk-vcons.elf name=atk-vcons mem=68M devices=console
 *
 * (tests/integration/isolation-vcons-svm/-vmx.test). The hypervisor's
 * documented answers (drivers/virtio/virtqueue.h, virtio_console.c):
 *
 *   - a broken transmit ring (a buffer beyond this partition's RAM, on the
 *     local APIC page, on the device's own BAR, directly or through an
 *     indirect table; a zero-length or 4 GiB - 1 buffer; a chain of 4 GiB;
 *     a chain that loops): DEVICE_NEEDS_RESET with a configuration
 *     interrupt and one warning (at most 16 per device); nothing printed;
 *   - a transmit chain with a device-writable buffer: its readable part is
 *     printed, the chain returned (used length 0), one warning;
 *   - receive buffers (host input, typed by the test on the serial port
 *     with the focus on this partition's hvc0): a read-only one is
 *     returned empty (used length 0) and the input waits for the next; one
 *     beyond RAM, on the local APIC or on the BAR breaks the ring
 *     (NEEDS_RESET) when input arrives for it. Without host input (a run
 *     by hand that types nothing) these are reported as not run;
 *   - a valid chain of 60 MiB: its first 64 KiB (VIRTIO_CONSOLE_TX_BUDGET)
 *     are printed, the rest discarded and counted, one warning;
 *   - a flood: full rings of valid output lines, one notification per
 *     ring, for FLOOD_NS of this partition's time; every ring is
 *     completed and the device keeps running; what outruns the serial
 *     port is dropped from the console's ring and counted (one warning),
 *     and a bystander on the same host CPU keeps its share (the test).
 *
 * After each case: the local APIC and the test device's scratch register
 * are unchanged, and after a device reset one valid line, "recovered after
 * <case>", is printed on [atk-vcons:hvc0] (the test looks for it). */
#define guest_main virtio_hostile_main
#include "virtio-hostile.c"
#undef guest_main
#include "atk.h"

#define VIRTIO_CONSOLE_PCI_ID 0x1043 /* 0x1040 + device type 3 (§4.1.2.1, §5.3) */
#define VC_RXQ 0
#define VC_TXQ 1
#define VC_QMAX 128 /* the device's queue size (virtio_console.h) */
#define VC_BUF 256
#define VC_RXBUFS 4
#define TESTDEV_SCRATCH 0x0
#define SCRATCH_MARK 0x61746b63u /* "atkc" */
#define LAPIC_TPR 0x80
#define CASE_TIMEOUT_MS 5000
#define INPUT_TIMEOUT_MS 20000 /* the host types once the ready line is out */
#define FIRST_INPUT_TIMEOUT_MS 20000
#define FLOOD_NS 1500000000ull /* partition time: past the bystander's 1 s */
#define FLOOD_LINE 100         /* bytes per flood line, newline included */
#define POISON 0x5A
#define SETTLE_TURNS 16
/* The long chain: HUGE_SEGS descriptors over one buffer of text lines. */
#define HUGE_BUF (1u << 20)
#define HUGE_SEGS 60
#define HUGE_LINE 64

struct vc_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[VC_QMAX];
	uint16_t used_event;
};

struct vc_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[VC_QMAX];
	uint16_t avail_event;
};

static struct virtq_desc vc_desc[2][VC_QMAX] __attribute__((aligned(4096)));
static volatile struct vc_avail vc_avail[2] __attribute__((aligned(4096)));
static volatile struct vc_used vc_used[2] __attribute__((aligned(4096)));
static uint16_t vc_qsize[2];
static volatile uint8_t rx_buf[VC_RXBUFS][VC_BUF] __attribute__((aligned(4096)));
static volatile uint8_t tx_buf[VC_BUF] __attribute__((aligned(4096)));
static volatile uint8_t flood_buf[VC_QMAX][FLOOD_LINE] __attribute__((aligned(4096)));
static volatile uint8_t huge_buf[HUGE_BUF] __attribute__((aligned(4096)));
static struct virtq_desc ind_table[4] __attribute__((aligned(64)));
static struct vdev con;
static uintptr_t own_bar;
static bool have_input; /* the host typed into hvc0 (QEMU paths only) */
static bool overflowed; /* the last case wrote more than the console's ring holds */

/* ---- the device ------------------------------------------------------------- */

static void vc_program_queue(uint16_t q, uint16_t size)
{
	wr16(con.common, COMMON_Q_SELECT, q);
	wr16(con.common, COMMON_Q_SIZE, size);
	wr64(con.common, COMMON_Q_DESC, (uintptr_t)vc_desc[q]);
	wr64(con.common, COMMON_Q_AVAIL, (uintptr_t)&vc_avail[q]);
	wr64(con.common, COMMON_Q_USED, (uintptr_t)&vc_used[q]);
	wr16(con.common, COMMON_Q_ENABLE, 1);
	vc_qsize[q] = size;
}

/* Reset and the whole §3.1.1 sequence with both queues: NULL, or what
 * went wrong. */
static const char *vc_start(uint64_t features, uint16_t tx_size)
{
	const char *why;
	uint8_t st = negotiate(&con, features | FEATURE(F_VERSION_1), &why);

	if (why)
		return why;
	if (st != (STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK))
		return "FEATURES_OK refused";
	memset(vc_desc, 0, sizeof(vc_desc));
	memset((void *)vc_avail, 0, sizeof(vc_avail));
	memset((void *)vc_used, 0, sizeof(vc_used));
	vc_program_queue(VC_RXQ, VC_QMAX);
	vc_program_queue(VC_TXQ, tx_size);
	set_status(&con, STATUS_RUNNING);
	if (status(&con) != STATUS_RUNNING)
		return "status is not ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK after start";
	return NULL;
}

static void vc_post(uint16_t q, uint16_t head)
{
	uint16_t idx = vc_avail[q].idx;

	vc_avail[q].ring[idx % vc_qsize[q]] = head;
	barrier();
	vc_avail[q].idx = idx + 1;
	barrier();
}

static bool needs_reset(void)
{
	return status(&con) & STATUS_NEEDS_RESET;
}

/* Waits for queue q's used index to reach idx; gives the CPU back between
 * looks, so that this partition's console lines are printed meanwhile. */
static bool wait_used_idx(uint16_t q, uint16_t idx, uint64_t ms)
{
	uint64_t end = deadline(&con, ms);

	while (vc_used[q].idx != idx) {
		if (rdtsc() > end || needs_reset())
			return false;
		rt_hc_yield();
	}
	barrier();
	return true;
}

/* One line on port 0 from tx_buf, waited for. */
static const char *vc_print(const char *line)
{
	static char why[96];
	size_t n = strlen(line);
	uint16_t want = vc_used[VC_TXQ].idx + 1;

	for (size_t i = 0; i < n; i++)
		tx_buf[i] = (uint8_t)line[i];
	set_desc(vc_desc[VC_TXQ], 0, (uintptr_t)tx_buf, (uint32_t)n, 0, 0);
	vc_post(VC_TXQ, 0);
	notify_queue(&con, VC_TXQ);
	if (wait_used_idx(VC_TXQ, want, CASE_TIMEOUT_MS))
		return NULL;
	rt_snprintf(why, sizeof(why), "output not completed within %u ms (status 0x%x)",
		    CASE_TIMEOUT_MS, status(&con));
	return why;
}

/* ---- what the guest can see ------------------------------------------------ */

#include "atk-witness.h"

/* The checks after every case: LAPIC, scratch, and a fresh device that
 * prints "recovered after <name>". */
static void report(const char *name, const char *why)
{
	static char buf[160];
	char line[96];

	if (!why)
		why = lapic_unchanged();
	if (!why)
		why = scratch_unchanged();
	if (!why)
		why = vc_start(0, VC_QMAX);
	/* Turns in which the scheduler prints what the case left in the
	 * console's ring, so that the line below is not dropped. */
	for (unsigned int i = 0; i < SETTLE_TURNS; i++)
		rt_hc_yield();
	if (!why) {
		/* After a case that overflowed the ring, a newline first ends
		 * the line whose tail was dropped. */
		rt_snprintf(line, sizeof(line), "%srecovered after %s\n", overflowed ? "\n" : "",
			    name);
		overflowed = false;
		why = vc_print(line);
	}
	if (why && why != buf) {
		rt_snprintf(buf, sizeof(buf), "%s", why);
		why = buf;
	}
	rt_check(name, !why, "%s", why);
}

/* NEEDS_RESET, nothing on queue q completed, the configuration interrupt
 * (§2.1.2; ISR bit 1 without MSI-X). */
static const char *expect_reset(uint16_t q, uint64_t ms)
{
	static char why[112];
	uint64_t end = deadline(&con, ms);

	while (!needs_reset()) {
		if (rdtsc() > end) {
			rt_snprintf(why, sizeof(why),
				    "no DEVICE_NEEDS_RESET within %llu ms (status 0x%x, used idx %u)",
				    (unsigned long long)ms, status(&con), vc_used[q].idx);
			return why;
		}
		rt_hc_yield();
	}
	return reset_witnessed(q, vc_used[q].idx, read_isr(&con));
}

/* ---- transmit: a broken ring ------------------------------------------------ */

/* Chain 0: "BAD " from tx_buf, then len bytes at addr (never printed). */
static void tx_two_part(uint64_t addr, uint32_t len)
{
	const char *bad = "BAD ";

	for (unsigned int i = 0; i < 4; i++)
		tx_buf[i] = (uint8_t)bad[i];
	set_desc(vc_desc[VC_TXQ], 0, (uintptr_t)tx_buf, 4, DESC_F_NEXT, 1);
	set_desc(vc_desc[VC_TXQ], 1, addr, len, 0, 0);
}

static void tx_ring_case(const char *name, uint64_t addr, uint32_t len)
{
	const char *why = vc_start(0, VC_QMAX);

	if (!why) {
		tx_two_part(addr, len);
		vc_post(VC_TXQ, 0);
		notify_queue(&con, VC_TXQ);
		why = expect_reset(VC_TXQ, CASE_TIMEOUT_MS);
	}
	report(name, why);
}

/* On a queue of 16 the walk stops after 16 descriptors. */
static void case_tx_loop(void)
{
	const char *why = vc_start(0, QUEUE_SMALL);

	if (!why) {
		tx_two_part((uintptr_t)tx_buf + 4, 4);
		set_desc(vc_desc[VC_TXQ], 1, (uintptr_t)tx_buf + 4, 4, DESC_F_NEXT, 0);
		vc_post(VC_TXQ, 0);
		notify_queue(&con, VC_TXQ);
		why = expect_reset(VC_TXQ, CASE_TIMEOUT_MS);
	}
	report("tx_chain_loop", why);
}

/* 64 buffers of 64 MiB, all in RAM: 4 GiB, one byte more than a used
 * element's le32 length can say (§2.7.8). */
static void case_tx_over_4gib(void)
{
	const char *why = NULL;

	if (rt_boot.cr3 < OVERFLOW_SEG_LEN)
		why = "needs 64 MiB of RAM, the partition has less";
	if (!why)
		why = vc_start(0, VC_QMAX);
	if (!why) {
		for (uint16_t i = 0; i < OVERFLOW_SEGS; i++)
			set_desc(vc_desc[VC_TXQ], i, 0, OVERFLOW_SEG_LEN,
				 i + 1 < OVERFLOW_SEGS ? DESC_F_NEXT : 0, i + 1);
		vc_post(VC_TXQ, 0);
		notify_queue(&con, VC_TXQ);
		why = expect_reset(VC_TXQ, CASE_TIMEOUT_MS);
	}
	report("tx_chain_over_4gib", why);
}

/* The output through an indirect table at table_addr (§2.7.5.3). */
static void tx_indirect_case(const char *name, uint64_t table_addr)
{
	const char *why = NULL;

	if (!(device_features(&con) & FEATURE(F_INDIRECT_DESC)))
		why = "the device does not offer VIRTIO_F_INDIRECT_DESC";
	if (!why)
		why = vc_start(FEATURE(F_INDIRECT_DESC), VC_QMAX);
	if (!why) {
		tx_two_part((uintptr_t)tx_buf + 4, 4);
		ind_table[0] = vc_desc[VC_TXQ][0];
		ind_table[1] = vc_desc[VC_TXQ][1];
		set_desc(vc_desc[VC_TXQ], 0, table_addr, 2 * DESC_SIZE, DESC_F_INDIRECT, 0);
		vc_post(VC_TXQ, 0);
		notify_queue(&con, VC_TXQ);
		why = expect_reset(VC_TXQ, CASE_TIMEOUT_MS);
	}
	report(name, why);
}

/* A device-writable buffer after the text: the text is printed, the
 * chain returned with used length 0, the device running (the warning
 * says "wrong direction"). */
static void case_tx_writable(void)
{
	static char why_buf[96];
	const char *why = vc_start(0, VC_QMAX);
	const char *text = "tx with a writable buffer\n";
	size_t n = strlen(text);

	if (!why) {
		for (size_t i = 0; i < n; i++)
			tx_buf[i] = (uint8_t)text[i];
		for (unsigned int i = 0; i < VC_BUF; i++)
			rx_buf[0][i] = POISON;
		set_desc(vc_desc[VC_TXQ], 0, (uintptr_t)tx_buf, (uint32_t)n, DESC_F_NEXT, 1);
		set_desc(vc_desc[VC_TXQ], 1, (uintptr_t)rx_buf[0], VC_BUF, DESC_F_WRITE, 0);
		vc_post(VC_TXQ, 0);
		notify_queue(&con, VC_TXQ);
		if (!wait_used_idx(VC_TXQ, 1, CASE_TIMEOUT_MS))
			why = "the chain was not returned";
	}
	if (!why && (vc_used[VC_TXQ].ring[0].id != 0 || vc_used[VC_TXQ].ring[0].len != 0)) {
		rt_snprintf(why_buf, sizeof(why_buf), "used element {%u, %u}, want {0, 0}",
			    vc_used[VC_TXQ].ring[0].id, vc_used[VC_TXQ].ring[0].len);
		why = why_buf;
	}
	for (unsigned int i = 0; !why && i < VC_BUF; i++)
		if (rx_buf[0][i] != POISON)
			why = "the device wrote into the transmit chain's writable buffer";
	if (!why && status(&con) != STATUS_RUNNING)
		why = "the device stopped";
	report("tx_writable_buffer", why);
}

/* A valid chain of 60 MiB of text (60 descriptors over one 1 MiB buffer):
 * the device prints its first VIRTIO_CONSOLE_TX_BUDGET bytes (64 KiB),
 * discards the rest (one warning) and returns the chain; the device keeps
 * running. */
static void case_tx_huge_chain(void)
{
	const char *why = NULL;

	if (rt_boot.cr3 < (uintptr_t)huge_buf + HUGE_BUF)
		why = "the partition's RAM does not hold the buffer";
	if (!why)
		why = vc_start(0, VC_QMAX);
	if (!why) {
		for (unsigned int i = 0; i < HUGE_BUF; i++)
			huge_buf[i] = i % HUGE_LINE == HUGE_LINE - 1 ? '\n' : (uint8_t)('A' + i % 26);
		for (uint16_t i = 0; i < HUGE_SEGS; i++)
			set_desc(vc_desc[VC_TXQ], i, (uintptr_t)huge_buf, HUGE_BUF,
				 i + 1 < HUGE_SEGS ? DESC_F_NEXT : 0, i + 1);
		vc_post(VC_TXQ, 0);
		notify_queue(&con, VC_TXQ);
		overflowed = true;
		if (!wait_used_idx(VC_TXQ, 1, CASE_TIMEOUT_MS))
			why = "the chain was not returned";
	}
	if (!why && status(&con) != STATUS_RUNNING)
		why = "the device stopped";
	report("tx_huge_chain", why);
}

static void tx_attacks(void)
{
	uint64_t text = (uintptr_t)tx_buf + 4;

	tx_ring_case("tx_buffer_outside_ram", ATK_BEYOND_RAM, 16);
	tx_ring_case("tx_buffer_on_lapic", LAPIC_BASE, 16);
	tx_ring_case("tx_buffer_on_own_bar", own_bar, 16);
	tx_ring_case("tx_zero_length", text, 0);
	tx_ring_case("tx_length_4gib", text, 0xFFFFFFFFu);
	case_tx_over_4gib();
	case_tx_loop();
	tx_indirect_case("tx_indirect_outside_ram", ATK_BEYOND_RAM);
	tx_indirect_case("tx_indirect_on_lapic", LAPIC_BASE);
	case_tx_writable();
	case_tx_huge_chain();
}

/* ---- receive: host input ------------------------------------------------------ */

/* Posts buffer `head` (already described) and tells the test to type. */
static void rx_ready(const char *name, uint16_t head)
{
	vc_post(VC_RXQ, head);
	notify_queue(&con, VC_RXQ);
	rt_printf("rx ready: %s\n", name);
}

/* A valid receive buffer gets the typed byte: proves input arrives at all
 * (if nothing is typed, the receive cases are not run). */
static void case_rx_baseline(void)
{
	static char why_buf[96];
	const char *why = vc_start(0, VC_QMAX);

	if (!why) {
		set_desc(vc_desc[VC_RXQ], 0, (uintptr_t)rx_buf[0], VC_BUF, DESC_F_WRITE, 0);
		rx_ready("rx_baseline", 0);
		have_input = wait_used_idx(VC_RXQ, 1, FIRST_INPUT_TIMEOUT_MS);
		if (!have_input) {
			if (needs_reset())
				why = "NEEDS_RESET for a valid receive buffer";
			else
				rt_printf("note: no host input within %u ms; receive cases not run\n",
					  FIRST_INPUT_TIMEOUT_MS);
			if (!why)
				return;
		}
	}
	if (!why && (vc_used[VC_RXQ].ring[0].len == 0 || rx_buf[0][0] != 'x')) {
		rt_snprintf(why_buf, sizeof(why_buf), "received %u bytes starting 0x%x, want \"x\"",
			    vc_used[VC_RXQ].ring[0].len, rx_buf[0][0]);
		why = why_buf;
	}
	report("rx_baseline", why);
}

/* A read-only receive buffer is returned empty; the input waits for the
 * next buffer, which gets it. */
static void case_rx_readonly(void)
{
	static char why_buf[96];
	const char *why = vc_start(0, VC_QMAX);

	if (!why) {
		for (unsigned int i = 0; i < VC_BUF; i++)
			rx_buf[0][i] = POISON;
		set_desc(vc_desc[VC_RXQ], 0, (uintptr_t)rx_buf[0], VC_BUF, 0, 0);
		rx_ready("rx_buffer_readonly", 0);
		if (!wait_used_idx(VC_RXQ, 1, INPUT_TIMEOUT_MS))
			why = "the read-only buffer was not returned";
	}
	if (!why && vc_used[VC_RXQ].ring[0].len != 0) {
		rt_snprintf(why_buf, sizeof(why_buf), "read-only buffer returned with length %u",
			    vc_used[VC_RXQ].ring[0].len);
		why = why_buf;
	}
	for (unsigned int i = 0; !why && i < VC_BUF; i++)
		if (rx_buf[0][i] != POISON)
			why = "the device wrote into a read-only buffer";
	if (!why) {
		set_desc(vc_desc[VC_RXQ], 1, (uintptr_t)rx_buf[1], VC_BUF, DESC_F_WRITE, 0);
		vc_post(VC_RXQ, 1);
		notify_queue(&con, VC_RXQ);
		if (!wait_used_idx(VC_RXQ, 2, CASE_TIMEOUT_MS))
			why = "the input did not reach the next (writable) buffer";
		else if (vc_used[VC_RXQ].ring[1].id != 1 || rx_buf[1][0] != 'x')
			why = "the next buffer did not get the input";
	}
	report("rx_buffer_readonly", why);
}

/* A receive buffer off this partition's RAM: the ring is broken when
 * input arrives for it. */
static void rx_ring_case(const char *name, uint64_t addr)
{
	const char *why = vc_start(0, VC_QMAX);

	if (!why) {
		set_desc(vc_desc[VC_RXQ], 0, addr, VC_BUF, DESC_F_WRITE, 0);
		rx_ready(name, 0);
		why = expect_reset(VC_RXQ, INPUT_TIMEOUT_MS);
	}
	report(name, why);
}

static void rx_attacks(void)
{
	case_rx_baseline();
	if (!have_input)
		return;
	case_rx_readonly();
	rx_ring_case("rx_buffer_outside_ram", ATK_BEYOND_RAM);
	rx_ring_case("rx_buffer_on_lapic", LAPIC_BASE);
	rx_ring_case("rx_buffer_on_own_bar", own_bar);
}

/* ---- flood ------------------------------------------------------------------------ */

/* Rings of VC_QMAX valid lines, one notification per ring, for FLOOD_NS of
 * this partition's time: every ring completes, the device keeps running. */
static void case_flood(void)
{
	static char why_buf[112];
	const char *why = vc_start(0, VC_QMAX);
	uint64_t t0 = rt_hc_time_ns(), rounds = 0;
	uint16_t done = 0;

	for (uint16_t i = 0; !why && i < VC_QMAX; i++) {
		rt_snprintf((char *)flood_buf[i], FLOOD_LINE, "flood line %03u ", i);
		for (unsigned int j = strlen((char *)flood_buf[i]); j < FLOOD_LINE - 1; j++)
			flood_buf[i][j] = (uint8_t)('a' + j % 26);
		flood_buf[i][FLOOD_LINE - 1] = '\n';
		set_desc(vc_desc[VC_TXQ], i, (uintptr_t)flood_buf[i], FLOOD_LINE, 0, 0);
	}
	overflowed = true;
	while (!why && rt_hc_time_ns() - t0 < FLOOD_NS) {
		for (uint16_t i = 0; i < VC_QMAX; i++)
			vc_post(VC_TXQ, i);
		notify_queue(&con, VC_TXQ);
		done += VC_QMAX;
		uint64_t end = deadline(&con, CASE_TIMEOUT_MS);
		while (vc_used[VC_TXQ].idx != done && rdtsc() < end && !needs_reset())
			cpu_relax();
		if (vc_used[VC_TXQ].idx != done) {
			rt_snprintf(why_buf, sizeof(why_buf),
				    "round %llu: used idx %u, want %u, status 0x%x",
				    (unsigned long long)rounds, vc_used[VC_TXQ].idx, done,
				    status(&con));
			why = why_buf;
		}
		rounds++;
	}
	if (!why && status(&con) != STATUS_RUNNING)
		why = "the device stopped";
	rt_printf("tx_flood: %llu rounds of %u lines of %u bytes\n", (unsigned long long)rounds,
		  VC_QMAX, FLOOD_LINE);
	report("tx_flood", why);
}

void guest_main(void)
{
	if (!rt_hv_present())
		return;
	if (!discover_device(&con, "discover", VIRTIO_CONSOLE_PCI_ID, 0))
		return;
	rt_pass("discover");
	con.tsc_per_ms = calibrate_tsc();
	own_bar = (uintptr_t)con.common & ~0xFFFul;
	lapic_save();
	mmio_wr32(TESTDEV_MMIO + TESTDEV_SCRATCH, SCRATCH_MARK);
	case_flood();
	tx_attacks();
	rx_attacks();
	report("recovers", NULL);
	device_reset(&con);
}
