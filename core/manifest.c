/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/cmdline.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/manifest.h"

/* Longest argument GRUB may hand over in quotes (see next_arg). */
#define QUOTED_ARG_MAX (MANIFEST_CMDLINE_MAX + 32)
#define KEY_NAME_MAX 24
/* How much of a refused list item a refusal quotes (a log line is short). */
#define ITEM_QUOTE_MAX 20
/* A MAC address written XX:XX:XX:XX:XX:XX. */
#define MAC_TEXT_LEN (MANIFEST_MAC_LEN * 3 - 1)
/* IEEE 802-2014 8.2.2: bit 0 of the first octet is the individual/group
 * bit; an interface's own address must be individual (unicast). */
#define MAC_GROUP_BIT 0x01

static bool valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static bool parse_num(const struct kv *kv, uint64_t *v, bool suffix)
{
	return kv->val && bh_parse_u64(kv->val, kv->val_len, v, suffix);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* State of one line while it is parsed. */
struct line_state {
	unsigned int index;
	bool first;        /* no token seen yet: a bare first word is the path */
	bool dashdash;     /* "--" seen: the rest was the kernel's */
	bool cmdline_key;  /* cmdline= seen */
	bool readonly_key; /* readonly= seen (disk modules only) */
	/* The first key other than initrd-for, disk-for and readonly, so a
	 * module line can refuse it by name (copied: a quoted argument's
	 * buffer is reused). */
	char other[KEY_NAME_MAX];
	char quoted[QUOTED_ARG_MAX];
};

#define REFUSE(st, fmt, ...)                                                     \
	do {                                                                     \
		pr_err("manifest: module %u: " fmt, (st)->index, ##__VA_ARGS__); \
		return false;                                                    \
	} while (0)

static void note_key(struct line_state *st, const char *key, size_t len)
{
	if (st->other[0])
		return;
	len = MIN(len, sizeof(st->other) - 1);
	bh_memcpy(st->other, key, len);
	st->other[len] = '\0';
	if (!len) /* "=value": name the empty key so the line still says why */
		bh_strlcpy(st->other, "=", sizeof(st->other));
}

/* GRUB (grub_create_loader_cmdline) passes an argument that contains a
 * space as one double-quoted word with \", \' and \\ escaped: grub.cfg's
 * cmdline="a b" arrives as "cmdline=a b". Unquote it into st->quoted and
 * split it at its first '='; quotes around the value that survived (written
 * as 'cmdline="a b"') are dropped as the plain tokenizer would. */
static bool next_quoted(const char **cursor, struct kv *kv, struct line_state *st)
{
	const char *p = *cursor + 1;
	size_t n = 0;

	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\'' || p[1] == '\\'))
			p++;
		if (n == sizeof(st->quoted) - 1)
			REFUSE(st, "an argument in quotes is longer than %u bytes",
			       (unsigned int)sizeof(st->quoted) - 1);
		st->quoted[n++] = *p;
	}
	if (*p != '"')
		REFUSE(st, "an argument has no closing quote");
	p++;
	if (*p && !is_space(*p))
		REFUSE(st, "a closing quote is followed by '%c' instead of a space", *p);
	st->quoted[n] = '\0';
	*cursor = p;

	char *eq = bh_strchr(st->quoted, '=');
	kv->key = st->quoted;
	kv->key_len = eq ? (size_t)(eq - st->quoted) : n;
	kv->val = eq ? eq + 1 : NULL;
	kv->val_len = eq ? n - kv->key_len - 1 : 0;
	if (kv->val && kv->val_len >= 2 && kv->val[0] == '"' && kv->val[kv->val_len - 1] == '"') {
		kv->val++;
		kv->val_len -= 2;
	}
	return true;
}

/* Everything after a standalone "--" is the kernel's, verbatim (a word GRUB
 * quoted stays quoted: the kernel's own parser takes "key=a b"). */
static bool take_kernel_cmdline(const char *rest, struct manifest_entry *out, struct line_state *st)
{
	while (*rest && is_space(*rest))
		rest++;
	size_t len = bh_strlen(rest);
	while (len && is_space(rest[len - 1]))
		len--;
	if (len >= sizeof(out->cmdline))
		REFUSE(st, "the kernel command line after '--' is longer than %u bytes",
		       MANIFEST_CMDLINE_MAX - 1);
	bh_memcpy(out->cmdline, rest, len);
	out->cmdline[len] = '\0';
	st->dashdash = true;
	return true;
}

