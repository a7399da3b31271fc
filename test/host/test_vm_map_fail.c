/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_map when pages run out, on the host twin (fault injection through
 * vm_page_fail_after): a map entry that cannot be allocated fails the
 * insert with KERN_RESOURCE_SHORTAGE and changes nothing; a delete that
 * must split an entry and has no entry for the tail panics naming
 * vm_map_delete before it changes anything; a demand-zero fault whose
 * first page allocation fails retries after the lowmem handlers, and one
 * that never gets a page panics naming vm_map_fault and the address.
 */
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"
#include "expect_panic.h"

#define NGAP	600		/* entries with a hole between each two */

static struct vm_map sub;
static vm_offset_t lo, hi;

static int
insert(vm_offset_t a, vm_size_t size)
{
	int rv;

	vm_map_lock(&sub);
	rv = vm_map_insert(&sub, NULL, 0, a, a + size, VM_PROT_RW, VM_PROT_RW,
	    MAP_NOFAULT);
	vm_map_unlock(&sub);
	return (rv);
}

static bool
is_entry(vm_offset_t a, vm_size_t size)
{
	bool r;

	vm_map_lock(&sub);
	r = vm_map_range_is_entry(&sub, a, a + size);
	vm_map_unlock(&sub);
	return (r);
}

static void
delete_middle(void *arg)
{
	vm_offset_t a = *(vm_offset_t *)arg;

	vm_map_lock(&sub);
	(void)vm_map_delete(&sub, a + PAGE_SIZE, a + 2 * PAGE_SIZE);
	vm_map_unlock(&sub);
}

/* From the first entry to the middle of the big one at *arg. */
static void
delete_across(void *arg)
{
	vm_offset_t a = *(vm_offset_t *)arg;

	vm_map_lock(&sub);
	(void)vm_map_delete(&sub, lo, a + PAGE_SIZE);
	vm_map_unlock(&sub);
}

static void
entries_run_out(void)
{
	u_long pages0;
	vm_offset_t a, big;
	int i, n, rv, short_at;

	pages0 = vm_map_entry_pages();
	(void)vm_page_fail_after(0, true);	/* no page from now on */
	short_at = -1;
	for (i = n = 0; i < NGAP; i++) {
		a = lo + (vm_offset_t)i * 2 * PAGE_SIZE;
		rv = insert(a, PAGE_SIZE);
		if (rv == KERN_SUCCESS) {
			n++;
			continue;
		}
		short_at = i;
		break;
	}
	ok(short_at > 0 && rv == KERN_RESOURCE_SHORTAGE,
	    "with no pages, the %d-th insert fails with "
	    "KERN_RESOURCE_SHORTAGE (got %d)", short_at, rv);
	ok(sub.nentries == n && !is_entry(a, PAGE_SIZE) &&
	    vm_map_entry_pages() == pages0, "the failed insert changed "
	    "nothing: %d entries, no entry page taken", sub.nentries);
	/* A three-page entry whose middle is deleted needs a tail entry. */
	(void)vm_page_fail_after(-1, false);
	big = hi - 4 * PAGE_SIZE;
	ok(insert(big, 3 * PAGE_SIZE) == KERN_SUCCESS, "with pages back, "
	    "an insert succeeds");
	/* Use up the entries that page brought. */
	(void)vm_page_fail_after(0, true);
	for (i = short_at + 1; i < NGAP && insert(lo + (vm_offset_t)i * 2 *
	    PAGE_SIZE, PAGE_SIZE) == KERN_SUCCESS; i++)
		n++;
	ok(i < NGAP, "the pool runs dry again after %d more inserts",
	    i - short_at - 1);
	ok(panics(delete_middle, &big, "vm_map_delete", "no entry to split",
	    NULL), "deleting the middle of an entry with no entry left "
	    "panics: %s", panic_msg);
	ok(!kmem_spin_owned(&sub.lock), "the panic dropped the map lock");
	ok(panics(delete_across, &big, "vm_map_delete", "no entry to split",
	    NULL) && !kmem_spin_owned(&sub.lock), "so does deleting every "
	    "small entry and the head of the big one: %s", panic_msg);
	ok(sub.nentries == n + 1 && is_entry(lo, PAGE_SIZE),
	    "... before deleting any of the small entries");
	(void)vm_page_fail_after(-1, false);
	ok(is_entry(big, 3 * PAGE_SIZE) && sub.nentries == n + 1,
	    "... before changing anything: the entry is whole");
	vm_map_lock(&sub);
	ok(vm_map_delete(&sub, lo, hi) == KERN_SUCCESS && sub.nentries == 0 &&
	    sub.size == 0, "everything deleted");
	vm_map_unlock(&sub);
}

static void
touch(void *arg)
{

	(void)host_load64(*(vm_offset_t *)arg);
}

static void
demand_zero_without_pages(void)
{
	vm_offset_t va;
	char where[32];

	va = kmap_alloc_wait(&sub, 2 * PAGE_SIZE);
	ok(va != 0, "kmap_alloc_wait of 2 pages");
	/* One refusal: the lowmem handlers run and the retry maps a page. */
	(void)vm_page_fail_after(0, false);
	ok(host_load64(va) == 0 && pmap_kextract(va) != 0,
	    "a demand-zero touch whose first page allocation fails is mapped "
	    "on the retry, and reads zero");
	(void)vm_page_fail_after(0, true);
	va += PAGE_SIZE;
	snprintf(where, sizeof(where), "0x%lx", va);
	ok(panics(touch, &va, "vm_map_fault: no free page", where, NULL),
	    "with no page at all it panics naming the address: %s",
	    panic_msg);
	vm_map_unlock(&sub);		/* the fault handler held it */
	(void)vm_page_fail_after(-1, false);
	kmap_free_wakeup(&sub, va - PAGE_SIZE, 2 * PAGE_SIZE);
}

int
main(void)
{
	struct fdt_machine m;

	ok(host_boot(&m, 1) == 0, "kmem boots");
	kmem_subinit(&sub, kernel_map, &lo, &hi, 2 * NGAP * PAGE_SIZE +
	    (1UL << 20), false);
	entries_run_out();
	demand_zero_without_pages();
	return (tap_done());
}
