/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vmem.c: vmem arenas against the reference model of
 * test/lib/vmem_model.h (long random runs), and named cases: bad input,
 * invalid frees, running out, next fit and instant fit, hash resizing,
 * the lock-free quantum cache from several threads, boot-time arenas.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmem/fault.h>
#include <kmem/vmem.h>

#include "host.h"
#include "tap.h"
#include "vmem_model.h"

/* ------------------------------------------------------------ named tests */

static struct vmem named_storage;

static void
test_bad_input(void)
{
	vmem_t *vm;
	vmem_addr_t a;

	vm = vmem_create("bad", 0x1000, 0x10000, 16, 64, M_WAITOK);
	ok(vm != NULL, "create an arena for bad-input tests");
	ok(vmem_alloc(vm, 0, M_NOWAIT, &a) == EINVAL, "zero size: EINVAL");
	ok(vmem_xalloc(vm, 0, 0, 0, 0, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "xalloc zero size: EINVAL");
	ok(vmem_alloc(vm, VMEM_ADDR_MAX - 3, M_NOWAIT, &a) == ENOMEM,
	    "size that overflows when rounded: ENOMEM");
	ok(vmem_alloc(vm, VMEM_ADDR_MAX - 3, M_WAITOK, &a) == ENOMEM,
	    "overflowing size with M_WAITOK: ENOMEM, no sleep");
	ok(vmem_alloc(vm, 16, M_NOWAIT | M_WAITOK, &a) == EINVAL,
	    "M_NOWAIT|M_WAITOK: EINVAL");
	ok(vmem_alloc(vm, 16, M_NOWAIT | M_BESTFIT | M_FIRSTFIT, &a) ==
	    EINVAL, "two fit strategies: EINVAL");
	ok(vmem_alloc(vm, 16, M_NOWAIT, NULL) == EINVAL, "NULL addrp: EINVAL");
	ok(vmem_xalloc(vm, 16, 24, 0, 0, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "align not a power of two: EINVAL");
	ok(vmem_xalloc(vm, 16, 8, 0, 0, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "align below the quantum: EINVAL");
	ok(vmem_xalloc(vm, 16, 64, 64, 0, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "phase == align: EINVAL");
	ok(vmem_xalloc(vm, 16, 0, 16, 0, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "phase with align 0: EINVAL");
	ok(vmem_xalloc(vm, 16, 64, 8, 0, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "phase not a multiple of the quantum: EINVAL");
	ok(vmem_xalloc(vm, 64, 0, 0, 32, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "nocross below size: EINVAL");
	ok(vmem_xalloc(vm, 16, 0, 0, 48, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "nocross not a power of two: EINVAL");
	ok(vmem_xalloc(vm, 64, 128, 96, 64, 0, VMEM_ADDR_MAX, M_NOWAIT, &a) ==
	    EINVAL, "phase..phase+size crossing nocross: EINVAL");
	ok(vmem_xalloc(vm, 16, 0, 0, 0, 0x5000, 0x4000, M_NOWAIT, &a) ==
	    EINVAL, "minaddr > maxaddr: EINVAL");
	ok(vmem_xalloc(vm, 16, 0, 0, 0, 0x2000, VMEM_ADDR_MAX,
	    M_NOWAIT | M_NEXTFIT, &a) == EINVAL,
	    "M_NEXTFIT with a window: EINVAL");
	ok(vmem_xalloc(vm, 0x100, 0, 0, 0, 0x2000, 0x207f, M_NOWAIT, &a) ==
	    ENOMEM, "window smaller than the size: ENOMEM");
	ok(vmem_xalloc(vm, 0x100, 0, 0, 0, 0x2000, 0x207f, M_WAITOK, &a) ==
	    ENOMEM, "window with no room, M_WAITOK: ENOMEM at once");
	ok(vmem_xalloc(vm, 0x10, 0x1000, 0, 0, 0x2010, 0x2fff, M_NOWAIT, &a) ==
	    ENOMEM, "window with no aligned room: ENOMEM");
	ok(vmem_add(vm, 0x2000, 0x1000, M_NOWAIT) == EINVAL,
	    "vmem_add inside a span: EINVAL");
	ok(vmem_add(vm, 0x800, 0x1000, M_NOWAIT) == EINVAL,
	    "vmem_add overlapping a span's start: EINVAL");
	ok(vmem_add(vm, 0x20000, 0, M_NOWAIT) == EINVAL,
	    "vmem_add of size 0: EINVAL");
	ok(vmem_add(vm, 0x20008, 0x100, M_NOWAIT) == EINVAL,
	    "vmem_add misaligned: EINVAL");
	ok(vmem_add(vm, VMEM_ADDR_MAX - 0xff, 0x200, M_NOWAIT) == EINVAL,
	    "vmem_add wrapping: EINVAL");
	ok(vmem_add(vm, VMEM_ADDR_MAX - 0xff, 0x100, M_NOWAIT) == 0,
	    "vmem_add ending at VMEM_ADDR_MAX works");
	ok(vmem_xalloc(vm, 0x100, 0, 0, 0, VMEM_ADDR_MAX - 0xff,
	    VMEM_ADDR_MAX, M_NOWAIT, &a) == 0 && a == VMEM_ADDR_MAX - 0xff,
	    "the top of the address space can be allocated");
	vmem_xfree(vm, a, 0x100);
	ok(vmem_size(vm, 0x4) == 0, "vmem_size with an unknown mask: 0");
	ok(vmem_size(vm, VMEM_ALLOC | VMEM_FREE) == 0x10100 &&
	    vmem_size(vm, VMEM_ALLOC) == 0, "bad input changed nothing");
	ok(vmem_init(&named_storage, "q0", 0, 0, 0, 0, M_NOWAIT) == NULL,
	    "vmem_init with quantum 0: NULL");
	ok(vmem_init(&named_storage, "q3", 0, 0, 3, 0, M_NOWAIT) == NULL,
	    "vmem_init with quantum 3: NULL");
	ok(vmem_init(&named_storage, "qc", 0, 0, 16, 40, M_NOWAIT) == NULL,
	    "vmem_init with qcache_max not a multiple: NULL");
	ok(vmem_create("badspan", 0x1001, 0x1000, 16, 0, M_NOWAIT) == NULL,
	    "vmem_create with a misaligned span: NULL");
	vmem_destroy(vm);
}

static char panic_text[256];

/*
 * True if vmem_free(vm, addr, size) panics with a message naming
 * vmem_free, the address and want; the message is left in panic_text.
 */
static bool
cached_free_panics(vmem_t *vm, vmem_addr_t addr, vmem_size_t size,
    const char *want)
{
	struct kmem_panic_catch pc;
	char hex[32];

	panic_text[0] = '\0';
	if (KMEM_PANIC_TRY(&pc)) {
		vmem_free(vm, addr, size);
		kmem_panic_disarm();
		return (false);
	}
	snprintf(panic_text, sizeof(panic_text), "%s", pc.kp_msg);
	snprintf(hex, sizeof(hex), "0x%lx", (u_long)addr);
	return (strstr(panic_text, "vmem_free") != NULL &&
	    strstr(panic_text, hex) != NULL && strstr(panic_text, want) != NULL);
}

static void
test_invalid_free(void)
{
	struct kmem_panic_catch pc;
	vmem_t *vm;
	vmem_addr_t a, b, c;
	char why[128];
	bool caught;

	vm = vmem_create("victim", 0x40000, 0x10000, 16, 0, M_WAITOK);
	vmem_alloc(vm, 64, M_NOWAIT, &a);
	vmem_alloc(vm, 32, M_NOWAIT, &b);

	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		vmem_xfree(vm, a + 16, 48);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "victim") && strstr(pc.kp_msg,
	    "0x40010") && strstr(pc.kp_msg, "0x30"),
	    "free of an address not allocated panics naming arena, address "
	    "and size: %s", pc.kp_msg);

	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		vmem_free(vm, a, 32);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "victim") && strstr(pc.kp_msg,
	    "0x40000") && strstr(pc.kp_msg, "0x20") && strstr(pc.kp_msg,
	    "0x40"), "free with the wrong size panics: %s", pc.kp_msg);

	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		vmem_free(vm, 0x90000, 16);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "0x90000"),
	    "free of an address outside the arena panics: %s", pc.kp_msg);

	vmem_free(vm, b, 32);
	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		vmem_free(vm, b, 32);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "not allocated"),
	    "double free panics: %s", pc.kp_msg);

	ok(vmem_check(vm, why, sizeof(why)) == 0 &&
	    vmem_size(vm, VMEM_ALLOC) == 64,
	    "the arena is intact and unlocked after the panics");
	vmem_free(vm, a, 64);
	vmem_destroy(vm);

	/*
	 * Bad frees of a cached size panic at the call, naming vmem_free and
	 * the address, though the round would go into a magazine.
	 */
	vm = vmem_create("cached", 0x40000, 0x10000, 16, 64, M_WAITOK);
	vmem_alloc(vm, 32, M_NOWAIT, &a);
	ok(cached_free_panics(vm, a, 16, "freed with size 0x10"),
	    "a wrong-size free of a cached size panics at the call: %s",
	    panic_text);
	vmem_free(vm, a, 32);
	ok(cached_free_panics(vm, a, 32, "freed twice"),
	    "a second free of a cached round panics at the call: %s",
	    panic_text);
	ok(cached_free_panics(vm, 0x48000, 32, "not allocated"),
	    "a cached-size free of an address never given out panics: %s",
	    panic_text);
	b = c = 0;
	ok(vmem_alloc(vm, 32, M_NOWAIT, &b) == 0 &&
	    vmem_alloc(vm, 32, M_NOWAIT, &c) == 0 && b != c,
	    "after the refused frees no address is handed out twice");
	vmem_free(vm, b, 32);
	vmem_free(vm, c, 32);
	ok(vmem_check(vm, why, sizeof(why)) == 0,
	    "the cached arena is intact after the panics");
	vmem_drain(vm);
	vmem_destroy(vm);
}

