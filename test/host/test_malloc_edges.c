/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The malloc(9) and libc families at their edges, on the host twin:
 * zeroing frees (of zone blocks), realloc that keeps, moves or fails, reallocf that frees,
 * array sizes that overflow, domain sets, bad flags, alignments beyond a
 * page and the statistics printers.  (host/uma covers the common paths.)
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>

#include <kmem.h>
#include <kmem/malloc.h>
#include "host.h"
#include "host_boot.h"
#include "capture.h"
#include "tap.h"
#include "expect_panic.h"

/* The host build names libc's functions kmem_libc_* (libc_malloc.c). */
void *kmem_libc_malloc(size_t size);
void kmem_libc_free(void *p);
void *kmem_libc_reallocarray(void *p, size_t n, size_t size);
void *kmem_libc_memalign(size_t align, size_t size);
int kmem_libc_posix_memalign(void **pp, size_t align, size_t size);
void *kmem_libc_pvalloc(size_t size);
void kmem_libc_malloc_stats(void);
int kmem_libc_malloc_trim(size_t pad);
int kmem_libc_mallopt(int param, int value);

MALLOC_DEFINE(M_EDGE, "edgetest", "test/host/test_malloc_edges.c");

static char out[8192];

static struct malloc_type_stats
stats(void)
{
	struct malloc_type_stats st;

	malloc_type_stats(M_EDGE, &st);
	return (st);
}

static void
zfree_and_usable(void)
{
	struct malloc_type_stats a, b;
	uint8_t *p, *big;

	ok(kern_malloc_usable_size(NULL) == 0, "usable size of NULL is 0");
	kern_zfree(NULL, M_EDGE);
	p = kern_malloc(100, M_EDGE, M_WAITOK);
	big = kern_malloc(3 * KMEM_ZMAX, M_EDGE, M_WAITOK);
	ok(p != NULL && big != NULL, "a small and a large block");
	ok(kern_malloc_usable_size(p) == 128 &&
	    kern_malloc_usable_size(big) == 3 * KMEM_ZMAX,
	    "usable sizes: 128 for 100 bytes, %d for a large block",
	    3 * KMEM_ZMAX);
	memset(p, 0xa5, 100);
	a = stats();
	/* (A large block lives in KVA, which the host reaches only through
	   host_read/host_write: kern_zfree's memset of one runs on QEMU.) */
	kern_zfree(p, M_EDGE);
	kern_free(big, M_EDGE);
	b = stats();
	ok(b.mts_numfrees == a.mts_numfrees + 2 && b.mts_memfreed ==
	    a.mts_memfreed + 128 + 3 * KMEM_ZMAX,
	    "kern_zfree frees a zone block, kern_free a large block");
}

static void
realloc_edges(void)
{
	struct malloc_type_stats a, b;
	uint8_t *p, *q;
	int i;

	p = kern_realloc(NULL, 200, M_EDGE, M_NOWAIT);
	ok(p != NULL && kern_malloc_usable_size(p) == 256,
	    "kern_realloc(NULL, 200) allocates 256");
	for (i = 0; i < 200; i++)
		p[i] = (uint8_t)i;
	ok(kern_realloc(p, 150, M_EDGE, M_NOWAIT) == p,
	    "shrinking to 150 of 256 keeps the block");
	q = kern_realloc(p, 40, M_EDGE, M_NOWAIT);
	ok(q != p && kern_malloc_usable_size(q) == 64 && q[0] == 0 &&
	    q[39] == 39, "shrinking to 40 moves to a 64-byte block, copied");
	p = kern_realloc(q, 5000, M_EDGE, M_NOWAIT);
	ok(p != NULL && p[39] == 39, "growing to 5000 copies");
	a = stats();
	ok(kern_realloc(p, (size_t)1 << 50, M_EDGE, M_NOWAIT) == NULL &&
	    p[39] == 39, "a realloc that cannot be met is NULL, the block "
	    "intact");
	ok(kern_reallocf(p, (size_t)1 << 50, M_EDGE, M_NOWAIT) == NULL,
	    "kern_reallocf that cannot be met is NULL");
	b = stats();
	ok(b.mts_numfrees == a.mts_numfrees + 1 && b.mts_failures ==
	    a.mts_failures + 2, "... and frees the block (frees %llu -> %llu, "
	    "failures %llu -> %llu)", (unsigned long long)a.mts_numfrees,
	    (unsigned long long)b.mts_numfrees,
	    (unsigned long long)a.mts_failures,
	    (unsigned long long)b.mts_failures);
	p = kern_reallocf(NULL, 64, M_EDGE, M_NOWAIT);
	ok(p != NULL, "kern_reallocf(NULL, 64) allocates");
	kern_free(p, M_EDGE);
}

