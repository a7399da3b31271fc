/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_phys.c: physical segments per NUMA domain and the buddy allocator.
 *
 * Layout.  Each domain has one array of struct vm_page (8 bytes each) for
 * all its managed pages, segment after segment, from physmem_early_alloc()
 * in the domain itself; nothing else is kept per page.  Pages are named by
 * their index in the domain's array ("idx"); buddy arithmetic uses
 * physical page numbers ("pfn"), so blocks are naturally aligned in
 * physical memory.  A block never leaves its segment.
 *
 * Free lists.  Per domain and order, a doubly linked list of block heads;
 * links are 27-bit indices (next in vp_next, prev in vp_info with the
 * state and the "known zero" bit; vm_phys_private.h has the encoding).
 *
 * Which structs are meaningful.  Writing all structs at boot costs more
 * than the boot budget, so the structs inside a chunk (2^MAXORDER pages,
 * the largest block) that is one free block are not written: they hold
 * whatever the memory held.  Every other struct always says what its page
 * is: allocated, cached, head of a free block, or inside a free block
 * (VPI_ST_INNER).  The first struct of a whole chunk is always written,
 * and when the chunk is one free block it carries VPN_FREEMAX, so:
 *  - a page is free if its chunk's first struct has VPN_FREEMAX, else its
 *    own struct says (vm_phys_page_state: two loads, no bitmap);
 *  - a free max-order block whose inner structs are not all VPI_ST_INNER
 *    (boot, or a whole chunk freed at once) lacks VPN_INNER_OK; the first
 *    time it is split they are written (2^MAXORDER stores, once per chunk
 *    and then only after a chunk-sized free);
 *  - coalescing reads the buddy's first struct only below MAXORDER, i.e.
 *    inside the freed block's own chunk, which is not one free block, so
 *    that struct is meaningful;
 *  - at boot, chunks cut by a segment edge or an early allocation are
 *    written in full (few: at most two per segment and early range).
 * Contiguous runs are found from the free lists: first a single block
 * that can hold the run, then maximal stretches of adjacent free blocks.
 */
#include <string.h>

#include <kmem/domainset.h>
#include <kmem/physmem.h>

#include "vm_phys_private.h"

int vm_ndomains;
struct vm_domain vm_dom[MAXMEMDOM];
struct vm_phys_seg vm_phys_segs[VM_PHYS_MAX_SEGS];
int vm_phys_nsegs;
/* The lookup tables of kmem/vm_page.h (written by vm_phys_init only). */
struct vm_page_segtab vm_page_segtab[VM_PHYS_MAX_SEGS + 1];
struct vm_page_domtab vm_page_domtab[MAXMEMDOM];
static u_long vm_phys_meta_bytes;

#define MAXORDER	(VM_NFREEORDER - 1)
#define NO_PFN		(~0UL)

_Static_assert(VM_CHUNK_SHIFT == MAXORDER, "a chunk is a max-order block");

/* ------------------------------------------------------------ helpers */

struct vm_phys_seg *
vm_phys_seg_of(struct vm_domain *vmd, u_long idx)
{
	struct vm_phys_seg *seg;
	int i;

	for (i = 0; i < vmd->vmd_nsegs; i++) {
		seg = &vm_phys_segs[vmd->vmd_seg_first + i];
		if (idx - seg->base < seg->epfn - seg->spfn)
			return (seg);
	}
	return (NULL);
}

static inline vm_paddr_t
idx_to_pa(struct vm_domain *vmd, u_long idx)
{
	struct vm_phys_seg *seg;

	seg = vm_phys_seg_of(vmd, idx);
	if (seg == NULL)
		return ((vm_paddr_t)-1);
	return (ptoa(seg->spfn + (idx - seg->base)));
}

static inline u_long
seg_idx(const struct vm_phys_seg *seg, u_long pfn)
{

	return (seg->base + (pfn - seg->spfn));
}

/* First pfn of pfn's chunk if the chunk is wholly in seg, else NO_PFN. */
static inline u_long
chunk_whole(const struct vm_phys_seg *seg, u_long pfn)
{
	u_long c;

	c = pfn & ~(VM_CHUNK_PAGES - 1);
	if (c < seg->spfn || c + VM_CHUNK_PAGES > seg->epfn)
		return (NO_PFN);
	return (c);
}

/* Does chunk c of seg (chunk_whole's answer) form one free block? */
static inline bool
chunk_free(struct vm_domain *vmd, const struct vm_phys_seg *seg, u_long c)
{

	return (c != NO_PFN && (VM_LOAD_WORD(&vmd->vmd_pages[seg_idx(seg,
	    c)].vp_next) & VPN_FREEMAX) != 0);
}

int
vm_phys_page_state(struct vm_domain *vmd, const struct vm_phys_seg *seg,
    u_long idx)
{

	if (chunk_free(vmd, seg, chunk_whole(seg, seg->spfn + (idx -
	    seg->base))))
		return (VM_PS_FREE);
	return (vm_page_info_state(vmd->vmd_pages[idx].vp_info));
}

int
vm_phys_pa_state(vm_paddr_t pa)
{
	struct vm_phys_seg *seg;
	int i;

	for (i = 0; i < vm_phys_nsegs; i++) {
		seg = &vm_phys_segs[i];
		if (pa >= seg->start && pa < seg->end)
			return (vm_phys_page_state(&vm_dom[seg->domain], seg,
			    seg->base + (atop(pa) - seg->spfn)));
	}
	return (-1);
}

/* -------------------------------------------------------- free lists */

static inline void
set_prev(struct vm_page *m, uint32_t prev)
{

	m->vp_info = (m->vp_info & ((1U << VPI_PREV_SHIFT) - 1)) |
	    (prev << VPI_PREV_SHIFT);
}

static inline void
set_next(struct vm_page *m, uint32_t next)
{

	VM_STORE_WORD(&m->vp_next, (m->vp_next & ~VPN_LINK) | next);
}

