/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Several harts: every enabled FDT hart comes up with its own cpu index,
 * hart id, NUMA domain, stack, TLS block and the boot hart's satp; work
 * runs where it is sent; the barrier holds every round; a spinlock keeps
 * a shared counter exact; md_sleep on one hart is woken by md_wakeup on
 * another; TLB shootdowns reach the other harts.
 */
#include <string.h>

#include <kmem.h>
#include <kmem/pmap.h>
#include <kmem/smp.h>
#include <kmem/vmem.h>
#include "smp_scenarios.h"
#include "tap.h"

/*
 * Weak: the pmap is linked in only when start-up uses it; the shootdown
 * test runs when it is up (kmem_up & KMEM_UP_PMAP).
 */
#pragma weak pmap_kenter
#pragma weak pmap_kremove
#pragma weak pmap_remove
#pragma weak kernel_pmap_store

extern struct fdt_machine riscv_machine;

#define csr_read(csr) ({						\
	unsigned long __v;						\
	__asm__ volatile("csrr %0, " #csr : "=r"(__v) :: "memory");	\
	__v;								\
})

struct hart_seen {
	int		calls;		/* times the hart ran whoami */
	u_int		cpuid;
	u_int		hartid;
	int		domain;
	uintptr_t	sp;		/* address of a local */
	uintptr_t	tp;
	unsigned long	satp;
	u_int		tls_seen;	/* own TLS value read back */
};

static struct hart_seen seen[MAXCPU];
static __thread u_int tls_probe;

static void
whoami(void *arg)
{
	struct hart_seen *h;
	u_int cpu;
	int local;

	(void)arg;
	cpu = md_cpuid();
	if (cpu >= MAXCPU)
		return;
	h = &seen[cpu];
	__atomic_fetch_add(&h->calls, 1, __ATOMIC_RELAXED);
	h->cpuid = cpu;
	h->hartid = md_hartid();
	h->domain = md_cpu_domain(cpu);
	h->sp = (uintptr_t)&local;
	__asm__ volatile("mv %0, tp" : "=r"(h->tp));
	h->satp = csr_read(satp);
	tls_probe = 0x1000 + cpu;
	kmem_smp_barrier(&smp_bar);		/* everyone wrote its own TLS */
	h->tls_seen = tls_probe;
}

/* Spinlock increments per hart (QEMU runs the harts one at a time). */
#define INCS 5000

/*
 * --- TLB shootdown ---
 * cpu 0 maps pages, every hart reads them (so its TLB holds the
 * translations), cpu 0 unmaps them, and every other hart's next read must
 * fault: only the shootdown can have dropped its cached translation.
 */
#define SD_PAGES	64
static uint64_t sd_buf[SD_PAGES][PAGE_SIZE / 8]
    __attribute__((aligned(PAGE_SIZE)));
static vm_offset_t sd_va;
static u_int sd_npages;
static atomic_uint sd_read_bad, sd_stale, sd_faults;

static void
sd_check(void *arg)
{
	struct kmem_fault_catch fc;
	volatile uint64_t *volatile p;
	u_int i, cpu;

	(void)arg;
	cpu = md_cpuid();
	if (cpu == 0)
		pmap_kenter(sd_va, (vm_size_t)sd_npages * PAGE_SIZE,
		    (vm_paddr_t)(uintptr_t)sd_buf, VM_MEMATTR_DEFAULT);
	kmem_smp_barrier(&smp_bar);
	for (i = 0; i < sd_npages; i++) {
		p = (volatile uint64_t *)(sd_va + i * PAGE_SIZE);
		if (*p != 0x5d00000000UL + i)
			atomic_fetch_add(&sd_read_bad, 1);
	}
	kmem_smp_barrier(&smp_bar);
	if (cpu == 0) {
		if (sd_npages == 1)
			pmap_kremove(sd_va);
		else
			pmap_remove(kernel_pmap, sd_va,
			    sd_va + (vm_size_t)sd_npages * PAGE_SIZE);
	}
	kmem_smp_barrier(&smp_bar);
	for (i = 0; i < sd_npages && cpu != 0; i++) {
		p = (volatile uint64_t *)(sd_va + i * PAGE_SIZE);
		if (KMEM_FAULT_TRY(&fc)) {
			(void)*p;
			kmem_fault_disarm();
			atomic_fetch_add(&sd_stale, 1);
		} else if (fc.kf_va == (vm_offset_t)p) {
			atomic_fetch_add(&sd_faults, 1);
		}
	}
}

