/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to vm_phys.c, vm_page.c and vm_domainset.c: domains, segments,
 * the page-state encoding and the per-hart page caches.
 */
#ifndef KMEM_VM_PHYS_PRIVATE_H
#define KMEM_VM_PHYS_PRIVATE_H

#include <stdatomic.h>

#include <kmem/spin.h>
#include <kmem/vm_page.h>
#include <kmem/vm_phys.h>

#include "kmem_private.h"

/*
 * Words written by one side (under the domain lock, or by the owning hart)
 * and read by others without that lock: the vp_next word of a page struct
 * (a free checks the first struct of its page's 2^MAXORDER chunk), vmd_free
 * (iterators and waiters peek) and a cache's pc_count (free counts sum
 * every hart's).  Each access is one aligned word load or store.  Under
 * ThreadSanitizer they are relaxed atomics, so the model is checked;
 * otherwise volatile accesses, because gcc turns a relaxed atomic store on
 * riscv64 into an amoswap and does not fold addresses into atomic loads
 * (extra instructions on the single-page path), while an aligned word
 * access is single-copy atomic in RVWMO.
 */
#if defined(__SANITIZE_THREAD__)
#define VM_WORD_ATOMICS	1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define VM_WORD_ATOMICS	1
#endif
#endif
#ifdef VM_WORD_ATOMICS
#define VM_LOAD_WORD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define VM_STORE_WORD(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#else
#define VM_LOAD_WORD(p)		(*(const volatile __typeof__(*(p)) *)(p))
#define VM_STORE_WORD(p, v)	(*(volatile __typeof__(*(p)) *)(p) = (v))
#endif

/*
 * Page indices are per domain: the domain's segments' page structs are
 * consecutive in one array (vmd_pages), segment after segment.  Links and
 * the "prev" field use 27 bits; VM_PIDX_NONE ends a list.
 */
#define VM_PIDX_BITS	27
#define VM_PIDX_NONE	((1U << VM_PIDX_BITS) - 1)

/*
 * A chunk is a naturally aligned range of 2^VM_CHUNK_SHIFT pages (the
 * largest buddy block).  A whole chunk lies in one segment; only a whole
 * chunk can be one free block.  The first struct of a whole chunk is
 * always meaningful (see vm_phys.c: "Which structs are meaningful").
 */
#define VM_CHUNK_SHIFT	(VM_NFREEORDER - 1)
#define VM_CHUNK_PAGES	(1UL << VM_CHUNK_SHIFT)

/*
 * vp_info.  Bits 0..3 (VPI_STATE) say what the page is:
 *   0: allocated, or in a hart's cache (then VPI_CACHED is set);
 *   1 .. VM_NFREEORDER: head of a free block of order (state - 1);
 *   VPI_ST_INNER: inside a free block, not its head.
 * Bit 4 is "known zero" in the allocated, cached and free-head states.
 * Free head: prev index in bits 5..31.  Allocated: kmem marks in bits
 * 7..12 (kmem/vm_page.h).  So "allocated and not cached" is
 * (vp_info & VPI_BUSY_MASK) == 0, and "... nor mapped by kmem" is
 * (vp_info & VPI_FREE_MASK) == 0: one test on the free path.
 */
#define VPI_STATE	0x0fU
#define VPI_ST_INNER	0x0fU
#define VPI_ZERO	VM_PAGE_INFO_ZERO	/* (kmem/vm_page.h) */
#define VPI_CACHED	0x40U
#define VPI_BUSY_MASK	(VPI_STATE | VPI_CACHED)
#define VPI_KMEM_SHIFT	VM_PAGE_INFO_KMEM_SHIFT
#define VPI_KMEM_MASK	(VM_PAGE_KMEM_ALL << VPI_KMEM_SHIFT)
#define VPI_KMEM_MAPPED	(VM_PAGE_KMEM_MAPPED << VPI_KMEM_SHIFT)
#define VPI_FREE_MASK	(VPI_BUSY_MASK | VPI_KMEM_MAPPED)
#define VPI_PREV_SHIFT	5

