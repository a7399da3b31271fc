/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmem.c: resource arenas (vmem(9)).
 *
 * How an arena is kept:
 *
 *  - Every range the arena knows is covered by boundary tags on one
 *    doubly-linked segment list in address order.  A span tag (imported or
 *    static) comes first, then the free and busy segments that tile the
 *    span exactly.  Two free segments are never adjacent inside a span: a
 *    free coalesces with its neighbours at once.  Span tags also sit on a
 *    separate address-ordered span list (for vmem_add's overlap check and
 *    for finding where a new span goes).
 *  - A free segment of q quanta is on free list q - 1 when q <= 64, and on
 *    list 64 + fls(q) - 7 otherwise (one list per power of two).  Bit i of
 *    vm_flbits is set iff list i is non-empty, so the first usable list is a
 *    mask and a bit scan away: instant fit is constant time.
 *  - One exception, vm_stale: the hot allocation path leaves the free
 *    segment it carved from on the list it was on, though it is now
 *    smaller (its class may have changed), and records it in vm_stale;
 *    the free that follows usually coalesces it back to its old size, and
 *    then neither operation moved it between lists.  Everything that
 *    picks free segments by list (vmem_find*, vmem_find_fast, vmem_size)
 *    first files it where it belongs (vmem_settle); removing it from its
 *    list or re-classing it clears vm_stale.  So no search ever sees a
 *    segment on the wrong list.
 *  - A busy segment is on a hash chain keyed by its start address.  The
 *    table starts embedded in struct vmem and is regrown (or shrunk) by the
 *    allocating or freeing thread after it dropped the arena lock.
 *  - Boundary tags come from a global pool (a leaf lock) seeded with a
 *    static boot array and refilled a page at a time from the backend,
 *    outside every arena lock, whenever it runs low; each arena keeps a
 *    small cache of tags so a locked operation never has to ask for one.
 *
 * Quantum caches (vmem_qcache.c) sit in front of the arena and take their
 * rounds from it, and give them back, through the round functions at the
 * end of this file.  The checker and the dumps are in vmem_check.c.
 */
#include <stdio.h>
#include <string.h>

#include <kmem/vmem.h>

#include "kmem_private.h"
#include "vmem_private.h"


#define VMEM_IMPORT_FLAGS (M_NOWAIT | M_WAITOK | M_USE_RESERVE | M_NOVM | \
    M_NORECLAIM)

/* vm_flags */
#define VMEM_F_BACKEND	0x1	/* vmem_create storage from the backend */
#define VMEM_F_BOOTPOOL	0x2	/* vmem_create storage from the boot pool */

/* Tags an operation may need: two to import a span, two to clip. */
#define BT_MAXALLOC	4
#define BT_MAXFREE	32	/* per-arena tag cache high-water mark */
/*
 * The tag pool starts with these.  The boot takes about 50 of them (45 on
 * 4 nodes with 8 harts, and on a 16 GiB HiFive Unmatched); from then on the
 * pool is refilled a page of tags at a time when it falls below
 * VMEM_BT_LOWAT.
 */
#define VMEM_BOOT_TAGS	256
#define VMEM_BT_LOWAT	96	/* refill the pool below this */
#define VMEM_BOOT_ARENAS 4

#define VMEM_HASH_MIN_SHIFT	9	/* a grown table: at least one page */
#define VMEM_HASH_MAX_SHIFT	20

vmem_backend_alloc_t *vmem_backend_alloc;
vmem_backend_free_t *vmem_backend_free;

/* The boundary-tag pool (leaf lock). */
static struct kmem_spin vmem_bt_lock = KMEM_SPIN_INITIALIZER("vmem btag pool");
static struct vmem_btag *vmem_bt_pool;
atomic_ulong vmem_bt_npool;
atomic_ulong vmem_bt_ntotal;		/* tags ever made: boot + pages */
static bool vmem_bt_booted;
static atomic_uint vmem_bt_refilling;
static struct vmem_btag vmem_boot_tags[VMEM_BOOT_TAGS];

/* Every arena, and vmem_create's boot storage. */
struct kmem_spin vmem_list_lock = KMEM_SPIN_INITIALIZER("vmem list");
struct vmem *vmem_list;
static struct vmem vmem_boot_arenas[VMEM_BOOT_ARENAS];
static bool vmem_boot_arena_used[VMEM_BOOT_ARENAS];

/* ------------------------------------------------------------ free lists */

/* True if a segment of q > VMEM_NEXACT quanta belongs on list c. */
VMEM_INLINE bool
vmem_qinclass(vmem_size_t q, u_long c)
{

	if (c > VMEM_NEXACT)
		return ((q >> (c - VMEM_NEXACT + 6)) == 1);
	return (c == VMEM_NEXACT && q < 2 * VMEM_NEXACT);
}

/* The first list all of whose members are at least q quanta (instant fit). */
VMEM_INLINE u_int
vmem_qfirst(vmem_size_t q)
{
	u_int c;

	if (q <= VMEM_NEXACT)
		return ((u_int)q - 1);
	c = VMEM_NEXACT - 7 + kmem_flsl(q);
	/* Only a class's smallest size has every member fit. */
	if (c == VMEM_NEXACT ? q == VMEM_NEXACT + 1 : (q & (q - 1)) == 0)
		return (c);
	return (c + 1);
}

/*
 * The first non-empty free list at or above idx (at most VMEM_NFREELIST:
 * one past the last list), or -1 (two bitmap words).
 */
_Static_assert(VMEM_FLWORDS == 2 && VMEM_NFREELIST < 128,
    "vmem_flnext scans two words");
VMEM_INLINE int
vmem_flnext(const vmem_t *vm, u_int idx)
{
	unsigned long bits;

	if (idx < 64) {
		bits = vm->vm_flbits[0] & (~0UL << idx);
		if (bits != 0)
			return ((int)kmem_ctzl(bits));
		idx = 64;
	}
	bits = vm->vm_flbits[1] & (~0UL << (idx - 64));
	return (bits != 0 ? (int)(64 + kmem_ctzl(bits)) : -1);
}

/* Put the free segment bt at the head of list fl. */
VMEM_INLINE void
bt_insfree_at(vmem_t *vm, struct vmem_btag *bt, u_long fl)
{
	struct vmem_btag **head, *first;

	bt->bt_fl = (uint8_t)fl;
	head = &vm->vm_freelist[fl];
	first = *head;
	bt->bt_lnext = first;
	bt->bt_lpprev = head;
	*head = bt;
	if (first != NULL)
		first->bt_lpprev = &bt->bt_lnext;
	else
		vm->vm_flbits[fl >> 6] |= 1UL << (fl & 63);
}

VMEM_INLINE void
bt_insfree(vmem_t *vm, struct vmem_btag *bt)
{

	bt_insfree_at(vm, bt, vmem_flclass(vm, bt->bt_size));
}

/* Take bt off its list; the caller knows it is not vm_stale. */
VMEM_INLINE void
bt_remfree_raw(vmem_t *vm, struct vmem_btag *bt)
{
	u_long fl;

	*bt->bt_lpprev = bt->bt_lnext;
	if (bt->bt_lnext != NULL)
		bt->bt_lnext->bt_lpprev = bt->bt_lpprev;
	fl = bt->bt_fl;
	if (vm->vm_freelist[fl] == NULL)
		vm->vm_flbits[fl >> 6] &= ~(1UL << (fl & 63));
}

VMEM_INLINE void
bt_remfree(vmem_t *vm, struct vmem_btag *bt)
{

	if (__predict_false(bt == vm->vm_stale))
		vm->vm_stale = NULL;
	bt_remfree_raw(vm, bt);
}

/*
 * The list a free segment of q quanta now on list ofl belongs on, or -1
 * if ofl still holds it (a big segment usually stays in its class).
 */
VMEM_INLINE long
bt_newclass(vmem_size_t q, u_long ofl)
{

	if (q > VMEM_NEXACT)
		return (vmem_qinclass(q, ofl) ? -1 : (long)vmem_qclass(q));
	return (q - 1 == ofl ? -1 : (long)(q - 1));
}

/*
 * The free segment bt now has q quanta: move it to its new list unless
 * it still belongs on the one it is on.  Leaves bt correctly filed, so
 * the caller clears vm_stale if bt was it.
 */
VMEM_INLINE void
bt_reclass_q(vmem_t *vm, struct vmem_btag *bt, vmem_size_t q)
{
	u_long ofl;
	long fl;

	ofl = bt->bt_fl;
	fl = bt_newclass(q, ofl);
	if (fl < 0)
		return;
	bt_remfree_raw(vm, bt);
	bt_insfree_at(vm, bt, (u_long)fl);
}

/* File vm_stale where it belongs (arena lock held). */
VMEM_INLINE void
vmem_settle(vmem_t *vm)
{
	struct vmem_btag *bt;

	bt = vm->vm_stale;
	if (__predict_true(bt == NULL))
		return;
	vm->vm_stale = NULL;
	bt_reclass_q(vm, bt, bt->bt_size >> vm->vm_quantum_shift);
}

/* ------------------------------------------------------- fault injection */

