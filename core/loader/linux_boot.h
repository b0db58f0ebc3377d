/* SPDX-License-Identifier: BSD-2-Clause */
/* The Linux/x86 boot protocol (Documentation/arch/x86/boot.rst, "32-bit Boot
 * Protocol", and zero-page.rst): a bzImage from a boot module is checked
 * (linux_probe), then laid out in guest RAM with its zero page, command line,
 * initrd, e820 map and a boot GDT (linux_load), and the first vCPU is started
 * at the 32-bit entry point (linux_entry_state). Pure code: no logging, every
 * refusal comes back as one reason string the caller prints.
 *
 * Guest-physical layout (RAM starts at 0):
 *
 *   0x07000 - 0x07fff  struct boot_params (the zero page); ESP starts here
 *   0x20000 - 0x20fff  kernel command line (NUL-terminated)
 *   0x9fc00 - 0x9fc1f  boot GDT (inside the reserved kilobyte below 640 KiB)
 *   0xe0000 - 0xfffff  reserved for the platform's BIOS-area tables (RSDP...)
 *   pref_address       the protected-mode kernel (16 MiB for Debian's kernel),
 *                      init_size bytes of it reserved for decompression
 *   top of RAM         the initrd, page aligned, below initrd_addr_max
 */
#ifndef BULKHEAD_CORE_LOADER_LINUX_BOOT_H
#define BULKHEAD_CORE_LOADER_LINUX_BOOT_H

#include "core/exit.h"
#include "core/gmem.h"
#include "core/types.h"
#include "core/vcpu.h"

#define LINUX_BOOT_PARAMS_GPA 0x7000ULL
#define LINUX_CMDLINE_GPA 0x20000ULL
#define LINUX_CMDLINE_AREA 0x1000ULL /* bytes reserved for it, NUL included */
#define LINUX_GDT_GPA 0x9fc00ULL
#define LINUX_LOW_RAM_END 0x9fc00ULL /* e820: usable low memory ends here */
#define LINUX_EBDA_END 0xa0000ULL    /* e820: reserved [0x9fc00, 0xa0000) */
#define LINUX_BIOS_AREA 0xe0000ULL   /* e820: reserved [0xe0000, 1 MiB) */
#define LINUX_HIGH_RAM 0x100000ULL   /* e820: usable again from 1 MiB */

/* Boot protocol 2.12 (xloadflags, 64-bit extension fields) is the oldest we
 * take; Debian 12's 6.1 kernel is 2.15. */
#define LINUX_MIN_PROTOCOL 0x020c
#define LINUX_IMAGE_MAX MiB(512) /* a larger "kernel" is not one */
#define LINUX_WHY_MAX 192        /* room for a reason string */

/* Boot GDT selectors required by boot.rst ("32-bit Boot Protocol"). */
#define LINUX_BOOT_CS 0x10
#define LINUX_BOOT_DS 0x18

/* What linux_probe learnt from the setup header (boot.rst field names). */
struct linux_image {
	const uint8_t *data; /* the whole module */
	uint64_t size;
	uint16_t version;         /* boot protocol, e.g. 0x020f */
	unsigned int setup_sects; /* 0 in the header already replaced by 4 */
	uint64_t pm_offset;       /* file offset of the protected-mode kernel */
	uint64_t pm_size;         /* its size: the rest of the file */
	uint64_t hdr_end;         /* file offset where the setup header ends */
	uint8_t loadflags;
	bool relocatable;
	uint32_t kernel_alignment;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t initrd_addr_max; /* highest byte an initrd may occupy */
	uint32_t cmdline_size;    /* longest command line, NUL not counted */
	uint64_t pref_address;
	uint32_t init_size;
};

/* What the platform gives the loader. */
struct linux_load_params {
	const struct gmem *mem; /* guest RAM: one region [0, ram_size) */
	uint64_t ram_size;
	const void *initrd; /* NULL: no initrd */
	uint64_t initrd_size;
	const char *cmdline; /* NUL-terminated; NULL means "" */
	gpa_t acpi_base;     /* ACPI tables; acpi_size 0: none. Inside */
	uint64_t acpi_size;  /* [0xe0000, 1M) or in RAM above 1 MiB */
	gpa_t rsdp;          /* RSDP address; 0: the kernel scans for it */
};

#define LINUX_E820_MAX 8

struct linux_e820 {
	uint64_t addr, size;
	uint32_t type; /* LINUX_E820_* */
};

#define LINUX_E820_RAM 1
#define LINUX_E820_RESERVED 2
#define LINUX_E820_ACPI 3

/* Where everything went, and how the first vCPU must start. */
struct linux_layout {
	gpa_t kernel;         /* load address = entry point = code32_start */
	uint64_t kernel_size; /* bytes copied there */
	gpa_t reserved_start; /* [start, end): kernel plus its init_size */
	gpa_t reserved_end;
	gpa_t initrd; /* 0 if none */
	uint64_t initrd_size;
	gpa_t boot_params;
	gpa_t cmdline;
	uint64_t cmdline_len; /* without the NUL */
	gpa_t gdt_base;
	uint16_t gdt_limit;
	struct linux_e820 e820[LINUX_E820_MAX];
	unsigned int e820_entries;
};

/* True if the module carries the boot-sector flag and the "HdrS" signature
 * (whatever else is wrong with it): use the Linux loader for it. */
bool linux_is_bzimage(const void *img, uint64_t size);

/* Validate a bzImage. On failure returns false with the reason in why. */
bool linux_probe(const void *img, uint64_t size, struct linux_image *out, char *why, size_t why_size);

/* Lay the probed image out in guest RAM. Everything is checked before the
 * first byte is written, so a refusal leaves guest RAM untouched. */
bool linux_load(const struct linux_image *img, const struct linux_load_params *p,
		struct linux_layout *out, char *why, size_t why_size);

/* The boot.rst 32-bit entry state: protected mode, paging off, CS 0x10,
 * DS/ES/SS/FS/GS 0x18 (flat), the boot GDT loaded, ESI = boot_params,
 * EBX = EBP = EDI = 0, EIP = the kernel, interrupts off. */
void linux_entry_state(const struct linux_layout *l, struct vcpu_sregs *s, uint64_t gpr[GPR_COUNT],
		       uint64_t *rip, uint64_t *rflags);

#endif
