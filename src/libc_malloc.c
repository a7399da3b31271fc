/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libc_malloc.c: the C library's malloc family on malloc(9), accounted to
 * M_LIBC, from any hart.
 *
 * The whole family is in this one object on purpose: the payload link line
 * carries -Wl,-u,malloc, which pulls this object in before picolibc is
 * searched, so every function of the family is ours and picolibc's
 * allocator (newlib-nano, an empty heap in our payloads) is never linked,
 * even when a program reaches malloc only through strdup or asprintf.
 * Defining only some of them would link picolibc's others, which rely on
 * nano internals (../shared/MALLOC.md).
 *
 * Allocation never sleeps (M_NOWAIT): failure is NULL with errno ENOMEM.
 * On the host twin these functions would replace the host's own malloc,
 * so there they are built as kmem_libc_<name> (tests call them so).
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <kmem/malloc.h>
#include <kmem/vm_param.h>

#include "uma_int.h"

#ifdef KMEM_HOST
#define LIBC(name)	kmem_libc_##name
#else
#define LIBC(name)	name
#endif

/* The prototypes of this object's names (libc's headers have the rest). */
void *LIBC(malloc)(size_t size);
void LIBC(free)(void *p);
void *LIBC(calloc)(size_t n, size_t size);
void *LIBC(realloc)(void *p, size_t size);
void *LIBC(reallocarray)(void *p, size_t n, size_t size);
void *LIBC(memalign)(size_t align, size_t size);
void *LIBC(aligned_alloc)(size_t align, size_t size);
int LIBC(posix_memalign)(void **pp, size_t align, size_t size);
size_t LIBC(malloc_usable_size)(void *p);
void *LIBC(valloc)(size_t size);
void *LIBC(pvalloc)(size_t size);
void LIBC(cfree)(void *p);
struct mallinfo LIBC(mallinfo)(void);
void LIBC(malloc_stats)(void);
int LIBC(malloc_trim)(size_t pad);
int LIBC(mallopt)(int param, int value);

static inline void *
enomem(void *p)
{

	if (__predict_false(p == NULL))
		errno = ENOMEM;
	return (p);
}

/*
 * malloc(9)'s inline fast path, else its slow function: errno is set
 * only on failure, which only the slow function sees.
 */
void *
LIBC(malloc)(size_t size)
{
	void *p;

	if (__predict_true(malloc_cache_alloc(size, M_LIBC, M_NOWAIT, &p)))
		return (p);
	return (enomem(kern_malloc_slow(size, M_LIBC, M_NOWAIT)));
}

void
LIBC(free)(void *p)
{

	kern_free(p, M_LIBC);
}

void
LIBC(cfree)(void *p)
{

	kern_free(p, M_LIBC);
}

void *
LIBC(calloc)(size_t n, size_t size)
{

	if (size != 0 && n > SIZE_MAX / size)
		return (enomem(NULL));
	return (enomem(kern_malloc(n * size, M_LIBC, M_NOWAIT | M_ZERO)));
}

void *
LIBC(realloc)(void *p, size_t size)
{

	return (enomem(kern_realloc(p, size, M_LIBC, M_NOWAIT)));
}

void *
LIBC(reallocarray)(void *p, size_t n, size_t size)
{

	if (size != 0 && n > SIZE_MAX / size)
		return (enomem(NULL));
	return (enomem(kern_realloc(p, n * size, M_LIBC, M_NOWAIT)));
}

/*
 * An aligned block: up to a page from the zones (kern_malloc_aligned),
 * above that physically contiguous pages.  0 and EINVAL for an alignment
 * that is not a power of two.
 */
static int
libc_aligned(void **pp, size_t align, size_t size)
{
	void *p;

	*pp = NULL;
	if (align == 0 || !powerof2(align))
		return (EINVAL);
	if (align <= PAGE_SIZE)
		p = kern_malloc_aligned(size, align, M_LIBC, M_NOWAIT);
	else
		p = kern_contigmalloc(size != 0 ? size : 1, M_LIBC, M_NOWAIT,
		    0, ~(vm_paddr_t)0, align, 0);
	if (p == NULL)
		return (ENOMEM);
	*pp = p;
	return (0);
}

void *
LIBC(memalign)(size_t align, size_t size)
{
	void *p;
	int error;

	error = libc_aligned(&p, align, size);
	if (error != 0)
		errno = error;
	return (p);
}

void *
LIBC(aligned_alloc)(size_t align, size_t size)
{

	return (LIBC(memalign)(align, size));
}

int
LIBC(posix_memalign)(void **pp, size_t align, size_t size)
{
	void *p;
	int error;

	if (align < sizeof(void *))
		return (EINVAL);
	error = libc_aligned(&p, align, size);
	if (error == 0)
		*pp = p;
	return (error);
}

void *
LIBC(valloc)(size_t size)
{

	return (LIBC(memalign)(PAGE_SIZE, size));
}

void *
LIBC(pvalloc)(size_t size)
{

	if (size > SIZE_MAX - PAGE_MASK)
		return (enomem(NULL));
	return (LIBC(memalign)(PAGE_SIZE, size == 0 ? PAGE_SIZE :
	    round_page(size)));
}

size_t
LIBC(malloc_usable_size)(void *p)
{

	return (kern_malloc_usable_size(p));
}

struct mallinfo
LIBC(mallinfo)(void)
{
	struct malloc_type_stats st;
	struct mallinfo mi;

	malloc_type_stats(M_LIBC, &st);
	memset(&mi, 0, sizeof(mi));
	mi.arena = st.mts_memalloced - st.mts_memfreed;
	mi.uordblks = st.mts_memalloced - st.mts_memfreed;
	mi.hblks = st.mts_numallocs - st.mts_numfrees;
	return (mi);
}

void
LIBC(malloc_stats)(void)
{
	struct malloc_type_stats st;

	malloc_type_stats(M_LIBC, &st);
	kmem_printf("libc malloc: %llu bytes in use, %llu allocations, %llu "
	    "frees, %llu failures\n", (unsigned long long)(st.mts_memalloced -
	    st.mts_memfreed), (unsigned long long)st.mts_numallocs,
	    (unsigned long long)st.mts_numfrees,
	    (unsigned long long)st.mts_failures);
}

int
LIBC(malloc_trim)(size_t pad)
{

	(void)pad;
	return (0);
}

int
LIBC(mallopt)(int param, int value)
{

	(void)param;
	(void)value;
	return (0);
}
