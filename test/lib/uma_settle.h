/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * uma_settle.h: the free page count with every cache given back (UMA's
 * buckets and empty slabs, kmem's free batches, the page caches), the
 * state UMA tests compare before and after.  Host and target tests.
 */
#ifndef UMA_SETTLE_H
#define UMA_SETTLE_H

#include <kmem.h>

static inline u_int
settled_free(void)
{

	uma_reclaim(UMA_RECLAIM_DRAIN_CPU);
	(void)kmem_free_flush();
	(void)vm_page_cache_drain();
	return (vm_free_count());
}

#endif /* UMA_SETTLE_H */