/*
 * vp_next.  Bits 0..26: the next index on a free list (free head) or in a
 * cache (cached page).  Flags in bits 27..31 say, for code that holds the
 * domain lock and looks at a page it does not own, what the page is
 * (vp_info of an allocated or cached page is written by its owner without
 * that lock; vp_next only ever with VM_STORE_WORD):
 *   VPN_FREE: head of a free block (its order is then in vp_info);
 *   VPN_INNER: inside a free block (vp_next == VPN_INNER);
 *   neither: allocated (vp_next 0 or a stale cache link) or cached.
 * A max-order free head also has VPN_FREEMAX (bit 31: the whole chunk is
 * free, whatever its other structs say) and, when those other structs are
 * all inner, VPN_INNER_OK.  Bit 31 is set on free max-order heads only.
 */
#define VPN_LINK	VM_PIDX_NONE
#define VPN_FREE	0x08000000U
#define VPN_INNER	0x10000000U
#define VPN_INNER_OK	0x40000000U
#define VPN_FREEMAX	0x80000000U

_Static_assert(VM_NFREEORDER < VPI_ST_INNER, "order + 1 fits in VPI_STATE "
    "below VPI_ST_INNER");
_Static_assert((VPI_CACHED & (VPI_STATE | VPI_ZERO | VPI_KMEM_MASK)) == 0,
    "vp_info bits overlap");
/* What vm_page_uma_lookup (kmem/vm_page.h) relies on. */
_Static_assert(VPI_BUSY_MASK == VM_PAGE_INFO_NOTALLOC &&
    VPN_FREEMAX == VM_PAGE_NEXT_FREEMAX && VM_PAGE_CHUNK_SHIFT ==
    PAGE_SHIFT + VM_CHUNK_SHIFT &&
    VM_PAGE_UMA_WORD_MASK == VPN_LINK, "UMA's page word");

struct vm_phys_seg {
	vm_paddr_t	start, end;	/* [start, end), page aligned */
	u_long		spfn, epfn;	/* the same in pages */
	u_long		base;		/* domain index of the first page */
	int		domain;
	struct vm_page	*first;		/* page struct of start */
};

struct vm_domain {
	struct kmem_spin vmd_lock;	/* lists, counters, free structs */
	struct vm_page	*vmd_pages;	/* npages structs */
	u_long		vmd_bytes;	/* npages * sizeof(struct vm_page) */
	/*
	 * The free fast path's range: structs of one physically contiguous
	 * run of segments from its first chunk boundary on, where the chunk
	 * head of a page is found by masking the struct offset.
	 */
	struct vm_page	*vmd_fast_first;	/* a chunk head's struct */
	u_long		vmd_fast_bytes;		/* 0: no fast range */
	u_long		vmd_fast_idx;		/* index of vmd_fast_first */
	/*
	 * The run's cut chunk just before it: the structs of its pages are
	 * all meaningful (written at boot), so a page's own state is exact.
	 */
	u_long		vmd_cut_bytes;
	u_long		vmd_npages;
	u_long		vmd_free;	/* pages on the free lists */
	u_long		vmd_free_min;
	uint32_t	vmd_freeq[VM_NFREEORDER];	/* list heads */
	u_long		vmd_nblocks[VM_NFREEORDER];
	u_int		vmd_nonempty;	/* bit o: freeq[o] not empty */
	int		vmd_seg_first;	/* index in vm_phys_segs */
	int		vmd_nsegs;
	vm_paddr_t	vmd_meta_pa;	/* where the structs live */
	vm_size_t	vmd_meta_size;
} __attribute__((aligned(64)));	/* domains share no cache line */

extern struct vm_domain vm_dom[MAXMEMDOM];
extern struct vm_phys_seg vm_phys_segs[VM_PHYS_MAX_SEGS];
extern int vm_phys_nsegs;

/*
 * Per-hart page cache: per domain, a stack of free single pages linked
 * through vp_next.  Only its hart touches it, with interrupts off.
 */
#define VM_PCACHE_MAX		32	/* pages per hart and domain */
#define VM_PCACHE_BATCH		16	/* refilled / drained at once */
#define VM_PCACHE_ORDER		4	/* refill: one block of 16 pages */

