/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform/riscv/smp.c: secondary harts, and the md_smp_* hooks over which
 * src/kmem_smp.c implements the hart API (kmem/smp.h).
 *
 * Start-up: after kmem_startup() the boot hart (cpu 0) starts every other
 * hart that boot.c numbered, through SBI HSM hart_start(hartid,
 * kmem_secondary_entry, start block).  A hart enters start.S with paging
 * off, so its start block lives in the image, whose VA is its PA.  Its
 * stack (KMEM_HART_STACK_SIZE, the hart_stack_size option) and its TLS
 * block (the payload's own .tdata + .tbss size, from the linker) are one
 * kmem_malloc() from the hart's NUMA domain, used only once paging is on.
 * start.S loads sp and tp, turns paging on with the kernel's satp and
 * calls smp_secondary_main(hartid, block), which marks the hart running
 * and idles it in kmem_smp_idle().
 *
 * Waiting never spins: a waiter enables sie.SSIE (sstatus.SIE stays
 * clear, so no interrupt is ever taken), records itself in a waiter mask,
 * re-checks its condition and executes wfi, which returns once a software
 * interrupt is pending.  Whoever changes the condition does so first, then
 * reads the mask and sends SBI IPIs to the cpus in it.  Both sides use
 * sequentially consistent accesses, so either the waiter sees the change
 * or the notifier sees the waiter; SSIP is cleared only just before a
 * re-check, so no IPI is lost.
 *
 * TLB shootdown reaches every other running hart with SBI RFENCE
 * remote_sfence_vma, one call per group of 64 hart ids.
 */
#include <stdio.h>
#include <string.h>

#include <kmem/domainset.h>
#include <kmem/fault.h>
#include <kmem/machine.h>
#include <kmem/physmem.h>
#include <kmem/pmap.h>
#include <kmem/report.h>
#include <kmem/smp.h>
#include <kmem/spin.h>
#include <kmem/startup.h>
#include <kmem/vm_kern.h>
#include <kmem/vm_param.h>

#include "riscv.h"
#include "kmem_md_inline.h"

_Static_assert(MAXCPU <= 64, "cpu masks are one unsigned long");

extern __thread u_int riscv_tls_cpuid;
extern __thread u_int riscv_tls_hartid;
extern char __tls_base[];
extern char kmem_secondary_entry[];


/*
 * A payload that defines kmem_smp_autostart = false (a strong symbol)
 * keeps its secondary harts stopped: it may start them itself and call
 * kmem_smp_register_hart() on them.
 */
__attribute__((weak)) const bool kmem_smp_autostart = true;

#define SMP_STACK_CANARY	0x6b6d656d53544b21UL
#define SMP_START_TIMEOUT_MS	2000
/* Above this many pages a shootdown flushes the whole TLB. */
#define SMP_SHOOTDOWN_PAGES	32

#define SBI_ERR_ALREADY_AVAILABLE	(-6)

/* What kmem_secondary_entry (start.S) reads through a1. */
struct smp_start {
	uint64_t	ss_sp;		/* 0: initial stack pointer */
	uint64_t	ss_tp;		/* 8: TLS block */
	uint64_t	ss_satp;	/* 16: 0 = stay bare */
	uint64_t	ss_entry;	/* 24: smp_secondary_main */
	uint64_t	ss_hartid;	/* 32: start.S finds a block by it */
	u_int		ss_cpuid;	/* 40 */
};
/* start.S walks the blocks: keep these in step with it. */
_Static_assert(sizeof(struct smp_start) == 48, "start.S: block size");
_Static_assert(__builtin_offsetof(struct smp_start, ss_hartid) == 32,
    "start.S: ss_hartid offset");
_Static_assert(KMEM_HART_STACK_SIZE % 16 == 0, "hart stacks: 16-byte sp");

/* Global (not static): start.S reads it on the racing-hart path. */
struct smp_start smp_start_block[MAXCPU];
/* Lowest word of each started hart's stack: the canary.  NULL: not ours. */
static uint64_t *smp_stack_bottom[MAXCPU];

/* Harts running kmem code: bit per cpu index.  The boot hart is cpu 0. */
static atomic_ulong running_mask = 1;
static atomic_ulong idle_mask;		/* running, but waiting for work */
/* Read inline by kmem_ncpus_running() (kmem_md_inline.h). */
atomic_uint riscv_nidle;
atomic_uint riscv_nrunning = 1;
/* riscv_nrunning > 1 (set once, never cleared): riscv_shootdown tests it. */
static atomic_bool others_running;
static struct kmem_spin shootdown_lock = KMEM_SPIN_INITIALIZER("shootdown");
static atomic_ulong up_waiters;		/* the boot hart, while starting */

void smp_secondary_main(unsigned long hartid, struct smp_start *ss);

/* Linker-script constants (absolute symbols: lui/addi, not pc-relative). */
#define LINKER_CONST(sym) ({						\
	unsigned long __v;						\
	__asm__("lui %0, %%hi(" #sym ")\n\taddi %0, %0, %%lo(" #sym ")"\
	    : "=r"(__v));						\
	__v;								\
})