/*
 * Fault injection (tests, vmem_fail_after): while armed, each of vmem's
 * own allocations (an arena's tag-cache fill from the pool, the pool's
 * refill from the backend, a new busy hash table) is counted, and the one
 * after the first vmem_inject_left is refused as if its supply were empty.
 * Only those slow paths look at it: no fast path pays for it.
 */
static atomic_bool vmem_inject_armed;
static atomic_bool vmem_inject_sticky;
static atomic_long vmem_inject_left;
static atomic_long vmem_inject_count;

static bool
vmem_inject_fail(void)
{
	long left;

	if (!atomic_load_explicit(&vmem_inject_armed, memory_order_relaxed))
		return (false);
	atomic_fetch_add(&vmem_inject_count, 1);
	left = atomic_fetch_sub(&vmem_inject_left, 1);
	return (left == 0 || (left < 0 && atomic_load_explicit(
	    &vmem_inject_sticky, memory_order_relaxed)));
}

long
vmem_fail_after(long n, bool sticky)
{
	long counted;

	atomic_store(&vmem_inject_armed, false);
	counted = atomic_exchange(&vmem_inject_count, 0);
	if (n >= 0) {
		atomic_store(&vmem_inject_left, n);
		atomic_store(&vmem_inject_sticky, sticky);
		atomic_store(&vmem_inject_armed, true);
	}
	return (counted);
}

/* ------------------------------------------------------------- tag supply */

/* Seed the pool with the boot tags, once. */
static void
vmem_bootstrap(void)
{
	u_int i;

	kmem_spin_lock(&vmem_bt_lock);
	if (!vmem_bt_booted) {
		for (i = 0; i < VMEM_BOOT_TAGS; i++) {
			vmem_boot_tags[i].bt_lnext = vmem_bt_pool;
			vmem_bt_pool = &vmem_boot_tags[i];
		}
		atomic_fetch_add_explicit(&vmem_bt_npool, VMEM_BOOT_TAGS,
		    memory_order_relaxed);
		atomic_fetch_add_explicit(&vmem_bt_ntotal, VMEM_BOOT_TAGS,
		    memory_order_relaxed);
		vmem_bt_booted = true;
	}
	kmem_spin_unlock(&vmem_bt_lock);
}

/*
 * Top the tag pool up from the backend when it runs low.  Called with no
 * vmem lock held.  Only one refill runs at a time; a refill's own backend
 * allocation (which may allocate from an arena, and so come back here)
 * lives on the tags still in the pool: that is the reserve.
 */
static void
vmem_bt_refill(void)
{
	struct vmem_btag *bt, *head;
	unsigned long n, i;
	char *p;

	if (vmem_backend_alloc == NULL ||
	    atomic_exchange(&vmem_bt_refilling, 1) != 0)
		return;
	p = vmem_inject_fail() ? NULL : vmem_backend_alloc(PAGE_SIZE,
	    M_NOWAIT);
	if (p != NULL) {
		n = PAGE_SIZE / sizeof(struct vmem_btag);
		head = NULL;
		for (i = 0; i < n; i++) {
			bt = (struct vmem_btag *)(void *)(p +
			    i * sizeof(struct vmem_btag));
			bt->bt_lnext = head;
			head = bt;
		}
		kmem_spin_lock(&vmem_bt_lock);
		bt = head;
		while (bt->bt_lnext != NULL)
			bt = bt->bt_lnext;
		bt->bt_lnext = vmem_bt_pool;
		vmem_bt_pool = head;
		atomic_fetch_add_explicit(&vmem_bt_npool, n,
		    memory_order_relaxed);
		atomic_fetch_add_explicit(&vmem_bt_ntotal, n,
		    memory_order_relaxed);
		kmem_spin_unlock(&vmem_bt_lock);
	}
	atomic_store(&vmem_bt_refilling, 0);
}

/*
 * An M_WAITOK allocation found the pool dry: another hart may be refilling
 * it right now (only one refill runs at a time).  Wait for that refill,
 * then refill once more.  True when a refill added tags.  No vmem
 * lock held.
 */
static bool
vmem_bt_refill_wait(void)
{
	unsigned long before;

	before = atomic_load_explicit(&vmem_bt_ntotal, memory_order_relaxed);
	while (atomic_load(&vmem_bt_refilling) != 0)
		md_cpu_relax();
	vmem_bt_refill();
	return (atomic_load_explicit(&vmem_bt_ntotal, memory_order_relaxed) !=
	    before);
}

VMEM_INLINE void
vmem_bt_refill_maybe(void)
{

	if (__predict_false(atomic_load_explicit(&vmem_bt_npool,
	    memory_order_relaxed) < VMEM_BT_LOWAT))
		vmem_bt_refill();
}

/*
 * Make sure the arena holds BT_MAXALLOC tags.  Arena lock held; takes the
 * pool lock (a leaf).  Returns ENOMEM if the pool runs dry first (the
 * tags it did take stay in the arena's cache).  A refused fill (fault
 * injection) is one whose pool runs dry a tag short.
 */
static int
bt_fill_slow(vmem_t *vm)
{
	struct vmem_btag *bt;
	u_int want;

	want = vmem_inject_fail() ? BT_MAXALLOC - 1 : 2 * BT_MAXALLOC;
	kmem_spin_lock(&vmem_bt_lock);
	while (vm->vm_nfreetags < want &&
	    (bt = vmem_bt_pool) != NULL) {
		vmem_bt_pool = bt->bt_lnext;
		atomic_fetch_sub_explicit(&vmem_bt_npool, 1,
		    memory_order_relaxed);
		bt->bt_lnext = vm->vm_freetags;
		vm->vm_freetags = bt;
		vm->vm_nfreetags++;
	}
	kmem_spin_unlock(&vmem_bt_lock);
	return (vm->vm_nfreetags >= BT_MAXALLOC ? 0 : ENOMEM);
}

VMEM_INLINE int
bt_fill(vmem_t *vm)
{

	if (__predict_true(vm->vm_nfreetags >= BT_MAXALLOC))
		return (0);
	return (bt_fill_slow(vm));
}

VMEM_INLINE struct vmem_btag *
bt_alloc(vmem_t *vm)
{
	struct vmem_btag *bt;

	bt = vm->vm_freetags;
	KMEM_CHECK(bt != NULL, ("bt_alloc: arena \"%s\" has no tag left",
	    vm->vm_name));
	vm->vm_freetags = bt->bt_lnext;
	vm->vm_nfreetags--;
	return (bt);
}

/*
 * bt_alloc for the hot paths, which have just seen vm_nfreetags >=
 * BT_MAXALLOC: the count and the list change together (vmem_check
 * compares them), so the list is not empty and needs no check here.
 */
VMEM_INLINE struct vmem_btag *
bt_alloc_counted(vmem_t *vm)
{
	struct vmem_btag *bt;

	bt = vm->vm_freetags;
	vm->vm_freetags = bt->bt_lnext;
	vm->vm_nfreetags--;
	return (bt);
}

/* Give tags above the high-water mark back to the pool. */
static void
bt_trim(vmem_t *vm, u_int keep)
{
	struct vmem_btag *bt;
	u_long n;

	n = 0;
	kmem_spin_lock(&vmem_bt_lock);
	while (vm->vm_nfreetags > keep) {
		bt = vm->vm_freetags;
		vm->vm_freetags = bt->bt_lnext;
		vm->vm_nfreetags--;
		bt->bt_lnext = vmem_bt_pool;
		vmem_bt_pool = bt;
		n++;
	}
	atomic_fetch_add_explicit(&vmem_bt_npool, n, memory_order_relaxed);
	kmem_spin_unlock(&vmem_bt_lock);
}

/*
 * Put bt in the arena's tag cache without trimming it: the caller checks
 * vm_nfreetags > BT_MAXFREE later (on a path that may call out).
 */
VMEM_INLINE void
bt_free_notrim(vmem_t *vm, struct vmem_btag *bt)
{

	bt->bt_lnext = vm->vm_freetags;
	vm->vm_freetags = bt;
	vm->vm_nfreetags++;
}

VMEM_INLINE void
bt_free(vmem_t *vm, struct vmem_btag *bt)
{

	bt_free_notrim(vm, bt);
	if (__predict_false(vm->vm_nfreetags > BT_MAXFREE))
		bt_trim(vm, BT_MAXFREE / 2);
}

/* ------------------------------------------------------------ segment list */

VMEM_INLINE void
bt_insseg_after(vmem_t *vm, struct vmem_btag *bt, struct vmem_btag *prev)
{

	bt->bt_sprev = prev;
	bt->bt_snext = prev->bt_snext;
	if (prev->bt_snext != NULL)
		prev->bt_snext->bt_sprev = bt;
	else
		vm->vm_segtail = bt;
	prev->bt_snext = bt;
}

VMEM_INLINE void
bt_insseg_before(vmem_t *vm, struct vmem_btag *bt, struct vmem_btag *next)
{

	if (next == NULL) {
		/* At the end. */
		if (vm->vm_segtail != NULL) {
			bt_insseg_after(vm, bt, vm->vm_segtail);
			return;
		}
		bt->bt_snext = bt->bt_sprev = NULL;
		vm->vm_seghead = vm->vm_segtail = bt;
		return;
	}
	bt->bt_snext = next;
	bt->bt_sprev = next->bt_sprev;
	if (next->bt_sprev != NULL)
		next->bt_sprev->bt_snext = bt;
	else
		vm->vm_seghead = bt;
	next->bt_sprev = bt;
}