static inline void
set_inner(struct vm_page *m)
{

	VM_STORE_WORD(&m->vp_next, VPN_INNER);
	m->vp_info = VPI_ST_INNER;
}

/*
 * Mark structs [idx, idx + n) as inside a free block.  None of them is
 * the first struct of a chunk, which is the only one read without the
 * domain lock, so plain stores do.
 */
static void
init_inner(struct vm_page *pages, u_long idx, u_long n)
{
	struct vm_page *m, *end;

	m = &pages[idx];
	end = m + n;
	for (; m + 4 <= end; m += 4) {
		m[0].vp_next = VPN_INNER;
		m[0].vp_info = VPI_ST_INNER;
		m[1].vp_next = VPN_INNER;
		m[1].vp_info = VPI_ST_INNER;
		m[2].vp_next = VPN_INNER;
		m[2].vp_info = VPI_ST_INNER;
		m[3].vp_next = VPN_INNER;
		m[3].vp_info = VPI_ST_INNER;
	}
	for (; m < end; m++) {
		m->vp_next = VPN_INNER;
		m->vp_info = VPI_ST_INNER;
	}
}

/*
 * Put the block at idx on list order.  A max-order head gets VPN_FREEMAX,
 * and VPN_INNER_OK when inner_ok says its other structs are VPI_ST_INNER.
 */
static inline void
fl_insert(struct vm_domain *vmd, int order, u_long idx, bool zero,
    bool inner_ok)
{
	struct vm_page *pages;
	uint32_t head, next;

	pages = vmd->vmd_pages;
	head = vmd->vmd_freeq[order];
	next = head | VPN_FREE;
	if (order == MAXORDER)
		next |= VPN_FREEMAX | (inner_ok ? VPN_INNER_OK : 0);
	VM_STORE_WORD(&pages[idx].vp_next, next);
	pages[idx].vp_info = (VM_PIDX_NONE << VPI_PREV_SHIFT) |
	    (zero ? VPI_ZERO : 0) | (uint32_t)(order + 1);
	if (head != VM_PIDX_NONE)
		set_prev(&pages[head], (uint32_t)idx);
	vmd->vmd_freeq[order] = (uint32_t)idx;
	vmd->vmd_nblocks[order]++;
	vmd->vmd_nonempty |= 1U << order;
	VM_STORE_WORD(&vmd->vmd_free, vmd->vmd_free + (1UL << order));
}

/*
 * Take the block at idx off list order.  Its vp_next becomes 0 at once (a
 * max-order head's chunk is no longer one free block); the caller writes
 * the struct's new state before dropping the lock.
 */
static inline void
fl_remove(struct vm_domain *vmd, int order, u_long idx)
{
	struct vm_page *pages;
	uint32_t next, prev;

	pages = vmd->vmd_pages;
	next = pages[idx].vp_next & VPN_LINK;
	prev = pages[idx].vp_info >> VPI_PREV_SHIFT;
	if (prev == VM_PIDX_NONE)
		vmd->vmd_freeq[order] = next;
	else
		set_next(&pages[prev], next);
	if (next != VM_PIDX_NONE)
		set_prev(&pages[next], prev);
	VM_STORE_WORD(&pages[idx].vp_next, 0);
	vmd->vmd_nblocks[order]--;
	if (vmd->vmd_freeq[order] == VM_PIDX_NONE)
		vmd->vmd_nonempty &= ~(1U << order);
	VM_STORE_WORD(&vmd->vmd_free, vmd->vmd_free - (1UL << order));
}

/*
 * Put the allocated block [idx, idx + 2^order) of seg on the free lists,
 * merging it with free buddies.  Domain lock held.
 */
static void
vm_phys_free_block(struct vm_domain *vmd, struct vm_phys_seg *seg, u_long idx,
    int order, bool zero)
{
	struct vm_page *pages;
	u_long bidx, bpfn, pfn;
	uint32_t info, next, st;
	bool inner_ok;

	pages = vmd->vmd_pages;
	pfn = seg->spfn + (idx - seg->base);
	/*
	 * A whole chunk freed at once keeps its allocated inner structs:
	 * VPN_FREEMAX overrides them, and the first split rewrites them.
	 */
	inner_ok = order < MAXORDER;
	if (order > 0 && order < MAXORDER)
		init_inner(pages, idx + 1, (1UL << order) - 1);
	while (order < MAXORDER) {
		bpfn = pfn ^ (1UL << order);
		if (bpfn < seg->spfn || bpfn + (1UL << order) > seg->epfn)
			break;
		bidx = seg_idx(seg, bpfn);
		next = VM_LOAD_WORD(&pages[bidx].vp_next);
		if ((next & (VPN_FREE | VPN_INNER)) == 0)
			break;		/* allocated or cached */
		info = pages[bidx].vp_info;
		st = info & VPI_STATE;
		KMEM_CHECK((next & VPN_FREE) != 0 && st - 1 <= (uint32_t)order,
		    ("vm_phys_free_block: buddy at 0x%lx of a freed order-%d "
		    "block has link flags 0x%x, state %u (corrupt lists)",
		    (u_long)ptoa(bpfn), order, next & ~VPN_LINK, st));
		if (st - 1 != (uint32_t)order)
			break;
		fl_remove(vmd, order, bidx);
		zero = zero && (info & VPI_ZERO) != 0;
		/* The upper head of the two is inside the merged block. */
		set_inner(&pages[bpfn > pfn ? bidx : seg_idx(seg, pfn)]);
		pfn &= ~(1UL << order);
		order++;
	}
	fl_insert(vmd, order, seg_idx(seg, pfn), zero, inner_ok);
	atomic_fetch_add(&vm_free_gen, 1);
}

