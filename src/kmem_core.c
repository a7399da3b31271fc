/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_core.c: panic, console printing, spinlocks and the hart barrier's
 * state, shared by every layer.
 */
#include <stdarg.h>
#include <stdio.h>

#include <kmem/smp.h>

#define KMEM_CORE_DEFINES_SPIN
#include "kmem_private.h"

#if !defined(__riscv_zbb)
/* bitscan.h's look-up table: index of the bit that (1 << i) * M puts on top. */
const uint8_t kmem_debruijn64[64] = {
	0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4,
	62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
	63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
	46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6,
};
#endif

/* Acquisitions per cpu: each written only by its own hart. */
_Atomic unsigned long kmem_spin_counts[MAXCPU];

void
panic(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	md_panic(buf);
}

void
kmem_zero(void *p, size_t len)
{
	uint64_t *w = p;
	size_t n;

	KASSERT(((uintptr_t)p & 7) == 0 && (len & 7) == 0,
	    ("kmem_zero: %p length %zu not 8-byte aligned", p, len));
	for (n = len >> 6; n > 0; n--, w += 8) {
		w[0] = 0; w[1] = 0; w[2] = 0; w[3] = 0;
		w[4] = 0; w[5] = 0; w[6] = 0; w[7] = 0;
	}
	for (n = (len & 63) >> 3; n > 0; n--)
		*w++ = 0;
}

int
kmem_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return (n);
	md_console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n :
	    sizeof(buf) - 1);
	return (n);
}

void
kmem_spin_init(struct kmem_spin *l, const char *name)
{

	atomic_init(&l->ks_locked, 0);
	l->ks_owner = 0;
	l->ks_saved = 0;
	l->ks_name = name;
	l->ks_percpu = false;
}

void
kmem_spin_init_percpu(struct kmem_spin *l, const char *name)
{

	kmem_spin_init(l, name);
	l->ks_percpu = true;
}

/*
 * The out-of-line half of kmem_spin_lock_inl(): the lock was taken by
 * someone.  Re-taking a lock this hart already holds is a self-deadlock
 * and panics; otherwise spin (reading only) until it looks free.
 * Interrupts are already off.
 */
void
kmem_spin_lock_contended(struct kmem_spin *l, u_int self)
{

	for (;;) {
		if (__atomic_load_n(&l->ks_owner, __ATOMIC_RELAXED) == self)
			panic("kmem_spin_lock: lock \"%s\" (%p) already held "
			    "by this hart (cpu %u)", l->ks_name, (void *)l,
			    self - 1);
		while (atomic_load_explicit(&l->ks_locked,
		    memory_order_relaxed) != 0)
			md_cpu_relax();
		if (atomic_exchange_explicit(&l->ks_locked, 1,
		    memory_order_acquire) == 0)
			return;
	}
}

void
kmem_spin_unlock_bad(struct kmem_spin *l)
{

	panic("kmem_spin_unlock: lock \"%s\" (%p) not held by this hart "
	    "(owner %u, cpu %u)", l->ks_name, (void *)l,
	    __atomic_load_n(&l->ks_owner, __ATOMIC_RELAXED), kmem_cpuid());
}

/* The public entry points, for code outside src/. */
void
kmem_spin_lock(struct kmem_spin *l)
{

	kmem_spin_lock_inl(l);
}

void
kmem_spin_unlock(struct kmem_spin *l)
{

	kmem_spin_unlock_inl(l);
}

bool
kmem_spin_owned(const struct kmem_spin *l)
{

	return (__atomic_load_n(&l->ks_owner, __ATOMIC_RELAXED) ==
	    md_cpuid() + 1);
}

unsigned long
kmem_spin_count(void)
{
	unsigned long n;
	int i;

	n = 0;
	for (i = 0; i < MAXCPU; i++)
		n += atomic_load_explicit(&kmem_spin_counts[i],
		    memory_order_relaxed);
	return (n);
}
