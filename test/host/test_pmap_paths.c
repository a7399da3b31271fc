/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pmap's slower paths, on the host twin: page-table pages that cannot
 * be had (vm_page_fail_after) while the pmap's spare pages are used up,
 * seen by pmap_enter (it waits for free pages when another hart could
 * free some, and answers KERN_RESOURCE_SHORTAGE with NOSLEEP), pmap_kenter
 * and pmap_qenter (a panic naming the call, with what was mapped
 * undone) and pmap_mapdev (NULL, nothing left mapped); device mappings
 * of 2 MiB and more; arguments that panic; lookups of unmapped pages; a
 * page leaving the end of a memory-attribute run.
 */
#include <limits.h>
#include <stdio.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"
#include "expect_panic.h"
#include "kmem_account.h"

#define DEV_PA	0x40000000UL		/* no RAM there */

static vm_offset_t region, cursor;	/* fresh KVA, 2 MiB at a time */
static vm_page_t pg;			/* a page to map */

/* The next 2 MiB of KVA that no L3 table covers yet. */
static vm_offset_t
fresh(void)
{
	vm_offset_t va = cursor;

	cursor += L2_SIZE;
	return (va);
}

static struct pmap_counts
counts(void)
{
	struct pmap_counts pc;

	pmap_get_counts(kernel_pmap, &pc);
	return (pc);
}

/*
 * Use up the spare page-table pages beyond those promised to superpages,
 * so that the next table must come from the page allocator: map pg at
 * the start of fresh 2 MiB ranges.  Returns the last such va (0: none).
 */
static vm_offset_t
drain_spares(void)
{
	vm_offset_t va = 0;
	struct pmap_counts pc;

	for (pc = counts(); pc.spare > pc.superpages; pc = counts()) {
		va = fresh();
		pmap_kenter(va, PAGE_SIZE, VM_PAGE_TO_PHYS(pg),
		    VM_MEMATTR_DEFAULT);
	}
	return (va);
}

static void
enter_waits(void)
{
	struct pmap_counts before;
	vm_offset_t va;
	u_int n;
	int rv;

	(void)drain_spares();
	va = fresh();
	before = counts();
	n = host_smp_start(2);
	(void)vm_page_fail_after(0, false);
	rv = pmap_enter(kernel_pmap, va, pg, VM_PROT_RW, 0, 0);
	(void)vm_page_fail_after(-1, false);
	host_smp_stop();
	ok(n == 2 && rv == KERN_SUCCESS && pmap_kextract(va) ==
	    VM_PAGE_TO_PHYS(pg) && counts().ptalloc_fail ==
	    before.ptalloc_fail + 1, "pmap_enter whose table page is refused "
	    "once, with another hart running: it waits for free pages and "
	    "maps (%d)", rv);
	pmap_remove(kernel_pmap, va, va + PAGE_SIZE);
	ok(pmap_kextract(va) == 0, "... and pmap_remove unmaps it");
}

static void
superpage_short(void)
{
	vm_offset_t va;
	vm_page_t big;
	vm_paddr_t pa;
	int rv, rv2;

	big = vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT,
	    atop(L2_SIZE), 0, ~(vm_paddr_t)0, L2_SIZE, 0, VM_MEMATTR_DEFAULT);
	pa = VM_PAGE_TO_PHYS(big);
	(void)drain_spares();
	(void)fresh();		/* the region before va has its L2 table */
	va = fresh();
	(void)vm_page_fail_after(0, true);
	rv = pmap_enter(kernel_pmap, va, big, VM_PROT_RW, PMAP_ENTER_NOSLEEP,
	    1);
	(void)vm_page_fail_after(-1, false);
	ok(big != NULL && rv == KERN_RESOURCE_SHORTAGE && pmap_kextract(va) ==
	    0, "a superpage with no spare page-table page to promise it: "
	    "KERN_RESOURCE_SHORTAGE (NOSLEEP), nothing mapped (%d)", rv);
	rv = pmap_enter(kernel_pmap, va + PAGE_SIZE, big, VM_PROT_RW, 0, 1);
	rv2 = pmap_enter(kernel_pmap, va, big + 1, VM_PROT_RW, 0, 1);
	ok(rv == KERN_INVALID_ADDRESS && rv2 == KERN_INVALID_ARGUMENT,
	    "a superpage at a va or of a page not 2 MiB aligned: "
	    "KERN_INVALID_ADDRESS, KERN_INVALID_ARGUMENT");
	rv = pmap_enter(kernel_pmap, va, big, VM_PROT_RW, PMAP_ENTER_NOSLEEP,
	    1);
	ok(rv == KERN_SUCCESS && pmap_kextract(va + L2_SIZE - PAGE_SIZE) ==
	    pa + L2_SIZE - PAGE_SIZE, "with pages to be had it maps");
	pmap_remove(kernel_pmap, va, va + L2_SIZE);
	vm_page_free_contig(big, atop(L2_SIZE));
}

