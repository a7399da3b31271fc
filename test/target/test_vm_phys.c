/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vm_phys.c (target): the page allocator on riscv64 in QEMU, booted
 * by kmem_startup (meson runs it with --numa 1, 2 and 4).
 *
 * Pages come from the domain asked for (their PA lies in one of that
 * domain's FDT memory ranges, physmem.ram[]); DOMAINSET_RR spreads over
 * the domains; DOMAINSET_PREF(d) falls back when d is exhausted;
 * contiguous runs honour low/high/alignment/boundary (also longer than the
 * largest buddy block); reclaim frees a cache that a lowmem handler holds
 * and the retried allocation succeeds; exhausting every domain and then
 * freeing everything returns every count to its start value.  Held pages
 * are chained through their own first word (no other memory needed).
 */
#include <stdio.h>
#include <string.h>

#include <kmem/domainset.h>
#include <kmem/fault.h>
#include <kmem/lowmem.h>
#include <kmem/machine.h>
#include <kmem/physmem.h>
#include <kmem/vm_page.h>
#include <kmem/vm_param.h>
#include <kmem/vm_phys.h>

#include "tap.h"

/* Is [pa, pa + len) inside one FDT RAM range of (dense) domain d? */
static bool
in_fdt_domain(vm_paddr_t pa, vm_size_t len, int d)
{
	int i;

	for (i = 0; i < physmem.nram; i++)
		if (pa >= physmem.ram[i].start && pa + len <=
		    physmem.ram[i].end)
			return (physmem.ram[i].domain == d);
	return (false);
}

/* A chain of held pages, linked through their first word. */
struct chain {
	vm_paddr_t	head;
	u_long		n;
};

static void
chain_push(struct chain *c, vm_page_t m)
{
	vm_paddr_t pa = VM_PAGE_TO_PHYS(m);

	*(vm_paddr_t *)PHYS_TO_DMAP(pa) = c->head;
	c->head = pa;
	c->n++;
}

static void
chain_free(struct chain *c)
{
	vm_paddr_t pa, next;

	for (pa = c->head; c->n > 0; pa = next, c->n--) {
		next = *(vm_paddr_t *)PHYS_TO_DMAP(pa);
		vm_page_free(PHYS_TO_VM_PAGE(pa));
	}
	c->head = 0;
}

static u_long
exhaust(int d, struct chain *c)
{
	vm_page_t m;
	u_long n = 0;

	while ((m = vm_page_alloc_noobj_domain(d, VM_ALLOC_NOWAIT)) != NULL) {
		chain_push(c, m);
		n++;
	}
	return (n);
}

static void
test_domains(void)
{
	vm_page_t m;
	vm_paddr_t pa;
	int d, i, bad, cnt[MAXMEMDOM];

	ok(vm_ndomains == physmem.ndomains && vm_ndomains >= 1,
	    "vm_ndomains %d = domains with memory in the FDT", vm_ndomains);
	for (d = 0; d < vm_ndomains; d++) {
		bad = 0;
		for (i = 0; i < 64; i++) {
			m = vm_page_alloc_noobj_domain(d, VM_ALLOC_NOWAIT |
			    (i % 2 ? VM_ALLOC_ZERO : 0));
			if (m == NULL) {
				bad++;
				continue;
			}
			pa = VM_PAGE_TO_PHYS(m);
			if (!in_fdt_domain(pa, PAGE_SIZE, d) ||
			    vm_page_domain(m) != d || vm_phys_domain(pa) != d ||
			    (i % 2 && *(volatile uint64_t *)PHYS_TO_DMAP(pa +
			    PAGE_SIZE - 8) != 0))
				bad++;
			*(volatile uint64_t *)PHYS_TO_DMAP(pa) = pa;
			vm_page_free(m);
		}
		ok(bad == 0, "domain %d: 64 pages, each inside the domain's FDT "
		    "memory", d);
	}
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < 8 * vm_ndomains; i++) {
		m = vm_page_alloc_noobj(VM_ALLOC_NOWAIT);
		if (m != NULL) {
			cnt[vm_page_domain(m)]++;
			vm_page_free(m);
		}
	}
	bad = 0;
	for (d = 0; d < vm_ndomains; d++)
		if (cnt[d] != 8)
			bad++;
	ok(bad == 0, "DOMAINSET_RR spreads %d allocations evenly over %d "
	    "domain(s)", 8 * vm_ndomains, vm_ndomains);
}

