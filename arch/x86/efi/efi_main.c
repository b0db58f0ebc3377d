/* SPDX-License-Identifier: BSD-2-Clause */
/* BOOTX64.EFI: Bulkhead's own UEFI loader (a GNU-EFI application).
 *
 * Reads /bulkhead.cfg from the volume it was started from, loads the
 * hypervisor ELF at its physical addresses and the modules into loader pages
 * below 4 GiB, fills a struct boot_info (arch/x86/boot/bootinfo.h), exits boot
 * services and calls the hypervisor's efi_entry64 with RDI = boot_info.
 *
 * Every failure before ExitBootServices prints one "bulkhead-efi: error: ..."
 * line, frees what was allocated and returns to the firmware (which then
 * tries its next boot option). The firmware-independent steps live in
 * loader_config.c, loader_elf.c and loader_bootinfo.c (unit-tested on the
 * host). Under OVMF, ConOut is mirrored on the serial port, so these lines
 * show up in the integration tests' serial logs. */
#include <efi.h>
#include <efilib.h>

#include "arch/x86/efi/loader_bootinfo.h"
#include "arch/x86/efi/loader_config.h"
#include "arch/x86/efi/loader_elf.h"
#include "core/lib/string.h"

#define CONFIG_PATH "/bulkhead.cfg"
#define MSG L"bulkhead-efi: "
#define ERR L"bulkhead-efi: error: "

/* Modules, boot_info and the memory-map buffer stay below 4 GiB: the
 * hypervisor's early identity map covers only that much. */
#define LOW_MEMORY_LIMIT 0xFFFFFFFFULL
#define MAX_ALLOCATIONS (BOOT_MAX_MODULES + 8)
/* The map grows while we allocate its buffer, and a failed ExitBootServices
 * forbids allocating again (UEFI 2.10 §7.4.6): leave room for growth. */
#define MEMMAP_SLACK_DESCRIPTORS 32
#define EXIT_BOOT_SERVICES_TRIES 8

typedef void (*hv_entry_fn)(struct boot_info *bi) __attribute__((sysv_abi, noreturn));

struct page_alloc {
	EFI_PHYSICAL_ADDRESS base;
	UINTN pages;
};

struct loaded_file {
	EFI_PHYSICAL_ADDRESS base;
	UINT64 size;
};

struct loader {
	EFI_HANDLE image;
	EFI_FILE_HANDLE root;
	struct ldr_config *cfg;
	struct boot_info *bi;
	struct ldr_handoff handoff;
	void *memmap;
	UINTN memmap_cap;
	struct page_alloc allocs[MAX_ALLOCATIONS];
	UINT32 nr_allocs;
};

static UINTN pages_for(UINT64 bytes)
{
	return (UINTN)((bytes + LDR_EFI_PAGE_SIZE - 1) / LDR_EFI_PAGE_SIZE);
}

/* Allocates pages of type EfiLoaderData and remembers them so a failure can
 * give them back. type is AllocateAddress (at *base) or AllocateMaxAddress. */
static EFI_STATUS alloc_pages(struct loader *ld, EFI_ALLOCATE_TYPE type, UINTN pages,
			      EFI_PHYSICAL_ADDRESS *base)
{
	EFI_STATUS st;

	if (ld->nr_allocs >= MAX_ALLOCATIONS)
		return EFI_OUT_OF_RESOURCES;
	st = BS->AllocatePages(type, EfiLoaderData, pages, base);
	if (EFI_ERROR(st))
		return st;
	ld->allocs[ld->nr_allocs].base = *base;
	ld->allocs[ld->nr_allocs].pages = pages;
	ld->nr_allocs++;
	return EFI_SUCCESS;
}

/* Frees the most recent allocation if it is the one at base (temporary buffers). */
static void free_last_pages(struct loader *ld, EFI_PHYSICAL_ADDRESS base)
{
	struct page_alloc *a;

	if (!ld->nr_allocs || ld->allocs[ld->nr_allocs - 1].base != base)
		return;
	a = &ld->allocs[--ld->nr_allocs];
	BS->FreePages(a->base, a->pages);
}

