/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to src/: panic, assertions and printing shared by every layer.
 */
#ifndef KMEM_PRIVATE_H
#define KMEM_PRIVATE_H

#include <kmem/types.h>
#include <kmem/fault.h>
#include <kmem/machine.h>
#include <kmem/spin.h>
#include <kmem/startup.h>
#include <kmem/vm_param.h>

#include "bitscan.h"

/*
 * panic: format a message and stop the machine through md_panic().
 * Messages name the function, the address and what was wrong.
 */
__kmem_noreturn void panic(const char *fmt, ...) __kmem_printflike(1, 2);

/*
 * KASSERT(cond, (fmt, args)): checks of internal state.  On unless the
 * build option kmem_invariants=false (-DKMEM_INVARIANTS=0) turns the
 * expensive ones off; the cheap ones use KMEM_CHECK, which is always on.
 */
#ifndef KMEM_INVARIANTS
#define KMEM_INVARIANTS 1
#endif
#define KASSERT(cond, msg) do {					\
	if (KMEM_INVARIANTS && __predict_false(!(cond)))		\
		panic msg;						\
} while (0)
#define KMEM_CHECK(cond, msg) do {					\
	if (__predict_false(!(cond)))					\
		panic msg;						\
} while (0)

/*
 * Fast machine hooks for hot paths.  A platform that can inline them (a TLS
 * load for the cpu index, one CSR instruction for interrupts) names its
 * header in KMEM_MD_INLINE_HEADER; otherwise they call the md_* hooks.
 */
#ifdef KMEM_MD_INLINE_HEADER
#include KMEM_MD_INLINE_HEADER
#else
static inline u_int
kmem_cpuid(void)
{
	return (md_cpuid());
}
static inline unsigned long
kmem_intr_disable(void)
{
	return (md_intr_disable());
}
static inline void
kmem_intr_restore(unsigned long saved)
{
	md_intr_restore(saved);
}
static inline void
kmem_tlb_flush_page(vm_offset_t va)
{
	md_tlb_flush_page(va);
}
static inline u_int
kmem_ncpus_running(void)
{
	return (md_ncpus_running());
}
static inline void
kmem_tlb_shootdown(vm_offset_t sva, vm_offset_t eva)
{
	md_tlb_shootdown(sva, eva);
}
#endif

/*
 * KMEM_UP(call): an entry point that needs kmem up (kmem_up says how far
 * kmem_startup got).  Called earlier, it panics naming the call.  Kept
 * off the fast paths: those fall through to a checked slow path when the
 * layers are not there.
 */
__kmem_noreturn void kmem_not_started(const char *call);
#define KMEM_UP(call) do {						\
	if (__predict_false((kmem_up & KMEM_UP_KMEM) == 0))		\
		kmem_not_started(call);					\
} while (0)

/*
 * KMEM_MAY_SLEEP(call): first thing in a call that may sleep.  Made from
 * an interrupt handler (between kmem_intr_enter and kmem_intr_exit, see
 * kmem/fault.h) it panics naming the call instead of deadlocking.
 */
extern u_int kmem_intr_depth[MAXCPU];
__kmem_noreturn void kmem_sleep_in_intr(const char *call);
#define KMEM_MAY_SLEEP(call) do {					\
	if (__predict_false(kmem_intr_depth[kmem_cpuid()] != 0))	\
		kmem_sleep_in_intr(call);				\
} while (0)

/*
 * The spinlock protocol (kmem/spin.h), in one place: this inline fast
 * path (try once) is all a hot path inlines; kmem_spin_lock and
 * kmem_spin_unlock (spin.c) are the out-of-line calls that wait and check.
 *
 * kmem_spin_try: if l is free, take it exactly as kmem_spin_lock
 * does (interrupts off and their state saved, owner set, acquisition
 * counted when @counted: l is not per-hart) and return true; else put
 * interrupts back and return false.
 */
extern _Atomic unsigned long kmem_spin_counts[MAXCPU];

static inline bool
kmem_spin_try(struct kmem_spin *l, bool counted)
{
	unsigned long saved;
	u_int free;
	int cpu;

	saved = kmem_intr_disable();
	cpu = (int)kmem_cpuid();	/* with interrupts off: no migration */
	free = 0;
	if (__predict_false(!atomic_compare_exchange_strong_explicit(
	    &l->ks_owner, &free, (u_int)cpu + 1, memory_order_acquire,
	    memory_order_relaxed))) {
		kmem_intr_restore(saved);
		return (false);
	}
	l->ks_saved = saved;
	if (counted)
		atomic_fetch_add_explicit(&kmem_spin_counts[cpu], 1,
		    memory_order_relaxed);
	return (true);
}

/*
 * Release l and return true; or return false, leaving l alone, when this
 * hart does not hold it: the caller reports that with
 * kmem_spin_unlock_bad(), which panics.
 */
static inline bool
kmem_spin_release_mine(struct kmem_spin *l)
{
	unsigned long saved;

	if (__predict_false(atomic_load_explicit(&l->ks_owner,
	    memory_order_relaxed) != kmem_cpuid() + 1))
		return (false);
	saved = l->ks_saved;
	atomic_store_explicit(&l->ks_owner, 0, memory_order_release);
	kmem_intr_restore(saved);
	return (true);
}

__kmem_noreturn void kmem_spin_unlock_bad(struct kmem_spin *l);

/*
 * Zero len bytes at p (both multiples of 8): 64 bytes per loop turn.
 * picolibc's memset is a byte loop, about 16,000 instructions per page;
 * this is about 700.
 */
void kmem_zero(void *p, size_t len);
#define kmem_zero_page(p)	kmem_zero((p), PAGE_SIZE)

/* Print to the console (printf semantics, no FILE needed). */
int kmem_printf(const char *fmt, ...) __kmem_printflike(1, 2);

#endif /* KMEM_PRIVATE_H */
