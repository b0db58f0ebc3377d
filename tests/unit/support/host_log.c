/* SPDX-License-Identifier: BSD-2-Clause */
/* Host stand-in for the hypervisor's log (core/log.h): lines are kept in a
 * ring so tests can assert on what a hostile input made a model say. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/format.h"
#include "core/log.h"
#include "tests/unit/support/host_log.h"

int log_level = LOG_DEBUG;

static char lines[HOST_LOG_MAX][256];
static unsigned int nr_lines;

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char buf[256];
	bh_vsnprintf(buf, sizeof(buf), fmt, ap);
	if (nr_lines < HOST_LOG_MAX)
		strncpy(lines[nr_lines], buf, sizeof(lines[0]) - 1);
	nr_lines++;
	if (getenv("BH_TEST_VERBOSE"))
		fprintf(stderr, "log[%d]: %s\n", lvl, buf);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

unsigned int host_log_count(void)
{
	return nr_lines;
}

const char *host_log_line(unsigned int i)
{
	return i < nr_lines && i < HOST_LOG_MAX ? lines[i] : "";
}

bool host_log_contains(const char *needle)
{
	for (unsigned int i = 0; i < nr_lines && i < HOST_LOG_MAX; i++)
		if (strstr(lines[i], needle))
			return true;
	return false;
}

void host_log_reset(void)
{
	nr_lines = 0;
}

/* core/stats.c prints handler time with the hypervisor's TSC frequency;
 * the host build has no TSC calibration, so a fixed 1 GHz stands in. */
uint64_t tsc_hz(void);
uint64_t tsc_hz(void)
{
	return 1000000000ULL;
}
