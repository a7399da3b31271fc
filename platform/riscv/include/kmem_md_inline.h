/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inline machine hooks for src/'s hot paths on riscv64 (see
 * src/kmem_private.h): the cpu index is a TLS load off tp, interrupts are
 * one csrrci/csrs on sstatus.SIE.
 */
#ifndef KMEM_MD_INLINE_H
#define KMEM_MD_INLINE_H

#include <stdatomic.h>

extern __thread u_int riscv_tls_cpuid;
extern atomic_uint riscv_nrunning, riscv_nidle;	/* (smp.c) */

static inline u_int
kmem_cpuid(void)
{
	return (riscv_tls_cpuid);
}

static inline unsigned long
kmem_intr_disable(void)
{
	unsigned long s;

	__asm__ volatile("csrrci %0, sstatus, 2" : "=r"(s) :: "memory");
	return (s & 2);
}

/* saved is 0 or SSTATUS_SIE: setting it back is one csrs, no branch. */
static inline void
kmem_intr_restore(unsigned long saved)
{
	__asm__ volatile("csrs sstatus, %0" :: "r"(saved) : "memory");
}

/*
 * md_tlb_flush_page(): this hart's translations of one page.  On cores
 * with SiFive erratum CIP-1200 (errata.c) an sfence.vma with an address
 * may miss it: the whole TLB is flushed instead, out of line.
 */
#define RISCV_ERRATUM_CIP_1200	0x1	/* U54/U74: flush all, not one VA */
#define RISCV_ERRATUM_CIP_453	0x2	/* FU540: instruction fault VA unextended */
extern u_int riscv_errata;

/*
 * No call on either branch: a hot path that flushes then needs no stack
 * frame for it.  kmem_tlb_full_flushes: kmem/machine.h.
 */
static inline void
kmem_tlb_flush_page(vm_offset_t va)
{
	if (__predict_false(riscv_errata & RISCV_ERRATUM_CIP_1200)) {
		__asm__ volatile("sfence.vma" ::: "memory");
		__atomic_fetch_add(&kmem_tlb_full_flushes, 1,
		    __ATOMIC_RELAXED);
		return;
	}
	__asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
}

/*
 * md_ncpus_running(): harts running kmem code now (started and not idle),
 * at least 1.  A hint (relaxed loads): callers use it to choose between
 * freeing at once and batching, never for correctness.
 */
static inline u_int
kmem_ncpus_running(void)
{
	u_int n;

	n = atomic_load_explicit(&riscv_nrunning, memory_order_relaxed) -
	    atomic_load_explicit(&riscv_nidle, memory_order_relaxed);
	return (n > 0 ? n : 1);
}

/*
 * md_tlb_shootdown(): nothing to tell while no other hart runs kmem code
 * (idle harts flush their whole TLB before they take work); otherwise
 * riscv_shootdown() (smp.c).  The fence orders the caller's PTE stores
 * before the loads of the counters, as in riscv_shootdown().
 */
void riscv_shootdown(vm_offset_t sva, vm_offset_t eva);

static inline void
kmem_tlb_shootdown(vm_offset_t sva, vm_offset_t eva)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (__builtin_expect(kmem_ncpus_running() > 1, 0))
		riscv_shootdown(sva, eva);
}

#endif /* KMEM_MD_INLINE_H */
