/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fault injection: a scenario that uses every allocating kmem call is run
 * once to count its page allocations, then once for every N below that
 * count with the N-th allocation refused (vm_page_fail_after).  Each run
 * must end without a crash and without a leak: every page is free again
 * or one of kmem's own (page-table, vmem tag, map entry pages), exactly as
 * after the run without injection.
 */
#include <limits.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "tap.h"
#include "kmem_account.h"

static struct fdt_machine M;
static struct vm_map fi_map;

struct held {
	vm_offset_t	va;
	vm_size_t	size;
	int		kind;		/* 0 kmem_free, 1 unback+kva_free, 2 kmap */
};

/* Returns how many calls failed. */
static int
scenario(void)
{
	struct held h[12];
	vmem_addr_t xa[4];
	vmem_t *ar;
	vm_offset_t k;
	int n, i, failed;

	n = failed = 0;
#define KEEP(v, sz, kd) do {						\
	vm_offset_t v_ = (v);						\
	if (v_ != 0) {							\
		h[n].va = v_; h[n].size = (sz); h[n].kind = (kd); n++;	\
	} else								\
		failed++;						\
} while (0)
	KEEP(kmem_malloc(5 * PAGE_SIZE, M_NOWAIT | M_ZERO), 5 * PAGE_SIZE, 0);
	KEEP(kmem_malloc_domainset(DOMAINSET_PREF(1), 3 * PAGE_SIZE,
	    M_NOWAIT), 3 * PAGE_SIZE, 0);
	KEEP(kmem_alloc_contig(8 * PAGE_SIZE, M_NOWAIT, 0, ~0UL, 32 * 1024, 0,
	    VM_MEMATTR_DEFAULT), 8 * PAGE_SIZE, 0);
	KEEP(kmem_alloc_attr(3 * PAGE_SIZE, M_NOWAIT, HOST_RAM_BASE,
	    HOST_RAM_BASE + (32UL << 20), VM_MEMATTR_UNCACHEABLE),
	    3 * PAGE_SIZE, 0);
	KEEP(kmem_malloc(L2_SIZE + 3 * PAGE_SIZE, M_NOWAIT),
	    L2_SIZE + 3 * PAGE_SIZE, 0);
	KEEP(kmem_malloc(2 * PAGE_SIZE, M_NOWAIT | M_EXEC), 2 * PAGE_SIZE, 0);
	k = kva_alloc(6 * PAGE_SIZE);
	if (k != 0 && kmem_back(kernel_object, k, 6 * PAGE_SIZE, M_NOWAIT) !=
	    KERN_SUCCESS) {
		kva_free(k, 6 * PAGE_SIZE);
		k = 0;
	}
	KEEP(k, 6 * PAGE_SIZE, 1);
	KEEP(kmap_alloc_wait(&fi_map, 4 * PAGE_SIZE), 4 * PAGE_SIZE, 2);
	ar = vmem_create("fault injection", 0x100000, 1UL << 24, 16, 64,
	    M_NOWAIT);
	if (ar == NULL)
		failed++;
	else {
		for (i = 0; i < 4; i++)
			if (vmem_xalloc(ar, 4096 << i, 4096, 0, 0, VMEM_ADDR_MIN,
			    VMEM_ADDR_MAX, M_NOWAIT, &xa[i]) != 0) {
				xa[i] = 0;
				failed++;
			}
		for (i = 0; i < 4; i++)
			if (xa[i] != 0)
				vmem_xfree(ar, xa[i], 4096 << i);
		vmem_destroy(ar);
	}
	for (i = n - 1; i >= 0; i--) {
		if (h[i].kind == 0)
			kmem_free(h[i].va, h[i].size);
		else if (h[i].kind == 1) {
			kmem_unback(kernel_object, h[i].va, h[i].size);
			kva_free(h[i].va, h[i].size);
		} else
			kmap_free_wakeup(&fi_map, h[i].va, h[i].size);
	}
#undef KEEP
	return (failed);
}


int
main(void)
{
	struct host_machine_cfg cfg = {
		.ndomains = 2, .mem_per_domain = 64UL << 20, .ncpus = 2,
		.isa = FDT_ISA_SVPBMT,
	};
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };
	vm_offset_t min, max;
	u_long base, after;
	long total, nrun;
	int leaks, nofail, failed;

	host_machine_init(&cfg, &M);
	host_thread_register();
	ok(kmem_startup(&bi) == 0, "kmem is up on the host twin");
	kmem_subinit(&fi_map, kernel_map, &min, &max, 1UL << 20, false);

	ok(scenario() == 0, "the scenario succeeds without injection");
	ok(scenario() == 0, "and again (warm)");
	base = kmem_accounted();
	(void)vm_page_fail_after(LONG_MAX, false);
	ok(scenario() == 0, "counting run succeeds");
	total = vm_page_fail_after(-1, false);
	ok(total > 10 && kmem_accounted() == base, "the scenario makes %ld page "
	    "allocations and leaves every page accounted for", total);

	/* Once: the N-th allocation fails, retries may absorb it. */
	leaks = nofail = 0;
	for (nrun = 0; nrun < total; nrun++) {
		(void)vm_page_fail_after(nrun, false);
		failed = scenario();
		(void)vm_page_fail_after(-1, false);
		after = kmem_accounted();
		if (after != base && leaks++ < 5)
			diag("once, N=%ld: %ld pages unaccounted", nrun,
			    (long)(base - after));
		if (failed == 0)
			nofail++;
	}
	ok(leaks == 0, "%ld runs, the N-th page allocation refused once in "
	    "each: no leak in any (%d leaked)", total, leaks);
	diag("%d of %ld single refusals were absorbed by a retry, a second "
	    "domain or a fallback", nofail, total);

	/* Sticky: the N-th and every later allocation fail. */
	leaks = nofail = 0;
	for (nrun = 0; nrun < total; nrun++) {
		(void)vm_page_fail_after(nrun, true);
		failed = scenario();
		(void)vm_page_fail_after(-1, false);
		after = kmem_accounted();
		if (after != base && leaks++ < 5)
			diag("sticky, N=%ld: %ld pages unaccounted", nrun,
			    (long)(base - after));
		if (failed == 0)
			nofail++;
	}
	ok(leaks == 0, "%ld runs, every page allocation from the N-th on "
	    "refused: no leak in any (%d leaked)", total, leaks);
	ok(nofail == 0, "with every later allocation refused, each run saw a "
	    "call fail (%d did not)", nofail);
	ok(scenario() == 0 && kmem_accounted() == base, "after all that, the "
	    "scenario still succeeds and leaks nothing");
	return (tap_done());
}
