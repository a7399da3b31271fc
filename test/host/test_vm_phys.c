/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vm_phys: segments, page metadata, the buddy allocator, contiguous
 * runs, the per-hart page cache, frees and their panics, waiting, lowmem
 * handlers and reclaim, on several host machine shapes.
 *
 * The core is a model-based random test (vm_phys_model.h): after every
 * step the allocator must agree with a page-by-page model, and after
 * freeing everything the free lists must hold exactly the blocks they held
 * at boot.  Named tests cover every bad-input answer and every panic.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmem/fault.h>
#include <kmem/lowmem.h>
#include <kmem/machine.h>
#include <kmem/physmem.h>
#include <kmem/vm_page.h>
#include <kmem/vm_phys.h>

#include "host.h"
#include "tap.h"
#include "vm_phys_model.h"

static struct vmm V;

static uint64_t
prng(void *arg)
{

	return (vmm_rand(arg));
}

/* ------------------------------------------------------ panic helper */

static char panic_msg[256];

/* Run fn(arg); true if it panicked with a message holding all of want[]. */
static bool
panics(void (*fn)(void *), void *arg, const char *w1, const char *w2,
    const char *w3)
{
	struct kmem_panic_catch pc;

	panic_msg[0] = '\0';
	if (KMEM_PANIC_TRY(&pc)) {
		fn(arg);
		kmem_panic_disarm();
		return (false);
	}
	snprintf(panic_msg, sizeof(panic_msg), "%s", pc.kp_msg);
	return ((w1 == NULL || strstr(pc.kp_msg, w1) != NULL) &&
	    (w2 == NULL || strstr(pc.kp_msg, w2) != NULL) &&
	    (w3 == NULL || strstr(pc.kp_msg, w3) != NULL));
}

static void do_free(void *m) { vm_page_free(m); }
static void do_free_zero(void *m) { vm_page_free_zero(m); }
static void do_to_phys(void *m) { (void)VM_PAGE_TO_PHYS((vm_page_t)m); }
static void do_deregister(void *t) { vm_lowmem_deregister(t); }

struct contig_free { vm_page_t m; u_long n; };
static void
do_free_contig(void *a)
{
	struct contig_free *cf = a;

	vm_page_free_contig(cf->m, cf->n);
}

static void
do_alloc_waitok(void *a)
{

	(void)vm_page_alloc_noobj_domain(*(int *)a, VM_ALLOC_WAITOK);
}

static void
do_contig_waitok(void *a)
{

	(void)vm_page_alloc_noobj_contig_domain(*(int *)a, VM_ALLOC_WAITOK,
	    4, 0, ~(vm_paddr_t)0, 0, 0, VM_MEMATTR_DEFAULT);
}

static const char *
hexpa(vm_paddr_t pa)
{
	static char buf[4][32];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "0x%lx", (u_long)pa);
	return (buf[i]);
}

/* ------------------------------------------------------------ boot */