static void
shootdown_test(u_int n, u_int npages, const char *what)
{
	u_int i;
	int rc;

	for (i = 0; i < SD_PAGES; i++)
		sd_buf[i][0] = 0x5d00000000UL + i;
	/* High in KVA, away from what kernel_map hands out first. */
	sd_va = VM_MAX_KERNEL_ADDRESS - (8UL << 20);
	sd_npages = npages;
	atomic_store(&sd_read_bad, 0);
	atomic_store(&sd_stale, 0);
	atomic_store(&sd_faults, 0);
	kmem_barrier_init(&smp_bar, n);
	rc = kmem_smp_run_all(sd_check, NULL);
	ok(rc == 0 && atomic_load(&sd_read_bad) == 0,
	    "%s: every hart reads the %u mapped page(s)", what, npages);
	ok(atomic_load(&sd_stale) == 0 &&
	    atomic_load(&sd_faults) == (n - 1) * npages,
	    "%s: after the unmap every other hart faults (%u faults, %u stale "
	    "reads of %u)", what, atomic_load(&sd_faults),
	    atomic_load(&sd_stale), (n - 1) * npages);
}

/*
 * --- vmem from every hart at once ---
 * One arena over a buffer in the image; each hart allocates (vmem_alloc
 * through the quantum caches for small sizes, vmem_xalloc with random
 * alignment otherwise), stamps every word of what it got with its cpu,
 * slot and a generation, and checks the stamps before freeing: an overlap
 * between two harts' ranges shows up as a foreign stamp.
 */
#define VS_BUF		(512 * 1024)
#define VS_SLOTS	16
#define VS_STEPS	3000
static uint64_t vs_buf[VS_BUF / 8] __attribute__((aligned(4096)));
static struct vmem vs_arena;
static atomic_uint vs_bad, vs_errors, vs_allocs;

static uint64_t
vs_stamp(u_int cpu, u_int slot, u_int gen)
{

	return (0x5a00000000000000UL | (uint64_t)cpu << 40 |
	    (uint64_t)slot << 32 | gen);
}

static void
vs_stress(void *arg)
{
	vmem_addr_t addr[VS_SLOTS];
	vmem_size_t size[VS_SLOTS];
	u_int gen[VS_SLOTS], cpu, i, k, step;
	uint64_t x, *w;
	int err;

	(void)arg;
	cpu = md_cpuid();
	x = 0x9e3779b97f4a7c15UL * (cpu + 1);
	for (i = 0; i < VS_SLOTS; i++)
		size[i] = 0;
	kmem_smp_barrier(&smp_bar);
	for (step = 0; step < VS_STEPS + VS_SLOTS; step++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		i = step < VS_STEPS ? (u_int)(x % VS_SLOTS) : step - VS_STEPS;
		if (size[i] != 0) {
			w = (uint64_t *)(uintptr_t)addr[i];
			for (k = 0; k < size[i] / 8; k++)
				if (w[k] != vs_stamp(cpu, i, gen[i]))
					atomic_fetch_add(&vs_bad, 1);
			if (size[i] <= 128)
				vmem_free(&vs_arena, addr[i], size[i]);
			else
				vmem_xfree(&vs_arena, addr[i], size[i]);
			size[i] = 0;
			continue;
		}
		if (step >= VS_STEPS)
			continue;
		size[i] = 8 * (1 + (x >> 20) % 256);
		if (size[i] <= 128)
			err = vmem_alloc(&vs_arena, size[i], M_NOWAIT |
			    M_BESTFIT, &addr[i]);
		else
			err = vmem_xalloc(&vs_arena, size[i],
			    (vmem_size_t)8 << ((x >> 40) % 4), 0, 0,
			    VMEM_ADDR_MIN, VMEM_ADDR_MAX, M_NOWAIT |
			    ((x >> 50) & 1 ? M_FIRSTFIT : M_BESTFIT), &addr[i]);
		if (err != 0) {
			if (err != ENOMEM)
				atomic_fetch_add(&vs_errors, 1);
			size[i] = 0;
			continue;
		}
		atomic_fetch_add(&vs_allocs, 1);
		if (addr[i] < (vmem_addr_t)(uintptr_t)vs_buf ||
		    addr[i] + size[i] > (vmem_addr_t)(uintptr_t)vs_buf + VS_BUF)
			atomic_fetch_add(&vs_errors, 1);
		gen[i] = step;
		w = (uint64_t *)(uintptr_t)addr[i];
		for (k = 0; k < size[i] / 8; k++)
			w[k] = vs_stamp(cpu, i, gen[i]);
	}
}

