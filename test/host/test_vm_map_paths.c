/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_map at its edges, on the host twin: searches that start below a map
 * or wrap past the top of the address space, finds that are refused or
 * run out of map entries (after the entry pool grew by a page), submaps
 * that cannot be made, deletes that are refused or cover a submap (a
 * panic naming vm_map_delete), the demand-zero fault resolver's answers
 * (outside the map, an instruction fetch, a hole, an entry that is not
 * pageable, a page another hart mapped first, an entry freed while the
 * lowmem handlers ran), more than one chunk of pageable pages freed at
 * once, vm_map_init of bad ranges, and the misuse that panics with a
 * lock held (each in a child process).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"
#include "expect_panic.h"
#include "kmem_account.h"

#define TOP	0xfffffffffffff000UL	/* the last page of the address space */

static void
searches(void)
{
	static struct vm_map pm;
	/* An entry from min to E, which rounds up to 2 MiB past the top. */
	vm_offset_t min = TOP - (4UL << 20), E = 0xffffffffffe01000UL, a;
	int rv;

	vm_map_init(&pm, kernel_pmap, min, TOP);
	vm_map_lock(&pm);
	a = vm_map_findspace(&pm, 0, PAGE_SIZE);
	ok(a == min, "vm_map_findspace from below the map: its start");
	a = vm_map_findspace(&pm, TOP + 16, PAGE_SIZE);
	ok(a == TOP, "vm_map_findspace from a start that rounds past the top: "
	    "the map's end (none)");
	rv = vm_map_insert(&pm, NULL, 0, min, E, VM_PROT_RW, VM_PROT_RW, 0);
	vm_map_unlock(&pm);
	a = min;
	ok(rv == KERN_SUCCESS && vm_map_find(&pm, NULL, 0, &a, PAGE_SIZE, 0,
	    VMFS_SUPER_SPACE, VM_PROT_RW, VM_PROT_RW, 0) == KERN_NO_SPACE,
	    "a 2 MiB aligned find whose next candidate wraps past the top: "
	    "KERN_NO_SPACE");
	a = min;
	ok(vm_map_find(&pm, NULL, 0, &a, 0, 0, VMFS_ANY_SPACE, VM_PROT_RW,
	    VM_PROT_RW, 0) == KERN_NO_SPACE && vm_map_find(&pm, NULL, 0, &a,
	    100, 0, VMFS_ANY_SPACE, VM_PROT_RW, VM_PROT_RW, 0) ==
	    KERN_NO_SPACE && vm_map_find(&pm, NULL, 0, &a, PAGE_SIZE,
	    min + (2UL << 20), VMFS_ANY_SPACE, VM_PROT_RW, VM_PROT_RW, 0) ==
	    KERN_NO_SPACE, "vm_map_find of 0 bytes, of a size not page "
	    "aligned, or with max_addr below the hole: KERN_NO_SPACE");
	ok(vm_map_find(&pm, NULL, 0, &a, PAGE_SIZE, 0, VMFS_ANY_SPACE,
	    VM_PROT_RW, VM_PROT_RW, 0) == KERN_SUCCESS && a == E, "and a "
	    "fitting one lands after the entry");
	vm_map_lock(&pm);
	rv = vm_map_delete(&pm, min, min) == KERN_INVALID_ADDRESS &&
	    vm_map_delete(&pm, min - PAGE_SIZE, min + PAGE_SIZE) ==
	    KERN_INVALID_ADDRESS && vm_map_delete(&pm, TOP - PAGE_SIZE,
	    TOP + PAGE_SIZE) == KERN_INVALID_ADDRESS;
	vm_map_unlock(&pm);
	ok(rv && vm_map_size(&pm) == E - min + PAGE_SIZE, "vm_map_delete of "
	    "an empty range or one leaving the map: KERN_INVALID_ADDRESS, "
	    "nothing removed");
	vm_map_lock(&pm);
	rv = vm_map_delete(&pm, min, TOP);
	vm_map_unlock(&pm);
	ok(rv == KERN_SUCCESS && vm_map_size(&pm) == 0, "deleting the whole "
	    "map empties it");
}

