/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UMA's less travelled paths on the host twin (host/uma and
 * host/uma_edges cover the common ones), each checked by what it must
 * leave behind:
 *  - bad zone arguments; M_NOVM never makes a slab;
 *  - the depot: full buckets go there and come back; a drain frees the
 *    empty ones;
 *  - UMA_ZONE_ZINIT zeroes an item each time it leaves its slab, with and
 *    without buckets; an init that fails while a bucket fills keeps that
 *    item out of the bucket (and its fini never runs);
 *  - page shortage (vm_page_fail_after): a zone at a limit gives its count
 *    back when the slabs fail; M_WAITOK waits once and retries; an empty
 *    slab list takes items back from the harts' buckets before failing;
 *    uma_prealloc retries;
 *  - busy bucket slots (an interrupted owner): frees and allocations go
 *    to the slabs, a drain skips the slot;
 *  - a FIRSTTOUCH item freed on a hart of another domain goes back to
 *    its own domain's slab; a one-item slab; NOFREE and reserve zones
 *    keep their slabs through a drain;
 *  - a dtor runs on every free (the fast path steps aside); a ctor that
 *    fails while the slot is busy sends its item back to the slab; with
 *    no page for buckets, allocations and frees use the slabs directly;
 *  - every misuse of uma_zfree_arg panics naming the item and why.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <kmem.h>
#include <kmem/uma.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"
#include "expect_panic.h"
#include "uma_int.h"

#define INIT_STAMP	0x1417a11dU

/*
 * The init hook fails for every init_every-th item (0: never) and stamps
 * the others; the fini hook counts the stamped items it sees.
 */
static int inits, finis, stamped, init_every;
static const char zeros[256];

static int
zinit(void *mem, int size, int flags)
{

	(void)size;
	(void)flags;
	if (init_every != 0 && ++inits % init_every == 0)
		return (ENOMEM);
	*(uint32_t *)mem = INIT_STAMP;
	return (0);
}

static void
zfini(void *mem, int size)
{

	(void)size;
	finis++;
	stamped += *(uint32_t *)mem == INIT_STAMP;
}

static u_long
zone_slab_count(uma_zone_t z)
{
	u_long total, free;

	uma_zone_slabs(z, &total, &free);
	return (total);
}

/* The process's first malloc(9) block is large: the zones come later. */
static void
first_malloc_after_large(void)
{
	void *big, *p;
	bool none;

	none = kmem_zone_for(40) == NULL;
	big = kern_malloc(3 * KMEM_ZMAX, M_TEMP, M_WAITOK);
	none = none && kmem_zone_for(40) == NULL;
	p = kern_malloc(40, M_TEMP, M_NOWAIT);
	ok(none && big != NULL && p != NULL && kern_malloc_usable_size(p) ==
	    64, "a large block makes no zone; the next small one, on the fast "
	    "path's flags, makes them");
	kern_free(p, M_TEMP);
	kern_free(big, M_TEMP);
}

static void
bad_args_and_novm(void)
{
	uma_zone_t z;
	void *p;

	ok(uma_zcreate(NULL, 64, NULL, NULL, NULL, NULL, 0, 0) == NULL &&
	    uma_zcreate("x", 0, NULL, NULL, NULL, NULL, 0, 0) == NULL &&
	    uma_zcreate("x", UMA_MAX_ITEM + 1, NULL, NULL, NULL, NULL, 0, 0) ==
	    NULL && uma_zcreate("x", 64, NULL, NULL, NULL, NULL, -2, 0) ==
	    NULL && uma_zcreate("x", 64, NULL, NULL, NULL, NULL, 2, 0) ==
	    NULL && uma_zcreate("x", 64, NULL, NULL, NULL, NULL,
	    2 * PAGE_SIZE - 1, 0) == NULL, "no name, size 0 or too big, a bad "
	    "alignment or one above a page: NULL");
	z = uma_zcreate("paths-novm", 64, NULL, NULL, NULL, NULL, 0, 0);
	p = uma_zalloc(z, M_NOWAIT | M_NOVM);
	ok(p == NULL && zone_slab_count(z) == 0, "M_NOVM on a zone without "
	    "slabs: NULL, no slab made");
	p = uma_zalloc(z, M_NOWAIT);
	ok(p != NULL && zone_slab_count(z) == 1, "without M_NOVM: an item");
	uma_zfree(z, p);
	uma_zdestroy(z);
}

