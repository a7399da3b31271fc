/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vm_phys.c: physical segments per NUMA domain and the buddy allocator.
 *
 * Layout.  Each domain has one array of struct vm_page (8 bytes each) for
 * all its managed pages, segment after segment, and right after it a
 * bitmap with one bit per page: 1 = allocated (to a user, to the early
 * allocator, or sitting in a hart's page cache), 0 = on a free list.  Both
 * come from physmem_early_alloc() in the domain itself.  Pages are named by
 * their index in the domain's array ("idx"); buddy arithmetic uses
 * physical page numbers ("pfn"), so blocks are naturally aligned in
 * physical memory.  A block never leaves its segment.
 *
 * Free lists.  Per domain and order, a doubly linked list of block heads;
 * links are 27-bit indices (next in vp_next, prev in vp_info with the
 * order and the "known zero" bit).  Only block heads are ever written
 * while free; the other pages of a free block keep whatever the memory
 * held (the early allocator's memory is not zeroed).
 *
 * Why garbage is never read.  The lists are always fully coalesced (two
 * free buddies of order < max are always merged).  Then, when a block X of
 * order k is freed, its buddy B's first page is either allocated (bitmap
 * 1) or the head of a free block of order <= k: a free block that held
 * B's first page without starting there would be larger than B, aligned,
 * and would contain X, which is allocated.  So the coalescing loop reads
 * B's struct only when the bitmap says 0, and then it is a head.  By the
 * same argument, an aligned 2^k range (k <= max) that is all free and in
 * one segment lies inside one free block; vm_phys_alloc_run uses this to
 * find the blocks that hold a run from the bitmap alone.
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
static uint64_t vm_phys_init_instret;
static u_long vm_phys_meta_bytes;

#define MAXORDER	(VM_NFREEORDER - 1)

/* ------------------------------------------------------------ bitmap */

/* Set (set) or clear bits [i, i + n). */
static void
bm_fill(uint64_t *bm, u_long i, u_long n, bool set)
{
	u_long b, cnt, end, mask;

	end = i + n;
	while (i < end) {
		b = i & 63;
		cnt = 64 - b;
		if (cnt > end - i)
			cnt = end - i;
		mask = (cnt == 64 ? ~0UL : ((1UL << cnt) - 1)) << b;
		if (set)
			vm_bm_set_word(bm, i >> 6, mask);
		else
			vm_bm_clear_word(bm, i >> 6, mask);
		i += cnt;
	}
}

/* First index in [i, end) whose bit equals set; end if none. */
static u_long
bm_find(const uint64_t *bm, u_long i, u_long end, bool set)
{
	u_long r, w;

	while (i < end) {
		w = bm[i >> 6];
		if (!set)
			w = ~w;
		w &= ~0UL << (i & 63);
		if (w != 0) {
			r = (i & ~63UL) + (u_long)kmem_ffsl(w) - 1;
			return (r < end ? r : end);
		}
		i = (i | 63) + 1;
	}
	return (end);
}

/* -------------------------------------------------------- free lists */

static inline vm_paddr_t
idx_to_pa(struct vm_domain *vmd, u_long idx)
{
	struct vm_phys_seg *seg;

	seg = vm_phys_seg_of(vmd, idx);
	if (seg == NULL)
		return ((vm_paddr_t)-1);
	return (ptoa(seg->spfn + (idx - seg->base)));
}

static inline void
set_prev(struct vm_page *m, uint32_t prev)
{

	m->vp_info = (m->vp_info & ((1U << VPI_PREV_SHIFT) - 1)) |
	    (prev << VPI_PREV_SHIFT);
}

static inline void
fl_insert(struct vm_domain *vmd, int order, u_long idx, bool zero)
{
	struct vm_page *pages;
	uint32_t head;

	pages = vmd->vmd_pages;
	head = vmd->vmd_freeq[order];
	pages[idx].vp_next = head;
	pages[idx].vp_info = (VM_PIDX_NONE << VPI_PREV_SHIFT) |
	    (zero ? VPI_ZERO : 0) | (uint32_t)order;
	if (head != VM_PIDX_NONE)
		set_prev(&pages[head], (uint32_t)idx);
	vmd->vmd_freeq[order] = (uint32_t)idx;
	vmd->vmd_nblocks[order]++;
	vmd->vmd_nonempty |= 1U << order;
	VM_STORE_WORD(&vmd->vmd_free, vmd->vmd_free + (1UL << order));
}

static inline void
fl_remove(struct vm_domain *vmd, int order, u_long idx)
{
	struct vm_page *pages;
	uint32_t next, prev;

	pages = vmd->vmd_pages;
	next = pages[idx].vp_next;
	prev = pages[idx].vp_info >> VPI_PREV_SHIFT;
	if (prev == VM_PIDX_NONE)
		vmd->vmd_freeq[order] = next;
	else
		pages[prev].vp_next = next;
	if (next != VM_PIDX_NONE)
		set_prev(&pages[next], prev);
	vmd->vmd_nblocks[order]--;
	if (vmd->vmd_freeq[order] == VM_PIDX_NONE)
		vmd->vmd_nonempty &= ~(1U << order);
	VM_STORE_WORD(&vmd->vmd_free, vmd->vmd_free - (1UL << order));
}

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

static inline u_long
seg_idx(const struct vm_phys_seg *seg, u_long pfn)
{

	return (seg->base + (pfn - seg->spfn));
}

/*
 * Put the allocated block [idx, idx + 2^order) of seg on the free lists,
 * merging it with free buddies.  Domain lock held.
 */
static void
vm_phys_free_block(struct vm_domain *vmd, struct vm_phys_seg *seg, u_long idx,
    int order, bool zero)
{
	uint64_t *bm;
	u_long bidx, bpfn, pfn;
	uint32_t info;
	int border;

	bm = vmd->vmd_allocmap;
	pfn = seg->spfn + (idx - seg->base);
	if (order == 0)
		vm_bm_clear_word(bm, idx >> 6, 1UL << (idx & 63));
	else
		bm_fill(bm, idx, 1UL << order, false);
	while (order < MAXORDER) {
		bpfn = pfn ^ (1UL << order);
		if (bpfn < seg->spfn || bpfn + (1UL << order) > seg->epfn)
			break;
		bidx = seg_idx(seg, bpfn);
		if (vm_bm_test(bm, bidx))
			break;
		info = vmd->vmd_pages[bidx].vp_info;
		border = (int)(info & VPI_ORDER);
		if (border != order) {
			KMEM_CHECK(border < order, ("vm_phys_free_block: free "
			    "buddy at 0x%lx has order %d > %d (corrupt lists)",
			    (u_long)ptoa(bpfn), border, order));
			break;
		}
		fl_remove(vmd, order, bidx);
		zero = zero && (info & VPI_ZERO) != 0;
		pfn &= ~(1UL << order);
		order++;
	}
	fl_insert(vmd, order, seg_idx(seg, pfn), zero);
	atomic_fetch_add(&vm_free_gen, 1);
}

/*
 * Free [pfn, end) of seg, whose bitmap bits are set, as maximal aligned
 * blocks (each merged with free buddies).  Domain lock held.
 */
static void
vm_phys_free_pfns(struct vm_domain *vmd, struct vm_phys_seg *seg, u_long pfn,
    u_long end, bool zero)
{
	int order;

	while (pfn < end) {
		order = kmem_ffsl(pfn) - 1;
		if (order < 0 || order > MAXORDER)
			order = MAXORDER;
		while ((1UL << order) > end - pfn)
			order--;
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

uint32_t
vm_phys_alloc_block(struct vm_domain *vmd, int order, bool *zero)
{
	uint32_t idx, info;
	u_int mask;
	int j;

	mask = vmd->vmd_nonempty & (~0U << order);
	if (mask == 0)
		return (VM_PIDX_NONE);
	j = kmem_ffsl(mask) - 1;
	idx = vmd->vmd_freeq[j];
	info = vmd->vmd_pages[idx].vp_info;
	KMEM_CHECK((info & VPI_ORDER) == (uint32_t)j &&
	    !vm_bm_test(vmd->vmd_allocmap, idx), ("vm_phys_alloc_block: head "
	    "of order-%d list at 0x%lx has order %u or is allocated "
	    "(corrupt lists)", j, (u_long)idx_to_pa(vmd, idx),
	    info & VPI_ORDER));
	*zero = (info & VPI_ZERO) != 0;
	fl_remove(vmd, j, idx);
	while (j > order) {
		j--;
		fl_insert(vmd, j, idx + (1UL << j), *zero);
	}
	if (order == 0)
		vm_bm_set_word(vmd->vmd_allocmap, idx >> 6,
		    1UL << (idx & 63));
	else
		bm_fill(vmd->vmd_allocmap, idx, 1UL << order, true);
	return (idx);
}

/* ------------------------------------------------ contiguous runs */

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
	uint64_t *bm;
	struct vm_page *pages;
	u_long bend, end, h, hidx, nh, oh, oi, p, q, qend;
	uint32_t info, zinfo;
	int k;

	bm = vmd->vmd_allocmap;
	pages = vmd->vmd_pages;
	end = s + n;
	for (p = s; p < end; p = bend) {
		/* The largest free aligned range around p is its block. */
		h = p;
		for (k = 0; k < MAXORDER; k++) {
			nh = p & ~((2UL << k) - 1);
			if (nh < seg->spfn || nh + (2UL << k) > seg->epfn)
				break;
			oh = nh == h ? h + (1UL << k) : nh;
			oi = seg_idx(seg, oh);
			if (bm_find(bm, oi, oi + (1UL << k), true) !=
			    oi + (1UL << k))
				break;
			h = nh;
		}
		hidx = seg_idx(seg, h);
		info = pages[hidx].vp_info;
		KMEM_CHECK(!vm_bm_test(bm, hidx) &&
		    (info & VPI_ORDER) == (uint32_t)k, ("vm_phys_alloc_run: "
		    "free range at 0x%lx is not a block of order %d (order %u, "
		    "corrupt lists)", (u_long)ptoa(h), k, info & VPI_ORDER));
		fl_remove(vmd, k, hidx);
		bend = h + (1UL << k);
		bm_fill(bm, hidx, 1UL << k, true);
		zinfo = info & VPI_ZERO;
		q = h > s ? h : s;
		qend = bend < end ? bend : end;
		for (; q < qend; q++) {
			pages[seg_idx(seg, q)].vp_next = 0;
			pages[seg_idx(seg, q)].vp_info = zinfo;
		}
		if (h < s)
			vm_phys_free_pfns(vmd, seg, h, s, zinfo != 0);
		if (bend > end)
			vm_phys_free_pfns(vmd, seg, end, bend, zinfo != 0);
	}
}

uint32_t
vm_phys_alloc_run(struct vm_domain *vmd, u_long npages, u_long lowpfn,
    u_long highpfn, u_long alignpg, u_long boundpg)
{
	struct vm_phys_seg *seg;
	u_long f, hi, i0, lo, s, ns, z;
	int i;

	for (i = 0; i < vmd->vmd_nsegs; i++) {
		seg = &vm_phys_segs[vmd->vmd_seg_first + i];
		lo = seg->spfn > lowpfn ? seg->spfn : lowpfn;
		hi = seg->epfn < highpfn ? seg->epfn : highpfn;
		if (lo >= hi || hi - lo < npages)
			continue;
		s = roundup2(lo, alignpg);
		while (s >= lo && s < hi && hi - s >= npages) {
			if (boundpg != 0 &&
			    ((s ^ (s + npages - 1)) & ~(boundpg - 1)) != 0) {
				ns = roundup2(s + 1, boundpg);
				ns = roundup2(ns, alignpg);
				if (ns <= s)
					break;
				s = ns;
				continue;
			}
			i0 = seg_idx(seg, s);
			f = bm_find(vmd->vmd_allocmap, i0, i0 + npages, true);
			if (f == i0 + npages) {
				vm_phys_carve(vmd, seg, s, npages);
				return ((uint32_t)i0);
			}
			z = bm_find(vmd->vmd_allocmap, f, seg_idx(seg, hi),
			    false);
			ns = roundup2(seg->spfn + (z - seg->base), alignpg);
			if (ns <= s)
				break;
			s = ns;
		}
	}
	return (VM_PIDX_NONE);
}

/* -------------------------------------------------------------- init */

/* Insert [pfn, end) of seg as maximal blocks; boot only (no merging). */
static void
vm_phys_init_range(struct vm_domain *vmd, struct vm_phys_seg *seg, u_long pfn,
    u_long end)
{
	int order;

	while (pfn < end) {
		order = kmem_ffsl(pfn) - 1;
		if (order < 0 || order > MAXORDER)
			order = MAXORDER;
		while ((1UL << order) > end - pfn)
			order--;
		fl_insert(vmd, order, seg_idx(seg, pfn), false);
		pfn += 1UL << order;
	}
}

static int
seg_cmp_domain(const struct vm_phys_seg *a, const struct vm_phys_seg *b)
{

	if (a->domain != b->domain)
		return (a->domain < b->domain ? -1 : 1);
	return (a->start < b->start ? -1 : a->start > b->start);
}

/*
 * Mark early allocations inside seg as allocated (bitmap and structs), and
 * put the rest of seg on the free lists.
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
			vm_phys_init_range(vmd, seg, cur, es[i]);
		a = es[i] > cur ? es[i] : cur;
		if (ee[i] > a) {
			bm_fill(vmd->vmd_allocmap, seg_idx(seg, a), ee[i] - a,
			    true);
			for (t = a; t < ee[i]; t++) {
				vmd->vmd_pages[seg_idx(seg, t)].vp_next = 0;
				vmd->vmd_pages[seg_idx(seg, t)].vp_info = 0;
			}
			cur = ee[i];
		}
	}
	if (cur < seg->epfn)
		vm_phys_init_range(vmd, seg, cur, seg->epfn);
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
	uint64_t t0, t1;
	u_long npages, per_gib, total, words;
	vm_paddr_t pa;
	vm_size_t size;
	int d, i, j, nd;

	t0 = md_instret();
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

	/* Metadata: page structs, then the bitmap, in each domain. */
	vm_phys_meta_bytes = 0;
	total = 0;
	for (d = 0; d < nd; d++) {
		vmd = &vm_dom[d];
		npages = vmd->vmd_npages;
		if (npages == 0)
			continue;
		words = howmany(npages, 64);
		size = npages * sizeof(struct vm_page) + words * 8;
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
		vmd->vmd_bytes = npages * sizeof(struct vm_page);
		vmd->vmd_allocmap = (uint64_t *)(vmd->vmd_pages + npages);
		for (i = 0; i + 4 <= (int)words; i += 4) {
			vmd->vmd_allocmap[i] = 0;
			vmd->vmd_allocmap[i + 1] = 0;
			vmd->vmd_allocmap[i + 2] = 0;
			vmd->vmd_allocmap[i + 3] = 0;
		}
		for (; i < (int)words; i++)
			vmd->vmd_allocmap[i] = 0;
		/* Bits past the last page read as allocated. */
		if ((npages & 63) != 0)
			vmd->vmd_allocmap[words - 1] = ~0UL << (npages & 63);
		vm_phys_meta_bytes += size;
		total += npages;
		vmd->vmd_free_min = npages / 256 > 8 ? npages / 256 : 8;
	}
	for (i = 0; i < vm_phys_nsegs; i++) {
		seg = &vm_phys_segs[i];
		seg->first = &vm_dom[seg->domain].vmd_pages[seg->base];
		vm_phys_init_seg(&vm_dom[seg->domain], seg);
	}
	vm_phys_init_tables(nd);
	vm_ndomains = nd;
	physmem.early_closed = true;
	domainset_init();
	t1 = md_instret();
	vm_phys_init_instret = t1 - t0;

	per_gib = total != 0 ? (u_long)(vm_phys_init_instret *
	    (1UL << (30 - PAGE_SHIFT)) / total) : 0;
	kmem_printf("vm_phys: %d domain(s), %d segment(s), %lu pages "
	    "(%lu MiB); page metadata %lu bytes = %lu.%03lu bytes/page; "
	    "init %lu instructions (%lu per GiB)\n", nd, vm_phys_nsegs, total,
	    total >> (20 - PAGE_SHIFT), vm_phys_meta_bytes,
	    total ? vm_phys_meta_bytes / total : 0,
	    total ? vm_phys_meta_bytes * 1000 / total % 1000 : 0,
	    (u_long)vm_phys_init_instret, per_gib);
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
	vm_phys_init_instret = 0;
}

/* ------------------------------------------------------------ queries */

int
(vm_phys_domain)(vm_paddr_t pa)
{

	return (vm_phys_domain_inl(pa));
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
		for (i = 0; i < VM_NFREEORDER; i++)
			st->dom[d].blocks[i] = vmd->vmd_nblocks[i];
		kmem_spin_unlock(&vmd->vmd_lock);
	}
	st->meta_bytes = vm_phys_meta_bytes;
	for (d = 0, i = 0; d < vm_ndomains; d++)
		st->meta_milli_per_page += vm_dom[d].vmd_npages;
	st->meta_milli_per_page = st->meta_milli_per_page == 0 ? 0 :
	    vm_phys_meta_bytes * 1000 / st->meta_milli_per_page;
	st->init_instret = vm_phys_init_instret;
}

