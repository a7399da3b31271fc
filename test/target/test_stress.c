/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every hart at once: a random mix of kmem_malloc/kmem_free,
 * kmem_alloc_contig, kva_alloc + kmem_back, vmem_xalloc on a shared arena
 * and kmap_alloc_wait on a shared submap.  Each allocation is stamped with
 * a pattern unique to its owner and checked before it is freed, so an
 * overlap or a stale mapping shows up as a wrong pattern.  At the end the
 * free-page count, the arenas and the commit charge are back where they
 * started.  Then the blocking cases: kmap_alloc_wait sleeping until another
 * hart frees, and an M_WAITOK page allocation waiting for another hart.
 *
 * KMEM_STRESS_TOTAL operations are split over the harts: 152,000 by
 * default on up to 4 harts, 48,000 on more (8 harts on a 2-core CI machine
 * spend most of their time waiting for each other's remote fences), so the
 * suite's two machines run 200,000 in all.  A
 * soak build passes -DKMEM_STRESS_TOTAL=4000000.
 */
#include <string.h>

#include <kmem.h>
#include "tap.h"

#ifndef KMEM_STRESS_TOTAL
#define KMEM_STRESS_TOTAL	0	/* 0: the defaults above */
#endif
static u_long stress_ops;		/* per hart */
#define SLOTS		48
#ifndef KMEM_STRESS_KINDS
#define KMEM_STRESS_KINDS	0x1f	/* bit per enum kind */
#endif

enum kind { K_MALLOC, K_CONTIG, K_BACK, K_XALLOC, K_KMAP, K_NKINDS };

struct slot {
	vm_offset_t	va;
	vm_offset_t	kva;		/* K_BACK: the kva_alloc range */
	vm_size_t	size;
	enum kind	kind;
	u_long		gen;		/* the op number that allocated it */
};

struct hart {
	struct slot	slots[SLOTS];
	uint64_t	rng;
	u_long		ops;
	u_long		allocs;
	u_long		bad;
	u_long		fails;
} __attribute__((aligned(64)));

static struct hart harts[MAXCPU];
static vmem_t *shared_arena;
static struct vm_map shared_map;
static struct kmem_barrier bar;

static uint64_t
rnd(struct hart *h)
{

	h->rng ^= h->rng << 13;
	h->rng ^= h->rng >> 7;
	h->rng ^= h->rng << 17;
	return (h->rng);
}

/*
 * kmem_unback and kmap_free_wakeup must shoot translations down before
 * they return (their VA is reusable at once).  Under QEMU an SBI RFENCE to
 * harts that are busy costs milliseconds of wall time, so
 * they get 1/128 of the mix each; kmem_free batches its shootdowns.
 */
static enum kind
pick_kind(struct hart *h)
{
	u_int r = (u_int)(rnd(h) % 128);

	if (r == 0)
		return (K_BACK);
	if (r == 1)
		return (K_KMAP);
	return ((enum kind)(r % 3 == 0 ? K_MALLOC : r % 3 == 1 ? K_CONTIG :
	    K_XALLOC));
}

static uint64_t
tag_of(u_int cpu, int slot, u_long n)
{

	return (((uint64_t)cpu << 56) ^ ((uint64_t)slot << 40) ^ n ^
	    0x5bd1e9955bd1e995ULL);
}

/* Stamp the first and last word of every page (xalloc ranges: no memory). */
static void
stamp(struct slot *s, uint64_t tag)
{
	vm_size_t o;

	if (s->kind == K_XALLOC)
		return;
	for (o = 0; o < s->size; o += PAGE_SIZE) {
		*(volatile uint64_t *)(s->va + o) = tag ^ o;
		*(volatile uint64_t *)(s->va + o + PAGE_SIZE - 8) = ~tag ^ o;
	}
}

static bool
stamped(const struct slot *s, uint64_t tag)
{
	vm_size_t o;

	if (s->kind == K_XALLOC)
		return (true);
	for (o = 0; o < s->size; o += PAGE_SIZE)
		if (*(volatile uint64_t *)(s->va + o) != (tag ^ o) ||
		    *(volatile uint64_t *)(s->va + o + PAGE_SIZE - 8) !=
		    (~tag ^ o))
			return (false);
	return (true);
}

/* xalloc ranges have no memory: remember owners in a shared table. */
#define XSPAN	(1UL << 24)
#define XQ	(1UL << 12)
static volatile uint8_t xowner[XSPAN / XQ];

static void
release(struct slot *s)
{
	vm_size_t o;

	switch (s->kind) {
	case K_MALLOC:
	case K_CONTIG:
		kmem_free(s->va, s->size);
		break;
	case K_BACK:
		kmem_unback(kernel_object, s->va, s->size);
		kva_free(s->kva, s->size);
		break;
	case K_XALLOC:
		for (o = 0; o < s->size; o += XQ)
			xowner[(s->va - 0x40000000UL + o) / XQ] = 0;
		vmem_xfree(shared_arena, s->va, s->size);
		break;
	case K_KMAP:
		kmap_free_wakeup(&shared_map, s->va, s->size);
		break;
	default:
		break;
	}
	s->va = 0;
}

static void
worker(void *arg)
{
	u_int cpu = md_cpuid();
	struct hart *h = &harts[cpu];
	struct slot *s;
	vm_size_t o;
	vmem_addr_t xa;
	u_long n;
	int i;

	(void)arg;
	h->rng = 0x9e3779b97f4a7c15ULL * (cpu + 1);
	kmem_smp_barrier(&bar);
	for (n = 0; n < stress_ops; n++) {
		i = (int)(rnd(h) % SLOTS);
		s = &h->slots[i];
		h->ops++;
		if (s->va != 0) {
			if (!stamped(s, tag_of(cpu, i, s->gen)))
				h->bad++;
			release(s);
			continue;
		}
		s->kind = pick_kind(h);
		if (((KMEM_STRESS_KINDS >> s->kind) & 1) == 0)
			s->kind = K_MALLOC;
		s->size = ptoa(1 + rnd(h) % 8);
		switch (s->kind) {
		case K_MALLOC:
			s->va = kmem_malloc_domainset(rnd(h) & 1 ? DOMAINSET_FT() :
			    DOMAINSET_RR(), s->size, M_NOWAIT);
			break;
		case K_CONTIG:
			s->va = kmem_alloc_contig(s->size, M_NOWAIT, 0, ~0UL,
			    PAGE_SIZE << (rnd(h) % 3), 0, VM_MEMATTR_DEFAULT);
			break;
		case K_BACK:
			s->kva = kva_alloc(s->size);
			if (s->kva != 0 && kmem_back(kernel_object, s->kva,
			    s->size, M_NOWAIT) == KERN_SUCCESS)
				s->va = s->kva;
			else if (s->kva != 0)
				kva_free(s->kva, s->size);
			break;
		case K_XALLOC:
			s->size = XQ * (1 + rnd(h) % 16);
			if (vmem_xalloc(shared_arena, s->size, XQ << (rnd(h) % 3),
			    0, 0, VMEM_ADDR_MIN, VMEM_ADDR_MAX, M_NOWAIT |
			    M_BESTFIT, &xa) == 0) {
				s->va = xa;
				for (o = 0; o < s->size; o += XQ) {
					if (xowner[(xa - 0x40000000UL + o) /
					    XQ] != 0)
						h->bad++;
					xowner[(xa - 0x40000000UL + o) / XQ] =
					    (uint8_t)(cpu + 1);
				}
			}
			break;
		case K_KMAP:
			s->va = kmap_alloc_wait(&shared_map, s->size);
			break;
		default:
			break;
		}
		if (s->va == 0) {
			h->fails++;
			continue;
		}
		h->allocs++;
		s->gen = n;
		stamp(s, tag_of(cpu, i, s->gen));
	}
	for (i = 0; i < SLOTS; i++) {
		s = &h->slots[i];
		if (s->va == 0)
			continue;
		if (!stamped(s, tag_of(cpu, i, s->gen)))
			h->bad++;
		release(s);
	}
	kmem_smp_barrier(&bar);
}

/* --- blocking --- */

static struct vm_map small_map;
static volatile vm_offset_t held;
static volatile int phase;

static void
kmap_freer(void *arg)
{

	(void)arg;
	while (phase != 1)
		md_cpu_relax();
	/* Give the other hart time to go to sleep, then free. */
	for (volatile int i = 0; i < 200000; i++)
		;
	phase = 2;
	kmap_free_wakeup(&small_map, held, vm_map_max(&small_map) -
	    vm_map_min(&small_map));
}

static void
drain_cache(void *arg)
{

	(void)arg;
	(void)vm_page_cache_drain();
}

/* An M_WAITOK allocation waits while memory is exhausted. */
#define NHOLD	2048
static vm_offset_t hold[NHOLD];
static vm_size_t hold_size[NHOLD];
static volatile int nhold;

static void
page_freer(void *arg)
{

	(void)arg;
	while (phase != 1)
		md_cpu_relax();
	for (volatile int i = 0; i < 200000; i++)
		;
	phase = 2;
	kmem_free(hold[nhold - 1], hold_size[nhold - 1]);
	hold[nhold - 1] = 0;
}

static void
test_waitok(void)
{
	vm_offset_t a;
	vm_size_t sz;
	int i;

	kmem_smp_run_all(drain_cache, NULL);
	nhold = 0;
	for (sz = 1UL << 20; sz >= PAGE_SIZE; sz >>= 1)
		while (nhold < NHOLD && (a = kmem_malloc(sz, M_NOWAIT |
		    M_NORECLAIM)) != 0) {
			hold[nhold] = a;
			hold_size[nhold++] = sz;
		}
	ok(nhold < NHOLD && kmem_malloc(PAGE_SIZE, M_NOWAIT) == 0,
	    "memory exhausted with %d allocations", nhold);
	phase = 0;
	kmem_smp_run(1, page_freer, NULL);
	phase = 1;
	a = kmem_malloc(PAGE_SIZE, M_WAITOK);
	ok(a != 0 && phase == 2, "kmem_malloc(M_WAITOK) waited for hart 1's "
	    "kmem_free (phase %d)", phase);
	kmem_smp_wait(1);
	if (a != 0)
		kmem_free(a, PAGE_SIZE);
	for (i = 0; i < nhold; i++)
		if (hold[i] != 0)
			kmem_free(hold[i], hold_size[i]);
}

int
main(void)
{
	struct kmem_stats st0, st1;
	u_long ops, allocs, bad, fails;
	u_int i, ncpu, free0, free1;
	vm_offset_t min, max, a;

	ncpu = kmem_smp_ncpus();
	stress_ops = (KMEM_STRESS_TOTAL != 0 ? KMEM_STRESS_TOTAL :
	    ncpu <= 4 ? 152000 : 48000) / ncpu;
	diag("%u harts, %d domains, %lu ops per hart", ncpu, vm_ndomains,
	    stress_ops);
	shared_arena = vmem_create("stress shared", 0x40000000UL, XSPAN, XQ,
	    4 * XQ, M_WAITOK);
	kmem_subinit(&shared_map, kernel_map, &min, &max, 8UL << 20, false);
	kmem_barrier_init(&bar, ncpu);

	vm_page_cache_drain();
	kmem_stats(&st0);
	free0 = vm_free_count();
	ok(kmem_smp_run_all(worker, NULL) == 0, "every hart ran the mix");
	ops = allocs = bad = fails = 0;
	for (i = 0; i < ncpu; i++) {
		ops += harts[i].ops;
		allocs += harts[i].allocs;
		bad += harts[i].bad;
		fails += harts[i].fails;
	}
	ok(bad == 0, "%lu operations, %lu allocations (%lu refused): every "
	    "stamp belonged to its owner (%lu wrong)", ops, allocs, fails, bad);
	ok(ops >= (u_long)ncpu * stress_ops, "all %lu operations ran", ops);
	/* Give batched frees and the harts' caches back, then compare. */
	(void)kmem_free_flush();
	kmem_smp_run_all(drain_cache, NULL);
	vmem_drain_all();
	kmem_stats(&st1);
	free1 = vm_free_count();
	ok(swap_reserved() == 0, "commit charge back to 0");
	ok(vmem_size(shared_arena, VMEM_ALLOC) == 0, "shared arena empty");
	ok(free0 - free1 == st1.meta_pages - st0.meta_pages, "every page back "
	    "(free %u -> %u; the difference is kmem's own page-table, tag and "
	    "entry pages: %lu -> %lu)", free0, free1, st0.meta_pages,
	    st1.meta_pages);
	ok(st1.commit_used == st0.commit_used, "stats: commit unchanged");

	/* kmap_alloc_wait sleeps until another hart frees. */
	kmem_subinit(&small_map, kernel_map, &min, &max, 64 * 1024, false);
	held = kmap_alloc_wait(&small_map, 64 * 1024);
	ok(held != 0, "a submap filled completely");
	if (ncpu > 1 && held != 0) {
		phase = 0;
		kmem_smp_run(1, kmap_freer, NULL);
		phase = 1;
		a = kmap_alloc_wait(&small_map, PAGE_SIZE);
		ok(a != 0 && phase == 2, "kmap_alloc_wait slept until hart 1's "
		    "kmap_free_wakeup (phase %d)", phase);
		kmem_smp_wait(1);
		kmap_free_wakeup(&small_map, a, PAGE_SIZE);
		test_waitok();
	}
	return (tap_done());
}
