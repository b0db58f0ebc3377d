#include "arch/x86/boot/multiboot.h"
#include "core/lib/string.h"
#include "core/log.h"

/* Multiboot1 information block layout (Multiboot 0.6.96 §3.3). */
struct __packed mb1_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
};

struct __packed mb1_module {
	uint32_t mod_start, mod_end, string, reserved;
};

struct __packed mb1_mmap_entry {
	uint32_t size; /* of the rest of the entry */
	uint64_t base, len;
	uint32_t type;
};

struct __packed mb2_tag {
	uint32_t type, size;
};

struct __packed mb2_mmap_entry {
	uint64_t base, len;
	uint32_t type, reserved;
};

#define MB_STRING_MAX 4096

static void boot_info_init(struct boot_info *bi, uint32_t source)
{
	bh_memset(bi, 0, sizeof(*bi));
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->source = source;
}

/* Copy a NUL-terminated string from physical memory into dst, reading one
 * bounded chunk; an unterminated string is cut and flagged. */
static void copy_pstring(struct boot_info *bi, char *dst, size_t size, uint64_t pa,
			 phys_reader rd, void *ctx)
{
	dst[0] = '\0';
	if (!pa)
		return;
	for (size_t i = 0; i < size; i++) {
		const char *c = rd(ctx, pa + i, 1);
		if (!c) {
			dst[i] = '\0';
			return;
		}
		dst[i] = *c;
		if (!*c)
			return;
	}
	dst[size - 1] = '\0';
	bi->flags |= BOOT_INFO_F_CMDLINE_CUT;
}

static void add_mem(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
	if (len == 0)
		return;
	if (base + len < base) {
		pr_warn("boot: memory map entry %#lx+%#lx wraps around; ignored", base, len);
		bi->flags |= BOOT_INFO_F_MEM_TRUNCATED;
		return;
	}
	if (type < BOOT_MEM_USABLE || type > BOOT_MEM_BAD)
		type = BOOT_MEM_RESERVED;
	if (bi->nr_mem == BOOT_MAX_MEM_RANGES) {
		bi->dropped_mem++;
		return;
	}
	bi->mem[bi->nr_mem++] = (struct boot_mem_range){ base, len, type, 0 };
}

static void add_module(struct boot_info *bi, uint64_t start, uint64_t end, uint64_t str_pa,
		       const char *str, phys_reader rd, void *ctx)
{
	if (end <= start) {
		pr_warn("boot: module %u has end %#lx not after start %#lx; ignored",
			bi->nr_modules + bi->dropped_modules, end, start);
		bi->dropped_modules++;
		return;
	}
	if (bi->nr_modules == BOOT_MAX_MODULES) {
		pr_warn("boot: more than %u modules; module at %#lx ignored", BOOT_MAX_MODULES, start);
		bi->dropped_modules++;
		return;
	}
	struct boot_module *m = &bi->modules[bi->nr_modules++];
	m->start = start;
	m->end = end;
	if (str)
		bh_strlcpy(m->cmdline, str, sizeof(m->cmdline));
	else
		copy_pstring(bi, m->cmdline, sizeof(m->cmdline), str_pa, rd, ctx);
}

bool multiboot1_parse(struct boot_info *bi, uint64_t info_pa, phys_reader rd, void *ctx)
{
	boot_info_init(bi, BOOT_SRC_MULTIBOOT1);
	const struct mb1_info *info = rd(ctx, info_pa, sizeof(*info));
	if (!info) {
		pr_err("boot: Multiboot1 information at %#lx is not readable", info_pa);
		return false;
	}
	if (info->flags & MB1_INFO_CMDLINE)
		copy_pstring(bi, bi->cmdline, sizeof(bi->cmdline), info->cmdline, rd, ctx);
	if (info->flags & MB1_INFO_LOADER_NAME)
		copy_pstring(bi, bi->loader_name, sizeof(bi->loader_name), info->boot_loader_name, rd, ctx);

	if (info->flags & MB1_INFO_MMAP) {
		uint64_t pa = info->mmap_addr, end = pa + info->mmap_length;
		while (pa + sizeof(struct mb1_mmap_entry) <= end) {
			const struct mb1_mmap_entry *e = rd(ctx, pa, sizeof(*e));
			if (!e || e->size < 20) {
				pr_warn("boot: Multiboot1 memory map entry at %#lx is malformed; map cut there", pa);
				bi->flags |= BOOT_INFO_F_MEM_TRUNCATED;
				break;
			}
			add_mem(bi, e->base, e->len, e->type);
			pa += (uint64_t)e->size + 4;
		}
	} else if (info->flags & MB1_INFO_MEM) {
		/* Only the two legacy sizes: low memory and memory above 1 MiB. */
		add_mem(bi, 0, (uint64_t)info->mem_lower << 10, BOOT_MEM_USABLE);
		add_mem(bi, MiB(1), (uint64_t)info->mem_upper << 10, BOOT_MEM_USABLE);
	}

	if (info->flags & MB1_INFO_MODS) {
		for (uint32_t i = 0; i < info->mods_count && i < 64; i++) {
			const struct mb1_module *m = rd(ctx, info->mods_addr + (uint64_t)i * sizeof(*m), sizeof(*m));
			if (!m) {
				pr_warn("boot: Multiboot1 module list unreadable at entry %u", i);
				break;
			}
			add_module(bi, m->mod_start, m->mod_end, m->string, NULL, rd, ctx);
		}
	}
	if (bi->nr_mem == 0) {
		pr_err("boot: the loader gave no memory map");
		return false;
	}
	return true;
}