static void
test_boot_shape(int s)
{
	struct vm_phys_stats st;
	vm_paddr_t pa;
	u_long i, nmanaged, nearly, bad;
	int d, e;

	ok(vmm_boot(&V, s, 1), "boot %s: %s", vmm_shapes[s].name, V.err);
	vm_phys_stats(&st);
	ok(vm_ndomains == physmem.ndomains && st.ndomains == vm_ndomains,
	    "%s: vm_ndomains %d = domains with memory %d", vmm_shapes[s].name,
	    vm_ndomains, physmem.ndomains);
	bad = 0;
	for (i = 0; i < (u_long)st.nsegs; i++) {
		for (pa = st.segs[i].start; pa < st.segs[i].end; pa +=
		    PAGE_SIZE)
			if (V.dom[vmm_pi(&V, pa)] != st.segs[i].domain)
				bad++;
	}
	ok(bad == 0 && st.nsegs >= physmem.ndomains,
	    "%s: %d segments, each within one domain", vmm_shapes[s].name,
	    st.nsegs);
	for (i = 0, nmanaged = 0; i < (u_long)st.ndomains; i++)
		nmanaged += st.dom[i].npages;
	ok(st.meta_milli_per_page == 8000 && st.meta_bytes == 8 * nmanaged,
	    "%s: metadata %lu.%03lu bytes per page (goal: at most 8)",
	    vmm_shapes[s].name, st.meta_milli_per_page / 1000,
	    st.meta_milli_per_page % 1000);
	/* Every managed page round-trips; early pages are not free. */
	nmanaged = nearly = bad = 0;
	for (i = 0; i < (u_long)physmem.nmanaged; i++)
		for (pa = physmem.managed[i].start; pa <
		    physmem.managed[i].end; pa += PAGE_SIZE) {
			vm_page_t m = PHYS_TO_VM_PAGE(pa);

			nmanaged++;
			if (m == NULL || VM_PAGE_TO_PHYS(m) != pa ||
			    vm_phys_domain(pa) != physmem.managed[i].domain ||
			    vm_page_domain(m) != physmem.managed[i].domain)
				bad++;
			/* The out-of-line forms give the same answers. */
			if ((vm_page_from_phys)(pa) != m || (m != NULL &&
			    ((vm_page_to_phys)(m) != pa ||
			    (vm_page_domain)(m) != vm_page_domain(m))) ||
			    (vm_phys_domain)(pa) != vm_phys_domain(pa))
				bad++;
			/* Structs are consecutive within a managed range. */
			if (pa > physmem.managed[i].start && m != NULL &&
			    PHYS_TO_VM_PAGE(pa - PAGE_SIZE) != m - 1)
				bad++;
		}
	ok(bad == 0, "%s: PHYS_TO_VM_PAGE/VM_PAGE_TO_PHYS/domain agree for "
	    "all %lu managed pages (inline and function forms)",
	    vmm_shapes[s].name, nmanaged);
	for (e = 0; e < physmem.nearly; e++)
		nearly += atop(physmem.early[e].end - physmem.early[e].start);
	ok(vm_free_count() == nmanaged - nearly,
	    "%s: free pages %u = managed %lu - early %lu", vmm_shapes[s].name,
	    vm_free_count(), nmanaged, nearly);
	ok(vmm_check(&V), "%s: consistent after boot: %s",
	    vmm_shapes[s].name, V.err);
	/* Unmanaged addresses. */
	bad = 0;
	for (pa = HOST_RAM_BASE - PAGE_SIZE; pa < V.ram_end + 2 * PAGE_SIZE;
	    pa += PAGE_SIZE) {
		bool managed = pa >= HOST_RAM_BASE && pa < V.ram_end &&
		    V.dom[vmm_pi(&V, pa)] >= 0;

		if (!managed && (PHYS_TO_VM_PAGE(pa) != NULL ||
		    vm_phys_domain(pa) != -1 || (vm_page_from_phys)(pa) !=
		    NULL || (vm_phys_domain)(pa) != -1))
			bad++;
	}
	ok(bad == 0, "%s: unmanaged PAs (holes, reserves, outside RAM) give "
	    "NULL and domain -1", vmm_shapes[s].name);
	for (d = 0; d < vm_ndomains; d++)
		if (VM_DOMAIN_EMPTY(d))
			bad++;
	ok(bad == 0 && VM_DOMAIN_EMPTY(-1) && VM_DOMAIN_EMPTY(vm_ndomains),
	    "%s: VM_DOMAIN_EMPTY false for each domain, true outside",
	    vmm_shapes[s].name);
	ok(vm_phys_init() == EBUSY, "%s: a second vm_phys_init is EBUSY",
	    vmm_shapes[s].name);
}

/* ------------------------------------------------------ random runs */

static void
test_random(int s, uint64_t seed, int steps)
{
	int i;
	bool good;

	good = vmm_boot(&V, s, seed);
	for (i = 0; good && i < steps; i++)
		good = vmm_step(&V, prng, &V);
	ok(good, "%s seed %lu: %d random steps agree with the model%s%s",
	    vmm_shapes[s].name, (u_long)seed, steps, good ? "" : ": ", V.err);
	ok(vmm_free_all(&V), "%s seed %lu: after freeing everything the free "
	    "lists hold exactly the boot blocks%s%s", vmm_shapes[s].name,
	    (u_long)seed, V.err[0] ? ": " : "", V.err);
}

/* Fill a domain completely, then give everything back. */
static void
test_exhaust(int s)
{
	vm_page_t m, *held;
	u_long n, i, start[MAXMEMDOM];
	int d;

	ok(vmm_boot(&V, s, 7), "boot %s", vmm_shapes[s].name);
	for (d = 0; d < vm_ndomains; d++)
		start[d] = vm_domain_free_count(d);
	for (d = 0; d < vm_ndomains; d++) {
		held = malloc(sizeof(*held) * (start[d] + 1));
		n = 0;
		while ((m = vm_page_alloc_noobj_domain(d, VM_ALLOC_NOWAIT)) !=
		    NULL && n <= start[d])
			held[n++] = m;
		ok(n == start[d] && vm_domain_free_count(d) == 0,
		    "%s: domain %d gives exactly its %lu free pages",
		    vmm_shapes[s].name, d, start[d]);
		ok(vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT, 1, 0,
		    ~(vm_paddr_t)0, 0, 0, 0) == NULL,
		    "%s: exhausted domain %d has no 1-page run",
		    vmm_shapes[s].name, d);
		for (i = 0; i < n; i++)
			vm_page_free(held[n - 1 - i]);
		free(held);
		ok(vm_domain_free_count(d) == start[d],
		    "%s: domain %d back to %lu free", vmm_shapes[s].name, d,
		    start[d]);
	}
	ok(vmm_free_all(&V), "%s: free lists as at boot after exhaustion%s%s",
	    vmm_shapes[s].name, V.err[0] ? ": " : "", V.err);
}

