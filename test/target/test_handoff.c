/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a boot loader hands over, for the U-Boot chains on QEMU virt with
 * --numa 2 --smp 4: both NUMA nodes with their memory, the distance map
 * (10 local, 20 remote), the boot hart id in a0 (cpu 0 is an enabled hart
 * of the FDT, and with it every other hart could be started: a wrong id
 * would leave the real boot hart out and one hart stopped), and each
 * hart in the node the FDT gives it.
 */
#include <kmem.h>
#include "tap.h"

extern struct fdt_machine riscv_machine;

static const struct fdt_cpu *
fdt_hart(u_int hartid)
{
	int i;

	for (i = 0; i < riscv_machine.ncpus; i++)
		if (riscv_machine.cpus[i].hartid == hartid)
			return (&riscv_machine.cpus[i]);
	return (NULL);
}

static int hart_domain_ok[MAXCPU];

static void
check_domain(void *arg)
{
	const struct fdt_cpu *c;

	(void)arg;
	c = fdt_hart(md_hartid());
	hart_domain_ok[md_cpuid()] = c != NULL && c->enabled &&
	    md_cpu_domain(md_cpuid()) == physmem_domain_of_fdt(c->domain) ?
	    1 : -1;
}

int
main(void)
{
	const struct fdt_machine *m = &riscv_machine;
	const struct fdt_cpu *boot;
	u_int i, good;
	int rc;

	ok(m->ndomains == 2 && physmem.ndomains == 2,
	    "2 NUMA nodes in the FDT (%d) and managed (%d)", m->ndomains,
	    physmem.ndomains);
	ok(m->has_distance && m->distance[0][0] == 10 &&
	    m->distance[1][1] == 10 && m->distance[0][1] == 20 &&
	    m->distance[1][0] == 20, "distance map 10/20 (%u %u %u %u)",
	    m->distance[0][0], m->distance[0][1], m->distance[1][0],
	    m->distance[1][1]);
	boot = fdt_hart(md_hartid());
	ok(md_cpuid() == 0 && boot != NULL && boot->enabled,
	    "boot hart %u (a0) is an enabled hart of the FDT and cpu 0",
	    md_hartid());
	ok(kmem_smp_ncpus() == 4 && md_ncpus() == 4,
	    "all 4 harts run kmem (%u)", kmem_smp_ncpus());
	rc = kmem_smp_run_all(check_domain, NULL);
	good = 0;
	for (i = 0; i < md_ncpus(); i++)
		good += hart_domain_ok[i] == 1;
	ok(rc == 0 && good == md_ncpus(),
	    "every hart is in its FDT node (%u of %u)", good, md_ncpus());
	return (tap_done());
}
