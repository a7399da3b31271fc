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
 * UB_BUSY (someone took the slot): neither is a multiple of 8, and both
 * have a low byte above UB_LAST, so one test of the low byte tells a pop
 * "no item" (of h - 8) and a push "no room" (of h): ub_miss().
 *
 * A slab is 2^k pages (k = uz_slabshift), aligned to its size, items from
 * its start, its header (struct uma_slab) in its last bytes.  Each page of
 * a slab carries the UMA mark and, in its page word (kmem/vm_page.h), how
 * many pages there are from it to the slab's end (1..2^k), so the header
 * is one shift and add away.  A malloc(9) allocation above the largest
 * zone has the UMA mark on its first page with UMA_W_LARGE and its page
 * count in the word.
 *
 * A slab has a live bit per item: set when the item goes to a user,
 * cleared (atomically, checked) when it comes back.  A slab never has more
 * than 256 item starts (slab bytes / size <= 256, zone_slabshift), so any
 * offset in a slab names a bit of us_live, and the bits past the last item
 * stay 0.
 */
#ifndef KMEM_UMA_INT_H
#define KMEM_UMA_INT_H

#include <stdatomic.h>

#include <kmem/malloc.h>
#include <kmem/uma.h>
#include <kmem/vm_page.h>

#include "kmem_private.h"

#define UB_BYTES	256
#define UB_MASK		(UB_BYTES - 1)
#define UB_FULL		(UMA_BUCKET_ITEMS * sizeof(void *))	/* h & UB_MASK */
#define UB_LAST		(UB_FULL - sizeof(void *))	/* one item / slot left */
#define UB_BUSY		((uintptr_t)0xf9)
#define UB_NONE		((uintptr_t)0xfa)

#define UMA_W_LARGE	0x04000000U	/* bit 26 of the page word */
#define UMA_W_TOEND	0xffU		/* pages from this one to the slab end */
#define UMA_RECIP_SHIFT	40
#define UMA_LIVE_WORDS	4		/* at most 256 items per slab */
#define UMA_MIN_ITEM	16

struct uma_slab {
	_Atomic uint64_t us_live[UMA_LIVE_WORDS];	/* bit i: item i live */
	struct uma_slab	*us_next, *us_prev;	/* partial or free list */
	struct uma_zone	*us_zone;
	void		*us_freelist;	/* free items, linked through them */
	uint16_t	us_nfree;
	uint8_t		us_domain;
	uint8_t		us_list;	/* UMA_SL_* */
	uint8_t		us_hartdom;	/* = uc_hartdom of harts that cache it */
	uint8_t		us_pad[3];
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
	uint32_t	uc_domain;	/* this hart's domain */
	uint8_t		uc_hartdom;	/* its domain, or UMA_ANYHART (RR) */
	bool		uc_ft;		/* items go back to their domain */
} __attribute__((aligned(64)));
/*
 * A FIRSTTOUCH item may go in a hart's buckets only if its slab is of the
 * hart's domain; a ROUNDROBIN item in any hart's.  So us_hartdom is the
 * slab's domain or UMA_ANYHART, and uc_hartdom the hart's domain or
 * UMA_ANYHART: one compare in the free fast path.
 */
#define UMA_ANYHART	0xff

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
/*
 * The out-of-line halves of the fast paths below: the general, checked
 * code for every case.  uma_zalloc_slow is uma_zalloc_arg entire.
 * uma_zfree_slow puts back an item uma_item_check released, running the
 * dtor first when dtor is true (false: a ctor failed, FreeBSD's
 * SKIP_DTOR).
 */
void *uma_zalloc_slow(uma_zone_t zone, void *arg, int flags);
void uma_zfree_slow(uma_zone_t zone, struct uma_slab *s, void *item,
    void *arg, bool dtor);

