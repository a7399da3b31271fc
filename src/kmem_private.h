/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to src/: panic, assertions and printing shared by every layer.
 */
#ifndef KMEM_PRIVATE_H
#define KMEM_PRIVATE_H

#include <kmem/types.h>
#include <kmem/machine.h>
#include <kmem/spin.h>

/*
 * panic: format a message and stop the machine through md_panic().
 * Messages name the function, the address and what was wrong.
 */
__kmem_noreturn void panic(const char *fmt, ...) __kmem_printflike(1, 2);

/*
 * KASSERT(cond, (fmt, args)): checks of internal state.  On unless the
 * build option kmem_invariants=false (-DKMEM_INVARIANTS=0) turns the
 * expensive ones off; the cheap ones use KMEM_CHECK, which is always on.
 */
#ifndef KMEM_INVARIANTS
#define KMEM_INVARIANTS 1
#endif
#define KASSERT(cond, msg) do {					\
	if (KMEM_INVARIANTS && __predict_false(!(cond)))		\
		panic msg;						\
} while (0)
#define KMEM_CHECK(cond, msg) do {					\
	if (__predict_false(!(cond)))					\
		panic msg;						\
} while (0)

/* Print to the console (printf semantics, no FILE needed). */
int kmem_printf(const char *fmt, ...) __kmem_printflike(1, 2);

/* Count trailing / leading zeros without libgcc (rv64gc has no Zbb). */
static inline int
kmem_ffsl(unsigned long x)		/* 1-based index of lowest set bit, 0 if none */
{
	int n;

	if (x == 0)
		return (0);
	n = 1;
	if ((x & 0xffffffffUL) == 0) { n += 32; x >>= 32; }
	if ((x & 0xffffUL) == 0) { n += 16; x >>= 16; }
	if ((x & 0xffUL) == 0) { n += 8; x >>= 8; }
	if ((x & 0xfUL) == 0) { n += 4; x >>= 4; }
	if ((x & 0x3UL) == 0) { n += 2; x >>= 2; }
	if ((x & 0x1UL) == 0) { n += 1; }
	return (n);
}

static inline int
kmem_flsl(unsigned long x)		/* 1-based index of highest set bit, 0 if none */
{
	int n;

	if (x == 0)
		return (0);
	n = 64;
	if ((x & 0xffffffff00000000UL) == 0) { n -= 32; x <<= 32; }
	if ((x & 0xffff000000000000UL) == 0) { n -= 16; x <<= 16; }
	if ((x & 0xff00000000000000UL) == 0) { n -= 8; x <<= 8; }
	if ((x & 0xf000000000000000UL) == 0) { n -= 4; x <<= 4; }
	if ((x & 0xc000000000000000UL) == 0) { n -= 2; x <<= 2; }
	if ((x & 0x8000000000000000UL) == 0) { n -= 1; }
	return (n);
}

#endif /* KMEM_PRIVATE_H */
