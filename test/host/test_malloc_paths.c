/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * malloc(9), libc's malloc and the JSON report on paths the other host
 * tests do not take (host/malloc_edges, host/uma, host/report cover the
 * common ones):
 *  - a type's first allocation and M_ZERO from the fast path; sizes,
 *    flags and alignments the fast path hands on; kern_free(NULL); a
 *    busy bucket slot (an interrupted owner) sends malloc and free to
 *    the slabs;
 *  - kern_malloc_domainset trying each domain of a set in turn while
 *    pages are refused, and counting the failure;
 *  - every misuse of kern_free and kern_malloc_usable_size panics naming
 *    the function, the address and why;
 *  - libc: reallocarray, memalign and pvalloc at their limits;
 *  - the report: names with quotes, backslashes and control bytes come
 *    out escaped, a line too long for the buffer becomes an error line,
 *    a user arena and a type without a name are reported, a report into
 *    no buffer still says how long it is (and, a bug fixed, no longer
 *    prints itself on the console instead).
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>

#include <kmem.h>
#include <kmem/malloc.h>
#include <kmem/report.h>
#include "host.h"
#include "host_boot.h"
#include "capture.h"
#include "tap.h"
#include "expect_panic.h"
#include "uma_int.h"

/* The host build names libc's functions kmem_libc_* (libc_malloc.c). */
void *kmem_libc_reallocarray(void *p, size_t n, size_t size);
void *kmem_libc_memalign(size_t align, size_t size);
void *kmem_libc_pvalloc(size_t size);
void *kmem_libc_calloc(size_t n, size_t size);
void kmem_libc_free(void *p);
void *kmem_libc_malloc(size_t size);

MALLOC_DEFINE(M_PATHS, "paths", "test/host/test_malloc_paths.c");
MALLOC_DEFINE(M_FRESH, "fresh", "a type used once, late");
MALLOC_DEFINE(M_NONAME, NULL, "a type without a short name");
MALLOC_DEFINE(M_ZTYPE, "ztype", "a type first used with M_ZERO");

