/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_phys_model.h: a reference model of the page allocator, shared by
 * test/host/test_vm_phys.c (random sequences), test/host/test_domainset.c
 * and test/fuzz/fuzz_vm_phys.c (libFuzzer).  It runs on the host twin
 * only: its machines are simulated RAM (host_machine_init, host.h).
 *
 * The model keeps the state of every simulated RAM page: not managed,
 * free, allocated by the test, or allocated at boot (the early allocator).
 * Each step applies one operation to the allocator and to the model and
 * then checks: free counts per domain, vm_phys_check() (lists, structs,
 * coalescing), and for allocations that the pages were free in the model,
 * come from the domain asked for and honour every constraint; a failed
 * allocation must be one the model says cannot be satisfied.  Allocated
 * pages carry a stamp (their PA) that is checked when they are freed, and
 * VM_ALLOC_ZERO pages must read as zero.
 *
 * Include it with _GNU_SOURCE defined (vmm_free_later sleeps with usleep).
 *
 * Machines: host_machine_init() builds simulated RAM; a shape may then
 * rewrite the FDT facts (odd ranges, reserved ranges, domains adjacent
 * without a hole).  RAM is filled with junk before vm_phys_init, which must
 * not depend on zeroed memory.
 */
#ifndef KMEM_TEST_VM_PHYS_MODEL_H
#define KMEM_TEST_VM_PHYS_MODEL_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmem/domainset.h>
#include <kmem/fault.h>
#include <kmem/fdt.h>
#include <kmem/physmem.h>
#include <kmem/vm_page.h>
#include <kmem/vm_param.h>
#include <kmem/vm_phys.h>

#include "host.h"

#define VM_MIB		(1UL << 20)
#define VMM_MAXRUNS	4096

enum { MS_NONE, MS_FREE, MS_ALLOC, MS_BOOT };

struct vmm_run {
	vm_paddr_t	pa;
	u_long		n;
};

struct vmm {
	struct fdt_machine	fm;
	vm_paddr_t		ram_end;
	u_long			npg;		/* pages of simulated RAM */
	uint8_t			*st;		/* MS_* per page */
	int8_t			*dom;		/* domain per page, -1 */
	u_long			nfree[MAXMEMDOM];
	struct vmm_run		runs[VMM_MAXRUNS];
	int			nruns;
	u_long			steps;
	char			err[256];	/* first failure */
	/* Free blocks right after boot, to compare with after free-all. */
	vm_paddr_t		*boot_blocks[MAXMEMDOM][VM_NFREEORDER];
	u_long			boot_nblocks[MAXMEMDOM][VM_NFREEORDER];
	uint64_t		rng;
	/* vm_phys_check() after every step (0), or every full_every steps
	   (fuzzing: the counts are still checked after every step). */
	u_long			full_every;
};

struct vmm_shape {
	const char	*name;
	int		ndomains;
	uint64_t	per_domain;
	uint64_t	hole;
	int		custom;		/* 0: as host_machine_init made it */
};

/*
 * The fuzzer's machines: all five lay their domains out in one 16 MiB
 * buffer (vmm_boot_small), so changing shape costs a boot of vm_phys, not
 * a new machine; 4 096 pages keep the model's scans short.  One domain
 * holds two blocks of the largest order.
 */
#define VMM_SMALL_RAM	(16 * VM_MIB)
static const struct vmm_shape vmm_small_shapes[] = {
	{ "small: 1 domain, 16 MiB", 1, 16 * VM_MIB, 0, 0 },
	{ "small: 2 domains, 6 MiB each, 4 MiB hole", 2, 6 * VM_MIB,
	    4 * VM_MIB, 0 },
	{ "small: 4 domains, 4 MiB each", 4, 4 * VM_MIB, 0, 0 },
	{ "small odd: 3 domains, odd ranges, reserves, adjacent domains", 3,
	    0, 0, 3 },
	{ "small odd: 2 domains, one split in two ranges with a hole", 2,
	    0, 0, 4 },
};
#define VMM_NSMALL	((int)(sizeof(vmm_small_shapes) /		\
	sizeof(vmm_small_shapes[0])))