static void release_all(struct loader *ld)
{
	while (ld->nr_allocs)
		free_last_pages(ld, ld->allocs[ld->nr_allocs - 1].base);
	if (ld->memmap)
		FreePool(ld->memmap);
	if (ld->cfg)
		FreePool(ld->cfg);
	if (ld->root)
		ld->root->Close(ld->root);
}

static EFI_STATUS open_root(struct loader *ld)
{
	EFI_LOADED_IMAGE *li;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_STATUS st;

	st = BS->HandleProtocol(ld->image, &gEfiLoadedImageProtocolGuid, (void **)&li);
	if (EFI_ERROR(st)) {
		Print(ERR L"no loaded-image protocol: %r\n", st);
		return st;
	}
	st = BS->HandleProtocol(li->DeviceHandle, &gEfiSimpleFileSystemProtocolGuid, (void **)&fs);
	if (EFI_ERROR(st)) {
		Print(ERR L"the boot device has no file system: %r\n", st);
		return st;
	}
	st = fs->OpenVolume(fs, &ld->root);
	if (EFI_ERROR(st))
		Print(ERR L"cannot open the boot volume: %r\n", st);
	return st;
}

/* "/guests/a.elf" -> L"\\guests\\a.elf" (UEFI file paths use backslashes). */
static void to_efi_path(const char *path, CHAR16 *out, UINTN cap)
{
	UINTN n = 0;

	if (path[0] != '/' && path[0] != '\\')
		out[n++] = L'\\';
	for (; *path && n + 1 < cap; path++)
		out[n++] = *path == '/' ? L'\\' : (CHAR16)*path;
	out[n] = 0;
}

static EFI_STATUS file_size(EFI_FILE_HANDLE f, const char *path, UINT64 *size)
{
	EFI_FILE_INFO *info = LibFileInfo(f);

	if (!info) {
		Print(ERR L"cannot get the size of %a\n", path);
		return EFI_DEVICE_ERROR;
	}
	if (info->Attribute & EFI_FILE_DIRECTORY) {
		FreePool(info);
		Print(ERR L"%a is a directory, not a file\n", path);
		return EFI_INVALID_PARAMETER;
	}
	*size = info->FileSize;
	FreePool(info);
	return EFI_SUCCESS;
}

static EFI_STATUS read_all(EFI_FILE_HANDLE f, const char *path, void *buf, UINT64 size)
{
	UINT8 *p = buf;

	while (size) {
		UINTN chunk = (UINTN)size;
		EFI_STATUS st = f->Read(f, &chunk, p);

		if (EFI_ERROR(st) || chunk == 0) {
			Print(ERR L"reading %a failed: %r\n", path,
			      EFI_ERROR(st) ? st : EFI_END_OF_FILE);
			return EFI_ERROR(st) ? st : EFI_END_OF_FILE;
		}
		p += chunk;
		size -= chunk;
	}
	return EFI_SUCCESS;
}

/* Reads a whole file into fresh loader pages below 4 GiB (at least one page,
 * so even an empty module has an address of its own). */
static EFI_STATUS load_file(struct loader *ld, const char *path, UINT64 max_size,
			    struct loaded_file *out)
{
	CHAR16 wpath[LDR_PATH_MAX + 2];
	EFI_FILE_HANDLE f;
	EFI_STATUS st;

	to_efi_path(path, wpath, ARRAY_SIZE(wpath));
	st = ld->root->Open(ld->root, &f, wpath, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st)) {
		Print(ERR L"cannot open %a: %r\n", path, st);
		return st;
	}
	st = file_size(f, path, &out->size);
	if (!EFI_ERROR(st) && out->size > max_size) {
		Print(ERR L"%a is %ld bytes, more than the %ld allowed\n", path, out->size, max_size);
		st = EFI_BAD_BUFFER_SIZE;
	}
	if (!EFI_ERROR(st)) {
		out->base = LOW_MEMORY_LIMIT;
		st = alloc_pages(ld, AllocateMaxAddress, pages_for(out->size ? out->size : 1),
				 &out->base);
		if (EFI_ERROR(st))
			Print(ERR L"no memory below 4 GiB for %a (%ld bytes): %r\n", path,
			      out->size, st);
	}
	if (!EFI_ERROR(st)) {
		st = read_all(f, path, (void *)(UINTN)out->base, out->size);
		if (EFI_ERROR(st))
			free_last_pages(ld, out->base);
	}
	f->Close(f);
	return st;
}

