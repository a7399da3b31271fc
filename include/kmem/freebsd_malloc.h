/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/freebsd_malloc.h: FreeBSD's malloc(9) spellings for source files
 * ported from FreeBSD, mapped onto kmem's link names (kmem/malloc.h).
 * Opt-in: include it only where libc's malloc is not used, and after any
 * libc header that declares malloc/free.
 */
#ifndef KMEM_FREEBSD_MALLOC_H
#define KMEM_FREEBSD_MALLOC_H

#include <kmem/malloc.h>

#define malloc(size, type, flags)	kern_malloc((size), (type), (flags))
#define free(addr, type)		kern_free((addr), (type))
#define zfree(addr, type)		kern_zfree((addr), (type))
#define realloc(addr, size, type, flags)				\
	kern_realloc((addr), (size), (type), (flags))
#define reallocf(addr, size, type, flags)				\
	kern_reallocf((addr), (size), (type), (flags))
#define mallocarray(nmemb, size, type, flags)				\
	kern_mallocarray((nmemb), (size), (type), (flags))
#define malloc_domainset(size, type, ds, flags)				\
	kern_malloc_domainset((size), (type), (ds), (flags))
#define malloc_aligned(size, align, type, flags)			\
	kern_malloc_aligned((size), (align), (type), (flags))
#define contigmalloc(size, type, flags, low, high, alignment, boundary) \
	kern_contigmalloc((size), (type), (flags), (low), (high),	\
	    (alignment), (boundary))
#define malloc_usable_size(addr)	kern_malloc_usable_size(addr)

#endif /* KMEM_FREEBSD_MALLOC_H */
