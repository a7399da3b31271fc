/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * uma_core.c: UMA zones (FreeBSD's sys/vm/uma_core.c semantics, our own
 * code; magazines after Bonwick & Adams, USENIX 2001).
 *
 * Three layers, fastest first:
 *  - per hart and zone, one cache line with an alloc and a free bucket
 *    (uma_int.h: buckets and handles).  uma_zalloc pops from the alloc
 *    bucket, uma_zfree pushes on it while it has room.  The slot is taken
 *    by swapping UB_BUSY into it (acquire) and given back by storing the
 *    moved handle (release), as the page caches and vmem's magazines do:
 *    no lock, interrupts stay on.  Whoever finds UB_BUSY (an interrupt
 *    handler that stopped the owner, or the owner while a drainer holds
 *    it) goes to the slabs directly.
 *  - per zone and domain, a depot of full and empty buckets under the
 *    domain's lock (at most UMA_DEPOT_MAX full ones).
 *  - per zone and domain, slabs (partial and free lists) under the same
 *    lock; a new slab comes from the page allocator with VM_ALLOC_NOWAIT
 *    (safe under a spin lock: that path never sleeps nor runs handlers).
 *
 * Init/fini run when an item leaves/enters its slab, ctor/dtor on every
 * allocation/free, no lock held.  Each slab keeps a live bit per item,
 * set when the item goes to a user and cleared (atomically, checked) when
 * it comes back: a double free is caught exactly.
 *
 * Each operation is one inline fast path (uma_int.h: uma_cache_pop,
 * uma_cache_push, used by uma_zalloc_arg/uma_zfree_arg here and by
 * malloc(9)) and one out-of-line slow function (uma_zalloc_slow,
 * uma_zfree_slow) that handles every other case.
 *
 * Memory pressure: a failing slab allocation first empties every hart's
 * buckets and the depot of that zone into the slabs; the vm_lowmem
 * handler does UMA_RECLAIM_DRAIN_CPU for every zone, which also frees the
 * empty slabs.
 *
 * Locks: uma_zones_lock, a lock per zone and domain (slabs and depot)
 * and a zone's limit lock; their place in the lock order is in
 * kmem/spin.h.
 */
#include <string.h>

#include <kmem/domainset.h>
#include <kmem/lowmem.h>
#include <kmem/vm_kern.h>
#include <kmem/vm_phys.h>

#include "uma_int.h"

_Static_assert(sizeof(struct uma_zone) <= PAGE_SIZE, "a zone is one page");
_Static_assert(MAXMEMDOM < UMA_ANYHART, "UMA_ANYHART is no domain");

static struct kmem_spin uma_zones_lock = KMEM_SPIN_INITIALIZER("uma zones");
static struct uma_zone *uma_zones;
static uma_zone_t uma_bucket_zone;
static _Atomic bool uma_up;
static void *uma_lowmem_tag;

static void *zone_alloc_direct(uma_zone_t zone, int domain, int flags,
    bool any);
static void zone_free_direct(uma_zone_t zone, struct uma_slab *s,
    void *item);

/* ------------------------------------------------------------ buckets */

#define ub_base(h)	((void **)((h) & ~(uintptr_t)UB_MASK))
#define ub_count(h)	(((h) & UB_MASK) / sizeof(void *))
#define ub_link(h)	(ub_base(h)[UMA_BUCKET_ITEMS])
#define ub_valid(h)	(((h) & 7) == 0)

/* A new empty bucket (handle), or UB_NONE. */
static uintptr_t
bucket_alloc(int domain)
{
	void *b;

	b = zone_alloc_direct(uma_bucket_zone, domain, M_NOWAIT, true);
	return (b != NULL ? (uintptr_t)b : UB_NONE);
}

static void
bucket_free(uintptr_t h)
{
	struct uma_slab *s;
	int why;

	why = uma_item_check(uma_bucket_zone, ub_base(h), true, &s);
	if (why != UMA_ITEM_OK)
		uma_bad_item("bucket_free", ub_base(h), why, uma_bucket_zone,
		    s);
	zone_free_direct(uma_bucket_zone, s, ub_base(h));
}

static inline void
blist_push(uintptr_t *list, u_int *n, uintptr_t h)
{

	ub_link(h) = (void *)*list;
	*list = h;
	(*n)++;
}

static inline uintptr_t
blist_pop(uintptr_t *list, u_int *n)
{
	uintptr_t h;

	h = *list;
	if (h == 0)
		return (UB_NONE);
	*list = (uintptr_t)ub_link(h);
	(*n)--;
	return (h);
}

/* -------------------------------------------------------------- slabs */

static inline struct uma_slab *
slab_hdr(uma_zone_t zone, uintptr_t base)
{

	return ((struct uma_slab *)(base + zone->uz_slabmask + 1 -
	    sizeof(struct uma_slab)));
}

static inline uintptr_t
slab_base(const struct uma_slab *s)
{

	return (((uintptr_t)s | s->us_zone->uz_slabmask) -
	    s->us_zone->uz_slabmask);
}

static void
slist_insert(struct uma_slab **head, struct uma_slab *s, int list)
{

	s->us_prev = NULL;
	s->us_next = *head;
	if (*head != NULL)
		(*head)->us_prev = s;
	*head = s;
	s->us_list = (uint8_t)list;
}