static bool parse_mode(const struct kv *kv, struct manifest_entry *out, struct line_state *st)
{
	char m[8];
	if (!kv_val_copy(kv, m, sizeof(m)))
		REFUSE(st, "key 'mode' needs real, prot or long");
	if (!bh_strcmp(m, "real"))
		out->mode = VCPU_MODE_REAL;
	else if (!bh_strcmp(m, "prot"))
		out->mode = VCPU_MODE_PROT32;
	else if (!bh_strcmp(m, "long"))
		out->mode = VCPU_MODE_LONG64;
	else
		REFUSE(st, "key 'mode' needs real, prot or long");
	out->mode_given = true;
	return true;
}

static bool parse_kind(const struct kv *kv, struct manifest_entry *out, struct line_state *st)
{
	char k[12];
	if (!kv_val_copy(kv, k, sizeof(k)))
		REFUSE(st, "key 'kind' needs linux, multiboot or auto");
	if (!bh_strcmp(k, "linux"))
		out->kind = MANIFEST_KIND_LINUX;
	else if (!bh_strcmp(k, "multiboot"))
		out->kind = MANIFEST_KIND_MULTIBOOT;
	else if (!bh_strcmp(k, "auto"))
		out->kind = MANIFEST_KIND_AUTO;
	else
		REFUSE(st, "key 'kind' needs linux, multiboot or auto");
	return true;
}

/* The on/off keys: fw_cfg, acpi, x2apic, kvm-pv. */
static bool parse_switch(const struct kv *kv, const char *key, enum manifest_switch *out,
			 struct line_state *st)
{
	char v[4];
	if (!kv_val_copy(kv, v, sizeof(v)))
		REFUSE(st, "key '%s' needs on or off", key);
	if (!bh_strcmp(v, "on"))
		*out = MANIFEST_SWITCH_ON;
	else if (!bh_strcmp(v, "off"))
		*out = MANIFEST_SWITCH_OFF;
	else
		REFUSE(st, "key '%s' needs on or off", key);
	return true;
}

/* debug-exit=PORT: an I/O port, 0x1-0xfffe (the device answers at PORT and
 * PORT+1, as QEMU's isa-debug-exit with its default iosize 2). */
static bool parse_debug_exit(const struct kv *kv, struct manifest_entry *out, struct line_state *st)
{
	uint64_t v;
	if (!parse_num(kv, &v, false) || v == 0 || v > 0xfffe)
		REFUSE(st, "key 'debug-exit' needs an I/O port from 0x1 to 0xfffe (e.g. 0xf4)");
	out->debug_exit_given = true;
	out->debug_exit_port = (uint16_t)v;
	return true;
}

static bool parse_on_triple_fault(const struct kv *kv, struct manifest_entry *out,
				  struct line_state *st)
{
	char k[8];
	if (!kv_val_copy(kv, k, sizeof(k)))
		REFUSE(st, "key 'on_triple_fault' needs stop or restart");
	if (!bh_strcmp(k, "stop"))
		out->restart_on_triple_fault = false;
	else if (!bh_strcmp(k, "restart"))
		out->restart_on_triple_fault = true;
	else
		REFUSE(st, "key 'on_triple_fault' needs stop or restart");
	return true;
}

