/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_page.c: the page-level interface on top of the buddy allocator: the
 * per-hart page caches, single-page and contiguous allocation, frees with
 * their checks, waiting for free pages, and reclaim.
 *
 * The per-hart cache.  vm_pcpu[cpu].pc_dom[domain] is a stack of free
 * pages linked through vp_next.  Whoever works on a cache first swaps
 * PC_BUSY into its head (pc_take) and stores the new head when done
 * (pc_give): its hart on every alloc and free, without a lock, and any
 * hart that empties it (a failing allocation, a sleeper, lowmem), so pages
 * cached by one hart never make another's allocation fail.  Nobody waits
 * for a busy cache: its own hart (an interrupt handler that interrupted
 * the holder) goes to the buddy lists, and a hart emptying caches skips
 * it (its holder is using it for a few instructions).  Cached pages are
 * not on the free lists and carry VPI_CACHED in vp_info; that bit is how
 * a double free of a cached page is caught.  An empty cache is
 * refilled with VM_PCACHE_BATCH pages (one order-4 block when there is
 * one) under the domain lock; a full one gives VM_PCACHE_BATCH pages back.
 * While someone waits for free pages, frees bypass the cache so that the
 * sleeper is woken and can get the page.
 */
#include <string.h>

#include <kmem/domainset.h>
#include <kmem/lowmem.h>

#include "vm_phys_private.h"

/* vm_page_free_common's "which caller" value for vm_page_free_boot. */
#define VPI_BOOT	0x80000000U

struct vm_pcpu vm_pcpu[MAXCPU];
atomic_ulong vm_free_gen;
atomic_uint vm_free_waiters;
static struct kmem_spin vm_wait_lock = KMEM_SPIN_INITIALIZER("vm wait");

static inline bool
req_may_wait(int req)
{

	return ((req & (VM_ALLOC_WAITOK | VM_ALLOC_WAITFAIL)) != 0 &&
	    (req & VM_ALLOC_NOWAIT) == 0);
}

/* ------------------------------------------------------------ helpers */

/* The segment and physical address of m; NULL if m is not a page. */
static struct vm_phys_seg *
page_seg(const struct vm_page *m, struct vm_domain **vmdp, u_long *idxp)
{
	struct vm_domain *vmd;
	u_long off;

	vmd = vm_page_vmd(m);
	if (vmd == NULL)
		return (NULL);
	off = (uintptr_t)m - (uintptr_t)vmd->vmd_pages;
	if (off % sizeof(struct vm_page) != 0)
		return (NULL);
	*vmdp = vmd;
	*idxp = off / sizeof(struct vm_page);
	return (vm_phys_seg_of(vmd, *idxp));
}

static inline vm_paddr_t
seg_pa(const struct vm_phys_seg *seg, u_long idx)
{

	return (ptoa(seg->spfn + (idx - seg->base)));
}

void
vm_page_to_phys_bad(vm_page_t m)
{

	panic("vm_page_to_phys: %p is not a managed page", (void *)m);
}

vm_page_t
vm_page_next(vm_page_t m)
{
	struct vm_phys_seg *seg;
	struct vm_domain *vmd;
	u_long idx;

	seg = page_seg(m, &vmd, &idx);
	if (seg == NULL || idx + 1 - seg->base >= seg->epfn - seg->spfn)
		return (NULL);
	return (m + 1);
}

/* Panics unless m is an allocated page (not free, not cached). */
static struct vm_domain *
page_check_allocated(vm_page_t m, const char *fn, u_long *idxp)
{
	struct vm_phys_seg *seg;
	struct vm_domain *vmd;
	u_long idx;

	seg = page_seg(m, &vmd, &idx);
	if (seg == NULL)
		panic("%s: %p is not a managed page", fn, (void *)m);
	switch (vm_phys_page_state(vmd, seg, idx)) {
	case VM_PS_FREE:
		panic("%s: page 0x%lx is already free (on the free lists)", fn,
		    (u_long)seg_pa(seg, idx));
	case VM_PS_CACHED:
		panic("%s: page 0x%lx is already free (in a page cache)", fn,
		    (u_long)seg_pa(seg, idx));
	}
	*idxp = idx;
	return (vmd);
}