/* Order of the largest aligned block at pfn that ends by end (> pfn). */
static inline int
block_order_at(u_long pfn, u_long end)
{
	int order;

	order = kmem_ffsl(pfn) - 1;
	if (order < 0 || order > MAXORDER)
		order = MAXORDER;
	while ((1UL << order) > end - pfn)
		order--;
	return (order);
}

/*
 * Put [pfn, end) of seg on the lists as maximal aligned blocks, without
 * merging: at boot, and for what a carved block holds outside its run
 * (no such piece has a free buddy).  write_inner: the pieces' inner
 * structs are not yet VPI_ST_INNER (boot; max-order pieces stay unwritten
 * and lack VPN_INNER_OK).  Domain lock held.
 */
static void
vm_phys_insert_pfns(struct vm_domain *vmd, struct vm_phys_seg *seg,
    u_long pfn, u_long end, bool zero, bool write_inner)
{
	u_long idx;
	int order;

	while (pfn < end) {
		order = block_order_at(pfn, end);
		idx = seg_idx(seg, pfn);
		if (write_inner && order < MAXORDER)
			init_inner(vmd->vmd_pages, idx + 1, (1UL << order) - 1);
		fl_insert(vmd, order, idx, zero, !write_inner);
		pfn += 1UL << order;
	}
}

/*
 * Free [pfn, end) of seg (allocated pages) as maximal aligned blocks, each
 * merged with free buddies.  Domain lock held.
 */
static void
vm_phys_free_pfns(struct vm_domain *vmd, struct vm_phys_seg *seg, u_long pfn,
    u_long end, bool zero)
{
	int order;

	while (pfn < end) {
		order = block_order_at(pfn, end);
		vm_phys_free_block(vmd, seg, seg_idx(seg, pfn), order, zero);
		pfn += 1UL << order;
	}
}

void
vm_phys_free_range(struct vm_domain *vmd, struct vm_phys_seg *seg, u_long idx,
    u_long n)
{
	u_long pfn;

	pfn = seg->spfn + (idx - seg->base);
	vm_phys_free_pfns(vmd, seg, pfn, pfn + n, false);
}

void
vm_phys_free_page(struct vm_domain *vmd, u_long idx, bool zero)
{
	struct vm_phys_seg *seg;

	seg = vm_phys_seg_of(vmd, idx);
	KMEM_CHECK(seg != NULL, ("vm_phys_free_page: index %lu outside the "
	    "domain's segments", idx));
	vm_phys_free_block(vmd, seg, idx, 0, zero);
}

/*
 * Take the free block at idx (order, on its list) off the list and make
 * all of its structs meaningful.  Returns its "known zero" bit.
 */
static bool
vm_phys_take_block(struct vm_domain *vmd, int order, u_long idx)
{
	struct vm_page *m;
	uint32_t info, next;

	m = &vmd->vmd_pages[idx];
	info = m->vp_info;
	next = m->vp_next;
	KMEM_CHECK((info & VPI_STATE) == (uint32_t)order + 1 &&
	    (next & VPN_FREE) != 0,
	    ("vm_phys_take_block: free block at 0x%lx on the order-%d list "
	    "has state %u (corrupt lists)", (u_long)idx_to_pa(vmd, idx), order,
	    info & VPI_STATE));
	fl_remove(vmd, order, idx);
	if (order == MAXORDER && (next & VPN_INNER_OK) == 0)
		init_inner(vmd->vmd_pages, idx + 1, VM_CHUNK_PAGES - 1);
	return ((info & VPI_ZERO) != 0);
}

uint32_t
vm_phys_alloc_block(struct vm_domain *vmd, int order, bool *zero)
{
	uint32_t idx;
	u_int mask;
	int j;

	mask = vmd->vmd_nonempty & (~0U << order);
	if (mask == 0)
		return (VM_PIDX_NONE);
	j = kmem_ffsl(mask) - 1;
	idx = vmd->vmd_freeq[j];
	*zero = vm_phys_take_block(vmd, j, idx);
	while (j > order) {
		j--;
		fl_insert(vmd, j, idx + (1UL << j), *zero, true);
	}
	return (idx);
}

/* ------------------------------------------------ contiguous runs */

/*
 * What the lock holder knows of page pfn of seg without owning it, from
 * vp_next (vm_phys_private.h): VPN_FREE, VPN_INNER or 0 (allocated or
 * cached).  The page's chunk must not be one free block.
 */
static inline uint32_t
pfn_flags(struct vm_domain *vmd, const struct vm_phys_seg *seg, u_long pfn)
{

	return (VM_LOAD_WORD(&vmd->vmd_pages[seg_idx(seg, pfn)].vp_next) &
	    (VPN_FREE | VPN_INNER));
}

/* The order of the free block whose head is pfn (VPN_FREE is set). */
static inline int
pfn_order(struct vm_domain *vmd, const struct vm_phys_seg *seg, u_long pfn)
{

	return ((int)(vmd->vmd_pages[seg_idx(seg, pfn)].vp_info & VPI_STATE) -
	    1);
}

/*
 * The free block that holds free page pfn of seg: its order, its first
 * pfn in *headp; -1 if the page is allocated or cached.  Domain lock held.
 */
static int
vm_phys_block_of(struct vm_domain *vmd, struct vm_phys_seg *seg, u_long pfn,
    u_long *headp)
{
	u_long c, q;
	uint32_t f;
	int k, o;

	c = chunk_whole(seg, pfn);
	if (chunk_free(vmd, seg, c)) {
		*headp = c;
		return (MAXORDER);
	}
	f = pfn_flags(vmd, seg, pfn);
	if (f == 0)
		return (-1);
	if (f == VPN_FREE) {
		*headp = pfn;
		return (pfn_order(vmd, seg, pfn));
	}
	/* Inside a block: its head is the first aligned struct not inner. */
	for (k = 1; k < MAXORDER; k++) {
		q = pfn & ~((1UL << k) - 1);
		if (q < seg->spfn)
			break;
		f = pfn_flags(vmd, seg, q);
		if (f == VPN_INNER)
			continue;
		if (f == VPN_FREE && (o = pfn_order(vmd, seg, q)) >= k) {
			*headp = q;
			return (o);
		}
		break;
	}
	panic("vm_phys_block_of: page 0x%lx is inside a free block but no "
	    "free block holds it (corrupt lists)", (u_long)ptoa(pfn));
}

