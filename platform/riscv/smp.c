/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform/riscv/smp.c: which harts run kmem code, IPIs and remote TLB
 * shootdown through SBI.  Until secondary harts are started, only the boot
 * hart runs and these reach nobody.
 */
#include <kmem/machine.h>

#include "riscv.h"

static volatile bool cpu_running[MAXCPU] = { true };

u_int
riscv_ncpus_running(void)
{
	u_int i, n;

	for (i = n = 0; i < riscv_ncpus; i++)
		if (cpu_running[i])
			n++;
	return (n);
}

/* Call fn(hart id) for every running hart but this one, in groups of 64. */
static void
for_other_harts(void (*fn)(unsigned long mask, unsigned long base, void *),
    void *arg)
{
	unsigned long base, mask;
	u_int i, self;

	self = md_cpuid();
	for (base = 0; base < 4096; base += 64) {
		mask = 0;
		for (i = 0; i < riscv_ncpus; i++) {
			if (i == self || !cpu_running[i])
				continue;
			if (riscv_cpu_hartid[i] >= base &&
			    riscv_cpu_hartid[i] < base + 64)
				mask |= 1UL << (riscv_cpu_hartid[i] - base);
		}
		if (mask != 0)
			fn(mask, base, arg);
	}
}

static void
ipi_one(unsigned long mask, unsigned long base, void *arg)
{

	(void)arg;
	(void)sbi_send_ipi(mask, base);
}

void
riscv_ipi_others(void)
{

	if (riscv_ncpus_running() > 1)
		for_other_harts(ipi_one, NULL);
}

struct range {
	vm_offset_t	sva;
	vm_offset_t	eva;
};

static void
sfence_one(unsigned long mask, unsigned long base, void *arg)
{
	struct range *r = arg;

	(void)sbi_remote_sfence_vma(mask, base, r->sva, r->eva - r->sva);
}

void
riscv_shootdown(vm_offset_t sva, vm_offset_t eva)
{
	struct range r = { sva, eva };

	if (riscv_ncpus_running() > 1)
		for_other_harts(sfence_one, &r);
}
