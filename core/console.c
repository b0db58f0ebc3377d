#include "core/console.h"
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/spinlock.h"
#include "drivers/uart/uart.h"

/* Serialises whole lines on the one serial port. Any CPU takes it. */
static spinlock_t console_lock = SPINLOCK_INIT;

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

static void put_raw(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

void console_write(const char *s, size_t len)
{
	spin_lock(&console_lock);
	put_raw(s, len);
	spin_unlock(&console_lock);
}

static void emit_line(struct console_source *src)
{
	spin_lock(&console_lock);
	put_raw("[", 1);
	put_raw(src->name, bh_strlen(src->name));
	put_raw("] ", 2);
	put_raw(src->line, src->len);
	put_raw("\n", 1);
	spin_unlock(&console_lock);
	src->len = 0;
}

void console_source_flush(struct console_source *src)
{
	if (src->len)
		emit_line(src);
}

void console_source_putc(struct console_source *src, char c)
{
	if (c == '\n') {
		emit_line(src);
		return;
	}
	if (c == '\r')
		return;
	src->line[src->len++] = c;
	if (src->len == CONSOLE_LINE_MAX)
		emit_line(src);
}

void console_source_set_input(struct console_source *src, console_input_sink_fn sink,
			      void *ctx)
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