static bool parse_restart_limit(const struct kv *kv, struct manifest_entry *out, struct line_state *st)
{
	char k[4];
	if (!kv_val_copy(kv, k, sizeof(k)))
		REFUSE(st, "key 'restart_limit' needs on or off");
	if (!bh_strcmp(k, "on"))
		out->restart_unlimited = false;
	else if (!bh_strcmp(k, "off"))
		out->restart_unlimited = true;
	else
		REFUSE(st, "key 'restart_limit' needs on or off");
	return true;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal CPU number; saturates instead of overflowing so that a huge
 * number is reported as out of range rather than wrapped into range. */
static bool parse_cpu_number(const char *s, size_t len, unsigned int *out)
{
	unsigned int v = 0;

	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return false;
		if (v < MANIFEST_MAX_HOST_CPUS * 10)
			v = v * 10 + (unsigned int)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* One item of a comma-separated value: [*item, *item + *len). Returns false
 * after the last item. A value with an empty item (empty value, ",,", a
 * leading or trailing comma) yields that empty item for the caller to
 * refuse. */
struct list_cursor {
	const char *p;
	const char *end;
	bool done;
};

static bool next_item(struct list_cursor *lc, const char **item, size_t *len)
{
	const char *c = lc->p;

	if (lc->done)
		return false;
	while (c < lc->end && *c != ',')
		c++;
	*item = lc->p;
	*len = (size_t)(c - lc->p);
	if (c == lc->end)
		lc->done = true;
	else
		lc->p = c + 1;
	return true;
}

static void list_begin(struct list_cursor *lc, const struct kv *kv)
{
	lc->p = kv->val ? kv->val : "";
	lc->end = lc->p + (kv->val ? kv->val_len : 0);
	lc->done = false;
}

/* One affinity item, "N" or "N-M", into *mask. */
static bool parse_affinity_item(const char *item, size_t len, uint32_t *mask, struct line_state *st)
{
	const char *dash = NULL;
	unsigned int lo, hi;
	int q = (int)MIN(len, ITEM_QUOTE_MAX);

	for (size_t i = 0; i < len; i++)
		if (item[i] == '-' && !dash)
			dash = item + i;
	if (!dash) {
		if (!parse_cpu_number(item, len, &lo))
			REFUSE(st, "key 'affinity': '%.*s' is not a CPU number or range (e.g. 0,2-3)",
			       q, item);
		hi = lo;
	} else if (!parse_cpu_number(item, (size_t)(dash - item), &lo) ||
		   !parse_cpu_number(dash + 1, len - (size_t)(dash - item) - 1, &hi)) {
		REFUSE(st, "key 'affinity': '%.*s' is not a CPU number or range (e.g. 0,2-3)", q,
		       item);
	}
	if (lo >= MANIFEST_MAX_HOST_CPUS || hi >= MANIFEST_MAX_HOST_CPUS)
		REFUSE(st, "key 'affinity': '%.*s' lies outside host CPUs 0-%u", q, item,
		       MANIFEST_MAX_HOST_CPUS - 1);
	if (lo > hi)
		REFUSE(st, "key 'affinity': range '%.*s' is reversed", q, item);
	for (unsigned int c = lo; c <= hi; c++)
		*mask |= 1u << c;
	return true;
}

static bool parse_affinity(const struct kv *kv, struct manifest_entry *out, struct line_state *st)
{
	struct list_cursor lc;
	const char *item;
	size_t len;
	uint32_t mask = 0;

	if (!kv->val)
		REFUSE(st, "key 'affinity' needs host CPU numbers and ranges (e.g. 0,2-3)");
	list_begin(&lc, kv);
	while (next_item(&lc, &item, &len)) {
		if (!len)
			REFUSE(st, "key 'affinity' has an empty item (a stray or trailing comma?)");
		if (!parse_affinity_item(item, len, &mask, st))
			return false;
	}
	out->affinity = mask;
	return true;
}

static const struct {
	const char *name;
	uint32_t bit;
} known_devices[] = {
	{ "rng", MANIFEST_DEV_RNG },
	{ "console", MANIFEST_DEV_CONSOLE },
};

static uint32_t device_bit(const char *item, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_devices); i++)
		if (bh_strlen(known_devices[i].name) == len &&
		    !bh_memcmp(known_devices[i].name, item, len))
			return known_devices[i].bit;
	return 0;
}

static bool parse_devices(const struct kv *kv, struct manifest_entry *out, struct line_state *st)
{
	struct list_cursor lc;
	const char *item;
	size_t len;
	uint32_t devices = 0;

	if (!kv->val)
		REFUSE(st, "key 'devices' needs a list of rng, console");
	list_begin(&lc, kv);
	while (next_item(&lc, &item, &len)) {
		int q = (int)MIN(len, ITEM_QUOTE_MAX);
		uint32_t bit = device_bit(item, len);
		if (!len)
			REFUSE(st, "key 'devices' has an empty item (a stray or trailing comma?)");
		if (!bit)
			REFUSE(st, "key 'devices': unknown device '%.*s' (rng, console)", q, item);
		if (devices & bit)
			REFUSE(st, "key 'devices' names '%.*s' twice", q, item);
		devices |= bit;
	}
	out->devices = devices;
	return true;
}

