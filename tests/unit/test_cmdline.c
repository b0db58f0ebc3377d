/* SPDX-License-Identifier: BSD-2-Clause */
/* core/cmdline.c: the key=value tokenizer and the hypervisor's options. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/cmdline.h"
#include "core/log.h"
#include "tests/unit/support/host_log.h"

static void reset(void)
{
	host_log_reset();
}

static void expect_kv(const char **cur, const char *key, const char *val)
{
	struct kv kv;
	cr_assert(cmdline_next(cur, &kv), "expected token '%s'", key);
	cr_assert_eq(kv.key_len, strlen(key), "key '%.*s', want '%s'", (int)kv.key_len, kv.key, key);
	cr_assert_eq(memcmp(kv.key, key, kv.key_len), 0, "key '%.*s', want '%s'", (int)kv.key_len,
		     kv.key, key);
	if (!val) {
		cr_assert_null(kv.val, "key '%s' should have no value", key);
		return;
	}
	cr_assert_not_null(kv.val, "key '%s' should have a value", key);
	cr_assert_eq(kv.val_len, strlen(val), "value '%.*s', want '%s'", (int)kv.val_len, kv.val,
		     val);
	cr_assert_eq(memcmp(kv.val, val, kv.val_len), 0, "value '%.*s', want '%s'", (int)kv.val_len,
		     kv.val, val);
}

static void expect_end(const char **cur)
{
	struct kv kv;
	cr_assert_not(cmdline_next(cur, &kv));
	cr_assert_eq(**cur, '\0', "the cursor stays on the terminator");
	cr_assert_not(cmdline_next(cur, &kv), "and the end is sticky");
}

Test(tokenize, plain_tokens, .init = reset)
{
	const char *cur = "  /boot/bulkhead.elf a=1\tbare\r\nb=two   c= ";
	expect_kv(&cur, "/boot/bulkhead.elf", NULL);
	expect_kv(&cur, "a", "1");
	expect_kv(&cur, "bare", NULL);
	expect_kv(&cur, "b", "two");
	expect_kv(&cur, "c", "");
	expect_end(&cur);
}

Test(tokenize, empty_and_blank, .init = reset)
{
	const char *cur = "";
	expect_end(&cur);
	cur = " \t\r\n ";
	expect_end(&cur);
}

Test(tokenize, quotes, .init = reset)
{
	const char *cur = "name=\"linux zero\" cmd=\"console=ttyS0 root=/dev/vda\" e=\"\" next";
	expect_kv(&cur, "name", "linux zero");
	expect_kv(&cur, "cmd", "console=ttyS0 root=/dev/vda");
	expect_kv(&cur, "e", "");
	expect_kv(&cur, "next", NULL);
	expect_end(&cur);
}

Test(tokenize, quote_only_opens_at_value_start, .init = reset)
{
	const char *cur = "a=b\"c d\" \"k\"=v";
	expect_kv(&cur, "a", "b\"c");
	expect_kv(&cur, "d\"", NULL);
	expect_kv(&cur, "\"k\"", "v");
	expect_end(&cur);
}

Test(tokenize, unterminated_quote_takes_the_rest, .init = reset)
{
	const char *cur = "a=1 msg=\"hello world  b=2";
	expect_kv(&cur, "a", "1");
	expect_kv(&cur, "msg", "hello world  b=2");
	expect_end(&cur);
}

Test(tokenize, text_right_after_closing_quote_is_a_new_token, .init = reset)
{
	const char *cur = "a=\"x\"y=1";
	expect_kv(&cur, "a", "x");
	expect_kv(&cur, "y", "1");
	expect_end(&cur);
}

Test(tokenize, empty_key_and_double_equals, .init = reset)
{
	const char *cur = "=v k==w";
	expect_kv(&cur, "", "v");
	expect_kv(&cur, "k", "=w");
	expect_end(&cur);
}

Test(tokenize, key_is_and_val_copy, .init = reset)
{
	const char *cur = "serial=com1 x";
	struct kv kv;
	char buf[5];
	cr_assert(cmdline_next(&cur, &kv));
	cr_assert(kv_key_is(&kv, "serial"));
	cr_assert_not(kv_key_is(&kv, "seria"));
	cr_assert_not(kv_key_is(&kv, "serial2"));
	cr_assert(kv_val_copy(&kv, buf, sizeof(buf)));
	cr_assert_str_eq(buf, "com1");
	cr_assert_not(kv_val_copy(&kv, buf, 4), "4 chars + NUL do not fit in 4");
	cr_assert_not(kv_val_copy(&kv, buf, 0));
	cr_assert(cmdline_next(&cur, &kv));
	cr_assert_not(kv_val_copy(&kv, buf, sizeof(buf)), "no value to copy");
}

/* ---- hv_options_parse ---------------------------------------------------- */

static struct hv_options o;

