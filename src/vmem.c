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
 * Quantum caches (Bonwick's magazines): for each cached size an arena has a
 * depot (magazines with rounds and magazines with room, under a spin lock)
 * and, per hart, a loaded and a previous magazine.  A magazine is 256
 * bytes, 256-aligned, and is named by a handle: the address of its next
 * free slot, so the handle alone says where the rounds end and how many
 * there are (handle & 255 is 8 * rounds).  The hart's loaded slot holds
 * the handle; the fast path swaps QC_BUSY into the slot (one atomic swap,
 * acquire), pushes or pops, and stores the moved handle back (release).
 * Whoever swapped a handle out owns the slot and its previous magazine
 * until it stores a handle back, so no interrupt masking is needed: a
 * path that finds QC_BUSY (a drainer holds the slot, or an interrupt
 * stopped the owner) simply uses the arena.  A drainer (vmem_drain, any
 * hart) swaps QC_BUSY in the same way and waits while the owner is inside.
 */
#include <stdio.h>
#include <string.h>

#include <kmem/vmem.h>

#include "kmem_private.h"
#include "vmem_private.h"

#define BT_TYPE_SPAN		VMEM_SEG_SPAN
#define BT_TYPE_SPAN_STATIC	VMEM_SEG_SPAN_STATIC
#define BT_TYPE_FREE		VMEM_SEG_FREE
#define BT_TYPE_BUSY		VMEM_SEG_BUSY

struct vmem_btag {
	struct vmem_btag	*bt_snext;	/* segment list */
	struct vmem_btag	*bt_sprev;
	struct vmem_btag	*bt_lnext;	/* free list, hash or span list */
	struct vmem_btag	**bt_lpprev;	/* free list and span list */
	vmem_addr_t		bt_start;
	vmem_size_t		bt_size;
	uint8_t			bt_type;
	uint8_t			bt_fl;		/* free list index */
};

#define BT_END(bt)	((bt)->bt_start + (bt)->bt_size - 1)

/*
 * Magazines: 256 bytes, 256-aligned, 16 to a page.  A handle is the
 * address of the next free m_obj slot; m_next links handles in the depot
 * and in the magazine pool (0 ends a list).
 */
#define VMEM_MAG_ROUNDS	31
#define VMEM_MAG_SIZE	256
struct vmem_mag {
	vmem_addr_t		m_obj[VMEM_MAG_ROUNDS];
	uintptr_t		m_next;
};
_Static_assert(sizeof(struct vmem_mag) == VMEM_MAG_SIZE, "magazine size");
#define QC_MASK		((uintptr_t)VMEM_MAG_SIZE - 1)
#define QC_FULL		((uintptr_t)VMEM_MAG_ROUNDS * sizeof(vmem_addr_t))
/*
 * Slot values that are not handles (handles are real addresses, far above
 * these): somebody is inside, and no magazine.  In an alloc slot both end
 * in 8 zero bits like an empty magazine; in a free slot both end in 248
 * like a full one; so each fast path has a single test.
 */
#define QC_ABUSY	((uintptr_t)0)
#define QC_ANONE	((uintptr_t)VMEM_MAG_SIZE)
#define QC_FBUSY	QC_FULL
#define QC_FNONE	(QC_FULL + VMEM_MAG_SIZE)

#define QC_MAG(h)	((struct vmem_mag *)(void *)((h) & ~QC_MASK))
#define QC_ROUNDS(h)	((u_int)(((h) & QC_MASK) / sizeof(vmem_addr_t)))

#define VMEM_FITMASK	(M_BESTFIT | M_FIRSTFIT | M_NEXTFIT)
/* Internal: a quantum-cache fill; never drain, reclaim or sleep. */
#define VMEM_I_NODRAIN	0x40000000
#define VMEM_IMPORT_FLAGS (M_NOWAIT | M_WAITOK | M_USE_RESERVE | M_NOVM | \
    M_NORECLAIM)

/* vm_flags */
#define VMEM_F_BACKEND	0x1	/* vmem_create storage from the backend */
#define VMEM_F_BOOTPOOL	0x2	/* vmem_create storage from the boot pool */

/* Tags an operation may need: two to import a span, two to clip. */
#define BT_MAXALLOC	4
#define BT_MAXFREE	32	/* per-arena tag cache high-water mark */
#define VMEM_BOOT_TAGS	512
#define VMEM_BT_LOWAT	96	/* refill the pool below this */
#define VMEM_BOOT_ARENAS 4

#define VMEM_HASH_MIN_SHIFT	9	/* a grown table: at least one page */
#define VMEM_HASH_MAX_SHIFT	20

static vmem_backend_alloc_t *vmem_backend_alloc;
static vmem_backend_free_t *vmem_backend_free;

/* The boundary-tag pool (leaf lock). */
static struct kmem_spin vmem_bt_lock = KMEM_SPIN_INITIALIZER("vmem btag pool");
static struct vmem_btag *vmem_bt_pool;
static atomic_ulong vmem_bt_npool;
static bool vmem_bt_booted;
static atomic_uint vmem_bt_refilling;
static struct vmem_btag vmem_boot_tags[VMEM_BOOT_TAGS];

/* The magazine pool (leaf lock): handles of empty magazines. */
static struct kmem_spin vmem_mag_lock = KMEM_SPIN_INITIALIZER("vmem mag pool");
static uintptr_t vmem_mag_pool;

/* Every arena, and vmem_create's boot storage. */
static struct kmem_spin vmem_list_lock = KMEM_SPIN_INITIALIZER("vmem list");
static struct vmem *vmem_list;
static struct vmem vmem_boot_arenas[VMEM_BOOT_ARENAS];
static bool vmem_boot_arena_used[VMEM_BOOT_ARENAS];

static void vmem_xfree_batch(vmem_t *vm, const vmem_addr_t *addrs, u_int n,
    vmem_size_t size);

/* ------------------------------------------------------------ bit scans */

static const uint8_t vmem_debruijn[64] = {
	0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4,
	62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
	63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
	46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6,
};

/* Index of the lowest set bit of x != 0 (isolate, multiply, look up). */
static inline u_int
vmem_ctz(unsigned long x)
{

	return (vmem_debruijn[((x & -x) * 0x03f79d71b4cb0a89UL) >> 58]);
}

/* fls of a byte: 1-based index of its highest set bit (0 for 0). */
static const uint8_t vmem_fls8[256] = {
	0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4,
	5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
	8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,
};

/* 1-based index of the highest set bit of x != 0: three tests, a look-up. */
static inline u_int
vmem_fls(unsigned long x)
{
	u_int n;

	n = 0;
	if (x >> 32 != 0) {
		x >>= 32;
		n = 32;
	}
	if (x >> 16 != 0) {
		x >>= 16;
		n += 16;
	}
	if (x >> 8 != 0) {
		x >>= 8;
		n += 8;
	}
	return (n + vmem_fls8[x]);
}

/* ------------------------------------------------------------ free lists */

/*
 * The list of a free segment of q quanta: q - 1 for the exact classes,
 * then class 64 for 65..127 quanta and one class per power of two above.
 */
static inline u_long
vmem_qclass(vmem_size_t q)
{

	if (q <= VMEM_NEXACT)
		return (q - 1);
	return (VMEM_NEXACT - 7 + vmem_fls(q));
}

static inline u_long
vmem_flclass(const vmem_t *vm, vmem_size_t size)
{

	return (vmem_qclass(size >> vm->vm_quantum_shift));
}

/* True if a segment of q quanta belongs on list c. */
static inline bool
vmem_qinclass(vmem_size_t q, u_long c)
{

	if (c > VMEM_NEXACT)
		return ((q >> (c - VMEM_NEXACT + 6)) == 1);
	if (c == VMEM_NEXACT)
		return (q > VMEM_NEXACT && q < 2 * VMEM_NEXACT);
	return (q == c + 1);
}

/* The first list all of whose members are at least q quanta (instant fit). */
static inline u_int
vmem_qfirst(vmem_size_t q)
{
	u_int c;

	if (q <= VMEM_NEXACT)
		return ((u_int)q - 1);
	c = VMEM_NEXACT - 7 + vmem_fls(q);
	/* Only a class's smallest size has every member fit. */
	if (c == VMEM_NEXACT ? q == VMEM_NEXACT + 1 : (q & (q - 1)) == 0)
		return (c);
	return (c + 1);
}

