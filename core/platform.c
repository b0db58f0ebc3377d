/* The guest console: COM1 of every partition feeds the console multiplexer
 * (each line prefixed with the partition's name). This is the transmit side
 * of a 16550 that is always ready (LSR reports THR and transmitter empty),
 * enough for polled output from test guests and boot loaders. */
#include "core/console.h"
#include "core/log.h"
#include "core/platform.h"

#define UART_REG_THR 0
#define UART_REG_LCR 3
#define UART_REG_LSR 5
#define UART_LCR_DLAB 0x80
#define UART_LSR_THRE_TEMT 0x60

struct guest_console {
	uint8_t lcr;
	uint8_t scratch[8];
};

/* One per partition slot; owned by the CPU running that partition. */
static struct guest_console consoles[MAX_PARTITIONS];

static int com1_read(void *dev, uint64_t off, unsigned int size, uint64_t *val)
{
	struct partition *p = dev;
	struct guest_console *c = &consoles[p->id];
	if (off == UART_REG_LSR)
		*val = UART_LSR_THRE_TEMT;
	else if (off == UART_REG_LCR)
		*val = c->lcr;
	else
		*val = c->scratch[off & 7];
	return 0;
}

static int com1_write(void *dev, uint64_t off, unsigned int size, uint64_t val)
{
	struct partition *p = dev;
	struct guest_console *c = &consoles[p->id];
	if (off == UART_REG_THR && !(c->lcr & UART_LCR_DLAB)) {
		console_source_putc(&p->console, (char)val);
		return 0;
	}
	if (off == UART_REG_LCR)
		c->lcr = (uint8_t)val;
	else
		c->scratch[off & 7] = (uint8_t)val;
	return 0;
}

bool platform_attach(struct partition *p)
{
	consoles[p->id] = (struct guest_console){ 0 };
	return iobus_add_pio(&p->bus, GUEST_COM1, 8, com1_read, com1_write, p, "com1");
}

void platform_reset(struct partition *p)
{
	consoles[p->id] = (struct guest_console){ 0 };
}
