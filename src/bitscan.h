/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bitscan.h: the one bit-scan helper of src/ (private to src/).
 *
 * rv64gc has no bit-scan instruction: __builtin_ctzl/__builtin_clzl become
 * libgcc calls of about 250 instructions each.  The portable versions here
 * are branch-free and inline: isolate (ctz) or smear (fls) the bit, then
 * multiply by a de Bruijn constant and look the index up in a 64-byte table
 * (kmem_debruijn64, in kmem_core.c).  A build for harts with Zbb
 * (meson -Dzbb=true: -march=rv64gc_zbb, which defines __riscv_zbb) uses the
 * builtins, which are then the single ctz/clz instructions.
 */
#ifndef KMEM_BITSCAN_H
#define KMEM_BITSCAN_H

#include <stdint.h>

#if !defined(__riscv_zbb)
extern const uint8_t kmem_debruijn64[64];
#define	KMEM_DEBRUIJN64	0x03f79d71b4cb0a89UL
#endif

/* Index (0..63) of the lowest set bit of x; x must not be 0. */
static inline int
kmem_ctzl(unsigned long x)
{
#if defined(__riscv_zbb)
	return (__builtin_ctzl(x));
#else
	return (kmem_debruijn64[((x & -x) * KMEM_DEBRUIJN64) >> 58]);
#endif
}

/* 1-based index of the lowest set bit of x, 0 if x is 0 (ffs(3)). */
static inline int
kmem_ffsl(unsigned long x)
{

	return (x == 0 ? 0 : kmem_ctzl(x) + 1);
}

/* 1-based index of the highest set bit of x, 0 if x is 0 (fls(3)). */
static inline int
kmem_flsl(unsigned long x)
{
#if defined(__riscv_zbb)
	return (x == 0 ? 0 : 64 - __builtin_clzl(x));
#else
	/* Smear the top bit down, keep only it, then look it up. */
	x |= x >> 1;
	x |= x >> 2;
	x |= x >> 4;
	x |= x >> 8;
	x |= x >> 16;
	x |= x >> 32;
	return (x == 0 ? 0 :
	    kmem_debruijn64[((x ^ (x >> 1)) * KMEM_DEBRUIJN64) >> 58] + 1);
#endif
}

#endif /* KMEM_BITSCAN_H */
