/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform/riscv/machine.c: the machine hooks (kmem/machine.h) on bare
 * metal: per-hart identity in TLS (tp), interrupts through sstatus.SIE,
 * sfence.vma and SBI RFENCE, the SBI console, and the run's exit.
 */
#include <stdatomic.h>
#include <stdio.h>

#include <kmem/fault.h>
#include <kmem/machine.h>
#include <kmem/physmem.h>
#include <kmem/spin.h>

#include "riscv.h"
#include <kmem_md_inline.h>

/* Per-hart identity, one TLS block per hart (tp). */
__thread u_int riscv_tls_cpuid;
/* ~0 until the hart says (kmem_smp_register_hart then answers -EINVAL). */
__thread u_int riscv_tls_hartid = ~0U;

u_int riscv_ncpus = 1;
uint32_t riscv_cpu_hartid[MAXCPU];
int riscv_cpu_domain[MAXCPU];

u_int
md_hartid(void)
{

	return (riscv_tls_hartid);
}

u_int
md_cpuid(void)
{

	return (riscv_tls_cpuid);
}

u_int
md_ncpus(void)
{

	return (riscv_ncpus);
}

int
md_cpu_domain(u_int cpuid)
{

	/* physmem numbers the domains with memory densely. */
	return (cpuid < riscv_ncpus ?
	    physmem_domain_of_fdt(riscv_cpu_domain[cpuid]) : 0);
}

unsigned long
md_intr_disable(void)
{
	unsigned long s;

	__asm__ volatile("csrrci %0, sstatus, 2" : "=r"(s) :: "memory");
	return (s & SSTATUS_SIE);
}

void
md_intr_restore(unsigned long saved)
{

	if (saved & SSTATUS_SIE)
		csr_set(sstatus, SSTATUS_SIE);
}

void
md_cpu_relax(void)
{

	__asm__ volatile("nop");
}

/*
 * Sleep/wakeup.  Each channel hashes to a generation counter and a mask of
 * the cpus asleep on it.  md_sleep notes the generation while the caller's
 * lock is still held, enables sie.SSIE, adds itself to the mask, drops the
 * lock and executes wfi until the generation moves.  md_wakeup bumps the
 * generation, then sends an IPI to the cpus in the mask.  Both pairs (mask
 * store, generation load) and (generation store, mask load) are
 * sequentially consistent, so a sleeper either sees the new generation or
 * is in the mask the waker reads: no wakeup is lost between the check and
 * wfi.  sstatus.SIE stays clear: wfi returns on a pending enabled
 * interrupt without taking it, and SSIP is cleared before each re-check.
 */
#define NSLEEPQ 64
static atomic_ulong sleep_gen[NSLEEPQ];
static atomic_ulong sleep_mask[NSLEEPQ];

static u_int
sleepq_hash(const void *chan)
{

	return ((u_int)(((uintptr_t)chan >> 4) * 2654435761u) % NSLEEPQ);
}

bool
md_sleep_would_deadlock(void)
{

	return (riscv_ncpus_running() <= 1);
}

void
md_sleep(const void *chan, struct kmem_spin *lock)
{
	unsigned long gen, bit;
	u_int h;

	h = sleepq_hash(chan);
	bit = 1UL << md_cpuid();
	gen = atomic_load(&sleep_gen[h]);
	csr_set(sie, SIE_SSIE);
	atomic_fetch_or(&sleep_mask[h], bit);
	kmem_spin_unlock(lock);
	while (atomic_load(&sleep_gen[h]) == gen) {
		__asm__ volatile("wfi");
		csr_clear(sip, SIP_SSIP);
	}
	atomic_fetch_and(&sleep_mask[h], ~bit);
	kmem_spin_lock(lock);
}

void
md_wakeup(const void *chan)
{
	unsigned long m;
	u_int h;

	h = sleepq_hash(chan);
	atomic_fetch_add(&sleep_gen[h], 1);
	m = atomic_load(&sleep_mask[h]);
	if (m != 0)
		riscv_ipi_cpus(m);
}

void
md_tlb_flush_page(vm_offset_t va)
{

	kmem_tlb_flush_page(va);
}

void
md_tlb_flush_all(void)
{

	__asm__ volatile("sfence.vma" ::: "memory");
}

void
md_tlb_shootdown(vm_offset_t sva, vm_offset_t eva)
{

	riscv_shootdown(sva, eva);
}

void
md_pt_barrier(void)
{

	__asm__ volatile("fence rw, rw" ::: "memory");
}

bool
md_satp_write(uint64_t satp)
{
	uint64_t got;

	__asm__ volatile("sfence.vma" ::: "memory");
	csr_write(satp, satp);
	got = csr_read(satp);
	__asm__ volatile("sfence.vma" ::: "memory");
	return (got == satp);
}

uint64_t
md_satp_read(void)
{

	return (csr_read(satp));
}

vm_offset_t
md_dmap_va(vm_offset_t dmap_min)
{

	return (dmap_min);
}

/*
 * The console is shared by every hart (and sbi.c writes through one
 * buffer): one writer at a time.  A plain flag, not a kmem_spin, so that a
 * panic report can still be printed by a hart that panicked in kmem_spin.
 */
static atomic_flag console_busy = ATOMIC_FLAG_INIT;

void
riscv_console_write(const char *buf, size_t len)
{

	while (atomic_flag_test_and_set_explicit(&console_busy,
	    memory_order_acquire))
		md_cpu_relax();
	sbi_console_write(buf, len);
	atomic_flag_clear_explicit(&console_busy, memory_order_release);
}

void
md_console_write(const char *buf, size_t len)
{

	riscv_console_write(buf, len);
}

int
md_console_read(void)
{

	return (sbi_console_read());
}

void
md_panic(const char *msg)
{

	kmem_panic_catch_hook(msg);
	fflush(stdout);
	printf("\n*** kmem panic (hart %u): %s\n", md_hartid(), msg);
	fflush(stdout);
	md_exit(KMEM_EXIT_PANIC);
}

uint64_t
md_time(void)
{

	return (csr_read(time));
}

uint64_t
md_time_freq(void)
{

	return (riscv_machine.timebase_frequency != 0 ?
	    riscv_machine.timebase_frequency : 10000000);
}

uint64_t
md_instret(void)
{

	return (csr_read(instret));
}
