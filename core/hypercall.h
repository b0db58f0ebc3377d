/* SPDX-License-Identifier: BSD-2-Clause */
/* Hypercall numbers and results (docs/hypercall-abi.md). */
#ifndef BULKHEAD_CORE_HYPERCALL_H
#define BULKHEAD_CORE_HYPERCALL_H

#define HC_VERSION 0
#define HC_CONSOLE_WRITE 1
#define HC_PARTITION_STOP 2
#define HC_PARTITION_RESTART 3
#define HC_YIELD 4
#define HC_TIME_NS 5
#define HC_PRINT_STATS 6
#define HC_PARTITION_BOOTS 7

#define HC_ENOSYS (-1)
#define HC_EINVAL (-2)
#define HC_EFAULT (-3)
#define HC_EPERM (-4)

#define HC_CONSOLE_WRITE_MAX 4096

#endif
