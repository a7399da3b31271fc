/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmap.c: the kernel page tables (see kmem/pmap.h and doc/pmap.md).
 *
 * Sv39 has three levels of page-table pages, Sv48 four; each page holds
 * 512 64-bit PTEs.  A PTE with V set and R, W and X clear points at the
 * next level; one with R or X set is a leaf, at level 1 a 1 GiB gigapage,
 * at level 2 a 2 MiB superpage, at level 3 a 4 KiB page.  Names follow
 * FreeBSD's riscv pmap: an "L1" table is indexed by VA bits 38..30, "L2"
 * by 29..21, "L3" by 20..12; Sv48 adds an L0 above.
 *
 * The kernel half of the address space (KVA, DMAP, DEVMAP) sits in one L1
 * table, pm_top: in Sv39 it is the root, in Sv48 the root's last entry
 * points at it.  Everything after boot walks from pm_top, so the hot paths
 * are the same for both modes.
 *
 * Page-table pages of the kernel pmap are never freed.  That keeps the
 * lock-free walks (pmap_kextract, the 4 KiB fast paths) safe, needs no
 * shootdown before a table page could be reused, and costs at most one
 * page per 2 MiB of KVA ever mapped.  An L3 page that a new superpage
 * replaces goes to a spare list; the list always holds at least one page
 * per live superpage, so a later demotion (a partial remove or protect)
 * never has to allocate and never fails.
 */
#include <string.h>

#include <kmem/fault.h>
#include <kmem/fdt.h>
#include <kmem/machine.h>
#include <kmem/physmem.h>
#include <kmem/pmap.h>
#include <kmem/startup.h>
#include <kmem/vm_param.h>

/*
 * The pmap sits on the page allocator: after pmap_init its page-table pages
 * come from vm_page (NOWAIT, pmap lock held) and it waits with vm_wait().
 */
#include <kmem/vm_page.h>
#include <kmem/vm_phys.h>

#include "kmem_private.h"
#include "pmap_private.h"

/* PTE bits (privileged spec, Sv39/Sv48). */
#define PTE_V		0x001UL
#define PTE_R		0x002UL
#define PTE_W		0x004UL
#define PTE_X		0x008UL
#define PTE_U		0x010UL
#define PTE_G		0x020UL
#define PTE_A		0x040UL
#define PTE_D		0x080UL
#define PTE_RWX		(PTE_R | PTE_W | PTE_X)
#define PTE_PPN_SHIFT	10
#define PTE_PPN_MASK	0x003ffffffffffc00UL	/* bits 10..53 */
#define PTE_PBMT_SHIFT	61
#define PTE_KERN	(PTE_V | PTE_A | PTE_D | PTE_G)

#define Ln_ENTRIES	512
#define Ln_MASK		(Ln_ENTRIES - 1)
#define L0_SHIFT	39
#define PA_LIMIT	(1UL << 56)		/* Sv39/Sv48 PAs are 56 bits */

#define SATP_MODE_SV39	(8UL << 60)
#define SATP_MODE_SV48	(9UL << 60)

#define KVA_SIZE	(VM_MAX_KERNEL_ADDRESS - VM_MIN_KERNEL_ADDRESS)

#define pl1_index(va)	(((va) >> L1_SHIFT) & Ln_MASK)
#define pl2_index(va)	(((va) >> L2_SHIFT) & Ln_MASK)
#define pl3_index(va)	(((va) >> PAGE_SHIFT) & Ln_MASK)

_Static_assert((VM_MIN_KERNEL_ADDRESS & L1_OFFSET) == 0 &&
    (DMAP_MIN_ADDRESS & L1_OFFSET) == 0 &&
    (DEVMAP_MIN_ADDRESS & L1_OFFSET) == 0,
    "kernel regions start on a 1 GiB boundary");

#ifndef KMEM_PMAP_SV48
#define KMEM_PMAP_SV48 0
#endif

struct pmap kernel_pmap_store = {
	.pm_lock = KMEM_SPIN_INITIALIZER("kernel_pmap"),
};
bool pmap_want_sv48 = KMEM_PMAP_SV48;

static bool pmap_initialized;		/* pmap_init() ran */
static bool pmap_svpbmt;
static pt_entry_t pmap_attr_bits[3];	/* VM_MEMATTR_* -> PBMT bits */
static vm_size_t pmap_dmap_size;	/* RAM extent mapped at DMAP_MIN_ADDRESS */
static vm_offset_t pmap_dmap_delta;	/* PHYS_TO_DMAP(pa) - pa, once paging is on */
/*
 * The KVA's L3 tables as one flat array: slot (va - VM_MIN_KERNEL_ADDRESS)
 * >> 21 holds the DMAP address of the L3 table of that 2 MiB, or NULL when
 * the L2 entry is invalid or a superpage.  It shadows the L2 entries (set
 * wherever they change, under the lock) so that pmap_kextract and the
 * 4 KiB fast paths reach the PTE with two loads.  32768 slots, 256 KiB,
 * from the early allocator.  pmap_kva_l3_bias is the array's address
 * minus the slot offset of VM_MIN_KERNEL_ADDRESS (0 before bootstrap), so
 * a slot is bias + ((va >> 18) & ~7).
 */
#define KVA_SLOTS	(KVA_SIZE >> L2_SHIFT)
static uintptr_t pmap_kva_l3_bias;

_Static_assert(VM_MEMATTR_UNCACHEABLE == 1 && VM_MEMATTR_DEVICE == 2,
    "VM_MEMATTR_* values are Svpbmt's PBMT encodings");

/*
 * Loads of a shadow slot on the lock-free paths.  The table behind it was
 * zeroed and filled before the slot was published (release store); RVWMO
 * orders the dependent loads of its entries after the slot's load, so a
 * plain load suffices on the hart.  ThreadSanitizer does not model address
 * dependencies, so its builds use acquire.
 */
#if defined(__SANITIZE_THREAD__)
#define PMAP_SLOT_ORDER	__ATOMIC_ACQUIRE
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PMAP_SLOT_ORDER	__ATOMIC_ACQUIRE
#endif
#endif
#ifndef PMAP_SLOT_ORDER
#define PMAP_SLOT_ORDER	__ATOMIC_RELAXED
#endif

static inline pt_entry_t **
kva_slot(uintptr_t bias, vm_offset_t va)
{

	return ((pt_entry_t **)(bias + ((va >> (L2_SHIFT - 3)) & ~7UL)));
}

static vm_offset_t img_text[2], img_rodata[2], img_data[2];
/* Runs of pages that are not write-back (see pmap_page_set_memattr). */
static int pmap_attr_nruns;

/* A pending local flush and remote shootdown for one call. */
struct pmap_flush {
	u_int	n;		/* leaves changed */
	bool	shoot;		/* something was unmapped or lost rights */
};

/* ---------------------------------------------------------- helpers */

