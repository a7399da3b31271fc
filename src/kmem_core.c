/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_core.c: the small services every layer uses: panic, console
 * printing, zeroing and the bit-scan table (spinlocks: spin.c).
 */
#include <stdarg.h>
#include <stdio.h>

#include "kmem_private.h"

#if !defined(__riscv_zbb)
/* bitscan.h's look-up table: index of the bit that (1 << i) * M puts on top. */
const uint8_t kmem_debruijn64[64] = {
	0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4,
	62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
	63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
	46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6,
};
#endif

void
panic(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	md_panic(buf);
}

void
kmem_zero(void *p, size_t len)
{
	uint64_t *w = p;
	size_t n;

	KASSERT(((uintptr_t)p & 7) == 0 && (len & 7) == 0,
	    ("kmem_zero: %p length %zu not 8-byte aligned", p, len));
	for (n = len >> 6; n > 0; n--, w += 8) {
		w[0] = 0; w[1] = 0; w[2] = 0; w[3] = 0;
		w[4] = 0; w[5] = 0; w[6] = 0; w[7] = 0;
	}
	for (n = (len & 63) >> 3; n > 0; n--)
		*w++ = 0;
}

int
kmem_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return (n);
	md_console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n :
	    sizeof(buf) - 1);
	return (n);
}
