/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/uma.h: UMA zones (FreeBSD's sys/vm/uma.h), the small-object
 * allocator under malloc(9).
 *
 * A zone hands out items of one size.  Each hart has one cache line per
 * zone with an alloc and a free bucket (arrays of up to UMA_BUCKET_ITEMS
 * item pointers); a bucket slot is taken by swapping a busy marker into it,
 * without a lock and with interrupts left on, so another hart can drain it
 * and an interrupt handler that finds it busy takes the slow path.  Full
 * and empty buckets wait in a per-domain depot (bounded: UMA_DEPOT_MAX
 * full buckets per domain).  Items come from slabs of one page (more for
 * large items, so that at most 1/8 is lost) reached through the direct
 * map; the slab header sits at the slab's end, and every page of a slab
 * carries the VM_PAGE_KMEM_UMA mark and its place in the slab in its
 * 8-byte struct vm_page, so a free finds slab and zone in O(1) and knows
 * exactly whether the address is a live item (a bit per item).
 *
 * Callbacks run as FreeBSD's: init/fini when an item leaves/enters its
 * slab, ctor/dtor on every allocation/free.  Zones are FIRSTTOUCH unless
 * UMA_ZONE_ROUNDROBIN: the calling hart's domain is used, and an item
 * freed by a hart of another domain goes back to its own domain's slabs.
 *
 * Locks: per zone and domain one kmem_spin (a leaf except for the page
 * allocator's NOWAIT paths below it).  The fast paths take no lock.
 * M_NOWAIT allocations and every free may run in interrupt handlers.
 */
#ifndef KMEM_UMA_H
#define KMEM_UMA_H

#include <kmem/types.h>

typedef struct uma_zone *uma_zone_t;

/* FreeBSD's callback types. */
typedef int (*uma_ctor)(void *mem, int size, void *arg, int flags);
typedef void (*uma_dtor)(void *mem, int size, void *arg);
typedef int (*uma_init)(void *mem, int size, int flags);
typedef void (*uma_fini)(void *mem, int size);

/* Alignment masks (align argument of uma_zcreate: alignment - 1). */
#define UMA_ALIGN_PTR	(sizeof(void *) - 1)
#define UMA_ALIGN_LONG	(sizeof(long) - 1)
#define UMA_ALIGN_INT	(sizeof(int) - 1)
#define UMA_ALIGN_SHORT	(sizeof(short) - 1)
#define UMA_ALIGN_CHAR	(sizeof(char) - 1)
#define UMA_ALIGN_CACHE	(64 - 1)

/* Zone flags (FreeBSD's values for those that mean something here). */
#define UMA_ZONE_ZINIT		0x0002	/* init zeroes the item */
#define UMA_ZONE_CONTIG		0x0004	/* slabs are physically contiguous (always) */
#define UMA_ZONE_NOFREE		0x0020	/* slabs are never given back */
#define UMA_ZONE_NOBUCKET	0x0100	/* no per-hart caches: every call locks */
#define UMA_ZONE_MAXBUCKET	0x0800	/* (accepted: buckets are always full size) */
#define UMA_ZONE_PCPU		0x8000	/* (accepted: no per-cpu item copies) */
#define UMA_ZONE_FIRSTTOUCH	0x10000	/* the default: per-domain slabs */
#define UMA_ZONE_ROUNDROBIN	0x20000	/* slabs from every domain in turn */

/* uma_reclaim requests. */
#define UMA_RECLAIM_DRAIN	1	/* empty the depots, free empty slabs */
#define UMA_RECLAIM_DRAIN_CPU	2	/* and every hart's buckets */
#define UMA_RECLAIM_TRIM	3	/* half the depots, free empty slabs */

#define UMA_ANYDOMAIN		(-1)
#define UMA_BUCKET_ITEMS	31
#define UMA_DEPOT_MAX		8
/* Largest item a zone can have. */
#define UMA_MAX_ITEM		(64 * 1024)

/**
 * Create a zone of @p size-byte items aligned to @p align + 1 (a mask
 * such as UMA_ALIGN_PTR; 0 means UMA_ALIGN_PTR).  Items are at least 16
 * bytes.  Sleeps for memory (M_WAITOK).
 * @retval NULL	size 0 or above UMA_MAX_ITEM, align + 1 not a power of two
 *		or above a page, or name NULL
 */
uma_zone_t uma_zcreate(const char *name, size_t size, uma_ctor ctor,
    uma_dtor dtor, uma_init zinit, uma_fini zfini, int align,
    uint32_t flags);

/**
 * Destroy a zone: every item must have been freed.  Panics naming the
 * zone and the number of items still allocated otherwise.
 */
void uma_zdestroy(uma_zone_t zone);

/**
 * Allocate an item; @p flags: M_NOWAIT or M_WAITOK, M_ZERO, M_USE_RESERVE.
 * @retval NULL	M_NOWAIT and no memory (or the zone is at its limit),
 *		the ctor failed (the item went back: nothing leaks), or
 *		flags lack exactly one of M_NOWAIT/M_WAITOK.
 * M_WAITOK at the limit sleeps until an item is freed.
 */
void *uma_zalloc_arg(uma_zone_t zone, void *arg, int flags);
void *uma_zalloc(uma_zone_t zone, int flags);
/** As uma_zalloc_arg from @p domain first (UMA_ANYDOMAIN: any). */
void *uma_zalloc_domain(uma_zone_t zone, void *arg, int domain, int flags);

/**
 * Free an item (NULL does nothing).  Panics naming uma_zfree_arg and the
 * address when it is not a live item of @p zone (inner pointer, never
 * allocated, another zone's, page-level memory, double free).
 */
void uma_zfree_arg(uma_zone_t zone, void *item, void *arg);
void uma_zfree(uma_zone_t zone, void *item);

/**
 * Limit the items allocated at once to @p nitems (0: no limit).  A zone
 * with a limit keeps no per-hart caches.  @return the effective limit.
 */
int uma_zone_set_max(uma_zone_t zone, int nitems);
int uma_zone_get_max(uma_zone_t zone);
/** Items allocated now (approximate while other harts allocate). */
int uma_zone_get_cur(uma_zone_t zone);
/**
 * Keep @p nitems free items for M_USE_RESERVE allocations: others leave
 * that many in the slabs and allocate new slabs instead.  A zone with a
 * reserve keeps no per-hart caches.
 */
void uma_zone_reserve(uma_zone_t zone, int nitems);
/** Allocate slabs for @p nitems items now (M_WAITOK). */
void uma_prealloc(uma_zone_t zone, int nitems);

/** Reclaim cached memory of every zone / of one zone (UMA_RECLAIM_*). */
void uma_reclaim(int req);
void uma_zone_reclaim(uma_zone_t zone, int req);

/** Item size of a zone (after rounding). */
size_t uma_zone_get_size(uma_zone_t zone);
/** Slabs of @p zone in all domains: total and completely free ones. */
void uma_zone_slabs(uma_zone_t zone, u_long *total, u_long *free);
/** Print every zone: size, items, slabs, pages. */
void uma_print_stats(void);

#endif /* KMEM_UMA_H */
