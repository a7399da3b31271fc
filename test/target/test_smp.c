/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Several harts: every enabled FDT hart comes up with its own cpu index,
 * hart id, NUMA domain, stack, TLS block and the boot hart's satp; work
 * runs where it is sent; the barrier holds every round; a spinlock keeps
 * a shared counter exact; md_sleep on one hart is woken by md_wakeup on
 * another; TLB shootdowns reach the other harts.
 */
#include <string.h>

#include <kmem.h>
#include <kmem/smp.h>
#include "tap.h"

extern struct fdt_machine riscv_machine;

#define csr_read(csr) ({						\
	unsigned long __v;						\
	__asm__ volatile("csrr %0, " #csr : "=r"(__v) :: "memory");	\
	__v;								\
})

struct hart_seen {
	int		calls;		/* times the hart ran whoami */
	u_int		cpuid;
	u_int		hartid;
	int		domain;
	uintptr_t	sp;		/* address of a local */
	uintptr_t	tp;
	unsigned long	satp;
	u_int		tls_seen;	/* own TLS value read back */
};

static struct hart_seen seen[MAXCPU];
static __thread u_int tls_probe;
static struct kmem_barrier bar;

static void
whoami(void *arg)
{
	struct hart_seen *h;
	u_int cpu;
	int local;

	(void)arg;
	cpu = md_cpuid();
	if (cpu >= MAXCPU)
		return;
	h = &seen[cpu];
	__atomic_fetch_add(&h->calls, 1, __ATOMIC_RELAXED);
	h->cpuid = cpu;
	h->hartid = md_hartid();
	h->domain = md_cpu_domain(cpu);
	h->sp = (uintptr_t)&local;
	__asm__ volatile("mv %0, tp" : "=r"(h->tp));
	h->satp = csr_read(satp);
	tls_probe = 0x1000 + cpu;
	kmem_smp_barrier(&bar);		/* everyone wrote its own TLS */
	h->tls_seen = tls_probe;
}

/* --- barrier rounds --- */
#define ROUNDS 1000
static atomic_uint arrived;
static atomic_uint bar_errors;

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

/* --- counter under a spinlock --- */
#define INCS 5000
static struct kmem_spin count_lock = KMEM_SPIN_INITIALIZER("smp counter");
static unsigned long counter;

static void
count_up(void *arg)
{
	int i;

	(void)arg;
	kmem_smp_barrier(&bar);		/* start together */
	for (i = 0; i < INCS; i++) {
		kmem_spin_lock(&count_lock);
		counter++;
		kmem_spin_unlock(&count_lock);
	}
}

/* --- sleep / wakeup across harts --- */
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

/* --- kmem_smp_run: EBUSY while a hart works --- */
static atomic_int hold;

static void
held(void *arg)
{

	(void)arg;
	while (atomic_load(&hold))
		md_cpu_relax();
}


