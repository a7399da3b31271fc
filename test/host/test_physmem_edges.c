/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The boot memory map at its edges, on the host twin (host/physmem covers
 * the ordinary machines): RAM and reserved ranges that run to the top of
 * the address space, a full table of carves, adoptions that are refused,
 * and the early allocator after vm_phys took over.
 */
#include <stdio.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "tap.h"
#include "expect_panic.h"

#define MIB	(1UL << 20)

static struct fdt_machine M;

static void
machine(void)
{
	struct host_machine_cfg cfg = {
		.ndomains = 1, .mem_per_domain = 32 * MIB, .ncpus = 1,
	};

	host_machine_init(&cfg, &M);
}

static struct fdt_rsv *
rsv(vm_paddr_t base, vm_size_t size, bool nomap)
{
	struct fdt_rsv *r = &M.rsv[M.nrsv++];

	memset(r, 0, sizeof(*r));
	r->base = base;
	r->size = size;
	r->nomap = nomap;
	return (r);
}

static void
to_the_top(void)
{
	vm_paddr_t b = HOST_RAM_BASE;
	int rv;

	machine();
	/* A second bank whose size runs past the top of the address space,
	   a reservation that does too, and an empty one. */
	M.mem[1].base = ~(vm_paddr_t)0 - 16 * MIB + 1;
	M.mem[1].size = 64 * MIB;
	M.mem[1].domain = 0;
	M.nmem = 2;
	rsv(~(vm_paddr_t)0 - MIB + 1, 8 * MIB, false);
	rsv(b + 4 * MIB, 0, false);
	rv = physmem_init(&M, 0, 0, 0, 0, 0, 0);
	ok(rv == 0 && physmem.nram == 2 && physmem.ram[1].end ==
	    ~(vm_paddr_t)PAGE_MASK, "a bank running past the top ends at "
	    "the top's last page (%d, end 0x%lx)", rv,
	    (u_long)physmem.ram[1].end);
	ok(physmem.managed[physmem.nmanaged - 1].end <= ~(vm_paddr_t)0 - MIB +
	    1, "the reservation at the top is carved");
}

/* As many reservations as the FDT holds, plus firmware, image, blob. */
static void
full_carve_table(void)
{
	vm_paddr_t b = HOST_RAM_BASE;
	int i, rv;

	machine();
	for (i = 0; i < FDT_MAX_RSV; i++)
		rsv(b + 8 * MIB + (vm_paddr_t)(2 * i + 1) * 64 * 1024, 4096,
		    i % 2 == 0);
	rv = physmem_init(&M, b, b + MIB, b + MIB, b + 2 * MIB,
	    b + 3 * MIB, 4096);
	ok(rv == 0 && physmem.ncarves == FDT_MAX_RSV + 3, "%d reservations, "
	    "firmware, image and blob: %d carves (%d)", FDT_MAX_RSV,
	    physmem.ncarves, rv);
}

static void
adopt_refused(void)
{
	vm_paddr_t b = HOST_RAM_BASE;

	machine();
	rsv(b + 4 * MIB, 64 * 1024, false);
	ok(physmem_init(&M, b, b + MIB, 0, 0, b + 8 * MIB, 6000) == 0,
	    "a map with firmware, a reservation and the blob");
	ok(physmem_adopt(b + 8 * MIB, 0, "blob") == EINVAL &&
	    physmem_adopt(b + 8 * MIB + 4096, 4096, "blob") == EINVAL,
	    "adopting an empty range or one that is no carve: EINVAL");
	ok(physmem_adopt(b + 8 * MIB, 6000, "FDT blob") == 0,
	    "adopting the blob's carve");
	ok(physmem_early_alloc(0, 4096, 0, NULL) != 0,
	    "an early allocation without a label");
	physmem.early_closed = true;	/* as vm_phys_init leaves it */
	ok(physmem_adopt(b + 4 * MIB, 64 * 1024, "late") == EBUSY,
	    "adopting after vm_phys took over: EBUSY");
	EXPECT_PANIC((void)physmem_early_alloc(0, 4096, 0, "late"),
	    "physmem_early_alloc", "late", "an early allocation after "
	    "vm_phys took over");
}

int
main(void)
{

	host_thread_register();
	to_the_top();
	full_carve_table();
	adopt_refused();
	return (tap_done());
}