static const struct vmm_shape vmm_shapes[] = {
	{ "1 domain, 32 MiB", 1, 32 * VM_MIB, 0, 0 },
	{ "2 domains, 16 MiB each, 8 MiB hole", 2, 16 * VM_MIB, 8 * VM_MIB, 0 },
	{ "4 domains, 8 MiB each", 4, 8 * VM_MIB, 0, 0 },
	{ "odd: 3 domains, odd ranges, reserves, adjacent domains", 3,
	    16 * VM_MIB, 0, 1 },
	{ "odd: 2 domains, one split in two ranges with a hole", 2,
	    16 * VM_MIB, 2 * VM_MIB, 2 },
};
#define VMM_NSHAPES	((int)(sizeof(vmm_shapes) / sizeof(vmm_shapes[0])))

static uint64_t
vmm_rand(struct vmm *v)
{

	/* xorshift64* */
	v->rng ^= v->rng >> 12;
	v->rng ^= v->rng << 25;
	v->rng ^= v->rng >> 27;
	return (v->rng * 2685821657736338717ULL);
}

static inline u_long
vmm_pi(const struct vmm *v, vm_paddr_t pa)
{

	return ((u_long)((pa - HOST_RAM_BASE) >> PAGE_SHIFT));
}

#define VMM_FAIL(v, ...) do {						\
	if ((v)->err[0] == '\0')					\
		snprintf((v)->err, sizeof((v)->err), __VA_ARGS__);	\
	return (false);							\
} while (0)

/* Append a RAM range of domain d, or a reserved range, to *m. */
static void
vmm_mem(struct fdt_machine *m, vm_paddr_t base, vm_size_t size, int d)
{

	m->mem[m->nmem].base = base;
	m->mem[m->nmem].size = size;
	m->mem[m->nmem].domain = d;
	m->nmem++;
}

static void
vmm_rsv(struct fdt_machine *m, vm_paddr_t base, vm_size_t size, bool nomap,
    const char *name)
{
	struct fdt_rsv *r = &m->rsv[m->nrsv++];

	r->base = base;
	r->size = size;
	r->nomap = nomap;
	snprintf(r->name, sizeof(r->name), "%s", name);
}

static void
vmm_custom(struct vmm *v, int kind)
{
	struct fdt_machine *m = &v->fm;
	vm_paddr_t b = HOST_RAM_BASE, odd = b + 3 * PAGE_SIZE + 123;

	m->nmem = 0;
	if (kind == 1) {
		/* 3 domains over 48 MiB; domain 0 and 1 touch; odd start. */
		vmm_mem(m, odd, 13 * VM_MIB + 5 * PAGE_SIZE, 0);
		vmm_mem(m, odd + 13 * VM_MIB + 5 * PAGE_SIZE,
		    9 * VM_MIB + 7 * PAGE_SIZE, 1);
		vmm_mem(m, b + 30 * VM_MIB + 17 * PAGE_SIZE,
		    5 * VM_MIB + 3 * PAGE_SIZE, 2);
		vmm_mem(m, b + 40 * VM_MIB, 8 * VM_MIB - PAGE_SIZE, 2);
		m->ndomains = 3;
		m->nrsv = 0;
		vmm_rsv(m, b + 4 * VM_MIB + 100, 3 * PAGE_SIZE, true,
		    "hole-punch");
		vmm_rsv(m, b + 41 * VM_MIB + 5 * PAGE_SIZE, VM_MIB, false,
		    "dma-pool");
	} else if (kind == 2) {
		/* Domain 0: two ranges with a 1 MiB gap; domain 1 after. */
		vmm_mem(m, b, 6 * VM_MIB + 3 * PAGE_SIZE, 0);
		vmm_mem(m, b + 7 * VM_MIB + 3 * PAGE_SIZE,
		    9 * VM_MIB - 3 * PAGE_SIZE, 0);
		vmm_mem(m, b + 18 * VM_MIB, 16 * VM_MIB, 1);
	} else if (kind == 3) {
		/* Kind 1 in 16 MiB: domains 0 and 1 touch, 2 has two ranges. */
		vmm_mem(m, odd, 4 * VM_MIB + 5 * PAGE_SIZE, 0);
		vmm_mem(m, odd + 4 * VM_MIB + 5 * PAGE_SIZE,
		    3 * VM_MIB + 7 * PAGE_SIZE, 1);
		vmm_mem(m, b + 9 * VM_MIB + 17 * PAGE_SIZE,
		    2 * VM_MIB + 3 * PAGE_SIZE, 2);
		vmm_mem(m, b + 12 * VM_MIB, 4 * VM_MIB - PAGE_SIZE, 2);
		m->ndomains = 3;
		m->nrsv = 0;
		vmm_rsv(m, b + 2 * VM_MIB + 100, 3 * PAGE_SIZE, true,
		    "hole-punch");
		vmm_rsv(m, b + 13 * VM_MIB + 5 * PAGE_SIZE, VM_MIB / 2, false,
		    "dma-pool");
	} else if (kind == 4) {
		/* Kind 2 in 16 MiB. */
		vmm_mem(m, b, 3 * VM_MIB + 3 * PAGE_SIZE, 0);
		vmm_mem(m, b + 4 * VM_MIB + 3 * PAGE_SIZE,
		    4 * VM_MIB - 3 * PAGE_SIZE, 0);
		vmm_mem(m, b + 9 * VM_MIB, 7 * VM_MIB, 1);
	}
}