/* Unlink bt from the segment list (the caller disposes of the tag). */
VMEM_INLINE void
bt_unlinkseg(vmem_t *vm, struct vmem_btag *bt)
{

	if (vm->vm_cursor_bt == bt)
		vm->vm_cursor_bt = bt->bt_sprev != NULL ? bt->bt_sprev :
		    bt->bt_snext;
	if (bt->bt_sprev != NULL)
		bt->bt_sprev->bt_snext = bt->bt_snext;
	else
		vm->vm_seghead = bt->bt_snext;
	if (bt->bt_snext != NULL)
		bt->bt_snext->bt_sprev = bt->bt_sprev;
	else
		vm->vm_segtail = bt->bt_sprev;
}

/* Unlink bt from the segment list and give it back to the tag cache. */
VMEM_INLINE void
bt_remseg(vmem_t *vm, struct vmem_btag *bt)
{

	bt_unlinkseg(vm, bt);
	bt_free(vm, bt);
}

/*
 * Unlink a segment that has a successor from the segment list (it always
 * has a predecessor: its span tag at least) and cache its tag untrimmed.
 */
VMEM_INLINE void
bt_remseg_inner(vmem_t *vm, struct vmem_btag *bt)
{
	struct vmem_btag *prev, *next;

	prev = bt->bt_sprev;
	next = bt->bt_snext;
	if (__predict_false(vm->vm_cursor_bt == bt))
		vm->vm_cursor_bt = prev;
	prev->bt_snext = next;
	next->bt_sprev = prev;
	bt_free_notrim(vm, bt);
}

VMEM_INLINE void
bt_remspan(struct vmem_btag *span)
{

	*span->bt_lpprev = span->bt_lnext;
	if (span->bt_lnext != NULL)
		span->bt_lnext->bt_lpprev = span->bt_lpprev;
}

/* ------------------------------------------------------------ busy hash */

/* Hash the busy tag bt of [start, start + size) (values passed in). */
VMEM_INLINE void
bt_insbusy_at(vmem_t *vm, struct vmem_btag *bt, vmem_addr_t start,
    vmem_size_t size)
{
	struct vmem_btag **head;

	bt->bt_round = 0;
	head = bt_hashhead(vm, start);
	bt->bt_lnext = *head;
	*head = bt;
	vm->vm_nbusytag++;
	vm->vm_inuse += size;
}

VMEM_INLINE void
bt_insbusy(vmem_t *vm, struct vmem_btag *bt)
{

	bt_insbusy_at(vm, bt, bt->bt_start, bt->bt_size);
}

/* Hash size wanted for the current load, or 0 if the table is fine. */
static vmem_size_t
vmem_hash_want(const vmem_t *vm)
{
	vmem_size_t n, want;

	if (vmem_backend_alloc == NULL || vm->vm_rehashing)
		return (0);
	n = vm->vm_nbusytag;
	if (n > 2 * vm->vm_hashsize &&
	    vm->vm_hashsize < (1UL << VMEM_HASH_MAX_SHIFT)) {
		want = 1UL << VMEM_HASH_MIN_SHIFT;
		while (want < n && want < (1UL << VMEM_HASH_MAX_SHIFT))
			want <<= 1;
		return (want);
	}
	if (vm->vm_hashsize > VMEM_HASH0_SIZE && n * 8 < vm->vm_hashsize) {
		want = VMEM_HASH0_SIZE;
		while (want < 2 * n)
			want <<= 1;
		if (want > VMEM_HASH0_SIZE &&
		    want < (1UL << VMEM_HASH_MIN_SHIFT))
			want = 1UL << VMEM_HASH_MIN_SHIFT;
		return (want < vm->vm_hashsize ? want : 0);
	}
	return (0);
}

/* After an allocation (lock held): should the hash grow? */
VMEM_INLINE bool
vmem_hash_grow_wanted(const vmem_t *vm)
{

	return (__predict_false(vm->vm_nbusytag > 2 * vm->vm_hashsize) &&
	    vmem_hash_want(vm) != 0);
}

/* After a free (lock held): should the hash shrink? */
VMEM_INLINE bool
vmem_hash_shrink_wanted(const vmem_t *vm)
{

	return (__predict_false(vm->vm_nbusytag * 8 < vm->vm_hashsize) &&
	    vm->vm_hashsize > VMEM_HASH0_SIZE && vmem_hash_want(vm) != 0);
}

/*
 * Resize the busy hash to fit the load.  Called with no lock held; takes
 * the arena lock.  The new table comes from the backend (M_NOWAIT); when
 * none is to be had the old table simply stays.
 */
static void
vmem_rehash(vmem_t *vm)
{
	struct vmem_btag **newtab, **oldtab, *bt, *next, **head;
	vmem_size_t want, oldsize, i;
	u_int shift;

	kmem_spin_lock(&vm->vm_lock);
	want = vmem_hash_want(vm);
	if (want == 0) {
		kmem_spin_unlock(&vm->vm_lock);
		return;
	}
	vm->vm_rehashing = 1;
	kmem_spin_unlock(&vm->vm_lock);

	if (want <= VMEM_HASH0_SIZE)
		newtab = vm->vm_hash0;
	else if (vmem_inject_fail())
		newtab = NULL;
	else
		newtab = vmem_backend_alloc(round_page(want * sizeof(*newtab)),
		    M_NOWAIT);
	kmem_spin_lock(&vm->vm_lock);
	if (newtab == NULL) {
		vm->vm_rehashing = 0;
		kmem_spin_unlock(&vm->vm_lock);
		return;
	}
	memset(newtab, 0, want * sizeof(*newtab));
	shift = 64 - (u_int)(kmem_flsl(want) - 1);
	oldtab = vm->vm_hashlist;
	oldsize = vm->vm_hashsize;
	for (i = 0; i < oldsize; i++) {
		for (bt = oldtab[i]; bt != NULL; bt = next) {
			next = bt->bt_lnext;
			head = &newtab[bt_hashidx(bt->bt_start, shift)];
			bt->bt_lnext = *head;
			*head = bt;
		}
	}
	vm->vm_hashlist = newtab;
	vm->vm_hashsize = want;
	vm->vm_hashshift = shift;
	vm->vm_rehashing = 0;
	kmem_spin_unlock(&vm->vm_lock);
	if (oldtab != vm->vm_hash0)
		vmem_backend_free(oldtab, round_page(oldsize * sizeof(*oldtab)));
}

/* ------------------------------------------------------------- fitting */

/*
 * Find the lowest a in the segment [bstart, bend] (inclusive) with
 * a % align == phase, [a, a + size - 1] inside [minaddr, maxaddr] and not
 * crossing a multiple of nocross.  The constraints were checked by
 * vmem_xalloc_args().  True and *addrp on success.
 */
VMEM_INLINE bool
vmem_fit(vmem_addr_t bstart, vmem_addr_t bend, vmem_size_t size,
    vmem_size_t align, vmem_size_t phase, vmem_size_t nocross,
    vmem_addr_t minaddr, vmem_addr_t maxaddr, vmem_addr_t *addrp)
{
	vmem_addr_t start, end, a, off, b;

	start = bstart > minaddr ? bstart : minaddr;
	end = bend < maxaddr ? bend : maxaddr;
	if (start > end)
		return (false);
	off = (start - phase) & (align - 1);
	a = off != 0 ? start + (align - off) : start;
	if (a < start)
		return (false);
	if (nocross != 0 && ((a ^ (a + size - 1)) & -nocross) != 0) {
		/*
		 * Next multiple of nocross, plus phase.  Only a range that
		 * wraps at the top (b is 0) crosses when align >= nocross:
		 * a is phase modulo nocross then, and the arguments' check
		 * keeps [phase, phase + size) inside one block.  So here
		 * phase < align < nocross and b + phase cannot wrap.
		 */
		b = (a | (nocross - 1)) + 1;
		if (b == 0)
			return (false);
		a = b + phase;
	}
	if (a > end || end - a < size - 1)
		return (false);
	*addrp = a;
	return (true);
}

/*
 * Find a free segment for the request (arena lock held).  M_FIRSTFIT looks
 * at the head of each list whose every member is big enough; M_BESTFIT
 * (and a first fit that found nothing) walks each list from the request's
 * own class up.  Returns the tag and *addrp, or NULL.
 */
