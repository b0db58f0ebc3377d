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

struct manifest_entry {
	char name[MANIFEST_NAME_MAX];
	uint64_t mem;
	bool mode_given;
	enum vcpu_mode mode;
	uint64_t load;   /* MANIFEST_NO_ADDR: default */
	uint64_t entry;  /* MANIFEST_NO_ADDR: from the image */
	unsigned int cpus;
};

/* Returns false (after logging "manifest: module N: ...") if the line is
 * refused; `index` names the module in that line. */
bool manifest_parse(const char *cmdline, unsigned int index, struct manifest_entry *out);

#endif
