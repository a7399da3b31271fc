/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_vmem.c: instructions per vmem operation (QEMU -icount shift=0).
 *
 *  - vmem_alloc + vmem_free of a quantum-cached size: the first pair
 *    (which takes magazines from the backend), then warm pairs, then
 *    10,000 allocations and 10,000 frees in a row (refills, exchanges);
 *  - instant-fit and best-fit vmem_alloc + vmem_free pairs with 10, 1,000
 *    and 100,000 live segments: a quantum-16 arena gets 2N allocations of
 *    16 * (1 + r mod 64) bytes (r pseudo-random), every other one is freed,
 *    then pairs of 16 * (1 + i mod 64) bytes are measured;
 *  - metadata bytes per live segment (boundary tags of every segment and
 *    span, plus the busy hash) at 100,000 live segments.
 * The backend is a bump allocator over a static buffer.
 */
#include <stdio.h>

#include <kmem/vmem.h>

#include "../../src/vmem_private.h"
#include "bench.h"

#define POOL	(40UL << 20)
static char pool[POOL] __attribute__((aligned(4096)));
static size_t pool_used;

static void *
bump_alloc(vmem_size_t size, int flags)
{
	void *p;

	(void)flags;
	if (size > POOL - pool_used)
		return (NULL);
	p = pool + pool_used;
	pool_used += size;
	return (p);
}

static void
bump_free(void *p, vmem_size_t size)
{

	(void)p;
	(void)size;
}

#define MAXLIVE	100000
static vmem_addr_t addrs[2 * MAXLIVE];
static vmem_size_t sizes[2 * MAXLIVE];

static void
bench_qcache(void)
{
	vmem_addr_t items[BENCH_BURST], a;
	vmem_t *vm;
	uint64_t first;
	char fig[96];
	size_t n;
	int i, j;

	vm = vmem_create("bq", 0x100000, 0x100000, 16, 16 * 16, M_WAITOK);
	/*
	 * The first pair takes a page of magazines from the backend: like a
	 * span import it has no bound of its own, so it is its own figure.
	 */
	BENCH_SAMPLE(first, {
		vmem_alloc(vm, 64, M_WAITOK, &a);
		vmem_free(vm, a, 64);
	});
	snprintf(fig, sizeof(fig), "%llu (magazine page from the backend)",
	    (unsigned long long)first);
	bench_figure("vmem", "qcache first alloc+free", fig);
	for (i = 0; i < BENCH_PAIRS; i++) {
		BENCH_SAMPLE(bench_s[i], {
			vmem_alloc(vm, 64, M_WAITOK, &a);
			vmem_free(vm, a, 64);
		});
	}
	bench_report("vmem", "qcache alloc+free (64 B, quantum 16)",
	    bench_s, BENCH_PAIRS);
	/* Allocations alone: every few calls a bounded refill from the arena. */
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], vmem_alloc(vm, 64, M_WAITOK,
		    &addrs[i]));
	bench_report("vmem", "qcache vmem_alloc alone, 10,000 in a row "
	    "(refills)", bench_s, BENCH_PAIRS);
	/* Frees alone: full magazines go to the depot. */
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], vmem_free(vm, addrs[i], 64));
	bench_report("vmem", "qcache vmem_free alone, 10,000 in a row "
	    "(magazine exchanges)", bench_s, BENCH_PAIRS);
	n = BENCH_BURSTS(items, j, (vmem_alloc(vm, 64, M_WAITOK, &a), a),
	    vmem_free(vm, items[j], 64));
	bench_report("vmem", "qcache alloc or free in bursts of 64 (magazine "
	    "exchanges)", bench_s, n);
	vmem_drain(vm);
	vmem_destroy(vm);
}

static uint64_t
bench_live(int nlive, int strat, const char *sname)
{
	struct vmem_stats vs;
	vmem_t *vm;
	vmem_addr_t a;
	vmem_size_t s;
	uint64_t r, med;
	char name[96], fig[64];
	int i;

	vm = vmem_create("blive", 0x100000000UL, 1UL << 32, 16, 0, M_WAITOK);
	r = 88172645463325252ULL;
	for (i = 0; i < 2 * nlive; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		sizes[i] = 16 * (1 + r % 64);
		if (vmem_alloc(vm, sizes[i], M_WAITOK | strat, &addrs[i]) != 0)
			printf("# alloc %d failed\n", i);
	}
	for (i = 0; i < 2 * nlive; i += 2)
		vmem_free(vm, addrs[i], sizes[i]);
	for (i = 0; i < BENCH_PAIRS; i++) {
		s = 16 * (1 + (vmem_size_t)i % 64);
		BENCH_SAMPLE(bench_s[i], {
			vmem_alloc(vm, s, M_NOWAIT | strat, &a);
			vmem_free(vm, a, s);
		});
	}
	snprintf(name, sizeof(name), "%s alloc+free, %d live segments", sname,
	    nlive);
	med = bench_report("vmem", name, bench_s, BENCH_PAIRS);
	if (nlive == MAXLIVE && strat == M_FIRSTFIT) {
		vmem_get_stats(vm, &vs);
		snprintf(fig, sizeof(fig), "%.1f bytes (tag %lu B, %lu buckets)",
		    (double)((vs.vs_nbusy + vs.vs_nfree + vs.vs_nspans) *
		    vs.vs_tagsize + vs.vs_hashsize * sizeof(void *)) /
		    (double)vs.vs_nbusy, (u_long)vs.vs_tagsize,
		    (u_long)vs.vs_hashsize);
		bench_figure("vmem", "metadata per live segment (100,000 live)",
		    fig);
	}
	for (i = 1; i < 2 * nlive; i += 2)
		vmem_free(vm, addrs[i], sizes[i]);
	vmem_destroy(vm);
	return (med);
}

int
main(void)
{
	uint64_t m10, m100k;
	char fig[64];

	vmem_set_backend(bump_alloc, bump_free);
	bench_qcache();
	m10 = bench_live(10, M_FIRSTFIT, "instant-fit");
	bench_live(1000, M_FIRSTFIT, "instant-fit");
	m100k = bench_live(MAXLIVE, M_FIRSTFIT, "instant-fit");
	snprintf(fig, sizeof(fig), "%.2fx", (double)m100k / (double)m10);
	bench_figure("vmem", "instant-fit 100,000 live / 10 live", fig);
	m10 = bench_live(10, M_BESTFIT, "best-fit");
	bench_live(1000, M_BESTFIT, "best-fit");
	m100k = bench_live(MAXLIVE, M_BESTFIT, "best-fit");
	snprintf(fig, sizeof(fig), "%.2fx", (double)m100k / (double)m10);
	bench_figure("vmem", "best-fit 100,000 live / 10 live", fig);
	printf("# backend bytes used: %lu\n", (u_long)pool_used);
	return (0);
}
