/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UMA zones, malloc(9) and the libc family (under their host names
 * kmem_libc_*) on the host twin, under ASan+UBSan (and TSan: "threads").
 * Model-based random sequences (uma_model.h), callback counts, limits,
 * the reserve, reclaim, failure answers and the panics of bad frees.
 * usage: host_uma [ndomains] [threads]
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"
#include "uma_settle.h"
#include "uma_model.h"
#include "uma_int.h"

void *kmem_libc_reallocarray(void *p, size_t n, size_t size);
void *kmem_libc_aligned_alloc(size_t align, size_t size);
int kmem_libc_posix_memalign(void **pp, size_t align, size_t size);
void *kmem_libc_valloc(size_t size);
void *kmem_libc_pvalloc(size_t size);
void kmem_libc_cfree(void *p);
struct mallinfo kmem_libc_mallinfo(void);

static struct fdt_machine M;

static void
boot(int ndomains)
{

	ok(host_boot(&M, ndomains) == 0 && vm_ndomains == ndomains,
	    "kmem up on %d domain(s)", ndomains);
}


static uint64_t
rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return (x);
}

static void
test_model(void)
{
	unsigned char ops[4096];
	bool good;
	int round, i;

	um_setup();
	good = true;
	for (round = 0; round < 40 && good; round++) {
		for (i = 0; i < (int)sizeof(ops); i++)
			ops[i] = (unsigned char)rnd();
		good = um_run(ops, sizeof(ops));
	}
	ok(good, "model: 40 random sequences of zone, malloc(9) and libc "
	    "blocks: aligned, big enough, disjoint, stamps intact (%s)",
	    um_err != NULL ? um_err : "no error");
	for (i = 0, good = true; i < UM_NZONES; i++)
		good &= uma_zone_get_cur(um_zones[i]) == 0;
	ok(good, "model: every zone's count is 0 after the sequences");
}

static int n_ctor, n_dtor, n_init, n_fini, ctor_fail;

static int
t_ctor(void *mem, int size, void *arg, int flags)
{

	(void)size; (void)flags;
	if (ctor_fail)
		return (ENOMEM);
	n_ctor++;
	*(void **)mem = arg;
	return (0);
}

static void
t_dtor(void *mem, int size, void *arg)
{

	(void)size;
	if (*(void **)mem == arg)
		n_dtor++;
}

static int
t_init(void *mem, int size, int flags)
{

	(void)flags;
	n_init++;
	memset(mem, 0xab, (size_t)size);
	return (0);
}

static void
t_fini(void *mem, int size)
{

	(void)mem; (void)size;
	n_fini++;
}

static void
test_callbacks(void)
{
	void *it[100];
	uma_zone_t z;
	u_long slabs, freeslabs;
	int i, cur;

	ok(uma_zcreate(NULL, 8, NULL, NULL, NULL, NULL, 0, 0) == NULL &&
	    uma_zcreate("z", 0, NULL, NULL, NULL, NULL, 0, 0) == NULL &&
	    uma_zcreate("z", 8, NULL, NULL, NULL, NULL, 5, 0) == NULL &&
	    uma_zcreate("z", UMA_MAX_ITEM + 1, NULL, NULL, NULL, NULL, 0,
	    0) == NULL, "uma_zcreate: NULL for a bad name, size or alignment");
	z = uma_zcreate("cb", 48, t_ctor, t_dtor, t_init, t_fini,
	    UMA_ALIGN_PTR, 0);
	for (i = 0; i < 100; i++)
		it[i] = uma_zalloc_arg(z, &it[i], M_WAITOK);
	cur = uma_zone_get_cur(z);
	ok(n_ctor == 100 && n_init >= 100 && cur == 100,
	    "ctor once per allocation (%d), init per item leaving a slab (%d), "
	    "100 items counted (%d)", n_ctor, n_init, cur);
	for (i = 0; i < 100; i++)
		uma_zfree_arg(z, it[i], &it[i]);
	ok(n_dtor == 100, "dtor once per free, with the free's arg (%d)",
	    n_dtor);
	ctor_fail = 1;
	ok(uma_zalloc(z, M_NOWAIT) == NULL && uma_zone_get_cur(z) == 0,
	    "a failing ctor: NULL, and the item went back (count 0)");
	ctor_fail = 0;
	uma_zone_reclaim(z, UMA_RECLAIM_DRAIN_CPU);
	uma_zone_slabs(z, &slabs, &freeslabs);
	ok(n_fini == n_init && slabs == 0,
	    "reclaim: fini for every init (%d/%d), no slab left (%lu)",
	    n_fini, n_init, slabs);
	uma_zdestroy(z);
}

