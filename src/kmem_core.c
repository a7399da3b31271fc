/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_core.c: panic, console printing and spinlocks, shared by every layer.
 */
#include <stdarg.h>
#include <stdio.h>

#include "kmem_private.h"

static atomic_ulong kmem_spin_total;

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
	l->ks_acquired = 0;
}

/*
 * Take the lock with interrupts off on this hart.  Re-taking a lock this
 * hart already holds is a self-deadlock and panics.
 */
void
kmem_spin_lock(struct kmem_spin *l)
{
	unsigned long saved;
	u_int self;

	saved = md_intr_disable();
	self = md_cpuid() + 1;
	for (;;) {
		if (atomic_exchange_explicit(&l->ks_locked, 1,
		    memory_order_acquire) == 0)
			break;
		if (__atomic_load_n(&l->ks_owner, __ATOMIC_RELAXED) == self)
			panic("kmem_spin_lock: lock \"%s\" (%p) already held "
			    "by this hart (cpu %u)", l->ks_name, (void *)l,
			    self - 1);
		while (atomic_load_explicit(&l->ks_locked,
		    memory_order_relaxed) != 0)
			md_cpu_relax();
	}
	__atomic_store_n(&l->ks_owner, self, __ATOMIC_RELAXED);
	l->ks_saved = saved;
	l->ks_acquired++;
	atomic_fetch_add_explicit(&kmem_spin_total, 1, memory_order_relaxed);
}

void
kmem_spin_unlock(struct kmem_spin *l)
{
	unsigned long saved;

	KMEM_CHECK(__atomic_load_n(&l->ks_owner, __ATOMIC_RELAXED) ==
	    md_cpuid() + 1, ("kmem_spin_unlock: lock \"%s\" (%p) not held by "
	    "this hart (owner %u, cpu %u)", l->ks_name, (void *)l,
	    l->ks_owner, md_cpuid()));
	saved = l->ks_saved;
	__atomic_store_n(&l->ks_owner, 0, __ATOMIC_RELAXED);
	atomic_store_explicit(&l->ks_locked, 0, memory_order_release);
	md_intr_restore(saved);
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

	return (atomic_load_explicit(&kmem_spin_total, memory_order_relaxed));
}
