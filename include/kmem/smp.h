/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/smp.h: harts, and running work on them.
 *
 * Payload mode: after kmem_startup() the platform starts every enabled hart
 * of the FDT (SBI HSM on RISC-V).  Cpu 0 is the boot hart, whatever its
 * hart id; the others are numbered densely 1..md_ncpus()-1 in FDT order.
 * Each secondary hart gets its own stack, TLS block (tp) and the kernel's
 * page tables, then idles (wfi) in kmem_smp_idle() waiting for work.
 * The boot hart runs main().  md_cpuid(), md_hartid() and md_cpu_domain()
 * (kmem/machine.h) answer on every hart in O(1).
 *
 * Library mode: an RTOS that starts its harts itself calls
 * kmem_smp_register_hart() on each of them before it first calls into
 * kmem; a hart that should take work from kmem_smp_run() then calls
 * kmem_smp_idle().
 *
 * Work runs with interrupts as the platform leaves them on an idle hart
 * (on RISC-V: sstatus.SIE clear; wfi wakes on a pending software
 * interrupt without taking it).  A function given to kmem_smp_run() runs
 * to completion on its hart; it may call kmem (allocate, sleep on a
 * channel, take locks) and may itself start work on other harts.
 *
 * On the host twin the same calls run on pthreads (host_smp_start() in
 * platform/host/host.h makes the "harts").
 */
#ifndef KMEM_SMP_H
#define KMEM_SMP_H

#include <stdatomic.h>
#include <kmem/types.h>

/*
 * A reusable barrier for a fixed number of harts.  Sense-reversing: the
 * last hart to arrive resets the count and flips the sense (kb_sense is a
 * counter whose change is the flip), so the same barrier can be used
 * again at once.  Waiters sleep (wfi on RISC-V) instead of spinning.
 */
struct kmem_barrier {
	atomic_uint	kb_left;	/* harts still to arrive this round */
	atomic_uint	kb_sense;	/* bumped when a round completes */
	u_int		kb_count;	/* harts per round */
	atomic_ulong	kb_waiters;	/* cpus asleep in the barrier (mask) */
};

/*
 * Prepare b for count harts (count >= 1).  Not concurrently with use.
 */
void kmem_barrier_init(struct kmem_barrier *b, u_int count);

/*
 * Wait until count harts (kmem_barrier_init) have called this for the
 * current round, then return on all of them.  Memory written by any of
 * them before the barrier is visible to all of them after it.  Using one
 * barrier with more than count harts at once is a caller bug.
 */
void kmem_smp_barrier(struct kmem_barrier *b);

/*
 * Start fn(arg) on hart cpuid, which must be idle in kmem_smp_idle().
 * Returns at once; kmem_smp_wait(cpuid) waits until fn has returned.
 * The caller's stores before the call are visible to fn.
 *
 * @retval 0		fn was handed to cpuid
 * @retval EINVAL	cpuid is not a running hart, or is the caller's own,
 *			or fn is NULL
 * @retval EBUSY	cpuid is running work, or does not take work (the
 *			boot hart in main(), an RTOS hart outside
 *			kmem_smp_idle())
 */
int kmem_smp_run(u_int cpuid, void (*fn)(void *), void *arg);

/*
 * Run fn(arg) on every running hart, the caller included (on the caller
 * last), and return when all have finished.  Every other hart is claimed
 * before any work starts: when one of them is busy or does not take work,
 * nothing runs anywhere and EBUSY comes back (wait with kmem_smp_wait()
 * and try again).  Never deadlocks against another kmem_smp_run_all().
 *
 * @retval 0		fn ran on all kmem_smp_ncpus() harts
 * @retval EINVAL	fn is NULL
 * @retval EBUSY	another hart is busy or does not take work
 */
int kmem_smp_run_all(void (*fn)(void *), void *arg);

/*
 * Wait until hart cpuid is not running work started by kmem_smp_run().
 * Sleeps (wfi) rather than spins.  The work's stores are visible to the
 * caller afterwards.  Returns at once for the caller's own cpu or a cpu
 * that is not running.
 */
void kmem_smp_wait(u_int cpuid);

/* Harts running kmem now (started and registered ones); >= 1. */
u_int kmem_smp_ncpus(void);

/*
 * Library mode: make the calling hart known to kmem.  The hart must have
 * its own stack and TLS block (tp pointing at a copy of the image's
 * .tdata followed by a zeroed .tbss), paging on with the kernel's root
 * table, and (on RISC-V, where S-mode cannot read its hart id) must have
 * told its hart id with kmem_smp_set_hartid() first.  A hart the FDT lists
 * keeps the cpu index the boot numbering gave it; another gets the next
 * free index.  Registering twice returns the same index.  From then on
 * the hart receives TLB shootdowns and wakeups.
 *
 * @retval >=0		this hart's cpu index (md_cpuid())
 * @retval -ENOSPC	MAXCPU harts are known already
 * @retval -EINVAL	the hart id is unknown (kmem_smp_set_hartid() not
 *			called on RISC-V)
 */
int kmem_smp_register_hart(void);

/*
 * Library mode on RISC-V: this hart's id (a0 at its entry).  Call before
 * kmem_smp_register_hart().  A no-op on the host twin.
 */
void kmem_smp_set_hartid(u_int hartid);

/*
 * Serve work from kmem_smp_run() on this hart forever (payload mode's
 * secondary harts run this; an RTOS hart may hand itself over with it).
 * The hart sleeps in wfi between pieces of work.  Never returns (on the
 * host twin, the thread exits when host_smp_stop() is called).
 */
__kmem_noreturn void kmem_smp_idle(void);

#endif /* KMEM_SMP_H */