static void
test_limits(void)
{
	void *it[20];
	uma_zone_t z;
	int i, n;

	z = uma_zcreate("limited", 100, NULL, NULL, NULL, NULL, 0, 0);
	ok(uma_zone_set_max(z, 10) == 10 && uma_zone_get_max(z) == 10,
	    "uma_zone_set_max returns the limit");
	for (n = 0; n < 20 && (it[n] = uma_zalloc(z, M_NOWAIT)) != NULL; n++)
		;
	ok(n == 10 && uma_zone_get_cur(z) == 10,
	    "at the limit M_NOWAIT gets NULL (after %d items)", n);
	uma_zfree(z, it[0]);
	it[0] = uma_zalloc(z, M_NOWAIT);
	ok(it[0] != NULL, "a free makes room again");
	for (i = 0; i < n; i++)
		uma_zfree(z, it[i]);
	uma_zdestroy(z);
}

struct waiter {
	uma_zone_t	z;
	void		*item;
	_Atomic int	done;
};

static void *
limit_waiter(void *arg)
{
	struct waiter *w = arg;

	host_thread_register();
	w->item = uma_zalloc(w->z, M_WAITOK);
	atomic_store(&w->done, 1);
	return (NULL);
}

static void
test_limit_sleep(void)
{
	struct waiter w;
	pthread_t t;
	void *it;
	int i;

	w.z = uma_zcreate("sleepy", 64, NULL, NULL, NULL, NULL, 0, 0);
	atomic_init(&w.done, 0);
	uma_zone_set_max(w.z, 1);
	it = uma_zalloc(w.z, M_WAITOK);
	pthread_create(&t, NULL, limit_waiter, &w);
	for (i = 0; i < 50; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ok(atomic_load(&w.done) == 0, "at the limit M_WAITOK sleeps");
	uma_zfree(w.z, it);
	pthread_join(t, NULL);
	ok(atomic_load(&w.done) == 1 && w.item != NULL,
	    "a free wakes the sleeper, which gets the item");
	uma_zfree(w.z, w.item);
	uma_zdestroy(w.z);
}

static void
test_reserve(void)
{
	void *it[40];
	uma_zone_t z;
	int i, a, b;

	z = uma_zcreate("reserved", 256, NULL, NULL, NULL, NULL, 0, 0);
	uma_zone_reserve(z, 8);
	uma_prealloc(z, 8);
	vm_page_fail_after(0, true);
	for (a = 0; a < 40 && (it[a] = uma_zalloc(z, M_NOWAIT)) != NULL; a++)
		;
	for (b = a; b < 40 &&
	    (it[b] = uma_zalloc(z, M_NOWAIT | M_USE_RESERVE)) != NULL; b++)
		;
	vm_page_fail_after(-1, false);
	ok(b - a >= 8, "without pages: plain allocations stop before the "
	    "reserve (%d), M_USE_RESERVE gets it (%d more)", a, b - a);
	for (i = 0; i < b; i++)
		uma_zfree(z, it[i]);
	uma_zdestroy(z);
}

static void
test_reclaim(void)
{
	static void *it[5000];
	uma_zone_t z;
	u_long slabs, fr;
	u_int before, after;
	int i;

	before = settled_free();
	z = uma_zcreate("reclaim", 96, NULL, NULL, NULL, NULL, 0, 0);
	for (i = 0; i < 5000; i++)
		it[i] = uma_zalloc(z, M_WAITOK);
	for (i = 0; i < 5000; i++)
		uma_zfree(z, it[i]);
	ok(vm_lowmem_trigger(VM_LOW_PAGES) == 0, "lowmem trigger");
	uma_zone_slabs(z, &slabs, &fr);
	after = settled_free();
	ok(slabs == 0, "the lowmem handler leaves no empty slab (%lu)", slabs);
	uma_zdestroy(z);
	after = settled_free();
	ok(after == before, "free pages back to their start (%u -> %u)",
	    before, after);
}

static void
test_malloc9(void)
{
	struct malloc_type_stats st0, st;
	void *p, *q, *r;
	int i;

	malloc_type_stats(M_DEVBUF, &st0);
	p = kern_malloc(0, M_DEVBUF, M_WAITOK);
	q = kern_malloc(0, M_DEVBUF, M_WAITOK);
	ok(p != NULL && q != NULL && p != q, "kern_malloc(0): distinct blocks");
	kern_free(p, M_DEVBUF);
	kern_free(q, M_DEVBUF);
	ok(kern_malloc(10, M_DEVBUF, 0) == NULL &&
	    kern_malloc(10, M_DEVBUF, M_NOWAIT | M_WAITOK) == NULL,
	    "kern_malloc: NULL without exactly one of M_NOWAIT/M_WAITOK");
	malloc_type_stats(M_DEVBUF, &st);
	ok(st.mts_numallocs - st0.mts_numallocs == 2 &&
	    st.mts_numfrees - st0.mts_numfrees == 2 &&
	    st.mts_memalloced - st0.mts_memalloced == 32 &&
	    st.mts_memfreed - st0.mts_memfreed == 32 &&
	    st.mts_failures - st0.mts_failures == 2,
	    "malloc_type_stats: 2 allocations, 2 frees, 32 bytes, 2 failures");
	for (i = 0; i < 9; i++) {
		p = kern_malloc_aligned(100, (size_t)1 << (i + 3), M_TEMP,
		    M_WAITOK);
		if (((uintptr_t)p & (((size_t)1 << (i + 3)) - 1)) != 0)
			break;
		kern_free(p, M_TEMP);
	}
	ok(i == 9 && kern_malloc_aligned(8, 3, M_TEMP, M_WAITOK) == NULL &&
	    kern_malloc_aligned(8, 2 * PAGE_SIZE, M_TEMP, M_WAITOK) == NULL,
	    "kern_malloc_aligned: aligned up to a page, NULL for a bad one");
	p = kern_malloc(200, M_TEMP, M_WAITOK);
	memset(p, 7, 200);
	q = kern_realloc(p, 150, M_TEMP, M_WAITOK);
	r = kern_realloc(q, 1000, M_TEMP, M_WAITOK);
	ok(q == p && r != q && ((unsigned char *)r)[149] == 7 &&
	    kern_malloc_usable_size(r) == 1024,
	    "kern_realloc keeps a block still half used, moves a grown one");
	r = kern_realloc(r, 10, M_TEMP, M_WAITOK);
	ok(kern_malloc_usable_size(r) == 16, "kern_realloc moves a block "
	    "less than half used");
	kern_zfree(r, M_TEMP);
	p = kern_malloc(100000, M_TEMP, M_WAITOK);
	ok(p != NULL && kern_malloc_usable_size(p) == round_page(100000) &&
	    pmap_kextract((vm_offset_t)p) != 0,
	    "a large block comes from kmem_malloc with its size recorded");
	kern_free(p, M_TEMP);
	p = kern_malloc_domainset(64, M_TEMP, DOMAINSET_FIXED(vm_ndomains - 1),
	    M_WAITOK);
	ok(p != NULL && vm_phys_domain(DMAP_TO_PHYS(p)) == vm_ndomains - 1,
	    "kern_malloc_domainset(FIXED(%d)) takes that domain",
	    vm_ndomains - 1);
	kern_free(p, M_TEMP);
	p = kern_contigmalloc(3 * PAGE_SIZE, M_DEVBUF, M_WAITOK, 0,
	    ~(vm_paddr_t)0, 4 * PAGE_SIZE, 0);
	ok(p != NULL && (pmap_kextract((vm_offset_t)p) & (4 * PAGE_SIZE - 1))
	    == 0, "kern_contigmalloc honours the physical alignment");
	kern_free(p, M_DEVBUF);
}

static void
test_libc(void)
{
	struct mallinfo mi;
	void *p, *q;
	int e;

	p = kmem_libc_malloc(0);
	q = kmem_libc_malloc(0);
	ok(p != NULL && q != NULL && p != q, "malloc(0): distinct, freeable");
	kmem_libc_free(p);
	kmem_libc_cfree(q);
	errno = 0;
	ok(kmem_libc_calloc(SIZE_MAX / 2, 4) == NULL && errno == ENOMEM,
	    "calloc overflow: NULL, ENOMEM");
	errno = 0;
	ok(kmem_libc_reallocarray(NULL, SIZE_MAX / 2, 4) == NULL &&
	    errno == ENOMEM, "reallocarray overflow: NULL, ENOMEM");
	errno = 0;
	ok(kmem_libc_malloc(SIZE_MAX - 10) == NULL && errno == ENOMEM,
	    "malloc of too much: NULL, ENOMEM");
	ok(kmem_libc_posix_memalign(&p, 24, 10) == EINVAL &&
	    kmem_libc_posix_memalign(&p, 2, 10) == EINVAL,
	    "posix_memalign: EINVAL for a bad alignment");
	e = kmem_libc_posix_memalign(&p, 256, 10);
	ok(e == 0 && ((uintptr_t)p & 255) == 0, "posix_memalign(256)");
	kmem_libc_free(p);
	p = kmem_libc_aligned_alloc(64, 64);
	q = kmem_libc_valloc(10);
	ok(((uintptr_t)p & 63) == 0 && ((uintptr_t)q & PAGE_MASK) == 0,
	    "aligned_alloc, valloc");
	kmem_libc_free(p);
	kmem_libc_free(q);
	p = kmem_libc_pvalloc(5000);
	ok(((uintptr_t)p & PAGE_MASK) == 0 &&
	    kmem_libc_malloc_usable_size(p) >= 2 * PAGE_SIZE,
	    "pvalloc rounds to pages");
	kmem_libc_free(p);
	p = kmem_libc_calloc(10, 10);
	mi = kmem_libc_mallinfo();
	ok(p != NULL && ((char *)p)[99] == 0 && mi.uordblks >= 112,
	    "calloc zeroes; mallinfo counts what is in use (%zu)",
	    (size_t)mi.uordblks);
	kmem_libc_free(p);
	p = kmem_libc_realloc(NULL, 30);
	ok(p != NULL, "realloc(NULL, n) allocates");
	kmem_libc_free(p);
}

/* A panic expected from fn; the message must name what and the address. */
#define EXPECT_PANIC(call, fn, addr, what) do {				\
	struct kmem_panic_catch pc;					\
	char want[64];							\
									\
	snprintf(want, sizeof(want), "%s: %p", (fn), (void *)(addr));	\
	if (KMEM_PANIC_TRY(&pc)) {					\
		call;							\
		kmem_panic_disarm();					\
		ok(0, "%s did not panic", what);			\
	} else								\
		ok(strstr(pc.kp_msg, want) != NULL, "%s panics: %s",	\
		    what, pc.kp_msg);					\
} while (0)

