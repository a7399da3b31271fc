/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Inline machine hooks for src/'s hot paths on riscv64 (see
 * src/kmem_private.h): the cpu index is a TLS load off tp, interrupts are
 * one csrrci/csrs on sstatus.SIE.
 */
#ifndef KMEM_MD_INLINE_H
#define KMEM_MD_INLINE_H

extern __thread u_int riscv_tls_cpuid;

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

#endif /* KMEM_MD_INLINE_H */
