/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vmem's less travelled paths, on the host twin with a backend of its own
 * (host/vmem runs the common ones against the model):
 *  - vmem_check finds each kind of damage it looks for (the checker every
 *    vmem test relies on: an arena is broken one field at a time, the
 *    check must name the fault, and passes again once it is undone);
 *  - the dumps (vmem_print, vmem_printall) name every kind of tag;
 *  - vmem_create and vmem_init refuse bad arguments without keeping
 *    anything; arenas from the boot pool; vmem_destroy of an arena that
 *    has an import function and a static span, or is not the newest;
 *  - vmem_add next to spans of every kind; vmem_size's answers;
 *  - constraints at the very top of the address space, imports whose size
 *    overflows, a source that wraps, an import quantum off the quantum;
 *  - the quantum cache when its hart's slot is held (an interrupted
 *    owner), when the backend has no page for a magazine or a leaf, its
 *    previous magazines, and its leaf lists with several leaves; a
 *    vmem_xfree of a cached round.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kmem.h>
#include <kmem/fault.h>
#include "host.h"
#include "kmem_private.h"
#include "vmem_private.h"
#include "tap.h"
#include "expect_panic.h"
#include "capture.h"

#define Q	16UL
#define BASE	0x10000000UL

static long be_out;			/* backend bytes not given back */
static bool be_refuse;
static char *be_misaligned;		/* set: the next page is handed out
					   64 bytes past its start */
static vmem_t *be_nested;		/* set: the next page first allocates
					   two quanta from this arena */
static vmem_addr_t be_nested_a;

static void *
p_alloc(vmem_size_t size, int flags)
{
	vmem_t *vm;
	char *p;

	(void)flags;
	if (be_refuse)
		return (NULL);
	if ((vm = be_nested) != NULL && size == PAGE_SIZE) {
		be_nested = NULL;
		if (vmem_alloc(vm, 2 * Q, M_NOWAIT, &be_nested_a) != 0)
			be_nested_a = 0;
	}
	p = aligned_alloc(PAGE_SIZE, size);
	if (p != NULL)
		be_out += (long)size;
	if (p != NULL && be_misaligned != NULL) {
		be_misaligned = p;
		p += 64;
	}
	return (p);
}

static void
p_free(void *p, vmem_size_t size)
{

	be_out -= (long)size;
	free(p);
}

/* ------------------------------------------------------------ vmem_check */

/* The nth (from 0) tag of the given type on vm's segment list. */
static struct vmem_btag *
seg_nth(vmem_t *vm, int type, int nth)
{
	struct vmem_btag *bt;

	for (bt = vm->vm_seghead; bt != NULL; bt = bt->bt_snext)
		if (bt->bt_type == type && nth-- == 0)
			return (bt);
	return (NULL);
}

static int check_unclean;	/* restores after which the check failed */

/*
 * vm, damaged by the caller, fails vmem_check with a message holding
 * want; the caller then undoes the damage and calls check_clean.
 */
static void
check_finds(vmem_t *vm, const char *want, const char *what)
{
	char why[192];
	int r;

	why[0] = '\0';
	r = vmem_check(vm, why, sizeof(why));
	ok(r == -1 && strstr(why, want) != NULL, "%s: vmem_check says \"%s\"",
	    what, r == 0 ? "nothing" : why);
}

static void
check_clean(vmem_t *vm)
{
	char why[192];

	if (vmem_check(vm, why, sizeof(why)) != 0 && check_unclean++ == 0)
		diag("undone, the arena still fails: %s", why);
}

#define DAMAGE(vm, lvalue, bad, want, what) do {			\
	__typeof__(lvalue) saved_ = (lvalue);				\
	(lvalue) = (bad);						\
	check_finds((vm), (want), (what));				\
	(lvalue) = saved_;						\
	check_clean(vm);						\
} while (0)