static void
test_bad_frees(void)
{
	struct kmem_panic_catch pc;
	uma_zone_t z, z2;
	vm_offset_t va;
	vm_page_t m;
	char *p, *fresh;
	void *it;

	p = kern_malloc(64, M_TEMP, M_WAITOK);
	EXPECT_PANIC(kern_free(p + 8, M_TEMP), "kern_free", p + 8,
	    "kern_free of an inner pointer");
	kern_free(p, M_TEMP);
	EXPECT_PANIC(kern_free(p, M_TEMP), "kern_free", p,
	    "kern_free twice (the block is in a bucket)");
	va = kmem_malloc(PAGE_SIZE, M_WAITOK);
	EXPECT_PANIC(kern_free((void *)va, M_TEMP), "kern_free", va,
	    "kern_free of kmem_malloc memory");
	kmem_free(va, PAGE_SIZE);
	m = vm_page_alloc_noobj_domain(0, VM_ALLOC_WAITOK);
	fresh = (char *)PHYS_TO_DMAP(VM_PAGE_TO_PHYS(m));
	EXPECT_PANIC(kern_free(fresh, M_TEMP), "kern_free", fresh,
	    "kern_free of a page from the page allocator");
	vm_page_free(m);
	fresh = (char *)PHYS_TO_DMAP(dmap_phys_max - 64 * PAGE_SIZE);
	EXPECT_PANIC(kern_free(fresh, M_TEMP), "kern_free", fresh,
	    "kern_free of memory never allocated");
	p = kern_malloc(100000, M_TEMP, M_WAITOK);
	kern_free(p, M_TEMP);
	EXPECT_PANIC(kern_free(p, M_TEMP), "kern_free", p,
	    "kern_free of a large block twice");
	z = uma_zcreate("bad", 32, NULL, NULL, NULL, NULL, 0, 0);
	z2 = uma_zcreate("other", 32, NULL, NULL, NULL, NULL, 0, 0);
	it = uma_zalloc(z, M_WAITOK);
	EXPECT_PANIC(uma_zfree(z2, it), "uma_zfree_arg", it,
	    "uma_zfree to the wrong zone");
	EXPECT_PANIC(kern_free(it, M_TEMP), "kern_free", it,
	    "kern_free of a zone item");
	if (KMEM_PANIC_TRY(&pc)) {
		uma_zdestroy(z);
		kmem_panic_disarm();
		ok(0, "uma_zdestroy with an item out did not panic");
	} else
		ok(strstr(pc.kp_msg, "uma_zdestroy") != NULL &&
		    strstr(pc.kp_msg, "1 items") != NULL,
		    "uma_zdestroy with items out panics with the count: %s",
		    pc.kp_msg);
	uma_zfree(z, it);
	EXPECT_PANIC(uma_zfree(z, it), "uma_zfree_arg", it,
	    "uma_zfree twice");
	uma_zdestroy(z);
	EXPECT_PANIC(uma_zdestroy(z), "uma_zdestroy", z,
	    "uma_zdestroy twice");
	EXPECT_PANIC(uma_zdestroy(NULL), "uma_zdestroy", NULL,
	    "uma_zdestroy(NULL)");
	it = uma_zalloc(z2, M_WAITOK);
	ok(it != NULL, "the other zone still allocates");
	uma_zfree(z2, it);
	uma_zdestroy(z2);
}

