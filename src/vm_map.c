/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_map.c: kernel maps, submaps, the commit limit and demand-zero faults.
 *
 * A map is a sorted, singly linked list of entries.  Kernel maps hold few
 * entries (kernel_arena imports in 2 MiB..256 MiB steps, submaps, and the
 * pageable ranges of kmap_alloc_wait), so a linear find-space is simple and
 * fast enough; the hot allocation paths never come here (vmem serves them).
 *
 * Entries come from a static boot pool and then from pages of the page
 * allocator (reached through the DMAP), so a map works from the first
 * kmem_init() on.  Page allocation happens under map locks (lock order:
 * kmem/spin.h).
 */
#include <string.h>

#include <kmem/fault.h>
#include <kmem/lowmem.h>
#include <kmem/pmap.h>
#include <kmem/vm_map.h>
#include <kmem/vm_page.h>
#include <kmem/vm_param.h>
#include <kmem/vm_phys.h>

#include "kmem_private.h"

#ifndef KMEM_COMMIT_LIMIT
#define KMEM_COMMIT_LIMIT	(64UL << 20)
#endif

#define ENTRY_SUBMAP	0x0100

struct vm_map_entry {
	struct vm_map_entry	*next;
	vm_offset_t		start;
	vm_offset_t		end;
	struct vm_map		*submap;
	int			eflags;		/* MAP_* | ENTRY_SUBMAP */
	vm_prot_t		prot;
};

struct vm_map kernel_map_store;
struct vm_map exec_map_store;
struct vm_map pipe_map_store;

/* ------------------------------------------------------- entry supply */

#define BOOT_ENTRIES	64
static struct vm_map_entry boot_entries[BOOT_ENTRIES];
static struct kmem_spin entry_lock = KMEM_SPIN_INITIALIZER("vm_map entries");
static struct vm_map_entry *entry_free;
static bool entry_boot_done;
static u_long entry_pages;

/*
 * Take an entry.  Returns NULL only when the boot pool is used up and the
 * page allocator has no page.  May allocate a page: call with map locks
 * held (kmem/spin.h), never with the entry lock held.
 */
static struct vm_map_entry *
entry_alloc(void)
{
	struct vm_map_entry *e;
	vm_page_t m;
	size_t i, n;
	int d;

	kmem_spin_lock(&entry_lock);
	if (!entry_boot_done) {
		for (i = 0; i < BOOT_ENTRIES; i++) {
			boot_entries[i].next = entry_free;
			entry_free = &boot_entries[i];
		}
		entry_boot_done = true;
	}
	e = entry_free;
	if (e != NULL)
		entry_free = e->next;
	kmem_spin_unlock(&entry_lock);
	if (e != NULL)
		goto out;

	m = NULL;
	for (d = 0; d < vm_ndomains && m == NULL; d++)
		m = vm_page_alloc_noobj_domain(d, VM_ALLOC_NOWAIT |
		    VM_ALLOC_WIRED);
	if (m == NULL)
		return (NULL);
	e = (struct vm_map_entry *)PHYS_TO_DMAP(VM_PAGE_TO_PHYS(m));
	n = PAGE_SIZE / sizeof(*e);
	kmem_spin_lock(&entry_lock);
	entry_pages++;
	for (i = 1; i < n; i++) {
		e[i].next = entry_free;
		entry_free = &e[i];
	}
	kmem_spin_unlock(&entry_lock);
out:
	memset(e, 0, sizeof(*e));
	return (e);
}

static void
entry_free_one(struct vm_map_entry *e)
{

	kmem_spin_lock(&entry_lock);
	e->next = entry_free;
	entry_free = e;
	kmem_spin_unlock(&entry_lock);
}

/* Pages taken from the page allocator for entries (never given back). */
u_long
vm_map_entry_pages(void)
{

	return (__atomic_load_n(&entry_pages, __ATOMIC_RELAXED));
}

/* ------------------------------------------------------- commit limit */

static struct kmem_spin commit_lock = KMEM_SPIN_INITIALIZER("commit");
static vm_size_t commit_used;

/*
 * Charge size bytes of pageable memory against the commit limit (the
 * firmware stand-in for swap_reserve).  False when it would pass the limit.
 */
bool
swap_reserve(vm_size_t size)
{
	bool ok;

	kmem_spin_lock(&commit_lock);
	ok = size <= KMEM_COMMIT_LIMIT - commit_used;
	if (ok)
		commit_used += size;
	kmem_spin_unlock(&commit_lock);
	return (ok);
}

void
swap_release(vm_size_t size)
{
	vm_size_t used;

	kmem_spin_lock(&commit_lock);
	used = commit_used;
	if (size <= used)
		commit_used = used - size;
	kmem_spin_unlock(&commit_lock);
	KMEM_CHECK(size <= used, ("swap_release: releasing %lu bytes but only "
	    "%lu are charged", (u_long)size, (u_long)used));
}

