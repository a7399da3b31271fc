/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Instructions per kmem operation (QEMU -icount shift=0): the seed's
 * kmem_malloc/kmem_free pair for one page, kva_alloc/kva_free (each also
 * per call in bursts of 64, so cache refills, drains and kmem_free's
 * batched shootdowns are in the tail), 64 KiB and 2 MiB allocations, and
 * a 1 MiB aligned kmem_alloc_contig.
 */
#include <kmem.h>
#include "bench.h"

const bool kmem_boot_quiet = true;

/* Multi-page figures: 1,000 pairs (each pair is tens of thousands). */
#define NBIG	1000

/*
 * On two domains, the pairs above split by the domain of their page.
 * DOMAINSET_RR() on one hart alternates the domains, so the even pairs are
 * in one domain and the odd ones in the other; the next two allocations
 * (pairs BENCH_PAIRS and BENCH_PAIRS + 1, BENCH_PAIRS even) say which,
 * and that they alternate.  Call before bench_report sorts bench_s.
 */
static void
bench_by_domain(void)
{
	static uint64_t half[2][BENCH_PAIRS / 2];
	vm_offset_t va;
	char name[96];
	int d[2], i, k;

	if (vm_ndomains != 2)
		return;
	for (k = 0; k < 2; k++) {
		va = kmem_malloc(PAGE_SIZE, M_WAITOK);
		d[k] = vm_phys_domain(pmap_kextract(va));
		kmem_free(va, PAGE_SIZE);
	}
	if (d[0] == d[1]) {
		printf("# kmem pairs by domain: the domains do not alternate\n");
		return;
	}
	for (i = 0; i < BENCH_PAIRS; i++)
		half[i % 2][i / 2] = bench_s[i];
	for (k = 0; k < 2; k++) {
		snprintf(name, sizeof(name), "kmem_malloc(4 KiB, M_WAITOK) + "
		    "kmem_free, the pairs in domain %d", d[k]);
		bench_report("kmem", name, half[k], BENCH_PAIRS / 2);
	}
}

int
main(void)
{
	vm_offset_t va, items[BENCH_BURST];
	uint64_t first;
	char fig[64];
	size_t n;
	int i, j;

	/*
	 * No warm-up: the first pairs fill the per-hart caches and the
	 * quantum cache, and the tail (p99.9, max) is what those fills cost.
	 */
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], {
			va = kmem_malloc(PAGE_SIZE, M_WAITOK);
			kmem_free(va, PAGE_SIZE);
		});
	bench_by_domain();
	bench_report("kmem", "kmem_malloc(4 KiB, M_WAITOK) + kmem_free", bench_s,
	    BENCH_PAIRS);
	n = BENCH_BURSTS(items, j, kmem_malloc(PAGE_SIZE, M_WAITOK),
	    kmem_free(items[j], PAGE_SIZE));
	bench_report("kmem", "kmem_malloc(4 KiB) or kmem_free in bursts of 64",
	    bench_s, n);

	/*
	 * The first kva pair fills kernel_arena's quantum cache: a magazine
	 * and a round-table leaf from the backend, perhaps a span import.
	 * Like an import it has no bound of its own: its own figure.
	 */
	BENCH_SAMPLE(first, {
		va = kva_alloc(PAGE_SIZE);
		kva_free(va, PAGE_SIZE);
	});
	snprintf(fig, sizeof(fig), "%llu (cache fill from the backend)",
	    (unsigned long long)first);
	bench_figure("kmem", "kva_alloc + kva_free, first pair", fig);
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], {
			va = kva_alloc(PAGE_SIZE);
			kva_free(va, PAGE_SIZE);
		});
	bench_report("kmem", "kva_alloc(4 KiB) + kva_free", bench_s,
	    BENCH_PAIRS);
	n = BENCH_BURSTS(items, j, kva_alloc(PAGE_SIZE),
	    kva_free(items[j], PAGE_SIZE));
	bench_report("kmem", "kva_alloc(4 KiB) or kva_free in bursts of 64",
	    bench_s, n);

	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], {
			va = kmem_malloc(64 * 1024, M_WAITOK);
			kmem_free(va, 64 * 1024);
		});
	bench_report("kmem", "kmem_malloc(64 KiB) + kmem_free", bench_s,
	    BENCH_PAIRS);

	for (i = 0; i < NBIG; i++)
		BENCH_SAMPLE(bench_s[i], {
			va = kmem_malloc(L2_SIZE, M_WAITOK);
			kmem_free(va, L2_SIZE);
		});
	bench_report("kmem", "kmem_malloc(2 MiB, one superpage) + kmem_free",
	    bench_s, NBIG);

	for (i = 0; i < NBIG; i++)
		BENCH_SAMPLE(bench_s[i], {
			va = kmem_alloc_contig(1UL << 20, M_WAITOK, 0, ~0UL,
			    1UL << 20, 0, VM_MEMATTR_DEFAULT);
			kmem_free(va, 1UL << 20);
		});
	bench_report("kmem", "kmem_alloc_contig(1 MiB, 1 MiB aligned) + "
	    "kmem_free", bench_s, NBIG);
	return (0);
}