/*
 * An interrupt handler that stopped this hart's owner of a bucket slot
 * finds the slot busy: its M_NOWAIT allocation and free use the slabs.
 */
static void
test_busy_slot(void)
{
	struct uma_cache *c;
	uma_zone_t z;
	uintptr_t h;
	void *keep, *p;

	z = uma_zcreate("irq", 80, NULL, NULL, NULL, NULL, 0, 0);
	keep = uma_zalloc(z, M_NOWAIT);		/* this hart gets buckets */
	c = &z->uz_cpu[md_cpuid()];
	h = slot_take(&c->uc_alloc);
	p = uma_zalloc(z, M_NOWAIT);
	uma_zfree(z, p);
	slot_give(&c->uc_alloc, h);
	ok(h != UB_BUSY && p != NULL && uma_zone_get_cur(z) == 1,
	    "with the hart's bucket slot held (an interrupted owner), "
	    "M_NOWAIT alloc and free go to the slabs");
	uma_zfree(z, keep);
	uma_zdestroy(z);
}

/* The domains (mask) of 2000 items of z allocated at once. */
static u_long
domains_of(uma_zone_t z)
{
	static void *it[2000];
	u_long seen;
	int i;

	seen = 0;
	for (i = 0; i < 2000; i++) {
		it[i] = uma_zalloc(z, M_WAITOK);
		seen |= 1UL << vm_phys_domain(DMAP_TO_PHYS(it[i]));
	}
	for (i = 0; i < 2000; i++)
		uma_zfree(z, it[i]);
	return (seen);
}

