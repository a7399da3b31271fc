/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The demo payload: the memory manager is up before main() runs (the
 * machine and the memory map were printed during boot); main() walks
 * through the API.  scripts/demo boots it on QEMU virt with 2 NUMA nodes
 * and 4 harts.
 */
#include <stdio.h>
#include <string.h>

#include <kmem.h>

/*
 * Print the figures a person reads, and a machine-readable snapshot
 * (kmem_report_json: JSON lines that scripts/memplot draws).
 */
static void
stats(const char *when)
{
	struct kmem_stats st;
	int d;

	kmem_report_json();
	kmem_stats(&st);
	printf("  [%s] free pages:", when);
	for (d = 0; d < st.ndomains; d++)
		printf(" domain %d %u (%u MiB)", d, st.domain_free_pages[d],
		    st.domain_free_pages[d] >> 8);
	printf("\n  [%s] kernel arena %lu KiB in use; commit %lu/%lu KiB\n",
	    when, (u_long)(st.kernel_arena_alloc >> 10),
	    (u_long)(st.commit_used >> 10), (u_long)(st.commit_limit >> 10));
}

static void
where(const char *what, vm_offset_t va, vm_size_t size)
{
	u_int per[MAXMEMDOM] = { 0 };
	vm_offset_t o;
	int d;

	for (o = 0; o < size; o += PAGE_SIZE)
		per[vm_phys_domain(pmap_kextract(va + o))]++;
	printf("  %-34s va 0x%016lx, first pa 0x%09lx; pages per domain:",
	    what, va, (u_long)pmap_kextract(va));
	for (d = 0; d < vm_ndomains; d++)
		printf(" %d:%u", d, per[d]);
	printf("\n");
}

/* A cache that a lowmem handler empties. */
static vm_offset_t cache[8];

static void
cache_lowmem(void *arg, int flags)
{
	int i, n;

	(void)arg;
	for (i = n = 0; i < 8; i++)
		if (cache[i] != 0) {
			kmem_free(cache[i], 64 * 1024);
			cache[i] = 0;
			n++;
		}
	printf("  lowmem handler (flags %#x): gave back %d cached buffers\n",
	    flags, n);
}

/*
 * Fill memory with 16 KiB buffers spread over the domains, free every
 * other one (the buddy lists fragment: the holes cannot coalesce), take a
 * big buffer from the last domain, then give everything back.  A snapshot
 * after each step shows it happen.
 */
#define FRAG_BUFS	(20 * 1024)	/* 320 MiB of 16 KiB buffers */
static vm_offset_t frag[FRAG_BUFS];

static void
fragment(void)
{
	vm_offset_t big;
	int i, step;

	for (step = 0; step < 4; step++) {
		for (i = step * FRAG_BUFS / 4; i < (step + 1) * FRAG_BUFS / 4;
		    i++)
			frag[i] = kmem_malloc(16 * 1024, M_WAITOK);
		stats(step == 3 ? "320 MiB in 16 KiB buffers" :
		    "filling with 16 KiB buffers");
	}
	/* Round robin gives i's domain by i's parity: free pairs. */
	for (i = 0; i < FRAG_BUFS; i++) {
		if ((i & 2) != 0)
			continue;
		kmem_free(frag[i], 16 * 1024);
		frag[i] = 0;
	}
	kmem_free_flush();
	vm_page_cache_drain();
	stats("every other buffer freed");
	big = kmem_malloc_domainset(DOMAINSET_PREF(vm_ndomains - 1),
	    32UL << 20, M_WAITOK);
	stats("32 MiB more from the last domain");
	kmem_free(big, 32UL << 20);
	for (i = 0; i < FRAG_BUFS; i++)
		if (frag[i] != 0)
			kmem_free(frag[i], 16 * 1024);
	kmem_free_flush();
	vm_page_cache_drain();
	stats("all freed");
}

typedef long (*fn_t)(long);

struct hart_report {
	u_int		hartid;
	int		hart_domain;
	int		page_domain;
};
static struct hart_report reports[MAXCPU];

static void
hart_alloc(void *arg)
{
	u_int cpu = md_cpuid();
	vm_offset_t va;

	(void)arg;
	va = kmem_malloc_domainset(DOMAINSET_FT(), PAGE_SIZE, M_WAITOK);
	reports[cpu].hartid = md_hartid();
	reports[cpu].hart_domain = md_cpu_domain(cpu);
	reports[cpu].page_domain = vm_phys_domain(pmap_kextract(va));
	kmem_free(va, PAGE_SIZE);
}

