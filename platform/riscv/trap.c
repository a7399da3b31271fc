/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform/riscv/trap.c: what a trap means.  Page faults on kernel
 * addresses go to kmem_fault_handle (demand-zero submaps) and, when nothing
 * explains them, to kmem_fault_fatal (a test's catcher, or a report and a
 * non-zero exit).  Every other unexpected trap is reported by name with
 * sepc, stval and the hart, and ends the run.
 */
#include <stdio.h>

#include <kmem/fault.h>
#include <kmem/machine.h>

#include "riscv.h"

struct trapframe {
	unsigned long	tf_sepc;
	unsigned long	tf_x[31];	/* x1..x31 at tf_x[0..30] */
	unsigned long	tf_sstatus;
	unsigned long	tf_scause;
	unsigned long	tf_stval;
	unsigned long	tf_pad;
};

void kmem_riscv_trap(struct trapframe *tf);

static const char *const exc_names[] = {
	[0] = "instruction address misaligned",
	[1] = "instruction access fault",
	[2] = "illegal instruction",
	[3] = "breakpoint",
	[4] = "load address misaligned",
	[5] = "load access fault",
	[6] = "store/AMO address misaligned",
	[7] = "store/AMO access fault",
	[8] = "environment call from U-mode",
	[9] = "environment call from S-mode",
	[12] = "instruction page fault",
	[13] = "load page fault",
	[15] = "store/AMO page fault",
	[18] = "software check",
	[19] = "hardware error",
};

static const char *
exc_name(unsigned long code)
{

	if (code < sizeof(exc_names) / sizeof(exc_names[0]) &&
	    exc_names[code] != NULL)
		return (exc_names[code]);
	return ("reserved exception");
}

void
kmem_riscv_trap(struct trapframe *tf)
{
	unsigned long code, va;
	int access;

	code = tf->tf_scause & ~(1UL << 63);
	if ((long)tf->tf_scause < 0) {
		/* Interrupts: a software interrupt is a wakeup IPI. */
		if (code == 1) {
			csr_clear(sip, SIP_SSIP);
			return;
		}
		if (code == 5) {	/* timer: nothing here arms it */
			csr_clear(sie, 1UL << 5);
			return;
		}
		printf("\n*** kmem: unexpected interrupt %lu on hart %u\n",
		    code, md_hartid());
		md_exit(KMEM_EXIT_FAULT);
	}
	switch (code) {
	case 12: case 1:
		access = KMEM_ACC_EXEC;
		break;
	case 13: case 5:
		access = KMEM_ACC_READ;
		break;
	case 15: case 7:
		access = KMEM_ACC_WRITE;
		break;
	default:
		printf("\n*** kmem: unexpected trap on hart %u ***\n"
		    "  cause:  %lu (%s)\n  sepc:   0x%016lx\n"
		    "  stval:  0x%016lx\n  ra:     0x%016lx\n"
		    "  sp:     0x%016lx\n", md_hartid(), code, exc_name(code),
		    tf->tf_sepc, tf->tf_stval, tf->tf_x[0], tf->tf_x[1]);
		md_exit(KMEM_EXIT_FAULT);
	}
	va = riscv_errata_fault_va(code, tf->tf_stval);
	if (code >= 12 && kmem_fault_handle(va, access, tf->tf_sepc))
		return;
	kmem_fault_fatal(va, access, tf->tf_sepc, exc_name(code));
}