static bool parse_mac(const struct kv *kv, struct manifest_entry *out, struct line_state *st)
{
	uint8_t mac[MANIFEST_MAC_LEN];
	uint8_t any = 0;

	if (!kv->val || kv->val_len != MAC_TEXT_LEN)
		REFUSE(st, "key 'mac' needs six hex octets with colons (e.g. 52:54:00:12:34:56)");
	for (unsigned int i = 0; i < MANIFEST_MAC_LEN; i++) {
		const char *o = kv->val + 3 * i;
		int hi = bh_hex_digit_value(o[0]), lo = bh_hex_digit_value(o[1]);
		if (hi < 0 || lo < 0 || (i + 1 < MANIFEST_MAC_LEN && o[2] != ':'))
			REFUSE(st,
			       "key 'mac' needs six hex octets with colons (e.g. 52:54:00:12:34:56)");
		mac[i] = (uint8_t)(hi << 4 | lo);
		any |= mac[i];
	}
	if (mac[0] & MAC_GROUP_BIT)
		REFUSE(st, "key 'mac' is a multicast address (bit 0 of the first octet is set)");
	if (!any)
		REFUSE(st, "key 'mac' is all zero");
	bh_memcpy(out->mac, mac, sizeof(mac));
	out->mac_given = true;
	return true;
}

static bool parse_readonly(const struct kv *kv, struct manifest_entry *out, struct line_state *st)
{
	char v[4];
	if (!kv_val_copy(kv, v, sizeof(v)))
		REFUSE(st, "key 'readonly' needs yes or no");
	if (!bh_strcmp(v, "yes"))
		out->readonly = true;
	else if (!bh_strcmp(v, "no"))
		out->readonly = false;
	else
		REFUSE(st, "key 'readonly' needs yes or no");
	st->readonly_key = true;
	return true;
}

/* Keys of module lines that declare no partition: initrd-for, disk-for and
 * readonly. Returns false with *handled set when the key was refused. */
static bool apply_module_key(const struct kv *kv, struct manifest_entry *out, struct line_state *st,
			     bool *handled)
{
	*handled = true;
	if (kv_key_is(kv, "initrd-for")) {
		if (!kv_val_copy(kv, out->initrd_for, sizeof(out->initrd_for)) ||
		    !valid_name(out->initrd_for))
			REFUSE(st,
			       "key 'initrd-for' needs a partition name (1-15 characters of a-z 0-9 - _)");
		return true;
	}
	if (kv_key_is(kv, "disk-for")) {
		if (!kv_val_copy(kv, out->disk_for, sizeof(out->disk_for)) ||
		    !valid_name(out->disk_for))
			REFUSE(st,
			       "key 'disk-for' needs a partition name (1-15 characters of a-z 0-9 - _)");
		return true;
	}
	if (kv_key_is(kv, "module-for")) {
		if (!kv_val_copy(kv, out->module_for, sizeof(out->module_for)) ||
		    !valid_name(out->module_for))
			REFUSE(st,
			       "key 'module-for' needs a partition name (1-15 characters of a-z 0-9 - _)");
		return true;
	}
	if (kv_key_is(kv, "readonly"))
		return parse_readonly(kv, out, st);
	*handled = false;
	return true;
}