static void
depot_round_trip(void)
{
	uma_zone_t z;
	void *a[300];
	int i, d, dup;
	u_int nfull;

	z = uma_zcreate("paths-depot", 64, NULL, NULL, NULL, NULL, 0, 0);
	d = md_cpu_domain(kmem_cpuid());
	for (i = 0; i < 300; i++)
		a[i] = uma_zalloc(z, M_WAITOK);
	for (i = 0; i < 300; i++)
		uma_zfree(z, a[i]);
	nfull = z->uz_dom[d].ud_nfull;
	ok(nfull >= 4 && uma_zone_get_cur(z) == 0, "300 frees put %u full "
	    "buckets in the depot", nfull);
	for (i = 0; i < 300; i++)
		a[i] = uma_zalloc(z, M_WAITOK);
	for (i = dup = 0; i < 300; i++)
		dup += a[i] == NULL || (i > 0 && a[i] == a[i - 1]);
	ok(dup == 0 && z->uz_dom[d].ud_nfull < nfull &&
	    z->uz_dom[d].ud_nempty > 0 && uma_zone_get_cur(z) == 300,
	    "300 allocations take the full buckets back (%u left, %u empty)",
	    z->uz_dom[d].ud_nfull, z->uz_dom[d].ud_nempty);
	uma_zone_reclaim(z, UMA_RECLAIM_DRAIN);
	ok(z->uz_dom[d].ud_nfull == 0 && z->uz_dom[d].ud_nempty == 0 &&
	    uma_zone_get_cur(z) == 300, "UMA_RECLAIM_DRAIN frees the depot's "
	    "empty buckets; the 300 items stay out");
	for (i = 0; i < 300; i++)
		uma_zfree(z, a[i]);
	uma_zone_reclaim(z, UMA_RECLAIM_DRAIN);
	ok(z->uz_dom[d].ud_nfull == 0 && z->uz_dom[d].ud_nempty == 0 &&
	    uma_zone_get_cur(z) == 0, "after the frees a drain empties the "
	    "depot again");
	uma_zdestroy(z);
}

static void
zinit_zones(void)
{
	uma_zone_t z;
	uint32_t flags;
	void *p, *q[40];
	int k, i, bad;

	for (k = 0; k < 2; k++) {
		flags = UMA_ZONE_ZINIT | (k == 0 ? UMA_ZONE_NOBUCKET : 0);
		z = uma_zcreate("paths-zinit", 200, NULL, NULL,
		    k == 0 ? zinit : NULL, NULL, 0, flags);
		p = uma_zalloc(z, M_WAITOK);
		memset(p, 0x5a, 200);
		uma_zfree(z, p);
		uma_zone_reclaim(z, UMA_RECLAIM_DRAIN_CPU);
		for (i = bad = 0; i < 40; i++) {
			q[i] = uma_zalloc(z, M_WAITOK);
			bad += memcmp(q[i], zeros, 200) != 0;
			memset(q[i], 0x5a, 200);
		}
		for (i = 0; i < 40; i++)
			uma_zfree(z, q[i]);
		ok(bad == 0, "UMA_ZONE_ZINIT%s: 40 items come zeroed, after "
		    "their memory was written and drained",
		    k == 0 ? " (no buckets, an init)" : "");
		uma_zdestroy(z);
	}
}

static void
init_fails_in_fill(void)
{
	uma_zone_t z;
	void *a[100];
	int i, got;

	inits = finis = stamped = 0;
	init_every = 3;
	z = uma_zcreate("paths-init3", 96, NULL, NULL, zinit, zfini, 0, 0);
	for (i = got = 0; i < 100; i++)
		got += (a[i] = uma_zalloc(z, M_WAITOK)) != NULL &&
		    *(uint32_t *)a[i] == INIT_STAMP;
	for (i = 0; i < 100; i++)
		uma_zfree(z, a[i]);
	uma_zone_reclaim(z, UMA_RECLAIM_DRAIN_CPU);
	ok(got == 100 && finis == inits - inits / 3 && stamped == finis &&
	    uma_zone_get_cur(z) == 0, "an init failing for every third item: "
	    "100 items, each one whose init ran, and a fini for each of the "
	    "%d inits that succeeded (%d)", inits - inits / 3, finis);
	init_every = 0;
	uma_zdestroy(z);
}

