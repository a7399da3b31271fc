/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * uma_int.h: UMA's structures, private to src/uma_core.c and
 * src/kern_malloc.c (and tests that look inside).
 *
 * A bucket is 256 bytes, 256-aligned: item pointers in slots 0..30 and,
 * while the bucket sits in a depot list, the list link in slot 31.  A
 * bucket is named by a handle, the address of its next free slot, so the
 * handle alone says where the items end and how many there are
 * ((h & 255) / 8).  A hart's slot holds a handle, UB_NONE (no bucket) or
 * UB_BUSY (someone took the slot): neither is a multiple of 8.
 *
 * A slab is 2^k pages (k = uz_slabshift), aligned to its size, items from
 * its start, its header (struct uma_slab) in its last bytes.  Each page of
 * a slab carries the UMA mark and, in its page word (kmem/vm_page.h),
 * its index in the slab (bits 0..7) and k (bits 8..11).  A malloc(9)
 * allocation above the largest zone has the UMA mark on its first page
 * with UMA_W_LARGE and its page count in the word.
 */
#ifndef KMEM_UMA_INT_H
#define KMEM_UMA_INT_H

#include <stdatomic.h>

#include <kmem/uma.h>
#include <kmem/vm_page.h>

#include "kmem_private.h"

#define UB_BYTES	256
#define UB_MASK		(UB_BYTES - 1)
#define UB_FULL		(UMA_BUCKET_ITEMS * sizeof(void *))	/* h & UB_MASK */
#define UB_NONE		((uintptr_t)2)
#define UB_BUSY		((uintptr_t)1)

#define UMA_W_LARGE	0x04000000U	/* bit 26 of the page word */
#define UMA_W_IDX	0xffU
#define UMA_W_SHIFT	8
#define UMA_RECIP_SHIFT	40
#define UMA_LIVE_WORDS	4		/* at most 256 items per slab */
#define UMA_MIN_ITEM	16

struct uma_slab {
	struct uma_slab	*us_next, *us_prev;	/* partial or free list */
	struct uma_zone	*us_zone;
	void		*us_freelist;	/* free items, linked through them */
	uint16_t	us_nfree;
	uint8_t		us_domain;
	uint8_t		us_list;	/* UMA_SL_* */
	uint32_t	us_pad;
	_Atomic uint64_t us_live[UMA_LIVE_WORDS];	/* bit i: item i live */
};
#define UMA_SL_NONE	0	/* every item out */
#define UMA_SL_PART	1
#define UMA_SL_FREE	2

/* One hart's cache of one zone: one line. */
struct uma_cache {
	_Atomic uintptr_t uc_alloc;	/* bucket handle, UB_NONE or UB_BUSY */
	_Atomic uintptr_t uc_free;
	uintptr_t	uc_slabmask;	/* slab bytes - 1 */
	uint64_t	uc_recip;	/* 2^40 / size, rounded up */
	uint32_t	uc_size;
	int32_t		uc_domain;	/* this hart's domain */
	bool		uc_ft;		/* items go back to their domain */
} __attribute__((aligned(64)));

/* A zone's state in one domain. */
struct uma_zdom {
	struct kmem_spin ud_lock;
	uintptr_t	ud_full;	/* full buckets (handles), via slot 31 */
	uintptr_t	ud_empty;	/* empty buckets */
	u_int		ud_nfull, ud_nempty;
	struct uma_slab	*ud_part;	/* slabs with free and used items */
	struct uma_slab	*ud_free;	/* slabs with every item free */
	u_long		ud_nslabs, ud_nfreeslabs;
	u_long		ud_freeitems;	/* items free in slabs */
	u_long		ud_out;		/* items out of slabs */
} __attribute__((aligned(64)));

struct uma_zone {
	struct uma_cache uz_cpu[MAXCPU];
	struct uma_zdom	uz_dom[MAXMEMDOM];
	const char	*uz_name;
	uma_ctor	uz_ctor;
	uma_dtor	uz_dtor;
	uma_init	uz_init;
	uma_fini	uz_fini;
	size_t		uz_size;	/* item size after rounding */
	uintptr_t	uz_slabmask;
	uint64_t	uz_recip;
	u_int		uz_ipers;	/* items per slab */
	u_int		uz_slabshift;	/* log2 pages per slab */
	uint32_t	uz_flags;
	bool		uz_direct;	/* no per-hart caches */
	bool		uz_malloc;	/* one of malloc(9)'s zones */
	int		uz_max;		/* 0: no limit */
	int		uz_reserve;
	_Atomic int	uz_items;	/* live items (direct zones) */
	u_int		uz_sleepers;
	struct kmem_spin uz_lock;	/* limit sleepers */
	_Atomic u_int	uz_rr;		/* round-robin slab cursor */
	struct uma_zone	*uz_link;	/* every zone */
};

/* Bring UMA up (the bucket zone, the lowmem handler); idempotent. */
void uma_startup(void);
/*
 * uma_zcreate in caller-provided storage that is never freed (malloc(9)'s
 * zones); same checks and answers.
 */
uma_zone_t uma_zinit_static(uma_zone_t zone, const char *name, size_t size,
    uma_ctor ctor, uma_dtor dtor, uma_init zinit, uma_fini zfini, int align,
    uint32_t flags);
/* The out-of-line halves of the fast paths below. */
void *uma_zalloc_slow(uma_zone_t zone, void *arg, int flags,
    struct uma_cache *c, uintptr_t h);
void uma_zfree_slow(uma_zone_t zone, struct uma_slab *s, void *item,
    struct uma_cache *c, uintptr_t h);