/* Lay out sh's domains over the one-domain machine in *m (no custom). */
static void
vmm_layout(struct fdt_machine *m, const struct vmm_shape *sh)
{
	int d, i;

	m->nmem = sh->ndomains;
	for (d = 0; d < sh->ndomains; d++) {
		m->mem[d].base = HOST_RAM_BASE + (sh->per_domain + sh->hole) *
		    (uint64_t)d;
		m->mem[d].size = sh->per_domain;
		m->mem[d].domain = d;
	}
	m->ndomains = sh->ndomains;
	m->has_distance = sh->ndomains > 1;
	for (i = 0; i < m->ncpus; i++)
		m->cpus[i].domain = i * sh->ndomains / m->ncpus;
}

static void
vmm_set(struct vmm *v, vm_paddr_t pa, u_long n, int st)
{
	u_long i, pi;

	for (i = 0; i < n; i++) {
		pi = vmm_pi(v, pa) + i;
		if (v->st[pi] == MS_FREE && st != MS_FREE)
			v->nfree[v->dom[pi]]--;
		if (v->st[pi] != MS_FREE && st == MS_FREE)
			v->nfree[v->dom[pi]]++;
		v->st[pi] = (uint8_t)st;
	}
}

static void
vmm_stamp(vm_paddr_t pa, u_long n)
{
	u_long i;

	for (i = 0; i < n; i++)
		*(uint64_t *)PHYS_TO_DMAP(pa + ptoa(i)) = pa + ptoa(i);
}

/* Snapshot every domain's free blocks (after draining this hart's cache). */
static void
vmm_blocks(struct vmm *v, vm_paddr_t *out[MAXMEMDOM][VM_NFREEORDER],
    u_long cnt[MAXMEMDOM][VM_NFREEORDER])
{
	u_long n;
	int d, o;

	for (d = 0; d < vm_ndomains; d++)
		for (o = 0; o < VM_NFREEORDER; o++) {
			n = vm_phys_free_blocks(d, o, NULL, 0);
			free(out[d][o]);
			out[d][o] = calloc(n + 1, sizeof(vm_paddr_t));
			cnt[d][o] = vm_phys_free_blocks(d, o, out[d][o], n);
		}
}

static int
vmm_pacmp(const void *a, const void *b)
{
	vm_paddr_t x = *(const vm_paddr_t *)a, y = *(const vm_paddr_t *)b;

	return (x < y ? -1 : x > y);
}

/*
 * Boot shape sh over the machine in *saved (a new one, RAM filled with
 * junk, when fresh): physmem, a few early allocations (as the pmap makes),
 * vm_phys_init.  Returns false with v->err set.
 */