static void
test_prefer_fallback(void)
{
	struct vm_domainset_iter di;
	struct chain c = { 0, 0 };
	vm_page_t m;
	int d, domain, req, i, bad;
	u_int start;

	for (d = 0; d < vm_ndomains; d++) {
		start = vm_domain_free_count(d);
		ok(exhaust(d, &c) == start && vm_domain_free_count(d) == 0,
		    "domain %d exhausted (%u pages)", d, start);
		bad = 0;
		for (i = 0; i < 16; i++) {
			req = VM_ALLOC_NOWAIT;
			vm_domainset_iter_page_init(&di, DOMAINSET_PREF(d), 0,
			    &domain, &req);
			do {
				m = vm_page_alloc_noobj_domain(domain, req);
			} while (m == NULL && vm_domainset_iter_page(&di,
			    &domain) == 0);
			if (vm_ndomains == 1 ? m != NULL : (m == NULL ||
			    vm_page_domain(m) == d))
				bad++;
			if (m != NULL)
				vm_page_free(m);
		}
		ok(bad == 0, "DOMAINSET_PREF(%d) falls back to other domains "
		    "when %d is exhausted", d, d);
		chain_free(&c);
		ok(vm_domain_free_count(d) == start, "domain %d back to %u "
		    "free", d, start);
	}
}

static void
test_contig(void)
{
	vm_page_t m;
	vm_paddr_t pa, lo, hi, b;
	u_long n;
	int d, i, bad;

	for (d = 0; d < vm_ndomains; d++) {
		m = vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT |
		    VM_ALLOC_ZERO, 512, 0, ~(vm_paddr_t)0, L2_SIZE, 0, 0);
		pa = m != NULL ? VM_PAGE_TO_PHYS(m) : 1;
		ok(m != NULL && (pa & L2_OFFSET) == 0 && in_fdt_domain(pa,
		    L2_SIZE, d) && *(uint64_t *)PHYS_TO_DMAP(pa + L2_SIZE - 8)
		    == 0, "domain %d: 2 MiB aligned, zeroed run at 0x%lx", d,
		    (u_long)pa);
		if (m != NULL)
			vm_page_free_contig(m, 512);
		bad = 0;
		b = 128 * 1024;
		for (i = 0; i < 32; i++) {
			m = vm_page_alloc_noobj_contig_domain(d,
			    VM_ALLOC_NOWAIT, 16, 0, ~(vm_paddr_t)0, 0, b, 0);
			pa = m != NULL ? VM_PAGE_TO_PHYS(m) : 0;
			if (m == NULL || ((pa ^ (pa + 16 * PAGE_SIZE - 1)) &
			    ~(b - 1)) != 0 || !in_fdt_domain(pa, 16 * PAGE_SIZE,
			    d))
				bad++;
			if (m != NULL)
				vm_page_free_contig(m, 16);
		}
		ok(bad == 0, "domain %d: 64 KiB runs never cross 128 KiB", d);
		n = 5000;	/* longer than the largest block (2048) */
		m = vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT, n,
		    0, ~(vm_paddr_t)0, 0, 0, 0);
		pa = m != NULL ? VM_PAGE_TO_PHYS(m) : 0;
		ok(m != NULL && in_fdt_domain(pa, ptoa(n), d) &&
		    VM_PAGE_TO_PHYS(m + n - 1) == pa + ptoa(n - 1),
		    "domain %d: a 5000-page run (beyond the largest block)", d);
		if (m != NULL)
			vm_page_free_contig(m, n);
		/* A window: 7 pages inside [lo, hi), 64 KiB aligned. */
		lo = physmem.managed[0].start;
		for (i = 0; i < physmem.nmanaged; i++)
			if (physmem.managed[i].domain == d) {
				lo = physmem.managed[i].start;
				break;
			}
		lo += 3 * L2_SIZE + 5;
		hi = lo + 1024 * 1024;
		m = vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT, 7, lo,
		    hi, 64 * 1024, 0, 0);
		pa = m != NULL ? VM_PAGE_TO_PHYS(m) : 0;
		ok(m != NULL && pa >= lo && pa + ptoa(7) <= hi &&
		    (pa & 0xffff) == 0 && vm_page_domain(m) == d,
		    "domain %d: run inside [0x%lx, 0x%lx) aligned 64 KiB at "
		    "0x%lx", d, (u_long)lo, (u_long)hi, (u_long)pa);
		if (m != NULL)
			vm_page_free_contig(m, 7);
	}
	ok(vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT, 4, 0,
	    ~(vm_paddr_t)0, 3 * PAGE_SIZE, 0, 0) == NULL &&
	    vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT, 4, 0,
	    ~(vm_paddr_t)0, 0, 2 * PAGE_SIZE, 0) == NULL &&
	    vm_page_alloc_noobj_contig_domain(vm_ndomains, VM_ALLOC_NOWAIT, 1,
	    0, ~(vm_paddr_t)0, 0, 0, 0) == NULL, "bad alignment, short "
	    "boundary, invalid domain: NULL");
}