/* The first non-empty free list at or above idx, or -1 (two bitmap words). */
_Static_assert(VMEM_FLWORDS == 2, "vmem_flnext scans two words");
static inline int
vmem_flnext(const vmem_t *vm, u_int idx)
{
	unsigned long bits;

	if (idx < 64) {
		bits = vm->vm_flbits[0] & (~0UL << idx);
		if (bits != 0)
			return ((int)vmem_ctz(bits));
		idx = 64;
	} else if (idx >= 128)
		return (-1);
	bits = vm->vm_flbits[1] & (~0UL << (idx - 64));
	return (bits != 0 ? (int)(64 + vmem_ctz(bits)) : -1);
}

/* Put the free segment bt at the head of list fl. */
static inline void
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

static inline void
bt_insfree(vmem_t *vm, struct vmem_btag *bt)
{

	bt_insfree_at(vm, bt, vmem_flclass(vm, bt->bt_size));
}

/* Take bt off its list; the caller knows it is not vm_stale. */
static inline void
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

static inline void
bt_remfree(vmem_t *vm, struct vmem_btag *bt)
{

	if (__predict_false(bt == vm->vm_stale))
		vm->vm_stale = NULL;
	bt_remfree_raw(vm, bt);
}

/*
 * Move the free segment bt from list ofl to list fl, both below 64: one
 * bitmap word, read and written once.
 */
static inline void
bt_move0(vmem_t *vm, struct vmem_btag *bt, u_long ofl, u_long fl)
{
	struct vmem_btag **head, *first;
	unsigned long bits;

	*bt->bt_lpprev = bt->bt_lnext;
	if (bt->bt_lnext != NULL)
		bt->bt_lnext->bt_lpprev = bt->bt_lpprev;
	bits = vm->vm_flbits[0];
	if (vm->vm_freelist[ofl] == NULL)
		bits &= ~(1UL << ofl);
	bt->bt_fl = (uint8_t)fl;
	head = &vm->vm_freelist[fl];
	first = *head;
	bt->bt_lnext = first;
	bt->bt_lpprev = head;
	*head = bt;
	if (first != NULL)
		first->bt_lpprev = &bt->bt_lnext;
	bits |= 1UL << fl;
	vm->vm_flbits[0] = bits;
}

/*
 * The list a free segment of q quanta now on list ofl belongs on, or -1
 * if ofl still holds it (a big segment usually stays in its class).
 */
static inline long
bt_newclass(vmem_size_t q, u_long ofl)
{
	u_long fl;

	if (q <= VMEM_NEXACT)
		fl = q - 1;
	else if (vmem_qinclass(q, ofl))
		return (-1);
	else
		fl = vmem_qclass(q);
	return (fl == ofl ? -1 : (long)fl);
}

/*
 * The free segment bt now has q quanta: move it to its new list unless
 * it still belongs on the one it is on.  Leaves bt correctly filed, so
 * the caller clears vm_stale if bt was it.
 */
static inline __attribute__((always_inline)) void
bt_reclass_q(vmem_t *vm, struct vmem_btag *bt, vmem_size_t q)
{
	u_long ofl;
	long fl;

	ofl = bt->bt_fl;
	fl = bt_newclass(q, ofl);
	if (fl < 0)
		return;
	if (fl < 64 && ofl < 64) {
		bt_move0(vm, bt, ofl, (u_long)fl);
		return;
	}
	bt_remfree_raw(vm, bt);
	bt_insfree_at(vm, bt, (u_long)fl);
}

/* File vm_stale where it belongs (arena lock held). */
static inline __attribute__((always_inline)) void
vmem_settle(vmem_t *vm)
{
	struct vmem_btag *bt;

	bt = vm->vm_stale;
	if (__predict_true(bt == NULL))
		return;
	vm->vm_stale = NULL;
	bt_reclass_q(vm, bt, bt->bt_size >> vm->vm_quantum_shift);
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
	p = vmem_backend_alloc(PAGE_SIZE, M_NOWAIT);
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
		kmem_spin_unlock(&vmem_bt_lock);
	}
	atomic_store(&vmem_bt_refilling, 0);
}

static inline void
vmem_bt_refill_maybe(void)
{

	if (__predict_false(atomic_load_explicit(&vmem_bt_npool,
	    memory_order_relaxed) < VMEM_BT_LOWAT))
		vmem_bt_refill();
}

/*
 * Make sure the arena holds BT_MAXALLOC tags.  Arena lock held; takes the
 * pool lock (a leaf).  Returns ENOMEM if the pool is empty.
 */
