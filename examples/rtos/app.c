/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * app.c: what the example runs on the RTOS, and its checks.
 *
 * On every hart: a "kmem" task (kmem_malloc / kmem_free of 1 to 4 pages,
 * M_WAITOK) and a "vmem" task (a shared arena, M_WAITOK); and up to two
 * "kmap" tasks per hart (KMAP_TASKS in all: each one charges
 * against the 64 MiB commit limit) that each take most of exec_map with
 * kmap_alloc_wait, so all but one wait, blocked as tasks, while one holds
 * it (their harts run their other tasks meanwhile).  kmap pages are demand-zero: touching them
 * faults, and rtos_trap() hands the fault to kmem_fault_handle().  The
 * timer interrupt handler allocates and frees pages and arena space with
 * M_NOWAIT.  Every object carries a stamp (owner, sequence, its own
 * address) that is checked before it is freed.
 *
 * A checker task on cpu 0 ends the run: every unfinished task blocked,
 * with nothing left to wake them, is a missing wakeup; an arena not empty at the end is a
 * lost item; a bad stamp is memory handed to two owners.  The exit code is
 * the number of failures.  Build with -DRTOS_LONG for a soak run.
 */
#include <string.h>

#include "rtos.h"

#ifdef RTOS_LONG
#define SCALE		100
#else
#define SCALE		1
#endif
#define KMEM_ITERS	(300 * SCALE)
#define VMEM_ITERS	(600 * SCALE)
#define KMAP_ITERS	(4 * SCALE)
#define KMAP_SIZE	(8 * 1024 * 1024 + PAGE_SIZE)	/* two never fit */
#define KMAP_TASKS	7			/* 7 * KMAP_SIZE < the commit limit */
#define LIVE		8			/* objects a task holds */
#define RING		4			/* per hart, in the tick handler */
#define ARENA_SIZE	(256 * 1024)

struct stamp {
	uint32_t	owner;		/* task or hart tag */
	uint32_t	seq;
	uintptr_t	self;		/* the stamp's own address */
};

static vmem_t *arena;
static vm_offset_t arena_mem;
static atomic_int failures;
static atomic_ulong stat_kmem, stat_vmem, stat_kmap, stat_tick, stat_tick_nomem;
static atomic_bool stopping;
static atomic_uint ticks_drained;

static void
fail(const char *what, const void *where, uint32_t owner)
{

	atomic_fetch_add(&failures, 1);
	rtos_printf("FAIL: %s at %p (owner %u, cpu %u)\n", what, where, owner,
	    md_cpuid());
}

static void
stamp(void *p, uint32_t owner, uint32_t seq)
{
	struct stamp *s = p;

	s->owner = owner;
	s->seq = seq;
	s->self = (uintptr_t)s;
}

static void
check(const void *p, uint32_t owner, uint32_t seq)
{
	const struct stamp *s = p;

	if (s->owner != owner || s->seq != seq || s->self != (uintptr_t)s)
		fail("stamp overwritten: memory had two owners", p, owner);
}

/* A small xorshift per task: deterministic, no shared state. */
static uint32_t
rnd(uint32_t *x)
{

	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return (*x);
}

static uint32_t
task_tag(void)
{
	struct rtos_task *t = rtos_current();

	return (t->cpu << 8 | (uint32_t)t->index);
}