static unsigned long reclaim_calls;

static void
count_reclaim(vmem_t *vm, int flags)
{

	(void)vm;
	(void)flags;
	reclaim_calls++;
}

static int
deny_import(void *arg, vmem_size_t size, int flags, vmem_addr_t *addrp)
{

	(void)arg; (void)size; (void)flags; (void)addrp;
	return (ENOMEM);
}

static void
test_running_out(void)
{
	struct kmem_panic_catch pc;
	vmem_t *vm;
	vmem_addr_t a, b;
	bool caught;

	vm = vmem_create("small", 0x1000, 0x100, 16, 32, M_WAITOK);
	vmem_set_reclaim(vm, count_reclaim);
	ok(vmem_alloc(vm, 0x100, M_NOWAIT, &a) == 0, "fill the arena");
	ok(vmem_alloc(vm, 16, M_NOWAIT, &b) == ENOMEM && reclaim_calls == 1,
	    "M_NOWAIT on a full arena: ENOMEM after one reclaim call");
	vmem_free(vm, a, 0x100);

	/* Rounds held in the quantum cache are drained before failing. */
	ok(vmem_alloc(vm, 16, M_NOWAIT, &a) == 0, "a cached round");
	vmem_free(vm, a, 16);
	ok(vmem_size(vm, VMEM_ALLOC) > 0, "rounds sit in the cache");
	ok(vmem_alloc(vm, 0x100, M_NOWAIT, &a) == 0,
	    "a whole-arena allocation drains the cache and succeeds");

	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		(void)vmem_alloc(vm, 0x10, M_WAITOK, &b);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "small") && strstr(pc.kp_msg,
	    "deadlock"), "M_WAITOK that can never succeed panics and says "
	    "so: %s", pc.kp_msg);
	vmem_free(vm, a, 0x100);
	vmem_destroy(vm);

	/* Imports stop at the limit; failed imports leave nothing behind. */
	{
		vmem_t *p, *c;
		vmem_addr_t a1 = 0, b1 = 0;

		p = vmem_create("lp", 0x100000, 0x100000, 4096, 0, M_WAITOK);
		c = vmem_create("lc", 0, 0, 4096, 0, M_WAITOK);
		nma = 0;
		ma[0].vm = p;
		ma[0].name = "lp";
		ma[1].vm = c;
		ma[1].name = "lc";
		ma[1].parent = 0;
		ma[1].nimp = 0;
		vmem_set_import(c, m_import, m_release, &ma[1], 0x4000);
		vmem_set_limit(c, 0x8000);
		ok(vmem_alloc(c, 0x4000, M_NOWAIT, &a1) == 0 &&
		    vmem_alloc(c, 0x4000, M_NOWAIT, &b1) == 0,
		    "imports up to the limit");
		ok(vmem_alloc(c, 0x1000, M_NOWAIT, &a) == ENOMEM || (vmem_free(
		    c, a, 0x1000), 0), "an import past the limit: ENOMEM");
		ok(vmem_xalloc(c, 0x1000, 0, 0, 0, 0x100000, 0x100fff,
		    M_NOWAIT, &a) == ENOMEM && vmem_size(c, VMEM_ALLOC |
		    VMEM_FREE) == 0x8000, "a failed constrained allocation "
		    "keeps no extra imported span");
		vmem_free(c, a1, 0x4000);
		vmem_free(c, b1, 0x4000);
		ok(vmem_size(c, VMEM_ALLOC | VMEM_FREE) == 0,
		    "freeing gives the imported spans back at once");
		vmem_alloc(c, 0x1000, M_NOWAIT, &a1);
		vmem_free(c, a1, 0x1000);
		vmem_destroy(c);
		ok(vmem_size(p, VMEM_ALLOC) == 0,
		    "destroying the child gave its spans back");
		vmem_destroy(p);
	}
	vm = vmem_create("noimp", 0, 0, 16, 0, M_WAITOK);
	vmem_set_import(vm, deny_import, NULL, NULL, 0);
	ok(vmem_alloc(vm, 16, M_NOWAIT, &a) == ENOMEM,
	    "an import that fails gives ENOMEM");
	vmem_destroy(vm);
}