/* --------------------------------------------------------- contiguous */

static void
test_contig_named(void)
{
	vm_page_t m;
	vm_paddr_t pa, b;
	u_long n;
	int d;

	ok(vmm_boot(&V, 1, 3), "boot for contiguous tests");
	d = 1;
	/* A run longer than the largest block (2048 pages = 8 MiB). */
	n = 3000;
	m = vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT, n, 0,
	    ~(vm_paddr_t)0, PAGE_SIZE, 0, 0);
	ok(m != NULL && vmm_took(&V, m, n, d, 0) && vmm_check(&V),
	    "contig_longer_than_max_block: 3000 pages from domain 1");
	ok(vmm_give(&V, V.nruns - 1, 0, n, 0) && vmm_check(&V),
	    "the 3000-page run is freed in one call");
	/*
	 * [low, high) inside domain 1's range only, while all of domain 1 is
	 * free (where runs go otherwise is the allocator's choice).
	 */
	m = vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT, 5,
	    HOST_RAM_BASE + 38 * VM_MIB + 5, HOST_RAM_BASE + 38 * VM_MIB +
	    6 * PAGE_SIZE, 0, 0, 0);
	pa = m != NULL ? VM_PAGE_TO_PHYS(m) : 0;
	ok(m != NULL && pa == HOST_RAM_BASE + 38 * VM_MIB + PAGE_SIZE &&
	    vmm_took(&V, m, 5, d, 0), "contig_respects_low_high: low rounded "
	    "up, high exclusive (%s)", hexpa(pa));
	ok(vmm_give(&V, V.nruns - 1, 0, 5, 0) && vmm_check(&V),
	    "the 5-page run is freed");
	/* 2 MiB aligned 2 MiB. */
	m = vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT | VM_ALLOC_ZERO,
	    512, 0, ~(vm_paddr_t)0, L2_SIZE, 0, 0);
	pa = m != NULL ? VM_PAGE_TO_PHYS(m) : 1;
	ok(m != NULL && (pa & L2_OFFSET) == 0 && vmm_took(&V, m, 512, d,
	    VM_ALLOC_ZERO), "contig_respects_alignment: 2 MiB at %s", hexpa(pa));
	/* 64 KiB with a 128 KiB boundary, many times. */
	b = 128 * 1024;
	for (n = 0; n < 40; n++) {
		m = vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT, 16,
		    0, ~(vm_paddr_t)0, PAGE_SIZE * 4, b, 0);
		if (m == NULL)
			break;
		pa = VM_PAGE_TO_PHYS(m);
		if (((pa ^ (pa + 16 * PAGE_SIZE - 1)) & ~(b - 1)) != 0 ||
		    !vmm_took(&V, m, 16, d, 0))
			break;
		/* Leave one page allocated after it to fragment. */
		m = vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT, 3,
		    0, ~(vm_paddr_t)0, 0, 0, 0);
		if (m == NULL || !vmm_took(&V, m, 3, d, 0))
			break;
	}
	if (n != 40)
		diag("boundary test stopped at %lu: m %p pa %s: %s", n,
		    (void *)m, hexpa(pa), V.err);
	ok(n == 40 && vmm_check(&V), "contig_respects_boundary: 40 x 64 KiB "
	    "runs, none crosses 128 KiB");
	ok(vmm_free_all(&V), "contiguous tests give everything back%s%s",
	    V.err[0] ? ": " : "", V.err);
}

