/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmap_model.h: a reference model of the kernel pmap over a window of KVA,
 * shared by test/host/test_pmap.c (random sequences) and
 * test/fuzz/fuzz_pmap.c (libFuzzer).  It runs on the host twin only: the
 * translations it checks come from the host's software MMU
 * (host_mmu_translate in platform/host/host.h).
 *
 * Each step applies one operation (pmap_enter at 4 KiB or 2 MiB,
 * pmap_kenter of any size, pmap_qenter, pmap_remove, pmap_protect,
 * pmap_kremove, pmap_qremove) to the pmap and to the model, then checks
 * every page of the window: pmap_kextract, the software MMU's translation
 * for read, write and fetch on this hart (whose TLB only md_tlb_* flush),
 * the leaf's bits (A, D set, U clear, PBMT as asked) and the superpage
 * bookkeeping.
 */
#ifndef KMEM_TEST_PMAP_MODEL_H
#define KMEM_TEST_PMAP_MODEL_H

#include <stdio.h>
#include <string.h>

#include <kmem/fault.h>
#include <kmem/pmap.h>
#include <kmem/vm_page.h>
#include <kmem/vm_param.h>

#include "host.h"
#include "pmap_private.h"

#define PM_SLOTS	4			/* 2 MiB slots in the window */
#define PM_PAGES	(PM_SLOTS * 512)
#define PM_POOL		(16UL << 20)		/* physical pages to map */

struct pm_page {
	vm_paddr_t	pa;
	uint8_t		perm;		/* KMEM_ACC_*; 0 = not mapped */
	uint8_t		attr;		/* VM_MEMATTR_* */
};

struct pm_model {
	vm_offset_t	base;		/* window, 2 MiB aligned, in KVA */
	vm_paddr_t	pool;		/* PM_POOL bytes, 2 MiB aligned */
	bool		svpbmt;
	struct pm_page	p[PM_PAGES];
	char		why[200];	/* first mismatch */
	/*
	 * Pages the last step touched (at most 64, the host TLB's size):
	 * they are translated just before the step (warm(), on every hart
	 * that checks) and checked first after it, so a translation the step
	 * failed to flush is still in the TLB when it is looked at.
	 */
	u_long		ts, te;
	void		(*warm)(struct pm_model *);
	/* Pages the last step changed, the 2 MiB slots changed since the
	   last pm_check_dirty (a bit each), and superpages per slot as last
	   checked. */
	u_long		cs, ce;
	u_int		dirty;
	u_long		sp_slot[PM_SLOTS];
};

/* Fill this hart's TLB with the pages [ts, te) (faults are fine). */
static inline void
pm_warm_here(struct pm_model *pm)
{
	const char *why;
	vm_paddr_t pa;
	u_long i;

	for (i = pm->ts; i < pm->te; i++)
		(void)host_mmu_translate(pm->base + ptoa(i), KMEM_ACC_READ, &pa,
		    &why);
}

static inline void
pm_touch(struct pm_model *pm, u_long s, u_long e)
{

	pm->ts = s;
	pm->te = e - s > 64 ? s + 64 : e;
	pm->cs = s;
	pm->ce = e;
	if (pm->warm != NULL)
		pm->warm(pm);
	else
		pm_warm_here(pm);
}

static inline int
pm_perm(vm_prot_t prot)
{

	return (KMEM_ACC_READ | ((prot & VM_PROT_WRITE) ? KMEM_ACC_WRITE : 0) |
	    ((prot & VM_PROT_EXECUTE) ? KMEM_ACC_EXEC : 0));
}

static inline void
pm_set(struct pm_model *pm, u_long i, vm_paddr_t pa, int perm, int attr)
{

	pm->p[i].pa = pa;
	pm->p[i].perm = (uint8_t)perm;
	pm->p[i].attr = (uint8_t)attr;
}

/* Pick a pool page / 2 MiB chunk from a random number. */
static inline vm_paddr_t
pm_pool_page(struct pm_model *pm, uint32_t r)
{

	return (pm->pool + ptoa(r % (PM_POOL / PAGE_SIZE)));
}