void
vm_page_clear_zero(vm_page_t m)
{

	m->vp_info &= ~VPI_ZERO;
}

static __attribute__((noinline)) void
vm_page_zero_fill(vm_page_t m)
{

	kmem_zero_page((void *)PHYS_TO_DMAP(VM_PAGE_TO_PHYS(m)));
	m->vp_info |= VPI_ZERO;
}

/* ------------------------------------------------------------ waiting */

void
vm_free_wakeup(void)
{

	kmem_spin_lock(&vm_wait_lock);
	md_wakeup(&vm_free_gen);
	kmem_spin_unlock(&vm_wait_lock);
}

bool
vm_page_wanted(void)
{

	return (atomic_load(&vm_free_waiters) != 0);
}

static inline void
vm_free_notify(void)
{

	if (atomic_load(&vm_free_waiters) != 0)
		vm_free_wakeup();
}

/*
 * Sleep until a page is freed onto the buddy lists after the moment the
 * caller read gen from vm_free_gen (returns at once if one already was).
 * First this hart's page caches are drained and the lowmem handlers run;
 * if that freed nothing and no other thread could ever free a page, panic:
 * the caller's allocation can never succeed.  No kmem_spin may be held.
 *
 * Lost wakeups: a sleeper increments vm_free_waiters, then re-reads the
 * generation under vm_wait_lock; a freer bumps the generation, then reads
 * vm_free_waiters (both sequentially consistent), so one of them sees the
 * other; md_sleep drops vm_wait_lock only once it is queued.
 */
void
vm_wait_gen(uint64_t gen, u_long domains, const char *who)
{

	if (atomic_load(&vm_free_gen) != gen)
		return;
	KMEM_MAY_SLEEP(who);
	/*
	 * Count ourselves as a waiter before the handlers run: from here on
	 * a freer sees vm_page_wanted() and frees at once instead of keeping
	 * pages in a batch (kmem_free), so nothing freed after the handlers
	 * ran can stay out of our reach.
	 */
	atomic_fetch_add(&vm_free_waiters, 1);
	(void)vm_page_cache_drain();
	(void)vm_lowmem_trigger(VM_LOW_PAGES);
	kmem_spin_lock(&vm_wait_lock);
	if (atomic_load(&vm_free_gen) == gen) {
		if (md_sleep_would_deadlock()) {
			atomic_fetch_sub(&vm_free_waiters, 1);
			kmem_spin_unlock(&vm_wait_lock);
			panic("%s: no free memory fits in domain mask 0x%lx and "
			    "no other thread could ever free any: the "
			    "allocation can never succeed", who, domains);
		}
		md_sleep(&vm_free_gen, &vm_wait_lock);
	}
	atomic_fetch_sub(&vm_free_waiters, 1);
	kmem_spin_unlock(&vm_wait_lock);
}

void
vm_wait_domain(int domain)
{
	uint64_t gen;

	if (domain < 0 || domain >= vm_ndomains)
		return;
	gen = atomic_load(&vm_free_gen);
	if (vmd_free_peek(&vm_dom[domain]) != 0)
		return;
	vm_wait_gen(gen, 1UL << domain, "vm_wait_domain");
}

void
vm_wait(void)
{
	uint64_t gen;
	int d;

	gen = atomic_load(&vm_free_gen);
	for (d = 0; d < vm_ndomains; d++)
		if (vmd_free_peek(&vm_dom[d]) != 0)
			return;
	vm_wait_gen(gen, (1UL << vm_ndomains) - 1, "vm_wait");
}

/* ------------------------------------------------------- page caches */

/* pc_head while someone holds the cache (indices fit in 27 bits). */
#define PC_BUSY		0xffffffffU
#define pc_busy(h)	((int32_t)(h) < 0)

