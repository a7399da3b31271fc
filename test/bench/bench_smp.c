/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_malloc(PAGE_SIZE) + kmem_free pairs on one hart, then on every hart
 * at once (QEMU -icount: instructions per pair on each hart), and the
 * shared-lock acquisitions per pair (kmem_spin_count: global, per-domain,
 * per-arena and per-map locks; per-hart locks are not counted).
 */
#include <kmem.h>
#include "bench.h"

const bool kmem_boot_quiet = true;

/*
 * Under -icount QEMU runs the harts round robin, and a hart spinning in
 * OpenSBI for an RFENCE's completion lets the others run only at the next
 * round-robin kick (about 10^8 instructions later): a batch flush of
 * kmem_free while other harts work never finishes in useful time.  So the
 * multi-hart run stays inside one batch per hart (fewer than
 * KDEFER_RANGES frees): it measures the common path under concurrency; the
 * batch is flushed afterwards, when the other harts are idle again.  Its
 * caches are stocked before (stock()), as they are in a long run.
 */
#define N	BENCH_PAIRS
#define NMULTI	20
#define WARM1	256
#define WARMN	8
static uint64_t samples[MAXCPU][N];
static int npairs = N, nwarm = WARM1;
static uint64_t all[MAXCPU * N];
static struct kmem_barrier bar;
static volatile unsigned long locks0, locks1;

/*
 * Stock this hart's caches as a long run does: while other harts run,
 * kmem_free hands pages and KVA back only when its batch is flushed, so
 * allocate a burst, free it and flush.  Each hart does this in turn while
 * the others wait idle (a fence to an idle hart is cheap under -icount).
 */
static void
stock(void *arg)
{
	static vm_offset_t va[MAXCPU][NMULTI + WARMN];
	int i;

	(void)arg;
	for (i = 0; i < NMULTI + WARMN; i++)
		va[md_cpuid()][i] = kmem_malloc(PAGE_SIZE, M_WAITOK);
	for (i = 0; i < NMULTI + WARMN; i++)
		kmem_free(va[md_cpuid()][i], PAGE_SIZE);
	(void)kmem_free_flush();
}

static void
pairs(void *arg)
{
	uint64_t *s = samples[md_cpuid()];
	vm_offset_t va;
	int i;

	(void)arg;
	for (i = 0; i < nwarm; i++)	/* warm this hart's caches */
		kmem_free(kmem_malloc(PAGE_SIZE, M_WAITOK), PAGE_SIZE);
	kmem_smp_barrier(&bar);
	if (md_cpuid() == 0)
		locks0 = kmem_spin_count();
	kmem_smp_barrier(&bar);
	for (i = 0; i < npairs; i++)
		BENCH_SAMPLE(s[i], {
			va = kmem_malloc(PAGE_SIZE, M_WAITOK);
			kmem_free(va, PAGE_SIZE);
		});
	kmem_smp_barrier(&bar);
	if (md_cpuid() == 0)
		locks1 = kmem_spin_count();
}

int
main(void)
{
	char fig[96];
	u_int ncpu, c;
	int i;

	ncpu = kmem_smp_ncpus();
	kmem_barrier_init(&bar, 1);
	pairs(NULL);
	bench_report("smp", "kmem_malloc+kmem_free pair, 1 hart working", samples[0],
	    N);
	snprintf(fig, sizeof(fig), "%.3f shared-lock acquisitions per pair "
	    "(1 hart working, %u idle)", (double)(locks1 - locks0) / N,
	    ncpu - 1);
	bench_figure("smp", "locks on the common path, 1 hart working", fig);
	if (ncpu < 2)
		return (0);
	kmem_barrier_init(&bar, ncpu);
	for (c = 0; c < ncpu; c++) {
		if (c == md_cpuid()) {
			stock(NULL);
			continue;
		}
		if (kmem_smp_run(c, stock, NULL) != 0)
			return (1);
		kmem_smp_wait(c);
	}
	npairs = NMULTI;
	nwarm = WARMN;
	kmem_smp_run_all(pairs, NULL);
	(void)kmem_free_flush();
	for (c = 0; c < ncpu; c++)
		for (i = 0; i < NMULTI; i++)
			all[c * NMULTI + i] = samples[c][i];
	snprintf(fig, sizeof(fig), "kmem_malloc+kmem_free pair, %u harts "
	    "working at once", ncpu);
	bench_report("smp", fig, all, (size_t)ncpu * NMULTI);
	snprintf(fig, sizeof(fig), "%.3f shared-lock acquisitions per pair "
	    "(%u harts)", (double)(locks1 - locks0) / ((double)NMULTI * ncpu),
	    ncpu);
	bench_figure("smp", "locks on the common path, all harts working",
	    fig);
	return (0);
}