static EFI_STATUS read_config(struct loader *ld)
{
	struct loaded_file file;
	enum ldr_cfg_error err;
	UINT32 line;
	EFI_STATUS st;

	ld->cfg = AllocatePool(sizeof(*ld->cfg));
	if (!ld->cfg) {
		Print(ERR L"out of memory for the configuration\n");
		return EFI_OUT_OF_RESOURCES;
	}
	st = load_file(ld, CONFIG_PATH, LDR_CONFIG_MAX_BYTES, &file);
	if (EFI_ERROR(st))
		return st;
	err = ldr_config_parse((const char *)(UINTN)file.base, file.size, ld->cfg, &line);
	free_last_pages(ld, file.base);
	if (err != LDR_CFG_OK) {
		Print(ERR CONFIG_PATH L" line %d: %a\n", line, ldr_config_strerror(err));
		return EFI_LOAD_ERROR;
	}
	Print(MSG L"config " CONFIG_PATH L": hypervisor %a, %d module(s)\n", ld->cfg->hv_path,
	      ld->cfg->nr_modules);
	return EFI_SUCCESS;
}

static EFI_STATUS place_hypervisor(struct loader *ld, const struct loaded_file *file)
{
	const void *data = (const void *)(UINTN)file->base;
	const char *path = ld->cfg->hv_path;
	struct ldr_image_span span;
	EFI_PHYSICAL_ADDRESS at;
	enum ldr_elf_error err;
	EFI_STATUS st;

	err = ldr_elf_check(data, file->size, &span);
	if (err != LDR_ELF_OK) {
		Print(ERR L"%a: %a\n", path, ldr_elf_strerror(err));
		return EFI_LOAD_ERROR;
	}
	at = span.lo;
	st = alloc_pages(ld, AllocateAddress, pages_for(span.hi - span.lo), &at);
	if (EFI_ERROR(st)) {
		Print(ERR L"%a needs 0x%lx-0x%lx, which the firmware will not give: %r\n", path,
		      span.lo, span.hi, st);
		return st;
	}
	ldr_elf_place(data, &span, (void *)(UINTN)span.lo);
	err = ldr_find_handoff((const void *)(UINTN)span.lo, &span, &ld->handoff);
	if (err != LDR_ELF_OK) {
		Print(ERR L"%a: %a\n", path, ldr_elf_strerror(err));
		return EFI_LOAD_ERROR;
	}
	Print(MSG L"hypervisor %a at 0x%lx-0x%lx, entry 0x%lx\n", path, span.lo, span.hi,
	      ld->handoff.entry);
	return EFI_SUCCESS;
}

static EFI_STATUS load_hypervisor(struct loader *ld)
{
	struct loaded_file file;
	EFI_STATUS st;

	st = load_file(ld, ld->cfg->hv_path, LDR_IMAGE_MAX_SPAN, &file);
	if (EFI_ERROR(st))
		return st;
	st = place_hypervisor(ld, &file);
	if (EFI_ERROR(st))
		return st; /* release_all frees both */
	/* The file copy is no longer needed; it is not the last allocation, so
	 * free it directly and forget it. */
	for (UINT32 i = 0; i < ld->nr_allocs; i++) {
		if (ld->allocs[i].base != file.base)
			continue;
		BS->FreePages(file.base, ld->allocs[i].pages);
		ld->allocs[i] = ld->allocs[--ld->nr_allocs];
		break;
	}
	return EFI_SUCCESS;
}

static EFI_STATUS alloc_boot_info(struct loader *ld)
{
	EFI_PHYSICAL_ADDRESS at = LOW_MEMORY_LIMIT;
	EFI_STATUS st;

	/* EfiLoaderData: usable for the hypervisor, which copies it first thing. */
	st = alloc_pages(ld, AllocateMaxAddress, pages_for(sizeof(struct boot_info)), &at);
	if (EFI_ERROR(st)) {
		Print(ERR L"no memory for the boot information: %r\n", st);
		return st;
	}
	ld->bi = (struct boot_info *)(UINTN)at;
	ldr_bootinfo_init(ld->bi, ld->cfg->hv_cmdline);
	ld->bi->efi_system_table = (UINT64)(UINTN)ST;
	return EFI_SUCCESS;
}