static struct vmem_btag *
vmem_find(vmem_t *vm, vmem_size_t size, vmem_size_t align, vmem_size_t phase,
    vmem_size_t nocross, vmem_addr_t minaddr, vmem_addr_t maxaddr, int strat,
    vmem_addr_t *addrp)
{
	struct vmem_btag *bt;
	u_int first;
	int i;

	vmem_settle(vm);
	if (strat == M_FIRSTFIT) {
		first = vmem_qfirst(size >> vm->vm_quantum_shift);
		for (i = vmem_flnext(vm, first); i >= 0;
		    i = vmem_flnext(vm, (u_int)i + 1)) {
			bt = vm->vm_freelist[i];
			if (vmem_fit(bt->bt_start, BT_END(bt), size, align,
			    phase, nocross, minaddr, maxaddr, addrp))
				return (bt);
		}
	}
	for (i = vmem_flnext(vm, vmem_flclass(vm, size)); i >= 0;
	    i = vmem_flnext(vm, (u_int)i + 1)) {
		for (bt = vm->vm_freelist[i]; bt != NULL; bt = bt->bt_lnext) {
			if (bt->bt_size >= size &&
			    vmem_fit(bt->bt_start, BT_END(bt), size, align,
			    phase, nocross, minaddr, maxaddr, addrp))
				return (bt);
		}
	}
	return (NULL);
}

/* M_NEXTFIT: the first fit at or after the cursor, wrapping once. */
static struct vmem_btag *
vmem_find_nextfit(vmem_t *vm, vmem_size_t size, vmem_size_t align,
    vmem_size_t phase, vmem_size_t nocross, vmem_addr_t *addrp)
{
	struct vmem_btag *bt;

	vmem_settle(vm);
	bt = vm->vm_cursor_bt != NULL ? vm->vm_cursor_bt : vm->vm_seghead;
	for (; bt != NULL; bt = bt->bt_snext)
		if (bt->bt_type == BT_TYPE_FREE && bt->bt_size >= size &&
		    vmem_fit(bt->bt_start, BT_END(bt), size, align, phase,
		    nocross, vm->vm_cursor, VMEM_ADDR_MAX, addrp))
			return (bt);
	for (bt = vm->vm_seghead; bt != NULL; bt = bt->bt_snext)
		if (bt->bt_type == BT_TYPE_FREE && bt->bt_size >= size &&
		    vmem_fit(bt->bt_start, BT_END(bt), size, align, phase,
		    nocross, VMEM_ADDR_MIN, VMEM_ADDR_MAX, addrp))
			return (bt);
	return (NULL);
}

/*
 * Make the first size bytes of the free segment bt busy and return their
 * tag.  Arena lock held, vm_stale settled; needs at most one tag (bt_fill
 * was called).  The rest stays free in bt itself, usually on the same
 * list; if it needs another, defer leaves it where it is as vm_stale (the
 * hot path: its free usually makes it whole again).  Fields are read once
 * and values passed on: every store might alias them for the compiler.
 */
VMEM_INLINE struct vmem_btag *
vmem_carve(vmem_t *vm, struct vmem_btag *bt, vmem_size_t size, bool defer)
{
	struct vmem_btag *nb, *prev;
	vmem_addr_t start;
	vmem_size_t bsize;
	int shift;

	start = bt->bt_start;
	bsize = bt->bt_size;
	if (bsize == size) {
		bt_remfree_raw(vm, bt);
		bt->bt_type = BT_TYPE_BUSY;
		bt_insbusy_at(vm, bt, start, size);
		return (bt);
	}
	shift = vm->vm_quantum_shift;
	nb = bt_alloc_counted(vm);
	nb->bt_type = BT_TYPE_BUSY;
	nb->bt_start = start;
	nb->bt_size = size;
	bsize -= size;
	bt->bt_start = start + size;
	bt->bt_size = bsize;
	/* A free segment always follows its span tag or another segment. */
	prev = bt->bt_sprev;
	nb->bt_sprev = prev;
	nb->bt_snext = bt;
	prev->bt_snext = nb;
	bt->bt_sprev = nb;
	if (defer)
		vm->vm_stale = bt;
	else
		bt_reclass_q(vm, bt, bsize >> shift);
	bt_insbusy_at(vm, nb, start, size);
	return (nb);
}

/*
 * Cut [addr, addr + size) out of the free segment bt and make it busy;
 * returns the busy tag.  Arena lock held; needs at most two tags (bt_fill
 * was called).
 */
static struct vmem_btag *
vmem_clip(vmem_t *vm, struct vmem_btag *bt, vmem_addr_t addr, vmem_size_t size)
{
	struct vmem_btag *nb;

	if (addr == bt->bt_start)
		return (vmem_carve(vm, bt, size, false));
	/* A free head [bt_start, addr) stays; bt goes on from addr. */
	bt_remfree(vm, bt);
	nb = bt_alloc(vm);
	nb->bt_type = BT_TYPE_FREE;
	nb->bt_start = bt->bt_start;
	nb->bt_size = addr - bt->bt_start;
	bt->bt_start = addr;
	bt->bt_size -= nb->bt_size;
	bt_insseg_before(vm, nb, bt);
	bt_insfree(vm, nb);
	if (bt->bt_size != size) {
		nb = bt_alloc(vm);
		nb->bt_type = BT_TYPE_FREE;
		nb->bt_start = addr + size;
		nb->bt_size = bt->bt_size - size;
		bt->bt_size = size;
		bt_insseg_after(vm, nb, bt);
		bt_insfree(vm, nb);
	}
	bt->bt_type = BT_TYPE_BUSY;
	bt_insbusy(vm, bt);
	return (bt);
}

/* ------------------------------------------------------------ spans */

/* True if [addr, addr + size - 1] overlaps a span of vm (lock held). */
static bool
vmem_span_overlaps(const vmem_t *vm, vmem_addr_t addr, vmem_size_t size)
{
	const struct vmem_btag *sp;

	for (sp = vm->vm_spans; sp != NULL; sp = sp->bt_lnext) {
		if (sp->bt_start > addr + size - 1)
			break;
		if (BT_END(sp) >= addr)
			return (true);
	}
	return (false);
}

/*
 * Add the span [addr, addr + size) (arena lock held, two tags available,
 * no overlap).  A static span that directly follows a static span extends
 * it, so the two can coalesce.  Wakes waiters.
 */
static void
vmem_add1(vmem_t *vm, vmem_addr_t addr, vmem_size_t size, int type)
{
	struct vmem_btag **pp, *prevspan, *span, *fb, *last;

	prevspan = NULL;
	pp = &vm->vm_spans;
	while (*pp != NULL && (*pp)->bt_start < addr) {
		prevspan = *pp;
		pp = &(*pp)->bt_lnext;
	}
	if (type == BT_TYPE_SPAN_STATIC && prevspan != NULL &&
	    prevspan->bt_type == BT_TYPE_SPAN_STATIC &&
	    BT_END(prevspan) + 1 == addr) {
		last = *pp != NULL ? (*pp)->bt_sprev : vm->vm_segtail;
		prevspan->bt_size += size;
		if (last->bt_type == BT_TYPE_FREE) {
			bt_remfree(vm, last);
			last->bt_size += size;
			bt_insfree(vm, last);
		} else {
			fb = bt_alloc(vm);
			fb->bt_type = BT_TYPE_FREE;
			fb->bt_start = addr;
			fb->bt_size = size;
			bt_insseg_after(vm, fb, last);
			bt_insfree(vm, fb);
		}
	} else {
		span = bt_alloc(vm);
		span->bt_type = (uint8_t)type;
		span->bt_start = addr;
		span->bt_size = size;
		span->bt_lnext = *pp;
		span->bt_lpprev = pp;
		if (*pp != NULL)
			(*pp)->bt_lpprev = &span->bt_lnext;
		bt_insseg_before(vm, span, *pp);
		*pp = span;
		fb = bt_alloc(vm);
		fb->bt_type = BT_TYPE_FREE;
		fb->bt_start = addr;
		fb->bt_size = size;
		bt_insseg_after(vm, fb, span);
		bt_insfree(vm, fb);
	}
	vm->vm_size += size;
	if (vm->vm_nwaiters != 0)
		md_wakeup(vm);
}

/*
 * Import a span big enough for the request from the source.  Arena lock
 * held; dropped around the import function.  Returns 0 or ENOMEM.
 */
static int
vmem_import(vmem_t *vm, vmem_size_t size, vmem_size_t align,
    vmem_size_t nocross, int flags)
{
	vmem_size_t isize, extra, iq;
	vmem_addr_t addr;
	int error;

	extra = align > vm->vm_quantum_mask + 1 ? align : 0;
	if (nocross > extra)
		extra = nocross;
	isize = size;
	if (extra != 0) {
		if (extra > (VMEM_ADDR_MAX - size) / 2)
			return (ENOMEM);
		isize = size + 2 * extra;
	}
	iq = vm->vm_import_quantum;
	if (iq > 1) {
		if (isize > VMEM_ADDR_MAX - (iq - 1))
			return (ENOMEM);
		isize = (isize + iq - 1) / iq * iq;
	}
	if (vm->vm_limit != 0 && (isize > vm->vm_limit ||
	    vm->vm_size > vm->vm_limit - isize))
		return (ENOMEM);
	kmem_spin_unlock(&vm->vm_lock);
	error = vm->vm_importfn(vm->vm_arg, isize, flags & VMEM_IMPORT_FLAGS,
	    &addr);
	kmem_spin_lock(&vm->vm_lock);
	if (error != 0)
		return (ENOMEM);
	if ((addr & vm->vm_quantum_mask) != 0 || (isize & vm->vm_quantum_mask)
	    != 0 || addr + isize - 1 < addr ||
	    vmem_span_overlaps(vm, addr, isize)) {
		kmem_spin_unlock(&vm->vm_lock);
		panic("vmem_import: arena \"%s\": source gave 0x%lx size 0x%lx, "
		    "misaligned or overlapping a span already present",
		    vm->vm_name, (u_long)addr, (u_long)isize);
	}
	if (bt_fill(vm) != 0) {
		/* No tag to describe it: give the span back. */
		kmem_spin_unlock(&vm->vm_lock);
		if (vm->vm_releasefn != NULL)
			vm->vm_releasefn(vm->vm_arg, addr, isize);
		kmem_spin_lock(&vm->vm_lock);
		return (ENOMEM);
	}
	vmem_add1(vm, addr, isize, BT_TYPE_SPAN);
	return (0);
}