static void
slist_remove(struct uma_zdom *ud, struct uma_slab *s)
{
	struct uma_slab **head;

	if (s->us_list == UMA_SL_NONE)
		return;
	head = s->us_list == UMA_SL_PART ? &ud->ud_part : &ud->ud_free;
	if (s->us_prev != NULL)
		s->us_prev->us_next = s->us_next;
	else
		*head = s->us_next;
	if (s->us_next != NULL)
		s->us_next->us_prev = s->us_prev;
	s->us_list = UMA_SL_NONE;
}

/*
 * A new slab in domain (on ud's free list), or NULL when the page
 * allocator has no page there.  Domain lock held.
 */
static struct uma_slab *
slab_alloc(uma_zone_t zone, struct uma_zdom *ud, int domain)
{
	struct uma_slab *s;
	uintptr_t base;
	vm_page_t m;
	u_int i, npages;
	char *item;

	npages = 1U << zone->uz_slabshift;
	if (npages == 1)
		m = vm_page_alloc_noobj_domain(domain, VM_ALLOC_NOWAIT);
	else
		m = vm_page_alloc_noobj_contig_domain(domain, VM_ALLOC_NOWAIT |
		    VM_ALLOC_NORECLAIM, npages, 0, ~(vm_paddr_t)0,
		    ptoa(npages), 0, VM_MEMATTR_DEFAULT);
	if (m == NULL)
		return (NULL);
	base = PHYS_TO_DMAP(VM_PAGE_TO_PHYS(m));
	for (i = 0; i < npages; i++)
		vm_page_uma_set(m + i, npages - i);
	s = slab_hdr(zone, base);
	memset(s, 0, sizeof(*s));
	s->us_zone = zone;
	s->us_domain = (uint8_t)domain;
	s->us_hartdom = (zone->uz_flags & UMA_ZONE_ROUNDROBIN) != 0 ?
	    UMA_ANYHART : (uint8_t)domain;
	item = (char *)base;
	for (i = 0; i < zone->uz_ipers; i++, item += zone->uz_size)
		*(void **)item = i + 1 < zone->uz_ipers ?
		    item + zone->uz_size : NULL;
	s->us_freelist = (void *)base;
	s->us_nfree = (uint16_t)zone->uz_ipers;
	slist_insert(&ud->ud_free, s, UMA_SL_FREE);
	ud->ud_nslabs++;
	ud->ud_nfreeslabs++;
	ud->ud_freeitems += zone->uz_ipers;
	return (s);
}

/* Give a free slab's pages back.  Domain lock held; s is on the list. */
static void
slab_free(uma_zone_t zone, struct uma_zdom *ud, struct uma_slab *s)
{
	vm_page_t m;
	u_int i, npages;

	slist_remove(ud, s);
	ud->ud_nslabs--;
	ud->ud_nfreeslabs--;
	ud->ud_freeitems -= zone->uz_ipers;
	npages = 1U << zone->uz_slabshift;
	m = PHYS_TO_VM_PAGE(DMAP_TO_PHYS(slab_base(s)));
	for (i = 0; i < npages; i++)
		vm_page_uma_clear(m + i);
	if (npages == 1)
		vm_page_free(m);
	else
		vm_page_free_contig(m, npages);
}

/*
 * Take one item out of ud's slabs (a new slab if needed and allowed).
 * Without M_USE_RESERVE, uz_reserve items stay in the slabs.  NULL when no
 * page is left.  Domain lock held.  The caller runs init.
 */
static void *
slab_take(uma_zone_t zone, struct uma_zdom *ud, int domain, int flags)
{
	struct uma_slab *s;
	void *item;

	if (ud->ud_freeitems <= (u_long)((flags & M_USE_RESERVE) != 0 ? 0 :
	    zone->uz_reserve)) {
		if ((flags & M_NOVM) != 0 ||
		    slab_alloc(zone, ud, domain) == NULL)
			return (NULL);
	}
	s = ud->ud_part != NULL ? ud->ud_part : ud->ud_free;
	item = s->us_freelist;
	s->us_freelist = *(void **)item;
	if (s->us_nfree-- == zone->uz_ipers) {
		ud->ud_nfreeslabs--;
		slist_remove(ud, s);
		if (s->us_nfree != 0)
			slist_insert(&ud->ud_part, s, UMA_SL_PART);
	} else if (s->us_nfree == 0)
		slist_remove(ud, s);
	ud->ud_freeitems--;
	ud->ud_out++;
	return (item);
}

/* Free slabs a domain keeps before giving pages back at once. */
#define UMA_KEEP_FREE_SLABS	1

/* Put item back in its slab s (fini already run).  Domain lock held. */
static void
slab_put(uma_zone_t zone, struct uma_zdom *ud, struct uma_slab *s, void *item)
{

	*(void **)item = s->us_freelist;
	s->us_freelist = item;
	ud->ud_freeitems++;
	ud->ud_out--;
	if (s->us_nfree++ == 0)
		slist_insert(&ud->ud_part, s, UMA_SL_PART);
	if (s->us_nfree == zone->uz_ipers) {
		slist_remove(ud, s);
		slist_insert(&ud->ud_free, s, UMA_SL_FREE);
		ud->ud_nfreeslabs++;
		if (ud->ud_nfreeslabs > UMA_KEEP_FREE_SLABS &&
		    (zone->uz_flags & UMA_ZONE_NOFREE) == 0 &&
		    ud->ud_freeitems - zone->uz_ipers >= (u_long)zone->uz_reserve)
			slab_free(zone, ud, s);
	}
}

