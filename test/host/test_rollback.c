/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every rollback after a failed pmap_enter runs, and loses nothing.
 *
 * A mapping in kernel VA that no page table covers yet needs a page-table
 * page; vm_page_fail_after(n) refuses the n-th page allocation, data page
 * or table page alike.  Each allocator is called on fresh KVA (M_EXEC
 * memory, large requests, a new KVA range for kmem_back) for each n:
 * a refused table page makes pmap_enter fail after pages were taken, and
 * the call must give back every page and its KVA.
 * Afterwards the machine's pages (free + kmem's own) are what they were.
 */
#include <limits.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "tap.h"
#include "kmem_account.h"

static struct fdt_machine M;

/* In this order, each kind maps KVA that the ones before never reached. */
enum { R_CONTIG, R_ATTR, R_MALLOC_EXEC, R_MALLOC, R_BACK, R_NKINDS };
static const char *const names[] = {
	"kmem_alloc_contig (4 MiB)", "kmem_alloc_attr (M_EXEC)",
	"kmem_malloc (M_EXEC, 2 MiB + 12 KiB)", "kmem_malloc (8 MiB + 4 KiB)",
	"kmem_back",
};

/* One attempt; returns the range (0 on failure) and frees nothing. */
static vm_offset_t
attempt(int kind, vm_size_t *size, vm_offset_t fresh)
{

	switch (kind) {
	case R_MALLOC:
		*size = (8UL << 20) + PAGE_SIZE;
		return (kmem_malloc(*size, M_NOWAIT | M_NORECLAIM));
	case R_MALLOC_EXEC:
		/* Past the rwx quantum kmem_alloc_attr mapped: a new table. */
		*size = L2_SIZE + 3 * PAGE_SIZE;
		return (kmem_malloc(*size, M_NOWAIT | M_EXEC | M_NORECLAIM));
	case R_ATTR:
		*size = 3 * PAGE_SIZE;
		return (kmem_alloc_attr(*size, M_NOWAIT | M_EXEC | M_NORECLAIM,
		    0, ~0UL, VM_MEMATTR_DEFAULT));
	case R_CONTIG:
		*size = 4UL << 20;
		return (kmem_alloc_contig(*size, M_NOWAIT | M_NORECLAIM, 0,
		    ~0UL, PAGE_SIZE, 0, VM_MEMATTR_DEFAULT));
	default:
		*size = 8 * PAGE_SIZE;
		return (kmem_back(kernel_object, fresh, *size, M_NOWAIT) ==
		    KERN_SUCCESS ? fresh : 0);
	}
}

int
main(void)
{
	struct host_machine_cfg cfg = {
		.ndomains = 1, .mem_per_domain = 64UL << 20, .ncpus = 1,
	};
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };
	vm_offset_t va, fresh;
	vm_size_t size, o;
	u_long base;
	long n;
	int kind, refused, leaks, mapped, done;

	host_machine_init(&cfg, &M);
	host_thread_register();
	ok(kmem_startup(&bi) == 0, "kmem is up on the host twin");
	for (kind = 0; kind < R_NKINDS; kind++) {
		refused = leaks = mapped = done = 0;
		/* Fresh KVA for kmem_back: 64 MiB up, never mapped. */
		fresh = kva_alloc(64UL << 20) + (32UL << 20) + PAGE_SIZE;
		for (n = 0; n < (kind == R_MALLOC_EXEC ? 530 : 48); n++) {
			base = kmem_accounted();
			(void)vm_page_fail_after(n, false);
			va = attempt(kind, &size, fresh);
			(void)vm_page_fail_after(-1, false);
			if (va != 0) {
				done++;
				if (kind == R_BACK)
					kmem_unback(kernel_object, va, size);
				else
					kmem_free(va, size);
				continue;
			}
			refused++;
			for (o = 0; kind == R_BACK && o < size; o += PAGE_SIZE)
				if (pmap_kextract(fresh + o) != 0)
					mapped++;
			if (kmem_accounted() != base)
				leaks++;
		}
		ok(done > 0 && refused > 0 && leaks == 0 && mapped == 0,
		    "%s: the n-th page allocation refused, n = 0..%ld: %d "
		    "calls failed and rolled back with nothing lost, %d "
		    "succeeded", names[kind], n - 1, refused, done);
	}
	ok(vm_phys_check() == 0, "the page allocator is consistent");
	return (tap_done());
}
