/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The payload the gdb helpers are checked against: it allocates, prints
 * what it sees in the form `kmem ...` prints it (lines "want: ..."), then
 * stops in kmem_gdb_stop() where gdb reads the same figures.
 */
#include <stdio.h>

#include <kmem.h>

const bool kmem_boot_quiet = true;

/* The breakpoint: gdb stops here with everything below printed. */
void kmem_gdb_stop(void);
void __attribute__((__noinline__))
kmem_gdb_stop(void)
{

	__asm__ volatile("" ::: "memory");
}

static void
want_arena(vmem_t *vm, void *arg)
{

	(void)arg;
	printf("want: arena size %lu inuse %lu\n",
	    (u_long)vmem_size(vm, VMEM_ALLOC | VMEM_FREE),
	    (u_long)vmem_size(vm, VMEM_ALLOC));
}

int
main(void)
{
	struct vm_phys_stats ps;
	pt_entry_t ptes[4];
	vm_offset_t va;
	vm_paddr_t pa;
	int d, i, n;

	va = kmem_malloc(64 * 1024, M_WAITOK);
	pa = pmap_kextract(va);
	vm_page_cache_drain();
	vm_phys_stats(&ps);
	for (d = 0; d < ps.ndomains; d++) {
		printf("want: domain %d: %lu pages, %lu free on the lists, "
		    "%lu cached; blocks by order:", d, ps.dom[d].npages,
		    ps.dom[d].free - ps.dom[d].cached, ps.dom[d].cached);
		for (i = 0; i < VM_NFREEORDER; i++)
			printf(" %lu", ps.dom[d].blocks[i]);
		printf("\n");
	}
	vmem_foreach(want_arena, NULL);
	printf("want: va 0x%lx pa 0x%lx\n", (u_long)va, (u_long)pa);
	n = pmap_kwalk(va, ptes, 4);
	for (i = 0; i < n; i++)
		printf("want: pte 0x%016lx\n", (u_long)ptes[i]);
	printf("want: page 0x%lx domain %d\n", (u_long)pa, vm_phys_domain(pa));
	kmem_gdb_stop();
	kmem_free(va, 64 * 1024);
	return (0);
}