int
main(void)
{
	vm_offset_t va, sub_min, sub_max, a;
	static struct vm_map demo_map;
	void *tag;
	uint32_t *code;
	vm_paddr_t pa;
	u_int i;
	int d;

	printf("\n== kmem demo: hart %u (cpu %u of %u harts) is in main() ==\n",
	    md_hartid(), md_cpuid(), kmem_smp_ncpus());
	stats("start");

	printf("\n-- kmem_malloc_domainset: memory from the domain you ask --\n");
	for (d = 0; d < vm_ndomains; d++) {
		char what[40];

		va = kmem_malloc_domainset(DOMAINSET_PREF(d), 256 * 1024,
		    M_WAITOK | M_ZERO);
		snprintf(what, sizeof(what), "PREF(%d), 256 KiB, M_ZERO:", d);
		where(what, va, 256 * 1024);
		kmem_free(va, 256 * 1024);
	}

	printf("\n-- every hart allocates with DOMAINSET_FT() (first touch) --\n");
	kmem_smp_run_all(hart_alloc, NULL);
	for (i = 0; i < kmem_smp_ncpus(); i++)
		printf("  cpu %u (hart %u, node %d): page from domain %d\n", i,
		    reports[i].hartid, reports[i].hart_domain,
		    reports[i].page_domain);

	printf("\n-- kmem_alloc_contig: a DMA buffer below 4 GiB --\n");
	va = kmem_alloc_contig(64 * 1024, M_WAITOK | M_ZERO, 0, 1UL << 32,
	    64 * 1024, 1UL << 20, VM_MEMATTR_DEFAULT);
	pa = pmap_kextract(va);
	where("64 KiB, align 64 KiB, boundary 1 MiB:", va, 64 * 1024);
	printf("  physically contiguous: %s; aligned: %s; crosses 1 MiB: %s\n",
	    pmap_kextract(va + 60 * 1024) == pa + 60 * 1024 ? "yes" : "NO",
	    (pa & 0xffff) == 0 ? "yes" : "NO",
	    (pa >> 20) != ((pa + 64 * 1024 - 1) >> 20) ? "YES" : "no");
	kmem_free(va, 64 * 1024);

	printf("\n-- M_EXEC: a buffer that runs code --\n");
	va = kmem_malloc(PAGE_SIZE, M_WAITOK | M_EXEC);
	code = (uint32_t *)va;
	code[0] = 0x00150513;		/* addi a0, a0, 1 */
	code[1] = 0x00008067;		/* ret */
	__asm__ volatile("fence.i" ::: "memory");
	printf("  wrote 2 instructions at 0x%lx; calling it with 41 returns "
	    "%ld\n", va, ((fn_t)va)(41));
	kmem_free(va, PAGE_SIZE);

	printf("\n-- a submap with demand-zero pages --\n");
	kmem_subinit(&demo_map, kernel_map, &sub_min, &sub_max, 4UL << 20,
	    false);
	printf("  submap 0x%lx-0x%lx (4 MiB)\n", sub_min, sub_max);
	a = kmap_alloc_wait(&demo_map, 1UL << 20);
	printf("  kmap_alloc_wait(1 MiB) = 0x%lx; pages backed now: %s\n", a,
	    pmap_kextract(a) != 0 ? "some" : "none");
	printf("  first touch reads %lu; ", *(volatile u_long *)(a + 8192));
	*(volatile u_long *)(a + 8192) = 0xfeed;
	printf("after a write it reads %#lx; backed now: page at +8 KiB only "
	    "(%s, %s)\n", *(volatile u_long *)(a + 8192),
	    pmap_kextract(a + 8192) != 0 ? "yes" : "no",
	    pmap_kextract(a) != 0 ? "+0 yes" : "+0 no");
	stats("submap in use");
	kmap_free_wakeup(&demo_map, a, 1UL << 20);

	printf("\n-- fragmentation: many buffers, then every other one freed --\n");
	fragment();

	printf("\n-- lowmem: a registered handler gives memory back --\n");
	for (i = 0; i < 8; i++)
		cache[i] = kmem_malloc(64 * 1024, M_WAITOK);
	tag = vm_lowmem_register(cache_lowmem, NULL);
	stats("cache full");
	printf("  vm_lowmem_trigger(VM_LOW_KMEM) = %d\n",
	    vm_lowmem_trigger(VM_LOW_KMEM));
	printf("  vm_lowmem_trigger(0x80) = %d (EINVAL is %d)\n",
	    vm_lowmem_trigger(0x80), EINVAL);
	vm_lowmem_deregister(tag);
	stats("end");

	printf("\n== demo done ==\n");
	return (0);
}
