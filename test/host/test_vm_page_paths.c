/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The page layer's lookups at their edges, on the host twin: counts and
 * predicates for a cpu or a domain out of range, the next page at the end
 * of a segment, and a contiguous free of no pages.
 */
#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"

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
	    vm_domain_free_count(1) > 0, "vm_domain_free_count out of range: "
	    "0");
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
	ok(vm_phys_check() == 0, "the page allocator is consistent");
	return (tap_done());
}