/* M_WAITOK sleeps until a free wakes it. */
static vmem_t *sleep_vm;
static atomic_int sleeper_state;

static void *
sleeper(void *arg)
{
	vmem_addr_t a;
	int error;

	(void)arg;
	host_thread_register();
	atomic_store(&sleeper_state, 1);
	error = vmem_alloc(sleep_vm, 0x80, M_WAITOK, &a);
	atomic_store(&sleeper_state, error == 0 ? 2 : 3);
	if (error == 0)
		vmem_free(sleep_vm, a, 0x80);
	host_thread_unregister();
	return (NULL);
}

static void
test_waitok_sleeps(void)
{
	pthread_t t;
	vmem_addr_t a;
	int i;

	sleep_vm = vmem_create("sleepy", 0x1000, 0x100, 16, 0, M_WAITOK);
	vmem_alloc(sleep_vm, 0x100, M_NOWAIT, &a);
	pthread_create(&t, NULL, sleeper, NULL);
	while (atomic_load(&sleeper_state) == 0)
		sched_yield();
	for (i = 0; i < 200; i++)
		sched_yield();
	ok(atomic_load(&sleeper_state) == 1, "M_WAITOK on a full arena sleeps");
	vmem_free(sleep_vm, a, 0x100);
	pthread_join(t, NULL);
	ok(atomic_load(&sleeper_state) == 2, "a free wakes it and it succeeds");
	vmem_destroy(sleep_vm);
}

