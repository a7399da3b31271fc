/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pmap's bookkeeping at its edges, on the host twin: memory
 * attributes recorded as runs of pages (runs that grow at either end,
 * split in the middle, shrink and vanish; more runs than the table holds
 * panics naming pmap_page_set_memattr and the address, with nothing
 * changed), bad arguments that panic, what other pmaps get, device
 * mappings until their table is full, and calls that map nothing.
 */
#include <stdio.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"
#include "expect_panic.h"

#define NRUNS	64		/* PMAP_ATTR_RUNS */

static vm_page_t pg;		/* 2 * NRUNS + 8 contiguous pages */

static vm_memattr_t
attr(int i)
{

	return (pmap_page_get_memattr(pg + i));
}

static void
runs(void)
{
	char where[32];
	int i, n;

	pg = vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT,
	    2 * NRUNS + 8, 0, ~(vm_paddr_t)0, PAGE_SIZE, 0,
	    VM_MEMATTR_DEFAULT);
	ok(pg != NULL, "%d contiguous pages", 2 * NRUNS + 8);
	/* Pages 1..3 uncacheable: a run that grows at its end, then its
	   start. */
	pmap_page_set_memattr(pg + 2, VM_MEMATTR_UNCACHEABLE);
	pmap_page_set_memattr(pg + 3, VM_MEMATTR_UNCACHEABLE);
	pmap_page_set_memattr(pg + 1, VM_MEMATTR_UNCACHEABLE);
	pmap_page_set_memattr(pg + 2, VM_MEMATTR_UNCACHEABLE);	/* again */
	ok(attr(0) == VM_MEMATTR_DEFAULT && attr(1) == VM_MEMATTR_UNCACHEABLE &&
	    attr(2) == VM_MEMATTR_UNCACHEABLE && attr(3) ==
	    VM_MEMATTR_UNCACHEABLE && attr(4) == VM_MEMATTR_DEFAULT,
	    "a run of three uncacheable pages");
	/* The middle one to device: the run splits. */
	pmap_page_set_memattr(pg + 2, VM_MEMATTR_DEVICE);
	ok(attr(1) == VM_MEMATTR_UNCACHEABLE && attr(2) == VM_MEMATTR_DEVICE &&
	    attr(3) == VM_MEMATTR_UNCACHEABLE, "the middle page set to "
	    "device splits the run");
	/* Back to default from either end, then the rest. */
	pmap_page_set_memattr(pg + 1, VM_MEMATTR_DEFAULT);
	pmap_page_set_memattr(pg + 3, VM_MEMATTR_DEFAULT);
	pmap_page_set_memattr(pg + 2, VM_MEMATTR_DEFAULT);
	ok(attr(1) == VM_MEMATTR_DEFAULT && attr(2) == VM_MEMATTR_DEFAULT &&
	    attr(3) == VM_MEMATTR_DEFAULT, "all back to default");
	/* A four-page run, its second page out: a split with the tail
	   kept.  Then every other page: the table fills. */
	for (i = 0; i < 4; i++)
		pmap_page_set_memattr(pg + 8 + i, VM_MEMATTR_UNCACHEABLE);
	pmap_page_set_memattr(pg + 9, VM_MEMATTR_DEFAULT);
	ok(attr(8) == VM_MEMATTR_UNCACHEABLE && attr(9) == VM_MEMATTR_DEFAULT &&
	    attr(10) == VM_MEMATTR_UNCACHEABLE, "a split keeps both ends");
	for (i = 0; i < 4; i++)
		pmap_page_set_memattr(pg + 8 + i, VM_MEMATTR_DEFAULT);
	for (n = 0, i = 0; n < NRUNS; n++, i += 2)
		pmap_page_set_memattr(pg + i, VM_MEMATTR_UNCACHEABLE);
	snprintf(where, sizeof(where), "0x%lx", (u_long)VM_PAGE_TO_PHYS(pg +
	    i));
	EXPECT_PANIC(pmap_page_set_memattr(pg + i, VM_MEMATTR_UNCACHEABLE),
	    "pmap_page_set_memattr", where, "a run more than the table holds");
	ok(attr(i) == VM_MEMATTR_DEFAULT, "... and the page keeps its "
	    "attribute");
	/* The last run grows to three pages; splitting it needs a run more:
	   that panics too, and the run stays whole. */
	pmap_page_set_memattr(pg + i - 1, VM_MEMATTR_UNCACHEABLE);
	pmap_page_set_memattr(pg + i, VM_MEMATTR_UNCACHEABLE);
	EXPECT_PANIC(pmap_page_set_memattr(pg + i - 1, VM_MEMATTR_DEFAULT),
	    "pmap_page_set_memattr", "runs", "splitting a run with the table "
	    "full");
	ok(attr(i - 2) == VM_MEMATTR_UNCACHEABLE && attr(i - 1) ==
	    VM_MEMATTR_UNCACHEABLE && attr(i) == VM_MEMATTR_UNCACHEABLE,
	    "... and the run is whole");
	for (i = 0; i < 2 * NRUNS + 8; i++)
		pmap_page_set_memattr(pg + i, VM_MEMATTR_DEFAULT);
	for (n = i = 0; i < 2 * NRUNS + 8; i++)
		n += attr(i) != VM_MEMATTR_DEFAULT;
	ok(n == 0, "every page back to default (%d are not)", n);
	vm_page_free_contig(pg, 2 * NRUNS + 8);
}

