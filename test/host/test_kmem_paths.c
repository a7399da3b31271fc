/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kmem calls' less travelled paths, on the host twin, on a machine of
 * two domains: calls before
 * kmem_startup and from an interrupt handler, arguments the contracts
 * refuse, domain sets with no domain, kmem_back by the domain its KVA
 * selects, a WAITFAIL page allocation retried, superpages and page-table
 * pages that cannot be had (every page given back), partial unbacking of
 * a superpage, kmap_alloc_wait past the commit limit or without a map
 * entry, frees of ranges that are no allocation, allocations that find
 * their page only in kmem_free's batch, and frees while a hart waits.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "tap.h"
#include "child.h"
#include "expect_panic.h"
#include "kmem_account.h"

#define MIB	(1UL << 20)

static struct fdt_machine M;

static void
boot(void)
{
	struct host_machine_cfg cfg = {
		.ndomains = 2, .mem_per_domain = 32 * MIB, .ncpus = 2,
	};
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };
	struct kmem_stats st;

	host_machine_init(&cfg, &M);
	host_thread_register();
	kmem_stats(&st);
	ok(st.kernel_arena_alloc == 0 && st.domain_arena_free[0] == 0 &&
	    st.commit_used == 0, "kmem_stats before kmem_startup: no arena, "
	    "nothing charged");
	EXPECT_PANIC((void)kmem_alloc_attr(PAGE_SIZE, M_NOWAIT, 0, ~0UL,
	    VM_MEMATTR_DEFAULT), "kmem_alloc_attr", "before kmem_startup",
	    "kmem_alloc_attr before kmem_startup");
	EXPECT_PANIC((void)kmem_alloc_contig(PAGE_SIZE, M_NOWAIT, 0, ~0UL,
	    PAGE_SIZE, 0, VM_MEMATTR_DEFAULT), "kmem_alloc_contig",
	    "before kmem_startup", "kmem_alloc_contig before kmem_startup");
	ok(kmem_startup(&bi) == 0 && vm_ndomains == 2, "kmem boots on two "
	    "domains");
}

static void
refused(void)
{
	vm_paddr_t hi = ~(vm_paddr_t)0;

	kmem_intr_enter();
	EXPECT_PANIC((void)kmem_alloc_attr(PAGE_SIZE, M_WAITOK, 0, hi,
	    VM_MEMATTR_DEFAULT), "kmem_alloc_attr", "may sleep",
	    "M_WAITOK kmem_alloc_attr in an interrupt handler");
	kmem_intr_exit();
	ok(kmem_alloc_attr(0, M_NOWAIT, 0, hi, VM_MEMATTR_DEFAULT) == 0 &&
	    kmem_alloc_attr(PAGE_SIZE, M_NOWAIT | M_WAITOK, 0, hi,
	    VM_MEMATTR_DEFAULT) == 0 && kmem_alloc_attr(PAGE_SIZE, M_NOWAIT,
	    hi, 0, VM_MEMATTR_DEFAULT) == 0, "kmem_alloc_attr of 0 bytes, "
	    "with M_NOWAIT | M_WAITOK or with low >= high: 0");
	ok(kmem_alloc_contig(0, M_NOWAIT, 0, hi, PAGE_SIZE, 0,
	    VM_MEMATTR_DEFAULT) == 0 && kmem_alloc_contig(PAGE_SIZE,
	    M_NOWAIT | M_WAITOK, 0, hi, PAGE_SIZE, 0, VM_MEMATTR_DEFAULT) ==
	    0 && kmem_alloc_contig(PAGE_SIZE, M_NOWAIT, 0, hi, 3 * PAGE_SIZE,
	    0, VM_MEMATTR_DEFAULT) == 0 && kmem_alloc_contig(4 * PAGE_SIZE,
	    M_NOWAIT, 0, hi, PAGE_SIZE, 2 * PAGE_SIZE, VM_MEMATTR_DEFAULT) ==
	    0 && kmem_alloc_contig(PAGE_SIZE, M_NOWAIT, 0, hi, PAGE_SIZE,
	    3 * PAGE_SIZE, VM_MEMATTR_DEFAULT) == 0, "kmem_alloc_contig of 0 "
	    "bytes, with bad flags, an alignment or a boundary not a power "
	    "of two, or a boundary smaller than the size: 0");
	ok(kmem_alloc_attr_domainset(DOMAINSET_FIXED(2), PAGE_SIZE, M_NOWAIT,
	    0, hi, VM_MEMATTR_DEFAULT) == 0 &&
	    kmem_alloc_contig_domainset(DOMAINSET_FIXED(2), PAGE_SIZE,
	    M_NOWAIT, 0, hi, PAGE_SIZE, 0, VM_MEMATTR_DEFAULT) == 0,
	    "kmem_alloc_attr and kmem_alloc_contig from a domain the machine "
	    "does not have (M_NOWAIT): 0");
}