static void
limit_under_shortage(void)
{
	uma_zone_t z;
	void *a[12];
	int i, n;

	z = uma_zcreate("paths-limit", 128, NULL, NULL, zinit, NULL, 0,
	    UMA_ZONE_NOBUCKET);
	uma_zone_set_max(z, 10);
	vm_page_fail_after(0, true);
	a[0] = uma_zalloc(z, M_NOWAIT);
	vm_page_fail_after(-1, false);
	ok(a[0] == NULL, "a zone at a limit with no page to be had: NULL");
	init_every = 1;
	a[0] = uma_zalloc(z, M_NOWAIT);
	init_every = 0;
	ok(a[0] == NULL, "a zone at a limit whose init fails: NULL");
	for (n = 0; n < 12 && (a[n] = uma_zalloc(z, M_NOWAIT)) != NULL; n++)
		;
	ok(n == 10 && uma_zone_get_cur(z) == 10, "neither failure kept a "
	    "count: 10 items, then NULL (%d)", n);
	for (i = 0; i < n; i++)
		uma_zfree(z, a[i]);
	uma_zdestroy(z);
}

/* Pages come back after a while: another thread ends the refusal. */
static void *
pages_back_later(void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	(void)arg;
	nanosleep(&ts, NULL);
	vm_page_fail_after(-1, false);
	return (NULL);
}

static void
waitok_under_shortage(void)
{
	pthread_t t;
	uma_zone_t z;
	void *p, *q;
	long counted;
	int d;

	z = uma_zcreate("paths-wait", 128, NULL, NULL, NULL, NULL, 0,
	    UMA_ZONE_NOBUCKET);
	vm_page_fail_after(0, true);
	pthread_create(&t, NULL, pages_back_later, NULL);
	p = uma_zalloc(z, M_WAITOK);
	pthread_join(t, NULL);
	ok(p != NULL, "M_WAITOK in any domain while every page is refused: "
	    "it retries until pages come back");
	d = (vm_phys_domain(DMAP_TO_PHYS((vm_offset_t)p)) + 1) % vm_ndomains;
	vm_page_fail_after(0, false);
	q = uma_zalloc_domain(z, NULL, d, M_WAITOK);
	counted = vm_page_fail_after(-1, false);
	ok(q != NULL && counted == 2 && vm_phys_domain(DMAP_TO_PHYS(
	    (vm_offset_t)q)) == d, "M_WAITOK in the other domain when a "
	    "slab's page is refused once: it waits and retries (%ld page "
	    "allocations)", counted);
	ok(uma_zalloc_domain(z, NULL, d, 0) == NULL && uma_zalloc_domain(z,
	    NULL, d, M_NOWAIT | M_WAITOK) == NULL, "uma_zalloc_domain without "
	    "exactly one of M_NOWAIT, M_WAITOK: NULL");
	uma_zfree(z, p);
	uma_zfree(z, q);
	uma_zdestroy(z);
}

static void
drain_before_failing(void)
{
	uma_zone_t z;
	static void *a[4096];
	void *p;
	int d, i, n;

	z = uma_zcreate("paths-drain", 512, NULL, NULL, NULL, NULL, 0, 0);
	d = md_cpu_domain(kmem_cpuid());
	p = uma_zalloc(z, M_WAITOK);		/* this hart's buckets exist */
	uma_zfree(z, p);
	vm_page_fail_after(0, true);
	for (n = 0; n < 4096 && (a[n] = uma_zalloc_domain(z, NULL, d,
	    M_NOWAIT)) != NULL; n++)
		;
	uma_zfree(z, a[--n]);			/* to this hart's bucket */
	p = uma_zalloc_domain(z, NULL, d, M_NOWAIT);
	vm_page_fail_after(-1, false);
	ok(n > 0 && p == a[n], "no page and no free item in the slabs: the "
	    "item in a hart's bucket is taken back (%d items)", n);
	uma_zfree(z, p);
	for (i = 0; i < n; i++)
		uma_zfree(z, a[i]);
	uma_zdestroy(z);
}