/* Hold pc: its head, or PC_BUSY when someone else holds it. */
static inline uint32_t
pc_take(struct vm_pcache *pc)
{

	return (__atomic_exchange_n(&pc->pc_head, PC_BUSY, __ATOMIC_ACQUIRE));
}

/* Let pc go with head h (its stores before this one). */
static inline void
pc_give(struct vm_pcache *pc, uint32_t h)
{

	__atomic_store_n(&pc->pc_head, h, __ATOMIC_RELEASE);
}

/* Take the top page of held cache pc (head *hp, n != 0 pages). */
static inline vm_page_t
pc_pop(struct vm_page *pages, struct vm_pcache *pc, uint32_t *hp,
    uint32_t n)
{
	vm_page_t m;

	m = &pages[*hp];
	*hp = m->vp_next;
	pc_count_set(pc, n - 1);
	m->vp_info &= VPI_ZERO;
	return (m);
}

/*
 * Push page idx (m) on held cache pc (head h, n pages, room for one more)
 * and let the cache go.  zero: the page is known to be zero.
 */
static inline void
pc_push_give(struct vm_pcache *pc, uint32_t h, uint32_t n, vm_page_t m,
    u_long idx, uint32_t zero)
{

	m->vp_info = VPI_CACHED | zero;
	VM_STORE_WORD(&m->vp_next, h);
	pc_count_set(pc, n + 1);
	pc_give(pc, (uint32_t)idx);
}

/*
 * Refill held cache pc (head *hp) for vmd from the buddy lists and take
 * one page; NULL when the lists are empty.
 */
static vm_page_t
vm_pcache_refill(struct vm_domain *vmd, struct vm_pcache *pc, uint32_t *hp)
{
	struct vm_page *m, *pages;
	uint32_t h, idx, n;
	u_long got, i;
	bool zero;
	int order;

	pages = vmd->vmd_pages;
	got = 0;
	h = *hp;
	n = pc->pc_count;
	order = VM_PCACHE_ORDER;
	kmem_spin_lock(&vmd->vmd_lock);
	while (got < VM_PCACHE_BATCH && order >= 0) {
		idx = vm_phys_alloc_block(vmd, order, &zero);
		if (idx == VM_PIDX_NONE) {
			order--;
			continue;
		}
		for (i = 0; i < (1UL << order); i++) {
			m = &pages[idx + i];
			VM_STORE_WORD(&m->vp_next, h);
			m->vp_info = VPI_CACHED | (zero ? VPI_ZERO : 0);
			h = (uint32_t)(idx + i);
		}
		n += 1U << order;
		got += 1UL << order;
	}
	kmem_spin_unlock(&vmd->vmd_lock);
	*hp = h;
	return (n != 0 ? pc_pop(pages, pc, hp, n) : NULL);
}

/*
 * Give up to n pages of held cache pc (head *hp) back to the buddy lists.
 * Returns how many.
 */
static u_long
vm_pcache_drain_n(struct vm_domain *vmd, struct vm_pcache *pc, uint32_t *hp,
    u_long n)
{
	struct vm_page *m;
	uint32_t idx;
	u_long i;

	if (pc->pc_count == 0)
		return (0);
	kmem_spin_lock(&vmd->vmd_lock);
	for (i = 0; i < n && pc->pc_count != 0; i++) {
		idx = *hp;
		m = &vmd->vmd_pages[idx];
		*hp = m->vp_next;
		pc_count_set(pc, pc->pc_count - 1);
		vm_phys_free_page(vmd, idx, (m->vp_info & VPI_ZERO) != 0);
	}
	kmem_spin_unlock(&vmd->vmd_lock);
	vm_free_notify();
	return (i);
}

/*
 * Empty every hart's cache of each domain in @domains that nobody holds
 * right now.  Returns the number of pages given back.  No lock held.
 */