static void
contig_default_alignment(void)
{
	vm_offset_t va;

	va = kmem_alloc_contig(3 * PAGE_SIZE, M_NOWAIT, 0, ~(vm_paddr_t)0, 0,
	    0, VM_MEMATTR_DEFAULT);
	ok(va != 0 && pmap_kextract(va + 2 * PAGE_SIZE) == pmap_kextract(va) +
	    2 * PAGE_SIZE, "kmem_alloc_contig with alignment 0 (a page): "
	    "three contiguous pages");
	kmem_free(va, 3 * PAGE_SIZE);
}

static void
back_paths(void)
{
	vm_offset_t va, q;
	vm_size_t big = 16 * KVA_QUANTUM;
	u_long base;
	int rv, n, i;

	va = kva_alloc(big);
	ok(kmem_back_domain(-1, kernel_object, va, PAGE_SIZE, M_NOWAIT) ==
	    KERN_INVALID_ARGUMENT && kmem_back_domain(0, kernel_object, va,
	    PAGE_SIZE + 8, M_NOWAIT) == KERN_INVALID_ARGUMENT &&
	    kmem_back_domain(0, kernel_object, VM_MIN_KERNEL_ADDRESS -
	    PAGE_SIZE, PAGE_SIZE, M_NOWAIT) == KERN_INVALID_ARGUMENT &&
	    kmem_back_domain(0, kernel_object, VM_MAX_KERNEL_ADDRESS -
	    PAGE_SIZE, 2 * PAGE_SIZE, M_NOWAIT) == KERN_INVALID_ARGUMENT &&
	    kmem_back_domain(0, kernel_object, va, -va, M_NOWAIT) ==
	    KERN_INVALID_ARGUMENT && kmem_back_domain(0, NULL, va, PAGE_SIZE,
	    M_NOWAIT) == KERN_INVALID_ARGUMENT &&
	    kmem_back(kernel_object, -L2_SIZE + PAGE_SIZE, PAGE_SIZE,
	    M_NOWAIT) == KERN_INVALID_ARGUMENT, "kmem_back_domain with domain "
	    "-1, a size not page aligned, a range below or past the KVA or "
	    "that wraps, another object, and kmem_back at the top of the address space: "
	    "KERN_INVALID_ARGUMENT");

	/* A quantum whose address selects domain 1. */
	q = roundup2(va, KVA_QUANTUM);
	if (((q >> KVA_QUANTUM_SHIFT) & 1) == 0)
		q += KVA_QUANTUM;
	rv = kmem_back(kernel_object, q + PAGE_SIZE, 2 * PAGE_SIZE, M_NOWAIT);
	ok(rv == KERN_SUCCESS && vm_phys_domain(pmap_kextract(q +
	    PAGE_SIZE)) == 1 && vm_phys_domain(pmap_kextract(q + 2 *
	    PAGE_SIZE)) == 1, "kmem_back in domain 1's KVA quantum takes "
	    "domain 1's pages (%d)", rv);
	kmem_unback(kernel_object, q + PAGE_SIZE, 2 * PAGE_SIZE);

	/* M_WAITOK: a refused page is a WAITFAIL retried. */
	(void)vm_page_fail_after(0, false);
	rv = kmem_back(kernel_object, q + PAGE_SIZE, 2 * PAGE_SIZE, M_WAITOK);
	(void)vm_page_fail_after(-1, false);
	ok(rv == KERN_SUCCESS && pmap_kextract(q + PAGE_SIZE) != 0 &&
	    pmap_kextract(q + 2 * PAGE_SIZE) != 0, "kmem_back M_WAITOK whose "
	    "first page is refused retries and backs both (%d)", rv);
	kmem_unback(kernel_object, q + PAGE_SIZE, 2 * PAGE_SIZE);

	/* A superpage unbacked in two parts. */
	q = roundup2(va, L2_SIZE);
	rv = kmem_back_domain(0, kernel_object, q, L2_SIZE, M_WAITOK);
	ok(rv == KERN_SUCCESS && pmap_kextract(q + L2_SIZE - PAGE_SIZE) ==
	    pmap_kextract(q) + L2_SIZE - PAGE_SIZE, "kmem_back_domain of 2 "
	    "MiB: one physically contiguous run");
	base = vm_free_count();
	kmem_unback(kernel_object, q, PAGE_SIZE);
	ok(pmap_kextract(q) == 0 && pmap_kextract(q + PAGE_SIZE) != 0 &&
	    vm_free_count() >= base + 1, "kmem_unback of its first page "
	    "frees that page only");
	kmem_unback(kernel_object, q + PAGE_SIZE, L2_SIZE - PAGE_SIZE);
	ok(pmap_kextract(q + L2_SIZE - PAGE_SIZE) == 0, "... then the rest");

	/* With every page-table page refused, a superpage cannot be
	   promised a spare: kmem_back_domain fails and gives back all.  The
	   superpages that could be promised one stay until then. */
	base = kmem_accounted();
	q = roundup2(va, L2_SIZE);
	for (n = 0, i = 0; q + L2_SIZE <= va + big && n == 0; i++) {
		(void)vm_page_fail_after(1, true);
		rv = kmem_back_domain(0, kernel_object, q, L2_SIZE, M_NOWAIT);
		(void)vm_page_fail_after(-1, false);
		if (rv == KERN_SUCCESS)
			q += L2_SIZE;
		else
			n++;
	}
	ok(n == 1 && pmap_kextract(q) == 0, "kmem_back_domain of a "
	    "superpage whose page-table page is refused: KERN_NO_SPACE, "
	    "nothing mapped (after %d that fit)", i - 1);
	if (q > roundup2(va, L2_SIZE))
		kmem_unback(kernel_object, roundup2(va, L2_SIZE), q -
		    roundup2(va, L2_SIZE));
	ok(kmem_accounted() == base, "... and every page is back");
	kva_free(va, big);
}

