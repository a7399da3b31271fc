/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_kmem: libFuzzer drives the kmem layer on the host twin against a
 * model of what is live.
 *
 * One machine (2 domains of 32 MiB, 4 harts described, Svpbmt) boots
 * once.  Each input is a stream of operations, a byte of opcode and words
 * of arguments (a generator seeded by the input goes on when the bytes run
 * out: FZ_MIN_STEPS operations more than the input holds, at most
 * FZ_MAX_STEPS, so short inputs are quick): kmem_malloc / _domainset (every
 * policy, M_ZERO, M_EXEC, superpage sizes), kmem_alloc_attr,
 * kmem_alloc_contig, kmem_free, kva_alloc / kva_free, kmem_back /
 * kmem_unback, kmap_alloc_wait / kmap_free_wakeup with demand-zero
 * touches (with every page taken they panic, as documented: caught), the
 * lowmem handlers, kmem_free_flush, page allocations refused
 * by fault injection, and misuse whose answer is defined (freeing with a
 * wrong size or inside an allocation, vm_page_free of a mapped page,
 * backing a backed page, kmap_free_wakeup of a part): the panic is caught
 * and its message checked, and the victim must be intact afterwards.
 *
 * After every operation: no two live ranges overlap; each page a new
 * allocation maps must not belong to any live allocation (the model keeps
 * an owner flag per page: a page handed to two owners is caught the
 * moment it is); M_ZERO memory is zero; and one live allocation, plus each
 * one that is freed, is checked: every page mapped (or, for KVA only, not),
 * its stamp (its VA and tag) intact (read through the software MMU at the
 * first and last page, through the page's PA elsewhere),
 * contiguous and [low, high) constraints kept.  After every input
 * everything is freed and the machine's pages (free + kmem's own) and the
 * commit charge must be what they were: nothing lost.  Any disagreement
 * aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "kmem_account.h"
#include "fuzz_input.h"

#define FZ_MIN_STEPS	64
#define FZ_MAX_STEPS	300
#define FZ_LIVE		48
#define FZ_RAM		(16UL << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { K_MALLOC, K_ATTR, K_CONTIG, K_KVA, K_BACKED, K_KMAP };

struct live {
	vm_offset_t	va;
	vm_size_t	size;
	int		kind;
	uint64_t	tag;
	vm_paddr_t	low, high;	/* K_ATTR / K_CONTIG constraint */
};

static struct live L[FZ_LIVE];
static uint8_t owned[2 * FZ_RAM / PAGE_SIZE];	/* by page of RAM */
static int nlive;
static uint64_t ntag;
static struct fdt_machine M;
static struct vm_map fz_map;

static struct fz_input F;

#define FAIL(...) do {							\
	fprintf(stderr, "fuzz_kmem: " __VA_ARGS__);			\
	fprintf(stderr, "\n");						\
	abort();							\
} while (0)


static bool
mapped(const struct live *l)
{

	return (l->kind != K_KVA && l->kind != K_KMAP);
}

/*
 * The model walks a range page by page; pmap_kextract_run answers a whole
 * linear run (a superpage, or 4 KiB leaves mapping consecutive pages) per
 * walk, and a run caches that answer.  Start each range with a zeroed one.
 */
struct run {
	vm_offset_t	va;
	vm_size_t	len;
	vm_paddr_t	pa;		/* of va; 0: unmapped */
};

/* What va (in [r's range start, end)) maps to, 0 if nothing. */
static vm_paddr_t
run_pa(struct run *r, vm_offset_t va, vm_offset_t end)
{

	if (va - r->va >= r->len) {
		r->va = va;
		r->pa = pmap_kextract_run(va, end - va, &r->len);
	}
	return (r->pa == 0 ? 0 : r->pa + (va - r->va));
}

static uint8_t *
owner(vm_paddr_t pa, vm_offset_t va)
{

	if (pa < HOST_RAM_BASE || pa >= HOST_RAM_BASE + 2 * FZ_RAM)
		FAIL("0x%lx maps pa 0x%lx outside RAM", va, (u_long)pa);
	return (&owned[(pa - HOST_RAM_BASE) / PAGE_SIZE]);
}

/* A newly mapped range: take its pages (none may be owned) and stamp. */
static void
own(struct live *l)
{
	struct run r = { 0 };
	vm_paddr_t pa;
	vm_size_t o;
	uint8_t *f;

	l->tag = ++ntag << 20;
	if (!mapped(l))
		return;
	for (o = 0; o < l->size; o += PAGE_SIZE) {
		pa = run_pa(&r, l->va + o, l->va + l->size);
		f = owner(pa, l->va + o);
		if (*f != 0)
			FAIL("kind %d 0x%lx: page 0x%lx (pa 0x%lx) already "
			    "belongs to a live allocation: two owners",
			    l->kind, l->va, l->va + o, (u_long)pa);
		*f = 1;
		if (o == 0 || o + PAGE_SIZE == l->size)
			host_store64(l->va + o, l->tag ^ o);
		else
			*(uint64_t *)host_phys_ptr(pa, 8) = l->tag ^ o;
	}
}