/* slab_put under the item's domain lock. */
static void
slab_return(uma_zone_t zone, struct uma_slab *s, void *item)
{
	struct uma_zdom *ud;

	ud = &zone->uz_dom[s->us_domain];
	kmem_spin_lock(&ud->ud_lock);
	slab_put(zone, ud, s, item);
	kmem_spin_unlock(&ud->ud_lock);
}

/* The slab of an item known to be ours (no check). */
static inline struct uma_slab *
item_slab(uma_zone_t zone, void *item)
{

	return (slab_hdr(zone, (uintptr_t)item & ~zone->uz_slabmask));
}

void
uma_bad_item(const char *fn, const void *item, int why, uma_zone_t zone,
    const struct uma_slab *s)
{

	switch (why) {
	case UMA_ITEM_NOTSLAB:
		panic("%s: %p is not a live allocation: not in a UMA slab "
		    "page", fn, item);
	case UMA_ITEM_ZONE:
		if (zone == NULL)
			panic("%s: %p is not a live allocation: an item of "
			    "zone %s, not a malloc block", fn, item,
			    s->us_zone->uz_name);
		panic("%s: %p is an item of zone %s, not of zone %s", fn,
		    item, s->us_zone->uz_name, zone->uz_name);
	case UMA_ITEM_INNER:
		panic("%s: %p is not a live allocation: not the start of an "
		    "item, zone %s", fn, item, s->us_zone->uz_name);
	default:
		panic("%s: %p is not a live allocation: already free (double "
		    "free) or never allocated, zone %s", fn, item,
		    s->us_zone->uz_name);
	}
}

/* ------------------------------------------------------ direct paths */

/* Wait for a free item of a zone at its limit; false: NOWAIT. */
static bool
zone_limit_take(uma_zone_t zone, int flags)
{

	for (;;) {
		if (atomic_fetch_add(&zone->uz_items, 1) < zone->uz_max)
			return (true);
		atomic_fetch_sub(&zone->uz_items, 1);
		if ((flags & M_WAITOK) == 0)
			return (false);
		kmem_spin_lock(&zone->uz_lock);
		if (atomic_load(&zone->uz_items) >= zone->uz_max) {
			if (md_sleep_would_deadlock()) {
				kmem_spin_unlock(&zone->uz_lock);
				panic("uma_zalloc_arg: zone %s is at its limit "
				    "(%d items) and no other thread could ever "
				    "free one", zone->uz_name, zone->uz_max);
			}
			zone->uz_sleepers++;
			md_sleep(&zone->uz_items, &zone->uz_lock);
			zone->uz_sleepers--;
		}
		kmem_spin_unlock(&zone->uz_lock);
	}
}

static void
zone_limit_put(uma_zone_t zone)
{

	atomic_fetch_sub(&zone->uz_items, 1);
	kmem_spin_lock(&zone->uz_lock);
	if (zone->uz_sleepers != 0)
		md_wakeup(&zone->uz_items);
	kmem_spin_unlock(&zone->uz_lock);
}

static u_long zone_drain_cpus(uma_zone_t zone);

/*
 * One item from domain's slabs (then, if any, the other domains'), with
 * init run and its live bit set; the limit is honoured.  When no page is
 * left, every hart's buckets of the zone are emptied and the slabs tried
 * again; then M_WAITOK waits for pages.  NULL: M_NOWAIT and nothing found.
 */
static void *
zone_alloc_direct(uma_zone_t zone, int domain, int flags, bool any)
{
	struct uma_zdom *ud;
	void *item;
	int d, i, n;

	if (zone->uz_max != 0 && !zone_limit_take(zone, flags))
		return (NULL);
	n = any ? vm_ndomains : 1;
	for (;;) {
		item = NULL;
		for (i = 0; i < n && item == NULL; i++) {
			d = (domain + i) % vm_ndomains;
			ud = &zone->uz_dom[d];
			kmem_spin_lock(&ud->ud_lock);
			item = slab_take(zone, ud, d, flags);
			kmem_spin_unlock(&ud->ud_lock);
		}
		if (item != NULL)
			break;
		if (zone_drain_cpus(zone) != 0)
			continue;
		if ((flags & M_WAITOK) == 0) {
			if (zone->uz_max != 0)
				zone_limit_put(zone);
			return (NULL);
		}
		if (any)
			vm_wait();
		else
			vm_wait_domain(domain);
	}
	if (zone->uz_init != NULL &&
	    zone->uz_init(item, (int)zone->uz_size, flags) != 0) {
		slab_return(zone, item_slab(zone, item), item);
		if (zone->uz_max != 0)
			zone_limit_put(zone);
		return (NULL);
	}
	if ((zone->uz_flags & UMA_ZONE_ZINIT) != 0)
		kmem_zero(item, zone->uz_size);
	item_set_live(&zone->uz_cpu[0], item);
	return (item);
}

/* An item whose live bit is cleared back to its slab (fini run here). */
static void
zone_free_direct(uma_zone_t zone, struct uma_slab *s, void *item)
{

	if (zone->uz_fini != NULL)
		zone->uz_fini(item, (int)zone->uz_size);
	slab_return(zone, s, item);
	if (zone->uz_max != 0)
		zone_limit_put(zone);
}

