/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * physmem.c: the physical memory map at boot and the early allocator.
 *
 * physmem_init() turns the FDT's view (memory ranges per NUMA node,
 * reserved ranges) plus what the platform knows (firmware, payload image,
 * the blob itself) into "managed" RAM: page-aligned ranges, each inside
 * one domain, that nothing else owns.  Until vm_phys exists, the early
 * allocator bumps downward from the top of a domain's managed ranges and
 * lists what it gave out in physmem.early[], so vm_phys can mark those
 * pages allocated when it takes the managed ranges over.
 *
 * Everything here runs on the boot hart before other harts start: no
 * locks are taken.
 */
#include <string.h>

#include <kmem/physmem.h>
#include <kmem/vm_param.h>

#include "kmem_private.h"

struct physmem_map physmem;

/* Identity until physmem_init() knows where RAM is (see vm_param.h). */
vm_offset_t dmap_va_base;
vm_paddr_t dmap_phys_base;
vm_paddr_t dmap_phys_max;


/* A region to carve out, before it is split per RAM range. */
struct physmem_src {
	vm_paddr_t	start, end;
	const char	*why;
	const char	*name;
};

static void
physmem_copyname(char *dst, size_t dstsz, const char *src)
{
	size_t n;

	n = src != NULL ? strlen(src) : 0;
	if (n >= dstsz)
		n = dstsz - 1;
	if (n != 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Widen [start, start + size) outward to pages; false when empty. */
static bool
physmem_widen(uint64_t start, uint64_t size, vm_paddr_t *s, vm_paddr_t *e)
{
	uint64_t end;

	if (size == 0)
		return (false);
	end = start + size;
	if (end < start)
		end = UINT64_MAX;	/* to the top of the address space */
	*s = trunc_page(start);
	*e = end > UINT64_MAX - PAGE_MASK ? trunc_page(UINT64_MAX) :
	    round_page(end);
	return (*e > *s);
}

/*
 * Sort the RAM ranges by start; clip the overlap of a later one.  The
 * table holds every range an FDT can list.
 */
_Static_assert(FDT_MAX_MEM <= PHYSMEM_MAX_RANGES,
    "physmem_add_ram: ram[] holds every FDT memory range");
/* A source is split into at most one carve per RAM range: the firmware's
   and the image's always fit (physmem_init). */
_Static_assert(2 * FDT_MAX_MEM <= PHYSMEM_MAX_CARVES,
    "physmem_init: firmware and image carves always fit");
static void
physmem_add_ram(const struct fdt_machine *m)
{
	struct physmem_range r, *p;
	uint64_t end;
	int i, j;

	for (i = 0; i < m->nmem; i++) {
		end = m->mem[i].base + m->mem[i].size;
		if (end < m->mem[i].base)
			end = UINT64_MAX;
		r.start = round_page(m->mem[i].base);
		r.end = trunc_page(end);
		r.domain = m->mem[i].domain;
		if (r.start < m->mem[i].base || r.end <= r.start ||
		    r.domain < 0 || r.domain >= MAXMEMDOM)
			continue;
		for (j = physmem.nram; j > 0 &&
		    physmem.ram[j - 1].start > r.start; j--)
			physmem.ram[j] = physmem.ram[j - 1];
		physmem.ram[j] = r;
		physmem.nram++;
	}
	/* Overlaps: the range that starts later loses the common part. */
	for (i = 1; i < physmem.nram; i++) {
		p = &physmem.ram[i];
		if (p->start < physmem.ram[i - 1].end)
			p->start = physmem.ram[i - 1].end;
		if (p->end <= p->start) {
			memmove(p, p + 1, (size_t)(physmem.nram - i - 1) *
			    sizeof(*p));
			physmem.nram--;
			i--;
		}
	}
}

/* Split a source region per RAM range into carves, kept sorted. */
static int
physmem_add_carve(const struct physmem_src *src)
{
	struct physmem_carve c;
	const struct physmem_range *r;
	int i, j;

	for (i = 0; i < physmem.nram; i++) {
		r = &physmem.ram[i];
		if (src->end <= r->start || src->start >= r->end)
			continue;
		memset(&c, 0, sizeof(c));
		c.start = src->start > r->start ? src->start : r->start;
		c.end = src->end < r->end ? src->end : r->end;
		c.domain = r->domain;
		c.why = src->why;
		physmem_copyname(c.name, sizeof(c.name), src->name);
		if (physmem.ncarves == PHYSMEM_MAX_CARVES)
			return (E2BIG);
		for (j = physmem.ncarves; j > 0 &&
		    physmem.carves[j - 1].start > c.start; j--)
			physmem.carves[j] = physmem.carves[j - 1];
		physmem.carves[j] = c;
		physmem.ncarves++;
	}
	return (0);
}

static int
physmem_add_managed(vm_paddr_t s, vm_paddr_t e, int domain)
{
	struct physmem_range *last;

	if (e <= s)
		return (0);
	if (physmem.nmanaged > 0) {
		last = &physmem.managed[physmem.nmanaged - 1];
		if (last->end == s && last->domain == domain) {
			last->end = e;
			return (0);
		}
	}
	if (physmem.nmanaged == PHYSMEM_MAX_RANGES)
		return (E2BIG);
	physmem.managed[physmem.nmanaged].start = s;
	physmem.managed[physmem.nmanaged].end = e;
	physmem.managed[physmem.nmanaged].domain = domain;
	physmem.nmanaged++;
	return (0);
}

/* managed = RAM minus carves (both sorted by start). */
static int
physmem_subtract(void)
{
	const struct physmem_range *r;
	const struct physmem_carve *c;
	vm_paddr_t cur;
	int error, i, k;

	for (i = 0; i < physmem.nram; i++) {
		r = &physmem.ram[i];
		cur = r->start;
		for (k = 0; k < physmem.ncarves; k++) {
			c = &physmem.carves[k];
			if (c->end <= r->start || c->start >= r->end)
				continue;
			if (c->start > cur) {
				error = physmem_add_managed(cur, c->start,
				    r->domain);
				if (error != 0)
					return (error);
			}
			if (c->end > cur)
				cur = c->end;
		}
		error = physmem_add_managed(cur, r->end, r->domain);
		if (error != 0)
			return (error);
	}
	return (0);
}

/* Dense domain numbers; see struct physmem_map. */
static int
physmem_number_domains(const struct fdt_machine *m)
{
	bool present[MAXMEMDOM];
	int best, d, i, id, n;

	memset(present, 0, sizeof(present));
	for (i = 0; i < physmem.nmanaged; i++)
		present[physmem.managed[i].domain] = true;
	n = 0;
	for (id = 0; id < MAXMEMDOM; id++) {
		physmem.domain_of_fdt[id] = -1;
		if (!present[id])
			continue;
		if (id != n)
			physmem.renumbered = true;
		physmem.fdt_domain[n] = id;
		physmem.domain_of_fdt[id] = n++;
	}
	if (n == 0)
		return (EINVAL);
	physmem.ndomains = n;
	for (id = 0; id < MAXMEMDOM; id++) {
		if (physmem.domain_of_fdt[id] >= 0)
			continue;
		best = 0;
		for (d = 1; d < n; d++)
			if (m->distance[id][physmem.fdt_domain[d]] <
			    m->distance[id][physmem.fdt_domain[best]])
				best = d;
		physmem.domain_of_fdt[id] = best;
	}
	for (d = 0; d < n; d++)
		for (i = 0; i < n; i++)
			physmem.distance[d][i] =
			    m->distance[physmem.fdt_domain[d]][physmem.fdt_domain[i]];
	for (i = 0; i < physmem.nram; i++)
		physmem.ram[i].domain =
		    physmem.domain_of_fdt[physmem.ram[i].domain];
	for (i = 0; i < physmem.nmanaged; i++)
		physmem.managed[i].domain =
		    physmem.domain_of_fdt[physmem.managed[i].domain];
	for (i = 0; i < physmem.ncarves; i++)
		physmem.carves[i].domain =
		    physmem.domain_of_fdt[physmem.carves[i].domain];
	return (0);
}

static void physmem_early_record(vm_paddr_t s, vm_paddr_t e, int domain,
    const char *what);

/* Is [s, e) inside one reserved range of the FDT? */
static bool
physmem_fdt_reserves(const struct fdt_machine *m, vm_paddr_t s, vm_paddr_t e)
{
	int i;

	for (i = 0; i < m->nrsv; i++)
		if (m->rsv[i].base <= s && e - m->rsv[i].base <= m->rsv[i].size)
			return (true);
	return (false);
}

static const char *
physmem_rsv_why(const struct fdt_rsv *r)
{

	if (r->memreserve)
		return ("/memreserve/");
	if (r->reusable)
		return ("reserved-memory, reusable");
	if (r->nomap)
		return ("reserved-memory, no-map");
	return ("reserved-memory");
}

/*
 * Turn the carve of boot-only memory (the FDT blob) into a managed range of
 * its own that the early allocator already handed out (an early[] record
 * named @what), so that vm_phys has pages for it and kmem_bootstrap_free()
 * can give them to the page allocator later.
 */
int
physmem_adopt(vm_paddr_t pa, vm_size_t size, const char *what)
{
	struct physmem_carve *c;
	vm_paddr_t s, e;
	int i, j, k;

	if (physmem.early_closed)
		return (EBUSY);
	if (!physmem_widen(pa, size, &s, &e))
		return (EINVAL);
	for (k = 0; k < physmem.ncarves; k++)
		if (physmem.carves[k].start == s && physmem.carves[k].end == e)
			break;
	if (k == physmem.ncarves)
		return (EINVAL);
	c = &physmem.carves[k];
	for (j = 0; j < physmem.ncarves; j++)
		if (j != k && physmem.carves[j].start < e &&
		    s < physmem.carves[j].end)
			return (EBUSY);		/* shares pages with a carve */
	if (physmem.nmanaged == PHYSMEM_MAX_RANGES ||
	    physmem.nearly == PHYSMEM_MAX_EARLY)
		return (E2BIG);
	for (i = 0; i < physmem.nmanaged && physmem.managed[i].start < s; i++)
		;
	memmove(&physmem.managed[i + 1], &physmem.managed[i],
	    (size_t)(physmem.nmanaged - i) * sizeof(physmem.managed[0]));
	memmove(&physmem.early_top[i + 1], &physmem.early_top[i],
	    (size_t)(physmem.nmanaged - i) * sizeof(physmem.early_top[0]));
	physmem.nmanaged++;
	physmem.managed[i].start = s;
	physmem.managed[i].end = e;
	physmem.managed[i].domain = c->domain;
	physmem.early_top[i] = s;		/* nothing left to bump */
	physmem_early_record(s, e, c->domain, what);
	memmove(c, c + 1, (size_t)(physmem.ncarves - k - 1) * sizeof(*c));
	physmem.ncarves--;
	return (0);
}

int
physmem_init(const struct fdt_machine *m, vm_paddr_t fw_start,
    vm_paddr_t fw_end, vm_paddr_t img_start, vm_paddr_t img_end,
    vm_paddr_t fdt_pa, vm_size_t fdt_size)
{
	struct physmem_src src;
	vm_paddr_t lo, hi;
	int error, i;

	memset(&physmem, 0, sizeof(physmem));
	physmem_add_ram(m);
	if (physmem.nram == 0) {
		error = EINVAL;
		goto fail;
	}
	if (fw_end > fw_start && physmem_widen(fw_start, fw_end - fw_start,
	    &src.start, &src.end) &&
	    !physmem_fdt_reserves(m, src.start, src.end)) {
		src.why = "firmware (OpenSBI)";
		src.name = NULL;
		(void)physmem_add_carve(&src);	/* the table is empty */
	}
	if (img_end > img_start && physmem_widen(img_start,
	    img_end - img_start, &src.start, &src.end)) {
		src.why = "payload image";
		src.name = NULL;
		(void)physmem_add_carve(&src);	/* fits after the firmware */
	}
	if (physmem_widen(fdt_pa, fdt_size, &src.start, &src.end)) {
		src.why = "FDT blob";
		src.name = NULL;
		if ((error = physmem_add_carve(&src)) != 0)
			goto fail;
	}
	for (i = 0; i < m->nrsv; i++) {
		if (!physmem_widen(m->rsv[i].base, m->rsv[i].size, &src.start,
		    &src.end))
			continue;
		src.why = physmem_rsv_why(&m->rsv[i]);
		src.name = m->rsv[i].memreserve ? NULL : m->rsv[i].name;
		if ((error = physmem_add_carve(&src)) != 0)
			goto fail;
	}
	if ((error = physmem_subtract()) != 0)
		goto fail;
	if ((error = physmem_number_domains(m)) != 0)
		goto fail;
	for (i = 0; i < physmem.nmanaged; i++)
		physmem.early_top[i] = physmem.managed[i].end;

	/* Sorted and without overlaps: the last range ends highest. */
	lo = physmem.ram[0].start;
	hi = physmem.ram[physmem.nram - 1].end;
	/* Keep PHYS_TO_DMAP() as it was: move both bases together. */
	dmap_va_base += (vm_offset_t)(lo - dmap_phys_base);
	dmap_phys_base = lo;
	dmap_phys_max = hi;
	return (0);
fail:
	memset(&physmem, 0, sizeof(physmem));
	return (error);
}

/* Record [s, e) for what, merging with an adjacent record of its kind. */
static void
physmem_early_record(vm_paddr_t s, vm_paddr_t e, int domain, const char *what)
{
	struct physmem_early *r;
	int i;

	for (i = 0; i < physmem.nearly; i++) {
		r = &physmem.early[i];
		if (r->domain != domain || strcmp(r->what, what) != 0)
			continue;
		if (r->start == e) {
			r->start = s;
			return;
		}
		if (r->end == s) {
			r->end = e;
			return;
		}
	}
	if (physmem.nearly == PHYSMEM_MAX_EARLY)
		panic("physmem_early_alloc: early[] is full (%d records) "
		    "allocating 0x%lx bytes at 0x%lx for \"%s\"",
		    PHYSMEM_MAX_EARLY, (u_long)(e - s), (u_long)s, what);
	r = &physmem.early[physmem.nearly++];
	r->start = s;
	r->end = e;
	r->domain = domain;
	r->what = what;
}

/* Bump downward in domain d; 0 when no managed range of d has room. */
static vm_paddr_t
physmem_early_domain(int d, vm_size_t size, vm_size_t align, const char *what)
{
	const struct physmem_range *r;
	vm_paddr_t a, top;
	int i;

	for (i = physmem.nmanaged - 1; i >= 0; i--) {
		r = &physmem.managed[i];
		if (r->domain != d)
			continue;
		top = physmem.early_top[i];
		if (top - r->start < size)
			continue;
		a = rounddown2(top - size, (vm_paddr_t)align);
		if (a < r->start || a == 0)
			continue;
		physmem_early_record(a, a + size, d, what);
		physmem.early_top[i] = a;
		return (a);
	}
	return (0);
}

vm_paddr_t
physmem_early_alloc(int domain, vm_size_t size, vm_size_t align,
    const char *what)
{
	vm_paddr_t pa;
	int d;

	if (physmem.early_closed)
		panic("physmem_early_alloc: called for \"%s\" (0x%lx bytes) "
		    "after vm_phys took over physical memory",
		    what != NULL ? what : "?", (u_long)size);
	if (what == NULL)
		what = "early";
	if (size == 0 || size > ~(vm_size_t)0 - PAGE_MASK ||
	    !powerof2(align) || domain >= physmem.ndomains)
		return (0);
	if (align < PAGE_SIZE)
		align = PAGE_SIZE;
	size = round_page(size);
	if (domain >= 0)
		return (physmem_early_domain(domain, size, align, what));
	for (d = 0; d < physmem.ndomains; d++)
		if ((pa = physmem_early_domain(d, size, align, what)) != 0)
			return (pa);
	return (0);
}

int
physmem_domain_of_fdt(int fdt_id)
{

	if (fdt_id < 0 || fdt_id >= MAXMEMDOM || physmem.ndomains == 0)
		return (0);
	return (physmem.domain_of_fdt[fdt_id]);
}

/* "   N.NN MiB" without floating point. */
static void
physmem_print_size(uint64_t size)
{

	if (size < (1UL << 20))
		kmem_printf("%10lu KiB", (u_long)(size >> 10));
	else
		kmem_printf("%7lu.%02lu MiB", (u_long)(size >> 20),
		    (u_long)(((size & 0xfffff) * 100) >> 20));
}

static uint64_t
physmem_sum(const struct physmem_range *r, int n, int domain)
{
	uint64_t s;
	int i;

	s = 0;
	for (i = 0; i < n; i++)
		if (domain < 0 || r[i].domain == domain)
			s += r[i].end - r[i].start;
	return (s);
}

void
physmem_print(void)
{
	const struct physmem_carve *c;
	const struct physmem_early *e;
	int d, i;

	kmem_printf("physmem: %d domain%s%s, RAM", physmem.ndomains,
	    physmem.ndomains == 1 ? "" : "s",
	    physmem.renumbered ? " (renumbered from FDT ids)" : "");
	physmem_print_size(physmem_sum(physmem.ram, physmem.nram, -1));
	kmem_printf(", managed");
	physmem_print_size(physmem_sum(physmem.managed, physmem.nmanaged,
	    -1));
	kmem_printf("\n");
	for (d = 0; d < physmem.ndomains; d++) {
		kmem_printf("  node %d (FDT numa-node-id %d): managed", d,
		    physmem.fdt_domain[d]);
		physmem_print_size(physmem_sum(physmem.managed,
		    physmem.nmanaged, d));
		kmem_printf("\n");
		for (i = 0; i < physmem.nram; i++) {
			if (physmem.ram[i].domain != d)
				continue;
			kmem_printf("    RAM     0x%016lx-0x%016lx ",
			    (u_long)physmem.ram[i].start,
			    (u_long)physmem.ram[i].end);
			physmem_print_size(physmem.ram[i].end -
			    physmem.ram[i].start);
			kmem_printf("\n");
		}
		for (i = 0; i < physmem.nmanaged; i++) {
			if (physmem.managed[i].domain != d)
				continue;
			kmem_printf("    managed 0x%016lx-0x%016lx ",
			    (u_long)physmem.managed[i].start,
			    (u_long)physmem.managed[i].end);
			physmem_print_size(physmem.managed[i].end -
			    physmem.managed[i].start);
			kmem_printf("\n");
		}
		for (i = 0; i < physmem.ncarves; i++) {
			c = &physmem.carves[i];
			if (c->domain != d)
				continue;
			kmem_printf("    carved  0x%016lx-0x%016lx ",
			    (u_long)c->start, (u_long)c->end);
			physmem_print_size(c->end - c->start);
			kmem_printf("  %s%s%s%s\n", c->why,
			    c->name[0] != '\0' ? " (" : "", c->name,
			    c->name[0] != '\0' ? ")" : "");
		}
		for (i = 0; i < physmem.nearly; i++) {
			e = &physmem.early[i];
			if (e->domain != d)
				continue;
			kmem_printf("    early   0x%016lx-0x%016lx ",
			    (u_long)e->start, (u_long)e->end);
			physmem_print_size(e->end - e->start);
			kmem_printf("  %s\n", e->what);
		}
	}
}
