/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Faults a test expects: KMEM_FAULT_TRY catches them with the faulting
 * address and access type, and the payload carries on.
 */
#include <kmem.h>
#include "tap.h"

int
main(void)
{
	struct kmem_fault_catch fc;
	/* Canonical but unmapped (paging on) or non-existent (paging off). */
	volatile uint64_t *bad = (volatile uint64_t *)0x3ff0000000UL;
	volatile uint64_t sink;
	volatile int i, caught;

	if (KMEM_FAULT_TRY(&fc)) {
		sink = *bad;
		kmem_fault_disarm();
		ok(0, "load from 0x%lx did not fault", (u_long)bad);
	} else {
		ok(fc.kf_va == (vm_offset_t)bad && fc.kf_access ==
		    KMEM_ACC_READ, "load fault caught: va 0x%lx access %d",
		    (u_long)fc.kf_va, fc.kf_access);
	}
	if (KMEM_FAULT_TRY(&fc)) {
		*bad = 1;
		kmem_fault_disarm();
		ok(0, "store to 0x%lx did not fault", (u_long)bad);
	} else {
		ok(fc.kf_va == (vm_offset_t)bad && fc.kf_access ==
		    KMEM_ACC_WRITE, "store fault caught: va 0x%lx access %d",
		    (u_long)fc.kf_va, fc.kf_access);
	}
	/* Catchers re-arm cleanly many times. */
	caught = 0;
	for (i = 0; i < 100; i++) {
		if (KMEM_FAULT_TRY(&fc)) {
			sink = bad[i];
			kmem_fault_disarm();
		} else
			caught++;
	}
	ok(caught == 100, "100 consecutive faults caught (%d)", caught);
	(void)sink;
	return (tap_done());
}
