/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem on the host twin, under ASan and UBSan: the whole start-up
 * (physmem, pmap, vm_phys, vmem, kmem_init) over simulated RAM, then every
 * API function checked through the software MMU, and a long random mix of
 * allocations against a model of what is live (stamps, domains, counts).
 * usage: host_kmem [ndomains]
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"

static struct fdt_machine M;

static bool
mapped_in(vm_offset_t va, vm_size_t size, int d, vm_paddr_t lo, vm_paddr_t hi)
{
	vm_size_t o;
	vm_paddr_t pa;

	for (o = 0; o < size; o += PAGE_SIZE) {
		pa = pmap_kextract(va + o);
		if (pa == 0 || pa < lo || pa >= hi ||
		    (d >= 0 && vm_phys_domain(pa) != d))
			return (false);
	}
	return (true);
}

static bool
zero_at(vm_offset_t va, vm_size_t size)
{
	vm_size_t o;

	for (o = 0; o < size; o += 8)
		if (host_load64(va + o) != 0)
			return (false);
	return (true);
}

static void
stamp(vm_offset_t va, vm_size_t size, uint64_t tag)
{
	vm_size_t o;

	for (o = 0; o < size; o += PAGE_SIZE)
		host_store64(va + o, tag ^ o);
	host_store64(va + size - 8, ~tag);
}

static bool
stamped(vm_offset_t va, vm_size_t size, uint64_t tag)
{
	vm_size_t o;

	for (o = 0; o < size; o += PAGE_SIZE)
		if (host_load64(va + o) != (tag ^ o))
			return (false);
	return (host_load64(va + size - 8) == ~tag);
}

static bool
faults(vm_offset_t va, int access)
{
	struct kmem_fault_catch fc;

	if (KMEM_FAULT_TRY(&fc)) {
		if (access == KMEM_ACC_WRITE)
			host_store8(va, 1);
		else if (access == KMEM_ACC_EXEC)
			host_fetch(va);
		else
			(void)host_load8(va);
		kmem_fault_disarm();
		return (false);
	}
	return (fc.kf_va == va && fc.kf_access == access);
}

static void
boot(int ndomains)
{

	ok(host_boot(&M, ndomains) == 0 && (kmem_up & KMEM_UP_KMEM) != 0 &&
	    vm_ndomains == ndomains, "kmem_startup brings every layer up on "
	    "%d domain(s)", ndomains);
}