static void
kenter_undone(void)
{
	vm_offset_t va;
	char where[32];

	va = drain_spares();
	if (va == 0) {
		va = fresh();
		pmap_kenter(va, PAGE_SIZE, VM_PAGE_TO_PHYS(pg),
		    VM_MEMATTR_DEFAULT);
	}
	/* The last page of a range with an L3 table, then a fresh one. */
	va += L2_SIZE - PAGE_SIZE;
	cursor = va + PAGE_SIZE;
	(void)fresh();
	(void)vm_page_fail_after(0, true);
	EXPECT_PANIC(pmap_kenter(va, 2 * PAGE_SIZE, VM_PAGE_TO_PHYS(pg),
	    VM_MEMATTR_DEFAULT), "pmap_kenter", "no page-table page",
	    "pmap_kenter of two pages, the second with no page-table page");
	(void)vm_page_fail_after(-1, false);
	ok(pmap_kextract(va) == 0 && pmap_kextract(va + PAGE_SIZE) == 0,
	    "... and its first page is unmapped again");
	snprintf(where, sizeof(where), "0x%lx", va + L2_SIZE);
	(void)drain_spares();
	(void)vm_page_fail_after(0, true);
	EXPECT_PANIC(pmap_qenter(va + L2_SIZE, &pg, 1), "pmap_qenter",
	    where, "pmap_qenter of a page with no page-table page");
	(void)vm_page_fail_after(-1, false);
	ok(pmap_kextract(va + L2_SIZE) == 0, "... which stays unmapped");
	cursor = va + 2 * L2_SIZE + PAGE_SIZE;
	cursor = (cursor + L2_OFFSET) & ~L2_OFFSET;
}

static void
mapdev_paths(void)
{
	vm_paddr_t pa = DEV_PA + L2_SIZE - PAGE_SIZE;
	vm_size_t size = L2_SIZE + PAGE_SIZE;
	void *p;

	/* One page at the start of the DEVMAP: its tables stay. */
	p = pmap_mapdev(DEV_PA, PAGE_SIZE);
	ok(p == (void *)DEVMAP_MIN_ADDRESS, "the first device mapping is at "
	    "the start of the DEVMAP (%p)", p);
	pmap_unmapdev(p, PAGE_SIZE);
	/* Its last page in that table, then a superpage: no spare page to
	   back it and no table for 4 KiB pages either. */
	(void)drain_spares();
	(void)vm_page_fail_after(0, true);
	p = pmap_mapdev(pa, size);
	(void)vm_page_fail_after(-1, false);
	ok(p == NULL && pmap_kextract(DEVMAP_MIN_ADDRESS + L2_SIZE -
	    PAGE_SIZE) == 0, "pmap_mapdev of 2 MiB + 4 KiB with no page-table "
	    "page to be had: NULL, and its first page is unmapped again");
	p = pmap_mapdev(pa, size);
	ok(p != NULL && ((vm_offset_t)p & L2_OFFSET) == (pa & L2_OFFSET) &&
	    pmap_kextract((vm_offset_t)p) == pa &&
	    pmap_kextract((vm_offset_t)p + size - 1) == pa + size - 1,
	    "with pages to be had it maps, the VA at the PA's offset within "
	    "2 MiB (%p)", p);
	EXPECT_PANIC(pmap_unmapdev(p, 0), "pmap_unmapdev", "not a device "
	    "mapping", "pmap_unmapdev of 0 bytes");
	EXPECT_PANIC(pmap_unmapdev(p, ~(vm_size_t)0 - 8), "pmap_unmapdev",
	    "not a device mapping", "pmap_unmapdev of a size that wraps");
	pmap_unmapdev(p, size);
	ok(pmap_kextract((vm_offset_t)p) == 0, "pmap_unmapdev unmaps it");
	ok(pmap_mapdev(0x1000000000UL, 65UL << 30) == NULL &&
	    pmap_mapdev(1UL << 56, PAGE_SIZE) == NULL &&
	    pmap_mapdev((1UL << 56) - PAGE_SIZE, 2 * PAGE_SIZE) == NULL,
	    "a device range larger than the DEVMAP, or starting or ending "
	    "beyond 56 bits: NULL");
	p = pmap_mapdev(DEV_PA, PAGE_SIZE);
	EXPECT_PANIC(pmap_unmapdev((char *)p + 8, 0), "pmap_unmapdev",
	    "not a device mapping", "pmap_unmapdev of 0 bytes inside a "
	    "one-page device mapping");
	pmap_unmapdev(p, PAGE_SIZE);
}

