/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Contention on the host twin (run under TSan and ASan): 8 harts share one
 * small domain, one vmem arena with quantum caches and one tiny pageable
 * submap, so that the contended paths run: arena lock waits, magazine
 * depot exchanges, busy page-cache slots and steals of other harts' cached
 * pages when the domain runs dry, kmem_free batches, and kmap_alloc_wait
 * sleeping until another hart's kmap_free_wakeup.  Every allocation is
 * stamped with its owner and checked before it is freed; at the end every
 * page and every byte of commit charge is back.
 * usage: host_stress [ops per hart]
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "tap.h"
#include "kmem_account.h"

#define NHARTS		8
#define SLOTS		12
#define KMAP_SIZE	(16 * PAGE_SIZE)	/* 4 allocations of 4 pages */

static struct fdt_machine M;
static struct vm_map smap;
static vmem_t *shared;
static atomic_ulong bad, ops, kmap_waits, page_fails;
static long nops = 20000;
static struct kmem_barrier start;

#define BURST		128	/* pages a page slot holds: the domain runs dry */

struct slot {
	int		kind;
	uintptr_t	a;
	vm_size_t	size;
	uint64_t	tag;
	int		npages;
	vm_page_t	pages[BURST];
};

static uint64_t
rnd(uint64_t *s)
{

	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

static void
put(struct slot *s)
{

	if (s->kind == 0)
		host_store64(s->a, s->tag);
	else if (s->kind == 2)
		for (int i = 0; i < s->npages; i++)
			*(uint64_t *)PHYS_TO_DMAP(VM_PAGE_TO_PHYS(
			    s->pages[i])) = s->tag + i;
}

static bool
good(const struct slot *s)
{

	if (s->kind == 0)
		return (host_load64(s->a) == s->tag);
	for (int i = 0; s->kind == 2 && i < s->npages; i++)
		if (*(uint64_t *)PHYS_TO_DMAP(VM_PAGE_TO_PHYS(s->pages[i])) !=
		    s->tag + i)
			return (false);
	return (true);
}

static void
drop(struct slot *s)
{

	if (!good(s))
		atomic_fetch_add(&bad, 1);
	switch (s->kind) {
	case 0:
		kmem_free(s->a, s->size);
		break;
	case 1:
		vmem_free(shared, s->a, s->size);
		break;
	case 2:
		while (s->npages > 0)
			vm_page_free(s->pages[--s->npages]);
		break;
	case 3:
		kmap_free_wakeup(&smap, s->a, s->size);
		break;
	}
	s->size = 0;
}

static void
worker(void *arg)
{
	struct slot sl[SLOTS];
	uint64_t r = 0x9e3779b97f4a7c15ULL * (md_cpuid() + 1);
	vmem_addr_t va;
	vm_page_t m;
	long i;
	int k, want;

	(void)arg;
	memset(sl, 0, sizeof(sl));
	kmem_smp_barrier(&start);	/* everyone at once */
	for (i = 0; i < nops; i++) {
		struct slot *s = &sl[rnd(&r) % SLOTS];

		if (s->size != 0) {
			drop(s);
			continue;
		}
		k = (int)(rnd(&r) % 8);
		s->tag = rnd(&r);
		switch (k) {
		case 0: case 1: case 2:		/* the common kmem pair */
			s->kind = 0;
			s->size = ptoa(1 + (k == 2 ? rnd(&r) % 3 : 0));
			s->a = kmem_malloc(s->size, M_NOWAIT);
			break;
		case 3:				/* one arena, its qcaches */
			s->kind = 1;
			s->size = 16 << (rnd(&r) % 4);
			s->a = vmem_alloc(shared, s->size, M_NOWAIT |
			    M_BESTFIT, &va) == 0 ? (uintptr_t)va : 0;
			break;
		case 4: case 5: case 6:		/* pages: caches and steals */
			s->kind = 2;
			s->size = PAGE_SIZE;
			s->npages = 0;
			want = 1 + (int)(rnd(&r) % BURST);
			while (s->npages < want) {
				m = vm_page_alloc_noobj_domain(0,
				    VM_ALLOC_NOWAIT);
				if (m == NULL) {
					atomic_fetch_add(&page_fails, 1);
					break;
				}
				s->pages[s->npages++] = m;
			}
			s->a = s->npages > 0;
			break;
		default:			/* sleeps while the map is full */
			/* Only a hart holding no kmap may wait for one. */
			for (k = 0; k < SLOTS && (sl[k].size == 0 ||
			    sl[k].kind != 3); k++)
				;
			if (k < SLOTS)
				continue;
			s->kind = 3;
			s->size = 4 * PAGE_SIZE;
			if (smap.size + s->size > KMAP_SIZE)
				atomic_fetch_add(&kmap_waits, 1);
			s->a = kmap_alloc_wait(&smap, s->size);
			break;
		}
		if (s->a == 0) {
			s->size = 0;
			continue;
		}
		put(s);
		atomic_fetch_add_explicit(&ops, 1, memory_order_relaxed);
	}
	for (k = 0; k < SLOTS; k++)
		if (sl[k].size != 0)
			drop(&sl[k]);
}

int
main(int argc, char **argv)
{
	struct host_machine_cfg cfg = {
		.ndomains = 1, .mem_per_domain = 8UL << 20, .ncpus = NHARTS,
	};
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };
	vm_offset_t min, max;
	u_long base;
	u_int n;

	if (argc > 1)
		nops = atol(argv[1]);
	host_machine_init(&cfg, &M);
	host_thread_register();
	ok(kmem_startup(&bi) == 0, "kmem on one 8 MiB domain, %d harts",
	    NHARTS);
	kmem_subinit(&smap, kernel_map, &min, &max, KMAP_SIZE, false);
	shared = vmem_create("stress shared", 0x10000, 1UL << 20, 16, 64,
	    M_WAITOK);
	base = kmem_accounted();
	n = host_smp_start(NHARTS);
	kmem_barrier_init(&start, n);
	ok(n == NHARTS && kmem_smp_run_all(worker, NULL) == 0,
	    "%u harts ran %ld operations each at once", n, nops);
	host_smp_stop();
	ok(atomic_load(&bad) == 0, "%lu allocations: every stamp intact at "
	    "its free", atomic_load(&ops));
	diag("%lu kmap_alloc_wait calls found the submap full (they slept), "
	    "%lu page allocations found domain 0 empty",
	    atomic_load(&kmap_waits), atomic_load(&page_fails));
	ok(smap.size == 0 && swap_reserved() == 0, "the submap is empty and "
	    "the commit charge back to 0");
	vmem_destroy(shared);
	ok(kmem_accounted() == base, "every page is free again or kmem's own");
	return (tap_done());
}
