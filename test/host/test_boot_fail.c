/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Boot on machines that cannot boot, and the boot-only helpers, on the
 * host twin.  One case per run (each boots a fresh process):
 *   host_boot_fail no_ram | beyond_dmap | bootstrap_free | no_pt_memory |
 *                  satp_refused | sv48_refused | bad_image | nomap_dmap |
 *                  loud
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "tap.h"
#include "expect_panic.h"
#include "capture.h"

static struct fdt_machine M;
static struct kmem_boot_info BI;	/* edit() may change it too */

static int
boot(void (*edit)(struct fdt_machine *))
{
	struct host_machine_cfg cfg = {
		.ndomains = 1, .mem_per_domain = 32UL << 20, .ncpus = 1,
	};

	host_machine_init(&cfg, &M);
	host_thread_register();
	memset(&BI, 0, sizeof(BI));
	BI.machine = &M;
	BI.quiet = true;
	if (edit != NULL)
		edit(&M);
	return (kmem_startup(&BI));
}

/* All of RAM but four pages reserved: too little for the page tables. */
static void
no_pt_memory(struct fdt_machine *m)
{
	struct fdt_rsv *r = &m->rsv[m->nrsv++];

	r->base = m->mem[0].base;
	r->size = m->mem[0].size - 4 * PAGE_SIZE;
	snprintf(r->name, sizeof(r->name), "almost-all");
}

/* The hart wants Sv48 to be tried (no mmu property), but keeps Sv39. */
static void
sv48_refused(struct fdt_machine *m)
{

	m->mmu = FDT_MMU_NONE;
	pmap_want_sv48 = true;
}

static void
bad_image(struct fdt_machine *m)
{

	(void)m;
	BI.text_start = 0x200000;	/* text and rodata overlap */
	BI.text_end = 0x204000;
	BI.rodata_start = 0x203000;
	BI.rodata_end = 0x205000;
}

/* A no-map reserved range of 64 KiB, 1 MiB into RAM; the kernel VA of a
   physical address in the DMAP (PHYS_TO_DMAP gives the host's pointer). */
#define DMAP_KVA(pa)	(DMAP_MIN_ADDRESS + ((pa) - HOST_RAM_BASE))
#define NOMAP_OFF	(1UL << 20)
#define NOMAP_SIZE	(64UL << 10)
static char out[16384];

/* Print everything; an FDT blob of 6 000 bytes 16 MiB into RAM. */
static void
loud(struct fdt_machine *m)
{

	BI.quiet = false;
	BI.fdt_pa = m->mem[0].base + (16UL << 20);
	BI.fdt_size = 6000;
}

static bool
translates(vm_offset_t va)
{
	const char *why;
	vm_paddr_t pa;

	return (host_mmu_translate(va, KMEM_ACC_READ, &pa, &why) == 0 &&
	    pa == va - DMAP_MIN_ADDRESS + HOST_RAM_BASE);
}

static void
nomap_dmap(struct fdt_machine *m)
{
	struct fdt_rsv *r = &m->rsv[m->nrsv++];

	r->base = m->mem[0].base + NOMAP_OFF;
	r->size = NOMAP_SIZE;
	r->nomap = true;
	snprintf(r->name, sizeof(r->name), "secure@%lx", (u_long)r->base);
}

static void
no_ram(struct fdt_machine *m)
{

	m->nmem = 0;
}

static void
beyond_dmap(struct fdt_machine *m)
{

	/* A second bank 256 GiB up: the 128 GiB DMAP cannot cover both. */
	m->mem[m->nmem] = m->mem[0];
	m->mem[m->nmem].base += 256UL << 30;
	m->mem[m->nmem].size = 2UL << 20;
	m->nmem++;
}