vm_size_t
swap_reserved(void)
{

	return (commit_used);
}

vm_size_t
swap_limit(void)
{

	return (KMEM_COMMIT_LIMIT);
}

/* --------------------------------------------------------------- maps */

void
vm_map_init(vm_map_t map, struct pmap *pmap, vm_offset_t min, vm_offset_t max)
{

	KMEM_CHECK(min < max && (min & PAGE_MASK) == 0 &&
	    (max & PAGE_MASK) == 0, ("vm_map_init: bad range 0x%lx-0x%lx",
	    min, max));
	memset(map, 0, sizeof(*map));
	kmem_spin_init(&map->lock, "vm_map");
	map->min_offset = min;
	map->max_offset = max;
	map->pmap = pmap;
	map->initialized = true;
}

void
vm_map_lock(vm_map_t map)
{

	kmem_spin_lock(&map->lock);
}

void
vm_map_unlock(vm_map_t map)
{

	kmem_spin_unlock(&map->lock);
}

void
vm_map_unlock_and_wait(vm_map_t map, int timo)
{

	(void)timo;
	if (md_sleep_would_deadlock()) {
		vm_map_unlock(map);
		panic("vm_map_unlock_and_wait: map %p [0x%lx-0x%lx) is full and "
		    "no other hart runs that could free space: the wait can "
		    "never end", (void *)map, map->min_offset, map->max_offset);
	}
	md_sleep(&map->needs_wakeup, &map->lock);
	kmem_spin_unlock(&map->lock);
}

void
vm_map_wakeup(vm_map_t map)
{

	md_wakeup(&map->needs_wakeup);
}

/*
 * The first hole of length bytes at or above start whose start is aligned
 * to align.  Returns the address, or map->max_offset when there is none
 * (so that addr + length > max tells the caller).  Map lock held.
 */
static vm_offset_t
findspace_aligned(vm_map_t map, vm_offset_t start, vm_size_t length,
    vm_size_t align)
{
	struct vm_map_entry *e;
	vm_offset_t addr;

	if (start < map->min_offset)
		start = map->min_offset;
	addr = roundup2(start, align);
	if (addr < start)
		return (map->max_offset);
	for (e = map->first; e != NULL; e = e->next) {
		if (e->end <= addr)
			continue;
		if (addr + length <= e->start && addr + length > addr)
			return (addr);
		addr = roundup2(e->end, align);
		if (addr < e->end)
			return (map->max_offset);
	}
	if (addr + length > addr && addr + length <= map->max_offset)
		return (addr);
	return (map->max_offset);
}

vm_offset_t
vm_map_findspace(vm_map_t map, vm_offset_t start, vm_size_t length)
{

	return (findspace_aligned(map, start, length, PAGE_SIZE));
}

/* Link a new entry [start, end); the range is known to be free. */
static int
map_link(vm_map_t map, vm_offset_t start, vm_offset_t end, int eflags,
    vm_prot_t prot, struct vm_map *submap)
{
	struct vm_map_entry *e, **pp;

	e = entry_alloc();
	if (e == NULL)
		return (KERN_RESOURCE_SHORTAGE);
	e->start = start;
	e->end = end;
	e->eflags = eflags;
	e->prot = prot;
	e->submap = submap;
	for (pp = &map->first; *pp != NULL && (*pp)->start < start;
	    pp = &(*pp)->next)
		;
	e->next = *pp;
	*pp = e;
	map->nentries++;
	map->size += end - start;
	return (KERN_SUCCESS);
}

/*
 * Insert [start, end) exactly.  Map lock held.  KERN_NO_SPACE when the
 * range is empty, unaligned, leaves the map or overlaps an entry.
 */
int
vm_map_insert(vm_map_t map, void *object, vm_pindex_t offset,
    vm_offset_t start, vm_offset_t end, vm_prot_t prot, vm_prot_t max,
    int cow)
{
	struct vm_map_entry *e;

	(void)object;
	(void)offset;
	(void)max;
	if (start >= end || (start & PAGE_MASK) != 0 || (end & PAGE_MASK) != 0 ||
	    start < map->min_offset || end > map->max_offset)
		return (KERN_NO_SPACE);
	for (e = map->first; e != NULL && e->start < end; e = e->next)
		if (e->end > start)
			return (KERN_NO_SPACE);
	return (map_link(map, start, end, cow & (MAP_NOFAULT |
	    MAP_ACC_CHARGED), prot, NULL));
}

/*
 * Find space for length bytes at or above *addr (VMFS_SUPER_SPACE: 2 MiB
 * aligned) below max_addr (0: the map's end) and insert it.  Takes and
 * drops the map lock.
 */
