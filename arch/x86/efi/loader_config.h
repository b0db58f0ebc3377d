/* SPDX-License-Identifier: BSD-2-Clause */
/* The UEFI loader's configuration file (/bulkhead.cfg on the ESP).
 *
 *     # comment lines and blank lines are ignored
 *     hypervisor /bulkhead.elf loglevel=2 on_idle=exit
 *     module /guests/hello-long.elf name=hello mem=16M
 *
 * Exactly one "hypervisor" line: the image path, then the hypervisor command
 * line. Up to BOOT_MAX_MODULES "module" lines: the file path, then the
 * module's command line (the partition manifest, docs/manifest.md). Paths are
 * relative to the root of the volume the loader was started from; '/' and
 * '\' are both accepted as separators.
 *
 * Pure code (no firmware calls) so the host unit tests can run it. */
#ifndef BULKHEAD_ARCH_X86_EFI_LOADER_CONFIG_H
#define BULKHEAD_ARCH_X86_EFI_LOADER_CONFIG_H

#include "arch/x86/boot/bootinfo.h"
#include "core/types.h"

#define LDR_PATH_MAX 256
#define LDR_CONFIG_MAX_BYTES (64 * 1024) /* larger files are refused */

struct ldr_module_cfg {
	char path[LDR_PATH_MAX];
	char cmdline[BOOT_MODULE_CMDLINE_MAX];
};

struct ldr_config {
	char hv_path[LDR_PATH_MAX];
	char hv_cmdline[BOOT_CMDLINE_MAX];
	uint32_t nr_modules;
	struct ldr_module_cfg modules[BOOT_MAX_MODULES];
};

enum ldr_cfg_error {
	LDR_CFG_OK = 0,
	LDR_CFG_TOO_BIG,
	LDR_CFG_BAD_CHARACTER,
	LDR_CFG_UNKNOWN_KEYWORD,
	LDR_CFG_MISSING_PATH,
	LDR_CFG_PATH_TOO_LONG,
	LDR_CFG_CMDLINE_TOO_LONG,
	LDR_CFG_TOO_MANY_MODULES,
	LDR_CFG_DUPLICATE_HYPERVISOR,
	LDR_CFG_NO_HYPERVISOR,
};

/* Parses len bytes of text (need not be NUL-terminated) into cfg. On error
 * returns the reason and sets *err_line to the 1-based line it was found on
 * (0 when it concerns the whole file). cfg is only meaningful on LDR_CFG_OK. */
enum ldr_cfg_error ldr_config_parse(const char *text, size_t len, struct ldr_config *cfg,
				    uint32_t *err_line);

/* A short English description of err, for the one error line the loader prints. */
const char *ldr_config_strerror(enum ldr_cfg_error err);

#endif