/*
 * The order of the free block that starts at pfn, which follows a free
 * block; -1 if pfn is allocated or cached.  Domain lock held.
 */
static int
vm_phys_head_at(struct vm_domain *vmd, struct vm_phys_seg *seg, u_long pfn)
{
	u_long c;
	uint32_t f;

	c = chunk_whole(seg, pfn);
	if (chunk_free(vmd, seg, c)) {
		KMEM_CHECK(c == pfn, ("vm_phys_head_at: free block ending at "
		    "0x%lx overlaps the free chunk at 0x%lx (corrupt lists)",
		    (u_long)ptoa(pfn), (u_long)ptoa(c)));
		return (MAXORDER);
	}
	f = pfn_flags(vmd, seg, pfn);
	if (f == 0)
		return (-1);
	KMEM_CHECK(f == VPN_FREE, ("vm_phys_head_at: page 0x%lx after a free "
	    "block is inside another one (corrupt lists)", (u_long)ptoa(pfn)));
	return (pfn_order(vmd, seg, pfn));
}

/*
 * The first s >= lo with [s, s + n) inside [lo, hi), s a multiple of
 * alignpg, the run not crossing a multiple of boundpg (0: none; else a
 * power of two >= n); NO_PFN if there is none.
 */
static u_long
run_fit(u_long lo, u_long hi, u_long n, u_long alignpg, u_long boundpg)
{
	u_long s;

	s = roundup2(lo, alignpg);
	if (s < lo)
		return (NO_PFN);
	if (boundpg != 0 && ((s ^ (s + n - 1)) & ~(boundpg - 1)) != 0) {
		/* Every start before the next multiple crosses it too. */
		s = roundup2(roundup2(s, boundpg), alignpg);
		if (s < lo)
			return (NO_PFN);
	}
	if (s >= hi || hi - s < n)
		return (NO_PFN);
	return (s);
}

/*
 * Take the free run [s, s + n) (pfns in seg; every page free) off the
 * free lists.  Every block that holds part of the run is removed; what it
 * holds outside the run goes back.  The run's structs are written as
 * allocated, with the "known zero" bit of the block each page came from.
 */
static void
vm_phys_carve(struct vm_domain *vmd, struct vm_phys_seg *seg, u_long s,
    u_long n)
{
	struct vm_page *pages;
	u_long bend, end, h, q, qend;
	uint32_t zinfo;
	int k;

	pages = vmd->vmd_pages;
	end = s + n;
	for (q = s; q < end; q = bend) {
		k = vm_phys_block_of(vmd, seg, q, &h);
		KMEM_CHECK(k >= 0, ("vm_phys_alloc_run: page 0x%lx of the run "
		    "at 0x%lx is not free (corrupt lists)", (u_long)ptoa(q),
		    (u_long)ptoa(s)));
		zinfo = vm_phys_take_block(vmd, k, seg_idx(seg, h)) ?
		    VPI_ZERO : 0;
		bend = h + (1UL << k);
		qend = bend < end ? bend : end;
		for (; q < qend; q++) {
			VM_STORE_WORD(&pages[seg_idx(seg, q)].vp_next, 0);
			pages[seg_idx(seg, q)].vp_info = zinfo;
		}
		if (h < s)
			vm_phys_insert_pfns(vmd, seg, h, s, zinfo != 0, false);
		if (bend > end)
			vm_phys_insert_pfns(vmd, seg, end, bend, zinfo != 0,
			    false);
	}
}

uint32_t
vm_phys_alloc_run(struct vm_domain *vmd, u_long npages, u_long lowpfn,
    u_long highpfn, u_long alignpg, u_long boundpg)
{
	struct vm_phys_seg *seg;
	struct vm_page *pages;
	u_long end, h, hi, lo, pfn, s;
	uint32_t idx;
	int k, o;

	pages = vmd->vmd_pages;
	/*
	 * A single free block of order >= log2(npages) that can hold the
	 * run: the common case, a walk of those lists only.
	 */
	if (npages <= VM_CHUNK_PAGES) {
		for (k = 0; (1UL << k) < npages; k++)
			;
		for (o = k; o <= MAXORDER; o++)
			for (idx = vmd->vmd_freeq[o]; idx != VM_PIDX_NONE;
			    idx = pages[idx].vp_next & VPN_LINK) {
				seg = vm_phys_seg_of(vmd, idx);
				pfn = seg->spfn + (idx - seg->base);
				lo = pfn > lowpfn ? pfn : lowpfn;
				hi = pfn + (1UL << o);
				hi = hi < highpfn ? hi : highpfn;
				if (lo >= hi)
					continue;
				s = run_fit(lo, hi, npages, alignpg, boundpg);
				if (s != NO_PFN)
					goto found;
			}
	}
	/*
	 * Runs over several adjacent free blocks: each maximal stretch of
	 * free blocks once, from the block it starts with.
	 */
	for (o = 0; o <= MAXORDER; o++)
		for (idx = vmd->vmd_freeq[o]; idx != VM_PIDX_NONE;
		    idx = pages[idx].vp_next & VPN_LINK) {
			seg = vm_phys_seg_of(vmd, idx);
			pfn = seg->spfn + (idx - seg->base);
			if (pfn >= highpfn || (pfn > seg->spfn &&
			    vm_phys_block_of(vmd, seg, pfn - 1, &h) >= 0))
				continue;
			end = pfn + (1UL << o);
			while (end < seg->epfn && end < highpfn &&
			    (k = vm_phys_head_at(vmd, seg, end)) >= 0)
				end += 1UL << k;
			lo = pfn > lowpfn ? pfn : lowpfn;
			hi = end < highpfn ? end : highpfn;
			if (lo >= hi)
				continue;
			s = run_fit(lo, hi, npages, alignpg, boundpg);
			if (s != NO_PFN)
				goto found;
		}
	return (VM_PIDX_NONE);
found:
	vm_phys_carve(vmd, seg, s, npages);
	return ((uint32_t)seg_idx(seg, s));
}