/* Reclaim: a lowmem handler holds a 16-page run as its "cache". */
static vm_page_t cache_run;
static int cache_calls;

static void
cache_drain(void *arg, int flags)
{

	(void)arg;
	(void)flags;
	cache_calls++;
	if (cache_run != NULL) {
		vm_page_free_contig(cache_run, 16);
		cache_run = NULL;
	}
}

static void
test_reclaim(void)
{
	struct chain c = { 0, 0 };
	vm_page_t m;
	void *tag;
	int d;

	d = vm_ndomains - 1;
	cache_run = vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT, 16,
	    0, ~(vm_paddr_t)0, 0, 0, 0);
	tag = vm_lowmem_register(cache_drain, NULL);
	ok(cache_run != NULL && tag != NULL, "a handler holds a 16-page run");
	(void)exhaust(d, &c);
	m = vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT |
	    VM_ALLOC_NORECLAIM, 16, 0, ~(vm_paddr_t)0, 0, 0, 0);
	ok(m == NULL && cache_calls == 0, "exhausted domain %d: NORECLAIM "
	    "fails without calling handlers", d);
	m = vm_page_alloc_noobj_contig_domain(d, VM_ALLOC_NOWAIT, 16, 0,
	    ~(vm_paddr_t)0, 0, 0, 0);
	ok(m != NULL && cache_calls >= 1 && cache_run == NULL,
	    "reclaim ran the handler, which freed its run, and the retried "
	    "allocation succeeded");
	if (m != NULL)
		vm_page_free_contig(m, 16);
	vm_lowmem_deregister(tag);
	chain_free(&c);
}

static void
test_exhaust_all(void)
{
	struct vm_phys_stats before, after;
	struct chain c[MAXMEMDOM];
	u_int start[MAXMEMDOM];
	int d, o, bad;

	(void)vm_page_cache_drain();
	vm_phys_stats(&before);
	for (d = 0; d < vm_ndomains; d++) {
		start[d] = vm_domain_free_count(d);
		c[d].head = 0;
		c[d].n = 0;
		(void)exhaust(d, &c[d]);
	}
	ok(vm_free_count() == 0, "every domain exhausted");
	for (d = 0; d < vm_ndomains; d++)
		chain_free(&c[d]);
	bad = 0;
	for (d = 0; d < vm_ndomains; d++)
		if (vm_domain_free_count(d) != start[d])
			bad++;
	ok(bad == 0, "free-all returns every domain's count to its start "
	    "value");
	(void)vm_page_cache_drain();
	vm_phys_stats(&after);
	bad = 0;
	for (d = 0; d < vm_ndomains; d++)
		for (o = 0; o < VM_NFREEORDER; o++)
			if (before.dom[d].blocks[o] != after.dom[d].blocks[o])
				bad++;
	ok(bad == 0, "and the free lists hold the same blocks per order");
	ok(vm_phys_check() == 0, "vm_phys_check passes");
}

static void
test_double_free(void)
{
	struct kmem_panic_catch pc;
	vm_page_t m;
	char want[32];

	m = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT);
	snprintf(want, sizeof(want), "0x%lx", (u_long)VM_PAGE_TO_PHYS(m));
	vm_page_free(m);
	if (KMEM_PANIC_TRY(&pc)) {
		vm_page_free(m);
		kmem_panic_disarm();
		ok(0, "double free panics");
	} else
		ok(strstr(pc.kp_msg, "vm_page_free") != NULL &&
		    strstr(pc.kp_msg, want) != NULL &&
		    strstr(pc.kp_msg, "already free") != NULL,
		    "double free panics: %s", pc.kp_msg);
}

int
main(void)
{
	struct vm_phys_stats st;

	vm_phys_stats(&st);
	vm_phys_print_stats(&st);
	test_domains();
	test_prefer_fallback();
	test_contig();
	test_reclaim();
	test_exhaust_all();
	test_double_free();
	return (tap_done());
}