static void
test_bad_input(void)
{
	vm_paddr_t lo, hi;
	int d;

	ok(vmm_boot(&V, 1, 5), "boot for bad-input tests");
	lo = HOST_RAM_BASE;
	hi = ~(vm_paddr_t)0;
#define C(dom, n, l, h, a, b)	vm_page_alloc_noobj_contig_domain(dom,	\
	    VM_ALLOC_WAITOK, n, l, h, a, b, 0)
	ok(vm_page_alloc_noobj_domain(-1, VM_ALLOC_WAITOK) == NULL &&
	    vm_page_alloc_noobj_domain(vm_ndomains, VM_ALLOC_WAITOK) == NULL &&
	    vm_page_alloc_noobj_domain(MAXMEMDOM + 7, 0) == NULL,
	    "alloc_invalid_domain_is_null");
	ok(C(-1, 1, lo, hi, 0, 0) == NULL && C(vm_ndomains, 1, lo, hi, 0, 0)
	    == NULL, "contig_invalid_domain_is_null");
	ok(C(0, 0, lo, hi, 0, 0) == NULL, "contig_zero_pages_is_null");
	ok(C(0, 1, lo, hi, 3 * PAGE_SIZE, 0) == NULL &&
	    C(0, 1, lo, hi, PAGE_SIZE + 1, 0) == NULL,
	    "contig_alignment_not_power_of_two_is_null");
	ok(C(0, 1, lo, hi, 0, 3 * PAGE_SIZE) == NULL,
	    "contig_boundary_not_power_of_two_is_null");
	ok(C(0, 4, lo, hi, 0, 2 * PAGE_SIZE) == NULL && C(0, 1, lo, hi, 0,
	    2048) == NULL, "contig_boundary_smaller_than_run_is_null");
	ok(C(0, 1, lo + VM_MIB, lo + VM_MIB, 0, 0) == NULL &&
	    C(0, 1, lo + VM_MIB, lo, 0, 0) == NULL &&
	    C(0, 1, lo + 1, lo + PAGE_SIZE + 5, 0, 0) == NULL,
	    "contig_low_not_below_high_is_null (after rounding)");
	ok(C(0, 1, 0x1000, HOST_RAM_BASE, 0, 0) == NULL &&
	    C(0, 1, HOST_RAM_BASE + 16 * VM_MIB, HOST_RAM_BASE + 24 * VM_MIB,
	    0, 0) == NULL && C(1, 1, lo, HOST_RAM_BASE + 16 * VM_MIB, 0, 0) ==
	    NULL, "contig_range_without_memory_is_null (below RAM, the hole, "
	    "another domain's range), even WAITOK");
	ok(C(0, 5000, lo, hi, 0, 0) == NULL,
	    "contig_more_pages_than_the_domain_is_null");
	ok(C(0, 1UL << 60, lo, hi, 0, 0) == NULL,
	    "contig_huge_npages_is_null");
	ok(vm_domain_free_count(-1) == 0 && vm_domain_free_count(9) == 0,
	    "free_count_invalid_domain_is_0");
	for (d = 0; d < vm_ndomains; d++)
		ok(V.nfree[d] == vm_domain_free_count(d),
		    "bad input changed nothing in domain %d", d);
	ok(!vm_page_reclaim_contig_domain(-1, 0, 1, lo, hi, 0, 0) &&
	    !vm_page_reclaim_contig_domain(0, 0, 0, lo, hi, 0, 0),
	    "reclaim_bad_args_is_false");
#undef C
}

/* ----------------------------------------------------------- panics */