struct vm_pcache {
	uint32_t	pc_head;
	uint32_t	pc_count;
};

struct vm_pcpu {
	struct vm_pcache pc_dom[MAXMEMDOM];
} __attribute__((aligned(64)));

extern struct vm_pcpu vm_pcpu[MAXCPU];

/*
 * pc_count: written by whoever holds the cache (its hart, or a hart that
 * drains it: vm_pcache_drain_all), summed by any (see VM_STORE_WORD).
 */
static inline void
pc_count_set(struct vm_pcache *pc, uint32_t n)
{

	VM_STORE_WORD(&pc->pc_count, n);
}

static inline uint32_t
pc_count_peek(const struct vm_pcache *pc)
{

	return (VM_LOAD_WORD(&pc->pc_count));
}

/*
 * Waiting for free pages: every free onto the buddy lists bumps
 * vm_free_gen; sleepers count themselves in vm_free_waiters and sleep on
 * &vm_free_gen under vm_wait_lock.
 */
extern atomic_ulong vm_free_gen;
extern atomic_uint vm_free_waiters;
void vm_free_wakeup(void);
/* Sleep until vm_free_gen moves from gen (see vm_page.c for the rules). */
void vm_wait_gen(uint64_t gen, u_long domains, const char *who);

/* --- vm_phys.c: the buddy allocator (domain lock held unless said) --- */

/* The domain whose page array holds m, or NULL. */
static inline struct vm_domain *
vm_page_vmd(const struct vm_page *m)
{
	struct vm_domain *vmd;
	int d;

	for (d = 0; d < vm_ndomains; d++) {
		vmd = &vm_dom[d];
		if ((uintptr_t)m - (uintptr_t)vmd->vmd_pages < vmd->vmd_bytes)
			return (vmd);
	}
	return (NULL);
}

/* The domain's buddy free count, read without the lock (a snapshot). */
static inline u_long
vmd_free_peek(const struct vm_domain *vmd)
{

	return (VM_LOAD_WORD(&vmd->vmd_free));
}

struct vm_phys_seg *vm_phys_seg_of(struct vm_domain *vmd, u_long idx);

/* What vm_phys_page_state() says about a page (kmem/vm_phys.h). */
#define VM_PS_ALLOC	VM_PHYS_PAGE_ALLOC
#define VM_PS_CACHED	VM_PHYS_PAGE_CACHED
#define VM_PS_FREE	VM_PHYS_PAGE_FREE

/* The state a meaningful struct's vp_info gives (chunk not one block). */
static inline int
vm_page_info_state(uint32_t info)
{

	if ((info & VPI_STATE) != 0)
		return (VM_PS_FREE);
	return ((info & VPI_CACHED) != 0 ? VM_PS_CACHED : VM_PS_ALLOC);
}
/*
 * The state of page idx of seg (no lock needed: exact for a page whose
 * owner is the caller; a racy snapshot otherwise).
 */
int vm_phys_page_state(struct vm_domain *vmd, const struct vm_phys_seg *seg,
    u_long idx);
/* Take a block of 2^order pages; VM_PIDX_NONE if none.  *zero: known 0. */
uint32_t vm_phys_alloc_block(struct vm_domain *vmd, int order, bool *zero);
/* Give back one allocated page (cached or not), coalescing. */
void vm_phys_free_page(struct vm_domain *vmd, u_long idx, bool zero);
/* Free [idx, idx + n) (allocated, one segment), coalescing. */
void vm_phys_free_range(struct vm_domain *vmd, struct vm_phys_seg *seg,
    u_long idx, u_long n);
/*
 * Find and take a free run (constraints in pages, validated by the
 * caller); writes the pages' structs as allocated.  VM_PIDX_NONE if none.
 */
uint32_t vm_phys_alloc_run(struct vm_domain *vmd, u_long npages,
    u_long lowpfn, u_long highpfn, u_long alignpg, u_long boundpg);

#endif /* KMEM_VM_PHYS_PRIVATE_H */