static void
test_api(void)
{
	struct kmem_panic_catch pc;
	static struct vm_map sub;
	vm_offset_t va, vb, min, max;
	vm_paddr_t pa0;
	vm_size_t o;
	bool contig;
	int d;

	va = kva_alloc(3 * PAGE_SIZE);
	ok(va >= VM_MIN_KERNEL_ADDRESS && pmap_kextract(va) == 0 &&
	    faults(va + PAGE_SIZE, KMEM_ACC_READ), "kva_alloc: KVA only, a "
	    "touch faults");
	kva_free(va, 3 * PAGE_SIZE);
	ok(kva_alloc(0) == 0 && kva_alloc(~0UL) == 0, "kva_alloc: bad sizes "
	    "return 0");

	va = kmem_malloc(7 * PAGE_SIZE, M_WAITOK | M_ZERO);
	ok(va != 0 && mapped_in(va, 7 * PAGE_SIZE, -1, 0, ~0UL) &&
	    zero_at(va, 7 * PAGE_SIZE), "kmem_malloc(M_ZERO): mapped, zero");
	stamp(va, 7 * PAGE_SIZE, 0x1234);
	ok(stamped(va, 7 * PAGE_SIZE, 0x1234), "kmem_malloc: holds data");
	ok(faults(va, KMEM_ACC_EXEC), "kmem_malloc memory is not executable");
	if (KMEM_PANIC_TRY(&pc)) {
		kmem_free(va, 6 * PAGE_SIZE);
		kmem_panic_disarm();
		ok(0, "kmem_free with the wrong size did not panic");
	} else
		ok(strstr(pc.kp_msg, "kmem_free") != NULL,
		    "kmem_free with the wrong size panics: %s", pc.kp_msg);
	kmem_free(va, 7 * PAGE_SIZE);
	ok(pmap_kextract(va) == 0 && faults(va, KMEM_ACC_READ),
	    "kmem_free: unmapped, a stale touch faults");
	ok(kmem_malloc(PAGE_SIZE, M_NOWAIT | M_WAITOK) == 0 &&
	    kmem_malloc(0, M_NOWAIT) == 0, "kmem_malloc: bad flags/size");

	for (d = 0; d < vm_ndomains; d++) {
		va = kmem_malloc_domainset(DOMAINSET_PREF(d), 5 * PAGE_SIZE,
		    M_NOWAIT);
		ok(va != 0 && mapped_in(va, 5 * PAGE_SIZE, d, 0, ~0UL),
		    "kmem_malloc_domainset(PREF(%d)) pages in domain %d", d, d);
		kmem_free(va, 5 * PAGE_SIZE);
	}
	va = kmem_malloc(PAGE_SIZE, M_WAITOK | M_EXEC);
	ok(va != 0 && !faults(va, KMEM_ACC_EXEC) &&
	    vm_page_is_kmem_exec(PHYS_TO_VM_PAGE(pmap_kextract(va))),
	    "kmem_malloc(M_EXEC): executable");
	kmem_free(va, PAGE_SIZE);

	va = kmem_alloc_attr(4 * PAGE_SIZE, M_WAITOK, HOST_RAM_BASE +
	    (8UL << 20), HOST_RAM_BASE + (16UL << 20), VM_MEMATTR_UNCACHEABLE);
	ok(va != 0 && mapped_in(va, 4 * PAGE_SIZE, -1, HOST_RAM_BASE +
	    (8UL << 20), HOST_RAM_BASE + (16UL << 20)),
	    "kmem_alloc_attr: pages inside [low, high)");
	kmem_free(va, 4 * PAGE_SIZE);
	ok(kmem_alloc_attr(PAGE_SIZE, M_NOWAIT, 2, 1, 0) == 0,
	    "kmem_alloc_attr: low >= high returns 0");

	va = kmem_alloc_contig(8 * PAGE_SIZE, M_WAITOK | M_ZERO, 0, ~0UL,
	    32 * 1024, 64 * 1024, VM_MEMATTR_DEFAULT);
	pa0 = pmap_kextract(va);
	contig = va != 0;
	for (o = 0; contig && o < 8 * PAGE_SIZE; o += PAGE_SIZE)
		contig = pmap_kextract(va + o) == pa0 + o;
	ok(contig && (pa0 & 0x7fff) == 0 && (pa0 >> 16) ==
	    ((pa0 + 8 * PAGE_SIZE - 1) >> 16) && zero_at(va, 8 * PAGE_SIZE),
	    "kmem_alloc_contig: contiguous, aligned, within the boundary, zero");
	kmem_free(va, 8 * PAGE_SIZE);
	ok(kmem_alloc_contig(PAGE_SIZE, M_NOWAIT, 0, ~0UL, 3 * PAGE_SIZE, 0,
	    0) == 0 && kmem_alloc_contig(2 * PAGE_SIZE, M_NOWAIT, 0, ~0UL,
	    PAGE_SIZE, PAGE_SIZE, 0) == 0, "kmem_alloc_contig: impossible "
	    "alignment/boundary return 0");

	va = kmem_malloc(2 * L2_SIZE, M_NOWAIT);
	pa0 = va != 0 ? pmap_kextract(va) : 1;
	ok(va != 0 && (va & L2_OFFSET) == 0 && (pa0 & L2_OFFSET) == 0 &&
	    pmap_kextract(va + L2_SIZE - PAGE_SIZE) == pa0 + L2_SIZE -
	    PAGE_SIZE, "kmem_malloc(4 MiB): superpage backed");
	stamp(va, 2 * L2_SIZE, 77);
	ok(stamped(va, 2 * L2_SIZE, 77), "superpage memory holds data");
	kmem_free(va, 2 * L2_SIZE);

	kmem_subinit(&sub, kernel_map, &min, &max, 256 * 1024, false);
	va = kmap_alloc_wait(&sub, 3 * PAGE_SIZE);
	ok(va >= min && va + 3 * PAGE_SIZE <= max && pmap_kextract(va) == 0,
	    "kmap_alloc_wait: pageable range, nothing backed");
	ok(zero_at(va, 3 * PAGE_SIZE) && pmap_kextract(va) != 0,
	    "demand-zero: first touch maps a zero page");
	vb = kmap_alloc_wait(&sub, 1UL << 20);
	ok(vb == 0, "kmap_alloc_wait: larger than the submap returns 0");
	kmap_free_wakeup(&sub, va, 3 * PAGE_SIZE);
	ok(pmap_kextract(va) == 0 && swap_reserved() == 0,
	    "kmap_free_wakeup: unmapped and uncharged");

	ok(zero_at((vm_offset_t)zero_region, ZERO_REGION_SIZE) &&
	    faults((vm_offset_t)zero_region, KMEM_ACC_WRITE),
	    "zero_region: zero and read only");
}