/*
 * Items of bucket h back to their slabs (fini run): h becomes empty.
 * No lock held.
 */
static u_long
bucket_drain(uma_zone_t zone, uintptr_t *hp)
{
	uintptr_t h;
	void *item;
	u_long n;

	h = *hp;
	n = ub_count(h);
	if (zone->uz_fini != NULL)
		for (h = *hp; ub_count(h) != 0; h -= sizeof(void *))
			zone->uz_fini(((void **)h)[-1], (int)zone->uz_size);
	for (h = *hp; ub_count(h) != 0; ) {
		h -= sizeof(void *);
		item = *(void **)h;
		slab_return(zone, item_slab(zone, item), item);
	}
	*hp = h;
	return (n);
}

/* ------------------------------------------------------ drain, reclaim */

/*
 * Empty every hart's buckets of zone into the slabs (a slot in use at
 * this instant is skipped) and free the buckets.  Returns the items
 * given back.  No lock held.
 */
static u_long
zone_drain_cpus(uma_zone_t zone)
{
	struct uma_cache *c;
	uintptr_t h;
	u_long n;
	int cpu, k;

	n = 0;
	for (cpu = 0; cpu < MAXCPU; cpu++) {
		c = &zone->uz_cpu[cpu];
		for (k = 0; k < 2; k++) {
			_Atomic uintptr_t *slot = k == 0 ? &c->uc_alloc :
			    &c->uc_free;

			if (atomic_load_explicit(slot, memory_order_relaxed) ==
			    UB_NONE)
				continue;
			h = slot_take(slot);
			if (h == UB_BUSY)
				continue;
			if (h != UB_NONE) {
				n += bucket_drain(zone, &h);
				bucket_free(h);
			}
			slot_give(slot, UB_NONE);
		}
	}
	return (n);
}

/*
 * Take the depot's buckets of zone off (all, or every other full one for
 * TRIM), empty them into the slabs and free them; then free empty slabs.
 */
static void
zone_drain_depot(uma_zone_t zone, bool trim)
{
	struct uma_zdom *ud;
	struct uma_slab *s;
	uintptr_t full, empty, h;
	u_int n;
	int d;

	for (d = 0; d < vm_ndomains; d++) {
		ud = &zone->uz_dom[d];
		kmem_spin_lock(&ud->ud_lock);
		full = ud->ud_full;
		empty = ud->ud_empty;
		ud->ud_full = ud->ud_empty = 0;
		ud->ud_nempty = 0;
		n = ud->ud_nfull;
		ud->ud_nfull = 0;
		if (trim) {
			/* Keep the first half of the full ones. */
			for (n /= 2; n > 0; n--) {
				h = full;
				full = (uintptr_t)ub_link(h);
				blist_push(&ud->ud_full, &ud->ud_nfull, h);
			}
		}
		kmem_spin_unlock(&ud->ud_lock);
		while (full != 0) {
			h = full;
			full = (uintptr_t)ub_link(h);
			(void)bucket_drain(zone, &h);
			bucket_free(h);
		}
		while (empty != 0) {
			h = empty;
			empty = (uintptr_t)ub_link(h);
			bucket_free(h);
		}
		/* Every empty slab beyond what the reserve needs. */
		kmem_spin_lock(&ud->ud_lock);
		while ((s = ud->ud_free) != NULL &&
		    (zone->uz_flags & UMA_ZONE_NOFREE) == 0 &&
		    ud->ud_freeitems - zone->uz_ipers >=
		    (u_long)zone->uz_reserve)
			slab_free(zone, ud, s);
		kmem_spin_unlock(&ud->ud_lock);
	}
}

void
uma_zone_reclaim(uma_zone_t zone, int req)
{

	switch (req) {
	case UMA_RECLAIM_DRAIN_CPU:
		(void)zone_drain_cpus(zone);
		/* FALLTHROUGH */
	case UMA_RECLAIM_DRAIN:
		zone_drain_depot(zone, false);
		break;
	case UMA_RECLAIM_TRIM:
		zone_drain_depot(zone, true);
		break;
	default:
		panic("uma_zone_reclaim: zone %s: bad request %d",
		    zone->uz_name, req);
	}
}

void
uma_reclaim(int req)
{
	uma_zone_t z;

	kmem_spin_lock(&uma_zones_lock);
	for (z = uma_zones; z != NULL; z = z->uz_link)
		if (z != uma_bucket_zone)
			uma_zone_reclaim(z, req);
	/* The buckets the other zones gave back, last. */
	if (uma_bucket_zone != NULL)
		uma_zone_reclaim(uma_bucket_zone, req);
	kmem_spin_unlock(&uma_zones_lock);
}

static void
uma_lowmem(void *arg, int flags)
{

	(void)arg;
	(void)flags;
	uma_reclaim(UMA_RECLAIM_DRAIN_CPU);
}

/* -------------------------------------------------------- zone set-up */

/*
 * Once, before the first zone: the bucket zone (static storage, so that
 * start-up allocates nothing) and the lowmem handler.  Any hart may come
 * first.
 */
