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
 * and read by others without that lock: the bitmap (the free fast path
 * tests its own page's bit), vmd_free (iterators and waiters peek) and a
 * cache's pc_count (free counts sum every hart's).  Each access is one
 * aligned word load or store.  Under ThreadSanitizer they are relaxed
 * atomics, so the model is checked; otherwise volatile accesses, because
 * gcc turns a relaxed atomic store on riscv64 into an amoswap and does not
 * fold addresses into atomic loads (extra instructions on the single-page
 * path), while an aligned word access is single-copy atomic in RVWMO.
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
 * vp_info.  Bits 0..4 mean the same in every state that has them:
 *   free block head (bitmap bit 0): order (bits 0..3), known zero (bit 4),
 *     prev index (bits 5..31);
 *   allocated (bitmap bit 1): known zero (bit 4), cached (bit 6: in a
 *     hart's cache, i.e. free for the user), kmem marks (bits 8..10).
 */
#define VPI_ORDER	0x0fU
#define VPI_ZERO	VM_PAGE_INFO_ZERO	/* (kmem/vm_page.h) */
#define VPI_CACHED	0x40U
#define VPI_KMEM_SHIFT	VM_PAGE_INFO_KMEM_SHIFT
#define VPI_KMEM_MASK	(VM_PAGE_KMEM_ALL << VPI_KMEM_SHIFT)
#define VPI_PREV_SHIFT	5

struct vm_phys_seg {
	vm_paddr_t	start, end;	/* [start, end), page aligned */
	u_long		spfn, epfn;	/* the same in pages */
	u_long		base;		/* domain index of the first page */
	int		domain;
	struct vm_page	*first;		/* page struct of start */
};

struct vm_domain {
	struct kmem_spin vmd_lock;	/* lists, counters, bitmap */
	struct vm_page	*vmd_pages;	/* npages structs */
	u_long		vmd_bytes;	/* npages * sizeof(struct vm_page) */
	uint64_t	*vmd_allocmap;	/* bit i: page i allocated/cached */
	u_long		vmd_npages;
	u_long		vmd_free;	/* pages on the free lists */
	u_long		vmd_free_min;
	uint32_t	vmd_freeq[VM_NFREEORDER];	/* list heads */
	u_long		vmd_nblocks[VM_NFREEORDER];
	u_int		vmd_nonempty;	/* bit o: freeq[o] not empty */
	int		vmd_seg_first;	/* index in vm_phys_segs */
	int		vmd_nsegs;
	vm_paddr_t	vmd_meta_pa;	/* where the structs + bitmap live */
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
	u_int		pc_rr;		/* round-robin cursor of this hart */
} __attribute__((aligned(64)));

extern struct vm_pcpu vm_pcpu[MAXCPU];

/* pc_count: written by its hart only, summed by any (see VM_STORE_WORD). */
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

static inline bool
vm_bm_test(const uint64_t *bm, u_long i)
{

	return ((VM_LOAD_WORD(&bm[i >> 6]) >> (i & 63)) & 1);
}

/* Set or clear bits of one bitmap word (domain lock held). */
static inline void
vm_bm_set_word(uint64_t *bm, u_long w, uint64_t mask)
{

	VM_STORE_WORD(&bm[w], bm[w] | mask);
}

static inline void
vm_bm_clear_word(uint64_t *bm, u_long w, uint64_t mask)
{

	VM_STORE_WORD(&bm[w], bm[w] & ~mask);
}

/* The domain's buddy free count, read without the lock (a snapshot). */
static inline u_long
vmd_free_peek(const struct vm_domain *vmd)
{

	return (VM_LOAD_WORD(&vmd->vmd_free));
}

struct vm_phys_seg *vm_phys_seg_of(struct vm_domain *vmd, u_long idx);
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
