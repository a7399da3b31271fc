/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_domainset.c: the static domain sets and the iterators over them
 * (see kmem/domainset.h for the contract).
 */
#include <string.h>

#include <kmem/domainset.h>
#include <kmem/vm_page.h>
#include <kmem/vm_phys.h>

#include "vm_phys_private.h"

struct domainset domainset_roundrobin;
struct domainset domainset_firsttouch;
struct domainset domainset_interleave;
struct domainset domainset_prefer[MAXMEMDOM];
struct domainset domainset_fixed[MAXMEMDOM];

#define IL_STRIPE_SHIFT	9	/* 512 pages = 2 MiB per interleave stripe */

static void
ds_set(struct domainset *ds, domainset_t mask, int policy, int prefer)
{
	int d;

	memset(ds, 0, sizeof(*ds));
	ds->ds_mask = mask;
	ds->ds_policy = (short)policy;
	ds->ds_prefer = (short)prefer;
	for (d = 0; d < MAXMEMDOM; d++)
		if ((mask >> d) & 1)
			ds->ds_order[ds->ds_cnt++] = d;
}

void
domainset_init(void)
{
	domainset_t all;
	int d;

	all = vm_ndomains > 0 ? (1UL << vm_ndomains) - 1 : 0;
	ds_set(&domainset_roundrobin, all, DOMAINSET_POLICY_ROUNDROBIN, -1);
	ds_set(&domainset_firsttouch, all, DOMAINSET_POLICY_FIRSTTOUCH, -1);
	ds_set(&domainset_interleave, all, DOMAINSET_POLICY_INTERLEAVE, -1);
	for (d = 0; d < MAXMEMDOM; d++) {
		ds_set(&domainset_prefer[d], all, DOMAINSET_POLICY_PREFER,
		    d < vm_ndomains ? d : -1);
		ds_set(&domainset_fixed[d], d < vm_ndomains ? 1UL << d : 0,
		    DOMAINSET_POLICY_PREFER, d < vm_ndomains ? d : -1);
	}
}

/*
 * Build the visiting order of one round: the set's domains rotated so that
 * the policy's first domain comes first.
 */
static void
iter_order(struct vm_domainset_iter *di, vm_pindex_t pindex)
{
	struct domainset *ds;
	domainset_t mask;
	int d, first, i, start;

	ds = di->di_domain;
	mask = ds->ds_mask & (vm_ndomains > 0 ? (1UL << vm_ndomains) - 1 :
	    0);
	di->di_cnt = 0;
	if (mask == 0)
		return;
	first = -1;
	switch (ds->ds_policy) {
	case DOMAINSET_POLICY_PREFER:
		first = ds->ds_prefer;
		break;
	case DOMAINSET_POLICY_FIRSTTOUCH:
		first = md_cpu_domain(kmem_cpuid());
		break;
	case DOMAINSET_POLICY_INTERLEAVE:
		if (di->di_page) {
			first = (int)((pindex >> IL_STRIPE_SHIFT) %
			    (vm_pindex_t)ds->ds_cnt);
			first = ds->ds_order[first];
			break;
		}
		/* FALLTHROUGH */
	case DOMAINSET_POLICY_ROUNDROBIN:
	default:
		first = ds->ds_order[vm_pcpu[kmem_cpuid()].pc_rr++ %
		    (u_int)ds->ds_cnt];
		break;
	}
	if (first < 0 || first >= MAXMEMDOM || ((mask >> first) & 1) == 0)
		first = ds->ds_order[0];
	/* Rotate: first, then the following domains of the set, wrapping. */
	for (start = 0; start < ds->ds_cnt && ds->ds_order[start] != first;
	    start++)
		;
	for (i = 0; i < ds->ds_cnt; i++) {
		d = ds->ds_order[start + i < ds->ds_cnt ? start + i :
		    start + i - ds->ds_cnt];
		if ((mask >> d) & 1)
			di->di_order[di->di_cnt++] = d;
	}
}

/*
 * Next domain of the current round, or -1 when both passes are done.
 * Pass 1 skips below-minimum domains (remembered), pass 2 visits those.
 */
static int
iter_next(struct vm_domainset_iter *di)
{
	int d;

	while (di->di_pass <= 2) {
		while (di->di_pos < di->di_cnt) {
			d = di->di_order[di->di_pos++];
			if (di->di_pass == 1) {
				if (vm_page_count_min_domain(d)) {
					di->di_skipped |= 1UL << d;
					continue;
				}
				return (d);
			}
			if ((di->di_skipped >> d) & 1)
				return (d);
		}
		di->di_pass++;
		di->di_pos = 0;
	}
	return (-1);
}

static void
iter_start(struct vm_domainset_iter *di, int *domain)
{

	di->di_pos = 0;
	di->di_pass = 1;
	di->di_skipped = 0;
	di->di_gen = atomic_load(&vm_free_gen);
	*domain = iter_next(di);
}

static void
iter_init(struct vm_domainset_iter *di, struct domainset *ds, bool page,
    vm_pindex_t pindex, int *domain)
{

	/* Field by field: picolibc's memset is a byte loop (~4 per byte). */
	di->di_domain = ds;
	di->di_page = page;
	di->di_cnt = 0;
	di->di_flags = 0;
	iter_order(di, pindex);
	iter_start(di, domain);
}

/*
 * Common step: next domain, or wait and start over, or ENOMEM.  sleeps is
 * whether the caller's original flags allow sleeping; once whether only
 * one wait is allowed (WAITFAIL).
 */
static int
iter_step(struct vm_domainset_iter *di, int *domain, bool sleeps, bool once)
{
	int d;

	if (di->di_cnt == 0) {
		*domain = -1;
		return (ENOMEM);
	}
	d = iter_next(di);
	if (d >= 0) {
		*domain = d;
		return (0);
	}
	if (!sleeps || di->di_pass > 3)
		return (ENOMEM);
	vm_wait_gen(di->di_gen, di->di_domain->ds_mask,
	    "vm_domainset_iter");
	if (once) {
		di->di_pass = 4;	/* no further round */
		return (ENOMEM);
	}
	iter_start(di, domain);
	return (*domain >= 0 ? 0 : ENOMEM);
}

void
vm_domainset_iter_policy_init(struct vm_domainset_iter *di,
    struct domainset *ds, int *domain, int *flags)
{

	iter_init(di, ds, false, 0, domain);
	di->di_flags = *flags;
	*flags = (di->di_flags & ~M_WAITOK) | M_NOWAIT;
}

int
vm_domainset_iter_policy(struct vm_domainset_iter *di, int *domain)
{

	return (iter_step(di, domain, (di->di_flags & M_WAITOK) != 0 &&
	    (di->di_flags & M_NOWAIT) == 0, false));
}

void
vm_domainset_iter_page_init(struct vm_domainset_iter *di,
    struct domainset *ds, vm_pindex_t pindex, int *domain, int *req)
{

	iter_init(di, ds, true, pindex, domain);
	di->di_flags = *req;
	*req = (di->di_flags & ~(VM_ALLOC_WAITOK | VM_ALLOC_WAITFAIL)) |
	    VM_ALLOC_NOWAIT;
}

int
vm_domainset_iter_page(struct vm_domainset_iter *di, int *domain)
{
	int f;

	f = di->di_flags;
	return (iter_step(di, domain, (f & (VM_ALLOC_WAITOK |
	    VM_ALLOC_WAITFAIL)) != 0 && (f & VM_ALLOC_NOWAIT) == 0,
	    (f & VM_ALLOC_WAITOK) == 0));
}
