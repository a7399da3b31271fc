/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where the instructions of the common kmem pairs go: scripts/iprof runs
 * this payload with QEMU's per-instruction trace and prints, for each
 * region between prof_on() and prof_off(), the instructions spent in each
 * function (inlined code counts for its caller).  Four pairs per region,
 * after a warm-up, so divide by four.
 */
#include <kmem.h>

const bool kmem_boot_quiet = true;

/* The markers scripts/iprof looks for (kept out of line). */
__attribute__((__noinline__)) void prof_on(void);
__attribute__((__noinline__)) void prof_off(void);

void
prof_on(void)
{
	__asm__ volatile("" ::: "memory");
}

void
prof_off(void)
{
	__asm__ volatile("" ::: "memory");
}

int
main(void)
{
	vm_offset_t va;
	int i;

	for (i = 0; i < 64; i++)
		kmem_free(kmem_malloc(PAGE_SIZE, M_WAITOK), PAGE_SIZE);
	prof_on();
	for (i = 0; i < 4; i++) {
		va = kmem_malloc(PAGE_SIZE, M_WAITOK);
		kmem_free(va, PAGE_SIZE);
	}
	prof_off();
	for (i = 0; i < 64; i++)
		kva_free(kva_alloc(PAGE_SIZE), PAGE_SIZE);
	prof_on();
	for (i = 0; i < 4; i++) {
		va = kva_alloc(PAGE_SIZE);
		kva_free(va, PAGE_SIZE);
	}
	prof_off();
	return (0);
}
