/* SPDX-License-Identifier: BSD-2-Clause */
/* printf-style formatting without libc (core/lib/format.c).
 * Supports: %d %i %u %x %X %o %p %s %c %% with flags '-', '0', '#', width, precision
 * for strings, and length modifiers hh h l ll z. Always NUL-terminates. */
#ifndef BULKHEAD_CORE_LIB_FORMAT_H
#define BULKHEAD_CORE_LIB_FORMAT_H

#include "core/types.h"

int bh_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int bh_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