static void
test_check_finds_damage(void)
{
	static struct vmem_btag *empty_hash[VMEM_HASH0_SIZE];
	static struct vmem_btag *hash_copy[VMEM_HASH0_SIZE];
	struct vmem_btag *s1, *s2, *b1, *b2, *f1, *f2, *f3, *fake;
	struct vmem_qleaf *leaf;
	vmem_addr_t a1, a2, r;
	vmem_t *vm;
	char why[192];
	u_int i, b, nb, bit;

	vm = vmem_create("check", BASE, 64 * Q, Q, 2 * Q, M_NOWAIT);
	ok(vm != NULL && vmem_add(vm, BASE + 128 * Q, 64 * Q, M_NOWAIT) == 0 &&
	    vmem_xalloc(vm, 4 * Q, 0, 0, 0, BASE, BASE + 4 * Q - 1, M_NOWAIT,
	    &a1) == 0 && vmem_xalloc(vm, 4 * Q, 0, 0, 0, BASE + 8 * Q,
	    BASE + 12 * Q - 1, M_NOWAIT, &a2) == 0,
	    "an arena of two spans, two busy segments with a hole between");
	/* A round, freed and drained: the arena keeps its leaf. */
	ok(vmem_alloc(vm, Q, M_NOWAIT, &r) == 0, "a quantum-cached round");
	vmem_free(vm, r, Q);
	vmem_drain(vm);
	ok(vmem_check(vm, why, sizeof(why)) == 0, "the arena passes the check");
	s1 = seg_nth(vm, VMEM_SEG_SPAN_STATIC, 0);
	s2 = seg_nth(vm, VMEM_SEG_SPAN_STATIC, 1);
	b1 = seg_nth(vm, VMEM_SEG_BUSY, 0);
	b2 = seg_nth(vm, VMEM_SEG_BUSY, 1);
	f1 = seg_nth(vm, VMEM_SEG_FREE, 0);
	f2 = seg_nth(vm, VMEM_SEG_FREE, 1);
	f3 = seg_nth(vm, VMEM_SEG_FREE, 2);
	ok(s1 == vm->vm_seghead && s1->bt_snext == b1 && b1->bt_snext == f1 &&
	    f1->bt_snext == b2 && b2->bt_snext == f2 && f2->bt_snext == s2 &&
	    s2->bt_snext == f3 && f3->bt_snext == NULL,
	    "its segments: span, busy, free, busy, free, span, free");

	DAMAGE(vm, s1->bt_sprev, b1, "head has a prev", "a head with a prev");
	DAMAGE(vm, b1->bt_sprev, f1, "broken seg links", "a broken back link");
	DAMAGE(vm, vm->vm_segtail, s2, "tail mismatch", "a wrong tail");
	DAMAGE(vm, f1->bt_size, 0, "bad segment", "a segment of size 0");
	DAMAGE(vm, f1->bt_size, f1->bt_size + 1, "bad segment",
	    "a size off the quantum");
	DAMAGE(vm, f1->bt_start, f1->bt_start + 1, "bad segment",
	    "a start off the quantum");
	DAMAGE(vm, s1->bt_size, s1->bt_size + Q, "not tiled",
	    "a span longer than its segments");
	DAMAGE(vm, s2->bt_start, s1->bt_start + Q, "spans out of order",
	    "a span inside the one before");
	DAMAGE(vm, s2->bt_lpprev, &vm->vm_spans, "span list mismatch",
	    "a span list back link");
	DAMAGE(vm, s1->bt_lnext, NULL, "span list mismatch",
	    "a span missing from the span list");
	vm->vm_seghead = b1;
	b1->bt_sprev = NULL;
	check_finds(vm, "segment before any span", "a segment before any "
	    "span");
	vm->vm_seghead = s1;
	b1->bt_sprev = s1;
	check_clean(vm);
	f1->bt_start += Q;
	f1->bt_size -= Q;
	check_finds(vm, "gap or overlap", "a gap between segments");
	f1->bt_start -= Q;
	f1->bt_size += Q;
	check_clean(vm);
	DAMAGE(vm, f2->bt_size, f2->bt_size + Q, "past its span",
	    "a segment past its span");
	DAMAGE(vm, b2->bt_type, VMEM_SEG_FREE, "adjacent free",
	    "two free segments side by side");
	vm->vm_stale = f2;
	check_clean(vm);
	DAMAGE(vm, f2->bt_fl, f2->bt_fl - 1, "below its class",
	    "the stale segment on a list below its class");
	vm->vm_stale = NULL;
	DAMAGE(vm, f1->bt_fl, f1->bt_fl + 1, "wants",
	    "a free segment on the wrong list");
	DAMAGE(vm, vm->vm_freelist[f1->bt_fl], NULL, "missing from its list",
	    "a free segment missing from its list");
	DAMAGE(vm, b1->bt_type, 0, "bad type", "a tag of no type");
	DAMAGE(vm, vm->vm_hashlist, empty_hash, "missing from hash",
	    "a busy segment missing from the hash");
	DAMAGE(vm, b1->bt_round, 1, "has round entry",
	    "a round without its entry");
	DAMAGE(vm, s2->bt_size, s2->bt_size + Q, "last span not tiled",
	    "the last span longer than its segments");
	DAMAGE(vm, vm->vm_stale, b1, "vm_stale is not a free segment",
	    "a busy vm_stale");
	DAMAGE(vm, s2->bt_lnext, s1, "span list longer",
	    "a span list longer than the spans");
	DAMAGE(vm, vm->vm_nbusytag, vm->vm_nbusytag + 1, "nbusy",
	    "a wrong busy count");
	DAMAGE(vm, vm->vm_inuse, vm->vm_inuse + Q, "inuse",
	    "a wrong bytes-in-use count");
	DAMAGE(vm, vm->vm_size, vm->vm_size + Q, "size",
	    "a wrong size");

	/* Tags that are on no segment list: one made up. */
	fake = calloc(1, sizeof(*fake));
	memcpy(hash_copy, vm->vm_hashlist, sizeof(hash_copy));
	for (i = 0; i < VMEM_HASH0_SIZE && hash_copy[i] != NULL; i++)
		;
	ok(vm->vm_hashsize == VMEM_HASH0_SIZE && i < VMEM_HASH0_SIZE,
	    "the hash has an empty bucket");
	hash_copy[i] = fake;
	fake->bt_type = VMEM_SEG_FREE;
	DAMAGE(vm, vm->vm_hashlist, hash_copy, "non-busy in hash",
	    "a free tag in the hash");
	fake->bt_type = VMEM_SEG_BUSY;
	DAMAGE(vm, vm->vm_hashlist, hash_copy, "hash holds",
	    "a tag in the hash that no segment has");
	bit = VMEM_NFREELIST - 1;
	ok(vm->vm_freelist[bit] == NULL, "the last free list is empty");
	DAMAGE(vm, vm->vm_flbits[bit >> 6], vm->vm_flbits[bit >> 6] |
	    1UL << (bit & 63), "bitmap wrong", "a bit for an empty list");
	/* The made-up tag on that list (its bit set). */
	vm->vm_flbits[bit >> 6] |= 1UL << (bit & 63);
	vm->vm_freelist[bit] = fake;
	fake->bt_type = VMEM_SEG_BUSY;
	fake->bt_fl = (uint8_t)bit;
	check_finds(vm, "holds a wrong tag", "a busy tag on a free list");
	fake->bt_type = VMEM_SEG_FREE;
	fake->bt_fl = (uint8_t)(bit - 1);
	check_finds(vm, "holds a wrong tag", "a tag on another list than "
	    "its own");
	fake->bt_fl = (uint8_t)bit;
	check_finds(vm, "disagree", "a free tag on a list that no segment "
	    "has");
	vm->vm_freelist[bit] = NULL;
	vm->vm_flbits[bit >> 6] &= ~(1UL << (bit & 63));
	check_clean(vm);
	free(fake);

	for (b = 0; b < VMEM_QLEAF_BUCKETS && vm->vm_qleaf[b] == NULL; b++)
		;
	nb = (b + 1) % VMEM_QLEAF_BUCKETS;
	ok(b < VMEM_QLEAF_BUCKETS && vm->vm_qleaf[nb] == NULL,
	    "the round table has a leaf, and the next list is empty");
	leaf = vm->vm_qleaf[b];
	vm->vm_qleaf[b] = NULL;
	vm->vm_qleaf[nb] = leaf;
	check_finds(vm, "on list", "a leaf on another list than its key's");
	vm->vm_qleaf[nb] = NULL;
	vm->vm_qleaf[b] = leaf;
	check_clean(vm);
	DAMAGE(vm, leaf->ql_e[7], QE_OUT(0), "round table and round tags",
	    "an entry without its round");
	DAMAGE(vm, vm->vm_nfreetags, vm->vm_nfreetags + 1, "tag cache holds",
	    "a wrong tag cache count");
	vmem_xfree(vm, a1, 4 * Q);
	vmem_xfree(vm, a2, 4 * Q);
	vmem_destroy(vm);

	/* A round where the arena has no leaf at all. */
	vm = vmem_create("check-far", 0x50000000, 16 * Q, Q, 0, M_NOWAIT);
	ok(vmem_xalloc(vm, Q, 0, 0, 0, VMEM_ADDR_MIN, VMEM_ADDR_MAX, M_NOWAIT,
	    &a1) == 0, "an arena without a quantum cache");
	b1 = seg_nth(vm, VMEM_SEG_BUSY, 0);
	DAMAGE(vm, b1->bt_round, 1, "has round entry 0x0",
	    "a round with no leaf");
	ok(check_unclean == 0, "each damage undone, the arena passes again");
	vmem_xfree(vm, a1, Q);
	vmem_destroy(vm);
}

