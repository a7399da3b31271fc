/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Library mode's start-up contract on the host twin: kmem_startup()
 * refuses what it cannot use (no FDT facts, no memory, an image that is
 * not page aligned, paging already on, a second call) with a message and
 * an error return and without changing anything; kmem called before
 * kmem_startup() panics saying so; a call that may sleep, made from an
 * interrupt handler (kmem_intr_enter), panics naming the call, while
 * M_NOWAIT allocations and frees work there.
 */
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "tap.h"

static struct fdt_machine M;

/* Run call; true when it panicked with a message containing want. */
#define PANICS(call, want) ({						\
	struct kmem_panic_catch _pc;					\
	bool _hit = false;						\
	if (KMEM_PANIC_TRY(&_pc)) {					\
		call;							\
		kmem_panic_disarm();					\
	} else								\
		_hit = strstr(_pc.kp_msg, want) != NULL;		\
	if (!_hit)							\
		diag("panic message: \"%s\"", _pc.kp_msg);		\
	_hit;								\
})

int
main(void)
{
	struct host_machine_cfg cfg = { .ndomains = 2,
	    .mem_per_domain = 64UL << 20, .ncpus = 2 };
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };
	struct kmem_boot_info bad;
	struct fdt_machine empty;
	vm_offset_t va;
	vmem_addr_t a;
	vmem_t *vm;

	host_machine_init(&cfg, &M);
	host_thread_register();

	/* Before kmem_startup: a panic that says so, not a crash. */
	ok(PANICS((void)kmem_malloc(PAGE_SIZE, M_NOWAIT),
	    "kmem_malloc: called before kmem_startup()"),
	    "kmem_malloc before kmem_startup panics saying so");
	ok(PANICS(kmem_free(0xffffffd000000000UL, PAGE_SIZE),
	    "kmem_free: called before kmem_startup()"),
	    "kmem_free before kmem_startup panics saying so");
	ok(PANICS((void)kva_alloc(PAGE_SIZE), "kva_alloc: called before"),
	    "kva_alloc before kmem_startup panics saying so");
	ok(PANICS((void)kmap_alloc_wait(exec_map, PAGE_SIZE),
	    "kmap_alloc_wait: called before"),
	    "kmap_alloc_wait before kmem_startup panics saying so");

	/* Refusals change nothing: kmem_up stays 0. */
	ok(kmem_startup(NULL) == EINVAL && kmem_up == 0,
	    "kmem_startup(NULL): EINVAL");
	memset(&empty, 0, sizeof(empty));
	bad = bi;
	bad.machine = &empty;
	ok(kmem_startup(&bad) == EINVAL && kmem_up == 0,
	    "an FDT with no memory: EINVAL");
	bad = bi;
	bad.machine = NULL;
	ok(kmem_startup(&bad) == EINVAL && kmem_up == 0,
	    "no parsed FDT: EINVAL");
	bad = bi;
	bad.text_start = 0x80200000;
	bad.text_end = 0x80200800;	/* not a page boundary */
	ok(kmem_startup(&bad) == EINVAL && kmem_up == 0,
	    "an image layout that is not page aligned: EINVAL");
	ok(md_satp_write(8UL << 60 | 0x80000) && (md_satp_read() >> 60) == 8,
	    "paging on (Sv39) with some root table");
	ok(kmem_startup(&bi) == EBUSY && kmem_up == 0,
	    "kmem_startup with paging already on: EBUSY");
	(void)md_satp_write(0);

	ok(kmem_startup(&bi) == 0 && (kmem_up & KMEM_UP_KMEM) != 0,
	    "a good call brings kmem up");
	ok(kmem_startup(&bi) == EBUSY, "a second call: EBUSY");
	va = kmem_malloc(PAGE_SIZE, M_WAITOK);
	ok(va != 0, "kmem works after the refused second call");
	kmem_free(va, PAGE_SIZE);

	/* Interrupt context: M_NOWAIT allocs, frees, lookups; no sleeping. */
	vm = vmem_create("intr", 0x10000, 0x10000, 16, 0, M_WAITOK);
	kmem_intr_enter();
	ok(kmem_in_intr(), "kmem_intr_enter: this hart is in an interrupt");
	va = kmem_malloc(PAGE_SIZE, M_NOWAIT);
	ok(va != 0 && pmap_kextract(va) != 0, "M_NOWAIT kmem_malloc and a "
	    "lookup in an interrupt handler");
	kmem_free(va, PAGE_SIZE);
	ok(vmem_alloc(vm, 64, M_NOWAIT, &a) == 0, "M_NOWAIT vmem_alloc in an "
	    "interrupt handler");
	vmem_free(vm, a, 64);
	ok(PANICS((void)kmem_malloc(PAGE_SIZE, M_WAITOK),
	    "kmem_malloc: may sleep, but was called from an interrupt"),
	    "M_WAITOK kmem_malloc in an interrupt handler panics naming it");
	ok(PANICS((void)kmem_malloc_domainset(DOMAINSET_RR(), PAGE_SIZE,
	    M_WAITOK), "kmem_malloc_domainset: may sleep"),
	    "M_WAITOK kmem_malloc_domainset too");
	ok(PANICS((void)kmem_alloc_contig(PAGE_SIZE, M_WAITOK, 0, ~0UL,
	    PAGE_SIZE, 0, VM_MEMATTR_DEFAULT), "kmem_alloc_contig: may sleep"),
	    "M_WAITOK kmem_alloc_contig too");
	ok(PANICS((void)kmap_alloc_wait(exec_map, PAGE_SIZE),
	    "kmap_alloc_wait: may sleep"),
	    "kmap_alloc_wait in an interrupt handler panics naming it");
	kmem_intr_exit();
	ok(!kmem_in_intr(), "kmem_intr_exit: out of the handler");
	ok(PANICS(kmem_intr_exit(), "kmem_intr_exit: cpu 0 is not in an "
	    "interrupt handler"), "an unbalanced kmem_intr_exit panics");
	va = kmem_malloc(PAGE_SIZE, M_WAITOK);
	ok(va != 0, "M_WAITOK works again outside the handler");
	kmem_free(va, PAGE_SIZE);
	vmem_destroy(vm);
	return (tap_done());
}