/* True if the free segment t is a whole imported span that can go back. */
VMEM_INLINE bool
vmem_span_idle(const vmem_t *vm, const struct vmem_btag *t)
{
	const struct vmem_btag *sp;

	sp = t->bt_sprev;
	return (sp->bt_type == BT_TYPE_SPAN && sp->bt_size == t->bt_size &&
	    vm->vm_releasefn != NULL);
}

/*
 * Take the wholly free span sp (its one free segment follows it) out of
 * the arena (lock held); the caller releases [*addrp, *addrp + *sizep).
 */
static void
vmem_span_remove(vmem_t *vm, struct vmem_btag *sp, vmem_addr_t *addrp,
    vmem_size_t *sizep)
{
	struct vmem_btag *fb;

	fb = sp->bt_snext;
	*addrp = sp->bt_start;
	*sizep = sp->bt_size;
	bt_remfree(vm, fb);
	bt_remseg(vm, fb);
	bt_remspan(sp);
	bt_remseg(vm, sp);
	vm->vm_size -= *sizep;
}

/*
 * Give back every imported span that is wholly free (arena lock held,
 * dropped around each release).  Used after an allocation that imported,
 * so that spans it imported but did not use do not linger: in an arena
 * with a release function no imported span stays wholly free.
 */
static void
vmem_release_idle(vmem_t *vm)
{
	struct vmem_btag *sp;
	vmem_addr_t a;
	vmem_size_t s;

	if (vm->vm_releasefn == NULL)
		return;
again:
	for (sp = vm->vm_spans; sp != NULL; sp = sp->bt_lnext) {
		/* A span is never empty: a segment follows it. */
		if (sp->bt_snext->bt_type != BT_TYPE_FREE ||
		    !vmem_span_idle(vm, sp->bt_snext))
			continue;
		vmem_span_remove(vm, sp, &a, &s);
		kmem_spin_unlock(&vm->vm_lock);
		vm->vm_releasefn(vm->vm_arg, a, s);
		kmem_spin_lock(&vm->vm_lock);
		goto again;
	}
}

/*
 * Out of space: import, then drain the quantum caches and reclaim, then
 * (M_WAITOK) sleep.  Arena lock held; may be dropped.  Returns true when
 * the caller should search again, false when it should fail.  *nimports
 * counts the spans imported for this request.
 */
static bool
vmem_try_fetch(vmem_t *vm, vmem_size_t size, vmem_size_t align,
    vmem_size_t nocross, int flags, bool windowed, u_int *nimports)
{
	vmem_size_t avail;

	/*
	 * The source cannot be asked for a window: a windowed request
	 * imports once and then relies on what is there.
	 */
	if (vm->vm_importfn != NULL && (!windowed || *nimports == 0) &&
	    vmem_import(vm, size, align, nocross, flags) == 0) {
		(*nimports)++;
		return (true);
	}
	if (vm->vm_qcache_max != 0 || vm->vm_reclaimfn != NULL) {
		avail = vm->vm_size - vm->vm_inuse;
		kmem_spin_unlock(&vm->vm_lock);
		if (vm->vm_qcache_max != 0)
			vmem_drain(vm);
		if (vm->vm_reclaimfn != NULL)
			vm->vm_reclaimfn(vm, flags);
		kmem_spin_lock(&vm->vm_lock);
		if (vm->vm_size - vm->vm_inuse > avail)
			return (true);
	}
	if ((flags & M_NOWAIT) != 0)
		return (false);
	if (md_sleep_would_deadlock()) {
		kmem_spin_unlock(&vm->vm_lock);
		panic("vmem_xalloc: arena \"%s\": M_WAITOK allocation of 0x%lx "
		    "bytes can never succeed: no space, and sleeping would "
		    "deadlock (nothing else can run to free any)",
		    vm->vm_name, (u_long)size);
	}
	/* While anyone waits, frees go to the arena (and wake them). */
	vm->vm_nwaiters++;
	__atomic_store_n(&vm->vm_qfast, 0, __ATOMIC_RELAXED);
	md_sleep(vm, &vm->vm_lock);
	if (--vm->vm_nwaiters == 0)
		__atomic_store_n(&vm->vm_qfast, vm->vm_qcache_max,
		    __ATOMIC_RELAXED);
	return (true);
}

/* ------------------------------------------------------------ allocation */

/* vmem_flags_bad is in vmem_private.h (vmem_alloc checks flags too). */

/*
 * Unconstrained search for vmem_xalloc's fast path (arena lock held).
 * Exact classes are the same for both strategies: the request's own list,
 * else the next non-empty one.  A bigger request takes, for M_FIRSTFIT,
 * the first list whose every member fits, and for M_BESTFIT the first
 * fitting member of its own list.  NULL sends the caller to the full
 * search of vmem_xalloc_slow.
 */
VMEM_INLINE struct vmem_btag *
vmem_find_fast(vmem_t *vm, vmem_size_t size, int strat)
{
	struct vmem_btag *bt;
	vmem_size_t q;
	u_int c;
	int i;

	q = size >> vm->vm_quantum_shift;
	if (q <= VMEM_NEXACT) {
		c = (u_int)q - 1;
		if ((bt = vm->vm_freelist[c]) != NULL)
			return (bt);
	} else if (strat == M_FIRSTFIT)
		c = vmem_qfirst(q) - 1;
	else {
		c = vmem_qclass(q);
		for (bt = vm->vm_freelist[c]; bt != NULL; bt = bt->bt_lnext)
			if (bt->bt_size >= size)
				return (bt);
	}
	i = vmem_flnext(vm, c + 1);
	return (i >= 0 ? vm->vm_freelist[i] : NULL);
}

/*
 * vmem_xalloc's slow path, the general allocator: checks every argument
 * (see kmem/vmem.h for the answers), then under the arena lock searches
 * with the request's strategy and constraints and, when nothing fits,
 * imports, drains the quantum caches and reclaims, and (M_WAITOK) sleeps
 * (vmem_try_fetch).  Spans imported for the request and left unused go
 * back.  Returns 0, EINVAL or ENOMEM; may sleep for M_WAITOK.
 */
static __attribute__((noinline)) int
vmem_xalloc_slow(vmem_t *vm, vmem_size_t size0, vmem_size_t align,
    vmem_size_t phase, vmem_size_t nocross, vmem_addr_t minaddr,
    vmem_addr_t maxaddr, int flags, vmem_addr_t *addrp)
{
	struct vmem_btag *bt;
	vmem_size_t size, qmask;
	vmem_addr_t addr;
	bool grow, notags, windowed;
	u_int nimports;
	int error, strat;

	qmask = vm->vm_quantum_mask;
	if (addrp == NULL || size0 == 0 || vmem_flags_bad(flags))
		return (EINVAL);
	strat = flags & VMEM_FITMASK;
	if (strat == 0)
		strat = M_BESTFIT;
	if (align == 0)
		align = qmask + 1;
	else if (!powerof2(align) || (align & qmask) != 0)
		return (EINVAL);
	if ((phase & qmask) != 0 || phase >= align)
		return (EINVAL);
	if (size0 > VMEM_ADDR_MAX - qmask)
		return (ENOMEM);
	size = (size0 + qmask) & ~qmask;
	if (nocross != 0 && (!powerof2(nocross) || (nocross & qmask) != 0 ||
	    nocross < size || ((phase ^ (phase + size - 1)) & -nocross) != 0))
		return (EINVAL);
	if (minaddr > maxaddr)
		return (EINVAL);
	windowed = minaddr != VMEM_ADDR_MIN || maxaddr != VMEM_ADDR_MAX;
	if (strat == M_NEXTFIT && windowed)
		return (EINVAL);
	if ((windowed || nocross != 0 || phase != 0) && !vmem_fit(minaddr,
	    maxaddr, size, align, phase, nocross, minaddr, maxaddr, &addr))
		return (ENOMEM);

retry:
	nimports = 0;
	vmem_bt_refill_maybe();
	kmem_spin_lock(&vm->vm_lock);
	notags = false;
	for (;;) {
		if (__predict_false(bt_fill(vm) != 0)) {
			notags = true;
			error = ENOMEM;
			break;
		}
		if (strat == M_NEXTFIT)
			bt = vmem_find_nextfit(vm, size, align, phase, nocross,
			    &addr);
		else
			bt = vmem_find(vm, size, align, phase, nocross,
			    minaddr, maxaddr, strat, &addr);
		if (bt != NULL) {
			bt = vmem_clip(vm, bt, addr, size);
			if (strat == M_NEXTFIT) {
				vm->vm_cursor = addr + size;
				vm->vm_cursor_bt = bt;
			}
			*addrp = addr;
			error = 0;
			break;
		}
		if (!vmem_try_fetch(vm, size, align, nocross, flags, windowed,
		    &nimports)) {
			error = ENOMEM;
			break;
		}
	}
	/* Spans imported for this request that it did not use go back. */
	if (__predict_false(nimports != 0))
		vmem_release_idle(vm);
	grow = vmem_hash_grow_wanted(vm);
	kmem_spin_unlock(&vm->vm_lock);
	if (grow)
		vmem_rehash(vm);
	if (notags && (flags & M_NOWAIT) == 0 && vmem_bt_refill_wait())
		goto retry;
	if (notags && (flags & M_NOWAIT) == 0)
		panic("vmem_xalloc: arena \"%s\": out of boundary tags for an "
		    "M_WAITOK allocation of 0x%lx bytes (no backend memory)",
		    vm->vm_name, (u_long)size);
	return (error);
}

