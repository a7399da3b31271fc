/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/vm_page.h: physical pages.
 *
 * Every managed 4 KiB page of RAM (physmem.managed[]) has one struct
 * vm_page of 8 bytes in a per-segment array that lives in the page's own
 * NUMA domain.  PHYS_TO_VM_PAGE() and VM_PAGE_TO_PHYS() convert between a
 * physical address and its page; pages of one segment are consecutive
 * structs, so for a run that vm_page_alloc_noobj_contig_domain() returned,
 * m + i is the run's i-th page (as FreeBSD's kmem code relies on).
 *
 * Allocation follows FreeBSD's no-object interface (vm_page_alloc_noobj*),
 * with FreeBSD's VM_ALLOC_* values.  Every page of an allocated run is
 * freed on its own (vm_page_free) or the run or any part of it at once
 * (vm_page_free_contig): there is no per-allocation "head", exactly as in
 * FreeBSD, where kmem_free() returns a contiguous allocation page by page.
 *
 * The single-page path goes through a per-hart, per-domain cache of free
 * pages in front of the buddy allocator (src/vm_phys.c): no lock is taken
 * when the cache can serve the request.  Pages in caches count as free in
 * vm_free_count()/vm_domain_free_count().
 *
 * Checks: freeing a page that is already free (on the buddy lists or in a
 * hart's cache), a pointer that is not a managed page, or a run that leaves
 * its segment panics with a message that names the function, the physical
 * address (or the pointer) and what was wrong.  These checks are always on
 * (they cost two loads); KMEM_INVARIANTS=0 only drops the full
 * consistency walks of vm_phys_check().
 *
 * Locks: one kmem_spin per domain ("vm domain free") protects the free
 * lists and counters (lock order: kmem/spin.h).  The NOWAIT paths never sleep and never
 * run lowmem handlers, so the pmap may allocate page-table pages while
 * holding its lock.  Waiting (VM_ALLOC_WAITOK/WAITFAIL) and reclaim need
 * the caller to hold no kmem_spin.
 */
#ifndef KMEM_VM_PAGE_H
#define KMEM_VM_PAGE_H

#include <kmem/types.h>
#include <kmem/vm_param.h>

/*
 * The page structure: 8 bytes.  Its fields are private to src/vm_phys.c
 * and src/vm_page.c; use the functions below.  Meaning (see vm_phys.c):
 *  - head of a free buddy block: vp_next/prev (27-bit domain page indices)
 *    link the block on its free list, order and "known zero" in vp_info;
 *  - page in a hart's cache: vp_next links the cache, vp_info = cached;
 *  - allocated page: vp_info holds "known zero" and the kmem marks;
 *  - a page inside a free block: marked so, except inside a free block
 *    of the largest order, whose first struct says the whole block is
 *    free (the others are written lazily, see src/vm_phys.c).
 * Nothing else is kept per page: metadata costs 8 bytes per page.
 */
struct vm_page {
	uint32_t	vp_next;
	uint32_t	vp_info;
};
typedef struct vm_page *vm_page_t;

_Static_assert(sizeof(struct vm_page) == 8, "struct vm_page must be 8 bytes");

/* Allocation classes (accepted, all equal here: kmem keeps no reserve). */
#define VM_ALLOC_NORMAL		0
#define VM_ALLOC_INTERRUPT	1
#define VM_ALLOC_SYSTEM		2
#define VM_ALLOC_CLASS_MASK	3
/* Request flags, FreeBSD's values (sys/vm/vm_page.h). */
#define VM_ALLOC_WAITOK		0x0008	/* sleep until it succeeds */
#define VM_ALLOC_WAITFAIL	0x0010	/* sleep once, then return NULL */
#define VM_ALLOC_WIRED		0x0020	/* (every kmem page is wired) */
#define VM_ALLOC_ZERO		0x0040	/* return zeroed page(s) */
#define VM_ALLOC_NORECLAIM	0x0080	/* contig: do not run lowmem handlers */
#define VM_ALLOC_NOBUSY		0x0200	/* (accepted, no effect) */
#define VM_ALLOC_NODUMP		0x2000	/* (accepted, no effect) */
#define VM_ALLOC_NOWAIT		0x8000	/* never sleep */

/*
 * malloc(9) flags to VM_ALLOC_* flags, as FreeBSD: M_NOWAIT -> NOWAIT,
 * M_WAITOK -> WAITOK, M_ZERO -> ZERO, M_NORECLAIM -> NORECLAIM, M_NODUMP
 * -> NODUMP; class SYSTEM (INTERRUPT with M_USE_RESERVE).
 */
static inline int
malloc2vm_flags(int malloc_flags)
{
	int pflags;

	pflags = (malloc_flags & M_USE_RESERVE) != 0 ? VM_ALLOC_INTERRUPT :
	    VM_ALLOC_SYSTEM;
	if ((malloc_flags & M_ZERO) != 0)
		pflags |= VM_ALLOC_ZERO;
	if ((malloc_flags & M_NODUMP) != 0)
		pflags |= VM_ALLOC_NODUMP;
	if ((malloc_flags & M_NOWAIT) != 0)
		pflags |= VM_ALLOC_NOWAIT;
	if ((malloc_flags & M_WAITOK) != 0)
		pflags |= VM_ALLOC_WAITOK;
	if ((malloc_flags & M_NORECLAIM) != 0)
		pflags |= VM_ALLOC_NORECLAIM;
	return (pflags);
}

/*
 * Waiting.  An allocation with neither WAITOK nor WAITFAIL (or with
 * NOWAIT) fails at once.  With WAITOK it sleeps (vm_wait_domain) until a
 * page is freed and retries until it succeeds; WAITFAIL sleeps once and
 * returns NULL.  Before sleeping the lowmem handlers run once (they may
 * free memory).  If nothing else could ever run to free memory
 * (md_sleep_would_deadlock()) and the handlers freed nothing, the wait
 * panics saying that the allocation can never succeed.
 */

/**
 * Allocate one page from @p domain.
 *
 * @param req	VM_ALLOC_* flags (NOWAIT / WAITOK / WAITFAIL, ZERO, ...)
 * @retval m	the page; zeroed when VM_ALLOC_ZERO was given (then
 *		vm_page_is_zero(m) is true)
 * @retval NULL	domain < 0 or >= vm_ndomains, or no free page (after
 *		waiting, with WAITFAIL)
 * No lock needed; may sleep only with WAITOK/WAITFAIL.
 */
vm_page_t vm_page_alloc_noobj_domain(int domain, int req);

/**
 * Allocate one page from any domain: the domains in round-robin order
 * (DOMAINSET_RR), below-minimum domains last; waits as described above.
 * @retval NULL	no page in any domain (NOWAIT), or after one wait (WAITFAIL)
 */
vm_page_t vm_page_alloc_noobj(int req);

/**
 * Allocate @p npages physically contiguous pages from @p domain, as
 * FreeBSD's vm_phys_alloc_contig means the constraints: the run lies in
 * [low, high), its first byte is a multiple of @p alignment and it does
 * not cross a multiple of @p boundary (0: no boundary).  Runs longer than
 * the largest buddy block are fine; what a block holds beyond the run goes
 * back to the free lists.  low is rounded up and high down to pages;
 * alignment 0 or below PAGE_SIZE means PAGE_SIZE.  memattr is not a
 * physical property: it is accepted for FreeBSD compatibility and ignored
 * (the pmap maps with it).  When no run fits, this hart's page cache is
 * drained and the search repeated; then, unless VM_ALLOC_NORECLAIM, the
 * lowmem handlers run (vm_page_reclaim_contig_domain) and, if that freed
 * something, the search is repeated; then WAITOK/WAITFAIL wait.
 *
 * @retval m	the first page; pages m .. m + npages - 1 are the run
 * @retval NULL	domain invalid; npages == 0; alignment not a power of two;
 *		boundary neither 0 nor a power of two, or smaller than the
 *		run (npages * PAGE_SIZE); low >= high (after rounding); no
 *		managed memory of the domain in [low, high) can hold the run;
 *		or no free run (NOWAIT, or after a wait with WAITFAIL)
 */
vm_page_t vm_page_alloc_noobj_contig_domain(int domain, int req,
    u_long npages, vm_paddr_t low, vm_paddr_t high, u_long alignment,
    vm_paddr_t boundary, vm_memattr_t memattr);

/**
 * Free one allocated page.  Panics (naming the function and the physical
 * address) if @p m is not a managed page, or the page is already free.
 */
void vm_page_free(vm_page_t m);

/** As vm_page_free(); the caller promises the page is all zeros. */
void vm_page_free_zero(vm_page_t m);

/**
 * Free @p npages allocated pages m .. m + npages - 1 at once, coalescing
 * them into the largest buddy blocks (much cheaper than page by page).
 * npages == 0 does nothing.  Panics, before changing anything, if m is not
 * a managed page, the run leaves m's segment, or any page of it is free.
 */
void vm_page_free_contig(vm_page_t m, u_long npages);

/*
 * Conversions between a physical address and its page, on every kmem path,
 * so inline: the page of a physical address (NULL if @p pa is not managed
 * RAM); the physical address of a page (panics if @p m is not a managed
 * page); the domain of a page (-1 if @p m is not a managed page).  They
 * read two small tables that vm_phys_init() fills and nothing changes
 * afterwards (so no lock, on any hart): per physically contiguous run of
 * a domain's segments, its physical range and where its page structs are
 * (adjacent segments of one domain share an entry: their structs are
 * consecutive too); per domain, where its page array is.  The run table
 * ends with an entry of size 0.  A machine has one or two runs per domain
 * in practice, so a short compare chain finds the entry.  The tables are
 * private to src/ (they are here only for these inline functions).
 */
struct vm_page_segtab {
	vm_paddr_t	ps_start;	/* first byte of the run */
	vm_size_t	ps_size;	/* bytes (0: end of the table) */
	uintptr_t	ps_first;	/* address of ps_start's struct vm_page */
	u_long		ps_bytes;	/* bytes of its structs: pages * 8 */
	long		ps_domain;
};
struct vm_page_domtab {
	uintptr_t	pd_first;	/* the domain's page array */
	u_long		pd_bytes;	/* its bytes (0: no memory) */
};
extern struct vm_page_segtab vm_page_segtab[];
extern struct vm_page_domtab vm_page_domtab[];
extern int vm_ndomains;

/* The page struct is 8 bytes per 4 KiB page: byte offsets scale by 512. */
#define VM_PAGE_STRUCT_SHIFT	3
#define VM_PAGE_SCALE_SHIFT	(PAGE_SHIFT - VM_PAGE_STRUCT_SHIFT)

__kmem_noreturn void vm_page_to_phys_bad(vm_page_t m);

static inline vm_page_t
vm_page_from_phys(vm_paddr_t pa)
{
	const struct vm_page_segtab *ps;
	vm_paddr_t off;

	for (ps = vm_page_segtab; ps->ps_size != 0; ps++) {
		off = pa - ps->ps_start;
		if (off < ps->ps_size)
			return ((vm_page_t)(ps->ps_first + ((off >>
			    VM_PAGE_SCALE_SHIFT) & ~(uintptr_t)
			    ((1 << VM_PAGE_STRUCT_SHIFT) - 1))));
	}
	return (NULL);
}

static inline vm_paddr_t
vm_page_to_phys(vm_page_t m)
{
	const struct vm_page_segtab *ps;
	uintptr_t off;

	for (ps = vm_page_segtab; ps->ps_bytes != 0; ps++) {
		off = (uintptr_t)m - ps->ps_first;
		if (off < ps->ps_bytes) {
			if ((off & ((1 << VM_PAGE_STRUCT_SHIFT) - 1)) != 0)
				break;
			return (ps->ps_start + ((vm_paddr_t)off <<
			    VM_PAGE_SCALE_SHIFT));
		}
	}
	vm_page_to_phys_bad(m);
}

static inline int
vm_page_domain(vm_page_t m)
{
	int d;

	for (d = 0; d < vm_ndomains; d++)
		if ((uintptr_t)m - vm_page_domtab[d].pd_first <
		    vm_page_domtab[d].pd_bytes)
			return (d);
	return (-1);
}

#define PHYS_TO_VM_PAGE(pa)	vm_page_from_phys(pa)
#define VM_PAGE_TO_PHYS(m)	vm_page_to_phys(m)

/**
 * The physically next page (m + 1) when it is managed and in the same
 * segment, else NULL.  (FreeBSD's vm_page_next is the next page of an
 * object; kmem has no objects: the next page of a contiguous run is the
 * physically next one.)
 */
vm_page_t vm_page_next(vm_page_t m);

/*
 * Per-page state kmem needs, for allocated pages (cleared when the page is
 * freed):
 *  - "known zero" (FreeBSD's PG_ZERO): set on a page returned by a
 *    VM_ALLOC_ZERO request (the allocator zeroed it, or knew it was zero:
 *    pages freed with vm_page_free_zero() keep the knowledge on the free
 *    lists and in the caches).  A caller that writes the page and hands it
 *    on may clear it.
 *  - kmem marks, 5 bits the kmem layer owns: VM_PAGE_KMEM_MAPPED (kmem
 *    maps the page: FreeBSD's wiring by kernel_object; vm_page_free,
 *    vm_page_free_zero and vm_page_free_contig of such a page panic, so a
 *    page never has a mapping and a new owner at once), VM_PAGE_KMEM_EXEC
 *    (FreeBSD's VPO_KMEM_EXEC: mapped executable, kmem_unback picks the
 *    rwx arena by it), VM_PAGE_KMEM_HEAD / VM_PAGE_KMEM_TAIL (first / last
 *    page of one kmem allocation, so kmem_free can check that it frees
 *    exactly one), VM_PAGE_KMEM_ATTR (kmem gave the page a memory
 *    attribute, which kmem_free resets).
 * These are plain stores to the page's struct: the owner of the page
 * (whoever allocated it) serialises them.
 */
#define VM_PAGE_KMEM_MAPPED	0x1
#define VM_PAGE_KMEM_EXEC	0x2
#define VM_PAGE_KMEM_HEAD	0x4
#define VM_PAGE_KMEM_TAIL	0x8
#define VM_PAGE_KMEM_UMA	0x10	/* UMA owns it: vm_page_uma_set */
#define VM_PAGE_KMEM_ATTR	0x20
#define VM_PAGE_KMEM_ALL	0x3f
/* The bits of vp_info they use (the rest: src/vm_phys_private.h). */
#define VM_PAGE_INFO_ZERO	0x10U
#define VM_PAGE_INFO_KMEM_SHIFT	7

static inline void
vm_page_kmem_set(vm_page_t m, u_int marks)
{

	m->vp_info |= (marks & VM_PAGE_KMEM_ALL) << VM_PAGE_INFO_KMEM_SHIFT;
}

static inline void
vm_page_kmem_clear(vm_page_t m, u_int marks)
{

	m->vp_info &= ~((marks & VM_PAGE_KMEM_ALL) << VM_PAGE_INFO_KMEM_SHIFT);
}

static inline u_int
vm_page_kmem_get(vm_page_t m)
{

	return ((m->vp_info >> VM_PAGE_INFO_KMEM_SHIFT) & VM_PAGE_KMEM_ALL);
}

/* Shorthands for the exec mark. */
static inline void
vm_page_set_kmem_exec(vm_page_t m)
{

	vm_page_kmem_set(m, VM_PAGE_KMEM_EXEC);
}

static inline bool
vm_page_is_kmem_exec(vm_page_t m)
{

	return ((vm_page_kmem_get(m) & VM_PAGE_KMEM_EXEC) != 0);
}

static inline bool
vm_page_is_zero(vm_page_t m)
{

	return ((m->vp_info & VM_PAGE_INFO_ZERO) != 0);
}

void vm_page_clear_zero(vm_page_t m);

/*
 * UMA's word in an allocated page (src/uma_core.c): with the
 * VM_PAGE_KMEM_UMA mark set, bits 0..26 of vp_next belong to the page's
 * owner (vm_phys reads only bits 27..31 of an allocated page's vp_next,
 * which stay 0).  So UMA's per-page state costs no byte beyond the 8.
 */
#define VM_PAGE_UMA_WORD_MASK	0x07ffffffU

static inline void
vm_page_uma_set(vm_page_t m, uint32_t word)
{

	__atomic_store_n(&m->vp_next, word & VM_PAGE_UMA_WORD_MASK,
	    __ATOMIC_RELAXED);
	vm_page_kmem_set(m, VM_PAGE_KMEM_UMA);
}

/*
 * The page of @p pa in *mp and its UMA word, exactly: -1 unless pa is
 * managed RAM whose page is allocated and carries the UMA mark.  A page
 * inside a free max-order block may have a stale struct (vm_phys.c:
 * "Which structs are meaningful"), so the chunk's first struct is asked
 * too (VM_PAGE_NEXT_FREEMAX): one table lookup, no lock.
 */
#define VM_PAGE_INFO_NOTALLOC	0x4fU		/* state bits and "cached" */
#define VM_PAGE_CHUNK_SHIFT	(PAGE_SHIFT + 11)	/* max-order block */
#define VM_PAGE_NEXT_FREEMAX	0x80000000U

static inline int32_t
vm_page_uma_lookup(vm_paddr_t pa, vm_page_t *mp)
{
	const uint32_t uma = VM_PAGE_KMEM_UMA << VM_PAGE_INFO_KMEM_SHIFT;
	const struct vm_page_segtab *ps;
	vm_paddr_t choff, off;
	vm_page_t m;

	for (ps = vm_page_segtab; ps->ps_size != 0; ps++) {
		off = pa - ps->ps_start;
		if (off < ps->ps_size)
			goto found;
	}
	return (-1);
found:
	m = (vm_page_t)(ps->ps_first + ((off >> VM_PAGE_SCALE_SHIFT) &
	    ~(uintptr_t)((1 << VM_PAGE_STRUCT_SHIFT) - 1)));
	if (__predict_false((__atomic_load_n(&m->vp_info, __ATOMIC_RELAXED) &
	    (VM_PAGE_INFO_NOTALLOC | uma)) != uma))
		return (-1);
	/*
	 * The chunk's first struct, when the chunk starts in this run (its
	 * structs are consecutive); a chunk the run's start cuts has every
	 * struct written, so m's own state is exact then.
	 */
	choff = pa & ((1UL << VM_PAGE_CHUNK_SHIFT) - 1);
	if (__predict_true(off >= choff) && __predict_false((__atomic_load_n(
	    &m[-(long)(choff >> PAGE_SHIFT)].vp_next, __ATOMIC_RELAXED) &
	    VM_PAGE_NEXT_FREEMAX) != 0))
		return (-1);
	*mp = m;
	return ((int32_t)(__atomic_load_n(&m->vp_next, __ATOMIC_RELAXED) &
	    VM_PAGE_UMA_WORD_MASK));
}

static inline void
vm_page_uma_clear(vm_page_t m)
{

	vm_page_kmem_clear(m, VM_PAGE_KMEM_UMA);
	__atomic_store_n(&m->vp_next, 0, __ATOMIC_RELAXED);
}

/**
 * Free a page the early allocator handed out at boot (physmem_early_alloc:
 * page tables, the FDT copy, ...).  Such pages are accounted as allocated
 * by vm_phys_init(), so this is vm_page_free() (same checks), named for
 * the boot path.
 */
void vm_page_free_boot(vm_page_t m);

/* Free pages of all domains / of one domain (0 for an invalid domain). */
u_int vm_free_count(void);
u_int vm_domain_free_count(int domain);
/** Managed pages of @p domain, free or not (0 for a bad domain). */
u_long vm_domain_page_count(int domain);
/** True when @p domain has no managed page (or is not a valid domain). */
bool vm_domain_empty(int domain);
#define VM_DOMAIN_EMPTY(domain)	vm_domain_empty(domain)
/**
 * True when @p domain's free pages are below its minimum (1/256 of its
 * pages, at least 8): domain-set iterators try such domains last.
 */
bool vm_page_count_min_domain(int domain);

/**
 * Wait until @p domain has free pages: returns at once if it has any,
 * otherwise runs the lowmem handlers once and sleeps until a page is
 * freed anywhere.  Panics if nothing could ever free a page (see above).
 * Call with no kmem_spin held.  An invalid domain returns at once.
 */
void vm_wait_domain(int domain);
/** As vm_wait_domain() for any domain. */
void vm_wait(void);
/**
 * True while some thread waits in vm_wait*() for free pages: code that
 * keeps freed pages back (kmem_free's batches) frees at once instead.
 */
bool vm_page_wanted(void);

/**
 * Fault injection, for tests: after @p n more page allocations (single or
 * contiguous, any caller: kmem, the pmap's page-table pages, vmem's tags)
 * the next one fails: once, or with @p sticky every one after it too;
 * n < 0 disarms.  While armed every allocation is counted.
 * @return the allocations counted since the previous call
 */
long vm_page_fail_after(long n, bool sticky);

/**
 * Run the lowmem handlers (VM_LOW_PAGES) and drain this hart's page cache
 * for @p domain so that a contiguous request can be retried.  Firmware
 * pages are wired and never move, so this is all "reclaim" can do.
 *
 * @retval true	the domain's free pages grew, or this hart's cache gave
 *		pages back to the buddy lists
 * @retval false	nothing changed, or bad arguments (as for
 *		vm_page_alloc_noobj_contig_domain)
 * Call with no kmem_spin held.
 */
bool vm_page_reclaim_contig_domain(int domain, int req, u_long npages,
    vm_paddr_t low, vm_paddr_t high, u_long alignment, vm_paddr_t boundary);

/**
 * Give the cached free pages of every hart (every domain) back to the
 * buddy lists; a cache its hart is using at this instant is skipped.
 * Tests use it to compare the free lists with the boot state; sleepers
 * for pages and reclaim call it, and a failing allocation empties the
 * caches of its domain the same way before it fails or waits.
 * @return the number of pages given back
 */
u_long vm_page_cache_drain(void);

/** Free pages of @p domain cached by hart @p cpu now (0 if either is bad). */
u_long vm_page_cache_count(u_int cpu, int domain);

#endif /* KMEM_VM_PAGE_H */