int
main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	vm_page_t m;
	u_int before;
	vm_offset_t k;
	char a[32];
	int rv;

	if (strcmp(c, "no_ram") == 0) {
		rv = boot(no_ram);
		ok(rv != 0 && (kmem_up & KMEM_UP_PMAP) == 0, "kmem_startup "
		    "without RAM fails (%d) before any page table", rv);
	} else if (strcmp(c, "beyond_dmap") == 0) {
		rv = boot(beyond_dmap);
		ok(rv != 0 && (kmem_up & KMEM_UP_PAGES) == 0, "kmem_startup "
		    "with RAM beyond the DMAP fails (%d)", rv);
	} else if (strcmp(c, "bootstrap_free") == 0) {
		ok(boot(NULL) == 0, "kmem_startup");
		m = vm_page_alloc_noobj_domain(0, VM_ALLOC_NOWAIT);
		before = vm_free_count();
		kmem_bootstrap_free(PHYS_TO_DMAP(VM_PAGE_TO_PHYS(m)) - 100,
		    PAGE_SIZE + 200);
		ok(vm_free_count() == before + 1, "kmem_bootstrap_free of a "
		    "DMAP range frees its whole page, keeps partial ones");
		EXPECT_PANIC(kmem_bootstrap_free(PHYS_TO_DMAP(
		    VM_PAGE_TO_PHYS(m)), PAGE_SIZE), "vm_page_free_boot",
		    "already free", "kmem_bootstrap_free of a free page");
		EXPECT_PANIC(kmem_bootstrap_free(HOST_UART_BASE, PAGE_SIZE),
		    "kmem_bootstrap_free", expect_hex(a, sizeof(a),
		    HOST_UART_BASE), "kmem_bootstrap_free of unmanaged memory");
	} else if (strcmp(c, "no_pt_memory") == 0) {
		rv = boot(no_pt_memory);
		ok(rv == ENOMEM && (kmem_up & KMEM_UP_PHYSMEM) != 0 &&
		    (kmem_up & KMEM_UP_PMAP) == 0, "kmem_startup with four "
		    "pages of RAM left fails with ENOMEM in pmap_bootstrap (%d)",
		    rv);
	} else if (strcmp(c, "satp_refused") == 0) {
		host_satp_refuse(true);
		rv = boot(NULL);
		ok(rv == ENOTSUP && (kmem_up & KMEM_UP_PMAP) == 0 &&
		    host_satp() == 0, "kmem_startup on a hart that refuses Sv39 "
		    "and Sv48 fails with ENOTSUP, paging off (%d)", rv);
	} else if (strcmp(c, "sv48_refused") == 0) {
		rv = boot(sv48_refused);
		ok(rv == 0 && kernel_pmap->pm_levels == 3 && host_satp() >> 60 ==
		    8, "a hart that keeps Sv39 when Sv48 is written boots with "
		    "Sv39 (%d, %d levels)", rv, kernel_pmap->pm_levels);
		k = kmem_malloc(PAGE_SIZE, M_WAITOK);
		host_store64(k, 42);
		ok(host_load64(k) == 42, "... and its kernel memory works");
		kmem_free(k, PAGE_SIZE);
	} else if (strcmp(c, "bad_image") == 0) {
		rv = boot(bad_image);
		ok(rv == EINVAL && (kmem_up & KMEM_UP_PMAP) == 0, "kmem_startup "
		    "with image ranges that overlap fails with EINVAL (%d)",
		    rv);
	} else if (strcmp(c, "nomap_dmap") == 0) {
		struct kmem_fault_catch fc;
		vm_paddr_t pa;

		ok(boot(nomap_dmap) == 0, "kmem_startup with a no-map range");
		pa = M.mem[0].base + NOMAP_OFF;
		ok(!translates(DMAP_KVA(pa)) &&
		    !translates(DMAP_KVA(pa + NOMAP_SIZE - PAGE_SIZE)),
		    "the no-map range is carved from the DMAP (no translation)");
		ok(translates(DMAP_KVA(pa - PAGE_SIZE)) &&
		    translates(DMAP_KVA(pa + NOMAP_SIZE)),
		    "the pages around it stay mapped");
		if (KMEM_FAULT_TRY(&fc)) {
			(void)host_load64(DMAP_KVA(pa));
			kmem_fault_disarm();
			ok(0, "a read of the no-map range does not fault");
		} else
			ok(fc.kf_va == DMAP_KVA(pa) && fc.kf_access ==
			    KMEM_ACC_READ, "a read of the no-map range faults");
		ok(strcmp(kmem_fault_region(DMAP_KVA(pa)), "DMAP hole "
		    "(no-map reserved range)") == 0, "the fault report calls it "
		    "a DMAP hole");
	} else if (strcmp(c, "loud") == 0) {
		/* Not quiet, with the FDT blob in RAM: the machine and the map
		   are printed, the blob's pages adopted (kmem_bootstrap_free
		   can return them). */
		capture_begin();
		rv = boot(loud);
		capture_end(out, sizeof(out));
		ok(rv == 0, "kmem_startup, not quiet, with an FDT blob");
		ok(strstr(out, "fdt: kmem host twin") != NULL &&
		    strstr(out, "physmem: 1 domain, RAM") != NULL,
		    "it prints the machine and the memory map");
		ok(strstr(out, "  FDT blob") != NULL, "the blob's pages are "
		    "listed as an early allocation (adopted)");
		before = vm_free_count();
		kmem_bootstrap_free(PHYS_TO_DMAP(BI.fdt_pa),
		    round_page(BI.fdt_size));
		ok(vm_free_count() == before + 2, "kmem_bootstrap_free of the "
		    "blob's pages frees both (%u)", vm_free_count() - before);
	} else
		ok(0, "unknown case \"%s\"", c);
	return (tap_done());
}
