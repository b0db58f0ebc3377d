/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/video/text_grid.h"

void text_grid_init(struct text_grid *g, unsigned int cols, unsigned int rows,
		    const struct text_grid_ops *ops, void *ctx)
{
	*g = (struct text_grid){ cols, rows, 0, 0, ops, ctx };
	for (unsigned int r = 0; r < rows; r++)
		ops->clear_row(ctx, r);
}

static void newline(struct text_grid *g)
{
	g->col = 0;
	if (g->row + 1 < g->rows) {
		g->row++;
	} else if (g->ops->scroll_up) {
		g->ops->scroll_up(g->ctx);
		g->ops->clear_row(g->ctx, g->row);
		return;
	} else {
		g->row = 0;
	}
	if (!g->ops->scroll_up) {
		g->ops->clear_row(g->ctx, g->row);
		if (g->rows > 2)
			g->ops->clear_row(g->ctx, (g->row + 1) % g->rows);
	}
}

static void put(struct text_grid *g, char c)
{
	if (g->col == g->cols)
		newline(g);
	g->ops->draw(g->ctx, g->col++, g->row, c);
}

void text_grid_write(struct text_grid *g, const char *s, size_t len)
{
	if (!g->cols || !g->rows)
		return;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\n')
			newline(g);
		else if (c == '\r')
			g->col = 0;
		else if (c == '\t')
			do
				put(g, ' ');
			while (g->col % TEXT_GRID_TAB && g->col < g->cols);
		else if (c >= ' ' && c <= '~')
			put(g, c);
	}
}