int
vm_map_find(vm_map_t map, void *object, vm_pindex_t offset, vm_offset_t *addr,
    vm_size_t length, vm_offset_t max_addr, int find_space, vm_prot_t prot,
    vm_prot_t max, int cow)
{
	vm_offset_t start;
	vm_size_t align;
	int rv;

	if (length == 0 || (length & PAGE_MASK) != 0)
		return (KERN_NO_SPACE);
	align = find_space == VMFS_SUPER_SPACE ? L2_SIZE : PAGE_SIZE;
	vm_map_lock(map);
	if (find_space == VMFS_NO_SPACE) {
		rv = vm_map_insert(map, object, offset, *addr, *addr + length,
		    prot, max, cow);
		vm_map_unlock(map);
		return (rv);
	}
	start = findspace_aligned(map, *addr, length, align);
	if (start + length > map->max_offset || start + length < start ||
	    (max_addr != 0 && start + length > max_addr)) {
		vm_map_unlock(map);
		return (KERN_NO_SPACE);
	}
	rv = vm_map_insert(map, object, offset, start, start + length, prot,
	    max, cow);
	vm_map_unlock(map);
	if (rv == KERN_SUCCESS)
		*addr = start;
	return (rv);
}

int
vm_map_submap(vm_map_t map, vm_offset_t start, vm_offset_t end,
    vm_map_t submap)
{
	struct vm_map_entry *e;
	int rv;

	rv = KERN_INVALID_ARGUMENT;
	vm_map_lock(map);
	for (e = map->first; e != NULL; e = e->next) {
		if (e->start == start && e->end == end &&
		    (e->eflags & ENTRY_SUBMAP) == 0 &&
		    submap->min_offset == start && submap->max_offset == end) {
			e->eflags |= ENTRY_SUBMAP;
			e->submap = submap;
			rv = KERN_SUCCESS;
			break;
		}
	}
	vm_map_unlock(map);
	return (rv);
}

/*
 * Unmap and free the pages backing [start, end) of a pageable entry, a
 * chunk at a time so that each chunk costs one pmap_remove (one shootdown).
 */
static void
unback_pageable(vm_offset_t start, vm_offset_t end)
{
	vm_page_t pages[64];
	vm_offset_t va, cs;
	vm_paddr_t pa;
	int i, n;

	for (cs = start; cs < end; cs = va) {
		n = 0;
		for (va = cs; va < end && n < (int)nitems(pages);
		    va += PAGE_SIZE) {
			pa = pmap_kextract(va);
			if (pa != 0)
				pages[n++] = PHYS_TO_VM_PAGE(pa);
		}
		if (n == 0)
			continue;
		pmap_remove(kernel_pmap, cs, va);
		for (i = 0; i < n; i++)
			vm_page_free(pages[i]);
	}
}

/*
 * Remove [start, end) from the map.  Map lock held.  Entries that
 * straddle an end are split; pageable pages are freed and their charge
 * returned.  A range that covers a submap entry (a submap lives as long as
 * the system) panics, and so does a split with no entry left for the
 * tail; both are found before anything changes, and either panic drops the
 * map lock first.
 */
