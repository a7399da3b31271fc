/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_vmem.c (target): vmem on riscv64 in QEMU.
 *
 * Runs the reference model of test/lib/vmem_model.h on the hart: random
 * sequences of alloc, constrained xalloc, frees, vmem_add and drains over
 * two static arenas, an id arena and an import chain three deep, quantum
 * caches on, checked against the model after every step; then checks that
 * the quantum-cache common path takes no lock, and that an M_WAITOK
 * allocation that can never succeed on a single hart panics.  The backend
 * is the model's target one, a bump allocator over a static buffer.
 */
#include <string.h>

#include <kmem.h>

#include "tap.h"
#include "vmem_model.h"

int
main(void)
{
	struct kmem_panic_catch pc;
	vmem_t *vm;
	vmem_addr_t a;
	unsigned long before;
	int i;
	bool good, caught;

	vmem_set_backend(be_alloc, be_free);
	vmem_model_run(0x5eed1, 4000, true);
	vmem_model_run(0x5eed2, 4000, false);

	vm = vmem_create("tq", 0x10000, 0x10000, 16, 16 * 16, M_WAITOK);
	vmem_alloc(vm, 64, M_WAITOK, &a);
	vmem_free(vm, a, 64);
	before = kmem_spin_count();
	good = true;
	for (i = 0; i < 1000; i++) {
		good &= vmem_alloc(vm, 64, M_WAITOK, &a) == 0;
		vmem_free(vm, a, 64);
	}
	ok(good && kmem_spin_count() - before == 0, "warm quantum-cache "
	    "alloc+free took no lock, the free's check included (%lu)",
	    kmem_spin_count() - before);
	vmem_drain(vm);
	ok(vmem_size(vm, VMEM_ALLOC) == 0, "drain returns every round");
	vmem_alloc(vm, 0x10000, M_NOWAIT, &a);
	caught = false;
	if (KMEM_PANIC_TRY(&pc)) {
		(void)vmem_alloc(vm, 16, M_WAITOK, &a);
		kmem_panic_disarm();
	} else
		caught = true;
	ok(caught && strstr(pc.kp_msg, "deadlock") != NULL, "on one hart an "
	    "M_WAITOK allocation that can never succeed panics: %s",
	    pc.kp_msg);
	diag("backend pages used: %lu", (u_long)(be_used / PAGE_SIZE));
	return (tap_done());
}
