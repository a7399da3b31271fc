/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Boot cost (scripts/bench-boot): instructions from reset to main(), split
 * into the firmware's share (instret at the payload's first instruction:
 * OpenSBI, and U-Boot when it boots us) and kmem's (from there to main:
 * FDT, memory map, page tables, vm_phys, vmem, kernel map, the other
 * harts started).  Boots quiet, as a production payload would.  Under
 * QEMU -icount shift=0 instret counts every hart's instructions exactly.
 */
#include <stdio.h>

#include <kmem.h>

const bool kmem_boot_quiet = true;
extern uint64_t riscv_boot_instret;

int
main(void)
{
	uint64_t now = md_instret();

	printf("BENCH boot | reset to main | firmware %lu | kmem %lu | "
	    "total %lu\n", (u_long)riscv_boot_instret,
	    (u_long)(now - riscv_boot_instret), (u_long)now);
	return (0);
}
