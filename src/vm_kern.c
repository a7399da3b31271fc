/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_kern.c: kernel memory (the seed, sys/vm/vm_kern.c, on bare metal).
 *
 * Address space: kernel_map covers the KVA; kernel_arena imports from it in
 * superpage-aligned quanta (kva_import); each domain has an arena that
 * imports from kernel_arena (kva_import_domain), so a KVA quantum is backed
 * from one domain, and a separate read+write+execute arena so M_EXEC pages
 * never break a superpage of ordinary memory.
 *
 * Pages: kernel_object has no radix tree here.  A page of kernel memory is
 * found from its VA through the page tables (pmap_kextract), and carries
 * three kmem marks in its metadata: the first page of an allocation, the
 * last page, and "mapped executable" (the seed's VPO_KMEM_EXEC), so that
 * kmem_free can check the range it is given and find the right arena.
 */
#include <string.h>

#include <kmem/domainset.h>
#include <kmem/lowmem.h>
#include <kmem/pmap.h>
#include <kmem/vm_kern.h>
#include <kmem/vm_map.h>
#include <kmem/vm_page.h>
#include <kmem/vm_param.h>
#include <kmem/vm_phys.h>
#include <kmem/vmem.h>

#include "kmem_private.h"

static void kmem_lowmem(void *arg, int flags);
static void kmem_arena_reclaim(vmem_t *vm, int flags);

struct vm_object {
	int	dummy;
};
struct vm_object kernel_object_store;

const void *zero_region;
const u_long vm_maxuser_address = VM_MAXUSER_ADDRESS;
_Static_assert((ZERO_REGION_SIZE & PAGE_MASK) == 0,
    "ZERO_REGION_SIZE must be a multiple of PAGE_SIZE");
_Static_assert(ZERO_REGION_SIZE >= 64 * 1024, "zero_region is at least 64 KiB");

static struct vmem kernel_arena_store;
struct vmem *kernel_arena;

/* Per-domain arenas (FreeBSD keeps them in vm_dom[]). */
static struct {
	vmem_t	*kernel_arena;
	vmem_t	*kernel_rwx_arena;
} kdom[MAXMEMDOM];

/* Sizes of 1..KMEM_QCACHE_PAGES pages are quantum cached per domain. */
#define KMEM_QCACHE_PAGES	4

/* ------------------------------------------------------------ KVA only */

vm_offset_t
kva_alloc(vm_size_t size)
{
	vmem_addr_t addr;

	/* Zero, or so large that rounding it up to a page overflows. */
	if (size - 1 >= -(vm_size_t)PAGE_SIZE)
		return (0);
	if (__predict_false(kernel_arena == NULL))
		kmem_not_started("kva_alloc");
	if (vmem_alloc(kernel_arena, round_page(size), M_BESTFIT | M_NOWAIT,
	    &addr) != 0)
		return (0);
	return ((vm_offset_t)addr);
}

/*
 * kva_free: give back a kva_alloc range.  Nothing may still be mapped in
 * it; vmem panics (arena, address, size) if the range was not allocated.
 */
void
kva_free(vm_offset_t addr, vm_size_t size)
{

	/* kernel_arena's quantum is a page: vmem rounds the size up to it. */
	vmem_free(kernel_arena, addr, size);
}

/* ------------------------------------------------------- page backing */

/*
 * Validate the malloc(9) flags every entry point takes.  Exactly one of
 * M_NOWAIT and M_WAITOK.
 */
static bool
flags_ok(int flags)
{

	return (((flags & M_NOWAIT) != 0) != ((flags & M_WAITOK) != 0));
}

/* size rounded up to whole pages; 0 if size is 0 or the rounding overflows. */
static vm_size_t
size_round_page(vm_size_t size)
{

	if (size == 0 || round_page(size) < size)
		return (0);
	return (round_page(size));
}

/*
 * The seed's allocation loop: try, and unless NORECLAIM run the lowmem
 * handlers (vm_page_reclaim_contig_domain) and try again; M_WAITOK tries
 * three more times, waiting for free pages when reclaim freed nothing.
 */
static vm_page_t
kmem_alloc_contig_pages(int domain, int pflags, u_long npages,
    vm_paddr_t low, vm_paddr_t high, u_long alignment, vm_paddr_t boundary,
    vm_memattr_t memattr)
{
	vm_page_t m;
	int tries;
	bool wait, reclaim;

	KASSERT((pflags & (VM_ALLOC_WAITOK | VM_ALLOC_NORECLAIM)) !=
	    (VM_ALLOC_WAITOK | VM_ALLOC_NORECLAIM),
	    ("kmem_alloc_contig_pages: WAITOK with NORECLAIM"));
	wait = (pflags & VM_ALLOC_WAITOK) != 0;
	reclaim = (pflags & VM_ALLOC_NORECLAIM) == 0;
	pflags &= ~(VM_ALLOC_NOWAIT | VM_ALLOC_WAITOK | VM_ALLOC_WAITFAIL);
	pflags |= VM_ALLOC_NOWAIT;
	for (tries = wait ? 3 : 1;; tries--) {
		m = vm_page_alloc_noobj_contig_domain(domain, pflags, npages,
		    low, high, alignment, boundary, memattr);
		if (m != NULL || tries == 0 || !reclaim)
			break;
		if (!vm_page_reclaim_contig_domain(domain, pflags, npages, low,
		    high, alignment, boundary) && wait)
			vm_wait_domain(domain);
	}
	return (m);
}

/* Mark first and last as the first and last page of one allocation. */
static void
mark_range(vm_page_t first, vm_page_t last)
{

	vm_page_kmem_set(first, VM_PAGE_KMEM_HEAD);
	vm_page_kmem_set(last, VM_PAGE_KMEM_TAIL);
}

/* Map one page at va with prot; kernel mappings never fail for want of a
 * page-table page on the M_WAITOK paths, and NOWAIT ones report it. */
static int
map_page(vm_offset_t va, vm_page_t m, vm_prot_t prot, int flags)
{

	return (pmap_enter(kernel_pmap, va, m, prot, prot | PMAP_ENTER_WIRED |
	    ((flags & M_NOWAIT) != 0 ? PMAP_ENTER_NOSLEEP : 0), 0));
}

/*
 * Pages in [low, high) for a new KVA range of @domain, one by one.  On
 * failure everything mapped so far is unmapped and freed, the KVA goes back
 * and 0 is returned.
 */
static vm_offset_t
kmem_alloc_attr_domain(int domain, vm_size_t size, int flags, vm_paddr_t low,
    vm_paddr_t high, vm_memattr_t memattr)
{
	vmem_t *arena;
	vmem_addr_t addr;
	vm_offset_t i;
	vm_page_t m, first;
	vm_prot_t prot;
	int pflags;

	arena = (flags & M_EXEC) != 0 ? kdom[domain].kernel_rwx_arena :
	    kdom[domain].kernel_arena;
	if (vmem_alloc(arena, size, M_BESTFIT | (flags & (M_NOWAIT |
	    M_WAITOK)), &addr) != 0)
		return (0);
	pflags = malloc2vm_flags(flags) | VM_ALLOC_WIRED;
	prot = (flags & M_EXEC) != 0 ? VM_PROT_ALL : VM_PROT_RW;
	first = NULL;
	for (i = 0; i < size; i += PAGE_SIZE) {
		m = kmem_alloc_contig_pages(domain, pflags, 1, low, high,
		    PAGE_SIZE, 0, memattr);
		if (m == NULL)
			goto fail;
		KASSERT(vm_page_domain(m) == domain, ("kmem_alloc_attr_domain: "
		    "domain mismatch %d != %d", vm_page_domain(m), domain));
		if (memattr != VM_MEMATTR_DEFAULT) {
			pmap_page_set_memattr(m, memattr);
			vm_page_kmem_set(m, VM_PAGE_KMEM_ATTR);
		}
		vm_page_kmem_set(m, VM_PAGE_KMEM_MAPPED |
		    ((prot & VM_PROT_EXECUTE) != 0 ? VM_PAGE_KMEM_EXEC : 0));
		if (map_page(addr + i, m, prot, flags) != KERN_SUCCESS) {
			vm_page_kmem_clear(m, VM_PAGE_KMEM_ALL);
			pmap_page_set_memattr(m, VM_MEMATTR_DEFAULT);
			vm_page_free(m);
			goto fail;
		}
		if (first == NULL)
			first = m;
		if (i + PAGE_SIZE == size)
			mark_range(first, m);
	}
	return (addr);
fail:
	kmem_unback(kernel_object, addr, i);
	vmem_free(arena, addr, size);
	return (0);
}

/*
 * The seed's domain-set loop, shared by the three allocators: try each
 * domain the policy offers (M_WAITOK waits inside the iterator); when
 * every domain failed and flushing the harts' batches of freed memory gave
 * something back, go round once more.
 */
enum { KMEM_REQ_MALLOC, KMEM_REQ_ATTR, KMEM_REQ_CONTIG };
struct kmem_req {
	int		kind;
	vm_size_t	size;
	int		flags;
	vm_paddr_t	low;
	vm_paddr_t	high;
	u_long		alignment;
	vm_paddr_t	boundary;
	vm_memattr_t	memattr;
};

static vm_offset_t kmem_malloc_domain(int domain, vm_size_t size, int flags);
static vm_offset_t kmem_alloc_contig_domain(int domain, vm_size_t size,
    int flags, vm_paddr_t low, vm_paddr_t high, u_long alignment,
    vm_paddr_t boundary, vm_memattr_t memattr);

/*
 * M_WAITOK never returns 0 (FreeBSD's callers rely on it), so a request
 * that no amount of waiting could satisfy panics instead of returning 0 or
 * sleeping for ever: a set with no domain that has memory, or more than
 * the set's domains have pages or the kernel map has address space.
 */
static __attribute__((__noinline__)) void
kmem_waitok_check(struct domainset *ds, const struct kmem_req *r)
{
	static const char *const who[] = { "kmem_malloc", "kmem_alloc_attr",
	    "kmem_alloc_contig" };
	u_long pages;
	int d;

	pages = 0;
	for (d = 0; d < vm_ndomains; d++)
		if ((ds->ds_mask & ((domainset_t)1 << d)) != 0)
			pages += vm_domain_page_count(d);
	if (pages == 0)
		panic("%s: M_WAITOK request of %lu bytes can never succeed: "
		    "its domain set (policy %d, mask 0x%lx) has no domain "
		    "with memory", who[r->kind], (u_long)r->size,
		    ds->ds_policy, (u_long)ds->ds_mask);
	if (atop(r->size) > pages || r->size > VM_MAX_KERNEL_ADDRESS -
	    VM_MIN_KERNEL_ADDRESS)
		panic("%s: M_WAITOK request of %lu bytes can never succeed: "
		    "its domains have %lu pages, the kernel map 0x%lx bytes",
		    who[r->kind], (u_long)r->size, pages,
		    (u_long)(VM_MAX_KERNEL_ADDRESS - VM_MIN_KERNEL_ADDRESS));
}

/* Inlined into each caller, so the kind is a constant there. */
static inline __attribute__((__always_inline__)) vm_offset_t
kmem_domainset_alloc(struct domainset *ds, const struct kmem_req *r)
{
	struct vm_domainset_iter di;
	vm_offset_t addr;
	int domain, f, pass;

	if ((r->flags & M_WAITOK) != 0)
		kmem_waitok_check(ds, r);

	for (pass = 0, addr = 0; pass < 2 && addr == 0; pass++) {
		if (pass == 1 && !kmem_free_flush())
			break;
		f = r->flags;
		vm_domainset_iter_policy_init(&di, ds, &domain, &f);
		if (domain < 0)
			return (0);	/* the set names no domain with memory */
		do {
			if (__predict_true(r->kind == KMEM_REQ_MALLOC))
				addr = kmem_malloc_domain(domain, r->size, f);
			else if (r->kind == KMEM_REQ_ATTR)
				addr = kmem_alloc_attr_domain(domain, r->size,
				    f, r->low, r->high, r->memattr);
			else
				addr = kmem_alloc_contig_domain(domain, r->size,
				    f, r->low, r->high, r->alignment,
				    r->boundary, r->memattr);
			if (addr != 0)
				break;
		} while (vm_domainset_iter_policy(&di, &domain) == 0);
	}
	return (addr);
}

vm_offset_t
kmem_alloc_attr(vm_size_t size, int flags, vm_paddr_t low, vm_paddr_t high,
    vm_memattr_t memattr)
{

	return (kmem_alloc_attr_domainset(DOMAINSET_RR(), size, flags, low,
	    high, memattr));
}

vm_offset_t
kmem_alloc_attr_domainset(struct domainset *ds, vm_size_t size, int flags,
    vm_paddr_t low, vm_paddr_t high, vm_memattr_t memattr)
{
	struct kmem_req r = { .kind = KMEM_REQ_ATTR,
	    .size = size_round_page(size), .flags = flags, .low = low,
	    .high = high, .memattr = memattr };

	KMEM_UP("kmem_alloc_attr");
	if ((flags & M_WAITOK) != 0)
		KMEM_MAY_SLEEP("kmem_alloc_attr");
	if (r.size == 0 || !flags_ok(flags) || low >= high)
		return (0);
	return (kmem_domainset_alloc(ds, &r));
}

/*
 * Physically contiguous pages for a new KVA range of @domain.
 */
static vm_offset_t
kmem_alloc_contig_domain(int domain, vm_size_t size, int flags,
    vm_paddr_t low, vm_paddr_t high, u_long alignment, vm_paddr_t boundary,
    vm_memattr_t memattr)
{
	vmem_t *arena;
	vmem_addr_t addr;
	vm_offset_t va;
	vm_page_t m, first;
	u_long i, npages;
	int pflags;

	/*
	 * The KVA is aligned as the pages are (FreeBSD's is only page
	 * aligned), so that a block asked to be aligned is aligned where the
	 * caller uses it: posix_memalign and kern_contigmalloc hand out this
	 * address.
	 */
	arena = kdom[domain].kernel_arena;
	if (vmem_xalloc(arena, size, alignment > PAGE_SIZE ? alignment : 0, 0,
	    0, VMEM_ADDR_MIN, VMEM_ADDR_MAX, M_BESTFIT | (flags & (M_NOWAIT |
	    M_WAITOK)), &addr) != 0)
		return (0);
	pflags = malloc2vm_flags(flags) | VM_ALLOC_WIRED;
	npages = atop(size);
	first = kmem_alloc_contig_pages(domain, pflags, npages, low, high,
	    alignment, boundary, memattr);
	if (first == NULL) {
		vmem_free(arena, addr, size);
		return (0);
	}
	KASSERT(vm_page_domain(first) == domain, ("kmem_alloc_contig_domain: "
	    "domain mismatch %d != %d", vm_page_domain(first), domain));
	va = addr;
	for (i = 0; i < npages; i++, va += PAGE_SIZE) {
		m = first + i;
		if (memattr != VM_MEMATTR_DEFAULT) {
			pmap_page_set_memattr(m, memattr);
			vm_page_kmem_set(m, VM_PAGE_KMEM_ATTR);
		}
		vm_page_kmem_set(m, VM_PAGE_KMEM_MAPPED);
		if (map_page(va, m, VM_PROT_RW, flags) != KERN_SUCCESS) {
			/* Unmap what was mapped; free the whole run. */
			if (i > 0)
				pmap_remove(kernel_pmap, addr, va);
			for (i = 0; i < npages; i++) {
				vm_page_kmem_clear(first + i, VM_PAGE_KMEM_ALL);
				pmap_page_set_memattr(first + i,
				    VM_MEMATTR_DEFAULT);
				vm_page_free(first + i);
			}
			vmem_free(arena, addr, size);
			return (0);
		}
	}
	mark_range(first, first + npages - 1);
	return (addr);
}

vm_offset_t
kmem_alloc_contig(vm_size_t size, int flags, vm_paddr_t low, vm_paddr_t high,
    u_long alignment, vm_paddr_t boundary, vm_memattr_t memattr)
{

	return (kmem_alloc_contig_domainset(DOMAINSET_RR(), size, flags, low,
	    high, alignment, boundary, memattr));
}

vm_offset_t
kmem_alloc_contig_domainset(struct domainset *ds, vm_size_t size, int flags,
    vm_paddr_t low, vm_paddr_t high, u_long alignment, vm_paddr_t boundary,
    vm_memattr_t memattr)
{
	struct kmem_req r = { .kind = KMEM_REQ_CONTIG,
	    .size = size_round_page(size), .flags = flags, .low = low,
	    .high = high, .alignment = alignment != 0 ? alignment : PAGE_SIZE,
	    .boundary = boundary, .memattr = memattr };

	KMEM_UP("kmem_alloc_contig");
	if ((flags & M_WAITOK) != 0)
		KMEM_MAY_SLEEP("kmem_alloc_contig");
	if (r.size == 0 || !flags_ok(flags) || low >= high)
		return (0);
	if (!powerof2(r.alignment) || (boundary != 0 && (!powerof2(boundary) ||
	    boundary < r.size)))
		return (0);
	return (kmem_domainset_alloc(ds, &r));
}

/* ---------------------------------------------------------- submaps */

void
kmem_subinit(vm_map_t map, vm_map_t parent, vm_offset_t *min,
    vm_offset_t *max, vm_size_t size, bool superpage_align)
{
	int ret;

	size = round_page(size);
	*min = vm_map_min(parent);
	ret = vm_map_find(parent, NULL, 0, min, size, 0, superpage_align ?
	    VMFS_SUPER_SPACE : VMFS_ANY_SPACE, VM_PROT_ALL, VM_PROT_ALL,
	    MAP_ACC_NO_CHARGE);
	if (ret != KERN_SUCCESS)
		panic("kmem_subinit: no room for a %lu-byte submap in map %p "
		    "(status %d)", (u_long)size, (void *)parent, ret);
	*max = *min + size;
	vm_map_init(map, vm_map_pmap(parent), *min, *max);
	if (vm_map_submap(parent, *min, *max, map) != KERN_SUCCESS)
		panic("kmem_subinit: unable to make 0x%lx-0x%lx a submap", *min,
		    *max);
}

/* ------------------------------------------------------ kmem_malloc */

static int _kmem_back_domain(int domain, vm_object_t object, vm_offset_t addr,
    vm_size_t size, int flags, bool mark);

static vm_offset_t
kmem_malloc_domain(int domain, vm_size_t size, int flags)
{
	vmem_t *arena;
	vmem_addr_t addr;

	arena = __predict_true((flags & M_EXEC) == 0) ?
	    kdom[domain].kernel_arena : kdom[domain].kernel_rwx_arena;
	/* Large requests start on a superpage so they can be mapped by one. */
	if (__predict_false(size >= L2_SIZE && (flags & M_EXEC) == 0)) {
		if (vmem_xalloc(arena, size, L2_SIZE, 0, 0, VMEM_ADDR_MIN,
		    VMEM_ADDR_MAX, (flags & (M_NOWAIT | M_WAITOK)) | M_BESTFIT,
		    &addr) != 0)
			return (0);
		if (_kmem_back_domain(domain, kernel_object, addr, size, flags,
		    true) != KERN_SUCCESS) {
			vmem_xfree(arena, addr, size);
			return (0);
		}
		return (addr);
	}
	if (vmem_alloc(arena, size, (flags & (M_NOWAIT | M_WAITOK)) |
	    M_BESTFIT, &addr) != 0)
		return (0);
	if (_kmem_back_domain(domain, kernel_object, addr, size, flags,
	    true) != KERN_SUCCESS) {
		vmem_free(arena, addr, size);
		return (0);
	}
	return (addr);
}

/*
 * One page of ordinary memory in @domain, the common kmem_malloc: one
 * attempt that neither waits nor reclaims.  On failure nothing is left
 * behind and 0 is returned; the general path then tries the domain in
 * full (waiting for M_WAITOK, reclaiming) and goes on.
 */
static inline __attribute__((__always_inline__)) vm_offset_t
kmem_malloc_page(int domain, int flags)
{
	vmem_t *arena;
	vmem_addr_t addr;
	vm_page_t m;
	int pflags;

	arena = kdom[domain].kernel_arena;
	if (vmem_alloc(arena, PAGE_SIZE, M_NOWAIT | M_BESTFIT, &addr) != 0)
		return (0);
	pflags = __predict_true((flags & ~(M_NOWAIT | M_WAITOK)) == 0) ?
	    VM_ALLOC_SYSTEM | VM_ALLOC_NOWAIT | VM_ALLOC_WIRED :
	    malloc2vm_flags((flags & ~M_WAITOK) | M_NOWAIT) | VM_ALLOC_WIRED;
	m = vm_page_alloc_noobj_domain(domain, pflags);
	if (__predict_true(m != NULL)) {
		if (__predict_true(pmap_enter(kernel_pmap, addr, m, VM_PROT_RW,
		    VM_PROT_RW | PMAP_ENTER_WIRED | PMAP_ENTER_NOSLEEP, 0) ==
		    KERN_SUCCESS)) {
			vm_page_kmem_set(m, VM_PAGE_KMEM_HEAD |
			    VM_PAGE_KMEM_TAIL | VM_PAGE_KMEM_MAPPED);
			return (addr);
		}
		vm_page_free(m);
	}
	vmem_free(arena, addr, PAGE_SIZE);
	return (0);
}

/* Everything but a one-page allocation that succeeds at the first try. */
static __attribute__((__noinline__)) vm_offset_t
kmem_malloc_general(struct domainset *ds, vm_size_t size, int flags)
{
	struct kmem_req r = { .kind = KMEM_REQ_MALLOC,
	    .size = size_round_page(size), .flags = flags,
	    .memattr = VM_MEMATTR_DEFAULT };

	KMEM_UP("kmem_malloc");
	if (r.size == 0 || !flags_ok(flags))
		return (0);
	return (kmem_domainset_alloc(ds, &r));
}

/*
 * kmem_malloc_domainset and kmem_malloc (who: the caller's name, for the
 * panic of an M_WAITOK call from an interrupt handler).  The fast path:
 * one page, not M_EXEC, exactly one of M_NOWAIT/M_WAITOK, and a first
 * domain above its minimum: one attempt there (kmem_malloc_page).
 * Anything else, or a failed attempt, takes the general path
 * (kmem_malloc_general) from the start.
 */
static inline __attribute__((__always_inline__)) vm_offset_t
kmem_malloc_ds(const char *who, struct domainset *ds, vm_size_t size,
    int flags)
{
	vm_offset_t addr;
	int domain;

	if ((flags & M_WAITOK) != 0)
		KMEM_MAY_SLEEP(who);
	if (__predict_true(size - 1 < PAGE_SIZE && (flags & M_EXEC) == 0 &&
	    flags_ok(flags)) && (domain = vm_domainset_first(ds)) >= 0 &&
	    (addr = kmem_malloc_page(domain, flags)) != 0)
		return (addr);
	return (kmem_malloc_general(ds, size, flags));
}

vm_offset_t
kmem_malloc_domainset(struct domainset *ds, vm_size_t size, int flags)
{

	return (kmem_malloc_ds("kmem_malloc_domainset", ds, size, flags));
}

vm_offset_t
kmem_malloc(vm_size_t size, int flags)
{

	return (kmem_malloc_ds("kmem_malloc", DOMAINSET_RR(), size, flags));
}

/*
 * kmem_back_domain: pages of @domain for [addr, addr + size).  With
 * M_WAITOK a failed page allocation waits (VM_ALLOC_WAITFAIL) and retries;
 * with M_NOWAIT it unbacks what it mapped and returns KERN_NO_SPACE.
 * @mark: the range is one allocation that kmem_free will check (a fresh
 * range of an arena).  Otherwise (the public kmem_back*) the range must
 * be unbacked: FreeBSD's vm_page_alloc at an index of kernel_object that
 * already has a page is a caller bug its INVARIANTS catch; here a page
 * already backed panics before anything changes, so it is never remapped
 * and leaked.
 */
static bool
back_range_ok(vm_offset_t addr, vm_size_t size)
{

	return (size != 0 && (addr & PAGE_MASK) == 0 && (size & PAGE_MASK) ==
	    0 && addr >= VM_MIN_KERNEL_ADDRESS && addr + size <=
	    VM_MAX_KERNEL_ADDRESS && addr + size > addr);
}

/* The public kmem_back*: a valid range must be wholly unbacked. */
static void
back_check_unbacked(const char *who, vm_offset_t addr, vm_size_t size)
{
	vm_offset_t i;

	if (!back_range_ok(addr, size))
		return;		/* the caller returns KERN_INVALID_ARGUMENT */
	for (i = 0; i < size; i += PAGE_SIZE)
		if (pmap_kextract(addr + i) != 0)
			panic("%s: 0x%lx size %lu: page 0x%lx is already backed "
			    "(pa 0x%lx)", who, addr, (u_long)size, addr + i,
			    (u_long)pmap_kextract(addr + i));
}

static int
_kmem_back_domain(int domain, vm_object_t object, vm_offset_t addr,
    vm_size_t size, int flags, bool mark)
{
	vm_offset_t i;
	vm_page_t m, first;
	u_long j;
	vm_prot_t prot;
	int pflags;

	if (object != kernel_object || domain < 0 || domain >= vm_ndomains ||
	    !back_range_ok(addr, size) || !flags_ok(flags))
		return (KERN_INVALID_ARGUMENT);
	pflags = malloc2vm_flags(flags) | VM_ALLOC_WIRED;
	pflags &= ~(VM_ALLOC_NOWAIT | VM_ALLOC_WAITOK | VM_ALLOC_WAITFAIL);
	pflags |= (flags & M_WAITOK) != 0 ? VM_ALLOC_WAITFAIL :
	    VM_ALLOC_NOWAIT;
	prot = (flags & M_EXEC) != 0 ? VM_PROT_ALL : VM_PROT_RW;

	first = NULL;
	for (i = 0; i < size; i += PAGE_SIZE) {
		/*
		 * A superpage where the VA, the size left and a free aligned
		 * physical run allow: one 2 MiB leaf instead of 512 PTEs.
		 */
		if (((addr + i) & L2_OFFSET) == 0 && size - i >= L2_SIZE &&
		    (prot & VM_PROT_EXECUTE) == 0 &&
		    (m = vm_page_alloc_noobj_contig_domain(domain,
		    (pflags & ~(VM_ALLOC_WAITOK | VM_ALLOC_WAITFAIL)) |
		    VM_ALLOC_NOWAIT | VM_ALLOC_NORECLAIM, atop(L2_SIZE), 0,
		    ~(vm_paddr_t)0, L2_SIZE, 0, VM_MEMATTR_DEFAULT)) != NULL) {
			if (pmap_enter(kernel_pmap, addr + i, m, prot, prot |
			    PMAP_ENTER_WIRED | ((flags & M_NOWAIT) != 0 ?
			    PMAP_ENTER_NOSLEEP : 0), 1) != KERN_SUCCESS) {
				vm_page_free_contig(m, atop(L2_SIZE));
				goto fail;
			}
			for (j = 0; j < atop(L2_SIZE); j++)
				vm_page_kmem_set(m + j, VM_PAGE_KMEM_MAPPED);
			if (first == NULL)
				first = m;
			m = PHYS_TO_VM_PAGE(VM_PAGE_TO_PHYS(m) + L2_SIZE -
			    PAGE_SIZE);
			i += L2_SIZE - PAGE_SIZE;
			continue;
		}
		m = vm_page_alloc_noobj_domain(domain, pflags);
		if (m == NULL) {
			if ((flags & M_NOWAIT) == 0) {
				i -= PAGE_SIZE;		/* WAITFAIL waited: retry */
				continue;
			}
			goto fail;
		}
		KASSERT(vm_page_domain(m) == domain, ("kmem_back_domain: "
		    "domain mismatch %d != %d", vm_page_domain(m), domain));
		vm_page_kmem_set(m, VM_PAGE_KMEM_MAPPED |
		    ((prot & VM_PROT_EXECUTE) != 0 ? VM_PAGE_KMEM_EXEC : 0));
		if (map_page(addr + i, m, prot, flags) != KERN_SUCCESS) {
			vm_page_kmem_clear(m, VM_PAGE_KMEM_ALL);
			vm_page_free(m);
			goto fail;
		}
		if (first == NULL)
			first = m;
	}
	if (mark)
		mark_range(first, m);
	return (KERN_SUCCESS);
fail:
	kmem_unback(object, addr, i);
	return (KERN_NO_SPACE);
}

int
kmem_back_domain(int domain, vm_object_t object, vm_offset_t addr,
    vm_size_t size, int flags)
{

	back_check_unbacked("kmem_back_domain", addr, size);
	return (_kmem_back_domain(domain, object, addr, size, flags, false));
}

/*
 * kmem_back: pages for [addr, addr + size), each KVA_QUANTUM from the
 * domain its address selects, so a superpage is backed from one domain.
 */
int
kmem_back(vm_object_t object, vm_offset_t addr, vm_size_t size, int flags)
{
	vm_offset_t end, next, start;
	int domain, rv;

	if (object != kernel_object)
		return (KERN_INVALID_ARGUMENT);
	back_check_unbacked("kmem_back", addr, size);
	rv = KERN_INVALID_ARGUMENT;
	for (start = addr, end = addr + size; addr < end; addr = next) {
		if (vm_ndomains > 1) {
			/* vm_ndomains counts domains with memory only. */
			domain = (int)((addr >> KVA_QUANTUM_SHIFT) %
			    (vm_offset_t)vm_ndomains);
			next = roundup2(addr + 1, KVA_QUANTUM);
			if (next > end || next < start)
				next = end;
		} else {
			domain = 0;
			next = end;
		}
		rv = _kmem_back_domain(domain, object, addr, next - addr,
		    flags, false);
		if (rv != KERN_SUCCESS) {
			kmem_unback(object, start, addr - start);
			break;
		}
	}
	return (rv);
}

/*
 * Freed kernel memory is unmapped at once but, while other harts run,
 * handed back in batches: a remote TLB shootdown (an SBI RFENCE, thousands
 * of instructions and a round trip through every other hart) is paid once
 * per batch instead of once per kmem_free.  Until the batch's shootdown,
 * neither its pages nor its KVA are reused, so a stale translation on
 * another hart can only reach memory nobody owns.  A batch is per hart;
 * it is flushed when full, when someone waits for pages, by the lowmem
 * handlers, before an allocation fails, and by kmem_free_flush().
 */
struct kmem_run {
	vm_paddr_t	pa;
	u_long		n;
	bool		attr;		/* reset the memory attribute */
};

#define KDEFER_RUNS	64
#define KDEFER_RANGES	32
struct kmem_defer {
	struct kmem_spin	lock;
	int			nruns;
	int			nranges;
	struct kmem_run		runs[KDEFER_RUNS];
	struct {
		vmem_t		*arena;
		vm_offset_t	va;
		vm_size_t	size;
	}			ranges[KDEFER_RANGES];
} __attribute__((__aligned__(64)));
static struct kmem_defer kdefer[MAXCPU];
static atomic_ulong kdefer_batches;		/* flushed batches, for stats */
unsigned long kmem_tlb_full_flushes;		/* (kmem/machine.h) */

static void
run_free(const struct kmem_run *r)
{
	vm_page_t m;
	u_long j;

	m = PHYS_TO_VM_PAGE(r->pa);
	for (j = 0; j < r->n; j++) {
		vm_page_kmem_clear(m + j, VM_PAGE_KMEM_ALL);
		if (r->attr)
			pmap_page_set_memattr(m + j, VM_MEMATTR_DEFAULT);
	}
	if (r->n == 1)
		vm_page_free(m);
	else
		vm_page_free_contig(m, r->n);
}

/* Shoot the batch's translations down everywhere, then free it. */
static __attribute__((__noinline__)) void
defer_flush_locked(struct kmem_defer *d)
{
	int i;

	if (d->nruns == 0 && d->nranges == 0)
		return;
	md_tlb_shootdown(VM_MIN_KERNEL_ADDRESS, VM_MAX_KERNEL_ADDRESS);
	for (i = 0; i < d->nruns; i++)
		run_free(&d->runs[i]);
	for (i = 0; i < d->nranges; i++)
		vmem_free(d->ranges[i].arena, d->ranges[i].va,
		    d->ranges[i].size);
	d->nruns = d->nranges = 0;
	atomic_fetch_add_explicit(&kdefer_batches, 1, memory_order_relaxed);
}

/*
 * Flush every hart's batch of freed kernel memory.  Takes each batch lock
 * (no other kmem lock may be held).  Returns whether anything was freed.
 */
bool
kmem_free_flush(void)
{
	struct kmem_defer *d;
	bool any;
	u_int i;

	/*
	 * Every batch is locked, even one that looks empty: a kmem_free may be
	 * filling it right now, and a waiter must not miss its pages.
	 */
	any = false;
	for (i = 0; i < md_ncpus() && i < MAXCPU; i++) {
		d = &kdefer[i];
		kmem_spin_lock(&d->lock);
		any |= d->nruns != 0 || d->nranges != 0;
		defer_flush_locked(d);
		kmem_spin_unlock(&d->lock);
	}
	return (any);
}

static void
kmem_lowmem(void *arg, int flags)
{

	(void)arg;
	(void)flags;
	(void)kmem_free_flush();
}

static void
kmem_arena_reclaim(vmem_t *vm, int flags)
{

	(void)vm;
	(void)flags;
	(void)kmem_free_flush();
}

/*
 * Check that [addr, addr + size) is backed (and, with @check, is exactly
 * one allocation: head mark on the first page, tail mark on the last,
 * neither in between); anything else panics naming @who.  Nothing is
 * changed and no lock is held, so a caught panic leaves no trace.
 * Returns the arena the range came from (by its first page's domain and
 * exec mark) and whether its pages carry a memory attribute.
 */
static vmem_t *
unback_check(vm_object_t object, vm_offset_t addr, vm_size_t size,
    bool check, const char *who, bool *attrp)
{
	vm_offset_t va, end;
	vm_size_t len;
	vm_paddr_t pa;
	vm_page_t m;
	u_int marks;
	int domain;
	bool scan;

	KMEM_CHECK(object == kernel_object, ("%s: only kernel_object is "
	    "supported (got %p)", who, (void *)object));
	if ((addr & PAGE_MASK) != 0 || addr < VM_MIN_KERNEL_ADDRESS ||
	    addr + size > VM_MAX_KERNEL_ADDRESS || addr + size < addr)
		panic("%s: 0x%lx size %lu is not a kernel memory range", who,
		    addr, (u_long)size);
	end = addr + size;
	m = NULL;
	len = 0;
	scan = true;	/* look for linear stretches while they show up */
	for (va = addr; va < end; va += PAGE_SIZE, len -= PAGE_SIZE, m++) {
		if (len == 0) {
			/* A new linear stretch: its structs are consecutive. */
			pa = pmap_kextract_run(va, scan ? end - va : 0, &len);
			scan = len > PAGE_SIZE;
			m = pa != 0 ? PHYS_TO_VM_PAGE(pa) : NULL;
			if (m != NULL && len > PAGE_SIZE && PHYS_TO_VM_PAGE(pa +
			    len - PAGE_SIZE) != m + atop(len) - 1)
				len = PAGE_SIZE;
		}
		if (m == NULL)
			panic("%s: 0x%lx size %lu: page 0x%lx is not backed "
			    "(not allocated, already freed, or wrong size)", who,
			    addr, (u_long)size, va);
		if (va == addr)
			*attrp = (vm_page_kmem_get(m) & VM_PAGE_KMEM_ATTR) != 0;
		if (!check)
			continue;
		marks = vm_page_kmem_get(m);
		if ((va == addr) != ((marks & VM_PAGE_KMEM_HEAD) != 0) ||
		    (va + PAGE_SIZE == end) != ((marks & VM_PAGE_KMEM_TAIL) !=
		    0))
			panic("%s: 0x%lx size %lu is not one allocation (page "
			    "0x%lx %s)", who, addr, (u_long)size, va,
			    va == addr ? "does not start an allocation" :
			    va + PAGE_SIZE == end ? "does not end an allocation" :
			    "is an allocation boundary inside the range");
	}
	m = PHYS_TO_VM_PAGE(pmap_kextract(addr));
	domain = vm_page_domain(m);
	return ((vm_page_kmem_get(m) & VM_PAGE_KMEM_EXEC) == 0 ?
	    kdom[domain].kernel_arena : kdom[domain].kernel_rwx_arena);
}

/*
 * Unmap a checked range a chunk at a time (one pmap_remove each; whole
 * superpages stay whole) and free its pages as physically contiguous runs:
 * at once (d == NULL: the shootdown is part of pmap_remove) or into the
 * batch d (its lock held; flushed first when it has no room).
 */
static void
unback_range(vm_offset_t addr, vm_size_t size, bool attr,
    struct kmem_defer *d)
{
	struct kmem_run runs[16];
	vm_offset_t va, end, cs;
	vm_size_t len;
	vm_paddr_t pa;
	int n, i;
	bool scan;

	end = addr + size;
	scan = true;
	for (cs = addr; cs < end; cs = va) {
		n = 0;
		for (va = cs; va < end; va += len) {
			pa = pmap_kextract_run(va, scan ? end - va : 0, &len);
			scan = len > PAGE_SIZE;
			if (len > end - va)
				len = end - va;
			if (n > 0 && pa == runs[n - 1].pa + ptoa(runs[n - 1].n)) {
				runs[n - 1].n += atop(len);
				continue;
			}
			if (n == (int)nitems(runs))
				break;
			runs[n].pa = pa;
			runs[n].n = atop(len);
			runs[n].attr = attr;
			n++;
		}
		if (d == NULL) {
			pmap_remove(kernel_pmap, cs, va);
			for (i = 0; i < n; i++)
				run_free(&runs[i]);
			continue;
		}
		pmap_remove_nosync(kernel_pmap, cs, va);
		if (d->nruns + n > KDEFER_RUNS)
			defer_flush_locked(d);
		for (i = 0; i < n; i++)
			d->runs[d->nruns++] = runs[i];
	}
}

void
kmem_unback(vm_object_t object, vm_offset_t addr, vm_size_t size)
{
	bool attr;

	/* The caller may reuse the VA at once: no batching here. */
	if (size == 0)
		return;
	(void)unback_check(object, addr, size, false, "kmem_unback", &attr);
	unback_range(addr, size, attr, NULL);
}

/*
 * Free the checked range [addr, addr + size) of @arena while other harts
 * run: unmap it now, and queue its pages and its KVA for this hart's next
 * batch (they are reused only after the batch's shootdown).  Out of line:
 * the one-page fast path of kmem_free keeps its registers to itself.
 */
static __attribute__((__noinline__)) void
defer_free(vmem_t *arena, vm_offset_t addr, vm_size_t size, bool attr)
{
	struct kmem_defer *d;

	d = &kdefer[kmem_cpuid()];
	kmem_spin_lock(&d->lock);
	unback_range(addr, size, attr, d);
	if (d->nranges == KDEFER_RANGES)
		defer_flush_locked(d);
	d->ranges[d->nranges].arena = arena;
	d->ranges[d->nranges].va = addr;
	d->ranges[d->nranges].size = size;
	d->nranges++;
	kmem_spin_unlock(&d->lock);
}

/*
 * kmem_free of one page, the common case.  Returns false, having changed
 * nothing, for anything but a live one-page allocation of ordinary memory
 * (no memory attribute); the general path then frees it or panics with
 * the full diagnosis.
 */
static inline bool
kmem_free_page(vm_offset_t addr)
{
	vmem_t *arena;
	vm_paddr_t pa;
	vm_page_t m;

	pa = pmap_kextract(addr);
	m = pa != 0 ? PHYS_TO_VM_PAGE(pa) : NULL;
	if (__predict_false(m == NULL || (addr & PAGE_MASK) != 0 ||
	    vm_page_kmem_get(m) != (VM_PAGE_KMEM_HEAD | VM_PAGE_KMEM_TAIL |
	    VM_PAGE_KMEM_MAPPED)))
		return (false);
	arena = kdom[vm_page_domain(m)].kernel_arena;
	vm_page_kmem_clear(m, VM_PAGE_KMEM_ALL);
	if (kmem_ncpus_running() <= 1 || vm_page_wanted()) {
		pmap_kremove(addr);
		vm_page_free(m);
		vmem_free(arena, addr, PAGE_SIZE);
		return (true);
	}
	defer_free(arena, addr, PAGE_SIZE, false);	/* other harts run */
	return (true);
}

static __attribute__((__noinline__)) void
kmem_free_general(vm_offset_t addr, vm_size_t size)
{
	vmem_t *arena;
	bool attr;

	KMEM_UP("kmem_free");
	size = round_page(size);
	if (size == 0)
		return;
	arena = unback_check(kernel_object, addr, size, true, "kmem_free",
	    &attr);
	if (kmem_ncpus_running() <= 1 || vm_page_wanted()) {
		/* Nobody else to shoot down, or someone waits: free now. */
		unback_range(addr, size, attr, NULL);
		vmem_free(arena, addr, size);
		return;
	}
	defer_free(arena, addr, size, attr);
}

/*
 * kmem_free: the range must be exactly one live allocation (checked before
 * anything changes; a panic names kmem_free, the address and the size).
 */
void
kmem_free(vm_offset_t addr, vm_size_t size)
{

	if (__predict_true(size - 1 < PAGE_SIZE) && kmem_free_page(addr))
		return;
	kmem_free_general(addr, size);
}

/* ---------------------------------------------------- pageable maps */

vm_offset_t
kmap_alloc_wait(vm_map_t map, vm_size_t size)
{
	vm_offset_t addr;

	KMEM_UP("kmap_alloc_wait");
	KMEM_MAY_SLEEP("kmap_alloc_wait");
	size = size_round_page(size);
	if (size == 0)
		return (0);
	if (vm_map_max(map) - vm_map_min(map) < size)
		return (0);		/* can never fit */
	if (!swap_reserve(size))
		return (0);
	for (;;) {
		vm_map_lock(map);
		addr = vm_map_findspace(map, vm_map_min(map), size);
		if (addr + size <= vm_map_max(map) && addr + size > addr)
			break;
		map->needs_wakeup = true;
		vm_map_unlock_and_wait(map, 0);
	}
	if (vm_map_insert(map, NULL, 0, addr, addr + size, VM_PROT_RW,
	    VM_PROT_RW, MAP_ACC_CHARGED) != KERN_SUCCESS) {
		vm_map_unlock(map);
		swap_release(size);
		return (0);
	}
	vm_map_unlock(map);
	return (addr);
}

/*
 * kmap_free_wakeup: [addr, addr + size) rounded to pages must be exactly
 * one live kmap_alloc_wait allocation of @map; anything else (never
 * allocated, freed twice, an inner page or a part of one) panics naming
 * the function, the map and the range, with nothing changed.
 */
void
kmap_free_wakeup(vm_map_t map, vm_offset_t addr, vm_size_t size)
{
	vm_offset_t start, end;

	start = trunc_page(addr);
	end = round_page(addr + size);
	vm_map_lock(map);
	if (size == 0 || end <= start || !vm_map_range_is_entry(map, start,
	    end)) {
		vm_map_unlock(map);
		panic("kmap_free_wakeup: map %p: 0x%lx size %lu is not one live "
		    "allocation (never allocated, already freed, or a part of "
		    "one)", (void *)map, addr, (u_long)size);
	}
	(void)vm_map_delete(map, start, end);
	if (map->needs_wakeup) {
		map->needs_wakeup = false;
		vm_map_wakeup(map);
	}
	vm_map_unlock(map);
}

/* ---------------------------------------------------- zero region */

void
kmem_init_zero_region(void)
{
	vm_offset_t addr, i;
	vm_page_t m;
	int d;

	addr = kva_alloc(ZERO_REGION_SIZE);
	m = NULL;
	for (d = 0; d < vm_ndomains && m == NULL; d++)
		m = vm_page_alloc_noobj_domain(d, VM_ALLOC_NOWAIT |
		    VM_ALLOC_WIRED | VM_ALLOC_ZERO);
	if (addr == 0 || m == NULL)
		panic("kmem_init_zero_region: no memory for the zero region");
	for (i = 0; i < ZERO_REGION_SIZE; i += PAGE_SIZE)
		pmap_qenter(addr + i, &m, 1);
	pmap_protect(kernel_pmap, addr, addr + ZERO_REGION_SIZE, VM_PROT_READ);
	zero_region = (const void *)addr;
}

/* ------------------------------------------------------ start-up */

static int
kva_import(void *unused, vmem_size_t size, int flags, vmem_addr_t *addrp)
{
	vm_offset_t addr;

	(void)unused;
	(void)flags;
	KASSERT((size % KVA_QUANTUM) == 0, ("kva_import: size %lu is not a "
	    "multiple of %lu", (u_long)size, KVA_QUANTUM));
	addr = vm_map_min(kernel_map);
	if (vm_map_find(kernel_map, NULL, 0, &addr, size, 0, VMFS_SUPER_SPACE,
	    VM_PROT_ALL, VM_PROT_ALL, MAP_NOFAULT) != KERN_SUCCESS)
		return (ENOMEM);
	*addrp = addr;
	return (0);
}

static int
kva_import_domain(void *arena, vmem_size_t size, int flags, vmem_addr_t *addrp)
{

	KASSERT((size % KVA_QUANTUM) == 0, ("kva_import_domain: size %lu is "
	    "not a multiple of %lu", (u_long)size, KVA_QUANTUM));
	return (vmem_xalloc(arena, size, KVA_QUANTUM, 0, 0, VMEM_ADDR_MIN,
	    VMEM_ADDR_MAX, flags, addrp));
}

static void
kva_release_domain(void *arena, vmem_addr_t addr, vmem_size_t size)
{

	vmem_xfree(arena, addr, size);
}

/* vmem's backend: whole pages for tags, arenas and hash tables. */
static atomic_ulong backend_pages;

static void *
kmem_vmem_backend_alloc(vmem_size_t size, int flags)
{
	vm_page_t m;
	int d, req;

	(void)flags;
	req = VM_ALLOC_NOWAIT | VM_ALLOC_WIRED | VM_ALLOC_NORECLAIM;
	for (d = 0; d < vm_ndomains; d++) {
		m = vm_page_alloc_noobj_contig_domain(d, req, atop(
		    round_page(size)), 0, ~(vm_paddr_t)0, PAGE_SIZE, 0,
		    VM_MEMATTR_DEFAULT);
		if (m != NULL) {
			atomic_fetch_add_explicit(&backend_pages,
			    atop(round_page(size)), memory_order_relaxed);
			return ((void *)PHYS_TO_DMAP(VM_PAGE_TO_PHYS(m)));
		}
	}
	return (NULL);
}

static void
kmem_vmem_backend_free(void *p, vmem_size_t size)
{
	vm_paddr_t pa;
	vm_size_t i;

	pa = DMAP_TO_PHYS((vm_offset_t)p);
	for (i = 0; i < round_page(size); i += PAGE_SIZE)
		vm_page_free(PHYS_TO_VM_PAGE(pa + i));
	atomic_fetch_sub_explicit(&backend_pages, atop(round_page(size)),
	    memory_order_relaxed);
}

void vm_map_startup(void);

void
kmem_init(vm_offset_t start, vm_offset_t end)
{
	vm_offset_t min, max;
	vm_size_t quantum;
	int domain;

	vmem_set_backend(kmem_vmem_backend_alloc, kmem_vmem_backend_free);
	for (domain = 0; domain < MAXCPU; domain++)
		kmem_spin_init_percpu(&kdefer[domain].lock,
		    "kmem free batch");
	vm_map_init(kernel_map, kernel_pmap, VM_MIN_KERNEL_ADDRESS, end);
	kernel_map->system_map = true;
	if (start > VM_MIN_KERNEL_ADDRESS) {
		vm_map_lock(kernel_map);
		(void)vm_map_insert(kernel_map, NULL, 0, VM_MIN_KERNEL_ADDRESS,
		    start, VM_PROT_ALL, VM_PROT_ALL, MAP_NOFAULT);
		vm_map_unlock(kernel_map);
	}
	vm_map_startup();

	quantum = vm_ndomains > 1 ? KVA_NUMA_IMPORT_QUANTUM : KVA_QUANTUM;
	kernel_arena = vmem_init(&kernel_arena_store, "kernel arena", 0, 0,
	    PAGE_SIZE, KMEM_QCACHE_PAGES * PAGE_SIZE, 0);
	vmem_set_import(kernel_arena, kva_import, NULL, NULL, quantum);
	for (domain = 0; domain < vm_ndomains; domain++) {
		kdom[domain].kernel_arena = vmem_create("kernel arena domain",
		    0, 0, PAGE_SIZE, KMEM_QCACHE_PAGES * PAGE_SIZE, M_WAITOK);
		vmem_set_import(kdom[domain].kernel_arena, kva_import_domain,
		    NULL, kernel_arena, quantum);
		kdom[domain].kernel_rwx_arena = vmem_create(
		    "kernel rwx arena domain", 0, 0, PAGE_SIZE, 0, M_WAITOK);
		vmem_set_import(kdom[domain].kernel_rwx_arena,
		    kva_import_domain, kva_release_domain, kernel_arena,
		    KVA_QUANTUM);
		if (kdom[domain].kernel_arena == NULL ||
		    kdom[domain].kernel_rwx_arena == NULL)
			panic("kmem_init: cannot create the arenas of domain %d",
			    domain);
		/* Batched frees give KVA back before an arena waits or fails. */
		vmem_set_reclaim(kdom[domain].kernel_arena, kmem_arena_reclaim);
		vmem_set_reclaim(kdom[domain].kernel_rwx_arena,
		    kmem_arena_reclaim);
	}
	if (vm_lowmem_register(kmem_lowmem, NULL) == NULL)
		panic("kmem_init: cannot register the lowmem handler");
	kmem_subinit(exec_map, kernel_map, &min, &max, KMEM_EXEC_MAP_SIZE,
	    false);
	kmem_subinit(pipe_map, kernel_map, &min, &max, KMEM_PIPE_MAP_SIZE,
	    true);
	kmem_init_zero_region();
}

/*
 * kmem_bootstrap_free: boot-only memory mapped at [start, start + size)
 * (an init section, the FDT copy; identity-mapped image VAs or DMAP VAs)
 * goes to the page allocator.  Partial pages at either end are kept.
 */
void
kmem_bootstrap_free(vm_offset_t start, vm_size_t size)
{
	vm_offset_t end, va;
	vm_paddr_t pa;
	vm_page_t m;

	end = trunc_page(start + size);
	start = round_page(start);
	for (va = start; va < end; va += PAGE_SIZE) {
		pa = VIRT_IN_DMAP(va) ? DMAP_TO_PHYS(va) : pmap_kextract(va);
		if (pa == 0 && !VIRT_IN_DMAP(va))
			pa = va;		/* identity-mapped image */
		m = PHYS_TO_VM_PAGE(pa);
		if (m == NULL)
			panic("kmem_bootstrap_free: 0x%lx (pa 0x%lx) is not "
			    "managed memory", va, (u_long)pa);
		vm_page_free_boot(m);
	}
}

/* ------------------------------------------------------ statistics */

void
kmem_stats(struct kmem_stats *st)
{
	struct pmap_counts pc;
	int d;

	memset(st, 0, sizeof(*st));
	st->min_kernel_address = VM_MIN_KERNEL_ADDRESS;
	st->max_kernel_address = VM_MAX_KERNEL_ADDRESS;
	st->maxuser_address = vm_maxuser_address;
	st->ndomains = vm_ndomains;
	if (kernel_arena != NULL) {
		st->kernel_arena_alloc = vmem_size(kernel_arena, VMEM_ALLOC);
		st->kernel_arena_free = vmem_size(kernel_arena, VMEM_FREE);
	}
	for (d = 0; d < vm_ndomains && d < MAXMEMDOM; d++) {
		if (kdom[d].kernel_arena != NULL) {
			st->domain_arena_alloc[d] = vmem_size(
			    kdom[d].kernel_arena, VMEM_ALLOC);
			st->domain_arena_free[d] = vmem_size(
			    kdom[d].kernel_arena, VMEM_FREE);
		}
		st->domain_free_pages[d] = vm_domain_free_count(d);
	}
	st->kernel_map_size = vm_map_size(kernel_map);
	st->commit_used = swap_reserved();
	st->commit_limit = swap_limit();
	st->free_pages = vm_free_count();
	st->free_batches = atomic_load_explicit(&kdefer_batches,
	    memory_order_relaxed);
	st->tlb_full_flushes = __atomic_load_n(&kmem_tlb_full_flushes,
	    __ATOMIC_RELAXED);
	pmap_get_counts(kernel_pmap, &pc);
	st->meta_pages = pc.ptpages + atomic_load_explicit(&backend_pages,
	    memory_order_relaxed) + vm_map_entry_pages();
}

struct vmem *
kmem_domain_arena(int domain, bool exec)
{

	if (domain < 0 || domain >= vm_ndomains)
		return (NULL);
	return (exec ? kdom[domain].kernel_rwx_arena :
	    kdom[domain].kernel_arena);
}

void
kmem_stats_print(const struct kmem_stats *st)
{
	int d;

	kmem_printf("kmem: vm.min_kernel_address 0x%lx vm.max_kernel_address "
	    "0x%lx vm_maxuser_address 0x%lx\n", st->min_kernel_address,
	    st->max_kernel_address, st->maxuser_address);
	kmem_printf("kmem: kernel_map %lu KiB in entries; kernel arena %lu KiB "
	    "allocated, %lu KiB free; commit %lu/%lu KiB\n",
	    (u_long)(st->kernel_map_size >> 10),
	    (u_long)(st->kernel_arena_alloc >> 10),
	    (u_long)(st->kernel_arena_free >> 10),
	    (u_long)(st->commit_used >> 10), (u_long)(st->commit_limit >> 10));
	for (d = 0; d < st->ndomains; d++)
		kmem_printf("kmem: domain %d: %u free pages (%lu MiB); arena "
		    "%lu KiB allocated, %lu KiB free\n", d,
		    st->domain_free_pages[d],
		    (u_long)st->domain_free_pages[d] >> 8,
		    (u_long)(st->domain_arena_alloc[d] >> 10),
		    (u_long)(st->domain_arena_free[d] >> 10));
}
