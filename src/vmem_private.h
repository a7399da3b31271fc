/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmem_private.h: what the three vmem files share, and what tests and
 * benchmarks may look at.  Nothing here is API.
 *
 *   vmem.c         the arena: boundary tags, free lists, busy hash,
 *                  spans, import/release, vmem_xalloc/vmem_xfree
 *   vmem_qcache.c  quantum caches: magazines, depots, vmem_alloc/vmem_free
 *   vmem_check.c   vmem_check, vmem_walk, vmem_print, statistics
 *
 * vmem_qcache.c calls down into vmem.c only through the round functions
 * below (vmem_rounds_alloc, vmem_round_claim, vmem_rounds_free), and
 * vmem.c reads and adds round-table leaves through vmem_round_entry and
 * vmem_qleaf_add;
 * vmem_check.c only reads.
 */
#ifndef KMEM_VMEM_PRIVATE_H
#define KMEM_VMEM_PRIVATE_H

#include <kmem/vmem.h>

/* Segment types reported by vmem_walk(). */
#define VMEM_SEG_SPAN		1	/* imported span */
#define VMEM_SEG_SPAN_STATIC	2	/* span added by vmem_add/vmem_init */
#define VMEM_SEG_FREE		3
#define VMEM_SEG_BUSY		4

/*
 * Check every internal invariant of vm (segment list order and tiling of
 * spans, coalescing, free lists and their bitmap, the busy hash, the
 * round table against the rounds, the counters, the tag cache; vm_stale,
 * the one segment allowed on a list above its class, must be a free
 * segment of vm).  Returns 0, or -1 with a description in why.  Takes the
 * arena lock; changes nothing.
 */
int vmem_check(vmem_t *vm, char *why, size_t whylen);

/* Call fn for every segment and span tag in address order (lock held). */
void vmem_walk(vmem_t *vm, void (*fn)(void *arg, int type, vmem_addr_t start,
    vmem_size_t size), void *arg);

struct vmem_stats {
	vmem_size_t	vs_nbusy;	/* busy segments */
	vmem_size_t	vs_nfree;	/* free segments */
	vmem_size_t	vs_nspans;	/* span tags */
	vmem_size_t	vs_hashsize;	/* buckets */
	vmem_size_t	vs_tagsize;	/* bytes per boundary tag */
	vmem_size_t	vs_cachedtags;	/* tags in the arena's own cache */
	char		vs_name[VMEM_NAME_MAX + 1];
	vmem_size_t	vs_quantum;
	vmem_size_t	vs_size;	/* bytes in spans */
	vmem_size_t	vs_inuse;	/* bytes allocated (qcache rounds too) */
	vmem_size_t	vs_limit;	/* import limit (0: none) */
	bool		vs_import;	/* has an import function */
	vmem_size_t	vs_import_quantum;
	vmem_size_t	vs_nimported;	/* imported span tags now */
	vmem_size_t	vs_imported;	/* bytes in imported spans */
	vmem_size_t	vs_qcache_max;	/* largest quantum-cached size */
	vmem_size_t	vs_qcache_rounds; /* cached rounds: harts + depots */
	vmem_size_t	vs_qcache_bytes;  /* their bytes */
	u_int		vs_nwaiters;
};
void vmem_get_stats(vmem_t *vm, struct vmem_stats *vs);

/* Tags in the global pool (free, ready for any arena). */
unsigned long vmem_bt_pool_count(void);

/*
 * Tags ever made (the boot tags and every page the pool was refilled
 * with; tag pages are never given back): the pool, the arenas' tag caches
 * and their segment lists together hold exactly this many.
 */
unsigned long vmem_bt_total(void);

/* Backend pages cut into magazines (kept in their pool, never given back). */
unsigned long vmem_mag_pages(void);

/*
 * Fault injection, for tests: after n more of vmem's own allocations (an
 * arena's tag-cache fill from the pool, the pool's refill from the
 * backend, a new busy hash table) the next one is refused as if its supply
 * were empty: once, or with sticky every one after it too; n < 0 disarms.
 * While armed every such allocation is counted.  Returns the allocations
 * counted since the previous call.
 */
long vmem_fail_after(long n, bool sticky);

#ifdef KMEM_PRIVATE_H		/* src/ only from here on */

/* The helpers of the fast paths are inlined into them. */
#define VMEM_INLINE	static inline __attribute__((always_inline))

/* ------------------------------------------------------------ tags */

#define BT_TYPE_SPAN		VMEM_SEG_SPAN
#define BT_TYPE_SPAN_STATIC	VMEM_SEG_SPAN_STATIC
#define BT_TYPE_FREE		VMEM_SEG_FREE
#define BT_TYPE_BUSY		VMEM_SEG_BUSY

/*
 * A boundary tag.  A busy segment whose bt_round is set is a quantum-cache
 * round: its owner (a caller, or the cache) is kept in its entry of the
 * round table (vmem_qcache.c), not in the tag.  bt_round changes only under
 * the arena lock.
 */