static void
test_invalid_frees(void)
{
	struct contig_free cf;
	vm_page_t m, r;
	vm_paddr_t pa;
	uint64_t junk[4];

	ok(vmm_boot(&V, 1, 9), "boot for invalid-free tests");
	m = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT);
	pa = VM_PAGE_TO_PHYS(m);
	vm_page_free(m);
	ok(panics(do_free, m, "vm_page_free", hexpa(pa), "already free (in a "
	    "page cache)"), "free_twice_cached_panics: %s", panic_msg);
	(void)vm_page_cache_drain();
	ok(panics(do_free, m, "vm_page_free", hexpa(pa), "already free (on "
	    "the free lists)"), "free_twice_buddy_panics: %s", panic_msg);
	/* A page inside a free block never written since boot. */
	r = PHYS_TO_VM_PAGE(HOST_RAM_BASE + 36 * VM_MIB + 77 * PAGE_SIZE);
	ok(panics(do_free, r, "vm_page_free", hexpa(HOST_RAM_BASE + 36 *
	    VM_MIB + 77 * PAGE_SIZE), "already free"),
	    "free_never_allocated_page_panics: %s", panic_msg);
	ok(panics(do_free_zero, r, "vm_page_free_zero", "already free", NULL),
	    "free_zero_of_free_page_panics: %s", panic_msg);
	/*
	 * Structs inside a free max-order block (a whole chunk) may hold
	 * junk; junk that reads exactly like an allocated page must not fool
	 * the checks.
	 */
	ok(vm_phys_free_blocks(1, VM_NFREEORDER - 1, &pa, 1) >= 1,
	    "domain 1 has a free max-order block");
	r = PHYS_TO_VM_PAGE(pa + 77 * PAGE_SIZE);
	r->vp_next = 0;
	r->vp_info = 0;
	ok(panics(do_free, r, "vm_page_free", "already free (on the free "
	    "lists)", NULL), "free_of_junk_that_looks_allocated_panics: %s",
	    panic_msg);
	cf.m = r - 2;
	cf.n = 4;
	ok(panics(do_free_contig, &cf, "vm_page_free_contig", "already free",
	    NULL), "free_contig_over_junk_that_looks_allocated_panics: %s",
	    panic_msg);
	/* A page inside a free block of a split chunk (not its head). */
	m = vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT, 8, 0,
	    ~(vm_paddr_t)0, 8 * PAGE_SIZE, 0, 0);
	pa = VM_PAGE_TO_PHYS(m);
	vm_page_free_contig(m, 8);
	ok(panics(do_free, m + 3, "vm_page_free", hexpa(pa + 3 * PAGE_SIZE),
	    "already free (on the free lists)") && vmm_check(&V),
	    "free_inside_free_block_panics: %s", panic_msg);
	/*
	 * A whole chunk (2048 pages, 8 MiB aligned) allocated and freed at
	 * once: its inner structs still read "allocated", the chunk's head
	 * says free.
	 */
	m = vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT, 2048, 0,
	    ~(vm_paddr_t)0, 2048 * PAGE_SIZE, 0, 0);
	ok(m != NULL, "a whole chunk as one run");
	if (m != NULL) {
		pa = VM_PAGE_TO_PHYS(m);
		vm_page_free_contig(m, 2048);
		ok(panics(do_free, m + 1000, "vm_page_free", hexpa(pa + 1000 *
		    PAGE_SIZE), "already free (on the free lists)") &&
		    vmm_check(&V), "free_in_chunk_freed_whole_panics: %s",
		    panic_msg);
		/* Split it again: its inner structs are rewritten first. */
		r = vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT, 1,
		    pa + 7 * PAGE_SIZE, pa + 8 * PAGE_SIZE, 0, 0, 0);
		ok(r == m + 7 && vm_phys_check() == 0 && panics(do_free,
		    m + 1000, "vm_page_free", "already free (on the free "
		    "lists)", NULL),
		    "chunk split after a whole free is consistent: %s",
		    panic_msg);
		if (r != NULL)
			vm_page_free(r);
		(void)vm_page_cache_drain();
		ok(vmm_check(&V), "chunk coalesced again");
	}
	ok(panics(do_free, junk, "vm_page_free", "not a managed page", NULL),
	    "free_unmanaged_pointer_panics: %s", panic_msg);
	ok(panics(do_free, (char *)m + 3, "vm_page_free", "not a managed "
	    "page", NULL), "free_misaligned_pointer_panics: %s", panic_msg);
	ok(panics(do_to_phys, junk, "vm_page_to_phys", "not a managed page",
	    NULL), "to_phys_unmanaged_panics: %s", panic_msg);
	ok(panics(do_to_phys, (char *)m + 4, "vm_page_to_phys", "not a "
	    "managed page", NULL), "to_phys_misaligned_pointer_panics: %s",
	    panic_msg);
	/* Runs. */
	m = vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT, 8, 0,
	    ~(vm_paddr_t)0, 0, 0, 0);
	pa = VM_PAGE_TO_PHYS(m);
	vm_page_free(m + 5);
	cf.m = m;
	cf.n = 8;
	ok(panics(do_free_contig, &cf, "vm_page_free_contig",
	    hexpa(pa + 5 * PAGE_SIZE), "already free"),
	    "free_contig_with_free_page_panics: %s", panic_msg);
	ok(vm_page_is_zero(m) == vm_page_is_zero(m) &&
	    vm_domain_free_count(0) == V.nfree[0] - 7,
	    "a refused free_contig changed nothing");
	cf.n = 5;
	vm_page_free_contig(m, 5);
	cf.m = m + 6;
	cf.n = 2;
	vm_page_free_contig(cf.m, cf.n);
	ok(vm_domain_free_count(0) == V.nfree[0] && vmm_check(&V),
	    "free_contig of pieces gives all 8 back");
	/* A run leaving its segment (the last page of domain 0). */
	m = PHYS_TO_VM_PAGE(HOST_RAM_BASE + 16 * VM_MIB - PAGE_SIZE);
	cf.m = m;
	cf.n = 2;
	ok(panics(do_free_contig, &cf, "vm_page_free_contig", "leaves its "
	    "segment", NULL), "free_contig_past_segment_end_panics: %s",
	    panic_msg);
	cf.m = (vm_page_t)junk;
	ok(panics(do_free_contig, &cf, "vm_page_free_contig", "not a managed "
	    "page", NULL), "free_contig_unmanaged_panics: %s", panic_msg);
	ok(vmm_check(&V), "still consistent after the refused frees: %s",
	    V.err);
}