/* A random mix against a model of live allocations. */
#define NLIVE	256
struct live {
	vm_offset_t	va;
	vm_size_t	size;
	int		kind;		/* 0 malloc, 1 contig, 2 attr, 3 back */
	vm_offset_t	kva;		/* kind 3: the kva_alloc range */
};
static struct live live[NLIVE];

static u_int
test_random(int steps, int round)
{
	u_int free1;
	uint64_t tag;
	int i, k, bad, fails, ok_allocs, d;
	vm_size_t size;
	struct live *l;

	srand(7);
	bad = fails = ok_allocs = 0;
	for (i = 0; i < steps; i++) {
		l = &live[rand() % NLIVE];
		if (l->va != 0) {
			tag = (uint64_t)(l - live) * 0x9e3779b97f4a7c15ULL;
			if (!stamped(l->va, l->size, tag))
				bad++;
			if (l->kind == 3) {
				kmem_unback(kernel_object, l->va, l->size);
				kva_free(l->kva, l->size);
			} else
				kmem_free(l->va, l->size);
			l->va = 0;
			continue;
		}
		size = ptoa(1 + rand() % 24);
		k = rand() % 4;
		d = rand() % vm_ndomains;
		switch (k) {
		case 0:
			l->va = kmem_malloc_domainset(rand() % 2 ?
			    DOMAINSET_RR() : DOMAINSET_PREF(d), size,
			    M_NOWAIT | (rand() % 2 ? M_ZERO : 0));
			break;
		case 1:
			l->va = kmem_alloc_contig(size, M_NOWAIT, 0, ~0UL,
			    PAGE_SIZE << (rand() % 4), 0, VM_MEMATTR_DEFAULT);
			break;
		case 2:
			l->va = kmem_alloc_attr(size, M_NOWAIT, HOST_RAM_BASE,
			    HOST_RAM_BASE + (48UL << 20), VM_MEMATTR_DEFAULT);
			break;
		default:
			l->kva = kva_alloc(size);
			if (l->kva != 0 && kmem_back(kernel_object, l->kva, size,
			    M_NOWAIT) == KERN_SUCCESS)
				l->va = l->kva;
			else if (l->kva != 0)
				kva_free(l->kva, size);
			break;
		}
		if (l->va == 0) {
			fails++;
			continue;
		}
		ok_allocs++;
		l->size = size;
		l->kind = k;
		stamp(l->va, size, (uint64_t)(l - live) * 0x9e3779b97f4a7c15ULL);
	}
	for (l = live; l < live + NLIVE; l++) {
		if (l->va == 0)
			continue;
		tag = (uint64_t)(l - live) * 0x9e3779b97f4a7c15ULL;
		if (!stamped(l->va, l->size, tag))
			bad++;
		if (l->kind == 3) {
			kmem_unback(kernel_object, l->va, l->size);
			kva_free(l->kva, l->size);
		} else
			kmem_free(l->va, l->size);
		l->va = 0;
	}
	vm_page_cache_drain();
	vmem_drain_all();
	free1 = vm_free_count();
	ok(bad == 0, "random mix round %d: %d allocations (%d refused), every "
	    "stamp intact at free", round, ok_allocs, fails);
	return (free1);
}

