/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform/host/host.h: the host twin of the machine.
 *
 * The same src/ runs on the host for tests, fuzzers and sanitizers.  This
 * platform simulates what the portable core needs from a RISC-V machine:
 *  - "physical memory": one host buffer at a RISC-V-like physical base
 *    (0x80000000), split evenly over NUMA domains, plus small buffers that
 *    stand in for device registers;
 *  - harts: each pthread that calls host_thread_register() is a hart with
 *    its own dense cpu index and a hart id that is not its index;
 *  - an MMU: host_mmu_translate() walks the real Sv39/Sv48 page tables the
 *    pmap wrote into simulated RAM, checks permissions the way a hart
 *    without Svadu does, and caches translations in a per-hart software TLB
 *    that only md_tlb_* flush: a missing sfence shows up as a stale read;
 *  - sleep/wakeup: condition variables keyed by channel.
 * Tests read and write kernel VAs through host_read()/host_write(), which
 * fault exactly where the hart would (through kmem_fault_handle and
 * kmem_fault_fatal, so KMEM_FAULT_TRY works here too).
 */
#ifndef KMEM_PLATFORM_HOST_H
#define KMEM_PLATFORM_HOST_H

#include <kmem/types.h>
#include <kmem/fdt.h>

#define HOST_RAM_BASE	0x80000000UL
#define HOST_UART_BASE	0x10000000UL
#define HOST_TEST_BASE	0x00100000UL

struct host_machine_cfg {
	int		ndomains;	/* 1..MAXMEMDOM */
	uint64_t	mem_per_domain;	/* bytes, multiple of 2 MiB */
	int		ncpus;		/* harts described in the FDT */
	uint32_t	isa;		/* FDT_ISA_* */
	int		mmu;		/* FDT_MMU_SV39 or FDT_MMU_SV48 */
	uint64_t	hole;		/* bytes of gap between domains' RAM */
};

/*
 * Create the simulated machine (RAM buffer, device buffers) and describe
 * it in *m as fdt_parse() would.  Also sets dmap_va_base/dmap_phys_base so
 * PHYS_TO_DMAP() reaches the buffer.  Call once per process before use;
 * a second call tears the first machine down.
 */
void host_machine_init(const struct host_machine_cfg *cfg,
    struct fdt_machine *m);

/* Host pointer for a physical address in simulated RAM or a device. */
void *host_phys_ptr(vm_paddr_t pa, size_t len);

/* Threads as harts. */
u_int host_thread_register(void);	/* returns the cpu index */
void host_thread_unregister(void);

/*
 * The hart API (kmem/smp.h) on pthreads.  host_smp_start() registers the
 * caller and starts nharts - 1 threads that register and wait in
 * kmem_smp_idle() for work; it returns once they all take work, with the
 * number of harts now running kmem.  host_smp_stop() ends those threads
 * (after the work they run) and joins them.  Host tests call both from the
 * same thread; a second start before a stop is a test bug.
 */
u_int host_smp_start(u_int nharts);
void host_smp_stop(void);

/*
 * Translate va for access (KMEM_ACC_*).  Returns 0 and the PA, or -1 with
 * *why set when the hart would fault.  Uses and fills this hart's TLB.
 * host_mmu_perm: the same translation for every access at once: the
 * KMEM_ACC_* bits va allows and its PA, or -1 with *why when nothing maps
 * it (or the tables are bad).
 */
int host_mmu_perm(vm_offset_t va, vm_paddr_t *pa, const char **why);
int host_mmu_translate(vm_offset_t va, int access, vm_paddr_t *pa,
    const char **why);

/*
 * Access kernel VAs as the hart would.  A fault goes to kmem_fault_handle
 * (demand-zero) and then kmem_fault_fatal (catcher or report + exit).
 */
void host_read(vm_offset_t va, void *buf, size_t len);
void host_write(vm_offset_t va, const void *buf, size_t len);
void host_fetch(vm_offset_t va);	/* an instruction fetch */
uint64_t host_load64(vm_offset_t va);
void host_store64(vm_offset_t va, uint64_t v);
uint8_t host_load8(vm_offset_t va);
void host_store8(vm_offset_t va, uint8_t v);

/* Tests: with refuse, md_satp_write keeps Bare for every mode. */
void host_satp_refuse(bool refuse);

/* Current root page table (set by md_satp_write), and TLB counters. */
uint64_t host_satp(void);
struct host_tlb_stats {
	unsigned long	flush_page;	/* md_tlb_flush_page calls */
	unsigned long	flush_all;	/* md_tlb_flush_all calls */
	unsigned long	shootdown;	/* md_tlb_shootdown calls */
	unsigned long	walks;		/* TLB misses */
};
void host_tlb_stats(struct host_tlb_stats *s);

#endif /* KMEM_PLATFORM_HOST_H */