static void
kmem_task(void *arg)
{
	vm_offset_t va[LIVE] = { 0 };
	vm_size_t sz[LIVE] = { 0 };
	uint32_t seq[LIVE] = { 0 }, me = task_tag(), x = me * 7919 + 1;
	vm_size_t p;
	int i, k;

	(void)arg;
	for (i = 0; i < KMEM_ITERS; i++) {
		k = rnd(&x) % LIVE;
		if (va[k] != 0) {
			for (p = 0; p < sz[k]; p += PAGE_SIZE)
				check((void *)(va[k] + p), me, seq[k]);
			kmem_free(va[k], sz[k]);
			va[k] = 0;
		}
		sz[k] = (1 + rnd(&x) % 4) * PAGE_SIZE;
		va[k] = kmem_malloc(sz[k], M_WAITOK);
		if (va[k] == 0) {
			fail("kmem_malloc M_WAITOK returned 0", NULL, me);
			continue;
		}
		seq[k] = (uint32_t)i;
		for (p = 0; p < sz[k]; p += PAGE_SIZE)
			stamp((void *)(va[k] + p), me, seq[k]);
		atomic_fetch_add(&stat_kmem, 1);
		if (i % 16 == 0)
			rtos_yield();
	}
	for (k = 0; k < LIVE; k++) {
		if (va[k] == 0)
			continue;
		for (p = 0; p < sz[k]; p += PAGE_SIZE)
			check((void *)(va[k] + p), me, seq[k]);
		kmem_free(va[k], sz[k]);
	}
}

static void
vmem_task(void *arg)
{
	vmem_addr_t a[LIVE] = { 0 };
	vmem_size_t sz[LIVE] = { 0 };
	uint32_t me = task_tag(), x = me * 104729 + 3;
	int i, k;

	(void)arg;
	for (i = 0; i < VMEM_ITERS; i++) {
		k = rnd(&x) % LIVE;
		if (a[k] != 0) {
			check((void *)a[k], me, (uint32_t)k);
#ifdef RTOS_BREAK_LOSE
			/* Must-fail build: one item is dropped, never freed. */
			if (i == VMEM_ITERS / 2 && md_cpuid() == 0)
				a[k] = 0;
			else
#endif
			vmem_free(arena, a[k], sz[k]);
			a[k] = 0;
		}
		sz[k] = 16 * (1 + rnd(&x) % 32);
		if (vmem_alloc(arena, sz[k], M_WAITOK | M_BESTFIT, &a[k]) != 0) {
			fail("vmem_alloc M_WAITOK failed", NULL, me);
			a[k] = 0;
			continue;
		}
		stamp((void *)a[k], me, (uint32_t)k);
		atomic_fetch_add(&stat_vmem, 1);
		if (i % 32 == 0)
			rtos_yield();
	}
	for (k = 0; k < LIVE; k++)
		if (a[k] != 0) {
			check((void *)a[k], me, (uint32_t)k);
			vmem_free(arena, a[k], sz[k]);
		}
}

/* Most of exec_map: a second one waits (blocked) until this is freed. */
static void
kmap_task(void *arg)
{
	uint32_t me = task_tag();
	vm_offset_t va;
	int i, y;

	(void)arg;
	for (i = 0; i < KMAP_ITERS; i++) {
		va = kmap_alloc_wait(exec_map, KMAP_SIZE);
		if (va == 0) {
			fail("kmap_alloc_wait returned 0", NULL, me);
			continue;
		}
		/* Demand-zero: each first touch is a fault kmem resolves. */
		stamp((void *)va, me, (uint32_t)i);
		stamp((void *)(va + KMAP_SIZE / 2), me, (uint32_t)i);
		stamp((void *)(va + KMAP_SIZE - PAGE_SIZE), me, (uint32_t)i);
		for (y = 0; y < 3; y++)
			rtos_yield();		/* hold it a while */
		check((void *)va, me, (uint32_t)i);
		check((void *)(va + KMAP_SIZE / 2), me, (uint32_t)i);
		check((void *)(va + KMAP_SIZE - PAGE_SIZE), me, (uint32_t)i);
		kmap_free_wakeup(exec_map, va, KMAP_SIZE);
		atomic_fetch_add(&stat_kmap, 1);
	}
}

/*
 * The timer interrupt handler's share: M_NOWAIT only.  Each tick frees
 * (after checking) the oldest page and arena item of this hart's ring and
 * allocates new ones.  When the run is stopping, it empties the ring.
 */