/*
 * Every hart at once (pthreads; run under TSan too): kmem_malloc/free,
 * kmem_alloc_contig, kva_alloc + kmem_back, and kmap_alloc_wait on a
 * shared submap, each stamped with its owner and checked before its free.
 */
#define MT_HARTS	4
#define MT_SLOTS	16
#define MT_OPS		3000
static struct vm_map mt_map;
static atomic_ulong mt_bad, mt_ops;

static void
mt_worker(void *arg)
{
	struct live sl[MT_SLOTS];
	uint64_t rng, tag;
	u_int cpu = md_cpuid();
	struct live *l;
	vm_size_t size;
	int i, k;

	(void)arg;
	memset(sl, 0, sizeof(sl));
	rng = 0x9e3779b97f4a7c15ULL * (cpu + 1);
	for (i = 0; i < MT_OPS; i++) {
		rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
		l = &sl[rng % MT_SLOTS];
		tag = ((uint64_t)cpu << 48) ^ (uint64_t)(l - sl) ^ 0xabcdef;
		atomic_fetch_add(&mt_ops, 1);
		if (l->va != 0) {
			if (!stamped(l->va, l->size, tag))
				atomic_fetch_add(&mt_bad, 1);
			if (l->kind == 3) {
				kmem_unback(kernel_object, l->va, l->size);
				kva_free(l->kva, l->size);
			} else if (l->kind == 4)
				kmap_free_wakeup(&mt_map, l->va, l->size);
			else
				kmem_free(l->va, l->size);
			l->va = 0;
			continue;
		}
		size = ptoa(1 + (rng >> 20) % 6);
		k = (int)((rng >> 30) % 5);
		switch (k) {
		case 0:
			l->va = kmem_malloc_domainset(DOMAINSET_FT(), size,
			    M_NOWAIT);
			break;
		case 1:
			l->va = kmem_alloc_contig(size, M_NOWAIT, 0, ~0UL,
			    PAGE_SIZE, 0, VM_MEMATTR_DEFAULT);
			break;
		case 2:
			l->va = kmem_malloc(size, M_NOWAIT | M_ZERO);
			break;
		case 3:
			l->kva = kva_alloc(size);
			if (l->kva != 0 && kmem_back(kernel_object, l->kva, size,
			    M_NOWAIT) == KERN_SUCCESS)
				l->va = l->kva;
			else if (l->kva != 0)
				kva_free(l->kva, size);
			break;
		default:
			l->va = kmap_alloc_wait(&mt_map, size);
			break;
		}
		if (l->va == 0)
			continue;
		l->size = size;
		l->kind = k;
		stamp(l->va, size, tag);
	}
	for (l = sl; l < sl + MT_SLOTS; l++) {
		if (l->va == 0)
			continue;
		tag = ((uint64_t)cpu << 48) ^ (uint64_t)(l - sl) ^ 0xabcdef;
		if (!stamped(l->va, l->size, tag))
			atomic_fetch_add(&mt_bad, 1);
		if (l->kind == 3) {
			kmem_unback(kernel_object, l->va, l->size);
			kva_free(l->kva, l->size);
		} else if (l->kind == 4)
			kmap_free_wakeup(&mt_map, l->va, l->size);
		else
			kmem_free(l->va, l->size);
	}
}

/*
 * Pages that sit in another hart's cache: cpu 1 takes every free page of
 * domain 0 and frees a few back, which go into its own cache.  An
 * allocation on cpu 0 must get those pages rather than fail.
 */