/* One-page kmem_malloc with every page-table page refused after its data
   page: the mapping fails, the page and the KVA go back. */
static void
malloc_page_unmapped(void)
{
	static vm_offset_t held[2048];
	struct pmap_counts pc0, pc;
	u_long base;
	int i, n, failed;

	base = kmem_accounted();
	pmap_get_counts(kernel_pmap, &pc0);
	failed = n = 0;
	pc = pc0;
	for (i = 0; i < 2048 && pc.ptalloc_fail == pc0.ptalloc_fail; i++) {
		(void)vm_page_fail_after(1, true);
		held[n] = kmem_malloc(PAGE_SIZE, M_NOWAIT | M_NORECLAIM);
		(void)vm_page_fail_after(-1, false);
		if (held[n] != 0)
			n++;
		else
			failed++;
		pmap_get_counts(kernel_pmap, &pc);
	}
	pmap_get_counts(kernel_pmap, &pc);
	for (i = 0; i < n; i++)
		kmem_free(held[i], PAGE_SIZE);
	ok(failed >= 1 && pc.ptalloc_fail > pc0.ptalloc_fail &&
	    kmem_accounted() == base, "kmem_malloc of a page whose page-table "
	    "page is refused: 0, with its page and KVA back (after %d that "
	    "fit)", n);
}

static void
bad_frees(void)
{
	vm_offset_t va;
	char a[32];

	va = kmem_malloc(2 * PAGE_SIZE, M_WAITOK);
	kmem_free(va, 0);
	ok(pmap_kextract(va) != 0, "kmem_free of 0 bytes frees nothing");
	EXPECT_PANIC(kmem_free(va + 8, 2 * PAGE_SIZE), "kmem_free",
	    "not a kernel memory range", "kmem_free at an address not page "
	    "aligned");
	EXPECT_PANIC(kmem_free(VM_MIN_KERNEL_ADDRESS - PAGE_SIZE,
	    2 * PAGE_SIZE), "kmem_free", "not a kernel memory range",
	    "kmem_free below the KVA");
	EXPECT_PANIC(kmem_free(VM_MAX_KERNEL_ADDRESS - PAGE_SIZE,
	    2 * PAGE_SIZE), "kmem_free", "not a kernel memory range",
	    "kmem_free past the KVA");
	EXPECT_PANIC(kmem_free(va, ~(vm_size_t)0 - 2 * PAGE_SIZE), "kmem_free",
	    "not a kernel memory range", "kmem_free of a size that wraps");
	kmem_free(va, 2 * PAGE_SIZE);
	va = kmem_malloc(PAGE_SIZE, M_WAITOK);
	EXPECT_PANIC(kmem_free(va + 8, PAGE_SIZE), "kmem_free",
	    "not a kernel memory range", "kmem_free of one page at an address "
	    "not page aligned");
	kmem_free(va, PAGE_SIZE);
	va = kva_alloc(PAGE_SIZE);
	EXPECT_PANIC(kmem_unback(kernel_object, va, PAGE_SIZE), "kmem_unback",
	    expect_hex(a, sizeof(a), va), "kmem_unback of a page never "
	    "backed");
	EXPECT_PANIC(kmem_bootstrap_free(va, PAGE_SIZE), "kmem_bootstrap_free",
	    expect_hex(a, sizeof(a), va), "kmem_bootstrap_free of KVA that "
	    "maps nothing");
	kva_free(va, PAGE_SIZE);
}

