/* SPDX-License-Identifier: BSD-2-Clause */
/* A terminal of cols x rows character cells, the logic of the screen
 * console (screen.c) without the hardware: where the next character goes,
 * line wrap, newline, tab, and what happens at the bottom. A backend that
 * can move rows up cheaply (VGA text: 4000 bytes) scrolls; one that cannot
 * (a large framebuffer under an emulator) wraps to the top, keeping a blank
 * row after the newest line so the eye finds it. Pure. */
#ifndef BULKHEAD_ARCH_X86_VIDEO_TEXT_GRID_H
#define BULKHEAD_ARCH_X86_VIDEO_TEXT_GRID_H

#include "core/types.h"

#define TEXT_GRID_TAB 8

struct text_grid_ops {
	void (*draw)(void *ctx, unsigned int col, unsigned int row, char c);
	void (*clear_row)(void *ctx, unsigned int row);
	/* Rows 1..rows-1 move up one; NULL: the grid wraps instead. */
	void (*scroll_up)(void *ctx);
};

struct text_grid {
	unsigned int cols, rows;
	unsigned int col, row; /* where the next character goes */
	const struct text_grid_ops *ops;
	void *ctx;
};

/* Clears every row; the cursor starts at the top left. */
void text_grid_init(struct text_grid *g, unsigned int cols, unsigned int rows,
		    const struct text_grid_ops *ops, void *ctx);
/* Printable ASCII is drawn, '\n' starts a line, '\r' returns, '\t' moves
 * to the next tab stop; other bytes (escape sequences, 8-bit) are dropped. */
void text_grid_write(struct text_grid *g, const char *s, size_t len);

#endif