/* ---------------------------------------------------------- IPIs */

/*
 * Group the cpus of a mask into SBI (hart_mask, hart_mask_base) pairs and
 * call fn once per group of 64 hart ids.  Returns the last SBI error, 0
 * when every call succeeded.
 */
static long
for_cpus(unsigned long cpus, long (*fn)(unsigned long mask,
    unsigned long base, void *arg), void *arg)
{
	unsigned long base[MAXCPU], mask[MAXCPU], h;
	u_int i, g, ng;
	long err, e;

	ng = 0;
	for (i = 0; i < riscv_ncpus && cpus != 0; i++) {
		if ((cpus & (1UL << i)) == 0)
			continue;
		cpus &= ~(1UL << i);
		h = riscv_cpu_hartid[i];
		for (g = 0; g < ng && base[g] != (h & ~63UL); g++)
			continue;
		if (g == ng) {
			base[ng] = h & ~63UL;
			mask[ng++] = 0;
		}
		mask[g] |= 1UL << (h & 63);
	}
	err = 0;
	for (g = 0; g < ng; g++)
		if ((e = fn(mask[g], base[g], arg)) != 0)
			err = e;
	return (err);
}

static long
ipi_group(unsigned long mask, unsigned long base, void *arg)
{

	(void)arg;
	return (sbi_send_ipi(mask, base));
}

/* Send a software interrupt to the cpus in the mask (never to self). */
void
riscv_ipi_cpus(unsigned long cpus)
{

	cpus &= ~(1UL << md_cpuid());
	if (cpus != 0)
		(void)for_cpus(cpus, ipi_group, NULL);
}

void
riscv_ipi_others(void)
{

	riscv_ipi_cpus(atomic_load(&running_mask));
}

u_int
riscv_ncpus_running(void)
{

	return (atomic_load(&riscv_nrunning));
}

/*
 * Sleep (wfi) until *p != v.  Whoever changes *p must do so with a
 * sequentially consistent store and then call md_smp_notify(waiters).
 */
void
md_smp_wait(atomic_uint *p, u_int v, atomic_ulong *waiters)
{
	unsigned long bit;

	if (atomic_load(p) != v)
		return;
	bit = 1UL << md_cpuid();
	csr_set(sie, SIE_SSIE);
	atomic_fetch_or(waiters, bit);
	while (atomic_load(p) == v) {
		__asm__ volatile("wfi");
		csr_clear(sip, SIP_SSIP);
	}
	atomic_fetch_and(waiters, ~bit);
}

void
md_smp_notify(atomic_ulong *waiters)
{
	unsigned long m;

	m = atomic_load(waiters);
	if (m != 0)
		riscv_ipi_cpus(m);
}

/* -------------------------------------------------- TLB shootdown */

struct sfence_range {
	unsigned long	start;
	unsigned long	size;
};

static long
sfence_group(unsigned long mask, unsigned long base, void *arg)
{
	struct sfence_range *r = arg;

	return (sbi_remote_sfence_vma(mask, base, r->start, r->size));
}

/*
 * riscv_shootdown with at least one other hart running: send the RFENCEs.
 */
