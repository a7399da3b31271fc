/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench.h: instructions per operation pair, with their tail.
 *
 * On the target (QEMU -icount shift=0) md_instret() reads the hart's
 * instret counter, exact and repeatable.  Each sample is the count across
 * one run of the body minus the count across an empty body (the cost of
 * reading the counter itself), so figures are the body's own instructions.
 * One sample is taken per operation pair (alloc + free): the tail of the
 * distribution is the cost of the pair that paid for a refill, a drain or
 * an import.
 *
 *	for (i = 0; i < BENCH_PAIRS; i++)
 *		BENCH_SAMPLE(bench_s[i], {
 *			vmem_alloc(vm, 64, M_WAITOK, &a);
 *			vmem_free(vm, a, 64);
 *		});
 *	bench_report("vmem", "qcache alloc+free", bench_s, BENCH_PAIRS);
 *
 * bench_report prints one line that scripts/bench parses, in this fixed
 * format (p99.9 is the nearest-rank 99.9th percentile; every count is an
 * unsigned decimal number of instructions):
 *	BENCH <suite> | <name> | median <m> | p99.9 <p> | max <x> | n <n>
 * bench_figure prints a figure that is not an instruction count:
 *	BENCH <suite> | <name> | <value>
 */
#ifndef KMEM_BENCH_H
#define KMEM_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <kmem/machine.h>

/* Pairs per figure of a non-blocking call, and one buffer for them. */
#define BENCH_PAIRS	10000
static uint64_t bench_s[BENCH_PAIRS] __attribute__((unused));

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

/*
 * One sample per call, in bursts: BENCH_BURST allocations (items[j] =
 * alloc_expr), then BENCH_BURST frees (free_stmt, of items[j]), over
 * whole cycles up to BENCH_PAIRS samples; returns the number of samples
 * in bench_s.  Alternating pairs never empty or fill a cache: bursts make
 * the refills and drains happen, and put them in the tail.
 */
#define BENCH_BURST	64
#define BENCH_BURSTS(items, j, alloc_expr, free_stmt) __extension__ ({		int __i, __n = BENCH_PAIRS - BENCH_PAIRS % (2 * BENCH_BURST);		for (__i = 0; __i < __n; __i++) {						(j) = __i % BENCH_BURST;						if ((__i / BENCH_BURST) % 2 == 0)						BENCH_SAMPLE(bench_s[__i],						    { (items)[j] = (alloc_expr); });				else										BENCH_SAMPLE(bench_s[__i], { free_stmt; });		}									(size_t)__n;							})

static int
bench_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/*
 * Sorts s[0..n) and prints its median, 99.9th percentile and maximum in
 * the format above; returns the median (0 when n is 0, and then prints
 * nothing).
 */
static inline uint64_t
bench_report(const char *suite, const char *name, uint64_t *s, size_t n)
{
	size_t rank;

	if (n == 0)
		return (0);
	qsort(s, n, sizeof(*s), bench_cmp);
	rank = (n * 999 + 999) / 1000;		/* ceil(0.999 n), 1-based */
	printf("BENCH %s | %s | median %llu | p99.9 %llu | max %llu | n %lu\n",
	    suite, name, (unsigned long long)s[n / 2],
	    (unsigned long long)s[rank - 1], (unsigned long long)s[n - 1],
	    (unsigned long)n);
	fflush(stdout);
	return (s[n / 2]);
}

/* A figure that is not an instruction count (bytes, ratios, ...). */
static inline void
bench_figure(const char *suite, const char *name, const char *value)
{

	printf("BENCH %s | %s | %s\n", suite, name, value);
	fflush(stdout);
}

#endif /* KMEM_BENCH_H */