/*
 * The arena's fast path: an unconstrained M_FIRSTFIT or M_BESTFIT request
 * with good arguments, the arena lock free, tags at hand, a busy hash with
 * room, and a free list that holds a fitting segment at its head
 * (vmem_find_fast): one hold of the lock, a carve.  Everything else (a
 * busy lock included) is vmem_xalloc_slow.
 */
int
vmem_arena_alloc(vmem_t *vm, vmem_size_t size, int flags, vmem_addr_t *addrp)
{
	struct vmem_btag *bt;
	vmem_size_t qmask, rsize;
	int strat;

	qmask = vm->vm_quantum_mask;
	strat = flags & VMEM_FITMASK;
	if (strat == 0)
		strat = M_BESTFIT;
	if (__predict_true(addrp != NULL && size - 1 < ~qmask &&
	    (flags & (M_NOWAIT | M_WAITOK)) != (M_NOWAIT | M_WAITOK) &&
	    (strat == M_FIRSTFIT || strat == M_BESTFIT)) &&
	    kmem_spin_try(&vm->vm_lock, true)) {
		rsize = (size + qmask) & ~qmask;
		vmem_settle(vm);
		bt = NULL;
		if (__predict_true(vm->vm_nfreetags >= BT_MAXALLOC &&
		    vm->vm_nbusytag < 2 * vm->vm_hashsize) &&
		    (bt = vmem_find_fast(vm, rsize, strat)) != NULL)
			*addrp = vmem_carve(vm, bt, rsize, true)->bt_start;
		if (__predict_false(!kmem_spin_release_mine(&vm->vm_lock)))
			kmem_spin_unlock_bad(&vm->vm_lock);
		if (__predict_true(bt != NULL))
			return (0);
	}
	return (vmem_xalloc_slow(vm, size, 0, 0, 0, VMEM_ADDR_MIN,
	    VMEM_ADDR_MAX, flags, addrp));
}

/* Without constraints, vmem_arena_alloc; else the general allocator. */
int
vmem_xalloc(vmem_t *vm, vmem_size_t size, vmem_size_t align,
    vmem_size_t phase, vmem_size_t nocross, vmem_addr_t minaddr,
    vmem_addr_t maxaddr, int flags, vmem_addr_t *addrp)
{

	if ((align | phase | nocross | minaddr) == 0 &&
	    maxaddr == VMEM_ADDR_MAX)
		return (vmem_arena_alloc(vm, size, flags, addrp));
	return (vmem_xalloc_slow(vm, size, align, phase, nocross, minaddr,
	    maxaddr, flags, addrp));
}

/* ------------------------------------------------------------ freeing */

/*
 * An invalid free, arena lock held: drop it and panic, naming the call
 * (fn), the arena, the address and what was wrong.  bt is the tag found
 * at addr (NULL: none).
 */
void
vmem_free_bad(vmem_t *vm, const char *fn, vmem_addr_t addr, vmem_size_t size,
    const struct vmem_btag *bt)
{
	vmem_size_t bsize;
	bool cached;

	bsize = bt != NULL ? bt->bt_size : 0;
	cached = bt != NULL && bt->bt_round && (atomic_load_explicit(
	    vmem_round_entry(vm, addr), memory_order_relaxed) & 1) != 0;
	kmem_spin_unlock(&vm->vm_lock);
	if (bt == NULL)
		panic("%s: arena \"%s\": 0x%lx (size 0x%lx) is not allocated",
		    fn, vm->vm_name, (u_long)addr, (u_long)size);
	if (cached)
		panic("%s: arena \"%s\": 0x%lx (size 0x%lx) is already free "
		    "(held by the quantum cache): freed twice", fn,
		    vm->vm_name, (u_long)addr, (u_long)size);
	panic("%s: arena \"%s\": 0x%lx freed with size 0x%lx but allocated "
	    "with size 0x%lx", fn, vm->vm_name, (u_long)addr, (u_long)size,
	    (u_long)bsize);
}



/*
 * Free the busy segment bt (*pp links it in the hash; arena lock held)
 * and coalesce it with its free neighbours; returns the free segment that
 * now holds it (on its list).  Tags it frees stay in the arena's cache
 * untrimmed: the caller trims.
 */
VMEM_INLINE struct vmem_btag *
vmem_seg_free(vmem_t *vm, struct vmem_btag *bt, struct vmem_btag **pp)
{
	struct vmem_btag *t, *prev, *next;
	vmem_addr_t addr;
	vmem_size_t rsize, nsize;
	int shift;

	addr = bt->bt_start;
	rsize = bt->bt_size;
	shift = vm->vm_quantum_shift;
	*pp = bt->bt_lnext;
	vm->vm_nbusytag--;
	vm->vm_inuse -= rsize;

	/*
	 * Coalesce into a free neighbour that is already on a list (it then
	 * usually stays on that list); a segment always has a predecessor
	 * (its span tag at least).
	 */
	prev = bt->bt_sprev;
	next = bt->bt_snext;
	if (next != NULL && next->bt_type == BT_TYPE_FREE) {
		nsize = next->bt_size + rsize;
		if (prev->bt_type == BT_TYPE_FREE) {
			bt_remfree(vm, next);
			nsize += prev->bt_size;
			prev->bt_size = nsize;
			bt_remseg_inner(vm, bt);
			bt_unlinkseg(vm, next);
			bt_free_notrim(vm, next);
			t = prev;
		} else {
			next->bt_start = addr;
			next->bt_size = nsize;
			bt_remseg_inner(vm, bt);
			t = next;
		}
	} else if (prev->bt_type == BT_TYPE_FREE) {
		nsize = prev->bt_size + rsize;
		prev->bt_size = nsize;
		bt_unlinkseg(vm, bt);
		bt_free_notrim(vm, bt);
		t = prev;
	} else {
		bt->bt_type = BT_TYPE_FREE;
		bt_insfree_at(vm, bt, vmem_qclass(rsize >> shift));
		return (bt);
	}
	bt_reclass_q(vm, t, nsize >> shift);
	if (t == vm->vm_stale)
		vm->vm_stale = NULL;
	return (t);
}

/*
 * The end of every free that left the fast path (arena lock held on
 * entry, dropped): trim the tag cache, wake waiters, shrink the hash.
 */
static void
vmem_free_done(vmem_t *vm)
{
	bool shrink;

	if (vm->vm_nfreetags > BT_MAXFREE)
		bt_trim(vm, BT_MAXFREE / 2);
	if (vm->vm_nwaiters != 0)
		md_wakeup(vm);
	shrink = vmem_hash_shrink_wanted(vm);
	kmem_spin_unlock(&vm->vm_lock);
	if (shrink)
		vmem_rehash(vm);
}

/*
 * A vmem_xfree of the round bt at addr (arena lock held): take it from its
 * caller (entry QE_OUT to 0, a compare-and-swap against a racing vmem_free)
 * so that it is an ordinary busy segment; if the cache holds it, it was
 * freed already: panic.
 */
static void
vmem_round_unmark(vmem_t *vm, struct vmem_btag *bt, vmem_addr_t addr,
    vmem_size_t size)
{
	u_int w;

	w = QE_OUT((bt->bt_size >> vm->vm_quantum_shift) - 1);
	if (!atomic_compare_exchange_strong_explicit(vmem_round_entry(vm,
	    addr), &w, 0, memory_order_acq_rel, memory_order_relaxed))
		vmem_free_bad(vm, "vmem_xfree", addr, size, bt);
	bt->bt_round = 0;
}

/*
 * vmem_xfree's slow path.  t NULL: take the arena lock (waiting) and free
 * [addr, addr + size) in full: an invalid free panics, a quantum-cache
 * round is first taken from its caller (vmem_round_unmark).  Otherwise
 * the lock is held and t is the free segment the fast path's coalesce
 * left.  Then the rare ends of a free: give t's span back if it is a
 * wholly free imported span, trim the tag cache, wake waiters, shrink the
 * hash.  Drops the lock.
 */
static __attribute__((noinline)) void
vmem_xfree_slow(vmem_t *vm, vmem_addr_t addr, vmem_size_t size,
    struct vmem_btag *t)
{
	struct vmem_btag *bt, **pp;
	vmem_addr_t sa;
	vmem_size_t ss;
	bool rel;

