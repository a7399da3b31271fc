/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hart API (kmem/smp.h) on the host twin's pthread "harts": work runs
 * on the hart it is sent to and once on each hart for run_all, errors come
 * back for bad and busy harts, the barrier holds every round, a spinlock
 * keeps a counter exact, md_sleep on one hart is woken by md_wakeup on
 * another.  Also built in the ThreadSanitizer tree.
 */
#include <stdlib.h>
#include <string.h>

#include <kmem.h>
#include <kmem/smp.h>
#include "host.h"
#include "tap.h"

#define NHARTS	4

static struct kmem_barrier bar;
static atomic_int ran[MAXCPU];
static atomic_uint ran_total;

static void
count_me(void *arg)
{

	(void)arg;
	atomic_fetch_add(&ran[md_cpuid()], 1);
	atomic_fetch_add(&ran_total, 1);
}

/* Each round: everyone arrives before anyone sees the count. */
#define ROUNDS 1000
static atomic_uint arrived, bar_errors;

static void
barrier_rounds(void *arg)
{
	u_int n = *(u_int *)arg, r;

	for (r = 0; r < ROUNDS; r++) {
		atomic_fetch_add_explicit(&arrived, 1, memory_order_relaxed);
		kmem_smp_barrier(&bar);
		if (atomic_load_explicit(&arrived, memory_order_relaxed) !=
		    n * (r + 1))
			atomic_fetch_add(&bar_errors, 1);
		kmem_smp_barrier(&bar);
	}
}

/* A plain (non-atomic) counter: only the spinlock makes it exact. */
#define INCS 20000
static struct kmem_spin count_lock = KMEM_SPIN_INITIALIZER("smp counter");
static unsigned long counter;

static void
count_up(void *arg)
{
	int i;

	(void)arg;
	kmem_smp_barrier(&bar);
	for (i = 0; i < INCS; i++) {
		kmem_spin_lock(&count_lock);
		counter++;
		kmem_spin_unlock(&count_lock);
	}
}

static struct kmem_spin sleep_lock = KMEM_SPIN_INITIALIZER("smp sleep");
static int wake_flag, sleeping, woke;

static void
sleeper(void *arg)
{

	(void)arg;
	kmem_spin_lock(&sleep_lock);
	sleeping = 1;
	while (!wake_flag)
		md_sleep(&wake_flag, &sleep_lock);
	woke = 1;
	kmem_spin_unlock(&sleep_lock);
}

static atomic_int hold;

static void
held(void *arg)
{

	(void)arg;
	while (atomic_load(&hold))
		md_cpu_relax();
}

/* Work that starts work: cpu 1 sends fn to cpu 2 and waits for it. */
static atomic_int nested_ran_on = -1;

static void
nested_inner(void *arg)
{

	(void)arg;
	atomic_store(&nested_ran_on, (int)md_cpuid());
}

static void
nested_outer(void *arg)
{
	int *rc = arg;

	*rc = kmem_smp_run(2, nested_inner, NULL);
	kmem_smp_wait(2);
}

int
main(void)
{
	struct host_machine_cfg cfg = { .ndomains = 2,
	    .mem_per_domain = 8UL << 20, .ncpus = NHARTS };
	struct fdt_machine m;
	u_int n, i;
	bool each_once;
	int rc, nrc;

	host_machine_init(&cfg, &m);
	ok(kmem_smp_ncpus() == 1 && md_sleep_would_deadlock(),
	    "before start: one hart, sleeping would deadlock");
	n = host_smp_start(NHARTS);
	ok(n == NHARTS && kmem_smp_ncpus() == NHARTS,
	    "host_smp_start: %u harts run kmem", n);
	ok(md_cpuid() == 0, "the test runs on cpu 0");
	ok(!md_sleep_would_deadlock(), "with %u harts sleeping can be woken",
	    n);

	rc = kmem_smp_run_all(count_me, NULL);
	each_once = true;
	for (i = 0; i < n; i++)
		if (atomic_load(&ran[i]) != 1)
			each_once = false;
	ok(rc == 0 && each_once && atomic_load(&ran_total) == n,
	    "kmem_smp_run_all ran once on each of %u harts (%u runs)", n,
	    atomic_load(&ran_total));

	ok(kmem_smp_run(0, held, NULL) == EINVAL, "running on oneself: EINVAL");
	ok(kmem_smp_run(NHARTS + 5, held, NULL) == EINVAL,
	    "running on a hart that does not run: EINVAL");
	ok(kmem_smp_run(1, NULL, NULL) == EINVAL &&
	    kmem_smp_run_all(NULL, NULL) == EINVAL, "no function: EINVAL");
	atomic_store(&hold, 1);
	ok(kmem_smp_run(1, held, NULL) == 0, "work sent to cpu 1");
	ok(kmem_smp_run(1, held, NULL) == EBUSY, "cpu 1 busy: EBUSY");
	atomic_store(&ran_total, 0);
	ok(kmem_smp_run_all(count_me, NULL) == EBUSY &&
	    atomic_load(&ran_total) == 0,
	    "run_all with a busy hart: EBUSY and nothing ran");
	atomic_store(&hold, 0);
	kmem_smp_wait(1);
	ok(kmem_smp_run(1, count_me, NULL) == 0, "cpu 1 idle again takes work");
	kmem_smp_wait(1);
	ok(atomic_load(&ran[1]) == 2, "and ran it (%d runs on cpu 1)",
	    atomic_load(&ran[1]));

	nrc = -1;
	ok(kmem_smp_run(1, nested_outer, &nrc) == 0, "nested: start on cpu 1");
	kmem_smp_wait(1);
	ok(nrc == 0 && atomic_load(&nested_ran_on) == 2,
	    "work on cpu 1 started work on cpu 2 (rc %d, ran on %d)", nrc,
	    atomic_load(&nested_ran_on));

	kmem_barrier_init(&bar, n);
	rc = kmem_smp_run_all(barrier_rounds, &n);
	ok(rc == 0 && atomic_load(&bar_errors) == 0 &&
	    atomic_load(&arrived) == n * ROUNDS,
	    "%d barrier rounds on %u harts: %u early leavers", ROUNDS, n,
	    atomic_load(&bar_errors));

	kmem_barrier_init(&bar, n);
	rc = kmem_smp_run_all(count_up, NULL);
	ok(rc == 0 && counter == (unsigned long)n * INCS,
	    "spinlock-protected counter: %lu of %lu", counter,
	    (unsigned long)n * INCS);

	rc = kmem_smp_run(3, sleeper, NULL);
	for (;;) {
		kmem_spin_lock(&sleep_lock);
		if (sleeping)
			break;
		kmem_spin_unlock(&sleep_lock);
	}
	ok(!woke, "the sleeper on cpu 3 waits");
	wake_flag = 1;
	kmem_spin_unlock(&sleep_lock);
	md_wakeup(&wake_flag);
	kmem_smp_wait(3);
	kmem_spin_lock(&sleep_lock);
	ok(rc == 0 && woke, "md_wakeup on cpu 0 woke md_sleep on cpu 3");
	kmem_spin_unlock(&sleep_lock);

	host_smp_stop();
	ok(kmem_smp_ncpus() == 1, "after stop: one hart (%u)",
	    kmem_smp_ncpus());
	ok(kmem_smp_run(1, count_me, NULL) == EINVAL,
	    "a stopped hart takes no work");
	return (tap_done());
}