static void
disown(const struct live *l)
{
	struct run r = { 0 };
	vm_size_t o;

	for (o = 0; mapped(l) && o < l->size; o += PAGE_SIZE)
		*owner(run_pa(&r, l->va + o, l->va + l->size), l->va + o) = 0;
}

static void
check_one(const struct live *l)
{
	struct run r = { 0 };
	vm_paddr_t pa, pa0;
	vm_size_t o;

	pa0 = pmap_kextract(l->va);
	for (o = 0; o < l->size; o += PAGE_SIZE) {
		pa = run_pa(&r, l->va + o, l->va + l->size);
		if (!mapped(l)) {
			if (pa != 0 && l->kind == K_KVA)
				FAIL("kva range 0x%lx has page 0x%lx mapped",
				    l->va, l->va + o);
			continue;
		}
		if (pa == 0)
			FAIL("kind %d 0x%lx size %lu: page 0x%lx unmapped",
			    l->kind, l->va, (u_long)l->size, l->va + o);
		if ((o == 0 || o + PAGE_SIZE == l->size ?
		    host_load64(l->va + o) :
		    *(uint64_t *)host_phys_ptr(pa, 8)) != (l->tag ^ o))
			FAIL("kind %d 0x%lx size %lu: page 0x%lx (pa 0x%lx) "
			    "lost its stamp: two owners", l->kind, l->va,
			    (u_long)l->size, l->va + o, (u_long)pa);
		if ((l->kind == K_ATTR || l->kind == K_CONTIG) &&
		    (pa < l->low || pa >= l->high))
			FAIL("0x%lx: pa 0x%lx outside [0x%lx, 0x%lx)", l->va,
			    (u_long)pa, (u_long)l->low, (u_long)l->high);
		if (l->kind == K_CONTIG && pa != pa0 + o)
			FAIL("contig 0x%lx: page %lu not contiguous", l->va,
			    (u_long)(o / PAGE_SIZE));
	}
}

static void
check_all(uint64_t w)
{
	int i, j;

	if (nlive > 0)
		check_one(&L[w % (uint64_t)nlive]);
	for (i = 0; i < nlive; i++) {
		for (j = i + 1; j < nlive; j++)
			if (L[i].va < L[j].va + L[j].size &&
			    L[j].va < L[i].va + L[i].size)
				FAIL("live 0x%lx+%lu and 0x%lx+%lu overlap",
				    L[i].va, (u_long)L[i].size, L[j].va,
				    (u_long)L[j].size);
	}
}

static void
add(vm_offset_t va, vm_size_t size, int kind, bool zero, vm_paddr_t low,
    vm_paddr_t high)
{
	struct live *l;
	struct run r = { 0 };
	vm_size_t o;

	if (va == 0)
		return;
	l = &L[nlive++];
	l->va = va;
	l->size = round_page(size);
	l->kind = kind;
	l->low = low;
	l->high = high;
	/* M_ZERO: each page reads as zero (through the DMAP: fast). */
	for (o = 0; zero && o < l->size; o += PAGE_SIZE) {
		static const uint8_t zeros[PAGE_SIZE];

		if (memcmp(host_phys_ptr(run_pa(&r, va + o, va + l->size),
		    PAGE_SIZE), zeros, PAGE_SIZE) != 0)
			FAIL("M_ZERO 0x%lx: page 0x%lx not zero", va, va + o);
	}
	own(l);
}

static void
release(int i)
{
	struct live *l = &L[i];

	check_one(l);
	disown(l);
	switch (l->kind) {
	case K_MALLOC: case K_ATTR: case K_CONTIG:
		kmem_free(l->va, l->size);
		break;
	case K_KVA:
		kva_free(l->va, l->size);
		break;
	case K_BACKED:
		kmem_unback(kernel_object, l->va, l->size);
		kva_free(l->va, l->size);
		break;
	case K_KMAP:
		kmap_free_wakeup(&fz_map, l->va, l->size);
		break;
	}
	if (mapped(l) && pmap_kextract(l->va) != 0 && l->kind != K_BACKED)
		FAIL("freed 0x%lx is still mapped", l->va);
	L[i] = L[--nlive];
}