/* ROUNDROBIN: slabs from every domain; FIRSTTOUCH: from this hart's. */
static void
test_policies(void)
{
	uma_zone_t rr, ft;
	u_long seen_rr, seen_ft;
	bool good;
	void *p;
	int d;

	rr = uma_zcreate("rr", 200, NULL, NULL, NULL, NULL, 0,
	    UMA_ZONE_ROUNDROBIN);
	ft = uma_zcreate("ft", 200, NULL, NULL, NULL, NULL, 0, 0);
	seen_rr = domains_of(rr);
	seen_ft = domains_of(ft);
	ok(seen_rr == (1UL << vm_ndomains) - 1 &&
	    seen_ft == 1UL << md_cpu_domain(md_cpuid()),
	    "ROUNDROBIN items come from every domain (mask 0x%lx), "
	    "FIRSTTOUCH ones from this hart's (0x%lx)", seen_rr, seen_ft);
	for (d = 0, good = true; d < vm_ndomains; d++) {
		p = uma_zalloc_domain(ft, NULL, d, M_NOWAIT);
		good &= p != NULL && vm_phys_domain(DMAP_TO_PHYS(p)) == d;
		uma_zfree(ft, p);
	}
	ok(good && uma_zalloc_domain(ft, NULL, vm_ndomains, M_NOWAIT) ==
	    NULL && uma_zalloc_domain(ft, NULL, -2, M_NOWAIT) == NULL,
	    "uma_zalloc_domain takes that domain; NULL for one that does "
	    "not exist");
	uma_zdestroy(rr);
	uma_zdestroy(ft);
}

