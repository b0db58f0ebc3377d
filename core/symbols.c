/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/lib/format.h"
#include "core/symbols.h"

/* Layout written by scripts/gen-symtab.sh. */
struct ksym {
	uint64_t addr;
	uint32_t name_off; /* into ksym_names */
	uint32_t size;
};

extern const struct ksym ksym_table[];
extern const uint32_t ksym_count;
extern const char ksym_names[];

void symbol_describe(uint64_t addr, char *buf, size_t size)
{
	uint32_t lo = 0, hi = ksym_count;
	/* Last symbol whose address is <= addr. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (ksym_table[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0) {
		bh_snprintf(buf, size, "<?>");
		return;
	}
	const struct ksym *s = &ksym_table[lo - 1];
	if (s->size && addr - s->addr >= s->size && lo == ksym_count) {
		bh_snprintf(buf, size, "<?>");
		return;
	}
	bh_snprintf(buf, size, "<%s+%#lx>", ksym_names + s->name_off, addr - s->addr);
}