static struct {
	vm_offset_t	page[RING];
	vmem_addr_t	item[RING];
	uint32_t	seq[RING];
	uint32_t	n;
	bool		drained;
} rings[MAXCPU];

/* Check and free slot k of this hart's ring. */
static void
ring_release(u_int cpu, u_int k)
{
	uint32_t me = 0x10000 | cpu;

	if (rings[cpu].page[k] != 0) {
		check((void *)rings[cpu].page[k], me, rings[cpu].seq[k]);
		kmem_free(rings[cpu].page[k], PAGE_SIZE);
		rings[cpu].page[k] = 0;
	}
	if (rings[cpu].item[k] != 0) {
		check((void *)rings[cpu].item[k], me, rings[cpu].seq[k]);
		vmem_free(arena, rings[cpu].item[k], 64);
		rings[cpu].item[k] = 0;
	}
}

static void
tick(struct rtos_hart *h)
{
	u_int cpu = h->cpu, k;

	if (atomic_load(&stopping)) {
		if (!rings[cpu].drained) {
			for (k = 0; k < RING; k++)
				ring_release(cpu, k);
			rings[cpu].drained = true;
			atomic_fetch_add(&ticks_drained, 1);
		}
		return;
	}
	k = rings[cpu].n++ % RING;
	ring_release(cpu, k);
	rings[cpu].seq[k] = rings[cpu].n;
	rings[cpu].page[k] = kmem_malloc(PAGE_SIZE, M_NOWAIT);
	if (rings[cpu].page[k] != 0)
		stamp((void *)rings[cpu].page[k], 0x10000 | cpu,
		    rings[cpu].seq[k]);
	else
		atomic_fetch_add(&stat_tick_nomem, 1);
	if (vmem_alloc(arena, 64, M_NOWAIT, &rings[cpu].item[k]) == 0)
		stamp((void *)rings[cpu].item[k], 0x10000 | cpu,
		    rings[cpu].seq[k]);
	else
		rings[cpu].item[k] = 0;
	atomic_fetch_add(&stat_tick, 1);
}

/*
 * Worker tasks not finished; *all_blocked says whether every one of them
 * is blocked, and *sig sums when and on what they blocked.
 */
static int
workers_left(bool *all_blocked, uint64_t *sig)
{
	struct rtos_task *t;
	u_int c;
	int i, n, st;

	n = 0;
	*all_blocked = true;
	*sig = 0;
	for (c = 0; c < rtos_nharts; c++)
		for (i = 1; i < RTOS_NTASK; i++) {
			t = &rtos_harts[c].task[i];
			st = atomic_load(&t->state);
			if (t == rtos_current() || st == TASK_FREE ||
			    st == TASK_DONE)
				continue;
			n++;
			if (st != TASK_BLOCKED)
				*all_blocked = false;
			*sig += t->blocked_at + (uintptr_t)t->chan;
		}
	return (n);
}

/*
 * The watchdog.  A missing wakeup leaves tasks blocked with nothing left
 * that could wake them: every unfinished task blocked.  A correct run
 * never gets there, however slow the machine (while kmap tasks wait, one
 * of them holds exec_map and is runnable), so the same picture seen 100 ms
 * apart is a failure, reported with every blocked task.
 */
static void
watchdog(void)
{
	static uint64_t seen_sig, seen_at;
	struct rtos_task *t;
	bool all;
	uint64_t sig;
	u_int c;
	int i;

	if (workers_left(&all, &sig) == 0 || !all) {
		seen_at = 0;
		return;
	}
	if (seen_at == 0 || sig != seen_sig) {
		seen_sig = sig;
		seen_at = md_time();
		return;
	}
	if (md_time() - seen_at < md_time_freq() / 10)
		return;
	for (c = 0; c < rtos_nharts; c++)
		for (i = 1; i < RTOS_NTASK; i++) {
			t = &rtos_harts[c].task[i];
			if (t != rtos_current() &&
			    atomic_load(&t->state) == TASK_BLOCKED)
				rtos_printf("FAIL: task %s blocked on %p, and no "
				    "task is left to wake it: a missing "
				    "wakeup\n", t->name, t->chan);
		}
	atomic_fetch_add(&failures, 1);
}

