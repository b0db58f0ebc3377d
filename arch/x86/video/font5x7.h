/* SPDX-License-Identifier: BSD-2-Clause */
/* The built-in font of the screen console: printable ASCII drawn as 5x7
 * pixel glyphs (the classic character-LCD grid), written out as '#' art in
 * font5x7.c so that a glyph can be read and fixed in the source. Pure. */
#ifndef BULKHEAD_ARCH_X86_VIDEO_FONT5X7_H
#define BULKHEAD_ARCH_X86_VIDEO_FONT5X7_H

#include "core/types.h"

#define FONT_WIDTH 5
#define FONT_HEIGHT 7
#define FONT_FIRST ' '
#define FONT_LAST '~'

/* Row `row` (0 at the top) of the glyph of c as FONT_WIDTH bits, the
 * leftmost pixel in bit FONT_WIDTH - 1. A character outside the font is
 * drawn as '?'. */
uint8_t font_glyph_row(char c, unsigned int row);

#endif
