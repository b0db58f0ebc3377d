/* SPDX-License-Identifier: BSD-2-Clause */
/* The screen console: everything the hypervisor prints on its serial port
 * is drawn on the screen too, for machines whose serial port nobody can
 * see. VGA text mode when the firmware left one (a BIOS boot), else the
 * linear framebuffer the loader describes (the UEFI GOP), in the built-in
 * 5x7 font. Output only: typed input stays on the serial port. */
#ifndef BULKHEAD_ARCH_X86_VIDEO_SCREEN_H
#define BULKHEAD_ARCH_X86_VIDEO_SCREEN_H

#include "arch/x86/boot/bootinfo.h"
#include "core/types.h"

/* VGA text mode (IBM VGA technical reference): 80x25 cells of a character
 * byte and an attribute byte at 0xB8000. */
#define VGA_TEXT_ADDR 0xb8000ULL
#define VGA_TEXT_COLS 80
#define VGA_TEXT_ROWS 25
#define VGA_ATTR_GREY_ON_BLACK 0x07

/* Framebuffer cells: 8x16 pixels, the 5x7 glyph doubled in height. */
#define SCREEN_CELL_W 8
#define SCREEN_CELL_H 16

/* The screen bi describes, or VGA text when a BIOS loader gave none. The
 * screen must lie below map_end (what the page tables map now). Returns
 * false, with a line saying why, if there is nothing to draw on. */
bool screen_init(const struct boot_info *bi, uint64_t map_end);
/* Draw s (the caller serialises: the console lock). */
void screen_write(const char *s, size_t len);
/* "VGA text 80x25 at 0xb8000", "framebuffer 1280x800 at 0x80000000": for the log. */
const char *screen_describe(void);

#endif
