/* The manifest: what a boot module's command line declares (docs/manifest.md).
 * Pure code: parsed and validated here, with one clear line per refusal. */
#ifndef BULKHEAD_CORE_MANIFEST_H
#define BULKHEAD_CORE_MANIFEST_H

#include "core/types.h"
#include "core/vcpu.h"

#define MANIFEST_NAME_MAX 16
#define MANIFEST_MEM_MIN MiB(1)
#define MANIFEST_MEM_MAX GiB(4)
#define MANIFEST_DEFAULT_MEM MiB(16)
#define MANIFEST_NO_ADDR UINT64_MAX
/* A module's command line is at most 511 bytes (BOOT_MODULE_CMDLINE_MAX),
 * so a kernel command line taken from it always fits. */
#define MANIFEST_CMDLINE_MAX 512
#define MANIFEST_NO_MODULE (-1)

/* What the image is: found from its header (AUTO), or declared. */
enum manifest_kind {
	MANIFEST_KIND_AUTO,  /* bzImage header -> Linux, ELF magic -> ELF, else flat */
	MANIFEST_KIND_LINUX, /* kind=linux: must be a bzImage */
};

struct manifest_entry {
	char name[MANIFEST_NAME_MAX];
	uint64_t mem;
	bool mode_given;
	enum vcpu_mode mode;
	uint64_t load;   /* MANIFEST_NO_ADDR: default */
	uint64_t entry;  /* MANIFEST_NO_ADDR: from the image */
	unsigned int cpus;
	enum manifest_kind kind;
	/* on_triple_fault=restart: a triple fault (a PC's reset) restarts the
	 * partition from its images instead of stopping it (the default). */
	bool restart_on_triple_fault;
	/* The Linux kernel command line (cmdline="..." or everything after a
	 * standalone "--"); cmdline_given says whether either was present. */
	bool cmdline_given;
	char cmdline[MANIFEST_CMDLINE_MAX];
	/* Non-empty: this module is the initrd of the partition so named and
	 * declares no partition itself (name is then empty). */
	char initrd_for[MANIFEST_NAME_MAX];
	/* For a partition: the module index of its initrd, set by
	 * manifest_link_initrds(); MANIFEST_NO_MODULE if it has none. */
	int initrd_module;
};

/* Returns false (after logging "manifest: module N: ...") if the line is
 * refused; `index` names the module in that line. */
bool manifest_parse(const char *cmdline, unsigned int index, struct manifest_entry *out);

static inline bool manifest_is_initrd(const struct manifest_entry *e)
{
	return e->initrd_for[0] != '\0';
}

/* After every module line went through manifest_parse (entries[i] and
 * accepted[i] for module i): attaches each accepted initrd module to the
 * first accepted partition of that name (entries[p].initrd_module = i). An
 * initrd whose partition is not declared (or was refused), or whose
 * partition already has one, is refused with one line naming 'initrd-for'
 * and its accepted[] entry becomes false. */
void manifest_link_initrds(struct manifest_entry *entries, bool *accepted, unsigned int n);

#endif
