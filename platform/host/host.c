/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform/host/host.c: the machine hooks for the host twin (see host.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <kmem/fault.h>
#include <kmem/machine.h>
#include <kmem/physmem.h>
#include <kmem/report.h>
#include <kmem/smp.h>
#include <kmem/spin.h>
#include <kmem/vm_param.h>

#include "host.h"

/* ---------------------------------------------------------------- RAM */

static uint8_t *ram;			/* simulated RAM */
static vm_paddr_t ram_base, ram_end;
static size_t ram_len;
static struct host_machine_cfg cfg;
static int cpu_domain[MAXCPU];

struct devbuf {
	vm_paddr_t	base;
	size_t		len;
	uint8_t		*mem;
};
static struct devbuf devs[2];

void
host_machine_init(const struct host_machine_cfg *c, struct fdt_machine *m)
{
	uint64_t stride;
	int d, i;

	if (c->ndomains < 1 || c->ndomains > MAXMEMDOM || c->ncpus < 1 ||
	    c->ncpus > MAXCPU || (c->mem_per_domain & L2_OFFSET) != 0 ||
	    c->mem_per_domain == 0) {
		fprintf(stderr, "host_machine_init: bad configuration\n");
		exit(2);
	}
	if (ram != NULL)
		munmap(ram, ram_len);
	cfg = *c;
	if (cfg.mmu == 0)
		cfg.mmu = FDT_MMU_SV39;
	stride = c->mem_per_domain + c->hole;
	ram_base = HOST_RAM_BASE;
	ram_end = ram_base + stride * (uint64_t)c->ndomains - c->hole;
	ram_len = ram_end - ram_base;
	/* Lazily backed: untouched simulated RAM costs nothing. */
	ram = mmap(NULL, ram_len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		perror("host_machine_init: mmap");
		exit(2);
	}
	for (i = 0; i < 2; i++) {
		free(devs[i].mem);
		devs[i].base = i == 0 ? HOST_UART_BASE : HOST_TEST_BASE;
		devs[i].len = PAGE_SIZE;
		devs[i].mem = calloc(1, PAGE_SIZE);
	}
	dmap_phys_base = ram_base;
	dmap_phys_max = ram_end;
	dmap_va_base = (vm_offset_t)ram;

	memset(m, 0, sizeof(*m));
	snprintf(m->model, sizeof(m->model), "kmem host twin");
	m->totalsize = 0;
	m->nmem = c->ndomains;
	for (d = 0; d < c->ndomains; d++) {
		m->mem[d].base = ram_base + stride * (uint64_t)d;
		m->mem[d].size = c->mem_per_domain;
		m->mem[d].domain = d;
	}
	m->ncpus = c->ncpus;
	for (i = 0; i < c->ncpus; i++) {
		/* Hart ids deliberately not equal to the cpu index. */
		m->cpus[i].hartid = (uint32_t)(i + 3);
		m->cpus[i].domain = i * c->ndomains / c->ncpus;
		m->cpus[i].enabled = true;
		m->cpus[i].isa = c->isa;
		m->cpus[i].mmu = cfg.mmu;
		cpu_domain[i] = m->cpus[i].domain;
	}
	m->ndevs = 2;
	m->devs[0].base = HOST_UART_BASE;
	m->devs[0].size = PAGE_SIZE;
	snprintf(m->devs[0].compatible, sizeof(m->devs[0].compatible),
	    "ns16550a");
	m->devs[1].base = HOST_TEST_BASE;
	m->devs[1].size = PAGE_SIZE;
	snprintf(m->devs[1].compatible, sizeof(m->devs[1].compatible),
	    "sifive,test1");
	m->ndomains = c->ndomains;
	m->has_distance = c->ndomains > 1;
	for (d = 0; d < MAXMEMDOM; d++)
		for (i = 0; i < MAXMEMDOM; i++)
			m->distance[d][i] = d == i ? 10 : 20;
	m->isa = c->isa;
	m->mmu = cfg.mmu;
	m->timebase_frequency = 10000000;
}

vm_offset_t
md_dmap_va(vm_offset_t dmap_min)
{

	(void)dmap_min;
	return ((vm_offset_t)ram);
}

void *
host_phys_ptr(vm_paddr_t pa, size_t len)
{
	int i;

	if (ram != NULL && pa >= ram_base && pa < ram_end &&
	    len <= ram_end - pa)
		return (ram + (pa - ram_base));
	for (i = 0; i < 2; i++)
		if (devs[i].mem != NULL && pa >= devs[i].base &&
		    pa < devs[i].base + devs[i].len &&
		    len <= devs[i].base + devs[i].len - pa)
			return (devs[i].mem + (pa - devs[i].base));
	return (NULL);
}

/* -------------------------------------------------------------- harts */

static atomic_uint next_cpu;
static atomic_int live_threads;
static atomic_bool cpu_live[MAXCPU];	/* registered and not gone */
static __thread int my_cpu = -1;

u_int
host_thread_register(void)
{

	if (my_cpu < 0) {
		my_cpu = (int)atomic_fetch_add(&next_cpu, 1);
		if (my_cpu >= MAXCPU) {
			fprintf(stderr, "host: more than %d harts\n", MAXCPU);
			abort();
		}
		atomic_fetch_add(&live_threads, 1);
		atomic_store(&cpu_live[my_cpu], true);
	}
	return ((u_int)my_cpu);
}

void
host_thread_unregister(void)
{

	if (my_cpu >= 0) {
		atomic_store(&cpu_live[my_cpu], false);
		atomic_fetch_sub(&live_threads, 1);
	}
	/* The index is not reused: per-hart caches stay with it. */
	my_cpu = -1;
}

u_int
md_cpuid(void)
{

	if (__predict_false(my_cpu < 0))
		return (host_thread_register());
	return ((u_int)my_cpu);
}

u_int
md_hartid(void)
{

	return (md_cpuid() + 3);
}

u_int
md_ncpus(void)
{
	u_int n;

	n = atomic_load(&next_cpu);
	return (n > (u_int)cfg.ncpus ? n : (u_int)cfg.ncpus);
}

int
md_cpu_domain(u_int cpuid)
{

	if (cpuid < (u_int)cfg.ncpus)
		return (physmem.ndomains > 0 ?
		    physmem_domain_of_fdt(cpu_domain[cpuid]) : cpu_domain[cpuid]);
	return (cfg.ndomains > 0 ? (int)(cpuid % (u_int)cfg.ndomains) : 0);
}

unsigned long
md_intr_disable(void)
{

	return (0);
}

void
md_intr_restore(unsigned long saved)
{

	(void)saved;
}

void
md_cpu_relax(void)
{

	sched_yield();
}

/* ------------------------------------------------------- the hart API */

/*
 * The md_smp_* hooks of src/kmem_smp.c on pthreads.  One mutex and one
 * condition variable: a notifier broadcasts under the mutex after its
 * store, a waiter re-checks under it, so no wakeup is lost.
 * ThreadSanitizer sees each hand-over.
 */
static pthread_mutex_t smp_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t smp_cv = PTHREAD_COND_INITIALIZER;
static pthread_t smp_threads[MAXCPU];
static u_int smp_threadcpu[MAXCPU];
static u_int smp_nthreads;
static u_int smp_nidle;		/* harts idle in kmem_smp_idle (smp_mtx) */

void
md_smp_wait(atomic_uint *p, u_int v, atomic_ulong *waiters)
{

	(void)waiters;
	pthread_mutex_lock(&smp_mtx);
	while (atomic_load(p) == v)
		pthread_cond_wait(&smp_cv, &smp_mtx);
	pthread_mutex_unlock(&smp_mtx);
}

void
md_smp_notify(atomic_ulong *waiters)
{

	(void)waiters;
	pthread_mutex_lock(&smp_mtx);
	pthread_cond_broadcast(&smp_cv);
	pthread_mutex_unlock(&smp_mtx);
}

bool
md_smp_running(u_int cpuid)
{

	return (cpuid < MAXCPU && atomic_load(&cpu_live[cpuid]));
}

void
md_smp_idle(u_int cpuid, bool idle)
{

	(void)cpuid;
	pthread_mutex_lock(&smp_mtx);
	if (idle)
		smp_nidle++;
	else
		smp_nidle--;
	pthread_cond_broadcast(&smp_cv);
	pthread_mutex_unlock(&smp_mtx);
}

u_int
kmem_smp_ncpus(void)
{

	(void)md_cpuid();		/* the caller runs kmem too */
	return ((u_int)atomic_load(&live_threads));
}

void
kmem_smp_set_hartid(u_int hartid)
{

	(void)hartid;
}

int
kmem_smp_register_hart(void)
{

	return ((int)host_thread_register());
}

static void *
smp_thread(void *arg)
{
	u_int *cpu = arg;

	*cpu = (u_int)kmem_smp_register_hart();
	kmem_smp_idle();
}

u_int
host_smp_start(u_int nharts)
{
	u_int i, first;

	(void)md_cpuid();
	first = smp_nthreads;
	for (i = 1; i < nharts && smp_nthreads < MAXCPU - 1; i++) {
		if (pthread_create(&smp_threads[smp_nthreads], NULL,
		    smp_thread, &smp_threadcpu[smp_nthreads]) != 0)
			break;
		smp_nthreads++;
	}
	/* Wait until every new thread takes work. */
	pthread_mutex_lock(&smp_mtx);
	while (smp_nidle < smp_nthreads - first)
		pthread_cond_wait(&smp_cv, &smp_mtx);
	pthread_mutex_unlock(&smp_mtx);
	return (kmem_smp_ncpus());
}

/* Work that ends the thread it runs on (host_smp_stop). */
static void
smp_thread_exit(void *arg)
{

	(void)arg;
	host_thread_unregister();
	pthread_exit(NULL);
}

void
host_smp_stop(void)
{
	u_int i;

	for (i = 0; i < smp_nthreads; i++) {
		while (kmem_smp_run(smp_threadcpu[i], smp_thread_exit, NULL) ==
		    EBUSY)
			kmem_smp_wait(smp_threadcpu[i]);
		pthread_join(smp_threads[i], NULL);
	}
	smp_nthreads = 0;
}

/* ------------------------------------------------------ sleep / wakeup */

#define NSLEEPQ	64
static pthread_mutex_t sleepq_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleepq_cv[NSLEEPQ];
static unsigned long sleepq_gen[NSLEEPQ];
static pthread_once_t sleepq_once = PTHREAD_ONCE_INIT;

static void
sleepq_init(void)
{
	int i;

	for (i = 0; i < NSLEEPQ; i++)
		pthread_cond_init(&sleepq_cv[i], NULL);
}

static u_int
sleepq_hash(const void *chan)
{

	return ((u_int)(((uintptr_t)chan >> 4) * 2654435761u) % NSLEEPQ);
}

void
md_sleep(const void *chan, struct kmem_spin *lock)
{
	unsigned long gen;
	u_int h;

	pthread_once(&sleepq_once, sleepq_init);
	h = sleepq_hash(chan);
	pthread_mutex_lock(&sleepq_mtx);
	gen = sleepq_gen[h];
	kmem_spin_unlock(lock);
	while (sleepq_gen[h] == gen)
		pthread_cond_wait(&sleepq_cv[h], &sleepq_mtx);
	pthread_mutex_unlock(&sleepq_mtx);
	kmem_spin_lock(lock);
}

void
md_wakeup(const void *chan)
{
	u_int h;

	pthread_once(&sleepq_once, sleepq_init);
	h = sleepq_hash(chan);
	pthread_mutex_lock(&sleepq_mtx);
	sleepq_gen[h]++;
	pthread_cond_broadcast(&sleepq_cv[h]);
	pthread_mutex_unlock(&sleepq_mtx);
}

u_int
md_ncpus_running(void)
{
	int n;

	n = atomic_load(&live_threads);
	return (n > 1 ? (u_int)n : 1);
}

bool
md_sleep_would_deadlock(void)
{

	return (atomic_load(&live_threads) <= 1);
}

/* ------------------------------------------------------------- the MMU */

#define PTE_V		0x001UL
#define PTE_R		0x002UL
#define PTE_W		0x004UL
#define PTE_X		0x008UL
#define PTE_U		0x010UL
#define PTE_A		0x040UL
#define PTE_D		0x080UL
#define PTE_PPN_SHIFT	10
#define PTE_PPN_MASK	0x003ffffffffffc00UL
#define PTE_RSVD_MASK	0x1fc0000000000000UL	/* bits 54..60 */
#define PTE_PBMT_SHIFT	61
#define PTE_N		(1UL << 63)

/*
 * Each hart's TLB: 64 direct-mapped entries for 4 KiB leaves (slot: the
 * page number mod 64) and 8 fully associative ones for superpage leaves,
 * filled round-robin, as hardware keeps them apart.  A flush of a few pages
 * looks at their slots and the 8; only a big range scans everything.
 */
#define TLB_ENTRIES	64
#define TLB_BIG		8
struct tlb_entry {
	bool		valid;
	vm_offset_t	leaf_va;	/* the leaf's VA range */
	vm_size_t	leaf_size;
	vm_paddr_t	leaf_pa;	/* where leaf_va goes */
	int		perm;		/* KMEM_ACC_* allowed */
};
struct tlb {
	pthread_mutex_t	mtx;
	_Atomic u_int	nvalid;		/* valid entries: 0 skips a flush */
	u_int		bignext;	/* next big entry to refill */
	struct tlb_entry e[TLB_ENTRIES];
	struct tlb_entry big[TLB_BIG];
};
static struct tlb tlbs[MAXCPU];
static pthread_once_t tlb_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t cur_satp;
static atomic_ulong st_flush_page, st_flush_all, st_shootdown, st_walks;

static void
tlb_init(void)
{
	int i;

	for (i = 0; i < MAXCPU; i++)
		pthread_mutex_init(&tlbs[i].mtx, NULL);
}

static bool
tlb_hit(const struct tlb_entry *e, vm_offset_t va)
{

	return (e->valid && va - e->leaf_va < e->leaf_size);
}

/* Invalidate e if its leaf overlaps [sva, eva).  Called with t->mtx held. */
static void
tlb_drop(struct tlb *t, struct tlb_entry *e, vm_offset_t sva,
    vm_offset_t eva)
{

	if (!e->valid || e->leaf_va >= eva || sva >= e->leaf_va + e->leaf_size)
		return;
	e->valid = false;
	atomic_fetch_sub_explicit(&t->nvalid, 1, memory_order_relaxed);
}

static void
tlb_flush_range(struct tlb *t, vm_offset_t sva, vm_offset_t eva)
{
	vm_offset_t va;
	int i;

	/*
	 * An empty TLB (a hart that has not translated since its last flush,
	 * most of them in a one-thread test) has nothing to drop.  A fill
	 * racing with this flush is no more stale than with the lock taken:
	 * its walk runs unlocked either way.
	 */
	if (atomic_load_explicit(&t->nvalid, memory_order_relaxed) == 0)
		return;
	pthread_mutex_lock(&t->mtx);
	if (eva - sva < TLB_ENTRIES * PAGE_SIZE) {
		for (va = sva; va < eva; va += PAGE_SIZE)
			tlb_drop(t, &t->e[(va >> PAGE_SHIFT) % TLB_ENTRIES],
			    sva, eva);
	} else {
		for (i = 0; i < TLB_ENTRIES; i++)
			tlb_drop(t, &t->e[i], sva, eva);
	}
	for (i = 0; i < TLB_BIG; i++)
		tlb_drop(t, &t->big[i], sva, eva);
	pthread_mutex_unlock(&t->mtx);
}

void
md_tlb_flush_page(vm_offset_t va)
{

	pthread_once(&tlb_once, tlb_init);
	atomic_fetch_add(&st_flush_page, 1);
	tlb_flush_range(&tlbs[md_cpuid()], trunc_page(va),
	    trunc_page(va) + PAGE_SIZE);
}

void
md_tlb_flush_all(void)
{

	pthread_once(&tlb_once, tlb_init);
	atomic_fetch_add(&st_flush_all, 1);
	tlb_flush_range(&tlbs[md_cpuid()], 0, ~0UL);
}

void
md_tlb_shootdown(vm_offset_t sva, vm_offset_t eva)
{
	u_int i, self;

	pthread_once(&tlb_once, tlb_init);
	atomic_fetch_add(&st_shootdown, 1);
	kmem_report_note_shootdown();
	self = md_cpuid();
	for (i = 0; i < MAXCPU; i++)
		if (i != self)
			tlb_flush_range(&tlbs[i], trunc_page(sva),
			    round_page(eva));
}

void
md_pt_barrier(void)
{

	atomic_thread_fence(memory_order_seq_cst);
}

/* A hart that keeps satp's mode Bare whatever is written (tests). */
static bool satp_refused;

void
host_satp_refuse(bool refuse)
{

	satp_refused = refuse;
}

bool
md_satp_write(uint64_t satp)
{
	uint64_t mode;
	u_int i;

	pthread_once(&tlb_once, tlb_init);
	mode = satp >> 60;
	if (mode != 0 && (satp_refused || (mode != 8 &&
	    !(mode == 9 && cfg.mmu >= FDT_MMU_SV48))))
		return (false);
	atomic_store(&cur_satp, satp);
	for (i = 0; i < MAXCPU; i++)
		tlb_flush_range(&tlbs[i], 0, ~0UL);
	return (true);
}

uint64_t
md_satp_read(void)
{

	return (atomic_load(&cur_satp));
}

uint64_t
host_satp(void)
{

	return (atomic_load(&cur_satp));
}

void
host_tlb_stats(struct host_tlb_stats *s)
{

	s->flush_page = atomic_load(&st_flush_page);
	s->flush_all = atomic_load(&st_flush_all);
	s->shootdown = atomic_load(&st_shootdown);
	s->walks = atomic_load(&st_walks);
}

static int
pte_perm(uint64_t pte)
{

	return (((pte & PTE_R) ? KMEM_ACC_READ : 0) |
	    ((pte & PTE_W) ? KMEM_ACC_WRITE : 0) |
	    ((pte & PTE_X) ? KMEM_ACC_EXEC : 0));
}

/* Walk the tables as the privileged spec's translation algorithm does. */
static int
mmu_walk(vm_offset_t va, vm_paddr_t *pa, int *perm, vm_offset_t *leaf_va,
    vm_size_t *leaf_size, const char **why)
{
	uint64_t satp, pte, *p;
	vm_paddr_t table;
	int levels, level, vabits;
	unsigned long top;

	satp = atomic_load(&cur_satp);
	switch (satp >> 60) {
	case 0:
		*why = "paging is off";
		return (-1);
	case 8:
		levels = 3;
		break;
	default:
		levels = 4;
		break;
	}
	vabits = 12 + 9 * levels;
	/* Canonical: bits vabits-1..63 all equal. */
	top = va >> (vabits - 1);
	if (top != 0 && top != (~0UL >> (vabits - 1))) {
		*why = "address not canonical";
		return (-1);
	}
	table = (satp & 0xfffffffffffUL) << PAGE_SHIFT;
	for (level = levels - 1; level >= 0; level--) {
		p = host_phys_ptr(table + ((va >> (12 + 9 * level)) & 511) * 8,
		    8);
		if (p == NULL) {
			*why = "page-table page outside RAM";
			return (-1);
		}
		pte = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		if ((pte & PTE_V) == 0) {
			*why = "no valid PTE";
			return (-1);
		}
		if ((pte & (PTE_R | PTE_W)) == PTE_W) {
			*why = "reserved W-only PTE";
			return (-1);
		}
		if ((pte & PTE_RSVD_MASK) != 0) {
			*why = "reserved PTE bits set";
			return (-1);
		}
		if ((pte >> PTE_PBMT_SHIFT & 3) != 0 &&
		    ((cfg.isa & FDT_ISA_SVPBMT) == 0 ||
		    (pte >> PTE_PBMT_SHIFT & 3) == 3 ||
		    (pte & (PTE_R | PTE_W | PTE_X)) == 0)) {
			*why = "PBMT bits without Svpbmt or in a non-leaf";
			return (-1);
		}
		if ((pte & PTE_N) != 0) {
			*why = "N bit set (Svnapot not simulated)";
			return (-1);
		}
		if ((pte & (PTE_R | PTE_X)) != 0) {
			vm_size_t size = 1UL << (12 + 9 * level);
			vm_paddr_t base = (pte & PTE_PPN_MASK) >>
			    PTE_PPN_SHIFT << PAGE_SHIFT;

			if ((base & (size - 1)) != 0) {
				*why = "misaligned superpage";
				return (-1);
			}
			if ((pte & PTE_U) != 0) {
				*why = "U bit on a kernel access";
				return (-1);
			}
			if ((pte & PTE_A) == 0) {
				*why = "A bit clear (no Svadu)";
				return (-1);
			}
			*perm = pte_perm(pte);
			if ((pte & PTE_D) == 0)
				*perm &= ~KMEM_ACC_WRITE;
			*leaf_va = va & ~(size - 1);
			*leaf_size = size;
			*pa = base + (va & (size - 1));
			return (0);
		}
		if ((pte & (PTE_A | PTE_D | PTE_U)) != 0) {
			*why = "A/D/U bits set in a non-leaf PTE";
			return (-1);
		}
		table = (pte & PTE_PPN_MASK) >> PTE_PPN_SHIFT << PAGE_SHIFT;
	}
	*why = "no leaf at the last level";
	return (-1);
}

int
host_mmu_perm(vm_offset_t va, vm_paddr_t *pa, const char **why)
{
	struct tlb *t;
	struct tlb_entry *e;
	vm_offset_t leaf_va;
	vm_size_t leaf_size;
	vm_paddr_t wpa;
	int i, perm;

	pthread_once(&tlb_once, tlb_init);
	t = &tlbs[md_cpuid()];
	pthread_mutex_lock(&t->mtx);
	e = &t->e[(va >> PAGE_SHIFT) % TLB_ENTRIES];
	for (i = 0; !tlb_hit(e, va) && i < TLB_BIG; i++)
		e = &t->big[i];
	if (tlb_hit(e, va)) {
		perm = e->perm;
		*pa = e->leaf_pa + (va - e->leaf_va);
		pthread_mutex_unlock(&t->mtx);
		return (perm);
	}
	pthread_mutex_unlock(&t->mtx);
	atomic_fetch_add(&st_walks, 1);
	if (mmu_walk(va, &wpa, &perm, &leaf_va, &leaf_size, why) != 0)
		return (-1);
	pthread_mutex_lock(&t->mtx);
	if (leaf_size == PAGE_SIZE)
		e = &t->e[(va >> PAGE_SHIFT) % TLB_ENTRIES];
	else
		e = &t->big[t->bignext++ % TLB_BIG];
	if (!e->valid)
		atomic_fetch_add_explicit(&t->nvalid, 1, memory_order_relaxed);
	e->valid = true;
	e->leaf_va = leaf_va;
	e->leaf_size = leaf_size;
	e->leaf_pa = wpa - (va - leaf_va);
	e->perm = perm;
	pthread_mutex_unlock(&t->mtx);
	*pa = wpa;
	return (perm);
}

int
host_mmu_translate(vm_offset_t va, int access, vm_paddr_t *pa,
    const char **why)
{
	vm_paddr_t wpa;
	int perm;

	perm = host_mmu_perm(va, &wpa, why);
	if (perm < 0)
		return (-1);
	if ((perm & access) != access) {
		*why = access == KMEM_ACC_WRITE ? "write to a page without W "
		    "(or D clear)" : access == KMEM_ACC_EXEC ?
		    "fetch from a page without X" : "read of a page without R";
		return (-1);
	}
	*pa = wpa;
	return (0);
}

static uint8_t *
access_page(vm_offset_t va, int access, size_t len)
{
	const char *why;
	vm_paddr_t pa;
	uint8_t *p;

	for (;;) {
		if (host_mmu_translate(va, access, &pa, &why) == 0)
			break;
		if (kmem_fault_handle(va, access, 0))
			continue;
		kmem_fault_fatal(va, access, 0, why);
	}
	p = host_phys_ptr(pa, len);
	if (p == NULL)
		kmem_fault_fatal(va, access, 0, "access fault: PA not backed");
	return (p);
}

void
host_read(vm_offset_t va, void *buf, size_t len)
{
	size_t n;

	while (len > 0) {
		n = PAGE_SIZE - (va & PAGE_MASK);
		if (n > len)
			n = len;
		memcpy(buf, access_page(va, KMEM_ACC_READ, n), n);
		buf = (uint8_t *)buf + n;
		va += n;
		len -= n;
	}
}

void
host_write(vm_offset_t va, const void *buf, size_t len)
{
	size_t n;

	while (len > 0) {
		n = PAGE_SIZE - (va & PAGE_MASK);
		if (n > len)
			n = len;
		memcpy(access_page(va, KMEM_ACC_WRITE, n), buf, n);
		buf = (const uint8_t *)buf + n;
		va += n;
		len -= n;
	}
}

void
host_fetch(vm_offset_t va)
{

	(void)access_page(va, KMEM_ACC_EXEC, 4);
}

uint64_t
host_load64(vm_offset_t va)
{
	uint64_t v;

	host_read(va, &v, sizeof(v));
	return (v);
}

void
host_store64(vm_offset_t va, uint64_t v)
{

	host_write(va, &v, sizeof(v));
}

uint8_t
host_load8(vm_offset_t va)
{
	uint8_t v;

	host_read(va, &v, 1);
	return (v);
}

void
host_store8(vm_offset_t va, uint8_t v)
{

	host_write(va, &v, 1);
}

/* ------------------------------------------------------ console, exit */

void
md_console_write(const char *buf, size_t len)
{

	/* stdout carries the tests' TAP only. */
	fwrite(buf, 1, len, stderr);
}

/* Standard input stands for the console's input. */
int
md_console_read(void)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	unsigned char c;
	ssize_t n;

	if (poll(&pfd, 1, 0) <= 0)
		return (-1);
	n = read(0, &c, 1);
	if (n == 1)
		return (c);
	return (n == 0 ? MD_CONSOLE_EOF : -1);
}

void
md_panic(const char *msg)
{

	kmem_panic_catch_hook(msg);
	fflush(stdout);
	fprintf(stderr, "panic: %s\n", msg);
	exit(KMEM_EXIT_PANIC);
}

void
md_exit(int code)
{

	fflush(stdout);
	exit(code);
}

uint64_t
md_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

uint64_t
md_time_freq(void)
{

	return (1000000000ULL);
}

uint64_t
md_instret(void)
{

	/* Host figures come from valgrind --tool=callgrind instead. */
	return (0);
}