static bool
vmm_boot_on(struct vmm *v, const struct vmm_shape *sh, uint64_t seed,
    const struct host_machine_cfg *cfg, struct fdt_machine *saved,
    bool fresh)
{
	vm_paddr_t pa;
	u_long i, j;
	int e, d, error;

	if (fresh)
		host_machine_init(cfg, saved);
	v->fm = *saved;
	if (cfg->ndomains != sh->ndomains)
		vmm_layout(&v->fm, sh);
	if (sh->custom != 0)
		vmm_custom(v, sh->custom);
	v->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	v->ram_end = HOST_RAM_BASE + (cfg->mem_per_domain + cfg->hole) *
	    (uint64_t)cfg->ndomains - cfg->hole;
	v->npg = (u_long)((v->ram_end - HOST_RAM_BASE) >> PAGE_SHIFT);
	free(v->st);
	free(v->dom);
	v->st = calloc(v->npg, 1);
	v->dom = malloc(v->npg);
	memset(v->dom, -1, v->npg);
	memset(v->nfree, 0, sizeof(v->nfree));
	v->nruns = 0;
	v->err[0] = '\0';

	vm_phys_reset_for_test();
	error = physmem_init(&v->fm, 0, 0, 0, 0, 0, 0);
	if (error != 0)
		VMM_FAIL(v, "physmem_init: %d", error);
	/* Junk everywhere: vm_phys_init must not trust memory contents. */
	for (i = 0; fresh && i < (u_long)physmem.nmanaged; i++) {
		uint64_t *p = (uint64_t *)PHYS_TO_DMAP(physmem.managed[i].start);

		for (j = 0; j < (physmem.managed[i].end -
		    physmem.managed[i].start) / 8; j++)
			p[j] = vmm_rand(v);
	}
	/* Early allocations, as the pmap would make them. */
	for (d = 0; d < physmem.ndomains; d++) {
		(void)physmem_early_alloc(d, 3 * PAGE_SIZE, PAGE_SIZE,
		    "test early");
		(void)physmem_early_alloc(d, PAGE_SIZE, 64 * 1024,
		    "test early aligned");
	}
	error = vm_phys_init();
	if (error != 0)
		VMM_FAIL(v, "vm_phys_init: %d", error);
	domainset_init();
	if (!physmem.early_closed)
		VMM_FAIL(v, "vm_phys_init left the early allocator open");
	for (i = 0; i < (u_long)physmem.nmanaged; i++)
		for (pa = physmem.managed[i].start; pa <
		    physmem.managed[i].end; pa += PAGE_SIZE) {
			v->dom[vmm_pi(v, pa)] =
			    (int8_t)physmem.managed[i].domain;
			vmm_set(v, pa, 1, MS_FREE);
		}
	for (e = 0; e < physmem.nearly; e++)
		vmm_set(v, physmem.early[e].start, atop(physmem.early[e].end -
		    physmem.early[e].start), MS_BOOT);
	vmm_blocks(v, v->boot_blocks, v->boot_nblocks);
	return (true);
}

/*
 * Boot vmm_shapes[s]: a new machine (RAM filled with junk) when the shape
 * changes or for one seed in 16; the same shape again keeps the RAM (and
 * whatever the last run left in it, which is junk too), which is faster.
 */
static __attribute__((__unused__)) bool
vmm_boot(struct vmm *v, int s, uint64_t seed)
{
	static struct fdt_machine saved;
	static int last_shape = -1;
	const struct vmm_shape *sh = &vmm_shapes[s];
	struct host_machine_cfg cfg;
	bool fresh;

	fresh = s != last_shape || seed % 16 == 0;
	last_shape = s;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ndomains = sh->ndomains;
	cfg.mem_per_domain = sh->per_domain;
	cfg.hole = sh->hole;
	cfg.ncpus = 2;
	return (vmm_boot_on(v, sh, seed, &cfg, &saved, fresh));
}

/*
 * Boot vmm_small_shapes[s]: every small shape lays out its domains over
 * one 16 MiB machine made (and filled with junk) once per process.
 */