/* Entries until the pool takes a page, then until a page is refused. */
static void
entries_run_out(void)
{
	static struct vm_map pm;
	vm_offset_t min = 0x100000000UL, a;
	u_long pages;
	int n, rv;

	vm_map_init(&pm, kernel_pmap, min, min + (64UL << 20));
	vm_map_lock(&pm);
	rv = vm_map_insert(&pm, NULL, 0, min, min + (128UL << 20), VM_PROT_RW,
	    VM_PROT_RW, 0);
	vm_map_unlock(&pm);
	ok(rv == KERN_NO_SPACE, "vm_map_insert past the map's end: "
	    "KERN_NO_SPACE");
	pages = vm_map_entry_pages();
	for (n = 0, rv = KERN_SUCCESS; n < 4096 && vm_map_entry_pages() ==
	    pages; n++) {
		a = min;
		rv = vm_map_find(&pm, NULL, 0, &a, PAGE_SIZE, 0,
		    VMFS_ANY_SPACE, VM_PROT_RW, VM_PROT_RW, 0);
	}
	ok(rv == KERN_SUCCESS && vm_map_entry_pages() == pages + 1, "after "
	    "%d entries the entry pool takes a page", n);
	(void)vm_page_fail_after(0, true);
	for (; n < 4096 && rv == KERN_SUCCESS; n++) {
		a = min;
		rv = vm_map_find(&pm, NULL, 0, &a, PAGE_SIZE, 0,
		    VMFS_ANY_SPACE, VM_PROT_RW, VM_PROT_RW, 0);
	}
	(void)vm_page_fail_after(-1, false);
	ok(rv == KERN_RESOURCE_SHORTAGE && vm_map_size(&pm) == ptoa((u_long)n -
	    1), "with pages refused, vm_map_find runs out of entries: "
	    "KERN_RESOURCE_SHORTAGE, the map unchanged (%d entries)", n - 1);
	vm_map_lock(&pm);
	(void)vm_map_delete(&pm, min, min + (64UL << 20));
	vm_map_unlock(&pm);
	ok(vm_map_size(&pm) == 0, "all deleted");
}

static struct vm_map sub;
static vm_offset_t smin, smax;

static void
delete_submap(void *arg)
{

	(void)arg;
	(void)vm_map_delete(kernel_map, smin, smax);
}

static void
submaps(void)
{
	static struct vm_map other;
	vm_offset_t a;
	bool is;

	kmem_subinit(&sub, kernel_map, &smin, &smax, 4UL << 20, false);
	a = vm_map_min(kernel_map);
	ok(vm_map_find(kernel_map, NULL, 0, &a, 2 * PAGE_SIZE, 0,
	    VMFS_ANY_SPACE, VM_PROT_ALL, VM_PROT_ALL, MAP_ACC_NO_CHARGE) ==
	    KERN_SUCCESS, "a plain entry of the kernel map");
	vm_map_init(&other, kernel_pmap, a, a + PAGE_SIZE);
	ok(vm_map_submap(kernel_map, smin, smax, &sub) ==
	    KERN_INVALID_ARGUMENT && vm_map_submap(kernel_map, smin,
	    smax - PAGE_SIZE, &other) == KERN_INVALID_ARGUMENT &&
	    vm_map_submap(kernel_map, a, a + 2 * PAGE_SIZE, &other) ==
	    KERN_INVALID_ARGUMENT, "vm_map_submap of a range that is already "
	    "a submap, that is no entry, or with a submap of another range: "
	    "KERN_INVALID_ARGUMENT");
	vm_map_init(&other, kernel_pmap, a + PAGE_SIZE, a + 2 * PAGE_SIZE);
	ok(vm_map_submap(kernel_map, a, a + 2 * PAGE_SIZE, &other) ==
	    KERN_INVALID_ARGUMENT, "... or one that starts elsewhere");
	vm_map_init(&other, kernel_pmap, a, a + 2 * PAGE_SIZE);
	ok(vm_map_submap(kernel_map, a, a + 2 * PAGE_SIZE, &other) ==
	    KERN_SUCCESS, "with the submap's range it succeeds");
	vm_map_lock(kernel_map);
	is = vm_map_range_is_entry(kernel_map, smin, smax);
	ok(panics(delete_submap, NULL, "vm_map_delete", "covers submap",
	    NULL) && !is, "vm_map_delete over a submap panics (%s); a submap "
	    "is not a live entry", panic_msg);
	ok(!kmem_spin_owned(&kernel_map->lock), "the panic dropped the map "
	    "lock");
	ok(vm_map_size(&sub) == 0 && vm_map_min(&sub) == smin, "the submap "
	    "is still there");
}

static void
faults(void)
{
	vm_offset_t va, hole;
	vm_paddr_t pa;
	u_long used;
	int i;

	used = swap_reserved();
	va = kmap_alloc_wait(&sub, 70 * PAGE_SIZE);
	hole = va + 70 * PAGE_SIZE + PAGE_SIZE;
	vm_map_lock(&sub);
	ok(vm_map_insert(&sub, NULL, 0, hole + PAGE_SIZE, hole + 2 * PAGE_SIZE,
	    VM_PROT_RW, VM_PROT_RW, 0) == KERN_SUCCESS, "an entry that is not "
	    "pageable");
	vm_map_unlock(&sub);
	ok(!kmem_fault_handle(DMAP_MIN_ADDRESS, KMEM_ACC_READ, 0) &&
	    !kmem_fault_handle(PAGE_SIZE, KMEM_ACC_READ, 0) &&
	    !kmem_fault_handle(va, KMEM_ACC_EXEC, 0) &&
	    !kmem_fault_handle(hole, KMEM_ACC_READ, 0) &&
	    !kmem_fault_handle(hole + PAGE_SIZE, KMEM_ACC_WRITE, 0) &&
	    !kmem_fault_handle(smax - PAGE_SIZE, KMEM_ACC_READ, 0),
	    "the fault resolver declines addresses above and below the kernel "
	    "map, a fetch, a hole before an entry, an entry that is not "
	    "pageable and a hole at the end");
	ok(kmem_fault_handle(va + 8, KMEM_ACC_WRITE, 0) && (pa =
	    pmap_kextract(va)) != 0 && kmem_fault_handle(va + 16,
	    KMEM_ACC_READ, 0) && pmap_kextract(va) == pa, "it backs a pageable "
	    "page, and answers yes without a new page once it is mapped");
	for (i = 0; i < 70; i++)
		host_store64(va + ptoa(i), 7 + i);
	for (i = 0; i < 70 && host_load64(va + ptoa(i)) == (uint64_t)(7 + i);
	    i++)
		;
	ok(i == 70, "70 pageable pages hold what was written");
	kmap_free_wakeup(&sub, va, 70 * PAGE_SIZE);
	ok(pmap_kextract(va) == 0 && pmap_kextract(va + ptoa(69)) == 0 &&
	    swap_reserved() == used, "kmap_free_wakeup frees all 70 (two "
	    "chunks) and their charge");
	vm_map_lock(&sub);
	(void)vm_map_delete(&sub, hole + PAGE_SIZE, hole + 2 * PAGE_SIZE);
	vm_map_unlock(&sub);
}