void
uma_startup(void)
{
	static struct kmem_spin once = KMEM_SPIN_INITIALIZER("uma startup");
	static struct uma_zone bucket_zone;

	if (atomic_load(&uma_up))
		return;
	kmem_spin_lock(&once);
	if (!atomic_load(&uma_up)) {
		uma_bucket_zone = &bucket_zone;
		(void)uma_zinit_static(uma_bucket_zone, "uma buckets",
		    UB_BYTES, NULL, NULL, NULL, NULL, UB_MASK,
		    UMA_ZONE_NOBUCKET);
		/* The lowmem list lock is a leaf. */
		uma_lowmem_tag = vm_lowmem_register(uma_lowmem, NULL);
		atomic_store(&uma_up, true);
	}
	kmem_spin_unlock(&once);
}

/* The smallest slab (pages) that loses at most 1/8 to its tail. */
static u_int
zone_slabshift(size_t size)
{
	size_t bytes, n;
	u_int k;

	for (k = 0;; k++) {
		bytes = PAGE_SIZE << k;
		if (bytes < size + sizeof(struct uma_slab))
			continue;
		n = (bytes - sizeof(struct uma_slab)) / size;
		/* Every offset's item index has a live bit. */
		if (bytes / size > UMA_LIVE_WORDS * 64)
			continue;
		if ((bytes - n * size) * 8 <= bytes || k >= 7)
			return (k);
	}
}

static bool
zone_args_ok(const char *name, size_t size, int align)
{

	return (name != NULL && size != 0 && size <= UMA_MAX_ITEM &&
	    align >= 0 && powerof2((u_long)align + 1) &&
	    (u_long)align < PAGE_SIZE);
}

uma_zone_t
uma_zinit_static(uma_zone_t zone, const char *name, size_t size,
    uma_ctor ctor, uma_dtor dtor, uma_init zinit, uma_fini zfini, int align,
    uint32_t flags)
{
	u_int cpu;
	int d;

	if (!zone_args_ok(name, size, align))
		return (NULL);
	if (align < (int)UMA_ALIGN_PTR)
		align = UMA_ALIGN_PTR;
	size = roundup2(size, (size_t)align + 1);
	if (size < UMA_MIN_ITEM)
		size = UMA_MIN_ITEM;
	memset(zone, 0, sizeof(*zone));
	zone->uz_name = name;
	zone->uz_ctor = ctor;
	zone->uz_dtor = dtor;
	zone->uz_init = zinit;
	zone->uz_fini = zfini;
	zone->uz_size = size;
	zone->uz_flags = flags;
	zone->uz_slabshift = zone_slabshift(size);
	zone->uz_slabmask = (PAGE_SIZE << zone->uz_slabshift) - 1;
	zone->uz_ipers = (u_int)((zone->uz_slabmask + 1 -
	    sizeof(struct uma_slab)) / size);
	zone->uz_recip = ((1ULL << UMA_RECIP_SHIFT) + size - 1) / size;
	zone->uz_direct = (flags & UMA_ZONE_NOBUCKET) != 0;
	kmem_spin_init(&zone->uz_lock, "uma limit");
	for (d = 0; d < MAXMEMDOM; d++)
		kmem_spin_init(&zone->uz_dom[d].ud_lock, "uma zone domain");
	for (cpu = 0; cpu < MAXCPU; cpu++) {
		struct uma_cache *c = &zone->uz_cpu[cpu];

		atomic_init(&c->uc_alloc, UB_NONE);
		atomic_init(&c->uc_free, UB_NONE);
		c->uc_slabmask = zone->uz_slabmask;
		c->uc_recip = zone->uz_recip;
		d = cpu < md_ncpus() ? md_cpu_domain(cpu) : 0;
		c->uc_domain = d >= 0 && d < vm_ndomains ? (uint32_t)d : 0;
		c->uc_ft = (flags & UMA_ZONE_ROUNDROBIN) == 0;
		c->uc_hartdom = c->uc_ft ? (uint8_t)c->uc_domain : UMA_ANYHART;
	}
	kmem_spin_lock(&uma_zones_lock);
	zone->uz_link = uma_zones;
	uma_zones = zone;
	kmem_spin_unlock(&uma_zones_lock);
	return (zone);
}

uma_zone_t
uma_zcreate(const char *name, size_t size, uma_ctor ctor, uma_dtor dtor,
    uma_init zinit, uma_fini zfini, int align, uint32_t flags)
{
	vm_page_t m;

	uma_startup();
	if (!zone_args_ok(name, size, align))
		return (NULL);
	/* A zone is one page of its own (direct map), not an item. */
	m = vm_page_alloc_noobj(VM_ALLOC_WAITOK);
	if (m == NULL)
		return (NULL);
	return (uma_zinit_static((uma_zone_t)PHYS_TO_DMAP(VM_PAGE_TO_PHYS(m)),
	    name, size, ctor, dtor, zinit, zfini, align, flags));
}

/* Items out of the slabs, in every domain (a relaxed sum, no lock). */
static u_long
zone_out(uma_zone_t zone)
{
	u_long n;
	int d;

	n = 0;
	for (d = 0; d < vm_ndomains; d++) {
		kmem_spin_lock(&zone->uz_dom[d].ud_lock);
		n += zone->uz_dom[d].ud_out;
		kmem_spin_unlock(&zone->uz_dom[d].ud_lock);
	}
	return (n);
}