/* One random operation; r() yields random 32-bit numbers. */
static inline void
pm_step(struct pm_model *pm, uint32_t (*r)(void *), void *arg)
{
	vm_page_t ma[16];
	vm_offset_t va;
	vm_paddr_t pa;
	vm_prot_t prot;
	u_long i, s, e, n;
	int op, rv, mode;

	op = (int)(r(arg) % 9);
	switch (op) {
	case 0:		/* pmap_enter, 4 KiB */
	case 8:
		i = r(arg) % PM_PAGES;
		pa = pm_pool_page(pm, r(arg));
		prot = (vm_prot_t)(1 + r(arg) % 7);
		pm_touch(pm, i, i + 1);
		rv = pmap_enter(kernel_pmap, pm->base + ptoa(i),
		    PHYS_TO_VM_PAGE(pa), prot, prot | PMAP_ENTER_WIRED |
		    (op == 8 ? PMAP_ENTER_NOSLEEP : 0), 0);
		if (rv == KERN_SUCCESS)
			pm_set(pm, i, pa, pm_perm(prot), VM_MEMATTR_DEFAULT);
		else
			snprintf(pm->why, sizeof(pm->why), "pmap_enter 4K "
			    "failed: %d", rv);
		break;
	case 1:		/* pmap_enter, 2 MiB */
		s = r(arg) % PM_SLOTS;
		pa = pm->pool + (r(arg) % (PM_POOL / L2_SIZE)) * L2_SIZE;
		prot = (vm_prot_t)(1 + r(arg) % 7);
		pm_touch(pm, s * 512 + r(arg) % 448, s * 512 + 512);
		pm->cs = s * 512;
		rv = pmap_enter(kernel_pmap, pm->base + s * L2_SIZE,
		    PHYS_TO_VM_PAGE(pa), prot, prot | PMAP_ENTER_WIRED, 1);
		if (rv != KERN_SUCCESS) {
			snprintf(pm->why, sizeof(pm->why), "pmap_enter 2M "
			    "failed: %d", rv);
			break;
		}
		for (i = 0; i < 512; i++)
			pm_set(pm, s * 512 + i, pa + ptoa(i), pm_perm(prot),
			    VM_MEMATTR_DEFAULT);
		break;
	case 2:		/* pmap_kenter of a range, often 2 MiB congruent */
		s = r(arg) % PM_PAGES;
		n = 1 + r(arg) % (r(arg) % 2 ? 8 : 1200);
		if (s + n > PM_PAGES)
			n = PM_PAGES - s;
		if (r(arg) % 2)
			pa = pm->pool + (r(arg) % (PM_POOL / L2_SIZE / 2)) *
			    L2_SIZE + (ptoa(s) & L2_OFFSET);
		else
			pa = pm_pool_page(pm, r(arg));
		if (pa + ptoa(n) > pm->pool + PM_POOL)
			pa = pm->pool + PM_POOL - ptoa(n);
		mode = (int)(r(arg) % 3);
		pm_touch(pm, s, s + n);
		pmap_kenter(pm->base + ptoa(s), ptoa(n), pa, mode);
		for (i = 0; i < n; i++)
			pm_set(pm, s + i, pa + ptoa(i), KMEM_ACC_READ |
			    KMEM_ACC_WRITE, mode);
		break;
	case 3:		/* pmap_qenter */
		s = r(arg) % PM_PAGES;
		n = 1 + r(arg) % 16;
		if (s + n > PM_PAGES)
			n = PM_PAGES - s;
		for (i = 0; i < n; i++)
			ma[i] = PHYS_TO_VM_PAGE(pm_pool_page(pm, r(arg)));
		pm_touch(pm, s, s + n);
		pmap_qenter(pm->base + ptoa(s), ma, (int)n);
		for (i = 0; i < n; i++)
			pm_set(pm, s + i, VM_PAGE_TO_PHYS(ma[i]),
			    KMEM_ACC_READ | KMEM_ACC_WRITE, VM_MEMATTR_DEFAULT);
		break;
	case 4:		/* pmap_remove */
	case 5:		/* pmap_protect */
		s = r(arg) % (PM_PAGES + 1);
		e = r(arg) % 4 == 0 ? s + r(arg) % 3 : r(arg) % (PM_PAGES + 1);
		if (e > PM_PAGES)
			e = PM_PAGES;
		if (e < s) {
			n = s;
			s = e;
			e = n;
		}
		prot = (vm_prot_t)(r(arg) % 8);
		pm_touch(pm, e - s > 64 ? s + r(arg) % (e - s - 63) : s, e);
		pm->cs = s;
		if (op == 4)
			pmap_remove(kernel_pmap, pm->base + ptoa(s),
			    pm->base + ptoa(e));
		else
			pmap_protect(kernel_pmap, pm->base + ptoa(s),
			    pm->base + ptoa(e), prot);
		for (i = s; i < e; i++) {
			if (op == 4 || (prot & VM_PROT_READ) == 0)
				pm->p[i].perm = 0;
			else
				pm->p[i].perm &= (uint8_t)pm_perm(prot);
		}
		break;
	case 6:		/* pmap_kremove */
		i = r(arg) % PM_PAGES;
		pm_touch(pm, i, i + 1);
		pmap_kremove(pm->base + ptoa(i));
		pm->p[i].perm = 0;
		break;
	case 7:		/* pmap_qremove */
		s = r(arg) % PM_PAGES;
		n = 1 + r(arg) % 16;
		if (s + n > PM_PAGES)
			n = PM_PAGES - s;
		pm_touch(pm, s, s + n);
		pmap_qremove(pm->base + ptoa(s), (int)n);
		for (i = s; i < s + n; i++)
			pm->p[i].perm = 0;
		break;
	}
	(void)va;
}

