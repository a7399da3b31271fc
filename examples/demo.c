/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The demo payload: the memory manager is up before main() runs; main()
 * walks through what it can do.  scripts/demo boots it on QEMU virt with
 * 2 NUMA nodes and 4 harts.
 */
#include <stdio.h>

#include <kmem.h>

int
main(void)
{

	printf("\n== kmem demo: hart %u (cpu %u of %u) is in main() ==\n",
	    md_hartid(), md_cpuid(), md_ncpus());
	printf("%d NUMA domain(s) with memory\n", physmem.ndomains);
	return (0);
}
