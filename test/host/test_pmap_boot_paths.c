/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmap_bootstrap's refusals and its rarer machines, on the host twin
 * (physmem_init and pmap_bootstrap only, a fresh machine each time): the
 * pmap before bootstrap, image ranges that are refused, no machine
 * description, an image outside RAM and the fault report's regions for
 * it, no RAM, page-table memory that runs out at each step (the root,
 * the DMAP, the image; Sv48's tables falling back to Sv39), and no-map
 * reserved ranges at every place against a RAM range.
 */
#include <errno.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "pmap_private.h"
#include "tap.h"
#include "expect_panic.h"

#define MIB	(1UL << 20)
#define KIB	(1UL << 10)
#define RAM	(32 * MIB)
#define DMAP_KVA(pa)	(DMAP_MIN_ADDRESS + ((pa) - HOST_RAM_BASE))

static struct fdt_machine M;
static struct kmem_boot_info BI;

/* A fresh 32 MiB machine (its harts' MMU: mmu); the pmap forgotten,
   paging off. */
static void
machine_mmu(int mmu)
{
	struct host_machine_cfg cfg = {
		.ndomains = 1, .mem_per_domain = RAM, .ncpus = 1, .mmu = mmu,
	};

	pmap_reset_for_test();
	(void)md_satp_write(0);
	host_machine_init(&cfg, &M);
	memset(&BI, 0, sizeof(BI));
	BI.machine = &M;
	BI.quiet = true;
	pmap_want_sv48 = false;
}

static void
machine(void)
{

	machine_mmu(FDT_MMU_SV39);
}

static int
bootstrap(void)
{
	int rv;

	rv = physmem_init(&M, 0, 0, BI.text_start, BI.data_end, 0, 0);
	return (rv != 0 ? -rv : pmap_bootstrap(&BI));
}

/* Early allocations leave only the lowest n pages of RAM. */
static void
leave_pages(u_long n)
{

	(void)physmem_early_alloc(0, RAM - ptoa(n), PAGE_SIZE, "filler");
}

static void
before(void)
{
	vm_offset_t va = VM_MIN_KERNEL_ADDRESS;

	machine();
	(void)physmem_init(&M, 0, 0, 0, 0, 0, 0);
	ok(pmap_kextract(va) == 0 && pmap_mapdev(0x40000000UL, PAGE_SIZE) ==
	    NULL, "before pmap_bootstrap: pmap_kextract answers 0, "
	    "pmap_mapdev NULL");
	EXPECT_PANIC(pmap_remove(kernel_pmap, va, va + 2 * PAGE_SIZE),
	    "pmap_remove", "before pmap_bootstrap", "pmap_remove before "
	    "pmap_bootstrap");
	EXPECT_PANIC(pmap_kenter(va, PAGE_SIZE, HOST_RAM_BASE,
	    VM_MEMATTR_DEFAULT), "pmap", "before pmap_bootstrap",
	    "pmap_kenter before pmap_bootstrap");
	ok(!kmem_spin_owned(&kernel_pmap->pm_lock), "the panic dropped the "
	    "pmap lock");
}

static void
bad_images(void)
{
	static const struct {
		vm_offset_t	t0, t1, r0, r1, d0, d1;
		const char	*what;
	} c[] = {
		{ 0x200000, 0x201000, 0x201000, VM_MAXUSER_ADDRESS + PAGE_SIZE,
		    0, 0, "rodata past the lower half" },
		{ 0x200000, 0x201000, 0, 0, 0x203000, 0x202000,
		    "data that ends before it starts" },
		{ 0x200000, 0x204000, 0, 0, 0x203000, 0x205000,
		    "text and data that overlap" },
		{ 0x200000, 0x201000, 0x202000, 0x204000, 0x203000, 0x205000,
		    "rodata and data that overlap" },
	};
	u_int i;
	int rv;

	for (i = 0; i < nitems(c); i++) {
		machine();
		BI.text_start = c[i].t0;
		BI.text_end = c[i].t1;
		BI.rodata_start = c[i].r0;
		BI.rodata_end = c[i].r1;
		BI.data_start = c[i].d0;
		BI.data_end = c[i].d1;
		(void)physmem_init(&M, 0, 0, 0, 0, 0, 0);
		rv = pmap_bootstrap(&BI);
		ok(rv == EINVAL && host_satp() == 0, "pmap_bootstrap with %s: "
		    "EINVAL, paging off (%d)", c[i].what, rv);
	}
}

static void
machines(void)
{
	int rv;

	machine_mmu(FDT_MMU_SV48);
	BI.machine = NULL;
	pmap_want_sv48 = true;
	(void)physmem_init(&M, 0, 0, 0, 0, 0, 0);
	rv = pmap_bootstrap(&BI);
	ok(rv == 0 && kernel_pmap->pm_levels == 4 && !pmap_has_svpbmt(),
	    "pmap_bootstrap without a machine description tries Sv48 and "
	    "has no Svpbmt (%d, %d levels)", rv, kernel_pmap->pm_levels);

	/* An image in the lower half, outside RAM (its data above it). */
	machine();
	BI.text_start = 0x200000;
	BI.text_end = 0x202000;
	BI.rodata_start = 0x202000;
	BI.rodata_end = 0x203000;
	BI.data_start = 0x100000000UL;		/* above RAM */
	BI.data_end = 0x100002000UL;
	(void)physmem_init(&M, 0, 0, 0, 0, 0, 0);
	rv = pmap_bootstrap(&BI);
	ok(rv == 0 && kernel_pmap->pm_levels == 3, "an image outside RAM is "
	    "mapped (%d)", rv);
	ok(strcmp(pmap_fault_region(0x100000), "lower half, outside the "
	    "image") == 0 && strcmp(pmap_fault_region(0x201000), "image text "
	    "(read+execute)") == 0 && strcmp(pmap_fault_region(0x202800),
	    "image rodata (read-only)") == 0 && strcmp(pmap_fault_region(
	    0x100001000UL), "image data/bss/stack (read-write)") == 0 &&
	    strcmp(pmap_fault_region(0x300000), "lower half, outside the "
	    "image") == 0, "the fault report names the image's parts and "
	    "what lies around them");
}

static void
out_of_memory(void)
{
	/* Pages left after the early allocator took the rest, the image's
	   text and rodata, Sv48 wanted, and the answer (levels on success). */
	static const struct {
		u_long		pages;
		vm_offset_t	text, rodata, data;
		bool		sv48;
		int		rv, levels;
		const char	*what;
	} c[] = {
		{ 0, 0, 0, 0, false, ENOMEM, 0, "no page for the root table" },
		{ 65, 0, 0, 0, false, ENOMEM, 0, "the root and the KVA shadow "
		    "(64 pages) fit, the DMAP's table does not" },
		{ 66, 0x200000, 0, 0, false, ENOMEM, 0, "the DMAP fits, the "
		    "image's tables do not" },
		{ 68, 0x200000, 0x40000000, 0, false, ENOMEM, 0, "text's "
		    "tables fit, rodata's (another GiB) do not" },
		{ 68, 0x200000, 0x201000, 0x40000000, false, ENOMEM, 0, "text's "
		    "and rodata's tables fit, data's (another GiB) do not" },
		{ 66, 0, 0, 0, true, 0, 3, "Sv48 wanted, no page for its root: "
		    "Sv39" },
		{ 67, 0, 0, 0, true, 0, 3, "Sv48 wanted, its root fits, the "
		    "lower half's table does not: Sv39" },
	};
	u_int i;
	int rv;

	machine();
	M.nmem = 0;
	ok(physmem_init(&M, 0, 0, 0, 0, 0, 0) == EINVAL &&
	    pmap_bootstrap(&BI) == EINVAL && host_satp() == 0,
	    "pmap_bootstrap with no RAM in the memory map: EINVAL");
	for (i = 0; i < nitems(c); i++) {
		machine_mmu(c[i].sv48 ? FDT_MMU_SV48 : FDT_MMU_SV39);
		pmap_want_sv48 = c[i].sv48;
		if (c[i].text != 0) {
			BI.text_start = c[i].text;
			BI.text_end = c[i].text + PAGE_SIZE;
		}
		if (c[i].rodata != 0) {
			BI.rodata_start = c[i].rodata;
			BI.rodata_end = c[i].rodata + PAGE_SIZE;
		}
		if (c[i].data != 0) {
			BI.data_start = c[i].data;
			BI.data_end = c[i].data + PAGE_SIZE;
		}
		(void)physmem_init(&M, 0, 0, 0, 0, 0, 0);
		leave_pages(c[i].pages);
		rv = pmap_bootstrap(&BI);
		ok(rv == c[i].rv && (rv != 0 ? host_satp() == 0 :
		    kernel_pmap->pm_levels == c[i].levels &&
		    host_satp() >> 60 == 8), "%lu pages left, %s: %d", c[i].pages,
		    c[i].what, rv);
	}

	/* A no-map range 1 MiB into RAM: the DMAP below it needs an L3
	   table, and only the root, the shadow and the L2 table fit. */
	machine();
	M.rsv[0] = (struct fdt_rsv){ .base = HOST_RAM_BASE + MIB,
	    .size = 64 * KIB, .nomap = true };
	M.nrsv = 1;
	(void)physmem_init(&M, 0, 0, 0, 0, 0, 0);
	(void)physmem_early_alloc(0, RAM - MIB - 64 * KIB, PAGE_SIZE, "top");
	(void)physmem_early_alloc(0, MIB - ptoa(66), PAGE_SIZE, "bottom");
	rv = pmap_bootstrap(&BI);
	ok(rv == ENOMEM && host_satp() == 0, "no page for the DMAP's table "
	    "below a no-map range: ENOMEM (%d)", rv);
}

static bool
translates(vm_paddr_t pa)
{
	const char *why;
	vm_paddr_t got;

	return (host_mmu_translate(DMAP_KVA(pa), KMEM_ACC_READ, &got,
	    &why) == 0 && got == pa);
}

static void
nomap_ranges(void)
{
	const vm_paddr_t b = HOST_RAM_BASE, e = HOST_RAM_BASE + RAM;
	const struct fdt_rsv r[] = {
		{ .base = b + MIB, .size = 64 * KIB },		/* mapped */
		{ .base = b + 2 * MIB, .nomap = true },		/* empty */
		{ .base = b - MIB, .size = 64 * KIB, .nomap = true }, /* below */
		{ .base = b, .size = 64 * KIB, .nomap = true },	/* at start */
		{ .base = e - 64 * KIB, .size = 128 * KIB, .nomap = true },
		{ .base = e - 32 * KIB, .size = ~0UL, .nomap = true }, /* top */
	};
	int rv;

	machine();
	memcpy(M.rsv, r, sizeof(r));
	M.nrsv = nitems(r);
	rv = bootstrap();
	ok(rv == 0, "pmap_bootstrap with no-map ranges around RAM (%d)", rv);
	ok(!translates(b) && !translates(b + 60 * KIB) &&
	    translates(b + 64 * KIB), "a no-map range at RAM's start is left "
	    "out of the DMAP, the page after it is in");
	ok(!translates(e - PAGE_SIZE) && !translates(e - 64 * KIB) &&
	    translates(e - 68 * KIB), "one over RAM's end too");
	ok(translates(b + MIB) && translates(b + 2 * MIB), "a reserved range "
	    "that may be mapped, and an empty no-map one, stay in the DMAP");
}

int
main(void)
{

	host_thread_register();
	before();
	bad_images();
	machines();
	out_of_memory();
	nomap_ranges();
	return (tap_done());
}
