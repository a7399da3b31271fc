/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The boot memory map's refusals and bookkeeping, on the host twin: RAM
 * entries it must skip, the carve and managed tables overflowing (E2BIG,
 * and kmem_startup saying it has no usable memory), adoptions next to
 * other carves, at the top of RAM, merged with a neighbour, or refused
 * with a table full, and a machine whose second domain has no page left
 * for its page array (kmem_startup: ENOMEM from the page allocator).
 * The kmem_startup cases run in a child process each (kmem_startup runs
 * once per process); the child's exit status carries the verdict.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "tap.h"
#include "child.h"
#include "expect_panic.h"
#include "capture.h"

#define MIB	(1UL << 20)
#define KIB	(1UL << 10)
#define B	HOST_RAM_BASE

static struct fdt_machine M;
static char out[8192];

static void
machine(int ndomains)
{
	struct host_machine_cfg cfg = {
		.ndomains = ndomains, .mem_per_domain = 32 * MIB,
		.ncpus = ndomains,
	};

	host_machine_init(&cfg, &M);
}

static void
rsv(vm_paddr_t base, vm_size_t size)
{
	struct fdt_rsv *r = &M.rsv[M.nrsv++];

	memset(r, 0, sizeof(*r));
	r->base = base;
	r->size = size;
	snprintf(r->name, sizeof(r->name), "r%d", M.nrsv);
}

/* 32 RAM ranges of 2 MiB, 4 MiB apart, from B on. */
static void
many_ranges(void)
{
	int i;

	machine(1);
	for (i = 0; i < FDT_MAX_MEM; i++) {
		M.mem[i].base = B + (vm_paddr_t)i * 4 * MIB;
		M.mem[i].size = 2 * MIB;
		M.mem[i].domain = 0;
	}
	M.nmem = FDT_MAX_MEM;
}

#define SPAN	((vm_paddr_t)FDT_MAX_MEM * 4 * MIB)

static void
ram_skipped(void)
{
	int rv;

	machine(1);
	M.mem[1] = M.mem[0];
	M.mem[1].base = B + 64 * MIB;
	M.mem[1].domain = -1;
	M.mem[2] = M.mem[1];
	M.mem[2].base = B + 128 * MIB;
	M.mem[2].domain = MAXMEMDOM;
	M.mem[3] = M.mem[1];
	M.mem[3].base = ~(vm_paddr_t)0 - 100;	/* rounds up past the top */
	M.mem[3].size = 50;
	M.mem[3].domain = 0;
	M.nmem = 4;
	rv = physmem_init(&M, 0, 0, 0, 0, 0, 0);
	ok(rv == 0 && physmem.nram == 1 && physmem.ram[0].start == B &&
	    physmem.ram[0].end == B + 32 * MIB, "RAM with a domain of -1 or "
	    "MAXMEMDOM, or no whole page before the top, is skipped (%d, %d "
	    "ranges)", rv, physmem.nram);
	ok(dmap_phys_max == B + 32 * MIB, "the RAM extent ends with the "
	    "last range");
}

/* Firmware, image and blob each over all 32 ranges: 96 carves. */
static void
carves_overflow(void)
{
	int rv;

	many_ranges();
	rv = physmem_init(&M, B, B + SPAN, B, B + SPAN, B, SPAN);
	ok(rv == E2BIG && physmem.nram == 0 && physmem.ncarves == 0,
	    "firmware, image and blob over 32 RAM ranges: E2BIG, the map "
	    "left empty (%d)", rv);
	ok(physmem_domain_of_fdt(0) == 0, "physmem_domain_of_fdt with no "
	    "map: 0");
	/* Firmware and image fill the table; a reservation is one too many. */
	many_ranges();
	rsv(B + MIB, 64 * KIB);
	rv = physmem_init(&M, B, B + SPAN, B, B + SPAN, 0, 0);
	ok(rv == E2BIG && physmem.ncarves == 0, "firmware and image over 32 "
	    "RAM ranges and one reservation: E2BIG (%d)", rv);
}

/* A carve in the middle of ranges 0..30, three in range 31: the managed
   table needs 65 entries. */
static void
managed_overflow(void)
{
	vm_paddr_t top = B + 31 * 4 * MIB;
	int i, rv;

	many_ranges();
	for (i = 0; i < 31; i++)
		rsv(B + (vm_paddr_t)i * 4 * MIB + MIB, 64 * KIB);
	rsv(top + 256 * KIB, 64 * KIB);
	rv = physmem_init(&M, top + 768 * KIB, top + 832 * KIB,
	    top + 1280 * KIB, top + 1344 * KIB, 0, 0);
	ok(rv == E2BIG && physmem.nmanaged == 0, "67 pieces of managed RAM "
	    "in a table of 64: E2BIG (%d)", rv);
	/* One carve fewer: 64 pieces, the table full; adopting the blob
	   needs one more. */
	many_ranges();
	M.nrsv = 0;
	for (i = 0; i < 31; i++)
		rsv(B + (vm_paddr_t)i * 4 * MIB + MIB, 64 * KIB);
	rv = physmem_init(&M, 0, 0, 0, 0, top + MIB, 6000);
	ok(rv == 0 && physmem.nmanaged == PHYSMEM_MAX_RANGES, "64 pieces "
	    "fit (%d, %d)", rv, physmem.nmanaged);
	ok(physmem_adopt(top + MIB, 6000, "FDT blob") == E2BIG &&
	    physmem.nmanaged == PHYSMEM_MAX_RANGES && physmem.ncarves == 32,
	    "adopting the blob with the managed table full: E2BIG, nothing "
	    "changed");
}