static void
kmap_paths(void)
{
	static struct vm_map sub, big;
	static vm_offset_t held[4096];
	vm_offset_t min, max, va;
	vm_size_t used;
	int i, n;

	EXPECT_PANIC(kmem_subinit(&sub, kernel_map, &min, &max, 1UL << 40,
	    false), "kmem_subinit", "no room", "kmem_subinit of a submap "
	    "larger than the kernel map");
	kmem_subinit(&big, kernel_map, &min, &max, 2 * swap_limit(), false);
	used = swap_reserved();
	ok(kmap_alloc_wait(&big, swap_limit() + PAGE_SIZE) == 0 &&
	    swap_reserved() == used, "kmap_alloc_wait past the commit limit: "
	    "0, nothing charged");
	va = kmap_alloc_wait(&big, PAGE_SIZE);
	EXPECT_PANIC(kmap_free_wakeup(&big, va, 0), "kmap_free_wakeup",
	    "not one live allocation", "kmap_free_wakeup of 0 bytes");
	EXPECT_PANIC(kmap_free_wakeup(&big, va, ~(vm_size_t)0 - 8),
	    "kmap_free_wakeup", "not one live allocation",
	    "kmap_free_wakeup of a size that wraps");
	kmap_free_wakeup(&big, va, PAGE_SIZE);
	ok(swap_reserved() == used, "then it frees the page it took");

	/* Map entries until one needs a page that is refused. */
	kmem_subinit(&sub, kernel_map, &min, &max, 16 * MIB, false);
	(void)vm_page_fail_after(0, true);
	for (n = 0; n < 4096; n++)
		if ((held[n] = kmap_alloc_wait(&sub, PAGE_SIZE)) == 0)
			break;
	(void)vm_page_fail_after(-1, false);
	ok(n > 0 && n < 4096 && swap_reserved() == used + ptoa((u_long)n),
	    "kmap_alloc_wait without a map entry to be had: 0, its charge "
	    "returned (after %d)", n);
	for (i = 0; i < n; i++)
		kmap_free_wakeup(&sub, held[i], PAGE_SIZE);
	ok(swap_reserved() == used, "all charges back");
}

/*
 * With another hart running, kmem_free batches what it frees.  With every
 * other page taken, an allocation finds nothing until it flushes the
 * batch, and then it gets the page that was freed: for kmem_malloc,
 * kmem_alloc_attr and kmem_alloc_contig alike.
 */
static vm_offset_t
alloc_kind(int kind)
{
	int f = M_NOWAIT | M_NORECLAIM;

	if (kind == 0)
		return (kmem_malloc(PAGE_SIZE, f));
	if (kind == 1)
		return (kmem_alloc_attr(PAGE_SIZE, f, 0, ~(vm_paddr_t)0,
		    VM_MEMATTR_DEFAULT));
	return (kmem_alloc_contig(PAGE_SIZE, f, 0, ~(vm_paddr_t)0, PAGE_SIZE,
	    0, VM_MEMATTR_DEFAULT));
}

static void
flush_then_retry(void)
{
	static const char *const names[] = { "kmem_malloc",
	    "kmem_alloc_attr", "kmem_alloc_contig" };
	static vm_page_t all[16384];
	vm_offset_t va[3], again;
	vm_paddr_t pa;
	int kind, n, i;

	ok(host_smp_start(2) == 2, "a second hart runs");
	for (kind = 0; kind < 3; kind++)
		va[kind] = alloc_kind(kind);
	n = 0;
	for (kind = 0; kind < 3; kind++) {
		/* Take every free page. */
		(void)kmem_free_flush();
		while (n < 16384 && (all[n] = vm_page_alloc_noobj(
		    VM_ALLOC_NOWAIT)) != NULL)
			n++;
		pa = pmap_kextract(va[kind]);
		kmem_free(va[kind], PAGE_SIZE);
		again = alloc_kind(kind);
		ok(va[kind] != 0 && again != 0 && pmap_kextract(again) == pa,
		    "%s with no free page but one in kmem_free's batch: the "
		    "batch is flushed and its page comes back", names[kind]);
		kmem_free(again, PAGE_SIZE);
	}
	(void)kmem_free_flush();
	for (i = 0; i < n; i++)
		vm_page_free(all[i]);
	host_smp_stop();
}

