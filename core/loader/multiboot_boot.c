/* SPDX-License-Identifier: BSD-2-Clause */
/* Multiboot 1 kernels as partitions (Multiboot Specification 0.6.96). Layout
 * and entry state are described in multiboot_boot.h. */
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/loader/elf.h"
#include "core/loader/multiboot_boot.h"

/* The boot GDT: null, unused, 0x10 flat data, 0x18 flat 32-bit code (the
 * selectors vcpu_sregs_for_mode gives protected mode). */
static const uint64_t mb1_gdt[] = {
	0, 0, 0x00cf93000000ffffULL, /* 0x10: flat data, accessed */
	0x00cf9b000000ffffULL,       /* 0x18: 32-bit flat code, accessed */
};

#define WHY(...)                                         \
	do {                                             \
		bh_snprintf(why, why_size, __VA_ARGS__); \
		return false;                            \
	} while (0)

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	bh_memcpy(&v, p, sizeof(v));
	return v;
}

static void put32(const struct gmem *m, gpa_t gpa, uint32_t v)
{
	gmem_write(m, gpa, &v, sizeof(v));
}

/* §3.1.3: with the kludge, the file from header_offset - (header_addr -
 * load_addr) up to load_end_addr (0: the end of the file) is loaded at
 * load_addr, then zeroed up to bss_end_addr (0: no bss). */
static bool check_kludge(const struct mb1_header *h, uint64_t size, char *why, size_t why_size)
{
	if (h->offset + MB1_HEADER_ADDR_SIZE > size)
		WHY("multiboot: the a.out kludge's address fields run past the end of the image");
	if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > h->offset)
		WHY("multiboot: header_addr %#x lies before load_addr %#x or before the file's start",
		    h->header_addr, h->load_addr);
	uint64_t file_off = h->offset - (h->header_addr - h->load_addr);
	if (h->load_end_addr) {
		if (h->load_end_addr <= h->load_addr)
			WHY("multiboot: load_end_addr %#x is not above load_addr %#x",
			    h->load_end_addr, h->load_addr);
		if ((uint64_t)h->load_end_addr - h->load_addr > size - file_off)
			WHY("multiboot: load_end_addr %#x asks for more than the image holds",
			    h->load_end_addr);
	}
	uint64_t load_end = h->load_end_addr ? h->load_end_addr : h->load_addr + (size - file_off);
	if (h->bss_end_addr && h->bss_end_addr < load_end)
		WHY("multiboot: bss_end_addr %#x lies below the end of the loaded data %#lx",
		    h->bss_end_addr, load_end);
	uint64_t end = h->bss_end_addr ? h->bss_end_addr : load_end;
	if (h->entry_addr < h->load_addr || h->entry_addr >= end)
		WHY("multiboot: entry_addr %#x lies outside the loaded image [%#x, %#lx)",
		    h->entry_addr, h->load_addr, end);
	return true;
}

static bool check_header(const uint8_t *b, uint64_t off, uint64_t size, struct mb1_header *h,
			 char *why, size_t why_size)
{
	uint32_t flags = get32(b + off + 4);
	uint32_t unknown = flags & MB1_HF_REQUIRED_MASK & ~MB1_HF_SUPPORTED_REQUIRED;

	bh_memset(h, 0, sizeof(*h));
	h->offset = off;
	h->flags = flags;
	if (unknown & MB1_HF_VIDEO_MODE)
		WHY("multiboot: the header asks for a video mode (flags bit 2): partitions have no video");
	if (unknown)
		WHY("multiboot: the header requires features this loader lacks (flags %#x, unknown required bits %#x)",
		    flags, unknown);
	if (!(flags & MB1_HF_AOUT_KLUDGE))
		return true;
	if (off + MB1_HEADER_ADDR_SIZE > size)
		WHY("multiboot: the a.out kludge's address fields run past the end of the image");
	h->header_addr = get32(b + off + 12);
	h->load_addr = get32(b + off + 16);
	h->load_end_addr = get32(b + off + 20);
	h->bss_end_addr = get32(b + off + 24);
	h->entry_addr = get32(b + off + 28);
	return check_kludge(h, size, why, why_size);
}