static u_long
vm_pcache_drain_all(u_long domains)
{
	struct vm_pcache *pc;
	uint32_t h;
	u_long n;
	int c, d;

	n = 0;
	for (c = 0; c < MAXCPU; c++)
		for (d = 0; d < vm_ndomains; d++) {
			pc = &vm_pcpu[c].pc_dom[d];
			if (((domains >> d) & 1) == 0 || pc_count_peek(pc) == 0)
				continue;
			h = pc_take(pc);
			if (pc_busy(h))
				continue;
			n += vm_pcache_drain_n(&vm_dom[d], pc, &h, ~0UL);
			pc_give(pc, h);
		}
	return (n);
}

u_long
vm_page_cache_drain(void)
{

	return (vm_pcache_drain_all(~0UL));
}

/* One page straight from the buddy lists (this hart's cache is busy). */
static vm_page_t
vm_page_alloc_direct(struct vm_domain *vmd)
{
	uint32_t idx;
	bool zero;

	kmem_spin_lock(&vmd->vmd_lock);
	idx = vm_phys_alloc_block(vmd, 0, &zero);
	kmem_spin_unlock(&vmd->vmd_lock);
	if (idx == VM_PIDX_NONE)
		return (NULL);
	vmd->vmd_pages[idx].vp_info = zero ? VPI_ZERO : 0;
	return (&vmd->vmd_pages[idx]);
}

/* ----------------------------------------------------- single pages */

static __attribute__((noinline)) vm_page_t
vm_page_alloc_slow(int domain, int req)
{
	struct vm_domain *vmd;
	struct vm_pcache *pc;
	vm_page_t m;
	uint64_t gen;
	uint32_t h;

	vmd = &vm_dom[domain];
	for (;;) {
		gen = atomic_load(&vm_free_gen);
		pc = &vm_pcpu[kmem_cpuid()].pc_dom[domain];
		h = pc_take(pc);
		if (pc_busy(h))
			m = vm_page_alloc_direct(vmd);
		else {
			/* Filled meanwhile (an interrupt freed a page)? */
			m = pc->pc_count != 0 ? pc_pop(vmd->vmd_pages, pc, &h,
			    pc->pc_count) : vm_pcache_refill(vmd, pc, &h);
			pc_give(pc, h);
		}
		if (m != NULL)
			break;
		/* Free pages of this domain may sit in other harts' caches. */
		if (vm_pcache_drain_all(1UL << domain) != 0)
			continue;
		if (!req_may_wait(req))
			return (NULL);
		vm_wait_gen(gen, 1UL << domain, "vm_page_alloc_noobj_domain");
		if ((req & VM_ALLOC_WAITFAIL) != 0)
			return (NULL);
	}
	if ((req & VM_ALLOC_ZERO) != 0 && (m->vp_info & VPI_ZERO) == 0)
		vm_page_zero_fill(m);
	return (m);
}

/*
 * Fault injection (tests): while armed, every page allocation is counted
 * and the one after the first inject_left is refused.  Armed is one flag
 * tested on the fast path; the rest is out of line.
 */
static atomic_bool inject_armed;
static atomic_bool inject_sticky;
static atomic_long inject_left;
static atomic_long inject_count;

static __attribute__((noinline)) bool
vm_page_inject_fail(void)
{
	long left;

	atomic_fetch_add(&inject_count, 1);
	left = atomic_fetch_sub(&inject_left, 1);
	return (left == 0 || (left < 0 && atomic_load(&inject_sticky)));
}

/* vm_page_alloc_noobj_domain while injection is armed (out of line). */
static __attribute__((noinline)) vm_page_t
vm_page_alloc_inject(int domain, int req)
{

	if (vm_page_inject_fail())
		return (NULL);
	return (vm_page_alloc_slow(domain, req));
}

long
vm_page_fail_after(long n, bool sticky)
{
	long counted;

	atomic_store(&inject_armed, false);
	counted = atomic_exchange(&inject_count, 0);
	if (n >= 0) {
		atomic_store(&inject_left, n);
		atomic_store(&inject_sticky, sticky);
		atomic_store(&inject_armed, true);
	}
	return (counted);
}

