/* SPDX-License-Identifier: BSD-2-Clause */
/* The hypervisor proper, once boot has set up the machine (platform/pc/main.c). */
#ifndef BULKHEAD_CORE_HV_H
#define BULKHEAD_CORE_HV_H

#include "arch/x86/boot/bootinfo.h"
#include "core/cmdline.h"
#include "core/memmap.h"

void hv_print_banner(const struct boot_info *bi, const struct memmap *map);
__noreturn void hv_main(const struct boot_info *bi, const struct memmap *map,
			const struct hv_options *opt);

/* Options in force (set once by the boot CPU before other CPUs start). */
extern struct hv_options hv_options;

#endif
