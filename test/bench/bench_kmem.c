/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Instructions per kmem operation (QEMU -icount shift=0): the seed's
 * kmem_malloc/kmem_free pair for one page, kva_alloc/kva_free, 64 KiB and
 * 2 MiB allocations, and a 1 MiB aligned kmem_alloc_contig.
 */
#include <kmem.h>
#include "bench.h"

const bool kmem_boot_quiet = true;

#define N	10000
static uint64_t s[N];

int
main(void)
{
	vm_offset_t va;
	int i;

	/* Warm up the caches the common path uses. */
	for (i = 0; i < 64; i++)
		kmem_free(kmem_malloc(PAGE_SIZE, M_WAITOK), PAGE_SIZE);
	for (i = 0; i < N; i++)
		BENCH_SAMPLE(s[i], {
			va = kmem_malloc(PAGE_SIZE, M_WAITOK);
			kmem_free(va, PAGE_SIZE);
		});
	bench_report("kmem", "kmem_malloc(4 KiB, M_WAITOK) + kmem_free", s, N);

	for (i = 0; i < 64; i++)
		kva_free(kva_alloc(PAGE_SIZE), PAGE_SIZE);
	for (i = 0; i < N; i++)
		BENCH_SAMPLE(s[i], {
			va = kva_alloc(PAGE_SIZE);
			kva_free(va, PAGE_SIZE);
		});
	bench_report("kmem", "kva_alloc(4 KiB) + kva_free", s, N);

	for (i = 0; i < 1000; i++)
		BENCH_SAMPLE(s[i], {
			va = kmem_malloc(64 * 1024, M_WAITOK);
			kmem_free(va, 64 * 1024);
		});
	bench_report("kmem", "kmem_malloc(64 KiB) + kmem_free", s, 1000);

	for (i = 0; i < 200; i++)
		BENCH_SAMPLE(s[i], {
			va = kmem_malloc(L2_SIZE, M_WAITOK);
			kmem_free(va, L2_SIZE);
		});
	bench_report("kmem", "kmem_malloc(2 MiB, one superpage) + kmem_free",
	    s, 200);

	for (i = 0; i < 200; i++)
		BENCH_SAMPLE(s[i], {
			va = kmem_alloc_contig(1UL << 20, M_WAITOK, 0, ~0UL,
			    1UL << 20, 0, VM_MEMATTR_DEFAULT);
			kmem_free(va, 1UL << 20);
		});
	bench_report("kmem", "kmem_alloc_contig(1 MiB, 1 MiB aligned) + "
	    "kmem_free", s, 200);
	return (0);
}