static void parse(const char *s)
{
	host_log_reset();
	hv_options_defaults(&o);
	hv_options_parse(&o, s);
}

Test(options, defaults, .init = reset)
{
	parse("");
	cr_assert_eq(o.loglevel, LOG_INFO);
	cr_assert_eq(o.serial_port, 0x3f8);
	cr_assert_not(o.trace_exits);
	cr_assert_eq(o.on_idle, ON_IDLE_HALT);
	cr_assert_eq(o.test_fault, TEST_FAULT_NONE);
	cr_assert_eq(o.max_cpus, 0, "every CPU by default");
	cr_assert_eq(o.bad_options, 0);
	cr_assert_eq(host_log_count(), 0);
}

Test(options, smp_cpu_count, .init = reset)
{
	parse("p smp=1");
	cr_assert_eq(o.max_cpus, 1);
	parse("p smp=2 loglevel=3");
	cr_assert_eq(o.max_cpus, 2);
	cr_assert_eq(o.bad_options, 0);
	parse("p smp=255");
	cr_assert_eq(o.max_cpus, 255);
	const char *bad[] = { "p smp=0",   "p smp=256", "p smp=",   "p smp",
			      "p smp=two", "p smp=2k",  "p smp=-1", "p smp=99999999999999999999999" };
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		parse(bad[i]);
		cr_assert_eq(o.max_cpus, 0, "'%s' changed the count", bad[i]);
		cr_assert_eq(o.bad_options, 1, "'%s'", bad[i]);
		cr_assert_eq(host_log_count(), 1, "'%s'", bad[i]);
		cr_assert(host_log_contains("needs a CPU count 1-255"), "'%s'", bad[i]);
	}
}

Test(options, asid_max, .init = reset)
{
	parse("p");
	cr_assert_eq(o.asid_max, 0, "the hardware's count by default");
	parse("p asid_max=2");
	cr_assert_eq(o.asid_max, 2);
	parse("p asid_max=65535");
	cr_assert_eq(o.asid_max, 65535);
	cr_assert_eq(o.bad_options, 0);
	const char *bad[] = { "p asid_max=0", "p asid_max=65536", "p asid_max=", "p asid_max",
			      "p asid_max=x" };
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		parse(bad[i]);
		cr_assert_eq(o.asid_max, 0, "'%s' changed the count", bad[i]);
		cr_assert_eq(o.bad_options, 1, "'%s'", bad[i]);
		cr_assert(host_log_contains("needs a tag count 1-65535"), "'%s'", bad[i]);
	}
}

Test(options, first_bare_word_is_the_image_path, .init = reset)
{
	parse("/boot/bulkhead.elf loglevel=3");
	cr_assert_eq(o.loglevel, 3);
	cr_assert_eq(o.bad_options, 0);
	cr_assert_eq(host_log_count(), 0);
	parse("   C:\\qemu\\bulkhead.elf");
	cr_assert_eq(o.bad_options, 0);
}

Test(options, first_word_with_value_is_an_option, .init = reset)
{
	parse("loglevel=1 serial=com2");
	cr_assert_eq(o.loglevel, 1);
	cr_assert_eq(o.serial_port, 0x2f8);
	cr_assert_eq(o.bad_options, 0);
}

Test(options, later_bare_word_is_refused, .init = reset)
{
	parse("/boot/bulkhead.elf quiet loglevel=2");
	cr_assert_eq(o.bad_options, 1);
	cr_assert_eq(o.loglevel, 2);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("option 'quiet' is unknown"));
}

Test(options, loglevel_valid_and_invalid, .init = reset)
{
	for (int l = 0; l <= LOG_TRACE; l++) {
		char s[32];
		snprintf(s, sizeof(s), "p loglevel=%d", l);
		parse(s);
		cr_assert_eq(o.loglevel, l);
		cr_assert_eq(o.bad_options, 0);
	}
	const char *bad[] = { "p loglevel=5", "p loglevel=-1", "p loglevel=",
			      "p loglevel",   "p loglevel=2x", "p loglevel=99999999999999999999999",
			      "p loglevel=1k" };
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		parse(bad[i]);
		cr_assert_eq(o.loglevel, LOG_INFO, "'%s' changed the level", bad[i]);
		cr_assert_eq(o.bad_options, 1, "'%s'", bad[i]);
		cr_assert_eq(host_log_count(), 1, "'%s'", bad[i]);
		cr_assert(host_log_contains("needs a level 0-4"), "'%s'", bad[i]);
	}
}

