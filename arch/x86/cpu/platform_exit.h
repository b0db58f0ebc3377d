/* SPDX-License-Identifier: BSD-2-Clause */
/* Ending the run when there is nothing left to do (on_idle=exit): tells the
 * emulator to stop so that tests end by themselves. On real hardware it
 * falls through to a halt. */
#ifndef BULKHEAD_CORE_PLATFORM_EXIT_H
#define BULKHEAD_CORE_PLATFORM_EXIT_H

#include "core/types.h"

#define PLATFORM_EXIT_SUCCESS 0
#define PLATFORM_EXIT_FAILURE 1

__noreturn void platform_exit(int status);
/* Whether platform_exit() should actually stop the emulator. */
extern bool platform_exit_enabled;

#endif
