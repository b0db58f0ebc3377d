/* SPDX-License-Identifier: BSD-2-Clause */
/* Loading a partition's boot image (flat binary or ELF) into its RAM and
 * setting up the first vCPU's start state. */
#ifndef BULKHEAD_CORE_LOADER_IMAGE_H
#define BULKHEAD_CORE_LOADER_IMAGE_H

#include "core/partition.h"

/* Where the loader puts its own structures: the top of guest RAM holds the
 * identity page tables for long mode and a GDT (layout in image.c). */
#define LOADER_RESERVED_TOP (32 * 1024)

/* Load p->image into guest RAM and fill regs/sregs of vCPU 0. Returns false
 * after logging "[name] refused: ..." */
bool image_load(struct partition *p, struct vcpu_sregs *sregs);

#endif
