/* SPDX-License-Identifier: BSD-2-Clause */
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
	uint32_t apm_table;
	uint32_t vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	uint64_t framebuffer_addr; /* valid with MB1_INFO_FRAMEBUFFER */
	uint32_t framebuffer_pitch, framebuffer_width, framebuffer_height;
	uint8_t framebuffer_bpp, framebuffer_type;
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
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

/* Multiboot2 framebuffer info tag (§3.6.12) after its type and size. The
 * reserved field is 16 bits as GRUB writes it (the text says 8). */
struct __packed mb2_framebuffer {
	uint64_t addr;
	uint32_t pitch, width, height;
	uint8_t bpp, type;
	uint16_t reserved;
	uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct __packed mb2_mmap_entry {
	uint64_t base, len;
	uint32_t type, reserved;
};

/* Module list entries read from a Multiboot1 block at most: the list is
 * loader-supplied and its count is not to be trusted. */
#define MB1_MAX_MODULE_ENTRIES 64

/* Smallest RSDP: the ACPI 1.0 structure (ACPI 6.4 §5.2.5.3). */
#define RSDP_V1_LEN 20

enum module_result { MODULE_ADDED, MODULE_MALFORMED, MODULE_NO_ROOM };

/* The information block need not be 4-byte aligned for the host pointer
 * the reader returns, so fields are loaded byte-wise. */
static uint32_t load_u32(const void *p)
{
	uint32_t v;
	bh_memcpy(&v, p, sizeof(v));
	return v;
}

static void boot_info_init(struct boot_info *bi, uint32_t source)
{
	bh_memset(bi, 0, sizeof(*bi));
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->source = source;
}

/* Copy a NUL-terminated string from physical memory into dst, reading one
 * bounded chunk; an unterminated string is cut and flagged. */
static void copy_pstring(struct boot_info *bi, char *dst, size_t size, uint64_t pa, phys_reader rd,
			 void *ctx)
{
	dst[0] = '\0';
	if (!pa)
		return;
	for (size_t i = 0; i < size; i++) {
		const char *c = rd(ctx, pa + i, 1);
		if (!c) {
			pr_warn("boot: string at %#lx is not readable after %zu bytes; cut there",
				pa, i);
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

/* A module that does not fit is counted but not logged here: the caller
 * reports all of them in one line (report_no_room). */
static enum module_result add_module(struct boot_info *bi, uint64_t start, uint64_t end,
				     uint64_t str_pa, const char *str, phys_reader rd, void *ctx)
{
	if (end <= start) {
		pr_warn("boot: module %u has end %#lx not after start %#lx; ignored",
			bi->nr_modules + bi->dropped_modules, end, start);
		bi->dropped_modules++;
		return MODULE_MALFORMED;
	}
	if (bi->nr_modules == BOOT_MAX_MODULES) {
		bi->dropped_modules++;
		return MODULE_NO_ROOM;
	}
	struct boot_module *m = &bi->modules[bi->nr_modules++];
	m->start = start;
	m->end = end;
	if (str)
		bh_strlcpy(m->cmdline, str, sizeof(m->cmdline));
	else
		copy_pstring(bi, m->cmdline, sizeof(m->cmdline), str_pa, rd, ctx);
	return MODULE_ADDED;
}

/* The screen a Multiboot loader describes (both versions use the same
 * fields): EGA text, or direct RGB with 8-bit channels in 32-bit pixels;
 * anything else (palettes, 16 or 24 bits per pixel) is not drawn on. */
static void set_framebuffer(struct boot_info *bi, uint64_t addr, uint32_t pitch, uint32_t width,
			    uint32_t height, uint8_t bpp, uint8_t type, const uint8_t *rgb)
{
	struct boot_fb *fb = &bi->fb;
	if (!addr || !width || !height)
		return;
	if (type == MB_FB_TYPE_EGA_TEXT) {
		*fb = (struct boot_fb){ .addr = addr,
					.type = BOOT_FB_VGA_TEXT,
					.width = width,
					.height = height,
					.pitch = pitch };
		return;
	}
	if (type != MB_FB_TYPE_RGB || bpp != 32 || rgb[1] != 8 || rgb[3] != 8 || rgb[5] != 8 ||
	    pitch < width * 4ULL) {
		pr_warn("boot: the loader's %ux%u framebuffer (type %u, %u bits per pixel) is not one the "
			"screen console can draw on",
			width, height, type, bpp);
		return;
	}
	*fb = (struct boot_fb){ .addr = addr,
				.type = BOOT_FB_RGB32,
				.width = width,
				.height = height,
				.pitch = pitch,
				.red_shift = rgb[0],
				.green_shift = rgb[2],
				.blue_shift = rgb[4] };
}

static void report_no_room(uint64_t no_room)
{
	if (no_room)
		pr_warn("boot: more than %u modules; %lu ignored", BOOT_MAX_MODULES, no_room);
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
		copy_pstring(bi, bi->loader_name, sizeof(bi->loader_name), info->boot_loader_name,
			     rd, ctx);

	if (info->flags & MB1_INFO_MMAP) {
		uint64_t pa = info->mmap_addr, end = pa + info->mmap_length;
		while (pa + sizeof(struct mb1_mmap_entry) <= end) {
			const struct mb1_mmap_entry *e = rd(ctx, pa, sizeof(*e));
			if (!e || e->size < 20) {
				pr_warn("boot: Multiboot1 memory map entry at %#lx is malformed; map cut there",
					pa);
				bi->flags |= BOOT_INFO_F_MEM_TRUNCATED;
				break;
			}
			add_mem(bi, e->base, e->len, e->type);
			pa += (uint64_t)e->size + 4;
		}
	}
	/* Without a (usable) map, only the two legacy sizes: low memory and
	 * memory above 1 MiB. */
	if (bi->nr_mem == 0 && (info->flags & MB1_INFO_MEM)) {
		add_mem(bi, 0, (uint64_t)info->mem_lower << 10, BOOT_MEM_USABLE);
		add_mem(bi, MiB(1), (uint64_t)info->mem_upper << 10, BOOT_MEM_USABLE);
	}

	if (info->flags & MB1_INFO_MODS) {
		uint32_t count = info->mods_count, i;
		uint64_t no_room = 0;
		for (i = 0; i < count && i < MB1_MAX_MODULE_ENTRIES; i++) {
			const struct mb1_module *m =
					rd(ctx, info->mods_addr + (uint64_t)i * sizeof(*m),
					   sizeof(*m));
			if (!m) {
				pr_warn("boot: Multiboot1 module list unreadable at entry %u", i);
				break;
			}
			if (add_module(bi, m->mod_start, m->mod_end, m->string, NULL, rd, ctx) ==
			    MODULE_NO_ROOM)
				no_room++;
		}
		if (i == MB1_MAX_MODULE_ENTRIES && count > i) {
			/* Entries beyond the scan limit are not read, only counted. */
			no_room += count - i;
			bi->dropped_modules += count - i;
		}
		report_no_room(no_room);
	}
	if (info->flags & MB1_INFO_FRAMEBUFFER) {
		const uint8_t rgb[6] = { info->red_pos,    info->red_size, info->green_pos,
					 info->green_size, info->blue_pos, info->blue_size };
		set_framebuffer(bi, info->framebuffer_addr, info->framebuffer_pitch,
				info->framebuffer_width, info->framebuffer_height,
				info->framebuffer_bpp, info->framebuffer_type, rgb);
	}
	if (bi->nr_mem == 0) {
		pr_err("boot: the loader gave no memory map");
		return false;
	}
	return true;
}

static void mb2_framebuffer(struct boot_info *bi, const struct mb2_tag *t)
{
	if (t->size < sizeof(*t) + sizeof(struct mb2_framebuffer))
		return; /* an indexed-colour tag is shorter; not drawn on anyway */
	struct mb2_framebuffer f;
	bh_memcpy(&f, t + 1, sizeof(f));
	const uint8_t rgb[6] = { f.red_pos,    f.red_size, f.green_pos,
				 f.green_size, f.blue_pos, f.blue_size };
	set_framebuffer(bi, f.addr, f.pitch, f.width, f.height, f.bpp, f.type, rgb);
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
	uint32_t entry_size = load_u32(p);
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

static enum module_result mb2_module(struct boot_info *bi, const struct mb2_tag *t)
{
	if (t->size < sizeof(*t) + 8) {
		pr_warn("boot: Multiboot2 module tag too short; ignored");
		bi->dropped_modules++;
		return MODULE_MALFORMED;
	}
	/* Multiboot2 §3.6.6: mod_start, mod_end, then the string. */
	const uint8_t *p = (const uint8_t *)(t + 1);
	char str[BOOT_MODULE_CMDLINE_MAX];
	size_t n = t->size - sizeof(*t) - 8;
	size_t len = bh_strnlen((const char *)(p + 8), n);
	if (len >= sizeof(str)) {
		len = sizeof(str) - 1;
		bi->flags |= BOOT_INFO_F_CMDLINE_CUT;
	}
	bh_memcpy(str, p + 8, len);
	str[len] = '\0';
	return add_module(bi, load_u32(p), load_u32(p + 4), 0, str, NULL, NULL);
}

static void mb2_rsdp(struct boot_info *bi, const struct mb2_tag *t, uint64_t tag_pa)
{
	uint32_t len = t->size - sizeof(*t);
	if (len < RSDP_V1_LEN) {
		pr_warn("boot: Multiboot2 ACPI tag holds %u bytes, too short for an RSDP; ignored",
			len);
		return;
	}
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
	const void *hdr = rd(ctx, info_pa, 8);
	uint32_t total = hdr ? load_u32(hdr) : 0;
	if (total < 16 || total > MB2_INFO_MAX_SIZE) {
		pr_err("boot: Multiboot2 information at %#lx is unreadable or has a bad size",
		       info_pa);
		return false;
	}
	const uint8_t *base = rd(ctx, info_pa, total);
	if (!base) {
		pr_err("boot: Multiboot2 information (%u bytes) is not readable", total);
		return false;
	}
	uint32_t off = 8;
	uint64_t no_room = 0;
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
			if (mb2_module(bi, t) == MODULE_NO_ROOM)
				no_room++;
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
		case MB2_TAG_FRAMEBUFFER:
			mb2_framebuffer(bi, t);
			break;
		default:
			break;
		}
		if (ended)
			break;
		off += ALIGN_UP(t->size, 8u);
	}
	report_no_room(no_room);
	if (!ended)
		pr_warn("boot: Multiboot2 information has no end tag");
	if (bi->nr_mem == 0) {
		pr_err("boot: the loader gave no memory map");
		return false;
	}
	return true;
}