/*
 * The quantum-cache common path takes no lock: an allocation pops a round,
 * a free claims it with a compare-and-swap of its round-table entry (the
 * check that catches a bad free at the call).
 */
static void
test_qcache_lockless(void)
{
	struct vmem_stats vs;
	vmem_t *vm;
	vmem_addr_t a[8];
	unsigned long before;
	int i, j;
	bool good = true;

	vm = vmem_create("lockless", 0x100000, 0x100000, 16, 16 * 16,
	    M_WAITOK);
	for (j = 0; j < 8; j++)
		vmem_alloc(vm, 48, M_NOWAIT, &a[j]);
	for (j = 0; j < 8; j++)
		vmem_free(vm, a[j], 48);
	before = kmem_spin_count();
	for (i = 0; i < 1000; i++) {
		good &= vmem_alloc(vm, 48, M_WAITOK, &a[0]) == 0;
		vmem_free(vm, a[0], 48);
	}
	ok(good && kmem_spin_count() - before == 0,
	    "1000 warm alloc+free pairs of a cached size took no lock, "
	    "its free's check included (%lu acquisitions)",
	    kmem_spin_count() - before);
	vmem_get_stats(vm, &vs);
	ok(vs.vs_qcache_rounds != 0 && vs.vs_qcache_bytes ==
	    vmem_size(vm, VMEM_ALLOC), "the statistics count each cached round "
	    "once (%lu rounds, 0x%lx bytes, 0x%lx allocated)",
	    (u_long)vs.vs_qcache_rounds, (u_long)vs.vs_qcache_bytes,
	    (u_long)vmem_size(vm, VMEM_ALLOC));
	vmem_drain(vm);
	ok(vmem_size(vm, VMEM_ALLOC) == 0, "drain returns every round");
	vmem_destroy(vm);
}

