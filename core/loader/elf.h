/* SPDX-License-Identifier: BSD-2-Clause */
/* ELF32/ELF64 guest images (System V ABI, ELF-64 Object File Format 1.5):
 * validated against the image size and the partition's RAM, then copied in
 * by program headers (p_paddr). Pure code. */
#ifndef BULKHEAD_CORE_LOADER_ELF_H
#define BULKHEAD_CORE_LOADER_ELF_H

#include "core/gmem.h"
#include "core/types.h"

struct elf_info {
	bool is64;
	uint64_t entry;
	uint64_t lowest, highest; /* guest-physical extent of the loaded segments */
};

/* True if the image starts with the ELF magic (whatever else is wrong). */
bool elf_is_elf(const void *img, uint64_t size);
/* Load; on failure returns false with a reason in why (nothing is promised
 * about guest RAM then: the caller refuses the partition). */
bool elf_load(const void *img, uint64_t size, const struct gmem *mem, struct elf_info *out,
	      const char **why);

#endif