void
uma_zdestroy(uma_zone_t zone)
{
	struct uma_zdom *ud;
	uma_zone_t *zp, z;
	u_long out;
	int d;

	/* Only a live zone (on uma_zones): nothing of another is read. */
	kmem_spin_lock(&uma_zones_lock);
	for (z = uma_zones; z != NULL && z != zone; z = z->uz_link)
		continue;
	kmem_spin_unlock(&uma_zones_lock);
	if (z == NULL)
		panic("uma_zdestroy: %p is not a live zone (destroyed already, "
		    "or never made)", (void *)zone);
	(void)zone_drain_cpus(zone);
	zone_drain_depot(zone, false);
	out = zone_out(zone);
	if (out != 0)
		panic("uma_zdestroy: zone %s (%p) still has %lu items "
		    "allocated", zone->uz_name, (void *)zone, out);
	for (d = 0; d < vm_ndomains; d++) {
		ud = &zone->uz_dom[d];
		kmem_spin_lock(&ud->ud_lock);
		while (ud->ud_free != NULL)
			slab_free(zone, ud, ud->ud_free);
		kmem_spin_unlock(&ud->ud_lock);
	}
	kmem_spin_lock(&uma_zones_lock);
	for (zp = &uma_zones; *zp != zone; zp = &(*zp)->uz_link)
		;
	*zp = zone->uz_link;
	kmem_spin_unlock(&uma_zones_lock);
	vm_page_free(PHYS_TO_VM_PAGE(DMAP_TO_PHYS(zone)));
}

/* ---------------------------------------------------------- allocation */

/*
 * Run the ctor on item and zero it for M_ZERO.  A failing ctor sends the
 * item back without the dtor (nothing leaks) and gives NULL.
 */
static void *
item_ctor(uma_zone_t zone, void *item, void *arg, int flags)
{
	struct uma_slab *s;
	int why;

	if (zone->uz_ctor != NULL &&
	    zone->uz_ctor(item, (int)zone->uz_size, arg, flags) != 0) {
		why = uma_item_check(zone, item, true, &s);
		KMEM_CHECK(why == UMA_ITEM_OK, ("uma_zalloc_arg: zone %s: "
		    "item %p lost its live bit in the ctor", zone->uz_name,
		    item));
		if (!uma_cache_push(zone, s, item))
			uma_zfree_slow(zone, s, item, arg, false);
		return (NULL);
	}
	if ((flags & M_ZERO) != 0)
		kmem_zero(item, zone->uz_size);
	return (item);
}

/*
 * Fill the empty bucket *hp (owned) from the depot or the slabs of
 * domain.  Returns false when nothing could be had.
 */
static bool
bucket_fill(uma_zone_t zone, int domain, uintptr_t *hp, int flags)
{
	struct uma_zdom *ud;
	uintptr_t full, h;
	void *item;
	u_int n;
	int d, i;

	ud = &zone->uz_dom[domain];
	h = *hp;
	kmem_spin_lock(&ud->ud_lock);
	full = blist_pop(&ud->ud_full, &ud->ud_nfull);
	if (full != UB_NONE) {
		blist_push(&ud->ud_empty, &ud->ud_nempty, h);
		kmem_spin_unlock(&ud->ud_lock);
		*hp = full;
		return (true);
	}
	/*
	 * The slabs of domain, then of the others: one failed attempt per
	 * empty domain and bucket, not per item.
	 */
	for (i = 0, n = 0; i < vm_ndomains && n == 0; i++) {
		d = (domain + i) % vm_ndomains;
		if (i != 0) {
			kmem_spin_unlock(&ud->ud_lock);
			ud = &zone->uz_dom[d];
			kmem_spin_lock(&ud->ud_lock);
		}
		for (; n < UMA_BUCKET_ITEMS; n++) {
			item = slab_take(zone, ud, d, flags & ~M_USE_RESERVE);
			if (item == NULL)
				break;
			*(void **)h = item;
			h += sizeof(void *);
		}
	}
	kmem_spin_unlock(&ud->ud_lock);
	if (zone->uz_init != NULL || (zone->uz_flags & UMA_ZONE_ZINIT) != 0) {
		/* Init outside the lock; a failing item goes back. */
		uintptr_t p, q;

		for (p = q = *hp; p < h; p += sizeof(void *)) {
			item = *(void **)p;
			if (zone->uz_init != NULL && zone->uz_init(item,
			    (int)zone->uz_size, flags) != 0) {
				slab_return(zone, item_slab(zone, item), item);
				continue;
			}
			if ((zone->uz_flags & UMA_ZONE_ZINIT) != 0)
				kmem_zero(item, zone->uz_size);
			*(void **)q = item;
			q += sizeof(void *);
		}
		h = q;
	}
	*hp = h;
	return (ub_count(h) != 0);
}

/*
 * uma_zalloc_arg, every case (the fast path only pops for plain flags and
 * no ctor).  From this hart's alloc bucket; when it is empty, swap with
 * the free bucket if that has items, else a full bucket from the depot,
 * else fill from the slabs; when nothing is left, the slabs directly
 * (which drain every hart's buckets and wait as the flags say).  A busy
 * slot (an interrupt handler that stopped its owner, or a drainer) sends
 * the call to the slabs directly.
 */
