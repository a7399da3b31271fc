/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fault injection into vmem's own allocations (vmem_fail_after): an
 * arena's boundary-tag fill from the tag pool, the pool's refill from the
 * backend, a new busy hash table.  An arena workload (a parent with static
 * spans added as it goes, a child importing spans from it, quantum-cached
 * and constrained allocations, enough busy segments that the parent's
 * hash grows and shrinks again; a backend that takes its addresses from
 * an arena too, as kmem's does) runs once to count those allocations,
 * then once for every N with the N-th refused, and once for every N with
 * the N-th and every later one refused.  After each run: every call
 * answered 0 or ENOMEM, what succeeded is distinct, both arenas pass
 * vmem_check with free + allocated equal to the spans they were given
 * (the parent: what vmem_add accepted; the child: what it imported),
 * every span goes back, no tag is lost (the pool, the arenas' caches and
 * their segments hold every tag ever made) and no backend page is lost
 * (all are back but the tag and magazine pages, which vmem keeps).
 * Then the answers that cannot be returned: an M_WAITOK allocation with
 * no tag to be had panics naming the arena; vmem_create, vmem_add and an
 * import without tags undo what they did.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <kmem.h>
#include <kmem/fault.h>
#include "host.h"
#include "tap.h"
#include "expect_panic.h"
#include "../../src/vmem_private.h"

#define Q	16UL
#define BASE	0x10000000UL
#define SIZE0	(64UL << 10)		/* the parent's first span */
#define NSEG	420
#define VMEM_BT_BOOT_TAGS 256		/* src/vmem.c's boot array */
#define VMEM_BT_LOWAT	96		/* and its pool's refill mark */

static long be_out;			/* backend bytes not given back */
static vmem_size_t tag_size;		/* bytes per boundary tag */
static vmem_size_t hash_peak;		/* the parent's biggest hash */

/*
 * The backend also takes the address range of what it hands out from an
 * arena, as kmem's does (KVA for the pages), and through vmem_xalloc's
 * general path: so a tag-pool refill's own backend call comes back into
 * vmem while the refill runs, and a refused tag fill there fails the
 * backend call.
 */
static struct vmem be_arena_store;
static vmem_t *be_arena;

static void *
tf_alloc(vmem_size_t size, int flags)
{
	vmem_addr_t va;
	void *p;

	(void)flags;
	p = aligned_alloc(PAGE_SIZE, size);
	if (p != NULL && be_arena != NULL && vmem_xalloc(be_arena, size, 0,
	    0, 0, (vmem_addr_t)p, (vmem_addr_t)p + size - 1, M_NOWAIT, &va) !=
	    0) {
		free(p);
		p = NULL;
	}
	if (p != NULL)
		be_out += (long)size;
	return (p);
}

static void
tf_free(void *p, vmem_size_t size)
{

	be_out -= (long)size;
	if (be_arena != NULL)
		vmem_xfree(be_arena, (vmem_addr_t)p, size);
	free(p);
}

/*
 * Set to an arena: the next import first takes that arena's cached tags
 * down below what an operation needs, as another hart allocating from it
 * while the import runs would, with every tag fill refused from then on.
 */
static vmem_t *tf_squeeze;
static vmem_addr_t squeezed[16];
static int nsqueezed;

static int
tf_import(void *arg, vmem_size_t size, int flags, vmem_addr_t *addrp)
{
	vmem_t *vm;

	if ((vm = tf_squeeze) != NULL) {
		tf_squeeze = NULL;
		(void)vmem_fail_after(0, true);
		for (nsqueezed = 0; nsqueezed < 16 && vmem_alloc(vm, Q,
		    M_NOWAIT | M_BESTFIT, &squeezed[nsqueezed]) == 0;
		    nsqueezed++)
			;
	}
	return (vmem_xalloc(arg, size, 0, 0, 0, VMEM_ADDR_MIN, VMEM_ADDR_MAX,
	    (flags & M_NOWAIT) | M_BESTFIT, addrp));
}

static long releases;

static void
tf_release(void *arg, vmem_addr_t addr, vmem_size_t size)
{

	releases++;
	vmem_xfree(arg, addr, size);
}

/* ------------------------------------------------------------ census */

/* Tags the pool, every arena's cache and every segment list hold. */
static void
count_arena(vmem_t *vm, void *arg)
{
	struct vmem_stats vs;

	vmem_get_stats(vm, &vs);
	*(unsigned long *)arg += vs.vs_cachedtags + vs.vs_nbusy +
	    vs.vs_nfree + vs.vs_nspans;
}

static unsigned long
tags_held(void)
{
	unsigned long n;

	n = vmem_bt_pool_count();
	vmem_foreach(count_arena, &n);
	return (n);
}

struct walk_sum {
	vmem_size_t	span, freeb, busy;
};

static void
walk_sum(void *arg, int type, vmem_addr_t start, vmem_size_t size)
{
	struct walk_sum *w = arg;

	(void)start;
	if (type == VMEM_SEG_FREE)
		w->freeb += size;
	else if (type == VMEM_SEG_BUSY)
		w->busy += size;
	else
		w->span += size;
}

/*
 * vm passes vmem_check and its segments tile spans of exactly want bytes
 * (free + allocated); busy its allocated bytes.
 */
static bool
arena_whole(vmem_t *vm, vmem_size_t want, vmem_size_t busy, const char **why)
{
	static char buf[160];
	struct walk_sum w = { 0, 0, 0 };

	if (vmem_check(vm, buf, sizeof(buf)) != 0) {
		*why = buf;
		return (false);
	}
	vmem_walk(vm, walk_sum, &w);
	if (w.span != want || w.freeb + w.busy != want || w.busy != busy ||
	    vmem_size(vm, VMEM_ALLOC | VMEM_FREE) != want) {
		snprintf(buf, sizeof(buf), "arena \"%s\": spans 0x%lx, free "
		    "0x%lx + busy 0x%lx, expected 0x%lx with 0x%lx busy",
		    vm->vm_name, (u_long)w.span, (u_long)w.freeb,
		    (u_long)w.busy, (u_long)want, (u_long)busy);
		*why = buf;
		return (false);
	}
	return (true);
}

/* ------------------------------------------------------------ the run */

static struct {
	vmem_t		*vm;
	vmem_addr_t	a;
	vmem_size_t	size;
	bool		x;		/* vmem_xalloc: vmem_xfree */
} seg[NSEG];
static int nseg;
static vmem_addr_t sorted[NSEG][2];

static int
range_cmp(const void *x, const void *y)
{
	const vmem_addr_t a = *(const vmem_addr_t *)x,
	    b = *(const vmem_addr_t *)y;

	return (a < b ? -1 : a > b);
}

/* Record an answer: 0 keeps the segment, ENOMEM is allowed. */
static bool
answer(int rv, vmem_t *vm, vmem_addr_t a, vmem_size_t size, bool x,
    int *nfailed)
{

	if (rv == ENOMEM) {
		(*nfailed)++;
		return (true);
	}
	if (rv != 0)
		return (false);
	seg[nseg].vm = vm;
	seg[nseg].a = a;
	seg[nseg].size = size;
	seg[nseg].x = x;
	nseg++;
	return (true);
}

static void
free_seg(int i)
{

	if (seg[i].x)
		vmem_xfree(seg[i].vm, seg[i].a, seg[i].size);
	else
		vmem_free(seg[i].vm, seg[i].a, seg[i].size);
	seg[i] = seg[--nseg];
}

static bool
live_distinct(void)
{
	int i;

	for (i = 0; i < nseg; i++) {
		sorted[i][0] = seg[i].a;
		sorted[i][1] = seg[i].a + seg[i].size;
	}
	qsort(sorted, (size_t)nseg, sizeof(sorted[0]), range_cmp);
	for (i = 1; i < nseg; i++)
		if (sorted[i][0] < sorted[i - 1][1])
			return (false);
	return (true);
}

static vmem_size_t
live_bytes(vmem_t *vm)
{
	vmem_size_t n;
	int i;

	n = 0;
	for (i = 0; i < nseg; i++)
		if (seg[i].vm == vm)
			n += seg[i].size;
	return (n);
}

/*
 * One run.  Returns false with *why set if something broke; *nfailed
 * counts the calls that answered ENOMEM.
 */
static bool
scenario(const char **why, int *nfailed)
{
	struct vmem_stats vs;
	vmem_t *parent, *child, *vm;
	vmem_size_t added, size;
	vmem_addr_t a, end;
	int i, rv;

	*nfailed = 0;
	nseg = 0;
	parent = vmem_create("tf-parent", BASE, SIZE0, Q, 4 * Q, M_NOWAIT);
	if (parent == NULL) {
		(*nfailed)++;
		return (true);
	}
	added = SIZE0;
	end = BASE + SIZE0;
	child = vmem_create("tf-child", 0, 0, Q, 0, M_NOWAIT);
	if (child == NULL) {
		(*nfailed)++;
		vmem_destroy(parent);
		return (true);
	}
	vmem_set_import(child, tf_import, tf_release, parent, 64 * Q);
	for (i = 0; i < NSEG - 10; i++) {
		if (i % 60 == 30) {
			/* A span that extends the last one, or one apart. */
			a = i % 120 == 30 ? end : (vmem_addr_t)i << 20;
			rv = vmem_add(parent, a, 8UL << 10, M_NOWAIT);
			if (rv == 0) {
				added += 8UL << 10;
				if (a == end)
					end += 8UL << 10;
			} else if (rv != ENOMEM) {
				*why = "vmem_add answered neither 0 nor ENOMEM";
				return (false);
			}
		}
		size = Q * (vmem_size_t)(1 + i % 9);
		vm = i % 4 == 3 ? child : parent;
		if (i % 11 == 5)
			rv = vmem_xalloc(vm, size, 4 * Q, Q, 64 * Q,
			    VMEM_ADDR_MIN, VMEM_ADDR_MAX, M_NOWAIT | M_BESTFIT,
			    &a);
		else
			rv = vmem_alloc(vm, size, M_NOWAIT | (i % 2 ?
			    M_BESTFIT : M_FIRSTFIT), &a);
		if (!answer(rv, vm, a, size, i % 11 == 5, nfailed)) {
			*why = "an allocation answered neither 0 nor ENOMEM";
			return (false);
		}
		/* Holes, so that later allocations clip free segments. */
		if (i % 5 == 4 && nseg > 3)
			free_seg(nseg - 3);
	}
	if (!live_distinct()) {
		*why = "two live segments overlap";
		return (false);
	}
	vmem_drain(parent);
	vmem_get_stats(parent, &vs);
	if (vs.vs_hashsize > hash_peak)
		hash_peak = vs.vs_hashsize;
	vmem_get_stats(child, &vs);
	tag_size = vs.vs_tagsize;
	if (!arena_whole(parent, added, live_bytes(parent) + vs.vs_imported,
	    why) || !arena_whole(child, vs.vs_imported, live_bytes(child), why))
		return (false);
	while (nseg > 0)
		free_seg(nseg / 2);
	vmem_drain(parent);
	if (!arena_whole(child, 0, 0, why))
		return (false);
	vmem_destroy(child);
	if (!arena_whole(parent, added, 0, why))
		return (false);
	vmem_get_stats(parent, &vs);
	if (vs.vs_hashsize != VMEM_HASH0_SIZE) {
		*why = "the parent's hash did not shrink back";
		return (false);
	}
	vmem_destroy(parent);
	return (true);
}

/*
 * The backend bytes of vm's busy hash table (0 while it is the one in
 * struct vmem).  The hog's and the backend arena's grow with them, and
 * count beside the tag and magazine pages.
 */
static vmem_t *hog;
static long tables0, hog_table0;

static long
hash_bytes(vmem_t *vm)
{
	struct vmem_stats vs;

	if (vm == NULL)
		return (0);
	vmem_get_stats(vm, &vs);
	if (vs.vs_hashsize == VMEM_HASH0_SIZE)
		return (0);
	return ((long)round_page(vs.vs_hashsize * sizeof(void *)));
}

static long
tables_grown(void)
{

	return (hash_bytes(hog) + hash_bytes(be_arena) - tables0);
}

/*
 * After a run: every tag ever made is in the pool or an arena, and the
 * backend has out exactly what it had plus the tag pages made since.
 */
static unsigned long total0, mags0;
static long out0;

static bool
nothing_lost(const char **why)
{
	static char buf[160];
	unsigned long total, held, per;
	long kept;

	total = vmem_bt_total();
	held = tags_held();
	per = PAGE_SIZE / tag_size;
	if (held != total) {
		snprintf(buf, sizeof(buf), "%lu tags held of %lu made",
		    held, total);
		*why = buf;
		return (false);
	}
	kept = (long)((total - total0) / per + vmem_mag_pages() - mags0) *
	    (long)PAGE_SIZE + tables_grown();
	if (be_out - out0 != kept) {
		snprintf(buf, sizeof(buf), "the backend has %ld bytes out, "
		    "%ld more than the tag and magazine pages made", be_out,
		    be_out - out0 - kept);
		*why = buf;
		return (false);
	}
	return (true);
}

/*
 * The hog holds tags (one busy segment each) so that the pool starts each
 * run just above the mark below which it is refilled from the backend:
 * the workload then refills it, and those refills are refused in turn.
 */
#define HOG_MAX		16384
static vmem_addr_t hogged[HOG_MAX];
static int nhogged;

static void
hog_pool(void)
{

	while (vmem_bt_pool_count() > VMEM_BT_LOWAT + 8 && nhogged < HOG_MAX &&
	    vmem_alloc(hog, Q, M_NOWAIT | M_FIRSTFIT, &hogged[nhogged]) == 0)
		nhogged++;
}

static void
sweep(bool sticky, long total)
{
	const char *why;
	long n, bad, lost, failing;
	int nfailed;

	bad = lost = failing = 0;
	for (n = 0; n < total; n++) {
		why = "";
		hog_pool();
		(void)vmem_fail_after(n, sticky);
		if (!scenario(&why, &nfailed) && bad++ < 3)
			diag("%s, N=%ld: %s", sticky ? "sticky" : "once", n,
			    why);
		(void)vmem_fail_after(-1, false);
		if (!nothing_lost(&why) && lost++ < 3)
			diag("%s, N=%ld: %s", sticky ? "sticky" : "once", n,
			    why);
		if (nfailed != 0)
			failing++;
	}
	ok(bad == 0, "%s: %ld runs, %s: every answer 0 or ENOMEM, segments "
	    "distinct, both arenas whole (%ld bad)", sticky ? "sticky" : "once",
	    total, sticky ? "the N-th and every later tag fill or hash table "
	    "refused" : "the N-th tag fill or hash table refused", bad);
	ok(lost == 0, "%s: no tag and no backend page lost in any run (%ld "
	    "lost)", sticky ? "sticky" : "once", lost);
	ok(failing > 0, "%s: in %ld runs a call answered ENOMEM",
	    sticky ? "sticky" : "once", failing);
}

/* ------------------------------------------------------------ the rest */

static void
waitok_alloc(void *arg)
{
	vmem_addr_t a;

	(void)vmem_xalloc(arg, Q, 0, 0, 0, VMEM_ADDR_MIN, VMEM_ADDR_MAX,
	    M_WAITOK | M_BESTFIT, &a);
}

static void
cannot_return(void)
{
	const char *why;
	vmem_t *vm, *child;
	vmem_addr_t a;
	long r;
	bool good;

	why = "";
	(void)vmem_fail_after(0, true);
	vm = vmem_create("tf-refused", BASE, SIZE0, Q, 0, M_NOWAIT);
	(void)vmem_fail_after(-1, false);
	good = nothing_lost(&why);
	ok(vm == NULL && good, "vmem_create with no tag for "
	    "its span: NULL, nothing kept %s", why);

	vm = vmem_create("tf-waitok", 0, 0, Q, 0, M_NOWAIT);
	(void)vmem_fail_after(0, true);
	ok(vmem_add(vm, BASE, SIZE0, M_NOWAIT) == ENOMEM &&
	    vmem_size(vm, VMEM_ALLOC | VMEM_FREE) == 0, "vmem_add with no "
	    "tag: ENOMEM, the arena still empty");
	ok(panics(waitok_alloc, vm, "vmem_xalloc", "tf-waitok",
	    "out of boundary tags"), "an M_WAITOK allocation with no tag to "
	    "be had panics: %s", panic_msg);
	(void)vmem_fail_after(-1, false);
	good = arena_whole(vm, 0, 0, &why);
	ok(good, "and leaves the arena whole %s", why);

	/*
	 * An import whose span finds no tag when it comes back (its arena's
	 * tags were used meanwhile, the pool refuses) gives the span back.
	 */
	ok(vmem_add(vm, BASE, SIZE0, M_NOWAIT) == 0, "the tags are back");
	child = vmem_create("tf-import", 0, 0, Q, 0, M_NOWAIT);
	vmem_set_import(child, tf_import, tf_release, vm, 64 * Q);
	ok(vmem_alloc(child, Q, M_NOWAIT | M_BESTFIT, &a) == 0 && a == BASE &&
	    vmem_size(vm, VMEM_ALLOC) == 64 * Q, "a child imports a span");
	releases = 0;
	tf_squeeze = child;
	r = vmem_alloc(child, 128 * Q, M_NOWAIT | M_BESTFIT, &a);
	(void)vmem_fail_after(-1, false);
	ok(r == ENOMEM && releases == 1 && vmem_size(vm, VMEM_ALLOC) == 64 * Q,
	    "a second import with no tag left for its span: ENOMEM, the span "
	    "went back to its source");
	r = vmem_alloc(child, 128 * Q, M_NOWAIT | M_BESTFIT, &a);
	ok(r == 0 && vmem_size(vm, VMEM_ALLOC) == 64 * Q + 128 * Q,
	    "with tags again the import works");
	vmem_free(child, a, 128 * Q);
	ok(nsqueezed >= 1 && vmem_size(child, VMEM_ALLOC) ==
	    (vmem_size_t)(1 + nsqueezed) * Q, "the child holds what was "
	    "allocated from it meanwhile (%d segments)", 1 + nsqueezed);
	while (nsqueezed > 0)
		vmem_free(child, squeezed[--nsqueezed], Q);
	vmem_free(child, BASE, Q);
	ok(vmem_size(vm, VMEM_ALLOC) == 0, "freed, the span goes back");
	vmem_destroy(child);
	vmem_destroy(vm);
	good = nothing_lost(&why);
	ok(good, "nothing lost %s", why);
}

int
main(void)
{
	const char *why;
	long total;
	int nfailed;
	bool good;

	host_thread_register();
	be_arena = vmem_init(&be_arena_store, "tf-backend", PAGE_SIZE,
	    (1UL << 47) - PAGE_SIZE, PAGE_SIZE, 0, M_NOWAIT);
	vmem_set_backend(tf_alloc, tf_free);
	why = "";
	good = scenario(&why, &nfailed);
	ok(good && nfailed == 0, "the workload without a refusal %s", why);
	good = scenario(&why, &nfailed);
	ok(good && nfailed == 0, "and again (warm) %s", why);
	hog = vmem_create("tf-hog", 0x40000000, HOG_MAX * Q, Q, 0, M_NOWAIT);
	hog_pool();
	total0 = vmem_bt_total();
	mags0 = vmem_mag_pages();
	out0 = be_out;
	hog_table0 = hash_bytes(hog);
	tables0 = hog_table0 + hash_bytes(be_arena);
	good = nothing_lost(&why);
	ok(good && total0 > VMEM_BT_BOOT_TAGS, "every tag "
	    "accounted for (%lu made, from the boot array and pages) %s",
	    total0, why);
	ok(hash_peak > VMEM_HASH0_SIZE, "the parent's hash grew to %lu "
	    "buckets", (u_long)hash_peak);
	(void)vmem_fail_after(LONG_MAX, false);
	good = scenario(&why, &nfailed);
	ok(good && nfailed == 0, "counting run %s", why);
	total = vmem_fail_after(-1, false);
	ok(total > 20 && vmem_bt_total() > total0, "the workload makes %ld "
	    "tag fills, pool refills and hash tables", total);
	sweep(false, total);
	sweep(true, total);
	while (nhogged > 0)
		vmem_free(hog, hogged[--nhogged], Q);
	vmem_destroy(hog);
	hog = NULL;
	tables0 -= hog_table0;
	out0 -= hog_table0 + (long)round_page(sizeof(struct vmem));
	cannot_return();
	return (tap_done());
}
