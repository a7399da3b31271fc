/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/malloc.h: malloc(9) (FreeBSD's sys/sys/malloc.h), under link names
 * that do not clash with libc's: kern_malloc, kern_free, ...
 * <kmem/freebsd_malloc.h> maps FreeBSD's spellings onto them.
 *
 * Sizes up to KMEM_ZMAX (16 KiB) come from UMA zones: 16, 32, 64, 128,
 * 256, 384, 512, 1K, 2K, 4K, 8K, 16K bytes; size to zone is one table
 * load; power-of-two zones are naturally aligned.  Larger sizes go to
 * kmem_malloc_domainset() with the page count recorded in the first
 * page's metadata, so kern_free needs no size.
 *
 * Statistics per malloc type are kept per hart and summed on demand.
 * libc's malloc family is accounted to M_LIBC.
 */
#ifndef KMEM_MALLOC_H
#define KMEM_MALLOC_H

#include <kmem/types.h>
#include <kmem/vm_param.h>

struct domainset;

#define KMEM_ZMAX	(16 * 1024)

struct malloc_type_stats {
	uint64_t	mts_memalloced;	/* bytes allocated (zone/page sizes) */
	uint64_t	mts_memfreed;	/* bytes freed */
	uint64_t	mts_numallocs;	/* allocations */
	uint64_t	mts_numfrees;	/* frees */
	uint64_t	mts_failures;	/* allocations that returned NULL */
	uint64_t	mts_spare[3];	/* a hart's counters fill one line */
};

struct malloc_type {
	const char	*ks_shortdesc;
	const char	*ks_longdesc;
	struct malloc_type *ks_next;	/* every type (registered on use) */
	_Atomic int	ks_registered;
	/* Per hart, one cache line each. */
	struct malloc_type_stats ks_stats[MAXCPU] __attribute__((aligned(64)));
};

/*
 * MALLOC_DEFINE(type, shortdesc, longdesc) defines a malloc type; it is
 * listed by malloc_type_print_all() from its first allocation on.
 */
#define MALLOC_DEFINE(type, shortdesc, longdesc)			\
	struct malloc_type type[1] = {					\
		{ .ks_shortdesc = (shortdesc), .ks_longdesc = (longdesc) } \
	}
#define MALLOC_DECLARE(type)	extern struct malloc_type type[1]

MALLOC_DECLARE(M_TEMP);		/* "temp": misc. temporary data buffers */
MALLOC_DECLARE(M_DEVBUF);	/* "devbuf": device driver memory */
MALLOC_DECLARE(M_LIBC);		/* "libc": libc's malloc family */

/**
 * Allocate @p size bytes (0 gives a distinct 16-byte block).  @p flags:
 * exactly one of M_NOWAIT / M_WAITOK, optionally M_ZERO, M_USE_RESERVE.
 * @retval NULL	M_NOWAIT and no memory; flags lack exactly one of
 *		M_NOWAIT/M_WAITOK; the size overflows when rounded to pages.
 *		M_WAITOK sleeps until it succeeds (panics if nothing else could
 *		ever free memory).
 */
void *kern_malloc(size_t size, struct malloc_type *type, int flags);
/**
 * Free (NULL does nothing).  Panics naming kern_free and the address when
 * @p addr is not a live allocation: an inner pointer, never allocated,
 * page-level memory (kmem_malloc, a page), or already freed.
 */
void kern_free(void *addr, struct malloc_type *type);
/** kern_free after zeroing the whole block. */
void kern_zfree(void *addr, struct malloc_type *type);
/**
 * Resize: keeps the block when @p size fits and uses at least half of
 * it; else allocates, copies, frees.  NULL addr: kern_malloc.
 * @retval NULL	no memory: the old block is untouched
 */
void *kern_realloc(void *addr, size_t size, struct malloc_type *type,
    int flags);
/** kern_realloc that frees the old block when it fails. */
void *kern_reallocf(void *addr, size_t size, struct malloc_type *type,
    int flags);
/** kern_malloc(nmemb * size); panics when the product overflows. */
void *kern_mallocarray(size_t nmemb, size_t size, struct malloc_type *type,
    int flags);
/** kern_malloc from the domains of @p ds, in its policy's order. */
void *kern_malloc_domainset(size_t size, struct malloc_type *type,
    struct domainset *ds, int flags);
/**
 * A block aligned to @p align.
 * @retval NULL	align is not a power of two or is above PAGE_SIZE, or no
 *		memory
 */
void *kern_malloc_aligned(size_t size, size_t align, struct malloc_type *type,
    int flags);
/**
 * Physically contiguous memory in [low, high), as kmem_alloc_contig;
 * freed with kern_free.
 * @retval NULL	as kmem_alloc_contig (bad alignment/boundary, no room)
 */
void *kern_contigmalloc(size_t size, struct malloc_type *type, int flags,
    vm_paddr_t low, vm_paddr_t high, u_long alignment, vm_paddr_t boundary);
/** Bytes usable in a live block; 0 for NULL.  Panics as kern_free. */
size_t kern_malloc_usable_size(const void *addr);

/** Sum a type's per-hart statistics into *st. */
void malloc_type_stats(struct malloc_type *type, struct malloc_type_stats *st);
/** Print every type used so far: name, in use, requests, failures. */
void malloc_type_print_all(void);
/**
 * Call @p fn for every type used so far, newest first, with the type list
 * locked: @p fn may call malloc_type_stats but must not allocate.
 */
void malloc_type_foreach(void (*fn)(struct malloc_type *type, void *arg),
    void *arg);

#endif /* KMEM_MALLOC_H */