static void __attribute__((__noinline__))
riscv_shootdown_others(vm_offset_t sva, vm_offset_t eva, unsigned long cpus)
{
	struct sfence_range r;
	long err;

	if (eva <= sva || eva - sva > SMP_SHOOTDOWN_PAGES * PAGE_SIZE) {
		r.start = 0;
		r.size = ~0UL;
	} else {
		r.start = trunc_page(sva);
		r.size = round_page(eva) - r.start;
	}
	/*
	 * One sender at a time.  When every hart sends RFENCEs at once,
	 * OpenSBI can livelock (harts keep servicing each other's fence
	 * requests in M-mode and none completes its own; seen here with 4
	 * harts, and reported upstream as OpenSBI issue 402).  Waiting for
	 * this lock spins in S-mode, where M-mode IPIs are still taken, so
	 * the sender's targets always make progress.
	 */
	kmem_spin_lock(&shootdown_lock);
	err = for_cpus(cpus, sfence_group, &r);
	kmem_spin_unlock(&shootdown_lock);
	kmem_report_note_shootdown();
	if (err != 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "riscv_shootdown: SBI remote "
		    "sfence.vma of [0x%lx, 0x%lx) for cpus 0x%lx failed (%ld)",
		    (unsigned long)sva, (unsigned long)eva, cpus, err);
		md_panic(msg);
	}
}

/* Harts running kmem code now: running and not idle in kmem_smp_idle. */
u_int
md_ncpus_running(void)
{

	return (kmem_ncpus_running());
}

/*
 * Make every other running hart drop its translations of [sva, eva).
 * OpenSBI returns once every target hart has executed the fence (its
 * RFENCE waits for the targets' acknowledgements), which is what a caller
 * about to reuse a page needs.  A large or empty-looking range becomes a
 * full flush: start 0 and size 2^XLEN-1 mean "all addresses" in the SBI
 * spec.  Any running hart may call this, with or without locks held; the
 * target harts need not have interrupts enabled (M-mode does the work).
 *
 * With one hart running (the caller: only running harts run kmem code)
 * there is nobody to tell: one fence, one load, one branch.  The fence
 * orders the caller's PTE stores before that load; a hart that starts
 * running sets others_running (sequentially consistent) and only then
 * executes sfence.vma and walks the tables, so either this load sees it
 * or its walks see the new PTEs.  The flag is never cleared.
 */
void
riscv_shootdown(vm_offset_t sva, vm_offset_t eva)
{
	unsigned long cpus;

	atomic_thread_fence(memory_order_seq_cst);
	if (__builtin_expect(!atomic_load_explicit(&others_running,
	    memory_order_relaxed), 1))
		return;
	/* Idle harts flush everything before they run work again. */
	cpus = atomic_load(&running_mask) & ~atomic_load(&idle_mask) &
	    ~(1UL << kmem_cpuid());
	if (cpus != 0)
		riscv_shootdown_others(sva, eva, cpus);
}

/* ----------------------------------------------------- the hart API */

bool
md_smp_running(u_int cpuid)
{

	return (cpuid < MAXCPU &&
	    (atomic_load(&running_mask) & (1UL << cpuid)) != 0);
}

u_int
kmem_smp_ncpus(void)
{

	return (atomic_load(&riscv_nrunning));
}

/*
 * While idle a hart touches nothing but the image, so shootdowns skip it;
 * it flushes its whole TLB before it runs work.  A sender that read the
 * idle bit before it was cleared had stored its PTEs before that (both
 * sequentially consistent), so the sfence.vma drops anything stale.  The
 * stack canary is checked after each piece of work on harts whose stack
 * kmem gave them.
 */
void
md_smp_idle(u_int cpu, bool idle)
{

	if (!idle) {
		atomic_fetch_sub(&riscv_nidle, 1);
		atomic_fetch_and(&idle_mask, ~(1UL << cpu));
		__asm__ volatile("sfence.vma" ::: "memory");
		return;
	}
	if (smp_stack_bottom[cpu] != NULL &&
	    *smp_stack_bottom[cpu] != SMP_STACK_CANARY) {
		char msg[96];

		snprintf(msg, sizeof(msg), "kmem_smp_idle: cpu %u overran its "
		    "%d-byte stack", cpu, KMEM_HART_STACK_SIZE);
		md_panic(msg);
	}
	atomic_fetch_or(&idle_mask, 1UL << cpu);
	atomic_fetch_add(&riscv_nidle, 1);
	md_smp_notify(&up_waiters);
}

/* Mark this hart running; from here on it receives shootdowns. */
static void
smp_mark_running(u_int cpu)
{

	atomic_fetch_or(&running_mask, 1UL << cpu);
	atomic_fetch_add(&riscv_nrunning, 1);
	atomic_store(&others_running, true);
	/* Nothing cached before shootdowns could reach us may survive. */
	__asm__ volatile("sfence.vma" ::: "memory");
}