/* ------------------------------------------------------------ sources */

static int
p_import(void *arg, vmem_size_t size, int flags, vmem_addr_t *addrp)
{

	return (vmem_xalloc(arg, size, 0, 0, 0, VMEM_ADDR_MIN, VMEM_ADDR_MAX,
	    (flags & M_NOWAIT) | M_BESTFIT, addrp));
}

static void
p_release(void *arg, vmem_addr_t addr, vmem_size_t size)
{

	vmem_xfree(arg, addr, size);
}

static vmem_addr_t fixed_span;		/* what fixed_import hands out */

static int
fixed_import(void *arg, vmem_size_t size, int flags, vmem_addr_t *addrp)
{

	(void)arg;
	(void)size;
	(void)flags;
	*addrp = fixed_span;
	return (0);
}

/* ------------------------------------------------------------ dumps */

static void
test_dumps(void)
{
	static char out[8192];
	struct vmem_btag *bt;
	vmem_t *src, *vm;
	vmem_addr_t a;

	src = vmem_create("dump-src", BASE, 256 * Q, Q, 0, M_NOWAIT);
	vm = vmem_create("dump", 0, 0, Q, 0, M_NOWAIT);
	vmem_set_import(vm, p_import, p_release, src, 16 * Q);
	ok(vmem_alloc(vm, Q, M_NOWAIT | M_BESTFIT, &a) == 0,
	    "an arena with an imported span");
	capture_begin();
	vmem_print(vm);
	capture_end(out, sizeof(out));
	ok(strstr(out, "\"dump\"") != NULL && strstr(out, "import yes") !=
	    NULL && strstr(out, "span (imported)") != NULL && strstr(out,
	    "busy") != NULL && strstr(out, "free") != NULL, "vmem_print names "
	    "the arena, its import and each kind of segment");
	bt = seg_nth(vm, VMEM_SEG_BUSY, 0);
	bt->bt_type = 0;
	capture_begin();
	vmem_print(vm);
	capture_end(out, sizeof(out));
	bt->bt_type = VMEM_SEG_BUSY;
	ok(strstr(out, "BOGUS") != NULL, "and calls a tag of no type BOGUS");
	capture_begin();
	vmem_printall();
	capture_end(out, sizeof(out));
	ok(strstr(out, "\"dump-src\"") != NULL && strstr(out, "\"dump\"") !=
	    NULL && strstr(out, "span (static)") != NULL, "vmem_printall "
	    "prints every arena");
	vmem_free(vm, a, Q);
	vmem_destroy(vm);
	vmem_destroy(src);
}

/* ------------------------------------------------------------ arenas */

static void
test_create_answers(void)
{
	static struct vmem storage;
	struct vmem_stats vs;
	vmem_t *vm, *old, *imp;
	vmem_addr_t a, b;
	long out;

	out = be_out;
	a = b = 0;
	ok(vmem_init(NULL, "x", BASE, Q, Q, 0, M_NOWAIT) == NULL &&
	    vmem_init(&storage, "x", BASE, Q, 0, 0, M_NOWAIT) == NULL &&
	    vmem_create("x", BASE, Q, 24, 0, M_NOWAIT) == NULL &&
	    vmem_create("x", BASE, Q, Q, 24, M_NOWAIT) == NULL &&
	    vmem_create("x", BASE + 1, Q, Q, 0, M_NOWAIT) == NULL,
	    "no storage, a quantum of 0 or 24, a cache limit off the quantum, "
	    "a span off it: NULL");
	ok(be_out == out, "and the arena storage went back to the backend");

	vm = vmem_create("bigqc", BASE, 1024 * Q, Q, 64 * Q, M_NOWAIT);
	vmem_get_stats(vm, &vs);
	ok(vs.vs_qcache_max == VMEM_QCACHE_IDX_MAX * Q, "a cache limit above "
	    "%d quanta is cut to it", VMEM_QCACHE_IDX_MAX);
	ok(vmem_size(vm, 0x100) == 0 && vmem_size(vm, VMEM_MAXFREE) ==
	    1024 * Q, "vmem_size: 0 for a type it does not know; the "
	    "biggest free segment");
	/* Two segments on the top list, the bigger one first or not. */
	ok(vmem_xalloc(vm, Q, 0, 0, 0, BASE + 100 * Q, VMEM_ADDR_MAX,
	    M_NOWAIT, &a) == 0 && a == BASE + 100 * Q && vmem_xalloc(vm,
	    803 * Q, 0, 0, 0, BASE + 221 * Q, VMEM_ADDR_MAX, M_NOWAIT, &b) ==
	    0 && b == BASE + 221 * Q, "two holes of 100 and 120 quanta");
	ok(vmem_size(vm, VMEM_MAXFREE) == 120 * Q, "VMEM_MAXFREE: the bigger "
	    "(0x%lx)", (u_long)vmem_size(vm, VMEM_MAXFREE));
	vmem_xfree(vm, a, Q);
	vmem_xfree(vm, b, 803 * Q);
	ok(vmem_xalloc(vm, 1024 * Q, 0, 0, 0, VMEM_ADDR_MIN, VMEM_ADDR_MAX,
	    M_NOWAIT, &a) == 0 && vmem_size(vm, VMEM_MAXFREE) == 0,
	    "VMEM_MAXFREE of a full arena: 0");
	vmem_xfree(vm, a, 1024 * Q);
	old = vm;

	/* An import function and a static span: destroy keeps to itself. */
	imp = vmem_create("imp-static", 0, 0, Q, 0, M_NOWAIT);
	vmem_set_import(imp, p_import, p_release, old, 16 * Q);
	ok(vmem_add(imp, 0x70000000, 64 * Q, M_NOWAIT) == 0 &&
	    vmem_alloc(imp, 100 * Q, M_NOWAIT | M_BESTFIT, &a) == 0 &&
	    vmem_size(old, VMEM_ALLOC) == 112 * Q,
	    "an arena with a static span imports what does not fit in it");
	vmem_free(imp, a, 100 * Q);
	ok(vmem_size(old, VMEM_ALLOC) == 0 && vmem_size(imp, VMEM_ALLOC |
	    VMEM_FREE) == 64 * Q, "freed, the import goes back, the static "
	    "span stays");
	vmem_destroy(imp);
	/* Not the newest arena: vmem_destroy finds it down the list. */
	vm = vmem_create("newer", BASE, 16 * Q, Q, 0, M_NOWAIT);
	vmem_destroy(old);
	vmem_get_stats(vm, &vs);
	ok(strcmp(vs.vs_name, "newer") == 0, "an older arena is destroyed, "
	    "the newer one stays");
	vmem_destroy(vm);
	ok(be_out == out, "everything went back to the backend");
}