static vm_size_t
pick_size(uint64_t w)
{

	/* Superpages are costly (512 pages stamped and checked): rare. */
	switch (w % 64) {
	case 0:
		return (L2_SIZE + ptoa(w >> 6 & 3));	/* superpage + tail */
	case 1: case 2: case 3: case 4:
		return (1 + (w >> 6) % (64 * PAGE_SIZE));
	default:
		return (ptoa(1 + (w >> 6) % 6));
	}
}

static struct domainset *
pick_set(uint64_t w)
{
	int d = (int)((w >> 3) % 3);	/* 2: beyond the machine */

	switch (w % 6) {
	case 0: return (DOMAINSET_RR());
	case 1: return (DOMAINSET_FT());
	case 2: return (DOMAINSET_IL());
	case 3: return (DOMAINSET_PREF(d));
	default: return (DOMAINSET_FIXED(d));
	}
}

/* A panic is expected from fn; its message must name who. */
#define MISUSE(call, who) do {						\
	struct kmem_panic_catch pc_;					\
	if (KMEM_PANIC_TRY(&pc_)) {					\
		call;							\
		kmem_panic_disarm();					\
		FAIL("misuse did not panic: %s", #call);		\
	}								\
	if (strstr(pc_.kp_msg, who) == NULL)				\
		FAIL("misuse %s: panic does not name %s: %s", #call,	\
		    who, pc_.kp_msg);					\
} while (0)

static void
misuse(uint64_t w)
{
	struct live *l;
	vm_paddr_t pa;

	if (nlive == 0)
		return;
	l = &L[(w >> 8) % (uint64_t)nlive];
	switch (w % 5) {
	case 0:
		if (l->kind <= K_CONTIG)
			MISUSE(kmem_free(l->va, l->size + PAGE_SIZE),
			    "kmem_free");
		break;
	case 1:
		if (l->kind <= K_CONTIG && l->size > PAGE_SIZE)
			MISUSE(kmem_free(l->va + PAGE_SIZE, PAGE_SIZE),
			    "kmem_free");
		break;
	case 2:
		if (mapped(l)) {
			pa = pmap_kextract(l->va + ptoa((w >> 16) %
			    atop(l->size)));
			MISUSE(vm_page_free(PHYS_TO_VM_PAGE(pa)),
			    "vm_page_free");
		}
		break;
	case 3:
		if (l->kind == K_BACKED)
			MISUSE((void)kmem_back(kernel_object, l->va, l->size,
			    M_NOWAIT), "kmem_back");
		break;
	case 4:
		if (l->kind == K_KMAP && l->size > PAGE_SIZE)
			MISUSE(kmap_free_wakeup(&fz_map, l->va + PAGE_SIZE,
			    PAGE_SIZE), "kmap_free_wakeup");
		break;
	}
}

/*
 * Demand zero: the first touch maps a zero page.  With every page taken
 * (live allocations may hold them all) the documented answer is a panic
 * naming vm_map_fault; the fault left the submap locked.
 */
static void
touch(vm_offset_t va)
{
	struct kmem_panic_catch pc;

	if (KMEM_PANIC_TRY(&pc)) {
		if (host_load64(va) != 0)
			FAIL("kmap 0x%lx is not zero", va);
		kmem_panic_disarm();
		return;
	}
	if (strstr(pc.kp_msg, "vm_map_fault: no free page") == NULL)
		FAIL("demand-zero touch of 0x%lx: %s", va, pc.kp_msg);
	vm_map_unlock(&fz_map);
}

