/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/machine.h: the machine-hook seam.
 *
 * Everything the portable core (src/) needs from the machine goes through
 * the functions below.  platform/riscv implements them for bare metal under
 * OpenSBI, platform/host implements them for the host twin (pthreads, a
 * simulated physical memory and a software Sv39 walker).  An RTOS that owns
 * boot implements this header and calls kmem_startup() (kmem/startup.h):
 * this header is the porting guide.
 *
 * Rules for implementers:
 *  - md_intr_disable()/md_intr_restore() nest: restore takes the value the
 *    matching disable returned.
 *  - md_sleep() is called with *lock held; it must release the lock, wait
 *    until md_wakeup(chan) is called (or spuriously return), and re-take the
 *    lock before returning.  Callers always re-check their condition.
 *  - md_panic() never returns.
 */
#ifndef KMEM_MACHINE_H
#define KMEM_MACHINE_H

#include <stdatomic.h>

#include <kmem/types.h>

struct kmem_spin;

/* Identity. */
u_int md_hartid(void);		/* this hart's id (any value; not 0-based) */
u_int md_cpuid(void);		/* dense index 0..md_ncpus()-1 of this hart */
u_int md_ncpus(void);		/* harts known to kmem */
u_int md_ncpus_running(void);	/* harts running kmem code now (>= 1) */
int md_cpu_domain(u_int cpuid);	/* NUMA domain of a cpu, from the FDT */

/* Interrupts. */
unsigned long md_intr_disable(void);
void md_intr_restore(unsigned long saved);
void md_cpu_relax(void);	/* spin-wait hint */

/* Sleep and wakeup on a channel (any address). */
void md_sleep(const void *chan, struct kmem_spin *lock);
void md_wakeup(const void *chan);
/* True when nothing but the caller could ever run (one hart, no threads). */
bool md_sleep_would_deadlock(void);

/*
 * Harts handing work to each other (src/kmem_smp.c, the logic of
 * kmem/smp.h, is written over these):
 *  - md_smp_wait(p, v, waiters): return once *p != v, sleeping (not
 *    spinning) meanwhile; the caller's cpu may record itself in *waiters.
 *  - md_smp_notify(waiters): a word was changed with a sequentially
 *    consistent store: wake the cpus that wait on it (those in *waiters).
 *    Either the waiter sees the change or the notifier sees the waiter.
 *  - md_smp_running(cpuid): cpuid is a hart running kmem code.
 *  - md_smp_idle(cpuid, idle): the calling hart (cpuid) goes idle in
 *    kmem_smp_idle() (idle) or is about to run work handed to it (!idle).
 */
void md_smp_wait(atomic_uint *p, u_int v, atomic_ulong *waiters);
void md_smp_notify(atomic_ulong *waiters);
bool md_smp_running(u_int cpuid);
void md_smp_idle(u_int cpuid, bool idle);

/* TLB maintenance.  va ranges are [sva, eva). */
void md_tlb_flush_page(vm_offset_t va);	/* this hart */
void md_tlb_flush_all(void);			/* this hart */
/*
 * Whole-TLB flushes a platform did in place of md_tlb_flush_page() because
 * of an erratum (SiFive CIP-1200): the platform adds to it with
 * __atomic_fetch_add, kmem_stats() reports it as tlb_full_flushes.
 */
extern unsigned long kmem_tlb_full_flushes;
/* Every other hart that may cache a translation of [sva, eva). */
void md_tlb_shootdown(vm_offset_t sva, vm_offset_t eva);
/* Make page-table stores visible to the walker before use. */
void md_pt_barrier(void);
/*
 * Install a root page table: satp value (mode | asid | ppn).  Returns true
 * when the hart accepted the mode (satp is WARL: an unsupported mode reads
 * back as bare and nothing changes).
 */
bool md_satp_write(uint64_t satp);
/* The current satp (mode 0: paging off).  kmem_startup() refuses paging on. */
uint64_t md_satp_read(void);

/*
 * The VA through which C code reaches RAM once the page tables map the
 * DMAP at dmap_min: dmap_min itself on a real hart; on the host twin, the
 * buffer that simulates RAM (the simulated tables still map dmap_min).
 */
vm_offset_t md_dmap_va(vm_offset_t dmap_min);

/* Console and the end of the run. */
void md_console_write(const char *buf, size_t len);
/*
 * Console input, never blocking: the next byte typed (0..255), -1 when
 * none is waiting, MD_CONSOLE_EOF when no input will ever come (the host
 * twin at the end of stdin).  Only kmem_monitor() reads the console.
 */
#define MD_CONSOLE_EOF	(-2)
int md_console_read(void);
__kmem_noreturn void md_panic(const char *msg);
__kmem_noreturn void md_exit(int code);

/* A monotonic counter (ticks of md_time_freq() Hz) and the instret count. */
uint64_t md_time(void);
uint64_t md_time_freq(void);
uint64_t md_instret(void);

#endif /* KMEM_MACHINE_H */