bool mb1_find_header(const void *img, uint64_t size, struct mb1_header *out, char *why,
		     size_t why_size)
{
	const uint8_t *b = img;
	uint64_t limit = MIN(size, (uint64_t)MB1_SEARCH_LIMIT);
	bool bad_checksum = false;

	for (uint64_t off = 0; off + MB1_HEADER_MIN_SIZE <= limit; off += MB1_HEADER_ALIGN) {
		if (get32(b + off) != MB1_HEADER_MAGIC)
			continue;
		uint32_t sum = MB1_HEADER_MAGIC + get32(b + off + 4) + get32(b + off + 8);
		if (sum != 0) {
			bad_checksum = true; /* a stray magic word: look further */
			continue;
		}
		return check_header(b, off, size, out, why, why_size);
	}
	if (bad_checksum)
		WHY("multiboot: the header's checksum is wrong (magic + flags + checksum must be 0)");
	WHY("multiboot: no Multiboot header (magic 0x1BADB002) in the first %u bytes",
	    MB1_SEARCH_LIMIT);
}

unsigned int mb1_memory_map(uint64_t ram_size, struct mb1_mmap *out)
{
	unsigned int n = 0;
	out[n++] = (struct mb1_mmap){ 0, MB1_LOW_RAM_END, MB1_MEM_AVAILABLE };
	out[n++] = (struct mb1_mmap){ MB1_LOW_RAM_END, 0xa0000 - MB1_LOW_RAM_END, MB1_MEM_RESERVED };
	/* The BIOS area: the ACPI tables (RSDP, MADT, ...) live here. */
	out[n++] = (struct mb1_mmap){ 0xe0000, MB1_HIGH_RAM - 0xe0000, MB1_MEM_RESERVED };
	if (ram_size > MB1_HIGH_RAM)
		out[n++] = (struct mb1_mmap){ MB1_HIGH_RAM, ram_size - MB1_HIGH_RAM,
					      MB1_MEM_AVAILABLE };
	return n;
}

/* Guest RAM as the kernel's segments may use it: RAM without the loader's
 * area and without the reserved hole [0x9fc00, 1 MiB). A segment must lie
 * inside one of these regions (gmem_ptr), so it can touch neither. */
static bool kernel_view(const struct gmem *mem, uint64_t ram_size, struct gmem *view)
{
	uint8_t *base = gmem_ptr(mem, 0, ram_size);
	bh_memset(view, 0, sizeof(*view));
	return base && gmem_add_region(view, 0, MB1_AREA_START, base) &&
	       gmem_add_region(view, MB1_AREA_END, MB1_LOW_RAM_END - MB1_AREA_END,
			       base + MB1_AREA_END) &&
	       gmem_add_region(view, MB1_HIGH_RAM, ram_size - MB1_HIGH_RAM, base + MB1_HIGH_RAM);
}

static bool load_kludge(const uint8_t *img, uint64_t size, const struct mb1_header *h,
			const struct gmem *view, struct mb1_layout *out, char *why, size_t why_size)
{
	uint64_t file_off = h->offset - (h->header_addr - h->load_addr);
	uint64_t load_len = h->load_end_addr ? (uint64_t)h->load_end_addr - h->load_addr
					     : size - file_off;
	uint64_t end = h->bss_end_addr ? h->bss_end_addr : h->load_addr + load_len;
	uint8_t *dst = end > h->load_addr ? gmem_ptr(view, h->load_addr, end - h->load_addr) : NULL;

	if (!dst)
		WHY("multiboot: the image [%#x, %#lx) lies outside RAM, in the loader's area "
		    "[%#llx, %#llx) or in the reserved hole below 1 MiB",
		    h->load_addr, end, MB1_AREA_START, MB1_AREA_END);
	bh_memcpy(dst, img + file_off, load_len);
	bh_memset(dst + load_len, 0, end - h->load_addr - load_len);
	out->aout_kludge = true;
	out->entry = h->entry_addr;
	out->kernel_lo = h->load_addr;
	out->kernel_hi = end;
	return true;
}

