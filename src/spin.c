/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spin.c: kmem_spin (kmem/spin.h), the out-of-line half of the spinlock
 * protocol whose inline fast path is in kmem_private.h.
 */
#include "kmem_private.h"

/* Acquisitions per cpu: each written only by its own hart. */
_Atomic unsigned long kmem_spin_counts[MAXCPU];

void
kmem_spin_init(struct kmem_spin *l, const char *name)
{

	atomic_init(&l->ks_owner, 0);
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
 * Take l: try, and while someone else holds it, spin (reading only, with
 * interrupts as the caller had them) until it looks free.  Taking a lock
 * this hart already holds is a self-deadlock and panics.
 */
void
kmem_spin_lock(struct kmem_spin *l)
{

	while (!kmem_spin_try(l, !l->ks_percpu)) {
		if (kmem_spin_owned(l))
			panic("kmem_spin_lock: lock \"%s\" (%p) already held "
			    "by this hart (cpu %u)", l->ks_name, (void *)l,
			    kmem_cpuid());
		while (atomic_load_explicit(&l->ks_owner,
		    memory_order_relaxed) != 0)
			md_cpu_relax();
	}
}

void
kmem_spin_unlock(struct kmem_spin *l)
{

	if (__predict_false(!kmem_spin_release_mine(l)))
		kmem_spin_unlock_bad(l);
}

void
kmem_spin_unlock_bad(struct kmem_spin *l)
{

	panic("kmem_spin_unlock: lock \"%s\" (%p) not held by this hart "
	    "(owner %u, cpu %u)", l->ks_name, (void *)l,
	    atomic_load_explicit(&l->ks_owner, memory_order_relaxed),
	    kmem_cpuid());
}

bool
kmem_spin_owned(const struct kmem_spin *l)
{

	return (atomic_load_explicit(&l->ks_owner, memory_order_relaxed) ==
	    kmem_cpuid() + 1);
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
