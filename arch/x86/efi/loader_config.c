/* SPDX-License-Identifier: BSD-2-Clause */
/* Parser for the UEFI loader's configuration file (format in loader_config.h).
 * Strict on purpose: the file decides what runs on the machine, so anything
 * unexpected stops the boot with one line naming the problem and the line. */
#include "arch/x86/efi/loader_config.h"

#include "core/lib/string.h"

#define KEYWORD_HYPERVISOR "hypervisor"
#define KEYWORD_MODULE "module"

/* A view of part of the file: [s, s + len). */
struct span {
	const char *s;
	size_t len;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Printable ASCII plus the whitespace a text editor writes. */
static bool is_allowed_byte(unsigned char c)
{
	if (c == '\t' || c == '\r' || c == '\n')
		return true;
	return c >= 0x20 && c < 0x7f;
}

static struct span trim(struct span v)
{
	while (v.len && is_blank(v.s[0]))
		v.s++, v.len--;
	while (v.len && is_blank(v.s[v.len - 1]))
		v.len--;
	return v;
}

/* Splits off the first whitespace-delimited word of *rest. */
static struct span next_word(struct span *rest)
{
	struct span w = { rest->s, 0 };
	while (w.len < rest->len && !is_blank(rest->s[w.len]))
		w.len++;
	rest->s += w.len;
	rest->len -= w.len;
	*rest = trim(*rest);
	return w;
}

static bool word_is(struct span w, const char *kw)
{
	size_t n = bh_strlen(kw);
	return w.len == n && bh_memcmp(w.s, kw, n) == 0;
}

/* Copies v into a NUL-terminated buffer of size cap; false if it does not fit. */
static bool copy_out(char *dst, size_t cap, struct span v)
{
	if (v.len >= cap)
		return false;
	bh_memcpy(dst, v.s, v.len);
	dst[v.len] = '\0';
	return true;
}

static enum ldr_cfg_error parse_entry(struct span rest, char *path, char *cmdline, size_t cmdline_cap)
{
	struct span p = next_word(&rest);

	if (!p.len)
		return LDR_CFG_MISSING_PATH;
	if (!copy_out(path, LDR_PATH_MAX, p))
		return LDR_CFG_PATH_TOO_LONG;
	if (!copy_out(cmdline, cmdline_cap, rest))
		return LDR_CFG_CMDLINE_TOO_LONG;
	return LDR_CFG_OK;
}

static enum ldr_cfg_error parse_line(struct span line, struct ldr_config *cfg, bool *have_hv)
{
	struct span rest = trim(line);
	struct span kw;

	if (!rest.len || rest.s[0] == '#')
		return LDR_CFG_OK;
	kw = next_word(&rest);
	if (word_is(kw, KEYWORD_HYPERVISOR)) {
		if (*have_hv)
			return LDR_CFG_DUPLICATE_HYPERVISOR;
		*have_hv = true;
		return parse_entry(rest, cfg->hv_path, cfg->hv_cmdline, sizeof(cfg->hv_cmdline));
	}
	if (word_is(kw, KEYWORD_MODULE)) {
		struct ldr_module_cfg *m;

		if (cfg->nr_modules >= BOOT_MAX_MODULES)
			return LDR_CFG_TOO_MANY_MODULES;
		m = &cfg->modules[cfg->nr_modules++];
		return parse_entry(rest, m->path, m->cmdline, sizeof(m->cmdline));
	}
	return LDR_CFG_UNKNOWN_KEYWORD;
}

enum ldr_cfg_error ldr_config_parse(const char *text, size_t len, struct ldr_config *cfg,
				    uint32_t *err_line)
{
	static const char utf8_bom[3] = { (char)0xEF, (char)0xBB, (char)0xBF };
	bool have_hv = false;
	uint32_t lineno = 0;
	size_t pos = 0;

	bh_memset(cfg, 0, sizeof(*cfg));
	*err_line = 0;
	if (len > LDR_CONFIG_MAX_BYTES)
		return LDR_CFG_TOO_BIG;
	/* Editors on other systems like to start the file with a byte-order mark. */
	if (len >= sizeof(utf8_bom) && bh_memcmp(text, utf8_bom, sizeof(utf8_bom)) == 0)
		pos = sizeof(utf8_bom);

	while (pos < len) {
		struct span line = { text + pos, 0 };
		enum ldr_cfg_error err;

		lineno++;
		while (pos + line.len < len && text[pos + line.len] != '\n')
			line.len++;
		pos += line.len + 1;
		for (size_t i = 0; i < line.len; i++) {
			if (!is_allowed_byte((unsigned char)line.s[i])) {
				*err_line = lineno;
				return LDR_CFG_BAD_CHARACTER;
			}
		}
		err = parse_line(line, cfg, &have_hv);
		if (err != LDR_CFG_OK) {
			*err_line = lineno;
			return err;
		}
	}
	if (!have_hv)
		return LDR_CFG_NO_HYPERVISOR;
	return LDR_CFG_OK;
}

const char *ldr_config_strerror(enum ldr_cfg_error err)
{
	switch (err) {
	case LDR_CFG_OK:
		return "no error";
	case LDR_CFG_TOO_BIG:
		return "file larger than 64 KiB";
	case LDR_CFG_BAD_CHARACTER:
		return "byte that is not printable ASCII";
	case LDR_CFG_UNKNOWN_KEYWORD:
		return "unknown keyword (expected 'hypervisor' or 'module')";
	case LDR_CFG_MISSING_PATH:
		return "keyword without a file path";
	case LDR_CFG_PATH_TOO_LONG:
		return "file path longer than 255 characters";
	case LDR_CFG_CMDLINE_TOO_LONG:
		return "command line too long (hypervisor 1023, module 511 characters)";
	case LDR_CFG_TOO_MANY_MODULES:
		return "more than 16 module lines";
	case LDR_CFG_DUPLICATE_HYPERVISOR:
		return "second 'hypervisor' line";
	case LDR_CFG_NO_HYPERVISOR:
		return "no 'hypervisor' line";
	}
	return "unknown error";
}