/* -------------------------------------------------------------- init */

static int
seg_cmp_domain(const struct vm_phys_seg *a, const struct vm_phys_seg *b)
{

	if (a->domain != b->domain)
		return (a->domain < b->domain ? -1 : 1);
	return (a->start < b->start ? -1 : a->start > b->start);
}

/*
 * Mark early allocations inside seg as allocated, and put the rest of seg
 * on the free lists: whole free chunks as max-order blocks whose inner
 * structs stay unwritten, the rest (chunks cut by the segment's ends or an
 * early allocation) with every struct written.
 */
static void
vm_phys_init_seg(struct vm_domain *vmd, struct vm_phys_seg *seg)
{
	u_long es[PHYSMEM_MAX_EARLY], ee[PHYSMEM_MAX_EARLY];
	u_long a, b, cur, i, j, n, t;
	int e;

	n = 0;
	for (e = 0; e < physmem.nearly; e++) {
		a = atop(physmem.early[e].start);
		b = atop(round_page(physmem.early[e].end));
		if (a < seg->spfn)
			a = seg->spfn;
		if (b > seg->epfn)
			b = seg->epfn;
		if (a >= b)
			continue;
		/* Insertion sort by start. */
		for (j = n; j > 0 && es[j - 1] > a; j--) {
			es[j] = es[j - 1];
			ee[j] = ee[j - 1];
		}
		es[j] = a;
		ee[j] = b;
		n++;
	}
	cur = seg->spfn;
	for (i = 0; i < n; i++) {
		if (es[i] > cur)
			vm_phys_insert_pfns(vmd, seg, cur, es[i], false,
			    true);
		a = es[i] > cur ? es[i] : cur;
		if (ee[i] > a) {
			for (t = a; t < ee[i]; t++) {
				VM_STORE_WORD(&vmd->vmd_pages[seg_idx(seg,
				    t)].vp_next, 0);
				vmd->vmd_pages[seg_idx(seg, t)].vp_info = 0;
			}
			cur = ee[i];
		}
	}
	if (cur < seg->epfn)
		vm_phys_insert_pfns(vmd, seg, cur, seg->epfn, false, true);
}

/*
 * The free fast path's range of domain d: its longest physically
 * contiguous run of segments (their structs are consecutive too), from
 * the run's first chunk boundary on.  Inside it, the struct of a page's
 * chunk head is the page's struct with the offset from vmd_fast_first
 * rounded down to a chunk: a whole chunk's first struct, or a struct of a
 * chunk cut by a segment edge, which is always meaningful and never has
 * VPN_FREEMAX.  Before it, the run's cut first chunk (vmd_cut_bytes of
 * structs): written in full at boot, so a page's own struct is exact.
 */
static void
vm_phys_init_fast(struct vm_domain *vmd)
{
	struct vm_phys_seg *seg;
	u_long best, bestn, cutn, first, n, rstart, rbase;
	int i;

	best = bestn = cutn = 0;
	rbase = 0;
	rstart = NO_PFN;
	for (i = 0; i < vmd->vmd_nsegs; i++) {
		seg = &vm_phys_segs[vmd->vmd_seg_first + i];
		if (i == 0 || seg->spfn != seg[-1].epfn) {
			rstart = seg->spfn;
			rbase = seg->base;
		}
		first = roundup2(rstart, VM_CHUNK_PAGES);
		if (first >= seg->epfn)
			continue;
		n = seg->epfn - first;
		if (n > bestn) {
			bestn = n;
			best = rbase + (first - rstart);
			cutn = first - rstart;
		}
	}
	vmd->vmd_fast_idx = best;
	vmd->vmd_fast_first = &vmd->vmd_pages[best];
	vmd->vmd_fast_bytes = bestn * sizeof(struct vm_page);
	vmd->vmd_cut_bytes = cutn * sizeof(struct vm_page);
}

/*
 * Fill the lookup tables of kmem/vm_page.h.  Segments are sorted by domain
 * and start, and a domain's structs follow its segments' order, so a
 * segment that starts where the previous one of its domain ends continues
 * that entry.  The entry after the last one stays all zero (the end).
 */
static void
vm_phys_init_tables(int nd)
{
	struct vm_page_segtab *ps;
	struct vm_phys_seg *seg;
	int d, i, n;

	for (d = 0; d < nd; d++) {
		vm_page_domtab[d].pd_first = (uintptr_t)vm_dom[d].vmd_pages;
		vm_page_domtab[d].pd_bytes = vm_dom[d].vmd_bytes;
	}
	ps = NULL;
	n = 0;
	for (i = 0; i < vm_phys_nsegs; i++) {
		seg = &vm_phys_segs[i];
		if (ps != NULL && ps->ps_domain == seg->domain &&
		    ps->ps_start + ps->ps_size == seg->start &&
		    ps->ps_first + ps->ps_bytes == (uintptr_t)seg->first) {
			ps->ps_size += seg->end - seg->start;
			ps->ps_bytes += (seg->epfn - seg->spfn) *
			    sizeof(struct vm_page);
			continue;
		}
		ps = &vm_page_segtab[n++];
		ps->ps_start = seg->start;
		ps->ps_size = seg->end - seg->start;
		ps->ps_first = (uintptr_t)seg->first;
		ps->ps_bytes = (seg->epfn - seg->spfn) * sizeof(struct vm_page);
		ps->ps_domain = seg->domain;
	}
	/* The end (field by field: picolibc's memset is a byte loop). */
	ps = &vm_page_segtab[n];
	ps->ps_start = 0;
	ps->ps_size = 0;
	ps->ps_first = 0;
	ps->ps_bytes = 0;
	ps->ps_domain = 0;
}