/* Before any backend: arenas from the boot pool, a table that cannot grow. */
static void
test_boot_pool(void)
{
	static vmem_addr_t a[150];
	struct vmem_stats vs;
	vmem_t *vm[5];
	vmem_addr_t r;
	int i, n;
	bool good;

	vmem_set_backend(NULL, NULL);
	for (i = 0; i < 5; i++)
		vm[i] = vmem_create("boot", BASE + (vmem_addr_t)i * 0x100000,
		    256 * Q, Q, i == 0 ? 2 * Q : 0, M_NOWAIT);
	ok(vm[0] != NULL && vm[1] != NULL && vm[2] != NULL && vm[3] != NULL &&
	    vm[4] == NULL, "the boot pool has four arenas, a fifth: NULL");
	vmem_destroy(vm[3]);
	ok(vmem_create("boot", BASE, Q, 24, 0, M_NOWAIT) == NULL &&
	    (vm[3] = vmem_create("boot", 0x7000000, Q, Q, 0, M_NOWAIT)) != NULL,
	    "a slot given back by vmem_destroy, and by a refused vmem_create, "
	    "is taken again");
	ok(vmem_alloc(vm[0], Q, M_NOWAIT, &r) == 0 && r >= BASE && r < BASE +
	    256 * Q, "a quantum-cached size with no backend for leaves or "
	    "magazines comes from the arena");
	vmem_free(vm[0], r, Q);
	good = true;
	for (n = 0; n < 150; n++)
		good &= vmem_alloc(vm[1], Q, M_NOWAIT, &a[n]) == 0;
	vmem_get_stats(vm[1], &vs);
	ok(good && vs.vs_nbusy == 150 && vs.vs_hashsize == VMEM_HASH0_SIZE,
	    "150 segments with no backend: the hash stays at %u buckets",
	    VMEM_HASH0_SIZE);
	for (n = 0; n < 150; n++)
		vmem_free(vm[1], a[n], Q);
	ok(vmem_size(vm[0], VMEM_ALLOC) == 0 && vmem_size(vm[1], VMEM_ALLOC) ==
	    0, "and all of it frees");
	for (i = 0; i < 4; i++)
		vmem_destroy(vm[i]);
	vmem_set_backend(p_alloc, p_free);
}

/* vmem_add next to spans of each kind. */
static void
test_add_next_to_spans(void)
{
	struct vmem_stats vs;
	vmem_t *vm, *src, *imp;
	vmem_addr_t a, i0;
	char why[192];

	vm = vmem_create("adds", BASE + 64 * Q, 16 * Q, Q, 0, M_NOWAIT);
	ok(vmem_add(vm, BASE, 16 * Q, M_NOWAIT) == 0, "a span below the "
	    "first");
	ok(vmem_xalloc(vm, 16 * Q, 0, 0, 0, BASE + 64 * Q, VMEM_ADDR_MAX,
	    M_NOWAIT, &a) == 0 && a == BASE + 64 * Q, "the upper span all "
	    "busy");
	ok(vmem_add(vm, BASE + 80 * Q, 16 * Q, M_NOWAIT) == 0 &&
	    vmem_add(vm, BASE + 16 * Q, 16 * Q, M_NOWAIT) == 0,
	    "a span right after each (one ends busy, one free, one is last)");
	vmem_get_stats(vm, &vs);
	ok(vs.vs_nspans == 2 && vs.vs_nfree == 2 && vmem_size(vm,
	    VMEM_MAXFREE) == 32 * Q && vmem_check(vm, why, sizeof(why)) == 0,
	    "they extend their spans: 2 spans, 2 free segments of 32 and 16 "
	    "quanta");
	vmem_xfree(vm, a, 16 * Q);
	ok(vmem_size(vm, VMEM_MAXFREE) == 32 * Q, "freed, the upper span is "
	    "one free segment");
	vmem_destroy(vm);

	src = vmem_create("adds-src", 0x70000000, 1024 * Q, Q, 0, M_NOWAIT);
	imp = vmem_create("adds-imp", 0, 0, Q, 0, M_NOWAIT);
	vmem_set_import(imp, p_import, p_release, src, 16 * Q);
	ok(vmem_alloc(imp, Q, M_NOWAIT | M_BESTFIT, &i0) == 0 &&
	    vmem_add(imp, i0 + 16 * Q, 16 * Q, M_NOWAIT) == 0, "a static span "
	    "right after an imported one");
	vmem_get_stats(imp, &vs);
	ok(vs.vs_nspans == 2 && vs.vs_nimported == 1, "stays a span of its "
	    "own");
	vmem_free(imp, i0, Q);
	vmem_destroy(imp);
	vmem_destroy(src);
}

/* ------------------------------------------------------------ constraints */