/* A hart that sleeps in vm_wait until a page is freed. */
static void *
waiter(void *arg)
{

	(void)arg;
	host_thread_register();
	vm_wait();
	host_thread_unregister();
	return (NULL);
}

/* Free va (size) while a waiter sleeps; true when the waiter woke. */
static bool
free_to_waiter(vm_offset_t va, vm_size_t size)
{
	pthread_t t;
	long spins;

	if (pthread_create(&t, NULL, waiter, NULL) != 0)
		return (false);
	for (spins = 0; !vm_page_wanted() && spins < 100000000; spins++)
		sched_yield();
	kmem_free(va, size);
	pthread_join(t, NULL);
	return (spins < 100000000);
}

/*
 * With another hart running kmem_free batches, except when someone waits
 * for a page: then it frees at once (and wakes the waiter), for one page
 * and for more.
 */
static void
frees_to_a_waiter(void)
{
	static vm_page_t all[16384];
	vm_offset_t one, two;
	int n;

	one = kmem_malloc(PAGE_SIZE, M_WAITOK);
	two = kmem_malloc(2 * PAGE_SIZE, M_WAITOK);
	(void)kmem_free_flush();
	for (n = 0; n < 16384 && (all[n] = vm_page_alloc_noobj(
	    VM_ALLOC_NOWAIT)) != NULL; n++)
		;
	ok(free_to_waiter(one, PAGE_SIZE) && pmap_kextract(one) == 0 &&
	    vm_free_count() == 1, "kmem_free of a page while a hart waits for "
	    "one: freed at once, the waiter wakes");
	while (n < 16384 && (all[n] = vm_page_alloc_noobj(VM_ALLOC_NOWAIT)) !=
	    NULL)
		n++;
	ok(free_to_waiter(two, 2 * PAGE_SIZE) && pmap_kextract(two) == 0 &&
	    vm_free_count() == 2, "kmem_free of two pages while a hart waits: "
	    "freed at once too");
	while (n > 0)
		vm_page_free(all[--n]);
}

/*
 * Library mode's own bring-up with kmem_init(start > VM_MIN_KERNEL_ADDRESS):
 * [VM_MIN_KERNEL_ADDRESS, start) is an entry of the kernel map from the
 * start and no KVA is handed out below start.  (A child process: kmem
 * comes up once per process.)
 */
static int
kmem_init_above_min(void)
{
	struct host_machine_cfg cfg = {
		.ndomains = 1, .mem_per_domain = 32 * MIB, .ncpus = 1,
	};
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };
	vm_offset_t start = VM_MIN_KERNEL_ADDRESS + 64 * MIB, va[8];
	int i, low;

	host_machine_init(&cfg, &M);
	host_thread_register();
	if (physmem_init(&M, 0, 0, 0, 0, 0, 0) != 0 ||
	    pmap_bootstrap(&bi) != 0 || vm_phys_init() != 0)
		return (3);
	domainset_init();
	pmap_init();
	kmem_init(start, VM_MAX_KERNEL_ADDRESS);
	kmem_up |= KMEM_UP_PHYSMEM | KMEM_UP_PMAP | KMEM_UP_PAGES |
	    KMEM_UP_VMEM | KMEM_UP_KMEM;
	for (low = i = 0; i < 8; i++) {
		va[i] = kmem_malloc((vm_size_t)(i + 1) * PAGE_SIZE, M_WAITOK);
		low += va[i] < start;
	}
	for (i = 0; i < 8; i++)
		kmem_free(va[i], (vm_size_t)(i + 1) * PAGE_SIZE);
	return (low == 0 && vm_map_size(kernel_map) >= 64 * MIB ? 0 : 1);
}

int
main(void)
{
	u_long base;

	ok(run_child(kmem_init_above_min) == 0, "kmem_init with a start above "
	    "VM_MIN_KERNEL_ADDRESS: the range below it is taken, no KVA is "
	    "handed out there");
	boot();
	base = kmem_accounted();
	refused();
	contig_default_alignment();
	back_paths();
	malloc_page_unmapped();
	bad_frees();
	kmap_paths();
	flush_then_retry();
	frees_to_a_waiter();
	ok(kmem_accounted() == base, "every page is free or kmem's own as "
	    "before (%lu, %lu)", base, kmem_accounted());
	ok(vm_phys_check() == 0, "the page allocator is consistent");
	return (tap_done());
}