static void
bad_ranges(void)
{
	vm_page_t ma[2] = { pg, NULL };
	vm_offset_t va = fresh();

	EXPECT_PANIC(pmap_qenter(va + 8, ma, 1), "pmap_qenter", "bad range",
	    "pmap_qenter at a va not page aligned");
	EXPECT_PANIC(pmap_qenter(va, NULL, 1), "pmap_qenter", "bad range",
	    "pmap_qenter without pages");
	EXPECT_PANIC(pmap_qenter(va, ma, INT_MAX), "pmap_qenter", "bad range",
	    "pmap_qenter of more pages than the KVA holds");
	EXPECT_PANIC(pmap_qenter(VM_MAX_KERNEL_ADDRESS - PAGE_SIZE, ma, 2),
	    "pmap_qenter", "bad range", "pmap_qenter past the KVA");
	EXPECT_PANIC(pmap_qenter(va, ma, 2), "pmap_qenter", "NULL page 1",
	    "pmap_qenter with a NULL page");
	ok(pmap_kextract(va) == 0, "... none maps anything");
	EXPECT_PANIC(pmap_kenter(va, 2 * PAGE_SIZE, (1UL << 56) - PAGE_SIZE,
	    VM_MEMATTR_DEFAULT), "pmap_kenter", "beyond 56 bits", "pmap_kenter "
	    "of a physical range that ends beyond 56 bits");
	EXPECT_PANIC(pmap_qremove(va + 8, 1), "pmap_qremove", "bad range",
	    "pmap_qremove at a va not page aligned");
	EXPECT_PANIC(pmap_qremove(va, INT_MAX), "pmap_qremove", "bad range",
	    "pmap_qremove of more pages than the KVA holds");
	EXPECT_PANIC(pmap_qremove(VM_MAX_KERNEL_ADDRESS - PAGE_SIZE, 2),
	    "pmap_qremove", "bad range", "pmap_qremove past the KVA");
}

static void
lookups(void)
{
	vm_offset_t va = fresh();
	pt_entry_t ptes[4];
	vm_size_t len;

	pmap_qenter(va, &pg, 1);
	ok(pmap_extract(kernel_pmap, va + 5) == VM_PAGE_TO_PHYS(pg) + 5,
	    "pmap_extract of the kernel pmap: the page's address");
	ok(pmap_kextract_run(va + PAGE_SIZE + 16, 8 * PAGE_SIZE, &len) == 0 &&
	    len == PAGE_SIZE - 16, "pmap_kextract_run of an unmapped page "
	    "beside a mapped one: 0, to the end of the page");
	ok(pmap_kextract_run(DEVMAP_MIN_ADDRESS + 0x40, PAGE_SIZE, &len) ==
	    0 && len == PAGE_SIZE - 0x40, "pmap_kextract_run of an unmapped "
	    "device page: 0, to the end of the page");
	ok(pmap_kwalk(va, ptes, 1) == 1 && (ptes[0] & 1) != 0,
	    "pmap_kwalk stops after max entries");
	pmap_qremove(va, 1);
	ok(pmap_kextract(va) == 0, "pmap_qremove unmaps it");
}

static void
memattr_run_end(void)
{
	vm_page_t m;
	int i;

	m = vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT, 3, 0,
	    ~(vm_paddr_t)0, PAGE_SIZE, 0, VM_MEMATTR_DEFAULT);
	for (i = 0; i < 3; i++)
		pmap_page_set_memattr(m + i, VM_MEMATTR_UNCACHEABLE);
	pmap_page_set_memattr(m + 2, VM_MEMATTR_DEFAULT);
	ok(pmap_page_get_memattr(m) == VM_MEMATTR_UNCACHEABLE &&
	    pmap_page_get_memattr(m + 1) == VM_MEMATTR_UNCACHEABLE &&
	    pmap_page_get_memattr(m + 2) == VM_MEMATTR_DEFAULT,
	    "the last page of a run set back to default: the run shrinks");
	for (i = 0; i < 2; i++)
		pmap_page_set_memattr(m + i, VM_MEMATTR_DEFAULT);
	vm_page_free_contig(m, 3);
}

int
main(void)
{
	struct fdt_machine m;
	u_long base;

	ok(host_boot(&m, 1) == 0, "kmem boots");
	region = kva_alloc(256UL << 20);
	cursor = (region + L2_OFFSET) & ~L2_OFFSET;
	pg = vm_page_alloc_noobj(VM_ALLOC_NOWAIT);
	base = kmem_accounted();
	enter_waits();
	superpage_short();
	kenter_undone();
	mapdev_paths();
	bad_ranges();
	lookups();
	memattr_run_end();
	ok(kmem_accounted() == base, "every page is free or kmem's own as "
	    "before (%lu, %lu)", base, kmem_accounted());
	ok(vm_phys_check() == 0, "the page allocator is consistent");
	return (tap_done());
}
