/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The boot path: main() runs on the boot hart (whatever its id), the FDT
 * was read, the physical memory map agrees with the FDT, and the early
 * allocator hands out memory inside managed RAM.
 */
#include <kmem.h>
#include "tap.h"

extern struct fdt_machine riscv_machine;

static bool
in_ram(vm_paddr_t pa, vm_size_t len)
{
	int i;

	for (i = 0; i < physmem.nram; i++)
		if (pa >= physmem.ram[i].start && pa + len <= physmem.ram[i].end)
			return (true);
	return (false);
}

int
main(void)
{
	const struct fdt_machine *m = &riscv_machine;
	uint64_t fdt_total = 0;
	bool boot_hart_found = false;
	int i, j, d;

	ok(m->nmem >= 1, "FDT lists memory (%d ranges)", m->nmem);
	ok(m->ncpus >= 1 && (u_int)m->ncpus >= md_ncpus(),
	    "FDT lists %d harts, kmem knows %u", m->ncpus, md_ncpus());
	for (i = 0; i < m->ncpus; i++)
		if (m->cpus[i].hartid == md_hartid())
			boot_hart_found = true;
	ok(boot_hart_found && md_cpuid() == 0,
	    "boot hart %u is in the FDT and is cpu 0", md_hartid());
	for (i = 0; i < m->nmem; i++)
		fdt_total += m->mem[i].size;
	diag("RAM %lu MiB in %d ranges, %d domains", (u_long)(fdt_total >> 20),
	    m->nmem, physmem.ndomains);
	ok(physmem.ndomains >= 1 && physmem.ndomains <= m->ndomains,
	    "domains with memory: %d (FDT nodes %d)", physmem.ndomains,
	    m->ndomains);

	/* Managed ranges lie inside RAM, do not overlap, and avoid the image. */
	{
		bool inside = true, disjoint = true, noimage = true;
		extern char __image_start[], __image_end[];

		for (i = 0; i < physmem.nmanaged; i++) {
			const struct physmem_range *r = &physmem.managed[i];

			if (!in_ram(r->start, r->end - r->start))
				inside = false;
			if (r->start < (vm_paddr_t)(uintptr_t)__image_end &&
			    (vm_paddr_t)(uintptr_t)__image_start < r->end)
				noimage = false;
			for (j = i + 1; j < physmem.nmanaged; j++)
				if (r->start < physmem.managed[j].end &&
				    physmem.managed[j].start < r->end)
					disjoint = false;
		}
		ok(inside, "managed ranges lie inside FDT RAM");
		ok(disjoint, "managed ranges do not overlap");
		ok(noimage, "the payload image is carved out");
	}

	/* Every FDT domain with memory has managed memory of that domain. */
	for (d = 0; d < m->ndomains; d++) {
		vm_size_t fdt_sz = 0, man = 0;

		for (i = 0; i < m->nmem; i++)
			if (m->mem[i].domain == d)
				fdt_sz += m->mem[i].size;
		for (i = 0; i < physmem.nmanaged; i++)
			if (physmem.managed[i].domain == d)
				man += physmem.managed[i].end -
				    physmem.managed[i].start;
		ok(fdt_sz == 0 || (man > 0 && man <= fdt_sz),
		    "domain %d: FDT %lu MiB, managed %lu MiB", d,
		    (u_long)(fdt_sz >> 20), (u_long)(man >> 20));
	}
	return (tap_done());
}