static bool apply_key(const struct kv *kv, struct manifest_entry *out, struct line_state *st)
{
	uint64_t v;
	bool handled;

	if (!apply_module_key(kv, out, st, &handled))
		return false;
	if (handled)
		return true;
	note_key(st, kv->key, kv->key_len);
	if (kv_key_is(kv, "name")) {
		if (!kv_val_copy(kv, out->name, sizeof(out->name)) || !valid_name(out->name))
			REFUSE(st, "key 'name' needs 1-15 characters of a-z 0-9 - _");
	} else if (kv_key_is(kv, "mem")) {
		if (!parse_num(kv, &v, true) || v < MANIFEST_MEM_MIN || v > MANIFEST_MEM_MAX ||
		    !IS_ALIGNED(v, MiB(1)))
			REFUSE(st, "key 'mem' needs a whole number of MiB from 1M to 4G");
		out->mem = v;
	} else if (kv_key_is(kv, "mode")) {
		return parse_mode(kv, out, st);
	} else if (kv_key_is(kv, "load")) {
		if (!parse_num(kv, &v, false) || v >= MANIFEST_MEM_MAX)
			REFUSE(st, "key 'load' needs a guest-physical address");
		out->load = v;
	} else if (kv_key_is(kv, "entry")) {
		if (!parse_num(kv, &v, false) || v >= MANIFEST_MEM_MAX)
			REFUSE(st, "key 'entry' needs a guest-physical address");
		out->entry = v;
	} else if (kv_key_is(kv, "cpus")) {
		if (!parse_num(kv, &v, false) || v < 1 || v > MANIFEST_MAX_CPUS)
			REFUSE(st, "key 'cpus' needs 1-%u", MANIFEST_MAX_CPUS);
		out->cpus = (unsigned int)v;
	} else if (kv_key_is(kv, "kind")) {
		return parse_kind(kv, out, st);
	} else if (kv_key_is(kv, "on_triple_fault")) {
		return parse_on_triple_fault(kv, out, st);
	} else if (kv_key_is(kv, "restart_limit")) {
		return parse_restart_limit(kv, out, st);
	} else if (kv_key_is(kv, "affinity")) {
		return parse_affinity(kv, out, st);
	} else if (kv_key_is(kv, "priority")) {
		if (!parse_num(kv, &v, false) || v > MANIFEST_MAX_PRIORITY)
			REFUSE(st, "key 'priority' needs 0-%u", MANIFEST_MAX_PRIORITY);
		out->priority = (unsigned int)v;
	} else if (kv_key_is(kv, "disk")) {
		if (!parse_num(kv, &v, true) || v < MANIFEST_DISK_MIN || v > MANIFEST_DISK_MAX ||
		    !IS_ALIGNED(v, MANIFEST_SECTOR_SIZE))
			REFUSE(st, "key 'disk' needs a size from 4K to 1G in whole 512-byte sectors");
		out->disk_size = v;
	} else if (kv_key_is(kv, "net")) {
		if (!kv_val_copy(kv, out->net, sizeof(out->net)) || !valid_name(out->net))
			REFUSE(st, "key 'net' needs a switch name (1-15 characters of a-z 0-9 - _)");
	} else if (kv_key_is(kv, "mac")) {
		return parse_mac(kv, out, st);
	} else if (kv_key_is(kv, "devices")) {
		return parse_devices(kv, out, st);
	} else if (kv_key_is(kv, "x2apic")) {
		return parse_switch(kv, "x2apic", &out->x2apic, st);
	} else if (kv_key_is(kv, "kvm-pv")) {
		return parse_switch(kv, "kvm-pv", &out->kvm_pv, st);
	} else if (kv_key_is(kv, "fw_cfg")) {
		return parse_switch(kv, "fw_cfg", &out->fw_cfg, st);
	} else if (kv_key_is(kv, "acpi")) {
		return parse_switch(kv, "acpi", &out->acpi, st);
	} else if (kv_key_is(kv, "debug-exit")) {
		return parse_debug_exit(kv, out, st);
	} else if (kv_key_is(kv, "cmdline")) {
		if (!kv_val_copy(kv, out->cmdline, sizeof(out->cmdline)))
			REFUSE(st, "key 'cmdline' needs a value of at most %u bytes",
			       MANIFEST_CMDLINE_MAX - 1);
		st->cmdline_key = true;
	} else {
		REFUSE(st, "unknown key '%.*s'", (int)kv->key_len, kv->key);
	}
	return true;
}

/* Rules that need the whole line. */
/* A Multiboot module line: module-for=NAME and, optionally, "--" and the
 * module's string. */
static bool check_mb_module_line(struct manifest_entry *out, struct line_state *st)
{
	if (manifest_is_initrd(out) || manifest_is_disk(out))
		REFUSE(st, "keys 'module-for' and '%s' both given: a module is one or the other",
		       manifest_is_initrd(out) ? "initrd-for" : "disk-for");
	if (st->other[0] && bh_strcmp(st->other, "--"))
		REFUSE(st, "key '%s' does not apply to a Multiboot module (module-for=%s)",
		       st->other, out->module_for);
	if (st->readonly_key)
		REFUSE(st, "key 'readonly' does not apply to a Multiboot module (module-for=%s)",
		       out->module_for);
	if (st->cmdline_key)
		REFUSE(st,
		       "key 'cmdline' does not apply to a Multiboot module (its string follows '--')");
	return true;
}