static EFI_STATUS load_modules(struct loader *ld)
{
	for (UINT32 i = 0; i < ld->cfg->nr_modules; i++) {
		const struct ldr_module_cfg *m = &ld->cfg->modules[i];
		struct loaded_file file;
		EFI_STATUS st;

		st = load_file(ld, m->path, LOW_MEMORY_LIMIT, &file);
		if (EFI_ERROR(st))
			return st;
		ldr_bootinfo_add_module(ld->bi, file.base, file.size, m->cmdline);
		Print(MSG L"module %d %a at 0x%lx (%ld bytes): %a\n", i + 1, m->path, file.base,
		      file.size, m->cmdline);
	}
	return EFI_SUCCESS;
}

static void find_rsdp(struct loader *ld)
{
	static EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	static EFI_GUID acpi10 = ACPI_TABLE_GUID;
	void *v1 = NULL;

	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];

		if (!CompareGuid(&t->VendorGuid, &acpi20)) {
			if (ldr_bootinfo_set_rsdp(ld->bi, t->VendorTable,
						  (UINT64)(UINTN)t->VendorTable)) {
				Print(MSG L"ACPI 2.0 RSDP at 0x%lx\n", ld->bi->acpi_rsdp);
				return;
			}
			Print(MSG L"warning: ACPI 2.0 RSDP at 0x%lx fails its checks, ignored\n",
			      (UINT64)(UINTN)t->VendorTable);
		} else if (!CompareGuid(&t->VendorGuid, &acpi10)) {
			v1 = t->VendorTable;
		}
	}
	if (v1 && ldr_bootinfo_set_rsdp(ld->bi, v1, (UINT64)(UINTN)v1)) {
		Print(MSG L"ACPI 1.0 RSDP at 0x%lx\n", ld->bi->acpi_rsdp);
		return;
	}
	Print(MSG L"warning: no usable ACPI RSDP in the configuration table\n");
}

/* Bit position of an 8-bit channel mask (0xff << n), or -1. */
static int channel_shift(UINT32 mask)
{
	for (int n = 0; n <= 24; n += 8)
		if (mask == (UINT32)0xff << n)
			return n;
	return -1;
}

/* The GOP's framebuffer, for the hypervisor's screen console (UEFI 2.9
 * §12.9: it stays valid after ExitBootServices). 32-bit pixels only. */
static void find_framebuffer(struct loader *ld)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	if (EFI_ERROR(LibLocateProtocol(&GraphicsOutputProtocol, (void **)&gop)) || !gop ||
	    !gop->Mode || !gop->Mode->Info || !gop->Mode->FrameBufferBase) {
		Print(MSG L"no graphics output: the hypervisor prints on the serial port only\n");
		return;
	}
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = gop->Mode->Info;
	int r, g, b;
	switch (info->PixelFormat) {
	case PixelRedGreenBlueReserved8BitPerColor:
		r = 0, g = 8, b = 16;
		break;
	case PixelBlueGreenRedReserved8BitPerColor:
		b = 0, g = 8, r = 16;
		break;
	case PixelBitMask:
		r = channel_shift(info->PixelInformation.RedMask);
		g = channel_shift(info->PixelInformation.GreenMask);
		b = channel_shift(info->PixelInformation.BlueMask);
		break;
	default:
		r = g = b = -1;
		break;
	}
	if (r < 0 || g < 0 || b < 0) {
		Print(MSG L"graphics output has no framebuffer of 32-bit pixels; serial only\n");
		return;
	}
	struct boot_fb *fb = &ld->bi->fb;
	fb->addr = gop->Mode->FrameBufferBase;
	fb->type = BOOT_FB_RGB32;
	fb->width = info->HorizontalResolution;
	fb->height = info->VerticalResolution;
	fb->pitch = info->PixelsPerScanLine * 4;
	fb->red_shift = (UINT8)r, fb->green_shift = (UINT8)g, fb->blue_shift = (UINT8)b;
	Print(MSG L"framebuffer %dx%d at 0x%lx for the screen console\n", fb->width, fb->height,
	      fb->addr);
}

