/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_lowmem.c: the vm_lowmem handler table (see kmem/lowmem.h).
 *
 * A static table guarded by a leaf spinlock.  A trigger copies each live
 * slot's handler under the lock, marks the slot busy (sl_running) and
 * calls the handler with the lock dropped.  Deregistration empties the
 * slot and then waits until no other hart runs its handler; the hart
 * running it (a handler deregistering itself) does not wait.
 */
#include <stdatomic.h>

#include <kmem/lowmem.h>
#include <kmem/vm_param.h>

#include "kmem_private.h"

struct lowmem_slot {
	vm_lowmem_handler_t	*sl_fn;
	void			*sl_arg;
	atomic_uint		sl_running;	/* calls in progress */
	atomic_uint		sl_cpus[(MAXCPU + 31) / 32]; /* who runs it */
};

static struct lowmem_slot lowmem_slots[VM_LOWMEM_MAX_HANDLERS];
static struct kmem_spin lowmem_lock = KMEM_SPIN_INITIALIZER("vm lowmem");
static atomic_ulong lowmem_triggers;

void *
vm_lowmem_register(vm_lowmem_handler_t *handler, void *arg)
{
	struct lowmem_slot *sl;
	int i;

	if (handler == NULL)
		return (NULL);
	sl = NULL;
	kmem_spin_lock(&lowmem_lock);
	for (i = 0; i < VM_LOWMEM_MAX_HANDLERS; i++) {
		/* A slot still running for a past owner is not reused yet. */
		if (lowmem_slots[i].sl_fn == NULL &&
		    atomic_load(&lowmem_slots[i].sl_running) == 0) {
			sl = &lowmem_slots[i];
			sl->sl_fn = handler;
			sl->sl_arg = arg;
			break;
		}
	}
	kmem_spin_unlock(&lowmem_lock);
	return (sl);
}

void
vm_lowmem_deregister(void *tag)
{
	struct lowmem_slot *sl;
	u_int self;
	uintptr_t off;

	sl = tag;
	off = (uintptr_t)tag - (uintptr_t)lowmem_slots;
	if (tag == NULL || off >= sizeof(lowmem_slots) ||
	    off % sizeof(lowmem_slots[0]) != 0)
		panic("vm_lowmem_deregister: %p is not a lowmem tag", tag);
	kmem_spin_lock(&lowmem_lock);
	if (sl->sl_fn == NULL) {
		kmem_spin_unlock(&lowmem_lock);
		panic("vm_lowmem_deregister: handler %p is not registered",
		    tag);
	}
	sl->sl_fn = NULL;
	sl->sl_arg = NULL;
	kmem_spin_unlock(&lowmem_lock);
	/* Wait for calls on other harts to finish. */
	self = kmem_cpuid();
	for (;;) {
		u_int running = atomic_load(&sl->sl_running);
		u_int mine = (atomic_load(&sl->sl_cpus[self / 32]) >>
		    (self % 32)) & 1;

		if (running <= mine)
			break;
		md_cpu_relax();
	}
}

int
vm_lowmem_trigger(int flags)
{
	struct lowmem_slot *sl;
	vm_lowmem_handler_t *fn;
	void *arg;
	u_int self;
	int i;

	if ((flags & ~(VM_LOW_KMEM | VM_LOW_PAGES)) != 0)
		return (EINVAL);
	if (flags == 0)
		return (0);
	atomic_fetch_add(&lowmem_triggers, 1);
	self = kmem_cpuid();
	for (i = 0; i < VM_LOWMEM_MAX_HANDLERS; i++) {
		sl = &lowmem_slots[i];
		kmem_spin_lock(&lowmem_lock);
		fn = sl->sl_fn;
		arg = sl->sl_arg;
		if (fn != NULL) {
			atomic_fetch_add(&sl->sl_running, 1);
			atomic_fetch_or(&sl->sl_cpus[self / 32],
			    1U << (self % 32));
		}
		kmem_spin_unlock(&lowmem_lock);
		if (fn == NULL)
			continue;
		fn(arg, flags);
		atomic_fetch_and(&sl->sl_cpus[self / 32], ~(1U << (self % 32)));
		atomic_fetch_sub(&sl->sl_running, 1);
	}
	return (0);
}

u_long
vm_lowmem_count(void)
{

	return (atomic_load(&lowmem_triggers));
}