static __attribute__((__unused__)) bool
vmm_boot_small(struct vmm *v, int s, uint64_t seed)
{
	static struct fdt_machine saved;
	static bool made;
	struct host_machine_cfg cfg;
	bool fresh;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ndomains = 1;
	cfg.mem_per_domain = VMM_SMALL_RAM;
	cfg.ncpus = 2;
	fresh = !made;
	made = true;
	return (vmm_boot_on(v, &vmm_small_shapes[s], seed, &cfg, &saved,
	    fresh));
}

/* Check the allocator against the model (counts + internal check). */
static bool
vmm_check(struct vmm *v)
{
	int d;

	for (d = 0; d < vm_ndomains; d++)
		if (vm_domain_free_count(d) != v->nfree[d])
			VMM_FAIL(v, "step %lu: domain %d has %u free pages, "
			    "model %lu", v->steps, d, vm_domain_free_count(d),
			    v->nfree[d]);
	if ((v->full_every == 0 || v->steps % v->full_every == 0) &&
	    vm_phys_check() != 0)
		VMM_FAIL(v, "step %lu: vm_phys_check failed", v->steps);
	return (true);
}

static const uint64_t vmm_zero_page[PAGE_SIZE / 8];

/* Record a new allocation [pa, pa + n pages). */
static bool
vmm_took(struct vmm *v, vm_page_t m, u_long n, int domain, int req)
{
	vm_paddr_t pa;
	u_long i, pi;
	const uint64_t *p;
	u_long k;

	pa = VM_PAGE_TO_PHYS(m);
	if (PHYS_TO_VM_PAGE(pa) != m)
		VMM_FAIL(v, "PHYS_TO_VM_PAGE(VM_PAGE_TO_PHYS(m)) != m");
	for (i = 0; i < n; i++) {
		pi = vmm_pi(v, pa) + i;
		if (pa + ptoa(i) >= v->ram_end || v->st[pi] != MS_FREE)
			VMM_FAIL(v, "step %lu: page 0x%lx handed out but the "
			    "model has it in state %d", v->steps,
			    (u_long)(pa + ptoa(i)), v->st[pi]);
		if (v->dom[pi] != domain)
			VMM_FAIL(v, "step %lu: page 0x%lx of domain %d for a "
			    "domain-%d request", v->steps,
			    (u_long)(pa + ptoa(i)), v->dom[pi], domain);
		if (vm_page_domain(m + i) != domain ||
		    vm_phys_domain(pa + ptoa(i)) != domain ||
		    VM_PAGE_TO_PHYS(m + i) != pa + ptoa(i))
			VMM_FAIL(v, "step %lu: page 0x%lx: m + i, its domain or "
			    "PA is wrong", v->steps, (u_long)(pa + ptoa(i)));
		if ((req & VM_ALLOC_ZERO) != 0) {
			if (!vm_page_is_zero(m + i))
				VMM_FAIL(v, "VM_ALLOC_ZERO page 0x%lx is not "
				    "marked zero", (u_long)(pa + ptoa(i)));
			p = (const uint64_t *)PHYS_TO_DMAP(pa + ptoa(i));
			if (memcmp(p, vmm_zero_page, PAGE_SIZE) != 0) {
				for (k = 0; p[k] == 0; k++)
					;
				VMM_FAIL(v, "VM_ALLOC_ZERO page 0x%lx word %lu "
				    "is 0x%lx", (u_long)(pa + ptoa(i)), k,
				    (u_long)p[k]);
			}
		}
		if (vm_page_kmem_get(m + i) != 0)
			VMM_FAIL(v, "fresh page 0x%lx has kmem marks",
			    (u_long)(pa + ptoa(i)));
	}
	vmm_set(v, pa, n, MS_ALLOC);
	vmm_stamp(pa, n);
	if (v->nruns < VMM_MAXRUNS) {
		v->runs[v->nruns].pa = pa;
		v->runs[v->nruns].n = n;
		v->nruns++;
		return (true);
	}
	/* No room to remember it: give it back at once. */
	vm_page_free_contig(m, n);
	vmm_set(v, pa, n, MS_FREE);
	return (true);
}

