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
#include "smp_scenarios.h"
#include "tap.h"

#define NHARTS	4
#define INCS	20000

static atomic_int ran[MAXCPU];
static atomic_uint ran_total;

static void
count_me(void *arg)
{

	(void)arg;
	atomic_fetch_add(&ran[md_cpuid()], 1);
	atomic_fetch_add(&ran_total, 1);
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

	ok(kmem_smp_run(0, smp_held, NULL) == EINVAL,
	    "running on oneself: EINVAL");
	ok(kmem_smp_run(NHARTS + 5, smp_held, NULL) == EINVAL,
	    "running on a hart that does not run: EINVAL");
	ok(kmem_smp_run(1, NULL, NULL) == EINVAL &&
	    kmem_smp_run_all(NULL, NULL) == EINVAL, "no function: EINVAL");
	atomic_store(&smp_hold, 1);
	ok(kmem_smp_run(1, smp_held, NULL) == 0, "work sent to cpu 1");
	ok(kmem_smp_run(1, smp_held, NULL) == EBUSY, "cpu 1 busy: EBUSY");
	atomic_store(&ran_total, 0);
	ok(kmem_smp_run_all(count_me, NULL) == EBUSY &&
	    atomic_load(&ran_total) == 0,
	    "run_all with a busy hart: EBUSY and nothing ran");
	atomic_store(&smp_hold, 0);
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

	smp_check_barrier(n);
	smp_check_spin_counter(n, INCS);
	smp_check_sleep_wakeup(3);

	host_smp_stop();
	ok(kmem_smp_ncpus() == 1, "after stop: one hart (%u)",
	    kmem_smp_ncpus());
	ok(kmem_smp_run(1, count_me, NULL) == EINVAL,
	    "a stopped hart takes no work");
	return (tap_done());
}