int
vm_phys_init(void)
{
	struct vm_phys_seg tmp, *seg;
	struct vm_domain *vmd;
	u_long npages, total;
	vm_paddr_t pa;
	vm_size_t size;
	int d, i, j, nd;

	if (vm_ndomains != 0)
		return (EBUSY);
	nd = physmem.ndomains;
	if (physmem.nmanaged <= 0 || nd < 1)
		return (EINVAL);
	if (nd > MAXMEMDOM || physmem.nmanaged > VM_PHYS_MAX_SEGS)
		return (E2BIG);

	/* Segments: the managed ranges, grouped by domain. */
	vm_phys_nsegs = 0;
	for (i = 0; i < physmem.nmanaged; i++) {
		if (physmem.managed[i].end <= physmem.managed[i].start ||
		    physmem.managed[i].domain < 0 ||
		    physmem.managed[i].domain >= nd)
			continue;
		seg = &vm_phys_segs[vm_phys_nsegs++];
		seg->start = physmem.managed[i].start;
		seg->end = physmem.managed[i].end;
		seg->spfn = atop(seg->start);
		seg->epfn = atop(seg->end);
		seg->domain = physmem.managed[i].domain;
	}
	if (vm_phys_nsegs == 0)
		return (EINVAL);
	for (i = 1; i < vm_phys_nsegs; i++) {
		tmp = vm_phys_segs[i];
		for (j = i; j > 0 && seg_cmp_domain(&vm_phys_segs[j - 1],
		    &tmp) > 0; j--)
			vm_phys_segs[j] = vm_phys_segs[j - 1];
		vm_phys_segs[j] = tmp;
	}
	for (d = 0; d < nd; d++) {
		vmd = &vm_dom[d];
		memset(vmd, 0, sizeof(*vmd));
		kmem_spin_init(&vmd->vmd_lock, "vm domain free");
		vmd->vmd_seg_first = -1;
		for (i = 0; i < VM_NFREEORDER; i++)
			vmd->vmd_freeq[i] = VM_PIDX_NONE;
	}
	for (i = 0; i < vm_phys_nsegs; i++) {
		seg = &vm_phys_segs[i];
		vmd = &vm_dom[seg->domain];
		if (vmd->vmd_seg_first < 0)
			vmd->vmd_seg_first = i;
		vmd->vmd_nsegs++;
		seg->base = vmd->vmd_npages;
		vmd->vmd_npages += seg->epfn - seg->spfn;
		if (vmd->vmd_npages >= VM_PIDX_NONE) {
			vm_phys_nsegs = 0;
			return (E2BIG);
		}
	}

	/* Metadata: the page structs, in each domain. */
	vm_phys_meta_bytes = 0;
	total = 0;
	for (d = 0; d < nd; d++) {
		vmd = &vm_dom[d];
		npages = vmd->vmd_npages;
		if (npages == 0)
			continue;
		size = npages * sizeof(struct vm_page);
		pa = physmem_early_alloc(d, size, PAGE_SIZE, "vm_page array");
		if (pa == 0) {
			kmem_printf("vm_phys_init: domain %d cannot hold its "
			    "page metadata (%lu bytes)\n", d, (u_long)size);
			vm_phys_nsegs = 0;
			return (ENOMEM);
		}
		vmd->vmd_meta_pa = pa;
		vmd->vmd_meta_size = size;
		vmd->vmd_pages = (struct vm_page *)PHYS_TO_DMAP(pa);
		vmd->vmd_bytes = size;
		vm_phys_meta_bytes += size;
		total += npages;
		vmd->vmd_free_min = npages / 256 > 8 ? npages / 256 : 8;
	}
	for (i = 0; i < vm_phys_nsegs; i++) {
		seg = &vm_phys_segs[i];
		seg->first = &vm_dom[seg->domain].vmd_pages[seg->base];
		vm_phys_init_seg(&vm_dom[seg->domain], seg);
	}
	for (d = 0; d < nd; d++)
		if (vm_dom[d].vmd_npages != 0)
			vm_phys_init_fast(&vm_dom[d]);
	vm_phys_init_tables(nd);
	vm_ndomains = nd;
	physmem.early_closed = true;
	kmem_printf("vm_phys: %d domain(s), %d segment(s), %lu pages "
	    "(%lu MiB); page metadata %lu bytes = %lu.%03lu bytes/page\n", nd,
	    vm_phys_nsegs, total, total >> (20 - PAGE_SHIFT),
	    vm_phys_meta_bytes, total ? vm_phys_meta_bytes / total : 0,
	    total ? vm_phys_meta_bytes * 1000 / total % 1000 : 0);
	return (0);
}

void
vm_phys_reset_for_test(void)
{

	memset(vm_dom, 0, sizeof(vm_dom));
	memset(vm_phys_segs, 0, sizeof(vm_phys_segs));
	memset(vm_pcpu, 0, sizeof(vm_pcpu));
	memset(vm_page_segtab, 0, sizeof(vm_page_segtab));
	memset(vm_page_domtab, 0, sizeof(vm_page_domtab));
	vm_phys_nsegs = 0;
	vm_ndomains = 0;
	vm_phys_meta_bytes = 0;
}

/* ------------------------------------------------------------ queries */

int
vm_phys_domain(vm_paddr_t pa)
{
	const struct vm_page_segtab *ps;

	for (ps = vm_page_segtab; ps->ps_size != 0; ps++)
		if (pa - ps->ps_start < ps->ps_size)
			return ((int)ps->ps_domain);
	return (-1);
}

