/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/pmap.h: the kernel's page tables (Sv39, or Sv48 when asked for and
 * the hart accepts it), FreeBSD's pmap(9) names.
 *
 * Layout (see kmem/vm_param.h and doc/pmap.md): the payload image identity
 * mapped with its sections' permissions, a direct map (DMAP) of all RAM
 * with the largest leaves that fit, never executable, the KVA range of the
 * kernel map, and a DEVMAP range for pmap_mapdev().  Every kernel mapping
 * is created with A and D set, without U, and W^X unless the caller asks
 * for VM_PROT_ALL.
 *
 * Only one pmap exists, kernel_pmap.  Functions that take a pmap_t accept
 * kernel_pmap only (an error return, or a panic for the void ones).
 *
 * Locking.  kernel_pmap's lock (one kmem_spin) serialises page-table page
 * creation, superpage creation and demotion, pmap_remove, pmap_protect and
 * device mappings.  pmap_enter/pmap_kenter/pmap_kremove/pmap_qenter of a
 * 4 KiB page and pmap_remove of one page, whose L3 table already exists,
 * store the PTE without the lock:
 * the caller owns the VA it maps (kva_alloc, vmem), and page-table pages of
 * the kernel pmap are never freed, so a lock-free walk always reads a live
 * table.  pmap_kextract/pmap_extract take no lock.
 * Page-table pages are allocated with VM_ALLOC_NOWAIT while the pmap lock
 * is held (lock order: kmem/spin.h).
 *
 * TLB.  Every changed leaf is flushed locally (md_tlb_flush_page; past
 * PMAP_TLB_FLUSH_THRESHOLD leaves in one call, one md_tlb_flush_all), and
 * every unmap, replacement or permission drop calls md_tlb_shootdown(sva,
 * eva) before the function returns, so a page the caller frees afterwards
 * is never reached through a stale translation on any hart.
 */
#ifndef KMEM_PMAP_H
#define KMEM_PMAP_H

#include <kmem/types.h>
#include <kmem/spin.h>
#include <kmem/vm_param.h>

struct kmem_boot_info;
struct vm_page;
typedef struct vm_page *vm_page_t;

/* pmap_enter() flags (FreeBSD's values); the low byte is the access type. */
#define PMAP_ENTER_NOSLEEP	0x00000100	/* fail instead of waiting */
#define PMAP_ENTER_WIRED	0x00000200	/* kernel mappings always are */
#define PMAP_ENTER_LARGEPAGE	0x00000400	/* (not supported: rejected) */

/* Leaves changed in one call past which one full local flush is used. */
#define PMAP_TLB_FLUSH_THRESHOLD	64

typedef uint64_t pt_entry_t;

struct pmap {
	struct kmem_spin pm_lock;
	vm_paddr_t	pm_root;	/* root table (satp's PPN) */
	vm_paddr_t	pm_top;		/* L1 table of the kernel half */
	pt_entry_t	*pm_top_va;	/* pm_top through the DMAP */
	uint64_t	pm_satp;	/* value installed by pmap_bootstrap */
	int		pm_levels;	/* 3 (Sv39) or 4 (Sv48) */
	/* Counters (under pm_lock). */
	u_long		pm_ptpages;	/* page-table pages in use or spare */
	u_long		pm_spare;	/* spare page-table pages kept */
	u_long		pm_superpages;	/* live 2 MiB leaves outside the DMAP */
	u_long		pm_demotions;
	u_long		pm_ptalloc_fail;	/* allocations that failed */
	vm_paddr_t	pm_spare_head;	/* list of spare pages (PA, 0 = end) */
};
typedef struct pmap *pmap_t;

extern struct pmap kernel_pmap_store;
#define kernel_pmap	(&kernel_pmap_store)

/*
 * Ask for Sv48 (set before pmap_bootstrap).  Defaults to the build macro
 * KMEM_PMAP_SV48 (0 when not defined).  Sv48 is used only when the FDT does
 * not say the harts stop at Sv39 and satp accepts mode 9; otherwise Sv39.
 */
extern bool pmap_want_sv48;

/* --- Boot interface (kmem_startup) --- */

