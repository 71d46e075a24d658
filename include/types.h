/* SPDX-License-Identifier: MIT */
/*
 * Fixed-width integer types and the typed addresses of the hypervisor.
 *
 * Four address spaces meet in a hypervisor and must never be mixed silently:
 *   gpa_t  guest-physical address        gfn_t  guest frame number (gpa >> 12)
 *   hpa_t  host-physical address         pfn_t  host frame number  (hpa >> 12)
 * Host virtual addresses are plain C pointers.  Conversions are the named
 * functions below; nothing else shifts an address by PAGE_SHIFT.
 */
#ifndef TDPVISOR_TYPES_H
#define TDPVISOR_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef u64 gpa_t;
typedef u64 hpa_t;
typedef u64 gfn_t;
typedef u64 pfn_t;

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ULL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))

#define BIT(n) (1U << (n))
#define BIT_ULL(n) (1ULL << (n))
/* Bits h..l inclusive, as a u64 mask. */
#define GENMASK_ULL(h, l) ((~0ULL << (l)) & (~0ULL >> (63 - (h))))

#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a) ALIGN_DOWN((x) + (a) - 1, (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)

static inline gfn_t gpa_to_gfn(gpa_t gpa) { return gpa >> PAGE_SHIFT; }
static inline gpa_t gfn_to_gpa(gfn_t gfn) { return gfn << PAGE_SHIFT; }
static inline pfn_t hpa_to_pfn(hpa_t hpa) { return hpa >> PAGE_SHIFT; }
static inline hpa_t pfn_to_hpa(pfn_t pfn) { return pfn << PAGE_SHIFT; }

#endif