/* Why an address is not a live item (uma_item_check). */
#define UMA_ITEM_OK		0
#define UMA_ITEM_NOTSLAB	1	/* not in a UMA slab page */
#define UMA_ITEM_ZONE		2	/* an item of another zone */
#define UMA_ITEM_INNER		3	/* not the start of an item */
#define UMA_ITEM_DEAD		4	/* already free or never allocated */
/*
 * Panic naming fn and item with why's explanation; zone as given to
 * uma_item_check, s the slab it found (UMA_ITEM_NOTSLAB: none).
 */
__kmem_noreturn void uma_bad_item(const char *fn, const void *item, int why,
    uma_zone_t zone, const struct uma_slab *s);

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

/* Of h - 8: the bucket has no item; of h: it has no room (see above). */
static inline bool
ub_miss(uintptr_t h)
{

	return ((h & UB_MASK) > UB_LAST);
}

/*
 * Is item a live item of zone (zone NULL: of any malloc(9) zone)?  Asked
 * of the page's metadata, exactly: UMA_ITEM_OK when it is, and then *sp
 * is its slab and, when release, its live bit is cleared (the item is the
 * caller's to put back); else the reason (UMA_ITEM_*), nothing changed.
 */
static inline __attribute__((__always_inline__)) int
uma_item_check(uma_zone_t zone, const void *item, bool release,
    struct uma_slab **sp)
{
	_Atomic uint64_t *word;
	struct uma_slab *s;
	uma_zone_t z;
	uintptr_t off;
	vm_page_t m;
	uint64_t bit, old;
	u_long idx;
	int32_t w;

