/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes core/cmdline.c: hostile bytes as a command line (cut at the first
 * NUL). Checks: tokens lie inside the string and the cursor always moves
 * forward; kv_val_copy never overflows and copies exactly the value;
 * hv_options_parse leaves every option in its valid range and logs exactly
 * one line per refused option. */
#include <stdlib.h>
#include <string.h>

#include "core/cmdline.h"
#include "core/log.h"
#include "tests/unit/support/host_log.h"

static bool inside(const char *p, size_t len, const char *s, size_t n)
{
	return p >= s && (size_t)(p - s) <= n && len <= n - (size_t)(p - s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	size_t n = strlen(s);

	const char *cur = s;
	struct kv kv;
	unsigned int tokens = 0;
	for (;;) {
		const char *before = cur;
		if (!cmdline_next(&cur, &kv))
			break;
		tokens++;
		if (cur <= before || !inside(cur, 0, s, n))
			abort();
		if (!inside(kv.key, kv.key_len, s, n) || kv.key < before)
			abort();
		if (kv.val && !inside(kv.val, kv.val_len, s, n))
			abort();
		if (!kv.val && kv.val_len)
			abort();
		char small[8];
		if (kv_val_copy(&kv, small, sizeof(small))) {
			if (strlen(small) != kv.val_len || memcmp(small, kv.val, kv.val_len))
				abort();
		} else if (kv.val && kv.val_len < sizeof(small)) {
			abort();
		}
		if (tokens > n + 1)
			abort();
	}
	if (*cur != '\0')
		abort();

	struct hv_options o;
	hv_options_defaults(&o);
	host_log_reset();
	hv_options_parse(&o, s);
	if (o.loglevel < LOG_ERR || o.loglevel > LOG_TRACE)
		abort();
	if (o.serial_port == 0 || o.serial_port > 0xfff8)
		abort();
	if (o.on_idle != ON_IDLE_HALT && o.on_idle != ON_IDLE_EXIT)
		abort();
	if (o.test_fault > TEST_FAULT_DE)
		abort();
	if (o.bad_options > tokens || host_log_count() != o.bad_options)
		abort();
	free(s);
	return 0;
}
