/* The emulated PC around a partition's vCPUs. Today: COM1, a full 16550A
 * model (drivers/vdev/uart16550.c) whose output feeds the console
 * multiplexer, each line prefixed with the partition's name. The interrupt
 * controllers, timers and the rest of the PC join here as they are wired
 * (interrupt lines are not connected yet: guests poll). */
#include "core/console.h"
#include "core/log.h"
#include "core/mm/heap.h"
#include "core/platform.h"
#include "drivers/vdev/uart16550.h"

#define GUEST_COM1_IRQ 4 /* ISA IRQ of COM1 on a PC */

struct platform {
	struct uart16550 com1;
};

static void com1_tx(void *ctx, uint8_t byte)
{
	struct partition *p = ctx;
	console_source_putc(&p->console, (char)byte);
}

static void platform_init_devices(struct partition *p)
{
	uart16550_init(&p->platform->com1, p->name, NULL, GUEST_COM1_IRQ, com1_tx, p);
}

bool platform_attach(struct partition *p)
{
	p->platform = kzalloc(sizeof(*p->platform));
	if (!p->platform)
		return false;
	platform_init_devices(p);
	return uart16550_attach(&p->platform->com1, &p->bus, GUEST_COM1, "com1");
}

void platform_reset(struct partition *p)
{
	platform_init_devices(p);
}
