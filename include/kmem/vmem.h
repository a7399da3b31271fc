/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/vmem.h: resource arenas with vmem(9) semantics.
 *
 * An arena hands out ranges of integers ("addresses") in multiples of its
 * quantum.  The semantics are FreeBSD's vmem(9) (from NetBSD, after Bonwick
 * and Adams, "Magazines and Vmem", USENIX 2001):
 *
 *  - boundary tags on an address-ordered segment list; free segments sit on
 *    size-class free lists (one exact class per size for 1..64 quanta, then
 *    one class per power of two) and a bitmap of non-empty lists makes
 *    instant fit (M_FIRSTFIT) constant time;
 *  - busy segments are found by address through a hash that grows and
 *    shrinks with the number of busy segments;
 *  - an arena may import spans from a source (usually another arena) when
 *    it runs dry and gives each span back when all of it is free again;
 *  - sizes of 1..qcache_max quanta go through quantum caches: one object
 *    cache per size with per-hart magazines in front of the arena; the
 *    common vmem_alloc and vmem_free of such a size take no lock (a free
 *    is checked exactly by one compare-and-swap on the round's entry in
 *    the arena's round table).
 *
 * Running out: an allocation first imports, then drains the quantum caches
 * and calls the reclaim callback, then (M_WAITOK) sleeps until a free or an
 * add wakes it.  M_NOWAIT returns ENOMEM.  An M_WAITOK allocation that can
 * never succeed because nothing else could ever run to free space
 * (md_sleep_would_deadlock()) panics and says so.
 *
 * Addresses are inclusive ranges in FreeBSD's sense: an allocation
 * [a, a + size - 1] lies within [minaddr, maxaddr].
 *
 * Invalid frees panic at the call, naming the function (vmem_free or
 * vmem_xfree), the arena, the address and the size: an address that is
 * not allocated in the arena, one already freed (also when a quantum cache
 * holds it), or a size that differs from the allocated one after rounding
 * to the quantum.  In every build, quantum-cached sizes included.
 *
 * Locking: one kmem_spin per arena ("vmem arena lock").  An arena's lock is
 * never held while calling its import, release or reclaim function or the
 * backend, so a child never holds its lock while entering its parent (lock
 * order in kmem/spin.h: child arena before parent).  The boundary-tag pool
 * lock and the magazine pool lock are leaves.
 */
#ifndef KMEM_VMEM_H
#define KMEM_VMEM_H

#include <stdatomic.h>
#include <kmem/types.h>
#include <kmem/spin.h>
#include <kmem/vm_param.h>

typedef struct vmem vmem_t;

/** Import span(s) of @p size bytes from a source; 0 and *addrp on success. */
typedef int (vmem_import_t)(void *arg, vmem_size_t size, int flags,
    vmem_addr_t *addrp);
/** Give back a span obtained from the import function. */
typedef void (vmem_release_t)(void *arg, vmem_addr_t addr, vmem_size_t size);
/** Called (arena lock not held) when an allocation is about to fail. */
typedef void (vmem_reclaim_t)(vmem_t *vm, int flags);

/**
 * Backend for vmem's own memory: boundary-tag pages, vmem_create'd arena
 * structures, grown hash tables, quantum-cache magazines and round-table
 * leaves.  @p size is a multiple of PAGE_SIZE; returns a directly usable,
 * page-aligned pointer or NULL.  Called
 * with no vmem lock held; it may itself allocate from a vmem arena.
 */
typedef void *(vmem_backend_alloc_t)(vmem_size_t size, int flags);
typedef void (vmem_backend_free_t)(void *p, vmem_size_t size);

#define VMEM_ADDR_MIN		0
#define VMEM_ADDR_QCACHE_MIN	1	/* magazine fills never take 0 */
#define VMEM_ADDR_MAX		(~(vmem_addr_t)0)

/* vmem_size() type masks. */
#define VMEM_ALLOC	0x01
#define VMEM_FREE	0x02
#define VMEM_MAXFREE	0x10

/**
 * Create an arena in storage vmem allocates (from the backend, or from a
 * small static pool before a backend is installed).
 *
 * @param name       name for dumps and panic messages (copied, truncated)
 * @param base,size  initial span (size 0: none)
 * @param quantum    unit of allocation, a power of two
 * @param qcache_max largest size served by the quantum caches (a multiple of
 *                   quantum; 0 for none; at most 16 quanta are cached)
 * @param flags      M_WAITOK or M_NOWAIT
 * @retval NULL if a parameter is invalid (see vmem_init), the initial span
 *         cannot be added, or no storage is left.
 */
vmem_t *vmem_create(const char *name, vmem_addr_t base, vmem_size_t size,
    vmem_size_t quantum, vmem_size_t qcache_max, int flags);

/**
 * Initialise an arena in caller-provided storage (for example a static
 * struct vmem at boot, before any page allocator exists).
 *
 * @retval vm on success
 * @retval NULL if quantum is 0 or not a power of two, qcache_max is not a
 *         multiple of quantum, the initial span is invalid (see vmem_add),
 *         or no boundary tag is left.  Nothing stays registered.
 */
vmem_t *vmem_init(vmem_t *vm, const char *name, vmem_addr_t base,
    vmem_size_t size, vmem_size_t quantum, vmem_size_t qcache_max, int flags);

/**
 * Destroy an arena: drain its quantum caches, give imported spans back and
 * free its storage if vmem_create made it.  Panics if segments are still
 * allocated.
 */
void vmem_destroy(vmem_t *vm);

/**
 * Add the span [addr, addr + size) to the arena.  Wakes sleeping allocators.
 *
 * @retval 0 success
 * @retval EINVAL size is 0, addr or size is not a multiple of the quantum,
 *         the span wraps around the address space, or it overlaps a span
 *         already in the arena
 * @retval ENOMEM no boundary tag could be had (M_NOWAIT)
 */
int vmem_add(vmem_t *vm, vmem_addr_t addr, vmem_size_t size, int flags);

/** Set the import/release functions; the arena must still be empty. */
void vmem_set_import(vmem_t *vm, vmem_import_t *importfn,
    vmem_release_t *releasefn, void *arg, vmem_size_t import_quantum);
/** Imports stop once the arena's total size would exceed limit (0: none). */
void vmem_set_limit(vmem_t *vm, vmem_size_t limit);
/** Callback run (no arena lock held) before an allocation would fail. */
void vmem_set_reclaim(vmem_t *vm, vmem_reclaim_t *reclaimfn);

/**
 * Allocate size bytes (rounded up to the quantum) with no constraint.
 * flags: M_WAITOK or M_NOWAIT, and one of M_BESTFIT, M_FIRSTFIT (instant
 * fit), M_NEXTFIT (none given: M_BESTFIT).
 *
 * @retval 0 success, *addrp set
 * @retval EINVAL size is 0, flags carry both M_WAITOK and M_NOWAIT or more
 *         than one fit strategy, or addrp is NULL
 * @retval ENOMEM size overflows when rounded, or (M_NOWAIT) no space
 */
int vmem_alloc(vmem_t *vm, vmem_size_t size, int flags, vmem_addr_t *addrp);

/** Free a vmem_alloc'd range (same size).  Invalid frees panic. */
void vmem_free(vmem_t *vm, vmem_addr_t addr, vmem_size_t size);

/**
 * Allocate with constraints, exactly as FreeBSD's vmem_xalloc: the result a
 * satisfies a % align == phase, [a, a + size - 1] does not cross a multiple
 * of nocross, and minaddr <= a, a + size - 1 <= maxaddr.  Never served from
 * the quantum caches.
 *
 * @param align   0 (the quantum) or a power of two multiple of the quantum
 * @param phase   a multiple of the quantum, less than align (0 if align 0)
 * @param nocross 0 (none) or a power of two multiple of the quantum, at
 *                least the rounded size, with [phase, phase + size - 1] not
 *                crossing it
 * @retval 0 success, *addrp set
 * @retval EINVAL size 0, a constraint above broken, minaddr > maxaddr,
 *         M_NEXTFIT with a window narrower than the whole range, bad flags
 *         (as vmem_alloc) or addrp NULL
 * @retval ENOMEM size overflows when rounded, the window [minaddr, maxaddr]
 *         has no room for any range meeting the constraints, or (M_NOWAIT)
 *         no space
 */
int vmem_xalloc(vmem_t *vm, vmem_size_t size, vmem_size_t align,
    vmem_size_t phase, vmem_size_t nocross, vmem_addr_t minaddr,
    vmem_addr_t maxaddr, int flags, vmem_addr_t *addrp);

/** Free a vmem_xalloc'd range (same size).  Invalid frees panic. */
void vmem_xfree(vmem_t *vm, vmem_addr_t addr, vmem_size_t size);

/**
 * Arena sizes: VMEM_ALLOC bytes allocated (quantum-cached rounds count as
 * allocated until drained), VMEM_FREE bytes free, VMEM_ALLOC | VMEM_FREE
 * the total, VMEM_MAXFREE the largest free segment.  Any other mask: 0.
 */
vmem_size_t vmem_size(vmem_t *vm, int typemask);

/** size rounded up to the arena's quantum (wraps to 0 if it overflows). */
vmem_size_t vmem_roundup_size(vmem_t *vm, vmem_size_t size);

/** Return every round held in vm's quantum caches to the arena. */
void vmem_drain(vmem_t *vm);
/** vmem_drain() on every arena (the lowmem handler calls this). */
void vmem_drain_all(void);

/** Human-readable dump of one arena / of every arena to the console. */
void vmem_print(vmem_t *vm);
void vmem_printall(void);
/**
 * Call @p fn for every arena, in the order of the arena list (newest
 * first), with the list lock held: @p fn may take an arena's lock but must
 * not create or destroy an arena.
 */
void vmem_foreach(void (*fn)(vmem_t *vm, void *arg), void *arg);

/** Install the backend for vmem's own memory (see vmem_backend_alloc_t). */
void vmem_set_backend(vmem_backend_alloc_t *allocfn,
    vmem_backend_free_t *freefn);

/* ===================================================================== */
/*  Implementation, do not touch fields.  struct vmem is a complete type  */
/*  only so that callers can provide storage (static struct vmem arena).  */
/* ===================================================================== */

#define VMEM_NAME_MAX		15
#define VMEM_QCACHE_IDX_MAX	16	/* quantum-cached sizes: 1..16 quanta */
#define VMEM_NEXACT		64	/* exact free-list classes: 1..64 quanta */
#define VMEM_NFREELIST		(VMEM_NEXACT + 58)	/* + powers of two */
#define VMEM_FLWORDS		((VMEM_NFREELIST + 63) / 64)
#define VMEM_HASH0_SHIFT	6
#define VMEM_HASH0_SIZE		(1U << VMEM_HASH0_SHIFT)
#define VMEM_QLEAF_BUCKETS	32	/* round table: leaf lists */

struct vmem_btag;
struct vmem_qleaf;

/* The depot of one cached size: magazines not loaded in any hart. */
struct vmem_qcache {
	struct kmem_spin	qc_lock;	/* "vmem depot lock" */
	uintptr_t		qc_full;	/* magazines holding rounds */
	uintptr_t		qc_empty;	/* magazines with room */
	vmem_size_t		qc_size;
};

struct vmem {
	/* Read by the quantum-cache fast paths; constant after vmem_init. */
	vmem_size_t		vm_qfast;	/* qcache_max, 0 while waiters */
	int			vm_quantum_shift;
	u_int			vm_flags;
	vmem_size_t		vm_quantum_mask;
	vmem_size_t		vm_qcache_max;

	/* Under vm_lock. */
	struct kmem_spin	vm_lock;	/* "vmem arena lock" */
	struct vmem_btag	*vm_seghead;	/* segment list, by address */
	struct vmem_btag	*vm_segtail;
	struct vmem_btag	*vm_spans;	/* span tags, by address */
	struct vmem_btag	*vm_freetags;	/* this arena's tag cache */
	u_int			vm_nfreetags;
	u_int			vm_nwaiters;
	u_int			vm_rehashing;
	u_int			vm_hashshift;	/* 64 - log2(hash size) */
	struct vmem_btag	**vm_hashlist;
	vmem_size_t		vm_hashsize;
	vmem_size_t		vm_nbusytag;
	vmem_size_t		vm_inuse;
	vmem_size_t		vm_size;
	vmem_size_t		vm_limit;
	vmem_addr_t		vm_cursor;	/* M_NEXTFIT: next address */
	struct vmem_btag	*vm_cursor_bt;	/* M_NEXTFIT: search start */
	struct vmem_btag	*vm_stale;	/* free, on a list for a bigger
						   size (see vmem.c) */
	unsigned long		vm_flbits[VMEM_FLWORDS];
	struct vmem_btag	*vm_freelist[VMEM_NFREELIST];

	/*
	 * Per hart and cached size: the loaded magazine, which allocations
	 * pop from and frees push to, and the previous one (each slot owned
	 * by whoever swapped its magazine out).
	 */
	_Atomic uintptr_t	vm_qload[MAXCPU][VMEM_QCACHE_IDX_MAX];
	_Atomic uintptr_t	vm_qprev[MAXCPU][VMEM_QCACHE_IDX_MAX];
	struct vmem_qcache	vm_qcache[VMEM_QCACHE_IDX_MAX];
	/* The round table's leaves (see vmem_qcache.c), insert-only. */
	struct vmem_qleaf *_Atomic vm_qleaf[VMEM_QLEAF_BUCKETS];

	struct vmem_btag	*vm_hash0[VMEM_HASH0_SIZE];
	vmem_import_t		*vm_importfn;
	vmem_release_t		*vm_releasefn;
	void			*vm_arg;
	vmem_size_t		vm_import_quantum;
	vmem_reclaim_t		*vm_reclaimfn;
	struct vmem		*vm_next;	/* all arenas */
	char			vm_name[VMEM_NAME_MAX + 1];
};

#endif /* KMEM_VMEM_H */
