/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Documented misuse of the public API on a booted machine: each gets its
 * panic (caught with KMEM_PANIC_TRY), and afterwards nothing has two
 * owners.  The host twin runs the same cases one per test
 * (test/host/test_misuse.c), plus a domain without memory.
 */
#include <string.h>

#include <kmem.h>
#include "tap.h"
#include "expect_panic.h"

const bool kmem_boot_quiet = true;

int
main(void)
{
	vm_offset_t va, vb;
	vm_paddr_t pa;
	vm_page_t m;
	vm_size_t used;
	vmem_addr_t addr;
	vmem_t *vm;
	char a[32];

	/* (3) vm_page_free of a page kmem_malloc maps. */
	va = kmem_malloc(PAGE_SIZE, M_WAITOK);
	pa = pmap_kextract(va);
	EXPECT_PANIC(vm_page_free(PHYS_TO_VM_PAGE(pa)), "vm_page_free",
	    expect_hex(a, sizeof(a), pa), "vm_page_free of a page kmem_malloc maps");
	m = vm_page_alloc_noobj_domain(vm_phys_domain(pa), VM_ALLOC_NOWAIT);
	ok(m != NULL && VM_PAGE_TO_PHYS(m) != pa, "the page stays with kmem");
	vm_page_free(m);
	kmem_free(va, PAGE_SIZE);

	/* (4) kmem_back_domain over a backed page. */
	va = kva_alloc(4 * PAGE_SIZE);
	ok(kmem_back_domain(0, kernel_object, va + PAGE_SIZE, PAGE_SIZE,
	    M_WAITOK) == KERN_SUCCESS, "kmem_back_domain backs one page");
	pa = pmap_kextract(va + PAGE_SIZE);
	EXPECT_PANIC((void)kmem_back_domain(0, kernel_object, va,
	    4 * PAGE_SIZE, M_WAITOK), "kmem_back_domain",
	    expect_hex(a, sizeof(a), va + PAGE_SIZE), "kmem_back_domain over a "
	    "backed page");
	ok(pmap_kextract(va + PAGE_SIZE) == pa && pmap_kextract(va) == 0,
	    "nothing was remapped");
	kmem_unback(kernel_object, va + PAGE_SIZE, PAGE_SIZE);
	kva_free(va, 4 * PAGE_SIZE);

	/* (5) kmap_free_wakeup of an inner page, or of nothing. */
	va = kmap_alloc_wait(exec_map, 4 * PAGE_SIZE);
	*(volatile uint64_t *)(va + PAGE_SIZE) = 42;
	used = swap_reserved();
	EXPECT_PANIC(kmap_free_wakeup(exec_map, va + PAGE_SIZE, PAGE_SIZE),
	    "kmap_free_wakeup", expect_hex(a, sizeof(a), va + PAGE_SIZE),
	    "kmap_free_wakeup of an inner page");
	vb = va + 8 * PAGE_SIZE;
	EXPECT_PANIC(kmap_free_wakeup(exec_map, vb, PAGE_SIZE),
	    "kmap_free_wakeup", expect_hex(a, sizeof(a), vb),
	    "kmap_free_wakeup of a range never allocated");
	ok(swap_reserved() == used && *(volatile uint64_t *)(va +
	    PAGE_SIZE) == 42, "the allocation is intact");
	kmap_free_wakeup(exec_map, va, 4 * PAGE_SIZE);

	/* vmem_destroy of an arena destroyed already. */
	vm = vmem_create("twice", 0x100000, 0x10000, 16, 16 * 16, M_WAITOK);
	ok(vm != NULL && vmem_alloc(vm, 64, M_WAITOK, &addr) == 0,
	    "an arena made");
	vmem_free(vm, addr, 64);
	vmem_destroy(vm);
	EXPECT_PANIC(vmem_destroy(vm), "vmem_destroy",
	    expect_hex(a, sizeof(a), (u_long)vm), "vmem_destroy twice");

	/* (6) M_WAITOK that can never succeed, with every hart running. */
	EXPECT_PANIC((void)kmem_malloc(1UL << 40, M_WAITOK), "kmem_malloc",
	    "can never succeed", "kmem_malloc(1 TiB, M_WAITOK)");
	ok(kmem_smp_ncpus() >= 1, "on %u harts", kmem_smp_ncpus());
	return (tap_done());
}