static bool load_elf(const uint8_t *img, uint64_t size, const struct gmem *view,
		     struct mb1_layout *out, char *why, size_t why_size)
{
	struct elf_info ei;
	const char *reason = NULL;

	if (!elf_is_elf(img, size))
		WHY("multiboot: not an ELF image and the header has no address fields (flags bit 16)");
	if (!elf_load(img, size, view, &ei, &reason))
		WHY("multiboot: %s%s", reason,
		    bh_strstr(reason, "RAM") ? " (or touches the loader's area or the hole below 1 MiB)"
					     : "");
	/* An ELF64 kernel is entered in 32-bit mode too (its entry must be
	 * 32-bit code); everything lies below 4 GiB as RAM does. */
	out->elf64 = ei.is64;
	out->entry = (uint32_t)ei.entry;
	out->kernel_lo = ei.lowest;
	out->kernel_hi = ei.highest;
	return true;
}

static gpa_t align_page(gpa_t a)
{
	return (a + PAGE_SIZE - 1) & ~(gpa_t)(PAGE_SIZE - 1);
}

/* §3.1.2 bit 0 asks for page-aligned modules; they always are. They follow
 * the kernel (or 1 MiB if the kernel lies below it). */
static bool place_modules(const struct mb1_load_params *p, struct mb1_layout *out, char *why,
			  size_t why_size)
{
	gpa_t at = align_page(MAX(out->kernel_hi, MB1_HIGH_RAM));

	if (p->nr_modules > MB1_MAX_MODULES)
		WHY("multiboot: %u modules, at most %u", p->nr_modules, MB1_MAX_MODULES);
	for (unsigned int i = 0; i < p->nr_modules; i++) {
		const struct mb1_module *m = &p->modules[i];
		const char *s = m->string ? m->string : "";
		if (bh_strlen(s) >= MB1_MOD_STRING_AREA)
			WHY("multiboot: module %u's string is longer than %llu bytes", i,
			    MB1_MOD_STRING_AREA - 1);
		if (m->size > p->ram_size || at > p->ram_size - m->size)
			WHY("multiboot: module %u (%lu KiB) does not fit in RAM after the kernel and "
			    "the modules before it",
			    i, m->size >> 10);
		out->module_start[i] = at;
		out->module_size[i] = m->size;
		at = align_page(at + m->size);
	}
	for (unsigned int i = 0; i < p->nr_modules; i++)
		if (p->modules[i].size)
			gmem_write(p->mem, out->module_start[i], p->modules[i].data,
				   p->modules[i].size);
	out->nr_modules = p->nr_modules;
	return true;
}

static void write_string(const struct gmem *m, gpa_t gpa, const char *s)
{
	gmem_write(m, gpa, s, bh_strlen(s) + 1);
}

/* §3.3: the information structure and what it points to, all inside the
 * loader's area. */
