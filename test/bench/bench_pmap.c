/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_pmap: instructions per pmap operation (QEMU -icount shift=0).
 *
 *  - pmap_kenter + pmap_kremove of one page, local sfence and the
 *    remote shootdown hook included (and those two hooks alone);
 *  - pmap_kextract of a mapped KVA page, and of a DMAP address;
 *  - pmap_enter of one 4 KiB page and pmap_remove of it (kmem's path);
 *  - 2 MiB: pmap_enter psind 1 + pmap_remove, against 512 pmap_enter
 *    psind 0 + one pmap_remove of the range; pmap_kenter of 2 MiB.
 */
#include <kmem/pmap.h>
#include <kmem/startup.h>
#include <kmem/vm_kern.h>
#include <kmem/vm_page.h>
#include <kmem/vm_param.h>

#include "bench.h"

/* kmem may not be linked in or up yet: then a fixed KVA range is used. */
#pragma weak kva_alloc

/* 2 MiB as 512 small pages: 45,000 instructions a sample, 21 samples. */
#define N512	21

int
main(void)
{
	vm_offset_t va, big;
	vm_paddr_t pa, sink;
	vm_page_t m, run;
	int i, j;

	if ((kmem_up & KMEM_UP_KMEM) != 0 && kva_alloc != NULL) {
		va = kva_alloc(8 * L2_SIZE);
		va = roundup2(va, L2_SIZE);
	} else
		va = VM_MIN_KERNEL_ADDRESS + 48 * L1_SIZE;
	big = va + 2 * L2_SIZE;
	m = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT);
	run = vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT, 512, 0,
	    ~(vm_paddr_t)0, L2_SIZE, 0, VM_MEMATTR_DEFAULT);
	if (m == NULL || run == NULL) {
		printf("bench_pmap: no memory\n");
		return (1);
	}
	pa = VM_PAGE_TO_PHYS(m);

	/*
	 * The first pair at a fresh address allocates the page-table pages
	 * on the way to va: a cost no bound can remove, so it is its own
	 * figure (n 1) and the pairs after it find the tables in place.
	 */
	BENCH_SAMPLE(bench_s[0], {
		pmap_kenter(va, PAGE_SIZE, pa, VM_MEMATTR_DEFAULT);
		pmap_kremove(va);
	});
	bench_report("pmap", "first kenter+kremove (allocates page-table "
	    "pages)", bench_s, 1);
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], {
			pmap_kenter(va, PAGE_SIZE, pa, VM_MEMATTR_DEFAULT);
			pmap_kremove(va);
		});
	bench_report("pmap", "kenter+kremove 4 KiB (flush included)", bench_s,
	    BENCH_PAIRS);
	/* The machine hooks inside that figure, on their own. */
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], { md_tlb_flush_page(va); });
	bench_report("pmap", "  of which md_tlb_flush_page (x2)", bench_s,
	    BENCH_PAIRS);
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], { md_tlb_shootdown(va, va + PAGE_SIZE); });
	bench_report("pmap", "  of which md_tlb_shootdown (1 hart)", bench_s,
	    BENCH_PAIRS);

	pmap_kenter(va, PAGE_SIZE, pa, VM_MEMATTR_DEFAULT);
	sink = 0;
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], { sink += pmap_kextract(va + 8); });
	bench_report("pmap", "kextract KVA 4 KiB page", bench_s,
	    BENCH_PAIRS);
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], {
			sink += pmap_kextract(PHYS_TO_DMAP(pa) + 8);
		});
	bench_report("pmap", "kextract DMAP", bench_s,
	    BENCH_PAIRS);
	pmap_kremove(va);

	/*
	 * kmem's path: pmap_enter of one wired RW page whose L3 table
	 * exists, then pmap_remove of it, each on its own (the other outside
	 * the sample), and VM_PAGE_TO_PHYS alone (pmap_enter pays it once).
	 */
	for (i = 0; i < BENCH_PAIRS; i++) {
		BENCH_SAMPLE(bench_s[i], {
			pmap_enter(kernel_pmap, va, m, VM_PROT_RW,
			    VM_PROT_RW | PMAP_ENTER_WIRED, 0);
		});
		pmap_remove(kernel_pmap, va, va + PAGE_SIZE);
	}
	bench_report("pmap", "pmap_enter 4 KiB (L3 table exists)", bench_s,
	    BENCH_PAIRS);
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], { sink += VM_PAGE_TO_PHYS(m); });
	bench_report("pmap", "  of which VM_PAGE_TO_PHYS", bench_s,
	    BENCH_PAIRS);
	for (i = 0; i < BENCH_PAIRS; i++) {
		pmap_enter(kernel_pmap, va, m, VM_PROT_RW,
		    VM_PROT_RW | PMAP_ENTER_WIRED, 0);
		BENCH_SAMPLE(bench_s[i], {
			pmap_remove(kernel_pmap, va, va + PAGE_SIZE);
		});
	}
	bench_report("pmap", "pmap_remove 4 KiB (shootdown included)", bench_s,
	    BENCH_PAIRS);

	/* 2 MiB: one superpage, then 512 small pages, then kenter. */
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], {
			pmap_enter(kernel_pmap, big, run, VM_PROT_RW,
			    VM_PROT_RW | PMAP_ENTER_WIRED, 1);
			pmap_remove(kernel_pmap, big, big + L2_SIZE);
		});
	bench_report("pmap", "2 MiB enter psind 1 + remove", bench_s,
	    BENCH_PAIRS);
	sink += pmap_kextract(big);
	for (i = 0; i < N512; i++)
		BENCH_SAMPLE(bench_s[i], {
			for (j = 0; j < 512; j++)
				pmap_enter(kernel_pmap, big + ptoa(j), run + j,
				    VM_PROT_RW, VM_PROT_RW | PMAP_ENTER_WIRED,
				    0);
			pmap_remove(kernel_pmap, big, big + L2_SIZE);
		});
	bench_report("pmap", "2 MiB as 512 x enter psind 0 + remove", bench_s,
	    N512);
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], {
			pmap_kenter(big, L2_SIZE, VM_PAGE_TO_PHYS(run),
			    VM_MEMATTR_DEFAULT);
			pmap_remove(kernel_pmap, big, big + L2_SIZE);
		});
	bench_report("pmap", "2 MiB kenter (one leaf) + remove", bench_s,
	    BENCH_PAIRS);
	(void)sink;
	vm_page_free_contig(run, 512);
	vm_page_free(m);
	return (0);
}
