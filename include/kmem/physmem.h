/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/physmem.h: the physical memory map at boot and the early allocator.
 *
 * physmem_init() takes the FDT's memory ranges per NUMA domain and carves
 * out OpenSBI's region, the payload image, the FDT blob and every reserved
 * range.  What remains is "managed" RAM, the input of vm_phys.  Until the
 * page allocator exists, physmem_early_alloc() hands out pages from the top
 * of a domain's managed ranges and records each allocation, so that
 * vm_phys can account those pages as allocated instead of losing them.
 */
#ifndef KMEM_PHYSMEM_H
#define KMEM_PHYSMEM_H

#include <kmem/types.h>
#include <kmem/fdt.h>

#define PHYSMEM_MAX_RANGES	64
#define PHYSMEM_MAX_CARVES	64
#define PHYSMEM_MAX_EARLY	64

struct physmem_range {
	vm_paddr_t	start;		/* page aligned */
	vm_paddr_t	end;		/* page aligned, exclusive */
	int		domain;
};

struct physmem_carve {
	vm_paddr_t	start;
	vm_paddr_t	end;
	int		domain;
	const char	*why;		/* "firmware", "payload image", ... */
	char		name[32];	/* reserved node name, or "" */
};

struct physmem_early {
	vm_paddr_t	start;
	vm_paddr_t	end;
	int		domain;
	const char	*what;		/* the caller's label */
};

struct physmem_map {
	int			nram;		/* RAM as the FDT gives it */
	struct physmem_range	ram[PHYSMEM_MAX_RANGES];
	int			nmanaged;	/* RAM minus carves, sorted */
	struct physmem_range	managed[PHYSMEM_MAX_RANGES];
	int			ncarves;
	struct physmem_carve	carves[PHYSMEM_MAX_CARVES];
	int			nearly;
	struct physmem_early	early[PHYSMEM_MAX_EARLY];
	int			ndomains;	/* domains with managed RAM: 0..n-1 */
	bool			early_closed;	/* vm_phys took over */
	/*
	 * Domain numbers.  Every domain field above is a dense number
	 * 0..ndomains-1.  When the FDT's numa-node-ids with managed RAM are
	 * already 0..n-1 (the usual case) they are kept as they are;
	 * otherwise (e.g. ids 0 and 2 only) they are renumbered in increasing
	 * id order (0 -> 0, 2 -> 1) and renumbered is true.
	 */
	bool			renumbered;
	int			fdt_domain[MAXMEMDOM];	/* dense -> FDT id */
	/*
	 * FDT id -> dense domain.  An id without managed RAM (a memoryless
	 * node's harts, or RAM that was all carved out) maps to the nearest
	 * domain with RAM by the FDT distance (lowest number on ties).
	 */
	int			domain_of_fdt[MAXMEMDOM];
	/* FDT distance between dense domains (10 local, 20 remote default). */
	uint32_t		distance[MAXMEMDOM][MAXMEMDOM];
	/* Early allocator: top of the unallocated part of managed[i]. */
	vm_paddr_t		early_top[PHYSMEM_MAX_RANGES];
};

extern struct physmem_map physmem;

/*
 * Build the map.  fw_start/fw_end is the firmware (OpenSBI) region (0, 0
 * when none; carving it again when the FDT already reserves it, as
 * OpenSBI's "mmode_resv" no-map child does, is harmless and is then not
 * listed twice), img_start/img_end the payload image, fdt_pa/fdt_size the
 * blob (both 0 when none).
 *
 * RAM is the FDT's memory ranges, shrunk inward to whole pages and sorted;
 * a range that overlaps an earlier one loses the overlap.  Carved out, each
 * widened outward to whole pages and split per RAM range so that a carve
 * never spans two domains: firmware, payload image, FDT blob, every
 * /memreserve/ and every /reserved-memory range, no-map or not, and also
 * the reusable ones (kmem has no driver to give them back to, so they are
 * not handed to the page allocator).  Carves outside RAM are not listed.
 * Managed RAM is what remains, sorted, adjacent pieces of one domain
 * merged.  dmap_phys_base/dmap_phys_max become the RAM extent (lowest RAM
 * start, end of the highest RAM range); dmap_va_base moves by the same
 * amount as dmap_phys_base, so PHYS_TO_DMAP() keeps meaning what it meant
 * (identity on bare metal before paging, the RAM buffer on the host twin).
 * The early allocator starts empty.  Boot hart only; no locks.
 *
 * @retval 0		the map is built
 * @retval EINVAL	no managed RAM is left (or no memory in the FDT)
 * @retval E2BIG	more ranges or carves than PHYSMEM_MAX_* hold
 */
int physmem_init(const struct fdt_machine *m, vm_paddr_t fw_start,
    vm_paddr_t fw_end, vm_paddr_t img_start, vm_paddr_t img_end,
    vm_paddr_t fdt_pa, vm_size_t fdt_size);

/*
 * Take size bytes (rounded up to pages) aligned to align (a power of two;
 * 0 or smaller than PAGE_SIZE means PAGE_SIZE) from domain (or the first domain
 * with room if domain < 0).  Allocation runs downward from the top of the
 * domain's highest managed range, then the next lower range of the domain.
 * Pages skipped for alignment stay free (vm_phys frees what early[] does
 * not list).  Each allocation is recorded in physmem.early[] under the
 * label what (merged with an adjacent record of the same label and domain).
 * Boot hart only; no locks.
 *
 * @retval pa	the physical address of the allocation
 * @retval 0	no room in the domain(s), size 0, align not a power of two,
 *		or domain >= physmem.ndomains
 * Panics when called after physmem.early_closed, or when early[] is full.
 */
vm_paddr_t physmem_early_alloc(int domain, vm_size_t size, vm_size_t align,
    const char *what);

/*
 * Make the carve of [pa, pa + size) (widened to pages; it must be exactly
 * one carve, e.g. the FDT blob) a managed range whose pages the early
 * allocator already handed out, recorded in early[] as @what.  vm_phys then
 * accounts those pages as allocated; kmem_bootstrap_free() frees them.
 * Returns 0; EINVAL when no carve is exactly that range; EBUSY when the
 * range shares pages with another carve or vm_phys has taken over; E2BIG
 * when a table is full.
 */
int physmem_adopt(vm_paddr_t pa, vm_size_t size, const char *what);

/* Print the map: node, range, size in MiB, carves and why, early allocs. */
void physmem_print(void);

/*
 * The dense domain for an FDT numa-node-id (see domain_of_fdt above), or
 * 0 for an id outside 0..MAXMEMDOM-1.  md_cpu_domain() should answer with
 * this for a hart's numa-node-id.
 */
int physmem_domain_of_fdt(int fdt_id);

#endif /* KMEM_PHYSMEM_H */
