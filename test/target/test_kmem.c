/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every function of the kmem API (the seed's vm_kern.c) on a booted
 * machine, checked page by page through the page tables.  Also built out
 * of tree by the SDK test with nothing but <kmem.h> and pkg-config.
 */
#include <string.h>

#include <kmem.h>
#include "tap.h"

static bool
range_in_kva(vm_offset_t va, vm_size_t size)
{

	return (va >= VM_MIN_KERNEL_ADDRESS && va + size <= VM_MAX_KERNEL_ADDRESS &&
	    (va & PAGE_MASK) == 0);
}

/* Every page mapped, in domain d (-1: any), PA in [low, high). */
static bool
pages_ok(vm_offset_t va, vm_size_t size, int d, vm_paddr_t low,
    vm_paddr_t high)
{
	vm_offset_t o;
	vm_paddr_t pa;

	for (o = 0; o < size; o += PAGE_SIZE) {
		pa = pmap_kextract(va + o);
		if (pa == 0 || pa < low || pa >= high)
			return (false);
		if (d >= 0 && vm_phys_domain(pa) != d)
			return (false);
	}
	return (true);
}

static bool
all_zero(vm_offset_t va, vm_size_t size)
{
	const uint64_t *p = (const uint64_t *)va;
	size_t i;

	for (i = 0; i < size / 8; i++)
		if (p[i] != 0)
			return (false);
	return (true);
}

static void
fill(vm_offset_t va, vm_size_t size, uint64_t seed)
{
	uint64_t *p = (uint64_t *)va;
	size_t i;

	for (i = 0; i < size / 8; i++)
		p[i] = seed ^ (i * 0x9e3779b97f4a7c15ULL);
}

static bool
check(vm_offset_t va, vm_size_t size, uint64_t seed)
{
	const uint64_t *p = (const uint64_t *)va;
	size_t i;

	for (i = 0; i < size / 8; i++)
		if (p[i] != (seed ^ (i * 0x9e3779b97f4a7c15ULL)))
			return (false);
	return (true);
}

static bool
faults(vm_offset_t va, int access)
{
	struct kmem_fault_catch fc;
	volatile uint8_t *p = (volatile uint8_t *)va;

	if (KMEM_FAULT_TRY(&fc)) {
		if (access == KMEM_ACC_WRITE)
			*p = 1;
		else
			(void)*p;
		kmem_fault_disarm();
		return (false);
	}
	return (fc.kf_va == va && fc.kf_access == access);
}

static void
test_kva(void)
{
	vm_offset_t va, vb;

	va = kva_alloc(3 * PAGE_SIZE + 1);
	ok(va != 0 && range_in_kva(va, 4 * PAGE_SIZE),
	    "kva_alloc: 4 pages of KVA at 0x%lx", va);
	ok(pmap_kextract(va) == 0 && pmap_kextract(va + 3 * PAGE_SIZE) == 0,
	    "kva_alloc: nothing is mapped");
	ok(faults(va + PAGE_SIZE, KMEM_ACC_READ),
	    "kva_alloc: a touch faults (KVA not backed)");
	vb = kva_alloc(PAGE_SIZE);
	ok(vb != 0 && (vb + PAGE_SIZE <= va || vb >= va + 4 * PAGE_SIZE),
	    "kva_alloc: a second range does not overlap the first");
	kva_free(va, 3 * PAGE_SIZE + 1);
	kva_free(vb, PAGE_SIZE);
	ok(kva_alloc(0) == 0 && kva_alloc(~0UL) == 0 &&
	    kva_alloc(~0UL - PAGE_SIZE + 2) == 0,
	    "kva_alloc: size 0 and sizes that overflow return 0");
}

static void
test_malloc(void)
{
	vm_offset_t va, vb;
	int d;

	va = kmem_malloc(5 * PAGE_SIZE, M_WAITOK | M_ZERO);
	ok(va != 0 && range_in_kva(va, 5 * PAGE_SIZE) &&
	    pages_ok(va, 5 * PAGE_SIZE, -1, 0, ~0UL),
	    "kmem_malloc: 5 pages mapped at 0x%lx", va);
	ok(va != 0 && all_zero(va, 5 * PAGE_SIZE), "kmem_malloc: M_ZERO "
	    "memory reads as zero");
	if (va != 0) {
		fill(va, 5 * PAGE_SIZE, 1);
		ok(check(va, 5 * PAGE_SIZE, 1), "kmem_malloc: memory holds "
		    "what was written");
		kmem_free(va, 5 * PAGE_SIZE);
		ok(pmap_kextract(va) == 0 && pmap_kextract(va + 4 *
		    PAGE_SIZE) == 0, "kmem_free: the range is unmapped");
	}
	ok(kmem_malloc(0, M_WAITOK) == 0 && kmem_malloc(~0UL, M_NOWAIT) == 0,
	    "kmem_malloc: size 0 and overflowing sizes return 0");
	ok(kmem_malloc(PAGE_SIZE, 0) == 0 &&
	    kmem_malloc(PAGE_SIZE, M_WAITOK | M_NOWAIT) == 0,
	    "kmem_malloc: flags without exactly one of M_NOWAIT/M_WAITOK "
	    "return 0");
	for (d = 0; d < vm_ndomains; d++) {
		va = kmem_malloc_domainset(DOMAINSET_PREF(d), 8 * PAGE_SIZE,
		    M_NOWAIT);
		ok(va != 0 && pages_ok(va, 8 * PAGE_SIZE, d, 0, ~0UL),
		    "kmem_malloc_domainset(PREF(%d)): every page in domain %d",
		    d, d);
		if (va != 0)
			kmem_free(va, 8 * PAGE_SIZE);
	}
	/* M_ZERO after dirty reuse. */
	va = kmem_malloc(2 * PAGE_SIZE, M_WAITOK);
	if (va != 0) {
		fill(va, 2 * PAGE_SIZE, 7);
		kmem_free(va, 2 * PAGE_SIZE);
	}
	vb = kmem_malloc(2 * PAGE_SIZE, M_WAITOK | M_ZERO);
	ok(vb != 0 && all_zero(vb, 2 * PAGE_SIZE),
	    "kmem_malloc: M_ZERO after the pages were dirtied and freed");
	if (vb != 0)
		kmem_free(vb, 2 * PAGE_SIZE);
}

/* 2 MiB-aligned allocations are backed by superpages when memory allows. */
static void
test_superpage(void)
{
	vm_offset_t va, o;
	vm_paddr_t pa;
	bool sp;

	va = kmem_malloc(2 * L2_SIZE, M_NOWAIT | M_ZERO);
	sp = va != 0 && (va & L2_OFFSET) == 0;
	for (o = 0; sp && o < 2 * L2_SIZE; o += L2_SIZE) {
		pa = pmap_kextract(va + o);
		sp = (pa & L2_OFFSET) == 0 && pmap_kextract(va + o + L2_SIZE -
		    PAGE_SIZE) == pa + L2_SIZE - PAGE_SIZE;
	}
	ok(sp, "kmem_malloc(4 MiB): 2 MiB-aligned KVA, each half one aligned "
	    "physical 2 MiB run (superpages)");
	if (va == 0)
		return;
	ok(all_zero(va, 2 * L2_SIZE), "kmem_malloc(4 MiB, M_ZERO) is zero");
	fill(va, 2 * L2_SIZE, 5);
	ok(check(va, 2 * L2_SIZE, 5), "superpage memory holds data");
	kmem_free(va, 2 * L2_SIZE);
	ok(pmap_kextract(va) == 0 && pmap_kextract(va + L2_SIZE + 5 *
	    PAGE_SIZE) == 0, "kmem_free unmaps the superpages");
}

static void
test_free_checks(void)
{
	struct kmem_panic_catch pc;
	vm_offset_t va;

	va = kmem_malloc(4 * PAGE_SIZE, M_WAITOK);
	if (KMEM_PANIC_TRY(&pc)) {
		kmem_free(va, 2 * PAGE_SIZE);
		kmem_panic_disarm();
		ok(0, "kmem_free with a smaller size did not panic");
	} else
		ok(strstr(pc.kp_msg, "kmem_free") != NULL,
		    "kmem_free with the wrong size panics: %s", pc.kp_msg);
	ok(pages_ok(va, 4 * PAGE_SIZE, -1, 0, ~0UL),
	    "the refused kmem_free changed nothing");
	if (KMEM_PANIC_TRY(&pc)) {
		kmem_free(va + PAGE_SIZE, 3 * PAGE_SIZE);
		kmem_panic_disarm();
		ok(0, "kmem_free of an inner address did not panic");
	} else
		ok(strstr(pc.kp_msg, "kmem_free") != NULL,
		    "kmem_free of an address inside an allocation panics");
	kmem_free(va, 4 * PAGE_SIZE);
	if (KMEM_PANIC_TRY(&pc)) {
		kmem_free(va, 4 * PAGE_SIZE);
		kmem_panic_disarm();
		ok(0, "double kmem_free did not panic");
	} else
		ok(strstr(pc.kp_msg, "kmem_free") != NULL &&
		    strstr(pc.kp_msg, "not backed") != NULL,
		    "a second kmem_free of the range panics: %s", pc.kp_msg);
}

static void
test_attr_contig(void)
{
	vm_paddr_t low, high, pa0, pa;
	vm_offset_t va, i;
	bool contig;

	low = physmem.managed[0].start;
	high = low + (32UL << 20);
	va = kmem_alloc_attr(6 * PAGE_SIZE, M_WAITOK | M_ZERO, low, high,
	    VM_MEMATTR_DEFAULT);
	ok(va != 0 && pages_ok(va, 6 * PAGE_SIZE, -1, low, high) &&
	    all_zero(va, 6 * PAGE_SIZE),
	    "kmem_alloc_attr: zeroed pages within [0x%lx, 0x%lx)", (u_long)low,
	    (u_long)high);
	if (va != 0)
		kmem_free(va, 6 * PAGE_SIZE);
	ok(kmem_alloc_attr(PAGE_SIZE, M_NOWAIT, high, low,
	    VM_MEMATTR_DEFAULT) == 0, "kmem_alloc_attr: low >= high returns 0");
	ok(kmem_alloc_attr(PAGE_SIZE, M_NOWAIT, 0x1000, 0x2000,
	    VM_MEMATTR_DEFAULT) == 0,
	    "kmem_alloc_attr: a range without memory returns 0");

	va = kmem_alloc_contig(16 * PAGE_SIZE, M_WAITOK | M_ZERO, 0, ~0UL,
	    64 * 1024, 128 * 1024, VM_MEMATTR_DEFAULT);
	contig = va != 0;
	pa0 = va != 0 ? pmap_kextract(va) : 0;
	for (i = 0; contig && i < 16; i++)
		contig = pmap_kextract(va + ptoa(i)) == pa0 + ptoa(i);
	ok(contig && (pa0 & 0xffff) == 0 && pa0 / 0x20000 ==
	    (pa0 + 16 * PAGE_SIZE - 1) / 0x20000 && all_zero(va, 16 * PAGE_SIZE),
	    "kmem_alloc_contig: 64 KiB contiguous at pa 0x%lx, 64 KiB aligned, "
	    "inside a 128 KiB boundary, zeroed", (u_long)pa0);
	if (va != 0) {
		fill(va, 16 * PAGE_SIZE, 3);
		ok(check(va, 16 * PAGE_SIZE, 3), "kmem_alloc_contig: memory "
		    "holds what was written");
		kmem_free(va, 16 * PAGE_SIZE);
	}
	va = kmem_alloc_contig(2 * L2_SIZE, M_NOWAIT, 0, ~0UL, L2_SIZE, 0,
	    VM_MEMATTR_DEFAULT);
	pa = va != 0 ? pmap_kextract(va) : 1;
	ok(va != 0 && (pa & L2_OFFSET) == 0 && pmap_kextract(va + 2 * L2_SIZE -
	    PAGE_SIZE) == pa + 2 * L2_SIZE - PAGE_SIZE,
	    "kmem_alloc_contig: 4 MiB, 2 MiB aligned");
	if (va != 0)
		kmem_free(va, 2 * L2_SIZE);
	ok(kmem_alloc_contig(PAGE_SIZE, M_NOWAIT, 0, ~0UL, 3 * PAGE_SIZE, 0,
	    VM_MEMATTR_DEFAULT) == 0, "kmem_alloc_contig: alignment not a "
	    "power of two returns 0");
	ok(kmem_alloc_contig(4 * PAGE_SIZE, M_NOWAIT, 0, ~0UL, PAGE_SIZE,
	    2 * PAGE_SIZE, VM_MEMATTR_DEFAULT) == 0, "kmem_alloc_contig: "
	    "boundary smaller than the size returns 0");
	ok(kmem_alloc_contig(PAGE_SIZE, M_NOWAIT, 0, ~0UL, PAGE_SIZE,
	    3 * PAGE_SIZE, VM_MEMATTR_DEFAULT) == 0, "kmem_alloc_contig: "
	    "boundary not a power of two returns 0");
	va = kmem_alloc_contig(PAGE_SIZE, M_NOWAIT, 0, ~0UL, PAGE_SIZE, 0,
	    VM_MEMATTR_UNCACHEABLE);
	ok(va != 0, "kmem_alloc_contig: an uncacheable page");
	if (va != 0) {
		*(volatile uint32_t *)va = 0x12345678;
		ok(*(volatile uint32_t *)va == 0x12345678,
		    "kmem_alloc_contig: uncacheable memory reads back");
		kmem_free(va, PAGE_SIZE);
	}
}

typedef long (*fn_t)(void);

static void
test_exec(void)
{
	vm_offset_t va;
	uint32_t *code;
	long r;

	va = kmem_malloc(PAGE_SIZE, M_WAITOK | M_EXEC);
	ok(va != 0, "kmem_malloc(M_EXEC) at 0x%lx", va);
	if (va == 0)
		return;
	code = (uint32_t *)va;
	code[0] = 0x02a00513;		/* li a0, 42 */
	code[1] = 0x00008067;		/* ret */
	__asm__ volatile("fence.i" ::: "memory");
	r = ((fn_t)va)();
	ok(r == 42, "M_EXEC memory runs code (returned %ld)", r);
	kmem_free(va, PAGE_SIZE);
	va = kmem_malloc(PAGE_SIZE, M_WAITOK);
	ok(va != 0 && faults(va, KMEM_ACC_READ) == false,
	    "ordinary kmem_malloc memory is readable");
	if (va != 0)
		kmem_free(va, PAGE_SIZE);
}

static void
test_back(void)
{
	vm_offset_t kva, va, o;
	vm_size_t size;
	bool ok_dom;
	int d, want, n;

	size = 2 * KVA_QUANTUM;
	kva = kva_alloc(size + KVA_QUANTUM);
	if (kva == 0) {
		ok(0, "kva_alloc for kmem_back");
		return;
	}
	va = roundup2(kva, KVA_QUANTUM);
	ok(kmem_back(kernel_object, va, size, M_WAITOK | M_ZERO) ==
	    KERN_SUCCESS, "kmem_back: 4 MiB backed");
	ok_dom = true;
	for (o = 0; o < size; o += PAGE_SIZE) {
		want = (int)(((va + o) >> KVA_QUANTUM_SHIFT) %
		    (vm_offset_t)vm_ndomains);
		for (n = 0; VM_DOMAIN_EMPTY(want) && n < vm_ndomains; n++)
			want = (want + 1) % vm_ndomains;
		if (vm_phys_domain(pmap_kextract(va + o)) != want)
			ok_dom = false;
	}
	ok(ok_dom, "kmem_back: each KVA quantum backed from the domain its "
	    "address selects");
	ok(all_zero(va, size), "kmem_back: M_ZERO pages are zero");
	kmem_unback(kernel_object, va, size);
	ok(pmap_kextract(va) == 0 && pmap_kextract(va + size - PAGE_SIZE) == 0,
	    "kmem_unback: unmapped");
	for (d = 0; d < vm_ndomains; d++) {
		ok(kmem_back_domain(d, kernel_object, va, 4 * PAGE_SIZE,
		    M_NOWAIT) == KERN_SUCCESS && pages_ok(va, 4 * PAGE_SIZE, d,
		    0, ~0UL), "kmem_back_domain(%d): pages of domain %d", d, d);
		kmem_unback(kernel_object, va, 4 * PAGE_SIZE);
	}
	ok(kmem_back_domain(vm_ndomains, kernel_object, va, PAGE_SIZE,
	    M_NOWAIT) == KERN_INVALID_ARGUMENT, "kmem_back_domain: an invalid "
	    "domain is refused");
	kva_free(kva, size + KVA_QUANTUM);
}

static struct vm_map my_map;

static void
test_submap(void)
{
	vm_offset_t min, max, a, b, c;
	vm_size_t used0;

	kmem_subinit(&my_map, kernel_map, &min, &max, 1UL << 20, true);
	ok(max - min == 1UL << 20 && (min & L2_OFFSET) == 0 &&
	    range_in_kva(min, max - min), "kmem_subinit: 1 MiB submap at "
	    "0x%lx, superpage aligned", min);
	used0 = swap_reserved();
	a = kmap_alloc_wait(&my_map, 3 * PAGE_SIZE);
	ok(a >= min && a + 3 * PAGE_SIZE <= max && swap_reserved() ==
	    used0 + 3 * PAGE_SIZE, "kmap_alloc_wait: 3 pages in the submap, "
	    "charged");
	ok(pmap_kextract(a) == 0, "kmap_alloc_wait: nothing backed yet");
	ok(all_zero(a, 3 * PAGE_SIZE), "demand-zero: first touch reads zero");
	ok(pmap_kextract(a) != 0 && pmap_kextract(a + 2 * PAGE_SIZE) != 0,
	    "demand-zero: touched pages are now backed");
	fill(a, 3 * PAGE_SIZE, 9);
	ok(check(a, 3 * PAGE_SIZE, 9), "demand-zero pages hold data");
	b = kmap_alloc_wait(&my_map, (1UL << 20) - 3 * PAGE_SIZE);
	ok(b != 0, "kmap_alloc_wait: the rest of the submap");
	c = kmap_alloc_wait(&my_map, 2UL << 20);
	ok(c == 0, "kmap_alloc_wait: a request larger than the submap returns "
	    "0 at once");
	kmap_free_wakeup(&my_map, a, 3 * PAGE_SIZE);
	ok(pmap_kextract(a) == 0 && swap_reserved() == used0 +
	    (1UL << 20) - 3 * PAGE_SIZE, "kmap_free_wakeup: unmapped, charge "
	    "returned");
	kmap_free_wakeup(&my_map, b, (1UL << 20) - 3 * PAGE_SIZE);
	ok(swap_reserved() == used0, "all charges returned");
	a = kmap_alloc_wait(exec_map, PAGE_SIZE);
	ok(a >= vm_map_min(exec_map) && a < vm_map_max(exec_map),
	    "exec_map: kmap_alloc_wait works");
	kmap_free_wakeup(exec_map, a, PAGE_SIZE);
	ok(vm_map_max(pipe_map) - vm_map_min(pipe_map) > 0,
	    "pipe_map exists");
}

static void
test_zero_region(void)
{
	vm_offset_t z = (vm_offset_t)zero_region;
	vm_paddr_t pa0;
	vm_size_t o;
	bool same = true;

	pa0 = pmap_kextract(z);
	for (o = 0; o < ZERO_REGION_SIZE; o += PAGE_SIZE)
		if (pmap_kextract(z + o) != pa0)
			same = false;
	ok(z != 0 && same && pa0 != 0, "zero_region: %lu KiB, every page the "
	    "same physical page", ZERO_REGION_SIZE >> 10);
	ok(all_zero(z, ZERO_REGION_SIZE), "zero_region reads as zero");
	ok(faults(z + PAGE_SIZE, KMEM_ACC_WRITE), "zero_region is read only");
}

static void
test_stats(void)
{
	struct kmem_stats st;

	kmem_stats(&st);
	ok(st.min_kernel_address == VM_MIN_KERNEL_ADDRESS &&
	    st.max_kernel_address == VM_MAX_KERNEL_ADDRESS &&
	    st.maxuser_address == vm_maxuser_address &&
	    st.ndomains == vm_ndomains && st.free_pages == vm_free_count(),
	    "kmem_stats: the seed's read-only figures");
}

static void
test_bootstrap_free(void)
{
	u_int before;
	int i;

	for (i = 0; i < physmem.nearly; i++)
		if (strcmp(physmem.early[i].what, "FDT blob") == 0)
			break;
	/* kmem_startup adopts the FDT blob whenever it sits alone in RAM. */
	if (!ok(i < physmem.nearly, "the FDT blob was adopted as boot memory"))
		return;
	before = vm_free_count();
	kmem_bootstrap_free(PHYS_TO_DMAP(physmem.early[i].start),
	    physmem.early[i].end - physmem.early[i].start);
	ok(vm_free_count() == before + atop(physmem.early[i].end -
	    physmem.early[i].start), "kmem_bootstrap_free: the FDT copy's %lu "
	    "pages went to the page allocator", (u_long)atop(
	    physmem.early[i].end - physmem.early[i].start));
}

#define NROUND	512
static vm_offset_t live[NROUND];

static void
test_exhaustion(void)
{
	u_int free0[3];
	vm_size_t ar0[3];
	int got[3], r, n;
	struct kmem_stats st;

	for (r = 0; r < 3; r++) {
		for (n = 0; n < NROUND; n++) {
			live[n] = kmem_malloc(1UL << 20, M_NOWAIT |
			    M_NORECLAIM);
			if (live[n] == 0)
				break;
		}
		got[r] = n;
		while (n-- > 0)
			kmem_free(live[n], 1UL << 20);
		vm_page_cache_drain();
		kmem_stats(&st);
		free0[r] = vm_free_count();
		ar0[r] = st.kernel_arena_alloc;
	}
	ok(got[0] > 0 && got[1] >= got[0] && got[2] >= got[1],
	    "exhaustion: %d, %d, %d 1 MiB allocations per round (never "
	    "shrinks)", got[0], got[1], got[2]);
	ok(free0[1] == free0[2] && ar0[1] == ar0[2],
	    "exhaustion: rounds 2 and 3 end with the same free pages (%u) and "
	    "arena size (%lu)", free0[2], (u_long)ar0[2]);
}

int
main(void)
{

	diag("kmem on %d domain(s), %u free pages", vm_ndomains,
	    vm_free_count());
	test_kva();
	test_malloc();
	test_superpage();
	test_free_checks();
	test_attr_contig();
	test_exec();
	test_back();
	test_submap();
	test_zero_region();
	test_stats();
	test_bootstrap_free();
	test_exhaustion();
	return (tap_done());
}
