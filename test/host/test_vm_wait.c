/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Waiting for free pages, on the host twin: vm_wait_domain() and
 * vm_wait() return at once while pages are free (or for a domain that
 * does not exist); once every page is taken they sleep until another
 * hart frees one (VM_ALLOC_WAITFAIL allocations then answer NULL), and
 * with no other hart that could, they panic naming the caller instead
 * of sleeping forever.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <unistd.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "tap.h"
#include "expect_panic.h"

#define MAXHELD	(2 * 16384)

static vm_page_t held[MAXHELD];
static int nheld;
static int up;
static pthread_t freer;

/* Take every page of domain d (all domains: d < 0). */
static void
take_all(int d)
{
	vm_page_t m;
	int i;

	for (i = d < 0 ? 0 : d; i < (d < 0 ? vm_ndomains : d + 1); i++)
		while (nheld < MAXHELD && (m = vm_page_alloc_noobj_domain(i,
		    VM_ALLOC_NOWAIT)) != NULL)
			held[nheld++] = m;
	(void)vm_page_cache_drain();
	for (i = d < 0 ? 0 : d; i < (d < 0 ? vm_ndomains : d + 1); i++)
		while (nheld < MAXHELD && (m = vm_page_alloc_noobj_domain(i,
		    VM_ALLOC_NOWAIT)) != NULL)
			held[nheld++] = m;
}

static void
give_back(void)
{

	while (nheld > 0)
		vm_page_free(held[--nheld]);
}

/* Another hart: frees the last page held about 50 ms after it starts. */
static void *
free_later(void *arg)
{

	(void)arg;
	host_thread_register();
	__atomic_store_n(&up, 1, __ATOMIC_SEQ_CST);
	usleep(50 * 1000);
	vm_page_free(held[--nheld]);
	host_thread_unregister();
	return (NULL);
}

static void
start_freer(void)
{

	up = 0;
	pthread_create(&freer, NULL, free_later, NULL);
	while (!__atomic_load_n(&up, __ATOMIC_SEQ_CST))
		usleep(1000);
}

static void
wait_domain(void *arg)
{

	vm_wait_domain(*(int *)arg);
}

static void
wait_any(void *arg)
{

	(void)arg;
	vm_wait();
}

int
main(void)
{
	struct fdt_machine m;
	vm_page_t pg;
	u_int before;
	int d = 0;

	ok(host_boot(&m, 2) == 0, "kmem boots on 2 domains");
	before = vm_free_count();
	vm_wait_domain(-1);
	vm_wait_domain(vm_ndomains);
	vm_wait_domain(0);
	vm_wait();
	ok(vm_free_count() == before, "with pages free (or no such domain) "
	    "the waits return at once, running no handler");

	take_all(0);
	ok(vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT) == NULL,
	    "domain 0 is empty (%d pages held)", nheld);
	before = vm_domain_free_count(1);
	vm_wait();
	ok(vm_domain_free_count(1) == before, "vm_wait returns at once while "
	    "domain 1 has pages");
	ok(panics(wait_domain, &d, "vm_wait_domain", "can never succeed",
	    NULL), "vm_wait_domain(0) with no other hart panics: %s",
	    panic_msg);
	start_freer();
	vm_wait_domain(0);
	pthread_join(freer, NULL);
	pg = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT);
	ok(pg != NULL, "vm_wait_domain(0) returned after another hart freed "
	    "a page, and the page is there");
	if (pg != NULL)
		held[nheld++] = pg;
	give_back();

	/* VM_ALLOC_WAITFAIL: one sleep, then NULL; the caller retries. */
	take_all(0);
	start_freer();
	pg = vm_page_alloc_noobj_domain(0, VM_ALLOC_WAITFAIL);
	pthread_join(freer, NULL);
	ok(pg == NULL, "vm_page_alloc_noobj_domain(VM_ALLOC_WAITFAIL) on an "
	    "empty domain sleeps once and answers NULL");
	take_all(0);			/* the page just freed */
	start_freer();
	pg = vm_page_alloc_noobj_contig_domain(0, VM_ALLOC_WAITFAIL, 1, 0,
	    ~(vm_paddr_t)0, PAGE_SIZE, 0, VM_MEMATTR_DEFAULT);
	pthread_join(freer, NULL);
	ok(pg == NULL, "... and so does the contiguous allocator");
	give_back();

	take_all(-1);
	ok(panics(wait_any, NULL, "vm_wait", "can never succeed", NULL),
	    "vm_wait with every domain empty and no other hart panics: %s",
	    panic_msg);
	start_freer();
	vm_wait();
	pthread_join(freer, NULL);
	pg = vm_page_alloc_noobj(VM_ALLOC_NOWAIT);
	ok(pg != NULL, "vm_wait returned after another hart freed a page, "
	    "and the page is there");
	if (pg != NULL)
		held[nheld++] = pg;
	give_back();
	return (tap_done());
}