/*
 * Build the kernel page tables and turn paging on: the DMAP of every RAM
 * range of physmem (without the FDT's no-map reserved ranges) with 1 GiB,
 * 2 MiB and 4 KiB leaves, read-write, never executable; the image
 * identity mapped (text R+X, rodata R, data R+W; ranges of 0 are skipped);
 * then satp (Sv48 if asked for and accepted, else Sv39), dmap_va_base and
 * kmem_fault_region.  Page-table pages come from physmem_early_alloc().
 * Boot hart only, paging off, after physmem_init().
 *
 * @retval 0		paging is on
 * @retval EINVAL	no RAM, or an image range not page aligned / misplaced
 * @retval E2BIG	RAM extends past what the DMAP can hold (128 GiB)
 * @retval ENOMEM	no page for a page-table page (paging stays off)
 * @retval ENOTSUP	the hart accepts neither Sv48 nor Sv39
 */
int pmap_bootstrap(const struct kmem_boot_info *bi);

/*
 * From now on page-table pages come from the page allocator
 * (vm_page_alloc_noobj_domain), preferring the domain of the memory being
 * mapped.  Call after vm_phys_init().
 */
void pmap_init(void);

/* The satp value secondary harts install (0 before pmap_bootstrap). */
uint64_t pmap_kernel_satp(void);

/* Names the region va lies in, for fault reports (kmem_fault_region). */
const char *pmap_fault_region(vm_offset_t va);

/* --- Mapping pages --- */

/*
 * Map page m (psind 0: 4 KiB) or the 2 MiB physically contiguous run that
 * starts at m (psind 1: one superpage) at va in the KVA range, with prot
 * (R is implied by W or X; W and X together only as asked) and m's memory
 * attribute.  An existing mapping at va is replaced (shot down first).
 * Page-table pages are allocated under the pmap lock, NOWAIT; without
 * PMAP_ENTER_NOSLEEP a shortage waits for free pages (panics only where
 * waiting would deadlock).
 *
 * @retval KERN_SUCCESS			mapped
 * @retval KERN_RESOURCE_SHORTAGE	PMAP_ENTER_NOSLEEP and no page-table
 *					page could be had; nothing changed
 * @retval KERN_INVALID_ADDRESS		va not page aligned (2 MiB for psind
 *					1), or [va, va + size) not in the KVA
 * @retval KERN_INVALID_ARGUMENT		pmap not kernel_pmap, m NULL, psind
 *					not 0/1, m's PA misaligned for psind,
 *					prot without R/W/X, unknown flags
 */
int pmap_enter(pmap_t pmap, vm_offset_t va, vm_page_t m, vm_prot_t prot,
    u_int flags, int8_t psind);

/*
 * Unmap [sva, eva) (page aligned, inside the KVA).  A superpage only
 * partly inside is demoted; the rest of it stays mapped.  Holes are fine.
 * Shoots the range down before returning.  Panics on bad input.
 */
void pmap_remove(pmap_t pmap, vm_offset_t sva, vm_offset_t eva);
/*
 * As pmap_remove, without telling the other harts: until the caller's
 * md_tlb_shootdown() they may still reach the old pages through cached
 * translations, so the caller reuses neither the VA nor the pages before
 * it.  This hart's TLB is flushed.  Same checks and panics as pmap_remove.
 */
void pmap_remove_nosync(pmap_t pmap, vm_offset_t sva, vm_offset_t eva);

/*
 * Take permissions away on [sva, eva): W and/or X are removed where prot
 * lacks them; prot without VM_PROT_READ removes the mappings.  Never adds a
 * permission.  Partial superpages are demoted.  Panics on bad input.
 */
void pmap_protect(pmap_t pmap, vm_offset_t sva, vm_offset_t eva,
    vm_prot_t prot);

/*
 * Map [va, va + size) read-write to [pa, pa + size) with memory attribute
 * mode (VM_MEMATTR_*), 2 MiB leaves wherever va, pa and size allow.
 * [va, va + size) inside the KVA; all page aligned; size 0 does nothing.
 * Replaces what was there (shot down).  Panics on bad input or when no
 * page-table page can be had.
 */
void pmap_kenter(vm_offset_t va, vm_size_t size, vm_paddr_t pa, int mode);

/*
 * Unmap one 4 KiB page of the KVA (demoting a superpage around it); no-op
 * if nothing maps it.  Panics on an unaligned va or one outside the KVA.
 */