/*
 * A free of another domain's item: a FIRSTTOUCH one goes back to its
 * domain's slab, a ROUNDROBIN one into this hart's alloc bucket (the fast
 * path).
 */
static void
test_cross_domain_free(void)
{
	uma_zone_t rr, ft;
	uintptr_t r0, r1, f0, f1;
	void *keep_rr, *keep_ft, *p, *q;
	u_int cpu;
	int other;

	if (vm_ndomains < 2)
		return;
	cpu = md_cpuid();
	other = (md_cpu_domain(cpu) + 1) % vm_ndomains;
	rr = uma_zcreate("xrr", 64, NULL, NULL, NULL, NULL, 0,
	    UMA_ZONE_ROUNDROBIN);
	ft = uma_zcreate("xft", 64, NULL, NULL, NULL, NULL, 0, 0);
	keep_rr = uma_zalloc(rr, M_WAITOK);	/* this hart gets buckets */
	keep_ft = uma_zalloc(ft, M_WAITOK);
	p = uma_zalloc_domain(rr, NULL, other, M_WAITOK);
	q = uma_zalloc_domain(ft, NULL, other, M_WAITOK);
	r0 = atomic_load(&rr->uz_cpu[cpu].uc_alloc);
	f0 = atomic_load(&ft->uz_cpu[cpu].uc_alloc);
	uma_zfree(rr, p);
	uma_zfree(ft, q);
	r1 = atomic_load(&rr->uz_cpu[cpu].uc_alloc);
	f1 = atomic_load(&ft->uz_cpu[cpu].uc_alloc);
	ok(r1 == r0 + sizeof(void *) && f1 == f0 &&
	    vm_phys_domain(DMAP_TO_PHYS(p)) == other &&
	    vm_phys_domain(DMAP_TO_PHYS(q)) == other,
	    "another domain's item: ROUNDROBIN goes into this hart's bucket, "
	    "FIRSTTOUCH back to its own domain");
	uma_zfree(rr, keep_rr);
	uma_zfree(ft, keep_ft);
	uma_zdestroy(rr);
	uma_zdestroy(ft);
}

/* Fault injection: every n-th page allocation refused; no leak. */
static void
test_fault_injection(void)
{
	static void *it[3000];
	uma_zone_t z;
	u_int before, after;
	int n, i, got;
	bool good;

	before = settled_free();
	good = true;
	for (n = 1; n <= 7; n += 3) {
		z = uma_zcreate("inject", 700, NULL, NULL, NULL, NULL, 0, 0);
		for (i = got = 0; i < 3000; i++) {
			if (i % 97 == 0)
				vm_page_fail_after(n, false);
			it[i] = uma_zalloc(z, M_NOWAIT);
			got += it[i] != NULL;
			if ((rnd() & 3) == 0 && i > 0 && it[i - 1] != NULL) {
				uma_zfree(z, it[i - 1]);
				it[i - 1] = NULL;
			}
		}
		vm_page_fail_after(-1, false);
		for (i = 0; i < 3000; i++)
			if (it[i] != NULL)
				uma_zfree(z, it[i]);
		good &= uma_zone_get_cur(z) == 0 && got > 0;
		uma_zdestroy(z);
	}
	after = settled_free();
	ok(good && after == before, "refused page allocations during a zone "
	    "workload: no crash, no leak (%u -> %u free pages)", before,
	    after);
}