vm_page_t
vm_page_alloc_noobj_domain(int domain, int req)
{
	vm_page_t m;
	struct vm_pcache *pc;
	uint32_t h;

	if (__predict_false((u_int)domain >= (u_int)vm_ndomains))
		return (NULL);
	if (__predict_false(atomic_load_explicit(&inject_armed,
	    memory_order_relaxed)))
		return (vm_page_alloc_inject(domain, req));
	pc = &vm_pcpu[kmem_cpuid()].pc_dom[domain];
	h = pc_take(pc);
	if (__predict_false(pc_busy(h) || pc->pc_count == 0)) {
		if (!pc_busy(h))
			pc_give(pc, h);
		return (vm_page_alloc_slow(domain, req));
	}
	m = pc_pop(vm_dom[domain].vmd_pages, pc, &h, pc->pc_count);
	pc_give(pc, h);
	if (__predict_false((req & VM_ALLOC_ZERO) != 0) &&
	    (m->vp_info & VPI_ZERO) == 0)
		vm_page_zero_fill(m);
	return (m);
}

vm_page_t
vm_page_alloc_noobj(int req)
{
	struct vm_domainset_iter di;
	vm_page_t m;
	int domain;

	vm_domainset_iter_page_init(&di, DOMAINSET_RR(), 0, &domain, &req);
	do {
		m = vm_page_alloc_noobj_domain(domain, req);
		if (m != NULL)
			return (m);
	} while (vm_domainset_iter_page(&di, &domain) == 0);
	return (NULL);
}

/*
 * The free paths that are not "push on this hart's cache": the checks'
 * panics, a sleeper waiting for pages (the page goes to the lists and the
 * sleeper is woken), a full cache (VM_PCACHE_BATCH pages go back first).
 */
static __attribute__((noinline)) void
vm_page_free_slow(vm_page_t m, uint32_t info)
{
	struct vm_domain *vmd;
	struct vm_pcache *pc;
	const char *fn;
	u_long idx;
	uint32_t h;

	fn = info == VPI_ZERO ? "vm_page_free_zero" : info == VPI_BOOT ?
	    "vm_page_free_boot" : "vm_page_free";
	vmd = page_check_allocated(m, fn, &idx);
	if ((m->vp_info & VPI_KMEM_MAPPED) != 0)
		panic("%s: page 0x%lx is still mapped by kmem (kmem_free or "
		    "kmem_unback its range instead)", fn,
		    (u_long)VM_PAGE_TO_PHYS(m));
	info &= VPI_ZERO;
	if (atomic_load(&vm_free_waiters) != 0)
		goto direct;
	pc = &vm_pcpu[kmem_cpuid()].pc_dom[vmd - vm_dom];
	h = pc_take(pc);
	if (pc_busy(h))
		goto direct;	/* we interrupted the cache's holder */
	if (pc->pc_count >= VM_PCACHE_MAX)
		(void)vm_pcache_drain_n(vmd, pc, &h, VM_PCACHE_BATCH);
	pc_push_give(pc, h, pc->pc_count, m, idx, info);
	return;
direct:
	/* Straight to the lists (and a sleeper woken). */
	kmem_spin_lock(&vmd->vmd_lock);
	vm_phys_free_page(vmd, idx, info != 0);
	kmem_spin_unlock(&vmd->vmd_lock);
	vm_free_notify();
}

/*
 * Free m onto this hart's cache.  The page must be allocated: its chunk's
 * first struct is not a free max-order head (then m's own struct is
 * meaningful) and m's state is "allocated, not cached".  Both tests are
 * exact (vm_phys.c, "Which structs are meaningful").  Only pages in a
 * domain's fast range (vm_phys_init_fast: where the chunk's first struct
 * is found by masking) or in the cut chunk before it (whose structs are
 * all meaningful) are handled here; anything else, and anything
 * unusual, goes to vm_page_free_slow, which checks exactly and panics
 * for bad frees.
 */