static void
step(void)
{
	uint64_t w, a;
	vm_paddr_t low, high;
	vm_offset_t va;
	vm_size_t size;
	u_long align, boundary;
	int flags, op;

	w = fz_next(&F, 4);
	op = (int)(w % 16);
	w >>= 4;
	if (nlive == FZ_LIVE)
		release((int)(w % FZ_LIVE));
	flags = M_NOWAIT | ((w & 1) != 0 ? M_ZERO : 0);
	size = pick_size(w >> 1);
	switch (op) {
	case 0: case 1:
		if ((w >> 8) % 8 == 0 && size < L2_SIZE)
			flags |= M_EXEC;
		add(kmem_malloc(size, flags), size, K_MALLOC, flags & M_ZERO,
		    0, 0);
		break;
	case 2:
		add(kmem_malloc_domainset(pick_set(w >> 12), size, flags),
		    size, K_MALLOC, flags & M_ZERO, 0, 0);
		break;
	case 3:
		a = fz_next(&F, 4);
		low = HOST_RAM_BASE + ptoa(a % atop(2 * FZ_RAM));
		high = low + ptoa(1 + (a >> 24) % atop(FZ_RAM));
		if ((a >> 60) == 0)
			high = low;		/* low >= high: 0 */
		add(kmem_alloc_attr_domainset(pick_set(w >> 12), size, flags,
		    low, high, VM_MEMATTR_DEFAULT), size, K_ATTR,
		    flags & M_ZERO, low, high);
		break;
	case 4:
		a = fz_next(&F, 4);
		low = HOST_RAM_BASE + ptoa(a % atop(FZ_RAM));
		high = (a >> 30) % 2 == 0 ? ~(vm_paddr_t)0 : low +
		    ptoa(1 + (a >> 32) % atop(FZ_RAM));
		align = PAGE_SIZE << ((a >> 20) % 10);
		boundary = (a >> 24) % 3 == 0 ? 0 : PAGE_SIZE << ((a >> 26) %
		    12);
		if (size > L2_SIZE)
			size = 64 * PAGE_SIZE;
		add(kmem_alloc_contig(size, flags, low, high, align, boundary,
		    VM_MEMATTR_DEFAULT), size, K_CONTIG, flags & M_ZERO, low,
		    high);
		break;
	case 5: case 6: case 7:
		if (nlive > 0)
			release((int)((w >> 8) % (uint64_t)nlive));
		break;
	case 8:
		add(kva_alloc(size), size, K_KVA, false, 0, 0);
		break;
	case 9:
		/* Back a KVA range, or unback a backed one. */
		for (op = 0; op < nlive; op++) {
			if (L[op].kind == K_KVA && (w & 1) == 0) {
				if (kmem_back(kernel_object, L[op].va,
				    L[op].size, M_NOWAIT) == KERN_SUCCESS) {
					L[op].kind = K_BACKED;
					own(&L[op]);
				}
				break;
			}
			if (L[op].kind == K_BACKED && (w & 1) != 0) {
				check_one(&L[op]);
				disown(&L[op]);
				kmem_unback(kernel_object, L[op].va,
				    L[op].size);
				L[op].kind = K_KVA;
				break;
			}
		}
		break;
	case 10:
		if (size > 16 * PAGE_SIZE)
			size = 16 * PAGE_SIZE;
		va = kmap_alloc_wait(&fz_map, size);
		if (va == 0)
			FAIL("kmap_alloc_wait(%lu) failed", (u_long)size);
		add(va, size, K_KMAP, false, 0, 0);
		touch(va + round_page(size) - 8);
		break;
	case 11:
		(void)vm_lowmem_trigger((w & 1) != 0 ? VM_LOW_KMEM :
		    VM_LOW_PAGES);
		(void)kmem_free_flush();
		break;
	case 12:
		/* The next allocations meet refused page allocations. */
		(void)vm_page_fail_after((long)((w >> 2) % 8), (w & 2) != 0);
		add(kmem_malloc(size, flags), size, K_MALLOC, flags & M_ZERO,
		    0, 0);
		(void)vm_page_fail_after(-1, false);
		break;
	case 13:
		misuse(w);
		break;
	default:
		/* Page allocator directly, next to kmem. */
		{
			vm_page_t m = vm_page_alloc_noobj_domain((int)(w % 2),
			    VM_ALLOC_NOWAIT);
			if (m != NULL)
				vm_page_free(m);
		}
		break;
	}
	check_all(w >> 20);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static u_long base;
	static vm_size_t commit;
	struct host_machine_cfg cfg = {
		.ndomains = 2, .mem_per_domain = FZ_RAM, .ncpus = 4,
		.isa = FDT_ISA_SVPBMT,
	};
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };
	vm_offset_t min, max;
	u_long now;
	size_t s, steps;

	if (base == 0) {
		host_machine_init(&cfg, &M);
		host_thread_register();
		if (kmem_startup(&bi) != 0)
			FAIL("kmem_startup failed");
		kmem_subinit(&fz_map, kernel_map, &min, &max, 4UL << 20,
		    false);
		base = kmem_accounted();
		commit = swap_reserved();
	}
	fz_init(&F, data, size);
	steps = FZ_MIN_STEPS + size / 4;
	for (s = 0; s < steps && s < FZ_MAX_STEPS; s++)
		step();
	while (nlive > 0)
		release(nlive - 1);
	now = kmem_accounted();
	/* Page-table pages stay, so kmem's own pages may grow; the sum not. */
	if (now != base)
		FAIL("after freeing everything %ld pages are unaccounted",
		    (long)base - (long)now);
	if (swap_reserved() != commit)
		FAIL("commit charge %lu, was %lu", (u_long)swap_reserved(),
		    (u_long)commit);
	return (0);
}
