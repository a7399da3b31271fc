/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform/riscv/errata.c: SiFive core errata, keyed on the FDT's
 * compatible strings (the root's SoC and every enabled hart's core),
 * never on mvendorid/marchid/mimpid: QEMU's sifive_u reports 0/70216/70216
 * for its "U54s", and a stand-in FDT must be able to claim real cores.
 *
 *  - CIP-1200 (U54 and U74 cores; FU540, FU740): sfence.vma with an
 *    address operand may leave that address's translation in the TLB.
 *    kmem_tlb_flush_page() flushes the whole TLB instead and counts it in
 *    kmem_tlb_full_flushes (kmem_stats' tlb_full_flushes).  Remote
 *    flushes go through SBI RFENCE: OpenSBI's FU540/FU740 platform code
 *    already flushes everything there (its TLB range flush limit is 0).
 *  - CIP-453 (FU540's U54): stval of an instruction page fault or access
 *    fault holds the VA without its sign extension.  The trap path
 *    extends it (riscv_errata_fault_va) before the fault report or the
 *    demand-zero handler sees it, as Linux does.
 */
#include <stdio.h>

#include <kmem/fdt.h>
#include <kmem/machine.h>

#include "riscv.h"
#include <kmem_md_inline.h>

u_int riscv_errata;

static const char *const cip1200_soc[] = {
	"sifive,fu540-c000", "sifive,fu740-c000",
};
static const char *const cip1200_core[] = {
	"sifive,u54-mc", "sifive,u54", "sifive,u74-mc", "sifive,u74",
	"sifive,bullet0",
};
static const char *const cip453_soc[] = { "sifive,fu540-c000" };
static const char *const cip453_core[] = { "sifive,u54-mc", "sifive,u54" };

/* Does list name any of the n words? */
static bool
compat_any(const char *list, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fdt_compat_has(list, words[i]))
			return (true);
	return (false);
}

/* The SoC is named by the root, or any enabled hart is such a core. */
static bool
machine_has(const struct fdt_machine *m, const char *const *soc, size_t nsoc,
    const char *const *core, size_t ncore)
{
	int i;

	if (compat_any(m->compatible, soc, nsoc))
		return (true);
	for (i = 0; i < m->ncpus; i++)
		if (m->cpus[i].enabled &&
		    compat_any(m->cpus[i].compatible, core, ncore))
			return (true);
	return (false);
}

void
riscv_errata_init(const struct fdt_machine *m, bool quiet)
{

	riscv_errata = 0;
	if (machine_has(m, cip1200_soc, nitems(cip1200_soc), cip1200_core,
	    nitems(cip1200_core)))
		riscv_errata |= RISCV_ERRATUM_CIP_1200;
	if (machine_has(m, cip453_soc, nitems(cip453_soc), cip453_core,
	    nitems(cip453_core)))
		riscv_errata |= RISCV_ERRATUM_CIP_453;
	if (quiet)
		return;
	if (riscv_errata & RISCV_ERRATUM_CIP_1200)
		printf("kmem: SiFive erratum CIP-1200: full TLB flushes in "
		    "place of sfence.vma with an address\n");
	if (riscv_errata & RISCV_ERRATUM_CIP_453)
		printf("kmem: SiFive erratum CIP-453: instruction fault "
		    "addresses are sign-extended\n");
}

/*
 * The faulting VA of exception code (scause without the interrupt bit)
 * with stval.  With CIP-453 and paging on, an instruction fault's stval
 * is sign-extended from the top bit of the VA width satp selects
 * (Sv39: bit 38, Sv48: bit 47, Sv57: bit 56).
 */
unsigned long
riscv_errata_fault_va(unsigned long code, unsigned long stval)
{
	unsigned long mode;
	int bits;

	if ((riscv_errata & RISCV_ERRATUM_CIP_453) == 0 ||
	    (code != 1 && code != 12))
		return (stval);
	mode = csr_read(satp) >> 60;
	if (mode < 8 || mode > 10)
		return (stval);		/* bare: a physical address */
	bits = 39 + 9 * (int)(mode - 8);
	return ((unsigned long)((long)(stval << (64 - bits)) >> (64 - bits)));
}