void
kmem_smp_set_hartid(u_int hartid)
{

	riscv_tls_hartid = hartid;
}

int
kmem_smp_register_hart(void)
{
	static atomic_flag reg_lock = ATOMIC_FLAG_INIT;
	u_int hartid, i;
	int cpu;

	hartid = riscv_tls_hartid;
	while (atomic_flag_test_and_set(&reg_lock))
		md_cpu_relax();
	for (i = 0; i < riscv_ncpus; i++)
		if (riscv_cpu_hartid[i] == hartid)
			break;
	if (i == riscv_ncpus) {
		if (riscv_ncpus >= MAXCPU) {
			cpu = -ENOSPC;
			goto out;
		}
		/* A hart the FDT did not list: it must at least exist. */
		if (sbi_hart_status(hartid) < 0) {
			cpu = -EINVAL;
			goto out;
		}
		riscv_cpu_hartid[i] = hartid;
		riscv_cpu_domain[i] = 0;
		riscv_ncpus++;
	}
	cpu = (int)i;
	riscv_tls_cpuid = i;
	if (!md_smp_running(i))
		smp_mark_running(i);
out:
	atomic_flag_clear(&reg_lock);
	return (cpu);
}

/* ------------------------------------------------------ start-up */

/* C entry of a secondary hart (from kmem_secondary_entry). */
void
smp_secondary_main(unsigned long hartid, struct smp_start *ss)
{
	u_int cpu = ss->ss_cpuid;

	riscv_tls_cpuid = cpu;
	riscv_tls_hartid = (u_int)hartid;
	if (hartid != riscv_cpu_hartid[cpu]) {
		printf("kmem: hart %lu entered as cpu %u (hart %u)\n", hartid,
		    cpu, riscv_cpu_hartid[cpu]);
		md_exit(KMEM_EXIT_PANIC);
	}
	smp_mark_running(cpu);
	kmem_smp_idle();
}

static const struct fdt_cpu *
fdt_cpu_of(uint32_t hartid)
{
	int i;

	for (i = 0; i < riscv_machine.ncpus; i++)
		if (riscv_machine.cpus[i].hartid == hartid)
			return (&riscv_machine.cpus[i]);
	return (NULL);
}

/* Forget cpu i (not started) and renumber the ones after it. */
static void
smp_drop_cpu(u_int i, const char *why, long err)
{
	u_int j;

	printf("kmem: hart %u not started: %s (%ld)\n", riscv_cpu_hartid[i],
	    why, err);
	for (j = i; j + 1 < riscv_ncpus; j++) {
		riscv_cpu_hartid[j] = riscv_cpu_hartid[j + 1];
		riscv_cpu_domain[j] = riscv_cpu_domain[j + 1];
	}
	riscv_ncpus--;
}

static void
sbi_set_timer(uint64_t when)
{

	(void)sbi_call(SBI_EXT_TIME, 0, (long)when, 0, 0, 0, 0, 0);
}

/*
 * Give cpu its stack and TLS block: one allocation from its own domain,
 * the TLS block (a copy of the image's .tdata, then a zeroed .tbss) at
 * the page-aligned bottom, the stack above it with a canary in its lowest
 * word.  The payload's TLS size comes from the linker, so no TLS size is
 * too big; only running out of memory stops start-up, with a panic that
 * says so.  Fills the start block's sp and tp.
 */
static vm_size_t
smp_stack_alloc_size(void)
{

	return (round_page(((LINKER_CONST(__tls_size) + 15) & ~15UL) +
	    KMEM_HART_STACK_SIZE));
}