/* Harts allocating and freeing at once (TSan's case). */
static _Atomic(void *) ring[64];
static uma_zone_t tz;
static _Atomic int t_errors;

static void *
hammer(void *arg)
{
	uintptr_t me = (uintptr_t)arg;
	void *mine[32];
	void *p;
	int i, k;

	host_thread_register();
	for (i = 0; i < 20000; i++) {
		k = i & 31;
		if (i >= 32) {
			if (*(uintptr_t *)mine[k] != me)
				atomic_fetch_add(&t_errors, 1);
			if ((i & 3) == 0) {
				/* Hand it to whoever takes this ring slot. */
				p = atomic_exchange(&ring[(i + me) & 63],
				    mine[k]);
				if (p != NULL)
					uma_zfree(tz, p);
			} else
				uma_zfree(tz, mine[k]);
		}
		mine[k] = uma_zalloc(tz, M_WAITOK);
		*(uintptr_t *)mine[k] = me;
		p = kern_malloc(i & 1023, M_TEMP, M_WAITOK);
		kern_free(p, M_TEMP);
	}
	for (k = 0; k < 32; k++)
		uma_zfree(tz, mine[k]);
	return (NULL);
}

/*
 * A drainer racing the owners: it empties every hart's buckets of the
 * zones (the busy-marker swap against the owners' fast paths) and trims
 * the depots and slabs, over and over, until the hammers are done.
 */
static _Atomic bool t_done;

static void *
drainer(void *arg)
{
	u_long rounds;

	(void)arg;
	host_thread_register();
	for (rounds = 0; !atomic_load(&t_done); rounds++) {
		uma_zone_reclaim(tz, UMA_RECLAIM_DRAIN_CPU);
		if ((rounds & 7) == 0)
			uma_reclaim(UMA_RECLAIM_TRIM);
	}
	return ((void *)rounds);
}

static void
test_threads(int n)
{
	pthread_t t[8], d;
	u_int before, after;
	void *p, *rounds;
	int i;

	before = settled_free();
	tz = uma_zcreate("threads", 40, NULL, NULL, NULL, NULL, 0, 0);
	atomic_store(&t_done, false);
	pthread_create(&d, NULL, drainer, NULL);
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, hammer, (void *)(uintptr_t)(i + 1));
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	atomic_store(&t_done, true);
	pthread_join(d, &rounds);
	for (i = 0; i < 64; i++)
		if ((p = atomic_exchange(&ring[i], NULL)) != NULL)
			uma_zfree(tz, p);
	ok(atomic_load(&t_errors) == 0 && uma_zone_get_cur(tz) == 0,
	    "%d threads and a drainer (%lu drains): owner stamps intact, "
	    "cross-thread frees, count 0", n, (u_long)(uintptr_t)rounds);
	uma_zdestroy(tz);
	after = settled_free();
	ok(after == before, "after the threads and the drainer, every page "
	    "is back (%u -> %u free pages)", before, after);
}

int
main(int argc, char **argv)
{
	int nd;

	nd = argc > 1 ? atoi(argv[1]) : 2;
	boot(nd);
	if (argc > 2) {
		test_threads(2 * nd - 1);
		return (tap_done());
	}
	test_model();
	test_callbacks();
	test_limits();
	test_limit_sleep();
	test_reserve();
	test_reclaim();
	test_malloc9();
	test_libc();
	test_bad_frees();
	test_busy_slot();
	test_policies();
	test_cross_domain_free();
	test_fault_injection();
	test_threads(2 * nd - 1);
	return (tap_done());
}