/* Check page i against the model on this hart; counts superpages. */
static inline bool
pm_check_page(struct pm_model *pm, u_long i, bool leaves, u_long *sp)
{
	static const int acc[3] = { KMEM_ACC_READ, KMEM_ACC_WRITE,
	    KMEM_ACC_EXEC };
	struct pm_page *p;
	const char *why;
	vm_offset_t va;
	vm_paddr_t pa, got;
	vm_size_t size;
	pt_entry_t pte;
	int a, ok, perm;

	p = &pm->p[i];
	va = pm->base + ptoa(i);
	pa = p->perm != 0 ? p->pa : 0;
	why = "no access";
	perm = host_mmu_perm(va + 8, &got, &why);	/* one walk, 3 answers */
	for (a = 0; a < 3; a++) {
		ok = perm >= 0 && (perm & acc[a]) == acc[a];
		if (ok != ((p->perm & acc[a]) != 0) || (ok && got != pa + 8)) {
			snprintf(pm->why, sizeof(pm->why), "translate(0x%lx, "
			    "acc %d) = %s 0x%lx, model perm %d pa 0x%lx (%s)",
			    va, acc[a], ok ? "ok" : "fault", ok ? (u_long)got :
			    0UL, p->perm, (u_long)pa, ok ? "" : why);
			return (false);
		}
	}
	got = pmap_kextract(va);
	if (got != pa) {
		snprintf(pm->why, sizeof(pm->why), "kextract(0x%lx) = 0x%lx, "
		    "model 0x%lx", va, (u_long)got, (u_long)pa);
		return (false);
	}
	if (!leaves || p->perm == 0)
		return (true);
	pte = pmap_leaf_for_test(va, &size);
	if ((pte & 0x10) != 0 || (pte & 0xc0) != 0xc0 ||
	    (pte >> 61 & 3) != (pm->svpbmt ? p->attr : 0)) {
		snprintf(pm->why, sizeof(pm->why), "leaf of 0x%lx is 0x%lx (U, "
		    "A, D or PBMT wrong; attr %d)", va, (u_long)pte, p->attr);
		return (false);
	}
	if (size == L2_SIZE && (va & L2_OFFSET) == 0)
		(*sp)++;
	return (true);
}

/* Check 2 MiB slot k (leaves, superpages, the KVA shadow). */
static inline bool
pm_check_slot(struct pm_model *pm, u_long k)
{
	u_long i, sp;

	sp = 0;
	for (i = k * 512; i < k * 512 + 512; i++)
		if (!pm_check_page(pm, i, true, &sp))
			return (false);
	pm->sp_slot[k] = sp;
	if (pmap_check_shadow_for_test(pm->base + k * L2_SIZE, pm->base +
	    (k + 1) * L2_SIZE) != 0) {
		snprintf(pm->why, sizeof(pm->why), "the KVA shadow slots "
		    "disagree with the L2 entries of slot %lu", k);
		return (false);
	}
	return (true);
}

