/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * smp_scenarios.h: hart API scenarios (kmem/smp.h) shared by the host test
 * (test/host/test_smp.c, pthread harts) and the riscv64 payload
 * (test/target/test_smp.c, real harts in QEMU).  Each smp_check_* runs
 * its workers on the harts and reports with ok() (tap.h).
 *
 *  - smp_check_barrier: rounds of kmem_smp_barrier; nobody leaves a round
 *    before everyone arrived;
 *  - smp_check_spin_counter: a plain counter that only a kmem_spin makes
 *    exact;
 *  - smp_check_sleep_wakeup: md_sleep on one hart is woken by md_wakeup
 *    on the calling one.
 * smp_held() keeps a hart busy while smp_hold is set (for EBUSY checks),
 * and smp_bar is the barrier the workers (and the tests' own) use.
 */
#ifndef KMEM_TEST_SMP_SCENARIOS_H
#define KMEM_TEST_SMP_SCENARIOS_H

#include <stdatomic.h>

#include <kmem.h>
#include <kmem/smp.h>

#include "tap.h"

static struct kmem_barrier smp_bar;

/* --- barrier rounds: everyone arrives before anyone sees the count --- */
#define SMP_ROUNDS	1000
static atomic_uint smp_arrived, smp_bar_errors;

static void
smp_barrier_rounds(void *arg)
{
	u_int n = *(u_int *)arg, r;

	for (r = 0; r < SMP_ROUNDS; r++) {
		atomic_fetch_add_explicit(&smp_arrived, 1,
		    memory_order_relaxed);
		kmem_smp_barrier(&smp_bar);
		if (atomic_load_explicit(&smp_arrived, memory_order_relaxed) !=
		    n * (r + 1))
			atomic_fetch_add(&smp_bar_errors, 1);
		kmem_smp_barrier(&smp_bar);
	}
}

static __attribute__((__unused__)) void
smp_check_barrier(u_int n)
{
	int rc;

	atomic_store(&smp_arrived, 0);
	atomic_store(&smp_bar_errors, 0);
	kmem_barrier_init(&smp_bar, n);
	rc = kmem_smp_run_all(smp_barrier_rounds, &n);
	ok(rc == 0 && atomic_load(&smp_bar_errors) == 0 &&
	    atomic_load(&smp_arrived) == n * SMP_ROUNDS,
	    "%d barrier rounds on %u harts: %u early leavers, %u arrivals",
	    SMP_ROUNDS, n, atomic_load(&smp_bar_errors),
	    atomic_load(&smp_arrived));
}

/* --- a plain (non-atomic) counter: only the spinlock makes it exact --- */
static struct kmem_spin smp_count_lock =
    KMEM_SPIN_INITIALIZER("smp counter");
static unsigned long smp_counter;

static void
smp_count_up(void *arg)
{
	unsigned long i, incs = *(unsigned long *)arg;

	kmem_smp_barrier(&smp_bar);		/* start together */
	for (i = 0; i < incs; i++) {
		kmem_spin_lock(&smp_count_lock);
		smp_counter++;
		kmem_spin_unlock(&smp_count_lock);
	}
}

static __attribute__((__unused__)) void
smp_check_spin_counter(u_int n, unsigned long incs)
{
	int rc;

	smp_counter = 0;
	kmem_barrier_init(&smp_bar, n);
	rc = kmem_smp_run_all(smp_count_up, &incs);
	ok(rc == 0 && smp_counter == n * incs,
	    "spinlock-protected counter: %lu of %lu", smp_counter, n * incs);
}

/* --- md_sleep on one hart, md_wakeup from another --- */
static struct kmem_spin smp_sleep_lock = KMEM_SPIN_INITIALIZER("smp sleep");
static int smp_wake_flag, smp_sleeping, smp_woke;

static void
smp_sleeper(void *arg)
{

	(void)arg;
	kmem_spin_lock(&smp_sleep_lock);
	smp_sleeping = 1;
	while (!smp_wake_flag)
		md_sleep(&smp_wake_flag, &smp_sleep_lock);
	smp_woke = 1;
	kmem_spin_unlock(&smp_sleep_lock);
}

static __attribute__((__unused__)) void
smp_check_sleep_wakeup(u_int cpu)
{
	int rc;

	smp_wake_flag = smp_sleeping = smp_woke = 0;
	rc = kmem_smp_run(cpu, smp_sleeper, NULL);
	for (;;) {
		kmem_spin_lock(&smp_sleep_lock);
		if (smp_sleeping || rc != 0)
			break;
		kmem_spin_unlock(&smp_sleep_lock);
	}
	/* The sleeper holds no lock now: it is in md_sleep. */
	ok(rc == 0 && !smp_woke, "the sleeper on cpu %u waits until woken",
	    cpu);
	smp_wake_flag = 1;
	kmem_spin_unlock(&smp_sleep_lock);
	md_wakeup(&smp_wake_flag);
	if (rc == 0)
		kmem_smp_wait(cpu);
	kmem_spin_lock(&smp_sleep_lock);
	ok(rc == 0 && smp_woke, "md_wakeup on cpu %u woke md_sleep on cpu %u",
	    md_cpuid(), cpu);
	kmem_spin_unlock(&smp_sleep_lock);
}

/* --- a hart kept busy while smp_hold is set --- */
static atomic_int smp_hold;

static __attribute__((__unused__)) void
smp_held(void *arg)
{

	(void)arg;
	while (atomic_load(&smp_hold))
		md_cpu_relax();
}

#endif /* KMEM_TEST_SMP_SCENARIOS_H */
