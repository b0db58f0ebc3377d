/* SPDX-License-Identifier: BSD-2-Clause */
/* The Linux/x86 32-bit boot protocol (Documentation/arch/x86/boot.rst) and
 * the zero page (Documentation/arch/x86/zero-page.rst). Layout and entry
 * state are described in linux_boot.h. */
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/loader/linux_boot.h"

/* boot.rst, "The Real-Mode Kernel Header". */
#define BOOT_FLAG_MAGIC 0xaa55
#define HDRS_MAGIC 0x53726448  /* "HdrS" */
#define SHORT_JUMP_OPCODE 0xeb /* jump at 0x200: 0xEB, offset from 0x202 */
#define SETUP_SECTOR_SIZE 512
#define SETUP_SECTS_DEFAULT 4 /* setup_sects 0 means 4 */
#define SETUP_SECTS_MAX 63    /* real-mode code (boot sector + setup) <= 32 KiB */
#define SYSSIZE_UNIT 16       /* syssize counts 16-byte paragraphs */
#define LOADFLAG_LOADED_HIGH BIT(0)
#define LOADFLAG_CAN_USE_HEAP BIT(7)
#define TYPE_OF_LOADER_UNDEFINED 0xff
#define VID_MODE_NORMAL 0xffff /* "vga=normal" */
#define PROTOCOL_RSDP_IN_ZERO_PAGE 0x020e

/* The smallest setup header we accept ends after handover_offset (2.11+). */
#define HDR_END_MIN 0x268
/* The hole in struct boot_params the setup header is copied into. */
#define HDR_HOLE_START 0x1f1
#define HDR_HOLE_END 0x290

#define KERNEL_ALIGNMENT_MAX GiB(1)
#define KERNEL_DEFAULT_ADDR MiB(16) /* when pref_address is unusable */
#define RSDP_V2_SIZE 36             /* ACPI 6.x §5.2.5.3 */
#define ENTRY_LIMIT GiB(4)          /* EIP and the 32-bit pointers */
#define E820_TABLE_MAX 128

/* Setup header (boot.rst), at offset 0x1f1 of the image and of boot_params. */
struct __packed linux_setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
};

struct __packed linux_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* zero-page.rst; only the fields a loader writes are named. */
struct __packed linux_boot_params {
	uint8_t screen_info[0x40];
	uint8_t apm_bios_info[0x14];
	uint8_t pad_054[4];
	uint64_t tboot_addr;
	uint8_t ist_info[0x10];
	uint64_t acpi_rsdp_addr;
	uint8_t pad_078[8];
	uint8_t hd0_info[0x10];
	uint8_t hd1_info[0x10];
	uint8_t sys_desc_table[0x10];
	uint8_t olpc_ofw_header[0x10];
	uint32_t ext_ramdisk_image;
	uint32_t ext_ramdisk_size;
	uint32_t ext_cmd_line_ptr;
	uint8_t pad_0cc[0x13c - 0xcc];
	uint32_t cc_blob_address;
	uint8_t edid_info[0x80];
	uint8_t efi_info[0x20];
	uint32_t alt_mem_k;
	uint32_t scratch;
	uint8_t e820_entries;
	uint8_t eddbuf_entries;
	uint8_t edd_mbr_sig_buf_entries;
	uint8_t kbd_status;
	uint8_t secure_boot;
	uint8_t pad_1ed[2];
	uint8_t sentinel;
	uint8_t pad_1f0;
	struct linux_setup_header hdr;
	uint8_t pad_26c[HDR_HOLE_END - 0x26c];
	uint32_t edd_mbr_sig_buffer[16];
	struct linux_e820_entry e820_table[E820_TABLE_MAX];
	uint8_t pad_cd0[0xd00 - 0xcd0];
	uint8_t eddbuf[0x1ec];
	uint8_t pad_eec[0x1000 - 0xeec];
};