/* The superpages of the window (as last checked) against the pmap's. */
static inline bool
pm_check_superpages(struct pm_model *pm)
{
	u_long k, sp;

	for (k = sp = 0; k < PM_SLOTS; k++)
		sp += pm->sp_slot[k];
	if (sp != kernel_pmap->pm_superpages ||
	    kernel_pmap->pm_spare < kernel_pmap->pm_superpages) {
		snprintf(pm->why, sizeof(pm->why), "superpages: %lu in the "
		    "window, pmap counts %lu, spare %lu", sp,
		    kernel_pmap->pm_superpages, kernel_pmap->pm_spare);
		return (false);
	}
	return (true);
}

/*
 * Check the window against the model on this hart: the pages the step
 * touched first (their translations are in this hart's TLB: a missing
 * flush shows here), then every page, the leaf bits and the superpage
 * bookkeeping (leaves: on the hart that made the change).  True when all
 * agree; otherwise pm->why says where it first went wrong.
 */
static inline bool
pm_check(struct pm_model *pm, bool leaves)
{
	u_long i, k, dummy;

	if (pm->why[0] != '\0')
		return (false);
	for (i = pm->ts; i < pm->te; i++)
		if (!pm_check_page(pm, i, false, &dummy))
			return (false);
	if (!leaves) {
		for (i = 0; i < PM_PAGES; i++)
			if (!pm_check_page(pm, i, false, &dummy))
				return (false);
		return (true);
	}
	for (k = 0; k < PM_SLOTS; k++)
		if (!pm_check_slot(pm, k))
			return (false);
	return (pm_check_superpages(pm));
}

/*
 * After a step, on the hart that made it: the pages it touched (through
 * this hart's TLB), the pages it changed with their leaves, and the KVA
 * shadow of their 2 MiB slots, which are marked dirty.  pm_check_dirty
 * then checks every page of the dirty slots and the superpage count (a
 * demotion or promotion stays within its slot).  A fuzzer calls the first
 * after each step and the second once per input: O(changed) per step.
 */
static inline bool
pm_check_changed(struct pm_model *pm)
{
	u_long i, k, dummy;

	if (pm->why[0] != '\0')
		return (false);
	for (i = pm->ts; i < pm->te; i++)
		if (!pm_check_page(pm, i, false, &dummy))
			return (false);
	for (i = pm->cs; i < pm->ce; i++)
		if (!pm_check_page(pm, i, true, &dummy))
			return (false);
	if (pm->ce <= pm->cs)
		return (true);
	for (k = pm->cs / 512; k <= (pm->ce - 1) / 512; k++)
		pm->dirty |= 1U << k;
	if (pmap_check_shadow_for_test(pm->base + rounddown2(ptoa(pm->cs),
	    L2_SIZE), pm->base + roundup2(ptoa(pm->ce), L2_SIZE)) != 0) {
		snprintf(pm->why, sizeof(pm->why), "the KVA shadow slots "
		    "disagree with the L2 entries around pages [%lu, %lu)",
		    pm->cs, pm->ce);
		return (false);
	}
	return (true);
}

/* Check every page of the dirty slots and the superpages; clean them. */
static inline bool
pm_check_dirty(struct pm_model *pm)
{
	u_long k;

	if (pm->why[0] != '\0')
		return (false);
	for (k = 0; k < PM_SLOTS; k++)
		if ((pm->dirty & (1U << k)) != 0 && !pm_check_slot(pm, k))
			return (false);
	pm->dirty = 0;
	return (pm_check_superpages(pm));
}

/* Unmap the whole window and clear the model. */
static inline void
pm_clear(struct pm_model *pm)
{

	pmap_remove(kernel_pmap, pm->base, pm->base + ptoa(PM_PAGES));
	memset(pm->p, 0, sizeof(pm->p));
	pm->why[0] = '\0';
	pm->ts = pm->te = 0;
	pm->cs = pm->ce = 0;
	memset(pm->sp_slot, 0, sizeof(pm->sp_slot));
}

#endif /* KMEM_TEST_PMAP_MODEL_H */