static void
test_top_and_overflow(void)
{
	vmem_t *vm, *imp;
	vmem_addr_t a, top;

	top = VMEM_ADDR_MAX - 64 * Q + 1;
	vm = vmem_create("top", top, 64 * Q, Q, 0, M_NOWAIT);
	ok(vm != NULL, "an arena that ends at the top of the address space");
	ok(vmem_xalloc(vm, Q, 128 * Q, 0, 0, VMEM_ADDR_MIN, VMEM_ADDR_MAX,
	    M_NOWAIT, &a) == ENOMEM, "an alignment that wraps past the top: "
	    "ENOMEM");
	ok(vmem_xalloc(vm, 2 * Q, 0, 0, 64 * Q, VMEM_ADDR_MAX - Q + 1,
	    VMEM_ADDR_MAX, M_NOWAIT, &a) == ENOMEM, "a boundary crossed at the "
	    "top: ENOMEM");
	ok(vmem_xalloc(vm, Q, 0, 0, 0, BASE, BASE + 16 * Q, M_NOWAIT, &a) ==
	    ENOMEM, "a window below the arena: ENOMEM");
	ok(vmem_xalloc(vm, Q, 0, 0, 3 * Q, VMEM_ADDR_MIN, VMEM_ADDR_MAX,
	    M_NOWAIT, &a) == EINVAL && vmem_xalloc(vm, Q, 0, 0, Q / 2,
	    VMEM_ADDR_MIN, VMEM_ADDR_MAX, M_NOWAIT, &a) == EINVAL &&
	    vmem_xalloc(vm, 4 * Q, 0, 0, 2 * Q, VMEM_ADDR_MIN, VMEM_ADDR_MAX,
	    M_NOWAIT, &a) == EINVAL && vmem_xalloc(vm, 2 * Q, 4 * Q, 3 * Q,
	    4 * Q, VMEM_ADDR_MIN, VMEM_ADDR_MAX, M_NOWAIT, &a) == EINVAL,
	    "a boundary not a power of two, off the quantum, below the size, "
	    "or that the phase crosses: EINVAL");
	ok(vmem_xalloc(vm, 2 * Q, 4 * Q, Q, 4 * Q, VMEM_ADDR_MIN,
	    VMEM_ADDR_MAX, M_NOWAIT, &a) == 0 && a % (4 * Q) == Q,
	    "with the phase inside one boundary block it fits");
	vmem_xfree(vm, a, 2 * Q);
	vmem_destroy(vm);

	imp = vmem_create("overflow", 0, 0, Q, 0, M_NOWAIT);
	vmem_set_import(imp, fixed_import, NULL, NULL, 32 * Q);
	ok(vmem_xalloc(imp, Q, 1UL << 63, 0, 0, VMEM_ADDR_MIN, VMEM_ADDR_MAX,
	    M_NOWAIT, &a) == ENOMEM && vmem_alloc(imp, VMEM_ADDR_MAX - 16 * Q +
	    1, M_NOWAIT, &a) == ENOMEM, "imports whose size would overflow: "
	    "ENOMEM");
	fixed_span = VMEM_ADDR_MAX - 16 * Q + 1;
	EXPECT_PANIC((void)vmem_alloc(imp, Q, M_NOWAIT, &a), "vmem_import",
	    "misaligned or overlapping", "a source handing out a span that "
	    "wraps");
	fixed_span = 0x60000000;
	ok(vmem_alloc(imp, Q, M_NOWAIT, &a) == 0 && a == fixed_span,
	    "with no release function an import is kept");
	vmem_free(imp, a, Q);
	ok(vmem_size(imp, VMEM_ALLOC | VMEM_FREE) == 32 * Q, "even when it "
	    "is all free again");
	vmem_destroy(imp);
	imp = vmem_create("odd-import", 0, 0, Q, 0, M_NOWAIT);
	vmem_set_import(imp, fixed_import, NULL, NULL, 24);
	EXPECT_PANIC((void)vmem_alloc(imp, Q, M_NOWAIT, &a), "vmem_import",
	    "0x18", "an import quantum off the arena's quantum");
	vmem_destroy(imp);
}

/* ------------------------------------------------------------ qcache */

static void
test_xfree_of_cached_round(void)
{
	vmem_t *vm;
	vmem_addr_t a, b;
	char hex[32];

	vm = vmem_create("xfree-round", BASE, 256 * Q, Q, 4 * Q, M_NOWAIT);
	ok(vmem_alloc(vm, 2 * Q, M_NOWAIT, &a) == 0, "a round");
	vmem_xfree(vm, a, 2 * Q);
	ok(vmem_xalloc(vm, 2 * Q, 0, 0, 0, a, a + 2 * Q - 1, M_NOWAIT, &b) ==
	    0 && b == a, "vmem_xfree gives a round back to the arena itself");
	vmem_xfree(vm, b, 2 * Q);
	ok(vmem_alloc(vm, 2 * Q, M_NOWAIT, &a) == 0, "another round");
	vmem_free(vm, a, 2 * Q);
	EXPECT_PANIC(vmem_xfree(vm, a, 2 * Q), "vmem_xfree",
	    expect_hex(hex, sizeof(hex), a), "vmem_xfree of a round the cache "
	    "holds");
	vmem_drain(vm);
	ok(vmem_size(vm, VMEM_ALLOC) == 0, "drained, nothing is in use");
	vmem_destroy(vm);
}

/*
 * With the backend refusing and the magazine pool empty: an allocation
 * with no magazine and a free with no magazine both use the arena.  Runs
 * before anything else made magazines: sixteen arenas take one each, all
 * cut from one backend page, so the pool is then empty.
 */
static void
test_qcache_starved(void)
{
	static struct vmem ar[17];
	vmem_addr_t a[16], r, z;
	struct vmem_stats vs;
	vmem_t *x, *zv;
	char why[192];
	int i;
	bool good;

	good = true;
	z = 0;
	for (i = 0; i < 16; i++) {
		good &= vmem_init(&ar[i], "starved", BASE + (vmem_addr_t)i *
		    0x100000, 256 * Q, Q, Q, M_NOWAIT) == &ar[i];
		good &= vmem_alloc(&ar[i], Q, M_NOWAIT, &a[i]) == 0;
	}
	ok(good && vmem_mag_pages() == 1, "16 arenas hold a magazine each, "
	    "all cut from one backend page");
	x = &ar[0];
	vmem_drain(x);
	be_refuse = true;
	/* The one magazine drained goes to a new arena that has no leaf. */
	zv = vmem_init(&ar[16], "starved-z", 0x30000000, 256 * Q, Q, Q,
	    M_NOWAIT);
	ok(zv != NULL && vmem_alloc(zv, Q, M_NOWAIT, &z) == 0,
	    "an arena whose leaf the backend refuses allocates from the arena");
	vmem_get_stats(zv, &vs);
	ok(vs.vs_qcache_rounds == 0 && vs.vs_nbusy == 1, "no round made");
	vmem_free(x, a[0], Q);
	vmem_get_stats(x, &vs);
	ok(vs.vs_inuse == 0 && vs.vs_qcache_rounds == 0, "a free with no "
	    "magazine to be had gives the round to the arena");
	ok(vmem_alloc(x, Q, M_NOWAIT, &r) == 0 && vmem_size(x, VMEM_ALLOC) ==
	    Q, "an allocation with no magazine to be had takes the arena's");
	vmem_free(x, r, Q);
	ok(vmem_size(x, VMEM_ALLOC) == 0 && vmem_check(x, why, sizeof(why)) ==
	    0, "freed, the arena is whole");
	be_refuse = false;
	vmem_free(zv, z, Q);
	for (i = 1; i < 16; i++)
		vmem_free(&ar[i], a[i], Q);
	for (i = 0; i < 17; i++)
		vmem_destroy(&ar[i]);
}