/*
 * Pages of a chunk cut by a segment edge (their structs are all written at
 * boot, and the free fast path trusts a page's own state there): each
 * such range of the odd shapes gives a page that round-trips through the
 * cache and whose double frees panic.
 */
static void
test_cut_chunk_frees(void)
{
	const struct vm_page_segtab *ps;
	vm_paddr_t lo, hi, pa;
	vm_page_t m;
	int tried, good, s;

	tried = good = 0;
	for (s = 3; s < VMM_NSHAPES; s++) {
		ok(vmm_boot(&V, s, 21), "boot %s for cut-chunk frees",
		    vmm_shapes[s].name);
		for (ps = vm_page_segtab; ps->ps_size != 0; ps++) {
			lo = ps->ps_start;
			hi = roundup2(lo + 1, (vm_paddr_t)PAGE_SIZE <<
			    (VM_NFREEORDER - 1));
			if (hi > ps->ps_start + ps->ps_size)
				hi = ps->ps_start + ps->ps_size;
			if ((lo & ((PAGE_SIZE << (VM_NFREEORDER - 1)) - 1)) == 0)
				continue;	/* not cut */
			m = vm_page_alloc_noobj_contig_domain((int)ps->ps_domain,
			    VM_ALLOC_NOWAIT, 1, lo, hi, PAGE_SIZE, 0, 0);
			if (m == NULL)
				continue;	/* all early pages */
			tried++;
			pa = VM_PAGE_TO_PHYS(m);
			vm_page_free(m);
			if (panics(do_free, m, "vm_page_free", hexpa(pa),
			    "already free (in a page cache)") &&
			    vm_page_cache_drain() != 0 && panics(do_free, m,
			    "vm_page_free", hexpa(pa), "already free (on the "
			    "free lists)") && vmm_check(&V))
				good++;
			else
				diag("cut chunk page 0x%lx: %s", (u_long)pa,
				    panic_msg);
		}
	}
	ok(tried > 0 && good == tried, "%d of %d pages of cut chunks: freed "
	    "once, double frees panic", good, tried);
}

/* -------------------------------------------- early pages, zero, marks */

static void
test_early_zero_marks(void)
{
	vm_page_t m, m2;
	vm_paddr_t pa;
	u_int before;
	int e;

	ok(vmm_boot(&V, 0, 11), "boot for early/zero/marks tests");
	for (e = 0; e < physmem.nearly; e++)
		if (strcmp(physmem.early[e].what, "test early") == 0)
			break;
	pa = physmem.early[e].start;
	m = PHYS_TO_VM_PAGE(pa);
	before = vm_free_count();
	ok(m != NULL && V.st[vmm_pi(&V, pa)] == MS_BOOT,
	    "early page %s is accounted as allocated", hexpa(pa));
	vm_page_free_boot(m);
	vmm_set(&V, pa, 1, MS_FREE);
	ok(vm_free_count() == before + 1 && vmm_check(&V),
	    "early_page_can_be_freed (vm_page_free_boot)");
	ok(panics(do_free, m, "vm_page_free", "already free", NULL),
	    "freeing it again panics");
	/* Known zero survives free_zero -> cache -> alloc. */
	m = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT);
	pa = VM_PAGE_TO_PHYS(m);
	memset((void *)PHYS_TO_DMAP(pa), 0, PAGE_SIZE);
	vm_page_free_zero(m);
	m2 = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT);
	ok(m2 == m && vm_page_is_zero(m2), "known_zero_kept_through_cache");
	vm_page_clear_zero(m2);
	ok(!vm_page_is_zero(m2), "vm_page_clear_zero clears it");
	/* Marks. */
	vm_page_kmem_set(m2, VM_PAGE_KMEM_HEAD | VM_PAGE_KMEM_EXEC);
	ok(vm_page_kmem_get(m2) == (VM_PAGE_KMEM_HEAD | VM_PAGE_KMEM_EXEC) &&
	    vm_page_is_kmem_exec(m2), "kmem marks set");
	vm_page_kmem_clear(m2, VM_PAGE_KMEM_HEAD);
	ok(vm_page_kmem_get(m2) == VM_PAGE_KMEM_EXEC, "kmem marks cleared "
	    "one by one");
	*(char *)PHYS_TO_DMAP(pa) = 1;
	vm_page_free(m2);
	m = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT | VM_ALLOC_ZERO);
	ok(m == m2 && vm_page_kmem_get(m) == 0 && vm_page_is_zero(m) &&
	    *(char *)PHYS_TO_DMAP(pa) == 0, "free clears marks; "
	    "VM_ALLOC_ZERO zeroes a dirty page");
	vm_page_free(m);
	/* vm_page_next: physical successor inside the segment. */
	m = PHYS_TO_VM_PAGE(HOST_RAM_BASE);
	ok(vm_page_next(m) == m + 1 && vm_page_next(PHYS_TO_VM_PAGE(
	    V.ram_end - PAGE_SIZE)) == NULL, "vm_page_next: m + 1, NULL at "
	    "the segment end");
	ok(malloc2vm_flags(M_NOWAIT | M_ZERO) == (VM_ALLOC_SYSTEM |
	    VM_ALLOC_NOWAIT | VM_ALLOC_ZERO) && malloc2vm_flags(M_WAITOK |
	    M_NORECLAIM) == (VM_ALLOC_SYSTEM | VM_ALLOC_WAITOK |
	    VM_ALLOC_NORECLAIM) && malloc2vm_flags(M_NOWAIT | M_USE_RESERVE)
	    == (VM_ALLOC_INTERRUPT | VM_ALLOC_NOWAIT), "malloc2vm_flags maps "
	    "as FreeBSD");
	ok(VM_ALLOC_WAITOK == 0x8 && VM_ALLOC_WAITFAIL == 0x10 &&
	    VM_ALLOC_WIRED == 0x20 && VM_ALLOC_ZERO == 0x40 &&
	    VM_ALLOC_NORECLAIM == 0x80 && VM_ALLOC_NOWAIT == 0x8000,
	    "VM_ALLOC_* have FreeBSD's values");
}