void *
uma_zalloc_slow(uma_zone_t zone, void *arg, int flags)
{
	struct uma_cache *c;
	uintptr_t f, h;
	void *item;
	int domain;

	if (!UMA_FLAGS_OK(flags))
		return (NULL);
	c = &zone->uz_cpu[kmem_cpuid()];
	/* FIRSTTOUCH: this hart's domain; ROUNDROBIN: each in turn. */
	domain = c->uc_ft ? (int)c->uc_domain :
	    (int)(atomic_fetch_add(&zone->uz_rr, 1) % (u_int)vm_ndomains);
	h = slot_take(&c->uc_alloc);
	if (h == UB_BUSY)
		goto direct;
	if (ub_valid(h) && ub_count(h) != 0)
		goto pop;
	if (zone->uz_direct)
		goto give_direct;
	f = slot_take(&c->uc_free);
	if (f != UB_BUSY && f != UB_NONE && ub_count(f) != 0) {
		slot_give(&c->uc_free, h);
		h = f;
		goto pop;
	}
	if (f != UB_BUSY)
		slot_give(&c->uc_free, f);
	if (h == UB_NONE && (h = bucket_alloc(domain)) == UB_NONE)
		goto give_direct;
	if (bucket_fill(zone, domain, &h, flags))
		goto pop;
give_direct:
	slot_give(&c->uc_alloc, h);
direct:
	item = zone_alloc_direct(zone, domain, flags, true);
	return (item != NULL ? item_ctor(zone, item, arg, flags) : NULL);
pop:
	h -= sizeof(void *);
	item = *(void **)h;
	slot_give(&c->uc_alloc, h);
	item_set_live(c, item);
	return (item_ctor(zone, item, arg, flags));
}

/* uma_zalloc_arg and uma_zalloc: the fast path or uma_zalloc_slow. */
static inline __attribute__((__always_inline__)) void *
zalloc(uma_zone_t zone, void *arg, int flags)
{
	void *item;

	if (__predict_true(UMA_FLAGS_PLAIN(flags) && zone->uz_ctor == NULL) &&
	    uma_cache_pop(zone, &item))
		return (item);
	return (uma_zalloc_slow(zone, arg, flags));
}

void *
uma_zalloc_arg(uma_zone_t zone, void *arg, int flags)
{

	return (zalloc(zone, arg, flags));
}

void *
uma_zalloc(uma_zone_t zone, int flags)
{

	return (zalloc(zone, NULL, flags));
}

void *
uma_zalloc_domain(uma_zone_t zone, void *arg, int domain, int flags)
{
	void *item;

	if (domain == UMA_ANYDOMAIN)
		return (uma_zalloc_arg(zone, arg, flags));
	if (domain < 0 || domain >= vm_ndomains ||
	    !UMA_FLAGS_OK(flags))
		return (NULL);
	item = zone_alloc_direct(zone, domain, flags, false);
	return (item != NULL ? item_ctor(zone, item, arg, flags) : NULL);
}

/* ---------------------------------------------------------------- free */

/*
 * uma_zfree_arg after the check, every case (the fast path only pushes
 * without a dtor): run the dtor (when dtor), then push on this hart's
 * alloc bucket if it has room and the item is of this hart's domain (or
 * the zone is ROUNDROBIN), else on the free bucket; a full free bucket
 * goes to the depot (or back to the slabs when the depot is full) and an
 * empty one takes its place.  A busy slot, a direct zone or an item of
 * another domain goes straight to its slab.
 */
void
uma_zfree_slow(uma_zone_t zone, struct uma_slab *s, void *item, void *arg,
    bool dtor)
{
	struct uma_cache *c;
	struct uma_zdom *ud;
	uintptr_t e, f, h;

	if (dtor && zone->uz_dtor != NULL)
		zone->uz_dtor(item, (int)zone->uz_size, arg);
	c = &zone->uz_cpu[kmem_cpuid()];
	if (zone->uz_direct || (c->uc_ft && s->us_domain != c->uc_domain))
		goto slabs;
	h = slot_take(&c->uc_alloc);
	if (h == UB_BUSY)
		goto slabs;
	if (!ub_miss(h)) {
		*(void **)h = item;
		slot_give(&c->uc_alloc, h + sizeof(void *));
		return;
	}
	f = slot_take(&c->uc_free);
	if (f == UB_BUSY)
		goto direct;
	if (!ub_miss(f)) {
		*(void **)f = item;
		slot_give(&c->uc_free, f + sizeof(void *));
		slot_give(&c->uc_alloc, h);
		return;
	}
	ud = &zone->uz_dom[c->uc_domain];
	e = UB_NONE;
	kmem_spin_lock(&ud->ud_lock);
	if (f != UB_NONE && ud->ud_nfull < UMA_DEPOT_MAX) {
		blist_push(&ud->ud_full, &ud->ud_nfull, f);
		f = UB_NONE;
	}
	if (f == UB_NONE)
		e = blist_pop(&ud->ud_empty, &ud->ud_nempty);
	kmem_spin_unlock(&ud->ud_lock);
	if (f != UB_NONE) {
		/* The depot is full: this bucket's items go to the slabs. */
		(void)bucket_drain(zone, &f);
		e = f;
	}
	if (e == UB_NONE)
		e = bucket_alloc((int)c->uc_domain);
	if (e != UB_NONE) {
		*(void **)e = item;
		e += sizeof(void *);
	}
	slot_give(&c->uc_free, e);
	slot_give(&c->uc_alloc, h);
	if (e != UB_NONE)
		return;
	goto slabs;
direct:
	slot_give(&c->uc_alloc, h);
slabs:
	zone_free_direct(zone, s, item);
}