static void
adopt_paths(void)
{
	static const char *const labels[2] = { "early a", "early b" };
	vm_paddr_t top = B + 32 * MIB;
	int i, n, rv;

	/* A blob below a reservation; two adjacent reservations at the very
	   top of RAM adopted under one label merge into one record. */
	machine(1);
	M.nrsv = 0;
	rsv(top - 128 * KIB, 64 * KIB);
	rsv(top - 64 * KIB, 64 * KIB);
	rv = physmem_init(&M, 0, 0, 0, 0, B + 4 * MIB, 6000);
	ok(rv == 0 && physmem.ncarves == 3, "a map with a blob and two "
	    "reservations at the top (%d)", rv);
	ok(physmem_adopt(B + 4 * MIB, 6000, "FDT blob") == 0 &&
	    physmem.ncarves == 2, "the blob below the other carves is "
	    "adopted");
	n = physmem.nmanaged;
	ok(physmem_adopt(top - 128 * KIB, 64 * KIB, "firmware copy") == 0 &&
	    physmem_adopt(top - 64 * KIB, 64 * KIB, "firmware copy") == 0 &&
	    physmem.nmanaged == n + 2 && physmem.managed[n + 1].end == top,
	    "the two reservations at the top of RAM are adopted, the last "
	    "one sorted after every managed range");
	for (n = i = 0; i < physmem.nearly; i++)
		if (strcmp(physmem.early[i].what, "firmware copy") == 0 &&
		    physmem.early[i].start == top - 128 * KIB &&
		    physmem.early[i].end == top)
			n++;
	ok(n == 1, "... recorded as one early allocation of 128 KiB");

	/* The early table full: 64 allocations, labels alternating so that
	   none merges. */
	machine(1);
	M.nrsv = 0;
	rv = physmem_init(&M, 0, 0, 0, 0, B + 4 * MIB, 6000);
	for (n = i = 0; i < PHYSMEM_MAX_EARLY; i++)
		n += physmem_early_alloc(0, PAGE_SIZE, 0, labels[i % 2]) != 0;
	ok(rv == 0 && n == PHYSMEM_MAX_EARLY && physmem.nearly ==
	    PHYSMEM_MAX_EARLY, "%d early allocations, %d records", n,
	    physmem.nearly);
	ok(physmem_adopt(B + 4 * MIB, 6000, "FDT blob") == E2BIG &&
	    physmem.ncarves == 1, "adopting with the early table full: "
	    "E2BIG, the blob stays a carve");
	physmem.early_closed = true;
	EXPECT_PANIC((void)physmem_early_alloc(0, PAGE_SIZE, 0, NULL),
	    "physmem_early_alloc", "\"?\"", "an unlabelled early allocation "
	    "after vm_phys took over");
	ok(physmem_domain_of_fdt(-1) == 0 &&
	    physmem_domain_of_fdt(MAXMEMDOM) == 0, "physmem_domain_of_fdt of "
	    "an id out of range: 0");
}

/* ------------------------------------------------ kmem_startup refusals */

static int
boot_full_carves(void)
{

	many_ranges();
	{
		struct kmem_boot_info bi = { .machine = &M, .quiet = true,
		    .fw_start = B, .fw_end = B + SPAN, .text_start = B,
		    .text_end = B + SPAN, .rodata_start = B + SPAN,
		    .rodata_end = B + SPAN, .data_start = B + SPAN,
		    .data_end = B + SPAN, .fdt_pa = B, .fdt_size = SPAN };
		int rv;

		capture_begin();
		rv = kmem_startup(&bi);
		capture_end(out, sizeof(out));
		return (rv == E2BIG && kmem_up == 0 && strstr(out,
		    "kmem_startup: no usable memory in the FDT") != NULL ? 0 :
		    1);
	}
}

/* Domain 1 is one page, not 2 MiB aligned: its DMAP needs an L3 table,
   which takes that page, and its page array has nowhere to go. */
static int
boot_no_page_array(void)
{
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };
	int rv;

	machine(2);
	M.mem[1].base += PAGE_SIZE;
	M.mem[1].size = PAGE_SIZE;
	capture_begin();
	rv = kmem_startup(&bi);
	capture_end(out, sizeof(out));
	return (rv == ENOMEM && (kmem_up & KMEM_UP_PMAP) != 0 &&
	    (kmem_up & KMEM_UP_PAGES) == 0 && strstr(out, "vm_phys_init: "
	    "domain 1 cannot hold its page metadata") != NULL && strstr(out,
	    "kmem_startup: page allocator failed (12)") != NULL ? 0 : 1);
}

int
main(void)
{

	host_thread_register();
	ram_skipped();
	carves_overflow();
	managed_overflow();
	adopt_paths();
	ok(run_child(boot_full_carves) == 0, "kmem_startup with more carves "
	    "than the table holds: E2BIG, \"no usable memory in the FDT\", "
	    "nothing up");
	ok(run_child(boot_no_page_array) == 0, "kmem_startup with a domain "
	    "that has no page left for its page array: ENOMEM from the page "
	    "allocator, said so, the pmap up and no pages");
	return (tap_done());
}
