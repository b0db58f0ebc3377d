/* SPDX-License-Identifier: BSD-2-Clause */
/* The test report (docs/test-guests.md):
 *
 *	TEST <case>: PASS
 *	TEST <case>: FAIL <reason>
 *	GUEST DONE passed=<N> failed=<M>
 *
 * A line is formatted completely before it is written, and a reason never
 * contains a line break, so the runner can match each line on its own. */
#include "rt.h"

struct rt_report {
	unsigned passed, failed;
};

static struct rt_report rt_report;

#define REASON_MAX 160

void rt_pass(const char *name)
{
	rt_report.passed++;
	rt_printf("TEST %s: PASS\n", name);
}

static void fail_v(const char *name, const char *fmt, va_list ap)
{
	char reason[REASON_MAX];

	rt_report.failed++;
	rt_vsnprintf(reason, sizeof(reason), fmt, ap);
	for (char *p = reason; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	rt_printf("TEST %s: FAIL %s\n", name, reason);
}

void rt_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_v(name, fmt, ap);
	va_end(ap);
}

bool rt_check(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		rt_pass(name);
		return true;
	}
	va_start(ap, fmt);
	fail_v(name, fmt, ap);
	va_end(ap);
	return false;
}

bool rt_check_eq(const char *name, const char *what, uint64_t got, uint64_t want)
{
	return rt_check(name, got == want, "%s: got 0x%llx, want 0x%llx", what,
			(unsigned long long)got, (unsigned long long)want);
}

unsigned rt_failed_count(void)
{
	return rt_report.failed;
}

noreturn void rt_done(void)
{
	rt_printf("GUEST DONE passed=%u failed=%u\n", rt_report.passed, rt_report.failed);
	rt_stop(rt_report.failed ? 1 : 0);
}