static void
smp_alloc_stack(u_int cpu, struct smp_start *ss)
{
	vm_size_t size;
	vm_offset_t va;
	char msg[128];

	if (LINKER_CONST(__tls_align) > PAGE_SIZE) {
		snprintf(msg, sizeof(msg), "riscv_smp_start: TLS alignment %lu "
		    "exceeds a page", LINKER_CONST(__tls_align));
		md_panic(msg);
	}
	size = smp_stack_alloc_size();
	va = kmem_malloc_domainset(DOMAINSET_PREF(riscv_cpu_domain[cpu]), size,
	    M_NOWAIT | M_ZERO);
	if (va == 0) {
		snprintf(msg, sizeof(msg), "riscv_smp_start: no memory for cpu "
		    "%u's stack and TLS (%lu bytes)", cpu, size);
		md_panic(msg);
	}
	memcpy((void *)va, __tls_base, LINKER_CONST(__tdata_size));
	smp_stack_bottom[cpu] = (uint64_t *)(va + size - KMEM_HART_STACK_SIZE);
	*smp_stack_bottom[cpu] = SMP_STACK_CANARY;
	ss->ss_tp = va;
	ss->ss_sp = va + size;
}

/*
 * Start every secondary hart boot.c numbered and wait (wfi, with an SBI
 * timer as the deadline) until they run.  A hart that cannot be started
 * is dropped from the numbering; one that was started but never came up
 * keeps its index but is not running (a warning says so).  Boot hart,
 * after kmem_startup(), before main().
 */
void
riscv_smp_start(void)
{
	unsigned long pa;
	const struct fdt_cpu *fc;
	struct smp_start *ss;
	uint64_t satp, deadline;
	u_int i, started;
	long err;

	if (kmem_up & KMEM_UP_PHYSMEM)
		for (i = 0; i < riscv_ncpus; i++)
			riscv_cpu_domain[i] =
			    physmem_domain_of_fdt(riscv_cpu_domain[i]);
	/* Read through volatile: GCC folds a weak const's initializer. */
	if (!*(const volatile bool *)&kmem_smp_autostart || riscv_ncpus <= 1)
		return;
	if (!sbi_probe(SBI_EXT_HSM) || !sbi_probe(SBI_EXT_IPI)) {
		printf("kmem: no SBI HSM/IPI: running on the boot hart only\n");
		riscv_ncpus = 1;
		return;
	}
	/* Paging is on (the stacks are kernel VAs): the kernel's root. */
	satp = pmap_kernel_satp();

	started = 1;
	for (i = 1; i < riscv_ncpus; i++) {
		fc = fdt_cpu_of(riscv_cpu_hartid[i]);
		if (fc != NULL && fc->mmu == FDT_MMU_NONE) {
			smp_drop_cpu(i--, "no MMU", 0);
			continue;
		}
		ss = &smp_start_block[i];
		smp_alloc_stack(i, ss);
		ss->ss_satp = satp;
		ss->ss_entry = (uint64_t)(uintptr_t)smp_secondary_main;
		ss->ss_hartid = riscv_cpu_hartid[i];
		ss->ss_cpuid = i;
		/* The image is identity mapped: these VAs are PAs. */
		pa = (unsigned long)(uintptr_t)ss;
		__asm__ volatile("fence rw, rw" ::: "memory");
		err = sbi_hart_start(riscv_cpu_hartid[i],
		    (unsigned long)(uintptr_t)kmem_secondary_entry, pa);
		if (err != 0) {
			kmem_free(ss->ss_tp, smp_stack_alloc_size());
			smp_stack_bottom[i] = NULL;
			ss->ss_sp = 0;
			smp_drop_cpu(i--, err == SBI_ERR_ALREADY_AVAILABLE ?
			    "already running" : "SBI hart_start failed", err);
			continue;
		}
		started++;
	}

	deadline = md_time() + md_time_freq() * SMP_START_TIMEOUT_MS / 1000;
	csr_set(sie, SIE_SSIE | SIE_STIE);
	sbi_set_timer(deadline);
	atomic_fetch_or(&up_waiters, 1UL << md_cpuid());
	/* Until every started hart takes work (is idle in kmem_smp_idle). */
	while (atomic_load(&riscv_nidle) + 1 < started && md_time() < deadline) {
		__asm__ volatile("wfi");
		csr_clear(sip, SIP_SSIP);
	}
	atomic_fetch_and(&up_waiters, ~(1UL << md_cpuid()));
	sbi_set_timer(~0ULL);
	csr_clear(sie, SIE_STIE);
	if (atomic_load(&riscv_nidle) + 1 < started)
		for (i = 1; i < riscv_ncpus; i++)
			if (!md_smp_running(i))
				printf("kmem: hart %u (cpu %u) did not come up "
				    "within %d ms\n", riscv_cpu_hartid[i], i,
				    SMP_START_TIMEOUT_MS);
}