/* ------------------------------------------------- lowmem and reclaim */

static int lm_calls, lm_flags;
static vm_page_t lm_held[64];
static int lm_nheld;

static void
lm_count(void *arg, int flags)
{

	lm_calls += *(int *)arg;
	lm_flags = flags;
}

static void
lm_release(void *arg, int flags)
{

	(void)arg;
	(void)flags;
	while (lm_nheld > 0)
		vm_page_free(lm_held[--lm_nheld]);
}

static void
test_lowmem(void)
{
	void *tags[VM_LOWMEM_MAX_HANDLERS + 1];
	int one = 1, i, n, d;
	void *t, *t2;
	vm_page_t m;
	u_long cnt;

	ok(vm_lowmem_register(NULL, NULL) == NULL, "register_null_is_null");
	t = vm_lowmem_register(lm_count, &one);
	ok(t != NULL, "register works before anything else");
	lm_calls = 0;
	cnt = vm_lowmem_count();
	ok(vm_lowmem_trigger(0x4) == EINVAL && lm_calls == 0 &&
	    vm_lowmem_trigger(VM_LOW_PAGES | 0x100) == EINVAL && lm_calls == 0,
	    "trigger_unknown_flag_is_einval_and_calls_nothing");
	ok(vm_lowmem_trigger(0) == 0 && lm_calls == 0, "trigger(0) calls "
	    "nothing");
	ok(vm_lowmem_trigger(VM_LOW_KMEM | VM_LOW_PAGES) == 0 &&
	    lm_calls == 1 && lm_flags == (VM_LOW_KMEM | VM_LOW_PAGES) &&
	    vm_lowmem_count() == cnt + 1, "trigger runs the handler with the "
	    "flags");
	t2 = vm_lowmem_register(lm_count, &one);
	ok(vm_lowmem_trigger(VM_LOW_KMEM) == 0 && lm_calls == 3,
	    "trigger runs every handler");
	vm_lowmem_deregister(t2);
	ok(vm_lowmem_trigger(VM_LOW_KMEM) == 0 && lm_calls == 4,
	    "a deregistered handler is not called");
	ok(panics(do_deregister, t2, "vm_lowmem_deregister", "not registered",
	    NULL), "deregister_twice_panics: %s", panic_msg);
	ok(panics(do_deregister, &one, "vm_lowmem_deregister", "not a lowmem "
	    "tag", NULL), "deregister_junk_panics: %s", panic_msg);
	n = 0;
	for (i = 0; i < VM_LOWMEM_MAX_HANDLERS + 1; i++) {
		tags[i] = vm_lowmem_register(lm_count, &one);
		if (tags[i] != NULL)
			n++;
	}
	ok(n == VM_LOWMEM_MAX_HANDLERS - 1 && tags[n] == NULL,
	    "register_into_a_full_table_is_null");
	for (i = 0; i < n; i++)
		vm_lowmem_deregister(tags[i]);
	vm_lowmem_deregister(t);

	/* Reclaim: a handler holds pages that complete a run. */
	ok(vmm_boot(&V, 0, 13), "boot for reclaim test");
	d = 0;
	while ((m = vm_page_alloc_noobj_domain(d, VM_ALLOC_NOWAIT)) != NULL) {
		if (lm_nheld < 64)
			lm_held[lm_nheld++] = m;
		else
			vmm_set(&V, VM_PAGE_TO_PHYS(m), 1, MS_ALLOC);
	}
	ok(vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT |
	    VM_ALLOC_NORECLAIM, 1, 0, ~(vm_paddr_t)0, 0, 0, 0) == NULL,
	    "exhausted: NORECLAIM contig fails");
	t = vm_lowmem_register(lm_release, NULL);
	ok(vm_page_reclaim_contig_domain(d, 0, 1, 0, ~(vm_paddr_t)0, 0, 0) &&
	    lm_nheld == 0, "reclaim_runs_handlers_and_reports_freed");
	ok(!vm_page_reclaim_contig_domain(d, 0, 1, 0, ~(vm_paddr_t)0, 0, 0),
	    "reclaim with nothing to free reports false");
	for (i = 0; i < 64; i++)
		lm_held[lm_nheld++] = vm_page_alloc_noobj_domain(d,
		    VM_ALLOC_NOWAIT);
	m = vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT, 1, 0,
	    ~(vm_paddr_t)0, 0, 0, 0);
	ok(m != NULL && lm_nheld == 0, "contig alloc reclaims through the "
	    "handler and succeeds");
	vm_lowmem_deregister(t);
	vm_page_free(m);
}

