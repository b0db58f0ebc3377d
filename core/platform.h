/* The emulated machine around a partition's vCPUs: which device models it
 * has and how they are wired (port I/O and MMIO ranges on its iobus). */
#ifndef BULKHEAD_CORE_PLATFORM_H
#define BULKHEAD_CORE_PLATFORM_H

#include "core/partition.h"

#define GUEST_COM1 0x3f8

bool platform_attach(struct partition *p);
void platform_reset(struct partition *p);

#endif
