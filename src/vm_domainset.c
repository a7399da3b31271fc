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

/*
 * The round-robin cursor of each hart: the index in ds_order[] of its next
 * RR pick (shared by every RR set; wrapped against the set's count, so no
 * division).  Only its hart touches it, with interrupts as they are: a
 * torn round-robin is harmless.  One cache line per hart.
 */
static struct {
	u_int	rr;
} __attribute__((aligned(64))) ds_cursor[MAXCPU];

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
	/* Unused entries are -1: the iterators rely on ds_order[0] == -1. */
	for (d = ds->ds_cnt; d < MAXMEMDOM; d++)
		ds->ds_order[d] = -1;
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

_Static_assert(powerof2(MAXMEMDOM) && MAXMEMDOM <= 64,
    "vm_domainset: the visiting order wraps with a mask");

/* The set's domains that exist now. */
static inline domainset_t
iter_mask(const struct vm_domainset_iter *di)
{

	return (di->di_domain->ds_mask & (vm_ndomains > 0 ?
	    (1UL << vm_ndomains) - 1 : 0));
}

/*
 * Build the visiting order: di_first (or, if it is not in the set, the
 * set's lowest domain), then the set's other domains in ascending order
 * from there, wrapping.  di_cnt is 0 for a set with no existing domain.
 */
static void
iter_build(struct vm_domainset_iter *di)
{
	domainset_t mask;
	int d, first, i, n;

	mask = iter_mask(di);
	n = 0;
	if (mask != 0) {
		first = di->di_first;
		if ((u_int)first >= MAXMEMDOM || ((mask >> first) & 1) == 0)
			first = kmem_ffsl(mask) - 1;
		di->di_first = first;
		di->di_order[n++] = (int8_t)first;
		for (i = 1; i < MAXMEMDOM; i++) {
			d = (first + i) & (MAXMEMDOM - 1);
			if ((mask >> d) & 1)
				di->di_order[n++] = (int8_t)d;
		}
	}
	di->di_cnt = n;
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

/*
 * Start with @p first as the policy's first domain (it may be invalid: -1,
 * not in the set, or there may be no domain at all).  The common case (it
 * exists, is in the set and is not below its minimum on the buddy count
 * alone) only records it: the visiting order is built by the first
 * iterator call, which most allocations never make.  Otherwise the order
 * is built now and pass 1 runs as usual.  Out of line, so that the common
 * path needs no stack frame.
 */
static __attribute__((noinline)) void
iter_init_slow(struct vm_domainset_iter *di, int *domain)
{

	iter_build(di);
	di->di_pos = 0;
	di->di_pass = 1;
	di->di_skipped = 0;
	*domain = iter_next(di);
}

/* Whether @first exists, is in the set and is not below its minimum. */
static inline bool
first_ok(struct domainset *ds, int first, bool in_set)
{
	struct vm_domain *vmd;

	if (__predict_false((u_int)first >= (u_int)vm_ndomains || (!in_set &&
	    ((ds->ds_mask >> first) & 1) == 0)))
		return (false);
	vmd = &vm_dom[first];
	return (vmd_free_peek(vmd) >= vmd->vmd_free_min);
}

static inline void
iter_init_first(struct vm_domainset_iter *di, struct domainset *ds, int first,
    bool in_set, int *domain)
{

	di->di_first = first;
	if (__predict_true(first_ok(ds, first, in_set))) {
		di->di_cnt = -1;
		*domain = first;
		return;
	}
	iter_init_slow(di, domain);
}

/*
 * The policy's first domain (PREFER/FIXED: ds_prefer; FT: this hart's
 * domain; RR, and IL for the policy iterator: this hart's cursor, left
 * alone when the set has at most one domain; IL for the page iterator: by
 * pindex).  It may be invalid: -1, or not in the set (*in_set false: not
 * known to be in it).
 */
static inline int
iter_pick(struct domainset *ds, bool page, vm_pindex_t pindex, bool *in_set)
{
	u_int cnt, i;
	int policy;

	*in_set = true;
	policy = ds->ds_policy;
	if (__predict_false(policy != DOMAINSET_POLICY_ROUNDROBIN)) {
		switch (policy) {
		case DOMAINSET_POLICY_PREFER:
			*in_set = false;
			return (ds->ds_prefer);
		case DOMAINSET_POLICY_FIRSTTOUCH:
			*in_set = false;
			return (md_cpu_domain(kmem_cpuid()));
		case DOMAINSET_POLICY_INTERLEAVE:
			if (!page)
				break;
			cnt = (u_int)ds->ds_cnt;
			return (cnt <= 1 ? ds->ds_order[0] :
			    ds->ds_order[(pindex >> IL_STRIPE_SHIFT) % cnt]);
		}
		/* IL for the policy iterator, or no known policy: RR. */
	}
	/* ds_order[0] is -1 for an empty set (ds_set). */
	cnt = (u_int)ds->ds_cnt;
	if (cnt <= 1)
		return (ds->ds_order[0]);
	i = ds_cursor[kmem_cpuid()].rr;
	if (i >= cnt)
		i = 0;
	ds_cursor[kmem_cpuid()].rr = i + 1;
	return (ds->ds_order[i]);
}

/*
 * Start at the policy's first domain.  The free generation is read before
 * any attempt (acquire: the attempts cannot be ordered before it), so a
 * free that an attempt missed moves it and the wait at the end of the
 * round returns at once.
 */
static inline void
iter_init(struct vm_domainset_iter *di, struct domainset *ds, bool page,
    vm_pindex_t pindex, int *domain)
{
	bool in_set;
	int first;

	di->di_domain = ds;
	di->di_gen = atomic_load_explicit(&vm_free_gen, memory_order_acquire);
	first = iter_pick(ds, page, pindex, &in_set);
	iter_init_first(di, ds, first, in_set, domain);
}

/* vm_domainset_first for DOMAINSET_FT(): out of line, no frame there. */
static __attribute__((noinline)) int
first_ft(struct domainset *ds)
{
	int first;

	first = md_cpu_domain(kmem_cpuid());
	return (first_ok(ds, first, false) ? first : -1);
}

int
vm_domainset_first(struct domainset *ds)
{
	bool in_set;
	int first;

	if (__predict_false(ds->ds_policy == DOMAINSET_POLICY_FIRSTTOUCH))
		return (first_ft(ds));
	first = iter_pick(ds, false, 0, &in_set);
	return (__predict_true(first_ok(ds, first, in_set)) ? first : -1);
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

	if (di->di_cnt < 0) {
		/* Only di_first was tried (in pass 1, not below its min). */
		iter_build(di);
		di->di_pos = 1;
		di->di_pass = 1;
		di->di_skipped = 0;
	}
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
	/* di_cnt > 0: pass 1 or 2 of the new round yields a domain. */
	iter_start(di, domain);
	return (0);
}

void
vm_domainset_iter_policy_init(struct vm_domainset_iter *di,
    struct domainset *ds, int *domain, int *flags)
{

	int f;

	f = *flags;
	di->di_flags = f;
	*flags = (f & ~M_WAITOK) | M_NOWAIT;
	iter_init(di, ds, false, 0, domain);
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

	int f;

	f = *req;
	di->di_flags = f;
	*req = (f & ~(VM_ALLOC_WAITOK | VM_ALLOC_WAITFAIL)) | VM_ALLOC_NOWAIT;
	iter_init(di, ds, true, pindex, domain);
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
