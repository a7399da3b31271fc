/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_domainset: domain sets and their iterators on a 4-domain host
 * machine: visiting orders per policy, the below-minimum pass, flag
 * rewriting, fallback when the preferred domain is exhausted, waiting
 * (woken by another thread's free, or a panic when nothing could free).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmem/domainset.h>
#include <kmem/fault.h>
#include <kmem/machine.h>
#include <kmem/vm_page.h>
#include <kmem/vm_phys.h>

#include "host.h"
#include "tap.h"
#include "vm_phys_model.h"

static struct vmm V;

/* Domains visited by one NOWAIT policy iteration where every try fails. */
static int
visit(struct domainset *ds, int *seq, int flags)
{
	struct vm_domainset_iter di;
	int domain, n;

	n = 0;
	vm_domainset_iter_policy_init(&di, ds, &domain, &flags);
	if (domain < 0)
		return (0);
	do {
		seq[n++] = domain;
	} while (n < 64 && vm_domainset_iter_policy(&di, &domain) == 0);
	return (n);
}

static bool
is_perm(const int *seq, int n, domainset_t mask)
{
	domainset_t seen = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (((mask >> seq[i]) & 1) == 0 || ((seen >> seq[i]) & 1))
			return (false);
		seen |= 1UL << seq[i];
	}
	return (seen == mask);
}

/* Take every page of domain d (kept in *held). */
static u_long
exhaust(int d, vm_page_t **held)
{
	u_long n, cap;
	vm_page_t m;

	cap = vm_domain_free_count(d) + 1;
	*held = malloc(sizeof(vm_page_t) * cap);
	n = 0;
	while (n < cap && (m = vm_page_alloc_noobj_domain(d,
	    VM_ALLOC_NOWAIT)) != NULL)
		(*held)[n++] = m;
	return (n);
}

static void
release(vm_page_t *held, u_long n)
{

	while (n > 0)
		vm_page_free(held[--n]);
	free(held);
}

static char panic_msg[256];

static void
iter_waitok(void *arg)
{
	int seq[64];

	(void)visit(arg, seq, M_WAITOK);
}

static bool
panics(void (*fn)(void *), void *arg, const char *want)
{
	struct kmem_panic_catch pc;

	panic_msg[0] = '\0';
	if (KMEM_PANIC_TRY(&pc)) {
		fn(arg);
		kmem_panic_disarm();
		return (false);
	}
	snprintf(panic_msg, sizeof(panic_msg), "%s", pc.kp_msg);
	return (strstr(pc.kp_msg, want) != NULL);
}