	*sp = NULL;
	/* Outside the direct map the "physical address" is not RAM. */
	w = vm_page_uma_lookup(DMAP_TO_PHYS(item), &m);
	if (__predict_false(w < 0 || (w & UMA_W_LARGE) != 0))
		return (UMA_ITEM_NOTSLAB);
	/* A slab page's word is its UMA_W_TOEND count alone. */
	s = (struct uma_slab *)(trunc_page((uintptr_t)item) + ptoa(w) -
	    sizeof(struct uma_slab));
	*sp = s;
	z = s->us_zone;
	if (__predict_false(zone != NULL ? z != zone : !z->uz_malloc))
		return (UMA_ITEM_ZONE);
	off = (uintptr_t)item & z->uz_slabmask;
	idx = (off * z->uz_recip) >> UMA_RECIP_SHIFT;
	if (__predict_false(idx * z->uz_size != off))
		return (UMA_ITEM_INNER);
	word = &s->us_live[idx >> 6];
	bit = 1UL << (idx & 63);
	if (release)
		old = atomic_fetch_and_explicit(word, ~bit,
		    memory_order_relaxed);
	else
		old = atomic_load_explicit(word, memory_order_relaxed);
	return (__predict_true((old & bit) != 0) ? UMA_ITEM_OK :
	    UMA_ITEM_DEAD);
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

/* flags have exactly one of M_NOWAIT and M_WAITOK. */
#define UMA_FLAGS_OK(flags)	\
	((u_int)(((flags) & (M_NOWAIT | M_WAITOK)) - 1) <= 1)
/* flags are M_NOWAIT or M_WAITOK and nothing else (the fast paths). */
#define UMA_FLAGS_PLAIN(flags)	((u_int)(flags) - 1 <= 1)

/*
 * The allocation fast path: pop an item from this hart's alloc bucket
 * into *itemp and mark it live.  false (nothing done) when the bucket is
 * empty, missing or busy: the caller's slow function handles that, and
 * ctors and flags.
 */
static inline __attribute__((__always_inline__)) bool
uma_cache_pop(uma_zone_t zone, void **itemp)
{
	struct uma_cache *c;
	uintptr_t h;

	c = &zone->uz_cpu[kmem_cpuid()];
	h = slot_take(&c->uc_alloc);
	if (__predict_false(ub_miss(h - sizeof(void *)))) {
		if (h != UB_BUSY)
			slot_give(&c->uc_alloc, h);
		return (false);
	}
	h -= sizeof(void *);
	*itemp = *(void **)h;
	slot_give(&c->uc_alloc, h);
	item_set_live(c, *itemp);
	return (true);
}

/*
 * The free fast path, for an item uma_item_check released (dtor run):
 * push it on this hart's alloc bucket.  false (nothing done) when the
 * bucket is full, missing or busy, or the item is a FIRSTTOUCH one of
 * another domain than this hart's (it goes back to its own domain):
 * uma_zfree_slow handles those.
 */
static inline __attribute__((__always_inline__)) bool
uma_cache_push(uma_zone_t zone, const struct uma_slab *s, void *item)
{
	struct uma_cache *c;
	uintptr_t h;

	c = &zone->uz_cpu[kmem_cpuid()];
	if (__predict_false(s->us_hartdom != c->uc_hartdom))
		return (false);
	h = slot_take(&c->uc_alloc);
	if (__predict_false(ub_miss(h))) {
		if (h != UB_BUSY)
			slot_give(&c->uc_alloc, h);
		return (false);
	}
	*(void **)h = item;
	slot_give(&c->uc_alloc, h + sizeof(void *));
	return (true);
}

/* ------------------------------------------- malloc(9)'s fast path */

/*
 * Size to zone (src/kern_malloc.c): entry (size + 15) / 16; NULL until
 * the zones exist.
 */
extern uma_zone_t kmem_zone_tab[KMEM_ZMAX / 16 + 1];

/* The zone for size (at most KMEM_ZMAX), NULL before the zones exist. */
static inline uma_zone_t
kmem_zone_for(size_t size)
{

	return (__atomic_load_n(&kmem_zone_tab[(size + 15) >> 4],
	    __ATOMIC_ACQUIRE));
}

/* kern_malloc, every case (the fast path below handles the common one). */
void *kern_malloc_slow(size_t size, struct malloc_type *type, int flags);

/*
 * Count an allocation / a free of bytes to type on this hart: atomic
 * adds, so an interrupt handler on this hart may count too (an add is one
 * instruction either way); summed on demand by malloc_type_stats.
 */
static inline void
mt_count_alloc(struct malloc_type *type, size_t bytes)
{
	struct malloc_type_stats *st;

	st = &type->ks_stats[kmem_cpuid()];
	__atomic_fetch_add(&st->mts_memalloced, bytes, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->mts_numallocs, 1, __ATOMIC_RELAXED);
}

static inline void
mt_count_free(struct malloc_type *type, size_t bytes)
{
	struct malloc_type_stats *st;

	st = &type->ks_stats[kmem_cpuid()];
	__atomic_fetch_add(&st->mts_memfreed, bytes, __ATOMIC_RELAXED);
	__atomic_fetch_add(&st->mts_numfrees, 1, __ATOMIC_RELAXED);
}

/*
 * kern_malloc's fast path (libc's malloc uses it too): plain flags, at
 * most KMEM_ZMAX bytes, a type already registered, the zones made, an
 * item in this hart's bucket: pop it into *pp and count it.  false
 * (nothing done) otherwise: the caller goes to kern_malloc_slow.
 */
static inline __attribute__((__always_inline__)) bool
malloc_cache_alloc(size_t size, struct malloc_type *type, int flags,
    void **pp)
{
	uma_zone_t zone;

	if (__predict_false(size > KMEM_ZMAX || !UMA_FLAGS_PLAIN(flags) ||
	    atomic_load_explicit(&type->ks_registered,
	    memory_order_relaxed) == 0))
		return (false);
	zone = kmem_zone_for(size);
	if (__predict_false(zone == NULL || !uma_cache_pop(zone, pp)))
		return (false);
	mt_count_alloc(type, zone->uz_size);
	return (true);
}

#endif /* KMEM_UMA_INT_H */