/*
 * Could [low, high) of domain d hold a free run with these constraints?
 * Brute force over the model, one pass over the window: at page i, run is
 * the number of free pages of d ending at i.
 */
static bool
vmm_feasible(struct vmm *v, int d, u_long n, vm_paddr_t low, vm_paddr_t high,
    u_long align, vm_paddr_t boundary)
{
	u_long i, lo, hi, s, run, apg, bpg, base;

	base = atop(HOST_RAM_BASE);
	lo = atop(low) + ((low & PAGE_MASK) != 0);
	hi = atop(high);
	if (lo < base)
		lo = base;
	if (hi > base + v->npg)
		hi = base + v->npg;
	apg = align <= PAGE_SIZE ? 1 : atop(align);
	bpg = atop(boundary);
	for (i = lo, run = 0; i < hi; i++) {
		if (v->st[i - base] != MS_FREE || v->dom[i - base] != d) {
			run = 0;
			continue;
		}
		if (++run < n)
			continue;
		s = i + 1 - n;
		if ((s & (apg - 1)) == 0 && (bpg == 0 ||
		    ((s ^ i) & ~(bpg - 1)) == 0))
			return (true);
	}
	return (false);
}

/* Free pages [pa, pa + n) of run r (a prefix, suffix or middle). */
static bool
vmm_give(struct vmm *v, int r, u_long off, u_long n, int how)
{
	struct vmm_run *run = &v->runs[r];
	vm_paddr_t pa;
	vm_page_t m;
	u_long i;

	pa = run->pa + ptoa(off);
	for (i = 0; i < n; i++)
		if (*(uint64_t *)PHYS_TO_DMAP(pa + ptoa(i)) != pa + ptoa(i))
			VMM_FAIL(v, "step %lu: stamp of page 0x%lx changed "
			    "while allocated", v->steps, (u_long)(pa +
			    ptoa(i)));
	m = PHYS_TO_VM_PAGE(pa);
	if (how == 0 || n > 1) {
		/* Scribble so that "known zero" bugs show. */
		for (i = 0; i < n; i++)
			memset((void *)PHYS_TO_DMAP(pa + ptoa(i)), 0x5a, 64);
		if (n == 1)
			vm_page_free(m);
		else
			vm_page_free_contig(m, n);
	} else {
		memset((void *)PHYS_TO_DMAP(pa), 0, PAGE_SIZE);
		vm_page_free_zero(m);
	}
	vmm_set(v, pa, n, MS_FREE);
	/* Split the run record. */
	if (off + n < run->n) {
		if (v->nruns < VMM_MAXRUNS && off != 0) {
			v->runs[v->nruns].pa = run->pa + ptoa(off + n);
			v->runs[v->nruns].n = run->n - off - n;
			v->nruns++;
		} else if (off == 0) {
			run->pa += ptoa(n);
			run->n -= n;
			return (true);
		} else {
			/* No room: free the tail too. */
			vm_page_free_contig(PHYS_TO_VM_PAGE(run->pa +
			    ptoa(off + n)), run->n - off - n);
			vmm_set(v, run->pa + ptoa(off + n), run->n - off - n,
			    MS_FREE);
		}
	}
	if (off == 0) {
		*run = v->runs[--v->nruns];
		return (true);
	}
	run->n = off;
	return (true);
}

/* Random domain, sometimes an invalid one. */
static int
vmm_domain(struct vmm *v, uint64_t x)
{

	if (x % 64 == 0)
		return (x % 128 == 0 ? -1 : vm_ndomains);
	return ((int)(x % (uint64_t)vm_ndomains));
}

/*
 * One random step driven by r (random words).  Returns false on a
 * mismatch (v->err says what).
 */
