/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmem_qcache.c: quantum caches (Bonwick's magazines) in front of an
 * arena: vmem_alloc, vmem_free, vmem_drain.
 *
 * For each cached size (1..VMEM_QCACHE_IDX_MAX quanta, up to qcache_max)
 * an arena has a depot (magazines with rounds and magazines with room,
 * under a spin lock) and, per hart, a loaded slot and a previous slot, each
 * holding one magazine (Bonwick's loaded and previous magazines): both
 * fast paths use the loaded one, so a hart that allocates and frees in
 * turn stays on its fast paths.  A round is a busy segment of the arena
 * (its tag marked bt_round) whose owner, a caller or the cache, is written
 * in its entry of the arena's round table (vmem_private.h): QE_OUT or
 * QE_CACHED.
 * A magazine stores pointers to the entries of the rounds it holds.
 *
 * A magazine is 256 bytes, 256-aligned, and is named by a handle: the
 * address of its next free slot, so the handle alone says where the rounds
 * end and how many there are (handle & 255 is 8 * rounds).  A hart owns
 * one of its slots by swapping MAG_BUSY into it (one atomic swap,
 * acquire) and gives it back by storing a handle (release); no interrupt
 * masking is needed: a path that finds the slot busy (a drainer holds it,
 * or an interrupt stopped its owner) uses the arena instead.  A drainer
 * (vmem_drain, any hart) swaps MAG_BUSY in the same way and waits while
 * the owner is inside.
 *
 * The fast paths take no lock: vmem_alloc pops an entry from its hart's
 * loaded magazine and marks it QE_OUT; vmem_free claims the round with one
 * compare-and-swap of its entry from QE_OUT to QE_CACHED and pushes it on
 * the loaded magazine.  Their slow paths trade magazines with the
 * previous slot and the depot, and fill at most QC_FILL_ROUNDS rounds
 * from the arena per call (a bounded refill).
 *
 * Why the lock-free claim is exact.  Entry e of leaf L stands for one
 * address a of one arena for as long as the arena lives (a leaf's key and
 * list link never change and leaves are freed only by vmem_destroy), so
 * finding e needs no lock.  The entry changes only as follows:
 *   0 -> QE_CACHED(i)       vmem_rounds_alloc, arena lock held, when it
 *                           makes a free range [a, a + (i+1) quanta) busy;
 *   QE_CACHED -> QE_OUT     vmem_alloc, by the one hart whose magazine
 *                           held e (it owns the round);
 *   QE_OUT -> QE_CACHED     vmem_free (or vmem_round_claim under the
 *                           lock), compare-and-swap;
 *   QE_CACHED -> 0          vmem_rounds_free, lock held, by whoever owns
 *                           the round in the cache (a drainer, or a free
 *                           that found no room), before it frees the
 *                           segment;
 *   QE_OUT -> 0             vmem_xfree of a round, lock held, by
 *                           compare-and-swap.
 * Hence e == QE_OUT(i) exactly while a caller holds the round at a, a
 * busy segment of i+1 quanta that the cache handed out (other busy
 * segments have entry 0).  A vmem_free(a, size) whose swap from
 * QE_OUT(size's index) succeeds therefore frees a live round of that
 * size, and the swap makes the cache its only owner: of two frees of one
 * round, racing or not, at most one swap succeeds.  Every other case (no
 * leaf, an entry that is 0, QE_CACHED or of another size, an address off
 * the quantum) fails the swap and goes to vmem_round_claim, which decides
 * under the arena lock with the busy hash, exactly as vmem_xfree does,
 * and panics naming vmem_free, the arena and the address.  While the
 * lock is held only the two lock-free transitions can happen, so what it
 * reads of e stays true for its decision (a QE_CACHED entry means the
 * cache holds the round: a second free).
 */
#include <kmem/vmem.h>

#include "kmem_private.h"
#include "vmem_private.h"

#define VMEM_MAG_ROUNDS	31
#define VMEM_MAG_SIZE	256
struct vmem_mag {
	vmem_round_t		*m_obj[VMEM_MAG_ROUNDS];
	uintptr_t		m_next;	/* depot and pool lists; 0 ends */
};
_Static_assert(sizeof(struct vmem_mag) == VMEM_MAG_SIZE, "magazine size");

#define MAG_MASK	((uintptr_t)VMEM_MAG_SIZE - 1)
#define MAG_ROUND	sizeof(vmem_round_t *)
#define MAG_FULL	((uintptr_t)VMEM_MAG_ROUNDS * MAG_ROUND)
#define MAG(h)		((struct vmem_mag *)(void *)((h) & ~MAG_MASK))
#define MAG_ROUNDS(h)	((u_int)(((h) & MAG_MASK) / MAG_ROUND))

/*
 * Slot values that are not handles (handles are real addresses, far above
 * these): somebody is inside (BUSY), and no magazine (NONE).  Both end in
 * 8 zero bits like an empty magazine, so vmem_alloc has a single test.
 */
#define MAG_BUSY	((uintptr_t)0)
#define MAG_NONE	((uintptr_t)VMEM_MAG_SIZE)
/* A magazine with a free slot (not BUSY, not NONE, not full). */
#define MAG_ROOM(h)	\
	((h) > MAG_NONE && (((h) + MAG_ROUND) & MAG_MASK) != 0)

/* Rounds a refill takes from the arena in one call: bounds its cost. */
#define QC_FILL_ROUNDS	4

/* The magazine pool (leaf lock): handles of empty magazines. */
static struct kmem_spin vmem_mag_lock = KMEM_SPIN_INITIALIZER("vmem mag pool");
static uintptr_t vmem_mag_pool;
static atomic_ulong vmem_mag_npages;	/* backend pages cut into magazines */

void
vmem_qcache_init(vmem_t *vm)
{
	u_int c, i;

	for (c = 0; c < MAXCPU; c++) {
		for (i = 0; i < VMEM_QCACHE_IDX_MAX; i++) {
			atomic_init(&vm->vm_qload[c][i], MAG_NONE);
			atomic_init(&vm->vm_qprev[c][i], MAG_NONE);
		}
	}
	for (i = 0; i < VMEM_QLEAF_BUCKETS; i++)
		atomic_init(&vm->vm_qleaf[i], NULL);
	for (i = 0; i < VMEM_QCACHE_IDX_MAX; i++) {
		kmem_spin_init(&vm->vm_qcache[i].qc_lock, "vmem depot lock");
		vm->vm_qcache[i].qc_size = (vmem_size_t)(i + 1) <<
		    vm->vm_quantum_shift;
	}
}

bool
vmem_qleaf_add(vmem_t *vm, vmem_addr_t addr)
{
	struct vmem_qleaf *l;
	vmem_addr_t key;
	size_t b;
	u_int i;

	if (vmem_backend_alloc == NULL)
		return (false);
	kmem_spin_unlock(&vm->vm_lock);
	l = vmem_backend_alloc(PAGE_SIZE, M_NOWAIT);
	KMEM_CHECK(((uintptr_t)l & PAGE_MASK) == 0, ("vmem_qleaf_add: arena "
	    "\"%s\": the backend's page %p is not page-aligned", vm->vm_name,
	    (void *)l));
	kmem_spin_lock(&vm->vm_lock);
	if (l == NULL)
		return (false);
	if (vmem_round_entry(vm, addr) != NULL) {
		/* Another hart added it while the lock was dropped. */
		kmem_spin_unlock(&vm->vm_lock);
		vmem_backend_free(l, PAGE_SIZE);
		kmem_spin_lock(&vm->vm_lock);
		return (true);
	}
	for (i = 0; i < QLEAF_N; i++)
		atomic_init(&l->ql_e[i], 0);
	key = addr >> vm->vm_quantum_shift >> QLEAF_SHIFT;
	l->ql_key = key;
	l->ql_base = key << QLEAF_SHIFT << vm->vm_quantum_shift;
	b = QLEAF_BUCKET(key);
	l->ql_next = atomic_load_explicit(&vm->vm_qleaf[b],
	    memory_order_relaxed);
	/* Publish the leaf whole: vmem_round_entry's acquire pairs. */
	atomic_store_explicit(&vm->vm_qleaf[b], l, memory_order_release);
	return (true);
}

void
vmem_qleaf_free_all(vmem_t *vm)
{
	struct vmem_qleaf *l, *next;
	u_int b;

	for (b = 0; b < VMEM_QLEAF_BUCKETS; b++) {
		l = atomic_exchange_explicit(&vm->vm_qleaf[b], NULL,
		    memory_order_acquire);
		for (; l != NULL; l = next) {
			next = l->ql_next;
			vmem_backend_free(l, PAGE_SIZE);
		}
	}
}

/* Push handle h on a list of magazines (its lock held). */
VMEM_INLINE void
mag_push(uintptr_t *list, uintptr_t h)
{

	MAG(h)->m_next = *list;
	*list = h;
}

VMEM_INLINE uintptr_t
mag_pop(uintptr_t *list)
{
	uintptr_t h;

	if ((h = *list) != 0)
		*list = MAG(h)->m_next;
	return (h);
}

/*
 * An empty magazine (its handle) from the pool, refilled a page at a time
 * from the backend.  0 if there is none.  No lock held on entry.
 */
static uintptr_t
mag_get(void)
{
	uintptr_t h, head, p, end;

	kmem_spin_lock(&vmem_mag_lock);
	h = mag_pop(&vmem_mag_pool);
	kmem_spin_unlock(&vmem_mag_lock);
	if (h != 0 || vmem_backend_alloc == NULL)
		return (h);
	p = (uintptr_t)vmem_backend_alloc(PAGE_SIZE, M_NOWAIT);
	if (p == 0)
		return (0);
	atomic_fetch_add_explicit(&vmem_mag_npages, 1, memory_order_relaxed);
	/* Handles need 256-byte alignment; a page normally has it. */
	end = p + PAGE_SIZE;
	p = (p + MAG_MASK) & ~MAG_MASK;
	KMEM_CHECK(p > MAG_NONE, ("vmem mag_get: backend page at 0x%lx",
	    (u_long)p));
	h = p;
	head = 0;
	for (p += VMEM_MAG_SIZE; p + VMEM_MAG_SIZE <= end;
	    p += VMEM_MAG_SIZE)
		mag_push(&head, p);
	if (head != 0) {
		kmem_spin_lock(&vmem_mag_lock);
		for (p = head; MAG(p)->m_next != 0; p = MAG(p)->m_next)
			;
		MAG(p)->m_next = vmem_mag_pool;
		vmem_mag_pool = head;
		kmem_spin_unlock(&vmem_mag_lock);
	}
	return (h);
}

/* Push h on a depot list, taking the depot lock. */
static void
depot_push(struct vmem_qcache *qc, uintptr_t *list, uintptr_t h)
{

	kmem_spin_lock(&qc->qc_lock);
	mag_push(list, h);
	kmem_spin_unlock(&qc->qc_lock);
}

/*
 * Hand out the top round (of idx + 1 quanta) of the magazine whose handle
 * is h: its caller holds it from now on.  Returns the new handle.
 */
VMEM_INLINE uintptr_t
mag_take(vmem_t *vm, uintptr_t h, u_long idx, vmem_addr_t *addrp)
{
	vmem_round_t *e;

	h -= MAG_ROUND;
	e = *(vmem_round_t **)h;
	atomic_store_explicit(e, QE_OUT(idx), memory_order_relaxed);
	*addrp = vmem_round_addr(vm, e);
	return (h);
}

/*
 * A slow path's trade with the previous slot ps: if the magazine there has
 * rounds (@rounds) or room (!@rounds), it becomes the caller's to load and
 * h (the caller's, 0 for none) goes to ps.  Returns it, or 0 when there
 * was no such magazine (or ps is held elsewhere).
 */
static uintptr_t
qc_trade_prev(_Atomic uintptr_t *ps, uintptr_t h, bool rounds)
{
	uintptr_t f;

	f = atomic_exchange_explicit(ps, MAG_BUSY, memory_order_acquire);
	if (f == MAG_BUSY)
		return (0);
	if (rounds ? (f & MAG_MASK) != 0 : MAG_ROOM(f)) {
		atomic_store_explicit(ps, h != 0 ? h : MAG_NONE,
		    memory_order_release);
		return (f);
	}
	atomic_store_explicit(ps, f, memory_order_release);
	return (0);
}

/*
 * The caller stops loading the magazine h (not 0): it becomes the previous
 * one if the previous slot ps has none (Bonwick's loaded and previous
 * magazines, so that qc_trade_prev finds it), else it goes on the depot
 * list.
 */
static void
qc_retire(struct vmem_qcache *qc, _Atomic uintptr_t *ps, uintptr_t *list,
    uintptr_t h)
{
	uintptr_t f;

	f = atomic_exchange_explicit(ps, MAG_BUSY, memory_order_acquire);
	if (f == MAG_NONE) {
		atomic_store_explicit(ps, h, memory_order_release);
		return;
	}
	if (f != MAG_BUSY)
		atomic_store_explicit(ps, f, memory_order_release);
	depot_push(qc, list, h);
}

/*
 * vmem_alloc's slow path.  h is what the fast path swapped out of the
 * hart's loaded slot for the size: MAG_BUSY (the slot is held elsewhere:
 * use the arena), else we own the slot and h is an empty magazine or
 * MAG_NONE.  Then: trade with the previous slot if its magazine has
 * rounds, else take a magazine with rounds from the depot (h retired to
 * the previous slot or the depot), else fill at most QC_FILL_ROUNDS
 * rounds from the arena, else allocate from the arena.  No lock held;
 * never sleeps unless the arena does.
 */
static __attribute__((noinline)) int
qc_alloc_slow(vmem_t *vm, vmem_size_t size, int flags, vmem_addr_t *addrp,
    u_int cpu, uintptr_t h)
{
	_Atomic uintptr_t *slot;
	struct vmem_qcache *qc;
	uintptr_t f, e;
	u_int idx, n;

	if (h == MAG_BUSY)
		goto arena;
	idx = (u_int)((size - 1) >> vm->vm_quantum_shift);
	qc = &vm->vm_qcache[idx];
	slot = &vm->vm_qload[cpu][idx];
	if (h == MAG_NONE)
		h = 0;
	if ((f = qc_trade_prev(&vm->vm_qprev[cpu][idx], h, true)) != 0) {
		h = f;
		goto take;
	}
	kmem_spin_lock(&qc->qc_lock);
	e = mag_pop(&qc->qc_full);
	kmem_spin_unlock(&qc->qc_lock);
	if (e != 0) {
		if (h != 0)
			qc_retire(qc, &vm->vm_qprev[cpu][idx], &qc->qc_empty,
			    h);
		h = e;
		goto take;
	}
	if (h == 0 && (h = mag_get()) == 0) {
		atomic_store_explicit(slot, MAG_NONE, memory_order_release);
		goto arena;
	}
	n = vmem_rounds_alloc(vm, qc->qc_size, MAG(h)->m_obj,
	    QC_FILL_ROUNDS);
	if (n == 0) {
		atomic_store_explicit(slot, h, memory_order_release);
		goto arena;
	}
	h += n * MAG_ROUND;
take:
	atomic_store_explicit(slot, mag_take(vm, h, idx, addrp),
	    memory_order_release);
	return (0);
arena:
	return (vmem_arena_alloc(vm, size, flags, addrp));
}

/*
 * vmem_free's slow path.  e NULL: the lock-free claim failed, so
 * vmem_round_claim decides under the arena lock (a panic, a segment freed
 * to the arena, or the round claimed and then pushed as on the fast
 * path).  Else e is the claimed round's entry and h is what the fast path
 * swapped out of the hart's loaded slot: MAG_BUSY (held elsewhere: give
 * the round back to the arena), or, the slot ours, a full magazine or
 * MAG_NONE.  Then: trade with the previous slot if its magazine has room,
 * else trade the full one for an empty one from the depot or the pool
 * (the full one retired to the previous slot or the depot), else give the
 * round back to the arena.  No lock held on entry.
 */
static __attribute__((noinline)) void
qc_free_slow(vmem_t *vm, vmem_addr_t addr, vmem_size_t size,
    vmem_round_t *e, uintptr_t h)
{
	_Atomic uintptr_t *slot;
	struct vmem_qcache *qc;
	uintptr_t f, m;
	u_int cpu, idx;

	cpu = kmem_cpuid();
	idx = (u_int)((size - 1) >> vm->vm_quantum_shift);
	slot = &vm->vm_qload[cpu][idx];
	if (e == NULL) {
		if ((e = vmem_round_claim(vm, addr, size)) == NULL)
			return;
		h = atomic_exchange_explicit(slot, MAG_BUSY,
		    memory_order_acquire);
		if (MAG_ROOM(h))
			goto push;
	}
	if (h == MAG_BUSY) {
		vmem_rounds_free(vm, &e, 1);
		return;
	}
	qc = &vm->vm_qcache[idx];
	if (h == MAG_NONE)
		h = 0;
	if ((f = qc_trade_prev(&vm->vm_qprev[cpu][idx], h, false)) != 0) {
		h = f;
		goto push;
	}
	kmem_spin_lock(&qc->qc_lock);
	m = mag_pop(&qc->qc_empty);
	kmem_spin_unlock(&qc->qc_lock);
	if (m == 0 && (m = mag_get()) == 0) {
		atomic_store_explicit(slot, h != 0 ? h : MAG_NONE,
		    memory_order_release);
		vmem_rounds_free(vm, &e, 1);
		return;
	}
	if (h != 0)
		qc_retire(qc, &vm->vm_qprev[cpu][idx], &qc->qc_full, h);
	h = m;
push:
	*(vmem_round_t **)h = e;
	atomic_store_explicit(slot, h + MAG_ROUND, memory_order_release);
}

/*
 * The fast path: one swap to own this hart's loaded slot for the size, a
 * pop, a release store; no lock.  Everything else is qc_alloc_slow, and a
 * size that is not cached (or arguments to refuse) go to vmem_arena_alloc.
 */
int
vmem_alloc(vmem_t *vm, vmem_size_t size, int flags, vmem_addr_t *addrp)
{
	_Atomic uintptr_t *slot;
	uintptr_t h;
	u_long idx;
	u_int cpu;

	if (__predict_false(size - 1 >= __atomic_load_n(&vm->vm_qfast,
	    __ATOMIC_RELAXED) || addrp == NULL || vmem_flags_bad(flags)))
		return (vmem_arena_alloc(vm, size, flags, addrp));
	cpu = kmem_cpuid();
	idx = (size - 1) >> vm->vm_quantum_shift;
	slot = &vm->vm_qload[cpu][idx];
	h = atomic_exchange_explicit(slot, MAG_BUSY, memory_order_acquire);
	/* MAG_BUSY, MAG_NONE and an empty magazine end in 0. */
	if (__predict_false((h & MAG_MASK) == 0))
		return (qc_alloc_slow(vm, size, flags, addrp, cpu, h));
	atomic_store_explicit(slot, mag_take(vm, h, idx, addrp),
	    memory_order_release);
	return (0);
}

/*
 * The fast path, no lock: claim the round by swapping its entry from
 * QE_OUT to QE_CACHED (exact: see the top of this file), one swap to own
 * this hart's loaded slot, a push, a release store.  A failed claim and a
 * full or missing magazine go to qc_free_slow, a size that is not cached
 * to vmem_xfree.
 */
void
vmem_free(vmem_t *vm, vmem_addr_t addr, vmem_size_t size)
{
	_Atomic uintptr_t *slot;
	vmem_round_t *e;
	uintptr_t h;
	u_long idx;
	u_int w;

	if (__predict_false(size - 1 >= __atomic_load_n(&vm->vm_qfast,
	    __ATOMIC_RELAXED))) {
		vmem_xfree(vm, addr, size);
		return;
	}
	idx = (size - 1) >> vm->vm_quantum_shift;
	e = (addr & vm->vm_quantum_mask) == 0 ? vmem_round_entry(vm, addr) :
	    NULL;
	w = QE_OUT(idx);
	if (__predict_false(e == NULL ||
	    !atomic_compare_exchange_strong_explicit(e, &w, QE_CACHED(idx),
	    memory_order_acq_rel, memory_order_relaxed))) {
		qc_free_slow(vm, addr, size, NULL, 0);
		return;
	}
	slot = &vm->vm_qload[kmem_cpuid()][idx];
	h = atomic_exchange_explicit(slot, MAG_BUSY, memory_order_acquire);
	if (__predict_false(!MAG_ROOM(h))) {
		qc_free_slow(vm, addr, size, e, h);
		return;
	}
	*(vmem_round_t **)h = e;
	atomic_store_explicit(slot, h + MAG_ROUND, memory_order_release);
}

/*
 * How long a drain waits for a slot of its own hart: only something this
 * hart interrupted (or a thread sharing its index) can be inside it, and
 * it cannot finish while we spin, so give up on that one slot.  On another
 * hart the owner is running and finishes: wait, so that no round stays
 * cached behind a drain that an M_WAITOK waiter relies on.
 */
#define QC_SELF_SPINS	1024

/*
 * Take the magazine out of one slot (waiting while somebody is inside),
 * leaving it with none.  0 if there was none, or (own hart) it stayed busy.
 */
static uintptr_t
qc_take_slot(_Atomic uintptr_t *slot, bool self)
{
	uintptr_t h;
	u_int spins;

	spins = 0;
	while ((h = atomic_exchange_explicit(slot, MAG_BUSY,
	    memory_order_acquire)) == MAG_BUSY) {
		if (self && ++spins > QC_SELF_SPINS)
			return (0);
		md_cpu_relax();
	}
	atomic_store_explicit(slot, MAG_NONE, memory_order_release);
	return (h != MAG_NONE ? h : 0);
}

/*
 * Every round of every hart's magazines and of the depots goes back to
 * the arena, and the magazines to the pool.  Takes each slot as its owner
 * would (waiting while somebody is inside).
 */
void
vmem_drain(vmem_t *vm)
{
	uintptr_t lists[VMEM_QCACHE_IDX_MAX], h, next;
	struct vmem_qcache *qc;
	u_int c, i, nq, self;

	nq = (u_int)(vm->vm_qcache_max >> vm->vm_quantum_shift);
	if (nq == 0)
		return;
	for (i = 0; i < nq; i++)
		lists[i] = 0;
	self = kmem_cpuid();
	for (c = 0; c < MAXCPU; c++) {
		for (i = 0; i < nq; i++) {
			h = qc_take_slot(&vm->vm_qload[c][i], c == self);
			if (h != 0)
				mag_push(&lists[i], h);
			h = qc_take_slot(&vm->vm_qprev[c][i], c == self);
			if (h != 0)
				mag_push(&lists[i], h);
		}
	}
	for (i = 0; i < nq; i++) {
		qc = &vm->vm_qcache[i];
		kmem_spin_lock(&qc->qc_lock);
		while ((h = mag_pop(&qc->qc_full)) != 0)
			mag_push(&lists[i], h);
		while ((h = mag_pop(&qc->qc_empty)) != 0)
			mag_push(&lists[i], h);
		kmem_spin_unlock(&qc->qc_lock);
		for (h = lists[i]; h != 0; h = next) {
			next = MAG(h)->m_next;
			vmem_rounds_free(vm, MAG(h)->m_obj, MAG_ROUNDS(h));
			kmem_spin_lock(&vmem_mag_lock);
			mag_push(&vmem_mag_pool, h & ~MAG_MASK);
			kmem_spin_unlock(&vmem_mag_lock);
		}
	}
}

unsigned long
vmem_mag_pages(void)
{

	return (atomic_load_explicit(&vmem_mag_npages, memory_order_relaxed));
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
