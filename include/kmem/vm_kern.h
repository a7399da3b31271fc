/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/vm_kern.h: FreeBSD's kernel memory API (sys/vm/vm_kern.c).
 *
 * Every function allocates kernel virtual address space from per-domain
 * vmem arenas that import from kernel_arena, which imports from kernel_map.
 * Sizes are rounded up to whole pages.  Unless noted, a call that cannot be
 * satisfied returns 0; nothing it took is kept.
 *
 * Flags: M_NOWAIT or M_WAITOK (one of them), M_ZERO (memory reads as zero),
 * M_EXEC (read+write+execute; served from separate arenas so ordinary
 * memory keeps its superpages), M_NORECLAIM (do not run the lowmem handlers
 * before failing), M_BESTFIT/M_FIRSTFIT (the fit of the KVA search).
 *
 * Waiting: M_WAITOK sleeps through md_sleep() until memory is freed on
 * another hart.  With one hart nothing could free memory during the wait,
 * so an M_WAITOK request that cannot be met panics with a message saying
 * it can never succeed instead of hanging.  M_WAITOK never returns 0: a
 * request no wait could satisfy (a domain set without a domain that has
 * memory, more than its domains' pages or the kernel map's size) panics
 * saying it can never succeed, however many harts run.
 */
#ifndef KMEM_VM_KERN_H
#define KMEM_VM_KERN_H

#include <kmem/types.h>
#include <kmem/vm_map.h>
#include <kmem/vm_param.h>

struct domainset;
struct vm_object;
typedef struct vm_object *vm_object_t;

/* The one object kernel memory belongs to (pages are found by their VA). */
extern struct vm_object kernel_object_store;
#define kernel_object	(&kernel_object_store)

struct vmem;
extern struct vmem *kernel_arena;

/* Backing comes in KVA_QUANTUM steps, each from one domain. */
#define KVA_QUANTUM_SHIFT	L2_SHIFT
#define KVA_QUANTUM		(1UL << KVA_QUANTUM_SHIFT)
#define KVA_NUMA_IMPORT_QUANTUM	(KVA_QUANTUM * 128)

/* zero_region: ZERO_REGION_SIZE bytes of zeros, read only. */
#define ZERO_REGION_SIZE	(64UL * 1024)
extern const void *zero_region;
extern const u_long vm_maxuser_address;

/**
 * Address space only: nothing is mapped; touching it faults with a report
 * that says "KVA not backed".
 * @retval 0 size is 0 or overflows, or no address space is left
 */
vm_offset_t kva_alloc(vm_size_t size);
/** Give back a kva_alloc range (exact address and size). */
void kva_free(vm_offset_t addr, vm_size_t size);

/**
 * Wired, mapped pages (round-robin over domains).
 * @retval 0 size is 0 or overflows, flags lack M_NOWAIT/M_WAITOK or have
 *	     both, or no memory (M_NOWAIT, after one reclaim unless
 *	     M_NORECLAIM)
 */
vm_offset_t kmem_malloc(vm_size_t size, int flags);
/** kmem_malloc with a domain-selection policy (DOMAINSET_PREF(d) ...). */
vm_offset_t kmem_malloc_domainset(struct domainset *ds, vm_size_t size,
    int flags);
/**
 * Free a kmem_malloc/kmem_alloc_attr/kmem_alloc_contig range.  The size
 * must be the allocated size: an address that is not the start of a live
 * allocation, or a different size, panics naming kmem_free, the address
 * and the size.
 */
void kmem_free(vm_offset_t addr, vm_size_t size);

/**
 * Pages with physical addresses in [low, high), not necessarily
 * contiguous, mapped with memattr.
 * @retval 0 as kmem_malloc, or low >= high, or no page in the range
 */
vm_offset_t kmem_alloc_attr(vm_size_t size, int flags, vm_paddr_t low,
    vm_paddr_t high, vm_memattr_t memattr);
vm_offset_t kmem_alloc_attr_domainset(struct domainset *ds, vm_size_t size,
    int flags, vm_paddr_t low, vm_paddr_t high, vm_memattr_t memattr);

/**
 * Physically contiguous pages in [low, high), starting on a multiple of
 * alignment, not crossing a multiple of boundary (0: none).  The returned
 * address is a multiple of alignment too.
 * @retval 0 as kmem_alloc_attr, or alignment/boundary not a power of two,
 *	     or boundary smaller than the size
 */
vm_offset_t kmem_alloc_contig(vm_size_t size, int flags, vm_paddr_t low,
    vm_paddr_t high, u_long alignment, vm_paddr_t boundary,
    vm_memattr_t memattr);