/*
 * uma_zfree_arg and uma_zfree: check and release the item exactly, then
 * the fast path or uma_zfree_slow.
 */
static inline __attribute__((__always_inline__)) void
zfree(uma_zone_t zone, void *item, void *arg)
{
	struct uma_slab *s;
	int why;

	if (item == NULL)
		return;
	why = uma_item_check(zone, item, true, &s);
	if (__predict_false(why != UMA_ITEM_OK))
		uma_bad_item("uma_zfree_arg", item, why, zone, s);
	if (__predict_true(zone->uz_dtor == NULL) &&
	    uma_cache_push(zone, s, item))
		return;
	uma_zfree_slow(zone, s, item, arg, true);
}

void
uma_zfree_arg(uma_zone_t zone, void *item, void *arg)
{

	zfree(zone, item, arg);
}

void
uma_zfree(uma_zone_t zone, void *item)
{

	zfree(zone, item, NULL);
}

/* ------------------------------------------------------ limits, stats */

int
uma_zone_set_max(uma_zone_t zone, int nitems)
{

	if (nitems < 0)
		nitems = 0;
	zone->uz_max = nitems;
	if (nitems != 0 && !zone->uz_direct) {
		/* Exact counting from now on: no items in buckets. */
		zone->uz_direct = true;
		(void)zone_drain_cpus(zone);
		zone_drain_depot(zone, false);
		atomic_store(&zone->uz_items, (int)zone_out(zone));
	}
	return (nitems);
}

int
uma_zone_get_max(uma_zone_t zone)
{

	return (zone->uz_max);
}

int
uma_zone_get_cur(uma_zone_t zone)
{
	struct uma_cache *c;
	long n;
	int cpu, d;
	uintptr_t h;

	n = (long)zone_out(zone);
	for (d = 0; d < vm_ndomains; d++) {
		kmem_spin_lock(&zone->uz_dom[d].ud_lock);
		n -= (long)zone->uz_dom[d].ud_nfull * UMA_BUCKET_ITEMS;
		kmem_spin_unlock(&zone->uz_dom[d].ud_lock);
	}
	for (cpu = 0; cpu < MAXCPU; cpu++) {
		c = &zone->uz_cpu[cpu];
		h = atomic_load_explicit(&c->uc_alloc, memory_order_relaxed);
		if (ub_valid(h))
			n -= (long)ub_count(h);
		h = atomic_load_explicit(&c->uc_free, memory_order_relaxed);
		if (ub_valid(h))
			n -= (long)ub_count(h);
	}
	return (n > 0 ? (int)n : 0);
}

void
uma_zone_reserve(uma_zone_t zone, int nitems)
{

	zone->uz_reserve = nitems > 0 ? nitems : 0;
	if (!zone->uz_direct) {
		zone->uz_direct = true;
		(void)zone_drain_cpus(zone);
		zone_drain_depot(zone, false);
		atomic_store(&zone->uz_items, (int)zone_out(zone));
	}
}

void
uma_prealloc(uma_zone_t zone, int nitems)
{
	struct uma_zdom *ud;
	int d, i;

	for (i = 0; nitems > 0; i++) {
		d = i % vm_ndomains;
		ud = &zone->uz_dom[d];
		kmem_spin_lock(&ud->ud_lock);
		if (slab_alloc(zone, ud, d) != NULL)
			nitems -= (int)zone->uz_ipers;
		kmem_spin_unlock(&ud->ud_lock);
		if (i >= vm_ndomains && nitems > 0 && (i % vm_ndomains) == 0)
			vm_wait();
	}
}

size_t
uma_zone_get_size(uma_zone_t zone)
{

	return (zone->uz_size);
}

void
uma_zone_slabs(uma_zone_t zone, u_long *total, u_long *free)
{
	int d;

	*total = *free = 0;
	for (d = 0; d < vm_ndomains; d++) {
		kmem_spin_lock(&zone->uz_dom[d].ud_lock);
		*total += zone->uz_dom[d].ud_nslabs;
		*free += zone->uz_dom[d].ud_nfreeslabs;
		kmem_spin_unlock(&zone->uz_dom[d].ud_lock);
	}
}

const char *
uma_zone_name(uma_zone_t zone)
{

	return (zone->uz_name);
}

u_long
uma_zone_pages(uma_zone_t zone)
{
	u_long slabs, free;

	uma_zone_slabs(zone, &slabs, &free);
	return (slabs << zone->uz_slabshift);
}

void
uma_zone_foreach(void (*fn)(uma_zone_t, void *), void *arg)
{
	uma_zone_t z;

	kmem_spin_lock(&uma_zones_lock);
	for (z = uma_zones; z != NULL; z = z->uz_link)
		fn(z, arg);
	kmem_spin_unlock(&uma_zones_lock);
}

static void
uma_print_zone(uma_zone_t z, void *arg)
{
	u_long slabs, free;

	(void)arg;
	uma_zone_slabs(z, &slabs, &free);
	kmem_printf("%-16s %6lu %8d %8lu %8lu\n", z->uz_name,
	    (u_long)z->uz_size, uma_zone_get_cur(z), slabs,
	    slabs << z->uz_slabshift);
}

void
uma_print_stats(void)
{

	kmem_printf("%-16s %6s %8s %8s %8s\n", "zone", "size", "items",
	    "slabs", "pages");
	uma_zone_foreach(uma_print_zone, NULL);
}
