/* SPDX-License-Identifier: BSD-2-Clause */
/* State core owns for the whole hypervisor, set once by the boot CPU before
 * the other CPUs start: the options in force and the board (core/platform.h).
 * Defined here, not by the layer above that sets them (platform/pc/main.c),
 * so that core's objects need nothing from above at link time either. */
#include "arch/x86/cpu/cpu.h"
#include "core/hv.h"
#include "core/log.h"
#include "core/platform.h"

struct hv_options hv_options;

const struct board_ops *board;

void board_register(const struct board_ops *ops)
{
	/* A board missing an operation is a build mistake, not a guest's:
	 * stop at boot rather than jump through NULL on the first exit. */
	if (!ops || !ops->attach || !ops->reset || !ops->tick || !ops->tick_vcpu ||
	    !ops->has_interrupt || !ops->next_interrupt || !ops->nmi || !ops->take_startup ||
	    !ops->startup_pending || !ops->msr || !ops->install_acpi || !ops->power_action ||
	    !ops->console || !ops->print_stats) {
		pr_err("board: incomplete board_ops, cannot run partitions");
		cpu_halt_forever();
	}
	board = ops;
}