void
vm_phys_print_stats(const struct vm_phys_stats *st)
{
	int d, i;

	kmem_printf("vm_phys: %d domain(s), %d segment(s), metadata %lu bytes "
	    "(%lu.%03lu bytes/page), init %lu instructions\n", st->ndomains,
	    st->nsegs, st->meta_bytes, st->meta_milli_per_page / 1000,
	    st->meta_milli_per_page % 1000, (u_long)st->init_instret);
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
	    VM_PIDX_BITS); idx = vmd->vmd_pages[idx].vp_next) {
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
	goto bad;							\
} while (0)

static int
vm_phys_check_domain(int d)
{
	struct vm_domain *vmd;
	struct vm_phys_seg *seg;
	struct vm_page *pages;
	uint64_t *bm;
	u_long bpfn, cnt, free, i, nb, pfn, words;
	uint32_t idx, info, prev;
	int c, o, pass;

	vmd = &vm_dom[d];
	pages = vmd->vmd_pages;
	bm = vmd->vmd_allocmap;
	free = 0;
	/* Pass 1: links, orders, placement, coalescing, counters. */
	for (o = 0; o < VM_NFREEORDER; o++) {
		nb = 0;
		prev = VM_PIDX_NONE;
		for (idx = vmd->vmd_freeq[o]; idx != VM_PIDX_NONE;
		    idx = pages[idx].vp_next) {
			if (idx >= vmd->vmd_npages)
				CHECK_FAIL("domain %d order %d: index %u out of "
				    "range", d, o, idx);
			if (++nb > vmd->vmd_npages)
				CHECK_FAIL("domain %d order %d: list loops", d,
				    o);
			info = pages[idx].vp_info;
			seg = vm_phys_seg_of(vmd, idx);
			pfn = seg->spfn + (idx - seg->base);
			if ((info & VPI_ORDER) != (uint32_t)o ||
			    (info >> VPI_PREV_SHIFT) != prev)
				CHECK_FAIL("domain %d order %d: block 0x%lx has "
				    "info 0x%x (prev expected %u)", d, o,
				    (u_long)ptoa(pfn), info, prev);
			if ((pfn & ((1UL << o) - 1)) != 0 ||
			    pfn + (1UL << o) > seg->epfn)
				CHECK_FAIL("domain %d: block 0x%lx order %d "
				    "misaligned or outside its segment", d,
				    (u_long)ptoa(pfn), o);
			if (bm_find(bm, idx, idx + (1UL << o), true) !=
			    idx + (1UL << o))
				CHECK_FAIL("domain %d: free block 0x%lx order "
				    "%d has allocated pages", d,
				    (u_long)ptoa(pfn), o);
			if (o < MAXORDER) {
				bpfn = pfn ^ (1UL << o);
				if (bpfn >= seg->spfn && bpfn + (1UL << o) <=
				    seg->epfn && !vm_bm_test(bm, seg_idx(seg,
				    bpfn)) && (pages[seg_idx(seg, bpfn)].vp_info
				    & VPI_ORDER) == (uint32_t)o)
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
	/*
	 * Pass 2: mark every listed block in the bitmap (a block found
	 * marked overlaps another); then every page must be marked; pass 3
	 * clears the marks again.
	 */
	for (pass = 2; pass <= 3; pass++) {
		for (o = 0; o < VM_NFREEORDER; o++)
			for (idx = vmd->vmd_freeq[o]; idx != VM_PIDX_NONE;
			    idx = pages[idx].vp_next) {
				if (pass == 2 && bm_find(bm, idx, idx +
				    (1UL << o), true) != idx + (1UL << o))
					goto overlap;
				bm_fill(bm, idx, 1UL << o, pass == 2);
			}
		if (pass == 2) {
			words = howmany(vmd->vmd_npages, 64);
			i = bm_find(bm, 0, vmd->vmd_npages, false);
			if (i != vmd->vmd_npages) {
				/* Undo the marks before failing. */
				for (o = 0; o < VM_NFREEORDER; o++)
					for (idx = vmd->vmd_freeq[o];
					    idx != VM_PIDX_NONE;
					    idx = pages[idx].vp_next)
						bm_fill(bm, idx, 1UL << o,
						    false);
				CHECK_FAIL("domain %d: free page 0x%lx is on no "
				    "list", d, (u_long)idx_to_pa(vmd, i));
			}
			(void)words;
		}
	}
	/* Caches: every entry allocated in the bitmap and marked cached. */
	for (c = 0; c < MAXCPU; c++) {
		cnt = 0;
		idx = vm_pcpu[c].pc_dom[d].pc_head;
		for (i = 0; i < vm_pcpu[c].pc_dom[d].pc_count; i++) {
			if (idx >= vmd->vmd_npages || !vm_bm_test(bm, idx) ||
			    (pages[idx].vp_info & VPI_CACHED) == 0)
				CHECK_FAIL("domain %d: cpu %d cache entry %lu "
				    "(index %u) is not a cached page", d, c, i,
				    idx);
			idx = pages[idx].vp_next;
			cnt++;
		}
	}
	return (0);
overlap:
	/* Clear what pass 2 marked: blocks listed before the overlap. */
	{
		uint32_t stop = idx;
		int so = o;

		for (o = 0; o <= so; o++)
			for (idx = vmd->vmd_freeq[o]; idx != VM_PIDX_NONE &&
			    !(o == so && idx == stop); idx = pages[idx].vp_next)
				bm_fill(bm, idx, 1UL << o, false);
		kmem_printf("vm_phys_check: domain %d: free block 0x%lx order "
		    "%d overlaps another\n", d, (u_long)idx_to_pa(vmd, stop),
		    so);
	}
bad:
	return (-1);
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
