/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The small services' rare paths on the host twin (and libc's malloc
 * when its first block is large): kmem_zero's alignment
 * check, a console line longer than kmem_printf's buffer, the lowmem
 * table (a handler that replaces itself, tags that are not tags, a
 * deregistration that waits for another hart's call), the domain-set
 * iterators (a preference for a domain that does not exist, WAITFAIL
 * giving up after one wait, WAITOK that can never succeed) and the hart
 * API (a barrier of one, waiting on oneself, run_all that finds a busy
 * hart after claiming others).
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <kmem.h>
#include <kmem/lowmem.h>
#include <kmem/smp.h>
#include "host.h"
#include "host_boot.h"
#include "capture.h"
#include "smp_scenarios.h"
#include "tap.h"
#include "expect_panic.h"
#include "kmem_private.h"
#include "uma_int.h"

static char out[4096];

/* The host build names libc's functions kmem_libc_* (libc_malloc.c). */
void *kmem_libc_malloc(size_t size);
void kmem_libc_free(void *p);

static void
zero_at(void *arg)
{
	char *p = arg;

	kmem_zero(p + 4, 8);
}

static void
zero_len(void *arg)
{

	kmem_zero(arg, 12);
}

/* libc's first block is large: its first small one makes the zones. */
static void
libc_first_large(void)
{
	void *big, *p;
	bool none;

	none = kmem_zone_for(24) == NULL;
	big = kmem_libc_malloc(100000);
	none = none && kmem_zone_for(24) == NULL;
	p = kmem_libc_malloc(24);
	ok(none && big != NULL && p != NULL && kern_malloc_usable_size(p) ==
	    32, "libc malloc: a large block makes no zone, the next small "
	    "one makes them");
	kmem_libc_free(p);
	kmem_libc_free(big);
}

static void
core_services(void)
{
	uint64_t buf[4];
	char line[400];
	int n;

	ok(panics(zero_at, buf, "kmem_zero", "not 8-byte aligned", NULL),
	    "kmem_zero at an address not 8-byte aligned panics: %s",
	    panic_msg);
	ok(panics(zero_len, buf, "kmem_zero", "length 12", NULL),
	    "kmem_zero of a length not a multiple of 8 panics: %s", panic_msg);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	capture_begin();
	n = kmem_printf("%s", line);
	capture_end(out, sizeof(out));
	ok(n == 399 && strlen(out) == 255 && out[254] == 'x', "a 399-byte "
	    "line: kmem_printf says 399 and prints the first 255 (%zu)",
	    strlen(out));
}

/* ------------------------------------------------------------- lowmem */

static void *tag_a, *tag_b;
static int ran_a, ran_b;

static void
handler_b(void *arg, int flags)
{

	(void)arg;
	(void)flags;
	ran_b++;
}

/* Replaces itself: deregisters, then registers handler_b. */
static void
handler_a(void *arg, int flags)
{

	(void)arg;
	(void)flags;
	ran_a++;
	vm_lowmem_deregister(tag_a);
	tag_b = vm_lowmem_register(handler_b, NULL);
}

static void
deregister(void *tag)
{

	vm_lowmem_deregister(tag);
}

static atomic_int slow_in, slow_out;

static void
slow_handler(void *arg, int flags)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	(void)arg;
	(void)flags;
	if (md_cpuid() == 0)
		return;
	atomic_store(&slow_in, 1);
	nanosleep(&ts, NULL);
	atomic_store(&slow_out, 1);
}

static void
trigger_on_other(void *arg)
{

	(void)arg;
	(void)vm_lowmem_trigger(VM_LOW_PAGES);
}

static void
lowmem_table(void)
{
	char *t;

	tag_a = vm_lowmem_register(handler_a, NULL);
	ok(tag_a != NULL && vm_lowmem_trigger(VM_LOW_KMEM) == 0 && ran_a == 1,
	    "a handler runs, deregisters itself and registers another");
	ok(tag_b != NULL && tag_b != tag_a, "the new one does not reuse the "
	    "slot still running the old one");
	ran_a = ran_b = 0;
	(void)vm_lowmem_trigger(VM_LOW_KMEM);
	ok(ran_a == 0 && ran_b == 1, "the next trigger runs only the new "
	    "one");
	t = tag_b;
	ok(panics(deregister, t + 1, "vm_lowmem_deregister", "is not a lowmem "
	    "tag", NULL), "a pointer inside a tag is no tag: %s", panic_msg);
	ok(panics(deregister, NULL, "vm_lowmem_deregister", "is not a lowmem "
	    "tag", NULL), "NULL is no tag: %s", panic_msg);
	ok(panics(deregister, &ran_b, "vm_lowmem_deregister", "is not a "
	    "lowmem tag", NULL), "an address outside the table is no tag: %s",
	    panic_msg);
	vm_lowmem_deregister(tag_b);
}

