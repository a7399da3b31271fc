/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/lowmem.h: the vm_lowmem event (FreeBSD's EVENTHANDLER vm_lowmem).
 *
 * Firmware memory is wired and never paged, so "reclaim" is asking the
 * caches that hold free memory (vmem quantum caches, the page allocator's
 * per-hart caches, a driver's pool) to give it back.  Handlers live in a
 * static table: registration works before any allocator exists.
 *
 * Handlers run with no kmem lock held by the trigger (the lowmem list lock
 * is a leaf: it is dropped before any handler runs), in registration
 * order, on the triggering hart.  A handler may take any lock and may
 * free memory; it must not sleep and must not register or trigger.
 */
#ifndef KMEM_LOWMEM_H
#define KMEM_LOWMEM_H

#include <kmem/types.h>

#define VM_LOWMEM_MAX_HANDLERS	32

typedef void (vm_lowmem_handler_t)(void *arg, int flags);

/**
 * Register @p handler, called as handler(arg, flags) on every trigger.
 * @return an opaque tag for vm_lowmem_deregister
 * @retval NULL	handler is NULL or the table (VM_LOWMEM_MAX_HANDLERS) is full
 */
void *vm_lowmem_register(vm_lowmem_handler_t *handler, void *arg);

/**
 * Remove a handler.  When it returns, the handler is not running on any
 * other hart and will not be called again (it may be called from within
 * the handler itself: then it only stops future calls).  Panics if @p tag
 * is not a registered handler (NULL, already deregistered, or junk).
 */
void vm_lowmem_deregister(void *tag);

/**
 * Run every registered handler with @p flags (VM_LOW_KMEM | VM_LOW_PAGES,
 * kmem/types.h), like FreeBSD's debug.vm_lowmem sysctl: flags 0 calls
 * nothing.  Call with no kmem_spin held.
 * @retval 0		done
 * @retval EINVAL	flags has another bit (nothing was called)
 */
int vm_lowmem_trigger(int flags);

/** Triggers so far (tests). */
u_long vm_lowmem_count(void);

#endif /* KMEM_LOWMEM_H */