	if (t == NULL) {
		kmem_spin_lock(&vm->vm_lock);
		bt = vmem_busy_lookup(vm, addr, &pp);
		if (!vmem_free_ok(vm, bt, size))
			vmem_free_bad(vm, "vmem_xfree", addr, size, bt);
		if (bt->bt_round)
			vmem_round_unmark(vm, bt, addr, size);
		t = vmem_seg_free(vm, bt, pp);
	}
	rel = vmem_span_idle(vm, t);
	if (rel)
		vmem_span_remove(vm, t->bt_sprev, &sa, &ss);
	vmem_free_done(vm);
	if (rel)
		vm->vm_releasefn(vm->vm_arg, sa, ss);
}

/*
 * The fast path: the arena lock free, a hash lookup, the coalesce, no
 * rare end to see to.  A busy lock, an invalid free (it panics there), a
 * quantum-cache round, an idle span, waiters, a hash to shrink or tags to
 * trim go to vmem_xfree_slow.
 */
void
vmem_xfree(vmem_t *vm, vmem_addr_t addr, vmem_size_t size)
{
	struct vmem_btag *bt, **pp, *t;

	if (__predict_false(!kmem_spin_try(&vm->vm_lock, true))) {
		vmem_xfree_slow(vm, addr, size, NULL);
		return;
	}
	bt = vmem_busy_lookup(vm, addr, &pp);
	if (__predict_false(!vmem_free_ok(vm, bt, size) || bt->bt_round)) {
		/* A bad free or a round: the slow path, from the start. */
		if (__predict_false(!kmem_spin_release_mine(&vm->vm_lock)))
			kmem_spin_unlock_bad(&vm->vm_lock);
		vmem_xfree_slow(vm, addr, size, NULL);
		return;
	}
	t = vmem_seg_free(vm, bt, pp);
	/* Only a coalesce (t != bt) gives tags back to the cache. */
	if (__predict_false(vmem_span_idle(vm, t) || vm->vm_nwaiters != 0 ||
	    vm->vm_nbusytag * 8 < vm->vm_hashsize ||
	    (t != bt && vm->vm_nfreetags > BT_MAXFREE))) {
		vmem_xfree_slow(vm, addr, size, t);
		return;
	}
	if (__predict_false(!kmem_spin_release_mine(&vm->vm_lock)))
		kmem_spin_unlock_bad(&vm->vm_lock);
}

/* ------------------------------------------------------------ rounds */

u_int
vmem_rounds_alloc(vmem_t *vm, vmem_size_t size, vmem_round_t **ents,
    u_int n)
{
	struct vmem_btag *bt;
	vmem_round_t *e;
	vmem_addr_t addr;
	bool imported, grow;
	u_int i, idx;

	imported = false;
	idx = (u_int)((size >> vm->vm_quantum_shift) - 1);
	vmem_bt_refill_maybe();
	kmem_spin_lock(&vm->vm_lock);
	for (i = 0; i < n; i++) {
		if (bt_fill(vm) != 0)
			break;
		bt = vmem_find(vm, size, vm->vm_quantum_mask + 1, 0, 0,
		    VMEM_ADDR_QCACHE_MIN, VMEM_ADDR_MAX, M_FIRSTFIT, &addr);
		if (bt == NULL) {
			if (i == 0 && !imported && vm->vm_importfn != NULL &&
			    vmem_import(vm, size, vm->vm_quantum_mask + 1, 0,
			    M_NOWAIT) == 0) {
				imported = true;
				i--;
				continue;
			}
			break;
		}
		if ((e = vmem_round_entry(vm, addr)) == NULL) {
			if (!vmem_qleaf_add(vm, addr))
				break;
			i--;	/* the lock was dropped: find again */
			continue;
		}
		KASSERT(atomic_load_explicit(e, memory_order_relaxed) == 0,
		    ("vmem_rounds_alloc: arena \"%s\": free 0x%lx has round "
		    "entry 0x%x", vm->vm_name, (u_long)addr,
		    atomic_load_explicit(e, memory_order_relaxed)));
		vmem_clip(vm, bt, addr, size)->bt_round = 1;
		atomic_store_explicit(e, QE_CACHED(idx), memory_order_relaxed);
		ents[i] = e;
	}
	if (imported)
		vmem_release_idle(vm);
	grow = vmem_hash_grow_wanted(vm);
	kmem_spin_unlock(&vm->vm_lock);
	if (grow)
		vmem_rehash(vm);
	return (i);
}

vmem_round_t *
vmem_round_claim(vmem_t *vm, vmem_addr_t addr, vmem_size_t size)
{
	struct vmem_btag *bt, **pp;
	vmem_round_t *e;
	u_int w;

	kmem_spin_lock(&vm->vm_lock);
	bt = vmem_busy_lookup(vm, addr, &pp);
	if (!vmem_free_ok(vm, bt, size))
		vmem_free_bad(vm, "vmem_free", addr, size, bt);
	if (!bt->bt_round) {
		/* Not a round (vmem_alloc used the arena): free it there. */
		vmem_xfree_slow(vm, addr, size, vmem_seg_free(vm, bt, pp));
		return (NULL);
	}
	e = vmem_round_entry(vm, addr);
	w = QE_OUT((bt->bt_size >> vm->vm_quantum_shift) - 1);
	/* Fails only if the entry is QE_CACHED: the cache holds it. */
	if (!atomic_compare_exchange_strong_explicit(e, &w, w | 1,
	    memory_order_acq_rel, memory_order_relaxed))
		vmem_free_bad(vm, "vmem_free", addr, size, bt);
	kmem_spin_unlock(&vm->vm_lock);
	return (e);
}

void
vmem_rounds_free(vmem_t *vm, vmem_round_t *const *ents, u_int n)
{
	struct vmem_btag *bt, **pp, *t;
	vmem_addr_t addr, sa;
	vmem_size_t ss;
	u_int i;

	if (n == 0)
		return;
	kmem_spin_lock(&vm->vm_lock);
	for (i = 0; i < n; i++) {
		addr = vmem_round_addr(vm, ents[i]);
		bt = vmem_busy_lookup(vm, addr, &pp);
		KASSERT(bt != NULL && bt->bt_round && (atomic_load_explicit(
		    ents[i], memory_order_relaxed) & 1) != 0,
		    ("vmem_rounds_free: arena \"%s\": 0x%lx is not a round "
		    "the cache holds", vm->vm_name, (u_long)addr));
		atomic_store_explicit(ents[i], 0, memory_order_relaxed);
		bt->bt_round = 0;
		t = vmem_seg_free(vm, bt, pp);
		if (vmem_span_idle(vm, t)) {
			vmem_span_remove(vm, t->bt_sprev, &sa, &ss);
			kmem_spin_unlock(&vm->vm_lock);
			vm->vm_releasefn(vm->vm_arg, sa, ss);
			kmem_spin_lock(&vm->vm_lock);
		}
	}
	vmem_free_done(vm);
}

int
vmem_add(vmem_t *vm, vmem_addr_t addr, vmem_size_t size, int flags)
{
	int error;

	(void)flags;
	if (size == 0 || ((addr | size) & vm->vm_quantum_mask) != 0 ||
	    addr + size - 1 < addr)
		return (EINVAL);
	vmem_bt_refill_maybe();
	kmem_spin_lock(&vm->vm_lock);
	if (vmem_span_overlaps(vm, addr, size))
		error = EINVAL;
	else if (bt_fill(vm) != 0)
		error = ENOMEM;
	else {
		vmem_add1(vm, addr, size, BT_TYPE_SPAN_STATIC);
		error = 0;
	}
	kmem_spin_unlock(&vm->vm_lock);
	return (error);
}

void
vmem_set_import(vmem_t *vm, vmem_import_t *importfn,
    vmem_release_t *releasefn, void *arg, vmem_size_t import_quantum)
{

	kmem_spin_lock(&vm->vm_lock);
	if (vm->vm_size != 0) {
		kmem_spin_unlock(&vm->vm_lock);
		panic("vmem_set_import: arena \"%s\" is not empty (size "
		    "0x%lx)", vm->vm_name, (u_long)vm->vm_size);
	}
	vm->vm_importfn = importfn;
	vm->vm_releasefn = releasefn;
	vm->vm_arg = arg;
	vm->vm_import_quantum = import_quantum;
	kmem_spin_unlock(&vm->vm_lock);
}

void
vmem_set_limit(vmem_t *vm, vmem_size_t limit)
{

	kmem_spin_lock(&vm->vm_lock);
	vm->vm_limit = limit;
	kmem_spin_unlock(&vm->vm_lock);
}

void
vmem_set_reclaim(vmem_t *vm, vmem_reclaim_t *reclaimfn)
{

	kmem_spin_lock(&vm->vm_lock);
	vm->vm_reclaimfn = reclaimfn;
	kmem_spin_unlock(&vm->vm_lock);
}

void
vmem_set_backend(vmem_backend_alloc_t *allocfn, vmem_backend_free_t *freefn)
{

	vmem_backend_alloc = allocfn;
	vmem_backend_free = freefn;
}

