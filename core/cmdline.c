/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/cmdline.h"
#include "core/lib/string.h"
#include "core/log.h"

/* smp=N: at most as many CPUs as xAPIC IDs exist (0-254). */
#define SMP_OPTION_MAX 255
/* asid_max=N: VPIDs are 16 bits (SDM Vol. 3C §25.6.12). */
#define ASID_MAX_OPTION 65535

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool cmdline_next(const char **cursor, struct kv *kv)
{
	const char *p = *cursor;
	while (*p && is_space(*p))
		p++;
	if (!*p) {
		*cursor = p;
		return false;
	}
	kv->key = p;
	while (*p && !is_space(*p) && *p != '=')
		p++;
	kv->key_len = (size_t)(p - kv->key);
	kv->val = NULL;
	kv->val_len = 0;
	if (*p == '=') {
		p++;
		if (*p == '"') {
			p++;
			kv->val = p;
			while (*p && *p != '"')
				p++;
			kv->val_len = (size_t)(p - kv->val);
			if (*p == '"')
				p++;
		} else {
			kv->val = p;
			while (*p && !is_space(*p))
				p++;
			kv->val_len = (size_t)(p - kv->val);
		}
	}
	*cursor = p;
	return true;
}

bool kv_key_is(const struct kv *kv, const char *key)
{
	size_t n = bh_strlen(key);
	return kv->key_len == n && bh_memcmp(kv->key, key, n) == 0;
}

static bool val_is(const struct kv *kv, const char *v)
{
	size_t n = bh_strlen(v);
	return kv->val && kv->val_len == n && bh_memcmp(kv->val, v, n) == 0;
}

bool kv_val_copy(const struct kv *kv, char *buf, size_t size)
{
	if (!kv->val || kv->val_len >= size)
		return false;
	bh_memcpy(buf, kv->val, kv->val_len);
	buf[kv->val_len] = '\0';
	return true;
}

void hv_options_defaults(struct hv_options *o)
{
	bh_memset(o, 0, sizeof(*o));
	o->loglevel = LOG_INFO;
	o->serial_port = 0x3f8;
	o->on_idle = ON_IDLE_HALT;
	o->test_fault = TEST_FAULT_NONE;
}

static bool parse_serial(const struct kv *kv, uint16_t *port)
{
	static const struct {
		const char *name;
		uint16_t port;
	} named[] = {
		{ "com1", 0x3f8 },
		{ "com2", 0x2f8 },
		{ "com3", 0x3e8 },
		{ "com4", 0x2e8 },
	};
	uint64_t v;
	for (unsigned int i = 0; i < ARRAY_SIZE(named); i++) {
		if (val_is(kv, named[i].name)) {
			*port = named[i].port;
			return true;
		}
	}
	if (!kv->val || !bh_parse_u64(kv->val, kv->val_len, &v, false) || v == 0 || v > 0xfff8)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* The token is quoted as written, from its key to `end` (the cursor after
 * it), so quotes around a value are shown too. */
static void refuse(struct hv_options *o, const struct kv *kv, const char *end, const char *why)
{
	o->bad_options++;
	pr_warn("cmdline: option '%.*s' %s; ignored", (int)(end - kv->key), kv->key, why);
}

void hv_options_parse(struct hv_options *o, const char *cmdline)
{
	struct kv kv;
	uint64_t v;
	const char *cur = cmdline;

	bool first = true;
	while (cmdline_next(&cur, &kv)) {
		/* Loaders pass the image path as the first word (GRUB:
		 * "/boot/bulkhead.elf", QEMU -kernel: the host path). Every
		 * option of ours has a value, so a bare first word is the path. */
		if (first && !kv.val) {
			first = false;
			continue;
		}
		first = false;
		if (kv_key_is(&kv, "loglevel")) {
			if (!kv.val || !bh_parse_u64(kv.val, kv.val_len, &v, false) || v > LOG_TRACE)
				refuse(o, &kv, cur, "needs a level 0-4");
			else
				o->loglevel = (int)v;
		} else if (kv_key_is(&kv, "serial")) {
			if (!parse_serial(&kv, &o->serial_port))
				refuse(o, &kv, cur, "needs com1-com4 or an I/O port");
		} else if (kv_key_is(&kv, "trace")) {
			if (val_is(&kv, "exits"))
				o->trace_exits = true;
			else
				refuse(o, &kv, cur, "only knows 'trace=exits'");
		} else if (kv_key_is(&kv, "on_idle")) {
			if (val_is(&kv, "halt"))
				o->on_idle = ON_IDLE_HALT;
			else if (val_is(&kv, "exit"))
				o->on_idle = ON_IDLE_EXIT;
			else
				refuse(o, &kv, cur, "needs halt or exit");
		} else if (kv_key_is(&kv, "smp")) {
			if (!kv.val || !bh_parse_u64(kv.val, kv.val_len, &v, false) || v < 1 ||
			    v > SMP_OPTION_MAX)
				refuse(o, &kv, cur, "needs a CPU count 1-255");
			else
				o->max_cpus = (unsigned int)v;
		} else if (kv_key_is(&kv, "asid_max")) {
			if (!kv.val || !bh_parse_u64(kv.val, kv.val_len, &v, false) || v < 1 ||
			    v > ASID_MAX_OPTION)
				refuse(o, &kv, cur, "needs a tag count 1-65535");
			else
				o->asid_max = (unsigned int)v;
		} else if (kv_key_is(&kv, "test_fault")) {
			if (val_is(&kv, "ud"))
				o->test_fault = TEST_FAULT_UD;
			else if (val_is(&kv, "gp"))
				o->test_fault = TEST_FAULT_GP;
			else if (val_is(&kv, "pf"))
				o->test_fault = TEST_FAULT_PF;
			else if (val_is(&kv, "de"))
				o->test_fault = TEST_FAULT_DE;
			else if (val_is(&kv, "stack"))
				o->test_fault = TEST_FAULT_STACK;
			else if (val_is(&kv, "ist"))
				o->test_fault = TEST_FAULT_IST_GUARD;
			else
				refuse(o, &kv, cur, "needs ud, gp, pf, de, stack or ist");
		} else {
			refuse(o, &kv, cur, "is unknown");
		}
	}
}