/*
 * This hart's slot held (an interrupted owner, say): the allocation and
 * the free use the arena, and a drain leaves that slot alone.
 */
static void
test_qcache_slot_held(void)
{
	struct vmem_stats vs;
	_Atomic uintptr_t *slot;
	vmem_addr_t a1, a2;
	uintptr_t saved;
	vmem_t *vm;

	vm = vmem_create("held", BASE, 256 * Q, Q, 2 * Q, M_NOWAIT);
	ok(vmem_alloc(vm, Q, M_NOWAIT, &a1) == 0, "a round");
	vmem_get_stats(vm, &vs);
	ok(vs.vs_qcache_rounds == 3, "the magazine holds three more");
	slot = &vm->vm_qload[kmem_cpuid()][0];
	saved = atomic_exchange(slot, 0);	/* MAG_BUSY */
	ok(vmem_alloc(vm, Q, M_NOWAIT, &a2) == 0, "with the slot held, an "
	    "allocation");
	vmem_get_stats(vm, &vs);
	ok(vs.vs_qcache_rounds == 3 && vs.vs_inuse == 5 * Q, "came from the "
	    "arena");
	vmem_free(vm, a1, Q);
	vmem_free(vm, a2, Q);
	vmem_get_stats(vm, &vs);
	ok(vs.vs_qcache_rounds == 3 && vs.vs_inuse == 3 * Q, "the frees "
	    "went to the arena");
	vmem_drain(vm);
	vmem_get_stats(vm, &vs);
	ok(vs.vs_qcache_rounds == 3 && atomic_load(slot) == 0,
	    "a drain leaves the held slot alone");
	atomic_store(slot, saved);
	vmem_drain(vm);
	ok(vmem_size(vm, VMEM_ALLOC) == 0, "let go, the drain takes it");
	vmem_destroy(vm);
}

/*
 * Bonwick's previous magazine: a free that finds the loaded magazine full
 * keeps it as the previous one, and an allocation that finds the loaded
 * one empty trades with it; the depot is not used.
 */
static void
test_qcache_previous_magazine(void)
{
	static vmem_addr_t a[40];
	_Atomic uintptr_t *load, *prev;
	struct vmem_qcache *qc;
	vmem_t *vm;
	int i, n;

	vm = vmem_create("prev", BASE, 256 * Q, Q, Q, M_NOWAIT);
	load = &vm->vm_qload[kmem_cpuid()][0];
	prev = &vm->vm_qprev[kmem_cpuid()][0];
	qc = &vm->vm_qcache[0];
	for (n = 0; n < 40 && vmem_alloc(vm, Q, M_NOWAIT, &a[n]) == 0; n++)
		;
	ok(n == 40, "40 rounds out");
	for (i = 0; i < 40; i++)
		vmem_free(vm, a[i], Q);
	/* A magazine holds 31 rounds: (handle & 255) / 8. */
	ok((atomic_load(prev) & 255) == 31 * 8 && (atomic_load(load) & 255) ==
	    9 * 8 && qc->qc_full == 0 && qc->qc_empty == 0, "freed: the full "
	    "magazine is the previous one, 9 rounds in the loaded one, the "
	    "depot empty");
	for (n = 0; n < 10 && vmem_alloc(vm, Q, M_NOWAIT, &a[n]) == 0; n++)
		;
	ok(n == 10 && (atomic_load(load) & 255) == 30 * 8 &&
	    atomic_load(prev) > 256 && (atomic_load(prev) & 255) == 0 &&
	    qc->qc_full == 0 && qc->qc_empty == 0, "10 allocations: the "
	    "tenth traded the empty loaded magazine for the full previous "
	    "one, not with the depot");
	for (i = 0; i < 10; i++)
		vmem_free(vm, a[i], Q);
	vmem_drain(vm);
	ok(vmem_size(vm, VMEM_ALLOC) == 0 && atomic_load(prev) == 256,
	    "drained, nothing in use and no previous magazine");
	/* The previous slot held elsewhere: the depot instead. */
	for (n = 0; n < 40 && vmem_alloc(vm, Q, M_NOWAIT, &a[n]) == 0; n++)
		;
	atomic_store(prev, 0);			/* MAG_BUSY */
	for (i = 0; i < 40; i++)
		vmem_free(vm, a[i], Q);
	ok(n == 40 && atomic_load(prev) == 0 && qc->qc_full != 0,
	    "with the previous slot held, the full magazine goes to the "
	    "depot");
	atomic_store(prev, 256);		/* MAG_NONE */
	vmem_drain(vm);
	ok(vmem_size(vm, VMEM_ALLOC) == 0, "and drains from there");
	vmem_destroy(vm);
}

/* Two leaves on one list: keys 32 apart (256 KiB with 16-byte quanta). */
static void
test_qcache_leaf_lists(void)
{
	vmem_addr_t a[4], far;
	vmem_t *vm;
	char hex[32], why[192];
	int i;
	bool low, high;

	far = BASE + (32UL << (4 + QLEAF_SHIFT));
	vm = vmem_create("leaves", BASE, Q, Q, Q, M_NOWAIT);
	ok(vmem_add(vm, far, 64 * Q, M_NOWAIT) == 0, "spans 256 KiB apart");
	low = high = false;
	for (i = 0; i < 4; i++) {
		if (vmem_alloc(vm, Q, M_NOWAIT, &a[i]) != 0)
			break;
		low |= a[i] == BASE;
		high |= a[i] >= far;
	}
	ok(i == 4 && low && high, "rounds in both: their leaves share a list");
	for (i = 0; i < 4; i++)
		vmem_free(vm, a[i], Q);
	EXPECT_PANIC(vmem_free(vm, far + (32UL << (4 + QLEAF_SHIFT)), Q),
	    "vmem_free", expect_hex(hex, sizeof(hex), far + (32UL << (4 +
	    QLEAF_SHIFT))), "a free whose leaf is not on that list");
	EXPECT_PANIC(vmem_free(vm, BASE + 1, Q), "vmem_free",
	    "0x10000001", "a free off the quantum");
	vmem_drain(vm);
	ok(vmem_size(vm, VMEM_ALLOC) == 0 && vmem_check(vm, why, sizeof(why))
	    == 0, "every round back");
	vmem_destroy(vm);
}