static inline void
vm_page_free_common(vm_page_t m, uint32_t info)
{
	struct vm_domain *vmd;
	struct vm_pcache *pc;
	const struct vm_page *ch;
	uintptr_t off;
	u_long idx;
	uint32_t cnt, h;
	int d;

	/* Domain 0 first, without the loop (most machines have one). */
	d = 0;
	vmd = &vm_dom[0];
	off = (uintptr_t)m - (uintptr_t)vmd->vmd_fast_first;
	if (__predict_true(off < vmd->vmd_fast_bytes))
		goto found;
	for (;;) {
		/* The cut chunk before the fast range: no chunk head. */
		off = (uintptr_t)m - ((uintptr_t)vmd->vmd_fast_first -
		    vmd->vmd_cut_bytes);
		if (off < vmd->vmd_cut_bytes) {
			idx = vmd->vmd_fast_idx - (vmd->vmd_cut_bytes - off) /
			    sizeof(struct vm_page);
			goto push;
		}
		if (++d >= vm_ndomains)
			goto slow;
		vmd = &vm_dom[d];
		off = (uintptr_t)m - (uintptr_t)vmd->vmd_fast_first;
		if (off < vmd->vmd_fast_bytes)
			goto found;
	}
found:
	ch = (const struct vm_page *)((uintptr_t)vmd->vmd_fast_first +
	    (off & ~(uintptr_t)(VM_CHUNK_PAGES * sizeof(struct vm_page) - 1)));
	if (__predict_false((int32_t)VM_LOAD_WORD(&ch->vp_next) < 0))
		goto slow;
	_Static_assert(VPN_FREEMAX == 0x80000000U, "the sign bit");
	idx = vmd->vmd_fast_idx + off / sizeof(struct vm_page);
push:
	if (__predict_false((off & (sizeof(struct vm_page) - 1)) != 0 ||
	    (m->vp_info & VPI_FREE_MASK) != 0 ||
	    atomic_load_explicit(&vm_free_waiters, memory_order_relaxed) != 0))
		goto slow;
	pc = &vm_pcpu[kmem_cpuid()].pc_dom[d];
	h = pc_take(pc);
	/*
	 * pc_count only once the cache is ours: a hart that empties other
	 * harts' caches (vm_pcache_drain_all) writes it while it holds one.
	 */
	if (__predict_false(pc_busy(h)))
		goto slow;
	cnt = pc->pc_count;
	if (__predict_false(cnt >= VM_PCACHE_MAX)) {
		pc_give(pc, h);
		goto slow;
	}
	pc_push_give(pc, h, cnt, m, idx, info & VPI_ZERO);
	return;
slow:
	vm_page_free_slow(m, info);
}

void
vm_page_free(vm_page_t m)
{

	vm_page_free_common(m, 0);
}

void
vm_page_free_zero(vm_page_t m)
{

	vm_page_free_slow(m, VPI_ZERO);
}

void
vm_page_free_boot(vm_page_t m)
{

	vm_page_free_slow(m, VPI_BOOT);
}

