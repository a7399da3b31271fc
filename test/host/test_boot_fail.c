/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Boot on machines that cannot boot, and the boot-only helpers, on the
 * host twin.  One case per run (each boots a fresh process):
 *   host_boot_fail no_ram | beyond_dmap | bootstrap_free
 */
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "tap.h"
#include "expect_panic.h"

static struct fdt_machine M;

static int
boot(void (*edit)(struct fdt_machine *))
{
	struct host_machine_cfg cfg = {
		.ndomains = 1, .mem_per_domain = 32UL << 20, .ncpus = 1,
	};
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };

	host_machine_init(&cfg, &M);
	host_thread_register();
	if (edit != NULL)
		edit(&M);
	return (kmem_startup(&bi));
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
	} else
		ok(0, "unknown case \"%s\"", c);
	return (tap_done());
}
