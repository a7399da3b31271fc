/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where the instructions of the common kmem pairs go: scripts/iprof runs
 * this payload with QEMU's per-instruction trace and prints, for each
 * region between prof_on() and prof_off(), the instructions spent in each
 * function (inlined code counts for its caller).  Four pairs per region,
 * after a warm-up, so divide by four.  The regions, in order: kmem_malloc
 * + kmem_free of a page, kva_alloc + kva_free, vmem instant fit with 10
 * live segments, malloc(64) + free, uma_zalloc + uma_zfree of 64 bytes.
 */
#include <kmem.h>
#include <stdlib.h>

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
	vmem_addr_t a, live[20];
	vm_offset_t va;
	uma_zone_t z;
	vmem_t *vm;
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
	/* Instant fit with 10 live segments, as bench_vmem measures it. */
	vm = vmem_create("prof", 0x100000000UL, 1UL << 32, 16, 0, M_WAITOK);
	for (i = 0; i < 20; i++)
		vmem_alloc(vm, 16 * (1 + (i * 37) % 64), M_WAITOK | M_FIRSTFIT,
		    &live[i]);
	for (i = 0; i < 20; i += 2)
		vmem_free(vm, live[i], 16 * (1 + (i * 37) % 64));
	for (i = 0; i < 64; i++) {
		vmem_alloc(vm, 16 * (1 + i % 64), M_NOWAIT | M_FIRSTFIT, &a);
		vmem_free(vm, a, 16 * (1 + i % 64));
	}
	prof_on();
	for (i = 64; i < 68; i++) {
		vmem_alloc(vm, 16 * (1 + i % 64), M_NOWAIT | M_FIRSTFIT, &a);
		vmem_free(vm, a, 16 * (1 + i % 64));
	}
	prof_off();
	/* malloc(64) + free, then uma_zalloc + uma_zfree of 64 bytes. */
	for (i = 0; i < 64; i++)
		free(malloc(64));
	prof_on();
	for (i = 0; i < 4; i++)
		free(malloc(64));
	prof_off();
	z = uma_zcreate("prof", 64, NULL, NULL, NULL, NULL, UMA_ALIGN_PTR, 0);
	for (i = 0; i < 64; i++)
		uma_zfree(z, uma_zalloc(z, M_WAITOK));
	prof_on();
	for (i = 0; i < 4; i++)
		uma_zfree(z, uma_zalloc(z, M_WAITOK));
	prof_off();
	return (0);
}