static void
array_and_sets(void)
{
	struct malloc_type_stats a, b;
	void *p;
	int d;

	p = kern_mallocarray(10, 24, M_EDGE, M_NOWAIT);
	ok(p != NULL && kern_malloc_usable_size(p) == 256,
	    "kern_mallocarray(10, 24) gives 256 bytes");
	kern_free(p, M_EDGE);
	EXPECT_PANIC((void)kern_mallocarray(SIZE_MAX / 2, 3, M_EDGE,
	    M_NOWAIT), "kern_mallocarray", "overflows",
	    "kern_mallocarray(SIZE_MAX / 2, 3)");
	for (d = 0; d < vm_ndomains; d++) {
		p = kern_malloc_domainset(64, M_EDGE, DOMAINSET_FIXED(d),
		    M_NOWAIT);
		ok(p != NULL && vm_phys_domain(DMAP_TO_PHYS((vm_offset_t)p)) ==
		    d, "kern_malloc_domainset(FIXED(%d)) memory is in domain "
		    "%d", d, d);
		kern_free(p, M_EDGE);
	}
	p = kern_malloc_domainset(2 * KMEM_ZMAX, M_EDGE, DOMAINSET_RR(),
	    M_WAITOK);
	ok(p != NULL && kern_malloc_usable_size(p) == 2 * KMEM_ZMAX,
	    "kern_malloc_domainset of a large size goes to kmem");
	kern_free(p, M_EDGE);
	a = stats();
	ok(kern_malloc_domainset(64, M_EDGE, DOMAINSET_RR(), M_NOWAIT |
	    M_WAITOK) == NULL && kern_malloc_domainset(64, M_EDGE,
	    DOMAINSET_RR(), 0) == NULL, "kern_malloc_domainset without exactly "
	    "one of M_NOWAIT, M_WAITOK is NULL");
	p = kern_malloc_domainset(64, M_EDGE, DOMAINSET_FIXED(vm_ndomains),
	    M_NOWAIT);
	ok(p == NULL, "kern_malloc_domainset of a set without a domain of "
	    "this machine is NULL");
	b = stats();
	ok(b.mts_failures == a.mts_failures + 3, "three failures counted");
}

static void
libc_edges(void)
{
	void *p;

	errno = 0;
	ok(kmem_libc_reallocarray(NULL, SIZE_MAX / 4, 8) == NULL &&
	    errno == ENOMEM, "reallocarray that overflows: NULL, ENOMEM");
	errno = 0;
	ok(kmem_libc_memalign(24, 100) == NULL && errno == EINVAL,
	    "memalign(24): NULL, EINVAL");
	/* Beyond a page: aligned where the caller uses it, and physically. */
	p = kmem_libc_memalign(4 * PAGE_SIZE, 100);
	ok(p != NULL && ((uintptr_t)p & (4 * PAGE_SIZE - 1)) == 0 &&
	    (pmap_kextract((vm_offset_t)p) & (4 * PAGE_SIZE - 1)) == 0,
	    "memalign(16 KiB) beyond a page: the pointer and its page aligned");
	kmem_libc_free(p);
	p = NULL;
	ok(kmem_libc_posix_memalign(&p, 2UL << 20, 3 * PAGE_SIZE) == 0 &&
	    ((uintptr_t)p & ((2UL << 20) - 1)) == 0,
	    "posix_memalign(2 MiB) gives a 2 MiB-aligned pointer");
	kmem_libc_free(p);
	p = kmem_libc_memalign(4 * PAGE_SIZE, 0);
	ok(p != NULL, "memalign(16 KiB, 0) gives a block");
	kmem_libc_free(p);
	ok(kmem_libc_posix_memalign(&p, 4, 16) == EINVAL,
	    "posix_memalign below sizeof(void *): EINVAL");
	ok(kmem_libc_posix_memalign(&p, 48, 16) == EINVAL,
	    "posix_memalign not a power of two: EINVAL");
	errno = 0;
	ok(kmem_libc_pvalloc(SIZE_MAX - 10) == NULL && errno == ENOMEM,
	    "pvalloc(SIZE_MAX - 10): NULL, ENOMEM");
	ok(kmem_libc_malloc_trim(0) == 0 && kmem_libc_mallopt(1, 1) == 0,
	    "malloc_trim and mallopt answer 0");
	p = kmem_libc_malloc(10);
	capture_begin();
	kmem_libc_malloc_stats();
	capture_end(out, sizeof(out));
	ok(strstr(out, "libc malloc: 16 bytes in use, ") != NULL,
	    "malloc_stats: 16 bytes in use");
	kmem_libc_free(p);
}

static void
type_print(void)
{
	void *p;

	p = kern_malloc(1000, M_EDGE, M_WAITOK);
	capture_begin();
	malloc_type_print_all();
	capture_end(out, sizeof(out));
	ok(strstr(out, "type         inuse(bytes)     allocs      frees "
	    "failures") != NULL, "malloc_type_print_all: a header");
	ok(strstr(out, "edgetest             1024 ") != NULL,
	    "malloc_type_print_all: edgetest has 1024 bytes in use");
	kern_free(p, M_EDGE);
}

int
main(void)
{
	struct fdt_machine m;

	ok(host_boot(&m, 2) == 0, "kmem boots on 2 domains");
	zfree_and_usable();
	realloc_edges();
	array_and_sets();
	libc_edges();
	type_print();
	return (tap_done());
}