/* Several harts hammer the quantum caches while one drains. */
#define QT_THREADS	4
#define QT_BASE		0x1000000UL
#define QT_SIZE		0x40000UL
static vmem_t *qt_vm;
static atomic_uchar qt_owner[QT_SIZE / 16];
static atomic_int qt_bad;

static void *
qt_worker(void *arg)
{
	vmem_addr_t mine[64], a;
	vmem_size_t sizes[64], s;
	uint64_t r = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
	unsigned long i, k, n = 0;

	host_thread_register();
	for (i = 0; i < 20000; i++) {
		r ^= r << 13; r ^= r >> 7; r ^= r << 17;
		if (n < 64 && (n == 0 || r % 3 != 0)) {
			s = 16 * (1 + (r >> 8) % 8);
			if (vmem_alloc(qt_vm, s, M_NOWAIT, &a) != 0)
				continue;
			for (k = 0; k < s / 16; k++)
				if (atomic_exchange(&qt_owner[(a - QT_BASE) /
				    16 + k], 1) != 0)
					atomic_fetch_add(&qt_bad, 1);
			mine[n] = a;
			sizes[n++] = s;
		} else {
			k = (r >> 16) % n;
			a = mine[k];
			s = sizes[k];
			mine[k] = mine[--n];
			sizes[k] = sizes[n];
			for (k = 0; k < s / 16; k++)
				atomic_store(&qt_owner[(a - QT_BASE) / 16 + k],
				    0);
			vmem_free(qt_vm, a, s);
		}
		if ((uintptr_t)arg == 0 && i % 500 == 0)
			vmem_drain(qt_vm);
	}
	while (n > 0) {
		n--;
		for (k = 0; k < sizes[n] / 16; k++)
			atomic_store(&qt_owner[(mine[n] - QT_BASE) / 16 + k], 0);
		vmem_free(qt_vm, mine[n], sizes[n]);
	}
	host_thread_unregister();
	return (NULL);
}

static void
test_qcache_threads(void)
{
	pthread_t t[QT_THREADS];
	char why[128];
	uintptr_t i;

	qt_vm = vmem_create("qthreads", QT_BASE, QT_SIZE, 16, 8 * 16,
	    M_WAITOK);
	for (i = 0; i < QT_THREADS; i++)
		pthread_create(&t[i], NULL, qt_worker, (void *)i);
	for (i = 0; i < QT_THREADS; i++)
		pthread_join(t[i], NULL);
	ok(atomic_load(&qt_bad) == 0, "%d harts never got the same quantum "
	    "twice", QT_THREADS);
	ok(vmem_size(qt_vm, VMEM_ALLOC) > 0,
	    "rounds are held in the harts' magazines before the drain");
	vmem_drain(qt_vm);
	ok(vmem_size(qt_vm, VMEM_ALLOC) == 0 &&
	    vmem_check(qt_vm, why, sizeof(why)) == 0,
	    "a drain from another hart empties every hart's magazines");
	vmem_destroy(qt_vm);
}

