/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The fatal fault report and the uncaught panic, on the host twin: each
 * case makes one access that nothing resolves (or one panic nobody
 * catches), so the process must end with KMEM_EXIT_FAULT (97) or
 * KMEM_EXIT_PANIC (98) after a report naming the access and the region.
 * test/target/expect_exit.sh checks the code and a line of the report.
 *   host_fault_report early | access | kva | kva_ro | dmap_end | exec |
 *                     devmap | lower | panic
 */
#include <stdio.h>
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"

int
main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	struct fdt_machine m;
	vm_offset_t va;

	if (strcmp(c, "early") == 0) {
		/* Before the pmap: no region names yet. */
		kmem_fault_fatal(0x1000, KMEM_ACC_EXEC, 0x2000, "early test");
	}
	if (strcmp(c, "access") == 0) {
		/* A trap whose kind of access the platform could not tell. */
		kmem_fault_fatal(0x1000, 0, 0x2000, "unknown access test");
	}
	if (host_boot(&m, 1) != 0) {
		fprintf(stderr, "host_fault_report: kmem did not boot\n");
		return (1);
	}
	if (strcmp(c, "kva") == 0) {
		/* KVA without a page behind it. */
		va = kva_alloc(PAGE_SIZE);
		(void)host_load64(va);
	} else if (strcmp(c, "kva_ro") == 0) {
		/* A mapped page made read-only, then written. */
		va = kmem_malloc(PAGE_SIZE, M_WAITOK);
		pmap_protect(kernel_pmap, va, va + PAGE_SIZE, VM_PROT_READ);
		host_store64(va, 1);
	} else if (strcmp(c, "dmap_end") == 0) {
		/* Past the RAM the DMAP maps. */
		host_store64(DMAP_MIN_ADDRESS + (64UL << 30), 1);
	} else if (strcmp(c, "exec") == 0) {
		/* The DMAP is never executable. */
		host_fetch(DMAP_MIN_ADDRESS + PAGE_SIZE);
	} else if (strcmp(c, "devmap") == 0) {
		(void)host_load64(DEVMAP_MIN_ADDRESS + (1UL << 30));
	} else if (strcmp(c, "lower") == 0) {
		(void)host_load64(0x1000);
	} else if (strcmp(c, "panic") == 0) {
		/* A double kva_free with no catcher armed. */
		va = kva_alloc(PAGE_SIZE);
		kva_free(va, PAGE_SIZE);
		kva_free(va, PAGE_SIZE);
	}
	fprintf(stderr, "host_fault_report %s: still running\n", c);
	return (1);
}