/*
 * The tag pool really runs dry (the backend refuses its refills): the
 * allocation that finds no tag says ENOMEM, M_WAITOK panics naming the
 * arena, and every tag comes back with the frees.
 */
static void
test_tags_run_dry(void)
{
	static vmem_addr_t a[8192];
	unsigned long pool;
	vmem_t *vm;
	vmem_addr_t x;
	char why[192];
	int n, rv;

	vm = vmem_create("dry", BASE, 16384 * Q, Q, 0, M_NOWAIT);
	pool = vmem_bt_pool_count();
	be_refuse = true;
	rv = 0;
	for (n = 0; n < 8192; n++)
		if ((rv = vmem_alloc(vm, Q, M_NOWAIT, &a[n])) != 0)
			break;
	ok(rv == ENOMEM && vmem_bt_pool_count() == 0 && (unsigned long)n <=
	    pool + 8, "with no refill, %d segments take the pool's %lu tags, "
	    "then ENOMEM", n, pool);
	EXPECT_PANIC((void)vmem_xalloc(vm, Q, 0, 0, 0, VMEM_ADDR_MIN,
	    VMEM_ADDR_MAX, M_WAITOK, &x), "vmem_xalloc", "\"dry\"",
	    "M_WAITOK with the pool dry");
	be_refuse = false;
	while (n > 0)
		vmem_free(vm, a[--n], Q);
	ok(vmem_size(vm, VMEM_ALLOC) == 0 && vmem_check(vm, why, sizeof(why))
	    == 0, "all freed, the arena is whole");
	vmem_destroy(vm);
	ok(vmem_bt_pool_count() >= pool, "and the pool has its tags back");
}

/* M_NEXTFIT's cursor when the tag it names goes away. */
static void
test_nextfit_cursor(void)
{
	vmem_t *vm, *src, *imp;
	vmem_addr_t a, b, c, d, e;
	char why[192];
	bool whole;

	a = b = c = d = e = 0;
	vm = vmem_create("nextfit", BASE, 64 * Q, Q, 0, M_NOWAIT);
	ok(vmem_alloc(vm, 4 * Q, M_NOWAIT | M_NEXTFIT, &a) == 0 &&
	    vmem_alloc(vm, 4 * Q, M_NOWAIT | M_NEXTFIT, &b) == 0 &&
	    vmem_alloc(vm, 4 * Q, M_NOWAIT | M_NEXTFIT, &c) == 0 &&
	    a == BASE && b == BASE + 4 * Q && c == BASE + 8 * Q,
	    "three next-fit segments in a row");
	vmem_free(vm, c, 4 * Q);	/* the cursor's tag merges forward */
	whole = vmem_check(vm, why, sizeof(why)) == 0;
	whole &= vmem_alloc(vm, 4 * Q, M_NOWAIT | M_NEXTFIT, &d) == 0;
	ok(whole && d == BASE + 12 * Q, "the next one still goes after the "
	    "last (0x%lx)", (u_long)d);
	vmem_free(vm, b, 4 * Q);
	vmem_free(vm, d, 4 * Q);	/* merges both ways */
	whole = vmem_check(vm, why, sizeof(why)) == 0;
	whole &= vmem_alloc(vm, 4 * Q, M_NOWAIT | M_NEXTFIT, &e) == 0;
	ok(whole && e == BASE + 16 * Q, "and after that one (0x%lx)",
	    (u_long)e);
	vmem_free(vm, e, 4 * Q);	/* merges backward only */
	whole = vmem_check(vm, why, sizeof(why)) == 0;
	ok(vmem_alloc(vm, 60 * Q, M_NOWAIT | M_NEXTFIT, &e) == 0 &&
	    e == BASE + 4 * Q && whole, "a size that only fits before the "
	    "cursor wraps round");
	vmem_free(vm, e, 60 * Q);
	vmem_free(vm, a, 4 * Q);
	vmem_destroy(vm);

	/* The cursor on a span that goes back to its source. */
	src = vmem_create("nf-src", 0x70000000, 1024 * Q, Q, 0, M_NOWAIT);
	imp = vmem_create("nf-imp", 0, 0, Q, 0, M_NOWAIT);
	vmem_set_import(imp, p_import, p_release, src, 16 * Q);
	ok(vmem_alloc(imp, 16 * Q, M_NOWAIT | M_NEXTFIT, &a) == 0 &&
	    vmem_alloc(imp, 16 * Q, M_NOWAIT | M_NEXTFIT, &b) == 0,
	    "next fit in two imported spans");
	vmem_free(imp, b, 16 * Q);
	vmem_free(imp, a, 16 * Q);
	ok(vmem_size(src, VMEM_ALLOC) == 0 && vmem_check(imp, why,
	    sizeof(why)) == 0, "both spans went back");
	ok(vmem_alloc(imp, 16 * Q, M_NOWAIT | M_NEXTFIT, &a) == 0 &&
	    vmem_check(imp, why, sizeof(why)) == 0, "and next fit imports "
	    "again");
	vmem_free(imp, a, 16 * Q);
	vmem_destroy(imp);
	vmem_destroy(src);
}

/* Two M_WAITOK allocations sleep on an empty arena; vmem_add wakes them. */
static vmem_t *wait_vm;
static atomic_int woke;

static void *
waiter(void *arg)
{

	host_thread_register();
	if (vmem_alloc(wait_vm, 4 * Q, M_WAITOK, arg) == 0)
		atomic_fetch_add(&woke, 1);
	host_thread_unregister();
	return (NULL);
}

static void
test_add_wakes_waiters(void)
{
	struct vmem_stats vs;
	vmem_addr_t a[2];
	pthread_t t[2];
	int i;

	wait_vm = vmem_create("waiters", 0, 0, Q, 0, M_NOWAIT);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, waiter, &a[i]);
	for (i = 0; i < 1000000; i++) {
		vmem_get_stats(wait_vm, &vs);
		if (vs.vs_nwaiters == 2)
			break;
		sched_yield();
	}
	ok(vs.vs_nwaiters == 2 && atomic_load(&woke) == 0, "two M_WAITOK "
	    "allocations sleep on an empty arena");
	ok(vmem_add(wait_vm, BASE, 8 * Q, M_NOWAIT) == 0, "vmem_add");
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ok(atomic_load(&woke) == 2 && a[0] != a[1], "woke both, and both got "
	    "their segment");
	vmem_free(wait_vm, a[0], 4 * Q);
	vmem_free(wait_vm, a[1], 4 * Q);
	vmem_destroy(wait_vm);
}