void
vm_page_free_contig(vm_page_t m, u_long npages)
{
	struct vm_phys_seg *seg;
	struct vm_domain *vmd;
	u_long i, idx;
	int st;

	if (npages == 0)
		return;
	seg = page_seg(m, &vmd, &idx);
	if (seg == NULL)
		panic("vm_page_free_contig: %p is not a managed page",
		    (void *)m);
	if (npages > seg->epfn - seg->spfn - (idx - seg->base))
		panic("vm_page_free_contig: run of %lu pages at 0x%lx leaves "
		    "its segment [0x%lx, 0x%lx)", npages,
		    (u_long)seg_pa(seg, idx), (u_long)seg->start,
		    (u_long)seg->end);
	for (i = 0; i < npages; i++) {
		/* The chunk test once per chunk: then each struct is exact. */
		if (i == 0 || ((seg->spfn + idx + i - seg->base) &
		    (VM_CHUNK_PAGES - 1)) == 0)
			st = vm_phys_page_state(vmd, seg, idx + i);
		else
			st = vm_page_info_state(m[i].vp_info);
		switch (st) {
		case VM_PS_FREE:
			panic("vm_page_free_contig: page 0x%lx (page %lu of "
			    "the run at 0x%lx) is already free (on the free "
			    "lists)", (u_long)seg_pa(seg, idx + i), i,
			    (u_long)seg_pa(seg, idx));
		case VM_PS_CACHED:
			panic("vm_page_free_contig: page 0x%lx (page %lu of "
			    "the run at 0x%lx) is already free (in a page "
			    "cache)", (u_long)seg_pa(seg, idx + i), i,
			    (u_long)seg_pa(seg, idx));
		}
		if ((m[i].vp_info & VPI_KMEM_MAPPED) != 0)
			panic("vm_page_free_contig: page 0x%lx (page %lu of "
			    "the run at 0x%lx) is still mapped by kmem",
			    (u_long)seg_pa(seg, idx + i), i,
			    (u_long)seg_pa(seg, idx));
	}
	kmem_spin_lock(&vmd->vmd_lock);
	vm_phys_free_range(vmd, seg, idx, npages);
	kmem_spin_unlock(&vmd->vmd_lock);
	vm_free_notify();
}

/* ------------------------------------------------------------ counts */

u_long
vm_page_cache_count(u_int cpu, int domain)
{

	if (cpu >= MAXCPU || domain < 0 || domain >= vm_ndomains)
		return (0);
	return (pc_count_peek(&vm_pcpu[cpu].pc_dom[domain]));
}

static u_long
vm_domain_cached(int domain)
{
	u_long n;
	u_int c;

	n = 0;
	for (c = 0; c < MAXCPU; c++)
		n += vm_page_cache_count(c, domain);
	return (n);
}

u_int
vm_domain_free_count(int domain)
{

	if (domain < 0 || domain >= vm_ndomains)
		return (0);
	return ((u_int)(vmd_free_peek(&vm_dom[domain]) +
	    vm_domain_cached(domain)));
}

u_long
vm_domain_page_count(int domain)
{

	if (domain < 0 || domain >= vm_ndomains)
		return (0);
	return (vm_dom[domain].vmd_npages);
}

u_int
vm_free_count(void)
{
	u_int n;
	int d;

	n = 0;
	for (d = 0; d < vm_ndomains; d++)
		n += vm_domain_free_count(d);
	return (n);
}

/*
 * vm_phys numbers only the domains that have managed pages (physmem's
 * dense numbering), so every valid domain has some.
 */
bool
vm_domain_empty(int domain)
{

	return (domain < 0 || domain >= vm_ndomains);
}

bool
vm_page_count_min_domain(int domain)
{

	if (domain < 0 || domain >= vm_ndomains)
		return (true);
	/* The buddy count alone usually settles it; cached pages only add. */
	if (vmd_free_peek(&vm_dom[domain]) >= vm_dom[domain].vmd_free_min)
		return (false);
	return (vm_domain_free_count(domain) < vm_dom[domain].vmd_free_min);
}

/* ------------------------------------------------------- contiguous */

struct contig_req {
	u_long	npages, lowpfn, highpfn, alignpg, boundpg;
};