static void
test_hash_resizes(void)
{
	static vmem_addr_t a[6000];
	struct vmem_stats vs;
	vmem_t *vm;
	char why[128];
	int i;
	bool good = true;

	vm = vmem_create("hashy", 0x1000000, 0x1000000, 16, 0, M_WAITOK);
	for (i = 0; i < 6000; i++)
		good &= vmem_alloc(vm, 16 * (1 + i % 5), M_NOWAIT, &a[i]) == 0;
	vmem_get_stats(vm, &vs);
	ok(good && vs.vs_hashsize >= 2048 && vmem_check(vm, why,
	    sizeof(why)) == 0, "the busy hash grew with the load (%lu "
	    "buckets for %lu busy)", (u_long)vs.vs_hashsize,
	    (u_long)vs.vs_nbusy);
	for (i = 0; i < 6000; i++)
		vmem_free(vm, a[i], 16 * (1 + i % 5));
	vmem_get_stats(vm, &vs);
	ok(vs.vs_hashsize == VMEM_HASH0_SIZE && vs.vs_nfree == 1,
	    "and shrank back to the embedded table once empty (%lu)",
	    (u_long)vs.vs_hashsize);
	vmem_destroy(vm);
}

static void
test_nextfit_and_instant(void)
{
	vmem_t *vm;
	vmem_addr_t a, b, c;

	vm = vmem_create("nf", 1, 100, 1, 0, M_WAITOK);
	vmem_alloc(vm, 1, M_NOWAIT | M_NEXTFIT, &a);
	vmem_free(vm, a, 1);
	vmem_alloc(vm, 1, M_NOWAIT | M_NEXTFIT, &b);
	ok(a == 1 && b == 2, "M_NEXTFIT does not reuse a just-freed id "
	    "(%lu then %lu)", (u_long)a, (u_long)b);
	vmem_free(vm, b, 1);
	vmem_destroy(vm);

	vm = vmem_create("fit", 0x1000, 0x1000, 16, 0, M_WAITOK);
	vmem_alloc(vm, 0x30, M_NOWAIT, &a);	/* 0x1000 */
	vmem_alloc(vm, 0x10, M_NOWAIT, &b);	/* 0x1030 separator */
	vmem_alloc(vm, 0x20, M_NOWAIT, &c);	/* 0x1040 */
	vmem_alloc(vm, 0x10, M_NOWAIT, &b);	/* 0x1060 separator */
	vmem_free(vm, a, 0x30);
	vmem_free(vm, c, 0x20);
	ok(vmem_alloc(vm, 0x20, M_NOWAIT | M_BESTFIT, &a) == 0 && a == 0x1040,
	    "best fit takes the exact hole (0x%lx)", (u_long)a);
	vmem_free(vm, a, 0x20);
	ok(vmem_alloc(vm, 0x18, M_NOWAIT | M_FIRSTFIT, &a) == 0 && a == 0x1040,
	    "instant fit of 0x18 takes a 0x20 hole (0x%lx)", (u_long)a);
	vmem_free(vm, a, 0x18);
	ok(vmem_size(vm, VMEM_MAXFREE) == 0x1000 - 0x70,
	    "VMEM_MAXFREE is the largest free segment (0x%lx)",
	    (u_long)vmem_size(vm, VMEM_MAXFREE));
	vmem_free(vm, 0x1030, 0x10);
	vmem_free(vm, b, 0x10);
	vmem_destroy(vm);
}

/*
 * The hot allocation path leaves the rest of the segment it carved on its
 * old list (vm_stale) until something searches.  Every search must see it
 * at its real size: an instant fit of the old size must not get it back,
 * a window that holds only it must find it, VMEM_MAXFREE must not count
 * the carved part, and a free next to it must coalesce it.
 */