struct vmem_btag {
	struct vmem_btag	*bt_snext;	/* segment list */
	struct vmem_btag	*bt_sprev;
	struct vmem_btag	*bt_lnext;	/* free list, hash or span list */
	struct vmem_btag	**bt_lpprev;	/* free list and span list */
	vmem_addr_t		bt_start;
	vmem_size_t		bt_size;
	uint8_t			bt_type;
	uint8_t			bt_fl;		/* free list index */
	uint8_t			bt_round;	/* quantum-cache round */
};

#define BT_END(bt)	((bt)->bt_start + (bt)->bt_size - 1)

/* ------------------------------------------------------------ classes */

/*
 * The free list of a segment of q quanta: q - 1 for the exact classes,
 * then class 64 for 65..127 quanta and one class per power of two above.
 */
VMEM_INLINE u_long
vmem_qclass(vmem_size_t q)
{

	if (q <= VMEM_NEXACT)
		return (q - 1);
	return (VMEM_NEXACT - 7 + kmem_flsl(q));
}

VMEM_INLINE u_long
vmem_flclass(const vmem_t *vm, vmem_size_t size)
{

	return (vmem_qclass(size >> vm->vm_quantum_shift));
}

/*
 * Fibonacci hashing of the address itself: the bucket is the top bits of
 * addr * 2^64/phi.  Quantum alignment only zeroes low bits of addr, which
 * moves the bits taken down the product by log2(quantum) places, still
 * well inside its mixed high half; so no shift by the quantum is needed.
 */
#define VMEM_GOLDEN	0x9e3779b97f4a7c15UL

VMEM_INLINE size_t
bt_hashidx(vmem_addr_t addr, u_int shift)
{

	return ((size_t)((addr * VMEM_GOLDEN) >> shift));
}

VMEM_INLINE struct vmem_btag **
bt_hashhead(const vmem_t *vm, vmem_addr_t addr)
{

	return (&vm->vm_hashlist[bt_hashidx(addr, vm->vm_hashshift)]);
}

/* ------------------------------------------------------------ flags */

#define VMEM_FITMASK	(M_BESTFIT | M_FIRSTFIT | M_NEXTFIT)

/* M_WAITOK with M_NOWAIT, or more than one fit strategy. */
VMEM_INLINE bool
vmem_flags_bad(int flags)
{
	int strat;

	strat = flags & VMEM_FITMASK;
	return ((flags & (M_NOWAIT | M_WAITOK)) == (M_NOWAIT | M_WAITOK) ||
	    (strat & (strat - 1)) != 0);
}

/*
 * vmem_xalloc without constraints (also what vmem_alloc does for a size
 * no quantum cache holds): the same answers, one call shorter.
 */
int vmem_arena_alloc(vmem_t *vm, vmem_size_t size, int flags,
    vmem_addr_t *addrp);

/* ------------------------------------------------------------ rounds */

/*
 * The round table: who holds each quantum-cache round, readable and
 * changeable without the arena lock (the argument is in vmem_qcache.c).
 * A leaf is one backend page whose first QLEAF_N words are the entries of
 * QLEAF_N consecutive quanta of the arena; an entry belongs to the round
 * that starts at its quantum.  Leaves hang on vm_qleaf[] lists by key
 * (address >> (quantum shift + QLEAF_SHIFT)), are only ever added (under
 * the arena lock) and are freed by vmem_destroy alone, and a leaf's key
 * and list link never change once it is on a list.
 */
#define QLEAF_SHIFT	9
#define QLEAF_N		(1U << QLEAF_SHIFT)

typedef _Atomic u_int vmem_round_t;	/* a round-table entry */

struct vmem_qleaf {
	vmem_addr_t		ql_key;
	struct vmem_qleaf	*ql_next;
	vmem_addr_t		ql_base;	/* address of ql_e[0] */
	vmem_round_t		ql_e[QLEAF_N];
};
_Static_assert(sizeof(struct vmem_qleaf) <= PAGE_SIZE, "a leaf is a page");

/*
 * Entry values: no round starts here (0), or a round of idx + 1 quanta
 * that a caller holds (QE_OUT) or the cache holds (QE_CACHED).
 */
#define QE_OUT(idx)	(((u_int)(idx) + 1) << 1)
#define QE_CACHED(idx)	(QE_OUT(idx) | 1)

/* Consecutive leaves (the usual case: spans) go to consecutive lists. */
#define QLEAF_BUCKET(key)	((size_t)(key) & (VMEM_QLEAF_BUCKETS - 1))
_Static_assert((VMEM_QLEAF_BUCKETS & (VMEM_QLEAF_BUCKETS - 1)) == 0,
    "VMEM_QLEAF_BUCKETS is a power of two");

