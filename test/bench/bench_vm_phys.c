/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_vm_phys.c: instruction counts of the page allocator (run with
 * --icount; scripts/qemu-run ELF --icount --numa 2 --smp 4 --mem 512M).
 *
 *  - single-page alloc+free pair (no zeroing): the per-hart cache path;
 *    also the pair with the cache bypassed (buddy: lock, split, coalesce);
 *  - a 2 MiB aligned 2 MiB run, alloc + free_contig;
 *  - a 64 KiB run that must not cross 128 KiB, alloc + free_contig;
 *  - vm_phys_init's cost (measured by vm_phys_init itself at boot) per
 *    GiB, and the metadata bytes per page.
 */
#include <stdio.h>

#include <kmem/machine.h>
#include <kmem/vm_page.h>
#include <kmem/vm_phys.h>

#include "bench.h"

/* Multi-page runs: 1,000 pairs. */
#define NBIG	1000

int
main(void)
{
	struct vm_phys_stats st;
	char buf[96];
	vm_page_t m, warm[BENCH_BURST];
	uint64_t boot;
	u_long pages;
	size_t n;
	int i, j, d;

	/* Boot cost: OpenSBI, kmem_startup (vm_phys_init and all) and _start. */
	boot = md_instret();

	/* From a cold per-hart cache: the tail is the pair that fills it. */
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], {
			m = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT);
			vm_page_free(m);
		});
	bench_report("vm_phys", "page alloc+free pair (cache)", bench_s,
	    BENCH_PAIRS);

	/* Bursts: refills and drains of the cache included. */
	n = BENCH_BURSTS(warm, j, vm_page_alloc_noobj_domain(0,
	    VM_ALLOC_NOWAIT), vm_page_free(warm[j]));
	bench_report("vm_phys", "page alloc or free in bursts of 64 (refill/"
	    "drain)", bench_s, n);

	/* Buddy path: allocate from domain 0 through a 1-page contig run. */
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], {
			m = vm_page_alloc_noobj_contig_domain(0,
			    VM_ALLOC_NOWAIT, 1, 0, ~(vm_paddr_t)0, 0, 0, 0);
			vm_page_free_contig(m, 1);
		});
	bench_report("vm_phys", "1-page contig alloc+free_contig (buddy, "
	    "locked)", bench_s, BENCH_PAIRS);

	d = vm_ndomains - 1;
	for (i = 0; i < NBIG; i++)
		BENCH_SAMPLE(bench_s[i], {
			m = vm_page_alloc_noobj_contig_domain(d,
			    VM_ALLOC_NOWAIT, 512, 0, ~(vm_paddr_t)0, L2_SIZE,
			    0, 0);
			vm_page_free_contig(m, 512);
		});
	bench_report("vm_phys", "2 MiB aligned 2 MiB contig alloc+free",
	    bench_s, NBIG);
	for (i = 0; i < BENCH_PAIRS; i++)
		BENCH_SAMPLE(bench_s[i], {
			m = vm_page_alloc_noobj_contig_domain(d,
			    VM_ALLOC_NOWAIT, 16, 0, ~(vm_paddr_t)0, 0,
			    128 * 1024, 0);
			vm_page_free_contig(m, 16);
		});
	bench_report("vm_phys", "64 KiB contig (128 KiB boundary) alloc+free",
	    bench_s, BENCH_PAIRS);

	vm_phys_stats(&st);
	pages = 0;
	for (d = 0; d < st.ndomains; d++)
		pages += st.dom[d].npages;
	snprintf(buf, sizeof(buf), "%lu instructions from reset to main() "
	    "with %lu MiB", (u_long)boot, pages >> 8);
	bench_figure("vm_phys", "boot", buf);
	snprintf(buf, sizeof(buf), "%lu.%03lu bytes/page (%lu bytes)",
	    st.meta_milli_per_page / 1000, st.meta_milli_per_page % 1000,
	    st.meta_bytes);
	bench_figure("vm_phys", "page metadata", buf);
	return (0);
}
