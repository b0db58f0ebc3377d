/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes core/manifest.c (and the core/cmdline.c tokenizer under it): any
 * text as a module command line. An accepted entry must satisfy every rule
 * of docs/manifest.md (partition, initrd or disk module, kernel command line
 * bounds, kind=linux exclusions, affinity/priority/disk/net/mac/devices
 * bounds); a refused one must say so in exactly one line. */
#include <stdlib.h>
#include <string.h>

#include "core/manifest.h"
#include "tests/unit/support/host_log.h"

static bool name_ok(const char *n)
{
	size_t len = strnlen(n, MANIFEST_NAME_MAX);
	if (len == 0 || len >= MANIFEST_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '-' ||
		      n[i] == '_'))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);
	struct manifest_entry m;

	memcpy(line, data, size);
	line[size] = '\0';
	host_log_reset();
	if (manifest_parse(line, 7, &m)) {
		if (host_log_count() != 0 || m.initrd_module != MANIFEST_NO_MODULE || m.nr_disks)
			abort();
		for (unsigned int k = 0; k < MANIFEST_MAX_DISKS; k++)
			if (m.disk_module[k] != MANIFEST_NO_MODULE)
				abort();
		if (strnlen(m.cmdline, MANIFEST_CMDLINE_MAX) == MANIFEST_CMDLINE_MAX)
			abort();
		if (manifest_is_initrd(&m) || manifest_is_disk(&m)) {
			/* An initrd or disk module carries nothing but its
			 * partition's name (and a disk module readonly=). */
			if (manifest_is_initrd(&m) == manifest_is_disk(&m))
				abort();
			if (!name_ok(manifest_is_initrd(&m) ? m.initrd_for : m.disk_for))
				abort();
			if (manifest_is_initrd(&m) && m.readonly)
				abort();
			if (m.name[0] || m.cmdline_given || m.cmdline[0] ||
			    m.kind != MANIFEST_KIND_AUTO || m.mode_given || m.affinity ||
			    m.priority != MANIFEST_DEFAULT_PRIORITY || m.disk_size || m.net[0] ||
			    m.mac_given || m.devices)
				abort();
			free(line);
			return 0;
		}
		if (m.readonly)
			abort();
		if (m.affinity >> MANIFEST_MAX_HOST_CPUS || m.priority > MANIFEST_MAX_PRIORITY)
			abort();
		if (m.disk_size &&
		    (m.disk_size < MANIFEST_DISK_MIN || m.disk_size > MANIFEST_DISK_MAX ||
		     m.disk_size % MANIFEST_SECTOR_SIZE))
			abort();
		if (m.net[0] && !name_ok(m.net))
			abort();
		if (m.mac_given &&
		    (!m.net[0] || (m.mac[0] & 1) ||
		     !(m.mac[0] | m.mac[1] | m.mac[2] | m.mac[3] | m.mac[4] | m.mac[5])))
			abort();
		if (m.devices & ~(MANIFEST_DEV_RNG | MANIFEST_DEV_CONSOLE))
			abort();
		if (!name_ok(m.name))
			abort();
		if (m.kind == MANIFEST_KIND_LINUX &&
		    (m.mode_given || m.load != MANIFEST_NO_ADDR || m.entry != MANIFEST_NO_ADDR))
			abort();
		if (m.kind != MANIFEST_KIND_AUTO && m.kind != MANIFEST_KIND_LINUX)
			abort();
		if (!m.cmdline_given && m.cmdline[0])
			abort();
		if (m.mem < MANIFEST_MEM_MIN || m.mem > MANIFEST_MEM_MAX || m.mem % MiB(1))
			abort();
		if (m.cpus < 1 || m.cpus > MANIFEST_MAX_CPUS)
			abort();
		if (m.load != MANIFEST_NO_ADDR && m.load >= m.mem)
			abort();
		if (m.entry != MANIFEST_NO_ADDR && m.entry >= m.mem)
			abort();
		if (m.mode_given && m.mode != VCPU_MODE_REAL && m.mode != VCPU_MODE_PROT32 &&
		    m.mode != VCPU_MODE_LONG64)
			abort();
	} else if (host_log_count() != 1 || !host_log_contains("manifest: module 7: ")) {
		abort();
	}
	free(line);
	return 0;
}