static int
bt_fill_slow(vmem_t *vm)
{
	struct vmem_btag *bt;

	kmem_spin_lock(&vmem_bt_lock);
	while (vm->vm_nfreetags < 2 * BT_MAXALLOC &&
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

static inline int
bt_fill(vmem_t *vm)
{

	if (__predict_true(vm->vm_nfreetags >= BT_MAXALLOC))
		return (0);
	return (bt_fill_slow(vm));
}

static inline struct vmem_btag *
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
static inline struct vmem_btag *
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
static inline void
bt_free_notrim(vmem_t *vm, struct vmem_btag *bt)
{

	bt->bt_lnext = vm->vm_freetags;
	vm->vm_freetags = bt;
	vm->vm_nfreetags++;
}

static inline void
bt_free(vmem_t *vm, struct vmem_btag *bt)
{

	bt_free_notrim(vm, bt);
	if (__predict_false(vm->vm_nfreetags > BT_MAXFREE))
		bt_trim(vm, BT_MAXFREE / 2);
}

/* ------------------------------------------------------------ arena lock */

/*
 * A cold function the hot paths leave through with a tail call: it never
 * returns, but must not be known to, or GCC would call it (saving ra) and
 * the hot path would need a stack frame.  noipa stops GCC inferring that;
 * compilers without it only pay a frame on the host.
 */
#if defined(__has_attribute)
#if __has_attribute(noipa)
#define VMEM_TAILCALLED	__attribute__((noipa, cold))
#endif
#endif
#ifndef VMEM_TAILCALLED
#define VMEM_TAILCALLED	__attribute__((noinline, cold))
#endif

/* vmem_alloc_arena's one-test strategy check relies on these values. */
_Static_assert(M_BESTFIT == 2 * M_FIRSTFIT && M_NEXTFIT > M_BESTFIT &&
    powerof2(M_NEXTFIT), "fit strategy flags");

/* The arena lock without waiting (arena locks are never per-hart). */
#define vmem_trylock(vm)	kmem_spin_trylock_inl(&(vm)->vm_lock, true)
#define vmem_unlock_ok(vm)	kmem_spin_unlock_ok_inl(&(vm)->vm_lock)

/* Panics (kmem_spin_unlock's message), reached by a tail call. */
static VMEM_TAILCALLED int
vmem_unlock_bad(vmem_t *vm)
{

	kmem_spin_unlock_bad(&vm->vm_lock);
}

/* ------------------------------------------------------------ segment list */

static inline void
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

static inline void
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
static inline void
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
static inline void
bt_remseg(vmem_t *vm, struct vmem_btag *bt)
{

	bt_unlinkseg(vm, bt);
	bt_free(vm, bt);
}

/*
 * Unlink a segment that has a successor from the segment list (it always
 * has a predecessor: its span tag at least) and cache its tag untrimmed.
 */
static inline void
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

static inline void
bt_remspan(struct vmem_btag *span)
{

	*span->bt_lpprev = span->bt_lnext;
	if (span->bt_lnext != NULL)
		span->bt_lnext->bt_lpprev = span->bt_lpprev;
}

/* ------------------------------------------------------------ busy hash */

/*
 * Fibonacci hashing of the address itself: the bucket is the top bits of
 * addr * 2^64/phi.  Quantum alignment only zeroes low bits of addr, which
 * moves the bits taken down the product by log2(quantum) places, still
 * well inside its mixed high half; so no shift by the quantum is needed.
 */
#define VMEM_GOLDEN	0x9e3779b97f4a7c15UL

static inline size_t
bt_hashidx(vmem_addr_t addr, u_int shift)
{

	return ((size_t)((addr * VMEM_GOLDEN) >> shift));
}

static inline struct vmem_btag **
bt_hashhead(const vmem_t *vm, vmem_addr_t addr)
{

	return (&vm->vm_hashlist[bt_hashidx(addr, vm->vm_hashshift)]);
}

/* Hash the busy tag bt of [start, start + size) (values passed in). */
static inline void
bt_insbusy_at(vmem_t *vm, struct vmem_btag *bt, vmem_addr_t start,
    vmem_size_t size)
{
	struct vmem_btag **head;

	head = bt_hashhead(vm, start);
	bt->bt_lnext = *head;
	*head = bt;
	vm->vm_nbusytag++;
	vm->vm_inuse += size;
}

static inline void
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
static inline bool
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
		/* Next multiple of nocross, plus phase (align < nocross). */
		b = (a | (nocross - 1)) + 1;
		if (b == 0)
			return (false);
		a = b + phase;
		if (a < b)
			return (false);
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
static inline __attribute__((always_inline)) struct vmem_btag *
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
	bt_remfree(vm, bt);
	if (addr != bt->bt_start) {
		nb = bt_alloc(vm);
		nb->bt_type = BT_TYPE_FREE;
		nb->bt_start = bt->bt_start;
		nb->bt_size = addr - bt->bt_start;
		bt->bt_start = addr;
		bt->bt_size -= nb->bt_size;
		bt_insseg_before(vm, nb, bt);
		bt_insfree(vm, nb);
	}
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

/*
 * Give back every imported span that is wholly free (arena lock held,
 * dropped around each release).  Used after an allocation that imported,
 * so that spans it imported but did not use do not linger: in an arena
 * with a release function no imported span stays wholly free.
 */
static void
vmem_release_idle(vmem_t *vm)
{
	struct vmem_btag *sp, *fb;
	vmem_addr_t a;
	vmem_size_t s;

	if (vm->vm_releasefn == NULL)
		return;
again:
	for (sp = vm->vm_spans; sp != NULL; sp = sp->bt_lnext) {
		fb = sp->bt_snext;
		if (sp->bt_type != BT_TYPE_SPAN || fb == NULL ||
		    fb->bt_type != BT_TYPE_FREE || fb->bt_size != sp->bt_size)
			continue;
		a = sp->bt_start;
		s = sp->bt_size;
		bt_remfree(vm, fb);
		bt_remseg(vm, fb);
		bt_remspan(sp);
		bt_remseg(vm, sp);
		vm->vm_size -= s;
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
	if ((flags & VMEM_I_NODRAIN) != 0)
		return (false);
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

static inline bool
vmem_flags_bad(int flags)
{
	int strat;

	strat = flags & VMEM_FITMASK;
	return ((flags & (M_NOWAIT | M_WAITOK)) == (M_NOWAIT | M_WAITOK) ||
	    (strat & (strat - 1)) != 0);
}

/*
 * Check vmem_xalloc's arguments; on success *sizep is the rounded size,
 * *alignp the effective alignment, *stratp the fit strategy.
 */
static int
vmem_xalloc_args(const vmem_t *vm, vmem_size_t size0, vmem_size_t *alignp,
    vmem_size_t phase, vmem_size_t nocross, vmem_addr_t minaddr,
    vmem_addr_t maxaddr, int flags, vmem_addr_t *addrp, vmem_size_t *sizep,
    int *stratp)
{
	vmem_size_t size, align, qmask;
	vmem_addr_t a;
	int strat;

	qmask = vm->vm_quantum_mask;
	if (addrp == NULL || size0 == 0 || vmem_flags_bad(flags))
		return (EINVAL);
	strat = flags & VMEM_FITMASK;
	if (strat == 0)
		strat = M_BESTFIT;
	align = *alignp;
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
	if (strat == M_NEXTFIT && (minaddr != VMEM_ADDR_MIN ||
	    maxaddr != VMEM_ADDR_MAX))
		return (EINVAL);
	if ((minaddr != VMEM_ADDR_MIN || maxaddr != VMEM_ADDR_MAX ||
	    nocross != 0 || phase != 0) && !vmem_fit(minaddr, maxaddr, size,
	    align, phase, nocross, minaddr, maxaddr, &a))
		return (ENOMEM);
	*alignp = align;
	*sizep = size;
	*stratp = strat;
	return (0);
}

/*
 * The allocator proper, arguments checked.  Takes the arena lock; may
 * sleep for M_WAITOK.  Returns 0 or ENOMEM.
 */
static __attribute__((noinline)) int
vmem_xalloc1(vmem_t *vm, vmem_size_t size, vmem_size_t align,
    vmem_size_t phase, vmem_size_t nocross, vmem_addr_t minaddr,
    vmem_addr_t maxaddr, int flags, int strat, vmem_addr_t *addrp)
{
	struct vmem_btag *bt;
	vmem_addr_t addr;
	bool grow, notags, windowed;
	u_int nimports;
	int error;

	windowed = minaddr != VMEM_ADDR_MIN || maxaddr != VMEM_ADDR_MAX;
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
	grow = __predict_false(vm->vm_nbusytag > 2 * vm->vm_hashsize) &&
	    vmem_hash_want(vm) != 0;
	kmem_spin_unlock(&vm->vm_lock);
	if (grow)
		vmem_rehash(vm);
	if (notags && (flags & (M_NOWAIT | VMEM_I_NODRAIN)) == 0)
		panic("vmem_xalloc: arena \"%s\": out of boundary tags for an "
		    "M_WAITOK allocation of 0x%lx bytes (no backend memory)",
		    vm->vm_name, (u_long)size);
	return (error);
}

/*
 * Unconstrained search for vmem_alloc (arena lock held).  Exact classes
 * are the same for both strategies: the request's own list, else the next
 * non-empty one.  A bigger request takes, for M_FIRSTFIT, the first list
 * whose every member fits, and for M_BESTFIT the first fitting member of
 * its own list.  NULL sends the caller to vmem_find's full search.
 */
static inline __attribute__((always_inline)) struct vmem_btag *
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

/* vmem_alloc_arena's way out: the full search, imports, sleeping. */
static __attribute__((noinline)) int
vmem_alloc_arena_slow(vmem_t *vm, vmem_size_t size, int flags, int strat,
    vmem_addr_t *addrp)
{

	return (vmem_xalloc1(vm, size, vm->vm_quantum_mask + 1, 0, 0,
	    VMEM_ADDR_MIN, VMEM_ADDR_MAX, flags, strat, addrp));
}

/* An allocation succeeded and the hash wants to grow (lock held, dropped). */
static __attribute__((noinline)) int
vmem_alloc_grow(vmem_t *vm)
{
	bool grow;

	grow = vmem_hash_want(vm) != 0;
	kmem_spin_unlock(&vm->vm_lock);
	if (grow)
		vmem_rehash(vm);
	return (0);
}

/*
 * The quick unconstrained allocation with the arena lock held (dropped on
 * return): the quick search and a carve, else vmem_xalloc1.
 */
static inline __attribute__((always_inline)) int
vmem_alloc_arena_locked(vmem_t *vm, vmem_size_t size, int flags, int strat,
    vmem_addr_t *addrp)
{
	struct vmem_btag *bt;

	vmem_settle(vm);
	if (__predict_true(vm->vm_nfreetags >= BT_MAXALLOC) &&
	    (bt = vmem_find_fast(vm, size, strat)) != NULL) {
		*addrp = vmem_carve(vm, bt, size, true)->bt_start;
		if (__predict_false(vm->vm_nbusytag > 2 * vm->vm_hashsize))
			return (vmem_alloc_grow(vm));
		if (__predict_false(!vmem_unlock_ok(vm)))
			return (vmem_unlock_bad(vm));
		return (0);
	}
	if (__predict_false(!vmem_unlock_ok(vm)))
		return (vmem_unlock_bad(vm));
	return (vmem_alloc_arena_slow(vm, size, flags & ~VMEM_I_NODRAIN, strat,
	    addrp));
}

/* vmem_alloc_arena found the lock held: wait for it, then as usual. */
static __attribute__((noinline)) int
vmem_alloc_arena_wait(vmem_t *vm, vmem_size_t size, int flags, int strat,
    vmem_addr_t *addrp)
{

	kmem_spin_lock(&vm->vm_lock);
	return (vmem_alloc_arena_locked(vm, size, flags, strat, addrp));
}

/*
 * vmem_alloc_arena with its arguments not yet checked: the answers for bad
 * input, and the strategies the hot path leaves here (none given, which
 * means M_BESTFIT, and M_NEXTFIT).
 */
static __attribute__((noinline)) int
vmem_alloc_arena_args(vmem_t *vm, vmem_size_t size, int flags,
    vmem_addr_t *addrp)
{
	vmem_size_t qmask;
	int strat;

	qmask = vm->vm_quantum_mask;
	if (addrp == NULL || size == 0 || vmem_flags_bad(flags))
		return (EINVAL);
	if (size > VMEM_ADDR_MAX - qmask)
		return (ENOMEM);
	size = (size + qmask) & ~qmask;
	strat = flags & VMEM_FITMASK;
	flags &= ~VMEM_I_NODRAIN;
	if (strat == M_NEXTFIT)
		return (vmem_alloc_arena_slow(vm, size, flags, strat, addrp));
	if (strat == 0)
		strat = M_BESTFIT;
	kmem_spin_lock(&vm->vm_lock);
	return (vmem_alloc_arena_locked(vm, size, flags, strat, addrp));
}

/*
 * vmem_alloc from the arena: one lock hold, no call and no stack frame in
 * the common case.  Bad input, a strategy other than M_FIRSTFIT or
 * M_BESTFIT, and a busy lock go to out-of-line twins; a request the quick
 * search cannot place (or an arena out of tags) goes to vmem_xalloc1.
 */
static __attribute__((noinline)) int
vmem_alloc_arena(vmem_t *vm, vmem_size_t size, int flags, vmem_addr_t *addrp)
{
	vmem_size_t qmask;
	u_int strat;

	qmask = vm->vm_quantum_mask;
	strat = (u_int)flags & VMEM_FITMASK;
	/*
	 * One test for each: addrp, a size of 0 or one that would wrap when
	 * rounded, M_NOWAIT | M_WAITOK, and the strategy (M_FIRSTFIT or
	 * M_BESTFIT alone: the only strat with strat - M_FIRSTFIT <=
	 * M_BESTFIT - M_FIRSTFIT, unsigned).
	 */
	if (__predict_false(addrp == NULL || size - 1 >= ~qmask ||
	    (flags & (M_NOWAIT | M_WAITOK)) == (M_NOWAIT | M_WAITOK) ||
	    strat - M_FIRSTFIT > M_BESTFIT - M_FIRSTFIT))
		return (vmem_alloc_arena_args(vm, size, flags, addrp));
	size = (size + qmask) & ~qmask;
	if (__predict_false(!vmem_trylock(vm)))
		return (vmem_alloc_arena_wait(vm, size, flags, (int)strat,
		    addrp));
	return (vmem_alloc_arena_locked(vm, size, flags, (int)strat, addrp));
}

int
vmem_xalloc(vmem_t *vm, vmem_size_t size0, vmem_size_t align,
    vmem_size_t phase, vmem_size_t nocross, vmem_addr_t minaddr,
    vmem_addr_t maxaddr, int flags, vmem_addr_t *addrp)
{
	vmem_size_t size;
	int error, strat;

	if ((align | phase | nocross | minaddr) == 0 &&
	    maxaddr == VMEM_ADDR_MAX)
		return (vmem_alloc_arena(vm, size0, flags, addrp));
	error = vmem_xalloc_args(vm, size0, &align, phase, nocross, minaddr,
	    maxaddr, flags, addrp, &size, &strat);
	if (error != 0)
		return (error);
	return (vmem_xalloc1(vm, size, align, phase, nocross, minaddr, maxaddr,
	    flags & ~VMEM_I_NODRAIN, strat, addrp));
}

/* An invalid free (arena lock held): drop the lock and say what was wrong. */
static __attribute__((noinline, cold)) __kmem_noreturn void
vmem_xfree_bad(vmem_t *vm, vmem_addr_t addr, vmem_size_t size,
    const struct vmem_btag *bt)
{
	vmem_size_t bsize;

	bsize = bt != NULL ? bt->bt_size : 0;
	kmem_spin_unlock(&vm->vm_lock);
	if (bt == NULL)
		panic("vmem_xfree: arena \"%s\": 0x%lx (size 0x%lx) is not "
		    "allocated", vm->vm_name, (u_long)addr, (u_long)size);
	panic("vmem_xfree: arena \"%s\": 0x%lx freed with size 0x%lx "
	    "but allocated with size 0x%lx", vm->vm_name, (u_long)addr,
	    (u_long)size, (u_long)bsize);
}

/*
 * The busy segment at addr for a free of size bytes (arena lock held): its
 * tag, and in *ppp the hash link that points at it.  NULL if the free is
 * invalid (*ppp then points at the tag found at addr, or at NULL).
 */
static inline __attribute__((always_inline)) struct vmem_btag *
vmem_xfree_lookup(vmem_t *vm, vmem_addr_t addr, vmem_size_t size,
    struct vmem_btag ***ppp)
{
	struct vmem_btag *bt, **pp;

	pp = bt_hashhead(vm, addr);
	while ((bt = *pp) != NULL && bt->bt_start != addr)
		pp = &bt->bt_lnext;
	*ppp = pp;
	/*
	 * size rounds up to bt_size iff bt_size - size <= quantum - 1
	 * (unsigned; bt_size is a multiple of the quantum): one test that
	 * also refuses size 0.
	 */
	if (__predict_false(bt == NULL ||
	    bt->bt_size - size > vm->vm_quantum_mask))
		return (NULL);
	return (bt);
}

/*
 * Free the busy segment bt (*pp links it in the hash; arena lock held)
 * and coalesce it with its free neighbours; returns the free segment that
 * now holds it (on its list).  Tags it frees stay in the arena's cache
 * untrimmed: the caller trims.
 */
static inline __attribute__((always_inline)) struct vmem_btag *
vmem_xfree_seg(vmem_t *vm, struct vmem_btag *bt, struct vmem_btag **pp)
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
		bt_reclass_q(vm, t, nsize >> shift);
		if (t == vm->vm_stale)
			vm->vm_stale = NULL;
	} else if (prev->bt_type == BT_TYPE_FREE) {
		nsize = prev->bt_size + rsize;
		prev->bt_size = nsize;
		bt_unlinkseg(vm, bt);
		bt_free_notrim(vm, bt);
		t = prev;
		bt_reclass_q(vm, t, nsize >> shift);
		if (t == vm->vm_stale)
			vm->vm_stale = NULL;
	} else {
		bt->bt_type = BT_TYPE_FREE;
		bt_insfree_at(vm, bt, vmem_qclass(rsize >> shift));
		t = bt;
	}
	return (t);
}

/* vmem_xfree_bad for the hot path, reached by a tail call. */
static VMEM_TAILCALLED void
vmem_xfree_bad_tail(vmem_t *vm, vmem_addr_t addr, vmem_size_t size,
    const struct vmem_btag *bt)
{

	vmem_xfree_bad(vm, addr, size, bt);
}

/*
 * Free one busy segment (arena lock held) and coalesce it with its free
 * neighbours; returns the free segment that now holds it (on its list).
 * Tags it frees stay in the arena's cache untrimmed: the caller trims.
 * Panics (after dropping the lock) on an invalid free.
 */
static inline __attribute__((always_inline)) struct vmem_btag *
vmem_xfree_locked(vmem_t *vm, vmem_addr_t addr, vmem_size_t size)
{
	struct vmem_btag *bt, **pp;

	bt = vmem_xfree_lookup(vm, addr, size, &pp);
	if (__predict_false(bt == NULL))
		vmem_xfree_bad(vm, addr, size, *pp);
	return (vmem_xfree_seg(vm, bt, pp));
}

/* True if the free segment t is a whole imported span that can go back. */
static inline bool
vmem_span_idle(const vmem_t *vm, const struct vmem_btag *t)
{
	const struct vmem_btag *sp;

	sp = t->bt_sprev;
	return (sp->bt_type == BT_TYPE_SPAN && sp->bt_size == t->bt_size &&
	    vm->vm_releasefn != NULL);
}

/*
 * Take the wholly free imported span holding free segment t out of the
 * arena (lock held); the caller releases [*addrp, *addrp + *sizep).
 */
static void
vmem_span_remove(vmem_t *vm, struct vmem_btag *t, vmem_addr_t *addrp,
    vmem_size_t *sizep)
{
	struct vmem_btag *sp;

	sp = t->bt_sprev;
	*addrp = sp->bt_start;
	*sizep = sp->bt_size;
	bt_remfree(vm, t);
	bt_remseg(vm, t);
	bt_remspan(sp);
	bt_remseg(vm, sp);
	vm->vm_size -= *sizep;
}

static inline bool
vmem_hash_shrink_wanted(const vmem_t *vm)
{

	return (__predict_false(vm->vm_nbusytag * 8 < vm->vm_hashsize) &&
	    vm->vm_hashsize > VMEM_HASH0_SIZE && vmem_hash_want(vm) != 0);
}

/*
 * The rare ends of a free (arena lock held on entry, dropped): trim the
 * tag cache, give an idle imported span back, wake waiters, shrink the
 * hash.
 */
static __attribute__((noinline)) void
vmem_xfree_finish(vmem_t *vm, struct vmem_btag *t)
{
	vmem_addr_t sa;
	vmem_size_t ss;
	bool rel, shrink;

	rel = vmem_span_idle(vm, t);
	if (rel)
		vmem_span_remove(vm, t, &sa, &ss);
	if (vm->vm_nfreetags > BT_MAXFREE)
		bt_trim(vm, BT_MAXFREE / 2);
	if (vm->vm_nwaiters != 0)
		md_wakeup(vm);
	shrink = vmem_hash_shrink_wanted(vm);
	kmem_spin_unlock(&vm->vm_lock);
	if (rel)
		vm->vm_releasefn(vm->vm_arg, sa, ss);
	if (shrink)
		vmem_rehash(vm);
}

/* vmem_xfree with the arena lock held (dropped on return). */
static inline __attribute__((always_inline)) void
vmem_xfree_locked_unlock(vmem_t *vm, vmem_addr_t addr, vmem_size_t size)
{
	struct vmem_btag *bt, **pp, *t;

	bt = vmem_xfree_lookup(vm, addr, size, &pp);
	if (__predict_false(bt == NULL)) {
		vmem_xfree_bad_tail(vm, addr, size, *pp);
		return;
	}
	t = vmem_xfree_seg(vm, bt, pp);
	/* Only a coalesce (t != bt) gives tags back to the cache. */
	if (__predict_false(vmem_span_idle(vm, t) || vm->vm_nwaiters != 0 ||
	    vm->vm_nbusytag * 8 < vm->vm_hashsize ||
	    (t != bt && vm->vm_nfreetags > BT_MAXFREE))) {
		vmem_xfree_finish(vm, t);
		return;
	}
	if (__predict_false(!vmem_unlock_ok(vm)))
		vmem_unlock_bad(vm);
}

/* vmem_xfree found the lock held: wait for it, then as usual. */
static __attribute__((noinline)) void
vmem_xfree_wait(vmem_t *vm, vmem_addr_t addr, vmem_size_t size)
{

	kmem_spin_lock(&vm->vm_lock);
	vmem_xfree_locked_unlock(vm, addr, size);
}

/* No call and no stack frame in the common case (see vmem_trylock). */
void
vmem_xfree(vmem_t *vm, vmem_addr_t addr, vmem_size_t size)
{

	if (__predict_false(!vmem_trylock(vm))) {
		vmem_xfree_wait(vm, addr, size);
		return;
	}
	vmem_xfree_locked_unlock(vm, addr, size);
}

/* Free n segments of one size under one hold of the lock (drains). */
static void
vmem_xfree_batch(vmem_t *vm, const vmem_addr_t *addrs, u_int n,
    vmem_size_t size)
{
	struct vmem_btag *t;
	vmem_addr_t sa;
	vmem_size_t ss;
	bool shrink;
	u_int i;

	if (n == 0)
		return;
	kmem_spin_lock(&vm->vm_lock);
	for (i = 0; i < n; i++) {
		t = vmem_xfree_locked(vm, addrs[i], size);
		if (vmem_span_idle(vm, t)) {
			vmem_span_remove(vm, t, &sa, &ss);
			kmem_spin_unlock(&vm->vm_lock);
			vm->vm_releasefn(vm->vm_arg, sa, ss);
			kmem_spin_lock(&vm->vm_lock);
		}
	}
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
 * Allocate up to n quantum-cache rounds of one size under one hold of the
 * lock (instant fit, never below VMEM_ADDR_QCACHE_MIN, one import at
 * most, never sleeps).  Returns how many it got.
 */
static u_int
vmem_xalloc_batch(vmem_t *vm, vmem_size_t size, vmem_addr_t *addrs, u_int n)
{
	struct vmem_btag *bt;
	vmem_addr_t addr;
	bool imported, grow;
	u_int i;

	imported = false;
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
		vmem_clip(vm, bt, addr, size);
		addrs[i] = addr;
	}
	if (imported)
		vmem_release_idle(vm);
	grow = vm->vm_nbusytag > 2 * vm->vm_hashsize && vmem_hash_want(vm) != 0;
	kmem_spin_unlock(&vm->vm_lock);
	if (grow)
		vmem_rehash(vm);
	return (i);
}

/* ------------------------------------------------------------ quantum caches */

/*
 * An empty magazine (its handle) from the pool, refilled a page at a time
 * from the backend.  0 if there is none.  No lock held on entry.
 */
static uintptr_t
vmem_mag_get(void)
{
	uintptr_t h, head, p, end;

	kmem_spin_lock(&vmem_mag_lock);
	h = vmem_mag_pool;
	if (h != 0)
		vmem_mag_pool = QC_MAG(h)->m_next;
	kmem_spin_unlock(&vmem_mag_lock);
	if (h != 0 || vmem_backend_alloc == NULL)
		return (h);
	p = (uintptr_t)vmem_backend_alloc(PAGE_SIZE, M_NOWAIT);
	if (p == 0)
		return (0);
	/* Handles need 256-byte alignment; a page normally has it. */
	end = p + PAGE_SIZE;
	p = (p + QC_MASK) & ~QC_MASK;
	KMEM_CHECK(p > QC_FNONE, ("vmem_mag_get: backend page at 0x%lx",
	    (u_long)p));
	h = p;
	head = 0;
	for (p += VMEM_MAG_SIZE; p + VMEM_MAG_SIZE <= end;
	    p += VMEM_MAG_SIZE) {
		QC_MAG(p)->m_next = head;
		head = p;
	}
	if (head != 0) {
		kmem_spin_lock(&vmem_mag_lock);
		for (p = head; QC_MAG(p)->m_next != 0; p = QC_MAG(p)->m_next)
			;
		QC_MAG(p)->m_next = vmem_mag_pool;
		vmem_mag_pool = head;
		kmem_spin_unlock(&vmem_mag_lock);
	}
	return (h);
}

/* Give an emptied magazine back to the pool. */
static void
vmem_mag_put(uintptr_t h)
{

	h &= ~QC_MASK;
	kmem_spin_lock(&vmem_mag_lock);
	QC_MAG(h)->m_next = vmem_mag_pool;
	vmem_mag_pool = h;
	kmem_spin_unlock(&vmem_mag_lock);
}

/* Push handle h on a depot list (depot lock held). */
static inline void
qc_push(uintptr_t *list, uintptr_t h)
{

	QC_MAG(h)->m_next = *list;
	*list = h;
}

static inline uintptr_t
qc_pop(uintptr_t *list)
{
	uintptr_t h;

	if ((h = *list) != 0)
		*list = QC_MAG(h)->m_next;
	return (h);
}

/* The free slot that goes with an alloc slot, and back. */
#define QC_NSLOTS	(MAXCPU * VMEM_QCACHE_IDX_MAX)
static inline _Atomic uintptr_t *
qc_fslot(vmem_t *vm, _Atomic uintptr_t *aslot)
{

	return (&vm->vm_qfree[0][0] + (aslot - &vm->vm_qalloc[0][0]));
}

static inline _Atomic uintptr_t *
qc_aslot(vmem_t *vm, _Atomic uintptr_t *fslot)
{

	return (&vm->vm_qalloc[0][0] + (fslot - &vm->vm_qfree[0][0]));
}

static inline void
qc_depot_push(struct vmem_qcache *qc, uintptr_t *list, uintptr_t h)
{

	kmem_spin_lock(&qc->qc_lock);
	qc_push(list, h);
	kmem_spin_unlock(&qc->qc_lock);
}

/*
 * vmem_alloc's way out of its fast path.  h == QC_ABUSY: the size is not
 * cached, the arguments need checking, or the hart's alloc slot is held
 * elsewhere (a drain, or code this interrupt stopped): use the arena.
 * Otherwise we own slot and h is an empty magazine or QC_ANONE.  Then:
 * trade with the free magazine if it has rounds, else take a magazine
 * with rounds from the depot, else fill one from the arena (half full, so
 * frees find room), else allocate from the arena.  No lock held.
 */
static __attribute__((noinline)) int
qc_alloc_refill(vmem_t *vm, vmem_size_t size, int flags, vmem_addr_t *addrp,
    _Atomic uintptr_t *slot, uintptr_t h)
{
	_Atomic uintptr_t *fslot;
	struct vmem_qcache *qc;
	uintptr_t f, e;
	u_int n;

	qc = &vm->vm_qcache[(size - 1) >> vm->vm_quantum_shift];
	size = qc->qc_size;
	if (h == QC_ANONE)
		h = 0;
	fslot = qc_fslot(vm, slot);
	f = atomic_exchange_explicit(fslot, QC_FBUSY, memory_order_acquire);
	if (f != QC_FBUSY) {
		if (f != QC_FNONE && (f & QC_MASK) != 0) {
			/* Frees refilled it: the empty one takes frees now. */
			atomic_store_explicit(fslot, h != 0 ? h : QC_FNONE,
			    memory_order_release);
			h = f;
			goto take;
		}
		atomic_store_explicit(fslot, f, memory_order_release);
	}
	kmem_spin_lock(&qc->qc_lock);
	if ((e = qc_pop(&qc->qc_full)) != 0) {
		if (h != 0)
			qc_push(&qc->qc_empty, h);
		kmem_spin_unlock(&qc->qc_lock);
		h = e;
		goto take;
	}
	e = qc_pop(&qc->qc_empty);
	kmem_spin_unlock(&qc->qc_lock);
	atomic_store_explicit(slot, h != 0 ? h : QC_ANONE,
	    memory_order_release);

	/* Nothing cached: fill a magazine from the arena. */
	if (e == 0 && (e = vmem_mag_get()) == 0)
		goto direct;
	n = vmem_xalloc_batch(vm, size, QC_MAG(e)->m_obj, VMEM_MAG_ROUNDS / 2);
	if (n == 0) {
		vmem_mag_put(e);
		goto direct;
	}
	*addrp = QC_MAG(e)->m_obj[n - 1];
	if (n == 1) {
		vmem_mag_put(e);
		return (0);
	}
	e += (n - 1) * sizeof(vmem_addr_t);
	slot = &vm->vm_qalloc[kmem_cpuid()][(size - 1) >> vm->vm_quantum_shift];
	h = atomic_exchange_explicit(slot, QC_ABUSY, memory_order_acquire);
	if (h == QC_ABUSY) {
		qc_depot_push(qc, &qc->qc_full, e);
		return (0);
	}
	if ((h & QC_MASK) == 0) {
		/* Load it; an empty magazine goes to the depot. */
		if (h != QC_ANONE)
			qc_depot_push(qc, &qc->qc_empty, h);
		h = e;
	} else
		qc_depot_push(qc, &qc->qc_full, e);
	atomic_store_explicit(slot, h, memory_order_release);
	return (0);

take:
	h -= sizeof(vmem_addr_t);
	*addrp = *(vmem_addr_t *)h;
	atomic_store_explicit(slot, h, memory_order_release);
	return (0);

direct:
	return (vmem_alloc_arena(vm, size, flags, addrp));
}

static __attribute__((noinline)) int
qc_alloc_slow(vmem_t *vm, vmem_size_t size, int flags, vmem_addr_t *addrp,
    _Atomic uintptr_t *slot, uintptr_t h)
{

	if (h == QC_ABUSY)
		return (vmem_alloc_arena(vm, size, flags, addrp));
	return (qc_alloc_refill(vm, size, flags, addrp, slot, h));
}

/*
 * vmem_free's way out of its fast path.  h == QC_FBUSY: not cached, or
 * the slot is held elsewhere: free to the arena.  Otherwise we own slot
 * and h is a full magazine or QC_FNONE.  Then: hand the full magazine to
 * allocations if their magazine is empty, else trade it for an empty one
 * from the depot or the pool, else free to the arena.  No lock held.
 */
static __attribute__((noinline)) void
qc_free_refill(vmem_t *vm, vmem_addr_t addr, vmem_size_t size,
    _Atomic uintptr_t *slot, uintptr_t h)
{
	_Atomic uintptr_t *aslot;
	struct vmem_qcache *qc;
	uintptr_t a, e;
	u_int idx;

	idx = (u_int)((size - 1) >> vm->vm_quantum_shift);
	qc = &vm->vm_qcache[idx];
	if (h == QC_FNONE)
		h = 0;
	aslot = qc_aslot(vm, slot);
	a = atomic_exchange_explicit(aslot, QC_ABUSY, memory_order_acquire);
	if (a != QC_ABUSY) {
		if (h != 0 && (a & QC_MASK) == 0) {
			/* Allocations ran dry: they get the full one. */
			atomic_store_explicit(aslot, h, memory_order_release);
			h = a != QC_ANONE ? a : 0;
		} else
			atomic_store_explicit(aslot, a, memory_order_release);
	}
	while (h == 0 || ((h + sizeof(vmem_addr_t)) & QC_MASK) == 0) {
		kmem_spin_lock(&qc->qc_lock);
		if ((e = qc_pop(&qc->qc_empty)) != 0) {
			if (h != 0)
				qc_push(&qc->qc_full, h);
			kmem_spin_unlock(&qc->qc_lock);
			h = e;
			break;
		}
		kmem_spin_unlock(&qc->qc_lock);
		atomic_store_explicit(slot, h != 0 ? h : QC_FNONE,
		    memory_order_release);
		/* No empty magazine: get one, then try again. */
		if ((e = vmem_mag_get()) == 0) {
			vmem_xfree(vm, addr, qc->qc_size);
			return;
		}
		qc_depot_push(qc, &qc->qc_empty, e);
		slot = &vm->vm_qfree[kmem_cpuid()][idx];
		h = atomic_exchange_explicit(slot, QC_FBUSY,
		    memory_order_acquire);
		if (h == QC_FBUSY) {
			vmem_xfree(vm, addr, qc->qc_size);
			return;
		}
		if (h == QC_FNONE)
			h = 0;
	}
	*(vmem_addr_t *)h = addr;
	atomic_store_explicit(slot, h + sizeof(vmem_addr_t),
	    memory_order_release);
}

static __attribute__((noinline)) void
qc_free_slow(vmem_t *vm, vmem_addr_t addr, vmem_size_t size,
    _Atomic uintptr_t *slot, uintptr_t h)
{

	if (h == QC_FBUSY)
		vmem_xfree(vm, addr, size);
	else
		qc_free_refill(vm, addr, size, slot, h);
}

/* Free every round of a list of magazines and return them to the pool. */
static void
qc_release_mags(vmem_t *vm, uintptr_t h, vmem_size_t size)
{
	uintptr_t next;

	for (; h != 0; h = next) {
		next = QC_MAG(h)->m_next;
		vmem_xfree_batch(vm, QC_MAG(h)->m_obj, QC_ROUNDS(h), size);
		vmem_mag_put(h);
	}
}

/*
 * How long a drain waits for a slot of its own hart: only something this
 * hart interrupted (or a thread sharing its index) can be inside it, and
 * it cannot finish while we spin, so give up on that one slot.
 */
#define QC_SELF_SPINS	1024

/*
 * Take the magazine out of one slot (waiting while somebody is inside),
 * leaving it with none.  0 if there was none, or (own hart) it stayed busy.
 */
static uintptr_t
qc_take_slot(_Atomic uintptr_t *slot, uintptr_t busy, uintptr_t none,
    bool self)
{
	uintptr_t h;
	u_int spins;

	spins = 0;
	while ((h = atomic_exchange_explicit(slot, busy,
	    memory_order_acquire)) == busy) {
		if (self && ++spins > QC_SELF_SPINS)
			return (0);
		md_cpu_relax();
	}
	atomic_store_explicit(slot, none, memory_order_release);
	return (h != none ? h : 0);
}

void
vmem_drain(vmem_t *vm)
{
	uintptr_t lists[VMEM_QCACHE_IDX_MAX], h;
	struct vmem_qcache *qc;
	u_int c, i, nq, self;

	nq = (u_int)(vm->vm_qcache_max >> vm->vm_quantum_shift);
	if (nq == 0)
		return;
	for (i = 0; i < nq; i++)
		lists[i] = 0;
	/* Take every hart's magazines. */
	self = kmem_cpuid();
	for (c = 0; c < MAXCPU; c++) {
		for (i = 0; i < nq; i++) {
			h = qc_take_slot(&vm->vm_qalloc[c][i], QC_ABUSY,
			    QC_ANONE, c == self);
			if (h != 0)
				qc_push(&lists[i], h);
			h = qc_take_slot(&vm->vm_qfree[c][i], QC_FBUSY,
			    QC_FNONE, c == self);
			if (h != 0)
				qc_push(&lists[i], h);
		}
	}
	/* And the depots. */
	for (i = 0; i < nq; i++) {
		qc = &vm->vm_qcache[i];
		kmem_spin_lock(&qc->qc_lock);
		while ((h = qc_pop(&qc->qc_full)) != 0)
			qc_push(&lists[i], h);
		while ((h = qc_pop(&qc->qc_empty)) != 0)
			qc_push(&lists[i], h);
		kmem_spin_unlock(&qc->qc_lock);
		qc_release_mags(vm, lists[i], qc->qc_size);
	}
}

void
vmem_drain_all(void)
{
	vmem_t *vm;

	kmem_spin_lock(&vmem_list_lock);
	for (vm = vmem_list; vm != NULL; vm = vm->vm_next)
		vmem_drain(vm);
	kmem_spin_unlock(&vmem_list_lock);
}

/* ------------------------------------------------------------ public entry */

/*
 * The quantum-cache fast path: no call, no lock, no interrupt masking;
 * one swap to own this hart's alloc slot for the size, a pop, a release
 * store.  Everything else leaves through the one call at the end.
 */
int
vmem_alloc(vmem_t *vm, vmem_size_t size, int flags, vmem_addr_t *addrp)
{
	_Atomic uintptr_t *slot;
	uintptr_t h;

	slot = NULL;
	h = QC_ABUSY;
	if (__predict_true(size - 1 < __atomic_load_n(&vm->vm_qfast,
	    __ATOMIC_RELAXED)) && addrp != NULL && !vmem_flags_bad(flags)) {
		slot = &vm->vm_qalloc[kmem_cpuid()]
		    [(size - 1) >> vm->vm_quantum_shift];
		h = atomic_exchange_explicit(slot, QC_ABUSY,
		    memory_order_acquire);
		/* QC_ABUSY, QC_ANONE and an empty magazine all end in 0. */
		if (__predict_true((h & QC_MASK) != 0)) {
			h -= sizeof(vmem_addr_t);
			*addrp = *(vmem_addr_t *)h;
			atomic_store_explicit(slot, h, memory_order_release);
			return (0);
		}
	}
	return (qc_alloc_slow(vm, size, flags, addrp, slot, h));
}

/* As vmem_alloc: one swap of the hart's free slot, a push, a store. */
void
vmem_free(vmem_t *vm, vmem_addr_t addr, vmem_size_t size)
{
	_Atomic uintptr_t *slot;
	uintptr_t h, n;

	if (__predict_false(size - 1 >= __atomic_load_n(&vm->vm_qfast,
	    __ATOMIC_RELAXED))) {
		vmem_xfree(vm, addr, size);
		return;
	}
	slot = &vm->vm_qfree[kmem_cpuid()][(size - 1) >> vm->vm_quantum_shift];
	h = atomic_exchange_explicit(slot, QC_FBUSY, memory_order_acquire);
	/* QC_FBUSY, QC_FNONE and a full magazine: n ends in 0. */
	n = h + sizeof(vmem_addr_t);
	if (__predict_true((n & QC_MASK) != 0)) {
		*(vmem_addr_t *)h = addr;
		atomic_store_explicit(slot, n, memory_order_release);
		return;
	}
	qc_free_slow(vm, addr, size, slot, h);
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

static vmem_t *
vmem_init1(vmem_t *vm, const char *name, vmem_addr_t base, vmem_size_t size,
    vmem_size_t quantum, vmem_size_t qcache_max, int flags, u_int vmflags)
{
	vmem_size_t nq;
	u_int i;

	if (vm == NULL || quantum == 0 || !powerof2(quantum) ||
	    (qcache_max & (quantum - 1)) != 0)
		return (NULL);
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
	for (i = 0; i < MAXCPU * VMEM_QCACHE_IDX_MAX; i++) {
		atomic_init(&vm->vm_qalloc[i / VMEM_QCACHE_IDX_MAX]
		    [i % VMEM_QCACHE_IDX_MAX], QC_ANONE);
		atomic_init(&vm->vm_qfree[i / VMEM_QCACHE_IDX_MAX]
		    [i % VMEM_QCACHE_IDX_MAX], QC_FNONE);
	}
	for (i = 0; i < VMEM_QCACHE_IDX_MAX; i++) {
		kmem_spin_init(&vm->vm_qcache[i].qc_lock, "vmem depot lock");
		vm->vm_qcache[i].qc_size = (vmem_size_t)(i + 1) <<
		    vm->vm_quantum_shift;
	}
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

void
vmem_destroy(vmem_t *vm)
{
	struct vmem_btag *sp, **tab;
	vmem_t **pp;
	vmem_addr_t a;
	vmem_size_t s, tsize;

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
		a = sp->bt_start;
		s = sp->bt_size;
		bt_remfree(vm, sp->bt_snext);
		bt_remseg(vm, sp->bt_snext);
		bt_remspan(sp);
		bt_remseg(vm, sp);
		vm->vm_size -= s;
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

/* ------------------------------------------------------------ dumps */

static const char *
bt_type_name(int type)
{

	switch (type) {
	case BT_TYPE_SPAN:
		return ("span (imported)");
	case BT_TYPE_SPAN_STATIC:
		return ("span (static)");
	case BT_TYPE_FREE:
		return ("free");
	case BT_TYPE_BUSY:
		return ("busy");
	default:
		return ("BOGUS");
	}
}

void
vmem_print(vmem_t *vm)
{
	struct vmem_btag *bt;

	kmem_spin_lock(&vm->vm_lock);
	kmem_printf("vmem %p \"%s\": quantum 0x%lx, size 0x%lx, in use 0x%lx, "
	    "free 0x%lx\n", (void *)vm, vm->vm_name,
	    (u_long)vm->vm_quantum_mask + 1, (u_long)vm->vm_size,
	    (u_long)vm->vm_inuse, (u_long)(vm->vm_size - vm->vm_inuse));
	kmem_printf("  busy segments %lu, hash buckets %lu, cached tags %u, "
	    "qcache_max 0x%lx, import %s, limit 0x%lx, waiters %u\n",
	    (u_long)vm->vm_nbusytag, (u_long)vm->vm_hashsize,
	    vm->vm_nfreetags, (u_long)vm->vm_qcache_max,
	    vm->vm_importfn != NULL ? "yes" : "no", (u_long)vm->vm_limit,
	    vm->vm_nwaiters);
	for (bt = vm->vm_seghead; bt != NULL; bt = bt->bt_snext)
		kmem_printf("  %s0x%016lx-0x%016lx (0x%lx) %s\n",
		    bt->bt_type <= BT_TYPE_SPAN_STATIC ? "" : "  ",
		    (u_long)bt->bt_start, (u_long)BT_END(bt),
		    (u_long)bt->bt_size, bt_type_name(bt->bt_type));
	kmem_spin_unlock(&vm->vm_lock);
}

void
vmem_printall(void)
{
	vmem_t *vm;

	kmem_spin_lock(&vmem_list_lock);
	for (vm = vmem_list; vm != NULL; vm = vm->vm_next)
		vmem_print(vm);
	kmem_spin_unlock(&vmem_list_lock);
}

void
vmem_foreach(void (*fn)(vmem_t *, void *), void *arg)
{
	vmem_t *vm;

	kmem_spin_lock(&vmem_list_lock);
	for (vm = vmem_list; vm != NULL; vm = vm->vm_next)
		fn(vm, arg);
	kmem_spin_unlock(&vmem_list_lock);
}

/* ------------------------------------------------------------ checks */

void
vmem_walk(vmem_t *vm, void (*fn)(void *, int, vmem_addr_t, vmem_size_t),
    void *arg)
{
	struct vmem_btag *bt;

	kmem_spin_lock(&vm->vm_lock);
	for (bt = vm->vm_seghead; bt != NULL; bt = bt->bt_snext)
		fn(arg, bt->bt_type, bt->bt_start, bt->bt_size);
	kmem_spin_unlock(&vm->vm_lock);
}

#define CHECK(c, ...) do {						\
	if (!(c)) {							\
		snprintf(why, whylen, __VA_ARGS__);			\
		goto bad;						\
	}								\
} while (0)

int
vmem_check(vmem_t *vm, char *why, size_t whylen)
{
	struct vmem_btag *bt, *sp, *t, **spp;
	vmem_size_t nbusy, inuse, size, nfree, nhash, i;
	vmem_addr_t next;
	u_int fl;
	bool in_span, stale_seen;

	kmem_spin_lock(&vm->vm_lock);
	stale_seen = false;
	nbusy = inuse = size = nfree = 0;
	sp = NULL;
	spp = &vm->vm_spans;
	next = 0;
	in_span = false;
	CHECK(vm->vm_seghead == NULL || vm->vm_seghead->bt_sprev == NULL,
	    "head has a prev");
	for (bt = vm->vm_seghead; bt != NULL; bt = bt->bt_snext) {
		CHECK(bt->bt_snext == NULL || bt->bt_snext->bt_sprev == bt,
		    "broken seg links at 0x%lx", (u_long)bt->bt_start);
		CHECK(bt->bt_snext != NULL || vm->vm_segtail == bt,
		    "tail mismatch");
		CHECK(bt->bt_size != 0 && (bt->bt_size & vm->vm_quantum_mask)
		    == 0 && (bt->bt_start & vm->vm_quantum_mask) == 0,
		    "bad segment 0x%lx+0x%lx", (u_long)bt->bt_start,
		    (u_long)bt->bt_size);
		if (bt->bt_type == BT_TYPE_SPAN ||
		    bt->bt_type == BT_TYPE_SPAN_STATIC) {
			CHECK(!in_span || next == sp->bt_start + sp->bt_size,
			    "span 0x%lx not tiled", (u_long)sp->bt_start);
			CHECK(sp == NULL || bt->bt_start > BT_END(sp),
			    "spans out of order at 0x%lx",
			    (u_long)bt->bt_start);
			CHECK(*spp == bt && bt->bt_lpprev == spp,
			    "span list mismatch at 0x%lx",
			    (u_long)bt->bt_start);
			spp = &bt->bt_lnext;
			sp = bt;
			size += bt->bt_size;
			next = bt->bt_start;
			in_span = true;
			continue;
		}
		CHECK(sp != NULL, "segment before any span");
		CHECK(bt->bt_start == next, "gap or overlap at 0x%lx "
		    "(expected 0x%lx)", (u_long)bt->bt_start, (u_long)next);
		CHECK(BT_END(bt) <= BT_END(sp), "segment 0x%lx past its span",
		    (u_long)bt->bt_start);
		next = bt->bt_start + bt->bt_size;
		if (bt->bt_type == BT_TYPE_FREE) {
			nfree++;
			t = bt->bt_snext;
			CHECK(t == NULL || t->bt_type != BT_TYPE_FREE,
			    "adjacent free segments at 0x%lx",
			    (u_long)bt->bt_start);
			fl = vmem_flclass(vm, bt->bt_size);
			/* vm_stale may sit on a list for a bigger size. */
			if (bt == vm->vm_stale) {
				stale_seen = true;
				CHECK(bt->bt_fl >= fl, "stale free 0x%lx on "
				    "list %u, below its class %u",
				    (u_long)bt->bt_start, bt->bt_fl, fl);
			} else
				CHECK(bt->bt_fl == fl, "free 0x%lx on list %u, "
				    "wants %u", (u_long)bt->bt_start, bt->bt_fl,
				    fl);
			for (t = vm->vm_freelist[bt->bt_fl]; t != NULL &&
			    t != bt; t = t->bt_lnext)
				;
			CHECK(t == bt, "free 0x%lx missing from its list",
			    (u_long)bt->bt_start);
		} else {
			CHECK(bt->bt_type == BT_TYPE_BUSY, "bad type %d",
			    bt->bt_type);
			nbusy++;
			inuse += bt->bt_size;
			for (t = *bt_hashhead(vm, bt->bt_start);
			    t != NULL && t != bt; t = t->bt_lnext)
				;
			CHECK(t == bt, "busy 0x%lx missing from hash",
			    (u_long)bt->bt_start);
		}
	}
	CHECK(!in_span || next == sp->bt_start + sp->bt_size,
	    "last span not tiled");
	CHECK(vm->vm_stale == NULL || stale_seen,
	    "vm_stale is not a free segment of the arena");
	CHECK(*spp == NULL, "span list longer than segment list");
	CHECK(nbusy == vm->vm_nbusytag, "nbusy %lu != %lu", (u_long)nbusy,
	    (u_long)vm->vm_nbusytag);
	CHECK(inuse == vm->vm_inuse, "inuse 0x%lx != 0x%lx", (u_long)inuse,
	    (u_long)vm->vm_inuse);
	CHECK(size == vm->vm_size, "size 0x%lx != 0x%lx", (u_long)size,
	    (u_long)vm->vm_size);
	nhash = 0;
	for (i = 0; i < vm->vm_hashsize; i++)
		for (t = vm->vm_hashlist[i]; t != NULL; t = t->bt_lnext) {
			CHECK(t->bt_type == BT_TYPE_BUSY, "non-busy in hash");
			nhash++;
		}
	CHECK(nhash == nbusy, "hash holds %lu, busy %lu", (u_long)nhash,
	    (u_long)nbusy);
	for (i = 0; i < VMEM_NFREELIST; i++) {
		CHECK((vm->vm_freelist[i] != NULL) ==
		    ((vm->vm_flbits[i >> 6] >> (i & 63)) & 1),
		    "bitmap wrong for list %lu", (u_long)i);
		for (t = vm->vm_freelist[i]; t != NULL; t = t->bt_lnext) {
			CHECK(t->bt_type == BT_TYPE_FREE && t->bt_fl == i,
			    "list %lu holds a wrong tag", (u_long)i);
			nfree--;
		}
	}
	CHECK(nfree == 0, "free lists and segment list disagree");
	for (i = 0, t = vm->vm_freetags; t != NULL; t = t->bt_lnext)
		i++;
	CHECK(i == vm->vm_nfreetags, "tag cache holds %lu, count %u",
	    (u_long)i, vm->vm_nfreetags);
	kmem_spin_unlock(&vm->vm_lock);
	return (0);
bad:
	kmem_spin_unlock(&vm->vm_lock);
	return (-1);
}

/* Rounds in the magazine a slot or list handle names (0 for the markers). */
static vmem_size_t
qc_handle_rounds(uintptr_t h)
{

	return (h > QC_FNONE ? QC_ROUNDS(h) : 0);
}

/*
 * Rounds held in vm's quantum caches and their bytes.  The harts' slots
 * are read without taking them (a racy snapshot: a slot whose owner is
 * inside reads as a marker); the depots under their locks.
 */
static void
qc_count(vmem_t *vm, vmem_size_t *rounds, vmem_size_t *bytes)
{
	struct vmem_qcache *qc;
	vmem_size_t n;
	uintptr_t h;
	u_int c, i, nq;

	*rounds = *bytes = 0;
	nq = (u_int)(vm->vm_qcache_max >> vm->vm_quantum_shift);
	for (i = 0; i < nq; i++) {
		qc = &vm->vm_qcache[i];
		n = 0;
		for (c = 0; c < MAXCPU; c++) {
			n += qc_handle_rounds(atomic_load_explicit(
			    &vm->vm_qalloc[c][i], memory_order_relaxed));
			n += qc_handle_rounds(atomic_load_explicit(
			    &vm->vm_qfree[c][i], memory_order_relaxed));
		}
		kmem_spin_lock(&qc->qc_lock);
		for (h = qc->qc_full; h != 0; h = QC_MAG(h)->m_next)
			n += qc_handle_rounds(h);
		for (h = qc->qc_empty; h != 0; h = QC_MAG(h)->m_next)
			n += qc_handle_rounds(h);
		kmem_spin_unlock(&qc->qc_lock);
		*rounds += n;
		*bytes += n * qc->qc_size;
	}
}

void
vmem_get_stats(vmem_t *vm, struct vmem_stats *vs)
{
	struct vmem_btag *bt;

	memset(vs, 0, sizeof(*vs));
	qc_count(vm, &vs->vs_qcache_rounds, &vs->vs_qcache_bytes);
	kmem_spin_lock(&vm->vm_lock);
	for (bt = vm->vm_seghead; bt != NULL; bt = bt->bt_snext) {
		if (bt->bt_type == BT_TYPE_BUSY)
			vs->vs_nbusy++;
		else if (bt->bt_type == BT_TYPE_FREE)
			vs->vs_nfree++;
		else
			vs->vs_nspans++;
		if (bt->bt_type == BT_TYPE_SPAN) {
			vs->vs_nimported++;
			vs->vs_imported += bt->bt_size;
		}
	}
	vs->vs_hashsize = vm->vm_hashsize;
	vs->vs_tagsize = sizeof(struct vmem_btag);
	vs->vs_cachedtags = vm->vm_nfreetags;
	memcpy(vs->vs_name, vm->vm_name, sizeof(vs->vs_name));
	vs->vs_quantum = vm->vm_quantum_mask + 1;
	vs->vs_size = vm->vm_size;
	vs->vs_inuse = vm->vm_inuse;
	vs->vs_limit = vm->vm_limit;
	vs->vs_import = vm->vm_importfn != NULL;
	vs->vs_import_quantum = vm->vm_import_quantum;
	vs->vs_qcache_max = vm->vm_qcache_max;
	vs->vs_nwaiters = vm->vm_nwaiters;
	kmem_spin_unlock(&vm->vm_lock);
}

unsigned long
vmem_bt_pool_count(void)
{

	return (atomic_load_explicit(&vmem_bt_npool, memory_order_relaxed));
}