#define HDR_OFF(f) (HDR_HOLE_START + offsetof(struct linux_setup_header, f))
#define BP_OFF(f) offsetof(struct linux_boot_params, f)
STATIC_ASSERT(HDR_OFF(boot_flag) == 0x1fe, "boot_flag");
STATIC_ASSERT(HDR_OFF(header) == 0x202, "header");
STATIC_ASSERT(HDR_OFF(type_of_loader) == 0x210, "type_of_loader");
STATIC_ASSERT(HDR_OFF(code32_start) == 0x214, "code32_start");
STATIC_ASSERT(HDR_OFF(heap_end_ptr) == 0x224, "heap_end_ptr");
STATIC_ASSERT(HDR_OFF(cmd_line_ptr) == 0x228, "cmd_line_ptr");
STATIC_ASSERT(HDR_OFF(kernel_alignment) == 0x230, "kernel_alignment");
STATIC_ASSERT(HDR_OFF(xloadflags) == 0x236, "xloadflags");
STATIC_ASSERT(HDR_OFF(hardware_subarch_data) == 0x240, "hardware_subarch_data");
STATIC_ASSERT(HDR_OFF(pref_address) == 0x258, "pref_address");
STATIC_ASSERT(HDR_OFF(init_size) == 0x260, "init_size");
STATIC_ASSERT(HDR_OFF(kernel_info_offset) == 0x268, "kernel_info_offset");
STATIC_ASSERT(sizeof(struct linux_setup_header) == 0x26c - HDR_HOLE_START, "setup header size");
STATIC_ASSERT(sizeof(struct linux_e820_entry) == 20, "e820 entry");
STATIC_ASSERT(BP_OFF(tboot_addr) == 0x058, "tboot_addr");
STATIC_ASSERT(BP_OFF(acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
STATIC_ASSERT(BP_OFF(ext_ramdisk_image) == 0x0c0, "ext_ramdisk_image");
STATIC_ASSERT(BP_OFF(ext_ramdisk_size) == 0x0c4, "ext_ramdisk_size");
STATIC_ASSERT(BP_OFF(ext_cmd_line_ptr) == 0x0c8, "ext_cmd_line_ptr");
STATIC_ASSERT(BP_OFF(cc_blob_address) == 0x13c, "cc_blob_address");
STATIC_ASSERT(BP_OFF(alt_mem_k) == 0x1e0, "alt_mem_k");
STATIC_ASSERT(BP_OFF(e820_entries) == 0x1e8, "e820_entries");
STATIC_ASSERT(BP_OFF(sentinel) == 0x1ef, "sentinel");
STATIC_ASSERT(BP_OFF(hdr) == HDR_HOLE_START, "hdr");
STATIC_ASSERT(BP_OFF(edd_mbr_sig_buffer) == 0x290, "edd_mbr_sig_buffer");
STATIC_ASSERT(BP_OFF(e820_table) == 0x2d0, "e820_table");
STATIC_ASSERT(BP_OFF(eddbuf) == 0xd00, "eddbuf");
STATIC_ASSERT(sizeof(struct linux_boot_params) == 0x1000, "the zero page is one page");
STATIC_ASSERT(LINUX_E820_MAX <= E820_TABLE_MAX, "e820 table");

/* Segment descriptor fields (SDM Vol. 3A §3.4.5). */
#define DESC_LIMIT_LOW 0xffffULL /* limit 15:0 */
#define DESC_TYPE_SHIFT 40
#define DESC_S BIT(44) /* code or data, not system */
#define DESC_P BIT(47)
#define DESC_LIMIT_HIGH (0xfULL << 48) /* limit 19:16 */
#define DESC_DB BIT(54)                /* 32-bit segment */
#define DESC_G BIT(55)                 /* 4 KiB granularity: 4 GiB limit */
#define DESC_TYPE_CODE_RX_A 0xbULL
#define DESC_TYPE_DATA_RW_A 0x3ULL
#define GDT_ENTRIES 4 /* null, unused 0x08, 0x10 code, 0x18 data */

static uint64_t flat32_descriptor(uint64_t type)
{
	return DESC_LIMIT_LOW | type << DESC_TYPE_SHIFT | DESC_S | DESC_P | DESC_LIMIT_HIGH |
	       DESC_DB | DESC_G;
}

static bool fail(char *why, size_t n, const char *fmt, ...) __printf(3, 4);
static bool fail(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (why && n)
		bh_vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return false;
}

static bool is_power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

static bool overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
	return a_len && b_len && a < b + b_len && b < a + a_len;
}

bool linux_is_bzimage(const void *image, uint64_t size)
{
	struct linux_setup_header h;
	if (!image || size < HDR_HOLE_END)
		return false;
	bh_memcpy(&h, (const uint8_t *)image + HDR_HOLE_START, sizeof(h));
	return h.boot_flag == BOOT_FLAG_MAGIC && h.header == HDRS_MAGIC;
}

static bool check_signature(const struct linux_setup_header *h, const uint8_t *img, char *why,
			    size_t n)
{
	if (h->boot_flag != BOOT_FLAG_MAGIC)
		return fail(why, n, "not a bzImage: no 0xAA55 boot flag at 0x1fe");
	if (h->header != HDRS_MAGIC)
		return fail(why, n, "not a bzImage: no HdrS signature at 0x202");
	if (h->version < LINUX_MIN_PROTOCOL)
		return fail(why, n, "boot protocol %u.%02u too old (need %u.%02u)", h->version >> 8,
			    h->version & 0xff, LINUX_MIN_PROTOCOL >> 8, LINUX_MIN_PROTOCOL & 0xff);
	/* The header ends at 0x202 + the jump's offset byte (boot.rst, 32-bit
	 * Boot Protocol); it has to fit the hole in boot_params. */
	uint64_t end = 0x202 + (uint64_t)img[0x201];
	if (img[0x200] != SHORT_JUMP_OPCODE || end < HDR_END_MIN || end > HDR_HOLE_END)
		return fail(why, n, "setup header length is wrong (jump %02x %02x at 0x200)",
			    img[0x200], img[0x201]);
	if (!(h->loadflags & LOADFLAG_LOADED_HIGH))
		return fail(why, n, "not a bzImage: LOADED_HIGH is clear (a zImage loads at 64 KiB)");
	return true;
}

static bool check_extent(const struct linux_setup_header *h, uint64_t size, struct linux_image *o,
			 char *why, size_t n)
{
	o->setup_sects = h->setup_sects ? h->setup_sects : SETUP_SECTS_DEFAULT;
	if (o->setup_sects > SETUP_SECTS_MAX)
		return fail(why, n, "setup_sects %u exceeds the 32 KiB real-mode limit",
			    o->setup_sects);
	o->pm_offset = (uint64_t)(o->setup_sects + 1) * SETUP_SECTOR_SIZE;
	if (o->pm_offset >= size)
		return fail(why, n,
			    "truncated: the module (%lu bytes) ends inside the %u setup sectors",
			    size, o->setup_sects);
	o->pm_size = size - o->pm_offset;
	uint64_t sys = (uint64_t)h->syssize * SYSSIZE_UNIT;
	if (!sys)
		return fail(why, n, "syssize is 0: no protected-mode kernel");
	/* Loaders (GRUB, QEMU) copy what the file holds and accept a syssize
	 * rounded up to the next paragraph: memtest86+ 6.10's is 8 bytes past
	 * its end. Only what is present is ever copied (pm_size). */
	if (sys > ALIGN_UP(o->pm_size, SYSSIZE_UNIT))
		return fail(why, n,
			    "truncated: protected-mode kernel ends past the module (%lu bytes, %lu present)",
			    sys, o->pm_size);
	return true;
}

static bool check_placement_fields(const struct linux_setup_header *h, struct linux_image *o,
				   char *why, size_t n)
{
	o->relocatable = h->relocatable_kernel != 0;
	o->kernel_alignment = h->kernel_alignment;
	o->min_alignment = h->min_alignment;
	o->pref_address = h->pref_address;
	o->init_size = h->init_size;
	o->initrd_addr_max = h->initrd_addr_max;
	o->cmdline_size = h->cmdline_size;
	o->xloadflags = h->xloadflags;
	o->loadflags = h->loadflags;

	if (!is_power_of_two(o->kernel_alignment) || o->kernel_alignment > KERNEL_ALIGNMENT_MAX)
		return fail(why, n, "kernel_alignment %#x is not a power of two up to 1 GiB",
			    o->kernel_alignment);
	if (o->init_size < o->pm_size)
		return fail(why, n,
			    "init_size %#x is smaller than the protected-mode kernel (%#lx bytes)",
			    o->init_size, o->pm_size);
	if (!o->cmdline_size)
		return fail(why, n, "cmdline_size is 0: the kernel takes no command line");
	/* A non-relocatable kernel moves itself to pref_address whatever we
	 * do: it must not land on the low-memory structures. */
	if (!o->relocatable && (o->pref_address < LINUX_HIGH_RAM || o->pref_address >= ENTRY_LIMIT))
		return fail(why, n,
			    "non-relocatable kernel with pref_address %#lx outside 1 MiB-4 GiB",
			    o->pref_address);
	return true;
}

bool linux_probe(const void *image, uint64_t size, struct linux_image *out, char *why, size_t n)
{
	const uint8_t *img = image;
	struct linux_setup_header h;

	bh_memset(out, 0, sizeof(*out));
	if (!img || size < HDR_HOLE_END)
		return fail(why, n, "not a bzImage: %lu bytes is too small for a setup header", size);
	if (size > LINUX_IMAGE_MAX)
		return fail(why, n, "%lu MiB is too large for a kernel image (limit %lu MiB)",
			    size >> 20, LINUX_IMAGE_MAX >> 20);
	bh_memcpy(&h, img + HDR_HOLE_START, sizeof(h));
	if (!check_signature(&h, img, why, n) || !check_extent(&h, size, out, why, n) ||
	    !check_placement_fields(&h, out, why, n))
		return false;
	out->data = img;
	out->size = size;
	out->version = h.version;
	out->hdr_end = 0x202 + (uint64_t)img[0x201];
	return true;
}

/* ---- layout ------------------------------------------------------------ */

struct span {
	uint64_t base, len;
};

#define PLATFORM_SPANS 2

/* Platform data above 1 MiB that kernel and initrd must not cover: the ACPI
 * tables (whole pages, as the e820 map shows them) and the RSDP. */
static unsigned int platform_spans(const struct linux_load_params *p, struct span *out)
{
	unsigned int nr = 0;
	if (p->acpi_size && p->acpi_base >= LINUX_HIGH_RAM) {
		uint64_t a0 = ALIGN_DOWN(p->acpi_base, PAGE_SIZE);
		uint64_t a1 = ALIGN_UP(p->acpi_base + p->acpi_size, PAGE_SIZE);
		out[nr++] = (struct span){ a0, a1 - a0 };
	}
	if (p->rsdp >= LINUX_HIGH_RAM)
		out[nr++] = (struct span){ p->rsdp, RSDP_V2_SIZE };
	return nr;
}

/* In the BIOS area, or in RAM above 1 MiB: never on the loader's low pages. */
static bool platform_range_ok(const struct linux_load_params *p, uint64_t base, uint64_t len)
{
	return range_within(base, len, LINUX_BIOS_AREA, LINUX_HIGH_RAM - LINUX_BIOS_AREA) ||
	       range_within(base, len, LINUX_HIGH_RAM, p->ram_size - LINUX_HIGH_RAM);
}

static bool check_platform(const struct linux_load_params *p, char *why, size_t n)
{
	if (!p->mem || !IS_ALIGNED(p->ram_size, PAGE_SIZE) || p->ram_size <= LINUX_HIGH_RAM)
		return fail(why, n, "needs more than 1 MiB of page-aligned RAM (have %#lx bytes)",
			    p->ram_size);
	if (!gmem_ptr(p->mem, 0, p->ram_size))
		return fail(why, n, "guest RAM is not one region [0, %#lx)", p->ram_size);
	if (p->acpi_size && !platform_range_ok(p, p->acpi_base, p->acpi_size))
		return fail(why, n,
			    "ACPI tables at %#lx (+%#lx) lie neither in 0xe0000-0xfffff nor in RAM above 1 MiB",
			    p->acpi_base, p->acpi_size);
	if (p->rsdp && !platform_range_ok(p, p->rsdp, RSDP_V2_SIZE))
		return fail(why, n,
			    "RSDP at %#lx lies neither in 0xe0000-0xfffff nor in RAM above 1 MiB",
			    p->rsdp);
	return true;
}

static bool check_cmdline(const struct linux_image *img, const struct linux_load_params *p,
			  struct linux_layout *l, char *why, size_t n)
{
	const char *c = p->cmdline ? p->cmdline : "";
	/* Bounded scan: a missing NUL is caught, not read past. */
	uint64_t len = bh_strnlen(c, LINUX_CMDLINE_AREA);
	if (len > img->cmdline_size)
		return fail(why, n,
			    "command line is %lu bytes, the kernel takes at most %u (cmdline_size)",
			    len, img->cmdline_size);
	if (len >= LINUX_CMDLINE_AREA)
		return fail(why, n, "command line is longer than the loader's %u-byte area",
			    (unsigned int)LINUX_CMDLINE_AREA - 1);
	l->cmdline = LINUX_CMDLINE_GPA;
	l->cmdline_len = len;
	return true;
}

static bool kernel_fits(const struct linux_load_params *p, uint64_t start, uint64_t end)
{
	struct span busy[PLATFORM_SPANS];
	unsigned int nr = platform_spans(p, busy);

	if (start < LINUX_HIGH_RAM || end > p->ram_size || end > ENTRY_LIMIT)
		return false;
	for (unsigned int i = 0; i < nr; i++)
		if (overlaps(start, end - start, busy[i].base, busy[i].len))
			return false;
	return true;
}

/* boot.rst, init_size: the kernel needs init_size bytes from its runtime
 * start (the load address of a relocatable kernel, pref_address otherwise). */
static bool place_kernel(const struct linux_image *img, const struct linux_load_params *p,
			 struct linux_layout *l, char *why, size_t n)
{
	l->kernel_size = img->pm_size;
	if (!img->relocatable) {
		/* A non-relocatable bzImage loads at 1 MiB and moves itself. */
		uint64_t end = MAX(LINUX_HIGH_RAM + img->pm_size, img->pref_address + img->init_size);
		if (!kernel_fits(p, LINUX_HIGH_RAM, end))
			return fail(why, n,
				    "non-relocatable kernel needs %#lx-%#lx (pref_address + init_size): beyond %lu MiB of RAM or on the ACPI tables",
				    img->pref_address, img->pref_address + img->init_size,
				    p->ram_size >> 20);
		l->kernel = LINUX_HIGH_RAM;
		l->reserved_start = LINUX_HIGH_RAM;
		l->reserved_end = end;
		return true;
	}
	uint64_t align = MAX((uint64_t)img->kernel_alignment, PAGE_SIZE);
	uint64_t pref = img->pref_address >= LINUX_HIGH_RAM && img->pref_address < ENTRY_LIMIT
					? img->pref_address
					: KERNEL_DEFAULT_ADDR;
	const uint64_t candidates[] = { ALIGN_UP(pref, align), ALIGN_UP(LINUX_HIGH_RAM, align) };
	for (unsigned int i = 0; i < ARRAY_SIZE(candidates); i++) {
		uint64_t start = candidates[i], end = start + img->init_size;
		if (kernel_fits(p, start, end)) {
			l->kernel = start;
			l->reserved_start = start;
			l->reserved_end = end;
			return true;
		}
	}
	return fail(why, n,
		    "the kernel needs %u MiB (init_size) from %#lx and fits nowhere in %lu MiB of RAM clear of the ACPI tables",
		    (unsigned int)((img->init_size + MiB(1) - 1) >> 20), candidates[0],
		    p->ram_size >> 20);
}

/* As high as possible (boot.rst, "mem=": an initrd belongs near the end of
 * memory), page aligned, wholly below initrd_addr_max, clear of the kernel
 * and of the ACPI tables. */
static bool place_initrd(const struct linux_image *img, const struct linux_load_params *p,
			 struct linux_layout *l, char *why, size_t n)
{
	struct span busy[PLATFORM_SPANS + 1];
	unsigned int nr = platform_spans(p, busy);
	uint64_t size = p->initrd_size;

	if (!p->initrd)
		return true;
	if (!size)
		return fail(why, n, "the initrd module is empty");
	busy[nr++] = (struct span){ l->reserved_start, l->reserved_end - l->reserved_start };
	uint64_t top = MIN(p->ram_size, (uint64_t)img->initrd_addr_max + 1);
	for (unsigned int tries = 0; tries <= nr; tries++) {
		if (top < LINUX_HIGH_RAM || size > top - LINUX_HIGH_RAM)
			break;
		uint64_t at = ALIGN_DOWN(top - size, PAGE_SIZE);
		if (at < LINUX_HIGH_RAM)
			break;
		bool clash = false;
		for (unsigned int i = 0; i < nr; i++) {
			if (overlaps(at, size, busy[i].base, busy[i].len)) {
				top = busy[i].base;
				clash = true;
				break;
			}
		}
		if (!clash) {
			l->initrd = at;
			l->initrd_size = size;
			return true;
		}
	}
	return fail(why, n,
		    "the initrd (%lu KiB) does not fit below %#lx (initrd_addr_max or RAM end) outside the kernel at %#lx-%#lx",
		    size >> 10, MIN(p->ram_size, (uint64_t)img->initrd_addr_max + 1),
		    l->reserved_start, l->reserved_end);
}

static void add_e820(struct linux_layout *l, uint64_t start, uint64_t end, uint32_t type)
{
	if (end <= start || l->e820_entries == LINUX_E820_MAX)
		return;
	l->e820[l->e820_entries++] = (struct linux_e820){ start, end - start, type };
}

/* The partition's map: low RAM, the EBDA kilobyte and the BIOS area
 * reserved, RAM from 1 MiB to the end with the ACPI tables (if they live
 * there) as ACPI reclaimable memory, page aligned outwards. */
static void build_e820(const struct linux_load_params *p, struct linux_layout *l)
{
	add_e820(l, 0, LINUX_LOW_RAM_END, LINUX_E820_RAM);
	add_e820(l, LINUX_LOW_RAM_END, LINUX_EBDA_END, LINUX_E820_RESERVED);
	add_e820(l, LINUX_BIOS_AREA, LINUX_HIGH_RAM, LINUX_E820_RESERVED);
	if (p->acpi_size && p->acpi_base >= LINUX_HIGH_RAM) {
		uint64_t a0 = ALIGN_DOWN(p->acpi_base, PAGE_SIZE);
		uint64_t a1 = MIN(ALIGN_UP(p->acpi_base + p->acpi_size, PAGE_SIZE), p->ram_size);
		add_e820(l, LINUX_HIGH_RAM, a0, LINUX_E820_RAM);
		add_e820(l, a0, a1, LINUX_E820_ACPI);
		add_e820(l, a1, p->ram_size, LINUX_E820_RAM);
	} else {
		add_e820(l, LINUX_HIGH_RAM, p->ram_size, LINUX_E820_RAM);
	}
}

/* ---- writing ------------------------------------------------------------- */

static void fill_boot_params(struct linux_boot_params *bp, const struct linux_image *img,
			     const struct linux_load_params *p, const struct linux_layout *l)
{
	struct linux_setup_header *h = &bp->hdr;

	/* 32-bit Boot Protocol: zero the page, copy the header as the image
	 * has it, then fill in the loader's fields. */
	bh_memset(bp, 0, sizeof(*bp));
	bh_memcpy((uint8_t *)bp + HDR_HOLE_START, img->data + HDR_HOLE_START,
		  img->hdr_end - HDR_HOLE_START);
	h->setup_sects = (uint8_t)img->setup_sects;
	h->vid_mode = VID_MODE_NORMAL;
	h->type_of_loader = TYPE_OF_LOADER_UNDEFINED;
	/* No real-mode setup code runs here, so there is no setup heap:
	 * CAN_USE_HEAP stays clear and heap_end_ptr 0. */
	h->loadflags &= (uint8_t)~LOADFLAG_CAN_USE_HEAP;
	h->heap_end_ptr = 0;
	h->code32_start = (uint32_t)l->kernel;
	h->cmd_line_ptr = (uint32_t)l->cmdline;
	bp->ext_cmd_line_ptr = (uint32_t)(l->cmdline >> 32);
	h->ramdisk_image = (uint32_t)l->initrd;
	h->ramdisk_size = (uint32_t)l->initrd_size;
	bp->ext_ramdisk_image = (uint32_t)(l->initrd >> 32);
	bp->ext_ramdisk_size = (uint32_t)(l->initrd_size >> 32);
	h->setup_data = 0;
	if (img->version >= PROTOCOL_RSDP_IN_ZERO_PAGE)
		bp->acpi_rsdp_addr = p->rsdp;
	/* Memory above 1 MiB in KiB, for kernels that look before the e820. */
	bp->alt_mem_k = (uint32_t)MIN((p->ram_size - LINUX_HIGH_RAM) >> 10, (uint64_t)UINT32_MAX);
	for (unsigned int i = 0; i < l->e820_entries; i++)
		bp->e820_table[i] = (struct linux_e820_entry){ l->e820[i].addr, l->e820[i].size,
							       l->e820[i].type };
	bp->e820_entries = (uint8_t)l->e820_entries;
}

static bool write_all(const struct linux_image *img, const struct linux_load_params *p,
		      const struct linux_layout *l)
{
	const uint64_t gdt[GDT_ENTRIES] = {
		0,
		0,
		flat32_descriptor(DESC_TYPE_CODE_RX_A),
		flat32_descriptor(DESC_TYPE_DATA_RW_A),
	};
	struct linux_boot_params *bp = gmem_ptr(p->mem, l->boot_params, sizeof(*bp));
	static const char nul;

	if (!bp)
		return false;
	fill_boot_params(bp, img, p, l);
	if (l->cmdline_len && !gmem_write(p->mem, l->cmdline, p->cmdline, l->cmdline_len))
		return false;
	return gmem_write(p->mem, l->cmdline + l->cmdline_len, &nul, 1) &&
	       gmem_write(p->mem, l->gdt_base, gdt, sizeof(gdt)) &&
	       gmem_write(p->mem, l->kernel, img->data + img->pm_offset, img->pm_size) &&
	       (!l->initrd_size || gmem_write(p->mem, l->initrd, p->initrd, l->initrd_size));
}

bool linux_load(const struct linux_image *img, const struct linux_load_params *p,
		struct linux_layout *l, char *why, size_t n)
{
	bh_memset(l, 0, sizeof(*l));
	if (!img->data)
		return fail(why, n, "no probed kernel image");
	if (!check_platform(p, why, n) || !check_cmdline(img, p, l, why, n) ||
	    !place_kernel(img, p, l, why, n) || !place_initrd(img, p, l, why, n))
		return false;
	l->boot_params = LINUX_BOOT_PARAMS_GPA;
	l->gdt_base = LINUX_GDT_GPA;
	l->gdt_limit = GDT_ENTRIES * sizeof(uint64_t) - 1;
	build_e820(p, l);
	if (!write_all(img, p, l))
		return fail(why, n, "internal: a write to guest RAM was refused");
	return true;
}

void linux_entry_state(const struct linux_layout *l, struct vcpu_sregs *s, uint64_t gpr[GPR_COUNT],
		       uint64_t *rip, uint64_t *rflags)
{
	vcpu_sregs_for_mode(s, VCPU_MODE_PROT32, 0);
	for (unsigned int i = 0; i < SEG_LDTR; i++)
		s->seg[i].sel = LINUX_BOOT_DS;
	s->seg[SEG_CS].sel = LINUX_BOOT_CS;
	s->gdtr.base = l->gdt_base;
	s->gdtr.limit = l->gdt_limit;
	bh_memset(gpr, 0, GPR_COUNT * sizeof(gpr[0]));
	gpr[GPR_RSI] = l->boot_params;
	/* Not required by the protocol (the kernel's first instructions use
	 * boot_params.scratch as a stack); the free page below boot_params. */
	gpr[GPR_RSP] = l->boot_params;
	*rip = l->kernel;
	*rflags = BIT(1); /* reserved bit 1 set; IF clear */
}