/* Deregistration waits for a call running on another hart. */
static void
lowmem_waits_for_other_hart(void)
{
	void *tag;

	tag = vm_lowmem_register(slow_handler, NULL);
	ok(kmem_smp_run(1, trigger_on_other, NULL) == 0, "cpu 1 triggers the "
	    "lowmem handlers");
	while (atomic_load(&slow_in) == 0)
		md_cpu_relax();
	vm_lowmem_deregister(tag);
	ok(atomic_load(&slow_out) == 1, "deregistering waits until the call "
	    "on cpu 1 returns");
	kmem_smp_wait(1);
}

/* ---------------------------------------------------------- domainsets */

static vm_page_t held;

static void
give_back_held(void *arg, int flags)
{

	(void)arg;
	(void)flags;
	if (held != NULL) {
		vm_page_free(held);
		held = NULL;
	}
}

static void
alloc_waitok(void *arg)
{

	(void)arg;
	(void)vm_page_alloc_noobj(VM_ALLOC_WAITOK);
}

static void
domainset_paths(void)
{
	struct vm_domainset_iter di;
	vm_offset_t va;
	vm_page_t m;
	void *tag;
	int d, n, req;

	ok(vm_domainset_first(DOMAINSET_PREF(vm_ndomains + 1)) == -1,
	    "a preference for a domain that does not exist has no first "
	    "domain");
	va = kmem_malloc_domainset(DOMAINSET_PREF(vm_ndomains + 1), PAGE_SIZE,
	    M_NOWAIT);
	ok(va != 0 && vm_phys_domain(pmap_kextract(va)) == 0, "allocating "
	    "with it starts at domain 0");
	kmem_free(va, PAGE_SIZE);

	/* Pages refused; a lowmem handler frees one page, once. */
	held = vm_page_alloc_noobj(VM_ALLOC_WAITOK);
	tag = vm_lowmem_register(give_back_held, NULL);
	vm_page_fail_after(0, true);
	m = vm_page_alloc_noobj(VM_ALLOC_WAITFAIL);
	ok(m == NULL && held == NULL, "WAITFAIL while pages are refused: the "
	    "handlers free a page, one wait, then NULL");
	ok(panics(alloc_waitok, NULL, "vm_domainset_iter", "can never "
	    "succeed", NULL), "WAITOK while pages are refused and nothing more "
	    "can be freed panics: %s", panic_msg);
	/* The iterator itself: the domains, one wait, then ENOMEM for good. */
	vm_page_fail_after(-1, false);
	held = vm_page_alloc_noobj(VM_ALLOC_WAITOK);
	req = VM_ALLOC_WAITFAIL;
	vm_domainset_iter_page_init(&di, DOMAINSET_RR(), 0, &d, &req);
	for (n = 1; vm_domainset_iter_page(&di, &d) == 0; n++)
		;
	ok(n == vm_ndomains && held == NULL && vm_domainset_iter_page(&di,
	    &d) == ENOMEM, "a WAITFAIL iteration: each domain once, one wait "
	    "(a page freed), then ENOMEM, and ENOMEM again without a wait");
	vm_lowmem_deregister(tag);
}

/* ---------------------------------------------------------------- smp */

static atomic_int ran;

static void
count_run(void *arg)
{

	(void)arg;
	atomic_fetch_add(&ran, 1);
}

static void
smp_paths(void)
{
	struct kmem_barrier b;

	kmem_barrier_init(&b, 0);
	kmem_smp_barrier(&b);
	kmem_smp_barrier(&b);
	ok(b.kb_count == 1, "a barrier for 0 harts is a barrier of one: it "
	    "never waits");
	kmem_smp_wait(md_cpuid());
	kmem_smp_wait(MAXCPU + 3);
	ok(true, "waiting on oneself or on a hart that does not run returns "
	    "at once (a wait would hang the test)");
	atomic_store(&smp_hold, 1);
	ok(kmem_smp_run(3, smp_held, NULL) == 0, "cpu 3 kept busy");
	ok(kmem_smp_run_all(count_run, NULL) == EBUSY && atomic_load(&ran) ==
	    0, "run_all finds cpu 3 busy after claiming 1 and 2: EBUSY, "
	    "nothing ran");
	ok(kmem_smp_run(1, count_run, NULL) == 0 && kmem_smp_run(2, count_run,
	    NULL) == 0, "cpus 1 and 2 were let go: they take work");
	kmem_smp_wait(1);
	kmem_smp_wait(2);
	atomic_store(&smp_hold, 0);
	kmem_smp_wait(3);
	ok(atomic_load(&ran) == 2, "and ran it");
}

int
main(void)
{
	struct fdt_machine m;

	ok(host_boot(&m, 2) == 0, "kmem boots on 2 domains");
	libc_first_large();
	core_services();
	lowmem_table();
	domainset_paths();
	ok(host_smp_start(4) == 4, "4 harts run");
	lowmem_waits_for_other_hart();
	smp_paths();
	host_smp_stop();
	return (tap_done());
}