static void write_info(const struct mb1_load_params *p, struct mb1_layout *l)
{
	const struct gmem *m = p->mem;
	uint8_t zero[MB1_INFO_SIZE] = { 0 };
	uint64_t upper = MIN(p->ram_size, (uint64_t)MB1_RAM_MAX) - MB1_HIGH_RAM;

	gmem_write(m, MB1_INFO_GPA, zero, sizeof(zero));
	l->info = MB1_INFO_GPA;
	l->mem_lower = MB1_LOW_RAM_END >> 10;
	l->mem_upper = (uint32_t)(upper >> 10);
	put32(m, MB1_INFO_GPA + MB1_INFO_MEM_LOWER, l->mem_lower);
	put32(m, MB1_INFO_GPA + MB1_INFO_MEM_UPPER, l->mem_upper);

	l->mmap_entries = mb1_memory_map(p->ram_size, l->mmap);
	for (unsigned int i = 0; i < l->mmap_entries; i++) {
		gpa_t e = MB1_MMAP_GPA + i * MB1_MMAP_ENTRY_SIZE;
		put32(m, e, MB1_MMAP_ENTRY_SIZE_FIELD);
		gmem_write(m, e + 4, &l->mmap[i].addr, 8);
		gmem_write(m, e + 12, &l->mmap[i].len, 8);
		put32(m, e + 20, l->mmap[i].type);
	}
	put32(m, MB1_INFO_GPA + MB1_INFO_MMAP_LENGTH, l->mmap_entries * MB1_MMAP_ENTRY_SIZE);
	put32(m, MB1_INFO_GPA + MB1_INFO_MMAP_ADDR, MB1_MMAP_GPA);

	write_string(m, MB1_CMDLINE_GPA, p->cmdline ? p->cmdline : "");
	put32(m, MB1_INFO_GPA + MB1_INFO_CMDLINE_ADDR, MB1_CMDLINE_GPA);
	write_string(m, MB1_LOADER_NAME_GPA, MB1_LOADER_NAME);
	put32(m, MB1_INFO_GPA + MB1_INFO_LOADER_NAME_ADDR, MB1_LOADER_NAME_GPA);

	for (unsigned int i = 0; i < l->nr_modules; i++) {
		gpa_t e = MB1_MODS_GPA + i * MB1_MODULE_ENTRY_SIZE;
		gpa_t str = MB1_MOD_STRINGS_GPA + i * MB1_MOD_STRING_AREA;
		write_string(m, str, p->modules[i].string ? p->modules[i].string : "");
		put32(m, e, (uint32_t)l->module_start[i]);
		put32(m, e + 4, (uint32_t)(l->module_start[i] + l->module_size[i]));
		put32(m, e + 8, (uint32_t)str);
		put32(m, e + 12, 0);
	}
	put32(m, MB1_INFO_GPA + MB1_INFO_MODS_COUNT, l->nr_modules);
	put32(m, MB1_INFO_GPA + MB1_INFO_MODS_ADDR, MB1_MODS_GPA);

	put32(m, MB1_INFO_GPA + MB1_INFO_FLAGS,
	      MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MEM_MAP |
			      MB1_INFO_LOADER_NAME);
	gmem_write(m, MB1_GDT_GPA, mb1_gdt, sizeof(mb1_gdt));
}

bool mb1_load(const void *image, uint64_t size, const struct mb1_load_params *p,
	      struct mb1_layout *out, char *why, size_t why_size)
{
	const uint8_t *img = image;
	struct mb1_header h;
	struct gmem view;

	bh_memset(out, 0, sizeof(*out));
	if (p->ram_size < MB1_HIGH_RAM + MiB(1) || p->ram_size > MB1_RAM_MAX)
		WHY("multiboot: a Multiboot partition needs 2 MiB to %lu MiB of RAM",
		    (uint64_t)MB1_RAM_MAX >> 20);
	if (p->cmdline && bh_strlen(p->cmdline) >= MB1_CMDLINE_AREA)
		WHY("multiboot: the command line is longer than %llu bytes", MB1_CMDLINE_AREA - 1);
	if (!kernel_view(p->mem, p->ram_size, &view))
		WHY("multiboot: guest RAM is not one region from 0");
	if (!mb1_find_header(img, size, &h, why, why_size))
		return false;
	if (h.flags & MB1_HF_AOUT_KLUDGE ? !load_kludge(img, size, &h, &view, out, why, why_size)
					 : !load_elf(img, size, &view, out, why, why_size))
		return false;
	if (!place_modules(p, out, why, why_size))
		return false;
	write_info(p, out);
	return true;
}

void mb1_entry_state(const struct mb1_layout *l, struct vcpu_sregs *s, uint64_t gpr[GPR_COUNT],
		     uint64_t *rip, uint64_t *rflags)
{
	vcpu_sregs_for_mode(s, VCPU_MODE_PROT32, 0);
	s->gdtr.base = MB1_GDT_GPA;
	s->gdtr.limit = sizeof(mb1_gdt) - 1;
	bh_memset(gpr, 0, GPR_COUNT * sizeof(gpr[0]));
	gpr[GPR_RAX] = MB1_BOOT_MAGIC;
	gpr[GPR_RBX] = l->info;
	gpr[GPR_RSP] = MB1_STACK_TOP;
	*rip = l->entry;
	*rflags = BIT(1); /* reserved bit 1 set; IF and VM clear (§3.2) */
}