static void
prealloc_retries(void)
{
	uma_zone_t z;

	z = uma_zcreate("paths-prealloc", 1024, NULL, NULL, NULL, NULL, 0, 0);
	vm_page_fail_after(0, false);
	uma_prealloc(z, 4 * (int)z->uz_ipers);
	vm_page_fail_after(-1, false);
	ok(zone_slab_count(z) == 4, "uma_prealloc with a page refused once "
	    "still makes its 4 slabs (%lu)", zone_slab_count(z));
	uma_zdestroy(z);
}

static void
busy_slots(void)
{
	struct uma_cache *c;
	uma_zone_t z;
	uintptr_t h, f;
	void *a[40], *p;
	u_long out;
	int i;

	z = uma_zcreate("paths-busy", 48, NULL, NULL, NULL, NULL, 0, 0);
	c = &z->uz_cpu[kmem_cpuid()];
	for (i = 0; i < 40; i++)
		a[i] = uma_zalloc(z, M_WAITOK);
	for (i = 0; i < 40; i++)
		uma_zfree(z, a[i]);
	/* The alloc bucket is full now; a busy free slot sends a free on. */
	for (i = 0; i < UMA_BUCKET_ITEMS; i++)
		a[i] = uma_zalloc(z, M_WAITOK);
	p = uma_zalloc(z, M_WAITOK);
	for (i = 0; i < UMA_BUCKET_ITEMS; i++)
		uma_zfree(z, a[i]);
	f = slot_take(&c->uc_free);
	h = atomic_load(&c->uc_alloc);
	out = z->uz_dom[c->uc_domain].ud_out;
	uma_zfree_arg(z, p, NULL);
	uma_zfree_arg(z, NULL, NULL);
	ok(atomic_load(&c->uc_alloc) == h && ub_miss(h) &&
	    z->uz_dom[c->uc_domain].ud_out == out - 1, "a full alloc bucket "
	    "and a busy free slot: the free goes to the slab");
	uma_zone_reclaim(z, UMA_RECLAIM_DRAIN_CPU);
	ok(atomic_load(&c->uc_free) == UB_BUSY &&
	    atomic_load(&c->uc_alloc) == UB_NONE, "a drain skips the busy "
	    "slot and empties the other");
	p = uma_zalloc(z, M_WAITOK);
	ok(p != NULL && atomic_load(&c->uc_free) == UB_BUSY, "an empty alloc "
	    "slot and a busy free one: the allocation fills a bucket");
	slot_give(&c->uc_free, f);
	uma_zfree(z, p);
	uma_zone_reclaim(z, UMA_RECLAIM_DRAIN_CPU);
	ok(uma_zone_get_cur(z) == 0, "the slot given back: nothing lost");
	uma_zdestroy(z);
}