vm_offset_t kmem_alloc_contig_domainset(struct domainset *ds, vm_size_t size,
    int flags, vm_paddr_t low, vm_paddr_t high, u_long alignment,
    vm_paddr_t boundary, vm_memattr_t memattr);

/**
 * Back [addr, addr + size) of kernel_object with pages of @p domain.
 * @retval KERN_SUCCESS
 * @retval KERN_NO_SPACE  (M_NOWAIT) out of pages; pages already mapped
 *			  were unmapped and freed
 * @retval KERN_INVALID_ARGUMENT  bad object, domain, range or flags
 * A page of the range that is already backed panics (function, range,
 * page) before anything changes.
 */
int kmem_back_domain(int domain, vm_object_t object, vm_offset_t addr,
    vm_size_t size, int flags);
/** As kmem_back_domain, each KVA_QUANTUM from domain (addr >> shift) % n. */
int kmem_back(vm_object_t object, vm_offset_t addr, vm_size_t size,
    int flags);
/** Unmap and free the pages of [addr, addr + size) (every page backed). */
void kmem_unback(vm_object_t object, vm_offset_t addr, vm_size_t size);

/**
 * While several harts run, kmem_free unmaps at once but gives pages and
 * KVA back in per-hart batches, one remote TLB shootdown per batch.
 * Batches are flushed when full, when someone waits for pages, by the
 * lowmem handlers and before an allocation fails.  kmem_free_flush()
 * flushes every hart's batch now (tests that compare free counts call it).
 * @retval true	something was freed
 */
bool kmem_free_flush(void);

/**
 * Carve a submap of @p size bytes out of @p parent (2 MiB aligned when
 * superpage_align) and initialise @p map over it; *min, *max are its ends.
 * Panics if the parent has no room (a boot-time configuration error).
 */
void kmem_subinit(vm_map_t map, vm_map_t parent, vm_offset_t *min,
    vm_offset_t *max, vm_size_t size, bool superpage_align);
/**
 * Pageable, demand-zero memory from a submap, charged to the commit limit.
 * Sleeps while the submap has no room.
 * @retval 0 the size can never fit in the submap, or the charge fails
 */
vm_offset_t kmap_alloc_wait(vm_map_t map, vm_size_t size);
/**
 * Free kmap_alloc_wait memory and wake sleepers of that map.  The range
 * must be exactly one live allocation: anything else panics naming
 * kmap_free_wakeup, the map and the range, with nothing changed.
 */
void kmap_free_wakeup(vm_map_t map, vm_offset_t addr, vm_size_t size);

/** Map one zeroed page read-only ZERO_REGION_SIZE / PAGE_SIZE times. */
void kmem_init_zero_region(void);
/** Create kernel_map over [VM_MIN_KERNEL_ADDRESS, end), [min, start) used. */
void kmem_init(vm_offset_t start, vm_offset_t end);
/** Give boot-only memory mapped at [start, start + size) to the allocator. */
void kmem_bootstrap_free(vm_offset_t start, vm_size_t size);

/* The seed's read-only figures and the arenas' state. */
struct kmem_stats {
	vm_offset_t	min_kernel_address;	/* vm.min_kernel_address */
	vm_offset_t	max_kernel_address;	/* vm.max_kernel_address */
	u_long		maxuser_address;	/* vm_maxuser_address */
	vm_size_t	kernel_arena_alloc;	/* bytes allocated */
	vm_size_t	kernel_arena_free;
	vm_size_t	domain_arena_alloc[MAXMEMDOM];
	vm_size_t	domain_arena_free[MAXMEMDOM];
	vm_size_t	kernel_map_size;	/* bytes in kernel_map entries */
	vm_size_t	commit_used;		/* pageable bytes charged */
	vm_size_t	commit_limit;
	u_int		free_pages;		/* vm_free_count() */
	u_int		domain_free_pages[MAXMEMDOM];
	int		ndomains;
	u_long		free_batches;		/* batched frees flushed */
	u_long		tlb_full_flushes;	/* whole-TLB flushes in place of
						   one page's (an erratum) */
	u_long		meta_pages;		/* kept by kmem itself: page-table
						   pages, vmem tags and hashes,
						   map entries */
};
void kmem_stats(struct kmem_stats *st);
void kmem_stats_print(const struct kmem_stats *st);
/**
 * The per-domain arena kmem allocates from (@p exec: the M_EXEC one).
 * @retval NULL @p domain is not a valid domain, or kmem_init has not run
 */
struct vmem *kmem_domain_arena(int domain, bool exec);

#endif /* KMEM_VM_KERN_H */
