/* SPDX-License-Identifier: BSD-2-Clause */
/* Freestanding memory and string helpers (core/lib/string.c). On the host the
 * unit tests link the same file, so the names carry a bh_ prefix where they
 * would clash with libc; the compiler may still emit calls to memcpy/memset,
 * which the hypervisor image provides. */
#ifndef BULKHEAD_CORE_LIB_STRING_H
#define BULKHEAD_CORE_LIB_STRING_H

#include "core/types.h"

void *bh_memcpy(void *dst, const void *src, size_t n);
void *bh_memmove(void *dst, const void *src, size_t n);
void *bh_memset(void *dst, int c, size_t n);
int bh_memcmp(const void *a, const void *b, size_t n);
size_t bh_strlen(const char *s);
size_t bh_strnlen(const char *s, size_t max);
int bh_strcmp(const char *a, const char *b);
int bh_strncmp(const char *a, const char *b, size_t n);
char *bh_strchr(const char *s, int c);
/* First occurrence of needle in hay, or NULL (needle "" matches at hay). */
char *bh_strstr(const char *hay, const char *needle);
/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t bh_strlcpy(char *dst, const char *src, size_t size);

/* Parse an unsigned number: decimal, 0x hex, with optional K/M/G suffix when
 * allow_suffix. Returns false on junk, empty input or overflow. */
bool bh_parse_u64(const char *s, size_t len, uint64_t *out, bool allow_suffix);
/* 0-15 for a hexadecimal digit (either case), -1 for anything else. */
int bh_hex_digit_value(char c);

#endif