int
main(void)
{
	const struct fdt_machine *m = &riscv_machine;
	u_int n, ncpus, i, j, fdt_enabled;
	bool distinct, ids, doms, stacks, tls, satps, once;
	int rc;

	fdt_enabled = 0;
	for (i = 0; i < (u_int)m->ncpus; i++)
		if (m->cpus[i].enabled)
			fdt_enabled++;
	ncpus = md_ncpus();
	n = kmem_smp_ncpus();
	ok(n == ncpus && n == fdt_enabled && n >= 2,
	    "every enabled hart runs kmem: %u running, %u known, %u in the FDT",
	    n, ncpus, fdt_enabled);
	ok(md_cpuid() == 0, "main runs on cpu 0 (hart %u)", md_hartid());
	ok(!md_sleep_would_deadlock(), "sleeping cannot deadlock with %u harts",
	    n);

	/* Identity of every hart. */
	kmem_barrier_init(&bar, n);
	rc = kmem_smp_run_all(whoami, NULL);
	ok(rc == 0, "kmem_smp_run_all runs (%d)", rc);
	once = distinct = ids = doms = stacks = tls = satps = true;
	for (i = 0; i < n; i++) {
		struct hart_seen *h = &seen[i];
		const struct fdt_cpu *fc = NULL;

		if (h->calls != 1 || h->cpuid != i)
			once = false;
		for (j = 0; j < (u_int)m->ncpus; j++)
			if (m->cpus[j].hartid == h->hartid && m->cpus[j].enabled)
				fc = &m->cpus[j];
		if (fc == NULL)
			ids = false;
		else if (h->domain != physmem_domain_of_fdt(fc->domain) ||
		    h->domain != fc->domain)
			doms = false;
		for (j = 0; j < i; j++) {
			if (seen[j].hartid == h->hartid)
				distinct = false;
			if (seen[j].tp == h->tp ||
			    (h->sp > seen[j].sp ? h->sp - seen[j].sp :
			    seen[j].sp - h->sp) < 4096)
				stacks = false;
		}
		if (h->tls_seen != 0x1000 + i)
			tls = false;
		if (h->satp != seen[0].satp)
			satps = false;
		diag("cpu %u: hart %u, domain %d, sp 0x%lx, tp 0x%lx, satp 0x%lx",
		    i, h->hartid, h->domain, (u_long)h->sp, (u_long)h->tp,
		    h->satp);
	}
	ok(once, "fn ran exactly once on each of the %u cpus, each with its "
	    "own index", n);
	ok(distinct, "hart ids are distinct");
	ok(ids, "every hart id is an enabled FDT hart");
	ok(doms, "md_cpu_domain agrees with the harts' numa-node-id");
	ok(stacks, "each hart has its own stack and TLS block");
	ok(tls, "__thread variables are per hart");
	ok(satps, "every hart runs on the boot hart's satp (0x%lx)",
	    seen[0].satp);

	/* kmem_smp_run errors and EBUSY. */
	ok(kmem_smp_run(0, held, NULL) == EINVAL, "running on oneself: EINVAL");
	ok(kmem_smp_run(MAXCPU + 3, held, NULL) == EINVAL,
	    "running on a cpu that does not exist: EINVAL");
	atomic_store(&hold, 1);
	rc = kmem_smp_run(n - 1, held, NULL);
	ok(rc == 0, "kmem_smp_run on cpu %u (%d)", n - 1, rc);
	ok(kmem_smp_run(n - 1, held, NULL) == EBUSY,
	    "a hart running work is EBUSY");
	ok(kmem_smp_run_all(held, NULL) == EBUSY,
	    "kmem_smp_run_all with one hart busy: EBUSY, nothing started");
	atomic_store(&hold, 0);
	kmem_smp_wait(n - 1);
	ok(kmem_smp_run(n - 1, held, NULL) == 0,
	    "the hart takes work again once idle");
	kmem_smp_wait(n - 1);

	/* Barrier, repeatedly. */
	kmem_barrier_init(&bar, n);
	rc = kmem_smp_run_all(barrier_rounds, &n);
	ok(rc == 0 && atomic_load(&bar_errors) == 0 &&
	    atomic_load(&arrived) == n * ROUNDS,
	    "%d barrier rounds on %u harts: %u early leavers, %u arrivals",
	    ROUNDS, n, atomic_load(&bar_errors), atomic_load(&arrived));

	/* A contended spinlock. */
	kmem_barrier_init(&bar, n);
	rc = kmem_smp_run_all(count_up, NULL);
	ok(rc == 0 && counter == (unsigned long)n * INCS,
	    "spinlock-protected counter: %lu of %lu", counter,
	    (unsigned long)n * INCS);

	/* md_sleep on cpu 1, md_wakeup from cpu 0. */
	rc = kmem_smp_run(1, sleeper, NULL);
	for (;;) {
		kmem_spin_lock(&sleep_lock);
		if (sleeping)
			break;
		kmem_spin_unlock(&sleep_lock);
	}
	/* cpu 1 holds no lock now: it is in md_sleep. */
	ok(!woke, "the sleeper sleeps until woken");
	wake_flag = 1;
	kmem_spin_unlock(&sleep_lock);
	md_wakeup(&wake_flag);
	kmem_smp_wait(1);
	ok(rc == 0 && woke, "md_wakeup on cpu 0 woke md_sleep on cpu 1");

	return (tap_done());
}
