/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem/vm_map.h: kernel maps and submaps.
 *
 * A vm_map manages a range of kernel virtual addresses as a sorted list of
 * entries.  The kernel map covers [VM_MIN_KERNEL_ADDRESS,
 * VM_MAX_KERNEL_ADDRESS); kernel_arena imports address space from it, and
 * kmem_subinit() carves submaps (exec_map, pipe_map, your own) out of it.
 * Entries of a submap made by kmap_alloc_wait() are pageable memory: their
 * pages are demand-zero (the first touch of a page takes a fault that maps
 * a zeroed page) and their size is charged against the commit limit.
 *
 * struct vm_map is complete so that callers can declare storage for a
 * submap; its fields are kmem's own (read them through the accessors).
 */
#ifndef KMEM_VM_MAP_H
#define KMEM_VM_MAP_H

#include <kmem/types.h>
#include <kmem/spin.h>

struct pmap;
struct vm_map_entry;

struct vm_map {
	struct kmem_spin	lock;		/* the map lock (outermost) */
	vm_offset_t		min_offset;
	vm_offset_t		max_offset;
	struct pmap		*pmap;
	struct vm_map_entry	*first;		/* sorted by start */
	int			nentries;
	vm_size_t		size;		/* bytes in entries */
	bool			needs_wakeup;	/* a kmap_alloc_wait sleeps */
	bool			system_map;
	bool			initialized;
};
typedef struct vm_map *vm_map_t;

/* vm_map_find() space policies and insert flags (FreeBSD's names). */
#define VMFS_NO_SPACE		0
#define VMFS_ANY_SPACE		1
#define VMFS_SUPER_SPACE	2	/* 2 MiB aligned */
#define MAP_NOFAULT		0x0001	/* no demand faults: touching unmapped pages panics */
#define MAP_ACC_CHARGED		0x0002	/* pageable, charged to the commit limit */
#define MAP_ACC_NO_CHARGE	0x0004

extern struct vm_map kernel_map_store;
extern struct vm_map exec_map_store;
extern struct vm_map pipe_map_store;
#define kernel_map	(&kernel_map_store)
#define exec_map	(&exec_map_store)
#define pipe_map	(&pipe_map_store)

static inline vm_offset_t vm_map_min(const struct vm_map *map)
{
	return (map->min_offset);
}
static inline vm_offset_t vm_map_max(const struct vm_map *map)
{
	return (map->max_offset);
}
static inline struct pmap *vm_map_pmap(const struct vm_map *map)
{
	return (map->pmap);
}

/** Initialise an empty map over [min, max). */
void vm_map_init(vm_map_t map, struct pmap *pmap, vm_offset_t min,
    vm_offset_t max);

/**
 * Find space of @p length at or above *@p addr and insert an entry there.
 * @retval KERN_SUCCESS    *addr is the start of the new entry
 * @retval KERN_NO_SPACE   no room (or a bad length/alignment)
 */
int vm_map_find(vm_map_t map, void *object, vm_pindex_t offset,
    vm_offset_t *addr, vm_size_t length, vm_offset_t max_addr,
    int find_space, vm_prot_t prot, vm_prot_t max, int cow);

/** Insert [start, end) exactly; KERN_NO_SPACE if it overlaps or leaves the map. */
int vm_map_insert(vm_map_t map, void *object, vm_pindex_t offset,
    vm_offset_t start, vm_offset_t end, vm_prot_t prot, vm_prot_t max,
    int cow);

/**
 * Remove the entries inside [start, end); pageable pages that were backed
 * are unmapped and freed and charges returned.  An entry that straddles
 * either end is split.  KERN_SUCCESS, or KERN_INVALID_ADDRESS if the range
 * leaves the map.
 */
int vm_map_delete(vm_map_t map, vm_offset_t start, vm_offset_t end);

/** Whether [start, end) is exactly one entry (not a submap); map lock held. */
bool vm_map_range_is_entry(vm_map_t map, vm_offset_t start, vm_offset_t end);

/** Make [start, end) of @p map the submap @p submap. */
int vm_map_submap(vm_map_t map, vm_offset_t start, vm_offset_t end,
    vm_map_t submap);

/**
 * The lowest address >= start where @p length fits in a hole, or
 * vm_map_max(map) + 1 ... (FreeBSD: an address past the map) if none.
 * The map lock must be held.
 */
vm_offset_t vm_map_findspace(vm_map_t map, vm_offset_t start,
    vm_size_t length);

void vm_map_lock(vm_map_t map);
void vm_map_unlock(vm_map_t map);
/** Drop the lock and sleep until vm_map_wakeup(map). Returns unlocked. */
void vm_map_unlock_and_wait(vm_map_t map, int timo);
void vm_map_wakeup(vm_map_t map);

/* Commit limit for pageable memory (the firmware stand-in for swap). */
bool swap_reserve(vm_size_t size);
void swap_release(vm_size_t size);
vm_size_t swap_reserved(void);		/* bytes charged now */
vm_size_t swap_limit(void);		/* KMEM_COMMIT_LIMIT */

/* Pages the maps took for their entries (kept for reuse, never freed). */
u_long vm_map_entry_pages(void);

/* Bytes in the map's entries, and how many entries (under the map lock). */
vm_size_t vm_map_size(vm_map_t map);
int vm_map_nentries(vm_map_t map);

/* Print a map's entries. */
void vm_map_print(vm_map_t map);

#endif /* KMEM_VM_MAP_H */