static EFI_STATUS alloc_memmap_buffer(struct loader *ld)
{
	UINTN size = 0, key, desc_size;
	UINT32 desc_version;
	EFI_STATUS st;

	st = BS->GetMemoryMap(&size, NULL, &key, &desc_size, &desc_version);
	if (st != EFI_BUFFER_TOO_SMALL || desc_size < sizeof(struct ldr_efi_mem_desc)) {
		Print(ERR L"GetMemoryMap does not report a size: %r\n", st);
		return EFI_ERROR(st) ? st : EFI_DEVICE_ERROR;
	}
	ld->memmap_cap = size + MEMMAP_SLACK_DESCRIPTORS * desc_size;
	ld->memmap = AllocatePool(ld->memmap_cap);
	if (!ld->memmap) {
		Print(ERR L"no memory for the memory map (%ld bytes)\n", (UINT64)ld->memmap_cap);
		return EFI_OUT_OF_RESOURCES;
	}
	return EFI_SUCCESS;
}

/* Takes the final memory map and leaves boot services. Nothing here may
 * allocate or print between GetMemoryMap and ExitBootServices; when the map
 * key went stale (an event allocated meanwhile) we fetch the map again.
 * *tried tells whether ExitBootServices was called at all. */
static EFI_STATUS exit_boot_services(struct loader *ld, bool *tried)
{
	EFI_STATUS st = EFI_INVALID_PARAMETER;

	*tried = false;
	for (int i = 0; i < EXIT_BOOT_SERVICES_TRIES && st == EFI_INVALID_PARAMETER; i++) {
		UINTN size = ld->memmap_cap, key, desc_size;
		UINT32 desc_version;

		st = BS->GetMemoryMap(&size, ld->memmap, &key, &desc_size, &desc_version);
		if (EFI_ERROR(st))
			return st;
		ldr_bootinfo_set_memmap(ld->bi, ld->memmap, size, desc_size);
		*tried = true;
		st = BS->ExitBootServices(ld->image, key);
	}
	return st;
}

/* After a failed ExitBootServices the console may be gone (UEFI 2.10 §7.4.6
 * allows a partial shutdown), so the last words go straight to COM1
 * (16550: THR at +0, LSR at +5, bit 5 = transmit holding register empty). */
#define COM1_BASE 0x3F8
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define UART_POLL_LIMIT 100000

static void outb(UINT16 port, UINT8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static UINT8 inb(UINT16 port)
{
	UINT8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void com1_line(const char *s)
{
	for (; *s; s++) {
		for (int i = 0; i < UART_POLL_LIMIT && !(inb(COM1_BASE + UART_LSR) & UART_LSR_THRE);
		     i++)
			;
		outb(COM1_BASE, (UINT8)*s);
	}
}

static EFI_STATUS prepare(struct loader *ld)
{
	EFI_STATUS st;

	st = open_root(ld);
	if (!EFI_ERROR(st))
		st = read_config(ld);
	if (!EFI_ERROR(st))
		st = load_hypervisor(ld);
	if (!EFI_ERROR(st))
		st = alloc_boot_info(ld);
	if (!EFI_ERROR(st))
		st = load_modules(ld);
	if (!EFI_ERROR(st)) {
		find_rsdp(ld);
		find_framebuffer(ld);
		st = alloc_memmap_buffer(ld);
	}
	return st;
}

static void __attribute__((noreturn)) halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Called by gnu-efi's crt0 (_start) with the System V convention, not EFIAPI. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	struct loader ld = { .image = image };
	bool tried;
	EFI_STATUS st;

	InitializeLib(image, systab);
	Print(MSG LDR_LOADER_NAME L" starting\n");
	st = prepare(&ld);
	if (EFI_ERROR(st)) {
		release_all(&ld);
		return st;
	}
	Print(MSG L"boot_info at 0x%lx; exiting boot services, entering the hypervisor at 0x%lx\n",
	      (UINT64)(UINTN)ld.bi, ld.handoff.entry);

	st = exit_boot_services(&ld, &tried);
	if (EFI_ERROR(st)) {
		if (!tried) {
			Print(ERR L"GetMemoryMap failed: %r\n", st);
			release_all(&ld);
			return st;
		}
		com1_line("bulkhead-efi: error: ExitBootServices failed; halting\r\n");
		halt_forever();
	}
	((hv_entry_fn)(UINTN)ld.handoff.entry)(ld.bi);
}