vmem_size_t
vmem_roundup_size(vmem_t *vm, vmem_size_t size)
{

	return ((size + vm->vm_quantum_mask) & ~vm->vm_quantum_mask);
}

/* Give every tag of vm back to the pool (teardown; arena lock held). */
static void
vmem_free_all_tags(vmem_t *vm)
{
	struct vmem_btag *bt, *next;

	for (bt = vm->vm_seghead; bt != NULL; bt = next) {
		next = bt->bt_snext;
		bt->bt_lnext = vm->vm_freetags;
		vm->vm_freetags = bt;
		vm->vm_nfreetags++;
	}
	vm->vm_seghead = vm->vm_segtail = NULL;
	vm->vm_spans = NULL;
	vm->vm_stale = NULL;
	bt_trim(vm, 0);
}

/*
 * Whether vm is a live arena: every arena vmem_init or vmem_create made is
 * on vmem_list until vmem_destroy unlinks it.  Compares pointers only:
 * nothing of vm is read.
 */
static bool
vmem_live(const vmem_t *vm)
{
	const vmem_t *p;

	kmem_spin_lock(&vmem_list_lock);
	for (p = vmem_list; p != NULL && p != vm; p = p->vm_next)
		continue;
	kmem_spin_unlock(&vmem_list_lock);
	return (p != NULL);
}

static vmem_t *
vmem_init1(vmem_t *vm, const char *name, vmem_addr_t base, vmem_size_t size,
    vmem_size_t quantum, vmem_size_t qcache_max, int flags, u_int vmflags)
{
	vmem_size_t nq;
	u_int i;

	if (vm == NULL || quantum == 0 || !powerof2(quantum) ||
	    (qcache_max & (quantum - 1)) != 0)
		return (NULL);
	if (vmem_live(vm))
		panic("vmem_init: arena %p (\"%s\") is live: vmem_destroy "
		    "it first", (void *)vm, vm->vm_name);
	vmem_bootstrap();
	memset(vm, 0, sizeof(*vm));
	kmem_spin_init(&vm->vm_lock, "vmem arena lock");
	if (name == NULL)
		name = "vmem";
	for (i = 0; i < VMEM_NAME_MAX && name[i] != '\0'; i++)
		vm->vm_name[i] = name[i];
	vm->vm_name[i] = '\0';
	vm->vm_flags = vmflags;
	vm->vm_quantum_shift = kmem_flsl(quantum) - 1;
	vm->vm_quantum_mask = quantum - 1;
	vm->vm_import_quantum = quantum;
	nq = qcache_max >> vm->vm_quantum_shift;
	if (nq > VMEM_QCACHE_IDX_MAX)
		nq = VMEM_QCACHE_IDX_MAX;
	vm->vm_qcache_max = nq << vm->vm_quantum_shift;
	vm->vm_qfast = vm->vm_qcache_max;
	vmem_qcache_init(vm);
	vm->vm_hashlist = vm->vm_hash0;
	vm->vm_hashsize = VMEM_HASH0_SIZE;
	vm->vm_hashshift = 64 - VMEM_HASH0_SHIFT;
	if (size != 0 && vmem_add(vm, base, size, flags) != 0) {
		kmem_spin_lock(&vm->vm_lock);
		vmem_free_all_tags(vm);
		kmem_spin_unlock(&vm->vm_lock);
		return (NULL);
	}
	kmem_spin_lock(&vmem_list_lock);
	vm->vm_next = vmem_list;
	vmem_list = vm;
	kmem_spin_unlock(&vmem_list_lock);
	return (vm);
}

vmem_t *
vmem_init(vmem_t *vm, const char *name, vmem_addr_t base, vmem_size_t size,
    vmem_size_t quantum, vmem_size_t qcache_max, int flags)
{

	return (vmem_init1(vm, name, base, size, quantum, qcache_max, flags,
	    0));
}

vmem_t *
vmem_create(const char *name, vmem_addr_t base, vmem_size_t size,
    vmem_size_t quantum, vmem_size_t qcache_max, int flags)
{
	vmem_t *vm, *r;
	u_int i, vmflags;

	vm = NULL;
	vmflags = 0;
	if (vmem_backend_alloc != NULL) {
		vm = vmem_backend_alloc(round_page(sizeof(*vm)),
		    flags & (M_NOWAIT | M_WAITOK));
		vmflags = VMEM_F_BACKEND;
	} else {
		kmem_spin_lock(&vmem_list_lock);
		for (i = 0; i < VMEM_BOOT_ARENAS; i++) {
			if (!vmem_boot_arena_used[i]) {
				vmem_boot_arena_used[i] = true;
				vm = &vmem_boot_arenas[i];
				break;
			}
		}
		kmem_spin_unlock(&vmem_list_lock);
		vmflags = VMEM_F_BOOTPOOL;
	}
	if (vm == NULL)
		return (NULL);
	r = vmem_init1(vm, name, base, size, quantum, qcache_max, flags,
	    vmflags);
	if (r == NULL) {
		if (vmflags == VMEM_F_BACKEND)
			vmem_backend_free(vm, round_page(sizeof(*vm)));
		else {
			kmem_spin_lock(&vmem_list_lock);
			vmem_boot_arena_used[vm - vmem_boot_arenas] = false;
			kmem_spin_unlock(&vmem_list_lock);
		}
	}
	return (r);
}

/*
 * Destroy a live arena.  Anything else (an arena destroyed already, whose
 * storage may be gone, or a pointer that never was one) panics before vm
 * is read.
 */
void
vmem_destroy(vmem_t *vm)
{
	struct vmem_btag *sp, **tab;
	vmem_t **pp;
	vmem_addr_t a;
	vmem_size_t s, tsize;

	if (!vmem_live(vm))
		panic("vmem_destroy: %p is not a live arena (destroyed "
		    "already, or never made)", (void *)vm);
	vmem_drain(vm);
	kmem_spin_lock(&vm->vm_lock);
	if (vm->vm_nbusytag != 0) {
		s = vm->vm_inuse;
		a = vm->vm_nbusytag;
		kmem_spin_unlock(&vm->vm_lock);
		panic("vmem_destroy: arena \"%s\" still has %lu segments "
		    "(0x%lx bytes) allocated", vm->vm_name, (u_long)a,
		    (u_long)s);
	}
	kmem_spin_unlock(&vm->vm_lock);

	kmem_spin_lock(&vmem_list_lock);
	for (pp = &vmem_list; *pp != NULL; pp = &(*pp)->vm_next)
		if (*pp == vm) {
			*pp = vm->vm_next;
			break;
		}
	kmem_spin_unlock(&vmem_list_lock);

	kmem_spin_lock(&vm->vm_lock);
	/* Imported spans go back to their source. */
	while (vm->vm_releasefn != NULL) {
		for (sp = vm->vm_spans; sp != NULL; sp = sp->bt_lnext)
			if (sp->bt_type == BT_TYPE_SPAN)
				break;
		if (sp == NULL)
			break;
		vmem_span_remove(vm, sp, &a, &s);
		kmem_spin_unlock(&vm->vm_lock);
		vm->vm_releasefn(vm->vm_arg, a, s);
		kmem_spin_lock(&vm->vm_lock);
	}
	vmem_free_all_tags(vm);
	tab = vm->vm_hashlist;
	tsize = vm->vm_hashsize;
	vm->vm_hashlist = vm->vm_hash0;
	kmem_spin_unlock(&vm->vm_lock);
	if (tab != vm->vm_hash0)
		vmem_backend_free(tab, round_page(tsize * sizeof(*tab)));
	vmem_qleaf_free_all(vm);
	if ((vm->vm_flags & VMEM_F_BACKEND) != 0)
		vmem_backend_free(vm, round_page(sizeof(*vm)));
	else if ((vm->vm_flags & VMEM_F_BOOTPOOL) != 0) {
		kmem_spin_lock(&vmem_list_lock);
		vmem_boot_arena_used[vm - vmem_boot_arenas] = false;
		kmem_spin_unlock(&vmem_list_lock);
	}
}

vmem_size_t
vmem_size(vmem_t *vm, int typemask)
{
	struct vmem_btag *bt;
	vmem_size_t r;
	int w, top;

	kmem_spin_lock(&vm->vm_lock);
	vmem_settle(vm);
	switch (typemask) {
	case VMEM_ALLOC:
		r = vm->vm_inuse;
		break;
	case VMEM_FREE:
		r = vm->vm_size - vm->vm_inuse;
		break;
	case VMEM_ALLOC | VMEM_FREE:
		r = vm->vm_size;
		break;
	case VMEM_MAXFREE:
		r = 0;
		for (w = VMEM_FLWORDS - 1; w >= 0; w--) {
			if (vm->vm_flbits[w] != 0) {
				top = w * 64 + kmem_flsl(vm->vm_flbits[w]) - 1;
				for (bt = vm->vm_freelist[top]; bt != NULL;
				    bt = bt->bt_lnext)
					if (bt->bt_size > r)
						r = bt->bt_size;
				break;
			}
		}
		break;
	default:
		r = 0;
		break;
	}
	kmem_spin_unlock(&vm->vm_lock);
	return (r);
}

