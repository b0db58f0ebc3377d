/* SPDX-License-Identifier: BSD-2-Clause */
/* Captured log lines for host unit tests (see host_log.c). */
#ifndef BULKHEAD_TESTS_HOST_LOG_H
#define BULKHEAD_TESTS_HOST_LOG_H

#include <stdbool.h>

#define HOST_LOG_MAX 256

unsigned int host_log_count(void);
const char *host_log_line(unsigned int i);
bool host_log_contains(const char *needle);
void host_log_reset(void);

#endif
