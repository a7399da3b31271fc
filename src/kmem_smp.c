/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_smp.c: the hart API of kmem/smp.h (barriers, running work on other
 * harts), written once for every platform over the md_smp_* hooks of
 * kmem/machine.h: how a hart sleeps until a word changes and how it is
 * woken (wfi and IPIs on RISC-V, a condition variable on the host), which
 * harts run, and what a hart does when it goes idle or takes work.
 *
 * Each hart has a slot.  OFF: the hart takes no work (not serving in
 * kmem_smp_idle); IDLE: it waits for work; BUSY: someone claimed it (IDLE
 * -> BUSY by compare-and-swap) and handed it work, which it runs and then
 * sets the slot IDLE again.  A hand-over bumps sl_go, which the idle hart
 * waits on.  Every change of a word someone may wait on is a sequentially
 * consistent store followed by md_smp_notify() of that word's waiters.
 */
#include <kmem/machine.h>
#include <kmem/smp.h>

#include "kmem_private.h"

_Static_assert(MAXCPU <= 64, "cpu masks are one unsigned long");

enum { SLOT_OFF, SLOT_IDLE, SLOT_BUSY };
struct smp_slot {
	atomic_uint	sl_state;	/* SLOT_* */
	atomic_uint	sl_go;		/* bumped when work is handed over */
	void		(*sl_fn)(void *);
	void		*sl_arg;
	atomic_ulong	sl_waiters;	/* cpus waiting for the slot to idle */
	atomic_ulong	sl_gowait;	/* the slot's own hart, asleep */
} __attribute__((aligned(64)));
static struct smp_slot smp_slots[MAXCPU];

void
kmem_barrier_init(struct kmem_barrier *b, u_int count)
{

	b->kb_count = count != 0 ? count : 1;
	atomic_init(&b->kb_left, b->kb_count);
	atomic_init(&b->kb_sense, 0);
	atomic_init(&b->kb_waiters, 0);
}

/*
 * The last hart to arrive resets the count before it flips the sense, so a
 * hart that leaves and arrives again at once counts toward the next round.
 */
void
kmem_smp_barrier(struct kmem_barrier *b)
{
	u_int sense;

	sense = atomic_load(&b->kb_sense);
	if (atomic_fetch_sub(&b->kb_left, 1) == 1) {
		atomic_store(&b->kb_left, b->kb_count);
		atomic_fetch_add(&b->kb_sense, 1);
		md_smp_notify(&b->kb_waiters);
		return;
	}
	md_smp_wait(&b->kb_sense, sense, &b->kb_waiters);
}

/* A running hart other than the caller. */
static bool
smp_other(u_int cpuid)
{

	return (cpuid < MAXCPU && cpuid != md_cpuid() &&
	    md_smp_running(cpuid));
}

static bool
smp_claim(u_int cpuid)
{
	u_int expect = SLOT_IDLE;

	return (atomic_compare_exchange_strong(&smp_slots[cpuid].sl_state,
	    &expect, SLOT_BUSY));
}

/* Hand fn to a slot the caller has claimed. */
static void
smp_dispatch(u_int cpuid, void (*fn)(void *), void *arg)
{
	struct smp_slot *s = &smp_slots[cpuid];

	s->sl_fn = fn;
	s->sl_arg = arg;
	atomic_fetch_add(&s->sl_go, 1);
	md_smp_notify(&s->sl_gowait);
}

static void
smp_release(u_int cpuid)
{
	struct smp_slot *s = &smp_slots[cpuid];

	atomic_store(&s->sl_state, SLOT_IDLE);
	md_smp_notify(&s->sl_waiters);
}

int
kmem_smp_run(u_int cpuid, void (*fn)(void *), void *arg)
{

	if (!smp_other(cpuid) || fn == NULL)
		return (EINVAL);
	if (!smp_claim(cpuid))
		return (EBUSY);
	smp_dispatch(cpuid, fn, arg);
	return (0);
}

int
kmem_smp_run_all(void (*fn)(void *), void *arg)
{
	unsigned long claimed;
	u_int i;

	if (fn == NULL)
		return (EINVAL);
	claimed = 0;
	for (i = 0; i < MAXCPU; i++) {
		if (!smp_other(i))
			continue;
		if (!smp_claim(i))
			goto busy;
		claimed |= 1UL << i;
	}
	for (i = 0; i < MAXCPU; i++)
		if (claimed & (1UL << i))
			smp_dispatch(i, fn, arg);
	fn(arg);
	for (i = 0; i < MAXCPU; i++)
		if (claimed & (1UL << i))
			kmem_smp_wait(i);
	return (0);
busy:
	for (i = 0; i < MAXCPU; i++)
		if (claimed & (1UL << i))
			smp_release(i);
	return (EBUSY);
}

void
kmem_smp_wait(u_int cpuid)
{
	struct smp_slot *s;

	if (!smp_other(cpuid))
		return;
	s = &smp_slots[cpuid];
	md_smp_wait(&s->sl_state, SLOT_BUSY, &s->sl_waiters);
}

/*
 * Take work on this hart forever: the slot goes IDLE (callers may claim
 * it from then on), the hart sleeps until work is handed over, runs it and
 * goes idle again.  md_smp_idle() is told each time the hart goes idle
 * and before it runs work.
 */
void
kmem_smp_idle(void)
{
	struct smp_slot *s;
	u_int cpu, seen;

	cpu = md_cpuid();
	s = &smp_slots[cpu];
	seen = atomic_load(&s->sl_go);
	smp_release(cpu);
	for (;;) {
		md_smp_idle(cpu, true);
		md_smp_wait(&s->sl_go, seen, &s->sl_gowait);
		md_smp_idle(cpu, false);
		seen = atomic_load(&s->sl_go);
		s->sl_fn(s->sl_arg);
		smp_release(cpu);
	}
}
