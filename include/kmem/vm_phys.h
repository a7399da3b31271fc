/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/vm_phys.h: physical segments, NUMA domains and the buddy allocator.
 *
 * vm_phys_init() turns physmem.managed[] (managed RAM per NUMA domain)
 * into segments: a segment is one managed range, so it never spans two
 * domains, and holes and reserved ranges are never in one.  Each domain
 * has free lists per order (order 0 = 4 KiB .. VM_NFREEORDER - 1 = 8 MiB);
 * a buddy block is naturally aligned and never spans two segments.
 *
 * Boot cost: the page metadata is not written page by page.  Only the
 * heads of the maximal free blocks are written, and the structs of the
 * chunks (2^(VM_NFREEORDER - 1) pages) cut by a segment edge or an early
 * allocation.  The first struct of a chunk that is one free block says
 * so, and the chunk's other structs are only written the first time it is
 * split (src/vm_phys.c: "Which structs are meaningful").  Pages the early
 * allocator handed out (physmem.early[]) are marked allocated: they can
 * be freed later like any other page.
 */
#ifndef KMEM_VM_PHYS_H
#define KMEM_VM_PHYS_H

#include <kmem/types.h>
#include <kmem/vm_param.h>
#include <kmem/vm_page.h>

#define VM_NFREEORDER		12	/* orders 0 .. 11: 4 KiB .. 8 MiB */
#define VM_PHYS_MAX_SEGS	64

/* Number of domains with managed memory (0 before vm_phys_init). */
extern int vm_ndomains;

/**
 * Build segments and domains from physmem, allocate the page metadata
 * (physmem_early_alloc, each domain's in that domain), put free memory on
 * the buddy lists and close the early allocator (physmem.early_closed).
 * Prints one line: domains, segments, pages and the metadata's bytes per
 * page and in total.  Boot hart, once, after
 * physmem_init() (on the target after paging is on: RAM is reached only
 * through PHYS_TO_DMAP).
 *
 * @retval 0		ready
 * @retval EBUSY	already initialised
 * @retval EINVAL	physmem has no managed memory
 * @retval E2BIG	a domain has more than 2^27 - 1 pages (512 GiB)
 * @retval ENOMEM	a domain cannot hold its own metadata
 */
int vm_phys_init(void);

/** Domain of a physical address; -1 if @p pa is not managed RAM. */
int vm_phys_domain(vm_paddr_t pa);

struct vm_phys_stats {
	int		ndomains;
	int		nsegs;
	struct {
		vm_paddr_t	start, end;	/* [start, end) */
		int		domain;
		u_long		free;		/* pages on the buddy lists
						   (harts' caches not included) */
	} segs[VM_PHYS_MAX_SEGS];
	struct {
		u_long	npages;		/* managed pages */
		u_long	free;		/* free pages (lists + caches) */
		u_long	cached;		/* of which in harts' caches */
		u_long	free_min;	/* see vm_page_count_min_domain */
		u_long	blocks[VM_NFREEORDER];	/* free blocks per order */
	} dom[MAXMEMDOM];
	u_long		meta_bytes;	/* page structs */
	u_long		meta_milli_per_page; /* bytes per page * 1000 */
};

/* What vm_phys_pa_state() answers. */
#define VM_PHYS_PAGE_ALLOC	0	/* allocated (to a user or at boot) */
#define VM_PHYS_PAGE_CACHED	1	/* free, in a hart's page cache */
#define VM_PHYS_PAGE_FREE	2	/* free, in a block on the buddy lists */

/**
 * The state of the page holding @p pa (a racy snapshot unless the caller
 * owns the page): VM_PHYS_PAGE_ALLOC, _CACHED or _FREE.
 * @retval -1 @p pa is not managed RAM
 */
int vm_phys_pa_state(vm_paddr_t pa);

/** Fill @p st (a racy snapshot: each domain's part under its lock). */
void vm_phys_stats(struct vm_phys_stats *st);
/** Print @p st: segments, then per domain free pages per order. */
void vm_phys_print_stats(const struct vm_phys_stats *st);

/* --- For tests and debugging --- */

/**
 * Walk every domain's free lists and page structs and check the invariants:
 * links, orders, alignment, segment bounds, blocks disjoint and fully
 * coalesced, every free page on exactly one list, counters.  Prints the
 * first problem found.
 * @retval 0 consistent, -1 not (the message says what)
 */
int vm_phys_check(void);

/**
 * Physical addresses of the free blocks of @p order in @p domain (at most
 * @p max of them, in list order).  Returns how many there are in all.
 */
u_long vm_phys_free_blocks(int domain, int order, vm_paddr_t *pa, u_long max);

/**
 * Forget everything (test-only): after it, physmem_init() and
 * vm_phys_init() may run again on a new machine.  Lowmem handlers stay.
 */
void vm_phys_reset_for_test(void);

#endif /* KMEM_VM_PHYS_H */