int
vm_map_delete(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	struct vm_map_entry *e, **pp, *tail;
	vm_offset_t s, t;

	if (start >= end || start < map->min_offset || end > map->max_offset)
		return (KERN_INVALID_ADDRESS);
	tail = NULL;
	for (e = map->first; e != NULL && e->start < end; e = e->next) {
		if (e->end <= start)
			continue;
		if ((e->eflags & ENTRY_SUBMAP) != 0) {
			vm_map_unlock(map);
			panic("vm_map_delete: map %p: range 0x%lx-0x%lx "
			    "covers submap 0x%lx-0x%lx", (void *)map, start,
			    end, e->start, e->end);
		}
		/* At most one entry straddles end: its tail stays. */
		if (e->end > end && (tail = entry_alloc()) == NULL) {
			vm_map_unlock(map);
			panic("vm_map_delete: no entry to split "
			    "0x%lx-0x%lx at 0x%lx", e->start, e->end, end);
		}
	}
	pp = &map->first;
	while ((e = *pp) != NULL && e->start < end) {
		if (e->end <= start) {
			pp = &e->next;
			continue;
		}
		s = e->start > start ? e->start : start;
		t = e->end < end ? e->end : end;
		if (e->end > t) {	/* the tail that stays */
			*tail = *e;
			tail->start = t;
			e->end = t;
			e->next = tail;
			map->nentries++;
		}
		if ((e->eflags & MAP_ACC_CHARGED) != 0) {
			unback_pageable(s, t);
			swap_release(t - s);
		}
		map->size -= t - s;
		if (e->start < s) {		/* a head stays */
			e->end = s;
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		map->nentries--;
		entry_free_one(e);
	}
	return (KERN_SUCCESS);
}

/*
 * Whether [start, end) is exactly one entry of @map (the map lock held):
 * what kmap_free_wakeup checks before it deletes anything.
 */
bool
vm_map_range_is_entry(vm_map_t map, vm_offset_t start, vm_offset_t end)
{
	struct vm_map_entry *e;

	for (e = map->first; e != NULL && e->start < start; e = e->next)
		;
	return (e != NULL && e->start == start && e->end == end &&
	    (e->eflags & ENTRY_SUBMAP) == 0);
}

/* ------------------------------------------------------ demand faults */

/* The innermost map entry that holds va, with that map locked. */
static struct vm_map_entry *
lookup_locked(vm_map_t map, vm_offset_t va, vm_map_t *mapp)
{
	struct vm_map_entry *e;
	vm_map_t sub;

	vm_map_lock(map);
	for (;;) {
		for (e = map->first; e != NULL && e->start <= va; e = e->next)
			if (va < e->end)
				break;
		if (e == NULL || e->start > va) {
			*mapp = map;
			return (NULL);
		}
		if ((e->eflags & ENTRY_SUBMAP) == 0) {
			*mapp = map;
			return (e);
		}
		sub = e->submap;
		vm_map_lock(sub);
		vm_map_unlock(map);
		map = sub;
	}
}

/*
 * kmem_fault_resolver: a touch of a pageable (kmap_alloc_wait) page that
 * is not backed yet maps a zeroed page.  Returns false for every other
 * fault, so the report says what the address is.
 */
static bool
vm_map_fault(vm_offset_t va, int access)
{
	struct vm_map_entry *e;
	vm_map_t map;
	vm_page_t m;
	int d, dom0, tries;

	if (!kernel_map->initialized || va < kernel_map->min_offset ||
	    va >= kernel_map->max_offset || access == KMEM_ACC_EXEC)
		return (false);
	e = lookup_locked(kernel_map, va, &map);
	if (e == NULL || (e->eflags & MAP_ACC_CHARGED) == 0) {
		vm_map_unlock(map);
		return (false);
	}
	va = trunc_page(va);
	if (pmap_kextract(va) != 0) {		/* another hart was first */
		vm_map_unlock(map);
		return (true);
	}
	m = NULL;
	dom0 = md_cpu_domain(kmem_cpuid());
	for (tries = 0; m == NULL && tries < 2; tries++) {
		for (d = 0; d < vm_ndomains && m == NULL; d++)
			m = vm_page_alloc_noobj_domain((dom0 + d) % vm_ndomains,
			    VM_ALLOC_NOWAIT | VM_ALLOC_ZERO | VM_ALLOC_WIRED);
		if (m == NULL && tries == 0) {
			vm_map_unlock(map);
			(void)vm_lowmem_trigger(VM_LOW_PAGES);
			e = lookup_locked(kernel_map, va, &map);
			if (e == NULL || (e->eflags & MAP_ACC_CHARGED) == 0) {
				vm_map_unlock(map);
				return (false);
			}
		}
	}
	if (m == NULL)
		panic("vm_map_fault: no free page for the demand-zero fault at "
		    "0x%lx", va);
	if (pmap_enter(kernel_pmap, va, m, VM_PROT_RW, VM_PROT_RW |
	    PMAP_ENTER_WIRED, 0) != KERN_SUCCESS)
		panic("vm_map_fault: cannot map the demand-zero page at 0x%lx",
		    va);
	vm_map_unlock(map);
	return (true);
}

/* Called once by kmem_init(). */
void vm_map_startup(void);

void
vm_map_startup(void)
{

	kmem_fault_resolver = vm_map_fault;
}

vm_size_t
vm_map_size(vm_map_t map)
{
	vm_size_t size;

	vm_map_lock(map);
	size = map->size;
	vm_map_unlock(map);
	return (size);
}

int
vm_map_nentries(vm_map_t map)
{
	int n;

	vm_map_lock(map);
	n = map->nentries;
	vm_map_unlock(map);
	return (n);
}

void
vm_map_print(vm_map_t map)
{
	struct vm_map_entry *e;

	kmem_printf("map %p [0x%lx-0x%lx): %d entries, %lu KiB\n", (void *)map,
	    map->min_offset, map->max_offset, map->nentries,
	    (u_long)(map->size >> 10));
	for (e = map->first; e != NULL; e = e->next)
		kmem_printf("  0x%lx-0x%lx %8lu KiB %s%s%s\n", e->start, e->end,
		    (u_long)((e->end - e->start) >> 10),
		    (e->eflags & ENTRY_SUBMAP) ? "submap " : "",
		    (e->eflags & MAP_NOFAULT) ? "nofault " : "",
		    (e->eflags & MAP_ACC_CHARGED) ? "pageable" : "");
}
