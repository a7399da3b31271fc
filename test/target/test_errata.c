/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SiFive errata (platform/riscv/errata.c) at work: with CIP-1200 on (an
 * FDT claiming U54/U74 cores), mapping and unmapping pages costs whole-TLB
 * flushes that kmem_stats counts and the memory still reads back right;
 * with it off (QEMU virt's plain FDT) no page flush becomes a full one.
 * CIP-453's fix sign-extends an instruction fault's VA and leaves other
 * faults alone.  errata_test.sh boots this on both FDTs and checks the
 * boot log says which.
 */
#include <kmem.h>
#include "tap.h"

#define RISCV_ERRATUM_CIP_1200	0x1
#define RISCV_ERRATUM_CIP_453	0x2
extern u_int riscv_errata;
unsigned long riscv_errata_fault_va(unsigned long code, unsigned long stval);

int
main(void)
{
	struct kmem_stats before, after;
	vm_offset_t va[16];
	unsigned long trunc, saved;
	bool quirk, same;
	int i, j;

	quirk = (riscv_errata & RISCV_ERRATUM_CIP_1200) != 0;
	diag("CIP-1200 %s", quirk ? "on" : "off");
	kmem_stats(&before);
	same = true;
	for (i = 0; i < 16; i++) {
		va[i] = kmem_malloc(3 * PAGE_SIZE, M_WAITOK);
		for (j = 0; va[i] != 0 && j < 3; j++)
			*(volatile u_long *)(va[i] + j * PAGE_SIZE) = va[i] + j;
	}
	for (i = 0; i < 16; i++) {
		for (j = 0; va[i] != 0 && j < 3; j++)
			same &= *(volatile u_long *)(va[i] + j * PAGE_SIZE) ==
			    va[i] + j;
		if (va[i] != 0)
			kmem_free(va[i], 3 * PAGE_SIZE);
	}
	kmem_free_flush();
	kmem_stats(&after);
	ok(same, "48 pages written and read back through fresh mappings");
	if (quirk)
		ok(after.tlb_full_flushes > before.tlb_full_flushes,
		    "CIP-1200: page flushes became full flushes (%lu -> %lu)",
		    before.tlb_full_flushes, after.tlb_full_flushes);
	else
		ok(after.tlb_full_flushes == 0,
		    "no erratum: per-page flushes only (%lu full)",
		    after.tlb_full_flushes);

	/* CIP-453: forced on for a moment, the trap path's VA fix-up. */
	saved = riscv_errata;
	riscv_errata |= RISCV_ERRATUM_CIP_453;
	trunc = va[0] & ((1UL << 39) - 1);
	ok(after.min_kernel_address == 0xffffffc000000000UL &&
	    riscv_errata_fault_va(12, trunc) == va[0] &&
	    riscv_errata_fault_va(1, trunc) == va[0],
	    "CIP-453 (Sv39): instruction fault VA 0x%lx sign-extended to 0x%lx",
	    trunc, riscv_errata_fault_va(12, trunc));
	ok(riscv_errata_fault_va(13, trunc) == trunc &&
	    riscv_errata_fault_va(15, trunc) == trunc,
	    "CIP-453: load and store fault VAs left as they are");
	riscv_errata = (u_int)saved;
	if ((saved & RISCV_ERRATUM_CIP_453) == 0)
		ok(riscv_errata_fault_va(12, trunc) == trunc,
		    "without CIP-453 the VA is left alone");
	return (tap_done());
}
