/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kmem calls at their edges, on the host twin: KVA that runs out
 * (every allocating call answers 0, and all works again once it is
 * back), arguments the contracts reject (an error, or a panic naming
 * the call), pages mapped with a memory
 * attribute and given back with the default one, and the statistics
 * printer.
 */
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "capture.h"
#include "tap.h"
#include "expect_panic.h"

#define GIB	(1UL << 30)

static char out[4096];

static void
kva_runs_out(void)
{
	vm_offset_t big[64], va;
	vm_size_t bigsz[64], chunk;
	int n, i;

	/* Take the KVA in large pieces, then in ever smaller ones. */
	n = 0;
	for (chunk = 8 * GIB; chunk >= PAGE_SIZE && n < 64; chunk >>= 1)
		while (n < 64 && (big[n] = kva_alloc(chunk)) != 0)
			bigsz[n++] = chunk;
	ok(n > 4 && kva_alloc(PAGE_SIZE) == 0, "the kernel arena runs out "
	    "after %d pieces: kva_alloc answers 0", n);
	ok(kmem_malloc(PAGE_SIZE, M_NOWAIT) == 0 &&
	    kmem_malloc(L2_SIZE, M_NOWAIT) == 0 &&
	    kmem_alloc_attr(PAGE_SIZE, M_NOWAIT, 0, ~(vm_paddr_t)0,
	    VM_MEMATTR_DEFAULT) == 0 &&
	    kmem_alloc_contig(2 * PAGE_SIZE, M_NOWAIT, 0, ~(vm_paddr_t)0,
	    PAGE_SIZE, 0, VM_MEMATTR_DEFAULT) == 0,
	    "kmem_malloc, kmem_alloc_attr and kmem_alloc_contig answer 0 "
	    "(M_NOWAIT) without KVA");
	for (i = 0; i < n; i++)
		kva_free(big[i], bigsz[i]);
	va = kmem_malloc(PAGE_SIZE, M_NOWAIT);
	ok(va != 0, "with the KVA back, kmem_malloc works again");
	kmem_free(va, PAGE_SIZE);
}

static void
bad_arguments(void)
{
	struct vm_map sub;
	vm_offset_t va, min, max;

	ok(kmem_alloc_contig(PAGE_SIZE, M_NOWAIT, 0x90000000, 0x80000000,
	    PAGE_SIZE, 0, VM_MEMATTR_DEFAULT) == 0,
	    "kmem_alloc_contig with low >= high: 0");
	va = kva_alloc(2 * PAGE_SIZE);
	ok(kmem_back(NULL, va, 2 * PAGE_SIZE, M_NOWAIT) ==
	    KERN_INVALID_ARGUMENT && kmem_back_domain(vm_ndomains,
	    kernel_object, va, 2 * PAGE_SIZE, M_NOWAIT) ==
	    KERN_INVALID_ARGUMENT && kmem_back(kernel_object, va + 1,
	    PAGE_SIZE, M_NOWAIT) == KERN_INVALID_ARGUMENT &&
	    kmem_back(kernel_object, va, 2 * PAGE_SIZE, M_NOWAIT | M_WAITOK) ==
	    KERN_INVALID_ARGUMENT, "kmem_back of another object, a domain "
	    "out of range, an unaligned range or bad flags: "
	    "KERN_INVALID_ARGUMENT");
	ok(pmap_kextract(va) == 0, "... and nothing was mapped");
	EXPECT_PANIC(kmem_unback(NULL, va, 2 * PAGE_SIZE), "kmem_unback",
	    "kernel_object", "kmem_unback of another object");
	kva_free(va, 2 * PAGE_SIZE);
	kmem_subinit(&sub, kernel_map, &min, &max, 1UL << 20, false);
	ok(kmap_alloc_wait(&sub, 0) == 0 && kmap_alloc_wait(&sub, 2UL << 20)
	    == 0, "kmap_alloc_wait of 0 bytes or more than the submap: 0");
}

static void
memattr_pages(void)
{
	vm_offset_t va;
	vm_paddr_t pa;
	int i, n;

	va = kmem_alloc_contig(4 * PAGE_SIZE, M_WAITOK, 0, ~(vm_paddr_t)0,
	    PAGE_SIZE, 0, VM_MEMATTR_UNCACHEABLE);
	pa = pmap_kextract(va);
	for (i = n = 0; i < 4; i++)
		n += pmap_page_get_memattr(PHYS_TO_VM_PAGE(pa + ptoa(i))) ==
		    VM_MEMATTR_UNCACHEABLE;
	ok(va != 0 && n == 4, "kmem_alloc_contig(VM_MEMATTR_UNCACHEABLE): "
	    "its 4 pages carry the attribute");
	kmem_free(va, 4 * PAGE_SIZE);
	for (i = n = 0; i < 4; i++)
		n += pmap_page_get_memattr(PHYS_TO_VM_PAGE(pa + ptoa(i))) ==
		    VM_MEMATTR_DEFAULT;
	ok(n == 4, "kmem_free gives them back with the default attribute");
}

static void
stats_print(void)
{
	struct kmem_stats st;

	ok(kmem_domain_arena(0, false) != NULL &&
	    kmem_domain_arena(0, true) != NULL &&
	    kmem_domain_arena(0, false) != kmem_domain_arena(0, true) &&
	    kmem_domain_arena(-1, false) == NULL &&
	    kmem_domain_arena(vm_ndomains, true) == NULL,
	    "kmem_domain_arena: two arenas per domain, NULL outside");
	kmem_stats(&st);
	capture_begin();
	kmem_stats_print(&st);
	capture_end(out, sizeof(out));
	ok(strstr(out, "kmem: vm.min_kernel_address 0xffffffc000000000 "
	    "vm.max_kernel_address 0xffffffd000000000") != NULL,
	    "kmem_stats_print: the kernel's address range");
	ok(strstr(out, "kmem: kernel_map ") != NULL && strstr(out,
	    "; commit ") != NULL, "kmem_stats_print: kernel_map and commit");
	ok(strstr(out, "kmem: domain 1: ") != NULL, "kmem_stats_print: a "
	    "line per domain");
}

int
main(void)
{
	struct fdt_machine m;

	ok(host_boot(&m, 2) == 0, "kmem boots on 2 domains");
	kva_runs_out();
	bad_arguments();
	memattr_pages();
	stats_print();
	return (tap_done());
}