static void
bad_arguments(void)
{
	vm_page_t m;

	EXPECT_PANIC(pmap_page_set_memattr(NULL, VM_MEMATTR_DEVICE),
	    "pmap_page_set_memattr", "unknown attribute", "a NULL page");
	m = vm_page_alloc_noobj(VM_ALLOC_NOWAIT);
	EXPECT_PANIC(pmap_page_set_memattr(m, 77), "pmap_page_set_memattr",
	    "77", "an unknown attribute");
	EXPECT_PANIC(pmap_zero_page(NULL), "pmap_zero_page", "NULL",
	    "pmap_zero_page(NULL)");
	ok(pmap_extract(NULL, PHYS_TO_DMAP(VM_PAGE_TO_PHYS(m))) == 0,
	    "pmap_extract of a pmap other than the kernel's is 0");
	vm_page_free(m);
}

/* Device mappings until the table is full; empty calls do nothing. */
static void
devmaps_and_empty_calls(void)
{
	void *p[40];
	vm_offset_t va;
	int i, n;

	p[0] = pmap_mapdev(0x50000000UL, 2 * PAGE_SIZE);
	ok(p[0] != NULL && pmap_mapdev(0x50000000UL + PAGE_SIZE, PAGE_SIZE) ==
	    NULL, "a range overlapping one already mapped: NULL");
	pmap_unmapdev(p[0], 2 * PAGE_SIZE);
	for (n = 0; n < 40; n++) {
		p[n] = pmap_mapdev(0x40000000UL + (vm_paddr_t)n * 0x10000,
		    PAGE_SIZE);
		if (p[n] == NULL)
			break;
	}
	ok(n > 0 && n < 40, "pmap_mapdev answers NULL once its table is "
	    "full (after %d mappings)", n);
	for (i = 0; i < n; i++)
		pmap_unmapdev(p[i], PAGE_SIZE);
	p[0] = pmap_mapdev(0x40000000UL, PAGE_SIZE);
	ok(p[0] != NULL, "with the table emptied, pmap_mapdev works again");
	pmap_unmapdev(p[0], PAGE_SIZE);
	va = kva_alloc(PAGE_SIZE);
	pmap_kenter(va, 0, 0x80000000UL, VM_MEMATTR_DEFAULT);
	pmap_qremove(va, 0);
	pmap_qenter(va, NULL, 0);
	ok(pmap_kextract(va) == 0, "pmap_kenter of 0 bytes, pmap_qenter and "
	    "pmap_qremove of 0 pages map nothing");
	kva_free(va, PAGE_SIZE);
}

int
main(void)
{
	struct fdt_machine m;

	ok(host_boot(&m, 1) == 0, "kmem boots");
	runs();
	bad_arguments();
	devmaps_and_empty_calls();
	return (tap_done());
}
