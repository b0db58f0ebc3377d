/* SPDX-License-Identifier: BSD-2-Clause */
/* Guest start-up layout (docs/manifest.md, guests/README.md):
 *
 *   top of RAM - 4 KiB  : GDT (null, 0x08 code64, 0x10 data, 0x18 code32)
 *   top - 28 .. - 4 KiB : PML4, PDPT, 4 page directories: the first 4 GiB
 *                         identity-mapped with 2 MiB pages (long mode only)
 *   below               : the stack (RSP/ESP = top - 32 KiB)
 *
 * Real mode: CS:IP = 0:load, SP = 0x7000. */
#include "core/lib/string.h"
#include "core/loader/elf.h"
#include "core/loader/image.h"
#include "core/log.h"

#define PTE_P BIT(0)
#define PTE_W BIT(1)
#define PTE_PS BIT(7)
#define REAL_MODE_DEFAULT_LOAD 0x7c00
#define REAL_MODE_STACK 0x7000
#define FLAT_DEFAULT_LOAD 0x100000
#define GDT_OFFSET_FROM_TOP PAGE_SIZE
#define TABLES_OFFSET_FROM_TOP (7 * PAGE_SIZE)
#define ACPI_AREA_START 0xe0000ULL
#define ACPI_AREA_END 0x100000ULL

static const uint64_t guest_gdt[] = {
	0, 0x00af9b000000ffffULL, /* 0x08: 64-bit code, accessed */
	0x00cf93000000ffffULL,    /* 0x10: flat data, accessed */
	0x00cf9b000000ffffULL,    /* 0x18: 32-bit flat code, accessed */
};

static bool build_identity_map(struct partition *p, gpa_t base)
{
	/* PML4 at base, PDPT at base+4K, PDs at base+8K..+24K. */
	uint64_t *t = gmem_ptr(&p->mem, base, 6 * PAGE_SIZE);
	if (!t)
		return false;
	bh_memset(t, 0, 6 * PAGE_SIZE);
	t[0] = (base + PAGE_SIZE) | PTE_P | PTE_W;
	uint64_t *pdpt = t + 512, *pd = t + 1024;
	for (unsigned int i = 0; i < 4; i++)
		pdpt[i] = (base + (2 + i) * PAGE_SIZE) | PTE_P | PTE_W;
	for (unsigned int i = 0; i < 4 * 512; i++)
		pd[i] = (uint64_t)i * MiB(2) | PTE_P | PTE_W | PTE_PS;
	return true;
}

static bool refuse(struct partition *p, const char *why)
{
	pr_err("[%s] refused: %s", p->name, why);
	return false;
}

/* acpi=on puts the ACPI tables at [0xE0000, 1 MiB): neither the image nor
 * the loader's own area at the top of RAM may lie there. */
static bool acpi_area_free(struct partition *p, gpa_t lo, gpa_t hi)
{
	if (p->ram_size - LOADER_RESERVED_TOP < ACPI_AREA_END)
		return refuse(p,
			      "key 'acpi=on' needs more than 1 MiB of RAM (the tables live at 0xe0000)");
	if (lo < ACPI_AREA_END && hi > ACPI_AREA_START)
		return refuse(p,
			      "key 'acpi=on': the image overlaps the ACPI tables' area [0xe0000, 1 MiB)");
	return true;
}

bool image_load(struct partition *p, struct vcpu_sregs *s)
{
	const struct manifest_entry *c = &p->cfg;
	struct vcpu *v = p->vcpu[0];
	gpa_t top = p->ram_size;
	enum vcpu_mode mode;
	uint64_t entry;
	gpa_t image_lo, image_hi;

	if (top < MiB(1))
		return refuse(p, "needs at least 1 MiB of RAM");
	if (elf_is_elf(p->image, p->image_size)) {
		struct elf_info ei;
		const char *why = NULL;
		if (c->load != MANIFEST_NO_ADDR)
			return refuse(p, "key 'load' is for flat binaries, not ELF images");
		if (!elf_load(p->image, p->image_size, &p->mem, &ei, &why))
			return refuse(p, why);
		if (ei.highest > top - LOADER_RESERVED_TOP)
			return refuse(p,
				      "the ELF image overlaps the loader's area at the top of RAM");
		mode = c->mode_given ? c->mode : (ei.is64 ? VCPU_MODE_LONG64 : VCPU_MODE_PROT32);
		entry = ei.entry;
		image_lo = ei.lowest;
		image_hi = ei.highest;
	} else {
		if (!c->mode_given)
			return refuse(p, "a flat binary needs mode=real|prot|long");
		mode = c->mode;
		gpa_t load = c->load != MANIFEST_NO_ADDR ? c->load
			     : mode == VCPU_MODE_REAL    ? REAL_MODE_DEFAULT_LOAD
							 : FLAT_DEFAULT_LOAD;
		if (load + p->image_size < load || load + p->image_size > top - LOADER_RESERVED_TOP)
			return refuse(p,
				      "the flat image does not fit in RAM below the loader's area");
		if (mode == VCPU_MODE_REAL && load + p->image_size > MiB(1))
			return refuse(p, "a real-mode image must lie below 1 MiB");
		gmem_write(&p->mem, load, p->image, p->image_size);
		entry = load;
		image_lo = load;
		image_hi = load + p->image_size;
	}
	if (c->entry != MANIFEST_NO_ADDR)
		entry = c->entry;
	if (manifest_acpi_on(c, false) && !acpi_area_free(p, image_lo, image_hi))
		return false;
	if (mode == VCPU_MODE_REAL && entry > 0xffff)
		return refuse(p, "a real-mode entry point must be below 64 KiB (CS is 0)");

	gpa_t tables = top - TABLES_OFFSET_FROM_TOP, gdt = top - GDT_OFFSET_FROM_TOP;
	if (mode == VCPU_MODE_LONG64 && !build_identity_map(p, tables))
		return refuse(p, "no room for the long-mode page tables");
	gmem_write(&p->mem, gdt, guest_gdt, sizeof(guest_gdt));
	vcpu_sregs_for_mode(s, mode, tables);
	if (mode != VCPU_MODE_REAL) {
		s->gdtr.base = gdt;
		s->gdtr.limit = sizeof(guest_gdt) - 1;
	}

	bh_memset(v->gpr, 0, sizeof(v->gpr));
	v->rip = entry;
	v->rflags = BIT(1); /* reserved bit 1 is always set; IF clear */
	v->gpr[GPR_RSP] = mode == VCPU_MODE_REAL ? REAL_MODE_STACK : top - LOADER_RESERVED_TOP;
	return true;
}
