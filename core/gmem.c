/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/gmem.h"
#include "core/lib/string.h"

bool gmem_add_region(struct gmem *m, gpa_t gpa, uint64_t size, void *host)
{
	if (m->nr_regions >= GMEM_MAX_REGIONS || size == 0 || !host)
		return false;
	if (gpa + size < gpa)
		return false;
	for (unsigned int i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->region[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return false;
	}
	m->region[m->nr_regions++] = (struct gmem_region){ gpa, size, host };
	return true;
}

void *gmem_ptr(const struct gmem *m, gpa_t gpa, uint64_t len)
{
	if (len == 0)
		return NULL;
	for (unsigned int i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->region[i];
		if (range_within(gpa, len, r->gpa, r->size))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

bool gmem_read(const struct gmem *m, gpa_t gpa, void *dst, uint64_t len)
{
	if (len == 0)
		return true;
	void *p = gmem_ptr(m, gpa, len);
	if (!p)
		return false;
	bh_memcpy(dst, p, len);
	return true;
}

bool gmem_write(const struct gmem *m, gpa_t gpa, const void *src, uint64_t len)
{
	if (len == 0)
		return true;
	void *p = gmem_ptr(m, gpa, len);
	if (!p)
		return false;
	bh_memcpy(p, src, len);
	return true;
}

uint64_t gmem_total(const struct gmem *m)
{
	uint64_t t = 0;
	for (unsigned int i = 0; i < m->nr_regions; i++)
		t += m->region[i].size;
	return t;
}