static void
firsttouch_and_slabs(void)
{
	uma_zone_t z;
	void *p, *q;
	u_long s0;
	int d, other, i;
	void *a[64];

	z = uma_zcreate("paths-ft", 64, NULL, NULL, NULL, NULL, 0, 0);
	d = md_cpu_domain(kmem_cpuid());
	other = (d + 1) % vm_ndomains;
	p = uma_zalloc_domain(z, NULL, other, M_NOWAIT);
	uma_zfree(z, p);
	ok(p != NULL && z->uz_dom[other].ud_out == 0, "an item of domain %d "
	    "freed on a hart of domain %d goes straight back to its slab",
	    other, d);
	uma_zdestroy(z);

	z = uma_zcreate("paths-big", 60 * 1024, NULL, NULL, NULL, NULL, 0,
	    UMA_ZONE_NOBUCKET);
	p = uma_zalloc(z, M_WAITOK);
	q = uma_zalloc(z, M_WAITOK);
	ok(z->uz_ipers == 1 && p != q && zone_slab_count(z) == 2, "60 KiB "
	    "items: one per slab, two slabs (%u per slab)", z->uz_ipers);
	uma_zfree(z, p);
	uma_zfree(z, q);
	uma_zdestroy(z);

	z = uma_zcreate("paths-nofree", 512, NULL, NULL, NULL, NULL, 0,
	    UMA_ZONE_NOFREE);
	for (i = 0; i < 64; i++)
		a[i] = uma_zalloc(z, M_WAITOK);
	s0 = zone_slab_count(z);
	for (i = 0; i < 64; i++)
		uma_zfree(z, a[i]);
	uma_zone_reclaim(z, UMA_RECLAIM_DRAIN_CPU);
	ok(s0 >= 2 && zone_slab_count(z) == s0 && uma_zone_get_cur(z) == 0,
	    "UMA_ZONE_NOFREE keeps its %lu slabs through a drain", s0);
	uma_zdestroy(z);

	z = uma_zcreate("paths-reserve", 512, NULL, NULL, NULL, NULL, 0,
	    UMA_ZONE_NOBUCKET);
	uma_zone_reserve(z, 2 * (int)z->uz_ipers);
	uma_prealloc(z, 2 * (int)z->uz_ipers);
	s0 = zone_slab_count(z);
	for (i = 0; i < 64; i++)
		a[i] = uma_zalloc(z, M_NOWAIT | M_USE_RESERVE);
	for (i = 0; i < 64; i++)
		uma_zfree(z, a[i]);
	uma_zone_reclaim(z, UMA_RECLAIM_DRAIN);
	ok(s0 >= 2 && zone_slab_count(z) >= 2, "a reserve of two slabs' "
	    "items keeps two slabs through frees and a drain (%lu)",
	    zone_slab_count(z));
	uma_zdestroy(z);
}

static int ctors, dtors;
static bool ctor_fails;

static int
zctor(void *mem, int size, void *arg, int flags)
{

	(void)mem;
	(void)size;
	(void)arg;
	(void)flags;
	ctors++;
	return (ctor_fails ? ENOMEM : 0);
}

static void
zdtor(void *mem, int size, void *arg)
{

	(void)mem;
	(void)size;
	(void)arg;
	dtors++;
}

/* A dtor runs on every free; a failing ctor with a busy slot. */
static void
ctor_dtor_paths(void)
{
	struct uma_cache *c;
	uma_zone_t z;
	uintptr_t h;
	u_long out;
	void *p;
	int i, other;

	z = uma_zcreate("paths-dtor", 64, NULL, zdtor, NULL, NULL, 0, 0);
	for (i = 0; i < 10; i++) {
		p = uma_zalloc(z, M_WAITOK);
		if (i % 2 == 0)
			uma_zfree(z, p);
		else
			uma_zfree_arg(z, p, &i);
	}
	ok(dtors == 10 && uma_zone_get_cur(z) == 0, "a zone with a dtor: it "
	    "runs on each of 10 frees (%d)", dtors);
	uma_zdestroy(z);

	z = uma_zcreate("paths-ctor", 64, zctor, NULL, NULL, NULL, 0, 0);
	p = uma_zalloc(z, M_WAITOK);
	uma_zfree(z, p);
	c = &z->uz_cpu[kmem_cpuid()];
	h = slot_take(&c->uc_alloc);
	out = z->uz_dom[c->uc_domain].ud_out;
	ctor_fails = true;
	p = uma_zalloc(z, M_NOWAIT);
	ctor_fails = false;
	ok(p == NULL && z->uz_dom[c->uc_domain].ud_out == out, "a ctor that "
	    "fails with this hart's slot busy: NULL, the item back in its "
	    "slab");
	slot_give(&c->uc_alloc, h);
	other = (c->uc_domain + 1) % (u_int)vm_ndomains;
	out = z->uz_dom[other].ud_out;
	ctor_fails = true;
	p = uma_zalloc_domain(z, NULL, other, M_NOWAIT);
	ctor_fails = false;
	ok(p == NULL && z->uz_dom[other].ud_out == out, "a ctor that fails "
	    "for an item of domain %d: NULL, the item back in its own slab",
	    other);
	uma_zdestroy(z);
}

