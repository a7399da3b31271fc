/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UMA zones and malloc(9) on every hart: owner-stamped allocations, items
 * freed by another hart than the one that allocated them (a ring from each
 * hart to the next), FIRSTTOUCH placement checked page by page, the lowmem
 * handler giving every empty slab back, and three exhaustion rounds with
 * identical results.
 */
#include <string.h>

#include <kmem.h>
#include "tap.h"
#include "uma_settle.h"

const bool kmem_boot_quiet = true;

#define PER_HART	3000
#define RING		64

static struct kmem_barrier bar;
static uma_zone_t zft, zrr;
static u_int ncpu;
static _Atomic int stamp_errors, place_errors, place_checked;

/* ring[c]: items hart c allocated, for hart (c + 1) % ncpu to free. */
static struct {
	_Atomic(void *)	slot[RING];
} ring[MAXCPU];


static void
stamp(void *p, size_t n, u_int cpu)
{

	memset(p, (int)(0x40 + cpu), n);
}

static bool
stamped(const void *p, size_t n, u_int cpu)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != 0x40 + cpu)
			return (false);
	return (true);
}

static void
work(void *arg)
{
	void *mine[32], *p;
	u_int cpu;
	int i, k, dom;
	size_t sz;

	(void)arg;
	cpu = md_cpuid();
	dom = md_cpu_domain(cpu);
	memset(mine, 0, sizeof(mine));
	kmem_smp_barrier(&bar);
	for (i = 0; i < PER_HART; i++) {
		k = i & 31;
		if (mine[k] != NULL) {
			if (!stamped(mine[k], 48, cpu))
				atomic_fetch_add(&stamp_errors, 1);
			/* Every fourth goes to the next hart's ring. */
			if ((i & 3) == 0 && ncpu > 1) {
				p = atomic_exchange(&ring[cpu].slot[i % RING],
				    mine[k]);
				if (p != NULL)	/* not taken yet: ours again */
					uma_zfree(zft, p);
			} else
				uma_zfree(zft, mine[k]);
		}
		mine[k] = uma_zalloc(zft, M_WAITOK);
		/* FIRSTTOUCH: the item's page is in this hart's domain. */
		if (vm_phys_domain(DMAP_TO_PHYS(mine[k])) != dom)
			atomic_fetch_add(&place_errors, 1);
		atomic_fetch_add(&place_checked, 1);
		stamp(mine[k], 48, cpu);
		/* Take what the previous hart left for us. */
		p = atomic_exchange(&ring[(cpu + ncpu - 1) % ncpu].slot[i %
		    RING], NULL);
		if (p != NULL)
			uma_zfree(zft, p);
		/* malloc(9) of every size class, and a round-robin zone. */
		sz = (size_t)(i * 37) % (KMEM_ZMAX + 1);
		p = kern_malloc(sz, M_TEMP, M_WAITOK);
		stamp(p, sz, cpu);
		if (!stamped(p, sz, cpu))
			atomic_fetch_add(&stamp_errors, 1);
		if (sz <= 4096 && vm_phys_domain(DMAP_TO_PHYS(p)) != dom)
			atomic_fetch_add(&place_errors, 1);
		kern_free(p, M_TEMP);
		p = uma_zalloc(zrr, M_NOWAIT);
		if (p != NULL)
			uma_zfree(zrr, p);
	}
	for (k = 0; k < 32; k++)
		uma_zfree(zft, mine[k]);
	kmem_smp_barrier(&bar);
	/* Whatever is left in the rings, freed by the next hart. */
	for (k = 0; k < RING; k++) {
		p = atomic_exchange(&ring[(cpu + ncpu - 1) % ncpu].slot[k],
		    NULL);
		if (p != NULL)
			uma_zfree(zft, p);
	}
}

/* Allocate 4000-byte items (one per page) until none is left. */
static u_long
exhaust(uma_zone_t z)
{
	void *head, *p;
	u_long n;

	head = NULL;
	for (n = 0; (p = uma_zalloc(z, M_NOWAIT)) != NULL; n++) {
		*(void **)p = head;
		head = p;
	}
	while (head != NULL) {
		p = head;
		head = *(void **)p;
		uma_zfree(z, p);
	}
	return (n);
}

int
main(void)
{
	struct malloc_type_stats st;
	u_long slabs, fr, n[3];
	u_int before, after;
	uma_zone_t zx;
	int rc, i;

	ncpu = kmem_smp_ncpus();
	kmem_barrier_init(&bar, ncpu);
	before = settled_free();
	zft = uma_zcreate("test ft", 48, NULL, NULL, NULL, NULL, 0,
	    UMA_ZONE_FIRSTTOUCH);
	zrr = uma_zcreate("test rr", 200, NULL, NULL, NULL, NULL, 0,
	    UMA_ZONE_ROUNDROBIN);
	rc = kmem_smp_run_all(work, NULL);
	ok(rc == 0, "work ran on all %u harts", ncpu);
	ok(atomic_load(&stamp_errors) == 0, "owner stamps intact on every "
	    "hart, items freed by the next hart through a ring");
	ok(atomic_load(&place_errors) == 0, "FIRSTTOUCH: each of %d items and "
	    "each small malloc block on its hart's domain's page",
	    atomic_load(&place_checked));
	ok(uma_zone_get_cur(zft) == 0 && uma_zone_get_cur(zrr) == 0,
	    "every item came back");
	malloc_type_stats(M_TEMP, &st);
	ok(st.mts_numallocs == st.mts_numfrees &&
	    st.mts_numallocs == (uint64_t)ncpu * PER_HART &&
	    st.mts_memalloced == st.mts_memfreed,
	    "M_TEMP statistics summed over harts: %llu allocations, %llu "
	    "frees", (unsigned long long)st.mts_numallocs,
	    (unsigned long long)st.mts_numfrees);
	ok(vm_lowmem_trigger(VM_LOW_PAGES) == 0, "lowmem trigger");
	uma_zone_slabs(zft, &slabs, &fr);
	ok(slabs == 0, "the lowmem handler gave every empty slab back (%lu "
	    "left)", slabs);
	uma_zdestroy(zft);
	uma_zdestroy(zrr);
	after = settled_free();
	ok(after == before, "free pages back to their start (%u -> %u)",
	    before, after);

	zx = uma_zcreate("exhaust", 4000, NULL, NULL, NULL, NULL, 0, 0);
	for (i = 0; i < 3; i++) {
		n[i] = exhaust(zx);
		uma_zone_reclaim(zx, UMA_RECLAIM_DRAIN_CPU);
		(void)settled_free();
	}
	ok(n[0] > 0 && n[0] == n[1] && n[1] == n[2], "three exhaustion "
	    "rounds give the same count (%lu, %lu, %lu)", n[0], n[1], n[2]);
	uma_zdestroy(zx);
	after = settled_free();
	ok(after == before, "after exhaustion, free pages back to their start "
	    "(%u -> %u)", before, after);
	return (tap_done());
}
