/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to src/: panic, assertions and printing shared by every layer.
 */
#ifndef KMEM_PRIVATE_H
#define KMEM_PRIVATE_H

#include <kmem/types.h>
#include <kmem/machine.h>
#include <kmem/spin.h>
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
 * The spinlock fast paths, inline for src/: an uncontended lock or unlock
 * is a dozen instructions.  Contention and misuse go out of line.
 */
extern _Atomic unsigned long kmem_spin_counts[MAXCPU];
void kmem_spin_lock_contended(struct kmem_spin *l, u_int self);
__kmem_noreturn void kmem_spin_unlock_bad(struct kmem_spin *l);

static inline void
kmem_spin_lock_inl(struct kmem_spin *l)
{
	unsigned long saved;
	u_int self;

	saved = kmem_intr_disable();
	self = kmem_cpuid() + 1;
	if (__predict_false(atomic_exchange_explicit(&l->ks_locked, 1,
	    memory_order_acquire) != 0))
		kmem_spin_lock_contended(l, self);
	__atomic_store_n(&l->ks_owner, self, __ATOMIC_RELAXED);
	l->ks_saved = saved;
	if (!l->ks_percpu)
		atomic_store_explicit(&kmem_spin_counts[self - 1],
		    atomic_load_explicit(&kmem_spin_counts[self - 1],
		    memory_order_relaxed) + 1, memory_order_relaxed);
}

/*
 * kmem_spin_lock without the waiting: if l is free, take it and leave it
 * exactly as kmem_spin_lock does (interrupts off and their state saved,
 * owner set, acquisition counted) and return true; else put interrupts
 * back and return false.  For hot paths that hand a busy lock to an
 * out-of-line twin: a wait in the middle of a hot path costs it a stack
 * frame.  @counted: l is not per-hart (a constant at the call site).
 */
static inline bool
kmem_spin_trylock_inl(struct kmem_spin *l, bool counted)
{
	unsigned long saved;
	int cpu;

	saved = kmem_intr_disable();
	if (__predict_false(atomic_exchange_explicit(&l->ks_locked, 1,
	    memory_order_acquire) != 0)) {
		kmem_intr_restore(saved);
		return (false);
	}
	/* An int index: no zero-extension of the hart number. */
	cpu = (int)kmem_cpuid();
	__atomic_store_n(&l->ks_owner, (u_int)cpu + 1, __ATOMIC_RELAXED);
	l->ks_saved = saved;
	if (counted)
		atomic_store_explicit(&kmem_spin_counts[cpu],
		    atomic_load_explicit(&kmem_spin_counts[cpu],
		    memory_order_relaxed) + 1, memory_order_relaxed);
	return (true);
}

/*
 * kmem_spin_unlock, or false with l left alone when this hart does not
 * hold it: the caller reports that (kmem_spin_unlock_bad), where a call
 * that never returns costs its hot path nothing (a tail call).
 */
static inline bool
kmem_spin_unlock_ok_inl(struct kmem_spin *l)
{
	unsigned long saved;

	if (__predict_false(__atomic_load_n(&l->ks_owner, __ATOMIC_RELAXED) !=
	    kmem_cpuid() + 1))
		return (false);
	saved = l->ks_saved;
	__atomic_store_n(&l->ks_owner, 0, __ATOMIC_RELAXED);
	atomic_store_explicit(&l->ks_locked, 0, memory_order_release);
	kmem_intr_restore(saved);
	return (true);
}

static inline void
kmem_spin_unlock_inl(struct kmem_spin *l)
{

	if (__predict_false(!kmem_spin_unlock_ok_inl(l)))
		kmem_spin_unlock_bad(l);
}

#ifndef KMEM_CORE_DEFINES_SPIN
#define kmem_spin_lock(l)	kmem_spin_lock_inl(l)
#define kmem_spin_unlock(l)	kmem_spin_unlock_inl(l)
#endif

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
