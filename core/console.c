/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/tsc.h"
#include "core/console.h"
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/percpu.h"
#include "core/spinlock.h"
#include "arch/x86/hostdev/uart.h"

/* Serialises whole lines on the one serial port. Any CPU takes it, with
 * interrupts off (interrupt handlers log too). A CPU that faults or takes an
 * NMI while it holds the lock prints anyway (console_owner says it is the
 * holder) rather than wait for itself forever; before such a CPU halts for
 * good, console_break_lock() frees the lock for the others. Only the owning
 * CPU writes console_owner while it holds the lock. */
static spinlock_t console_lock = SPINLOCK_INIT;
static volatile int console_owner = -1; /* index in percpu_area, -1: free */

struct console_hold {
	uint64_t flags; /* RFLAGS before, for irq_restore */
	bool nested;    /* this CPU already held the lock */
};

/* A partition whose console keeps overflowing is told about at most this
 * often (its drops are all counted in its statistics). */
#define CONSOLE_DROP_REPORT_NS 10000000000ULL

/* Bytes read from the serial port in one console_poll_input(): the host
 * UART's receive FIFO holds 16, so this empties it with room to spare while
 * keeping one poll short. */
#define CONSOLE_POLL_MAX_BYTES 64

/* Who has the input focus (core/lib/console_input.h; all zero is its
 * initial state). input_lock is taken before console_lock (the state
 * machine logs the focus line), never after it. */
static struct console_input console_in;
static spinlock_t input_lock = SPINLOCK_INIT;

/* Set from the command line before other CPUs start; read-only after. */
int log_level = LOG_INFO;

void console_init(void)
{
	spin_lock(&input_lock);
	console_input_init(&console_in);
	spin_unlock(&input_lock);
}

/* This CPU's index in percpu_area, from GS base (one MSR read: logging is
 * not a fast path). Before gdt_init_cpu set it, only the boot CPU runs. */
static int console_cpu(void)
{
	uintptr_t gs = (uintptr_t)rdmsr(MSR_GS_BASE);
	uintptr_t lo = (uintptr_t)percpu_area;
	if (gs < lo || gs >= (uintptr_t)(percpu_area + MAX_CPUS))
		return 0;
	return (int)((gs - lo) / sizeof(struct percpu));
}

static struct console_hold console_lock_take(void)
{
	struct console_hold h = { irq_save(), false };
	int me = console_cpu();
	if (console_owner == me) {
		h.nested = true;
		return h;
	}
	spin_lock(&console_lock);
	console_owner = me;
	return h;
}

static void console_lock_give(struct console_hold h)
{
	if (!h.nested) {
		console_owner = -1;
		spin_unlock(&console_lock);
	}
	irq_restore(h.flags);
}

void console_break_lock(void)
{
	if (console_owner != console_cpu())
		return;
	console_owner = -1;
	spin_unlock(&console_lock);
}

/* Set once by the boot CPU (console_set_mirror); read under console_lock. */
static void (*console_mirror)(const char *s, size_t len);

void console_set_mirror(void (*write)(const char *s, size_t len))
{
	console_mirror = write;
}

static void put_raw(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
	if (console_mirror)
		console_mirror(s, len);
}

void console_write(const char *s, size_t len)
{
	struct console_hold h = console_lock_take();
	put_raw(s, len);
	console_lock_give(h);
}

static void emit_line(const char *name, const char *line, size_t len)
{
	struct console_hold h = console_lock_take();
	put_raw("[", 1);
	put_raw(name, bh_strlen(name));
	put_raw("] ", 2);
	put_raw(line, len);
	put_raw("\n", 1);
	console_lock_give(h);
}

void console_source_putc(struct console_source *src, char c)
{
	if (c == '\r')
		return;
	spin_lock(&src->lock);
	enum console_ring_put r = console_ring_put(&src->ring, c);
	spin_unlock(&src->lock);
	/* One line when drops start, and then at most one per
	 * CONSOLE_DROP_REPORT_NS: a guest that fills its ring, lets it drain
	 * and fills it again must not flood the log instead. */
	if (unlikely(r == CONSOLE_RING_DROP_STARTED) &&
	    (!src->drop_report_ns || time_ns() - src->drop_report_ns >= CONSOLE_DROP_REPORT_NS)) {
		src->drop_report_ns = time_ns() | 1;
		pr_warn("[%s] console output dropped: written faster than the serial port drains "
			"(%u bytes buffered; the count is in its statistics)",
			src->name, CONSOLE_RING_SIZE);
	}
}

/* One line out of src's ring into a buffer, then onto the port: the ring's
 * lock is never held while the (slow) UART is written. */
static size_t drain_line(struct console_source *src, bool partial)
{
	char line[CONSOLE_LINE_MAX];
	bool complete;
	spin_lock(&src->lock);
	size_t n = console_ring_take_line(&src->ring, line, sizeof(line), partial, &complete);
	spin_unlock(&src->lock);
	if (!complete)
		return 0;
	emit_line(src->name, line, n);
	return n + 1; /* and its newline */
}

size_t console_source_drain(struct console_source *src, size_t max_bytes, uint64_t deadline_tsc,
			    bool partial)
{
	size_t done = 0, n;
	while (done < max_bytes && (!done || rdtsc() < deadline_tsc) && (n = drain_line(src, partial)))
		done += n;
	return done;
}

bool console_source_pending(struct console_source *src)
{
	return __atomic_load_n(&src->ring.head, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&src->ring.tail, __ATOMIC_RELAXED);
}

void console_source_flush(struct console_source *src)
{
	/* Each line takes at least one byte or a newline from the ring. */
	for (unsigned int i = 0; i <= CONSOLE_RING_SIZE && drain_line(src, true); i++)
		;
}

void console_source_counts(struct console_source *src, uint64_t *written, uint64_t *dropped)
{
	spin_lock(&src->lock);
	*written = src->ring.written;
	*dropped = src->ring.dropped;
	spin_unlock(&src->lock);
}

void console_source_set_input(struct console_source *src, console_input_sink_fn sink, void *ctx)
{
	spin_lock(&input_lock);
	src->input.name = src->name;
	console_input_port_set_sink(&src->input, sink, ctx);
	spin_unlock(&input_lock);
}

void console_source_input_start(struct console_source *src)
{
	spin_lock(&input_lock);
	src->input.name = src->name;
	console_input_register(&console_in, &src->input);
	spin_unlock(&input_lock);
}

void console_source_input_stop(struct console_source *src)
{
	spin_lock(&input_lock);
	console_input_unregister(&console_in, &src->input);
	spin_unlock(&input_lock);
}

void console_poll_input(void)
{
	spin_lock(&input_lock);
	console_input_drain(&console_in);
	for (unsigned int i = 0; i < CONSOLE_POLL_MAX_BYTES; i++) {
		int c = uart_getc();
		if (c < 0)
			break;
		console_input_feed(&console_in, (uint8_t)c);
	}
	spin_unlock(&input_lock);
}

static const char *const level_tag[] = { "ERROR: ", "warning: ", "", "", "" };

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char buf[320];
	if ((int)lvl > log_level)
		return;
	int n = bh_snprintf(buf, sizeof(buf), "%s", level_tag[lvl]);
	n += bh_vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	console_write(buf, (size_t)n);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}