static bool check_module_line(struct manifest_entry *out, struct line_state *st)
{
	if (manifest_is_mb_module(out))
		return check_mb_module_line(out, st);
	if (manifest_is_initrd(out) && manifest_is_disk(out))
		REFUSE(st,
		       "keys 'initrd-for' and 'disk-for' both given: a module is one or the other");
	if (manifest_is_initrd(out)) {
		if (st->other[0])
			REFUSE(st, "key '%s' does not apply to an initrd module (initrd-for=%s)",
			       st->other, out->initrd_for);
		if (st->readonly_key)
			REFUSE(st,
			       "key 'readonly' does not apply to an initrd module (initrd-for=%s)",
			       out->initrd_for);
		return true;
	}
	if (st->other[0])
		REFUSE(st, "key '%s' does not apply to a disk module (disk-for=%s)", st->other,
		       out->disk_for);
	return true;
}

static bool check_line(struct manifest_entry *out, struct line_state *st)
{
	if (!manifest_is_partition(out))
		return check_module_line(out, st);
	if (st->readonly_key)
		REFUSE(st, "key 'readonly' applies only to a disk module (disk-for=NAME)");
	if (out->mac_given && !out->net[0])
		REFUSE(st, "key 'mac' needs 'net=SWITCH' (no network interface to give it to)");
	if (st->cmdline_key && st->dashdash)
		REFUSE(st, "key 'cmdline' and '--' both give a kernel command line");
	out->cmdline_given = st->cmdline_key || st->dashdash;
	if (!out->name[0])
		REFUSE(st, "has no 'name' key");
	if (out->kind == MANIFEST_KIND_LINUX || out->kind == MANIFEST_KIND_MULTIBOOT) {
		/* The boot protocol fixes the start mode, load address and entry. */
		const char *what = out->kind == MANIFEST_KIND_LINUX
						   ? "a Linux kernel (kind=linux)"
						   : "a Multiboot kernel (kind=multiboot)";
		if (out->mode_given)
			REFUSE(st, "key 'mode' does not apply to %s", what);
		if (out->load != MANIFEST_NO_ADDR)
			REFUSE(st, "key 'load' does not apply to %s", what);
		if (out->entry != MANIFEST_NO_ADDR)
			REFUSE(st, "key 'entry' does not apply to %s", what);
	}
	if (out->load != MANIFEST_NO_ADDR && out->load >= out->mem)
		REFUSE(st, "key 'load' (%#lx) lies outside its %lu MiB of RAM", out->load,
		       out->mem >> 20);
	if (out->entry != MANIFEST_NO_ADDR && out->entry >= out->mem)
		REFUSE(st, "key 'entry' (%#lx) lies outside its %lu MiB of RAM", out->entry,
		       out->mem >> 20);
	return true;
}

static bool next_token(const char **cur, struct kv *kv, struct line_state *st, bool *end)
{
	while (**cur && is_space(**cur))
		(*cur)++;
	*end = !**cur;
	if (*end)
		return true;
	if (**cur == '"')
		return next_quoted(cur, kv, st);
	return cmdline_next(cur, kv);
}

bool manifest_parse(const char *cmdline, unsigned int index, struct manifest_entry *out)
{
	struct line_state st = { .index = index, .first = true };
	const char *cur = cmdline;
	struct kv kv;
	bool end;

	bh_memset(out, 0, sizeof(*out));
	out->mem = MANIFEST_DEFAULT_MEM;
	out->load = MANIFEST_NO_ADDR;
	out->entry = MANIFEST_NO_ADDR;
	out->cpus = 1;
	out->kind = MANIFEST_KIND_AUTO;
	out->initrd_module = MANIFEST_NO_MODULE;
	out->priority = MANIFEST_DEFAULT_PRIORITY;
	for (unsigned int k = 0; k < MANIFEST_MAX_DISKS; k++)
		out->disk_module[k] = MANIFEST_NO_MODULE;
	for (unsigned int k = 0; k < MANIFEST_MAX_MB_MODULES; k++)
		out->mb_module[k] = MANIFEST_NO_MODULE;

	for (;;) {
		if (!next_token(&cur, &kv, &st, &end))
			return false;
		if (end)
			break;
		if (kv_key_is(&kv, "--") && !kv.val) {
			note_key(&st, kv.key, kv.key_len);
			if (!take_kernel_cmdline(cur, out, &st))
				return false;
			break;
		}
		/* GRUB's Multiboot2 module lines leave the path out; other
		 * loaders put it first. None of our keys is bare. */
		if (st.first && !kv.val) {
			st.first = false;
			continue;
		}
		st.first = false;
		if (!apply_key(&kv, out, &st))
			return false;
	}
	return check_line(out, &st);
}