static void mb2_tag_string(char *dst, size_t size, const struct mb2_tag *t, struct boot_info *bi)
{
	size_t n = t->size - sizeof(*t);
	const char *s = (const char *)(t + 1);
	size_t len = bh_strnlen(s, n);
	if (len >= size) {
		len = size - 1;
		bi->flags |= BOOT_INFO_F_CMDLINE_CUT;
	}
	bh_memcpy(dst, s, len);
	dst[len] = '\0';
}

static void mb2_mmap(struct boot_info *bi, const struct mb2_tag *t)
{
	const uint8_t *p = (const uint8_t *)(t + 1);
	if (t->size < sizeof(*t) + 8) {
		pr_warn("boot: Multiboot2 memory map tag too short; ignored");
		return;
	}
	uint32_t entry_size = *(const uint32_t *)p;
	if (entry_size < sizeof(struct mb2_mmap_entry) || entry_size > 256) {
		pr_warn("boot: Multiboot2 memory map entry size %u is invalid; ignored", entry_size);
		bi->flags |= BOOT_INFO_F_MEM_TRUNCATED;
		return;
	}
	for (uint32_t off = sizeof(*t) + 8; off + entry_size <= t->size; off += entry_size) {
		struct mb2_mmap_entry e;
		bh_memcpy(&e, (const uint8_t *)t + off, sizeof(e));
		add_mem(bi, e.base, e.len, e.type);
	}
}

static void mb2_module(struct boot_info *bi, const struct mb2_tag *t)
{
	if (t->size < sizeof(*t) + 8) {
		pr_warn("boot: Multiboot2 module tag too short; ignored");
		bi->dropped_modules++;
		return;
	}
	const uint32_t *w = (const uint32_t *)(t + 1);
	char str[BOOT_MODULE_CMDLINE_MAX];
	size_t n = t->size - sizeof(*t) - 8;
	size_t len = bh_strnlen((const char *)(w + 2), n);
	if (len >= sizeof(str))
		len = sizeof(str) - 1;
	bh_memcpy(str, w + 2, len);
	str[len] = '\0';
	add_module(bi, w[0], w[1], 0, str, NULL, NULL);
}

static void mb2_rsdp(struct boot_info *bi, const struct mb2_tag *t, uint64_t tag_pa)
{
	uint32_t len = t->size - sizeof(*t);
	if (len > sizeof(bi->rsdp_copy))
		len = sizeof(bi->rsdp_copy);
	/* Prefer the ACPI 2.0+ RSDP if both tags are present. */
	if (bi->rsdp_len > 20 && t->type == MB2_TAG_ACPI_OLD)
		return;
	bh_memcpy(bi->rsdp_copy, t + 1, len);
	bi->rsdp_len = len;
	bi->acpi_rsdp = tag_pa + sizeof(*t);
}

bool multiboot2_parse(struct boot_info *bi, uint64_t info_pa, phys_reader rd, void *ctx)
{
	boot_info_init(bi, BOOT_SRC_MULTIBOOT2);
	const uint32_t *hdr = rd(ctx, info_pa, 8);
	if (!hdr || hdr[0] < 16 || hdr[0] > MB2_INFO_MAX_SIZE) {
		pr_err("boot: Multiboot2 information at %#lx is unreadable or has a bad size", info_pa);
		return false;
	}
	uint32_t total = hdr[0];
	const uint8_t *base = rd(ctx, info_pa, total);
	if (!base) {
		pr_err("boot: Multiboot2 information (%u bytes) is not readable", total);
		return false;
	}
	uint32_t off = 8;
	bool ended = false;
	while (off + sizeof(struct mb2_tag) <= total) {
		const struct mb2_tag *t = (const struct mb2_tag *)(base + off);
		if (t->size < sizeof(*t) || t->size > total - off) {
			pr_warn("boot: Multiboot2 tag %u at offset %u has bad size %u; rest ignored",
				t->type, off, t->size);
			break;
		}
		switch (t->type) {
		case MB2_TAG_END:
			ended = true;
			break;
		case MB2_TAG_CMDLINE:
			mb2_tag_string(bi->cmdline, sizeof(bi->cmdline), t, bi);
			break;
		case MB2_TAG_LOADER_NAME:
			mb2_tag_string(bi->loader_name, sizeof(bi->loader_name), t, bi);
			break;
		case MB2_TAG_MODULE:
			mb2_module(bi, t);
			break;
		case MB2_TAG_MMAP:
			mb2_mmap(bi, t);
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			mb2_rsdp(bi, t, info_pa + off);
			break;
		case MB2_TAG_EFI64:
			if (t->size >= sizeof(*t) + 8)
				bh_memcpy(&bi->efi_system_table, t + 1, 8);
			break;
		default:
			break;
		}
		if (ended)
			break;
		off += ALIGN_UP(t->size, 8u);
	}
	if (!ended)
		pr_warn("boot: Multiboot2 information has no end tag");
	if (bi->nr_mem == 0) {
		pr_err("boot: the loader gave no memory map");
		return false;
	}
	return true;
}