/*
 * No page for new buckets: once the bucket zone's free items are gone,
 * allocations and frees go to the slabs directly.
 */
static void
bucket_shortage(void)
{
	uma_zone_t z[40];
	void *p[40];
	int i, got;

	for (i = 0; i < 40; i++) {
		z[i] = uma_zcreate("paths-nobucket", 64, NULL, NULL, NULL, NULL,
		    0, 0);
		uma_prealloc(z[i], 1);
	}
	vm_page_fail_after(0, true);
	for (i = got = 0; i < 40; i++)
		got += (p[i] = uma_zalloc(z[i], M_NOWAIT)) != NULL;
	for (i = 0; i < 40; i++)
		uma_zfree(z[i], p[i]);
	vm_page_fail_after(-1, false);
	ok(got == 40 && atomic_load(&z[39]->uz_cpu[kmem_cpuid()].uc_alloc) ==
	    UB_NONE && uma_zone_get_cur(z[39]) == 0, "40 zones' first items "
	    "with no page for buckets: all allocated and freed, the last "
	    "zones without a bucket");
	for (i = 0; i < 40; i++)
		uma_zdestroy(z[i]);
}

static void
zfree_arg_misuse(void)
{
	uma_zone_t z, z2;
	char a[32], *p, *big, *alias;
	int local;

	z = uma_zcreate("paths-misuse", 64, NULL, NULL, NULL, NULL, 0, 0);
	z2 = uma_zcreate("paths-other", 64, NULL, NULL, NULL, NULL, 0, 0);
	p = uma_zalloc(z, M_WAITOK);
	big = kern_malloc(100000, M_TEMP, M_WAITOK);
	EXPECT_PANIC(uma_zfree_arg(z, &local, NULL), "uma_zfree_arg",
	    "not in a UMA slab page", "uma_zfree_arg of a stack address");
	EXPECT_PANIC(uma_zfree_arg(z, big, NULL), "uma_zfree_arg",
	    "not in a UMA slab page", "uma_zfree_arg of a large malloc block");
	EXPECT_PANIC(uma_zfree_arg(z2, p, NULL), expect_hex(a, sizeof(a),
	    (u_long)p), "not of zone paths-other", "uma_zfree_arg to another "
	    "zone");
	EXPECT_PANIC(uma_zfree_arg(z, p + 8, NULL), "uma_zfree_arg",
	    "not the start of an item", "uma_zfree_arg of an inner pointer");
	uma_zfree_arg(z, p, NULL);
	EXPECT_PANIC(uma_zfree_arg(z, p, NULL), "uma_zfree_arg",
	    "already free", "uma_zfree_arg twice");
	EXPECT_PANIC(uma_zfree(z, big), "uma_zfree_arg",
	    "not in a UMA slab page", "uma_zfree of a large malloc block");
	alias = (char *)PHYS_TO_DMAP(pmap_kextract((vm_offset_t)big));
	EXPECT_PANIC(uma_zfree(z, alias), "uma_zfree_arg",
	    "not in a UMA slab page", "uma_zfree of a large block's first "
	    "page through the direct map");
	EXPECT_PANIC(uma_zfree_arg(z, alias, NULL), "uma_zfree_arg",
	    "not in a UMA slab page", "uma_zfree_arg of the same");
	p = uma_zalloc(z, M_WAITOK);
	EXPECT_PANIC(uma_zfree(z, p + 16), "uma_zfree_arg",
	    "not the start of an item", "uma_zfree of an inner pointer");
	uma_zfree(z, p);
	kern_free(big, M_TEMP);
	uma_zdestroy(z);
	uma_zdestroy(z2);
}

int
main(void)
{
	struct fdt_machine m;

	ok(host_boot(&m, 2) == 0, "kmem boots on 2 domains");
	first_malloc_after_large();
	bad_args_and_novm();
	depot_round_trip();
	zinit_zones();
	init_fails_in_fill();
	limit_under_shortage();
	waitok_under_shortage();
	drain_before_failing();
	prealloc_retries();
	busy_slots();
	firsttouch_and_slabs();
	ctor_dtor_paths();
	bucket_shortage();
	zfree_arg_misuse();
	return (tap_done());
}
