/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_domainset: libFuzzer drives the domain-set iterators.
 *
 * A page allocator of 4 domains of 4 MiB (vm_phys_model.h's small one)
 * boots once.  Each input, a byte per choice, alternates between pushing
 * domains below their free-page minimum or back (holding runs of 32 pages,
 * single pages once runs are gone, and returning them) and iterating a set (RR, FT, IL, PREF(d), FIXED(d), d also past
 * the machine, below MAXMEMDOM) with the policy or the page iterator, M_NOWAIT.  The
 * model's rules (kmem/domainset.h): every domain the set allows is visited
 * exactly once and nothing else is; pass 1 visits only domains not below
 * their minimum, PREF(d) and FIXED(d) start at d when d is in the set and
 * not below it, FT at the hart's domain likewise; vm_domainset_first()
 * names the iterator's first domain or -1.  Any disagreement aborts.
 */
#define _GNU_SOURCE		/* usleep, for the model's vmm_free_later */
#include <stdio.h>
#include <stdlib.h>

#include <kmem/domainset.h>
#include <kmem/machine.h>
#include <kmem/vm_page.h>

#include "vm_phys_model.h"

#define FZ_STEPS	200
#define FZ_HOLD		4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vmm V;
/* Held runs: 32 pages each where the domain has them, else one. */
static struct {
	vm_page_t	m;
	u_long		n;
} held[MAXMEMDOM][FZ_HOLD];
static int nheld[MAXMEMDOM];

static void
give_back(int d)
{

	while (nheld[d] > 0) {
		nheld[d]--;
		vm_page_free_contig(held[d][nheld[d]].m, held[d][nheld[d]].n);
	}
}

#define FAIL(...) do {							\
	fprintf(stderr, "fuzz_domainset: " __VA_ARGS__);		\
	fprintf(stderr, "\n");						\
	abort();							\
} while (0)

static struct domainset *
pick(int c, int d)
{

	switch (c % 5) {
	case 0: return (DOMAINSET_RR());
	case 1: return (DOMAINSET_FT());
	case 2: return (DOMAINSET_IL());
	case 3: return (DOMAINSET_PREF(d));
	default: return (DOMAINSET_FIXED(d));
	}
}

static void
iterate(struct domainset *ds, bool page, u_long pindex)
{
	struct vm_domainset_iter di;
	int seen[MAXMEMDOM] = { 0 }, order[2 * MAXMEMDOM];
	int domain, first, n, i, flags, want;
	bool below;

	/* RR and IL advance a cursor per call: only the others repeat. */
	first = ds->ds_policy == DOMAINSET_POLICY_PREFER ||
	    ds->ds_policy == DOMAINSET_POLICY_FIRSTTOUCH ?
	    vm_domainset_first(ds) : -2;
	flags = page ? VM_ALLOC_NOWAIT : M_NOWAIT;
	if (page)
		vm_domainset_iter_page_init(&di, ds, pindex, &domain, &flags);
	else
		vm_domainset_iter_policy_init(&di, ds, &domain, &flags);
	if (domain < 0) {
		if (ds->ds_cnt != 0 || first >= 0)
			FAIL("policy %d mask 0x%lx: no first domain",
			    ds->ds_policy, (u_long)ds->ds_mask);
		return;
	}
	n = 0;
	do {
		if (n == 2 * MAXMEMDOM)
			FAIL("policy %d: endless iteration", ds->ds_policy);
		order[n++] = domain;
	} while ((page ? vm_domainset_iter_page(&di, &domain) :
	    vm_domainset_iter_policy(&di, &domain)) == 0);
	for (i = 0; i < n; i++) {
		if (order[i] < 0 || order[i] >= vm_ndomains ||
		    (ds->ds_mask & ((domainset_t)1 << order[i])) == 0)
			FAIL("policy %d mask 0x%lx: visited domain %d",
			    ds->ds_policy, (u_long)ds->ds_mask, order[i]);
		if (seen[order[i]]++ != 0)
			FAIL("policy %d: domain %d visited twice",
			    ds->ds_policy, order[i]);
	}
	if (n != ds->ds_cnt)
		FAIL("policy %d mask 0x%lx: %d domains visited, %d allowed",
		    ds->ds_policy, (u_long)ds->ds_mask, n, ds->ds_cnt);
	/* Pass 1 (domains not below their minimum) comes first. */
	for (i = 1; i < n; i++)
		if (vm_page_count_min_domain(order[i - 1]) &&
		    !vm_page_count_min_domain(order[i]))
			FAIL("policy %d: domain %d below its minimum visited "
			    "before %d", ds->ds_policy, order[i - 1],
			    order[i]);
	want = -1;
	if (ds->ds_policy == DOMAINSET_POLICY_PREFER)
		want = ds->ds_prefer;
	else if (ds->ds_policy == DOMAINSET_POLICY_FIRSTTOUCH)
		want = md_cpu_domain(md_cpuid());
	below = want >= 0 && want < vm_ndomains &&
	    vm_page_count_min_domain(want);
	if (want >= 0 && (ds->ds_mask & ((domainset_t)1 << want)) != 0 &&
	    !below && order[0] != want)
		FAIL("policy %d: starts at %d, not at %d", ds->ds_policy,
		    order[0], want);
	if (first >= 0 && !page && first != order[0])
		FAIL("policy %d: vm_domainset_first %d, iterator %d",
		    ds->ds_policy, first, order[0]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool booted;
	vm_page_t m;
	size_t i;
	u_long n;
	int c, d, k;

	if (!booted) {
		if (!vmm_boot_small(&V, 2, 1))	/* 4 domains, 4 MiB each */
			FAIL("boot: %s", V.err);
		booted = true;
	}
	for (i = 0; i + 1 < size && i < 2 * FZ_STEPS; i += 2) {
		c = data[i];
		d = data[i + 1] % MAXMEMDOM;	/* the macros need d < MAXMEMDOM */
		if (c >= 0xc0) {
			/* Hold pages of a domain (it sinks below its minimum)
			   or give them back. */
			d %= vm_ndomains;
			if ((c & 1) != 0)
				for (k = 0; k < 1 + (c >> 1) % 32 * 2 &&
				    nheld[d] < FZ_HOLD; k++) {
					n = 32;
					m = vm_page_alloc_noobj_contig_domain(d,
					    VM_ALLOC_NOWAIT, n, 0,
					    ~(vm_paddr_t)0, 0, 0,
					    VM_MEMATTR_DEFAULT);
					if (m == NULL) {
						n = 1;
						m = vm_page_alloc_noobj_domain(
						    d, VM_ALLOC_NOWAIT);
					}
					if (m == NULL)
						break;
					held[d][nheld[d]].m = m;
					held[d][nheld[d]++].n = n;
				}
			else
				give_back(d);
			continue;
		}
		iterate(pick(c, d), (c >> 3) % 2 != 0, (u_long)data[i + 1] << 9);
	}
	for (d = 0; d < vm_ndomains; d++)
		give_back(d);
	return (0);
}