static inline pt_entry_t
pte_load(const pt_entry_t *p)
{

	return (__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline void
pte_store(pt_entry_t *p, pt_entry_t v)
{

	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Publish a table pointer: the table's contents before the pointer. */
static inline void
pte_store_table(pt_entry_t *p, pt_entry_t v)
{

	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline vm_paddr_t
pte_to_pa(pt_entry_t e)
{

	return (((e & PTE_PPN_MASK) >> PTE_PPN_SHIFT) << PAGE_SHIFT);
}

static inline pt_entry_t
pa_to_pte(vm_paddr_t pa)
{

	return ((pa >> PAGE_SHIFT) << PTE_PPN_SHIFT);
}

static inline pt_entry_t *
pt_ptr(vm_paddr_t pa)
{

	return ((pt_entry_t *)PHYS_TO_DMAP(pa));
}

static inline bool
pte_is_table(pt_entry_t e)
{

	return ((e & (PTE_V | PTE_RWX)) == PTE_V);
}

static inline bool
pte_is_leaf(pt_entry_t e)
{

	return ((e & PTE_V) != 0 && (e & PTE_RWX) != 0);
}

/* The KVA is the 64 GiB at -256 GiB: va >> 36 (arithmetic) is -4 there. */
static inline bool
va_in_kva(vm_offset_t va)
{

	return ((long)va >> 36 == -4);
}
_Static_assert(KVA_SIZE == 1UL << 36 &&
    (long)VM_MIN_KERNEL_ADDRESS >> 36 == -4, "va_in_kva: KVA placement");

/* [sva, eva) non-empty and inside KVA. */
static inline bool
range_in_kva(vm_offset_t sva, vm_offset_t eva)
{

	return (sva < eva && va_in_kva(sva) && eva <= VM_MAX_KERNEL_ADDRESS);
}

/*
 * Kernel leaf bits (V, A, D, G and the permissions) for a prot of 1..7:
 * R always, W and X as asked (so W^X unless both are).  VM_PROT_WRITE and
 * VM_PROT_EXECUTE shifted left by one are PTE_W and PTE_X: one shift, no
 * branch and no table.
 */
#define pmap_prot_pte(prot)						\
	(PTE_KERN | PTE_R | ((pt_entry_t)(prot) << 1))
_Static_assert(VM_PROT_READ << 1 == PTE_R && VM_PROT_WRITE << 1 == PTE_W &&
    VM_PROT_EXECUTE << 1 == PTE_X, "pmap_prot_pte: VM_PROT_* << 1 = PTE_*");

/* pmap_enter flags accepted: the access type byte, NOSLEEP, WIRED. */
#define PMAP_ENTER_FLAGS_OK	(0xffU | PMAP_ENTER_NOSLEEP | PMAP_ENTER_WIRED)

static void
flush_leaf(struct pmap_flush *fl, vm_offset_t va, bool shoot)
{

	if (fl->n < PMAP_TLB_FLUSH_THRESHOLD)
		kmem_tlb_flush_page(va);
	fl->n++;
	if (shoot)
		fl->shoot = true;
}

static void
flush_finish(struct pmap_flush *fl, vm_offset_t sva, vm_offset_t eva)
{

	if (fl->n > PMAP_TLB_FLUSH_THRESHOLD)
		md_tlb_flush_all();
	if (fl->shoot)
		md_tlb_shootdown(sva, eva);
}

/* Domain of a physical address (vm_phys's dense numbers), -1 when not RAM. */
static int
pmap_pa_domain(vm_paddr_t pa)
{
	int i;

	if (pmap_initialized && (i = vm_phys_domain(pa)) >= 0)
		return (i);
	for (i = 0; i < physmem.nram; i++)
		if (pa >= physmem.ram[i].start && pa < physmem.ram[i].end)
			return (physmem.ram[i].domain);
	return (-1);
}

static void
pt_zero(vm_paddr_t pa)
{
	pt_entry_t *p;
	int i;

	p = pt_ptr(pa);
	for (i = 0; i < Ln_ENTRIES; i++)
		pte_store(&p[i], 0);
}

static void
spare_push(pmap_t pmap, vm_paddr_t pa)
{

	*pt_ptr(pa) = pmap->pm_spare_head;
	pmap->pm_spare_head = pa;
	pmap->pm_spare++;
}

static vm_paddr_t
spare_pop(pmap_t pmap)
{
	vm_paddr_t pa;

	pa = pmap->pm_spare_head;
	KMEM_CHECK(pa != 0 && pmap->pm_spare > 0,
	    ("spare_pop: spare list empty (count %lu)", pmap->pm_spare));
	pmap->pm_spare_head = *pt_ptr(pa);
	pmap->pm_spare--;
	return (pa);
}

/*
 * A new zeroed page-table page for memory of domain (-1: any), or 0.
 * Spare pages beyond those promised to live superpages come first.  Before
 * pmap_init, the early allocator; afterwards the page allocator, NOWAIT
 * (pmap lock held), preferred domain first.  Never sleeps.
 */
static vm_paddr_t
pt_alloc(pmap_t pmap, int domain)
{
	vm_paddr_t pa;

	if (pmap->pm_spare > pmap->pm_superpages) {
		pa = spare_pop(pmap);
		pt_zero(pa);
		return (pa);
	}
	pa = 0;
	if (!pmap_initialized) {
		if (domain >= 0)
			pa = physmem_early_alloc(domain, PAGE_SIZE, PAGE_SIZE,
			    "page tables");
		if (pa == 0)
			pa = physmem_early_alloc(-1, PAGE_SIZE, PAGE_SIZE,
			    "page tables");
		if (pa != 0)
			pt_zero(pa);
	} else {
		vm_page_t m;
		int d;

		m = NULL;
		if (domain >= 0 && domain < vm_ndomains)
			m = vm_page_alloc_noobj_domain(domain, VM_ALLOC_NOWAIT |
			    VM_ALLOC_ZERO | VM_ALLOC_WIRED);
		for (d = 0; m == NULL && d < vm_ndomains; d++)
			if (d != domain)
				m = vm_page_alloc_noobj_domain(d,
				    VM_ALLOC_NOWAIT | VM_ALLOC_ZERO |
				    VM_ALLOC_WIRED);
		if (m != NULL)
			pa = VM_PAGE_TO_PHYS(m);
	}
	if (pa == 0) {
		pmap->pm_ptalloc_fail++;
		return (0);
	}
	pmap->pm_ptpages++;
	return (pa);
}

/*
 * Make sure the spare list can back one more superpage.  False when no
 * page could be had.  pmap locked.
 */
static bool
spare_reserve(pmap_t pmap, int domain)
{
	vm_paddr_t pa;

	if (pmap->pm_spare > pmap->pm_superpages)
		return (true);
	/* No surplus, so pt_alloc takes a new page. */
	pa = pt_alloc(pmap, domain);
	if (pa == 0)
		return (false);
	spare_push(pmap, pa);
	return (true);
}

/* ------------------------------------------------------------ walks */

/*
 * The lock-free L3 lookup, the one every 4 KiB fast path (pmap_enter,
 * pmap_kenter, pmap_remove, pmap_kremove, pmap_kextract) uses: the L3 PTE
 * of va through its shadow slot, two loads.  NULL when va is not in the
 * KVA, before pmap_bootstrap, or when va's L2 entry is invalid or a
 * superpage (the slot is NULL then).  No lock: page-table pages of the
 * kernel pmap are never freed, and the caller owns va.
 */
static inline pt_entry_t *
pmap_kva_pte(vm_offset_t va)
{
	pt_entry_t *t;
	uintptr_t b;

	b = pmap_kva_l3_bias;
	if (__predict_false(!va_in_kva(va) || b == 0))
		return (NULL);
	t = __atomic_load_n(kva_slot(b, va), PMAP_SLOT_ORDER);
	if (__predict_false(t == NULL))
		return (NULL);
	return (&t[pl3_index(va)]);
}

/*
 * Replace the 4 KiB leaf *l3p of va by newpte (0 unmaps): flush va's TLB
 * entry on this hart and, when a valid mapping was replaced and @sync, on
 * every hart.  No lock (the caller owns va).  The shootdown, the one
 * call, comes last so that it is a tail call and the fast paths need no
 * stack frame.
 */
static inline void
kva_pte_replace(pt_entry_t *l3p, vm_offset_t va, pt_entry_t newpte,
    bool sync)
{
	pt_entry_t old;

	old = pte_load(l3p);
	if (old == newpte)
		return;
	pte_store(l3p, newpte);
	kmem_tlb_flush_page(va);
	if ((old & PTE_V) != 0 && sync)
		kmem_tlb_shootdown(va, va + PAGE_SIZE);
}

/* Point va's shadow slot at the L3 table at pa (0: none).  pmap locked. */
static inline void
kva_shadow_set(vm_offset_t va, vm_paddr_t pa)
{

	if (pmap_kva_l3_bias != 0 && va_in_kva(va))
		__atomic_store_n(kva_slot(pmap_kva_l3_bias, va), pa == 0 ?
		    NULL : pt_ptr(pa), __ATOMIC_RELEASE);
}

/*
 * Link a new page-table page (of domain) into the empty entry *p.  Its
 * table PTE, or 0 when no page could be had.  pmap locked.
 */
static pt_entry_t
pt_link(pmap_t pmap, pt_entry_t *p, int domain)
{
	vm_paddr_t pa;
	pt_entry_t e;

	pa = pt_alloc(pmap, domain);
	if (pa == 0)
		return (0);
	e = pa_to_pte(pa) | PTE_V;
	pte_store_table(p, e);
	return (e);
}

/*
 * The L2 entry of va (kernel half, not the DMAP), creating the L2 table
 * when it is missing.  NULL when it could not be made.  pmap locked (a
 * panic drops the lock first).
 */
static pt_entry_t *
pmap_l2_get(pmap_t pmap, vm_offset_t va, int domain)
{
	pt_entry_t e, *l1p;

	if (__predict_false(pmap->pm_top_va == NULL)) {
		kmem_spin_unlock(&pmap->pm_lock);
		panic("pmap: va 0x%lx changed before pmap_bootstrap", va);
	}
	l1p = &pmap->pm_top_va[pl1_index(va)];
	e = pte_load(l1p);
	if (!pte_is_table(e)) {
		if ((e & PTE_V) != 0) {
			kmem_spin_unlock(&pmap->pm_lock);
			panic("pmap_l2_get: 1 GiB leaf 0x%lx covers va 0x%lx "
			    "outside the DMAP", (unsigned long)e, va);
		}
		if ((e = pt_link(pmap, l1p, domain)) == 0)
			return (NULL);
	}
	return (&pt_ptr(pte_to_pa(e))[pl2_index(va)]);
}

/*
 * Replace the 2 MiB leaf at *l2p (covering va) by an L3 table that maps
 * the same 512 pages the same way.  Takes a spare page, so it cannot fail.
 * The translation does not change, so no flush is needed here: whoever
 * then changes a 4 KiB entry flushes that VA, which also drops any TLB
 * entry of the old superpage that covers it.  pmap locked.
 */
static void
pmap_demote_l2(pmap_t pmap, pt_entry_t *l2p, vm_offset_t va)
{
	pt_entry_t e, bits, *l3;
	vm_paddr_t pa, ptpa;
	int i;

	e = pte_load(l2p);
	KMEM_CHECK(pte_is_leaf(e) && pmap->pm_superpages > 0,
	    ("pmap_demote_l2: no superpage at va 0x%lx (pte 0x%lx)", va,
	    (unsigned long)e));
	ptpa = spare_pop(pmap);
	pmap->pm_superpages--;
	pmap->pm_demotions++;
	l3 = pt_ptr(ptpa);
	pa = pte_to_pa(e);
	bits = e & ~PTE_PPN_MASK;
	for (i = 0; i < Ln_ENTRIES; i++)
		pte_store(&l3[i], pa_to_pte(pa + ptoa(i)) | bits);
	pte_store_table(l2p, pa_to_pte(ptpa) | PTE_V);
	kva_shadow_set(va, ptpa);
}

/*
 * The L3 PTE of va, creating tables and demoting a superpage in the way.
 * NULL when a table is missing and could not be made.  pmap locked.
 */
static pt_entry_t *
pmap_l3_get(pmap_t pmap, vm_offset_t va, int domain)
{
	pt_entry_t e, *l2p;

	l2p = pmap_l2_get(pmap, va, domain);
	if (l2p == NULL)
		return (NULL);
	e = pte_load(l2p);
	if (pte_is_leaf(e)) {
		pmap_demote_l2(pmap, l2p, va);
		e = pte_load(l2p);
	} else if ((e & PTE_V) == 0) {
		if ((e = pt_link(pmap, l2p, domain)) == 0)
			return (NULL);
		kva_shadow_set(va, pte_to_pa(e));
	}
	return (&pt_ptr(pte_to_pa(e))[pl3_index(va)]);
}

/* ---------------------------------------------------- entering pages */

/*
 * Map one 4 KiB page: newpte at va.  pmap locked.  KERN_SUCCESS or
 * KERN_RESOURCE_SHORTAGE (nothing changed).
 */
static int
pmap_enter_l3_locked(pmap_t pmap, vm_offset_t va, pt_entry_t newpte,
    int domain, struct pmap_flush *fl)
{
	pt_entry_t old, *l3p;

	l3p = pmap_l3_get(pmap, va, domain);
	if (l3p == NULL)
		return (KERN_RESOURCE_SHORTAGE);
	old = pte_load(l3p);
	if (old == newpte)
		return (KERN_SUCCESS);
	pte_store(l3p, newpte);
	flush_leaf(fl, va, (old & PTE_V) != 0);
	return (KERN_SUCCESS);
}

/*
 * Map one 2 MiB superpage: newpte (a leaf for a 2 MiB aligned PA) at va
 * (2 MiB aligned).  Small mappings in the way are removed; their L3 page
 * joins the spare list only after the full flush that makes sure no hart
 * walks it any more.  pmap locked.  KERN_SUCCESS or KERN_RESOURCE_SHORTAGE
 * (nothing changed).
 */
static int
pmap_enter_l2_locked(pmap_t pmap, vm_offset_t va, pt_entry_t newpte,
    int domain, struct pmap_flush *fl)
{
	pt_entry_t old, e, *l2p, *l3;
	vm_paddr_t l3pa;
	int i;

	l2p = pmap_l2_get(pmap, va, domain);
	if (l2p == NULL)
		return (KERN_RESOURCE_SHORTAGE);
	old = pte_load(l2p);
	if (old == newpte)
		return (KERN_SUCCESS);
	if (pte_is_leaf(old)) {
		/* One superpage replaces another. */
		pte_store(l2p, newpte);
		flush_leaf(fl, va, true);
		return (KERN_SUCCESS);
	}
	if ((old & PTE_V) == 0) {
		if (!spare_reserve(pmap, domain))
			return (KERN_RESOURCE_SHORTAGE);
		pte_store(l2p, newpte);
		pmap->pm_superpages++;
		flush_leaf(fl, va, false);
		return (KERN_SUCCESS);
	}
	/* An L3 table: drop its mappings, then the table itself. */
	kva_shadow_set(va, 0);
	l3pa = pte_to_pa(old);
	l3 = pt_ptr(l3pa);
	for (i = 0; i < Ln_ENTRIES; i++) {
		e = pte_load(&l3[i]);
		if ((e & PTE_V) != 0) {
			pte_store(&l3[i], 0);
			fl->shoot = true;
		}
	}
	pte_store(l2p, newpte);
	pmap->pm_superpages++;
	/* A non-leaf entry changed: sfence.vma with rs1 = x0 is required. */
	md_tlb_flush_all();
	md_tlb_shootdown(va, va + L2_SIZE);
	spare_push(pmap, l3pa);
	fl->n++;
	return (KERN_SUCCESS);
}

/*
 * Wait for free pages after a failed NOWAIT page-table allocation (pmap
 * lock not held).  False when waiting cannot help: before pmap_init (the
 * early allocator never grows) or when nothing else could free a page.
 */
static bool
pmap_wait_for_pages(void)
{

	if (pmap_initialized && !md_sleep_would_deadlock()) {
		vm_wait();
		return (true);
	}
	return (false);
}


/*
 * pmap_enter's general path: the checks, the lock, page-table allocation,
 * superpages and pages with a memory attribute.
 */
static int __attribute__((__noinline__))
pmap_enter_slow(pmap_t pmap, vm_offset_t va, vm_page_t m, vm_prot_t prot,
    u_int flags, int8_t psind)
{
	struct pmap_flush fl = { 0, false };
	pt_entry_t newpte;
	vm_paddr_t pa;
	vm_memattr_t ma;
	int domain, rv;

	if (pmap != kernel_pmap || m == NULL || (psind != 0 && psind != 1) ||
	    (prot & VM_PROT_ALL) == 0 || (prot & ~VM_PROT_ALL) != 0 ||
	    (flags & ~PMAP_ENTER_FLAGS_OK) != 0)
		return (KERN_INVALID_ARGUMENT);
	if ((va & (psind == 1 ? L2_OFFSET : PAGE_MASK)) != 0 ||
	    !range_in_kva(va, va + (psind == 1 ? L2_SIZE : PAGE_SIZE)))
		return (KERN_INVALID_ADDRESS);
	pa = VM_PAGE_TO_PHYS(m);
	ma = pmap_page_get_memattr(m);
	if ((pa & (psind == 1 ? L2_OFFSET : PAGE_MASK)) != 0 ||
	    pa >= PA_LIMIT || (u_int)ma >= nitems(pmap_attr_bits))
		return (KERN_INVALID_ARGUMENT);
	newpte = pa_to_pte(pa) | pmap_prot_pte(prot) | pmap_attr_bits[ma];
	domain = pmap_pa_domain(pa);
	for (;;) {
		kmem_spin_lock(&pmap->pm_lock);
		if (psind == 1)
			rv = pmap_enter_l2_locked(pmap, va, newpte, domain,
			    &fl);
		else
			rv = pmap_enter_l3_locked(pmap, va, newpte, domain,
			    &fl);
		flush_finish(&fl, va, va + (psind == 1 ? L2_SIZE :
		    PAGE_SIZE));
		kmem_spin_unlock(&pmap->pm_lock);
		if (rv == KERN_SUCCESS || (flags & PMAP_ENTER_NOSLEEP) != 0)
			return (rv);
		if (!pmap_wait_for_pages())
			panic("pmap_enter: no page-table page for va 0x%lx "
			    "and waiting would deadlock", va);
		fl = (struct pmap_flush){ 0, false };
	}
}


/*
 * The fast path is kmem's case: one 4 KiB page of a kernel_pmap KVA page
 * whose L3 table exists, valid prot and flags, no page with a special
 * memory attribute anywhere (so m's is write-back: PBMT 0), and no valid
 * mapping at va yet.  No lock (the caller owns va), one PTE store, one
 * local sfence, no call.  Everything else (replacing a mapping, which
 * needs a shootdown, and bad input) is pmap_enter_slow's.
 */
int
pmap_enter(pmap_t pmap, vm_offset_t va, vm_page_t m, vm_prot_t prot,
    u_int flags, int8_t psind)
{
	pt_entry_t *l3p;
	vm_paddr_t pa;

	if (__predict_true(pmap == kernel_pmap && m != NULL && psind == 0 &&
	    (u_int)prot - 1 < VM_PROT_ALL && (va & PAGE_MASK) == 0 &&
	    (flags & ~PMAP_ENTER_FLAGS_OK) == 0 &&
	    __atomic_load_n(&pmap_attr_nruns, __ATOMIC_RELAXED) == 0 &&
	    (l3p = pmap_kva_pte(va)) != NULL &&
	    (pte_load(l3p) & PTE_V) == 0)) {
		pa = VM_PAGE_TO_PHYS(m);
		if (__predict_true(pa < PA_LIMIT)) {
			kva_pte_replace(l3p, va, pa_to_pte(pa) |
			    pmap_prot_pte(prot), false);
			return (KERN_SUCCESS);
		}
	}
	return (pmap_enter_slow(pmap, va, m, prot, flags, psind));
}

static void pmap_update_range(pmap_t pmap, vm_offset_t sva, vm_offset_t eva,
    pt_entry_t clear, struct pmap_flush *fl);

/*
 * Map [va, va + size) to [pa, pa + size) with leaf bits under the lock,
 * 2 MiB leaves where va, pa and size allow (4 KiB ones when no spare page
 * can back a superpage).  On a page-table page shortage, unmaps what it
 * mapped and returns KERN_RESOURCE_SHORTAGE.
 */
static int
pmap_kenter_locked(pmap_t pmap, vm_offset_t va, vm_size_t size,
    vm_paddr_t pa, pt_entry_t bits, struct pmap_flush *fl)
{
	vm_offset_t start, end;
	int domain;

	domain = pmap_pa_domain(pa);
	start = va;
	end = va + size;
	while (va < end) {
		if (((va | pa) & L2_OFFSET) == 0 && end - va >= L2_SIZE &&
		    pmap_enter_l2_locked(pmap, va, pa_to_pte(pa) | bits,
		    domain, fl) == KERN_SUCCESS) {
			va += L2_SIZE;
			pa += L2_SIZE;
			continue;
		}
		if (pmap_enter_l3_locked(pmap, va, pa_to_pte(pa) | bits,
		    domain, fl) != KERN_SUCCESS) {
			if (va != start)
				pmap_update_range(pmap, start, va,
				    ~(pt_entry_t)0, fl);
			return (KERN_RESOURCE_SHORTAGE);
		}
		va += PAGE_SIZE;
		pa += PAGE_SIZE;
	}
	return (KERN_SUCCESS);
}

static void
pmap_kenter_check(const char *fn, vm_offset_t va, vm_size_t size,
    vm_paddr_t pa, int mode)
{

	if (((va | size | pa) & PAGE_MASK) != 0)
		panic("%s: va 0x%lx, size 0x%lx or pa 0x%lx not page aligned",
		    fn, va, size, (unsigned long)pa);
	if (!range_in_kva(va, va + size))
		panic("%s: range 0x%lx + 0x%lx is not inside the KVA "
		    "[0x%lx, 0x%lx)", fn, va, size, VM_MIN_KERNEL_ADDRESS,
		    VM_MAX_KERNEL_ADDRESS);
	if (pa >= PA_LIMIT || PA_LIMIT - pa < size)
		panic("%s: pa 0x%lx + 0x%lx beyond 56 bits", fn,
		    (unsigned long)pa, size);
	if ((u_int)mode >= nitems(pmap_attr_bits))
		panic("%s: unknown memory attribute %d for va 0x%lx", fn,
		    mode, va);
}

/* pmap_kenter's general path: any size, the checks, the lock. */
static void __attribute__((__noinline__))
pmap_kenter_slow(vm_offset_t va, vm_size_t size, vm_paddr_t pa, int mode)
{
	struct pmap_flush fl = { 0, false };

	if (size == 0)
		return;
	pmap_kenter_check("pmap_kenter", va, size, pa, mode);
	kmem_spin_lock(&kernel_pmap->pm_lock);
	if (pmap_kenter_locked(kernel_pmap, va, size, pa, PTE_KERN | PTE_R |
	    PTE_W | pmap_attr_bits[mode], &fl) != KERN_SUCCESS) {
		flush_finish(&fl, va, va + size);
		kmem_spin_unlock(&kernel_pmap->pm_lock);
		panic("pmap_kenter: no page-table page to map 0x%lx + 0x%lx",
		    va, size);
	}
	flush_finish(&fl, va, va + size);
	kmem_spin_unlock(&kernel_pmap->pm_lock);
}

/*
 * The fast path: one page of ordinary (write-back: PBMT 0) memory in the
 * KVA whose L3 table exists.  No lock (the caller owns va), one PTE store,
 * one local sfence; a shootdown only when a valid mapping was replaced.
 */
void
pmap_kenter(vm_offset_t va, vm_size_t size, vm_paddr_t pa, int mode)
{
	pt_entry_t *l3p;

	if (__predict_true(size == PAGE_SIZE && ((va | pa) & PAGE_MASK) == 0 &&
	    pa < PA_LIMIT && mode == VM_MEMATTR_WRITE_BACK &&
	    (l3p = pmap_kva_pte(va)) != NULL)) {
		kva_pte_replace(l3p, va, pa_to_pte(pa) | PTE_KERN | PTE_R |
		    PTE_W, true);
		return;
	}
	pmap_kenter_slow(va, size, pa, mode);
}

void
pmap_qenter(vm_offset_t va, vm_page_t *ma, int count)
{
	struct pmap_flush fl = { 0, false };
	pt_entry_t newpte, old, *l3p;
	vm_memattr_t attr;
	vm_paddr_t pa;
	vm_offset_t v;
	int i;

	if (count <= 0)
		return;
	if ((va & PAGE_MASK) != 0 || ma == NULL ||
	    (u_long)count > KVA_SIZE / PAGE_SIZE ||
	    !range_in_kva(va, va + ptoa((u_long)count)))
		panic("pmap_qenter: bad range va 0x%lx count %d (pages %p)",
		    va, count, (void *)ma);
	for (i = 0; i < count; i++)
		if (ma[i] == NULL)
			panic("pmap_qenter: NULL page %d for va 0x%lx", i,
			    va + ptoa((u_long)i));
	for (i = 0; i < count; i++) {
		v = va + ptoa((u_long)i);
		pa = VM_PAGE_TO_PHYS(ma[i]);
		attr = pmap_page_get_memattr(ma[i]);
		if ((pa & PAGE_MASK) != 0 || pa >= PA_LIMIT ||
		    (u_int)attr >= nitems(pmap_attr_bits))
			panic("pmap_qenter: page %d (pa 0x%lx, attr %d) cannot "
			    "be mapped at va 0x%lx", i, (unsigned long)pa,
			    attr, v);
		newpte = pa_to_pte(pa) | PTE_KERN | PTE_R | PTE_W |
		    pmap_attr_bits[attr];
		l3p = pmap_kva_pte(v);
		if (__predict_true(l3p != NULL)) {
			old = pte_load(l3p);
			if (old != newpte) {
				pte_store(l3p, newpte);
				flush_leaf(&fl, v, (old & PTE_V) != 0);
			}
			continue;
		}
		kmem_spin_lock(&kernel_pmap->pm_lock);
		if (pmap_enter_l3_locked(kernel_pmap, v, newpte,
		    pmap_pa_domain(pa), &fl) != KERN_SUCCESS) {
			kmem_spin_unlock(&kernel_pmap->pm_lock);
			panic("pmap_qenter: no page-table page for va 0x%lx",
			    v);
		}
		kmem_spin_unlock(&kernel_pmap->pm_lock);
	}
	flush_finish(&fl, va, va + ptoa((u_long)count));
}

/* -------------------------------------------------- removing, protecting */

/*
 * Apply to every leaf in [sva, eva) (kernel half outside the DMAP): clear
 * it (clear == ~0) or take bits clear away from it.  A superpage only
 * partly inside is demoted first.  pmap locked.
 */
static void
pmap_update_range(pmap_t pmap, vm_offset_t sva, vm_offset_t eva,
    pt_entry_t clear, struct pmap_flush *fl)
{
	pt_entry_t e, n, *l2p, *l3p, *l3;
	vm_offset_t va, next;
	bool remove;

	remove = clear == ~(pt_entry_t)0;
	for (va = sva; va < eva; va = next) {
		next = (va + L2_SIZE) & ~L2_OFFSET;
		if (next <= va || next > eva)
			next = eva;
		e = pte_load(&pmap->pm_top_va[pl1_index(va)]);
		if ((e & PTE_V) == 0) {
			next = (va + L1_SIZE) & ~L1_OFFSET;
			if (next <= va || next > eva)
				next = eva;
			continue;
		}
		l2p = pmap_l2_get(pmap, va, -1);	/* L1 valid: no alloc */
		e = pte_load(l2p);
		if ((e & PTE_V) == 0)
			continue;
		if (pte_is_leaf(e)) {
			if ((va & L2_OFFSET) == 0 && next - va == L2_SIZE) {
				n = remove ? 0 : e & ~clear;
				if (n != e) {
					pte_store(l2p, n);
					if (remove)
						pmap->pm_superpages--;
					flush_leaf(fl, va, true);
				}
				continue;
			}
			if (!remove && (e & clear) == 0)
				continue;	/* nothing to take away */
			pmap_demote_l2(pmap, l2p, va);
		}
		l3 = pt_ptr(pte_to_pa(pte_load(l2p)));
		for (; va < next; va += PAGE_SIZE) {
			l3p = &l3[pl3_index(va)];
			e = pte_load(l3p);
			if ((e & PTE_V) == 0)
				continue;
			n = remove ? 0 : e & ~clear;
			if (n != e) {
				pte_store(l3p, n);
				flush_leaf(fl, va, true);
			}
		}
	}
}

static void
pmap_range_check(const char *fn, pmap_t pmap, vm_offset_t sva,
    vm_offset_t eva)
{

	if (pmap != kernel_pmap)
		panic("%s: pmap %p is not kernel_pmap (va 0x%lx)", fn,
		    (void *)pmap, sva);
	if (((sva | eva) & PAGE_MASK) != 0)
		panic("%s: range 0x%lx-0x%lx not page aligned", fn, sva, eva);
	if (eva < sva)
		panic("%s: range 0x%lx-0x%lx wraps", fn, sva, eva);
	if (pmap->pm_top_va == NULL)
		panic("%s: range 0x%lx-0x%lx before pmap_bootstrap", fn, sva,
		    eva);
	if (sva != eva && !range_in_kva(sva, eva))
		panic("%s: range 0x%lx-0x%lx is not inside the KVA "
		    "[0x%lx, 0x%lx)", fn, sva, eva, VM_MIN_KERNEL_ADDRESS,
		    VM_MAX_KERNEL_ADDRESS);
}

/* pmap_remove's general path: any range, the checks, the lock. */
static void __attribute__((__noinline__))
pmap_remove_range(pmap_t pmap, vm_offset_t sva, vm_offset_t eva, bool sync)
{
	struct pmap_flush fl = { 0, false };

	pmap_range_check(sync ? "pmap_remove" : "pmap_remove_nosync", pmap, sva,
	    eva);
	if (sva == eva)
		return;
	kmem_spin_lock(&pmap->pm_lock);
	pmap_update_range(pmap, sva, eva, ~(pt_entry_t)0, &fl);
	if (!sync)
		fl.shoot = false;
	flush_finish(&fl, sva, eva);
	kmem_spin_unlock(&pmap->pm_lock);
}

/*
 * The fast path of pmap_remove and pmap_remove_nosync is kmem_free's case,
 * one page of the KVA whose L3 table exists.  (eva - sva == PAGE_SIZE with
 * sva a page of the KVA also makes eva aligned and inside the KVA.)  The
 * shadow slot is NULL wherever the L2 entry is a superpage or invalid, so
 * a superpage around the page takes the general path and is demoted there.
 */
static inline void
pmap_remove_pages(pmap_t pmap, vm_offset_t sva, vm_offset_t eva, bool sync)
{
	pt_entry_t *l3p;

	if (__predict_true(eva - sva == PAGE_SIZE && pmap == kernel_pmap &&
	    (sva & PAGE_MASK) == 0 && (l3p = pmap_kva_pte(sva)) != NULL)) {
		kva_pte_replace(l3p, sva, 0, sync);
		return;
	}
	pmap_remove_range(pmap, sva, eva, sync);
}

void
pmap_remove(pmap_t pmap, vm_offset_t sva, vm_offset_t eva)
{

	pmap_remove_pages(pmap, sva, eva, true);
}

/*
 * As pmap_remove, but other harts are not told: their TLBs may still map
 * the range until the caller's md_tlb_shootdown().  The caller must not
 * reuse the VA or the pages before that (kmem_free batches its frees this
 * way).  This hart's TLB is flushed.
 */
void
pmap_remove_nosync(pmap_t pmap, vm_offset_t sva, vm_offset_t eva)
{

	pmap_remove_pages(pmap, sva, eva, false);
}

void
pmap_protect(pmap_t pmap, vm_offset_t sva, vm_offset_t eva, vm_prot_t prot)
{
	struct pmap_flush fl = { 0, false };
	pt_entry_t clear;

	pmap_range_check("pmap_protect", pmap, sva, eva);
	if ((prot & ~VM_PROT_ALL) != 0)
		panic("pmap_protect: bad prot 0x%x for 0x%lx-0x%lx", prot,
		    sva, eva);
	if ((prot & VM_PROT_READ) == 0) {
		pmap_remove(pmap, sva, eva);
		return;
	}
	clear = 0;
	if ((prot & VM_PROT_WRITE) == 0)
		clear |= PTE_W;
	if ((prot & VM_PROT_EXECUTE) == 0)
		clear |= PTE_X;
	if (clear == 0 || sva == eva)
		return;
	kmem_spin_lock(&pmap->pm_lock);
	pmap_update_range(pmap, sva, eva, clear, &fl);
	flush_finish(&fl, sva, eva);
	kmem_spin_unlock(&pmap->pm_lock);
}

static void __attribute__((__noinline__))
pmap_kremove_slow(vm_offset_t va)
{

	if ((va & PAGE_MASK) != 0 || !va_in_kva(va))
		panic("pmap_kremove: va 0x%lx is not a page in the KVA", va);
	pmap_remove_range(kernel_pmap, va, va + PAGE_SIZE, true);
}

void
pmap_kremove(vm_offset_t va)
{
	pt_entry_t *l3p;

	if (__predict_true((va & PAGE_MASK) == 0 &&
	    (l3p = pmap_kva_pte(va)) != NULL)) {
		kva_pte_replace(l3p, va, 0, true);
		return;
	}
	pmap_kremove_slow(va);
}

void
pmap_qremove(vm_offset_t va, int count)
{

	if (count <= 0)
		return;
	if ((va & PAGE_MASK) != 0 || (u_long)count > KVA_SIZE / PAGE_SIZE ||
	    !range_in_kva(va, va + ptoa((u_long)count)))
		panic("pmap_qremove: bad range va 0x%lx count %d", va, count);
	pmap_remove(kernel_pmap, va, va + ptoa((u_long)count));
}

/* -------------------------------------------------------- lookups */

int
pmap_kwalk(vm_offset_t va, pt_entry_t *ptes, int max)
{
	pmap_t pmap = kernel_pmap;
	pt_entry_t e, *t;
	int level, n, top;

	if (pmap->pm_root == 0)
		return (0);
	/* Canonical: the bits above the top level's index all equal. */
	top = PAGE_SHIFT + 9 * pmap->pm_levels - 1;
	if ((int64_t)va >> top != 0 && (int64_t)va >> top != -1)
		return (0);
	t = pt_ptr(pmap->pm_root);
	n = 0;
	for (level = pmap->pm_levels - 1; level >= 0 && n < max; level--) {
		e = pte_load(&t[(va >> (PAGE_SHIFT + 9 * level)) & Ln_MASK]);
		ptes[n++] = e;
		if ((e & PTE_V) == 0 || (e & PTE_RWX) != 0)
			break;
		t = pt_ptr(pte_to_pa(e));
	}
	return (n);
}

/*
 * Walk kernel_pmap from its root (levels 3 or 4) for any canonical va: the
 * leaf that maps it, with the size it maps in *sizep; 0 if unmapped.
 */
static pt_entry_t
pmap_walk_leaf(vm_offset_t va, vm_size_t *sizep)
{
	pt_entry_t ptes[4];
	int n;

	*sizep = 0;
	n = pmap_kwalk(va, ptes, 4);
	if (n == 0 || (ptes[n - 1] & PTE_V) == 0 ||
	    (ptes[n - 1] & PTE_RWX) == 0)
		return (0);
	*sizep = 1UL << (PAGE_SHIFT + 9 * (kernel_pmap->pm_levels - n));
	return (ptes[n - 1]);
}

/*
 * pmap_kextract's general path, for va outside the KVA (DMAP, image,
 * DEVMAP) or not mapped by an L3 table of the shadow (a superpage).
 */
static vm_paddr_t __attribute__((__noinline__))
pmap_kextract_slow(vm_offset_t va)
{
	vm_size_t size;
	pt_entry_t e;

	if (va - DMAP_MIN_ADDRESS < pmap_dmap_size)
		return (va - DMAP_MIN_ADDRESS + dmap_phys_base);
	/* The host twin's DMAP pointers. */
	if (va < VM_MIN_KERNEL_ADDRESS && VIRT_IN_DMAP(va))
		return (DMAP_TO_PHYS(va));
	e = pmap_walk_leaf(va, &size);
	return (e != 0 ? pte_to_pa(e) + (va & (size - 1)) : 0);
}

vm_paddr_t
pmap_kextract(vm_offset_t va)
{
	pt_entry_t e, *l3p;

	l3p = pmap_kva_pte(va);
	if (__predict_false(l3p == NULL))
		return (pmap_kextract_slow(va));
	e = pte_load(l3p);
	if ((e & PTE_V) == 0)
		return (0);
	return (pte_to_pa(e) + (va & PAGE_MASK));
}

/*
 * pmap_kextract_run: as pmap_kextract for a KVA address, and in *lenp the
 * bytes from va on (at least to the end of its page, at most about @max)
 * that map physically contiguous memory through this one leaf or the
 * following leaves of its L3 table.
 */
vm_paddr_t
pmap_kextract_run(vm_offset_t va, vm_size_t max, vm_size_t *lenp)
{
	pt_entry_t e, *l3p;
	vm_size_t len, size;
	vm_paddr_t pa;
	u_int i, n;

	l3p = pmap_kva_pte(va);
	if (__predict_false(l3p == NULL)) {
		e = pmap_walk_leaf(va, &size);
		if (e == 0) {
			*lenp = PAGE_SIZE - (va & PAGE_MASK);
			return (0);
		}
		*lenp = size - (va & (size - 1));
		return (pte_to_pa(e) + (va & (size - 1)));
	}
	len = PAGE_SIZE - (va & PAGE_MASK);
	*lenp = len;
	e = pte_load(l3p);
	if ((e & PTE_V) == 0)
		return (0);
	pa = pte_to_pa(e);
	/* Following leaves of this table that map the next pages. */
	i = (u_int)pl3_index(va);
	for (n = 1; len < max && i + n < Ln_ENTRIES; n++) {
		e = pte_load(&l3p[n]);
		if ((e & PTE_V) == 0 || pte_to_pa(e) != pa + ptoa(n))
			break;
		len += PAGE_SIZE;
	}
	*lenp = len;
	return (pa + (va & PAGE_MASK));
}

vm_paddr_t
pmap_extract(pmap_t pmap, vm_offset_t va)
{

	if (pmap != kernel_pmap)
		return (0);
	return (pmap_kextract(va));
}

void
pmap_zero_page(vm_page_t m)
{
	vm_paddr_t pa;

	if (m == NULL)
		panic("pmap_zero_page: NULL page");
	pa = VM_PAGE_TO_PHYS(m);
	if (!PHYS_IN_DMAP(pa) || (pa & PAGE_MASK) != 0)
		panic("pmap_zero_page: page %p at pa 0x%lx is not in the DMAP",
		    (void *)m, (unsigned long)pa);
	kmem_zero_page((void *)PHYS_TO_DMAP(pa));
}

uint64_t
pmap_kernel_satp(void)
{

	return (kernel_pmap_store.pm_satp);
}

bool
pmap_has_svpbmt(void)
{

	return (pmap_svpbmt);
}

void
pmap_get_counts(pmap_t pmap, struct pmap_counts *pc)
{

	kmem_spin_lock(&pmap->pm_lock);
	pc->levels = pmap->pm_levels;
	pc->ptpages = pmap->pm_ptpages;
	pc->spare = pmap->pm_spare;
	pc->superpages = pmap->pm_superpages;
	pc->demotions = pmap->pm_demotions;
	pc->ptalloc_fail = pmap->pm_ptalloc_fail;
	kmem_spin_unlock(&pmap->pm_lock);
}

/* ------------------------------------------------- page memory attributes */

/*
 * struct vm_page has no room for a memory attribute, so the pmap keeps the
 * pages that are not write-back as runs of physical addresses.  Few pages
 * ever are (kmem_alloc_attr buffers), and the common case, an empty table,
 * costs one load.  Runs are changed and read under the pmap lock.
 */
#define PMAP_ATTR_RUNS	64
static struct pmap_attr_run {
	vm_paddr_t	start, end;
	vm_memattr_t	ma;
} attr_runs[PMAP_ATTR_RUNS];

static vm_memattr_t
attr_lookup_locked(vm_paddr_t pa)
{
	int i;

	for (i = 0; i < pmap_attr_nruns; i++)
		if (pa >= attr_runs[i].start && pa < attr_runs[i].end)
			return (attr_runs[i].ma);
	return (VM_MEMATTR_DEFAULT);
}

vm_memattr_t
pmap_page_get_memattr(vm_page_t m)
{
	vm_memattr_t ma;

	if (__atomic_load_n(&pmap_attr_nruns, __ATOMIC_RELAXED) == 0)
		return (VM_MEMATTR_DEFAULT);
	kmem_spin_lock(&kernel_pmap->pm_lock);
	ma = attr_lookup_locked(VM_PAGE_TO_PHYS(m));
	kmem_spin_unlock(&kernel_pmap->pm_lock);
	return (ma);
}

/*
 * Record m's attribute for later pmap_enter/pmap_qenter (mappings that
 * exist are not changed, nor is the DMAP alias).  Whoever frees a page set
 * to something else sets it back to VM_MEMATTR_DEFAULT first.  Panics on
 * an unknown attribute or when more than PMAP_ATTR_RUNS runs are needed.
 */
void
pmap_page_set_memattr(vm_page_t m, vm_memattr_t ma)
{
	struct pmap_attr_run *r;
	vm_paddr_t pa;
	int i;

	if (m == NULL || (u_int)ma >= nitems(pmap_attr_bits))
		panic("pmap_page_set_memattr: page %p, unknown attribute %d",
		    (void *)m, ma);
	pa = VM_PAGE_TO_PHYS(m);
	kmem_spin_lock(&kernel_pmap->pm_lock);
	/* Take the page out of the run that holds it, if any. */
	for (i = 0; i < pmap_attr_nruns; i++) {
		r = &attr_runs[i];
		if (pa < r->start || pa >= r->end)
			continue;
		if (r->ma == ma)
			goto out;
		if (pa == r->start)
			r->start += PAGE_SIZE;
		else if (pa + PAGE_SIZE == r->end)
			r->end -= PAGE_SIZE;
		else {
			if (pmap_attr_nruns == PMAP_ATTR_RUNS)
				goto full;
			attr_runs[pmap_attr_nruns].start = pa + PAGE_SIZE;
			attr_runs[pmap_attr_nruns].end = r->end;
			attr_runs[pmap_attr_nruns].ma = r->ma;
			pmap_attr_nruns++;
			r->end = pa;
		}
		if (r->start == r->end)
			*r = attr_runs[--pmap_attr_nruns];
		break;
	}
	if (ma == VM_MEMATTR_DEFAULT)
		goto out;
	for (i = 0; i < pmap_attr_nruns; i++) {
		r = &attr_runs[i];
		if (r->ma == ma && r->end == pa) {
			r->end += PAGE_SIZE;
			goto out;
		}
		if (r->ma == ma && r->start == pa + PAGE_SIZE) {
			r->start = pa;
			goto out;
		}
	}
	if (pmap_attr_nruns == PMAP_ATTR_RUNS)
		goto full;
	attr_runs[pmap_attr_nruns].start = pa;
	attr_runs[pmap_attr_nruns].end = pa + PAGE_SIZE;
	attr_runs[pmap_attr_nruns].ma = ma;
	__atomic_store_n(&pmap_attr_nruns, pmap_attr_nruns + 1, __ATOMIC_RELAXED);
out:
	kmem_spin_unlock(&kernel_pmap->pm_lock);
	return;
full:
	kmem_spin_unlock(&kernel_pmap->pm_lock);
	panic("pmap_page_set_memattr: more than %d runs of non-default pages "
	    "(pa 0x%lx)", PMAP_ATTR_RUNS, (unsigned long)pa);
}

/* ------------------------------------------------------------ devices */

/*
 * Device mappings live in the DEVMAP range, one guard page apart, with
 * 2 MiB leaves where the registers allow (the VA gets pa's offset within
 * 2 MiB for big ranges).  A small sorted table under the pmap lock.
 */
#define PMAP_DEVMAP_MAX	32
static struct pmap_devmap {
	vm_offset_t	va;		/* page aligned */
	vm_size_t	size;		/* page multiple */
	vm_paddr_t	pa;		/* page aligned */
} devmaps[PMAP_DEVMAP_MAX];
static int ndevmaps;

static vm_offset_t
devmap_find_va(vm_paddr_t pa, vm_size_t size, int *slot)
{
	vm_offset_t c, off;
	int i;

	c = DEVMAP_MIN_ADDRESS;
	off = size >= L2_SIZE ? pa & L2_OFFSET : 0;
	for (i = 0; i <= ndevmaps; i++) {
		if (size >= L2_SIZE)
			c = ((c - off + L2_OFFSET) & ~L2_OFFSET) + off;
		if (i == ndevmaps) {
			if (c < DEVMAP_MIN_ADDRESS || c > DEVMAP_MAX_ADDRESS ||
			    DEVMAP_MAX_ADDRESS - c < size)
				return (0);
			break;
		}
		if (c + size + PAGE_SIZE <= devmaps[i].va)
			break;
		c = devmaps[i].va + devmaps[i].size + PAGE_SIZE;
	}
	*slot = i;
	return (c);
}

void *
pmap_mapdev_attr(vm_paddr_t pa, vm_size_t size, vm_memattr_t ma)
{
	struct pmap_flush fl = { 0, false };
	vm_paddr_t spa, epa;
	vm_offset_t va;
	int i, slot;

	if (size == 0 || (u_int)ma >= nitems(pmap_attr_bits) ||
	    pa >= PA_LIMIT || PA_LIMIT - pa < size)
		return (NULL);
	spa = trunc_page(pa);
	epa = round_page(pa + size);
	for (i = 0; i < physmem.nram; i++)
		if (spa < physmem.ram[i].end && physmem.ram[i].start < epa)
			return (NULL);
	va = 0;
	kmem_spin_lock(&kernel_pmap->pm_lock);
	if (kernel_pmap->pm_top_va == NULL || ndevmaps == PMAP_DEVMAP_MAX)
		goto out;
	for (i = 0; i < ndevmaps; i++)
		if (spa < devmaps[i].pa + devmaps[i].size &&
		    devmaps[i].pa < epa)
			goto out;
	va = devmap_find_va(spa, epa - spa, &slot);
	if (va == 0)
		goto out;
	if (pmap_kenter_locked(kernel_pmap, va, epa - spa, spa, PTE_KERN |
	    PTE_R | PTE_W | pmap_attr_bits[ma], &fl) != KERN_SUCCESS) {
		va = 0;
		goto out;
	}
	memmove(&devmaps[slot + 1], &devmaps[slot],
	    (size_t)(ndevmaps - slot) * sizeof(devmaps[0]));
	devmaps[slot].va = va;
	devmaps[slot].size = epa - spa;
	devmaps[slot].pa = spa;
	ndevmaps++;
	va += pa - spa;
out:
	flush_finish(&fl, va, va + (epa - spa));
	kmem_spin_unlock(&kernel_pmap->pm_lock);
	return ((void *)va);
}

void *
pmap_mapdev(vm_paddr_t pa, vm_size_t size)
{

	return (pmap_mapdev_attr(pa, size, VM_MEMATTR_DEVICE));
}

void
pmap_unmapdev(void *p, vm_size_t size)
{
	struct pmap_flush fl = { 0, false };
	vm_offset_t va, sva;
	vm_size_t len;
	int i;

	va = (vm_offset_t)p;
	sva = trunc_page(va);
	len = round_page(va + size) - sva;
	kmem_spin_lock(&kernel_pmap->pm_lock);
	for (i = 0; i < ndevmaps; i++)
		if (devmaps[i].va == sva && devmaps[i].size == len &&
		    size != 0)		/* len != size when va + size wraps */
			break;
	if (i == ndevmaps) {
		kmem_spin_unlock(&kernel_pmap->pm_lock);
		panic("pmap_unmapdev: 0x%lx size 0x%lx is not a device mapping",
		    va, size);
	}
	pmap_update_range(kernel_pmap, sva, sva + len, ~(pt_entry_t)0, &fl);
	flush_finish(&fl, sva, sva + len);
	memmove(&devmaps[i], &devmaps[i + 1],
	    (size_t)(ndevmaps - i - 1) * sizeof(devmaps[0]));
	ndevmaps--;
	kmem_spin_unlock(&kernel_pmap->pm_lock);
}

/* ------------------------------------------------------- fault reports */

const char *
pmap_fault_region(vm_offset_t va)
{
	vm_size_t size;
	bool mapped;

	mapped = pmap_kextract(va) != 0;
	if (va >= DMAP_MIN_ADDRESS && va < DMAP_MAX_ADDRESS) {
		if (va - DMAP_MIN_ADDRESS >= pmap_dmap_size)
			return ("DMAP, beyond the end of RAM (not mapped)");
		return (pmap_walk_leaf(va, &size) != 0 ? "DMAP (RAM, read-write, "
		    "never executable)" : "DMAP hole (no-map reserved range)");
	}
	if (va >= img_text[0] && va < img_text[1])
		return ("image text (read+execute)");
	if (va >= img_rodata[0] && va < img_rodata[1])
		return ("image rodata (read-only)");
	if (va >= img_data[0] && va < img_data[1])
		return ("image data/bss/stack (read-write)");
	if (va_in_kva(va))
		return (mapped ? "KVA (kernel map, mapped)" :
		    "KVA not backed (kernel map, no page mapped)");
	if (va >= DEVMAP_MIN_ADDRESS)
		return (mapped ? "device mapping (DEVMAP)" :
		    "DEVMAP, not mapped");
	if (va < VM_MAXUSER_ADDRESS)
		return ("lower half, outside the image");
	return ("outside everything (no kernel region)");
}

/* ------------------------------------------------------------ boot */

/*
 * Map [va, va + size) to pa with leaf bits in the tables under the L1-level
 * table l1pa, with 1 GiB (big) and 2 MiB leaves where they fit.  Boot only:
 * the range must be unmapped.  0 or ENOMEM.
 */
static int
pmap_boot_map(vm_paddr_t l1pa, vm_offset_t va, vm_paddr_t pa, vm_size_t size,
    pt_entry_t bits, int domain, bool big)
{
	pt_entry_t e, *p;
	vm_paddr_t t;
	vm_size_t lsize;
	int level;

	while (size > 0) {
		/* Levels 1 (1 GiB), 2 (2 MiB), 3 (4 KiB) under l1pa. */
		t = l1pa;
		for (level = 1;; level++) {
			p = &pt_ptr(t)[level == 1 ? pl1_index(va) : level == 2 ?
			    pl2_index(va) : pl3_index(va)];
			lsize = level == 1 ? L1_SIZE : level == 2 ? L2_SIZE :
			    PAGE_SIZE;
			if (level == 3 || (big && ((va | pa) & (lsize - 1)) ==
			    0 && size >= lsize)) {
				KMEM_CHECK(pte_load(p) == 0, ("pmap_boot_map: "
				    "va 0x%lx mapped twice", va));
				pte_store(p, pa_to_pte(pa) | bits);
				break;
			}
			e = pte_load(p);
			KMEM_CHECK(!pte_is_leaf(e), ("pmap_boot_map: va 0x%lx "
			    "mapped twice", va));
			if ((e & PTE_V) == 0) {
				t = pt_alloc(kernel_pmap, domain);
				if (t == 0)
					return (ENOMEM);
				e = pa_to_pte(t) | PTE_V;
				pte_store(p, e);
			}
			t = pte_to_pa(e);
		}
		va += lsize;
		pa += lsize;
		size -= lsize;
	}
	return (0);
}

/*
 * DMAP [s, e) of one RAM range, leaving out the FDT's no-map reserved
 * ranges from index j on (they may be PMP-protected firmware memory that a
 * speculative access must never reach).
 */
static int
pmap_boot_dmap(const struct fdt_machine *m, vm_paddr_t s, vm_paddr_t e,
    int domain, int j)
{
	vm_paddr_t rs, re;
	int error;

	for (; m != NULL && j < m->nrsv; j++) {
		if (!m->rsv[j].nomap || m->rsv[j].size == 0)
			continue;
		rs = trunc_page(m->rsv[j].base);
		re = m->rsv[j].base + m->rsv[j].size < m->rsv[j].base ?
		    ~PAGE_MASK : round_page(m->rsv[j].base + m->rsv[j].size);
		if (re <= s || rs >= e)
			continue;
		if (rs > s && (error = pmap_boot_dmap(m, s, rs, domain,
		    j + 1)) != 0)
			return (error);
		if (re < e)
			return (pmap_boot_dmap(m, re, e, domain, j + 1));
		return (0);
	}
	/* s < e: RAM ranges are not empty, and each recursion keeps s < e. */
	return (pmap_boot_map(kernel_pmap->pm_top, DMAP_MIN_ADDRESS +
	    (s - dmap_phys_base), s, e - s, PTE_KERN | PTE_R | PTE_W, domain,
	    true));
}

static bool
boot_range_ok(vm_offset_t s, vm_offset_t e)
{

	return (((s | e) & PAGE_MASK) == 0 && s <= e &&
	    e <= VM_MAXUSER_ADDRESS);
}

static int
pmap_boot_image(vm_paddr_t low, vm_offset_t s, vm_offset_t e,
    pt_entry_t bits)
{

	if (s == e)
		return (0);
	return (pmap_boot_map(low, s, s, e - s, PTE_KERN | bits,
	    pmap_pa_domain(s), false));
}

int
pmap_bootstrap(const struct kmem_boot_info *bi)
{
	const struct fdt_machine *m;
	pmap_t pmap = kernel_pmap;
	vm_paddr_t top, l0, low, shadow;
	pt_entry_t *tp, *lp;
	int error, i;

	m = bi->machine;
	if (physmem.nram == 0 || dmap_phys_max <= dmap_phys_base) {
		kmem_printf("pmap_bootstrap: no RAM\n");
		return (EINVAL);
	}
	if (dmap_phys_max - dmap_phys_base > DMAP_MAX_ADDRESS -
	    DMAP_MIN_ADDRESS) {
		kmem_printf("pmap_bootstrap: RAM 0x%lx-0x%lx is larger than "
		    "the DMAP (%lu GiB)\n", (unsigned long)dmap_phys_base,
		    (unsigned long)dmap_phys_max,
		    (DMAP_MAX_ADDRESS - DMAP_MIN_ADDRESS) >> 30);
		return (E2BIG);
	}
	if (!boot_range_ok(bi->text_start, bi->text_end) ||
	    !boot_range_ok(bi->rodata_start, bi->rodata_end) ||
	    !boot_range_ok(bi->data_start, bi->data_end) ||
	    (bi->text_start < bi->rodata_end &&
	    bi->rodata_start < bi->text_end) ||
	    (bi->text_start < bi->data_end && bi->data_start < bi->text_end) ||
	    (bi->rodata_start < bi->data_end &&
	    bi->data_start < bi->rodata_end)) {
		kmem_printf("pmap_bootstrap: image ranges text 0x%lx-0x%lx "
		    "rodata 0x%lx-0x%lx data 0x%lx-0x%lx are not page aligned, "
		    "overlap or lie outside the lower half\n", bi->text_start,
		    bi->text_end, bi->rodata_start, bi->rodata_end,
		    bi->data_start, bi->data_end);
		return (EINVAL);
	}

	/* Memory attributes: Svpbmt's PBMT field, when the harts have it. */
	pmap_svpbmt = m != NULL && (m->isa & FDT_ISA_SVPBMT) != 0;
	pmap_attr_bits[VM_MEMATTR_WRITE_BACK] = 0;
	pmap_attr_bits[VM_MEMATTR_UNCACHEABLE] = pmap_svpbmt ?
	    1UL << PTE_PBMT_SHIFT : 0;
	pmap_attr_bits[VM_MEMATTR_DEVICE] = pmap_svpbmt ?
	    2UL << PTE_PBMT_SHIFT : 0;

	top = pt_alloc(pmap, pmap_pa_domain(bi->text_start));
	if (top == 0)
		goto nomem;
	pmap->pm_top = top;
	shadow = physmem_early_alloc(pmap_pa_domain(top), KVA_SLOTS *
	    sizeof(void *), PAGE_SIZE, "pmap KVA shadow");
	if (shadow == 0)
		shadow = physmem_early_alloc(-1, KVA_SLOTS * sizeof(void *),
		    PAGE_SIZE, "pmap KVA shadow");
	if (shadow == 0)
		goto nomem;
	memset((void *)PHYS_TO_DMAP(shadow), 0, KVA_SLOTS * sizeof(void *));
	for (i = 0; i < physmem.nram; i++) {
		error = pmap_boot_dmap(m, physmem.ram[i].start,
		    physmem.ram[i].end, physmem.ram[i].domain, 0);
		if (error != 0)
			goto nomem;
	}
	/* The image, identity mapped, in the lower half of the same table. */
	if (pmap_boot_image(top, bi->text_start, bi->text_end, PTE_R | PTE_X)
	    != 0 || pmap_boot_image(top, bi->rodata_start, bi->rodata_end,
	    PTE_R) != 0 || pmap_boot_image(top, bi->data_start, bi->data_end,
	    PTE_R | PTE_W) != 0)
		goto nomem;
	img_text[0] = bi->text_start;
	img_text[1] = bi->text_end;
	img_rodata[0] = bi->rodata_start;
	img_rodata[1] = bi->rodata_end;
	img_data[0] = bi->data_start;
	img_data[1] = bi->data_end;

	/*
	 * Sv48: a root whose first entry holds the lower half (moved out of
	 * top) and whose last entry is top.  satp is WARL: if the hart keeps
	 * its old mode, put the lower half back and use Sv39.
	 */
	pmap->pm_levels = 0;
	if (pmap_want_sv48 && (m == NULL || m->mmu == FDT_MMU_NONE ||
	    m->mmu >= FDT_MMU_SV48)) {
		l0 = pt_alloc(pmap, pmap_pa_domain(top));
		low = l0 != 0 ? pt_alloc(pmap, pmap_pa_domain(top)) : 0;
		if (low != 0) {
			tp = pt_ptr(top);
			lp = pt_ptr(low);
			for (i = 0; i < Ln_ENTRIES / 2; i++) {
				pte_store(&lp[i], pte_load(&tp[i]));
				pte_store(&tp[i], 0);
			}
			pte_store(&pt_ptr(l0)[0], pa_to_pte(low) | PTE_V);
			pte_store(&pt_ptr(l0)[Ln_ENTRIES - 1], pa_to_pte(top) |
			    PTE_V);
			md_pt_barrier();
			pmap->pm_satp = SATP_MODE_SV48 | (l0 >> PAGE_SHIFT);
			if (md_satp_write(pmap->pm_satp)) {
				pmap->pm_root = l0;
				pmap->pm_levels = 4;
			} else {
				for (i = 0; i < Ln_ENTRIES / 2; i++)
					pte_store(&tp[i], pte_load(&lp[i]));
				spare_push(pmap, l0);
				spare_push(pmap, low);
			}
		} else if (l0 != 0)
			spare_push(pmap, l0);
	}
	if (pmap->pm_levels == 0) {
		md_pt_barrier();
		pmap->pm_satp = SATP_MODE_SV39 | (top >> PAGE_SHIFT);
		if (!md_satp_write(pmap->pm_satp)) {
			pmap->pm_satp = 0;
			kmem_printf("pmap_bootstrap: the hart accepts neither "
			    "Sv48 nor Sv39 in satp\n");
			return (ENOTSUP);
		}
		pmap->pm_root = top;
		pmap->pm_levels = 3;
	}

	/* Paging is on: RAM is reached through the DMAP from now on. */
	dmap_va_base = md_dmap_va(DMAP_MIN_ADDRESS);
	pmap_dmap_size = dmap_phys_max - dmap_phys_base;
	pmap_dmap_delta = dmap_va_base - dmap_phys_base;
	pmap->pm_top_va = pt_ptr(top);
	pmap_kva_l3_bias = (uintptr_t)PHYS_TO_DMAP(shadow) -
	    ((VM_MIN_KERNEL_ADDRESS >> L2_SHIFT) << 3);
	kmem_fault_region = pmap_fault_region;
	return (0);
nomem:
	kmem_printf("pmap_bootstrap: no memory for page-table pages\n");
	return (ENOMEM);
}

void
pmap_init(void)
{

	kmem_spin_lock(&kernel_pmap->pm_lock);
	pmap_initialized = true;
	kmem_spin_unlock(&kernel_pmap->pm_lock);
}

/* ------------------------------------------------------------ tests */

void
pmap_reset_for_test(void)
{

	memset(&kernel_pmap_store, 0, sizeof(kernel_pmap_store));
	kmem_spin_init(&kernel_pmap_store.pm_lock, "kernel_pmap");
	pmap_initialized = false;
	pmap_svpbmt = false;
	memset(pmap_attr_bits, 0, sizeof(pmap_attr_bits));
	pmap_dmap_size = 0;
	pmap_dmap_delta = 0;
	pmap_kva_l3_bias = 0;
	memset(img_text, 0, sizeof(img_text));
	memset(img_rodata, 0, sizeof(img_rodata));
	memset(img_data, 0, sizeof(img_data));
	pmap_attr_nruns = 0;
	ndevmaps = 0;
	kmem_fault_region = NULL;
}

pt_entry_t
pmap_leaf_for_test(vm_offset_t va, vm_size_t *size)
{

	return (pmap_walk_leaf(va, size));
}

int
pmap_check_shadow_for_test(vm_offset_t sva, vm_offset_t eva)
{
	pt_entry_t e, *want;
	vm_offset_t va;
	int bad;

	bad = 0;
	for (va = sva & ~L2_OFFSET; va < eva && va_in_kva(va); va += L2_SIZE) {
		e = pte_load(&kernel_pmap->pm_top_va[pl1_index(va)]);
		want = NULL;
		if (pte_is_table(e)) {
			e = pte_load(&pt_ptr(pte_to_pa(e))[pl2_index(va)]);
			if (pte_is_table(e))
				want = pt_ptr(pte_to_pa(e));
		}
		if (*kva_slot(pmap_kva_l3_bias, va) != want)
			bad++;
	}
	return (bad);
}
