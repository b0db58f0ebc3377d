/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/video/font5x7.h"
#include "arch/x86/video/screen.h"
#include "arch/x86/video/text_grid.h"
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"

#define FB_FOREGROUND 0xc0 /* light grey: each channel's value */

/* The one screen. Set up by the boot CPU in screen_init; afterwards drawn
 * only under the console lock (core/console.c), on whichever CPU logs. */
static struct screen {
	struct text_grid grid;
	struct boot_fb fb;
	uint8_t *base;
	uint32_t fg;
	char what[64];
} screen;

/* ---- VGA text ------------------------------------------------------------ */

static uint16_t *vga_cell(unsigned int col, unsigned int row)
{
	return (uint16_t *)screen.base + (size_t)row * screen.fb.width + col;
}

static void vga_draw(void *ctx, unsigned int col, unsigned int row, char c)
{
	*(volatile uint16_t *)vga_cell(col, row) =
			(uint16_t)(VGA_ATTR_GREY_ON_BLACK << 8 | (uint8_t)c);
}

static void vga_clear_row(void *ctx, unsigned int row)
{
	volatile uint16_t *cell = vga_cell(0, row);
	for (unsigned int i = 0; i < screen.fb.width; i++)
		cell[i] = VGA_ATTR_GREY_ON_BLACK << 8 | ' ';
}

static void vga_scroll_up(void *ctx)
{
	bh_memmove(vga_cell(0, 0), vga_cell(0, 1),
		   (size_t)(screen.fb.height - 1) * screen.fb.width * sizeof(uint16_t));
}

static const struct text_grid_ops vga_ops = { vga_draw, vga_clear_row, vga_scroll_up };

/* ---- framebuffer ----------------------------------------------------------- */

static volatile uint32_t *fb_line(unsigned int y)
{
	return (volatile uint32_t *)(screen.base + (size_t)y * screen.fb.pitch);
}

/* Glyph rows are doubled; one blank pixel row above and below, one blank
 * column on the left and two on the right separate the cells. */
static void fb_draw(void *ctx, unsigned int col, unsigned int row, char c)
{
	for (unsigned int y = 0; y < SCREEN_CELL_H; y++) {
		unsigned int gy = (y - 1) / 2;
		uint8_t bits = (y >= 1 && gy < FONT_HEIGHT) ? font_glyph_row(c, gy) : 0;
		volatile uint32_t *px = fb_line(row * SCREEN_CELL_H + y) + col * SCREEN_CELL_W;
		for (unsigned int x = 0; x < SCREEN_CELL_W; x++) {
			bool on = x >= 1 && x <= FONT_WIDTH && (bits >> (FONT_WIDTH - x) & 1);
			px[x] = on ? screen.fg : 0;
		}
	}
}

static void fb_clear_row(void *ctx, unsigned int row)
{
	for (unsigned int y = 0; y < SCREEN_CELL_H; y++)
		bh_memset((void *)fb_line(row * SCREEN_CELL_H + y), 0,
			  (size_t)screen.grid.cols * SCREEN_CELL_W * sizeof(uint32_t));
}

/* No scroll_up: moving megabytes of video memory for every line would
 * make each log line cost milliseconds under an emulator. */
static const struct text_grid_ops fb_ops = { fb_draw, fb_clear_row, NULL };

/* ---- set-up ---------------------------------------------------------------- */

static bool fits(uint64_t addr, uint64_t bytes, uint64_t map_end)
{
	return addr && bytes && addr + bytes > addr && addr + bytes <= map_end;
}

bool screen_init(const struct boot_info *bi, uint64_t map_end)
{
	struct boot_fb fb = bi->fb;
	if (fb.type == BOOT_FB_NONE && bi->source != BOOT_SRC_UEFI && !bi->efi_system_table)
		fb = (struct boot_fb){ .addr = VGA_TEXT_ADDR,
				       .type = BOOT_FB_VGA_TEXT,
				       .width = VGA_TEXT_COLS,
				       .height = VGA_TEXT_ROWS,
				       .pitch = VGA_TEXT_COLS * 2 };
	if (fb.type == BOOT_FB_VGA_TEXT) {
		if (!fits(fb.addr, (uint64_t)fb.width * fb.height * 2, map_end) || fb.width < 2)
			return false;
		screen.fb = fb;
		screen.base = (uint8_t *)(uintptr_t)fb.addr;
		text_grid_init(&screen.grid, fb.width, fb.height, &vga_ops, NULL);
		bh_snprintf(screen.what, sizeof(screen.what), "VGA text %ux%u at %#lx", fb.width,
			    fb.height, fb.addr);
		return true;
	}
	if (fb.type != BOOT_FB_RGB32)
		return false;
	if (!fits(fb.addr, (uint64_t)fb.pitch * fb.height, map_end)) {
		pr_warn("screen: the framebuffer at %#lx lies beyond what is mapped; serial only",
			fb.addr);
		return false;
	}
	screen.fb = fb;
	screen.base = (uint8_t *)(uintptr_t)fb.addr;
	screen.fg = (uint32_t)FB_FOREGROUND << fb.red_shift |
		    (uint32_t)FB_FOREGROUND << fb.green_shift |
		    (uint32_t)FB_FOREGROUND << fb.blue_shift;
	text_grid_init(&screen.grid, fb.width / SCREEN_CELL_W, fb.height / SCREEN_CELL_H, &fb_ops,
		       NULL);
	bh_snprintf(screen.what, sizeof(screen.what), "framebuffer %ux%u at %#lx", fb.width,
		    fb.height, fb.addr);
	return true;
}

void screen_write(const char *s, size_t len)
{
	if (screen.base)
		text_grid_write(&screen.grid, s, len);
}

const char *screen_describe(void)
{
	return screen.what;
}