static void
checker_task(void *arg)
{
	vmem_size_t left;
	uint64_t sig;
	bool all;
	u_int c;

	(void)arg;
	while (workers_left(&all, &sig) > 0 && atomic_load(&failures) == 0) {
		rtos_yield();
		watchdog();
	}
	if (atomic_load(&failures) != 0)
		for (c = 0; c < rtos_nharts; c++)
			rtos_printf("  hart %u: %lu ticks, running %s\n",
			    rtos_harts[c].hartid,
			    (u_long)atomic_load(&rtos_harts[c].ticks),
			    rtos_harts[c].cur == 0 ? "idle" :
			    rtos_harts[c].task[rtos_harts[c].cur].name);
	atomic_store(&stopping, true);
	while (atomic_load(&ticks_drained) < rtos_nharts &&
	    atomic_load(&failures) == 0)
		rtos_yield();
	left = vmem_size(arena, VMEM_ALLOC);
	if (atomic_load(&failures) == 0 && left != 0) {
		rtos_printf("FAIL: a lost item: %lu bytes still allocated in "
		    "arena \"rtos\" after every task freed its own\n",
		    (u_long)left);
		atomic_fetch_add(&failures, 1);
	}
	/* The paths this example is about must have run. */
	if (atomic_load(&failures) == 0 && (atomic_load(&rtos_nblocks) == 0 ||
	    atomic_load(&rtos_nfaults) == 0 || atomic_load(&stat_tick) == 0)) {
		rtos_printf("FAIL: untested: %lu blocked tasks, %lu resolved "
		    "faults, %lu tick allocations\n", atomic_load(&rtos_nblocks),
		    atomic_load(&rtos_nfaults), atomic_load(&stat_tick));
		atomic_fetch_add(&failures, 1);
	}
	rtos_printf("rtos: %u harts, %lu kmem + %lu vmem + %lu kmap objects "
	    "in tasks, %lu tick allocations (%lu M_NOWAIT misses), %lu tasks "
	    "blocked, %lu faults resolved: %d failures\n", rtos_nharts,
	    atomic_load(&stat_kmem), atomic_load(&stat_vmem),
	    atomic_load(&stat_kmap), atomic_load(&stat_tick),
	    atomic_load(&stat_tick_nomem), atomic_load(&rtos_nblocks),
	    atomic_load(&rtos_nfaults), atomic_load(&failures));
	rtos_exit(atomic_load(&failures));
}

/* Boot hart, after kmem_startup() and the harts: tasks and the tick. */
void
app_start(void)
{
	u_int c, i;

	arena_mem = kmem_malloc(ARENA_SIZE, M_WAITOK);
	arena = vmem_create("rtos", arena_mem, ARENA_SIZE, 16, 0, M_WAITOK);
	if (arena == NULL) {
		rtos_printf("*** vmem_create failed\n");
		rtos_exit(KMEM_EXIT_PANIC);
	}
	for (c = 0; c < rtos_nharts; c++) {
		if (rtos_task_create(c, "kmem", kmem_task, NULL) == NULL ||
		    rtos_task_create(c, "vmem", vmem_task, NULL) == NULL)
			goto full;
		rtos_harts[c].tick_fn = tick;
	}
	for (i = 0; i < 2 * rtos_nharts && i < KMAP_TASKS; i++)
		if (rtos_task_create(i % rtos_nharts, "kmap", kmap_task,
		    NULL) == NULL)
			goto full;
	(void)rtos_task_create(0, "checker", checker_task, NULL);
	rtos_printf("rtos: kmem up, %u harts, timer every %d us\n",
	    rtos_nharts, RTOS_TICK_US);
	return;
full:
	rtos_printf("*** no room for tasks\n");
	rtos_exit(KMEM_EXIT_PANIC);
}