/*
 * The entry of addr (a multiple of the quantum), or NULL if its leaf does
 * not exist.  No lock needed: the acquire load of the list head makes the
 * leaves on it, their keys and links visible, and those never change.
 */
VMEM_INLINE vmem_round_t *
vmem_round_entry(vmem_t *vm, vmem_addr_t addr)
{
	struct vmem_qleaf *l;
	vmem_addr_t q, key;

	q = addr >> vm->vm_quantum_shift;
	key = q >> QLEAF_SHIFT;
	l = atomic_load_explicit(&vm->vm_qleaf[QLEAF_BUCKET(key)],
	    memory_order_acquire);
	while (l != NULL && l->ql_key != key)
		l = l->ql_next;
	return (l != NULL ? &l->ql_e[q & (QLEAF_N - 1)] : NULL);
}

/* The address an entry stands for (leaves are page-aligned). */
VMEM_INLINE vmem_addr_t
vmem_round_addr(const vmem_t *vm, vmem_round_t *e)
{
	struct vmem_qleaf *l;

	l = (struct vmem_qleaf *)((uintptr_t)e & ~(uintptr_t)PAGE_MASK);
	return (l->ql_base + ((vmem_addr_t)(e - l->ql_e) <<
	    vm->vm_quantum_shift));
}

/*
 * Add the leaf for addr (arena lock held; dropped while the backend is
 * called, so the caller must look again at whatever it found).  False if
 * the backend has no page.
 */
bool vmem_qleaf_add(vmem_t *vm, vmem_addr_t addr);

/* Give every leaf back to the backend (vmem_destroy, nothing cached). */
void vmem_qleaf_free_all(vmem_t *vm);

/*
 * Allocate up to n busy segments of size bytes (a cached size) for a
 * quantum cache, instant fit, never at address 0, each a round held by the
 * cache (bt_round set, entry QE_CACHED); their entries go to ents[].
 * Imports once at most, adds leaves, never drains, reclaims or sleeps.
 * Returns how many it got (0 when the arena is out of space, tags or
 * leaves).
 */
u_int vmem_rounds_alloc(vmem_t *vm, vmem_size_t size, vmem_round_t **ents,
    u_int n);

/*
 * vmem_free of [addr, addr + size) that the lock-free claim did not take,
 * decided exactly under the arena lock: a round a caller holds is claimed
 * for the cache and its entry returned; a busy segment that is not a round
 * is freed to the arena (NULL returned); anything else panics, naming
 * vmem_free and the address.
 */
vmem_round_t *vmem_round_claim(vmem_t *vm, vmem_addr_t addr,
    vmem_size_t size);

/* Give n rounds the cache holds back to the arena (one lock hold). */
void vmem_rounds_free(vmem_t *vm, vmem_round_t *const *ents, u_int n);

/*
 * An invalid free, arena lock held: drop it and panic, naming the call
 * (fn), the arena, the address and what was wrong.  bt is the tag found
 * at addr (NULL: none).
 */
__kmem_noreturn void vmem_free_bad(vmem_t *vm, const char *fn,
    vmem_addr_t addr, vmem_size_t size, const struct vmem_btag *bt)
    __attribute__((cold));

/*
 * The busy tag at addr, or NULL (arena lock held); *ppp is the hash link
 * that points at it.
 */
VMEM_INLINE struct vmem_btag *
vmem_busy_lookup(vmem_t *vm, vmem_addr_t addr, struct vmem_btag ***ppp)
{
	struct vmem_btag *bt, **pp;

	pp = bt_hashhead(vm, addr);
	while ((bt = *pp) != NULL && bt->bt_start != addr)
		pp = &bt->bt_lnext;
	*ppp = pp;
	return (bt);
}

/*
 * True if a caller may free size bytes at the busy tag bt: there is one
 * and size rounds up to its size (bt_size - size <= quantum - 1, unsigned:
 * one test that also refuses size 0).  A round (bt_round) is checked
 * further against its entry.
 */
VMEM_INLINE bool
vmem_free_ok(const vmem_t *vm, const struct vmem_btag *bt, vmem_size_t size)
{

	return (bt != NULL && bt->bt_size - size <= vm->vm_quantum_mask);
}

/* Memory for vmem itself (tags, arenas, hash tables, magazines). */
extern vmem_backend_alloc_t *vmem_backend_alloc;
extern vmem_backend_free_t *vmem_backend_free;

/* Every arena (under vmem_list_lock). */
extern struct kmem_spin vmem_list_lock;
extern struct vmem *vmem_list;

/* vmem_check's and vmem_print's view of the tag pool. */
extern atomic_ulong vmem_bt_npool;
extern atomic_ulong vmem_bt_ntotal;

/* Quantum caches of a new arena: every slot empty, every depot empty. */
void vmem_qcache_init(vmem_t *vm);

#endif /* KMEM_PRIVATE_H */

#endif /* KMEM_VMEM_PRIVATE_H */
