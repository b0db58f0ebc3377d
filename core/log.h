/* SPDX-License-Identifier: BSD-2-Clause */
/* Logging. Every line goes to the console multiplexer (core/console.c) in the
 * hypervisor; in host unit tests tests/unit/host_log.c captures the lines so a
 * test can assert that a hostile input produced exactly one clear line.
 *
 * Convention: a line about a partition starts with its name in brackets, e.g.
 * "[linux0] virtio-blk: descriptor 7 points outside guest RAM (gpa 0x...)". */
#ifndef BULKHEAD_CORE_LOG_H
#define BULKHEAD_CORE_LOG_H

#include "core/types.h"

enum log_level {
	LOG_ERR = 0,   /* something was refused or stopped */
	LOG_WARN = 1,  /* a guest misbehaved, or a fallback was taken */
	LOG_INFO = 2,  /* normal progress (default level) */
	LOG_DEBUG = 3, /* details for developers */
	LOG_TRACE = 4, /* per-exit traces */
};

/* Set from the command line (loglevel=N); read by every CPU. */
extern int log_level;

void log_msg(enum log_level lvl, const char *fmt, ...) __printf(2, 3);
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap);

#define pr_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define pr_trace(...) log_msg(LOG_TRACE, __VA_ARGS__)

#endif