/* ----------------------------------------------------------- waiting */

static void
test_wait(void)
{
	vm_page_t m, *held;
	u_long n, i;
	int d;

	ok(vmm_boot(&V, 0, 17), "boot for wait tests");
	d = 0;
	n = vm_domain_free_count(d);
	held = malloc(sizeof(*held) * n);
	for (i = 0; i < n; i++)
		held[i] = vm_page_alloc_noobj_domain(d, VM_ALLOC_NOWAIT);
	ok(vm_page_alloc_noobj_domain(d, VM_ALLOC_NOWAIT) == NULL,
	    "domain exhausted");
	ok(panics(do_alloc_waitok, &d, "vm_page_alloc_noobj_domain",
	    "can never succeed", NULL), "waitok_that_would_deadlock_panics: "
	    "%s", panic_msg);
	ok(panics(do_contig_waitok, &d, "vm_page_alloc_noobj_contig_domain",
	    "can never succeed", NULL), "contig_waitok_that_would_deadlock_"
	    "panics: %s", panic_msg);
	ok(vm_page_alloc_noobj_domain(d, VM_ALLOC_WAITFAIL | VM_ALLOC_NOWAIT)
	    == NULL, "NOWAIT wins over WAITFAIL");
	vmm_free_later(held[n - 1]);
	m = vm_page_alloc_noobj_domain(d, VM_ALLOC_WAITOK);
	vmm_free_later_join();
	ok(m == held[n - 1], "waitok_sleeps_until_another_thread_frees");
	held[n - 1] = m;
	for (i = 0; i < n; i++)
		vm_page_free(held[i]);
	free(held);
	ok(vm_domain_free_count(d) == n, "all back after the wait test");
}

static void
test_stats(void)
{
	struct vm_phys_stats st;
	u_long tot;
	int d, o;

	ok(vmm_boot(&V, 3, 19), "boot odd shape for stats");
	vm_phys_stats(&st);
	vm_phys_print_stats(&st);
	tot = 0;
	for (d = 0; d < st.ndomains; d++)
		for (o = 0; o < VM_NFREEORDER; o++)
			tot += st.dom[d].blocks[o] << o;
	ok(tot + st.dom[0].cached + st.dom[1].cached + st.dom[2].cached ==
	    vm_free_count() && st.nsegs == physmem.nmanaged,
	    "stats: blocks per order add up to the free count");
	diag("metadata: %lu bytes for %u+ pages, %lu.%03lu bytes/page",
	    st.meta_bytes, vm_free_count(), st.meta_milli_per_page / 1000,
	    st.meta_milli_per_page % 1000);
}

int
main(int argc, char **argv)
{
	int s, steps;
	uint64_t seed;

	(void)argc;
	(void)argv;
	host_thread_register();
	for (s = 0; s < VMM_NSHAPES; s++)
		test_boot_shape(s);
	test_bad_input();
	test_invalid_frees();
	test_cut_chunk_frees();
	test_contig_named();
	test_early_zero_marks();
	test_lowmem();
	test_wait();
	test_stats();
	for (s = 0; s < VMM_NSHAPES; s++)
		test_exhaust(s);
	steps = getenv("VM_PHYS_STEPS") ? atoi(getenv("VM_PHYS_STEPS")) : 1500;
	for (s = 0; s < VMM_NSHAPES; s++)
		for (seed = 1; seed <= 3; seed++)
			test_random(s, seed + 100 * (uint64_t)s, steps);
	return (tap_done());
}
