/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/domainset.h: NUMA domain sets and the iterators that walk them
 * (FreeBSD's sys/domainset.h and vm/vm_domainset.h).
 *
 * A domain set is a mask of allowed domains and a policy:
 *   DOMAINSET_RR()       every domain, round robin (a cursor per hart)
 *   DOMAINSET_PREF(d)    d first, then the others in order d+1, d+2, ...
 *   DOMAINSET_FIXED(d)   only d
 *   DOMAINSET_FT()       first touch: the calling hart's domain first
 *                        (md_cpu_domain(md_cpuid())), then the others
 *   DOMAINSET_IL()       interleave: by page index in 2 MiB stripes for
 *                        the page iterator; like RR for the policy iterator
 * The macros yield pointers to static sets (d must be < MAXMEMDOM; a set
 * for a domain without memory has only the domains that exist).  They are
 * valid once vm_phys_init() has run.
 *
 * Iteration (as FreeBSD's): *_init picks the first domain and turns the
 * caller's flags into a non-sleeping request (M_WAITOK -> M_NOWAIT, or
 * VM_ALLOC_WAITOK/WAITFAIL -> VM_ALLOC_NOWAIT) for the per-domain attempts;
 * each call of the iterator yields the next domain.  The first pass skips
 * domains below their free-page minimum (vm_page_count_min_domain), a
 * second pass tries the skipped ones; no domain is tried twice in a pass.
 * When both passes are done: a non-sleeping request gets ENOMEM; a
 * sleeping one waits for a page to be freed in an allowed domain (running
 * the lowmem handlers first, and panicking if nothing could ever free a
 * page: md_sleep_would_deadlock()) and starts over (WAITFAIL: gets ENOMEM
 * after the one wait).
 *
 *	vm_domainset_iter_policy_init(&di, ds, &domain, &flags);
 *	do {
 *		p = alloc_domain(domain, flags);
 *		if (p != NULL)
 *			break;
 *	} while (vm_domainset_iter_policy(&di, &domain) == 0);
 *
 * A set with no existing domain (DOMAINSET_FIXED(d) for d without memory)
 * yields domain -1 from init and ENOMEM from the iterator: per-domain
 * allocators must fail for domain -1 (vm_page_alloc_noobj_domain does).
 */
#ifndef KMEM_DOMAINSET_H
#define KMEM_DOMAINSET_H

#include <kmem/types.h>
#include <kmem/vm_param.h>

/* Policies (FreeBSD's values). */
#define DOMAINSET_POLICY_INVALID	0
#define DOMAINSET_POLICY_ROUNDROBIN	1
#define DOMAINSET_POLICY_FIRSTTOUCH	2
#define DOMAINSET_POLICY_PREFER		3
#define DOMAINSET_POLICY_INTERLEAVE	4

typedef u_long domainset_t;		/* bit d: domain d allowed */

struct domainset {
	domainset_t	ds_mask;	/* allowed domains that have memory */
	short		ds_policy;	/* DOMAINSET_POLICY_* */
	short		ds_prefer;	/* PREFER: the preferred domain */
	int		ds_cnt;		/* domains in ds_mask */
	int		ds_order[MAXMEMDOM]; /* ds_mask's domains, ascending;
					       then -1 */
};

extern struct domainset domainset_roundrobin;
extern struct domainset domainset_firsttouch;
extern struct domainset domainset_interleave;
extern struct domainset domainset_prefer[MAXMEMDOM];
extern struct domainset domainset_fixed[MAXMEMDOM];

#define DOMAINSET_RR()		(&domainset_roundrobin)
#define DOMAINSET_FT()		(&domainset_firsttouch)
#define DOMAINSET_IL()		(&domainset_interleave)
#define DOMAINSET_PREF(d)	(&domainset_prefer[(d)])
#define DOMAINSET_FIXED(d)	(&domainset_fixed[(d)])

/*
 * Iterator state; treat as opaque.  *_init only picks the first domain;
 * the visiting order is built by the first call of the iterator (most
 * allocations succeed in the first domain and never need it).
 */
struct vm_domainset_iter {
	struct domainset *di_domain;
	int		di_cnt;			/* entries in di_order; -1: not
						   built yet (only di_first
						   visited, in pass 1) */
	int		di_first;		/* the policy's first domain */
	int		di_pos;			/* next index in di_order */
	int		di_pass;		/* 1: skip below-min, 2: skipped */
	domainset_t	di_skipped;		/* skipped in pass 1 */
	int		di_flags;		/* the caller's original flags */
	uint64_t	di_gen;			/* free generation at round start */
	int8_t		di_order[MAXMEMDOM];	/* this round's visiting order */
};

/**
 * Start iterating @p ds for a malloc-flags allocation.  Sets *domain to the
 * first domain (-1 if the set has none) and rewrites *flags: M_WAITOK is
 * replaced by M_NOWAIT (the iterator does the waiting).
 */
void vm_domainset_iter_policy_init(struct vm_domainset_iter *di,
    struct domainset *ds, int *domain, int *flags);
/**
 * Next domain to try.  May sleep (original flags had M_WAITOK).
 * @retval 0		*domain is the next domain
 * @retval ENOMEM	every domain was tried (M_NOWAIT), or the set is empty
 */
int vm_domainset_iter_policy(struct vm_domainset_iter *di, int *domain);
/**
 * The domain an allocation with @p ds tries first, when that domain alone
 * is the iterator's first step: it exists, is in the set and is not below
 * its free-page minimum (a DOMAINSET_RR() set advances this hart's cursor,
 * as an iterator does).  Otherwise -1: start an iterator.  For an
 * allocator's fast path, which falls back to the iterator when its one
 * attempt fails.
 */
int vm_domainset_first(struct domainset *ds);

/**
 * The same for VM_ALLOC_* flags: VM_ALLOC_WAITOK/WAITFAIL are replaced by
 * VM_ALLOC_NOWAIT in *req.  @p pindex places DOMAINSET_IL() requests
 * (pindex / 512 modulo the domains); other policies ignore it.
 */
void vm_domainset_iter_page_init(struct vm_domainset_iter *di,
    struct domainset *ds, vm_pindex_t pindex, int *domain, int *req);
/** As vm_domainset_iter_policy; WAITFAIL: ENOMEM after one wait. */
int vm_domainset_iter_page(struct vm_domainset_iter *di, int *domain);

/*
 * (Re)build the static sets for vm_ndomains domains: the start-up sequence
 * (kmem_startup) calls it once vm_phys_init() has found the domains.
 */
void domainset_init(void);

#endif /* KMEM_DOMAINSET_H */