/*
 * A demand-zero fault with every page taken runs the lowmem handlers and
 * looks again; when a handler freed the range meanwhile (this one does,
 * once), the fault is not resolved.
 */
static vm_offset_t gone_va;

static void
free_the_range(void *arg, int flags)
{

	(void)arg;
	(void)flags;
	if (gone_va != 0) {
		kmap_free_wakeup(&sub, gone_va, PAGE_SIZE);
		gone_va = 0;
	}
}

static void
fault_loses_its_entry(void)
{
	static vm_page_t all[32768];
	vm_offset_t va;
	void *tag;
	bool got;
	int n;

	va = kmap_alloc_wait(&sub, PAGE_SIZE);
	tag = vm_lowmem_register(free_the_range, NULL);
	for (n = 0; n < 32768 && (all[n] = vm_page_alloc_noobj(
	    VM_ALLOC_NOWAIT)) != NULL; n++)
		;
	gone_va = va;
	got = kmem_fault_handle(va, KMEM_ACC_WRITE, 0);
	ok(tag != NULL && !got && gone_va == 0 && pmap_kextract(va) == 0,
	    "a demand-zero fault with no free page whose range a lowmem "
	    "handler frees: not resolved, nothing mapped");
	vm_lowmem_deregister(tag);
	while (n > 0)
		vm_page_free(all[--n]);
}

static void
map_init_bad(void *arg)
{
	const vm_offset_t *r = arg;
	struct vm_map m;

	vm_map_init(&m, kernel_pmap, r[0], r[1]);
}

static void
bad_map_init(void)
{
	static const vm_offset_t r[3][2] = { { 0x2000, 0x1000 },
	    { 0x1008, 0x3000 }, { 0x1000, 0x3008 } };
	int i, n;

	for (n = i = 0; i < 3; i++)
		n += panics(map_init_bad, (void *)(uintptr_t)r[i],
		    "vm_map_init: bad range", NULL, NULL);
	ok(n == 3, "vm_map_init of an empty range, or one not page aligned "
	    "at either end, panics naming it (%s)", panic_msg);
}

/*
 * Misuse found with a lock held: the panic drops it first, so the layer
 * goes on working afterwards (a panic hook that reports, a test that
 * catches the panic).  A lock still held would make the next call panic
 * with "already held by this hart".
 */
static void
over_release(void)
{
	vm_size_t used;

	used = swap_reserved();
	EXPECT_PANIC(swap_release(used + PAGE_SIZE), "swap_release: releasing",
	    "are charged", "swap_release of more than is charged");
	ok(swap_reserved() == used, "the charge is unchanged (%lu)",
	    (u_long)swap_reserved());
	ok(swap_reserve(PAGE_SIZE) && swap_reserved() == used + PAGE_SIZE,
	    "the commit lock is free: swap_reserve works");
	swap_release(PAGE_SIZE);
}

static void
full_map(void)
{
	vm_offset_t va, vb;

	va = kmap_alloc_wait(&sub, 4UL << 20);
	ok(va != 0, "the submap's whole range allocated");
	EXPECT_PANIC((void)kmap_alloc_wait(&sub, PAGE_SIZE),
	    "vm_map_unlock_and_wait", "is full", "kmap_alloc_wait on a full "
	    "map with no other hart to free space: the wait can never end");
	kmap_free_wakeup(&sub, va, 4UL << 20);
	vb = kmap_alloc_wait(&sub, PAGE_SIZE);
	ok(vb != 0, "the map lock is free: the range frees and allocates "
	    "again");
	kmap_free_wakeup(&sub, vb, PAGE_SIZE);
}

int
main(void)
{
	struct fdt_machine m;
	u_long base;

	ok(host_boot(&m, 2) == 0, "kmem boots");
	base = kmem_accounted();
	searches();
	entries_run_out();
	submaps();
	faults();
	fault_loses_its_entry();
	ok(kmem_accounted() == base, "every page is free or kmem's own as "
	    "before (%lu, %lu)", base, kmem_accounted());
	bad_map_init();
	over_release();
	full_map();
	return (tap_done());
}