#define HOARD_MAX	(1UL << 15)
#define HOARD_CACHED	8
static vm_page_t hoard[HOARD_MAX];
static u_long nhoard;

static void
hoard_domain0(void *arg)
{
	vm_page_t m;
	int i;

	(void)arg;
	while (nhoard < HOARD_MAX && (m = vm_page_alloc_noobj_domain(0,
	    VM_ALLOC_NOWAIT)) != NULL)
		hoard[nhoard++] = m;
	for (i = 0; i < HOARD_CACHED && nhoard > 0; i++)
		vm_page_free(hoard[--nhoard]);
}

static void
test_remote_cache(void)
{
	vm_page_t got[HOARD_CACHED];
	u_int before;
	bool all, distinct;
	int i, j;

	(void)vm_page_cache_drain();
	before = vm_domain_free_count(0);
	ok(kmem_smp_run(1, hoard_domain0, NULL) == 0, "cpu 1 hoards domain 0");
	kmem_smp_wait(1);
	ok(nhoard < HOARD_MAX && nhoard + HOARD_CACHED == before &&
	    vm_domain_free_count(0) == HOARD_CACHED,
	    "cpu 1 holds %lu of %u pages; %u free, all in its cache", nhoard,
	    before, vm_domain_free_count(0));
	got[0] = vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_NOWAIT, 1, 0,
	    ~(vm_paddr_t)0, PAGE_SIZE, 0, VM_MEMATTR_DEFAULT);
	ok(got[0] != NULL, "a contiguous page on cpu 0 comes from cpu 1's "
	    "cache");
	all = got[0] != NULL;
	for (i = 1; i < HOARD_CACHED; i++) {
		got[i] = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT);
		all &= got[i] != NULL;
	}
	distinct = true;
	for (i = 0; i < HOARD_CACHED; i++)
		for (j = 0; j < i; j++)
			distinct &= got[i] != got[j];
	ok(all && distinct, "cpu 0 got all %d pages cached on cpu 1",
	    HOARD_CACHED);
	ok(vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT) == NULL &&
	    vm_domain_free_count(0) == 0, "then domain 0 is empty");
	for (i = 0; i < HOARD_CACHED; i++)
		if (got[i] != NULL)
			vm_page_free(got[i]);
	while (nhoard > 0)
		vm_page_free(hoard[--nhoard]);
	(void)vm_page_cache_drain();
	ok(vm_domain_free_count(0) == before, "everything back: %u free",
	    vm_domain_free_count(0));
}

static void
test_threads(void)
{
	vm_offset_t min, max;
	u_int n;

	kmem_subinit(&mt_map, kernel_map, &min, &max, 4UL << 20, false);
	n = host_smp_start(MT_HARTS);
	ok(n == MT_HARTS && kmem_smp_run_all(mt_worker, NULL) == 0,
	    "%u harts ran the mix at once", n);
	ok(atomic_load(&mt_bad) == 0 && swap_reserved() == 0,
	    "%lu concurrent operations: every stamp intact, commit back to 0",
	    atomic_load(&mt_ops));
	test_remote_cache();
	host_smp_stop();
}

int
main(int argc, char **argv)
{
	int nd = argc > 1 ? atoi(argv[1]) : 2;

	u_int f1, f2, f3;

	boot(nd);
	if (argc > 2 && strcmp(argv[2], "threads") == 0) {
		/* The ThreadSanitizer tree runs only the concurrent part. */
		test_threads();
		return (tap_done());
	}
	test_api();
	/*
	 * Round 1 may leave page-table pages and tag pages behind (kept by
	 * design); the same mix again must end at exactly the same count.
	 */
	f1 = test_random(20000, 1);
	f2 = test_random(20000, 2);
	f3 = test_random(20000, 3);
	ok(f2 == f3 && f2 <= f1 && f1 - f2 < 64, "random mix: rounds 2 and 3 "
	    "end with the same free pages (%u, %u; round 1 %u): nothing leaks",
	    f2, f3, f1);
	test_threads();
	return (tap_done());
}
