/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The printing helpers say what the structures hold: fdt_machine_print,
 * physmem_print and vm_map_print, their output caught (capture.h) and
 * checked line by line.  One case per run:
 *   host_print fdt | physmem | vm_map
 */
#include <string.h>

#include <kmem.h>
#include "host.h"
#include "host_boot.h"
#include "capture.h"
#include "tap.h"

#define MIB	(1UL << 20)

static char out[16384];

static void
has(const char *what, const char *text)
{

	ok(strstr(out, text) != NULL, "%s prints \"%s\"", what, text);
}

static void
lacks(const char *what, const char *text)
{

	ok(strstr(out, text) == NULL, "%s does not print \"%s\"", what, text);
}

/* Every field and every branch of the machine's description. */
static void
print_fdt(void)
{
	struct host_machine_cfg cfg = {
		.ndomains = 2, .mem_per_domain = 32 * MIB, .ncpus = 4,
		.isa = FDT_ISA_SVPBMT | FDT_ISA_SSTC, .mmu = FDT_MMU_SV48,
	};
	struct fdt_machine m;
	struct fdt_rsv *r;

	host_machine_init(&cfg, &m);
	m.model[0] = '\0';
	m.totalsize = 4321;
	m.mem[1].size = 3 * MIB + MIB / 4;
	r = &m.rsv[m.nrsv++];
	r->base = m.mem[0].base;
	r->size = 8 * 1024;
	r->nomap = true;
	snprintf(r->name, sizeof(r->name), "mmode_resv");
	r = &m.rsv[m.nrsv++];
	r->base = m.mem[1].base;
	r->size = 2 * MIB;
	r->reusable = true;
	snprintf(r->name, sizeof(r->name), "linux,cma");
	m.cpus[1].enabled = false;
	m.cpus[2].mmu = FDT_MMU_SV57;
	m.cpus[3].mmu = FDT_MMU_NONE;
	m.cpus[3].isa = 0;
	m.distance[0][1] = m.distance[1][0] = 33;
	m.devs_dropped = 5;
	capture_begin();
	fdt_machine_print(&m);
	capture_end(out, sizeof(out));
	has("fdt_machine_print", "fdt: (no model), 4321-byte blob, 2 NUMA nodes");
	has("fdt_machine_print", "mmu sv48, timebase 10000000 Hz, isa (all "
	    "harts): svpbmt sstc");
	has("fdt_machine_print", "node 0: harts 3 4(disabled)");
	has("fdt_machine_print", "node 1: harts 5 6");
	has("fdt_machine_print", "memory 0x0000000080000000-0x0000000082000000"
	    "       32.00 MiB");
	has("fdt_machine_print", "3.25 MiB");
	has("fdt_machine_print", "reserved 0x0000000080000000-"
	    "0x0000000080002000           8 KiB  mmode_resv no-map");
	has("fdt_machine_print", "2.00 MiB  linux,cma reusable");
	has("fdt_machine_print", "  distance:    0    1");
	has("fdt_machine_print", "           0   10   33");
	has("fdt_machine_print", "hart 4: node 0, disabled, mmu sv48");
	has("fdt_machine_print", "hart 5: node 1, okay, mmu sv57");
	has("fdt_machine_print", "hart 6: node 1, okay, mmu none, isa (none "
	    "of svpbmt svnapot zicboz sstc)");
	has("fdt_machine_print", "ns16550a");
	has("fdt_machine_print", "(5 more devices not remembered)");

	/* Two nodes without a distance-map; then one node: no table. */
	m.has_distance = false;
	m.devs_dropped = 0;
	snprintf(m.model, sizeof(m.model), "riscv-virtio,qemu");
	capture_begin();
	fdt_machine_print(&m);
	capture_end(out, sizeof(out));
	has("fdt_machine_print", "fdt: riscv-virtio,qemu, 4321-byte blob");
	has("fdt_machine_print", "distance (defaults, no distance-map):");
	lacks("fdt_machine_print", "not remembered");
	cfg.ndomains = 1;
	cfg.ncpus = 1;
	host_machine_init(&cfg, &m);
	capture_begin();
	fdt_machine_print(&m);
	capture_end(out, sizeof(out));
	has("fdt_machine_print", "1 NUMA node");
	lacks("fdt_machine_print", "1 NUMA nodes");
	lacks("fdt_machine_print", "distance");
}

/* RAM, managed ranges, carves with and without names, early allocations,
   FDT node ids renumbered. */