int
main(void)
{
	struct vm_domainset_iter di;
	vm_page_t *held[MAXMEMDOM], m, victim;
	u_long nheld[MAXMEMDOM];
	int seq[64], firsts[MAXMEMDOM], d, i, n, flags, req, domain;
	domainset_t all;
	bool good;

	host_thread_register();
	ok(vmm_boot(&V, 2, 1), "boot 4 domains: %s", V.err);
	all = (1UL << vm_ndomains) - 1;
	ok(vm_ndomains == 4, "4 domains");

	/* Static sets. */
	ok(DOMAINSET_RR() == &domainset_roundrobin &&
	    DOMAINSET_PREF(2) == &domainset_prefer[2] &&
	    DOMAINSET_FIXED(1) == &domainset_fixed[1] &&
	    DOMAINSET_RR()->ds_policy == DOMAINSET_POLICY_ROUNDROBIN &&
	    DOMAINSET_FT()->ds_policy == DOMAINSET_POLICY_FIRSTTOUCH &&
	    DOMAINSET_IL()->ds_policy == DOMAINSET_POLICY_INTERLEAVE &&
	    DOMAINSET_PREF(2)->ds_policy == DOMAINSET_POLICY_PREFER,
	    "DOMAINSET_* are static sets with FreeBSD's policies");

	/* Flags. */
	flags = M_WAITOK | M_ZERO;
	vm_domainset_iter_policy_init(&di, DOMAINSET_RR(), &domain, &flags);
	ok(flags == (M_NOWAIT | M_ZERO), "policy_init turns M_WAITOK into "
	    "M_NOWAIT for the per-domain tries");
	req = VM_ALLOC_WAITOK | VM_ALLOC_ZERO;
	vm_domainset_iter_page_init(&di, DOMAINSET_RR(), 0, &domain, &req);
	ok(req == (VM_ALLOC_NOWAIT | VM_ALLOC_ZERO), "page_init turns "
	    "VM_ALLOC_WAITOK into VM_ALLOC_NOWAIT");

	/* Round robin: each domain once per iteration, starts rotate. */
	good = true;
	memset(firsts, 0, sizeof(firsts));
	for (i = 0; i < 8; i++) {
		n = visit(DOMAINSET_RR(), seq, M_NOWAIT);
		good = good && n == 4 && is_perm(seq, n, all);
		firsts[seq[0]]++;
	}
	ok(good, "rr_visits_every_domain_once_per_pass");
	good = true;
	for (i = 0; i < 4; i++) {
		n = visit(DOMAINSET_RR(), seq, M_NOWAIT);
		good = good && n == 4 && seq[1] == (seq[0] + 1) % 4 &&
		    seq[2] == (seq[0] + 2) % 4 && seq[3] == (seq[0] + 3) % 4;
	}
	ok(good, "rr_continues_in_ascending_order_after_its_first_domain");
	ok(firsts[0] == 2 && firsts[1] == 2 && firsts[2] == 2 && firsts[3] == 2,
	    "rr_spreads_first_choices (%d %d %d %d)", firsts[0], firsts[1],
	    firsts[2], firsts[3]);
	/* Page allocations through RR land in every domain. */
	memset(firsts, 0, sizeof(firsts));
	for (i = 0; i < 8; i++) {
		m = vm_page_alloc_noobj(VM_ALLOC_NOWAIT);
		firsts[vm_page_domain(m)]++;
		vm_page_free(m);
	}
	ok(firsts[0] == 2 && firsts[1] == 2 && firsts[2] == 2 && firsts[3] == 2,
	    "vm_page_alloc_noobj spreads over domains");

	/* Prefer, fixed, first touch, interleave. */
	for (d = 0; d < 4; d++) {
		n = visit(DOMAINSET_PREF(d), seq, M_NOWAIT);
		ok(n == 4 && seq[0] == d && seq[1] == (d + 1) % 4 &&
		    seq[2] == (d + 2) % 4 && seq[3] == (d + 3) % 4,
		    "prefer(%d) tries %d first, then the others in order "
		    "d+1, d+2, ... (wrapping)", d, d);
		n = visit(DOMAINSET_FIXED(d), seq, M_NOWAIT);
		ok(n == 1 && seq[0] == d, "fixed(%d) tries only %d", d, d);
	}
	n = visit(DOMAINSET_FT(), seq, M_NOWAIT);
	ok(n == 4 && seq[0] == md_cpu_domain(md_cpuid()) && is_perm(seq, n,
	    all), "first touch starts at this hart's domain %d",
	    md_cpu_domain(md_cpuid()));
	good = true;
	for (i = 0; i < 8; i++) {
		req = VM_ALLOC_NOWAIT;
		vm_domainset_iter_page_init(&di, DOMAINSET_IL(),
		    (vm_pindex_t)i * 512 + 7, &domain, &req);
		good = good && domain == i % 4;
	}
	ok(good, "interleave places 2 MiB stripes of pindex round the domains");
	flags = M_NOWAIT;
	vm_domainset_iter_policy_init(&di, DOMAINSET_FIXED(6), &domain, &flags);
	ok(domain == -1 && vm_domainset_iter_policy(&di, &domain) == ENOMEM &&
	    vm_page_alloc_noobj_domain(-1, VM_ALLOC_NOWAIT) == NULL,
	    "a set with no existing domain gives -1 and ENOMEM");

	/* Below-minimum domains go last (second pass), once. */
	nheld[1] = exhaust(1, &held[1]);
	ok(vm_page_count_min_domain(1) && !vm_page_count_min_domain(0),
	    "an exhausted domain is below its minimum");
	good = true;
	for (i = 0; i < 8; i++) {
		n = visit(DOMAINSET_RR(), seq, M_NOWAIT);
		good = good && n == 4 && is_perm(seq, n, all) && seq[3] == 1;
	}
	ok(good, "below_min_domain_is_tried_in_the_second_pass_only");
	n = visit(DOMAINSET_PREF(1), seq, M_NOWAIT);
	ok(n == 4 && seq[3] == 1 && is_perm(seq, n, all),
	    "prefer(1) with 1 below minimum tries the others first");
	/* Fallback: PREF(1) allocations come from elsewhere now. */
	good = true;
	for (i = 0; i < 16; i++) {
		flags = M_NOWAIT;
		vm_domainset_iter_page_init(&di, DOMAINSET_PREF(1), 0, &domain,
		    &req);
		do {
			m = vm_page_alloc_noobj_domain(domain, req);
		} while (m == NULL && vm_domainset_iter_page(&di, &domain) ==
		    0);
		good = good && m != NULL && vm_page_domain(m) != 1;
		if (m != NULL)
			vm_page_free(m);
	}
	ok(good, "prefer_falls_back_when_the_domain_is_exhausted");
	release(held[1], nheld[1]);
	m = NULL;
	req = VM_ALLOC_NOWAIT;
	vm_domainset_iter_page_init(&di, DOMAINSET_PREF(1), 0, &domain, &req);
	m = vm_page_alloc_noobj_domain(domain, req);
	ok(m != NULL && vm_page_domain(m) == 1, "prefer(1) uses 1 again once "
	    "it has pages");
	vm_page_free(m);

	/* Everything exhausted: NOWAIT fails, WAITOK would deadlock. */
	for (d = 0; d < 4; d++)
		nheld[d] = exhaust(d, &held[d]);
	ok(vm_page_alloc_noobj(VM_ALLOC_NOWAIT) == NULL && vm_free_count() ==
	    0, "all domains exhausted: NOWAIT gets nothing");
	ok(panics(iter_waitok, DOMAINSET_RR(), "can never succeed"),
	    "iterator_waitok_with_nothing_to_free_panics: %s", panic_msg);
	/* WAITOK is woken by another thread's free and starts over. */
	victim = held[2][nheld[2] - 1];
	vmm_free_later(victim);
	flags = M_WAITOK;
	vm_domainset_iter_policy_init(&di, DOMAINSET_RR(), &domain, &flags);
	m = NULL;
	n = 0;
	do {
		m = vm_page_alloc_noobj_domain(domain,
		    malloc2vm_flags(flags));
		n++;
	} while (m == NULL && n < 100 && vm_domainset_iter_policy(&di,
	    &domain) == 0);
	vmm_free_later_join();
	ok(m == victim && flags == M_NOWAIT, "iterator_waitok_sleeps_until_"
	    "a_free_then_finds_the_page (%d tries)", n);
	held[2][nheld[2] - 1] = m;
	m = NULL;
	for (d = 0; d < 4; d++)
		release(held[d], nheld[d]);
	ok(vmm_free_all(&V), "everything back: %s", V.err);
	return (tap_done());
}
