/* SPDX-License-Identifier: BSD-2-Clause */
/* Guest-physical memory as the hypervisor sees it, and the only way device
 * models and loaders touch it.
 *
 * A partition's RAM is a short list of regions, each a guest-physical range
 * backed by host memory that the hypervisor can address directly (host
 * virtual == host physical in Bulkhead; in host unit tests it is a malloc'd
 * buffer). Every accessor checks that the whole access lies inside one region
 * and fails otherwise: a guest-supplied address can never reach hypervisor
 * memory or another partition's RAM through these calls.
 *
 * Pure code: compiled into the hypervisor and into the host unit tests. */
#ifndef BULKHEAD_CORE_GMEM_H
#define BULKHEAD_CORE_GMEM_H

#include "core/types.h"

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	gpa_t gpa;     /* first guest-physical byte */
	uint64_t size; /* bytes */
	uint8_t *host; /* where the hypervisor reaches byte gpa */
};

struct gmem {
	struct gmem_region region[GMEM_MAX_REGIONS];
	unsigned int nr_regions;
};

/* Adds a region; refuses overlaps, zero size, and wrap-around. */
bool gmem_add_region(struct gmem *m, gpa_t gpa, uint64_t size, void *host);

/* Host pointer for [gpa, gpa+len) if it lies wholly in one region, else NULL.
 * len == 0 is refused. The pointer is valid while the partition exists. */
void *gmem_ptr(const struct gmem *m, gpa_t gpa, uint64_t len);

/* Copy in/out; false (and nothing copied) if any byte is outside guest RAM. */
bool gmem_read(const struct gmem *m, gpa_t gpa, void *dst, uint64_t len);
bool gmem_write(const struct gmem *m, gpa_t gpa, const void *src, uint64_t len);

/* Total bytes of RAM in all regions. */
uint64_t gmem_total(const struct gmem *m);

#endif