/* Add the free blocks of one order of vmd to st's segments (vmd locked). */
static void
vm_phys_stats_segs(struct vm_phys_stats *st, struct vm_domain *vmd,
    int order)
{
	vm_paddr_t pa;
	uint32_t idx;
	u_long n;
	int i;

	n = 0;
	for (idx = vmd->vmd_freeq[order]; idx != VM_PIDX_NONE && n < (1UL <<
	    VM_PIDX_BITS); idx = vmd->vmd_pages[idx].vp_next & VPN_LINK, n++) {
		pa = idx_to_pa(vmd, idx);
		for (i = 0; i < st->nsegs; i++) {
			if (pa >= st->segs[i].start && pa < st->segs[i].end) {
				st->segs[i].free += 1UL << order;
				break;
			}
		}
	}
}

void
vm_phys_stats(struct vm_phys_stats *st)
{
	struct vm_domain *vmd;
	u_long cached;
	int c, d, i;

	memset(st, 0, sizeof(*st));
	st->ndomains = vm_ndomains;
	st->nsegs = vm_phys_nsegs;
	for (i = 0; i < vm_phys_nsegs; i++) {
		st->segs[i].start = vm_phys_segs[i].start;
		st->segs[i].end = vm_phys_segs[i].end;
		st->segs[i].domain = vm_phys_segs[i].domain;
	}
	for (d = 0; d < vm_ndomains; d++) {
		vmd = &vm_dom[d];
		cached = 0;
		for (c = 0; c < MAXCPU; c++)
			cached += pc_count_peek(&vm_pcpu[c].pc_dom[d]);
		kmem_spin_lock(&vmd->vmd_lock);
		st->dom[d].npages = vmd->vmd_npages;
		st->dom[d].free = vmd->vmd_free + cached;
		st->dom[d].cached = cached;
		st->dom[d].free_min = vmd->vmd_free_min;
		for (i = 0; i < VM_NFREEORDER; i++) {
			st->dom[d].blocks[i] = vmd->vmd_nblocks[i];
			vm_phys_stats_segs(st, vmd, i);
		}
		kmem_spin_unlock(&vmd->vmd_lock);
	}
	st->meta_bytes = vm_phys_meta_bytes;
	for (d = 0, i = 0; d < vm_ndomains; d++)
		st->meta_milli_per_page += vm_dom[d].vmd_npages;
	st->meta_milli_per_page = st->meta_milli_per_page == 0 ? 0 :
	    vm_phys_meta_bytes * 1000 / st->meta_milli_per_page;
}

void
vm_phys_print_stats(const struct vm_phys_stats *st)
{
	int d, i;

	kmem_printf("vm_phys: %d domain(s), %d segment(s), metadata %lu bytes "
	    "(%lu.%03lu bytes/page)\n", st->ndomains, st->nsegs,
	    st->meta_bytes, st->meta_milli_per_page / 1000,
	    st->meta_milli_per_page % 1000);
	for (i = 0; i < st->nsegs; i++)
		kmem_printf("  segment %d: [0x%09lx, 0x%09lx) domain %d, %lu "
		    "pages\n", i, (u_long)st->segs[i].start,
		    (u_long)st->segs[i].end, st->segs[i].domain,
		    (u_long)atop(st->segs[i].end - st->segs[i].start));
	for (d = 0; d < st->ndomains; d++) {
		kmem_printf("  domain %d: %lu pages, %lu free (%lu in caches), "
		    "min %lu; free blocks per order:", d, st->dom[d].npages,
		    st->dom[d].free, st->dom[d].cached, st->dom[d].free_min);
		for (i = 0; i < VM_NFREEORDER; i++)
			kmem_printf(" %lu", st->dom[d].blocks[i]);
		kmem_printf("\n");
	}
}

u_long
vm_phys_free_blocks(int domain, int order, vm_paddr_t *pa, u_long max)
{
	struct vm_domain *vmd;
	uint32_t idx;
	u_long n;

	if (domain < 0 || domain >= vm_ndomains || order < 0 ||
	    order >= VM_NFREEORDER)
		return (0);
	vmd = &vm_dom[domain];
	n = 0;
	kmem_spin_lock(&vmd->vmd_lock);
	for (idx = vmd->vmd_freeq[order]; idx != VM_PIDX_NONE && n < (1UL <<
	    VM_PIDX_BITS); idx = vmd->vmd_pages[idx].vp_next & VPN_LINK) {
		if (n < max)
			pa[n] = idx_to_pa(vmd, idx);
		n++;
	}
	kmem_spin_unlock(&vmd->vmd_lock);
	return (n);
}

/* ------------------------------------------------------------- check */

#define CHECK_FAIL(...) do {						\
	kmem_printf("vm_phys_check: " __VA_ARGS__);			\
	kmem_printf("\n");						\
	return (-1);							\
} while (0)

/*
 * Pass 1: the lists (links, states, flags, placement, inner structs,
 * coalescing, counters).  Pass 2: every segment page by page in address
 * order (a free chunk at once): each free page is in a listed block of the
 * order found, blocks do not overlap, and the counts per order agree.
 */
