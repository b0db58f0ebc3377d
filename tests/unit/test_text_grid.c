/* SPDX-License-Identifier: BSD-2-Clause */
/* arch/x86/video/text_grid.c and font5x7.c: the screen console's logic on a
 * character matrix instead of video memory. */
#include <criterion/criterion.h>
#include <string.h>

#include "arch/x86/video/font5x7.h"
#include "arch/x86/video/text_grid.h"

#define COLS 10
#define ROWS 4

static char cells[ROWS][COLS + 1];
static unsigned int scrolls;

static void draw(void *ctx, unsigned int col, unsigned int row, char c)
{
	cr_assert_lt(col, COLS);
	cr_assert_lt(row, ROWS);
	cells[row][col] = c;
}

static void clear_row(void *ctx, unsigned int row)
{
	cr_assert_lt(row, ROWS);
	memset(cells[row], '.', COLS);
}

static void scroll_up(void *ctx)
{
	memmove(cells[0], cells[1], sizeof(cells[0]) * (ROWS - 1));
	scrolls++;
}

static const struct text_grid_ops scrolling = { draw, clear_row, scroll_up };
static const struct text_grid_ops wrapping = { draw, clear_row, NULL };
static struct text_grid g;

static void setup(void)
{
	memset(cells, 'x', sizeof(cells));
	for (unsigned int r = 0; r < ROWS; r++)
		cells[r][COLS] = '\0';
	scrolls = 0;
}

TestSuite(text_grid, .init = setup);

static void put(const char *s)
{
	text_grid_write(&g, s, strlen(s));
}

Test(text_grid, init_clears_every_row)
{
	text_grid_init(&g, COLS, ROWS, &scrolling, NULL);
	for (unsigned int r = 0; r < ROWS; r++)
		cr_assert_str_eq(cells[r], "..........");
}

Test(text_grid, lines_wrap_at_the_right_edge)
{
	text_grid_init(&g, COLS, ROWS, &scrolling, NULL);
	put("0123456789ab\ncd");
	cr_assert_str_eq(cells[0], "0123456789");
	cr_assert_str_eq(cells[1], "ab........");
	cr_assert_str_eq(cells[2], "cd........");
}

Test(text_grid, a_full_line_then_newline_makes_no_blank_line)
{
	text_grid_init(&g, COLS, ROWS, &scrolling, NULL);
	put("0123456789\nx");
	/* The wrap is lazy: the newline ends the full row, 'x' starts the next. */
	cr_assert_str_eq(cells[1], "x.........");
	cr_assert_eq(g.row, 1);
}

Test(text_grid, scrolls_at_the_bottom)
{
	text_grid_init(&g, COLS, ROWS, &scrolling, NULL);
	put("a\nb\nc\nd\ne");
	cr_assert_eq(scrolls, 1);
	cr_assert_str_eq(cells[0], "b.........");
	cr_assert_str_eq(cells[3], "e.........");
}

Test(text_grid, wraps_to_the_top_without_scroll_and_keeps_a_blank_row_ahead)
{
	text_grid_init(&g, COLS, ROWS, &wrapping, NULL);
	put("a\nb\nc\nd\ne");
	cr_assert_str_eq(cells[0], "e.........", "the fifth line overwrites the first");
	cr_assert_str_eq(cells[1], "..........", "the row after the newest is blank");
	cr_assert_str_eq(cells[2], "c.........");
	cr_assert_str_eq(cells[3], "d.........");
}

Test(text_grid, control_bytes_and_tabs)
{
	text_grid_init(&g, COLS, ROWS, &scrolling, NULL);
	put("a\tb\x1b[1mc\xff\rZ");
	cr_assert_str_eq(cells[0], "a       b[", "tab to column 8, ESC dropped");
	cr_assert_str_eq(cells[1], "Zmc.......", "0xff dropped, CR returns to column 0");
}

Test(text_grid, zero_sized_grid_draws_nothing)
{
	text_grid_init(&g, 0, 0, &scrolling, NULL);
	put("hello\n");
}

Test(font5x7, every_printable_glyph_is_distinct_and_only_space_is_blank)
{
	for (char a = FONT_FIRST; a <= FONT_LAST; a++) {
		unsigned int lit = 0;
		for (unsigned int r = 0; r < FONT_HEIGHT; r++) {
			cr_assert_lt(font_glyph_row(a, r), 1u << FONT_WIDTH);
			lit += font_glyph_row(a, r) != 0;
		}
		cr_assert_eq(lit == 0, a == ' ', "'%c' has %u lit rows", a, lit);
		for (char b = FONT_FIRST; b < a; b++) {
			bool same = true;
			for (unsigned int r = 0; r < FONT_HEIGHT; r++)
				same = same && font_glyph_row(a, r) == font_glyph_row(b, r);
			cr_assert_not(same, "'%c' and '%c' look alike", a, b);
		}
	}
}

Test(font5x7, known_shapes_and_out_of_range)
{
	cr_assert_eq(font_glyph_row('T', 0), 0x1f);
	cr_assert_eq(font_glyph_row('T', 6), 0x04);
	cr_assert_eq(font_glyph_row('|', 3), 0x04);
	cr_assert_eq(font_glyph_row('\x01', 6), font_glyph_row('?', 6), "unknown: '?'");
	cr_assert_eq(font_glyph_row('A', FONT_HEIGHT), 0);
}