/* A quantum cache whose arena imports: a source that is full, then not. */
static void
test_qcache_import(void)
{
	vmem_t *src, *vm;
	vmem_addr_t a, s0;

	src = vmem_create("qi-src", 0x70000000, 16 * Q, Q, 0, M_NOWAIT);
	vm = vmem_create("qi", 0, 0, Q, 2 * Q, M_NOWAIT);
	vmem_set_import(vm, p_import, p_release, src, 16 * Q);
	ok(vmem_xalloc(src, 16 * Q, 0, 0, 0, VMEM_ADDR_MIN, VMEM_ADDR_MAX,
	    M_NOWAIT, &s0) == 0 && vmem_alloc(vm, Q, M_NOWAIT, &a) == ENOMEM &&
	    vmem_size(vm, VMEM_ALLOC | VMEM_FREE) == 0, "a cached size whose "
	    "source is full: ENOMEM, nothing imported");
	vmem_xfree(src, s0, 16 * Q);
	ok(vmem_alloc(vm, Q, M_NOWAIT, &a) == 0 && vmem_size(src, VMEM_ALLOC) ==
	    16 * Q, "with room there, a span is imported for the rounds");
	vmem_free(vm, a, Q);
	vmem_drain(vm);
	ok(vmem_size(src, VMEM_ALLOC) == 0, "drained, the span goes back");
	vmem_destroy(vm);
	vmem_destroy(src);
}

/*
 * Another hart holds the arena lock: a free whose try fails takes the
 * general path, waits for the lock, and frees.
 */
static vmem_t *locked_vm;
static atomic_int lock_state;		/* 1 held, 2 the free is coming */

static void *
lock_holder(void *arg)
{

	(void)arg;
	host_thread_register();
	kmem_spin_lock(&locked_vm->vm_lock);
	atomic_store(&lock_state, 1);
	while (atomic_load(&lock_state) != 2)
		sched_yield();
	nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	kmem_spin_unlock(&locked_vm->vm_lock);
	host_thread_unregister();
	return (NULL);
}

static void
test_free_waits_for_lock(void)
{
	pthread_t t;
	vmem_addr_t a, b;
	char why[192];

	locked_vm = vmem_create("locked", BASE, 64 * Q, Q, 0, M_NOWAIT);
	ok(vmem_alloc(locked_vm, 4 * Q, M_NOWAIT, &a) == 0 &&
	    vmem_alloc(locked_vm, 4 * Q, M_NOWAIT, &b) == 0, "two segments");
	pthread_create(&t, NULL, lock_holder, NULL);
	while (atomic_load(&lock_state) != 1)
		sched_yield();
	atomic_store(&lock_state, 2);
	vmem_free(locked_vm, a, 4 * Q);
	pthread_join(t, NULL);
	ok(vmem_size(locked_vm, VMEM_ALLOC) == 4 * Q && vmem_check(locked_vm,
	    why, sizeof(why)) == 0, "a free that found the lock held waited "
	    "and freed");
	vmem_free(locked_vm, b, 4 * Q);
	vmem_destroy(locked_vm);
}

/* The round table's leaves: a backend that misbehaves, a leaf added twice. */
static void
test_qcache_leaf_add(void)
{
	struct vmem_qleaf *l;
	vmem_addr_t a;
	vmem_t *vm;
	char why[192];
	u_int b, nleaves;

	/* Before the backend, with magazines to be had: no leaf, the arena. */
	a = 0;
	vmem_set_backend(NULL, NULL);
	vm = vmem_create("boot-qc", BASE, 64 * Q, Q, Q, M_NOWAIT);
	ok(vm != NULL && vmem_alloc(vm, Q, M_NOWAIT, &a) == 0 &&
	    vmem_size(vm, VMEM_ALLOC) == Q, "a boot arena with a magazine but "
	    "no backend for a leaf allocates from the arena");
	vmem_free(vm, a, Q);
	vmem_destroy(vm);
	vmem_set_backend(p_alloc, p_free);

	/* Another caller adds the leaf while this one asks the backend. */
	vm = vmem_create("leaf-twice", BASE, 256 * Q, Q, 2 * Q, M_NOWAIT);
	be_nested = vm;
	ok(vmem_alloc(vm, Q, M_NOWAIT, &a) == 0 && be_nested_a != 0,
	    "an allocation whose leaf another one added meanwhile");
	nleaves = 0;
	for (b = 0; b < VMEM_QLEAF_BUCKETS; b++)
		for (l = vm->vm_qleaf[b]; l != NULL; l = l->ql_next)
			nleaves++;
	ok(nleaves == 1 && vmem_check(vm, why, sizeof(why)) == 0,
	    "one leaf, the other page went back");
	vmem_free(vm, a, Q);
	vmem_free(vm, be_nested_a, 2 * Q);
	vmem_drain(vm);
	ok(vmem_size(vm, VMEM_ALLOC) == 0, "both free");
	vmem_destroy(vm);
}

/* Last: it leaves its arena's slot held by the call that panicked. */
static void
test_qcache_leaf_misaligned(void)
{
	vmem_t *vm;
	vmem_addr_t a;

	vm = vmem_create("leaf-odd", BASE, 256 * Q, Q, Q, M_NOWAIT);
	be_misaligned = (char *)1;
	EXPECT_PANIC((void)vmem_alloc(vm, Q, M_NOWAIT, &a), "vmem_qleaf_add",
	    "not page-aligned", "a backend page off its alignment for a leaf");
	p_free(be_misaligned, PAGE_SIZE);
	be_misaligned = NULL;
}

int
main(void)
{

	host_thread_register();
	test_boot_pool();
	vmem_set_backend(p_alloc, p_free);
	test_qcache_starved();
	test_check_finds_damage();
	test_dumps();
	test_create_answers();
	test_add_next_to_spans();
	test_top_and_overflow();
	test_xfree_of_cached_round();
	test_qcache_slot_held();
	test_qcache_previous_magazine();
	test_qcache_leaf_lists();
	test_tags_run_dry();
	test_nextfit_cursor();
	test_add_wakes_waiters();
	test_free_waits_for_lock();
	test_qcache_import();
	test_qcache_leaf_add();
	test_qcache_leaf_misaligned();
	return (tap_done());
}