Test(options, serial_named_and_numeric, .init = reset)
{
	static const struct {
		const char *s;
		uint16_t port;
	} ok[] = {
		{ "p serial=com1", 0x3f8 },    { "p serial=com2", 0x2f8 },
		{ "p serial=com3", 0x3e8 },    { "p serial=com4", 0x2e8 },
		{ "p serial=0x2f8", 0x2f8 },   { "p serial=760", 0x2f8 },
		{ "p serial=0xfff8", 0xfff8 }, { "p serial=\"com2\"", 0x2f8 },
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(ok); i++) {
		parse(ok[i].s);
		cr_assert_eq(o.serial_port, ok[i].port, "'%s' gave %#x", ok[i].s, o.serial_port);
		cr_assert_eq(o.bad_options, 0, "'%s'", ok[i].s);
	}
}

Test(options, serial_junk_refused, .init = reset)
{
	const char *bad[] = { "p serial=junk",   "p serial=com5",    "p serial=COM2", "p serial=0",
			      "p serial=0xfff9", "p serial=0x10000", "p serial=",     "p serial",
			      "p serial=0x2f8k", "p serial=com" };
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		parse(bad[i]);
		cr_assert_eq(o.serial_port, 0x3f8, "'%s' changed the port to %#x", bad[i],
			     o.serial_port);
		cr_assert_eq(o.bad_options, 1, "'%s'", bad[i]);
		cr_assert_eq(host_log_count(), 1, "'%s'", bad[i]);
		cr_assert(host_log_contains("needs com1-com4 or an I/O port"), "'%s'", bad[i]);
	}
}

Test(options, trace, .init = reset)
{
	parse("p trace=exits");
	cr_assert(o.trace_exits);
	cr_assert_eq(o.bad_options, 0);
	parse("p trace=all trace trace=");
	cr_assert_not(o.trace_exits);
	cr_assert_eq(o.bad_options, 3);
	cr_assert_eq(host_log_count(), 3);
	cr_assert(host_log_contains("option 'trace=all' only knows 'trace=exits'"));
}

Test(options, on_idle, .init = reset)
{
	parse("p on_idle=exit");
	cr_assert_eq(o.on_idle, ON_IDLE_EXIT);
	parse("p on_idle=exit on_idle=halt");
	cr_assert_eq(o.on_idle, ON_IDLE_HALT, "the last one wins");
	parse("p on_idle=sleep");
	cr_assert_eq(o.on_idle, ON_IDLE_HALT);
	cr_assert_eq(o.bad_options, 1);
	cr_assert(host_log_contains("needs halt or exit"));
}

Test(options, test_fault, .init = reset)
{
	static const struct {
		const char *s;
		enum test_fault f;
	} ok[] = {
		{ "p test_fault=ud", TEST_FAULT_UD },
		{ "p test_fault=gp", TEST_FAULT_GP },
		{ "p test_fault=pf", TEST_FAULT_PF },
		{ "p test_fault=de", TEST_FAULT_DE },
		{ "p test_fault=stack", TEST_FAULT_STACK },
		{ "p test_fault=ist", TEST_FAULT_IST_GUARD },
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(ok); i++) {
		parse(ok[i].s);
		cr_assert_eq(o.test_fault, ok[i].f, "'%s'", ok[i].s);
	}
	parse("p test_fault=nmi");
	cr_assert_eq(o.test_fault, TEST_FAULT_NONE);
	cr_assert_eq(o.bad_options, 1);
	cr_assert(host_log_contains("needs ud, gp, pf, de, stack or ist"));
}

Test(options, unknown_option_counted_and_logged, .init = reset)
{
	parse("/boot/bulkhead.elf foo=bar loglevel=4 LOGLEVEL=1 log=2");
	cr_assert_eq(o.loglevel, 4, "keys are case-sensitive");
	cr_assert_eq(o.bad_options, 3);
	cr_assert_eq(host_log_count(), 3);
	cr_assert(host_log_contains("option 'foo=bar' is unknown; ignored"));
	cr_assert(host_log_contains("option 'LOGLEVEL=1' is unknown"));
	cr_assert(host_log_contains("option 'log=2' is unknown"));
}

Test(options, refused_quoted_value_logged_whole, .init = reset)
{
	parse("p serial=\"com 9\" loglevel=\"7");
	cr_assert_eq(o.bad_options, 2);
	cr_assert(host_log_contains("option 'serial=\"com 9\"' needs com1-com4"), "got: %s",
		  host_log_line(0));
	cr_assert(host_log_contains("option 'loglevel=\"7' needs a level"), "got: %s",
		  host_log_line(1));
}

Test(options, every_option_together, .init = reset)
{
	parse("/boot/bulkhead.elf loglevel=4 serial=0x2e8 trace=exits on_idle=exit test_fault=gp");
	cr_assert_eq(o.loglevel, 4);
	cr_assert_eq(o.serial_port, 0x2e8);
	cr_assert(o.trace_exits);
	cr_assert_eq(o.on_idle, ON_IDLE_EXIT);
	cr_assert_eq(o.test_fault, TEST_FAULT_GP);
	cr_assert_eq(o.bad_options, 0);
	cr_assert_eq(host_log_count(), 0);
}
