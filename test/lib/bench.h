/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench.h: instruction counts per operation.
 *
 * On the target (QEMU -icount shift=0) md_instret() reads the hart's
 * instret counter, exact and repeatable.  Each sample is the count across
 * one run of the body minus the count across an empty body (the cost of
 * reading the counter itself), so figures are the body's own instructions.
 *
 *	uint64_t s[N];
 *	for (i = 0; i < N; i++) {
 *		BENCH_SAMPLE(s[i], { vmem_alloc(...); vmem_free(...); });
 *	}
 *	bench_report("vmem", "qcache alloc+free", s, N);
 *
 * bench_report prints one line that scripts/bench collects:
 *	BENCH <suite> | <name> | median <m> | max <x> | min <y> | n <n>
 */
#ifndef KMEM_BENCH_H
#define KMEM_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <kmem/machine.h>

static uint64_t bench_overhead = UINT64_MAX;

static inline void
bench_calibrate(void)
{
	uint64_t a, b, d;
	int i;

	for (i = 0; i < 64; i++) {
		a = md_instret();
		__asm__ volatile("" ::: "memory");
		b = md_instret();
		d = b - a;
		if (d < bench_overhead)
			bench_overhead = d;
	}
}

#define BENCH_SAMPLE(out, body) do {					\
	uint64_t __b0, __b1;						\
	if (bench_overhead == UINT64_MAX)				\
		bench_calibrate();					\
	__b0 = md_instret();						\
	__asm__ volatile("" ::: "memory");				\
	body;								\
	__asm__ volatile("" ::: "memory");				\
	__b1 = md_instret();						\
	(out) = __b1 - __b0 - bench_overhead;				\
} while (0)

static int
bench_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

static inline uint64_t
bench_report(const char *suite, const char *name, uint64_t *s, size_t n)
{
	uint64_t med;

	if (n == 0)
		return (0);
	qsort(s, n, sizeof(*s), bench_cmp);
	med = s[n / 2];
	printf("BENCH %s | %s | median %llu | max %llu | min %llu | n %lu\n",
	    suite, name, (unsigned long long)med,
	    (unsigned long long)s[n - 1], (unsigned long long)s[0],
	    (unsigned long)n);
	fflush(stdout);
	return (med);
}

/* A figure that is not an instruction count (bytes, ratios, ...). */
static inline void
bench_figure(const char *suite, const char *name, const char *value)
{

	printf("BENCH %s | %s | %s\n", suite, name, value);
	fflush(stdout);
}

#endif /* KMEM_BENCH_H */