static __attribute__((__unused__)) bool
vmm_step(struct vmm *v, uint64_t (*r)(void *), void *ra)
{
	vm_page_t m;
	vm_paddr_t low, high, boundary;
	u_long align, n, off;
	uint64_t x;
	int d, op, req, i;

	v->steps++;
	x = r(ra);
	op = (int)(x % 16);
	switch (op) {
	case 0: case 1: case 2: case 3: case 4:	/* single page */
		d = vmm_domain(v, x >> 8);
		req = VM_ALLOC_NOWAIT | ((x >> 20) % 8 == 0 ? VM_ALLOC_ZERO :
		    0);
		m = vm_page_alloc_noobj_domain(d, req);
		if (d < 0 || d >= vm_ndomains) {
			if (m != NULL)
				VMM_FAIL(v, "page from invalid domain %d", d);
			break;
		}
		if ((m != NULL) != (v->nfree[d] != 0))
			VMM_FAIL(v, "step %lu: single page from domain %d: got "
			    "%p with %lu free in the model", v->steps, d,
			    (void *)m, v->nfree[d]);
		if (m != NULL && !vmm_took(v, m, 1, d, req))
			return (false);
		break;
	case 5: case 6: case 7: {			/* contiguous */
		uint64_t y = r(ra);

		d = vmm_domain(v, x >> 8);
		/* Long runs (costly: each page is checked) now and then. */
		n = (y % 32 == 0) ? 1 + (y >> 5) % (v->npg / 2 < 3000 ?
		    v->npg / 2 : 3000) : 1 + (y >> 5) % 64;
		align = 1UL << (PAGE_SHIFT + (y >> 16) % 12);
		if ((y >> 24) % 8 == 0)
			align = 0;
		boundary = 0;
		if ((y >> 28) % 3 == 0) {
			boundary = 1UL << (PAGE_SHIFT + (y >> 32) % 14);
			while (boundary < ptoa(n))
				boundary <<= 1;
		}
		low = HOST_RAM_BASE;
		high = ~(vm_paddr_t)0;
		if ((y >> 40) % 2 == 0) {
			low = HOST_RAM_BASE + ((r(ra) % (v->npg + 64)) <<
			    PAGE_SHIFT) - 32 * PAGE_SIZE + (y >> 44) % 3;
			high = low + ((1 + r(ra) % (v->npg / 2 + 1)) <<
			    PAGE_SHIFT);
		}
		req = VM_ALLOC_NOWAIT | VM_ALLOC_NORECLAIM |
		    ((y >> 50) % (n > 64 ? 16 : 4) == 0 ? VM_ALLOC_ZERO : 0);
		m = vm_page_alloc_noobj_contig_domain(d, req, n, low, high,
		    align, boundary, VM_MEMATTR_DEFAULT);
		if (d < 0 || d >= vm_ndomains) {
			if (m != NULL)
				VMM_FAIL(v, "run from invalid domain %d", d);
			break;
		}
		/* A run handed out is checked below and in vmm_took. */
		if (m == NULL && vmm_feasible(v, d, n, low, high, align,
		    boundary))
			VMM_FAIL(v, "step %lu: contig domain %d n %lu [0x%lx, "
			    "0x%lx) align 0x%lx boundary 0x%lx: refused, but "
			    "the model has such a run", v->steps, d, n,
			    (u_long)low, (u_long)high, align, (u_long)boundary);
		if (m == NULL)
			break;
		{
			vm_paddr_t pa = VM_PAGE_TO_PHYS(m);
			u_long a = align < PAGE_SIZE ? PAGE_SIZE : align;

			if (pa < low || pa + ptoa(n) > high || (pa & (a - 1))
			    != 0 || (boundary != 0 && ((pa ^ (pa + ptoa(n) -
			    1)) & ~(boundary - 1)) != 0))
				VMM_FAIL(v, "step %lu: run 0x%lx n %lu breaks "
				    "[0x%lx, 0x%lx) align 0x%lx boundary 0x%lx",
				    v->steps, (u_long)pa, n, (u_long)low,
				    (u_long)high, a, (u_long)boundary);
		}
		if (!vmm_took(v, m, n, d, req))
			return (false);
		break;
	}
	case 8: {					/* any domain */
		u_long tot = 0;

		for (i = 0; i < vm_ndomains; i++)
			tot += v->nfree[i];
		m = vm_page_alloc_noobj(VM_ALLOC_NOWAIT);
		if ((m != NULL) != (tot != 0))
			VMM_FAIL(v, "vm_page_alloc_noobj: %p with %lu free",
			    (void *)m, tot);
		if (m != NULL && !vmm_took(v, m, 1, vm_page_domain(m), 0))
			return (false);
		break;
	}
	case 9:						/* drain */
		if ((x >> 8) % 8 == 0)
			(void)vm_page_cache_drain();
		break;
	default:					/* frees */
		if (v->nruns == 0)
			break;
		i = (int)((x >> 8) % (uint64_t)v->nruns);
		n = v->runs[i].n;
		switch ((x >> 24) % 4) {
		case 0:			/* all */
			if (!vmm_give(v, i, 0, n, (int)((x >> 30) % 3)))
				return (false);
			break;
		case 1:			/* one page */
			off = (x >> 32) % n;
			if (!vmm_give(v, i, off, 1, (int)((x >> 30) % 3)))
				return (false);
			break;
		default:		/* a piece */
			off = (x >> 32) % n;
			if (!vmm_give(v, i, off, 1 + (x >> 44) % (n - off), 0))
				return (false);
			break;
		}
		break;
	}
	return (vmm_check(v));
}