int
main(void)
{
	const struct fdt_machine *m = &riscv_machine;
	u_int n, ncpus, i, j, fdt_enabled;
	bool distinct, ids, doms, stacks, tls, satps, once;
	int rc;

	fdt_enabled = 0;
	for (i = 0; i < (u_int)m->ncpus; i++)
		if (m->cpus[i].enabled)
			fdt_enabled++;
	ncpus = md_ncpus();
	n = kmem_smp_ncpus();
	ok(n == ncpus && n == fdt_enabled && n >= 2,
	    "every enabled hart runs kmem: %u running, %u known, %u in the FDT",
	    n, ncpus, fdt_enabled);
	ok(md_cpuid() == 0, "main runs on cpu 0 (hart %u)", md_hartid());
	ok(!md_sleep_would_deadlock(), "sleeping cannot deadlock with %u harts",
	    n);

	/* Identity of every hart. */
	kmem_barrier_init(&smp_bar, n);
	rc = kmem_smp_run_all(whoami, NULL);
	ok(rc == 0, "kmem_smp_run_all runs (%d)", rc);
	once = distinct = ids = doms = stacks = tls = satps = true;
	for (i = 0; i < n; i++) {
		struct hart_seen *h = &seen[i];
		const struct fdt_cpu *fc = NULL;

		if (h->calls != 1 || h->cpuid != i)
			once = false;
		for (j = 0; j < (u_int)m->ncpus; j++)
			if (m->cpus[j].hartid == h->hartid && m->cpus[j].enabled)
				fc = &m->cpus[j];
		if (fc == NULL)
			ids = false;
		else if (h->domain != physmem_domain_of_fdt(fc->domain) ||
		    h->domain != fc->domain)
			doms = false;
		for (j = 0; j < i; j++) {
			if (seen[j].hartid == h->hartid)
				distinct = false;
			if (seen[j].tp == h->tp ||
			    (h->sp > seen[j].sp ? h->sp - seen[j].sp :
			    seen[j].sp - h->sp) < 4096)
				stacks = false;
		}
		if (h->tls_seen != 0x1000 + i)
			tls = false;
		if (h->satp != seen[0].satp)
			satps = false;
		diag("cpu %u: hart %u, domain %d, sp 0x%lx, tp 0x%lx, satp 0x%lx",
		    i, h->hartid, h->domain, (u_long)h->sp, (u_long)h->tp,
		    h->satp);
	}
	ok(once, "fn ran exactly once on each of the %u cpus, each with its "
	    "own index", n);
	ok(distinct, "hart ids are distinct");
	ok(ids, "every hart id is an enabled FDT hart");
	ok(doms, "md_cpu_domain agrees with the harts' numa-node-id");
	ok(stacks, "each hart has its own stack and TLS block");
	ok(tls, "__thread variables are per hart");
	ok(satps, "every hart runs on the boot hart's satp (0x%lx)",
	    seen[0].satp);

	/* kmem_smp_run errors and EBUSY. */
	ok(kmem_smp_run(0, smp_held, NULL) == EINVAL,
	    "running on oneself: EINVAL");
	ok(kmem_smp_run(MAXCPU + 3, smp_held, NULL) == EINVAL,
	    "running on a cpu that does not exist: EINVAL");
	atomic_store(&smp_hold, 1);
	rc = kmem_smp_run(n - 1, smp_held, NULL);
	ok(rc == 0, "kmem_smp_run on cpu %u (%d)", n - 1, rc);
	ok(kmem_smp_run(n - 1, smp_held, NULL) == EBUSY,
	    "a hart running work is EBUSY");
	ok(kmem_smp_run_all(smp_held, NULL) == EBUSY,
	    "kmem_smp_run_all with one hart busy: EBUSY, nothing started");
	atomic_store(&smp_hold, 0);
	kmem_smp_wait(n - 1);
	ok(kmem_smp_run(n - 1, smp_held, NULL) == 0,
	    "the hart takes work again once idle");
	kmem_smp_wait(n - 1);

	smp_check_barrier(n);
	smp_check_spin_counter(n, INCS);
	smp_check_sleep_wakeup(1);

	/* vmem shared by every hart. */
	if (vmem_init(&vs_arena, "smp stress", (vmem_addr_t)(uintptr_t)vs_buf,
	    VS_BUF, 8, 128, M_WAITOK) != NULL) {
		vmem_addr_t all;

		kmem_barrier_init(&smp_bar, n);
		rc = kmem_smp_run_all(vs_stress, NULL);
		ok(rc == 0 && atomic_load(&vs_bad) == 0 &&
		    atomic_load(&vs_errors) == 0,
		    "vmem from %u harts at once: %u allocations, %u foreign "
		    "stamps, %u errors", n, atomic_load(&vs_allocs),
		    atomic_load(&vs_bad), atomic_load(&vs_errors));
		vmem_destroy(&vs_arena);
		ok(vmem_init(&vs_arena, "smp stress 2",
		    (vmem_addr_t)(uintptr_t)vs_buf, VS_BUF, 8, 0, M_WAITOK) !=
		    NULL && vmem_alloc(&vs_arena, VS_BUF, M_NOWAIT | M_BESTFIT,
		    &all) == 0, "everything came back: the arena destroys "
		    "cleanly and a new one hands out the whole buffer");
	} else {
		ok(0, "vmem_init of the stress arena");
	}

	if ((kmem_up & KMEM_UP_PMAP) && pmap_kenter != NULL) {
		shootdown_test(n, 1, "pmap_kremove of one page");
		shootdown_test(n, SD_PAGES, "pmap_remove of 64 pages (full flush)");
	} else {
		ok(0, "the pmap is up, so shootdowns can be tested");
	}
	return (tap_done());
}