static char rep[256 * 1024];
/* Memory kmem never gave out: the program's own data. */
static char not_kmem[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static const char zeros[64];

static struct malloc_type_stats
stats(struct malloc_type *t)
{
	struct malloc_type_stats st;

	malloc_type_stats(t, &st);
	return (st);
}

static void
fast_path_hands_on(void)
{
	struct malloc_type_stats a, b;
	uint8_t *p, *q;
	bool none;

	/* A large block first: the type is registered, no zone made yet. */
	none = kmem_zone_for(40) == NULL;
	q = kern_malloc(3 * KMEM_ZMAX, M_PATHS, M_WAITOK);
	none = none && q != NULL && kmem_zone_for(40) == NULL;
	p = kern_malloc(40, M_PATHS, M_WAITOK | M_ZERO);
	ok(none && kmem_zone_for(40) != NULL && p != NULL && memcmp(p, zeros,
	    48) == 0, "a large block makes no zone; the first small one makes "
	    "them, with M_ZERO: 48 zero bytes");
	kern_free(p, M_PATHS);
	kern_free(q, M_PATHS);
	p = kern_malloc(48, M_PATHS, M_WAITOK);
	memset(p, 0xee, 48);
	kern_free(p, M_PATHS);
	q = kern_malloc(48, M_PATHS, M_WAITOK | M_ZERO);
	ok(q == p && memcmp(q, zeros, 64) == 0, "M_ZERO from this hart's bucket: the "
	    "block just freed, zeroed");
	kern_free(q, M_PATHS);
	ok(atomic_load(&M_FRESH->ks_registered) == 0, "a type never used is "
	    "not registered");
	p = kern_malloc(32, M_FRESH, M_NOWAIT);
	b = stats(M_FRESH);
	ok(p != NULL && atomic_load(&M_FRESH->ks_registered) == 1 &&
	    b.mts_numallocs == 1 && b.mts_memalloced == 32, "its first "
	    "allocation registers and counts it");
	kern_free(p, M_FRESH);
	a = stats(M_PATHS);
	kern_free(NULL, M_PATHS);
	b = stats(M_PATHS);
	ok(b.mts_numfrees == a.mts_numfrees, "kern_free(NULL) does nothing");
	p = kern_malloc(64, M_PATHS, M_NOWAIT | M_USE_RESERVE);
	ok(p != NULL && kern_malloc_usable_size(p) == 64, "flags beyond "
	    "M_NOWAIT: the slow path allocates");
	kern_free(p, M_PATHS);
	p = kern_malloc_aligned(KMEM_ZMAX + 1, PAGE_SIZE, M_PATHS, M_WAITOK);
	ok(p != NULL && ((uintptr_t)p & PAGE_MASK) == 0 &&
	    kern_malloc_usable_size(p) == round_page(KMEM_ZMAX + 1),
	    "kern_malloc_aligned above the zones: page-aligned pages");
	kern_free(p, M_PATHS);
	ok(kern_malloc_aligned(64, 0, M_PATHS, M_WAITOK) == NULL &&
	    kern_malloc_aligned(64, 48, M_PATHS, M_WAITOK) == NULL &&
	    kern_malloc_aligned(64, 2 * PAGE_SIZE, M_PATHS, M_WAITOK) == NULL,
	    "kern_malloc_aligned: 0, not a power of two, above a page: NULL");
	ok(kern_mallocarray(5, 0, M_PATHS, M_NOWAIT) != NULL,
	    "kern_mallocarray of 0-byte elements: a block");
}

/* M_ZERO beside what the fast path takes: large, a new type, more flags. */
static void
zero_beside_fast_path(void)
{
	uint8_t *p;

	p = kern_malloc(3 * KMEM_ZMAX, M_PATHS, M_WAITOK | M_ZERO);
	ok(p != NULL && kern_malloc_usable_size(p) == 3 * KMEM_ZMAX,
	    "M_ZERO above the zones: a large block");
	kern_free(p, M_PATHS);
	p = kern_malloc(200, M_ZTYPE, M_NOWAIT | M_ZERO);
	ok(p != NULL && memcmp(p, zeros, 64) == 0 &&
	    atomic_load(&M_ZTYPE->ks_registered) == 1, "M_ZERO as a type's "
	    "first allocation: zeroed, the type registered");
	kern_free(p, M_ZTYPE);
	p = kern_malloc(64, M_PATHS, M_NOWAIT | M_ZERO | M_USE_RESERVE);
	ok(p != NULL && memcmp(p, zeros, 64) == 0, "M_ZERO with "
	    "M_USE_RESERVE: zeroed");
	kern_free(p, M_PATHS);
}

/* An interrupted owner holds this hart's slot: the slabs serve. */
static void
busy_malloc_slot(void)
{
	struct uma_cache *c;
	struct malloc_type_stats a, b;
	uma_zone_t z;
	uintptr_t h;
	void *p, *q, *r;
	u_long out;
	int d;

	z = kmem_zone_for(64);
	c = &z->uz_cpu[kmem_cpuid()];
	h = slot_take(&c->uc_alloc);
	out = z->uz_dom[c->uc_domain].ud_out;
	a = stats(M_PATHS);
	p = kern_malloc(64, M_PATHS, M_NOWAIT);
	q = kern_malloc(64, M_PATHS, M_NOWAIT | M_ZERO);
	r = kmem_libc_malloc(50);
	ok(p != NULL && q != NULL && r != NULL && p != q && q != r &&
	    memcmp(q, zeros, 64) == 0 && z->uz_dom[c->uc_domain].ud_out ==
	    out + 3, "kern_malloc, M_ZERO and libc malloc with the slot busy: "
	    "three blocks from the slabs");
	kern_free(p, M_PATHS);
	kern_free(q, M_PATHS);
	kmem_libc_free(r);
	b = stats(M_PATHS);
	ok(z->uz_dom[c->uc_domain].ud_out == out && b.mts_numallocs ==
	    a.mts_numallocs + 2 && b.mts_numfrees == a.mts_numfrees + 2,
	    "their frees go back to the slabs, counted");
	slot_give(&c->uc_alloc, h);

	/* A block of the other domain goes back to its own slab at once. */
	d = (c->uc_domain + 1) % (u_int)vm_ndomains;
	p = kern_malloc_domainset(64, M_PATHS, DOMAINSET_FIXED(d), M_NOWAIT);
	out = z->uz_dom[d].ud_out;
	kern_free(p, M_PATHS);
	ok(p != NULL && z->uz_dom[d].ud_out == out - 1, "kern_free of a "
	    "block of domain %d on a hart of domain %u: back to its slab", d,
	    c->uc_domain);
}

static void
domainset_under_shortage(void)
{
	struct malloc_type_stats a, b;
	void *p;
	long counted;

	/* No zone holds 16 KiB items yet: each domain needs a new slab. */
	a = stats(M_PATHS);
	vm_page_fail_after(0, true);
	p = kern_malloc_domainset(KMEM_ZMAX, M_PATHS, DOMAINSET_RR(),
	    M_NOWAIT);
	counted = vm_page_fail_after(-1, false);
	b = stats(M_PATHS);
	ok(p == NULL && counted >= vm_ndomains && b.mts_failures ==
	    a.mts_failures + 1, "every page refused: each of the %d domains "
	    "tried (%ld page allocations), NULL, one failure counted",
	    vm_ndomains, counted);
	p = kern_malloc_domainset(KMEM_ZMAX, M_PATHS, DOMAINSET_RR(),
	    M_NOWAIT);
	ok(p != NULL, "pages back: the same call succeeds");
	kern_free(p, M_PATHS);
}

static void
bad_frees(void)
{
	char a[32], *p, *big, *q, *alias;
	vm_offset_t kva;
	uma_zone_t z;

	big = kern_malloc(3 * KMEM_ZMAX, M_PATHS, M_WAITOK);
	EXPECT_PANIC(kern_free(big + 8, M_PATHS), "kern_free",
	    expect_hex(a, sizeof(a), (u_long)big + 8), "kern_free of a "
	    "pointer inside a large block");
	kva = kva_alloc(PAGE_SIZE);
	EXPECT_PANIC(kern_free((void *)kva, M_PATHS), "kern_free",
	    "no malloc block starts there", "kern_free of KVA with no page");
	kva_free(kva, PAGE_SIZE);
	EXPECT_PANIC((void)kern_malloc_usable_size(big + PAGE_SIZE),
	    "kern_malloc_usable_size", "no malloc block starts there",
	    "kern_malloc_usable_size of a large block's second page");
	alias = (char *)PHYS_TO_DMAP(pmap_kextract((vm_offset_t)big));
	EXPECT_PANIC(kern_free(alias, M_PATHS), "kern_free",
	    "not in a UMA slab page", "kern_free of a large block's first page "
	    "through the direct map");
	EXPECT_PANIC((void)kern_malloc_usable_size(alias),
	    "kern_malloc_usable_size", "not in a UMA slab page",
	    "kern_malloc_usable_size of the same");
	kern_free(big, M_PATHS);
	EXPECT_PANIC(kern_free(not_kmem, M_PATHS), "kern_free",
	    "no malloc block starts there", "kern_free of a page of the "
	    "program's own data");
	EXPECT_PANIC((void)kern_malloc_usable_size(not_kmem + 16),
	    "kern_malloc_usable_size", "no malloc block starts there",
	    "kern_malloc_usable_size of a static address");
	p = kern_malloc(64, M_PATHS, M_WAITOK);
	kern_free(p, M_PATHS);
	EXPECT_PANIC((void)kern_malloc_usable_size(p),
	    "kern_malloc_usable_size", "already free", "kern_malloc_usable_size "
	    "of a freed block");
	z = uma_zcreate("paths-notmalloc", 64, NULL, NULL, NULL, NULL, 0, 0);
	q = uma_zalloc(z, M_WAITOK);
	EXPECT_PANIC((void)kern_malloc_usable_size(q),
	    "kern_malloc_usable_size", "not a malloc block",
	    "kern_malloc_usable_size of another zone's item");
	EXPECT_PANIC((void)kern_malloc_usable_size(q + 16),
	    "kern_malloc_usable_size", "not a malloc block",
	    "kern_malloc_usable_size inside another zone's item");
	uma_zfree(z, q);
	uma_zdestroy(z);
}

static void
libc_limits(void)
{
	void *p, *q;

	p = kmem_libc_reallocarray(NULL, 10, 0);
	q = kmem_libc_reallocarray(NULL, 4, 25);
	ok(p != NULL && q != NULL && kern_malloc_usable_size(q) == 128,
	    "reallocarray of 0-byte elements and of 4 x 25 bytes");
	kmem_libc_free(p);
	kmem_libc_free(q);
	errno = 0;
	ok(kmem_libc_memalign(0, 16) == NULL && errno == EINVAL,
	    "memalign(0): NULL, EINVAL");
	errno = 0;
	ok(kmem_libc_memalign(64, (size_t)1 << 50) == NULL && errno == ENOMEM,
	    "memalign of 1 PiB: NULL, ENOMEM");
	p = kmem_libc_pvalloc(0);
	ok(p != NULL && kern_malloc_usable_size(p) == PAGE_SIZE &&
	    ((uintptr_t)p & PAGE_MASK) == 0, "pvalloc(0): one page");
	kmem_libc_free(p);
}

/* A zone with a name JSON must escape, one too long for a line. */
static void
report_edges(void)
{
	static char longname[700];
	uma_zone_t z1, z2;
	vmem_t *vm;
	size_t need, n0, n1, n2;
	char con[256];
	void *p;

	z1 = uma_zcreate("q\"uote\\back\ttab", 64, NULL, NULL, NULL, NULL, 0,
	    0);
	memset(longname, 'n', sizeof(longname) - 1);
	z2 = uma_zcreate(longname, 64, NULL, NULL, NULL, NULL, 0, 0);
	vm = vmem_create("paths-user", 0x100000, 0x10000, 0x1000, 0,
	    M_WAITOK);
	p = kern_malloc(64, M_NONAME, M_WAITOK);
	need = kmem_report_json_buf(rep, sizeof(rep));
	ok(need < sizeof(rep) && strstr(rep, "\"name\":\"q\\\"uote\\\\back"
	    "\\u0009tab\"") != NULL, "a zone name's quote, backslash and tab "
	    "are escaped");
	ok(strstr(rep, "{\"kmem\":\"error\",\"snap\":") != NULL &&
	    strstr(rep, "\"what\":\"line too long\"}") != NULL &&
	    strstr(rep, "nnnnnnnnnnnnnnnn") == NULL, "a zone line too long "
	    "for a line becomes an error line");
	ok(strstr(rep, "\"name\":\"paths-user\",\"kind\":\"user\","
	    "\"domain\":-1") != NULL && strstr(rep, "\"import\":false") !=
	    NULL, "a user arena: kind user, no domain, no import");
	ok(strstr(rep, "\"kmem\":\"malloc_type\"") != NULL &&
	    strstr(rep, "\"name\":\"?\"") != NULL, "a type without a name "
	    "is reported as ?");
	capture_begin();
	n0 = kmem_report_json_buf(NULL, 0);
	rep[0] = 'x';
	n2 = kmem_report_json_buf(rep, 0);
	ok(rep[0] == 'x' && n2 == need, "a report into 0 bytes writes none");
	n1 = kmem_report_json_buf(rep, 1);
	capture_end(con, sizeof(con));
	ok(n0 == need && n1 == need && rep[0] == '\0' && con[0] == '\0',
	    "a report into no buffer, or one byte, says how long it is (%zu) "
	    "and prints nothing", n0);
	kern_free(p, M_NONAME);
	vmem_destroy(vm);
	uma_zdestroy(z1);
	uma_zdestroy(z2);
}

int
main(void)
{
	struct fdt_machine m;

	ok(host_boot(&m, 2) == 0, "kmem boots on 2 domains");
	fast_path_hands_on();
	zero_beside_fast_path();
	busy_malloc_slot();
	domainset_under_shortage();
	bad_frees();
	libc_limits();
	report_edges();
	return (tap_done());
}