void pmap_kremove(vm_offset_t va);

/*
 * Map count pages ma[0..count-1] read-write (each with its memory
 * attribute) at va, va + PAGE_SIZE, ...; count <= 0 does nothing.  Panics
 * on an unaligned va, a range leaving the KVA or a NULL page (before
 * mapping anything).
 */
void pmap_qenter(vm_offset_t va, vm_page_t *ma, int count);

/* Unmap count pages from va (as pmap_remove); count <= 0 does nothing. */
void pmap_qremove(vm_offset_t va, int count);

/*
 * The PA va maps to, or 0 when nothing maps it.  DMAP VAs are answered
 * arithmetically.  No lock; exact for a va nobody changes concurrently.
 */
vm_paddr_t pmap_kextract(vm_offset_t va);
vm_paddr_t pmap_extract(pmap_t pmap, vm_offset_t va);


/*
 * pmap_kextract, and in *lenp how many bytes from va on are mapped
 * linearly from there: to the end of a 2 MiB superpage, or through the
 * following 4 KiB leaves of the same table that map the following
 * physical pages (scanned up to about max bytes; 0: not at all).  At
 * least the rest of va's page, also when nothing maps va (then 0 is
 * returned).  For walks over kernel ranges (kmem_free of large or
 * contiguous memory).
 */
vm_paddr_t pmap_kextract_run(vm_offset_t va, vm_size_t max,
    vm_size_t *lenp);

/* Zero a page through the DMAP.  Panics on NULL or a page outside it. */
void pmap_zero_page(vm_page_t m);

/*
 * Map device registers [pa, pa + size) (any alignment: the VA returned
 * keeps pa's offset in its page) in the DEVMAP range, read-write, never
 * executable, VM_MEMATTR_DEVICE (pmap_mapdev) or ma.
 *
 * @retval NULL	size 0, range wraps, touches RAM, overlaps a device range
 *		already mapped, ma unknown, or no DEVMAP space / pt page left
 */
void *pmap_mapdev(vm_paddr_t pa, vm_size_t size);
void *pmap_mapdev_attr(vm_paddr_t pa, vm_size_t size, vm_memattr_t ma);

/* Undo pmap_mapdev (same p and size).  Panics on anything else. */
void pmap_unmapdev(void *p, vm_size_t size);

/*
 * A page's memory attribute (pmap_enter and pmap_qenter map with it).
 * struct vm_page has no room for it, so the pmap keeps the pages that are
 * not write-back as runs of physical addresses (at most 64 runs; beyond,
 * pmap_page_set_memattr panics).  Set it back to VM_MEMATTR_DEFAULT
 * before freeing the page.  Existing mappings (and the DMAP alias, which
 * stays write-back) are not changed.
 */
void pmap_page_set_memattr(vm_page_t m, vm_memattr_t ma);
/* A page's memory attribute (VM_MEMATTR_DEFAULT unless set). */
vm_memattr_t pmap_page_get_memattr(vm_page_t m);

/* True when the harts have Svpbmt (memory attributes take effect). */
bool pmap_has_svpbmt(void);

/* A snapshot of a pmap's counters (struct pmap's pm_* figures). */
struct pmap_counts {
	int	levels;		/* 3 (Sv39) or 4 (Sv48) */
	u_long	ptpages;	/* page-table pages in use or spare */
	u_long	spare;		/* of which spare */
	u_long	superpages;	/* live 2 MiB leaves outside the DMAP */
	u_long	demotions;	/* superpages split so far */
	u_long	ptalloc_fail;	/* page-table page allocations that failed */
};
/** Fill @p pc from @p pmap's counters (under the pmap lock). */
void pmap_get_counts(pmap_t pmap, struct pmap_counts *pc);
/**
 * Walk the kernel page table for @p va from the root: ptes[0] is the root
 * level's entry, each next one the entry of the table it points to, the
 * last the leaf, an invalid entry, or ptes[max - 1].  No lock: a snapshot.
 * @return the entries stored; 0 before pmap_bootstrap or for a va that
 *	   is not canonical for the paging mode
 */
int pmap_kwalk(vm_offset_t va, pt_entry_t *ptes, int max);

#endif /* KMEM_PMAP_H */