static int find_partition(const struct manifest_entry *e, const bool *accepted, unsigned int n,
			  const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (accepted[i] && manifest_is_partition(&e[i]) && !bh_strcmp(e[i].name, name))
			return (int)i;
	return MANIFEST_NO_MODULE;
}

static void unlink_partition(struct manifest_entry *p)
{
	p->initrd_module = MANIFEST_NO_MODULE;
	for (unsigned int k = 0; k < MANIFEST_MAX_DISKS; k++)
		p->disk_module[k] = MANIFEST_NO_MODULE;
	p->nr_disks = 0;
	for (unsigned int k = 0; k < MANIFEST_MAX_MB_MODULES; k++)
		p->mb_module[k] = MANIFEST_NO_MODULE;
	p->nr_mb_modules = 0;
}

static bool link_initrd(struct manifest_entry *e, const bool *accepted, unsigned int n, unsigned int i)
{
	int p = find_partition(e, accepted, n, e[i].initrd_for);

	if (p == MANIFEST_NO_MODULE) {
		pr_err("manifest: module %u: key 'initrd-for' names no partition '%s' (not declared, or refused)",
		       i, e[i].initrd_for);
		return false;
	}
	if (e[p].initrd_module != MANIFEST_NO_MODULE) {
		pr_err("manifest: module %u: key 'initrd-for': partition '%s' already has an initrd (module %d)",
		       i, e[i].initrd_for, e[p].initrd_module);
		return false;
	}
	e[p].initrd_module = (int)i;
	return true;
}

/* Disks are numbered in module order; disk= of the partition, if given,
 * takes the place after them and so counts against the limit. */
static bool link_disk(struct manifest_entry *e, const bool *accepted, unsigned int n, unsigned int i)
{
	int p = find_partition(e, accepted, n, e[i].disk_for);

	if (p == MANIFEST_NO_MODULE) {
		pr_err("manifest: module %u: key 'disk-for' names no partition '%s' (not declared, or refused)",
		       i, e[i].disk_for);
		return false;
	}
	if (manifest_disk_count(&e[p]) >= MANIFEST_MAX_DISKS) {
		pr_err("manifest: module %u: key 'disk-for': partition '%s' already has %u disks%s (at most %u)",
		       i, e[i].disk_for, manifest_disk_count(&e[p]),
		       e[p].disk_size ? ", counting its disk=" : "", MANIFEST_MAX_DISKS);
		return false;
	}
	e[p].disk_module[e[p].nr_disks++] = (int)i;
	return true;
}

/* Multiboot modules go to a kind=multiboot partition, in module order. */
static bool link_mb_module(struct manifest_entry *e, const bool *accepted, unsigned int n,
			   unsigned int i)
{
	int p = find_partition(e, accepted, n, e[i].module_for);

	if (p == MANIFEST_NO_MODULE) {
		pr_err("manifest: module %u: key 'module-for' names no partition '%s' (not declared, or refused)",
		       i, e[i].module_for);
		return false;
	}
	if (e[p].kind != MANIFEST_KIND_MULTIBOOT) {
		pr_err("manifest: module %u: key 'module-for': partition '%s' is not kind=multiboot",
		       i, e[i].module_for);
		return false;
	}
	if (e[p].nr_mb_modules >= MANIFEST_MAX_MB_MODULES) {
		pr_err("manifest: module %u: key 'module-for': partition '%s' already has %u modules (at most %u)",
		       i, e[i].module_for, e[p].nr_mb_modules, MANIFEST_MAX_MB_MODULES);
		return false;
	}
	e[p].mb_module[e[p].nr_mb_modules++] = (int)i;
	return true;
}

void manifest_link_modules(struct manifest_entry *e, bool *accepted, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (accepted[i] && manifest_is_partition(&e[i]))
			unlink_partition(&e[i]);
	for (unsigned int i = 0; i < n; i++) {
		if (!accepted[i])
			continue;
		if (manifest_is_initrd(&e[i]))
			accepted[i] = link_initrd(e, accepted, n, i);
		else if (manifest_is_disk(&e[i]))
			accepted[i] = link_disk(e, accepted, n, i);
		else if (manifest_is_mb_module(&e[i]))
			accepted[i] = link_mb_module(e, accepted, n, i);
	}
}

void manifest_link_initrds(struct manifest_entry *e, bool *accepted, unsigned int n)
{
	manifest_link_modules(e, accepted, n);
}
