#include "core/cmdline.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/manifest.h"

#define MANIFEST_MAX_CPUS 4

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

bool manifest_parse(const char *cmdline, unsigned int index, struct manifest_entry *out)
{
	struct kv kv;
	const char *cur = cmdline;
	uint64_t v;
	bool first = true;

	bh_memset(out, 0, sizeof(*out));
	out->mem = MANIFEST_DEFAULT_MEM;
	out->load = MANIFEST_NO_ADDR;
	out->entry = MANIFEST_NO_ADDR;
	out->cpus = 1;

#define REFUSE(fmt, ...)                                                              \
	do {                                                                          \
		pr_err("manifest: module %u: " fmt, index, ##__VA_ARGS__);            \
		return false;                                                         \
	} while (0)

	while (cmdline_next(&cur, &kv)) {
		if (first && !kv.val) { /* the module path GRUB puts first */
			first = false;
			continue;
		}
		first = false;
		if (kv_key_is(&kv, "name")) {
			if (!kv_val_copy(&kv, out->name, sizeof(out->name)) || !valid_name(out->name))
				REFUSE("key 'name' needs 1-15 characters of a-z 0-9 - _");
		} else if (kv_key_is(&kv, "mem")) {
			if (!parse_num(&kv, &v, true) || v < MANIFEST_MEM_MIN || v > MANIFEST_MEM_MAX ||
			    !IS_ALIGNED(v, MiB(1)))
				REFUSE("key 'mem' needs a whole number of MiB from 1M to 4G");
			out->mem = v;
		} else if (kv_key_is(&kv, "mode")) {
			char m[8];
			if (!kv_val_copy(&kv, m, sizeof(m)))
				REFUSE("key 'mode' needs real, prot or long");
			if (!bh_strcmp(m, "real"))
				out->mode = VCPU_MODE_REAL;
			else if (!bh_strcmp(m, "prot"))
				out->mode = VCPU_MODE_PROT32;
			else if (!bh_strcmp(m, "long"))
				out->mode = VCPU_MODE_LONG64;
			else
				REFUSE("key 'mode' needs real, prot or long");
			out->mode_given = true;
		} else if (kv_key_is(&kv, "load")) {
			if (!parse_num(&kv, &v, false) || v >= MANIFEST_MEM_MAX)
				REFUSE("key 'load' needs a guest-physical address");
			out->load = v;
		} else if (kv_key_is(&kv, "entry")) {
			if (!parse_num(&kv, &v, false) || v >= MANIFEST_MEM_MAX)
				REFUSE("key 'entry' needs a guest-physical address");
			out->entry = v;
		} else if (kv_key_is(&kv, "cpus")) {
			if (!parse_num(&kv, &v, false) || v < 1 || v > MANIFEST_MAX_CPUS)
				REFUSE("key 'cpus' needs 1-%u", MANIFEST_MAX_CPUS);
			out->cpus = (unsigned int)v;
		} else {
			REFUSE("unknown key '%.*s'", (int)kv.key_len, kv.key);
		}
	}
	if (!out->name[0])
		REFUSE("has no 'name' key");
	if (out->load != MANIFEST_NO_ADDR && out->load >= out->mem)
		REFUSE("key 'load' (%#lx) lies outside its %lu MiB of RAM", out->load, out->mem >> 20);
	if (out->entry != MANIFEST_NO_ADDR && out->entry >= out->mem)
		REFUSE("key 'entry' (%#lx) lies outside its %lu MiB of RAM", out->entry, out->mem >> 20);
#undef REFUSE
	return true;
}
