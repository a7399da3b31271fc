/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kern_malloc.c: malloc(9) on UMA zones (FreeBSD's sys/kern/kern_malloc.c
 * semantics, our own code), under the link names kern_malloc, kern_free...
 *
 * Zones ("kmemzones"): 16, 32, 64, 128, 256, 384, 512, 1K .. 16K bytes,
 * in static storage, made on the first call (any hart).  Size to zone is
 * one load from kmem_zone_tab, indexed by (size + 15) / 16; an entry is
 * NULL until the zones exist, which sends that call to the slow path.
 * kern_malloc is one inline fast path (uma_int.h: malloc_cache_alloc,
 * shared with libc's malloc) and one slow function, kern_malloc_slow;
 * kern_free is one checked path, uma_int.h's uma_cache_push or else
 * uma_zfree_slow.
 * Above KMEM_ZMAX, kmem_malloc_domainset() gives pages; the first page
 * carries the UMA mark with UMA_W_LARGE and the page count in its word, so
 * kern_free needs no size and tells these apart from anything else.
 */
#include <string.h>

#include <kmem/domainset.h>
#include <kmem/malloc.h>
#include <kmem/pmap.h>
#include <kmem/vm_kern.h>

#include "uma_int.h"

MALLOC_DEFINE(M_TEMP, "temp", "misc. temporary data buffers");
MALLOC_DEFINE(M_DEVBUF, "devbuf", "device driver memory");
MALLOC_DEFINE(M_LIBC, "libc", "libc's malloc family");

#define KMEM_NZONES	12
static const u_int kmem_zone_sizes[KMEM_NZONES] = {
	16, 32, 64, 128, 256, 384, 512, 1024, 2048, 4096, 8192, 16384,
};
static const char *const kmem_zone_names[KMEM_NZONES] = {
	"malloc-16", "malloc-32", "malloc-64", "malloc-128", "malloc-256",
	"malloc-384", "malloc-512", "malloc-1024", "malloc-2048",
	"malloc-4096", "malloc-8192", "malloc-16384",
};
static struct uma_zone kmem_zone_store[KMEM_NZONES];
uma_zone_t kmem_zone_tab[KMEM_ZMAX / 16 + 1];

static struct kmem_spin malloc_types_lock =
    KMEM_SPIN_INITIALIZER("malloc types");
static struct malloc_type *malloc_types;

/* ------------------------------------------------------------- set-up */

/* Make the zones, once (any hart; later calls take no lock). */
static void
malloc_init(void)
{
	static struct kmem_spin once = KMEM_SPIN_INITIALIZER("malloc init");
	static _Atomic bool done;
	uma_zone_t z;
	u_int i, s;

	if (atomic_load_explicit(&done, memory_order_acquire))
		return;
	uma_startup();
	kmem_spin_lock(&once);
	if (!atomic_load_explicit(&done, memory_order_relaxed)) {
		for (i = 0, s = 0; i < KMEM_NZONES; i++) {
			z = &kmem_zone_store[i];
			(void)uma_zinit_static(z, kmem_zone_names[i],
			    kmem_zone_sizes[i], NULL, NULL, NULL, NULL,
			    kmem_zone_sizes[i] > 128 ? 127 :
			    (int)kmem_zone_sizes[i] - 1, 0);
			z->uz_malloc = true;
			/* Publish: the zone is complete before its entries. */
			for (; s * 16 <= kmem_zone_sizes[i]; s++)
				__atomic_store_n(&kmem_zone_tab[s], z,
				    __ATOMIC_RELEASE);
		}
		atomic_store_explicit(&done, true, memory_order_release);
	}
	kmem_spin_unlock(&once);
}

/* ---------------------------------------------------------- statistics */

static void
malloc_type_register(struct malloc_type *type)
{

	kmem_spin_lock(&malloc_types_lock);
	if (atomic_load(&type->ks_registered) == 0) {
		type->ks_next = malloc_types;
		malloc_types = type;
		atomic_store(&type->ks_registered, 1);
	}
	kmem_spin_unlock(&malloc_types_lock);
}

/* Account an allocation of bytes (0: a failure) to type, this hart. */
static void
mt_alloc(struct malloc_type *type, size_t bytes)
{

	if (atomic_load(&type->ks_registered) == 0)
		malloc_type_register(type);
	if (bytes == 0)
		__atomic_fetch_add(&type->ks_stats[kmem_cpuid()].mts_failures,
		    1, __ATOMIC_RELAXED);
	else
		mt_count_alloc(type, bytes);
}

void
malloc_type_stats(struct malloc_type *type, struct malloc_type_stats *st)
{
	const struct malloc_type_stats *p;
	int c;

	memset(st, 0, sizeof(*st));
	for (c = 0; c < MAXCPU; c++) {
		p = &type->ks_stats[c];
		st->mts_memalloced += __atomic_load_n(&p->mts_memalloced,
		    __ATOMIC_RELAXED);
		st->mts_memfreed += __atomic_load_n(&p->mts_memfreed,
		    __ATOMIC_RELAXED);
		st->mts_numallocs += __atomic_load_n(&p->mts_numallocs,
		    __ATOMIC_RELAXED);
		st->mts_numfrees += __atomic_load_n(&p->mts_numfrees,
		    __ATOMIC_RELAXED);
		st->mts_failures += __atomic_load_n(&p->mts_failures,
		    __ATOMIC_RELAXED);
	}
}

void
malloc_type_foreach(void (*fn)(struct malloc_type *, void *), void *arg)
{
	struct malloc_type *t;

	kmem_spin_lock(&malloc_types_lock);
	for (t = malloc_types; t != NULL; t = t->ks_next)
		fn(t, arg);
	kmem_spin_unlock(&malloc_types_lock);
}

static void
malloc_type_print(struct malloc_type *t, void *arg)
{
	struct malloc_type_stats st;

	(void)arg;
	malloc_type_stats(t, &st);
	kmem_printf("%-12s %12llu %10llu %10llu %8llu\n", t->ks_shortdesc,
	    (unsigned long long)(st.mts_memalloced - st.mts_memfreed),
	    (unsigned long long)st.mts_numallocs,
	    (unsigned long long)st.mts_numfrees,
	    (unsigned long long)st.mts_failures);
}

void
malloc_type_print_all(void)
{

	kmem_printf("%-12s %12s %10s %10s %8s\n", "type", "inuse(bytes)",
	    "allocs", "frees", "failures");
	malloc_type_foreach(malloc_type_print, NULL);
}

/* ------------------------------------------------------- large blocks */

/* Mark kmem memory at va (npages pages) as one large malloc block. */
static void *
large_mark(vm_offset_t va, size_t size, struct malloc_type *type)
{
	vm_page_t m;

	if (va == 0) {
		mt_alloc(type, 0);
		return (NULL);
	}
	m = PHYS_TO_VM_PAGE(pmap_kextract(va));
	vm_page_uma_set(m, UMA_W_LARGE | (uint32_t)atop(round_page(size)));
	mt_alloc(type, round_page(size));
	return ((void *)va);
}

/* The pages of the large block at addr (checked exactly) and its page. */
static u_long
large_pages(const void *addr, const char *fn, vm_page_t *mp)
{
	vm_paddr_t pa;
	int32_t w;

	pa = ((uintptr_t)addr & PAGE_MASK) == 0 ?
	    pmap_kextract((vm_offset_t)addr) : 0;
	w = pa != 0 ? vm_page_uma_lookup(pa, mp) : -1;
	if (w < 0 || (w & UMA_W_LARGE) == 0)
		panic("%s: %p is not a live allocation (no malloc block "
		    "starts there: never allocated, already freed, an inner "
		    "pointer or page-level memory)", fn, addr);
	return ((u_long)w & ~UMA_W_LARGE);
}

/*
 * kern_free of an address that is no zone item (uma_item_check answered
 * why): NULL, a large block (outside the direct map), or a panic.  Out of
 * line: kern_free's fast path makes no call that returns.
 */
static __attribute__((__noinline__)) void
kern_free_slow(void *addr, struct malloc_type *type, int why,
    const struct uma_slab *s)
{
	vm_page_t m;
	u_long npages;

	if (addr == NULL)
		return;
	if (VIRT_IN_DMAP(addr))
		uma_bad_item("kern_free", addr, why, NULL, s);
	npages = large_pages(addr, "kern_free", &m);
	vm_page_uma_clear(m);
	mt_count_free(type, ptoa(npages));
	kmem_free((vm_offset_t)addr, ptoa(npages));
}

/* --------------------------------------------------------- malloc(9) */

/*
 * kern_malloc, every case: M_ZERO (this hart's bucket first, as the fast
 * path, then zero the block), the zones made on the first call, sizes
 * above KMEM_ZMAX from kmem_malloc_domainset, the statistics (failures
 * too).
 */
void *
kern_malloc_slow(size_t size, struct malloc_type *type, int flags)
{
	uma_zone_t zone;
	void *p;

	if ((flags & M_ZERO) != 0 &&
	    malloc_cache_alloc(size, type, flags & ~M_ZERO, &p)) {
		kmem_zero(p, kmem_zone_for(size)->uz_size);
		return (p);
	}
	if (size <= KMEM_ZMAX) {
		malloc_init();
		zone = kmem_zone_for(size);
		p = uma_zalloc_arg(zone, NULL, flags);
		mt_alloc(type, p != NULL ? zone->uz_size : 0);
		return (p);
	}
	return (large_mark(kmem_malloc_domainset(DOMAINSET_RR(), size, flags),
	    size, type));
}

void *
kern_malloc(size_t size, struct malloc_type *type, int flags)
{
	void *p;

	if (__predict_true(malloc_cache_alloc(size, type, flags, &p)))
		return (p);
	return (kern_malloc_slow(size, type, flags));
}

/*
 * The block at addr, checked exactly: a live zone item, else
 * kern_free_slow (NULL, a large block or a panic).  An address outside
 * the direct map is never in a slab page (its "physical address" is not
 * RAM).
 */
void
kern_free(void *addr, struct malloc_type *type)
{
	struct uma_slab *s;
	uma_zone_t zone;
	int why;

	why = uma_item_check(NULL, addr, true, &s);
	if (__predict_false(why != UMA_ITEM_OK)) {
		kern_free_slow(addr, type, why, s);
		return;
	}
	zone = s->us_zone;
	mt_count_free(type, zone->uz_size);
	if (__predict_true(uma_cache_push(zone, s, addr)))
		return;
	uma_zfree_slow(zone, s, addr, NULL, false);
}

size_t
kern_malloc_usable_size(const void *addr)
{
	struct uma_slab *s;
	vm_page_t m;
	int why;

	if (addr == NULL)
		return (0);
	if (!VIRT_IN_DMAP(addr))
		return (ptoa(large_pages(addr, "kern_malloc_usable_size", &m)));
	why = uma_item_check(NULL, addr, false, &s);
	if (why != UMA_ITEM_OK)
		uma_bad_item("kern_malloc_usable_size", addr, why, NULL, s);
	return (s->us_zone->uz_size);
}

void
kern_zfree(void *addr, struct malloc_type *type)
{
	size_t n;

	if (addr == NULL)
		return;
	n = kern_malloc_usable_size(addr);
	if (VIRT_IN_DMAP(addr))
		kmem_zero(addr, n);
	else
		memset(addr, 0, n);
	kern_free(addr, type);
}

void *
kern_realloc(void *addr, size_t size, struct malloc_type *type, int flags)
{
	size_t alloc;
	void *p;

	if (addr == NULL)
		return (kern_malloc(size, type, flags));
	alloc = kern_malloc_usable_size(addr);
	/* Keep the block when it fits and stays at least half used. */
	if (size <= alloc && size >= alloc / 2)
		return (addr);
	p = kern_malloc(size, type, flags);
	if (p == NULL)
		return (NULL);
	memcpy(p, addr, size < alloc ? size : alloc);
	kern_free(addr, type);
	return (p);
}

void *
kern_reallocf(void *addr, size_t size, struct malloc_type *type, int flags)
{
	void *p;

	p = kern_realloc(addr, size, type, flags);
	if (p == NULL)
		kern_free(addr, type);
	return (p);
}

void *
kern_mallocarray(size_t nmemb, size_t size, struct malloc_type *type,
    int flags)
{

	if (size != 0 && nmemb > SIZE_MAX / size)
		panic("kern_mallocarray: %zu * %zu bytes overflows", nmemb,
		    size);
	return (kern_malloc(nmemb * size, type, flags));
}

void *
kern_malloc_domainset(size_t size, struct malloc_type *type,
    struct domainset *ds, int flags)
{
	struct vm_domainset_iter di;
	uma_zone_t zone;
	void *p;
	int domain;

	if (size > KMEM_ZMAX)
		return (large_mark(kmem_malloc_domainset(ds, size, flags),
		    size, type));
	malloc_init();
	zone = kmem_zone_for(size);
	if (!UMA_FLAGS_OK(flags)) {
		mt_alloc(type, 0);
		return (NULL);
	}
	vm_domainset_iter_policy_init(&di, ds, &domain, &flags);
	p = NULL;
	if (domain >= 0) {
		do {
			p = uma_zalloc_domain(zone, NULL, domain, flags);
		} while (p == NULL &&
		    vm_domainset_iter_policy(&di, &domain) == 0);
	}
	mt_alloc(type, p != NULL ? zone->uz_size : 0);
	return (p);
}

void *
kern_malloc_aligned(size_t size, size_t align, struct malloc_type *type,
    int flags)
{
	size_t asize;

	if (align == 0 || !powerof2(align) || align > PAGE_SIZE)
		return (NULL);
	/* Power-of-two zones are naturally aligned; pages are too. */
	asize = size <= align ? align :
	    size > KMEM_ZMAX ? size : 1UL << kmem_flsl(size - 1);
	return (kern_malloc(asize, type, flags));
}

void *
kern_contigmalloc(size_t size, struct malloc_type *type, int flags,
    vm_paddr_t low, vm_paddr_t high, u_long alignment, vm_paddr_t boundary)
{

	return (large_mark(kmem_alloc_contig(size, flags, low, high, alignment,
	    boundary, VM_MEMATTR_DEFAULT), size, type));
}