static void
print_physmem(void)
{
	struct host_machine_cfg cfg = {
		.ndomains = 2, .mem_per_domain = 32 * MIB, .ncpus = 2,
	};
	struct fdt_machine m;
	struct fdt_rsv *r;
	vm_paddr_t b = HOST_RAM_BASE;
	int rv;

	host_machine_init(&cfg, &m);
	m.mem[1].domain = 2;		/* FDT ids 0 and 2: renumbered */
	m.cpus[1].domain = 2;
	m.ndomains = 3;
	r = &m.rsv[m.nrsv++];
	r->base = b + 8 * MIB;
	r->size = 64 * 1024;
	r->nomap = true;
	snprintf(r->name, sizeof(r->name), "secure-mem");
	rv = physmem_init(&m, b, b + 2 * MIB, b + 2 * MIB, b + 3 * MIB,
	    b + 30 * MIB, 6000);
	ok(rv == 0, "physmem_init of a machine with FDT ids 0 and 2: %d", rv);
	ok(physmem_early_alloc(1, 64 * 1024, PAGE_SIZE, "page tables") != 0,
	    "an early allocation in node 1");
	capture_begin();
	physmem_print();
	capture_end(out, sizeof(out));
	has("physmem_print", "physmem: 2 domains (renumbered from FDT ids), "
	    "RAM");
	has("physmem_print", "  node 1 (FDT numa-node-id 2): managed");
	has("physmem_print", "    RAM     0x0000000080000000-"
	    "0x0000000082000000      32.00 MiB");
	has("physmem_print", "    managed 0x");
	has("physmem_print", "    carved  0x0000000080000000-"
	    "0x0000000080200000       2.00 MiB  firmware (OpenSBI)");
	has("physmem_print", "  reserved-memory, no-map (secure-mem)");
	has("physmem_print", "        64 KiB  ");
	has("physmem_print", "    early   0x");
	has("physmem_print", "  page tables");
}

/* A submap with entries of each kind, and the kernel map holding it. */
static void
print_vm_map(void)
{
	struct fdt_machine m;
	struct vm_map sub;
	vm_offset_t min, max, a, k;
	char line[128];

	ok(host_boot(&m, 1) == 0, "kmem boots");
	kmem_subinit(&sub, kernel_map, &min, &max, 1 * MIB, false);
	a = kmap_alloc_wait(&sub, 3 * PAGE_SIZE);
	vm_map_lock(&sub);
	ok(vm_map_insert(&sub, NULL, 0, max - 2 * PAGE_SIZE, max, VM_PROT_RW,
	    VM_PROT_RW, MAP_NOFAULT) == KERN_SUCCESS, "a nofault entry");
	vm_map_unlock(&sub);
	ok(vm_map_nentries(&sub) == 2 && vm_map_size(&sub) == 5 * PAGE_SIZE,
	    "vm_map_nentries 2, vm_map_size 5 pages: %d, %lu",
	    vm_map_nentries(&sub), (u_long)vm_map_size(&sub));
	capture_begin();
	vm_map_print(&sub);
	capture_end(out, sizeof(out));
	snprintf(line, sizeof(line), "[0x%lx-0x%lx): 2 entries, 20 KiB", min,
	    max);
	has("vm_map_print", line);
	snprintf(line, sizeof(line), "  0x%lx-0x%lx       12 KiB pageable", a,
	    a + 3 * PAGE_SIZE);
	has("vm_map_print", line);
	snprintf(line, sizeof(line), "  0x%lx-0x%lx        8 KiB nofault ",
	    max - 2 * PAGE_SIZE, max);
	has("vm_map_print", line);
	capture_begin();
	vm_map_print(kernel_map);
	capture_end(out, sizeof(out));
	snprintf(line, sizeof(line), "  0x%lx-0x%lx     1024 KiB submap ", min,
	    max);
	has("vm_map_print (kernel_map)", line);
	k = kva_alloc(PAGE_SIZE);
	ok(k != 0, "kva_alloc");
	kva_free(k, PAGE_SIZE);
	kmap_free_wakeup(&sub, a, 3 * PAGE_SIZE);
}

int
main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	if (strcmp(c, "fdt") == 0)
		print_fdt();
	else if (strcmp(c, "physmem") == 0)
		print_physmem();
	else if (strcmp(c, "vm_map") == 0)
		print_vm_map();
	else
		ok(false, "usage: host_print fdt | physmem | vm_map");
	return (tap_done());
}