static void
test_carved_rest_is_found_at_its_size(void)
{
	vmem_t *vm;
	vmem_addr_t a, b, c, d, e;
	char why[128];

	/* [0x1000, 0x10a0): 0xa0 free hole between separators, then rest. */
	vm = vmem_create("rest", 0x1000, 0x1000, 16, 0, M_WAITOK);
	vmem_alloc(vm, 0x10, M_NOWAIT, &a);	/* 0x1000 separator */
	vmem_alloc(vm, 0xa0, M_NOWAIT, &b);	/* 0x1010 hole */
	vmem_alloc(vm, 0x10, M_NOWAIT, &c);	/* 0x10b0 separator */
	vmem_alloc(vm, 0xf40, M_NOWAIT, &d);	/* 0x10c0 to the end */
	vmem_free(vm, b, 0xa0);
	ok(vmem_alloc(vm, 0x30, M_NOWAIT | M_FIRSTFIT, &b) == 0 &&
	    b == 0x1010, "instant fit of 0x30 carves the 0xa0 hole (0x%lx)",
	    (u_long)b);
	ok(vmem_check(vm, why, sizeof(why)) == 0, "arena consistent with "
	    "the carved rest left on its list (%s)", why);
	ok(vmem_size(vm, VMEM_MAXFREE) == 0x70, "VMEM_MAXFREE sees the rest "
	    "at 0x70 (0x%lx)", (u_long)vmem_size(vm, VMEM_MAXFREE));
	ok(vmem_alloc(vm, 0xa0, M_NOWAIT | M_FIRSTFIT, &e) == ENOMEM,
	    "instant fit of the old size does not get the 0x70 rest");
	ok(vmem_alloc(vm, 0x70, M_NOWAIT | M_FIRSTFIT, &e) == 0 &&
	    e == 0x1040, "instant fit of 0x70 takes the rest (0x%lx)",
	    (u_long)e);
	vmem_free(vm, e, 0x70);
	vmem_free(vm, b, 0x30);
	ok(vmem_alloc(vm, 0x40, M_NOWAIT | M_BESTFIT, &b) == 0 &&
	    b == 0x1010, "best fit of 0x40 carves the whole hole again "
	    "(0x%lx)", (u_long)b);
	ok(vmem_xalloc(vm, 0x60, 0, 0, 0, 0x1050, 0x10af, M_NOWAIT |
	    M_FIRSTFIT, &e) == 0 && e == 0x1050, "a window holding only the "
	    "rest finds it (0x%lx)", (u_long)e);
	vmem_free(vm, b, 0x40);
	vmem_free(vm, e, 0x60);
	ok(vmem_check(vm, why, sizeof(why)) == 0, "frees coalesce the hole "
	    "back (%s)", why);
	ok(vmem_alloc(vm, 0xa0, M_NOWAIT | M_FIRSTFIT, &b) == 0 &&
	    b == 0x1010, "and the whole hole is one segment again (0x%lx)",
	    (u_long)b);
	vmem_free(vm, b, 0xa0);
	vmem_free(vm, a, 0x10);
	vmem_free(vm, c, 0x10);
	vmem_free(vm, d, 0xf40);
	ok(vmem_check(vm, why, sizeof(why)) == 0 &&
	    vmem_size(vm, VMEM_ALLOC) == 0, "all free (%s)", why);
	vmem_destroy(vm);
}

/* Arenas before the backend exists: static storage and the boot pool. */
static struct vmem boot_arena;

static void
test_boot(void)
{
	static vmem_addr_t ba[100], ca[100];
	vmem_t *c;
	int i;
	bool good = true;

	ok(vmem_init(&boot_arena, "boot", 0x80000000UL, 0x100000, 4096, 0,
	    M_NOWAIT) == &boot_arena, "vmem_init on static storage before "
	    "any backend");
	c = vmem_create("bootc", 0x1000, 0x1000, 16, 0, M_NOWAIT);
	ok(c != NULL, "vmem_create before any backend uses the boot pool");
	for (i = 0; i < 100; i++) {
		good &= vmem_alloc(&boot_arena, 4096, M_NOWAIT, &ba[i]) == 0;
		good &= vmem_alloc(c, 16, M_NOWAIT, &ca[i]) == 0;
	}
	ok(good && atomic_load(&be_live) == 0, "boot-time arenas allocate on "
	    "boot tags alone");
	for (i = 0; i < 100; i++) {
		vmem_free(&boot_arena, ba[i], 4096);
		vmem_free(c, ca[i], 16);
	}
	ok(vmem_size(c, VMEM_ALLOC) == 0 && vmem_size(&boot_arena,
	    VMEM_ALLOC) == 0, "and free back");
	vmem_destroy(c);
}

int
main(void)
{
	host_thread_register();
	test_boot();
	vmem_set_backend(be_alloc, be_free);
	test_bad_input();
	test_invalid_free();
	test_running_out();
	test_nextfit_and_instant();
	test_carved_rest_is_found_at_its_size();
	test_hash_resizes();
	test_qcache_lockless();
	vmem_model_run(0x1234567, 20000, true);
	vmem_model_run(0xfeedbeef, 20000, false);
	vmem_model_run(0xabcdef12345ULL, 20000, true);
	test_waitok_sleeps();
	test_qcache_threads();
	return (tap_done());
}
