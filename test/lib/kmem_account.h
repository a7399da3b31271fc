/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_account.h: the machine's pages that are free or kmem's own
 * (page-table, vmem tag and map-entry pages), after every batch, page
 * cache and quantum cache has been given back.  Constant across any
 * sequence of operations that frees what it took: a test that compares it
 * before and after finds every lost page.  Include <kmem.h> first.
 */
#ifndef KMEM_TEST_ACCOUNT_H
#define KMEM_TEST_ACCOUNT_H

static inline u_long
kmem_accounted(void)
{
	struct kmem_stats st;

	(void)kmem_free_flush();
	(void)vm_page_cache_drain();
	vmem_drain_all();
	kmem_stats(&st);
	return (st.free_pages + st.meta_pages);
}

#endif /* KMEM_TEST_ACCOUNT_H */
