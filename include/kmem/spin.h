/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/spin.h: spinlocks for kmem's internal state.
 *
 * A kmem_spin is one C11 atomic word that holds its owner (cpuid + 1, or 0
 * when free), as FreeBSD's mtx_lock holds the owning thread: taken by one
 * compare-and-swap from 0, with interrupts disabled on this hart
 * (md_intr_disable), waited for by reading until it looks free, and
 * released by storing 0 with interrupts restored.  It is portable C11: on the host twin ThreadSanitizer sees the
 * acquire/release pairs.  Every acquisition is counted (kmem_spin_count)
 * so that tests and benchmarks can show which paths take which locks.
 *
 * Lock order, outer first.  This is the one statement of it: every other
 * file points here.  A hart that holds a lock takes only locks below it.
 *   1. the one-time start-up locks of malloc(9), then of UMA (taken once,
 *      at first use, around zone creation)
 *   2. kmem free batch locks (one per hart, src/vm_kern.c)
 *   3. vm_map locks (kernel_map, then a submap)
 *   4. vmem arena locks (an arena, then the arena it imports from)
 *   5. kernel_pmap lock (page-table pages are allocated under it, NOWAIT)
 *   6. uma_zones_lock, then a zone's domain locks (one at a time)
 *   7. vm_domain free locks (one at a time)
 *   8. lowmem handler list lock
 *   9. the platform's shootdown lock (inside md_tlb_shootdown)
 * Leaves (nothing is taken under them): vm_map's entry pool lock, vmem's
 * boundary-tag pool and magazine pool locks, a vmem depot lock, a UMA
 * zone's limit lock, the malloc(9) type list lock, the page allocator's
 * wait lock, the swap reservation ("commit") lock.  Waiting for pages
 * (VM_ALLOC_WAITOK, vm_wait) and sleeping happen with no kmem_spin held,
 * except a sleep's own lock, which md_sleep drops.
 */
#ifndef KMEM_SPIN_H
#define KMEM_SPIN_H

#include <stdatomic.h>
#include <kmem/types.h>

struct kmem_spin {
	atomic_uint	ks_owner;	/* cpuid + 1 of the holder, 0 if free */
	unsigned long	ks_saved;	/* interrupt state of the holder */
	const char	*ks_name;
	bool		ks_percpu;	/* one hart's own lock: not counted */
};

#define KMEM_SPIN_INITIALIZER(name) { 0, 0, (name), false }

void kmem_spin_init(struct kmem_spin *l, const char *name);
/* A lock that belongs to one hart (others take it only to drain it). */
void kmem_spin_init_percpu(struct kmem_spin *l, const char *name);
void kmem_spin_lock(struct kmem_spin *l);
void kmem_spin_unlock(struct kmem_spin *l);
bool kmem_spin_owned(const struct kmem_spin *l);

/*
 * Acquisitions of shared locks (global, per-domain, per-arena, per-map)
 * since boot, all harts; per-hart locks are not counted.
 */
unsigned long kmem_spin_count(void);

#endif /* KMEM_SPIN_H */