/* Validate and convert the constraints; false for bad input. */
static bool
contig_args(int domain, u_long npages, vm_paddr_t low, vm_paddr_t high,
    u_long alignment, vm_paddr_t boundary, struct contig_req *cr)
{
	struct vm_phys_seg *seg;
	struct vm_domain *vmd;
	u_long hi, lo;
	int i;

	if (domain < 0 || domain >= vm_ndomains || npages == 0 ||
	    npages > (~0UL >> PAGE_SHIFT) || !powerof2(alignment) ||
	    !powerof2(boundary) ||
	    (boundary != 0 && boundary < ptoa(npages)))
		return (false);
	cr->npages = npages;
	cr->lowpfn = atop(low) + ((low & PAGE_MASK) != 0);
	cr->highpfn = atop(high);
	if (cr->lowpfn >= cr->highpfn || cr->highpfn - cr->lowpfn < npages)
		return (false);
	cr->alignpg = alignment <= PAGE_SIZE ? 1 : atop(alignment);
	cr->boundpg = atop(boundary);
	/* Some segment of the domain must be able to hold the run. */
	vmd = &vm_dom[domain];
	for (i = 0; i < vmd->vmd_nsegs; i++) {
		seg = &vm_phys_segs[vmd->vmd_seg_first + i];
		lo = seg->spfn > cr->lowpfn ? seg->spfn : cr->lowpfn;
		hi = seg->epfn < cr->highpfn ? seg->epfn : cr->highpfn;
		if (lo < hi && hi - lo >= npages)
			return (true);
	}
	return (false);
}

static vm_page_t
contig_try(int domain, const struct contig_req *cr)
{
	struct vm_domain *vmd;
	uint32_t idx;

	vmd = &vm_dom[domain];
	kmem_spin_lock(&vmd->vmd_lock);
	idx = vm_phys_alloc_run(vmd, cr->npages, cr->lowpfn, cr->highpfn,
	    cr->alignpg, cr->boundpg);
	kmem_spin_unlock(&vmd->vmd_lock);
	return (idx == VM_PIDX_NONE ? NULL : &vmd->vmd_pages[idx]);
}

vm_page_t
vm_page_alloc_noobj_contig_domain(int domain, int req, u_long npages,
    vm_paddr_t low, vm_paddr_t high, u_long alignment, vm_paddr_t boundary,
    vm_memattr_t memattr)
{
	struct contig_req cr;
	vm_page_t m;
	uint64_t gen;
	u_long i;
	int reclaims;

	(void)memattr;
	if (!contig_args(domain, npages, low, high, alignment, boundary, &cr))
		return (NULL);
	if (__predict_false(atomic_load_explicit(&inject_armed,
	    memory_order_relaxed)) && vm_page_inject_fail())
		return (NULL);
	for (reclaims = 0;; ) {
		gen = atomic_load(&vm_free_gen);
		m = contig_try(domain, &cr);
		/* Cached pages (any hart's) may complete a run. */
		if (m == NULL && vm_pcache_drain_all(1UL << domain) != 0)
			m = contig_try(domain, &cr);
		if (m != NULL)
			break;
		if ((req & VM_ALLOC_NORECLAIM) == 0 && reclaims < 3) {
			reclaims++;
			if (vm_page_reclaim_contig_domain(domain, req, npages,
			    low, high, alignment, boundary))
				continue;
		}
		if (!req_may_wait(req))
			return (NULL);
		vm_wait_gen(gen, 1UL << domain,
		    "vm_page_alloc_noobj_contig_domain");
		if ((req & VM_ALLOC_WAITFAIL) != 0)
			return (NULL);
	}
	if ((req & VM_ALLOC_ZERO) != 0)
		for (i = 0; i < npages; i++)
			if ((m[i].vp_info & VPI_ZERO) == 0)
				vm_page_zero_fill(&m[i]);
	return (m);
}

bool
vm_page_reclaim_contig_domain(int domain, int req, u_long npages,
    vm_paddr_t low, vm_paddr_t high, u_long alignment, vm_paddr_t boundary)
{
	struct contig_req cr;
	u_int after, before;
	u_long drained;

	(void)req;
	if (!contig_args(domain, npages, low, high, alignment, boundary, &cr))
		return (false);
	before = vm_domain_free_count(domain);
	(void)vm_lowmem_trigger(VM_LOW_PAGES);
	after = vm_domain_free_count(domain);
	/* What the handlers freed may sit in a hart's cache. */
	drained = vm_page_cache_drain();
	return (after > before || drained != 0);
}
