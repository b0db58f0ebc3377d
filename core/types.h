/* SPDX-License-Identifier: BSD-2-Clause */
/* Basic freestanding types shared by every part of Bulkhead.
 * Only compiler-provided headers (C11 "freestanding" set) are used: no libc. */
#ifndef BULKHEAD_CORE_TYPES_H
#define BULKHEAD_CORE_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t; /* host-physical address */
typedef uint64_t gpa_t;   /* guest-physical address */

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define PAGE_SIZE 4096ULL
#define PAGE_SHIFT 12
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) (1ULL << (n))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
/* The struct that holds *ptr as its member. */
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

#define __packed __attribute__((packed))
#define __aligned(x) __attribute__((aligned(x)))
#define __noreturn __attribute__((noreturn))
#define __unused __attribute__((unused))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define STATIC_ASSERT(c, msg) _Static_assert(c, msg)

/* Overflow-safe "does [base, base+len) lie inside [lo, lo+size)?" used by every
 * bounds check on guest-controlled values. */
static inline bool range_within(uint64_t base, uint64_t len, uint64_t lo, uint64_t size)
{
	if (base < lo)
		return false;
	if (len > size)
		return false;
	return base - lo <= size - len;
}

#endif