void *uma_item_ctor(uma_zone_t zone, void *item, void *arg, int flags);
__kmem_noreturn void uma_bad_free(const char *fn, void *item,
    const char *what, const char *zname);
__kmem_noreturn void uma_wrong_zone(const char *fn, void *item, uma_zone_t z,
    uma_zone_t zone);

static inline uintptr_t
slot_take(_Atomic uintptr_t *slot)
{

	return (atomic_exchange_explicit(slot, UB_BUSY, memory_order_acquire));
}

static inline void
slot_give(_Atomic uintptr_t *slot, uintptr_t h)
{

	atomic_store_explicit(slot, h, memory_order_release);
}

/* Mark an item live in its slab (it came from a bucket or a slab). */
static inline void
item_set_live(const struct uma_cache *c, void *item)
{
	struct uma_slab *s;
	u_long idx;

	s = (struct uma_slab *)(((uintptr_t)item | c->uc_slabmask) + 1 -
	    sizeof(struct uma_slab));
	idx = (((uintptr_t)item & c->uc_slabmask) * c->uc_recip) >>
	    UMA_RECIP_SHIFT;
	atomic_fetch_or_explicit(&s->us_live[idx >> 6], 1UL << (idx & 63),
	    memory_order_relaxed);
}

/*
 * The slab of a live item, checked exactly from the page's metadata:
 * panics naming fn and the address unless item is the start of a live
 * item of zone (zone NULL: of a malloc(9) zone).  release: clear its live bit (a
 * free); else only look (usable size).
 */
static inline __attribute__((__always_inline__)) struct uma_slab *
uma_item_slab(uma_zone_t zone, const void *item, const char *fn,
    bool release)
{
	struct uma_slab *s;
	uma_zone_t z;
	uintptr_t base, off;
	vm_page_t m;
	uint64_t bit, old;
	u_long idx;
	int32_t w;

	/* Outside the direct map the "physical address" is not RAM. */
	w = vm_page_uma_lookup(DMAP_TO_PHYS(item), &m);
	if (__predict_false(w < 0 || (w & UMA_W_LARGE) != 0))
		uma_bad_free(fn, (void *)(uintptr_t)item,
		    "not in a UMA slab page", NULL);
	base = trunc_page((uintptr_t)item) - ptoa(w & UMA_W_IDX);
	s = (struct uma_slab *)(base + (PAGE_SIZE << (w >> UMA_W_SHIFT)) -
	    sizeof(struct uma_slab));
	z = s->us_zone;
	if (__predict_false(zone != NULL ? z != zone : !z->uz_malloc))
		uma_wrong_zone(fn, (void *)(uintptr_t)item, z, zone);
	off = (uintptr_t)item - base;
	idx = (off * z->uz_recip) >> UMA_RECIP_SHIFT;
	if (__predict_false(idx * z->uz_size != off || idx >= z->uz_ipers))
		uma_bad_free(fn, (void *)(uintptr_t)item,
		    "not the start of an item", z->uz_name);
	bit = 1UL << (idx & 63);
	if (release)
		old = atomic_fetch_and_explicit(&s->us_live[idx >> 6], ~bit,
		    memory_order_relaxed);
	else
		old = atomic_load_explicit(&s->us_live[idx >> 6],
		    memory_order_relaxed);
	if (__predict_false((old & bit) == 0))
		uma_bad_free(fn, (void *)(uintptr_t)item, "already free "
		    "(double free) or never allocated", z->uz_name);
	return (s);
}

/* flags have exactly one of M_NOWAIT and M_WAITOK. */
#define UMA_FLAGS_OK(flags)	\
	((u_int)(((flags) & (M_NOWAIT | M_WAITOK)) - 1) <= 1)

/*
 * uma_zalloc_arg's fast path: pop from this hart's alloc bucket.
 * Anything else (no bucket, empty, busy, bad flags) goes to
 * uma_zalloc_slow with what the slot held.
 */
static inline void *
uma_zalloc_inl(uma_zone_t zone, void *arg, int flags)
{
	struct uma_cache *c;
	uintptr_t h;
	void *item;

	c = &zone->uz_cpu[kmem_cpuid()];
	h = slot_take(&c->uc_alloc);
	if (__predict_false((h & UB_MASK) == 0 || (h & 7) != 0 ||
	    !UMA_FLAGS_OK(flags)))
		return (uma_zalloc_slow(zone, arg, flags, c, h));
	h -= sizeof(void *);
	item = *(void **)h;
	slot_give(&c->uc_alloc, h);
	item_set_live(c, item);
	if (__predict_false(zone->uz_ctor != NULL || (flags & M_ZERO) != 0))
		return (uma_item_ctor(zone, item, arg, flags));
	return (item);
}

/*
 * uma_zfree's fast path for an item uma_item_slab released (dtor run):
 * push on this hart's alloc bucket while it has room and the item is of
 * this hart's domain (FIRSTTOUCH).  Else uma_zfree_slow.
 */
static inline void
uma_zfree_inl(uma_zone_t zone, struct uma_slab *s, void *item)
{
	struct uma_cache *c;
	uintptr_t h;

	c = &zone->uz_cpu[kmem_cpuid()];
	h = slot_take(&c->uc_alloc);
	if (__predict_false((h & 7) != 0 || (h & UB_MASK) == UB_FULL ||
	    (c->uc_ft && s->us_domain != c->uc_domain))) {
		uma_zfree_slow(zone, s, item, c, h);
		return;
	}
	*(void **)h = item;
	slot_give(&c->uc_alloc, h + sizeof(void *));
}

#endif /* KMEM_UMA_INT_H */
