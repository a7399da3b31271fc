/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared locks on the kmem pair's common path with several harts working.
 *
 * While other harts run, kmem_free does not reuse what it frees: the page
 * and the KVA wait in the hart's batch for one shootdown (vm_kern.c,
 * "batch").  Until a hart's first batch comes back, each kmem_malloc takes
 * fresh KVA, and the quantum cache refills four rounds at a time from the
 * arena (its depot, arena and tag-pool locks: shared).  Once a batch has
 * been flushed its pages and KVA sit in the hart's own caches, and the pair
 * takes no shared lock at all.  This test holds both halves: 4 harts on 2
 * domains, each warmed by NWARM pairs (two batches), then NPAIRS pairs
 * each with 0 shared-lock acquisitions, while batches keep being flushed;
 * and the cold start, which does take some (the counter counts).
 */
#include <kmem.h>
#include <kmem/smp.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"

#define NHARTS	4
#define NWARM	64
#define NPAIRS	2000

static struct kmem_barrier bar;
static int nwarm;
static unsigned long locks0, locks1, batches0, batches1;
static atomic_int bad;

static void
pairs(void *arg)
{
	struct kmem_stats st;
	vm_offset_t va;
	int i;

	(void)arg;
	for (i = 0; i < nwarm; i++)
		kmem_free(kmem_malloc(PAGE_SIZE, M_WAITOK), PAGE_SIZE);
	kmem_smp_barrier(&bar);
	if (md_cpuid() == 0) {		/* kmem_stats takes locks: first */
		kmem_stats(&st);
		batches0 = st.free_batches;
		locks0 = kmem_spin_count();
	}
	kmem_smp_barrier(&bar);
	for (i = 0; i < NPAIRS; i++) {
		va = kmem_malloc(PAGE_SIZE, M_WAITOK);
		if (va == 0 || (va & PAGE_MASK) != 0)
			atomic_fetch_add(&bad, 1);
		kmem_free(va, PAGE_SIZE);
	}
	kmem_smp_barrier(&bar);
	if (md_cpuid() == 0) {
		locks1 = kmem_spin_count();
		kmem_stats(&st);
		batches1 = st.free_batches;
	}
}

static unsigned long
run(int warm)
{

	nwarm = warm;
	kmem_barrier_init(&bar, kmem_smp_ncpus());
	if (kmem_smp_run_all(pairs, NULL) != 0)
		return (~0UL);
	return (locks1 - locks0);
}

int
main(void)
{
	struct fdt_machine m;
	unsigned long locks;
	u_int n;

	ok(host_boot(&m, 2) == 0, "booted 2 domains");
	n = host_smp_start(NHARTS);
	ok(n == NHARTS, "%u harts run kmem", n);

	/* Cold: no batch flushed yet while measuring, so caches refill. */
	locks = run(0);
	ok(locks > 0 && locks != ~0UL, "cold start: %lu shared-lock "
	    "acquisitions over %d pairs (the quantum caches fill)", locks,
	    NHARTS * NPAIRS);

	locks = run(NWARM);
	ok(atomic_load(&bad) == 0, "every kmem_malloc gave a page");
	ok(batches1 - batches0 >= NHARTS * (NPAIRS / 32 - 1),
	    "the frees went through batches (%lu flushed)",
	    batches1 - batches0);
	ok(locks == 0, "warm: %lu shared-lock acquisitions over %d pairs on "
	    "%u harts (0 expected)", locks, NHARTS * NPAIRS, n);
	(void)kmem_free_flush();
	return (tap_done());
}
