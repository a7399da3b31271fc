/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The page layer's lookups at their edges, on the host twin: counts and
 * predicates for a cpu or a domain out of range, the next page at the end
 * of a segment, a contiguous free of no pages; and with every page taken:
 * vm_wait in an interrupt handler (a panic), vm_wait when the one free
 * page sits in this hart's cache (drained, no sleep), and an M_WAITOK
 * contiguous request that can never be met (a panic once waiting could
 * not help).
 */
#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"
#include "expect_panic.h"

static void
exhausted(void)
{
	static vm_page_t all[32768];
	vm_page_t m;
	int n;

	for (n = 0; n < 32768 && (all[n] = vm_page_alloc_noobj(
	    VM_ALLOC_NOWAIT)) != NULL; n++)
		;
	ok(n > 0 && vm_free_count() == 0, "every page taken (%d)", n);
	kmem_intr_enter();
	EXPECT_PANIC(vm_wait(), "vm_wait", "interrupt", "vm_wait in an "
	    "interrupt handler with no free page");
	kmem_intr_exit();
	m = all[--n];
	vm_page_free(m);
	vm_wait();
	ok(vm_free_count() == 1 && vm_page_cache_count(0, vm_page_domain(m)) ==
	    0, "vm_wait with the one free page in this hart's cache drains it "
	    "and returns");
	all[n++] = vm_page_alloc_noobj(VM_ALLOC_NOWAIT);
	m = all[--n];
	vm_page_free(m);
	EXPECT_PANIC((void)vm_page_alloc_noobj_contig_domain(vm_page_domain(m),
	    VM_ALLOC_WAITOK, 2, 0, ~(vm_paddr_t)0, PAGE_SIZE, 0,
	    VM_MEMATTR_DEFAULT), "vm_page_alloc_noobj_contig_domain",
	    "can never succeed", "M_WAITOK for two contiguous pages with one "
	    "free");
	while (n > 0)
		vm_page_free(all[--n]);
}

/*
 * A contiguous request that reclaim cannot help: each lowmem event frees
 * one lone page (reclaim made progress), three times, and the request
 * still fails (M_NOWAIT: NULL).
 */
static vm_page_t lone[3];
static int nlone;

static void
free_a_lone_page(void *arg, int flags)
{

	(void)arg;
	(void)flags;
	if (nlone > 0)
		vm_page_free(lone[--nlone]);
}

static void
reclaim_cannot_help(void)
{
	static vm_page_t all[32768];
	vm_page_t m;
	void *tag;
	int n, i, k;

	for (n = 0; n < 32768 && (all[n] = vm_page_alloc_noobj_domain(0,
	    VM_ALLOC_NOWAIT)) != NULL; n++)
		;
	/* Three pages far apart, then no free page at all. */
	for (i = 0, k = 0; i < 3; i++, k += 64) {
		lone[i] = all[k];
		all[k] = NULL;
	}
	nlone = 3;
	tag = vm_lowmem_register(free_a_lone_page, NULL);
	m = vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT, 16, 0,
	    ~(vm_paddr_t)0, PAGE_SIZE, 0, VM_MEMATTR_DEFAULT);
	vm_lowmem_deregister(tag);
	ok(m == NULL && nlone == 0 && vm_domain_free_count(0) == 3,
	    "a 16-page request while each of three reclaims frees one lone "
	    "page: NULL after the third (%d left)", nlone);
	for (i = 0; i < n; i++)
		if (all[i] != NULL)
			vm_page_free(all[i]);
	while (nlone > 0)
		vm_page_free(lone[--nlone]);
}

int
main(void)
{
	struct fdt_machine m;
	vm_paddr_t end;
	vm_page_t last, pg;
	u_int before;

	ok(host_boot(&m, 2) == 0, "kmem boots on 2 domains");
	ok(vm_page_cache_count(MAXCPU, 0) == 0 &&
	    vm_page_cache_count(0, -1) == 0 &&
	    vm_page_cache_count(0, vm_ndomains) == 0, "vm_page_cache_count of "
	    "a cpu or a domain out of range: 0");
	ok(vm_domain_free_count(-1) == 0 &&
	    vm_domain_free_count(vm_ndomains) == 0 &&
	    vm_domain_free_count(1) > 0 && vm_domain_page_count(-1) == 0 &&
	    vm_domain_page_count(vm_ndomains) == 0 &&
	    vm_domain_page_count(1) > 0, "vm_domain_free_count and "
	    "vm_domain_page_count out of range: 0");
	ok(vm_domain_empty(-1) && vm_domain_empty(vm_ndomains) &&
	    !vm_domain_empty(0) && !vm_domain_empty(1), "vm_domain_empty: "
	    "true out of range, false for the machine's domains");
	ok(vm_page_count_min_domain(-1) && vm_page_count_min_domain(
	    vm_ndomains) && !vm_page_count_min_domain(0), "vm_page_count_min_"
	    "domain: true out of range, false for a domain with free pages");

	end = m.mem[0].base + m.mem[0].size;
	last = PHYS_TO_VM_PAGE(end - PAGE_SIZE);
	ok(last != NULL && vm_page_next(last) == NULL &&
	    vm_page_next(PHYS_TO_VM_PAGE(end - 2 * PAGE_SIZE)) == last,
	    "vm_page_next of a segment's last page: NULL; of the one before: "
	    "the last");

	pg = vm_page_alloc_noobj(VM_ALLOC_NOWAIT);
	before = vm_free_count();
	vm_page_free_contig(pg, 0);
	ok(vm_free_count() == before, "vm_page_free_contig of 0 pages frees "
	    "nothing");
	vm_page_free(pg);
	exhausted();
	reclaim_cannot_help();
	ok(vm_phys_check() == 0, "the page allocator is consistent");
	return (tap_done());
}
