#include "core/cmdline.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/manifest.h"

#define MANIFEST_MAX_CPUS 4
/* Longest argument GRUB may hand over in quotes (see next_arg). */
#define QUOTED_ARG_MAX (MANIFEST_CMDLINE_MAX + 32)
#define KEY_NAME_MAX 24

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
	bool first;          /* no token seen yet: a bare first word is the path */
	bool dashdash;       /* "--" seen: the rest was the kernel's */
	bool cmdline_key;    /* cmdline= seen */
	/* The first key other than initrd-for, so an initrd module can refuse
	 * it by name (copied: a quoted argument's buffer is reused). */
	char other[KEY_NAME_MAX];
	char quoted[QUOTED_ARG_MAX];
};

#define REFUSE(st, fmt, ...)                                                          \
	do {                                                                          \
		pr_err("manifest: module %u: " fmt, (st)->index, ##__VA_ARGS__);      \
		return false;                                                         \
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
static bool take_kernel_cmdline(const char *rest, struct manifest_entry *out,
				struct line_state *st)
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
	char k[8];
	if (!kv_val_copy(kv, k, sizeof(k)))
		REFUSE(st, "key 'kind' needs linux or auto");
	if (!bh_strcmp(k, "linux"))
		out->kind = MANIFEST_KIND_LINUX;
	else if (!bh_strcmp(k, "auto"))
		out->kind = MANIFEST_KIND_AUTO;
	else
		REFUSE(st, "key 'kind' needs linux or auto");
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

static bool apply_key(const struct kv *kv, struct manifest_entry *out, struct line_state *st)
{
	uint64_t v;

	if (kv_key_is(kv, "initrd-for")) {
		if (!kv_val_copy(kv, out->initrd_for, sizeof(out->initrd_for)) ||
		    !valid_name(out->initrd_for))
			REFUSE(st, "key 'initrd-for' needs a partition name (1-15 characters of a-z 0-9 - _)");
		return true;
	}
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
static bool check_line(struct manifest_entry *out, struct line_state *st)
{
	if (manifest_is_initrd(out)) {
		if (st->other[0])
			REFUSE(st, "key '%s' does not apply to an initrd module (initrd-for=%s)",
			       st->other, out->initrd_for);
		return true;
	}
	if (st->cmdline_key && st->dashdash)
		REFUSE(st, "key 'cmdline' and '--' both give a kernel command line");
	out->cmdline_given = st->cmdline_key || st->dashdash;
	if (!out->name[0])
		REFUSE(st, "has no 'name' key");
	if (out->kind == MANIFEST_KIND_LINUX) {
		/* The boot protocol fixes the start mode, load address and entry. */
		if (out->mode_given)
			REFUSE(st, "key 'mode' does not apply to a Linux kernel (kind=linux)");
		if (out->load != MANIFEST_NO_ADDR)
			REFUSE(st, "key 'load' does not apply to a Linux kernel (kind=linux)");
		if (out->entry != MANIFEST_NO_ADDR)
			REFUSE(st, "key 'entry' does not apply to a Linux kernel (kind=linux)");
	}
	if (out->load != MANIFEST_NO_ADDR && out->load >= out->mem)
		REFUSE(st, "key 'load' (%#lx) lies outside its %lu MiB of RAM", out->load, out->mem >> 20);
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
		if (accepted[i] && !manifest_is_initrd(&e[i]) && !bh_strcmp(e[i].name, name))
			return (int)i;
	return MANIFEST_NO_MODULE;
}

void manifest_link_initrds(struct manifest_entry *e, bool *accepted, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (accepted[i] && !manifest_is_initrd(&e[i]))
			e[i].initrd_module = MANIFEST_NO_MODULE;
	for (unsigned int i = 0; i < n; i++) {
		if (!accepted[i] || !manifest_is_initrd(&e[i]))
			continue;
		int p = find_partition(e, accepted, n, e[i].initrd_for);
		if (p == MANIFEST_NO_MODULE) {
			pr_err("manifest: module %u: key 'initrd-for' names no partition '%s' (not declared, or refused)",
			       i, e[i].initrd_for);
			accepted[i] = false;
		} else if (e[p].initrd_module != MANIFEST_NO_MODULE) {
			pr_err("manifest: module %u: key 'initrd-for': partition '%s' already has an initrd (module %d)",
			       i, e[i].initrd_for, e[p].initrd_module);
			accepted[i] = false;
		} else {
			e[p].initrd_module = (int)i;
		}
	}
}