static int
vm_phys_check_domain(int d)
{
	struct vm_domain *vmd;
	struct vm_phys_seg *seg;
	struct vm_page *pages;
	u_long bpfn, c, cnt, free, i, nb, pfn, found[VM_NFREEORDER];
	uint32_t flags, idx, info, next, prev, st;
	int ci, o, s;

	vmd = &vm_dom[d];
	pages = vmd->vmd_pages;
	free = 0;
	for (o = 0; o < VM_NFREEORDER; o++) {
		nb = 0;
		prev = VM_PIDX_NONE;
		for (idx = vmd->vmd_freeq[o]; idx != VM_PIDX_NONE;
		    idx = next) {
			if (idx >= vmd->vmd_npages)
				CHECK_FAIL("domain %d order %d: index %u out of "
				    "range", d, o, idx);
			if (++nb > vmd->vmd_npages)
				CHECK_FAIL("domain %d order %d: list loops", d,
				    o);
			info = pages[idx].vp_info;
			next = pages[idx].vp_next & VPN_LINK;
			flags = pages[idx].vp_next & ~VPN_LINK;
			seg = vm_phys_seg_of(vmd, idx);
			pfn = seg->spfn + (idx - seg->base);
			if ((info & VPI_STATE) != (uint32_t)o + 1 ||
			    (info >> VPI_PREV_SHIFT) != prev)
				CHECK_FAIL("domain %d order %d: block 0x%lx has "
				    "info 0x%x (prev expected %u)", d, o,
				    (u_long)ptoa(pfn), info, prev);
			if (o == MAXORDER ? (flags & VPN_FREEMAX) == 0 ||
			    (flags & ~(VPN_FREEMAX | VPN_INNER_OK)) !=
			    VPN_FREE : flags != VPN_FREE)
				CHECK_FAIL("domain %d: block 0x%lx order %d has "
				    "link flags 0x%x", d, (u_long)ptoa(pfn), o,
				    flags);
			if ((pfn & ((1UL << o) - 1)) != 0 ||
			    pfn + (1UL << o) > seg->epfn)
				CHECK_FAIL("domain %d: block 0x%lx order %d "
				    "misaligned or outside its segment", d,
				    (u_long)ptoa(pfn), o);
			if (o < MAXORDER || (flags & VPN_INNER_OK) != 0)
				for (i = 1; i < (1UL << o); i++)
					if (pages[idx + i].vp_info !=
					    VPI_ST_INNER ||
					    pages[idx + i].vp_next != VPN_INNER)
						CHECK_FAIL("domain %d: page "
						    "0x%lx inside free block "
						    "0x%lx order %d is not "
						    "marked inner", d,
						    (u_long)ptoa(pfn + i),
						    (u_long)ptoa(pfn), o);
			if (o < MAXORDER) {
				bpfn = pfn ^ (1UL << o);
				if (bpfn >= seg->spfn && bpfn + (1UL << o) <=
				    seg->epfn && (pages[seg_idx(seg,
				    bpfn)].vp_next & VPN_FREE) != 0 &&
				    pfn_order(vmd, seg, bpfn) == o)
					CHECK_FAIL("domain %d: free buddies "
					    "0x%lx and 0x%lx of order %d not "
					    "merged", d, (u_long)ptoa(pfn),
					    (u_long)ptoa(bpfn), o);
			}
			free += 1UL << o;
			prev = idx;
		}
		if (nb != vmd->vmd_nblocks[o])
			CHECK_FAIL("domain %d order %d: %lu blocks listed, "
			    "counter says %lu", d, o, nb, vmd->vmd_nblocks[o]);
		if ((nb != 0) != ((vmd->vmd_nonempty >> o) & 1))
			CHECK_FAIL("domain %d order %d: non-empty bit wrong", d,
			    o);
	}
	if (free != vmd->vmd_free)
		CHECK_FAIL("domain %d: %lu pages listed, counter says %lu", d,
		    free, vmd->vmd_free);
	for (o = 0; o < VM_NFREEORDER; o++)
		found[o] = 0;
	for (s = 0; s < vmd->vmd_nsegs; s++) {
		seg = &vm_phys_segs[vmd->vmd_seg_first + s];
		for (pfn = seg->spfn; pfn < seg->epfn; ) {
			c = chunk_whole(seg, pfn);
			if (c == pfn && chunk_free(vmd, seg, c)) {
				found[MAXORDER]++;
				pfn += VM_CHUNK_PAGES;
				continue;
			}
			info = pfn_flags(vmd, seg, pfn);
			if (info == 0) {
				pfn++;
				continue;
			}
			st = info == VPN_FREE ? (uint32_t)pfn_order(vmd, seg,
			    pfn) + 1 : VPI_ST_INNER;
			if (st == VPI_ST_INNER || st - 1 >= MAXORDER ||
			    (pfn & ((1UL << (st - 1)) - 1)) != 0 ||
			    pfn + (1UL << (st - 1)) > seg->epfn)
				CHECK_FAIL("domain %d: page 0x%lx has state %u "
				    "where a free block or an allocated page "
				    "must start", d, (u_long)ptoa(pfn), st);
			found[st - 1]++;
			pfn += 1UL << (st - 1);
		}
	}
	for (o = 0; o < VM_NFREEORDER; o++)
		if (found[o] != vmd->vmd_nblocks[o])
			CHECK_FAIL("domain %d order %d: %lu free blocks in "
			    "memory order, %lu listed (overlap, or a free page "
			    "on no list)", d, o, found[o], vmd->vmd_nblocks[o]);
	/* Caches: every entry is a cached page. */
	for (ci = 0; ci < MAXCPU; ci++) {
		cnt = 0;
		idx = vm_pcpu[ci].pc_dom[d].pc_head;
		for (i = 0; i < vm_pcpu[ci].pc_dom[d].pc_count; i++) {
			seg = idx < vmd->vmd_npages ? vm_phys_seg_of(vmd, idx) :
			    NULL;
			if (seg == NULL || vm_phys_page_state(vmd, seg, idx) !=
			    VM_PS_CACHED)
				CHECK_FAIL("domain %d: cpu %d cache entry %lu "
				    "(index %u) is not a cached page", d, ci, i,
				    idx);
			idx = pages[idx].vp_next;
			cnt++;
		}
	}
	return (0);
}

int
vm_phys_check(void)
{
	struct vm_domain *vmd;
	int d, error;

	if (!KMEM_INVARIANTS)
		return (0);
	for (d = 0; d < vm_ndomains; d++) {
		vmd = &vm_dom[d];
		kmem_spin_lock(&vmd->vmd_lock);
		error = vm_phys_check_domain(d);
		kmem_spin_unlock(&vmd->vmd_lock);
		if (error != 0)
			return (error);
	}
	return (0);
}