/* Free everything the test holds; then the lists must be as at boot. */
static __attribute__((__unused__)) bool
vmm_free_all(struct vmm *v)
{
	vm_paddr_t *now[MAXMEMDOM][VM_NFREEORDER];
	u_long cnt[MAXMEMDOM][VM_NFREEORDER];
	int d, o;
	bool same;

	while (v->nruns > 0)
		if (!vmm_give(v, v->nruns - 1, 0, v->runs[v->nruns - 1].n, 0))
			return (false);
	(void)vm_page_cache_drain();
	if (!vmm_check(v))
		return (false);
	if (vm_phys_check() != 0)
		VMM_FAIL(v, "after freeing everything: vm_phys_check failed");
	memset(now, 0, sizeof(now));
	vmm_blocks(v, now, cnt);
	same = true;
	for (d = 0; d < vm_ndomains; d++)
		for (o = 0; o < VM_NFREEORDER; o++) {
			if (cnt[d][o] != v->boot_nblocks[d][o]) {
				same = false;
				continue;
			}
			qsort(now[d][o], cnt[d][o], sizeof(vm_paddr_t),
			    vmm_pacmp);
			qsort(v->boot_blocks[d][o], cnt[d][o],
			    sizeof(vm_paddr_t), vmm_pacmp);
			if (memcmp(now[d][o], v->boot_blocks[d][o], cnt[d][o] *
			    sizeof(vm_paddr_t)) != 0)
				same = false;
		}
	for (d = 0; d < MAXMEMDOM; d++)
		for (o = 0; o < VM_NFREEORDER; o++)
			free(now[d][o]);
	if (!same)
		VMM_FAIL(v, "after freeing everything the free blocks differ "
		    "from boot");
	return (true);
}

/*
 * Another thread frees page m about 50 ms from now: vmm_free_later starts
 * it and returns once it runs (so a WAITOK allocation made next sleeps,
 * then is woken by that free); vmm_free_later_join waits for it to end.
 */
static vm_page_t vmm_later_page;
static int vmm_later_up;
static pthread_t vmm_later_thread;

static void *
vmm_later_free(void *arg)
{

	(void)arg;
	host_thread_register();
	__atomic_store_n(&vmm_later_up, 1, __ATOMIC_SEQ_CST);
	usleep(50 * 1000);
	vm_page_free(vmm_later_page);
	host_thread_unregister();
	return (NULL);
}

static __attribute__((__unused__)) void
vmm_free_later(vm_page_t m)
{

	vmm_later_page = m;
	vmm_later_up = 0;
	pthread_create(&vmm_later_thread, NULL, vmm_later_free, NULL);
	while (!__atomic_load_n(&vmm_later_up, __ATOMIC_SEQ_CST))
		usleep(1000);
}

static __attribute__((__unused__)) void
vmm_free_later_join(void)
{

	pthread_join(vmm_later_thread, NULL);
}

#endif /* KMEM_TEST_VM_PHYS_MODEL_H */
